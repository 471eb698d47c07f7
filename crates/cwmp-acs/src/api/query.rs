//! Translation of GenieACS (MongoDB-style) device queries into [`DeviceQuery`] filters.
//!
//! Supported: `{"_id": id}`, `{"_tags": tag}`, `{"_tags": {"$ne": tag}}`,
//! `{"<parameter path>": value}` (also `<path>._value`), `{"$eq": v}` on any of these,
//! `$in` with a single element, and `$and` of such queries. Anything else is refused with
//! a message rather than silently ignored.

use serde_json::Value as Json;

use crate::store::{DeviceFilter, DeviceId};

/// A query the API cannot translate.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unsupported query: {0}")]
pub struct QueryError(pub String);

fn err(msg: impl Into<String>) -> QueryError {
    QueryError(msg.into())
}

/// Translates a query object into filters (their conjunction).
pub fn translate(query: &Json) -> Result<Vec<DeviceFilter>, QueryError> {
    let mut filters = Vec::new();
    add(query, &mut filters)?;
    Ok(filters)
}

fn add(query: &Json, filters: &mut Vec<DeviceFilter>) -> Result<(), QueryError> {
    let obj = query
        .as_object()
        .ok_or_else(|| err("a query must be a JSON object"))?;
    for (key, cond) in obj {
        if key == "$and" {
            let parts = cond
                .as_array()
                .ok_or_else(|| err("$and takes an array of queries"))?;
            for part in parts {
                add(part, filters)?;
            }
        } else if key.starts_with('$') {
            return Err(err(format!("operator {key} is not supported")));
        } else {
            filters.push(field(key, cond)?);
        }
    }
    Ok(())
}

/// `(negated, scalar)` of a condition: a plain value, `{"$eq": v}`, `{"$ne": v}` or
/// `{"$in": [v]}`.
fn condition<'a>(key: &str, cond: &'a Json) -> Result<(bool, &'a Json), QueryError> {
    let Some(obj) = cond.as_object() else {
        return Ok((false, cond));
    };
    let mut entries = obj.iter();
    let (Some((op, v)), None) = (entries.next(), entries.next()) else {
        return Err(err(format!(
            "{key}: exactly one operator per field is supported"
        )));
    };
    match op.as_str() {
        "$eq" => Ok((false, v)),
        "$ne" => Ok((true, v)),
        "$in" => match v.as_array().map(Vec::as_slice) {
            Some([one]) => Ok((false, one)),
            _ => Err(err(format!("{key}: $in is supported with one value only"))),
        },
        other => Err(err(format!("{key}: operator {other} is not supported"))),
    }
}

fn scalar_text(key: &str, v: &Json) -> Result<String, QueryError> {
    match v {
        Json::String(s) => Ok(s.clone()),
        Json::Bool(b) => Ok(b.to_string()),
        Json::Number(n) => Ok(n.to_string()),
        _ => Err(err(format!(
            "{key}: the value must be a string, number or boolean"
        ))),
    }
}

fn field(key: &str, cond: &Json) -> Result<DeviceFilter, QueryError> {
    let (negated, value) = condition(key, cond)?;
    let text = scalar_text(key, value)?;
    match key {
        "_id" if !negated => Ok(DeviceFilter::Id(DeviceId::from_escaped(text))),
        "_tags" => Ok(if negated {
            DeviceFilter::NotTag(text)
        } else {
            DeviceFilter::Tag(text)
        }),
        _ if negated => Err(err(format!("{key}: $ne is supported on _tags only"))),
        _ if key.starts_with('_') => Err(err(format!("field {key} is not supported"))),
        _ => {
            let path = key.strip_suffix("._value").unwrap_or(key);
            Ok(DeviceFilter::ParamEquals {
                path: path.to_owned(),
                value: text,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn supported_and_refused() {
        let f = translate(&json!({"_id": "A-B-C", "_tags": {"$ne": "x"},
            "$and": [{"Device.X._value": 5}, {"_tags": {"$in": ["t"]}}]}))
        .expect("ok");
        assert_eq!(f.len(), 4);
        assert!(f.contains(&DeviceFilter::Id(DeviceId::from_escaped("A-B-C"))));
        assert!(f.contains(&DeviceFilter::NotTag("x".into())));
        assert!(f.contains(&DeviceFilter::Tag("t".into())));
        assert!(f.contains(&DeviceFilter::ParamEquals {
            path: "Device.X".into(),
            value: "5".into()
        }));
        assert!(translate(&json!({"_id": {"$regex": "a"}})).is_err());
        assert!(translate(&json!({"$or": []})).is_err());
        assert!(translate(&json!({"_lastInform": 1})).is_err());
        assert!(translate(&json!([1])).is_err());
    }
}
