// Edge nodes (administrators; issue 17): the vans and sites that run a
// deployment's cameras themselves. A node enrols with its own key and runs
// nothing until approved here; revoked, it is refused for good.
import * as api from '../api.js';
import { h, clear, messageBox, busy, fmtTime } from '../ui.js';
import { t } from '../i18n.js';

export async function renderNodes(root) {
  const box = messageBox();
  const tbody = h('tbody');
  const none = h('p', { id: 'nodes-none', hidden: true }, t('nodes.none'));
  root.append(h('div', { class: 'page-head' }, h('h1', null, t('nav.nodes'))), h('p', null, t('nodes.intro')), box,
    h('div', { class: 'card' }, none, h('div', { class: 'table-wrap' }, h('table', { class: 'data', id: 'nodes-table' },
      h('thead', null, h('tr', null, [t('nodes.name'), t('nodes.key'), t('nodes.state'), t('nodes.seen'), t('nodes.live'), '']
        .map((c) => h('th', { scope: 'col' }, c)))), tbody))));

  const load = async () => {
    const nodes = await api.get('/api/nodes');
    clear(tbody);
    none.hidden = nodes.length > 0;
    for (const n of nodes) {
      let action = null;
      if (n.state === 'pending') {
        action = h('button', { type: 'button', class: 'small', id: `approve-${n.id}` }, t('nodes.approve'));
        action.addEventListener('click', () => busy(action, box, async () => {
          await api.post(`/api/nodes/${n.id}/approve`);
          box.ok(t('nodes.approved'));
          await load();
        }));
      } else if (n.state === 'approved') {
        const reason = h('input', { id: `reason-${n.id}`, required: true, autocomplete: 'off',
          'aria-label': t('nodes.reason', { name: n.name }), placeholder: t('nodes.reason', { name: n.name }) });
        const revoke = h('button', { type: 'button', class: 'danger secondary small', id: `revoke-${n.id}` }, t('nodes.revoke'));
        revoke.addEventListener('click', () => busy(revoke, box, async () => {
          await api.post(`/api/nodes/${n.id}/revoke`, { reason: reason.value.trim() });
          box.ok(t('nodes.revoked'));
          await load();
        }));
        action = h('span', { class: 'actions left' }, reason, revoke);
      }
      tbody.appendChild(h('tr', { id: `node-${n.id}` }, h('th', { scope: 'row' }, n.name), h('td', null, h('code', null, n.key)),
        h('td', null, h('span', { class: n.state === 'approved' ? 'badge good' : 'badge' }, t(`nodes.state_${n.state}`))),
        h('td', null, n.seen_ms ? fmtTime(n.seen_ms, true) : t('nodes.never')), h('td', null, String(n.live_deployments)),
        h('td', null, action)));
    }
  };
  // A one-time code for a node's name: shown once, given to whoever sets
  // the node up (lfr edge enrol --code), valid a day.
  const name = h('input', { id: 'node-code-name', required: true, autocomplete: 'off', spellcheck: 'false' });
  const issue = h('button', { type: 'submit', id: 'node-code-issue' }, t('nodes.code_issue'));
  const shown = h('p', { id: 'node-code', hidden: true });
  const form = h('form', { class: 'card', id: 'node-code-form', novalidate: true }, h('h2', null, t('nodes.code_title')),
    h('p', null, t('nodes.code_intro')),
    h('div', { class: 'fields' }, h('div', { class: 'field' }, h('label', { for: 'node-code-name' }, t('nodes.name')), name)),
    h('div', { class: 'actions' }, issue), shown);
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    busy(issue, box, async () => {
      const r = await api.post('/api/nodes/codes', { name: name.value.trim() });
      clear(shown);
      shown.append(t('nodes.code_for', { name: r.name, time: fmtTime(r.expires_ms) }), ' ', h('code', { id: 'node-code-value' }, r.code));
      shown.hidden = false;
    });
  });
  root.appendChild(form);
  try {
    await load();
  } catch (e) {
    box.error(e);
  }
}
