// Copying an earlier deployment's reviewed watchlist into this draft (issue
// 15 item 6). Each entry is added as one typed by hand and must be reviewed
// again; an entry whose photo went with its deployment's end (WL-8) comes
// back as its record only, offered as an import CSV for the applicant to
// complete with current photos.
import * as api from '../api.js';
import { h, clear, messageBox, busy } from '../ui.js';
import { t } from '../i18n.js';
import { flagList, IMPORT_COLUMNS } from './watchlist.js';

// The last copy's report per deployment: the page is drawn afresh after it.
const copyReports = new Map();

// One CSV field (RFC 4180): quoted when it holds a comma, quote, line break
// or a space at either end.
const csvField = (v) => {
  const s = v === undefined || v === null ? '' : String(v);
  return /[",\r\n]|^\s|\s$/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

// The records that need a current photo, in the import's columns, with the
// photo's file name left for the applicant to fill in.
function recordsCsv(rows) {
  const cols = IMPORT_COLUMNS.split(',');
  const lines = rows.filter((r) => r.record).map((r) => cols.map((c) =>
    csvField(c === 'photo' ? '' : c === 'child' ? (r.record.child ? 'yes' : 'no') : r.record[c])).join(','));
  return [cols.join(','), ...lines].join('\r\n') + '\r\n';
}

function showCopy(el, r) {
  clear(el);
  const result = (row) => {
    if (row.status === 'added') return [t('watchlist.added_as', { id: row.id }), flagList(row.flags)];
    if (row.status === 'needs_photo') return t('copy.needs_photo');
    return t('watchlist.refused', { reason: row.error ? row.error.message : '' });
  };
  el.append(h('p', { id: 'wl-copy-summary', role: 'status', class: r.refused || r.needs_photo ? 'msg msg-warn' : 'msg msg-ok' },
    t('copy.summary', { added: r.added, needs_photo: r.needs_photo, refused: r.refused, name: r.from_name }),
    r.removed_skipped ? [' ', t('copy.removed_skipped', { n: r.removed_skipped })] : null));
  if (r.needs_photo) {
    const url = URL.createObjectURL(new Blob([recordsCsv(r.rows)], { type: 'text/csv' }));
    el.append(h('p', null, h('a', { id: 'wl-copy-csv', href: url, download: `watchlist-from-${r.from}.csv` }, t('copy.download_csv')),
      ' ', h('span', { class: 'muted' }, t('copy.csv_hint'))));
  }
  el.append(h('div', { class: 'table-wrap' }, h('table', { class: 'data', id: 'wl-copy-rows' },
    h('thead', null, h('tr', null, [t('watchlist.col.person'), t('watchlist.col.result')].map((c) => h('th', { scope: 'col' }, c)))),
    h('tbody', null, r.rows.map((row) => h('tr', { class: row.status },
      h('td', null, row.person_ref), h('td', null, result(row))))))));
}

export function copyForm(d, refresh) {
  const box = messageBox();
  const from = h('select', { id: 'wl-copy-from', required: true }, h('option', { value: '' }, t('copy.choose')));
  const go = h('button', { type: 'submit', id: 'wl-copy', class: 'secondary' }, t('copy.submit'));
  const report = h('div', { id: 'wl-copy-report', 'aria-live': 'polite' });
  if (copyReports.has(d.id)) showCopy(report, copyReports.get(d.id));
  const form = h('form', { class: 'card', id: 'watchlist-copy', novalidate: true },
    h('h2', null, t('copy.title')), h('p', { class: 'muted' }, t('copy.intro')), box,
    h('div', { class: 'fields' }, h('div', { class: 'field wide' }, h('label', { for: 'wl-copy-from' }, t('copy.from')), from)),
    h('div', { class: 'actions' }, go), report);
  api.get('/api/deployments').then((list) => {
    for (const e of list.filter((x) => x.id !== d.id && x.state !== 'draft').sort((a, b) => b.id - a.id))
      from.appendChild(h('option', { value: e.id }, t('copy.option', { id: e.id, name: e.name, state: t(`state.${e.state}`) })));
  }).catch((e) => box.error(e));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    if (!from.value) return box.show(t('copy.choose_first'));
    busy(go, box, async () => {
      const r = await api.post(`/api/deployments/${d.id}/watchlist/copy`, { from: Number(from.value) });
      copyReports.set(d.id, r);
      await refresh();
      const el = document.getElementById('wl-copy-report');
      if (el) showCopy(el, r);
    });
  });
  return form;
}
