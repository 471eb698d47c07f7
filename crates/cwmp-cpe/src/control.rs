//! The daemon's control socket: the operator CLI talks to the running agent over a Unix
//! socket (mode 0600), one JSON [`Request`] line in, one JSON [`Reply`] line out.
//!
//! [`ControlServer`] accepts at most [`MAX_CONNECTIONS`] clients at once, reads at most
//! [`MAX_REQUEST_BYTES`] within [`READ_TIMEOUT`], and hands each request to the agent loop as
//! a [`Control`] carrying a oneshot for the answer. The loop answers between sessions, so a
//! query made during a session is answered right after it; [`client`] waits a bounded time.

pub mod client;
pub mod show;

use std::io;
use std::os::unix::fs::{FileTypeExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::io::{AsyncBufReadExt as _, AsyncReadExt as _, AsyncWriteExt as _, BufReader};
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::{Semaphore, mpsc, oneshot};
use tokio::task::JoinHandle;

/// Longest request line accepted (a `set` of a 64 KiB value would not fit: TR-181 strings
/// are far shorter).
pub const MAX_REQUEST_BYTES: usize = 16 * 1024;
/// Most clients served at once; more are closed at accept.
pub const MAX_CONNECTIONS: usize = 4;
/// How long a client may take to send its request line.
pub const READ_TIMEOUT: Duration = Duration::from_secs(5);
/// How long the server waits for the agent's answer (a session may be running).
pub const ANSWER_TIMEOUT: Duration = Duration::from_secs(120);

/// One operator request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "request", rename_all = "snake_case")]
pub enum Request {
    /// `show configuration`.
    ShowConfiguration,
    /// `show status`.
    ShowStatus,
    /// `inform`: start a session now.
    Inform,
    /// `get PATH`: a parameter, or a partial path (`.`-terminated) for its subtree.
    Get {
        /// The parameter or partial path.
        path: String,
    },
    /// `set PATH VALUE`: a local change (raises notifications).
    Set {
        /// The parameter path.
        path: String,
        /// The new value, as text.
        value: String,
    },
    /// `event CODE`: raise an event (`X VENDOR EVENT`).
    Event {
        /// The event code.
        code: String,
    },
    /// `config SETTING VALUE`.
    Config {
        /// The setting and its new value.
        change: ConfigChange,
    },
    /// `request …`: queue one of the CPE's own requests to the ACS and start a session.
    AskAcs {
        /// What to ask.
        ask: AcsRequest,
    },
}

/// A `request` subcommand: one of the CPE's own requests to the ACS (TR-069 §A.3.3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "method", rename_all = "kebab-case")]
pub enum AcsRequest {
    /// `request get-rpc-methods`: which methods the ACS supports.
    GetRpcMethods,
    /// `request download FILETYPE [--arg NAME=VALUE]…`: RequestDownload.
    Download {
        /// `FileType` (`1 Firmware Upgrade Image`, …).
        file_type: String,
        /// `FileTypeArg` name/value pairs (at most 16).
        args: Vec<(String, String)>,
    },
    /// `request kicked --command C --referer R --arg A --next URL`: Kicked (Annex B).
    Kicked {
        /// `Command`.
        command: String,
        /// `Referer`.
        referer: String,
        /// `Arg`.
        arg: String,
        /// `Next`.
        next: String,
    },
}

/// A `config` subcommand: one setting and its new value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "setting", content = "value", rename_all = "kebab-case")]
pub enum ConfigChange {
    /// `acs-url URL` (`ManagementServer.URL`).
    AcsUrl(String),
    /// `acs-username U` (`ManagementServer.Username`).
    AcsUsername(String),
    /// `acs-password P` (`ManagementServer.Password`).
    AcsPassword(String),
    /// `cpe-url URL` (`ManagementServer.ConnectionRequestURL`, listener port and path).
    CpeUrl(String),
    /// `cpe-username U` (`ManagementServer.ConnectionRequestUsername`).
    CpeUsername(String),
    /// `cpe-password P` (`ManagementServer.ConnectionRequestPassword`).
    CpePassword(String),
    /// `inform [--enable|--disable] [--interval S] [--start-time T]` (`PeriodicInform*`).
    Inform {
        /// `PeriodicInformEnable`, if given.
        enable: Option<bool>,
        /// `PeriodicInformInterval` in seconds, if given.
        interval: Option<u32>,
        /// `PeriodicInformTime` (`xsd:dateTime`), if given.
        start_time: Option<String>,
    },
    /// `timeout S`: the session timeout.
    Timeout(u32),
    /// `download enable|disable`.
    Download(bool),
    /// `upload enable|disable`.
    Upload(bool),
    /// `backup --delay-time S`.
    BackupDelay(u32),
}

/// The agent's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "reply", rename_all = "snake_case")]
pub enum Reply {
    /// `show configuration`.
    Configuration(Configuration),
    /// `show status`.
    Status(Status),
    /// `get`: the values found.
    Values {
        /// One row per parameter.
        values: Vec<ParamValue>,
    },
    /// The change was made; what it did.
    Done {
        /// A line for the operator.
        message: String,
    },
    /// The request was refused.
    Error {
        /// Why, for the operator.
        message: String,
    },
}

/// The effective settings, as `show configuration` prints them. Passwords never leave the
/// daemon: only whether one is set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Configuration {
    /// `ManagementServer.URL`.
    pub acs_url: String,
    /// `ManagementServer.Username`.
    pub acs_username: String,
    /// Whether `ManagementServer.Password` is set.
    pub acs_password_set: bool,
    /// `ManagementServer.ConnectionRequestURL`.
    pub cpe_url: String,
    /// The Connection Request listener's port and path (`cpe-url` or the config file).
    pub cpe_listen: String,
    /// `ManagementServer.ConnectionRequestUsername`.
    pub cpe_username: String,
    /// Whether `ManagementServer.ConnectionRequestPassword` is set.
    pub cpe_password_set: bool,
    /// `ManagementServer.PeriodicInformEnable`.
    pub inform_enable: bool,
    /// `ManagementServer.PeriodicInformInterval` (seconds).
    pub inform_interval: u32,
    /// `ManagementServer.PeriodicInformTime`, as stored.
    pub inform_start_time: String,
    /// Session timeout (seconds).
    pub session_timeout: u32,
    /// Whether the ACS may request downloads.
    pub download: bool,
    /// Whether the ACS may request uploads.
    pub upload: bool,
    /// Whether backup is on.
    pub backup_enable: bool,
    /// Backup delay (seconds).
    pub backup_delay: u32,
    /// `ManagementServer.STUNEnable`; `None` if the data model has no STUN parameters.
    pub stun_enable: Option<bool>,
    /// `ManagementServer.STUNServerAddress`.
    pub stun_server: String,
    /// `ManagementServer.STUNServerPort`.
    pub stun_port: String,
}

/// The agent's state, as `show status` prints it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Status {
    /// The last session completed (no session yet: false).
    pub connected: bool,
    /// When the last session started (Unix seconds).
    pub last_inform: Option<i64>,
    /// `ok` or why the last session failed.
    pub last_result: Option<String>,
    /// Queued events, oldest first (`0 BOOTSTRAP`, `M Reboot rk`, …).
    pub pending_events: Vec<String>,
    /// Failed sessions in a row (the next Inform's RetryCount).
    pub retry_count: u32,
    /// When the next session is due (Unix seconds): periodic, scheduled or retry.
    pub next_inform: Option<i64>,
    /// Queued file transfers, one line each.
    pub transfers: Vec<String>,
    /// The CPE's own requests waiting for the ACS, oldest first (`GetRPCMethods`, …).
    #[serde(default)]
    pub pending_requests: Vec<String>,
    /// The method list of the ACS's last GetRPCMethodsResponse.
    #[serde(default)]
    pub acs_methods: Option<Vec<String>>,
    /// The `NextURL` of the last KickedResponse.
    #[serde(default)]
    pub kicked_next_url: Option<String>,
}

/// One parameter of a `get` answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParamValue {
    /// Full path.
    pub name: String,
    /// `xsi:type` (`string`, `unsignedInt`, …).
    pub kind: String,
    /// Value as text.
    pub value: String,
}

/// A request on its way to the agent loop, with where to send the answer.
#[derive(Debug)]
pub struct Control {
    /// What the operator asked.
    pub request: Request,
    /// Where the agent sends its answer.
    pub reply: oneshot::Sender<Reply>,
}

/// The listening control socket; dropping it stops accepting and removes the socket file.
#[derive(Debug)]
pub struct ControlServer {
    path: PathBuf,
    task: JoinHandle<()>,
}

impl ControlServer {
    /// Binds `path` (mode 0600), replacing a stale socket file left by a crash; refuses if
    /// another daemon answers there or the path is not a socket.
    pub async fn bind(path: &Path, agent: mpsc::Sender<Control>) -> io::Result<ControlServer> {
        if let Ok(meta) = std::fs::symlink_metadata(path) {
            if !meta.file_type().is_socket() {
                return Err(io::Error::new(
                    io::ErrorKind::AlreadyExists,
                    format!("{} exists and is not a socket", path.display()),
                ));
            }
            if UnixStream::connect(path).await.is_ok() {
                return Err(io::Error::new(
                    io::ErrorKind::AddrInUse,
                    format!("another cwmp-cpe is listening on {}", path.display()),
                ));
            }
            std::fs::remove_file(path)?;
        }
        let listener = UnixListener::bind(path)?;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
        let permits = Arc::new(Semaphore::new(MAX_CONNECTIONS));
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                };
                let Ok(permit) = permits.clone().try_acquire_owned() else {
                    continue; // over the bound: the stream is dropped, the client sees EOF
                };
                let agent = agent.clone();
                tokio::spawn(async move {
                    if let Err(e) = serve(stream, &agent).await {
                        tracing::debug!("control client: {e}");
                    }
                    drop(permit);
                });
            }
        });
        Ok(ControlServer {
            path: path.to_owned(),
            task,
        })
    }

    /// The socket path.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for ControlServer {
    fn drop(&mut self) {
        self.task.abort();
        let _ = std::fs::remove_file(&self.path);
    }
}

async fn serve(stream: UnixStream, agent: &mpsc::Sender<Control>) -> io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut line = Vec::new();
    let mut limited = BufReader::new(read).take(MAX_REQUEST_BYTES as u64 + 1);
    tokio::time::timeout(READ_TIMEOUT, limited.read_until(b'\n', &mut line))
        .await
        .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "no request line"))??;
    let reply = if line.len() > MAX_REQUEST_BYTES {
        Reply::Error {
            message: format!("request longer than {MAX_REQUEST_BYTES} bytes"),
        }
    } else {
        match serde_json::from_slice::<Request>(&line) {
            Ok(request) => ask(agent, request).await,
            Err(e) => Reply::Error {
                message: format!("bad request: {e}"),
            },
        }
    };
    let mut out = serde_json::to_vec(&reply).map_err(io::Error::other)?;
    out.push(b'\n');
    write.write_all(&out).await?;
    write.shutdown().await
}

async fn ask(agent: &mpsc::Sender<Control>, request: Request) -> Reply {
    let gone = || Reply::Error {
        message: "the agent loop has stopped".into(),
    };
    let exchange = async {
        let (tx, rx) = oneshot::channel();
        agent.send(Control { request, reply: tx }).await.ok()?;
        rx.await.ok()
    };
    match tokio::time::timeout(ANSWER_TIMEOUT, exchange).await {
        Ok(Some(reply)) => reply,
        Ok(None) => gone(),
        Err(_) => Reply::Error {
            message: format!(
                "the agent did not answer within {} s",
                ANSWER_TIMEOUT.as_secs()
            ),
        },
    }
}
