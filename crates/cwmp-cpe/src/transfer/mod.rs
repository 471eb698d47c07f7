//! File transfers (TR-069 §A.3.2.8 Download, §A.4.1.5 Upload, §A.4.1.8 ScheduleDownload):
//! the persistent [`queue`], the answers to the ACS's transfer methods ([`rpc`]), the reusable
//! [`download`]er and [`upload`]er over the agent's connector, and the [`apply`] hooks.
//!
//! The agent ([`crate::agent`]) runs due transfers between sessions and reports each with a
//! TransferComplete, its `7 TRANSFER COMPLETE` and `M` events raised in the persistent event
//! queue before any reboot, so the report survives a crash and is sent exactly once.

pub mod apply;
pub mod download;
mod http;
pub mod queue;
pub mod rpc;
pub mod upload;

pub use download::{Fetch, Limits, fetch, fetch_discard};
pub use http::TransferError;
pub use queue::{Kind, Outcome, Phase, Transfer, TransferQueue, UpgradeWatch};
