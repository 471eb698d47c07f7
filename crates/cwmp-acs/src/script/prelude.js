// The GenieACS provision API inside the sandbox (written for cwmp-acs from GenieACS's
// documentation: docs/provisions.rst, docs/virtual-parameters.rst). `__host` holds the Rust
// side; it is removed from the global object before the script runs.
(function (g) {
  "use strict";
  const host = g.__host;
  delete g.__host;
  const STOP = host.stop;
  const RealDate = g.Date;
  const now = host.now;

  function sync() {
    if (!host.commit()) throw STOP;
  }

  function rows(path) {
    sync();
    return JSON.parse(host.unpack(path));
  }

  function wrap(path, attrs, fixed) {
    const get = () => (fixed ? [fixed] : rows(path));
    const o = {};
    for (const a of attrs) {
      Object.defineProperty(o, a, {
        enumerable: true,
        get() {
          const r = get();
          if (!r.length) return undefined;
          const v = r[0][a];
          return v === null ? undefined : v;
        },
      });
    }
    Object.defineProperty(o, "path", {
      get() {
        const r = get();
        return r.length ? r[0].path : undefined;
      },
    });
    Object.defineProperty(o, "size", {
      get() {
        const r = get();
        return r.length ? r.length : undefined;
      },
    });
    o[Symbol.iterator] = function* () {
      for (const r of get()) yield wrap(r.path, attrs, r);
    };
    return o;
  }

  function declare(path, timestamps, values) {
    const attrs = JSON.parse(
      host.declare(String(path), JSON.stringify(timestamps || {}), JSON.stringify(values || {})),
    );
    return wrap(String(path), attrs, null);
  }

  function clear(path, timestamp, attributes) {
    host.clear(String(path), Number(timestamp), JSON.stringify(attributes || null));
  }

  function commit() {
    sync();
  }

  function ext(...args) {
    return JSON.parse(host.ext(JSON.stringify(args.map(String))));
  }

  function log(msg) {
    host.log(String(msg));
  }

  function SandboxDate(...a) {
    if (!new.target) return new RealDate(now).toString();
    return a.length ? new RealDate(...a) : new RealDate(now);
  }
  SandboxDate.prototype = RealDate.prototype;
  SandboxDate.now = function (interval, variance) {
    if (interval === undefined || interval === null) return now;
    if (typeof interval === "number") {
      return host.interval(interval, variance === undefined ? interval : Number(variance) || 0);
    }
    if (typeof interval === "string") {
      return host.cron(interval, Number(variance) || 0);
    }
    throw new Error("Invalid Date.now() argument");
  };
  SandboxDate.parse = RealDate.parse;
  SandboxDate.UTC = RealDate.UTC;

  // Math.random() seeded with the device id, as GenieACS does (mulberry32 over an FNV-1a
  // hash of the seed), so a script draws the same numbers for a device in every run.
  function hash(s) {
    let h = 0x811c9dc5;
    for (let i = 0; i < s.length; i++) {
      h ^= s.charCodeAt(i);
      h = Math.imul(h, 0x01000193);
    }
    return h >>> 0;
  }
  let seed = hash(host.deviceId);
  function random() {
    seed = (seed + 0x6d2b79f5) >>> 0;
    let t = seed;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  random.seed = function (s) {
    seed = hash(String(s));
  };
  Math.random = random;

  const define = (name, value) =>
    Object.defineProperty(g, name, { value, writable: false, enumerable: false, configurable: false });
  define("declare", declare);
  define("clear", clear);
  define("commit", commit);
  define("ext", ext);
  define("log", log);
  define("now", now);
  define("args", JSON.parse(host.args));
  Object.defineProperty(g, "Date", { value: SandboxDate, writable: true, configurable: true });
})(globalThis);
