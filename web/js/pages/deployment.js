// One deployment: the application form (DEP-4) with locations and cameras,
// the watchlist builder (WL-1..8), the authorisation view (DEP-3, DEP-6,
// DEP-7), the live monitor, and the closing report and sign-off (DEP-10,
// PUB-2). Tabs shown by role.
import * as api from '../api.js';
import { h, clear, messageBox, busy, fmtTime, isoMinute, fmtNumber, label, stateBadge, newId, parseUkTime, ukDateTime } from '../ui.js';
import { renderWatchlist } from './watchlist.js';
import { renderClosingReport } from '../closing.js';

const TABS = [
  { id: 'application', title: 'Application', roles: ['applicant', 'authoriser', 'reviewer', 'operator', 'auditor', 'oversight'] },
  { id: 'watchlist', title: 'Watchlist', roles: ['applicant', 'authoriser', 'reviewer', 'auditor'] },
  { id: 'authorise', title: 'Authorisation', roles: ['authoriser'] },
  { id: 'monitor', title: 'Live monitor', roles: ['operator', 'authoriser'] },
  { id: 'report', title: 'Reports', roles: ['authoriser', 'auditor', 'oversight', 'applicant'] },
];

let fieldsCache = null;
async function fields() {
  if (!fieldsCache) fieldsCache = await api.get('/api/fields');
  return fieldsCache;
}

function defaultTab(ctx, d) {
  if (ctx.hasRole('applicant') && d.state === 'draft') return 'application';
  if (ctx.hasRole('authoriser')) return d.state === 'live' ? 'monitor' : 'authorise';
  if (ctx.hasRole('operator')) return 'monitor';
  if (ctx.hasRole('reviewer')) return 'watchlist';
  return 'application';
}

export async function renderDeployment(root, ctx) {
  const id = Number(ctx.params[0]);
  const box = messageBox();
  root.appendChild(box);
  if (!Number.isInteger(id) || id < 1) {
    box.show('No such deployment.');
    return;
  }
  let cleanup = null;
  let d;
  const load = async () => (d = await api.get(`/api/deployments/${id}`));
  try {
    await load();
  } catch (e) {
    box.error(e);
    return;
  }
  const tabs = TABS.filter((t) => t.roles.some(ctx.hasRole));
  let tab = ctx.params[1];
  if (!tabs.find((t) => t.id === tab)) tab = defaultTab(ctx, d);
  if (!tabs.find((t) => t.id === tab)) tab = tabs[0].id;

  const head = h('div', { class: 'page-head' });
  const body = h('section', { class: 'tab-body', id: `tab-${tab}`, 'aria-labelledby': `tablink-${tab}` });
  root.append(head, h('nav', { class: 'tabs', 'aria-label': 'Deployment sections' },
    tabs.map((t) => h('a', { href: `#/deployments/${id}/${t.id}`, id: `tablink-${t.id}`, 'aria-current': t.id === tab ? 'page' : null }, t.title))), body);

  const renderHead = () => {
    clear(head).append(
      h('p', { class: 'crumbs' }, h('a', { href: '#/deployments' }, 'Deployments'), ` / No. ${d.id}`),
      h('h1', null, d.name, ' ', stateBadge(d.state)),
      h('p', { class: 'muted meta' }, [
        d.applicant ? `Applicant ${d.applicant}` : null,
        d.authorised_by ? `authorised by ${d.authorised_by}${d.authorised_ms ? ' at ' + fmtTime(d.authorised_ms) : ''}` : null,
        d.urgent ? (d.ratified_by ? `urgent, ratified by ${d.ratified_by}` : `urgent route: to be ratified by ${fmtTime(d.ratify_by_ms)}`) : null,
        d.started_ms ? `started ${fmtTime(d.started_ms)}` : null,
        d.ended_ms ? `ended ${fmtTime(d.ended_ms)}${d.end_reason ? ' (' + d.end_reason + ')' : ''}` : null,
        d.reviewed_ms ? `review signed off ${fmtTime(d.reviewed_ms)}` : null,
      ].filter(Boolean).join(' · ')));
  };
  const refresh = async () => {
    await load();
    renderHead();
    if (cleanup) cleanup();
    cleanup = null;
    clear(body);
    const view = { application: application, watchlist: watchlistTab, authorise: authorise, monitor: monitor, report: report }[tab];
    cleanup = (await view(body, ctx, d, refresh)) || null;
  };
  try {
    await refresh();
  } catch (e) {
    box.error(e);
  }
  return () => cleanup && cleanup();
}

// ---------------------------------------------------------------- application

function recordValue(f, v) {
  if (v === undefined || v === null) return '';
  if (f.kind === 'time' && typeof v === 'number') return ukDateTime(v);
  if (f.kind === 'yesno' && typeof v === 'boolean') return v ? 'yes' : 'no';
  return String(v);
}

// A field's name for the reader: the console shows and takes times in UK
// time, whatever form the API uses.
const fieldName = (f) => (f.kind === 'time' ? `${label(f.meaning).replace(/\s*\(UTC[^)]*\)/, '')} (UK time)` : label(f.meaning));

const LONG = new Set(['purpose', 'intelligence_case', 'necessity', 'less_intrusive', 'watchlist_criteria', 'engagement_plan', 'public_notice', 'critical_threat_exemption']);

function fieldInput(f, id, value, describedBy) {
  const common = { id, name: f.name, 'aria-describedby': describedBy, 'aria-required': f.mandatory ? 'true' : null };
  switch (f.kind) {
    case 'time':
      return h('input', { ...common, value, placeholder: 'dd/mm/yyyy hh:mm', inputmode: 'text', autocomplete: 'off', spellcheck: 'false' });
    case 'threshold':
      return h('input', { ...common, value, type: 'number', step: 'any', min: '-1', max: '1', inputmode: 'decimal' });
    case 'count':
      return h('input', { ...common, value, type: 'number', step: '1', min: '1', inputmode: 'numeric' });
    case 'yesno':
      return h('select', common, h('option', { value: '' }, '- choose -'), h('option', { value: 'yes' }, 'yes'), h('option', { value: 'no' }, 'no'));
    default:
      return LONG.has(f.name) ? h('textarea', { ...common, rows: 3 }, value) : h('input', { ...common, value });
  }
}

async function application(body, ctx, d, refresh) {
  const fl = await fields();
  const editable = ctx.hasRole('applicant') && d.state === 'draft' && (!d.applicant || d.applicant === ctx.me.user.name);
  const rec = d.record || {};
  const filled = fl.filter((f) => f.mandatory && rec[f.name] !== undefined && rec[f.name] !== null && rec[f.name] !== '').length;
  const mandatory = fl.filter((f) => f.mandatory).length;

  let filled_ = filled;
  const progress = h('p', { class: 'progress', id: 'fields-progress' }, `${filled} of ${mandatory} mandatory fields complete`);
  const form = h('form', { class: 'card', id: 'application-form', novalidate: true, onsubmit: (e) => e.preventDefault() },
    h('div', { class: 'card-head' }, h('h2', null, 'Authorisation record (DEP-4)'), progress),
    editable ? h('p', { class: 'muted' }, 'Each field is checked by the server as soon as you leave it. Fields marked * are mandatory; a notice to the public or a critical threat exemption is needed. Times are UK time (GMT or BST), typed as 5/12/2026 09:00.') : null);
  const grid = h('div', { class: 'fields' });
  form.appendChild(grid);
  for (const f of fl) {
    const value = recordValue(f, rec[f.name]);
    if (!editable) {
      grid.appendChild(h('div', { class: 'field ro' }, h('div', { class: 'lbl' }, fieldName(f)), h('div', { class: 'val', id: `value-${f.name}` }, value || h('span', { class: 'muted' }, 'not given'))));
      continue;
    }
    const id = `field-${f.name}`;
    const msgId = `msg-${f.name}`;
    const msg = h('span', { class: 'field-msg', id: msgId, 'aria-live': 'polite' });
    const input = fieldInput(f, id, value, msgId);
    if (f.kind === 'yesno') input.value = value;
    input.addEventListener('change', async () => {
      msg.className = 'field-msg pending';
      msg.textContent = 'Checking…';
      input.removeAttribute('aria-invalid');
      let value = input.value.trim();
      if (f.kind === 'time' && value) {
        // What the officer typed, in UK time, to the API's UTC form.
        const ms = parseUkTime(value);
        if (ms === null) {
          msg.className = 'field-msg bad';
          msg.textContent = 'A date and time such as 5/12/2026 09:00 (UK time).';
          input.setAttribute('aria-invalid', 'true');
          return;
        }
        value = isoMinute(ms);
        input.value = ukDateTime(ms);
      }
      try {
        await api.post(`/api/deployments/${d.id}/fields`, { field: f.name, value });
        msg.className = 'field-msg ok';
        msg.textContent = '✓ Saved';
        const had = rec[f.name] !== undefined && rec[f.name] !== null;
        rec[f.name] = input.value;
        if (f.mandatory && !had) progress.textContent = `${++filled_} of ${mandatory} mandatory fields complete`;
      } catch (e) {
        msg.className = 'field-msg bad';
        msg.textContent = e.message;
        input.setAttribute('aria-invalid', 'true');
      }
    });
    grid.appendChild(h('div', { class: `field kind-${f.kind}${LONG.has(f.name) ? ' wide' : ''}` },
      h('label', { for: id }, fieldName(f), f.mandatory ? h('span', { class: 'req', 'aria-hidden': 'true' }, ' *') : null),
      input, msg));
  }
  body.appendChild(form);
  body.appendChild(locationsCard(ctx, d, editable, refresh));
  body.appendChild(camerasCard(ctx, d, editable, refresh));
  if (editable) {
    const box = messageBox();
    const submit = h('button', { type: 'button', id: 'submit-application' }, 'Submit for authorisation');
    submit.addEventListener('click', () => busy(submit, box, async () => {
      await api.post(`/api/deployments/${d.id}/submit`);
      await refresh();
    }));
    body.appendChild(h('div', { class: 'card' }, h('h2', null, 'Submit'),
      h('p', null, 'Submitting sends the application to an authorising officer. The record cannot be changed after that; the watchlist can still be completed and reviewed.'),
      box, h('div', { class: 'actions' }, submit)));
  }
}

function locationsCard(ctx, d, editable, refresh) {
  const locs = d.locations || [];
  const card = h('div', { class: 'card', id: 'locations' }, h('h2', null, 'Locations'),
    locs.length ? h('ul', { class: 'items' }, locs.map((l) => h('li', null,
      h('strong', null, l.name), l.sensitive ? h('span', { class: 'badge warn' }, 'sensitive (DEP-8)') : null, h('div', { class: 'muted' }, l.reason))))
      : h('p', { class: 'muted' }, 'No location yet.'));
  if (!editable) return card;
  const box = messageBox();
  const name = h('input', { id: 'loc-name', required: true });
  const reason = h('textarea', { id: 'loc-reason', rows: 2, required: true });
  const sensitive = h('input', { id: 'loc-sensitive', type: 'checkbox' });
  const just = h('textarea', { id: 'loc-justification', rows: 2 });
  const justField = h('div', { class: 'field wide', hidden: true }, h('label', { for: 'loc-justification' }, 'Extra justification for a sensitive location'), just);
  sensitive.addEventListener('change', () => (justField.hidden = !sensitive.checked));
  const add = h('button', { type: 'submit', id: 'loc-add' }, 'Add location');
  const form = h('form', { class: 'subform', novalidate: true },
    h('h3', null, 'Add a location'), box,
    h('div', { class: 'fields' },
      h('div', { class: 'field' }, h('label', { for: 'loc-name' }, 'Place'), name),
      h('div', { class: 'field wide' }, h('label', { for: 'loc-reason' }, 'Why this place'), reason),
      h('div', { class: 'field check' }, sensitive, h('label', { for: 'loc-sensitive' }, 'Sensitive location (place of worship, school, protest)')),
      justField),
    h('div', { class: 'actions' }, add));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    busy(add, box, async () => {
      const b = { name: name.value.trim(), reason: reason.value.trim(), sensitive: sensitive.checked };
      if (sensitive.checked || just.value.trim()) b.justification = just.value.trim();
      await api.post(`/api/deployments/${d.id}/locations`, b);
      await refresh();
    });
  });
  card.appendChild(form);
  return card;
}

function camerasCard(ctx, d, editable, refresh) {
  const cams = d.cameras || [];
  const canCheck = ['applicant', 'authoriser', 'operator'].some((r) => ctx.hasRole(r));
  const card = h('div', { class: 'card', id: 'cameras' }, h('h2', null, 'Cameras'),
    cams.length ? h('ul', { class: 'items' }, cams.map((c) => h('li', { id: `camera-${c.name}` },
      h('strong', null, c.name), c.location ? ` at ${c.location}` : '', h('div', { class: 'muted mono' }, c.source || ''),
      editable ? cameraChange(d, c, refresh) : null,
      canCheck ? cameraCheck(d, c.name) : null)))
      : h('p', { class: 'muted' }, 'No camera yet.'));
  if (!editable) return card;
  const box = messageBox();
  const name = h('input', { id: 'cam-name', required: true, maxlength: 63 });
  const source = h('input', { id: 'cam-source', required: true, placeholder: 'rtsp://camera.example/stream, /dev/video0 or a file', spellcheck: 'false' });
  const loc = h('select', { id: 'cam-location' }, h('option', { value: '' }, '- none -'), (d.locations || []).map((l) => h('option', { value: l.name }, l.name)));
  const add = h('button', { type: 'submit', id: 'cam-add' }, 'Add camera');
  const form = h('form', { class: 'subform', novalidate: true },
    h('h3', null, 'Add a camera'), box,
    h('div', { class: 'fields' },
      h('div', { class: 'field' }, h('label', { for: 'cam-name' }, 'Camera name'), name),
      h('div', { class: 'field' }, h('label', { for: 'cam-location' }, 'Location'), loc),
      h('div', { class: 'field wide' }, h('label', { for: 'cam-source' }, 'Video source'), source)),
    h('div', { class: 'actions' }, add));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    busy(add, box, async () => {
      await api.post(`/api/deployments/${d.id}/cameras`, { name: name.value.trim(), source: source.value.trim(), location: loc.value });
      await refresh();
    });
  });
  card.appendChild(form);
  return card;
}

// Changing a draft's camera (issue 15 item 7): its source or location, or
// removing it. A source is typed whole again: the one shown hides any
// password.
function cameraChange(d, c, refresh) {
  const box = messageBox();
  const path = `/api/deployments/${d.id}/cameras/${encodeURIComponent(c.name)}`;
  const source = h('input', { id: `cam-edit-source-${c.name}`, placeholder: 'the whole URL or path again', spellcheck: 'false' });
  const loc = h('select', { id: `cam-edit-location-${c.name}` }, h('option', { value: '' }, '- none -'),
    (d.locations || []).map((l) => h('option', { value: l.name, selected: l.name === c.location }, l.name)));
  const save = h('button', { type: 'submit', id: `cam-save-${c.name}` }, 'Save');
  const form = h('form', { class: 'subform', hidden: true, novalidate: true },
    h('div', { class: 'fields' },
      h('div', { class: 'field wide' }, h('label', { for: `cam-edit-source-${c.name}` }, 'New video source (empty: unchanged)'), source),
      h('div', { class: 'field' }, h('label', { for: `cam-edit-location-${c.name}` }, 'Location'), loc)),
    h('div', { class: 'actions' }, save));
  const change = h('button', { type: 'button', class: 'secondary small', id: `cam-change-${c.name}` }, 'Change');
  const remove = h('button', { type: 'button', class: 'danger secondary small', id: `cam-remove-${c.name}` }, 'Remove');
  change.addEventListener('click', () => {
    form.hidden = !form.hidden;
    if (!form.hidden) source.focus();
  });
  remove.addEventListener('click', () => {
    if (!confirm(`Remove camera ${c.name} from this application?`)) return;
    busy(remove, box, async () => {
      await api.post(`${path}/remove`);
      await refresh();
    });
  });
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const b = { location: loc.value };
    if (source.value.trim()) b.source = source.value.trim();
    busy(save, box, async () => {
      await api.post(`${path}/edit`, b);
      await refresh();
    });
  });
  return h('div', null, h('div', { class: 'actions left' }, change, remove), form, box);
}

// A camera's picture before authorisation or a start: one frame with every
// face blurred by the server, or why the camera cannot be opened. Kept in
// memory only while shown (no-store, an object URL revoked on hiding).
function cameraCheck(d, name) {
  const out = h('div', { class: 'camera-check' });
  const b = h('button', { type: 'button', class: 'secondary', dataset: { check: name } }, 'Check picture');
  let url = null;
  const hide = () => {
    if (url) URL.revokeObjectURL(url);
    url = null;
    clear(out);
    b.textContent = 'Check picture';
  };
  b.addEventListener('click', async () => {
    if (url) return hide();
    clear(out).append(h('p', { class: 'muted small' }, 'Opening the camera…'));
    b.disabled = true;
    try {
      const r = await fetch(`/api/deployments/${d.id}/cameras/${encodeURIComponent(name)}/preview`, { cache: 'no-store', credentials: 'same-origin' });
      if (!r.ok) {
        const doc = await r.json().catch(() => null);
        clear(out).append(h('p', { class: 'error', role: 'alert' }, doc && doc.error ? doc.error.message : `The camera could not be checked (${r.status}).`));
        return;
      }
      const faces = Number(r.headers.get('X-Faces-Blurred') || 0);
      url = URL.createObjectURL(await r.blob());
      clear(out).append(h('figure', null,
        h('img', { class: 'live-picture', src: url, alt: `Picture from camera ${name}, every face blurred` }),
        h('figcaption', { class: 'muted small' }, `One picture, ${faces} face${faces === 1 ? '' : 's'} blurred. Nothing is searched or kept.`)));
      b.textContent = 'Hide picture';
    } catch (e) {
      clear(out).append(h('p', { class: 'error', role: 'alert' }, `The camera could not be checked: ${e.message}`));
    } finally {
      b.disabled = false;
    }
  });
  return h('div', null, h('div', { class: 'actions left' }, b), out);
}

// ---------------------------------------------------------------- watchlist

function watchlistTab(body, ctx, d, refresh) {
  return renderWatchlist(body, ctx, d, refresh);
}

// ---------------------------------------------------------------- authorisation

function figure(title, value, note, cls = '') {
  return h('div', { class: `figure ${cls}` }, h('div', { class: 'fig-title' }, title), h('div', { class: 'fig-value' }, value), note ? h('div', { class: 'fig-note' }, note) : null);
}

// confirmText: asked before an act that cannot be undone (stop, cancel).
function reasonForm(idp, text, action, onDone, danger = true, confirmText = null) {
  const box = messageBox();
  const rid = `${idp}-reason`;
  const reason = h('input', { id: rid, required: true, placeholder: 'Reason (recorded in the audit log)' });
  const b = h('button', { type: 'submit', id: `${idp}-button`, class: danger ? 'danger' : '' }, text);
  const f = h('form', { class: 'reason-form', novalidate: true }, box,
    h('div', { class: 'row' }, h('div', { class: 'field grow' }, h('label', { for: rid }, `Reason to ${text.toLowerCase()}`), reason), h('div', { class: 'field' }, b)));
  f.addEventListener('submit', (e) => {
    e.preventDefault();
    if (confirmText && reason.value.trim() && !confirm(confirmText)) return;
    busy(b, box, async () => {
      await action(reason.value.trim());
      await onDone();
    });
  });
  return f;
}

/* The latest walk test (ACC-3), for the officer who starts the deployment. */
function walkTestFigure(tests) {
  const t = (tests || []).at(-1);
  if (!t) return figure('Walk test', 'none yet', 'consenting staff walk past before going live (ACC-3)', 'warn');
  const rate = t.hit_rate === null ? 'no passes' : `${t.found} of ${t.passes} found`;
  const detail = t.hit_rate === null ? (t.ended_ms ? 'ended' : 'running')
    : `${Math.round(100 * t.hit_rate_lo)}-${Math.round(100 * t.hit_rate_hi)}% (95%), median ${t.median_seconds_to_alert === null ? '-' : fmtNumber(t.median_seconds_to_alert, 1) + ' s'} to alert, ${t.false_alerts} false alert${t.false_alerts === 1 ? '' : 's'}`;
  return figure('Walk test', rate, detail, t.false_alerts === 0 && t.found === t.passes && t.passes > 0 ? 'good' : 'warn');
}

async function authorise(body, ctx, d, refresh) {
  const rec = d.record || {};
  const lim = d.limits || {};
  const exp = d.expected;
  const fl = await fields();
  let wl = [];
  try {
    wl = await api.get(`/api/deployments/${d.id}/watchlist`);
  } catch {
    /* shown in the watchlist tab */
  }
  const active = wl.filter((e) => !e.destroyed);
  const reviewed = active.filter((e) => e.reviewed).length;
  const threshold = typeof rec.threshold === 'number' ? rec.threshold : Number(rec.threshold);
  const floorOk = !(threshold < lim.threshold_floor);
  const per1000 = exp ? exp.false_alerts_per_1000_faces : null;
  const ceilingOk = per1000 === null || per1000 === undefined || !(per1000 > lim.max_false_alerts_per_1000);
  const missing = fl.filter((f) => f.mandatory && (rec[f.name] === undefined || rec[f.name] === null || rec[f.name] === ''));

  body.appendChild(h('div', { class: 'card', id: 'dep7' },
    h('h2', null, 'Expected false alerts (DEP-7)'),
    h('p', { class: 'muted' }, 'Expected footfall × watchlist size × the false-match rate measured for this model at the chosen threshold' +
      (exp && exp.estimate_data ? `, on ${exp.estimate_data} (the higher of the laboratory and in-the-wild measurements).` : '.')),
    h('div', { class: 'figures' },
      figure('Expected false alerts', exp ? fmtNumber(exp.expected_false_alerts, 3) : 'unknown',
        exp ? `over ${fmtNumber(rec.expected_footfall)} faces, watchlist of ${fmtNumber(rec.watchlist_size)}` : 'needs threshold, watchlist size and footfall', exp ? '' : 'warn'),
      figure('Per 1,000 faces', per1000 !== null && per1000 !== undefined ? fmtNumber(per1000, 4) : 'unknown',
        `ceiling ${fmtNumber(lim.max_false_alerts_per_1000)} per 1,000 faces` + (ceilingOk ? '' : ': EXCEEDED'), ceilingOk ? 'good' : 'bad'),
      figure('Threshold', Number.isFinite(threshold) ? threshold.toFixed(3) : 'not set',
        `floor ${fmtNumber(lim.threshold_floor, 3)} validated for this model (DEP-6)` + (floorOk ? '' : ': BELOW THE FLOOR'), floorOk ? 'good' : 'bad'),
      figure('False-match rate', exp ? fmtNumber(exp.fmr_at_threshold, 6) : 'unknown', exp && exp.data ? `measured at the threshold on ${exp.data}` : 'measured at the threshold'),
      figure('In the wild', exp && exp.in_the_wild ? `${fmtNumber(exp.in_the_wild.false_alerts_per_1000_faces, 4)} per 1,000` : 'not measured',
        exp && exp.in_the_wild ? `95% interval ${fmtNumber(exp.in_the_wild.false_alerts_per_1000_faces_lo, 4)} to ${fmtNumber(exp.in_the_wild.false_alerts_per_1000_faces_hi, 4)} per 1,000 faces; ${exp.in_the_wild.data}` : 'at this threshold', exp && exp.in_the_wild ? '' : 'warn'),
      walkTestFigure(d.walk_tests),
      figure('Watchlist reviewed', `${reviewed} of ${active.length}`, `planned size ${rec.watchlist_size ?? '?'} (WL-4)`, reviewed === active.length && active.length ? 'good' : 'warn'))));

  body.appendChild(h('div', { class: 'card' }, h('h2', null, 'What is being authorised'),
    h('dl', { class: 'kv' },
      ['purpose', 'necessity', 'less_intrusive', 'watchlist_criteria', 'engagement_plan'].map((k) => {
        const f = fl.find((x) => x.name === k);
        return [h('dt', null, label(f ? f.meaning : k)), h('dd', null, rec[k] ?? '-')];
      }),
      h('dt', null, 'window (UK time)'), h('dd', null, rec.start ? `${fmtTime(rec.start)} to ${fmtTime(rec.end)}` : '-'),
      h('dt', null, 'locations'), h('dd', null, (d.locations || []).map((l) => l.name + (l.sensitive ? ' (sensitive)' : '')).join('; ') || '-'),
      h('dt', null, 'cameras'), h('dd', null, (d.cameras || []).map((c) => c.name).join(', ') || '-'),
      h('dt', null, 'public notice'), h('dd', null, rec.public_notice || (rec.critical_threat_exemption ? `exemption: ${rec.critical_threat_exemption} (approved by ${rec.exemption_approved_by || '?'})` : '-')),
      h('dt', null, 'assessments'), h('dd', null, `DPIA ${rec.dpia_ref || '-'}, equality ${rec.equality_ref || '-'}, community ${rec.community_ref || '-'}`),
      h('dt', null, 'PCC informed'), h('dd', null, rec.pcc_informed === true ? 'yes' : rec.pcc_informed === false ? 'no' : '-')),
    h('p', null, h('a', { href: `#/deployments/${d.id}/application` }, 'The whole record'))));

  const act = h('div', { class: 'card', id: 'authorise-actions' }, h('h2', null, 'Decision'));
  body.appendChild(act);
  const box = messageBox();
  act.appendChild(box);
  const me = ctx.me.user;
  if (d.state === 'submitted') {
    if (missing.length) act.appendChild(h('p', { class: 'msg msg-warn' }, `Mandatory fields empty: ${missing.map((f) => label(f.name)).join(', ')}.`));
    const urgent = h('input', { type: 'checkbox', id: 'authorise-urgent' });
    const b = h('button', { type: 'button', id: 'authorise-button' }, 'Authorise deployment');
    b.addEventListener('click', () => busy(b, box, async () => {
      await api.post(`/api/deployments/${d.id}/authorise`, { urgent: urgent.checked });
      await refresh();
    }));
    act.append(
      h('p', null, `You authorise as ${me.name} (${(me.rank || 'no rank').replace(/_/g, ' ')}). The record is frozen and its hash kept in the audit log.`),
      h('div', { class: 'field check' }, urgent, h('label', { for: 'authorise-urgent' }, 'Urgent route (to be ratified by a superintendent within the deadline, DEP-3)')),
      h('div', { class: 'actions' }, b));
  } else if (d.state === 'draft') {
    act.appendChild(h('p', { class: 'muted' }, 'The applicant has not submitted this application yet.'));
  } else {
    act.appendChild(h('p', null, 'State: ', stateBadge(d.state)));
  }
  if (d.urgent && !d.ratified_by && ['authorised', 'live'].includes(d.state)) {
    const b = h('button', { type: 'button', id: 'ratify-button' }, 'Ratify urgent authorisation');
    b.addEventListener('click', () => busy(b, box, async () => {
      await api.post(`/api/deployments/${d.id}/ratify`);
      await refresh();
    }));
    act.append(h('p', null, `Must be ratified by ${fmtTime(d.ratify_by_ms)} or it stops and its watchlist is destroyed.`), h('div', { class: 'actions' }, b));
  }
  if (['authorised', 'live'].includes(d.state)) {
    const tid = newId('thr');
    const t = h('input', { id: tid, type: 'number', step: 'any', min: String(lim.threshold_floor ?? -1), max: '1', value: Number.isFinite(threshold) ? threshold : '' });
    const tb = h('button', { type: 'submit', class: 'secondary' }, 'Change threshold');
    const tf = h('form', { class: 'row', novalidate: true }, h('div', { class: 'field' }, h('label', { for: tid }, 'Threshold (DEP-6, logged)'), t), h('div', { class: 'field' }, tb));
    tf.addEventListener('submit', (e) => {
      e.preventDefault();
      busy(tb, box, async () => {
        await api.post(`/api/deployments/${d.id}/fields`, { field: 'threshold', value: t.value });
        await refresh();
      });
    });
    act.append(h('h3', null, 'While it runs'), tf,
      ...(d.state === 'live' ? [reasonForm('suspend', 'Suspend', (r) => api.post(`/api/deployments/${d.id}/suspend`, { reason: r }), refresh)] : []),
      reasonForm('cancel', 'Cancel', (r) => api.post(`/api/deployments/${d.id}/cancel`, { reason: r }), refresh, true,
        `Cancel deployment ${d.id}? It cannot be authorised or started again, and its watchlist is destroyed.`));
  }
  if (d.state === 'ended') act.appendChild(signOff(d, refresh, box));
}

function signOff(d, refresh, box) {
  const b = h('button', { type: 'button', id: 'review-signoff' }, 'Sign off the post-deployment review');
  b.addEventListener('click', () => busy(b, box, async () => {
    await api.post(`/api/deployments/${d.id}/review`);
    await refresh();
  }));
  return h('div', { class: 'signoff' }, h('h3', null, 'Post-deployment review (PUB-2)'),
    h('p', null, 'Compare what happened with what was authorised (',
      h('a', { href: `/api/deployments/${d.id}/review-report?format=html`, target: '_blank', rel: 'noopener' }, 'review report'), '), then sign it off.'),
    h('div', { class: 'actions' }, b));
}

// ---------------------------------------------------------------- monitor

async function monitor(body, ctx, d, refresh) {
  const box = messageBox();
  const controls = h('div', { class: 'card', id: 'monitor-controls' }, h('h2', null, 'Deployment'), box);
  body.appendChild(controls);
  if (d.state === 'authorised' || d.state === 'suspended') {
    const b = h('button', { type: 'button', id: 'start-button' }, d.state === 'suspended' ? 'Start again' : 'Start deployment');
    b.addEventListener('click', () => busy(b, box, async () => {
      await api.post(`/api/deployments/${d.id}/start`);
      await refresh();
    }));
    const rec = d.record || {};
    controls.append(h('p', null, `Authorised for ${fmtTime(rec.start)} to ${fmtTime(rec.end)}. Cameras process frames only while it is live and inside that window (DEP-5).`), h('div', { class: 'actions' }, b));
  } else if (d.state === 'live') {
    controls.append(reasonForm('stop', 'Stop', (r) => api.post(`/api/deployments/${d.id}/stop`, { reason: r }), refresh, true,
      `Stop deployment ${d.id}? Its cameras stop, it cannot be started again, and its watchlist is destroyed.`));
  } else {
    controls.append(h('p', null, 'State: ', stateBadge(d.state)));
  }

  const summary = h('div', { class: 'figures', id: 'monitor-summary' });
  const table = h('tbody');
  const updated = h('p', { class: 'muted small', 'aria-live': 'off' });
  body.appendChild(h('div', { class: 'card', id: 'monitor' }, h('h2', null, 'Cameras'), summary,
    h('div', { class: 'table-wrap' }, h('table', { class: 'data', id: 'camera-table' },
      h('thead', null, h('tr', null, ['Camera', 'State', 'Frames/s', 'Faces/s', 'Frames', 'Dropped', 'Faces', 'Compared', 'Alerts'].map((c, i) => h('th', { scope: 'col', class: i > 1 ? 'num' : null }, c)))),
      table)), updated));

  // The operator may watch a camera's picture: faces of people not on the
  // watchlist come blurred from the server, and the browser keeps nothing
  // (no-store). Off until asked for; closed when hidden or left.
  const pictures = h('div', { class: 'live-pictures' });
  const pictureButtons = h('div', { class: 'actions' });
  const pictureCard = h('div', { class: 'card', id: 'live-pictures' }, h('h2', null, 'Live picture'),
    h('p', { class: 'muted small' }, 'A few pictures a second. Faces of people not on the watchlist are blurred before the picture leaves the server; a person alerted on is outlined. Nothing of it is stored.'),
    pictureButtons, pictures);
  if (ctx.hasRole('operator') && d.state === 'live') body.appendChild(pictureCard);
  const shown = new Map(); // camera name -> its <img>
  const togglePicture = (name, button) => {
    const img = shown.get(name);
    if (img) {
      img.removeAttribute('src'); // closes the stream
      img.closest('figure').remove();
      shown.delete(name);
      button.textContent = `Show ${name}`;
      button.setAttribute('aria-pressed', 'false');
      return;
    }
    const pic = h('img', { class: 'live-picture', alt: `Live picture of camera ${name}, faces of people not on the watchlist blurred`, src: `/api/deployments/${d.id}/cameras/${encodeURIComponent(name)}/live` });
    pic.addEventListener('error', () => { pic.replaceWith(h('p', { class: 'muted' }, `No picture from ${name}: the camera is not running.`)); });
    pictures.appendChild(h('figure', null, pic, h('figcaption', null, name)));
    shown.set(name, pic);
    button.textContent = `Hide ${name}`;
    button.setAttribute('aria-pressed', 'true');
  };
  const pictureButtonFor = (name) => {
    if (pictureButtons.querySelector(`[data-camera="${CSS.escape(name)}"]`)) return;
    const b = h('button', { type: 'button', class: 'secondary', dataset: { camera: name }, 'aria-pressed': 'false' }, `Show ${name}`);
    b.addEventListener('click', () => togglePicture(name, b));
    pictureButtons.appendChild(b);
  };

  let prev = null;
  let lastRunning = null;
  let timer = null;
  let stopped = false;
  const poll = async () => {
    if (stopped) return;
    try {
      const m = await api.poll(`/api/deployments/${d.id}/monitor`);
      const now = performance.now();
      const cams = m.cameras || [];
      const facesNow = cams.reduce((s, c) => s + (c.faces || 0), 0);
      const fps = cams.reduce((s, c) => s + (c.fps || 0), 0);
      const faceRate = prev && now - prev.t >= 1000 ? (1000 * Math.max(0, facesNow - prev.faces)) / (now - prev.t) : null;
      clear(summary).append(
        figure('State', m.running ? 'running' : m.state || d.state, m.running ? 'cameras processing' : 'not processing', m.running ? 'good' : ''),
        figure('Frames per second', fmtNumber(fps, 1), 'all cameras'),
        figure('Faces per second', faceRate === null ? '…' : fmtNumber(faceRate, 1), 'all cameras'),
        figure('Faces processed', fmtNumber(Math.max(m.faces_total || 0, facesNow), 0), 'so far, then deleted (PRI-1)'),
        figure('Latency p95', m.latency_p95_ms !== undefined && m.latency_p95_ms !== null ? `${fmtNumber(m.latency_p95_ms, 0)} ms` : '-', 'capture to comparison'),
        // Alerts raised but not yet written: the database fails; they are kept and retried.
        ...(m.alerts_waiting ? [figure('Alerts waiting', fmtNumber(m.alerts_waiting, 0), `not yet stored: ${m.alert_store_error || 'the database fails'}; retried every second`, 'bad')] : []));
      for (const c of cams) if (c.state !== 'stopped') pictureButtonFor(c.name);
      const rates = {};
      for (const c of cams) {
        const p = prev ? prev.cams[c.name] : undefined;
        rates[c.name] = p !== undefined && now - prev.t >= 1000 ? (1000 * Math.max(0, (c.faces || 0) - p)) / (now - prev.t) : null;
      }
      clear(table).append(...(cams.length ? cams.map((c) => h('tr', null,
        h('th', { scope: 'row' }, c.name),
        h('td', null, h('span', { class: `badge cam-${c.state}` }, c.state || '-'), c.message ? h('div', { class: 'muted small' }, c.message) : null),
        h('td', { class: 'num' }, fmtNumber(c.fps ?? 0, 1)),
        h('td', { class: 'num' }, rates[c.name] === null ? '…' : fmtNumber(rates[c.name], 1)),
        h('td', { class: 'num' }, fmtNumber(c.frames ?? 0, 0)),
        h('td', { class: 'num' }, c.dropped === undefined ? '-' : fmtNumber(c.dropped, 0)),
        h('td', { class: 'num', dataset: { col: 'faces' } }, fmtNumber(c.faces ?? 0, 0)),
        h('td', { class: 'num' }, fmtNumber(c.compared ?? 0, 0)),
        h('td', { class: 'num' }, fmtNumber(c.alerts ?? 0, 0)))) : [h('tr', null, h('td', { colspan: 9, class: 'muted' }, 'No camera.'))]));
      // Rates are measured over 1.5 s or more, not between two quick polls.
      if (!prev || now - prev.t >= 1500) prev = { t: now, faces: facesNow, cams: Object.fromEntries(cams.map((c) => [c.name, c.faces || 0])) };
      updated.textContent = `Updated ${new Date().toLocaleTimeString('en-GB')}`;
      // The deployment changed state (or its cameras started or stopped):
      // show it afresh with the controls that now apply.
      const changed = (m.state && m.state !== d.state) || (lastRunning !== null && m.running !== lastRunning);
      lastRunning = m.running;
      if (changed) {
        stopped = true;
        refresh();
        return;
      }
    } catch (e) {
      box.error(e);
    }
    timer = setTimeout(poll, 2000);
  };
  const onEvent = (ev) => {
    const { type, data } = ev.detail;
    if (type === 'deployment' && (data.id === d.id || data.ended)) {
      stopped = true;
      clearTimeout(timer);
      refresh();
    } else if (type === 'camera' && data.deployment === d.id) {
      clearTimeout(timer);
      poll();
    }
  };
  window.addEventListener('lfr-event', onEvent);
  await poll();
  return () => {
    stopped = true;
    clearTimeout(timer);
    window.removeEventListener('lfr-event', onEvent);
    for (const img of shown.values()) img.removeAttribute('src');
  };
}

// ---------------------------------------------------------------- reports

async function report(body, ctx, d, refresh) {
  const links = h('ul', { class: 'links' },
    h('li', null, h('a', { href: `/api/deployments/${d.id}/notice?format=html`, target: '_blank', rel: 'noopener' }, 'Public notice (PUB-1)')),
    h('li', null, 'Deployment record (PUB-3): ',
      h('a', { href: `/api/deployments/${d.id}/record?format=html`, target: '_blank', rel: 'noopener' }, 'HTML'), ', ',
      h('a', { href: `/api/deployments/${d.id}/record?format=csv` }, 'CSV'), ', ',
      h('a', { href: `/api/deployments/${d.id}/record?format=json`, target: '_blank', rel: 'noopener' }, 'JSON')),
    h('li', null, h('a', { href: `/api/deployments/${d.id}/review-report?format=html`, target: '_blank', rel: 'noopener' }, 'Post-deployment review report (PUB-2)')));
  body.appendChild(h('div', { class: 'card' }, h('h2', null, 'Published documents'), links));
  const box = messageBox();
  const card = h('div', { class: 'card', id: 'closing-report' }, h('h2', null, 'Closing report (DEP-10)'), box);
  body.appendChild(card);
  if (!['ended', 'reviewed', 'cancelled'].includes(d.state)) {
    card.appendChild(h('p', { class: 'muted' }, 'The closing report is produced when the deployment ends.'));
  } else if (ctx.hasRole('authoriser') || ctx.hasRole('auditor') || ctx.hasRole('oversight')) {
    try {
      card.appendChild(renderClosingReport(await api.get(`/api/deployments/${d.id}/report`)));
    } catch (e) {
      box.error(e);
    }
  }
  if (d.state === 'ended' && ctx.hasRole('authoriser')) card.appendChild(signOff(d, refresh, box));
}
