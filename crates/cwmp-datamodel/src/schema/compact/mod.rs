//! The compact schema: a loaded [`Schema`] written as JSON lines, without descriptions.
//!
//! It keeps what an agent or a simulator needs of a Broadband Forum data model (names, types
//! with their ranges, sizes, enumerations, patterns, units and references, access,
//! multiplicity, unique keys, defaults, notification rules, status and version) in a tenth
//! of the XML's size, and loads without an XML parser. The built-in TR-181 and TR-098 models
//! ([`crate::builtin`]) are such files, written by the `cwmp-schema` tool.
//!
//! Layout: a header line (`{"k":"schema","format":1,"model":"Device:2.17",…}`), the resolved
//! syntaxes (referred to by their index), the named data types, then each object followed by
//! its parameters, in document order. Writing is deterministic, so a file regenerated from the
//! same XML is byte-identical.

mod wire;

use super::build::{Builder, ParamB};
use super::syntax::{Syntax, SyntaxId};
use super::{DataType, DataTypeId, Schema, UniqueKey, Version};
use crate::error::{Location, SchemaError};
use crate::path::{SchemaPath, is_valid_name};
use wire::{
    FORMAT, Facet, Header, KeyLine, Line, MaxEntries, ObjectLine, ParamLine, Range, SyntaxLine,
};

/// The first bytes of every compact schema file (how a file is told apart from XML).
pub(crate) const MAGIC: &str = "{\"k\":\"schema\"";

/// Longest line accepted (a syntax with every enumeration of a large table fits easily).
const MAX_LINE: usize = 1 << 20;

/// Most lines (items) in one file.
const MAX_LINES: usize = 1 << 20;

fn line_of<T: serde::Serialize>(out: &mut String, line: &T) {
    // Serialising these plain structs cannot fail (no maps with non-string keys, no I/O).
    if let Ok(s) = serde_json::to_string(line) {
        out.push_str(&s);
        out.push('\n');
    }
}

fn syntax_line(s: &Syntax) -> SyntaxLine {
    SyntaxLine {
        base: s.base,
        data_type: s.data_type.map(|d| d.0),
        list: s.list.clone(),
        item_list: s.item_list.clone(),
        sizes: s.sizes.to_vec(),
        ranges: s.ranges.iter().map(Range::of).collect(),
        decimal_ranges: s.decimal_ranges.to_vec(),
        enumerations: s.enumerations.iter().map(Facet::from).collect(),
        patterns: s.patterns.iter().map(Facet::from).collect(),
        units: s.units.clone(),
        path_ref: s.path_ref.clone(),
        instance_ref: s.instance_ref.clone(),
        enumeration_ref: s.enumeration_ref.clone(),
        hidden: s.hidden,
        secured: s.secured,
        command: s.command,
    }
}

fn syntax_of(l: SyntaxLine) -> Result<Syntax, String> {
    let ranges = l
        .ranges
        .iter()
        .map(Range::range)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Syntax {
        base: l.base,
        data_type: l.data_type.map(DataTypeId),
        list: l.list,
        item_list: l.item_list,
        sizes: l.sizes.into(),
        ranges: ranges.into(),
        decimal_ranges: l.decimal_ranges.into(),
        enumerations: l.enumerations.into_iter().map(Into::into).collect(),
        patterns: l.patterns.into_iter().map(Into::into).collect(),
        units: l.units,
        path_ref: l.path_ref,
        instance_ref: l.instance_ref,
        enumeration_ref: l.enumeration_ref,
        hidden: l.hidden,
        secured: l.secured,
        command: l.command,
    })
}

/// Writes `schema` as a compact schema.
pub(crate) fn write(schema: &Schema) -> String {
    let mut out = String::with_capacity(schema.params.len() * 64);
    let s = &schema.strings;
    let version = |v: Option<Version>| v.map(|v| v.to_string().into_boxed_str());
    let parent_version = |o: &super::Object| {
        o.parent
            .and_then(|p| schema.objects.get(p.0 as usize))
            .and_then(|p| p.version)
    };
    line_of(
        &mut out,
        &Line::Schema(Header {
            format: FORMAT,
            model: schema.model_name.clone(),
            spec: schema.spec.clone(),
        }),
    );
    for syn in schema.syntaxes.iter() {
        line_of(&mut out, &Line::Syntax(Box::new(syntax_line(syn))));
    }
    for dt in schema.data_types.iter() {
        line_of(
            &mut out,
            &Line::Type(wire::TypeLine {
                name: dt.name.clone(),
                base: dt.base.map(|b| b.0),
                syntax: dt.syntax.0,
                status: dt.status,
            }),
        );
    }
    for o in schema.objects.iter() {
        line_of(
            &mut out,
            &Line::Object(ObjectLine {
                path: s.get(o.path).into(),
                access: o.access,
                min: o.min_entries,
                max: MaxEntries(o.max_entries),
                num_entries: o.num_entries.map(|n| s.get(n).into()),
                enable: o.enable.map(|n| s.get(n).into()),
                keys: o
                    .unique_keys
                    .iter()
                    .map(|k| KeyLine {
                        functional: k.functional,
                        params: k.params.iter().map(|p| s.get(*p).into()).collect(),
                    })
                    .collect(),
                status: o.status,
                // Left out when inherited: the reader inherits it the same way.
                version: version(o.version.filter(|v| Some(*v) != parent_version(o))),
            }),
        );
        let (start, end) = (o.params.0 as usize, o.params.1 as usize);
        for p in schema.params.get(start..end).unwrap_or_default() {
            line_of(
                &mut out,
                &Line::Param(ParamLine {
                    name: s.get(p.name).into(),
                    syntax: p.syntax.0,
                    access: p.access,
                    notify: p.active_notify,
                    forced: p.forced_inform,
                    status: p.status,
                    version: version(p.version.filter(|v| Some(*v) != o.version)),
                    default: p.default.map(|(k, v)| (k, s.get(v).into())),
                }),
            );
        }
    }
    out
}

/// Reads a compact schema; `name` is used in error messages.
pub(crate) fn read(text: &str, name: &str) -> Result<Schema, SchemaError> {
    let err = |line: usize, message: String| SchemaError::Invalid {
        location: Location {
            file: name.into(),
            line: u32::try_from(line).unwrap_or(u32::MAX),
            column: 1,
            element: "compact schema".into(),
        },
        message: message.into(),
    };
    let mut b = Builder::default();
    let mut header: Option<Header> = None;
    let mut object: Option<u32> = None;
    let mut syntax_count = 0u32;
    for (i, raw) in text.lines().enumerate() {
        let n = i + 1;
        if n > MAX_LINES {
            return Err(err(n, format!("more than {MAX_LINES} lines")));
        }
        if raw.trim().is_empty() {
            continue;
        }
        if raw.len() > MAX_LINE {
            return Err(err(n, format!("line longer than {MAX_LINE} bytes")));
        }
        let line: Line = serde_json::from_str(raw).map_err(|e| err(n, e.to_string()))?;
        match (line, &header) {
            (Line::Schema(h), None) => {
                if h.format != FORMAT {
                    return Err(err(
                        n,
                        format!("format {} (this build reads {FORMAT})", h.format),
                    ));
                }
                header = Some(h);
            }
            (_, None) => return Err(err(n, "the first line must be the schema header".into())),
            (Line::Schema(_), Some(_)) => return Err(err(n, "a second header".into())),
            (Line::Syntax(l), Some(_)) => {
                let id = b.intern_syntax(syntax_of(*l).map_err(|m| err(n, m))?);
                if id != SyntaxId(syntax_count) {
                    return Err(err(n, format!("syntax repeats syntax {}", id.0)));
                }
                syntax_count += 1;
            }
            (Line::Type(t), Some(_)) => {
                b.add_data_type(DataType {
                    name: t.name,
                    base: t.base.map(DataTypeId),
                    syntax: SyntaxId(t.syntax),
                    status: t.status,
                    description: None,
                });
            }
            (Line::Object(o), Some(_)) => {
                object = Some(add_object(&mut b, o).map_err(|m| err(n, m))?);
            }
            (Line::Param(p), Some(_)) => {
                let Some(obj) = object else {
                    return Err(err(n, "a parameter before any object".into()));
                };
                add_param(&mut b, obj, p, syntax_count).map_err(|m| err(n, m))?;
            }
        }
    }
    let Some(header) = header else {
        return Err(err(1, "empty file (no schema header)".into()));
    };
    check_references(&b, syntax_count).map_err(|m| err(0, m))?;
    Ok(b.finish(header.model, header.spec, true))
}

fn parse_version(v: Option<Box<str>>) -> Result<Option<Version>, String> {
    v.map(|v| v.parse().map_err(|()| format!("bad version {v:?}")))
        .transpose()
}

fn add_object(b: &mut Builder, o: ObjectLine) -> Result<u32, String> {
    let path = SchemaPath::parse(&o.path).map_err(|e| format!("object {:?}: {e}", o.path))?;
    if !path.is_object() {
        return Err(format!("object path {:?} does not end with a dot", o.path));
    }
    if b.find_object(&o.path).is_some() {
        return Err(format!("object {:?} defined twice", o.path));
    }
    let version = parse_version(o.version)?;
    let num_entries = o.num_entries.map(|p| b.strings.intern(&p));
    let enable = o.enable.map(|p| b.strings.intern(&p));
    let unique_keys = o
        .keys
        .into_iter()
        .map(|k| UniqueKey {
            functional: k.functional,
            params: k.params.iter().map(|p| b.strings.intern(p)).collect(),
        })
        .collect();
    let id = b.add_object(&o.path);
    if let Some(ob) = b.objects.get_mut(id as usize) {
        ob.access = o.access;
        ob.min_entries = o.min;
        ob.max_entries = o.max.0;
        ob.num_entries = num_entries;
        ob.enable = enable;
        ob.unique_keys = unique_keys;
        ob.status = o.status;
        ob.version = version;
    }
    Ok(id)
}

fn add_param(b: &mut Builder, object: u32, p: ParamLine, syntaxes: u32) -> Result<(), String> {
    if !is_valid_name(&p.name) {
        return Err(format!("bad parameter name {:?}", p.name));
    }
    if b.find_param(object, &p.name).is_some() {
        return Err(format!("parameter {:?} defined twice", p.name));
    }
    if p.syntax >= syntaxes {
        return Err(format!(
            "parameter {:?}: syntax {} is not defined above it",
            p.name, p.syntax
        ));
    }
    let version = parse_version(p.version)?;
    let name = b.strings.intern(&p.name);
    let default = p.default.map(|(k, v)| (k, b.strings.intern(&v)));
    b.add_param(ParamB {
        name,
        object,
        syntax: SyntaxId(p.syntax),
        access: p.access,
        active_notify: p.notify,
        forced_inform: p.forced,
        status: p.status,
        version,
        default,
        description: None,
    });
    Ok(())
}

/// Every data-type and syntax index points at a defined item.
fn check_references(b: &Builder, syntaxes: u32) -> Result<(), String> {
    let types = u32::try_from(b.data_types.len()).unwrap_or(u32::MAX);
    for dt in &b.data_types {
        if dt.syntax.0 >= syntaxes || dt.base.is_some_and(|x| x.0 >= types) {
            return Err(format!("data type {:?} refers to a missing item", dt.name));
        }
    }
    for i in 0..syntaxes {
        let refers = b.syntax(SyntaxId(i)).and_then(|s| s.data_type);
        if refers.is_some_and(|d| d.0 >= types) {
            return Err(format!("syntax {i} refers to a missing data type"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
