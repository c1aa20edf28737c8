// The operator's alert queue (HIL-1, HIL-2): the captured face beside the
// watchlist photo, score, camera, time, category, reason and photo age; the
// decision. New alerts arrive by server-sent events, without reloading.
import * as api from '../api.js';
import { h, clear, messageBox, busy, fmtTime, photoAge, label, decisions } from '../ui.js';
import { t } from '../i18n.js';
import { categoryText } from './watchlist.js';
import { signal, signalControls } from '../signals.js';

// "No. 7": a deployment by its number, on every page of alerts.
export const deploymentNo = (id) => t('alerts.number', { n: id });

export function facePair(a) {
  return h('div', { class: 'faces' },
    h('figure', null,
      a.has_crop === false ? h('div', { class: 'face none' }, t('alerts.no_capture'))
        : h('img', { class: 'face', src: `/api/alerts/${a.id}/crop`, alt: t('alerts.captured_alt', { camera: a.camera }), width: 160, height: 160 }),
      h('figcaption', null, t('alerts.captured'))),
    h('figure', null,
      h('img', { class: 'face', src: `/api/alerts/${a.id}/photo`,
        alt: t('alerts.photo_alt', { person: a.entry ? a.entry.person_ref : t('alerts.the_entry') }), width: 160, height: 160 }),
      h('figcaption', null, t('alerts.watchlist'))));
}

export function alertFacts(a) {
  const e = a.entry || {};
  return h('dl', { class: 'kv facts' },
    h('dt', null, t('alerts.person')), h('dd', null, h('strong', null, e.person_ref || '?')),
    h('dt', null, t('alerts.category')), h('dd', null, categoryText(e.category || '?')),
    h('dt', null, t('alerts.reason')), h('dd', null, e.reason || '-'),
    h('dt', null, t('alerts.score')), h('dd', { class: 'score' }, typeof a.score === 'number' ? a.score.toFixed(3) : '?'),
    h('dt', null, t('alerts.camera')), h('dd', null, a.camera),
    h('dt', null, t('alerts.time')), h('dd', null, fmtTime(a.time_ms, true)),
    h('dt', null, t('alerts.photo_taken')), h('dd', null, `${e.photo_date || '?'} (${photoAge(e.photo_date)})`),
    h('dt', null, t('alerts.deployment')), h('dd', null, a.deployment_name || deploymentNo(a.deployment)));
}

// An alert's decision in the words every page uses for it.
const statusText = (status) => (decisions().find(([v]) => v === status) || [status, label(status)])[1];

export async function renderAlerts(root, ctx) {
  const box = messageBox();
  const announce = h('div', { class: 'sr-only', 'aria-live': 'assertive', id: 'alert-announce' });
  const queue = h('ul', { class: 'alert-queue', id: 'alert-queue', 'aria-label': t('alerts.queue_label') });
  const empty = h('p', { class: 'muted', id: 'queue-empty' }, t('alerts.empty'));
  const recentBody = h('tbody');
  root.append(
    h('div', { class: 'page-head' }, h('h1', null, t('nav.alerts')),
      h('p', { class: 'muted' }, t('alerts.intro')),
      signalControls()),
    box, announce, empty, queue,
    h('div', { class: 'card' }, h('h2', null, t('alerts.recent')),
      h('div', { class: 'table-wrap' }, h('table', { class: 'data', id: 'recent-alerts' },
        h('thead', null, h('tr', null, ['alert', 'time', 'person', 'camera', 'score', 'status']
          .map((c) => h('th', { scope: 'col' }, t(`alerts.${c}`))))), recentBody))));

  const open = new Map();
  const recent = new Map();
  let loaded = false; // alerts found after the first load are new to the operator

  const renderRecent = () => {
    clear(recentBody);
    const rows = [...recent.values()].sort((a, b) => b.id - a.id).slice(0, 20);
    if (!rows.length) recentBody.appendChild(h('tr', null, h('td', { colspan: 6, class: 'muted' }, t('alerts.none_yet'))));
    for (const a of rows) recentBody.appendChild(h('tr', null,
      h('td', { class: 'num' }, a.id), h('td', null, fmtTime(a.time_ms, true)), h('td', null, a.entry ? a.entry.person_ref : ''),
      h('td', null, a.camera), h('td', { class: 'num' }, a.score.toFixed(3)), h('td', null, statusText(a.status))));
  };
  const update = () => {
    empty.hidden = open.size > 0;
    ctx.setCount('alerts', open.size);
  };
  // Read out by a screen reader as the alert arrives.
  const announceNew = (a) => {
    announce.textContent = t('alerts.announce', { id: a.id, camera: a.camera,
      person: a.entry ? a.entry.person_ref : t('alerts.an_entry') });
  };

  const card = (a, fresh) => {
    const cbox = messageBox();
    const no = h('button', { type: 'button', class: 'secondary', id: `decide-no-${a.id}` }, t('decision.no_match'));
    const yes = h('button', { type: 'button', class: 'primary', id: `decide-engage-${a.id}` }, t('alerts.decide_engage'));
    const decide = (engage, b) => busy(b, cbox, async () => {
      await api.post(`/api/alerts/${a.id}/decision`, { engage });
      place({ ...a, status: engage ? 'engage' : 'no_match' });
    });
    no.addEventListener('click', () => decide(false, no));
    yes.addEventListener('click', () => decide(true, yes));
    return h('li', { class: `alert-card card${fresh ? ' fresh' : ''}`, id: `alert-${a.id}`, tabindex: '-1', 'aria-labelledby': `alert-title-${a.id}` },
      h('h2', { id: `alert-title-${a.id}` }, t('alerts.card_title', { id: a.id })),
      h('div', { class: 'alert-grid' }, facePair(a), alertFacts(a)),
      cbox, h('div', { class: 'actions decision' }, no, yes));
  };

  const place = (a, fresh = false) => {
    const old = document.getElementById(`alert-${a.id}`);
    if (a.status === 'open') {
      if (open.has(a.id)) return;
      open.set(a.id, a);
      const el = card(a, fresh);
      const after = [...queue.children].find((c) => Number(c.id.slice(6)) < a.id);
      queue.insertBefore(el, after || null);
      if (fresh || loaded) signal({ title: t('alerts.card_title', { id: a.id }), body: t('alerts.notify_body', { camera: a.camera }), tag: `lfr-alert-${a.id}` });
      if (fresh) announceNew(a);
    } else {
      open.delete(a.id);
      if (old) old.remove();
      recent.set(a.id, a);
      renderRecent();
    }
    update();
  };

  const load = async (background = false) => {
    const read = background ? api.poll : api.get;
    const [o, e, n] = await Promise.all(['open', 'engage', 'no_match'].map((s) => read(`/api/alerts?status=${s}`)));
    for (const a of o) place(a);
    for (const a of [...e, ...n]) place(a);
  };
  try {
    await load();
  } catch (e) {
    box.error(e);
  }
  loaded = true;
  renderRecent();
  update();

  // An event may carry the whole alert row or only its id (and status):
  // what is missing is fetched with the list.
  let loading = null;
  const reload = () => (loading = loading || load(true).catch((e) => box.error(e)).finally(() => (loading = null)));
  const onEvent = (ev) => {
    const { type, data } = ev.detail;
    if (type === 'resync') { // events were missed: read the queue again
      reload();
      return;
    }
    if (!data || !data.id) return;
    if (type === 'alert') {
      if (data.status && data.entry) place(data, true);
      else reload().then(() => {
        const el = document.getElementById(`alert-${data.id}`);
        if (el && open.has(data.id)) {
          el.classList.add('fresh');
          announceNew(open.get(data.id));
        }
      });
    } else if (type === 'alert_update' && data.status) {
      const known = open.get(data.id) || recent.get(data.id);
      if (known) place({ ...known, status: data.status });
      else reload();
    }
  };
  window.addEventListener('lfr-event', onEvent);
  // A fallback for a dropped stream: look again every 20 s.
  const timer = setInterval(() => load(true).catch(() => {}), 20000);
  return () => {
    window.removeEventListener('lfr-event', onEvent);
    clearInterval(timer);
  };
}
