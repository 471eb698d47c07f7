//! Periodic Inform (`ManagementServer.PeriodicInformEnable/Interval/Time`), ScheduleInform
//! (TR-069 §A.4.1.3) and the agent's next wake-up time.
//!
//! Periodic and scheduled times are wall-clock Unix seconds (PeriodicInformTime is an
//! absolute time; pending ScheduleInforms can be persisted with serde and survive a restart);
//! the retry timer is on the clock's monotonic line ([`crate::retry`]).

use std::time::Duration;

use cwmp::event::MethodEvent;
use cwmp::{DateTime, EventCode};
use serde::{Deserialize, Serialize};

/// The three periodic-Inform parameters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeriodicInform {
    /// `PeriodicInformEnable`.
    pub enable: bool,
    /// `PeriodicInformInterval` in seconds (0 disables, as TR-181 forbids it).
    pub interval: u32,
    /// `PeriodicInformTime`; the Unknown Time means "any phase".
    pub time: DateTime,
}

impl Default for PeriodicInform {
    /// Disabled, daily, any phase.
    fn default() -> Self {
        PeriodicInform {
            enable: false,
            interval: 86_400,
            time: DateTime::UNKNOWN,
        }
    }
}

impl PeriodicInform {
    /// The phase reference as Unix seconds; `None` for the Unknown Time. A time without a
    /// UTC offset is taken as UTC.
    pub fn phase(&self) -> Option<i64> {
        if self.time.is_unknown() {
            return None;
        }
        let t = match self.time.offset_minutes() {
            Some(_) => self.time,
            None => self.time.with_offset(Some(0)).ok()?,
        };
        t.to_unix().map(|(secs, _)| secs)
    }
}

/// One pending ScheduleInform.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingInform {
    /// When it is due (Unix seconds).
    pub due: i64,
    /// Its CommandKey, reported with `M ScheduleInform`.
    pub command_key: String,
}

/// Periodic and scheduled Inform timers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scheduler {
    periodic: PeriodicInform,
    /// Phase used for the Unknown Time: when the parameters were last set.
    anchor: i64,
    next_periodic: Option<i64>,
    scheduled: Vec<PendingInform>,
}

/// The smallest `phase + k·interval` strictly after `now` (any integer k).
pub fn next_after(phase: i64, interval: u32, now: i64) -> Option<i64> {
    let i = i64::from(interval);
    if i == 0 {
        return None;
    }
    let k = now.checked_sub(phase)?.div_euclid(i).checked_add(1)?;
    phase.checked_add(k.checked_mul(i)?)
}

impl Scheduler {
    /// Timers for `periodic`, configured at Unix second `now`.
    pub fn new(periodic: PeriodicInform, now: i64) -> Self {
        let mut s = Scheduler {
            periodic,
            anchor: now,
            next_periodic: None,
            scheduled: Vec::new(),
        };
        s.recompute(now);
        s
    }

    /// The periodic parameters changed (from the ACS or the CLI). With the Unknown Time the
    /// next Inform is one interval from now (TR-181 `PeriodicInformTime`).
    pub fn set_periodic(&mut self, periodic: PeriodicInform, now: i64) {
        self.periodic = periodic;
        self.anchor = now;
        self.recompute(now);
    }

    /// The periodic parameters in force.
    pub fn periodic(&self) -> &PeriodicInform {
        &self.periodic
    }

    fn recompute(&mut self, now: i64) {
        let p = &self.periodic;
        self.next_periodic = if p.enable {
            next_after(p.phase().unwrap_or(self.anchor), p.interval, now)
        } else {
            None
        };
    }

    /// When the next `2 PERIODIC` is due (Unix seconds), if enabled.
    pub fn next_periodic(&self) -> Option<i64> {
        self.next_periodic
    }

    /// A ScheduleInform RPC: `3 SCHEDULED` + `M ScheduleInform` after `delay_seconds`.
    /// Several may be pending; the RPC layer rejects a zero delay with fault 9003.
    pub fn schedule_inform(&mut self, now: i64, delay_seconds: u32, command_key: &str) {
        self.scheduled.push(PendingInform {
            due: now.saturating_add(i64::from(delay_seconds)),
            command_key: command_key.to_owned(),
        });
    }

    /// The pending ScheduleInforms, in the order received.
    pub fn pending(&self) -> &[PendingInform] {
        &self.scheduled
    }

    /// Drops every pending ScheduleInform (factory reset, ACS URL change).
    pub fn clear_scheduled(&mut self) {
        self.scheduled.clear();
    }

    /// The events that have come due at Unix second `now`, to raise in the queue. Missed
    /// periodic instants yield one `2 PERIODIC` (a single code) and the timer moves to the
    /// next instant after `now`; a wall clock set back by more than an interval re-phases.
    pub fn poll(&mut self, now: i64) -> Vec<(EventCode, String)> {
        let mut due = Vec::new();
        if let Some(next) = self.next_periodic {
            if now >= next {
                due.push((EventCode::Periodic, String::new()));
                self.recompute(now);
            } else if next - now > i64::from(self.periodic.interval) {
                self.recompute(now);
            }
        }
        let (ready, waiting): (Vec<_>, Vec<_>) =
            self.scheduled.drain(..).partition(|p| now >= p.due);
        self.scheduled = waiting;
        for p in ready {
            due.push((EventCode::Scheduled, String::new()));
            due.push((
                EventCode::Method(MethodEvent::ScheduleInform),
                p.command_key,
            ));
        }
        due
    }

    /// How long to sleep from now until the earliest of the periodic, scheduled and retry
    /// timers (`retry_due` on the monotonic line, as [`crate::Retry::due`]); `None` if none.
    pub fn next_wakeup(
        &self,
        now_unix: i64,
        now_mono: Duration,
        retry_due: Option<Duration>,
    ) -> Option<Duration> {
        let wall = self
            .next_periodic
            .into_iter()
            .chain(self.scheduled.iter().map(|p| p.due))
            .min()
            .map(|t| Duration::from_secs(t.saturating_sub(now_unix).max(0).unsigned_abs()));
        let retry = retry_due.map(|d| d.saturating_sub(now_mono));
        match (wall, retry) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }
}

#[cfg(test)]
mod tests;
