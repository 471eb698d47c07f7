// The live event feed: EventSource cannot send the bearer token, so each connection first
// gets a one-time ticket (POST /events/ticket) and opens /events/ticketed?ticket=…; on an
// error it closes and reconnects with a fresh ticket, backing off up to 30 s.

import { call, qs } from "./api.js";

/** Follows events (of one device when given); returns a function that stops. */
export function follow(onEvent, onState, device) {
  let source = null;
  let stopped = false;
  let delay = 1000;
  let timer = null;

  async function connect() {
    if (stopped) return;
    try {
      const { body } = await call("POST", "/events/ticket");
      if (stopped) return;
      source = new EventSource(`/events/ticketed${qs({ ticket: body.ticket, device })}`);
    } catch (e) {
      onState(`disconnected (${e.message})`);
      if (e.status !== 401) retry();
      return;
    }
    source.onopen = () => { delay = 1000; onState("live"); };
    source.onmessage = (m) => {
      try { onEvent(JSON.parse(m.data)); } catch { /* not an event */ }
    };
    source.addEventListener("dropped", () => onState("dropped by the server (too slow)"));
    source.onerror = () => {
      source.close();
      onState("reconnecting…");
      retry();
    };
  }

  function retry() {
    if (stopped) return;
    timer = setTimeout(connect, delay);
    delay = Math.min(delay * 2, 30000);
  }

  connect();
  return () => {
    stopped = true;
    clearTimeout(timer);
    if (source) source.close();
  };
}

/** One line describing an event. */
export function describe(e) {
  switch (e.type) {
    case "inform": return `Inform ${(e.events || []).join(", ")}`;
    case "session_end": return `session ended: ${e.outcome}`;
    case "task_done": return `task ${e.task} done`;
    case "task_fault": return `task ${e.task} faulted: ${e.fault?.code} ${e.fault?.message}`;
    case "fault": return `fault on ${e.channel}: ${e.fault?.code} ${e.fault?.message}`;
    case "autonomous_transfer": return `${e.download ? "download" : "upload"} by the device (${e.file_type})${e.fault ? ` failed: ${e.fault.code} ${e.fault.message}` : " done"}`;
    default: return JSON.stringify(e);
  }
}
