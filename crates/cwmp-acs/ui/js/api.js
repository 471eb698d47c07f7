// The JSON API client: bearer token from sessionStorage (never in a URL), errors as
// exceptions with the server's message, a 401 bringing the login form back.

const KEY = "cwmp-acs-token";

/** Thrown for every failed call. */
export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

export function token() {
  return sessionStorage.getItem(KEY);
}

export function setToken(t) {
  if (t) sessionStorage.setItem(KEY, t);
  else sessionStorage.removeItem(KEY);
}

let onUnauthorized = () => {};

/** Registers what to do when the token is refused. */
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
export async function call(method, path, body) {
  const headers = { Authorization: `Bearer ${token() || ""}` };
  const init = { method, headers, cache: "no-store" };
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = typeof body === "string" ? body : JSON.stringify(body);
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
  if (res.status === 401) {
    onUnauthorized();
    throw new ApiError(401, "the API token was refused: log in again");
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
