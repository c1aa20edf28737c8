// Oversight (PUB-5): aggregate figures only, never a face: the overall
// figures and each ended deployment's closing report.
import * as api from '../api.js';
import { h, messageBox, stateBadge, fmtTime, fmtNumber, label } from '../ui.js';
import { renderClosingReport } from '../closing.js';

// A rate with its 95% interval: "2.1 (95% CI 0.4-6.0)"; share: as a percentage.
function withInterval(o, key, share = false) {
  const v = o[key];
  if (v === undefined || v === null) return '-';
  if (typeof v !== 'number') return String(v); // "<5", "[c]": suppressed in published figures
  const f = (x) => share ? `${fmtNumber(100 * x, 1)}%` : fmtNumber(x, 2);
  const lo = o[`${key}_lo`], hi = o[`${key}_hi`];
  return typeof lo === 'number' && typeof hi === 'number' ? `${f(v)} (95% CI ${f(lo)} to ${f(hi)})` : f(v);
}

const count = (x) => (typeof x === 'number' ? fmtNumber(x, 0) : String(x ?? '-'));

function smallTable(id, heads, rows) {
  return h('div', { class: 'table-wrap' }, h('table', { class: 'data', id },
    h('thead', null, h('tr', null, heads.map((t, i) => h('th', { scope: 'col', class: i ? 'num' : null }, t)))),
    h('tbody', null, rows.length ? rows.map((r) => h('tr', null, r.map((c, i) => (i ? h('td', { class: 'num' }, c) : h('th', { scope: 'row' }, c)))))
      : h('tr', null, h('td', { colspan: heads.length, class: 'muted' }, 'None.')))));
}

const pairs = (o) => Object.entries(o || {}).map(([k, v]) => [label(k), count(v)]);

// The oversight figures (PUB-5) laid out: totals, rates with their
// intervals, one row per deployment, the equality figures, the audit log.
function renderFigures(doc) {
  const t = doc.totals || {};
  const r = doc.rates || {};
  const out = h('div', null);
  out.append(h('p', null, 'Deployments: ', ...Object.entries(doc.deployments_by_state || {}).flatMap(([st, n]) => [stateBadge(st), ` ${n}  `])));
  const fig = (title, value) => h('div', { class: 'figure' }, h('div', { class: 'fig-title' }, title), h('div', { class: 'fig-value' }, value));
  out.append(h('div', { class: 'figures', id: 'oversight-totals' },
    fig('Faces processed', count(t.faces)), fig('Alerts', count(t.alerts)), fig('True alerts', count(t.true_alerts)),
    fig('False alerts', count(t.false_alerts)), fig('Not verified', count(t.unverified_alerts)),
    fig('Engaged', count(t.engaged)), fig('Awaiting outcome', count(t.awaiting_outcome))));
  out.append(h('dl', { class: 'kv', id: 'oversight-rates' },
    h('dt', null, 'False alerts per 1,000 faces'), h('dd', null, withInterval(r, 'false_alerts_per_1000_faces')),
    h('dt', null, 'Share of alerts that were false'), h('dd', null, withInterval(r, 'false_alert_share', true)),
    h('dt', null, 'Share of alerts that were true'), h('dd', null, withInterval(r, 'true_alert_share', true))));
  out.append(h('div', { class: 'two-col' },
    h('div', null, h('h3', null, 'Watchlist by category'), smallTable('oversight-categories', ['Category', 'Entries'], pairs(t.watchlist_by_category))),
    h('div', null, h('h3', null, 'Outcomes of engagements'), smallTable('oversight-outcomes', ['Outcome', 'Count'], pairs(t.outcomes)))));
  const deps = doc.deployments || [];
  out.append(h('h3', null, 'Each deployment'), smallTable('oversight-deployments-table',
    ['Deployment', 'State', 'Started', 'Ended', 'Cameras', 'Faces', 'Alerts', 'True', 'False', 'Not verified', 'Threshold', 'Watchlist planned', 'Exempt from notice'],
    deps.map((d) => [`No. ${d.id} ${d.name || ''}`, label(d.state || ''), fmtTime(d.started_ms), fmtTime(d.ended_ms), count(Array.isArray(d.cameras) ? d.cameras.length : d.cameras),
      count(d.faces), count(d.alerts), count(d.true_alerts), count(d.false_alerts), count(d.unverified_alerts),
      d.threshold ?? '-', count(d.planned_watchlist_size), d.critical_threat_exemption ? 'yes' : 'no'])));
  out.append(h('h3', null, 'Equality: alerts by officer-recorded group'), smallTable('oversight-groups',
    ['Group', 'True alerts', 'False alerts', 'Share false'],
    (doc.groups || []).map((g) => [g.group, count(g.true_alerts), count(g.false_alerts), withInterval(g, 'false_share', true)])));
  const a = doc.audit || {};
  out.append(h('h3', null, 'Audit log'), h('dl', { class: 'kv', id: 'oversight-audit' },
    h('dt', null, 'Records'), h('dd', null, count(a.records)),
    h('dt', null, 'Chain intact'), h('dd', null, a.chain_intact ? 'yes' : `no${a.problem ? `: ${a.problem}` : ''}`),
    h('dt', null, 'From'), h('dd', null, fmtTime(a.first_ms)),
    h('dt', null, 'To'), h('dd', null, fmtTime(a.last_ms)),
    h('dt', null, 'Anchored outside the database'), h('dd', null, a.anchor && a.anchor.anchored
      ? `yes, to record ${count(a.anchor.seq)}${a.anchor.time_ms ? ` at ${fmtTime(a.anchor.time_ms)}` : ''}` : 'no')),
  h('details', null, h('summary', null, 'Records by action'), smallTable('oversight-actions', ['Action', 'Records'], pairs(a.by_action))));
  return out;
}

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
    card.appendChild(renderFigures(await api.get('/api/oversight')));
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
          body.appendChild(renderClosingReport(await api.get(`/api/deployments/${d.id}/report`)));
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
