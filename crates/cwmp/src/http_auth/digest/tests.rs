use super::*;

/// RFC 7616 §3.9.1: the worked examples, MD5 then SHA-256, same request.
#[test]
fn rfc7616_examples() {
    let header = |alg: &str, response: &str| {
        format!(
            "username=\"Mufasa\", realm=\"http-auth@example.org\", uri=\"/dir/index.html\", \
             algorithm={alg}, nonce=\"7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v\", nc=00000001, \
             cnonce=\"f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ\", qop=auth, \
             response=\"{response}\", opaque=\"FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS\""
        )
    };
    for (alg, expected) in [
        (Algorithm::Md5, "8ca523f5e9506fed4657c9700eebdbec"),
        (
            Algorithm::Sha256,
            "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1",
        ),
    ] {
        let r =
            Response::parse(&header(alg.name(), &expected.to_ascii_uppercase())).expect("parses");
        let key = ha1(alg, "Mufasa", "http-auth@example.org", "Circle of Life");
        assert_eq!(r.expected(&key, "GET"), expected);
        assert!(r.verify(&key, "GET"));
        assert!(!r.verify(&key, "POST"));
        let wrong = ha1(alg, "Mufasa", "http-auth@example.org", "circle of life");
        assert!(!r.verify(&wrong, "GET"));
        assert!(r.uri_matches("/dir/index.html"));
    }
}

/// What a client computes for any challenge, the server's verification accepts.
#[test]
fn client_and_server_agree_for_every_algorithm() {
    for alg in Algorithm::ALL {
        let mut c = Challenge::new("cwmp", "n0nce", alg);
        c.opaque = Some("op".into());
        let parsed = Challenge::from_header(&c.to_header()).expect("our challenge parses");
        assert_eq!(parsed, c);
        let h = c.authorization("cpe", "s3cret", "POST", "/acs?x=1", 7, "cn");
        let (scheme, rest) = split_scheme(&h);
        assert_eq!(scheme, "Digest");
        let r = Response::parse(rest).expect("our response parses");
        assert_eq!(
            (r.algorithm, r.nc, r.nc_text.as_str()),
            (alg, 7, "00000007")
        );
        assert!(
            r.verify(&ha1(alg, "cpe", "cwmp", "s3cret"), "POST"),
            "{alg:?}"
        );
        assert!(!r.verify(&ha1(alg, "cpe", "cwmp", "wrong"), "POST"));
        // -sess differs from its base algorithm.
        if alg.is_sess() {
            let mut base = r.clone();
            base.algorithm = alg.base();
            assert!(!base.verify(&ha1(alg, "cpe", "cwmp", "s3cret"), "POST"));
        }
    }
}

#[test]
fn challenges_read_and_chosen() {
    let md5 = "Digest realm=\"x\", nonce=\"n\", qop=\"auth\", algorithm=MD5";
    let sha =
        "Digest realm=\"x\", nonce=\"m\", qop=\"auth,auth-int\", algorithm=SHA-256, stale=TRUE";
    let best = Challenge::best([md5, sha, "Basic realm=\"x\""]).expect("one");
    assert_eq!(best.algorithm, Algorithm::Sha256);
    assert!(best.stale && best.qop_auth);
    assert_eq!(
        Challenge::best([md5, md5.replace("\"n\"", "\"k\"").as_str()]).map(|c| c.nonce),
        Some("n".into())
    );
    assert!(Challenge::from_header("Digest realm=\"x\", nonce=\"n\", qop=auth-int").is_none());
    assert!(Challenge::from_header("Digest realm=\"x\", nonce=\"n\", algorithm=SHA-1").is_none());
    assert!(Challenge::from_header("Digest nonce=\"n\"").is_none());
    assert!(Challenge::from_header("Basic realm=\"x\"").is_none());
    let rfc2069 = Challenge::from_header("Digest realm=\"x\", nonce=\"n\"").expect("no qop");
    assert!(!rfc2069.qop_auth);
    assert_eq!(rfc2069.algorithm, Algorithm::Md5);
    let h = rfc2069.authorization("u", "p", "GET", "/", 1, "c");
    assert!(!h.contains("qop") && !h.contains("cnonce"), "{h}");
}

#[test]
fn responses_refused_with_reasons() {
    let ok = "username=\"u\", realm=\"r\", nonce=\"n\", uri=\"/\", response=\"ab\", qop=auth, nc=00000001, cnonce=\"c\"";
    assert!(Response::parse(ok).is_ok());
    let cases = [
        (ok.replace("qop=auth, ", ""), ResponseError::Qop),
        (ok.replace("qop=auth", "qop=auth-int"), ResponseError::Qop),
        (format!("{ok}, algorithm=SHA-1"), ResponseError::Algorithm),
        (ok.replace("00000001", "1"), ResponseError::Malformed("nc")),
        (
            ok.replace("00000001", "00000000"),
            ResponseError::Malformed("nc"),
        ),
        (
            ok.replace("00000001", "0000000g"),
            ResponseError::Malformed("nc"),
        ),
        (
            ok.replace("username=\"u\", ", ""),
            ResponseError::Malformed("username"),
        ),
        (
            ok.replace(", cnonce=\"c\"", ""),
            ResponseError::Malformed("cnonce"),
        ),
        (
            "a=\"unterminated".to_owned(),
            ResponseError::Malformed("syntax"),
        ),
    ];
    for (text, error) in cases {
        assert_eq!(Response::parse(&text), Err(error), "{text}");
    }
}

#[test]
fn names_serde_and_constant_time_eq() {
    assert_eq!(Algorithm::parse("sha-256"), Some(Algorithm::Sha256));
    assert_eq!(Algorithm::parse("md5-SESS"), Some(Algorithm::Md5Sess));
    assert_eq!(Algorithm::parse("SHA-1"), None);
    assert_eq!(Algorithm::Sha256Sess.hex_len(), 64);
    assert_eq!(Algorithm::Md5.hex_len(), 32);
    let json = serde_json::to_string(&[Algorithm::Sha256, Algorithm::Md5]).expect("json");
    assert_eq!(json, "[\"SHA-256\",\"MD5\"]");
    let back: Vec<Algorithm> = serde_json::from_str("[\"sha-256-sess\"]").expect("json");
    assert_eq!(back, [Algorithm::Sha256Sess]);
    assert!(serde_json::from_str::<Algorithm>("\"SHA-1\"").is_err());
    assert!(constant_time_eq(b"abc", b"abc"));
    assert!(!constant_time_eq(b"abc", b"abd"));
    assert!(!constant_time_eq(b"abc", b"ab"));
}
