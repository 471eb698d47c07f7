//! Test support shared by the workspace's crates.

pub mod pki;
pub mod process;
pub mod xsd;
