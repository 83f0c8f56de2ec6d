//! `match` on integers, `bool`s and floats, as a statement or a value: one
//! `if` per arm, in a flat sequence guarded by a `taken` flag (as an `else
//! if` chain), so a long `match` nests no deeper than a short one. Each arm's test is its pattern checked on
//! the scrutinee by `::core::matches!` (literals, ranges, `|`, constants,
//! exactly as Rust matches them), then its guard, short-circuited; names the
//! pattern binds stand for the scrutinee. The last arm without a guard is
//! the `else` of the chain: the original function compiles, so its `match`
//! is exhaustive and that arm runs whenever no other did.

use super::scan::yields_value;
use super::{Form, Lower};
use crate::ir::{Inst, Piece, Stmt, Ty, ValueId};
use crate::syntax::ident_name;
use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, quote};
use std::collections::HashMap;
use syn::spanned::Spanned;
use syn::{Expr, Pat};

/// What one arm's pattern needs.
struct ArmPattern {
    /// The pattern with its bindings replaced by `_`; `None` when it matches
    /// every value.
    test: Option<TokenStream>,
    /// The names it binds, and whether each is `mut`.
    names: Vec<(String, bool)>,
}

impl Lower<'_> {
    // Input:  `match n { 0 => a, 1 | 2 => b, k if k > 5 => c, _ => d }`
    // Output: `%t = passive bool `::core::matches!(%n, 0)`; if %t { … } else { %u = …; if %u … }`
    pub(super) fn match_expr(&mut self, m: &syn::ExprMatch, want_value: bool) -> Option<ValueId> {
        let span = m.span();
        if self.form == Form::Straight {
            return Some(self.error(m, "internal: `match` outside structured code"));
        }
        let mut s = self.expr(&m.expr);
        // Float patterns are `f64` literals: an `f32` scrutinee is an error.
        s = self.wide(s, m.expr.span());
        if !self.poisoned(&[s]) && !matches!(self.func.ty(s), Ty::Int | Ty::Bool | Ty::Float) {
            self.error(
                &m.expr,
                "#[grad] supports `match` on integers, `bool`s and floats; write an `if` chain",
            );
            s = self.poison(m.expr.span());
        }
        if self.poisoned(&[s]) {
            // The arms are still lowered for their own errors.
            for arm in &m.arms {
                let _dead = self.in_block(|l| {
                    l.scopes.push(HashMap::new());
                    l.bind_poisoned(&arm.pat);
                    l.arm_body(&arm.body, None);
                    l.scopes.pop();
                });
            }
            return Some(self.poison(span));
        }
        // The arms may assign the variable matched on: bind its value.
        if self.mutable.contains(&s) {
            s = self.def(Inst::Copy(s), m.expr.span());
        }
        let patterns: Vec<ArmPattern> = m
            .arms
            .iter()
            .map(|a| self.arm_pattern(split_guard(&a.pat).0))
            .collect();
        let result = want_value.then(|| {
            let r = self.def(Inst::Zero, span);
            self.mutable.insert(r);
            r
        });
        self.arms(m, &patterns, s, result);
        result
    }

    /// Lowers the arms of `m` into the current block. One tested arm is an
    /// `if … else …`; more are a flat sequence guarded by a `taken` flag, as
    /// an `else if` chain is, so a long `match` nests no deeper than a short
    /// one (in the IR, the passes' recursion and the generated code).
    fn arms(
        &mut self,
        m: &syn::ExprMatch,
        patterns: &[ArmPattern],
        s: ValueId,
        result: Option<ValueId>,
    ) {
        // The arms up to the first that always runs (those after it are
        // never reached): all but it are tested.
        let always = |k: usize| {
            let guard = split_guard(&m.arms[k].pat).1;
            guard.is_none() && (k + 1 == m.arms.len() || patterns[k].test.is_none())
        };
        let tested = (0..m.arms.len()).find(|&k| always(k));
        let tested_len = tested.unwrap_or(m.arms.len());
        let span = m.span();
        let taken = (tested_len > 1).then(|| self.flag("taken", span));
        for k in 0..tested_len {
            let arm_stmts = |l: &mut Self| {
                let cond = l.arm_test(m, patterns, k, s);
                let then = l.in_block(|l| {
                    l.arm(m, patterns, k, s, result);
                    if let Some(t) = taken {
                        l.set_flag(t, span);
                    }
                });
                let els = match (taken, tested) {
                    (None, Some(last)) => l.in_block(|l| l.arm(m, patterns, last, s, result)),
                    _ => Vec::new(),
                };
                l.emit(Stmt::If { cond, then, els });
            };
            match taken {
                Some(t) if k > 0 => self.guarded(t, span, arm_stmts),
                _ => arm_stmts(self),
            }
        }
        match (tested, taken) {
            (Some(last), Some(t)) => self.guarded(t, span, |l| l.arm(m, patterns, last, s, result)),
            (Some(last), None) if tested_len == 0 => self.arm(m, patterns, last, s, result),
            _ => {}
        }
    }

    /// The test of arm `k` (which does not always run): its pattern checked
    /// on the scrutinee, then its guard, short-circuited.
    fn arm_test(
        &mut self,
        m: &syn::ExprMatch,
        patterns: &[ArmPattern],
        k: usize,
        s: ValueId,
    ) -> ValueId {
        let pattern = &patterns[k];
        let (pat, guard) = split_guard(&m.arms[k].pat);
        let test = pattern.test.as_ref().map(|tokens| {
            let mut args = self.pieces_of(s);
            args.push(Piece::Tokens(quote!(, #tokens)));
            let pieces = vec![Piece::Tokens(quote!(::core::matches!)), Piece::Paren(args)];
            self.passive(pieces, Ty::Bool, pat.span())
        });
        match guard {
            None => test.expect("an arm that is tested has a pattern or a guard"),
            Some(guard) => self.short_circuit(
                test,
                true,
                |l| {
                    l.scopes.push(HashMap::new());
                    l.bind_arm(pattern, s, guard.span());
                    let c = l.cond(guard);
                    l.scopes.pop();
                    c
                },
                guard.span(),
            ),
        }
    }

    /// The body of arm `k`, with the names its pattern binds.
    fn arm(
        &mut self,
        m: &syn::ExprMatch,
        patterns: &[ArmPattern],
        k: usize,
        s: ValueId,
        result: Option<ValueId>,
    ) {
        let arm = &m.arms[k];
        self.scopes.push(HashMap::new());
        self.bind_arm(&patterns[k], s, arm.span());
        self.arm_body(&arm.body, result);
        self.scopes.pop();
    }

    /// An arm's body: its value assigned to `result`, or run as a statement.
    fn arm_body(&mut self, body: &Expr, result: Option<ValueId>) {
        let value = match body {
            Expr::Block(b) if b.label.is_none() => self.block_stmts(&b.block.stmts, false),
            e if result.is_some() && yields_value(e) => Some(self.expr(e)),
            e => {
                self.stmt_expr(e);
                None
            }
        };
        if let (Some(r), Some(v)) = (result, value) {
            self.func.tys[r.index()] = self.func.ty(v);
            self.assign(r, v);
        }
    }

    /// Binds the names of an arm's pattern to the scrutinee.
    fn bind_arm(&mut self, pattern: &ArmPattern, s: ValueId, span: Span) {
        for (name, mutable) in &pattern.names {
            let v = if *mutable {
                let v = self.def(Inst::Copy(s), span);
                self.mutable.insert(v);
                v
            } else {
                s
            };
            self.bind_value(name, v, *mutable);
        }
    }

    /// The test and the names of an arm's pattern.
    fn arm_pattern(&mut self, pat: &Pat) -> ArmPattern {
        let mut names = Vec::new();
        let test = self.pattern(pat, &mut names).unwrap_or_default();
        ArmPattern { test, names }
    }

    /// A pattern's test tokens (`None`: it matches everything), collecting
    /// the names it binds. An unsupported pattern is an error.
    fn pattern(
        &mut self,
        pat: &Pat,
        names: &mut Vec<(String, bool)>,
    ) -> Result<Option<TokenStream>, ()> {
        match pat {
            Pat::Wild(_) => Ok(None),
            Pat::Lit(_) | Pat::Range(_) | Pat::Path(_) | Pat::Const(_) => {
                Ok(Some(pat.to_token_stream()))
            }
            Pat::Paren(p) => self.pattern(&p.pat, names),
            Pat::Ident(p) if p.by_ref.is_none() => {
                let name = ident_name(&p.ident);
                if !names.iter().any(|(n, _)| *n == name) {
                    names.push((name.clone(), p.mutability.is_some()));
                }
                match &p.subpat {
                    Some((_, sub)) => self.pattern(sub, names),
                    // A name in UpperCamelCase or UPPER_CASE may be a constant in
                    // scope: Rust decides, and binding it to the value matched
                    // is right either way.
                    None if name.starts_with(char::is_uppercase) => {
                        Ok(Some(p.ident.to_token_stream()))
                    }
                    None => Ok(None),
                }
            }
            Pat::Or(o) => {
                let mut cases = Vec::new();
                let mut all = false;
                for case in &o.cases {
                    match self.pattern(case, names)? {
                        Some(t) => cases.push(t),
                        None => all = true,
                    }
                }
                Ok((!all).then(|| quote!(#(#cases)|*)))
            }
            other => {
                self.cx.error_spanned_by(
                    other,
                    "#[grad] matches integers, `bool`s and floats against literals, ranges `a..=b`, constants, `|`, `_` and names; write an `if` chain for this pattern",
                );
                Err(())
            }
        }
    }
}

/// An arm's pattern and its guard (`pat if guard`).
fn split_guard(pat: &Pat) -> (&Pat, Option<&Expr>) {
    match pat {
        Pat::Guard(g) => (&g.pat, Some(&g.guard)),
        other => (other, None),
    }
}
