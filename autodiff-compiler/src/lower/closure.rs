//! Closures bound to a name and called: `let sq = |v: f64| v * v;
//! sq(a) + sq(b)`. A closure is not a value of the IR: its body is lowered
//! again at each call (inlined), in the names in scope where it was written,
//! with its parameters bound to the arguments. That is what Rust computes:
//! a closure that only reads its captures sees, at every call, the values
//! they had when it was written (the borrow checker forbids changing them
//! in between, and a `move` closure holds copies), so the captured
//! variables that may change later are snapshots taken at the definition.

use super::{Binding, ClosureDef, Lower};
use crate::ir::{Inst, Ty};
use crate::syntax::ident_name;
use proc_macro2::{Span, TokenTree};
use quote::ToTokens;
use std::collections::HashSet;
use std::rc::Rc;
use syn::visit::Visit;
use syn::{Expr, Pat};

impl Lower<'_> {
    // Input: `let sq = |v: f64| v * v;`, `let f = move |v| v * k;`
    // Output: nothing yet (a snapshot `%k1 = copy %k` of a `let mut k` it reads)
    pub(super) fn define_closure(&mut self, pat: &Pat, c: &syn::ExprClosure, mutable: bool) {
        let Pat::Ident(p) = pat else {
            self.cx
                .error_spanned_by(pat, "bind a closure to a single name (`let f = |v| …;`)");
            return;
        };
        if let Some(target) = assigns_outside(c) {
            self.cx.error_spanned_by(
                target,
                "this closure changes a variable outside it, which #[grad] does not support; write the update out where the closure is called",
            );
            // Its calls raise no more errors.
            self.bind_poisoned(pat);
            return;
        }
        if mutable {
            self.cx.error_spanned_by(
                p.mutability,
                "#[grad] inlines closures that do not change what they capture; remove `mut`",
            );
        }
        if let Some(t) = &c.asyncness {
            self.cx
                .error_spanned_by(t, "#[grad] does not support `async` closures");
        }
        if let Some(e) = own_exits(&c.body) {
            self.cx.error_spanned_by(
                e,
                "#[grad] inlines closures, and this would leave the function or a loop from inside one; write the closure's value as its last expression",
            );
        }
        // What the body may read: every name in it that is a variable here.
        let mut names = HashSet::new();
        idents(c.body.to_token_stream(), &mut names);
        let mut scopes = self.scopes.clone();
        let span = c.inputs_begin.span;
        for name in &names {
            let Some(Binding::Value {
                value,
                mutable: true,
            }) = self.lookup(name)
            else {
                continue;
            };
            if self.func.ty(value) == Ty::Array {
                if c.capture.is_some() {
                    self.cx.error_spanned_by(
                        c.capture,
                        format!(
                            "a `move` closure copies the array `{name}`, which #[grad] does not support; remove `move`"
                        ),
                    );
                }
                continue;
            }
            // A variable that may change after this line: the closure sees
            // its value now.
            let snapshot = self.def(Inst::Copy(value), span);
            if self.poisoned(&[value]) {
                self.poisoned.insert(snapshot);
            }
            let scope = scopes.last_mut().expect("scope");
            scope.insert(
                name.clone(),
                Binding::Value {
                    value: snapshot,
                    mutable: false,
                },
            );
        }
        let def = ClosureDef {
            closure: c.clone(),
            scopes,
        };
        self.bind_value_binding(&ident_name(&p.ident), Binding::Closure(Rc::new(def)));
    }

    // Input: `sq(a)` of `let sq = |v: f64| v * v;`
    // Output: the body `mul %v, %v` lowered with `v` bound to `%a`
    pub(super) fn inline_closure(
        &mut self,
        def: &ClosureDef,
        args: &[&Expr],
        span: Span,
    ) -> crate::ir::ValueId {
        let c = &def.closure;
        if args.len() != c.inputs.len() {
            let msg = format!(
                "this closure takes {} argument{} but {} were given",
                c.inputs.len(),
                if c.inputs.len() == 1 { "" } else { "s" },
                args.len()
            );
            self.cx.syn_error(syn::Error::new(span, msg));
            return self.poison(span);
        }
        // The arguments, in the caller's scopes.
        let mut bound = Vec::new();
        for a in args {
            if self.names_array(a)
                && let Some(view) = self.array_view(a)
            {
                bound.push(Binding::View(view));
                continue;
            }
            let value = self.expr(a);
            bound.push(Binding::Value {
                value,
                mutable: false,
            });
        }
        // The body, in the closure's.
        let saved = std::mem::replace(&mut self.scopes, def.scopes.clone());
        self.scopes.push(Default::default());
        for (pat, b) in c.inputs.iter().zip(bound) {
            self.bind_binding(pat, b);
        }
        let v = self.expr(&c.body);
        self.scopes = saved;
        v
    }

    /// Binds a name in the innermost scope.
    fn bind_value_binding(&mut self, name: &str, b: Binding) {
        self.scopes
            .last_mut()
            .expect("scope")
            .insert(name.to_string(), b);
    }
}

/// The identifiers in some tokens (a superset of the names an expression
/// reads).
fn idents(tokens: proc_macro2::TokenStream, out: &mut HashSet<String>) {
    for t in tokens {
        match t {
            TokenTree::Ident(i) => {
                out.insert(ident_name(&i));
            }
            TokenTree::Group(g) => idents(g.stream(), out),
            _ => {}
        }
    }
}

/// A `return`, or a `break`/`continue` of a loop outside the closure, in
/// its body.
fn own_exits(body: &Expr) -> Option<&Expr> {
    struct Scan<'a> {
        loops: usize,
        found: Option<&'a Expr>,
    }
    impl<'ast> Visit<'ast> for Scan<'ast> {
        fn visit_expr(&mut self, e: &'ast Expr) {
            if self.found.is_some() {
                return;
            }
            match e {
                Expr::Return(_) => self.found = Some(e),
                Expr::Break(_) | Expr::Continue(_) if self.loops == 0 => self.found = Some(e),
                Expr::ForLoop(_) | Expr::While(_) | Expr::Loop(_) => {
                    self.loops += 1;
                    syn::visit::visit_expr(self, e);
                    self.loops -= 1;
                    return;
                }
                // A closure inside is checked where it is bound.
                Expr::Closure(_) => return,
                _ => {}
            }
            syn::visit::visit_expr(self, e);
        }
    }
    let mut scan = Scan {
        loops: 0,
        found: None,
    };
    scan.visit_expr(body);
    scan.found
}

/// The target of an assignment in the closure's body to a variable that is
/// not the closure's own (a parameter, or a `let` inside it).
fn assigns_outside(c: &syn::ExprClosure) -> Option<&Expr> {
    struct Scan<'a> {
        own: HashSet<String>,
        found: Option<&'a Expr>,
    }
    impl<'ast> Scan<'ast> {
        fn target(&mut self, mut e: &'ast Expr) {
            let whole = e;
            loop {
                match e {
                    Expr::Index(ix) => e = &ix.expr,
                    Expr::Paren(p) => e = &p.expr,
                    Expr::Unary(u) => e = &u.expr,
                    Expr::Field(f) => e = &f.base,
                    _ => break,
                }
            }
            let name = match e {
                Expr::Path(p) => p.path.get_ident().map(ident_name),
                _ => None,
            };
            if self.found.is_none() && !name.is_some_and(|n| self.own.contains(&n)) {
                self.found = Some(whole);
            }
        }
    }
    impl<'ast> Visit<'ast> for Scan<'ast> {
        fn visit_local(&mut self, l: &'ast syn::Local) {
            syn::visit::visit_local(self, l);
            pat_names(&l.pat, &mut self.own);
        }
        fn visit_expr(&mut self, e: &'ast Expr) {
            match e {
                Expr::Assign(a) => self.target(&a.left),
                Expr::Binary(b) if super::stmt::compound_op(&b.op).is_some() => {
                    self.target(&b.left)
                }
                Expr::ForLoop(f) => pat_names(&f.pat, &mut self.own),
                Expr::Closure(_) => return,
                _ => {}
            }
            syn::visit::visit_expr(self, e);
        }
    }
    let mut own = HashSet::new();
    for p in &c.inputs {
        pat_names(p, &mut own);
    }
    let mut scan = Scan { own, found: None };
    scan.visit_expr(&c.body);
    scan.found
}

/// The names a pattern binds.
fn pat_names(p: &Pat, out: &mut HashSet<String>) {
    struct Names<'a>(&'a mut HashSet<String>);
    impl<'ast> Visit<'ast> for Names<'_> {
        fn visit_pat_ident(&mut self, p: &'ast syn::PatIdent) {
            self.0.insert(ident_name(&p.ident));
            syn::visit::visit_pat_ident(self, p);
        }
    }
    Names(out).visit_pat(p);
}
