// Subject access (WL-8) for the data protection officer (an auditor): was
// this person on a watchlist, when, in which category, and are alerts about
// them still kept. Each lookup is recorded in the audit log.
import * as api from '../api.js';
import { h, clear, messageBox, busy, fmtTime } from '../ui.js';
import { categoryText } from './watchlist.js';
import { deploymentNo } from './alerts.js';
import { t, tn } from '../i18n.js';

// When the deployment ran: from its start to its end (or now), or never.
function ran(r) {
  if (!r.started_ms) return t('sar.never');
  return t('sar.ran_span', { from: fmtTime(r.started_ms), to: r.ended_ms ? fmtTime(r.ended_ms) : t('sar.now') });
}

export async function renderSar(root) {
  const box = messageBox();
  const person = h('input', { id: 'sar-person', required: true, autocomplete: 'off', placeholder: t('sar.placeholder') });
  const look = h('button', { type: 'submit', id: 'sar-lookup' }, t('sar.look_up'));
  const out = h('div', { id: 'sar-result', 'aria-live': 'polite' });
  const form = h('form', { class: 'card', id: 'sar-form', novalidate: true },
    h('div', { class: 'fields' }, h('div', { class: 'field wide' }, h('label', { for: 'sar-person' }, t('sar.person')), person)),
    box, h('div', { class: 'actions' }, look));
  root.append(h('div', { class: 'page-head' }, h('h1', null, t('nav.sar')),
    h('p', { class: 'muted' }, t('sar.intro'))),
  form, out);
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const ref = person.value.trim();
    if (!ref) {
      box.show(t('sar.missing'));
      return;
    }
    busy(look, box, async () => {
      const rows = await api.get(`/api/sar?person_ref=${encodeURIComponent(ref)}`);
      clear(out);
      out.append(h('p', { id: 'sar-summary', role: 'status' }, rows.length
        ? tn('sar.found', rows.length, { ref }) : t('sar.not_found', { ref })));
      if (rows.length) out.append(h('div', { class: 'table-wrap' }, h('table', { class: 'data', id: 'sar-table' },
        h('thead', null, h('tr', null, ['alerts.deployment', 'sar.state', 'alerts.category', 'sar.added', 'sar.ran', 'sar.kept']
          .map((c) => h('th', { scope: 'col' }, t(c))))),
        h('tbody', null, rows.map((r) => h('tr', null,
          h('td', null, `${deploymentNo(r.deployment)} ${r.name}`), h('td', null, t(`state.${r.state}`)), h('td', null, categoryText(r.category)),
          h('td', null, fmtTime(r.added_ms)), h('td', null, ran(r)),
          h('td', { class: 'num' }, r.alerts_kept)))))));
    });
  });
}
