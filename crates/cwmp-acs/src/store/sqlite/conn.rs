//! Opening a connection (pragmas, the `REGEXP` function) and running statements written
//! with `$n` placeholders.
//!
//! The store's SQL uses PostgreSQL-style `$1, $2, …` so that one text serves both
//! databases. SQLite reads `$1` as a *named* parameter numbered in order of first
//! appearance, so binding by position would go wrong as soon as a statement names `$2`
//! before `$1`; [`bind`] binds each parameter by the number in its name instead.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use rusqlite::functions::FunctionFlags;
use rusqlite::{Connection, OpenFlags, Row, Statement, ToSql};

use crate::store::{StoreError, StoreResult};

/// Prepared statements kept per connection.
const STATEMENT_CACHE: usize = 256;

/// Compiled size limit of a `REGEXP` pattern (the query parser has its own, lower one).
const REGEX_SIZE_LIMIT: usize = 1 << 20;

/// Opens `path` for writing (`create`: make it if missing) or read-only, in WAL mode with
/// `synchronous=NORMAL` (a committed transaction survives a process crash), foreign keys
/// on, and `REGEXP` defined.
pub(crate) fn open(
    path: &Path,
    create: bool,
    read_only: bool,
    busy_timeout: Duration,
) -> StoreResult<Connection> {
    let mut flags = OpenFlags::SQLITE_OPEN_NO_MUTEX;
    flags |= if read_only {
        OpenFlags::SQLITE_OPEN_READ_ONLY
    } else {
        OpenFlags::SQLITE_OPEN_READ_WRITE
    };
    if create {
        flags |= OpenFlags::SQLITE_OPEN_CREATE;
    }
    let conn = Connection::open_with_flags(path, flags)?;
    conn.busy_timeout(busy_timeout)?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    if !read_only {
        conn.pragma_update(None, "journal_mode", "WAL")?;
    }
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    add_regexp(&conn)?;
    Ok(conn)
}

/// Sets the page cache of `conn` to `mib` MiB (a negative `cache_size` counts KiB).
pub(super) fn set_cache_mib(conn: &Connection, mib: u32) -> StoreResult<()> {
    conn.pragma_update(None, "cache_size", -i64::from(mib) * 1024)?;
    Ok(())
}

/// `x REGEXP y` calls `regexp(y, x)`: true when the text `x` matches the pattern `y`. The
/// compiled pattern is kept with the statement, so a query compiles it once.
fn add_regexp(conn: &Connection) -> StoreResult<()> {
    conn.create_scalar_function(
        "regexp",
        2,
        FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC,
        |ctx| {
            let re: Arc<regex::Regex> = ctx.get_or_create_aux(0, |v| {
                regex::RegexBuilder::new(v.as_str()?)
                    .size_limit(REGEX_SIZE_LIMIT)
                    .build()
                    .map_err(|e| rusqlite::Error::UserFunctionError(Box::new(e)))
            })?;
            let text = ctx.get_raw(1);
            Ok(match text {
                rusqlite::types::ValueRef::Text(t) => {
                    std::str::from_utf8(t).is_ok_and(|t| re.is_match(t))
                }
                _ => false,
            })
        },
    )?;
    Ok(())
}

/// Binds `args` to `stmt`: the parameter named `$n` gets `args[n - 1]`.
fn bind(stmt: &mut Statement<'_>, args: &[&dyn ToSql]) -> StoreResult<()> {
    for index in 1..=stmt.parameter_count() {
        let n = stmt
            .parameter_name(index)
            .and_then(|name| name.strip_prefix('$'))
            .and_then(|n| n.parse::<usize>().ok())
            .unwrap_or(index);
        let arg = args.get(n.wrapping_sub(1)).ok_or_else(|| {
            StoreError::Corrupt(format!("statement parameter ${n} has no argument"))
        })?;
        stmt.raw_bind_parameter(index, arg)?;
    }
    Ok(())
}

/// Runs `sql` (cached) with `args`; returns the number of rows changed.
pub(crate) fn execute(conn: &Connection, sql: &str, args: &[&dyn ToSql]) -> StoreResult<u64> {
    let mut stmt = conn.prepare_cached(sql)?;
    run(&mut stmt, args)
}

/// Runs a prepared statement with `args`, for a statement run once per item of a list;
/// returns the number of rows changed.
pub(crate) fn run(stmt: &mut Statement<'_>, args: &[&dyn ToSql]) -> StoreResult<u64> {
    bind(stmt, args)?;
    Ok(stmt.raw_execute()? as u64)
}

/// Runs `sql` (cached) with `args` and decodes every row.
pub(crate) fn query<T>(
    conn: &Connection,
    sql: &str,
    args: &[&dyn ToSql],
    decode: impl Fn(&Row<'_>) -> StoreResult<T>,
) -> StoreResult<Vec<T>> {
    let mut stmt = conn.prepare_cached(sql)?;
    bind(&mut stmt, args)?;
    let mut rows = stmt.raw_query();
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        out.push(decode(row)?);
    }
    Ok(out)
}

/// [`query`] for at most one row.
pub(crate) fn query_opt<T>(
    conn: &Connection,
    sql: &str,
    args: &[&dyn ToSql],
    decode: impl Fn(&Row<'_>) -> StoreResult<T>,
) -> StoreResult<Option<T>> {
    let mut stmt = conn.prepare_cached(sql)?;
    bind(&mut stmt, args)?;
    let mut rows = stmt.raw_query();
    rows.next()?.map(decode).transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn memory() -> Connection {
        let conn = Connection::open_in_memory().unwrap();
        add_regexp(&conn).unwrap();
        conn
    }

    #[test]
    fn parameters_bind_by_their_number_not_their_position() {
        let conn = memory();
        let got = query_opt(
            &conn,
            "SELECT $2 || '-' || $1 || '-' || $2",
            &[&"a", &"b"],
            |r| Ok(r.get::<_, String>(0)?),
        )
        .unwrap();
        assert_eq!(got.as_deref(), Some("b-a-b"));
    }

    #[test]
    fn the_cache_is_set_in_mib() {
        let conn = memory();
        set_cache_mib(&conn, 64).unwrap();
        let kib: i64 = conn
            .pragma_query_value(None, "cache_size", |r| r.get(0))
            .unwrap();
        assert_eq!(kib, -65536);
    }

    #[test]
    fn a_missing_argument_is_an_error_not_a_panic() {
        let conn = memory();
        let err = query_opt(&conn, "SELECT $3", &[&1], |r| Ok(r.get::<_, i64>(0)?));
        assert!(matches!(err, Err(StoreError::Corrupt(_))), "{err:?}");
    }

    #[test]
    fn regexp_matches_text_and_refuses_bad_patterns() {
        let conn = memory();
        let m = |text: &dyn ToSql, pat: &str| {
            query_opt(&conn, "SELECT $1 REGEXP $2", &[text, &pat], |r| {
                Ok(r.get::<_, bool>(0)?)
            })
        };
        assert_eq!(m(&"Router-42", "^Router-\\d+$").unwrap(), Some(true));
        assert_eq!(m(&"router", "^Router").unwrap(), Some(false));
        assert_eq!(m(&rusqlite::types::Null, "x").unwrap(), Some(false));
        assert!(m(&"x", "(").is_err());
    }
}
