//! Syntax tree → [`Query`], keeping SQL's three-valued logic: each condition becomes two
//! queries, one matching the devices where it is TRUE and one where it is FALSE (a device
//! in neither sees NULL). `NOT` swaps them, so `NOT (x = 1)` does not match a device
//! without `x`, as in GenieACS; the final query is the TRUE one.

use super::ExpressionError;
use super::syntax::{Kind, Node};
use crate::query::{
    CmpOp, Cond, Field, Func, IdentityField, Limits, Literal, Pattern, Query, Scalar, Term,
};

/// The devices where a condition is TRUE and where it is FALSE.
struct Tri {
    t: Query,
    f: Query,
}

fn none() -> Query {
    Query::Or(Vec::new())
}

fn is_none(q: &Query) -> bool {
    matches!(q, Query::Or(v) if v.is_empty())
}

fn is_all(q: &Query) -> bool {
    matches!(q, Query::And(v) if v.is_empty())
}

/// `a AND b`, flattened, with the constants folded.
fn and(a: Query, b: Query) -> Query {
    if is_none(&a) || is_none(&b) {
        return none();
    }
    let mut parts = Vec::new();
    for q in [a, b] {
        match q {
            Query::And(v) => parts.extend(v),
            q => parts.push(q),
        }
    }
    one(parts, Query::And)
}

/// `a OR b`, flattened, with the constants folded.
fn or(a: Query, b: Query) -> Query {
    if is_all(&a) || is_all(&b) {
        return Query::all();
    }
    let mut parts = Vec::new();
    for q in [a, b] {
        match q {
            Query::Or(v) => parts.extend(v),
            q => parts.push(q),
        }
    }
    one(parts, Query::Or)
}

fn one(mut parts: Vec<Query>, wrap: fn(Vec<Query>) -> Query) -> Query {
    if parts.len() == 1 {
        parts.swap_remove(0)
    } else {
        wrap(parts)
    }
}

/// What a value position holds.
enum Operand {
    /// A constant, possibly depending on `NOW()`.
    Const(Term),
    /// A device field, under `UPPER()`/`LOWER()` when `fold` is set.
    Field { field: Field, fold: Option<Func> },
    /// `Tags.<name>`: `true` when the device has the tag, NULL otherwise.
    Tag(String),
}

pub(super) struct Lower<'t> {
    pub(super) text: &'t str,
    pub(super) limits: &'t Limits,
}

impl Lower<'_> {
    fn err(&self, pos: usize, msg: impl Into<String>) -> ExpressionError {
        ExpressionError::at(self.text, pos, msg)
    }

    /// The query matching the devices where `n` is TRUE.
    pub(super) fn query(&self, n: &Node) -> Result<Query, ExpressionError> {
        Ok(self.pred(n)?.t)
    }

    fn pred(&self, n: &Node) -> Result<Tri, ExpressionError> {
        match &n.kind {
            Kind::Not(x) => {
                let Tri { t, f } = self.pred(x)?;
                Ok(Tri { t: f, f: t })
            }
            Kind::And(a, b) => {
                let (a, b) = (self.pred(a)?, self.pred(b)?);
                Ok(Tri {
                    t: and(a.t, b.t),
                    f: or(a.f, b.f),
                })
            }
            Kind::Or(a, b) => {
                let (a, b) = (self.pred(a)?, self.pred(b)?);
                Ok(Tri {
                    t: or(a.t, b.t),
                    f: and(a.f, b.f),
                })
            }
            Kind::Cmp(op, a, b) => self.compare(*op, a, b, n.pos),
            Kind::Like {
                value,
                pattern,
                escape,
                negated,
            } => {
                let tri = self.like(value, pattern, escape.as_deref())?;
                Ok(if *negated {
                    Tri { t: tri.f, f: tri.t }
                } else {
                    tri
                })
            }
            Kind::IsNull { value, negated } => {
                let present = match self.operand(value)? {
                    Operand::Const(t) => {
                        let l = self.constant(&t, value.pos)?;
                        constant(Some(l != Literal::Null))
                    }
                    Operand::Field { field, .. } => Tri {
                        t: Query::Cond(field.clone(), Cond::NotNull),
                        f: Query::Not(Box::new(Query::Cond(field, Cond::NotNull))),
                    },
                    Operand::Tag(name) => Tri {
                        t: has_tag(&name),
                        f: Query::Not(Box::new(has_tag(&name))),
                    },
                };
                Ok(if *negated {
                    present
                } else {
                    Tri {
                        t: present.f,
                        f: present.t,
                    }
                })
            }
            _ => match self.operand(n)? {
                Operand::Const(t) => Ok(constant(self.constant(&t, n.pos)?.truth())),
                Operand::Field { .. } | Operand::Tag(_) => Err(self.err(
                    n.pos,
                    "a parameter alone is not a condition: compare it (… = true, … IS NOT NULL)",
                )),
            },
        }
    }

    /// The value of a constant that must not depend on the time.
    fn constant(&self, t: &Term, pos: usize) -> Result<Literal, ExpressionError> {
        t.eval(None).ok_or_else(|| {
            self.err(
                pos,
                "NOW() can only be compared with a parameter here (… > NOW() - 3600000)",
            )
        })
    }

    fn compare(&self, op: CmpOp, a: &Node, b: &Node, pos: usize) -> Result<Tri, ExpressionError> {
        let (op, side, value) = match (self.operand(a)?, self.operand(b)?) {
            (Operand::Const(x), Operand::Const(y)) => {
                let (x, y) = (self.constant(&x, a.pos)?, self.constant(&y, b.pos)?);
                return Ok(constant(op.apply(&x, &y)));
            }
            (Operand::Field { fold: Some(_), .. }, _)
            | (_, Operand::Field { fold: Some(_), .. }) => {
                return Err(self.err(
                    pos,
                    "UPPER() and LOWER() of a parameter are supported with LIKE only",
                ));
            }
            (Operand::Field { field, .. }, Operand::Const(c)) => (op, Ok(field), c),
            (Operand::Const(c), Operand::Field { field, .. }) => (op.flip(), Ok(field), c),
            (Operand::Tag(t), Operand::Const(c)) => (op, Err(t), c),
            (Operand::Const(c), Operand::Tag(t)) => (op.flip(), Err(t), c),
            _ => {
                return Err(self.err(
                    pos,
                    "a comparison needs a constant on one side (parameters cannot be compared \
                     with each other)",
                ));
            }
        };
        match side {
            Ok(field) => Ok(Tri {
                t: Query::Cond(field.clone(), Cond::Compare(op, value.clone())),
                f: Query::Cond(field, Cond::Compare(op.negate(), value)),
            }),
            Err(tag) => {
                let v = self.constant(&value, pos)?;
                let holds = op.apply(&Literal::Bool(true), &v);
                Ok(Tri {
                    t: if holds == Some(true) {
                        has_tag(&tag)
                    } else {
                        none()
                    },
                    f: if holds == Some(false) {
                        has_tag(&tag)
                    } else {
                        none()
                    },
                })
            }
        }
    }

    fn like(
        &self,
        value: &Node,
        pattern: &Node,
        escape: Option<&Node>,
    ) -> Result<Tri, ExpressionError> {
        let text_of = |n: &Node, what: &str| -> Result<Option<String>, ExpressionError> {
            match self.operand(n)? {
                Operand::Const(t) => match self.constant(&t, n.pos)? {
                    Literal::Null => Ok(None),
                    Literal::Text(s) => Ok(Some(s)),
                    _ => Err(self.err(n.pos, format!("{what} must be a string"))),
                },
                _ => Err(self.err(n.pos, format!("{what} must be a constant string"))),
            }
        };
        let Some(pat) = text_of(pattern, "the LIKE pattern")? else {
            return Ok(constant(None));
        };
        let esc = match escape {
            None => None,
            Some(e) => {
                let Some(s) = text_of(e, "ESCAPE")? else {
                    return Ok(constant(None));
                };
                let mut chars = s.chars();
                match (chars.next(), chars.next()) {
                    (Some(c), None) => Some(c),
                    _ => return Err(self.err(e.pos, "ESCAPE takes a single character")),
                }
            }
        };
        let parts = like_parts(&pat, esc).map_err(|m| self.err(pattern.pos, m))?;
        match self.operand(value)? {
            Operand::Const(t) => {
                let v = self.constant(&t, value.pos)?;
                let Some(s) = v.to_text() else {
                    return Ok(constant(None));
                };
                let re = self.compile(&parts, false, pattern.pos)?;
                Ok(constant(Some(re.0.is_match(&s))))
            }
            Operand::Tag(_) => Ok(constant(None)),
            Operand::Field { field, fold } => {
                // GenieACS: UPPER(x) LIKE 'abc' can never hold; otherwise the fold makes
                // the match case-insensitive.
                let impossible = match fold {
                    Some(Func::Upper) => pat != pat.to_uppercase(),
                    Some(Func::Lower) => pat != pat.to_lowercase(),
                    _ => false,
                };
                let pattern = if impossible {
                    self.compile(&[LikePart::Never], false, pattern.pos)?
                } else {
                    self.compile(&parts, fold.is_some(), pattern.pos)?
                };
                Ok(Tri {
                    t: Query::Cond(
                        field.clone(),
                        Cond::Like {
                            pattern: pattern.clone(),
                            negated: false,
                        },
                    ),
                    f: Query::Cond(
                        field,
                        Cond::Like {
                            pattern,
                            negated: true,
                        },
                    ),
                })
            }
        }
    }

    fn compile(
        &self,
        parts: &[LikePart],
        fold: bool,
        pos: usize,
    ) -> Result<Pattern, ExpressionError> {
        let mut src = String::from(if fold { "(?si)^" } else { "(?s)^" });
        for p in parts {
            match p {
                LikePart::Any => src.push_str(".*"),
                LikePart::One => src.push('.'),
                LikePart::Char(c) => src.push_str(&regex::escape(c.encode_utf8(&mut [0; 4]))),
                LikePart::Never => src.push_str("[^\\s\\S]"),
            }
        }
        src.push('$');
        regex::RegexBuilder::new(&src)
            .size_limit(self.limits.regex_size_limit)
            .build()
            .map(Pattern)
            .map_err(|e| self.err(pos, format!("LIKE pattern too complex: {e}")))
    }

    fn operand(&self, n: &Node) -> Result<Operand, ExpressionError> {
        let konst = |t: Term| Ok(Operand::Const(t.fold()));
        match &n.kind {
            Kind::Lit(l) => konst(Term::Lit(l.clone())),
            Kind::Now => konst(Term::Now),
            Kind::Path(p) => self.path(p, n.pos),
            Kind::Neg(x) => konst(Term::Neg(Box::new(self.term(x)?))),
            Kind::Arith(op, a, b) => konst(Term::Arith(
                *op,
                Box::new(self.term(a)?),
                Box::new(self.term(b)?),
            )),
            Kind::Call(f @ (Func::Upper | Func::Lower), args) if args.len() == 1 => {
                match self.operand(&args[0])? {
                    Operand::Field { field, fold: None } => Ok(Operand::Field {
                        field,
                        fold: Some(*f),
                    }),
                    Operand::Const(t) => konst(Term::Call(*f, vec![t])),
                    _ => Err(self.err(
                        n.pos,
                        "UPPER()/LOWER() apply to a parameter or a constant (not to a tag, \
                         nor twice)",
                    )),
                }
            }
            Kind::Call(f, args) => {
                let args = args
                    .iter()
                    .map(|a| self.term(a))
                    .collect::<Result<_, _>>()?;
                konst(Term::Call(*f, args))
            }
            _ => Err(self.err(n.pos, "expected a value here, found a condition")),
        }
    }

    /// A constant sub-expression (arithmetic and functions take constants only).
    fn term(&self, n: &Node) -> Result<Term, ExpressionError> {
        match self.operand(n)? {
            Operand::Const(t) => Ok(t),
            _ => Err(self.err(
                n.pos,
                "arithmetic and functions on a parameter are not supported in queries \
                 (move the constant to the other side of the comparison)",
            )),
        }
    }

    /// The field a parameter path names.
    fn path(&self, path: &str, pos: usize) -> Result<Operand, ExpressionError> {
        use IdentityField as I;
        let err = |m: String| Err(self.err(pos, m));
        if path.len() > self.limits.max_string_bytes {
            return err(format!(
                "path longer than {} bytes",
                self.limits.max_string_bytes
            ));
        }
        if path.contains(['*', '{', '}', '[', ']', ':']) {
            return err(format!(
                "{path}: wildcards, aliases and alias filters are not supported in queries"
            ));
        }
        let path = path.strip_suffix("._value").unwrap_or(path);
        if path.split('.').any(str::is_empty) {
            return err(format!("{path}: empty path segment"));
        }
        let field = |f| {
            Ok(Operand::Field {
                field: f,
                fold: None,
            })
        };
        if let Some(tag) = path.strip_prefix("Tags.") {
            return match decode_tag(tag) {
                Some(t) => Ok(Operand::Tag(t)),
                None => err(format!("Tags.{tag}: bad 0xHH escape in the tag name")),
            };
        }
        match path {
            "DeviceID.ID" => field(Field::Id),
            "DeviceID.Manufacturer" => field(Field::Identity(I::Manufacturer)),
            "DeviceID.OUI" => field(Field::Identity(I::Oui)),
            "DeviceID.ProductClass" => field(Field::Identity(I::ProductClass)),
            "DeviceID.SerialNumber" => field(Field::Identity(I::SerialNumber)),
            "Events.Inform" => field(Field::LastInform),
            "Events.Registered" => field(Field::Registered),
            p if p.starts_with("DeviceID") => err(format!(
                "{p}: DeviceID has ID, Manufacturer, OUI, ProductClass and SerialNumber"
            )),
            p if p.starts_with("Events") || p == "Tags" => err(format!(
                "{p}: not recorded by this ACS (Events.Inform, Events.Registered and \
                 Tags.<name> are)"
            )),
            p if p.starts_with('_') => err(format!(
                "{p}: write DeviceID.ID, Tags.<name> or Events.Inform in an expression"
            )),
            p => match p.rsplit_once("._") {
                Some((_, attr)) => err(format!("{p}: attribute _{attr} cannot be queried")),
                None => field(Field::Param(p.to_owned())),
            },
        }
    }
}

fn has_tag(name: &str) -> Query {
    Query::Cond(Field::Tags, Cond::In(vec![Scalar::Text(name.to_owned())]))
}

/// A condition whose truth is known: TRUE, FALSE or NULL (`None`).
fn constant(v: Option<bool>) -> Tri {
    match v {
        Some(true) => Tri {
            t: Query::all(),
            f: none(),
        },
        Some(false) => Tri {
            t: none(),
            f: Query::all(),
        },
        None => Tri {
            t: none(),
            f: none(),
        },
    }
}

/// A piece of a LIKE pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LikePart {
    /// `%`: any run of characters.
    Any,
    /// `_`: one character.
    One,
    /// A literal character.
    Char(char),
    /// Nothing matches (`UPPER(x) LIKE 'abc'`).
    Never,
}

/// The pieces of `pat`; `esc` makes the next character literal.
fn like_parts(pat: &str, esc: Option<char>) -> Result<Vec<LikePart>, String> {
    let mut out = Vec::new();
    let mut chars = pat.chars();
    while let Some(c) = chars.next() {
        out.push(match c {
            c if Some(c) == esc => match chars.next() {
                Some(n) => LikePart::Char(n),
                None => return Err("the pattern ends with its ESCAPE character".into()),
            },
            '%' if out.last() == Some(&LikePart::Any) => continue,
            '%' => LikePart::Any,
            '_' => LikePart::One,
            c => LikePart::Char(c),
        });
    }
    Ok(out)
}

/// GenieACS's tag decoding in paths: `0xHH` is the byte `HH` (so `Tags.a0x20b` is `a b`).
fn decode_tag(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| c.is_ascii_digit() || c.is_ascii_uppercase();
        if b[i] == b'0'
            && b.get(i + 1) == Some(&b'x')
            && b.get(i + 2..i + 4)
                .is_some_and(|h| h.iter().all(|&c| hex(c)))
        {
            let h = std::str::from_utf8(&b[i + 2..i + 4]).ok()?;
            out.push(u8::from_str_radix(h, 16).ok()?);
            i += 4;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    let t = String::from_utf8(out).ok()?;
    (!t.is_empty()).then_some(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_pieces_and_escapes() {
        use LikePart::*;
        assert_eq!(like_parts("a%%_", None), Ok(vec![Char('a'), Any, One]));
        assert_eq!(
            like_parts("a!%b", Some('!')),
            Ok(vec![Char('a'), Char('%'), Char('b')])
        );
        assert_eq!(like_parts("!!", Some('!')), Ok(vec![Char('!')]));
        assert!(like_parts("a!", Some('!')).is_err());
    }

    #[test]
    fn tag_names() {
        assert_eq!(decode_tag("lab"), Some("lab".into()));
        assert_eq!(decode_tag("a0x20b0x2E"), Some("a b.".into()));
        assert_eq!(decode_tag("0xC30xA9"), Some("é".into()));
        assert_eq!(decode_tag("0xZZ"), None);
        assert_eq!(decode_tag("0xFF"), None);
        assert_eq!(decode_tag("0x4"), Some("0x4".into()));
    }
}
