//! The XML reader: walks `<dataType>`, `<model>`, `<component>`, `<object>`
//! and `<parameter>` elements (including `base=` refinements) into a [`Builder`].

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::path::Path;

use roxmltree::{Document, Node, NodeId};

use super::build::{Builder, ParamB};
use super::sources::{Source, collect, file_source, located, parse};
use super::strings::Sym;
use super::xml::{attr_bool, attr_enum, attr_max, attr_parse, bad, clean_text, elements, tag};
use super::{
    ActiveNotify, DataTypeId, LoadOptions, ObjectAccess, ParamAccess, Schema, Status, UniqueKey,
    Version,
};
use crate::error::SchemaError;
use crate::path::is_valid_name;

/// Deepest nesting of model bases and component references followed.
const MAX_NESTING: u32 = 64;

mod types;

type Res<T> = Result<T, SchemaError>;

/// Loads a file and its imports.
/// A compact schema (see [`super::compact`]) is told by its first bytes and read as such.
pub(crate) fn load_file(path: &Path, opts: &LoadOptions) -> Res<Schema> {
    let src = file_source(path)?;
    if src.text.starts_with(super::compact::MAGIC) {
        return super::compact::read(&src.text, &src.name);
    }
    load(src, opts)
}

/// Loads an in-memory document (imports are searched in `opts.import_dirs`).
pub(crate) fn load_str(xml: &str, name: &str, opts: &LoadOptions) -> Res<Schema> {
    let src = Source {
        name: name.into(),
        dir: None,
        text: Cow::Borrowed(xml),
        imports: Vec::new(),
    };
    load(src, opts)
}

fn load(main: Source<'_>, opts: &LoadOptions) -> Res<Schema> {
    let sources = collect(main, &opts.import_dirs)?;
    let docs = sources.iter().map(parse).collect::<Res<Vec<_>>>()?;
    let mut l = Loader {
        sources: &sources,
        docs: &docs,
        opts,
        scopes: Vec::with_capacity(docs.len()),
        b: Builder::default(),
        dt_memo: HashMap::new(),
        dt_active: HashSet::new(),
        depth: 0,
    };
    for i in 0..docs.len() {
        l.build_scope(i)?;
    }
    let main = docs.len() - 1;
    let model = l.select_model(main)?;
    // Resolve every data type visible in the main document, in document order.
    let mut names: Vec<&str> = l.scopes[main].data_type_order.clone();
    names.dedup();
    for name in names {
        let root = docs[main].root_element();
        l.data_type(main, name, root)?;
    }
    l.model(model)?;
    let name: Box<str> = model.node.attribute("name").unwrap_or("").into();
    let spec = docs[main].root_element().attribute("spec").map(Box::from);
    Ok(l.b.finish(name, spec, opts.keep_deleted))
}

/// A definition: its document and element.
#[derive(Clone, Copy)]
struct Def<'a, 'i> {
    doc: usize,
    node: Node<'a, 'i>,
}

/// Names visible in one document (its own definitions plus imports).
#[derive(Default)]
struct Scope<'a, 'i> {
    data_types: HashMap<&'a str, Def<'a, 'i>>,
    data_type_order: Vec<&'a str>,
    components: HashMap<&'a str, Def<'a, 'i>>,
    models: HashMap<&'a str, Def<'a, 'i>>,
}

struct Loader<'a, 'i> {
    sources: &'a [Source<'i>],
    docs: &'a [Document<'a>],
    opts: &'a LoadOptions,
    scopes: Vec<Scope<'a, 'a>>,
    b: Builder,
    dt_memo: HashMap<(usize, NodeId), DataTypeId>,
    dt_active: HashSet<(usize, NodeId)>,
    depth: u32,
}

fn status_attr<'a, 'i>(n: Node<'a, 'i>) -> Result<Option<Status>, super::xml::Bad<'a, 'i>> {
    attr_enum(n, "status", Status::from_xml)
}

impl<'a> Loader<'a, '_> {
    fn err(&self, doc: usize, node: Node<'_, '_>, msg: impl Into<String>) -> SchemaError {
        located(&self.sources[doc].name, bad(node, msg))
    }

    fn loc<T>(&self, doc: usize, r: Result<T, super::xml::Bad<'_, '_>>) -> Res<T> {
        r.map_err(|b| located(&self.sources[doc].name, b))
    }

    fn version(&self, doc: usize, n: Node<'_, '_>) -> Res<Option<Version>> {
        match n.attribute("version") {
            None => Ok(None),
            Some(v) => v
                .parse()
                .map(Some)
                .map_err(|()| self.err(doc, n, format!("invalid version {v:?}"))),
        }
    }

    fn description(&self, n: Node<'_, '_>, slot: &mut Option<Box<str>>) {
        if !self.opts.keep_descriptions {
            return;
        }
        let Some(d) = elements(n).find(|c| tag(*c) == "description") else {
            return;
        };
        let text = clean_text(d.text().unwrap_or(""));
        *slot = Some(match (d.attribute("action"), slot.take()) {
            (Some("append"), Some(old)) => format!("{old}\n\n{text}").into(),
            (Some("prefix"), Some(old)) => format!("{text}\n\n{old}").into(),
            _ => text,
        });
    }

    fn build_scope(&mut self, i: usize) -> Res<()> {
        let doc: &'a Document<'a> = &self.docs[i];
        let root = doc.root_element();
        let ns = root.tag_name().namespace().unwrap_or("");
        if tag(root) != "document" || !ns.starts_with("urn:broadband-forum-org:cwmp:datamodel-") {
            return Err(self.err(
                i,
                root,
                "not a cwmp-datamodel document (root must be dm:document)",
            ));
        }
        let mut scope = Scope::default();
        for n in elements(root) {
            let kind = tag(n);
            if kind == "import" {
                let file = n.attribute("file").unwrap_or("");
                let target = self.sources[i]
                    .imports
                    .iter()
                    .find(|(f, _)| &**f == file)
                    .map(|&(_, t)| t)
                    .ok_or_else(|| self.err(i, n, "import was not read"))?;
                for c in elements(n) {
                    let name = c
                        .attribute("name")
                        .ok_or_else(|| self.err(i, c, "import item without name"))?;
                    let wanted = c.attribute("ref").unwrap_or(name);
                    let from = &self.scopes[target];
                    let def = match tag(c) {
                        "dataType" => from.data_types.get(wanted),
                        "component" => from.components.get(wanted),
                        "model" => from.models.get(wanted),
                        _ => continue,
                    }
                    .copied()
                    .ok_or_else(|| {
                        self.err(i, c, format!("{wanted:?} is not defined in {file}"))
                    })?;
                    match tag(c) {
                        "dataType" => {
                            scope.data_types.insert(name, def);
                            scope.data_type_order.push(name);
                        }
                        "component" => {
                            scope.components.insert(name, def);
                        }
                        _ => {
                            scope.models.insert(name, def);
                        }
                    }
                }
                continue;
            }
            let table = match kind {
                "dataType" => &mut scope.data_types,
                "component" => &mut scope.components,
                "model" => &mut scope.models,
                _ => continue,
            };
            let name = n
                .attribute("name")
                .ok_or_else(|| self.err(i, n, format!("{kind} without name")))?;
            if table.insert(name, Def { doc: i, node: n }).is_some() {
                return Err(self.err(i, n, format!("duplicate {kind} {name:?}")));
            }
            if kind == "dataType" {
                scope.data_type_order.push(name);
            }
        }
        self.scopes.push(scope);
        Ok(())
    }

    fn select_model(&self, main: usize) -> Res<Def<'a, 'a>> {
        let root = self.docs[main].root_element();
        if let Some(name) = &self.opts.model {
            return self.scopes[main]
                .models
                .get(name.as_str())
                .copied()
                .ok_or_else(|| self.err(main, root, format!("no model named {name:?}")));
        }
        let models: Vec<Node<'a, 'a>> = elements(root).filter(|n| tag(*n) == "model").collect();
        let chosen = if models.len() == 1 {
            models.first().copied()
        } else {
            models
                .iter()
                .copied()
                .find(|m| m.attribute("isService") != Some("true"))
        };
        chosen
            .map(|node| Def { doc: main, node })
            .ok_or_else(|| self.err(main, root, "document defines no (root) model"))
    }

    fn enter(&mut self, doc: usize, n: Node<'_, '_>) -> Res<()> {
        self.depth += 1;
        if self.depth > MAX_NESTING {
            return Err(self.err(
                doc,
                n,
                "model bases or components nested too deeply (cycle?)",
            ));
        }
        Ok(())
    }

    fn model(&mut self, def: Def<'a, 'a>) -> Res<()> {
        self.enter(def.doc, def.node)?;
        if let Some(base) = def.node.attribute("base") {
            let b = self.scopes[def.doc]
                .models
                .get(base)
                .copied()
                .ok_or_else(|| {
                    self.err(def.doc, def.node, format!("unknown base model {base:?}"))
                })?;
            self.model(b)?;
        }
        for n in elements(def.node) {
            match tag(n) {
                "object" => self.object(def.doc, n, "")?,
                "component" => self.component_ref(def.doc, n, None, "")?,
                // Top-level parameters, profiles, commands and events are not part
                // of the CWMP object tree.
                _ => {}
            }
        }
        self.depth -= 1;
        Ok(())
    }

    fn component_ref(
        &mut self,
        doc: usize,
        n: Node<'a, 'a>,
        obj: Option<u32>,
        prefix: &str,
    ) -> Res<()> {
        self.enter(doc, n)?;
        let name = n
            .attribute("ref")
            .ok_or_else(|| self.err(doc, n, "component reference without ref"))?;
        let def = self.scopes[doc]
            .components
            .get(name)
            .copied()
            .ok_or_else(|| self.err(doc, n, format!("unknown component {name:?}")))?;
        let path = n.attribute("path").unwrap_or("");
        let prefix = format!("{prefix}{path}");
        let obj = if path.is_empty() {
            obj
        } else {
            self.b.find_object(&prefix)
        };
        for c in elements(def.node) {
            match tag(c) {
                "object" => self.object(def.doc, c, &prefix)?,
                "component" => self.component_ref(def.doc, c, obj, &prefix)?,
                "parameter" => {
                    let o = obj.ok_or_else(|| {
                        self.err(
                            def.doc,
                            c,
                            format!("component parameter has no object (path {prefix:?})"),
                        )
                    })?;
                    self.parameter(def.doc, c, o)?;
                }
                _ => {}
            }
        }
        self.depth -= 1;
        Ok(())
    }

    fn object(&mut self, doc: usize, n: Node<'a, 'a>, prefix: &str) -> Res<()> {
        // Names are trimmed: TR-098 1.8 has `name="UPnPQoSDevice "`.
        let (name, is_new) = match (trimmed(n, "name"), trimmed(n, "base")) {
            (Some(name), _) => (name, true),
            (None, Some(base)) => (base, false),
            (None, None) => return Err(self.err(doc, n, "object without name or base")),
        };
        let path = format!("{prefix}{name}");
        if !valid_object_path(&path) {
            return Err(self.err(doc, n, format!("invalid object name {path:?}")));
        }
        let id = match (self.b.find_object(&path), is_new) {
            (Some(_), true) => {
                return Err(self.err(doc, n, format!("object {path:?} defined twice")));
            }
            (None, true) => self.b.add_object(&path),
            (Some(id), false) => id,
            (None, false) => {
                return Err(self.err(doc, n, format!("base object {path:?} is not defined")));
            }
        };
        let access = self.loc(
            doc,
            attr_enum(n, "access", |v| match v {
                "readOnly" => Some(ObjectAccess::ReadOnly),
                "readWrite" => Some(ObjectAccess::ReadWrite),
                _ => None,
            }),
        )?;
        let min: Option<u32> = self.loc(doc, attr_parse(n, "minEntries"))?;
        let max = self.loc(doc, attr_max(n, "maxEntries"))?;
        let status = self.loc(doc, status_attr(n))?;
        let version = self.version(doc, n)?;
        let num = trimmed(n, "numEntriesParameter").map(|s| self.b.strings.intern(s));
        let enable = trimmed(n, "enableParameter").map(|s| self.b.strings.intern(s));
        let mut keys = Vec::new();
        for k in elements(n).filter(|c| tag(*c) == "uniqueKey") {
            let functional = self.loc(doc, attr_bool(k, "functional"))?.unwrap_or(true);
            let mut params: Vec<Sym> = Vec::new();
            for p in elements(k).filter(|c| tag(*c) == "parameter") {
                let r = trimmed(p, "ref")
                    .ok_or_else(|| self.err(doc, p, "uniqueKey parameter without ref"))?;
                params.push(self.b.strings.intern(r));
            }
            keys.push(UniqueKey {
                functional,
                params: params.into_boxed_slice(),
            });
        }
        let mut description = self
            .b
            .objects
            .get_mut(id as usize)
            .and_then(|o| o.description.take());
        self.description(n, &mut description);
        if let Some(o) = self.b.objects.get_mut(id as usize) {
            o.access = access.unwrap_or(o.access);
            o.min_entries = min.unwrap_or(o.min_entries);
            o.max_entries = max.unwrap_or(o.max_entries);
            o.status = status.unwrap_or(o.status);
            o.version = version.or(o.version);
            o.num_entries = num.or(o.num_entries);
            o.enable = enable.or(o.enable);
            o.unique_keys.extend(keys);
            o.description = description;
        }
        for c in elements(n) {
            match tag(c) {
                "parameter" => self.parameter(doc, c, id)?,
                "component" => self.component_ref(doc, c, Some(id), &path)?,
                _ => {}
            }
        }
        Ok(())
    }

    fn parameter(&mut self, doc: usize, n: Node<'a, 'a>, obj: u32) -> Res<()> {
        // Names are trimmed: TR-098 1.8 has `name="UPnPQoSDevice "`.
        let (name, is_new) = match (trimmed(n, "name"), trimmed(n, "base")) {
            (Some(name), _) => (name, true),
            (None, Some(base)) => (base, false),
            (None, None) => return Err(self.err(doc, n, "parameter without name or base")),
        };
        if !is_valid_name(name) {
            return Err(self.err(doc, n, format!("invalid parameter name {name:?}")));
        }
        let access = self.loc(
            doc,
            attr_enum(n, "access", |v| match v {
                "readOnly" => Some(ParamAccess::ReadOnly),
                "readWrite" => Some(ParamAccess::ReadWrite),
                "writeOnceReadOnly" => Some(ParamAccess::WriteOnceReadOnly),
                _ => None,
            }),
        )?;
        let notify = self.loc(doc, attr_enum(n, "activeNotify", ActiveNotify::from_xml))?;
        let forced = self.loc(doc, attr_bool(n, "forcedInform"))?;
        let status = self.loc(doc, status_attr(n))?;
        let version = self.version(doc, n)?;
        let syntax_node = elements(n).find(|c| tag(*c) == "syntax");
        let existing = self.b.find_param(obj, name);
        let pid = match (existing, is_new) {
            (Some(_), true) => {
                return Err(self.err(doc, n, format!("parameter {name:?} defined twice")));
            }
            (None, false) => {
                return Err(self.err(doc, n, format!("base parameter {name:?} is not defined")));
            }
            (Some(pid), false) => Some(pid),
            (None, true) => None,
        };
        let inherited = pid
            .and_then(|p| self.b.params.get(p as usize))
            .map(|p| p.syntax);
        let (syntax, default) = match syntax_node {
            Some(s) => {
                let (sid, def) = self.param_syntax(doc, s, inherited)?;
                (Some(sid), def)
            }
            None => (None, None),
        };
        let mut description = pid
            .and_then(|p| self.b.params.get_mut(p as usize))
            .and_then(|p| p.description.take());
        self.description(n, &mut description);
        match pid.and_then(|p| self.b.params.get_mut(p as usize)) {
            Some(p) => {
                p.access = access.unwrap_or(p.access);
                p.active_notify = notify.unwrap_or(p.active_notify);
                p.forced_inform = forced.unwrap_or(p.forced_inform);
                p.status = status.unwrap_or(p.status);
                p.version = version.or(p.version);
                p.syntax = syntax.unwrap_or(p.syntax);
                p.default = default.or(p.default);
                p.description = description;
            }
            None => {
                let syntax = syntax.ok_or_else(|| self.err(doc, n, "parameter has no syntax"))?;
                let name = self.b.strings.intern(name);
                self.b.add_param(ParamB {
                    name,
                    object: obj,
                    syntax,
                    access: access.unwrap_or(ParamAccess::ReadOnly),
                    active_notify: notify.unwrap_or_default(),
                    forced_inform: forced.unwrap_or(false),
                    status: status.unwrap_or_default(),
                    version,
                    default,
                    description,
                });
            }
        }
        Ok(())
    }
}

/// An attribute with surrounding whitespace removed.
fn trimmed<'a>(n: Node<'a, '_>, name: &str) -> Option<&'a str> {
    n.attribute(name).map(str::trim)
}

/// Object names: dot-terminated names or `{i}` (a leading dot is allowed for service models).
fn valid_object_path(path: &str) -> bool {
    let Some(body) = path.strip_suffix('.') else {
        return false;
    };
    let body = body.strip_prefix('.').unwrap_or(body);
    !body.is_empty() && body.split('.').all(|s| s == "{i}" || is_valid_name(s))
}

#[cfg(test)]
mod tests;
