//! GetParameterNames (TR-069 A.3.2.3).

use cwmp::FaultCode;
use cwmp::rpc::ParameterInfoStruct;

use super::Fault;
use super::get::Located;
use crate::tree::{Item, Tree};

impl Tree {
    fn info_of(&self, item: &Item<'_>) -> ParameterInfoStruct {
        let m = &self.model;
        match *item {
            Item::Object { obj, nums } => ParameterInfoStruct {
                name: m.object_path(obj, nums),
                // A row is writable if it may be deleted (A.3.2.3, Writable).
                writable: m.obj(obj).multi && m.obj(obj).writable,
            },
            Item::Table { obj, nums } => ParameterInfoStruct {
                name: m.object_path(obj, nums),
                // A table is writable if AddObject is allowed.
                writable: m.obj(obj).writable,
            },
            Item::Param { param, nums, inst } => ParameterInfoStruct {
                name: m.param_path(param, nums),
                writable: self.param_writable(param, inst),
            },
        }
    }

    /// True if the ACS may set this parameter now (`writeOnceReadOnly`: while
    /// it is empty or still holds a CPE-assigned `cpe-` alias).
    pub(crate) fn param_writable(&self, param: u32, inst: &crate::tree::Instance) -> bool {
        use crate::schema::ParamAccess;
        let m = &self.model;
        match m.param(param).access {
            ParamAccess::ReadOnly => false,
            ParamAccess::ReadWrite => m.param(param).derived.is_none(),
            ParamAccess::WriteOnceReadOnly => {
                let v = inst.value(m, param);
                v.is_empty() || v.starts_with("cpe-")
            }
        }
    }

    /// GetParameterNames. `NextLevel` false: the named node and everything below;
    /// true: its immediate children only (the empty path: just the root object).
    /// A full parameter name with `NextLevel` true is fault 9003 (A.3.2.3).
    pub fn get_parameter_names(
        &self,
        path: &str,
        next_level: bool,
    ) -> Result<Vec<ParameterInfoStruct>, Fault> {
        let m = &self.model;
        if path.is_empty() && next_level {
            return Ok(vec![ParameterInfoStruct {
                name: m.root_path().to_owned(),
                writable: false,
            }]);
        }
        let at = self.locate(path)?;
        let mut out = Vec::new();
        match (&at, next_level) {
            (Located::Param { param, nums }, false) => {
                if let Some(inst) = self.st.get(m.param(*param).object, nums) {
                    out.push(self.info_of(&Item::Param {
                        param: *param,
                        nums,
                        inst,
                    }));
                }
            }
            (Located::Param { .. }, true) => {
                return Err(Fault::new(
                    FaultCode::INVALID_ARGUMENTS,
                    format!("NextLevel true on parameter {path:?}"),
                ));
            }
            (Located::Object { obj, nums }, false) => {
                if let Some(inst) = self.st.get(*obj, nums) {
                    self.st
                        .walk(m, *obj, nums, inst, &mut |i| out.push(self.info_of(&i)));
                }
            }
            (Located::Table { obj, nums }, false) => {
                self.st
                    .walk_child(m, *obj, nums, &mut |i| out.push(self.info_of(&i)));
            }
            (Located::Object { obj, nums }, true) => {
                if let Some(inst) = self.st.get(*obj, nums) {
                    let (a, b) = m.obj(*obj).params;
                    for local in 0..b - a {
                        out.push(self.info_of(&Item::Param {
                            param: a + local,
                            nums,
                            inst,
                        }));
                    }
                    for &c in m.obj(*obj).children.iter() {
                        if m.obj(c).multi {
                            out.push(self.info_of(&Item::Table { obj: c, nums }));
                        } else if self.st.exists(c, nums) {
                            out.push(self.info_of(&Item::Object { obj: c, nums }));
                        }
                    }
                }
            }
            (Located::Table { obj, nums }, true) => {
                for (k, _) in self.st.rows(*obj, nums) {
                    out.push(self.info_of(&Item::Object {
                        obj: *obj,
                        nums: &k[1..],
                    }));
                }
            }
        }
        Ok(out)
    }
}
