// Sign in (POST /api/login).
import * as api from '../api.js';
import { h, messageBox, busy } from '../ui.js';
import { t } from '../i18n.js';

export function renderLogin(root, { onLogin }) {
  const box = messageBox();
  const name = h('input', { id: 'login-name', name: 'username', autocomplete: 'username', required: true, autocapitalize: 'none', spellcheck: 'false' });
  const password = h('input', { id: 'login-password', name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const button = h('button', { type: 'submit', id: 'login-submit' }, t('login.submit'));
  const form = h('form', { class: 'card login', novalidate: true },
    h('h1', null, t('login.title')),
    h('p', { class: 'muted' }, t('login.intro')),
    box,
    h('div', { class: 'field' }, h('label', { for: 'login-name' }, t('login.name')), name),
    h('div', { class: 'field' }, h('label', { for: 'login-password' }, t('login.password')), password),
    h('div', { class: 'actions' }, button));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    if (!name.value || !password.value) {
      box.show(t('login.missing'));
      return;
    }
    busy(button, box, async () => {
      const me = await api.post('/api/login', { name: name.value, password: password.value });
      password.value = '';
      onLogin(me);
    });
  });
  root.appendChild(h('div', { class: 'login-wrap' }, form));
  name.focus();
}

// A new password (POST /api/me/password): a one-time password (the first
// administrator's) must be replaced before anything else; anyone may change
// their own at any time.
export function renderNewPassword(root, { onChanged, oneTime = true }) {
  const box = messageBox();
  const current = h('input', { id: 'pw-current', type: 'password', autocomplete: 'current-password', required: true });
  const fresh = h('input', { id: 'pw-new', type: 'password', autocomplete: 'new-password', required: true, minlength: 12 });
  const again = h('input', { id: 'pw-again', type: 'password', autocomplete: 'new-password', required: true });
  const button = h('button', { type: 'submit', id: 'pw-submit' }, t('password.submit'));
  const form = h('form', { class: 'card login', novalidate: true },
    h('h1', null, t(oneTime ? 'password.choose_title' : 'password.change_title')),
    h('p', { class: 'muted' }, t(oneTime ? 'password.one_time_intro' : 'password.change_intro')),
    box,
    h('div', { class: 'field' }, h('label', { for: 'pw-current' }, t(oneTime ? 'password.one_time' : 'password.current')), current),
    h('div', { class: 'field' }, h('label', { for: 'pw-new' }, t('password.new')), fresh),
    h('div', { class: 'field' }, h('label', { for: 'pw-again' }, t('password.again')), again),
    h('div', { class: 'actions' }, button));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    if (fresh.value !== again.value) {
      box.show(t('password.differ'));
      return;
    }
    busy(button, box, async () => {
      const me = await api.post('/api/me/password', { current: current.value, new: fresh.value });
      current.value = fresh.value = again.value = '';
      onChanged(me);
    });
  });
  root.appendChild(h('div', { class: 'login-wrap' }, form));
  current.focus();
}
