// Oversight (PUB-5): aggregate figures only, never a face.
import * as api from '../api.js';
import { h, messageBox, renderJson } from '../ui.js';

export async function renderOversight(root) {
  const box = messageBox();
  const card = h('div', { class: 'card', id: 'oversight' });
  const year = new Date().getUTCFullYear();
  root.append(h('div', { class: 'page-head' }, h('h1', null, 'Oversight'),
    h('p', { class: 'muted' }, 'Aggregate figures across deployments for the police and crime commissioner. No face and no identity is shown here.')),
  box, card,
  h('div', { class: 'card' }, h('h2', null, 'Summaries (PUB-4)'), h('ul', { class: 'links' },
    h('li', null, `This year: `, h('a', { href: `/api/reports/summary?from=${year}-01-01&to=${year}-12-31&format=html`, target: '_blank', rel: 'noopener' }, 'HTML'), ', ',
      h('a', { href: `/api/reports/summary?from=${year}-01-01&to=${year}-12-31&format=csv` }, 'CSV'), ', ',
      h('a', { href: `/api/reports/summary?from=${year}-01-01&to=${year}-12-31&format=json`, target: '_blank', rel: 'noopener' }, 'JSON')),
    h('li', null, 'Each deployment\'s published record: ', h('a', { href: '#/deployments' }, 'deployments'), '.'))));
  try {
    const data = await api.get('/api/oversight');
    card.append(h('h2', null, 'Figures'), renderJson(data));
  } catch (e) {
    box.error(e);
  }
}
