//! A [`Tap`] sees every message of a session on the wire and may alter what is sent: the
//! seam the fleet simulator injects faults through (a dropped connection, a slow answer,
//! malformed XML, a wrong `cwmp:ID`, a duplicate Inform). The agent uses [`NoTap`].

use std::future::Future;

use bytes::Bytes;
use cwmp::Envelope;

use super::TransportError;

/// What to POST for one message of the session.
#[derive(Debug, Clone, PartialEq)]
pub enum Outgoing {
    /// This message (`None`: the empty POST).
    Message(Option<Envelope>),
    /// These bytes as the body, as they are (e.g. malformed XML).
    Raw(Bytes),
    /// This message twice in a row; the reply to the first is dropped, as by a CPE that
    /// resends because it did not see the answer.
    Twice(Envelope),
}

/// Watches and alters the messages of one session.
pub trait Tap {
    /// Before message `index` (0: the Inform) is POSTed, with the message the session wants
    /// to send (`None`: the empty POST); returns what to send, after any delay. An error
    /// ends the session at once and closes its connection.
    fn outgoing(
        &mut self,
        index: usize,
        message: Option<Envelope>,
    ) -> impl Future<Output = Result<Outgoing, TransportError>>;

    /// The ACS's reply to the last message (`None`: empty), before the session handles it.
    fn incoming(&mut self, reply: Option<&Envelope>);
}

/// Sends every message as the session wrote it.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoTap;

impl Tap for NoTap {
    async fn outgoing(
        &mut self,
        _index: usize,
        message: Option<Envelope>,
    ) -> Result<Outgoing, TransportError> {
        Ok(Outgoing::Message(message))
    }

    fn incoming(&mut self, _reply: Option<&Envelope>) {}
}
