//! AddObject / DeleteObject (TR-069 A.3.2.6, A.3.2.7).

use cwmp::FaultCode;

use super::get::Located;
use super::{AddObjectResult, ApplyStatus, Fault, check_parameter_key};
use crate::backend::Backend;
use crate::tree::Tree;

impl Tree {
    /// Checks that `path` names an existing table the ACS may add to, returning
    /// (row object, parent numbers). A.3.2.6: ObjectName must be a
    /// `.`-terminated multi-instance object path; anything else (unknown,
    /// single-instance, or a table the data model marks read-only) is 9005.
    fn addable_table(&self, path: &str, by_acs: bool) -> Result<(u32, Vec<u32>), Fault> {
        match self.locate(path) {
            Ok(Located::Table { obj, nums })
                if path.ends_with('.') && (!by_acs || self.model.obj(obj).writable) =>
            {
                Ok((obj, nums))
            }
            _ => Err(Fault::invalid_name(path)),
        }
    }

    /// Creates a row under an addable table: 9004 when `maxEntries` is reached or
    /// numbers are exhausted. Numbers only grow (never reused while the state lives).
    pub(crate) fn create_row(&mut self, obj: u32, nums: &[u32]) -> Result<u32, Fault> {
        let m = self.model.clone();
        if let Some(max) = m.obj(obj).max_entries {
            if self.st.row_count(obj, nums) >= max as usize {
                return Err(Fault::new(
                    FaultCode::RESOURCES_EXCEEDED,
                    format!("table {} is full ({max} entries)", m.object_path(obj, nums)),
                ));
            }
        }
        let n = self.st.next_number(obj, nums);
        if n == u32::MAX {
            return Err(Fault::new(
                FaultCode::RESOURCES_EXCEEDED,
                "instance numbers exhausted",
            ));
        }
        let mut row = nums.to_vec();
        row.push(n);
        self.st.create_instance(&m, obj, &row);
        Ok(n)
    }

    /// AddObject: creates a row with default values and its single-instance
    /// sub-objects; the ParameterKey is set on success.
    pub fn add_object(
        &mut self,
        path: &str,
        parameter_key: &str,
        backend: &mut dyn Backend,
    ) -> Result<AddObjectResult, Fault> {
        check_parameter_key(parameter_key)?;
        let (obj, nums) = self.addable_table(path, true)?;
        let n = self.create_row(obj, &nums)?;
        let mut row = nums;
        row.push(n);
        let status = match backend.object_added(&format!("{path}{n}.")) {
            Ok(s) => s,
            Err(e) => {
                // The number stays consumed: numbers are never reused.
                let m = self.model.clone();
                self.st.remove_subtree(&m, obj, &row);
                return Err(Fault::internal(e));
            }
        };
        self.st.parameter_key = parameter_key.into();
        Ok(AddObjectResult {
            instance_number: n,
            status,
        })
    }

    /// Checks that `path` names an existing row the ACS (or the CPE) may delete.
    /// A.3.2.7: anything else is 9005.
    fn deletable_row(&self, path: &str, by_acs: bool) -> Result<(u32, Vec<u32>), Fault> {
        match self.locate(path) {
            Ok(Located::Object { obj, nums })
                if path.ends_with('.')
                    && self.model.obj(obj).multi
                    && (!by_acs || self.model.obj(obj).writable) =>
            {
                Ok((obj, nums))
            }
            _ => Err(Fault::invalid_name(path)),
        }
    }

    /// DeleteObject: removes the row and its whole subtree; the ParameterKey is set on success.
    pub fn delete_object(
        &mut self,
        path: &str,
        parameter_key: &str,
        backend: &mut dyn Backend,
    ) -> Result<ApplyStatus, Fault> {
        check_parameter_key(parameter_key)?;
        let (obj, nums) = self.deletable_row(path, true)?;
        let status = backend.object_deleted(path).map_err(Fault::internal)?;
        let m = self.model.clone();
        self.st.remove_subtree(&m, obj, &nums);
        self.st.parameter_key = parameter_key.into();
        Ok(status)
    }

    /// Resolves a table for a CPE-side (local) add: read-only tables allowed.
    pub(crate) fn local_table(&self, path: &str) -> Result<(u32, Vec<u32>), Fault> {
        self.addable_table(path, false)
    }

    /// Resolves a row for a CPE-side (local) delete: read-only tables allowed.
    pub(crate) fn local_row(&self, path: &str) -> Result<(u32, Vec<u32>), Fault> {
        self.deletable_row(path, false)
    }
}
