//! The expression language against one device: precedence, NULL, typed comparison, LIKE,
//! `NOW()`, every refusal, and the bounds.

use cwmp::Value;

use super::*;
use crate::query::{CmpOp, Cond, DeviceView, Field, Literal, Scalar, Term, parse_text};
use crate::store::{Device, DeviceIdentity, Parameter, Timestamp};

const T0: i64 = 1_700_000_000_000;

fn device() -> (Device, Vec<Parameter>) {
    let identity = DeviceIdentity {
        manufacturer: "Acme".into(),
        oui: "00259E".into(),
        product_class: "P".into(),
        serial_number: "S1".into(),
    };
    let device = Device {
        id: identity.device_id(),
        identity,
        created: Timestamp(T0),
        last_inform: Some(Timestamp(T0 + 1000)),
        last_events: Vec::new(),
        ip: None,
        connection_request_url: None,
        udp_connection_request_address: None,
        last_connection_request: None,
        firmware: None,
        tags: vec!["a b".into(), "lab".into()],
    };
    let param = |path: &str, value: Option<Value>| Parameter {
        path: path.into(),
        value,
        writable: None,
        notification: None,
        access_list: None,
        updated: Timestamp(T0),
    };
    let mut params = vec![
        param("Device.A", Some(Value::UnsignedInt(10))),
        param("Device.B", Some(Value::string("10"))),
        param("Device.C", Some(Value::Boolean(true))),
        param("Device.S", Some(Value::string("Hello_World%"))),
        param("Device.M", Some(Value::string("a\nb"))),
        param("Device.P", Some(Value::string("abc"))),
        param("Device.L", Some(Value::Long(-5))),
        param("Device.O.", None),
        param("Device.O", None),
    ];
    params.sort_by(|a, b| a.path.cmp(&b.path));
    (device, params)
}

fn at(text: &str, now: i64) -> bool {
    let (d, p) = device();
    let q = parse_expression(text, &Limits::default()).unwrap_or_else(|e| panic!("{text}: {e}"));
    q.matches_at(
        DeviceView {
            device: &d,
            params: &p,
        },
        Timestamp(now),
    )
}

fn holds(text: &str) -> bool {
    at(text, T0 + 2000)
}

fn check(cases: &[(&str, bool)]) {
    for (text, want) in cases {
        assert_eq!(holds(text), *want, "{text}");
    }
}

#[test]
fn precedence_not_and_or() {
    check(&[
        ("Device.A = 10 OR Device.A = 1 AND Device.A = 2", true),
        ("(Device.A = 10 OR Device.A = 1) AND Device.A = 2", false),
        ("NOT Device.A = 1 AND Device.A = 2", false),
        ("NOT (Device.A = 1 AND Device.A = 2)", true),
        ("NOT Device.A = 10 OR Device.A = 10", true),
        ("not device.a = 10 or Device.A = 10", true),
        ("NOT NOT Device.A = 10", true),
        ("1 + 2 * 3 = 7", true),
        ("(1 + 2) * 3 = 9", true),
        ("'a' || 1 + 2 = 'a3'", true),
        ("-2 * 3 = -6", true),
        ("10 - 2 - 3 = 5", true),
        ("2 * 3 % 4 = 2", true),
        ("7 / 2 = 3.5", true),
        ("Device.A=10 AND Device.B='10'", true),
    ]);
    assert!(parse_expression("Device.A=10AND x=1", &Limits::default()).is_err());
}

#[test]
fn null_semantics_as_genieacs() {
    check(&[
        ("Device.Missing = 1", false),
        ("Device.Missing <> 1", false),
        ("NOT Device.Missing = 1", false),
        ("Device.Missing IS NULL", true),
        ("Device.Missing IS NOT NULL", false),
        ("NOT Device.Missing IS NULL", false),
        ("Device.O IS NULL", true),
        ("Device.A IS NOT NULL", true),
        ("Device.A = NULL", false),
        ("Device.A <> NULL", false),
        ("NOT Device.A = NULL", false),
        ("NULL = NULL", false),
        ("NULL IS NULL", true),
        ("NOT NULL", false),
        ("NULL", false),
        ("TRUE", true),
        ("0", false),
        ("'x'", true),
        ("NULL OR Device.A = 10", true),
        ("NULL AND Device.A = 10", false),
        ("NOT (NULL AND Device.A = 1)", true),
        ("NOT (NULL OR Device.A = 10)", false),
        ("NOT (NULL OR Device.A = 1)", false),
        ("Device.Missing LIKE '%'", false),
        ("Device.Missing NOT LIKE '%'", false),
        ("COALESCE(NULL, NULL) IS NULL", true),
        ("1 + NULL IS NULL", true),
        ("1 / 0 IS NULL", true),
    ]);
}

#[test]
fn tags_are_true_or_null() {
    check(&[
        ("Tags.lab IS NOT NULL", true),
        ("Tags.nope IS NULL", true),
        ("Tags.lab = true", true),
        ("Tags.lab = 1", true),
        ("Tags.lab = false", false),
        ("NOT Tags.lab = false", true),
        ("NOT Tags.nope = true", false),
        ("Tags.nope <> true", false),
        ("Tags.a0x20b = TRUE", true),
        ("true = Tags.lab", true),
        ("Tags.lab LIKE '%'", false),
        ("DeviceID.ID = '00259E-P-S1' AND Tags.lab IS NOT NULL", true),
    ]);
}

#[test]
fn typed_comparison_as_genieacs() {
    check(&[
        ("Device.A = 10", true),
        ("Device.A = 10.0", true),
        ("Device.A = '10'", false),
        ("Device.B = '10'", true),
        ("Device.B = 10", false),
        ("Device.B > 5", true),
        ("Device.B >= 1e300", true),
        ("Device.B < 5", false),
        ("Device.B <> 5", true),
        ("Device.A < '0'", true),
        ("Device.A > '0'", false),
        ("Device.A <> 'x'", true),
        ("Device.B < '9'", true),
        ("Device.B > '1'", true),
        ("Device.C = 1", true),
        ("Device.C = true", true),
        ("Device.C > 0", true),
        ("Device.C = 'true'", false),
        ("Device.L < 0", true),
        ("Device.L = -5", true),
        ("5 < Device.A", true),
        ("10 <= Device.A", true),
        ("11 <= Device.A", false),
        ("Events.Inform > 1700000000000", true),
        ("Events.Inform = 1700000001000", true),
        ("DeviceID.SerialNumber = 'S1'", true),
        ("DeviceID.SerialNumber > 5", true),
        (
            "DeviceID.Manufacturer = 'Acme' AND DeviceID.OUI = '00259E'",
            true,
        ),
        ("DeviceID.ProductClass <> 'P'", false),
        ("Device.A._value = 10", true),
    ]);
}

#[test]
fn like_patterns_and_escapes() {
    check(&[
        ("Device.S LIKE 'Hello%'", true),
        ("Device.S LIKE 'Hello_World%'", true),
        ("Device.S LIKE 'hello%'", false),
        ("Device.S NOT LIKE 'hello%'", true),
        ("NOT Device.S LIKE 'hello%'", true),
        ("Device.S LIKE 'Hello'", false),
        ("Device.S LIKE '%World%'", true),
        ("Device.S LIKE '%%%'", true),
        ("Device.S LIKE 'H_llo%'", true),
        ("Device.S LIKE 'H_lo%'", false),
        ("Device.S LIKE 'Hello!_World!%' ESCAPE '!'", true),
        ("Device.S LIKE 'Hello!_Xorld%' ESCAPE '!'", false),
        ("Device.S LIKE 'Hello!%' ESCAPE '!'", false),
        (r#"Device.S LIKE 'Hello\_World\%' ESCAPE "\\""#, true),
        (r#"Device.S LIKE "Hello\\_World\\%" ESCAPE "\\""#, true),
        ("UPPER(Device.S) LIKE 'HELLO%'", true),
        ("LOWER(Device.S) LIKE 'hello_world_'", true),
        ("UPPER(Device.S) LIKE 'hello%'", false),
        ("NOT UPPER(Device.S) LIKE 'hello%'", true),
        ("Device.P LIKE 'a.c'", false),
        ("Device.P LIKE 'a(b|c'", false),
        ("Device.P LIKE '_b_'", true),
        ("Device.M LIKE 'a%'", true),
        ("Device.M LIKE 'a_b'", true),
        ("Device.A LIKE '1%'", false),
        ("Device.A NOT LIKE '1%'", false),
        ("DeviceID.ID LIKE '00259E-%'", true),
        ("Tags.lab LIKE 'l%' OR Device.P LIKE 'ab%'", true),
        ("'abc' LIKE 'a%'", true),
        ("10 LIKE '1_'", true),
        ("Device.P LIKE NULL", false),
        ("Device.P NOT LIKE NULL", false),
        ("Device.P LIKE ''", false),
    ]);
}

#[test]
fn now_is_taken_at_evaluation() {
    let q = "Events.Inform > NOW() - 3600000";
    assert!(at(q, T0 + 2000));
    assert!(!at(q, T0 + 10 * 3_600_000));
    assert!(at("Events.Inform <= NOW()", T0 + 1000));
    assert!(!at("Events.Inform <= NOW()", T0 + 999));
    assert!(at("Events.Inform < ROUND(NOW() / 1000) * 1000", T0 + 2000));
    assert!(at("now() - 1000 = Events.Inform", T0 + 2000));
    assert!(at("Events.Inform > NOW() % 0 OR TRUE", T0));
    assert!(!at("Events.Inform > NOW() % 0", T0));
    let parsed = parse_expression(q, &Limits::default()).expect("parse");
    let Query::Cond(Field::LastInform, Cond::Compare(CmpOp::Gt, term)) = parsed else {
        panic!("shape: {parsed:?}");
    };
    assert_eq!(term.eval(Some(5_000_000)), Some(Literal::num(1_400_000.0)));
}

#[test]
fn functions_fold_at_parse_time() {
    check(&[
        ("ROUND(2.5) = 3", true),
        ("ROUND(1.2345, 2) = 1.23", true),
        ("COALESCE(NULL, 2) = 2", true),
        ("LOWER('AbC') = 'abc'", true),
        ("UPPER('é') = 'É'", true),
        ("Device.A = COALESCE(NULL, 5 * 2)", true),
        ("Device.S = 'Hello' || '_World%'", true),
    ]);
    let q = parse_expression("Device.A = 2 * 5", &Limits::default()).expect("parse");
    assert_eq!(
        q,
        Query::Cond(
            Field::Param("Device.A".into()),
            Cond::Compare(CmpOp::Eq, Term::Lit(Literal::num(10.0)))
        )
    );
}

#[test]
fn either_form_through_parse_text() {
    let l = Limits::default();
    assert_eq!(
        parse_text(r#"  {"_id": "x"}"#, &l).expect("json"),
        Query::Cond(Field::Id, Cond::In(vec![Scalar::Text("x".into())]))
    );
    assert_eq!(
        parse_text("DeviceID.ID = 'x'", &l).expect("expr"),
        Query::Cond(
            Field::Id,
            Cond::Compare(CmpOp::Eq, Term::Lit(Literal::Text("x".into())))
        )
    );
    assert_eq!(parse_text("  \n ", &l).expect("blank"), Query::all());
    assert!(
        parse_text("{bad", &l)
            .expect_err("json")
            .0
            .contains("not valid JSON")
    );
    let e = parse_text("DeviceID.ID = ", &l).expect_err("expr");
    assert!(e.0.contains("column 15 (byte 14)"), "{e}");
    let long = format!("DeviceID.ID = '{}'", "x".repeat(20_000));
    assert!(
        parse_text(&long, &l)
            .expect_err("long")
            .0
            .contains("longer than")
    );
}

#[test]
fn every_refusal_says_where_and_what() {
    for (text, offset, needle) in [
        ("", 0, "expected a value, found the end"),
        ("Device.A =", 10, "expected a value"),
        ("Device.A = 1 AND", 16, "expected a value"),
        (
            "(Device.A = 1",
            13,
            "expected ')' to close the '(' at line 1, column 1",
        ),
        ("Device.A = 1)", 12, "expected an operator"),
        ("Device.A = 1 Device.B", 13, "expected an operator"),
        ("Device.A IS 1", 12, "expected NULL or NOT NULL"),
        ("FOO(1) = 1", 0, "unknown function FOO"),
        ("NOW(1) > 1", 0, "no arguments"),
        ("ROUND() = 1", 0, "one or two arguments"),
        ("UPPER('a', 'b') = 1", 0, "one argument"),
        ("COALESCE() = 1", 0, "at least one argument"),
        ("ROUND(1, 2", 10, "expected ')'"),
        ("Device.A", 0, "alone is not a condition"),
        ("Device.A = Device.B", 9, "constant on one side"),
        ("Tags.a = Tags.b", 7, "constant on one side"),
        (
            "Device.A + 1 > 5",
            0,
            "arithmetic and functions on a parameter",
        ),
        (
            "ROUND(Device.A) = 1",
            6,
            "arithmetic and functions on a parameter",
        ),
        ("UPPER(Device.A) = 'X'", 16, "LIKE only"),
        ("UPPER(UPPER(Device.A)) LIKE 'X'", 0, "nor twice"),
        ("LOWER(Tags.lab) LIKE 'x'", 0, "not to a tag"),
        ("Device.*.A = 1", 0, "wildcards"),
        ("Device.[x:1].A = 1", 0, "alias"),
        ("Device.A._writable = true", 0, "attribute _writable"),
        ("_id = 'x'", 0, "write DeviceID.ID"),
        ("DeviceID.Foo = 1", 0, "DeviceID has"),
        ("Events.1_BOOT > 1", 0, "not recorded"),
        ("Device..A = 1", 0, "empty path segment"),
        ("Tags.0xZZ = 1", 0, "0xHH"),
        ("Device.A LIKE 5", 14, "pattern must be a string"),
        ("Device.A LIKE Device.B", 14, "constant string"),
        ("Device.A LIKE 'a' ESCAPE 'ab'", 25, "single character"),
        ("Device.A LIKE 'a' ESCAPE 1", 25, "ESCAPE must be a string"),
        ("Device.A LIKE 'a!' ESCAPE '!'", 14, "ends with its ESCAPE"),
        ("NOW() > 5", 0, "NOW() can only be compared"),
        ("Tags.x = NOW()", 7, "NOW() can only be compared"),
        ("CASE WHEN 1 THEN 2 END", 0, "CASE"),
        ("Device.A = 1 AND AND", 17, "found the keyword AND"),
        ("(Device.A = 1) = TRUE", 10, "found a condition"),
        ("Device.A = 'x", 11, "unterminated string"),
        ("Device.A != 1", 9, "use '<>'"),
        ("Device.A = 1\nAND )", 17, "expected a value"),
    ] {
        let e = parse_expression(text, &Limits::default()).expect_err(text);
        assert_eq!(e.offset, offset, "{text:?}: {e}");
        assert!(e.message.contains(needle), "{text:?}: {e}");
    }
    let e = parse_expression("Device.A = 1\nAND )", &Limits::default()).expect_err("lines");
    assert_eq!((e.line, e.column), (2, 5));
    assert!(
        e.to_string().starts_with("line 2, column 5 (byte 17): "),
        "{e}"
    );
    let e = parse_expression("'é' = )", &Limits::default()).expect_err("chars");
    assert_eq!((e.offset, e.column), (7, 7));
}

#[test]
fn bounds() {
    let l = Limits::default();
    let nested = format!("{}Device.A = 1{}", "(".repeat(20), ")".repeat(20));
    assert!(
        parse_expression(&nested, &l)
            .expect_err("parens")
            .message
            .contains("deeper")
    );
    let nots = format!("{}Device.A = 1", "NOT ".repeat(20));
    assert!(
        parse_expression(&nots, &l)
            .expect_err("nots")
            .message
            .contains("deeper")
    );
    let negs = format!("Device.A = {}1", "- ".repeat(20));
    assert!(
        parse_expression(&negs, &l)
            .expect_err("negs")
            .message
            .contains("deeper")
    );
    let calls = format!("Device.A = {}1{}", "ROUND(".repeat(20), ")".repeat(20));
    assert!(
        parse_expression(&calls, &l)
            .expect_err("calls")
            .message
            .contains("deeper")
    );
    let ok = format!("{}Device.A = 1{}", "(".repeat(10), ")".repeat(10));
    assert!(parse_expression(&ok, &l).is_ok());
    let wide = vec!["Device.A = 1"; 100].join(" OR ");
    let e = parse_expression(&wide, &l).expect_err("wide");
    assert!(e.message.contains("more than 256"), "{e}");
    let long = format!("Device.A = '{}'", "x".repeat(2000));
    assert!(
        parse_expression(&long, &l)
            .expect_err("string")
            .message
            .contains("longer than 1024")
    );
    let path = format!("Device.{} = 1", "x".repeat(2000));
    assert!(
        parse_expression(&path, &l)
            .expect_err("path")
            .message
            .contains("longer than 1024")
    );
    let text = "x".repeat(l.max_text_bytes + 1);
    assert!(
        parse_expression(&text, &l)
            .expect_err("text")
            .message
            .contains("longer than")
    );
    let concat = vec!["'xxxxxxxxxx'"; 60].join(" || ");
    assert!(parse_expression(&format!("Device.P LIKE {concat}"), &l).is_ok());
}
