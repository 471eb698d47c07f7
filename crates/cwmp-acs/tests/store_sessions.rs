//! The two transactions that open and close a session: `begin_session` and `end_session`.

use cwmp_acs::task::TaskSpec;
use std::time::Duration;

use cwmp::{EventCode, Value};
use cwmp_acs::store::*;
use serde_json::json;
use std::sync::Arc;

const TTL: Duration = Duration::from_secs(60);

#[macro_use]
mod backend;

backend_tests!(
    begin_applies_the_inform_and_reads_what_the_session_starts_from,
    a_held_lease_refuses_and_writes_nothing,
    end_records_the_session_and_frees_the_device,
    the_history_keeps_the_newest_sessions_of_each_device,
    sessions_begun_and_ended_fill_the_ring_in_order_mixed_with_lone_records,
);

fn start(holder: &str, value: u32) -> SessionStart {
    SessionStart {
        holder: holder.into(),
        lease_ttl: TTL,
        inform: InformUpdate {
            identity: DeviceIdentity {
                manufacturer: "Acme".into(),
                oui: "00259E".into(),
                product_class: "HG".into(),
                serial_number: "B1".into(),
            },
            time: Timestamp::now(),
            events: vec![EventCode::Periodic],
            ip: None,
            connection_request_url: None,
            udp_connection_request_address: None,
            parameters: vec![ParamValue {
                path: "Device.Test.Counter".into(),
                value: Value::UnsignedInt(value),
            }],
        },
    }
}

fn device() -> DeviceId {
    DeviceId::from_identity("00259E", "HG", "B1")
}

fn record(outcome: &str) -> SessionRecord {
    SessionRecord {
        device: device(),
        started: Timestamp::now(),
        ended: Timestamp::now(),
        events: vec![EventCode::Periodic],
        rpc_count: 2,
        outcome: outcome.into(),
    }
}

/// Begins a session that must get the lease.
async fn begin(store: &dyn Store, holder: &str, value: u32) -> SessionBegun {
    store
        .begin_session(start(holder, value))
        .await
        .expect("begin")
        .expect("lease")
}

async fn counter(store: &dyn Store) -> Option<Value> {
    store
        .get_parameters(&device(), "Device.Test.Counter")
        .await
        .expect("params")
        .pop()
        .and_then(|p| p.value)
}

async fn begin_applies_the_inform_and_reads_what_the_session_starts_from(store: Arc<dyn Store>) {
    let first = begin(&*store, "n/1", 1).await;
    assert!(first.inform.created);
    assert_eq!(
        (first.requeued, first.due.len(), first.faults.len()),
        (0, 0, 0)
    );
    store.end_session("n/1", record("ok")).await.expect("end");

    let task = store
        .create_task(NewTask {
            device: device(),
            spec: TaskSpec::from_json(json!({"name": "reboot"})).expect("task"),
            expiry: None,
        })
        .await
        .expect("task");
    let running = store
        .create_task(NewTask {
            device: device(),
            spec: TaskSpec::from_json(json!({"name": "factoryReset"})).expect("task"),
            expiry: None,
        })
        .await
        .expect("task");
    assert!(store.claim_task(&running.id).await.expect("claim"));
    store
        .record_fault(NewFault {
            device: device(),
            channel: "preset:p".into(),
            fault: FaultInfo {
                code: "cwmp.9002".into(),
                message: "x".into(),
                detail: None,
            },
        })
        .await
        .expect("fault");
    store
        .put_preset_states(
            &device(),
            vec![PresetState {
                preset: "p".into(),
                streak: 1,
                ..PresetState::default()
            }],
        )
        .await
        .expect("states");

    let begun = begin(&*store, "n/2", 2).await;
    assert!(!begun.inform.created);
    // The task left running by a dead session is pending again, and due with the other.
    assert_eq!(begun.requeued, 1);
    let due: Vec<&str> = begun.due.iter().map(|t| t.id.as_str()).collect();
    assert_eq!(due, [task.id.as_str(), running.id.as_str()]);
    assert_eq!(begun.faults.len(), 1);
    assert_eq!(begun.preset_states[0].preset, "p");
    assert_eq!(counter(&*store).await, Some(Value::UnsignedInt(2)));
}

async fn a_held_lease_refuses_and_writes_nothing(store: Arc<dyn Store>) {
    begin(&*store, "n/1", 1).await;
    assert_eq!(
        store.begin_session(start("n/2", 2)).await.expect("begin"),
        None
    );
    assert_eq!(counter(&*store).await, Some(Value::UnsignedInt(1)));
}

async fn end_records_the_session_and_frees_the_device(store: Arc<dyn Store>) {
    begin(&*store, "n/1", 1).await;
    store.end_session("n/1", record("ok")).await.expect("end");
    let sessions = store.list_sessions(&device(), 5).await.expect("sessions");
    assert_eq!(sessions.len(), 1);
    assert_eq!(sessions[0].outcome, "ok");
    assert!(
        store
            .begin_session(start("n/2", 2))
            .await
            .expect("begin")
            .is_some()
    );
    // Ending a session of an unknown device writes nothing (and frees nothing).
    let mut other = record("ok");
    other.device = DeviceId::from_identity("00259E", "HG", "nobody");
    assert!(matches!(
        store.end_session("n/2", other).await,
        Err(StoreError::NotFound(_))
    ));
    assert!(
        store
            .begin_session(start("n/3", 3))
            .await
            .expect("begin")
            .is_none()
    );
}

async fn the_history_keeps_the_newest_sessions_of_each_device(store: Arc<dyn Store>) {
    begin(&*store, "n/1", 1).await;
    let kept = SESSIONS_KEPT as usize;
    for i in 0..kept + 5 {
        let mut r = record(&format!("s{i}"));
        r.started = Timestamp(1_700_000_000_000 + i as i64 * 1000);
        store.record_session(r).await.expect("record");
    }
    let sessions = store.list_sessions(&device(), 1000).await.expect("list");
    assert_eq!(sessions.len(), kept);
    assert_eq!(sessions[0].outcome, format!("s{}", kept + 4));
    assert_eq!(sessions[kept - 1].outcome, "s5");
}

async fn sessions_begun_and_ended_fill_the_ring_in_order_mixed_with_lone_records(
    store: Arc<dyn Store>,
) {
    let kept = SESSIONS_KEPT as usize;
    for i in 0..kept + 3 {
        begin(&*store, "n/1", 1).await;
        let mut r = record(&format!("s{i}"));
        r.started = Timestamp(1_700_000_000_000 + i as i64 * 1000);
        store.end_session("n/1", r).await.expect("end");
        if i == kept {
            // A record of its own (no Inform) takes the next slot, not the last one's.
            let mut lone = record("lone");
            lone.started = Timestamp(1_700_000_000_000 + i as i64 * 1000 + 500);
            store.record_session(lone).await.expect("record");
        }
    }
    let sessions = store.list_sessions(&device(), 1000).await.expect("list");
    let outcomes: Vec<&str> = sessions.iter().map(|s| s.outcome.as_str()).collect();
    let mut expected: Vec<String> = (4..kept + 3).rev().map(|i| format!("s{i}")).collect();
    expected.insert(2, "lone".into());
    assert_eq!(outcomes, expected);
}
