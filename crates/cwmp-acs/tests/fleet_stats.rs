//! The overview's fleet figures: online means informed within 1.5 times the device's own
//! PeriodicInformInterval plus a minute (an hour assumed when unknown); firmware versions
//! counted per device; samples kept and listed in time order.

use std::time::Duration;

use cwmp::{EventCode, Value};
use cwmp_acs::store::*;

async fn device(store: &SqliteStore, serial: &str, ago: Duration, params: Vec<(&str, Value)>) {
    store
        .upsert_inform(InformUpdate {
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
        })
        .await
        .expect("inform");
}

#[tokio::test]
async fn online_follows_each_devices_interval_and_firmware_is_counted() {
    let dir = tempfile::tempdir().expect("dir");
    let store = SqliteStore::open(SqliteConfig::new(dir.path()))
        .await
        .expect("store");
    let interval = "Device.ManagementServer.PeriodicInformInterval";
    let version = "Device.DeviceInfo.SoftwareVersion";
    let min = |m: u64| Duration::from_secs(m * 60);
    // 10 min silent with a 60 s interval: offline.
    device(
        &store,
        "A",
        min(10),
        vec![
            (interval, Value::UnsignedInt(60)),
            (version, Value::String("1.0".into())),
        ],
    )
    .await;
    // 10 min silent with a 600 s interval: online.
    device(
        &store,
        "B",
        min(10),
        vec![
            (interval, Value::UnsignedInt(600)),
            (version, Value::String("1.0".into())),
        ],
    )
    .await;
    // No interval known, 30 min silent: online under the assumed hour.
    device(
        &store,
        "C",
        min(30),
        vec![(
            "InternetGatewayDevice.DeviceInfo.SoftwareVersion",
            Value::String("2.0".into()),
        )],
    )
    .await;
    // No interval known, 2 h silent: offline.
    device(&store, "D", min(120), vec![]).await;
    let s = store
        .fleet_summary(Timestamp::now())
        .await
        .expect("summary");
    assert_eq!((s.total, s.online), (4, 2), "{s:?}");
    assert_eq!(
        s.firmware,
        vec![
            ("1.0".to_owned(), 2),
            ("".to_owned(), 1),
            ("2.0".to_owned(), 1)
        ]
    );

    let t = Timestamp::now();
    for (i, online) in [3u64, 2, 4].into_iter().enumerate() {
        store
            .put_fleet_sample(FleetSample {
                time: t.plus(Duration::from_secs(60 * i as u64)),
                total: 4,
                online,
            })
            .await
            .expect("sample");
    }
    let samples = store
        .fleet_samples(t.plus(Duration::from_secs(30)))
        .await
        .expect("samples");
    assert_eq!(
        samples.iter().map(|s| s.online).collect::<Vec<_>>(),
        vec![2, 4]
    );
    // Samples older than the retention go when a new one comes.
    store
        .put_fleet_sample(FleetSample {
            time: t.plus(fleet::SAMPLES_KEPT + Duration::from_secs(61)),
            total: 4,
            online: 1,
        })
        .await
        .expect("sample");
    let all = store.fleet_samples(Timestamp(0)).await.expect("samples");
    assert_eq!(all.len(), 2, "{all:?}");
}
