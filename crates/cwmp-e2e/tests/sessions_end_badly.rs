//! Sessions that end badly, against the real `cwmp-acs`, driven by a raw TCP client: a
//! session whose connection closes ends at once (not at its timeout), a new Inform of a device
//! whose old session is idle takes over (no 503 "already in a session"), and a task whose
//! sessions keep ending while it runs is faulted instead of being sent for ever.
//!
//! The session timeout is set far beyond the waits' guard, so a session ended by its timeout
//! instead would fail the test, whatever the machine's speed.

mod common;

use common::acs::Acs;
use common::{GUARD, enc, eventually};
use serde_json::json;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

const SERIAL_PREFIX: &str = "BAD";

/// The device id the ACS gives the CPE of `serial`.
fn device(serial: &str) -> String {
    format!("00D09E-E2E-{serial}")
}

fn inform(serial: &str, event: &str) -> String {
    format!(
        r#"<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:soapenc="http://schemas.xmlsoap.org/soap/encoding/" xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:cwmp="urn:dslforum-org:cwmp-1-0">
<soapenv:Header><cwmp:ID soapenv:mustUnderstand="1">1</cwmp:ID></soapenv:Header>
<soapenv:Body><cwmp:Inform>
<DeviceId><Manufacturer>E2E</Manufacturer><OUI>00D09E</OUI><ProductClass>E2E</ProductClass><SerialNumber>{serial}</SerialNumber></DeviceId>
<Event soapenc:arrayType="cwmp:EventStruct[1]"><EventStruct><EventCode>{event}</EventCode><CommandKey></CommandKey></EventStruct></Event>
<MaxEnvelopes>1</MaxEnvelopes><CurrentTime>2026-01-01T00:00:00Z</CurrentTime><RetryCount>0</RetryCount>
<ParameterList soapenc:arrayType="cwmp:ParameterValueStruct[1]">
<ParameterValueStruct><Name>Device.ManagementServer.ParameterKey</Name><Value xsi:type="xsd:string"></Value></ParameterValueStruct>
</ParameterList></cwmp:Inform></soapenv:Body></soapenv:Envelope>"#
    )
}

/// The CPE's answer to the GetParameterValues of the interval in `request` (its cwmp:ID echoed).
fn gpv_response(request: &str) -> String {
    let id = request
        .split("<cwmp:ID")
        .nth(1)
        .and_then(|r| r.split('>').nth(1))
        .and_then(|r| r.split('<').next())
        .unwrap_or("acs-1");
    format!(
        r#"<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:soapenc="http://schemas.xmlsoap.org/soap/encoding/" xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:cwmp="urn:dslforum-org:cwmp-1-0">
<soapenv:Header><cwmp:ID soapenv:mustUnderstand="1">{id}</cwmp:ID></soapenv:Header>
<soapenv:Body><cwmp:GetParameterValuesResponse><ParameterList soapenc:arrayType="cwmp:ParameterValueStruct[1]">
<ParameterValueStruct><Name>Device.ManagementServer.PeriodicInformInterval</Name><Value xsi:type="xsd:unsignedInt">300</Value></ParameterValueStruct>
</ParameterList></cwmp:GetParameterValuesResponse></soapenv:Body></soapenv:Envelope>"#
    )
}

/// One HTTP/1.1 exchange on a raw connection.
struct Raw {
    stream: TcpStream,
    cookie: Option<String>,
}

/// Status, headers (lower-cased names) and body of an answer.
struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Raw {
    async fn connect(acs: &Acs) -> Raw {
        let stream = TcpStream::connect(acs.cwmp).await.expect("connect");
        Raw {
            stream,
            cookie: None,
        }
    }

    /// POSTs `body` (empty: the CPE's empty POST) and reads the answer.
    async fn post(&mut self, body: &str) -> Reply {
        let cookie = self
            .cookie
            .as_ref()
            .map_or_else(String::new, |c| format!("Cookie: {c}\r\n"));
        let content_type = if body.is_empty() {
            ""
        } else {
            "Content-Type: text/xml; charset=utf-8\r\n"
        };
        let head = format!(
            "POST / HTTP/1.1\r\nHost: acs\r\n{content_type}{cookie}Content-Length: {}\r\n\r\n",
            body.len()
        );
        let reply = tokio::time::timeout(GUARD, async {
            self.stream.write_all(head.as_bytes()).await?;
            self.stream.write_all(body.as_bytes()).await?;
            read_reply(&mut self.stream).await
        })
        .await
        .expect("answer in time")
        .expect("answer");
        if let Some((_, v)) = reply.headers.iter().find(|(k, _)| k == "set-cookie") {
            self.cookie = v.split(';').next().map(str::to_owned);
        }
        reply
    }
}

async fn read_reply(stream: &mut TcpStream) -> std::io::Result<Reply> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let length: usize = headers
        .iter()
        .find(|(k, _)| k == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    while buf.len() < head_end + length {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let body = String::from_utf8_lossy(&buf[head_end..head_end + length]).into_owned();
    Ok(Reply {
        status,
        headers,
        body,
    })
}

fn start_acs() -> Acs {
    Acs::start(&[("CWMP_ACS_SESSION_TIMEOUT_SECS", "600")])
}

/// Waits for the `n`th `session finished` line of `device` whose outcome is `outcome`.
async fn finished_with(acs: &Acs, device: &str, outcome: &str, n: usize) {
    let dev = format!(" device={device} ");
    let out = format!("outcome=\"{outcome}\"");
    eventually(
        &format!("{n} sessions of {device} ended with {outcome}"),
        GUARD,
        async || {
            let count = acs
                .process
                .lines()
                .iter()
                .filter(|l| l.contains("session finished") && l.contains(&dev) && l.contains(&out))
                .count();
            (count >= n).then_some(())
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_whose_connection_closes_ends_at_once_and_the_device_comes_back() {
    let acs = start_acs();
    let serial = format!("{SERIAL_PREFIX}1");
    let mut first = Raw::connect(&acs).await;
    let reply = first.post(&inform(&serial, "1 BOOT")).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert!(reply.body.contains("InformResponse"), "{}", reply.body);
    drop(first);
    finished_with(&acs, &device(&serial), "connection closed", 1).await;

    let mut second = Raw::connect(&acs).await;
    let reply = second.post(&inform(&serial, "1 BOOT")).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let reply = second.post("").await;
    assert_eq!(reply.status, 204);
    finished_with(&acs, &device(&serial), "ok", 1).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_inform_takes_over_an_idle_session_whose_connection_seems_alive() {
    let acs = start_acs();
    let serial = format!("{SERIAL_PREFIX}2");
    // The old connection stays open, as a half-open connection of a CPE that crashed does.
    let mut old = Raw::connect(&acs).await;
    assert_eq!(old.post(&inform(&serial, "1 BOOT")).await.status, 200);

    let mut new = Raw::connect(&acs).await;
    let reply = new.post(&inform(&serial, "1 BOOT")).await;
    assert_eq!(
        reply.status, 200,
        "a rebooted CPE is served at once: {}",
        reply.body
    );
    finished_with(&acs, &device(&serial), "superseded by a new Inform", 1).await;
    assert_eq!(new.post("").await.status, 204);
    finished_with(&acs, &device(&serial), "ok", 1).await;
    // The old session is gone: its cookie opens nothing.
    assert_eq!(old.post("").await.status, 400);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_task_whose_sessions_keep_ending_is_faulted_not_sent_for_ever() {
    let acs = start_acs();
    let serial = format!("{SERIAL_PREFIX}3");
    let id = device(&serial);
    let mut cpe = Raw::connect(&acs).await;
    assert_eq!(cpe.post(&inform(&serial, "0 BOOTSTRAP")).await.status, 200);
    assert_eq!(cpe.post("").await.status, 204);
    let answer = acs
        .api
        .task(
            &id,
            json!({
                "name": "setParameterValues",
                "parameterValues": [["Device.ManagementServer.PeriodicInformInterval", 60, "xsd:unsignedInt"]],
            }),
            None,
        )
        .await;
    assert!(answer.status.is_success(), "{answer:?}");
    let task = answer.body["_id"].as_str().expect("task id").to_owned();

    // Three sessions receive the SetParameterValues (carrying the task id as ParameterKey)
    // and lose their connection before answering, as a CPE that crashes on it does.
    for n in 1..=3 {
        let mut cpe = Raw::connect(&acs).await;
        assert_eq!(cpe.post(&inform(&serial, "1 BOOT")).await.status, 200);
        let mut reply = cpe.post("").await;
        assert_eq!(reply.status, 200);
        if reply.body.contains("GetParameterValues") {
            // The ACS reads the device's type first (it wins over the task's).
            reply = cpe.post(&gpv_response(&reply.body)).await;
        }
        assert!(reply.body.contains("SetParameterValues"), "{}", reply.body);
        assert!(
            reply
                .body
                .contains(&format!("<ParameterKey>{task}</ParameterKey>")),
            "{}",
            reply.body
        );
        drop(cpe);
        finished_with(&acs, &id, "connection closed", n).await;
    }

    // The fourth session is not sent the task again: it is faulted, with a retry later.
    let mut cpe = Raw::connect(&acs).await;
    assert_eq!(cpe.post(&inform(&serial, "1 BOOT")).await.status, 200);
    let reply = cpe.post("").await;
    assert_eq!(reply.status, 204, "{}", reply.body);
    let faults = acs.api.get("/faults").await;
    let fault = faults
        .as_array()
        .and_then(|f| f.iter().find(|f| f["channel"] == format!("task_{task}")))
        .unwrap_or_else(|| panic!("no fault of the task: {faults}"));
    assert_eq!(fault["code"], "session_interrupted", "{fault}");
    let tasks = acs
        .api
        .get(&format!(
            "/tasks?query={}",
            enc(&json!({ "_id": task }).to_string())
        ))
        .await;
    assert!(tasks[0]["fault"].is_object(), "{tasks}");
}
