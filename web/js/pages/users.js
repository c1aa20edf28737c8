// Users (administrators): named users with roles and ranks (SEC-1). The
// server refuses mixes that break separation of duties.
import * as api from '../api.js';
import { h, clear, messageBox, busy, label } from '../ui.js';

const ROLES = [
  ['applicant', 'Applicant'],
  ['authoriser', 'Authorising officer'],
  ['reviewer', 'Watchlist reviewer'],
  ['operator', 'Operator'],
  ['engagement', 'Engagement officer'],
  ['auditor', 'Auditor / data protection officer'],
  ['oversight', 'Oversight (aggregates only)'],
  ['admin', 'Administrator (no faces)'],
];
const RANKS = ['none', 'constable', 'sergeant', 'inspector', 'chief_inspector', 'superintendent', 'chief_superintendent',
  'assistant_chief_constable', 'deputy_chief_constable', 'chief_constable'];

export async function renderUsers(root, ctx) {
  const box = messageBox();
  const tbody = h('tbody');
  root.append(h('div', { class: 'page-head' }, h('h1', null, 'Users')), box,
    h('div', { class: 'card' }, h('div', { class: 'table-wrap' }, h('table', { class: 'data', id: 'users-table' },
      h('thead', null, h('tr', null, ['Name', 'Roles', 'Rank', 'State', ''].map((c) => h('th', { scope: 'col' }, c)))), tbody))));

  const load = async () => {
    const users = await api.get('/api/users');
    clear(tbody);
    for (const u of users) {
      const dis = h('button', { type: 'button', class: 'danger secondary small', id: `disable-${u.name}` }, 'Disable');
      dis.addEventListener('click', () => {
        if (!confirm(`Disable ${u.name}? They will not be able to sign in.`)) return;
        busy(dis, box, async () => {
          await api.post(`/api/users/${encodeURIComponent(u.name)}/disable`);
          await load();
        });
      });
      tbody.appendChild(h('tr', null, h('th', { scope: 'row' }, u.name), h('td', null, u.roles.map(label).join(', ')),
        h('td', null, u.rank ? label(u.rank) : '-'), h('td', null, u.disabled ? h('span', { class: 'badge' }, 'disabled') : 'active'),
        h('td', null, !u.disabled && u.name !== ctx.me.user.name ? dis : null)));
    }
  };

  const name = h('input', { id: 'user-name', required: true, autocomplete: 'off', autocapitalize: 'none', spellcheck: 'false' });
  const pw = h('input', { id: 'user-password', type: 'password', required: true, minlength: 12, autocomplete: 'new-password' });
  const rank = h('select', { id: 'user-rank' }, RANKS.map((r) => h('option', { value: r }, label(r))));
  const checks = ROLES.map(([v, t]) => {
    const c = h('input', { type: 'checkbox', id: `role-${v}`, value: v });
    return { v, c, el: h('label', { class: 'check', for: `role-${v}` }, c, ' ', t) };
  });
  const add = h('button', { type: 'submit', id: 'user-add' }, 'Add user');
  const form = h('form', { class: 'card', id: 'user-form', novalidate: true }, h('h2', null, 'Add a user'),
    h('div', { class: 'fields' },
      h('div', { class: 'field' }, h('label', { for: 'user-name' }, 'User name'), name),
      h('div', { class: 'field' }, h('label', { for: 'user-rank' }, 'Rank (authorising officers need one)'), rank),
      h('div', { class: 'field' }, h('label', { for: 'user-password' }, 'Initial password (12 characters or more)'), pw),
      h('fieldset', { class: 'field wide' }, h('legend', null, 'Roles'), h('div', { class: 'checks' }, checks.map((x) => x.el)))),
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
      box.ok('User added.');
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
