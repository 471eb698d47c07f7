//! Mutable model state used while loading, and its conversion to a compact [`Schema`].

use std::collections::HashMap;

use super::strings::{Interner, Sym};
use super::syntax::{DefaultKind, Syntax, SyntaxId};
use super::{
    ActiveNotify, DataType, DataTypeId, Object, ObjectAccess, ObjectId, ParamAccess, ParamId,
    Parameter, Schema, Status, UniqueKey, Version,
};
use crate::path::parent_object_path;

/// An object being built.
pub(crate) struct ObjB {
    pub path: Sym,
    pub access: ObjectAccess,
    pub min_entries: u32,
    pub max_entries: Option<u32>,
    pub num_entries: Option<Sym>,
    pub enable: Option<Sym>,
    pub unique_keys: Vec<UniqueKey>,
    pub status: Status,
    pub version: Option<Version>,
    pub description: Option<Box<str>>,
    pub params: Vec<u32>,
}

/// A parameter being built.
pub(crate) struct ParamB {
    pub name: Sym,
    pub object: u32,
    pub syntax: SyntaxId,
    pub access: ParamAccess,
    pub active_notify: ActiveNotify,
    pub forced_inform: bool,
    pub status: Status,
    pub version: Option<Version>,
    pub default: Option<(DefaultKind, Sym)>,
    pub description: Option<Box<str>>,
}

/// Model state while loading.
#[derive(Default)]
pub(crate) struct Builder {
    pub strings: Interner,
    pub objects: Vec<ObjB>,
    object_index: HashMap<Sym, u32>,
    pub params: Vec<ParamB>,
    param_index: HashMap<(u32, Sym), u32>,
    syntaxes: Vec<Syntax>,
    syntax_index: HashMap<Syntax, SyntaxId>,
    pub data_types: Vec<DataType>,
}

fn idx(len: usize) -> u32 {
    u32::try_from(len).unwrap_or(u32::MAX)
}

impl Builder {
    /// Object index by path.
    pub fn find_object(&self, path: &str) -> Option<u32> {
        let sym = self.strings.lookup(path)?;
        self.object_index.get(&sym).copied()
    }

    /// Adds a new object with the XSD defaults (caller checked it is new).
    pub fn add_object(&mut self, path: &str) -> u32 {
        let sym = self.strings.intern(path);
        let id = idx(self.objects.len());
        self.objects.push(ObjB {
            path: sym,
            access: ObjectAccess::ReadOnly,
            min_entries: 1,
            max_entries: Some(1),
            num_entries: None,
            enable: None,
            unique_keys: Vec::new(),
            status: Status::Current,
            version: None,
            description: None,
            params: Vec::new(),
        });
        self.object_index.insert(sym, id);
        id
    }

    /// Parameter index by object and name.
    pub fn find_param(&self, object: u32, name: &str) -> Option<u32> {
        let sym = self.strings.lookup(name)?;
        self.param_index.get(&(object, sym)).copied()
    }

    /// Adds a new parameter to its object (caller checked it is new).
    pub fn add_param(&mut self, p: ParamB) -> u32 {
        let id = idx(self.params.len());
        self.param_index.insert((p.object, p.name), id);
        if let Some(o) = self.objects.get_mut(p.object as usize) {
            o.params.push(id);
        }
        self.params.push(p);
        id
    }

    /// Stores a syntax once; identical syntaxes share one id.
    pub fn intern_syntax(&mut self, s: Syntax) -> SyntaxId {
        if let Some(&id) = self.syntax_index.get(&s) {
            return id;
        }
        let id = SyntaxId(idx(self.syntaxes.len()));
        self.syntaxes.push(s.clone());
        self.syntax_index.insert(s, id);
        id
    }

    /// A stored syntax.
    pub fn syntax(&self, id: SyntaxId) -> Option<&Syntax> {
        self.syntaxes.get(id.0 as usize)
    }

    /// Adds a named data type.
    pub fn add_data_type(&mut self, dt: DataType) -> DataTypeId {
        let id = DataTypeId(idx(self.data_types.len()));
        self.data_types.push(dt);
        id
    }

    /// Builds the compact schema: drops deleted items (unless `keep_deleted`),
    /// links parents/children, inherits versions and sorts the lookup tables.
    pub fn finish(
        self,
        model_name: Box<str>,
        spec: Option<Box<str>>,
        keep_deleted: bool,
    ) -> Schema {
        let Builder {
            strings,
            objects,
            params,
            syntaxes,
            data_types,
            object_index,
            ..
        } = self;
        let n = objects.len();
        let sym_to_old = |path: &str| {
            strings
                .lookup(path)
                .and_then(|s| object_index.get(&s).copied())
        };
        // Nearest existing ancestor of each object (old indices).
        let mut parent_old: Vec<Option<u32>> = vec![None; n];
        for (i, o) in objects.iter().enumerate() {
            let mut p = parent_object_path(strings.get(o.path));
            while let Some(pp) = p {
                if let Some(j) = sym_to_old(pp) {
                    parent_old[i] = Some(j);
                    break;
                }
                p = parent_object_path(pp);
            }
        }
        // Keep an object if it and all its ancestors are kept: resolve in
        // order of path length, so parents are decided first.
        let mut order: Vec<usize> = (0..n).collect();
        order.sort_by_key(|&i| strings.get(objects[i].path).len());
        let mut keep = vec![false; n];
        let mut version: Vec<Option<Version>> = vec![None; n];
        for &i in &order {
            let parent_kept = parent_old[i].is_none_or(|p| keep[p as usize]);
            keep[i] = parent_kept && (keep_deleted || objects[i].status != Status::Deleted);
            version[i] = objects[i]
                .version
                .or_else(|| parent_old[i].and_then(|p| version[p as usize]));
        }
        let mut new_id: Vec<Option<ObjectId>> = vec![None; n];
        let mut next = 0u32;
        for i in 0..n {
            if keep[i] {
                new_id[i] = Some(ObjectId(next));
                next += 1;
            }
        }

        let mut params_slot: Vec<Option<ParamB>> = params.into_iter().map(Some).collect();
        let mut out_objects = Vec::with_capacity(next as usize);
        let mut out_params: Vec<Parameter> = Vec::with_capacity(params_slot.len());
        let mut children: Vec<Vec<ObjectId>> = vec![Vec::new(); next as usize];
        for (i, o) in objects.into_iter().enumerate() {
            let Some(id) = new_id[i] else { continue };
            let parent = parent_old[i].and_then(|p| new_id[p as usize]);
            if let Some(p) = parent {
                children[p.0 as usize].push(id);
            }
            let start = idx(out_params.len());
            for pid in &o.params {
                let Some(p) = params_slot.get_mut(*pid as usize).and_then(Option::take) else {
                    continue;
                };
                if !keep_deleted && p.status == Status::Deleted {
                    continue;
                }
                out_params.push(Parameter {
                    name: p.name,
                    object: id,
                    syntax: p.syntax,
                    access: p.access,
                    active_notify: p.active_notify,
                    forced_inform: p.forced_inform,
                    status: p.status,
                    version: p.version.or(version[i]),
                    default: p.default,
                    description: p.description,
                });
            }
            out_objects.push(Object {
                path: o.path,
                parent,
                access: o.access,
                min_entries: o.min_entries,
                max_entries: o.max_entries,
                num_entries: o.num_entries,
                enable: o.enable,
                unique_keys: o.unique_keys.into_boxed_slice(),
                status: o.status,
                version: version[i],
                description: o.description,
                params: (start, idx(out_params.len())),
                children: Box::default(),
            });
        }
        for (o, c) in out_objects.iter_mut().zip(children) {
            o.children = c.into_boxed_slice();
        }

        let strings = strings.freeze();
        let mut params_by_name: Vec<ParamId> = (0..idx(out_params.len())).map(ParamId).collect();
        for o in &out_objects {
            let (s, e) = (o.params.0 as usize, o.params.1 as usize);
            if let Some(slice) = params_by_name.get_mut(s..e) {
                slice.sort_by(|a, b| {
                    let na = strings.get(out_params[a.0 as usize].name);
                    let nb = strings.get(out_params[b.0 as usize].name);
                    na.cmp(nb)
                });
            }
        }
        let mut objects_by_path: Vec<ObjectId> =
            (0..idx(out_objects.len())).map(ObjectId).collect();
        objects_by_path.sort_by(|a, b| {
            strings
                .get(out_objects[a.0 as usize].path)
                .cmp(strings.get(out_objects[b.0 as usize].path))
        });
        let mut data_types_by_name: Vec<DataTypeId> =
            (0..idx(data_types.len())).map(DataTypeId).collect();
        data_types_by_name.sort_by(|a, b| {
            data_types[a.0 as usize]
                .name
                .cmp(&data_types[b.0 as usize].name)
        });
        data_types_by_name
            .dedup_by(|a, b| data_types[a.0 as usize].name == data_types[b.0 as usize].name);
        let forced_inform: Vec<ParamId> = out_params
            .iter()
            .enumerate()
            .filter(|(_, p)| p.forced_inform)
            .map(|(i, _)| ParamId(idx(i)))
            .collect();

        Schema {
            model_name,
            spec,
            strings,
            objects: out_objects.into_boxed_slice(),
            params: out_params.into_boxed_slice(),
            params_by_name: params_by_name.into_boxed_slice(),
            objects_by_path: objects_by_path.into_boxed_slice(),
            syntaxes: syntaxes.into_boxed_slice(),
            data_types: data_types.into_boxed_slice(),
            data_types_by_name: data_types_by_name.into_boxed_slice(),
            forced_inform: forced_inform.into_boxed_slice(),
        }
    }
}
