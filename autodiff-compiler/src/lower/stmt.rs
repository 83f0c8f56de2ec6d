//! Statements: a block's statements in order (with the guards that an early
//! exit puts on the rest), `let` and its patterns, assignment and compound
//! assignment.

use super::scan::{may_exit, yields_value};
use super::{Binding, Form, Lower, View};
use crate::ir::{Inst, Stmt, Ty, ValueId};
use crate::op::Op;
use crate::syntax::{float_type, ident_name, is_bool_type, is_int_type};
use quote::ToTokens;
use std::collections::HashMap;
use syn::spanned::Spanned;
use syn::{BinOp, Block, Expr, Pat, Stmt as SynStmt};

impl Lower<'_> {
    /// Lowers statements in a new scope; returns the tail expression's value.
    /// `fn_body`: a `return` at the very end needs no flag.
    pub(super) fn block_stmts(&mut self, stmts: &[SynStmt], fn_body: bool) -> Option<ValueId> {
        self.scopes.push(HashMap::new());
        let tail = self.stmts(stmts, fn_body);
        self.scopes.pop();
        tail
    }

    pub(super) fn stmts(&mut self, stmts: &[SynStmt], fn_body: bool) -> Option<ValueId> {
        let mut tail = None;
        for (i, stmt) in stmts.iter().enumerate() {
            if self.form == Form::Straight && self.early.is_some() {
                break;
            }
            let last = i + 1 == stmts.len();
            match stmt {
                SynStmt::Local(local) => self.local(local),
                SynStmt::Expr(Expr::Return(r), _) if last && fn_body && self.depth == 0 => {
                    let v = self.ret_value(r);
                    if self.form == Form::Structured {
                        tail = Some(v);
                    } else {
                        self.early = Some(v);
                    }
                }
                SynStmt::Expr(e, Some(_)) => self.stmt_expr(e),
                SynStmt::Expr(e, None) if last && yields_value(e) => tail = Some(self.expr(e)),
                SynStmt::Expr(e, None) => self.stmt_expr(e),
                SynStmt::Item(item) => {
                    self.cx.error_spanned_by(
                        item,
                        "items inside a #[grad] function are not supported; move the item out of the function",
                    );
                }
                SynStmt::Macro(m) => self.macro_stmt(&m.mac),
            }
            if self.form == Form::Structured && !last && may_exit(stmt) {
                // The rest runs only if nothing returned or broke out.
                let span = stmt.span();
                if let Some(cond) = self.still_running(span) {
                    let rest = &stmts[i + 1..];
                    // A value the rest ends with is assigned inside the guard:
                    // to the result for the function body, else to a variable.
                    let result = if fn_body {
                        self.ret_var
                    } else {
                        let r = self.def(Inst::Zero, span);
                        self.mutable.insert(r);
                        Some(r)
                    };
                    let mut has_tail = false;
                    let then = self.in_block(|l| {
                        if let Some(t) = l.stmts(rest, fn_body) {
                            has_tail = true;
                            if let Some(r) = result {
                                l.func.tys[r.index()] = l.func.ty(t);
                                l.assign(r, t);
                            }
                        }
                    });
                    self.emit(Stmt::If {
                        cond,
                        then,
                        els: Vec::new(),
                    });
                    return if has_tail && !fn_body { result } else { None };
                }
            }
        }
        tail
    }

    pub(super) fn missing_value(&mut self, block: &Block) -> ValueId {
        let end = block
            .stmts
            .last()
            .map(|s| s.to_token_stream())
            .unwrap_or_else(|| block.to_token_stream());
        self.error(
            end,
            "#[grad] function body must end with a float expression or `return`",
        )
    }

    /// The function's value, which must be a float: a tail of another type
    /// (`x < y`, an array, a slice) is an error on it (rustc reports the
    /// user's function too; the generated one would not type-check).
    pub(super) fn float_result(&mut self, v: ValueId, block: &Block) -> ValueId {
        let ty = self.func.ty(v);
        if ty == Ty::Float || self.poisoned(&[v]) {
            return v;
        }
        let what = match ty {
            Ty::Bool => "a `bool`",
            Ty::Int => "an integer",
            _ => "an array or slice",
        };
        let end = match block.stmts.last() {
            Some(SynStmt::Expr(e, None)) => e.to_token_stream(),
            Some(s) => s.to_token_stream(),
            None => block.to_token_stream(),
        };
        self.error(
            end,
            format!(
                "the value of a #[grad] function must be a float, and this is {what}; end the body with an expression of type `{}`",
                self.func.float.name()
            ),
        )
    }

    // Input: `let q = x + y;`, `let mut s: f64 = 0.0;`, `let (s, c) = x.sin_cos();`
    fn local(&mut self, local: &syn::Local) {
        let Some(init) = &local.init else {
            self.cx.error_spanned_by(
                local,
                "`let` without an initializer is not supported in #[grad] functions; initialize the variable where it is declared",
            );
            return;
        };
        if let Some((else_token, _)) = &init.diverge {
            self.cx.error_spanned_by(
                else_token,
                "`let ... else` is not supported in #[grad] functions",
            );
            return;
        }
        let (pat, ty) = match &local.pat {
            Pat::Type(pt) => (&*pt.pat, Some(&*pt.ty)),
            pat => (pat, None),
        };
        if let Pat::Tuple(tuple) = pat {
            match &*init.expr {
                // `let (s, c) = (x.sin(), x.cos());`
                Expr::Tuple(values) => self.local_tuple_expr(tuple, ty, values),
                other => self.local_tuple(tuple, ty, other),
            }
            return;
        }
        let mutable = matches!(pat, Pat::Ident(p) if p.mutability.is_some());
        // `let r = &x[i];`, `let t = &w[1..];`: a shared reference reads the
        // place, which nothing can write while the reference lives.
        let (init_expr, by_ref) = match &*init.expr {
            Expr::Reference(r) if r.mutability.is_none() => (&*r.expr, true),
            Expr::Reference(r) => {
                self.cx.error_spanned_by(
                    r.mutability,
                    "#[grad] does not support `&mut` references; write to the variable or element itself",
                );
                self.bind_poisoned(pat);
                return;
            }
            e => (e, false),
        };
        // `let sq = |v: f64| v * v;`: inlined where it is called.
        if let Expr::Closure(c) = init_expr {
            self.define_closure(pat, c, mutable);
            return;
        }
        // Local arrays: `let mut s = [0.0; 3];`, `let a = [x, y];`
        if let Expr::Array(_) | Expr::Repeat(_) = init_expr {
            let arr = self.array_expr(init_expr);
            if mutable {
                self.mut_arrays.insert(arr);
            }
            self.bind_pat(pat, arr, mutable);
            return;
        }
        // A whole array or a row (`let row = w[i];`): the same place when
        // nothing can write to it, else a copy of its elements.
        if self.names_array(init_expr)
            && let Some(view) = self.array_view(init_expr)
        {
            let param = matches!(self.func.inst(view.arr), Inst::ArrayParam(_));
            let alias = by_ref
                || (!mutable && !self.mut_arrays.contains(&view.arr))
                // A slice or `Vec` parameter moved or borrowed again.
                || (param && !self.array_lens.contains_key(&view.arr));
            if alias {
                self.bind_view(pat, view);
            } else {
                let arr = self.copy_array(&view, init_expr);
                if mutable {
                    self.mut_arrays.insert(arr);
                }
                self.bind_pat(pat, arr, mutable);
            }
            return;
        }
        let mut value = self.expr(init_expr);
        if let Some(ty) = ty {
            self.check_type(ty, value);
        }
        if self.form == Form::Structured && (mutable || self.mutable.contains(&value)) {
            // A constant read where it is used (`T[0]`, `self.w`): defined
            // here, so that the copy has something to copy.
            value = self.operand(value);
            // A variable of its own: a copy that assignments can overwrite, or
            // a snapshot of another mutable variable.
            let poisoned = self.poisoned(&[value]);
            value = self.def(Inst::Copy(value), init.expr.span());
            if mutable {
                self.mutable.insert(value);
            }
            if poisoned {
                self.poisoned.insert(value);
            }
        }
        self.bind_pat(pat, value, mutable);
    }

    /// Binds a pattern (`row`, `_`, `[a, b]`) to an array place.
    fn bind_view(&mut self, pat: &Pat, view: View) {
        match pat {
            Pat::Ident(p) if p.by_ref.is_none() && p.subpat.is_none() => {
                let scope = self.scopes.last_mut().expect("scope");
                scope.insert(ident_name(&p.ident), Binding::View(view));
            }
            Pat::Slice(_) => self.bind_binding(pat, Binding::View(view)),
            Pat::Wild(_) => {}
            other => {
                self.cx.error_spanned_by(
                    other,
                    "this pattern is not supported in #[grad] functions; bind a single name",
                );
            }
        }
    }

    /// Binds one pattern (`x`, `mut x`, `_`, `[a, b]` of an array) to a value.
    fn bind_pat(&mut self, pat: &Pat, value: ValueId, mutable: bool) {
        match pat {
            Pat::Slice(_) if self.func.ty(value) == Ty::Array => {
                self.bind_binding(pat, Binding::View(View::whole(value)));
            }
            Pat::Ident(p) if p.by_ref.is_none() && p.subpat.is_none() => {
                let name = ident_name(&p.ident);
                let slot = &mut self.func.names[value.index()];
                if slot.is_none() {
                    *slot = Some(name.clone());
                }
                self.bind_value(&name, value, mutable);
            }
            Pat::Wild(_) => {}
            other => {
                self.cx.error_spanned_by(
                    other,
                    "this pattern is not supported in #[grad] functions; bind a single name",
                );
            }
        }
    }

    // Input: `let (s, c) = (x.sin(), x.cos());`, `let (mut a, row) = (x, w[0]);`
    // Output: every value on the right first, then the names bound (so
    //         `let (a, b) = (b, a);` swaps)
    fn local_tuple_expr(
        &mut self,
        tuple: &syn::PatTuple,
        ty: Option<&syn::Type>,
        values: &syn::ExprTuple,
    ) {
        if tuple.elems.len() != values.elems.len() {
            self.cx.error_spanned_by(
                tuple,
                format!(
                    "the pattern binds {} names but the tuple has {} values",
                    tuple.elems.len(),
                    values.elems.len()
                ),
            );
            self.bind_poisoned(&Pat::Tuple(tuple.clone()));
            return;
        }
        let types: Vec<Option<&syn::Type>> = match ty {
            Some(syn::Type::Tuple(t)) if t.elems.len() == tuple.elems.len() => {
                t.elems.iter().map(Some).collect()
            }
            Some(other) => {
                self.cx
                    .error_spanned_by(other, "expected a tuple type with one type per name");
                vec![None; tuple.elems.len()]
            }
            None => vec![None; tuple.elems.len()],
        };
        let mut bound = Vec::new();
        for (e, ty) in values.elems.iter().zip(types) {
            let e = match e {
                Expr::Reference(r) if r.mutability.is_none() => &*r.expr,
                e => e,
            };
            if self.names_array(e)
                && let Some(view) = self.array_view(e)
            {
                bound.push(Binding::View(view));
                continue;
            }
            let mut value = self.expr(e);
            if let Some(ty) = ty {
                self.check_type(ty, value);
            }
            if self.form == Form::Structured && self.mutable.contains(&value) {
                // A snapshot: the variable may change before the name is read.
                value = self.def(Inst::Copy(value), e.span());
            }
            bound.push(Binding::Value {
                value,
                mutable: false,
            });
        }
        for (pat, b) in tuple.elems.iter().zip(bound) {
            match (pat, b) {
                (Pat::Tuple(_), _) => {
                    self.cx.error_spanned_by(
                        pat,
                        "#[grad] destructures one level of tuple; bind this part to a name",
                    );
                    self.bind_poisoned(pat);
                }
                (Pat::Ident(p), Binding::Value { value, .. }) if p.mutability.is_some() => {
                    let value = self.def(Inst::Copy(value), p.span());
                    self.mutable.insert(value);
                    self.bind_pat(pat, value, true);
                }
                (_, Binding::Value { value, .. }) => self.bind_pat(pat, value, false),
                (_, Binding::View(view)) => self.bind_view(pat, view),
                // Not made above: a closure in a tuple is lowered as a value.
                (_, Binding::Closure(_)) => {}
            }
        }
    }

    /// `let (s, c) = x.sin_cos();`
    fn local_tuple(&mut self, tuple: &syn::PatTuple, ty: Option<&syn::Type>, init: &Expr) {
        let sin_cos = match init {
            Expr::MethodCall(m) if m.method == "sin_cos" && m.args.is_empty() => {
                Some((&*m.receiver, m.span()))
            }
            Expr::Call(c)
                if c.args.len() == 1
                    && self.float_fn_path(&c.func).is_some_and(|i| i == "sin_cos") =>
            {
                Some((&c.args[0], c.span()))
            }
            _ => None,
        };
        let Some((recv, span)) = sin_cos.filter(|_| tuple.elems.len() == 2) else {
            self.cx.error_spanned_by(
                tuple,
                "#[grad] destructures a tuple written in place (`let (a, b) = (x, y);`) or `x.sin_cos()`",
            );
            return;
        };
        if let Some(ty) = ty {
            self.cx.error_spanned_by(
                ty,
                "remove the type annotation of `let (s, c) = x.sin_cos();`",
            );
        }
        let x = self.float_operand(recv);
        let s = self.op(Op::Sin, vec![x], span);
        let c = self.op(Op::Cos, vec![x], span);
        self.bind_pat(&tuple.elems[0], s, false);
        self.bind_pat(&tuple.elems[1], c, false);
    }

    /// Checks a `let` type annotation against the value's type.
    fn check_type(&mut self, ty: &syn::Type, value: ValueId) {
        let ok = match self.func.ty(value) {
            _ if self.poisoned(&[value]) => true,
            Ty::Float if self.narrow.contains(&value) => {
                float_type(ty) == Some(crate::ir::Float::F32)
            }
            Ty::Float => float_type(ty) == Some(self.func.float),
            Ty::Int => is_int_type(ty),
            Ty::Bool => is_bool_type(ty),
            Ty::Array | Ty::Tuple => true,
        };
        if !ok {
            self.cx.error_spanned_by(
                ty,
                format!(
                    "#[grad] expected `{}` here (the function's float type), an integer type or `bool`",
                    self.func.float.name()
                ),
            );
        }
    }

    // Input: `s = e;`, `s += e;`, `s[j] += e;`, `return e;`, `if …`, `for …`,
    //        `break;`, `continue;`, `e;`
    pub(super) fn stmt_expr(&mut self, e: &Expr) {
        match e {
            Expr::Assign(a) => {
                let value = self.expr(&a.right);
                self.assign_to(&a.left, value);
            }
            Expr::Binary(b) if compound_op(&b.op).is_some() => {
                let op = compound_op(&b.op).expect("checked above");
                let old = self.expr(&b.left);
                let rhs = self.expr(&b.right);
                let value = self.arith(op, old, rhs, &b.op, b.span());
                self.assign_to(&b.left, value);
            }
            Expr::Return(r) => self.early_return(r),
            Expr::If(i) => {
                self.if_expr(i, false);
            }
            Expr::Match(m) => {
                self.match_expr(m, false);
            }
            // `()`, as in an empty `match` arm `_ => ()`.
            Expr::Tuple(t) if t.elems.is_empty() => {}
            Expr::ForLoop(f) => self.for_loop(f),
            Expr::While(w) => self.while_loop(w),
            Expr::Loop(l) => self.loop_expr(l),
            Expr::Break(b) => self.break_expr(b),
            Expr::Continue(c) => self.continue_expr(c),
            Expr::Block(b) if b.label.is_none() => {
                self.scopes.push(HashMap::new());
                self.stmts(&b.block.stmts, false);
                self.scopes.pop();
            }
            Expr::Macro(m) => self.macro_stmt(&m.mac),
            // A pure expression whose value is dropped: lower it for its errors.
            e => {
                self.expr(e);
            }
        }
    }

    /// Writes `value` to the place `target`: a variable or an array element.
    fn assign_to(&mut self, target: &Expr, value: ValueId) {
        if let Expr::Index(ix) = target {
            self.store(ix, value);
            return;
        }
        let name = match target {
            Expr::Path(p) if p.qself.is_none() => p.path.get_ident(),
            _ => None,
        };
        let Some(name) = name else {
            self.cx.error_spanned_by(
                target,
                "#[grad] supports assignment to local variables and array elements only",
            );
            return;
        };
        match self.lookup(&ident_name(name)) {
            Some(Binding::Value {
                value: var,
                mutable: true,
            }) => {
                if self.poisoned(&[var, value]) {
                    // Its type is unknown from here on: no more errors on it.
                    self.poisoned.insert(var);
                    return;
                }
                if self.func.ty(var) != self.func.ty(value) {
                    self.cx
                        .error_spanned_by(target, "assignment changes the type of the variable");
                }
                if self.func.ty(var) == Ty::Array {
                    self.cx.error_spanned_by(
                        target,
                        "#[grad] does not support assigning whole arrays; assign the elements",
                    );
                    return;
                }
                if self.form == Form::Structured {
                    self.assign(var, value);
                } else {
                    let slot = &mut self.func.names[value.index()];
                    if slot.is_none() {
                        *slot = Some(ident_name(name));
                    }
                    self.rebind(&ident_name(name), value);
                }
            }
            Some(_) => self.cx.error_spanned_by(
                target,
                format!("cannot assign twice to immutable variable `{name}`"),
            ),
            None => self.cx.error_spanned_by(
                target,
                format!("#[grad] supports assignment to local variables only; `{name}` is not one"),
            ),
        }
    }
}

/// The operation of a compound assignment (`+=` → add).
pub(super) fn compound_op(op: &BinOp) -> Option<Op> {
    match op {
        BinOp::AddAssign(_) => Some(Op::Add),
        BinOp::SubAssign(_) => Some(Op::Sub),
        BinOp::MulAssign(_) => Some(Op::Mul),
        BinOp::DivAssign(_) => Some(Op::Div),
        _ => None,
    }
}
