// api.js -- calls to the server. The staff session token is kept in memory
// only (never in storage or a cookie), sent as a bearer token; a reload
// logs out. A refusal becomes an ApiError carrying the problem's zh/en.
export class ApiError extends Error {
  constructor(p, status) {
    super(p.title || 'error');
    this.problem = p; this.status = status;
  }
}
let token = null;
let device = null;   // a kiosk's or phone's own credential "id:key" (memory only)
export function setToken(t) { token = t; }
export function hasToken() { return token !== null; }
export function setDevice(cred) { device = cred && /^[A-Za-z0-9_-]+:[A-Za-z0-9_-]+$/.test(cred) ? cred : null; return device !== null; }
export function hasDevice() { return device !== null; }
// a person's session (staff or citizen) first, else the device's credential
export function authHeaders() {
  if (token) return { Authorization: 'Bearer ' + token };
  return device ? { Authorization: 'Device ' + device } : {};
}
// a printable the server renders (receipt HTML): the text, or an ApiError
export async function callText(path) {
  const res = await fetch(path, { headers: authHeaders(), credentials: 'omit', cache: 'no-store' });
  if (!res.ok) { let p = {}; try { p = await res.json(); } catch { /* not json */ } throw new ApiError(p, res.status); }
  return res.text();
}
// opts.device: as the device (a window's own call, e.g. the first visit), not as the person
export async function call(method, path, body, opts = {}) {
  const h = { Accept: 'application/json', ...(opts.device && device ? { Authorization: 'Device ' + device } : authHeaders()) };
  if (body !== undefined) h['Content-Type'] = 'application/json';
  const res = await fetch(path, { method, headers: h, body: body === undefined ? undefined : JSON.stringify(body),
                                  credentials: 'omit', cache: 'no-store' });
  let data = null;
  try { data = await res.json(); } catch { data = {}; }
  if (!res.ok) throw new ApiError(data || {}, res.status);
  return data;
}
// base64 of a File/Blob without the data: prefix
export function fileB64(file) {
  return new Promise((ok, fail) => {
    const fr = new FileReader();
    fr.onload = () => ok(String(fr.result).replace(/^data:[^,]*,/, ''));
    fr.onerror = () => fail(fr.error);
    fr.readAsDataURL(file);
  });
}
