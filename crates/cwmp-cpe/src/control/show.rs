//! How the CLI prints replies: two-column tables like a device CLI's `show` commands.

use std::fmt::Write as _;

use cwmp::DateTime;

use super::{Configuration, ParamValue, Status};

/// What a set password shows as.
const MASK: &str = "********";

fn table(rows: &[(&str, String)]) -> String {
    let width = rows.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
    let mut out = String::new();
    for (k, v) in rows {
        let _ = writeln!(out, "{k:<width$} : {v}");
    }
    out
}

fn masked(set: bool) -> String {
    if set { MASK.into() } else { "(not set)".into() }
}

fn on_off(b: bool) -> String {
    if b {
        "enabled".into()
    } else {
        "disabled".into()
    }
}

fn or_none(s: &str) -> String {
    if s.is_empty() {
        "(not set)".into()
    } else {
        s.to_owned()
    }
}

/// A Unix time as `xsd:dateTime` (UTC).
pub fn time(unix: i64) -> String {
    DateTime::from_unix(unix, 0).map_or_else(|| unix.to_string(), |d| d.to_string())
}

/// `show configuration`.
pub fn configuration(c: &Configuration) -> String {
    let start = if c.inform_start_time.is_empty() || c.inform_start_time.starts_with("0001-") {
        "(any)".to_owned()
    } else {
        c.inform_start_time.clone()
    };
    table(&[
        ("ACS URL", or_none(&c.acs_url)),
        ("ACS username", or_none(&c.acs_username)),
        ("ACS password", masked(c.acs_password_set)),
        ("CPE URL", or_none(&c.cpe_url)),
        ("CPE listener", c.cpe_listen.clone()),
        ("CPE username", or_none(&c.cpe_username)),
        ("CPE password", masked(c.cpe_password_set)),
        ("Inform status", on_off(c.inform_enable)),
        ("Inform interval", format!("{} s", c.inform_interval)),
        ("Inform start time", start),
        ("Wait timeout", format!("{} s", c.session_timeout)),
        ("Download status", on_off(c.download)),
        ("Upload status", on_off(c.upload)),
        ("Backup status", on_off(c.backup_enable)),
        ("Backup delay", format!("{} s", c.backup_delay)),
        (
            "STUN status",
            c.stun_enable.map_or("(not in data model)".into(), on_off),
        ),
        ("STUN server", or_none(&c.stun_server)),
        ("STUN port", or_none(&c.stun_port)),
    ])
}

/// `show status`.
pub fn status(s: &Status) -> String {
    let list = |v: &[String]| {
        if v.is_empty() {
            "(none)".to_owned()
        } else {
            v.join(", ")
        }
    };
    table(&[
        ("Connected", if s.connected { "yes" } else { "no" }.into()),
        (
            "Last Inform",
            s.last_inform.map_or("(none yet)".into(), time),
        ),
        (
            "Last result",
            s.last_result.clone().unwrap_or_else(|| "-".into()),
        ),
        ("Pending events", list(&s.pending_events)),
        ("Retry count", s.retry_count.to_string()),
        ("Next Inform", s.next_inform.map_or("(none)".into(), time)),
        ("Queued transfers", list(&s.transfers)),
        ("Pending requests", list(&s.pending_requests)),
        (
            "ACS methods",
            s.acs_methods.as_deref().map_or("(not asked)".into(), list),
        ),
        (
            "Kicked NextURL",
            s.kicked_next_url.clone().unwrap_or_else(|| "-".into()),
        ),
    ])
}

/// `get`: one `name  type  value` line per parameter.
pub fn values(v: &[ParamValue]) -> String {
    let name_w = v.iter().map(|p| p.name.len()).max().unwrap_or(0);
    let kind_w = v.iter().map(|p| p.kind.len()).max().unwrap_or(0);
    let mut out = String::new();
    for p in v {
        let _ = writeln!(out, "{:<name_w$}  {:<kind_w$}  {}", p.name, p.kind, p.value);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_table() {
        let s = Status {
            connected: false,
            last_inform: Some(0),
            last_result: Some("HTTP 500".into()),
            pending_events: vec!["0 BOOTSTRAP".into(), "1 BOOT".into()],
            retry_count: 2,
            next_inform: None,
            transfers: vec![],
            pending_requests: vec!["Kicked".into()],
            acs_methods: Some(vec!["Inform".into(), "TransferComplete".into()]),
            kicked_next_url: None,
        };
        let text = status(&s);
        assert!(text.contains("Connected        : no\n"), "{text}");
        assert!(
            text.contains("Last Inform      : 1970-01-01T00:00:00Z"),
            "{text}"
        );
        assert!(
            text.contains("Pending events   : 0 BOOTSTRAP, 1 BOOT"),
            "{text}"
        );
        assert!(text.contains("Queued transfers : (none)"), "{text}");
        assert!(text.contains("Pending requests : Kicked\n"), "{text}");
        assert!(
            text.contains("ACS methods      : Inform, TransferComplete\n"),
            "{text}"
        );
        assert!(text.contains("Kicked NextURL   : -\n"), "{text}");
    }
}
