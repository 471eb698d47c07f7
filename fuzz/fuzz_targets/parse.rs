//! Any bytes: the parser returns a message or an error, never panics or runs away; so does
//! the head reader used to answer what the parser refuses (unknown method, header not
//! understood), and it reads the same header as a full parse.
#![no_main]

use cwmp::{Envelope, Limits};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let limits = Limits::default();
    let full = Envelope::parse_bytes(data, None, &limits);
    let head = Envelope::parse_head(data, None, &limits);
    if let Ok(env) = &full {
        let head = head.expect("what parses has a head");
        assert_eq!(head.header, env.header);
    }
});
