//! Console users, their API tokens and the audit log of changes, as the store keeps them.
//! What a role may do is decided in `api::access`; passwords are kept only as argon2 PHC
//! strings and tokens only as SHA-256 digests.

use super::Timestamp;

/// What a user may do, from least to most.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    /// Reads everything, changes nothing.
    Viewer,
    /// Also acts on devices: tasks, tags, credentials, deletion, campaigns.
    Operator,
    /// Everything, including users, presets, provisions, files and configuration.
    Admin,
}

impl Role {
    /// Every role, least first.
    pub const ALL: [Role; 3] = [Role::Viewer, Role::Operator, Role::Admin];

    /// The name used in the API and the store.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Operator => "operator",
            Role::Admin => "admin",
        }
    }

    /// Parses a role name.
    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

/// A console user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// Login name (1–64 of `A-Za-z0-9._@-`).
    pub name: String,
    /// Role.
    pub role: Role,
    /// argon2id PHC string of the password.
    pub password_hash: String,
    /// When created.
    pub created: Timestamp,
}

/// An API token of a user: its digest, never the token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserToken {
    /// Identifier (shown, used to revoke).
    pub id: String,
    /// Owner.
    pub user: String,
    /// What it is for, as the user named it.
    pub label: String,
    /// Lower-case hex SHA-256 of the token.
    pub digest: String,
    /// Highest role the token acts with (at most its owner's role at the time of use).
    pub scope: Role,
    /// When created.
    pub created: Timestamp,
}

/// One change made through the API: who, what, when, and how it ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    /// Sequence number (assigned by the store; 0 when appending).
    pub seq: i64,
    /// When.
    pub time: Timestamp,
    /// Who: a user name, `token:<id>` of a user's token, or `admin-token`.
    pub actor: String,
    /// The HTTP method.
    pub method: String,
    /// The path and query.
    pub path: String,
    /// The HTTP status answered.
    pub status: u16,
}

/// Audit entries kept: older ones are dropped as new ones come in.
pub const AUDIT_KEPT: i64 = 100_000;
