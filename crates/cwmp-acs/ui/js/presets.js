// Presets: the list, and an editor of one preset either as a form (weight, channel,
// precondition, events, configurations of GenieACS's kinds) or as JSON, switching between
// the two; validation errors, from the page or the server, are shown inline.

import { call, get, seg } from "./api.js";
import { button, fill, flash, h, need, pretty, table } from "./dom.js";

const EVENTS = ["0 BOOTSTRAP", "1 BOOT", "2 PERIODIC", "4 VALUE CHANGE", "6 CONNECTION REQUEST", "7 TRANSFER COMPLETE", "8 DIAGNOSTICS COMPLETE", "M Reboot", "M Download"];

/** The kinds of configuration entry the form edits, with their fields. */
const KINDS = {
  value: ["name", "value"],
  add_tag: ["tag"],
  delete_tag: ["tag"],
  provision: ["name", "args"],
  add_object: ["object", "alias"],
  delete_object: ["object"],
};

const TEMPLATE = {
  weight: 0,
  channel: "default",
  precondition: "Tags.lab IS NOT NULL",
  events: { "0 BOOTSTRAP": true },
  configurations: [{ type: "value", name: "Device.ManagementServer.PeriodicInformInterval", value: 1800 }],
};

/** A value typed in the form: JSON when it parses as a number, boolean or array. */
function formValue(text) {
  const t = text.trim();
  if (/^(-?\d+(\.\d+)?|true|false|\[.*\])$/s.test(t)) {
    try { return JSON.parse(t); } catch { /* text */ }
  }
  return text;
}

/** One configuration row of the form. */
function configRow(entry, rows) {
  const type = h("select", { "aria-label": "configuration type" }, Object.keys(KINDS).map((k) => h("option", { value: k, selected: k === entry.type }, k)));
  const fields = h("span", { class: "inline-fields" });
  const inputs = {};
  function draw() {
    fields.replaceChildren();
    for (const f of KINDS[type.value]) {
      const v = entry[f];
      inputs[f] = h("input", { "aria-label": f, placeholder: f, value: v === undefined ? "" : typeof v === "string" ? v : JSON.stringify(v) });
      fields.append(inputs[f]);
    }
  }
  type.addEventListener("change", draw);
  draw();
  const row = h("div", { class: "config-row" }, type, fields, button("×", async () => { row.remove(); }, "close"));
  row.read = () => {
    const out = { type: type.value };
    for (const f of KINDS[type.value]) {
      const v = inputs[f].value;
      if (v === "" && (f === "alias" || f === "args")) continue;
      out[f] = f === "value" || f === "args" ? formValue(v) : v;
    }
    return out;
  };
  rows.append(row);
}

/** Whether the form can show `preset` (else only the JSON editor). */
function formFits(p) {
  const configs = p.configurations ?? [];
  return Array.isArray(configs) && p.configuration === undefined && !p.schedule
    && configs.every((c) => KINDS[c.type] && Object.keys(c).every((k) => k === "type" || KINDS[c.type].includes(k)));
}

function editor(name, preset, reload) {
  const nameBox = h("input", { value: name, placeholder: "preset name", "aria-label": "preset name", disabled: name !== "" });
  let body = { ...preset };
  delete body._id;
  const error = h("p", { class: "error-text", role: "alert" });
  const area = h("div", {});
  let mode = formFits(body) ? "form" : "json";
  let read = () => body;

  function showJson() {
    const text = h("textarea", { rows: 16, spellcheck: "false", class: "code", "aria-label": "preset JSON" });
    text.value = pretty(body);
    read = () => {
      const parsed = JSON.parse(text.value);
      if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) throw new Error("a preset is a JSON object");
      return parsed;
    };
    fill(area, text);
  }

  function showForm() {
    const weight = h("input", { type: "number", value: body.weight ?? 0, "aria-label": "weight", class: "narrow" });
    const channel = h("input", { value: body.channel ?? "default", "aria-label": "channel", class: "narrow" });
    const pre = body.precondition;
    const precondition = h("textarea", { rows: 2, spellcheck: "false", "aria-label": "precondition", placeholder: 'expression (Tags.lab IS NOT NULL) or JSON ({"_tags": "lab"})' });
    precondition.value = pre === undefined || pre === null ? "" : typeof pre === "string" ? pre : JSON.stringify(pre);
    const evs = Array.isArray(body.events) ? Object.fromEntries(body.events.map((e) => [e, true])) : (body.events || {});
    const extraEvents = Object.keys(evs).filter((e) => !EVENTS.includes(e));
    const boxes = EVENTS.map((e) => h("label", { class: "check" }, h("input", { type: "checkbox", value: e, checked: evs[e] === true }), e));
    const rows = h("div", { class: "config-rows" });
    for (const c of body.configurations || []) configRow(c, rows);
    read = () => {
      const events = Object.fromEntries(extraEvents.map((e) => [e, evs[e]]));
      for (const b of boxes) if (b.firstChild.checked) events[b.firstChild.value] = true;
      const p = precondition.value.trim();
      return {
        weight: Number(weight.value) || 0,
        channel: channel.value.trim() || "default",
        precondition: p.startsWith("{") ? JSON.parse(p) : p,
        events,
        configurations: [...rows.children].map((r) => r.read()),
      };
    };
    fill(area,
      h("div", { class: "filters" }, h("label", {}, "Weight", weight), h("label", {}, "Channel", channel)),
      h("label", { class: "block" }, "Precondition", precondition),
      h("fieldset", {}, h("legend", {}, "Events (all must be in the Inform; none: every session)"), boxes),
      h("fieldset", {}, h("legend", {}, "Configurations"), rows,
        button("Add a configuration", async () => configRow({ type: "value" }, rows))));
  }

  function show() {
    if (mode === "form") showForm(); else showJson();
  }
  const toggle = button("Form / JSON", async () => {
    error.textContent = "";
    try { body = read(); } catch (e) { error.textContent = e.message; return; }
    if (mode === "json" && !formFits(body)) {
      error.textContent = "This preset uses fields the form does not edit (configuration, schedule, other kinds): edit it as JSON.";
      return;
    }
    mode = mode === "form" ? "json" : "form";
    show();
  });
  const save = button("Save", async () => {
    error.textContent = "";
    const n = nameBox.value.trim();
    if (!n) { error.textContent = "A preset needs a name."; return; }
    let parsed;
    try { parsed = read(); } catch (e) { error.textContent = `Not valid: ${e.message}`; return; }
    try {
      await call("PUT", `/presets/${seg(n)}`, parsed);
    } catch (e) {
      error.textContent = e.message;
      return;
    }
    body = parsed;
    flash(`Preset ${n} saved.`);
    await reload();
  });
  show();
  return h("div", { class: "editor" },
    h("h2", {}, name ? `Edit preset ${name}` : "New preset"),
    nameBox, h("div", {}, toggle), area, error, save);
}

export async function render(main) {
  const list = h("div", {});
  const edit = h("div", {});
  async function load() {
    const presets = await get("/presets");
    fill(list, table(
      ["Name", "Weight", "Events", "Precondition", ""],
      presets.map((p) => [
        p._id, p.weight, Object.keys(p.events || {}).join(", ") || "every session",
        h("code", {}, typeof p.precondition === "string" ? p.precondition : JSON.stringify(p.precondition)),
        need("admin", h("span", {},
          button("Edit", async () => fill(edit, editor(p._id, p, load))),
          button("Delete", async () => {
            if (!confirm(`Delete preset ${p._id}?`)) return;
            await call("DELETE", `/presets/${seg(p._id)}`);
            fill(edit);
            await load();
          }, "danger"))),
      ]),
      "No preset yet."));
  }
  fill(main,
    h("h1", {}, "Presets"),
    need("admin", h("div", { class: "filters" }, button("New preset", async () => fill(edit, editor("", TEMPLATE, load))))),
    list, edit);
  await load();
}
