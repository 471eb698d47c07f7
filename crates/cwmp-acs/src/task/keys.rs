//! Exactly once across crashes: the key a task's state-changing request carries, and what
//! the next Inform says about a task whose session ended before its answer came.
//!
//! SetParameterValues, AddObject and DeleteObject carry the task's key as ParameterKey,
//! which the CPE stores in `ManagementServer.ParameterKey` only once the change is applied
//! (TR-069 A.3.2.1, A.3.2.6, A.3.2.7) and reports in every Inform (forced parameter). Reboot,
//! Download, Upload, ScheduleDownload and ScheduleInform carry it as CommandKey, which comes
//! back with the `M Reboot`, `M Download`, … event of the Inform that follows (A.3.2.2,
//! A.3.2.8, A.3.2.9; §3.7.1.5). FactoryReset has no key: the `0 BOOTSTRAP` of the next Inform
//! is its proof. The key is the one the task names, else the task id (24 characters: within
//! the 32 both arguments allow).

use cwmp::EventCode;
use cwmp::event::MethodEvent;
use cwmp::rpc::Inform;

use super::spec::{AddInstance, DeleteInstance, SetValues, TaskSpec};

/// The key of task `task_id`'s requests: the one it names, else its id.
pub fn task_key(named: Option<&String>, task_id: &str) -> String {
    named.cloned().unwrap_or_else(|| task_id.to_owned())
}

/// The ParameterKey of the AddObject of a task that then sets the new instance's values: the
/// task key marked, so that an Inform reporting it tells "added, values not set yet" from
/// "done" (the key itself when the mark does not fit the 32 characters).
pub fn add_step_key(key: &str) -> String {
    if key.chars().count() < super::MAX_KEY {
        format!("{key}+")
    } else {
        key.to_owned()
    }
}

/// What an Inform says about the outcome of requests sent before it.
#[derive(Debug, Default)]
pub struct Evidence {
    /// `ManagementServer.ParameterKey`, when reported.
    parameter_key: Option<String>,
    /// The `M …` events with their CommandKeys.
    commands: Vec<(MethodEvent, String)>,
    /// `0 BOOTSTRAP`.
    bootstrap: bool,
}

impl Evidence {
    /// The evidence `inform` carries.
    pub fn of(inform: &Inform) -> Evidence {
        let parameter_key = inform
            .parameter_list
            .iter()
            .find(|p| {
                p.name == "Device.ManagementServer.ParameterKey"
                    || p.name == "InternetGatewayDevice.ManagementServer.ParameterKey"
            })
            .map(|p| p.value.as_text().into_owned());
        let mut evidence = Evidence {
            parameter_key,
            ..Evidence::default()
        };
        for e in &inform.event {
            match &e.event_code {
                EventCode::Method(m) => evidence.commands.push((m.clone(), e.command_key.clone())),
                EventCode::Bootstrap => evidence.bootstrap = true,
                _ => {}
            }
        }
        evidence
    }

    fn command(&self, method: &MethodEvent, key: &str) -> bool {
        self.commands.iter().any(|(m, k)| m == method && k == key)
    }
}

/// Where an interrupted task stands after the Inform.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// The CPE applied it: done, proved by what is named.
    Done(&'static str),
    /// The CPE took the transfer with this CommandKey; its TransferComplete settles the task.
    Transferring(String),
    /// AddObject applied but the values not set: running it again would add a second
    /// instance.
    Added,
    /// Nothing says: its request may not have reached the CPE.
    Unknown,
}

/// What `evidence` says about task `task_id` (`spec`) whose last session ended while it ran.
pub fn verdict(spec: &TaskSpec, task_id: &str, evidence: &Evidence) -> Verdict {
    let reported = |key: &str| evidence.parameter_key.as_deref() == Some(key);
    let command = |method: MethodEvent, named: Option<&String>, proof: &'static str| {
        if evidence.command(&method, &task_key(named, task_id)) {
            Verdict::Done(proof)
        } else {
            Verdict::Unknown
        }
    };
    match spec {
        TaskSpec::SetParameterValues(SetValues { parameter_key, .. })
        | TaskSpec::DeleteObject(DeleteInstance { parameter_key, .. }) => {
            if reported(&task_key(parameter_key.as_ref(), task_id)) {
                Verdict::Done("ParameterKey")
            } else {
                Verdict::Unknown
            }
        }
        TaskSpec::AddObject(AddInstance {
            parameter_key,
            parameter_values,
            ..
        }) => {
            let key = task_key(parameter_key.as_ref(), task_id);
            let step = add_step_key(&key);
            if reported(&key) {
                Verdict::Done("ParameterKey")
            } else if !parameter_values.is_empty() && step != key && reported(&step) {
                Verdict::Added
            } else {
                Verdict::Unknown
            }
        }
        TaskSpec::Reboot(c) => command(MethodEvent::Reboot, c.command_key.as_ref(), "M Reboot"),
        TaskSpec::ScheduleInform(c) => command(
            MethodEvent::ScheduleInform,
            c.command_key.as_ref(),
            "M ScheduleInform",
        ),
        TaskSpec::Download(t) | TaskSpec::Upload(t) | TaskSpec::ScheduleDownload(t) => {
            let method = match spec {
                TaskSpec::Download(_) => MethodEvent::Download,
                TaskSpec::Upload(_) => MethodEvent::Upload,
                _ => MethodEvent::ScheduleDownload,
            };
            let key = task_key(t.command_key.as_ref(), task_id);
            if evidence.command(&method, &key) {
                Verdict::Transferring(key)
            } else {
                Verdict::Unknown
            }
        }
        TaskSpec::FactoryReset(_) if evidence.bootstrap => Verdict::Done("0 BOOTSTRAP"),
        _ => Verdict::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cwmp::rpc::{DeviceId, EventStruct, ParameterValueStruct};
    use cwmp::{DateTime, Value};

    fn inform(key: &str, events: &[(&str, &str)]) -> Inform {
        Inform {
            device_id: DeviceId {
                manufacturer: "M".into(),
                oui: "000000".into(),
                product_class: "P".into(),
                serial_number: "S".into(),
            },
            event: events
                .iter()
                .map(|(code, ck)| EventStruct {
                    event_code: code.parse().expect("event code"),
                    command_key: (*ck).to_owned(),
                })
                .collect(),
            max_envelopes: 1,
            current_time: DateTime::from_unix(0, 0).expect("epoch"),
            retry_count: 0,
            parameter_list: vec![ParameterValueStruct {
                name: "Device.ManagementServer.ParameterKey".into(),
                value: Value::String(key.into()),
            }],
        }
    }

    fn spec(json: serde_json::Value) -> TaskSpec {
        TaskSpec::from_stored(&json).expect("task")
    }

    #[test]
    fn a_set_is_done_when_the_inform_reports_its_key() {
        let set = spec(serde_json::json!({
            "name": "setParameterValues",
            "parameterValues": [["Device.X", "1"]],
        }));
        let ev = Evidence::of(&inform("t1", &[("1 BOOT", "")]));
        assert_eq!(verdict(&set, "t1", &ev), Verdict::Done("ParameterKey"));
        assert_eq!(verdict(&set, "t2", &ev), Verdict::Unknown);
    }

    #[test]
    fn an_add_with_values_reported_half_done_is_not_sent_again() {
        let add = spec(serde_json::json!({
            "name": "addObject",
            "objectName": "Device.NAT.PortMapping.",
            "parameterValues": [["Enable", true]],
        }));
        let ev = Evidence::of(&inform(&add_step_key("t1"), &[]));
        assert_eq!(verdict(&add, "t1", &ev), Verdict::Added);
        let ev = Evidence::of(&inform("t1", &[]));
        assert_eq!(verdict(&add, "t1", &ev), Verdict::Done("ParameterKey"));
    }

    #[test]
    fn reboot_and_transfers_are_proved_by_their_event_command_key() {
        let reboot = spec(serde_json::json!({ "name": "reboot" }));
        let ev = Evidence::of(&inform("", &[("1 BOOT", ""), ("M Reboot", "t1")]));
        assert_eq!(verdict(&reboot, "t1", &ev), Verdict::Done("M Reboot"));
        assert_eq!(verdict(&reboot, "t9", &ev), Verdict::Unknown);
        let download = spec(serde_json::json!({
            "name": "download", "fileType": "1 Firmware Upgrade Image", "url": "http://x/f",
        }));
        let ev = Evidence::of(&inform(
            "",
            &[("M Download", "t1"), ("7 TRANSFER COMPLETE", "")],
        ));
        assert_eq!(
            verdict(&download, "t1", &ev),
            Verdict::Transferring("t1".into())
        );
        let reset = spec(serde_json::json!({ "name": "factoryReset" }));
        let ev = Evidence::of(&inform("", &[("0 BOOTSTRAP", "")]));
        assert_eq!(verdict(&reset, "t1", &ev), Verdict::Done("0 BOOTSTRAP"));
    }
}
