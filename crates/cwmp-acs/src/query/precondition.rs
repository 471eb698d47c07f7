//! A preset's precondition as GenieACS stores it: a JSON query, that query's JSON text
//! (GenieACS's `"precondition": "{\"_tags\": \"test\"}"`), or a GenieACS expression
//! (`"Tags.lab IS NOT NULL"`, see [`expression`](super::expression)). Empty: every device.

use serde_json::Value as Json;

use super::{Limits, Query, QueryError, parse, parse_text};

/// Longest precondition text accepted.
pub const MAX_TEXT: usize = 16 * 1024;

/// Parses a stored or PUT precondition.
pub fn parse_precondition(precondition: &Json, limits: &Limits) -> Result<Query, QueryError> {
    match precondition {
        Json::Null => Ok(Query::all()),
        Json::String(text) if text.len() > MAX_TEXT => Err(QueryError(format!(
            "the precondition is longer than {MAX_TEXT} bytes"
        ))),
        Json::String(text) => parse_text(text, limits),
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
        assert_eq!(
            parse_precondition(&json!("Tags.lab IS NOT NULL"), &l),
            parse_text("Tags.lab IS NOT NULL", &l)
        );
        let e = parse_precondition(&json!("Tags.lab IS NOT"), &l).expect_err("expression");
        assert!(e.0.contains("column 16"), "{e}");
        assert!(parse_precondition(&json!(3), &l).is_err());
    }
}
