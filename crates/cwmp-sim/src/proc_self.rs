//! The simulator's own cost, from `/proc/self` (Linux): CPU time and resident memory.

use std::time::Duration;

/// Clock ticks per second of `/proc/self/stat` (`USER_HZ`, 100 on every Linux ABI).
const USER_HZ: u64 = 100;

/// CPU time and memory of this process.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ProcSelf {
    /// User + system CPU time.
    pub cpu: Duration,
    /// Resident set size now (`VmRSS`).
    pub rss_bytes: u64,
    /// Highest resident set size (`VmHWM`).
    pub peak_rss_bytes: u64,
}

impl ProcSelf {
    /// Reads `/proc/self`; zeros where it is not available.
    pub fn read() -> Self {
        let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
        let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
        ProcSelf {
            cpu: cpu_from_stat(&stat),
            rss_bytes: kib_field(&status, "VmRSS:") * 1024,
            peak_rss_bytes: kib_field(&status, "VmHWM:") * 1024,
        }
    }
}

/// A `Name:   1234 kB` line of `/proc/self/status`.
fn kib_field(status: &str, name: &str) -> u64 {
    status
        .lines()
        .find_map(|l| l.strip_prefix(name))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

/// utime + stime (fields 14 and 15) of `/proc/self/stat`; the command name in parentheses
/// may contain spaces, so fields are counted after the last `)`.
fn cpu_from_stat(stat: &str) -> Duration {
    let Some((_, rest)) = stat.rsplit_once(')') else {
        return Duration::ZERO;
    };
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // `rest` starts at field 3 (state).
    let tick = |i: usize| fields.get(i - 3).and_then(|f| f.parse::<u64>().ok());
    match (tick(14), tick(15)) {
        (Some(u), Some(s)) => Duration::from_millis((u + s) * 1000 / USER_HZ),
        _ => Duration::ZERO,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_proc_files() {
        let stat = "42 (a (b) c) S 1 1 1 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 1 0";
        assert_eq!(cpu_from_stat(stat), Duration::from_secs(3));
        assert_eq!(
            kib_field("VmHWM:\t  2048 kB\nVmRSS:\t 1024 kB\n", "VmRSS:"),
            1024
        );
        let me = ProcSelf::read();
        assert!(me.rss_bytes > 0 && me.peak_rss_bytes >= me.rss_bytes);
    }
}
