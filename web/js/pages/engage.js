// The engagement officer's view (HIL-2, HIL-4), made for a phone: the
// alerts the operator sent, the plain warning, and the outcome form.
import * as api from '../api.js';
import { h, messageBox, busy, outcomes } from '../ui.js';
import { facePair, alertFacts } from './alerts.js';
import { signal, signalControls } from '../signals.js';

export const WARNING = 'Possible match - verify identity; this is not by itself a reason to arrest';

// Officer-recorded group for equality monitoring (PUB-6), UK census groups.
const GROUPS = ['Asian', 'Black', 'Mixed', 'White', 'Other'];

export async function renderEngage(root, ctx) {
  const box = messageBox();
  const list = h('div', { id: 'engage-list' });
  const empty = h('p', { class: 'muted', id: 'engage-empty' }, 'No engagement is waiting. Alerts the operator sends to you appear here by themselves.');
  const done = h('div', { id: 'engage-done' });
  root.append(h('div', { class: 'page-head' }, h('h1', null, 'Engagements'), signalControls()), box, done, empty, list);
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
    const action = h('select', { id: `action-${id}`, required: true }, h('option', { value: '' }, '- choose -'), outcomes().map(([v, text]) => h('option', { value: v }, text)));
    const mins = h('input', { id: `minutes-${id}`, type: 'number', min: 0, max: 1440, step: 1, inputmode: 'numeric', value: '' });
    const secs = h('input', { id: `seconds-${id}`, type: 'number', min: 0, max: 59, step: 1, inputmode: 'numeric', value: '' });
    const group = h('select', { id: `group-${id}` }, h('option', { value: '' }, 'Not recorded'), GROUPS.map((g) => h('option', { value: g }, g)));
    let started = null;
    const timer = h('button', { type: 'button', class: 'secondary small', id: `timer-${id}` }, 'Start timer');
    timer.addEventListener('click', () => {
      if (started === null) {
        started = Date.now();
        timer.textContent = 'Stop timer';
      } else {
        const s = Math.round((Date.now() - started) / 1000);
        mins.value = Math.floor(s / 60);
        secs.value = s % 60;
        started = null;
        timer.textContent = 'Start timer';
      }
    });
    const save = h('button', { type: 'submit', id: `outcome-submit-${id}`, class: 'primary' }, 'Record outcome');
    const form = h('form', { class: 'outcome', novalidate: true, 'aria-labelledby': `outcome-title-${id}` },
      h('h3', { id: `outcome-title-${id}` }, 'Outcome'), fbox,
      h('fieldset', null, h('legend', null, 'Identity confirmed?'),
        h('div', { class: 'radios' }, h('label', { for: `confirmed-yes-${id}`, class: 'radio' }, yes, ' Yes'), h('label', { for: `confirmed-no-${id}`, class: 'radio' }, no, ' No'))),
      h('div', { class: 'field' }, h('label', { for: `action-${id}` }, 'Action taken'), action),
      h('fieldset', null, h('legend', null, 'How long the engagement took'),
        h('div', { class: 'row duration' },
          h('div', { class: 'field' }, h('label', { for: `minutes-${id}` }, 'Minutes'), mins),
          h('div', { class: 'field' }, h('label', { for: `seconds-${id}` }, 'Seconds'), secs),
          h('div', { class: 'field' }, timer))),
      h('div', { class: 'field' }, h('label', { for: `group-${id}` }, 'Group (officer-recorded, for equality monitoring)'), group),
      h('div', { class: 'actions' }, save));
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      if (!yes.checked && !no.checked) return fbox.show('Say whether the identity was confirmed.');
      if (!action.value) return fbox.show('Choose the action taken.');
      const m = Number(mins.value || 0);
      const s = Number(secs.value || 0);
      if (!Number.isFinite(m) || !Number.isFinite(s) || m < 0 || s < 0 || (mins.value === '' && secs.value === ''))
        return fbox.show('Give how long the engagement took.');
      busy(save, fbox, async () => {
        await api.post(`/api/alerts/${id}/outcome`, {
          identity_confirmed: yes.checked, action: action.value,
          engagement_seconds: Math.round(m * 60 + s), group: group.value || null,
        });
        shown.delete(id);
        el.remove();
        done.prepend(h('div', { class: 'msg msg-ok', role: 'status', id: `alert-${id}-done` }, `Outcome of alert ${id} recorded; the alert is closed.`));
        update();
      });
    });
    const el = h('article', { class: 'card engage-card', id: `alert-${id}` },
      h('p', { class: 'warning', role: 'note' }, WARNING),
      h('h2', null, `Alert ${id}`),
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
    if (loaded) signal({ title: `Engage: alert ${a.id}`, body: `Camera ${a.camera}: the operator asks you to verify identity.`, tag: `lfr-engage-${a.id}` });
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
