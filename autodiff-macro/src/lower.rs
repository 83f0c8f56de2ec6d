//! Lowering: the body of the user's function (syn) to the IR.
//!
//! Variables disappear here: an environment maps each name in scope to the
//! value it currently holds, so `let`, shadowing, reassignment and `+=`
//! become plain SSA values. Integer parameters and integer arithmetic become
//! passive values (constants with no gradient) that keep their Rust source.
//! Everything outside the supported language is an error on its tokens, and
//! lowering carries on with a placeholder so that all errors are reported.

use crate::ast::{Sig, float_type, is_constant_type};
use crate::ctxt::Ctxt;
use crate::ir::{Float, Func, Inst, Param, Ty, ValueId};
use crate::rules::Op;
use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, quote};
use std::collections::HashMap;
use syn::spanned::Spanned;
use syn::{BinOp, Block, Expr, Lit, Pat, Stmt, UnOp};

/// A variable in scope.
#[derive(Clone, Copy)]
struct Binding {
    value: ValueId,
    mutable: bool,
}

struct Lower<'a> {
    cx: &'a Ctxt,
    func: Func,
    scopes: Vec<HashMap<String, Binding>>,
    /// Set once a `return` has been lowered: the rest of the block is dead.
    returned: Option<ValueId>,
}

/// Lowers the body of a validated function.
pub fn lower(cx: &Ctxt, sig: &Sig) -> Func {
    let params = sig
        .params
        .iter()
        .map(|p| Param {
            name: p.ident.to_string(),
            ty: p.ty,
            wrt: p.wrt,
        })
        .collect();
    let mut l = Lower {
        cx,
        func: Func::new(sig.float, params),
        scopes: vec![HashMap::new()],
        returned: None,
    };
    // Input: `fn f(x: f64, n: usize)`
    // Output: `%0 = param 0 x`, `%1 = passive int `n``
    for (i, p) in sig.params.iter().enumerate() {
        let span = p.ident.span();
        let v = match p.ty {
            Ty::Float => l.func.push(Inst::Param(i), span),
            Ty::Int => l.passive(p.ident.to_token_stream(), Ty::Int, span),
        };
        l.func.names[v.index()] = Some(p.ident.to_string());
        l.bind(&p.ident.to_string(), v, false);
    }
    let block = &sig.item.block;
    let tail = l.block_stmts(&block.stmts);
    let ret = match (tail, l.returned) {
        (Some(v), _) | (None, Some(v)) => v,
        (None, None) => {
            let end = block
                .stmts
                .last()
                .map(|s| s.to_token_stream())
                .unwrap_or_else(|| block.to_token_stream());
            cx.error_spanned_by(
                end,
                "#[grad] function body must end with a float expression or `return`",
            );
            l.func.lit(0.0, block.span())
        }
    };
    l.func.outputs = vec![ret];
    l.func
}

/// The name of an expression kind, for error messages.
fn expr_kind(e: &Expr) -> &'static str {
    match e {
        Expr::Array(_) | Expr::Repeat(_) => "array expressions",
        Expr::Assign(_) => "assignments in expression position",
        Expr::Async(_) => "`async` blocks",
        Expr::Await(_) => "`.await`",
        Expr::Break(_) => "`break`",
        Expr::Closure(_) => "closures",
        Expr::Const(_) => "`const` blocks",
        Expr::Continue(_) => "`continue`",
        Expr::Field(_) => "field access",
        Expr::ForLoop(_) => "`for` loops",
        Expr::If(_) => "`if` expressions",
        Expr::Index(_) => "indexing",
        Expr::Let(_) => "`let` expressions",
        Expr::Loop(_) => "`loop`",
        Expr::Macro(_) => "macro invocations",
        Expr::Match(_) => "`match` expressions",
        Expr::Range(_) => "ranges",
        Expr::RawAddr(_) => "raw pointers",
        Expr::Reference(_) => "references",
        Expr::Struct(_) => "struct expressions",
        Expr::Try(_) => "the `?` operator",
        Expr::TryBlock(_) => "`try` blocks",
        Expr::Tuple(_) => "tuples",
        Expr::Unsafe(_) => "`unsafe` blocks",
        Expr::While(_) => "`while` loops",
        Expr::Yield(_) => "`yield`",
        Expr::Block(_) => "labeled blocks",
        _ => "this expression",
    }
}

impl Lower<'_> {
    fn bind(&mut self, name: &str, value: ValueId, mutable: bool) {
        let scope = self.scopes.last_mut().expect("a scope is always open");
        scope.insert(name.to_owned(), Binding { value, mutable });
    }

    fn lookup(&self, name: &str) -> Option<Binding> {
        self.scopes.iter().rev().find_map(|s| s.get(name).copied())
    }

    /// Rebinds a mutable variable in the scope that declared it.
    fn assign(&mut self, name: &str, value: ValueId) {
        for scope in self.scopes.iter_mut().rev() {
            if let Some(b) = scope.get_mut(name) {
                b.value = value;
                return;
            }
        }
    }

    fn passive(&mut self, src: TokenStream, ty: Ty, span: Span) -> ValueId {
        let index = self.func.passive.len();
        self.func.passive.push(src);
        self.func.push(Inst::Passive { index, ty }, span)
    }

    /// The Rust source of a passive value.
    fn passive_src(&self, v: ValueId) -> Option<TokenStream> {
        match self.func.inst(v) {
            Inst::Passive { index, .. } => Some(self.func.passive[*index].clone()),
            _ => None,
        }
    }

    /// Records an error and returns a placeholder so lowering can go on.
    fn error<T: ToTokens>(&mut self, tokens: T, msg: impl std::fmt::Display) -> ValueId {
        let span = tokens.to_token_stream().span();
        self.cx.error_spanned_by(tokens, msg);
        self.func.lit(0.0, span)
    }

    fn op(&mut self, op: Op, args: Vec<ValueId>, span: Span) -> ValueId {
        self.func.push(Inst::Op { op, args }, span)
    }

    /// Lowers statements in a new scope; returns the tail expression's value.
    fn block_stmts(&mut self, stmts: &[Stmt]) -> Option<ValueId> {
        self.scopes.push(HashMap::new());
        let mut tail = None;
        for stmt in stmts {
            if self.returned.is_some() {
                break;
            }
            match stmt {
                Stmt::Local(local) => self.local(local),
                Stmt::Expr(e, Some(_)) => self.stmt_expr(e),
                Stmt::Expr(Expr::Return(r), None) => self.ret(r),
                Stmt::Expr(e, None) => tail = Some(self.expr(e)),
                Stmt::Item(item) => {
                    self.cx.error_spanned_by(
                        item,
                        "items inside a #[grad] function are not supported; move the item out of the function",
                    );
                }
                Stmt::Macro(m) => {
                    self.cx.error_spanned_by(
                        &m.mac,
                        "macro invocations are not supported inside a #[grad] function; write the code out",
                    );
                }
            }
        }
        self.scopes.pop();
        tail
    }

    fn ret(&mut self, r: &syn::ExprReturn) {
        let v = match &r.expr {
            Some(e) => self.expr(e),
            None => self.error(
                r,
                "`return` without a value; a #[grad] function returns a float",
            ),
        };
        self.returned = Some(v);
    }

    // Input: `let q = x + y;`, `let mut s: f64 = 0.0;`, `let (s, c) = x.sin_cos();`
    // Output: the init's value, bound to the names.
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
        let value = self.expr(&init.expr);
        if let Some(ty) = ty {
            self.check_type(ty, value);
        }
        self.bind_pat(pat, value);
    }

    /// Binds one pattern (`x`, `mut x`, `_`) to a value.
    fn bind_pat(&mut self, pat: &Pat, value: ValueId) {
        match pat {
            Pat::Ident(p) if p.by_ref.is_none() && p.subpat.is_none() => {
                let name = p.ident.to_string();
                let slot = &mut self.func.names[value.index()];
                if slot.is_none() {
                    *slot = Some(name.clone());
                }
                self.bind(&name, value, p.mutability.is_some());
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
        self.bind_pat(&tuple.elems[0], s);
        self.bind_pat(&tuple.elems[1], c);
    }

    /// Checks a `let` type annotation against the value's type.
    fn check_type(&mut self, ty: &syn::Type, value: ValueId) {
        let ok = match self.func.ty(value) {
            Ty::Float => float_type(ty) == Some(self.func.float),
            Ty::Int => is_constant_type(ty),
        };
        if !ok {
            self.cx.error_spanned_by(
                ty,
                format!(
                    "#[grad] expected `{}` here (the function's float type) or an integer type",
                    self.func.float.name()
                ),
            );
        }
    }

    // Input: `s = e;`, `s += e;`, `return e;`, `e;`
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
            Expr::Return(r) => self.ret(r),
            // A pure expression whose value is dropped: lower it for its errors.
            e => {
                self.expr(e);
            }
        }
    }

    /// Rebinds the variable `target` to `value`.
    fn assign_to(&mut self, target: &Expr, value: ValueId) {
        let name = match target {
            Expr::Path(p) if p.qself.is_none() => p.path.get_ident(),
            _ => None,
        };
        let Some(name) = name else {
            self.cx.error_spanned_by(
                target,
                "#[grad] supports assignment to local variables only",
            );
            return;
        };
        match self.lookup(&name.to_string()) {
            Some(b) if b.mutable => {
                if self.func.ty(b.value) != self.func.ty(value) {
                    self.cx
                        .error_spanned_by(target, "assignment changes the type of the variable");
                }
                let slot = &mut self.func.names[value.index()];
                if slot.is_none() {
                    *slot = Some(name.to_string());
                }
                self.assign(&name.to_string(), value);
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

    /// `a op b` on two values: a float operation, or a passive integer one.
    fn arith(&mut self, op: Op, a: ValueId, b: ValueId, token: &BinOp, span: Span) -> ValueId {
        match (self.func.ty(a), self.func.ty(b)) {
            (Ty::Float, Ty::Float) => self.op(op, vec![a, b], span),
            (Ty::Int, Ty::Int) => {
                let (sa, sb) = (self.passive_src(a), self.passive_src(b));
                let tok = binop_token(token);
                self.passive(quote!((#sa) #tok (#sb)), Ty::Int, span)
            }
            _ => self.error(
                token,
                "integer and float operands mixed; convert the integer with `as f64`",
            ),
        }
    }

    /// Lowers an expression that must be a float.
    fn float_operand(&mut self, e: &Expr) -> ValueId {
        let v = self.expr(e);
        if self.func.ty(v) == Ty::Int {
            return self.error(
                e,
                format!(
                    "expected a float here, found an integer; convert it with `as {}`",
                    self.func.float.name()
                ),
            );
        }
        v
    }

    /// Lowers an expression that must be an integer.
    fn int_operand(&mut self, e: &Expr) -> ValueId {
        let v = self.expr(e);
        if self.func.ty(v) != Ty::Int {
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
            "f64" => Float::F64,
            "f32" => Float::F32,
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
            Expr::Lit(lit) => self.lit(&lit.lit),
            Expr::Paren(p) => self.expr(&p.expr),
            Expr::Group(g) => self.expr(&g.expr),
            Expr::Path(p) => self.path(p),
            Expr::Unary(u) => match u.op {
                UnOp::Neg(_) => {
                    let a = self.expr(&u.expr);
                    match self.func.ty(a) {
                        Ty::Float => self.op(Op::Neg, vec![a], span),
                        Ty::Int => {
                            let src = self.passive_src(a);
                            self.passive(quote!(-(#src)), Ty::Int, span)
                        }
                    }
                }
                _ => self.error(
                    u.op,
                    "this unary operator is not supported in #[grad] functions; only `-` is",
                ),
            },
            Expr::Binary(b) => {
                let op = match b.op {
                    BinOp::Add(_) => Op::Add,
                    BinOp::Sub(_) => Op::Sub,
                    BinOp::Mul(_) => Op::Mul,
                    BinOp::Div(_) => Op::Div,
                    BinOp::Rem(_) => {
                        let a = self.int_operand(&b.left);
                        let c = self.int_operand(&b.right);
                        return self.arith(Op::Div, a, c, &b.op, span);
                    }
                    _ => {
                        return self.error(
                            b.op,
                            "this operator is not supported in #[grad] functions yet; use `+ - * /` and float methods",
                        );
                    }
                };
                let a = self.expr(&b.left);
                let c = self.expr(&b.right);
                self.arith(op, a, c, &b.op, span)
            }
            Expr::MethodCall(m) => {
                if let Some(t) = &m.turbofish {
                    return self.error(t, "turbofish is not supported on float methods");
                }
                let args: Vec<&Expr> = std::iter::once(&*m.receiver).chain(&m.args).collect();
                self.method(&m.method, &args, span)
            }
            Expr::Call(c) => {
                let Some(ident) = self.float_fn_path(&c.func) else {
                    return self.error(
                        &c.func,
                        "calls to other functions are not supported yet; call float methods (`x.exp()`, `f64::max(a, b)`)",
                    );
                };
                let args: Vec<&Expr> = c.args.iter().collect();
                self.method(&ident, &args, span)
            }
            Expr::Cast(c) => self.cast(c),
            Expr::Block(b) if b.label.is_none() => self.block(&b.block),
            Expr::Return(r) => {
                self.ret(r);
                self.returned.expect("ret sets it")
            }
            other => self.error(
                other,
                format!("#[grad] does not support {} yet", expr_kind(other)),
            ),
        }
    }

    fn block(&mut self, block: &Block) -> ValueId {
        match self.block_stmts(&block.stmts) {
            Some(v) => v,
            None => match self.returned {
                Some(v) => v,
                None => self.error(block, "block must end with a float expression"),
            },
        }
    }

    fn lit(&mut self, lit: &Lit) -> ValueId {
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
                    Ok(value) => self.func.push(
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
            Lit::Int(i) => self.passive(i.to_token_stream(), Ty::Int, span),
            other => self.error(other, "only float and integer literals are supported"),
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
            return b.value;
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
        self.func.push(Inst::Extern(path), p.span())
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
        match (self.func.ty(v), float_type(ty)) {
            (Ty::Float, Some(f)) if f == self.func.float => v,
            (Ty::Float, _) => self.error(
                ty,
                format!(
                    "#[grad] cannot cast a float to `{}`; keep it `{}`",
                    ty.to_token_stream(),
                    self.func.float.name()
                ),
            ),
            (Ty::Int, Some(f)) if f == self.func.float => {
                let src = self.passive_src(v);
                self.passive(quote!((#src) as #ty), Ty::Float, c.span())
            }
            (Ty::Int, None) if is_constant_type(ty) => {
                let src = self.passive_src(v);
                self.passive(quote!((#src) as #ty), Ty::Int, c.span())
            }
            (Ty::Int, _) => self.error(
                ty,
                format!(
                    "#[grad] expected `{}` or an integer type",
                    self.func.float.name()
                ),
            ),
        }
    }
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
