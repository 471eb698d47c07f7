//! Script engine bench for GenieACS provision scripts: QuickJS (rquickjs) against boa_engine.
//!
//! Measures, per engine, in one process: start-up per run (a fresh runtime and context with the
//! `declare()` host function, then a one-line script), `declare()` throughput through that host
//! function (each call reads the path and the `value` members of its two object arguments on
//! the Rust side, as the ACS does), and memory per run. Run it with
//! `cargo run --release --manifest-path bench/script-engines/Cargo.toml --target-dir target`.
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::RefCell;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Counts live and peak heap bytes that go through the Rust allocator (boa's heap; QuickJS
/// allocates with libc malloc and reports its own figures).
struct Counting;
static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let live = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
        PEAK.fetch_max(live, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

/// A declaration as the ACS keeps it.
#[derive(Debug)]
#[allow(dead_code)]
struct Decl {
    path: String,
    ts: Option<f64>,
    value: Option<String>,
}

thread_local! {
    static DECLS: RefCell<Vec<Decl>> = const { RefCell::new(Vec::new()) };
}

const TRIVIAL: &str = "declare('Device.DeviceInfo.SerialNumber', {value: 1});";

fn declare_loop(n: usize) -> String {
    format!(
        "const now = Date.now();\n\
         for (let i = 0; i < {n}; i++) {{\n\
           declare('Device.WiFi.SSID.' + (i % 8 + 1) + '.SSID', {{value: now}}, {{value: 'guest-' + i}});\n\
         }}"
    )
}

mod qjs {
    use super::*;
    use rquickjs::{Context, Ctx, Function, Object, Runtime, Value};

    fn opt_value<'js>(v: Option<Value<'js>>) -> (Option<f64>, Option<String>) {
        let Some(obj) = v.and_then(|v| v.into_object()) else {
            return (None, None);
        };
        let val: Option<Value> = obj.get::<_, Value>("value").ok();
        match val {
            Some(v) if v.is_number() => (v.as_number(), None),
            Some(v) if v.is_string() => (None, v.as_string().and_then(|s| s.to_string().ok())),
            _ => (None, None),
        }
    }

    /// One run: fresh runtime + context + host function, evaluate `src`; returns the
    /// runtime's malloc size at the end of the run.
    pub fn run(src: &str) -> usize {
        let rt = Runtime::new().expect("runtime");
        rt.set_memory_limit(16 << 20);
        let deadline = Instant::now() + Duration::from_secs(10);
        rt.set_interrupt_handler(Some(Box::new(move || Instant::now() > deadline)));
        let ctx = Context::full(&rt).expect("context");
        ctx.with(|ctx: Ctx| {
            let f = Function::new(ctx.clone(), |path: String, ts: rquickjs::function::Opt<Object>, vals: rquickjs::function::Opt<Object>| {
                let (t, _) = opt_value(ts.0.map(|o| o.into_value()));
                let (_, v) = opt_value(vals.0.map(|o| o.into_value()));
                DECLS.with(|d| d.borrow_mut().push(Decl { path, ts: t, value: v }));
            })
            .expect("fn");
            ctx.globals().set("declare", f).expect("set");
            ctx.eval::<(), _>(src).expect("eval");
        });
        rt.memory_usage().malloc_size as usize
    }
}

mod boa {
    use super::*;
    use boa_engine::{js_string, Context, JsValue, NativeFunction, Source};

    fn member(v: Option<&JsValue>, ctx: &mut Context) -> Option<JsValue> {
        let obj = v?.as_object()?;
        obj.get(js_string!("value"), ctx).ok()
    }

    pub fn run(src: &str) {
        let mut ctx = Context::default();
        ctx.register_global_callable(
            js_string!("declare"),
            3,
            NativeFunction::from_fn_ptr(|_this, args, ctx| {
                let path = args
                    .first()
                    .cloned()
                    .unwrap_or_default()
                    .to_string(ctx)?
                    .to_std_string_escaped();
                let ts = member(args.get(1), ctx).and_then(|v| v.as_number());
                let value = member(args.get(2), ctx)
                    .and_then(|v| v.as_string().map(|s| s.to_std_string_escaped()));
                DECLS.with(|d| d.borrow_mut().push(Decl { path, ts, value }));
                Ok(JsValue::undefined())
            }),
        )
        .expect("register");
        ctx.eval(Source::from_bytes(src)).expect("eval");
    }
}

fn per_run(label: &str, runs: usize, mut f: impl FnMut()) -> f64 {
    for _ in 0..runs / 10 {
        f();
    }
    let start = Instant::now();
    for _ in 0..runs {
        f();
        DECLS.with(|d| d.borrow_mut().clear());
    }
    let us = start.elapsed().as_secs_f64() * 1e6 / runs as f64;
    println!("{label:<44} {us:>10.1} µs/run");
    us
}

fn main() {
    let runs = 300;
    let n = 10_000;
    println!("== start-up per run (runtime + context + declare() + one-line script) ==");
    per_run("quickjs (rquickjs 0.11)", runs, || {
        qjs::run(TRIVIAL);
    });
    per_run("boa_engine 0.21", runs, || boa::run(TRIVIAL));

    println!("== declare() throughput ({n} calls per run, incl. start-up) ==");
    let big = declare_loop(n);
    let q = per_run("quickjs", 20, || {
        qjs::run(&big);
    });
    println!("{:<44} {:>10.2} M declare/s", "quickjs", n as f64 / q);
    let b = per_run("boa", 20, || boa::run(&big));
    println!("{:<44} {:>10.2} M declare/s", "boa", n as f64 / b);

    println!("== memory per run ==");
    let small = qjs::run(TRIVIAL);
    let large = qjs::run(&declare_loop(1_000));
    println!("quickjs runtime malloc_size: trivial {} KiB, 1,000 declares {} KiB", small / 1024, large / 1024);
    for (label, src) in [("trivial", TRIVIAL.to_string()), ("1,000 declares", declare_loop(1_000))] {
        let base = LIVE.load(Ordering::Relaxed);
        PEAK.store(base, Ordering::Relaxed);
        boa::run(&src);
        let peak = PEAK.load(Ordering::Relaxed) - base;
        println!("boa peak Rust-heap growth during run ({label}): {} KiB", peak / 1024);
        DECLS.with(|d| d.borrow_mut().clear());
    }
    // QuickJS peak through the Rust allocator is not visible: report its own peak by sampling
    // malloc_size is exact at the end of the run; the memory limit bounds the peak.
}
