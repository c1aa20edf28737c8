// Evidence holds (issue 15 item 3): alerts kept past their retention
// period for proceedings. Officers hold an alert from the alert history
// (holdForm below) and take its signed evidence bundle from here; an
// authorising officer or the data protection officer releases a hold when
// the case no longer needs it. Every step is recorded in the audit log.
import * as api from '../api.js';
import { h, clear, messageBox, busy, fmtTime, parseUkTime } from '../ui.js';

const DAY_MS = 86400000;

// The form that holds an alert, or renews its hold: why, the case
// reference, and until when (UK time). done() runs after the server agreed.
export function holdForm(alert, done) {
  const id = alert.id;
  const box = messageBox();
  const held = alert.hold;
  const reason = h('textarea', { id: `hold-reason-${id}`, rows: 2, required: true }, held ? held.reason : '');
  const reference = h('input', { id: `hold-reference-${id}`, required: true, autocomplete: 'off',
    value: held ? held.reference : '', placeholder: 'e.g. CR/2026/0091' });
  const until = h('input', { id: `hold-until-${id}`, required: true, placeholder: 'dd/mm/yyyy',
    'aria-describedby': `hold-until-hint-${id}` });
  const save = h('button', { type: 'submit', id: `hold-save-${id}` }, held ? 'Renew the hold' : 'Hold as evidence');
  const form = h('form', { class: 'hold-form', id: `hold-form-${id}`, novalidate: true },
    h('div', { class: 'fields' },
      h('div', { class: 'field wide' }, h('label', { for: reason.id }, 'Why it is needed'), reason),
      h('div', { class: 'field' }, h('label', { for: reference.id }, 'Case reference'), reference),
      h('div', { class: 'field' }, h('label', { for: until.id }, 'Hold until (UK time)'), until,
        h('p', { class: 'muted small', id: `hold-until-hint-${id}` }, 'A date to review it by, at most two years ahead.'))),
    box, h('div', { class: 'actions' }, save));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    box.hide();
    const ms = parseUkTime(until.value);
    if (!reason.value.trim() || !reference.value.trim()) return box.show('Say why the alert is needed and give the case reference.');
    if (ms === null) return box.show('Hold until: a date such as 5/12/2027.');
    if (ms <= Date.now() || ms > Date.now() + 730 * DAY_MS) return box.show('Hold until: a date in the next two years.');
    busy(save, box, async () => {
      await api.post(`/api/alerts/${id}/hold`, { reason: reason.value.trim(), reference: reference.value.trim(), until_ms: ms });
      done();
    });
  });
  return form;
}

export async function renderHolds(root, ctx) {
  const box = messageBox();
  const showEnded = h('input', { type: 'checkbox', id: 'holds-ended' });
  const list = h('div', { id: 'holds-list', 'aria-live': 'polite' });
  const mayRelease = ctx.hasRole('authoriser') || ctx.hasRole('auditor');
  const mayExport = ctx.hasRole('operator') || ctx.hasRole('engagement');
  const mayHold = mayExport || ctx.hasRole('authoriser');
  root.append(h('div', { class: 'page-head' }, h('h1', null, 'Evidence holds'),
    h('p', { class: 'muted' }, 'Alerts kept past their retention period because proceedings need them. ',
      'An alert is held from the alert history; it is deleted at its retention time once the hold is released or lapses.')),
  h('p', null, h('label', null, showEnded, ' Show released and lapsed holds')), box, list);

  const release = (hold) => {
    const why = h('input', { id: `release-reason-${hold.alert}`, required: true, placeholder: 'e.g. case closed: no further action' });
    const go = h('button', { type: 'submit', class: 'danger', id: `release-go-${hold.alert}` }, 'Release');
    const rbox = messageBox();
    const form = h('form', { class: 'release-form', novalidate: true },
      h('div', { class: 'field wide' }, h('label', { for: why.id }, 'Why the hold is no longer needed'), why), rbox,
      h('div', { class: 'actions' }, go));
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      if (!why.value.trim()) return rbox.show('Say why the hold is no longer needed.');
      if (!confirm(`Release the hold on alert ${hold.alert}? Once past its retention period the alert is deleted, and the copy of the watchlist photo at once.`)) return;
      busy(go, rbox, async () => {
        await api.post(`/api/alerts/${hold.alert}/release`, { reason: why.value.trim() });
        await load();
      });
    });
    return form;
  };

  const card = (hold) => {
    const open = !hold.released;
    const facts = h('dl', { class: 'kv' },
      h('dt', null, 'Alert'), h('dd', null, `${hold.alert}`, hold.alert_kept ? ` - ${hold.deployment_name}, ${hold.camera}, ${fmtTime(hold.time_ms)}` : ' (deleted)'),
      h('dt', null, 'Held by'), h('dd', null, `${hold.held_by}, ${fmtTime(hold.held_ms)}`),
      h('dt', null, 'Why'), h('dd', null, hold.reason),
      h('dt', null, 'Case reference'), h('dd', null, hold.reference),
      h('dt', null, open ? 'Held until' : 'Ended'),
      h('dd', null, open ? fmtTime(hold.until_ms) : `${fmtTime(hold.released.ms)} by ${hold.released.by}: ${hold.released.reason}`),
      h('dt', null, 'Watchlist photo'), h('dd', null, hold.watchlist_photo_kept ? 'kept with the hold' : 'not kept'));
    const c = h('section', { class: `card hold${open ? '' : ' ended'}`, id: `hold-${hold.id}` },
      h('h2', null, `Alert ${hold.alert}`, open ? '' : h('span', { class: 'badge' }, 'ended')), facts);
    if (!open) return c;
    const actions = h('div', { class: 'actions' });
    if (mayExport && hold.alert_kept)
      actions.append(h('a', { class: 'button', id: `evidence-${hold.alert}`, href: `/api/alerts/${hold.alert}/evidence`,
        download: `alert-${hold.alert}-evidence.json` }, 'Download the evidence bundle'));
    c.append(actions);
    if (mayHold && hold.alert_kept) {
      const renew = h('details', null, h('summary', null, 'Renew'),
        holdForm({ id: hold.alert, hold }, load));
      c.append(renew);
    }
    if (mayRelease) c.append(h('details', null, h('summary', null, 'Release'), release(hold)));
    return c;
  };

  const load = async () => {
    const holds = await api.get(`/api/holds${showEnded.checked ? '?released=1' : ''}`);
    clear(list);
    if (!holds.length) list.append(h('p', { class: 'muted', id: 'holds-empty' }, 'No alert is held.'));
    for (const hold of holds) list.append(card(hold));
  };
  showEnded.addEventListener('change', () => load().catch((e) => box.error(e)));
  try {
    await load();
  } catch (e) {
    box.error(e);
  }
}
