//! Compiles a [`Profile`] against a [`Schema`] into a [`Model`].

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use super::{Derived, MObject, MParam, MSyntax, Model, ModelOptions, Node};
use crate::path::{PLACEHOLDER, parent_object_path, split_parameter};
use crate::profile::{Profile, ProfileError, ProfileObject, VendorParameter, toml_text};
use crate::schema::syntax::{BaseType, IntRange, ListFacet, NestedBrackets, SizeRange, Syntax};
use crate::schema::syntax::{FacetAccess, ValueFacet};
use crate::schema::{ObjectAccess, ObjectRef, Schema, Status};
use crate::tree::State;
use crate::validate;

struct Ctx<'a> {
    profile: &'a Profile,
}

impl Ctx<'_> {
    fn err(&self, message: impl Into<String>) -> ProfileError {
        ProfileError::Invalid {
            profile: self.profile.name.clone(),
            message: message.into(),
        }
    }
}

/// An object to include: its schema definition (if any) and profile entry (if any).
struct Wanted<'a> {
    schema: Option<ObjectRef<'a>>,
    entry: Option<&'a ProfileObject>,
    /// Document order key (schema objects first, then vendor ones).
    order: usize,
}

fn is_vendor_path(path: &str) -> bool {
    path.split('.').any(|s| s.starts_with("X_"))
}

pub(super) fn build(
    schema: Arc<Schema>,
    profile: &Profile,
    options: ModelOptions,
) -> Result<Model, ProfileError> {
    let cx = Ctx { profile };
    let root = schema
        .object(&profile.root)
        .filter(|o| o.parent().is_none())
        .ok_or_else(|| cx.err(format!("root {} is not the schema's root", profile.root)))?;

    // 1. The set of objects, with ancestors.
    let mut wanted: HashMap<String, Wanted<'_>> = HashMap::new();
    let vendor_base = schema.object_count();
    for (i, entry) in profile.objects.iter().enumerate() {
        if entry.path == "*" {
            for o in schema.objects().filter(|o| o.status() != Status::Deleted) {
                let w = wanted.entry(o.path().to_owned()).or_insert(Wanted {
                    schema: Some(o),
                    entry: None,
                    order: o.id().0 as usize,
                });
                w.entry.get_or_insert(entry);
            }
            continue;
        }
        let (s, order) = match schema.object(&entry.path) {
            Some(o) => (Some(o), o.id().0 as usize),
            None if is_vendor_path(&entry.path) && entry.access.is_some() => {
                (None, vendor_base + i)
            }
            None => return Err(cx.err(format!("unknown object {}", entry.path))),
        };
        if !entry.path.starts_with(&profile.root) {
            return Err(cx.err(format!("{} is not under {}", entry.path, profile.root)));
        }
        if wanted
            .insert(
                entry.path.clone(),
                Wanted {
                    schema: s,
                    entry: Some(entry),
                    order,
                },
            )
            .is_some_and(|w| w.entry.is_some_and(|e| e.path != "*"))
        {
            return Err(cx.err(format!("object {} listed twice", entry.path)));
        }
    }
    for vp in &profile.parameters {
        let Some((obj, _)) = split_parameter(&vp.path) else {
            return Err(cx.err(format!("bad vendor parameter path {}", vp.path)));
        };
        if !wanted.contains_key(obj) {
            let o = schema
                .object(obj)
                .ok_or_else(|| cx.err(format!("{}: object {obj} not declared", vp.path)))?;
            wanted.insert(
                obj.to_owned(),
                Wanted {
                    schema: Some(o),
                    entry: None,
                    order: o.id().0 as usize,
                },
            );
        }
    }
    wanted.entry(root.path().to_owned()).or_insert(Wanted {
        schema: Some(root),
        entry: None,
        order: 0,
    });
    let mut pending: Vec<String> = wanted.keys().cloned().collect();
    while let Some(p) = pending.pop() {
        let Some(parent) = parent_object_path(&p) else {
            continue;
        };
        if wanted.contains_key(parent) {
            continue;
        }
        let o = schema.object(parent).ok_or_else(|| {
            cx.err(format!(
                "parent {parent} of {p} is neither in the schema nor declared"
            ))
        })?;
        wanted.insert(
            parent.to_owned(),
            Wanted {
                schema: Some(o),
                entry: None,
                order: o.id().0 as usize,
            },
        );
        pending.push(parent.to_owned());
    }

    // 2. Tree order: depth-first from the root, children in document order.
    let mut sorted: Vec<(&String, &Wanted<'_>)> = wanted.iter().collect();
    sorted.sort_by_key(|(p, w)| (w.order, p.as_str()));
    let mut kids: HashMap<&str, Vec<&str>> = HashMap::new();
    for (p, _) in &sorted {
        if let Some(parent) = parent_object_path(p) {
            kids.entry(parent).or_default().push(p.as_str());
        }
    }
    let mut order: Vec<&str> = Vec::with_capacity(sorted.len());
    let mut stack = vec![root.path()];
    while let Some(p) = stack.pop() {
        order.push(p);
        if let Some(k) = kids.get(p) {
            stack.extend(k.iter().rev());
        }
    }
    let index: HashMap<&str, u32> = order
        .iter()
        .enumerate()
        .map(|(i, p)| (*p, i as u32))
        .collect();

    // 3. Objects and parameters.
    let mut vendor_params: HashMap<&str, Vec<&VendorParameter>> = HashMap::new();
    for vp in &profile.parameters {
        if let Some((obj, name)) = split_parameter(&vp.path) {
            if !name.starts_with("X_") {
                return Err(cx.err(format!("vendor parameter {} must be named X_…", vp.path)));
            }
            vendor_params.entry(obj).or_default().push(vp);
        }
    }
    let mut objects: Vec<MObject> = Vec::with_capacity(order.len());
    let mut params: Vec<MParam> = Vec::new();
    let mut syntaxes: Vec<MSyntax> = Vec::new();
    let mut syntax_ids: HashMap<u32, u32> = HashMap::new();
    let mut by_path = foldhash::HashMap::default();
    for (i, path) in order.iter().enumerate() {
        let w = &wanted[*path];
        let parent = parent_object_path(path).and_then(|p| index.get(p).copied());
        let children: Vec<u32> = kids
            .get(path)
            .map(|k| k.iter().filter_map(|c| index.get(c).copied()).collect())
            .unwrap_or_default();
        let multi = path.ends_with("{i}.");
        let (writable, max_entries) = match (w.schema, w.entry) {
            (Some(o), _) => (o.access() == ObjectAccess::ReadWrite, o.max_entries()),
            (None, Some(e)) => (
                e.access.map(ObjectAccess::from) == Some(ObjectAccess::ReadWrite),
                e.max_entries,
            ),
            (None, None) => (false, None),
        };
        let start = params.len() as u32;
        let mut names: Vec<String> = Vec::new();
        if let (Some(o), Some(e)) = (w.schema, w.entry) {
            let all = e.parameters.iter().any(|n| n == "*");
            let listed: HashSet<&str> = e.parameters.iter().map(String::as_str).collect();
            for n in &e.parameters {
                if n != "*" && o.parameter(n).is_none() {
                    return Err(cx.err(format!("unknown parameter {path}{n}")));
                }
            }
            names.extend(
                o.parameters()
                    .filter(|p| (all && p.status() != Status::Deleted) || listed.contains(p.name()))
                    .map(|p| p.name().to_owned()),
            );
        }
        // NumberOfEntries parameters of included child tables (TR-106 3.2.2).
        let mut counted: Vec<(String, u32)> = Vec::new();
        for &c in &children {
            let cpath = order[c as usize];
            if let Some(n) = wanted[cpath]
                .schema
                .and_then(|co| co.num_entries_param())
                .map(|p| p.name().to_owned())
            {
                if !names.contains(&n) {
                    names.push(n.clone());
                }
                counted.push((n, c));
            }
        }
        for name in &names {
            let Some(sp) = w.schema.and_then(|o| o.parameter(name)) else {
                continue;
            };
            let sid = sp.syntax_id().0;
            let syntax = *syntax_ids.entry(sid).or_insert_with(|| {
                syntaxes.push(MSyntax::new(sp.syntax().clone()));
                (syntaxes.len() - 1) as u32
            });
            let derived = counted
                .iter()
                .find(|(n, _)| n == name)
                .map(|&(_, c)| Derived::NumEntries(c))
                .or_else(|| {
                    (name == "ParameterKey" && path.ends_with(".ManagementServer.") && !multi)
                        .then_some(Derived::ParameterKey)
                });
            let initial = match sp.default() {
                Some(d) => d.value.to_owned(),
                None => sp.syntax().base.null_value().to_owned(),
            };
            params.push(MParam {
                name: name.as_str().into(),
                path: format!("{path}{name}").into(),
                object: i as u32,
                syntax,
                access: sp.access(),
                active_notify: sp.active_notify(),
                forced_inform: sp.forced_inform(),
                initial: initial.into(),
                derived,
            });
        }
        for vp in vendor_params.get(path).into_iter().flatten() {
            syntaxes.push(MSyntax::new(vendor_syntax(&cx, vp)?));
            let name = split_parameter(&vp.path).map_or("", |(_, n)| n);
            let initial = match &vp.default {
                Some(v) => toml_text(v)
                    .ok_or_else(|| cx.err(format!("{}: default is not a scalar", vp.path)))?,
                None => syntaxes[syntaxes.len() - 1]
                    .syntax
                    .base
                    .null_value()
                    .to_owned(),
            };
            params.push(MParam {
                name: name.into(),
                path: vp.path.as_str().into(),
                object: i as u32,
                syntax: (syntaxes.len() - 1) as u32,
                access: vp.access.into(),
                active_notify: vp.notify.into(),
                forced_inform: vp.forced_inform,
                initial: initial.into(),
                derived: None,
            });
        }
        let end = params.len() as u32;
        // Profile values for every instance.
        if let Some(e) = w.entry {
            for (name, v) in &e.values {
                let p = (start..end)
                    .find(|&k| &*params[k as usize].name == name.as_str())
                    .ok_or_else(|| cx.err(format!("value for unimplemented {path}{name}")))?;
                let text =
                    toml_text(v).ok_or_else(|| cx.err(format!("{path}{name}: not a scalar")))?;
                params[p as usize].initial = text.into();
            }
        }
        for k in start..end {
            let p = &params[k as usize];
            if by_path.insert(p.path.clone(), Node::Param(k)).is_some() {
                return Err(cx.err(format!("parameter {} defined twice", p.path)));
            }
        }
        by_path.insert((*path).into(), Node::Object(i as u32));
        let alias = (start..end)
            .find(|&k| &*params[k as usize].name == "Alias")
            .filter(|_| multi)
            .map(|k| k - start);
        objects.push(MObject {
            path: (*path).into(),
            pieces: path.split(PLACEHOLDER).map(Box::from).collect(),
            parent,
            children: children.into(),
            params: (start, end),
            multi,
            depth: path.matches(PLACEHOLDER).count(),
            writable: multi && writable,
            max_entries: if multi { max_entries } else { Some(1) },
            alias,
        });
    }
    let forced_inform: Box<[u32]> = (0..params.len() as u32)
        .filter(|&k| params[k as usize].forced_inform)
        .collect();
    let mut model = Model {
        schema: schema.clone(),
        profile_name: profile.name.as_str().into(),
        options,
        objects: objects.into(),
        params: params.into(),
        syntaxes: syntaxes.into(),
        by_path,
        forced_inform,
        initial: State::default(),
    };
    // Values given in the profile must be valid; they are stored canonically.
    for k in 0..model.params.len() {
        let p = &model.params[k];
        let listed = profile_value_given(profile, p);
        if listed || p.derived.is_none() {
            match validate::check_text(&model.syntaxes[p.syntax as usize], &p.initial) {
                Ok(canon) => {
                    let canon: Box<str> = canon.into();
                    model.params[k].initial = canon;
                }
                Err(e) if listed => {
                    return Err(cx.err(format!("{}: {e}", p.path)));
                }
                Err(_) => {}
            }
        }
    }
    model.initial = initial_state(&cx, &model)?;
    Ok(model)
}

/// True if the profile gives an explicit value for `p`.
fn profile_value_given(profile: &Profile, p: &MParam) -> bool {
    let Some((obj, name)) = split_parameter(&p.path) else {
        return false;
    };
    profile
        .objects
        .iter()
        .any(|e| e.path == obj && e.values.contains_key(name))
        || profile
            .parameters
            .iter()
            .any(|v| v.path == *p.path && v.default.is_some())
}

fn vendor_syntax(cx: &Ctx<'_>, vp: &VendorParameter) -> Result<Syntax, ProfileError> {
    let base = BaseType::from_element(&vp.ty)
        .ok_or_else(|| cx.err(format!("{}: unknown type {}", vp.path, vp.ty)))?;
    let mut s = Syntax::builtin(base);
    if vp.min_length.is_some() || vp.max_length.is_some() {
        s.sizes = vec![SizeRange {
            min: vp.min_length.unwrap_or(0),
            max: vp.max_length,
        }]
        .into();
    }
    if vp.min.is_some() || vp.max.is_some() {
        s.ranges = vec![IntRange {
            min: vp.min.map(i128::from),
            max: vp.max.map(i128::from),
            step: 1,
        }]
        .into();
    }
    let facet = |v: &String| ValueFacet {
        value: v.as_str().into(),
        access: FacetAccess::ReadWrite,
        optional: false,
        status: Status::Current,
        code: None,
    };
    s.enumerations = vp.enumeration.iter().map(facet).collect::<Vec<_>>().into();
    s.patterns = vp.pattern.iter().map(facet).collect::<Vec<_>>().into();
    if vp.list {
        s.list = Some(ListFacet {
            min_items: 0,
            max_items: None,
            sizes: Box::default(),
            nested_brackets: NestedBrackets::Legacy,
        });
    }
    s.secured = vp.secured;
    Ok(s)
}

/// Builds the state of a new device: root and single-instance objects,
/// `count` instances per table, explicit `[[instance]]` entries and their values.
fn initial_state(cx: &Ctx<'_>, model: &Model) -> Result<State, ProfileError> {
    let mut st = State::default();
    st.create_instance(model, 0, &[]);
    let mut explicit: BTreeMap<u32, Vec<(Vec<u32>, &crate::profile::ProfileInstance)>> =
        BTreeMap::new();
    for inst in &cx.profile.instances {
        match model.resolve(&inst.path) {
            Some(super::Resolved::Object { obj, nums })
                if model.obj(obj).multi && nums.len() == model.obj(obj).depth =>
            {
                explicit.entry(obj).or_default().push((nums, inst));
            }
            _ => return Err(cx.err(format!("instance {} is not a table row", inst.path))),
        }
    }
    let counts: HashMap<&str, u32> = cx
        .profile
        .objects
        .iter()
        .filter(|e| e.count > 0)
        .map(|e| (e.path.as_str(), e.count))
        .collect();
    for obj in 0..model.objects.len() as u32 {
        let o = model.obj(obj);
        if !o.multi {
            continue;
        }
        for (nums, inst) in explicit.get(&obj).into_iter().flatten() {
            let parent = o.parent.unwrap_or(0);
            if !st.exists(parent, &nums[..nums.len() - 1]) {
                return Err(cx.err(format!("instance {}: parent does not exist", inst.path)));
            }
            st.create_instance(model, obj, nums);
        }
        if let Some(&count) = counts.get(&*o.path) {
            let parents: Vec<Vec<u32>> = st.instances_of(o.parent.unwrap_or(0));
            for pn in parents {
                for n in 1..=count {
                    let mut nums = pn.clone();
                    nums.push(n);
                    if !st.exists(obj, &nums) {
                        st.create_instance(model, obj, &nums);
                    }
                }
            }
        }
    }
    for (obj, list) in &explicit {
        for (nums, inst) in list {
            for (name, v) in &inst.values {
                let p = model
                    .param_by_name(*obj, name)
                    .ok_or_else(|| cx.err(format!("{}{name} is not implemented", inst.path)))?;
                let text = toml_text(v)
                    .ok_or_else(|| cx.err(format!("{}{name}: not a scalar", inst.path)))?;
                let canon = validate::check_text(model.param_syntax(p), &text)
                    .map_err(|e| cx.err(format!("{}{name}: {e}", inst.path)))?;
                st.store(model, p, nums, canon.into());
            }
        }
    }
    Ok(st)
}
