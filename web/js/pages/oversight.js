// Oversight (PUB-5): aggregate figures only, never a face: the overall
// figures and each ended deployment's closing report.
import * as api from '../api.js';
import { h, messageBox, renderJson, stateBadge } from '../ui.js';

export async function renderOversight(root) {
  const box = messageBox();
  const card = h('div', { class: 'card', id: 'oversight' }, h('h2', null, 'Figures'));
  const reports = h('div', { class: 'card', id: 'oversight-deployments' }, h('h2', null, 'Ended deployments'));
  const year = new Date().getUTCFullYear();
  const q = `from=${year}-01-01&to=${year}-12-31`;
  root.append(h('div', { class: 'page-head' }, h('h1', null, 'Oversight'),
    h('p', { class: 'muted' }, 'Aggregate figures across deployments for the police and crime commissioner. No face and no identity is shown here.')),
  box, card, reports,
  h('div', { class: 'card' }, h('h2', null, 'Summaries (PUB-4)'), h('ul', { class: 'links' },
    h('li', null, `${year}: `, h('a', { href: `/api/reports/summary?${q}&format=html`, target: '_blank', rel: 'noopener' }, 'HTML'), ', ',
      h('a', { href: `/api/reports/summary?${q}&format=csv` }, 'CSV'), ', ',
      h('a', { href: `/api/reports/summary?${q}&format=json`, target: '_blank', rel: 'noopener' }, 'JSON')))));
  try {
    card.appendChild(renderJson(await api.get('/api/oversight')));
  } catch (e) {
    const m = messageBox();
    card.appendChild(m);
    m.error(e);
  }
  try {
    const deps = (await api.get('/api/deployments')).filter((d) => ['ended', 'reviewed', 'cancelled'].includes(d.state));
    if (!deps.length) reports.appendChild(h('p', { class: 'muted' }, 'None yet.'));
    for (const d of deps.reverse()) {
      const body = h('div', null);
      const det = h('details', { class: 'report', id: `report-${d.id}` }, h('summary', null, `No. ${d.id} ${d.name} `, stateBadge(d.state)), body,
        h('p', null, h('a', { href: `/api/deployments/${d.id}/record?format=html`, target: '_blank', rel: 'noopener' }, 'Published record (PUB-3)')));
      let loaded = false;
      det.addEventListener('toggle', async () => {
        if (!det.open || loaded) return;
        loaded = true;
        try {
          body.appendChild(renderJson(await api.get(`/api/deployments/${d.id}/report`)));
        } catch (e) {
          const m = messageBox();
          body.appendChild(m);
          m.error(e);
        }
      });
      reports.appendChild(det);
    }
  } catch (e) {
    box.error(e);
  }
}
