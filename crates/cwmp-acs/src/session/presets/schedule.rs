//! A preset's `schedule`, as GenieACS writes it: `"<seconds> <cron>"`. The preset applies in
//! a session that falls within that many seconds after a time the cron expression names
//! (UTC; five fields, or six with seconds first).

use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::store::Timestamp;

/// Longest schedule text accepted.
const MAX_LEN: usize = 256;

/// A parsed schedule.
#[derive(Debug, Clone)]
pub struct PresetSchedule {
    window: Duration,
    cron: cron::Schedule,
}

impl PresetSchedule {
    /// Parses `"<seconds> <cron>"`; the error says what is wrong.
    pub fn parse(text: &str) -> Result<PresetSchedule, String> {
        if text.len() > MAX_LEN {
            return Err(format!("schedule is longer than {MAX_LEN} characters"));
        }
        let mut parts = text.split_whitespace();
        let seconds: u64 = parts
            .next()
            .and_then(|s| s.parse().ok())
            .ok_or("schedule starts with a duration in seconds, then a cron expression")?;
        let fields: Vec<&str> = parts.collect();
        let expression = match fields.len() {
            5 => format!("0 {}", fields.join(" ")),
            6 => fields.join(" "),
            n => return Err(format!("the cron expression has {n} fields, not 5 or 6")),
        };
        let cron = cron::Schedule::from_str(&expression)
            .map_err(|e| format!("cron expression {:?}: {e}", fields.join(" ")))?;
        Ok(PresetSchedule {
            window: Duration::from_secs(seconds),
            cron,
        })
    }

    /// True when `now` is within the window after a scheduled time.
    pub fn active(&self, now: Timestamp) -> bool {
        let window = i64::try_from(self.window.as_millis()).unwrap_or(i64::MAX);
        // The first scheduled time after `now - window`, if it is not after `now`.
        let Some(from) =
            DateTime::<Utc>::from_timestamp_millis(now.as_millis().saturating_sub(window))
        else {
            return false;
        };
        self.cron
            .after(&from)
            .next()
            .is_some_and(|t| t.timestamp_millis() <= now.as_millis())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR: i64 = 3_600_000;
    // 2026-01-01T00:00:00Z
    const MIDNIGHT: i64 = 1_767_225_600_000;

    #[test]
    fn applies_within_the_window_after_each_time() {
        let s = PresetSchedule::parse("600 0 * * * *").expect("5 fields");
        assert!(s.active(Timestamp(MIDNIGHT + 3 * HOUR + 1_000)));
        assert!(s.active(Timestamp(MIDNIGHT + 3 * HOUR + 599_000)));
        assert!(!s.active(Timestamp(MIDNIGHT + 3 * HOUR + 601_000)));
        assert!(!s.active(Timestamp(MIDNIGHT + 3 * HOUR - 1_000)));
        let daily = PresetSchedule::parse("3600 0 30 2 * * *").expect("6 fields");
        assert!(daily.active(Timestamp(MIDNIGHT + 2 * HOUR + 31 * 60_000)));
        assert!(!daily.active(Timestamp(MIDNIGHT + 4 * HOUR)));
    }

    #[test]
    fn refusals() {
        for bad in [
            "",
            "x 0 * * * *",
            "60",
            "60 * *",
            "60 99 * * * *",
            &"9".repeat(300),
        ] {
            assert!(PresetSchedule::parse(bad).is_err(), "{bad}");
        }
    }
}
