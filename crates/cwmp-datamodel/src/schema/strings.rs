//! String interning: every distinct name is stored once in one buffer.

use std::collections::HashMap;

/// Handle of an interned string.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct Sym(u32);

/// Interner used while loading.
#[derive(Debug, Default)]
pub(crate) struct Interner {
    buf: String,
    spans: Vec<(u32, u32)>,
    map: HashMap<Box<str>, Sym>,
}

impl Interner {
    /// Returns the symbol of `s`, adding it if new.
    pub fn intern(&mut self, s: &str) -> Sym {
        if let Some(&sym) = self.map.get(s) {
            return sym;
        }
        // Documents are far below 4 GiB; saturate rather than panic.
        let start = u32::try_from(self.buf.len()).unwrap_or(u32::MAX);
        self.buf.push_str(s);
        let len = u32::try_from(s.len()).unwrap_or(u32::MAX);
        let sym = Sym(u32::try_from(self.spans.len()).unwrap_or(u32::MAX));
        self.spans.push((start, len));
        self.map.insert(s.into(), sym);
        sym
    }

    /// The string of a symbol.
    pub fn get(&self, sym: Sym) -> &str {
        resolve(&self.buf, &self.spans, sym)
    }

    /// The symbol of `s`, if already interned.
    pub fn lookup(&self, s: &str) -> Option<Sym> {
        self.map.get(s).copied()
    }

    /// Freezes into the compact read-only form (drops the lookup map).
    pub fn freeze(self) -> Strings {
        Strings {
            buf: self.buf.into_boxed_str(),
            spans: self.spans.into_boxed_slice(),
        }
    }
}

fn resolve<'a>(buf: &'a str, spans: &[(u32, u32)], sym: Sym) -> &'a str {
    spans
        .get(sym.0 as usize)
        .and_then(|&(start, len)| buf.get(start as usize..start as usize + len as usize))
        .unwrap_or("")
}

/// Read-only interned strings of a loaded schema.
#[derive(Debug, Default)]
pub(crate) struct Strings {
    buf: Box<str>,
    spans: Box<[(u32, u32)]>,
}

impl Strings {
    /// The string of a symbol.
    pub fn get(&self, sym: Sym) -> &str {
        resolve(&self.buf, &self.spans, sym)
    }

    /// Bytes held.
    pub fn heap_bytes(&self) -> usize {
        self.buf.len() + self.spans.len() * 8
    }
}
