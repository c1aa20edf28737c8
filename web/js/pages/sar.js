// Subject access (WL-8) for the data protection officer (an auditor): was
// this person on a watchlist, when, in which category, and are alerts about
// them still kept. Each lookup is recorded in the audit log.
import * as api from '../api.js';
import { h, clear, messageBox, busy, fmtTime, label } from '../ui.js';
import { categoryText } from './watchlist.js';

export async function renderSar(root) {
  const box = messageBox();
  const person = h('input', { id: 'sar-person', required: true, autocomplete: 'off', placeholder: 'Name or PNC id, as on the nominal record' });
  const look = h('button', { type: 'submit', id: 'sar-lookup' }, 'Look up');
  const out = h('div', { id: 'sar-result', 'aria-live': 'polite' });
  const form = h('form', { class: 'card', id: 'sar-form', novalidate: true },
    h('div', { class: 'fields' }, h('div', { class: 'field wide' }, h('label', { for: 'sar-person' }, 'Person reference'), person)),
    box, h('div', { class: 'actions' }, look));
  root.append(h('div', { class: 'page-head' }, h('h1', null, 'Subject access'),
    h('p', { class: 'muted' }, 'Every watchlist a person was on, exactly as their reference was recorded. The lookup itself is recorded in the audit log.')),
  form, out);
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const ref = person.value.trim();
    if (!ref) {
      box.show('Enter a person reference.');
      return;
    }
    busy(look, box, async () => {
      const rows = await api.get(`/api/sar?person_ref=${encodeURIComponent(ref)}`);
      clear(out);
      out.append(h('p', { id: 'sar-summary', role: 'status' }, rows.length
        ? `${ref} was on ${rows.length} watchlist${rows.length === 1 ? '' : 's'}.`
        : `${ref} was not on any watchlist held by this system.`));
      if (rows.length) out.append(h('div', { class: 'table-wrap' }, h('table', { class: 'data', id: 'sar-table' },
        h('thead', null, h('tr', null, ['Deployment', 'State', 'Category', 'Added', 'Ran', 'Alerts still kept'].map((c) => h('th', { scope: 'col' }, c)))),
        h('tbody', null, rows.map((r) => h('tr', null,
          h('td', null, `No. ${r.deployment} ${r.name}`), h('td', null, label(r.state)), h('td', null, categoryText(r.category)),
          h('td', null, fmtTime(r.added_ms)),
          h('td', null, r.started_ms ? `${fmtTime(r.started_ms)} to ${r.ended_ms ? fmtTime(r.ended_ms) : 'now'}` : 'never'),
          h('td', { class: 'num' }, r.alerts_kept)))))));
    });
  });
}
