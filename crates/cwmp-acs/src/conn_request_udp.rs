//! UDP Connection Requests (TR-111 Part 2 §2.2.2, TR-069 Annex G): the signed datagram of
//! [`cwmp::udp_conn_request`] sent to the device's UDPConnectionRequestAddress, repeated
//! because UDP is lossy (the device acts on one `id` once). Chosen over HTTP when the device is
//! behind NAT (NATDetected) or its HTTP ConnectionRequestURL is missing or unreachable.

use std::net::SocketAddr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use cwmp::udp_conn_request::UdpRequest;
use rand::TryRngCore as _;
use tokio::net::UdpSocket;

use crate::conn_request::{self, CrCredentials, CrError};

/// Transmissions of one UDP Connection Request (same `id`).
pub const REPEATS: u32 = 3;
/// Gap between two transmissions.
const REPEAT_GAP: Duration = Duration::from_millis(100);

/// How a Connection Request reached the device.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CrSent {
    /// HTTP, answered with this 2xx status.
    Http(u16),
    /// UDP datagrams sent (there is no answer to wait for).
    Udp,
}

/// The signed datagram for `address` (`host:port`) at Unix second `ts` with a random id and
/// cnonce; the username is the device's ConnectionRequestUsername.
pub fn datagram(address: &str, creds: &CrCredentials, ts: u64) -> Result<Vec<u8>, CrError> {
    let mut raw = [0u8; 16];
    rand::rngs::OsRng
        .try_fill_bytes(&mut raw)
        .map_err(|e| CrError::Io(e.to_string()))?;
    let id = u64::from_be_bytes(raw[..8].try_into().unwrap_or_default()).to_string();
    let cn = cwmp::http_auth::hex(&raw[8..]);
    UdpRequest::signed(ts, &id, &creds.username, &cn, &creds.password)
        .to_datagram(address)
        .map_err(|e| CrError::BadUrl(format!("{address}: {e}")))
}

/// Sends a UDP Connection Request to `address` ([`REPEATS`] times) within `timeout`.
pub async fn send(
    address: &str,
    creds: Option<&CrCredentials>,
    timeout: Duration,
) -> Result<(), CrError> {
    let creds = creds
        .ok_or_else(|| CrError::Auth("the device has no Connection Request credentials".into()))?;
    let ts = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let bytes = datagram(address, creds, ts)?;
    match tokio::time::timeout(timeout, send_inner(address, &bytes)).await {
        Ok(r) => r,
        Err(_) => Err(CrError::Timeout(timeout)),
    }
}

async fn send_inner(address: &str, bytes: &[u8]) -> Result<(), CrError> {
    let io = |e: std::io::Error| CrError::Io(e.to_string());
    // TR-069 Annex G: `host` alone means port 80.
    let with_port = if address.ends_with(']') || !address.contains(':') {
        format!("{address}:80")
    } else {
        address.to_owned()
    };
    let to: SocketAddr = tokio::net::lookup_host(with_port.as_str())
        .await
        .map_err(io)?
        .next()
        .ok_or_else(|| CrError::BadUrl(format!("{address} does not resolve")))?;
    let local: SocketAddr = if to.is_ipv4() {
        ([0, 0, 0, 0], 0).into()
    } else {
        ([0u16; 8], 0).into()
    };
    let socket = UdpSocket::bind(local).await.map_err(io)?;
    for i in 0..REPEATS {
        if i > 0 {
            tokio::time::sleep(REPEAT_GAP).await;
        }
        socket.send_to(bytes, to).await.map_err(io)?;
    }
    Ok(())
}

/// Sends a Connection Request the way that can reach the device: UDP when it reported a
/// UDPConnectionRequestAddress and is behind NAT or has no ConnectionRequestURL, else HTTP,
/// falling back to UDP when HTTP fails.
pub async fn send_best(
    http_url: Option<&str>,
    udp_address: Option<&str>,
    behind_nat: bool,
    creds: Option<&CrCredentials>,
    timeout: Duration,
) -> Result<CrSent, CrError> {
    let http_url = http_url.filter(|u| !u.is_empty());
    let udp_address = udp_address.filter(|a| !a.is_empty());
    match (http_url, udp_address) {
        (None, None) => Err(CrError::BadUrl(
            "the device has reported neither a ConnectionRequestURL nor a UDPConnectionRequestAddress"
                .into(),
        )),
        (None, Some(udp)) => send(udp, creds, timeout).await.map(|()| CrSent::Udp),
        (Some(_), Some(udp)) if behind_nat => send(udp, creds, timeout).await.map(|()| CrSent::Udp),
        (Some(url), udp) => match conn_request::send(url, creds, timeout).await {
            Ok(status) => Ok(CrSent::Http(status)),
            Err(http) => match udp {
                Some(udp) if matches!(http, CrError::Io(_) | CrError::Timeout(_)) => {
                    tracing::debug!(%url, "HTTP connection request failed ({http}); trying UDP");
                    send(udp, creds, timeout).await.map(|()| CrSent::Udp)
                }
                _ => Err(http),
            },
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn creds() -> CrCredentials {
        CrCredentials {
            username: "cpe-user".into(),
            password: "cr-secret".into(),
        }
    }

    #[test]
    fn datagrams_verify_with_the_devices_password() {
        let a = datagram("203.0.113.9:40000", &creds(), 1_700_000_000).unwrap();
        let b = datagram("203.0.113.9:40000", &creds(), 1_700_000_000).unwrap();
        let ra = UdpRequest::parse(&a).unwrap();
        let rb = UdpRequest::parse(&b).unwrap();
        assert!(ra.signature_valid("cr-secret"));
        assert!(!ra.signature_valid("other"));
        assert_eq!((ra.ts, ra.un.as_str()), (1_700_000_000, "cpe-user"));
        assert_ne!(ra.id, rb.id, "each request has a fresh id");
        assert_ne!(ra.cn, rb.cn);
        assert!(
            String::from_utf8(a)
                .unwrap()
                .starts_with("GET http://203.0.113.9:40000?")
        );
    }

    #[test]
    fn the_cpe_validator_accepts_what_the_acs_sends() {
        let mut v = cwmp_cpe::conn_request::UdpValidator::new("cpe-user", "cr-secret", 30);
        let d = datagram("10.0.0.2:7547", &creds(), 1_700_000_000).unwrap();
        assert!(v.validate(&d, Some(1_700_000_010)).is_ok());
        assert_eq!(
            v.validate(&d, Some(1_700_000_010)),
            Err(cwmp_cpe::conn_request::UdpError::Duplicate)
        );
        let other = CrCredentials {
            password: "wrong".into(),
            ..creds()
        };
        let d = datagram("10.0.0.2:7547", &other, 1_700_000_000).unwrap();
        assert_eq!(
            v.validate(&d, Some(1_700_000_000)),
            Err(cwmp_cpe::conn_request::UdpError::Signature)
        );
    }

    #[tokio::test(flavor = "current_thread")]
    async fn udp_is_chosen_behind_nat_and_repeated() {
        let device = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let addr = device.local_addr().unwrap().to_string();
        // The HTTP URL points at a closed port; behind NAT UDP is used without trying it.
        let sent = send_best(
            Some("http://127.0.0.1:9/"),
            Some(&addr),
            true,
            Some(&creds()),
            Duration::from_secs(5),
        )
        .await;
        assert_eq!(sent, Ok(CrSent::Udp));
        let mut ids = Vec::new();
        let mut buf = [0u8; 1500];
        for _ in 0..REPEATS {
            let (n, _) = tokio::time::timeout(Duration::from_secs(5), device.recv_from(&mut buf))
                .await
                .expect("in time")
                .unwrap();
            let r = UdpRequest::parse(&buf[..n]).unwrap();
            assert!(r.signature_valid("cr-secret"));
            ids.push(r.id);
        }
        ids.dedup();
        assert_eq!(ids.len(), 1, "the repeats share one id");
        assert!(matches!(
            send_best(None, None, false, Some(&creds()), Duration::from_secs(1)).await,
            Err(CrError::BadUrl(_))
        ));
        assert!(matches!(
            send_best(None, Some(&addr), false, None, Duration::from_secs(1)).await,
            Err(CrError::Auth(_))
        ));
    }
}
