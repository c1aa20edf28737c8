// The audit log (SEC-2) for auditors: newest first, paged, and the check of
// the hash chain.
import * as api from '../api.js';
import { h, clear, messageBox, busy, fmtTime, parseUkTime } from '../ui.js';
import { t } from '../i18n.js';

const PAGE = 50;

function details(v) {
  if (v === null || v === undefined || v === '') return '';
  if (typeof v === 'string') {
    try {
      v = JSON.parse(v);
    } catch {
      return v;
    }
  }
  if (typeof v !== 'object') return String(v);
  return Object.entries(v).map(([k, x]) => `${k.replace(/_/g, ' ')}: ${typeof x === 'object' ? JSON.stringify(x) : x}`).join('; ');
}

export async function renderAudit(root) {
  const box = messageBox();
  const verifyOut = h('div', { id: 'audit-verify-result', 'aria-live': 'polite' });
  const verify = h('button', { type: 'button', id: 'audit-verify', class: 'secondary' }, t('audit.verify'));
  verify.addEventListener('click', () => busy(verify, box, async () => {
    const r = await api.get('/api/audit/verify');
    verifyOut.className = r.ok ? 'msg msg-ok' : 'msg msg-error';
    verifyOut.textContent = r.ok ? t('audit.intact', { n: r.records }) : t('audit.broken', { seq: r.first_bad, n: r.records });
  }));
  // Filters (issue 15 item 3): who, what, on what, when.
  const f = (id, text, input) => h('div', { class: 'field' }, h('label', { for: id }, text), input);
  const user = h('input', { id: 'a-user', autocomplete: 'off' });
  const action = h('input', { id: 'a-action', autocomplete: 'off', placeholder: t('audit.action_placeholder') });
  const object = h('input', { id: 'a-object', autocomplete: 'off', placeholder: t('audit.object_placeholder') });
  const from = h('input', { id: 'a-from', placeholder: t('history.time_placeholder') });
  const to = h('input', { id: 'a-to', placeholder: t('history.time_placeholder') });
  const apply = h('button', { type: 'submit', id: 'a-apply' }, t('audit.show'));
  const csv = h('a', { id: 'audit-export-csv', class: 'button secondary', href: '#', download: 'audit-log.csv' }, t('audit.export', { format: 'CSV' }));
  const json = h('a', { id: 'audit-export-json', class: 'button secondary', href: '#', download: 'audit-log.json' }, t('audit.export', { format: 'JSON' }));
  const filters = h('form', { class: 'card filters', id: 'audit-filters', novalidate: true },
    h('div', { class: 'fields' }, f('a-user', t('audit.user'), user), f('a-action', t('audit.action'), action),
      f('a-object', t('audit.object'), object), f('a-from', t('history.from'), from), f('a-to', t('history.until'), to)),
    h('div', { class: 'actions' }, apply, csv, json));
  const tbody = h('tbody');
  const more = h('button', { type: 'button', id: 'audit-more', class: 'secondary' }, t('audit.older'));
  root.append(h('div', { class: 'page-head' }, h('h1', null, t('nav.audit')),
    h('p', { class: 'muted' }, t('audit.intro'))),
  box, h('div', { class: 'card' }, h('div', { class: 'actions left' }, verify), verifyOut), filters,
  h('div', { class: 'card' }, h('div', { class: 'table-wrap' }, h('table', { class: 'data audit', id: 'audit-table' },
    h('thead', null, h('tr', null, ['audit.seq', 'alerts.time', 'audit.who', 'audit.action', 'audit.object', 'audit.details']
      .map((c) => h('th', { scope: 'col' }, t(c))))), tbody)),
  h('div', { class: 'actions left' }, more)));

  let query = '';
  // The filters as the API's arguments, or null (the reason shown).
  const readFilters = () => {
    const q = new URLSearchParams();
    for (const [k, input] of [['user', user], ['action', action], ['object', object]])
      if (input.value.trim()) q.set(k, input.value.trim());
    for (const [input, key, bad] of [[from, 'from_ms', 'history.bad_from'], [to, 'to_ms', 'history.bad_until']]) {
      if (!input.value.trim()) continue;
      const ms = parseUkTime(input.value);
      if (ms === null) return box.show(t(bad)), null;
      q.set(key, String(ms));
    }
    return q.toString();
  };
  const setExports = () => {
    csv.href = `/api/audit/export?format=csv${query ? '&' + query : ''}`;
    json.href = `/api/audit/export?format=json${query ? '&' + query : ''}`;
  };
  let before = 0;
  const page = async () => {
    const rows = await api.get(`/api/audit?limit=${PAGE}` + (before ? `&before=${before}` : '') + (query ? '&' + query : ''));
    for (const r of rows) {
      tbody.appendChild(h('tr', null, h('td', { class: 'num' }, r.seq), h('td', { class: 'nowrap' }, fmtTime(r.time_ms, true)),
        h('td', null, r.actor), h('td', { class: 'mono' }, r.action), h('td', null, r.object ?? ''), h('td', { class: 'details' }, details(r.details))));
      before = r.seq;
    }
    if (!tbody.firstChild) tbody.appendChild(h('tr', null, h('td', { colspan: 6, class: 'muted' }, t('audit.none'))));
    more.hidden = rows.length < PAGE;
  };
  filters.addEventListener('submit', (ev) => {
    ev.preventDefault();
    box.hide();
    const q = readFilters();
    if (q === null) return;
    query = q;
    setExports();
    before = 0;
    clear(tbody);
    busy(apply, box, page);
  });
  more.addEventListener('click', () => busy(more, box, page));
  setExports();
  try {
    await page();
  } catch (e) {
    box.error(e);
  }
}
