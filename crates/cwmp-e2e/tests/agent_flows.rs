//! The real `cwmp-cpe` agent against the real `cwmp-acs` on 127.0.0.1: provisioning by a
//! preset, moving to a standby ACS, Connection Requests from the API, reboot and active
//! notification. Each test runs its own processes; every wait is bounded.

mod common;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use common::acs::{Acs, SessionLine};
use common::agent::{Agent, CR_PASSWORD, CR_USERNAME, DEVICE_ID};
use common::api::param_value;
use common::sse::{EventStream, inform_with};
use common::{GUARD, datamodels_dir, enc, eventually};
use hyper::StatusCode;
use serde_json::json;
use tokio::time::Instant;

const INTERVAL: &str = "Device.ManagementServer.PeriodicInformInterval";
/// A writable parameter without notification by default.
const NTP: &str = "Device.Time.NTPServer1";

fn has(events: &[String], code: &str) -> bool {
    events.iter().any(|e| e == code)
}

/// The agent started and bootstrapped to `acs` (its first session finished), with that
/// session's log line; `None` when the data model is missing (the test skips).
async fn bootstrapped(acs: &Acs) -> Option<(Agent, SessionLine)> {
    let models = datamodels_dir()?;
    let agent = Agent::start(&models, &acs.cwmp_url()).await;
    let boot = acs
        .session_finished("the bootstrap session", 0, DEVICE_ID, |e| {
            has(e, "0 BOOTSTRAP")
        })
        .await;
    assert!(boot.ok(), "{}", boot.line);
    Some((agent, boot))
}

/// Gives the ACS the agent's Connection Request credentials.
async fn allow_connection_requests(acs: &Acs) {
    acs.api
        .put(
            &format!("/devices/{}/credentials", enc(DEVICE_ID)),
            json!({ "cr_username": CR_USERNAME, "cr_password": CR_PASSWORD }),
        )
        .await;
}

/// The task `id` as `GET /tasks` shows it; `None` once it completed (a completed task is
/// deleted, as in GenieACS).
async fn task(acs: &Acs, id: &str) -> Option<serde_json::Value> {
    let list = acs
        .api
        .get(&format!(
            "/tasks?query={}",
            enc(&json!({ "_id": id }).to_string())
        ))
        .await;
    list.as_array().and_then(|a| a.first()).cloned()
}

fn unix_now() -> i64 {
    let d = SystemTime::now().duration_since(UNIX_EPOCH).expect("clock");
    i64::try_from(d.as_secs()).expect("seconds")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bootstrap_preset_sets_the_inform_interval_once() {
    let acs = Acs::start(&[]);
    acs.api
        .put(
            "/presets/interval",
            json!({
                "events": ["0 BOOTSTRAP"],
                "configuration": { "parameters": [[INTERVAL, 1800, "xsd:unsignedInt"]] },
            }),
        )
        .await;
    let Some((agent, boot)) = bootstrapped(&acs).await else {
        return;
    };
    let set_at = unix_now();
    // The ACS read the interval, then set it: one of each, in that order.
    let sent = acs.requests_sent(DEVICE_ID, 0, boot.index);
    assert_eq!(
        sent,
        ["GetParameterValues", "SetParameterValues"],
        "{sent:?}"
    );
    let device = acs.wait_device(DEVICE_ID).await;
    assert_eq!(
        param_value(&device, INTERVAL).as_deref(),
        Some("1800"),
        "{device}"
    );

    // The agent applied it and rescheduled its periodic Inform.
    assert_eq!(agent.get(INTERVAL).await, "1800");
    let status = agent.status().await;
    let next = status
        .iter()
        .find(|(k, _)| k == "Next Inform")
        .and_then(|(_, v)| v.parse::<cwmp::DateTime>().ok())
        .and_then(|t| t.to_unix())
        .map(|(s, _)| s)
        .unwrap_or_else(|| panic!("no Next Inform in {status:?}"));
    let expected = set_at + 1800;
    assert!(
        (expected - 60..=expected + 5).contains(&next),
        "next Inform at {next}, expected about {expected}: {status:?}"
    );

    // A second session: nothing left to set.
    let mark = acs.process.line_count();
    agent.ok(&["inform"]).await;
    let second = acs
        .session_finished("the second session", mark, DEVICE_ID, |_| true)
        .await;
    assert!(!has(&second.events, "0 BOOTSTRAP"), "{}", second.line);
    assert!(second.ok(), "{}", second.line);
    let sent = acs.requests_sent(DEVICE_ID, mark, second.index);
    assert!(
        !sent.iter().any(|m| m == "SetParameterValues"),
        "second session sent {sent:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_url_task_moves_the_agent_to_a_standby_acs() {
    let primary = Acs::start(&[]);
    let standby = Acs::start(&[]);
    let Some((agent, _)) = bootstrapped(&primary).await else {
        return;
    };
    allow_connection_requests(&primary).await;
    let url = standby.cwmp_url();
    let answer = primary
        .api
        .task(
            DEVICE_ID,
            json!({
                "name": "setParameterValues",
                "parameterValues": [["Device.ManagementServer.URL", url, "xsd:string"]],
            }),
            Some(10_000),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert_eq!(answer.body["status"], "done", "{}", answer.body);

    let boot = standby
        .session_finished("0 BOOTSTRAP at the standby", 0, DEVICE_ID, |e| {
            has(e, "0 BOOTSTRAP")
        })
        .await;
    assert!(boot.ok(), "{}", boot.line);
    let device = standby.wait_device(DEVICE_ID).await;
    assert_eq!(device["_id"], DEVICE_ID);
    assert_eq!(agent.get("Device.ManagementServer.URL").await, url);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_request_returns_the_live_value() {
    let acs = Acs::start(&[]);
    let Some((agent, _)) = bootstrapped(&acs).await else {
        return;
    };
    allow_connection_requests(&acs).await;
    agent.ok(&["set", NTP, "ntp.live.example"]).await;

    let answer = acs
        .api
        .task(
            DEVICE_ID,
            json!({ "name": "getParameterValues", "parameterNames": [NTP] }),
            Some(5000),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert_eq!(
        answer.body["connectionRequest"]["ok"], true,
        "{}",
        answer.body
    );
    assert_eq!(answer.body["status"], "done", "{}", answer.body);
    assert_eq!(
        answer.body["result"]["parameterValues"],
        json!([[NTP, "ntp.live.example", "xsd:string"]]),
        "{}",
        answer.body
    );
    let device = acs.wait_device(DEVICE_ID).await;
    assert_eq!(
        param_value(&device, NTP).as_deref(),
        Some("ntp.live.example")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reboot_task_is_followed_by_m_reboot_and_1_boot() {
    let acs = Acs::start(&[]);
    let Some((_agent, _)) = bootstrapped(&acs).await else {
        return;
    };
    allow_connection_requests(&acs).await;
    let mut events = EventStream::open(&acs.api, DEVICE_ID).await;
    let mark = acs.process.line_count();
    let answer = acs
        .api
        .task(DEVICE_ID, json!({ "name": "reboot" }), Some(5000))
        .await;
    assert!(
        matches!(answer.status, StatusCode::OK | StatusCode::ACCEPTED),
        "{}",
        answer.body
    );
    assert_eq!(
        answer.body["connectionRequest"]["ok"], true,
        "{}",
        answer.body
    );
    let id = answer.body["_id"].as_str().expect("task id").to_owned();

    events
        .next_where(
            "Inform with M Reboot and 1 BOOT",
            Instant::now() + GUARD,
            |e| inform_with(e, "M Reboot") && inform_with(e, "1 BOOT"),
        )
        .await;
    let after = acs
        .session_finished("the session after the reboot", mark, DEVICE_ID, |e| {
            has(e, "M Reboot")
        })
        .await;
    assert!(has(&after.events, "1 BOOT"), "{}", after.line);
    assert!(!has(&after.events, "0 BOOTSTRAP"), "{}", after.line);
    eventually("the reboot task done", GUARD, async || {
        task(&acs, &id).await.is_none().then_some(())
    })
    .await;
    let faults = acs.api.get("/faults").await;
    assert_eq!(faults, json!([]), "the reboot never faulted");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_active_notification_reaches_the_acs_within_a_second() {
    let acs = Acs::start(&[]);
    let Some((agent, _)) = bootstrapped(&acs).await else {
        return;
    };
    allow_connection_requests(&acs).await;
    let answer = acs
        .api
        .task(
            DEVICE_ID,
            json!({ "name": "setParameterAttributes", "parameterAttributes": [[NTP, 2, null]] }),
            Some(5000),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert_eq!(answer.body["status"], "done", "{}", answer.body);

    let mut events = EventStream::open(&acs.api, DEVICE_ID).await;
    let started = Instant::now();
    agent.ok(&["set", NTP, "ntp.active.example"]).await;
    let set_took = started.elapsed();
    events
        .next_where("Inform with 4 VALUE CHANGE", started + GUARD, |e| {
            inform_with(e, "4 VALUE CHANGE")
        })
        .await;
    let latency = started.elapsed();
    println!(
        "active notification: local set to 4 VALUE CHANGE at the ACS in {:.1} ms \
         (the `cwmp-cpe set` command itself took {:.1} ms)",
        latency.as_secs_f64() * 1e3,
        set_took.as_secs_f64() * 1e3
    );
    let device = eventually("the new value in the device record", GUARD, async || {
        let d = acs.api.device(DEVICE_ID).await?;
        (param_value(&d, NTP).as_deref() == Some("ntp.active.example")).then_some(d)
    })
    .await;
    assert_eq!(device["_id"], DEVICE_ID);
    assert!(
        latency < Duration::from_secs(1),
        "4 VALUE CHANGE took {latency:?}"
    );
}
