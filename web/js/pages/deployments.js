// Deployments list; applicants start a new one here.
import * as api from '../api.js';
import { h, messageBox, busy, stateBadge } from '../ui.js';
import { t } from '../i18n.js';

export async function renderDeployments(root, ctx) {
  const box = messageBox();
  root.append(h('div', { class: 'page-head' }, h('h1', null, t('nav.deployments'))), box);
  if (ctx.hasRole('applicant')) {
    const name = h('input', { id: 'new-deployment-name', required: true, maxlength: 200, placeholder: t('deployments.name_placeholder') });
    const button = h('button', { type: 'submit', id: 'new-deployment-create' }, t('deployments.create'));
    const form = h('form', { class: 'card inline-form', 'aria-labelledby': 'new-deployment-title' },
      h('h2', { id: 'new-deployment-title' }, t('deployments.new_title')),
      h('div', { class: 'row' },
        h('div', { class: 'field grow' }, h('label', { for: 'new-deployment-name' }, t('deployments.name')), name),
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
  const list = h('div', { class: 'card' }, h('p', { class: 'muted' }, t('deployments.loading')));
  root.appendChild(list);
  try {
    const rows = await api.get('/api/deployments');
    list.textContent = '';
    if (!rows.length) {
      list.appendChild(h('p', { class: 'muted' }, t('deployments.none')));
      return;
    }
    list.appendChild(h('div', { class: 'table-wrap' }, h('table', { class: 'data', id: 'deployments-table' },
      h('caption', { class: 'sr-only' }, t('nav.deployments')),
      h('thead', null, h('tr', null, ['number', 'name', 'state'].map((c) => h('th', { scope: 'col' }, t(`deployments.col.${c}`))))),
      h('tbody', null, rows.slice().reverse().map((d) => h('tr', null,
        h('td', { class: 'num' }, d.id),
        h('td', null, h('a', { href: `#/deployments/${d.id}` }, d.name)),
        h('td', null, stateBadge(d.state))))))));
  } catch (e) {
    list.textContent = '';
    box.error(e);
  }
}
