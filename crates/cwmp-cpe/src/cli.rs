//! The operator CLI's commands that talk to the running daemon over its control socket
//! (`show`, `inform`, `get`, `set`, `event`, `config SETTING …`), parsed with clap and printed
//! with [`control::show`](crate::control::show).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand, ValueEnum};

use crate::config::Config;
use crate::control::client::{self, ClientError};
use crate::control::{ConfigChange, Reply, Request, show};

/// Where the daemon's control socket is.
#[derive(Debug, Clone, Args)]
pub struct Target {
    /// The control socket.
    #[arg(long, value_name = "PATH", conflicts_with = "config")]
    pub socket: Option<PathBuf>,
    /// The daemon's config file (its `control_socket`, or `<state_dir>/cwmp-cpe.sock`).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

impl Target {
    /// The socket path, from `--socket` or the config file.
    pub fn socket(&self) -> Result<PathBuf, String> {
        match (&self.socket, &self.config) {
            (Some(s), _) => Ok(s.clone()),
            (None, Some(c)) => Config::from_file(c)
                .map(|c| c.control_socket())
                .map_err(|e| e.to_string()),
            (None, None) => Err("give --socket PATH or --config FILE".into()),
        }
    }
}

/// Commands for the running daemon.
#[derive(Debug, Subcommand)]
pub enum ClientCommand {
    /// Show the running daemon's configuration or status.
    Show {
        /// What to show.
        #[command(subcommand)]
        what: Show,
    },
    /// Start a session with the ACS now.
    Inform {
        /// Where the daemon listens.
        #[command(flatten)]
        target: Target,
    },
    /// Print a parameter's value and type; a partial path (ending in `.`) prints the subtree.
    Get {
        /// Parameter or partial path.
        path: String,
        /// Where the daemon listens.
        #[command(flatten)]
        target: Target,
    },
    /// Change a parameter locally (raises notifications to the ACS).
    Set {
        /// Parameter path.
        path: String,
        /// New value.
        value: String,
        /// Where the daemon listens.
        #[command(flatten)]
        target: Target,
    },
    /// Raise an event (e.g. "X ACME EVENT") for the next Inform.
    Event {
        /// The event code.
        code: String,
        /// Where the daemon listens.
        #[command(flatten)]
        target: Target,
    },
}

/// `show …`.
#[derive(Debug, Subcommand)]
pub enum Show {
    /// ACS and CPE URLs, credentials (masked), inform, timeout, transfers, backup, STUN.
    Configuration {
        /// Where the daemon listens.
        #[command(flatten)]
        target: Target,
    },
    /// Connection state, last Inform, pending events, retries, next Inform.
    Status {
        /// Where the daemon listens.
        #[command(flatten)]
        target: Target,
    },
}

/// `enable` or `disable`.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Switch {
    /// Turn on.
    Enable,
    /// Turn off.
    Disable,
}

/// `config SETTING …`: changes made through the running daemon and kept across restarts.
#[derive(Debug, Subcommand)]
pub enum ConfigSet {
    /// The ACS URL, `http(s)://host[:port]/path` (a change bootstraps to the new ACS).
    AcsUrl {
        /// The URL.
        url: String,
        /// Where the daemon listens.
        #[command(flatten)]
        target: Target,
    },
    /// The username for the ACS.
    AcsUsername {
        /// The username.
        username: String,
        /// Where the daemon listens.
        #[command(flatten)]
        target: Target,
    },
    /// The password for the ACS (1 to 26 characters).
    AcsPassword {
        /// The password.
        password: String,
        /// Where the daemon listens.
        #[command(flatten)]
        target: Target,
    },
    /// The Connection Request URL (port 7547 when none is given).
    CpeUrl {
        /// The URL.
        url: String,
        /// Where the daemon listens.
        #[command(flatten)]
        target: Target,
    },
    /// The username the ACS must give in Connection Requests.
    CpeUsername {
        /// The username.
        username: String,
        /// Where the daemon listens.
        #[command(flatten)]
        target: Target,
    },
    /// The password the ACS must give in Connection Requests (1 to 26 characters).
    CpePassword {
        /// The password.
        password: String,
        /// Where the daemon listens.
        #[command(flatten)]
        target: Target,
    },
    /// Periodic Inform.
    Inform {
        /// Inform periodically.
        #[arg(long, conflicts_with = "disable")]
        enable: bool,
        /// Do not inform periodically.
        #[arg(long)]
        disable: bool,
        /// Seconds between periodic Informs.
        #[arg(long, value_name = "S")]
        interval: Option<u32>,
        /// Phase reference (`xsd:dateTime`, e.g. 2024-01-01T00:00:00Z).
        #[arg(long, value_name = "T")]
        start_time: Option<String>,
        /// Where the daemon listens.
        #[command(flatten)]
        target: Target,
    },
    /// The session timeout, in seconds.
    Timeout {
        /// Seconds, at least 1.
        seconds: u32,
        /// Where the daemon listens.
        #[command(flatten)]
        target: Target,
    },
    /// Whether the ACS may request downloads.
    Download {
        /// `enable` or `disable`.
        state: Switch,
        /// Where the daemon listens.
        #[command(flatten)]
        target: Target,
    },
    /// Whether the ACS may request uploads.
    Upload {
        /// `enable` or `disable`.
        state: Switch,
        /// Where the daemon listens.
        #[command(flatten)]
        target: Target,
    },
    /// Backup settings.
    Backup {
        /// Delay in seconds.
        #[arg(long, value_name = "S")]
        delay_time: u32,
        /// Where the daemon listens.
        #[command(flatten)]
        target: Target,
    },
}

impl ClientCommand {
    /// The request to send and where.
    pub fn request(self) -> (Request, Target) {
        match self {
            ClientCommand::Show {
                what: Show::Configuration { target },
            } => (Request::ShowConfiguration, target),
            ClientCommand::Show {
                what: Show::Status { target },
            } => (Request::ShowStatus, target),
            ClientCommand::Inform { target } => (Request::Inform, target),
            ClientCommand::Get { path, target } => (Request::Get { path }, target),
            ClientCommand::Set {
                path,
                value,
                target,
            } => (Request::Set { path, value }, target),
            ClientCommand::Event { code, target } => (Request::Event { code }, target),
        }
    }
}

impl ConfigSet {
    /// The request to send and where.
    pub fn request(self) -> (Request, Target) {
        let on = |s: Switch| matches!(s, Switch::Enable);
        let (change, target) = match self {
            ConfigSet::AcsUrl { url, target } => (ConfigChange::AcsUrl(url), target),
            ConfigSet::AcsUsername { username, target } => {
                (ConfigChange::AcsUsername(username), target)
            }
            ConfigSet::AcsPassword { password, target } => {
                (ConfigChange::AcsPassword(password), target)
            }
            ConfigSet::CpeUrl { url, target } => (ConfigChange::CpeUrl(url), target),
            ConfigSet::CpeUsername { username, target } => {
                (ConfigChange::CpeUsername(username), target)
            }
            ConfigSet::CpePassword { password, target } => {
                (ConfigChange::CpePassword(password), target)
            }
            ConfigSet::Inform {
                enable,
                disable,
                interval,
                start_time,
                target,
            } => (
                ConfigChange::Inform {
                    enable: (enable || disable).then_some(enable),
                    interval,
                    start_time,
                },
                target,
            ),
            ConfigSet::Timeout { seconds, target } => (ConfigChange::Timeout(seconds), target),
            ConfigSet::Download { state, target } => (ConfigChange::Download(on(state)), target),
            ConfigSet::Upload { state, target } => (ConfigChange::Upload(on(state)), target),
            ConfigSet::Backup { delay_time, target } => {
                (ConfigChange::BackupDelay(delay_time), target)
            }
        };
        (Request::Config { change }, target)
    }
}

/// Sends `request` to the daemon, prints the answer; exit status 1 when the daemon is not
/// running, refuses, or cannot be reached.
pub fn run((request, target): (Request, Target)) -> ExitCode {
    let socket = match target.socket() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("cwmp-cpe: {e}");
            return ExitCode::FAILURE;
        }
    };
    match client::request(&socket, &request, client::WAIT) {
        Ok(Reply::Configuration(c)) => print!("{}", show::configuration(&c)),
        Ok(Reply::Status(s)) => print!("{}", show::status(&s)),
        Ok(Reply::Values { values }) => print!("{}", show::values(&values)),
        Ok(Reply::Done { message }) => println!("{message}"),
        Ok(Reply::Error { message }) => {
            eprintln!("cwmp-cpe: {message}");
            return ExitCode::FAILURE;
        }
        Err(e @ ClientError::NotRunning(_)) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
        Err(e) => {
            eprintln!("cwmp-cpe: {e}");
            return ExitCode::FAILURE;
        }
    }
    ExitCode::SUCCESS
}
