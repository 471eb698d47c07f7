//! Whatever parses and can be written, written again after a second parse, gives the same XML.
#![no_main]

use cwmp::{Envelope, Limits};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(first) = Envelope::parse_bytes(data, None, &Limits::default()) else {
        return;
    };
    let Ok(xml) = first.to_xml() else {
        return;
    };
    let second = Envelope::parse(&xml).expect("what we write must parse");
    let again = second.to_xml().expect("what we parsed from our own XML must write");
    assert_eq!(xml, again, "writing is not stable");
});
