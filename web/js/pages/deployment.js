// One deployment: the application form (DEP-4) with locations and cameras,
// the watchlist builder (WL-1..8), the authorisation view (DEP-3, DEP-6,
// DEP-7), the live monitor, and the closing report and sign-off (DEP-10,
// PUB-2). Tabs shown by role.
import * as api from '../api.js';
import { h, clear, messageBox, busy, fmtTime, isoMinute, fmtNumber, label, stateBadge, newId, parseUkTime, ukDateTime, known, rankText } from '../ui.js';
import { renderWatchlist } from './watchlist.js';
import { renderClosingReport } from '../closing.js';
import { t, tn, language, locale } from '../i18n.js';

// Each tab's title is deployment.tab.<id> in the catalogue.
const TABS = [
  { id: 'application', roles: ['applicant', 'authoriser', 'reviewer', 'operator', 'auditor', 'oversight'] },
  { id: 'watchlist', roles: ['applicant', 'authoriser', 'reviewer', 'auditor'] },
  { id: 'authorise', roles: ['authoriser'] },
  { id: 'monitor', roles: ['operator', 'authoriser'] },
  { id: 'report', roles: ['authoriser', 'auditor', 'oversight', 'applicant'] },
];

const cameraState = known('deployment.camera_state', ['connecting', 'running', 'reconnecting', 'ended', 'failed', 'stopped', 'on_node']);
const yesNo = (v) => t(v ? 'deployment.yes' : 'deployment.no');

// A published document in the reader's language (PUB-1..3).
const docUrl = (d, doc, format) => `/api/deployments/${d.id}/${doc}?format=${format}&lang=${language()}`;

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
    box.show(t('deployment.no_such'));
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
  const tabs = TABS.filter((x) => x.roles.some(ctx.hasRole));
  let tab = ctx.params[1];
  if (!tabs.find((x) => x.id === tab)) tab = defaultTab(ctx, d);
  if (!tabs.find((x) => x.id === tab)) tab = tabs[0].id;

  const head = h('div', { class: 'page-head' });
  const body = h('section', { class: 'tab-body', id: `tab-${tab}`, 'aria-labelledby': `tablink-${tab}` });
  root.append(head, h('nav', { class: 'tabs', 'aria-label': t('deployment.sections') },
    tabs.map((x) => h('a', { href: `#/deployments/${id}/${x.id}`, id: `tablink-${x.id}`, 'aria-current': x.id === tab ? 'page' : null },
      t(`deployment.tab.${x.id}`)))), body);

  const renderHead = () => {
    clear(head).append(
      h('p', { class: 'crumbs' }, h('a', { href: '#/deployments' }, t('nav.deployments')), ' / ', t('deployment.number', { id: d.id })),
      h('h1', null, d.name, ' ', stateBadge(d.state)),
      h('p', { class: 'muted meta' }, [
        d.applicant ? t('deployment.meta.applicant', { name: d.applicant }) : null,
        d.authorised_by ? t(d.authorised_ms ? 'deployment.meta.authorised_at' : 'deployment.meta.authorised', { name: d.authorised_by, time: fmtTime(d.authorised_ms) }) : null,
        d.urgent ? (d.ratified_by ? t('deployment.meta.ratified', { name: d.ratified_by }) : t('deployment.meta.to_ratify', { time: fmtTime(d.ratify_by_ms) })) : null,
        d.started_ms ? t('deployment.meta.started', { time: fmtTime(d.started_ms) }) : null,
        d.ended_ms ? t(d.end_reason ? 'deployment.meta.ended_reason' : 'deployment.meta.ended', { time: fmtTime(d.ended_ms), reason: d.end_reason }) : null,
        d.reviewed_ms ? t('deployment.meta.reviewed', { time: fmtTime(d.reviewed_ms) }) : null,
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

// A field's value as the form holds it: yes/no as the API takes them.
function recordValue(f, v) {
  if (v === undefined || v === null) return '';
  if (f.kind === 'time' && typeof v === 'number') return ukDateTime(v);
  if (f.kind === 'yesno' && typeof v === 'boolean') return v ? 'yes' : 'no';
  return String(v);
}

// A field's value for the reader of a record that cannot be changed.
const shownValue = (f, v) => (f.kind === 'yesno' && typeof v === 'boolean' ? yesNo(v) : recordValue(f, v));

// A field's name for the reader (times in UK time, as the console shows and
// takes them). A field the catalogue lacks (a newer server's) keeps the
// server's English, and i18n warns of it.
function fieldName(f) {
  const key = `deployment.field.${f.name}`;
  const text = t(key);
  return text === key ? label(f.meaning) : text;
}

const LONG = new Set(['purpose', 'intelligence_case', 'necessity', 'less_intrusive', 'watchlist_criteria', 'engagement_plan', 'public_notice', 'critical_threat_exemption']);

function fieldInput(f, id, value, describedBy) {
  const common = { id, name: f.name, 'aria-describedby': describedBy, 'aria-required': f.mandatory ? 'true' : null };
  switch (f.kind) {
    case 'time':
      return h('input', { ...common, value, placeholder: t('deployment.time_placeholder'), inputmode: 'text', autocomplete: 'off', spellcheck: 'false' });
    case 'threshold':
      return h('input', { ...common, value, type: 'number', step: 'any', min: '-1', max: '1', inputmode: 'decimal' });
    case 'count':
      return h('input', { ...common, value, type: 'number', step: '1', min: '1', inputmode: 'numeric' });
    case 'yesno':
      return h('select', common, h('option', { value: '' }, t('deployment.choose')),
        h('option', { value: 'yes' }, yesNo(true)), h('option', { value: 'no' }, yesNo(false)));
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
  const progressText = (n) => t('deployment.progress', { filled: n, total: mandatory });
  const progress = h('p', { class: 'progress', id: 'fields-progress' }, progressText(filled));
  const form = h('form', { class: 'card', id: 'application-form', novalidate: true, onsubmit: (e) => e.preventDefault() },
    h('div', { class: 'card-head' }, h('h2', null, t('deployment.record_title')), progress),
    editable ? h('p', { class: 'muted' }, t('deployment.record_intro')) : null);
  const grid = h('div', { class: 'fields' });
  form.appendChild(grid);
  for (const f of fl) {
    if (!editable) {
      grid.appendChild(h('div', { class: 'field ro' }, h('div', { class: 'lbl' }, fieldName(f)),
        h('div', { class: 'val', id: `value-${f.name}` }, shownValue(f, rec[f.name]) || h('span', { class: 'muted' }, t('deployment.not_given')))));
      continue;
    }
    const value = recordValue(f, rec[f.name]);
    const id = `field-${f.name}`;
    const msgId = `msg-${f.name}`;
    const msg = h('span', { class: 'field-msg', id: msgId, 'aria-live': 'polite' });
    const input = fieldInput(f, id, value, msgId);
    if (f.kind === 'yesno') input.value = value;
    input.addEventListener('change', async () => {
      msg.className = 'field-msg pending';
      msg.textContent = t('deployment.checking');
      input.removeAttribute('aria-invalid');
      let value = input.value.trim();
      if (f.kind === 'time' && value) {
        // What the officer typed, in UK time, to the API's UTC form.
        const ms = parseUkTime(value);
        if (ms === null) {
          msg.className = 'field-msg bad';
          msg.textContent = t('deployment.bad_time');
          input.setAttribute('aria-invalid', 'true');
          return;
        }
        value = isoMinute(ms);
        input.value = ukDateTime(ms);
      }
      try {
        await api.post(`/api/deployments/${d.id}/fields`, { field: f.name, value });
        msg.className = 'field-msg ok';
        msg.textContent = t('deployment.saved');
        const had = rec[f.name] !== undefined && rec[f.name] !== null;
        rec[f.name] = input.value;
        if (f.mandatory && !had) progress.textContent = progressText(++filled_);
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
    const submit = h('button', { type: 'button', id: 'submit-application' }, t('deployment.submit'));
    submit.addEventListener('click', () => busy(submit, box, async () => {
      await api.post(`/api/deployments/${d.id}/submit`);
      await refresh();
    }));
    body.appendChild(h('div', { class: 'card' }, h('h2', null, t('deployment.submit_title')),
      h('p', null, t('deployment.submit_intro')),
      box, h('div', { class: 'actions' }, submit)));
  }
}

function locationsCard(ctx, d, editable, refresh) {
  const locs = d.locations || [];
  const card = h('div', { class: 'card', id: 'locations' }, h('h2', null, t('deployment.locations')),
    locs.length ? h('ul', { class: 'items' }, locs.map((l) => h('li', null,
      h('strong', null, l.name), l.sensitive ? h('span', { class: 'badge warn' }, t('deployment.sensitive')) : null, h('div', { class: 'muted' }, l.reason))))
      : h('p', { class: 'muted' }, t('deployment.no_location')));
  if (!editable) return card;
  const box = messageBox();
  const name = h('input', { id: 'loc-name', required: true });
  const reason = h('textarea', { id: 'loc-reason', rows: 2, required: true });
  const sensitive = h('input', { id: 'loc-sensitive', type: 'checkbox' });
  const just = h('textarea', { id: 'loc-justification', rows: 2 });
  const justField = h('div', { class: 'field wide', hidden: true }, h('label', { for: 'loc-justification' }, t('deployment.loc_justification')), just);
  sensitive.addEventListener('change', () => (justField.hidden = !sensitive.checked));
  const add = h('button', { type: 'submit', id: 'loc-add' }, t('deployment.loc_add'));
  const form = h('form', { class: 'subform', novalidate: true },
    h('h3', null, t('deployment.loc_add_title')), box,
    h('div', { class: 'fields' },
      h('div', { class: 'field' }, h('label', { for: 'loc-name' }, t('deployment.loc_place')), name),
      h('div', { class: 'field wide' }, h('label', { for: 'loc-reason' }, t('deployment.loc_reason')), reason),
      h('div', { class: 'field check' }, sensitive, h('label', { for: 'loc-sensitive' }, t('deployment.loc_sensitive'))),
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
  const card = h('div', { class: 'card', id: 'cameras' }, h('h2', null, t('deployment.cameras')),
    cams.length ? h('ul', { class: 'items' }, cams.map((c) => h('li', { id: `camera-${c.name}` },
      h('strong', null, c.name), c.location ? [' ', t('deployment.camera_at', { location: c.location })] : '', h('div', { class: 'muted mono' }, c.source || ''),
      editable ? cameraChange(d, c, refresh) : null,
      canCheck ? cameraCheck(d, c.name) : null)))
      : h('p', { class: 'muted' }, t('deployment.no_camera')));
  if (!editable) return card;
  const box = messageBox();
  const name = h('input', { id: 'cam-name', required: true, maxlength: 63 });
  const source = h('input', { id: 'cam-source', required: true, placeholder: t('deployment.cam_source_placeholder'), spellcheck: 'false' });
  const loc = h('select', { id: 'cam-location' }, h('option', { value: '' }, t('deployment.none_option')), (d.locations || []).map((l) => h('option', { value: l.name }, l.name)));
  const add = h('button', { type: 'submit', id: 'cam-add' }, t('deployment.cam_add'));
  const form = h('form', { class: 'subform', novalidate: true },
    h('h3', null, t('deployment.cam_add_title')), box,
    h('div', { class: 'fields' },
      h('div', { class: 'field' }, h('label', { for: 'cam-name' }, t('deployment.cam_name')), name),
      h('div', { class: 'field' }, h('label', { for: 'cam-location' }, t('deployment.location')), loc),
      h('div', { class: 'field wide' }, h('label', { for: 'cam-source' }, t('deployment.video_source')), source)),
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
  const source = h('input', { id: `cam-edit-source-${c.name}`, placeholder: t('deployment.cam_new_source_placeholder'), spellcheck: 'false' });
  const loc = h('select', { id: `cam-edit-location-${c.name}` }, h('option', { value: '' }, t('deployment.none_option')),
    (d.locations || []).map((l) => h('option', { value: l.name, selected: l.name === c.location }, l.name)));
  const save = h('button', { type: 'submit', id: `cam-save-${c.name}` }, t('deployment.save'));
  const form = h('form', { class: 'subform', hidden: true, novalidate: true },
    h('div', { class: 'fields' },
      h('div', { class: 'field wide' }, h('label', { for: `cam-edit-source-${c.name}` }, t('deployment.cam_new_source')), source),
      h('div', { class: 'field' }, h('label', { for: `cam-edit-location-${c.name}` }, t('deployment.location')), loc)),
    h('div', { class: 'actions' }, save));
  const change = h('button', { type: 'button', class: 'secondary small', id: `cam-change-${c.name}` }, t('deployment.change'));
  const remove = h('button', { type: 'button', class: 'danger secondary small', id: `cam-remove-${c.name}` }, t('deployment.remove'));
  change.addEventListener('click', () => {
    form.hidden = !form.hidden;
    if (!form.hidden) source.focus();
  });
  remove.addEventListener('click', () => {
    if (!confirm(t('deployment.cam_remove_confirm', { name: c.name }))) return;
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
  const b = h('button', { type: 'button', class: 'secondary', dataset: { check: name } }, t('deployment.check_picture'));
  let url = null;
  const hide = () => {
    if (url) URL.revokeObjectURL(url);
    url = null;
    clear(out);
    b.textContent = t('deployment.check_picture');
  };
  b.addEventListener('click', async () => {
    if (url) return hide();
    clear(out).append(h('p', { class: 'muted small' }, t('deployment.opening_camera')));
    b.disabled = true;
    try {
      const r = await fetch(`/api/deployments/${d.id}/cameras/${encodeURIComponent(name)}/preview`, { cache: 'no-store', credentials: 'same-origin' });
      if (!r.ok) {
        const doc = await r.json().catch(() => null);
        clear(out).append(h('p', { class: 'error', role: 'alert' }, doc && doc.error ? doc.error.message : t('deployment.check_failed_status', { status: r.status })));
        return;
      }
      const faces = Number(r.headers.get('X-Faces-Blurred') || 0);
      url = URL.createObjectURL(await r.blob());
      clear(out).append(h('figure', null,
        h('img', { class: 'live-picture', src: url, alt: t('deployment.check_alt', { name }) }),
        h('figcaption', { class: 'muted small' }, tn('deployment.check_caption', faces))));
      b.textContent = t('deployment.hide_picture');
    } catch (e) {
      clear(out).append(h('p', { class: 'error', role: 'alert' }, t('deployment.check_failed', { message: e.message })));
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
// The button reads deployment.<idp>, its reason's label deployment.<idp>_reason.
function reasonForm(idp, action, onDone, danger = true, confirmText = null) {
  const box = messageBox();
  const rid = `${idp}-reason`;
  const reason = h('input', { id: rid, required: true, placeholder: t('deployment.reason_placeholder') });
  const b = h('button', { type: 'submit', id: `${idp}-button`, class: danger ? 'danger' : '' }, t(`deployment.${idp}`));
  const f = h('form', { class: 'reason-form', novalidate: true }, box,
    h('div', { class: 'row' }, h('div', { class: 'field grow' }, h('label', { for: rid }, t(`deployment.${idp}_reason`)), reason), h('div', { class: 'field' }, b)));
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
  const w = (tests || []).at(-1);
  if (!w) return figure(t('deployment.walk_test'), t('deployment.walk_none'), t('deployment.walk_none_note'), 'warn');
  const rate = w.hit_rate === null ? t('deployment.walk_no_passes') : t('deployment.walk_found', { found: w.found, passes: w.passes });
  const detail = w.hit_rate === null ? t(w.ended_ms ? 'deployment.walk_ended' : 'deployment.walk_running')
    : t('deployment.walk_detail', {
      lo: Math.round(100 * w.hit_rate_lo), hi: Math.round(100 * w.hit_rate_hi),
      median: w.median_seconds_to_alert === null ? '-' : fmtNumber(w.median_seconds_to_alert, 1) + ' s',
      false_alerts: tn('deployment.false_alerts', w.false_alerts) });
  return figure(t('deployment.walk_test'), rate, detail, w.false_alerts === 0 && w.found === w.passes && w.passes > 0 ? 'good' : 'warn');
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
  const wild = exp && exp.in_the_wild;
  const unknown = t('deployment.unknown');

  body.appendChild(h('div', { class: 'card', id: 'dep7' },
    h('h2', null, t('deployment.dep7_title')),
    h('p', { class: 'muted' }, exp && exp.estimate_data ? t('deployment.dep7_intro_data', { data: exp.estimate_data }) : t('deployment.dep7_intro')),
    h('div', { class: 'figures' },
      figure(t('deployment.expected'), exp ? fmtNumber(exp.expected_false_alerts, 3) : unknown,
        exp ? t('deployment.expected_note', { faces: fmtNumber(rec.expected_footfall), size: fmtNumber(rec.watchlist_size) }) : t('deployment.expected_needs'), exp ? '' : 'warn'),
      figure(t('deployment.per_1000'), per1000 !== null && per1000 !== undefined ? fmtNumber(per1000, 4) : unknown,
        t(ceilingOk ? 'deployment.ceiling' : 'deployment.ceiling_exceeded', { max: fmtNumber(lim.max_false_alerts_per_1000) }), ceilingOk ? 'good' : 'bad'),
      figure(t('deployment.threshold'), Number.isFinite(threshold) ? threshold.toFixed(3) : t('deployment.not_set'),
        t(floorOk ? 'deployment.floor' : 'deployment.floor_below', { floor: fmtNumber(lim.threshold_floor, 3) }), floorOk ? 'good' : 'bad'),
      figure(t('deployment.fmr'), exp ? fmtNumber(exp.fmr_at_threshold, 6) : unknown,
        exp && exp.data ? t('deployment.fmr_note_data', { data: exp.data }) : t('deployment.fmr_note')),
      figure(t('deployment.wild'), wild ? t('deployment.per_1000_value', { n: fmtNumber(wild.false_alerts_per_1000_faces, 4) }) : t('deployment.not_measured'),
        wild ? t('deployment.wild_note', { lo: fmtNumber(wild.false_alerts_per_1000_faces_lo, 4), hi: fmtNumber(wild.false_alerts_per_1000_faces_hi, 4), data: wild.data })
          : t('deployment.at_threshold'), wild ? '' : 'warn'),
      walkTestFigure(d.walk_tests),
      figure(t('deployment.wl_reviewed'), t('deployment.n_of', { n: reviewed, total: active.length }),
        t('deployment.planned_size', { size: rec.watchlist_size ?? '?' }), reviewed === active.length && active.length ? 'good' : 'warn'))));

  const kv = (key, value) => [h('dt', null, t(`deployment.kv.${key}`)), h('dd', null, value)];
  body.appendChild(h('div', { class: 'card' }, h('h2', null, t('deployment.what_title')),
    h('dl', { class: 'kv' },
      ['purpose', 'necessity', 'less_intrusive', 'watchlist_criteria', 'engagement_plan'].map((k) => {
        const f = fl.find((x) => x.name === k);
        return [h('dt', null, f ? fieldName(f) : label(k)), h('dd', null, rec[k] ?? '-')];
      }),
      kv('window', rec.start ? t('deployment.time_range', { from: fmtTime(rec.start), to: fmtTime(rec.end) }) : '-'),
      kv('locations', (d.locations || []).map((l) => (l.sensitive ? t('deployment.loc_sensitive_name', { name: l.name }) : l.name)).join('; ') || '-'),
      kv('cameras', (d.cameras || []).map((c) => c.name).join(', ') || '-'),
      kv('public_notice', rec.public_notice || (rec.critical_threat_exemption
        ? t('deployment.kv.exemption', { exemption: rec.critical_threat_exemption, by: rec.exemption_approved_by || '?' }) : '-')),
      kv('assessments', t('deployment.kv.assessments_value', { dpia: rec.dpia_ref || '-', equality: rec.equality_ref || '-', community: rec.community_ref || '-' })),
      kv('pcc', typeof rec.pcc_informed === 'boolean' ? yesNo(rec.pcc_informed) : '-')),
    h('p', null, h('a', { href: `#/deployments/${d.id}/application` }, t('deployment.whole_record')))));

  const act = h('div', { class: 'card', id: 'authorise-actions' }, h('h2', null, t('deployment.decision_title')));
  body.appendChild(act);
  const box = messageBox();
  act.appendChild(box);
  const me = ctx.me.user;
  if (d.state === 'submitted') {
    if (missing.length) act.appendChild(h('p', { class: 'msg msg-warn' }, t('deployment.missing', { fields: missing.map(fieldName).join(', ') })));
    const urgent = h('input', { type: 'checkbox', id: 'authorise-urgent' });
    const b = h('button', { type: 'button', id: 'authorise-button' }, t('deployment.authorise'));
    b.addEventListener('click', () => busy(b, box, async () => {
      await api.post(`/api/deployments/${d.id}/authorise`, { urgent: urgent.checked });
      await refresh();
    }));
    act.append(
      h('p', null, t('deployment.authorise_as', { name: me.name, rank: rankText(me.rank || 'none') })),
      h('div', { class: 'field check' }, urgent, h('label', { for: 'authorise-urgent' }, t('deployment.urgent'))),
      h('div', { class: 'actions' }, b));
  } else if (d.state === 'draft') {
    act.appendChild(h('p', { class: 'muted' }, t('deployment.not_submitted')));
  } else {
    act.appendChild(stateLine(d));
  }
  if (d.urgent && !d.ratified_by && ['authorised', 'live'].includes(d.state)) {
    const b = h('button', { type: 'button', id: 'ratify-button' }, t('deployment.ratify'));
    b.addEventListener('click', () => busy(b, box, async () => {
      await api.post(`/api/deployments/${d.id}/ratify`);
      await refresh();
    }));
    act.append(h('p', null, t('deployment.ratify_by', { time: fmtTime(d.ratify_by_ms) })), h('div', { class: 'actions' }, b));
  }
  if (['authorised', 'live'].includes(d.state)) {
    const tid = newId('thr');
    const thr = h('input', { id: tid, type: 'number', step: 'any', min: String(lim.threshold_floor ?? -1), max: '1', value: Number.isFinite(threshold) ? threshold : '' });
    const tb = h('button', { type: 'submit', class: 'secondary' }, t('deployment.change_threshold'));
    const tf = h('form', { class: 'row', novalidate: true }, h('div', { class: 'field' }, h('label', { for: tid }, t('deployment.threshold_logged')), thr), h('div', { class: 'field' }, tb));
    tf.addEventListener('submit', (e) => {
      e.preventDefault();
      busy(tb, box, async () => {
        await api.post(`/api/deployments/${d.id}/fields`, { field: 'threshold', value: thr.value });
        await refresh();
      });
    });
    act.append(h('h3', null, t('deployment.while_running')), tf,
      ...(d.state === 'live' ? [reasonForm('suspend', (r) => api.post(`/api/deployments/${d.id}/suspend`, { reason: r }), refresh)] : []),
      reasonForm('cancel', (r) => api.post(`/api/deployments/${d.id}/cancel`, { reason: r }), refresh, true,
        t('deployment.cancel_confirm', { id: d.id })));
  }
  if (d.state === 'ended') act.appendChild(signOff(d, refresh, box));
}

// "State: [badge]", where no act is open to this officer.
const stateLine = (d) => h('p', null, t('deployment.state_is'), ' ', stateBadge(d.state));

function signOff(d, refresh, box) {
  const b = h('button', { type: 'button', id: 'review-signoff' }, t('deployment.signoff'));
  b.addEventListener('click', () => busy(b, box, async () => {
    await api.post(`/api/deployments/${d.id}/review`);
    await refresh();
  }));
  return h('div', { class: 'signoff' }, h('h3', null, t('deployment.signoff_title')),
    h('p', null, t('deployment.signoff_intro'), ' ',
      h('a', { href: docUrl(d, 'review-report', 'html'), target: '_blank', rel: 'noopener' }, t('deployment.review_report'))),
    h('div', { class: 'actions' }, b));
}

// ---------------------------------------------------------------- monitor

async function monitor(body, ctx, d, refresh) {
  const box = messageBox();
  const controls = h('div', { class: 'card', id: 'monitor-controls' }, h('h2', null, t('deployment.monitor_title')), box);
  body.appendChild(controls);
  if (d.state === 'authorised' || d.state === 'suspended') {
    const b = h('button', { type: 'button', id: 'start-button' }, t(d.state === 'suspended' ? 'deployment.start_again' : 'deployment.start'));
    b.addEventListener('click', () => busy(b, box, async () => {
      await api.post(`/api/deployments/${d.id}/start`);
      await refresh();
    }));
    const rec = d.record || {};
    controls.append(h('p', null, t('deployment.window', { from: fmtTime(rec.start), to: fmtTime(rec.end) })), h('div', { class: 'actions' }, b));
  } else if (d.state === 'live') {
    controls.append(reasonForm('stop', (r) => api.post(`/api/deployments/${d.id}/stop`, { reason: r }), refresh, true,
      t('deployment.stop_confirm', { id: d.id })));
  } else {
    controls.append(stateLine(d));
  }

  const summary = h('div', { class: 'figures', id: 'monitor-summary' });
  const table = h('tbody');
  const updated = h('p', { class: 'muted small', 'aria-live': 'off' });
  body.appendChild(h('div', { class: 'card', id: 'monitor' }, h('h2', null, t('deployment.cameras')), summary,
    h('div', { class: 'table-wrap' }, h('table', { class: 'data', id: 'camera-table' },
      h('thead', null, h('tr', null, ['camera', 'state', 'fps', 'faces_per_s', 'frames', 'dropped', 'faces', 'compared', 'alerts']
        .map((c, i) => h('th', { scope: 'col', class: i > 1 ? 'num' : null }, t(`deployment.col.${c}`))))),
      table)), updated));

  // The operator may watch a camera's picture: faces of people not on the
  // watchlist come blurred from the server, and the browser keeps nothing
  // (no-store). Off until asked for; closed when hidden or left.
  const pictures = h('div', { class: 'live-pictures' });
  const pictureButtons = h('div', { class: 'actions' });
  const pictureCard = h('div', { class: 'card', id: 'live-pictures' }, h('h2', null, t('deployment.live_picture')),
    h('p', { class: 'muted small' }, t('deployment.live_intro')),
    pictureButtons, pictures);
  if (ctx.hasRole('operator') && d.state === 'live') body.appendChild(pictureCard);
  const shown = new Map(); // camera name -> its <img>
  const togglePicture = (name, button) => {
    const img = shown.get(name);
    if (img) {
      img.removeAttribute('src'); // closes the stream
      img.closest('figure').remove();
      shown.delete(name);
      button.textContent = t('deployment.show_camera', { name });
      button.setAttribute('aria-pressed', 'false');
      return;
    }
    const pic = h('img', { class: 'live-picture', alt: t('deployment.live_alt', { name }), src: `/api/deployments/${d.id}/cameras/${encodeURIComponent(name)}/live` });
    pic.addEventListener('error', () => { pic.replaceWith(h('p', { class: 'muted' }, t('deployment.no_picture', { name }))); });
    pictures.appendChild(h('figure', null, pic, h('figcaption', null, name)));
    shown.set(name, pic);
    button.textContent = t('deployment.hide_camera', { name });
    button.setAttribute('aria-pressed', 'true');
  };
  const pictureButtonFor = (name) => {
    if (pictureButtons.querySelector(`[data-camera="${CSS.escape(name)}"]`)) return;
    const b = h('button', { type: 'button', class: 'secondary', dataset: { camera: name }, 'aria-pressed': 'false' }, t('deployment.show_camera', { name }));
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
        figure(t('deployment.fig.state'), m.running ? cameraState('running') : t(`state.${m.state || d.state}`),
          t(m.running ? 'deployment.fig.processing' : 'deployment.fig.not_processing'), m.running ? 'good' : ''),
        figure(t('deployment.fig.fps'), fmtNumber(fps, 1), t('deployment.fig.all_cameras')),
        figure(t('deployment.fig.faces_per_s'), faceRate === null ? '…' : fmtNumber(faceRate, 1), t('deployment.fig.all_cameras')),
        figure(t('deployment.fig.faces'), fmtNumber(Math.max(m.faces_total || 0, facesNow), 0), t('deployment.fig.faces_note')),
        figure(t('deployment.fig.latency'), m.latency_p95_ms !== undefined && m.latency_p95_ms !== null ? `${fmtNumber(m.latency_p95_ms, 0)} ms` : '-', t('deployment.fig.latency_note')),
        // Alerts raised but not yet written: the database fails; they are kept and retried.
        ...(m.alerts_waiting ? [figure(t('deployment.fig.waiting'), fmtNumber(m.alerts_waiting, 0),
          t('deployment.fig.waiting_note', { error: m.alert_store_error || t('deployment.db_fails') }), 'bad')] : []));
      for (const c of cams) if (c.state !== 'stopped' && c.state !== 'on_node') pictureButtonFor(c.name);
      const rates = {};
      for (const c of cams) {
        const p = prev ? prev.cams[c.name] : undefined;
        rates[c.name] = p !== undefined && now - prev.t >= 1000 ? (1000 * Math.max(0, (c.faces || 0) - p)) / (now - prev.t) : null;
      }
      clear(table).append(...(cams.length ? cams.map((c) => h('tr', null,
        h('th', { scope: 'row' }, c.name),
        // A node's camera: the state its node last reported, if any.
        h('td', null, h('span', { class: `badge cam-${c.node_state || c.state}` }, c.state ? cameraState(c.node_state || c.state) : '-'), c.message ? h('div', { class: 'muted small' }, c.message) : null),
        h('td', { class: 'num' }, fmtNumber(c.fps ?? 0, 1)),
        h('td', { class: 'num' }, rates[c.name] === null ? '…' : fmtNumber(rates[c.name], 1)),
        h('td', { class: 'num' }, fmtNumber(c.frames ?? 0, 0)),
        h('td', { class: 'num' }, c.dropped === undefined ? '-' : fmtNumber(c.dropped, 0)),
        h('td', { class: 'num', dataset: { col: 'faces' } }, fmtNumber(c.faces ?? 0, 0)),
        h('td', { class: 'num' }, fmtNumber(c.compared ?? 0, 0)),
        h('td', { class: 'num' }, fmtNumber(c.alerts ?? 0, 0)))) : [h('tr', null, h('td', { colspan: 9, class: 'muted' }, t('deployment.no_camera_row')))]));
      // Rates are measured over 1.5 s or more, not between two quick polls.
      if (!prev || now - prev.t >= 1500) prev = { t: now, faces: facesNow, cams: Object.fromEntries(cams.map((c) => [c.name, c.faces || 0])) };
      updated.textContent = t('deployment.updated', { time: new Date().toLocaleTimeString(locale()) });
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
    h('li', null, h('a', { href: docUrl(d, 'notice', 'html'), target: '_blank', rel: 'noopener' }, t('deployment.notice'))),
    h('li', null, t('deployment.record'), ' ',
      h('a', { href: docUrl(d, 'record', 'html'), target: '_blank', rel: 'noopener' }, 'HTML'), ', ',
      h('a', { href: docUrl(d, 'record', 'csv') }, 'CSV'), ', ',
      h('a', { href: docUrl(d, 'record', 'json'), target: '_blank', rel: 'noopener' }, 'JSON')),
    h('li', null, h('a', { href: docUrl(d, 'review-report', 'html'), target: '_blank', rel: 'noopener' }, t('deployment.review_report'))));
  body.appendChild(h('div', { class: 'card' }, h('h2', null, t('deployment.documents')), links));
  const box = messageBox();
  const card = h('div', { class: 'card', id: 'closing-report' }, h('h2', null, t('deployment.closing_title')), box);
  body.appendChild(card);
  if (!['ended', 'reviewed', 'cancelled'].includes(d.state)) {
    card.appendChild(h('p', { class: 'muted' }, t('deployment.closing_later')));
  } else if (ctx.hasRole('authoriser') || ctx.hasRole('auditor') || ctx.hasRole('oversight')) {
    try {
      card.appendChild(renderClosingReport(await api.get(`/api/deployments/${d.id}/report`)));
    } catch (e) {
      box.error(e);
    }
  }
  if (d.state === 'ended' && ctx.hasRole('authoriser')) card.appendChild(signOff(d, refresh, box));
}
