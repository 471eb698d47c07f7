//! One CWMP session seen from the CPE (TR-069 §3.7.1), as pure logic: no socket, no clock.
//!
//! [`Session::start`] builds the Inform; the transport sends it and hands every HTTP response
//! to [`Session::on_reply`] (`None` for an empty one), which says what to send next:
//!
//! 1. Inform → InformResponse: the Inform's events leave the queue, recorded changes are
//!    cleared.
//! 2. The CPE's own [`PendingRequests`] one at a time (unless the ACS set `HoldRequests`), each
//!    removed when its response arrives; a fault 8005 re-sends it, another fault drops it.
//! 3. The empty POST; then every ACS request is answered (data model through
//!    [`cwmp_datamodel::rpc`], device methods as [`Effect`]s, the rest fault 9000), with the
//!    request's `cwmp:ID` and namespace, until the ACS sends an empty response: [`Step::Done`].
//!    A request the parser refuses because its method is unknown or a mandatory header is not
//!    understood reaches [`Session::on_unparsable`] instead: fault 9000 or the SOAP
//!    `MustUnderstand` fault, and the session goes on.
//!
//! A transport failure (timeout, HTTP error) is reported with [`Session::fail`], which puts
//! the undelivered events back for the retry (§3.7.1.5); the caller keeps the RetryCount with
//! [`Retry`](crate::Retry).

mod acs;
mod requests;
#[cfg(test)]
mod tests;

pub use acs::{Effect, Permissions, SUPPORTED_METHODS};
pub use requests::{CpeRequest, PendingRequests};

use cwmp::rpc::{DeviceId, Inform};
use cwmp::{
    Body, CwmpVersion, DateTime, Envelope, EnvelopeHead, Fault, FaultCode, Header, ParseError,
    ParseErrorKind,
};
use cwmp_datamodel::{Backend, Tree};

use crate::events::EventQueue;
use crate::transfer::TransferQueue;
use acs::Device;

/// Most messages the ACS may send in one session before the CPE gives up.
pub const DEFAULT_MAX_MESSAGES: usize = 1_000;

/// What the session works on, borrowed for its duration.
pub struct Context<'a> {
    /// The data model.
    pub tree: &'a mut Tree,
    /// The live side of the data model.
    pub backend: &'a mut dyn Backend,
    /// The event queue.
    pub queue: &'a mut EventQueue,
    /// The CPE's own requests waiting for the ACS.
    pub requests: &'a mut PendingRequests,
}

/// How the session behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    /// The CWMP version of the Inform; later messages follow the ACS's namespace.
    pub version: CwmpVersion,
    /// Most messages accepted from the ACS in one session.
    pub max_messages: usize,
    /// What the ACS may ask for.
    pub permissions: Permissions,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            version: CwmpVersion::V1_2,
            max_messages: DEFAULT_MAX_MESSAGES,
            permissions: Permissions::default(),
        }
    }
}

/// What the transport does next.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    /// POST this envelope.
    Send(Box<Envelope>),
    /// POST an empty body: the CPE has no (more) requests.
    SendEmpty,
    /// The session ended successfully; close the connection.
    Done,
    /// The session failed; the undelivered events stay queued for the retry.
    Failed(String),
}

/// Where the session stands.
#[derive(Debug, Clone, PartialEq)]
enum State {
    /// The Inform was sent.
    Inform,
    /// The first of the pending CPE requests was sent.
    Request,
    /// The empty POST or a response to an ACS request was sent.
    Answering,
    /// Ended successfully.
    Done,
    /// Ended in failure.
    Failed,
}

/// One session with the ACS.
pub struct Session<'a> {
    dev: Device<'a>,
    requests: &'a mut PendingRequests,
    version: CwmpVersion,
    state: State,
    inform: Envelope,
    next_id: u64,
    messages: usize,
    max_messages: usize,
    hold: bool,
    effects: Vec<Effect>,
    notes: Vec<String>,
    acs_methods: Option<Vec<String>>,
    kicked_next_url: Option<String>,
}

impl<'a> Session<'a> {
    /// Starts a session: the Inform to send, with `device_id`, the queued events (marked in
    /// flight), MaxEnvelopes 1, `now` (the Unknown Time when the clock is not set),
    /// `retry_count` and the ParameterList the data model requires (forced inform parameters
    /// and the changed ones, adding `4 VALUE CHANGE`).
    pub fn start(
        ctx: Context<'a>,
        options: &Options,
        device_id: DeviceId,
        retry_count: u32,
        now: DateTime,
    ) -> (Session<'a>, Envelope) {
        let mut inform = Inform {
            device_id,
            event: ctx.queue.for_inform(),
            max_envelopes: 1,
            current_time: now,
            retry_count,
            parameter_list: Vec::new(),
        };
        cwmp_datamodel::rpc::fill_inform(ctx.tree, ctx.backend, &mut inform);
        let envelope = Envelope::new(options.version, Header::with_id("cpe-1"), inform);
        let session = Session {
            dev: Device {
                tree: ctx.tree,
                backend: ctx.backend,
                queue: ctx.queue,
                permissions: options.permissions,
                transfers: None,
            },
            requests: ctx.requests,
            version: options.version,
            state: State::Inform,
            inform: envelope.clone(),
            next_id: 2,
            messages: 0,
            max_messages: options.max_messages,
            hold: false,
            effects: Vec::new(),
            notes: Vec::new(),
            acs_methods: None,
            kicked_next_url: None,
        };
        (session, envelope)
    }

    /// Counts a message from the ACS; the failure to return when the session is over or the
    /// ACS sent too many.
    fn count_message(&mut self) -> Option<Step> {
        if matches!(self.state, State::Done | State::Failed) {
            return Some(Step::Failed(
                "a message after the end of the session".into(),
            ));
        }
        self.messages += 1;
        if self.messages > self.max_messages {
            let limit = self.max_messages;
            return Some(self.fail(format!("more than {limit} messages from the ACS")));
        }
        None
    }

    /// Handles the ACS's HTTP response (`None`: empty) to the last message sent.
    pub fn on_reply(&mut self, reply: Option<Envelope>) -> Step {
        if let Some(failed) = self.count_message() {
            return failed;
        }
        if let Some(env) = &reply {
            self.version = env.version;
            self.hold = env.header.hold_requests == Some(true);
        }
        match std::mem::replace(&mut self.state, State::Answering) {
            State::Inform => self.after_inform(reply),
            State::Request => self.after_request(reply),
            State::Answering => self.answering(reply),
            State::Done | State::Failed => Step::Failed("session already ended".into()),
        }
    }

    /// Handles an ACS message the parser refused for a reason the protocol answers
    /// ([`ParseError::is_unknown_method`], [`ParseError::is_must_understand`]), given its
    /// [`EnvelopeHead`]. A request is answered, with its `cwmp:ID`, by fault 9000 (TR-069 §A.5)
    /// or by the SOAP `MustUnderstand` fault (SOAP 1.1 §4.2.3), and the session goes on. Any
    /// other message fails the session: TR-069 §3.5 forbids answering a response with a
    /// fault, and the message cannot be processed.
    pub fn on_unparsable(&mut self, head: EnvelopeHead, error: &ParseError) -> Step {
        if let Some(failed) = self.count_message() {
            return failed;
        }
        let method = head.method.clone().unwrap_or_default();
        let fault = match &error.kind {
            _ if self.state != State::Answering || !head.is_request() => None,
            ParseErrorKind::UnknownMethod { name, .. } => {
                // The header was understood: it applies as on any request.
                self.hold = head.header.hold_requests == Some(true);
                self.notes
                    .push(format!("answered fault 9000 to the unknown method {name}"));
                Some(Fault::new(
                    FaultCode::METHOD_NOT_SUPPORTED,
                    format!("Method not supported: {name}"),
                ))
            }
            ParseErrorKind::MustUnderstand { name, namespace } => {
                self.notes.push(format!(
                    "answered MustUnderstand to {method}: header {name} not understood"
                ));
                Some(Fault::must_understand(name, namespace.as_deref()))
            }
            _ => None,
        };
        let Some(fault) = fault else {
            return self.fail(format!("bad message from the ACS ({method}): {error}"));
        };
        self.version = head.version;
        let header = Header {
            id: head.header.id,
            ..Header::default()
        };
        Step::Send(Box::new(Envelope::new(head.version, header, fault)))
    }

    /// Ends the session in failure (transport error, timeout, malformed message): the
    /// undelivered events go back to the queue (a sent `6 CONNECTION REQUEST` is dropped).
    pub fn fail(&mut self, reason: impl Into<String>) -> Step {
        let reason = reason.into();
        if self.state != State::Failed {
            self.state = State::Failed;
            if let Err(e) = self.dev.queue.session_failed() {
                self.notes.push(format!("saving the event queue: {e}"));
            }
            self.notes.push(format!("session failed: {reason}"));
        }
        Step::Failed(reason)
    }

    /// Answers the ACS's transfer methods from `transfers` (requests timed at `now`, Unix
    /// seconds) instead of handing Download/Upload back as [`Effect`]s.
    pub fn attach_transfers(&mut self, transfers: &'a mut TransferQueue, now: i64) {
        self.dev.transfers = Some((transfers, now));
    }

    /// True once the session ended successfully.
    pub fn is_done(&self) -> bool {
        self.state == State::Done
    }

    /// True once the session failed.
    pub fn is_failed(&self) -> bool {
        self.state == State::Failed
    }

    /// What the ACS asked the agent to do after the session, in order.
    pub fn effects(&self) -> &[Effect] {
        &self.effects
    }

    /// Takes the effects out (for the agent to apply once the session is over).
    pub fn take_effects(&mut self) -> Vec<Effect> {
        std::mem::take(&mut self.effects)
    }

    /// What went wrong or was dropped along the way, for the log.
    pub fn notes(&self) -> &[String] {
        &self.notes
    }

    /// The ACS's method list, if a GetRPCMethods of the CPE was answered.
    pub fn acs_methods(&self) -> Option<&[String]> {
        self.acs_methods.as_deref()
    }

    /// The `NextURL` of the last KickedResponse.
    pub fn kicked_next_url(&self) -> Option<&str> {
        self.kicked_next_url.as_deref()
    }

    /// The CWMP version in use (the ACS's, once it answered).
    pub fn version(&self) -> CwmpVersion {
        self.version
    }

    fn new_header(&mut self) -> Header {
        let id = self.next_id;
        self.next_id += 1;
        Header::with_id(format!("cpe-{id}"))
    }

    fn after_inform(&mut self, reply: Option<Envelope>) -> Step {
        let Some(env) = reply else {
            return self.fail("empty response to the Inform");
        };
        match &env.body {
            Body::InformResponse(_) => {
                if let Err(e) = self.dev.queue.inform_acknowledged() {
                    self.notes.push(format!("saving the event queue: {e}"));
                }
                self.dev.tree.clear_changes();
                self.next_request()
            }
            Body::Fault(f) if f.code() == Some(FaultCode::ACS_RETRY_REQUEST) => {
                self.state = State::Inform;
                let mut inform = self.inform.clone();
                inform.header = self.new_header();
                Step::Send(Box::new(inform))
            }
            Body::Fault(f) => {
                let code = f.code().map_or_else(|| "none".into(), |c| c.to_string());
                self.fail(format!("the ACS refused the Inform (fault {code})"))
            }
            other => self.fail(format!("{} instead of InformResponse", other.name())),
        }
    }

    /// The next CPE request, or the empty POST when none waits or the ACS holds them.
    fn next_request(&mut self) -> Step {
        while !self.hold {
            let Some(request) = self.requests.front() else {
                break;
            };
            let body = request.body();
            if body.since() > self.version {
                let name = request.name();
                let version = self.version;
                self.notes.push(format!(
                    "dropped {name}: not available in CWMP {}",
                    version.as_str()
                ));
                self.requests.pop_front();
                continue;
            }
            let header = self.new_header();
            self.state = State::Request;
            return Step::Send(Box::new(Envelope::new(self.version, header, body)));
        }
        self.state = State::Answering;
        Step::SendEmpty
    }

    fn after_request(&mut self, reply: Option<Envelope>) -> Step {
        let Some(request) = self.requests.front().cloned() else {
            return self.fail("no request in flight");
        };
        let Some(env) = reply else {
            return self.fail(format!("empty response to {}", request.name()));
        };
        match &env.body {
            body if request.is_answered_by(body) => {
                self.requests.pop_front();
                self.acknowledged(&request, body);
                self.next_request()
            }
            Body::Fault(f) if f.code() == Some(FaultCode::ACS_RETRY_REQUEST) => {
                let header = self.new_header();
                self.state = State::Request;
                Step::Send(Box::new(Envelope::new(
                    self.version,
                    header,
                    request.body(),
                )))
            }
            Body::Fault(f) => {
                self.requests.pop_front();
                let code = f.code().map_or_else(|| "none".into(), |c| c.to_string());
                let text = f
                    .detail
                    .as_ref()
                    .and_then(|d| d.string.clone())
                    .unwrap_or_default();
                self.notes.push(format!(
                    "dropped {}: the ACS answered fault {code} {text}",
                    request.name()
                ));
                self.next_request()
            }
            other => self.fail(format!("{} in answer to {}", other.name(), request.name())),
        }
    }

    fn acknowledged(&mut self, request: &CpeRequest, body: &Body) {
        let saved = match (request, body) {
            (CpeRequest::TransferComplete(r), _) => self
                .dev
                .queue
                .transfer_complete_acknowledged(&r.command_key),
            (CpeRequest::AutonomousTransferComplete(_), _) => {
                self.dev.queue.autonomous_transfer_complete_acknowledged()
            }
            (_, Body::GetRPCMethodsResponse(r)) => {
                self.acs_methods = Some(r.method_list.clone());
                Ok(())
            }
            (_, Body::KickedResponse(r)) => {
                self.kicked_next_url = Some(r.next_url.clone());
                Ok(())
            }
            _ => Ok(()),
        };
        if let Err(e) = saved {
            self.notes.push(format!("saving the event queue: {e}"));
        }
    }

    fn answering(&mut self, reply: Option<Envelope>) -> Step {
        let Some(env) = reply else {
            self.state = State::Done;
            return Step::Done;
        };
        if !env.body.is_request() {
            return self.fail(format!("unexpected {} from the ACS", env.body.name()));
        }
        let body = acs::answer(&mut self.dev, &env.body, &mut self.effects, &mut self.notes);
        let header = Header {
            id: env.header.id.clone(),
            ..Header::default()
        };
        self.state = State::Answering;
        Step::Send(Box::new(Envelope::new(env.version, header, body)))
    }
}
