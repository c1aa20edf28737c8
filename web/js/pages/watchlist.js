// The watchlist builder (WL-1..8): entries with their photos, flags and
// review state; upload with the quality verdict (WL-5); the reviewer's
// review and second approval.
import * as api from '../api.js';
import { h, clear, messageBox, busy, photoAge, fmtNumber, label } from '../ui.js';
import { t, tn } from '../i18n.js';
import { copyForm } from './watchlist_copy.js';

// The categories of WL-2, in the order the form offers them.
const CATEGORY_VALUES = ['wanted', 'suspect', 'bail_or_order', 'missing_at_risk', 'risk_of_harm', 'associate', 'witness', 'victim'];
const SECOND = new Set(['associate', 'witness', 'victim']);

// A category in the reader's language; a value this console does not know
// is shown as the server sent it.
export const categoryText = (c) => (CATEGORY_VALUES.includes(c) ? t(`watchlist.category.${c}`) : c);

// The form's words for a category: what it asks of the applicant as well.
function optionText(c) {
  if (SECOND.has(c)) return t('watchlist.category_hint.second', { category: categoryText(c) });
  if (c === 'bail_or_order') return t('watchlist.category_hint.breach', { category: categoryText(c) });
  return categoryText(c);
}

// [value, text] pairs. The text is a getter, looked up each time it is
// read: other modules take this list when they load, before the catalogue
// has, and must still get the reader's language.
export const CATEGORIES = CATEGORY_VALUES.map((c) => Object.defineProperty([c], 1, { get: () => optionText(c), enumerable: true }));

// Who a duplicate flag points at: the person and their entry, as known.
function flagWho(f) {
  if (f.person_ref) return f.entry ? t('watchlist.flag.who_entry', { person: f.person_ref, entry: f.entry }) : f.person_ref;
  return f.entry ? t('watchlist.entry_n', { entry: f.entry }) : '';
}

export function flagText(f) {
  if (typeof f === 'string') return label(f);
  switch (f.flag) {
    case 'old_photo':
      return t('watchlist.flag.old_photo', { years: fmtNumber(f.years, 1) });
    case 'duplicate':
    case 'looks_like_another_entry': {
      const scored = typeof f.score === 'number';
      return t(`watchlist.flag.${f.flag}${scored ? '_score' : ''}`, { who: flagWho(f), score: scored ? f.score.toFixed(2) : '' });
    }
    default: {
      // A flag this console does not know: the server's own words.
      const rest = Object.entries(f).filter(([k]) => k !== 'flag').map(([k, v]) => `${label(k)} ${typeof v === 'number' ? fmtNumber(v, 2) : v}`);
      return `${label(f.flag || 'flag')}${rest.length ? ': ' + rest.join(', ') : ''}`;
    }
  }
}

export const flagList = (flags) => (flags && flags.length ? h('ul', { class: 'flags' }, flags.map((f) => h('li', null, '⚑ ', flagText(f)))) : null);

export async function renderWatchlist(body, ctx, d, refresh) {
  const box = messageBox();
  const canPhoto = ['applicant', 'reviewer', 'authoriser'].some(ctx.hasRole);
  const canAdd = ctx.hasRole('applicant') && ['draft', 'submitted'].includes(d.state);
  const listCard = h('div', { class: 'card', id: 'watchlist' });
  body.append(box, listCard);
  if (canAdd) body.append(addForm(d, refresh), importForm(d, refresh), copyForm(d, refresh));

  let entries = [];
  try {
    entries = await api.get(`/api/deployments/${d.id}/watchlist`);
  } catch (e) {
    box.error(e);
    return;
  }
  const active = entries.filter((e) => !e.destroyed);
  const planned = d.record && d.record.watchlist_size;
  listCard.append(h('div', { class: 'card-head' }, h('h2', null, t('watchlist.title')),
    h('p', { class: 'progress', id: 'watchlist-summary' },
      tn(planned ? 'watchlist.summary_planned' : 'watchlist.summary', active.length, { planned, reviewed: active.filter((e) => e.reviewed).length }))));
  if (!entries.length) {
    listCard.appendChild(h('p', { class: 'muted' }, t('watchlist.none')));
    return;
  }
  const ul = h('ul', { class: 'entries' });
  listCard.appendChild(ul);
  for (const e of entries) {
    const ebox = messageBox();
    const actions = h('div', { class: 'actions' });
    // confirmText: asked first when the act cannot be undone.
    const act = (text, path, cls, id, confirmText = null) => {
      const b = h('button', { type: 'button', class: cls, id }, text);
      b.addEventListener('click', () => {
        if (confirmText && !confirm(confirmText)) return;
        busy(b, ebox, async () => {
          await api.post(path);
          await refresh();
        });
      });
      actions.appendChild(b);
    };
    if (!e.destroyed) {
      if (ctx.hasRole('reviewer') && !e.reviewed) act(t('watchlist.review'), `/api/watchlist/${e.id}/review`, '', `review-${e.id}`);
      if ((ctx.hasRole('reviewer') || ctx.hasRole('authoriser')) && (SECOND.has(e.category) || e.child) && !e.approved)
        act(t('watchlist.approve'), `/api/watchlist/${e.id}/approve`, 'secondary', `approve-${e.id}`);
      if ((ctx.hasRole('applicant') && ['draft', 'submitted'].includes(d.state)) || (ctx.hasRole('reviewer') && !e.reviewed))
        act(t('watchlist.remove'), `/api/watchlist/${e.id}/remove`, 'danger secondary', `remove-${e.id}`,
          t('watchlist.remove_confirm', { person: e.person_ref }));
    }
    const img = canPhoto && !e.destroyed
      ? h('img', { src: `/api/watchlist/${e.id}/photo`, alt: t('watchlist.photo_alt', { person: e.person_ref }), class: 'thumb', loading: 'lazy', width: 96, height: 96 })
      : h('div', { class: 'thumb none', 'aria-hidden': 'true' }, t(e.destroyed ? 'watchlist.thumb.destroyed' : 'watchlist.thumb.none'));
    if (img.tagName === 'IMG') img.addEventListener('error', () => img.replaceWith(h('div', { class: 'thumb none' }, t('watchlist.thumb.unavailable'))));
    ul.appendChild(h('li', { class: 'entry', id: `entry-${e.id}` }, img,
      h('div', { class: 'entry-body' },
        h('div', { class: 'entry-title' }, h('strong', null, e.person_ref), ' ',
          e.destroyed ? h('span', { class: 'badge' }, t('watchlist.badge.destroyed'))
            : e.reviewed ? h('span', { class: 'badge good' }, t('watchlist.badge.reviewed')) : h('span', { class: 'badge warn' }, t('watchlist.badge.not_reviewed')),
          e.child ? h('span', { class: 'badge warn' }, t('watchlist.badge.child')) : null),
        h('div', null, categoryText(e.category)),
        h('div', { class: 'muted small' }, t('watchlist.photo_taken', { date: e.photo_date || '?', age: photoAge(e.photo_date), id: e.id })),
        flagList(e.flags), ebox, actions)));
  }
}

function addForm(d, refresh) {
  const box = messageBox();
  const verdict = h('div', { class: 'verdict', id: 'wl-verdict', 'aria-live': 'polite', hidden: true });
  const f = (id, text, input, cls = '') => h('div', { class: `field ${cls}` }, h('label', { for: id }, text), input);
  const person = h('input', { id: 'wl-person', required: true, placeholder: t('watchlist.person_placeholder') });
  const category = h('select', { id: 'wl-category', required: true }, h('option', { value: '' }, t('deployment.choose')),
    CATEGORIES.map(([v, text]) => h('option', { value: v }, text)));
  const reason = h('textarea', { id: 'wl-reason', rows: 2, required: true });
  const source = h('input', { id: 'wl-source', required: true, placeholder: t('watchlist.source_placeholder') });
  const legal = h('input', { id: 'wl-legal', required: true, placeholder: t('watchlist.legal_placeholder') });
  const date = h('input', { id: 'wl-date', type: 'date', required: true, max: new Date().toISOString().slice(0, 10) });
  const extra = h('textarea', { id: 'wl-extra', rows: 2 });
  const child = h('input', { id: 'wl-child', type: 'checkbox' });
  const photo = h('input', { id: 'wl-photo', type: 'file', accept: 'image/jpeg,image/png', required: true });
  const preview = h('img', { class: 'thumb preview', alt: t('watchlist.preview_alt'), hidden: true, width: 96, height: 96 });
  photo.addEventListener('change', () => {
    verdict.hidden = true;
    if (preview.src) URL.revokeObjectURL(preview.src);
    const file = photo.files[0];
    preview.hidden = !file;
    if (file) preview.src = URL.createObjectURL(file);
  });
  const extraHint = h('p', { class: 'muted small', id: 'wl-extra-hint' }, t('watchlist.extra_hint'));
  extra.setAttribute('aria-describedby', 'wl-extra-hint');
  const add = h('button', { type: 'submit', id: 'wl-add' }, t('watchlist.add'));
  const form = h('form', { class: 'card', id: 'watchlist-add', novalidate: true },
    h('h2', null, t('watchlist.add_title')),
    h('p', { class: 'muted' }, t('watchlist.add_intro')),
    box,
    h('div', { class: 'fields' },
      f('wl-person', t('watchlist.person'), person),
      f('wl-category', t('watchlist.category_label'), category),
      f('wl-reason', t('watchlist.reason'), reason, 'wide'),
      f('wl-source', t('watchlist.source'), source),
      f('wl-legal', t('watchlist.legal'), legal),
      f('wl-date', t('watchlist.date'), date),
      h('div', { class: 'field check' }, child, h('label', { for: 'wl-child' }, t('watchlist.child'))),
      h('div', { class: 'field wide' }, h('label', { for: 'wl-extra' }, t('watchlist.extra')), extra, extraHint),
      h('div', { class: 'field wide photo-field' }, h('label', { for: 'wl-photo' }, t('watchlist.photo')), h('div', { class: 'row' }, photo, preview))),
    verdict,
    h('div', { class: 'actions' }, add));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const file = photo.files[0];
    if (!file) {
      box.show(t('watchlist.choose_photo'));
      return;
    }
    if (file.size > 8 * 1024 * 1024) {
      box.show(t('watchlist.photo_too_big'));
      return;
    }
    busy(add, box, async () => {
      verdict.hidden = true;
      const b = {
        person_ref: person.value.trim(), category: category.value, reason: reason.value.trim(),
        source: source.value.trim(), legal_basis: legal.value.trim(), photo_date: date.value,
        child: child.checked, photo_base64: await api.fileToBase64(file),
      };
      if (extra.value.trim()) b.extra_justification = extra.value.trim();
      try {
        const r = await api.post(`/api/deployments/${d.id}/watchlist`, b);
        await refresh();
        const v = document.getElementById('wl-verdict');
        if (v) showVerdict(v, true, t('watchlist.accepted', { person: b.person_ref, id: r.id }), r.flags);
      } catch (e) {
        if (e.code === 'invalid') showVerdict(verdict, false, t('watchlist.refused', { reason: e.message }));
        else throw e;
      }
    });
  });
  return form;
}

function showVerdict(el, ok, text, flags) {
  clear(el);
  el.className = `verdict ${ok ? 'accepted' : 'refused'}`;
  el.setAttribute('role', ok ? 'status' : 'alert');
  el.append(...[h('strong', null, text), flagList(flags)].filter(Boolean));
  el.hidden = false;
}

// The last import's report per deployment: the page is drawn afresh after
// an import, and the report must still be there to read.
const importReports = new Map();

export const IMPORT_COLUMNS = 'person_ref,category,reason,source,legal_basis,photo_date,photo,child,extra_justification';

// Many entries at once (issue 15 item 6): a spreadsheet saved as CSV, one
// row per person, and the photos it names. Each row is checked on the
// server as if added by hand; the report says, row by row, what became of it.
function importForm(d, refresh) {
  const box = messageBox();
  const csv = h('input', { id: 'wl-import-csv', type: 'file', accept: '.csv,text/csv' });
  const photos = h('input', { id: 'wl-import-photos', type: 'file', accept: 'image/jpeg,image/png', multiple: true });
  const go = h('button', { type: 'submit', id: 'wl-import' }, t('watchlist.import'));
  const report = h('div', { id: 'wl-import-report', 'aria-live': 'polite' });
  const shown = importReports.get(d.id);
  if (shown) showImport(report, shown);
  const form = h('form', { class: 'card', id: 'watchlist-import', novalidate: true },
    h('h2', null, t('watchlist.import_title')),
    h('p', { class: 'muted' }, t('watchlist.import_columns'), ' ', h('code', null, IMPORT_COLUMNS)),
    h('p', { class: 'muted' }, t('watchlist.import_intro')),
    box,
    h('div', { class: 'fields' },
      h('div', { class: 'field' }, h('label', { for: 'wl-import-csv' }, t('watchlist.csv_file')), csv),
      h('div', { class: 'field' }, h('label', { for: 'wl-import-photos' }, t('watchlist.import_photos')), photos)),
    h('div', { class: 'actions' }, go), report);
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const file = csv.files[0];
    if (!file) {
      box.show(t('watchlist.choose_csv'));
      return;
    }
    const bytes = file.size + [...photos.files].reduce((n, f) => n + f.size * 4 / 3, 0);
    if (bytes > 46 * 1024 * 1024) {
      box.show(t('watchlist.import_too_big'));
      return;
    }
    busy(go, box, async () => {
      const b = { csv: await file.text(), photos: {} };
      for (const p of photos.files) b.photos[p.name] = await api.fileToBase64(p);
      const r = await api.post(`/api/deployments/${d.id}/watchlist/import`, b);
      importReports.set(d.id, r);
      await refresh();
      const el = document.getElementById('wl-import-report');
      if (el) showImport(el, r);
    });
  });
  return form;
}

function showImport(el, r) {
  clear(el);
  el.append(
    h('p', { id: 'wl-import-summary', role: 'status', class: r.refused ? 'msg msg-warn' : 'msg msg-ok' },
      t('watchlist.import_summary', { added: r.added, refused: r.refused }),
      r.unused_photos && r.unused_photos.length ? [' ', t('watchlist.import_unused', { photos: r.unused_photos.join(', ') })] : null),
    h('div', { class: 'table-wrap' }, h('table', { class: 'data', id: 'wl-import-rows' },
      h('thead', null, h('tr', null, ['line', 'person', 'result'].map((c) => h('th', { scope: 'col' }, t(`watchlist.col.${c}`))))),
      h('tbody', null, r.rows.map((row) => h('tr', { class: row.error ? 'refused' : 'accepted' },
        h('td', { class: 'num' }, row.line || ''),
        h('td', null, row.person_ref || ''),
        h('td', null, row.error ? t('watchlist.refused', { reason: row.error.message }) : t('watchlist.added_as', { id: row.id }),
          row.error ? null : flagList(row.flags))))))));
}
