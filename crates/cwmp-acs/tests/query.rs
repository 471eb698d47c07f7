//! The query language: the in-memory evaluator (preset preconditions) and the SQL one
//! (`GET /devices`) give the same answers on the same devices, for many generated queries.

use std::sync::Arc;

use cwmp::{EventCode, Value};
use cwmp_acs::query::{DeviceView, Limits, Query, parse, parse_sort, parse_text};
use cwmp_acs::store::*;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value as Json, json};

const PATHS: [&str; 3] = ["Device.A", "Device.B", "Device.C"];
const WORDS: [&str; 5] = ["alpha", "beta", "Gamma", "10", "9"];

fn random_value(rng: &mut StdRng) -> Value {
    match rng.random_range(0..4) {
        0 => Value::UnsignedInt(rng.random_range(0..20)),
        1 => Value::Int(rng.random_range(-5..5)),
        2 => Value::Boolean(rng.random()),
        _ => Value::string(WORDS[rng.random_range(0..WORDS.len())]),
    }
}

fn scalar(rng: &mut StdRng) -> Json {
    match rng.random_range(0..4) {
        0 => json!(rng.random_range(-5..20)),
        1 => json!(rng.random::<bool>()),
        _ => json!(WORDS[rng.random_range(0..WORDS.len())]),
    }
}

fn field(rng: &mut StdRng) -> &'static str {
    let fields = [
        "_id",
        "_tags",
        "_lastInform",
        "DeviceID.SerialNumber",
        PATHS[0],
        PATHS[1],
        PATHS[2],
    ];
    fields[rng.random_range(0..fields.len())]
}

fn condition(rng: &mut StdRng, f: &str) -> Json {
    let time = f == "_lastInform";
    match rng.random_range(0..9) {
        0 => {
            if time {
                json!(T_BASE + 1000)
            } else {
                scalar(rng)
            }
        }
        1 => json!({"$ne": if time { json!(T_BASE) } else { scalar(rng) }}),
        2 if time => json!({"$gt": T_BASE + rng.random_range(0..5) * 1000}),
        2 if f.starts_with("Device.") => json!({"$gt": rng.random_range(-5..20)}),
        2 => json!({"$gt": WORDS[rng.random_range(0..WORDS.len())]}),
        3 if time => json!({"$lte": T_BASE + 2000}),
        3 => json!({"$lte": WORDS[rng.random_range(0..WORDS.len())]}),
        4 if time => json!({"$exists": rng.random::<bool>()}),
        4 => json!({"$in": [scalar(rng), scalar(rng)]}),
        5 if time => json!({"$nin": [T_BASE, T_BASE + 3000]}),
        5 => json!({"$nin": [scalar(rng)]}),
        6 => json!({"$exists": rng.random::<bool>()}),
        7 if !time => json!({"$regex": "^[a-g]", "$options": "i"}),
        8 if !time => json!({"$not": {"$regex": "a"}}),
        _ => json!({"$exists": true}),
    }
}

fn query(rng: &mut StdRng, depth: u32) -> Json {
    if depth < 2 && rng.random_range(0..3) == 0 {
        let parts: Vec<Json> = (0..rng.random_range(0..3))
            .map(|_| query(rng, depth + 1))
            .collect();
        let op = ["$and", "$or", "$nor"][rng.random_range(0..3)];
        return json!({ op: parts });
    }
    let f = field(rng);
    let mut q = serde_json::Map::new();
    q.insert(f.to_owned(), condition(rng, f));
    Json::Object(q)
}

const T_BASE: i64 = 1_700_000_000_000;

#[macro_use]
mod backend;

backend_tests!(
    in_memory_and_sql_agree,
    expressions_agree_in_memory_and_sql,
    sort_numeric_parameters_and_times,
);

/// A store with 12 devices of random parameters and tags, and each device with its
/// parameters as the in-memory evaluator sees it.
async fn fleet(
    store: Arc<dyn Store>,
    rng: &mut StdRng,
    value: fn(&mut StdRng) -> Value,
) -> (Arc<dyn Store>, Vec<(Device, Vec<Parameter>)>) {
    for n in 0..12 {
        let identity = DeviceIdentity {
            manufacturer: "Acme".into(),
            oui: "00259E".into(),
            product_class: "P".into(),
            serial_number: format!("{}{n}", WORDS[n % WORDS.len()]),
        };
        let id = identity.device_id();
        let mut parameters = Vec::new();
        for p in PATHS {
            if rng.random_range(0..4) != 0 {
                parameters.push(ParamValue {
                    path: p.to_owned(),
                    value: value(rng),
                });
            }
        }
        store
            .upsert_inform(InformUpdate {
                identity,
                time: Timestamp(T_BASE + 1000 * (n as i64 % 5)),
                events: vec![EventCode::Periodic],
                ip: None,
                connection_request_url: None,
                udp_connection_request_address: None,
                parameters,
            })
            .await
            .expect("inform");
        for t in WORDS {
            if rng.random_range(0..3) == 0 {
                store.add_tag(&id, t).await.expect("tag");
            }
        }
    }
    let all = store
        .find_devices(&DeviceQuery::default())
        .await
        .expect("all");
    let mut views = Vec::new();
    for d in &all {
        views.push((
            d.clone(),
            store.get_parameters(&d.id, "").await.expect("params"),
        ));
    }
    (store, views)
}

/// Runs `q` through both evaluators and checks they agree; true when it discriminates.
async fn agree(
    store: &Arc<dyn Store>,
    views: &[(Device, Vec<Parameter>)],
    q: Query,
    text: &str,
) -> bool {
    let mut expected: Vec<String> = views
        .iter()
        .filter(|(d, p)| {
            q.matches(DeviceView {
                device: d,
                params: p,
            })
        })
        .map(|(d, _)| d.id.as_str().to_owned())
        .collect();
    expected.sort();
    let dq = DeviceQuery {
        filters: vec![DeviceFilter::Matches(q)],
        ..DeviceQuery::default()
    };
    let got: Vec<String> = store
        .find_devices(&dq)
        .await
        .expect("find")
        .iter()
        .map(|d| d.id.as_str().to_owned())
        .collect();
    assert_eq!(got, expected, "query {text}");
    assert_eq!(
        store.count_devices(&dq).await.expect("count"),
        got.len() as u64
    );
    !got.is_empty() && got.len() < views.len()
}

async fn in_memory_and_sql_agree(store: Arc<dyn Store>) {
    let mut rng = StdRng::seed_from_u64(7);
    let (store, views) = fleet(store, &mut rng, random_value).await;
    let mut nonempty = 0;
    for _ in 0..400 {
        let json = query(&mut rng, 0);
        let q = parse(&json, &Limits::default()).unwrap_or_else(|e| panic!("{json}: {e}"));
        if agree(&store, &views, q, &json.to_string()).await {
            nonempty += 1;
        }
    }
    assert!(nonempty > 50, "queries discriminate: {nonempty}");
}

/// Values of every class the expression language tells apart.
fn typed_value(rng: &mut StdRng) -> Value {
    match rng.random_range(0..7) {
        0 => Value::UnsignedInt(rng.random_range(0..20)),
        1 => Value::Int(rng.random_range(-5..5)),
        2 => Value::Boolean(rng.random()),
        3 => Value::Long(rng.random_range(-3..3)),
        4 => Value::from_wire(Some("dateTime"), "2024-01-01T00:00:00Z"),
        5 => Value::from_wire(Some("boolean"), "maybe"),
        _ => Value::string(WORDS[rng.random_range(0..WORDS.len())]),
    }
}

fn expr_value(rng: &mut StdRng, time: bool) -> String {
    if time {
        return match rng.random_range(0..4) {
            0 => format!("{}", T_BASE + rng.random_range(0..5) * 1000),
            1 => "NOW()".into(),
            2 => "NOW() - 100 * 365 * 86400000".into(),
            _ => format!("{} + 500", T_BASE + 1000),
        };
    }
    match rng.random_range(0..9) {
        0 | 1 => format!("{}", rng.random_range(-5..20)),
        2 => ["TRUE", "FALSE"][rng.random_range(0..2)].into(),
        3 => "NULL".into(),
        4 => "2 * 4 + 1".into(),
        5 => "'2024-01-01T00:00:00Z'".into(),
        _ => format!("'{}'", WORDS[rng.random_range(0..WORDS.len())]),
    }
}

fn expr_condition(rng: &mut StdRng, depth: u32) -> String {
    if depth < 3 && rng.random_range(0..3) == 0 {
        let a = expr_condition(rng, depth + 1);
        let b = expr_condition(rng, depth + 1);
        return match rng.random_range(0..3) {
            0 => format!("({a} AND {b})"),
            1 => format!("({a} OR {b})"),
            _ => format!("NOT ({a})"),
        };
    }
    let fields = [
        "DeviceID.ID",
        "DeviceID.SerialNumber",
        "Tags.alpha",
        "Tags.Gamma",
        "Events.Inform",
        "Events.Registered",
        PATHS[0],
        PATHS[1],
        PATHS[2],
        "Device.Missing",
    ];
    let f = fields[rng.random_range(0..fields.len())];
    let time = f.starts_with("Events.");
    let op = ["=", "<>", "<", "<=", ">", ">="][rng.random_range(0..6)];
    match rng.random_range(0..8) {
        0 => format!("{f} IS NULL"),
        1 => format!("{f} IS NOT NULL"),
        2 if !time => {
            let pat = ["a%", "%a%", "_eta", "1%", "G%", "%", "", "2024-%"][rng.random_range(0..8)];
            let not = ["", "NOT "][rng.random_range(0..2)];
            match rng.random_range(0..3) {
                _ if f.starts_with("Tags.") => format!("{f} {not}LIKE '{pat}'"),
                0 => format!("UPPER({f}) {not}LIKE '{}'", pat.to_uppercase()),
                1 => format!("LOWER({f}) {not}LIKE '{pat}'"),
                _ => format!("{f} {not}LIKE '{pat}'"),
            }
        }
        3 => format!("{} {op} {f}", expr_value(rng, time)),
        _ => format!("{f} {op} {}", expr_value(rng, time)),
    }
}

async fn expressions_agree_in_memory_and_sql(store: Arc<dyn Store>) {
    let mut rng = StdRng::seed_from_u64(16);
    let (store, views) = fleet(store, &mut rng, typed_value).await;
    let mut nonempty = 0;
    for _ in 0..400 {
        let text = expr_condition(&mut rng, 0);
        let q = parse_text(&text, &Limits::default()).unwrap_or_else(|e| panic!("{text}: {e}"));
        if agree(&store, &views, q, &text).await {
            nonempty += 1;
        }
    }
    assert!(nonempty > 50, "expressions discriminate: {nonempty}");
}

async fn sort_numeric_parameters_and_times(store: Arc<dyn Store>) {
    for (n, v) in [(0, 9u32), (1, 10), (2, 100)] {
        store
            .upsert_inform(InformUpdate {
                identity: DeviceIdentity {
                    manufacturer: "Acme".into(),
                    oui: "00259E".into(),
                    product_class: "P".into(),
                    serial_number: format!("S{n}"),
                },
                time: Timestamp(T_BASE - n),
                events: vec![],
                ip: None,
                connection_request_url: None,
                udp_connection_request_address: None,
                parameters: vec![ParamValue {
                    path: "Device.N".into(),
                    value: Value::UnsignedInt(v),
                }],
            })
            .await
            .expect("inform");
    }
    let serials = |ds: Vec<Device>| -> Vec<String> {
        ds.into_iter().map(|d| d.identity.serial_number).collect()
    };
    let by = |s: Json| DeviceQuery {
        sort: parse_sort(&s).expect("sort"),
        ..DeviceQuery::default()
    };
    let got = store
        .find_devices(&by(json!({"Device.N": -1})))
        .await
        .expect("f");
    assert_eq!(serials(got), ["S2", "S1", "S0"], "numeric, not text order");
    let got = store
        .find_devices(&by(json!({"_lastInform": 1})))
        .await
        .expect("f");
    assert_eq!(serials(got), ["S2", "S1", "S0"]);
}
