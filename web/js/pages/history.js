// Alert history (issue 15 item 3): every alert the user's role may see,
// searched by deployment, camera, person, decision, outcome, score and
// time, newest first, a page at a time. No faces here: a face is looked at
// from the alert itself, and that look is audited.
import * as api from '../api.js';
import { h, clear, messageBox, busy, fmtTime, label, parseUkTime, decisions, outcomes } from '../ui.js';
import { holdForm } from './holds.js';

const PAGE = 50;

export async function renderHistory(root, ctx) {
  const STATUSES = [['', 'Any'], ...decisions()];
  const OUTCOME_CHOICES = [['', 'Any'], ...outcomes()];
  const mayHold = ctx.hasRole('operator') || ctx.hasRole('engagement');
  const box = messageBox();
  const f = (id, text, input, hint) => h('div', { class: 'field' }, h('label', { for: id }, text), input,
    hint ? h('p', { class: 'muted small', id: `${id}-hint` }, hint) : null);
  const options = (list) => list.map(([v, t]) => h('option', { value: v }, t));
  const deployment = h('select', { id: 'h-deployment' }, h('option', { value: '' }, 'Any'));
  const camera = h('input', { id: 'h-camera', autocomplete: 'off' });
  const person = h('input', { id: 'h-person', autocomplete: 'off', placeholder: 'Part of a name or PNC id' });
  const status = h('select', { id: 'h-status' }, options(STATUSES));
  const outcome = h('select', { id: 'h-outcome' }, options(OUTCOME_CHOICES));
  const minScore = h('input', { id: 'h-min-score', inputmode: 'decimal', placeholder: 'e.g. 0.5' });
  const from = h('input', { id: 'h-from', placeholder: 'dd/mm/yyyy hh:mm', 'aria-describedby': 'h-from-hint' });
  const to = h('input', { id: 'h-to', placeholder: 'dd/mm/yyyy hh:mm' });
  const search = h('button', { type: 'submit', id: 'h-search' }, 'Search');
  const body = h('tbody');
  const summary = h('p', { id: 'h-summary', class: 'muted', 'aria-live': 'polite' });
  const older = h('button', { type: 'button', class: 'secondary', id: 'h-older', hidden: true }, 'Older alerts');
  const form = h('form', { class: 'card filters', id: 'history-filters', novalidate: true },
    h('div', { class: 'fields' },
      f('h-deployment', 'Deployment', deployment), f('h-camera', 'Camera', camera),
      f('h-person', 'Person', person), f('h-status', 'Decision', status),
      f('h-outcome', 'Outcome', outcome), f('h-min-score', 'Score at least', minScore),
      f('h-from', 'From (UK time)', from, 'Day/month/year, time optional'), f('h-to', 'Until (UK time)', to)),
    box, h('div', { class: 'actions' }, search));
  root.append(
    h('div', { class: 'page-head' }, h('h1', null, 'Alert history'),
      h('p', { class: 'muted' }, 'Every alert your role may see, newest first. Open an alert from the queue or the deployment to see its faces.')),
    form, summary,
    h('div', { class: 'table-wrap' }, h('table', { class: 'data', id: 'history-table' },
      h('thead', null, h('tr', null, ['Alert', 'Time', 'Deployment', 'Camera', 'Person', 'Score', 'Decision', 'Outcome', 'Evidence']
        .map((c) => h('th', { scope: 'col' }, c)))), body)),
    h('div', { class: 'actions' }, older));

  try {
    for (const d of await api.get('/api/deployments'))
      deployment.appendChild(h('option', { value: d.id }, `No. ${d.id} ${d.name}`));
  } catch {
    /* a role that may not list deployments searches them all */
  }

  let query = null;
  let shown = 0;
  // The filters as the API's query, or null (with the reason shown).
  const readFilters = () => {
    const q = new URLSearchParams({ limit: String(PAGE) });
    const put = (k, v) => { if (v !== '' && v !== null && v !== undefined) q.set(k, v); };
    put('deployment', deployment.value);
    put('camera', camera.value.trim());
    put('person', person.value.trim());
    put('status', status.value);
    put('outcome', outcome.value);
    const score = minScore.value.trim();
    if (score && !/^-?\d*\.?\d+$/.test(score)) return box.show('Score: a number such as 0.5.'), null;
    put('min_score', score);
    for (const [input, key, name] of [[from, 'from_ms', 'From'], [to, 'to_ms', 'Until']]) {
      if (!input.value.trim()) continue;
      const ms = parseUkTime(input.value);
      if (ms === null) return box.show(`${name}: a date such as 5/12/2026 or 5/12/2026 09:00.`), null;
      put(key, String(ms));
    }
    return q;
  };
  // Held (issue 15 item 3): until when; otherwise, for the officers who
  // may, a button that opens the hold form beneath the row.
  const evidenceCell = (a) => {
    if (a.hold) return h('td', null, h('span', { class: 'badge held' }, `Held until ${fmtTime(a.hold.until_ms)}`));
    if (!mayHold) return h('td');
    const open = h('button', { type: 'button', class: 'secondary small', id: `hold-${a.id}` }, 'Hold');
    open.addEventListener('click', () => {
      const row = open.closest('tr');
      const next = row.nextElementSibling;
      if (next && next.classList.contains('hold-row')) return next.remove();
      row.after(h('tr', { class: 'hold-row' }, h('td', { colspan: 9 }, holdForm(a, () => load(0)))));
    });
    return h('td', null, open);
  };
  const load = async (before) => {
    const q = new URLSearchParams(query);
    if (before) q.set('before', String(before));
    const page = await api.get(`/api/alerts/history?${q}`);
    if (!before) {
      clear(body);
      shown = 0;
    }
    for (const a of page.alerts) {
      body.appendChild(h('tr', { 'data-id': a.id },
        h('td', { class: 'num' }, a.id), h('td', null, fmtTime(a.time_ms, true)),
        h('td', null, a.deployment_name || `No. ${a.deployment}`), h('td', null, a.camera),
        h('td', null, a.entry ? a.entry.person_ref : ''), h('td', { class: 'num' }, a.score.toFixed(3)),
        h('td', null, (STATUSES.find((s) => s[0] === a.status) || [0, label(a.status)])[1]),
        h('td', null, a.outcome ? label(a.outcome.action) : ''), evidenceCell(a)));
    }
    shown += page.alerts.length;
    if (!shown) body.appendChild(h('tr', null, h('td', { colspan: 9, class: 'muted' }, 'No alert matches.')));
    summary.textContent = `${shown} alert${shown === 1 ? '' : 's'} shown${page.more ? '; older ones match too' : ''}.`;
    older.hidden = !page.more;
    older.dataset.before = page.alerts.length ? page.alerts[page.alerts.length - 1].id : '';
  };
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    box.hide();
    const q = readFilters();
    if (!q) return;
    query = q.toString();
    busy(search, box, () => load(0));
  });
  older.addEventListener('click', () => busy(older, box, () => load(Number(older.dataset.before))));
  query = new URLSearchParams({ limit: String(PAGE) }).toString();
  try {
    await load(0);
  } catch (e) {
    box.error(e);
  }
}
