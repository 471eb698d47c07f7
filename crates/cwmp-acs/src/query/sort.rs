//! `sort=` of `GET /devices`: `{"<field>": 1 | -1, …}` as GenieACS, on the fields a query
//! can name (tags excepted).

use serde_json::Value as Json;

use super::parse::field;
use super::{Field, Limits, QueryError};

/// Most sort keys accepted.
pub const MAX_SORT_KEYS: usize = 4;

/// One sort key: devices without the field come last either way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SortKey {
    /// What to sort by.
    pub field: Field,
    /// Largest first.
    pub descending: bool,
}

/// Parses a sort object; an empty one sorts by id.
pub fn parse_sort(sort: &Json) -> Result<Vec<SortKey>, QueryError> {
    let Some(obj) = sort.as_object() else {
        return Err(QueryError("sort must be a JSON object".into()));
    };
    if obj.len() > MAX_SORT_KEYS {
        return Err(QueryError(format!("at most {MAX_SORT_KEYS} sort keys")));
    }
    obj.iter()
        .map(|(k, dir)| {
            let field = field(k, &Limits::default())?;
            if field == Field::Tags {
                return Err(QueryError("cannot sort by _tags".into()));
            }
            let descending = match dir.as_i64() {
                Some(1) => false,
                Some(-1) => true,
                _ => return Err(QueryError(format!("sort {k}: direction must be 1 or -1"))),
            };
            Ok(SortKey { field, descending })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn keys_and_errors() {
        let keys = parse_sort(&json!({"_lastInform": -1, "Device.X": 1})).expect("sort");
        assert_eq!(keys.len(), 2);
        assert!(
            keys.iter()
                .any(|k| k.field == Field::LastInform && k.descending)
        );
        assert!(parse_sort(&json!({"_tags": 1})).is_err());
        assert!(parse_sort(&json!({"x": 2})).is_err());
        assert!(parse_sort(&json!([])).is_err());
    }
}
