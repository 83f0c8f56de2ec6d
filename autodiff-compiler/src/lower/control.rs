//! Control flow: `if` (as a statement or a value), `for`, `while` and
//! `loop` (labeled or not), `break`, `continue` and `return`. Early exits
//! set flags that guard the code after them (a `continue` flag is cleared at
//! the start of each trip); every loop becomes a counted `for` or a `while`.

use super::scan::{labeled_exits, loop_exits};
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
        if self.func.ty(v) != Ty::Bool && !self.poisoned(&[v]) {
            return self.error(e, "expected a condition (a `bool`) here");
        }
        v
    }

    // Input:  `if c { a } else if d { b } else { e }` (as a statement or a value)
    // Output: `%c = …; if %c { a; taken := true }`
    //         `%g = !taken; if %g { %d = …; if %d { b; taken := true } }`
    //         `%h = !taken; if %h { e }`
    // An `else if` chain becomes a flat sequence guarded by a `taken` flag, so
    // no stage recurses deeper as the chain grows; each condition is still
    // evaluated only when the arms before it were not taken.
    pub(super) fn if_expr(&mut self, i: &syn::ExprIf, want_value: bool) -> Option<ValueId> {
        let span = i.if_token.span;
        // The arms and the final `else`.
        let mut arms = vec![i];
        let mut last_else: Option<&Expr> = None;
        let mut cur = i;
        while let Some((_, e)) = &cur.else_branch {
            match &**e {
                Expr::If(nested) => {
                    arms.push(nested);
                    cur = nested;
                }
                other => {
                    last_else = Some(other);
                    break;
                }
            }
        }
        for arm in &arms {
            if let Expr::Let(l) = &*arm.cond {
                self.error(l, "#[grad] does not support `if let`");
                return None;
            }
        }
        if want_value && last_else.is_none() {
            self.error(i, "an `if` used as a value needs an `else` branch");
        }
        let result = if want_value {
            let r = self.def(Inst::Zero, span);
            self.mutable.insert(r);
            Some(r)
        } else {
            None
        };
        // One arm: a plain `if … else …`; a chain: the `taken` flag.
        let taken = (arms.len() > 1).then(|| self.flag("taken", span));
        for (k, arm) in arms.iter().enumerate() {
            let single = arms.len() == 1;
            let arm_stmts = |l: &mut Self| {
                let cond = l.cond(&arm.cond);
                // A mutable flag may change inside the branch: decide on a
                // snapshot, so the reverse sweep replays the branch taken.
                let cond = if l.mutable.contains(&cond) {
                    l.def(Inst::Copy(cond), span)
                } else {
                    cond
                };
                let then = l.in_block(|l| {
                    let v = l.block_stmts(&arm.then_branch.stmts, false);
                    if let (Some(r), Some(v)) = (result, v) {
                        l.func.tys[r.index()] = l.func.ty(v);
                        l.assign(r, v);
                    }
                    if let Some(t) = taken {
                        l.set_flag(t, span);
                    }
                });
                let els = match (single, last_else) {
                    (true, Some(e)) => l.in_block(|l| l.else_branch(e, result)),
                    _ => Vec::new(),
                };
                l.emit(Stmt::If { cond, then, els });
            };
            match (k, taken) {
                (0, _) | (_, None) => arm_stmts(self),
                (_, Some(t)) => self.guarded(t, span, arm_stmts),
            }
        }
        if let (Some(e), Some(t)) = (last_else, taken) {
            self.guarded(t, span, |l| l.else_branch(e, result));
        }
        result
    }

    /// The final `else` of an `if`: its value goes to `result`.
    fn else_branch(&mut self, e: &Expr, result: Option<ValueId>) {
        let v = match e {
            Expr::Block(b) => self.block_stmts(&b.block.stmts, false),
            other => Some(self.expr(other)),
        };
        if let (Some(r), Some(v)) = (result, v) {
            // An arm may have ended in `return` (type `!`).
            self.func.tys[r.index()] = self.func.ty(v);
            self.assign(r, v);
        }
    }

    /// `if !taken { body }` (an `else if` chain's and a `match`'s arms).
    pub(super) fn guarded(&mut self, taken: ValueId, span: Span, body: impl FnOnce(&mut Self)) {
        let pieces = vec![
            Piece::Tokens(quote!(!)),
            Piece::Paren(vec![Piece::Value(taken)]),
        ];
        let guard = self.passive(pieces, Ty::Bool, span);
        let then = self.in_block(body);
        self.emit(Stmt::If {
            cond: guard,
            then,
            els: Vec::new(),
        });
    }

    /// Opens a loop labeled `label` over `body`: makes the flags that the
    /// body's exits set (`break` when `always_breaks`, as `loop` needs one to
    /// stop), before the loop, and finds the flags of enclosing loops that
    /// its labeled exits set.
    pub(super) fn enter_loop(
        &mut self,
        label: Option<&syn::Label>,
        body: Option<&Block>,
        always_breaks: bool,
        span: Span,
    ) {
        let (breaks, continues) = body.map_or((false, false), |b| loop_exits(b, label));
        let broken = (breaks || always_breaks).then(|| self.flag("broken", span));
        let continued = continues.then(|| self.flag("continued", span));
        let mut outer = Vec::new();
        if let Some(body) = body {
            for l in &self.loops {
                let Some(name) = &l.label else { continue };
                let (b, c) = labeled_exits(body, name);
                if b {
                    outer.extend(l.broken);
                }
                if c {
                    outer.extend(l.continued);
                }
            }
        }
        let block = self.blocks.len() - 1;
        let first_value = self.func.insts.len();
        self.loops.push(LoopCx {
            label: label.map(|l| l.name.ident.to_string()),
            block,
            first_value,
            broken,
            continued,
            outer,
            value: None,
        });
    }

    /// At the start of a trip: no `continue` yet.
    fn start_trip(&mut self, span: Span) {
        if let Some(c) = self.loops.last().and_then(|l| l.continued) {
            let f = self.passive(vec![Piece::Tokens(quote!(false))], Ty::Bool, span);
            self.assign(c, f);
        }
    }

    /// The loop a `break` or `continue` with this label leaves (the
    /// innermost without a label); there is a loop around.
    fn target_loop(&mut self, label: Option<&syn::Lifetime>, what: &str) -> Option<usize> {
        let Some(l) = label else {
            return Some(self.loops.len() - 1);
        };
        let name = l.ident.to_string();
        let found = self
            .loops
            .iter()
            .rposition(|x| x.label.as_deref() == Some(name.as_str()));
        if found.is_none() {
            self.cx
                .error_spanned_by(l, format!("`{what} {l}` names no loop around it"));
        }
        found
    }

    /// The body of a loop whose iteration was rejected: lowered for its own
    /// errors, with the pattern's names standing for values that raise none.
    fn lower_dead_body(&mut self, pat: &syn::Pat, body: &Block) {
        self.enter_loop(None, None, false, body.span());
        let _dead = self.in_block(|l| {
            l.scopes.push(HashMap::new());
            l.bind_poisoned(pat);
            l.stmts(&body.stmts, false);
            l.scopes.pop();
        });
        self.loops.pop();
    }

    // Input: `break;`, `break 'outer;`, `break x * 2.0;` (of a `loop` used as a value)
    // Output: `%broken := true` of the loop it leaves (after `%result := …`)
    pub(super) fn break_expr(&mut self, b: &syn::ExprBreak) {
        if self.loops.is_empty() {
            self.cx.error_spanned_by(b, "`break` outside of a loop");
            return;
        }
        let Some(k) = self.target_loop(b.label.as_ref(), "break") else {
            return;
        };
        if let Some(e) = &b.expr {
            let Some((result, typed)) = self.loops[k].value else {
                self.cx.error_spanned_by(
                    e,
                    "`break` with a value leaves only a `loop` (not `for` or `while`)",
                );
                return;
            };
            let v = self.expr(e);
            if self.poisoned(&[v]) {
                self.poisoned.insert(result);
            } else if !typed {
                let ty = self.func.ty(v);
                if !matches!(ty, Ty::Float | Ty::Int) {
                    self.cx.error_spanned_by(
                        e,
                        "#[grad] supports a `loop` whose value is a float or an integer",
                    );
                    self.poisoned.insert(result);
                } else {
                    self.func.tys[result.index()] = ty;
                    self.loops[k].value = Some((result, true));
                    self.assign(result, v);
                }
            } else if self.func.ty(v) != self.func.ty(result) {
                self.cx.error_spanned_by(
                    e,
                    "this `break` gives the loop a value of another type than an earlier `break`",
                );
            } else {
                self.assign(result, v);
            }
        }
        // Every loop whose body breaks it made its flag before its body.
        if let Some(flag) = self.loops[k].broken {
            self.set_flag(flag, b.span());
        }
    }

    // Input: `continue;`, `continue 'outer;`
    // Output: `%continued := true` of the loop it continues
    pub(super) fn continue_expr(&mut self, c: &syn::ExprContinue) {
        if self.loops.is_empty() {
            self.cx.error_spanned_by(c, "`continue` outside of a loop");
            return;
        }
        let Some(k) = self.target_loop(c.label.as_ref(), "continue") else {
            return;
        };
        if let Some(flag) = self.loops[k].continued {
            self.set_flag(flag, c.span());
        }
    }

    // Input: `for i in 0..n { … }`, `for v in x.iter()`, `for (i, v) in x.iter().enumerate()`,
    //        `for (a, b) in x.iter().zip(y.iter())`, `for i in (0..n).rev()`
    // Output: `for %i in %start..%end { %v = load %x[%i]; … }`
    pub(super) fn for_loop(&mut self, f: &syn::ExprForLoop) {
        let span = f.span();
        let Some(iter) = self.iteration(&f.expr) else {
            self.lower_dead_body(&f.pat, &f.body);
            return;
        };
        let var = self.func.push(Inst::Zero, f.pat.span());
        self.func.tys[var.index()] = Ty::Int;
        self.func.names[var.index()] = Some("i".into());
        self.enter_loop(f.label.as_ref(), Some(&f.body), false, span);
        self.loops.last_mut().expect("entered").first_value = var.index();
        let body = self.in_block(|l| {
            l.scopes.push(HashMap::new());
            l.start_trip(span);
            let guard = l.loop_running(span);
            let inner = |l: &mut Self| {
                l.bind_item(&f.pat, &iter.item, var);
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
            start: iter.start,
            end: iter.end,
            rev: iter.rev,
            body,
        });
    }

    // Input: `while c { … }`
    pub(super) fn while_loop(&mut self, w: &syn::ExprWhile) {
        if let Expr::Let(l) = &*w.cond {
            self.error(l, "#[grad] does not support `while let`");
            return;
        }
        self.lower_while(w.label.as_ref(), Some(&w.cond), &w.body, w.span(), None);
    }

    // Input: `loop { … break; … }`
    pub(super) fn loop_expr(&mut self, l: &syn::ExprLoop) {
        if super::scan::breaks_with_value(l) {
            // `loop { … break x; }` as a statement: the value is dropped.
            self.loop_value(l);
            return;
        }
        self.lower_while(l.label.as_ref(), None, &l.body, l.span(), None);
    }

    // Input: `let r = loop { y = y * 0.5; if y < 1.0 { break y * 2.0; } };`
    // Output: `%r = 0.0; while … { …; if … { %r := mul %y, 2.0; %broken := true } }`
    pub(super) fn loop_value(&mut self, l: &syn::ExprLoop) -> ValueId {
        let span = l.span();
        let result = self.def(Inst::Zero, span);
        self.mutable.insert(result);
        self.func.names[result.index()] = Some("value".into());
        self.lower_while(l.label.as_ref(), None, &l.body, span, Some(result));
        result
    }

    /// `while cond { body }`, or `loop { body }` when `cond` is `None`.
    fn lower_while(
        &mut self,
        label: Option<&syn::Label>,
        cond: Option<&Expr>,
        body: &Block,
        span: Span,
        value: Option<ValueId>,
    ) {
        self.enter_loop(label, Some(body), cond.is_none(), span);
        self.loops.last_mut().expect("entered").value = value.map(|v| (v, false));
        let mut c = None;
        let head = self.in_block(|l| {
            let running = l.loop_running(span);
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
            l.start_trip(span);
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
