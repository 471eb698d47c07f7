//! `cwmp-acs`: the CWMP (TR-069) auto-configuration server.
//!
//! This crate currently provides the device [`store`] (the storage trait the session engine
//! and the northbound API are written against, and its embedded SQLite implementation) and
//! the [`session`] engine (TR-069 sessions as pure logic over the store, no HTTP), the
//! [`http`] CWMP endpoint that serves it, the northbound REST [`api`], outgoing
//! [`conn_request`]s, the operators' [`task`]s, the in-process [`events`] bus, Prometheus [`metrics`], the [`files`] server, and the server
//! [`config`].

pub mod api;
pub mod campaign;
pub mod cluster;
pub mod config;
pub mod conn_request;
pub mod conn_request_udp;
pub mod cpe_auth;
pub mod events;
pub mod files;
pub mod fleet_stats;
pub mod http;
pub mod metrics;
pub mod query;
pub mod script;
pub mod session;
pub mod session_log;
pub mod store;
pub mod task;
