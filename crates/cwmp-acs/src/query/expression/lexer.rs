//! Tokens of the expression language, each with the byte offset where it starts.

use super::ExpressionError;

/// A token.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Tok {
    /// A word: a keyword, a function name or a parameter path (letters, digits, `_`, `-`,
    /// `.`, and the wildcard/alias characters `*{}[]:` so they can be refused by name).
    Word(String),
    /// A number literal.
    Num(f64),
    /// A string literal, escapes resolved.
    Str(String),
    /// An operator or punctuation: `( ) , = <> < <= > >= + - * / % ||`.
    Op(&'static str),
    /// End of input.
    End,
}

impl Tok {
    /// How an error message names this token.
    pub(super) fn describe(&self) -> String {
        match self {
            Tok::Word(w) => format!("'{w}'"),
            Tok::Num(_) => "a number".into(),
            Tok::Str(_) => "a string".into(),
            Tok::Op(o) => format!("'{o}'"),
            Tok::End => "the end of the expression".into(),
        }
    }

    /// True for the keyword `kw` (any case).
    pub(super) fn is_kw(&self, kw: &str) -> bool {
        matches!(self, Tok::Word(w) if w.eq_ignore_ascii_case(kw))
    }
}

const OPERATORS: [&str; 15] = [
    "<>", "<=", ">=", "||", "(", ")", ",", "=", "<", ">", "+", "-", "*", "/", "%",
];

fn is_word_start(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_'
}

fn is_word_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b'.' | b'*' | b'{' | b'}' | b':')
}

/// Splits `text` into tokens with their byte offsets; the last is [`Tok::End`].
pub(super) fn tokens(text: &str, max_tokens: usize) -> Result<Vec<(Tok, usize)>, ExpressionError> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    loop {
        while b.get(i).is_some_and(u8::is_ascii_whitespace) {
            i += 1;
        }
        if out.len() >= max_tokens {
            return Err(ExpressionError::at(
                text,
                i,
                format!("more than {max_tokens} tokens"),
            ));
        }
        let Some(&c) = b.get(i) else {
            out.push((Tok::End, i));
            return Ok(out);
        };
        let start = i;
        let tok = if is_word_start(c) {
            i = word_end(text, i)?;
            Tok::Word(text[start..i].to_owned())
        } else if c.is_ascii_digit() {
            let (n, end) = number(text, i)?;
            i = end;
            Tok::Num(n)
        } else if c == b'"' {
            let (s, end) = double_quoted(text, i)?;
            i = end;
            Tok::Str(s)
        } else if c == b'\'' {
            let (s, end) = single_quoted(text, i)?;
            i = end;
            Tok::Str(s)
        } else if let Some(op) = OPERATORS.iter().find(|o| b[i..].starts_with(o.as_bytes())) {
            i += op.len();
            Tok::Op(op)
        } else {
            let shown = text[i..].chars().next().unwrap_or('?');
            let hint = match &b[i..] {
                [b'!', b'=', ..] => " (use '<>' for not equal)",
                [b'=', b'=', ..] => " (use '=' for equal)",
                _ => "",
            };
            return Err(ExpressionError::at(
                text,
                i,
                format!("unexpected character {shown:?}{hint}"),
            ));
        };
        out.push((tok, start));
    }
}

/// End of a word starting at `i`; an alias filter `[...]` inside a path is kept whole.
fn word_end(text: &str, mut i: usize) -> Result<usize, ExpressionError> {
    let b = text.as_bytes();
    loop {
        match b.get(i) {
            Some(&c) if is_word_char(c) => i += 1,
            Some(b'[') => match text[i..].find(']') {
                Some(close) => i += close + 1,
                None => return Err(ExpressionError::at(text, i, "'[' without ']'")),
            },
            _ => return Ok(i),
        }
    }
}

/// A number as GenieACS writes them: `(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`.
fn number(text: &str, start: usize) -> Result<(f64, usize), ExpressionError> {
    let b = text.as_bytes();
    let digits = |mut i: usize| {
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        i
    };
    let mut i = digits(start);
    let bad = |at: usize, what: &str| Err(ExpressionError::at(text, at, what.to_owned()));
    if b[start] == b'0' && i > start + 1 {
        return bad(start, "a number cannot start with 0 (write 7, not 07)");
    }
    if b.get(i) == Some(&b'.') {
        let frac = digits(i + 1);
        if frac == i + 1 {
            return bad(i + 1, "expected digits after the decimal point");
        }
        i = frac;
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        let mut e = i + 1;
        if matches!(b.get(e), Some(b'+' | b'-')) {
            e += 1;
        }
        let end = digits(e);
        if end == e {
            return bad(e, "expected digits in the exponent");
        }
        i = end;
    }
    if b.get(i)
        .is_some_and(|&c| c.is_ascii_alphanumeric() || b"_.:{}[".contains(&c))
    {
        return bad(i, "malformed number");
    }
    match text[start..i].parse::<f64>() {
        Ok(n) if n.is_finite() => Ok((n, i)),
        _ => bad(start, "number out of range"),
    }
}

/// A `"…"` string with GenieACS's escapes: `\b \f \n \r \t \uXXXX`, any other `\c` is `c`.
fn double_quoted(text: &str, start: usize) -> Result<(String, usize), ExpressionError> {
    let mut out = String::new();
    let mut chars = text[start + 1..].char_indices();
    let at = |off: usize| start + 1 + off;
    while let Some((off, c)) = chars.next() {
        match c {
            '"' => return Ok((out, at(off) + 1)),
            '\\' => {
                let Some((_, e)) = chars.next() else {
                    break;
                };
                out.push(match e {
                    'b' => '\u{8}',
                    'f' => '\u{c}',
                    'n' => '\n',
                    'r' => '\r',
                    't' => '\t',
                    'u' => unicode_escape(text, at(off), &mut chars)?,
                    other => other,
                });
            }
            c => out.push(c),
        }
    }
    Err(ExpressionError::at(text, start, "unterminated string"))
}

/// The character of `\uXXXX` (a UTF-16 surrogate pair as two escapes).
fn unicode_escape(
    text: &str,
    at: usize,
    chars: &mut std::str::CharIndices<'_>,
) -> Result<char, ExpressionError> {
    let bad = || ExpressionError::at(text, at, "\\u needs four hex digits");
    let hex4 = |chars: &mut std::str::CharIndices<'_>| -> Result<u32, ExpressionError> {
        let h: String = chars.by_ref().take(4).map(|(_, c)| c).collect();
        if h.len() != 4 || !h.bytes().all(|c| c.is_ascii_hexdigit()) {
            return Err(bad());
        }
        u32::from_str_radix(&h, 16).map_err(|_| bad())
    };
    let hi = hex4(chars)?;
    let code = if (0xD800..0xDC00).contains(&hi) {
        let rest = chars.as_str();
        if !rest.starts_with("\\u") {
            return Err(ExpressionError::at(
                text,
                at,
                "lone UTF-16 surrogate in \\u escape",
            ));
        }
        chars.next();
        chars.next();
        let lo = hex4(chars)?;
        if !(0xDC00..0xE000).contains(&lo) {
            return Err(ExpressionError::at(
                text,
                at,
                "lone UTF-16 surrogate in \\u escape",
            ));
        }
        0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
    } else {
        hi
    };
    char::from_u32(code)
        .ok_or_else(|| ExpressionError::at(text, at, "lone UTF-16 surrogate in \\u escape"))
}

/// A `'…'` string: no escapes, `''` is one quote; as in GenieACS a backslash keeps the
/// next character from ending the string (both are kept).
fn single_quoted(text: &str, start: usize) -> Result<(String, usize), ExpressionError> {
    let mut out = String::new();
    let mut chars = text[start + 1..].char_indices().peekable();
    while let Some((off, c)) = chars.next() {
        match c {
            '\'' if chars.peek().is_some_and(|&(_, n)| n == '\'') => {
                chars.next();
                out.push('\'');
            }
            '\'' => return Ok((out, start + 1 + off + 1)),
            '\\' => {
                out.push('\\');
                if let Some((_, n)) = chars.next() {
                    out.push(n);
                }
            }
            c => out.push(c),
        }
    }
    Err(ExpressionError::at(text, start, "unterminated string"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(s: &str) -> Vec<Tok> {
        tokens(s, 100)
            .expect(s)
            .into_iter()
            .map(|(t, _)| t)
            .collect()
    }

    #[test]
    fn words_numbers_strings_operators() {
        assert_eq!(
            toks(r#"Device.X.1.Y>=1.5e3||"a\"b\u00e9"<>'it''s'"#),
            [
                Tok::Word("Device.X.1.Y".into()),
                Tok::Op(">="),
                Tok::Num(1500.0),
                Tok::Op("||"),
                Tok::Str("a\"bé".into()),
                Tok::Op("<>"),
                Tok::Str("it's".into()),
                Tok::End
            ]
        );
        assert_eq!(toks(r#""\ud83d\ude00""#)[0], Tok::Str("😀".into()));
        assert_eq!(toks(r"'a\'b'")[0], Tok::Str(r"a\'b".into()));
        assert_eq!(toks("A.[x:1].B")[0], Tok::Word("A.[x:1].B".into()));
    }

    #[test]
    fn positions_and_errors() {
        let t = tokens("a  = 'x'", 10).expect("ok");
        assert_eq!(t.iter().map(|(_, p)| *p).collect::<Vec<_>>(), [0, 3, 5, 8]);
        for (s, offset, needle) in [
            ("a = \"abc", 4, "unterminated"),
            ("a = 'abc", 4, "unterminated"),
            ("a = 07", 4, "start with 0"),
            ("a = 1.", 6, "decimal point"),
            ("a = 1e+", 7, "exponent"),
            ("a = 1x", 5, "malformed"),
            ("a != 1", 2, "'<>'"),
            ("a = #", 4, "unexpected character"),
            ("a.[x = 1", 2, "']'"),
            (r#"a = "\u12""#, 5, "four hex"),
            (r#"a = "\ud800x""#, 5, "surrogate"),
            ("a = 1e999", 4, "out of range"),
        ] {
            let e = tokens(s, 10).expect_err(s);
            assert_eq!(e.offset, offset, "{s}: {e}");
            assert!(e.message.contains(needle), "{s}: {e}");
        }
        assert!(
            tokens("a a a a", 3)
                .expect_err("many")
                .message
                .contains("tokens")
        );
    }
}
