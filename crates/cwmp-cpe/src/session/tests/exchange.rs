//! The Inform, the ACS's requests, the end of the session and its failures.

use cwmp::EventCode;
use cwmp::Value;
use cwmp::event::MethodEvent;
use cwmp::rpc::{
    AddObject, GetParameterValues, GetQueuedTransfers, ParameterValueStruct, Reboot,
    ScheduleInform, SetParameterValues,
};

use super::*;

fn gpv(names: &[&str]) -> GetParameterValues {
    GetParameterValues {
        parameter_names: names.iter().map(|n| (*n).to_owned()).collect(),
    }
}

#[test]
fn full_exchange_bootstrap_to_reboot() {
    let Some(mut rig) = rig("full_exchange_bootstrap_to_reboot") else {
        return;
    };
    rig.queue.raise(EventCode::Bootstrap, "").unwrap();
    rig.queue.raise(EventCode::Boot, "").unwrap();
    let (mut s, inform) = rig.start(&Options::default());
    assert_eq!(inform.version, CwmpVersion::V1_2);
    assert!(inform.header.id.is_some());
    let Body::Inform(i) = &inform.body else {
        panic!("expected an Inform");
    };
    let codes: Vec<_> = i.event.iter().map(|e| e.event_code.clone()).collect();
    assert_eq!(codes, [EventCode::Bootstrap, EventCode::Boot]);
    assert_eq!((i.max_envelopes, i.retry_count), (1, 3));
    assert_eq!(i.device_id, device_id());
    assert!(
        i.parameter_list
            .iter()
            .any(|p| p.name == "Device.DeviceInfo.SoftwareVersion")
    );

    let v = CwmpVersion::V1_2;
    assert_eq!(s.on_reply(acs(v, "1", inform_response())), Step::SendEmpty);

    let r = sent(s.on_reply(acs(v, "g1", gpv(&["Device.DeviceInfo.SoftwareVersion"]))));
    assert_eq!(r.header.id.as_deref(), Some("g1"));
    let Body::GetParameterValuesResponse(values) = &r.body else {
        panic!("expected GetParameterValuesResponse, got {}", r.body.name());
    };
    assert_eq!(values.parameter_list.len(), 1);

    let spv = SetParameterValues {
        parameter_list: vec![
            ParameterValueStruct {
                name: "Device.DeviceInfo.ProvisioningCode".into(),
                value: Value::String("fine".into()),
            },
            ParameterValueStruct {
                name: "Device.ManagementServer.PeriodicInformInterval".into(),
                value: Value::Boolean(true),
            },
        ],
        parameter_key: "k1".into(),
    };
    let r = sent(s.on_reply(acs(v, "s1", spv)));
    assert_eq!(r.header.id.as_deref(), Some("s1"));
    let f = fault_of(&r);
    assert_eq!(f.code, FaultCode::INVALID_ARGUMENTS);
    let names: Vec<_> = f
        .set_parameter_values_faults
        .iter()
        .map(|p| p.parameter_name.as_str())
        .collect();
    assert_eq!(names, ["Device.ManagementServer.PeriodicInformInterval"]);

    let add = AddObject {
        object_name: "Device.IP.Interface.".into(),
        parameter_key: "k2".into(),
    };
    let r = sent(s.on_reply(acs(v, "a1", add)));
    assert!(matches!(r.body, Body::AddObjectResponse(_)), "{r:?}");

    let reboot = Reboot {
        command_key: "rb".into(),
    };
    let r = sent(s.on_reply(acs(v, "r1", reboot)));
    assert!(matches!(r.body, Body::RebootResponse(_)));
    assert_eq!(r.header.id.as_deref(), Some("r1"));

    assert_eq!(s.on_reply(None), Step::Done);
    assert!(s.is_done());
    assert_eq!(
        s.take_effects(),
        [Effect::Reboot {
            command_key: "rb".into()
        }]
    );
    drop(s);
    // BOOTSTRAP and BOOT left with the InformResponse; M Reboot waits for the next boot.
    let left: Vec<_> = rig.queue.events().iter().map(|e| e.code.clone()).collect();
    assert_eq!(left, [EventCode::Method(MethodEvent::Reboot)]);
}

#[test]
fn unknown_method_is_fault_9000_with_the_id() {
    let Some(mut rig) = rig("unknown_method_is_fault_9000_with_the_id") else {
        return;
    };
    let (mut s, _) = rig.start(&Options::default());
    let v = CwmpVersion::V1_2;
    assert_eq!(s.on_reply(acs(v, "1", inform_response())), Step::SendEmpty);
    let r = sent(s.on_reply(acs(v, "q-42", GetQueuedTransfers {})));
    assert_eq!(r.header.id.as_deref(), Some("q-42"));
    assert_eq!(fault_of(&r).code, FaultCode::METHOD_NOT_SUPPORTED);
    // The session goes on.
    assert_eq!(s.on_reply(None), Step::Done);
}

/// An ACS message as raw XML: the head and parse error the transport hands over.
fn unparsable(xml: &str) -> (cwmp::EnvelopeHead, cwmp::ParseError) {
    let limits = cwmp::Limits::default();
    let error = Envelope::parse(xml).expect_err("must not parse");
    let head = Envelope::parse_head(xml.as_bytes(), None, &limits).expect("head");
    (head, error)
}

fn raw(header: &str, body: &str) -> String {
    format!(
        "<soap-env:Envelope xmlns:soap-env=\"http://schemas.xmlsoap.org/soap/envelope/\" \
         xmlns:cwmp=\"urn:dslforum-org:cwmp-1-2\"><soap-env:Header>{header}</soap-env:Header>\
         <soap-env:Body>{body}</soap-env:Body></soap-env:Envelope>"
    )
}

#[test]
fn unparsable_requests_are_answered_and_responses_fail_the_session() {
    let Some(mut rig) = rig("unparsable_requests_are_answered") else {
        return;
    };
    let id = r#"<cwmp:ID soap-env:mustUnderstand="1">x-1</cwmp:ID>"#;
    let trace = r#"<t:Trace xmlns:t="urn:t" soap-env:mustUnderstand="1"/>"#;
    {
        let (mut s, _) = rig.start(&Options::default());
        let v = CwmpVersion::V1_2;
        assert_eq!(s.on_reply(acs(v, "1", inform_response())), Step::SendEmpty);
        let (head, e) = unparsable(&raw(id, "<cwmp:X_TEST_Bogus/>"));
        let r = sent(s.on_unparsable(head, &e));
        assert_eq!(r.header.id.as_deref(), Some("x-1"));
        assert_eq!(fault_of(&r).code, FaultCode::METHOD_NOT_SUPPORTED);
        let (head, e) = unparsable(&raw(&format!("{trace}{id}"), "<cwmp:GetRPCMethods/>"));
        let r = sent(s.on_unparsable(head, &e));
        assert_eq!(r.header.id.as_deref(), Some("x-1"));
        assert!(matches!(&r.body, Body::Fault(f) if f.kind == cwmp::FaultKind::MustUnderstand));
        assert_eq!(s.on_reply(None), Step::Done);
    }
    // In place of the InformResponse: no fault to a response (TR-069 §3.5), the session fails.
    let (mut s, _) = rig.start(&Options::default());
    let (head, e) = unparsable(&raw(
        &format!("{trace}{id}"),
        "<cwmp:InformResponse><MaxEnvelopes>1</MaxEnvelopes></cwmp:InformResponse>",
    ));
    assert!(matches!(s.on_unparsable(head, &e), Step::Failed(_)));
    assert!(s.is_failed());
}

#[test]
fn replies_use_the_acs_namespace() {
    for (acs_version, ns) in [
        (CwmpVersion::V1_0, "urn:dslforum-org:cwmp-1-0"),
        (CwmpVersion::V1_2, "urn:dslforum-org:cwmp-1-2"),
    ] {
        let Some(mut rig) = rig("replies_use_the_acs_namespace") else {
            return;
        };
        let (mut s, inform) = rig.start(&Options::default());
        assert_eq!(inform.version, CwmpVersion::V1_2);
        assert_eq!(
            s.on_reply(acs(acs_version, "1", inform_response())),
            Step::SendEmpty
        );
        assert_eq!(s.version(), acs_version);
        let Step::Send(r) = s.on_reply(acs(
            acs_version,
            "x7",
            gpv(&["Device.RootDataModelVersion"]),
        )) else {
            panic!("expected a response");
        };
        assert_eq!(r.version, acs_version);
        let xml = r.to_xml().unwrap();
        assert!(xml.contains(ns), "{xml}");
        assert!(xml.contains(">x7<"), "{xml}");
    }
}

#[test]
fn schedule_inform_and_its_arguments() {
    let Some(mut rig) = rig("schedule_inform_and_its_arguments") else {
        return;
    };
    let (mut s, _) = rig.start(&Options::default());
    let v = CwmpVersion::V1_2;
    s.on_reply(acs(v, "1", inform_response()));
    let bad = ScheduleInform {
        delay_seconds: 0,
        command_key: "z".into(),
    };
    let r = sent(s.on_reply(acs(v, "2", bad)));
    assert_eq!(fault_of(&r).code, FaultCode::INVALID_ARGUMENTS);
    let good = ScheduleInform {
        delay_seconds: 60,
        command_key: "later".into(),
    };
    let r = sent(s.on_reply(acs(v, "3", good)));
    assert!(matches!(r.body, Body::ScheduleInformResponse(_)));
    assert_eq!(s.on_reply(None), Step::Done);
    assert_eq!(
        s.effects(),
        [Effect::ScheduleInform {
            delay_seconds: 60,
            command_key: "later".into()
        }]
    );
}

#[test]
fn message_bound_fails_the_session() {
    let Some(mut rig) = rig("message_bound_fails_the_session") else {
        return;
    };
    rig.queue.raise(EventCode::Periodic, "").unwrap();
    let options = Options {
        max_messages: 3,
        ..Options::default()
    };
    let (mut s, _) = rig.start(&options);
    let v = CwmpVersion::V1_2;
    assert_eq!(s.on_reply(acs(v, "1", inform_response())), Step::SendEmpty);
    for id in ["2", "3"] {
        sent(s.on_reply(acs(v, id, gpv(&["Device.RootDataModelVersion"]))));
    }
    let step = s.on_reply(acs(v, "4", gpv(&["Device.RootDataModelVersion"])));
    assert!(matches!(step, Step::Failed(_)), "{step:?}");
    assert!(s.is_failed());
    assert!(matches!(s.on_reply(None), Step::Failed(_)));
}

#[test]
fn malformed_sequences_fail_and_keep_the_events() {
    let v = CwmpVersion::V1_2;
    let replies: [Option<Envelope>; 3] = [
        None,
        acs(v, "1", gpv(&["Device.RootDataModelVersion"])),
        acs(v, "1", acs_fault(FaultCode::ACS_REQUEST_DENIED)),
    ];
    for reply in replies {
        let Some(mut rig) = rig("malformed_sequences_fail_and_keep_the_events") else {
            return;
        };
        rig.queue.raise(EventCode::Boot, "").unwrap();
        rig.queue.raise(EventCode::ConnectionRequest, "").unwrap();
        let (mut s, _) = rig.start(&Options::default());
        let step = s.on_reply(reply);
        assert!(matches!(step, Step::Failed(_)), "{step:?}");
        assert!(!s.notes().is_empty());
        drop(s);
        // BOOT stays for the retry; 6 CONNECTION REQUEST is not retried.
        let left: Vec<_> = rig.queue.events().iter().map(|e| e.code.clone()).collect();
        assert_eq!(left, [EventCode::Boot]);
    }
}

#[test]
fn response_where_a_request_was_expected_fails() {
    let Some(mut rig) = rig("response_where_a_request_was_expected_fails") else {
        return;
    };
    let (mut s, _) = rig.start(&Options::default());
    let v = CwmpVersion::V1_2;
    s.on_reply(acs(v, "1", inform_response()));
    let step = s.on_reply(acs(v, "2", inform_response()));
    assert!(matches!(step, Step::Failed(_)), "{step:?}");
}

#[test]
fn fault_8005_to_the_inform_resends_it() {
    let Some(mut rig) = rig("fault_8005_to_the_inform_resends_it") else {
        return;
    };
    rig.queue.raise(EventCode::Periodic, "").unwrap();
    let (mut s, first) = rig.start(&Options::default());
    let v = CwmpVersion::V1_2;
    let again = sent(s.on_reply(acs(v, "1", acs_fault(FaultCode::ACS_RETRY_REQUEST))));
    assert_eq!(again.body, first.body);
    assert_ne!(again.header.id, first.header.id);
    assert_eq!(s.on_reply(acs(v, "2", inform_response())), Step::SendEmpty);
    assert_eq!(s.on_reply(None), Step::Done);
    drop(s);
    assert!(rig.queue.is_empty());
}
