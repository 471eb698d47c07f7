//! The daemon's UDP Connection Request socket over its whole life (TR-111 Part 2): bound at
//! start-up when STUN is enabled or `cpe.udp_port` is set, otherwise the first time the ACS or
//! the operator enables STUN; its STUN settings and credentials follow the data model through
//! a [`UdpHandle`].

use std::io;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use cwmp_datamodel::Tree;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::udp_server::{StunSettings, TIMESTAMP_WINDOW, UdpHandle, UdpServerParts};
use super::{RateLimiter, UdpConnRequestServer, UdpValidator};
use crate::agent::Local;
use crate::clock::Clock;
use crate::config::Config;

/// The UDP Connection Request socket, bound or waiting for STUN; dropping it stops it.
#[derive(Debug)]
pub struct UdpService {
    stun: UdpHandle,
    local_addr: Option<SocketAddr>,
    task: JoinHandle<()>,
}

impl UdpService {
    /// Changes the STUN settings (from disabled to enabled, binds the socket) and the
    /// credentials.
    pub fn handle(&self) -> UdpHandle {
        self.stun.clone()
    }

    /// The address bound at start-up; `None` while waiting for STUN to be enabled.
    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.local_addr
    }
}

impl Drop for UdpService {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// What the socket needs to be (re)built: the tree's Connection Request credentials at
/// start-up and the agent's channels.
struct Parts {
    username: String,
    password: String,
    clock: Arc<dyn Clock>,
    signal: mpsc::Sender<()>,
    publish: mpsc::Sender<Local>,
}

impl Parts {
    fn build(&self) -> UdpServerParts {
        UdpServerParts {
            validator: UdpValidator::new(&self.username, &self.password, TIMESTAMP_WINDOW),
            limiter: RateLimiter::new(3, Duration::from_secs(10), self.clock.monotonic()),
            clock: self.clock.clone(),
            signal: self.signal.clone(),
            publish: self.publish.clone(),
        }
    }
}

/// Starts the UDP socket on `cpe.listen` and `udp_port` (else `port`), with the tree's
/// Connection Request credentials: bound now if STUNEnable is true in `tree` or `udp_port`
/// is configured (a bind error is returned), else once STUN gets enabled (a bind error is
/// logged, and the next change tries again).
pub async fn spawn_udp(
    config: &Config,
    tree: &Tree,
    clock: Arc<dyn Clock>,
    signal: mpsc::Sender<()>,
    publish: mpsc::Sender<Local>,
) -> io::Result<UdpService> {
    let root = config.root();
    let ms = |n: &str| {
        tree.stored_value(&format!("{root}ManagementServer.{n}"))
            .map(|v| v.as_text().into_owned())
            .unwrap_or_default()
    };
    let ip: IpAddr = config
        .cpe
        .listen
        .parse()
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
    let addr = SocketAddr::new(ip, config.cpe.udp_port.unwrap_or(config.cpe.port));
    let parts = Parts {
        username: ms("ConnectionRequestUsername"),
        password: ms("ConnectionRequestPassword"),
        clock,
        signal,
        publish,
    };
    let initial = StunSettings::from_tree(tree, root);
    let now = initial.is_some() || config.cpe.udp_port.is_some();
    let stun = UdpHandle::new(initial);
    if now {
        let server = UdpConnRequestServer::bind_with(addr, parts.build(), stun.clone()).await?;
        let local_addr = server.local_addr();
        tracing::info!(addr = %local_addr, "UDP connection requests");
        return Ok(UdpService {
            stun,
            local_addr: Some(local_addr),
            task: tokio::spawn(hold(server)),
        });
    }
    let waiting = stun.clone();
    // Subscribed before the task runs, so that no change made meanwhile is missed.
    let mut changes = waiting.subscribe();
    let task = tokio::spawn(async move {
        while changes.changed().await.is_ok() {
            if changes.borrow_and_update().stun.is_none() {
                continue;
            }
            match UdpConnRequestServer::bind_with(addr, parts.build(), waiting.clone()).await {
                Ok(server) => {
                    tracing::info!(addr = %server.local_addr(), "STUN enabled: UDP connection requests");
                    return hold(server).await;
                }
                Err(e) => {
                    tracing::warn!(%addr, "STUN enabled, but binding the UDP socket failed: {e}")
                }
            }
        }
    });
    Ok(UdpService {
        stun,
        local_addr: None,
        task,
    })
}

/// Keeps `server` running until the task is aborted.
async fn hold(server: UdpConnRequestServer) {
    let _server = server;
    std::future::pending::<()>().await;
}
