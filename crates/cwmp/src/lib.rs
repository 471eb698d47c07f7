//! The CWMP (TR-069) wire protocol: the SOAP envelope, its headers, and every RPC of CWMP
//! 1.0–1.4 as typed Rust, parsed leniently and written exactly.
//!
//! No I/O and no async: give [`Envelope::parse`] the body of an HTTP message and get a typed
//! [`Envelope`]; give [`Envelope::to_xml`] an envelope and get the XML to send.
//!
//! ```
//! use cwmp::{Body, Envelope, Header, CwmpVersion, rpc::GetRPCMethods};
//!
//! let request = Envelope::new(CwmpVersion::V1_0, Header::with_id("1"), GetRPCMethods {});
//! let xml = request.to_xml().unwrap();
//! let parsed = Envelope::parse(&xml).unwrap();
//! assert_eq!(parsed, request);
//! assert!(matches!(parsed.body, Body::GetRPCMethods(_)));
//! ```

#[cfg(test)]
mod arbitrary;
mod body;
pub mod charset;
pub mod datetime;
mod envelope;
mod error;
pub mod event;
pub mod fault;
mod header;
pub mod http_auth;
mod limits;
pub mod rpc;
mod soap_fault;
pub mod udp_conn_request;
pub mod value;
pub mod version;
mod xml;

pub use body::Body;
pub use charset::Charset;
pub use datetime::DateTime;
pub use envelope::{Envelope, EnvelopeHead};
pub use error::{ParseError, ParseErrorKind, WriteError};
pub use event::EventCode;
pub use fault::{FaultCode, FaultKind};
pub use header::Header;
pub use limits::Limits;
pub use soap_fault::{CwmpFault, Fault, SetParameterValuesFault};
pub use value::{Value, XsdType};
pub use version::CwmpVersion;
