//! A token bucket for Connection Requests (excess answered 503 by the listener).

use std::time::Duration;

/// Allows `burst` requests at once, then one per `period`, on the clock's monotonic line.
#[derive(Debug, Clone)]
pub struct RateLimiter {
    burst: u32,
    period: Duration,
    tokens: u32,
    last: Duration,
}

impl RateLimiter {
    /// A full bucket of `burst` (at least 1) tokens refilled one per `period`.
    pub fn new(burst: u32, period: Duration, now: Duration) -> Self {
        let burst = burst.max(1);
        RateLimiter {
            burst,
            period,
            tokens: burst,
            last: now,
        }
    }

    fn refill(&mut self, now: Duration) {
        if self.period.is_zero() {
            self.tokens = self.burst;
            self.last = now;
            return;
        }
        let elapsed = now.saturating_sub(self.last);
        let n = elapsed.as_nanos() / self.period.as_nanos();
        if n == 0 {
            return;
        }
        let n32 = u32::try_from(n).unwrap_or(u32::MAX);
        self.tokens = self.tokens.saturating_add(n32).min(self.burst);
        self.last = if self.tokens == self.burst {
            now
        } else {
            // n < burst here, so the multiplication is small.
            self.last + self.period * n32
        };
    }

    /// Takes a token if one is available at monotonic time `now`.
    pub fn try_acquire(&mut self, now: Duration) -> bool {
        self.refill(now);
        if self.tokens > 0 {
            self.tokens -= 1;
            true
        } else {
            false
        }
    }

    /// How long until the next token (for a `Retry-After` header); zero if one is ready.
    pub fn retry_after(&mut self, now: Duration) -> Duration {
        self.refill(now);
        if self.tokens > 0 {
            Duration::ZERO
        } else {
            (self.last + self.period).saturating_sub(now)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::{Clock, ManualClock};

    #[test]
    fn burst_then_one_per_period() {
        let clock = ManualClock::at_unix(0);
        let mut r = RateLimiter::new(2, Duration::from_secs(5), clock.monotonic());
        assert!(r.try_acquire(clock.monotonic()));
        assert!(r.try_acquire(clock.monotonic()));
        assert!(!r.try_acquire(clock.monotonic()));
        assert_eq!(r.retry_after(clock.monotonic()), Duration::from_secs(5));
        clock.advance(Duration::from_secs(4));
        assert!(!r.try_acquire(clock.monotonic()));
        assert_eq!(r.retry_after(clock.monotonic()), Duration::from_secs(1));
        clock.advance(Duration::from_secs(1));
        assert!(r.try_acquire(clock.monotonic()));
        assert!(!r.try_acquire(clock.monotonic()));
        // A long idle time refills only up to the burst.
        clock.advance(Duration::from_secs(3600));
        assert_eq!(r.retry_after(clock.monotonic()), Duration::ZERO);
        assert!(r.try_acquire(clock.monotonic()));
        assert!(r.try_acquire(clock.monotonic()));
        assert!(!r.try_acquire(clock.monotonic()));
    }

    #[test]
    fn partial_periods_are_not_lost() {
        let mut r = RateLimiter::new(1, Duration::from_secs(3), Duration::ZERO);
        assert!(r.try_acquire(Duration::ZERO));
        assert!(!r.try_acquire(Duration::from_secs(2)));
        assert!(r.try_acquire(Duration::from_secs(3)));
        assert!(!r.try_acquire(Duration::from_secs(5)));
        assert!(r.try_acquire(Duration::from_secs(6)));
    }

    #[test]
    fn zero_period_and_zero_burst() {
        let mut r = RateLimiter::new(0, Duration::ZERO, Duration::ZERO);
        for _ in 0..10 {
            assert!(r.try_acquire(Duration::ZERO));
        }
    }
}
