//! The in-memory evaluator, used for preset preconditions.

use cwmp::Value;

use super::{Cond, Field, IdentityField, Query, Scalar, Term, Typed};
use crate::store::{Device, Parameter, Timestamp};

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

/// The value of a parameter as the expression language types it: booleans and the four
/// integer types are numbers, everything else (`dateTime` included) is text.
fn typed_param(v: &Value) -> TypedValue<'_> {
    match v {
        Value::Boolean(b) => TypedValue::Num(f64::from(u8::from(*b))),
        v => match numeric(v) {
            Some(n) => TypedValue::Num(n),
            None => TypedValue::Text(v.as_text()),
        },
    }
}

/// An owned-or-borrowed [`Typed`].
enum TypedValue<'a> {
    Num(f64),
    Text(std::borrow::Cow<'a, str>),
}

impl TypedValue<'_> {
    fn typed(&self) -> Typed<'_> {
        match self {
            TypedValue::Num(n) => Typed::Num(*n),
            TypedValue::Text(s) => Typed::Text(s),
        }
    }
}

impl<'a> DeviceView<'a> {
    /// The typed values of a field (none when NULL; one per tag for `_tags`).
    fn typed(&self, field: &Field) -> Vec<TypedValue<'a>> {
        let d = self.device;
        #[allow(clippy::cast_precision_loss)]
        let time = |t: Timestamp| TypedValue::Num(t.as_millis() as f64);
        let text = |s: &'a str| TypedValue::Text(s.into());
        match field {
            Field::Id => vec![text(d.id.as_str())],
            Field::Tags => d.tags.iter().map(|t| text(t.as_str())).collect(),
            Field::Identity(i) => vec![text(match i {
                IdentityField::Manufacturer => &d.identity.manufacturer,
                IdentityField::Oui => &d.identity.oui,
                IdentityField::ProductClass => &d.identity.product_class,
                IdentityField::SerialNumber => &d.identity.serial_number,
            })],
            Field::LastInform => d.last_inform.map(time).into_iter().collect(),
            Field::Registered => vec![time(d.created)],
            Field::Param(path) => self
                .param(path)
                .and_then(|p| p.value.as_ref())
                .map(typed_param)
                .into_iter()
                .collect(),
        }
    }
}

impl Query {
    /// True when the device matches (the in-memory evaluator); `NOW()` is the current time.
    pub fn matches(&self, view: DeviceView<'_>) -> bool {
        self.matches_at(view, Timestamp::now())
    }

    /// True when the device matches with `NOW()` at `now`.
    pub fn matches_at(&self, view: DeviceView<'_>, now: Timestamp) -> bool {
        match self {
            Query::And(qs) => qs.iter().all(|q| q.matches_at(view, now)),
            Query::Or(qs) => qs.iter().any(|q| q.matches_at(view, now)),
            Query::Not(q) => !q.matches_at(view, now),
            Query::Cond(field, cond) => view.holds(field, cond, now),
        }
    }
}

impl DeviceView<'_> {
    /// Whether `cond` holds on `field` of this device, `NOW()` being `now`.
    fn holds(&self, field: &Field, cond: &Cond, now: Timestamp) -> bool {
        let found = || self.find(field);
        match cond {
            Cond::Compare(op, term) => {
                // A literal (the usual case) is compared without a copy.
                let evaluated;
                let value = match term {
                    Term::Lit(l) => l,
                    t => match t.eval(Some(now.as_millis())) {
                        Some(v) => {
                            evaluated = v;
                            &evaluated
                        }
                        None => return false,
                    },
                };
                let Some(value) = value.typed() else {
                    return false;
                };
                self.typed(field)
                    .iter()
                    .any(|v| op.holds(v.typed().compare(value)))
            }
            Cond::Like { pattern, negated } => self.typed(field).iter().any(|v| match v {
                TypedValue::Text(s) => pattern.0.is_match(s) != *negated,
                TypedValue::Num(_) => false,
            }),
            Cond::NotNull => !self.typed(field).is_empty(),
            Cond::Exists => found().exists,
            Cond::In(values) if field.is_time() => {
                let number = found().number;
                values.iter().any(|v| match v {
                    Scalar::Num(n) => number.is_some() && n.as_f64() == number,
                    _ => false,
                })
            }
            Cond::In(values) => {
                let texts = found().texts;
                values.iter().any(|v| texts.iter().any(|t| *t == v.text()))
            }
            Cond::Num(op, n) => found()
                .number
                .is_some_and(|x| x.partial_cmp(&n.0).is_some_and(|o| op.holds(o))),
            Cond::Text(op, s) => found()
                .texts
                .iter()
                .any(|t| op.holds(t.as_bytes().cmp(s.as_bytes()))),
            Cond::Regex(p) => found().texts.iter().any(|t| p.0.is_match(t)),
        }
    }
}
