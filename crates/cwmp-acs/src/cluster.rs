//! Several nodes on one PostgreSQL store: the event stream crosses nodes.
//!
//! Each node relays the events published on it ([`EventBus::tap`]) to the others with
//! `NOTIFY` on [`EVENTS_CHANNEL`], and hands the events of the others to its own
//! subscribers ([`EventBus::inject`]): an SSE subscriber on one node sees every node's
//! devices, and a task queued through one node's API with `?connection_request` learns
//! that it completed in a session another node served. A NOTIFY payload is at most 8,000
//! bytes: a larger event (a task result with many values) is stored in `cluster_events`
//! and announced by its id. Notices are not kept for a node that is not listening (one
//! restarting, or the listener reconnecting): what an event says is also in the tables.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use tokio::task::JoinHandle;

use crate::events::{Event, EventBus};
use crate::store::{Notice, PgStore, StoreResult, Timestamp};

/// The channel of cluster events.
pub const EVENTS_CHANNEL: &str = "cwmp_events";

/// Largest payload sent inline (PostgreSQL refuses more than 8,000 bytes).
const INLINE_MAX: usize = 7_000;

/// How long a large event is kept for the nodes to read it.
const KEEP_LARGE_MS: i64 = 5 * 60_000;

/// Events waiting to be relayed before new ones are dropped (with a warning).
const RELAY_QUEUE: usize = 16_384;

/// What travels on [`EVENTS_CHANNEL`].
#[derive(Debug, Serialize, Deserialize)]
struct Wire {
    /// The relay that sent it (node name and a per-process number).
    from: String,
    /// The event, when it fits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    event: Option<Event>,
    /// Else its row in `cluster_events`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    stored: Option<i64>,
}

/// Starts relaying events between this node's `bus` and the other nodes of `store`.
/// `node` names this node in logs. The tasks end with the store's listener.
pub fn relay_events(store: Arc<PgStore>, bus: &EventBus, node: &str) -> Vec<JoinHandle<()>> {
    let me = format!("{node}#{:08x}", rand::random::<u32>());
    let mut tasks = Vec::new();
    if let Some(mut outbound) = bus.tap(RELAY_QUEUE) {
        let (store, me) = (Arc::clone(&store), me.clone());
        tasks.push(tokio::spawn(async move {
            let mut sent: u64 = 0;
            while let Some(event) = outbound.recv().await {
                if let Err(e) = send(&store, &me, &event).await {
                    tracing::warn!(error = %e, device = %event.device, "cluster event not relayed");
                }
                sent += 1;
                if sent.is_multiple_of(1000)
                    && let Err(e) = prune(&store).await
                {
                    tracing::warn!(error = %e, "pruning cluster_events");
                }
            }
        }));
    }
    let mut inbound = store.listen(&[EVENTS_CHANNEL], RELAY_QUEUE);
    let bus = bus.clone();
    tasks.push(tokio::spawn(async move {
        while let Some(notice) = inbound.recv().await {
            match notice {
                Notice::Reconnected => tracing::info!("listening to the other nodes' events"),
                Notice::Message { payload, .. } => match receive(&store, &me, &payload).await {
                    Ok(Some(event)) => bus.inject(event),
                    Ok(None) => {}
                    Err(e) => tracing::warn!(error = %e, "cluster event not received"),
                },
            }
        }
    }));
    tasks
}

async fn send(store: &PgStore, me: &str, event: &Event) -> StoreResult<()> {
    let inline = Wire {
        from: me.to_owned(),
        event: Some(event.clone()),
        stored: None,
    };
    let text = crate::store::json_text(&inline)?;
    if text.len() <= INLINE_MAX {
        return store.notify(EVENTS_CHANNEL, &text).await;
    }
    let client = store.connection().await?;
    let body = crate::store::json_text(event)?;
    let id: i64 = client
        .query_one(
            "INSERT INTO cluster_events (payload, created_ms) VALUES ($1, $2) RETURNING id",
            &[&body, &Timestamp::now().as_millis()],
        )
        .await?
        .get(0);
    let wire = Wire {
        from: me.to_owned(),
        event: None,
        stored: Some(id),
    };
    store
        .notify(EVENTS_CHANNEL, &crate::store::json_text(&wire)?)
        .await
}

/// The event a notice carries, unless this relay sent it.
async fn receive(store: &PgStore, me: &str, payload: &str) -> StoreResult<Option<Event>> {
    let wire: Wire = crate::store::json_from("cluster event", payload)?;
    if wire.from == me {
        return Ok(None);
    }
    if let Some(event) = wire.event {
        return Ok(Some(event));
    }
    let Some(id) = wire.stored else {
        return Ok(None);
    };
    let client = store.connection().await?;
    let Some(row) = client
        .query_opt("SELECT payload FROM cluster_events WHERE id = $1", &[&id])
        .await?
    else {
        return Ok(None);
    };
    let text: String = row.get(0);
    Ok(Some(crate::store::json_from("cluster event", &text)?))
}

async fn prune(store: &PgStore) -> StoreResult<()> {
    let client = store.connection().await?;
    client
        .execute(
            "DELETE FROM cluster_events WHERE created_ms < $1",
            &[&(Timestamp::now().as_millis() - KEEP_LARGE_MS)],
        )
        .await?;
    Ok(())
}
