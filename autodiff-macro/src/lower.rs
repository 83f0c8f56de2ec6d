//! Lowering: the body of the user's function (syn) to the IR.
//!
//! Straight-line code becomes plain SSA: an environment maps each name in
//! scope to the value it holds, so `let`, shadowing, reassignment and `+=`
//! are just new values. Code with branches, loops or arrays becomes a
//! structured body (`ir::Stmt`): mutable variables are values that
//! `Stmt::Assign` overwrites, arrays are values that `Stmt::Store` writes,
//! `break` and early `return` become flags that guard the rest of the code,
//! and every loop becomes a counted `for` or a `while`. Integer and boolean
//! expressions become passive values that keep their Rust source.
//!
//! Everything outside the supported language is an error on its tokens, and
//! lowering carries on with a placeholder so that all errors are reported.

use crate::ast::{Sig, float_type, is_bool_type, is_int_type};
use crate::ctxt::Ctxt;
use crate::ir::{Arg, Callee, Func, Inst, Param, Piece, Stmt, Ty, ValueId};
use crate::rules::Op;
use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, quote};
use std::collections::{HashMap, HashSet};
use syn::spanned::Spanned;
use syn::visit::Visit;
use syn::{BinOp, Block, Expr, Lit, Pat, Stmt as SynStmt, UnOp};

/// What a name in scope denotes.
#[derive(Clone)]
enum Binding {
    /// A value; `mutable` when `let mut` (in structured code, assignments
    /// overwrite it in place).
    Value { value: ValueId, mutable: bool },
    /// A row of an array: `arr[prefix…]` (a loop over `w.iter()` binds one).
    View { arr: ValueId, prefix: Vec<ValueId> },
}

/// The loop being lowered: its `break` flag, created on first use.
struct LoopCx {
    broken: Option<ValueId>,
}

struct Lower<'a> {
    cx: &'a Ctxt,
    func: Func,
    scopes: Vec<HashMap<String, Binding>>,
    /// Straight-line SSA (no structure) or a structured body.
    structured: bool,
    /// The statements of the blocks being built, innermost last.
    blocks: Vec<Vec<Stmt>>,
    /// Array rank of each array value.
    ranks: HashMap<ValueId, usize>,
    /// Values that are mutable variables (copies must snapshot them).
    mutable: HashSet<ValueId>,
    /// Constants of unknown type (`self.n`): integers where one is expected.
    opaque: HashSet<ValueId>,
    loops: Vec<LoopCx>,
    /// How deep in loops and branches the current block is.
    depth: usize,
    /// Structured code: the result variable and the `returned` flag.
    ret_var: Option<ValueId>,
    returned: Option<ValueId>,
    /// Straight-line code: set once a `return` was lowered.
    early: Option<ValueId>,
}

/// Whether the body needs structured lowering: branches, loops, arrays.
fn needs_structure(sig: &Sig) -> bool {
    struct Scan(bool);
    impl<'ast> Visit<'ast> for Scan {
        fn visit_expr(&mut self, e: &'ast Expr) {
            match e {
                Expr::If(_)
                | Expr::ForLoop(_)
                | Expr::While(_)
                | Expr::Loop(_)
                | Expr::Index(_)
                | Expr::Array(_)
                | Expr::Repeat(_)
                | Expr::Break(_)
                | Expr::Binary(syn::ExprBinary {
                    op:
                        BinOp::Lt(_)
                        | BinOp::Le(_)
                        | BinOp::Gt(_)
                        | BinOp::Ge(_)
                        | BinOp::Eq(_)
                        | BinOp::Ne(_)
                        | BinOp::And(_)
                        | BinOp::Or(_),
                    ..
                }) => self.0 = true,
                Expr::MethodCall(m) if m.method == "iter" || m.method == "len" => self.0 = true,
                _ => {}
            }
            syn::visit::visit_expr(self, e);
        }
    }
    let mut scan = Scan(
        sig.params
            .iter()
            .any(|p| matches!(p.ty, Ty::Array | Ty::Bool)),
    );
    scan.visit_block(&sig.item.block);
    // A `return` before the end is early exit.
    let stmts = &sig.item.block.stmts;
    for (i, s) in stmts.iter().enumerate() {
        let mut r = ReturnScan(false);
        r.visit_stmt(s);
        if r.0 && i + 1 != stmts.len() {
            scan.0 = true;
        }
        if r.0 && i + 1 == stmts.len() && !matches!(s, SynStmt::Expr(Expr::Return(_), _)) {
            scan.0 = true;
        }
    }
    scan.0
}

struct ReturnScan(bool);
impl<'ast> Visit<'ast> for ReturnScan {
    fn visit_expr_return(&mut self, _: &'ast syn::ExprReturn) {
        self.0 = true;
    }
    fn visit_expr_closure(&mut self, _: &'ast syn::ExprClosure) {}
}

/// Whether a statement may leave the enclosing block early: a `return`, or a
/// `break` of the loop around it (not of a loop inside it).
fn may_exit(stmt: &SynStmt) -> bool {
    exits(stmt, true)
}

/// Whether a statement contains a `break` of the loop around it, or (with
/// `returns`) a `return`.
fn exits(stmt: &SynStmt, returns: bool) -> bool {
    struct Exit {
        returns: bool,
        found: bool,
        loops: usize,
    }
    impl<'ast> Visit<'ast> for Exit {
        fn visit_expr(&mut self, e: &'ast Expr) {
            match e {
                Expr::Return(_) if self.returns => self.found = true,
                Expr::Break(_) if self.loops == 0 => self.found = true,
                Expr::ForLoop(_) | Expr::While(_) | Expr::Loop(_) => {
                    self.loops += 1;
                    syn::visit::visit_expr(self, e);
                    self.loops -= 1;
                    return;
                }
                Expr::Closure(_) => return,
                _ => {}
            }
            syn::visit::visit_expr(self, e);
        }
    }
    let mut x = Exit {
        returns,
        found: false,
        loops: 0,
    };
    x.visit_stmt(stmt);
    x.found
}

/// Lowers the body of a validated function.
pub fn lower(cx: &Ctxt, sig: &Sig) -> Func {
    lower_with(cx, sig, false)
}

/// Lowers the body; `force_structured` gives the structured form even to
/// straight-line code (the circuit view records through it).
pub fn lower_with(cx: &Ctxt, sig: &Sig, force_structured: bool) -> Func {
    let params = sig
        .params
        .iter()
        .map(|p| Param {
            name: p.ident.to_string(),
            ty: p.ty,
            wrt: p.wrt,
        })
        .collect();
    let structured = force_structured || needs_structure(sig);
    let mut l = Lower {
        cx,
        func: Func::new(sig.float, params),
        scopes: vec![HashMap::new()],
        structured,
        blocks: vec![Vec::new()],
        ranks: HashMap::new(),
        mutable: HashSet::new(),
        opaque: HashSet::new(),
        loops: Vec::new(),
        depth: 0,
        ret_var: None,
        returned: None,
        early: None,
    };
    // Input: `fn f(x: f64, v: &[f64], n: usize)`
    // Output: `%0 = param 0 x`, `%1 = array param 1 v`, `%2 = passive int `n``
    for (i, p) in sig.params.iter().enumerate() {
        let span = p.ident.span();
        let v = match p.ty {
            Ty::Float => l.def(Inst::Param(i), span),
            Ty::Array => {
                let v = l.def(Inst::ArrayParam(i), span);
                let rank = p.array.as_ref().map_or(1, |a| a.rank);
                l.ranks.insert(v, rank);
                v
            }
            ty => l.passive(vec![Piece::Tokens(p.ident.to_token_stream())], ty, span),
        };
        l.func.names[v.index()] = Some(p.ident.to_string());
        l.bind_value(&p.ident.to_string(), v, false);
    }
    let block = &sig.item.block;
    let span = block.span();
    if structured {
        let ret = l.def(Inst::Zero, span);
        l.func.names[ret.index()] = Some("return value".into());
        l.ret_var = Some(ret);
        l.mutable.insert(ret);
        // An early `return` anywhere: the flag exists before any loop that
        // must stop on it is lowered.
        let stmts = &block.stmts;
        let early = stmts.iter().enumerate().any(|(i, s)| {
            let last_return =
                i + 1 == stmts.len() && matches!(s, SynStmt::Expr(Expr::Return(_), _));
            let mut r = ReturnScan(false);
            r.visit_stmt(s);
            r.0 && !last_return
        });
        if early {
            let f = l.flag("returned", span);
            l.returned = Some(f);
        }
        if let Some(v) = l.block_stmts(&block.stmts, true) {
            // The circuit view calls the result by the function's name.
            let slot = &mut l.func.names[v.index()];
            if slot.is_none()
                && matches!(l.func.insts[v.index()], Inst::Op { .. } | Inst::Proj { .. })
            {
                *slot = Some(sig.item.sig.ident.to_string());
            }
            l.assign(ret, v);
        }
        l.func.outputs = vec![ret];
        l.func.body = l.blocks.pop().expect("the function's block");
        if l.func.body.is_empty() {
            // Never empty: the structured form is told apart by a non-empty body.
            l.func.body.push(Stmt::Def(ret));
        }
    } else {
        let tail = l.block_stmts(&block.stmts, true);
        let ret = match (tail, l.early) {
            (Some(v), _) | (None, Some(v)) => v,
            (None, None) => l.missing_value(block),
        };
        l.func.outputs = vec![ret];
    }
    l.func
}

/// The name of an expression kind, for error messages.
fn expr_kind(e: &Expr) -> &'static str {
    match e {
        Expr::Array(_) | Expr::Repeat(_) => "array expressions here",
        Expr::Assign(_) => "assignments in expression position",
        Expr::Async(_) => "`async` blocks",
        Expr::Await(_) => "`.await`",
        Expr::Closure(_) => "closures outside `.map(|v| …)`",
        Expr::Const(_) => "`const` blocks",
        Expr::Continue(_) => "`continue`",
        Expr::Field(_) => "field access",
        Expr::Let(_) => "`let` expressions (`if let`, `while let`)",
        Expr::Macro(_) => "macro invocations",
        Expr::Match(_) => "`match` expressions",
        Expr::Range(_) => "ranges outside `for` loops",
        Expr::RawAddr(_) => "raw pointers",
        Expr::Reference(_) => "references",
        Expr::Struct(_) => "struct expressions",
        Expr::Try(_) => "the `?` operator",
        Expr::TryBlock(_) => "`try` blocks",
        Expr::Tuple(_) => "tuples",
        Expr::Unsafe(_) => "`unsafe` blocks",
        Expr::Yield(_) => "`yield`",
        Expr::Block(_) => "labeled blocks",
        _ => "this expression",
    }
}

impl Lower<'_> {
    // ----- building blocks -------------------------------------------------

    fn emit(&mut self, stmt: Stmt) {
        self.blocks.last_mut().expect("a block is open").push(stmt);
    }

    /// Defines a value by an instruction, at this point of the body.
    fn def(&mut self, inst: Inst, span: Span) -> ValueId {
        let v = self.func.push(inst, span);
        if self.structured {
            self.emit(Stmt::Def(v));
        }
        v
    }

    /// Lowers statements into a new block and returns it.
    fn in_block(&mut self, f: impl FnOnce(&mut Self)) -> Vec<Stmt> {
        self.blocks.push(Vec::new());
        self.depth += 1;
        f(self);
        self.depth -= 1;
        self.blocks.pop().expect("pushed above")
    }

    fn bind_value(&mut self, name: &str, value: ValueId, mutable: bool) {
        let scope = self.scopes.last_mut().expect("a scope is always open");
        scope.insert(name.to_owned(), Binding::Value { value, mutable });
    }

    fn lookup(&self, name: &str) -> Option<Binding> {
        self.scopes.iter().rev().find_map(|s| s.get(name).cloned())
    }

    /// Straight-line code: rebinds a mutable variable in the scope that declared it.
    fn rebind(&mut self, name: &str, value: ValueId) {
        for scope in self.scopes.iter_mut().rev() {
            if let Some(Binding::Value { value: v, .. }) = scope.get_mut(name) {
                *v = value;
                return;
            }
        }
    }

    fn passive(&mut self, pieces: Vec<Piece>, ty: Ty, span: Span) -> ValueId {
        let index = self.func.passive.len();
        self.func.passive.push(pieces);
        self.def(Inst::Passive { index, ty }, span)
    }

    /// The pieces that stand for value `v` inside a passive expression.
    fn pieces_of(&self, v: ValueId) -> Vec<Piece> {
        match self.func.inst(v) {
            // A field of `self` is written out where it is used.
            Inst::Passive { index, .. } if self.opaque.contains(&v) => {
                self.func.passive[*index].clone()
            }
            // Passive values outside structured code are inlined; in structured
            // code they are variables like any other.
            Inst::Passive { index, .. } if !self.structured => self.func.passive[*index].clone(),
            _ => vec![Piece::Value(v)],
        }
    }

    /// A passive expression `(a) op (b)` of two values.
    fn passive_bin(
        &mut self,
        a: ValueId,
        op: TokenStream,
        b: ValueId,
        ty: Ty,
        span: Span,
    ) -> ValueId {
        let mut out = self.paren(a);
        out.push(Piece::Tokens(op));
        out.extend(self.paren(b));
        self.passive(out, ty, span)
    }

    /// The pieces of `v`, parenthesized unless it is a single value or token.
    fn paren(&self, v: ValueId) -> Vec<Piece> {
        let pieces = self.pieces_of(v);
        let simple = match pieces.as_slice() {
            [Piece::Value(_)] | [Piece::Paren(_)] => true,
            [Piece::Tokens(t)] => t.clone().into_iter().count() == 1,
            _ => false,
        };
        if simple {
            pieces
        } else {
            vec![Piece::Paren(pieces)]
        }
    }

    /// Records an error and returns a placeholder so lowering can go on.
    fn error<T: ToTokens>(&mut self, tokens: T, msg: impl std::fmt::Display) -> ValueId {
        let span = tokens.to_token_stream().span();
        self.cx.error_spanned_by(tokens, msg);
        self.func.lit(0.0, span)
    }

    fn op(&mut self, op: Op, args: Vec<ValueId>, span: Span) -> ValueId {
        let args = args.into_iter().map(|a| self.operand(a)).collect();
        self.def(Inst::Op { op, args }, span)
    }

    fn lit(&mut self, value: f64, span: Span) -> ValueId {
        self.def(crate::ir::lit_inst(value), span)
    }

    /// `dst = src` on a mutable variable (structured code).
    fn assign(&mut self, dst: ValueId, src: ValueId) {
        let src = self.operand(src);
        self.emit(Stmt::Assign { dst, src });
    }

    /// A new mutable boolean flag, `false`.
    fn flag(&mut self, name: &str, span: Span) -> ValueId {
        let f = self.passive(vec![Piece::Tokens(quote!(false))], Ty::Bool, span);
        self.func.names[f.index()] = Some(name.into());
        self.mutable.insert(f);
        f
    }

    fn set_flag(&mut self, flag: ValueId, span: Span) {
        let t = self.passive(vec![Piece::Tokens(quote!(true))], Ty::Bool, span);
        self.assign(flag, t);
    }

    /// The condition under which code after an early exit still runs:
    /// neither returned nor broken out of the innermost loop.
    fn still_running(&mut self, span: Span) -> Option<ValueId> {
        let mut flags: Vec<ValueId> = Vec::new();
        if let Some(r) = self.returned {
            flags.push(r);
        }
        if let Some(b) = self.loops.last().and_then(|l| l.broken) {
            flags.push(b);
        }
        if flags.is_empty() {
            return None;
        }
        let mut inner = Vec::new();
        for (i, f) in flags.iter().enumerate() {
            if i > 0 {
                inner.push(Piece::Tokens(quote!(||)));
            }
            inner.push(Piece::Value(*f));
        }
        let pieces = vec![Piece::Tokens(quote!(!)), Piece::Paren(inner)];
        Some(self.passive(pieces, Ty::Bool, span))
    }

    // ----- statements ------------------------------------------------------

    /// Lowers statements in a new scope; returns the tail expression's value.
    /// `fn_body`: a `return` at the very end needs no flag.
    fn block_stmts(&mut self, stmts: &[SynStmt], fn_body: bool) -> Option<ValueId> {
        self.scopes.push(HashMap::new());
        let tail = self.stmts(stmts, fn_body);
        self.scopes.pop();
        tail
    }

    fn stmts(&mut self, stmts: &[SynStmt], fn_body: bool) -> Option<ValueId> {
        let mut tail = None;
        for (i, stmt) in stmts.iter().enumerate() {
            if !self.structured && self.early.is_some() {
                break;
            }
            let last = i + 1 == stmts.len();
            match stmt {
                SynStmt::Local(local) => self.local(local),
                SynStmt::Expr(Expr::Return(r), _) if last && fn_body && self.depth == 0 => {
                    let v = self.ret_value(r);
                    if self.structured {
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
                SynStmt::Macro(m) => {
                    self.cx.error_spanned_by(
                        &m.mac,
                        "macro invocations are not supported inside a #[grad] function; write the code out",
                    );
                }
            }
            if self.structured && !last && may_exit(stmt) {
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

    fn ret_value(&mut self, r: &syn::ExprReturn) -> ValueId {
        match &r.expr {
            Some(e) => self.float_operand(e),
            None => self.error(
                r,
                "`return` without a value; a #[grad] function returns a float",
            ),
        }
    }

    /// `return e` in structured code: set the result and the flag.
    fn early_return(&mut self, r: &syn::ExprReturn) {
        let v = self.ret_value(r);
        if !self.structured {
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

    fn missing_value(&mut self, block: &Block) -> ValueId {
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
            self.local_tuple(tuple, ty, &init.expr);
            return;
        }
        let mutable = matches!(pat, Pat::Ident(p) if p.mutability.is_some());
        // Local arrays: `let mut s = [0.0; 3];`, `let a = [x, y];`
        if let Expr::Array(_) | Expr::Repeat(_) = &*init.expr {
            let arr = self.local_array(&init.expr);
            self.bind_pat(pat, arr, mutable);
            return;
        }
        // A row view: `let row = w[i];` of an immutable array.
        if let Expr::Index(ix) = &*init.expr
            && !mutable
            && let Pat::Ident(p) = pat
            && self.is_row(ix)
            && let Some(Binding::View { arr, prefix }) = self.place(ix, true)
        {
            let scope = self.scopes.last_mut().expect("scope");
            scope.insert(p.ident.to_string(), Binding::View { arr, prefix });
            return;
        }
        let mut value = self.expr(&init.expr);
        if let Some(ty) = ty {
            self.check_type(ty, value);
        }
        if self.structured && (mutable || self.mutable.contains(&value)) {
            // A variable of its own: a copy that assignments can overwrite, or
            // a snapshot of another mutable variable.
            value = self.def(Inst::Copy(value), init.expr.span());
            if mutable {
                self.mutable.insert(value);
            }
        }
        self.bind_pat(pat, value, mutable);
    }

    /// Binds one pattern (`x`, `mut x`, `_`) to a value.
    fn bind_pat(&mut self, pat: &Pat, value: ValueId, mutable: bool) {
        match pat {
            Pat::Ident(p) if p.by_ref.is_none() && p.subpat.is_none() => {
                let name = p.ident.to_string();
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
                "tuple patterns are supported only as `let (s, c) = x.sin_cos();`",
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

    // Input: `s = e;`, `s += e;`, `s[j] += e;`, `return e;`, `if …`, `for …`, `e;`
    fn stmt_expr(&mut self, e: &Expr) {
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
            Expr::ForLoop(f) => self.for_loop(f),
            Expr::While(w) => self.while_loop(w),
            Expr::Loop(l) => self.loop_expr(l),
            Expr::Break(b) => self.break_expr(b),
            Expr::Block(b) if b.label.is_none() => {
                self.scopes.push(HashMap::new());
                self.stmts(&b.block.stmts, false);
                self.scopes.pop();
            }
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
        match self.lookup(&name.to_string()) {
            Some(Binding::Value {
                value: var,
                mutable: true,
            }) => {
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
                if self.structured {
                    self.assign(var, value);
                } else {
                    let slot = &mut self.func.names[value.index()];
                    if slot.is_none() {
                        *slot = Some(name.to_string());
                    }
                    self.rebind(&name.to_string(), value);
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

    // ----- arrays ----------------------------------------------------------

    /// Resolves `a[i][j]` to its array and indices. `partial`: a row is fine.
    fn place(&mut self, ix: &syn::ExprIndex, partial: bool) -> Option<Binding> {
        let mut indices = vec![&*ix.index];
        let mut base = &*ix.expr;
        loop {
            match base {
                Expr::Index(inner) => {
                    indices.push(&*inner.index);
                    base = &*inner.expr;
                }
                Expr::Paren(p) => base = &*p.expr,
                _ => break,
            }
        }
        indices.reverse();
        let (arr, mut prefix) = match self.array_operand(base) {
            Some(x) => x,
            None => {
                self.error(
                    base,
                    "#[grad] can index only array parameters, local arrays and their rows",
                );
                return None;
            }
        };
        for i in indices {
            let v = self.int_operand(i);
            prefix.push(v);
        }
        let rank = self.ranks.get(&arr).copied().unwrap_or(1);
        if prefix.len() > rank {
            self.error(ix, "too many indices for this array");
            return None;
        }
        if prefix.len() < rank && !partial {
            self.error(
                ix,
                "#[grad] needs a float here; index all the dimensions of the array",
            );
            return None;
        }
        Some(Binding::View { arr, prefix })
    }

    /// An expression that denotes an array (or a row of one): its value and prefix.
    fn array_operand(&mut self, e: &Expr) -> Option<(ValueId, Vec<ValueId>)> {
        match e {
            Expr::Path(p) if p.qself.is_none() => {
                let name = p.path.get_ident()?.to_string();
                match self.lookup(&name)? {
                    Binding::View { arr, prefix } => Some((arr, prefix)),
                    Binding::Value { value, .. } if self.func.ty(value) == Ty::Array => {
                        Some((value, Vec::new()))
                    }
                    Binding::Value { .. } => None,
                }
            }
            Expr::Paren(p) => self.array_operand(&p.expr),
            Expr::Reference(r) if r.mutability.is_none() => self.array_operand(&r.expr),
            Expr::Unary(u) if matches!(u.op, UnOp::Deref(_)) => self.array_operand(&u.expr),
            Expr::Index(ix) => match self.place(ix, true)? {
                Binding::View { arr, prefix } => Some((arr, prefix)),
                Binding::Value { .. } => None,
            },
            Expr::MethodCall(m) if m.method == "iter" && m.args.is_empty() => {
                self.array_operand(&m.receiver)
            }
            _ => None,
        }
    }

    /// Whether `a[i]` names a row (fewer indices than the array has dimensions),
    /// looking only at the names so that nothing is lowered twice.
    fn is_row(&self, ix: &syn::ExprIndex) -> bool {
        let mut count = 1;
        let mut base = &*ix.expr;
        while let Expr::Index(inner) = base {
            count += 1;
            base = &*inner.expr;
        }
        let Expr::Path(p) = base else { return false };
        let Some(name) = p.path.get_ident() else {
            return false;
        };
        match self.lookup(&name.to_string()) {
            Some(Binding::Value { value, .. }) => {
                self.ranks.get(&value).copied().unwrap_or(0) > count
            }
            Some(Binding::View { arr, prefix }) => {
                self.ranks.get(&arr).copied().unwrap_or(0) > count + prefix.len()
            }
            None => false,
        }
    }

    /// `labels[n]` of a constant (integer) array: a passive integer.
    fn const_index(&mut self, ix: &syn::ExprIndex) -> Option<ValueId> {
        let mut base = &*ix.expr;
        while let Expr::Index(inner) = base {
            base = &*inner.expr;
        }
        if let Expr::Field(f) = base
            && is_self(&f.base)
        {
            // `self.w[i]`: an element of a constant array field.
            let target = self.expr(&ix.expr);
            let index = self.int_operand(&ix.index);
            let mut pieces = self.paren(target);
            pieces.push(Piece::Bracket(self.pieces_of(index)));
            return Some(self.opaque_value(pieces, ix.span()));
        }
        let Expr::Path(p) = base else { return None };
        let name = p.path.get_ident()?;
        let Some(Binding::Value { value, .. }) = self.lookup(&name.to_string()) else {
            return None;
        };
        if self.func.ty(value) != Ty::Int {
            return None;
        }
        let target = self.expr(&ix.expr);
        let index = self.int_operand(&ix.index);
        let mut pieces = self.paren(target);
        pieces.push(Piece::Bracket(self.pieces_of(index)));
        Some(self.passive(pieces, Ty::Int, ix.span()))
    }

    /// Reads `a[i][j]`.
    fn load(&mut self, ix: &syn::ExprIndex) -> ValueId {
        match self.place(ix, false) {
            Some(Binding::View { arr, prefix }) => {
                self.def(Inst::Load { arr, index: prefix }, ix.span())
            }
            _ => self.func.lit(0.0, ix.span()),
        }
    }

    /// Writes `a[i][j] = value`.
    fn store(&mut self, ix: &syn::ExprIndex, value: ValueId) {
        if let Some(Binding::View { arr, prefix }) = self.place(ix, false) {
            if matches!(self.func.inst(arr), Inst::ArrayParam(_)) {
                self.cx.error_spanned_by(
                    ix,
                    "#[grad] cannot write to a parameter; copy it into a local array",
                );
                return;
            }
            if self.func.ty(value) != Ty::Float {
                self.cx.error_spanned_by(ix, "#[grad] arrays hold floats");
                return;
            }
            let value = self.operand(value);
            self.emit(Stmt::Store {
                arr,
                index: prefix,
                value,
            });
        }
    }

    // Input: `[0.0; 3]`, `[[0.0; N]; M]`, `[x, y * 2.0]`
    fn local_array(&mut self, e: &Expr) -> ValueId {
        if self.depth > 0 {
            // Reported once; the array is still made so its uses raise nothing more.
            self.cx.error_spanned_by(
                e,
                "#[grad] supports local arrays at the top of the function body only; declare it before the loop or branch",
            );
        }
        let (v, rank) = self.array_value(e);
        self.ranks.insert(v, rank);
        self.mutable.insert(v);
        v
    }

    fn array_value(&mut self, e: &Expr) -> (ValueId, usize) {
        match e {
            Expr::Repeat(r) => {
                let (elem, rank) = match &*r.expr {
                    inner @ (Expr::Repeat(_) | Expr::Array(_)) => {
                        let (v, rank) = self.array_value(inner);
                        (v, rank + 1)
                    }
                    inner => {
                        let v = self.float_operand(inner);
                        if !matches!(
                            self.func.inst(v),
                            Inst::Lit { .. } | Inst::Extern(_) | Inst::Passive { .. }
                        ) {
                            self.error(
                                inner,
                                "#[grad] needs a constant initial value here, like `[0.0; N]`; assign the elements afterwards",
                            );
                        }
                        (v, 1)
                    }
                };
                let len = self.func.passive.len();
                self.func
                    .passive
                    .push(vec![Piece::Tokens(r.len.to_token_stream())]);
                (self.def(Inst::ArrayRepeat { elem, len }, e.span()), rank)
            }
            Expr::Array(a) => {
                let elems = a.elems.iter().map(|x| self.float_operand(x)).collect();
                (self.def(Inst::ArrayList(elems), e.span()), 1)
            }
            Expr::Paren(p) => self.array_value(&p.expr),
            other => (self.error(other, "expected an array of floats"), 1),
        }
    }

    // ----- control flow ----------------------------------------------------

    /// Lowers a condition to a boolean value.
    fn cond(&mut self, e: &Expr) -> ValueId {
        let v = self.expr(e);
        if self.func.ty(v) != Ty::Bool {
            return self.error(e, "expected a condition (a `bool`) here");
        }
        v
    }

    // Input: `if c { a } else if d { b } else { e }` (as a statement or a value)
    fn if_expr(&mut self, i: &syn::ExprIf, want_value: bool) -> Option<ValueId> {
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
    fn enter_loop(&mut self) {
        self.loops.push(LoopCx { broken: None });
    }

    fn break_expr(&mut self, b: &syn::ExprBreak) {
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
    fn for_loop(&mut self, f: &syn::ExprForLoop) {
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

    /// The length of the iteration over `arrays` (the shortest, for `zip`).
    fn len_of(&mut self, arrays: &[(ValueId, Vec<ValueId>)], span: Span) -> ValueId {
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
    fn bind_loop_pattern(&mut self, pat: &Pat, iter: &Iteration, var: ValueId) {
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
                        *slot = Some(p.ident.to_string());
                    }
                }
                let scope = self.scopes.last_mut().expect("scope");
                scope.insert(p.ident.to_string(), b);
            }
            Pat::Wild(_) => {}
            other => {
                self.cx
                    .error_spanned_by(other, "#[grad] supports a name or `_` here");
            }
        }
    }

    /// What a `for` loop iterates over.
    fn iteration(&mut self, e: &Expr) -> Option<Iteration> {
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

    // Input: `while c { … }`
    fn while_loop(&mut self, w: &syn::ExprWhile) {
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
    fn loop_expr(&mut self, l: &syn::ExprLoop) {
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

    // ----- expressions -----------------------------------------------------

    /// `a op b` on two values: a float operation, or a passive integer one.
    fn arith(&mut self, op: Op, a: ValueId, b: ValueId, token: &BinOp, span: Span) -> ValueId {
        self.unify_constants(a, b);
        match (self.func.ty(a), self.func.ty(b)) {
            (Ty::Float, Ty::Float) => self.op(op, vec![a, b], span),
            (Ty::Int, Ty::Int) => self.passive_bin(a, binop_token(token), b, Ty::Int, span),
            _ => self.error(
                token,
                "integer and float operands mixed; convert the integer with `as f64`",
            ),
        }
    }

    /// Lowers an expression that must be a float.
    fn float_operand(&mut self, e: &Expr) -> ValueId {
        let v = self.expr(e);
        match self.func.ty(v) {
            Ty::Float => v,
            Ty::Int => self.error(
                e,
                format!(
                    "expected a float here, found an integer; convert it with `as {}`",
                    self.func.float.name()
                ),
            ),
            _ => self.error(e, "expected a float here"),
        }
    }

    /// A constant in scope (`N`, `Self::K`) used where an integer is
    /// expected is an integer constant: retype it.
    fn coerce_int(&mut self, v: ValueId) -> bool {
        if self.opaque.contains(&v) {
            self.func.tys[v.index()] = Ty::Int;
            if let Inst::Passive { index, .. } = self.func.inst(v).clone() {
                self.func.insts[v.index()] = Inst::Passive { index, ty: Ty::Int };
            }
            return true;
        }
        let Inst::Extern(path) = self.func.inst(v) else {
            return self.func.ty(v) == Ty::Int;
        };
        let tokens: TokenStream = path_tokens(path);
        let index = self.func.passive.len();
        self.func.passive.push(vec![Piece::Tokens(tokens)]);
        self.func.insts[v.index()] = Inst::Passive { index, ty: Ty::Int };
        self.func.tys[v.index()] = Ty::Int;
        true
    }

    /// `i < N`, `n * K`: a constant beside an integer is an integer.
    fn unify_constants(&mut self, a: ValueId, b: ValueId) {
        if self.func.ty(a) == Ty::Int {
            self.coerce_int(b);
        } else if self.func.ty(b) == Ty::Int {
            self.coerce_int(a);
        }
    }

    /// Lowers an expression that must be an integer.
    fn int_operand(&mut self, e: &Expr) -> ValueId {
        let v = self.expr(e);
        if !self.coerce_int(v) {
            return self.error(e, "expected an integer here, found a float");
        }
        v
    }

    /// `f64::NAME` or `f32::NAME` (the path form of a float method): returns `NAME`.
    fn float_fn_path(&mut self, func: &Expr) -> Option<syn::Ident> {
        let Expr::Path(p) = func else { return None };
        if p.qself.is_some() || p.path.leading_colon.is_some() || p.path.segments.len() != 2 {
            return None;
        }
        let ty = &p.path.segments[0];
        let float = match ty.ident.to_string().as_str() {
            "f64" => crate::ir::Float::F64,
            "f32" => crate::ir::Float::F32,
            _ => return None,
        };
        if float != self.func.float {
            self.cx.error_spanned_by(
                &ty.ident,
                format!(
                    "`{}` function in an `{}` function; #[grad] needs one float type throughout",
                    float.name(),
                    self.func.float.name()
                ),
            );
        }
        Some(p.path.segments[1].ident.clone())
    }

    /// Lowers an expression to the value it computes.
    fn expr(&mut self, e: &Expr) -> ValueId {
        let span = e.span();
        match e {
            Expr::Lit(lit) => self.lit_expr(&lit.lit),
            Expr::Paren(p) => self.expr(&p.expr),
            Expr::Group(g) => self.expr(&g.expr),
            Expr::Path(p) => self.path(p),
            Expr::Unary(u) => match u.op {
                UnOp::Neg(_) => {
                    let a = self.expr(&u.expr);
                    match self.func.ty(a) {
                        Ty::Float => self.op(Op::Neg, vec![a], span),
                        Ty::Int => {
                            let mut pieces = vec![Piece::Tokens(quote!(-))];
                            pieces.extend(self.paren(a));
                            self.passive(pieces, Ty::Int, span)
                        }
                        _ => self.error(u, "`-` needs a number"),
                    }
                }
                UnOp::Not(_) => {
                    let a = self.cond(&u.expr);
                    let mut pieces = vec![Piece::Tokens(quote!(!))];
                    pieces.extend(self.paren(a));
                    self.passive(pieces, Ty::Bool, span)
                }
                // `*v` of a loop element bound by reference: the value itself.
                UnOp::Deref(_) => self.expr(&u.expr),
                _ => self.error(
                    u.op,
                    "this unary operator is not supported in #[grad] functions",
                ),
            },
            Expr::Binary(b) => self.binary(b),
            Expr::MethodCall(m) => self.method_call(m),
            Expr::Call(c) => {
                let args: Vec<&Expr> = c.args.iter().collect();
                match self.float_fn_path(&c.func) {
                    Some(ident) => self.method(&ident, &args, span),
                    None => self.call_path(&c.func, &args, span),
                }
            }
            Expr::Field(f) => self.field(f),
            Expr::Cast(c) => self.cast(c),
            Expr::Block(b) if b.label.is_none() => self.block(&b.block),
            Expr::If(i) => match self.if_expr(i, true) {
                Some(v) => v,
                None => self.func.lit(0.0, span),
            },
            Expr::Index(ix) => match self.const_index(ix) {
                Some(v) => v,
                None => self.load(ix),
            },
            Expr::Return(r) => {
                self.early_return(r);
                self.func.lit(0.0, span)
            }
            other => self.error(
                other,
                format!("#[grad] does not support {}", expr_kind(other)),
            ),
        }
    }

    fn binary(&mut self, b: &syn::ExprBinary) -> ValueId {
        let span = b.span();
        let op = match b.op {
            BinOp::Add(_) => Op::Add,
            BinOp::Sub(_) => Op::Sub,
            BinOp::Mul(_) => Op::Mul,
            BinOp::Div(_) => Op::Div,
            BinOp::Rem(_) => {
                let a = self.expr(&b.left);
                let c = self.expr(&b.right);
                if self.func.ty(a) != Ty::Int || self.func.ty(c) != Ty::Int {
                    return self.error(
                        b.op,
                        "#[grad] does not support `%` on floats; write `x - (x / y).trunc() * y`",
                    );
                }
                return self.passive_bin(a, quote!(%), c, Ty::Int, span);
            }
            BinOp::Lt(_)
            | BinOp::Le(_)
            | BinOp::Gt(_)
            | BinOp::Ge(_)
            | BinOp::Eq(_)
            | BinOp::Ne(_) => {
                let a = self.expr(&b.left);
                let c = self.expr(&b.right);
                self.unify_constants(a, c);
                let (ta, tc) = (self.func.ty(a), self.func.ty(c));
                if ta != tc || !matches!(ta, Ty::Float | Ty::Int | Ty::Bool) {
                    return self.error(b, "comparison of values of different types");
                }
                let tok = b.op.to_token_stream();
                return self.passive_bin(a, tok, c, Ty::Bool, span);
            }
            BinOp::And(_) | BinOp::Or(_) => return self.logic(b),
            _ => {
                return self.error(
                    b.op,
                    "this operator is not supported in #[grad] functions; use `+ - * /`, comparisons, `&&`, `||` and float methods",
                );
            }
        };
        let a = self.expr(&b.left);
        let c = self.expr(&b.right);
        self.arith(op, a, c, &b.op, span)
    }

    /// `a && b`, `a || b`, short-circuiting: `b` is evaluated only if needed.
    fn logic(&mut self, b: &syn::ExprBinary) -> ValueId {
        let span = b.span();
        let and = matches!(b.op, BinOp::And(_));
        let a = self.cond(&b.left);
        let mut rhs = None;
        let block = self.in_block(|l| rhs = Some(l.cond(&b.right)));
        let rhs = rhs.expect("set above");
        let pure = block.iter().all(
            |s| matches!(s, Stmt::Def(v) if matches!(self.func.inst(*v), Inst::Passive { .. })),
        );
        if pure {
            // No work on the right: combine as source, Rust short-circuits it.
            for s in block {
                self.emit(s);
            }
            let tok = if and { quote!(&&) } else { quote!(||) };
            return self.passive_bin(a, tok, rhs, Ty::Bool, span);
        }
        // r = a; if r (for &&) / if !r (for ||) { …; r = b }
        let r = self.def(Inst::Copy(a), span);
        self.mutable.insert(r);
        let mut then = block;
        then.push(Stmt::Assign { dst: r, src: rhs });
        // The branch overwrites `r`: decide it on a snapshot, so the reverse
        // sweep replays the branch the forward sweep took.
        let cond = if and {
            self.def(Inst::Copy(r), span)
        } else {
            let mut pieces = vec![Piece::Tokens(quote!(!))];
            pieces.push(Piece::Value(r));
            self.passive(pieces, Ty::Bool, span)
        };
        self.emit(Stmt::If {
            cond,
            then,
            els: Vec::new(),
        });
        r
    }

    fn block(&mut self, block: &Block) -> ValueId {
        match self.block_stmts(&block.stmts, false) {
            Some(v) => v,
            None => self.error(block, "block must end with a float expression"),
        }
    }

    fn lit_expr(&mut self, lit: &Lit) -> ValueId {
        let span = lit.span();
        match lit {
            Lit::Float(f) => {
                let suffix_ok = match f.suffix() {
                    "" => true,
                    s => s == self.func.float.name(),
                };
                if !suffix_ok {
                    return self.error(
                        f,
                        format!(
                            "`{}` literal in an `{}` function; #[grad] needs one float type throughout",
                            f.suffix(),
                            self.func.float.name()
                        ),
                    );
                }
                match f.base10_parse::<f64>() {
                    Ok(value) => self.def(
                        Inst::Lit {
                            text: f.base10_digits().to_owned(),
                            value,
                        },
                        span,
                    ),
                    Err(e) => {
                        self.cx.syn_error(e);
                        self.func.lit(0.0, span)
                    }
                }
            }
            Lit::Int(i) => self.passive(vec![Piece::Tokens(i.to_token_stream())], Ty::Int, span),
            Lit::Bool(b) => self.passive(vec![Piece::Tokens(b.to_token_stream())], Ty::Bool, span),
            other => self.error(
                other,
                "only float, integer and `bool` literals are supported",
            ),
        }
    }

    // Input: `x` (a variable), `n` (an integer parameter), `PI`, `std::f64::consts::E`
    fn path(&mut self, p: &syn::ExprPath) -> ValueId {
        if p.qself.is_some() {
            return self.error(p, "qualified paths are not supported in #[grad] functions");
        }
        if let Some(ident) = p.path.get_ident()
            && let Some(b) = self.lookup(&ident.to_string())
        {
            return match b {
                Binding::Value { value, .. } => value,
                Binding::View { .. } => {
                    self.error(p, "#[grad] needs a float here; index the row (`row[j]`)")
                }
            };
        }
        for seg in &p.path.segments {
            if !seg.arguments.is_none() {
                return self.error(
                    &seg.arguments,
                    "generic arguments are not supported in #[grad] functions",
                );
            }
        }
        let mut path: Vec<String> = Vec::new();
        if p.path.leading_colon.is_some() {
            path.push(String::new());
        }
        path.extend(p.path.segments.iter().map(|s| s.ident.to_string()));
        self.def(Inst::Extern(path), p.span())
    }

    // Input: `x.exp()`, `x.len()`, `x.iter().sum::<f64>()`, `x.iter().map(|v| v * v).sum::<f64>()`
    fn method_call(&mut self, m: &syn::ExprMethodCall) -> ValueId {
        let span = m.span();
        if is_self(&m.receiver) {
            // `self.g(a)`: a method with a derivative `self.g_grad(a)`.
            if let Some(t) = &m.turbofish {
                return self.error(t, "#[grad] does not support turbofish on calls");
            }
            let args: Vec<&Expr> = m.args.iter().collect();
            return self.call(Callee::Method(m.method.to_string()), &args, span);
        }
        if m.method == "len" && m.args.is_empty() {
            let Some((arr, prefix)) = self.array_operand(&m.receiver) else {
                // The length of a constant array (labels, `self.w`): passive.
                let v = self.expr(&m.receiver);
                if self.opaque.contains(&v) || self.func.ty(v) == Ty::Int {
                    let mut pieces = self.paren(v);
                    pieces.push(Piece::Tokens(quote!(.len())));
                    return self.passive(pieces, Ty::Int, span);
                }
                return self.error(&m.receiver, "`.len()` of something that is not an array");
            };
            return self.len_of(&[(arr, prefix)], span);
        }
        if m.method == "sum" && m.args.is_empty() {
            return self.iter_sum(m);
        }
        if let Some(t) = &m.turbofish {
            return self.error(t, "turbofish is not supported on float methods");
        }
        if m.method == "is_nan"
            || m.method == "is_finite"
            || m.method == "is_infinite"
            || m.method == "is_sign_negative"
            || m.method == "is_sign_positive"
        {
            let x = self.float_operand(&m.receiver);
            let name = &m.method;
            let mut pieces = self.paren(x);
            pieces.push(Piece::Tokens(quote!(.#name())));
            return self.passive(pieces, Ty::Bool, span);
        }
        let args: Vec<&Expr> = std::iter::once(&*m.receiver).chain(&m.args).collect();
        self.method(&m.method, &args, span)
    }

    // Input: `g(a, b)`, `path::g(x, &v)`, `Self::g(a)`
    // Output: `%c = call g_grad(%a, %b)`, `%v = %c.0`
    fn call_path(&mut self, func: &Expr, args: &[&Expr], span: Span) -> ValueId {
        let path = match func {
            Expr::Path(p) if p.qself.is_none() => &p.path,
            other => {
                return self.error(
                    other,
                    "#[grad] can call functions named by a path (`g(x)`, `module::g(x)`, `Self::g(x)`)",
                );
            }
        };
        for seg in &path.segments {
            if !seg.arguments.is_none() {
                return self.error(
                    &seg.arguments,
                    "#[grad] does not support generic arguments on calls",
                );
            }
        }
        if let Some(name) = path.get_ident()
            && self.lookup(&name.to_string()).is_some()
        {
            return self.error(
                func,
                "#[grad] does not support calling a local variable (a closure); write a function and mark it #[grad]",
            );
        }
        let mut segments: Vec<String> = Vec::new();
        if path.leading_colon.is_some() {
            segments.push(String::new());
        }
        segments.extend(path.segments.iter().map(|s| s.ident.to_string()));
        self.call(Callee::Path(segments), args, span)
    }

    /// A call differentiated through the callee's `_grad` function.
    fn call(&mut self, callee: Callee, args: &[&Expr], span: Span) -> ValueId {
        let args = args.iter().map(|a| self.call_arg(a)).collect();
        let c = self.def(
            Inst::Call {
                callee,
                args,
                grad: true,
            },
            span,
        );
        self.def(Inst::Proj { tuple: c, index: 0 }, span)
    }

    /// An argument: a scalar, or an array, slice or row passed whole.
    fn call_arg(&mut self, e: &Expr) -> Arg {
        let (inner, by_ref) = match e {
            Expr::Reference(r) if r.mutability.is_none() => (&*r.expr, true),
            other => (other, false),
        };
        if self.names_array(inner)
            && let Some((arr, prefix)) = self.array_operand(inner)
        {
            let rank = self.ranks.get(&arr).copied().unwrap_or(1);
            if prefix.len() < rank {
                return Arg {
                    value: arr,
                    prefix,
                    by_ref,
                };
            }
        }
        let value = self.expr(inner);
        let value = self.operand(value);
        Arg {
            value,
            prefix: Vec::new(),
            by_ref,
        }
    }

    /// Whether `e` denotes an array or a row of one (not an element).
    fn names_array(&self, e: &Expr) -> bool {
        match e {
            Expr::Path(p) => {
                p.path
                    .get_ident()
                    .is_some_and(|name| match self.lookup(&name.to_string()) {
                        Some(Binding::View { .. }) => true,
                        Some(Binding::Value { value, .. }) => self.func.ty(value) == Ty::Array,
                        None => false,
                    })
            }
            Expr::Index(ix) => self.is_row(ix),
            Expr::Paren(p) => self.names_array(&p.expr),
            _ => false,
        }
    }

    /// `self.w`: a field of the receiver, a constant of unknown type (used as
    /// a float, or as an integer where one is expected).
    fn field(&mut self, f: &syn::ExprField) -> ValueId {
        if !is_self(&f.base) {
            return self.error(
                f,
                "#[grad] supports field access only on `self` (its fields are constants)",
            );
        }
        self.opaque_value(vec![Piece::Tokens(f.to_token_stream())], f.span())
    }

    /// A constant of unknown type, defined only once a float operation uses it.
    fn opaque_value(&mut self, pieces: Vec<Piece>, span: Span) -> ValueId {
        let index = self.func.passive.len();
        self.func.passive.push(pieces);
        let v = self.func.push(
            Inst::Passive {
                index,
                ty: Ty::Float,
            },
            span,
        );
        self.opaque.insert(v);
        v
    }

    /// A value as an operand: a constant of unknown type is read afresh
    /// where it is used (so it is defined in the block that needs it).
    fn operand(&mut self, v: ValueId) -> ValueId {
        if !self.opaque.contains(&v) {
            return v;
        }
        let Inst::Passive { index, ty } = self.func.inst(v).clone() else {
            return v;
        };
        let pieces = self.func.passive[index].clone();
        let span = self.func.span(v);
        self.passive(pieces, ty, span)
    }

    /// `x.iter().sum::<f64>()`, `x.iter().map(|v| e).sum::<f64>()`,
    /// `x.iter().zip(y.iter()).map(|(a, b)| e).sum::<f64>()`: a loop that adds up.
    fn iter_sum(&mut self, m: &syn::ExprMethodCall) -> ValueId {
        let span = m.span();
        if !self.structured {
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

    // Input: `x.exp()`, `f64::max(a, b)` (args include the receiver)
    // Output: `%n = exp %x`
    fn method(&mut self, ident: &syn::Ident, args: &[&Expr], span: Span) -> ValueId {
        let name = ident.to_string();
        let Some(op) = Op::from_method(&name) else {
            if name == "sin_cos" {
                return self.error(
                    ident,
                    "`sin_cos` returns a tuple; bind it with `let (s, c) = x.sin_cos();`",
                );
            }
            return self.error(
                ident,
                format!(
                    "`{name}` has no known derivative; use a supported float method (see the README's table) or write the computation with them"
                ),
            );
        };
        let rule = op.rule();
        if args.len() != rule.arity {
            return self.error(
                ident,
                format!(
                    "`{name}` takes {} argument(s) besides the receiver",
                    rule.arity - 1
                ),
            );
        }
        let args = args
            .iter()
            .enumerate()
            .map(|(i, a)| {
                if rule.int_args.contains(&i) {
                    self.int_operand(a)
                } else {
                    self.float_operand(a)
                }
            })
            .collect();
        self.op(op, args, span)
    }

    // Input: `x as f64` (identity), `n as f64` (passive), `(n - 1) as i32` (passive)
    fn cast(&mut self, c: &syn::ExprCast) -> ValueId {
        let v = self.expr(&c.expr);
        let ty = &*c.ty;
        let span = c.span();
        let target_float = float_type(ty);
        // `N as f64` of a constant of unknown type: keep the cast in the source.
        if let Inst::Extern(path) = self.func.inst(v) {
            let mut pieces = vec![Piece::Paren(vec![Piece::Tokens(path_tokens(path))])];
            pieces.push(Piece::Tokens(quote!(as #ty)));
            let t = if target_float.is_some() {
                Ty::Float
            } else {
                Ty::Int
            };
            return self.passive(pieces, t, span);
        }
        match (self.func.ty(v), target_float) {
            (Ty::Float, Some(f)) if f == self.func.float => v,
            (Ty::Float, _) => self.error(
                ty,
                format!(
                    "#[grad] cannot cast a float to `{}`; keep it `{}`",
                    ty.to_token_stream(),
                    self.func.float.name()
                ),
            ),
            (Ty::Int | Ty::Bool, Some(f)) if f == self.func.float => {
                let mut pieces = self.paren(v);
                pieces.push(Piece::Tokens(quote!(as #ty)));
                self.passive(pieces, Ty::Float, span)
            }
            (Ty::Int | Ty::Bool, None) if is_int_type(ty) => {
                let mut pieces = self.paren(v);
                pieces.push(Piece::Tokens(quote!(as #ty)));
                self.passive(pieces, Ty::Int, span)
            }
            _ => self.error(
                ty,
                format!(
                    "#[grad] expected `{}` or an integer type",
                    self.func.float.name()
                ),
            ),
        }
    }
}

/// Whether `e` is `self`.
fn is_self(e: &Expr) -> bool {
    matches!(e, Expr::Path(p) if p.qself.is_none() && p.path.is_ident("self"))
}

/// The tokens of a constant's path (`::std::f64::consts::PI`).
fn path_tokens(path: &[String]) -> TokenStream {
    let text = path.join("::");
    text.parse().unwrap_or_default()
}

/// What a `for` loop (or an iterator sum) runs over.
struct Iteration {
    /// `a..b`: the bounds.
    range: Option<(ValueId, ValueId)>,
    /// Arrays iterated in step (two for `zip`), each with a row prefix.
    arrays: Vec<(ValueId, Vec<ValueId>)>,
    rev: bool,
    enumerate: bool,
}

fn strip_ref(pat: &Pat) -> &Pat {
    match pat {
        Pat::Reference(r) => strip_ref(&r.pat),
        Pat::Paren(p) => strip_ref(&p.pat),
        other => other,
    }
}

/// Whether an expression in tail position produces a value (rather than being
/// a statement such as an `if` without `else`, a loop or an assignment).
fn yields_value(e: &Expr) -> bool {
    fn block_yields(b: &Block) -> bool {
        match b.stmts.last() {
            Some(SynStmt::Expr(e, None)) => yields_value(e),
            _ => false,
        }
    }
    match e {
        Expr::If(i) => match &i.else_branch {
            None => false,
            Some(_) => block_yields(&i.then_branch),
        },
        Expr::Block(b) => block_yields(&b.block),
        Expr::ForLoop(_)
        | Expr::While(_)
        | Expr::Loop(_)
        | Expr::Assign(_)
        | Expr::Return(_)
        | Expr::Break(_)
        | Expr::Continue(_) => false,
        Expr::Binary(b) => compound_op(&b.op).is_none(),
        _ => true,
    }
}

/// Whether a statement contains a `break` of the loop around it.
fn may_exit_break(stmt: &SynStmt) -> bool {
    exits(stmt, false)
}

/// The operation of a compound assignment (`+=` → add).
fn compound_op(op: &BinOp) -> Option<Op> {
    match op {
        BinOp::AddAssign(_) => Some(Op::Add),
        BinOp::SubAssign(_) => Some(Op::Sub),
        BinOp::MulAssign(_) => Some(Op::Mul),
        BinOp::DivAssign(_) => Some(Op::Div),
        _ => None,
    }
}

/// The plain operator token of a (possibly compound) binary operator.
fn binop_token(op: &BinOp) -> TokenStream {
    match op {
        BinOp::AddAssign(_) => quote!(+),
        BinOp::SubAssign(_) => quote!(-),
        BinOp::MulAssign(_) => quote!(*),
        BinOp::DivAssign(_) => quote!(/),
        other => other.to_token_stream(),
    }
}
