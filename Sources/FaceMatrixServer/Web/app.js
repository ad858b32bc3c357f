// FaceMatrix "try it" page: recognise a photo, draw what the service found, enrol or delete the person; with
// "Every face in the photo", recognise every face of a group photo and enrol the unknown ones from the list.
// Plain browser JavaScript, no build step; every value from the service is inserted as text, never as HTML.
'use strict';

const $ = (id) => document.getElementById(id);
const KEY_STORAGE = 'facematrix.apiKey';
const ALL_FACES_STORAGE = 'facematrix.allFaces';
const BOX_COLOR = { match: [0, 200, 140], other: [255, 176, 0], deleted: [150, 156, 165] };
const MARK_COLOR = [255, 64, 129];

const state = {
  seq: 0, reqId: null, user: null, memoryKey: null, stream: null,
  file: null, // the photo on the page, recognised again after an enrolment from the list of faces
  shown: null, // { picture, metadata } of the single-face answer on the page, drawn again after a deletion
  enrolFace: null, // the number of the face the enrol form is bound to (every-face mode)
};

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

/** localStorage that may be disabled: null or nothing instead of an exception. */
function readSetting(name) {
  try { return localStorage.getItem(name); } catch { return null; }
}

function writeSetting(name, value) {
  try { localStorage.setItem(name, value); } catch { /* storage disabled: the setting lasts until the page closes */ }
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

/** The words of the text in lines no wider than maxWidth (a word wider than that gets a line of its own). */
function wrapLines(ctx, text, maxWidth) {
  const lines = [];
  for (const word of text.split(/\s+/).filter(Boolean)) {
    const last = lines.length ? `${lines[lines.length - 1]} ${word}` : null;
    if (last !== null && ctx.measureText(last).width <= maxWidth) lines[lines.length - 1] = last;
    else lines.push(word);
  }
  return lines;
}

/** A canvas without a photo, saying why (in as many centred lines as it takes). */
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
  const lines = wrapLines(ctx, message, canvas.width - 60);
  const lineHeight = 28;
  lines.forEach((line, index) => ctx.fillText(line, canvas.width / 2,
    canvas.height / 2 + (index - (lines.length - 1) / 2) * lineHeight));
  canvas.dataset.drawn = 'none';
  for (const key of ['box', 'boxes', 'faceBoxes', 'faceColors']) delete canvas.dataset[key];
  canvas.setAttribute('aria-label', message);
  show('legend', false);
}

/**
 * What the canvas says when the browser cannot decode the photo (HEIC/HEIF in most browsers), which the service may
 * still read: while the service looks at it, once it has answered, or when it could not use the file either.
 */
function unshownMessage(phase) {
  const format = 'Your browser cannot display this photo format (e.g. HEIC)';
  if (phase === 'busy') return `${format}; the service is analysing it…`;
  if (phase === 'error') return 'Your browser cannot display this file.';
  const where = window.matchMedia && window.matchMedia('(max-width: 860px)').matches ? 'below' : 'on the right';
  return `${format}; the service still analysed it — the result is ${where}.`;
}

/**
 * Draws the photo over the whole canvas; null (and a placeholder saying why, for the phase: 'busy', 'result' or
 * 'error') when the browser cannot show it.
 */
function drawPhoto(picture, phase = 'result') {
  if (!picture) {
    drawPlaceholder(unshownMessage(phase));
    return null;
  }
  const canvas = $('canvas');
  const ctx = canvas.getContext('2d');
  const width = picture.naturalWidth || picture.width;
  const height = picture.naturalHeight || picture.height;
  canvas.width = width;
  canvas.height = height;
  ctx.drawImage(picture, 0, 0, width, height);
  for (const key of ['box', 'boxes', 'faceBoxes', 'faceColors']) delete canvas.dataset[key];
  return { canvas, ctx, width, height };
}

/** Line width and label size for a photo of this size. */
function strokeFor(width, height) {
  return {
    line: Math.max(2, Math.round(Math.max(width, height) / 200)),
    size: Math.max(12, Math.round(Math.max(width, height) / 40)),
  };
}

/** The label, shortened with an ellipsis to fit the width. */
function fitLabel(ctx, label, maxWidth) {
  if (ctx.measureText(label).width <= maxWidth) return label;
  let cut = label;
  while (cut.length > 1 && ctx.measureText(`${cut}…`).width > maxWidth) cut = cut.slice(0, -1);
  return `${cut.trimEnd()}…`;
}

/**
 * One face: its box, a label tag above it (below or inside when there is no room), its landmarks. With `room` (many
 * faces: how far the tag may reach to the right before the next face) the label is sized by the face rather than the
 * photo and shortened to fit.
 */
function drawFace(scene, face, color, label, room = null) {
  const compact = room !== null;
  const { ctx, width, height } = scene;
  const stroke = strokeFor(width, height);
  const line = stroke.line;
  const [x, y, w, h] = [face.box.x, face.box.y, face.box.width, face.box.height].map(Math.round);
  const size = compact ? Math.max(12, Math.min(stroke.size, Math.round(h / 9))) : stroke.size;
  ctx.lineWidth = line;
  ctx.strokeStyle = rgb(color);
  ctx.strokeRect(x, y, w, h);
  if (label) {
    ctx.font = `600 ${size}px system-ui, sans-serif`;
    const pad = Math.round(size / 3);
    if (compact) label = fitLabel(ctx, label, Math.max(w + line, 4 * size, room) - 2 * pad);
    const tagWidth = ctx.measureText(label).width + 2 * pad;
    const tagHeight = size + 2 * pad;
    let tagY = y - line / 2 - tagHeight;
    if (tagY < 0) tagY = y + h + line / 2 + tagHeight <= height ? y + h + line / 2 : y + line / 2;
    const tagX = Math.max(0, Math.min(x - line / 2, width - tagWidth));
    ctx.fillStyle = rgb(color);
    ctx.fillRect(tagX, tagY, tagWidth, tagHeight);
    ctx.fillStyle = '#111';
    ctx.textBaseline = 'top';
    ctx.fillText(label, tagX + pad, tagY + pad);
  }
  const points = Object.values(face.landmarks || {});
  for (const point of points) {
    ctx.beginPath();
    ctx.arc(point.x, point.y, line * 1.6, 0, 2 * Math.PI);
    ctx.fillStyle = rgb(MARK_COLOR);
    ctx.fill();
    ctx.lineWidth = Math.max(1, line / 2);
    ctx.strokeStyle = '#fff';
    ctx.stroke();
  }
  return { rect: [x, y, w, h], line, landmarks: points.length };
}

/**
 * Draws the photo, and the face box and landmarks when the service found them: in `color` with the `label` tag (none
 * when null); `note` ends the canvas's description. `phase` says what a placeholder says when there is no picture.
 */
function drawScene(picture, metadata, { label = null, color = BOX_COLOR.other, note = '', phase = 'result' } = {}) {
  const scene = drawPhoto(picture, phase);
  if (!scene) return;
  const { canvas, width, height } = scene;
  setLegend(false);
  if (!(metadata && metadata.box)) {
    canvas.dataset.drawn = 'photo';
    canvas.setAttribute('aria-label', `The photo, ${width} × ${height} pixels`);
    show('legend', false);
    return;
  }
  const drawn = drawFace(scene, metadata, color, label);
  const [x, y, w, h] = drawn.rect;
  canvas.dataset.drawn = 'box';
  canvas.dataset.box = drawn.rect.join(',');
  canvas.dataset.line = String(drawn.line);
  canvas.dataset.boxColor = color.join(',');
  canvas.dataset.landmarks = String(drawn.landmarks);
  canvas.setAttribute('aria-label',
    `The photo, ${width} × ${height} pixels, with the face box at x ${x}, y ${y}, ${w} × ${h}`
    + (label ? `, labelled ${label}` : '') + note);
  $('legend').style.setProperty('--box', rgb(color));
  show('legend');
}

/** Every face of a group answer, numbered in the order returned: green with the name for a match, amber otherwise. */
function drawFaces(picture, faces) {
  const scene = drawPhoto(picture);
  if (!scene) return;
  const { canvas, width, height } = scene;
  const boxes = faces.map((face) => face.box);
  /** From the box's left edge to the nearest face on its right at about the same height (where its tag sits). */
  const room = (box) => boxes.reduce((right, other) => {
    const near = other !== box && other.x > box.x
      && other.y < box.y + box.height * 1.3 && other.y + other.height > box.y - box.height * 0.3;
    return near ? Math.min(right, other.x - box.height / 20) : right;
  }, width) - box.x;
  const drawn = faces.map((face, index) => {
    const matched = face.decision === 'match';
    const color = matched ? BOX_COLOR.match : BOX_COLOR.other;
    const label = matched && face.user_info ? `${index + 1} ${face.user_info.name}` : String(index + 1);
    return { ...drawFace(scene, face, color, label, room(face.box)), color, label, matched };
  });
  canvas.dataset.drawn = 'faces';
  canvas.dataset.boxes = String(drawn.length);
  canvas.dataset.faceBoxes = drawn.map((d) => d.rect.join(',')).join(';');
  canvas.dataset.faceColors = drawn.map((d) => d.color.join(',')).join(';');
  canvas.dataset.line = String(drawn.length ? drawn[0].line : strokeFor(width, height).line);
  canvas.dataset.landmarks = String(drawn.reduce((sum, d) => sum + d.landmarks, 0));
  const described = drawn.map((d) => (d.matched ? `face ${d.label} (match)` : `face ${d.label} (no match)`));
  canvas.setAttribute('aria-label', `The photo, ${width} × ${height} pixels, with ${drawn.length} face `
    + `${drawn.length === 1 ? 'box' : 'boxes'}${described.length ? `: ${described.join(', ')}` : ''}`);
  setLegend(true);
  show('legend', drawn.length > 0);
}

/** The legend: one box key for the single face, a match key and a no-match key for every face. */
function setLegend(group) {
  $('legend-box').textContent = group ? 'match' : 'face box';
  $('legend').style.setProperty('--box', rgb(BOX_COLOR.match));
  show('legend-other', group);
}

// ---- recognition -------------------------------------------------------------------------------------------------

/** Puts the enrol form back in its place (it moves into the list of faces) and back to one face. */
function homeEnrolForm() {
  const form = $('enrol-form');
  if (form.nextElementSibling !== $('enrolled')) $('result').insertBefore(form, $('enrolled'));
  $('enrol-heading').textContent = 'Enrol this person';
  form.removeAttribute('data-face');
  state.enrolFace = null;
}

function resetResult(keepEnrolled = false) {
  clearMessages();
  homeEnrolForm();
  for (const id of ['matched', 'enrol-form', 'not-enrollable', 'details', 'faces']) show(id, false);
  if (!keepEnrolled) show('enrolled', false);
  $('faces').replaceChildren();
  $('not-enrollable').replaceChildren();
  state.reqId = null;
  state.user = null;
  state.shown = null;
}

const allFaces = () => $('all-faces').checked;

/** Recognises the photo: its main face, or every face when the checkbox is on. */
async function recognise(file, { keepEnrolled = false } = {}) {
  const seq = ++state.seq;
  const everyFace = allFaces();
  state.file = file;
  resetResult(keepEnrolled);
  $('result').dataset.seq = String(seq);
  $('result').dataset.state = 'busy';
  $('decision').textContent = 'Looking at the photo…';
  $('photo-name').textContent = `${file.name || 'photo'}, ${Math.max(1, Math.round(file.size / 1024))} KB`;
  setBusy(everyFace ? 'Looking for every face…' : 'Looking for a face…');
  const picture = loadPicture(file);
  picture.then((pic) => {
    if (seq === state.seq && $('result').dataset.state === 'busy') drawScene(pic, null, { phase: 'busy' });
  });
  const form = new FormData();
  form.append('image', file, file.name || 'photo.jpg');
  if (everyFace) form.append('all_faces', 'true');
  try {
    const data = await api('POST', '/api/v1/recognise_user', form);
    if (seq !== state.seq) return;
    if (Array.isArray(data.faces)) {
      const pic = await picture;
      if (seq !== state.seq) return;
      drawFaces(pic, data.faces);
      showFaces(data);
      return;
    }
    const user = data.status === 'success' ? data.user_info : null;
    const shown = { picture: await picture, metadata: data.metadata };
    if (seq !== state.seq) return;
    state.shown = shown;
    drawScene(shown.picture, shown.metadata,
      { label: user ? user.name : null, color: user ? BOX_COLOR.match : BOX_COLOR.other });
    showRecognition(data);
  } catch (error) {
    if (seq !== state.seq) return;
    const pic = await picture;
    if (seq !== state.seq) return;
    // The photo without a box (no face found), or a placeholder (a file the browser cannot decode either).
    drawScene(pic, null, { phase: 'error' });
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
    } else {
      showNotEnrollable(meta.quality_shortfalls);
    }
  } else {
    $('result').dataset.state = 'other';
    decision.textContent = data.message || 'Unexpected answer.';
  }
  showDetails(meta);
}

/**
 * A face without an enrollment key: what to change for one that can be enrolled (the service's quality shortfalls),
 * or, from a service that does not list them, that there is no key.
 */
function showNotEnrollable(shortfalls) {
  const reasons = (Array.isArray(shortfalls) ? shortfalls : []).filter((reason) => typeof reason === 'string' && reason);
  const box = $('not-enrollable');
  if (reasons.length) {
    box.replaceChildren(
      el('strong', { id: 'not-enrollable-title', textContent: 'This face cannot be enrolled from this photo:' }),
      el('ul', { id: 'shortfalls' }, ...reasons.map((reason) => el('li', { textContent: reason }))));
    box.dataset.reason = 'shortfalls';
  } else {
    box.replaceChildren(el('strong', { textContent: 'The service gave no enrolment key for this face.' }));
    box.dataset.reason = 'no-key';
  }
  show('not-enrollable');
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
  show('similarity-section');
  show('quality-section');
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

// ---- every face ------------------------------------------------------------------------------------------------

/** "0.712" against the threshold, with a small meter; "none" when nobody is enrolled. */
function similarityLine(similarity, threshold) {
  const clamp = (v) => Math.min(1, Math.max(0, v));
  const known = typeof similarity === 'number';
  const fill = el('div', { className: 'meter-fill' });
  fill.style.width = `${known ? clamp(similarity) * 100 : 0}%`;
  const mark = el('div', { className: 'meter-mark' });
  mark.style.left = `${typeof threshold === 'number' ? clamp(threshold) * 100 : 0}%`;
  const meter = el('div', { className: 'meter small' }, fill, mark);
  meter.setAttribute('aria-hidden', 'true');
  meter.classList.toggle('passes', known && similarity >= threshold);
  return [meter, el('p', { className: 'face-similarity' },
    'similarity ', el('strong', { textContent: known ? similarity.toFixed(3) : 'none' }),
    ' · threshold ', el('strong', { textContent: num(threshold) }),
    known ? '' : ' (nobody to compare with)')];
}

/** "3 faces looked up", or "4 of 6 faces looked up" when the service capped them. */
function lookedUp(shown, detected) {
  const noun = (n) => (n === 1 ? 'face' : 'faces');
  if (typeof detected === 'number' && detected > shown) return `${shown} of ${detected} faces looked up`;
  return `${shown} ${noun(shown)} looked up`;
}

/** The answer for every face: a numbered list matching the numbers on the canvas, and the shared facts. */
function showFaces(data) {
  const meta = data.metadata || {};
  const faces = data.faces;
  const matches = faces.filter((face) => face.decision === 'match').length;
  const capped = typeof meta.faces_detected === 'number' && meta.faces_detected > faces.length;
  $('result').dataset.state = 'faces';
  $('result').dataset.faces = String(faces.length);
  $('result').dataset.matches = String(matches);
  const badges = [];
  if (matches) {
    const text = `${matches} ${matches === 1 ? 'match' : 'matches'}`;
    badges.push(el('span', { className: 'badge ok', textContent: text }));
  }
  if (faces.length - matches) {
    badges.push(el('span', { className: 'badge no', textContent: `${faces.length - matches} no match` }));
  }
  $('decision').replaceChildren(...badges.flatMap((badge) => [badge, ' ']),
    el('span', { id: 'faces-looked-up', textContent: lookedUp(faces.length, meta.faces_detected) }),
    capped ? el('span', { className: 'hint', textContent: ' (the most prominent; the service caps them)' }) : '');
  $('faces').replaceChildren(...faces.map((face, index) => faceItem(face, index + 1, meta)));
  show('faces', faces.length > 0);

  show('similarity-section', false);
  show('quality-section', false);
  fillFacts('summary', [
    ['faces in the photo', String(meta.faces_detected ?? '—')],
    ['faces looked up', String(faces.length)],
    ['enrolled people', String(meta.gallery_size ?? '—')],
    ['threshold (every face)', num(meta.threshold)],
    ['target false-accept rate',
      typeof meta.target_far === 'number' ? `${meta.target_far * 100} %` : 'fixed threshold'],
    ['model', meta.model ? `${meta.model.name} ${meta.model.version}` : '—'],
  ]);
  fillFacts('timings', ordered(meta.timings_ms, STAGES).map(([key, value]) => [key, num(value, 1)]));
  show('details');
}

/** One face of the list: number, decision, who, similarity against the threshold, and how to enrol it. */
function faceItem(face, number, meta) {
  const matched = face.decision === 'match';
  const user = face.user_info;
  const head = el('p', { className: 'face-head' },
    el('span', { className: `badge ${matched ? 'ok' : 'no'}`, textContent: matched ? 'Match' : 'No match' }), ' ');
  if (matched && user) {
    head.append(el('strong', { className: 'face-name', textContent: user.name }), ' ', code(user.id));
  } else {
    head.append(meta.gallery_size === 0 ? 'nobody is enrolled yet' : 'nobody enrolled is similar enough');
  }
  const q = face.quality || {};
  const quality = el('p', { className: 'face-quality' },
    `face ${num(q.face_size, 0)} px · frontal ${num(q.frontal_score, 2)} · sharpness ${num(q.sharpness, 0)}`);
  const body = el('div', { className: 'face-body' }, head, ...similarityLine(face.similarity, meta.threshold), quality);
  const reqId = face.req_id || (face.enrollmentKey && face.enrollmentKey.req_id) || null;
  if (!matched && reqId) {
    const button = el('button', { type: 'button', className: 'face-enrol', textContent: 'Enrol…' });
    button.setAttribute('aria-label', `Enrol face ${number}`);
    button.setAttribute('aria-expanded', 'false');
    button.addEventListener('click', () => openEnrolForFace(number, reqId, face.enrollmentKey, button));
    body.append(el('div', { className: 'row' }, button));
  } else if (!matched) {
    const reasons = (face.quality_shortfalls || []).filter(Boolean);
    body.append(el('p', { className: 'face-why' },
      el('strong', { textContent: 'Cannot be enrolled from this photo: ' }),
      reasons.length ? reasons.join('; ') : 'the service gave no enrollment key.'));
  }
  const item = el('li', { className: 'face' },
    el('span', { className: `face-number ${matched ? 'ok' : 'no'}`, textContent: String(number) }), body);
  item.dataset.decision = matched ? 'match' : 'no_match';
  item.dataset.face = String(number);
  if (matched && user) item.dataset.userId = user.id;
  return item;
}

/** Moves the enrol form under the chosen face and binds it to that face's enrollment key. */
function openEnrolForFace(number, reqId, key, button) {
  const form = $('enrol-form');
  for (const other of document.querySelectorAll('#faces .face-enrol')) other.setAttribute('aria-expanded', 'false');
  if (state.enrolFace !== number) form.reset();
  state.reqId = reqId;
  state.enrolFace = number;
  $('enrol-heading').textContent = `Enrol face ${number}`;
  form.dataset.face = String(number);
  const expires = key && key.expiresAt;
  $('enrol-expiry').textContent = expires
    ? `Face ${number} is kept for enrolment until ${new Date(expires).toLocaleTimeString()}.` : '';
  $('enrol-birthdate').max = new Date().toISOString().slice(0, 10);
  button.closest('.face-body').append(form);
  button.setAttribute('aria-expanded', 'true');
  clearMessages();
  show('enrol-form');
  $('enrol-name').focus();
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
  const face = state.enrolFace; // a face of the list (every-face mode), or null
  const [seq, file] = [state.seq, state.file];
  try {
    const data = await api('POST', '/api/v1/add_user', body);
    show('enrol-form', false);
    form.reset();
    state.reqId = null;
    if (face !== null) {
      const enrolled = (...more) => $('enrolled').replaceChildren(
        `Enrolled face ${face} as ${name}, `, code(data.user_id), ...more);
      homeEnrolForm();
      show('enrolled');
      if (seq !== state.seq || !file) { // another photo was chosen meanwhile: leave its result alone
        enrolled('.');
        return;
      }
      enrolled('. Looking at the photo again…');
      await recognise(file, { keepEnrolled: true }); // the list shows the new match
      enrolled('.');
      return;
    }
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
  const seq = state.seq;
  clearMessages();
  $('delete-user').disabled = true;
  setBusy('Deleting…');
  try {
    await api('DELETE', `/api/v1/users/${encodeURIComponent(user.id)}`);
    if (seq === state.seq) showDeleted(user);
    notice(`Deleted ${user.name} `, code(user.id), ' and all their faces.');
  } catch (error) {
    showError(error);
  } finally {
    $('delete-user').disabled = false;
    setBusy('');
  }
}

/** The match on the page is gone: no name, no figures about them, the face box drawn again in grey and unlabelled. */
function showDeleted(user) {
  state.user = null;
  show('matched', false);
  show('details', false);
  $('result').dataset.state = 'deleted';
  $('decision').replaceChildren(`Deleted ${user.name}. Choose another photo to go on.`);
  if (state.shown && state.shown.picture) {
    drawScene(state.shown.picture, state.shown.metadata,
      { color: BOX_COLOR.deleted, note: ', of a person who has since been deleted' });
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
  $('all-faces').checked = readSetting(ALL_FACES_STORAGE) === 'true';
  $('all-faces').addEventListener('change', () => {
    writeSetting(ALL_FACES_STORAGE, String(allFaces()));
    if (state.file) recognise(state.file); // the photo on the page, in the other mode
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
