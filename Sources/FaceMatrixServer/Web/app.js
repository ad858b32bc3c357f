// FaceMatrix "try it" page: recognise a photo, draw what the service found, enrol or delete the person.
// Plain browser JavaScript, no build step; every value from the service is inserted as text, never as HTML.
'use strict';

const $ = (id) => document.getElementById(id);
const KEY_STORAGE = 'facematrix.apiKey';
const BOX_COLOR = { match: [0, 200, 140], other: [255, 176, 0] };
const MARK_COLOR = [255, 64, 129];

const state = { seq: 0, reqId: null, user: null, memoryKey: null, stream: null };

// ---- API -------------------------------------------------------------------------------------------------------

class ApiError extends Error {
  constructor(message, details = {}) {
    super(message);
    Object.assign(this, details); // httpStatus, code, name, requestId
  }
}

function storedKey() {
  try { return localStorage.getItem(KEY_STORAGE) || state.memoryKey; } catch { return state.memoryKey; }
}

function storeKey(key) {
  state.memoryKey = key || null;
  try {
    if (key) localStorage.setItem(KEY_STORAGE, key); else localStorage.removeItem(KEY_STORAGE);
  } catch { /* storage disabled: the key lives until the page is closed */ }
}

/** Calls the API; resolves with the parsed JSON body, rejects with an ApiError for every kind of failure. */
async function api(method, path, body) {
  const headers = { Accept: 'application/json' };
  const key = storedKey();
  if (key) headers.Authorization = `Bearer ${key}`;
  let payload = body;
  if (body !== undefined && !(body instanceof FormData)) {
    headers['Content-Type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  let response;
  let text;
  try {
    response = await fetch(path, { method, headers, body: payload });
    text = await response.text();
  } catch (error) {
    throw new ApiError(`Could not reach the service: ${error.message}`, { name: 'network_error' });
  }
  const requestId = response.headers.get('X-Request-ID');
  let data = null;
  try { data = JSON.parse(text); } catch { /* handled below */ }
  if (response.status === 401) {
    showKeyForm(true);
    throw new ApiError(
      (data && data.message) || (key ? 'The API key was refused.' : 'This service needs an API key.'),
      { httpStatus: 401, code: data && data.error_code, name: data && data.error,
        requestId: (data && data.requestId) || requestId });
  }
  if (data === null || typeof data !== 'object') {
    throw new ApiError(
      `The service answered HTTP ${response.status} ${response.statusText} with something that is not JSON.`,
      { httpStatus: response.status, requestId });
  }
  if (!response.ok || data.status === 'error') {
    throw new ApiError(data.message || `HTTP ${response.status}`, {
      httpStatus: response.status, code: data.error_code, name: data.error, requestId: data.requestId || requestId,
    });
  }
  return data;
}

// ---- small DOM helpers -----------------------------------------------------------------------------------------

function el(tag, props = {}, ...children) {
  const node = Object.assign(document.createElement(tag), props);
  node.append(...children.filter((c) => c !== null && c !== undefined));
  return node;
}

function show(id, visible = true) { $(id).hidden = !visible; }

function setBusy(text) {
  $('busy').textContent = text;
  $('result').setAttribute('aria-busy', text ? 'true' : 'false');
}

function fillFacts(id, rows) {
  $(id).replaceChildren(...rows.flatMap(([term, value]) => [el('dt', { textContent: term }), el('dd', {}, value)]));
}

const num = (value, digits = 3) => (typeof value === 'number' ? value.toFixed(digits) : '—');
const code = (text) => el('code', { textContent: text });

function showError(error) {
  const box = $('error');
  const facts = [];
  if (error.name && error.name !== 'Error') {
    facts.push(el('span', {}, code(error.code !== undefined && error.code !== null
      ? `${error.name} (${error.code})` : error.name)));
  }
  if (error.httpStatus) facts.push(el('span', { textContent: `HTTP ${error.httpStatus}` }));
  if (error.requestId) facts.push(el('span', {}, 'request id ', code(error.requestId)));
  box.replaceChildren(el('strong', { textContent: error.message }), el('p', { className: 'meta' }, ...facts));
  box.dataset.errorCode = error.code ?? '';
  box.hidden = false;
}

function notice(...content) {
  $('notice').replaceChildren(...content);
  show('notice');
}

function clearMessages() {
  show('error', false);
  show('notice', false);
}

// ---- picture -----------------------------------------------------------------------------------------------------

/** The photo as the browser sees it upright (EXIF orientation applied), or null when it cannot decode it. */
async function loadPicture(file) {
  if ('createImageBitmap' in window) {
    try { return await createImageBitmap(file, { imageOrientation: 'from-image' }); } catch { /* try an <img> */ }
  }
  const url = URL.createObjectURL(file);
  try {
    const img = new Image();
    img.src = url;
    await img.decode();
    return img;
  } catch {
    return null;
  } finally {
    setTimeout(() => URL.revokeObjectURL(url), 0);
  }
}

const rgb = ([r, g, b]) => `rgb(${r}, ${g}, ${b})`;

/** A canvas without a photo, saying why. */
function drawPlaceholder(message) {
  const canvas = $('canvas');
  const ctx = canvas.getContext('2d');
  canvas.width = 640;
  canvas.height = 240;
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  ctx.font = '20px system-ui, sans-serif';
  ctx.fillStyle = getComputedStyle(canvas).color;
  ctx.textAlign = 'center';
  ctx.textBaseline = 'middle';
  ctx.fillText(message, canvas.width / 2, canvas.height / 2);
  canvas.dataset.drawn = 'none';
  delete canvas.dataset.box;
  canvas.setAttribute('aria-label', message);
  show('legend', false);
}

/** Draws the photo, and the face box and landmarks when the service found them. */
function drawScene(picture, metadata, label, matched) {
  if (!picture) {
    drawPlaceholder('The browser cannot show this file');
    return;
  }
  const canvas = $('canvas');
  const ctx = canvas.getContext('2d');
  const width = picture.naturalWidth || picture.width;
  const height = picture.naturalHeight || picture.height;
  canvas.width = width;
  canvas.height = height;
  ctx.drawImage(picture, 0, 0, width, height);
  const box = metadata && metadata.box;
  if (!box) {
    canvas.dataset.drawn = 'photo';
    delete canvas.dataset.box;
    canvas.setAttribute('aria-label', `The photo, ${width} × ${height} pixels`);
    show('legend', false);
    return;
  }
  const line = Math.max(2, Math.round(Math.max(width, height) / 200));
  const color = matched ? BOX_COLOR.match : BOX_COLOR.other;
  const [x, y, w, h] = [box.x, box.y, box.width, box.height].map(Math.round);
  ctx.lineWidth = line;
  ctx.strokeStyle = rgb(color);
  ctx.strokeRect(x, y, w, h);
  if (label) {
    const size = Math.max(12, Math.round(Math.max(width, height) / 40));
    ctx.font = `600 ${size}px system-ui, sans-serif`;
    const pad = Math.round(size / 3);
    const tagWidth = ctx.measureText(label).width + 2 * pad;
    const tagHeight = size + 2 * pad;
    const tagY = y - line / 2 - tagHeight >= 0 ? y - line / 2 - tagHeight : y + h + line / 2;
    ctx.fillStyle = rgb(color);
    ctx.fillRect(x - line / 2, tagY, tagWidth, tagHeight);
    ctx.fillStyle = '#111';
    ctx.textBaseline = 'top';
    ctx.fillText(label, x - line / 2 + pad, tagY + pad);
  }
  const points = Object.values((metadata && metadata.landmarks) || {});
  for (const point of points) {
    ctx.beginPath();
    ctx.arc(point.x, point.y, line * 1.6, 0, 2 * Math.PI);
    ctx.fillStyle = rgb(MARK_COLOR);
    ctx.fill();
    ctx.lineWidth = Math.max(1, line / 2);
    ctx.strokeStyle = '#fff';
    ctx.stroke();
  }
  canvas.dataset.drawn = 'box';
  canvas.dataset.box = [x, y, w, h].join(',');
  canvas.dataset.line = String(line);
  canvas.dataset.boxColor = color.join(',');
  canvas.dataset.landmarks = String(points.length);
  canvas.setAttribute('aria-label',
    `The photo, ${width} × ${height} pixels, with the face box at x ${x}, y ${y}, ${w} × ${h}`
    + (label ? `, labelled ${label}` : ''));
  $('legend').style.setProperty('--box', rgb(color));
  show('legend');
}

// ---- recognition -------------------------------------------------------------------------------------------------

function resetResult() {
  clearMessages();
  for (const id of ['matched', 'enrol-form', 'enrolled', 'details']) show(id, false);
  state.reqId = null;
  state.user = null;
}

async function recognise(file) {
  const seq = ++state.seq;
  resetResult();
  $('result').dataset.seq = String(seq);
  $('result').dataset.state = 'busy';
  $('decision').textContent = 'Looking at the photo…';
  $('photo-name').textContent = `${file.name || 'photo'}, ${Math.max(1, Math.round(file.size / 1024))} KB`;
  setBusy('Looking for a face…');
  const picture = loadPicture(file);
  picture.then((pic) => { if (seq === state.seq && $('result').dataset.state === 'busy') drawScene(pic, null); });
  const form = new FormData();
  form.append('image', file, file.name || 'photo.jpg');
  try {
    const data = await api('POST', '/api/v1/recognise_user', form);
    if (seq !== state.seq) return;
    const user = data.status === 'success' ? data.user_info : null;
    drawScene(await picture, data.metadata, user ? user.name : null, Boolean(user));
    showRecognition(data);
  } catch (error) {
    if (seq !== state.seq) return;
    drawScene(await picture, null); // the photo without a box (no face found), or nothing (not a picture)
    $('result').dataset.state = 'error';
    $('decision').textContent = 'No result.';
    showError(error);
  } finally {
    if (seq === state.seq) setBusy('');
  }
}

function showRecognition(data) {
  const meta = data.metadata || {};
  const decision = $('decision');
  if (data.status === 'success' && data.user_info) {
    const user = data.user_info;
    state.user = user;
    $('result').dataset.state = 'match';
    decision.replaceChildren(
      el('span', { className: 'badge ok', textContent: 'Match' }), ' ',
      el('strong', { id: 'match-name', textContent: user.name }), ' ', code(user.id));
    show('matched');
  } else if (data.message === 'no_match') {
    state.reqId = data.req_id || (data.enrollmentKey && data.enrollmentKey.req_id) || null;
    $('result').dataset.state = 'no-match';
    decision.replaceChildren(
      el('span', { className: 'badge no', textContent: 'No match' }), ' ',
      meta.gallery_size === 0 ? 'Nobody is enrolled yet.' : 'Nobody enrolled is similar enough.');
    if (state.reqId) {
      const expires = data.enrollmentKey && data.enrollmentKey.expiresAt;
      $('enrol-expiry').textContent = expires
        ? `The photo is kept for enrolment until ${new Date(expires).toLocaleTimeString()}.` : '';
      $('enrol-birthdate').max = new Date().toISOString().slice(0, 10);
      show('enrol-form');
    }
  } else {
    $('result').dataset.state = 'other';
    decision.textContent = data.message || 'Unexpected answer.';
  }
  showDetails(meta);
}

const QUALITY_LABELS = {
  confidence: ['confidence', 3], face_size: ['face size (px)', 0], interocular_distance: ['eye distance (px)', 1],
  frontal_score: ['frontal score', 3], yaw: ['yaw (°)', 1], roll: ['roll (°)', 1], sharpness: ['sharpness', 0],
};
const STAGES = ['decode', 'pnet', 'rnet', 'onet', 'align', 'embed'];

/** Object entries in a preferred key order; unknown keys after the known ones, `total` last. */
function ordered(object, order) {
  const rank = (key) => (key === 'total' ? 2e3 : order.includes(key) ? order.indexOf(key) : 1e3);
  return Object.entries(object || {}).sort(([a], [b]) => rank(a) - rank(b));
}

function showDetails(meta) {
  const similarity = meta.similarity;
  const threshold = meta.threshold;
  const clamp = (v) => Math.min(1, Math.max(0, v));
  $('similarity-fill').style.width = `${typeof similarity === 'number' ? clamp(similarity) * 100 : 0}%`;
  $('threshold-mark').style.left = `${typeof threshold === 'number' ? clamp(threshold) * 100 : 0}%`;
  $('similarity-meter').classList.toggle('passes', typeof similarity === 'number' && similarity >= threshold);
  $('similarity').replaceChildren(
    'similarity ', el('strong', { textContent: typeof similarity === 'number' ? similarity.toFixed(3) : 'none' }),
    ' · threshold ', el('strong', { textContent: num(threshold) }),
    typeof similarity === 'number' ? '' : ' (nobody to compare with)');
  fillFacts('summary', [
    ['enrolled people', String(meta.gallery_size ?? '—')],
    ['faces in the photo', String(meta.faces_detected ?? '—')],
    ['target false-accept rate', typeof meta.target_far === 'number' ? `${meta.target_far * 100} %` : 'fixed threshold'],
    ['model', meta.model ? `${meta.model.name} ${meta.model.version}` : '—'],
  ]);
  fillFacts('quality', ordered(meta.quality, Object.keys(QUALITY_LABELS)).map(([key, value]) => {
    const [label, digits] = QUALITY_LABELS[key] || [key.replaceAll('_', ' '), 3];
    return [label, num(value, digits)];
  }));
  fillFacts('timings', ordered(meta.timings_ms, STAGES).map(([key, value]) => [key, num(value, 1)]));
  show('details');
}

// ---- enrol and delete --------------------------------------------------------------------------------------------

async function enrol(event) {
  event.preventDefault();
  const form = $('enrol-form');
  if (!form.reportValidity()) return;
  const name = $('enrol-name').value.trim();
  const body = { name, birthdate: $('enrol-birthdate').value, req_id: state.reqId };
  const email = $('enrol-email').value.trim();
  if (email) body.email = email;
  clearMessages();
  $('enrol-submit').disabled = true;
  setBusy('Enrolling…');
  try {
    const data = await api('POST', '/api/v1/add_user', body);
    show('enrol-form', false);
    form.reset();
    state.reqId = null;
    $('enrolled').replaceChildren(`Enrolled ${name} as `, code(data.user_id),
      '. Upload another photo of them to see the match.');
    show('enrolled');
  } catch (error) {
    showError(error);
  } finally {
    $('enrol-submit').disabled = false;
    setBusy('');
  }
}

async function deleteUser() {
  const user = state.user;
  if (!user || !window.confirm(`Delete ${user.name} (${user.id}) and every face enrolled for them?`)) return;
  clearMessages();
  $('delete-user').disabled = true;
  setBusy('Deleting…');
  try {
    await api('DELETE', `/api/v1/users/${encodeURIComponent(user.id)}`);
    state.user = null;
    show('matched', false);
    notice(`Deleted ${user.name} `, code(user.id), ' and all their faces.');
  } catch (error) {
    showError(error);
  } finally {
    $('delete-user').disabled = false;
    setBusy('');
  }
}

// ---- API key -----------------------------------------------------------------------------------------------------

function showKeyForm(focus) {
  show('api-key-form');
  $('api-key').value = storedKey() || '';
  if (focus) $('api-key').focus();
}

// ---- camera ------------------------------------------------------------------------------------------------------

async function setUpCamera() {
  const media = navigator.mediaDevices;
  if (!media || !media.getUserMedia || !media.enumerateDevices) return; // not offered (or not a secure context)
  try {
    const devices = await media.enumerateDevices();
    if (devices.some((d) => d.kind === 'videoinput')) show('camera-open');
  } catch { /* no camera button */ }
}

async function openCamera() {
  clearMessages();
  try {
    state.stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'user' }, audio: false });
  } catch (error) {
    showError(new ApiError(`The camera could not be opened (${error.name}). Choose a photo instead.`));
    return;
  }
  $('camera-video').srcObject = state.stream;
  show('camera');
  $('camera-snap').focus();
}

function closeCamera() {
  if (state.stream) state.stream.getTracks().forEach((track) => track.stop());
  state.stream = null;
  $('camera-video').srcObject = null;
  show('camera', false);
}

function snapPhoto() {
  const video = $('camera-video');
  if (!video.videoWidth) return;
  const shot = el('canvas', { width: video.videoWidth, height: video.videoHeight });
  shot.getContext('2d').drawImage(video, 0, 0);
  closeCamera();
  shot.toBlob((blob) => {
    if (blob) recognise(new File([blob], 'camera.jpg', { type: 'image/jpeg' }));
  }, 'image/jpeg', 0.92);
}

// ---- wiring ------------------------------------------------------------------------------------------------------

function start() {
  $('photo').addEventListener('change', (event) => {
    const file = event.target.files[0];
    event.target.value = ''; // choosing the same file again recognises it again
    if (file) recognise(file);
  });
  $('enrol-form').addEventListener('submit', enrol);
  $('delete-user').addEventListener('click', deleteUser);
  $('camera-open').addEventListener('click', openCamera);
  $('camera-close').addEventListener('click', closeCamera);
  $('camera-snap').addEventListener('click', snapPhoto);
  $('api-key-form').addEventListener('submit', (event) => {
    event.preventDefault();
    storeKey($('api-key').value.trim());
    clearMessages();
    notice('API key saved: it is sent with every request from now on. Choose the photo again.');
  });
  $('api-key-forget').addEventListener('click', () => {
    storeKey(null);
    $('api-key').value = '';
    show('api-key-form', false);
    notice('API key forgotten.');
  });
  drawPlaceholder('Choose or take a photo to start');
  if (storedKey()) showKeyForm(false);
  setUpCamera();
}

start();
