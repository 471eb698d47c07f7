// Devices: a paginated table over GET /devices with a GenieACS query box and quick filters
// by serial number and tag; the state lives in the hash so that Back works.

import { devices } from "./api.js";
import { ago, button, deviceLink, fill, h, table } from "./dom.js";

const PAGE = 50;
const PROJECTION = [
  "_id", "_deviceId", "_lastInform", "_tags", "_ip",
  "Device.DeviceInfo.SoftwareVersion", "InternetGatewayDevice.DeviceInfo.SoftwareVersion",
].join(",");

/** The value of a parameter path in a device document ("" when absent). */
export function param(doc, path) {
  let node = doc;
  for (const s of path.split(".")) node = node?.[s];
  return node?._value ?? "";
}

function buildQuery(text, serial, tag) {
  const parts = [];
  if (text.trim()) parts.push(JSON.parse(text));
  if (serial.trim()) parts.push({ "_deviceId._SerialNumber": { $regex: escapeRegex(serial.trim()), $options: "i" } });
  if (tag.trim()) parts.push({ _tags: tag.trim() });
  return parts.length === 0 ? {} : parts.length === 1 ? parts[0] : { $and: parts };
}

function escapeRegex(s) {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

export async function render(main, arg) {
  const saved = new URLSearchParams(arg || "");
  const queryBox = h("textarea", { rows: 2, placeholder: '{"_deviceId._ProductClass": "HG8245"}', spellcheck: "false" });
  queryBox.value = saved.get("q") || "";
  const serial = h("input", { placeholder: "serial contains", value: saved.get("serial") || "" });
  const tag = h("input", { placeholder: "tag", value: saved.get("tag") || "" });
  let skip = Number(saved.get("skip") || 0);
  const error = h("p", { class: "error-text", role: "alert" });
  const results = h("div", {});
  const pager = h("div", { class: "pager" });

  async function load() {
    error.textContent = "";
    let query;
    try {
      query = buildQuery(queryBox.value, serial.value, tag.value);
    } catch (e) {
      error.textContent = `The query is not valid JSON: ${e.message}`;
      return;
    }
    const state = new URLSearchParams({ q: queryBox.value, serial: serial.value, tag: tag.value, skip });
    history.replaceState(null, "", `#/devices/${encodeURIComponent(state.toString())}`);
    let page;
    try {
      page = await devices({ query, projection: PROJECTION, sort: { _lastInform: -1 }, skip, limit: PAGE });
    } catch (e) {
      error.textContent = e.message;
      return;
    }
    fill(results, table(
      ["Device", "Product class", "Software", "IP", "Last inform", "Tags"],
      page.items.map((d) => [
        deviceLink(d._id),
        d._deviceId?._ProductClass ?? "",
        param(d, "Device.DeviceInfo.SoftwareVersion") || param(d, "InternetGatewayDevice.DeviceInfo.SoftwareVersion"),
        d._ip ?? "",
        h("span", { title: d._lastInform ? new Date(d._lastInform).toLocaleString() : "" }, ago(d._lastInform)),
        (d._tags || []).map((t) => h("span", { class: "tag" }, t)),
      ]),
      "No device matches."));
    const last = Math.min(skip + PAGE, page.total);
    fill(pager,
      button("‹ Previous", () => { skip = Math.max(0, skip - PAGE); return load(); }),
      ` ${page.total ? skip + 1 : 0}–${last} of ${page.total} `,
      button("Next ›", () => { if (last < page.total) { skip += PAGE; return load(); } }));
  }

  const search = () => { skip = 0; return load(); };
  const form = h("form", { class: "filters", onsubmit: (e) => { e.preventDefault(); search(); } },
    h("label", {}, "Query (GenieACS JSON)", queryBox),
    h("label", {}, "Serial", serial),
    h("label", {}, "Tag", tag),
    h("button", { type: "submit" }, "Search"));
  fill(main, h("h1", {}, "Devices"), form, error, results, pager);
  await load();
}
