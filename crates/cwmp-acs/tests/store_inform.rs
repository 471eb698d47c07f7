//! An Inform that repeats the last one's ParameterList writes no parameter row, yet every
//! parameter's value and time read as if it had: the rules of `store/sqlite/inform.rs`.

use cwmp::{EventCode, Value};
use cwmp_acs::store::*;
use std::sync::Arc;

const SERIAL: &str = "INF1";

fn device() -> DeviceId {
    DeviceId::from_identity("00259E", "HG 8245", SERIAL)
}

fn inform(time: i64, params: &[(&str, &str)]) -> InformUpdate {
    InformUpdate {
        identity: DeviceIdentity {
            manufacturer: "Acme".into(),
            oui: "00259E".into(),
            product_class: "HG 8245".into(),
            serial_number: SERIAL.into(),
        },
        time: Timestamp(time),
        events: vec![EventCode::Periodic],
        ip: None,
        connection_request_url: None,
        udp_connection_request_address: None,
        parameters: params
            .iter()
            .map(|(path, value)| ParamValue {
                path: format!("Device.DeviceInfo.{path}"),
                value: Value::String((*value).into()),
            })
            .collect(),
    }
}

#[macro_use]
mod backend;

backend_tests!(
    a_parameter_left_out_keeps_the_time_of_the_last_inform_that_carried_it,
    a_write_between_informs_makes_the_next_one_write_its_list,
    writing_the_parameters_of_an_unknown_device_is_not_found,
);

async fn open() -> (tempfile::TempDir, SqliteStore) {
    let dir = tempfile::tempdir().expect("tmp");
    let store = SqliteStore::open(SqliteConfig::new(dir.path()))
        .await
        .expect("open");
    (dir, store)
}

/// Stores an Inform of `list` at each of `times`.
async fn informs(store: &dyn Store, times: &[i64], list: &[(&str, &str)]) {
    for &t in times {
        store.upsert_inform(inform(t, list)).await.expect("inform");
    }
}

/// Checks `(name, value, time)` of every stored parameter, in path order.
async fn expect(store: &dyn Store, expected: &[(&str, &str, i64)]) {
    assert_eq!(read(store).await, rows(expected));
}

/// Checks that the parameters are [`LIST`]'s, all refreshed at `time`.
async fn expect_list_at(store: &dyn Store, time: i64) {
    let all: Vec<(&str, &str, i64)> = LIST.iter().map(|&(n, v)| (n, v, time)).collect();
    expect(store, &all).await;
}

/// `(name, value, time)` of every stored parameter, in path order.
async fn read(store: &dyn Store) -> Vec<(String, String, i64)> {
    store
        .get_parameters(&device(), "Device.DeviceInfo.")
        .await
        .expect("read")
        .into_iter()
        .map(|p| {
            let value = p
                .value
                .map(|v| v.as_text().into_owned())
                .unwrap_or_default();
            let name = p.path.trim_start_matches("Device.DeviceInfo.").to_owned();
            (name, value, p.updated.0)
        })
        .collect()
}

fn rows(expected: &[(&str, &str, i64)]) -> Vec<(String, String, i64)> {
    expected
        .iter()
        .map(|(n, v, t)| ((*n).to_owned(), (*v).to_owned(), *t))
        .collect()
}

/// The `updated_ms` column as stored, bypassing the store: shows which rows were written.
fn stored_times(dir: &tempfile::TempDir) -> Vec<i64> {
    let conn = rusqlite::Connection::open(dir.path().join("acs.sqlite3")).expect("open");
    let mut stmt = conn
        .prepare("SELECT updated_ms FROM parameters ORDER BY path")
        .expect("prepare");
    stmt.query_map([], |r| r.get(0))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows")
}

async fn write(store: &dyn Store, time: i64, path: &str, value: Option<&str>) {
    let batch = ParamBatch {
        time: Timestamp(time),
        delete_prefixes: Vec::new(),
        delete_paths: Vec::new(),
        updates: vec![ParamUpdate {
            path: format!("Device.DeviceInfo.{path}"),
            value: value.map(|v| Value::String(v.into())),
            writable: Some(false),
            notification: None,
            access_list: None,
        }],
    };
    store
        .write_parameters(&device(), batch)
        .await
        .expect("write");
}

const LIST: &[(&str, &str)] = &[("A", "a1"), ("B", "b1"), ("C", "c1")];

#[tokio::test]
async fn a_repeated_list_writes_no_row_and_its_parameters_take_the_informs_time() {
    let (dir, store) = open().await;
    let created = store.upsert_inform(inform(1_000, LIST)).await.expect("1");
    assert!(created.created);
    let again = store.upsert_inform(inform(2_000, LIST)).await.expect("2");
    assert!(!again.created);
    expect_list_at(&store, 2_000).await;
    assert_eq!(
        stored_times(&dir),
        [1_000, 1_000, 1_000],
        "no row rewritten"
    );
    // A changed value writes the list again.
    let changed = [("A", "a1"), ("B", "b2"), ("C", "c1")];
    informs(&store, &[3_000], &changed).await;
    expect(
        &store,
        &[("A", "a1", 3_000), ("B", "b2", 3_000), ("C", "c1", 3_000)],
    )
    .await;
    assert_eq!(stored_times(&dir), [3_000, 3_000, 3_000]);
}

async fn a_parameter_left_out_keeps_the_time_of_the_last_inform_that_carried_it(
    store: Arc<dyn Store>,
) {
    informs(&*store, &[1_000, 2_000], LIST).await;
    let shorter = [("A", "a1"), ("C", "c1")];
    informs(&*store, &[3_000, 4_000], &shorter).await;
    expect(
        &*store,
        &[("A", "a1", 4_000), ("B", "b1", 2_000), ("C", "c1", 4_000)],
    )
    .await;
    // Carried again: B follows the Informs once more.
    informs(&*store, &[5_000, 6_000], LIST).await;
    expect_list_at(&*store, 6_000).await;
}

async fn a_write_between_informs_makes_the_next_one_write_its_list(store: Arc<dyn Store>) {
    informs(&*store, &[1_000], LIST).await;
    // A GetParameterValues answer disagrees with the Inform; the same list again must
    // still be stored, not skipped as unchanged.
    write(&*store, 2_000, "B", Some("b-read")).await;
    expect(
        &*store,
        &[
            ("A", "a1", 1_000),
            ("B", "b-read", 2_000),
            ("C", "c1", 1_000),
        ],
    )
    .await;
    informs(&*store, &[3_000], LIST).await;
    expect_list_at(&*store, 3_000).await;
    // An attribute-only write (value kept) times the row like before, and the next
    // Inform times it again.
    write(&*store, 4_000, "C", None).await;
    expect(
        &*store,
        &[("A", "a1", 3_000), ("B", "b1", 3_000), ("C", "c1", 4_000)],
    )
    .await;
    informs(&*store, &[5_000, 6_000], LIST).await;
    expect_list_at(&*store, 6_000).await;
    let c = store
        .get_parameters(&device(), "Device.DeviceInfo.C")
        .await
        .expect("C")
        .remove(0);
    assert_eq!(c.writable, Some(false), "the Inform keeps the attributes");
    // A deleted subtree comes back with the next Inform that carries it.
    let batch = ParamBatch {
        time: Timestamp(7_000),
        delete_prefixes: vec!["Device.DeviceInfo.".into()],
        delete_paths: Vec::new(),
        updates: Vec::new(),
    };
    store
        .write_parameters(&device(), batch)
        .await
        .expect("delete");
    assert!(read(&*store).await.is_empty());
    informs(&*store, &[8_000], LIST).await;
    expect_list_at(&*store, 8_000).await;
}

async fn writing_the_parameters_of_an_unknown_device_is_not_found(store: Arc<dyn Store>) {
    let batch = ParamBatch {
        time: Timestamp(1),
        delete_prefixes: Vec::new(),
        delete_paths: Vec::new(),
        updates: Vec::new(),
    };
    let err = store.write_parameters(&device(), batch).await;
    assert!(matches!(err, Err(StoreError::NotFound(_))), "{err:?}");
}
