//! Fault injection: each kind of misbehaviour a configurable share of sessions, drawn once per
//! session, carried out on the wire by [`FaultTap`] (a [`Tap`] of the CPE transport).
//!
//! | kind | what the ACS sees |
//! |---|---|
//! | `drop` | the connection closed after the InformResponse, before the CPE's next message |
//! | `slow` | every message after the Inform sent [`FaultShares::slow_delay`] late |
//! | `malformed` | an Inform cut in half (not well-formed XML) |
//! | `wrong_id` | the answer to its first request carrying another `cwmp:ID` |
//! | `cpe_fault` | fault 9002 instead of the answer to its first request |
//! | `duplicate_inform` | the same Inform twice in a row on the session |
//!
//! `wrong_id` and `cpe_fault` need a request from the ACS; a session without one is not
//! counted as injected.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use bytes::Bytes;
use cwmp::{Body, Envelope, Fault, FaultCode};
use cwmp_cpe::transport::{Outgoing, Tap, TransportError};
use rand::Rng;
use serde::Serialize;

/// One kind of injected fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultKind {
    /// Connection dropped mid-session.
    Drop,
    /// Slow answers.
    Slow,
    /// Malformed XML.
    Malformed,
    /// Wrong `cwmp:ID` on an answer.
    WrongId,
    /// A CPE fault instead of an answer.
    CpeFault,
    /// The Inform sent twice.
    DuplicateInform,
}

impl FaultKind {
    /// Every kind, in report order.
    pub const ALL: [FaultKind; 6] = [
        FaultKind::Drop,
        FaultKind::Slow,
        FaultKind::Malformed,
        FaultKind::WrongId,
        FaultKind::CpeFault,
        FaultKind::DuplicateInform,
    ];

    /// The name used in `--faults` and the report.
    pub fn name(self) -> &'static str {
        match self {
            FaultKind::Drop => "drop",
            FaultKind::Slow => "slow",
            FaultKind::Malformed => "malformed",
            FaultKind::WrongId => "wrong_id",
            FaultKind::CpeFault => "cpe_fault",
            FaultKind::DuplicateInform => "duplicate_inform",
        }
    }
}

impl fmt::Display for FaultKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A `--faults` value that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("--faults: {0}")]
pub struct FaultsError(String);

/// The share of sessions given each fault (`drop=0.01,slow=0.02,…`; the sum at most 1).
#[derive(Debug, Clone, PartialEq)]
pub struct FaultShares {
    shares: [f64; 6],
    /// How late a `slow` session sends each message.
    pub slow_delay: Duration,
}

impl Default for FaultShares {
    fn default() -> Self {
        FaultShares {
            shares: [0.0; 6],
            slow_delay: Duration::from_secs(2),
        }
    }
}

impl FromStr for FaultShares {
    type Err = FaultsError;

    fn from_str(spec: &str) -> Result<Self, FaultsError> {
        let mut out = FaultShares::default();
        for item in spec.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let (name, share) = item
                .split_once('=')
                .ok_or_else(|| FaultsError(format!("{item:?} is not kind=share")))?;
            let i = FaultKind::ALL
                .iter()
                .position(|k| k.name() == name.trim())
                .ok_or_else(|| {
                    let names: Vec<_> = FaultKind::ALL.iter().map(|k| k.name()).collect();
                    FaultsError(format!(
                        "unknown kind {name:?} (one of {})",
                        names.join(", ")
                    ))
                })?;
            let share: f64 = share
                .trim()
                .parse()
                .ok()
                .filter(|s: &f64| (0.0..=1.0).contains(s))
                .ok_or_else(|| FaultsError(format!("{item:?}: share must be from 0 to 1")))?;
            out.shares[i] = share;
        }
        if out.shares.iter().sum::<f64>() > 1.0 + 1e-9 {
            return Err(FaultsError("the shares add up to more than 1".into()));
        }
        Ok(out)
    }
}

impl FaultShares {
    /// The share of `kind`.
    pub fn share(&self, kind: FaultKind) -> f64 {
        self.shares[kind as usize]
    }

    /// The fault of one session, if any.
    pub fn draw(&self, rng: &mut impl Rng) -> Option<FaultKind> {
        let mut x: f64 = rng.random();
        for (kind, share) in FaultKind::ALL.iter().zip(self.shares) {
            if x < share {
                return Some(*kind);
            }
            x -= share;
        }
        None
    }
}

/// Carries out one session's fault and records the ACS's requests by method.
#[derive(Debug)]
pub struct FaultTap {
    fault: Option<FaultKind>,
    slow_delay: Duration,
    injected: bool,
    rpcs: Vec<&'static str>,
    state_changes: Vec<String>,
}

impl FaultTap {
    /// A tap for a session with `fault` (or none).
    pub fn new(fault: Option<FaultKind>, slow_delay: Duration) -> Self {
        FaultTap {
            fault,
            slow_delay,
            injected: false,
            rpcs: Vec::new(),
            state_changes: Vec::new(),
        }
    }

    /// The fault, if it was carried out.
    pub fn injected(&self) -> Option<FaultKind> {
        self.fault.filter(|_| self.injected)
    }

    /// The ACS's requests seen, by method name, in order.
    pub fn take_rpcs(&mut self) -> Vec<&'static str> {
        std::mem::take(&mut self.rpcs)
    }

    /// The state-changing requests received, as `method:key` ([`state_change`]), in order.
    pub fn take_state_changes(&mut self) -> Vec<String> {
        std::mem::take(&mut self.state_changes)
    }
}

/// A request that changes the device's state, named by its method and the ParameterKey or
/// CommandKey it carries (`SetParameterValues:<key>`); `None` for reads and for a request
/// without a key (it cannot be told from another one).
pub fn state_change(body: &Body) -> Option<String> {
    let (method, key) = match body {
        Body::SetParameterValues(r) => ("SetParameterValues", &r.parameter_key),
        Body::AddObject(r) => ("AddObject", &r.parameter_key),
        Body::DeleteObject(r) => ("DeleteObject", &r.parameter_key),
        Body::Reboot(r) => ("Reboot", &r.command_key),
        Body::Download(r) => ("Download", &r.command_key),
        Body::Upload(r) => ("Upload", &r.command_key),
        Body::ScheduleDownload(r) => ("ScheduleDownload", &r.command_key),
        _ => return None,
    };
    (!key.is_empty()).then(|| format!("{method}:{key}"))
}

/// True for an answer of the CPE to an ACS request (a response or a fault).
fn is_answer(index: usize, message: Option<&Envelope>) -> bool {
    index > 0 && message.is_some_and(|m| !m.body.is_request())
}

impl Tap for FaultTap {
    async fn outgoing(
        &mut self,
        index: usize,
        message: Option<Envelope>,
    ) -> Result<Outgoing, TransportError> {
        let Some(fault) = self.fault else {
            return Ok(Outgoing::Message(message));
        };
        match fault {
            FaultKind::Drop if index == 1 => {
                self.injected = true;
                return Err(TransportError::Aborted(
                    "connection dropped (injected fault)".into(),
                ));
            }
            FaultKind::Slow if index >= 1 => {
                self.injected = true;
                tokio::time::sleep(self.slow_delay).await;
            }
            FaultKind::Malformed if index == 0 => {
                if let Some(m) = &message {
                    let xml = m
                        .to_xml()
                        .map_err(|e| TransportError::Write(e.to_string()))?;
                    self.injected = true;
                    let cut = xml.len() / 2;
                    return Ok(Outgoing::Raw(Bytes::copy_from_slice(
                        &xml.as_bytes()[..cut],
                    )));
                }
            }
            FaultKind::DuplicateInform if index == 0 => {
                if let Some(m) = message {
                    self.injected = true;
                    return Ok(Outgoing::Twice(m));
                }
            }
            FaultKind::WrongId if !self.injected && is_answer(index, message.as_ref()) => {
                if let Some(mut m) = message {
                    self.injected = true;
                    let id = m.header.id.take().unwrap_or_default();
                    m.header.id = Some(format!("{id}-wrong"));
                    return Ok(Outgoing::Message(Some(m)));
                }
            }
            FaultKind::CpeFault if !self.injected && is_answer(index, message.as_ref()) => {
                if let Some(mut m) = message {
                    self.injected = true;
                    m.body = Body::Fault(Fault::new(
                        FaultCode::INTERNAL_ERROR,
                        "internal error (injected fault)",
                    ));
                    return Ok(Outgoing::Message(Some(m)));
                }
            }
            _ => {}
        }
        Ok(Outgoing::Message(message))
    }

    fn incoming(&mut self, reply: Option<&Envelope>) {
        if let Some(r) = reply.filter(|r| r.body.is_request()) {
            self.rpcs.push(r.body.name());
            if let Some(change) = state_change(&r.body) {
                self.state_changes.push(change);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng as _;
    use rand::rngs::StdRng;

    #[test]
    fn parses_shares() {
        let f: FaultShares = "drop=0.25, cpe_fault=0.5".parse().unwrap();
        assert_eq!(f.share(FaultKind::Drop), 0.25);
        assert_eq!(f.share(FaultKind::CpeFault), 0.5);
        assert_eq!(f.share(FaultKind::Slow), 0.0);
        for bad in ["drop", "drop=2", "nope=0.1", "drop=0.6,slow=0.6", "drop=x"] {
            assert!(bad.parse::<FaultShares>().is_err(), "{bad}");
        }
    }

    #[test]
    fn draws_in_proportion() {
        let f: FaultShares = "drop=0.25,duplicate_inform=0.25".parse().unwrap();
        let mut rng = StdRng::seed_from_u64(7);
        let mut counts = [0u32; 6];
        let mut none = 0;
        for _ in 0..10_000 {
            match f.draw(&mut rng) {
                Some(k) => counts[k as usize] += 1,
                None => none += 1,
            }
        }
        assert!((2200..2800).contains(&counts[FaultKind::Drop as usize]));
        assert!((2200..2800).contains(&counts[FaultKind::DuplicateInform as usize]));
        assert!((4500..5500).contains(&none));
        assert_eq!(counts[FaultKind::Slow as usize], 0);
    }
}
