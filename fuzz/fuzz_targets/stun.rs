//! Any datagram on the agent's UDP port, read as STUN (RFC 3489, TR-111 Part 2): parsing,
//! every accessor and the answer never panic; what we build parses back to what we meant.
#![no_main]

use std::net::{IpAddr, Ipv6Addr, SocketAddr};

use cwmp_cpe::stun::{self, BindingAnswer, Message};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(m) = Message::parse(data) else {
        return;
    };
    for attr in m.attributes() {
        let Ok((kind, value)) = attr else { break };
        assert_eq!(m.attribute(kind).is_some(), true);
        let _ = value;
    }
    let _ = m.is_cr_binding_request();
    let _ = m.has_binding_change();
    let _ = m.username();
    let _ = m.integrity_valid("secret");
    let _ = m.answer();
    // What a server would answer to this transaction parses back to the same answer.
    let mapped = SocketAddr::new(IpAddr::V6(Ipv6Addr::LOCALHOST), u16::from(data[0]));
    let response = stun::binding_response(&m.id, mapped);
    let back = Message::parse(&response).expect("our response parses");
    assert_eq!(back.id, m.id);
    assert_eq!(back.answer(), Ok(BindingAnswer::Mapped(mapped)));
    let reason = String::from_utf8_lossy(&data[..data.len().min(200)]);
    let error = stun::binding_error(&m.id, 401, &reason);
    let back = Message::parse(&error).expect("our error parses");
    assert_eq!(back.answer(), Ok(BindingAnswer::Error(401)));
});
