//! The in-memory evaluator, used for preset preconditions.

use cwmp::Value;

use super::{Cond, Field, IdentityField, Query, Scalar};
use crate::store::{Device, Parameter};

/// What a field holds on one device: its texts (several for tags) and, for times and
/// numeric parameters, its number.
struct Found<'a> {
    texts: Vec<std::borrow::Cow<'a, str>>,
    number: Option<f64>,
    exists: bool,
}

/// The number of a numeric parameter (`int`, `unsignedInt`, `long`, `unsignedLong`).
fn numeric(v: &Value) -> Option<f64> {
    // Precision loss above 2^53 is accepted: SQL compares the same `DOUBLE PRECISION`.
    #[allow(clippy::cast_precision_loss)]
    match v {
        Value::Int(n) => Some(f64::from(*n)),
        Value::UnsignedInt(n) => Some(f64::from(*n)),
        Value::Long(n) => Some(*n as f64),
        Value::UnsignedLong(n) => Some(*n as f64),
        _ => None,
    }
}

/// A device with its parameters (sorted by path, as the store returns them).
#[derive(Debug, Clone, Copy)]
pub struct DeviceView<'a> {
    /// The record.
    pub device: &'a Device,
    /// Its parameters, sorted by path.
    pub params: &'a [Parameter],
}

impl<'a> DeviceView<'a> {
    fn param(&self, path: &str) -> Option<&'a Parameter> {
        self.params
            .binary_search_by(|p| p.path.as_str().cmp(path))
            .ok()
            .map(|i| &self.params[i])
    }

    fn find(&self, field: &Field) -> Found<'a> {
        let d = self.device;
        let text = |s: &'a str| Found {
            texts: vec![s.into()],
            number: None,
            exists: true,
        };
        #[allow(clippy::cast_precision_loss)]
        let time = |t: Option<crate::store::Timestamp>| Found {
            texts: Vec::new(),
            number: t.map(|t| t.as_millis() as f64),
            exists: t.is_some(),
        };
        match field {
            Field::Id => text(d.id.as_str()),
            Field::Tags => Found {
                texts: d.tags.iter().map(|t| t.as_str().into()).collect(),
                number: None,
                exists: !d.tags.is_empty(),
            },
            Field::Identity(i) => text(match i {
                IdentityField::Manufacturer => &d.identity.manufacturer,
                IdentityField::Oui => &d.identity.oui,
                IdentityField::ProductClass => &d.identity.product_class,
                IdentityField::SerialNumber => &d.identity.serial_number,
            }),
            Field::LastInform => time(d.last_inform),
            Field::Registered => time(Some(d.created)),
            Field::Param(path) => match self.param(path) {
                None => Found {
                    texts: Vec::new(),
                    number: None,
                    exists: false,
                },
                Some(p) => Found {
                    texts: p.value.iter().map(Value::as_text).collect(),
                    number: p.value.as_ref().and_then(numeric),
                    exists: true,
                },
            },
        }
    }
}

impl Query {
    /// True when the device matches (the in-memory evaluator).
    pub fn matches(&self, view: DeviceView<'_>) -> bool {
        match self {
            Query::And(qs) => qs.iter().all(|q| q.matches(view)),
            Query::Or(qs) => qs.iter().any(|q| q.matches(view)),
            Query::Not(q) => !q.matches(view),
            Query::Cond(field, cond) => {
                let found = view.find(field);
                match cond {
                    Cond::Exists => found.exists,
                    Cond::In(values) if field.is_time() => values.iter().any(|v| match v {
                        Scalar::Num(n) => found.number.is_some() && n.as_f64() == found.number,
                        _ => false,
                    }),
                    Cond::In(values) => values
                        .iter()
                        .any(|v| found.texts.iter().any(|t| *t == v.text())),
                    Cond::Num(op, n) => found
                        .number
                        .is_some_and(|x| x.partial_cmp(&n.0).is_some_and(|o| op.holds(o))),
                    Cond::Text(op, s) => found
                        .texts
                        .iter()
                        .any(|t| op.holds(t.as_bytes().cmp(s.as_bytes()))),
                    Cond::Regex(p) => found.texts.iter().any(|t| p.0.is_match(t)),
                }
            }
        }
    }
}
