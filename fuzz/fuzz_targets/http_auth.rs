//! Any `WWW-Authenticate` / `Authorization` value: the shared grammar, Basic, the Digest
//! challenge and response readers, and both verifiers (the agent's Connection Request
//! check, with its nonce table) never panic; a challenge we read, written again, reads back
//! equal, and our own answer to it verifies.
#![no_main]

use std::time::Duration;

use cwmp::http_auth::digest::{Challenge, Response, ha1};
use cwmp::http_auth::{parse_basic, parse_params, split_scheme};
use cwmp_cpe::conn_request::{Algorithm, DigestAuth, DigestConfig};
use libfuzzer_sys::fuzz_target;
use rand::SeedableRng as _;
use rand::rngs::StdRng;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (_, rest) = split_scheme(text);
    let _ = parse_params(rest);
    let _ = parse_basic(rest);
    if let Ok(r) = Response::parse(rest) {
        let _ = r.uri_matches("/cr");
        let _ = r.verify(&ha1(r.algorithm, &r.username, &r.realm, "pw"), "GET");
    }
    if let Some(c) = Challenge::from_header(text) {
        let again = Challenge::from_header(&c.to_header()).expect("our challenge reads");
        assert_eq!(again, c);
        let h = c.authorization("user", "pw", "GET", "/cr", 1, "cnonce");
        if c.qop_auth {
            let r = Response::parse(split_scheme(&h).1).expect("our answer reads");
            assert!(r.verify(&ha1(c.algorithm, "user", &c.realm, "pw"), "GET"));
        }
    }
    // The agent's verifier, Basic allowed, every algorithm offered.
    let config = DigestConfig {
        username: "user".into(),
        password: "pw".into(),
        allow_basic: true,
        algorithms: Algorithm::ALL.to_vec(),
        ..DigestConfig::default()
    };
    let mut auth = DigestAuth::new(config, StdRng::seed_from_u64(0));
    let _ = auth.challenge(Duration::ZERO, false);
    let _ = auth.verify(Duration::from_secs(1), "GET", "/cr", Some(text));
});
