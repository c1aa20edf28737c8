// The audit log (SEC-2) for auditors: newest first, paged, and the check of
// the hash chain.
import * as api from '../api.js';
import { h, clear, messageBox, busy, fmtTime, parseUkTime } from '../ui.js';

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
  const verify = h('button', { type: 'button', id: 'audit-verify', class: 'secondary' }, 'Verify the hash chain');
  verify.addEventListener('click', () => busy(verify, box, async () => {
    const r = await api.get('/api/audit/verify');
    verifyOut.className = r.ok ? 'msg msg-ok' : 'msg msg-error';
    verifyOut.textContent = r.ok ? `Chain intact: ${r.records} records checked.` : `Chain broken at record ${r.first_bad} (of ${r.records}).`;
  }));
  // Filters (issue 15 item 3): who, what, on what, when.
  const f = (id, text, input) => h('div', { class: 'field' }, h('label', { for: id }, text), input);
  const user = h('input', { id: 'a-user', autocomplete: 'off' });
  const action = h('input', { id: 'a-action', autocomplete: 'off', placeholder: 'e.g. alert. or watchlist.add' });
  const object = h('input', { id: 'a-object', autocomplete: 'off', placeholder: 'e.g. alert/12 or deployment' });
  const from = h('input', { id: 'a-from', placeholder: 'dd/mm/yyyy hh:mm' });
  const to = h('input', { id: 'a-to', placeholder: 'dd/mm/yyyy hh:mm' });
  const apply = h('button', { type: 'submit', id: 'a-apply' }, 'Show');
  const csv = h('a', { id: 'audit-export-csv', class: 'button secondary', href: '#', download: 'audit-log.csv' }, 'Export CSV');
  const json = h('a', { id: 'audit-export-json', class: 'button secondary', href: '#', download: 'audit-log.json' }, 'Export JSON');
  const filters = h('form', { class: 'card filters', id: 'audit-filters', novalidate: true },
    h('div', { class: 'fields' }, f('a-user', 'User', user), f('a-action', 'Action', action),
      f('a-object', 'Object', object), f('a-from', 'From (UK time)', from), f('a-to', 'Until (UK time)', to)),
    h('div', { class: 'actions' }, apply, csv, json));
  const tbody = h('tbody');
  const more = h('button', { type: 'button', id: 'audit-more', class: 'secondary' }, 'Older records');
  root.append(h('div', { class: 'page-head' }, h('h1', null, 'Audit log'),
    h('p', { class: 'muted' }, 'Every create, change, view, export and deletion, each record chained to the one before. Reading it is itself recorded.')),
  box, h('div', { class: 'card' }, h('div', { class: 'actions left' }, verify), verifyOut), filters,
  h('div', { class: 'card' }, h('div', { class: 'table-wrap' }, h('table', { class: 'data audit', id: 'audit-table' },
    h('thead', null, h('tr', null, ['No.', 'Time', 'Who', 'Action', 'Object', 'Details'].map((c) => h('th', { scope: 'col' }, c)))), tbody)),
  h('div', { class: 'actions left' }, more)));

  let query = '';
  // The filters as the API's arguments, or null (the reason shown).
  const readFilters = () => {
    const q = new URLSearchParams();
    for (const [k, input] of [['user', user], ['action', action], ['object', object]])
      if (input.value.trim()) q.set(k, input.value.trim());
    for (const [input, key, name] of [[from, 'from_ms', 'From'], [to, 'to_ms', 'Until']]) {
      if (!input.value.trim()) continue;
      const ms = parseUkTime(input.value);
      if (ms === null) return box.show(`${name}: a date such as 5/12/2026 or 5/12/2026 09:00.`), null;
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
    if (!tbody.firstChild) tbody.appendChild(h('tr', null, h('td', { colspan: 6, class: 'muted' }, 'No record matches.')));
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
