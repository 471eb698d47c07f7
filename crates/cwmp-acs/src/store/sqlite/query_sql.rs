//! [`Query`] → SQL `WHERE` conditions and `ORDER BY` keys over `devices d`.
//!
//! Portable to PostgreSQL but for one operator: `$regex` is written `REGEXP` (SQLite, with
//! the `regexp` function of [`conn`](super::conn)); PostgreSQL spells it `~`. Text ordering is bytewise on SQLite
//! (`BINARY` collation); PostgreSQL needs `COLLATE "C"` for the same answers. Every
//! condition is written so that it is never NULL, so `NOT` means what the in-memory
//! evaluator means.

use crate::query::{Cond, Field, IdentityField, Query, Scalar, SortKey};

/// A bound argument.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Arg {
    /// Text.
    Text(String),
    /// A number.
    Real(f64),
}

/// Accumulates SQL text with its arguments (`$1`, `$2`, … in order).
#[derive(Debug, Default)]
pub(crate) struct SqlBuf {
    /// The arguments.
    pub(crate) args: Vec<Arg>,
}

/// `value_type`s compared numerically.
const NUMERIC_TYPES: &str = "('int', 'unsignedInt', 'long', 'unsignedLong')";

impl SqlBuf {
    fn bind(&mut self, a: Arg) -> String {
        self.args.push(a);
        format!("${}", self.args.len())
    }

    /// Binds a text argument; returns its placeholder.
    pub(crate) fn text(&mut self, t: &str) -> String {
        self.bind(Arg::Text(t.to_owned()))
    }

    /// The arguments, for [`conn::query`](super::conn::query).
    pub(crate) fn arg_refs(&self) -> Vec<&dyn rusqlite::ToSql> {
        self.args
            .iter()
            .map(|a| match a {
                Arg::Text(t) => t as &dyn rusqlite::ToSql,
                Arg::Real(r) => r as &dyn rusqlite::ToSql,
            })
            .collect()
    }

    /// The condition `q` holds for `d`.
    pub(crate) fn condition(&mut self, q: &Query) -> String {
        match q {
            Query::And(qs) if qs.is_empty() => "1 = 1".into(),
            Query::Or(qs) if qs.is_empty() => "1 = 0".into(),
            Query::And(qs) => self.join(qs, " AND "),
            Query::Or(qs) => self.join(qs, " OR "),
            Query::Not(q) => format!("NOT ({})", self.condition(q)),
            Query::Cond(field, cond) => self.field(field, cond),
        }
    }

    fn join(&mut self, qs: &[Query], op: &str) -> String {
        let parts: Vec<String> = qs
            .iter()
            .map(|q| format!("({})", self.condition(q)))
            .collect();
        parts.join(op)
    }

    fn field(&mut self, field: &Field, cond: &Cond) -> String {
        let column = |c: &str| format!("d.{c}");
        match field {
            Field::Id => self.text_cond(&column("id"), cond),
            Field::Identity(i) => self.text_cond(&column(identity_column(*i)), cond),
            Field::LastInform => self.time_cond("d.last_inform_ms", cond),
            Field::Registered => self.time_cond("d.created_ms", cond),
            Field::Tags => {
                let c = self.text_cond("t.tag", cond);
                format!("EXISTS (SELECT 1 FROM device_tags t WHERE t.device_id = d.id AND {c})")
            }
            Field::Param(path) => {
                let p = self.bind(Arg::Text(path.clone()));
                let c = match cond {
                    Cond::Exists => "1 = 1".to_owned(),
                    Cond::Num(op, n) => {
                        let n = self.bind(Arg::Real(n.0));
                        format!(
                            "p.value IS NOT NULL AND (CASE WHEN p.value_type IN {NUMERIC_TYPES} \
                             THEN CAST(p.value AS DOUBLE PRECISION) END) {} {n}",
                            op.sql()
                        )
                    }
                    other => self.text_cond("p.value", other),
                };
                format!(
                    "EXISTS (SELECT 1 FROM parameters p WHERE p.device_id = d.id \
                     AND p.path = {p} AND {c})"
                )
            }
        }
    }

    /// A condition on a text column that may be NULL, never NULL itself.
    fn text_cond(&mut self, col: &str, cond: &Cond) -> String {
        let body = match cond {
            Cond::Exists => return format!("{col} IS NOT NULL"),
            Cond::In(values) => {
                let marks: Vec<String> = values
                    .iter()
                    .map(|v| self.bind(Arg::Text(v.text())))
                    .collect();
                if marks.is_empty() {
                    return "1 = 0".into();
                }
                format!("{col} IN ({})", marks.join(", "))
            }
            Cond::Text(op, s) => format!("{col} {} {}", op.sql(), self.bind(Arg::Text(s.clone()))),
            Cond::Regex(p) => format!("{col} REGEXP {}", self.bind(Arg::Text(p.source().into()))),
            // Numeric conditions name parameters or times only (the parser sees to it).
            Cond::Num(..) => return "1 = 0".into(),
        };
        format!("({col} IS NOT NULL AND {body})")
    }

    fn time_cond(&mut self, col: &str, cond: &Cond) -> String {
        let body = match cond {
            Cond::Exists => return format!("{col} IS NOT NULL"),
            Cond::In(values) => {
                let marks: Vec<String> = values
                    .iter()
                    .filter_map(|v| match v {
                        Scalar::Num(n) => n.as_f64(),
                        _ => None,
                    })
                    .map(|n| self.bind(Arg::Real(n)))
                    .collect();
                if marks.is_empty() {
                    return "1 = 0".into();
                }
                format!("{col} IN ({})", marks.join(", "))
            }
            Cond::Num(op, n) => format!("{col} {} {}", op.sql(), self.bind(Arg::Real(n.0))),
            Cond::Text(..) | Cond::Regex(_) => return "1 = 0".into(),
        };
        format!("({col} IS NOT NULL AND {body})")
    }

    /// `ORDER BY` terms for `keys`, the id last; missing values sort last.
    pub(crate) fn order_by(&mut self, keys: &[SortKey]) -> String {
        let mut terms = Vec::new();
        for k in keys {
            let dir = if k.descending { "DESC" } else { "ASC" };
            let exprs = match &k.field {
                Field::Id => vec!["d.id".to_owned()],
                Field::Identity(i) => vec![format!("d.{}", identity_column(*i))],
                Field::LastInform => vec!["d.last_inform_ms".to_owned()],
                Field::Registered => vec!["d.created_ms".to_owned()],
                Field::Tags => Vec::new(),
                Field::Param(path) => {
                    let p = self.bind(Arg::Text(path.clone()));
                    let sub = |what: &str| {
                        format!(
                            "(SELECT {what} FROM parameters p WHERE p.device_id = d.id \
                             AND p.path = {p})"
                        )
                    };
                    vec![
                        sub(&format!(
                            "CASE WHEN p.value_type IN {NUMERIC_TYPES} \
                             THEN CAST(p.value AS DOUBLE PRECISION) END"
                        )),
                        sub("p.value"),
                    ]
                }
            };
            for e in exprs {
                terms.push(format!("({e} IS NULL) ASC, {e} {dir}"));
            }
        }
        terms.push("d.id ASC".into());
        terms.join(", ")
    }
}

fn identity_column(i: IdentityField) -> &'static str {
    match i {
        IdentityField::Manufacturer => "manufacturer",
        IdentityField::Oui => "oui",
        IdentityField::ProductClass => "product_class",
        IdentityField::SerialNumber => "serial_number",
    }
}
