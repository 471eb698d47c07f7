//! The command line (`cwmp-sim run …`), turned into a [`SimConfig`].

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use cwmp::CwmpVersion;
use cwmp_cpe::transport::Credentials;

use crate::faults::FaultShares;
use crate::load::Pacing;
use crate::run::SimConfig;
use crate::serial::SerialPattern;

/// CWMP (TR-069) fleet simulator: many virtual CPEs against one ACS.
#[derive(Debug, Parser)]
#[command(name = "cwmp-sim", version)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Simulate a fleet against an ACS and print a report.
    Run(RunArgs),
}

/// `cwmp-sim run` options.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// The ACS URL (http://; loopback unless the host is given with --allow-host).
    #[arg(long)]
    pub acs: String,
    /// Hosts besides loopback the ACS may be on (repeatable).
    #[arg(long = "allow-host")]
    pub allow_host: Vec<String>,
    /// Number of virtual devices.
    #[arg(long, default_value_t = 100)]
    pub devices: u32,
    /// Most concurrent sessions; alone, run as fast as possible with that many.
    #[arg(long)]
    pub concurrency: Option<usize>,
    /// Target session starts per second.
    #[arg(long, conflicts_with = "ramp")]
    pub rate: Option<f64>,
    /// Rate ramp FROM:TO:SECONDS (sessions per second).
    #[arg(long)]
    pub ramp: Option<String>,
    /// Stop after this many seconds (default 60 unless --sessions is given).
    #[arg(long)]
    pub duration: Option<f64>,
    /// Stop after starting this many sessions.
    #[arg(long)]
    pub sessions: Option<u64>,
    /// Device model: tr181, tr098 or a genieacs-sim CSV file.
    #[arg(long, default_value = "tr181")]
    pub model: String,
    /// Load the data model from this directory's Broadband Forum XML files
    /// (tr-181-2-17-0-cwmp-full.xml, tr-098-1-8-0-full.xml) instead of the built-in models.
    #[arg(long)]
    pub schema_dir: Option<PathBuf>,
    /// Serial numbers, e.g. SIM{n:08} (devices are numbered from 1).
    #[arg(long, default_value = "SIM{n:08}")]
    pub serial_pattern: String,
    /// DeviceInfo.ManufacturerOUI of every device.
    #[arg(long)]
    pub oui: Option<String>,
    /// DeviceInfo.ProductClass of every device.
    #[arg(long)]
    pub product_class: Option<String>,
    /// PeriodicInformInterval (seconds) until the ACS sets one.
    #[arg(long)]
    pub inform_interval: Option<u32>,
    /// Periodic jitter as a fraction of the interval.
    #[arg(long, default_value_t = 0.1)]
    pub jitter: f64,
    /// Spread the first sessions over this many seconds.
    #[arg(long, default_value_t = 0.0)]
    pub boot_spread: f64,
    /// Connection Request listener address ("off": none).
    #[arg(long, default_value = "127.0.0.1:0")]
    pub cr_listen: String,
    /// ConnectionRequestUsername of every device.
    #[arg(long, default_value = "sim")]
    pub cr_username: String,
    /// ConnectionRequestPassword of every device.
    #[arg(long, default_value = "sim")]
    pub cr_password: String,
    /// Username towards the ACS.
    #[arg(long, requires = "acs_password")]
    pub acs_username: Option<String>,
    /// Password towards the ACS.
    #[arg(long, requires = "acs_username")]
    pub acs_password: Option<String>,
    /// Fault shares, e.g. drop=0.01,slow=0.01,malformed=0.01,wrong_id=0.01,cpe_fault=0.01,duplicate_inform=0.01.
    #[arg(long, default_value = "")]
    pub faults: String,
    /// Delay of each message of a slow session, in milliseconds.
    #[arg(long, default_value_t = 2000)]
    pub slow_delay_ms: u64,
    /// Local value changes per second, fleet-wide.
    #[arg(long, default_value_t = 0.0)]
    pub value_changes: f64,
    /// The parameter the value changes touch (default {root}DeviceInfo.ProvisioningCode).
    #[arg(long)]
    pub value_change_param: Option<String>,
    /// Seconds a reboot takes.
    #[arg(long, default_value_t = 3.0)]
    pub reboot_delay: f64,
    /// Whole-session timeout in seconds.
    #[arg(long, default_value_t = 30.0)]
    pub session_timeout: f64,
    /// Session worker threads (default: the number of CPUs).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Seed of the randomness, for repeatable runs.
    #[arg(long)]
    pub seed: Option<u64>,
    /// CWMP version of the Informs (1.0 to 1.4).
    #[arg(long, default_value = "1.2")]
    pub cwmp_version: String,
    /// Write the report as JSON to this file.
    #[arg(long)]
    pub report: Option<PathBuf>,
    /// Only build the fleet and print its memory per device.
    #[arg(long)]
    pub dry_run: bool,
    /// The devices are known to the ACS (bootstrapped by an earlier run): their first
    /// session is a `2 PERIODIC` Inform instead of `0 BOOTSTRAP` + `1 BOOT`.
    #[arg(long)]
    pub known: bool,
    /// Outage storm: the devices, known to the ACS, all power up within this many seconds
    /// (uniformly), each with `1 BOOT`; the run ends once every device has completed a
    /// session, and the report gives the time that took (`all_booted_s`).
    #[arg(long, conflicts_with_all = ["known", "boot_spread"])]
    pub storm: Option<f64>,
}

fn seconds(name: &str, v: f64) -> Result<Duration, String> {
    Duration::try_from_secs_f64(v).map_err(|_| format!("--{name}: not a number of seconds: {v}"))
}

impl RunArgs {
    /// The run's configuration.
    pub fn to_config(&self) -> Result<SimConfig, String> {
        let mut c = SimConfig::new(self.acs.clone(), self.devices);
        c.allow_hosts = self.allow_host.clone();
        c.pacing = match (&self.rate, &self.ramp, self.concurrency) {
            (Some(r), _, _) if r.is_finite() && *r > 0.0 => Pacing::Rate(*r),
            (Some(r), _, _) => return Err(format!("--rate {r}: must be above 0")),
            (None, Some(spec), _) => Pacing::parse_ramp(spec).map_err(|e| e.to_string())?,
            (None, None, Some(_)) => Pacing::FlatOut,
            (None, None, None) => Pacing::Periodic,
        };
        if let Some(n) = self.concurrency {
            c.concurrency = n;
        }
        c.duration = match (self.duration, self.sessions) {
            (Some(d), _) => Some(seconds("duration", d)?),
            (None, Some(_)) => None,
            (None, None) => c.duration,
        };
        c.max_sessions = self.sessions;
        c.model = self.model.parse()?;
        c.schema_dir = self.schema_dir.clone();
        c.serials = SerialPattern::parse(&self.serial_pattern).map_err(|e| e.to_string())?;
        c.oui = self.oui.clone();
        c.product_class = self.product_class.clone();
        c.inform_interval = self.inform_interval;
        if !(0.0..=1.0).contains(&self.jitter) {
            return Err("--jitter must be from 0 to 1".into());
        }
        c.jitter = self.jitter;
        c.boot_spread = seconds("boot-spread", self.boot_spread)?;
        c.cr_listen = match self.cr_listen.as_str() {
            "off" => None,
            a => Some(
                a.parse::<SocketAddr>()
                    .map_err(|e| format!("--cr-listen {a}: {e}"))?,
            ),
        };
        c.cr_credentials = (self.cr_username.clone(), self.cr_password.clone());
        c.acs_credentials = match (&self.acs_username, &self.acs_password) {
            (Some(u), Some(p)) => Some(Credentials::new(u, p)),
            _ => None,
        };
        let mut faults: FaultShares = self.faults.parse().map_err(|e| format!("{e}"))?;
        faults.slow_delay = Duration::from_millis(self.slow_delay_ms);
        c.faults = faults;
        if !self.value_changes.is_finite() || self.value_changes < 0.0 {
            return Err("--value-changes must be 0 or more".into());
        }
        c.value_changes_per_s = self.value_changes;
        c.value_change_param = self.value_change_param.clone();
        c.reboot_delay = seconds("reboot-delay", self.reboot_delay)?;
        c.session_timeout = seconds("session-timeout", self.session_timeout)?;
        if let Some(t) = self.threads {
            c.threads = t.max(1);
        }
        c.seed = self.seed;
        c.known = self.known;
        if let Some(storm) = self.storm {
            c.storm = true;
            c.boot_spread = seconds("storm", storm)?;
            // Sessions start when due (the boot times), at most --concurrency at once.
            if self.rate.is_none() && self.ramp.is_none() {
                c.pacing = Pacing::Periodic;
            }
            // Ends when all booted; an hour past the storm at most.
            if self.duration.is_none() && self.sessions.is_none() {
                c.duration = Some(c.boot_spread + Duration::from_secs(3600));
            }
        }
        c.version = CwmpVersion::ALL
            .iter()
            .copied()
            .find(|v| v.as_str() == self.cwmp_version)
            .ok_or_else(|| format!("--cwmp-version {}: 1.0 to 1.4", self.cwmp_version))?;
        Ok(c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<SimConfig, String> {
        let mut all = vec!["cwmp-sim", "run", "--acs", "http://127.0.0.1:7547/"];
        all.extend_from_slice(args);
        let cli = Cli::try_parse_from(all).map_err(|e| e.to_string())?;
        let Command::Run(run) = cli.command;
        run.to_config()
    }

    #[test]
    fn load_modes() {
        assert_eq!(parse(&[]).unwrap().pacing, Pacing::Periodic);
        let c = parse(&["--concurrency", "8"]).unwrap();
        assert_eq!((c.pacing, c.concurrency), (Pacing::FlatOut, 8));
        assert_eq!(parse(&["--rate", "50"]).unwrap().pacing, Pacing::Rate(50.0));
        assert!(matches!(
            parse(&["--ramp", "1:100:10"]).unwrap().pacing,
            Pacing::Ramp { .. }
        ));
        assert!(parse(&["--rate", "1", "--ramp", "1:2:3"]).is_err());
        assert!(parse(&["--rate", "0"]).is_err());
        let c = parse(&["--sessions", "10"]).unwrap();
        assert_eq!((c.duration, c.max_sessions), (None, Some(10)));
        assert!(parse(&["--faults", "drop=3"]).is_err());
        assert!(parse(&["--cwmp-version", "2.0"]).is_err());
        assert_eq!(parse(&["--cr-listen", "off"]).unwrap().cr_listen, None);
        assert!(!parse(&[]).unwrap().known);
        assert!(parse(&["--known"]).unwrap().known);
    }
}
