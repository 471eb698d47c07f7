//! Injectable time: wall-clock (for PeriodicInformTime, CurrentTime, TR-111 `ts`) and a
//! monotonic reading (for back-off, nonce expiry and rate limits), so every schedule can be
//! tested without waiting.

use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// A source of time; the agent never calls `SystemTime::now` or `Instant::now` directly.
pub trait Clock: Send + Sync {
    /// Wall-clock time (may jump when the device syncs its clock).
    fn now(&self) -> SystemTime;

    /// Monotonic time since an arbitrary origin fixed when the clock was created.
    fn monotonic(&self) -> Duration;

    /// Wall-clock time as Unix seconds (negative before 1970).
    fn unix(&self) -> i64 {
        unix_secs(self.now())
    }
}

/// Unix seconds of `t`, saturating at the `i64` range.
pub fn unix_secs(t: SystemTime) -> i64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        Err(e) => {
            let d = e.duration();
            // Round towards negative infinity: -0.5 s is second -1.
            let secs = i64::try_from(d.as_secs()).unwrap_or(i64::MAX);
            if d.subsec_nanos() > 0 {
                secs.saturating_neg().saturating_sub(1)
            } else {
                secs.saturating_neg()
            }
        }
    }
}

/// The system's clocks.
#[derive(Debug, Clone, Copy)]
pub struct SystemClock {
    origin: Instant,
}

impl SystemClock {
    /// A system clock whose monotonic origin is now.
    pub fn new() -> Self {
        SystemClock {
            origin: Instant::now(),
        }
    }
}

impl Default for SystemClock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock for SystemClock {
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }

    fn monotonic(&self) -> Duration {
        self.origin.elapsed()
    }
}

/// A clock moved only by the test: [`advance`](ManualClock::advance) moves both readings,
/// [`set_wall`](ManualClock::set_wall) makes the wall clock jump alone.
#[derive(Debug)]
pub struct ManualClock {
    state: Mutex<(SystemTime, Duration)>,
}

impl ManualClock {
    /// A clock at Unix second `unix` (monotonic reading zero).
    pub fn at_unix(unix: i64) -> Self {
        ManualClock {
            state: Mutex::new((system_time(unix), Duration::ZERO)),
        }
    }

    fn lock(&self) -> MutexGuard<'_, (SystemTime, Duration)> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Moves wall and monotonic time forward by `d`.
    pub fn advance(&self, d: Duration) {
        let mut s = self.lock();
        s.0 += d;
        s.1 += d;
    }

    /// Sets the wall clock to Unix second `unix`; monotonic time does not move.
    pub fn set_wall(&self, unix: i64) {
        self.lock().0 = system_time(unix);
    }
}

/// The `SystemTime` of Unix second `unix`.
pub fn system_time(unix: i64) -> SystemTime {
    let d = Duration::from_secs(unix.unsigned_abs());
    if unix >= 0 {
        UNIX_EPOCH + d
    } else {
        UNIX_EPOCH - d
    }
}

impl Clock for ManualClock {
    fn now(&self) -> SystemTime {
        self.lock().0
    }

    fn monotonic(&self) -> Duration {
        self.lock().1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_clock_moves_only_when_told() {
        let c = ManualClock::at_unix(1_700_000_000);
        assert_eq!(c.unix(), 1_700_000_000);
        assert_eq!(c.monotonic(), Duration::ZERO);
        c.advance(Duration::from_secs(90));
        assert_eq!(c.unix(), 1_700_000_090);
        assert_eq!(c.monotonic(), Duration::from_secs(90));
        c.set_wall(100);
        assert_eq!(c.unix(), 100);
        assert_eq!(c.monotonic(), Duration::from_secs(90));
    }

    #[test]
    fn unix_seconds_before_epoch_round_down() {
        assert_eq!(unix_secs(system_time(-5)), -5);
        assert_eq!(unix_secs(UNIX_EPOCH - Duration::from_millis(500)), -1);
        assert_eq!(unix_secs(UNIX_EPOCH + Duration::from_millis(1500)), 1);
    }

    #[test]
    fn system_clock_is_monotonic_and_near_now() {
        let c = SystemClock::new();
        let a = c.monotonic();
        let b = c.monotonic();
        assert!(b >= a);
        let wall = unix_secs(SystemTime::now());
        assert!((c.unix() - wall).abs() <= 1);
        let dynamic: &dyn Clock = &c;
        assert!(dynamic.unix() > 1_600_000_000);
    }
}
