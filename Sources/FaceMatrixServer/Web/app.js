// FaceMatrix "try it" page: recognise a photo, draw what the service found, enrol or delete the person; with
// "Every face in the photo", recognise every face of a group photo and enrol the unknown ones from the list.
// Plain browser JavaScript, no build step; every value from the service is inserted as text, never as HTML.
// The page loads api.js, picture.js and recognition.js first; this file holds the shared state and the wiring.
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
