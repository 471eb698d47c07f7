// Device detail: identity, last inform and Connection Request outcome, tags, actions queued
// as tasks (optionally with a Connection Request now): reboot, factory reset, refresh,
// push a stored file, typed Set, add and delete object instances; the Connection Request
// credentials; deleting the device; the parameter tree (its open objects kept across
// actions), the device's tasks, faults and last sessions, and its live events.

import { call, createTask, devices, get, qs, seg } from "./api.js";
import { ago, button, fill, flash, h, need, submitForm, table, when } from "./dom.js";
import { describe, follow } from "./events.js";
import { faultTable, taskTable } from "./lists.js";
import { paramTree, treeState } from "./param_tree.js";
import { TYPES, typedValue, valueInput, xsd } from "./task_form.js";

/** Whether an object node is a table the device lets us add instances to. */
function isTable(path, node) {
  return node._object === true && node._writable === true && !isInstance(path);
}

/** Whether a path names an instance of a table (`….WLANConfiguration.2.`). */
function isInstance(path) {
  return /\.\d+\.$/.test(path);
}

export async function render(main, id) {
  const crBox = h("input", { type: "checkbox", checked: true });
  const timeout = h("input", { type: "number", min: 0, max: 60000, step: 500, value: 5000, class: "narrow", "aria-label": "wait (ms)" });
  const sections = {
    head: h("div", {}), tags: h("div", {}), tree: h("div", {}), creds: h("div", {}), file: h("div", {}),
    tasks: h("div", { class: "scroll" }), faults: h("div", { class: "scroll" }), sessions: h("div", { class: "scroll" }),
  };
  const feed = h("ul", { class: "feed" });
  const feedState = h("span", { class: "muted" }, "connecting…");
  const tree = treeState();

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

  /** The Set form of a leaf: the device's type preselected, the value sent typed. */
  function setForm(path, node) {
    const deviceType = xsd(node._type) || "xsd:string";
    const type = h("select", { "aria-label": `type of ${path}` },
      [...new Set([deviceType, ...TYPES])].map((t) => h("option", { value: t, selected: t === deviceType }, t === deviceType ? `${t} (device's)` : t)));
    let value = valueInput(deviceType, node._value, `new value of ${path}`);
    type.addEventListener("change", () => {
      const next = valueInput(type.value, value.value, `new value of ${path}`);
      value.replaceWith(next);
      value = next;
    });
    const form = submitForm([value, type, "Set"], async () => {
      const v = typedValue(value.value, type.value);
      await task({ name: "setParameterValues", parameterValues: [[path, v, type.value]] }, `set ${path}`);
    });
    form.append(button("Cancel", async () => form.remove()));
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
    object: (path, node) => need("operator", h("span", { class: "actions" },
      button("Refresh", () => task({ name: "refreshObject", objectName: path }, `refresh ${path}`), "small"),
      isTable(path, node) ? button("Add instance", () => task({ name: "addObject", objectName: path }, `add to ${path}`), "small") : "",
      isInstance(path) && node._writable !== false ? button("Delete instance", async () => {
        if (confirm(`Delete ${path} on the device?`)) await task({ name: "deleteObject", objectName: path }, `delete ${path}`);
      }, "small danger") : "")),
  };

  let rootObject = "Device.";

  async function refresh() {
    const [doc, tasks, faults, sessions, creds] = await Promise.all([
      loadDoc(),
      get(`/tasks${qs({ query: JSON.stringify({ device: id }) })}`),
      get("/faults"),
      get(`/devices/${seg(id)}/sessions${qs({ limit: 10 })}`),
      get(`/devices/${seg(id)}/credentials`).catch(() => null),
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
    const crUser = h("input", { "aria-label": "Connection Request username", value: creds?.cr_username ?? "", autocomplete: "off" });
    const crPass = h("input", { type: "password", "aria-label": "Connection Request password", placeholder: creds?.cr_password_set ? "(set; type to replace)" : "", autocomplete: "new-password" });
    fill(sections.creds,
      h("p", { class: "muted" }, creds?.cr_username
        ? `Stored: ${creds.cr_username} / ${creds.cr_password_set ? "a password" : "no password"}.`
        : "None stored: the ACS uses ManagementServer.ConnectionRequestUsername/Password from the device's parameters."),
      submitForm([crUser, crPass, "Save credentials"], async () => {
        await call("PATCH", `/devices/${seg(id)}/credentials`, { cr_username: crUser.value, cr_password: crPass.value });
        flash("Connection Request credentials saved.");
        await refresh();
      }));
    const scroll = sections.tree.querySelector(".tree")?.scrollTop ?? 0;
    fill(sections.tree, paramTree(doc, actions, tree));
    const box = sections.tree.querySelector(".tree");
    if (box) box.scrollTop = scroll;
    fill(sections.tasks, taskTable(tasks, refresh, false));
    fill(sections.faults, faultTable(faults.filter((f) => f.device === id), refresh, false));
    fill(sections.sessions, table(["Started", "Events", "RPCs", "Duration", "Outcome"],
      sessions.map((x) => [when(x.started), x.events.join(", "), x.rpcs, `${x.durationMs} ms`,
        h("span", { class: `status ${x.outcome === "ok" ? "done" : "fault"}` }, x.outcome)]),
      "No session recorded."));
  }

  const file = h("select", { "aria-label": "stored file" });
  const files = await get("/files").catch(() => []);
  fill(file, files.length
    ? files.map((f) => h("option", { value: f._id }, `${f._id} (${[f.metadata?.fileType, f.metadata?.version].filter(Boolean).join(", ")})`))
    : h("option", { value: "" }, "no stored file"));

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
    need("operator", submitForm([file, "Push file"], async () => {
      if (!file.value) throw new Error("no stored file: upload one in Files first");
      await task({ name: "download", file: file.value }, `push ${file.value}`);
    }, "filters")),
    need("operator", h("details", {}, h("summary", {}, "Connection Request credentials"), sections.creds)),
    need("operator", h("details", {}, h("summary", {}, "Delete this device"),
      h("p", { class: "muted" }, "Its parameters, tags, tasks and faults are deleted; it comes back as a new device at its next Inform."),
      button("Delete device", async () => {
        if (!confirm(`Delete ${id} from the ACS?`)) return;
        await call("DELETE", `/devices/${seg(id)}`);
        flash(`${id} deleted.`);
        location.hash = "#/devices";
      }, "danger"))),
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
