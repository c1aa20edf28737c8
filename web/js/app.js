// app.js - the console: session, role-based navigation, hash routes, and
// the server-sent events stream shared by the pages.
import * as api from './api.js';
import { h, clear, rankText, roleText } from './ui.js';
import { t, loadLanguage, language, setLanguage, LANGUAGES } from './i18n.js';
import { renderLogin, renderNewPassword } from './pages/login.js';
import { renderDeployments } from './pages/deployments.js';
import { renderDeployment } from './pages/deployment.js';
import { renderAlerts } from './pages/alerts.js';
import { renderEngage } from './pages/engage.js';
import { renderHistory } from './pages/history.js';
import { renderSar } from './pages/sar.js';
import { renderHolds } from './pages/holds.js';
import { renderAudit } from './pages/audit.js';
import { renderOversight } from './pages/oversight.js';
import { renderUsers } from './pages/users.js';
import { renderNodes } from './pages/nodes.js';

// Each page and the roles that may use it (SEC-1). The server enforces the
// same rules; the console only hides what a role cannot use.
const PAGES = [
  { id: 'deployments', title: 'nav.deployments', render: renderDeployments,
    roles: ['applicant', 'authoriser', 'reviewer', 'operator', 'auditor', 'oversight'] },
  { id: 'alerts', title: 'nav.alerts', render: renderAlerts, roles: ['operator'] },
  { id: 'engage', title: 'nav.engage', render: renderEngage, roles: ['engagement'] },
  { id: 'history', title: 'nav.history', render: renderHistory, roles: ['operator', 'engagement', 'auditor'] },
  { id: 'holds', title: 'nav.holds', render: renderHolds,
    roles: ['operator', 'engagement', 'authoriser', 'auditor'] },
  { id: 'audit', title: 'nav.audit', render: renderAudit, roles: ['auditor'] },
  { id: 'sar', title: 'nav.sar', render: renderSar, roles: ['auditor'] },
  { id: 'oversight', title: 'nav.oversight', render: renderOversight, roles: ['oversight', 'auditor'] },
  { id: 'users', title: 'nav.users', render: renderUsers, roles: ['admin'] },
  { id: 'nodes', title: 'nav.nodes', render: renderNodes, roles: ['admin'] },
];

const state = { me: null, cleanup: null, events: null, retryMs: 1000, reopen: null, lostTimer: null, lost: false, idleTimer: null };
const main = document.getElementById('main');
const nav = document.getElementById('nav');
const who = document.getElementById('who');
const live = document.getElementById('live');

export const hasRole = (r) => !!state.me && state.me.user.roles.includes(r);
const allowed = (page) => page.roles.some(hasRole);

function setSession(me) {
  state.me = me;
  api.setCsrf(me ? me.csrf : null);
  renderChrome();
  if (me && (hasRole('operator') || hasRole('engagement'))) openEvents();
  else closeEvents();
  clearInterval(state.idleTimer);
  hideIdle();
  if (me) state.idleTimer = setInterval(checkIdle, 1000);
}

// The other language, offered in its own words on every page.
function languageSwitch() {
  const [code, name] = LANGUAGES.find(([l]) => l !== language());
  return h('button', { type: 'button', class: 'secondary small', id: 'language', lang: code,
    onclick: () => setLanguage(code) }, name);
}

function renderChrome() {
  clear(nav);
  clear(who);
  document.body.classList.toggle('signed-in', !!state.me);
  if (!state.me) {
    who.append(languageSwitch());
    return;
  }
  const current = location.hash.split('/')[1] || '';
  for (const p of PAGES.filter(allowed)) {
    nav.appendChild(h('a', { href: `#/${p.id}`, id: `nav-${p.id}`,
      'aria-current': current === p.id ? 'page' : null }, t(p.title),
    p.id === 'alerts' || p.id === 'engage' ? h('span', { class: 'count', id: `count-${p.id}`, hidden: true }) : null));
  }
  const u = state.me.user;
  who.append(
    h('span', { class: 'user' }, h('strong', null, u.name),
      ' ', h('span', { class: 'muted' }, [u.rank && u.rank !== 'none' ? rankText(u.rank) : null, u.roles.map(roleText).join(', ')].filter(Boolean).join(' · '))),
    h('a', { href: '#/password', id: 'password-link', class: 'small' }, t('chrome.password')),
    ' ',
    languageSwitch(), ' ',
    h('button', { type: 'button', class: 'secondary small', id: 'logout', onclick: logout }, t('chrome.sign_out')));
}

async function logout() {
  try {
    await api.post('/api/logout');
  } catch {
    /* the session may have ended already */
  }
  setSession(null);
  location.hash = '#/login';
}

// One EventSource for the whole console; pages listen to 'lfr-event'.
// EventSource reconnects by itself after a dropped connection but gives up
// on an HTTP error (CLOSED): then the console checks that it is still
// signed in and opens a new stream, waiting longer each time (to 30 s).
// Events missed while away cannot be replayed, so pages get 'resync' and
// read their lists again, as when the server says a listener fell behind.
function openEvents() {
  if (state.events) return;
  const es = new EventSource('/api/events', { withCredentials: true });
  state.events = es;
  const relay = (type) => es.addEventListener(type, (ev) => {
    let data = null;
    try {
      data = JSON.parse(ev.data);
    } catch {
      return;
    }
    window.dispatchEvent(new CustomEvent('lfr-event', { detail: { type, data } }));
  });
  ['alert', 'alert_update', 'camera', 'deployment', 'resync'].forEach(relay);
  es.onopen = () => {
    const wasLost = state.lost;
    setLive(true);
    state.retryMs = 1000;
    if (wasLost) window.dispatchEvent(new CustomEvent('lfr-event', { detail: { type: 'resync', data: {} } }));
  };
  es.onerror = () => {
    if (es.readyState === EventSource.OPEN) return;
    setLive(false);
    if (es.readyState !== EventSource.CLOSED) return;
    es.close();
    state.events = null;
    const wait = state.retryMs;
    state.retryMs = Math.min(state.retryMs * 2, 30000);
    state.reopen = setTimeout(async () => {
      try {
        await api.poll('/api/me');
      } catch (e) {
        if (e.status === 401) return; // signed out: lfr-unauthenticated shows the sign-in page
      }
      if (state.me) openEvents();
      if (!state.events) setLive(false);
    }, wait);
  };
}

function closeEvents() {
  clearTimeout(state.reopen);
  if (state.events) state.events.close();
  state.events = null;
  live.hidden = true;
  setLost(false);
}

function setLive(ok) {
  live.hidden = false;
  live.className = ok ? 'live on' : 'live off';
  live.textContent = t(ok ? 'chrome.live_on' : 'chrome.live_reconnecting');
  live.title = live.textContent;
  if (ok) {
    clearTimeout(state.lostTimer);
    state.lostTimer = null;
    setLost(false);
  } else if (!state.lost && !state.lostTimer) {
    // A blip (a proxy recycling the connection) is not worth a banner.
    state.lostTimer = setTimeout(() => {
      state.lostTimer = null;
      setLost(true);
    }, 3000);
  }
}

// The banner an officer cannot miss while new alerts cannot reach them.
function setLost(lost) {
  state.lost = lost;
  let el = document.getElementById('connection-lost');
  if (!lost) {
    if (el) el.remove();
    return;
  }
  if (el) return;
  el = h('div', { id: 'connection-lost', class: 'banner-lost', role: 'alert' },
    h('strong', null, t('chrome.lost')), ' ', t('chrome.lost_detail'));
  document.body.insertBefore(el, main);
}

// The session's idle timeout (the server's): a warning before it, with a
// button to stay; or, where the force's rule says so, an alert queue that
// is open and visible keeps the session awake by itself.
function checkIdle() {
  const s = state.me && state.me.session;
  if (!s || !s.idle_ms) return;
  const page = location.hash.replace(/^#\/?/, '').split('/')[0];
  const queueOpen = (page === 'alerts' && hasRole('operator')) || (page === 'engage' && hasRole('engagement'));
  const idle = Date.now() - api.lastActive();
  if (s.queue_keeps_session && queueOpen && document.visibilityState === 'visible') {
    hideIdle();
    if (idle > s.idle_ms / 3) api.get('/api/me').catch(() => {});
    return;
  }
  const lead = Math.min(120000, s.idle_ms / 4);
  const left = s.idle_ms - idle;
  if (left > lead) {
    hideIdle();
    return;
  }
  if (left <= 0) {
    // Signed out by now: the server's answer takes the console to sign-in.
    hideIdle();
    api.poll('/api/me').catch(() => {});
    return;
  }
  showIdle(left);
}

function showIdle(leftMs) {
  const secs = Math.ceil(leftMs / 1000);
  const text = t('chrome.idle_warning', { time: `${Math.floor(secs / 60)}:${String(secs % 60).padStart(2, '0')}` });
  let el = document.getElementById('idle-warning');
  if (el) {
    el.querySelector('.idle-text').textContent = text;
    return;
  }
  const stay = h('button', { type: 'button', class: 'primary', id: 'idle-stay' }, t('chrome.idle_stay'));
  stay.addEventListener('click', () => {
    hideIdle();
    api.get('/api/me').catch(() => {});
  });
  el = h('div', { id: 'idle-warning', class: 'idle-warning', role: 'alertdialog', 'aria-labelledby': 'idle-text' },
    h('p', { class: 'idle-text', id: 'idle-text' }, text), stay);
  document.body.appendChild(el);
  stay.focus();
}

function hideIdle() {
  const el = document.getElementById('idle-warning');
  if (el) el.remove();
}

export function setCount(page, n) {
  const el = document.getElementById(`count-${page}`);
  if (!el) return;
  el.hidden = !n;
  el.textContent = String(n);
  el.setAttribute('aria-label', t('chrome.waiting', { n }));
}

async function route() {
  if (state.cleanup) {
    try {
      state.cleanup();
    } catch {
      /* nothing to keep */
    }
    state.cleanup = null;
  }
  const parts = location.hash.replace(/^#\/?/, '').split('/').filter(Boolean);
  clear(main);
  if (!state.me) {
    if (parts[0] !== 'login') {
      history.replaceState(null, '', '#/login');
    }
    document.title = `${t('login.title')} - OpenLFR`;
    renderLogin(main, { onLogin: (me) => { setSession(me); location.hash = '#/' + home(); } });
    main.focus();
    return;
  }
  if (state.me.user.must_change || parts[0] === 'password') {
    const oneTime = !!state.me.user.must_change;
    document.title = `${t(oneTime ? 'password.choose_title' : 'password.change_title')} - OpenLFR`;
    renderChrome();
    renderNewPassword(main, {
      oneTime,
      onChanged: (me) => {
        setSession(me);
        const target = '#/' + home();
        if (location.hash === target) route();
        else location.hash = target;
      },
    });
    return;
  }
  let page = PAGES.find((p) => p.id === parts[0]);
  if (!page || !allowed(page)) {
    if (parts[0] && parts[0] !== 'login' && page) {
      main.appendChild(h('div', { class: 'msg msg-error', role: 'alert' }, t('chrome.role_refused')));
    }
    history.replaceState(null, '', '#/' + home());
    page = PAGES.find((p) => p.id === home());
    if (!page) {
      main.appendChild(h('p', null, t('chrome.no_page')));
      return;
    }
    parts.splice(0, parts.length, page.id);
  }
  renderChrome();
  const ctx = { me: state.me, hasRole, params: parts.slice(1), setCount };
  let render = page.render;
  if (page.id === 'deployments' && parts[1]) render = renderDeployment;
  document.title = `${t(page.title)} - OpenLFR`;
  const container = h('div', { class: 'page' });
  main.appendChild(container);
  state.cleanup = (await render(container, ctx)) || null;
  main.focus({ preventScroll: true });
}

// Where each role starts: operators at the alert queue, engagement officers
// at their engagements, overseers at the aggregates.
function home() {
  if (hasRole('operator')) return 'alerts';
  if (hasRole('engagement')) return 'engage';
  if (hasRole('oversight') && !hasRole('auditor')) return 'oversight';
  const p = PAGES.find(allowed);
  return p ? p.id : 'login';
}

window.addEventListener('hashchange', route);
window.addEventListener('lfr-unauthenticated', () => {
  if (!state.me) return;
  setSession(null);
  route();
});

async function start() {
  try {
    await loadLanguage();
  } catch (e) {
    main.appendChild(h('p', { class: 'msg msg-error', role: 'alert' }, String(e.message || e)));
    return;
  }
  // The page itself, written in English, in the reader's language.
  nav.setAttribute('aria-label', t('chrome.pages'));
  document.querySelector('.skip').textContent = t('chrome.skip');
  document.getElementById('brand-console').textContent = t('chrome.console');
  try {
    setSession(await api.get('/api/me'));
  } catch {
    setSession(null);
  }
  if (state.me && (!location.hash || location.hash === '#/login')) location.hash = '#/' + home();
  else route();
}

start();
