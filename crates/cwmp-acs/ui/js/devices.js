// Devices: a paginated, sortable table over GET /devices with configurable columns (any
// parameter path), a filter (GenieACS expression or JSON query) and quick filters by
// serial number (any case) and tag; rows can be selected (or every match) for a bulk task
// or a campaign. The state lives in the hash so that Back works; the columns in
// localStorage.

import { call, can, devices, seg } from "./api.js";
import { ago, button, deviceLink, fill, flash, h, need } from "./dom.js";
import { taskForm } from "./task_form.js";

const PAGE = 50;
const COLUMNS_KEY = "cwmp-acs-columns";
const BULK_MAX = 5000;
const BULK_PARALLEL = 4;

/** The value of a parameter path in a device document ("" when absent). */
export function param(doc, path) {
  let node = doc;
  for (const s of path.split(".")) node = node?.[s];
  return node?._value ?? "";
}

/** The fixed columns: label, sort field (none: not sortable), projection, cell. */
const FIXED = [
  { label: "Device", sort: "_id", project: ["_id"], cell: (d) => deviceLink(d._id) },
  { label: "Product class", sort: "_deviceId._ProductClass", project: ["_deviceId"], cell: (d) => d._deviceId?._ProductClass ?? "" },
  {
    label: "Software", sort: null,
    project: ["Device.DeviceInfo.SoftwareVersion", "InternetGatewayDevice.DeviceInfo.SoftwareVersion"],
    cell: (d) => param(d, "Device.DeviceInfo.SoftwareVersion") || param(d, "InternetGatewayDevice.DeviceInfo.SoftwareVersion"),
  },
  { label: "IP", sort: null, project: ["_ip"], cell: (d) => d._ip ?? "" },
  {
    label: "Last inform", sort: "_lastInform", project: ["_lastInform"],
    cell: (d) => h("span", { title: d._lastInform ? new Date(d._lastInform).toLocaleString() : "" }, ago(d._lastInform)),
  },
  { label: "Tags", sort: null, project: ["_tags"], cell: (d) => (d._tags || []).map((t) => h("span", { class: "tag" }, t)) },
];

function savedColumns() {
  return (localStorage.getItem(COLUMNS_KEY) || "").split(/[\s,]+/).filter((p) => /^[A-Za-z0-9_.]+$/.test(p));
}

/** A JSON string literal for an expression. */
const lit = (s) => JSON.stringify(String(s));

/**
 * The query sent: an object (the filter is JSON) or an expression string, with the serial
 * (case-insensitive, anywhere) and tag filters added to it.
 */
export function buildQuery(text, serial, tag) {
  const t = text.trim();
  const s = serial.trim();
  const g = tag.trim();
  if (t.startsWith("{") || !t) {
    const parts = [];
    if (t) parts.push(JSON.parse(t));
    if (s) parts.push({ "_deviceId._SerialNumber": { $regex: escapeRegex(s), $options: "i" } });
    if (g) parts.push({ _tags: g });
    return parts.length === 0 ? {} : parts.length === 1 ? parts[0] : { $and: parts };
  }
  const parts = [`(${t})`];
  if (s) parts.push(`LOWER(DeviceID.SerialNumber) LIKE ${lit(`%${s.toLowerCase().replace(/[%_\\]/g, "\\$&")}%`)}`);
  if (g) {
    if (!/^[A-Za-z0-9_-]+$/.test(g)) throw new Error("with an expression, a tag filter takes letters, digits, '_' and '-'");
    parts.push(`Tags.${g} IS NOT NULL`);
  }
  return parts.join(" AND ");
}

function escapeRegex(s) {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** Runs `task` on every device of `ids`, a few at a time; a summary. */
async function bulkTask(ids, task, progress) {
  let next = 0, ok = 0;
  const failed = [];
  async function worker() {
    while (next < ids.length) {
      const id = ids[next++];
      try {
        await call("POST", `/devices/${seg(id)}/tasks`, task);
        ok++;
      } catch (e) {
        failed.push(`${id}: ${e.message}`);
      }
      progress(ok + failed.length, ids.length);
    }
  }
  await Promise.all(Array.from({ length: BULK_PARALLEL }, worker));
  return { ok, failed };
}

export async function render(main, arg) {
  const saved = new URLSearchParams(arg || "");
  const queryBox = h("textarea", {
    rows: 2, spellcheck: "false", "aria-label": "filter",
    placeholder: 'DeviceID.ProductClass = "HG8245" AND Tags.lab IS NOT NULL   or   {"_tags": "lab"}',
  });
  queryBox.value = saved.get("q") || "";
  const serial = h("input", { placeholder: "serial contains", value: saved.get("serial") || "" });
  const tag = h("input", { placeholder: "tag", value: saved.get("tag") || "" });
  const columnsBox = h("input", { class: "wide", "aria-label": "extra columns", placeholder: "Device.WiFi.SSID.1.SSID, Device.DeviceInfo.UpTime", value: savedColumns().join(", ") });
  let skip = Number(saved.get("skip") || 0);
  let sort = saved.get("sort") ? JSON.parse(saved.get("sort")) : { _lastInform: -1 };
  const error = h("p", { class: "error-text", role: "alert" });
  const results = h("div", { class: "scroll" });
  const pager = h("div", { class: "pager" });
  const selected = new Set();
  const selInfo = h("span", { class: "muted" });
  let lastQuery = {};
  let lastTotal = 0;
  let allMatching = false;

  function updateSelInfo() {
    selInfo.textContent = allMatching ? `all ${lastTotal} matching devices selected` : `${selected.size} selected`;
  }

  function columns() {
    const extra = savedColumns().map((p) => ({ label: p.split(".").slice(-2).join("."), title: p, sort: p, project: [p], cell: (d) => String(param(d, p)) }));
    return [...FIXED, ...extra];
  }

  async function load() {
    error.textContent = "";
    let query;
    try {
      query = buildQuery(queryBox.value, serial.value, tag.value);
    } catch (e) {
      error.textContent = `The filter is not valid: ${e.message}`;
      return;
    }
    const state = new URLSearchParams({ q: queryBox.value, serial: serial.value, tag: tag.value, skip, sort: JSON.stringify(sort) });
    history.replaceState(null, "", `#/devices/${encodeURIComponent(state.toString())}`);
    const cols = columns();
    let page;
    try {
      page = await devices({ query, projection: [...new Set(cols.flatMap((c) => c.project))].join(","), sort, skip, limit: PAGE });
    } catch (e) {
      error.textContent = e.message;
      return;
    }
    lastQuery = query;
    lastTotal = page.total;
    const [sortField, sortDir] = Object.entries(sort)[0] || [];
    const pageBox = h("input", {
      type: "checkbox", "aria-label": "select the page",
      checked: page.items.length > 0 && page.items.every((d) => selected.has(d._id)),
      onchange: (e) => {
        for (const d of page.items) e.target.checked ? selected.add(d._id) : selected.delete(d._id);
        allMatching = false;
        for (const b of results.querySelectorAll("input.row-select")) b.checked = e.target.checked;
        updateSelInfo();
      },
    });
    const header = cols.map((c) => {
      if (!c.sort) return h("th", { title: c.title }, c.label);
      const arrow = sortField === c.sort ? (sortDir === 1 ? " ▲" : " ▼") : "";
      return h("th", { title: c.title || `sort by ${c.label}` },
        h("a", {
          href: "#", class: "sort", onclick: (e) => {
            e.preventDefault();
            sort = { [c.sort]: sortField === c.sort && sortDir === -1 ? 1 : -1 };
            skip = 0;
            load();
          },
        }, c.label + arrow));
    });
    fill(results, page.items.length ? h("table", { class: "devices" },
      h("thead", {}, h("tr", {}, h("th", {}, pageBox), header)),
      h("tbody", {}, page.items.map((d) => h("tr", {},
        h("td", {}, h("input", {
          type: "checkbox", class: "row-select", "aria-label": `select ${d._id}`, checked: selected.has(d._id),
          onchange: (e) => { e.target.checked ? selected.add(d._id) : selected.delete(d._id); allMatching = false; updateSelInfo(); },
        })),
        cols.map((c) => h("td", {}, c.cell(d)))))))
      : h("p", { class: "muted" }, "No device matches."));
    const last = Math.min(skip + PAGE, page.total);
    fill(pager,
      button("‹ Previous", () => { skip = Math.max(0, skip - PAGE); return load(); }),
      ` ${page.total ? skip + 1 : 0}–${last} of ${page.total} `,
      button("Next ›", () => { if (last < page.total) { skip += PAGE; return load(); } }));
    updateSelInfo();
  }

  /** The ids the bulk action applies to. */
  async function targets() {
    if (!allMatching) return [...selected];
    if (lastTotal > BULK_MAX) throw new Error(`${lastTotal} devices: more than ${BULK_MAX}; use a campaign`);
    const { items } = await devices({ query: lastQuery, projection: "_id", limit: BULK_MAX });
    return items.map((d) => d._id);
  }

  const bulkResult = h("div", {});
  const bulk = need("operator", h("details", { class: "bulk" },
    h("summary", {}, "Bulk action on the selection ", selInfo),
    h("div", { class: "filters" },
      button("Select all matching", async () => { allMatching = true; updateSelInfo(); }),
      button("Clear selection", async () => { allMatching = false; selected.clear(); await load(); }),
      button("New campaign from this filter", async () => {
        location.hash = `#/campaigns/${encodeURIComponent(new URLSearchParams({ query: typeof lastQuery === "string" ? lastQuery : JSON.stringify(lastQuery) }).toString())}`;
      })),
    taskForm(async (task) => {
      const ids = await targets();
      if (!ids.length) { flash("Select devices first.", "error"); return; }
      if (!confirm(`Queue ${task.name} on ${ids.length} devices?`)) return;
      const res = await bulkTask(ids, task, (n, total) => fill(bulkResult, h("progress", { max: total, value: n }), ` ${n}/${total}`));
      fill(bulkResult, h("p", {}, `${task.name} queued on ${res.ok} of ${ids.length} devices; they run at each device's next session.`),
        res.failed.length ? h("pre", { class: "error-text" }, res.failed.slice(0, 50).join("\n")) : "");
    }),
    bulkResult));

  const search = () => { skip = 0; return load(); };
  const form = h("form", { class: "filters", onsubmit: (e) => { e.preventDefault(); search(); } },
    h("label", { class: "grow" }, "Filter (GenieACS expression, or a JSON query)", queryBox),
    h("label", {}, "Serial", serial),
    h("label", {}, "Tag", tag),
    h("button", { type: "submit" }, "Search"));
  const columnsForm = h("details", {},
    h("summary", {}, "Columns"),
    h("form", { class: "filters", onsubmit: (e) => { e.preventDefault(); localStorage.setItem(COLUMNS_KEY, columnsBox.value); load(); } },
      h("label", { class: "grow" }, "Extra columns: parameter paths, comma-separated", columnsBox),
      h("button", { type: "submit" }, "Apply")));
  fill(main, h("h1", {}, "Devices"), form, columnsForm, can("operator") ? bulk : "", error, results, pager);
  await load();
}
