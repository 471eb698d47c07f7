//! Broadband Forum CWMP data models (TR-181 `Device:2`, TR-098
//! `InternetGatewayDevice:1`) loaded from cwmp-datamodel-1-x XML into an
//! immutable, shareable in-memory [`Schema`]; device [`Profile`]s compiled
//! into a shared [`Model`]; and per-device [`Tree`]s implementing the CPE side
//! of TR-069 Annex A (Get/Set values, names, attributes, Add/Delete object),
//! change tracking for notifications, live [`Backend`]s and crash-safe persistence; and
//! [`rpc`], which answers the ACS's data-model RPCs (`cwmp::Body` in, `cwmp::Body` out).
//!
//! ```no_run
//! use cwmp_datamodel::{LoadOptions, Schema};
//! let schema = Schema::from_file("tr-181-2-17-0-cwmp-full.xml", &LoadOptions::default())?;
//! let p = schema.parameter("Device.DeviceInfo.SoftwareVersion").expect("defined");
//! assert!(p.forced_inform());
//! # Ok::<(), cwmp_datamodel::SchemaError>(())
//! ```

pub mod backend;
pub mod builtin;
pub mod error;
pub mod model;
pub mod notify;
pub mod ops;
pub mod path;
pub mod profile;
pub mod rpc;
pub mod schema;
pub mod store;
pub mod tree;
mod validate;

pub use backend::{
    ApplyStatus, Backend, BackendError, Change, LinuxBackend, LiveRead, MemoryBackend, NoBackend,
    ParameterFailure,
};
pub use builtin::BuiltinModel;
pub use model::{Model, ModelOptions};
pub use notify::{ChangeSignal, InformParameters};
pub use ops::{AddObjectResult, Fault, ParameterFault};
pub use profile::{Profile, ProfileError};
pub use store::{SaveStep, StoreError};
pub use tree::Tree;

pub use error::{Location, SchemaError};
pub use path::{PathError, SchemaPath, to_schema_path};
pub use schema::syntax::{
    BaseType, DecimalRange, DefaultKind, EnumerationRef, FacetAccess, InstanceRef, IntRange,
    ListFacet, NestedBrackets, PathRef, PathScope, RefType, SizeRange, Syntax, SyntaxId,
    TargetType, ValueFacet,
};
pub use schema::{
    ActiveNotify, DataTypeId, DataTypeRef, DefaultValue, LoadOptions, NodeRef, ObjectAccess,
    ObjectId, ObjectRef, ParamAccess, ParamId, ParamRef, ResolveError, Schema, Status, Target,
    UniqueKeyRef, Version,
};
