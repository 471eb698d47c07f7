//! Tree operation figures: GPV of 1,000 parameters, GPN of the whole default
//! profile, SPV of 100 parameters, schema load time. Uses the shared TR-181
//! file when present, else the inline mini model of the tests.

#[path = "../tests/common/mod.rs"]
mod common;

use std::hint::black_box;
use std::sync::Arc;

use criterion::{Criterion, criterion_group, criterion_main};
use cwmp::Value;
use cwmp_datamodel::{LoadOptions, Model, ModelOptions, NoBackend, Profile, Schema, Tree};

const TR181: &str = "tr-181-2-17-0-cwmp-full.xml";

/// (default-profile tree, table to grow for 1,000 parameters, writable table, its parameter).
fn setup() -> (Tree, &'static str, &'static str, &'static str) {
    if let Some(path) = common::model_file(TR181) {
        if let Ok(schema) = Schema::from_file(&path, &LoadOptions::default()) {
            let profile = Profile::tr181_gateway().expect("profile");
            if let Ok(m) = Model::new(Arc::new(schema), &profile, ModelOptions::default()) {
                return (
                    Tree::new(Arc::new(m)),
                    "Device.Hosts.Host.",
                    "Device.DNS.Client.Server.",
                    "DNSServer",
                );
            }
        }
    }
    (
        common::mini_tree(),
        "Device.Interface.1.Address.",
        "Device.Interface.1.Address.",
        "IP",
    )
}

fn bench(c: &mut Criterion) {
    let (base, grow, writable, wparam) = setup();

    c.bench_function("gpn_whole_default_profile", |b| {
        b.iter(|| black_box(base.get_parameter_names("", false).expect("gpn")))
    });

    let mut big = base.clone();
    while big
        .get_parameter_values(&[""], &NoBackend)
        .expect("gpv")
        .len()
        < 1000
    {
        big.add_instance_local(grow).expect("add");
    }
    let names: Vec<String> = big
        .get_parameter_values(&[""], &NoBackend)
        .expect("gpv")
        .into_iter()
        .take(1000)
        .map(|p| p.name)
        .collect();
    c.bench_function("gpv_1000_full_names", |b| {
        b.iter(|| black_box(big.get_parameter_values(&names, &NoBackend).expect("gpv")))
    });
    c.bench_function("gpv_whole_tree_partial_path", |b| {
        b.iter(|| black_box(big.get_parameter_values(&[""], &NoBackend).expect("gpv")))
    });

    let mut w = base.clone();
    let mut list = Vec::new();
    while list.len() < 100 {
        let n = w
            .add_object(writable, "", &mut NoBackend)
            .expect("add")
            .instance_number;
        list.push(common::pv(
            format!("{writable}{n}.{wparam}"),
            Value::string(format!("10.0.{}.{}", n / 250, n % 250)),
        ));
    }
    c.bench_function("spv_100", |b| {
        b.iter(|| {
            black_box(
                w.set_parameter_values(&list, "bench", &mut NoBackend)
                    .expect("spv"),
            )
        })
    });

    c.bench_function("tree_new_default_profile", |b| {
        b.iter(|| black_box(Tree::new(base.model().clone())))
    });

    let mut g = c.benchmark_group("schema_load");
    g.sample_size(10);
    match common::model_file(TR181) {
        Some(path) => g.bench_function("tr181_full", |b| {
            b.iter(|| black_box(Schema::from_file(&path, &LoadOptions::default()).expect("load")))
        }),
        None => g.bench_function("mini_inline", |b| {
            b.iter(|| {
                black_box(
                    Schema::from_xml(common::MINI_XML, "mini.xml", &LoadOptions::default())
                        .expect("load"),
                )
            })
        }),
    };
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
