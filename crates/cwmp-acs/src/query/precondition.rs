//! A preset's precondition as GenieACS stores it: a JSON query, or that query's JSON text
//! (GenieACS's `"precondition": "{\"_tags\": \"test\"}"`). Empty: every device.

use serde_json::Value as Json;

use super::{Limits, Query, QueryError, parse};

/// Longest precondition text accepted.
pub const MAX_TEXT: usize = 16 * 1024;

/// Parses a stored or PUT precondition.
pub fn parse_precondition(precondition: &Json, limits: &Limits) -> Result<Query, QueryError> {
    match precondition {
        Json::Null => Ok(Query::all()),
        Json::String(text) if text.trim().is_empty() => Ok(Query::all()),
        Json::String(text) if text.trim_start().starts_with('{') => {
            if text.len() > MAX_TEXT {
                return Err(QueryError(format!(
                    "the precondition is longer than {MAX_TEXT} bytes"
                )));
            }
            let json: Json = serde_json::from_str(text)
                .map_err(|e| QueryError(format!("the precondition is not JSON: {e}")))?;
            parse(&json, limits)
        }
        Json::String(_) => Err(QueryError(
            "GenieACS expressions (e.g. Tags.lab IS NOT NULL) are not supported yet; \
             give the precondition as a JSON query"
                .into(),
        )),
        other => parse(other, limits),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn object_text_and_empty_forms() {
        let l = Limits::default();
        let object = parse_precondition(&json!({"_tags": "test"}), &l).expect("object");
        let text = parse_precondition(&json!("{\"_tags\": \"test\"}"), &l).expect("text");
        assert_eq!(object, text);
        assert_eq!(parse_precondition(&json!(""), &l), Ok(Query::all()));
        assert_eq!(parse_precondition(&Json::Null, &l), Ok(Query::all()));
        assert!(parse_precondition(&json!("{\"_tags\": "), &l).is_err());
        assert!(parse_precondition(&json!("Tags.lab IS NOT NULL"), &l).is_err());
        assert!(parse_precondition(&json!(3), &l).is_err());
    }
}
