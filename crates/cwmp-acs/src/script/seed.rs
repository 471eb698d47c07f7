//! `cwmp-acs seed genieacs-defaults`: the provisions and presets a new GenieACS install
//! gets from its setup wizard (`bootstrap`, `default`, `inform`), written for this server
//! from GenieACS's documentation of what they do. Idempotent: an existing provision or preset
//! of the same name is kept as the operator left it.

use std::collections::BTreeMap;

use serde_json::json;

use crate::store::{Preset, ScriptKind, Store, StoreResult, StoredScript, Timestamp};

/// On `0 BOOTSTRAP` (a new or factory-reset device): forget what was known of its tree and
/// list it again.
pub const BOOTSTRAP: &str = r#"// A new or reset device: forget its cached tree and list it again.
const now = Date.now();
for (const root of ["Device", "InternetGatewayDevice"]) {
  clear(root, now);
  declare(root + ".*", {path: now});
}
"#;

/// Every session: key parameters refreshed at most hourly (the offset within the hour is
/// per device, spreading the reads).
pub const DEFAULT: &str = r#"// Key parameters, refreshed at most once an hour per device.
const hourly = Date.now(3600000);
const paths = {
  Device: [
    "DeviceInfo.HardwareVersion",
    "DeviceInfo.SoftwareVersion",
    "WiFi.SSID.*.SSID",
    "IP.Interface.*.IPv4Address.*.IPAddress",
    "Hosts.Host.*.HostName",
    "Hosts.Host.*.IPAddress",
    "Hosts.Host.*.PhysAddress",
  ],
  InternetGatewayDevice: [
    "DeviceInfo.HardwareVersion",
    "DeviceInfo.SoftwareVersion",
    "LANDevice.*.WLANConfiguration.*.SSID",
    "WANDevice.*.WANConnectionDevice.*.WANIPConnection.*.ExternalIPAddress",
    "WANDevice.*.WANConnectionDevice.*.WANPPPConnection.*.ExternalIPAddress",
    "LANDevice.*.Hosts.Host.*.HostName",
    "LANDevice.*.Hosts.Host.*.IPAddress",
    "LANDevice.*.Hosts.Host.*.MACAddress",
  ],
};
for (const root of Object.keys(paths)) {
  for (const p of paths[root]) declare(root + "." + p, {path: hourly, value: hourly});
}
"#;

/// Every session: Connection Request credentials (the device id and a password drawn from
/// the device-seeded `Math.random()`, so stable per device) and a 5-minute periodic Inform,
/// checked daily.
pub const INFORM: &str = r#"// Connection Request credentials and periodic Inform, checked once a day.
const username = declare("DeviceID.ID", {value: 1}).value[0];
// Math.random() is seeded with the device id: the same password in every session.
const password = Math.trunc(Math.random() * Number.MAX_SAFE_INTEGER).toString(36);
const daily = Date.now(86400000);
for (const root of ["Device", "InternetGatewayDevice"]) {
  const ms = root + ".ManagementServer.";
  declare(ms + "ConnectionRequestUsername", {value: daily}, {value: username});
  declare(ms + "ConnectionRequestPassword", {value: daily}, {value: password});
  declare(ms + "PeriodicInformEnable", {value: daily}, {value: true});
  declare(ms + "PeriodicInformInterval", {value: daily}, {value: 300});
}
"#;

/// What the seed did to one item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seeded {
    /// `provision` or `preset`.
    pub kind: &'static str,
    /// Name.
    pub name: String,
    /// Installed now (false: one of that name was there and is kept).
    pub installed: bool,
}

fn preset(name: &str, events: &[&str]) -> Preset {
    Preset {
        name: name.to_owned(),
        weight: 0,
        channel: name.to_owned(),
        precondition: json!({}),
        events: events
            .iter()
            .map(|e| ((*e).to_owned(), true))
            .collect::<BTreeMap<_, _>>(),
        schedule: None,
        configuration: json!([{"type": "provision", "name": name, "args": []}]),
    }
}

/// Installs GenieACS's default provisions and presets where absent.
pub async fn genieacs_defaults(store: &dyn Store) -> StoreResult<Vec<Seeded>> {
    let mut out = Vec::new();
    for (name, script) in [
        ("bootstrap", BOOTSTRAP),
        ("default", DEFAULT),
        ("inform", INFORM),
    ] {
        let installed = store
            .get_script(ScriptKind::Provision, name)
            .await?
            .is_none();
        if installed {
            store
                .put_script(StoredScript {
                    kind: ScriptKind::Provision,
                    name: name.to_owned(),
                    script: script.to_owned(),
                    updated: Timestamp::now(),
                })
                .await?;
        }
        out.push(Seeded {
            kind: "provision",
            name: name.to_owned(),
            installed,
        });
    }
    for p in [
        preset("bootstrap", &["0 BOOTSTRAP"]),
        preset("default", &[]),
        preset("inform", &[]),
    ] {
        let installed = store.get_preset(&p.name).await?.is_none();
        let name = p.name.clone();
        if installed {
            store.put_preset(p).await?;
        }
        out.push(Seeded {
            kind: "preset",
            name,
            installed,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_seed_scripts_compile() {
        for s in [BOOTSTRAP, DEFAULT, INFORM] {
            crate::script::check(s, &crate::script::Limits::default()).expect("compiles");
        }
    }

    #[tokio::test]
    async fn seeding_twice_keeps_what_is_there() {
        let dir = tempfile::tempdir().expect("dir");
        let store = crate::store::SqliteStore::open(crate::store::SqliteConfig::new(dir.path()))
            .await
            .expect("store");
        let first = genieacs_defaults(&store).await.expect("seed");
        assert!(first.iter().all(|s| s.installed), "{first:?}");
        store
            .put_script(StoredScript {
                kind: ScriptKind::Provision,
                name: "inform".into(),
                script: "// mine".into(),
                updated: Timestamp::now(),
            })
            .await
            .expect("edit");
        let second = genieacs_defaults(&store).await.expect("seed again");
        assert!(second.iter().all(|s| !s.installed), "{second:?}");
        let kept = store
            .get_script(ScriptKind::Provision, "inform")
            .await
            .expect("get")
            .expect("there");
        assert_eq!(kept.script, "// mine");
        let p = store
            .get_preset("bootstrap")
            .await
            .expect("get")
            .expect("preset");
        assert_eq!(p.events.get("0 BOOTSTRAP"), Some(&true));
        crate::session::PresetConfig::parse(&p.configuration).expect("valid configuration");
    }
}
