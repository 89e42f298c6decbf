// app.js — the farm UI: routing, the API with its token, live events, the
// job list, a job's view and the submission form.  Every job field and log
// line reaches the page through textContent, never as markup.
import { Grid, STATES } from '/static/grid.js';
import { SchemaForm, el } from '/static/form.js';
import { TemplateForm } from '/static/template-form.js';

const $ = (id) => document.getElementById(id);

// ---- the token ------------------------------------------------------------
// It comes in the URL farmhand serve printed; it is kept for this tab's
// session (sessionStorage: not on disk after the browser closes, not in
// other sites' reach, not in every tab forever) and taken out of the
// address bar (so that it is not in links or history).
function takeToken() {
  const url = new URL(location.href);
  const fromUrl = url.searchParams.get('token');
  if (fromUrl) {
    sessionStorage.setItem('farmhand-token', fromUrl);
    url.searchParams.delete('token');
    history.replaceState(null, '', url.pathname + url.search + url.hash);
  }
  return sessionStorage.getItem('farmhand-token') || '';
}
const token = takeToken();

class ApiError extends Error {
  constructor(status, body) {
    super((body && body.error) || `HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
}

async function api(path, options = {}) {
  const headers = { Authorization: `Bearer ${token}`, ...(options.headers || {}) };
  const res = await fetch(path, { ...options, headers });
  showVersion(res.headers.get('Server'));
  let body = null;
  try { body = await res.json(); } catch { body = null; }
  if (!res.ok) throw new ApiError(res.status, body);
  return body;
}

// The server says which farmhand it is ("farmhand/0.1.0"): the footer says it.
function showVersion(server) {
  const footer = $('footer');
  if (footer && server && server.startsWith('farmhand/') && !footer.textContent) {
    footer.textContent = `farmhand ${server.slice('farmhand/'.length)}`;
  }
}

function notice(text) {
  const n = $('notice');
  n.textContent = text;
  n.hidden = !text;
}

// ---- live events -------------------------------------------------------------
// Server-Sent Events read through fetch, because EventSource cannot send the
// Authorization header.  On a break it reconnects and the view reloads.
const listeners = new Set();

function parseEvent(block) {
  let event = 'message';
  const data = [];
  for (const line of block.split('\n')) {
    if (line.startsWith('event: ')) event = line.slice(7);
    else if (line.startsWith('data: ')) data.push(line.slice(6));
  }
  if (data.length === 0) return null;
  return { event, data: JSON.parse(data.join('\n')) };
}

// Waits before reconnecting: 1 s, then twice as long each time up to 30 s,
// with a random quarter more so that a restarted server is not met by
// every page at once; back to 1 s once connected.
const RECONNECT_FIRST_MS = 1000;
const RECONNECT_MAX_MS = 30000;

function backoff(failures) {
  const ms = Math.min(RECONNECT_MAX_MS, RECONNECT_FIRST_MS * 2 ** failures);
  return ms + Math.random() * ms / 4;
}

async function followEvents() {
  for (let first = true, failures = 0; ; first = false) {
    try {
      const res = await fetch('/api/events', { headers: { Authorization: `Bearer ${token}` } });
      if (!res.ok) throw new ApiError(res.status, null);
      failures = 0;
      $('connection').textContent = 'live';
      $('connection').className = 'connection live';
      if (!first) route();
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let end;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const e = parseEvent(buffer.slice(0, end));
          buffer = buffer.slice(end + 2);
          if (e) for (const f of listeners) f(e.event, e.data);
        }
      }
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) {
        $('connection').textContent = 'no token';
        notice('This page needs the server\'s token: open the URL farmhand serve printed (it ends in ' +
          '?token=…), or add ?token=TOKEN to this address. The token is kept for this tab only.');
        return;
      }
    }
    $('connection').textContent = 'reconnecting';
    $('connection').className = 'connection';
    await new Promise((r) => setTimeout(r, backoff(failures++)));
  }
}

// ---- formatting ------------------------------------------------------------------
function percent(p) { return `${Math.floor(p * 100)}%`; }

function when(iso) {
  const d = new Date(iso);
  return isNaN(d) ? '' : d.toLocaleString();
}

function bytes(n) {
  if (n === null || n === undefined) return 'missing';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let u = 0;
  while (n >= 1024 && u < units.length - 1) { n /= 1024; u++; }
  return `${u ? n.toFixed(1) : n} ${units[u]}`;
}

function fillBar(bar, job) {
  bar.replaceChildren();
  for (const s of STATES) {
    const n = job.counts[s] || 0;
    if (!n) continue;
    const part = el('span', { class: `s-${s}`, title: `${n} ${s}` });
    part.style.flexGrow = String(n);
    bar.append(part);
  }
}

// ---- the job list --------------------------------------------------------------------
const jobRows = new Map();

function jobRow(job) {
  const link = el('a', { href: `/jobs/${encodeURIComponent(job.id)}`, text: job.name });
  const bar = el('div', { class: 'bar' });
  fillBar(bar, job);
  const counts = STATES.filter((s) => job.counts[s]).map((s) => `${job.counts[s]} ${s}`).join(', ');
  return el('tr', { dataset: { id: job.id } },
    el('td', {}, link, el('div', { class: 'muted small', text: job.id })),
    el('td', {}, el('span', { class: `state st-${job.state}`, text: job.state })),
    el('td', { class: 'bar-col', title: counts }, bar, el('div', { class: 'muted small', text: counts })),
    el('td', { text: percent(job.progress) }),
    el('td', { text: when(job.started) }),
    el('td', { text: String(job.workers) }));
}

function showJobRow(job) {
  const row = jobRow(job);
  const old = jobRows.get(job.id);
  if (old) old.replaceWith(row);
  else $('jobs-body').prepend(row);
  jobRows.set(job.id, row);
  $('jobs-empty').hidden = true;
}

async function showJobs() {
  const { jobs } = await api('/api/jobs');
  jobRows.clear();
  $('jobs-body').replaceChildren();
  for (const job of jobs.slice().reverse()) showJobRow(job);
  $('jobs-empty').hidden = jobs.length > 0;
}

// ---- a job ------------------------------------------------------------------------------
let current = null;   // { id, job, grid, item, logTimer }

function showSummary(job) {
  $('job-name').textContent = job.name;
  $('job-state').textContent = job.state;
  $('job-state').className = `state st-${job.state}`;
  $('job-progress').textContent = `${percent(job.progress)} · ${job.n_items} items · ${job.workers} workers`;
  fillBar($('job-bar'), job);
  $('retry-button').disabled = !(job.counts.failed > 0) || job.workers > 0;
  $('cancel-button').disabled = job.cancelled || ['complete', 'failed', 'cancelled'].includes(job.state);
  // Nobody works on it: the last workers' words, and what to do.
  $('job-idle').textContent = job.idle || '';
  $('job-idle').hidden = !job.idle;
  showSteps(job.steps);
  current.grid.setCounts(job.counts);
}

// An OpenJD job's steps: a row each (state, what it waits for, counts),
// and the heading of its section of the grid.
function showSteps(steps) {
  $('steps').hidden = !steps;
  if (!steps) return;
  const body = $('steps-body');
  body.replaceChildren();
  for (const st of steps) {
    const bar = el('div', { class: 'bar' });
    fillBar(bar, { counts: { complete: st.complete, failed: st.failed, running: st.running, pending: st.pending } });
    body.append(el('tr', { dataset: { step: st.name } },
      el('td', {}, el('a', { href: `#step-${st.name}`, text: st.name })),
      el('td', {}, el('span', { class: `state st-${st.state}`, text: st.state })),
      el('td', { text: (st.depends_on || []).join(', ') }),
      el('td', { class: 'bar-col' }, bar, el('div', {
        class: 'muted small',
        text: `${st.complete}/${st.tasks} complete` + (st.failed ? `, ${st.failed} failed` : '') +
          (st.running ? `, ${st.running} running` : ''),
      })),
      el('td', { class: 'muted small', text: st.why || '' })));
    if (current && current.grid) current.grid.setSection(st);
  }
}

async function loadItems(id) {
  const items = [];
  let job = null;
  let seq = Infinity;
  for (let offset = 0; ; ) {
    const page = await api(`/api/jobs/${encodeURIComponent(id)}?offset=${offset}`);
    job = page.job;
    seq = Math.min(seq, page.seq);
    items.push(...page.items);
    offset += page.items.length;
    if (page.items.length === 0 || offset >= page.total) return { job, items, seq };
  }
}

async function showJob(id, params) {
  const started = performance.now();
  // Events that arrive while the items load are kept, and those the items
  // do not already reflect (a later seq) are applied once the grid exists.
  current = { id, job: null, grid: null, item: null, logTimer: null, early: [] };
  const loading = current;
  const { job, items, seq } = await loadItems(id);
  if (current !== loading) return;
  current.job = job;
  current.grid = new Grid($('grid'), $('chips'), items, {
    sections: (job.steps || []).filter((st) => st.tasks > 0),
    onPick: (name) => pickItem(name),
    filter: params.get('state'),
    onFilter: (state) => {
      const url = new URL(location.href);
      if (state) url.searchParams.set('state', state); else url.searchParams.delete('state');
      history.replaceState(null, '', url.pathname + url.search);
    },
  });
  showSummary(job);
  const early = current.early;
  current.early = null;
  for (const [event, data] of early) if (data.seq > seq) onJobEvent(event, data);
  // For the benchmark and the tests: how long the view took to build, and
  // when (since navigation) it was first painted.
  document.body.dataset.renderMs = String(Math.round(performance.now() - started));
  document.body.dataset.items = String(items.length);
  delete document.body.dataset.paintedMs;
  requestAnimationFrame(() => requestAnimationFrame(() => {
    document.body.dataset.paintedMs = String(Math.round(performance.now()));
  }));
  const item = params.get('item');
  if (item) pickItem(item, false);
  else closeItem(false);
}

function itemUrl(name) {
  const url = new URL(location.href);
  if (name) url.searchParams.set('item', name); else url.searchParams.delete('item');
  return url.pathname + url.search;
}

function closeItem(push = true) {
  if (!current) return;
  clearTimeout(current.logTimer);
  current.item = null;
  $('item-panel').hidden = true;
  current.grid.select(null);
  if (push) history.replaceState(null, '', itemUrl(null));
}

function fact(dl, term, value) {
  if (value === undefined || value === null || value === '') return;
  dl.append(el('dt', { text: term }), el('dd', { text: String(value) }));
}

function showResult(detail) {
  const r = detail.result || {};
  const facts = $('item-facts');
  facts.replaceChildren();
  fact(facts, 'Step', detail.step);
  // An OpenJD task's parameter values, one fact each.
  for (const [name, value] of Object.entries(detail.task_parameters || {})) fact(facts, name, value);
  fact(facts, 'Frames', (detail.frames || []).join(', '));
  fact(facts, 'Command', detail.command);
  fact(facts, 'Class', r.class);
  fact(facts, 'Reason', r.reason);
  fact(facts, 'Attempts', r.attempts ?? detail.attempt);
  fact(facts, 'Worker', r.worker);
  fact(facts, 'Exit status', r.code);
  fact(facts, 'Elapsed', r.elapsed_s !== undefined ? `${r.elapsed_s.toFixed(3)} s` : undefined);
  fact(facts, 'Frames done', (r.frames_done || []).join(', '));
  fact(facts, 'Status message', r.status_message);
  $('item-traceback').textContent = r.traceback || '';
  $('item-traceback-box').hidden = !r.traceback;
  const errors = (r.errors && r.errors.lines) || [];
  $('item-errors').textContent = errors.join('\n');
  $('item-errors-box').hidden = errors.length === 0;
  const outputs = $('item-outputs');
  outputs.replaceChildren();
  for (const o of r.outputs || []) {
    outputs.append(el('tr', {}, el('td', { text: o.path || '' }),
      el('td', { text: bytes(o.size_now !== undefined ? o.size_now : o.size) })));
  }
  $('item-outputs-box').hidden = !(r.outputs && r.outputs.length);
}

async function pickItem(name, push = true) {
  if (!current) return;
  const id = current.id;
  let detail;
  try {
    detail = await api(`/api/jobs/${encodeURIComponent(id)}/items/${encodeURIComponent(name)}`);
  } catch (e) {
    notice(e.message);
    return;
  }
  if (!current || current.id !== id) return;
  clearTimeout(current.logTimer);
  current.item = { name, index: detail.index, attempt: detail.attempt, offset: 0 };
  current.grid.select(detail.index);
  $('item-panel').hidden = false;
  $('item-name').textContent = name;
  $('item-state').textContent = detail.status;
  $('item-state').className = `state s-${detail.status}`;
  showResult(detail);
  const select = $('item-attempt');
  select.replaceChildren();
  for (const a of detail.attempts) {
    select.append(el('option', { value: String(a.attempt), text: `attempt ${a.attempt}${a.worker ? ` (${a.worker})` : ''}` }));
  }
  select.value = String(detail.attempt);
  select.hidden = detail.attempts.length === 0;
  $('item-log').replaceChildren();
  if (push) history.replaceState(null, '', itemUrl(name));
  if (detail.attempts.length) readLog();
}

// The attempt's log from where the last read stopped; again in a second
// while the item runs (a live tail), at once while there is more.
async function readLog() {
  const item = current && current.item;
  if (!item) return;
  let answer;
  try {
    answer = await api(`/api/jobs/${encodeURIComponent(current.id)}/items/${encodeURIComponent(item.name)}` +
      `/log?attempt=${item.attempt}&offset=${item.offset}`);
  } catch (e) {
    notice(e.message);
    return;
  }
  if (!current || current.item !== item) return;
  const pre = $('item-log');
  const atBottom = pre.scrollTop + pre.clientHeight >= pre.scrollHeight - 4;
  const frag = document.createDocumentFragment();
  for (const line of answer.lines) {
    frag.append(el('span', { class: `log-${line.stream}`, text: `${line.time.slice(11)}  ${line.text}\n` }));
  }
  pre.append(frag);
  if (atBottom) pre.scrollTop = pre.scrollHeight;
  item.offset = answer.offset;
  $('item-log-live').hidden = !answer.running;
  if (answer.more) current.logTimer = setTimeout(readLog, 0);
  else if (answer.running) current.logTimer = setTimeout(readLog, 1000);
}

async function jobAction(action) {
  if (!current) return;
  if (action === 'cancel' && !confirm(`Cancel job ${current.job.name}? Running commands are interrupted.`)) return;
  try {
    const r = await api(`/api/jobs/${encodeURIComponent(current.id)}/${action}`, { method: 'POST' });
    notice(action === 'retry' ? `Retrying ${r.remaining} items` : 'Job cancelled');
  } catch (e) {
    notice(e.message);
  }
}

function onJobEvent(event, data) {
  if (current && current.early) {
    current.early.push([event, data]);
    return;
  }
  if (event === 'job') {
    if (!$('jobs-view').hidden) showJobRow(data);
    if (current && current.grid && data.id === current.id && !$('job-view').hidden) {
      // Too many changes to list in an event: read the job again.
      if (data.reload) showJob(current.id, new URLSearchParams(location.search));
      current.job = data;
      showSummary(data);
    }
  } else if (event === 'items' && current && current.grid && data.job === current.id) {
    for (const { index, state, progress, attempt } of data.items) current.grid.update(index, state, progress, attempt);
    const row = current.item && data.items.find((it) => it.index === current.item.index);
    if (row) {
      const item = current.item;
      // A new attempt, or an end: show its result and read on.
      if (row.attempt !== item.attempt || row.state !== 'running') pickItem(item.name, false);
      else if (!current.logTimer) readLog();
    }
  }
}

// ---- submitting ----------------------------------------------------------------------------
let form = null;
let templateForm = null;

async function showSchemaForm() {
  if (!form) {
    // A job sent to the farm has no file name to be named after: the
    // server needs a name, so the form asks for one.
    const schema = await api('/api/schema');
    schema.required = [...(schema.required || []), 'name'];
    form = new SchemaForm(schema, $('form-fields'), () => {
      $('form-json').textContent = JSON.stringify(form.value(), null, 2);
    });
    $('form-json').textContent = JSON.stringify(form.value(), null, 2);
  }
}

// The templates of --templates, as links: each has its own address, for a
// wiki or a DCC to link to.
function showPicker(list, chosen) {
  const picker = $('template-picker');
  picker.replaceChildren();
  picker.hidden = list.templates.length === 0 && list.broken.length === 0;
  const link = (href, text, active) => el('a', { href, class: active ? 'chip active' : 'chip', text });
  picker.append(link('/?submit', 'farmhand job (JSON schema)', !chosen));
  for (const t of list.templates) {
    const text = !t.title || t.title === t.name ? t.name : `${t.title} · ${t.name}`;
    picker.append(link(`/?submit&template=${encodeURIComponent(t.name)}`, text, t.name === chosen));
  }
  for (const b of list.broken) {
    picker.append(el('span', { class: 'chip broken', title: b.error, text: `${b.name} (does not check)` }));
  }
}

async function showSubmit(params) {
  const chosen = params.get('template');
  const list = await api('/api/templates');
  showPicker(list, chosen);
  $('template-box').hidden = !chosen;
  $('schema-box').hidden = !!chosen;
  if (!chosen) {
    templateForm = null;
    await showSchemaForm();
    return;
  }
  const t = list.templates.find((x) => x.name === chosen);
  if (!t) {
    const broken = list.broken.find((x) => x.name === chosen);
    $('template-box').hidden = true;
    notice(broken ? `The template ${chosen} does not check: ${broken.error}` : `No template '${chosen}' here`);
    return;
  }
  $('template-title').textContent = t.title || t.name;
  $('template-description').textContent = t.description || '';
  $('template-errors').hidden = true;
  templateForm = new TemplateForm(t, $('template-fields'));
}

// A problem as a line: where it is (the field's path, the line and
// column of the text), then what is wrong.
function problemText(p) {
  const at = [p.path, p.line ? `line ${p.line}, column ${p.column}` : ''].filter(Boolean).join(', ');
  return at ? `${at}: ${p.message}` : p.message;
}

// What the server refused, in the box on top; the fields already show
// their own.
function showRefusal(box, errors, unplaced) {
  box.replaceChildren(el('strong', { text: 'The job was not submitted:' }),
    el('ul', {}, ...errors.map((er) => el('li', { text: problemText(er) }))));
  box.hidden = false;
  if (unplaced.length > 0) box.scrollIntoView({ block: 'nearest' });
}

async function send(button, body, onRefused) {
  button.disabled = true;
  try {
    const r = await api('/api/jobs', {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body),
    });
    navigate(r.url);
  } catch (e) {
    onRefused((e.body && e.body.errors) || [{ path: '', message: e.message }]);
  } finally {
    button.disabled = false;
  }
}

async function submit(ev) {
  ev.preventDefault();
  const box = $('form-errors');
  form.clearErrors();
  box.hidden = true;
  // The form scrolled to the first field with a problem; problems of no
  // field of their own are in the box on top.
  await send($('submit-button'), form.value(), (errors) => showRefusal(box, errors, form.showErrors(errors)));
}

async function submitTemplate(ev) {
  ev.preventDefault();
  const box = $('template-errors');
  templateForm.clearErrors();
  box.hidden = true;
  // What the page can check it checks: nothing is sent while a field is wrong.
  const problems = templateForm.check();
  if (problems.length > 0) {
    showRefusal(box, problems, []);
    box.firstChild.textContent = 'Not submitted: correct the fields marked below.';
    return;
  }
  const body = { template: templateForm.template.name, parameters: templateForm.value() };
  await send($('template-submit'), body, (errors) => showRefusal(box, errors, templateForm.showErrors(errors)));
}

// ---- routing ----------------------------------------------------------------------------------
function show(view) {
  for (const v of ['jobs-view', 'job-view', 'submit-view']) $(v).hidden = v !== view;
  for (const a of document.querySelectorAll('nav a')) {
    a.classList.toggle('active', (view === 'submit-view') === (a.dataset.nav === 'submit'));
  }
}

async function route() {
  const params = new URLSearchParams(location.search);
  notice('');
  if (!token) {
    show(null);
    notice('This page needs the server\'s token: open the URL farmhand serve printed (it ends in ' +
      '?token=…), or add ?token=TOKEN to this address. The token is kept for this tab only.');
    return;
  }
  try {
    if (location.pathname.startsWith('/jobs/')) {
      show('job-view');
      await showJob(decodeURIComponent(location.pathname.slice(6)), params);
    } else if (params.has('submit')) {
      current = null;
      show('submit-view');
      await showSubmit(params);
    } else {
      current = null;
      show('jobs-view');
      await showJobs();
    }
  } catch (e) {
    notice(e.message);
  }
}

function navigate(url) {
  history.pushState(null, '', url);
  route();
}

document.addEventListener('click', (ev) => {
  const a = ev.target.closest('a');
  if (!a || a.origin !== location.origin || ev.ctrlKey || ev.metaKey || ev.shiftKey || ev.button !== 0) return;
  ev.preventDefault();
  navigate(a.pathname + a.search);
});
window.addEventListener('popstate', route);
$('item-close').addEventListener('click', () => closeItem());
$('item-attempt').addEventListener('change', () => {
  if (!current || !current.item) return;
  clearTimeout(current.logTimer);
  current.item = { ...current.item, attempt: Number($('item-attempt').value), offset: 0 };
  $('item-log').replaceChildren();
  readLog();
});
$('retry-button').addEventListener('click', () => jobAction('retry'));
$('cancel-button').addEventListener('click', () => jobAction('cancel'));
$('submit-form').addEventListener('submit', submit);
$('template-form').addEventListener('submit', submitTemplate);
listeners.add(onJobEvent);
route();
if (token) followEvents();
