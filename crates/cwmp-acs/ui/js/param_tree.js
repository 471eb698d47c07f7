// The parameter tree of a device document (GenieACS form: nested objects, leaves with
// _value/_type/_writable/_timestamp): collapsible, children built on first opening so that
// big trees stay fast, and a filter that lists matching paths flat. Which objects are open
// and the filter live in a `state` the caller keeps, so that a redraw after an action
// shows the tree as the operator left it.

import { h, when } from "./dom.js";

const FILTER_MAX = 500;

function children(node) {
  return Object.keys(node).filter((k) => !k.startsWith("_") && node[k] && typeof node[k] === "object")
    .sort((a, b) => (isNaN(a) || isNaN(b) ? a.localeCompare(b) : Number(a) - Number(b)));
}

function isLeaf(node) {
  return "_value" in node || (children(node).length === 0 && !node._object);
}

/** Every leaf as [path, node], depth first. */
export function leaves(root, prefix = "", out = []) {
  for (const k of children(root)) {
    const node = root[k];
    const path = prefix + k;
    if (isLeaf(node)) out.push([path, node]);
    else leaves(node, `${path}.`, out);
  }
  return out;
}

function leafRow(path, node, actions, label = path.split(".").pop()) {
  return h("div", { class: "leaf", "data-path": path },
    h("span", { class: "name", title: path }, label),
    h("span", { class: "value" }, node._value ?? ""),
    h("span", { class: "muted" }, node._type ?? ""),
    h("span", { class: "muted", title: when(node._timestamp) }, node._writable ? "rw" : "r"),
    actions.leaf(path, node));
}

function objectNode(path, node, actions, state) {
  const summary = h("summary", {}, h("span", { class: "name" }, path.split(".").pop() + "."), " ", actions.object(`${path}.`, node));
  const details = h("details", { "data-path": `${path}.` }, summary);
  const build = () => {
    if (details.children.length === 1) details.append(...level(node, `${path}.`, actions, state));
  };
  if (state.open.has(`${path}.`)) {
    details.open = true;
    build();
  }
  details.addEventListener("toggle", () => {
    if (details.open) {
      state.open.add(`${path}.`);
      build();
    } else {
      state.open.delete(`${path}.`);
    }
  });
  return details;
}

function level(node, prefix, actions, state) {
  return children(node).map((k) => {
    const child = node[k];
    return isLeaf(child) ? leafRow(prefix + k, child, actions) : objectNode(prefix + k, child, actions, state);
  });
}

/** A fresh view state: nothing open, no filter. */
export function treeState() {
  return { open: new Set(), filter: "" };
}

/**
 * The tree view; `actions.leaf(path, node)` and `actions.object(path, node)` give buttons;
 * `state` (from `treeState()`) keeps what is open across redraws.
 */
export function paramTree(doc, actions, state = treeState()) {
  const filter = h("input", { type: "search", placeholder: "filter paths and values", "aria-label": "filter parameters", value: state.filter });
  const body = h("div", { class: "tree" });
  const all = leaves(doc);
  function draw() {
    const f = filter.value.trim().toLowerCase();
    state.filter = filter.value;
    if (!f) {
      body.replaceChildren(...level(doc, "", actions, state));
      return;
    }
    const hits = all.filter(([p, n]) => p.toLowerCase().includes(f) || String(n._value ?? "").toLowerCase().includes(f));
    body.replaceChildren(
      ...hits.slice(0, FILTER_MAX).map(([p, n]) => leafRow(p, n, actions, p)),
      hits.length > FILTER_MAX ? h("p", { class: "muted" }, `${hits.length - FILTER_MAX} more: refine the filter`) : "",
      hits.length ? "" : h("p", { class: "muted" }, "No parameter matches."));
  }
  let timer;
  filter.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(draw, 150); });
  draw();
  return h("div", {}, h("p", { class: "muted" }, `${all.length} parameters `, filter), body);
}
