// Users (administrators): named users with roles and ranks (SEC-1). The
// server refuses mixes that break separation of duties.
import * as api from '../api.js';
import { h, clear, messageBox, busy, ROLES, RANKS, roleText, rankText } from '../ui.js';
import { t } from '../i18n.js';

export async function renderUsers(root, ctx) {
  const box = messageBox();
  const tbody = h('tbody');
  root.append(h('div', { class: 'page-head' }, h('h1', null, t('nav.users'))), box,
    h('div', { class: 'card' }, h('div', { class: 'table-wrap' }, h('table', { class: 'data', id: 'users-table' },
      h('thead', null, h('tr', null, [t('users.name'), t('users.roles'), t('users.rank'), t('sar.state'), ''].map((c) => h('th', { scope: 'col' }, c)))), tbody))));

  const load = async () => {
    const users = await api.get('/api/users');
    clear(tbody);
    for (const u of users) {
      const dis = h('button', { type: 'button', class: 'danger secondary small', id: `disable-${u.name}` }, t('users.disable'));
      dis.addEventListener('click', () => {
        if (!confirm(t('users.confirm_disable', { name: u.name }))) return;
        busy(dis, box, async () => {
          await api.post(`/api/users/${encodeURIComponent(u.name)}/disable`);
          await load();
        });
      });
      tbody.appendChild(h('tr', null, h('th', { scope: 'row' }, u.name), h('td', null, u.roles.map(roleText).join(', ')),
        h('td', null, u.rank ? rankText(u.rank) : '-'), h('td', null, u.disabled ? h('span', { class: 'badge' }, t('users.disabled')) : t('users.active')),
        h('td', null, !u.disabled && u.name !== ctx.me.user.name ? dis : null)));
    }
  };

  const name = h('input', { id: 'user-name', required: true, autocomplete: 'off', autocapitalize: 'none', spellcheck: 'false' });
  const pw = h('input', { id: 'user-password', type: 'password', required: true, minlength: 12, autocomplete: 'new-password' });
  const rank = h('select', { id: 'user-rank' }, RANKS.map((r) => h('option', { value: r }, rankText(r))));
  const checks = ROLES.map((v) => {
    const c = h('input', { type: 'checkbox', id: `role-${v}`, value: v });
    return { v, c, el: h('label', { class: 'check', for: `role-${v}` }, c, ' ', roleText(v)) };
  });
  const add = h('button', { type: 'submit', id: 'user-add' }, t('users.add'));
  const form = h('form', { class: 'card', id: 'user-form', novalidate: true }, h('h2', null, t('users.add_title')),
    h('div', { class: 'fields' },
      h('div', { class: 'field' }, h('label', { for: 'user-name' }, t('login.name')), name),
      h('div', { class: 'field' }, h('label', { for: 'user-rank' }, t('users.rank_label')), rank),
      h('div', { class: 'field' }, h('label', { for: 'user-password' }, t('users.password')), pw),
      h('fieldset', { class: 'field wide' }, h('legend', null, t('users.roles')), h('div', { class: 'checks' }, checks.map((x) => x.el)))),
    h('div', { class: 'actions' }, add));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    busy(add, box, async () => {
      await api.post('/api/users', {
        name: name.value.trim(), roles: checks.filter((x) => x.c.checked).map((x) => x.v),
        rank: rank.value === 'none' ? null : rank.value, password: pw.value,
      });
      pw.value = '';
      name.value = '';
      checks.forEach((x) => (x.c.checked = false));
      rank.value = 'none';
      box.ok(t('users.added'));
      await load();
    });
  });
  root.appendChild(form);
  try {
    await load();
  } catch (e) {
    box.error(e);
  }
}
