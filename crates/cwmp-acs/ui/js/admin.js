// Admin pages: stored files (upload with GenieACS's metadata headers, list, delete) and
// the script editors of provisions and virtual parameters (list, edit, save, delete, and a
// dry run against one device showing the declarations, logs and fault the script gives).

import { call, devices, get, seg } from "./api.js";
import { button, fill, flash, h, need, pretty, submitForm, table, when } from "./dom.js";

const FILE_TYPES = ["1 Firmware Upgrade Image", "2 Web Content", "3 Vendor Configuration File", "4 Tone File", "5 Ringer File"];

function size(n) {
  if (n === undefined || n === null) return "";
  return n < 1024 ? `${n} B` : n < 1048576 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / 1048576).toFixed(1)} MiB`;
}

export async function renderFiles(main) {
  const list = h("div", {});
  const file = h("input", { type: "file", "aria-label": "file to upload" });
  const name = h("input", { "aria-label": "file name", placeholder: "name (default: the file's)" });
  const type = h("select", { "aria-label": "file type" }, FILE_TYPES.map((t) => h("option", { value: t }, t)));
  const oui = h("input", { "aria-label": "OUI", placeholder: "OUI", class: "narrow" });
  const productClass = h("input", { "aria-label": "product class", placeholder: "product class", class: "narrow" });
  const version = h("input", { "aria-label": "version", placeholder: "version", class: "narrow" });
  async function load() {
    const files = await get("/files");
    fill(list, table(["Name", "Type", "OUI", "Product class", "Version", "Size", "Uploaded", "SHA-256", ""],
      files.map((f) => [
        f._id, f.metadata?.fileType ?? "", f.metadata?.oui ?? "", f.metadata?.productClass ?? "", f.metadata?.version ?? "",
        size(f.length), when(f.uploadDate), h("code", { title: f.sha256 ?? "" }, (f.sha256 ?? "").slice(0, 12)),
        need("admin", button("Delete", async () => {
          if (!confirm(`Delete file ${f._id}?`)) return;
          await call("DELETE", `/files/${seg(f._id)}`);
          await load();
        }, "danger")),
      ]), "No stored file."));
  }
  fill(main,
    h("h1", {}, "Files"),
    list,
    need("admin", h("div", {},
      h("h2", {}, "Upload"),
      submitForm([file, name, type, oui, productClass, version, "Upload"], async () => {
        const chosen = file.files[0];
        if (!chosen) throw new Error("choose a file first");
        const n = name.value.trim() || chosen.name;
        await call("PUT", `/files/${seg(n)}`, chosen, {
          "Content-Type": "application/octet-stream",
          fileType: type.value, oui: oui.value.trim(), productClass: productClass.value.trim(), version: version.value.trim(),
        });
        flash(`${n} stored (${size(chosen.size)}).`);
        file.value = "";
        name.value = "";
        await load();
      }, "filters"))));
  await load();
}

const KINDS = {
  provisions: { title: "Provisions", one: "provision", template: '// Declare desired state; see GenieACS provisions.\nconst now = Date.now();\ndeclare("Device.DeviceInfo.SoftwareVersion", {value: 1});\nlog("checked at " + now);\n' },
  virtual_parameters: { title: "Virtual parameters", one: "virtual parameter", template: 'const v = declare("Device.DeviceInfo.UpTime", {value: Date.now()});\nreturn {writable: false, value: [String(v.value[0]), "xsd:string"]};\n' },
};

/** The dry run's answer, shown as sections. */
function dryRunResult(res) {
  return h("div", { class: "dry-run" },
    res.fault ? h("p", { class: "error-text" }, `Fault ${res.fault.code}: ${res.fault.message}`) : h("p", { class: "status done" }, "No fault."),
    h("h3", {}, `Declarations (${(res.declarations || []).length})`),
    h("pre", {}, pretty(res.declarations || [])),
    h("h3", {}, `Logs (${(res.logs || []).length})`),
    h("pre", {}, (res.logs || []).map((l) => (typeof l === "string" ? l : JSON.stringify(l))).join("\n") || "(none)"));
}

/** An editor page of provisions or virtual parameters (`kind`: the API collection). */
export async function renderScripts(main, kind) {
  const k = KINDS[kind];
  const list = h("div", {});
  const edit = h("div", {});
  const problem = h("p", { class: "error-text", role: "alert" });

  function editor(name, script) {
    const nameBox = h("input", { value: name, placeholder: `${k.one} name`, "aria-label": `${k.one} name`, disabled: name !== "" });
    const text = h("textarea", { rows: 18, spellcheck: "false", class: "code", "aria-label": "script" });
    text.value = script;
    const device = h("input", { "aria-label": "device for the dry run", placeholder: "device id" });
    const args = h("input", { "aria-label": "arguments (JSON array)", placeholder: '["arg1", 2]', class: "wide" });
    const out = h("div", {});
    const error = h("p", { class: "error-text", role: "alert" });
    const target = () => nameBox.value.trim();
    return h("div", { class: "editor" },
      h("h2", {}, name ? `Edit ${k.one} ${name}` : `New ${k.one}`),
      nameBox, text, error,
      need("admin", button("Save", async () => {
        error.textContent = "";
        if (!target()) { error.textContent = "A name is needed."; return; }
        try {
          await call("PUT", `/${kind}/${seg(target())}`, text.value, { "Content-Type": "text/plain; charset=utf-8" });
        } catch (e) { error.textContent = e.message; return; }
        flash(`${k.one} ${target()} saved.`);
        await load();
      })),
      h("h3", {}, "Dry run against one device"),
      h("p", { class: "muted" }, "Runs the script in the editor (saved or not) against the device's stored parameters; nothing is sent to the device."),
      need("admin", submitForm([device, args, "Dry run"], async () => {
        if (!target()) throw new Error("a name is needed");
        let parsedArgs = [];
        if (args.value.trim()) {
          parsedArgs = JSON.parse(args.value);
          if (!Array.isArray(parsedArgs)) throw new Error("the arguments are a JSON array");
        }
        if (!device.value.trim()) {
          const { items } = await devices({ query: {}, projection: "_id", limit: 1 });
          if (!items.length) throw new Error("no device to run against");
          device.value = items[0]._id;
        }
        const res = await call("POST", `/${kind}/${seg(target())}/dry_run?device=${seg(device.value.trim())}`, { args: parsedArgs, script: text.value });
        fill(out, dryRunResult(res.body));
      }, "filters")),
      out);
  }

  async function load() {
    problem.textContent = "";
    let items;
    try {
      items = await get(`/${kind}`);
    } catch (e) {
      problem.textContent = e.status === 404
        ? `This ACS has no /${kind} API (404): ${k.title.toLowerCase()} are not available in this build.`
        : e.message;
      fill(list);
      return;
    }
    fill(list, table(["Name", "Script", ""], items.map((p) => [
      p._id, h("code", {}, (p.script || "").split("\n")[0].slice(0, 80)),
      h("span", {},
        button("Edit", async () => fill(edit, editor(p._id, p.script || ""))),
        need("admin", button("Delete", async () => {
          if (!confirm(`Delete ${k.one} ${p._id}?`)) return;
          await call("DELETE", `/${kind}/${seg(p._id)}`);
          fill(edit);
          await load();
        }, "danger"))),
    ]), `No ${k.one} yet.`));
  }

  fill(main,
    h("h1", {}, k.title),
    problem,
    need("admin", h("div", { class: "filters" }, button(`New ${k.one}`, async () => fill(edit, editor("", k.template))))),
    list, edit);
  await load();
}
