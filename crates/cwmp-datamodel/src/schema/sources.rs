//! Reading documents and the files they `<import>`, and locating errors.

use std::borrow::Cow;
use std::collections::HashSet;
use std::path::{Path, PathBuf};

use roxmltree::{Document, Node};

use super::xml::{Bad, elements, tag};
use crate::error::{Location, SchemaError};

/// Most nested imports followed before giving up.
const MAX_IMPORT_DEPTH: usize = 64;

/// One document's text and where its imports point.
pub(crate) struct Source<'s> {
    /// Name used in messages.
    pub name: Box<str>,
    /// Directory of the file, searched first for its imports.
    pub dir: Option<PathBuf>,
    /// The XML text.
    pub text: Cow<'s, str>,
    /// `(file attribute, index in the source list)` of each import.
    pub imports: Vec<(Box<str>, usize)>,
}

/// Parses a document; DTDs are refused.
pub(crate) fn parse<'s>(src: &'s Source<'_>) -> Result<Document<'s>, SchemaError> {
    Document::parse(&src.text).map_err(|source| SchemaError::Xml {
        file: src.name.clone(),
        source,
    })
}

/// Location of `node` in the document it belongs to.
pub(crate) fn location(file: &str, node: Node<'_, '_>) -> Location {
    let pos = node.document().text_pos_at(node.range().start);
    let mut parts: Vec<String> = Vec::new();
    let mut cur = Some(node);
    while let Some(n) = cur {
        if n.is_element() && n.parent().is_some_and(|p| p.is_element()) {
            let id = n
                .attribute("name")
                .or_else(|| n.attribute("base"))
                .or_else(|| n.attribute("ref"));
            parts.push(match id {
                Some(id) => format!("{}[{id}]", tag(n)),
                None => tag(n).to_owned(),
            });
        }
        cur = n.parent();
    }
    parts.reverse();
    Location {
        file: file.into(),
        line: pos.row,
        column: pos.col,
        element: if parts.is_empty() {
            tag(node).into()
        } else {
            parts.join("/").into()
        },
    }
}

/// Turns a node-level problem into a located [`SchemaError`].
pub(crate) fn located(file: &str, bad: Bad<'_, '_>) -> SchemaError {
    SchemaError::Invalid {
        location: location(file, bad.node),
        message: bad.message.into(),
    }
}

fn read(path: &Path) -> Result<String, SchemaError> {
    std::fs::read_to_string(path).map_err(|source| SchemaError::Io {
        file: path.to_owned(),
        source,
    })
}

/// Finds an imported file: exact name first, then (for names without a
/// corrigendum such as `tr-181-2-16.xml`) the highest `tr-181-2-16-*.xml`.
fn find_import(file: &str, dirs: &[PathBuf]) -> Option<PathBuf> {
    for d in dirs {
        let p = d.join(file);
        if p.is_file() {
            return Some(p);
        }
    }
    let stem = file.strip_suffix(".xml")?;
    for d in dirs {
        let Ok(entries) = std::fs::read_dir(d) else {
            continue;
        };
        let mut best: Option<String> = None;
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            let Some(rest) = name.strip_prefix(stem).and_then(|r| r.strip_prefix('-')) else {
                continue;
            };
            let Some(num) = rest.strip_suffix(".xml") else {
                continue;
            };
            if !num.is_empty() && num.bytes().all(|b| b.is_ascii_digit()) {
                let better = best
                    .as_ref()
                    .is_none_or(|b| b.len() < name.len() || (b.len() == name.len() && *b < name));
                if better {
                    best = Some(name);
                }
            }
        }
        if let Some(b) = best {
            return Some(d.join(b));
        }
    }
    None
}

/// Reads the main document and, transitively, everything it imports.
/// The result lists imported documents before their importers; the main
/// document is last.
pub(crate) fn collect<'s>(
    main: Source<'s>,
    extra_dirs: &[PathBuf],
) -> Result<Vec<Source<'s>>, SchemaError> {
    let mut out = Vec::new();
    let mut seen: Vec<(PathBuf, usize)> = Vec::new();
    let mut active = HashSet::new();
    add(main, extra_dirs, &mut out, &mut seen, &mut active, 0)?;
    Ok(out)
}

fn add<'s>(
    mut src: Source<'s>,
    extra_dirs: &[PathBuf],
    out: &mut Vec<Source<'s>>,
    seen: &mut Vec<(PathBuf, usize)>,
    active: &mut HashSet<PathBuf>,
    depth: usize,
) -> Result<usize, SchemaError> {
    // Cheap pre-check: most documents (all "full" ones) import nothing.
    if src.text.contains("<import") {
        let mut dirs: Vec<PathBuf> = src.dir.iter().cloned().collect();
        dirs.extend(extra_dirs.iter().cloned());
        // (file attribute, resolved path or error)
        let mut wanted: Vec<(Box<str>, Result<PathBuf, SchemaError>)> = Vec::new();
        {
            let doc = parse(&src)?;
            for imp in elements(doc.root_element()).filter(|n| tag(*n) == "import") {
                let Some(file) = imp.attribute("file") else {
                    return Err(located(
                        &src.name,
                        super::xml::bad(imp, "import without file attribute"),
                    ));
                };
                let found = find_import(file, &dirs).ok_or_else(|| SchemaError::ImportNotFound {
                    location: location(&src.name, imp),
                    file: file.into(),
                    searched: dirs
                        .iter()
                        .map(|d| d.display().to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                        .into(),
                });
                wanted.push((file.into(), found));
            }
        }
        for (file, found) in wanted {
            let path = found?;
            let key = path.canonicalize().unwrap_or_else(|_| path.clone());
            if let Some(&(_, i)) = seen.iter().find(|(p, _)| *p == key) {
                src.imports.push((file, i));
                continue;
            }
            if depth >= MAX_IMPORT_DEPTH || active.contains(&key) {
                return Err(SchemaError::Invalid {
                    location: Location {
                        file: src.name.clone(),
                        line: 0,
                        column: 0,
                        element: "import".into(),
                    },
                    message: format!("circular or too deep import of {}", path.display()).into(),
                });
            }
            active.insert(key.clone());
            let child = Source {
                name: path.display().to_string().into(),
                dir: path.parent().map(Path::to_path_buf),
                text: Cow::Owned(read(&path)?),
                imports: Vec::new(),
            };
            let i = add(child, extra_dirs, out, seen, active, depth + 1)?;
            active.remove(&key);
            seen.push((key, i));
            src.imports.push((file, i));
        }
    }
    out.push(src);
    Ok(out.len() - 1)
}

/// Reads a file into a [`Source`].
pub(crate) fn file_source(path: &Path) -> Result<Source<'static>, SchemaError> {
    Ok(Source {
        name: path.display().to_string().into(),
        dir: path.parent().map(Path::to_path_buf),
        text: Cow::Owned(read(path)?),
        imports: Vec::new(),
    })
}
