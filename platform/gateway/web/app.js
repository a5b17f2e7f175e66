// pixmill's web app. It uses the public HTTP API only:
//   POST /v1/images, GET /v1/images/{id}          upload, originals
//   GET  /v1/ops                                   the edit form, built from the catalogue
//   POST /v1/jobs, GET /v1/jobs/{id}               submit, state (and its notice)
//   POST /v1/previews                              the live before/after of one photo
//   GET/POST /v1/presets                           saved recipes
//   GET  /v1/jobs/{id}/events                      live progress (server-sent events)
//   GET  /v1/jobs/{id}/tasks/{task}/output, …/archive   results
//   GET  /v1/me                                    who is signed in, and the use of the quotas
// "Notify me when done" uses the browser's Notification API, nothing of the
// server's.
// It sends no credential of its own: behind oauth2-proxy or IAP the browser's
// same-origin cookie signs every request, images included, and no key or
// token ever goes into a URL. Without such a proxy in front of a gateway
// that needs sign-in, the API answers 401, and the page says how to sign in.
// The job id lives in the URL (#/jobs/ID), so a job's page survives a reload
// and can be bookmarked.

const MAX_UPLOADS_IN_FLIGHT = 4;
const LIVE_EVERY_MS = 4000; // how often screen readers hear the progress

const $ = (sel, root = document) => root.querySelector(sel);

function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k === 'text') e.textContent = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children) if (c != null) e.append(c);
  return e;
}

let uid = 0;
const nextID = (prefix) => `${prefix}-${++uid}`;

function humanBytes(n) {
  if (n >= 1 << 20) return `${(n / (1 << 20)).toFixed(1)} MB`;
  if (n >= 1 << 10) return `${Math.round(n / (1 << 10))} KB`;
  return `${n} bytes`;
}

const label = (name) => name.replace(/_/g, ' ');

async function api(path, opts = {}) {
  const res = await fetch(path, { headers: { Accept: 'application/json' }, ...opts });
  let body = null;
  try { body = await res.json(); } catch { /* not JSON */ }
  if (!res.ok) {
    const err = new Error((body && body.error) || `the server answered ${res.status}`);
    err.status = res.status;
    throw err;
  }
  return body;
}

// ---------------------------------------------------------------- usage

// loadUsage shows the caller's use of each quota that counts use against
// its limit (GET /v1/me), in the header; a quota without a limit shows the
// use alone.
let usageTimer = null;
async function loadUsage() {
  clearTimeout(usageTimer);
  let me;
  try { me = await api('/v1/me'); } catch { return; }
  const list = $('#usage');
  const items = [
    ['Storage', me.usage.stored_bytes, me.limits.stored_bytes, humanBytes],
    ['Uploads this hour', me.usage.uploads_last_hour, me.limits.uploads_per_hour, String],
    ['Running jobs', me.usage.concurrent_jobs, me.limits.concurrent_jobs, String],
  ];
  list.replaceChildren(...items.map(([name, used, limit, fmt]) => {
    const text = limit ? `${name}: ${fmt(used)} of ${fmt(limit)}` : `${name}: ${fmt(used)}`;
    const li = el('li', { class: limit && used >= limit ? 'full' : '' }, el('span', { text }));
    if (limit) li.append(el('meter', { min: 0, max: limit, value: Math.min(used, limit), 'aria-hidden': 'true' }));
    return li;
  }));
  list.hidden = false;
}
// Bursts of uploads ask once, when they settle.
const usageSoon = () => { clearTimeout(usageTimer); usageTimer = setTimeout(loadUsage, 500); };

// ---------------------------------------------------------------- uploads

const uploads = []; // {file, row, state, image, error}
let inFlight = 0;

function addFiles(list) {
  for (const file of list) {
    const u = { file, state: 'waiting' };
    u.row = uploadRow(u);
    uploads.push(u);
    $('#upload-list').append(u.row.li);
  }
  pump();
  refreshUploads();
}

function uploadRow(u) {
  const id = nextID('file');
  const bar = el('progress', { max: 1, value: 0, 'aria-labelledby': id });
  const status = el('span', { class: 'status', text: 'waiting' });
  const retry = el('button', { type: 'button', class: 'small', hidden: true, text: 'Retry', 'aria-label': `Retry ${u.file.name}`,
    onclick: () => { u.state = 'waiting'; retry.hidden = true; pump(); refreshUploads(); } });
  const remove = el('button', { type: 'button', class: 'small icon', 'aria-label': `Remove ${u.file.name}`, text: '✕',
    onclick: () => removeUpload(u) });
  const li = el('li', { class: 'file waiting', 'data-name': u.file.name },
    el('span', { class: 'name', id, title: u.file.name, text: u.file.name }),
    el('span', { class: 'buttons' }, retry, remove),
    bar, status);
  return { li, bar, status, retry, remove };
}

function removeUpload(u) {
  if (u.xhr) u.xhr.abort();
  // A photo already uploaded is deleted from the server too: it was sent
  // for this batch alone, and the file is still on this machine.
  if (u.image) api(`/v1/images/${u.image.id}`, { method: 'DELETE' }).catch(() => {});
  const i = uploads.indexOf(u);
  if (i >= 0) uploads.splice(i, 1);
  const next = u.row.li.nextElementSibling || u.row.li.previousElementSibling;
  u.row.li.remove();
  if (u.preview) URL.revokeObjectURL(u.preview);
  (next ? next.querySelector('button[aria-label^="Remove"]') : $('#files')).focus();
  refreshUploads();
}

function pump() {
  while (inFlight < MAX_UPLOADS_IN_FLIGHT) {
    const u = uploads.find((x) => x.state === 'waiting');
    if (!u) return;
    send(u);
  }
}

// send uploads one file per request, so each has its own progress and its
// own answer; the server checks the file and names what is wrong with it.
function send(u) {
  inFlight++;
  u.state = 'uploading';
  setRow(u, 'uploading', 'uploading…');
  const xhr = new XMLHttpRequest();
  u.xhr = xhr;
  xhr.open('POST', '/v1/images');
  xhr.responseType = 'json';
  xhr.upload.onprogress = (e) => {
    if (e.lengthComputable) u.row.bar.value = e.loaded / e.total;
  };
  const done = (state, text, transient) => {
    inFlight--;
    u.xhr = null;
    u.state = state;
    setRow(u, state, text);
    u.row.retry.hidden = !transient;
    // Refused files go to the top, where they are seen among hundreds.
    if (state === 'rejected') $('#upload-list').prepend(u.row.li);
    pump();
    refreshUploads();
    usageSoon();
  };
  xhr.onload = () => {
    const body = xhr.response || {};
    const entry = (body.images || [])[0];
    if (xhr.status === 201 && entry && entry.id) {
      u.image = entry;
      done('accepted', `${entry.width}×${entry.height} ${entry.format}, ${humanBytes(entry.bytes)}`);
      return;
    }
    let reason = (entry && entry.error) || body.error || `the server answered ${xhr.status}`;
    const prefix = `${u.file.name}: `;
    if (reason.startsWith(prefix)) reason = reason.slice(prefix.length);
    done('rejected', `rejected: ${reason}`, xhr.status >= 500);
  };
  xhr.onerror = () => done('rejected', 'rejected: the upload did not reach the server', true);
  xhr.onabort = () => { inFlight--; pump(); };
  const form = new FormData();
  form.append('file', u.file, u.file.name);
  xhr.send(form);
}

function setRow(u, state, text) {
  u.row.li.className = `file ${state}`;
  u.row.status.textContent = text;
}

function accepted() {
  return uploads.filter((u) => u.state === 'accepted');
}

function refreshUploads() {
  const ok = accepted().length;
  const bad = uploads.filter((u) => u.state === 'rejected').length;
  const busy = uploads.filter((u) => u.state === 'waiting' || u.state === 'uploading').length;
  const parts = [];
  if (ok) parts.push(`${ok} accepted`);
  if (bad) parts.push(`${bad} rejected`);
  if (busy) parts.push(`${busy} uploading`);
  const summary = $('#upload-summary');
  summary.textContent = parts.join(', ');
  summary.dataset.accepted = ok;
  summary.dataset.rejected = bad;
  summary.dataset.busy = busy;
  const start = $('#start');
  start.disabled = ok === 0 || busy > 0 || (ops.length === 0 && !$('#preset').value);
  start.textContent = ok ? `Start editing ${ok} photo${ok === 1 ? '' : 's'}` : 'Start';
  refreshDrawPhotos();
  refreshLivePhotos();
}

function setUpDrop() {
  const drop = $('#drop');
  const input = $('#files');
  input.addEventListener('change', () => {
    addFiles(input.files);
    input.value = '';
  });
  for (const type of ['dragenter', 'dragover']) {
    drop.addEventListener(type, (e) => { e.preventDefault(); drop.classList.add('over'); });
  }
  for (const type of ['dragleave', 'drop']) {
    drop.addEventListener(type, () => drop.classList.remove('over'));
  }
  drop.addEventListener('drop', (e) => {
    e.preventDefault();
    if (e.dataTransfer && e.dataTransfer.files.length) addFiles(e.dataTransfer.files);
  });
  // Files dropped outside the zone would make the browser leave the page.
  window.addEventListener('dragover', (e) => e.preventDefault());
  window.addEventListener('drop', (e) => e.preventDefault());
}

// ------------------------------------------------------------- edit panel

let catalogue = { ops: [], formats: [] };
const ops = []; // {spec, li, fields: [{spec, read, el}]}

async function loadCatalogue() {
  try {
    catalogue = await api('/v1/ops');
  } catch (err) {
    $('#job-error').textContent = `The list of edits could not be loaded: ${err.message}`;
    return;
  }
  const select = $('#add-op');
  select.replaceChildren(...catalogue.ops.map((op) => el('option', { value: op.name, text: label(op.name) })));
  const help = () => {
    const spec = catalogue.ops.find((o) => o.name === select.value);
    $('#op-help').textContent = spec ? spec.help : '';
  };
  select.addEventListener('change', help);
  help();
  const format = $('#format');
  for (const f of catalogue.formats) format.append(el('option', { value: f, text: f }));
}

function addOp(name) {
  const spec = catalogue.ops.find((o) => o.name === name);
  if (!spec) return;
  const op = { spec, fields: [] };
  const headID = nextID('op');
  const grid = el('div', { class: 'fields' });
  for (const f of spec.fields) {
    const field = renderField(f, `${label(spec.name)} ${label(f.name)}`);
    op.fields.push(field);
    grid.append(field.el);
  }
  const button = (text, aria, onclick) => el('button', { type: 'button', class: 'small', text, 'aria-label': aria, onclick });
  op.li = el('li', { class: 'op', 'data-op': spec.name, 'aria-labelledby': headID },
    el('div', { class: 'op-head' },
      el('h3', { id: headID, text: label(spec.name) }),
      el('span', { class: 'buttons' },
        button('↑', `Move ${label(spec.name)} up`, () => moveOp(op, -1)),
        button('↓', `Move ${label(spec.name)} down`, () => moveOp(op, 1)),
        button('Remove', `Remove ${label(spec.name)}`, () => removeOp(op)))),
    el('p', { class: 'help', text: spec.help }),
    grid);
  ops.push(op);
  $('#ops').append(op.li);
  const first = op.li.querySelector('.fields input, .fields select, .fields button');
  (first || op.li.querySelector('button')).focus();
  refreshUploads();
}

function moveOp(op, by) {
  const i = ops.indexOf(op);
  const j = i + by;
  if (j < 0 || j >= ops.length) return;
  ops.splice(i, 1);
  ops.splice(j, 0, op);
  const list = $('#ops');
  for (const o of ops) list.append(o.li);
  op.li.querySelector(`button[aria-label^="Move ${label(op.spec.name)} ${by < 0 ? 'up' : 'down'}"]`).focus();
}

function removeOp(op) {
  const i = ops.indexOf(op);
  ops.splice(i, 1);
  op.li.remove();
  const next = ops[i] || ops[i - 1];
  (next ? next.li.querySelector('button') : $('#add-op')).focus();
  refreshUploads();
}

// A field of the catalogue becomes a control chosen by its type. Each
// renderer returns {el, read}, where read() returns the value to send, or
// undefined to leave the field out (the server then applies its default).

const isBox = (f) => f && f.type === 'object' &&
  (f.format === 'box' || ['x', 'y', 'width', 'height'].every((k) => (f.properties || []).some((p) => p.name === k)));

function renderField(f, name) {
  if (isBox(f)) return boxesField(f, name, false);
  if (f.type === 'array' && isBox(f.items)) return boxesField(f, name, true);
  if (f.type === 'array') return listField(f, name);
  if (f.type === 'object') return objectField(f, name);
  return scalarField(f, name);
}

function hintText(f) {
  const parts = [];
  if (f.help) parts.push(f.help);
  if (f.min !== undefined && f.max !== undefined) parts.push(`${f.min} to ${f.max}.`);
  if (f.default !== undefined && f.type !== 'boolean') parts.push(`Default ${f.default}.`);
  return parts.join(' ');
}

function fieldShell(f, labelText, control, id, extra = {}) {
  const hintID = `${id}-hint`;
  const hint = hintText(f);
  if (hint) (extra.describe || control).setAttribute('aria-describedby', hintID);
  const lab = el('label', { for: id, text: labelText + (f.required ? ' *' : '') });
  const wrap = el('div', { class: `field ${extra.class || ''}`, 'data-field': f.name });
  if (extra.checkbox) wrap.append(control, lab);
  else wrap.append(lab, control);
  if (hint) wrap.append(el('span', { class: 'hint', id: hintID, text: hint }));
  return wrap;
}

function scalarField(f, name) {
  const id = nextID('f');
  let control;
  let read;
  if (f.type === 'boolean') {
    control = el('input', { id, type: 'checkbox', 'data-name': f.name });
    control.checked = f.default === true;
    read = () => (control.checked === (f.default === true) && f.default !== undefined ? undefined : control.checked);
    return { el: fieldShell(f, label(f.name), control, id, { class: 'check', checkbox: true }), read };
  }
  if (f.enum) {
    control = el('select', { id, 'data-name': f.name, required: f.required });
    if (!f.required && f.default === undefined) control.append(el('option', { value: '', text: '(not set)' }));
    for (const v of f.enum) control.append(el('option', { value: v, text: v }));
    if (f.default !== undefined) control.value = f.default;
    read = () => (control.value === '' ? undefined : control.value);
    return { el: fieldShell(f, label(f.name), control, id), read };
  }
  if (f.type === 'integer' || f.type === 'number') {
    control = el('input', {
      id, type: 'number', 'data-name': f.name, required: f.required, inputmode: f.type === 'integer' ? 'numeric' : 'decimal',
      step: f.type === 'integer' ? 1 : 'any', min: f.min, max: f.max,
    });
    if (f.default !== undefined) control.value = f.default;
    read = () => (control.value === '' ? undefined : Number(control.value));
    return { el: fieldShell(f, label(f.name), control, id), read };
  }
  if (f.format === 'color') {
    const c = colourControl(id, f);
    return { el: fieldShell(f, label(f.name), c.el, id, { describe: c.text }), read: c.read };
  }
  control = el('input', { id, type: 'text', 'data-name': f.name, required: f.required, autocomplete: 'off' });
  if (f.default !== undefined) control.value = f.default;
  read = () => (control.value === '' ? undefined : control.value);
  return { el: fieldShell(f, label(f.name), control, id, { class: 'wide' }), read };
}

// colourControl is a text field (#rgb, #rrggbb or #rrggbbaa, as the API
// takes) with a colour picker beside it.
function colourControl(id, f, aria) {
  const text = el('input', {
    id, type: 'text', 'data-name': f.name, required: f.required, placeholder: '#rrggbb', autocomplete: 'off',
    pattern: '#([0-9a-fA-F]{3}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})', 'aria-label': aria,
  });
  if (f.default !== undefined) text.value = f.default;
  const picker = el('input', { type: 'color', 'aria-label': `Pick ${aria || label(f.name)}` });
  const sync = () => { if (/^#[0-9a-fA-F]{6}/.test(text.value)) picker.value = text.value.slice(0, 7).toLowerCase(); };
  sync();
  text.addEventListener('input', sync);
  picker.addEventListener('input', () => { text.value = picker.value; });
  return { el: el('span', { class: 'colour' }, text, picker), text, read: () => (text.value === '' ? undefined : text.value) };
}

function listField(f, name) {
  const id = nextID('f');
  const items = [];
  const box = el('div', { class: 'list', id, role: 'group', 'aria-label': name });
  const add = el('button', { type: 'button', class: 'small', text: `Add ${label(f.name)}`, onclick: () => addItem(true) });
  const refresh = () => { add.disabled = f.max_items !== undefined && items.length >= f.max_items; };
  function addItem(focus) {
    const n = items.length + 1;
    const itemID = nextID('f');
    const it = f.items || { type: 'string' };
    let control;
    let read;
    if (it.format === 'color') {
      const c = colourControl(itemID, it, `${label(f.name)} ${n}`);
      control = c.el;
      read = c.read;
    } else {
      control = el('input', { id: itemID, type: it.type === 'string' ? 'text' : 'number', 'aria-label': `${label(f.name)} ${n}` });
      read = () => (control.value === '' ? undefined : it.type === 'string' ? control.value : Number(control.value));
    }
    const item = { read };
    item.el = el('div', { class: 'list-item' }, control,
      el('button', { type: 'button', class: 'small', text: 'Remove', 'aria-label': `Remove ${label(f.name)} ${n}`,
        onclick: () => { items.splice(items.indexOf(item), 1); item.el.remove(); refresh(); add.focus(); } }));
    items.push(item);
    box.insertBefore(item.el, add);
    refresh();
    if (focus) item.el.querySelector('input').focus();
  }
  box.append(add);
  const min = f.min_items || 0;
  for (let i = 0; i < min && f.required; i++) addItem(false);
  const read = () => {
    const values = items.map((i) => i.read()).filter((v) => v !== undefined);
    if (values.length === 0 && !f.required) return undefined;
    if (f.min_items !== undefined && values.length < f.min_items) {
      throw fieldError(add, `${name}: give at least ${f.min_items} values, or none`);
    }
    return values;
  };
  const wrap = el('div', { class: 'field wide', 'data-field': f.name },
    el('span', { class: 'label', text: label(f.name) + (f.required ? ' *' : '') }), box);
  if (f.help) wrap.append(el('span', { class: 'hint', text: f.help }));
  return { el: wrap, read };
}

function objectField(f, name) {
  const sub = (f.properties || []).map((p) => ({ p, field: renderField(p, `${name} ${label(p.name)}`) }));
  const set = el('fieldset', { class: 'field wide', 'data-field': f.name },
    el('legend', { text: label(f.name) + (f.required ? ' *' : '') }), ...sub.map((s) => s.field.el));
  const read = () => {
    const out = {};
    for (const s of sub) {
      const v = s.field.read();
      if (v !== undefined) out[s.p.name] = v;
    }
    return Object.keys(out).length || f.required ? out : undefined;
  };
  return { el: set, read };
}

function fieldError(control, message) {
  const err = new Error(message);
  err.control = control;
  return err;
}

// boxesField edits one box or a list of boxes: numbers for each, which the
// keyboard reaches, and a drawing on a photo, which fills them in.
function boxesField(f, name, many) {
  const rows = [];
  const list = el('div', { class: 'boxes', role: 'group', 'aria-label': name });
  const add = el('button', { type: 'button', class: 'small', text: many ? 'Add a box' : 'Set the box', onclick: () => { addRow({}, true); } });
  const draw = el('button', { type: 'button', class: 'small', text: 'Draw on a photo', 'data-draw': f.name,
    onclick: () => openDraw(name, many, boxes(), (drawn) => setBoxes(drawn), draw) });
  const max = many ? f.max_items : 1;
  const refresh = () => { add.disabled = max !== undefined && rows.length >= max; };
  function addRow(b, focus) {
    const n = rows.length + 1;
    const inputs = {};
    const row = { el: el('div', { class: 'box-row' }) };
    for (const k of ['x', 'y', 'width', 'height']) {
      const id = nextID('f');
      inputs[k] = el('input', { id, type: 'number', step: 1, min: k === 'x' || k === 'y' ? 0 : 1, inputmode: 'numeric', required: true, 'data-name': k });
      if (b[k] !== undefined) inputs[k].value = b[k];
      inputs[k].setAttribute('aria-label', `${name}, box ${n}, ${k}`);
      row.el.append(el('span', { class: 'field' }, el('label', { for: id, text: k }), inputs[k]));
    }
    row.el.append(el('button', { type: 'button', class: 'small', text: 'Remove', 'aria-label': `Remove ${name} box ${n}`,
      onclick: () => { rows.splice(rows.indexOf(row), 1); row.el.remove(); refresh(); add.focus(); } }));
    row.read = () => Object.fromEntries(Object.entries(inputs).map(([k, i]) => [k, Number(i.value)]));
    rows.push(row);
    list.append(row.el);
    refresh();
    if (focus) inputs.x.focus();
  }
  const boxes = () => rows.map((r) => r.read());
  function setBoxes(drawn) {
    for (const r of rows) r.el.remove();
    rows.length = 0;
    for (const b of many ? drawn : drawn.slice(-1)) addRow(b, false);
    refresh();
  }
  const wrap = el('div', { class: 'field wide', 'data-field': f.name },
    el('span', { class: 'label', text: label(f.name) + (f.required ? ' *' : '') }),
    list, el('span', { class: 'actions' }, add, draw));
  if (f.help) wrap.append(el('span', { class: 'hint', text: f.help }));
  const read = () => {
    const all = boxes();
    if (!many) {
      if (all.length === 0) {
        if (f.required) throw fieldError(draw, `${name}: draw or type a box`);
        return undefined;
      }
      return all[0];
    }
    return all.length ? all : undefined;
  };
  return { el: wrap, read };
}

function collectOps() {
  return ops.map((op) => {
    const out = { op: op.spec.name };
    op.spec.fields.forEach((f, i) => {
      const v = op.fields[i].read();
      if (v !== undefined) out[f.name] = v;
    });
    return out;
  });
}

// A recipe as the API takes it: a preset's name, or the ops and output
// settings of the panel.
function recipe() {
  const preset = $('#preset').value;
  if (preset) return { preset };
  const body = { ops: collectOps() };
  const format = $('#format').value;
  if (format) body.format = format;
  const quality = $('#quality').value;
  if (quality) body.quality = Number(quality);
  return body;
}

async function startJob(e) {
  e.preventDefault();
  const errBox = $('#job-error');
  errBox.textContent = '';
  const form = $('#edit-form');
  if (!form.reportValidity()) return;
  let body;
  try {
    body = { images: accepted().map((u) => u.image.id), ...recipe() };
  } catch (err) {
    errBox.textContent = err.message;
    if (err.control) err.control.focus();
    return;
  }
  if ($('#keep-metadata').checked && !body.preset) body.metadata = 'keep';
  const start = $('#start');
  start.disabled = true;
  try {
    const job = await api('/v1/jobs', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
    location.hash = `#/jobs/${job.id}`;
  } catch (err) {
    errBox.textContent = `The job was not started: ${err.message}`;
    refreshUploads();
  }
}

// -------------------------------------------------------------- presets

async function loadPresets(select) {
  const list = await api('/v1/presets');
  const box = $('#preset');
  box.replaceChildren(el('option', { value: '', text: 'none: the edits above' }),
    ...list.presets.map((p) => el('option', { value: p.name, text: p.builtin ? `${p.name} (built in)` : p.name })));
  if (select) box.value = select;
}

async function savePreset() {
  const status = $('#preset-status');
  const name = $('#preset-name');
  status.textContent = '';
  if (!name.reportValidity() || !name.value) { name.focus(); return; }
  let body;
  try {
    body = { name: name.value, ops: collectOps() };
  } catch (err) {
    status.textContent = err.message;
    return;
  }
  const format = $('#format').value;
  if (format) body.format = format;
  const quality = $('#quality').value;
  if (quality) body.quality = Number(quality);
  if ($('#keep-metadata').checked) body.metadata = 'keep';
  try {
    const saved = await api('/v1/presets', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
    await loadPresets($('#preset').value);
    status.textContent = `Saved as ${saved.name}.`;
  } catch (err) {
    status.textContent = `Not saved: ${err.message}`;
  }
}

function presetChosen() {
  const using = $('#preset').value !== '';
  $('#ops').classList.toggle('inactive', using);
  refreshUploads();
  schedulePreview();
}

// ---------------------------------------------------------- live preview

const PREVIEW_SIZE = 480;
const PREVIEW_DEBOUNCE_MS = 300;
let previewTimer = null;
let previewSeq = 0;
const previewURLs = { before: null, after: null };

function refreshLivePhotos() {
  const select = $('#live-photo');
  const current = select.value;
  const photos = accepted();
  select.replaceChildren(...photos.map((u) => el('option', { value: u.image.id, text: u.image.name })));
  if (photos.some((u) => u.image.id === current)) select.value = current;
  $('#live').hidden = photos.length === 0;
  if (select.value !== current) { showBefore(); schedulePreview(); }
}

// previewImage asks for a preview and shows it in img, through a blob URL:
// the request carries the page's own credentials (cookies), never a key in
// a URL.
async function previewImage(which, body) {
  const res = await fetch('/v1/previews', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  if (!res.ok) {
    let msg = `the server answered ${res.status}`;
    try { msg = (await res.json()).error || msg; } catch { /* not JSON */ }
    const err = new Error(msg);
    err.status = res.status;
    err.retryAfter = Number(res.headers.get('Retry-After')) || 0;
    throw err;
  }
  const url = URL.createObjectURL(await res.blob());
  if (previewURLs[which]) URL.revokeObjectURL(previewURLs[which]);
  previewURLs[which] = url;
  return url;
}

async function showBefore() {
  const image = $('#live-photo').value;
  if (!image) return;
  try {
    $('#live-before').src = await previewImage('before', { image, ops: [], size: PREVIEW_SIZE });
  } catch (err) {
    $('#live-error').textContent = `The photo could not be shown: ${err.message}`;
  }
}

function schedulePreview() {
  clearTimeout(previewTimer);
  previewTimer = setTimeout(updatePreview, PREVIEW_DEBOUNCE_MS);
}

async function updatePreview() {
  const image = $('#live-photo').value;
  const live = $('#live');
  if (!image) return;
  const seq = ++previewSeq;
  const state = $('#live-state');
  const errBox = $('#live-error');
  let body;
  try {
    body = { image, ...recipe(), size: PREVIEW_SIZE };
  } catch (err) {
    errBox.textContent = err.message;
    return;
  }
  state.textContent = 'updating…';
  try {
    const url = await previewImage('after', body);
    if (seq !== previewSeq) return; // a newer one is on its way
    const img = $('#live-after');
    img.onload = () => { live.dataset.version = String(seq); };
    img.src = url;
    errBox.textContent = '';
    state.textContent = '';
  } catch (err) {
    if (seq !== previewSeq) return;
    if (err.status === 503 && err.retryAfter) {
      // Previews are busy (their share of the CPUs is in use): ask again.
      state.textContent = 'waiting for a turn…';
      previewTimer = setTimeout(updatePreview, err.retryAfter * 1000);
      return;
    }
    errBox.textContent = `No preview: ${err.message}`;
    state.textContent = '';
  }
}

// -------------------------------------------------------------- drawing

let drawState = null;

function refreshDrawPhotos() {
  const select = $('#draw-photo');
  const current = select.value;
  select.replaceChildren(...accepted().map((u) => el('option', { value: u.image.id, text: u.image.name })));
  if (current) select.value = current;
}

function openDraw(name, many, boxes, apply, opener) {
  const dialog = $('#draw');
  if (accepted().length === 0) {
    $('#job-error').textContent = 'Upload a photo first, to draw on it.';
    opener.focus();
    return;
  }
  drawState = { many, boxes: boxes.map((b) => ({ ...b })), apply, opener };
  $('#draw-h').textContent = `Draw ${many ? 'boxes' : 'a box'}: ${name}`;
  showDrawPhoto();
  dialog.showModal();
  // The same photo again is already decoded: its load event may come late or
  // not at all, so the boxes are drawn now (and again on load).
  const img = $('#draw-img');
  if (img.complete && img.naturalWidth > 0) renderDrawBoxes();
}

function drawPhoto() {
  const id = $('#draw-photo').value;
  return accepted().find((u) => u.image.id === id) || accepted()[0];
}

function showDrawPhoto() {
  const u = drawPhoto();
  if (!u) return;
  if (!u.preview) u.preview = URL.createObjectURL(u.file);
  const img = $('#draw-img');
  img.alt = `${u.image.name}, ${u.image.width}×${u.image.height} pixels`;
  img.src = u.preview;
  img.onload = renderDrawBoxes;
}

// scale converts screen pixels on the preview to the photo's own pixels,
// which is what the API's boxes are in.
function drawScale() {
  const u = drawPhoto();
  const img = $('#draw-img');
  return { sx: u.image.width / img.clientWidth, sy: u.image.height / img.clientHeight, w: u.image.width, h: u.image.height };
}

function renderDrawBoxes() {
  const stage = $('#draw-stage');
  for (const b of stage.querySelectorAll('.box')) b.remove();
  const list = $('#draw-list');
  list.replaceChildren();
  if (!drawState) return;
  const { sx, sy } = drawScale();
  drawState.boxes.forEach((b, i) => {
    const d = el('div', { class: i === drawState.current ? 'box current' : 'box' }, el('span', { text: String(i + 1) }));
    Object.assign(d.style, { left: `${b.x / sx}px`, top: `${b.y / sy}px`, width: `${b.width / sx}px`, height: `${b.height / sy}px` });
    stage.append(d);
    list.append(el('li', {}, `Box ${i + 1}: ${b.width}×${b.height} at ${b.x},${b.y}`,
      el('button', { type: 'button', class: 'small', text: 'Remove', 'aria-label': `Remove box ${i + 1}`,
        onclick: () => { drawState.boxes.splice(i, 1); drawState.current = undefined; renderDrawBoxes(); $('#draw-done').focus(); } })));
  });
}

// drawKey draws from the keyboard on the focused photo: Enter adds a box
// (a fifth of the photo each way, in its middle), the arrow keys move the
// current box and, with Shift, resize it (right and down grow, left and up
// shrink), by a fiftieth of the photo; Delete removes it. The box stays
// inside the photo, and each change is read out.
function drawKey(e) {
  if (!drawState || e.altKey || e.ctrlKey || e.metaKey) return;
  const { w, h } = drawScale();
  const step = { x: Math.max(1, Math.round(w / 50)), y: Math.max(1, Math.round(h / 50)) };
  const boxes = drawState.boxes;
  let i = drawState.current ?? boxes.length - 1;
  const arrows = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };
  if (e.key === 'Enter' || e.key === ' ') {
    const bw = Math.max(1, Math.round(w / 5));
    const bh = Math.max(1, Math.round(h / 5));
    const b = { x: Math.round((w - bw) / 2), y: Math.round((h - bh) / 2), width: bw, height: bh };
    if (drawState.many) boxes.push(b);
    else boxes.splice(0, boxes.length, b);
    i = boxes.length - 1;
  } else if (arrows[e.key] && boxes[i]) {
    const [dx, dy] = arrows[e.key];
    const b = boxes[i];
    if (e.shiftKey) {
      b.width = Math.min(Math.max(1, b.width + dx * step.x), w - b.x);
      b.height = Math.min(Math.max(1, b.height + dy * step.y), h - b.y);
    } else {
      b.x = Math.min(Math.max(0, b.x + dx * step.x), w - b.width);
      b.y = Math.min(Math.max(0, b.y + dy * step.y), h - b.height);
    }
  } else if ((e.key === 'Delete' || e.key === 'Backspace') && boxes[i]) {
    boxes.splice(i, 1);
    drawState.current = boxes.length ? boxes.length - 1 : undefined;
    renderDrawBoxes();
    $('#draw-status').textContent = `Box ${i + 1} removed; ${boxes.length} left.`;
    e.preventDefault();
    return;
  } else {
    return;
  }
  e.preventDefault();
  drawState.current = i;
  renderDrawBoxes();
  const b = boxes[i];
  $('#draw-status').textContent = `Box ${i + 1}: ${b.width}×${b.height} at ${b.x},${b.y}`;
}

function setUpDraw() {
  const stage = $('#draw-stage');
  stage.addEventListener('keydown', drawKey);
  let from = null;
  let ghost = null;
  const point = (e) => {
    const r = $('#draw-img').getBoundingClientRect();
    return { x: Math.min(Math.max(e.clientX - r.left, 0), r.width), y: Math.min(Math.max(e.clientY - r.top, 0), r.height) };
  };
  stage.addEventListener('pointerdown', (e) => {
    if (!drawState) return;
    e.preventDefault();
    stage.setPointerCapture(e.pointerId);
    from = point(e);
    ghost = el('div', { class: 'box' });
    stage.append(ghost);
  });
  stage.addEventListener('pointermove', (e) => {
    if (!from) return;
    const p = point(e);
    Object.assign(ghost.style, {
      left: `${Math.min(from.x, p.x)}px`, top: `${Math.min(from.y, p.y)}px`,
      width: `${Math.abs(p.x - from.x)}px`, height: `${Math.abs(p.y - from.y)}px`,
    });
  });
  stage.addEventListener('pointerup', (e) => {
    if (!from) return;
    const p = point(e);
    const { sx, sy, w, h } = drawScale();
    const x = Math.round(Math.min(from.x, p.x) * sx);
    const y = Math.round(Math.min(from.y, p.y) * sy);
    const b = {
      x, y,
      width: Math.max(1, Math.min(Math.round(Math.abs(p.x - from.x) * sx), w - x)),
      height: Math.max(1, Math.min(Math.round(Math.abs(p.y - from.y) * sy), h - y)),
    };
    from = null;
    ghost.remove();
    if (b.width < 4 || b.height < 4) return; // a click, not a box
    if (drawState.many) drawState.boxes.push(b);
    else drawState.boxes = [b];
    drawState.current = drawState.boxes.length - 1;
    renderDrawBoxes();
  });
  $('#draw-photo').addEventListener('change', showDrawPhoto);
  $('#draw-done').addEventListener('click', () => {
    drawState.apply(drawState.boxes);
    $('#draw').close();
  });
  // The close event comes a task after close(): if the dialog was opened
  // again in between (Done, then Draw at once), it belongs to the old one.
  $('#draw').addEventListener('close', (e) => {
    if (e.target.open) return;
    if (drawState) drawState.opener.focus();
    drawState = null;
  });
  window.addEventListener('resize', () => { if (drawState) renderDrawBoxes(); });
}

// ------------------------------------------------------------------ jobs

let job = null; // {id, tasks: Map id→{data, li}, source, poll}

function showJob(id) {
  closeJob();
  $('#upload-view').hidden = true;
  $('#job-view').hidden = false;
  const view = $('#job-view');
  view.dataset.state = 'loading';
  view.dataset.done = 0;
  view.dataset.total = 0;
  $('#job-id').textContent = `Job ${id}`;
  $('#job-counts').textContent = 'Loading…';
  $('#job-error-view').textContent = '';
  $('#job-notice').hidden = true;
  $('#tasks').replaceChildren();
  const zip = $('#job-zip');
  zip.href = `/v1/jobs/${id}/archive`;
  zip.setAttribute('aria-disabled', 'true');
  job = { id, tasks: new Map(), lastLive: 0 };
  const mine = job;
  // The summary first: a job under way gets its tasks from the event
  // stream, which sends every one on a new connection; a finished one
  // reads them a page at a time.
  api(`/v1/jobs/${id}?view=summary`).then(async (body) => {
    if (job !== mine) return;
    updateSummary(body);
    if (isFinal(body.state)) await loadTasks(mine);
    else follow(mine);
  }).catch((err) => {
    if (job !== mine) return;
    view.dataset.state = 'error';
    $('#job-counts').textContent = '';
    $('#job-error-view').textContent = err.status === 404
      ? 'This job does not exist, or it is not yours.'
      : `The job could not be loaded: ${err.message}`;
  });
  $('#main').focus();
}

const isFinal = (state) => state === 'succeeded' || state === 'failed' || state === 'partial';

// follow listens to the job's events; the browser reconnects by itself and
// the server resumes from the last event it sent. If the stream cannot be
// had at all, the job is polled instead.
function follow(j) {
  const es = new EventSource(`/v1/jobs/${j.id}/events`);
  j.source = es;
  es.addEventListener('task', (e) => updateTask(JSON.parse(e.data)));
  es.addEventListener('job', (e) => updateSummary(JSON.parse(e.data)));
  es.addEventListener('end', (e) => {
    es.close();
    updateSummary(JSON.parse(e.data));
  });
  es.addEventListener('error', () => {
    if (es.readyState === EventSource.CLOSED && job === j) poll(j);
  });
}

function poll(j) {
  j.poll = setTimeout(async () => {
    try {
      const body = await loadTasks(j);
      if (body && isFinal(body.state)) return;
    } catch { /* try again */ }
    if (job === j) poll(j);
  }, 2000);
}

// TASK_PAGE is how many tasks a page of GET /v1/jobs/{id} asks for.
const TASK_PAGE = 500;

// loadTasks reads job j's tasks a page at a time, showing each page as it
// comes, then the summary of the last page, which it returns (nothing if
// another job was opened meanwhile).
async function loadTasks(j) {
  let body;
  let token = '';
  do {
    body = await api(`/v1/jobs/${j.id}?limit=${TASK_PAGE}${token ? `&page_token=${encodeURIComponent(token)}` : ''}`);
    if (job !== j) return undefined;
    for (const t of body.tasks || []) updateTask(t);
    token = body.next_page_token || '';
  } while (token);
  updateSummary(body);
  return body;
}

function closeJob() {
  if (!job) return;
  if (job.source) job.source.close();
  clearTimeout(job.poll);
  job = null;
}

// ------------------------------------------------------- notify me when done

// NOTIFY_KEY keeps, in this browser, whether the person asked to be told
// when the job they watch ends; the browser keeps whether they allowed it.
const NOTIFY_KEY = 'pixmill.notify-when-done';

function notifyWanted() {
  return 'Notification' in window && Notification.permission === 'granted' && localStorage.getItem(NOTIFY_KEY) === '1';
}

// setUpNotify has the "Notify me when done" box ask the browser for
// permission when ticked, and remember the choice for the jobs watched
// next.
function setUpNotify() {
  const box = $('#job-notify');
  const hint = $('#job-notify-hint');
  if (!('Notification' in window)) {
    box.disabled = true;
    hint.textContent = 'This browser cannot show notifications.';
    return;
  }
  box.checked = notifyWanted();
  box.addEventListener('change', async () => {
    if (!box.checked) {
      localStorage.removeItem(NOTIFY_KEY);
      return;
    }
    let permission = Notification.permission;
    if (permission === 'default') permission = await Notification.requestPermission();
    if (permission !== 'granted') {
      box.checked = false;
      hint.textContent = 'Notifications are blocked for this site: allow them in the browser\'s site settings, then tick again.';
      return;
    }
    localStorage.setItem(NOTIFY_KEY, '1');
    hint.textContent = 'You will get a notification from this browser when the job ends, while this page is open.';
  });
}

// notifyEnded shows a browser notification that job j ended, when the
// person asked for one and watched it while it ran; a job opened already
// finished tells nothing.
function notifyEnded(j, s, text) {
  if (!j.sawRunning || j.notified || !notifyWanted()) return;
  j.notified = true;
  const n = new Notification(`pixmill: job ${s.state === 'succeeded' ? 'finished' : s.state}`, { body: text, tag: `pixmill-job-${j.id}` });
  n.onclick = () => { window.focus(); n.close(); };
  document.body.dataset.notified = j.id;
}

function updateSummary(s) {
  const view = $('#job-view');
  const c = s.counts || {};
  const total = s.total !== undefined ? s.total : Object.values(c).reduce((a, b) => a + b, 0);
  const ok = c.succeeded || 0;
  const bad = c.failed || 0;
  const done = ok + bad;
  view.dataset.state = s.state;
  view.dataset.done = done;
  view.dataset.total = total;
  const bar = $('#job-progress');
  bar.max = Math.max(total, 1);
  bar.value = done;
  const parts = [`${done} / ${total} done`];
  if (bad) parts.push(`${bad} failed`);
  if (c.running) parts.push(`${c.running} running`);
  if (c.queued) parts.push(`${c.queued} waiting`);
  const text = parts.join(' · ') + (isFinal(s.state) ? ` — ${s.state === 'succeeded' ? 'finished' : s.state}` : '');
  $('#job-counts').textContent = text;
  if (!isFinal(s.state)) job.sawRunning = true;
  else notifyEnded(job, s, text);
  const notice = $('#job-notice');
  notice.textContent = s.notice || '';
  notice.hidden = !s.notice;
  const zip = $('#job-zip');
  if (ok) zip.removeAttribute('aria-disabled');
  // Screen readers hear the progress now and then, and the end at once.
  const now = Date.now();
  if (isFinal(s.state) || now - job.lastLive > LIVE_EVERY_MS) {
    job.lastLive = now;
    $('#job-live').textContent = `Progress: ${text}`;
  }
}

function updateTask(t) {
  let entry = job.tasks.get(t.id);
  if (!entry) {
    entry = { li: el('li', { class: 'task', 'data-task': t.id }) };
    job.tasks.set(t.id, entry);
    $('#tasks').append(entry.li);
  }
  const before = entry.data;
  entry.data = t;
  if (before && before.state === t.state && before.attempts === t.attempts && before.error === t.error) return;
  const li = entry.li;
  li.dataset.state = t.state;
  const original = `/v1/images/${t.image}`;
  const output = `/v1/jobs/${job.id}/tasks/${t.id}/output`;
  const thumb = el('div', { class: 'thumb' });
  if (t.state === 'succeeded') {
    // A small preview made by the gateway: a grid of hundreds of results
    // would otherwise load every one whole.
    thumb.append(el('img', { src: `/v1/jobs/${job.id}/tasks/${t.id}/preview`, alt: `${t.name}, edited`, loading: 'lazy', decoding: 'async' }));
  } else {
    thumb.append(el('span', { text: t.state === 'failed' ? 'no result' : 'waiting for the result' }));
  }
  const attempts = t.attempts > 1 ? ` · attempt ${t.attempts}` : '';
  const links = el('div', { class: 'links' });
  if (t.state === 'succeeded') {
    links.append(
      el('button', { type: 'button', class: 'small', text: 'Compare', 'aria-label': `Compare ${t.name} before and after`,
        onclick: (e) => openCompare(t, e.currentTarget) }),
      el('a', { href: output, download: true, 'aria-label': `Download the result of ${t.name}`, text: 'Result' }));
  }
  links.append(el('a', { href: original, download: t.name, 'aria-label': `Download the original ${t.name}`, text: 'Original' }));
  const body = el('div', { class: 'body' },
    el('span', { class: 'name', title: t.name, text: t.name }),
    el('span', {}, el('span', { class: `badge ${t.state}`, text: t.state }), attempts),
    t.error ? el('p', { class: 'reason', text: t.error }) : null,
    t.output ? el('span', { class: 'hint', text: `${t.output.width}×${t.output.height} ${t.output.format}, ${humanBytes(t.output.bytes)}` }) : null,
    links);
  li.replaceChildren(thumb, body);
}

function openCompare(t, opener) {
  const d = $('#compare');
  $('#compare-h').textContent = `Before and after: ${t.name}`;
  const before = $('#compare-before');
  const after = $('#compare-after');
  const size = (img, out) => () => { $(out).textContent = `(${img.naturalWidth}×${img.naturalHeight})`; };
  $('#compare-before-size').textContent = '';
  $('#compare-after-size').textContent = '';
  before.onload = size(before, '#compare-before-size');
  after.onload = size(after, '#compare-after-size');
  before.alt = `${t.name}, original`;
  after.alt = `${t.name}, edited`;
  before.src = `/v1/images/${t.image}`;
  after.src = `/v1/jobs/${job.id}/tasks/${t.id}/output`;
  $('#compare-before-link').href = before.src;
  $('#compare-before-link').setAttribute('download', t.name);
  $('#compare-after-link').href = after.src;
  d.returnFocus = opener;
  d.showModal();
}

// ---------------------------------------------------------------- routing

function route() {
  const m = location.hash.match(/^#\/jobs\/([A-Za-z0-9_-]+)$/);
  if (m) {
    showJob(m[1]);
    return;
  }
  closeJob();
  $('#job-view').hidden = true;
  $('#upload-view').hidden = false;
  refreshUploads();
  listJobs(true);
}

// ------------------------------------------------------------- your jobs

let jobsPage = ''; // the next page of GET /v1/jobs, '' when there is none

// jobState fills a job's badge in the list with its state, done or not.
async function jobState(id, badge) {
  try {
    const j = await api(`/v1/jobs/${id}?view=summary`);
    badge.textContent = j.state;
    badge.classList.add(j.state);
  } catch {
    badge.textContent = 'state unknown';
  }
}

// listJobs shows the person's jobs, newest first: from the start, or the
// next page after those shown.
async function listJobs(fromStart) {
  const list = $('#jobs-list');
  const more = $('#jobs-more');
  $('#jobs-error').textContent = '';
  if (fromStart) jobsPage = '';
  let page;
  try {
    page = await api(`/v1/jobs?limit=20${jobsPage ? `&page_token=${encodeURIComponent(jobsPage)}` : ''}`);
  } catch (err) {
    $('#jobs-error').textContent = `Your jobs could not be listed: ${err.message}`;
    return;
  }
  if (fromStart) list.replaceChildren();
  for (const j of page.jobs) {
    const when = new Date(j.created);
    const photos = `${j.tasks} photo${j.tasks === 1 ? '' : 's'}`;
    const state = el('span', { class: 'badge', text: '…' });
    list.append(el('li', { 'data-job': j.id },
      el('a', { href: `#/jobs/${j.id}`, text: `${photos}: ${j.ops.join(', ')}` }),
      state,
      el('time', { datetime: j.created, text: when.toLocaleString() })));
    jobState(j.id, state);
  }
  jobsPage = page.next_page_token || '';
  more.hidden = !jobsPage;
  $('#jobs-empty').hidden = list.children.length > 0;
}

// setUpDelete has the job view's delete button ask first, in a dialog,
// and delete the job (DELETE /v1/jobs/{id}) only when told to.
function setUpDelete() {
  const d = $('#confirm-delete');
  $('#job-delete').addEventListener('click', (e) => {
    $('#confirm-delete-error').textContent = '';
    d.returnFocus = e.currentTarget;
    d.showModal();
  });
  $('#confirm-delete-yes').addEventListener('click', async (e) => {
    e.preventDefault();
    if (!job) return;
    const id = job.id;
    try {
      await api(`/v1/jobs/${id}`, { method: 'DELETE' });
    } catch (err) {
      $('#confirm-delete-error').textContent = `The job could not be deleted: ${err.message}`;
      return;
    }
    d.returnFocus = null;
    d.close();
    location.hash = '#/';
  });
}

function setUpDialogs() {
  for (const d of document.querySelectorAll('dialog')) {
    for (const b of d.querySelectorAll('[data-close]')) b.addEventListener('click', () => d.close());
    d.addEventListener('close', () => { if (d.returnFocus) d.returnFocus.focus(); d.returnFocus = null; });
  }
}

// ---------------------------------------------------------------- sign-in

// whoAmI shows who is signed in, and returns false when no one is: the
// page then says how to sign in instead of showing a form that cannot work.
async function whoAmI() {
  let me;
  try {
    me = await api('/v1/me');
  } catch (err) {
    if (err.status !== 401) return true; // the views show their own errors
    $('#sign-in-reason').textContent = `You are not signed in: ${err.message}`;
    $('#sign-in').hidden = false;
    $('#upload-view').hidden = true;
    $('#job-view').hidden = true;
    return false;
  }
  if (me.via === 'loopback' || me.via === 'none') return true; // one owner, no sign-in
  $('#who-name').textContent = me.name || me.owner;
  $('#sign-out').hidden = me.via !== 'proxy'; // oauth2-proxy's own route
  $('#who').hidden = false;
  return true;
}

async function main() {
  if (!await whoAmI()) {
    document.body.dataset.ready = 'signed-out';
    return;
  }
  setUpDrop();
  setUpDraw();
  setUpDialogs();
  setUpDelete();
  setUpNotify();
  $('#add-op-button').addEventListener('click', () => addOp($('#add-op').value));
  $('#edit-form').addEventListener('submit', startJob);
  $('#jobs-more').addEventListener('click', () => listJobs(false));
  window.addEventListener('hashchange', route);
  route();
  window.addEventListener('hashchange', usageSoon);
  loadUsage();
  await loadCatalogue();
  $('#preset-save').addEventListener('click', savePreset);
  $('#preset').addEventListener('change', presetChosen);
  $('#live-photo').addEventListener('change', () => { showBefore(); schedulePreview(); });
  // Any change to the edits, their order or the output asks for a preview.
  const form = $('#edit-form');
  for (const type of ['input', 'change', 'click']) form.addEventListener(type, (e) => { if (!e.target.closest('#live, .presets')) schedulePreview(); });
  try { await loadPresets(); } catch (err) { $('#preset-status').textContent = `Presets could not be loaded: ${err.message}`; }
  document.body.dataset.ready = 'true';
}

main();
