//! Device models in genieacs-sim's CSV format (`Parameter,Object,Writable,Value,Value type`,
//! one row per object or parameter, instance paths with numbers) turned into a
//! [`Profile`] of the project's data model plus the values to set.
//!
//! Objects and parameters the schema defines are kept; vendor parameters (`X_…`) under a
//! schema object become profile vendor parameters typed by the `Value type` column; anything
//! else is skipped and listed (real exports carry typos and retired names).

use std::collections::BTreeMap;

use cwmp_datamodel::path::split_parameter;
use cwmp_datamodel::profile::{
    ProfileInstance, ProfileObject, ProfileParamAccess, VendorParameter,
};
use cwmp_datamodel::{Profile, Schema, to_schema_path};

/// Most rows read from one file.
pub const MAX_ROWS: usize = 200_000;
/// Largest file read.
pub const MAX_FILE_BYTES: usize = 64 * 1024 * 1024;

/// A CSV model that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CsvError {
    /// A line is not valid CSV.
    #[error("line {line}: {message}")]
    Syntax {
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// The header is not genieacs-sim's.
    #[error("the header must be `Parameter,Object,Writable,Value,Value type`")]
    Header,
    /// Too many rows or bytes.
    #[error("the file is too large (at most {MAX_ROWS} rows, {MAX_FILE_BYTES} bytes)")]
    TooLarge,
    /// The root object is neither `Device.` nor `InternetGatewayDevice.`.
    #[error("unknown root {0:?}: expected Device or InternetGatewayDevice")]
    Root(String),
}

/// One row of the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvRow {
    /// Instance path, objects with or without the trailing dot.
    pub path: String,
    /// The row is an object.
    pub object: bool,
    /// The ACS may write it.
    pub writable: bool,
    /// The value (parameters).
    pub value: String,
    /// `xsd:string`, `xsd:unsignedInt`, … (parameters).
    pub value_type: String,
}

/// A CSV model mapped onto the schema.
#[derive(Debug, Clone, PartialEq)]
pub struct CsvModel {
    /// The objects, parameters and instances (no values).
    pub profile: Profile,
    /// `(instance path, value)` for every parameter with a value.
    pub values: Vec<(String, String)>,
    /// Rows left out (not in the schema, not a vendor parameter).
    pub skipped: Vec<String>,
}

/// Splits one CSV record (RFC 4180 quoting, `""` inside quotes).
fn fields(line: &str, number: usize) -> Result<Vec<String>, CsvError> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            (true, '"') => quoted = false,
            (false, '"') if cur.is_empty() => quoted = true,
            (false, ',') => out.push(std::mem::take(&mut cur)),
            (_, c) => cur.push(c),
        }
    }
    if quoted {
        return Err(CsvError::Syntax {
            line: number,
            message: "unclosed quote".into(),
        });
    }
    out.push(cur);
    Ok(out)
}

/// Reads the rows of a genieacs-sim CSV file.
pub fn parse_csv(text: &str) -> Result<Vec<CsvRow>, CsvError> {
    if text.len() > MAX_FILE_BYTES {
        return Err(CsvError::TooLarge);
    }
    let mut lines = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty());
    let (_, header) = lines.next().ok_or(CsvError::Header)?;
    let header = fields(header.trim_start_matches('\u{feff}'), 1)?;
    let expected = ["Parameter", "Object", "Writable", "Value", "Value type"];
    if header.len() != 5 || header.iter().zip(expected).any(|(h, e)| h.trim() != e) {
        return Err(CsvError::Header);
    }
    let mut rows = Vec::new();
    for (i, line) in lines {
        let number = i + 1;
        let f = fields(line.trim_end_matches('\r'), number)?;
        let [path, object, writable, value, value_type] = f.as_slice() else {
            return Err(CsvError::Syntax {
                line: number,
                message: format!("{} fields instead of 5", f.len()),
            });
        };
        let flag = |s: &str| match s.trim() {
            "true" | "TRUE" | "1" => Ok(true),
            "false" | "FALSE" | "0" | "" => Ok(false),
            other => Err(CsvError::Syntax {
                line: number,
                message: format!("{other:?} is not true or false"),
            }),
        };
        if rows.len() == MAX_ROWS {
            return Err(CsvError::TooLarge);
        }
        rows.push(CsvRow {
            path: path.trim().to_owned(),
            object: flag(object)?,
            writable: flag(writable)?,
            value: value.clone(),
            value_type: value_type.trim().to_owned(),
        });
    }
    Ok(rows)
}

/// The root object of the rows (`Device.` or `InternetGatewayDevice.`).
pub fn root_of(rows: &[CsvRow]) -> Result<&'static str, CsvError> {
    let first = rows.first().map(|r| r.path.as_str()).unwrap_or_default();
    match first.split('.').next().unwrap_or_default() {
        "Device" => Ok("Device."),
        "InternetGatewayDevice" => Ok("InternetGatewayDevice."),
        other => Err(CsvError::Root(other.to_owned())),
    }
}

/// The data-model type of an `xsd:` value type (`string` when unknown).
fn base_type(value_type: &str) -> &'static str {
    match value_type.trim_start_matches("xsd:") {
        "int" => "int",
        "unsignedInt" => "unsignedInt",
        "long" => "long",
        "unsignedLong" => "unsignedLong",
        "boolean" => "boolean",
        "dateTime" => "dateTime",
        "base64" => "base64",
        "hexBinary" => "hexBinary",
        _ => "string",
    }
}

fn is_instance_number(segment: &str) -> bool {
    !segment.is_empty() && segment.bytes().all(|b| b.is_ascii_digit())
}

/// Maps the rows onto `schema` (whose root must be the rows' root).
pub fn to_model(rows: &[CsvRow], schema: &Schema) -> Result<CsvModel, CsvError> {
    let root = root_of(rows)?;
    let mut objects: BTreeMap<String, ProfileObject> = BTreeMap::new();
    let mut instances: BTreeMap<String, ProfileInstance> = BTreeMap::new();
    let mut vendor: Vec<VendorParameter> = Vec::new();
    let mut values = Vec::new();
    let mut skipped = Vec::new();
    let new_object = |path: &str| ProfileObject {
        path: path.to_owned(),
        parameters: Vec::new(),
        values: BTreeMap::new(),
        count: 0,
        access: None,
        max_entries: None,
    };
    for row in rows {
        if row.object {
            let path = format!("{}.", row.path.trim_end_matches('.'));
            let Ok((sp, _)) = to_schema_path(&path) else {
                skipped.push(row.path.clone());
                continue;
            };
            if schema.object(sp.as_str()).is_some() {
                objects
                    .entry(sp.to_string())
                    .or_insert_with(|| new_object(sp.as_str()));
                let last = path.trim_end_matches('.').rsplit('.').next();
                if last.is_some_and(is_instance_number) {
                    instances.entry(path.clone()).or_insert(ProfileInstance {
                        path,
                        values: BTreeMap::new(),
                    });
                }
            } else if schema.object(&format!("{sp}{{i}}.")).is_none() {
                skipped.push(row.path.clone());
            }
            continue;
        }
        let Some((obj, name)) = split_parameter(&row.path) else {
            skipped.push(row.path.clone());
            continue;
        };
        let Ok((sp, _)) = to_schema_path(obj) else {
            skipped.push(row.path.clone());
            continue;
        };
        let Some(schema_obj) = schema.object(sp.as_str()) else {
            skipped.push(row.path.clone());
            continue;
        };
        let entry = objects
            .entry(sp.to_string())
            .or_insert_with(|| new_object(sp.as_str()));
        if schema_obj.parameter(name).is_some() {
            if !entry.parameters.iter().any(|p| p == name) {
                entry.parameters.push(name.to_owned());
            }
        } else if name.starts_with("X_") {
            let path = format!("{sp}{name}");
            if !vendor.iter().any(|v| v.path == path) {
                vendor.push(VendorParameter {
                    path,
                    ty: base_type(&row.value_type).into(),
                    access: if row.writable {
                        ProfileParamAccess::ReadWrite
                    } else {
                        ProfileParamAccess::ReadOnly
                    },
                    notify: Default::default(),
                    forced_inform: false,
                    default: None,
                    enumeration: Vec::new(),
                    pattern: Vec::new(),
                    min_length: None,
                    max_length: None,
                    min: None,
                    max: None,
                    list: false,
                    secured: false,
                });
            }
        } else {
            skipped.push(row.path.clone());
            continue;
        }
        if !row.value.is_empty() {
            values.push((row.path.clone(), row.value.clone()));
        }
    }
    let profile = Profile {
        name: "csv".into(),
        description: Some("from a genieacs-sim CSV model".into()),
        root: root.into(),
        objects: objects.into_values().collect(),
        instances: instances.into_values().collect(),
        parameters: vendor,
    };
    Ok(CsvModel {
        profile,
        values,
        skipped,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_quoted_fields() {
        let text = "Parameter,Object,Writable,Value,Value type\n\
            InternetGatewayDevice.DeviceInfo.Manufacturer,false,false,\"Acme, \"\"Inc\"\"\",xsd:string\r\n\
            InternetGatewayDevice.LANDevice.1,true,false,,\n";
        let rows = parse_csv(text).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].value, "Acme, \"Inc\"");
        assert!(rows[1].object);
        assert_eq!(root_of(&rows), Ok("InternetGatewayDevice."));
    }

    #[test]
    fn refuses_bad_files() {
        assert_eq!(parse_csv("a,b\n"), Err(CsvError::Header));
        let h = "Parameter,Object,Writable,Value,Value type\n";
        assert!(parse_csv(&format!("{h}X.Y,false,false\n")).is_err());
        assert!(parse_csv(&format!("{h}X.Y,maybe,false,,\n")).is_err());
        assert!(parse_csv(&format!("{h}X.Y,false,false,\"open,\n")).is_err());
    }
}
