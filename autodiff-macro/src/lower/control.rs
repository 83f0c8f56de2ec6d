//! Control flow: `if` (as a statement or a value), `for`, `while` and
//! `loop`, `break` and `return`. Early exits set flags that guard the code
//! after them; every loop becomes a counted `for` or a `while`.

use super::scan::may_exit_break;
use super::{Form, LoopCx, Lower};
use crate::ir::{Inst, Piece, Stmt, Ty, ValueId};
use proc_macro2::Span;
use quote::quote;
use std::collections::HashMap;
use syn::spanned::Spanned;
use syn::{Block, Expr};

impl Lower<'_> {
    /// Lowers a condition to a boolean value.
    pub(super) fn cond(&mut self, e: &Expr) -> ValueId {
        let v = self.expr(e);
        if self.func.ty(v) != Ty::Bool {
            return self.error(e, "expected a condition (a `bool`) here");
        }
        v
    }

    // Input: `if c { a } else if d { b } else { e }` (as a statement or a value)
    pub(super) fn if_expr(&mut self, i: &syn::ExprIf, want_value: bool) -> Option<ValueId> {
        let span = i.span();
        if let Expr::Let(l) = &*i.cond {
            self.error(l, "#[grad] does not support `if let`");
            return None;
        }
        let cond = self.cond(&i.cond);
        // A mutable flag may change inside the branch: decide on a snapshot,
        // so the reverse sweep replays the branch the forward sweep took.
        let cond = if self.mutable.contains(&cond) {
            self.def(Inst::Copy(cond), span)
        } else {
            cond
        };
        let result = if want_value {
            let r = self.def(Inst::Zero, span);
            self.mutable.insert(r);
            Some(r)
        } else {
            None
        };
        let then = self.in_block(|l| {
            let v = l.block_stmts(&i.then_branch.stmts, false);
            if let (Some(r), Some(v)) = (result, v) {
                l.func.tys[r.index()] = l.func.ty(v);
                l.assign(r, v);
            }
        });
        let els = self.in_block(|l| match &i.else_branch {
            None => {}
            Some((_, e)) => {
                let v = match &**e {
                    Expr::If(nested) => l.if_expr(nested, result.is_some()),
                    Expr::Block(b) => l.block_stmts(&b.block.stmts, false),
                    other => Some(l.expr(other)),
                };
                if let (Some(r), Some(v)) = (result, v) {
                    l.assign(r, v);
                }
            }
        });
        if want_value && i.else_branch.is_none() {
            self.error(i, "an `if` used as a value needs an `else` branch");
        }
        self.emit(Stmt::If { cond, then, els });
        result
    }

    /// Opens a loop: a fresh `break` flag slot.
    pub(super) fn enter_loop(&mut self) {
        self.loops.push(LoopCx { broken: None });
    }

    pub(super) fn break_expr(&mut self, b: &syn::ExprBreak) {
        if let Some(label) = &b.label {
            self.cx
                .error_spanned_by(label, "#[grad] does not support labeled `break`");
            return;
        }
        if let Some(e) = &b.expr {
            self.cx
                .error_spanned_by(e, "#[grad] does not support `break` with a value");
            return;
        }
        if self.loops.is_empty() {
            self.cx.error_spanned_by(b, "`break` outside of a loop");
            return;
        }
        // Every loop whose body breaks made its flag before lowering the body.
        if let Some(flag) = self.loops.last().and_then(|l| l.broken) {
            self.set_flag(flag, b.span());
        }
    }

    /// Whether a loop body contains a `break` of this loop.
    fn has_break(body: &Block) -> bool {
        body.stmts.iter().any(may_exit_break)
    }

    // Input: `for i in 0..n { … }`, `for v in x.iter()`, `for (i, v) in x.iter().enumerate()`,
    //        `for (a, b) in x.iter().zip(y.iter())`, `for i in (0..n).rev()`
    // Output: `for %i in %start..%end { %v = load %x[%i]; … }`
    pub(super) fn for_loop(&mut self, f: &syn::ExprForLoop) {
        let span = f.span();
        if let Some(label) = &f.label {
            self.cx
                .error_spanned_by(label, "#[grad] does not support loop labels");
            return;
        }
        let Some(iter) = self.iteration(&f.expr) else {
            return;
        };
        let (start, end) = match &iter.range {
            Some((s, e)) => (*s, *e),
            None => {
                let zero = self.passive(vec![Piece::Tokens(quote!(0usize))], Ty::Int, span);
                let len = self.len_of(&iter.arrays, span);
                (zero, len)
            }
        };
        let var = self.func.push(Inst::Zero, f.pat.span());
        self.func.tys[var.index()] = Ty::Int;
        self.func.names[var.index()] = Some("i".into());
        self.enter_loop();
        let breaks = Self::has_break(&f.body);
        if breaks {
            let flag = self.flag("broken", span);
            self.loops.last_mut().expect("entered").broken = Some(flag);
        }
        let body = self.in_block(|l| {
            l.scopes.push(HashMap::new());
            let guard = if breaks || l.returned.is_some() {
                l.still_running(span)
            } else {
                None
            };
            let inner = |l: &mut Self| {
                l.bind_loop_pattern(&f.pat, &iter, var);
                l.stmts(&f.body.stmts, false);
            };
            match guard {
                Some(cond) => {
                    let then = l.in_block(inner);
                    l.emit(Stmt::If {
                        cond,
                        then,
                        els: Vec::new(),
                    });
                }
                None => inner(l),
            }
            l.scopes.pop();
        });
        self.loops.pop();
        self.emit(Stmt::For {
            var,
            start,
            end,
            rev: iter.rev,
            body,
        });
    }

    // Input: `while c { … }`
    pub(super) fn while_loop(&mut self, w: &syn::ExprWhile) {
        if let Some(label) = &w.label {
            self.cx
                .error_spanned_by(label, "#[grad] does not support loop labels");
            return;
        }
        if let Expr::Let(l) = &*w.cond {
            self.error(l, "#[grad] does not support `while let`");
            return;
        }
        self.lower_while(Some(&w.cond), &w.body, w.span());
    }

    // Input: `loop { … break; … }`
    pub(super) fn loop_expr(&mut self, l: &syn::ExprLoop) {
        if let Some(label) = &l.label {
            self.cx
                .error_spanned_by(label, "#[grad] does not support loop labels");
            return;
        }
        self.lower_while(None, &l.body, l.span());
    }

    /// `while cond { body }`, or `loop { body }` when `cond` is `None`.
    fn lower_while(&mut self, cond: Option<&Expr>, body: &Block, span: Span) {
        self.enter_loop();
        let breaks = Self::has_break(body) || cond.is_none();
        if breaks {
            let flag = self.flag("broken", span);
            self.loops.last_mut().expect("entered").broken = Some(flag);
        }
        let mut c = None;
        let head = self.in_block(|l| {
            let running = l.still_running(span);
            c = Some(match (running, cond) {
                (None, Some(e)) => l.cond(e),
                (Some(r), None) => r,
                (Some(r), Some(e)) => {
                    // Evaluate the user's condition only while still running.
                    let out = l.def(Inst::Copy(r), span);
                    l.mutable.insert(out);
                    let then = l.in_block(|l| {
                        let v = l.cond(e);
                        l.assign(out, v);
                    });
                    l.emit(Stmt::If {
                        cond: r,
                        then,
                        els: Vec::new(),
                    });
                    out
                }
                (None, None) => l.passive(vec![Piece::Tokens(quote!(true))], Ty::Bool, span),
            });
        });
        let body = self.in_block(|l| {
            l.scopes.push(HashMap::new());
            l.stmts(&body.stmts, false);
            l.scopes.pop();
        });
        self.loops.pop();
        self.emit(Stmt::While {
            head,
            cond: c.expect("set above"),
            body,
        });
    }

    /// The value of `return e`.
    pub(super) fn ret_value(&mut self, r: &syn::ExprReturn) -> ValueId {
        match &r.expr {
            Some(e) => self.float_operand(e),
            None => self.error(
                r,
                "`return` without a value; a #[grad] function returns a float",
            ),
        }
    }

    /// `return e` in structured code: set the result and the flag.
    pub(super) fn early_return(&mut self, r: &syn::ExprReturn) {
        let v = self.ret_value(r);
        if self.form == Form::Straight {
            self.early = Some(v);
            return;
        }
        let ret = self.ret_var.expect("structured code has a result variable");
        self.assign(ret, v);
        // `lower` made the flag: the function has an early return.
        if let Some(flag) = self.returned {
            self.set_flag(flag, r.span());
        }
    }
}
