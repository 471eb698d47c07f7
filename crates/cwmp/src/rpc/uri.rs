//! RFC 3986 URI references, judged as libxml2 judges `xs:anyURI`.

/// RFC 3986 `URI-reference`, after replacing the characters libxml2 escapes.
pub(crate) fn is_uri_reference(text: &str) -> bool {
    let escaped: Vec<u8> = text
        .bytes()
        .map(|b| {
            if !(32..127).contains(&b) || b" <>\"{}|\\^`'".contains(&b) {
                b'_'
            } else {
                b
            }
        })
        .collect();
    let (rest, fragment) = split_at_byte(&escaped, b'#');
    let (rest, query) = split_at_byte(rest, b'?');
    if !fragment.is_none_or(|f| uri_chars(f, b":@/?"))
        || !query.is_none_or(|q| uri_chars(q, b":@/?"))
    {
        return false;
    }
    // A scheme is what precedes the first `:` when no `/` comes before it.
    let colon = rest.iter().position(|&b| b == b':');
    let slash = rest.iter().position(|&b| b == b'/');
    let hier = match colon {
        Some(c) if slash.is_none_or(|s| c < s) => {
            let scheme = &rest[..c];
            let valid = scheme.first().is_some_and(u8::is_ascii_alphabetic)
                && scheme
                    .iter()
                    .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'));
            if !valid {
                // A relative reference cannot have a `:` in its first segment.
                return false;
            }
            &rest[c + 1..]
        }
        _ => rest,
    };
    let path = match hier.strip_prefix(b"//") {
        Some(after) => {
            let end = after.iter().position(|&b| b == b'/').unwrap_or(after.len());
            if !is_authority(&after[..end]) {
                return false;
            }
            &after[end..]
        }
        None => hier,
    };
    uri_chars(path, b":@/")
}

fn split_at_byte(s: &[u8], byte: u8) -> (&[u8], Option<&[u8]>) {
    match s.iter().position(|&b| b == byte) {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    }
}

/// Unreserved characters, sub-delimiters, `extra`, and `%` followed by two hex digits.
fn uri_chars(s: &[u8], extra: &[u8]) -> bool {
    let mut i = 0;
    while i < s.len() {
        let b = s[i];
        if b == b'%' {
            if !(i + 2 < s.len() && s[i + 1].is_ascii_hexdigit() && s[i + 2].is_ascii_hexdigit()) {
                return false;
            }
            i += 3;
            continue;
        }
        let ok = b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=".contains(&b) || extra.contains(&b);
        if !ok {
            return false;
        }
        i += 1;
    }
    true
}

/// `[ userinfo "@" ] host [ ":" port ]`, with an IP literal taken as libxml2 does (anything
/// between the brackets).
fn is_authority(s: &[u8]) -> bool {
    let (userinfo, host_port) = match s.iter().rposition(|&b| b == b'@') {
        Some(at) => (Some(&s[..at]), &s[at + 1..]),
        None => (None, s),
    };
    if !userinfo.is_none_or(|u| uri_chars(u, b":")) {
        return false;
    }
    let (host_ok, port) = if let Some(inner) = host_port.strip_prefix(b"[") {
        match inner.iter().position(|&b| b == b']') {
            Some(end) => (true, &inner[end + 1..]),
            None => return false,
        }
    } else {
        let end = host_port
            .iter()
            .position(|&b| b == b':')
            .unwrap_or(host_port.len());
        (uri_chars(&host_port[..end], b""), &host_port[end..])
    };
    let port_ok = match port.strip_prefix(b":") {
        // libxml2 refuses an empty port, which RFC 3986 allows.
        Some(digits) => !digits.is_empty() && digits.iter().all(u8::is_ascii_digit),
        None => port.is_empty(),
    };
    host_ok && port_ok
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uri_references() {
        // As xmllint judges `xs:anyURI`.
        for ok in [
            "http://example.com/a b/c",
            "http://x/\u{e9}",
            "http://x/a^b{}|",
            "https://user:pw@[2001:db8::1]:8080/p?q=1#f",
            "relative/path",
            "/abs",
            "",
            "urn:example:thing",
            "ftp://h:21",
            "http://x/%41",
            "http://x/?a#b?c/",
            "//host",
            "x:",
            "http://h#",
        ] {
            assert!(is_uri_reference(ok), "{ok}");
        }
        for bad in [
            "http://[bad/",
            "%zz",
            "ht tp://x",
            "::",
            "#frag#x",
            "http://x:8a/",
            "a:b/c:d e%",
            "http://a@b@c/",
            "1a:b",
            "http://h:/p",
            "http://[::1",
        ] {
            assert!(!is_uri_reference(bad), "{bad}");
        }
    }
}
