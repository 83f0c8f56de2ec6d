//! Reductions: `x.iter().sum::<f64>()`, `.product()`, `.fold(init, |acc, v| …)`
//! and `.fold(init, f64::max)`, over any iteration a loop accepts
//! (`iter.rs`), with `.map(|v| …)` before them; the closures are written in
//! place. Each is a loop that updates an accumulator.

use super::{Binding, Form, Lower};
use crate::ir::{Inst, Piece, Stmt, Ty, ValueId};
use crate::op::Op;
use crate::syntax::float_type;
use quote::{ToTokens, quote};
use std::collections::HashMap;
use syn::Expr;
use syn::spanned::Spanned;

impl Lower<'_> {
    // Input:  `x.iter().map(|v| v * v).sum::<f64>()`, `x.iter().fold(0.0, |acc, &v| acc * c + v)`
    // Output: `%acc = copy %init; for %i in … { …; %acc := add %acc, %t }`
    pub(super) fn reduce(&mut self, m: &syn::ExprMethodCall) -> ValueId {
        let span = m.span();
        if self.form == Form::Straight {
            return self.error(m, "internal: reduction outside structured code");
        }
        let fold = m.method == "fold";
        if fold && m.args.len() != 2 || !fold && !m.args.is_empty() {
            return self.error(
                &m.method,
                format!("`.{}` takes the wrong number of arguments", m.method),
            );
        }
        if let Some(t) = &m.turbofish {
            let float = t.args.iter().all(|a| {
                matches!(a, syn::GenericArgument::Type(ty) if float_type(ty) == Some(self.func.float))
            });
            if fold || !float {
                return self.error(
                    t,
                    format!(
                        "#[grad] adds up floats: write `.{}::<{}>()` or no turbofish",
                        m.method,
                        self.func.float.name()
                    ),
                );
            }
        }
        let Some((source, map)) = self.mapped_source(&m.receiver) else {
            return self.poison(span);
        };
        let init = match m.method.to_string().as_str() {
            "sum" => self.lit(0.0, span),
            "product" => self.lit(1.0, span),
            _ => self.expr(&m.args[0]),
        };
        let Some(iter) = self.iteration(source) else {
            return self.poison(span);
        };
        if self.poisoned(&[init]) {
            return self.poison(span);
        }
        let name = if fold { "acc" } else { "sum" };
        let init_src = match fold {
            true => m.args[0].to_token_stream(),
            false => m.method.to_token_stream(),
        };
        self.accumulate(iter, (init, init_src), name, map, span, |l, acc, elem, iter, var| {
            if fold {
                return Some(l.fold_step(&m.args[1], acc, elem, iter, var));
            }
            let op = if m.method == "sum" { Op::Add } else { Op::Mul };
            let elem = match elem {
                Some(e) => e,
                None => l.item_value(&iter.item, var, source),
            };
            Some(if l.poisoned(&[elem]) {
                l.poison(span)
            } else if l.func.ty(elem) != Ty::Float {
                l.error(
                    source,
                    format!(
                        "#[grad] adds up floats; this iterates over integers (convert them with `.map(|&k| k as {})`)",
                        l.func.float.name()
                    ),
                )
            } else {
                l.op(op, vec![acc, elem], span)
            })
        })
    }

    // Input:  `x.iter().max_by(|a, b| a.total_cmp(b)).unwrap()`, `.min_by(..)`,
    //         `x.iter().copied().reduce(f64::max).unwrap()`
    // Output: `%acc = load %x[0]; for %i in 1..len { %c = …; if !%c { %acc := %v } }`
    //         (the first element starts the accumulator: an empty iteration
    //         panics, as `unwrap` does)
    pub(super) fn reduce_first(&mut self, m: &syn::ExprMethodCall) -> ValueId {
        let span = m.span();
        if self.form == Form::Straight {
            return self.error(m, "internal: reduction outside structured code");
        }
        if m.args.len() != 1 {
            return self.error(&m.method, format!("`.{}` takes one argument", m.method));
        }
        // How two elements combine: `max_by`/`min_by` keep the one their
        // comparison picks; `.reduce(f)` applies `f`.
        let by = if m.method == "reduce" {
            None
        } else {
            match comparison(&m.args[0]) {
                Some(cmp) => Some(cmp),
                None => {
                    return self.error(
                        &m.args[0],
                        format!(
                            "#[grad] supports `.{}(|a, b| a.total_cmp(b))` (or `a.partial_cmp(b).unwrap()`, `f64::total_cmp`): the comparison of the elements themselves; for another order write a `for` loop",
                            m.method
                        ),
                    );
                }
            }
        };
        let max = m.method == "max_by";
        let Some((source, map)) = self.mapped_source(&m.receiver) else {
            return self.poison(span);
        };
        let Some(mut iter) = self.iteration(source) else {
            return self.poison(span);
        };
        // The first trip: `start`, or `end - 1` backwards; the loop runs
        // over the others.
        let one = self.passive(vec![Piece::Tokens(quote!(1usize))], Ty::Int, span);
        let first = if iter.rev {
            let first = self.passive_bin(iter.end, quote!(-), one, Ty::Int, span);
            iter.end = first;
            first
        } else {
            let first = iter.start;
            iter.start = self.passive_bin(iter.start, quote!(+), one, Ty::Int, span);
            first
        };
        self.scopes.push(HashMap::new());
        let init = self.element(map, &iter, first, source);
        self.scopes.pop();
        if self.poisoned(&[init]) {
            return init;
        }
        if self.func.ty(init) != Ty::Float {
            return self.error(
                source,
                "#[grad] takes the largest or smallest of floats here",
            );
        }
        let f = &m.args[0];
        let init_src = m.method.to_token_stream();
        self.accumulate(
            iter,
            (init, init_src),
            "acc",
            map,
            span,
            |l, acc, elem, iter, var| {
                let elem = match elem {
                    Some(e) => e,
                    None => l.item_value(&iter.item, var, source),
                };
                let Some(cmp) = &by else {
                    return Some(l.fold_step(f, acc, Some(elem), iter, var));
                };
                if l.poisoned(&[elem]) {
                    return Some(elem);
                }
                if l.func.ty(elem) != Ty::Float {
                    return Some(l.error(
                        source,
                        "#[grad] takes the largest or smallest of floats here",
                    ));
                }
                // `Iterator::max_by` keeps the element unless the accumulator
                // compares greater (so the last of equal maxima wins),
                // `min_by` takes it only when the accumulator compares greater
                // (the first of equal minima): `%c = cmp(%acc, %v) == Greater`,
                // `if !%c { %acc := %v }` (`if %c` for `min_by`). The
                // comparison is the user's, so NaN orders (or panics) as in `f`.
                let (a, b) = if cmp.forward {
                    (acc, elem)
                } else {
                    (elem, acc)
                };
                let mut pieces = l.paren(a);
                pieces.push(Piece::Tokens(cmp.method.clone()));
                let mut arg = vec![Piece::Tokens(quote!(&))];
                arg.extend(l.paren(b));
                pieces.push(Piece::Paren(arg));
                pieces.push(Piece::Tokens(cmp.unwrap.clone()));
                pieces.push(Piece::Tokens(quote!(== ::core::cmp::Ordering::Greater)));
                let greater = l.passive(pieces, Ty::Bool, span);
                let cond = if max {
                    let not = vec![Piece::Tokens(quote!(!)), Piece::Paren(l.pieces_of(greater))];
                    l.passive(not, Ty::Bool, span)
                } else {
                    greater
                };
                let then = l.in_block(|l| l.assign(acc, elem));
                l.emit(Stmt::If {
                    cond,
                    then,
                    els: Vec::new(),
                });
                None
            },
        )
    }

    /// The source of a reduction and the closure of a `.map(|v| …)` on it.
    fn mapped_source<'e>(
        &mut self,
        receiver: &'e Expr,
    ) -> Option<(&'e Expr, Option<&'e syn::ExprClosure>)> {
        match receiver {
            Expr::MethodCall(inner) if inner.method == "map" && inner.args.len() == 1 => {
                match &inner.args[0] {
                    Expr::Closure(c) if c.inputs.len() == 1 => Some((&*inner.receiver, Some(c))),
                    other => {
                        self.error(
                            other,
                            "#[grad] supports `.map(|v| …)` with a closure of one argument written in place",
                        );
                        None
                    }
                }
            }
            other => Some((other, None)),
        }
    }

    /// The element at trip `var`, through `.map(|v| …)`.
    fn element(
        &mut self,
        map: Option<&syn::ExprClosure>,
        iter: &super::iter::Iteration,
        var: ValueId,
        source: &Expr,
    ) -> ValueId {
        match map {
            Some(c) => {
                self.bind_item(&c.inputs[0], &iter.item, var);
                self.expr(&c.body)
            }
            None => self.item_value(&iter.item, var, source),
        }
    }

    /// The loop of a reduction: `%acc = copy %init; for %i in … { %acc := step }`,
    /// `step` given the accumulator and the element (through `.map`; `None`
    /// without one, for `.fold` to bind its closure's pattern itself).
    fn accumulate(
        &mut self,
        iter: super::iter::Iteration,
        (init, init_src): (ValueId, proc_macro2::TokenStream),
        name: &str,
        map: Option<&syn::ExprClosure>,
        span: proc_macro2::Span,
        step: impl FnOnce(
            &mut Self,
            ValueId,
            Option<ValueId>,
            &super::iter::Iteration,
            ValueId,
        ) -> Option<ValueId>,
    ) -> ValueId {
        let acc = self.def(Inst::Copy(init), span);
        self.mutable.insert(acc);
        self.func.names[acc.index()] = Some(name.into());
        let var = self.func.push(Inst::Zero, span);
        self.func.tys[var.index()] = Ty::Int;
        self.enter_loop(None, None, false, span);
        self.loops.last_mut().expect("entered").first_value = var.index();
        let body = self.in_block(|l| {
            l.scopes.push(HashMap::new());
            let elem = map.map(|c| {
                l.bind_item(&c.inputs[0], &iter.item, var);
                l.expr(&c.body)
            });
            let next = step(l, acc, elem, &iter, var);
            l.scopes.pop();
            // `None`: the step updated the accumulator itself.
            let Some(next) = next else { return };
            if !l.poisoned(&[next]) {
                if l.func.ty(next) != l.func.ty(acc) {
                    l.error(
                        init_src,
                        "the accumulator of `.fold` changes type; give the initial value the type the closure returns",
                    );
                } else {
                    l.assign(acc, next);
                }
            }
        });
        self.loops.pop();
        self.emit(Stmt::For {
            var,
            start: iter.start,
            end: iter.end,
            rev: iter.rev,
            body,
        });
        acc
    }

    /// One element of an iteration as a value (a float or an integer).
    fn item_value(&mut self, item: &super::iter::Item, var: ValueId, source: &Expr) -> ValueId {
        match self.item_binding(item, var, source.span()) {
            Binding::Value { value, .. } => value,
            Binding::View(_) | Binding::Closure(_) => self.error(
                source,
                "this iterates over rows or pairs; say what to add up with `.map(|…| …)`",
            ),
        }
    }

    /// `f(acc, elem)` of `.fold(init, f)`: a closure `|acc, v| …` written in
    /// place, or `f64::max` / `f64::min`.
    fn fold_step(
        &mut self,
        f: &Expr,
        acc: ValueId,
        elem: Option<ValueId>,
        iter: &super::iter::Iteration,
        var: ValueId,
    ) -> ValueId {
        match f {
            Expr::Closure(c) if c.inputs.len() == 2 => {
                self.bind_item_value(&c.inputs[0], acc);
                match elem {
                    Some(v) => self.bind_item_value(&c.inputs[1], v),
                    None => self.bind_item(&c.inputs[1], &iter.item, var),
                }
                self.expr(&c.body)
            }
            Expr::Path(_) => {
                let Some(name) = self.float_fn_path(f) else {
                    return self.error(f, FOLD_FORMS);
                };
                let elem = match elem {
                    Some(v) => v,
                    None => self.item_value(&iter.item, var, f),
                };
                match Op::from_method(&name.to_string()) {
                    Some(op) if op.arity() == 2 && op.int_args().is_empty() => {
                        if self.func.ty(elem) != Ty::Float || self.func.ty(acc) != Ty::Float {
                            return self.error(f, "this function takes floats");
                        }
                        self.op(op, vec![acc, elem], f.span())
                    }
                    _ => self.error(f, FOLD_FORMS),
                }
            }
            other => self.error(other, FOLD_FORMS),
        }
    }

    /// Binds a closure's parameter (`acc`, `v`, `&v`) to a value.
    fn bind_item_value(&mut self, pat: &syn::Pat, value: ValueId) {
        let b = Binding::Value {
            value,
            mutable: false,
        };
        let pat = match pat {
            syn::Pat::Type(t) => &*t.pat,
            p => p,
        };
        self.bind_loop_value(pat, b);
    }
}

/// What `.fold` accepts as its function.
/// A comparator of `max_by`/`min_by`: the user's method (`.total_cmp`,
/// `.partial_cmp` with `.unwrap()` after it), and whether it compares its
/// two arguments in order (`|a, b| a.total_cmp(b)`) or reversed
/// (`b.total_cmp(a)`).
struct Cmp {
    forward: bool,
    method: proc_macro2::TokenStream,
    unwrap: proc_macro2::TokenStream,
}

/// The comparator a closure or path is, if it compares the elements
/// themselves: `|a, b| a.total_cmp(b)`, `a.partial_cmp(b).unwrap()`, or
/// `f64::total_cmp` / `f32::total_cmp`.
fn comparison(f: &Expr) -> Option<Cmp> {
    let (a, b, body) = match f {
        Expr::Path(p) => {
            let segs: Vec<String> = p
                .path
                .segments
                .iter()
                .map(|s| s.ident.to_string())
                .collect();
            let ok = matches!(
                segs.iter()
                    .map(String::as_str)
                    .collect::<Vec<_>>()
                    .as_slice(),
                ["f64" | "f32", "total_cmp"]
            );
            return ok.then(|| Cmp {
                forward: true,
                method: quote!(.total_cmp),
                unwrap: quote!(),
            });
        }
        Expr::Closure(c) if c.inputs.len() == 2 => {
            (pat_name(&c.inputs[0])?, pat_name(&c.inputs[1])?, &*c.body)
        }
        _ => return None,
    };
    // `a.partial_cmp(b).unwrap()` → `a.partial_cmp(b)`.
    let (body, unwrapped) = match strip(body) {
        Expr::MethodCall(u) if u.method == "unwrap" && u.args.is_empty() => {
            (strip(&u.receiver), true)
        }
        other => (other, false),
    };
    let (x, y, method) = match body {
        Expr::MethodCall(c)
            if (c.method == "total_cmp" && !unwrapped
                || c.method == "partial_cmp" && unwrapped)
                && c.args.len() == 1 =>
        {
            (name_of(&c.receiver)?, name_of(&c.args[0])?, &c.method)
        }
        _ => return None,
    };
    let forward = match (x == a && y == b, x == b && y == a) {
        (true, _) => true,
        (_, true) => false,
        _ => return None,
    };
    Some(Cmp {
        forward,
        method: quote!(.#method),
        unwrap: if unwrapped {
            quote!(.unwrap())
        } else {
            quote!()
        },
    })
}

/// `(e)`, `*e`, `&e` → `e`.
fn strip(mut e: &Expr) -> &Expr {
    loop {
        match e {
            Expr::Paren(p) => e = &p.expr,
            Expr::Reference(r) => e = &r.expr,
            Expr::Unary(u) if matches!(u.op, syn::UnOp::Deref(_)) => e = &u.expr,
            other => return other,
        }
    }
}

/// The variable an expression names.
fn name_of(e: &Expr) -> Option<String> {
    match strip(e) {
        Expr::Path(p) => p.path.get_ident().map(crate::syntax::ident_name),
        _ => None,
    }
}

/// The name a closure parameter binds (`a`, `&a`, `a: &f64`).
fn pat_name(p: &syn::Pat) -> Option<String> {
    match p {
        syn::Pat::Ident(i) if i.subpat.is_none() => Some(crate::syntax::ident_name(&i.ident)),
        syn::Pat::Reference(r) => pat_name(&r.pat),
        syn::Pat::Type(t) => pat_name(&t.pat),
        syn::Pat::Paren(p) => pat_name(&p.pat),
        _ => None,
    }
}

const FOLD_FORMS: &str = "#[grad] supports `.fold(init, |acc, v| …)` with the closure written in place, or `.fold(init, f64::max)` and `f64::min`; for anything else write a `for` loop (or `.sum::<f64>()` for a sum)";
