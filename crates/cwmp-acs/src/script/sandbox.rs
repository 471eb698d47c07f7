//! One script run in QuickJS (rquickjs): a fresh runtime per run with a memory limit, an
//! interrupt handler enforcing the wall-time limit, no module loader and no std/os modules
//! (so no file, network, process or clock access beyond the session time `Date` gives),
//! and the GenieACS API of `prelude.js` bound to [`Host`].
//!
//! The GenieACS revision model is kept in its effect: a script runs until it reads an
//! attribute (`.value`, `.size`, iteration, `commit()`) of a declaration the ACS does not
//! know fresh enough; the run stops there, the session reads what is missing from the CPE
//! and runs the script again from the start with the answers (docs/provisions.rst).

use std::cell::{Cell, RefCell};
use std::collections::HashSet;
use std::rc::Rc;
use std::str::FromStr as _;
use std::sync::Arc;
use std::time::{Duration, Instant};

use md5::Digest as _;
use rquickjs::context::{EvalOptions, intrinsic};
use rquickjs::{Context, Ctx, Exception, Function, Object, Runtime, Value};
use serde_json::{Value as Json, json};

use super::declaration::{Declaration, Known, Need};
use super::ext::ExtCache;
use super::tree::Tree;
use super::{Clear, Limits, RunInput, RunOutput, ScriptFault};

const PRELUDE: &str = include_str!("prelude.js");

/// The opening of the function a script runs in (GenieACS runs scripts as a function body, so
/// `return` works); on the script's first line, so line numbers stay the script's own.
const WRAP_OPEN: &str = "(function(){";
/// Name of the script in stack traces.
const FILE: &str = "script";

/// What session facts a run sees (owned: the run happens on a blocking thread).
#[derive(Debug, Clone, Default)]
pub struct Facts {
    /// Objects listed in this session (`a.b.`).
    pub enumerated: HashSet<String>,
    /// Objects listed with their whole subtree in this session.
    pub deep: HashSet<String>,
    /// Leaves read in this session.
    pub read: HashSet<String>,
    /// Virtual parameters with a script, not computed in this session.
    pub virtual_pending: HashSet<String>,
}

impl Facts {
    fn known(&self) -> Known<'_> {
        Known {
            enumerated: &self.enumerated,
            deep: &self.deep,
            read: &self.read,
            virtual_pending: &self.virtual_pending,
        }
    }
}

struct Host {
    tree: Arc<Tree>,
    facts: Arc<Facts>,
    declarations: Vec<Declaration>,
    checked: usize,
    needs: Vec<Need>,
    stopped: bool,
    clears: Vec<Clear>,
    logs: Vec<String>,
    fault: Option<ScriptFault>,
    max_declarations: usize,
    /// Bytes of declaration text kept so far (held outside the JavaScript heap, so bounded
    /// by the same memory limit).
    kept_bytes: usize,
    max_kept_bytes: usize,
    ext: ExtCache,
    device_id: String,
    now: i64,
}

impl Host {
    /// GenieACS `commit()`: true when every declaration so far is known fresh.
    fn commit(&mut self) -> bool {
        if self.stopped || self.fault.is_some() {
            return false;
        }
        let mut needs = Vec::new();
        for d in &self.declarations[self.checked..] {
            d.needs(&self.tree, self.facts.known(), &mut needs);
        }
        self.checked = self.declarations.len();
        if needs.is_empty() {
            return true;
        }
        self.needs.extend(needs);
        self.stopped = true;
        false
    }
}

fn variance(device_id: &str, variance: f64) -> f64 {
    if variance.is_nan() || variance < 1.0 {
        return 0.0;
    }
    let d = md5::Md5::digest(device_id.as_bytes());
    let n = u32::from_le_bytes([d[0], d[1], d[2], d[3]]);
    f64::from(n) % variance.trunc()
}

fn interval(t: f64, every: f64, offset: f64) -> f64 {
    ((t + offset) / every).trunc() * every - offset
}

/// The last time at or before `t` (ms) that a 5- or 6-field cron expression names.
fn cron_before(t: i64, expr: &str, offset: f64) -> Result<f64, String> {
    let fields: Vec<&str> = expr.split_whitespace().collect();
    let expression = match fields.len() {
        5 => format!("0 {}", fields.join(" ")),
        6 => fields.join(" "),
        n => return Err(format!("cron expression has {n} fields, not 5 or 6")),
    };
    let schedule = cron::Schedule::from_str(&expression)
        .map_err(|e| format!("cron expression {expr:?}: {e}"))?;
    let at = t.saturating_add(offset as i64).saturating_add(1);
    let from =
        chrono::DateTime::<chrono::Utc>::from_timestamp_millis(at).ok_or("time out of range")?;
    let prev = schedule
        .after(&from)
        .next_back()
        .ok_or("cron expression never matches")?;
    Ok(prev.timestamp_millis() as f64 - offset)
}

fn location(text: &str) -> (Option<u32>, Option<u32>) {
    let marker = format!("{FILE}:");
    let Some(i) = text.find(&marker) else {
        return (None, None);
    };
    let rest = &text[i + marker.len()..];
    let mut nums = rest.split(|c: char| !c.is_ascii_digit()).take(2);
    let line = nums.next().and_then(|n| n.parse().ok());
    let col = rest
        .split_once(':')
        .and_then(|(_, c)| c.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|n| n.parse::<u32>().ok());
    // Columns on the first line count the wrapper's opening.
    let col = match (line, col) {
        (Some(1), Some(c)) => Some(c.saturating_sub(WRAP_OPEN.len() as u32)),
        (_, c) => c,
    };
    (line, col)
}

/// The fault of a thrown value.
fn thrown(ctx: &Ctx<'_>, timed_out: bool) -> ScriptFault {
    if timed_out {
        return ScriptFault::new("script.timeout", "the script ran past its time limit");
    }
    let v: Value = ctx.catch();
    // QuickJS throws `null` when it cannot even allocate the "out of memory" error (the
    // heap is at its limit): a script's own `throw null` reads as a memory fault too.
    if v.is_null() {
        return ScriptFault::new("script.memory", "the script went past its memory limit");
    }
    if let Some(ex) = v
        .as_object()
        .and_then(|o| Exception::from_object(o.clone()))
    {
        let message = ex.message().unwrap_or_default();
        if message.contains("out of memory") {
            return ScriptFault::new("script.memory", "the script went past its memory limit");
        }
        let name: String = ex
            .as_object()
            .get("name")
            .unwrap_or_else(|_| "Error".into());
        let stack = ex.stack().unwrap_or_default();
        let (line, column) = location(&stack);
        let mut f = ScriptFault::new("script.error", format!("{name}: {message}"));
        f.line = line;
        f.column = column;
        return f;
    }
    let text = v
        .as_string()
        .and_then(|s| s.to_string().ok())
        .or_else(|| {
            ctx.json_stringify(v)
                .ok()
                .flatten()
                .and_then(|s| s.to_string().ok())
        })
        .unwrap_or_else(|| "a non-Error value was thrown".into());
    ScriptFault::new(
        "script.error",
        format!("uncaught {}", text.chars().take(500).collect::<String>()),
    )
}

fn host_error(ctx: &Ctx<'_>, msg: &str) -> rquickjs::Error {
    Exception::throw_message(ctx, msg)
}

/// A runtime with its deadline (extended by time spent in extensions) and timed-out flag.
type Limited = (Runtime, Rc<Cell<Instant>>, Rc<Cell<bool>>);

fn runtime(limits: &Limits) -> Result<Limited, ScriptFault> {
    let rt = Runtime::new()
        .map_err(|e| ScriptFault::new("script.memory", format!("no runtime: {e}")))?;
    rt.set_memory_limit(limits.memory_bytes);
    rt.set_max_stack_size(256 * 1024);
    rt.set_gc_threshold(limits.memory_bytes / 4);
    let deadline = Rc::new(Cell::new(Instant::now() + limits.wall_time));
    let timed_out = Rc::new(Cell::new(false));
    let (d, t) = (Rc::clone(&deadline), Rc::clone(&timed_out));
    rt.set_interrupt_handler(Some(Box::new(move || {
        let over = Instant::now() > d.get();
        if over {
            t.set(true);
        }
        over
    })));
    Ok((rt, deadline, timed_out))
}

type Intrinsics = (
    intrinsic::Date,
    intrinsic::Eval,
    intrinsic::RegExpCompiler,
    intrinsic::RegExp,
    intrinsic::Json,
    intrinsic::Proxy,
    intrinsic::MapSet,
    intrinsic::TypedArrays,
    intrinsic::Promise,
    intrinsic::BigInt,
    intrinsic::WeakRef,
);

fn options() -> EvalOptions {
    let mut o = EvalOptions::default();
    o.global = true;
    o.strict = false;
    o.filename = Some(FILE.into());
    o
}

/// Compiles `script` without running it: `Err` carries the engine's message and position.
pub fn check(script: &str, limits: &Limits) -> Result<(), ScriptFault> {
    let (rt, _, timed_out) = runtime(limits)?;
    let context = Context::custom::<Intrinsics>(&rt)
        .map_err(|e| ScriptFault::new("script.memory", e.to_string()))?;
    context.with(|ctx| {
        let src = format!("{WRAP_OPEN}{script}\n}})");
        match ctx.eval_with_options::<Value, _>(src, options()) {
            Ok(_) => Ok(()),
            Err(_) => Err(thrown(&ctx, timed_out.get())),
        }
    })
}

fn bind_host<'js>(
    ctx: &Ctx<'js>,
    host: &Rc<RefCell<Host>>,
    input: &RunInput<'_>,
    deadline: &Rc<Cell<Instant>>,
) -> rquickjs::Result<()> {
    let o = Object::new(ctx.clone())?;
    o.set("stop", Object::new(ctx.clone())?)?;
    o.set("now", input.now as f64)?;
    o.set("deviceId", input.device_id.to_owned())?;
    o.set(
        "args",
        serde_json::to_string(input.args).unwrap_or_else(|_| "[]".into()),
    )?;

    let h = Rc::clone(host);
    o.set(
        "commit",
        Function::new(ctx.clone(), move || h.borrow_mut().commit())?,
    )?;

    let h = Rc::clone(host);
    o.set(
        "unpack",
        Function::new(ctx.clone(), move |path: String| -> String {
            let host = h.borrow();
            let Ok(p) = super::path::Path::parse(&path) else {
                return "[]".into();
            };
            let rows: Vec<Json> = host
                .tree
                .expand(&p)
                .iter()
                .map(|m| host.tree.attributes(m))
                .collect();
            Json::Array(rows).to_string()
        })?,
    )?;

    let h = Rc::clone(host);
    o.set(
        "declare",
        Function::new(
            ctx.clone(),
            move |ctx: Ctx<'js>,
                  path: String,
                  ts: String,
                  vals: String|
                  -> rquickjs::Result<String> {
                let mut host = h.borrow_mut();
                if ts.len() > super::declaration::MAX_DECLARATION_JSON
                    || vals.len() > super::declaration::MAX_DECLARATION_JSON
                {
                    return Err(host_error(
                        &ctx,
                        "declare(): timestamps or values too large",
                    ));
                }
                if host.declarations.len() >= host.max_declarations {
                    if host.fault.is_none() {
                        host.fault = Some(ScriptFault::new(
                            "script.declarations",
                            format!(
                                "more than {} declarations in one run",
                                host.max_declarations
                            ),
                        ));
                    }
                    return Err(host_error(&ctx, "too many declarations"));
                }
                host.kept_bytes = host
                    .kept_bytes
                    .saturating_add(path.len() + ts.len() + vals.len());
                if host.kept_bytes > host.max_kept_bytes {
                    host.fault.get_or_insert(ScriptFault::new(
                        "script.memory",
                        "the script's declarations went past its memory limit",
                    ));
                    return Err(host_error(&ctx, "declarations too large"));
                }
                let parse = |s: &str| serde_json::from_str::<Json>(s).unwrap_or(Json::Null);
                let d = Declaration::parse(&path, &parse(&ts), &parse(&vals))
                    .map_err(|e| host_error(&ctx, &format!("declare(): {e}")))?;
                let attrs = json!(d.attributes()).to_string();
                if !host.stopped {
                    host.declarations.push(d);
                }
                Ok(attrs)
            },
        )?,
    )?;

    let h = Rc::clone(host);
    o.set(
        "clear",
        Function::new(
            ctx.clone(),
            move |ctx: Ctx<'js>, path: String, ts: f64, _attrs: String| -> rquickjs::Result<()> {
                let p = super::path::Path::parse(&path)
                    .map_err(|e| host_error(&ctx, &format!("clear(): {e}")))?;
                let mut host = h.borrow_mut();
                if host.clears.len() >= 1000 {
                    return Err(host_error(&ctx, "clear(): more than 1000 calls"));
                }
                if !host.stopped && ts.is_finite() {
                    host.clears.push(Clear {
                        path: p,
                        timestamp: ts as i64,
                    });
                }
                Ok(())
            },
        )?,
    )?;

    let h = Rc::clone(host);
    o.set(
        "log",
        Function::new(ctx.clone(), move |msg: String| {
            let mut host = h.borrow_mut();
            if host.logs.len() < 100 {
                host.logs.push(msg.chars().take(1000).collect());
            }
        })?,
    )?;

    let h = Rc::clone(host);
    o.set(
        "interval",
        Function::new(ctx.clone(), move |every: f64, var: f64| -> f64 {
            let host = h.borrow();
            if every.is_nan() || every < 1.0 {
                return host.now as f64;
            }
            interval(host.now as f64, every, variance(&host.device_id, var))
        })?,
    )?;

    let h = Rc::clone(host);
    o.set(
        "cron",
        Function::new(
            ctx.clone(),
            move |ctx: Ctx<'js>, expr: String, var: f64| -> rquickjs::Result<f64> {
                let host = h.borrow();
                cron_before(host.now, &expr, variance(&host.device_id, var))
                    .map_err(|e| host_error(&ctx, &format!("Date.now(): {e}")))
            },
        )?,
    )?;

    let h = Rc::clone(host);
    let dl = Rc::clone(deadline);
    o.set(
        "ext",
        Function::new(
            ctx.clone(),
            move |ctx: Ctx<'js>, args: String| -> rquickjs::Result<String> {
                let args: Vec<String> = serde_json::from_str(&args).unwrap_or_default();
                let started = Instant::now();
                let result = h.borrow_mut().ext.call(&args);
                // Time spent in the extension is the extension's (it has its own timeout).
                dl.set(dl.get() + started.elapsed());
                match result {
                    Ok(v) => Ok(v.to_string()),
                    Err(f) => {
                        let msg = f.message.clone();
                        h.borrow_mut().fault.get_or_insert(f);
                        Err(host_error(&ctx, &msg))
                    }
                }
            },
        )?,
    )?;
    ctx.globals().set("__host", o)?;
    Ok(())
}

/// Runs one pass of a script.
pub fn run(input: RunInput<'_>) -> RunOutput {
    let host = Rc::new(RefCell::new(Host {
        tree: Arc::clone(&input.tree),
        facts: Arc::clone(&input.facts),
        declarations: Vec::new(),
        checked: 0,
        needs: Vec::new(),
        stopped: false,
        clears: Vec::new(),
        logs: Vec::new(),
        fault: None,
        max_declarations: input.limits.max_declarations,
        kept_bytes: 0,
        max_kept_bytes: input.limits.memory_bytes,
        ext: input.ext.clone(),
        device_id: input.device_id.to_owned(),
        now: input.now,
    }));
    let mut fault = None;
    let mut return_value = None;
    let mut finished = false;
    match runtime(&input.limits) {
        Err(f) => fault = Some(f),
        Ok((rt, deadline, timed_out)) => match Context::custom::<Intrinsics>(&rt) {
            Err(e) => fault = Some(ScriptFault::new("script.memory", e.to_string())),
            Ok(context) => context.with(|ctx| {
                if bind_host(&ctx, &host, &input, &deadline).is_err()
                    || ctx.eval::<(), _>(PRELUDE).is_err()
                {
                    fault = Some(thrown(&ctx, timed_out.get()));
                    return;
                }
                let src = format!("{WRAP_OPEN}{}\n}})()", input.script);
                match ctx.eval_with_options::<Value, _>(src, options()) {
                    Ok(v) => {
                        finished = true;
                        if !v.is_undefined() {
                            return_value = ctx
                                .json_stringify(v)
                                .ok()
                                .flatten()
                                .and_then(|s| s.to_string().ok())
                                .and_then(|s| serde_json::from_str(&s).ok());
                        }
                    }
                    Err(_) => {
                        let f = thrown(&ctx, timed_out.get());
                        // A stop for missing data is not a fault, unless a limit hit.
                        let limit = f.code == "script.timeout" || f.code == "script.memory";
                        if limit || !host.borrow().stopped {
                            fault = Some(f);
                        }
                    }
                }
            }),
        },
    }
    // The runtime (and the host functions holding `host`) is gone: the state is ours.
    let mut h = host.borrow_mut();
    if let Some(f) = h.fault.take() {
        // A host-detected fault (too many declarations, extension) wins over what the
        // script made of the exception it got.
        fault = Some(f);
    }
    if finished && !h.stopped && fault.is_none() {
        h.commit();
    }
    let mut needs = std::mem::take(&mut h.needs);
    needs.sort();
    needs.dedup();
    RunOutput {
        declarations: std::mem::take(&mut h.declarations),
        needs,
        done: finished && !h.stopped,
        clears: std::mem::take(&mut h.clears),
        logs: std::mem::take(&mut h.logs),
        fault,
        return_value,
        ext: std::mem::take(&mut h.ext),
    }
}

/// Wall time given to scripts by default.
pub const DEFAULT_WALL_TIME: Duration = Duration::from_millis(100);
