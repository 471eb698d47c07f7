//! The scheduler of a run: which device's session starts next (urgent Connection Requests
//! and active value changes first, then the soonest due device as the load mode allows), and
//! what a finished session changes.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use rand::Rng as _;
use rand::rngs::StdRng;

use crate::due::DueQueue;
use crate::faults::FaultShares;
use crate::fleet::Fleet;
use crate::load::{Gate, Pacing};
use crate::run::{SimConfig, TICK};
use crate::session::{Finished, Job, Reason};
use crate::stats::Stats;
use crate::workers::Workers;

/// The scheduler's state.
pub(crate) struct Scheduler {
    fleet: Arc<Fleet>,
    pub(crate) workers: Workers,
    pub(crate) stats: Stats,
    rng: StdRng,
    due: DueQueue,
    busy: Vec<bool>,
    cr_pending: Vec<bool>,
    urgent: VecDeque<(u32, Reason)>,
    pub(crate) active: usize,
    gate: Gate,
    pacing: Pacing,
    concurrency: usize,
    faults: FaultShares,
    duration: Option<Duration>,
    max_sessions: Option<u64>,
    value_rate: f64,
    value_param: String,
    value_budget: f64,
    value_last: Duration,
    /// Storm mode: which devices completed a session, how many, and when the last did.
    storm: Option<Booting>,
}

/// The devices of an outage storm that completed their BOOT session.
struct Booting {
    done: Vec<bool>,
    count: u32,
    all_at: Option<Duration>,
}

impl Scheduler {
    pub(crate) fn new(
        c: &SimConfig,
        fleet: Arc<Fleet>,
        workers: Workers,
        stats: Stats,
        mut rng: StdRng,
    ) -> Self {
        let n = fleet.len();
        let mut due = DueQueue::new(n);
        for i in 0..n {
            let at = if c.boot_spread.is_zero() {
                Duration::ZERO
            } else {
                c.boot_spread.mul_f64(rng.random::<f64>())
            };
            due.schedule(i, at);
        }
        let value_param = c
            .value_change_param
            .clone()
            .unwrap_or_else(|| format!("{}DeviceInfo.ProvisioningCode", fleet.model().root));
        Scheduler {
            workers,
            stats,
            rng,
            due,
            busy: vec![false; n as usize],
            cr_pending: vec![false; n as usize],
            urgent: VecDeque::new(),
            active: 0,
            gate: Gate::new(c.pacing),
            pacing: c.pacing,
            concurrency: c.concurrency,
            faults: c.faults.clone(),
            duration: c.duration,
            max_sessions: c.max_sessions,
            value_rate: c.value_changes_per_s.max(0.0),
            value_param,
            value_budget: 0.0,
            value_last: Duration::ZERO,
            storm: c.storm.then(|| Booting {
                done: vec![false; n as usize],
                count: 0,
                all_at: None,
            }),
            fleet,
        }
    }

    /// In storm mode, when the last device completed its BOOT session.
    pub(crate) fn all_booted_at(&self) -> Option<Duration> {
        self.storm.as_ref().and_then(|b| b.all_at)
    }

    pub(crate) fn should_stop(&self, now: Duration) -> bool {
        self.all_booted_at().is_some()
            || self.duration.is_some_and(|d| now >= d)
            || self.max_sessions.is_some_and(|m| self.stats.started >= m)
    }

    fn launch(&mut self, index: u32, reason: Reason) -> bool {
        let job = Job {
            index,
            reason,
            fault: self.faults.draw(&mut self.rng),
            seed: self.rng.random(),
        };
        if !self.workers.submit(job) {
            return false;
        }
        self.busy[index as usize] = true;
        self.due.cancel(index);
        self.active += 1;
        self.stats.started += 1;
        true
    }

    pub(crate) fn start_sessions(&mut self, now: Duration) {
        self.gate.refill(now);
        while self.active < self.concurrency && !self.should_stop(now) {
            if let Some((index, reason)) = self.urgent.pop_front() {
                if self.busy[index as usize] {
                    self.cr_pending[index as usize] |= reason == Reason::ConnectionRequest;
                } else if !self.launch(index, reason) {
                    return;
                }
                continue;
            }
            let Some((at, index)) = self.due.peek() else {
                return;
            };
            if self.pacing.honours_schedule() && at > now {
                return;
            }
            if !self.gate.try_take() {
                return;
            }
            self.due.pop();
            if !self.launch(index, Reason::Due) {
                return;
            }
        }
    }

    pub(crate) fn finished(&mut self, f: Finished, now: Duration) {
        self.active = self.active.saturating_sub(1);
        self.stats.record(&f);
        if let Err(failure) = &f.outcome {
            tracing::debug!(
                serial = %self.fleet.serial(f.index),
                "session failed ({}): {}",
                failure.class,
                failure.detail
            );
        }
        let i = f.index as usize;
        if let Some(b) = &mut self.storm
            && f.outcome.is_ok()
            && let Some(done) = b.done.get_mut(i)
            && !*done
        {
            *done = true;
            b.count += 1;
            if b.count == self.fleet.len() {
                b.all_at = Some(now);
            }
        }
        self.busy[i] = false;
        if std::mem::take(&mut self.cr_pending[i]) {
            self.urgent.push_back((f.index, Reason::ConnectionRequest));
        } else if let Some(wait) = f.next_in {
            self.due.schedule(f.index, now + wait);
        }
    }

    pub(crate) fn connection_request(&mut self, index: u32) {
        match self.busy.get(index as usize) {
            Some(true) => self.cr_pending[index as usize] = true,
            Some(false) => self.urgent.push_back((index, Reason::ConnectionRequest)),
            None => {}
        }
    }

    /// Makes the local value changes due by `now`; an active notification asks for a
    /// session at once, a passive one waits for the next Inform.
    pub(crate) fn value_changes(&mut self, now: Duration) {
        let dt = now.saturating_sub(self.value_last).as_secs_f64();
        self.value_last = now;
        if self.value_rate <= 0.0 || self.fleet.is_empty() {
            return;
        }
        self.value_budget = (self.value_budget + dt * self.value_rate).min(self.value_rate + 1.0);
        while self.value_budget >= 1.0 {
            self.value_budget -= 1.0;
            let index = self.rng.random_range(0..self.fleet.len());
            let value = format!("sim-{}", self.stats.value_changes + 1);
            let param = &self.value_param;
            let changed = self
                .fleet
                .with_idle(index, |d| d.tree.set_local(param, &value));
            match changed {
                Some(Ok(signal)) => {
                    self.stats.value_changes += 1;
                    if signal.active && !self.busy[index as usize] {
                        self.urgent.push_back((index, Reason::ValueChange));
                    }
                }
                Some(Err(fault)) => {
                    tracing::warn!("value change of {param}: {fault}; value changes stop");
                    self.value_rate = 0.0;
                    return;
                }
                None => {}
            }
        }
    }

    pub(crate) fn next_wake(&mut self, now: Duration) -> Duration {
        let mut wake = TICK;
        if let Some(d) = self.duration {
            wake = wake.min(d.saturating_sub(now));
        }
        if self.active < self.concurrency {
            if self.pacing.honours_schedule() {
                if let Some((at, _)) = self.due.peek() {
                    wake = wake.min(at.saturating_sub(now));
                }
            } else if let Some(t) = self.gate.next_token_in() {
                wake = wake.min(t);
            }
        }
        wake.max(Duration::from_millis(1))
    }
}
