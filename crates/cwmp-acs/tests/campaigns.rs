//! Campaigns driven step by step at chosen times (no wall clock): canaries first and alone,
//! the rate limit, the halt past the failure share, resume after a halt, cancel, and a
//! restart that resumes from the store. Task outcomes are made in the store as a session
//! would make them (a completed task is deleted; a faulted one keeps its fault).

mod common;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use common::call;
use cwmp::{EventCode, Value};
use cwmp_acs::api::{self, ApiExtras, ApiState, ApiTokens};
use cwmp_acs::campaign::Runner;
use cwmp_acs::store::*;
use hyper::StatusCode;
use serde_json::{Value as Json, json};

const TOKEN: &str = "campaign-token";

struct Acs {
    addr: SocketAddr,
    store: Arc<dyn Store>,
    runner: Runner,
}

async fn start(dir: &std::path::Path) -> Acs {
    let store: Arc<dyn Store> = Arc::new(
        SqliteStore::open(SqliteConfig::new(dir))
            .await
            .expect("store"),
    );
    let state = ApiState {
        store: Arc::clone(&store),
        connection_request_timeout: Duration::from_secs(1),
        cpe_auth: Arc::new(cwmp_acs::cpe_auth::CpeAuth::open()),
    };
    let extras = ApiExtras::default();
    let router = api::router_with(
        state.clone(),
        ApiTokens::from_tokens([TOKEN]),
        extras.clone(),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(api::serve(listener, router, std::future::pending()));
    Acs {
        addr,
        store,
        runner: Runner::new(state, extras),
    }
}

/// `n` devices of product class `class` (no Connection Request URL: nothing leaves the
/// machine).
async fn devices(store: &Arc<dyn Store>, class: &str, n: usize) {
    for i in 0..n {
        store
            .upsert_inform(InformUpdate {
                identity: DeviceIdentity {
                    manufacturer: "Acme".into(),
                    oui: "00259E".into(),
                    product_class: class.into(),
                    serial_number: format!("{class}{i:04}"),
                },
                time: Timestamp::now(),
                events: vec![EventCode::Boot],
                ip: None,
                connection_request_url: None,
                udp_connection_request_address: None,
                parameters: vec![ParamValue {
                    path: "Device.DeviceInfo.SoftwareVersion".into(),
                    value: Value::String("1.0".into()),
                }],
            })
            .await
            .expect("inform");
    }
}

async fn create(acs: &Acs, body: Json) -> String {
    let (status, answer) = call(acs.addr, "POST", "/campaigns", Some(TOKEN), Some(body)).await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    answer["_id"].as_str().expect("id").to_owned()
}

async fn campaign(acs: &Acs, id: &str) -> Json {
    let (status, answer) = call(
        acs.addr,
        "GET",
        &format!("/campaigns/{id}"),
        Some(TOKEN),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    answer
}

/// The campaign's queued targets.
async fn queued(acs: &Acs, id: &str) -> Vec<CampaignTarget> {
    acs.store
        .campaign_targets(id, TargetState::Queued, 10_000)
        .await
        .expect("targets")
}

/// Completes (deletes) the tasks of every queued target, as a session would.
async fn complete_all(acs: &Acs, id: &str) {
    for t in queued(acs, id).await {
        let task = t.task.expect("a queued target has a task");
        assert!(acs.store.delete_task(&task).await.expect("delete"));
    }
}

/// Faults the tasks of every queued target, as a session would.
async fn fault_all(acs: &Acs, id: &str) {
    for t in queued(acs, id).await {
        let task = t.task.expect("task");
        acs.store
            .fault_task(
                &task,
                FaultInfo {
                    code: "cwmp.9008".into(),
                    message: "Attempt to set a non-writable parameter".into(),
                    detail: None,
                },
                RetryPolicy::default(),
            )
            .await
            .expect("fault");
    }
}

fn at(t0: Timestamp, secs: u64) -> Timestamp {
    t0.plus(Duration::from_secs(secs))
}

#[tokio::test]
async fn canaries_go_first_then_the_rollout_keeps_to_the_rate() {
    let dir = tempfile::tempdir().expect("dir");
    let acs = start(dir.path()).await;
    devices(&acs.store, "ROLL", 20).await;
    devices(&acs.store, "OTHER", 3).await;
    let id = create(
        &acs,
        json!({"name": "interval", "query": "DeviceID.ProductClass = \"ROLL\"",
            "task": {"name": "setParameterValues", "parameterValues": [["Device.ManagementServer.PeriodicInformInterval", 600, "xsd:unsignedInt"]]},
            "rate_per_minute": 60, "canary_percent": 10, "failure_percent": 50}),
    )
    .await;
    let t0 = Timestamp::now();
    acs.runner.tick(t0).await.expect("tick");
    let c = campaign(&acs, &id).await;
    assert_eq!(c["counts"]["total"], 20, "only the matching devices: {c}");
    assert_eq!(c["phase"], "canary");
    // 60 per minute: one task a second; the two canaries (10 %) alone.
    assert_eq!(queued(&acs, &id).await.len(), 1);
    acs.runner.tick(at(t0, 1)).await.expect("tick");
    acs.runner.tick(at(t0, 2)).await.expect("tick");
    acs.runner.tick(at(t0, 3)).await.expect("tick");
    let q = queued(&acs, &id).await;
    assert_eq!(
        q.len(),
        2,
        "the canaries and nothing else until they finish"
    );
    assert!(q.iter().all(|t| t.canary));
    let task = acs
        .store
        .get_task(q[0].task.as_deref().expect("task"))
        .await
        .expect("get")
        .expect("the task exists");
    assert_eq!(task.name, "setParameterValues");
    complete_all(&acs, &id).await;

    // The rollout: never more than the rate allows, every device queued once.
    let mut seen = std::collections::BTreeSet::new();
    for s in 4..40 {
        acs.runner.tick(at(t0, s)).await.expect("tick");
        let q = queued(&acs, &id).await;
        assert!(
            q.len() <= 2,
            "at most one a second (+1 catching up): {} at {s} s",
            q.len()
        );
        for t in &q {
            assert!(
                seen.insert(t.device.as_str().to_owned()),
                "queued twice: {}",
                t.device
            );
        }
        complete_all(&acs, &id).await;
    }
    let c = campaign(&acs, &id).await;
    assert_eq!(c["state"], "done", "{c}");
    assert_eq!(c["counts"]["done"], 20, "{c}");
    assert_eq!(seen.len(), 18);
}

#[tokio::test]
async fn a_campaign_halts_past_its_failure_share_and_a_resume_retries() {
    let dir = tempfile::tempdir().expect("dir");
    let acs = start(dir.path()).await;
    devices(&acs.store, "HALT", 10).await;
    let id = create(
        &acs,
        json!({"name": "bad", "query": {"_deviceId._ProductClass": "HALT"},
            "task": {"name": "reboot"}, "rate_per_minute": 600, "canary_percent": 20,
            "failure_percent": 30}),
    )
    .await;
    let t0 = Timestamp::now();
    acs.runner.tick(t0).await.expect("tick");
    acs.runner.tick(at(t0, 1)).await.expect("tick");
    assert_eq!(queued(&acs, &id).await.len(), 2, "two canaries (20 %)");
    fault_all(&acs, &id).await;
    acs.runner.tick(at(t0, 2)).await.expect("tick");
    let c = campaign(&acs, &id).await;
    assert_eq!(c["state"], "halted", "{c}");
    assert!(
        c["reason"].as_str().expect("reason").contains("2 of 2"),
        "{c}"
    );
    assert_eq!(
        c["counts"]["pending"], 8,
        "nothing beyond the canaries: {c}"
    );
    assert_eq!(c["failed_devices"].as_array().expect("list").len(), 2);
    assert!(
        c["failed_devices"][0]["detail"]
            .as_str()
            .expect("detail")
            .contains("cwmp.9008")
    );
    // A halted campaign stays halted through ticks.
    acs.runner.tick(at(t0, 5)).await.expect("tick");
    assert_eq!(campaign(&acs, &id).await["state"], "halted");

    // Resumed (the cause fixed): the failed devices are queued again, their old tasks gone.
    let old: Vec<String> = acs
        .store
        .campaign_targets(&id, TargetState::Failed, 10)
        .await
        .expect("failed")
        .into_iter()
        .filter_map(|t| t.task)
        .collect();
    let (status, c) = call(
        acs.addr,
        "POST",
        &format!("/campaigns/{id}/resume"),
        Some(TOKEN),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{c}");
    assert_eq!(c["counts"]["pending"], 10);
    for task in &old {
        assert!(acs.store.get_task(task).await.expect("get").is_none());
    }
    acs.runner.tick(at(t0, 10)).await.expect("tick");
    acs.runner.tick(at(t0, 11)).await.expect("tick");
    complete_all(&acs, &id).await;
    acs.runner.tick(at(t0, 12)).await.expect("tick");
    assert_eq!(campaign(&acs, &id).await["phase"], "rollout");

    // Pause holds it; cancel deletes what had not run.
    let (status, _) = call(
        acs.addr,
        "POST",
        &format!("/campaigns/{id}/pause"),
        Some(TOKEN),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let before = queued(&acs, &id).await.len();
    acs.runner.tick(at(t0, 30)).await.expect("tick");
    assert_eq!(
        queued(&acs, &id).await.len(),
        before,
        "a paused campaign queues nothing"
    );
    let (status, c) = call(
        acs.addr,
        "POST",
        &format!("/campaigns/{id}/cancel"),
        Some(TOKEN),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{c}");
    for t in queued(&acs, &id).await {
        assert!(
            acs.store
                .get_task(t.task.as_deref().expect("task"))
                .await
                .expect("get")
                .is_none()
        );
    }
    let (status, _) = call(
        acs.addr,
        "POST",
        &format!("/campaigns/{id}/resume"),
        Some(TOKEN),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
}

#[tokio::test]
async fn a_campaign_resumes_after_a_restart_without_queuing_twice() {
    let dir = tempfile::tempdir().expect("dir");
    let acs = start(dir.path()).await;
    devices(&acs.store, "RST", 6).await;
    let id = create(
        &acs,
        json!({"name": "restart", "query": "DeviceID.ProductClass = \"RST\"",
            "task": {"name": "refreshObject", "objectName": "Device.DeviceInfo."},
            "rate_per_minute": 60, "canary_percent": 0, "failure_percent": 50}),
    )
    .await;
    let t0 = Timestamp::now();
    acs.runner.tick(t0).await.expect("tick");
    acs.runner.tick(at(t0, 1)).await.expect("tick");
    let before: Vec<(String, Option<String>)> = queued(&acs, &id)
        .await
        .into_iter()
        .map(|t| (t.device.as_str().to_owned(), t.task))
        .collect();
    assert_eq!(before.len(), 2);
    acs.store.close().await;
    drop(acs);

    let acs = start(dir.path()).await;
    let c = campaign(&acs, &id).await;
    assert_eq!(c["state"], "running", "{c}");
    acs.runner.tick(at(t0, 2)).await.expect("tick");
    let after: Vec<(String, Option<String>)> = queued(&acs, &id)
        .await
        .into_iter()
        .map(|t| (t.device.as_str().to_owned(), t.task))
        .collect();
    assert_eq!(after.len(), 3, "one more, at the rate");
    for b in &before {
        assert!(after.contains(b), "{b:?} kept its task across the restart");
    }
    let tasks = acs
        .store
        .list_tasks(&TaskFilter::default())
        .await
        .expect("tasks");
    assert_eq!(tasks.len(), 3, "no task queued twice");
}

#[tokio::test]
async fn campaign_requests_are_validated_and_need_the_operator_role() {
    let dir = tempfile::tempdir().expect("dir");
    let acs = start(dir.path()).await;
    let good = json!({"name": "x", "query": "{}", "task": {"name": "reboot"}});
    for (patch, needle) in [
        (json!({"name": ""}), "name"),
        (json!({"query": "Tags.x ==="}), "query"),
        (json!({"task": {"name": "explode"}}), "task"),
        (
            json!({"task": {"name": "download", "file": "missing.bin"}}),
            "missing.bin",
        ),
        (json!({"rate_per_minute": 0}), "rate_per_minute"),
        (json!({"canary_percent": 101}), "canary_percent"),
    ] {
        let mut body = good.clone();
        for (k, v) in patch.as_object().expect("object") {
            body[k] = v.clone();
        }
        let (status, answer) = call(acs.addr, "POST", "/campaigns", Some(TOKEN), Some(body)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{patch}: {answer}");
        assert!(
            answer["error"].as_str().expect("error").contains(needle),
            "{answer}"
        );
    }
    let (status, _) = call(acs.addr, "POST", "/campaigns/nope/pause", Some(TOKEN), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(
        cwmp_acs::api::access::required(&hyper::Method::POST, "/campaigns"),
        Role::Operator
    );
}
