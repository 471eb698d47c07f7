//! The body of a message: one of the CWMP methods of 1.0–1.4, or a fault.

use serde::{Deserialize, Serialize};

use crate::error::{ParseError, ParseErrorKind, WriteError};
use crate::rpc::*;
use crate::soap_fault::Fault;
use crate::version::CwmpVersion;
use crate::xml::field::{Field, require_version};
use crate::xml::reader::{Element, Reader};
use crate::xml::writer::Writer;

macro_rules! body {
    ($( $(#[$doc:meta])* $name:ident since $since:ident ),* $(,)?) => {
        /// The content of a SOAP Body: one CWMP request or response, or a fault.
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
        pub enum Body {
            $(
                #[doc = concat!("The `", stringify!($name), "` message (since CWMP `", stringify!($since), "`).")]
                $(#[$doc])*
                $name($name),
            )*
            /// A SOAP fault carrying a CWMP fault.
            Fault(Fault),
        }

        impl Body {
            /// The element name of the method, or `Fault`.
            pub fn name(&self) -> &'static str {
                match self {
                    $( Body::$name(_) => stringify!($name), )*
                    Body::Fault(_) => "Fault",
                }
            }

            /// The first CWMP version that has this method.
            pub fn since(&self) -> CwmpVersion {
                match self {
                    $( Body::$name(_) => CwmpVersion::$since, )*
                    Body::Fault(_) => CwmpVersion::V1_0,
                }
            }

            /// Every method name this crate knows, requests and responses.
            pub const METHODS: &'static [&'static str] = &[$( stringify!($name), )*];

            pub(crate) fn decode<'a>(
                r: &mut Reader<'a>,
                element: &Element<'a>,
            ) -> Result<Body, ParseError> {
                match element.local {
                    $(
                        stringify!($name) => {
                            <$name as Field>::decode(r, element, stringify!($name)).map(Body::$name)
                        }
                    )*
                    other => Err(r.error_at(element, ParseErrorKind::UnknownMethod {
                        name: other.to_owned(),
                        namespace: element.ns.uri(),
                    })),
                }
            }

            pub(crate) fn encode(&self, w: &mut Writer) -> Result<(), WriteError> {
                require_version(w, self.since(), self.name())?;
                match self {
                    $( Body::$name(m) => m.encode(w, concat!("cwmp:", stringify!($name))), )*
                    Body::Fault(f) => f.encode(w),
                }
            }
        }

        $(
            impl From<$name> for Body {
                fn from(m: $name) -> Body {
                    Body::$name(m)
                }
            }
        )*
    };
}

impl From<Fault> for Body {
    fn from(f: Fault) -> Body {
        Body::Fault(f)
    }
}

impl Body {
    /// True for a `…Response` message.
    pub fn is_response(&self) -> bool {
        self.name().ends_with("Response")
    }

    /// True for a request (neither a response nor a fault).
    pub fn is_request(&self) -> bool {
        !self.is_response() && !matches!(self, Body::Fault(_))
    }
}

body! {
    // Methods a CPE answers (TR-069 §A.3), with their responses.
    GetRPCMethods since V1_0,
    GetRPCMethodsResponse since V1_0,
    SetParameterValues since V1_0,
    SetParameterValuesResponse since V1_0,
    GetParameterValues since V1_0,
    GetParameterValuesResponse since V1_0,
    GetParameterNames since V1_0,
    GetParameterNamesResponse since V1_0,
    SetParameterAttributes since V1_0,
    SetParameterAttributesResponse since V1_0,
    GetParameterAttributes since V1_0,
    GetParameterAttributesResponse since V1_0,
    AddObject since V1_0,
    AddObjectResponse since V1_0,
    DeleteObject since V1_0,
    DeleteObjectResponse since V1_0,
    Reboot since V1_0,
    RebootResponse since V1_0,
    Download since V1_0,
    DownloadResponse since V1_0,
    Upload since V1_0,
    UploadResponse since V1_0,
    FactoryReset since V1_0,
    FactoryResetResponse since V1_0,
    GetQueuedTransfers since V1_0,
    GetQueuedTransfersResponse since V1_0,
    GetAllQueuedTransfers since V1_1,
    GetAllQueuedTransfersResponse since V1_1,
    ScheduleInform since V1_0,
    ScheduleInformResponse since V1_0,
    SetVouchers since V1_0,
    SetVouchersResponse since V1_0,
    GetOptions since V1_0,
    GetOptionsResponse since V1_0,
    ScheduleDownload since V1_2,
    ScheduleDownloadResponse since V1_2,
    CancelTransfer since V1_2,
    CancelTransferResponse since V1_2,
    ChangeDUState since V1_2,
    ChangeDUStateResponse since V1_2,
    // Methods an ACS answers (TR-069 §A.4), with their responses.
    Inform since V1_0,
    InformResponse since V1_0,
    TransferComplete since V1_0,
    TransferCompleteResponse since V1_0,
    AutonomousTransferComplete since V1_1,
    AutonomousTransferCompleteResponse since V1_1,
    Kicked since V1_0,
    KickedResponse since V1_0,
    RequestDownload since V1_0,
    RequestDownloadResponse since V1_0,
    DUStateChangeComplete since V1_2,
    DUStateChangeCompleteResponse since V1_2,
    AutonomousDUStateChangeComplete since V1_2,
    AutonomousDUStateChangeCompleteResponse since V1_2,
}
