// A form that builds one task (the shapes of POST /devices/<id>/tasks) for bulk actions
// and campaigns, and the typed values a Set sends (JSON numbers and booleans, so that a
// device's unsignedInt gets a number, never the text of one).

import { get } from "./api.js";
import { h, submitForm } from "./dom.js";

export const TYPES = ["xsd:string", "xsd:boolean", "xsd:int", "xsd:unsignedInt", "xsd:long", "xsd:unsignedLong", "xsd:dateTime", "xsd:base64", "xsd:hexBinary"];

const INT = { "xsd:int": [-(2 ** 31), 2 ** 31 - 1], "xsd:unsignedInt": [0, 2 ** 32 - 1], "xsd:long": [-(2 ** 63), 2 ** 63 - 1], "xsd:unsignedLong": [0, 2 ** 64 - 1] };

/** A type as the API writes it (`unsignedInt` → `xsd:unsignedInt`). */
export function xsd(type) {
  if (!type) return "";
  return type.includes(":") ? type : `xsd:${type}`;
}

/** The JSON value of `text` for `type`; throws a readable error when it does not fit. */
export function typedValue(text, type) {
  const t = xsd(type);
  if (t === "xsd:boolean") {
    if (/^(true|1)$/i.test(text.trim())) return true;
    if (/^(false|0)$/i.test(text.trim())) return false;
    throw new Error(`${JSON.stringify(text)} is not a boolean (true or false)`);
  }
  if (INT[t]) {
    const s = text.trim();
    if (!/^-?\d+$/.test(s)) throw new Error(`${JSON.stringify(text)} is not an integer (${t})`);
    const n = Number(s);
    const [lo, hi] = INT[t];
    if (n < lo || n > hi) throw new Error(`${s} is out of range for ${t}`);
    return n;
  }
  return text;
}

/** An input for a value of `type` (a true/false choice for booleans). */
export function valueInput(type, value, label) {
  if (xsd(type) === "xsd:boolean") {
    const v = String(value).toLowerCase();
    return h("select", { "aria-label": label },
      h("option", { value: "true", selected: v === "true" || v === "1" }, "true"),
      h("option", { value: "false", selected: !(v === "true" || v === "1") }, "false"));
  }
  const numeric = !!INT[xsd(type)];
  return h("input", { value: value ?? "", "aria-label": label, inputmode: numeric ? "numeric" : null });
}

const KINDS = {
  reboot: "Reboot",
  refreshObject: "Refresh parameters",
  setParameterValues: "Set a parameter",
  download: "Push a stored file",
  factoryReset: "Factory reset",
};

/** The form; `onTask(task)` gets the task built from it. */
export function taskForm(onTask) {
  const kind = h("select", { "aria-label": "task" }, Object.entries(KINDS).map(([k, l]) => h("option", { value: k }, l)));
  const path = h("input", { "aria-label": "parameter or object path", placeholder: "Device.ManagementServer.PeriodicInformInterval" });
  const value = h("input", { "aria-label": "value", placeholder: "value" });
  const type = h("select", { "aria-label": "type" }, TYPES.map((t) => h("option", { value: t }, t)));
  const file = h("select", { "aria-label": "stored file" });
  const extra = h("span", { class: "inline-fields" });
  async function show() {
    extra.replaceChildren();
    if (kind.value === "refreshObject") extra.append(path);
    if (kind.value === "setParameterValues") extra.append(path, value, type);
    if (kind.value === "download") {
      extra.append(file);
      if (!file.children.length) {
        const files = await get("/files").catch(() => []);
        file.replaceChildren(...(files.length ? files.map((f) => h("option", { value: f._id ?? f.filename }, `${f._id ?? f.filename} (${f.metadata?.fileType ?? ""} ${f.metadata?.version ?? ""})`))
          : [h("option", { value: "" }, "no stored file")]));
      }
    }
  }
  kind.addEventListener("change", show);
  show();
  return submitForm([kind, extra, "Queue"], async () => {
    const name = kind.value;
    let task;
    if (name === "refreshObject") task = { name, objectName: path.value.trim() };
    else if (name === "setParameterValues") {
      task = { name, parameterValues: [[path.value.trim(), typedValue(value.value, type.value), type.value]] };
    } else if (name === "download") {
      if (!file.value) throw new Error("no stored file to push: upload one in Files");
      task = { name, file: file.value };
    } else task = { name };
    await onTask(task);
  }, "filters");
}
