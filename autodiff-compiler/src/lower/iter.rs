//! What a loop (or a reduction, `reduce.rs`) runs over, and the pattern it
//! binds on each trip.
//!
//! Every iteration becomes one counted loop `for i in start..end` (run
//! backwards for `.rev()`), and what each trip yields is a function of `i`:
//! a range's value, an element or row of an array, slice or `Vec` of floats,
//! an element of a constant (integer) array, a window or chunk (a sub-slice
//! view), an `.enumerate()` position, or a pair of those (`.enumerate()`,
//! `.zip(..)`). Adaptors move the bounds: `.skip(k)` raises `start` (or
//! lowers `end` after `.rev()`), `.enumerate()` counts from where the
//! iteration starts (from `end - 1` down after `.rev()`), `.iter()`,
//! `.into_iter()`, `.copied()` and `.cloned()` change nothing.

use super::{Binding, Lower, View};
use crate::ir::{Inst, Piece, Ty, ValueId};
use crate::syntax::ident_name;
use proc_macro2::Span;
use quote::quote;
use syn::spanned::Spanned;
use syn::{Expr, Pat};

/// A position of the iteration, as a function of the loop variable `i`.
#[derive(Clone, Copy)]
pub(super) enum Pos {
    /// `i`.
    Var,
    /// `i + k`.
    Plus(ValueId),
    /// `i - k`.
    Minus(ValueId),
    /// `k - 1 - i` (counting down from `k`).
    Down(ValueId),
}

/// What one trip yields.
pub(super) enum Item {
    /// An integer: a range's value, an `.enumerate()` position.
    Int(Pos),
    /// An element, or a row, of an array of floats.
    Elem(View, Pos),
    /// An element of a constant array (integers, or a field of `self`).
    Const(ValueId, Pos),
    /// The window `view[s..s + size]`, `s = pos * stride` (`None`: 1).
    Window {
        view: View,
        pos: Pos,
        size: ValueId,
        stride: Option<ValueId>,
    },
    /// Two items: `(i, v)` of `.enumerate()`, `(a, b)` of `.zip(..)`.
    Pair(Box<Item>, Box<Item>),
}

/// A loop `for i in start..end` (backwards with `rev`) and what it yields.
pub(super) struct Iteration {
    pub(super) start: ValueId,
    pub(super) end: ValueId,
    pub(super) rev: bool,
    pub(super) item: Item,
    /// Whether `start` is the constant 0 (so a position is `i` itself).
    zero_start: bool,
}

/// What a loop can run over, before adaptors.
enum Source {
    Range(ValueId, ValueId),
    Floats(View),
    Const(ValueId),
    Windows {
        view: View,
        size: ValueId,
        chunks: bool,
    },
}

/// What the error says a loop can run over.
const LOOP_FORMS: &str = "#[grad] can loop over a range (`a..b`, `a..=b`), an array, slice or `Vec` of floats or integers (`x`, `&x`, `x.iter()`, `x[1..]`), `x.windows(k)` or `x.chunks_exact(k)`, with `.copied()`, `.skip(k)`, `.enumerate()`, `.zip(..)` and `.rev()`";

fn strip_ref(pat: &Pat) -> &Pat {
    match pat {
        Pat::Reference(r) => strip_ref(&r.pat),
        Pat::Paren(p) => strip_ref(&p.pat),
        other => other,
    }
}

/// `&e` → `e`: a borrowed table is the table.
fn strip_borrow(e: &Expr) -> &Expr {
    match e {
        Expr::Reference(r) if r.mutability.is_none() => strip_borrow(&r.expr),
        Expr::Paren(p) => strip_borrow(&p.expr),
        other => other,
    }
}

/// Whether `m` is `.name()` with no arguments.
fn is_call0(m: &syn::ExprMethodCall, names: &[&str]) -> bool {
    m.args.is_empty() && names.iter().any(|n| m.method == n)
}

impl Lower<'_> {
    /// The value of a position at trip `var`.
    fn pos_value(&mut self, pos: Pos, var: ValueId, span: Span) -> ValueId {
        match pos {
            Pos::Var => var,
            Pos::Plus(k) => self.passive_bin(var, quote!(+), k, Ty::Int, span),
            Pos::Minus(k) => self.passive_bin(var, quote!(-), k, Ty::Int, span),
            Pos::Down(k) => {
                let mut pieces = self.paren(k);
                pieces.push(Piece::Tokens(quote!(-1 -)));
                pieces.extend(self.paren(var));
                self.passive(pieces, Ty::Int, span)
            }
        }
    }

    fn int_lit(&mut self, tokens: proc_macro2::TokenStream, span: Span) -> ValueId {
        self.passive(vec![Piece::Tokens(tokens)], Ty::Int, span)
    }

    /// `a.saturating_sub(b)`.
    fn saturating_sub(&mut self, a: ValueId, b: ValueId, span: Span) -> ValueId {
        let mut pieces = self.paren(a);
        pieces.push(Piece::Tokens(quote!(.saturating_sub)));
        pieces.push(Piece::Paren(self.pieces_of(b)));
        self.passive(pieces, Ty::Int, span)
    }

    /// What a `for` loop (or a reduction) runs over.
    pub(super) fn iteration(&mut self, e: &Expr) -> Option<Iteration> {
        // The adaptors, outermost first, down to the source (or a `.zip`).
        let mut adaptors = Vec::new();
        let mut base = e;
        loop {
            match base {
                Expr::Paren(p) => base = &p.expr,
                Expr::Group(g) => base = &g.expr,
                Expr::MethodCall(m) if is_call0(m, &["iter", "into_iter", "copied", "cloned"]) => {
                    base = &m.receiver
                }
                Expr::MethodCall(m)
                    if is_call0(m, &["rev", "enumerate"])
                        || (m.method == "skip" && m.args.len() == 1) =>
                {
                    adaptors.push(m);
                    base = &m.receiver;
                }
                _ => break,
            }
        }
        let mut it = match base {
            Expr::MethodCall(m) if m.method == "zip" && m.args.len() == 1 => self.zip(m)?,
            _ => {
                let source = self.source(base)?;
                self.source_loop(source, base.span())
            }
        };
        for m in adaptors.iter().rev() {
            let span = m.span();
            if m.method == "rev" {
                it.rev = !it.rev;
            } else if m.method == "skip" {
                let k = self.int_operand(&m.args[0]);
                if it.rev {
                    it.end = self.saturating_sub(it.end, k, span);
                } else {
                    it.start = self.passive_bin(it.start, quote!(+), k, Ty::Int, span);
                    it.zero_start = false;
                }
            } else {
                let pos = match (it.rev, it.zero_start) {
                    (false, true) => Pos::Var,
                    (false, false) => Pos::Minus(it.start),
                    (true, _) => Pos::Down(it.end),
                };
                let item = std::mem::replace(&mut it.item, Item::Int(Pos::Var));
                it.item = Item::Pair(Box::new(Item::Int(pos)), Box::new(item));
            }
        }
        Some(it)
    }

    /// The loop over one source, before adaptors.
    fn source_loop(&mut self, source: Source, span: Span) -> Iteration {
        let zero = |l: &mut Self| l.int_lit(quote!(0usize), span);
        let (start, end, item, zero_start) = match source {
            Source::Range(a, b) => {
                let zero_start = self.is_zero(a);
                (a, b, Item::Int(Pos::Var), zero_start)
            }
            Source::Floats(view) => {
                let start = zero(self);
                let len = self.view_len(&view, span);
                (start, len, Item::Elem(view, Pos::Var), true)
            }
            Source::Const(arr) => {
                let start = zero(self);
                let mut pieces = self.paren(arr);
                pieces.push(Piece::Tokens(quote!(.len())));
                let len = self.passive(pieces, Ty::Int, span);
                (start, len, Item::Const(arr, Pos::Var), true)
            }
            Source::Windows { view, size, chunks } => {
                let start = zero(self);
                let len = self.view_len(&view, span);
                let (end, stride) = if chunks {
                    (
                        self.passive_bin(len, quote!(/), size, Ty::Int, span),
                        Some(size),
                    )
                } else {
                    // `len - size + 1` windows, none when `size > len`.
                    let one = self.int_lit(quote!(1), span);
                    let n = self.passive_bin(len, quote!(+), one, Ty::Int, span);
                    (self.saturating_sub(n, size, span), None)
                };
                let item = Item::Window {
                    view,
                    pos: Pos::Var,
                    size,
                    stride,
                };
                (start, end, item, true)
            }
        };
        Iteration {
            start,
            end,
            rev: false,
            item,
            zero_start,
        }
    }

    /// Whether `v` is the integer constant 0.
    fn is_zero(&self, v: ValueId) -> bool {
        matches!(self.func.inst(v), Inst::Passive { index, .. }
            if matches!(crate::ir::pieces_text(&self.func.passive[*index]).as_str(), "0" | "0usize"))
    }

    // Input: `x.iter().zip(y.iter())`, `x.iter().zip(x.iter().skip(1))`, `(0..n).zip(x)`
    // Output: `for i in 0..min(len_x - a, len_y - b)` yielding `(x[i + a], y[i + b])`
    fn zip(&mut self, m: &syn::ExprMethodCall) -> Option<Iteration> {
        let span = m.span();
        let a = self.zip_operand(&m.receiver);
        let b = self.zip_operand(&m.args[0]);
        let (a, b) = (a?, b?);
        let mut lens = Vec::new();
        let mut items = Vec::new();
        for (source, skip) in [a, b] {
            let it = self.source_loop(source, span);
            // Trip `i` of the zip is trip `start + skip + i` of the operand.
            let offset = match skip {
                Some(k) if it.zero_start => Some(k),
                Some(k) => Some(self.passive_bin(it.start, quote!(+), k, Ty::Int, span)),
                None if it.zero_start => None,
                None => Some(it.start),
            };
            let len = match offset {
                Some(o) => self.saturating_sub(it.end, o, span),
                None => it.end,
            };
            lens.push(len);
            items.push(match offset {
                None => it.item,
                Some(o) => shift(it.item, o),
            });
        }
        let mut args = self.pieces_of(lens[0]);
        args.push(Piece::Tokens(quote!(,)));
        args.extend(self.pieces_of(lens[1]));
        let end = self.passive(
            vec![Piece::Tokens(quote!(::core::cmp::min)), Piece::Paren(args)],
            Ty::Int,
            span,
        );
        let b = items.pop().expect("two operands");
        let a = items.pop().expect("two operands");
        Some(Iteration {
            start: self.int_lit(quote!(0usize), span),
            end,
            rev: false,
            item: Item::Pair(Box::new(a), Box::new(b)),
            zero_start: true,
        })
    }

    /// One side of a `.zip(..)`: a source with `.iter()`, `.copied()` and
    /// `.skip(k)`.
    fn zip_operand(&mut self, e: &Expr) -> Option<(Source, Option<ValueId>)> {
        let mut skip = None;
        let mut base = e;
        loop {
            match base {
                Expr::Paren(p) => base = &p.expr,
                Expr::MethodCall(m) if is_call0(m, &["iter", "into_iter", "copied", "cloned"]) => {
                    base = &m.receiver
                }
                Expr::MethodCall(m)
                    if m.method == "skip" && m.args.len() == 1 && skip.is_none() =>
                {
                    skip = Some(&m.args[0]);
                    base = &m.receiver;
                }
                Expr::MethodCall(m) if is_call0(m, &["rev", "enumerate"]) || m.method == "zip" => {
                    self.error(
                        m,
                        format!(
                            "#[grad] zips two sources with `.iter()`, `.copied()` and `.skip(k)`; apply `.{}` to the zipped iterator instead",
                            m.method
                        ),
                    );
                    return None;
                }
                _ => break,
            }
        }
        let source = self.source(base)?;
        let skip = skip.map(|k| self.int_operand(k));
        Some((source, skip))
    }

    /// The source a loop runs over.
    fn source(&mut self, e: &Expr) -> Option<Source> {
        let span = e.span();
        if let Expr::Range(r) = e {
            let (Some(a), Some(b)) = (&r.start, &r.end) else {
                self.error(r, "#[grad] needs a range with both ends, like `0..n`");
                return None;
            };
            let start = self.int_operand(a);
            let end = self.int_operand(b);
            let end = match r.limits {
                syn::RangeLimits::HalfOpen(_) => end,
                syn::RangeLimits::Closed(_) => {
                    let one = self.int_lit(quote!(1), span);
                    self.passive_bin(end, quote!(+), one, Ty::Int, span)
                }
            };
            return Some(Source::Range(start, end));
        }
        if let Expr::MethodCall(m) = e
            && (m.method == "windows" || m.method == "chunks_exact")
            && m.args.len() == 1
        {
            let chunks = m.method == "chunks_exact";
            let view = self.float_view(&m.receiver)?;
            let size = self.int_operand(&m.args[0]);
            return Some(Source::Windows { view, size, chunks });
        }
        if self.names_array(e) {
            return self.array_view(e).map(Source::Floats);
        }
        if let Expr::MethodCall(m) = e {
            self.error(
                e,
                format!("`.{}(..)` is not supported here; {LOOP_FORMS}", m.method),
            );
            return None;
        }
        if let Expr::Range(_) | Expr::Lit(_) | Expr::Call(_) | Expr::Tuple(_) = e {
            self.error(e, LOOP_FORMS);
            return None;
        }
        // A constant array: integer labels, index lists, a field of `self`,
        // a `const` or `static` table.
        let v = match self.table(strip_borrow(e)) {
            Some(table) => table,
            None => self.expr(e),
        };
        if self.opaque.contains(&v) || self.func.ty(v) == Ty::Int {
            return Some(Source::Const(v));
        }
        if !self.poisoned(&[v]) {
            let what = match self.func.ty(v) {
                Ty::Float => "a float",
                Ty::Bool => "a `bool`",
                _ => "this value",
            };
            self.error(e, format!("{LOOP_FORMS}; this is {what}"));
        }
        None
    }

    /// An array view, for `.windows(k)` and `.chunks_exact(k)`.
    fn float_view(&mut self, e: &Expr) -> Option<View> {
        if self.names_array(e) {
            return self.array_view(e);
        }
        self.error(e, LOOP_FORMS);
        None
    }

    /// Binds the pattern of a loop (or a closure of a reduction) to what trip
    /// `var` yields.
    pub(super) fn bind_item(&mut self, pat: &Pat, item: &Item, var: ValueId) {
        let span = pat.span();
        if let Item::Pair(a, b) = item {
            let Pat::Tuple(t) = strip_ref(pat) else {
                self.error(pat, "expected a pair `(a, b)` here");
                self.bind_poisoned(pat);
                return;
            };
            if t.elems.len() != 2 {
                self.error(pat, "expected a pair `(a, b)` here");
                self.bind_poisoned(pat);
                return;
            }
            self.bind_item(&t.elems[0], a, var);
            self.bind_item(&t.elems[1], b, var);
            return;
        }
        let b = self.item_binding(item, var, span);
        self.bind_binding(pat, b);
    }

    /// What one (non-pair) item is at trip `var`.
    pub(super) fn item_binding(&mut self, item: &Item, var: ValueId, span: Span) -> Binding {
        let value = |value| Binding::Value {
            value,
            mutable: false,
        };
        match item {
            Item::Int(pos) => value(self.pos_value(*pos, var, span)),
            Item::Elem(view, pos) => {
                let i = self.pos_value(*pos, var, span);
                let view = self.view_index(view.clone(), i, span);
                let rank = self.ranks.get(&view.arr).copied().unwrap_or(1);
                if view.prefix.len() < rank {
                    Binding::View(view)
                } else {
                    let v = self.def(
                        Inst::Load {
                            arr: view.arr,
                            index: view.prefix,
                        },
                        span,
                    );
                    value(v)
                }
            }
            Item::Const(arr, pos) => {
                let i = self.pos_value(*pos, var, span);
                let mut pieces = self.paren(*arr);
                pieces.push(Piece::Bracket(self.pieces_of(i)));
                if self.opaque.contains(arr) {
                    value(self.opaque_value(pieces, span))
                } else {
                    value(self.passive(pieces, Ty::Int, span))
                }
            }
            Item::Window {
                view,
                pos,
                size,
                stride,
            } => {
                let i = self.pos_value(*pos, var, span);
                let mut start = match stride {
                    Some(k) => self.passive_bin(i, quote!(*), *k, Ty::Int, span),
                    None => i,
                };
                if let Some((base, _)) = view.range {
                    start = self.passive_bin(base, quote!(+), start, Ty::Int, span);
                }
                let end = self.passive_bin(start, quote!(+), *size, Ty::Int, span);
                Binding::View(View {
                    arr: view.arr,
                    prefix: view.prefix.clone(),
                    range: Some((start, Some(end))),
                })
            }
            Item::Pair(..) => value(self.error(quote!(), "internal: a pair bound to one name")),
        }
    }

    /// Binds a pattern (`v`, `&v`, `_`) to one value or view.
    pub(super) fn bind_loop_value(&mut self, pat: &Pat, b: Binding) {
        self.bind_binding(pat, b);
    }

    pub(super) fn bind_binding(&mut self, pat: &Pat, b: Binding) {
        let pat = match pat {
            Pat::Type(t) => &*t.pat,
            p => p,
        };
        match strip_ref(pat) {
            Pat::Ident(p) if p.by_ref.is_none() && p.subpat.is_none() => {
                if let Binding::Value { value, .. } = &b {
                    let slot = &mut self.func.names[value.index()];
                    if slot.is_none() {
                        *slot = Some(ident_name(&p.ident));
                    }
                }
                let scope = self.scopes.last_mut().expect("scope");
                scope.insert(ident_name(&p.ident), b);
            }
            Pat::Wild(_) => {}
            // `[a, b]` of a row (`for &[a, b] in pts.iter()`, `let [a, b] = p;`)
            Pat::Slice(s) => match b {
                Binding::View(view) => self.bind_elements(s, view),
                Binding::Value { value, .. } if self.poisoned(&[value]) => self.bind_poisoned(pat),
                Binding::Value { .. } | Binding::Closure(_) => {
                    self.cx
                        .error_spanned_by(s, "an array pattern `[a, b]` needs an array here");
                    self.bind_poisoned(pat);
                }
            },
            other => {
                self.cx.error_spanned_by(
                    other,
                    "#[grad] supports a name, `_` or an array pattern `[a, b]` here",
                );
                self.bind_poisoned(other);
            }
        }
    }

    // Input: `[a, b]` bound to the row `pts[i]`
    // Output: `a` = `pts[i][0]`, `b` = `pts[i][1]` (loads, or rows of a deeper array)
    fn bind_elements(&mut self, s: &syn::PatSlice, view: View) {
        for (k, pat) in s.elems.iter().enumerate() {
            if let Pat::Rest(_) = pat {
                self.cx.error_spanned_by(
                    pat,
                    "#[grad] destructures arrays element by element; name every element instead of `..`",
                );
                self.bind_poisoned(&Pat::Slice(s.clone()));
                return;
            }
            let span = pat.span();
            let k = proc_macro2::Literal::usize_suffixed(k);
            let k = self.int_lit(quote!(#k), span);
            let item = self.view_index(view.clone(), k, span);
            let rank = self.ranks.get(&item.arr).copied().unwrap_or(1);
            let b = if item.prefix.len() < rank {
                Binding::View(item)
            } else {
                let v = self.def(
                    Inst::Load {
                        arr: item.arr,
                        index: item.prefix,
                    },
                    span,
                );
                match strip_ref(pat) {
                    // `[mut a, b]`: a variable of its own.
                    Pat::Ident(p) if p.mutability.is_some() => {
                        let v = self.def(Inst::Copy(v), span);
                        self.mutable.insert(v);
                        Binding::Value {
                            value: v,
                            mutable: true,
                        }
                    }
                    _ => Binding::Value {
                        value: v,
                        mutable: false,
                    },
                }
            };
            self.bind_binding(pat, b);
        }
    }
}

/// The item of trip `i + k` instead of trip `i` (positions are `i` here:
/// items come straight from a source).
fn shift(item: Item, k: ValueId) -> Item {
    let pos = Pos::Plus(k);
    match item {
        Item::Int(_) => Item::Int(pos),
        Item::Elem(view, _) => Item::Elem(view, pos),
        Item::Const(arr, _) => Item::Const(arr, pos),
        Item::Window {
            view, size, stride, ..
        } => Item::Window {
            view,
            pos,
            size,
            stride,
        },
        pair @ Item::Pair(..) => pair,
    }
}
