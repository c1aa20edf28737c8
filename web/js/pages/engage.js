// The engagement officer's view (HIL-2, HIL-4), made for a phone: the
// alerts the operator sent, the plain warning, and the outcome form.
import * as api from '../api.js';
import { h, messageBox, busy, outcomes } from '../ui.js';
import { facePair, alertFacts } from './alerts.js';
import { signal, signalControls } from '../signals.js';
import { t } from '../i18n.js';

// HIL-4's words, in the reader's language (a function: the catalogue is
// loaded after this module).
export const warning = () => t('engage.warning');

// Officer-recorded group for equality monitoring (PUB-6), UK census groups:
// the value sent is the English name, as the figures have always counted it.
const GROUPS = ['Asian', 'Black', 'Mixed', 'White', 'Other'];

// A recorded group in the reader's language; "" or "not recorded" (the
// figures' word for none) as not recorded; anything else as the server has it.
export function groupText(g) {
  if (!g || g === 'not recorded') return t('engage.group_none');
  return GROUPS.includes(g) ? t(`engage.group.${g.toLowerCase()}`) : g;
}

export async function renderEngage(root, ctx) {
  const box = messageBox();
  const list = h('div', { id: 'engage-list' });
  const empty = h('p', { class: 'muted', id: 'engage-empty' }, t('engage.empty'));
  const done = h('div', { id: 'engage-done' });
  root.append(h('div', { class: 'page-head' }, h('h1', null, t('nav.engage')), signalControls()), box, done, empty, list);
  const shown = new Map();
  let loaded = false; // engagements found after the first load are new to the officer

  const update = () => {
    empty.hidden = shown.size > 0;
    ctx.setCount('engage', shown.size);
  };

  const card = (a) => {
    const id = a.id;
    const fbox = messageBox();
    const yes = h('input', { type: 'radio', name: `confirmed-${id}`, id: `confirmed-yes-${id}`, value: 'yes' });
    const no = h('input', { type: 'radio', name: `confirmed-${id}`, id: `confirmed-no-${id}`, value: 'no' });
    const action = h('select', { id: `action-${id}`, required: true }, h('option', { value: '' }, t('engage.choose')), outcomes().map(([v, text]) => h('option', { value: v }, text)));
    const mins = h('input', { id: `minutes-${id}`, type: 'number', min: 0, max: 1440, step: 1, inputmode: 'numeric', value: '' });
    const secs = h('input', { id: `seconds-${id}`, type: 'number', min: 0, max: 59, step: 1, inputmode: 'numeric', value: '' });
    const group = h('select', { id: `group-${id}` }, h('option', { value: '' }, groupText('')), GROUPS.map((g) => h('option', { value: g }, groupText(g))));
    let started = null;
    const timer = h('button', { type: 'button', class: 'secondary small', id: `timer-${id}` }, t('engage.timer_start'));
    timer.addEventListener('click', () => {
      if (started === null) {
        started = Date.now();
        timer.textContent = t('engage.timer_stop');
      } else {
        const s = Math.round((Date.now() - started) / 1000);
        mins.value = Math.floor(s / 60);
        secs.value = s % 60;
        started = null;
        timer.textContent = t('engage.timer_start');
      }
    });
    const save = h('button', { type: 'submit', id: `outcome-submit-${id}`, class: 'primary' }, t('engage.submit'));
    const form = h('form', { class: 'outcome', novalidate: true, 'aria-labelledby': `outcome-title-${id}` },
      h('h3', { id: `outcome-title-${id}` }, t('engage.outcome')), fbox,
      h('fieldset', null, h('legend', null, t('engage.confirmed')),
        h('div', { class: 'radios' },
          h('label', { for: `confirmed-yes-${id}`, class: 'radio' }, yes, ' ', t('engage.yes')),
          h('label', { for: `confirmed-no-${id}`, class: 'radio' }, no, ' ', t('engage.no')))),
      h('div', { class: 'field' }, h('label', { for: `action-${id}` }, t('engage.action')), action),
      h('fieldset', null, h('legend', null, t('engage.duration')),
        h('div', { class: 'row duration' },
          h('div', { class: 'field' }, h('label', { for: `minutes-${id}` }, t('engage.minutes')), mins),
          h('div', { class: 'field' }, h('label', { for: `seconds-${id}` }, t('engage.seconds')), secs),
          h('div', { class: 'field' }, timer))),
      h('div', { class: 'field' }, h('label', { for: `group-${id}` }, t('engage.group')), group),
      h('div', { class: 'actions' }, save));
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      if (!yes.checked && !no.checked) return fbox.show(t('engage.need_confirmed'));
      if (!action.value) return fbox.show(t('engage.need_action'));
      const m = Number(mins.value || 0);
      const s = Number(secs.value || 0);
      if (!Number.isFinite(m) || !Number.isFinite(s) || m < 0 || s < 0 || (mins.value === '' && secs.value === ''))
        return fbox.show(t('engage.need_duration'));
      busy(save, fbox, async () => {
        await api.post(`/api/alerts/${id}/outcome`, {
          identity_confirmed: yes.checked, action: action.value,
          engagement_seconds: Math.round(m * 60 + s), group: group.value || null,
        });
        shown.delete(id);
        el.remove();
        done.prepend(h('div', { class: 'msg msg-ok', role: 'status', id: `alert-${id}-done` }, t('engage.done', { id })));
        update();
      });
    });
    const el = h('article', { class: 'card engage-card', id: `alert-${id}` },
      h('p', { class: 'warning', role: 'note' }, warning()),
      h('h2', null, t('alerts.title', { id })),
      h('div', { class: 'alert-grid' }, facePair(a), alertFacts(a)),
      form);
    return el;
  };

  const place = (a) => {
    if (a.status !== 'engage') {
      const el = shown.has(a.id) && document.getElementById(`alert-${a.id}`);
      if (el && a.status === 'closed') {
        el.remove();
        shown.delete(a.id);
      }
      update();
      return;
    }
    if (shown.has(a.id)) return;
    shown.set(a.id, a);
    list.prepend(card(a));
    if (loaded) signal({ title: t('engage.notify_title', { id: a.id }), body: t('engage.notify_body', { camera: a.camera }), tag: `lfr-engage-${a.id}` });
    update();
  };
  const load = async (background = false) => {
    for (const a of await (background ? api.poll : api.get)('/api/alerts?status=engage')) place(a);
  };
  try {
    await load();
  } catch (e) {
    box.error(e);
  }
  loaded = true;
  update();
  const onEvent = (ev) => {
    const { type, data } = ev.detail;
    if (type === 'resync') {
      load(true).catch(() => {});
      return;
    }
    if (!data || !data.id || (type !== 'alert' && type !== 'alert_update')) return;
    if (data.status && data.entry) place(data);
    else if (data.status === 'closed' || data.status === 'no_match') place({ id: data.id, status: data.status });
    else load(true).catch(() => {});
  };
  window.addEventListener('lfr-event', onEvent);
  // The stream may not carry the operator's decision: look every 5 s too.
  const timer = setInterval(() => load(true).catch(() => {}), 5000);
  return () => {
    window.removeEventListener('lfr-event', onEvent);
    clearInterval(timer);
  };
}
