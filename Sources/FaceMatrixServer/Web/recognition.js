// FaceMatrix "try it" page: recognising the photo and showing the answer for its main face.
'use strict';

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
    await showAnswer(seq, await api('POST', '/api/v1/recognise_user', form), picture);
  } catch (error) {
    await showFailure(seq, error, picture);
  } finally {
    if (seq === state.seq) setBusy('');
  }
}

/** Draws and lists the answer, unless a newer photo was chosen meanwhile (`seq` is then stale). */
async function showAnswer(seq, data, picture) {
  const pic = await picture;
  if (seq !== state.seq) return;
  if (Array.isArray(data.faces)) {
    drawFaces(pic, data.faces);
    showFaces(data);
    return;
  }
  const user = data.status === 'success' ? data.user_info : null;
  state.shown = { picture: pic, metadata: data.metadata };
  drawScene(pic, data.metadata, { label: user ? user.name : null, color: user ? BOX_COLOR.match : BOX_COLOR.other });
  showRecognition(data);
}

/** The photo without a box (no face found), or a placeholder (a file the browser cannot decode either). */
async function showFailure(seq, error, picture) {
  if (seq !== state.seq) return;
  const pic = await picture;
  if (seq !== state.seq) return;
  drawScene(pic, null, { phase: 'error' });
  $('result').dataset.state = 'error';
  $('decision').textContent = 'No result.';
  showError(error);
}

function showRecognition(data) {
  const meta = data.metadata || {};
  if (data.status === 'success' && data.user_info) {
    showMatch(data.user_info);
  } else if (data.message === 'no_match') {
    showNoMatch(data, meta);
  } else {
    $('result').dataset.state = 'other';
    $('decision').textContent = data.message || 'Unexpected answer.';
  }
  showDetails(meta);
}

function showMatch(user) {
  state.user = user;
  $('result').dataset.state = 'match';
  $('decision').replaceChildren(
    el('span', { className: 'badge ok', textContent: 'Match' }), ' ',
    el('strong', { id: 'match-name', textContent: user.name }), ' ', code(user.id));
  show('matched');
}

/** No match: the enrol form when the answer carries an enrollment key, otherwise why the face cannot be enrolled. */
function showNoMatch(data, meta) {
  state.reqId = data.req_id || (data.enrollmentKey && data.enrollmentKey.req_id) || null;
  $('result').dataset.state = 'no-match';
  $('decision').replaceChildren(
    el('span', { className: 'badge no', textContent: 'No match' }), ' ',
    meta.gallery_size === 0 ? 'Nobody is enrolled yet.' : 'Nobody enrolled is similar enough.');
  if (!state.reqId) {
    showNotEnrollable(meta.quality_shortfalls);
    return;
  }
  const expires = data.enrollmentKey && data.enrollmentKey.expiresAt;
  $('enrol-expiry').textContent = expires
    ? `The photo is kept for enrolment until ${new Date(expires).toLocaleTimeString()}.` : '';
  $('enrol-birthdate').max = new Date().toISOString().slice(0, 10);
  show('enrol-form');
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
