//! Checking a value against a parameter's syntax (type, range, length,
//! enumeration, pattern, list facets), producing the canonical text to store.

use cwmp::{Value, XsdType};

use crate::model::MSyntax;
use crate::schema::syntax::{BaseType, FacetAccess, Syntax};

/// Why a value was refused: maps to fault 9006 or 9007.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum ValueFault {
    /// `xsi:type` differs from the parameter's type (9006).
    #[error("wrong type: {0}")]
    Type(String),
    /// The value is not acceptable (9007).
    #[error("invalid value: {0}")]
    Value(String),
}

fn bad(msg: impl Into<String>) -> ValueFault {
    ValueFault::Value(msg.into())
}

/// Checks a typed value sent by the ACS (TR-069 A.3.2.1: 9006 for a type
/// mismatch, 9007 for a value outside the facets); `Untyped` values are
/// parsed as the schema type.
pub(crate) fn check_value(syn: &MSyntax, v: &Value) -> Result<String, ValueFault> {
    let expected = syn.wire_type();
    match v {
        Value::Untyped(text) => check(syn, text, true),
        Value::Other { xsi_type, text } => {
            let named = XsdType::from_wire_name(xsi_type);
            if named.is_some() && named == expected {
                Err(bad(format!("{text:?} is not a valid {xsi_type}")))
            } else if expected.is_none() && xsi_type.eq_ignore_ascii_case("decimal") {
                check(syn, text, true)
            } else {
                Err(ValueFault::Type(format!(
                    "{xsi_type} given, {} expected",
                    type_name(syn)
                )))
            }
        }
        typed => {
            let given = typed.xsd_type();
            // Decimal parameters have no XsdType: accept xsd:string text.
            let ok = given == expected || (expected.is_none() && given == Some(XsdType::String));
            if !ok {
                return Err(ValueFault::Type(format!(
                    "{} given, {} expected",
                    typed.xsi_type().unwrap_or("?"),
                    type_name(syn)
                )));
            }
            check(syn, &typed.as_text(), true)
        }
    }
}

fn type_name(syn: &MSyntax) -> &'static str {
    syn.wire_type().map_or("decimal", XsdType::wire_name)
}

/// Checks text (from a profile, a local set or the store) against the syntax;
/// read-only enumeration values are allowed.
pub(crate) fn check_text(syn: &MSyntax, text: &str) -> Result<String, ValueFault> {
    check(syn, text, false)
}

fn check(syn: &MSyntax, text: &str, by_acs: bool) -> Result<String, ValueFault> {
    let s = &syn.syntax;
    let Some(list) = &s.list else {
        return item(syn, text, by_acs);
    };
    let len = text.chars().count();
    if !list.sizes.is_empty() && !list.sizes.iter().any(|r| fits(r.min, r.max, len)) {
        return Err(bad(format!("list length {len} out of range")));
    }
    let items: Vec<&str> = if text.trim().is_empty() {
        Vec::new()
    } else {
        text.split(',').map(str::trim).collect()
    };
    let n = items.len();
    if n < list.min_items as usize || list.max_items.is_some_and(|m| n > m as usize) {
        return Err(bad(format!("{n} list items out of range")));
    }
    let mut out = String::with_capacity(text.len());
    for (i, it) in items.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&item(syn, it, by_acs)?);
    }
    Ok(out)
}

fn fits(min: u32, max: Option<u32>, len: usize) -> bool {
    len >= min as usize && max.is_none_or(|m| len <= m as usize)
}

fn sizes_ok(s: &Syntax, len: usize) -> bool {
    s.sizes.is_empty() || s.sizes.iter().any(|r| fits(r.min, r.max, len))
}

/// Integer bounds of a base type.
fn int_bounds(base: BaseType) -> (i128, i128) {
    match base {
        BaseType::Int => (i32::MIN.into(), i32::MAX.into()),
        BaseType::UnsignedInt => (0, u32::MAX.into()),
        BaseType::Long => (i64::MIN.into(), i64::MAX.into()),
        _ => (0, u64::MAX.into()),
    }
}

fn item(syn: &MSyntax, text: &str, by_acs: bool) -> Result<String, ValueFault> {
    let s = &syn.syntax;
    let canon = match s.base {
        BaseType::String => {
            let len = text.chars().count();
            if !sizes_ok(s, len) {
                return Err(bad(format!("length {len} out of range")));
            }
            text.to_owned()
        }
        BaseType::Int | BaseType::UnsignedInt | BaseType::Long | BaseType::UnsignedLong => {
            let t = text.trim();
            let t = t.strip_prefix('+').unwrap_or(t);
            let n: i128 = t
                .parse()
                .map_err(|_| bad(format!("{text:?} is not an integer")))?;
            let (lo, hi) = int_bounds(s.base);
            if n < lo || n > hi {
                return Err(bad(format!("{n} out of the type's range")));
            }
            let in_range = |r: &crate::schema::syntax::IntRange| {
                let min = r.min.unwrap_or(lo);
                n >= min
                    && r.max.is_none_or(|m| n <= m)
                    && (r.step <= 1 || (n - min) % i128::from(r.step) == 0)
            };
            if !s.ranges.is_empty() && !s.ranges.iter().any(in_range) {
                return Err(bad(format!("{n} out of range")));
            }
            n.to_string()
        }
        BaseType::Boolean => match Value::parse(XsdType::Boolean, text) {
            Ok(v) => v.as_text().into_owned(),
            Err(e) => return Err(bad(e.to_string())),
        },
        BaseType::DateTime => match Value::parse(XsdType::DateTime, text) {
            Ok(v) => v.as_text().into_owned(),
            Err(e) => return Err(bad(e.to_string())),
        },
        BaseType::Base64 | BaseType::HexBinary => {
            let ty = if s.base == BaseType::Base64 {
                XsdType::Base64
            } else {
                XsdType::HexBinary
            };
            let v = Value::parse(ty, text).map_err(|e| bad(e.to_string()))?;
            let len = match &v {
                Value::Base64(b) | Value::HexBinary(b) => b.len(),
                _ => 0,
            };
            if !sizes_ok(s, len) {
                return Err(bad(format!("{len} bytes out of range")));
            }
            v.as_text().into_owned()
        }
        BaseType::Decimal => {
            let t = text.trim();
            let lexical = !t.is_empty()
                && t.trim_start_matches(['+', '-'])
                    .bytes()
                    .all(|b| b.is_ascii_digit() || b == b'.')
                && t.matches('.').count() <= 1;
            let x: f64 = t
                .parse()
                .ok()
                .filter(|_| lexical)
                .ok_or_else(|| bad(format!("{text:?} is not a decimal")))?;
            let num = |b: &Option<Box<str>>| b.as_deref().and_then(|v| v.parse::<f64>().ok());
            let in_range = |r: &crate::schema::syntax::DecimalRange| {
                num(&r.min).is_none_or(|m| x >= m) && num(&r.max).is_none_or(|m| x <= m)
            };
            if !s.decimal_ranges.is_empty() && !s.decimal_ranges.iter().any(in_range) {
                return Err(bad(format!("{t} out of range")));
            }
            t.to_owned()
        }
    };
    if !s.enumerations.is_empty() {
        let found = s.enumerations.iter().find(|e| *e.value == *canon);
        match found {
            None => return Err(bad(format!("{canon:?} is not an allowed value"))),
            Some(e) if by_acs && e.access == FacetAccess::ReadOnly => {
                return Err(bad(format!("{canon:?} may not be set by the ACS")));
            }
            Some(_) => {}
        }
    }
    if syn.has_patterns() {
        let res = syn.regexes();
        // If any pattern could not be compiled by the regex crate, none is enforced.
        if res.len() == s.patterns.len() && !res.iter().any(|r| r.is_match(&canon)) {
            return Err(bad(format!("{canon:?} does not match the pattern")));
        }
    }
    Ok(canon)
}
