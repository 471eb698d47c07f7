//! The fleet's device model: one schema and one compiled [`Model`] shared by every device, and
//! a template [`Tree`] each device starts as a copy of.
//!
//! Fleet-wide settings (ACS URL, PeriodicInformInterval, Connection Request credentials,
//! OUI, ProductClass) go into the profile, so they live once in the shared model; values of a
//! CSV model are set on the template (checked one by one: a bad value is listed and left out,
//! not fatal). Per-device values (serial number, ConnectionRequestURL) are set by the fleet.

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;

use cwmp_datamodel::profile::ProfileObject;
use cwmp_datamodel::{BuiltinModel, LoadOptions, Model, ModelOptions, Profile, Schema, Tree};

use crate::csv_model::{self, CsvError};

/// Where the device model comes from (`--model`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModelSource {
    /// The project's TR-181 gateway profile.
    Tr181,
    /// The project's TR-098 gateway profile.
    Tr098,
    /// A genieacs-sim CSV file.
    Csv(PathBuf),
}

impl FromStr for ModelSource {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "tr181" => Ok(ModelSource::Tr181),
            "tr098" => Ok(ModelSource::Tr098),
            f if f.ends_with(".csv") => Ok(ModelSource::Csv(f.into())),
            other => Err(format!("{other:?}: expected tr181, tr098 or a .csv file")),
        }
    }
}

/// The fleet-wide settings that shape the model.
#[derive(Debug, Clone)]
pub struct ModelSettings {
    /// The model.
    pub source: ModelSource,
    /// Directory of Broadband Forum data-model XML files to load instead of the built-in
    /// models ([`cwmp_datamodel::BuiltinModel`]).
    pub schema_dir: Option<PathBuf>,
    /// `ManagementServer.URL`.
    pub acs_url: String,
    /// `ManagementServer.PeriodicInformInterval`, if overridden.
    pub inform_interval: Option<u32>,
    /// `ManagementServer.ConnectionRequestUsername` / `Password`.
    pub cr_credentials: (String, String),
    /// `DeviceInfo.ManufacturerOUI`, if overridden.
    pub oui: Option<String>,
    /// `DeviceInfo.ProductClass`, if overridden.
    pub product_class: Option<String>,
}

/// A model that could not be built.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    /// The schema XML could not be loaded.
    #[error("loading {file}: {message}")]
    Schema {
        /// The file.
        file: PathBuf,
        /// Why.
        message: String,
    },
    /// The CSV file could not be read.
    #[error("reading {file}: {message}")]
    Io {
        /// The file.
        file: PathBuf,
        /// Why.
        message: String,
    },
    /// The CSV file is not a usable model.
    #[error("{file}: {source}")]
    Csv {
        /// The file.
        file: PathBuf,
        /// Why.
        source: CsvError,
    },
    /// The profile does not fit the schema (or a fleet setting is not a valid value).
    #[error("{0}")]
    Profile(String),
}

/// The shared model and the device template.
#[derive(Debug, Clone)]
pub struct FleetModel {
    /// The tree every device starts from.
    pub template: Tree,
    /// `Device.` or `InternetGatewayDevice.`.
    pub root: &'static str,
    /// DeviceId.Manufacturer.
    pub manufacturer: String,
    /// DeviceId.OUI.
    pub oui: String,
    /// DeviceId.ProductClass.
    pub product_class: String,
    /// CSV rows left out (not in the schema).
    pub skipped: Vec<String>,
    /// CSV values refused by the data model, with the reason.
    pub rejected: Vec<String>,
}

impl FleetModel {
    /// Builds the model from `settings`.
    pub fn build(settings: &ModelSettings) -> Result<FleetModel, ModelError> {
        let (root, builtin_model) = match &settings.source {
            ModelSource::Tr181 => ("Device.", BuiltinModel::Tr181),
            ModelSource::Tr098 => ("InternetGatewayDevice.", BuiltinModel::Tr098),
            ModelSource::Csv(path) => {
                let rows = read_csv(path)?;
                let root = csv_model::root_of(&rows).map_err(|source| ModelError::Csv {
                    file: path.clone(),
                    source,
                })?;
                let m = if root == "Device." {
                    BuiltinModel::Tr181
                } else {
                    BuiltinModel::Tr098
                };
                (root, m)
            }
        };
        let schema = match &settings.schema_dir {
            Some(dir) => load_schema(&dir.join(builtin_model.source_file()))?,
            None => builtin_model
                .load()
                .map(Arc::new)
                .map_err(|e| ModelError::Schema {
                    file: format!("built-in {builtin_model}").into(),
                    message: e.to_string(),
                })?,
        };
        let (mut profile, values, skipped) = match &settings.source {
            ModelSource::Tr181 => (builtin(Profile::tr181_gateway())?, Vec::new(), Vec::new()),
            ModelSource::Tr098 => (builtin(Profile::tr098_gateway())?, Vec::new(), Vec::new()),
            ModelSource::Csv(path) => {
                let rows = read_csv(path)?;
                let m = csv_model::to_model(&rows, &schema).map_err(|source| ModelError::Csv {
                    file: path.clone(),
                    source,
                })?;
                (m.profile, m.values, m.skipped)
            }
        };
        let overridden = apply_settings(&mut profile, root, settings);
        let model = Model::new(schema, &profile, ModelOptions::default())
            .map_err(|e| ModelError::Profile(e.to_string()))?;
        let mut template = Tree::new(Arc::new(model));
        let mut rejected = Vec::new();
        for (path, value) in values {
            if overridden.contains(&path) {
                continue;
            }
            if let Err(fault) = template.set_local(&path, &value) {
                rejected.push(format!("{path}: {fault}"));
            }
        }
        template.clear_changes();
        let text = |name: &str| {
            template
                .stored_value(&format!("{root}DeviceInfo.{name}"))
                .map(|v| v.as_text().into_owned())
                .unwrap_or_default()
        };
        Ok(FleetModel {
            manufacturer: text("Manufacturer"),
            oui: text("ManufacturerOUI"),
            product_class: text("ProductClass"),
            template,
            root,
            skipped,
            rejected,
        })
    }

    /// `{root}ManagementServer.{name}`.
    pub fn management_server(&self, name: &str) -> String {
        format!("{}ManagementServer.{name}", self.root)
    }
}

fn builtin(p: Result<Profile, cwmp_datamodel::ProfileError>) -> Result<Profile, ModelError> {
    p.map_err(|e| ModelError::Profile(e.to_string()))
}

fn load_schema(file: &Path) -> Result<Arc<Schema>, ModelError> {
    Schema::from_file(file, &LoadOptions::default())
        .map(Arc::new)
        .map_err(|e| ModelError::Schema {
            file: file.to_owned(),
            message: e.to_string(),
        })
}

fn read_csv(path: &Path) -> Result<Vec<csv_model::CsvRow>, ModelError> {
    let io = |message: String| ModelError::Io {
        file: path.to_owned(),
        message,
    };
    let len = std::fs::metadata(path)
        .map_err(|e| io(e.to_string()))?
        .len();
    if len > csv_model::MAX_FILE_BYTES as u64 {
        return Err(ModelError::Csv {
            file: path.to_owned(),
            source: CsvError::TooLarge,
        });
    }
    let text = std::fs::read_to_string(path).map_err(|e| io(e.to_string()))?;
    csv_model::parse_csv(&text).map_err(|source| ModelError::Csv {
        file: path.to_owned(),
        source,
    })
}

/// Puts the fleet settings into the profile; returns the instance paths they set.
fn apply_settings(profile: &mut Profile, root: &str, s: &ModelSettings) -> Vec<String> {
    let ms = format!("{root}ManagementServer.");
    let di = format!("{root}DeviceInfo.");
    let mut set: Vec<(&str, &str, String)> = vec![
        (&ms, "URL", s.acs_url.clone()),
        (&ms, "PeriodicInformEnable", "true".into()),
        (&ms, "ConnectionRequestUsername", s.cr_credentials.0.clone()),
        (&ms, "ConnectionRequestPassword", s.cr_credentials.1.clone()),
    ];
    if let Some(i) = s.inform_interval {
        set.push((&ms, "PeriodicInformInterval", i.to_string()));
    }
    if let Some(oui) = &s.oui {
        set.push((&di, "ManufacturerOUI", oui.clone()));
    }
    if let Some(pc) = &s.product_class {
        set.push((&di, "ProductClass", pc.clone()));
    }
    let mut paths = Vec::new();
    for (object, name, value) in set {
        set_profile_value(profile, object, name, value);
        paths.push(format!("{object}{name}"));
    }
    paths
}

/// Sets the value of `object` + `name` for every device of the profile, implementing it if
/// the profile did not.
fn set_profile_value(profile: &mut Profile, object: &str, name: &str, value: String) {
    let i = match profile.objects.iter().position(|o| o.path == object) {
        Some(i) => i,
        None => {
            profile.objects.push(ProfileObject {
                path: object.to_owned(),
                parameters: Vec::new(),
                values: Default::default(),
                count: 0,
                access: None,
                max_entries: None,
            });
            profile.objects.len() - 1
        }
    };
    let entry = &mut profile.objects[i];
    if !entry.parameters.iter().any(|p| p == name || p == "*") {
        entry.parameters.push(name.to_owned());
    }
    entry
        .values
        .insert(name.to_owned(), toml::Value::String(value));
}
