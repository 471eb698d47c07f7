// Device detail: identity, last inform and Connection Request outcome, tags, actions queued
// as tasks (optionally with a Connection Request now), the parameter tree, the device's
// tasks, faults and last sessions, and its live events.

import { call, createTask, devices, get, qs, seg } from "./api.js";
import { ago, button, fill, flash, h, need, submitForm, table, when } from "./dom.js";
import { describe, follow } from "./events.js";
import { faultTable, taskTable } from "./lists.js";
import { paramTree } from "./param_tree.js";

const TYPES = ["", "xsd:string", "xsd:boolean", "xsd:int", "xsd:unsignedInt", "xsd:long", "xsd:unsignedLong", "xsd:dateTime", "xsd:base64"];

export async function render(main, id) {
  const crBox = h("input", { type: "checkbox", checked: true });
  const timeout = h("input", { type: "number", min: 0, max: 60000, step: 500, value: 5000, class: "narrow" });
  const sections = {
    head: h("div", {}), tags: h("div", {}), tree: h("div", {}),
    tasks: h("div", {}), faults: h("div", {}), sessions: h("div", {}),
  };
  const feed = h("ul", { class: "feed" });
  const feedState = h("span", { class: "muted" }, "connecting…");

  async function loadDoc() {
    const { items } = await devices({ query: { _id: id }, limit: 1 });
    if (!items.length) throw new Error(`No device ${id}.`);
    return items[0];
  }

  /** Queues a task, with a Connection Request when asked, and reports how it went. */
  async function task(body, label) {
    const res = await createTask(id, body, crBox.checked, Number(timeout.value) || 0);
    const t = res.body;
    const cr = t.connectionRequest;
    if (cr && !cr.ok) flash(`${label}: queued; the Connection Request failed: ${cr.error}`, "error");
    else if (res.status === 200) flash(`${label}: done.`);
    else if (t.status === "fault") flash(`${label}: fault ${t.fault?.code} ${t.fault?.message}`, "error");
    else flash(`${label}: queued (${t.status}); it runs at the device's next session.`);
    await refresh();
    return t;
  }

  function setForm(path, node) {
    const value = h("input", { value: node._value ?? "", "aria-label": `new value of ${path}` });
    const type = h("select", {}, TYPES.map((t) => h("option", { value: t, selected: t === (node._type ?? "") }, t || "(device's type)")));
    const form = h("form", { class: "inline", onsubmit: (e) => e.preventDefault() },
      value, type,
      button("Set", () => task({ name: "setParameterValues", parameterValues: [type.value ? [path, value.value, type.value] : [path, value.value]] }, `set ${path}`)),
      button("Cancel", async () => form.remove()));
    return form;
  }

  const actions = {
    leaf: (path, node) => need("operator", h("span", { class: "actions" },
      button("Get", () => task({ name: "getParameterValues", parameterNames: [path] }, `get ${path}`), "small"),
      node._writable ? h("button", {
        type: "button", class: "small", onclick: (ev) => {
          const row = ev.currentTarget.closest(".leaf");
          if (row && !row.querySelector("form")) row.append(setForm(path, node));
        },
      }, "Set…") : "")),
    object: (path) => need("operator", button("Refresh", () => task({ name: "refreshObject", objectName: path }, `refresh ${path}`), "small")),
  };

  let rootObject = "Device.";

  async function refresh() {
    const [doc, tasks, faults, sessions] = await Promise.all([
      loadDoc(),
      get(`/tasks${qs({ query: JSON.stringify({ device: id }) })}`),
      get("/faults"),
      get(`/devices/${seg(id)}/sessions${qs({ limit: 10 })}`),
    ]);
    rootObject = "InternetGatewayDevice" in doc ? "InternetGatewayDevice." : "Device.";
    const ident = doc._deviceId || {};
    const cr = doc._lastConnectionRequest;
    fill(sections.head, table(["", ""], [
      ["Manufacturer", `${ident._Manufacturer ?? ""} (OUI ${ident._OUI ?? ""})`],
      ["Product class", ident._ProductClass ?? ""],
      ["Serial number", ident._SerialNumber ?? ""],
      ["IP", doc._ip ?? ""],
      ["Registered", when(doc._registered)],
      ["Last inform", doc._lastInform ? `${when(doc._lastInform)} (${ago(doc._lastInform)})` : "never"],
      ["Connection request", cr ? `${when(cr.time)}: ${cr.ok ? "ok" : `failed: ${cr.error}`}` : "none sent"],
    ]));
    const newTag = h("input", { placeholder: "new tag", "aria-label": "new tag" });
    fill(sections.tags,
      (doc._tags || []).map((t) => h("span", { class: "tag" }, t,
        need("operator", button("×", async () => { await call("DELETE", `/devices/${seg(id)}/tags/${seg(t)}`); await refresh(); }, "close")))),
      need("operator", submitForm([newTag, "Add tag"], async () => {
        if (!newTag.value.trim()) return;
        await call("POST", `/devices/${seg(id)}/tags/${seg(newTag.value.trim())}`);
        await refresh();
      })));
    fill(sections.tree, paramTree(doc, actions));
    fill(sections.tasks, taskTable(tasks, refresh, false));
    fill(sections.faults, faultTable(faults.filter((f) => f.device === id), refresh, false));
    fill(sections.sessions, table(["Started", "Events", "RPCs", "Duration", "Outcome"],
      sessions.map((x) => [when(x.started), x.events.join(", "), x.rpcs, `${x.durationMs} ms`,
        h("span", { class: `status ${x.outcome === "ok" ? "done" : "fault"}` }, x.outcome)]),
      "No session recorded."));
  }

  fill(main,
    h("h1", {}, id),
    sections.head,
    h("h2", {}, "Tags"), sections.tags,
    need("operator", h("h2", {}, "Actions")),
    need("operator", h("div", { class: "filters" },
      h("label", { class: "check" }, crBox, "Connection Request now, wait (ms)"), timeout,
      button("Refresh all parameters", () => task({ name: "refreshObject", objectName: rootObject }, "refresh all")),
      button("Reboot", async () => { if (confirm(`Reboot ${id}?`)) await task({ name: "reboot" }, "reboot"); }, "danger"),
      button("Factory reset", async () => {
        if (confirm(`Factory reset ${id}? Its configuration is lost.`)) await task({ name: "factoryReset" }, "factory reset");
      }, "danger"),
      button("Reload", refresh))),
    h("h2", {}, "Live events ", feedState), feed,
    h("h2", {}, "Tasks"), sections.tasks,
    h("h2", {}, "Faults"), sections.faults,
    h("h2", {}, "Last sessions"), sections.sessions,
    h("h2", {}, "Parameters"), sections.tree);
  await refresh();
  return follow((e) => {
    feed.prepend(h("li", {}, h("span", { class: "muted" }, when(e.time)), " ", describe(e)));
    while (feed.children.length > 50) feed.lastChild.remove();
  }, (s) => { feedState.textContent = s; }, id);
}
