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
