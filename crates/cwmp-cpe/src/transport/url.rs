//! The ACS URL: `http(s)://host[:port]/path[?query]`, and redirect targets.

use std::fmt;

use super::TransportError;

/// `http` or `https`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    /// Plain HTTP (default port 80).
    Http,
    /// HTTP over TLS (default port 443).
    Https,
}

/// Where requests go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The scheme.
    pub scheme: Scheme,
    /// Host name or IP address (an IPv6 address without brackets).
    pub host: String,
    /// The port.
    pub port: u16,
    /// Path and query, starting with `/`.
    pub path: String,
}

impl Target {
    /// Parses an absolute `http`/`https` URL.
    pub fn parse(url: &str) -> Result<Target, TransportError> {
        let bad = || TransportError::Url(url.to_owned());
        let (scheme, rest) = url.split_once("://").ok_or_else(bad)?;
        let scheme = if scheme.eq_ignore_ascii_case("http") {
            Scheme::Http
        } else if scheme.eq_ignore_ascii_case("https") {
            Scheme::Https
        } else {
            return Err(bad());
        };
        let split = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let (authority, path) = rest.split_at(split);
        let path = path.split('#').next().unwrap_or("");
        let path = if path.is_empty() {
            "/".to_owned()
        } else if path.starts_with('?') {
            format!("/{path}")
        } else {
            path.to_owned()
        };
        let authority = authority.rsplit('@').next().unwrap_or(authority);
        let default_port = match scheme {
            Scheme::Http => 80,
            Scheme::Https => 443,
        };
        let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
            let (h, after) = v6.split_once(']').ok_or_else(bad)?;
            let port = match after.strip_prefix(':') {
                Some(p) => p.parse().map_err(|_| bad())?,
                None if after.is_empty() => default_port,
                None => return Err(bad()),
            };
            (h.to_owned(), port)
        } else {
            match authority.split_once(':') {
                Some((h, p)) => (h.to_owned(), p.parse().map_err(|_| bad())?),
                None => (authority.to_owned(), default_port),
            }
        };
        if host.is_empty() || path.bytes().any(|b| b.is_ascii_control() || b == b' ') {
            return Err(bad());
        }
        Ok(Target {
            scheme,
            host,
            port,
            path,
        })
    }

    /// `host:port` (brackets around IPv6).
    pub fn authority(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }

    /// The `Host` header: the port only when not the scheme's default.
    pub fn host_header(&self) -> String {
        let default = matches!(
            (self.scheme, self.port),
            (Scheme::Http, 80) | (Scheme::Https, 443)
        );
        if !default {
            return self.authority();
        }
        if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        }
    }

    /// Resolves a `Location` header against this target.
    pub fn join(&self, location: &str) -> Result<Target, TransportError> {
        let location = location.trim();
        if location.contains("://") {
            return Target::parse(location);
        }
        let path = if let Some(rest) = location.strip_prefix("//") {
            let scheme = match self.scheme {
                Scheme::Http => "http",
                Scheme::Https => "https",
            };
            return Target::parse(&format!("{scheme}://{rest}"));
        } else if location.starts_with('/') {
            location.to_owned()
        } else {
            let base = self.path.split('?').next().unwrap_or("/");
            let dir = &base[..base.rfind('/').map_or(0, |i| i + 1)];
            format!("{dir}{location}")
        };
        let mut next = self.clone();
        next.path = if path.starts_with('/') {
            path
        } else {
            format!("/{path}")
        };
        if next.path.bytes().any(|b| b.is_ascii_control() || b == b' ') {
            return Err(TransportError::Url(location.to_owned()));
        }
        Ok(next)
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scheme = match self.scheme {
            Scheme::Http => "http",
            Scheme::Https => "https",
        };
        write!(f, "{scheme}://{}{}", self.host_header(), self.path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_joins() {
        let t = Target::parse("http://acs.example:7547/cwmp?x=1").expect("parses");
        assert_eq!(
            (t.host.as_str(), t.port, t.path.as_str()),
            ("acs.example", 7547, "/cwmp?x=1")
        );
        assert_eq!(t.to_string(), "http://acs.example:7547/cwmp?x=1");
        let t = Target::parse("https://[::1]").expect("parses");
        assert_eq!(
            (t.host.as_str(), t.port, t.path.as_str()),
            ("::1", 443, "/")
        );
        assert_eq!(t.authority(), "[::1]:443");
        assert!(Target::parse("ftp://x/").is_err());
        assert!(Target::parse("http://:80/").is_err());
        assert!(Target::parse("http://h:99999/").is_err());
        let base = Target::parse("http://h/a/b").expect("parses");
        assert_eq!(base.join("/c").expect("ok").path, "/c");
        assert_eq!(base.join("c").expect("ok").path, "/a/c");
        assert_eq!(base.join("http://o:8/p").expect("ok").authority(), "o:8");
        assert_eq!(base.join("//o/p").expect("ok").to_string(), "http://o/p");
    }
}
