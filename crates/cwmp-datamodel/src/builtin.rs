//! The data models built into the binaries: TR-181 (`Device:2`) and TR-098
//! (`InternetGatewayDevice:1`) as compact schemas (`schemas/*.jsonl`), written from the Broadband
//! Forum XML by `cwmp-schema compile`, deflated by `build.rs` and embedded with
//! `include_bytes!`, so that the agent and the simulator run without any data-model file
//! beside them.
//!
//! A newer model is still loaded at run time with [`Schema::from_file`] (XML or compact).

use std::fmt;
use std::str::FromStr;

use crate::error::{Location, SchemaError};
use crate::schema::Schema;

/// The compact TR-181 2.17 schema (from `tr-181-2-17-0-cwmp-full.xml`), deflated.
const TR181_DEFLATED: &[u8] = include_bytes!(concat!(
    env!("OUT_DIR"),
    "/tr-181-2-17-0-cwmp.jsonl.deflate"
));
/// The compact TR-098 1.8 schema (from `tr-098-1-8-0-full.xml`), deflated.
const TR098_DEFLATED: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/tr-098-1-8-0.jsonl.deflate"));

/// Largest inflated schema accepted (the TR-181 one is about 0.7 MB).
const MAX_INFLATED: usize = 16 << 20;

/// One of the built-in data models.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BuiltinModel {
    /// TR-181 2.17 (`Device.`).
    Tr181,
    /// TR-098 1.8 (`InternetGatewayDevice.`).
    Tr098,
}

impl BuiltinModel {
    /// Every built-in model.
    pub const ALL: [BuiltinModel; 2] = [BuiltinModel::Tr181, BuiltinModel::Tr098];

    /// The Broadband Forum XML file the compact schema was written from.
    pub fn source_file(self) -> &'static str {
        match self {
            BuiltinModel::Tr181 => "tr-181-2-17-0-cwmp-full.xml",
            BuiltinModel::Tr098 => "tr-098-1-8-0-full.xml",
        }
    }

    /// Bytes the model takes in the binary (deflated).
    pub fn embedded_size(self) -> usize {
        self.deflated().len()
    }

    fn deflated(self) -> &'static [u8] {
        match self {
            BuiltinModel::Tr181 => TR181_DEFLATED,
            BuiltinModel::Tr098 => TR098_DEFLATED,
        }
    }

    /// The embedded compact schema text (inflated on each call).
    pub fn compact(self) -> Result<String, SchemaError> {
        let broken = |message: String| SchemaError::Invalid {
            location: Location {
                file: format!("built-in {self}").into(),
                line: 0,
                column: 0,
                element: "compact schema".into(),
            },
            message: message.into(),
        };
        let bytes =
            miniz_oxide::inflate::decompress_to_vec_with_limit(self.deflated(), MAX_INFLATED)
                .map_err(|e| broken(format!("cannot inflate: {e}")))?;
        String::from_utf8(bytes).map_err(|e| broken(e.to_string()))
    }

    /// Loads the embedded schema (a few milliseconds; no file is read). The inflated text is
    /// freed once the schema is built.
    pub fn load(self) -> Result<Schema, SchemaError> {
        Schema::from_compact(&self.compact()?, &format!("built-in {self}"))
    }
}

impl fmt::Display for BuiltinModel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            BuiltinModel::Tr181 => "tr181",
            BuiltinModel::Tr098 => "tr098",
        })
    }
}

impl FromStr for BuiltinModel {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "tr181" => Ok(BuiltinModel::Tr181),
            "tr098" => Ok(BuiltinModel::Tr098),
            other => Err(format!("{other:?}: expected tr181 or tr098")),
        }
    }
}
