// Overview: fleet figures, CPE authentication mode (a warning when open) and the live
// event feed.

import { devices, get } from "./api.js";
import { deviceLink, fill, h, when } from "./dom.js";
import { describe, follow } from "./events.js";

const FEED_MAX = 200;

export async function render(main) {
  const now = Date.now();
  const since = (ms) => devices({ query: { _lastInform: { $gt: now - ms } }, limit: 0 });
  const [status, all, hour, day, faults] = await Promise.all([
    get("/status"), devices({ limit: 0 }), since(3600e3), since(86400e3), get("/faults"),
  ]);
  const stat = (label, value, href) =>
    h("a", { class: "stat", href }, h("span", { class: "value" }, value), h("span", {}, label));
  const banner = status.cpe_auth === "open"
    ? h("div", { class: "flash error banner" },
      "CPE authentication is OPEN: any device can connect without credentials. ",
      "Configure global or per-device CPE credentials before exposing the CWMP port.")
    : null;
  const feed = h("ul", { class: "feed" });
  const state = h("span", { class: "muted" }, "connecting…");
  fill(main,
    banner,
    h("h1", {}, "Overview"),
    h("div", { class: "stats" },
      stat("devices", all.total, "#/devices"),
      stat("seen in the last hour", hour.total, "#/devices"),
      stat("seen in the last day", day.total, "#/devices"),
      stat("open faults", faults.length, "#/faults"),
      stat("CPE authentication", status.cpe_auth + (status.cpe_auth_realm ? ` (${status.cpe_auth_realm})` : ""), "#/overview")),
    h("h2", {}, "Live events ", state),
    feed);
  return follow((e) => {
    feed.prepend(h("li", {}, h("span", { class: "muted" }, when(e.time)), " ", deviceLink(e.device), " ", describe(e)));
    while (feed.children.length > FEED_MAX) feed.lastChild.remove();
  }, (s) => { state.textContent = s; });
}
