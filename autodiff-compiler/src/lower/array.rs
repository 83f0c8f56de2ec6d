//! Arrays: places (`a[i][j]`, `x[1..]`, `w[j][a..b]` resolved to a
//! [`View`]: an array, the indices that select a row, and a range of it),
//! their lengths, loads and stores, copies of whole arrays and rows, and
//! elements of constant (integer) arrays. Array expressions are
//! `array_expr`'s.

use super::{Binding, Lower, View};
use crate::ir::{Inst, Piece, Stmt, Ty, ValueId};
use crate::syntax::ident_name;
use proc_macro2::Span;
use quote::{ToTokens, quote};
use syn::spanned::Spanned;
use syn::{Expr, UnOp};

impl Lower<'_> {
    /// Resolves `a[i][j]` (and sub-slices `x[1..]`) to a view. `partial`:
    /// a row or a sub-slice is fine, else it must be one element.
    pub(super) fn place(&mut self, ix: &syn::ExprIndex, partial: bool) -> Option<View> {
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
        let Some(mut view) = self.array_view(base) else {
            if !self.names_poisoned(base) {
                self.error(
                    base,
                    "#[grad] can index only array parameters, local arrays and their rows",
                );
            }
            return None;
        };
        let rank = self.ranks.get(&view.arr).copied().unwrap_or(1);
        for i in indices {
            if view.prefix.len() >= rank {
                self.error(ix, "too many indices for this array");
                return None;
            }
            view = match i {
                Expr::Range(r) => self.narrow(view, r),
                i => {
                    let v = self.int_operand(i);
                    self.view_index(view, v, i.span())
                }
            };
        }
        if !partial && (view.prefix.len() < rank || view.range.is_some()) {
            self.error(
                ix,
                "#[grad] needs a float here; index all the dimensions of the array",
            );
            return None;
        }
        Some(view)
    }

    /// `view[i]`: one more index (within the view's range).
    pub(super) fn view_index(&mut self, mut view: View, i: ValueId, span: Span) -> View {
        let i = match view.range.take() {
            Some((start, _)) => self.passive_bin(start, quote!(+), i, Ty::Int, span),
            None => i,
        };
        view.prefix.push(i);
        view
    }

    /// `view[a..b]` (`a..`, `..b`, `..`, `a..=b`): a sub-slice of the view.
    fn narrow(&mut self, mut view: View, r: &syn::ExprRange) -> View {
        let span = r.span();
        let start = match &r.start {
            Some(a) => self.int_operand(a),
            None => self.passive(vec![Piece::Tokens(quote!(0usize))], Ty::Int, span),
        };
        let end = r.end.as_ref().map(|b| {
            let b = self.int_operand(b);
            match r.limits {
                syn::RangeLimits::HalfOpen(_) => b,
                syn::RangeLimits::Closed(_) => {
                    let one = self.passive(vec![Piece::Tokens(quote!(1))], Ty::Int, span);
                    self.passive_bin(b, quote!(+), one, Ty::Int, span)
                }
            }
        });
        view.range = Some(match view.range {
            None => (start, end),
            // `x[a..][b..c]`: the range `a + b..a + c` of `x`.
            Some((outer, outer_end)) => {
                let s = self.passive_bin(outer, quote!(+), start, Ty::Int, span);
                let e = match end {
                    Some(e) => Some(self.passive_bin(outer, quote!(+), e, Ty::Int, span)),
                    None => outer_end,
                };
                (s, e)
            }
        });
        view
    }

    /// The number of elements of a view (of its outer dimension).
    pub(super) fn view_len(&mut self, view: &View, span: Span) -> ValueId {
        let full = |l: &mut Self| {
            let mut pieces = vec![Piece::Value(view.arr)];
            for p in &view.prefix {
                pieces.push(Piece::Bracket(vec![Piece::Value(*p)]));
            }
            pieces.push(Piece::Tokens(quote!(.len())));
            l.passive(pieces, Ty::Int, span)
        };
        match view.range {
            None => full(self),
            Some((start, end)) => {
                let end = match end {
                    Some(e) => e,
                    None => full(self),
                };
                self.passive_bin(end, quote!(-), start, Ty::Int, span)
            }
        }
    }

    /// An expression that denotes an array, a row or a sub-slice of one.
    pub(super) fn array_view(&mut self, e: &Expr) -> Option<View> {
        match e {
            Expr::Path(p) if p.qself.is_none() => {
                let name = ident_name(p.path.get_ident()?);
                match self.lookup(&name)? {
                    Binding::View(view) => Some(view),
                    Binding::Value { value, .. } if self.func.ty(value) == Ty::Array => {
                        Some(View::whole(value))
                    }
                    Binding::Value { .. } | Binding::Closure(_) => None,
                }
            }
            Expr::Paren(p) => self.array_view(&p.expr),
            Expr::Group(g) => self.array_view(&g.expr),
            Expr::Reference(r) if r.mutability.is_none() => self.array_view(&r.expr),
            Expr::Unary(u) if matches!(u.op, UnOp::Deref(_)) => self.array_view(&u.expr),
            Expr::Index(ix) => self.place(ix, true),
            Expr::MethodCall(m)
                if matches!(
                    m.method.to_string().as_str(),
                    "iter" | "as_slice" | "to_vec"
                ) && m.args.is_empty() =>
            {
                self.array_view(&m.receiver)
            }
            _ => None,
        }
    }

    /// Whether the array an expression names stands for code with an error
    /// (so its uses raise no more errors).
    fn names_poisoned(&self, e: &Expr) -> bool {
        match e {
            Expr::Path(p) => p.path.get_ident().is_some_and(|name| {
                matches!(self.lookup(&ident_name(name)), Some(Binding::Value { value, .. }) if self.poisoned.contains(&value))
            }),
            Expr::Paren(p) => self.names_poisoned(&p.expr),
            Expr::Reference(r) => self.names_poisoned(&r.expr),
            Expr::Index(ix) => self.names_poisoned(&ix.expr),
            _ => false,
        }
    }

    /// Whether `e` denotes an array, a row or a sub-slice (not an element),
    /// looking only at the names so that nothing is lowered twice.
    pub(super) fn names_array(&self, e: &Expr) -> bool {
        let mut plain = 0;
        let mut base = e;
        loop {
            match base {
                Expr::Index(ix) => {
                    if !matches!(&*ix.index, Expr::Range(_)) {
                        plain += 1;
                    }
                    base = &ix.expr;
                }
                Expr::Paren(p) => base = &p.expr,
                Expr::Group(g) => base = &g.expr,
                Expr::Reference(r) if r.mutability.is_none() => base = &r.expr,
                Expr::Unary(u) if matches!(u.op, UnOp::Deref(_)) => base = &u.expr,
                _ => break,
            }
        }
        let Expr::Path(p) = base else { return false };
        let Some(name) = p.path.get_ident() else {
            return false;
        };
        let (arr, used) = match self.lookup(&ident_name(name)) {
            Some(Binding::Value { value, .. }) if self.func.ty(value) == Ty::Array => (value, 0),
            Some(Binding::View(view)) => (view.arr, view.prefix.len()),
            _ => return false,
        };
        self.ranks.get(&arr).copied().unwrap_or(1) > used + plain
    }

    /// `labels[n]` of a constant (integer) array: a passive integer.
    pub(super) fn const_index(&mut self, ix: &syn::ExprIndex) -> Option<ValueId> {
        let mut base = &*ix.expr;
        while let Expr::Index(inner) = base {
            base = &*inner.expr;
        }
        let opaque = match base {
            // `self.w[i]`: an element of a constant array field.
            Expr::Field(f) if self.is_const_root(&f.base) => true,
            // `GAUSS_W[i]`, `tables::KNOTS[i][j]`: a `const` or `static` table.
            Expr::Path(_) if self.table(base).is_some() => true,
            Expr::Path(p) => {
                let name = p.path.get_ident()?;
                let Some(Binding::Value { value, .. }) = self.lookup(&ident_name(name)) else {
                    return None;
                };
                if self.func.ty(value) != Ty::Int {
                    return None;
                }
                false
            }
            _ => return None,
        };
        let target = match self.table(&ix.expr) {
            Some(table) => table,
            None => self.expr(&ix.expr),
        };
        let index = match &*ix.index {
            Expr::Range(r) => self.range_pieces(r),
            i => {
                let v = self.int_operand(i);
                self.pieces_of(v)
            }
        };
        let mut pieces = self.paren(target);
        pieces.push(Piece::Bracket(index));
        Some(if opaque {
            self.opaque_value(pieces, ix.span())
        } else {
            self.passive(pieces, Ty::Int, ix.span())
        })
    }

    /// A `const` or `static` item named by a path that is no local name
    /// (`GAUSS_W`, `tables::KNOTS`, `Self::W`): a table of constants, written
    /// out where it is used. Its elements have no gradient.
    pub(super) fn table(&mut self, e: &Expr) -> Option<ValueId> {
        let Expr::Path(p) = e else { return None };
        if p.qself.is_some() || p.path.segments.iter().any(|s| !s.arguments.is_none()) {
            return None;
        }
        if let Some(name) = p.path.get_ident()
            && self.lookup(&ident_name(name)).is_some()
        {
            return None;
        }
        Some(self.opaque_value(vec![Piece::Tokens(p.to_token_stream())], p.span()))
    }

    /// The source of a range `a..b`, for indexing a constant array.
    fn range_pieces(&mut self, r: &syn::ExprRange) -> Vec<Piece> {
        let mut pieces = Vec::new();
        if let Some(a) = &r.start {
            let a = self.int_operand(a);
            pieces.extend(self.paren(a));
        }
        pieces.push(Piece::Tokens(match r.limits {
            syn::RangeLimits::HalfOpen(_) => quote!(..),
            syn::RangeLimits::Closed(_) => quote!(..=),
        }));
        if let Some(b) = &r.end {
            let b = self.int_operand(b);
            pieces.extend(self.paren(b));
        }
        pieces
    }

    /// Reads `a[i][j]`.
    pub(super) fn load(&mut self, ix: &syn::ExprIndex) -> ValueId {
        match self.place(ix, false) {
            Some(view) => self.def(
                Inst::Load {
                    arr: view.arr,
                    index: view.prefix,
                },
                ix.span(),
            ),
            None => self.poison(ix.span()),
        }
    }

    /// Writes `a[i][j] = value`.
    pub(super) fn store(&mut self, ix: &syn::ExprIndex, value: ValueId) {
        let mut base = &*ix.expr;
        while let Expr::Index(inner) = base {
            base = &inner.expr;
        }
        if let Expr::Path(p) = base
            && let Some(name) = p.path.get_ident()
            && let Some(Binding::Value { value: arr, .. }) = self.lookup(&ident_name(name))
            && self.func.ty(arr) == Ty::Int
        {
            self.cx.error_spanned_by(
                ix,
                "#[grad] treats arrays of integers as constants and cannot write to them; compute the index where it is used, or use an array of floats",
            );
            return;
        }
        let Some(view) = self.place(ix, false) else {
            return;
        };
        if matches!(self.func.inst(view.arr), Inst::ArrayParam(_)) {
            self.cx.error_spanned_by(
                ix,
                "#[grad] cannot write to a parameter; copy it into a local array",
            );
            return;
        }
        if self.poisoned(&[value]) {
            return;
        }
        if self.func.ty(value) != Ty::Float {
            self.cx.error_spanned_by(ix, "#[grad] arrays hold floats");
            return;
        }
        let value = self.operand(value);
        let value = self.wide(value, ix.span());
        self.emit(Stmt::Store {
            arr: view.arr,
            index: view.prefix,
            value,
        });
    }
}
