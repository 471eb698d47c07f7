//! Tokens → syntax tree, by precedence climbing with GenieACS's precedences (`OR` 10, `AND`
//! 11, `NOT` 12, comparisons, `LIKE` and `IS` 20, `||` 30, `+ -` 31, `* / %` 32, unary
//! minus above them). Bounded in nesting depth and node count.

use super::ExpressionError;
use super::lexer::Tok;
use crate::query::{ArithOp, CmpOp, Func, Limits, Literal};

/// A node of the syntax tree, with the byte offset it starts at.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Node {
    pub(super) kind: Kind,
    pub(super) pos: usize,
}

/// What a node is.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Kind {
    Lit(Literal),
    Path(String),
    Now,
    Call(Func, Vec<Node>),
    Neg(Box<Node>),
    Not(Box<Node>),
    And(Box<Node>, Box<Node>),
    Or(Box<Node>, Box<Node>),
    Cmp(CmpOp, Box<Node>, Box<Node>),
    Arith(ArithOp, Box<Node>, Box<Node>),
    Like {
        value: Box<Node>,
        pattern: Box<Node>,
        escape: Option<Box<Node>>,
        negated: bool,
    },
    IsNull {
        value: Box<Node>,
        negated: bool,
    },
}

const PREC_NOT: u8 = 12;
const PREC_CMP: u8 = 20;
const PREC_NEG: u8 = 40;

/// An infix operator found after an operand.
enum Infix {
    Or,
    And,
    Cmp(CmpOp),
    Arith(ArithOp),
    Like { negated: bool },
    Is,
}

pub(super) struct Parser<'t> {
    text: &'t str,
    toks: Vec<(Tok, usize)>,
    i: usize,
    nodes: usize,
    limits: &'t Limits,
}

impl<'t> Parser<'t> {
    pub(super) fn new(text: &'t str, toks: Vec<(Tok, usize)>, limits: &'t Limits) -> Self {
        Parser {
            text,
            toks,
            i: 0,
            nodes: 0,
            limits,
        }
    }

    /// The whole input as one expression.
    pub(super) fn parse(mut self) -> Result<Node, ExpressionError> {
        let e = self.expr(0, 0)?;
        match self.peek() {
            Tok::End => Ok(e),
            t => {
                let found = t.describe();
                Err(self.err(format!(
                    "expected an operator (AND, OR, =, LIKE, …) or the end, found {found}"
                )))
            }
        }
    }

    fn peek(&self) -> &Tok {
        self.toks.get(self.i).map_or(&Tok::End, |(t, _)| t)
    }

    fn peek_at(&self, ahead: usize) -> &Tok {
        self.toks.get(self.i + ahead).map_or(&Tok::End, |(t, _)| t)
    }

    fn pos(&self) -> usize {
        self.toks
            .get(self.i)
            .or(self.toks.last())
            .map_or(0, |(_, p)| *p)
    }

    fn bump(&mut self) -> (Tok, usize) {
        let t = self
            .toks
            .get(self.i)
            .cloned()
            .unwrap_or((Tok::End, self.text.len()));
        if self.i < self.toks.len() {
            self.i += 1;
        }
        t
    }

    fn err(&self, msg: impl Into<String>) -> ExpressionError {
        ExpressionError::at(self.text, self.pos(), msg)
    }

    fn node(&mut self, kind: Kind, pos: usize) -> Result<Node, ExpressionError> {
        self.nodes += 1;
        if self.nodes > self.limits.max_nodes {
            return Err(ExpressionError::at(
                self.text,
                pos,
                format!("more than {} terms", self.limits.max_nodes),
            ));
        }
        Ok(Node { kind, pos })
    }

    fn expect_close(&mut self, open: usize) -> Result<(), ExpressionError> {
        if *self.peek() == Tok::Op(")") {
            self.bump();
            return Ok(());
        }
        let (line, col) = super::line_column(self.text, open);
        let found = self.peek().describe();
        Err(self.err(format!(
            "expected ')' to close the '(' at line {line}, column {col}, found {found}"
        )))
    }

    fn infix(&self) -> Option<(Infix, u8, usize)> {
        Some(match self.peek() {
            t if t.is_kw("OR") => (Infix::Or, 10, 1),
            t if t.is_kw("AND") => (Infix::And, 11, 1),
            t if t.is_kw("LIKE") => (Infix::Like { negated: false }, PREC_CMP, 1),
            t if t.is_kw("NOT") && self.peek_at(1).is_kw("LIKE") => {
                (Infix::Like { negated: true }, PREC_CMP, 2)
            }
            t if t.is_kw("IS") => (Infix::Is, PREC_CMP, 1),
            Tok::Op(op) => {
                let cmp = |c| (Infix::Cmp(c), PREC_CMP, 1);
                let arith = |a, p| (Infix::Arith(a), p, 1);
                match *op {
                    "=" => cmp(CmpOp::Eq),
                    "<>" => cmp(CmpOp::Ne),
                    "<" => cmp(CmpOp::Lt),
                    "<=" => cmp(CmpOp::Le),
                    ">" => cmp(CmpOp::Gt),
                    ">=" => cmp(CmpOp::Ge),
                    "||" => arith(ArithOp::Concat, 30),
                    "+" => arith(ArithOp::Add, 31),
                    "-" => arith(ArithOp::Sub, 31),
                    "*" => arith(ArithOp::Mul, 32),
                    "/" => arith(ArithOp::Div, 32),
                    "%" => arith(ArithOp::Rem, 32),
                    _ => return None,
                }
            }
            _ => return None,
        })
    }

    fn expr(&mut self, min: u8, depth: usize) -> Result<Node, ExpressionError> {
        let mut lhs = self.prefix(depth)?;
        while let Some((op, prec, len)) = self.infix() {
            if prec <= min {
                break;
            }
            // An infix node points at its operator.
            let pos = self.pos();
            for _ in 0..len {
                self.bump();
            }
            let b = Box::new;
            let kind = match op {
                Infix::Or => Kind::Or(b(lhs), b(self.expr(prec, depth)?)),
                Infix::And => Kind::And(b(lhs), b(self.expr(prec, depth)?)),
                Infix::Cmp(c) => Kind::Cmp(c, b(lhs), b(self.expr(prec, depth)?)),
                Infix::Arith(a) => Kind::Arith(a, b(lhs), b(self.expr(prec, depth)?)),
                Infix::Like { negated } => {
                    let pattern = b(self.expr(prec, depth)?);
                    let escape = if self.peek().is_kw("ESCAPE") {
                        self.bump();
                        Some(b(self.prefix(depth)?))
                    } else {
                        None
                    };
                    Kind::Like {
                        value: b(lhs),
                        pattern,
                        escape,
                        negated,
                    }
                }
                Infix::Is => {
                    let negated = self.peek().is_kw("NOT");
                    if negated {
                        self.bump();
                    }
                    if !self.peek().is_kw("NULL") {
                        let found = self.peek().describe();
                        return Err(
                            self.err(format!("expected NULL or NOT NULL after IS, found {found}"))
                        );
                    }
                    self.bump();
                    Kind::IsNull {
                        value: b(lhs),
                        negated,
                    }
                }
            };
            lhs = self.node(kind, pos)?;
        }
        Ok(lhs)
    }

    fn prefix(&mut self, depth: usize) -> Result<Node, ExpressionError> {
        if depth > self.limits.max_depth {
            return Err(self.err(format!("nested deeper than {}", self.limits.max_depth)));
        }
        let here = self.pos();
        let (tok, pos) = self.bump();
        let kind = match tok {
            Tok::Op("(") => {
                let inner = self.expr(0, depth + 1)?;
                self.expect_close(pos)?;
                return Ok(inner);
            }
            Tok::Op("-") => Kind::Neg(Box::new(self.expr(PREC_NEG, depth + 1)?)),
            Tok::Num(n) => Kind::Lit(Literal::num(n)),
            Tok::Str(s) if s.len() > self.limits.max_string_bytes => {
                return Err(ExpressionError::at(
                    self.text,
                    pos,
                    format!("string longer than {} bytes", self.limits.max_string_bytes),
                ));
            }
            Tok::Str(s) => Kind::Lit(Literal::Text(s)),
            Tok::Word(w) if *self.peek() == Tok::Op("(") && !is_keyword(&w) => {
                return self.call(w, pos, depth);
            }
            Tok::Word(w) => match w.to_ascii_uppercase().as_str() {
                "TRUE" => Kind::Lit(Literal::Bool(true)),
                "FALSE" => Kind::Lit(Literal::Bool(false)),
                "NULL" => Kind::Lit(Literal::Null),
                "NOT" => Kind::Not(Box::new(self.expr(PREC_NOT, depth + 1)?)),
                "CASE" => {
                    return Err(ExpressionError::at(
                        self.text,
                        pos,
                        "CASE … END is not supported in queries",
                    ));
                }
                "AND" | "OR" | "LIKE" | "IS" | "ESCAPE" => {
                    return Err(ExpressionError::at(
                        self.text,
                        pos,
                        format!("expected a value, found the keyword {w}"),
                    ));
                }
                _ => Kind::Path(w),
            },
            other => {
                return Err(ExpressionError::at(
                    self.text,
                    here,
                    format!("expected a value, found {}", other.describe()),
                ));
            }
        };
        self.node(kind, pos)
    }

    /// `name(args…)`, the `(` next.
    fn call(&mut self, name: String, pos: usize, depth: usize) -> Result<Node, ExpressionError> {
        let open = self.bump().1;
        let mut args = Vec::new();
        if *self.peek() != Tok::Op(")") {
            loop {
                args.push(self.expr(0, depth + 1)?);
                if *self.peek() != Tok::Op(",") {
                    break;
                }
                self.bump();
            }
        }
        self.expect_close(open)?;
        let bad_count = |what: &str| {
            Err(ExpressionError::at(
                self.text,
                pos,
                format!("{} takes {what}", name.to_ascii_uppercase()),
            ))
        };
        if name.eq_ignore_ascii_case("NOW") {
            if !args.is_empty() {
                return bad_count("no arguments");
            }
            return self.node(Kind::Now, pos);
        }
        let Some((func, min, max)) = Func::by_name(&name) else {
            return Err(ExpressionError::at(
                self.text,
                pos,
                format!("unknown function {name} (known: NOW, UPPER, LOWER, ROUND, COALESCE)"),
            ));
        };
        if args.len() < min || args.len() > max {
            return match (min, max) {
                (1, 1) => bad_count("one argument"),
                (1, 2) => bad_count("one or two arguments"),
                _ => bad_count("at least one argument"),
            };
        }
        self.node(Kind::Call(func, args), pos)
    }
}

/// Words that are never a function name or a path.
fn is_keyword(w: &str) -> bool {
    [
        "NOT", "AND", "OR", "LIKE", "IS", "ESCAPE", "TRUE", "FALSE", "NULL", "CASE",
    ]
    .iter()
    .any(|k| w.eq_ignore_ascii_case(k))
}
