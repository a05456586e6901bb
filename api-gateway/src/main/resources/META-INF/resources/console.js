// The VCT console: a thin client of the public API (the same calls any backend makes).
'use strict';

const STAGES = ['content_inversion', 'concept_inversion', 'fusion', 'scoring'];
const $ = (id) => document.getElementById(id);
const state = { key: localStorage.getItem('vct.apiKey') || '', stream: null, cursor: null, job: null };

function authHeaders(extra) {
  return Object.assign({ Authorization: 'Bearer ' + state.key }, extra || {});
}

async function api(path, options) {
  const response = await fetch(path, Object.assign({}, options, { headers: authHeaders((options || {}).headers) }));
  if (!response.ok) {
    let message = response.status + ' ' + response.statusText;
    try {
      const body = await response.json();
      message = body.code + ': ' + body.message;
    } catch (ignored) { /* not JSON */ }
    throw new Error(message);
  }
  return response;
}

async function imageUrl(path) {
  const response = await api(path);
  return URL.createObjectURL(await response.blob());
}

// ---- API key ----
function useKey() {
  state.key = $('api-key').value.trim();
  localStorage.setItem('vct.apiKey', state.key);
  $('key-status').textContent = 'checking...';
  api('/v1/tenant').then((r) => r.json()).then((tenant) => {
    $('key-status').textContent = 'tenant ' + tenant.name;
    loadHistory(true);
  }).catch((e) => { $('key-status').textContent = e.message; });
}

// ---- image drop zones ----
function setupDrop(role) {
  const drop = $(role + '-drop');
  const input = $(role + '-file');
  const preview = $(role + '-preview');
  const show = () => {
    const file = input.files[0];
    if (file) { preview.src = URL.createObjectURL(file); preview.hidden = false; }
  };
  input.addEventListener('change', show);
  drop.addEventListener('dragover', (e) => { e.preventDefault(); drop.classList.add('over'); });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (e) => {
    e.preventDefault();
    drop.classList.remove('over');
    if (e.dataTransfer.files.length) { input.files = e.dataTransfer.files; show(); }
  });
}

// ---- submit ----
async function submit(event) {
  event.preventDefault();
  const error = $('submit-error');
  error.hidden = true;
  const source = $('source-file').files[0];
  const reference = $('reference-file').files[0];
  if (!source || !reference) {
    error.textContent = 'Choose both a source and a reference image.';
    error.hidden = false;
    return;
  }
  const form = new FormData();
  form.append('source', source, source.name);
  form.append('reference', reference, reference.name);
  const params = $('params').value.trim();
  if (params && params !== '{}') {
    form.append('params', new Blob([params], { type: 'application/json' }), 'params.json');
  }
  $('submit').disabled = true;
  try {
    const response = await api('/v1/translations', {
      method: 'POST', body: form, headers: { 'Idempotency-Key': crypto.randomUUID() },
    });
    const job = await response.json();
    showJob(job, URL.createObjectURL(source), URL.createObjectURL(reference));
    loadHistory(true);
  } catch (e) {
    error.textContent = e.message;
    error.hidden = false;
  } finally {
    $('submit').disabled = false;
  }
}

// ---- one job: stages, live events, result ----
function renderStages(job) {
  const list = $('stages');
  list.innerHTML = '';
  const byName = {};
  (job.stages || []).forEach((s) => { byName[s.stage] = s; });
  STAGES.forEach((name) => {
    const stage = byName[name] || { stage: name, status: 'pending', fraction: 0 };
    const item = document.createElement('li');
    item.id = 'stage-' + name;
    item.innerHTML = '<span class="name"></span> <progress max="1"></progress> <span class="status"></span>';
    list.appendChild(item);
    updateStage(name, stage.status, stage.fraction, stage.progress);
  });
}

function updateStage(name, status, fraction, progress) {
  const item = $('stage-' + name);
  if (!item) return;
  item.querySelector('.name').textContent = name.replace('_', ' ');
  if (fraction !== undefined && fraction !== null) item.querySelector('progress').value = fraction;
  if (status) item.dataset.status = status;
  let text = item.dataset.status || '';
  if (progress && progress.total_steps) text += ' (' + progress.step + '/' + progress.total_steps + ')';
  item.querySelector('.status').textContent = text;
}

function setStatus(status) {
  const el = $('job-status');
  el.textContent = status;
  el.className = 'status-' + status;
  $('cancel').hidden = ['succeeded', 'failed', 'cancelled'].includes(status);
}

async function showJob(job, sourceUrl, referenceUrl) {
  if (state.stream) state.stream.abort();
  state.job = job;
  $('job-panel').hidden = false;
  $('job-id').textContent = job.id;
  $('result-img').hidden = true;
  $('scores').textContent = '';
  $('job-error').hidden = true;
  setStatus(job.status);
  renderStages(job);
  $('job-source').src = sourceUrl || await imageUrl(job.links.self + '/inputs/source');
  $('job-reference').src = referenceUrl || await imageUrl(job.links.self + '/inputs/reference');
  if (['succeeded', 'failed', 'cancelled'].includes(job.status)) {
    await showOutcome(job.id);
  } else {
    followEvents(job.id);
  }
}

// EventSource cannot send an Authorization header, so the stream is read with fetch.
async function followEvents(jobId) {
  const controller = new AbortController();
  state.stream = controller;
  let lastEventId = null;
  for (let attempt = 0; attempt < 20 && !controller.signal.aborted; attempt++) {
    try {
      const headers = { Accept: 'text/event-stream' };
      if (lastEventId) headers['Last-Event-ID'] = lastEventId;
      const response = await api('/v1/translations/' + jobId + '/events', { headers, signal: controller.signal });
      const reader = response.body.getReader();
      const decoder = new TextDecoder();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true }).replace(/\r\n/g, '\n');
        let end;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event = parseEvent(block);
          if (event.id) lastEventId = event.id;
          if (event.data) onEvent(event.name, JSON.parse(event.data));
        }
      }
      await showOutcome(jobId);
      return;
    } catch (e) {
      if (controller.signal.aborted) return;
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }
}

function parseEvent(block) {
  const event = { id: null, name: 'message', data: '' };
  block.split('\n').forEach((line) => {
    if (line.startsWith(':')) return;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'id') event.id = value;
    else if (field === 'event') event.name = value;
    else if (field === 'data') event.data += (event.data ? '\n' : '') + value;
  });
  return event;
}

function onEvent(type, data) {
  if (type === 'job.status-changed') setStatus(data.to);
  else if (type === 'job.stage-changed') updateStage(data.stage, data.status, data.status === 'succeeded' ? 1 : undefined);
  else if (type === 'job.progress') {
    updateStage(data.stage, 'running', data.total_steps ? data.step / data.total_steps : undefined,
      { step: data.step, total_steps: data.total_steps });
  } else if (type === 'job.completed') setStatus(data.status);
}

async function showOutcome(jobId) {
  const job = await (await api('/v1/translations/' + jobId)).json();
  setStatus(job.status);
  renderStages(job);
  if (job.scores) {
    $('scores').textContent = 'LPIPS ' + job.scores.lpips.toFixed(4) + ' (content kept; lower is closer) · BRISQUE '
      + job.scores.brisque.toFixed(2) + ' (quality; lower is better)';
  }
  if (job.result_url) {
    $('result-img').src = await imageUrl(job.result_url);
    $('result-img').hidden = false;
  }
  if (job.error) {
    $('job-error').textContent = job.error.code + ': ' + job.error.message;
    $('job-error').hidden = false;
  }
  loadHistory(true);
}

async function cancelJob() {
  if (!state.job) return;
  try {
    await api('/v1/translations/' + state.job.id + '/cancel', { method: 'POST' });
  } catch (e) {
    $('job-error').textContent = e.message;
    $('job-error').hidden = false;
  }
}

// ---- history ----
async function loadHistory(reset) {
  if (!state.key) return;
  if (reset) { state.cursor = null; $('history').innerHTML = ''; }
  const query = '?limit=20' + (state.cursor ? '&cursor=' + encodeURIComponent(state.cursor) : '');
  try {
    const page = await (await api('/v1/translations' + query)).json();
    page.data.forEach((job) => {
      const row = document.createElement('tr');
      row.dataset.id = job.id;
      const cells = [new Date(job.created_at).toLocaleString(), job.id.slice(0, 8), job.status,
        job.scores ? job.scores.lpips.toFixed(4) : '', job.scores ? job.scores.brisque.toFixed(2) : ''];
      cells.forEach((text, i) => {
        const cell = document.createElement('td');
        cell.textContent = text;
        if (i === 2) cell.className = 'status-' + job.status;
        row.appendChild(cell);
      });
      row.addEventListener('click', async () => showJob(await (await api(job.links.self)).json()));
      $('history').appendChild(row);
    });
    state.cursor = page.next_cursor || null;
    $('more').hidden = !state.cursor;
  } catch (e) {
    $('key-status').textContent = e.message;
  }
}

$('api-key').value = state.key;
$('save-key').addEventListener('click', useKey);
$('submit-form').addEventListener('submit', submit);
$('cancel').addEventListener('click', cancelJob);
$('refresh').addEventListener('click', () => loadHistory(true));
$('more').addEventListener('click', () => loadHistory(false));
setupDrop('source');
setupDrop('reference');
if (state.key) useKey();
