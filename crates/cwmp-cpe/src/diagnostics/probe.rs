//! Reachability probes for ping, server selection and traceroute, done natively (no
//! program is run):
//!
//! - ICMP echo over an unprivileged ICMP datagram socket (Linux, when the process's group is
//!   in `net.ipv4.ping_group_range`), else a raw ICMP socket (`CAP_NET_RAW`);
//! - without either, and for IPv6, a TCP connection to port 80 of the host: an accepted or a
//!   refused connection is an answer and its time the round trip (a host that filters the
//!   port counts as silent). [`Prober::method`] says which one ran.
//!
//! Traceroute sends ICMP echoes with a growing TTL on the raw socket and reads the hops'
//! time-exceeded answers; without a raw socket it only tells at which TTL a TCP connection
//! reaches the host (the hops before it are reported without an address).
//!
//! Everything here blocks (bounded by the timeouts given): call it from a blocking task.

use std::io::ErrorKind;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, SocketAddrV4, TcpStream};
use std::os::fd::OwnedFd;
use std::sync::atomic::{AtomicU16, Ordering};
use std::time::{Duration, Instant};

use rustix::net::{AddressFamily, RecvFlags, SendFlags, SocketType, ipproto, sockopt};

/// Port of the TCP fallback.
pub const TCP_PORT: u16 = 80;
/// Largest echo payload.
pub const MAX_PAYLOAD: usize = 65_500;

const ECHO_REPLY: u8 = 0;
const DEST_UNREACHABLE: u8 = 3;
const ECHO_REQUEST: u8 = 8;
const TIME_EXCEEDED: u8 = 11;

/// How probes are sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// ICMP echo, unprivileged datagram socket.
    IcmpDatagram,
    /// ICMP echo, raw socket.
    IcmpRaw,
    /// TCP connection to port 80.
    Tcp,
}

/// What one probe learned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// The host answered after this time.
    Reached(Duration),
    /// A router on the way answered (traceroute): its address and the time.
    Hop(IpAddr, Duration),
    /// The host or a router said the destination is unreachable (ICMP code).
    Unreachable(IpAddr, u8),
    /// Nothing within the timeout.
    Silent,
}

/// Sends probes; one per diagnostic run.
pub struct Prober {
    icmp: Option<(OwnedFd, Method)>,
    ident: u16,
}

fn checksum(data: &[u8]) -> u16 {
    let mut sum: u32 = 0;
    for pair in data.chunks(2) {
        let word = u16::from_be_bytes([pair[0], pair.get(1).copied().unwrap_or(0)]);
        sum = sum.wrapping_add(u32::from(word));
    }
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

fn echo_packet(ident: u16, seq: u16, size: usize) -> Vec<u8> {
    let mut p = vec![0u8; 8 + size.min(MAX_PAYLOAD)];
    p[0] = ECHO_REQUEST;
    p[4..6].copy_from_slice(&ident.to_be_bytes());
    p[6..8].copy_from_slice(&seq.to_be_bytes());
    for (i, b) in p[8..].iter_mut().enumerate() {
        *b = i as u8;
    }
    let c = checksum(&p);
    p[2..4].copy_from_slice(&c.to_be_bytes());
    p
}

/// The ICMP message of a packet read from the socket (raw sockets include the IP header).
fn icmp_of(packet: &[u8], raw: bool) -> Option<(&[u8], Option<Ipv4Addr>)> {
    if !raw {
        return Some((packet, None));
    }
    let ihl = usize::from(packet.first()? & 0x0f) * 4;
    let src = Ipv4Addr::new(
        *packet.get(12)?,
        *packet.get(13)?,
        *packet.get(14)?,
        *packet.get(15)?,
    );
    Some((packet.get(ihl..)?, Some(src)))
}

impl Prober {
    /// Opens the best ICMP socket the process may use, if any.
    pub fn open() -> Prober {
        let dgram =
            rustix::net::socket(AddressFamily::INET, SocketType::DGRAM, Some(ipproto::ICMP))
                .map(|fd| (fd, Method::IcmpDatagram));
        let icmp = dgram
            .or_else(|_| {
                rustix::net::socket(AddressFamily::INET, SocketType::RAW, Some(ipproto::ICMP))
                    .map(|fd| (fd, Method::IcmpRaw))
            })
            .ok();
        // Raw sockets see every echo reply: each prober needs its own identifier.
        static NEXT: AtomicU16 = AtomicU16::new(0);
        let ident = (std::process::id() as u16) ^ NEXT.fetch_add(0x0101, Ordering::Relaxed);
        Prober { icmp, ident }
    }

    /// A prober that only uses TCP (tests of the fallback).
    pub fn tcp_only() -> Prober {
        Prober {
            icmp: None,
            ident: 0,
        }
    }

    /// How probes to `dst` are sent.
    pub fn method(&self, dst: IpAddr) -> Method {
        match (&self.icmp, dst) {
            (Some((_, m)), IpAddr::V4(_)) => *m,
            _ => Method::Tcp,
        }
    }

    /// One echo to `dst` with `size` bytes of data; `ttl` limits the hops (traceroute).
    pub fn probe(
        &mut self,
        dst: IpAddr,
        seq: u16,
        size: usize,
        ttl: Option<u8>,
        timeout: Duration,
    ) -> Answer {
        match (self.method(dst), dst) {
            (Method::Tcp, _) | (_, IpAddr::V6(_)) => tcp_probe(dst, ttl, timeout),
            (m, IpAddr::V4(v4)) => {
                self.icmp_probe(v4, m == Method::IcmpRaw, seq, size, ttl, timeout)
            }
        }
    }

    fn icmp_probe(
        &mut self,
        dst: Ipv4Addr,
        raw: bool,
        seq: u16,
        size: usize,
        ttl: Option<u8>,
        timeout: Duration,
    ) -> Answer {
        let Some((fd, _)) = &self.icmp else {
            return Answer::Silent;
        };
        let ident = self.ident;
        if sockopt::set_ip_ttl(fd, u32::from(ttl.unwrap_or(64))).is_err() {
            return Answer::Silent;
        }
        let packet = echo_packet(ident, seq, size);
        let started = Instant::now();
        let to = SocketAddrV4::new(dst, 0);
        if rustix::net::sendto(fd, &packet, SendFlags::empty(), &to).is_err() {
            return Answer::Silent;
        }
        let deadline = started + timeout;
        let mut buf = vec![0u8; 2048];
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Answer::Silent;
            }
            let _ = sockopt::set_socket_timeout(fd, sockopt::Timeout::Recv, Some(left));
            let n = match rustix::net::recv(fd, &mut buf[..], RecvFlags::empty()) {
                Ok((n, _)) => n,
                Err(_) => return Answer::Silent,
            };
            let rtt = started.elapsed();
            let Some((icmp, src)) = icmp_of(buf.get(..n).unwrap_or(&[]), raw) else {
                continue;
            };
            if icmp.len() < 8 {
                continue;
            }
            let (kind, code) = (icmp[0], icmp[1]);
            let id = u16::from_be_bytes([icmp[4], icmp[5]]);
            let sq = u16::from_be_bytes([icmp[6], icmp[7]]);
            match kind {
                // Datagram sockets rewrite the identifier; they only deliver our replies.
                ECHO_REPLY if sq == seq && (!raw || id == ident) => {
                    if src.is_some_and(|s| s != dst) {
                        continue;
                    }
                    return Answer::Reached(rtt);
                }
                TIME_EXCEEDED | DEST_UNREACHABLE if raw => {
                    // The original datagram follows: its IP header, then our echo header.
                    let Some((inner, _)) = icmp_of(&icmp[8..], true) else {
                        continue;
                    };
                    let ours = inner.len() >= 8
                        && inner[0] == ECHO_REQUEST
                        && u16::from_be_bytes([inner[4], inner[5]]) == ident
                        && u16::from_be_bytes([inner[6], inner[7]]) == seq;
                    if !ours {
                        continue;
                    }
                    let from = IpAddr::V4(src.unwrap_or(Ipv4Addr::UNSPECIFIED));
                    return if kind == TIME_EXCEEDED {
                        Answer::Hop(from, rtt)
                    } else {
                        Answer::Unreachable(from, code)
                    };
                }
                _ => continue,
            }
        }
    }
}

/// A TCP connection to port 80 as a probe (with a TTL: does it reach the host?).
fn tcp_probe(dst: IpAddr, ttl: Option<u8>, timeout: Duration) -> Answer {
    let addr = SocketAddr::new(dst, TCP_PORT);
    let started = Instant::now();
    let result = match ttl {
        None => TcpStream::connect_timeout(&addr, timeout).map(drop),
        Some(t) => connect_with_ttl(addr, t, timeout),
    };
    match result {
        Ok(()) => Answer::Reached(started.elapsed()),
        Err(e) if e.kind() == ErrorKind::ConnectionRefused => Answer::Reached(started.elapsed()),
        Err(_) => Answer::Silent,
    }
}

/// A non-blocking connect with `IP_TTL` set first, waited for with `poll`.
fn connect_with_ttl(addr: SocketAddr, ttl: u8, timeout: Duration) -> std::io::Result<()> {
    let family = if addr.is_ipv4() {
        AddressFamily::INET
    } else {
        AddressFamily::INET6
    };
    let fd = rustix::net::socket_with(
        family,
        SocketType::STREAM,
        rustix::net::SocketFlags::NONBLOCK | rustix::net::SocketFlags::CLOEXEC,
        None,
    )?;
    if addr.is_ipv4() {
        sockopt::set_ip_ttl(&fd, u32::from(ttl))?;
    } else {
        sockopt::set_ipv6_unicast_hops(&fd, Some(ttl))?;
    }
    match rustix::net::connect(&fd, &addr) {
        Ok(()) => return Ok(()),
        Err(rustix::io::Errno::INPROGRESS) => {}
        Err(e) => return Err(e.into()),
    }
    let mut fds = [rustix::event::PollFd::new(
        &fd,
        rustix::event::PollFlags::OUT,
    )];
    let ts = rustix::time::Timespec {
        tv_sec: timeout.as_secs() as i64,
        tv_nsec: i64::from(timeout.subsec_nanos()),
    };
    if rustix::event::poll(&mut fds, Some(&ts))? == 0 {
        return Err(ErrorKind::TimedOut.into());
    }
    match sockopt::socket_error(&fd)? {
        Ok(()) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_echo_checksum_verifies() {
        let p = echo_packet(0x1234, 7, 56);
        assert_eq!(p.len(), 64);
        assert_eq!(checksum(&p), 0);
    }

    #[test]
    fn loopback_answers_by_whatever_method_is_available() {
        let mut p = Prober::open();
        let a = p.probe(
            IpAddr::V4(Ipv4Addr::LOCALHOST),
            1,
            56,
            None,
            Duration::from_secs(5),
        );
        assert!(
            matches!(a, Answer::Reached(_)),
            "{a:?} by {:?}",
            p.method(Ipv4Addr::LOCALHOST.into())
        );
        let mut t = Prober::tcp_only();
        let a = t.probe(
            IpAddr::V4(Ipv4Addr::LOCALHOST),
            1,
            0,
            Some(1),
            Duration::from_secs(5),
        );
        assert!(matches!(a, Answer::Reached(_)), "{a:?}");
        let a = t.probe(
            "::1".parse().expect("ip"),
            1,
            0,
            None,
            Duration::from_secs(5),
        );
        assert!(matches!(a, Answer::Reached(_) | Answer::Silent), "{a:?}");
    }
}
