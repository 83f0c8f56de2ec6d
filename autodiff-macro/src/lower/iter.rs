//! What a loop runs over: a range or arrays in step (`.iter()`, `.rev()`,
//! `.enumerate()`, `.zip(..)`), the pattern it binds for each iteration,
//! and iterator sums (`x.iter().map(|v| …).sum::<f64>()`) as loops that add up.

use super::{Binding, Form, Lower};
use crate::ast::ident_name;
use crate::ir::{Inst, Piece, Stmt, Ty, ValueId};
use crate::op::Op;
use proc_macro2::Span;
use quote::quote;
use std::collections::HashMap;
use syn::spanned::Spanned;
use syn::{Expr, Pat};

/// What a `for` loop (or an iterator sum) runs over.
pub(super) struct Iteration {
    /// `a..b`: the bounds.
    pub(super) range: Option<(ValueId, ValueId)>,
    /// Arrays iterated in step (two for `zip`), each with a row prefix.
    pub(super) arrays: Vec<(ValueId, Vec<ValueId>)>,
    pub(super) rev: bool,
    pub(super) enumerate: bool,
}

fn strip_ref(pat: &Pat) -> &Pat {
    match pat {
        Pat::Reference(r) => strip_ref(&r.pat),
        Pat::Paren(p) => strip_ref(&p.pat),
        other => other,
    }
}

impl Lower<'_> {
    /// The length of the iteration over `arrays` (the shortest, for `zip`).
    pub(super) fn len_of(&mut self, arrays: &[(ValueId, Vec<ValueId>)], span: Span) -> ValueId {
        let mut pieces = Vec::new();
        for (k, (arr, prefix)) in arrays.iter().enumerate() {
            let mut one = vec![Piece::Value(*arr)];
            for p in prefix {
                one.push(Piece::Bracket(vec![Piece::Value(*p)]));
            }
            one.push(Piece::Tokens(quote!(.len())));
            if k == 0 {
                pieces = one;
            } else {
                let mut args = pieces;
                args.push(Piece::Tokens(quote!(,)));
                args.extend(one);
                pieces = vec![Piece::Tokens(quote!(::core::cmp::min)), Piece::Paren(args)];
            }
        }
        self.passive(pieces, Ty::Int, span)
    }

    /// Binds the pattern of a `for` loop for iteration `var`.
    pub(super) fn bind_loop_pattern(&mut self, pat: &Pat, iter: &Iteration, var: ValueId) {
        let span = pat.span();
        if iter.range.is_some() {
            // `for i in a..b`
            self.bind_simple(pat, var);
            return;
        }
        let elem = |l: &mut Self, k: usize| -> Binding {
            let (arr, prefix) = iter.arrays[k].clone();
            let mut index = prefix;
            index.push(var);
            let rank = l.ranks.get(&arr).copied().unwrap_or(1);
            if index.len() < rank {
                Binding::View { arr, prefix: index }
            } else {
                let v = l.def(Inst::Load { arr, index }, span);
                Binding::Value {
                    value: v,
                    mutable: false,
                }
            }
        };
        if iter.enumerate {
            // `(i, v)`
            let Pat::Tuple(t) = strip_ref(pat) else {
                self.error(pat, "expected `(i, v)` for `.enumerate()`");
                return;
            };
            if t.elems.len() != 2 {
                self.error(pat, "expected `(i, v)` for `.enumerate()`");
                return;
            }
            self.bind_simple(&t.elems[0], var);
            let b = elem(self, 0);
            self.bind_binding(&t.elems[1], b);
        } else if iter.arrays.len() == 2 {
            // `(a, b)` for `.zip(..)`
            let Pat::Tuple(t) = strip_ref(pat) else {
                self.error(pat, "expected `(a, b)` for `.zip(..)`");
                return;
            };
            if t.elems.len() != 2 {
                self.error(pat, "expected `(a, b)` for `.zip(..)`");
                return;
            }
            let a = elem(self, 0);
            self.bind_binding(&t.elems[0], a);
            let b = elem(self, 1);
            self.bind_binding(&t.elems[1], b);
        } else {
            let b = elem(self, 0);
            self.bind_binding(pat, b);
        }
    }

    fn bind_simple(&mut self, pat: &Pat, v: ValueId) {
        self.bind_binding(
            pat,
            Binding::Value {
                value: v,
                mutable: false,
            },
        );
    }

    fn bind_binding(&mut self, pat: &Pat, b: Binding) {
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
            other => {
                self.cx
                    .error_spanned_by(other, "#[grad] supports a name or `_` here");
            }
        }
    }

    /// What a `for` loop iterates over.
    pub(super) fn iteration(&mut self, e: &Expr) -> Option<Iteration> {
        let mut it = Iteration {
            range: None,
            arrays: Vec::new(),
            rev: false,
            enumerate: false,
        };
        let mut e = e;
        loop {
            match e {
                Expr::Paren(p) => e = &p.expr,
                Expr::MethodCall(m) if m.method == "rev" && m.args.is_empty() => {
                    it.rev = !it.rev;
                    e = &m.receiver;
                }
                Expr::MethodCall(m) if m.method == "enumerate" && m.args.is_empty() => {
                    it.enumerate = true;
                    e = &m.receiver;
                }
                _ => break,
            }
        }
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
                    let one = self.passive(vec![Piece::Tokens(quote!(1))], Ty::Int, r.span());
                    self.passive_bin(end, quote!(+), one, Ty::Int, r.span())
                }
            };
            if it.enumerate {
                self.error(e, "#[grad] does not support `.enumerate()` on a range");
                return None;
            }
            it.range = Some((start, end));
            return Some(it);
        }
        if let Expr::MethodCall(m) = e
            && m.method == "zip"
            && m.args.len() == 1
        {
            let a = self.array_operand(&m.receiver);
            let b = self.array_operand(&m.args[0]);
            let (Some(a), Some(b)) = (a, b) else {
                self.error(
                    e,
                    "#[grad] can zip two arrays or slices (`x.iter().zip(y.iter())`)",
                );
                return None;
            };
            if it.enumerate {
                self.error(
                    e,
                    "#[grad] does not support `.enumerate()` after `.zip(..)`",
                );
                return None;
            }
            it.arrays = vec![a, b];
            return Some(it);
        }
        match self.array_operand(e) {
            Some(a) => {
                it.arrays = vec![a];
                Some(it)
            }
            None => {
                self.error(
                    e,
                    "#[grad] can loop over a range (`a..b`, `a..=b`, `.rev()`) or an array, slice or `Vec` (`x`, `x.iter()`, `.enumerate()`, `.zip(..)`)",
                );
                None
            }
        }
    }

    /// `x.iter().sum::<f64>()`, `x.iter().map(|v| e).sum::<f64>()`,
    /// `x.iter().zip(y.iter()).map(|(a, b)| e).sum::<f64>()`: a loop that adds up.
    pub(super) fn iter_sum(&mut self, m: &syn::ExprMethodCall) -> ValueId {
        let span = m.span();
        if self.form == Form::Straight {
            return self.error(m, "internal: iterator sum outside structured code");
        }
        let (source, closure) = match &*m.receiver {
            Expr::MethodCall(inner) if inner.method == "map" && inner.args.len() == 1 => {
                match &inner.args[0] {
                    Expr::Closure(c) => (&*inner.receiver, Some(c)),
                    other => {
                        return self.error(
                            other,
                            "#[grad] supports `.map(|v| …)` with a closure written in place",
                        );
                    }
                }
            }
            other => (other, None),
        };
        let Some(iter) = self.iteration(source) else {
            return self.func.lit(0.0, span);
        };
        let (start, end) = match &iter.range {
            Some((s, e)) => (*s, *e),
            None => {
                let zero = self.passive(vec![Piece::Tokens(quote!(0usize))], Ty::Int, span);
                let len = self.len_of(&iter.arrays, span);
                (zero, len)
            }
        };
        let zero = self.lit(0.0, span);
        let acc = self.def(Inst::Copy(zero), span);
        self.mutable.insert(acc);
        self.func.names[acc.index()] = Some("sum".into());
        let var = self.func.push(Inst::Zero, span);
        self.func.tys[var.index()] = Ty::Int;
        self.enter_loop();
        let body = self.in_block(|l| {
            l.scopes.push(HashMap::new());
            let term = match closure {
                Some(c) => {
                    if c.inputs.len() != 1 {
                        l.error(
                            c,
                            "expected a closure of one argument, `|v| …` or `|(a, b)| …`",
                        );
                    }
                    if let Some(p) = c.inputs.first() {
                        l.bind_loop_pattern(p, &iter, var);
                    }
                    l.float_operand(&c.body)
                }
                None => {
                    if iter.arrays.len() != 1 || iter.enumerate {
                        l.error(
                            m,
                            "`.sum()` needs a closure here: `.map(|…| …).sum::<f64>()`",
                        )
                    } else {
                        let (arr, prefix) = iter.arrays[0].clone();
                        let mut index = prefix;
                        index.push(var);
                        l.def(Inst::Load { arr, index }, span)
                    }
                }
            };
            l.scopes.pop();
            let next = l.op(Op::Add, vec![acc, term], span);
            l.assign(acc, next);
        });
        self.loops.pop();
        self.emit(Stmt::For {
            var,
            start,
            end,
            rev: iter.rev,
            body,
        });
        acc
    }
}
