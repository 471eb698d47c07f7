//! The backends the behavioural store tests run against: SQLite always, PostgreSQL when
//! `CWMP_TEST_PG_URL` names a server (each test gets a database of its own, dropped after).
//! Without the variable the PostgreSQL tests say that they skipped, except in CI (`CI`
//! set), where its absence is a failure: `.ci/run` starts a throwaway cluster and sets it.
//!
//! [`backend_tests!`] turns a list of `async fn name(store: Arc<dyn Store>)` into a test
//! per backend: `sqlite::name` and `postgres::name`.

#![allow(dead_code)]

use std::sync::Arc;

use cwmp_acs::store::{PgConfig, PgStore, SqliteConfig, SqliteStore, Store};

/// The variable naming the PostgreSQL server of the tests.
pub const PG_URL_VAR: &str = "CWMP_TEST_PG_URL";

/// A store under test and what must live as long as it.
pub struct Backend {
    /// The store.
    pub store: Arc<dyn Store>,
    cleanup: Cleanup,
}

enum Cleanup {
    Dir(#[allow(dead_code)] tempfile::TempDir),
    Database { admin_url: String, name: String },
}

impl Backend {
    /// Closes the store and removes what the test made.
    pub async fn finish(self) {
        self.store.close().await;
        if let Cleanup::Database { admin_url, name } = self.cleanup {
            drop(self.store);
            drop_database(&admin_url, &name).await;
        }
    }
}

/// Drops a test database (its connections too).
pub async fn drop_database(admin_url: &str, name: &str) {
    if let Ok(client) = connect(admin_url).await {
        let _ = client
            .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .await;
    }
}

/// A fresh SQLite store in a temporary directory.
pub async fn sqlite() -> Backend {
    let dir = tempfile::tempdir().expect("tmp");
    let store = SqliteStore::open(SqliteConfig::new(dir.path()))
        .await
        .expect("open sqlite");
    Backend {
        store: Arc::new(store),
        cleanup: Cleanup::Dir(dir),
    }
}

/// The server URL of the PostgreSQL tests; `None` (skip) when unset outside CI.
pub fn pg_url() -> Option<String> {
    match std::env::var(PG_URL_VAR) {
        Ok(url) if !url.is_empty() => Some(url),
        _ if std::env::var_os("CI").is_some() => {
            panic!("{PG_URL_VAR} is not set in CI: the PostgreSQL store tests cannot run")
        }
        _ => {
            eprintln!("skipped: {PG_URL_VAR} is not set (no PostgreSQL server for this test)");
            None
        }
    }
}

async fn connect(url: &str) -> Result<tokio_postgres::Client, tokio_postgres::Error> {
    let (client, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls).await?;
    tokio::spawn(conn);
    Ok(client)
}

/// `url` with its database name replaced by `db`.
pub fn with_database(url: &str, db: &str) -> String {
    let start = url.find("://").map_or(0, |i| i + 3);
    let (head, query) = match url[start..].find('?') {
        Some(q) => url.split_at(start + q),
        None => (url, ""),
    };
    let host_end = head[start..].find('/').map_or(head.len(), |i| start + i);
    format!("{}/{db}{query}", &head[..host_end])
}

/// A new empty database on the test server; its URL. `None` when there is no server.
pub async fn pg_database() -> Option<(String, String, String)> {
    let admin_url = pg_url()?;
    let name = format!("cwmp_test_{:016x}", rand::random::<u64>());
    let client = connect(&admin_url)
        .await
        .unwrap_or_else(|e| panic!("connecting to {PG_URL_VAR}: {e}"));
    client
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .await
        .expect("create test database");
    Some((with_database(&admin_url, &name), admin_url, name))
}

/// A fresh PostgreSQL store in a database of its own, or `None` (skip).
pub async fn postgres() -> Option<Backend> {
    let (url, admin_url, name) = pg_database().await?;
    let store = PgStore::open(PgConfig::new(url))
        .await
        .expect("open postgres");
    Some(Backend {
        store: Arc::new(store),
        cleanup: Cleanup::Database { admin_url, name },
    })
}

/// One test per backend for each `async fn(Arc<dyn Store>)` named.
macro_rules! backend_tests {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let b = $crate::backend::sqlite().await;
                    super::$name(std::sync::Arc::clone(&b.store)).await;
                    b.finish().await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let Some(b) = $crate::backend::postgres().await else { return };
                    super::$name(std::sync::Arc::clone(&b.store)).await;
                    b.finish().await;
                }
            )*
        }
    };
}

#[test]
fn the_database_of_a_url_is_replaced() {
    assert_eq!(
        with_database("postgres://u@h:5/postgres", "t"),
        "postgres://u@h:5/t"
    );
    assert_eq!(
        with_database("postgres://u@h1,h2/x?target_session_attrs=read-write", "t"),
        "postgres://u@h1,h2/t?target_session_attrs=read-write"
    );
    assert_eq!(with_database("postgres://h", "t"), "postgres://h/t");
}
