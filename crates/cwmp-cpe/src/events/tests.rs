use super::*;

fn m(method: MethodEvent) -> EventCode {
    EventCode::Method(method)
}

fn codes(list: &[EventStruct]) -> Vec<String> {
    list.iter()
        .map(|e| {
            if e.command_key.is_empty() {
                e.event_code.to_string()
            } else {
                format!("{}/{}", e.event_code, e.command_key)
            }
        })
        .collect()
}

fn queued(q: &EventQueue) -> Vec<(String, String)> {
    q.events()
        .iter()
        .map(|e| (e.code.to_string(), e.command_key.clone()))
        .collect()
}

#[test]
fn first_contact_is_bootstrap() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("events.json");
    let mut q = EventQueue::open(&path).unwrap();
    q.rebooted().unwrap();
    assert_eq!(codes(&q.for_inform()), ["0 BOOTSTRAP", "1 BOOT"]);
    q.inform_acknowledged().unwrap();
    assert!(q.is_empty());
    // The file now exists: the next start is not a first contact.
    let mut q = EventQueue::open(&path).unwrap();
    q.rebooted().unwrap();
    assert_eq!(codes(&q.for_inform()), ["1 BOOT"]);
}

#[test]
fn single_codes_merge_method_events_coexist() {
    let mut q = EventQueue::in_memory();
    q.raise(EventCode::ValueChange, "ignored").unwrap();
    q.raise(EventCode::ValueChange, "").unwrap();
    q.raise(EventCode::Scheduled, "").unwrap();
    q.raise(m(MethodEvent::ScheduleInform), "a").unwrap();
    q.raise(EventCode::Scheduled, "").unwrap();
    q.raise(m(MethodEvent::ScheduleInform), "b").unwrap();
    q.raise(m(MethodEvent::ScheduleInform), "b").unwrap();
    q.raise(m(MethodEvent::Reboot), "r1").unwrap();
    assert_eq!(
        codes(&q.for_inform()),
        [
            "3 SCHEDULED",
            "4 VALUE CHANGE",
            "M ScheduleInform/a",
            "M ScheduleInform/b",
            "M ScheduleInform/b",
            "M Reboot/r1"
        ]
    );
}

#[test]
fn bootstrap_discards_everything_else() {
    let mut q = EventQueue::in_memory();
    q.raise(EventCode::Periodic, "").unwrap();
    q.raise(EventCode::TransferComplete, "").unwrap();
    q.raise(m(MethodEvent::Download), "dl").unwrap();
    q.raise(EventCode::Vendor("X CT-COM BIND".into()), "")
        .unwrap();
    q.acs_url_changed().unwrap();
    q.raise(EventCode::ValueChange, "").unwrap();
    assert_eq!(codes(&q.for_inform()), ["0 BOOTSTRAP", "4 VALUE CHANGE"]);
    q.factory_reset().unwrap();
    q.rebooted().unwrap();
    assert_eq!(codes(&q.for_inform()), ["0 BOOTSTRAP", "1 BOOT"]);
}

#[test]
fn transfer_events_wait_for_transfer_complete_response() {
    let mut q = EventQueue::in_memory();
    q.raise(EventCode::Boot, "").unwrap();
    q.raise(EventCode::TransferComplete, "").unwrap();
    q.raise(m(MethodEvent::Download), "k1").unwrap();
    q.raise(m(MethodEvent::Upload), "k2").unwrap();
    q.raise(EventCode::AutonomousTransferComplete, "").unwrap();
    assert_eq!(q.for_inform().len(), 5);
    q.inform_acknowledged().unwrap();
    assert_eq!(
        queued(&q),
        [
            ("7 TRANSFER COMPLETE".into(), String::new()),
            ("M Download".into(), "k1".into()),
            ("M Upload".into(), "k2".into()),
            ("10 AUTONOMOUS TRANSFER COMPLETE".into(), String::new()),
        ]
    );
    q.transfer_complete_acknowledged("k1").unwrap();
    assert!(q.contains(&EventCode::TransferComplete));
    q.transfer_complete_acknowledged("k2").unwrap();
    assert!(!q.contains(&EventCode::TransferComplete));
    q.autonomous_transfer_complete_acknowledged().unwrap();
    assert!(q.is_empty());
}

#[test]
fn du_state_change_events_wait_for_their_response() {
    let mut q = EventQueue::in_memory();
    q.raise(EventCode::DuStateChangeComplete, "").unwrap();
    q.raise(m(MethodEvent::ChangeDuState), "du").unwrap();
    q.for_inform();
    q.inform_acknowledged().unwrap();
    assert_eq!(q.events().len(), 2);
    q.du_state_change_complete_acknowledged("du").unwrap();
    assert!(q.is_empty());
}

#[test]
fn events_raised_during_a_session_survive_its_acknowledgement() {
    let mut q = EventQueue::in_memory();
    q.raise(EventCode::ValueChange, "").unwrap();
    assert_eq!(codes(&q.for_inform()), ["4 VALUE CHANGE"]);
    // A second change while the Inform is in flight needs its own event.
    q.raise(EventCode::ValueChange, "").unwrap();
    q.raise(EventCode::ConnectionRequest, "").unwrap();
    assert!(q.has_unsent());
    q.inform_acknowledged().unwrap();
    assert_eq!(
        codes(&q.for_inform()),
        ["4 VALUE CHANGE", "6 CONNECTION REQUEST"]
    );
}

#[test]
fn resending_the_inform_merges_in_flight_duplicates() {
    let mut q = EventQueue::in_memory();
    q.raise(EventCode::ValueChange, "").unwrap();
    q.for_inform();
    q.raise(EventCode::ValueChange, "").unwrap();
    // 401 → the Inform is sent again: one VALUE CHANGE only.
    assert_eq!(codes(&q.for_inform()), ["4 VALUE CHANGE"]);
    q.inform_acknowledged().unwrap();
    assert!(q.is_empty());
}

#[test]
fn connection_request_is_not_retried() {
    let mut q = EventQueue::in_memory();
    q.raise(EventCode::ConnectionRequest, "").unwrap();
    q.raise(EventCode::Periodic, "").unwrap();
    q.raise(m(MethodEvent::Reboot), "rk").unwrap();
    q.for_inform();
    q.session_failed().unwrap();
    assert_eq!(codes(&q.for_inform()), ["2 PERIODIC", "M Reboot/rk"]);
    q.session_failed().unwrap();
    assert_eq!(codes(&q.for_inform()), ["2 PERIODIC", "M Reboot/rk"]);
}

#[test]
fn reboot_discards_boot_value_change_and_diagnostics() {
    let mut q = EventQueue::in_memory();
    for c in [
        EventCode::Boot,
        EventCode::Periodic,
        EventCode::Scheduled,
        EventCode::ValueChange,
        EventCode::DiagnosticsComplete,
        EventCode::ConnectionRequest,
        EventCode::TransferComplete,
    ] {
        q.raise(c, "").unwrap();
    }
    q.raise(m(MethodEvent::ScheduleInform), "s").unwrap();
    q.raise(m(MethodEvent::Download), "d").unwrap();
    q.rebooted().unwrap();
    assert_eq!(
        codes(&q.for_inform()),
        [
            "1 BOOT",
            "2 PERIODIC",
            "3 SCHEDULED",
            "7 TRANSFER COMPLETE",
            "M ScheduleInform/s",
            "M Download/d"
        ]
    );
}

#[test]
fn value_change_is_discarded_by_an_acs_url_change() {
    let mut q = EventQueue::in_memory();
    q.raise(EventCode::ValueChange, "").unwrap();
    q.acs_url_changed().unwrap();
    assert!(!q.contains(&EventCode::ValueChange));
    assert!(q.contains(&EventCode::Bootstrap));
}

#[test]
fn at_most_64_events_singles_first_then_oldest() {
    let mut q = EventQueue::in_memory();
    for i in 0..70 {
        q.raise(m(MethodEvent::ScheduleInform), &format!("k{i}"))
            .unwrap();
    }
    q.raise(EventCode::Scheduled, "").unwrap();
    q.raise(EventCode::Boot, "").unwrap();
    let first = q.for_inform();
    assert_eq!(first.len(), MAX_INFORM_EVENTS);
    assert_eq!(
        codes(&first[..3]),
        ["1 BOOT", "3 SCHEDULED", "M ScheduleInform/k0"]
    );
    assert_eq!(first[63].command_key, "k61");
    assert!(q.has_unsent());
    q.inform_acknowledged().unwrap();
    let second = q.for_inform();
    assert_eq!(
        codes(&second),
        [
            "M ScheduleInform/k62",
            "M ScheduleInform/k63",
            "M ScheduleInform/k64",
            "M ScheduleInform/k65",
            "M ScheduleInform/k66",
            "M ScheduleInform/k67",
            "M ScheduleInform/k68",
            "M ScheduleInform/k69"
        ]
    );
    assert!(!q.has_unsent());
}

#[test]
fn vendor_events() {
    let mut q = EventQueue::in_memory();
    let bind = EventCode::Vendor("X CT-COM BIND".into());
    q.raise(bind.clone(), "").unwrap();
    q.raise(bind.clone(), "").unwrap();
    q.raise(EventCode::Vendor("X 00D09E Reset by user".into()), "")
        .unwrap();
    assert_eq!(
        codes(&q.for_inform()),
        ["X CT-COM BIND", "X 00D09E Reset by user"]
    );
    let bad = q.raise(EventCode::Other("X CT-COM".into()), "");
    assert!(matches!(bad, Err(QueueError::InvalidCode(_))));
}

#[test]
fn reload_after_every_step() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("events.json");
    let mut q = EventQueue::open(&path).unwrap();
    type Step = Box<dyn Fn(&mut EventQueue)>;
    let steps: Vec<Step> = vec![
        Box::new(|q| q.rebooted().unwrap()),
        Box::new(|q| q.raise(EventCode::ValueChange, "").unwrap()),
        Box::new(|q| q.raise(m(MethodEvent::Download), "dl").unwrap()),
        Box::new(|q| q.raise(EventCode::TransferComplete, "").unwrap()),
        Box::new(|q| {
            q.for_inform();
            q.inform_acknowledged().unwrap();
        }),
        Box::new(|q| q.raise(EventCode::Periodic, "").unwrap()),
        Box::new(|q| q.transfer_complete_acknowledged("dl").unwrap()),
        Box::new(|q| q.acs_url_changed().unwrap()),
    ];
    for step in steps {
        step(&mut q);
        let reloaded = EventQueue::open(&path).unwrap();
        assert_eq!(reloaded.events(), q.events());
    }
    assert_eq!(queued(&q), [("0 BOOTSTRAP".into(), String::new())]);
}

#[test]
fn a_crash_mid_session_counts_as_a_failed_session() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("events.json");
    let mut q = EventQueue::open(&path).unwrap();
    q.raise(EventCode::ConnectionRequest, "").unwrap();
    q.for_inform();
    q.raise(EventCode::Periodic, "").unwrap(); // saves with `sent` flags set
    drop(q);
    let q = EventQueue::open(&path).unwrap();
    assert_eq!(
        queued(&q),
        [
            ("0 BOOTSTRAP".into(), String::new()),
            ("2 PERIODIC".into(), String::new())
        ]
    );
    assert!(q.events().iter().all(|e| !e.sent));
}

#[test]
fn a_crash_during_a_save_keeps_the_old_or_the_new_queue() {
    for crash in [
        SaveStep::TempWritten,
        SaveStep::TempSynced,
        SaveStep::Renamed,
    ] {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("events.json");
        let mut q = EventQueue::open(&path).unwrap();
        q.raise(EventCode::Boot, "").unwrap();
        let before = q.events().to_vec();
        q.crash_at = Some(crash);
        let err = q.raise(m(MethodEvent::Reboot), "rk");
        assert!(matches!(err, Err(QueueError::Store(_))), "{crash:?}");
        let after = q.events().to_vec();
        // "Restart": the new process reads whatever reached the disk.
        let reloaded = EventQueue::open(&path).unwrap();
        if crash == SaveStep::Renamed {
            assert_eq!(reloaded.events(), after);
        } else {
            assert_eq!(reloaded.events(), before, "{crash:?}");
        }
        // The next save succeeds and overwrites any temporary file.
        let mut q = reloaded;
        q.raise(EventCode::Periodic, "").unwrap();
        assert_eq!(EventQueue::open(&path).unwrap().events(), q.events());
    }
}

#[test]
fn corrupt_file_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("events.json");
    std::fs::write(&path, b"{not json").unwrap();
    assert!(matches!(
        EventQueue::open(&path),
        Err(QueueError::Store(StoreError::Corrupt { .. }))
    ));
    std::fs::write(&path, br#"{"format":99,"events":[]}"#).unwrap();
    assert!(matches!(
        EventQueue::open(&path),
        Err(QueueError::Store(StoreError::Corrupt { .. }))
    ));
}
