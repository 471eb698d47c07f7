//! JSON → [`Query`], bounded in depth, size and regex cost.

use serde_json::{Map, Value as Json};

use super::{Cond, Field, IdentityField, OrderedNum, Ordering, Pattern, Query, QueryError, Scalar};

/// Bounds on a query, so that a hostile one cannot exhaust the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Deepest nesting of `$and`/`$or`/`$nor`/`$not`.
    pub max_depth: usize,
    /// Most conditions and operators in total.
    pub max_nodes: usize,
    /// Most values in one `$in`/`$nin`.
    pub max_list: usize,
    /// Longest `$regex` source (bytes).
    pub max_regex_bytes: usize,
    /// Most memory one compiled regex may take (bytes).
    pub regex_size_limit: usize,
    /// Longest parameter path or string value (bytes).
    pub max_string_bytes: usize,
    /// Longest query text, JSON or expression (bytes).
    pub max_text_bytes: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_depth: 12,
            max_nodes: 256,
            max_list: 256,
            max_regex_bytes: 512,
            regex_size_limit: 1 << 20,
            max_string_bytes: 1024,
            max_text_bytes: 16 * 1024,
        }
    }
}

fn err<T>(msg: impl Into<String>) -> Result<T, QueryError> {
    Err(QueryError(msg.into()))
}

/// Parses a query object with the given limits.
pub fn parse(query: &Json, limits: &Limits) -> Result<Query, QueryError> {
    let mut p = Parser { limits, nodes: 0 };
    p.query(query, 0)
}

struct Parser<'l> {
    limits: &'l Limits,
    nodes: usize,
}

impl Parser<'_> {
    fn count(&mut self) -> Result<(), QueryError> {
        self.nodes += 1;
        if self.nodes > self.limits.max_nodes {
            return err(format!("more than {} conditions", self.limits.max_nodes));
        }
        Ok(())
    }

    fn query(&mut self, q: &Json, depth: usize) -> Result<Query, QueryError> {
        if depth > self.limits.max_depth {
            return err(format!("nested deeper than {}", self.limits.max_depth));
        }
        let Some(obj) = q.as_object() else {
            return err("a query must be a JSON object");
        };
        let mut parts = Vec::with_capacity(obj.len());
        for (key, v) in obj {
            self.count()?;
            parts.push(match key.as_str() {
                "$and" => Query::And(self.list(key, v, depth)?),
                "$or" => Query::Or(self.list(key, v, depth)?),
                "$nor" => Query::Not(Box::new(Query::Or(self.list(key, v, depth)?))),
                "$not" => Query::Not(Box::new(self.query(v, depth + 1)?)),
                k if k.starts_with('$') => return err(format!("unknown operator {k}")),
                k => self.field_query(field(k, self.limits)?, k, v)?,
            });
        }
        Ok(one_or_and(parts))
    }

    fn list(&mut self, key: &str, v: &Json, depth: usize) -> Result<Vec<Query>, QueryError> {
        let Some(items) = v.as_array() else {
            return err(format!("{key} takes an array of queries"));
        };
        items.iter().map(|q| self.query(q, depth + 1)).collect()
    }

    /// The condition(s) `v` places on field `f` (named `key`).
    fn field_query(&mut self, f: Field, key: &str, v: &Json) -> Result<Query, QueryError> {
        let Some(ops) = v
            .as_object()
            .filter(|o| o.keys().any(|k| k.starts_with('$')))
        else {
            let eq = Query::Cond(f.clone(), Cond::In(vec![self.scalar_of(&f, key, v)?]));
            return Ok(match v.as_str() {
                Some(text) => self.with_string_shortcuts(&f, key, text, eq),
                None => eq,
            });
        };
        let mut parts = Vec::with_capacity(ops.len());
        for (op, arg) in ops {
            self.count()?;
            if op == "$options" {
                if !ops.contains_key("$regex") {
                    return err(format!("{key}: $options without $regex"));
                }
                continue;
            }
            parts.push(self.operator(&f, key, op, arg, ops)?);
        }
        Ok(one_or_and(parts))
    }

    /// GenieACS's shortcuts for a string value (its `query.expand`): `"/re/flags"` also
    /// matches as a regular expression, and a value with `*` as a wildcard pattern (`SIM*`
    /// begins with `SIM`). The value itself still matches too. A shortcut that cannot apply
    /// to the field (a time) is left out.
    fn with_string_shortcuts(&self, f: &Field, key: &str, text: &str, eq: Query) -> Query {
        let mut alternatives = vec![eq];
        if let Some((src, flags)) = text
            .strip_prefix('/')
            .and_then(|rest| rest.rsplit_once('/'))
            .filter(|(_, flags)| flags.bytes().all(|b| b"gimy".contains(&b)))
        {
            let src = if flags.contains('m') {
                format!("(?m){src}")
            } else {
                src.to_owned()
            };
            let options = if flags.contains('i') { "i" } else { "" };
            if let Ok(p) = self.regex(f, key, &Json::String(src), options) {
                alternatives.push(Query::Cond(f.clone(), Cond::Regex(p)));
            }
        }
        if text.contains('*') {
            let src = wildcard_regex(text);
            if let Ok(p) = self.regex(f, key, &Json::String(src), "") {
                alternatives.push(Query::Cond(f.clone(), Cond::Regex(p)));
            }
        }
        if alternatives.len() == 1 {
            alternatives.swap_remove(0)
        } else {
            Query::Or(alternatives)
        }
    }

    fn operator(
        &mut self,
        f: &Field,
        key: &str,
        op: &str,
        arg: &Json,
        ops: &Map<String, Json>,
    ) -> Result<Query, QueryError> {
        let cond = |c: Cond| Ok(Query::Cond(f.clone(), c));
        let not = |q: Query| Ok(Query::Not(Box::new(q)));
        match op {
            "$eq" => cond(Cond::In(vec![self.scalar_of(f, key, arg)?])),
            "$ne" => not(Query::Cond(
                f.clone(),
                Cond::In(vec![self.scalar_of(f, key, arg)?]),
            )),
            "$in" => cond(Cond::In(self.scalars(f, key, op, arg)?)),
            "$nin" => not(Query::Cond(
                f.clone(),
                Cond::In(self.scalars(f, key, op, arg)?),
            )),
            "$gt" | "$gte" | "$lt" | "$lte" => cond(self.ordering(f, key, op, arg)?),
            "$exists" => match arg.as_bool() {
                Some(true) => cond(Cond::Exists),
                Some(false) => not(Query::Cond(f.clone(), Cond::Exists)),
                None => err(format!("{key}: $exists takes true or false")),
            },
            "$regex" => {
                let options = match ops.get("$options") {
                    None => "",
                    Some(Json::String(o)) => o.as_str(),
                    Some(_) => return err(format!("{key}: $options must be a string")),
                };
                cond(Cond::Regex(self.regex(f, key, arg, options)?))
            }
            "$not" => {
                let inner = match arg {
                    Json::Object(_) => self.field_query(f.clone(), key, arg)?,
                    Json::String(_) => {
                        Query::Cond(f.clone(), Cond::Regex(self.regex(f, key, arg, "")?))
                    }
                    _ => return err(format!("{key}: $not takes an operator object")),
                };
                not(inner)
            }
            other => err(format!("{key}: unknown operator {other}")),
        }
    }

    fn scalar(&self, key: &str, v: &Json) -> Result<Scalar, QueryError> {
        match v {
            Json::String(s) if s.len() > self.limits.max_string_bytes => err(format!(
                "{key}: value longer than {} bytes",
                self.limits.max_string_bytes
            )),
            Json::String(s) => Ok(Scalar::Text(s.clone())),
            Json::Number(n) if n.as_f64().is_some_and(f64::is_finite) => Ok(Scalar::Num(n.clone())),
            Json::Bool(b) => Ok(Scalar::Bool(*b)),
            _ => err(format!(
                "{key}: a value must be a string, number or boolean"
            )),
        }
    }

    /// [`Self::scalar`] for field `f`: a time given as text (GenieACS's
    /// `"2017-12-11 13:16:23 +0000"`, ISO 8601) becomes its Unix milliseconds.
    fn scalar_of(&self, f: &Field, key: &str, v: &Json) -> Result<Scalar, QueryError> {
        match (f.is_time(), v) {
            (true, Json::String(text)) => super::date::date_millis(text)
                .map(|ms| Scalar::Num(ms.into()))
                .ok_or_else(|| QueryError(format!("{key}: {text:?} is not a date"))),
            _ => self.scalar(key, v),
        }
    }

    fn scalars(
        &mut self,
        f: &Field,
        key: &str,
        op: &str,
        v: &Json,
    ) -> Result<Vec<Scalar>, QueryError> {
        let Some(items) = v.as_array() else {
            return err(format!("{key}: {op} takes an array"));
        };
        if items.len() > self.limits.max_list {
            return err(format!(
                "{key}: {op} has more than {} values",
                self.limits.max_list
            ));
        }
        self.nodes += items.len();
        self.count()?;
        items.iter().map(|i| self.scalar_of(f, key, i)).collect()
    }

    fn ordering(&self, f: &Field, key: &str, op: &str, v: &Json) -> Result<Cond, QueryError> {
        let ord = match op {
            "$gt" => Ordering::Gt,
            "$gte" => Ordering::Gte,
            "$lt" => Ordering::Lt,
            _ => Ordering::Lte,
        };
        match (self.scalar_of(f, key, v)?, f) {
            (Scalar::Num(n), Field::Param(_) | Field::LastInform | Field::Registered) => {
                Ok(Cond::Num(ord, OrderedNum(n.as_f64().unwrap_or(0.0))))
            }
            (Scalar::Num(_), _) => err(format!(
                "{key}: {op} with a number needs a parameter or a time"
            )),
            (Scalar::Text(s), _) => Ok(Cond::Text(ord, s)),
            (Scalar::Bool(_), _) => err(format!("{key}: {op} takes a number or a string")),
        }
    }

    fn regex(&self, f: &Field, key: &str, v: &Json, options: &str) -> Result<Pattern, QueryError> {
        if f.is_time() {
            return err(format!("{key}: $regex does not apply to times"));
        }
        let Some(src) = v.as_str() else {
            return err(format!("{key}: $regex takes a string"));
        };
        if src.len() > self.limits.max_regex_bytes {
            return err(format!(
                "{key}: $regex longer than {} bytes",
                self.limits.max_regex_bytes
            ));
        }
        let src = match options {
            "" => src.to_owned(),
            "i" => format!("(?i){src}"),
            o => {
                return err(format!(
                    "{key}: $options {o:?} is not supported (only \"i\")"
                ));
            }
        };
        regex::RegexBuilder::new(&src)
            .size_limit(self.limits.regex_size_limit)
            .build()
            .map(Pattern)
            .map_err(|e| QueryError(format!("{key}: $regex: {e}")))
    }
}

/// A wildcard value (`*` for any text) as an anchored regular expression; a leading or
/// trailing `*` leaves that end open.
fn wildcard_regex(text: &str) -> String {
    let parts: Vec<String> = text.split('*').map(regex::escape).collect();
    let mut src = parts.join(".*");
    if !text.starts_with('*') {
        src.insert(0, '^');
    }
    if !text.ends_with('*') {
        src.push('$');
    }
    src
}

fn one_or_and(mut parts: Vec<Query>) -> Query {
    if parts.len() == 1 {
        parts.swap_remove(0)
    } else {
        Query::And(parts)
    }
}

/// The field named by a query key.
pub(super) fn field(key: &str, limits: &Limits) -> Result<Field, QueryError> {
    use IdentityField as I;
    Ok(match key {
        "_id" | "DeviceID.ID" => Field::Id,
        "_tags" => Field::Tags,
        "_lastInform" => Field::LastInform,
        "_registered" => Field::Registered,
        "_deviceId._Manufacturer" | "DeviceID.Manufacturer" => Field::Identity(I::Manufacturer),
        "_deviceId._OUI" | "DeviceID.OUI" => Field::Identity(I::Oui),
        "_deviceId._ProductClass" | "DeviceID.ProductClass" => Field::Identity(I::ProductClass),
        "_deviceId._SerialNumber" | "DeviceID.SerialNumber" => Field::Identity(I::SerialNumber),
        k if k.starts_with('_') || k.starts_with("DeviceID.") => {
            return err(format!("field {k} is not supported"));
        }
        k => {
            let path = k.strip_suffix("._value").unwrap_or(k);
            if path.is_empty() || path.len() > limits.max_string_bytes {
                return err(format!("bad parameter path {k:?}"));
            }
            if let Some((_, attr)) = path.rsplit_once("._") {
                return err(format!("{k}: attribute _{attr} cannot be queried"));
            }
            Field::Param(path.to_owned())
        }
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn p(q: Json) -> Result<Query, QueryError> {
        parse(&q, &Limits::default())
    }

    #[test]
    fn shapes() {
        assert_eq!(p(json!({})).expect("empty"), Query::all());
        assert_eq!(
            p(json!({"Device.X._value": 5})).expect("eq"),
            Query::Cond(
                Field::Param("Device.X".into()),
                Cond::In(vec![Scalar::Num(5.into())])
            )
        );
        let q = p(json!({"_tags": {"$ne": "a"}, "$or": [{"_id": "x"}, {"DeviceID.SerialNumber": {"$regex": "^S", "$options": "i"}}]}))
            .expect("mixed");
        let Query::And(parts) = q else { panic!("and") };
        assert_eq!(parts.len(), 2);
        assert!(p(json!({"x": {"$gt": 1, "$lt": 9}})).is_ok());
        assert!(p(json!({"_lastInform": {"$lt": 10}})).is_ok());
    }

    #[test]
    fn times_given_as_dates_become_milliseconds() {
        // The example of GenieACS's api-reference.rst.
        let q = p(json!({"_lastInform": {"$lt": "2017-12-11 13:16:23 +0000"}})).expect("date");
        assert_eq!(
            q,
            Query::Cond(
                Field::LastInform,
                Cond::Num(Ordering::Lt, OrderedNum(1_512_998_183_000.0))
            )
        );
        for (text, ms) in [
            ("2017-12-11T13:16:23Z", 1_512_998_183_000),
            ("2017-12-11T14:16:23.500+01:00", 1_512_998_183_500),
            ("2017-12-11 13:16:23", 1_512_998_183_000),
            ("2017-12-11", 1_512_950_400_000),
            ("1513000000000", 1_513_000_000_000),
        ] {
            assert_eq!(super::super::date::date_millis(text), Some(ms), "{text}");
        }
        assert_eq!(super::super::date::date_millis("soon"), None);
    }

    #[test]
    fn refusals_are_clear() {
        for (q, needle) in [
            (json!([1]), "object"),
            (json!({"$where": "1"}), "unknown operator"),
            (json!({"_foo": 1}), "not supported"),
            (json!({"x": {"$regex": "("}}), "$regex"),
            (json!({"x": {"$in": 3}}), "array"),
            (json!({"x": null}), "string, number or boolean"),
            (json!({"_lastInform": {"$gt": "yesterday"}}), "not a date"),
            (json!({"_id": {"$gt": 3}}), "needs a parameter"),
            (json!({"x": {"$regex": "a", "$options": "x"}}), "$options"),
            (json!({"x._writable": true}), "attribute"),
        ] {
            let e = p(q.clone()).expect_err(&q.to_string());
            assert!(e.0.contains(needle), "{q}: {e}");
        }
    }

    #[test]
    fn bounds() {
        let mut deep = json!({"x": 1});
        for _ in 0..20 {
            deep = json!({"$and": [deep]});
        }
        assert!(p(deep).expect_err("deep").0.contains("deeper"));
        let wide: Vec<Json> = (0..300).map(|i| json!({"x": i})).collect();
        assert!(
            p(json!({"$or": wide}))
                .expect_err("wide")
                .0
                .contains("conditions")
        );
        let long = "a".repeat(600);
        assert!(p(json!({"x": {"$regex": long}})).is_err());
        assert!(p(json!({"x": {"$regex": "a{1000}{1000}"}})).is_err());
    }
}
