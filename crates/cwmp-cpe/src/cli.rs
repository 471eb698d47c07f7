//! The `cwmp-cpe` command line ([`Cli`]): `run`, `config check`, and the operator commands
//! that talk to the running daemon over its control socket (`show`, `inform`, `get`, `set`,
//! `event`, `request …`, `config SETTING …`), parsed with clap and printed with
//! [`control::show`](crate::control::show).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::config::Config;
use crate::control::client::{self, ClientError};
use crate::control::{AcsRequest, ConfigChange, Reply, Request, show};

/// The whole command line of `cwmp-cpe`.
#[derive(Debug, Parser)]
#[command(name = "cwmp-cpe", version, about = "TR-069 (CWMP) device agent")]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The top-level commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the daemon.
    Run {
        /// The config file.
        #[arg(long)]
        config: PathBuf,
    },
    /// Configuration.
    Config {
        /// `check`, or a setting to change in the running daemon.
        #[command(subcommand)]
        command: ConfigCommand,
    },
    /// A command for the running daemon.
    #[command(flatten)]
    Client(ClientCommand),
}

/// `config …`.
#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Validate the config file and print the effective settings.
    Check {
        /// The config file.
        #[arg(long)]
        config: PathBuf,
    },
    /// A setting changed through the running daemon.
    #[command(flatten)]
    Set(ConfigSet),
}

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
    /// Send one of the CPE's own requests to the ACS in a session started now
    /// (`show status` shows the answer).
    Request {
        /// Which request.
        #[command(subcommand)]
        what: AskAcs,
    },
}

/// `request …`.
#[derive(Debug, Subcommand)]
pub enum AskAcs {
    /// GetRPCMethods: which methods the ACS supports.
    GetRpcMethods {
        /// Where the daemon listens.
        #[command(flatten)]
        target: Target,
    },
    /// RequestDownload: ask the ACS for a file.
    Download {
        /// FileType, e.g. "1 Firmware Upgrade Image".
        file_type: String,
        /// FileTypeArg entry (repeatable, at most 16).
        #[arg(long = "arg", value_name = "NAME=VALUE", value_parser = name_value)]
        args: Vec<(String, String)>,
        /// Where the daemon listens.
        #[command(flatten)]
        target: Target,
    },
    /// Kicked (TR-069 Annex B): a web page's command for the ACS.
    Kicked {
        /// Command.
        #[arg(long)]
        command: String,
        /// Referer: the page that kicked.
        #[arg(long)]
        referer: String,
        /// The command's argument.
        #[arg(long, default_value = "")]
        arg: String,
        /// Where the browser goes next.
        #[arg(long)]
        next: String,
        /// Where the daemon listens.
        #[command(flatten)]
        target: Target,
    },
}

/// `NAME=VALUE` of `--arg`.
fn name_value(s: &str) -> Result<(String, String), String> {
    s.split_once('=')
        .filter(|(name, _)| !name.is_empty())
        .map(|(n, v)| (n.to_owned(), v.to_owned()))
        .ok_or_else(|| format!("{s:?} is not NAME=VALUE"))
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
    /// The seed device CLI's spelling: `show cwmp configuration`, `show cwmp status`.
    Cwmp {
        /// What to show.
        #[command(subcommand)]
        what: ShowCwmp,
    },
}

/// `show cwmp …`: the same as `show …`.
#[derive(Debug, Subcommand)]
pub enum ShowCwmp {
    /// Same as `show configuration`.
    Configuration {
        /// Where the daemon listens.
        #[command(flatten)]
        target: Target,
    },
    /// Same as `show status`.
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
                what:
                    Show::Configuration { target }
                    | Show::Cwmp {
                        what: ShowCwmp::Configuration { target },
                    },
            } => (Request::ShowConfiguration, target),
            ClientCommand::Show {
                what:
                    Show::Status { target }
                    | Show::Cwmp {
                        what: ShowCwmp::Status { target },
                    },
            } => (Request::ShowStatus, target),
            ClientCommand::Inform { target } => (Request::Inform, target),
            ClientCommand::Get { path, target } => (Request::Get { path }, target),
            ClientCommand::Set {
                path,
                value,
                target,
            } => (Request::Set { path, value }, target),
            ClientCommand::Event { code, target } => (Request::Event { code }, target),
            ClientCommand::Request { what } => {
                let (request, target) = match what {
                    AskAcs::GetRpcMethods { target } => (AcsRequest::GetRpcMethods, target),
                    AskAcs::Download {
                        file_type,
                        args,
                        target,
                    } => (AcsRequest::Download { file_type, args }, target),
                    AskAcs::Kicked {
                        command,
                        referer,
                        arg,
                        next,
                        target,
                    } => (
                        AcsRequest::Kicked {
                            command,
                            referer,
                            arg,
                            next,
                        },
                        target,
                    ),
                };
                (Request::AskAcs { ask: request }, target)
            }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Request {
        let cli = Cli::try_parse_from(std::iter::once("cwmp-cpe").chain(args.iter().copied()))
            .expect("parses");
        match cli.command {
            Command::Client(c) => c.request().0,
            Command::Config {
                command: ConfigCommand::Set(set),
            } => set.request().0,
            other => panic!("not a daemon command: {other:?}"),
        }
    }

    #[test]
    fn show_forms_of_the_seed_cli() {
        let s = ["--socket", "/s"];
        for (args, request) in [
            (&["show", "configuration"][..], Request::ShowConfiguration),
            (
                &["show", "cwmp", "configuration"],
                Request::ShowConfiguration,
            ),
            (&["show", "status"], Request::ShowStatus),
            (&["show", "cwmp", "status"], Request::ShowStatus),
        ] {
            assert_eq!(parse(&[args, &s].concat()), request, "{args:?}");
        }
        let bad = Cli::try_parse_from(["cwmp-cpe", "show", "cwmp", "--socket", "/s"]);
        assert!(bad.is_err());
        let run = Cli::try_parse_from(["cwmp-cpe", "run", "--config", "c.toml"]).expect("run");
        assert!(matches!(run.command, Command::Run { .. }));
    }

    #[test]
    fn request_commands() {
        let s = ["--socket", "/s"];
        assert_eq!(
            parse(&[&["request", "get-rpc-methods"][..], &s].concat()),
            Request::AskAcs {
                ask: AcsRequest::GetRpcMethods
            }
        );
        let download = [
            "request",
            "download",
            "1 Firmware Upgrade Image",
            "--arg",
            "Version=2.0",
            "--arg",
            "Note=a=b",
        ];
        assert_eq!(
            parse(&[&download[..], &s].concat()),
            Request::AskAcs {
                ask: AcsRequest::Download {
                    file_type: "1 Firmware Upgrade Image".into(),
                    args: vec![
                        ("Version".into(), "2.0".into()),
                        ("Note".into(), "a=b".into())
                    ],
                }
            }
        );
        let kicked = [
            "request",
            "kicked",
            "--command",
            "c",
            "--referer",
            "r",
            "--arg",
            "a",
            "--next",
            "http://n/",
        ];
        assert_eq!(
            parse(&[&kicked[..], &s].concat()),
            Request::AskAcs {
                ask: AcsRequest::Kicked {
                    command: "c".into(),
                    referer: "r".into(),
                    arg: "a".into(),
                    next: "http://n/".into(),
                }
            }
        );
        let bad = ["cwmp-cpe", "request", "download", "1 X", "--arg", "=v"];
        assert!(Cli::try_parse_from(bad).is_err());
    }
}
