//! Decoding PostgreSQL rows into store records (the columns as the SQLite store selects
//! them, so that both backends share their SELECT lists).

use cwmp::{EventCode, Value};
use tokio_postgres::Row;
use tokio_postgres::types::FromSql;

use crate::store::codec::{corrupt, json, opt_json};
use crate::store::{
    ConnectionRequestResult, Device, DeviceCredentials, DeviceId, DeviceIdentity, FaultInfo,
    FaultRecord, FileMeta, FirmwareOutcome, FirmwareStatus, Parameter, Preset, PresetObject,
    PresetState, SessionRecord, StoreResult, Task, TaskStatus, Timestamp,
};

/// Columns of `devices d` selected by [`device`].
pub(crate) const DEVICE_COLS: &str = "d.id, d.manufacturer, d.oui, d.product_class, \
    d.serial_number, d.created_ms, d.last_inform_ms, d.last_events, d.ip, \
    d.connection_request_url, d.udp_connection_request_address, d.cr_time_ms, d.cr_error, \
    d.fw_target, d.fw_status, d.fw_time_ms";

/// Columns of `tasks` selected by [`task`].
pub(crate) const TASK_COLS: &str = "id, device_id, name, payload, status, result, fault_code, \
    fault_message, fault_detail, attempts, next_attempt_ms, expiry_ms, created_ms, interrupted";

/// Columns of `faults` selected by [`fault`].
pub(crate) const FAULT_COLS: &str =
    "device_id, channel, code, message, detail, retries, timestamp_ms";

/// Columns of `presets` selected by [`preset`].
pub(crate) const PRESET_COLS: &str =
    "name, weight, precondition, events, configuration, channel, schedule";

/// Columns of `files` selected by [`file`].
pub(crate) const FILE_COLS: &str =
    "name, file_type, oui, product_class, version, size, sha256, uploaded_ms";

/// Columns of `credentials` selected by [`credentials`].
pub(crate) const CREDENTIAL_COLS: &str = "device_id, cr_username, cr_password, cpe_username, \
    cpe_realm, cpe_ha1_md5, cpe_ha1_sha256";

/// Column `i`, a decoding failure being a corrupt row rather than a panic.
pub(crate) fn get<'a, T: FromSql<'a>>(r: &'a Row, i: usize) -> StoreResult<T> {
    r.try_get(i).map_err(|e| corrupt("column", e))
}

fn ts(ms: Option<i64>) -> Option<Timestamp> {
    ms.map(Timestamp)
}

fn count(what: &str, n: i64) -> StoreResult<u32> {
    u32::try_from(n).map_err(|e| corrupt(what, e))
}

fn events(text: &str) -> StoreResult<Vec<EventCode>> {
    json("events", text)
}

pub(crate) fn device(r: &Row) -> StoreResult<Device> {
    let cr_error: Option<String> = get(r, 12)?;
    let fw_status: Option<String> = get(r, 14)?;
    let firmware = match (get::<Option<String>>(r, 13)?, fw_status, ts(get(r, 15)?)) {
        (Some(target), Some(status), Some(time)) => Some(FirmwareOutcome {
            target,
            status: FirmwareStatus::parse(&status).ok_or_else(|| corrupt("fw_status", &status))?,
            time,
        }),
        _ => None,
    };
    Ok(Device {
        id: DeviceId::from_escaped(get::<String>(r, 0)?),
        identity: DeviceIdentity {
            manufacturer: get(r, 1)?,
            oui: get(r, 2)?,
            product_class: get(r, 3)?,
            serial_number: get(r, 4)?,
        },
        created: Timestamp(get(r, 5)?),
        last_inform: ts(get(r, 6)?),
        last_events: events(get(r, 7)?)?,
        ip: get(r, 8)?,
        connection_request_url: get(r, 9)?,
        udp_connection_request_address: get(r, 10)?,
        last_connection_request: ts(get(r, 11)?).map(|time| ConnectionRequestResult {
            time,
            error: cr_error,
        }),
        firmware,
        tags: Vec::new(),
    })
}

/// Columns `path, value, value_type, writable, notification, access_list, updated_ms`.
pub(crate) fn parameter(r: &Row) -> StoreResult<Parameter> {
    let text: Option<String> = get(r, 1)?;
    let ty: Option<String> = get(r, 2)?;
    let notification: Option<i64> = get(r, 4)?;
    Ok(Parameter {
        path: get(r, 0)?,
        value: text.map(|t| Value::from_wire(ty.as_deref(), &t)),
        writable: get(r, 3)?,
        notification: notification
            .map(|n| u8::try_from(n).map_err(|e| corrupt("notification", e)))
            .transpose()?,
        access_list: opt_json("access_list", get(r, 5)?)?,
        updated: Timestamp(get(r, 6)?),
    })
}

pub(crate) fn task(r: &Row) -> StoreResult<Task> {
    let status: String = get(r, 4)?;
    let fault = match get::<Option<String>>(r, 6)? {
        None => None,
        Some(code) => Some(FaultInfo {
            code,
            message: get::<Option<String>>(r, 7)?.unwrap_or_default(),
            detail: opt_json("fault_detail", get(r, 8)?)?,
        }),
    };
    Ok(Task {
        id: get(r, 0)?,
        device: DeviceId::from_escaped(get::<String>(r, 1)?),
        name: get(r, 2)?,
        payload: json("payload", get(r, 3)?)?,
        status: TaskStatus::parse(&status).ok_or_else(|| corrupt("status", &status))?,
        result: opt_json("result", get(r, 5)?)?,
        fault,
        attempts: count("attempts", get(r, 9)?)?,
        next_attempt: ts(get(r, 10)?),
        expiry: ts(get(r, 11)?),
        created: Timestamp(get(r, 12)?),
        interrupted: count("interrupted", get(r, 13)?)?,
    })
}

pub(crate) fn fault(r: &Row) -> StoreResult<FaultRecord> {
    Ok(FaultRecord {
        device: DeviceId::from_escaped(get::<String>(r, 0)?),
        channel: get(r, 1)?,
        fault: FaultInfo {
            code: get(r, 2)?,
            message: get(r, 3)?,
            detail: opt_json("detail", get(r, 4)?)?,
        },
        retries: count("retries", get(r, 5)?)?,
        timestamp: Timestamp(get(r, 6)?),
    })
}

pub(crate) fn preset(r: &Row) -> StoreResult<Preset> {
    Ok(Preset {
        name: get(r, 0)?,
        weight: get(r, 1)?,
        precondition: json("precondition", get(r, 2)?)?,
        events: json("events", get(r, 3)?)?,
        configuration: json("configuration", get(r, 4)?)?,
        channel: get(r, 5)?,
        schedule: get(r, 6)?,
    })
}

/// Columns `name, document` of `preset_objects`.
pub(crate) fn preset_object(r: &Row) -> StoreResult<PresetObject> {
    let name: String = get(r, 0)?;
    let doc: serde_json::Value = json("document", get(r, 1)?)?;
    PresetObject::from_document(&name, &doc).map_err(|e| corrupt("preset object", e))
}

/// Columns `kind, name, script, updated_ms`.
pub(crate) fn script(r: &Row) -> StoreResult<crate::store::StoredScript> {
    let kind: String = get(r, 0)?;
    Ok(crate::store::StoredScript {
        kind: crate::store::ScriptKind::parse(&kind)
            .ok_or_else(|| corrupt("script kind", kind.clone()))?,
        name: get(r, 1)?,
        script: get(r, 2)?,
        updated: Timestamp(get(r, 3)?),
    })
}

/// Columns `preset, streak, next_attempt_ms, download`.
pub(crate) fn preset_state(r: &Row) -> StoreResult<PresetState> {
    Ok(PresetState {
        preset: get(r, 0)?,
        streak: count("preset streak", get(r, 1)?)?,
        next_attempt: ts(get(r, 2)?),
        download: get(r, 3)?,
    })
}

pub(crate) fn file(r: &Row) -> StoreResult<FileMeta> {
    let size: i64 = get(r, 5)?;
    Ok(FileMeta {
        name: get(r, 0)?,
        file_type: get(r, 1)?,
        oui: get(r, 2)?,
        product_class: get(r, 3)?,
        version: get(r, 4)?,
        size: u64::try_from(size).map_err(|e| corrupt("size", e))?,
        sha256: get(r, 6)?,
        uploaded: Timestamp(get(r, 7)?),
    })
}

/// Columns `device_id, started_ms, ended_ms, events, rpc_count, outcome`.
pub(crate) fn session(r: &Row) -> StoreResult<SessionRecord> {
    Ok(SessionRecord {
        device: DeviceId::from_escaped(get::<String>(r, 0)?),
        started: Timestamp(get(r, 1)?),
        ended: Timestamp(get(r, 2)?),
        events: events(get(r, 3)?)?,
        rpc_count: count("rpc_count", get(r, 4)?)?,
        outcome: get(r, 5)?,
    })
}

pub(crate) fn credentials(r: &Row) -> StoreResult<DeviceCredentials> {
    Ok(DeviceCredentials {
        device: DeviceId::from_escaped(get::<String>(r, 0)?),
        cr_username: get(r, 1)?,
        cr_password: get(r, 2)?,
        cpe_username: get(r, 3)?,
        cpe_realm: get(r, 4)?,
        cpe_ha1_md5: get(r, 5)?,
        cpe_ha1_sha256: get(r, 6)?,
    })
}
