//! Decoding rows into store records.

use cwmp::{EventCode, Value};
use rusqlite::Row;

use crate::store::{
    ConnectionRequestResult, Device, DeviceCredentials, DeviceId, DeviceIdentity, FaultInfo,
    FaultRecord, FileMeta, FirmwareOutcome, FirmwareStatus, Parameter, Preset, PresetObject,
    SessionRecord, StoreResult, Task, TaskStatus, Timestamp,
};

/// Columns of `devices` selected by [`device`] (tags are added separately).
pub(crate) const DEVICE_COLS: &str = "d.id, d.manufacturer, d.oui, d.product_class, \
    d.serial_number, d.created_ms, d.last_inform_ms, d.last_events, d.ip, \
    d.connection_request_url, d.udp_connection_request_address, d.cr_time_ms, d.cr_error, \
    d.fw_target, d.fw_status, d.fw_time_ms";

/// Columns of `tasks` selected by [`task`].
pub(crate) const TASK_COLS: &str = "id, device_id, name, payload, status, result, fault_code, \
    fault_message, fault_detail, attempts, next_attempt_ms, expiry_ms, created_ms, interrupted";

use crate::store::codec::{corrupt, opt_json};
pub(crate) use crate::store::codec::{json, json_text, value_cols};

fn ts(ms: Option<i64>) -> Option<Timestamp> {
    ms.map(Timestamp)
}

fn count(what: &str, n: i64) -> StoreResult<u32> {
    u32::try_from(n).map_err(|e| corrupt(what, e))
}

pub(crate) fn events(text: &str) -> StoreResult<Vec<EventCode>> {
    json("events", text)
}

pub(crate) fn device(r: &Row<'_>) -> StoreResult<Device> {
    let cr_error: Option<String> = r.get(12)?;
    let fw_status: Option<String> = r.get(14)?;
    let firmware = match (r.get::<_, Option<String>>(13)?, fw_status, ts(r.get(15)?)) {
        (Some(target), Some(status), Some(time)) => Some(FirmwareOutcome {
            target,
            status: FirmwareStatus::parse(&status).ok_or_else(|| corrupt("fw_status", &status))?,
            time,
        }),
        _ => None,
    };
    Ok(Device {
        id: DeviceId::from_escaped(r.get::<_, String>(0)?),
        identity: DeviceIdentity {
            manufacturer: r.get(1)?,
            oui: r.get(2)?,
            product_class: r.get(3)?,
            serial_number: r.get(4)?,
        },
        created: Timestamp(r.get(5)?),
        last_inform: ts(r.get(6)?),
        last_events: events(&r.get::<_, String>(7)?)?,
        ip: r.get(8)?,
        connection_request_url: r.get(9)?,
        udp_connection_request_address: r.get(10)?,
        last_connection_request: ts(r.get(11)?).map(|time| ConnectionRequestResult {
            time,
            error: cr_error,
        }),
        firmware,
        tags: Vec::new(),
    })
}

pub(crate) fn parameter(r: &Row<'_>) -> StoreResult<Parameter> {
    let text: Option<String> = r.get(1)?;
    let ty: Option<String> = r.get(2)?;
    let notification: Option<i64> = r.get(4)?;
    Ok(Parameter {
        path: r.get(0)?,
        value: text.map(|t| Value::from_wire(ty.as_deref(), &t)),
        writable: r.get(3)?,
        notification: notification
            .map(|n| u8::try_from(n).map_err(|e| corrupt("notification", e)))
            .transpose()?,
        access_list: opt_json("access_list", r.get(5)?)?,
        updated: Timestamp(r.get(6)?),
    })
}

pub(crate) fn task(r: &Row<'_>) -> StoreResult<Task> {
    let status: String = r.get(4)?;
    let fault_code: Option<String> = r.get(6)?;
    let fault = match fault_code {
        None => None,
        Some(code) => Some(FaultInfo {
            code,
            message: r.get::<_, Option<String>>(7)?.unwrap_or_default(),
            detail: opt_json("fault_detail", r.get(8)?)?,
        }),
    };
    Ok(Task {
        id: r.get(0)?,
        device: DeviceId::from_escaped(r.get::<_, String>(1)?),
        name: r.get(2)?,
        payload: json("payload", &r.get::<_, String>(3)?)?,
        status: TaskStatus::parse(&status).ok_or_else(|| corrupt("status", &status))?,
        result: opt_json("result", r.get(5)?)?,
        fault,
        attempts: count("attempts", r.get(9)?)?,
        next_attempt: ts(r.get(10)?),
        expiry: ts(r.get(11)?),
        created: Timestamp(r.get(12)?),
        interrupted: count("interrupted", r.get(13)?)?,
    })
}

pub(crate) fn fault(r: &Row<'_>) -> StoreResult<FaultRecord> {
    Ok(FaultRecord {
        device: DeviceId::from_escaped(r.get::<_, String>(0)?),
        channel: r.get(1)?,
        fault: FaultInfo {
            code: r.get(2)?,
            message: r.get(3)?,
            detail: opt_json("detail", r.get(4)?)?,
        },
        retries: count("retries", r.get(5)?)?,
        timestamp: Timestamp(r.get(6)?),
    })
}

pub(crate) fn preset(r: &Row<'_>) -> StoreResult<Preset> {
    Ok(Preset {
        name: r.get(0)?,
        weight: r.get(1)?,
        precondition: json("precondition", &r.get::<_, String>(2)?)?,
        events: json("events", &r.get::<_, String>(3)?)?,
        configuration: json("configuration", &r.get::<_, String>(4)?)?,
        channel: r.get(5)?,
        schedule: r.get(6)?,
    })
}

pub(crate) fn preset_object(r: &Row<'_>) -> StoreResult<PresetObject> {
    let name: String = r.get(0)?;
    let doc: serde_json::Value = json("document", &r.get::<_, String>(1)?)?;
    PresetObject::from_document(&name, &doc).map_err(|e| corrupt("preset object", e))
}

pub(crate) fn file(r: &Row<'_>) -> StoreResult<FileMeta> {
    let size: i64 = r.get(5)?;
    Ok(FileMeta {
        name: r.get(0)?,
        file_type: r.get(1)?,
        oui: r.get(2)?,
        product_class: r.get(3)?,
        version: r.get(4)?,
        size: u64::try_from(size).map_err(|e| corrupt("size", e))?,
        sha256: r.get(6)?,
        uploaded: Timestamp(r.get(7)?),
    })
}

pub(crate) fn session(r: &Row<'_>) -> StoreResult<SessionRecord> {
    Ok(SessionRecord {
        device: DeviceId::from_escaped(r.get::<_, String>(0)?),
        started: Timestamp(r.get(1)?),
        ended: Timestamp(r.get(2)?),
        events: events(&r.get::<_, String>(3)?)?,
        rpc_count: count("rpc_count", r.get(4)?)?,
        outcome: r.get(5)?,
    })
}

pub(crate) fn credentials(r: &Row<'_>) -> StoreResult<DeviceCredentials> {
    Ok(DeviceCredentials {
        device: DeviceId::from_escaped(r.get::<_, String>(0)?),
        cr_username: r.get(1)?,
        cr_password: r.get(2)?,
        cpe_username: r.get(3)?,
        cpe_realm: r.get(4)?,
        cpe_ha1_md5: r.get(5)?,
        cpe_ha1_sha256: r.get(6)?,
    })
}
