//! The UDP Connection Request socket of TR-111 Part 2: one UDP socket on the Connection Request
//! port, used both to discover and keep alive the NAT binding with STUN Binding Requests
//! (§2.2.1) and to receive the signed UDP Connection Requests sent to that binding (§2.2.2).
//!
//! The mapped address is published as `ManagementServer.UDPConnectionRequestAddress` and
//! `NATDetected` through the agent's [`Local`] channel (the agent owns the tree); a valid
//! request is signalled on the same channel as an HTTP Connection Request. Invalid, duplicate,
//! stale and rate-limited requests are dropped with a debug log (UDP has no answer).

use std::io;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use cwmp_datamodel::Tree;
use rand::rngs::StdRng;
use rand::{RngCore as _, SeedableRng as _};
use tokio::net::UdpSocket;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use super::{RateLimiter, UdpValidator};
use crate::agent::Local;
use crate::clock::Clock;
use crate::stun::{BindingAnswer, BindingRequest, Message, StunCredentials, TransactionId};

/// Default STUN server port (RFC 3489 §8.1).
pub const DEFAULT_STUN_PORT: u16 = 3478;
/// Keep-alive period used when the data model leaves it open.
const DEFAULT_KEEPALIVE: Duration = Duration::from_secs(30);
/// Transmissions of one Binding Request before waiting for the next keep-alive.
const MAX_ATTEMPTS: u32 = 5;
/// Longest DNS wait for the STUN server's name.
const RESOLVE_TIMEOUT: Duration = Duration::from_secs(5);
/// Largest accepted difference between a request's `ts` and the CPE's clock, in seconds.
pub(super) const TIMESTAMP_WINDOW: u64 = 300;
/// Retry interval for a publication the agent's full channel refused.
const PUBLISH_RETRY: Duration = Duration::from_millis(200);

/// The STUN settings of `ManagementServer.` (TR-181 / TR-098 `STUN*` parameters).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StunSettings {
    /// STUNServerAddress, or the ACS URL's host when that is empty.
    pub server: String,
    /// STUNServerPort (default 3478).
    pub port: u16,
    /// STUNUsername / STUNPassword: sent only after the server asks (401).
    pub credentials: Option<StunCredentials>,
    /// Time between keep-alive Binding Requests, within STUNMinimum/MaximumKeepAlivePeriod.
    pub keepalive: Duration,
    /// First retransmission timeout; doubled on each retransmission (RFC 3489 §9.3).
    pub retransmit: Duration,
}

impl StunSettings {
    /// Reads the settings below `root` (`Device.`); `None` when STUNEnable is false.
    pub fn from_tree(tree: &Tree, root: &str) -> Option<StunSettings> {
        let ms = |n: &str| {
            tree.stored_value(&format!("{root}ManagementServer.{n}"))
                .map(|v| v.as_text().into_owned())
                .unwrap_or_default()
        };
        if !matches!(ms("STUNEnable").as_str(), "true" | "1") {
            return None;
        }
        let mut server = ms("STUNServerAddress");
        if server.is_empty() {
            server = url_host(&ms("URL")).unwrap_or_default().to_owned();
        }
        let username = ms("STUNUsername");
        let secs = |n: &str| {
            ms(n)
                .parse::<i64>()
                .ok()
                .and_then(|s| u64::try_from(s).ok())
                .map(Duration::from_secs)
        };
        let min = secs("STUNMinimumKeepAlivePeriod").unwrap_or(Duration::ZERO);
        // -1 means no maximum; so does 0, the value of a data model that leaves it unset.
        let max = secs("STUNMaximumKeepAlivePeriod")
            .filter(|d| !d.is_zero())
            .unwrap_or(Duration::MAX);
        Some(StunSettings {
            server,
            port: ms("STUNServerPort").parse().unwrap_or(DEFAULT_STUN_PORT),
            credentials: (!username.is_empty()).then(|| StunCredentials {
                username,
                password: ms("STUNPassword"),
            }),
            keepalive: DEFAULT_KEEPALIVE
                .max(min)
                .min(max)
                .max(Duration::from_secs(1)),
            retransmit: Duration::from_millis(500),
        })
    }
}

/// The host of an `http(s)://host[:port]/path` URL (brackets of an IPv6 literal removed).
fn url_host(url: &str) -> Option<&str> {
    let rest = url.split_once("://")?.1;
    let authority = rest.split(['/', '?']).next()?;
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6.split_once(']')?.0,
        None => authority.rsplit_once(':').map_or(authority, |(h, _)| h),
    };
    (!host.is_empty()).then_some(host)
}

/// Where the socket listens and whether it runs STUN.
#[derive(Debug, Clone)]
pub struct UdpServerConfig {
    /// The UDP Connection Request address (default port 7547).
    pub addr: SocketAddr,
    /// STUN binding discovery; `None` publishes the local address instead.
    pub stun: Option<StunSettings>,
}

/// What the socket task needs besides its configuration.
pub struct UdpServerParts {
    /// Checks signature, username, timestamp and replay.
    pub validator: UdpValidator,
    /// Shared with nothing: the UDP path has its own bucket.
    pub limiter: RateLimiter,
    /// Time for the timestamp window and the rate limit.
    pub clock: Arc<dyn Clock>,
    /// The agent's Connection Request signal.
    pub signal: mpsc::Sender<()>,
    /// The agent's local-change channel, for the published address.
    pub publish: mpsc::Sender<Local>,
}

/// What the agent changes in the running UDP socket.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct Live {
    /// STUN; `None` when disabled.
    pub(super) stun: Option<StunSettings>,
    /// ConnectionRequestUsername and Password; `None`: the validator's own.
    pub(super) credentials: Option<(String, String)>,
}

/// Changes the running UDP socket as the data model changes (by the ACS or the CLI), at once:
/// its STUN settings (a new server or credentials start a fresh binding discovery, `None`
/// stops STUN and publishes the local address instead) and the Connection Request
/// credentials the requests must be signed with.
#[derive(Debug, Clone)]
pub struct UdpHandle(Arc<watch::Sender<Live>>);

impl UdpHandle {
    /// A handle with the STUN settings in force at start.
    pub fn new(stun: Option<StunSettings>) -> UdpHandle {
        let live = Live {
            stun,
            credentials: None,
        };
        UdpHandle(Arc::new(watch::channel(live).0))
    }

    /// Applies `stun` if it differs from the current settings.
    pub fn set_stun(&self, stun: Option<StunSettings>) {
        self.0.send_if_modified(|live| {
            let changed = live.stun != stun;
            if changed {
                live.stun = stun;
            }
            changed
        });
    }

    /// Requests must be signed with these credentials from now on.
    pub fn set_credentials(&self, username: &str, password: &str) {
        let new = Some((username.to_owned(), password.to_owned()));
        self.0.send_if_modified(|live| {
            let changed = live.credentials != new;
            if changed {
                live.credentials = new;
            }
            changed
        });
    }

    /// The STUN settings in force.
    pub fn stun(&self) -> Option<StunSettings> {
        self.0.borrow().stun.clone()
    }

    pub(super) fn subscribe(&self) -> watch::Receiver<Live> {
        self.0.subscribe()
    }
}

/// A running UDP Connection Request socket; dropping it stops the task.
#[derive(Debug)]
pub struct UdpConnRequestServer {
    local_addr: SocketAddr,
    handle: UdpHandle,
    task: JoinHandle<()>,
}

impl UdpConnRequestServer {
    /// Binds `config.addr` and runs the socket in a background task.
    pub async fn bind(
        config: UdpServerConfig,
        parts: UdpServerParts,
    ) -> io::Result<UdpConnRequestServer> {
        Self::bind_with(config.addr, parts, UdpHandle::new(config.stun)).await
    }

    /// Binds `addr` and runs the socket with the settings `handle` holds, now and as they
    /// change.
    pub async fn bind_with(
        addr: SocketAddr,
        mut parts: UdpServerParts,
        handle: UdpHandle,
    ) -> io::Result<UdpConnRequestServer> {
        let socket = UdpSocket::bind(addr).await?;
        let local_addr = socket.local_addr()?;
        let mut changes = handle.subscribe();
        let initial = changes.borrow_and_update().clone();
        if let Some((username, password)) = initial.credentials {
            parts.validator.username = username;
            parts.validator.password = password;
        }
        let mut task = Task {
            socket,
            local_addr,
            stun: initial.stun,
            changes: Some(changes),
            parts,
            mapped: None,
            binding_change: false,
            use_credentials: false,
            pending: None,
            next_keepalive: Instant::now(),
            unpublished: None,
            rng: StdRng::from_os_rng(),
        };
        let task = tokio::spawn(async move { task.run().await });
        Ok(UdpConnRequestServer {
            local_addr,
            handle,
            task,
        })
    }

    /// The address actually bound (for port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Changes the running socket's STUN settings and credentials.
    pub fn handle(&self) -> UdpHandle {
        self.handle.clone()
    }
}

impl Drop for UdpConnRequestServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A Binding Request awaiting its answer.
struct Pending {
    id: TransactionId,
    bytes: Vec<u8>,
    to: SocketAddr,
    attempts: u32,
    deadline: Instant,
    binding_change: bool,
}

struct Task {
    socket: UdpSocket,
    local_addr: SocketAddr,
    stun: Option<StunSettings>,
    /// New STUN settings; `None` once every handle is gone (the settings stay as they are).
    changes: Option<watch::Receiver<Live>>,
    parts: UdpServerParts,
    mapped: Option<SocketAddr>,
    binding_change: bool,
    use_credentials: bool,
    pending: Option<Pending>,
    next_keepalive: Instant,
    unpublished: Option<Local>,
    rng: StdRng,
}

impl Task {
    async fn run(&mut self) {
        if self.stun.is_none() {
            self.publish_local().await;
        }
        let mut buf = [0u8; 2048];
        loop {
            let deadline = self.deadline();
            let watching = self.changes.is_some();
            tokio::select! {
                // Changes first: a request that follows a credential change is checked
                // against the new credentials.
                biased;
                r = changed(&mut self.changes), if watching => match r {
                    Ok(()) => self.settings_changed().await,
                    Err(_) => self.changes = None,
                },
                r = self.socket.recv_from(&mut buf) => match r {
                    Ok((n, from)) => self.datagram(&buf[..n], from).await,
                    // ICMP port unreachable and the like surface here on some systems.
                    Err(e) => tracing::debug!("UDP connection request socket: {e}"),
                },
                () = tokio::time::sleep_until(deadline) => self.timer().await,
            }
        }
    }

    /// Without STUN the Connection Request address is the socket's own (TR-111 §2.2.1).
    async fn publish_local(&mut self) {
        if let Some(ip) = self.local_ip(None).await {
            self.publish(SocketAddr::new(ip, self.local_addr.port()), false);
        }
    }

    /// New credentials apply to the next request. New STUN settings: the Binding Request in
    /// flight is abandoned and discovery starts over at once (the new server may map
    /// differently, or want credentials); without STUN the local address is published.
    async fn settings_changed(&mut self) {
        let Some(changes) = &mut self.changes else {
            return;
        };
        let Live { stun, credentials } = changes.borrow_and_update().clone();
        let validator = &mut self.parts.validator;
        if let Some((username, password)) = credentials {
            if validator.username != username || validator.password != password {
                tracing::info!("UDP connection request credentials changed");
                validator.username = username;
                validator.password = password;
            }
        }
        if stun == self.stun {
            return;
        }
        tracing::info!(
            enabled = stun.is_some(),
            server = stun.as_ref().map_or("", |s| s.server.as_str()),
            "STUN settings changed"
        );
        self.pending = None;
        self.use_credentials = false;
        self.binding_change = false;
        self.next_keepalive = Instant::now();
        let disabled = self.stun.is_some() && stun.is_none();
        self.stun = stun;
        if disabled {
            self.mapped = None;
            self.publish_local().await;
        }
    }

    fn deadline(&self) -> Instant {
        let far = Instant::now() + Duration::from_secs(3600);
        let stun = match (&self.stun, &self.pending) {
            (None, _) => far,
            (Some(_), Some(p)) => p.deadline,
            (Some(_), None) => self.next_keepalive,
        };
        let publish = self
            .unpublished
            .as_ref()
            .map_or(far, |_| Instant::now() + PUBLISH_RETRY);
        stun.min(publish)
    }

    async fn timer(&mut self) {
        if let Some(change) = self.unpublished.take() {
            self.send_local(change);
        }
        let now = Instant::now();
        let Some(stun) = &self.stun else { return };
        let keepalive = stun.keepalive;
        match &mut self.pending {
            Some(p) if p.deadline <= now => {
                if p.attempts >= MAX_ATTEMPTS {
                    tracing::debug!(server = %p.to, "STUN binding request unanswered");
                    self.pending = None;
                    self.next_keepalive = now + keepalive;
                } else {
                    p.attempts += 1;
                    p.deadline = now + stun.retransmit * 2u32.pow(p.attempts.min(4) - 1);
                    if let Err(e) = self.socket.send_to(&p.bytes, p.to).await {
                        tracing::debug!(server = %p.to, "STUN send: {e}");
                    }
                }
            }
            Some(_) => {}
            None if self.next_keepalive <= now => self.send_binding_request().await,
            None => {}
        }
    }

    async fn send_binding_request(&mut self) {
        let Some(stun) = self.stun.clone() else {
            return;
        };
        let now = Instant::now();
        self.next_keepalive = now + stun.keepalive;
        let lookup = tokio::net::lookup_host((stun.server.as_str(), stun.port));
        let to = match tokio::time::timeout(RESOLVE_TIMEOUT, lookup).await {
            Ok(Ok(mut addrs)) => addrs.find(|a| a.is_ipv4() == self.local_addr.is_ipv4()),
            _ => None,
        };
        let Some(to) = to else {
            tracing::warn!(server = %stun.server, "STUN server address does not resolve");
            return;
        };
        let mut id = [0u8; 16];
        self.rng.fill_bytes(&mut id);
        let request = BindingRequest {
            id,
            binding_change: self.binding_change,
            credentials: stun.credentials.clone().filter(|_| self.use_credentials),
        };
        let bytes = match request.encode() {
            Ok(b) => b,
            Err(e) => {
                tracing::warn!("STUN binding request: {e}");
                return;
            }
        };
        if let Err(e) = self.socket.send_to(&bytes, to).await {
            tracing::debug!(server = %to, "STUN send: {e}");
        }
        self.pending = Some(Pending {
            id,
            bytes,
            to,
            attempts: 1,
            deadline: now + stun.retransmit,
            binding_change: self.binding_change,
        });
    }

    async fn datagram(&mut self, bytes: &[u8], from: SocketAddr) {
        match Message::parse(bytes) {
            Ok(m) => self.stun_answer(&m, from).await,
            Err(_) => self.connection_request(bytes, from),
        }
    }

    async fn stun_answer(&mut self, m: &Message<'_>, from: SocketAddr) {
        let Some(p) = self.pending.take_if(|p| p.id == m.id && p.to == from) else {
            tracing::debug!(%from, "unexpected STUN message dropped");
            return;
        };
        match m.answer() {
            Ok(BindingAnswer::Mapped(addr)) => {
                if p.binding_change {
                    self.binding_change = false;
                }
                let changed = self.mapped.is_some_and(|old| old != addr);
                if self.mapped != Some(addr) {
                    let nat = self.local_ip(Some(from)).await != Some(addr.ip())
                        || addr.port() != self.local_addr.port();
                    tracing::info!(%addr, nat, "UDP connection request address");
                    self.mapped = Some(addr);
                    self.publish(addr, nat);
                }
                if changed {
                    // TR-111 §2.2.1: tell the server at once, with BINDING-CHANGE.
                    self.binding_change = true;
                    self.send_binding_request().await;
                }
            }
            Ok(BindingAnswer::Error(401)) if !self.use_credentials => {
                let has = self.stun.as_ref().is_some_and(|s| s.credentials.is_some());
                if has {
                    self.use_credentials = true;
                    self.send_binding_request().await;
                } else {
                    tracing::warn!(server = %from, "STUN server wants credentials; STUNUsername is empty");
                }
            }
            Ok(BindingAnswer::Error(code)) => {
                tracing::warn!(server = %from, code, "STUN binding error");
            }
            Err(e) => tracing::debug!(server = %from, "bad STUN answer: {e}"),
        }
    }

    fn connection_request(&mut self, bytes: &[u8], from: SocketAddr) {
        let now = self.parts.clock.unix();
        if let Err(e) = self.parts.validator.validate(bytes, Some(now)) {
            tracing::debug!(%from, "UDP connection request dropped: {e}");
            return;
        }
        if !self.parts.limiter.try_acquire(self.parts.clock.monotonic()) {
            tracing::debug!(%from, "UDP connection request dropped: rate limit");
            return;
        }
        tracing::info!(%from, "UDP connection request");
        // Full: a session is already pending, which covers this request too.
        let _ = self.parts.signal.try_send(());
    }

    /// The local IP the socket uses: its bound address, or (bound to any) the source address
    /// the system picks towards `peer` (the STUN server) or the ACS.
    async fn local_ip(&self, peer: Option<SocketAddr>) -> Option<IpAddr> {
        if !self.local_addr.ip().is_unspecified() {
            return Some(self.local_addr.ip());
        }
        let peer = peer?;
        let probe = UdpSocket::bind(SocketAddr::new(self.local_addr.ip(), 0))
            .await
            .ok()?;
        probe.connect(peer).await.ok()?;
        probe.local_addr().ok().map(|a| a.ip())
    }

    fn publish(&mut self, addr: SocketAddr, nat_detected: bool) {
        self.send_local(Local::UdpConnectionRequestAddress {
            address: addr.to_string(),
            nat_detected,
        });
    }

    fn send_local(&mut self, change: Local) {
        if let Err(mpsc::error::TrySendError::Full(change)) = self.parts.publish.try_send(change) {
            self.unpublished = Some(change);
        }
    }
}

/// The next change of the STUN settings; never, when there is no receiver.
async fn changed(
    changes: &mut Option<watch::Receiver<Live>>,
) -> Result<(), watch::error::RecvError> {
    match changes {
        Some(rx) => rx.changed().await,
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_hosts() {
        assert_eq!(
            url_host("http://acs.example.com:7547/acs"),
            Some("acs.example.com")
        );
        assert_eq!(url_host("https://10.0.0.1/x"), Some("10.0.0.1"));
        assert_eq!(url_host("http://[2001:db8::1]:80/"), Some("2001:db8::1"));
        assert_eq!(url_host("http://h?x"), Some("h"));
        assert_eq!(url_host("nonsense"), None);
        assert_eq!(url_host("http:///"), None);
    }
}
