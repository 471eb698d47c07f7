use super::*;
use base64::Engine as _;
use cwmp::http_auth::{digest_uri_matches as uri_matches, parse_params};
use rand::SeedableRng;

const SECS: fn(u64) -> Duration = Duration::from_secs;

fn auth(allow_basic: bool) -> DigestAuth {
    let config = DigestConfig {
        realm: "cwmp".into(),
        username: "cpe".into(),
        password: "s3cret".into(),
        allow_basic,
        nonce_lifetime: SECS(60),
        ..DigestConfig::default()
    };
    DigestAuth::new(config, StdRng::seed_from_u64(1))
}

/// The field `name` of a challenge.
fn field(challenge: &str, name: &str) -> String {
    let rest = challenge.strip_prefix("Digest ").unwrap();
    let params = parse_params(rest).unwrap();
    params.into_iter().find(|(k, _)| k == name).unwrap().1
}

/// What an ACS would send.
#[allow(clippy::too_many_arguments)]
fn answer(alg: Algorithm, user: &str, pass: &str, nonce: &str, nc: u32, uri: &str) -> String {
    let cnonce = "0a4f113b";
    let mut ha1 = alg.hash(&format!("{user}:cwmp:{pass}"));
    if alg.is_sess() {
        ha1 = alg.hash(&format!("{ha1}:{nonce}:{cnonce}"));
    }
    let ha2 = alg.hash(&format!("GET:{uri}"));
    let nc = format!("{nc:08x}");
    let response = alg.hash(&format!("{ha1}:{nonce}:{nc}:{cnonce}:auth:{ha2}"));
    format!(
        "Digest username=\"{user}\", realm=\"cwmp\", nonce=\"{nonce}\", uri=\"{uri}\", \
         algorithm={}, qop=auth, nc={nc}, cnonce=\"{cnonce}\", response=\"{response}\", opaque=\"x\"",
        alg.name()
    )
}

#[test]
fn rfc_7616_example_vectors() {
    let config = DigestConfig {
        realm: "http-auth@example.org".into(),
        username: "Mufasa".into(),
        password: "Circle of Life".into(),
        algorithms: vec![Algorithm::Md5, Algorithm::Sha256],
        ..DigestConfig::default()
    };
    let nonce = "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v";
    let cnonce = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ";
    for (alg, response) in [
        ("MD5", "8ca523f5e9506fed4657c9700eebdbec"),
        (
            "SHA-256",
            "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1",
        ),
    ] {
        let mut a = DigestAuth::new(config.clone(), StdRng::seed_from_u64(0));
        a.insert_nonce(nonce, SECS(0));
        let header = format!(
            "Digest username=\"Mufasa\", realm=\"http-auth@example.org\", uri=\"/dir/index.html\", \
             algorithm={alg}, nonce=\"{nonce}\", nc=00000001, cnonce=\"{cnonce}\", qop=auth, \
             response=\"{response}\", opaque=\"FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS\""
        );
        assert_eq!(
            a.verify(SECS(1), "GET", "/dir/index.html", Some(&header)),
            Ok(()),
            "{alg}"
        );
    }
}

#[test]
fn default_offers_md5_alone() {
    let mut a = auth(false);
    let challenges = a.challenge(SECS(0), false);
    assert_eq!(challenges.len(), 1);
    assert!(challenges[0].contains("algorithm=MD5,"), "{challenges:?}");
}

#[test]
fn challenge_then_success_for_each_algorithm() {
    for alg in [
        Algorithm::Md5,
        Algorithm::Sha256,
        Algorithm::Md5Sess,
        Algorithm::Sha256Sess,
    ] {
        let mut a = auth(false);
        a.config.algorithms = vec![Algorithm::Md5, Algorithm::Sha256];
        if !a.config.algorithms.contains(&alg) {
            a.config.algorithms.push(alg);
        }
        let challenges = a.challenge(SECS(0), false);
        assert!(challenges[0].contains("algorithm=MD5,"));
        assert!(challenges[1].contains("algorithm=SHA-256,"));
        assert!(challenges.iter().all(|c| c.contains("qop=\"auth\"")));
        assert!(!challenges[0].contains("stale"));
        let nonce = field(&challenges[0], "nonce");
        let header = answer(alg, "cpe", "s3cret", &nonce, 1, "/cr");
        assert_eq!(
            a.verify(SECS(1), "GET", "/cr", Some(&header)),
            Ok(()),
            "{alg:?}"
        );
        let next = answer(alg, "cpe", "s3cret", &nonce, 2, "/cr");
        assert_eq!(a.verify(SECS(2), "GET", "/cr", Some(&next)), Ok(()));
    }
}

#[test]
fn wrong_credentials_and_fields() {
    let mut a = auth(false);
    let nonce = field(&a.challenge(SECS(0), false)[0], "nonce");
    let check = |a: &mut DigestAuth, h: &str| a.verify(SECS(1), "GET", "/cr", Some(h));
    let wrong_pass = answer(Algorithm::Md5, "cpe", "nope", &nonce, 1, "/cr");
    assert_eq!(check(&mut a, &wrong_pass), Err(AuthError::Credentials));
    let wrong_user = answer(Algorithm::Md5, "acs", "s3cret", &nonce, 1, "/cr");
    assert_eq!(check(&mut a, &wrong_user), Err(AuthError::Credentials));
    let other_uri = answer(Algorithm::Md5, "cpe", "s3cret", &nonce, 1, "/other");
    assert_eq!(check(&mut a, &other_uri), Err(AuthError::Uri));
    let good = answer(Algorithm::Md5, "cpe", "s3cret", &nonce, 1, "/cr");
    let no_qop = good.replace("qop=auth, ", "");
    assert_eq!(check(&mut a, &no_qop), Err(AuthError::Qop));
    let int = good.replace("qop=auth", "qop=auth-int");
    assert_eq!(check(&mut a, &int), Err(AuthError::Qop));
    let sha512 = good.replace("algorithm=MD5", "algorithm=SHA-512-256");
    assert_eq!(check(&mut a, &sha512), Err(AuthError::Algorithm));
    let sess = good.replace("algorithm=MD5", "algorithm=MD5-sess");
    assert_eq!(
        check(&mut a, &sess),
        Err(AuthError::Algorithm),
        "not offered"
    );
    assert_eq!(
        check(&mut a, "Digest username=\"cpe\""),
        Err(AuthError::Malformed("realm"))
    );
    assert_eq!(
        check(&mut a, "Digest username=\"cpe"),
        Err(AuthError::Malformed("syntax"))
    );
    assert_eq!(check(&mut a, "Bearer abc"), Err(AuthError::Scheme));
    assert_eq!(
        a.verify(SECS(1), "GET", "/cr", None),
        Err(AuthError::Missing)
    );
    let short_nc = good.replace("nc=00000001", "nc=1");
    assert_eq!(check(&mut a, &short_nc), Err(AuthError::Malformed("nc")));
    // None of the failures consumed the nonce.
    assert_eq!(check(&mut a, &good), Ok(()));
}

#[test]
fn absolute_uri_form_is_accepted() {
    let mut a = auth(false);
    let nonce = field(&a.challenge(SECS(0), false)[0], "nonce");
    let h = answer(
        Algorithm::Md5,
        "cpe",
        "s3cret",
        &nonce,
        1,
        "http://10.0.0.1:7547/cr",
    );
    assert_eq!(a.verify(SECS(1), "GET", "/cr", Some(&h)), Ok(()));
    assert!(uri_matches("http://h:1?x=1", "/?x=1"));
    assert!(!uri_matches("http://h:1/a", "/b"));
}

#[test]
fn replayed_nonce_count_is_rejected() {
    let mut a = auth(false);
    let nonce = field(&a.challenge(SECS(0), false)[0], "nonce");
    let first = answer(Algorithm::Md5, "cpe", "s3cret", &nonce, 5, "/cr");
    assert_eq!(a.verify(SECS(1), "GET", "/cr", Some(&first)), Ok(()));
    assert_eq!(
        a.verify(SECS(2), "GET", "/cr", Some(&first)),
        Err(AuthError::Replay)
    );
    let lower = answer(Algorithm::Md5, "cpe", "s3cret", &nonce, 3, "/cr");
    assert_eq!(
        a.verify(SECS(2), "GET", "/cr", Some(&lower)),
        Err(AuthError::Replay)
    );
}

#[test]
fn expired_or_unknown_nonce_is_stale() {
    let mut a = auth(false);
    let nonce = field(&a.challenge(SECS(0), false)[0], "nonce");
    let h = answer(Algorithm::Md5, "cpe", "s3cret", &nonce, 1, "/cr");
    let err = a.verify(SECS(61), "GET", "/cr", Some(&h)).unwrap_err();
    assert!(err.is_stale());
    let c = a.challenge(SECS(61), err.is_stale());
    assert!(c.iter().all(|c| c.ends_with(", stale=true")));
    let fresh = field(&c[0], "nonce");
    assert_ne!(fresh, nonce);
    let unknown = answer(Algorithm::Md5, "cpe", "s3cret", "feedface", 1, "/cr");
    assert_eq!(
        a.verify(SECS(62), "GET", "/cr", Some(&unknown)),
        Err(AuthError::Stale)
    );
    // A wrong password with a stale nonce is just wrong.
    let bad = answer(Algorithm::Md5, "cpe", "x", &nonce, 2, "/cr");
    assert_eq!(
        a.verify(SECS(62), "GET", "/cr", Some(&bad)),
        Err(AuthError::Credentials)
    );
}

#[test]
fn nonce_table_is_bounded() {
    let mut a = auth(false);
    for i in 0..(MAX_NONCES as u64 * 3) {
        a.challenge(Duration::from_millis(i), false);
    }
    assert!(a.nonces.len() <= MAX_NONCES);
    // Long after, everything expired is forgotten.
    a.challenge(SECS(10_000), false);
    assert_eq!(a.nonces.len(), 1);
}

#[test]
fn basic_only_when_enabled() {
    let header = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode("cpe:s3cret")
    );
    let mut off = auth(false);
    assert!(
        !off.challenge(SECS(0), false)
            .iter()
            .any(|c| c.starts_with("Basic"))
    );
    assert_eq!(
        off.verify(SECS(0), "GET", "/", Some(&header)),
        Err(AuthError::Scheme)
    );
    let mut on = auth(true);
    assert_eq!(
        on.challenge(SECS(0), false).last().unwrap(),
        "Basic realm=\"cwmp\""
    );
    assert_eq!(on.verify(SECS(0), "GET", "/", Some(&header)), Ok(()));
    let wrong = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode("cpe:nope")
    );
    assert_eq!(
        on.verify(SECS(0), "GET", "/", Some(&wrong)),
        Err(AuthError::Credentials)
    );
    assert_eq!(
        on.verify(SECS(0), "GET", "/", Some("Basic !!!")),
        Err(AuthError::Malformed("base64"))
    );
}

#[test]
fn empty_configured_username_accepts_nobody() {
    let mut a = auth(true);
    a.config.username.clear();
    a.config.password.clear();
    let basic = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(":")
    );
    assert_eq!(
        a.verify(SECS(0), "GET", "/", Some(&basic)),
        Err(AuthError::Credentials)
    );
    let nonce = field(&a.challenge(SECS(0), false)[0], "nonce");
    let h = answer(Algorithm::Md5, "", "", &nonce, 1, "/");
    assert_eq!(
        a.verify(SECS(0), "GET", "/", Some(&h)),
        Err(AuthError::Credentials)
    );
}

#[test]
fn realm_is_quoted_and_params_unescaped() {
    let mut a = auth(false);
    a.config.realm = "a\"b".into();
    assert!(a.challenge(SECS(0), false)[0].starts_with("Digest realm=\"a\\\"b\","));
    let p = parse_params(r#"a="x\"y", b=tok ,c = "d""#).unwrap();
    assert_eq!(
        p,
        [
            ("a".into(), "x\"y".into()),
            ("b".into(), "tok".into()),
            ("c".into(), "d".into())
        ]
    );
    assert!(parse_params("=x").is_none());
    assert!(parse_params(&"a=b,".repeat(40)).is_none());
}
