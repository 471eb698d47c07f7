// DOM helpers: every piece of data goes through textContent or setAttribute, so that
// nothing a device or an operator typed is ever parsed as markup.

/** Builds an element: h("a", {href: "#x", onclick: fn, class: "c"}, "text", child). */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on") && typeof v === "function") el.addEventListener(k.slice(2), v);
    else if (k === "value") el.value = v;
    else if (k === "checked") el.checked = !!v;
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

/** Replaces the children of `el`. */
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

/** Unix milliseconds as a local date and time ("" when absent). */
export function when(ms) {
  if (ms === undefined || ms === null) return "";
  const d = toDate(ms);
  return isNaN(d) ? String(ms) : d.toLocaleString();
}

/** A time given as Unix milliseconds or as an ISO 8601 date (GenieACS's documents). */
export function toDate(t) {
  return new Date(typeof t === "number" || /^\d+$/.test(String(t)) ? Number(t) : t);
}

/** How long ago, roughly ("3 min ago"). */
export function ago(ms) {
  if (!ms) return "never";
  const s = Math.round((Date.now() - toDate(ms).getTime()) / 1000);
  if (s < 60) return `${Math.max(s, 0)} s ago`;
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86400) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86400)} d ago`;
}

/** A table with a header row; `rows` are arrays of cells (strings or nodes). */
export function table(headers, rows, empty = "Nothing here.") {
  if (!rows.length) return h("p", { class: "muted" }, empty);
  // Wrapped so that a wide table scrolls sideways on a small screen, not the page.
  return h("div", { class: "scroll" }, h("table", {},
    h("thead", {}, h("tr", {}, headers.map((x) => h("th", {}, x)))),
    h("tbody", {}, rows.map((r) => h("tr", {}, r.map((c) => h("td", {}, c)))))));
}

/** A button running an async action, disabled while it runs, errors shown by `flash`. */
export function button(label, action, cls = "") {
  const b = h("button", { type: "button", class: cls });
  b.textContent = label;
  b.addEventListener("click", async () => {
    b.disabled = true;
    try { await action(); } catch (e) { flash(e.message || String(e), "error"); }
    finally { b.disabled = false; }
  });
  return b;
}

/**
 * An inline form whose submit (the button or Enter in a field) runs `action` once at a
 * time; `parts` are its fields, the last one the submit button's label.
 */
export function submitForm(parts, action, cls = "inline") {
  const label = parts[parts.length - 1];
  const submit = h("button", { type: "submit" }, label);
  const form = h("form", { class: cls }, parts.slice(0, -1), submit);
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    if (submit.disabled) return;
    submit.disabled = true;
    try { await action(); } catch (e) { flash(e.message || String(e), "error"); }
    finally { submit.disabled = false; }
  });
  return form;
}

/**
 * Marks `el` as needing `role` ("operator" or "admin"): hidden from lesser roles (the API
 * refuses them anyway, with 403).
 */
export function need(role, el) {
  el.setAttribute("data-need", role);
  return el;
}

/** Shows a message in the banner area for a while. */
export function flash(message, kind = "info") {
  const box = document.getElementById("flash");
  const item = h("div", { class: `flash ${kind}`, role: kind === "error" ? "alert" : "status" }, message,
    h("button", { type: "button", class: "close", "aria-label": "dismiss", onclick: () => item.remove() }, "×"));
  box.append(item);
  setTimeout(() => item.remove(), kind === "error" ? 15000 : 5000);
}

/** Pretty JSON for display in a <pre>. */
export function pretty(v) {
  return JSON.stringify(v, null, 2);
}

/** Link to a device's page. */
export function deviceLink(id) {
  return h("a", { href: `#/device/${encodeURIComponent(id)}` }, id);
}
