//! The CPE's own requests: HoldRequests, TransferComplete, 8005 and other ACS faults.

use cwmp::EventCode;
use cwmp::event::MethodEvent;
use cwmp::rpc::{
    Download, GetRPCMethodsResponse, TransferComplete, TransferCompleteFaultStruct,
    TransferCompleteResponse,
};

use super::*;

fn transfer_complete(key: &str) -> CpeRequest {
    CpeRequest::TransferComplete(TransferComplete {
        command_key: key.into(),
        fault_struct: TransferCompleteFaultStruct {
            fault_code: None,
            fault_string: String::new(),
        },
        start_time: DateTime::from_unix(1_700_000_000, 0).unwrap(),
        complete_time: DateTime::from_unix(1_700_000_100, 0).unwrap(),
    })
}

#[test]
fn hold_requests_keeps_the_cpe_requests() {
    let Some(mut rig) = rig("hold_requests_keeps_the_cpe_requests") else {
        return;
    };
    rig.requests.push(CpeRequest::GetRPCMethods);
    let (mut s, _) = rig.start(&Options::default());
    let mut held = Envelope::new(CwmpVersion::V1_2, Header::with_id("1"), inform_response());
    held.header.hold_requests = Some(true);
    assert_eq!(s.on_reply(Some(wire(&held))), Step::SendEmpty);
    assert_eq!(s.on_reply(None), Step::Done);
    drop(s);
    assert_eq!(rig.requests.len(), 1, "sent in a later session");
}

#[test]
fn transfer_complete_is_sent_and_acknowledged() {
    let Some(mut rig) = rig("transfer_complete_is_sent_and_acknowledged") else {
        return;
    };
    rig.queue.raise(EventCode::TransferComplete, "").unwrap();
    rig.queue
        .raise(EventCode::Method(MethodEvent::Download), "dl-1")
        .unwrap();
    rig.requests.push(transfer_complete("dl-1"));
    let (mut s, _) = rig.start(&Options::default());
    let v = CwmpVersion::V1_2;
    let r = sent(s.on_reply(acs(v, "1", inform_response())));
    let Body::TransferComplete(tc) = &r.body else {
        panic!("expected TransferComplete, got {}", r.body.name());
    };
    assert_eq!(tc.command_key, "dl-1");
    assert!(r.header.id.is_some());
    assert_eq!(
        s.on_reply(acs(v, "2", TransferCompleteResponse {})),
        Step::SendEmpty
    );
    assert_eq!(s.on_reply(None), Step::Done);
    drop(s);
    assert!(rig.queue.is_empty(), "{:?}", rig.queue.events());
    assert!(rig.requests.is_empty());
}

#[test]
fn unacknowledged_transfer_complete_stays() {
    let Some(mut rig) = rig("unacknowledged_transfer_complete_stays") else {
        return;
    };
    rig.queue.raise(EventCode::TransferComplete, "").unwrap();
    rig.requests.push(transfer_complete("dl-2"));
    let (mut s, _) = rig.start(&Options::default());
    let v = CwmpVersion::V1_2;
    sent(s.on_reply(acs(v, "1", inform_response())));
    s.fail("connection reset");
    drop(s);
    assert!(rig.queue.contains(&EventCode::TransferComplete));
    assert_eq!(rig.requests.len(), 1);
}

#[test]
fn fault_8005_retries_and_other_faults_drop() {
    let Some(mut rig) = rig("fault_8005_retries_and_other_faults_drop") else {
        return;
    };
    rig.requests.push(CpeRequest::GetRPCMethods);
    rig.requests.push(transfer_complete("dl-3"));
    let (mut s, _) = rig.start(&Options::default());
    let v = CwmpVersion::V1_2;
    let first = sent(s.on_reply(acs(v, "1", inform_response())));
    assert!(matches!(first.body, Body::GetRPCMethods(_)));
    let again = sent(s.on_reply(acs(v, "2", acs_fault(FaultCode::ACS_RETRY_REQUEST))));
    assert!(matches!(again.body, Body::GetRPCMethods(_)));
    assert_ne!(again.header.id, first.header.id);
    let answer = GetRPCMethodsResponse {
        method_list: vec!["Inform".into(), "TransferComplete".into()],
    };
    let next = sent(s.on_reply(acs(v, "3", answer)));
    assert_eq!(s.acs_methods().map(<[String]>::len), Some(2));
    assert!(matches!(next.body, Body::TransferComplete(_)));
    let step = s.on_reply(acs(v, "4", acs_fault(FaultCode::ACS_INVALID_ARGUMENTS)));
    assert_eq!(step, Step::SendEmpty);
    assert!(s.notes().iter().any(|n| n.contains("TransferComplete")));
    assert_eq!(s.on_reply(None), Step::Done);
    drop(s);
    assert!(rig.requests.is_empty());
}

#[test]
fn wrong_response_to_a_cpe_request_fails() {
    let Some(mut rig) = rig("wrong_response_to_a_cpe_request_fails") else {
        return;
    };
    rig.requests.push(CpeRequest::GetRPCMethods);
    let (mut s, _) = rig.start(&Options::default());
    let v = CwmpVersion::V1_2;
    sent(s.on_reply(acs(v, "1", inform_response())));
    let step = s.on_reply(acs(v, "2", TransferCompleteResponse {}));
    assert!(matches!(step, Step::Failed(_)), "{step:?}");
    drop(s);
    assert_eq!(rig.requests.len(), 1);
}

#[test]
fn disabled_download_is_denied() {
    let Some(mut rig) = rig("disabled_download_is_denied") else {
        return;
    };
    let options = Options {
        permissions: Permissions {
            download: false,
            upload: true,
        },
        ..Options::default()
    };
    let (mut s, _) = rig.start(&options);
    let v = CwmpVersion::V1_2;
    s.on_reply(acs(v, "1", inform_response()));
    let download = Download {
        command_key: "d".into(),
        file_type: "1 Firmware Upgrade Image".into(),
        url: "http://files.example/fw.bin".into(),
        username: String::new(),
        password: String::new(),
        file_size: 0,
        target_file_name: String::new(),
        delay_seconds: 0,
        success_url: String::new(),
        failure_url: String::new(),
    };
    let r = sent(s.on_reply(acs(v, "2", download)));
    assert_eq!(fault_of(&r).code, FaultCode::REQUEST_DENIED);
    assert!(s.effects().is_empty());
}
