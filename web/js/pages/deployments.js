// Deployments list; applicants start a new one here.
import * as api from '../api.js';
import { h, messageBox, busy, stateBadge } from '../ui.js';

export async function renderDeployments(root, ctx) {
  const box = messageBox();
  root.append(h('div', { class: 'page-head' }, h('h1', null, 'Deployments')), box);
  if (ctx.hasRole('applicant')) {
    const name = h('input', { id: 'new-deployment-name', required: true, maxlength: 200, placeholder: 'e.g. Cardiff city centre, Saturday' });
    const button = h('button', { type: 'submit', id: 'new-deployment-create' }, 'Create draft');
    const form = h('form', { class: 'card inline-form', 'aria-labelledby': 'new-deployment-title' },
      h('h2', { id: 'new-deployment-title' }, 'New application'),
      h('div', { class: 'row' },
        h('div', { class: 'field grow' }, h('label', { for: 'new-deployment-name' }, 'Operation name'), name),
        h('div', { class: 'field' }, button)));
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      busy(button, box, async () => {
        const r = await api.post('/api/deployments', { name: name.value.trim() });
        location.hash = `#/deployments/${r.id}/application`;
      });
    });
    root.appendChild(form);
  }
  const list = h('div', { class: 'card' }, h('p', { class: 'muted' }, 'Loading…'));
  root.appendChild(list);
  try {
    const rows = await api.get('/api/deployments');
    list.textContent = '';
    if (!rows.length) {
      list.appendChild(h('p', { class: 'muted' }, 'No deployments yet.'));
      return;
    }
    list.appendChild(h('div', { class: 'table-wrap' }, h('table', { class: 'data', id: 'deployments-table' },
      h('caption', { class: 'sr-only' }, 'Deployments'),
      h('thead', null, h('tr', null, h('th', { scope: 'col' }, 'No.'), h('th', { scope: 'col' }, 'Name'), h('th', { scope: 'col' }, 'State'))),
      h('tbody', null, rows.slice().reverse().map((d) => h('tr', null,
        h('td', { class: 'num' }, d.id),
        h('td', null, h('a', { href: `#/deployments/${d.id}` }, d.name)),
        h('td', null, stateBadge(d.state))))))));
  } catch (e) {
    list.textContent = '';
    box.error(e);
  }
}
