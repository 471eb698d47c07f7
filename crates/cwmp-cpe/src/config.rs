//! The daemon's TOML configuration: the settings of the seed device CLIs (`config acs-url`,
//! `cpe-url`, `inform`, `timeout`, `download`, `upload`, `backup`), validated the way those
//! CLIs validate them. Unknown keys are rejected.
//!
//! The config only *seeds* the `ManagementServer.` parameters of a fresh data-model tree (first
//! start, or after a factory reset); from then on the persisted tree is the single source of truth,
//! so a change made by the ACS survives a restart.

use std::path::{Path, PathBuf};
use std::time::Duration;

use cwmp::DateTime;

use crate::conn_request::Algorithm;
use crate::conn_request::digest::DEFAULT_ALGORITHMS;
use serde::{Deserialize, Serialize};

/// Longest URL the CLIs accept.
pub const MAX_URL_LEN: usize = 256;
/// Longest password the CLIs accept.
pub const MAX_PASSWORD_LEN: usize = 26;
/// Default Connection Request port.
pub const DEFAULT_CR_PORT: u16 = crate::conn_request::server::DEFAULT_PORT;

/// Why the configuration could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("reading {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not valid TOML of the expected shape.
    #[error("parsing {path}: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// What the parser said.
        message: String,
    },
    /// A setting breaks a rule (URL form, password length, …).
    #[error("{key}: {message}")]
    Invalid {
        /// The setting.
        key: &'static str,
        /// Why it is refused.
        message: String,
    },
}

fn invalid(key: &'static str, message: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        key,
        message: message.into(),
    }
}

/// The whole config file; it seeds a fresh data-model tree and sets what the tree does not hold.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// `[acs]`: the ACS to contact (required).
    pub acs: AcsConfig,
    /// `[cpe]`: the Connection Request listener (defaults: see [`CpeConfig`]).
    #[serde(default)]
    pub cpe: CpeConfig,
    /// `[inform]`: periodic Inform (default enabled, every 86400 s).
    #[serde(default)]
    pub inform: InformConfig,
    /// Session timeout in seconds (`timer cpe-timeout`), at least 1; default 30.
    #[serde(default = "default_timeout")]
    pub session_timeout: u32,
    /// `[transfer]`: whether the ACS may request downloads and uploads (default both allowed).
    #[serde(default)]
    pub transfer: TransferConfig,
    /// `[backup]`: the `backup` CLI setting (default disabled).
    #[serde(default)]
    pub backup: BackupConfig,
    /// `[data_model]`: the device profile and, optionally, a data-model file to use instead of
    /// the built-in one (default: the built-in TR-181 with the `tr181-gateway` profile).
    #[serde(default)]
    pub data_model: DataModelConfig,
    /// `[handlers]`: what applies values on the device (default: the built-in Linux
    /// handlers, which only store settings until an `apply_program` is given).
    #[serde(default)]
    pub handlers: HandlersConfig,
    /// `[tls]`: trust and client certificate for `https` ACS URLs (defaults: see [`TlsConfig`]).
    #[serde(default)]
    pub tls: TlsConfig,
    /// Where the tree and the event queue are persisted.
    pub state_dir: PathBuf,
    /// The operator CLI's Unix socket; default `<state_dir>/cwmp-cpe.sock`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub control_socket: Option<PathBuf>,
}

fn default_timeout() -> u32 {
    30
}

/// `[acs]`: how to reach the ACS (`config acs-url`); seeds `ManagementServer.URL` and credentials.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AcsConfig {
    /// `url`: the ACS URL, `http(s)://host[:port]/path` of at most 256 characters (required).
    pub url: String,
    /// `username`: for authenticating to the ACS, at most 256 characters; default empty.
    #[serde(default)]
    pub username: String,
    /// `password`: for authenticating to the ACS, 1 to 26 characters; default none.
    #[serde(default)]
    pub password: Option<String>,
}

/// `[cpe]`: the Connection Request listener the ACS calls to wake the device (`cpe-url`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CpeConfig {
    /// The advertised ConnectionRequestURL; empty: none advertised until the agent knows one.
    pub url: String,
    /// Listener address (default all interfaces).
    pub listen: String,
    /// `port`: listener port, 1 to 65535; default [`DEFAULT_CR_PORT`].
    pub port: u16,
    /// `path`: the HTTP path served, starting with `/`; default `/`.
    pub path: String,
    /// `username`: the ACS must present for a Connection Request, at most 256 characters; default empty.
    pub username: String,
    /// `password`: the ACS must present for a Connection Request, 1 to 26 characters; default none.
    pub password: Option<String>,
    /// `udp_port`: UDP Connection Requests (TR-111) on this port even without STUN; with STUN
    /// enabled and no `udp_port`, they use `port`.
    pub udp_port: Option<u16>,
    /// `digest_algorithms`: the Digest challenges of a Connection Request 401, one per
    /// algorithm in this order (`MD5`, `MD5-sess`, `SHA-256`, `SHA-256-sess`); default
    /// `["MD5"]`, which every ACS answers (see [`DEFAULT_ALGORITHMS`]).
    pub digest_algorithms: Vec<Algorithm>,
}

impl Default for CpeConfig {
    fn default() -> Self {
        CpeConfig {
            url: String::new(),
            listen: "0.0.0.0".into(),
            port: DEFAULT_CR_PORT,
            path: "/".into(),
            username: String::new(),
            password: None,
            udp_port: None,
            digest_algorithms: DEFAULT_ALGORITHMS.to_vec(),
        }
    }
}

/// `[inform]`: periodic Inform (`inform`); seeds the `ManagementServer.PeriodicInform*` values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct InformConfig {
    /// `enable`: whether to Inform periodically; default true.
    pub enable: bool,
    /// Seconds, at least 1; default 86400 (one day).
    pub interval: u32,
    /// PeriodicInformTime (`xsd:dateTime`); absent = the unknown time (any phase).
    pub start_time: Option<String>,
}

impl Default for InformConfig {
    fn default() -> Self {
        InformConfig {
            enable: true,
            interval: 86_400,
            start_time: None,
        }
    }
}

/// `[transfer]`: the operator's `download`/`upload` switches; a refused request gets fault 9001.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TransferConfig {
    /// `download`: accept `Download` requests from the ACS; default true.
    pub download: bool,
    /// `upload`: accept `Upload` requests from the ACS; default true.
    pub upload: bool,
    /// `download_dir`: where downloads are stored; default `<state_dir>/downloads`.
    pub download_dir: Option<PathBuf>,
    /// `max_size`: largest file downloaded, in bytes; default 256 MiB.
    pub max_size: u64,
    /// `timeout`: longest one transfer may take, in seconds; default 600.
    pub timeout: u32,
    /// `apply_firmware`: shell command that installs a firmware image, run with the file's
    /// path and FileType as `$1` `$2`; a `version=V` line on its stdout is the new
    /// SoftwareVersion. Default: none (log only, the reboot is the agent's own).
    pub apply_firmware: Option<String>,
    /// `apply_config`: shell command that applies a vendor configuration file (`$1` `$2` as
    /// above). Default: none (log only).
    pub apply_config: Option<String>,
    /// `upload_config`: shell command whose stdout is the configuration file to upload.
    /// Default: the saved data-model tree.
    pub upload_config: Option<String>,
    /// `log_file`: the file uploaded as `2 Vendor Log File`; default none (refused).
    pub log_file: Option<PathBuf>,
    /// `upload_method`: `PUT` (default) or `POST`.
    pub upload_method: UploadMethod,
    /// `reboot`: after a firmware install, `simulate` (default: the agent's simulated reboot)
    /// or `exit` (the process exits with [`REBOOT_EXIT_STATUS`] for a supervisor to restart).
    pub reboot: RebootMode,
}

impl Default for TransferConfig {
    fn default() -> Self {
        TransferConfig {
            download: true,
            upload: true,
            download_dir: None,
            max_size: 256 * 1024 * 1024,
            timeout: 600,
            apply_firmware: None,
            apply_config: None,
            upload_config: None,
            log_file: None,
            upload_method: UploadMethod::Put,
            reboot: RebootMode::Simulate,
        }
    }
}

/// The exit status of the agent when it restarts itself for a reboot (`reboot = "exit"`).
pub const REBOOT_EXIT_STATUS: i32 = 75;

/// The HTTP method of an Upload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum UploadMethod {
    /// HTTP PUT (TR-069 §3.4.3: the CPE SHOULD use PUT).
    Put,
    /// HTTP POST.
    Post,
}

/// How the agent reboots after installing firmware.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RebootMode {
    /// The agent's simulated reboot: loop state rebuilt, `1 BOOT` raised, process kept.
    Simulate,
    /// Exit with [`REBOOT_EXIT_STATUS`]; a supervisor (or test) starts the agent again.
    Exit,
}

/// `[backup]`: the `backup` CLI setting. With `delay` > 0, a firmware upgrade after which the
/// agent completes no ACS session within `delay` seconds is rolled back.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BackupConfig {
    /// `enable`: whether backup is on; default false.
    pub enable: bool,
    /// `backup --delay-time S`; default 0.
    pub delay: u32,
}

/// `[tls]`: how the CPE verifies an `https` ACS and proves its own identity to it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TlsConfig {
    /// `ca_file`: PEM bundle of trusted CAs; default the system bundle
    /// ([`SYSTEM_CA_FILE`](crate::transport::SYSTEM_CA_FILE)) if present, else the built-in
    /// webpki roots.
    pub ca_file: Option<PathBuf>,
    /// `client_cert`: PEM certificate chain presented to the ACS (with `client_key`).
    pub client_cert: Option<PathBuf>,
    /// `client_key`: PEM private key of `client_cert`.
    pub client_key: Option<PathBuf>,
    /// `insecure_skip_verify`: accept any server certificate (lab use only, logged loudly);
    /// default false.
    pub insecure_skip_verify: bool,
}

/// `[data_model]`: which data model the device implements.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DataModelConfig {
    /// A Broadband Forum data-model XML (e.g. a newer `tr-181-2-18-0-cwmp-full.xml`) or a
    /// compact schema from `cwmp-schema compile`; unset: the model built into the binary
    /// (TR-181 2.17, or TR-098 1.8 for the `tr098-gateway` profile).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<PathBuf>,
    /// `tr181-gateway` (default) or `tr098-gateway`.
    #[serde(default = "default_profile")]
    pub profile: String,
}

fn default_profile() -> String {
    "tr181-gateway".into()
}

/// `[handlers]`: which handler applies each subtree (see [`crate::handlers`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HandlersConfig {
    /// `linux`: the built-in handlers of DeviceInfo, ManagementServer, Time,
    /// IP.Interface.{i}.IPv4Address and Ethernet.Interface (default true).
    #[serde(default = "yes")]
    pub linux: bool,
    /// `apply_program`: argv of the program that applies Time, IPv4Address and
    /// Ethernet.Interface settings (`set PATH VALUE...`, `add PATH`, `delete PATH`); unset:
    /// those settings are only stored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub apply_program: Option<Vec<String>>,
    /// `timeout`: seconds a handler program may run (1–300, default 10).
    #[serde(default = "default_handler_timeout")]
    pub timeout: u32,
    /// `[[handlers.program]]`: subtrees handled by external programs.
    #[serde(default, rename = "program", skip_serializing_if = "Vec::is_empty")]
    pub programs: Vec<ProgramRoute>,
}

/// `[[handlers.program]]`: one subtree handled by an external program.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProgramRoute {
    /// `subtree`: the object it owns, as a schema path (`Device.WiFi.`,
    /// `Device.IP.Interface.{i}.IPv4Address.`).
    pub subtree: String,
    /// `command`: the program (absolute path) and its fixed arguments; no shell.
    pub command: Vec<String>,
    /// `timeout`: seconds (1–300; default `[handlers] timeout`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<u32>,
    /// `live`: values are read from the program (`get PATH`) on every get (default false:
    /// the stored values are reported).
    #[serde(default)]
    pub live: bool,
}

fn yes() -> bool {
    true
}

fn default_handler_timeout() -> u32 {
    crate::handlers::DEFAULT_TIMEOUT_SECS
}

/// Most `[[handlers.program]]` entries.
pub const MAX_HANDLER_PROGRAMS: usize = 64;

impl Default for HandlersConfig {
    fn default() -> Self {
        HandlersConfig {
            linux: true,
            apply_program: None,
            timeout: default_handler_timeout(),
            programs: Vec::new(),
        }
    }
}

fn check_command(key: &'static str, argv: &[String]) -> Result<(), ConfigError> {
    match argv.first() {
        None => Err(invalid(key, "must name a program")),
        Some(p) if !p.starts_with('/') => Err(invalid(key, "the program must be an absolute path")),
        Some(_) if argv.len() > 32 || argv.iter().any(|a| a.len() > 1024 || a.contains('\0')) => {
            Err(invalid(
                key,
                "at most 32 arguments of at most 1024 bytes, no NUL",
            ))
        }
        Some(_) => Ok(()),
    }
}

impl HandlersConfig {
    fn validate(&self) -> Result<(), ConfigError> {
        let timeout_ok = |t: u32| (1..=300).contains(&t);
        if !timeout_ok(self.timeout) {
            return Err(invalid("handlers.timeout", "must be 1 to 300 seconds"));
        }
        if let Some(a) = &self.apply_program {
            check_command("handlers.apply_program", a)?;
        }
        if self.programs.len() > MAX_HANDLER_PROGRAMS {
            return Err(invalid(
                "handlers.program",
                format!("at most {MAX_HANDLER_PROGRAMS} entries"),
            ));
        }
        for p in &self.programs {
            let subtree_ok = cwmp_datamodel::SchemaPath::parse(&p.subtree)
                .is_ok_and(|s| s.is_object() && s.as_str() == p.subtree);
            if !subtree_ok {
                return Err(invalid(
                    "handlers.program.subtree",
                    format!("{:?} is not an object path such as Device.WiFi.", p.subtree),
                ));
            }
            check_command("handlers.program.command", &p.command)?;
            if p.timeout.is_some_and(|t| !timeout_ok(t)) {
                return Err(invalid(
                    "handlers.program.timeout",
                    "must be 1 to 300 seconds",
                ));
            }
        }
        Ok(())
    }
}

impl Default for DataModelConfig {
    fn default() -> Self {
        DataModelConfig {
            file: None,
            profile: default_profile(),
        }
    }
}

impl DataModelConfig {
    /// The built-in model the profile is written for (used when `file` is unset).
    pub fn builtin(&self) -> cwmp_datamodel::BuiltinModel {
        if self.profile == "tr098-gateway" {
            cwmp_datamodel::BuiltinModel::Tr098
        } else {
            cwmp_datamodel::BuiltinModel::Tr181
        }
    }
}

/// Checks `http(s)://host[:port]/path` of at most 256 characters.
pub fn check_url(key: &'static str, url: &str) -> Result<(), ConfigError> {
    if url.len() > MAX_URL_LEN {
        return Err(invalid(
            key,
            format!("longer than {MAX_URL_LEN} characters"),
        ));
    }
    let rest = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"))
        .ok_or_else(|| invalid(key, "must start with http:// or https://"))?;
    let (authority, _path) = rest.split_once('/').unwrap_or((rest, ""));
    if authority.is_empty() || authority.chars().any(|c| c.is_whitespace() || c == '@') {
        return Err(invalid(key, "missing or bad host"));
    }
    if let Some((host, port)) = authority.rsplit_once(':') {
        if !host.ends_with(']') && host.contains(':') {
            return Err(invalid(key, "IPv6 hosts must be in brackets"));
        }
        if host.is_empty() || port.parse::<u16>().map_or(true, |p| p == 0) {
            return Err(invalid(key, "bad host or port"));
        }
    }
    if url.chars().any(char::is_whitespace) {
        return Err(invalid(key, "contains whitespace"));
    }
    Ok(())
}

/// Checks a password of 1 to 26 characters.
pub fn check_password(key: &'static str, password: &str) -> Result<(), ConfigError> {
    let n = password.chars().count();
    if !(1..=MAX_PASSWORD_LEN).contains(&n) {
        return Err(invalid(
            key,
            format!("must have 1 to {MAX_PASSWORD_LEN} characters"),
        ));
    }
    Ok(())
}

/// Checks a username of at most 256 characters.
pub fn check_username(key: &'static str, user: &str) -> Result<(), ConfigError> {
    if user.len() > MAX_URL_LEN {
        return Err(invalid(key, "longer than 256 characters"));
    }
    Ok(())
}

/// `cpe.digest_algorithms`: at least one, each at most once.
pub fn check_digest_algorithms(algorithms: &[Algorithm]) -> Result<(), ConfigError> {
    const KEY: &str = "cpe.digest_algorithms";
    if algorithms.is_empty() {
        return Err(invalid(KEY, "name at least one algorithm, e.g. [\"MD5\"]"));
    }
    for (i, a) in algorithms.iter().enumerate() {
        if algorithms[..i].contains(a) {
            return Err(invalid(KEY, format!("{} is listed twice", a.name())));
        }
    }
    Ok(())
}

impl Config {
    /// Reads, parses and validates a file.
    pub fn from_file(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        Config::parse(&text).map_err(|e| match e {
            ConfigError::Parse { message, .. } => ConfigError::Parse {
                path: path.to_owned(),
                message,
            },
            other => other,
        })
    }

    /// Parses and validates TOML text.
    pub fn parse(text: &str) -> Result<Config, ConfigError> {
        let config: Config = toml::from_str(text).map_err(|e| ConfigError::Parse {
            path: PathBuf::new(),
            message: e.to_string(),
        })?;
        config.validate()?;
        Ok(config)
    }

    /// The checks the device CLIs make.
    pub fn validate(&self) -> Result<(), ConfigError> {
        check_url("acs.url", &self.acs.url)?;
        check_username("acs.username", &self.acs.username)?;
        if let Some(p) = &self.acs.password {
            check_password("acs.password", p)?;
        }
        if !self.cpe.url.is_empty() {
            check_url("cpe.url", &self.cpe.url)?;
        }
        if self.cpe.port == 0 {
            return Err(invalid("cpe.port", "must be 1..65535"));
        }
        if self.cpe.udp_port == Some(0) {
            return Err(invalid("cpe.udp_port", "must be 1..65535"));
        }
        if !self.cpe.path.starts_with('/') {
            return Err(invalid("cpe.path", "must start with /"));
        }
        self.cpe
            .listen
            .parse::<std::net::IpAddr>()
            .map_err(|e| invalid("cpe.listen", e.to_string()))?;
        check_digest_algorithms(&self.cpe.digest_algorithms)?;
        check_username("cpe.username", &self.cpe.username)?;
        if let Some(p) = &self.cpe.password {
            check_password("cpe.password", p)?;
        }
        if self.tls.client_cert.is_some() != self.tls.client_key.is_some() {
            return Err(invalid(
                "tls.client_cert",
                "client_cert and client_key go together",
            ));
        }
        if self.inform.interval == 0 {
            return Err(invalid("inform.interval", "must be at least 1 second"));
        }
        self.periodic_time()?;
        if self.session_timeout == 0 {
            return Err(invalid("session_timeout", "must be at least 1 second"));
        }
        self.handlers.validate()?;
        if !matches!(
            self.data_model.profile.as_str(),
            "tr181-gateway" | "tr098-gateway"
        ) {
            return Err(invalid(
                "data_model.profile",
                "must be tr181-gateway or tr098-gateway",
            ));
        }
        Ok(())
    }

    /// PeriodicInformTime (unknown when not set).
    pub fn periodic_time(&self) -> Result<DateTime, ConfigError> {
        match &self.inform.start_time {
            None => Ok(DateTime::UNKNOWN),
            Some(t) => t
                .parse::<DateTime>()
                .map_err(|e| invalid("inform.start_time", e.to_string())),
        }
    }

    /// The session timeout (`session_timeout`) as a [`Duration`].
    pub fn timeout(&self) -> Duration {
        Duration::from_secs(u64::from(self.session_timeout))
    }

    /// The control socket's path (`control_socket`, default in the state dir).
    pub fn control_socket(&self) -> PathBuf {
        self.control_socket
            .clone()
            .unwrap_or_else(|| self.state_dir.join("cwmp-cpe.sock"))
    }

    /// The data-model root of the profile (`Device.` or `InternetGatewayDevice.`).
    pub fn root(&self) -> &'static str {
        if self.data_model.profile == "tr098-gateway" {
            "InternetGatewayDevice."
        } else {
            "Device."
        }
    }

    /// The `ManagementServer.` values the config seeds into a fresh tree, in order.
    pub fn management_server_seed(&self) -> Vec<(String, String)> {
        let ms = format!("{}ManagementServer.", self.root());
        let mut v = vec![
            ("URL", self.acs.url.clone()),
            ("Username", self.acs.username.clone()),
            ("Password", self.acs.password.clone().unwrap_or_default()),
            ("PeriodicInformEnable", self.inform.enable.to_string()),
            ("PeriodicInformInterval", self.inform.interval.to_string()),
            ("ConnectionRequestUsername", self.cpe.username.clone()),
            (
                "ConnectionRequestPassword",
                self.cpe.password.clone().unwrap_or_default(),
            ),
        ];
        if let Some(t) = &self.inform.start_time {
            v.push(("PeriodicInformTime", t.clone()));
        }
        if !self.cpe.url.is_empty() {
            v.push(("ConnectionRequestURL", self.cpe.url.clone()));
        }
        v.into_iter()
            .map(|(k, val)| (format!("{ms}{k}"), val))
            .collect()
    }

    /// The effective config as TOML, passwords masked.
    pub fn to_masked_toml(&self) -> String {
        let mut c = self.clone();
        let mask = |p: &mut Option<String>| {
            if p.is_some() {
                *p = Some("********".into());
            }
        };
        mask(&mut c.acs.password);
        mask(&mut c.cpe.password);
        toml::to_string_pretty(&c).unwrap_or_else(|e| format!("# cannot print: {e}\n"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: &str = r#"
state_dir = "/tmp/x"
[acs]
url = "http://acs.example.com:7547/acs"
[data_model]
file = "tr-181.xml"
"#;

    #[test]
    fn defaults() {
        let c = Config::parse(MIN).expect("valid");
        assert_eq!(c.cpe.port, 7547);
        assert_eq!(c.session_timeout, 30);
        assert_eq!(c.inform.interval, 86_400);
        assert!(c.transfer.download && c.transfer.upload);
        assert_eq!(c.data_model.profile, "tr181-gateway");
        assert_eq!(c.root(), "Device.");
        assert!(c.to_masked_toml().contains("acs.example.com"));
        assert_eq!(c.tls, TlsConfig::default());
        assert!(!c.tls.insecure_skip_verify, "verification is on by default");
    }

    #[test]
    fn tls_section() {
        let text = format!(
            "{MIN}\n[tls]\nca_file = \"/etc/acs-ca.pem\"\nclient_cert = \"c.pem\"\nclient_key = \"k.pem\"\n"
        );
        let c = Config::parse(&text).expect("valid");
        assert_eq!(c.tls.ca_file, Some(PathBuf::from("/etc/acs-ca.pem")));
        assert!(!c.tls.insecure_skip_verify);
        let lone_cert = format!("{MIN}\n[tls]\nclient_cert = \"c.pem\"\n");
        assert!(Config::parse(&lone_cert).is_err());
        let typo = format!("{MIN}\n[tls]\nskip_verify = true\n");
        assert!(Config::parse(&typo).is_err());
        let lab = format!("{MIN}\n[tls]\ninsecure_skip_verify = true\n");
        assert!(Config::parse(&lab).expect("valid").tls.insecure_skip_verify);
    }

    #[test]
    fn digest_algorithms() {
        let c = Config::parse(MIN).expect("valid");
        assert_eq!(c.cpe.digest_algorithms, [Algorithm::Md5]);
        let both = format!("{MIN}\n[cpe]\ndigest_algorithms = [\"sha-256\", \"MD5\"]\n");
        let c = Config::parse(&both).expect("valid");
        assert_eq!(c.cpe.digest_algorithms, [Algorithm::Sha256, Algorithm::Md5]);
        let shown = c.to_masked_toml();
        assert!(
            shown.contains("\"SHA-256\"") && shown.contains("digest_algorithms"),
            "{shown}"
        );
        for (bad, says) in [
            ("[]", "at least one"),
            ("[\"MD5\", \"md5\"]", "listed twice"),
            ("[\"SHA-1\"]", "unknown digest algorithm \"SHA-1\""),
            ("\"MD5\"", "invalid type"),
        ] {
            let text = format!("{MIN}\n[cpe]\ndigest_algorithms = {bad}\n");
            let e = Config::parse(&text).expect_err(bad).to_string();
            assert!(e.contains(says), "{bad}: {e}");
        }
    }

    #[test]
    fn unknown_keys_rejected() {
        let text = format!("{MIN}\nbogus = 1\n");
        assert!(matches!(
            Config::parse(&text),
            Err(ConfigError::Parse { .. })
        ));
        let text = MIN.replace("[acs]", "[acs]\nurll = \"x\"");
        assert!(Config::parse(&text).is_err());
    }

    #[test]
    fn urls_and_passwords() {
        for ok in [
            "http://a/",
            "https://acs.example.com:8443/cwmp",
            "http://[::1]:80/x",
            "http://10.0.0.1",
        ] {
            check_url("u", ok).unwrap_or_else(|e| panic!("{ok}: {e}"));
        }
        let long = format!("http://a/{}", "x".repeat(250));
        for bad in [
            "ftp://a/",
            "http:///x",
            "http://a:0/",
            "http://a:99999/",
            "http://a b/",
            &long,
        ] {
            assert!(check_url("u", bad).is_err(), "{bad}");
        }
        assert!(check_password("p", "").is_err());
        assert!(check_password("p", &"x".repeat(27)).is_err());
        check_password("p", &"x".repeat(26)).expect("26 is fine");
        let text = MIN.replace("[acs]", "[acs]\npassword = \"\"");
        assert!(Config::parse(&text).is_err());
        let text = format!("{MIN}\n[inform]\nstart_time = \"nope\"\n");
        assert!(Config::parse(&text).is_err());
    }

    #[test]
    fn seed_and_mask() {
        let text = MIN.replace("[acs]", "[acs]\npassword = \"secret\"");
        let c = Config::parse(&text).expect("valid");
        let seed = c.management_server_seed();
        assert!(seed.contains(&("Device.ManagementServer.Password".into(), "secret".into())));
        assert!(!c.to_masked_toml().contains("secret"));
    }
}
