//! Unit tests on small inline documents.

use super::syntax::{
    BaseType, DefaultKind, FacetAccess, IntRange, NestedBrackets, RefType, SizeRange, TargetType,
};
use super::*;

const HEAD: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<dm:document xmlns:dm="urn:broadband-forum-org:cwmp:datamodel-1-14"
    xmlns:dmr="urn:broadband-forum-org:cwmp:datamodel-report-1-0" spec="urn:test">"#;

fn doc(body: &str) -> String {
    format!("{HEAD}\n{body}\n</dm:document>\n")
}

fn load(body: &str) -> Schema {
    load_with(body, &LoadOptions::default())
}

fn load_with(body: &str, opts: &LoadOptions) -> Schema {
    match Schema::from_xml(&doc(body), "test.xml", opts) {
        Ok(s) => s,
        Err(e) => panic!("load failed: {e}"),
    }
}

const TYPES: &str = r#"
  <dataType name="_AliasCommon">
    <description>Alias.</description>
    <string><size maxLength="64"/></string>
  </dataType>
  <dataType name="Alias" base="_AliasCommon"/>
  <dataType name="IPAddress"><string><size maxLength="45"/></string></dataType>
  <dataType name="IPv4Address" base="IPAddress">
    <size maxLength="15"/>
    <pattern value=""/>
    <pattern value="\d+\.\d+\.\d+\.\d+"/>
  </dataType>
  <dataType name="StatsCounter64"><unsignedLong/></dataType>
  <dataType name="Pair"><list minItems="2" maxItems="2"/><int/></dataType>
  <dataType name="State">
    <string>
      <enumeration value="None" access="readOnly"/>
      <enumeration value="Requested"/>
      <enumeration value="Error" access="readOnly" optional="true"/>
    </string>
  </dataType>
  <dataType name="TenthdB"><int><units value="0.1 dB"/></int></dataType>
"#;

const MODEL: &str = r##"
  <model name="Test:1.2">
    <object name="Top." access="readOnly" minEntries="1" maxEntries="1" version="1.0">
      <description>The top.</description>
      <parameter name="SoftwareVersion" access="readOnly" activeNotify="forceEnabled" forcedInform="true">
        <syntax><string><size maxLength="64"/></string></syntax>
      </parameter>
      <parameter name="IfNumberOfEntries" access="readOnly">
        <syntax><unsignedInt/></syntax>
      </parameter>
      <parameter name="Old" access="readOnly" status="deleted">
        <syntax><boolean/></syntax>
      </parameter>
    </object>
    <object name="Top.If.{i}." access="readWrite" minEntries="0" maxEntries="unbounded"
        numEntriesParameter="IfNumberOfEntries" enableParameter="Enable" version="1.1">
      <uniqueKey functional="false"><parameter ref="Alias"/></uniqueKey>
      <uniqueKey functional="true"><parameter ref="Name"/><parameter ref="Addr"/></uniqueKey>
      <uniqueKey><parameter ref="Key"/></uniqueKey>
      <parameter name="Enable" access="readWrite">
        <syntax><boolean/><default type="object" value="false"/></syntax>
      </parameter>
      <parameter name="Alias" access="writeOnceReadOnly"><syntax><dataType ref="Alias"/></syntax></parameter>
      <parameter name="Name" access="readOnly" activeNotify="canDeny"><syntax><string/></syntax></parameter>
      <parameter name="Addr" access="readWrite" activeNotify="forceDefaultEnabled" version="1.2">
        <syntax><dataType ref="IPv4Address"/></syntax>
      </parameter>
      <parameter name="Key" access="readOnly"><syntax><unsignedInt/></syntax></parameter>
      <parameter name="Bytes" access="readOnly"><syntax><dataType ref="StatsCounter64"/></syntax></parameter>
      <parameter name="Mtu" access="readWrite">
        <syntax><unsignedInt><range minInclusive="64" maxInclusive="1500"/><range minInclusive="9000" maxInclusive="9000"/><units value="bytes"/></unsignedInt></syntax>
      </parameter>
      <parameter name="Even" access="readWrite">
        <syntax><int><range minInclusive="-10" maxInclusive="10" step="2"/></int></syntax>
      </parameter>
      <parameter name="Big" access="readOnly">
        <syntax><unsignedLong><range maxInclusive="18446744073709551615"/></unsignedLong></syntax>
      </parameter>
      <parameter name="Snr" access="readOnly">
        <syntax><dataType base="TenthdB"><range minInclusive="-100" maxInclusive="100"/></dataType></syntax>
      </parameter>
      <parameter name="Status" access="readOnly">
        <syntax><string><enumeration value="Up"/><enumeration value="Down"/></string></syntax>
      </parameter>
      <parameter name="State" access="readWrite"><syntax><dataType ref="State"/></syntax></parameter>
      <parameter name="Servers" access="readWrite">
        <syntax>
          <list maxItems="4"><size maxLength="256"/></list>
          <string><size maxLength="64"/><pattern value="[a-z]+"/></string>
        </syntax>
      </parameter>
      <parameter name="Pairs" access="readOnly">
        <syntax><list minItems="1" maxItems="8" nestedBrackets="required"/><dataType ref="Pair"/></syntax>
      </parameter>
      <parameter name="Password" access="readWrite">
        <syntax secured="true"><string><size maxLength="64"/></string></syntax>
      </parameter>
      <parameter name="Key2" access="readWrite">
        <syntax hidden="true"><hexBinary><size minLength="0" maxLength="0"/><size minLength="16" maxLength="16"/></hexBinary></syntax>
      </parameter>
      <parameter name="LowerLayers" access="readWrite">
        <syntax>
          <list><size maxLength="1024"/></list>
          <string><pathRef refType="strong" targetParent="#.If. .Other." targetType="row"/></string>
        </syntax>
      </parameter>
      <parameter name="Peer" access="readWrite">
        <syntax><int><instanceRef refType="weak" targetParent="#.If."/></int></syntax>
      </parameter>
      <parameter name="Load" access="readOnly"><syntax><decimal><range minInclusive="0.0" maxInclusive="1.5"/></decimal></syntax></parameter>
      <parameter name="When" access="readOnly"><syntax><dateTime/></syntax></parameter>
      <parameter name="Blob" access="readOnly"><syntax><base64><size maxLength="100"/></base64></syntax></parameter>
    </object>
    <object name="Top.If.{i}.Stats." access="readOnly" minEntries="1" maxEntries="1">
      <parameter name="Packets" access="readOnly"><syntax><dataType ref="StatsCounter64"/></syntax></parameter>
    </object>
    <object name="Top.Gone." access="readOnly" minEntries="1" maxEntries="1" status="deleted">
      <parameter name="X" access="readOnly"><syntax><boolean/></syntax></parameter>
    </object>
    <object name="Top.Gone.Child." access="readOnly" minEntries="1" maxEntries="1">
      <parameter name="Y" access="readOnly"><syntax><boolean/></syntax></parameter>
    </object>
    <object base="Top.If.{i}." maxEntries="16">
      <parameter name="Added" access="readOnly"><syntax><string/></syntax></parameter>
      <parameter base="Status" access="readWrite">
        <syntax><string><enumeration value="Dormant"/></string></syntax>
      </parameter>
      <parameter base="Mtu" activeNotify="canDeny"/>
    </object>
    <profile name="Baseline:1" version="1.0">
      <object ref="Top." requirement="present"><parameter ref="SoftwareVersion" requirement="readOnly"/></object>
    </profile>
  </model>
"##;

fn sample() -> Schema {
    load(&format!("{TYPES}{MODEL}"))
}

#[test]
fn model_and_counts() {
    let s = sample();
    assert_eq!(s.model_name(), "Test:1.2");
    assert_eq!(
        s.model_version(),
        Some(Version {
            major: 1,
            minor: 2,
            patch: 0
        })
    );
    assert_eq!(s.spec(), Some("urn:test"));
    // Top, Top.If.{i}, Top.If.{i}.Stats (Top.Gone and its child are dropped).
    assert_eq!(s.object_count(), 3);
    assert_eq!(s.parameter_count(), 2 + 22 + 1);
    assert_eq!(s.root().map(|r| r.path()), Some("Top."));
    assert!(s.object("Top.Gone.").is_none());
    assert!(s.object("Top.Gone.Child.").is_none());
    assert!(s.parameter("Top.Old").is_none());
}

#[test]
fn keep_deleted_option() {
    let opts = LoadOptions {
        keep_deleted: true,
        ..LoadOptions::default()
    };
    let s = load_with(&format!("{TYPES}{MODEL}"), &opts);
    assert_eq!(s.object_count(), 5);
    assert_eq!(
        s.object("Top.Gone.").map(|o| o.status()),
        Some(Status::Deleted)
    );
    assert_eq!(
        s.parameter("Top.Old").map(|p| p.status()),
        Some(Status::Deleted)
    );
}

#[test]
fn forced_inform_and_notify() {
    let s = sample();
    let v = s.parameter("Top.SoftwareVersion").expect("defined");
    assert!(v.forced_inform());
    assert_eq!(v.active_notify(), ActiveNotify::ForceEnabled);
    assert_eq!(v.access(), ParamAccess::ReadOnly);
    assert_eq!(
        v.version(),
        Some(Version {
            major: 1,
            minor: 0,
            patch: 0
        })
    );
    let forced: Vec<String> = s.forced_inform_parameters().map(|p| p.path()).collect();
    assert_eq!(forced, ["Top.SoftwareVersion"]);
    let p = |n: &str| s.parameter(&format!("Top.If.{{i}}.{n}")).expect(n);
    assert_eq!(p("Name").active_notify(), ActiveNotify::CanDeny);
    assert_eq!(p("Addr").active_notify(), ActiveNotify::ForceDefaultEnabled);
    assert_eq!(p("Enable").active_notify(), ActiveNotify::Normal);
    assert_eq!(p("Alias").access(), ParamAccess::WriteOnceReadOnly);
    assert!(p("Alias").is_writable());
    // Version inherited from the object, or given.
    assert_eq!(
        p("Enable").version().map(|v| v.to_string()),
        Some("1.1".into())
    );
    assert_eq!(
        p("Addr").version().map(|v| v.to_string()),
        Some("1.2".into())
    );
}

#[test]
fn multi_instance_object() {
    let s = sample();
    let o = s.object("Top.If.{i}.").expect("table");
    assert!(o.is_multi_instance());
    assert_eq!(o.name(), "If");
    assert_eq!(o.table_path(), Some("Top.If."));
    assert_eq!(o.access(), ObjectAccess::ReadWrite);
    assert_eq!(o.min_entries(), 0);
    // maxEntries refined by the base= object.
    assert_eq!(o.max_entries(), Some(16));
    assert_eq!(o.num_entries_parameter(), Some("IfNumberOfEntries"));
    assert_eq!(
        o.num_entries_param().map(|p| p.path()),
        Some("Top.IfNumberOfEntries".into())
    );
    assert_eq!(o.enable_parameter(), Some("Enable"));
    assert_eq!(o.parent().map(|p| p.path()), Some("Top."));
    assert_eq!(o.depth(), 1);
    let top = s.object("Top.").expect("top");
    assert!(!top.is_multi_instance());
    assert_eq!(top.max_entries(), Some(1));
    assert_eq!(top.description(), None, "descriptions dropped by default");
    let stats = s.object("Top.If.{i}.Stats.").expect("stats");
    assert_eq!(stats.parent().map(|p| p.id()), Some(o.id()));
    let kids: Vec<String> = o.children().map(|n| n.path()).collect();
    assert_eq!(kids.first().map(String::as_str), Some("Top.If.{i}.Enable"));
    assert_eq!(kids.last().map(String::as_str), Some("Top.If.{i}.Stats."));
    assert_eq!(kids.len(), 22 + 1);
}

#[test]
fn unique_keys() {
    let s = sample();
    let o = s.object("Top.If.{i}.").expect("table");
    let keys: Vec<(bool, Vec<&str>)> = o
        .unique_keys()
        .map(|k| (k.functional(), k.parameters().collect()))
        .collect();
    assert_eq!(
        keys,
        vec![
            (false, vec!["Alias"]),
            (true, vec!["Name", "Addr"]),
            (true, vec!["Key"])
        ]
    );
}

#[test]
fn data_type_inheritance() {
    let s = sample();
    let v4 = s.data_type("IPv4Address").expect("dt");
    assert_eq!(v4.base().map(|b| b.name()), Some("IPAddress"));
    let syn = v4.syntax();
    assert_eq!(syn.base, BaseType::String);
    assert_eq!(
        &*syn.sizes,
        &[SizeRange {
            min: 0,
            max: Some(15)
        }]
    );
    assert_eq!(syn.patterns.len(), 2);
    let alias = s.data_type("Alias").expect("alias");
    assert_eq!(
        &*alias.syntax().sizes,
        &[SizeRange {
            min: 0,
            max: Some(64)
        }]
    );
    assert_eq!(alias.base().and_then(|b| b.base()).map(|b| b.name()), None);
    let addr = s.parameter("Top.If.{i}.Addr").expect("addr");
    assert_eq!(addr.data_type().map(|d| d.name()), Some("IPv4Address"));
    assert_eq!(addr.syntax().sizes[0].max, Some(15));
    // Parameters using a data type unchanged share its syntax.
    let bytes = s.parameter("Top.If.{i}.Bytes").expect("bytes");
    let packets = s.parameter("Top.If.{i}.Stats.Packets").expect("packets");
    assert_eq!(bytes.syntax_id(), packets.syntax_id());
    assert_eq!(bytes.syntax().base, BaseType::UnsignedLong);
    assert_eq!(bytes.syntax().base.xsd_type(), "xsd:unsignedLong");
    // dataType base= in a parameter: units inherited, range added.
    let snr = s.parameter("Top.If.{i}.Snr").expect("snr").syntax();
    assert_eq!(snr.base, BaseType::Int);
    assert_eq!(snr.units.as_deref(), Some("0.1 dB"));
    assert_eq!(
        &*snr.ranges,
        &[IntRange {
            min: Some(-100),
            max: Some(100),
            step: 1
        }]
    );
}

#[test]
fn ranges_enumerations_units() {
    let s = sample();
    let mtu = s.parameter("Top.If.{i}.Mtu").expect("mtu");
    let syn = mtu.syntax();
    assert_eq!(syn.base, BaseType::UnsignedInt);
    assert_eq!(
        &*syn.ranges,
        &[
            IntRange {
                min: Some(64),
                max: Some(1500),
                step: 1
            },
            IntRange {
                min: Some(9000),
                max: Some(9000),
                step: 1
            }
        ]
    );
    assert_eq!(syn.units.as_deref(), Some("bytes"));
    // base= refinement changed only activeNotify.
    assert_eq!(mtu.active_notify(), ActiveNotify::CanDeny);
    assert_eq!(mtu.access(), ParamAccess::ReadWrite);
    let even = s.parameter("Top.If.{i}.Even").expect("even").syntax();
    assert_eq!(
        even.ranges[0],
        IntRange {
            min: Some(-10),
            max: Some(10),
            step: 2
        }
    );
    let big = s.parameter("Top.If.{i}.Big").expect("big").syntax();
    assert_eq!(big.ranges[0].max, Some(u64::MAX as i128));
    let load = s.parameter("Top.If.{i}.Load").expect("load").syntax();
    assert_eq!(load.base, BaseType::Decimal);
    assert_eq!(load.decimal_ranges[0].max.as_deref(), Some("1.5"));
    let state = s.parameter("Top.If.{i}.State").expect("state").syntax();
    let vals: Vec<(&str, FacetAccess, bool)> = state
        .enumerations
        .iter()
        .map(|e| (&*e.value, e.access, e.optional))
        .collect();
    assert_eq!(
        vals,
        [
            ("None", FacetAccess::ReadOnly, false),
            ("Requested", FacetAccess::ReadWrite, false),
            ("Error", FacetAccess::ReadOnly, true)
        ]
    );
    assert!(state.allows_enum_value("Requested") && !state.allows_enum_value("Bogus"));
}

#[test]
fn base_refinement_merges_enumerations() {
    let s = sample();
    let st = s.parameter("Top.If.{i}.Status").expect("status");
    assert_eq!(st.access(), ParamAccess::ReadWrite);
    let vals: Vec<&str> = st.syntax().enumerations.iter().map(|e| &*e.value).collect();
    assert_eq!(vals, ["Up", "Down", "Dormant"]);
    // A parameter added by the base= object comes last in document order.
    let o = s.object("Top.If.{i}.").expect("table");
    assert_eq!(o.parameters().last().map(|p| p.name()), Some("Added"));
}

#[test]
fn lists_and_references() {
    let s = sample();
    let servers = s.parameter("Top.If.{i}.Servers").expect("servers").syntax();
    let list = servers.list.as_ref().expect("list");
    assert_eq!((list.min_items, list.max_items), (0, Some(4)));
    assert_eq!(
        &*list.sizes,
        &[SizeRange {
            min: 0,
            max: Some(256)
        }]
    );
    assert_eq!(
        &*servers.sizes,
        &[SizeRange {
            min: 0,
            max: Some(64)
        }]
    );
    assert_eq!(&*servers.patterns[0].value, "[a-z]+");
    let pairs = s.parameter("Top.If.{i}.Pairs").expect("pairs").syntax();
    let outer = pairs.list.as_ref().expect("outer list");
    assert_eq!(
        (outer.min_items, outer.max_items, outer.nested_brackets),
        (1, Some(8), NestedBrackets::Required)
    );
    let inner = pairs.item_list.as_ref().expect("inner list");
    assert_eq!((inner.min_items, inner.max_items), (2, Some(2)));
    assert_eq!(pairs.base, BaseType::Int);
    let ll = s.parameter("Top.If.{i}.LowerLayers").expect("ll").syntax();
    let pr = ll.path_ref.as_ref().expect("pathRef");
    assert_eq!(pr.ref_type, RefType::Strong);
    assert_eq!(pr.target_type, TargetType::Row);
    assert_eq!(pr.target_parents.len(), 2);
    let peer = s.parameter("Top.If.{i}.Peer").expect("peer").syntax();
    assert_eq!(
        peer.instance_ref.as_ref().map(|r| &*r.target_parent),
        Some("#.If.")
    );
}

#[test]
fn secured_hidden_default() {
    let s = sample();
    let pw = s.parameter("Top.If.{i}.Password").expect("pw").syntax();
    assert!(pw.secured && !pw.hidden && pw.reads_as_null());
    assert_eq!(pw.base.null_value(), "");
    let k = s.parameter("Top.If.{i}.Key2").expect("key").syntax();
    assert!(k.hidden);
    assert_eq!(k.sizes.len(), 2);
    let en = s.parameter("Top.If.{i}.Enable").expect("enable");
    assert_eq!(
        en.default(),
        Some(DefaultValue {
            kind: DefaultKind::Object,
            value: "false"
        })
    );
    assert_eq!(
        s.parameter("Top.If.{i}.Name").and_then(|p| p.default()),
        None
    );
}

#[test]
fn instance_path_resolution() {
    let s = sample();
    let (t, n) = s.resolve("Top.If.3.Stats.Packets").expect("resolves");
    assert!(matches!(t, Target::Parameter(p) if p.name() == "Packets"));
    assert_eq!(n, [3]);
    let (t, n) = s.resolve("Top.If.7.").expect("resolves");
    assert!(matches!(t, Target::Object(o) if o.path() == "Top.If.{i}."));
    assert_eq!(n, [7]);
    let (t, _) = s.resolve("Top.If.").expect("table");
    assert!(matches!(t, Target::Table(o) if o.path() == "Top.If.{i}."));
    assert!(matches!(
        s.resolve("Top.If.1.Nope"),
        Err(ResolveError::Unknown(_))
    ));
    assert!(matches!(
        s.resolve("Top.If.0.Enable"),
        Err(ResolveError::Path(_))
    ));
    assert!(matches!(
        s.node("Top.If.{i}.Enable"),
        Some(NodeRef::Parameter(_))
    ));
    assert!(matches!(s.node("Top.If.{i}."), Some(NodeRef::Object(_))));
}

#[test]
fn descriptions_on_request() {
    let opts = LoadOptions {
        keep_descriptions: true,
        ..LoadOptions::default()
    };
    let s = load_with(&format!("{TYPES}{MODEL}"), &opts);
    assert_eq!(
        s.object("Top.").and_then(|o| o.description()),
        Some("The top.")
    );
    assert_eq!(
        s.data_type("_AliasCommon").and_then(|d| d.description()),
        Some("Alias.")
    );
}

#[test]
fn versions_and_trimmed_names() {
    assert_eq!(
        "2.15.1".parse::<Version>(),
        Ok(Version {
            major: 2,
            minor: 15,
            patch: 1
        })
    );
    assert!("2".parse::<Version>().is_err() && "2.x".parse::<Version>().is_err());
    assert_eq!(
        Version {
            major: 2,
            minor: 15,
            patch: 1
        }
        .to_string(),
        "2.15.1"
    );
    let s = load(
        r#"<model name="M:1.0">
      <object name="R." access="readOnly" minEntries="1" maxEntries="1">
        <description>First.</description>
        <parameter name="Spaced " access="readOnly"><syntax><string/></syntax></parameter>
      </object>
      <object base="R.">
        <description action="append">Second.</description>
      </object></model>"#,
    );
    assert!(s.parameter("R.Spaced").is_some());
    let opts = LoadOptions {
        keep_descriptions: true,
        ..LoadOptions::default()
    };
    let s = load_with(
        r#"<model name="M:1.0">
      <object name="R." access="readOnly" minEntries="1" maxEntries="1">
        <description>
          First line.

            Indented.
        </description>
      </object>
      <object base="R."><description action="append">Second.</description></object></model>"#,
        &opts,
    );
    assert_eq!(
        s.object("R.").and_then(|o| o.description()),
        Some("First line.\n\n  Indented.\n\nSecond.")
    );
}

#[test]
fn schema_is_send_sync() {
    fn check<T: Send + Sync + 'static>() {}
    check::<Schema>();
    let s = std::sync::Arc::new(sample());
    let s2 = std::sync::Arc::clone(&s);
    let h = std::thread::spawn(move || s2.parameter_count());
    assert_eq!(h.join().ok(), Some(s.parameter_count()));
}
