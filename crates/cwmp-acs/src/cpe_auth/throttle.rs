//! Throttling of failed CPE authentications per source address: after `max_failures`
//! failures within `window`, the address is refused for `block` (answered 503 with
//! `Retry-After`, which CPEs honour — TR-069 §3.4.3 — unlike 429). The table is bounded:
//! when full, entries that no longer matter go first, then the oldest.

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::Duration;

/// Throttling settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThrottleConfig {
    /// Failures within `window` that block an address (0: never block).
    pub max_failures: u32,
    /// Window over which failures are counted.
    pub window: Duration,
    /// How long a blocked address is refused.
    pub block: Duration,
    /// Most addresses tracked.
    pub max_entries: usize,
}

#[derive(Debug, Clone, Copy)]
struct Entry {
    window_start: Duration,
    failures: u32,
    blocked_until: Option<Duration>,
}

/// Failure counts per address.
#[derive(Debug)]
pub struct Throttle {
    config: ThrottleConfig,
    entries: HashMap<IpAddr, Entry>,
}

impl Throttle {
    /// An empty table.
    pub fn new(config: ThrottleConfig) -> Throttle {
        Throttle {
            config,
            entries: HashMap::new(),
        }
    }

    /// How long `ip` must still wait at `now`, if it is blocked.
    pub fn blocked(&self, ip: IpAddr, now: Duration) -> Option<Duration> {
        let until = self.entries.get(&ip)?.blocked_until?;
        (until > now).then(|| until - now)
    }

    /// Counts a failure of `ip` at `now`; returns the wait when this blocks it.
    pub fn failure(&mut self, ip: IpAddr, now: Duration) -> Option<Duration> {
        let c = self.config;
        if c.max_failures == 0 {
            return None;
        }
        if !self.entries.contains_key(&ip) {
            self.make_room(now);
        }
        let e = self.entries.entry(ip).or_insert(Entry {
            window_start: now,
            failures: 0,
            blocked_until: None,
        });
        if now.saturating_sub(e.window_start) > c.window
            || e.blocked_until.is_some_and(|u| u <= now)
        {
            *e = Entry {
                window_start: now,
                failures: 0,
                blocked_until: None,
            };
        }
        e.failures = e.failures.saturating_add(1);
        if e.failures >= c.max_failures {
            e.blocked_until = Some(now + c.block);
            return Some(c.block);
        }
        None
    }

    /// Forgets the failures of `ip` (it authenticated).
    pub fn success(&mut self, ip: IpAddr) {
        self.entries.remove(&ip);
    }

    /// Addresses tracked.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when no address is tracked.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    fn make_room(&mut self, now: Duration) {
        if self.entries.len() < self.config.max_entries.max(1) {
            return;
        }
        let window = self.config.window;
        self.entries.retain(|_, e| match e.blocked_until {
            Some(until) => until > now,
            None => now.saturating_sub(e.window_start) <= window,
        });
        while self.entries.len() >= self.config.max_entries.max(1) {
            // The entry that matters least: the one whose window or block ends first.
            let victim = self
                .entries
                .iter()
                .min_by_key(|(_, e)| e.blocked_until.unwrap_or(e.window_start + window))
                .map(|(ip, _)| *ip);
            match victim {
                Some(ip) => self.entries.remove(&ip),
                None => break,
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> ThrottleConfig {
        ThrottleConfig {
            max_failures: 3,
            window: Duration::from_secs(60),
            block: Duration::from_secs(120),
            max_entries: 4,
        }
    }

    fn ip(n: u8) -> IpAddr {
        IpAddr::from([192, 0, 2, n])
    }

    #[test]
    fn blocks_after_failures_in_window_then_releases() {
        let mut t = Throttle::new(config());
        let s = Duration::from_secs;
        assert_eq!(t.failure(ip(1), s(0)), None);
        assert_eq!(t.failure(ip(1), s(10)), None);
        assert_eq!(t.blocked(ip(1), s(10)), None);
        assert_eq!(t.failure(ip(1), s(20)), Some(s(120)));
        assert_eq!(t.blocked(ip(1), s(30)), Some(s(110)));
        assert_eq!(t.blocked(ip(2), s(30)), None);
        assert_eq!(t.blocked(ip(1), s(140)), None);
        // A new window after the block.
        assert_eq!(t.failure(ip(1), s(141)), None);
        // Failures spread beyond the window never block.
        assert_eq!(t.failure(ip(3), s(0)), None);
        assert_eq!(t.failure(ip(3), s(50)), None);
        assert_eq!(t.failure(ip(3), s(200)), None);
        assert_eq!(t.blocked(ip(3), s(200)), None);
        t.success(ip(3));
        assert_eq!(t.len(), 1);
    }

    #[test]
    fn table_is_bounded() {
        let mut t = Throttle::new(config());
        let now = Duration::from_secs(5);
        for _ in 0..3 {
            t.failure(ip(1), now);
        }
        for n in 2..=50 {
            t.failure(ip(n), now);
            assert!(t.len() <= 4);
        }
        // The blocked address outlives the others when room is made.
        assert!(t.blocked(ip(1), now).is_some());
    }
}
