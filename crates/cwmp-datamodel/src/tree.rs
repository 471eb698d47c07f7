//! A device's instance tree over a shared [`Model`]: which instances exist,
//! their stored values and attributes, next instance numbers, ParameterKey
//! and pending value changes.
//!
//! Instances live in one ordered map keyed by `[object, n1, n2, …]`, so the
//! rows of a table under one parent are a contiguous key range.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Bound;
use std::sync::Arc;

use cwmp::Value;

use crate::model::{Model, Resolved};

/// Key of an instance: the model object index followed by its instance numbers.
pub(crate) type Key = Box<[u32]>;

/// Stored attributes of one parameter (TR-069 A.3.2.4).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Attr {
    /// 0 off, 1 passive, 2 active, 3–6 lightweight variants.
    pub notification: u8,
    /// AccessList contains `Subscriber`.
    pub subscriber: bool,
}

/// One object instance: values by local parameter index, sparse attributes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Instance {
    /// Values differing from the model's initial ones, sorted by local
    /// parameter index (sparse: most values of most devices are the defaults).
    pub values: Vec<(u32, Box<str>)>,
    /// Non-default attributes, sorted by local parameter index.
    pub attrs: Vec<(u32, Attr)>,
}

impl Instance {
    /// The stored text of a local parameter whose model index is `param`.
    pub fn value<'a>(&'a self, model: &'a Model, param: u32) -> &'a str {
        let local = model.local(param) as u32;
        match self.values.binary_search_by_key(&local, |v| v.0) {
            Ok(i) => &self.values[i].1,
            Err(_) => &model.param(param).initial,
        }
    }

    /// The stored attribute of a local parameter, if any.
    pub fn attr(&self, local: u32) -> Option<Attr> {
        self.attrs
            .binary_search_by_key(&local, |a| a.0)
            .ok()
            .map(|i| self.attrs[i].1)
    }

    /// Sets (or clears, when equal to `default`) a stored attribute.
    pub fn set_attr(&mut self, local: u32, attr: Attr, default: Attr) {
        match self.attrs.binary_search_by_key(&local, |a| a.0) {
            Ok(i) if attr == default => {
                self.attrs.remove(i);
            }
            Ok(i) => self.attrs[i].1 = attr,
            Err(_) if attr == default => {}
            Err(i) => self.attrs.insert(i, (local, attr)),
        }
    }
}

/// The mutable part of a device.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct State {
    pub instances: BTreeMap<Key, Instance>,
    /// `[table object, parent numbers…]` → next instance number.
    pub next: BTreeMap<Key, u32>,
    pub parameter_key: Box<str>,
    /// Parameters whose value changed for a notification: `[param, numbers…]`.
    pub changed: BTreeSet<Key>,
    /// An active notification is waiting for a session.
    pub active_pending: bool,
}

pub(crate) fn key(head: u32, nums: &[u32]) -> Vec<u32> {
    let mut k = Vec::with_capacity(nums.len() + 1);
    k.push(head);
    k.extend_from_slice(nums);
    k
}

/// One node met while walking a subtree.
pub(crate) enum Item<'a> {
    /// An object instance.
    Object { obj: u32, nums: &'a [u32] },
    /// A table (before its rows); `nums` are the parent's.
    Table { obj: u32, nums: &'a [u32] },
    /// A parameter of an instance.
    Param {
        param: u32,
        nums: &'a [u32],
        inst: &'a Instance,
    },
}

impl State {
    /// True if the instance exists.
    pub fn exists(&self, obj: u32, nums: &[u32]) -> bool {
        self.instances.contains_key(key(obj, nums).as_slice())
    }

    /// The instance, if it exists.
    pub fn get(&self, obj: u32, nums: &[u32]) -> Option<&Instance> {
        self.instances.get(key(obj, nums).as_slice())
    }

    /// The instance, mutably.
    pub fn get_mut(&mut self, obj: u32, nums: &[u32]) -> Option<&mut Instance> {
        self.instances.get_mut(key(obj, nums).as_slice())
    }

    /// Rows of table `obj` under the parent instance `parent` (keys and instances).
    pub fn rows<'a>(
        &'a self,
        obj: u32,
        parent: &[u32],
    ) -> impl Iterator<Item = (&'a Key, &'a Instance)> + 'a {
        let mut lo = key(obj, parent);
        let mut hi = lo.clone();
        lo.push(0);
        hi.push(u32::MAX);
        self.instances
            .range::<[u32], _>((Bound::Included(&lo[..]), Bound::Included(&hi[..])))
    }

    /// Number of rows of table `obj` under `parent`.
    pub fn row_count(&self, obj: u32, parent: &[u32]) -> usize {
        self.rows(obj, parent).count()
    }

    /// Instance numbers of every instance of `obj`.
    pub fn instances_of(&self, obj: u32) -> Vec<Vec<u32>> {
        self.instances
            .range::<[u32], _>((Bound::Included(&[obj][..]), Bound::Excluded(&[obj + 1][..])))
            .map(|(k, _)| k[1..].to_vec())
            .collect()
    }

    /// The next instance number of table `obj` under `parent`.
    pub fn next_number(&self, obj: u32, parent: &[u32]) -> u32 {
        self.next
            .get(key(obj, parent).as_slice())
            .copied()
            .unwrap_or(1)
    }

    /// Creates an instance with initial values, plus its single-instance
    /// descendants; raises the table's next number past it.
    pub fn create_instance(&mut self, model: &Model, obj: u32, nums: &[u32]) {
        let o = model.obj(obj);
        let (a, _) = o.params;
        let mut values = Vec::new();
        if let (Some(alias), Some(&n)) = (o.alias, nums.last()) {
            if model.param(a + alias).initial.is_empty() {
                // TR-181 Alias: a CPE-assigned value starts with "cpe-".
                values.push((alias, format!("cpe-{n}").into()));
            }
        }

        let attrs = Vec::new();
        self.instances
            .insert(key(obj, nums).into(), Instance { values, attrs });
        if o.multi {
            if let Some((&n, parent)) = nums.split_last() {
                let next = self.next.entry(key(obj, parent).into()).or_insert(1);
                *next = (*next).max(n.saturating_add(1));
            }
        }
        for &c in model.obj(obj).children.iter() {
            if !model.obj(c).multi {
                self.create_instance(model, c, nums);
            }
        }
    }

    /// Removes an instance and its whole subtree (rows, counters, pending changes).
    pub fn remove_subtree(&mut self, model: &Model, obj: u32, nums: &[u32]) {
        let mut objs = vec![obj];
        let mut i = 0;
        while let Some(&o) = objs.get(i) {
            objs.extend(model.obj(o).children.iter().copied());
            i += 1;
        }
        for o in objs {
            let prefix = key(o, nums);
            let doomed: Vec<Key> = self
                .instances
                .range::<[u32], _>((Bound::Included(&prefix[..]), Bound::Unbounded))
                .map(|(k, _)| k)
                .take_while(|k| k.starts_with(&prefix))
                .cloned()
                .collect();
            for k in doomed {
                self.instances.remove(&k);
            }
            if o != obj {
                self.next.retain(|k, _| !k.starts_with(&prefix));
            }
            let (a, b) = model.obj(o).params;
            self.changed
                .retain(|k| !(k[0] >= a && k[0] < b && k[1..].starts_with(nums)));
        }
    }

    /// Stores a value (no checks).
    pub fn store(&mut self, model: &Model, param: u32, nums: &[u32], text: Box<str>) {
        let local = model.local(param);
        if let Some(v) = self.get_mut(model.param(param).object, nums) {
            let local = local as u32;
            let default = text == model.param(param).initial;
            match v.values.binary_search_by_key(&local, |e| e.0) {
                Ok(i) if default => {
                    v.values.remove(i);
                }
                Ok(i) => v.values[i].1 = text,
                Err(_) if default => {}
                Err(i) => v.values.insert(i, (local, text)),
            }
            v.values.shrink_to_fit();
        }
    }

    /// Walks the subtree of an object instance in GetParameterNames order:
    /// the object, its parameters, then child objects (tables: the table, then rows).
    pub fn walk<'a>(
        &'a self,
        model: &Model,
        obj: u32,
        nums: &'a [u32],
        inst: &'a Instance,
        f: &mut dyn FnMut(Item<'a>),
    ) {
        f(Item::Object { obj, nums });
        let (a, b) = model.obj(obj).params;
        for local in 0..b - a {
            f(Item::Param {
                param: a + local,
                nums,
                inst,
            });
        }
        for &c in model.obj(obj).children.iter() {
            self.walk_child(model, c, nums, f);
        }
    }

    /// Walks a child object `c` of an instance with numbers `nums`.
    pub fn walk_child<'a>(
        &'a self,
        model: &Model,
        c: u32,
        nums: &'a [u32],
        f: &mut dyn FnMut(Item<'a>),
    ) {
        if model.obj(c).multi {
            f(Item::Table { obj: c, nums });
            for (k, inst) in self.rows(c, nums) {
                self.walk(model, c, &k[1..], inst, f);
            }
        } else if let Some((k, inst)) = self.instances.get_key_value(key(c, nums).as_slice()) {
            self.walk(model, c, &k[1..], inst, f);
        }
    }

    /// Approximate heap bytes of this state.
    pub fn heap_size(&self) -> usize {
        use std::mem::size_of;
        // A B-tree entry costs its key and value plus node overhead (~1/3 more).
        let entry = |k: usize, v: usize| (k + v) * 4 / 3;
        let inst: usize = self
            .instances
            .iter()
            .map(|(k, i)| {
                entry(size_of::<Key>(), size_of::<Instance>())
                    + k.len() * 4
                    + i.values.capacity() * size_of::<(u32, Box<str>)>()
                    + i.values.iter().map(|v| v.1.len()).sum::<usize>()
                    + i.attrs.capacity() * size_of::<(u32, Attr)>()
            })
            .sum();
        let next: usize = self
            .next
            .keys()
            .map(|k| entry(size_of::<Key>(), 4) + k.len() * 4)
            .sum();
        let changed: usize = self
            .changed
            .iter()
            .map(|k| entry(size_of::<Key>(), 0) + k.len() * 4)
            .sum();
        inst + next + changed + self.parameter_key.len()
    }
}

/// A device's parameter tree: cheap to clone, `Send + Sync`, the model shared.
#[derive(Clone)]
pub struct Tree {
    pub(crate) model: Arc<Model>,
    pub(crate) st: State,
}

impl std::fmt::Debug for Tree {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tree")
            .field("profile", &self.model.profile_name())
            .field("instances", &self.st.instances.len())
            .field("parameter_key", &self.st.parameter_key)
            .finish()
    }
}

/// Equal trees have the same instances, values, attributes, numbering and ParameterKey.
impl PartialEq for Tree {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.model, &other.model) && self.st == other.st
    }
}

impl Tree {
    /// A new device in its profile's initial state.
    pub fn new(model: Arc<Model>) -> Self {
        let st = model.initial.clone();
        Tree { model, st }
    }

    /// The shared model.
    pub fn model(&self) -> &Arc<Model> {
        &self.model
    }

    /// The ParameterKey set by the last successful SetParameterValues/AddObject/DeleteObject.
    pub fn parameter_key(&self) -> &str {
        &self.st.parameter_key
    }

    /// Number of object instances (including single-instance objects).
    pub fn instance_count(&self) -> usize {
        self.st.instances.len()
    }

    /// Approximate heap bytes owned by this device (the model is shared and not counted).
    pub fn heap_size(&self) -> usize {
        self.st.heap_size()
    }

    /// True if an object instance, table or parameter with this path exists.
    pub fn exists(&self, path: &str) -> bool {
        match self.model.resolve(path) {
            Some(Resolved::Object { obj, nums }) => self.st.exists(obj, &nums),
            Some(Resolved::Table { obj, nums }) => self
                .st
                .exists(self.model.obj(obj).parent.unwrap_or(0), &nums),
            Some(Resolved::Param { param, nums }) => {
                self.st.exists(self.model.param(param).object, &nums)
            }
            None => false,
        }
    }

    /// The stored value of a parameter, typed by its schema (no backend, no null-masking).
    pub fn stored_value(&self, path: &str) -> Option<Value> {
        let Some(Resolved::Param { param, nums }) = self.model.resolve(path) else {
            return None;
        };
        let inst = self.st.get(self.model.param(param).object, &nums)?;
        Some(crate::ops::get::typed(
            &self.model,
            param,
            &self.derived_or_stored(param, &nums, inst),
        ))
    }

    /// The text of a parameter from the tree alone: derived values computed, others stored.
    pub(crate) fn derived_or_stored(&self, param: u32, nums: &[u32], inst: &Instance) -> String {
        use crate::model::Derived;
        match self.model.param(param).derived {
            Some(Derived::NumEntries(table)) => self.st.row_count(table, nums).to_string(),
            Some(Derived::ParameterKey) => self.st.parameter_key.to_string(),
            None => inst.value(&self.model, param).to_owned(),
        }
    }

    /// Instance numbers of the rows of a table path (`Device.WiFi.SSID.`); `None` if no such table.
    pub fn instance_numbers(&self, table_path: &str) -> Option<Vec<u32>> {
        match self.model.resolve(table_path)? {
            Resolved::Table { obj, nums } => {
                if !self
                    .st
                    .exists(self.model.obj(obj).parent.unwrap_or(0), &nums)
                {
                    return None;
                }
                Some(
                    self.st
                        .rows(obj, &nums)
                        .filter_map(|(k, _)| k.last().copied())
                        .collect(),
                )
            }
            _ => None,
        }
    }
}
