// The JSON API client. Two ways in: a console session (the HttpOnly cookie set by
// POST /auth/login, plus its CSRF token sent in X-CSRF-Token on every change) or an API
// token (bearer, kept in this tab's sessionStorage, never in a URL). Errors are exceptions
// with the server's message; a 401 brings the login form back.

const TOKEN_KEY = "cwmp-acs-token";
const CSRF_KEY = "cwmp-acs-csrf";

/** Thrown for every failed call. */
export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

export function token() {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function setToken(t) {
  if (t) sessionStorage.setItem(TOKEN_KEY, t);
  else sessionStorage.removeItem(TOKEN_KEY);
}

export function setCsrf(t) {
  if (t) sessionStorage.setItem(CSRF_KEY, t);
  else sessionStorage.removeItem(CSRF_KEY);
}

/** Who is logged in: {actor, user, role, csrf} from GET /me, or null. */
let identity = null;

export function me() {
  return identity;
}

export function setMe(m) {
  identity = m;
  if (m && m.csrf) setCsrf(m.csrf);
}

const RANK = { viewer: 0, operator: 1, admin: 2 };

/** Whether the caller's role reaches `role` ("operator" or "admin"). */
export function can(role) {
  return !!identity && RANK[identity.role] >= RANK[role];
}

let onUnauthorized = () => {};

/** Registers what to do when the credentials are refused. */
export function whenUnauthorized(f) {
  onUnauthorized = f;
}

/** Builds a query string from an object, skipping empty values. */
export function qs(params) {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === null || v === "") continue;
    p.set(k, v === true ? "" : String(v));
  }
  const s = p.toString();
  return s ? `?${s}` : "";
}

/** Calls the API; resolves to {status, headers, body} (body parsed when JSON). */
export async function call(method, path, body, extraHeaders = {}) {
  const headers = { ...extraHeaders };
  if (token()) headers.Authorization = `Bearer ${token()}`;
  else if (method !== "GET") headers["X-CSRF-Token"] = sessionStorage.getItem(CSRF_KEY) || "";
  const init = { method, headers, cache: "no-store", credentials: "same-origin" };
  if (body !== undefined) {
    if (body instanceof Blob) {
      init.body = body;
    } else {
      headers["Content-Type"] = headers["Content-Type"] || "application/json";
      init.body = typeof body === "string" ? body : JSON.stringify(body);
    }
  }
  let res;
  try {
    res = await fetch(path, init);
  } catch (e) {
    throw new ApiError(0, `network error: ${e.message}`);
  }
  const text = await res.text();
  let parsed = text;
  if ((res.headers.get("content-type") || "").includes("json") && text) {
    try { parsed = JSON.parse(text); } catch { /* shown as text */ }
  }
  if (res.status === 401 && path !== "/auth/login") {
    onUnauthorized();
    throw new ApiError(401, "not logged in (401): log in again");
  }
  if (!res.ok) {
    const msg = parsed && parsed.error ? parsed.error : text || res.statusText;
    throw new ApiError(res.status, `${method} ${path.split("?")[0]}: ${res.status} ${msg}`);
  }
  return { status: res.status, headers: res.headers, body: parsed };
}

export const get = async (path) => (await call("GET", path)).body;

/** A path segment of a device id, tag, task id… */
export const seg = encodeURIComponent;

/** Devices matching a query (object or JSON text) with their total count. */
export async function devices({ query, projection, sort, skip, limit }) {
  const q = typeof query === "string" ? query : JSON.stringify(query || {});
  const res = await call("GET", `/devices${qs({
    query: q, projection, sort: sort ? JSON.stringify(sort) : "", skip, limit,
  })}`);
  return { items: res.body, total: Number(res.headers.get("x-total-count") || 0) };
}

/** Queues a task; with `cr` a Connection Request is sent and the task awaited `timeout` ms. */
export async function createTask(device, task, cr, timeout) {
  const q = cr ? qs({ connection_request: true, timeout }) : "";
  return call("POST", `/devices/${seg(device)}/tasks${q}`, task);
}
