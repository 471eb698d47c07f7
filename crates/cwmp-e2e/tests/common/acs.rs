//! The real `cwmp-acs` on random loopback ports with its own data directory; its log is
//! the session history the tests read (`session finished`, and `request sent` at debug).

use std::net::SocketAddr;
use std::process::Command;
use std::time::{Duration, Instant};

use cwmp_testkit::process::{Process, workspace_bin};

use super::api::Api;
use super::{GUARD, eventually};

/// `RUST_LOG` of the server: the session engine at debug, for its `request sent` lines.
const LOG_FILTER: &str = "info,cwmp_acs::session=debug";

/// A running ACS, killed when dropped.
pub struct Acs {
    /// The process and its log.
    pub process: Process,
    /// The CWMP endpoint.
    pub cwmp: SocketAddr,
    /// Its API, with the admin token it printed on first start.
    pub api: Api,
    /// The file server.
    pub files: SocketAddr,
    data: tempfile::TempDir,
}

/// A stopped ACS: its data directory, addresses and token, to start it again.
pub struct StoppedAcs {
    cwmp: SocketAddr,
    api: Api,
    files: SocketAddr,
    data: tempfile::TempDir,
}

impl StoppedAcs {
    /// Starts the server again on its data directory and addresses (bounded).
    pub fn start(self) -> Acs {
        let listen = [
            self.cwmp.to_string(),
            self.api.addr.to_string(),
            self.files.to_string(),
        ];
        Acs::spawn(
            self.data,
            &[
                ("CWMP_ACS_CWMP_LISTEN", listen[0].as_str()),
                ("CWMP_ACS_API_LISTEN", listen[1].as_str()),
                ("CWMP_ACS_FILE_LISTEN", listen[2].as_str()),
            ],
            Some(self.api.token),
        )
    }
}

/// A `session finished` line of the log.
#[derive(Debug, Clone)]
pub struct SessionLine {
    /// Its index in the log.
    pub index: usize,
    /// The Inform's event codes.
    pub events: Vec<String>,
    /// The whole line.
    pub line: String,
}

impl SessionLine {
    /// True if the session ended normally.
    pub fn ok(&self) -> bool {
        field(&self.line, "outcome", "\u{0}") == Some("\"ok\"")
    }
}

/// The value of `key=` in a log line, up to the next ` key=` (values may hold spaces).
fn field<'a>(line: &'a str, key: &str, next: &str) -> Option<&'a str> {
    let start = line.find(&format!(" {key}="))? + key.len() + 2;
    let rest = &line[start..];
    Some(
        rest.find(&format!(" {next}="))
            .map_or(rest, |end| &rest[..end]),
    )
}

impl Acs {
    /// Starts the server on a fresh data directory with extra `CWMP_ACS_*` settings, and
    /// waits (bounded) until both listeners are up and the token is printed.
    pub fn start(env: &[(&str, &str)]) -> Acs {
        Acs::spawn(tempfile::tempdir().expect("data dir"), env, None)
    }

    /// Kills the server (as a crash would); its data directory and addresses are kept.
    pub fn stop(self) -> StoppedAcs {
        let Acs {
            process,
            cwmp,
            api,
            files,
            data,
        } = self;
        drop(process);
        StoppedAcs {
            cwmp,
            api,
            files,
            data,
        }
    }

    /// Starts the server on `data`; without `token` it waits for the one it generates.
    fn spawn(data: tempfile::TempDir, env: &[(&str, &str)], token: Option<String>) -> Acs {
        let mut cmd = Command::new(workspace_bin("cwmp-acs"));
        cmd.env_remove("CWMP_ACS_CONFIG")
            .env("CWMP_ACS_DATA_DIR", data.path())
            .env("CWMP_ACS_CWMP_LISTEN", "127.0.0.1:0")
            .env("CWMP_ACS_API_LISTEN", "127.0.0.1:0")
            .env("CWMP_ACS_FILE_LISTEN", "127.0.0.1:0")
            .env("CWMP_ACS_SESSION_TIMEOUT_SECS", "10")
            .env("CWMP_ACS_BUSY_RETRY_AFTER_SECS", "1")
            // The tests read the session history from the per-session lines (off by default).
            .env("CWMP_ACS_SESSION_LOG", "all")
            .env("RUST_LOG", LOG_FILTER);
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut process = Process::spawn("acs", cmd).expect("spawn cwmp-acs");
        let addr_of = |process: &Process, what: &str| {
            process
                .find_line(0, |l| l.contains(what))
                .and_then(|(_, l)| {
                    l.split_whitespace()
                        .find_map(|w| w.strip_prefix("addr="))
                        .and_then(|a| a.parse::<SocketAddr>().ok())
                })
        };
        let started = Instant::now();
        loop {
            let cwmp = addr_of(&process, "CWMP endpoint listening");
            let api = addr_of(&process, "northbound API listening");
            let files = addr_of(&process, "file server listening");
            let token = token.clone().or_else(|| {
                process
                    .find_line(0, |l| l.starts_with("Generated the admin API token"))
                    .and_then(|(i, _)| process.find_line(i + 1, |_| true))
                    .map(|(_, t)| t.trim().to_owned())
            });
            if let (Some(cwmp), Some(addr), Some(files), Some(token)) = (cwmp, api, files, token) {
                return Acs {
                    process,
                    cwmp,
                    api: Api { addr, token },
                    files,
                    data,
                };
            }
            if let Some(status) = process.exited() {
                panic!("cwmp-acs exited with {status}:\n{}", process.tail(40));
            }
            assert!(started.elapsed() < GUARD, "cwmp-acs did not start in time");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The data directory.
    pub fn data_dir(&self) -> &std::path::Path {
        self.data.path()
    }

    /// The URL CPEs use.
    pub fn cwmp_url(&self) -> String {
        format!("http://{}/", self.cwmp)
    }

    /// Waits for a `session finished` line of `device` at or after log index `from` whose
    /// Inform events satisfy `pred`.
    pub async fn session_finished(
        &self,
        what: &str,
        from: usize,
        device: &str,
        pred: impl Fn(&[String]) -> bool,
    ) -> SessionLine {
        let dev = format!(" device={device} ");
        eventually(what, GUARD, async || {
            let mut at = from;
            while let Some((index, line)) = self
                .process
                .find_line(at, |l| l.contains("session finished") && l.contains(&dev))
            {
                let events: Vec<String> = field(&line, "events", "rpcs")
                    .unwrap_or_default()
                    .split(',')
                    .filter(|e| !e.is_empty())
                    .map(str::to_owned)
                    .collect();
                if pred(&events) {
                    return Some(SessionLine {
                        index,
                        events,
                        line,
                    });
                }
                at = index + 1;
            }
            None
        })
        .await
    }

    /// The methods of the requests the ACS sent to `device` between log indexes `from` and
    /// `to` (exclusive), in order.
    pub fn requests_sent(&self, device: &str, from: usize, to: usize) -> Vec<String> {
        let dev = format!(" device={device} ");
        self.process.lines()[from..to]
            .iter()
            .filter(|l| l.contains("request sent") && l.contains(&dev))
            .filter_map(|l| field(l, "method", "id").map(|m| m.trim_matches('"').to_owned()))
            .collect()
    }

    /// Waits until the ACS knows `device`; its document.
    pub async fn wait_device(&self, device: &str) -> serde_json::Value {
        eventually(&format!("device {device} in the API"), GUARD, async || {
            self.api.device(device).await
        })
        .await
    }
}
