//! Session retry back-off (TR-069 §3.2.1.1, Table 3).
//!
//! After the n-th failed attempt in a row the next one waits a uniformly random time in
//! `[m·(k/1000)^(n-1), m·(k/1000)^n]` seconds, where m is
//! `ManagementServer.CWMPRetryMinimumWaitInterval` (default 5) and k is
//! `ManagementServer.CWMPRetryIntervalMultiplier` (default 2000); n stops growing at 10, so the
//! defaults give 5–10 s, 10–20 s, …, 2560–5120 s and 2560–5120 s for ever after.
//!
//! Randomness is injected as any [`rand::Rng`]: the agent uses `StdRng::from_os_rng()`, the
//! tests `StdRng::seed_from_u64`.

use std::time::Duration;

use rand::Rng;

/// Table 3 stops growing the interval at the 10th retry.
pub const MAX_RETRY_STEP: u32 = 10;

/// Longest wait ever returned (guards absurd multipliers): one year.
const MAX_WAIT_MS: u64 = 365 * 24 * 3600 * 1000;

/// The two ManagementServer parameters that shape the back-off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    minimum_wait: u32,
    multiplier: u32,
}

impl Default for RetryPolicy {
    /// The TR-069 defaults: 5 s and 2000 (doubling).
    fn default() -> Self {
        RetryPolicy {
            minimum_wait: 5,
            multiplier: 2000,
        }
    }
}

impl RetryPolicy {
    /// From `CWMPRetryMinimumWaitInterval` (seconds, clamped to 1–65535) and
    /// `CWMPRetryIntervalMultiplier` (per mille, clamped to 1000–65535), TR-181's ranges.
    pub fn new(minimum_wait: u32, multiplier: u32) -> Self {
        RetryPolicy {
            minimum_wait: minimum_wait.clamp(1, 65_535),
            multiplier: multiplier.clamp(1000, 65_535),
        }
    }

    /// The wait range `[low, high]` before retry number `retry` (1 = after the first failure).
    pub fn bounds(&self, retry: u32) -> (Duration, Duration) {
        let n = retry.clamp(1, MAX_RETRY_STEP);
        let m = f64::from(self.minimum_wait) * 1000.0;
        let k = f64::from(self.multiplier) / 1000.0;
        // n ≤ 10, so the exponents fit any integer type.
        let low = m * k.powi(n as i32 - 1);
        let high = m * k.powi(n as i32);
        (to_duration(low), to_duration(high))
    }

    /// A random wait (millisecond resolution) before retry number `retry`.
    pub fn wait(&self, retry: u32, rng: &mut impl Rng) -> Duration {
        let (low, high) = self.bounds(retry);
        let (low, high) = (low.as_millis() as u64, high.as_millis() as u64);
        Duration::from_millis(rng.random_range(low..=high))
    }
}

/// Milliseconds (as `f64`) to a duration capped at [`MAX_WAIT_MS`].
fn to_duration(ms: f64) -> Duration {
    if ms.is_finite() && ms < MAX_WAIT_MS as f64 {
        Duration::from_millis(ms as u64)
    } else {
        Duration::from_millis(MAX_WAIT_MS)
    }
}

/// The retry state: RetryCount for the Inform and when the next attempt is due, on the
/// clock's monotonic time line.
#[derive(Debug, Clone, Default)]
pub struct Retry {
    policy: RetryPolicy,
    count: u32,
    due: Option<Duration>,
    /// No attempt before this (the ACS's `Retry-After`), even for a new event.
    not_before: Option<Duration>,
}

impl Retry {
    /// No failure yet.
    pub fn new(policy: RetryPolicy) -> Self {
        Retry {
            policy,
            count: 0,
            due: None,
            not_before: None,
        }
    }

    /// Changes the policy (the ACS set the parameters); an armed retry keeps its time.
    pub fn set_policy(&mut self, policy: RetryPolicy) {
        self.policy = policy;
    }

    /// Failed attempts in a row: the Inform's `RetryCount`.
    pub fn retry_count(&self) -> u32 {
        self.count
    }

    /// When the next attempt is due (monotonic), if a retry is armed.
    pub fn due(&self) -> Option<Duration> {
        self.due
    }

    /// True if a retry is armed and its time has come.
    pub fn is_due(&self, now: Duration) -> bool {
        self.due.is_some_and(|d| now >= d)
    }

    /// A session failed at monotonic time `now`: counts it and arms the retry; returns the wait.
    pub fn session_failed(&mut self, now: Duration, rng: &mut impl Rng) -> Duration {
        self.session_refused(now, rng, None)
    }

    /// A session failed at `now` and the ACS asked, with `Retry-After`, to wait
    /// `retry_after`: the wait is the back-off or that, whichever is longer, and no event
    /// brings the retry before it (an overloaded ACS is not hit sooner than it asked).
    pub fn session_refused(
        &mut self,
        now: Duration,
        rng: &mut impl Rng,
        retry_after: Option<Duration>,
    ) -> Duration {
        self.count = self.count.saturating_add(1);
        let wait = self
            .policy
            .wait(self.count, rng)
            .max(retry_after.unwrap_or(Duration::ZERO));
        self.due = Some(now + wait);
        self.not_before = retry_after.map(|after| now + after);
        wait
    }

    /// A session completed: RetryCount returns to 0 (§3.2.1.1) and no retry is armed.
    pub fn session_succeeded(&mut self) {
        self.count = 0;
        self.due = None;
        self.not_before = None;
    }

    /// A new event was raised: an armed retry happens at once (the count is kept, so the
    /// Inform still reports it and a further failure backs off further).
    pub fn event_raised(&mut self, now: Duration) {
        if let Some(due) = &mut self.due {
            *due = (*due)
                .min(now)
                .max(self.not_before.unwrap_or(Duration::ZERO));
        }
    }

    /// The attempt now starting consumes the armed retry.
    pub fn attempt_started(&mut self) {
        self.due = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    fn secs(s: u64) -> Duration {
        Duration::from_secs(s)
    }

    #[test]
    fn retry_after_is_a_floor_that_events_do_not_break() {
        let mut r = Retry::new(RetryPolicy::default());
        let mut rng = StdRng::seed_from_u64(1);
        let wait = r.session_refused(secs(100), &mut rng, Some(secs(60)));
        assert!(wait >= secs(60), "{wait:?}");
        r.event_raised(secs(101));
        assert_eq!(r.due(), Some(secs(160)), "not before the ACS asked");
        r.session_succeeded();
        let wait = r.session_refused(secs(200), &mut rng, Some(secs(1)));
        assert!(wait >= secs(5), "the back-off still applies: {wait:?}");
        r.event_raised(secs(201));
        assert_eq!(r.due(), Some(secs(201)));
    }

    #[test]
    fn table_3_with_defaults() {
        let p = RetryPolicy::default();
        let expected = [
            (5, 10),
            (10, 20),
            (20, 40),
            (40, 80),
            (80, 160),
            (160, 320),
            (320, 640),
            (640, 1280),
            (1280, 2560),
            (2560, 5120),
            (2560, 5120),
            (2560, 5120),
        ];
        for (i, (lo, hi)) in expected.into_iter().enumerate() {
            assert_eq!(
                p.bounds(i as u32 + 1),
                (secs(lo), secs(hi)),
                "retry {}",
                i + 1
            );
        }
        assert_eq!(p.bounds(u32::MAX), (secs(2560), secs(5120)));
    }

    #[test]
    fn other_parameters_and_clamping() {
        let p = RetryPolicy::new(10, 1500);
        assert_eq!(p.bounds(1), (secs(10), secs(15)));
        assert_eq!(p.bounds(2), (secs(15), Duration::from_millis(22_500)));
        let flat = RetryPolicy::new(0, 0);
        assert_eq!(flat.bounds(7), (secs(1), secs(1)));
        let huge = RetryPolicy::new(65_535, 65_535);
        assert_eq!(huge.bounds(10).1, Duration::from_millis(MAX_WAIT_MS));
    }

    #[test]
    fn waits_are_random_within_bounds_and_reproducible() {
        let p = RetryPolicy::default();
        let mut rng = StdRng::seed_from_u64(7);
        let mut seen = std::collections::BTreeSet::new();
        for retry in 1..=12 {
            for _ in 0..50 {
                let w = p.wait(retry, &mut rng);
                let (lo, hi) = p.bounds(retry);
                assert!(lo <= w && w <= hi, "{w:?} outside {lo:?}..{hi:?}");
                seen.insert(w);
            }
        }
        assert!(seen.len() > 500, "waits should vary");
        let a = p.wait(3, &mut StdRng::seed_from_u64(1));
        let b = p.wait(3, &mut StdRng::seed_from_u64(1));
        assert_eq!(a, b);
    }

    #[test]
    fn count_grows_and_resets_after_success() {
        let mut r = Retry::new(RetryPolicy::default());
        let mut rng = StdRng::seed_from_u64(3);
        let mut now = Duration::ZERO;
        for n in 1..=11u32 {
            let wait = r.session_failed(now, &mut rng);
            assert_eq!(r.retry_count(), n);
            let (lo, hi) = RetryPolicy::default().bounds(n);
            assert!(lo <= wait && wait <= hi);
            assert!(!r.is_due(now + wait - Duration::from_millis(1)));
            now += wait;
            assert!(r.is_due(now));
            r.attempt_started();
            assert!(!r.is_due(now));
        }
        r.session_succeeded();
        assert_eq!(r.retry_count(), 0);
        assert_eq!(r.due(), None);
        let wait = r.session_failed(now, &mut rng);
        assert!(wait <= secs(10));
    }

    #[test]
    fn a_new_event_retries_at_once() {
        let mut r = Retry::new(RetryPolicy::default());
        let mut rng = StdRng::seed_from_u64(9);
        r.event_raised(secs(1));
        assert_eq!(r.due(), None, "nothing armed, nothing to advance");
        for _ in 0..5 {
            r.session_failed(secs(100), &mut rng);
        }
        assert!(!r.is_due(secs(101)));
        r.event_raised(secs(101));
        assert!(r.is_due(secs(101)));
        assert_eq!(r.retry_count(), 5);
    }
}
