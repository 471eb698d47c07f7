//! Every CWMP request and response of versions 1.0 to 1.4, with the structs they carry, as
//! defined by the Broadband Forum schemas `cwmp-1-0.xsd`, `cwmp-1-1.xsd` and `cwmp-1-2.xsd`
//! (1.3 and 1.4 add no method). Type and field names follow the schema; serde uses the
//! schema's element names.
//!
//! Reading is lenient (any element order, unknown elements skipped, values outside an
//! enumeration kept as `Other`); writing enforces the schema of the version written, and fails
//! with a [`WriteError`](crate::WriteError) rather than send a message the peer may reject.

mod attributes;
mod checks;
mod device;
mod du;
mod du_complete;
mod enums;
mod fault_fields;
mod inform;
mod lists;
mod objects;
mod options;
mod parameters;
mod queued;
#[cfg(test)]
mod test_util;
mod transfers;
mod uri;

pub use attributes::{
    GetParameterAttributes, GetParameterAttributesResponse, Notification, ParameterAttributeStruct,
    SUBSCRIBER, SetParameterAttributes, SetParameterAttributesResponse,
    SetParameterAttributesStruct,
};
pub use device::{
    FactoryReset, FactoryResetResponse, Reboot, RebootResponse, ScheduleInform,
    ScheduleInformResponse,
};
pub use du::{
    ChangeDUState, ChangeDUStateResponse, InstallOpStruct, Operation, UninstallOpStruct,
    UpdateOpStruct,
};
pub use du_complete::{
    AutonOpResultStruct, AutonomousDUStateChangeComplete, AutonomousDUStateChangeCompleteResponse,
    DUStateChangeComplete, DUStateChangeCompleteResponse, DeploymentUnitFaultStruct,
    DeploymentUnitOperation, DeploymentUnitState, OpResultStruct,
};
pub use enums::{Status, TransferState};
pub use inform::{
    DeviceId, EventStruct, GetRPCMethods, GetRPCMethodsResponse, Inform, InformResponse, Kicked,
    KickedResponse,
};
pub use objects::{AddObject, AddObjectResponse, DeleteObject, DeleteObjectResponse};
pub use options::{
    GetOptions, GetOptionsResponse, OptionMode, OptionState, OptionStruct, SetVouchers,
    SetVouchersResponse, Transferability, Voucher,
};
pub use parameters::{
    GetParameterNames, GetParameterNamesResponse, GetParameterValues, GetParameterValuesResponse,
    ParameterInfoStruct, ParameterValueStruct, SetParameterValues, SetParameterValuesResponse,
};
pub use queued::{
    AllQueuedTransferStruct, ArgStruct, CancelTransfer, CancelTransferResponse,
    GetAllQueuedTransfers, GetAllQueuedTransfersResponse, GetQueuedTransfers,
    GetQueuedTransfersResponse, QueuedTransferStruct, RequestDownload, RequestDownloadResponse,
    ScheduleDownload, ScheduleDownloadResponse, TimeWindowStruct,
};
pub use transfers::{
    AutonomousTransferComplete, AutonomousTransferCompleteResponse, Download, DownloadResponse,
    TransferComplete, TransferCompleteFaultStruct, TransferCompleteResponse, Upload,
    UploadResponse, file_type,
};
