// The shell: login form, navigation between pages (location hash), the current page's
// clean-up when leaving it.

import { setToken, token, whenUnauthorized, get } from "./api.js";
import { fill, flash, h } from "./dom.js";
import * as overview from "./overview.js";
import * as devices from "./devices.js";
import * as device from "./device.js";
import * as lists from "./lists.js";
import * as presets from "./presets.js";

const pages = {
  overview: overview.render,
  devices: devices.render,
  device: device.render,
  tasks: lists.renderTasks,
  faults: lists.renderFaults,
  presets: presets.render,
};

const main = document.getElementById("main");
const login = document.getElementById("login");
let leave = null;

function showLogin(message) {
  setToken(null);
  if (leave) { leave(); leave = null; }
  document.body.classList.add("logged-out");
  document.getElementById("login-error").textContent = message || "";
  login.hidden = false;
  document.getElementById("token").focus();
}

whenUnauthorized(() => showLogin("The token was refused (401)."));

login.addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const input = document.getElementById("token");
  setToken(input.value.trim());
  try {
    await get("/status");
  } catch (e) {
    showLogin(e.message);
    return;
  }
  input.value = "";
  route();
});

document.getElementById("logout").addEventListener("click", () => showLogin("Logged out."));

async function route() {
  if (!token()) { showLogin(); return; }
  login.hidden = true;
  document.body.classList.remove("logged-out");
  if (leave) { leave(); leave = null; }
  const [name, ...rest] = location.hash.replace(/^#\/?/, "").split("/");
  const page = pages[name] ? name : "overview";
  for (const a of document.querySelectorAll("nav a[data-page]")) {
    a.classList.toggle("active", a.dataset.page === (page === "device" ? "devices" : page));
  }
  fill(main, h("p", { class: "muted" }, "Loading…"));
  try {
    leave = (await pages[page](main, rest.map(decodeURIComponent).join("/"))) || null;
  } catch (e) {
    if (e.status !== 401) fill(main, h("div", { class: "flash error" }, e.message));
  }
}

window.addEventListener("hashchange", route);
window.addEventListener("unhandledrejection", (e) => flash(String(e.reason?.message || e.reason), "error"));
route();
