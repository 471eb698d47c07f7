//! SetParameterValues (TR-069 A.3.2.1): all or nothing.

use std::collections::HashMap;

use cwmp::FaultCode;
use cwmp::rpc::ParameterValueStruct;

use super::get::Located;
use super::{ApplyStatus, Fault, ParameterFault, check_parameter_key};
use crate::backend::{Backend, BackendError, Change};
use crate::tree::Tree;
use crate::validate::{ValueFault, check_value};

/// A validated change waiting to be committed.
struct Pending {
    param: u32,
    nums: Vec<u32>,
    path: String,
    text: String,
    previous: String,
}

impl Tree {
    /// SetParameterValues. Every parameter is checked first (9005 unknown,
    /// 9008 read-only, 9006 wrong `xsi:type`, 9007 bad value); if any fails,
    /// the call fails with 9003 listing each failing parameter and nothing
    /// changes (A.3.2.1). Otherwise the backend applies the changes, the values
    /// and the ParameterKey are committed, and its status (0/1) is returned.
    pub fn set_parameter_values(
        &mut self,
        values: &[ParameterValueStruct],
        parameter_key: &str,
        backend: &mut dyn Backend,
    ) -> Result<ApplyStatus, Fault> {
        check_parameter_key(parameter_key)?;
        let mut faults = Vec::new();
        let mut pending = Vec::with_capacity(values.len());
        let mut seen: HashMap<&str, usize> = HashMap::new();
        for pv in values {
            let name = pv.name.as_str();
            let fault = |code, message: String| ParameterFault {
                name: name.to_owned(),
                code,
                message,
            };
            // A.3.2.1: a parameter may appear only once in ParameterList.
            let count = seen.entry(name).or_insert(0);
            *count += 1;
            if *count == 2 {
                faults.push(fault(
                    FaultCode::INVALID_ARGUMENTS,
                    "parameter given more than once".into(),
                ));
            }
            if *count > 1 {
                continue;
            }
            let (param, nums) = match self.locate(name) {
                Ok(Located::Param { param, nums }) if !name.is_empty() => (param, nums),
                _ => {
                    faults.push(fault(
                        FaultCode::INVALID_PARAMETER_NAME,
                        "no such parameter".into(),
                    ));
                    continue;
                }
            };
            let m = &self.model;
            let Some(inst) = self.st.get(m.param(param).object, &nums) else {
                faults.push(fault(
                    FaultCode::INVALID_PARAMETER_NAME,
                    "no such parameter".into(),
                ));
                continue;
            };
            if !self.param_writable(param, inst) {
                faults.push(fault(
                    FaultCode::NON_WRITABLE_PARAMETER,
                    "parameter is not writable".into(),
                ));
                continue;
            }
            match check_value(m.param_syntax(param), &pv.value) {
                Ok(text) => pending.push(Pending {
                    previous: inst.value(m, param).to_owned(),
                    param,
                    nums,
                    path: name.to_owned(),
                    text,
                }),
                Err(ValueFault::Type(msg)) => {
                    faults.push(fault(FaultCode::INVALID_PARAMETER_TYPE, msg));
                }
                Err(ValueFault::Value(msg)) => {
                    faults.push(fault(FaultCode::INVALID_PARAMETER_VALUE, msg));
                }
            }
        }
        if !faults.is_empty() {
            return Err(Fault {
                code: FaultCode::INVALID_ARGUMENTS,
                message: "invalid arguments".into(),
                parameters: faults,
            });
        }
        let m = self.model.clone();
        let changes: Vec<Change<'_>> = pending
            .iter()
            .map(|p| Change {
                path: &p.path,
                schema_path: &m.param(p.param).path,
                value: &p.text,
                previous: &p.previous,
            })
            .collect();
        let status = backend.apply(&changes).map_err(apply_fault)?;
        for p in pending {
            self.st.store(&m, p.param, &p.nums, p.text.into());
        }
        self.st.parameter_key = parameter_key.into();
        Ok(status)
    }
}

/// The fault of a backend that did not apply a SetParameterValues: 9003 with 9007 (value
/// refused) or 9002 (applying failed) per parameter when it names them, else 9002.
fn apply_fault(e: BackendError) -> Fault {
    match e {
        BackendError::Parameters(list) if !list.is_empty() => Fault {
            code: FaultCode::INVALID_ARGUMENTS,
            message: "the device did not apply the values (nothing changed)".into(),
            parameters: list
                .into_iter()
                .map(|f| ParameterFault {
                    name: f.path,
                    code: if f.invalid_value {
                        FaultCode::INVALID_PARAMETER_VALUE
                    } else {
                        FaultCode::INTERNAL_ERROR
                    },
                    message: f.message,
                })
                .collect(),
        },
        other => Fault::internal(other),
    }
}
