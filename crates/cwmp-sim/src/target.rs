//! Which ACS the simulator may load: loopback, or a host the operator named with
//! `--allow-host`. A fleet simulator is a load generator; pointing it at someone else's server
//! by mistake must not be possible.

use std::net::IpAddr;

use cwmp_cpe::transport::{Scheme, Target};

/// Why an ACS URL is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TargetError {
    /// Not `http://host[:port]/path`.
    #[error("bad ACS URL {url}: {message}")]
    Url {
        /// The URL.
        url: String,
        /// What is wrong.
        message: String,
    },
    /// `https://`: the CPE transport has no TLS connector yet.
    #[error("https is not supported yet (the CPE transport has no TLS connector): {0}")]
    Https(String),
    /// Neither loopback nor allowed.
    #[error(
        "refusing to load {host}: only loopback hosts, or hosts given with --allow-host, are allowed"
    )]
    NotAllowed {
        /// The host.
        host: String,
    },
}

/// True for `localhost`, `127.0.0.0/8` and `::1`.
pub fn is_loopback(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    bare.eq_ignore_ascii_case("localhost")
        || bare.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// Checks `url` against the loopback rule and `allowed` (hosts compared case-insensitively).
pub fn check_acs_url(url: &str, allowed: &[String]) -> Result<Target, TargetError> {
    let target = Target::parse(url).map_err(|e| TargetError::Url {
        url: url.to_owned(),
        message: e.to_string(),
    })?;
    if target.scheme != Scheme::Http {
        return Err(TargetError::Https(url.to_owned()));
    }
    let host = target.host.trim_start_matches('[').trim_end_matches(']');
    let ok = is_loopback(host)
        || allowed.iter().any(|a| {
            a.trim_start_matches('[')
                .trim_end_matches(']')
                .eq_ignore_ascii_case(host)
        });
    if !ok {
        return Err(TargetError::NotAllowed {
            host: host.to_owned(),
        });
    }
    Ok(target)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_and_allowed_only() {
        assert!(check_acs_url("http://127.0.0.1:7547/", &[]).is_ok());
        assert!(check_acs_url("http://localhost/acs", &[]).is_ok());
        assert!(check_acs_url("http://[::1]:80/", &[]).is_ok());
        assert!(check_acs_url("http://127.8.9.10/", &[]).is_ok());
        assert!(matches!(
            check_acs_url("http://acs.example.net/", &[]),
            Err(TargetError::NotAllowed { .. })
        ));
        assert!(matches!(
            check_acs_url("http://10.0.0.1/", &[]),
            Err(TargetError::NotAllowed { .. })
        ));
        assert!(check_acs_url("http://ACS.example.net/", &["acs.example.net".into()]).is_ok());
        assert!(matches!(
            check_acs_url("https://127.0.0.1/", &[]),
            Err(TargetError::Https(_))
        ));
        assert!(check_acs_url("ftp://127.0.0.1/", &[]).is_err());
    }
}
