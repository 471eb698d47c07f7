//! Compact schema: the built-in files against the reference XML, round trips, broken input.

use std::path::PathBuf;

use crate::builtin::BuiltinModel;
use crate::schema::syntax::{BaseType, FacetAccess};
use crate::schema::{LoadOptions, ObjectAccess, ParamAccess, Schema};

fn reference(m: BuiltinModel) -> Option<PathBuf> {
    let p = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/ref/datamodels"
    ))
    .join(m.source_file());
    if p.is_file() {
        Some(p)
    } else {
        eprintln!("skipped: {} is missing", p.display());
        None
    }
}

/// Every fact of two schemas, item by item (what `to_compact` writes, read back through the
/// public API rather than through the writer, so a lossy reader cannot hide behind it).
fn assert_same(a: &Schema, b: &Schema) {
    assert_eq!(a.model_name(), b.model_name());
    assert_eq!(a.spec(), b.spec());
    assert_eq!(a.object_count(), b.object_count());
    assert_eq!(a.parameter_count(), b.parameter_count());
    for (x, y) in a.objects().zip(b.objects()) {
        assert_eq!(x.path(), y.path());
        assert_eq!(x.access(), y.access(), "{}", x.path());
        assert_eq!(x.min_entries(), y.min_entries(), "{}", x.path());
        assert_eq!(x.max_entries(), y.max_entries(), "{}", x.path());
        assert_eq!(x.num_entries_parameter(), y.num_entries_parameter());
        assert_eq!(x.enable_parameter(), y.enable_parameter());
        assert_eq!(x.status(), y.status());
        assert_eq!(x.version(), y.version(), "{}", x.path());
        assert_eq!(x.parent().map(|p| p.path()), y.parent().map(|p| p.path()));
        assert_eq!(keys(x), keys(y), "{}", x.path());
    }
    for (x, y) in a.parameters().zip(b.parameters()) {
        let path = x.path();
        assert_eq!(path, y.path());
        assert_eq!(x.syntax(), y.syntax(), "{path}");
        assert_eq!(x.access(), y.access(), "{path}");
        assert_eq!(x.active_notify(), y.active_notify(), "{path}");
        assert_eq!(x.forced_inform(), y.forced_inform(), "{path}");
        assert_eq!(x.status(), y.status(), "{path}");
        assert_eq!(x.version(), y.version(), "{path}");
        assert_eq!(
            x.default().map(|d| (d.kind, d.value)),
            y.default().map(|d| (d.kind, d.value)),
            "{path}"
        );
        assert_eq!(
            x.data_type().map(|d| d.name()),
            y.data_type().map(|d| d.name()),
            "{path}"
        );
    }
    for (x, y) in a.data_types().zip(b.data_types()) {
        assert_eq!(x.name(), y.name());
        assert_eq!(x.base().map(|d| d.name()), y.base().map(|d| d.name()));
        assert_eq!(x.syntax(), y.syntax(), "{}", x.name());
        assert_eq!(x.status(), y.status());
    }
}

fn keys(o: crate::ObjectRef<'_>) -> Vec<(bool, Vec<String>)> {
    o.unique_keys()
        .map(|k| (k.functional(), k.parameters().map(String::from).collect()))
        .collect()
}

#[test]
fn builtin_schemas_match_the_reference_xml() {
    for m in BuiltinModel::ALL {
        let Some(file) = reference(m) else { continue };
        let xml = Schema::from_file(&file, &LoadOptions::default()).expect("the XML loads");
        let written = xml.to_compact();
        assert!(
            written == m.compact().expect("inflates"),
            "the built-in {m} schema is out of date with {}: run scripts/gen-schemas.sh",
            file.display()
        );
        assert_same(&xml, &m.load().expect("the built-in schema loads"));
    }
}

#[test]
fn builtin_schemas_load_and_write_back_byte_for_byte() {
    for m in BuiltinModel::ALL {
        let s = m.load().expect("loads");
        assert!(
            s.to_compact() == m.compact().expect("inflates"),
            "{m} does not round-trip"
        );
    }
}

#[test]
fn the_embedded_schemas_are_the_committed_files() {
    let committed = [
        include_str!("../../../schemas/tr-181-2-17-0-cwmp.jsonl"),
        include_str!("../../../schemas/tr-098-1-8-0.jsonl"),
    ];
    for (m, text) in BuiltinModel::ALL.into_iter().zip(committed) {
        assert!(m.compact().expect("inflates") == text, "{m}");
        assert!(m.embedded_size() < text.len() / 5, "{m} is deflated");
    }
}

#[test]
fn builtin_tr181_keeps_the_facts_an_agent_needs() {
    let s = BuiltinModel::Tr181.load().expect("loads");
    assert_eq!(s.model_name(), "Device:2.17");
    assert_eq!((s.object_count(), s.parameter_count()), (789, 6466));
    let sv = s
        .parameter("Device.DeviceInfo.SoftwareVersion")
        .expect("defined");
    assert!(sv.forced_inform());
    let pii = s
        .parameter("Device.ManagementServer.PeriodicInformInterval")
        .expect("defined");
    assert_eq!(pii.access(), ParamAccess::ReadWrite);
    assert_eq!(pii.syntax().base, BaseType::UnsignedInt);
    assert_eq!(pii.syntax().ranges.first().and_then(|r| r.min), Some(1));
    assert_eq!(pii.syntax().units.as_deref(), Some("seconds"));
    let ip = s.object("Device.IP.Interface.{i}.").expect("defined");
    assert_eq!(ip.access(), ObjectAccess::ReadWrite);
    assert_eq!(ip.max_entries(), None);
    assert_eq!(ip.num_entries_parameter(), Some("InterfaceNumberOfEntries"));
    assert!(ip.unique_keys().len() >= 1);
    let state = s
        .parameter("Device.IP.Diagnostics.IPPing.DiagnosticsState")
        .expect("defined");
    let none = state
        .syntax()
        .enumerations
        .iter()
        .find(|e| &*e.value == "None")
        .expect("None is listed");
    assert_eq!(none.access, FacetAccess::ReadOnly);
    assert!(state.syntax().allows_enum_value("Requested"));
    let pw = s
        .parameter("Device.ManagementServer.Password")
        .expect("defined");
    assert!(pw.syntax().reads_as_null());
    assert!(s.description_free());
}

#[test]
fn builtin_tr098_loads() {
    let s = BuiltinModel::Tr098.load().expect("loads");
    assert_eq!(s.model_name(), "InternetGatewayDevice:1.14");
    assert_eq!((s.object_count(), s.parameter_count()), (192, 1800));
    assert!(
        s.object("InternetGatewayDevice.IPPingDiagnostics.")
            .is_some()
    );
}

const HEADER: &str = "{\"k\":\"schema\",\"format\":1,\"model\":\"Device:2.17\"}\n";

fn refused(body: &str) -> String {
    match Schema::from_compact(&format!("{HEADER}{body}"), "t.jsonl") {
        Ok(_) => panic!("accepted: {body}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn broken_files_are_errors_naming_the_line() {
    let e = Schema::from_compact("", "t.jsonl").expect_err("refused");
    assert!(e.to_string().contains("no schema header"), "{e}");
    let e = Schema::from_compact("{\"k\":\"object\",\"path\":\"Device.\"}\n", "t.jsonl")
        .expect_err("refused");
    assert!(e.to_string().contains("t.jsonl:1:"), "{e}");
    let e = Schema::from_compact(
        "{\"k\":\"schema\",\"format\":9,\"model\":\"Device:2.17\"}\n",
        "t.jsonl",
    )
    .expect_err("refused");
    assert!(e.to_string().contains("format 9"), "{e}");
    let obj = "{\"k\":\"object\",\"path\":\"Device.\"}\n";
    let syn = "{\"k\":\"syntax\",\"base\":\"string\"}\n";
    assert!(
        refused("{\"k\":\"param\",\"name\":\"A\",\"syntax\":0}\n").contains("before any object")
    );
    let e = refused(&format!(
        "{obj}{{\"k\":\"param\",\"name\":\"A\",\"syntax\":0}}\n"
    ));
    assert!(e.contains("t.jsonl:3:") && e.contains("not defined"), "{e}");
    assert!(refused(&format!("{obj}{obj}")).contains("defined twice"));
    assert!(refused("{\"k\":\"object\",\"path\":\"Device\"}\n").contains("dot"));
    assert!(refused("{\"k\":\"object\",\"path\":\"De vice.\"}\n").contains("De vice."));
    assert!(
        refused(&format!(
            "{syn}{obj}{{\"k\":\"param\",\"name\":\"A.B\",\"syntax\":0}}\n"
        ))
        .contains("bad parameter name")
    );
    assert!(refused(&format!("{syn}{syn}")).contains("repeats"));
    assert!(
        refused("{\"k\":\"syntax\",\"base\":\"int\",\"ranges\":[{\"step\":0}]}\n").contains("step")
    );
    assert!(
        refused("{\"k\":\"syntax\",\"base\":\"int\",\"ranges\":[{\"min\":5,\"max\":1}]}\n")
            .contains("min 5 > max 1")
    );
    assert!(
        refused("{\"k\":\"syntax\",\"base\":\"int\",\"data_type\":3}\n")
            .contains("missing data type")
    );
    assert!(
        refused(&format!(
            "{syn}{{\"k\":\"type\",\"name\":\"T\",\"base\":7,\"syntax\":0}}\n"
        ))
        .contains("missing item")
    );
    assert!(refused("{\"k\":\"syntax\",\"base\":\"float\"}\n").contains("t.jsonl:2:"));
    assert!(refused("{\"k\":\"syntax\",\"base\":\"string\",\"extra\":1}\n").contains("extra"));
    assert!(refused(HEADER).contains("second header"));
    assert!(refused("not json\n").contains("t.jsonl:2:"));
}

#[test]
fn wide_integer_bounds_survive() {
    let text = format!(
        "{HEADER}{{\"k\":\"syntax\",\"base\":\"unsignedLong\",\"ranges\":[{{\"min\":0,\"max\":18446744073709551615}}]}}\n\
         {{\"k\":\"syntax\",\"base\":\"long\",\"ranges\":[{{\"min\":\"-99999999999999999999\"}}]}}\n"
    );
    let s = Schema::from_compact(&text, "t").expect("loads");
    assert_eq!(s.syntaxes[0].ranges[0].max, Some(i128::from(u64::MAX)));
    assert_eq!(
        s.syntaxes[1].ranges[0].min,
        Some(-99_999_999_999_999_999_999)
    );
    assert_eq!(s.to_compact(), text);
}

#[test]
fn every_truncation_of_a_builtin_file_is_refused_or_loads_without_panic() {
    let text = BuiltinModel::Tr098.compact().expect("inflates");
    let text = text.as_str();
    let mut cut = 0;
    while cut < text.len() {
        if text.is_char_boundary(cut) {
            let _ = Schema::from_compact(&text[..cut], "cut");
        }
        cut += 997;
    }
}
