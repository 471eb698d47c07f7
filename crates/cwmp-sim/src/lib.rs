//! `cwmp-sim`: a fleet of virtual CWMP (TR-069) CPEs in one process, against any ACS.
//!
//! Each device is the real CPE logic of `cwmp-cpe` (session state machine, event queue rules,
//! HTTP transport with cookies, Digest and redirects) over a data model of `cwmp-datamodel`
//! (the [`model`] shared, a small per-device tree). The [`fleet`] holds the devices, the
//! [`run`] scheduler starts their sessions as the [`load`] mode says, [`faults`] are injected
//! on the wire, Connection Requests arrive on one [`cr_listener`], and the [`report`] sums up
//! what happened.

pub mod cli;
pub mod cr_listener;
pub mod csv_model;
pub mod device;
pub mod due;
pub mod faults;
pub mod fleet;
pub mod load;
pub mod model;
pub mod proc_self;
pub mod progress;
pub mod report;
pub mod run;
mod scheduler;
pub mod serial;
pub mod session;
pub mod stats;
pub mod target;
pub mod workers;

pub use report::Report;
pub use run::{SimConfig, SimError, Simulator, Stopper};
