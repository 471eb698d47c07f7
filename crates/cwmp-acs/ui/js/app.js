// The shell: login (user and password, or an API token), the caller's role (what the
// page offers follows it), navigation between pages (location hash), the current page's
// clean-up when leaving it.

import { call, get, me, setCsrf, setMe, setToken, token, whenUnauthorized } from "./api.js";
import { fill, flash, h } from "./dom.js";
import * as overview from "./overview.js";
import * as devices from "./devices.js";
import * as device from "./device.js";
import * as lists from "./lists.js";
import * as presets from "./presets.js";
import * as users from "./users.js";
import * as admin from "./admin.js";
import * as campaigns from "./campaigns.js";

const pages = {
  overview: overview.render,
  devices: devices.render,
  device: device.render,
  tasks: lists.renderTasks,
  faults: lists.renderFaults,
  presets: presets.render,
  users: users.renderUsers,
  audit: users.renderAudit,
  files: admin.renderFiles,
  campaigns: campaigns.render,
  provisions: (main) => admin.renderScripts(main, "provisions"),
  virtual_parameters: (main) => admin.renderScripts(main, "virtual_parameters"),
};

const main = document.getElementById("main");
const login = document.getElementById("login");
let leave = null;

function applyRole() {
  const who = me();
  for (const r of ["viewer", "operator", "admin"]) document.body.classList.toggle(`role-${r}`, who?.role === r);
  document.getElementById("whoami").textContent = who ? `${who.user || who.actor} (${who.role})` : "";
}

function showLogin(message) {
  setToken(null);
  setCsrf(null);
  setMe(null);
  applyRole();
  if (leave) { leave(); leave = null; }
  document.body.classList.add("logged-out");
  document.getElementById("login-error").textContent = message || "";
  login.hidden = false;
  document.getElementById("username").focus();
}

whenUnauthorized(() => showLogin("Not logged in, or the session ended (401)."));

/** Asks who we are (cookie session or token); false when neither works. */
async function identify() {
  try {
    setMe(await get("/me"));
    applyRole();
    return true;
  } catch {
    return false;
  }
}

login.addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const error = document.getElementById("login-error");
  error.textContent = "";
  const tokenBox = document.getElementById("token");
  const user = document.getElementById("username");
  const pass = document.getElementById("password");
  try {
    if (tokenBox.value.trim()) {
      setToken(tokenBox.value.trim());
    } else {
      setToken(null);
      const res = await call("POST", "/auth/login", { username: user.value, password: pass.value });
      setCsrf(res.body.csrf);
    }
  } catch (e) {
    error.textContent = e.status === 401 ? "Wrong user name or password." : e.message;
    return;
  }
  if (!(await identify())) {
    showLogin("The token was refused.");
    return;
  }
  tokenBox.value = "";
  pass.value = "";
  route();
});

document.getElementById("logout").addEventListener("click", async () => {
  if (!token()) await call("POST", "/auth/logout").catch(() => {});
  showLogin("Logged out.");
});

async function route() {
  if (!me() && !(await identify())) { showLogin(); return; }
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
