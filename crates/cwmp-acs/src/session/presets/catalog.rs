//! The parsed preset catalog, shared by the sessions of an endpoint.
//!
//! Every session consults the presets, which change rarely: reading and parsing them for
//! each of thousands of sessions a second would be most of a periodic session's cost. The
//! cache reloads when this process changed presets (the store's
//! [`presets_generation`](crate::store::Store::presets_generation)) and at most `ttl` after
//! the last load otherwise, which bounds how long a change made through another node takes
//! to apply.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::PresetConfig;
use super::schedule::PresetSchedule;
use crate::query::{self, Query};
use crate::store::{Preset, PresetObject, Store, StoreResult, Timestamp};

/// A stored preset, parsed.
#[derive(Debug)]
pub(crate) struct Parsed {
    /// Name.
    pub(crate) name: String,
    /// Inform events: `true` must occur, `false` must not (none: every session).
    pub(crate) events: BTreeMap<String, bool>,
    /// When it applies, if only at times.
    pub(crate) schedule: Option<PresetSchedule>,
    /// Devices it applies to.
    pub(crate) precondition: Query,
    /// The desired state.
    pub(crate) config: PresetConfig,
}

impl Parsed {
    /// True when the Inform's `events` select the preset (GenieACS: every event marked
    /// `true` occurs and none marked `false`).
    pub(crate) fn events_match(&self, inform: &[String]) -> bool {
        self.events
            .iter()
            .all(|(code, wanted)| inform.contains(code) == *wanted)
    }
}

/// All presets by weight then name: those that parse, and the others with their error.
#[derive(Debug, Default)]
pub(crate) struct Catalog {
    /// Presets that parse.
    pub(crate) presets: Vec<Parsed>,
    /// `(name, error)` of the presets that do not.
    pub(crate) invalid: Vec<(String, String)>,
}

impl Catalog {
    fn parse(stored: Vec<Preset>, objects: &[PresetObject]) -> Catalog {
        let mut catalog = Catalog::default();
        for p in stored {
            let parsed = query::parse_precondition(&p.precondition, &query::Limits::default())
                .map_err(|e| e.to_string())
                .and_then(|q| {
                    PresetConfig::parse(&p.configuration)
                        .and_then(|mut c| c.resolve(objects).map(|()| c))
                        .map(|c| (q, c))
                        .map_err(|e| e.to_string())
                })
                .and_then(|(q, c)| {
                    p.schedule
                        .as_deref()
                        .map(PresetSchedule::parse)
                        .transpose()
                        .map(|s| (q, c, s))
                });
            match parsed {
                Ok((precondition, config, schedule)) => catalog.presets.push(Parsed {
                    name: p.name,
                    events: p.events,
                    schedule,
                    precondition,
                    config,
                }),
                Err(e) => catalog.invalid.push((p.name, e)),
            }
        }
        catalog
    }
}

struct Loaded {
    generation: u64,
    at: Timestamp,
    catalog: Arc<Catalog>,
}

/// The catalog as last loaded, reloaded when stale.
pub struct PresetCache {
    ttl: Duration,
    slot: Mutex<Option<Loaded>>,
}

impl std::fmt::Debug for PresetCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PresetCache")
            .field("ttl", &self.ttl)
            .finish_non_exhaustive()
    }
}

impl PresetCache {
    /// A cache whose loads stand for `ttl` (zero: every session reads the presets).
    pub fn new(ttl: Duration) -> PresetCache {
        PresetCache {
            ttl,
            slot: Mutex::new(None),
        }
    }

    /// The catalog at `now`, read from `store` if this process changed the presets since
    /// the last load or the load is `ttl` old.
    pub(crate) async fn get(&self, store: &dyn Store, now: Timestamp) -> StoreResult<Arc<Catalog>> {
        let generation = store.presets_generation();
        {
            let slot = self.slot.lock().unwrap_or_else(|p| p.into_inner());
            if let Some(l) = slot.as_ref()
                && l.generation == generation
                && now >= l.at
                && now < l.at.plus(self.ttl)
            {
                return Ok(Arc::clone(&l.catalog));
            }
        }
        let objects = store.list_preset_objects().await?;
        let catalog = Arc::new(Catalog::parse(store.list_presets().await?, &objects));
        *self.slot.lock().unwrap_or_else(|p| p.into_inner()) = Some(Loaded {
            generation,
            at: now,
            catalog: Arc::clone(&catalog),
        });
        Ok(catalog)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::store::{SqliteConfig, SqliteStore};

    const T0: Timestamp = Timestamp(1_700_000_000_000);

    fn preset(name: &str, precondition: serde_json::Value) -> Preset {
        Preset {
            name: name.into(),
            weight: 0,
            channel: "default".into(),
            precondition,
            events: BTreeMap::new(),
            schedule: None,
            configuration: json!({"tags": {"add": ["seen"]}}),
        }
    }

    fn names(c: &Catalog) -> Vec<&str> {
        c.presets.iter().map(|p| p.name.as_str()).collect()
    }

    #[tokio::test]
    async fn reloads_on_a_local_change_at_once_and_on_a_remote_one_after_the_ttl() {
        let dir = tempfile::tempdir().expect("tmp");
        let here = SqliteStore::open(SqliteConfig::new(dir.path()))
            .await
            .expect("open");
        // Another node: a second store on the same database.
        let there = SqliteStore::open(SqliteConfig::new(dir.path()))
            .await
            .expect("open");
        let cache = PresetCache::new(Duration::from_secs(2));
        here.put_preset(preset("a", json!({}))).await.expect("put");
        assert_eq!(names(&cache.get(&here, T0).await.expect("get")), ["a"]);

        there.put_preset(preset("b", json!({}))).await.expect("put");
        let soon = T0.plus(Duration::from_millis(1500));
        assert_eq!(names(&cache.get(&here, soon).await.expect("get")), ["a"]);
        let later = T0.plus(Duration::from_secs(2));
        assert_eq!(
            names(&cache.get(&here, later).await.expect("get")),
            ["a", "b"]
        );

        assert!(here.delete_preset("a").await.expect("delete"));
        assert_eq!(names(&cache.get(&here, later).await.expect("get")), ["b"]);
    }

    #[tokio::test]
    async fn a_preset_that_does_not_parse_is_kept_with_its_error() {
        let dir = tempfile::tempdir().expect("tmp");
        let store = SqliteStore::open(SqliteConfig::new(dir.path()))
            .await
            .expect("open");
        store
            .put_preset(preset("bad", json!({"$nope": 1})))
            .await
            .expect("put");
        store
            .put_preset(preset("good", json!({})))
            .await
            .expect("put");
        let catalog = PresetCache::new(Duration::ZERO)
            .get(&store, T0)
            .await
            .expect("get");
        assert_eq!(names(&catalog), ["good"]);
        assert_eq!(catalog.invalid.len(), 1);
        assert_eq!(catalog.invalid[0].0, "bad");
    }
}
