//! GenieACS's `objects` collection: the instances that presets create (`add_object`) or
//! remove (`delete_object`), each named by the values of its key parameters.
//!
//! A document `{"_id": "guest", "_keys": ["SSID"], "SSID": "guest", "Enable": true}` names
//! the instance of `Device.WiFi.SSID.` whose `SSID` is `guest` (GenieACS's alias
//! `Device.WiFi.SSID.[SSID:"guest"]`); `Enable` is set on it. Nested documents are
//! flattened (`{"Security": {"Mode": "x"}}` is `Security.Mode`), and without `_keys` every
//! field is a key, as GenieACS does since 1.0.

use std::collections::BTreeMap;

use serde_json::{Map, Value as Json};

/// Most fields in one document.
pub const MAX_FIELDS: usize = 64;
/// Longest field name (a relative parameter path).
pub const MAX_FIELD: usize = 256;
/// Longest text value.
pub const MAX_VALUE: usize = 4096;
/// Deepest nesting of a document.
const MAX_DEPTH: usize = 8;

/// One entry of the objects collection.
#[derive(Debug, Clone, PartialEq)]
pub struct PresetObject {
    /// Its name (GenieACS's `_id`), referenced by presets' `object`.
    pub name: String,
    /// Fields that identify the instance (a subset of `values`' names).
    pub keys: Vec<String>,
    /// Values by relative parameter name: strings, numbers or booleans.
    pub values: BTreeMap<String, Json>,
}

/// A document that cannot be an object: the reason names the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct InvalidObject(pub String);

impl PresetObject {
    /// Parses a document as GenieACS's `PUT /objects/<name>` takes it. `_id`, if given, must
    /// be `name`; other keys starting with `_` are refused but `_keys`.
    pub fn from_document(name: &str, doc: &Json) -> Result<PresetObject, InvalidObject> {
        let Json::Object(map) = doc else {
            return Err(InvalidObject("an object must be a JSON object".into()));
        };
        let mut values = BTreeMap::new();
        let mut keys = None;
        for (k, v) in map {
            match k.as_str() {
                "_id" if v.as_str() == Some(name) => {}
                "_id" => {
                    return Err(InvalidObject(format!(
                        "_id {v} differs from the name {name:?}"
                    )));
                }
                "_keys" => keys = Some(key_list(v)?),
                _ if k.starts_with('_') => {
                    return Err(InvalidObject(format!("unknown key {k:?}")));
                }
                _ => flatten(k, v, 0, &mut values)?,
            }
        }
        if values.len() > MAX_FIELDS {
            return Err(InvalidObject(format!("more than {MAX_FIELDS} fields")));
        }
        let keys = match keys {
            Some(keys) if !keys.is_empty() => {
                if let Some(k) = keys.iter().find(|k| !values.contains_key(*k)) {
                    return Err(InvalidObject(format!("_keys: {k:?} is not a field")));
                }
                keys
            }
            _ => values.keys().cloned().collect(),
        };
        if keys.is_empty() {
            return Err(InvalidObject(
                "an object needs at least one field to identify its instance".into(),
            ));
        }
        Ok(PresetObject {
            name: name.to_owned(),
            keys,
            values,
        })
    }

    /// The document as stored and listed: `_id`, `_keys` and the flattened fields.
    pub fn to_document(&self) -> Json {
        let mut doc = Map::new();
        doc.insert("_id".into(), Json::String(self.name.clone()));
        doc.insert(
            "_keys".into(),
            Json::Array(self.keys.iter().cloned().map(Json::String).collect()),
        );
        for (k, v) in &self.values {
            doc.insert(k.clone(), v.clone());
        }
        Json::Object(doc)
    }

    /// `(name, value)` of the key fields.
    pub fn key_values(&self) -> impl Iterator<Item = (&str, &Json)> {
        self.keys
            .iter()
            .filter_map(|k| self.values.get_key_value(k))
            .map(|(k, v)| (k.as_str(), v))
    }

    /// `(name, value)` of the fields that are not keys: what is set on the instance.
    pub fn other_values(&self) -> impl Iterator<Item = (&str, &Json)> {
        self.values
            .iter()
            .filter(|(k, _)| !self.keys.contains(k))
            .map(|(k, v)| (k.as_str(), v))
    }
}

fn key_list(v: &Json) -> Result<Vec<String>, InvalidObject> {
    let Json::Array(items) = v else {
        return Err(InvalidObject(
            "_keys must be an array of field names".into(),
        ));
    };
    if items.len() > MAX_FIELDS {
        return Err(InvalidObject(format!("_keys: more than {MAX_FIELDS}")));
    }
    items
        .iter()
        .map(|k| match k {
            Json::String(s) => Ok(s.clone()),
            _ => Err(InvalidObject(
                "_keys must be an array of field names".into(),
            )),
        })
        .collect()
}

fn flatten(
    name: &str,
    v: &Json,
    depth: usize,
    out: &mut BTreeMap<String, Json>,
) -> Result<(), InvalidObject> {
    let valid_name = !name.is_empty()
        && name.len() <= MAX_FIELD
        && name.split('.').all(|seg| {
            !seg.is_empty()
                && seg
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        });
    if !valid_name {
        return Err(InvalidObject(format!("{name:?} is not a parameter name")));
    }
    match v {
        Json::Object(map) if depth < MAX_DEPTH => {
            for (k, v) in map {
                flatten(&format!("{name}.{k}"), v, depth + 1, out)?;
            }
            Ok(())
        }
        Json::Object(_) => Err(InvalidObject(format!("{name}: nested too deep"))),
        Json::String(s) if s.len() > MAX_VALUE => Err(InvalidObject(format!(
            "{name}: longer than {MAX_VALUE} bytes"
        ))),
        Json::String(_) | Json::Number(_) | Json::Bool(_) => {
            if out.len() >= MAX_FIELDS {
                return Err(InvalidObject(format!("more than {MAX_FIELDS} fields")));
            }
            out.insert(name.to_owned(), v.clone());
            Ok(())
        }
        _ => Err(InvalidObject(format!(
            "{name}: a value is a string, number or boolean"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn keys_default_to_every_field_and_documents_flatten() {
        let o = PresetObject::from_document(
            "guest",
            &json!({"_id": "guest", "SSID": "guest", "Security": {"Mode": "None"}}),
        )
        .expect("parse");
        assert_eq!(o.name, "guest");
        assert_eq!(o.keys, ["SSID", "Security.Mode"]);
        assert_eq!(o.other_values().count(), 0);
        let round = PresetObject::from_document("guest", &o.to_document()).expect("again");
        assert_eq!(round, o);
    }

    #[test]
    fn explicit_keys_split_identity_from_values() {
        let o = PresetObject::from_document(
            "g",
            &json!({"_keys": ["SSID"], "SSID": "guest", "Enable": true}),
        )
        .expect("parse");
        assert_eq!(
            o.key_values().collect::<Vec<_>>(),
            [("SSID", &json!("guest"))]
        );
        assert_eq!(
            o.other_values().collect::<Vec<_>>(),
            [("Enable", &json!(true))]
        );
    }

    #[test]
    fn refusals_name_the_field() {
        for (doc, needle) in [
            (json!([]), "JSON object"),
            (json!({"_id": "y", "SSID": "x"}), "_id"),
            (json!({"_keys": ["Nope"], "SSID": "x"}), "Nope"),
            (json!({"_keys": "SSID", "SSID": "x"}), "_keys"),
            (json!({"_bogus": 1, "SSID": "x"}), "_bogus"),
            (json!({"SSID": null}), "SSID"),
            (json!({"SSID": ["a"]}), "SSID"),
            (json!({"a b": "x"}), "a b"),
            (json!({}), "at least one field"),
        ] {
            let e = PresetObject::from_document("x", &doc).expect_err("refused");
            assert!(e.0.contains(needle), "{doc}: {e}");
        }
    }
}
