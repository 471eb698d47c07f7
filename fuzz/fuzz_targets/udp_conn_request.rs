//! Any datagram as a TR-111 UDP Connection Request: parsing and validation never panic, a
//! parsed request signed again and written parses back equal, and a replayed valid request is
//! refused.
#![no_main]

use cwmp::udp_conn_request::UdpRequest;
use cwmp_cpe::conn_request::{UdpError, UdpValidator};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut validator = UdpValidator::new("acs", "secret", 30);
    let _ = validator.validate(data, None);
    let _ = validator.validate(data, Some(1_700_000_000));
    let Ok(req) = UdpRequest::parse(data) else {
        return;
    };
    let _ = req.signature_valid("secret");
    let signed = UdpRequest::signed(req.ts, &req.id, &req.un, &req.cn, "secret");
    assert!(signed.signature_valid("secret"));
    if let Ok(datagram) = signed.to_datagram("192.0.2.1:7547") {
        let back = UdpRequest::parse(&datagram).expect("our datagram parses");
        assert_eq!(back, signed);
        let mut v = UdpValidator::new(&signed.un, "secret", 30);
        if !signed.un.is_empty() {
            assert!(v.validate(&datagram, None).is_ok());
            assert_eq!(v.validate(&datagram, None).err(), Some(UdpError::Duplicate));
        }
    }
});
