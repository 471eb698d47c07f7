use super::*;
use crate::clock::{Clock, ManualClock};
use crate::retry::{Retry, RetryPolicy};
use rand::SeedableRng;
use rand::rngs::StdRng;

const T0: i64 = 1_714_557_600; // 2024-05-01T10:00:00Z

fn at(text: &str) -> DateTime {
    text.parse().unwrap()
}

fn periodic(interval: u32, time: &str) -> PeriodicInform {
    PeriodicInform {
        enable: true,
        interval,
        time: at(time),
    }
}

#[test]
fn phase_rule_with_a_known_time() {
    // Phase 10:00:00Z, hourly: from 11:23:20 the next is 12:00:00.
    let s = Scheduler::new(periodic(3600, "2024-05-01T10:00:00Z"), T0 + 5000);
    assert_eq!(s.next_periodic(), Some(T0 + 7200));
    // A phase in the future still defines every instant before it too.
    let s = Scheduler::new(periodic(3600, "2024-05-02T10:00:30Z"), T0);
    assert_eq!(s.next_periodic(), Some(T0 + 30));
    // Offsets are honoured; a time without offset is UTC.
    let s = Scheduler::new(periodic(86_400, "2024-05-01T12:00:00+02:00"), T0);
    assert_eq!(s.next_periodic(), Some(T0 + 86_400));
    let s = Scheduler::new(periodic(86_400, "2024-05-01T10:00:01"), T0);
    assert_eq!(s.next_periodic(), Some(T0 + 1));
}

#[test]
fn unknown_time_means_one_interval_from_now() {
    let mut s = Scheduler::new(periodic(600, "0001-01-01T00:00:00Z"), T0 + 17);
    assert_eq!(s.next_periodic(), Some(T0 + 617));
    assert_eq!(s.poll(T0 + 617), [(EventCode::Periodic, String::new())]);
    assert_eq!(s.next_periodic(), Some(T0 + 1217));
    s.set_periodic(periodic(300, "0001-01-01T00:00:00Z"), T0 + 1000);
    assert_eq!(s.next_periodic(), Some(T0 + 1300));
}

#[test]
fn disabled_or_zero_interval_never_fires() {
    let mut p = periodic(60, "2024-05-01T10:00:00Z");
    p.enable = false;
    let mut s = Scheduler::new(p, T0);
    assert_eq!(s.next_periodic(), None);
    assert!(s.poll(T0 + 1_000_000).is_empty());
    s.set_periodic(periodic(0, "2024-05-01T10:00:00Z"), T0);
    assert_eq!(s.next_periodic(), None);
    assert_eq!(next_after(i64::MAX, 10, i64::MIN), None);
}

#[test]
fn missed_instants_give_one_periodic() {
    let mut s = Scheduler::new(periodic(60, "2024-05-01T10:00:00Z"), T0);
    assert!(s.poll(T0 + 59).is_empty());
    assert_eq!(s.poll(T0 + 3_630).len(), 1);
    assert_eq!(s.next_periodic(), Some(T0 + 3_660));
}

#[test]
fn clock_set_back_rephases() {
    let mut s = Scheduler::new(periodic(3600, "2024-05-01T10:00:00Z"), T0 + 10);
    assert_eq!(s.next_periodic(), Some(T0 + 3600));
    assert!(s.poll(T0 - 86_400 + 10).is_empty());
    assert_eq!(s.next_periodic(), Some(T0 - 86_400 + 3600));
}

#[test]
fn schedule_inform_several_pending() {
    let mut s = Scheduler::new(PeriodicInform::default(), T0);
    s.schedule_inform(T0, 30, "a");
    s.schedule_inform(T0, 10, "b");
    s.schedule_inform(T0, 30, "c");
    assert_eq!(s.pending().len(), 3);
    assert!(s.poll(T0 + 9).is_empty());
    let si = |k: &str| (EventCode::Method(MethodEvent::ScheduleInform), k.to_owned());
    let sched = (EventCode::Scheduled, String::new());
    assert_eq!(s.poll(T0 + 10), [sched.clone(), si("b")]);
    assert_eq!(
        s.poll(T0 + 31),
        [sched.clone(), si("a"), sched.clone(), si("c")]
    );
    assert!(s.pending().is_empty());
    s.schedule_inform(T0, 5, "d");
    s.clear_scheduled();
    assert!(s.poll(T0 + 100).is_empty());
}

#[test]
fn next_wakeup_combines_the_three_timers() {
    let mut s = Scheduler::new(periodic(3600, "2024-05-01T10:00:00Z"), T0);
    let mono = Duration::from_secs(50);
    assert_eq!(
        s.next_wakeup(T0, mono, None),
        Some(Duration::from_secs(3600))
    );
    s.schedule_inform(T0, 120, "k");
    assert_eq!(
        s.next_wakeup(T0, mono, None),
        Some(Duration::from_secs(120))
    );
    let retry = Some(Duration::from_secs(57));
    assert_eq!(s.next_wakeup(T0, mono, retry), Some(Duration::from_secs(7)));
    // Overdue timers wake at once.
    assert_eq!(s.next_wakeup(T0 + 500, mono, None), Some(Duration::ZERO));
    let idle = Scheduler::new(PeriodicInform::default(), T0);
    assert_eq!(idle.next_wakeup(T0, mono, None), None);
    assert_eq!(
        idle.next_wakeup(T0, mono, retry),
        Some(Duration::from_secs(7))
    );
}

#[test]
fn serde_round_trip() {
    let mut s = Scheduler::new(periodic(3600, "2024-05-01T10:00:00Z"), T0);
    s.schedule_inform(T0, 5, "k");
    let json = serde_json::to_string(&s).unwrap();
    assert_eq!(serde_json::from_str::<Scheduler>(&json).unwrap(), s);
}

/// A day of an agent loop on a manual clock: hourly Informs plus a failing-then-recovering
/// session, with no real waiting.
#[test]
fn a_simulated_day() {
    let clock = ManualClock::at_unix(T0 + 1);
    let mut s = Scheduler::new(periodic(3600, "2024-05-01T10:00:00Z"), clock.unix());
    let mut retry = Retry::new(RetryPolicy::default());
    let mut rng = StdRng::seed_from_u64(42);
    let (mut periodic_informs, mut attempts) = (0, 0);
    let end = T0 + 86_400;
    while let Some(sleep) = s.next_wakeup(clock.unix(), clock.monotonic(), retry.due()) {
        clock.advance(
            sleep
                .max(Duration::from_secs(1))
                .min(Duration::from_secs(3600)),
        );
        if clock.unix() > end {
            break;
        }
        let due = s.poll(clock.unix());
        periodic_informs += due.len();
        if !due.is_empty() || retry.is_due(clock.monotonic()) {
            retry.attempt_started();
            attempts += 1;
            // The ACS is down for the 3rd to 5th attempts.
            if (3..=5).contains(&attempts) {
                retry.session_failed(clock.monotonic(), &mut rng);
            } else {
                retry.session_succeeded();
            }
        }
    }
    assert_eq!(periodic_informs, 24);
    assert_eq!(attempts, 24 + 3);
    assert_eq!(retry.retry_count(), 0);
}
