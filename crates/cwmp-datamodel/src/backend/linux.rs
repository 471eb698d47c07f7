//! A backend reading live values from Linux `/proc` and `/sys`: uptime,
//! memory, the clock, and network interface status and statistics.

use std::path::{Path, PathBuf};

use super::{Backend, LiveRead};

/// Reads `/proc/uptime`, `/proc/meminfo` and `/sys/class/net/<Name>/…`;
/// the roots are configurable for tests. Settings are stored only.
#[derive(Debug, Clone)]
pub struct LinuxBackend {
    proc_root: PathBuf,
    sys_root: PathBuf,
}

impl Default for LinuxBackend {
    fn default() -> Self {
        Self::new()
    }
}

/// Tables whose `Status` and `MACAddress` come from `/sys/class/net/<Name>`.
const INTERFACE_TABLES: &[&str] = &["Ethernet.Interface.{i}."];

/// TR-181 `Stats.` parameter → `/sys/class/net/<if>/statistics/<file>`.
const STATS: &[(&str, &str)] = &[
    ("BytesSent", "tx_bytes"),
    ("BytesReceived", "rx_bytes"),
    ("PacketsSent", "tx_packets"),
    ("PacketsReceived", "rx_packets"),
    ("ErrorsSent", "tx_errors"),
    ("ErrorsReceived", "rx_errors"),
    ("DiscardPacketsSent", "tx_dropped"),
    ("DiscardPacketsReceived", "rx_dropped"),
    ("MulticastPacketsReceived", "multicast"),
];

/// What a live schema path maps to.
enum Source {
    Uptime,
    Mem(&'static str),
    Clock,
    Stat(&'static str),
    OperState,
    Mac,
}

/// The path without its root object (`Device.` / `InternetGatewayDevice.`).
fn below_root(p: &str) -> &str {
    p.split_once('.').map_or(p, |(_, rest)| rest)
}

fn classify(schema_path: &str) -> Option<Source> {
    let p = below_root(schema_path);
    match p {
        "DeviceInfo.UpTime" => return Some(Source::Uptime),
        "DeviceInfo.MemoryStatus.Total" => return Some(Source::Mem("MemTotal")),
        "DeviceInfo.MemoryStatus.Free" => return Some(Source::Mem("MemFree")),
        "Time.CurrentLocalTime" => return Some(Source::Clock),
        _ => {}
    }
    // Any table row with a `Stats.` object: the row's `Name` is the Linux interface.
    if let Some((_, stat)) = p.rsplit_once("{i}.Stats.") {
        return STATS
            .iter()
            .find(|(name, _)| *name == stat)
            .map(|(_, file)| Source::Stat(file));
    }
    let table = INTERFACE_TABLES.iter().find(|t| p.starts_with(**t))?;
    let rest = &p[table.len()..];
    match rest {
        "Status" => Some(Source::OperState),
        "MACAddress" => Some(Source::Mac),
        _ => None,
    }
}

fn read_trimmed(path: &Path) -> Option<String> {
    std::fs::read_to_string(path)
        .ok()
        .map(|s| s.trim().to_owned())
}

/// A safe interface name: no path separators or dot-dot.
fn safe_ifname(name: &str) -> Option<&str> {
    (!name.is_empty() && name != "." && name != ".." && !name.contains('/')).then_some(name)
}

impl LinuxBackend {
    /// Reads the real `/proc` and `/sys`.
    pub fn new() -> Self {
        Self::with_roots("/proc", "/sys")
    }

    /// Reads from other directories laid out like `/proc` and `/sys` (tests).
    pub fn with_roots(proc_root: impl Into<PathBuf>, sys_root: impl Into<PathBuf>) -> Self {
        LinuxBackend {
            proc_root: proc_root.into(),
            sys_root: sys_root.into(),
        }
    }

    fn uptime(&self) -> Option<String> {
        let s = read_trimmed(&self.proc_root.join("uptime"))?;
        let secs = s.split_whitespace().next()?.split('.').next()?;
        let n: u64 = secs.parse().ok()?;
        Some(n.min(u64::from(u32::MAX)).to_string())
    }

    fn meminfo(&self, field: &str) -> Option<String> {
        let s = std::fs::read_to_string(self.proc_root.join("meminfo")).ok()?;
        let line = s.lines().find(|l| l.split(':').next() == Some(field))?;
        let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
        Some(kib.min(u64::from(u32::MAX)).to_string())
    }

    fn net(&self, req: &LiveRead<'_>, file: &str) -> Option<String> {
        let name = safe_ifname(req.nearby_value("Name")?)?;
        read_trimmed(&self.sys_root.join("class/net").join(name).join(file))
    }
}

impl Backend for LinuxBackend {
    fn is_live(&self, schema_path: &str) -> bool {
        classify(schema_path).is_some()
    }

    fn read(&self, req: &LiveRead<'_>) -> Option<String> {
        match classify(req.schema_path())? {
            Source::Uptime => self.uptime(),
            Source::Mem(field) => self.meminfo(field),
            Source::Clock => Some(cwmp::DateTime::now_utc().to_string()),
            Source::Stat(file) => {
                let v = self.net(req, &format!("statistics/{file}"))?;
                v.parse::<u64>().ok().map(|n| n.to_string())
            }
            Source::OperState => Some(
                match self.net(req, "operstate")?.as_str() {
                    "up" => "Up",
                    "down" => "Down",
                    "dormant" => "Dormant",
                    "notpresent" => "NotPresent",
                    "lowerlayerdown" => "LowerLayerDown",
                    _ => "Unknown",
                }
                .to_owned(),
            ),
            Source::Mac => Some(self.net(req, "address")?.to_ascii_uppercase()),
        }
    }
}
