//! Running statements on a pooled connection or inside one of its transactions, with the
//! connection's cache of prepared statements.

use deadpool_postgres::{ClientWrapper, Transaction};
use tokio_postgres::types::ToSql;
use tokio_postgres::{Row, Statement};

use crate::store::StoreResult;

/// A statement argument.
pub(crate) type Arg<'a> = &'a (dyn ToSql + Sync);

/// Where statements run: a connection (each statement its own transaction) or an open
/// transaction.
#[derive(Clone, Copy)]
pub(crate) enum Db<'a, 't> {
    /// Autocommit.
    Client(&'a ClientWrapper),
    /// Inside a transaction.
    Tx(&'a Transaction<'t>),
}

impl Db<'_, '_> {
    async fn statement(&self, sql: &str) -> StoreResult<Statement> {
        Ok(match self {
            Db::Client(c) => c.prepare_cached(sql).await?,
            Db::Tx(t) => t.prepare_cached(sql).await?,
        })
    }

    /// Runs `sql` with `args`; the number of rows changed.
    pub(crate) async fn execute(&self, sql: &str, args: &[Arg<'_>]) -> StoreResult<u64> {
        let st = self.statement(sql).await?;
        Ok(match self {
            Db::Client(c) => c.execute(&st, args).await?,
            Db::Tx(t) => t.execute(&st, args).await?,
        })
    }

    /// The rows of `sql` with `args`.
    pub(crate) async fn query(&self, sql: &str, args: &[Arg<'_>]) -> StoreResult<Vec<Row>> {
        let st = self.statement(sql).await?;
        Ok(match self {
            Db::Client(c) => c.query(&st, args).await?,
            Db::Tx(t) => t.query(&st, args).await?,
        })
    }

    /// The rows of `sql` prepared for this call only: for statements built from a query,
    /// which would otherwise fill the connection's cache (and the server's) without bound.
    pub(crate) async fn query_once(&self, sql: &str, args: &[Arg<'_>]) -> StoreResult<Vec<Row>> {
        Ok(match self {
            Db::Client(c) => c.query(sql, args).await?,
            Db::Tx(t) => t.query(sql, args).await?,
        })
    }

    /// The first row of `sql` with `args`, if any.
    pub(crate) async fn query_opt(&self, sql: &str, args: &[Arg<'_>]) -> StoreResult<Option<Row>> {
        Ok(self.query(sql, args).await?.into_iter().next())
    }

    /// The rows of `sql`, each decoded.
    pub(crate) async fn rows<T>(
        &self,
        sql: &str,
        args: &[Arg<'_>],
        decode: fn(&Row) -> StoreResult<T>,
    ) -> StoreResult<Vec<T>> {
        self.query(sql, args).await?.iter().map(decode).collect()
    }
}
