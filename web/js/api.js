// api.js - the JSON API of `lfr serve` (docs/api.md): fetch with the
// session cookie, the CSRF token on every state-changing request, and one
// error type carrying the server's {"error": {"code", "message"}}.

let csrf = null;
let lastOwnRequest = Date.now();

// When the user's own last request was sent: the server's idle clock.
export const lastActive = () => lastOwnRequest;

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export function setCsrf(token) {
  csrf = token || null;
}

// background: a request the page makes by itself (a poll, a reload after an
// event), which must not keep an unattended session awake (the server's
// idle timeout counts only the user's own requests).
async function request(method, path, body, background = false) {
  const headers = { Accept: 'application/json' };
  if (background) headers['X-LFR-Background'] = '1';
  else lastOwnRequest = Date.now();
  const init = { method, headers, credentials: 'same-origin' };
  if (method !== 'GET' && method !== 'HEAD') {
    if (csrf) headers['X-CSRF-Token'] = csrf;
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body === undefined ? {} : body);
  }
  let res;
  try {
    res = await fetch(path, init);
  } catch (e) {
    throw new ApiError(0, 'network', 'The server cannot be reached: ' + e.message);
  }
  const text = await res.text();
  let data = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }
  if (!res.ok) {
    const err = data && data.error;
    const code = (err && err.code) || 'http_' + res.status;
    const message = (err && err.message) || `${res.status} ${res.statusText || 'error'}`;
    const e = new ApiError(res.status, code, message);
    if (res.status === 401 && path !== '/api/login' && path !== '/api/me')
      window.dispatchEvent(new CustomEvent('lfr-unauthenticated'));
    throw e;
  }
  return data;
}

export const get = (path) => request('GET', path);
export const poll = (path) => request('GET', path, undefined, true);
export const post = (path, body) => request('POST', path, body);

// Reads a File as base64 (without the data: prefix).
export function fileToBase64(file) {
  return new Promise((resolve, reject) => {
    const r = new FileReader();
    r.onload = () => {
      const s = String(r.result);
      resolve(s.slice(s.indexOf(',') + 1));
    };
    r.onerror = () => reject(r.error);
    r.readAsDataURL(file);
  });
}
