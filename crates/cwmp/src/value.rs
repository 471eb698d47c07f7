//! Typed values of a CWMP `ParameterValueStruct`, e.g.
//! `<Value xsi:type="xsd:unsignedInt">42</Value>`.

use std::borrow::Cow;
use std::fmt::{self, Write as _};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;

use crate::datetime::DateTime;

/// The XML Schema types TR-069 uses for parameter values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum XsdType {
    /// `xsd:string`.
    String,
    /// `xsd:int` (i32).
    Int,
    /// `xsd:unsignedInt` (u32).
    UnsignedInt,
    /// `xsd:long` (i64).
    Long,
    /// `xsd:unsignedLong` (u64).
    UnsignedLong,
    /// `xsd:boolean`.
    Boolean,
    /// `xsd:dateTime`.
    DateTime,
    /// `soap-enc:base64` / `xsd:base64Binary`.
    Base64,
    /// `xsd:hexBinary`.
    HexBinary,
}

impl XsdType {
    /// Every type, in declaration order.
    pub const ALL: [XsdType; 9] = [
        XsdType::String,
        XsdType::Int,
        XsdType::UnsignedInt,
        XsdType::Long,
        XsdType::UnsignedLong,
        XsdType::Boolean,
        XsdType::DateTime,
        XsdType::Base64,
        XsdType::HexBinary,
    ];

    /// Type for the local part of an `xsi:type` value (no prefix), case-insensitive;
    /// `base64Binary` is accepted as [`XsdType::Base64`].
    pub fn from_wire_name(local: &str) -> Option<XsdType> {
        if local.eq_ignore_ascii_case("base64Binary") {
            return Some(XsdType::Base64);
        }
        Self::ALL
            .into_iter()
            .find(|t| t.wire_name().eq_ignore_ascii_case(local))
    }

    /// Canonical local name written in `xsi:type` (e.g. `"unsignedInt"`, `"base64"`).
    pub const fn wire_name(self) -> &'static str {
        match self {
            XsdType::String => "string",
            XsdType::Int => "int",
            XsdType::UnsignedInt => "unsignedInt",
            XsdType::Long => "long",
            XsdType::UnsignedLong => "unsignedLong",
            XsdType::Boolean => "boolean",
            XsdType::DateTime => "dateTime",
            XsdType::Base64 => "base64",
            XsdType::HexBinary => "hexBinary",
        }
    }
}

impl fmt::Display for XsdType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.wire_name())
    }
}

/// Text that is not a valid lexical form of the requested type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid xsd:{ty} value: {reason}")]
pub struct ValueError {
    /// The type the text was parsed as.
    pub ty: XsdType,
    /// What was wrong.
    pub reason: &'static str,
}

/// The value of a `ParameterValueStruct`, typed by its `xsi:type`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Value {
    /// `xsd:string`, whitespace kept exactly.
    String(String),
    /// `xsd:int`.
    Int(i32),
    /// `xsd:unsignedInt`.
    UnsignedInt(u32),
    /// `xsd:long`.
    Long(i64),
    /// `xsd:unsignedLong`.
    UnsignedLong(u64),
    /// `xsd:boolean`.
    Boolean(bool),
    /// `xsd:dateTime`.
    DateTime(DateTime),
    /// `base64` / `base64Binary`, decoded.
    Base64(Vec<u8>),
    /// `xsd:hexBinary`, decoded.
    HexBinary(Vec<u8>),
    /// No xsi:type on the wire.
    Untyped(String),
    /// A type we do not know, or text that does not fit its declared type, kept verbatim so
    /// nothing a CPE says is lost.
    Other {
        /// Local type name as given (prefix stripped).
        xsi_type: String,
        /// Element text as given.
        text: String,
    },
}

/// XML whitespace (space, tab, CR, LF).
fn is_xml_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\r' | b'\n')
}

fn trim_xml(s: &str) -> &str {
    s.trim_matches(|c: char| c.is_ascii() && is_xml_space(c as u8))
}

/// xsd:boolean as CPEs write it: `0`, `1`, `true`, `false`, in any case (untrimmed).
pub(crate) fn parse_bool(s: &str) -> Option<bool> {
    if s == "1" || s.eq_ignore_ascii_case("true") {
        Some(true)
    } else if s == "0" || s.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

/// Unsigned integer; XML Schema also allows `-0` for zero.
fn parse_unsigned<T: std::str::FromStr + Default>(s: &str) -> Option<T> {
    match s.strip_prefix('-') {
        Some(rest) if !rest.is_empty() && rest.bytes().all(|c| c == b'0') => Some(T::default()),
        Some(_) => None,
        None => s.parse().ok(),
    }
}

fn hex_nibble(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

fn parse_hex(s: &str) -> Result<Vec<u8>, &'static str> {
    let b = s.as_bytes();
    if b.len() % 2 != 0 {
        return Err("odd number of hex digits");
    }
    b.chunks_exact(2)
        .map(|p| Some(hex_nibble(p[0])? << 4 | hex_nibble(p[1])?))
        .collect::<Option<_>>()
        .ok_or("not a hex digit")
}

fn parse_base64(s: &str) -> Result<Vec<u8>, &'static str> {
    let decoded = if s.bytes().any(is_xml_space) {
        let compact: Vec<u8> = s.bytes().filter(|c| !is_xml_space(*c)).collect();
        BASE64.decode(compact)
    } else {
        BASE64.decode(s)
    };
    decoded.map_err(|_| "not padded standard base64")
}

impl Value {
    /// Convenience constructor for [`Value::String`].
    pub fn string(s: impl Into<String>) -> Value {
        Value::String(s.into())
    }

    /// Strict parse of `text` as `ty`. Non-string types ignore surrounding XML whitespace;
    /// booleans accept `0`/`1`/`true`/`false` (any case), integers a leading `+`.
    pub fn parse(ty: XsdType, text: &str) -> Result<Value, ValueError> {
        let fail = |reason| ValueError { ty, reason };
        let t = trim_xml(text);
        match ty {
            XsdType::String => Ok(Value::String(text.to_owned())),
            XsdType::Int => t.parse().map(Value::Int).map_err(|_| fail("not an i32")),
            XsdType::Long => t.parse().map(Value::Long).map_err(|_| fail("not an i64")),
            XsdType::UnsignedInt => parse_unsigned(t)
                .map(Value::UnsignedInt)
                .ok_or(fail("not a u32")),
            XsdType::UnsignedLong => parse_unsigned(t)
                .map(Value::UnsignedLong)
                .ok_or(fail("not a u64")),
            XsdType::Boolean => parse_bool(t)
                .map(Value::Boolean)
                .ok_or(fail("expected true, false, 1 or 0")),
            XsdType::DateTime => match t.parse::<DateTime>() {
                Ok(d) => Ok(Value::DateTime(d)),
                Err(e) => Err(fail(e.reason())),
            },
            XsdType::Base64 => parse_base64(t).map(Value::Base64).map_err(fail),
            XsdType::HexBinary => parse_hex(t).map(Value::HexBinary).map_err(fail),
        }
    }

    /// Lenient parse of what a peer sent. `xsi_type` is the raw attribute value, possibly
    /// prefixed (`xsd:int`); unknown types or ill-fitting text become [`Value::Other`].
    pub fn from_wire(xsi_type: Option<&str>, text: &str) -> Value {
        let local = xsi_type.map(|t| trim_xml(t.rsplit_once(':').map_or(t, |(_, local)| local)));
        Self::from_local(local, text)
    }

    /// Like [`Value::from_wire`], but with the type name already reduced to its local part.
    fn from_local(local: Option<&str>, text: &str) -> Value {
        let Some(local) = local else {
            return Value::Untyped(text.to_owned());
        };
        XsdType::from_wire_name(local)
            .and_then(|ty| Value::parse(ty, text).ok())
            .unwrap_or_else(|| Value::Other {
                xsi_type: local.to_owned(),
                text: text.to_owned(),
            })
    }

    /// The known type of a typed variant; `None` for `Untyped` and `Other`.
    pub fn xsd_type(&self) -> Option<XsdType> {
        Some(match self {
            Value::String(_) => XsdType::String,
            Value::Int(_) => XsdType::Int,
            Value::UnsignedInt(_) => XsdType::UnsignedInt,
            Value::Long(_) => XsdType::Long,
            Value::UnsignedLong(_) => XsdType::UnsignedLong,
            Value::Boolean(_) => XsdType::Boolean,
            Value::DateTime(_) => XsdType::DateTime,
            Value::Base64(_) => XsdType::Base64,
            Value::HexBinary(_) => XsdType::HexBinary,
            Value::Untyped(_) | Value::Other { .. } => return None,
        })
    }

    /// Local `xsi:type` name to write (no prefix); `None` for [`Value::Untyped`].
    pub fn xsi_type(&self) -> Option<&str> {
        match self {
            Value::Other { xsi_type, .. } => Some(xsi_type),
            v => v.xsd_type().map(XsdType::wire_name),
        }
    }

    /// Appends the canonical text form (not XML-escaped): `true`/`false`, plain decimal,
    /// canonical dateTime, padded base64, uppercase hex, strings verbatim.
    pub fn write_text(&self, out: &mut String) {
        // Writing into a String cannot fail.
        let _ = match self {
            Value::String(s) | Value::Untyped(s) | Value::Other { text: s, .. } => {
                out.push_str(s);
                Ok(())
            }
            Value::Int(n) => write!(out, "{n}"),
            Value::UnsignedInt(n) => write!(out, "{n}"),
            Value::Long(n) => write!(out, "{n}"),
            Value::UnsignedLong(n) => write!(out, "{n}"),
            Value::Boolean(b) => write!(out, "{b}"),
            Value::DateTime(d) => write!(out, "{d}"),
            Value::Base64(bytes) => {
                BASE64.encode_string(bytes, out);
                Ok(())
            }
            Value::HexBinary(bytes) => {
                const HEX: &[u8; 16] = b"0123456789ABCDEF";
                out.reserve(bytes.len() * 2);
                out.extend(bytes.iter().flat_map(|b| {
                    [HEX[usize::from(b >> 4)], HEX[usize::from(b & 15)]].map(char::from)
                }));
                Ok(())
            }
        };
    }

    /// Canonical text, borrowed when the value already holds it.
    pub fn as_text(&self) -> Cow<'_, str> {
        match self {
            Value::String(s) | Value::Untyped(s) | Value::Other { text: s, .. } => Cow::Borrowed(s),
            v => {
                let mut out = String::new();
                v.write_text(&mut out);
                Cow::Owned(out)
            }
        }
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.as_text())
    }
}

macro_rules! value_from {
    ($($t:ty => $variant:ident),*) => {$(
        impl From<$t> for Value {
            fn from(v: $t) -> Value {
                Value::$variant(v.into())
            }
        }
    )*};
}
value_from!(String => String, &str => String, i32 => Int, u32 => UnsignedInt, i64 => Long,
    u64 => UnsignedLong, bool => Boolean, DateTime => DateTime);

/// JSON shape: `{"type": <local name or null>, "value": <canonical text>}`.
impl serde::Serialize for Value {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct as _;
        let mut s = serializer.serialize_struct("Value", 2)?;
        s.serialize_field("type", &self.xsi_type())?;
        s.serialize_field("value", &self.as_text())?;
        s.end()
    }
}

/// Leniently, like [`Value::from_wire`] with an unprefixed type: null/missing type gives
/// `Untyped`, unknown names or ill-fitting text give `Other`.
impl<'de> serde::Deserialize<'de> for Value {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Repr<'a> {
            #[serde(rename = "type", default, borrow)]
            ty: Option<Cow<'a, str>>,
            #[serde(borrow)]
            value: Cow<'a, str>,
        }
        let r = Repr::deserialize(deserializer)?;
        Ok(Value::from_local(r.ty.as_deref(), &r.value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::datetime::arb_datetime;
    use Value as V;
    use proptest::prelude::*;

    fn other(ty: &str, text: &str) -> Value {
        Value::Other {
            xsi_type: ty.into(),
            text: text.into(),
        }
    }

    #[test]
    fn type_names() {
        let name = XsdType::from_wire_name;
        for ty in XsdType::ALL {
            assert_eq!(name(ty.wire_name()), Some(ty));
            assert_eq!(name(&ty.wire_name().to_uppercase()), Some(ty));
        }
        assert_eq!(name("base64Binary"), Some(XsdType::Base64));
        assert_eq!(name("UNSIGNEDINT"), Some(XsdType::UnsignedInt));
        assert_eq!(name("xsd:int"), None);
        assert_eq!(name("integer"), None);
        assert_eq!(XsdType::UnsignedLong.to_string(), "unsignedLong");
    }

    #[test]
    fn lenient_wire_parsing() {
        let cases = [
            ("xsd:unsignedInt", "42", V::UnsignedInt(42)),
            ("xs:int", " -7\n", V::Int(-7)),
            ("int", "+7", V::Int(7)),
            ("xsd:int", "2147483648", other("int", "2147483648")),
            ("xsd:unsignedInt", "-1", other("unsignedInt", "-1")),
            ("xsd:unsignedInt", "-0", V::UnsignedInt(0)),
            (
                "xsd:unsignedLong",
                "18446744073709551615",
                V::UnsignedLong(u64::MAX),
            ),
            ("xsd:long", "-9223372036854775808", V::Long(i64::MIN)),
            ("xsd:long", "1.0", other("long", "1.0")),
            ("xsd:int", "", other("int", "")),
            ("xsd:boolean", "1", V::Boolean(true)),
            ("xsd:boolean", " False ", V::Boolean(false)),
            ("xsd:boolean", "TRUE", V::Boolean(true)),
            ("xsd:boolean", "yes", other("boolean", "yes")),
            ("xsd:string", "  a b \n", V::string("  a b \n")),
            (
                "soap-enc:base64",
                "aGVs\r\nbG8=\n",
                V::Base64(b"hello".to_vec()),
            ),
            ("xsd:base64Binary", "", V::Base64(vec![])),
            ("xsd:base64", "aGVsbG8", other("base64", "aGVsbG8")),
            ("xsd:hexBinary", "0aFf", V::HexBinary(vec![0x0a, 0xff])),
            ("xsd:hexBinary", "abc", other("hexBinary", "abc")),
            ("xsd:hexBinary", "zz", other("hexBinary", "zz")),
            (
                "xsd:dateTime",
                "2024-02-30T00:00:00Z",
                other("dateTime", "2024-02-30T00:00:00Z"),
            ),
            ("cwmp:foo", " x ", other("foo", " x ")),
            (" xsd:Int ", "1", V::Int(1)),
        ];
        for (ty, text, want) in cases {
            assert_eq!(Value::from_wire(Some(ty), text), want, "{ty} {text:?}");
        }
        assert_eq!(Value::from_wire(None, " x "), V::Untyped(" x ".into()));
        let d = Value::from_wire(Some("xsd:dateTime"), " 2026-11-21T20:26:35+00:00 ");
        assert_eq!(d.to_string(), "2026-11-21T20:26:35Z");
        assert_eq!(d.xsd_type(), Some(XsdType::DateTime));
    }

    #[test]
    fn strict_parsing() {
        assert_eq!(Value::parse(XsdType::Int, " 5 "), Ok(V::Int(5)));
        let e = Value::parse(XsdType::Int, "x").unwrap_err();
        assert_eq!(e.to_string(), "invalid xsd:int value: not an i32");
        let e = Value::parse(XsdType::DateTime, "2024-02-30T00:00:00Z").unwrap_err();
        assert!(e.to_string().contains("day does not exist"), "{e}");
        assert!(Value::parse(XsdType::HexBinary, "1").is_err());
        assert!(Value::parse(XsdType::Base64, "!!!!").is_err());
        assert!(Value::parse(XsdType::Boolean, "").is_err());
    }

    #[test]
    fn canonical_text_and_types() {
        let cases = [
            (V::Boolean(true), Some("boolean"), "true"),
            (V::Int(-3), Some("int"), "-3"),
            (
                V::UnsignedLong(u64::MAX),
                Some("unsignedLong"),
                "18446744073709551615",
            ),
            (V::Base64(b"hello".to_vec()), Some("base64"), "aGVsbG8="),
            (
                V::HexBinary(vec![0x0a, 0xff, 0]),
                Some("hexBinary"),
                "0AFF00",
            ),
            (
                V::DateTime(DateTime::UNKNOWN),
                Some("dateTime"),
                "0001-01-01T00:00:00Z",
            ),
            (V::string("<&>"), Some("string"), "<&>"),
            (V::Untyped("u".into()), None, "u"),
            (other("foo", "bar"), Some("foo"), "bar"),
        ];
        for (v, ty, text) in cases {
            assert_eq!(v.xsi_type(), ty);
            assert_eq!(v.to_string(), text);
            assert_eq!(v.as_text(), text);
        }
        assert!(matches!(V::string("x").as_text(), Cow::Borrowed(_)));
        assert_eq!(other("int", "x").xsd_type(), None);
        assert_eq!(Value::from(5u32), V::UnsignedInt(5));
        assert_eq!(Value::from("s"), V::string("s"));
    }

    #[test]
    fn json_shape() {
        let json = |v: &Value| serde_json::to_string(v).unwrap();
        assert_eq!(
            json(&V::UnsignedInt(42)),
            r#"{"type":"unsignedInt","value":"42"}"#
        );
        assert_eq!(
            json(&V::Untyped("t".into())),
            r#"{"type":null,"value":"t"}"#
        );
        let cases = [
            (r#"{"value":"t"}"#, V::Untyped("t".into())),
            (r#"{"type":"int","value":"x"}"#, other("int", "x")),
            (r#"{"type":"cwmp:foo","value":"1"}"#, other("cwmp:foo", "1")),
            (
                r#"{"type":"base64Binary","value":"AA=="}"#,
                V::Base64(vec![0]),
            ),
            (r#"{"type":"string","value":"a\"\\"}"#, V::string("a\"\\")),
        ];
        for (text, want) in cases {
            assert_eq!(serde_json::from_str::<Value>(text).unwrap(), want, "{text}");
        }
        let bad = [
            r#"{"type":"int"}"#,
            r#"{"type":"int","value":42}"#,
            r#"{"type":"int","value":"1","x":1}"#,
        ];
        for text in bad {
            assert!(serde_json::from_str::<Value>(text).is_err(), "{text}");
        }
    }

    fn arb_typed() -> impl Strategy<Value = Value> {
        let bytes = || proptest::collection::vec(any::<u8>(), 0..48);
        prop_oneof![
            any::<String>().prop_map(Value::String),
            any::<i32>().prop_map(Value::Int),
            any::<u32>().prop_map(Value::UnsignedInt),
            any::<i64>().prop_map(Value::Long),
            any::<u64>().prop_map(Value::UnsignedLong),
            any::<bool>().prop_map(Value::Boolean),
            arb_datetime().prop_map(Value::DateTime),
            bytes().prop_map(Value::Base64),
            bytes().prop_map(Value::HexBinary),
        ]
    }

    fn arb_type_name() -> impl Strategy<Value = String> {
        prop_oneof![
            proptest::sample::select(XsdType::ALL.map(XsdType::wire_name).to_vec())
                .prop_map(String::from),
            Just("base64Binary".to_string()),
            "[a-zA-Z:_ -]{0,16}",
            any::<String>(),
        ]
    }

    /// Any value `from_wire` can produce (Other/Untyped included).
    fn arb_value() -> impl Strategy<Value = Value> {
        prop_oneof![
            arb_typed(),
            any::<String>().prop_map(Value::Untyped),
            (arb_type_name(), any::<String>()).prop_map(|(t, s)| Value::from_wire(Some(&t), &s)),
            (arb_type_name(), "[0-9a-zA-Z+/=: .-]{0,24}")
                .prop_map(|(t, s)| Value::from_wire(Some(&t), &s)),
        ]
    }

    proptest! {
        #[test]
        fn wire_round_trip(v in arb_value()) {
            let text = v.to_string();
            prop_assert_eq!(&Value::from_wire(v.xsi_type(), &text), &v);
            if let Some(ty) = v.xsi_type() {
                prop_assert_eq!(&Value::from_wire(Some(&format!("xsd:{ty}")), &text), &v);
            }
        }

        #[test]
        fn typed_strict_round_trip(v in arb_typed()) {
            let ty = v.xsd_type().unwrap();
            prop_assert_eq!(Value::parse(ty, &v.to_string()), Ok(v));
        }

        #[test]
        fn json_round_trip(v in arb_value()) {
            let json = serde_json::to_string(&v).unwrap();
            prop_assert_eq!(serde_json::from_str::<Value>(&json).unwrap(), v);
        }

        #[test]
        fn from_wire_never_panics(ty in proptest::option::of(arb_type_name()), text in any::<String>()) {
            let v = Value::from_wire(ty.as_deref(), &text);
            let _ = v.to_string();
        }
    }
}
