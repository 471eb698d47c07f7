//! [`TaskRun`]: carrying out one task, one CWMP request at a time, each chosen from the
//! answers so far. No I/O: the session engine sends what [`Next::Send`] says and feeds the
//! answer back.
//!
//! - `refreshObject` reads names first (GetParameterNames of the subtree), then the values of
//!   the leaves in batches of [`GPV_BATCH`], as GenieACS does: never a GetParameterValues of
//!   an object path, which many CPEs (and genieacs-sim) cannot answer.
//! - `setParameterValues` sends each value in the device's own type, as GenieACS does (a
//!   type given with the value only stands in when the CPE reports none): parameters whose
//!   type the ACS does not know yet are read first.
//! - `addObject` with `parameterValues` adds the instance, then sets its values the same way.

use std::collections::{HashMap, VecDeque};

use cwmp::rpc::*;
use cwmp::{Body, XsdType};

use super::spec::{
    AddInstance, AttributeSpec, DeleteInstance, InvalidTask, Names, NamesOf, Scalar, SetAttributes,
    SetValues, TaskSpec, TransferSpec, ValueSpec,
};
use super::{keys, typed, xsd_type};

/// Most parameters read by one GetParameterValues of a refresh (GenieACS's
/// `cwmp.gpvBatchSize` default).
pub const GPV_BATCH: usize = 32;

/// Most leaves one refresh reads; a CPE listing more faults the task, which says so.
const MAX_REFRESH_LEAVES: usize = 100_000;

/// Most separate reads of the stored tree to plan one task; past it the whole tree is read
/// once.
const MAX_FACT_READS: usize = 16;

/// What to do after a step.
#[derive(Debug, Clone, PartialEq)]
pub enum Next {
    /// Send this request.
    Send(Body),
    /// The task is complete.
    Done,
}

/// What the ACS knows of the device's tree: each stored path and its value's type.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    types: HashMap<String, Option<XsdType>>,
}

impl Facts {
    /// From stored `(path, type)` pairs (objects end in `.`).
    pub fn new(known: impl IntoIterator<Item = (String, Option<XsdType>)>) -> Facts {
        Facts {
            types: known.into_iter().collect(),
        }
    }

    fn ty(&self, path: &str) -> Option<XsdType> {
        self.types.get(path).copied().flatten()
    }

    fn is_leaf(&self, path: &str) -> bool {
        !path.ends_with('.') && self.types.contains_key(path)
    }

    fn is_object(&self, path: &str) -> bool {
        self.types.contains_key(&format!("{path}."))
    }

    /// The type of `rel` in any instance of `object` (e.g. `Device.NAT.PortMapping.1.` +
    /// `ExternalPort`), for the values of a new instance.
    fn sibling_type(&self, object: &str, rel: &str) -> Option<XsdType> {
        self.types.iter().find_map(|(p, t)| {
            let rest = p.strip_prefix(object)?;
            let (instance, tail) = rest.split_once('.')?;
            (tail == rel && instance.bytes().all(|b| b.is_ascii_digit())).then_some(*t)?
        })
    }
}

/// One task in progress.
#[derive(Debug)]
pub struct TaskRun {
    plan: Plan,
}

#[derive(Debug)]
enum Plan {
    Fixed(VecDeque<Body>),
    Refresh(Reading),
    Set(Setting),
    Add {
        object: String,
        key: String,
        values: Vec<ValueSpec>,
        facts: Facts,
        set: Option<Setting>,
    },
}

/// Names first, then the leaves' values in batches.
#[derive(Debug)]
struct Reading {
    first: Option<Body>,
    /// A path without its trailing dot that the stored tree does not know: its parent is
    /// listed first to learn whether it is a parameter or an object (GenieACS's paths have
    /// no dot, and a CPE faults 9005 on a leaf name with one added).
    probe: Option<String>,
    leaves: VecDeque<String>,
}

fn names_of(path: String) -> Body {
    GetParameterNames {
        parameter_path: path,
        next_level: false,
    }
    .into()
}

impl Reading {
    fn new(path: &str, facts: &Facts) -> Reading {
        let mut probe = None;
        let first: Body = if facts.is_leaf(path) {
            GetParameterValues {
                parameter_names: vec![path.to_owned()],
            }
            .into()
        } else if path.is_empty() || path.ends_with('.') {
            names_of(path.to_owned())
        } else if facts.is_object(path) {
            names_of(format!("{path}."))
        } else if let Some((parent, _)) = path.rsplit_once('.') {
            probe = Some(path.to_owned());
            GetParameterNames {
                parameter_path: format!("{parent}."),
                next_level: true,
            }
            .into()
        } else {
            names_of(format!("{path}."))
        };
        Reading {
            first: Some(first),
            probe,
            leaves: VecDeque::new(),
        }
    }

    fn next(&mut self, answer: Option<&Body>) -> Result<Next, InvalidTask> {
        if let Some(first) = self.first.take() {
            return Ok(Next::Send(first));
        }
        if let (Some(path), Some(Body::GetParameterNamesResponse(r))) = (self.probe.take(), answer)
        {
            let object = format!("{path}.");
            if r.parameter_list.iter().any(|p| p.name == object) {
                return Ok(Next::Send(names_of(object)));
            }
            if r.parameter_list.iter().any(|p| p.name == path) {
                self.leaves.push_back(path);
            }
            return self.next_batch();
        }
        if let Some(Body::GetParameterNamesResponse(r)) = answer {
            self.leaves = r
                .parameter_list
                .iter()
                .filter(|p| !p.name.ends_with('.'))
                .map(|p| p.name.clone())
                .collect();
            if self.leaves.len() > MAX_REFRESH_LEAVES {
                return Err(InvalidTask(format!(
                    "the CPE listed {} parameters; a refresh reads at most {MAX_REFRESH_LEAVES}: \
                     refresh a smaller subtree",
                    self.leaves.len()
                )));
            }
        }
        self.next_batch()
    }

    fn next_batch(&mut self) -> Result<Next, InvalidTask> {
        if self.leaves.is_empty() {
            return Ok(Next::Done);
        }
        let n = self.leaves.len().min(GPV_BATCH);
        Ok(Next::Send(
            GetParameterValues {
                parameter_names: self.leaves.drain(..n).collect(),
            }
            .into(),
        ))
    }
}

/// A value to set: the device's type once known, the caller's as a fallback.
#[derive(Debug)]
struct ToSet {
    path: String,
    value: Scalar,
    device_ty: Option<XsdType>,
    declared: Option<XsdType>,
}

/// Values to set, with the types still to learn read first.
#[derive(Debug)]
struct Setting {
    values: Vec<ToSet>,
    key: String,
    read: bool,
    sent: bool,
}

impl Setting {
    fn new(values: Vec<ToSet>, key: String) -> Setting {
        Setting {
            values,
            key,
            read: false,
            sent: false,
        }
    }

    fn next(&mut self, answer: Option<&Body>) -> Result<Next, InvalidTask> {
        if let Some(Body::GetParameterValuesResponse(r)) = answer {
            for p in &r.parameter_list {
                if let Some(v) = self.values.iter_mut().find(|v| v.path == p.name) {
                    v.device_ty = v.device_ty.or(p.value.xsd_type());
                }
            }
        }
        if self.sent {
            return Ok(Next::Done);
        }
        let unknown: Vec<String> = self
            .values
            .iter()
            .filter(|v| v.device_ty.is_none())
            .map(|v| v.path.clone())
            .collect();
        if !self.read && !unknown.is_empty() {
            self.read = true;
            return Ok(Next::Send(
                GetParameterValues {
                    parameter_names: unknown,
                }
                .into(),
            ));
        }
        let parameter_list = self
            .values
            .iter()
            .map(|v| {
                let value = typed(&v.value, v.device_ty.or(v.declared))
                    .map_err(|e| InvalidTask(format!("{}: {}", v.path, e.0)))?;
                Ok(ParameterValueStruct {
                    name: v.path.clone(),
                    value,
                })
            })
            .collect::<Result<Vec<_>, InvalidTask>>()?;
        self.sent = true;
        Ok(Next::Send(
            SetParameterValues {
                parameter_list,
                parameter_key: self.key.clone(),
            }
            .into(),
        ))
    }
}

fn declared(ty: Option<&str>) -> Option<XsdType> {
    ty.and_then(xsd_type)
}

impl TaskRun {
    /// The subtrees of the device's stored tree that planning `spec` needs as [`Facts`]
    /// (none: no read at all; past [`MAX_FACT_READS`] paths, `""`: the whole tree once).
    pub fn fact_prefixes(spec: &TaskSpec) -> Vec<String> {
        let prefixes: Vec<String> = match spec {
            TaskSpec::SetParameterValues(s) => {
                s.parameter_values.iter().map(|v| v.path.clone()).collect()
            }
            TaskSpec::RefreshObject(r)
                if !r.object_name.is_empty() && !r.object_name.ends_with('.') =>
            {
                vec![r.object_name.clone()]
            }
            TaskSpec::AddObject(a) if !a.parameter_values.is_empty() => {
                vec![a.object_name.clone()]
            }
            _ => Vec::new(),
        };
        if prefixes.len() > MAX_FACT_READS {
            return vec![String::new()];
        }
        prefixes
    }

    /// Plans task `task_id`; transfers must name their URL by now (stored files resolved).
    pub fn new(spec: &TaskSpec, task_id: &str, facts: Facts) -> Result<TaskRun, InvalidTask> {
        let plan = match spec {
            TaskSpec::RefreshObject(r) => Plan::Refresh(Reading::new(&r.object_name, &facts)),
            TaskSpec::SetParameterValues(SetValues {
                parameter_values,
                parameter_key,
            }) => {
                let values = parameter_values
                    .iter()
                    .map(|v| ToSet {
                        path: v.path.clone(),
                        value: v.value.clone(),
                        device_ty: facts.ty(&v.path),
                        declared: declared(v.ty.as_deref()),
                    })
                    .collect();
                Plan::Set(Setting::new(
                    values,
                    keys::task_key(parameter_key.as_ref(), task_id),
                ))
            }
            TaskSpec::AddObject(AddInstance {
                object_name,
                parameter_values,
                parameter_key,
            }) => Plan::Add {
                object: object_name.clone(),
                key: keys::task_key(parameter_key.as_ref(), task_id),
                values: parameter_values.clone(),
                facts,
                set: None,
            },
            other => Plan::Fixed(VecDeque::from([single(other, task_id)?])),
        };
        Ok(TaskRun { plan })
    }

    /// The first request.
    pub fn start(&mut self) -> Result<Next, InvalidTask> {
        self.step(None)
    }

    /// The CPE answered the last request with `answer` (not a fault): what comes next.
    pub fn answered(&mut self, answer: &Body) -> Result<Next, InvalidTask> {
        self.step(Some(answer))
    }

    fn step(&mut self, answer: Option<&Body>) -> Result<Next, InvalidTask> {
        match &mut self.plan {
            Plan::Fixed(steps) => Ok(steps.pop_front().map_or(Next::Done, Next::Send)),
            Plan::Refresh(r) => r.next(answer),
            Plan::Set(s) => s.next(answer),
            Plan::Add {
                object,
                key,
                values,
                facts,
                set,
            } => {
                if let Some(set) = set {
                    return set.next(answer);
                }
                match answer {
                    None => Ok(Next::Send(
                        AddObject {
                            object_name: object.clone(),
                            // Values to set after it: the key says "added, not set yet" until
                            // the SetParameterValues carries the task's own.
                            parameter_key: if values.is_empty() {
                                key.clone()
                            } else {
                                keys::add_step_key(key)
                            },
                        }
                        .into(),
                    )),
                    Some(Body::AddObjectResponse(r)) if !values.is_empty() => {
                        let instance = format!("{object}{}.", r.instance_number);
                        let list = values
                            .iter()
                            .map(|v| ToSet {
                                path: format!("{instance}{}", v.path),
                                value: v.value.clone(),
                                device_ty: facts.sibling_type(object, &v.path),
                                declared: declared(v.ty.as_deref()),
                            })
                            .collect();
                        set.insert(Setting::new(list, key.clone())).next(None)
                    }
                    Some(_) => Ok(Next::Done),
                }
            }
        }
    }
}

fn or_id(key: &Option<String>, task_id: &str) -> String {
    keys::task_key(key.as_ref(), task_id)
}

/// What every transfer request carries: its key, what and where, and the credentials.
struct Wire {
    command_key: String,
    file_type: String,
    url: String,
    username: String,
    password: String,
}

impl Wire {
    /// The transfer of task `task_id`, whose URL must be resolved by now.
    fn of(t: &TransferSpec, task_id: &str) -> Result<Wire, InvalidTask> {
        let url = t
            .url
            .clone()
            .ok_or_else(|| InvalidTask("the transfer's URL is not resolved".into()))?;
        let file_type = t
            .file_type
            .clone()
            .ok_or_else(|| InvalidTask("fileType is required".into()))?;
        Ok(Wire {
            command_key: or_id(&t.command_key, task_id),
            file_type,
            url,
            username: t.username.clone().unwrap_or_default(),
            password: t.password.clone().unwrap_or_default(),
        })
    }
}

/// The one request of a task that needs one.
fn single(spec: &TaskSpec, task_id: &str) -> Result<Body, InvalidTask> {
    Ok(match spec {
        TaskSpec::GetParameterValues(Names { parameter_names }) => GetParameterValues {
            parameter_names: parameter_names.clone(),
        }
        .into(),
        TaskSpec::GetParameterNames(NamesOf {
            parameter_path,
            next_level,
        }) => GetParameterNames {
            parameter_path: parameter_path.clone(),
            next_level: *next_level,
        }
        .into(),
        TaskSpec::GetParameterAttributes(Names { parameter_names }) => GetParameterAttributes {
            parameter_names: parameter_names.clone(),
        }
        .into(),
        TaskSpec::SetParameterAttributes(SetAttributes {
            parameter_attributes,
        }) => SetParameterAttributes {
            parameter_list: parameter_attributes
                .iter()
                .map(
                    |AttributeSpec(name, notification, access)| SetParameterAttributesStruct {
                        name: name.clone(),
                        notification_change: notification.is_some(),
                        notification: Notification::from_value(notification.unwrap_or(0)),
                        access_list_change: access.is_some(),
                        access_list: access.clone().unwrap_or_default(),
                    },
                )
                .collect(),
        }
        .into(),
        TaskSpec::DeleteObject(DeleteInstance {
            object_name,
            parameter_key,
        }) => DeleteObject {
            object_name: object_name.clone(),
            parameter_key: keys::task_key(parameter_key.as_ref(), task_id),
        }
        .into(),
        TaskSpec::Reboot(c) => Reboot {
            command_key: or_id(&c.command_key, task_id),
        }
        .into(),
        TaskSpec::FactoryReset(_) => FactoryReset {}.into(),
        TaskSpec::GetRpcMethods(_) => GetRPCMethods {}.into(),
        TaskSpec::GetQueuedTransfers(_) => GetQueuedTransfers {}.into(),
        TaskSpec::GetAllQueuedTransfers(_) => GetAllQueuedTransfers {}.into(),
        TaskSpec::ScheduleInform(c) => ScheduleInform {
            delay_seconds: c.delay_seconds.unwrap_or(0),
            command_key: or_id(&c.command_key, task_id),
        }
        .into(),
        TaskSpec::Download(t) => {
            let w = Wire::of(t, task_id)?;
            Download {
                command_key: w.command_key,
                file_type: w.file_type,
                url: w.url,
                username: w.username,
                password: w.password,
                file_size: t.file_size.unwrap_or(0),
                target_file_name: t.target_file_name.clone().unwrap_or_default(),
                delay_seconds: t.delay_seconds.unwrap_or(0),
                success_url: t.success_url.clone().unwrap_or_default(),
                failure_url: t.failure_url.clone().unwrap_or_default(),
            }
            .into()
        }
        TaskSpec::ScheduleDownload(t) => {
            let w = Wire::of(t, task_id)?;
            ScheduleDownload {
                command_key: w.command_key,
                file_type: w.file_type,
                url: w.url,
                username: w.username,
                password: w.password,
                file_size: t.file_size.unwrap_or(0),
                target_file_name: t.target_file_name.clone().unwrap_or_default(),
                time_window_list: t
                    .time_windows
                    .iter()
                    .map(|w| TimeWindowStruct {
                        window_start: w.window_start,
                        window_end: w.window_end,
                        window_mode: w.window_mode.clone(),
                        user_message: w.user_message.clone().unwrap_or_default(),
                        max_retries: w.max_retries.unwrap_or(-1),
                    })
                    .collect(),
            }
            .into()
        }
        TaskSpec::Upload(t) => {
            let w = Wire::of(t, task_id)?;
            Upload {
                command_key: w.command_key,
                file_type: w.file_type,
                url: w.url,
                username: w.username,
                password: w.password,
                delay_seconds: t.delay_seconds.unwrap_or(0),
            }
            .into()
        }
        TaskSpec::CancelTransfer(c) => CancelTransfer {
            command_key: c.command_key.clone(),
        }
        .into(),
        TaskSpec::RefreshObject(_) | TaskSpec::SetParameterValues(_) | TaskSpec::AddObject(_) => {
            return Err(InvalidTask("not a single-request task".into()));
        }
    })
}

#[cfg(test)]
mod tests;
