//! The live progress line (indicatif), drawn only when stderr is a terminal.

use std::io::IsTerminal as _;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::stats::Stats;

/// A one-line spinner with the run's counters, or nothing when not on a terminal.
#[derive(Debug)]
pub struct Progress {
    bar: Option<ProgressBar>,
}

impl Progress {
    /// A progress line on stderr if it is a terminal.
    pub fn new() -> Self {
        if !std::io::stderr().is_terminal() {
            return Progress { bar: None };
        }
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr_with_hz(4));
        if let Ok(style) = ProgressStyle::with_template("{spinner} {elapsed_precise} {msg}") {
            bar.set_style(style);
        }
        Progress { bar: Some(bar) }
    }

    /// Redraws with the current counters.
    pub fn update(&self, stats: &Stats, active: usize, elapsed: Duration) {
        if let Some(bar) = &self.bar {
            let secs = elapsed.as_secs_f64().max(0.001);
            bar.set_message(format!(
                "sessions {} ok {} failed {} active | {:.0}/s | p99 {:.0} ms",
                stats.ok,
                stats.failed_total(),
                active,
                stats.finished() as f64 / secs,
                stats.latency(0.99).as_secs_f64() * 1000.0,
            ));
            bar.tick();
        }
    }

    /// Removes the line.
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

impl Default for Progress {
    fn default() -> Self {
        Self::new()
    }
}
