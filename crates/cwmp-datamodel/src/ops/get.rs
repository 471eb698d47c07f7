//! GetParameterValues (TR-069 A.3.2.2) and the name lookup shared by the RPCs.

use std::collections::HashSet;

use cwmp::Value;
use cwmp::rpc::ParameterValueStruct;

use super::Fault;
use crate::backend::{Backend, LiveRead};
use crate::model::{Model, Resolved, xsd_type};
use crate::tree::{Instance, Item, Tree};

/// An existing node named in a request.
pub(crate) enum Located {
    /// An object instance (the empty path: the root).
    Object { obj: u32, nums: Vec<u32> },
    /// A table; `nums` are the parent's.
    Table { obj: u32, nums: Vec<u32> },
    /// A parameter.
    Param { param: u32, nums: Vec<u32> },
}

/// Text typed by the parameter's schema type; text that does not parse is sent as `Other`.
pub(crate) fn typed(model: &Model, param: u32, text: &str) -> Value {
    let syn = model.param_syntax(param);
    match syn.wire_type() {
        Some(cwmp::XsdType::String) => Value::String(text.to_owned()),
        Some(t) => Value::parse(t, text).unwrap_or_else(|_| Value::Other {
            xsi_type: t.wire_name().to_owned(),
            text: text.to_owned(),
        }),
        None => Value::Other {
            xsi_type: "decimal".to_owned(),
            text: text.to_owned(),
        },
    }
}

impl Tree {
    /// Resolves a name from a request to an existing node; 9005 otherwise.
    pub(crate) fn locate(&self, name: &str) -> Result<Located, Fault> {
        if name.is_empty() {
            return Ok(Located::Object {
                obj: 0,
                nums: Vec::new(),
            });
        }
        let m = &self.model;
        let found = match m.resolve(name) {
            Some(Resolved::Object { obj, nums }) => self
                .st
                .exists(obj, &nums)
                .then_some(Located::Object { obj, nums }),
            Some(Resolved::Table { obj, nums }) => self
                .st
                .exists(m.obj(obj).parent.unwrap_or(0), &nums)
                .then_some(Located::Table { obj, nums }),
            Some(Resolved::Param { param, nums }) => self
                .st
                .exists(m.param(param).object, &nums)
                .then_some(Located::Param { param, nums }),
            None => None,
        };
        found.ok_or_else(|| Fault::invalid_name(name))
    }

    /// Calls `f` for every parameter (with its instance) at or below a located node.
    pub(crate) fn each_param<'a>(
        &'a self,
        at: &'a Located,
        f: &mut dyn FnMut(u32, &'a [u32], &'a Instance),
    ) {
        let m = &self.model;
        let mut visit = |item: Item<'a>| {
            if let Item::Param { param, nums, inst } = item {
                f(param, nums, inst);
            }
        };
        match at {
            Located::Object { obj, nums } => {
                if let Some(inst) = self.st.get(*obj, nums) {
                    self.st.walk(m, *obj, nums, inst, &mut visit);
                }
            }
            Located::Table { obj, nums } => self.st.walk_child(m, *obj, nums, &mut visit),
            Located::Param { param, nums } => {
                if let Some(inst) = self.st.get(m.param(*param).object, nums) {
                    f(*param, nums, inst);
                }
            }
        }
    }

    /// The value a GetParameterValues reports: live from the backend, derived,
    /// the null value for hidden/secured/command parameters (TR-106 A.2.3.5), or stored.
    pub(crate) fn read_text(
        &self,
        param: u32,
        nums: &[u32],
        inst: &Instance,
        backend: &dyn Backend,
    ) -> String {
        let m = &self.model;
        let p = m.param(param);
        let syn = &m.param_syntax(param).syntax;
        if syn.reads_as_null() {
            return syn.base.null_value().to_owned();
        }
        if backend.is_live(&p.path) {
            let req = LiveRead {
                model: m,
                st: &self.st,
                obj: p.object,
                nums,
                schema_path: &p.path,
            };
            if let Some(v) = backend.read(&req) {
                return v;
            }
        }
        self.derived_or_stored(param, nums, inst)
    }

    /// Typed value of one parameter instance.
    pub(crate) fn read_value(
        &self,
        param: u32,
        nums: &[u32],
        inst: &Instance,
        backend: &dyn Backend,
    ) -> Value {
        typed(
            &self.model,
            param,
            &self.read_text(param, nums, inst, backend),
        )
    }

    /// GetParameterValues: full names, partial paths (`.`-terminated: the whole
    /// subtree) or the empty string (whole tree). Any unknown name fails the call
    /// with 9005 (A.3.2.2); a parameter named twice is reported once.
    pub fn get_parameter_values<S: AsRef<str>>(
        &self,
        names: &[S],
        backend: &dyn Backend,
    ) -> Result<Vec<ParameterValueStruct>, Fault> {
        let located = names
            .iter()
            .map(|n| self.locate(n.as_ref()))
            .collect::<Result<Vec<_>, _>>()?;
        let mut out = Vec::new();
        let mut seen: HashSet<(u32, &[u32])> = HashSet::new();
        let dedup = located.len() > 1;
        for at in &located {
            self.each_param(at, &mut |param, nums, inst| {
                if dedup && !seen.insert((param, nums)) {
                    return;
                }
                out.push(ParameterValueStruct {
                    name: self.model.param_path(param, nums),
                    value: self.read_value(param, nums, inst, backend),
                });
            });
        }
        Ok(out)
    }

    /// Typed value xsi:type name of a parameter (e.g. `unsignedInt`; `decimal`).
    pub fn parameter_type(&self, path: &str) -> Option<&'static str> {
        match self.model.resolve(path)? {
            Resolved::Param { param, .. } => Some(
                xsd_type(self.model.param_syntax(param).syntax.base)
                    .filter(|_| self.model.param_syntax(param).syntax.list.is_none())
                    .map_or("string", |t| t.wire_name()),
            ),
            _ => None,
        }
    }
}
