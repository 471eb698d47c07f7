//! The server's configuration: a TOML file whose every key can be overridden by an
//! environment variable `CWMP_ACS_<KEY>` (the key upper-cased), with defaults for
//! everything so that no file is needed.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Prefix of the environment variables that override configuration keys.
pub const ENV_PREFIX: &str = "CWMP_ACS_";

/// Keys without a default (absent from the file unless set) that the environment may still
/// set; they all hold paths, so their variables are taken as text.
const OPTIONAL_PATH_KEYS: &[&str] = &[
    "cwmp_tls_cert_file",
    "cwmp_tls_key_file",
    "file_tls_cert_file",
    "file_tls_key_file",
];

/// The effective configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Directory of the embedded store.
    pub data_dir: PathBuf,
    /// Page cache of the store's write connection (MiB). Sessions rewrite their devices'
    /// pages; pages out of the cache are read back from the file on every session.
    pub store_cache_mib: u32,
    /// Where the device store is: empty (the default) for the embedded SQLite store in
    /// `data_dir`, or `postgres://user:password@host[,host2]/db?target_session_attrs=read-write`
    /// for a PostgreSQL database shared by several nodes (docs/CLUSTER.md).
    pub store_url: String,
    /// Connections this node keeps to a PostgreSQL store.
    pub store_max_connections: u32,
    /// Address of the CWMP endpoint.
    pub cwmp_listen: SocketAddr,
    /// Address of the northbound API (loopback by default).
    pub api_listen: SocketAddr,
    /// Name of this node, the prefix of its session lease holders. Keep it across restarts:
    /// at start-up the node releases the leases held under this name (its previous run's).
    /// Nodes sharing one store need distinct names.
    pub node_name: String,
    /// A session with no message for this long is over (seconds).
    pub session_timeout_secs: u64,
    /// Most CWMP sessions in progress at once; further new sessions get 503.
    pub max_sessions: usize,
    /// `Retry-After` (seconds) sent to new sessions refused under overload.
    pub overload_retry_after_secs: u64,
    /// `Retry-After` (seconds) sent to a second concurrent session of one device.
    pub busy_retry_after_secs: u64,
    /// A session whose connection closes ends after this long (milliseconds) unless its
    /// CPE continues it, cookie in hand, on a new connection; 0 (the default): at once, so
    /// that a CPE that rebooted or lost its connection is served as soon as it comes back.
    pub session_reconnect_grace_ms: u64,
    /// The per-session `session finished` INFO line: `"off"` (the default), `"all"`, or
    /// `"sample:N"` (one session in N).
    pub session_log: crate::session_log::SessionLines,
    /// Seconds between the summary lines of session counts (none while idle; 0: never).
    pub log_summary_secs: u64,
    /// Longest request body, before and after decompression (bytes).
    pub max_body_bytes: usize,
    /// Time a client has to send the request headers (seconds).
    pub header_read_timeout_secs: u64,
    /// Deepest XML element nesting accepted.
    pub max_xml_depth: usize,
    /// Most XML elements in one message.
    pub max_xml_elements: usize,
    /// Longest XML text or attribute value (bytes).
    pub max_xml_string_bytes: usize,
    /// How CPEs authenticate (`[cpe_auth]`); open when nothing is configured.
    pub cpe_auth: crate::cpe_auth::CpeAuthConfig,
    /// Public base URL of the file server as CPEs reach it (e.g. `http://acs.example:7567`),
    /// the prefix of the signed URLs of downloads and uploads; empty: the file server's bound
    /// address (`http(s)://ip:port`), unless it listens on an unspecified address (then tasks
    /// and presets that name stored files fault).
    pub file_base_url: String,
    /// Give every bootstrapping CPE random Connection Request credentials, preset or not.
    pub cr_credentials_on_bootstrap: bool,
    /// PEM certificate chain of the CWMP endpoint; with `cwmp_tls_key_file` it serves HTTPS
    /// only (TR-069 §3.4.4). Unset (the default): plain HTTP.
    pub cwmp_tls_cert_file: Option<PathBuf>,
    /// PEM private key of `cwmp_tls_cert_file`.
    pub cwmp_tls_key_file: Option<PathBuf>,
    /// Serve the API's `/metrics` without the bearer token (for scrapers that cannot send
    /// one); off by default, since metrics reveal load and device activity.
    pub metrics_public: bool,
    /// Address of the file server CPEs download from and upload to (its public URL is
    /// `file_base_url`).
    pub file_listen: SocketAddr,
    /// PEM certificate chain of the file server; with `file_tls_key_file` it serves HTTPS.
    pub file_tls_cert_file: Option<PathBuf>,
    /// PEM private key of `file_tls_cert_file`.
    pub file_tls_key_file: Option<PathBuf>,
    /// Largest file the API accepts (bytes).
    pub max_file_bytes: u64,
    /// Largest file a CPE may upload (bytes).
    pub max_upload_bytes: u64,
    /// Most downloads and uploads the file server serves at once; more get 503.
    pub max_concurrent_transfers: usize,
    /// A file server connection that moves no byte for this long is closed (seconds).
    pub file_idle_timeout_secs: u64,
    /// A transfer the CPE accepted but never reported with TransferComplete is faulted
    /// after this long (seconds); it is also the lifetime of the signed URLs.
    pub transfer_timeout_secs: u64,
    /// How long this node's sessions reuse the presets they read (milliseconds): a change
    /// made through this node applies at once, one made through another node within this.
    pub preset_cache_ms: u64,
    /// Provision and virtual parameter scripts (`[scripts]`): limits, extensions.
    pub scripts: crate::script::ScriptConfig,
}

impl Default for Config {
    fn default() -> Config {
        let limits = cwmp::Limits::default();
        Config {
            data_dir: PathBuf::from("./data"),
            store_cache_mib: crate::store::SqliteConfig::DEFAULT_WRITE_CACHE_MIB,
            store_url: String::new(),
            store_max_connections: 16,
            cwmp_listen: SocketAddr::from(([0, 0, 0, 0], 7547)),
            api_listen: SocketAddr::from(([127, 0, 0, 1], 7557)),
            node_name: "acs".into(),
            session_timeout_secs: 30,
            max_sessions: 10_000,
            overload_retry_after_secs: 30,
            busy_retry_after_secs: 10,
            session_reconnect_grace_ms: 0,
            session_log: crate::session_log::SessionLines::Off,
            log_summary_secs: 10,
            max_body_bytes: limits.max_bytes,
            header_read_timeout_secs: 30,
            max_xml_depth: limits.max_depth,
            max_xml_elements: limits.max_elements,
            max_xml_string_bytes: limits.max_string_bytes,
            cpe_auth: crate::cpe_auth::CpeAuthConfig::default(),
            file_base_url: String::new(),
            cr_credentials_on_bootstrap: false,
            cwmp_tls_cert_file: None,
            cwmp_tls_key_file: None,
            metrics_public: false,
            file_listen: SocketAddr::from(([0, 0, 0, 0], 7567)),
            file_tls_cert_file: None,
            file_tls_key_file: None,
            max_file_bytes: 1 << 30,
            max_upload_bytes: 64 << 20,
            max_concurrent_transfers: 256,
            file_idle_timeout_secs: 60,
            transfer_timeout_secs: 3600,
            preset_cache_ms: 2000,
            scripts: crate::script::ScriptConfig::default(),
        }
    }
}

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
    /// The file, or the file with the environment applied, is not a valid configuration.
    #[error("invalid configuration{origin}: {message}")]
    Invalid {
        /// Where (` in <file>`, or empty).
        origin: String,
        /// What.
        message: String,
    },
}

impl Config {
    /// Loads `file` (defaults when `None`) and applies the `CWMP_ACS_*` variables of the
    /// process environment.
    pub fn load(file: Option<&Path>) -> Result<Config, ConfigError> {
        let text = match file {
            Some(path) => std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
                path: path.to_owned(),
                source,
            })?,
            None => String::new(),
        };
        let origin = file.map_or(String::new(), |p| format!(" in {}", p.display()));
        Config::from_toml_and_env(&text, &origin, |key| std::env::var(key).ok())
    }

    /// Parses `text` and applies overrides looked up by `env` (variable name → value).
    /// An override value is read as a TOML value (`30`, `true`, `"x"`) and, when it is not
    /// one, as a string (`0.0.0.0:7547`, `./data`).
    pub fn from_toml_and_env(
        text: &str,
        origin: &str,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Config, ConfigError> {
        let invalid = |message: String| ConfigError::Invalid {
            origin: origin.to_owned(),
            message,
        };
        let from_file: Config = toml::from_str(text).map_err(|e| invalid(e.to_string()))?;
        let mut table = toml::Table::try_from(&from_file).map_err(|e| invalid(e.to_string()))?;
        let mut keys: Vec<String> = table.keys().cloned().collect();
        for key in OPTIONAL_PATH_KEYS {
            if !table.contains_key(*key) {
                keys.push((*key).to_owned());
            }
        }
        let mut overridden = false;
        for key in keys {
            let var = format!("{ENV_PREFIX}{}", key.to_ascii_uppercase());
            let Some(raw) = env(&var) else { continue };
            let value = toml::from_str::<toml::Table>(&format!("v = {raw}"))
                .ok()
                .and_then(|mut t| t.remove("v"))
                .unwrap_or_else(|| toml::Value::String(raw.clone()));
            // A key that holds a string takes the raw text even when it looks like a number;
            // so does an unset optional key (a path).
            let value = match (table.get(&key), value) {
                (Some(toml::Value::String(_)) | None, v) if !v.is_str() => toml::Value::String(raw),
                (_, v) => v,
            };
            table.insert(key, value);
            overridden = true;
        }
        if !overridden {
            return Ok(from_file);
        }
        table
            .try_into::<Config>()
            .map_err(|e| invalid(format!("{e} (after applying {ENV_PREFIX}* variables)")))
    }

    /// The configuration as TOML, as `config show` prints it (secrets redacted).
    pub fn to_toml(&self) -> String {
        let shown = Config {
            cpe_auth: self.cpe_auth.redacted(),
            store_url: redact_url_password(&self.store_url),
            ..self.clone()
        };
        toml::to_string(&shown).unwrap_or_else(|e| format!("# cannot render: {e}\n"))
    }

    /// Session timeout.
    pub fn session_timeout(&self) -> Duration {
        Duration::from_secs(self.session_timeout_secs)
    }

    /// XML parser limits.
    pub fn limits(&self) -> cwmp::Limits {
        cwmp::Limits {
            max_bytes: self.max_body_bytes,
            max_depth: self.max_xml_depth,
            max_elements: self.max_xml_elements,
            max_string_bytes: self.max_xml_string_bytes,
            max_attributes: cwmp::Limits::default().max_attributes,
        }
    }
}

/// `url` with the password of its `user:password@` part replaced by `***`.
pub fn redact_url_password(url: &str) -> String {
    let Some(scheme_end) = url.find("://").map(|i| i + 3) else {
        return url.to_owned();
    };
    let rest = &url[scheme_end..];
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let Some(at) = rest[..authority_end].rfind('@') else {
        return url.to_owned();
    };
    match rest[..at].find(':') {
        Some(colon) => format!(
            "{}{}:***{}",
            &url[..scheme_end],
            &rest[..colon],
            &rest[at..]
        ),
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_without_file_or_env() {
        let c = Config::from_toml_and_env("", "", |_| None).expect("config");
        assert_eq!(c, Config::default());
        assert_eq!(c.cwmp_listen.port(), 7547);
        assert_eq!(c.session_timeout(), Duration::from_secs(30));
        assert_eq!(c.data_dir, PathBuf::from("./data"));
    }

    #[test]
    fn file_then_env_overrides() {
        let text = "max_sessions = 5\nnode_name = \"n1\"\n";
        let c = Config::from_toml_and_env(text, "", |k| match k {
            "CWMP_ACS_MAX_SESSIONS" => Some("7".into()),
            "CWMP_ACS_CWMP_LISTEN" => Some("127.0.0.1:9000".into()),
            "CWMP_ACS_NODE_NAME" => Some("42".into()),
            "CWMP_ACS_DATA_DIR" => Some("/var/lib/acs".into()),
            _ => None,
        })
        .expect("config");
        assert_eq!(c.max_sessions, 7);
        assert_eq!(c.cwmp_listen, "127.0.0.1:9000".parse().expect("addr"));
        assert_eq!(c.node_name, "42");
        assert_eq!(c.data_dir, PathBuf::from("/var/lib/acs"));
    }

    #[test]
    fn tls_files_from_file_or_env() {
        let c = Config::from_toml_and_env("", "", |_| None).expect("config");
        assert_eq!((c.cwmp_tls_cert_file, c.cwmp_tls_key_file), (None, None));
        let text = "cwmp_tls_cert_file = \"/etc/acs/cert.pem\"\n";
        let c = Config::from_toml_and_env(text, "", |k| {
            (k == "CWMP_ACS_CWMP_TLS_KEY_FILE").then(|| "/etc/acs/key.pem".to_owned())
        })
        .expect("config");
        assert_eq!(
            c.cwmp_tls_cert_file,
            Some(PathBuf::from("/etc/acs/cert.pem"))
        );
        assert_eq!(c.cwmp_tls_key_file, Some(PathBuf::from("/etc/acs/key.pem")));
        let back: Config = toml::from_str(&c.to_toml()).expect("parse");
        assert_eq!(back, c);
    }

    #[test]
    fn bad_input_is_reported() {
        assert!(Config::from_toml_and_env("nope = 1", "", |_| None).is_err());
        let bad_env = Config::from_toml_and_env("", "", |k| {
            (k == "CWMP_ACS_MAX_SESSIONS").then(|| "many".to_owned())
        });
        assert!(bad_env.is_err());
    }

    #[test]
    fn a_store_url_shows_without_its_password() {
        assert_eq!(
            redact_url_password("postgres://acs:s3cret@db1,db2/acs?sslmode=disable"),
            "postgres://acs:***@db1,db2/acs?sslmode=disable"
        );
        assert_eq!(
            redact_url_password("postgres://acs@db/acs"),
            "postgres://acs@db/acs"
        );
        assert_eq!(redact_url_password(""), "");
        let c = Config::from_toml_and_env("", "", |k| {
            (k == "CWMP_ACS_STORE_URL").then(|| "postgres://u:pw@h/d".to_owned())
        })
        .unwrap();
        assert_eq!(c.store_url, "postgres://u:pw@h/d");
        assert!(
            c.to_toml().contains("postgres://u:***@h/d"),
            "{}",
            c.to_toml()
        );
    }

    #[test]
    fn cpe_auth_section_and_redaction() {
        let text = "[cpe_auth]\nusername = \"cpe\"\npassword = \"s3cret\"\n";
        let c = Config::from_toml_and_env(text, "", |k| {
            (k == "CWMP_ACS_MAX_SESSIONS").then(|| "9".to_owned())
        })
        .expect("config");
        assert_eq!(c.cpe_auth.password.expose(), "s3cret");
        assert!(!c.to_toml().contains("s3cret"));
        assert!(!format!("{c:?}").contains("s3cret"));
        let open = Config::from_toml_and_env("", "", |k| {
            (k == "CWMP_ACS_CPE_AUTH").then(|| "{ mode = \"per-device\" }".to_owned())
        })
        .expect("config");
        assert_eq!(
            open.cpe_auth.mode,
            Some(crate::cpe_auth::CpeAuthMode::PerDevice)
        );
    }

    #[test]
    fn shown_config_round_trips() {
        let c = Config::default();
        let back: Config = toml::from_str(&c.to_toml()).expect("parse");
        assert_eq!(back, c);
    }
}
