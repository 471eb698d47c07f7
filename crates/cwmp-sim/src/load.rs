//! Load modes: when the simulator starts the next session.
//!
//! - [`Pacing::Periodic`]: every device on its own schedule (`2 PERIODIC` at its
//!   PeriodicInformInterval with jitter, reboots, retries), like a real fleet.
//! - [`Pacing::FlatOut`]: as fast as possible, bounded only by the concurrency.
//! - [`Pacing::Rate`]: a target number of sessions per second.
//! - [`Pacing::Ramp`]: a rate rising linearly from one value to another, then held.
//!
//! In the last three the next device is the one due soonest, taken early if need be.
//! Every mode is bounded by the concurrency; Connection Requests and active value changes
//! bypass the rate (a real device answers them at once).

use std::time::Duration;

/// How sessions are started.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Pacing {
    /// Each device when it is due.
    Periodic,
    /// As fast as the concurrency allows.
    FlatOut,
    /// This many session starts per second.
    Rate(f64),
    /// From `from` to `to` sessions per second over `over`, then `to`.
    Ramp {
        /// Starting rate.
        from: f64,
        /// Final rate.
        to: f64,
        /// Time to reach it.
        over: Duration,
    },
}

/// A `--ramp` value that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("--ramp {0:?}: expected FROM:TO:SECONDS, rates >= 0 and not both 0, seconds > 0")]
pub struct RampError(String);

impl Pacing {
    /// Parses `FROM:TO:SECONDS`.
    pub fn parse_ramp(spec: &str) -> Result<Pacing, RampError> {
        let bad = || RampError(spec.to_owned());
        let parts: Vec<&str> = spec.split(':').collect();
        let [from, to, secs] = parts.as_slice() else {
            return Err(bad());
        };
        let rate = |s: &str| {
            s.trim()
                .parse::<f64>()
                .ok()
                .filter(|r| r.is_finite() && *r >= 0.0)
        };
        let (from, to) = (rate(from).ok_or_else(bad)?, rate(to).ok_or_else(bad)?);
        let secs = rate(secs).filter(|s| *s > 0.0).ok_or_else(bad)?;
        if from == 0.0 && to == 0.0 {
            return Err(bad());
        }
        Ok(Pacing::Ramp {
            from,
            to,
            over: Duration::from_secs_f64(secs),
        })
    }

    /// True if devices start only when due.
    pub fn honours_schedule(self) -> bool {
        self == Pacing::Periodic
    }

    /// The target rate `elapsed` after the start; `None` when not rate-limited.
    pub fn rate_at(self, elapsed: Duration) -> Option<f64> {
        match self {
            Pacing::Periodic | Pacing::FlatOut => None,
            Pacing::Rate(r) => Some(r),
            Pacing::Ramp { from, to, over } => {
                let f = (elapsed.as_secs_f64() / over.as_secs_f64()).min(1.0);
                Some(from + (to - from) * f)
            }
        }
    }
}

/// Admits session starts at the pacing's rate (a token bucket holding at most a tenth of a
/// second of tokens, and at least one).
#[derive(Debug, Clone)]
pub struct Gate {
    pacing: Pacing,
    tokens: f64,
    last: Duration,
}

impl Gate {
    /// A gate starting at time 0 with one token.
    pub fn new(pacing: Pacing) -> Self {
        Gate {
            pacing,
            tokens: 1.0,
            last: Duration::ZERO,
        }
    }

    /// Adds the tokens earned up to `now` (time since the start).
    pub fn refill(&mut self, now: Duration) {
        if let Some(rate) = self.pacing.rate_at(now) {
            let dt = now.saturating_sub(self.last).as_secs_f64();
            self.tokens = (self.tokens + dt * rate).min((rate / 10.0).max(1.0));
        }
        self.last = now;
    }

    /// Takes a token if one is there (always true when not rate-limited).
    pub fn try_take(&mut self) -> bool {
        if self.pacing.rate_at(self.last).is_none() {
            return true;
        }
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }

    /// How long until the next token, from the last refill (`None`: not rate-limited).
    pub fn next_token_in(&self) -> Option<Duration> {
        let rate = self.pacing.rate_at(self.last)?;
        if rate <= 0.0 {
            return Some(Duration::from_millis(100));
        }
        let missing = (1.0 - self.tokens).max(0.0);
        Some(Duration::from_secs_f64(missing / rate).min(Duration::from_millis(100)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ramp_parses_and_interpolates() {
        let p = Pacing::parse_ramp("10:110:10").unwrap();
        assert_eq!(p.rate_at(Duration::ZERO), Some(10.0));
        assert_eq!(p.rate_at(Duration::from_secs(5)), Some(60.0));
        assert_eq!(p.rate_at(Duration::from_secs(50)), Some(110.0));
        for bad in ["10:20", "a:1:1", "1:2:0", "0:0:5", "-1:2:3"] {
            assert!(Pacing::parse_ramp(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn gate_admits_at_the_rate() {
        let mut g = Gate::new(Pacing::Rate(100.0));
        let mut admitted = 0;
        for ms in 0..=2000u64 {
            g.refill(Duration::from_millis(ms));
            while g.try_take() {
                admitted += 1;
            }
        }
        assert!((199..=202).contains(&admitted), "{admitted}");
        let mut open = Gate::new(Pacing::FlatOut);
        assert!((0..1000).all(|_| open.try_take()));
        assert_eq!(open.next_token_in(), None);
    }
}
