// The watchlist builder (WL-1..8): entries with their photos, flags and
// review state; upload with the quality verdict (WL-5); the reviewer's
// review and second approval.
import * as api from '../api.js';
import { h, clear, messageBox, busy, photoAge, fmtNumber } from '../ui.js';

export const CATEGORIES = [
  ['wanted', 'Wanted by the courts'],
  ['suspect', 'Suspected of an offence'],
  ['bail_or_order', 'Bail conditions or court order (presence would breach)'],
  ['missing_at_risk', 'Missing and at risk'],
  ['risk_of_harm', 'A risk of harm to self or others'],
  ['associate', 'Associate (extra justification, second approval)'],
  ['witness', 'Witness (extra justification, second approval)'],
  ['victim', 'Victim (extra justification, second approval)'],
];
const SECOND = new Set(['associate', 'witness', 'victim']);
export const categoryText = (c) => (CATEGORIES.find((x) => x[0] === c) || [c, c])[1].replace(/ \(.*\)$/, '');

export function flagText(f) {
  if (typeof f === 'string') return f.replace(/_/g, ' ');
  const who = f.person_ref ? `${f.person_ref}${f.entry ? ' (entry ' + f.entry + ')' : ''}` : f.entry ? `entry ${f.entry}` : '';
  const score = typeof f.score === 'number' ? `, similarity ${f.score.toFixed(2)}` : '';
  switch (f.flag) {
    case 'old_photo':
      return `Old photo: ${fmtNumber(f.years, 1)} years (WL-5)`;
    case 'duplicate':
      return `Duplicate: the same person is already on the list as ${who}${score}`;
    case 'looks_like_another_entry':
      return `Near-duplicate: looks like ${who}${score}; risk of confusing them`;
    default: {
      const rest = Object.entries(f).filter(([k]) => k !== 'flag').map(([k, v]) => `${k.replace(/_/g, ' ')} ${typeof v === 'number' ? fmtNumber(v, 2) : v}`);
      return `${String(f.flag || 'flag').replace(/_/g, ' ')}${rest.length ? ': ' + rest.join(', ') : ''}`;
    }
  }
}

const flagList = (flags) => (flags && flags.length ? h('ul', { class: 'flags' }, flags.map((f) => h('li', null, '⚑ ', flagText(f)))) : null);

export async function renderWatchlist(body, ctx, d, refresh) {
  const box = messageBox();
  const canPhoto = ['applicant', 'reviewer', 'authoriser'].some(ctx.hasRole);
  const canAdd = ctx.hasRole('applicant') && ['draft', 'submitted'].includes(d.state);
  const listCard = h('div', { class: 'card', id: 'watchlist' });
  body.append(box, listCard);
  if (canAdd) body.append(addForm(d, refresh), importForm(d, refresh));

  let entries = [];
  try {
    entries = await api.get(`/api/deployments/${d.id}/watchlist`);
  } catch (e) {
    box.error(e);
    return;
  }
  const active = entries.filter((e) => !e.destroyed);
  const planned = d.record && d.record.watchlist_size;
  listCard.append(h('div', { class: 'card-head' }, h('h2', null, 'Watchlist'),
    h('p', { class: 'progress', id: 'watchlist-summary' }, `${active.length} entr${active.length === 1 ? 'y' : 'ies'}` +
      (planned ? ` of ${planned} planned` : '') + `, ${active.filter((e) => e.reviewed).length} reviewed`)));
  if (!entries.length) {
    listCard.appendChild(h('p', { class: 'muted' }, 'No entries yet.'));
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
      if (ctx.hasRole('reviewer') && !e.reviewed) act('Review: keep on the list', `/api/watchlist/${e.id}/review`, '', `review-${e.id}`);
      if ((ctx.hasRole('reviewer') || ctx.hasRole('authoriser')) && (SECOND.has(e.category) || e.child) && !e.approved)
        act('Second approval', `/api/watchlist/${e.id}/approve`, 'secondary', `approve-${e.id}`);
      if ((ctx.hasRole('applicant') && ['draft', 'submitted'].includes(d.state)) || (ctx.hasRole('reviewer') && !e.reviewed))
        act('Remove', `/api/watchlist/${e.id}/remove`, 'danger secondary', `remove-${e.id}`,
          `Remove ${e.person_ref} from the watchlist? The entry's photo and template are destroyed.`);
    }
    const img = canPhoto && !e.destroyed
      ? h('img', { src: `/api/watchlist/${e.id}/photo`, alt: `Watchlist photo of ${e.person_ref}`, class: 'thumb', loading: 'lazy', width: 96, height: 96 })
      : h('div', { class: 'thumb none', 'aria-hidden': 'true' }, e.destroyed ? 'destroyed' : 'no photo');
    if (img.tagName === 'IMG') img.addEventListener('error', () => img.replaceWith(h('div', { class: 'thumb none' }, 'unavailable')));
    ul.appendChild(h('li', { class: 'entry', id: `entry-${e.id}` }, img,
      h('div', { class: 'entry-body' },
        h('div', { class: 'entry-title' }, h('strong', null, e.person_ref), ' ',
          e.destroyed ? h('span', { class: 'badge' }, 'destroyed (WL-8)') : e.reviewed ? h('span', { class: 'badge good' }, 'reviewed') : h('span', { class: 'badge warn' }, 'not reviewed'),
          e.child ? h('span', { class: 'badge warn' }, 'child (WL-6)') : null),
        h('div', null, categoryText(e.category)),
        h('div', { class: 'muted small' }, `Photo taken ${e.photo_date || '?'} (${photoAge(e.photo_date)}) · entry ${e.id}`),
        flagList(e.flags), ebox, actions)));
  }
}

function addForm(d, refresh) {
  const box = messageBox();
  const verdict = h('div', { class: 'verdict', id: 'wl-verdict', 'aria-live': 'polite', hidden: true });
  const f = (id, text, input, cls = '') => h('div', { class: `field ${cls}` }, h('label', { for: id }, text), input);
  const person = h('input', { id: 'wl-person', required: true, placeholder: 'Name or PNC id' });
  const category = h('select', { id: 'wl-category', required: true }, h('option', { value: '' }, '- choose -'), CATEGORIES.map(([v, t]) => h('option', { value: v }, t)));
  const reason = h('textarea', { id: 'wl-reason', rows: 2, required: true });
  const source = h('input', { id: 'wl-source', required: true, placeholder: 'e.g. custody image system, ref …' });
  const legal = h('input', { id: 'wl-legal', required: true, placeholder: 'e.g. custody image lawfully held (PACE s.64A)' });
  const date = h('input', { id: 'wl-date', type: 'date', required: true, max: new Date().toISOString().slice(0, 10) });
  const extra = h('textarea', { id: 'wl-extra', rows: 2 });
  const child = h('input', { id: 'wl-child', type: 'checkbox' });
  const photo = h('input', { id: 'wl-photo', type: 'file', accept: 'image/jpeg,image/png', required: true });
  const preview = h('img', { class: 'thumb preview', alt: 'The selected photo', hidden: true, width: 96, height: 96 });
  photo.addEventListener('change', () => {
    verdict.hidden = true;
    if (preview.src) URL.revokeObjectURL(preview.src);
    const file = photo.files[0];
    preview.hidden = !file;
    if (file) preview.src = URL.createObjectURL(file);
  });
  const extraHint = h('p', { class: 'muted small', id: 'wl-extra-hint' }, 'Needed for associates, witnesses, victims, children, and photos over 10 years old.');
  extra.setAttribute('aria-describedby', 'wl-extra-hint');
  const add = h('button', { type: 'submit', id: 'wl-add' }, 'Check photo and add');
  const form = h('form', { class: 'card', id: 'watchlist-add', novalidate: true },
    h('h2', null, 'Add a person'),
    h('p', { class: 'muted' }, 'The photo is checked on the server: exactly one usable face, enough resolution, pose, sharpness and exposure (WL-5). It is stored encrypted and destroyed when the deployment ends.'),
    box,
    h('div', { class: 'fields' },
      f('wl-person', 'Person (nominal record)', person),
      f('wl-category', 'Category (WL-2)', category),
      f('wl-reason', 'Why necessary and proportionate for this deployment', reason, 'wide'),
      f('wl-source', 'Source of the image', source),
      f('wl-legal', 'Legal basis', legal),
      f('wl-date', 'Date the photo was taken', date),
      h('div', { class: 'field check' }, child, h('label', { for: 'wl-child' }, 'Under 18 (WL-6)')),
      h('div', { class: 'field wide' }, h('label', { for: 'wl-extra' }, 'Extra justification'), extra, extraHint),
      h('div', { class: 'field wide photo-field' }, h('label', { for: 'wl-photo' }, 'Photo (JPEG or PNG, up to 8 MB)'), h('div', { class: 'row' }, photo, preview))),
    verdict,
    h('div', { class: 'actions' }, add));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const file = photo.files[0];
    if (!file) {
      box.show('Choose a photo.');
      return;
    }
    if (file.size > 8 * 1024 * 1024) {
      box.show('The photo is over 8 MB.');
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
        if (v) showVerdict(v, true, `Accepted: ${b.person_ref} added as entry ${r.id}. Exactly one usable face.`, r.flags);
      } catch (e) {
        if (e.code === 'invalid') showVerdict(verdict, false, `Refused: ${e.message}`);
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

const IMPORT_COLUMNS = 'person_ref,category,reason,source,legal_basis,photo_date,photo,child,extra_justification';

// Many entries at once (issue 15 item 6): a spreadsheet saved as CSV, one
// row per person, and the photos it names. Each row is checked on the
// server as if added by hand; the report says, row by row, what became of it.
function importForm(d, refresh) {
  const box = messageBox();
  const csv = h('input', { id: 'wl-import-csv', type: 'file', accept: '.csv,text/csv' });
  const photos = h('input', { id: 'wl-import-photos', type: 'file', accept: 'image/jpeg,image/png', multiple: true });
  const go = h('button', { type: 'submit', id: 'wl-import' }, 'Check and import');
  const report = h('div', { id: 'wl-import-report', 'aria-live': 'polite' });
  const shown = importReports.get(d.id);
  if (shown) showImport(report, shown);
  const form = h('form', { class: 'card', id: 'watchlist-import', novalidate: true },
    h('h2', null, 'Import from a spreadsheet'),
    h('p', { class: 'muted' }, 'Save the sheet as CSV with a header row naming its columns: ',
      h('code', null, IMPORT_COLUMNS),
      ' (the last two may be left out; child is yes or no; photo is the file name of the person\'s photo). Select the photos with it. Every row is checked as if added by hand; rows that pass are added and wait for review like any other.'),
    box,
    h('div', { class: 'fields' },
      h('div', { class: 'field' }, h('label', { for: 'wl-import-csv' }, 'CSV file'), csv),
      h('div', { class: 'field' }, h('label', { for: 'wl-import-photos' }, 'Photos (JPEG or PNG)'), photos)),
    h('div', { class: 'actions' }, go), report);
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const file = csv.files[0];
    if (!file) {
      box.show('Choose the CSV file.');
      return;
    }
    const bytes = file.size + [...photos.files].reduce((n, f) => n + f.size * 4 / 3, 0);
    if (bytes > 46 * 1024 * 1024) {
      box.show('The file and its photos are over 46 MB together: import them in parts.');
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
      `${r.added} added, ${r.refused} refused.`,
      r.unused_photos && r.unused_photos.length ? ` Photos no row named: ${r.unused_photos.join(', ')}.` : ''),
    h('div', { class: 'table-wrap' }, h('table', { class: 'data', id: 'wl-import-rows' },
      h('thead', null, h('tr', null, ['Line', 'Person', 'Result'].map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', null, r.rows.map((row) => h('tr', { class: row.error ? 'refused' : 'accepted' },
        h('td', { class: 'num' }, row.line || ''),
        h('td', null, row.person_ref || ''),
        h('td', null, row.error ? `Refused: ${row.error.message}` : `Added as entry ${row.id}`,
          row.error ? null : flagList(row.flags))))))));
}
