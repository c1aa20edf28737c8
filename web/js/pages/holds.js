// Evidence holds (issue 15 item 3): alerts kept past their retention
// period for proceedings. Officers hold an alert from the alert history
// (holdForm below) and take its signed evidence bundle from here; an
// authorising officer or the data protection officer releases a hold when
// the case no longer needs it. Every step is recorded in the audit log.
import * as api from '../api.js';
import { h, clear, messageBox, busy, fmtTime, parseUkTime } from '../ui.js';
import { t } from '../i18n.js';

const DAY_MS = 86400000;

// The form that holds an alert, or renews its hold: why, the case
// reference, and until when (UK time). done() runs after the server agreed.
export function holdForm(alert, done) {
  const id = alert.id;
  const box = messageBox();
  const held = alert.hold;
  const reason = h('textarea', { id: `hold-reason-${id}`, rows: 2, required: true }, held ? held.reason : '');
  const reference = h('input', { id: `hold-reference-${id}`, required: true, autocomplete: 'off',
    value: held ? held.reference : '', placeholder: t('holds.reference_placeholder') });
  const until = h('input', { id: `hold-until-${id}`, required: true, placeholder: t('holds.date_placeholder'),
    'aria-describedby': `hold-until-hint-${id}` });
  const save = h('button', { type: 'submit', id: `hold-save-${id}` }, t(held ? 'holds.renew_hold' : 'holds.hold'));
  const form = h('form', { class: 'hold-form', id: `hold-form-${id}`, novalidate: true },
    h('div', { class: 'fields' },
      h('div', { class: 'field wide' }, h('label', { for: reason.id }, t('holds.why_needed')), reason),
      h('div', { class: 'field' }, h('label', { for: reference.id }, t('holds.reference')), reference),
      h('div', { class: 'field' }, h('label', { for: until.id }, t('holds.until')), until,
        h('p', { class: 'muted small', id: `hold-until-hint-${id}` }, t('holds.until_hint')))),
    box, h('div', { class: 'actions' }, save));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    box.hide();
    const ms = parseUkTime(until.value);
    if (!reason.value.trim() || !reference.value.trim()) return box.show(t('holds.need_reason'));
    if (ms === null) return box.show(t('holds.bad_until'));
    if (ms <= Date.now() || ms > Date.now() + 730 * DAY_MS) return box.show(t('holds.until_range'));
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
  root.append(h('div', { class: 'page-head' }, h('h1', null, t('nav.holds')),
    h('p', { class: 'muted' }, t('holds.intro'))),
  h('p', null, h('label', null, showEnded, ' ', t('holds.show_ended'))), box, list);

  const release = (hold) => {
    const why = h('input', { id: `release-reason-${hold.alert}`, required: true, placeholder: t('holds.release_placeholder') });
    const go = h('button', { type: 'submit', class: 'danger', id: `release-go-${hold.alert}` }, t('holds.release'));
    const rbox = messageBox();
    const form = h('form', { class: 'release-form', novalidate: true },
      h('div', { class: 'field wide' }, h('label', { for: why.id }, t('holds.release_why')), why), rbox,
      h('div', { class: 'actions' }, go));
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      if (!why.value.trim()) return rbox.show(t('holds.need_release_why'));
      if (!confirm(t('holds.confirm_release', { id: hold.alert }))) return;
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
      h('dt', null, t('alerts.alert')), h('dd', null, hold.alert_kept
        ? `${hold.alert} - ${hold.deployment_name}, ${hold.camera}, ${fmtTime(hold.time_ms)}`
        : t('holds.alert_deleted', { id: hold.alert })),
      h('dt', null, t('holds.held_by')), h('dd', null, `${hold.held_by}, ${fmtTime(hold.held_ms)}`),
      h('dt', null, t('holds.why')), h('dd', null, hold.reason),
      h('dt', null, t('holds.reference')), h('dd', null, hold.reference),
      h('dt', null, t(open ? 'holds.held_until' : 'holds.ended')),
      h('dd', null, open ? fmtTime(hold.until_ms)
        : t('holds.released', { time: fmtTime(hold.released.ms), name: hold.released.by, reason: hold.released.reason })),
      h('dt', null, t('holds.photo')), h('dd', null, t(hold.watchlist_photo_kept ? 'holds.photo_kept' : 'holds.photo_not_kept')));
    const c = h('section', { class: `card hold${open ? '' : ' ended'}`, id: `hold-${hold.id}` },
      h('h2', null, t('alerts.title', { id: hold.alert }), open ? '' : h('span', { class: 'badge' }, t('holds.ended_badge'))), facts);
    if (!open) return c;
    const actions = h('div', { class: 'actions' });
    if (mayExport && hold.alert_kept)
      actions.append(h('a', { class: 'button', id: `evidence-${hold.alert}`, href: `/api/alerts/${hold.alert}/evidence`,
        download: `alert-${hold.alert}-evidence.json` }, t('holds.download')));
    c.append(actions);
    if (mayHold && hold.alert_kept) {
      const renew = h('details', null, h('summary', null, t('holds.renew')),
        holdForm({ id: hold.alert, hold }, load));
      c.append(renew);
    }
    if (mayRelease) c.append(h('details', null, h('summary', null, t('holds.release')), release(hold)));
    return c;
  };

  const load = async () => {
    const holds = await api.get(`/api/holds${showEnded.checked ? '?released=1' : ''}`);
    clear(list);
    if (!holds.length) list.append(h('p', { class: 'muted', id: 'holds-empty' }, t('holds.none')));
    for (const hold of holds) list.append(card(hold));
  };
  showEnded.addEventListener('change', () => load().catch((e) => box.error(e)));
  try {
    await load();
  } catch (e) {
    box.error(e);
  }
}
