//! Arrays: places (`a[i][j]` resolved to an array and its indices), rows,
//! loads and stores, constant (integer) arrays, and local arrays
//! (`[0.0; N]`, `[x, y]`).

use super::expr::is_self;
use super::{Binding, Lower};
use crate::ast::ident_name;
use crate::ir::{Inst, Piece, Stmt, Ty, ValueId};
use quote::ToTokens;
use syn::spanned::Spanned;
use syn::{Expr, UnOp};

impl Lower<'_> {
    /// Resolves `a[i][j]` to its array and indices. `partial`: a row is fine.
    pub(super) fn place(&mut self, ix: &syn::ExprIndex, partial: bool) -> Option<Binding> {
        let mut indices = vec![&*ix.index];
        let mut base = &*ix.expr;
        loop {
            match base {
                Expr::Index(inner) => {
                    indices.push(&*inner.index);
                    base = &*inner.expr;
                }
                Expr::Paren(p) => base = &*p.expr,
                _ => break,
            }
        }
        indices.reverse();
        let (arr, mut prefix) = match self.array_operand(base) {
            Some(x) => x,
            None => {
                self.error(
                    base,
                    "#[grad] can index only array parameters, local arrays and their rows",
                );
                return None;
            }
        };
        for i in indices {
            let v = self.int_operand(i);
            prefix.push(v);
        }
        let rank = self.ranks.get(&arr).copied().unwrap_or(1);
        if prefix.len() > rank {
            self.error(ix, "too many indices for this array");
            return None;
        }
        if prefix.len() < rank && !partial {
            self.error(
                ix,
                "#[grad] needs a float here; index all the dimensions of the array",
            );
            return None;
        }
        Some(Binding::View { arr, prefix })
    }

    /// An expression that denotes an array (or a row of one): its value and prefix.
    pub(super) fn array_operand(&mut self, e: &Expr) -> Option<(ValueId, Vec<ValueId>)> {
        match e {
            Expr::Path(p) if p.qself.is_none() => {
                let name = ident_name(p.path.get_ident()?);
                match self.lookup(&name)? {
                    Binding::View { arr, prefix } => Some((arr, prefix)),
                    Binding::Value { value, .. } if self.func.ty(value) == Ty::Array => {
                        Some((value, Vec::new()))
                    }
                    Binding::Value { .. } => None,
                }
            }
            Expr::Paren(p) => self.array_operand(&p.expr),
            Expr::Reference(r) if r.mutability.is_none() => self.array_operand(&r.expr),
            Expr::Unary(u) if matches!(u.op, UnOp::Deref(_)) => self.array_operand(&u.expr),
            Expr::Index(ix) => match self.place(ix, true)? {
                Binding::View { arr, prefix } => Some((arr, prefix)),
                Binding::Value { .. } => None,
            },
            Expr::MethodCall(m) if m.method == "iter" && m.args.is_empty() => {
                self.array_operand(&m.receiver)
            }
            _ => None,
        }
    }

    /// Whether `a[i]` names a row (fewer indices than the array has dimensions),
    /// looking only at the names so that nothing is lowered twice.
    pub(super) fn is_row(&self, ix: &syn::ExprIndex) -> bool {
        let mut count = 1;
        let mut base = &*ix.expr;
        while let Expr::Index(inner) = base {
            count += 1;
            base = &*inner.expr;
        }
        let Expr::Path(p) = base else { return false };
        let Some(name) = p.path.get_ident() else {
            return false;
        };
        match self.lookup(&ident_name(name)) {
            Some(Binding::Value { value, .. }) => {
                self.ranks.get(&value).copied().unwrap_or(0) > count
            }
            Some(Binding::View { arr, prefix }) => {
                self.ranks.get(&arr).copied().unwrap_or(0) > count + prefix.len()
            }
            None => false,
        }
    }

    /// `labels[n]` of a constant (integer) array: a passive integer.
    pub(super) fn const_index(&mut self, ix: &syn::ExprIndex) -> Option<ValueId> {
        let mut base = &*ix.expr;
        while let Expr::Index(inner) = base {
            base = &*inner.expr;
        }
        if let Expr::Field(f) = base
            && is_self(&f.base)
        {
            // `self.w[i]`: an element of a constant array field.
            let target = self.expr(&ix.expr);
            let index = self.int_operand(&ix.index);
            let mut pieces = self.paren(target);
            pieces.push(Piece::Bracket(self.pieces_of(index)));
            return Some(self.opaque_value(pieces, ix.span()));
        }
        let Expr::Path(p) = base else { return None };
        let name = p.path.get_ident()?;
        let Some(Binding::Value { value, .. }) = self.lookup(&ident_name(name)) else {
            return None;
        };
        if self.func.ty(value) != Ty::Int {
            return None;
        }
        let target = self.expr(&ix.expr);
        let index = self.int_operand(&ix.index);
        let mut pieces = self.paren(target);
        pieces.push(Piece::Bracket(self.pieces_of(index)));
        Some(self.passive(pieces, Ty::Int, ix.span()))
    }

    /// Reads `a[i][j]`.
    pub(super) fn load(&mut self, ix: &syn::ExprIndex) -> ValueId {
        match self.place(ix, false) {
            Some(Binding::View { arr, prefix }) => {
                self.def(Inst::Load { arr, index: prefix }, ix.span())
            }
            _ => self.func.lit(0.0, ix.span()),
        }
    }

    /// Writes `a[i][j] = value`.
    pub(super) fn store(&mut self, ix: &syn::ExprIndex, value: ValueId) {
        if let Some(Binding::View { arr, prefix }) = self.place(ix, false) {
            if matches!(self.func.inst(arr), Inst::ArrayParam(_)) {
                self.cx.error_spanned_by(
                    ix,
                    "#[grad] cannot write to a parameter; copy it into a local array",
                );
                return;
            }
            if self.func.ty(value) != Ty::Float {
                self.cx.error_spanned_by(ix, "#[grad] arrays hold floats");
                return;
            }
            let value = self.operand(value);
            self.emit(Stmt::Store {
                arr,
                index: prefix,
                value,
            });
        }
    }

    // Input: `[0.0; 3]`, `[[0.0; N]; M]`, `[x, y * 2.0]`
    pub(super) fn local_array(&mut self, e: &Expr) -> ValueId {
        if self.depth > 0 {
            // Reported once; the array is still made so its uses raise nothing more.
            self.cx.error_spanned_by(
                e,
                "#[grad] supports local arrays at the top of the function body only; declare it before the loop or branch",
            );
        }
        let (v, rank) = self.array_value(e);
        self.ranks.insert(v, rank);
        self.mutable.insert(v);
        v
    }

    fn array_value(&mut self, e: &Expr) -> (ValueId, usize) {
        match e {
            Expr::Repeat(r) => {
                let (elem, rank) = match &*r.expr {
                    inner @ (Expr::Repeat(_) | Expr::Array(_)) => {
                        let (v, rank) = self.array_value(inner);
                        (v, rank + 1)
                    }
                    inner => {
                        let v = self.float_operand(inner);
                        if !matches!(
                            self.func.inst(v),
                            Inst::Lit { .. } | Inst::Extern(_) | Inst::Passive { .. }
                        ) {
                            self.error(
                                inner,
                                "#[grad] needs a constant initial value here, like `[0.0; N]`; assign the elements afterwards",
                            );
                        }
                        (v, 1)
                    }
                };
                let len = self.func.passive.len();
                self.func
                    .passive
                    .push(vec![Piece::Tokens(r.len.to_token_stream())]);
                (self.def(Inst::ArrayRepeat { elem, len }, e.span()), rank)
            }
            Expr::Array(a) => {
                let elems = a.elems.iter().map(|x| self.float_operand(x)).collect();
                (self.def(Inst::ArrayList(elems), e.span()), 1)
            }
            Expr::Paren(p) => self.array_value(&p.expr),
            other => (self.error(other, "expected an array of floats"), 1),
        }
    }
}
