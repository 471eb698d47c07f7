//! A headless Chromium driven through Debian's `chromedriver` (W3C WebDriver, JSON over
//! HTTP on loopback), for the web console's browser tests.
//!
//! The client is the handful of WebDriver commands the tests use, over a blocking HTTP/1.1
//! exchange per command (`Connection: close`): a WebDriver crate would add some thirty
//! crates to build for these ten endpoints, and a blocking client can end the browser
//! session from `Drop`, so no Chromium outlives its test.
//!
//! When `chromedriver` is not installed the tests skip with a printed reason, unless the
//! environment variable `CI` is set: in CI a missing browser is a failure (`.ci/run`
//! installs `chromium` and `chromium-driver`).

use std::io::{Read as _, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use base64::Engine as _;
use cwmp_testkit::process::{Process, free_port};
use serde_json::{Value as Json, json};

use super::GUARD;

/// How long a wait for something on the page lasts before the test fails.
pub const PAGE_GUARD: Duration = Duration::from_secs(20);

/// Chromium's flags: headless, no sandbox (containers), nothing that talks to the network.
const CHROMIUM_FLAGS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
];

/// The key WebDriver sends for Enter (`\u{E007}`).
pub const ENTER: &str = "\u{E007}";

/// Finds an executable on `PATH`.
fn which(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join(name))
            .find(|p| p.is_file())
    })
}

/// The Chromium binary (`CHROME_BIN`, else Debian's `chromium`).
fn chromium() -> Option<PathBuf> {
    std::env::var_os("CHROME_BIN")
        .map(PathBuf::from)
        .filter(|p| p.is_file())
        .or_else(|| which("chromium"))
        .or_else(|| which("chromium-browser"))
}

/// An element reference of the current page.
#[derive(Debug, Clone)]
pub struct Element(String);

/// A Chromium session; the browser and its driver end when dropped.
pub struct Browser {
    driver: Process,
    addr: SocketAddr,
    session: String,
    _profile: tempfile::TempDir,
}

/// One blocking HTTP/1.1 exchange with the driver: the status and the JSON body.
fn exchange(addr: SocketAddr, method: &str, path: &str, body: Option<&Json>) -> (u16, Json) {
    let payload = body.map(Json::to_string).unwrap_or_default();
    let (status, _, body) = raw_exchange(addr, method, path, &[], payload.as_bytes());
    (status, serde_json::from_slice(&body).unwrap_or(Json::Null))
}

/// One blocking HTTP/1.1 exchange (`Connection: close`, JSON content type when `payload`
/// is not empty, extra `headers`): status, lower-cased head, body.
pub fn raw_exchange(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    payload: &[u8],
) -> (u16, String, Vec<u8>) {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream.set_read_timeout(Some(GUARD)).expect("read timeout");
    let mut request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\
         Content-Length: {}\r\n",
        payload.len()
    );
    if !payload.is_empty() {
        request.push_str("Content-Type: application/json; charset=utf-8\r\n");
    }
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    let mut bytes = request.into_bytes();
    bytes.extend_from_slice(payload);
    stream.write_all(&bytes).expect("send");
    let mut raw = Vec::new();
    let mut buf = [0u8; 64 * 1024];
    let (head_end, length) = loop {
        let n = stream.read(&mut buf).expect("read");
        assert!(
            n > 0 || !raw.is_empty(),
            "{method} {path}: connection closed"
        );
        raw.extend_from_slice(&buf[..n]);
        if let Some(end) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&raw[..end]).to_ascii_lowercase();
            let length = head.lines().find_map(|l| {
                l.strip_prefix("content-length:")
                    .and_then(|v| v.trim().parse::<usize>().ok())
            });
            break (end + 4, length);
        }
        assert!(n > 0, "{method} {path}: no header end");
    };
    loop {
        if length.is_some_and(|len| raw.len() >= head_end + len) {
            break;
        }
        let n = stream.read(&mut buf).expect("read");
        if n == 0 {
            break;
        }
        raw.extend_from_slice(&buf[..n]);
    }
    let head = String::from_utf8_lossy(&raw[..head_end]).to_ascii_lowercase();
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = raw[head_end..length.map_or(raw.len(), |l| (head_end + l).min(raw.len()))].to_vec();
    (status, head, body)
}

impl Browser {
    /// Starts `chromedriver` and a headless Chromium of `width`×`height` CSS pixels; `None`
    /// (the reason printed) when the driver is not installed and `CI` is unset.
    pub fn start(width: u32, height: u32) -> Option<Browser> {
        let in_ci = std::env::var_os("CI").is_some();
        let (Some(driver_bin), Some(chrome)) = (which("chromedriver"), chromium()) else {
            assert!(
                !in_ci,
                "CI is set but chromedriver or chromium is missing (apt-get install chromium chromium-driver)"
            );
            eprintln!(
                "SKIPPED: chromedriver or chromium not installed \
                 (apt-get install chromium chromium-driver); CI is unset"
            );
            return None;
        };
        let port = free_port();
        let mut cmd = Command::new(driver_bin);
        cmd.arg(format!("--port={port}"))
            .arg("--allowed-ips=127.0.0.1");
        let driver = Process::spawn("chromedriver", cmd).expect("spawn chromedriver");
        let addr: SocketAddr = ([127, 0, 0, 1], port).into();
        let started = Instant::now();
        loop {
            if TcpStream::connect(addr).is_ok() {
                let (_, status) = exchange(addr, "GET", "/status", None);
                if status["value"]["ready"] == true {
                    break;
                }
            }
            assert!(started.elapsed() < GUARD, "chromedriver did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        let profile = tempfile::tempdir().expect("browser profile dir");
        let mut args: Vec<String> = CHROMIUM_FLAGS.iter().map(|s| (*s).to_owned()).collect();
        args.push(format!("--user-data-dir={}", profile.path().display()));
        args.push(format!("--window-size={width},{height}"));
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {"binary": chrome, "args": args},
        }}});
        let (status, answer) = exchange(addr, "POST", "/session", Some(&caps));
        assert_eq!(status, 200, "new WebDriver session: {answer}");
        let session = answer["value"]["sessionId"]
            .as_str()
            .expect("a session id")
            .to_owned();
        Some(Browser {
            driver,
            addr,
            session,
            _profile: profile,
        })
    }

    /// Sends a command of this session (`sub` after `/session/<id>`); its `value`.
    pub fn cmd(&self, method: &str, sub: &str, body: Option<Json>) -> Json {
        let path = format!("/session/{}{sub}", self.session);
        let body = body.or_else(|| (method == "POST").then(|| json!({})));
        let (status, answer) = exchange(self.addr, method, &path, body.as_ref());
        assert_eq!(
            status,
            200,
            "WebDriver {method} {sub}: {status} {answer}\n{}",
            self.driver.tail(10)
        );
        answer["value"].clone()
    }

    /// Same as [`Browser::cmd`] but an error answer is returned as `Err(value)`.
    fn try_cmd(&self, method: &str, sub: &str, body: Json) -> Result<Json, Json> {
        let path = format!("/session/{}{sub}", self.session);
        let (status, answer) = exchange(self.addr, method, &path, Some(&body));
        if status == 200 {
            Ok(answer["value"].clone())
        } else {
            Err(answer["value"].clone())
        }
    }

    /// Opens `url`.
    pub fn goto(&self, url: &str) {
        self.cmd("POST", "/url", Some(json!({ "url": url })));
    }

    /// Resizes the window (outer size, CSS pixels).
    pub fn resize(&self, width: u32, height: u32) {
        self.cmd(
            "POST",
            "/window/rect",
            Some(json!({"width": width, "height": height})),
        );
    }

    /// The elements matching CSS `selector` now.
    pub fn find_all(&self, selector: &str) -> Vec<Element> {
        let found = self.cmd(
            "POST",
            "/elements",
            Some(json!({"using": "css selector", "value": selector})),
        );
        found
            .as_array()
            .map(|list| {
                list.iter()
                    .filter_map(|e| e.as_object()?.values().next()?.as_str())
                    .map(|id| Element(id.to_owned()))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Waits for an element matching `selector` whose text contains `text` (any text when
    /// empty); panics with the page's text after [`PAGE_GUARD`].
    pub fn wait(&self, selector: &str, text: &str) -> Element {
        let started = Instant::now();
        loop {
            for e in self.find_all(selector) {
                if let Ok(t) = self.try_cmd("GET", &format!("/element/{}/text", e.0), json!({}))
                    && t.as_str().is_some_and(|t| t.contains(text))
                {
                    return e;
                }
            }
            assert!(
                started.elapsed() < PAGE_GUARD,
                "no {selector:?} with text {text:?} after {PAGE_GUARD:?}; page:\n{}",
                self.page_text()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Waits until `check` (JavaScript returning a boolean) is true.
    pub fn wait_js(&self, what: &str, check: &str) {
        let started = Instant::now();
        while self.js(check, json!([])) != true {
            assert!(
                started.elapsed() < PAGE_GUARD,
                "timed out waiting for {what}; page:\n{}",
                self.page_text()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The visible text of the whole page.
    pub fn page_text(&self) -> String {
        self.js("return document.body.innerText", json!([]))
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// Clicks `element`; when the console's floating messages cover it, they are dismissed
    /// first (as the operator would).
    pub fn click(&self, element: &Element) {
        let sub = format!("/element/{}/click", element.0);
        if let Err(e) = self.try_cmd("POST", &sub, json!({})) {
            assert!(
                e["error"] == "element click intercepted",
                "WebDriver click: {e}"
            );
            self.js(
                "document.querySelectorAll('#flash .flash').forEach((f) => f.remove())",
                json!([]),
            );
            self.cmd("POST", &sub, None);
        }
    }

    /// Waits for the button (or link) labelled `label` inside `scope` (a CSS selector) and
    /// clicks it.
    pub fn click_button(&self, scope: &str, label: &str) {
        let e = self.wait(&format!("{scope} button, {scope} a"), label);
        self.click(&e);
    }

    /// Types `text` into `element` (WebDriver keys: [`ENTER`] submits).
    pub fn type_into(&self, element: &Element, text: &str) {
        self.cmd(
            "POST",
            &format!("/element/{}/value", element.0),
            Some(json!({ "text": text })),
        );
    }

    /// Clears an input and types `text`.
    pub fn fill(&self, selector: &str, text: &str) {
        let e = self.wait(selector, "");
        self.cmd("POST", &format!("/element/{}/clear", e.0), None);
        self.type_into(&e, text);
    }

    /// Runs `script` (a function body) with `args`; its return value.
    pub fn js(&self, script: &str, args: Json) -> Json {
        self.cmd(
            "POST",
            "/execute/sync",
            Some(json!({"script": script, "args": args})),
        )
    }

    /// Runs `script` (a function body that may `await`) and returns what it returns.
    pub fn js_async(&self, script: &str) -> Json {
        let wrapped = format!(
            "const done = arguments[arguments.length - 1]; \
             (async () => {{ {script} }})().then(done, (e) => done('error: ' + e));"
        );
        self.cmd(
            "POST",
            "/execute/async",
            Some(json!({"script": wrapped, "args": []})),
        )
    }

    /// Whether an element matching `selector` whose text contains `text` is displayed.
    pub fn visible(&self, selector: &str, text: &str) -> bool {
        self.js(
            "return [...document.querySelectorAll(arguments[0])].some((e) => \
             e.textContent.includes(arguments[1]) && e.checkVisibility())",
            json!([selector, text]),
        ) == true
    }

    /// Accepts the `confirm()` dialog that an action opened.
    pub fn accept_dialog(&self) {
        let started = Instant::now();
        while self.try_cmd("POST", "/alert/accept", json!({})).is_err() {
            assert!(started.elapsed() < PAGE_GUARD, "no dialog to accept");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Saves a PNG of the window to `path`.
    pub fn screenshot(&self, path: &Path) {
        let data = self.cmd("GET", "/screenshot", None);
        let png = base64::engine::general_purpose::STANDARD
            .decode(data.as_str().expect("base64 PNG"))
            .expect("valid base64");
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).expect("screenshot dir");
        }
        std::fs::write(path, png).expect("write screenshot");
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // Ends Chromium before the driver is killed, so that no browser is orphaned.
        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            exchange(
                self.addr,
                "DELETE",
                &format!("/session/{}", self.session),
                None,
            )
        }));
    }
}

/// Where the screenshots go: `docs/screenshots/` of the checkout when
/// `UPDATE_SCREENSHOTS` is set (to refresh the committed ones), else a scratch directory.
pub fn screenshot_dir() -> PathBuf {
    if std::env::var_os("UPDATE_SCREENSHOTS").is_some() {
        PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../docs/screenshots"
        ))
    } else {
        std::env::temp_dir().join("cwmp-console-screenshots")
    }
}
