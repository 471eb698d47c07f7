//! Store behaviour of the console's records, run against every backend (`sqlite::*`,
//! `postgres::*`): users and their tokens (a deleted user takes its tokens), the audit log
//! paged newest first, campaigns with their devices and counts, and the fleet figures
//! (online by each device's own inform interval, firmware versions, samples over time).

use std::sync::Arc;
use std::time::Duration;

use cwmp::{EventCode, Value};
use cwmp_acs::store::*;
use serde_json::json;

#[macro_use]
mod backend;

backend_tests!(
    users_tokens_and_their_cascade,
    the_audit_log_pages_newest_first,
    campaigns_their_devices_and_counts,
    online_follows_each_devices_interval_and_firmware_is_counted,
);

fn user(name: &str, role: Role) -> User {
    User {
        name: name.into(),
        role,
        password_hash: "$argon2id$x".into(),
        created: Timestamp(1),
    }
}

async fn users_tokens_and_their_cascade(s: Arc<dyn Store>) {
    s.put_user(user("ann", Role::Admin)).await.expect("put");
    s.put_user(user("bob", Role::Viewer)).await.expect("put");
    s.put_user(user("bob", Role::Operator))
        .await
        .expect("update");
    let all = s.list_users().await.expect("list");
    assert_eq!(all.len(), 2);
    assert_eq!((all[1].name.as_str(), all[1].role), ("bob", Role::Operator));
    assert_eq!(s.get_user("nobody").await.expect("get"), None);
    let tok = UserToken {
        id: "t1".into(),
        user: "bob".into(),
        label: "script".into(),
        digest: "ab".repeat(32),
        scope: Role::Viewer,
        created: Timestamp(2),
    };
    s.put_user_token(tok.clone()).await.expect("token");
    let orphan = UserToken {
        user: "nobody".into(),
        id: "t2".into(),
        digest: "cd".repeat(32),
        ..tok.clone()
    };
    assert!(matches!(
        s.put_user_token(orphan).await,
        Err(StoreError::NotFound(_))
    ));
    assert_eq!(
        s.user_token_by_digest(&"ab".repeat(32)).await.expect("get"),
        Some(tok.clone())
    );
    assert_eq!(
        s.list_user_tokens("bob").await.expect("list"),
        vec![tok.clone()]
    );
    assert!(!s.delete_user_token("ann", "t1").await.expect("not ann's"));
    assert!(s.delete_user("bob").await.expect("delete"));
    assert_eq!(
        s.user_token_by_digest(&tok.digest).await.expect("get"),
        None
    );
    assert!(!s.delete_user("bob").await.expect("gone"));
}

async fn the_audit_log_pages_newest_first(s: Arc<dyn Store>) {
    for i in 0..5 {
        s.append_audit(AuditEntry {
            seq: 0,
            time: Timestamp(i),
            actor: "ann".into(),
            method: "PUT".into(),
            path: format!("/presets/p{i}"),
            status: 200,
        })
        .await
        .expect("append");
    }
    let page = s.list_audit(None, 2).await.expect("list");
    assert_eq!(page.len(), 2);
    assert_eq!(page[0].path, "/presets/p4");
    assert!(page[0].seq > page[1].seq);
    let next = s.list_audit(Some(page[1].seq), 10).await.expect("list");
    assert_eq!(next.len(), 3);
    assert_eq!(next[2].path, "/presets/p0");
    assert_eq!(next[2].status, 200);
}

fn inform(serial: &str, ago: Duration, params: Vec<(&str, Value)>) -> InformUpdate {
    InformUpdate {
        identity: DeviceIdentity {
            manufacturer: "Acme".into(),
            oui: "00259E".into(),
            product_class: "GW".into(),
            serial_number: serial.into(),
        },
        time: Timestamp(Timestamp::now().as_millis() - ago.as_millis() as i64),
        events: vec![EventCode::Periodic],
        ip: None,
        connection_request_url: None,
        udp_connection_request_address: None,
        parameters: params
            .into_iter()
            .map(|(path, value)| ParamValue {
                path: path.into(),
                value,
            })
            .collect(),
    }
}

async fn campaigns_their_devices_and_counts(s: Arc<dyn Store>) {
    let c = Campaign {
        id: "c1".into(),
        name: "fw".into(),
        query: "{}".into(),
        task: json!({"name": "reboot"}),
        rate_per_minute: 60,
        canary_percent: 10,
        failure_percent: 20,
        state: CampaignState::Running,
        canary_phase: true,
        resolved: false,
        next_queue: Timestamp(5),
        reason: None,
        created_by: "ann".into(),
        created: Timestamp(1),
        updated: Timestamp(1),
    };
    s.put_campaign(c.clone()).await.expect("put");
    assert_eq!(s.get_campaign("c1").await.expect("get"), Some(c.clone()));
    let target = |d: &str, canary: bool| CampaignTarget {
        campaign: "c1".into(),
        device: DeviceId::from_escaped(d.to_owned()),
        canary,
        state: TargetState::Pending,
        task: None,
        detail: None,
        updated: Timestamp(1),
    };
    s.add_campaign_targets(vec![
        target("d1", false),
        target("d2", true),
        target("d3", false),
    ])
    .await
    .expect("targets");
    // Adding one again leaves it as it is.
    s.add_campaign_targets(vec![target("d2", false)])
        .await
        .expect("again");
    let pending = s
        .campaign_targets("c1", TargetState::Pending, 10)
        .await
        .expect("pending");
    assert_eq!(pending.len(), 3);
    assert!(pending[0].canary, "canaries first");
    let mut first = pending[0].clone();
    first.state = TargetState::Queued;
    first.task = Some("task1".into());
    s.update_campaign_target(first.clone())
        .await
        .expect("update");
    let mut failed = pending[1].clone();
    failed.state = TargetState::Failed;
    failed.detail = Some("cwmp.9008: no".into());
    s.update_campaign_target(failed).await.expect("update");
    let counts = s.campaign_counts("c1").await.expect("counts");
    assert_eq!(
        counts,
        CampaignCounts {
            pending: 1,
            queued: 1,
            done: 0,
            failed: 1,
            canary_open: 1
        }
    );
    let queued = s
        .campaign_targets("c1", TargetState::Queued, 10)
        .await
        .expect("q");
    assert_eq!(queued, vec![first]);
    let mut halted = c.clone();
    halted.state = CampaignState::Halted;
    halted.reason = Some("too many".into());
    halted.resolved = true;
    s.put_campaign(halted.clone()).await.expect("update");
    assert_eq!(s.list_campaigns().await.expect("list"), vec![halted]);
}

async fn online_follows_each_devices_interval_and_firmware_is_counted(s: Arc<dyn Store>) {
    let interval = "Device.ManagementServer.PeriodicInformInterval";
    let version = "Device.DeviceInfo.SoftwareVersion";
    let min = |m: u64| Duration::from_secs(m * 60);
    let v = |t: &str| Value::String(t.into());
    // 10 min silent with a 60 s interval: offline; with 600 s: online.
    s.upsert_inform(inform(
        "A",
        min(10),
        vec![(interval, Value::UnsignedInt(60)), (version, v("1.0"))],
    ))
    .await
    .expect("inform");
    s.upsert_inform(inform(
        "B",
        min(10),
        vec![(interval, Value::UnsignedInt(600)), (version, v("1.0"))],
    ))
    .await
    .expect("inform");
    // No interval known: an hour assumed; 30 min silent is online, 2 h is not.
    s.upsert_inform(inform(
        "C",
        min(30),
        vec![("InternetGatewayDevice.DeviceInfo.SoftwareVersion", v("2.0"))],
    ))
    .await
    .expect("inform");
    s.upsert_inform(inform("D", min(120), vec![]))
        .await
        .expect("inform");
    let f = s.fleet_summary(Timestamp::now()).await.expect("summary");
    assert_eq!((f.total, f.online), (4, 2), "{f:?}");
    assert_eq!(
        f.firmware,
        vec![
            ("1.0".to_owned(), 2),
            ("".to_owned(), 1),
            ("2.0".to_owned(), 1)
        ]
    );
    let t = Timestamp::now();
    for (i, online) in [3u64, 2, 4].into_iter().enumerate() {
        s.put_fleet_sample(FleetSample {
            time: t.plus(Duration::from_secs(60 * i as u64)),
            total: 4,
            online,
        })
        .await
        .expect("sample");
    }
    let since = s
        .fleet_samples(t.plus(Duration::from_secs(30)))
        .await
        .expect("samples");
    assert_eq!(
        since.iter().map(|x| x.online).collect::<Vec<_>>(),
        vec![2, 4]
    );
    // Samples older than the retention go when a new one comes.
    s.put_fleet_sample(FleetSample {
        time: t.plus(fleet::SAMPLES_KEPT + Duration::from_secs(61)),
        total: 4,
        online: 1,
    })
    .await
    .expect("sample");
    assert_eq!(s.fleet_samples(Timestamp(0)).await.expect("all").len(), 2);
}
