//! Array expressions: `[0.0; N]`, `[[0.0; N]; M]`, `[x, y * 2.0]`,
//! `[[a, b], [c, d]]`, as local arrays and as call arguments.
//!
//! Arrays of floats are array values. A constant array at the top of the
//! body is one instruction (`[0.0; N]`, `[x, y]`); any other (declared in a
//! loop or a branch, or with elements that are not all known) is an array of
//! zeros declared at the top of the function, and stores of its elements
//! where the user wrote it: re-declared on every trip of a loop, it starts
//! afresh, and the reverse sweep of those stores clears its adjoint.
//! Arrays of integers or `bool`s (labels, index lists) are constants: passive
//! values that keep their source.

use super::{Lower, View};
use crate::ir::{Inst, Piece, Stmt, Ty, ValueId};
use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, quote};
use syn::Expr;
use syn::spanned::Spanned;

/// An array expression with its elements lowered.
enum Shape {
    /// An element.
    Elem(ValueId),
    /// `[a, b, c]`.
    List(Vec<Shape>),
    /// `[e; len]`: the element, lowered once, and the length's source.
    Repeat(Box<Shape>, TokenStream),
}

impl Shape {
    /// The number of dimensions.
    fn rank(&self) -> usize {
        match self {
            Shape::Elem(_) => 0,
            Shape::List(items) => 1 + items.first().map_or(0, Shape::rank),
            Shape::Repeat(inner, _) => 1 + inner.rank(),
        }
    }

    /// The length of each dimension, as source.
    fn lens(&self) -> Vec<TokenStream> {
        match self {
            Shape::Elem(_) => Vec::new(),
            Shape::List(items) => {
                let n = items.len();
                let mut lens = vec![quote!(#n)];
                lens.extend(items.first().map(Shape::lens).unwrap_or_default());
                lens
            }
            Shape::Repeat(inner, len) => {
                let mut lens = vec![len.clone()];
                lens.extend(inner.lens());
                lens
            }
        }
    }

    fn elems(&self, out: &mut Vec<ValueId>) {
        match self {
            Shape::Elem(v) => out.push(*v),
            Shape::List(items) => items.iter().for_each(|i| i.elems(out)),
            Shape::Repeat(inner, _) => inner.elems(out),
        }
    }
}

impl Lower<'_> {
    // Input: `[0.0; 3]`, `[[0.0; N]; M]`, `[x, y * 2.0]`, `[0usize, 2]`
    // Output: `%a = array [%z; 3]`, `%a = array %x, %y`, or zeros and stores;
    //         `%a = passive int `[0usize, 2]`` for integers
    pub(super) fn array_expr(&mut self, e: &Expr) -> ValueId {
        let span = e.span();
        let shape = self.shape(e);
        let mut elems = Vec::new();
        shape.elems(&mut elems);
        if self.poisoned(&elems) {
            return self.poison(span);
        }
        let ty = elems.first().map_or(Ty::Float, |v| self.func.ty(*v));
        if let Some(bad) = elems.iter().find(|v| self.func.ty(**v) != ty) {
            let msg = match (ty, self.func.ty(*bad)) {
                (Ty::Float, Ty::Int) => format!(
                    "expected a float here, found an integer; convert it with `as {}`",
                    self.func.float.name()
                ),
                _ => "the elements of an array have one type".to_string(),
            };
            let span = self.func.span(*bad);
            self.cx.syn_error(syn::Error::new(span, msg));
            return self.poison(span);
        }
        match ty {
            Ty::Float => {
                let rank = shape.rank();
                let v = self.float_array(&shape, span);
                self.ranks.insert(v, rank);
                self.array_lens.insert(v, shape.lens());
                self.mutable.insert(v);
                v
            }
            Ty::Int | Ty::Bool => {
                let pieces = self.const_pieces(&shape);
                self.passive(pieces, Ty::Int, span)
            }
            _ => self.error(e, "#[grad] supports arrays of floats, integers and `bool`s"),
        }
    }

    /// Lowers the elements of an array expression.
    fn shape(&mut self, e: &Expr) -> Shape {
        match e {
            Expr::Paren(p) => self.shape(&p.expr),
            Expr::Group(g) => self.shape(&g.expr),
            Expr::Array(a) => Shape::List(a.elems.iter().map(|x| self.shape(x)).collect()),
            Expr::Repeat(r) => {
                let inner = self.shape(&r.expr);
                Shape::Repeat(Box::new(inner), r.len.to_token_stream())
            }
            other => {
                let v = self.expr(other);
                let v = self.operand(v);
                Shape::Elem(self.wide(v, other.span()))
            }
        }
    }

    /// The source of a constant (integer) array.
    fn const_pieces(&self, shape: &Shape) -> Vec<Piece> {
        match shape {
            Shape::Elem(v) => self.pieces_of(*v),
            Shape::List(items) => {
                let mut inner = Vec::new();
                for (k, item) in items.iter().enumerate() {
                    if k > 0 {
                        inner.push(Piece::Tokens(quote!(,)));
                    }
                    inner.extend(self.const_pieces(item));
                }
                vec![Piece::Bracket(inner)]
            }
            Shape::Repeat(inner, len) => {
                let mut pieces = self.const_pieces(inner);
                pieces.push(Piece::Tokens(quote!(; #len)));
                vec![Piece::Bracket(pieces)]
            }
        }
    }

    /// An array of floats: one instruction when it is constant and at the
    /// top of the body, else zeros declared at the top and stores here.
    fn float_array(&mut self, shape: &Shape, span: Span) -> ValueId {
        if self.depth == 0
            && let Some(v) = self.simple_array(shape, span)
        {
            return v;
        }
        let zero = self.func.lit(0.0, span);
        self.def_at_top(zero);
        let arr = self.zeros(shape, zero, span);
        self.store_shape(arr, shape, &mut Vec::new(), span);
        arr
    }

    // Input:  `let mut b = a;`, `let mut row = w[j];` (`a`, `w` local or fixed-size)
    // Output: zeros shaped like the row, then `for %k in 0..N { store %b[%k] = load %a[%j][%k] }`
    pub(super) fn copy_array(&mut self, view: &View, e: &Expr) -> ValueId {
        let span = e.span();
        let lens = match (&view.range, self.array_lens.get(&view.arr)) {
            (None, Some(lens)) if lens.len() > view.prefix.len() => {
                lens[view.prefix.len()..].to_vec()
            }
            _ => {
                return self.error(
                    e,
                    "#[grad] cannot copy this array into a variable of its own; read it in place, or borrow it (`&x`)",
                );
            }
        };
        // The shape of the copy, with the elements to store left out.
        let mut shape = Shape::Elem(ValueId(0));
        for len in lens.iter().rev() {
            shape = Shape::Repeat(Box::new(shape), len.clone());
        }
        let zero = self.func.lit(0.0, span);
        self.def_at_top(zero);
        let arr = self.zeros(&shape, zero, span);
        let mut index = Vec::new();
        self.copy_elements(arr, view, &lens, &mut index, span);
        self.ranks.insert(arr, lens.len());
        self.array_lens.insert(arr, lens);
        self.mutable.insert(arr);
        arr
    }

    /// `dst[index…][k…] = src[k…]` for every `k` of the remaining `lens`.
    fn copy_elements(
        &mut self,
        dst: ValueId,
        src: &View,
        lens: &[TokenStream],
        index: &mut Vec<ValueId>,
        span: Span,
    ) {
        let Some((len, rest)) = lens.split_first() else {
            let mut from = src.prefix.clone();
            from.extend(index.iter().copied());
            let v = self.def(
                Inst::Load {
                    arr: src.arr,
                    index: from,
                },
                span,
            );
            self.emit(Stmt::Store {
                arr: dst,
                index: index.clone(),
                value: v,
            });
            return;
        };
        let start = self.passive(vec![Piece::Tokens(quote!(0usize))], Ty::Int, span);
        let end = self.passive(vec![Piece::Tokens(len.clone())], Ty::Int, span);
        let var = self.func.push(Inst::Zero, span);
        self.func.tys[var.index()] = Ty::Int;
        index.push(var);
        let body = self.in_block(|l| l.copy_elements(dst, src, rest, index, span));
        index.pop();
        self.emit(Stmt::For {
            var,
            start,
            end,
            rev: false,
            body,
        });
    }

    /// `[c; N]` (nested too) of a constant `c`, or `[a, b, c]` of floats.
    fn simple_array(&mut self, shape: &Shape, span: Span) -> Option<ValueId> {
        match shape {
            Shape::Repeat(inner, len) => {
                let elem = match &**inner {
                    Shape::Elem(c) if self.is_constant(*c) => *c,
                    inner @ Shape::Repeat(..) => self.simple_array(inner, span)?,
                    _ => return None,
                };
                let len = self.len_piece(len.clone());
                Some(self.def(Inst::ArrayRepeat { elem, len }, span))
            }
            Shape::List(items) => {
                let elems = items
                    .iter()
                    .map(|i| match i {
                        Shape::Elem(v) => Some(*v),
                        _ => None,
                    })
                    .collect::<Option<Vec<_>>>()?;
                Some(self.def(Inst::ArrayList(elems), span))
            }
            Shape::Elem(_) => None,
        }
    }

    /// Whether `v` is a literal or a constant in scope.
    fn is_constant(&self, v: ValueId) -> bool {
        matches!(
            self.func.inst(v),
            Inst::Lit { .. } | Inst::Extern(_) | Inst::Passive { .. }
        )
    }

    /// The passive source of an array length.
    fn len_piece(&mut self, len: TokenStream) -> usize {
        self.func.passive.push(vec![Piece::Tokens(len)]);
        self.func.passive.len() - 1
    }

    /// An array of zeros shaped like `shape`, declared at the top of the body.
    fn zeros(&mut self, shape: &Shape, zero: ValueId, span: Span) -> ValueId {
        let (inner, len) = match shape {
            Shape::Elem(_) => return zero,
            Shape::List(items) => {
                let n = items.len();
                (items.first(), quote!(#n))
            }
            Shape::Repeat(inner, len) => (Some(&**inner), len.clone()),
        };
        let elem = match inner {
            Some(inner) => self.zeros(inner, zero, span),
            None => zero,
        };
        let len = self.len_piece(len);
        let v = self.func.push(Inst::ArrayRepeat { elem, len }, span);
        self.def_at_top(v);
        v
    }

    /// Defines `v` at the top of the function body (before the loop or
    /// branch being lowered), where every later statement sees it.
    fn def_at_top(&mut self, v: ValueId) {
        let top = self.blocks.first_mut().expect("the function's block");
        top.push(Stmt::Def(v));
    }

    /// Stores the elements of `shape` into `arr[index…]`.
    fn store_shape(&mut self, arr: ValueId, shape: &Shape, index: &mut Vec<ValueId>, span: Span) {
        match shape {
            Shape::Elem(v) => self.emit(Stmt::Store {
                arr,
                index: index.clone(),
                value: *v,
            }),
            Shape::List(items) => {
                for (k, item) in items.iter().enumerate() {
                    let lit = proc_macro2::Literal::usize_suffixed(k);
                    let k = self.passive(vec![Piece::Tokens(quote!(#lit))], Ty::Int, span);
                    index.push(k);
                    self.store_shape(arr, item, index, span);
                    index.pop();
                }
            }
            Shape::Repeat(inner, len) => {
                let start = self.passive(vec![Piece::Tokens(quote!(0usize))], Ty::Int, span);
                let end = self.passive(vec![Piece::Tokens(len.clone())], Ty::Int, span);
                let var = self.func.push(Inst::Zero, span);
                self.func.tys[var.index()] = Ty::Int;
                index.push(var);
                let body = self.in_block(|l| l.store_shape(arr, inner, index, span));
                index.pop();
                self.emit(Stmt::For {
                    var,
                    start,
                    end,
                    rev: false,
                    body,
                });
            }
        }
    }
}

/// The lengths of a fixed-size array type, outermost first (`[[f64; 3]; 2]`
/// gives `2, 3`), also behind a reference; `None` for slices and `Vec`s.
pub(super) fn fixed_lens(ty: &syn::Type) -> Option<Vec<TokenStream>> {
    match ty {
        syn::Type::Array(a) => {
            let mut lens = vec![a.len.to_token_stream()];
            if let Some(inner) = fixed_lens(&a.elem) {
                lens.extend(inner);
            }
            Some(lens)
        }
        syn::Type::Reference(r) if r.mutability.is_none() => fixed_lens(&r.elem),
        syn::Type::Paren(p) => fixed_lens(&p.elem),
        syn::Type::Group(g) => fixed_lens(&g.elem),
        _ => None,
    }
}
