// Presets: the list, and an editor of one preset as JSON (weight, precondition, events,
// configuration) whose validation errors, from the client or the server, are shown inline.

import { call, get, seg } from "./api.js";
import { button, fill, flash, h, need, pretty, table } from "./dom.js";

const TEMPLATE = {
  weight: 0,
  precondition: { _tags: "lab" },
  events: ["0 BOOTSTRAP", "1 BOOT"],
  configuration: { parameters: [["Device.ManagementServer.PeriodicInformInterval", 1800, "xsd:unsignedInt"]] },
};

function editor(name, preset, reload) {
  const nameBox = h("input", { value: name, placeholder: "preset name", "aria-label": "preset name", disabled: name !== "" });
  const body = { ...preset };
  delete body._id;
  const text = h("textarea", { rows: 16, spellcheck: "false", class: "code", "aria-label": "preset JSON" });
  text.value = pretty(body);
  const error = h("p", { class: "error-text", role: "alert" });
  const save = button("Save", async () => {
    error.textContent = "";
    const n = nameBox.value.trim();
    if (!n) { error.textContent = "A preset needs a name."; return; }
    let parsed;
    try {
      parsed = JSON.parse(text.value);
    } catch (e) {
      error.textContent = `Not valid JSON: ${e.message}`;
      return;
    }
    if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) {
      error.textContent = "A preset is a JSON object.";
      return;
    }
    try {
      await call("PUT", `/presets/${seg(n)}`, parsed);
    } catch (e) {
      error.textContent = e.message;
      return;
    }
    flash(`Preset ${n} saved.`);
    await reload();
  });
  return h("div", { class: "editor" },
    h("h2", {}, name ? `Edit preset ${name}` : "New preset"),
    nameBox, text, error, save);
}

export async function render(main) {
  const list = h("div", {});
  const edit = h("div", {});
  async function load() {
    const presets = await get("/presets");
    fill(list, table(
      ["Name", "Weight", "Events", "Precondition", ""],
      presets.map((p) => [
        p._id, p.weight, (p.events || []).join(", ") || "every session",
        h("code", {}, JSON.stringify(p.precondition)),
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
