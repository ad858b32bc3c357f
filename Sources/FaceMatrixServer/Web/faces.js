// FaceMatrix "try it" page: every face of a group photo, as a numbered list.
'use strict';

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
  const user = matched ? face.user_info : null;
  const q = face.quality || {};
  const quality = el('p', { className: 'face-quality' },
    `face ${num(q.face_size, 0)} px · frontal ${num(q.frontal_score, 2)} · sharpness ${num(q.sharpness, 0)}`);
  const body = el('div', { className: 'face-body' },
    faceHead(matched, user, meta), ...similarityLine(face.similarity, meta.threshold), quality);
  if (!matched) body.append(enrolOrWhy(face, number));
  const item = el('li', { className: 'face' },
    el('span', { className: `face-number ${matched ? 'ok' : 'no'}`, textContent: String(number) }), body);
  item.dataset.decision = matched ? 'match' : 'no_match';
  item.dataset.face = String(number);
  if (user) item.dataset.userId = user.id;
  return item;
}

/** The decision badge, and who it is (a match) or why nobody is (no match). */
function faceHead(matched, user, meta) {
  const head = el('p', { className: 'face-head' },
    el('span', { className: `badge ${matched ? 'ok' : 'no'}`, textContent: matched ? 'Match' : 'No match' }), ' ');
  if (user) {
    head.append(el('strong', { className: 'face-name', textContent: user.name }), ' ', code(user.id));
  } else {
    head.append(meta.gallery_size === 0 ? 'nobody is enrolled yet' : 'nobody enrolled is similar enough');
  }
  return head;
}

/** An unmatched face: a button that opens the enrol form for its key, or what keeps it from being enrolled. */
function enrolOrWhy(face, number) {
  const reqId = face.req_id || (face.enrollmentKey && face.enrollmentKey.req_id) || null;
  if (reqId) {
    const button = el('button', { type: 'button', className: 'face-enrol', textContent: 'Enrol…' });
    button.setAttribute('aria-label', `Enrol face ${number}`);
    button.setAttribute('aria-expanded', 'false');
    button.addEventListener('click', () => openEnrolForFace(number, reqId, face.enrollmentKey, button));
    return el('div', { className: 'row' }, button);
  }
  const reasons = (face.quality_shortfalls || []).filter(Boolean);
  return el('p', { className: 'face-why' },
    el('strong', { textContent: 'Cannot be enrolled from this photo: ' }),
    reasons.length ? reasons.join('; ') : 'the service gave no enrollment key.');
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
