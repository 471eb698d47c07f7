// Campaigns: fleet operations with their progress (a bar of done / failed / queued /
// pending devices), phase and state, pause / resume / cancel, the devices that failed and
// why, and the form that starts one (a task or a stored file for every device a query
// matches, at a rate, canaries first, halted past a failure share). Refreshed every 2 s.

import { call, get, seg } from "./api.js";
import { button, deviceLink, fill, flash, h, need, table, when } from "./dom.js";
import { taskTarget } from "./lists.js";
import { taskForm } from "./task_form.js";

const REFRESH_MS = 2000;

/** A stacked bar of the campaign's counts. */
function progress(c) {
  const n = c.counts;
  const total = Math.max(n.total, 1);
  const part = (k, cls) => (n[k] ? h("span", { class: `seg ${cls}`, style: null, "data-share": n[k] / total, title: `${k}: ${n[k]}` }) : "");
  const bar = h("div", { class: "bar", role: "img", "aria-label": `${n.done} done, ${n.failed} failed, ${n.queued} queued, ${n.pending} pending of ${n.total}` },
    part("done", "done"), part("failed", "fault"), part("queued", "queued"), part("pending", "pending"));
  // Widths set through the CSSOM: the page's CSP allows no inline style attributes.
  for (const s of bar.children) s.style.width = `${(Number(s.dataset.share) * 100).toFixed(2)}%`;
  return h("div", { class: "progress" }, bar,
    h("span", { class: "muted" }, `${n.done + n.failed}/${n.total} finished · ${n.done} done · ${n.failed} failed · ${n.queued} queued`));
}

function actions(c, reload) {
  const act = (label, action, cls = "") => button(label, async () => {
    if (action === "cancel" && !confirm(`Cancel campaign ${c.name}? Its queued tasks that have not run are deleted.`)) return;
    await call("POST", `/campaigns/${seg(c._id)}/${action}`);
    await reload();
  }, cls);
  return need("operator", h("span", {},
    c.state === "running" ? act("Pause", "pause") : "",
    c.state === "paused" || c.state === "halted" ? act(c.state === "halted" ? "Resume (retry failed)" : "Resume", "resume") : "",
    c.state !== "done" && c.state !== "cancelled" ? act("Cancel", "cancel", "danger") : ""));
}

export async function render(main, arg) {
  const params = new URLSearchParams(arg || "");
  const list = h("div", {});
  const detail = h("div", {});
  let shown = null;
  const name = h("input", { "aria-label": "campaign name", placeholder: "name" });
  const query = h("textarea", { rows: 2, spellcheck: "false", "aria-label": "campaign query", placeholder: 'DeviceID.ProductClass = "HG8245"  or  {"_tags": "lab"}' });
  query.value = params.get("query") || "";
  const rate = h("input", { type: "number", min: 1, max: 6000, value: 60, class: "narrow", "aria-label": "devices per minute" });
  const canary = h("input", { type: "number", min: 0, max: 100, value: 5, class: "narrow", "aria-label": "canary percent" });
  const failure = h("input", { type: "number", min: 0, max: 100, value: 20, class: "narrow", "aria-label": "failure percent" });

  async function showDetail(id) {
    shown = id;
    const c = await get(`/campaigns/${seg(id)}`);
    fill(detail,
      h("h2", {}, `Campaign ${c.name}`),
      h("p", {}, `Task: ${c.task.name} ${taskTarget(c.task)} · query: `, h("code", {}, c.query)),
      progress(c),
      c.reason ? h("p", { class: c.state === "halted" ? "error-text" : "muted" }, c.reason) : "",
      h("h3", {}, "Failed devices"),
      table(["Device", "Canary", "Reason"], (c.failed_devices || []).map((f) => [deviceLink(f.device), f.canary ? "yes" : "", f.detail ?? ""]), "None."));
  }

  async function load() {
    const campaigns = await get("/campaigns");
    fill(list, table(["Campaign", "State", "Phase", "Progress", "Rate", "Created", ""],
      campaigns.map((c) => [
        h("a", { href: "#", onclick: (e) => { e.preventDefault(); showDetail(c._id); } }, c.name),
        h("span", { class: `status state-${c.state}` }, c.state),
        c.phase,
        progress(c),
        `${c.rate_per_minute}/min · canary ${c.canary_percent}% · halt over ${c.failure_percent}%`,
        `${when(c.created)} by ${c.created_by}`,
        actions(c, load),
      ]), "No campaign yet."));
    if (shown) await showDetail(shown);
  }

  const create = taskForm(async (task) => {
    const q = query.value.trim();
    const res = await call("POST", "/campaigns", {
      name: name.value.trim(),
      query: q.startsWith("{") ? JSON.parse(q) : q,
      task,
      rate_per_minute: Number(rate.value),
      canary_percent: Number(canary.value),
      failure_percent: Number(failure.value),
    });
    flash(`Campaign ${res.body.name} started.`);
    await load();
  });
  fill(main,
    h("h1", {}, "Campaigns"),
    list, detail,
    need("operator", h("div", { class: "editor" },
      h("h2", {}, "New campaign"),
      h("div", { class: "filters" },
        h("label", {}, "Name", name),
        h("label", {}, "Devices per minute", rate),
        h("label", {}, "Canaries (%)", canary),
        h("label", {}, "Halt when failed over (%)", failure)),
      h("label", { class: "block" }, "Devices: a GenieACS expression or JSON query", query),
      h("p", { class: "muted" }, "Then the task, queued on every matching device (the canaries first, alone):"),
      create)));
  await load();
  const timer = setInterval(() => load().catch(() => {}), REFRESH_MS);
  return () => clearInterval(timer);
}
