//! Loader tests: components, model bases, imports and error reporting.

use crate::SchemaError;
use crate::schema::{LoadOptions, Schema};

const HEAD: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<dm:document xmlns:dm="urn:broadband-forum-org:cwmp:datamodel-1-14"
    xmlns:dmr="urn:broadband-forum-org:cwmp:datamodel-report-1-0" spec="urn:test">"#;

fn doc(body: &str) -> String {
    format!("{HEAD}\n{body}\n</dm:document>\n")
}

fn load_with(body: &str, opts: &LoadOptions) -> Schema {
    match Schema::from_xml(&doc(body), "test.xml", opts) {
        Ok(s) => s,
        Err(e) => panic!("load failed: {e}"),
    }
}

fn load(body: &str) -> Schema {
    load_with(body, &LoadOptions::default())
}

fn load_err(body: &str) -> SchemaError {
    match Schema::from_xml(&doc(body), "test.xml", &LoadOptions::default()) {
        Ok(_) => panic!("expected an error"),
        Err(e) => e,
    }
}

#[test]
fn components_and_model_base() {
    let body = r#"
  <component name="Stats">
    <parameter name="Bytes" access="readOnly"><syntax><unsignedInt/></syntax></parameter>
  </component>
  <component name="Sub">
    <object name="Sub." access="readOnly" minEntries="1" maxEntries="1">
      <component ref="Stats"/>
    </object>
    <object name="Sub.Stats." access="readOnly" minEntries="1" maxEntries="1"/>
    <component ref="Stats" path="Sub.Stats."/>
  </component>
  <model name="M:1.0">
    <object name="R." access="readOnly" minEntries="1" maxEntries="1"/>
    <component ref="Sub" path="R."/>
  </model>
  <model name="M:1.1" base="M:1.0">
    <object base="R.Sub." access="readOnly">
      <parameter name="New" access="readWrite"><syntax><boolean/></syntax></parameter>
    </object>
  </model>
"#;
    let opts = LoadOptions {
        model: Some("M:1.1".into()),
        ..LoadOptions::default()
    };
    let s = load_with(body, &opts);
    assert_eq!(s.model_name(), "M:1.1");
    assert!(s.parameter("R.Sub.Bytes").is_some());
    assert!(s.parameter("R.Sub.Stats.Bytes").is_some());
    assert!(s.parameter("R.Sub.New").is_some());
    let s = load(body);
    assert_eq!(s.model_name(), "M:1.0");
    assert!(s.parameter("R.Sub.New").is_none());
}

#[test]
fn imports_from_directory() {
    let dir = std::env::temp_dir().join(format!("cwmp-datamodel-import-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let types = doc(
        r#"<dataType name="MACAddress"><string><size maxLength="17"/></string></dataType>
  <model name="Base:1.0"><object name="B." access="readOnly" minEntries="1" maxEntries="1">
    <parameter name="P" access="readOnly"><syntax><string/></syntax></parameter></object></model>"#,
    );
    std::fs::write(dir.join("types-1-0.xml"), types).expect("write");
    let main = doc(
        r#"<import file="types-1.xml"><dataType name="MAC" ref="MACAddress"/><model name="Base:1.0"/></import>
  <model name="Base:1.1" base="Base:1.0">
    <object base="B."><parameter name="Mac" access="readOnly"><syntax><dataType ref="MAC"/></syntax></parameter></object>
  </model>"#,
    );
    let main_path = dir.join("main.xml");
    std::fs::write(&main_path, main).expect("write");
    let s = Schema::from_file(&main_path, &LoadOptions::default());
    let _ = std::fs::remove_dir_all(&dir);
    let s = s.expect("loads with import");
    assert!(s.parameter("B.P").is_some());
    let mac = s.parameter("B.Mac").expect("mac");
    assert_eq!(mac.data_type().map(|d| d.name()), Some("MAC"));
    assert_eq!(mac.syntax().sizes[0].max, Some(17));
}

#[test]
fn errors_have_locations() {
    let e = load_err(
        r#"<model name="M:1.0">
    <object name="R." access="readOnly" minEntries="1" maxEntries="1">
      <parameter name="P" access="readOnly"><syntax><dataType ref="Nope"/></syntax></parameter>
    </object></model>"#,
    );
    let msg = e.to_string();
    assert!(msg.contains("unknown data type \"Nope\""), "{msg}");
    assert!(msg.contains("test.xml:6:"), "{msg}");
    assert!(
        msg.contains("object[R.]/parameter[P]/syntax/dataType[Nope]"),
        "{msg}"
    );

    let e = load_err(
        r#"<model name="M:1.0">
    <object name="R." access="readOnly"/><object name="R." access="readOnly"/></model>"#,
    );
    assert!(e.to_string().contains("defined twice"), "{e}");
    let e = load_err(r#"<model name="M:1.0"><object name="R." access="sometimes"/></model>"#);
    assert!(e.to_string().contains("access=\"sometimes\""), "{e}");
    let e = load_err(r#"<model name="M:1.0"><object name="R." maxEntries="lots"/></model>"#);
    assert!(e.to_string().contains("maxEntries"), "{e}");
    let e = load_err(r#"<model name="M:1.0"><object base="R."/></model>"#);
    assert!(e.to_string().contains("not defined"), "{e}");
    let e = load_err(
        r#"<dataType name="A" base="B"/><dataType name="B" base="A"/><model name="M:1.0"/>"#,
    );
    assert!(e.to_string().contains("derives from itself"), "{e}");
    let e = load_err(
        r#"<model name="M:1.0"><object name="R.">
      <parameter name="P"><syntax><int><range minInclusive="5" maxInclusive="1"/></int></syntax></parameter></object></model>"#,
    );
    assert!(
        e.to_string().contains("minInclusive 5 > maxInclusive 1"),
        "{e}"
    );
    let e =
        load_err(r#"<model name="M:1.0"><object name="R."><parameter name="P"/></object></model>"#);
    assert!(e.to_string().contains("no syntax"), "{e}");
    let e = load_err(r#"<import file="missing.xml"/><model name="M:1.0"/>"#);
    assert!(matches!(e, SchemaError::ImportNotFound { .. }), "{e}");
}

#[test]
fn rejects_non_documents_and_dtds() {
    let e = Schema::from_xml("<x/>", "x.xml", &LoadOptions::default());
    assert!(matches!(e, Err(SchemaError::Invalid { .. })));
    let e = Schema::from_xml("<a><b></a>", "x.xml", &LoadOptions::default());
    assert!(matches!(e, Err(SchemaError::Xml { .. })));
    let dtd = format!("<!DOCTYPE d [<!ENTITY x \"y\">]>{}", &doc("")[39..]);
    let e = Schema::from_xml(&dtd, "x.xml", &LoadOptions::default());
    assert!(matches!(e, Err(SchemaError::Xml { .. })), "{e:?}");
    let e = Schema::from_xml(&doc(""), "x.xml", &LoadOptions::default());
    assert!(e.is_err(), "no model");
}
