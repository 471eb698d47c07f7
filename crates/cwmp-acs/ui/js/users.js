// Admin pages: console users (role, password, API tokens with a scope, shown once when
// made) and the audit log of changes (paged, exported as CSV or JSON lines).

import { call, get, me, qs, seg } from "./api.js";
import { button, fill, flash, h, submitForm, table, when } from "./dom.js";

const ROLES = ["viewer", "operator", "admin"];

function roleSelect(value, label) {
  return h("select", { "aria-label": label }, ROLES.map((r) => h("option", { value: r, selected: r === value }, r)));
}

/** The token list and form of one user. */
async function tokenPanel(box, name, role) {
  const list = await get(`/users/${seg(name)}/tokens`);
  const label = h("input", { placeholder: "what it is for", "aria-label": "token label" });
  const scope = roleSelect(role, "token scope");
  const shown = h("div", {});
  fill(box,
    h("h3", {}, `API tokens of ${name}`),
    table(["Label", "Scope", "Created", ""], list.map((t) => [
      t.label, t.scope, when(t.created),
      button("Revoke", async () => {
        if (!confirm(`Revoke token ${t.label} of ${name}?`)) return;
        await call("DELETE", `/users/${seg(name)}/tokens/${seg(t.id)}`);
        await tokenPanel(box, name, role);
      }, "danger"),
    ]), "No token."),
    submitForm([label, scope, "Create token"], async () => {
      const res = await call("POST", `/users/${seg(name)}/tokens`, { label: label.value, scope: scope.value });
      await tokenPanel(box, name, role);
      box.append(h("p", {}, "The new token, shown only now:"), h("p", { class: "secret" }, res.body.token));
    }),
    shown);
}

export async function renderUsers(main) {
  const list = h("div", {});
  const tokens = h("div", {});
  const name = h("input", { placeholder: "user name", "aria-label": "user name", autocomplete: "off" });
  const role = roleSelect("operator", "role");
  const password = h("input", { type: "password", placeholder: "password (8+ characters)", "aria-label": "password", autocomplete: "new-password" });
  async function load() {
    const users = await get("/users");
    fill(list, table(["User", "Role", "Created", ""], users.map((u) => {
      const r = roleSelect(u.role, `role of ${u.name}`);
      return [
        u.name,
        r,
        when(u.created),
        h("span", {},
          button("Save role", async () => {
            await call("PUT", `/users/${seg(u.name)}`, { role: r.value });
            flash(`${u.name} is now ${r.value}.`);
            await load();
          }),
          button("Tokens", () => tokenPanel(tokens, u.name, u.role)),
          u.name === me()?.user ? "" : button("Delete", async () => {
            if (!confirm(`Delete user ${u.name} and its tokens?`)) return;
            await call("DELETE", `/users/${seg(u.name)}`);
            fill(tokens);
            await load();
          }, "danger")),
      ];
    }), "No user yet: create one below (or with `cwmp-acs user add`)."));
  }
  fill(main,
    h("h1", {}, "Users"),
    list,
    h("h2", {}, "Add a user, or set a user's password"),
    submitForm([name, role, password, "Save user"], async () => {
      const body = { role: role.value };
      if (password.value) body.password = password.value;
      await call("PUT", `/users/${seg(name.value.trim())}`, body);
      flash(`User ${name.value.trim()} saved.`);
      name.value = "";
      password.value = "";
      await load();
    }, "filters"),
    tokens);
  await load();
}

const AUDIT_PAGE = 100;

/** Downloads the audit log in `format` (fetched with the caller's credentials). */
async function exportAudit(format) {
  const res = await fetch(`/audit${qs({ format })}`, {
    credentials: "same-origin",
    headers: sessionStorage.getItem("cwmp-acs-token") ? { Authorization: `Bearer ${sessionStorage.getItem("cwmp-acs-token")}` } : {},
  });
  if (!res.ok) throw new Error(`export: ${res.status}`);
  const url = URL.createObjectURL(await res.blob());
  const a = h("a", { href: url, download: `audit.${format}` });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

export async function renderAudit(main) {
  const box = h("div", {});
  const pager = h("div", { class: "pager" });
  const marks = [];
  async function load(before) {
    const entries = await get(`/audit${qs({ before, limit: AUDIT_PAGE })}`);
    fill(box, table(["Time", "Who", "What", "Outcome"], entries.map((e) => [
      when(e.time), e.actor, h("code", {}, `${e.method} ${e.path}`),
      h("span", { class: `status ${e.status < 400 ? "done" : "fault"}` }, String(e.status)),
    ]), "Nothing changed yet."));
    fill(pager,
      marks.length ? button("‹ Newer", () => { marks.pop(); return load(marks[marks.length - 1]); }) : "",
      entries.length === AUDIT_PAGE ? button("Older ›", () => {
        const next = entries[entries.length - 1].seq;
        marks.push(next);
        return load(next);
      }) : "");
  }
  fill(main,
    h("h1", {}, "Audit log"),
    h("div", { class: "filters" },
      button("Refresh", () => { marks.length = 0; return load(); }),
      button("Export CSV", () => exportAudit("csv")),
      button("Export JSON lines", () => exportAudit("jsonl"))),
    box, pager);
  await load();
}
