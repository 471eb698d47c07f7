//! End-to-end tests of the CWMP system: the real `cwmp-acs`, `cwmp-cpe` and `cwmp-sim`
//! binaries talking over 127.0.0.1 (see `tests/`). Build the binaries first with
//! `cargo build --workspace --bins --locked`; `scripts/test.sh` does.
