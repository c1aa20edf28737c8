// The operator's alert queue (HIL-1, HIL-2): the captured face beside the
// watchlist photo, score, camera, time, category, reason and photo age; the
// decision. New alerts arrive by server-sent events, without reloading.
import * as api from '../api.js';
import { h, clear, messageBox, busy, fmtTime, photoAge, label } from '../ui.js';
import { categoryText } from './watchlist.js';
import { signal, signalControls } from '../signals.js';

export function facePair(a) {
  return h('div', { class: 'faces' },
    h('figure', null,
      a.has_crop === false ? h('div', { class: 'face none' }, 'no capture')
        : h('img', { class: 'face', src: `/api/alerts/${a.id}/crop`, alt: `Face captured by camera ${a.camera}`, width: 160, height: 160 }),
      h('figcaption', null, 'Captured')),
    h('figure', null,
      h('img', { class: 'face', src: `/api/alerts/${a.id}/photo`, alt: `Watchlist photo of ${a.entry ? a.entry.person_ref : 'the entry'}`, width: 160, height: 160 }),
      h('figcaption', null, 'Watchlist')));
}

export function alertFacts(a) {
  const e = a.entry || {};
  return h('dl', { class: 'kv facts' },
    h('dt', null, 'Person'), h('dd', null, h('strong', null, e.person_ref || '?')),
    h('dt', null, 'Category'), h('dd', null, categoryText(e.category || '?')),
    h('dt', null, 'Reason on list'), h('dd', null, e.reason || '-'),
    h('dt', null, 'Score'), h('dd', { class: 'score' }, typeof a.score === 'number' ? a.score.toFixed(3) : '?'),
    h('dt', null, 'Camera'), h('dd', null, a.camera),
    h('dt', null, 'Time'), h('dd', null, fmtTime(a.time_ms, true)),
    h('dt', null, 'Photo taken'), h('dd', null, `${e.photo_date || '?'} (${photoAge(e.photo_date)})`),
    h('dt', null, 'Deployment'), h('dd', null, a.deployment_name || `No. ${a.deployment}`));
}

const STATUS = { open: 'waiting for a decision', engage: 'engage: with the engagement officer', no_match: 'no match (false alert)', closed: 'closed with an outcome' };

export async function renderAlerts(root, ctx) {
  const box = messageBox();
  const announce = h('div', { class: 'sr-only', 'aria-live': 'assertive', id: 'alert-announce' });
  const queue = h('ul', { class: 'alert-queue', id: 'alert-queue', 'aria-label': 'Alerts waiting for a decision' });
  const empty = h('p', { class: 'muted', id: 'queue-empty' }, 'No alert is waiting. New alerts appear here by themselves.');
  const recentBody = h('tbody');
  root.append(
    h('div', { class: 'page-head' }, h('h1', null, 'Alert queue'),
      h('p', { class: 'muted' }, 'An alert is a possible match only. You decide: no match, or possible match and engage (HIL-2). Nothing happens automatically (PRI-4).'),
      signalControls()),
    box, announce, empty, queue,
    h('div', { class: 'card' }, h('h2', null, 'Decided recently'),
      h('div', { class: 'table-wrap' }, h('table', { class: 'data', id: 'recent-alerts' },
        h('thead', null, h('tr', null, ['Alert', 'Time', 'Person', 'Camera', 'Score', 'Status'].map((c) => h('th', { scope: 'col' }, c)))), recentBody))));

  const open = new Map();
  const recent = new Map();
  let loaded = false; // alerts found after the first load are new to the operator

  const renderRecent = () => {
    clear(recentBody);
    const rows = [...recent.values()].sort((a, b) => b.id - a.id).slice(0, 20);
    if (!rows.length) recentBody.appendChild(h('tr', null, h('td', { colspan: 6, class: 'muted' }, 'None yet.')));
    for (const a of rows) recentBody.appendChild(h('tr', null,
      h('td', { class: 'num' }, a.id), h('td', null, fmtTime(a.time_ms, true)), h('td', null, a.entry ? a.entry.person_ref : ''),
      h('td', null, a.camera), h('td', { class: 'num' }, a.score.toFixed(3)), h('td', null, STATUS[a.status] || label(a.status))));
  };
  const update = () => {
    empty.hidden = open.size > 0;
    ctx.setCount('alerts', open.size);
  };

  const card = (a, fresh) => {
    const cbox = messageBox();
    const no = h('button', { type: 'button', class: 'secondary', id: `decide-no-${a.id}` }, 'No match (false alert)');
    const yes = h('button', { type: 'button', class: 'primary', id: `decide-engage-${a.id}` }, 'Possible match: engage');
    const decide = (engage, b) => busy(b, cbox, async () => {
      await api.post(`/api/alerts/${a.id}/decision`, { engage });
      place({ ...a, status: engage ? 'engage' : 'no_match' });
    });
    no.addEventListener('click', () => decide(false, no));
    yes.addEventListener('click', () => decide(true, yes));
    return h('li', { class: `alert-card card${fresh ? ' fresh' : ''}`, id: `alert-${a.id}`, tabindex: '-1', 'aria-labelledby': `alert-title-${a.id}` },
      h('h2', { id: `alert-title-${a.id}` }, `Alert ${a.id}: possible match`),
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
      if (fresh || loaded) signal({ title: `Alert ${a.id}: possible match`, body: `Camera ${a.camera}: waiting for your decision.`, tag: `lfr-alert-${a.id}` });
      if (fresh) announce.textContent = `New alert ${a.id}: possible match for ${a.entry ? a.entry.person_ref : 'a watchlist entry'} at camera ${a.camera}`;
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
          const a = open.get(data.id);
          announce.textContent = `New alert ${a.id}: possible match for ${a.entry ? a.entry.person_ref : 'a watchlist entry'} at camera ${a.camera}`;
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
