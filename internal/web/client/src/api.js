// The Chatto HTTP API: JSON in and out, session cookie auth, errors in the
// shape {"error":{"code","message"}}.

/** An API failure with the server's stable code (or "network"). */
export class ApiError extends Error {
  constructor(status, code, message, retryAfter = 0) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    /** Seconds the server asks to wait before trying again (Retry-After), or 0. */
    this.retryAfter = retryAfter;
  }
}

export async function api(method, path, body) {
  const init = { method, credentials: 'same-origin', headers: {} };
  // The server refuses cookie-authenticated changes not declared JSON
  // (cross-site request protection), bodiless ones included.
  if (method !== 'GET') init.headers['Content-Type'] = 'application/json';
  if (body !== undefined) init.body = JSON.stringify(body);
  let res;
  try {
    res = await fetch(path, init);
  } catch {
    throw new ApiError(0, 'network', 'Cannot reach the Chatto server. Check your connection and try again.');
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
    const e = data && data.error;
    const retryAfter = Number(res.headers.get('Retry-After')) || 0;
    throw new ApiError(res.status, (e && e.code) || `http_${res.status}`, (e && e.message) || res.statusText || 'Request failed', retryAfter);
  }
  return data;
}

/** Paths of the call endpoints of one room. */
export const callPath = (roomId, action) => `/api/rooms/${encodeURIComponent(roomId)}/call${action ? '/' + action : ''}`;
