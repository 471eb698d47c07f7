//! Any bytes: the parser returns a message or an error, never panics or runs away.
#![no_main]

use cwmp::{Envelope, Limits};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = Envelope::parse_bytes(data, None, &Limits::default());
});
