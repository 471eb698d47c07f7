//! [`Query`] → SQL `WHERE` conditions and `ORDER BY` keys over `devices d`, for both
//! backends ([`Dialect`]).
//!
//! The dialects differ in three places: `$regex` is `REGEXP` on SQLite (the `regexp`
//! function of the SQLite store's connections) and `~` on PostgreSQL; PostgreSQL's
//! placeholders carry their type (`$1::text`, `$2::float8`), since it infers none from
//! `$1 IS NULL` or a BIGINT column compared with a real; and PostgreSQL casts a number
//! only when its text is one (SQLite's `CAST` never fails, PostgreSQL's aborts the query).
//! Text ordering is bytewise on both: SQLite's `BINARY` collation, PostgreSQL's columns
//! are `COLLATE "C"`. Every condition is written so that it is never NULL, so `NOT` means
//! what the in-memory evaluator means.
//!
//! Expression comparisons ([`Cond::Compare`]) see each field as two columns, its number
//! and its string (each NULL unless the value is of that class), and follow GenieACS's
//! ordering: a number is less than any string. `NOW()` is the time the buffer was made.

use crate::query::{CmpOp, Cond, Field, IdentityField, Query, Scalar, SortKey, Typed};
use crate::store::{DeviceFilter, DeviceQuery, Timestamp};

/// The SQL spoken by a backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dialect {
    /// The embedded store.
    Sqlite,
    /// The cluster store.
    Postgres,
}

/// A bound argument.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Arg {
    /// Text.
    Text(String),
    /// A number.
    Real(f64),
}

/// Accumulates SQL text with its arguments (`$1`, `$2`, … in order).
#[derive(Debug)]
pub(crate) struct SqlBuf {
    /// The arguments.
    pub(crate) args: Vec<Arg>,
    /// `NOW()` of expression queries (Unix ms).
    now: i64,
    /// The SQL written.
    dialect: Dialect,
}

/// A field as expression comparisons see it: SQL for its number and its string, each NULL
/// unless the value is of that class.
struct Typed2 {
    num: String,
    text: String,
}

/// Characters of a parameter value in PostgreSQL's `parameters_path_value` index
/// (migrations/postgres/0001_init.sql).
const VALUE_PREFIX: u32 = 200;

/// Text that PostgreSQL casts to a number without failing (`int`s as a CPE writes them).
const PG_NUMBER: &str = "'^[ ]*[-+]?[0-9]+(\\.[0-9]+)?([eE][-+]?[0-9]+)?[ ]*$'";

/// The string of a parameter row: every other type, and a `boolean` whose text is not one
/// (kept verbatim by the store, a string in memory too).
const PARAM_TEXT: &str = "(CASE WHEN p.value_type IS NULL OR p.value_type NOT IN ('int', \
    'unsignedInt', 'long', 'unsignedLong', 'boolean') OR (p.value_type = 'boolean' AND \
    p.value NOT IN ('true', 'false')) THEN p.value END)";

/// `value_type`s compared numerically.
const NUMERIC_TYPES: &str = "('int', 'unsignedInt', 'long', 'unsignedLong')";

impl SqlBuf {
    /// A buffer of `dialect` whose `NOW()` is the current time.
    pub(crate) fn new(dialect: Dialect) -> SqlBuf {
        SqlBuf::at(dialect, Timestamp::now())
    }

    /// A buffer of `dialect` whose `NOW()` is `now`.
    pub(crate) fn at(dialect: Dialect, now: Timestamp) -> SqlBuf {
        SqlBuf {
            args: Vec::new(),
            now: now.as_millis(),
            dialect,
        }
    }

    fn bind(&mut self, a: Arg) -> String {
        let cast = match (self.dialect, &a) {
            (Dialect::Sqlite, _) => "",
            (Dialect::Postgres, Arg::Text(_)) => "::text",
            (Dialect::Postgres, Arg::Real(_)) => "::float8",
        };
        self.args.push(a);
        format!("${}{cast}", self.args.len())
    }

    /// `text` matches the regular expression `re`.
    fn regex(&self, text: &str, re: &str) -> String {
        match self.dialect {
            Dialect::Sqlite => format!("{text} REGEXP {re}"),
            Dialect::Postgres => format!("{text} ~ {re}"),
        }
    }

    /// The number of an integer-typed parameter text `col`, NULL if it is none.
    fn cast_number(&self, col: &str) -> String {
        match self.dialect {
            Dialect::Sqlite => format!("CAST({col} AS DOUBLE PRECISION)"),
            Dialect::Postgres => {
                format!("(CASE WHEN {col} ~ {PG_NUMBER} THEN CAST({col} AS DOUBLE PRECISION) END)")
            }
        }
    }

    /// The number of a parameter row: the integer types, and booleans as 0/1.
    fn param_num(&self) -> String {
        format!(
            "(CASE WHEN p.value_type IN {NUMERIC_TYPES} THEN {} WHEN p.value_type = 'boolean' \
             THEN (CASE p.value WHEN 'true' THEN 1.0 WHEN 'false' THEN 0.0 END) END)",
            self.cast_number("p.value")
        )
    }

    /// Binds a text argument; returns its placeholder.
    pub(crate) fn text(&mut self, t: &str) -> String {
        self.bind(Arg::Text(t.to_owned()))
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
        if matches!(cond, Cond::Compare(..) | Cond::Like { .. } | Cond::NotNull) {
            return self.expression_field(field, cond);
        }
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
                             THEN {} END) {} {n}",
                            self.cast_number("p.value"),
                            op.sql()
                        )
                    }
                    Cond::In(values) if self.dialect == Dialect::Postgres => {
                        self.indexed_in(values)
                    }
                    other => self.text_cond("p.value", other),
                };
                // Driven by the (path, value) index: the devices come from the parameters
                // that match, not from a probe of every device.
                format!("d.id IN (SELECT p.device_id FROM parameters p WHERE p.path = {p} AND {c})")
            }
        }
    }

    /// An expression condition on a field, never NULL itself.
    fn expression_field(&mut self, field: &Field, cond: &Cond) -> String {
        let null = || "NULL".to_owned();
        let text = |c: &str| Typed2 {
            num: null(),
            text: c.to_owned(),
        };
        let num = |c: &str| Typed2 {
            num: c.to_owned(),
            text: null(),
        };
        match field {
            Field::Id => self.typed_cond(&text("d.id"), cond),
            Field::Identity(i) => {
                self.typed_cond(&text(&format!("d.{}", identity_column(*i))), cond)
            }
            Field::LastInform => self.typed_cond(&num("d.last_inform_ms"), cond),
            Field::Registered => self.typed_cond(&num("d.created_ms"), cond),
            Field::Tags => {
                let c = self.typed_cond(&text("t.tag"), cond);
                format!("EXISTS (SELECT 1 FROM device_tags t WHERE t.device_id = d.id AND {c})")
            }
            Field::Param(path) => {
                let p = self.bind(Arg::Text(path.clone()));
                let typed = Typed2 {
                    num: self.param_num(),
                    text: PARAM_TEXT.to_owned(),
                };
                let c = self.typed_cond(&typed, cond);
                format!(
                    "EXISTS (SELECT 1 FROM parameters p WHERE p.device_id = d.id \
                     AND p.path = {p} AND p.value IS NOT NULL AND {c})"
                )
            }
        }
    }

    /// [`Cond::Compare`], [`Cond::Like`] or [`Cond::NotNull`] on a typed field.
    fn typed_cond(&mut self, f: &Typed2, cond: &Cond) -> String {
        let (num, text) = (&f.num, &f.text);
        match cond {
            Cond::NotNull => format!("({num} IS NOT NULL OR {text} IS NOT NULL)"),
            Cond::Like { pattern, negated } => {
                let re = self.bind(Arg::Text(pattern.source().into()));
                let not = if *negated { "NOT " } else { "" };
                format!("({text} IS NOT NULL AND {not}({}))", self.regex(text, &re))
            }
            Cond::Compare(op, term) => {
                let Some(value) = term.eval(Some(self.now)) else {
                    return "1 = 0".into();
                };
                let op = *op;
                match value.typed() {
                    None => "1 = 0".into(),
                    Some(Typed::Num(n)) => {
                        let n = self.bind(Arg::Real(n));
                        // Every string is greater than a number.
                        let strings = matches!(op, CmpOp::Gt | CmpOp::Ge | CmpOp::Ne);
                        let or = if strings {
                            format!(" OR {text} IS NOT NULL")
                        } else {
                            String::new()
                        };
                        format!("(({num} IS NOT NULL AND {num} {} {n}){or})", op.sql())
                    }
                    Some(Typed::Text(s)) => {
                        let s = self.bind(Arg::Text(s.to_owned()));
                        let numbers = matches!(op, CmpOp::Lt | CmpOp::Le | CmpOp::Ne);
                        let or = if numbers {
                            format!(" OR {num} IS NOT NULL")
                        } else {
                            String::new()
                        };
                        format!("(({text} IS NOT NULL AND {text} {} {s}){or})", op.sql())
                    }
                }
            }
            _ => "1 = 0".into(),
        }
    }

    /// PostgreSQL: a parameter value among `values`, written so that the index on
    /// `(path, left(value, VALUE_PREFIX))` finds the rows (values of any length may be
    /// stored, a B-tree entry may not be).
    fn indexed_in(&mut self, values: &[Scalar]) -> String {
        let marks: Vec<String> = values
            .iter()
            .map(|v| self.bind(Arg::Text(v.text())))
            .collect();
        if marks.is_empty() {
            return "1 = 0".into();
        }
        let prefixes: Vec<String> = marks
            .iter()
            .map(|m| format!("left({m}, {VALUE_PREFIX})"))
            .collect();
        format!(
            "(p.value IS NOT NULL AND left(p.value, {VALUE_PREFIX}) IN ({}) AND p.value IN ({}))",
            prefixes.join(", "),
            marks.join(", ")
        )
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
            Cond::Regex(p) => {
                let re = self.bind(Arg::Text(p.source().into()));
                self.regex(col, &re)
            }
            // Numeric conditions name parameters or times only (the parser sees to it);
            // expression conditions are written by `typed_cond`.
            Cond::Num(..) | Cond::Compare(..) | Cond::Like { .. } | Cond::NotNull => {
                return "1 = 0".into();
            }
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
            Cond::Text(..)
            | Cond::Regex(_)
            | Cond::Compare(..)
            | Cond::Like { .. }
            | Cond::NotNull => return "1 = 0".into(),
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
                    let number = self.cast_number("p.value");
                    let sub = |what: &str| {
                        format!(
                            "(SELECT {what} FROM parameters p WHERE p.device_id = d.id \
                             AND p.path = {p})"
                        )
                    };
                    vec![
                        sub(&format!(
                            "CASE WHEN p.value_type IN {NUMERIC_TYPES} THEN {number} END"
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

/// `WHERE` clause of a device query over `devices d`, its arguments collected in `buf`.
pub(crate) fn device_where(q: &DeviceQuery, buf: &mut SqlBuf) -> String {
    let mut sql = String::from(" WHERE 1 = 1");
    for f in &q.filters {
        match f {
            DeviceFilter::Id(id) => {
                let m = buf.text(id.as_str());
                sql.push_str(&format!(" AND d.id = {m}"));
            }
            DeviceFilter::Tag(t) | DeviceFilter::NotTag(t) => {
                let m = buf.text(t);
                let not = if matches!(f, DeviceFilter::NotTag(_)) {
                    "NOT "
                } else {
                    ""
                };
                sql.push_str(&format!(
                    " AND {not}EXISTS (SELECT 1 FROM device_tags t \
                     WHERE t.device_id = d.id AND t.tag = {m})"
                ));
            }
            DeviceFilter::Matches(query) => {
                let c = buf.condition(query);
                sql.push_str(&format!(" AND ({c})"));
            }
            DeviceFilter::ParamEquals { path, value } => {
                let p = buf.text(path);
                let v = match buf.dialect {
                    Dialect::Postgres => buf.indexed_in(&[Scalar::Text(value.clone())]),
                    Dialect::Sqlite => format!("p.value = {}", buf.text(value)),
                };
                sql.push_str(&format!(
                    " AND d.id IN (SELECT p.device_id FROM parameters p \
                     WHERE p.path = {p} AND {v})"
                ));
            }
        }
    }
    sql
}

fn identity_column(i: IdentityField) -> &'static str {
    match i {
        IdentityField::Manufacturer => "manufacturer",
        IdentityField::Oui => "oui",
        IdentityField::ProductClass => "product_class",
        IdentityField::SerialNumber => "serial_number",
    }
}
