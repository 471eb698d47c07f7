// Overview: fleet figures, CPE authentication mode (a warning when open), charts drawn as
// inline SVG (devices online and offline over time from the ACS's samples, firmware
// versions, open faults by code, CWMP sessions per second from the metrics while the page
// is open) and the live event feed.

import { devices, get } from "./api.js";
import { deviceLink, fill, h, when } from "./dom.js";
import { barChart, lineChart } from "./charts.js";
import { describe, follow } from "./events.js";

const FEED_MAX = 200;
const RATE_EVERY_MS = 5000;
const RATE_POINTS = 60;

/** The value of counter `name` in Prometheus text. */
function counter(text, name) {
  const line = String(text).split("\n").find((l) => l.startsWith(`${name} `));
  return line ? Number(line.split(" ")[1]) : NaN;
}

function chart(title, svg, legend) {
  return h("div", { class: "chart" }, h("h3", {}, title), legend || "", svg);
}

function legend(items) {
  return h("p", { class: "legend" }, items.map(([cls, label]) => h("span", {}, h("span", { class: `key ${cls}` }), label)));
}

export async function render(main) {
  const now = Date.now();
  const since = (ms) => devices({ query: { _lastInform: { $gt: now - ms } }, limit: 0 });
  const [status, all, hour, day, faults, fleet] = await Promise.all([
    get("/status"), devices({ limit: 0 }), since(3600e3), since(86400e3), get("/faults"), get("/stats/fleet"),
  ]);
  const stat = (label, value, href) =>
    h("a", { class: "stat", href }, h("span", { class: "value" }, value), h("span", {}, label));
  const banner = status.cpe_auth === "open"
    ? h("div", { class: "flash error banner" },
      "CPE authentication is OPEN: any device can connect without credentials. ",
      "Configure global or per-device CPE credentials before exposing the CWMP port.")
    : null;

  const samples = [...fleet.samples, { time: fleet.time, online: fleet.online, offline: fleet.offline }];
  const online = lineChart([
    { cls: "ok", points: samples.map((s) => [s.time, s.online]) },
    { cls: "bad", points: samples.map((s) => [s.time, s.offline]) },
  ], { yLabel: "devices online and offline" });
  const firmware = barChart(fleet.firmware.map((f) => ({ label: f.version || "(unknown)", value: f.count })), { empty: "no device" });
  const byCode = {};
  for (const f of faults) byCode[f.code] = (byCode[f.code] || 0) + 1;
  const faultBars = barChart(Object.entries(byCode).sort((a, b) => b[1] - a[1]).slice(0, 15)
    .map(([code, n]) => ({ label: code, value: n, cls: "bad" })), { empty: "no open fault" });
  const rateBox = h("div", {});
  const rates = [];
  let last = null;
  async function sampleRate() {
    const text = await get("/metrics").catch(() => "");
    const total = counter(text, "acs_sessions_started_total");
    const t = Date.now();
    if (!Number.isNaN(total)) {
      if (last) rates.push([t, Math.max(0, (total - last.total) / ((t - last.t) / 1000))]);
      last = { t, total };
      while (rates.length > RATE_POINTS) rates.shift();
    }
    fill(rateBox, lineChart([{ cls: "accent", points: rates }], { yLabel: "sessions per second" }));
  }

  const feed = h("ul", { class: "feed" });
  const state = h("span", { class: "muted" }, "connecting…");
  fill(main,
    banner,
    h("h1", {}, "Overview"),
    h("div", { class: "stats" },
      stat("devices", all.total, "#/devices"),
      stat("online (within their inform interval)", fleet.online, "#/devices"),
      stat("offline", fleet.offline, "#/devices"),
      stat("seen in the last hour", hour.total, "#/devices"),
      stat("seen in the last day", day.total, "#/devices"),
      stat("open faults", faults.length, "#/faults"),
      stat("CPE authentication", status.cpe_auth + (status.cpe_auth_realm ? ` (${status.cpe_auth_realm})` : ""), "#/overview")),
    h("div", { class: "charts" },
      chart("Devices online / offline (last 24 h, sampled each minute)", online, legend([["ok", "online"], ["bad", "offline"]])),
      chart("Firmware versions", firmware),
      chart("Open faults by code", faultBars),
      chart("CWMP sessions per second (since this page opened)", rateBox)),
    h("h2", {}, "Live events ", state),
    feed);
  await sampleRate();
  const timer = setInterval(() => sampleRate().catch(() => {}), RATE_EVERY_MS);
  const stop = follow((e) => {
    feed.prepend(h("li", {}, h("span", { class: "muted" }, when(e.time)), " ", deviceLink(e.device), " ", describe(e)));
    while (feed.children.length > FEED_MAX) feed.lastChild.remove();
  }, (s) => { state.textContent = s; });
  return () => { clearInterval(timer); stop(); };
}
