//! Hosts and URLs of diagnostics, validated before anything is resolved or connected: a host
//! is an IP literal or a DNS name (letters, digits, `-`, `_`, dots), so nothing an ACS writes
//! can become an option, a shell word or a second request.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

/// Longest host name (RFC 1035).
const MAX_HOST: usize = 253;
/// Longest URL accepted.
const MAX_URL: usize = 2048;
/// Bound on name resolution.
const RESOLVE_TIMEOUT: Duration = Duration::from_secs(5);

/// A validated host: an IP literal or a DNS name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Host(String);

impl Host {
    /// Validates `s` (surrounding white space is not accepted either).
    pub fn parse(s: &str) -> Result<Host, String> {
        let bare = s
            .strip_prefix('[')
            .and_then(|r| r.strip_suffix(']'))
            .unwrap_or(s);
        if bare.parse::<IpAddr>().is_ok() {
            return Ok(Host(bare.to_owned()));
        }
        let ok = !s.is_empty()
            && s.len() <= MAX_HOST
            && s.trim_end_matches('.').split('.').all(|label| {
                !label.is_empty()
                    && label.len() <= 63
                    && !label.starts_with('-')
                    && label
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            });
        if ok {
            Ok(Host(s.to_owned()))
        } else {
            Err(format!("{s:?} is not a host name or IP address"))
        }
    }

    /// The host as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Resolves to one address (IPv4 first unless `v6` is preferred), bounded in time.
    pub async fn resolve(&self, port: u16, version: IpVersion) -> Option<SocketAddr> {
        if let Ok(ip) = self.0.parse::<IpAddr>() {
            return version.allows(ip).then_some(SocketAddr::new(ip, port));
        }
        let lookup = tokio::net::lookup_host((self.0.as_str(), port));
        let addrs: Vec<SocketAddr> = tokio::time::timeout(RESOLVE_TIMEOUT, lookup)
            .await
            .ok()?
            .ok()?
            .collect();
        let pick = |v6: bool| {
            addrs
                .iter()
                .copied()
                .find(|a| a.is_ipv6() == v6 && version.allows(a.ip()))
        };
        match version {
            IpVersion::V6 => pick(true),
            _ => pick(false).or_else(|| pick(true)),
        }
    }
}

/// `ProtocolVersion`: which address family to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum IpVersion {
    /// `Any` (default).
    #[default]
    Any,
    /// `IPv4`.
    V4,
    /// `IPv6`.
    V6,
}

impl IpVersion {
    /// From the parameter's value (unknown values mean `Any`).
    pub fn from_param(s: &str) -> IpVersion {
        match s {
            "IPv4" => IpVersion::V4,
            "IPv6" => IpVersion::V6,
            _ => IpVersion::Any,
        }
    }

    fn allows(self, ip: IpAddr) -> bool {
        match self {
            IpVersion::Any => true,
            IpVersion::V4 => ip.is_ipv4(),
            IpVersion::V6 => ip.is_ipv6(),
        }
    }
}

/// A validated `http://` URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpUrl {
    /// The host.
    pub host: Host,
    /// The port (default 80).
    pub port: u16,
    /// Path and query, starting with `/`.
    pub path: String,
}

impl HttpUrl {
    /// Validates `s`: `http://host[:port][/path]`, no credentials, no white space or control
    /// characters, at most 2048 bytes. Other schemes (`https`, `ftp`) are refused.
    pub fn parse(s: &str) -> Result<HttpUrl, String> {
        if s.len() > MAX_URL {
            return Err(format!("URL longer than {MAX_URL} bytes"));
        }
        let rest = s
            .strip_prefix("http://")
            .ok_or_else(|| format!("{s:?}: only http:// URLs are supported"))?;
        if s.bytes().any(|b| b <= b' ' || b == 0x7f || !b.is_ascii()) {
            return Err(format!("{s:?}: white space or control characters"));
        }
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, "/"),
        };
        if authority.contains('@') {
            return Err(format!("{s:?}: credentials in the URL"));
        }
        let (host, port) = if let Some(r) = authority.strip_prefix('[') {
            let (h, after) = r
                .split_once(']')
                .ok_or_else(|| format!("{s:?}: unclosed ["))?;
            match after.strip_prefix(':') {
                Some(p) => (h, Some(p)),
                None if after.is_empty() => (h, None),
                None => return Err(format!("{s:?}: bad authority")),
            }
        } else {
            match authority.split_once(':') {
                Some((h, p)) => (h, Some(p)),
                None => (authority, None),
            }
        };
        let port = match port {
            Some(p) => p
                .parse::<u16>()
                .ok()
                .filter(|p| *p != 0)
                .ok_or_else(|| format!("{s:?}: bad port"))?,
            None => 80,
        };
        let host = Host::parse(host)?;
        Ok(HttpUrl {
            host,
            port,
            path: path.to_owned(),
        })
    }

    /// The `Host` header value.
    pub fn host_header(&self) -> String {
        let h = self.host.as_str();
        let h = if h.contains(':') {
            format!("[{h}]")
        } else {
            h.to_owned()
        };
        if self.port == 80 {
            h
        } else {
            format!("{h}:{}", self.port)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_are_names_or_addresses_only() {
        for ok in [
            "127.0.0.1",
            "::1",
            "[::1]",
            "example.com",
            "a-b.c_d.example.",
            "x",
        ] {
            assert!(Host::parse(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            " 127.0.0.1",
            "-c 1",
            "--help",
            "a b",
            "a;id",
            "$(id)",
            "`id`",
            "a\nb",
            "a..b",
            "host/../x",
            "a|b",
            "a&b",
            &"a".repeat(300),
        ] {
            assert!(Host::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn urls_are_plain_http_with_a_valid_host() {
        let u = HttpUrl::parse("http://127.0.0.1:8080/f?x=1").expect("ok");
        assert_eq!(
            (u.host.as_str(), u.port, u.path.as_str()),
            ("127.0.0.1", 8080, "/f?x=1")
        );
        let u = HttpUrl::parse("http://[::1]/").expect("ok");
        assert_eq!((u.host.as_str(), u.port), ("::1", 80));
        assert_eq!(HttpUrl::parse("http://h").expect("ok").path, "/");
        for bad in [
            "https://h/",
            "ftp://h/",
            "http://u:p@h/",
            "http://h:0/",
            "http://h:99999/",
            "http://h/a b",
            "http://h/\r\nX-Injected: 1",
            "http://$(id)/",
            "http://-h/",
            "file:///etc/passwd",
            "http:///x",
        ] {
            assert!(HttpUrl::parse(bad).is_err(), "{bad:?}");
        }
    }
}
