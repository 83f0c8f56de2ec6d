//! `f32` values inside an `f64` function (`let y = x as f32; y * y`).
//!
//! The IR has one float type, the function's. An `f32` value is held as the
//! `f64` that is exactly it ([`Op::RoundF32`] after `x as f32`), and the
//! operations on such values keep it so: `+ - * /`, `sqrt` and `recip` are
//! computed in `f64` and rounded to `f32` at once, which gives exactly the
//! `f32` result (an `f64` holds the exact sum, difference or product of two
//! `f32`s, or rounds a quotient or square root at more than twice `f32`'s
//! precision plus two bits, so the second rounding cannot differ: Figueroa,
//! "When is double rounding innocuous?", 1995); `-x`, `abs`, `max`, `min`,
//! `floor`, `ceil`, `round`, `trunc`, `fract`, `signum`, `copysign` and
//! `clamp` of `f32`s are `f32`s already. Other methods (`sin`, `exp`, …) are
//! an error: `f32`'s own `sin` rounds differently from `f64`'s, and the value
//! of `f_grad` must be the value of `f`. Literals, constants and tables
//! beside an `f32` value are `f32`s, as Rust infers them. The gradient flows
//! through each rounding with derivative 1 and is computed in `f64`.

use super::Lower;
use crate::ir::{Float, Inst, Piece, Ty, ValueId};
use crate::op::Op;
use proc_macro2::Span;
use quote::quote;

/// How an operation on `f32` values stays exact.
enum Class {
    /// Its result is an `f32` whenever its operands are.
    Exact,
    /// Computed in `f64`, then rounded once to `f32`.
    Rounded,
    /// Not exact this way.
    Unsupported,
}

fn class(op: Op) -> Class {
    match op {
        Op::Neg
        | Op::Abs
        | Op::Max
        | Op::Min
        | Op::Floor
        | Op::Ceil
        | Op::Round
        | Op::Trunc
        | Op::Fract
        | Op::Signum
        | Op::Copysign
        | Op::Clamp
        | Op::RoundF32 => Class::Exact,
        Op::Add | Op::Sub | Op::Mul | Op::Div | Op::Sqrt | Op::Recip => Class::Rounded,
        _ => Class::Unsupported,
    }
}

impl Lower<'_> {
    /// Whether `f32` values can live in this function (an `f64` one).
    pub(super) fn mixed_precision(&self) -> bool {
        self.func.float == Float::F64
    }

    // Input: `y * 0.5` with `y: f32` (here `%y` and the literal `0.5`)
    // Output: `%h = lit 0.5` (0.5f32), `%p = mul %y, %h`, `%r = round_f32 %p`
    pub(super) fn narrow_op(&mut self, op: Op, mut args: Vec<ValueId>, span: Span) -> ValueId {
        for (i, a) in args.iter_mut().enumerate() {
            if op.int_args().contains(&i) || self.narrow.contains(a) {
                continue;
            }
            match self.as_f32_beside(*a, span) {
                Some(n) => *a = n,
                None => return self.mixed(span),
            }
        }
        if self.poisoned(&args) {
            return self.poison(span);
        }
        match class(op) {
            Class::Exact => {
                let v = self.def(Inst::Op { op, args }, span);
                self.narrow.insert(v);
                v
            }
            Class::Rounded => {
                let wide = self.def(Inst::Op { op, args }, span);
                self.round_f32(wide, span)
            }
            Class::Unsupported => {
                let name = op.method().unwrap_or(op.name());
                self.cx.syn_error(syn::Error::new(
                    span,
                    format!(
                        "`{name}` of an `f32` value in an `f64` function: `f32::{name}` rounds differently from `f64::{name}`, so #[grad] supports only `+ - * /`, `sqrt`, `recip`, `abs`, `min`, `max`, `clamp`, `floor`, `ceil`, `round`, `trunc`, `fract`, `signum` and `copysign` on `f32` values; convert with `as f64` first"
                    ),
                ));
                self.poison(span)
            }
        }
    }

    /// `x as f32`: the `f64` value rounded to `f32` (an `f32` value).
    pub(super) fn round_f32(&mut self, v: ValueId, span: Span) -> ValueId {
        if self.narrow.contains(&v) {
            return v;
        }
        let r = self.def(
            Inst::Op {
                op: Op::RoundF32,
                args: vec![v],
            },
            span,
        );
        self.narrow.insert(r);
        r
    }

    /// `y as f64` of an `f32` value: the same number, as an `f64` value.
    pub(super) fn widen(&mut self, v: ValueId, span: Span) -> ValueId {
        let w = self.func.push(Inst::Copy(v), span);
        if self.form == super::Form::Structured {
            self.emit(crate::ir::Stmt::Def(w));
        }
        w
    }

    /// A value beside an `f32` value that Rust would type as `f32` too: a
    /// literal (rounded to `f32`), a constant or a table element (read and
    /// converted). `None` for an `f64` value.
    pub(super) fn as_f32_beside(&mut self, v: ValueId, span: Span) -> Option<ValueId> {
        if self.poisoned(&[v]) {
            return Some(v);
        }
        let narrowed = match self.func.inst(v).clone() {
            Inst::Lit { value, .. } => {
                let n = self.def(crate::ir::lit_inst(value as f32 as f64), span);
                self.narrow.insert(n);
                return Some(n);
            }
            Inst::Extern(path) => {
                let path = crate::syntax::path_tokens(&path, self.func.span(v));
                vec![Piece::Paren(vec![Piece::Tokens(quote!(#path as f64))])]
            }
            Inst::Passive {
                index,
                ty: Ty::Float,
            } if self.opaque.contains(&v) => {
                let mut pieces = vec![Piece::Paren(self.func.passive[index].clone())];
                pieces.push(Piece::Tokens(quote!(as f64)));
                vec![Piece::Paren(pieces)]
            }
            _ => return None,
        };
        let n = self.passive(narrowed, Ty::Float, span);
        self.narrow.insert(n);
        Some(n)
    }

    /// `src` made fit to be assigned to `dst`: a literal beside an `f32`
    /// variable is an `f32`; a result variable (of an `if` or a `loop`) takes
    /// the type of the first value it gets. Mixing is an error.
    pub(super) fn same_precision(&mut self, dst: ValueId, src: ValueId) -> ValueId {
        if self.func.ty(src) != Ty::Float || self.poisoned(&[dst, src]) {
            return src;
        }
        match (self.narrow.contains(&dst), self.narrow.contains(&src)) {
            (true, false) => {
                let span = self.func.span(src);
                self.as_f32_beside(src, span)
                    .unwrap_or_else(|| self.mixed(span))
            }
            (false, true) if Some(dst) == self.ret_var => self.wide(src, self.func.span(src)),
            (false, true) if matches!(self.func.inst(dst), Inst::Zero) => {
                self.narrow.insert(dst);
                src
            }
            (false, true) => {
                let span = self.func.span(src);
                self.mixed(span)
            }
            _ => src,
        }
    }

    /// A value that must be an `f64` (an argument, an element of an array,
    /// the result): an error on an `f32` one.
    pub(super) fn wide(&mut self, v: ValueId, span: Span) -> ValueId {
        if !self.narrow.contains(&v) {
            return v;
        }
        self.cx.syn_error(syn::Error::new(
            span,
            "an `f32` value here, where #[grad] needs an `f64`: convert it with `as f64`",
        ));
        self.poison(span)
    }

    /// The error for `f32` and `f64` operands together.
    fn mixed(&mut self, span: Span) -> ValueId {
        self.cx.syn_error(syn::Error::new(
            span,
            "`f32` and `f64` operands mixed; convert one of them with `as f32` or `as f64`",
        ));
        self.poison(span)
    }
}
