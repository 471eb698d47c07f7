//! Upserts 10,000 devices with 20 parameters each from 200 concurrent tasks through the
//! group-commit writer; prints devices/s and the database size.
//!
//! `cargo run --release -p cwmp-acs --example store_load [devices] [data_dir]`

use std::sync::Arc;
use std::time::Instant;

use cwmp::{EventCode, Value};
use cwmp_acs::store::{
    DeviceIdentity, InformUpdate, ParamValue, SqliteConfig, SqliteStore, Store, Timestamp,
};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let devices: usize = args.next().map_or(Ok(10_000), |a| a.parse())?;
    let tmp = tempfile::tempdir()?;
    let dir = args
        .next()
        .map_or_else(|| tmp.path().to_path_buf(), Into::into);
    let store = Arc::new(SqliteStore::open(SqliteConfig::new(&dir)).await?);
    let workers = 200;
    let start = Instant::now();
    let mut joins = Vec::new();
    for w in 0..workers {
        let store = Arc::clone(&store);
        joins.push(tokio::spawn(async move {
            for i in (w..devices).step_by(workers) {
                let inform = InformUpdate {
                    identity: DeviceIdentity {
                        manufacturer: "Acme".into(),
                        oui: "00259E".into(),
                        product_class: "HG8245".into(),
                        serial_number: format!("SN{i:08}"),
                    },
                    time: Timestamp::now(),
                    events: vec![EventCode::Bootstrap, EventCode::Boot],
                    ip: Some("192.0.2.1".into()),
                    connection_request_url: Some(format!(
                        "http://10.0.{}.{}:7547/",
                        i / 250,
                        i % 250
                    )),
                    udp_connection_request_address: None,
                    parameters: (0..20)
                        .map(|p| ParamValue {
                            path: format!("InternetGatewayDevice.Test.Param{p}"),
                            value: Value::string(format!("value-{i}-{p}")),
                        })
                        .collect(),
                };
                store.upsert_inform(inform).await?;
            }
            Ok::<_, cwmp_acs::store::StoreError>(())
        }));
    }
    for j in joins {
        j.await??;
    }
    let secs = start.elapsed().as_secs_f64();
    store.close().await;
    let size: u64 = std::fs::read_dir(&dir)?
        .flatten()
        .filter_map(|e| e.metadata().ok())
        .map(|m| m.len())
        .sum();
    println!(
        "{devices} devices x 20 parameters in {secs:.2} s: {:.0} devices/s, {:.0} parameter rows/s; db size {:.1} MiB",
        devices as f64 / secs,
        devices as f64 * 20.0 / secs,
        size as f64 / (1024.0 * 1024.0)
    );
    Ok(())
}
