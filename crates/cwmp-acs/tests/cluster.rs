//! Two nodes on one PostgreSQL store: events published on one reach the other's
//! subscribers (inline and through `cluster_events` when too large for a NOTIFY), each
//! event once; a preset written on one invalidates the other's preset cache. Needs
//! `CWMP_TEST_PG_URL` (skips without it, fails in CI).

use std::sync::Arc;
use std::time::Duration;

use cwmp_acs::events::{EventBus, EventKind};
use cwmp_acs::store::*;
use serde_json::json;
use tokio::sync::broadcast;

#[allow(unused_macros)]
mod backend;

const WAIT: Duration = Duration::from_secs(10);

async fn next(
    rx: &mut broadcast::Receiver<Arc<cwmp_acs::events::Event>>,
) -> Arc<cwmp_acs::events::Event> {
    tokio::time::timeout(WAIT, rx.recv())
        .await
        .expect("an event in time")
        .expect("event")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_and_preset_changes_cross_nodes() {
    let Some((url, admin_url, name)) = backend::pg_database().await else {
        return;
    };
    let a = Arc::new(PgStore::open(PgConfig::new(url.clone())).await.expect("a"));
    let b = Arc::new(PgStore::open(PgConfig::new(url.clone())).await.expect("b"));
    let (bus_a, bus_b) = (EventBus::default(), EventBus::default());
    let mut tasks = cwmp_acs::cluster::relay_events(Arc::clone(&a), &bus_a, "a");
    tasks.extend(cwmp_acs::cluster::relay_events(Arc::clone(&b), &bus_b, "b"));
    let (mut on_a, mut on_b) = (bus_a.subscribe(), bus_b.subscribe());
    // The listeners connect asynchronously: publish until the first event gets across.
    let dev = DeviceId::from_escaped("D1");
    let mut crossed = false;
    for _ in 0..50 {
        bus_a.publish(
            &dev,
            EventKind::SessionEnd {
                outcome: "probe".into(),
            },
        );
        if let Ok(Ok(_)) = tokio::time::timeout(Duration::from_millis(200), on_b.recv()).await {
            crossed = true;
            break;
        }
    }
    assert!(crossed, "an event published on a reaches b");
    tokio::time::sleep(Duration::from_millis(500)).await;
    while on_a.try_recv().is_ok() {}
    while on_b.try_recv().is_ok() {}

    // A small and a large event from b, in order, each once on a.
    bus_b.publish(
        &dev,
        EventKind::SessionEnd {
            outcome: "ok".into(),
        },
    );
    let big: Vec<String> = (0..2000).map(|i| format!("Device.X.{i}")).collect();
    bus_b.publish(
        &dev,
        EventKind::TaskDone {
            task: "t1".into(),
            result: json!({ "parameterValues": big }),
        },
    );
    let first = next(&mut on_a).await;
    assert_eq!(
        first.kind,
        EventKind::SessionEnd {
            outcome: "ok".into()
        }
    );
    let second = next(&mut on_a).await;
    match &second.kind {
        EventKind::TaskDone { task, result } => {
            assert_eq!(task, "t1");
            assert_eq!(
                result["parameterValues"].as_array().map(Vec::len),
                Some(2000)
            );
        }
        other => panic!("expected the task's result, got {other:?}"),
    }
    // b's own subscriber saw them once, and nothing came back from a.
    assert_eq!(next(&mut on_b).await.kind, first.kind);
    assert_eq!(next(&mut on_b).await.kind, second.kind);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(on_a.try_recv().is_err(), "no duplicate on a");
    assert!(on_b.try_recv().is_err(), "no echo back to b");

    // A preset written through a invalidates b's preset cache.
    let before = b.presets_generation();
    a.put_preset(Preset {
        name: "p".into(),
        weight: 0,
        channel: "default".into(),
        precondition: json!({}),
        events: Default::default(),
        schedule: None,
        configuration: json!([]),
    })
    .await
    .expect("put");
    let deadline = tokio::time::Instant::now() + WAIT;
    while b.presets_generation() == before {
        assert!(
            tokio::time::Instant::now() < deadline,
            "b saw the preset change"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    for t in tasks {
        t.abort();
    }
    a.close().await;
    b.close().await;
    drop((a, b));
    backend::drop_database(&admin_url, &name).await;
}
