//! A minimal cookie jar for one CWMP session: `name=value` pairs the ACS set, sent back on
//! every later request of the session (TR-069 §3.4.1). Path, Domain and expiry attributes
//! are ignored, except that `Max-Age=0` (or an empty value) removes the cookie.

/// Most cookies kept; the ACS needs one or two.
const MAX_COOKIES: usize = 32;
/// Longest `Cookie` header sent.
const MAX_HEADER: usize = 4096;

/// The cookies of one session.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CookieJar {
    cookies: Vec<(String, String)>,
}

impl CookieJar {
    /// An empty jar.
    pub fn new() -> Self {
        CookieJar::default()
    }

    /// Records one `Set-Cookie` header value; malformed ones are ignored.
    pub fn store(&mut self, set_cookie: &str) {
        let mut parts = set_cookie.split(';');
        let Some((name, value)) = parts.next().and_then(|p| p.split_once('=')) else {
            return;
        };
        let (name, value) = (name.trim(), value.trim().trim_matches('"'));
        if name.is_empty() || name.contains(|c: char| c.is_ascii_control() || c == ' ') {
            return;
        }
        let expired = parts.any(|attr| {
            attr.split_once('=').is_some_and(|(k, v)| {
                k.trim().eq_ignore_ascii_case("max-age") && v.trim().starts_with(['0', '-'])
            })
        });
        self.cookies.retain(|(n, _)| n != name);
        if !expired && !value.is_empty() && self.cookies.len() < MAX_COOKIES {
            self.cookies.push((name.to_owned(), value.to_owned()));
        }
    }

    /// The `Cookie` header to send, if any cookie is kept.
    pub fn header(&self) -> Option<String> {
        let mut out = String::new();
        for (n, v) in &self.cookies {
            if out.len() + n.len() + v.len() + 3 > MAX_HEADER {
                break;
            }
            if !out.is_empty() {
                out.push_str("; ");
            }
            out.push_str(n);
            out.push('=');
            out.push_str(v);
        }
        (!out.is_empty()).then_some(out)
    }

    /// The cookies kept, in the order first set.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.cookies.iter().map(|(n, v)| (n.as_str(), v.as_str()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stores_replaces_and_expires() {
        let mut jar = CookieJar::new();
        assert_eq!(jar.header(), None);
        jar.store("JSESSIONID=abc; Path=/acs; HttpOnly");
        jar.store("route=\"r1\"");
        assert_eq!(jar.header().as_deref(), Some("JSESSIONID=abc; route=r1"));
        jar.store("JSESSIONID=def; Path=/");
        assert_eq!(jar.header().as_deref(), Some("route=r1; JSESSIONID=def"));
        jar.store("route=x; Max-Age=0");
        jar.store("garbage");
        jar.store("=novalue");
        assert_eq!(jar.header().as_deref(), Some("JSESSIONID=def"));
    }
}
