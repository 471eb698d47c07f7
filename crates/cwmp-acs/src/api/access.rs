//! Which role a request needs: the permission table of the console and the API.
//!
//! - viewer: reads everything but users, tokens and the audit log; changes nothing;
//! - operator: also acts on devices (tasks, tags, credentials, deletion), faults and
//!   campaigns;
//! - admin: everything, including users, tokens, the audit log, presets, provisions,
//!   virtual parameters, files and configuration.
//!
//! A route not listed needs admin (closed by default). `POST /events/ticket` only opens a
//! read of the event stream, so a viewer may ask for one.

use axum::http::Method;

use crate::store::Role;

/// Whether `method` changes something (everything but GET, HEAD, OPTIONS).
pub fn is_change(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// The first segment of `path` (`/devices/x/tasks` → `devices`).
fn collection(path: &str) -> &str {
    path.trim_start_matches('/').split('/').next().unwrap_or("")
}

/// The least role that may send `method path`.
pub fn required(method: &Method, path: &str) -> Role {
    let collection = collection(path);
    if matches!(collection, "users" | "audit") {
        return Role::Admin;
    }
    if !is_change(method) || (collection == "events" && path == "/events/ticket") {
        return Role::Viewer;
    }
    match collection {
        "devices" | "tasks" | "faults" | "campaigns" => Role::Operator,
        _ => Role::Admin,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permission_table() {
        let cases = [
            (Method::GET, "/devices", Role::Viewer),
            (Method::GET, "/presets", Role::Viewer),
            (Method::GET, "/files/fw.bin", Role::Viewer),
            (Method::POST, "/events/ticket", Role::Viewer),
            (Method::POST, "/devices/d1/tasks", Role::Operator),
            (Method::DELETE, "/devices/d1", Role::Operator),
            (Method::PUT, "/devices/d1/credentials", Role::Operator),
            (Method::POST, "/tasks/t1/retry", Role::Operator),
            (Method::DELETE, "/faults/f1", Role::Operator),
            (Method::POST, "/campaigns", Role::Operator),
            (Method::PUT, "/presets/p", Role::Admin),
            (Method::PUT, "/provisions/p", Role::Admin),
            (Method::PUT, "/files/fw.bin", Role::Admin),
            (Method::GET, "/users", Role::Admin),
            (Method::GET, "/audit", Role::Admin),
            (Method::PUT, "/something/new", Role::Admin),
        ];
        for (method, path, role) in cases {
            assert_eq!(required(&method, path), role, "{method} {path}");
        }
    }
}
