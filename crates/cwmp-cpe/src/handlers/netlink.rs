//! The IPv4 addresses of an interface, read from the kernel by rtnetlink (`RTM_GETADDR`):
//! `/proc` and `/sys` do not list them per interface. One dump request, answers bounded.

use std::net::Ipv4Addr;

use rustix::net::netlink::SocketAddrNetlink;
use rustix::net::{AddressFamily, RecvFlags, SendFlags, SocketType};

const RTM_NEWADDR: u16 = 20;
const RTM_GETADDR: u16 = 22;
const NLMSG_ERROR: u16 = 2;
const NLMSG_DONE: u16 = 3;
const NLM_F_REQUEST: u16 = 1;
const NLM_F_DUMP: u16 = 0x300;
const AF_INET: u8 = 2;
const IFA_ADDRESS: u16 = 1;
const IFA_LOCAL: u16 = 2;
/// Most datagrams read for one dump (each holds many addresses).
const MAX_DATAGRAMS: usize = 256;

/// One IPv4 address of an interface.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ipv4Entry {
    /// Interface index.
    pub index: u32,
    /// The address.
    pub address: Ipv4Addr,
    /// Prefix length.
    pub prefix: u8,
}

impl Ipv4Entry {
    /// The subnet mask of the prefix (`255.255.255.0` for 24).
    pub fn mask(&self) -> Ipv4Addr {
        let bits = u32::from(self.prefix.min(32));
        Ipv4Addr::from(u32::MAX.checked_shl(32 - bits).unwrap_or(0))
    }
}

fn u16_at(b: &[u8], i: usize) -> Option<u16> {
    Some(u16::from_ne_bytes(b.get(i..i + 2)?.try_into().ok()?))
}

fn u32_at(b: &[u8], i: usize) -> Option<u32> {
    Some(u32::from_ne_bytes(b.get(i..i + 4)?.try_into().ok()?))
}

/// Parses one datagram of an `RTM_GETADDR` dump into `out`; `Ok(true)` once the dump is done.
pub fn parse_datagram(mut b: &[u8], out: &mut Vec<Ipv4Entry>) -> Result<bool, String> {
    while b.len() >= 16 {
        let len = u32_at(b, 0).unwrap_or(0) as usize;
        let kind = u16_at(b, 4).unwrap_or(0);
        if len < 16 || len > b.len() {
            return Err(format!("bad netlink message length {len}"));
        }
        let msg = &b[16..len];
        match kind {
            NLMSG_DONE => return Ok(true),
            NLMSG_ERROR => {
                let code = u32_at(msg, 0).map_or(0, |c| c as i32);
                if code != 0 {
                    return Err(format!("netlink error {code}"));
                }
            }
            RTM_NEWADDR if msg.len() >= 8 && msg[0] == AF_INET => {
                let prefix = msg[1];
                let index = u32_at(msg, 4).unwrap_or(0);
                let (mut local, mut address) = (None, None);
                let mut attrs = &msg[8..];
                while attrs.len() >= 4 {
                    let alen = usize::from(u16_at(attrs, 0).unwrap_or(0));
                    let atype = u16_at(attrs, 2).unwrap_or(0);
                    if alen < 4 || alen > attrs.len() {
                        break;
                    }
                    let data = &attrs[4..alen];
                    if let Ok(v) = <[u8; 4]>::try_from(data) {
                        match atype {
                            IFA_LOCAL => local = Some(Ipv4Addr::from(v)),
                            IFA_ADDRESS => address = Some(Ipv4Addr::from(v)),
                            _ => {}
                        }
                    }
                    attrs = attrs.get(alen.next_multiple_of(4)..).unwrap_or(&[]);
                }
                if let Some(address) = local.or(address) {
                    out.push(Ipv4Entry {
                        index,
                        address,
                        prefix,
                    });
                }
            }
            _ => {}
        }
        b = b.get(len.next_multiple_of(4)..).unwrap_or(&[]);
    }
    Ok(false)
}

/// Every IPv4 address of the system, in the kernel's order.
pub fn ipv4_addresses() -> Result<Vec<Ipv4Entry>, String> {
    // Protocol `None` is NETLINK_ROUTE (0).
    let fd = rustix::net::socket(AddressFamily::NETLINK, SocketType::DGRAM, None)
        .map_err(|e| format!("netlink socket: {e}"))?;
    let timeout = Some(std::time::Duration::from_secs(2));
    rustix::net::sockopt::set_socket_timeout(&fd, rustix::net::sockopt::Timeout::Recv, timeout)
        .map_err(|e| format!("netlink timeout: {e}"))?;
    let mut req = Vec::with_capacity(24);
    req.extend_from_slice(&24u32.to_ne_bytes());
    req.extend_from_slice(&RTM_GETADDR.to_ne_bytes());
    req.extend_from_slice(&(NLM_F_REQUEST | NLM_F_DUMP).to_ne_bytes());
    req.extend_from_slice(&1u32.to_ne_bytes()); // sequence
    req.extend_from_slice(&0u32.to_ne_bytes()); // port id: the kernel fills it
    req.extend_from_slice(&[AF_INET, 0, 0, 0]);
    req.extend_from_slice(&0u32.to_ne_bytes());
    rustix::net::sendto(&fd, &req, SendFlags::empty(), &SocketAddrNetlink::new(0, 0))
        .map_err(|e| format!("netlink send: {e}"))?;
    let mut out = Vec::new();
    let mut buf = vec![0u8; 32 * 1024];
    for _ in 0..MAX_DATAGRAMS {
        let (n, _) = rustix::net::recv(&fd, &mut buf[..], RecvFlags::empty())
            .map_err(|e| format!("netlink recv: {e}"))?;
        if parse_datagram(buf.get(..n).unwrap_or(&[]), &mut out)? {
            return Ok(out);
        }
    }
    Err("netlink dump did not end".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(kind: u16, body: &[u8]) -> Vec<u8> {
        let mut m = Vec::new();
        m.extend_from_slice(&(16 + body.len() as u32).to_ne_bytes());
        m.extend_from_slice(&kind.to_ne_bytes());
        m.extend_from_slice(&[0; 10]);
        m.extend_from_slice(body);
        m
    }

    #[test]
    fn a_dump_gives_each_address_with_its_prefix() {
        let mut body = vec![AF_INET, 24, 0, 0];
        body.extend_from_slice(&3u32.to_ne_bytes());
        body.extend_from_slice(&8u16.to_ne_bytes());
        body.extend_from_slice(&IFA_LOCAL.to_ne_bytes());
        body.extend_from_slice(&[192, 168, 1, 2]);
        let mut d = message(RTM_NEWADDR, &body);
        d.extend(message(NLMSG_DONE, &[0; 4]));
        let mut out = Vec::new();
        assert_eq!(parse_datagram(&d, &mut out), Ok(true));
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].index, 3);
        assert_eq!(out[0].address, Ipv4Addr::new(192, 168, 1, 2));
        assert_eq!(out[0].mask(), Ipv4Addr::new(255, 255, 255, 0));
    }

    #[test]
    fn broken_datagrams_are_errors_not_panics() {
        let mut out = Vec::new();
        assert!(parse_datagram(&[0xff; 20], &mut out).is_err());
        let mut short = message(RTM_NEWADDR, &[AF_INET, 8]);
        short.truncate(17);
        let _ = parse_datagram(&short, &mut out);
        for cut in 0..40 {
            let d = message(
                RTM_NEWADDR,
                &[AF_INET, 8, 0, 0, 1, 0, 0, 0, 8, 0, 2, 0, 10, 0, 0],
            );
            let _ = parse_datagram(&d[..cut.min(d.len())], &mut out);
        }
    }

    #[test]
    fn the_loopback_address_is_listed() {
        // Every Linux system has 127.0.0.1 on `lo`.
        let all = ipv4_addresses().expect("rtnetlink answers");
        assert!(
            all.iter()
                .any(|e| e.address == Ipv4Addr::LOCALHOST && e.prefix == 8)
        );
    }
}
