//! Reductions: `x.iter().sum::<f64>()`, `.product()`, `.fold(init, |acc, v| …)`
//! and `.fold(init, f64::max)`, over any iteration a loop accepts
//! (`iter.rs`), with `.map(|v| …)` before them; the closures are written in
//! place. Each is a loop that updates an accumulator.

use super::{Binding, Form, Lower};
use crate::ast::float_type;
use crate::ir::{Inst, Stmt, Ty, ValueId};
use crate::op::Op;
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
        let (source, map) = match &*m.receiver {
            Expr::MethodCall(inner) if inner.method == "map" && inner.args.len() == 1 => {
                match &inner.args[0] {
                    Expr::Closure(c) if c.inputs.len() == 1 => (&*inner.receiver, Some(c)),
                    other => {
                        return self.error(
                            other,
                            "#[grad] supports `.map(|v| …)` with a closure of one argument written in place",
                        );
                    }
                }
            }
            other => (other, None),
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
        let acc = self.def(Inst::Copy(init), span);
        self.mutable.insert(acc);
        self.func.names[acc.index()] = Some(if fold { "acc" } else { "sum" }.into());
        let var = self.func.push(Inst::Zero, span);
        self.func.tys[var.index()] = Ty::Int;
        self.enter_loop(None, None, false, span);
        self.loops.last_mut().expect("entered").first_value = var.index();
        let body = self.in_block(|l| {
            l.scopes.push(HashMap::new());
            // The element (through `.map`), as a value.
            let elem = match map {
                Some(c) => {
                    l.bind_item(&c.inputs[0], &iter.item, var);
                    Some(l.expr(&c.body))
                }
                None if fold => None,
                None => Some(l.item_value(&iter.item, var, source)),
            };
            let next = if fold {
                l.fold_step(&m.args[1], acc, elem, &iter, var)
            } else {
                let op = if m.method == "sum" { Op::Add } else { Op::Mul };
                let elem = elem.expect("set above");
                if l.poisoned(&[elem]) {
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
                }
            };
            l.scopes.pop();
            if !l.poisoned(&[next]) {
                if l.func.ty(next) != l.func.ty(acc) {
                    l.error(
                        &m.args[0],
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
            Binding::View(_) => self.error(
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
const FOLD_FORMS: &str = "#[grad] supports `.fold(init, |acc, v| …)` with the closure written in place, or `.fold(init, f64::max)` and `f64::min`";
