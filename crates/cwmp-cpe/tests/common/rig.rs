//! A fresh device for session tests: the TR-181 model (loaded once per test binary), an empty
//! tree, an in-memory event queue, and [`Rig::start`] for a session with a fixed DeviceId.

use std::path::Path;
use std::sync::{Arc, OnceLock};

use cwmp::rpc::DeviceId;
use cwmp::{DateTime, Envelope};
use cwmp_cpe::EventQueue;
use cwmp_cpe::session::{Context, Options, PendingRequests, Session};
use cwmp_datamodel::{LoadOptions, Model, ModelOptions, NoBackend, Profile, Schema, Tree};

/// The TR-181 2.17 full data model of the shared reference files.
pub const TR181: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/ref/datamodels/tr-181-2-17-0-cwmp-full.xml"
);

/// The TR-181 gateway model; `None` (and a SKIPPED line naming `test`) when the file is absent.
pub fn model(test: &str) -> Option<Arc<Model>> {
    static MODEL: OnceLock<Option<Arc<Model>>> = OnceLock::new();
    let model = MODEL
        .get_or_init(|| {
            let path = Path::new(TR181);
            if !path.is_file() {
                return None;
            }
            let schema = Schema::from_file(path, &LoadOptions::default()).expect("TR-181 loads");
            let profile = Profile::tr181_gateway().expect("profile parses");
            Some(Arc::new(
                Model::new(Arc::new(schema), &profile, ModelOptions::default()).expect("model"),
            ))
        })
        .clone();
    if model.is_none() {
        eprintln!("SKIPPED {test}: {TR181} not found");
    }
    model
}

/// What one session borrows.
pub struct Rig {
    /// The data model.
    pub tree: Tree,
    /// No live side.
    pub backend: NoBackend,
    /// The event queue.
    pub queue: EventQueue,
    /// The CPE's own requests.
    pub requests: PendingRequests,
}

/// A fresh device; `None` when the model file is absent (see [`model`]).
pub fn rig(test: &str) -> Option<Rig> {
    Some(Rig::new(model(test)?))
}

impl Rig {
    /// A fresh device of `model`.
    pub fn new(model: Arc<Model>) -> Rig {
        Rig {
            tree: Tree::new(model),
            backend: NoBackend,
            queue: EventQueue::in_memory(),
            requests: PendingRequests::new(),
        }
    }

    /// Starts a session of device `Acme 00D09E Gateway SN0001` at a fixed time: the session and
    /// its Inform.
    pub fn start(&mut self) -> (Session<'_>, Envelope) {
        let ctx = Context {
            tree: &mut self.tree,
            backend: &mut self.backend,
            queue: &mut self.queue,
            requests: &mut self.requests,
        };
        let id = DeviceId {
            manufacturer: "Acme".into(),
            oui: "00D09E".into(),
            product_class: "Gateway".into(),
            serial_number: "SN0001".into(),
        };
        let now = DateTime::from_unix(1_700_000_000, 0).expect("time");
        Session::start(ctx, &Options::default(), id, 0, now)
    }
}
