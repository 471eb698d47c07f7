//! Small helpers to read typed attributes from roxmltree nodes.

use roxmltree::Node;

/// A problem at a node; turned into a [`crate::SchemaError`] with its location by the loader.
#[derive(Debug)]
pub(crate) struct Bad<'a, 'i> {
    pub node: Node<'a, 'i>,
    pub message: String,
}

/// Result type for node-level parsing.
pub(crate) type NodeResult<'a, 'i, T> = Result<T, Bad<'a, 'i>>;

/// Builds a [`Bad`] at `node`.
pub(crate) fn bad<'a, 'i>(node: Node<'a, 'i>, message: impl Into<String>) -> Bad<'a, 'i> {
    Bad {
        node,
        message: message.into(),
    }
}

/// Element children of `node` (skips text, comments, processing instructions).
pub(crate) fn elements<'a, 'i>(node: Node<'a, 'i>) -> impl Iterator<Item = Node<'a, 'i>> {
    node.children().filter(Node::is_element)
}

/// Local name of an element.
pub(crate) fn tag<'a>(node: Node<'a, '_>) -> &'a str {
    node.tag_name().name()
}

/// Optional boolean attribute (`true`/`false`/`1`/`0`).
pub(crate) fn attr_bool<'a, 'i>(
    node: Node<'a, 'i>,
    name: &str,
) -> NodeResult<'a, 'i, Option<bool>> {
    match node.attribute(name) {
        None => Ok(None),
        Some("true" | "1") => Ok(Some(true)),
        Some("false" | "0") => Ok(Some(false)),
        Some(v) => Err(bad(
            node,
            format!("attribute {name}={v:?} is not a boolean"),
        )),
    }
}

/// Optional parsed attribute, with an error naming the attribute on failure.
pub(crate) fn attr_parse<'a, 'i, T: std::str::FromStr>(
    node: Node<'a, 'i>,
    name: &str,
) -> NodeResult<'a, 'i, Option<T>> {
    match node.attribute(name) {
        None => Ok(None),
        Some(v) => v.trim().parse::<T>().map(Some).map_err(|_| {
            bad(
                node,
                format!("attribute {name}={v:?} is not a valid number"),
            )
        }),
    }
}

/// Optional attribute mapped through `f`, which returns `None` for unknown values.
pub(crate) fn attr_enum<'a, 'i, T>(
    node: Node<'a, 'i>,
    name: &str,
    f: impl Fn(&str) -> Option<T>,
) -> NodeResult<'a, 'i, Option<T>> {
    match node.attribute(name) {
        None => Ok(None),
        Some(v) => f(v)
            .map(Some)
            .ok_or_else(|| bad(node, format!("attribute {name}={v:?} has an unknown value"))),
    }
}

/// Parses a `maxEntries`/`maxItems` value: a number or `unbounded` (→ `None`).
pub(crate) fn attr_max<'a, 'i>(
    node: Node<'a, 'i>,
    name: &str,
) -> NodeResult<'a, 'i, Option<Option<u32>>> {
    match node.attribute(name) {
        None => Ok(None),
        Some("unbounded") => Ok(Some(None)),
        Some(v) => v.parse::<u32>().map(|n| Some(Some(n))).map_err(|_| {
            bad(
                node,
                format!("attribute {name}={v:?} is neither a number nor \"unbounded\""),
            )
        }),
    }
}

/// Trims a description and removes its common indentation.
pub(crate) fn clean_text(s: &str) -> Box<str> {
    // Drop blank leading lines (keeping the first line's indentation) and trailing space.
    let s = s.trim_end();
    let first = s.find(|c: char| !c.is_whitespace()).unwrap_or(0);
    let s = &s[s[..first].rfind('\n').map_or(0, |i| i + 1)..];
    let indent = s
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.len() - l.trim_start().len())
        .min()
        .unwrap_or(0);
    let mut out = String::with_capacity(s.len());
    for (i, line) in s.lines().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push_str(line.get(indent..).unwrap_or(line.trim_start()).trim_end());
    }
    out.into_boxed_str()
}
