//! Data-type resolution and parameter `<syntax>` reading.

use roxmltree::Node;

use super::{Loader, Res, status_attr};
use crate::schema::strings::Sym;
use crate::schema::syntax::{
    BaseType, DefaultKind, Syntax, SyntaxId, parse_default, parse_facets, parse_list,
};
use crate::schema::xml::{attr_bool, elements, tag};
use crate::schema::{DataType, DataTypeId};

impl<'a> Loader<'a, '_> {
    pub(super) fn data_type(
        &mut self,
        doc: usize,
        name: &str,
        at: Node<'_, '_>,
    ) -> Res<DataTypeId> {
        let def = self.scopes[doc]
            .data_types
            .get(name)
            .copied()
            .ok_or_else(|| self.err(doc, at, format!("unknown data type {name:?}")))?;
        let key = (def.doc, def.node.id());
        if let Some(&id) = self.dt_memo.get(&key) {
            return Ok(id);
        }
        if !self.dt_active.insert(key) {
            return Err(self.err(def.doc, def.node, "data type derives from itself"));
        }
        let (n, d) = (def.node, def.doc);
        let mut base_id = None;
        let mut syn = if let Some(base) = n.attribute("base") {
            let bid = self.data_type(d, base, n)?;
            base_id = Some(bid);
            let mut s = self.dt_syntax(bid);
            let f = self.loc(d, parse_facets(n, s.base))?;
            s.refine(f);
            s
        } else {
            let ty = elements(n)
                .find_map(|c| BaseType::from_element(tag(c)).map(|t| (c, t)))
                .ok_or_else(|| self.err(d, n, "data type has neither base= nor a built-in type"))?;
            let mut s = Syntax::builtin(ty.1);
            let f = self.loc(d, parse_facets(ty.0, ty.1))?;
            s.refine(f);
            s
        };
        if let Some(l) = elements(n).find(|c| tag(*c) == "list") {
            syn.list = Some(self.loc(d, parse_list(l))?);
        }
        let mut description = None;
        self.description(n, &mut description);
        let status = self.loc(d, status_attr(n))?.unwrap_or_default();
        let id = self.b.add_data_type(DataType {
            name: name.into(),
            base: base_id,
            syntax: SyntaxId(0),
            status,
            description,
        });
        syn.data_type = Some(id);
        let sid = self.b.intern_syntax(syn);
        if let Some(dt) = self.b.data_types.get_mut(id.0 as usize) {
            dt.syntax = sid;
        }
        self.dt_active.remove(&key);
        self.dt_memo.insert(key, id);
        Ok(id)
    }

    /// A copy of a resolved data type's syntax (always stored once resolved).
    fn dt_syntax(&self, id: DataTypeId) -> Syntax {
        self.b
            .data_types
            .get(id.0 as usize)
            .and_then(|d| self.b.syntax(d.syntax))
            .cloned()
            .unwrap_or_else(|| Syntax::builtin(BaseType::String))
    }

    /// Resolves a `<syntax>` element, refining `inherited` (for `base=` parameters).
    pub(super) fn param_syntax(
        &mut self,
        doc: usize,
        sn: Node<'a, 'a>,
        inherited: Option<SyntaxId>,
    ) -> Res<(SyntaxId, Option<(DefaultKind, Sym)>)> {
        let inherited: Option<Syntax> = inherited.and_then(|id| self.b.syntax(id)).cloned();
        let mut syn: Option<Syntax> = None;
        let mut from_data_type = false;
        let mut list = None;
        let mut default = None;
        for c in elements(sn) {
            match tag(c) {
                "list" => list = Some(self.loc(doc, parse_list(c))?),
                "default" => {
                    let (kind, value) = self.loc(doc, parse_default(c))?;
                    default = Some((kind, self.b.strings.intern(value)));
                }
                "dataType" => {
                    let name = c
                        .attribute("ref")
                        .or_else(|| c.attribute("base"))
                        .ok_or_else(|| self.err(doc, c, "dataType without ref or base"))?;
                    let id = self.data_type(doc, name, c)?;
                    let mut s = self.dt_syntax(id);
                    let f = self.loc(doc, parse_facets(c, s.base))?;
                    s.refine(f);
                    syn = Some(s);
                    from_data_type = true;
                }
                t => {
                    if let Some(bt) = BaseType::from_element(t) {
                        let mut s = match &inherited {
                            Some(i) if i.base == bt => i.clone(),
                            _ => Syntax::builtin(bt),
                        };
                        let f = self.loc(doc, parse_facets(c, bt))?;
                        s.refine(f);
                        syn = Some(s);
                    }
                }
            }
        }
        let mut s = match (syn, &inherited) {
            (Some(s), _) => s,
            (None, Some(i)) => i.clone(),
            (None, None) => return Err(self.err(doc, sn, "syntax has no data type")),
        };
        if let Some(l) = list {
            if from_data_type {
                s.set_list(l);
            } else {
                s.list = Some(l);
            }
        }
        let (h, se, cm) = inherited
            .as_ref()
            .map_or((false, false, false), |i| (i.hidden, i.secured, i.command));
        s.hidden = self.loc(doc, attr_bool(sn, "hidden"))?.unwrap_or(h);
        s.secured = self.loc(doc, attr_bool(sn, "secured"))?.unwrap_or(se);
        s.command = self.loc(doc, attr_bool(sn, "command"))?.unwrap_or(cm);
        Ok((self.b.intern_syntax(s), default))
    }
}
