// Alert history (issue 15 item 3): every alert the user's role may see,
// searched by deployment, camera, person, decision, outcome, score and
// time, newest first, a page at a time. No faces here: a face is looked at
// from the alert itself, and that look is audited.
import * as api from '../api.js';
import { h, clear, messageBox, busy, fmtTime, label, parseUkTime, decisions, outcomes } from '../ui.js';
import { holdForm } from './holds.js';
import { deploymentNo } from './alerts.js';
import { t, tn, locale } from '../i18n.js';

const PAGE = 50;

// An outcome in the reader's words, in lower case as this column has
// always shown it; an action the console does not know, as the server has it.
function outcomeText(action) {
  const known = outcomes().find(([v]) => v === action);
  return known ? known[1].toLocaleLowerCase(locale()) : label(action);
}

export async function renderHistory(root, ctx) {
  const STATUSES = [['', t('history.any')], ...decisions()];
  const OUTCOME_CHOICES = [['', t('history.any')], ...outcomes()];
  const mayHold = ctx.hasRole('operator') || ctx.hasRole('engagement');
  const box = messageBox();
  const f = (id, text, input, hint) => h('div', { class: 'field' }, h('label', { for: id }, text), input,
    hint ? h('p', { class: 'muted small', id: `${id}-hint` }, hint) : null);
  const options = (list) => list.map(([v, text]) => h('option', { value: v }, text));
  const deployment = h('select', { id: 'h-deployment' }, h('option', { value: '' }, t('history.any')));
  const camera = h('input', { id: 'h-camera', autocomplete: 'off' });
  const person = h('input', { id: 'h-person', autocomplete: 'off', placeholder: t('history.person_placeholder') });
  const status = h('select', { id: 'h-status' }, options(STATUSES));
  const outcome = h('select', { id: 'h-outcome' }, options(OUTCOME_CHOICES));
  const minScore = h('input', { id: 'h-min-score', inputmode: 'decimal', placeholder: t('history.score_placeholder') });
  const from = h('input', { id: 'h-from', placeholder: t('history.time_placeholder'), 'aria-describedby': 'h-from-hint' });
  const to = h('input', { id: 'h-to', placeholder: t('history.time_placeholder') });
  const search = h('button', { type: 'submit', id: 'h-search' }, t('history.search'));
  const body = h('tbody');
  const summary = h('p', { id: 'h-summary', class: 'muted', 'aria-live': 'polite' });
  const older = h('button', { type: 'button', class: 'secondary', id: 'h-older', hidden: true }, t('history.older'));
  const form = h('form', { class: 'card filters', id: 'history-filters', novalidate: true },
    h('div', { class: 'fields' },
      f('h-deployment', t('alerts.deployment'), deployment), f('h-camera', t('alerts.camera'), camera),
      f('h-person', t('alerts.person'), person), f('h-status', t('history.decision'), status),
      f('h-outcome', t('engage.outcome'), outcome), f('h-min-score', t('history.min_score'), minScore),
      f('h-from', t('history.from'), from, t('history.from_hint')), f('h-to', t('history.until'), to)),
    box, h('div', { class: 'actions' }, search));
  root.append(
    h('div', { class: 'page-head' }, h('h1', null, t('nav.history')),
      h('p', { class: 'muted' }, t('history.intro'))),
    form, summary,
    h('div', { class: 'table-wrap' }, h('table', { class: 'data', id: 'history-table' },
      h('thead', null, h('tr', null, ['alerts.alert', 'alerts.time', 'alerts.deployment', 'alerts.camera', 'alerts.person',
        'alerts.score', 'history.decision', 'engage.outcome', 'history.evidence'].map((c) => h('th', { scope: 'col' }, t(c))))), body)),
    h('div', { class: 'actions' }, older));

  try {
    for (const d of await api.get('/api/deployments'))
      deployment.appendChild(h('option', { value: d.id }, `${deploymentNo(d.id)} ${d.name}`));
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
    if (score && !/^-?\d*\.?\d+$/.test(score)) return box.show(t('history.bad_score')), null;
    put('min_score', score);
    for (const [input, key, bad] of [[from, 'from_ms', 'history.bad_from'], [to, 'to_ms', 'history.bad_until']]) {
      if (!input.value.trim()) continue;
      const ms = parseUkTime(input.value);
      if (ms === null) return box.show(t(bad)), null;
      put(key, String(ms));
    }
    return q;
  };
  // Held (issue 15 item 3): until when; otherwise, for the officers who
  // may, a button that opens the hold form beneath the row.
  const evidenceCell = (a) => {
    if (a.hold) return h('td', null, h('span', { class: 'badge held' }, t('history.held_until', { time: fmtTime(a.hold.until_ms) })));
    if (!mayHold) return h('td');
    const open = h('button', { type: 'button', class: 'secondary small', id: `hold-${a.id}` }, t('history.hold'));
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
        h('td', null, a.deployment_name || deploymentNo(a.deployment)), h('td', null, a.camera),
        h('td', null, a.entry ? a.entry.person_ref : ''), h('td', { class: 'num' }, a.score.toFixed(3)),
        h('td', null, (STATUSES.find((s) => s[0] === a.status) || [0, label(a.status)])[1]),
        h('td', null, a.outcome ? outcomeText(a.outcome.action) : ''), evidenceCell(a)));
    }
    shown += page.alerts.length;
    if (!shown) body.appendChild(h('tr', null, h('td', { colspan: 9, class: 'muted' }, t('history.none'))));
    summary.textContent = tn(page.more ? 'history.shown_more' : 'history.shown', shown);
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
