// Tasks and faults: the pages listing them all, and the tables the device page reuses
// (retry a faulted task, delete a task or a fault).

import { call, get, qs, seg } from "./api.js";
import { button, deviceLink, fill, flash, h, need, pretty, table, when } from "./dom.js";

const PAGE = 100;

function details(v) {
  return h("details", {}, h("summary", {}, "JSON"), h("pre", {}, pretty(v)));
}

/** What a task acts on: its parameters, object, file… in one line. */
export function taskTarget(t) {
  const parts = [];
  if (t.parameterNames) parts.push(t.parameterNames.join(", "));
  if (t.parameterValues) parts.push(t.parameterValues.map((v) => `${v[0]} = ${JSON.stringify(v[1])}${v[2] ? ` (${v[2]})` : ""}`).join(", "));
  if (t.parameterAttributes) parts.push(t.parameterAttributes.map((a) => a[0]).join(", "));
  if (t.objectName !== undefined) parts.push(t.objectName || "(everything)");
  if (t.parameterPath !== undefined) parts.push(t.parameterPath || "(everything)");
  for (const k of ["file", "fileName", "url", "upload", "fileType", "commandKey"]) if (t[k]) parts.push(`${k}: ${t[k]}`);
  if (t.delaySeconds) parts.push(`in ${t.delaySeconds} s`);
  return parts.join("; ");
}

/** A fault's reason in full: code, message, and the per-parameter faults in its detail. */
export function faultReason(f) {
  if (!f) return "";
  const lines = [`${f.code ?? ""} ${f.message ?? ""}`.trim()];
  // A CPE's fault as GenieACS records it: {faultCode, faultString, setParameterValuesFault:
  // [{parameterName, faultCode, faultString}]} (earlier builds kept the SOAP fault's shape).
  const spv = f.detail?.setParameterValuesFault ?? f.detail?.detail?.SetParameterValuesFault;
  if (Array.isArray(spv)) {
    for (const p of spv) {
      const name = p.parameterName ?? p.ParameterName ?? "";
      const code = p.faultCode ?? p.FaultCode ?? "";
      const text = p.faultString ?? p.FaultString ?? "";
      lines.push(`${name}: ${code} ${text}`);
    }
  }
  return h("span", { class: "reason" }, lines.map((l, i) => [i ? h("br") : "", l]));
}

/** A table of tasks; `reload` runs after a change. */
export function taskTable(tasks, reload, withDevice = true) {
  return table(
    ["Task", "On", withDevice ? "Device" : null, "Status", "Retries", "Created", "Fault", "", ""].filter((x) => x !== null),
    tasks.map((t) => [
      h("span", { title: t._id }, t.name),
      h("span", { class: "target" }, taskTarget(t)),
      withDevice ? deviceLink(t.device) : null,
      h("span", { class: `status ${t.status}` }, t.status),
      t.retries ?? 0,
      when(t.timestamp),
      faultReason(t.fault),
      details(t),
      need("operator", h("span", {},
        t.status === "fault" ? button("Retry", async () => {
          await call("POST", `/tasks/${seg(t._id)}/retry`);
          flash(`Task ${t.name} queued again.`);
          await reload();
        }) : "",
        button("Delete", async () => {
          if (!confirm(`Delete task ${t.name} (${t._id})?`)) return;
          await call("DELETE", `/tasks/${seg(t._id)}`);
          await reload();
        }, "danger"))),
    ].filter((x) => x !== null)),
    "No task.");
}

/** A table of faults; `reload` runs after a change. */
export function faultTable(faults, reload, withDevice = true) {
  return table(
    [withDevice ? "Device" : null, "Channel", "Code", "Message", "Retries", "Time", ""].filter((x) => x !== null),
    faults.map((f) => [
      withDevice ? deviceLink(f.device) : null,
      f.channel, f.code, faultReason({ message: f.message, detail: f.detail }), f.retries, when(f.timestamp),
      h("span", {}, f.detail ? details(f.detail) : "",
        need("operator", button("Delete", async () => {
          if (!confirm(`Delete fault ${f._id}? A task or preset it stopped runs again.`)) return;
          await call("DELETE", `/faults/${seg(f._id)}`);
          await reload();
        }, "danger"))),
    ].filter((x) => x !== null)),
    "No fault.");
}

export async function renderTasks(main) {
  const status = h("select", {}, ["", "pending", "running", "done", "fault"].map((s) => h("option", { value: s }, s || "any status")));
  const box = h("div", {});
  const pager = h("div", { class: "pager" });
  let skip = 0;
  async function load() {
    const query = status.value ? JSON.stringify({ status: status.value }) : "";
    const tasks = await get(`/tasks${qs({ query, skip, limit: PAGE })}`);
    fill(box, taskTable(tasks, load));
    fill(pager,
      button("‹ Previous", () => { skip = Math.max(0, skip - PAGE); return load(); }),
      ` from ${skip + 1} `,
      button("Next ›", () => { if (tasks.length === PAGE) { skip += PAGE; return load(); } }));
  }
  status.addEventListener("change", () => { skip = 0; load().catch((e) => flash(e.message, "error")); });
  fill(main, h("h1", {}, "Tasks"), h("div", { class: "filters" }, status, button("Refresh", load)), box, pager);
  await load();
}

export async function renderFaults(main) {
  const box = h("div", {});
  async function load() {
    fill(box, faultTable(await get("/faults"), load));
  }
  fill(main, h("h1", {}, "Faults"), h("div", { class: "filters" }, button("Refresh", load)), box);
  await load();
}
