// ui.js - small DOM helpers. Server data only ever goes in as text
// (textContent), never as HTML.

import { t, tn, locale } from './i18n.js';

export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  if (attrs) {
    for (const [k, v] of Object.entries(attrs)) {
      if (v === undefined || v === null || v === false) continue;
      if (k === 'class') el.className = v;
      else if (k === 'dataset') Object.assign(el.dataset, v);
      else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
      else if (k === 'value') el.value = v;
      else if (k === 'checked') el.checked = !!v;
      else if (v === true) el.setAttribute(k, '');
      else el.setAttribute(k, String(v));
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === undefined || c === null || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else if (c instanceof Node) el.appendChild(c);
    else el.appendChild(document.createTextNode(String(c)));
  }
}

export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}

let uid = 0;
export const newId = (p) => `${p}-${++uid}`;

// "5 Dec 2026, 09:00 GMT" from Unix ms: UK local time (Europe/London),
// the zone named (GMT or BST), as officers read clocks. Put together here
// rather than by Intl, whose Welsh the browser may lack (it then writes
// American English): the month's name is the catalogue's, shared with the
// public documents.
export function fmtTime(ms, seconds = false) {
  if (ms === undefined || ms === null || isNaN(new Date(ms))) return '';
  const p = londonParts(ms);
  const time = `${p.hour}:${p.minute}${seconds ? `:${p.second}` : ''}`;
  return `${Number(p.day)} ${t(`doc.date.month_short.${Number(p.month)}`)} ${p.year}, ${time} ${p.timeZoneName}`;
}

// The wall clock in London at Unix ms t: {year, month, day, hour, minute,
// second} as two-digit strings (four for the year), and the zone's name.
let londonFmt = null;
function londonParts(t) {
  londonFmt ||= new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/London', hourCycle: 'h23',
    year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit',
    timeZoneName: 'short' });
  return Object.fromEntries(londonFmt.formatToParts(new Date(t)).map((x) => [x.type, x.value]));
}

// "05/12/2026 09:00": Unix ms as UK people write a time, for an input
// that parseUkTime reads back.
export function ukDateTime(ms) {
  const p = londonParts(ms);
  return `${p.day}/${p.month}/${p.year} ${p.hour}:${p.minute}`;
}

// Unix ms of a wall-clock time in London (GMT or BST, whichever held).
export function londonToMs(y, mo, d, hh = 0, mi = 0) {
  const offset = (t) => {
    const p = londonParts(t);
    return Date.UTC(+p.year, +p.month - 1, +p.day, +p.hour, +p.minute) - t;
  };
  const wall = Date.UTC(y, mo - 1, d, hh, mi);
  return wall - offset(wall - offset(wall)); // twice: the offset may change in between
}

// What people type for a UK date and time: "5/12/2026", "05/12/2026 09:00",
// "5.12.2026 9.00" or "2026-12-05 09:00", read as London time. Unix ms, or
// null when it is not a real date and time.
export function parseUkTime(text) {
  const s = String(text || '').trim();
  let m = s.match(/^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})(?:[ ,T]+(\d{1,2})[:.](\d{2}))?$/);
  let y, mo, d, hh = 0, mi = 0;
  if (m) [, d, mo, y, hh = 0, mi = 0] = m.map((x) => (x === undefined ? undefined : Number(x)));
  else if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?Z$/.test(s)) return Date.parse(s); // UTC, as the API writes it
  else if ((m = s.match(/^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2}))?$/)))
    [, y, mo, d, hh = 0, mi = 0] = m.map((x) => (x === undefined ? undefined : Number(x)));
  else return null;
  const days = new Date(Date.UTC(y, mo, 0)).getUTCDate();
  if (mo < 1 || mo > 12 || d < 1 || d > days || hh > 23 || mi > 59) return null;
  return londonToMs(y, mo, d, hh, mi);
}

// "2026-12-01T09:00Z" (the form the API takes) from Unix ms.
export function isoMinute(ms) {
  return new Date(ms).toISOString().slice(0, 16) + 'Z';
}

// How long ago a YYYY-MM-DD photo was taken, in words (HIL-1).
export function photoAge(date, now = Date.now()) {
  const taken = date ? Date.parse(date + 'T00:00:00Z') : NaN;
  if (isNaN(taken)) return t('age.unknown');
  const months = Math.floor((now - taken) / (30.44 * 24 * 3600 * 1000));
  if (months < 1) return t('age.under_month');
  const y = Math.floor(months / 12);
  const m = months % 12;
  const parts = [y ? tn('age.years', y) : '', m ? tn('age.months', m) : ''].filter(Boolean);
  return t('age.old', { age: parts.join(' ') });
}

export function fmtNumber(x, digits = 2) {
  if (typeof x !== 'number' || !isFinite(x)) return String(x ?? '');
  if (x !== 0 && Math.abs(x) < 1e-3) return x.toExponential(2);
  return Number.isInteger(x) ? x.toLocaleString(locale()) : x.toFixed(digits);
}

export const label = (s) => String(s).replace(/_/g, ' ');

// A message box for errors ({"error": {"code", "message"}}) or notes.
export function messageBox() {
  const el = h('div', { class: 'msg', role: 'status', 'aria-live': 'polite', hidden: true });
  el.show = (text, kind = 'error') => {
    el.className = `msg msg-${kind}`;
    el.setAttribute('role', kind === 'error' ? 'alert' : 'status');
    el.textContent = text;
    el.hidden = false;
  };
  el.error = (e) => el.show(errorText(e), 'error');
  el.ok = (text) => el.show(text, 'ok');
  el.hide = () => {
    el.hidden = true;
    el.textContent = '';
  };
  return el;
}

export function errorText(e) {
  if (e && e.code) return `${e.message} (${e.code})`;
  return e && e.message ? e.message : String(e);
}

// Runs fn with the button disabled, showing errors in box.
export async function busy(button, box, fn) {
  if (button) button.disabled = true;
  if (box) box.hide();
  try {
    return await fn();
  } catch (e) {
    if (box) box.error(e);
    else throw e;
  } finally {
    if (button) button.disabled = false;
  }
}

// The words every page uses for an alert's decision and an engagement's
// outcome, in the order an alert moves through them: [value, text] pairs
// in the reader's language.
const pairs = (prefix, values) => () => values.map((v) => [v, t(`${prefix}.${v}`)]);
export const decisions = pairs('decision', ['open', 'engage', 'closed', 'no_match']);
export const outcomes = pairs('outcome',
  ['arrest', 'other_action', 'safeguarding', 'words_of_advice', 'no_further_action', 'person_not_found']);

// A value the server names (a role, a rank, a camera's state) in the
// reader's words when the catalogue has it as prefix.value; any other as
// the server sent it.
export const known = (prefix, list) => (v) => (list.includes(v) ? t(`${prefix}.${v}`) : label(v));

// Roles and ranks as the server names them.
export const ROLES = ['applicant', 'authoriser', 'reviewer', 'operator', 'engagement', 'auditor', 'oversight', 'admin'];
export const RANKS = ['none', 'constable', 'sergeant', 'inspector', 'chief_inspector', 'superintendent',
  'chief_superintendent', 'assistant_chief_constable', 'deputy_chief_constable', 'chief_constable'];
export const roleText = known('role', ROLES);
export const rankText = known('rank', RANKS);

export function stateBadge(state) {
  return h('span', { class: `badge state-${state}` }, t(`state.${state}`));
}
