// FaceMatrix "try it" page: the API calls, and the API key kept in the browser.
'use strict';

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
  const key = storedKey();
  const { response, text } = await send(method, path, body, key);
  return answerOf(response, text, key);
}

/** The request on the wire: JSON unless it is a form, the stored key as a bearer token. */
async function send(method, path, body, key) {
  const headers = { Accept: 'application/json' };
  if (key) headers.Authorization = `Bearer ${key}`;
  let payload = body;
  if (body !== undefined && !(body instanceof FormData)) {
    headers['Content-Type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  try {
    const response = await fetch(path, { method, headers, body: payload });
    return { response, text: await response.text() };
  } catch (error) {
    throw new ApiError(`Could not reach the service: ${error.message}`, { name: 'network_error' });
  }
}

/** What an ApiError carries: the HTTP status, the contract's error_code and slug, the request id. */
function errorDetails(httpStatus, body, requestId) {
  return { httpStatus, code: body.error_code, name: body.error, requestId: body.requestId || requestId };
}

/** The JSON body of a successful answer; an ApiError (with the contract's code and request id) otherwise. */
function answerOf(response, text, key) {
  const requestId = response.headers.get('X-Request-ID');
  const data = parsedObject(text);
  if (response.status === 401) refusedKey(data || {}, key, requestId);
  if (data === null) {
    throw new ApiError(
      `The service answered HTTP ${response.status} ${response.statusText} with something that is not JSON.`,
      { httpStatus: response.status, requestId });
  }
  if (!response.ok || data.status === 'error') {
    throw new ApiError(data.message || `HTTP ${response.status}`, errorDetails(response.status, data, requestId));
  }
  return data;
}

/** The JSON object in `text`, or null for anything else. */
function parsedObject(text) {
  try {
    const value = JSON.parse(text);
    return value !== null && typeof value === 'object' ? value : null;
  } catch {
    return null;
  }
}

/** A 401: asks for a key and throws, saying whether the one sent was refused or none was sent. */
function refusedKey(body, key, requestId) {
  showKeyForm(true);
  throw new ApiError(
    body.message || (key ? 'The API key was refused.' : 'This service needs an API key.'),
    errorDetails(401, body, requestId));
}
