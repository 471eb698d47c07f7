//! What the API routes beyond the store need: the event bus, the metrics, the Connection
//! Request rate limit and the bounds of the event stream.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Semaphore;

use super::cr::CrRateLimit;
use crate::events::EventBus;
use crate::files::FileService;
use crate::metrics::Metrics;

/// Default most concurrent `GET /events` clients.
pub const DEFAULT_SSE_CLIENTS: usize = 64;

/// Default interval of the event stream's heartbeat comments.
pub const DEFAULT_SSE_HEARTBEAT: Duration = Duration::from_secs(15);

/// Shared by the routes through an axum `Extension`. Cheap to clone.
#[derive(Debug, Clone)]
pub struct ApiExtras {
    /// Events published by the session engine and the API.
    pub events: EventBus,
    /// Server metrics, served at `/metrics`.
    pub metrics: Arc<Metrics>,
    /// Serve `/metrics` without the bearer token (for scrapers that cannot send one).
    pub metrics_public: bool,
    /// Per-device Connection Request rate limit.
    pub cr_limit: Arc<CrRateLimit>,
    /// Slots of `GET /events` clients.
    pub sse_slots: Arc<Semaphore>,
    /// Heartbeat interval of `GET /events`.
    pub sse_heartbeat: Duration,
    /// Stored files and uploads (`/files`, `/devices/{id}/uploads`); none: those routes
    /// answer 503.
    pub files: Option<Arc<FileService>>,
    /// Limits of the scripts the API compiles and dry-runs.
    pub scripts: crate::script::ScriptConfig,
}

impl Default for ApiExtras {
    fn default() -> ApiExtras {
        ApiExtras {
            events: EventBus::default(),
            metrics: Arc::default(),
            metrics_public: false,
            cr_limit: Arc::default(),
            sse_slots: Arc::new(Semaphore::new(DEFAULT_SSE_CLIENTS)),
            sse_heartbeat: DEFAULT_SSE_HEARTBEAT,
            files: None,
            scripts: crate::script::ScriptConfig::default(),
        }
    }
}
