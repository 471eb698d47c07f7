//! What the logs say about sessions at a cost an operator can afford: the per-session INFO
//! line off (the default), sampled one in N, or kept for every session; and a summary line
//! of the session counts every few seconds while sessions happen (at 5,000 sessions/s, one
//! line per session filled a gigabyte an hour). The counts are also in the metrics.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::metrics::{Metrics, SessionCounts};

/// Which sessions get their `session finished` line (config `session_log`: `off`, `all`,
/// `sample:N`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum SessionLines {
    /// None (the summary line still counts them).
    #[default]
    Off,
    /// Every session.
    All,
    /// One session in N (N ≥ 1).
    Sample(u32),
}

impl TryFrom<String> for SessionLines {
    type Error = String;

    fn try_from(text: String) -> Result<SessionLines, String> {
        match text.trim() {
            "off" => Ok(SessionLines::Off),
            "all" => Ok(SessionLines::All),
            other => other
                .strip_prefix("sample:")
                .and_then(|n| n.trim().parse::<u32>().ok())
                .filter(|n| *n >= 1)
                .map(SessionLines::Sample)
                .ok_or_else(|| {
                    format!(
                        "session_log is \"off\", \"all\" or \"sample:N\" (N >= 1), not {other:?}"
                    )
                }),
        }
    }
}

impl fmt::Display for SessionLines {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SessionLines::Off => f.write_str("off"),
            SessionLines::All => f.write_str("all"),
            SessionLines::Sample(n) => write!(f, "sample:{n}"),
        }
    }
}

impl From<SessionLines> for String {
    fn from(lines: SessionLines) -> String {
        lines.to_string()
    }
}

/// Decides, session by session, whether its line is written.
#[derive(Debug, Default)]
pub struct SessionLog {
    lines: SessionLines,
    seen: AtomicU64,
}

impl SessionLog {
    /// A log writing the lines `lines` says.
    pub fn new(lines: SessionLines) -> SessionLog {
        SessionLog {
            lines,
            seen: AtomicU64::new(0),
        }
    }

    /// Whether the session finishing now gets its line.
    pub fn should_log(&self) -> bool {
        match self.lines {
            SessionLines::Off => false,
            SessionLines::All => true,
            SessionLines::Sample(n) => self
                .seen
                .fetch_add(1, Ordering::Relaxed)
                .is_multiple_of(u64::from(n)),
        }
    }
}

/// Every `every`, one INFO line with what happened to sessions since the last one; nothing
/// while nothing happens. Runs until dropped.
pub async fn summarize(metrics: Arc<Metrics>, every: Duration) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut last = metrics.session_counts();
    loop {
        tick.tick().await;
        let now = metrics.session_counts();
        if let Some(line) = summary(&last, &now) {
            tracing::info!(target: "cwmp_acs::sessions", "{line}");
        }
        last = now;
    }
}

/// The summary of the counts from `before` to `after`; `None` when no session started,
/// ended or was refused in between.
fn summary(before: &SessionCounts, after: &SessionCounts) -> Option<String> {
    let started = after.started.saturating_sub(before.started);
    let busy = after.busy.saturating_sub(before.busy);
    let overload = after.overload.saturating_sub(before.overload);
    let ended: Vec<String> = after
        .ended
        .iter()
        .zip(&before.ended)
        .filter_map(|((label, a), (_, b))| {
            let n = a.saturating_sub(*b);
            (n > 0).then(|| format!("{label}={n}"))
        })
        .collect();
    if started == 0 && busy == 0 && overload == 0 && ended.is_empty() {
        return None;
    }
    Some(format!(
        "sessions: started={started} ended[{}] refused busy={busy} overload={overload} active={}",
        ended.join(" "),
        after.active
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_lines_parse_and_print_back() {
        for text in ["off", "all", "sample:100"] {
            let lines = SessionLines::try_from(text.to_owned()).expect(text);
            assert_eq!(lines.to_string(), text);
        }
        assert!(SessionLines::try_from("sample:0".to_owned()).is_err());
        assert!(SessionLines::try_from("some".to_owned()).is_err());
    }

    #[test]
    fn one_session_in_n_is_logged() {
        let log = SessionLog::new(SessionLines::Sample(3));
        let logged = (0..9).filter(|_| log.should_log()).count();
        assert_eq!(logged, 3);
        assert!(!SessionLog::new(SessionLines::Off).should_log());
        assert!(SessionLog::new(SessionLines::All).should_log());
    }

    #[test]
    fn the_summary_counts_what_changed_and_is_silent_when_idle() {
        let metrics = Metrics::default();
        let before = metrics.session_counts();
        assert_eq!(summary(&before, &metrics.session_counts()), None);
        metrics.session_started();
        metrics.session_ended("ok", Duration::from_millis(5));
        metrics.session_ended("connection closed", Duration::from_millis(5));
        metrics.busy_refused();
        let line = summary(&before, &metrics.session_counts()).expect("a line");
        assert!(line.contains("started=1"), "{line}");
        assert!(line.contains("ok=1 connection_closed=1"), "{line}");
        assert!(line.contains("busy=1"), "{line}");
    }
}
