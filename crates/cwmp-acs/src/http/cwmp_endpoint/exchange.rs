//! The requests of a session: the Inform that opens it, the messages that continue it, the
//! answers to what cannot be processed, and the answer to a session error.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use cwmp::{Body, Envelope, EnvelopeHead, Fault, ParseError, ParseErrorKind};
use hyper::StatusCode;
use hyper::header::{self, HeaderValue};
use rand::RngCore;

use super::Shared;
use super::connection::Conn;
use crate::http::auth_gate::{self, AuthContext};
use crate::http::request::{Message, SESSION_COOKIE};
use crate::http::response::{Resp, empty, retry_after, xml};
use crate::http::session_table::{Entry, Permit, SharedEntry};
use crate::session::{Outcome, Session, SessionError};
use crate::store::{DeviceId, Timestamp};

impl Shared {
    /// A CPE message with a header marked `mustUnderstand="1"` that we do not process
    /// (SOAP 1.1 §4.2.3): nothing of it is processed. A request (the Inform, or a request of
    /// the CPE inside a session) is answered with the SOAP `MustUnderstand` fault carrying its
    /// `cwmp:ID`, with HTTP 500 as SOAP 1.1 §6.2 requires of a response carrying a SOAP
    /// fault; a response or fault of the CPE cannot be answered with a fault (TR-069 §3.5)
    /// and gets 400. Either way the session in progress ends, as the CPE ends its own on a
    /// status other than 200.
    pub(super) async fn not_understood(
        &self,
        entry: Option<SharedEntry>,
        cookie: Option<&str>,
        peer: SocketAddr,
        head: &EnvelopeHead,
        error: &ParseError,
    ) -> Resp {
        let method = head.method.as_deref().unwrap_or("nothing");
        let (name, namespace) = match &error.kind {
            ParseErrorKind::MustUnderstand { name, namespace } => {
                (name.as_str(), namespace.as_deref())
            }
            _ => ("unknown", None),
        };
        let device = match (entry, cookie) {
            (Some(entry), Some(id)) => {
                self.remove(id);
                let mut entry = entry.lock().await;
                let device = entry.session.device().map(ToString::to_string);
                self.finish(&mut entry, "error: header not understood", Timestamp::now())
                    .await;
                device
            }
            _ => None,
        };
        tracing::warn!(
            %peer,
            device = device.as_deref().unwrap_or(""),
            method,
            header = name,
            namespace = namespace.unwrap_or(""),
            "CPE message with a mandatory header the ACS does not understand"
        );
        if !head.is_request() {
            return empty(StatusCode::BAD_REQUEST);
        }
        let header = cwmp::Header {
            id: head.header.id.clone(),
            ..cwmp::Header::default()
        };
        let fault = Envelope::new(
            head.version,
            header,
            Fault::must_understand(name, namespace),
        );
        let mut resp = xml(&fault);
        if resp.status() == StatusCode::OK {
            *resp.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
        }
        resp
    }

    pub(super) async fn open_session(
        self: &Arc<Self>,
        opening: Opening<'_>,
        message: Message,
    ) -> Resp {
        let Opening {
            conn,
            permit,
            auth,
            reached,
        } = opening;
        let peer = conn.peer;
        let env = match message {
            Message::Envelope(env) => env,
            Message::Empty => return not_inform("an empty message"),
            Message::Unknown { name, .. } => return not_inform(&name),
            Message::NotUnderstood { .. } => return empty(StatusCode::BAD_REQUEST),
        };
        if let Err(resp) = auth_gate::check(&self.auth, self.store.as_ref(), auth, &env, peer).await
        {
            return resp;
        }
        if let Body::Inform(inform) = &env.body {
            let d = &inform.device_id;
            let device = DeviceId::from_identity(&d.oui, &d.product_class, &d.serial_number);
            self.take_over(&device).await;
        }
        let id = new_session_id();
        let mut config = self.config.session.clone();
        config.holder = format!("{}/{id}", self.config.node);
        let now = Timestamp::now();
        let mut session = Session::new(
            Arc::clone(&self.store),
            config,
            Some(peer.ip().to_string()),
            now,
        )
        .with_observers(self.events.clone(), Arc::clone(&self.metrics))
        .with_files(self.files.clone())
        .with_reached_host(reached)
        .with_preset_cache(Arc::clone(&self.presets));
        let outcome = session.handle(Some(*env), now).await;
        let mut entry = Entry {
            session,
            peer,
            secure: conn.secure,
            started: Instant::now(),
            conn: conn.id,
            _permit: permit,
        };
        match outcome {
            Ok(Outcome::Reply(env)) => {
                let mut resp = xml(&env);
                if resp.status() == StatusCode::OK {
                    self.metrics.session_started();
                    let cookie = format!("{SESSION_COOKIE}={id}; Path=/");
                    if let Ok(v) = HeaderValue::from_str(&cookie) {
                        resp.headers_mut().insert(header::SET_COOKIE, v);
                    }
                    let device = entry.session.device().cloned();
                    conn.carries(&id);
                    self.sessions
                        .insert(id, device, Arc::new(tokio::sync::Mutex::new(entry)));
                } else {
                    self.finish(&mut entry, "error: cannot write reply", now)
                        .await;
                }
                resp
            }
            Ok(Outcome::Busy { retry_after: after }) => {
                tracing::info!("device already in a session elsewhere: 503");
                self.metrics.busy_refused();
                retry_after(after)
            }
            Ok(Outcome::End) => {
                self.log_finished(&entry, "ok");
                empty(StatusCode::NO_CONTENT)
            }
            Err(e) => self.error_response(&mut entry, e).await,
        }
    }

    pub(super) async fn continue_session(
        self: &Arc<Self>,
        id: &str,
        entry: SharedEntry,
        message: Message,
        conn: &Conn,
    ) -> Resp {
        let mut entry = entry.lock().await;
        let now = Timestamp::now();
        if entry.session.is_done() {
            // Closed by the reaper while this request waited.
            return empty(StatusCode::BAD_REQUEST);
        }
        // The session moves to this connection: the one it came over before may close.
        entry.conn = conn.id;
        conn.carries(id);
        let outcome = match message {
            Message::Empty => entry.session.handle(None, now).await,
            Message::Envelope(env) => entry.session.handle(Some(*env), now).await,
            Message::Unknown { name, id } => {
                entry.session.handle_unknown_method(&name, id, now).await
            }
            // Answered before the session is looked at (`not_understood`).
            Message::NotUnderstood { .. } => return empty(StatusCode::BAD_REQUEST),
        };
        match outcome {
            Ok(Outcome::Reply(env)) => {
                let resp = xml(&env);
                if resp.status() != StatusCode::OK {
                    self.remove(id);
                    self.finish(&mut entry, "error: cannot write reply", now)
                        .await;
                }
                resp
            }
            Ok(Outcome::End) => {
                if entry.session.is_done() {
                    self.remove(id);
                    self.log_finished(&entry, "ok");
                }
                empty(StatusCode::NO_CONTENT)
            }
            Ok(Outcome::Busy { retry_after: after }) => {
                self.remove(id);
                retry_after(after)
            }
            Err(e) => {
                self.remove(id);
                self.error_response(&mut entry, e).await
            }
        }
    }

    /// The answer to a session error; the engine has already ended the session.
    /// A store failure is the server's, not the CPE's: 503 with `Retry-After`, so that the
    /// CPE comes back (a CPE never gets a 500).
    async fn error_response(&self, entry: &mut Entry, e: SessionError) -> Resp {
        let store = matches!(e, SessionError::Store(_));
        let status = if store { 503 } else { 400 };
        tracing::warn!(peer = %entry.peer, device = ?entry.session.device(), error = %e, "session error: {status}");
        if entry.session.device().is_some() {
            self.log_finished(entry, "error");
        }
        if store {
            retry_after(self.config.overload_retry_after)
        } else {
            empty(StatusCode::BAD_REQUEST)
        }
    }
}

/// What opening a session needs beside the message.
pub(super) struct Opening<'a> {
    pub(super) conn: &'a Conn,
    pub(super) permit: Permit,
    pub(super) auth: &'a AuthContext,
    pub(super) reached: Option<String>,
}

fn not_inform(got: &str) -> Resp {
    tracing::warn!(got, "session must start with an Inform: 400");
    empty(StatusCode::BAD_REQUEST)
}

/// 128 bits from the thread's CSPRNG (ChaCha, seeded and reseeded from the OS): no system
/// call per session.
fn new_session_id() -> String {
    let mut bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    cwmp::http_auth::hex(&bytes)
}
