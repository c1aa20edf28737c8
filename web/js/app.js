// app.js - the console: session, role-based navigation, hash routes, and
// the server-sent events stream shared by the pages.
import * as api from './api.js';
import { h, clear } from './ui.js';
import { renderLogin, renderNewPassword } from './pages/login.js';
import { renderDeployments } from './pages/deployments.js';
import { renderDeployment } from './pages/deployment.js';
import { renderAlerts } from './pages/alerts.js';
import { renderEngage } from './pages/engage.js';
import { renderAudit } from './pages/audit.js';
import { renderOversight } from './pages/oversight.js';
import { renderUsers } from './pages/users.js';

// Each page and the roles that may use it (SEC-1). The server enforces the
// same rules; the console only hides what a role cannot use.
const PAGES = [
  { id: 'deployments', title: 'Deployments', render: renderDeployments,
    roles: ['applicant', 'authoriser', 'reviewer', 'operator', 'auditor', 'oversight'] },
  { id: 'alerts', title: 'Alert queue', render: renderAlerts, roles: ['operator'] },
  { id: 'engage', title: 'Engagements', render: renderEngage, roles: ['engagement'] },
  { id: 'audit', title: 'Audit log', render: renderAudit, roles: ['auditor'] },
  { id: 'oversight', title: 'Oversight', render: renderOversight, roles: ['oversight', 'auditor'] },
  { id: 'users', title: 'Users', render: renderUsers, roles: ['admin'] },
];

const state = { me: null, cleanup: null, events: null };
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
}

function renderChrome() {
  clear(nav);
  clear(who);
  document.body.classList.toggle('signed-in', !!state.me);
  if (!state.me) return;
  const current = location.hash.split('/')[1] || '';
  for (const p of PAGES.filter(allowed)) {
    nav.appendChild(h('a', { href: `#/${p.id}`, id: `nav-${p.id}`,
      'aria-current': current === p.id ? 'page' : null }, p.title,
    p.id === 'alerts' || p.id === 'engage' ? h('span', { class: 'count', id: `count-${p.id}`, hidden: true }) : null));
  }
  const u = state.me.user;
  who.append(
    h('span', { class: 'user' }, h('strong', null, u.name),
      ' ', h('span', { class: 'muted' }, [u.rank && u.rank !== 'none' ? u.rank.replace(/_/g, ' ') : null, u.roles.join(', ')].filter(Boolean).join(' · '))),
    h('a', { href: '#/password', id: 'password-link', class: 'small' }, 'Password'),
    ' ',
    h('button', { type: 'button', class: 'secondary small', id: 'logout', onclick: logout }, 'Sign out'));
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
  ['alert', 'alert_update', 'camera', 'deployment'].forEach(relay);
  es.onopen = () => setLive(true);
  es.onerror = () => setLive(es.readyState === EventSource.OPEN);
}

function closeEvents() {
  if (state.events) state.events.close();
  state.events = null;
  live.hidden = true;
}

function setLive(ok) {
  live.hidden = false;
  live.className = ok ? 'live on' : 'live off';
  live.textContent = ok ? 'Live updates on' : 'Live updates reconnecting…';
  live.title = live.textContent;
}

export function setCount(page, n) {
  const el = document.getElementById(`count-${page}`);
  if (!el) return;
  el.hidden = !n;
  el.textContent = String(n);
  el.setAttribute('aria-label', `${n} waiting`);
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
    document.title = 'Sign in - OpenLFR';
    renderLogin(main, { onLogin: (me) => { setSession(me); location.hash = '#/' + home(); } });
    main.focus();
    return;
  }
  if (state.me.user.must_change || parts[0] === 'password') {
    const oneTime = !!state.me.user.must_change;
    document.title = (oneTime ? 'Choose' : 'Change') + ' your password - OpenLFR';
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
      main.appendChild(h('div', { class: 'msg msg-error', role: 'alert' }, 'Your role may not use that page.'));
    }
    history.replaceState(null, '', '#/' + home());
    page = PAGES.find((p) => p.id === home());
    if (!page) {
      main.appendChild(h('p', null, 'Your roles give you no page in this console.'));
      return;
    }
    parts.splice(0, parts.length, page.id);
  }
  renderChrome();
  const ctx = { me: state.me, hasRole, params: parts.slice(1), setCount };
  let render = page.render;
  if (page.id === 'deployments' && parts[1]) render = renderDeployment;
  document.title = `${page.title} - OpenLFR`;
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
    setSession(await api.get('/api/me'));
  } catch {
    setSession(null);
  }
  if (state.me && (!location.hash || location.hash === '#/login')) location.hash = '#/' + home();
  else route();
}

start();
