// Oversight (PUB-5): aggregate figures only, never a face: the overall
// figures and each ended deployment's closing report.
import * as api from '../api.js';
import { h, messageBox, stateBadge, fmtTime, fmtNumber, outcomes } from '../ui.js';
import { renderClosingReport, figure, rows, categoryNames } from '../closing.js';
import { deploymentNo } from './alerts.js';
import { groupText } from './engage.js';
import { t, language } from '../i18n.js';

// A rate with its 95% interval: "2.1 (95% CI 0.4-6.0)"; share: as a percentage.
function withInterval(o, key, share = false) {
  const v = o[key];
  if (v === undefined || v === null) return '-';
  if (typeof v !== 'number') return String(v); // "<5", "[c]": suppressed in published figures
  const f = (x) => share ? `${fmtNumber(100 * x, 1)}%` : fmtNumber(x, 2);
  const lo = o[`${key}_lo`], hi = o[`${key}_hi`];
  return typeof lo === 'number' && typeof hi === 'number' ? t('oversight.interval', { value: f(v), lo: f(lo), hi: f(hi) }) : f(v);
}

const count = (x) => (typeof x === 'number' ? fmtNumber(x, 0) : String(x ?? '-'));

// heads: catalogue keys.
function smallTable(id, heads, body) {
  return h('div', { class: 'table-wrap' }, h('table', { class: 'data', id },
    h('thead', null, h('tr', null, heads.map((key, i) => h('th', { scope: 'col', class: i ? 'num' : null }, t(key))))),
    h('tbody', null, body.length ? body.map((r) => h('tr', null, r.map((c, i) => (i ? h('td', { class: 'num' }, c) : h('th', { scope: 'row' }, c)))))
      : h('tr', null, h('td', { colspan: heads.length, class: 'muted' }, t('oversight.none'))))));
}

// A count per key, in the reader's words for the keys in names.
const pairs = (o, names = []) => rows(o, names).map(([k, v]) => [k, count(v)]);
const yesNo = (b) => t(b ? 'oversight.yes' : 'oversight.no');

// The oversight figures (PUB-5) laid out: totals, rates with their
// intervals, one row per deployment, the equality figures, the audit log.
function renderFigures(doc) {
  const totals = doc.totals || {};
  const r = doc.rates || {};
  const out = h('div', null);
  out.append(h('p', null, t('nav.deployments'), ': ',
    ...Object.entries(doc.deployments_by_state || {}).flatMap(([st, n]) => [stateBadge(st), ` ${n}  `])));
  out.append(h('div', { class: 'figures', id: 'oversight-totals' },
    figure(t('closing.faces'), count(totals.faces)), figure(t('closing.alerts'), count(totals.alerts)),
    figure(t('oversight.true_alerts'), count(totals.true_alerts)), figure(t('oversight.false_alerts'), count(totals.false_alerts)),
    figure(t('oversight.not_verified'), count(totals.unverified_alerts)),
    figure(t('oversight.engaged'), count(totals.engaged)), figure(t('oversight.awaiting_outcome'), count(totals.awaiting_outcome))));
  out.append(h('dl', { class: 'kv', id: 'oversight-rates' },
    h('dt', null, t('oversight.false_per_1000')), h('dd', null, withInterval(r, 'false_alerts_per_1000_faces')),
    h('dt', null, t('oversight.share_false')), h('dd', null, withInterval(r, 'false_alert_share', true)),
    h('dt', null, t('oversight.share_true')), h('dd', null, withInterval(r, 'true_alert_share', true))));
  out.append(h('div', { class: 'two-col' },
    h('div', null, h('h3', null, t('closing.by_category')),
      smallTable('oversight-categories', ['alerts.category', 'oversight.entries'], pairs(totals.watchlist_by_category, categoryNames()))),
    h('div', null, h('h3', null, t('closing.outcomes')),
      smallTable('oversight-outcomes', ['engage.outcome', 'oversight.count'], pairs(totals.outcomes, outcomes())))));
  const deps = doc.deployments || [];
  out.append(h('h3', null, t('oversight.each_deployment')), smallTable('oversight-deployments-table',
    ['alerts.deployment', 'sar.state', 'oversight.started', 'holds.ended', 'oversight.cameras', 'oversight.faces', 'closing.alerts',
      'oversight.true', 'oversight.false', 'oversight.not_verified', 'closing.threshold', 'oversight.watchlist_planned', 'oversight.exempt'],
    deps.map((d) => [`${deploymentNo(d.id)} ${d.name || ''}`, d.state ? t(`state.${d.state}`) : '', fmtTime(d.started_ms), fmtTime(d.ended_ms),
      count(Array.isArray(d.cameras) ? d.cameras.length : d.cameras),
      count(d.faces), count(d.alerts), count(d.true_alerts), count(d.false_alerts), count(d.unverified_alerts),
      d.threshold ?? '-', count(d.planned_watchlist_size), yesNo(d.critical_threat_exemption)])));
  out.append(h('h3', null, t('oversight.equality')), smallTable('oversight-groups',
    ['oversight.group', 'oversight.true_alerts', 'oversight.false_alerts', 'oversight.share_false_short'],
    (doc.groups || []).map((g) => [groupText(g.group), count(g.true_alerts), count(g.false_alerts), withInterval(g, 'false_share', true)])));
  const a = doc.audit || {};
  const anchor = a.anchor && a.anchor.anchored ? t(a.anchor.time_ms ? 'oversight.anchored_at' : 'oversight.anchored_to',
    { seq: count(a.anchor.seq), time: fmtTime(a.anchor.time_ms) }) : yesNo(false);
  out.append(h('h3', null, t('nav.audit')), h('dl', { class: 'kv', id: 'oversight-audit' },
    h('dt', null, t('oversight.records')), h('dd', null, count(a.records)),
    h('dt', null, t('oversight.chain_intact')),
    h('dd', null, a.chain_intact || !a.problem ? yesNo(a.chain_intact) : t('oversight.no_because', { problem: a.problem })),
    h('dt', null, t('oversight.from')), h('dd', null, fmtTime(a.first_ms)),
    h('dt', null, t('oversight.to')), h('dd', null, fmtTime(a.last_ms)),
    h('dt', null, t('oversight.anchored')), h('dd', null, anchor)),
  h('details', null, h('summary', null, t('oversight.by_action')),
    smallTable('oversight-actions', ['audit.action', 'oversight.records'], pairs(a.by_action))));
  return out;
}

export async function renderOversight(root) {
  const box = messageBox();
  const card = h('div', { class: 'card', id: 'oversight' }, h('h2', null, t('closing.figures')));
  const reports = h('div', { class: 'card', id: 'oversight-deployments' }, h('h2', null, t('oversight.ended_deployments')));
  const year = new Date().getUTCFullYear();
  // The summary in the reader's language (the server's ?lang).
  const q = `from=${year}-01-01&to=${year}-12-31&lang=${language()}`;
  root.append(h('div', { class: 'page-head' }, h('h1', null, t('nav.oversight')),
    h('p', { class: 'muted' }, t('oversight.intro'))),
  box, card, reports,
  h('div', { class: 'card' }, h('h2', null, t('oversight.summaries')), h('ul', { class: 'links' },
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
    if (!deps.length) reports.appendChild(h('p', { class: 'muted' }, t('alerts.none_yet')));
    for (const d of deps.reverse()) {
      const body = h('div', null);
      const det = h('details', { class: 'report', id: `report-${d.id}` }, h('summary', null, `${deploymentNo(d.id)} ${d.name} `, stateBadge(d.state)), body,
        h('p', null, h('a', { href: `/api/deployments/${d.id}/record?format=html&lang=${language()}`, target: '_blank', rel: 'noopener' }, t('oversight.record'))));
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
