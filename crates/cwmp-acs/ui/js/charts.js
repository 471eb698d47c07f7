// Small charts drawn as inline SVG (no library): a line chart of series over time and a
// horizontal bar chart. Every label goes through textContent.

const NS = "http://www.w3.org/2000/svg";

function el(tag, attrs = {}, text) {
  const e = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

const W = 480;
const PAD = { l: 40, r: 10, t: 10, b: 22 };

/**
 * A line chart: `series` is [{label, cls, points: [[x, y], …]}] with x in ms; an empty
 * chart says so.
 */
export function lineChart(series, { height = 180, yLabel = "" } = {}) {
  const svg = el("svg", { viewBox: `0 0 ${W} ${height}`, role: "img", "aria-label": yLabel });
  const all = series.flatMap((s) => s.points);
  if (!all.length) {
    svg.append(el("text", { x: W / 2, y: height / 2, "text-anchor": "middle", class: "muted" }, "no data yet"));
    return svg;
  }
  const xs = all.map((p) => p[0]);
  const x0 = Math.min(...xs), x1 = Math.max(...xs, x0 + 1);
  const yMax = Math.max(1, ...all.map((p) => p[1]));
  const sx = (x) => PAD.l + ((x - x0) / (x1 - x0)) * (W - PAD.l - PAD.r);
  const sy = (y) => height - PAD.b - (y / yMax) * (height - PAD.t - PAD.b);
  for (const f of [0, 0.5, 1]) {
    const y = sy(yMax * f);
    svg.append(el("line", { x1: PAD.l, x2: W - PAD.r, y1: y, y2: y, class: "grid" }),
      el("text", { x: PAD.l - 4, y: y + 4, "text-anchor": "end", class: "axis" }, String(Math.round(yMax * f * 10) / 10)));
  }
  const fmt = (ms) => new Date(ms).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  svg.append(el("text", { x: PAD.l, y: height - 6, class: "axis" }, fmt(x0)),
    el("text", { x: W - PAD.r, y: height - 6, "text-anchor": "end", class: "axis" }, fmt(x1)));
  for (const s of series) {
    if (!s.points.length) continue;
    const d = s.points.map((p, i) => `${i ? "L" : "M"}${sx(p[0]).toFixed(1)},${sy(p[1]).toFixed(1)}`).join(" ");
    svg.append(el("path", { d, class: `line ${s.cls}` }));
    if (s.points.length === 1) {
      const [p] = s.points;
      svg.append(el("circle", { cx: sx(p[0]), cy: sy(p[1]), r: 3, class: `dot ${s.cls}` }));
    }
  }
  return svg;
}

/** A horizontal bar chart of [{label, value}], largest first as given. */
export function barChart(items, { empty = "nothing to show" } = {}) {
  const row = 22;
  const height = Math.max(row, items.length * row) + 4;
  const svg = el("svg", { viewBox: `0 0 ${W} ${height}`, role: "img" });
  if (!items.length) {
    svg.append(el("text", { x: W / 2, y: 16, "text-anchor": "middle", class: "muted" }, empty));
    return svg;
  }
  const max = Math.max(1, ...items.map((i) => i.value));
  const labelW = 160;
  items.forEach((item, i) => {
    const y = i * row + 2;
    const w = ((W - labelW - 50) * item.value) / max;
    svg.append(
      el("text", { x: labelW - 6, y: y + 14, "text-anchor": "end", class: "label" }, item.label.length > 24 ? `${item.label.slice(0, 23)}…` : item.label),
      el("rect", { x: labelW, y: y + 3, width: Math.max(w, 1), height: row - 8, class: `bar ${item.cls || ""}` }),
      el("text", { x: labelW + w + 4, y: y + 14, class: "value" }, String(item.value)));
  });
  return svg;
}
