//! Equality queries over the small collections GenieACS lets scripts search (`/files`,
//! `/faults`, `/objects`, `/tasks`): `?query={"filename": "fw.bin"}`, dotted keys into the document
//! (`{"metadata.fileType": "1 Firmware Upgrade Image"}`). Operators are refused with 400 rather
//! than ignored.

use axum::http::HeaderMap;
use serde_json::{Map, Value as Json};

use super::devices::parse_query;
use super::{ApiError, ApiResult, total_headers};

/// `?query=` of a small collection.
#[derive(Debug, serde::Deserialize)]
pub(crate) struct QueryParam {
    /// The query's JSON.
    pub(crate) query: Option<String>,
}

/// A parsed `?query=`: field path → wanted value.
pub(crate) struct DocQuery(Map<String, Json>);

impl DocQuery {
    /// Parses `?query=` (absent: everything).
    pub(crate) fn parse(text: Option<&str>) -> ApiResult<DocQuery> {
        let Json::Object(fields) = parse_query(text)? else {
            return Err(ApiError::bad_request("query must be a JSON object"));
        };
        if let Some((key, _)) = fields
            .iter()
            .find(|(k, v)| k.starts_with('$') || v.is_object() || v.is_array())
        {
            return Err(ApiError::bad_request(format!(
                "query: {key}: only equality on a field is supported here"
            )));
        }
        Ok(DocQuery(fields))
    }

    /// Removes field `key` from the query and returns its wanted value (for a field the
    /// store filters on).
    pub(crate) fn take(&mut self, key: &str) -> Option<Json> {
        self.0.remove(key)
    }

    /// True when no field is left to match.
    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The value of field `key` in `doc` (dotted keys descend into objects).
    fn field<'a>(doc: &'a Json, key: &str) -> Option<&'a Json> {
        doc.get(key)
            .or_else(|| key.split('.').try_fold(doc, |node, part| node.get(part)))
    }

    /// True when every field of the query equals the document's.
    pub(crate) fn matches(&self, doc: &Json) -> bool {
        self.0
            .iter()
            .all(|(k, want)| Self::field(doc, k) == Some(want))
    }
}

/// The documents of a small collection that match `query`, with their count in the headers.
pub(crate) fn listing(
    docs: impl Iterator<Item = Json>,
    query: &DocQuery,
) -> (HeaderMap, axum::Json<Json>) {
    let shown: Vec<Json> = docs.filter(|d| query.matches(d)).collect();
    let headers = total_headers(u64::try_from(shown.len()).unwrap_or(u64::MAX));
    (headers, axum::Json(Json::Array(shown)))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn equality_on_plain_and_dotted_fields() {
        let doc =
            json!({"filename": "fw.bin", "metadata": {"fileType": "1 Firmware Upgrade Image"}});
        let q = |t: &str| DocQuery::parse(Some(t)).expect("query");
        assert!(q(r#"{"filename": "fw.bin"}"#).matches(&doc));
        assert!(!q(r#"{"filename": "other"}"#).matches(&doc));
        assert!(q(r#"{"metadata.fileType": "1 Firmware Upgrade Image"}"#).matches(&doc));
        assert!(q("").matches(&doc));
        assert!(DocQuery::parse(Some(r#"{"filename": {"$ne": "x"}}"#)).is_err());
        assert!(DocQuery::parse(Some(r#"{"$or": []}"#)).is_err());
    }
}
