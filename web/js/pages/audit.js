// The audit log (SEC-2) for auditors: newest first, paged, and the check of
// the hash chain.
import * as api from '../api.js';
import { h, messageBox, busy, fmtTime } from '../ui.js';

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
  const tbody = h('tbody');
  const more = h('button', { type: 'button', id: 'audit-more', class: 'secondary' }, 'Older records');
  root.append(h('div', { class: 'page-head' }, h('h1', null, 'Audit log'),
    h('p', { class: 'muted' }, 'Every create, change, view, export and deletion, each record chained to the one before. Reading it is itself recorded.')),
  box, h('div', { class: 'card' }, h('div', { class: 'actions left' }, verify), verifyOut),
  h('div', { class: 'card' }, h('div', { class: 'table-wrap' }, h('table', { class: 'data audit', id: 'audit-table' },
    h('thead', null, h('tr', null, ['No.', 'Time', 'Who', 'Action', 'Object', 'Details'].map((c) => h('th', { scope: 'col' }, c)))), tbody)),
  h('div', { class: 'actions left' }, more)));
  let before = 0;
  const page = async () => {
    const rows = await api.get(`/api/audit?limit=${PAGE}` + (before ? `&before=${before}` : ''));
    for (const r of rows) {
      tbody.appendChild(h('tr', null, h('td', { class: 'num' }, r.seq), h('td', { class: 'nowrap' }, fmtTime(r.time_ms, true)),
        h('td', null, r.actor), h('td', { class: 'mono' }, r.action), h('td', null, r.object ?? ''), h('td', { class: 'details' }, details(r.details))));
      before = r.seq;
    }
    more.hidden = rows.length < PAGE;
  };
  more.addEventListener('click', () => busy(more, box, page));
  try {
    await page();
  } catch (e) {
    box.error(e);
  }
}
