//! Constant values of the expression language: literals, `NOW()` and the arithmetic and
//! functions over them, folded at parse time when they do not depend on the clock and at
//! evaluation time (in memory or when compiled to SQL) when they do.
//!
//! The rules follow GenieACS (`lib/common/expression/evaluate.ts`): an operand that is NULL
//! makes the result NULL; arithmetic converts strings with `parseFloat` (0 when not a
//! number) and booleans to 0/1; `||` writes numbers in JavaScript's shortest form and
//! booleans as `1`/`0`. Two departures, both so that SQL can hold the same value: a result
//! that is not a finite number (`1 / 0`) is NULL, and `%` follows JavaScript's remainder.

use std::cmp::Ordering as Ord;

use super::OrderedNum;

/// A constant: what literals, `NOW()` and folded arithmetic produce.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Literal {
    /// `NULL`, or a result that is not a finite number.
    Null,
    /// `TRUE` / `FALSE`.
    Bool(bool),
    /// A finite number.
    Num(OrderedNum),
    /// A string.
    Text(String),
}

impl Literal {
    /// A number, NULL when not finite.
    pub fn num(n: f64) -> Literal {
        if n.is_finite() {
            Literal::Num(OrderedNum(n))
        } else {
            Literal::Null
        }
    }

    /// JavaScript truthiness of a constant used as a condition (`None`: NULL).
    pub fn truth(&self) -> Option<bool> {
        match self {
            Literal::Null => None,
            Literal::Bool(b) => Some(*b),
            Literal::Num(n) => Some(n.0 != 0.0),
            Literal::Text(s) => Some(!s.is_empty()),
        }
    }

    /// The value as GenieACS orders it: booleans are the numbers 0 and 1 (`None`: NULL).
    pub fn typed(&self) -> Option<Typed<'_>> {
        match self {
            Literal::Null => None,
            Literal::Bool(b) => Some(Typed::Num(f64::from(u8::from(*b)))),
            Literal::Num(n) => Some(Typed::Num(n.0)),
            Literal::Text(s) => Some(Typed::Text(s)),
        }
    }

    fn to_number(&self) -> Option<f64> {
        match self {
            Literal::Null => None,
            Literal::Bool(b) => Some(f64::from(u8::from(*b))),
            Literal::Num(n) => Some(n.0),
            Literal::Text(s) => Some(parse_float(s)),
        }
    }

    /// The text GenieACS's `toString` gives (`None`: NULL).
    pub fn to_text(&self) -> Option<String> {
        match self {
            Literal::Null => None,
            Literal::Bool(b) => Some(u8::from(*b).to_string()),
            Literal::Num(n) => Some(js_number(n.0)),
            Literal::Text(s) => Some(s.clone()),
        }
    }
}

/// A non-NULL value as GenieACS compares it: numbers (and booleans as 0/1) sort before
/// every string; strings compare bytewise.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Typed<'a> {
    /// A number (a boolean is 0 or 1).
    Num(f64),
    /// A string.
    Text(&'a str),
}

impl Typed<'_> {
    /// GenieACS's `compare`: a number is less than any string.
    pub fn compare(self, other: Typed<'_>) -> Ord {
        match (self, other) {
            (Typed::Num(a), Typed::Num(b)) => a.partial_cmp(&b).unwrap_or(Ord::Equal),
            (Typed::Text(a), Typed::Text(b)) => a.as_bytes().cmp(b.as_bytes()),
            (Typed::Num(_), Typed::Text(_)) => Ord::Less,
            (Typed::Text(_), Typed::Num(_)) => Ord::Greater,
        }
    }
}

/// A comparison operator of the expression language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    /// `=`.
    Eq,
    /// `<>`.
    Ne,
    /// `<`.
    Lt,
    /// `<=`.
    Le,
    /// `>`.
    Gt,
    /// `>=`.
    Ge,
}

impl CmpOp {
    /// The operator that holds exactly when this one does not (on two non-NULL values).
    pub fn negate(self) -> CmpOp {
        match self {
            CmpOp::Eq => CmpOp::Ne,
            CmpOp::Ne => CmpOp::Eq,
            CmpOp::Lt => CmpOp::Ge,
            CmpOp::Le => CmpOp::Gt,
            CmpOp::Gt => CmpOp::Le,
            CmpOp::Ge => CmpOp::Lt,
        }
    }

    /// The operator with its operands swapped (`a < b` is `b > a`).
    pub fn flip(self) -> CmpOp {
        match self {
            CmpOp::Lt => CmpOp::Gt,
            CmpOp::Le => CmpOp::Ge,
            CmpOp::Gt => CmpOp::Lt,
            CmpOp::Ge => CmpOp::Le,
            other => other,
        }
    }

    /// Whether `a <op> b` holds given their ordering.
    pub fn holds(self, ord: Ord) -> bool {
        match self {
            CmpOp::Eq => ord == Ord::Equal,
            CmpOp::Ne => ord != Ord::Equal,
            CmpOp::Lt => ord == Ord::Less,
            CmpOp::Le => ord != Ord::Greater,
            CmpOp::Gt => ord == Ord::Greater,
            CmpOp::Ge => ord != Ord::Less,
        }
    }

    /// The SQL operator.
    pub fn sql(self) -> &'static str {
        match self {
            CmpOp::Eq => "=",
            CmpOp::Ne => "<>",
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
        }
    }

    /// `a <op> b` on two constants, three-valued (`None`: an operand is NULL).
    pub fn apply(self, a: &Literal, b: &Literal) -> Option<bool> {
        Some(self.holds(a.typed()?.compare(b.typed()?)))
    }
}

/// Arithmetic and text operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArithOp {
    /// `+`.
    Add,
    /// `-`.
    Sub,
    /// `*`.
    Mul,
    /// `/`.
    Div,
    /// `%` (JavaScript remainder, divisor truncated; NULL when it is 0).
    Rem,
    /// `||` (text concatenation).
    Concat,
}

/// A function the expression language knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Func {
    /// `UPPER(text)`.
    Upper,
    /// `LOWER(text)`.
    Lower,
    /// `ROUND(number [, digits])`.
    Round,
    /// `COALESCE(a, b, …)`: the first that is not NULL.
    Coalesce,
}

impl Func {
    /// The function named `name` (any case), with the argument counts it takes.
    pub fn by_name(name: &str) -> Option<(Func, usize, usize)> {
        Some(match name.to_ascii_uppercase().as_str() {
            "UPPER" => (Func::Upper, 1, 1),
            "LOWER" => (Func::Lower, 1, 1),
            "ROUND" => (Func::Round, 1, 2),
            "COALESCE" => (Func::Coalesce, 1, usize::MAX),
            _ => return None,
        })
    }
}

/// A constant expression, possibly depending on the time of evaluation (`NOW()`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Term {
    /// A value.
    Lit(Literal),
    /// `NOW()`: Unix milliseconds at evaluation.
    Now,
    /// Unary minus.
    Neg(Box<Term>),
    /// A binary operator.
    Arith(ArithOp, Box<Term>, Box<Term>),
    /// A function call.
    Call(Func, Vec<Term>),
}

impl Term {
    /// The value at time `now` (Unix ms); `None` when it needs the time and `now` is `None`.
    pub fn eval(&self, now: Option<i64>) -> Option<Literal> {
        Some(match self {
            Term::Lit(l) => l.clone(),
            #[allow(clippy::cast_precision_loss)]
            Term::Now => Literal::num(now? as f64),
            Term::Neg(t) => match t.eval(now)?.to_number() {
                None => Literal::Null,
                Some(n) => Literal::num(-n),
            },
            Term::Arith(op, a, b) => arith(*op, &a.eval(now)?, &b.eval(now)?),
            Term::Call(f, args) => {
                let args = args
                    .iter()
                    .map(|a| a.eval(now))
                    .collect::<Option<Vec<_>>>()?;
                call(*f, &args)
            }
        })
    }

    /// This term with everything that does not depend on the clock folded into literals.
    pub fn fold(self) -> Term {
        match self.eval(None) {
            Some(l) => Term::Lit(l),
            None => self,
        }
    }
}

fn arith(op: ArithOp, a: &Literal, b: &Literal) -> Literal {
    if let ArithOp::Concat = op {
        return match (a.to_text(), b.to_text()) {
            (Some(a), Some(b)) => Literal::Text(a + &b),
            _ => Literal::Null,
        };
    }
    let (Some(a), Some(b)) = (a.to_number(), b.to_number()) else {
        return Literal::Null;
    };
    match op {
        ArithOp::Add => Literal::num(a + b),
        ArithOp::Sub => Literal::num(a - b),
        ArithOp::Mul => Literal::num(a * b),
        ArithOp::Div => Literal::num(a / b),
        ArithOp::Rem if b.trunc() == 0.0 => Literal::Null,
        ArithOp::Rem => Literal::num(a % b.trunc()),
        // Written above: text, not numbers.
        ArithOp::Concat => Literal::Null,
    }
}

fn call(f: Func, args: &[Literal]) -> Literal {
    let first = args.first().cloned().unwrap_or(Literal::Null);
    match f {
        Func::Coalesce => args
            .iter()
            .find(|a| **a != Literal::Null)
            .cloned()
            .unwrap_or(Literal::Null),
        Func::Upper => first
            .to_text()
            .map_or(Literal::Null, |s| Literal::Text(s.to_uppercase())),
        Func::Lower => first
            .to_text()
            .map_or(Literal::Null, |s| Literal::Text(s.to_lowercase())),
        Func::Round => {
            let digits = match args.get(1) {
                None => 0.0,
                Some(d) => match d.to_number() {
                    None => return Literal::Null,
                    Some(d) => d.trunc(),
                },
            };
            let Some(n) = first.to_number() else {
                return Literal::Null;
            };
            // GenieACS: Math.round(n * 10^p * (1 + EPSILON)) / 10^p; Math.round rounds
            // halves up (towards +infinity).
            let scale = 10f64.powf(digits);
            Literal::num((n * scale * (1.0 + f64::EPSILON) + 0.5).floor() / scale)
        }
    }
}

/// JavaScript's `parseFloat`, 0 when the text does not start with a number (as GenieACS's
/// `parseFloat(a) || 0`): the longest prefix `[+-]?(Infinity|\d+\.?\d*|\.\d+)([eE][+-]?\d+)?`.
fn parse_float(s: &str) -> f64 {
    let t = s.trim_start();
    let b = t.as_bytes();
    let sign = usize::from(matches!(b.first(), Some(b'+' | b'-')));
    if t[sign..].starts_with("Infinity") {
        return if b.first() == Some(&b'-') {
            f64::NEG_INFINITY
        } else {
            f64::INFINITY
        };
    }
    let digits = |mut i: usize| {
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        i
    };
    let int_end = digits(sign);
    let mut end = int_end;
    if b.get(end) == Some(&b'.') {
        let frac_end = digits(end + 1);
        if int_end > sign || frac_end > end + 1 {
            end = frac_end;
        }
    }
    if end == sign || (end == sign + 1 && b.get(sign) == Some(&b'.')) {
        return 0.0;
    }
    if matches!(b.get(end), Some(b'e' | b'E')) {
        let e = end + 1 + usize::from(matches!(b.get(end + 1), Some(b'+' | b'-')));
        let exp_end = digits(e);
        if exp_end > e {
            end = exp_end;
        }
    }
    t[..end].parse::<f64>().unwrap_or(0.0)
}

/// A number as JavaScript's `String(n)` writes it, for the values queries meet (integers
/// up to 2^53 without exponent, others in Rust's shortest round-trip form).
pub fn js_number(n: f64) -> String {
    if n == 0.0 {
        return "0".into();
    }
    #[allow(clippy::cast_possible_truncation)]
    if n.fract() == 0.0 && n.abs() < 1e21 {
        return format!("{}", n as i128);
    }
    let s = format!("{n}");
    if (1e-7..1e21).contains(&n.abs()) {
        s
    } else {
        format!("{n:e}").replace("e", "e+").replace("e+-", "e-")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn num(n: f64) -> Literal {
        Literal::num(n)
    }

    fn text(s: &str) -> Literal {
        Literal::Text(s.into())
    }

    #[test]
    fn arithmetic_and_nulls() {
        let t = |op, a: Literal, b: Literal| {
            Term::Arith(op, Box::new(Term::Lit(a)), Box::new(Term::Lit(b))).eval(None)
        };
        assert_eq!(t(ArithOp::Add, num(1.0), num(2.0)), Some(num(3.0)));
        assert_eq!(t(ArithOp::Add, text("2.5x"), num(1.0)), Some(num(3.5)));
        assert_eq!(t(ArithOp::Mul, text("abc"), num(4.0)), Some(num(0.0)));
        assert_eq!(
            t(ArithOp::Sub, Literal::Bool(true), num(3.0)),
            Some(num(-2.0))
        );
        assert_eq!(t(ArithOp::Div, num(1.0), num(0.0)), Some(Literal::Null));
        assert_eq!(t(ArithOp::Rem, num(7.0), num(2.5)), Some(num(1.0)));
        assert_eq!(t(ArithOp::Rem, num(7.0), num(0.4)), Some(Literal::Null));
        assert_eq!(t(ArithOp::Rem, num(-7.0), num(2.0)), Some(num(-1.0)));
        assert_eq!(
            t(ArithOp::Add, Literal::Null, num(1.0)),
            Some(Literal::Null)
        );
        assert_eq!(t(ArithOp::Concat, text("a"), num(1.5)), Some(text("a1.5")));
        assert_eq!(
            t(ArithOp::Concat, Literal::Bool(true), num(10.0)),
            Some(text("110"))
        );
        assert_eq!(
            t(ArithOp::Concat, text("a"), Literal::Null),
            Some(Literal::Null)
        );
    }

    #[test]
    fn now_waits_for_the_time() {
        let t = Term::Arith(
            ArithOp::Sub,
            Box::new(Term::Now),
            Box::new(Term::Lit(num(1000.0))),
        );
        assert_eq!(t.eval(None), None);
        assert_eq!(t.clone().fold(), t);
        assert_eq!(t.eval(Some(5000)), Some(num(4000.0)));
    }

    #[test]
    fn functions() {
        let c = |f, args: Vec<Literal>| {
            Term::Call(f, args.into_iter().map(Term::Lit).collect()).eval(None)
        };
        assert_eq!(c(Func::Upper, vec![text("aBc")]), Some(text("ABC")));
        assert_eq!(c(Func::Lower, vec![num(12.0)]), Some(text("12")));
        assert_eq!(c(Func::Upper, vec![Literal::Null]), Some(Literal::Null));
        assert_eq!(c(Func::Round, vec![num(2.5)]), Some(num(3.0)));
        assert_eq!(c(Func::Round, vec![num(-2.5)]), Some(num(-3.0)));
        assert_eq!(c(Func::Round, vec![num(1.005), num(2.0)]), Some(num(1.01)));
        assert_eq!(
            c(Func::Round, vec![num(1234.0), num(-2.0)]),
            Some(num(1200.0))
        );
        assert_eq!(
            c(Func::Coalesce, vec![Literal::Null, text("x"), num(1.0)]),
            Some(text("x"))
        );
        assert_eq!(c(Func::Coalesce, vec![Literal::Null]), Some(Literal::Null));
        assert_eq!(Func::by_name("coalesce").map(|f| f.0), Some(Func::Coalesce));
        assert!(Func::by_name("SLEEP").is_none());
    }

    #[test]
    fn genieacs_ordering() {
        let cmp = |op: CmpOp, a: Literal, b: Literal| op.apply(&a, &b);
        assert_eq!(cmp(CmpOp::Lt, num(100.0), text("20")), Some(true));
        assert_eq!(cmp(CmpOp::Gt, text(""), num(1e300)), Some(true));
        assert_eq!(cmp(CmpOp::Lt, text("100"), text("20")), Some(true));
        assert_eq!(cmp(CmpOp::Eq, Literal::Bool(true), num(1.0)), Some(true));
        assert_eq!(cmp(CmpOp::Eq, num(5.0), text("5")), Some(false));
        assert_eq!(cmp(CmpOp::Ne, Literal::Null, num(1.0)), None);
        for op in [
            CmpOp::Eq,
            CmpOp::Ne,
            CmpOp::Lt,
            CmpOp::Le,
            CmpOp::Gt,
            CmpOp::Ge,
        ] {
            for (a, b) in [
                (num(1.0), num(2.0)),
                (text("a"), num(2.0)),
                (text("b"), text("b")),
            ] {
                assert_ne!(
                    cmp(op, a.clone(), b.clone()),
                    cmp(op.negate(), a.clone(), b.clone())
                );
                assert_eq!(cmp(op, a.clone(), b.clone()), cmp(op.flip(), b, a));
            }
        }
    }

    #[test]
    fn parse_float_like_javascript() {
        for (s, n) in [
            ("12abc", 12.0),
            ("  -3.5e2x", -350.0),
            (".5", 0.5),
            ("-.5", -0.5),
            ("1e", 1.0),
            ("abc", 0.0),
            ("", 0.0),
            ("-", 0.0),
            (".", 0.0),
            ("+7", 7.0),
            ("1.", 1.0),
        ] {
            assert_eq!(parse_float(s), n, "{s:?}");
        }
    }

    #[test]
    fn numbers_as_javascript_writes_them() {
        assert_eq!(js_number(3.0), "3");
        assert_eq!(js_number(-0.0), "0");
        assert_eq!(js_number(1.5), "1.5");
        assert_eq!(js_number(1e21), "1e+21");
        assert_eq!(js_number(1.5e-9), "1.5e-9");
    }
}
