//! Counters of a run, kept by the scheduler from the [`Finished`] sessions.

use std::collections::BTreeMap;
use std::time::Duration;

use hdrhistogram::Histogram;

use crate::faults::FaultKind;
use crate::session::{Finished, Reason};

/// Longest session latency recorded exactly (longer ones are clamped): one hour.
const MAX_LATENCY_US: u64 = 3_600_000_000;

/// What the sessions of a run did.
#[derive(Debug, Clone)]
pub struct Stats {
    /// Sessions handed to a worker.
    pub started: u64,
    /// Sessions that ended normally.
    pub ok: u64,
    /// Failed sessions by class.
    pub failed: BTreeMap<String, u64>,
    /// HTTP requests sent.
    pub http_requests: u64,
    /// ACS requests answered, by method.
    pub rpcs: BTreeMap<String, u64>,
    /// State-changing requests received (with a key).
    pub state_changes: u64,
    /// State-changing requests a device had received before (same method and key).
    pub repeated_changes: u64,
    /// Inform event codes sent, by code.
    pub events: BTreeMap<String, u64>,
    /// Faults injected, by kind.
    pub faults: BTreeMap<FaultKind, u64>,
    /// Sessions started by a Connection Request.
    pub connection_requests: u64,
    /// Local value changes made.
    pub value_changes: u64,
    latency_us: Histogram<u64>,
}

impl Stats {
    /// Empty counters.
    pub fn new() -> Result<Self, hdrhistogram::CreationError> {
        Ok(Stats {
            started: 0,
            ok: 0,
            failed: BTreeMap::new(),
            http_requests: 0,
            rpcs: BTreeMap::new(),
            state_changes: 0,
            repeated_changes: 0,
            events: BTreeMap::new(),
            faults: BTreeMap::new(),
            connection_requests: 0,
            value_changes: 0,
            latency_us: Histogram::new_with_bounds(1, MAX_LATENCY_US, 3)?,
        })
    }

    /// Counts one finished session.
    pub fn record(&mut self, f: &Finished) {
        match &f.outcome {
            Ok(()) => self.ok += 1,
            Err(failure) => *self.failed.entry(failure.class.clone()).or_default() += 1,
        }
        self.http_requests += f.http_requests as u64;
        for r in &f.rpcs {
            *self.rpcs.entry((*r).to_owned()).or_default() += 1;
        }
        self.state_changes += u64::from(f.state_changes);
        self.repeated_changes += u64::from(f.repeated_changes);
        for e in &f.events {
            *self.events.entry(e.clone()).or_default() += 1;
        }
        if let Some(k) = f.fault {
            *self.faults.entry(k).or_default() += 1;
        }
        if f.reason == Reason::ConnectionRequest {
            self.connection_requests += 1;
        }
        let us = u64::try_from(f.elapsed.as_micros()).unwrap_or(u64::MAX);
        self.latency_us
            .saturating_record(us.clamp(1, MAX_LATENCY_US));
    }

    /// Sessions finished, ok or not.
    pub fn finished(&self) -> u64 {
        self.ok + self.failed_total()
    }

    /// Failed sessions.
    pub fn failed_total(&self) -> u64 {
        self.failed.values().sum()
    }

    /// The session latency at quantile `q` (0–1); zero before any session.
    pub fn latency(&self, q: f64) -> Duration {
        if self.latency_us.is_empty() {
            return Duration::ZERO;
        }
        Duration::from_micros(self.latency_us.value_at_quantile(q))
    }

    /// The longest session.
    pub fn latency_max(&self) -> Duration {
        Duration::from_micros(self.latency_us.max())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::Failure;

    fn finished(ms: u64, outcome: Result<(), Failure>) -> Finished {
        Finished {
            index: 0,
            reason: Reason::Due,
            outcome,
            elapsed: Duration::from_millis(ms),
            http_requests: 3,
            rpcs: vec!["GetParameterValues"],
            state_changes: 0,
            repeated_changes: 0,
            events: vec!["2 PERIODIC".into()],
            fault: None,
            next_in: None,
        }
    }

    #[test]
    fn counts_and_quantiles() {
        let mut s = Stats::new().unwrap();
        for ms in 1..=100 {
            s.record(&finished(ms, Ok(())));
        }
        s.record(&finished(
            5000,
            Err(Failure {
                class: "timeout".into(),
                detail: String::new(),
            }),
        ));
        assert_eq!((s.ok, s.failed_total(), s.finished()), (100, 1, 101));
        assert_eq!(s.http_requests, 303);
        assert_eq!(s.rpcs["GetParameterValues"], 101);
        let p50 = s.latency(0.5).as_millis();
        assert!((49..=52).contains(&p50), "{p50}");
        assert!(s.latency_max() >= Duration::from_millis(4990));
    }
}
