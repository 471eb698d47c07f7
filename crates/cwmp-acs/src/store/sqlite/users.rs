//! Users, their API tokens and the audit log in SQLite (migration 13).

use rusqlite::{Connection, Row};

use super::conn::execute;
use crate::store::{
    AUDIT_KEPT, AuditEntry, Role, StoreError, StoreResult, Timestamp, User, UserToken,
};

pub(crate) const SELECT_USER: &str =
    "SELECT name, role, password_hash, created_ms FROM users WHERE name = $1";
pub(crate) const SELECT_USERS: &str =
    "SELECT name, role, password_hash, created_ms FROM users ORDER BY name";
pub(crate) const SELECT_TOKEN_BY_DIGEST: &str = "SELECT id, user_name, label, digest, scope, \
     created_ms FROM user_tokens WHERE digest = $1";
pub(crate) const SELECT_TOKENS_OF: &str = "SELECT id, user_name, label, digest, scope, \
     created_ms FROM user_tokens WHERE user_name = $1 ORDER BY created_ms, id";
pub(crate) const SELECT_AUDIT: &str = "SELECT seq, time_ms, actor, method, path, status \
     FROM audit_log WHERE seq < $1 ORDER BY seq DESC LIMIT $2";

fn role(text: &str) -> StoreResult<Role> {
    Role::parse(text).ok_or_else(|| StoreError::Corrupt(format!("unknown role {text:?}")))
}

pub(crate) fn user(r: &Row<'_>) -> StoreResult<User> {
    Ok(User {
        name: r.get(0)?,
        role: role(&r.get::<_, String>(1)?)?,
        password_hash: r.get(2)?,
        created: Timestamp(r.get(3)?),
    })
}

pub(crate) fn token(r: &Row<'_>) -> StoreResult<UserToken> {
    Ok(UserToken {
        id: r.get(0)?,
        user: r.get(1)?,
        label: r.get(2)?,
        digest: r.get(3)?,
        scope: role(&r.get::<_, String>(4)?)?,
        created: Timestamp(r.get(5)?),
    })
}

pub(crate) fn audit(r: &Row<'_>) -> StoreResult<AuditEntry> {
    Ok(AuditEntry {
        seq: r.get(0)?,
        time: Timestamp(r.get(1)?),
        actor: r.get(2)?,
        method: r.get(3)?,
        path: r.get(4)?,
        status: r.get(5)?,
    })
}

pub(crate) fn put_user(conn: &Connection, u: &User) -> StoreResult<()> {
    execute(
        conn,
        "INSERT INTO users (name, role, password_hash, created_ms) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (name) DO UPDATE SET role = excluded.role, \
         password_hash = excluded.password_hash",
        &[
            &u.name,
            &u.role.as_str(),
            &u.password_hash,
            &u.created.as_millis(),
        ],
    )?;
    Ok(())
}

pub(crate) fn delete_user(conn: &Connection, name: &str) -> StoreResult<bool> {
    // The foreign key cascades too; explicit so that it holds with foreign keys off.
    execute(
        conn,
        "DELETE FROM user_tokens WHERE user_name = $1",
        &[&name],
    )?;
    Ok(execute(conn, "DELETE FROM users WHERE name = $1", &[&name])? > 0)
}

pub(crate) fn put_token(conn: &Connection, t: &UserToken) -> StoreResult<()> {
    let known = execute(
        conn,
        "INSERT INTO user_tokens (id, user_name, label, digest, scope, created_ms) \
         SELECT $1, name, $3, $4, $5, $6 FROM users WHERE name = $2",
        &[
            &t.id,
            &t.user,
            &t.label,
            &t.digest,
            &t.scope.as_str(),
            &t.created.as_millis(),
        ],
    )?;
    if known == 0 {
        return Err(StoreError::NotFound(format!("user {}", t.user)));
    }
    Ok(())
}

pub(crate) fn append_audit(conn: &Connection, e: &AuditEntry) -> StoreResult<()> {
    execute(
        conn,
        "INSERT INTO audit_log (time_ms, actor, method, path, status) VALUES ($1, $2, $3, $4, $5)",
        &[
            &e.time.as_millis(),
            &e.actor,
            &e.method,
            &e.path,
            &i64::from(e.status),
        ],
    )?;
    let last = conn.last_insert_rowid();
    if last % 1000 == 0 {
        execute(
            conn,
            "DELETE FROM audit_log WHERE seq <= $1",
            &[&(last - AUDIT_KEPT)],
        )?;
    }
    Ok(())
}
