//! Answering the operator's control requests inside the agent loop.
//!
//! `config` changes of data-model settings go through [`Agent::local`] as [`Local::Set`] on
//! `ManagementServer.` parameters, so they have the effects an ACS SetParameterValues has
//! (a new ACS URL gives `0 BOOTSTRAP` and a session, a periodic change reschedules). The other
//! settings are kept in [`LocalSettings`](crate::settings::LocalSettings) and saved at once.

use super::{Agent, AgentError, Local};
use crate::config::{DEFAULT_CR_PORT, check_password, check_url, check_username};
use crate::control::{ConfigChange, Configuration, ParamValue, Reply, Request, Status};

fn done(message: impl Into<String>) -> Reply {
    Reply::Done {
        message: message.into(),
    }
}

fn refused(message: impl std::fmt::Display) -> Reply {
    Reply::Error {
        message: message.to_string(),
    }
}

/// `http(s)://host[:port]/path` with the default Connection Request port filled in, and the
/// port and path the listener should serve.
fn cr_url_with_port(url: &str) -> (String, u16, String) {
    let (scheme, rest) = url.split_once("://").unwrap_or(("http", url));
    let (authority, path) = rest
        .split_once('/')
        .map_or((rest, "/".to_owned()), |(a, p)| (a, format!("/{p}")));
    let port = authority
        .rsplit_once(':')
        .filter(|(host, _)| !host.contains(':') || host.ends_with(']'))
        .and_then(|(_, p)| p.parse::<u16>().ok());
    match port {
        Some(p) => (url.to_owned(), p, path),
        None => (
            format!("{scheme}://{authority}:{DEFAULT_CR_PORT}{path}"),
            DEFAULT_CR_PORT,
            path,
        ),
    }
}

impl Agent {
    /// Answers one control request; a refused change leaves everything as it was.
    pub fn answer(&mut self, request: Request) -> Reply {
        let result = match request {
            Request::ShowConfiguration => return Reply::Configuration(self.configuration()),
            Request::ShowStatus => return Reply::Status(self.status()),
            Request::Get { path } => return self.get(&path),
            Request::Inform => self
                .local(Local::Inform)
                .map(|()| done("session requested")),
            Request::Event { code } => self
                .local(Local::Event(code.clone()))
                .map(|()| done(format!("event {code:?} queued"))),
            Request::Set { path, value } => self
                .local(Local::Set {
                    path: path.clone(),
                    value,
                })
                .map(|()| done(format!("{path} set"))),
            Request::Config { change } => self.configure(change),
            Request::AskAcs { ask } => self.ask_acs(ask),
        };
        result.unwrap_or_else(|e| {
            tracing::warn!("control request refused: {e}");
            refused(e)
        })
    }

    fn get(&self, path: &str) -> Reply {
        match self
            .tree
            .get_parameter_values(&[path], self.backend.as_ref())
        {
            Ok(values) => Reply::Values {
                values: values
                    .into_iter()
                    .map(|pv| ParamValue {
                        kind: self
                            .tree
                            .parameter_type(&pv.name)
                            .unwrap_or("string")
                            .to_owned(),
                        value: pv.value.as_text().into_owned(),
                        name: pv.name,
                    })
                    .collect(),
            },
            Err(f) => refused(format!("{path}: {}", f.message)),
        }
    }

    fn set_ms(&mut self, name: &str, value: &str) -> Result<(), AgentError> {
        self.local(Local::Set {
            path: self.ms(name),
            value: value.to_owned(),
        })
    }

    fn save_settings(&self) -> Result<(), AgentError> {
        self.settings.save(&self.settings_path)?;
        Ok(())
    }

    fn configure(&mut self, change: ConfigChange) -> Result<Reply, AgentError> {
        let invalid = |e: crate::config::ConfigError| Ok(refused(e));
        Ok(match change {
            ConfigChange::AcsUrl(url) => {
                if let Err(e) = check_url("acs-url", &url) {
                    return invalid(e);
                }
                self.set_ms("URL", &url)?;
                done(format!("ACS URL set to {url}"))
            }
            ConfigChange::AcsUsername(u) => {
                if let Err(e) = check_username("acs-username", &u) {
                    return invalid(e);
                }
                self.set_ms("Username", &u)?;
                done("ACS username set")
            }
            ConfigChange::AcsPassword(p) => {
                if let Err(e) = check_password("acs-password", &p) {
                    return invalid(e);
                }
                self.set_ms("Password", &p)?;
                done("ACS password set")
            }
            ConfigChange::CpeUrl(url) => {
                if let Err(e) = check_url("cpe-url", &url) {
                    return invalid(e);
                }
                let (url, port, path) = cr_url_with_port(&url);
                self.set_ms("ConnectionRequestURL", &url)?;
                let moved = port != self.config.cpe.port || path != self.config.cpe.path;
                self.settings.cr_port = Some(port);
                self.settings.cr_path = Some(path);
                self.save_settings()?;
                if moved {
                    done(format!(
                        "CPE URL set to {url}; the listener moves to port {port} at the next start"
                    ))
                } else {
                    done(format!("CPE URL set to {url}"))
                }
            }
            ConfigChange::CpeUsername(u) => {
                if let Err(e) = check_username("cpe-username", &u) {
                    return invalid(e);
                }
                self.set_ms("ConnectionRequestUsername", &u)?;
                done("CPE username set")
            }
            ConfigChange::CpePassword(p) => {
                if let Err(e) = check_password("cpe-password", &p) {
                    return invalid(e);
                }
                self.set_ms("ConnectionRequestPassword", &p)?;
                done("CPE password set")
            }
            ConfigChange::Inform {
                enable,
                interval,
                start_time,
            } => {
                if enable.is_none() && interval.is_none() && start_time.is_none() {
                    return Ok(refused(
                        "inform: give --enable, --disable, --interval or --start-time",
                    ));
                }
                if interval == Some(0) {
                    return Ok(refused("inform: the interval must be at least 1 second"));
                }
                if let Some(t) = &start_time {
                    if let Err(e) = t.parse::<cwmp::DateTime>() {
                        return Ok(refused(format!("inform: start time {t:?}: {e}")));
                    }
                }
                if let Some(i) = interval {
                    self.set_ms("PeriodicInformInterval", &i.to_string())?;
                }
                if let Some(t) = &start_time {
                    self.set_ms("PeriodicInformTime", t)?;
                }
                if let Some(e) = enable {
                    self.set_ms("PeriodicInformEnable", if e { "true" } else { "false" })?;
                }
                done("periodic inform updated")
            }
            ConfigChange::Timeout(s) => {
                if s == 0 {
                    return Ok(refused("timeout: must be at least 1 second"));
                }
                self.settings.session_timeout = Some(s);
                self.config.session_timeout = s;
                self.save_settings()?;
                done(format!("session timeout set to {s} s"))
            }
            ConfigChange::Download(on) => {
                self.settings.download = Some(on);
                self.config.transfer.download = on;
                self.save_settings()?;
                done(if on {
                    "download enabled"
                } else {
                    "download disabled"
                })
            }
            ConfigChange::Upload(on) => {
                self.settings.upload = Some(on);
                self.config.transfer.upload = on;
                self.save_settings()?;
                done(if on {
                    "upload enabled"
                } else {
                    "upload disabled"
                })
            }
            ConfigChange::BackupDelay(s) => {
                self.settings.backup_delay = Some(s);
                self.config.backup.delay = s;
                self.save_settings()?;
                done(format!("backup delay set to {s} s"))
            }
        })
    }

    /// The effective settings for `show configuration` (passwords only as set or not).
    pub fn configuration(&self) -> Configuration {
        let stun = self.text(&self.ms("STUNEnable"));
        Configuration {
            acs_url: self.acs_url(),
            acs_username: self.ms_text("Username"),
            acs_password_set: !self.ms_text("Password").is_empty(),
            cpe_url: self.ms_text("ConnectionRequestURL"),
            cpe_listen: format!(
                "{} port {} path {}",
                self.config.cpe.listen, self.config.cpe.port, self.config.cpe.path
            ),
            cpe_username: self.ms_text("ConnectionRequestUsername"),
            cpe_password_set: !self.ms_text("ConnectionRequestPassword").is_empty(),
            inform_enable: self.scheduler.periodic().enable,
            inform_interval: self.scheduler.periodic().interval,
            inform_start_time: self.ms_text("PeriodicInformTime"),
            session_timeout: self.config.session_timeout,
            download: self.config.transfer.download,
            upload: self.config.transfer.upload,
            backup_enable: self.config.backup.enable,
            backup_delay: self.config.backup.delay,
            stun_enable: stun.map(|s| s == "true" || s == "1"),
            stun_server: self.ms_text("STUNServerAddress"),
            stun_port: self.ms_text("STUNServerPort"),
        }
    }

    /// The agent's state for `show status`.
    pub fn status(&self) -> Status {
        let now_unix = self.clock.unix();
        let wait = self
            .scheduler
            .next_wakeup(now_unix, self.clock.monotonic(), self.retry.due());
        let pending = self.queue.events().iter().map(|e| {
            if e.command_key.is_empty() {
                e.code.to_string()
            } else {
                format!("{} ({})", e.code, e.command_key)
            }
        });
        Status {
            connected: self.last.as_ref().is_some_and(|o| o.result.is_ok()),
            last_inform: self.last.as_ref().map(|o| o.started),
            last_result: self.last.as_ref().map(|o| match &o.result {
                Ok(()) => "ok".to_owned(),
                Err(e) => format!("failed: {e}"),
            }),
            pending_events: pending.collect(),
            retry_count: self.retry.retry_count(),
            next_inform: wait
                .map(|w| now_unix.saturating_add(i64::try_from(w.as_secs()).unwrap_or(i64::MAX))),
            transfers: self
                .transfers
                .transfers()
                .iter()
                .map(crate::transfer::Transfer::summary)
                .collect(),
            pending_requests: self.pending_request_names(),
            acs_methods: self.answers.methods.clone(),
            kicked_next_url: self.answers.kicked_next_url.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::cr_url_with_port;

    #[test]
    fn default_cr_port() {
        assert_eq!(
            cr_url_with_port("http://10.0.0.1/cr"),
            ("http://10.0.0.1:7547/cr".into(), 7547, "/cr".into())
        );
        assert_eq!(
            cr_url_with_port("http://h:8080/a/b"),
            ("http://h:8080/a/b".into(), 8080, "/a/b".into())
        );
        assert_eq!(
            cr_url_with_port("https://[::1]"),
            ("https://[::1]:7547/".into(), 7547, "/".into())
        );
    }
}
