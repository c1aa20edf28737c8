// closing.js - the closing report of an ended deployment (DEP-10) laid out
// for its reader: planned against actual times, what was authorised, the
// figures, and small bar charts of alerts, outcomes and the watchlist. The
// deployment's report tab and the oversight page both show it, so the
// layout lives here once. Aggregates only: no face, no identity.
import { h, fmtTime, fmtNumber, label, stateBadge, decisions, outcomes } from './ui.js';
import { CATEGORIES, categoryText } from './pages/watchlist.js';
import { deploymentNo } from './pages/alerts.js';
import { t, tn } from './i18n.js';

// The watchlist's categories in the reader's words, read when a report is
// drawn (the catalogue is not loaded when this module is).
export const categoryNames = () => CATEGORIES.map(([k]) => [k, categoryText(k)]);

const count = (x) => (typeof x === 'number' ? fmtNumber(x, 0) : '-');

// "4 min 30 s", "2 h 5 min", "3 days": a length of time in words.
function span(seconds) {
  const s = Math.round(Math.abs(seconds));
  const two = (a, b) => (b ? `${a} ${b}` : a);
  if (s < 60) return s ? t('closing.s', { n: s }) : t('closing.min', { n: 0 });
  if (s < 3600) return two(t('closing.min', { n: Math.floor(s / 60) }), s % 60 && t('closing.s', { n: s % 60 }));
  if (s < 48 * 3600) return two(t('closing.h', { n: Math.floor(s / 3600) }), Math.floor(s / 60) % 60 && t('closing.min', { n: Math.floor(s / 60) % 60 }));
  return tn('closing.days', Math.round(s / 86400));
}

// A time in UK local time and, where the plan gave one, how far from it:
// the point of DEP-10's planned against actual.
function timeAgainst(actual, planned) {
  if (!actual) return h('span', { class: 'muted' }, t('closing.not_recorded'));
  const when = fmtTime(actual);
  if (typeof planned !== 'number') return when;
  const off = (actual - planned) / 1000;
  const note = Math.abs(off) < 60 ? t('closing.as_planned') : t(off > 0 ? 'closing.later' : 'closing.earlier', { span: span(off) });
  return [when, ' ', h('span', { class: 'muted' }, `(${note})`)];
}

const planned = (ms) => (typeof ms === 'number' ? fmtTime(ms) : h('span', { class: 'muted' }, t('closing.not_set')));

// A definition list from [term, value] pairs.
const defs = (cls, rows) => h('dl', { class: `kv ${cls}` }, rows.map(([term, v]) => [h('dt', null, term), h('dd', null, v)]));

// The rows of a group, known keys first in their own order and words,
// then whatever else the server counted, its key made readable.
export function rows(group, names) {
  const g = group || {};
  const known = names.filter(([k]) => k in g).map(([k, text]) => [text, g[k]]);
  const rest = Object.keys(g).filter((k) => !names.some(([n]) => n === k)).map((k) => [label(k), g[k]]);
  return [...known, ...rest];
}

// SVG elements need their namespace; h() makes HTML ones.
const SVG_NS = 'http://www.w3.org/2000/svg';
function svg(tag, attrs, text) {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs || {})) el.setAttribute(k, String(v));
  if (text !== undefined) el.textContent = text;
  return el;
}

// A horizontal bar chart: each label on its own line above its bar, so a
// long label never squeezes the bars on a phone; the number follows the
// bar. Widths are percentages of the chart, so it fits any screen without
// scaling the text. The chart is one image to a screen reader, named by a
// sentence holding every value.
const ROW_PX = 42;
const BAR_PX = 14;
const MAX_BAR_PCT = 80; // room beside the longest bar for its number
function barChart(id, title, data) {
  if (!data.length) return h('p', { class: 'muted', id }, t('closing.none'));
  const max = Math.max(...data.map(([, n]) => n), 1);
  const summary = `${title}: ${data.map(([text, n]) => `${text} ${count(n)}`).join(', ')}.`;
  const chart = svg('svg', { id, class: 'chart', role: 'img', 'aria-label': summary, width: '100%', height: data.length * ROW_PX });
  chart.appendChild(svg('title', null, summary));
  data.forEach(([text, n], i) => {
    const y = i * ROW_PX;
    const pct = (MAX_BAR_PCT * n) / max;
    const g = svg('g', { class: 'bar-row' });
    g.append(svg('text', { x: 0, y: y + 14, class: 'bar-label' }, text),
      svg('rect', { x: 0, y: y + 20, width: `${MAX_BAR_PCT}%`, height: BAR_PX, rx: 2, class: 'bar-track' }),
      svg('rect', { x: 0, y: y + 20, width: `${pct}%`, height: BAR_PX, rx: 2, class: 'bar' }),
      svg('text', { x: `${pct}%`, dx: 6, y: y + 32, class: 'bar-value' }, count(n)));
    chart.appendChild(g);
  });
  return chart;
}

const section = (title, ...body) => h('section', { class: 'closing-part' }, h('h3', null, title), ...body);
// A figure with its title; the oversight page's totals look the same.
export const figure = (title, value) => h('div', { class: 'figure' }, h('div', { class: 'fig-title' }, title), h('div', { class: 'fig-value' }, value));

// The closing report (the JSON of GET /api/deployments/:id/report) as a
// DOM element.
export function renderClosingReport(doc) {
  const times = doc.times || {};
  const a = doc.authorised || {};
  const listed = Object.values(doc.watchlist_by_category || {}).reduce((s, n) => s + n, 0);
  // A chart under its heading, the heading also naming the chart's image.
  const chart = (id, titleKey, data) => section(t(titleKey), barChart(id, t(titleKey), data));
  return h('div', { class: 'closing' },
    h('p', { class: 'closing-head' }, h('strong', null, `${deploymentNo(doc.id)} ${doc.name || ''}`), ' ', stateBadge(doc.state),
      doc.urgent ? [' ', h('span', { class: 'badge warn' }, t('closing.urgent'))] : null),
    h('div', { class: 'two-col' },
      section(t('closing.times'), defs('closing-times', [
        [t('closing.planned_start'), planned(times.planned_start_ms)],
        [t('closing.actual_start'), timeAgainst(times.actual_start_ms, times.planned_start_ms)],
        [t('closing.planned_end'), planned(times.planned_end_ms)],
        [t('closing.actual_end'), timeAgainst(times.actual_end_ms, times.planned_end_ms)],
        [t('closing.end_reason'), doc.end_reason || h('span', { class: 'muted' }, t('closing.not_recorded'))],
      ])),
      section(t('closing.authorised'), defs('closing-authorised', [
        [t('closing.threshold'), typeof a.threshold === 'number' ? fmtNumber(a.threshold, 2) : '-'],
        [t('closing.watchlist_size'), t('closing.watchlist_size_value', { planned: count(a.watchlist_size), listed: count(listed) })],
        [t('closing.footfall'), count(a.expected_footfall)],
      ]))),
    section(t('closing.figures'), h('div', { class: 'figures', id: 'closing-figures' },
      figure(t('closing.faces'), count(doc.faces_processed)),
      figure(t('closing.templates'), count(doc.templates_compared)),
      figure(t('closing.alerts'), count(doc.alerts)),
      figure(t('closing.confirmed'), count(doc.identity_confirmed)),
      figure(t('closing.engagement_time'), span(doc.engagement_seconds_total || 0)))),
    h('div', { class: 'closing-charts' },
      chart('chart-decisions', 'closing.by_decision', rows(doc.alerts_by_decision, decisions())),
      chart('chart-outcomes', 'closing.outcomes', rows(doc.outcomes, outcomes())),
      chart('chart-categories', 'closing.by_category', rows(doc.watchlist_by_category, categoryNames()))),
    doc.frozen_hash ? h('p', { class: 'small muted' }, t('closing.hash'), ' ', h('span', { class: 'mono' }, doc.frozen_hash)) : null);
}
