//! Scripted exchanges with an ACS on the TR-181 gateway profile. Every message either side
//! sends goes through `Envelope::to_xml` and `Envelope::parse`, as on the wire.
//!
//! Skipped, with a message, when the TR-181 file is absent.

mod exchange;
mod requests;

use std::path::Path;
use std::sync::{Arc, OnceLock};

use cwmp::rpc::DeviceId;
use cwmp::{Body, CwmpVersion, DateTime, Envelope, FaultCode, Header};
use cwmp_datamodel::{LoadOptions, Model, ModelOptions, NoBackend, Profile, Schema, Tree};

use super::*;
use crate::events::EventQueue;

const TR181: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/ref/datamodels/tr-181-2-17-0-cwmp-full.xml"
);

/// The TR-181 gateway model, loaded once; `None` when the file is absent.
fn model() -> Option<Arc<Model>> {
    static MODEL: OnceLock<Option<Arc<Model>>> = OnceLock::new();
    MODEL
        .get_or_init(|| {
            let path = Path::new(TR181);
            if !path.is_file() {
                return None;
            }
            let schema = Schema::from_file(path, &LoadOptions::default()).expect("TR-181 loads");
            let profile = Profile::tr181_gateway().expect("profile parses");
            let model = Model::new(Arc::new(schema), &profile, ModelOptions::default());
            Some(Arc::new(model.expect("model builds")))
        })
        .clone()
}

/// Everything a session borrows.
struct Rig {
    tree: Tree,
    backend: NoBackend,
    queue: EventQueue,
    requests: PendingRequests,
}

/// A fresh gateway with an empty in-memory queue, or `None` (with a message) when the TR-181
/// file is absent.
fn rig(test: &str) -> Option<Rig> {
    let Some(m) = model() else {
        eprintln!("SKIPPED {test}: {TR181} not found");
        return None;
    };
    Some(Rig {
        tree: Tree::new(m),
        backend: NoBackend,
        queue: EventQueue::in_memory(),
        requests: PendingRequests::new(),
    })
}

impl Rig {
    /// Starts a session; returns it and the Inform as the ACS reads it.
    fn start(&mut self, options: &Options) -> (Session<'_>, Envelope) {
        let ctx = Context {
            tree: &mut self.tree,
            backend: &mut self.backend,
            queue: &mut self.queue,
            requests: &mut self.requests,
        };
        let now = DateTime::from_unix(1_700_000_000, 0).expect("valid time");
        let (session, inform) = Session::start(ctx, options, device_id(), 3, now);
        (session, wire(&inform))
    }
}

fn device_id() -> DeviceId {
    DeviceId {
        manufacturer: "Acme".into(),
        oui: "00D09E".into(),
        product_class: "Gateway".into(),
        serial_number: "SN0001".into(),
    }
}

/// `env` written and read back, as the peer sees it.
fn wire(env: &Envelope) -> Envelope {
    let xml = env.to_xml().expect("the envelope writes");
    Envelope::parse(&xml).expect("the envelope parses")
}

/// A message from the ACS in `version` with `cwmp:ID` `id`, read from its XML.
fn acs(version: CwmpVersion, id: &str, body: impl Into<Body>) -> Option<Envelope> {
    Some(wire(&Envelope::new(version, Header::with_id(id), body)))
}

/// The envelope of a `Step::Send`, as the ACS reads it.
fn sent(step: Step) -> Envelope {
    match step {
        Step::Send(env) => wire(&env),
        other => panic!("expected Send, got {other:?}"),
    }
}

/// The CWMP fault in `env`.
fn fault_of(env: &Envelope) -> &cwmp::CwmpFault {
    match &env.body {
        Body::Fault(f) => f.detail.as_ref().expect("a CWMP fault"),
        other => panic!("expected a fault, got {}", other.name()),
    }
}

/// A SOAP fault from the ACS with `code`.
fn acs_fault(code: FaultCode) -> Body {
    Body::Fault(cwmp::Fault::new(code, "from the ACS"))
}

fn inform_response() -> cwmp::rpc::InformResponse {
    cwmp::rpc::InformResponse { max_envelopes: 1 }
}
