//! The firmware outcome of a device (`_firmware`) in the SQLite store: unset until recorded,
//! replaced by the next record, kept across a reopen, and refused for unknown devices.

use cwmp::EventCode;
use cwmp_acs::store::*;

#[tokio::test]
async fn the_firmware_outcome_is_recorded_replaced_and_kept() {
    let dir = tempfile::tempdir().expect("tmp");
    let store = SqliteStore::open(SqliteConfig::new(dir.path()))
        .await
        .expect("open");
    let update = InformUpdate {
        identity: DeviceIdentity {
            manufacturer: "Acme".into(),
            oui: "00259E".into(),
            product_class: "HG".into(),
            serial_number: "S1".into(),
        },
        time: Timestamp::now(),
        events: vec![EventCode::Boot],
        ip: None,
        connection_request_url: None,
        udp_connection_request_address: None,
        parameters: Vec::new(),
    };
    store.upsert_inform(update).await.expect("upsert");
    let id = DeviceId::from_identity("00259E", "HG", "S1");
    let device = store.get_device(&id).await.expect("get").expect("exists");
    assert_eq!(device.firmware, None);

    let failed = FirmwareOutcome {
        target: "2.0".into(),
        status: FirmwareStatus::Failed,
        time: Timestamp(1_000),
    };
    assert!(store.record_firmware(&id, failed).await.expect("record"));
    let upgraded = FirmwareOutcome {
        target: "2.1".into(),
        status: FirmwareStatus::Upgraded,
        time: Timestamp(2_000),
    };
    assert!(
        store
            .record_firmware(&id, upgraded.clone())
            .await
            .expect("record")
    );
    drop(store);

    let store = SqliteStore::open(SqliteConfig::new(dir.path()))
        .await
        .expect("reopen");
    let device = store.get_device(&id).await.expect("get").expect("exists");
    assert_eq!(device.firmware, Some(upgraded.clone()));
    let unknown = DeviceId::from_identity("00259E", "HG", "S2");
    assert!(
        !store
            .record_firmware(&unknown, upgraded)
            .await
            .expect("record")
    );
}
