//! Any text as a compact schema (`[data_model] file` of the agent, `cwmp-schema check`): a
//! schema or an error, never a panic; a schema that loads writes back to a file that loads
//! to the same text.
#![no_main]

use cwmp_datamodel::Schema;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(schema) = Schema::from_compact(text, "fuzz") {
        let written = schema.to_compact();
        let again = Schema::from_compact(&written, "fuzz-again").expect("written schema loads");
        assert_eq!(again.to_compact(), written);
    }
});
