//! HTTP authentication shared by the CPE agent, the ACS and the simulator: the grammar of
//! `WWW-Authenticate` / `Authorization` values (a scheme followed by comma-separated
//! auth-params, RFC 9110 §11.2–11.4), HTTP Basic (RFC 7617) and Digest ([`digest`], RFC
//! 7616). Nonce issuing, replay tracking and credential lookup are each side's policy.

pub mod digest;

use base64::Engine as _;

/// Most auth-params accepted in one header value (a hostile peer cannot make us allocate
/// more).
pub const MAX_PARAMS: usize = 32;

/// Lowercase hex of `bytes`: a digest or nonce as Digest authentication (RFC 7616) and the
/// UDP Connection Request signature write them.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 15)]));
    }
    out
}

/// The `Authorization` value of HTTP Basic for `username` and `password`.
pub fn basic_authorization(username: &str, password: &str) -> String {
    let token = base64::engine::general_purpose::STANDARD.encode(format!("{username}:{password}"));
    format!("Basic {token}")
}

/// The username and password of a Basic token (what follows `Basic `); the error names
/// what is wrong (`base64`, `utf-8`, `colon`).
pub fn parse_basic(token: &str) -> Result<(String, String), &'static str> {
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(token.trim())
        .map_err(|_| "base64")?;
    let text = String::from_utf8(decoded).map_err(|_| "utf-8")?;
    let (user, pass) = text.split_once(':').ok_or("colon")?;
    Ok((user.to_owned(), pass.to_owned()))
}

/// Splits a header value into its scheme and the rest (`"Digest a=b"` → `("Digest", "a=b")`).
pub fn split_scheme(value: &str) -> (&str, &str) {
    let value = value.trim();
    match value.split_once(|c: char| c.is_ascii_whitespace()) {
        Some((scheme, rest)) => (scheme, rest.trim_start()),
        None => (value, ""),
    }
}

/// `name=token` / `name="quoted"` pairs separated by commas (RFC 9110 §11.4 auth-params);
/// `None` on a syntax error or more than [`MAX_PARAMS`] pairs.
pub fn parse_params(s: &str) -> Option<Vec<(String, String)>> {
    let mut out = Vec::new();
    let mut chars = s.chars().peekable();
    loop {
        while chars
            .peek()
            .is_some_and(|c| c.is_ascii_whitespace() || *c == ',')
        {
            chars.next();
        }
        if chars.peek().is_none() {
            return Some(out);
        }
        let mut name = String::new();
        while let Some(&c) = chars.peek() {
            if c == '=' || c.is_ascii_whitespace() {
                break;
            }
            name.push(c);
            chars.next();
        }
        while chars.peek().is_some_and(|c| c.is_ascii_whitespace()) {
            chars.next();
        }
        if name.is_empty() || chars.next() != Some('=') {
            return None;
        }
        while chars.peek().is_some_and(|c| c.is_ascii_whitespace()) {
            chars.next();
        }
        let mut value = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            loop {
                match chars.next()? {
                    '"' => break,
                    '\\' => value.push(chars.next()?),
                    c => value.push(c),
                }
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c == ',' || c.is_ascii_whitespace() {
                    break;
                }
                value.push(c);
                chars.next();
            }
        }
        if out.len() >= MAX_PARAMS {
            return None;
        }
        out.push((name, value));
    }
}

/// The value of auth-param `name` (names are case-insensitive) among `params`.
pub fn param<'p>(params: &'p [(String, String)], name: &str) -> Option<&'p str> {
    params
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// A quoted-string (RFC 9110 §5.6.4).
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for ch in s.chars() {
        if ch == '"' || ch == '\\' {
            out.push('\\');
        }
        out.push(ch);
    }
    out.push('"');
    out
}

/// The Digest `uri` field names the request target: equal, or an absolute URI whose path
/// and query are the target (some clients send the absolute form; RFC 7616 §3.4.6).
pub fn digest_uri_matches(digest_uri: &str, target: &str) -> bool {
    if digest_uri == target {
        return true;
    }
    let path_of = |u: &str| -> Option<String> {
        let rest = u.split_once("://")?.1;
        Some(match rest.find(['/', '?']) {
            Some(i) if rest[i..].starts_with('?') => format!("/{}", &rest[i..]),
            Some(i) => rest[i..].to_owned(),
            None => "/".to_owned(),
        })
    };
    let a = path_of(digest_uri).unwrap_or_else(|| digest_uri.to_owned());
    let b = path_of(target).unwrap_or_else(|| target.to_owned());
    a == b
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_is_lowercase_two_digits_per_byte() {
        assert_eq!(hex(&[]), "");
        assert_eq!(hex(&[0x00, 0x0f, 0xa0, 0xff]), "000fa0ff");
    }

    #[test]
    fn params_quoted_and_tokens() {
        let p = parse_params(r#"realm="a, b", nonce="n\"1", qop=auth , stale=TRUE"#).expect("ok");
        assert_eq!(param(&p, "REALM"), Some("a, b"));
        assert_eq!(param(&p, "nonce"), Some("n\"1"));
        assert_eq!(param(&p, "qop"), Some("auth"));
        assert_eq!(param(&p, "stale"), Some("TRUE"));
        assert_eq!(param(&p, "opaque"), None);
        assert!(parse_params("=x").is_none());
        assert!(parse_params("a=\"unterminated").is_none());
        assert!(parse_params(&"a=b,".repeat(MAX_PARAMS + 1)).is_none());
    }

    #[test]
    fn basic_round_trips() {
        let h = basic_authorization("user", "pa:ss");
        let (scheme, token) = split_scheme(&h);
        assert_eq!(scheme, "Basic");
        assert_eq!(parse_basic(token), Ok(("user".into(), "pa:ss".into())));
        assert_eq!(parse_basic("!!"), Err("base64"));
        assert_eq!(parse_basic("/w=="), Err("utf-8"));
        assert_eq!(parse_basic("dXNlcg=="), Err("colon"));
    }

    #[test]
    fn quote_round_trips() {
        let text = r#"a "b" \c"#;
        let p = parse_params(&format!("x={}", quote(text))).expect("ok");
        assert_eq!(param(&p, "x"), Some(text));
        assert_eq!(split_scheme("  Digest  a=b"), ("Digest", "a=b"));
        assert_eq!(split_scheme("Basic"), ("Basic", ""));
        assert!(digest_uri_matches(
            "http://acs.example:7547/acs?x=1",
            "/acs?x=1"
        ));
        assert!(digest_uri_matches("http://acs.example", "/"));
        assert!(!digest_uri_matches("/other", "/acs"));
    }
}
