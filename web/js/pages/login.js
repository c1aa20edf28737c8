// Sign in (POST /api/login).
import * as api from '../api.js';
import { h, messageBox, busy } from '../ui.js';

export function renderLogin(root, { onLogin }) {
  const box = messageBox();
  const name = h('input', { id: 'login-name', name: 'username', autocomplete: 'username', required: true, autocapitalize: 'none', spellcheck: 'false' });
  const password = h('input', { id: 'login-password', name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const button = h('button', { type: 'submit', id: 'login-submit' }, 'Sign in');
  const form = h('form', { class: 'card login', novalidate: true },
    h('h1', null, 'Sign in'),
    h('p', { class: 'muted' }, 'Live facial recognition console. Every action is recorded in the audit log under your name.'),
    box,
    h('div', { class: 'field' }, h('label', { for: 'login-name' }, 'User name'), name),
    h('div', { class: 'field' }, h('label', { for: 'login-password' }, 'Password'), password),
    h('div', { class: 'actions' }, button));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    if (!name.value || !password.value) {
      box.show('Enter your user name and password.');
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
  const button = h('button', { type: 'submit', id: 'pw-submit' }, 'Change password');
  const form = h('form', { class: 'card login', novalidate: true },
    h('h1', null, oneTime ? 'Choose your password' : 'Change your password'),
    h('p', { class: 'muted' }, oneTime
      ? 'The password you signed in with was for one sign-in only. Choose your own: 12 characters or more.'
      : 'At least 12 characters. Your other sessions end when it changes.'),
    box,
    h('div', { class: 'field' }, h('label', { for: 'pw-current' }, oneTime ? 'One-time password' : 'Current password'), current),
    h('div', { class: 'field' }, h('label', { for: 'pw-new' }, 'New password'), fresh),
    h('div', { class: 'field' }, h('label', { for: 'pw-again' }, 'New password again'), again),
    h('div', { class: 'actions' }, button));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    if (fresh.value !== again.value) {
      box.show('The two new passwords differ.');
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
