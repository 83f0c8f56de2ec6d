//! Expressions: the dispatch on the kind of expression, unary and binary
//! operators (short-circuiting `&&` and `||`), literals, paths, casts,
//! fields of `self`, and operands with the coercion of constants to
//! integers where one is expected.

use super::{Binding, Form, Lower};
use crate::ir::{Inst, Piece, Stmt, Ty, ValueId};
use crate::op::Op;
use crate::syntax::{float_type, ident_name, is_int_type, path_tokens};
use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, quote};
use syn::spanned::Spanned;
use syn::{BinOp, Block, Expr, Lit, UnOp};

impl Lower<'_> {
    /// Lowers an expression to the value it computes.
    pub(super) fn expr(&mut self, e: &Expr) -> ValueId {
        let span = first_span(e);
        match e {
            Expr::Lit(lit) => self.lit_expr(&lit.lit),
            Expr::Paren(p) => self.expr(&p.expr),
            Expr::Group(g) => self.expr(&g.expr),
            Expr::Path(p) => self.path(p),
            Expr::Unary(u) => match u.op {
                UnOp::Neg(_) => {
                    let a = self.expr(&u.expr);
                    if self.poisoned(&[a]) {
                        return a;
                    }
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
                    if self.poisoned(&[a]) {
                        return a;
                    }
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
            // `&x[i]`, `&n`: a shared reference reads the value, which
            // nothing can change while the reference lives.
            Expr::Reference(r) if r.mutability.is_none() => self.expr(&r.expr),
            Expr::MethodCall(m) => self.method_call(m),
            Expr::Call(c) => {
                let args: Vec<&Expr> = c.args.iter().collect();
                match self.float_fn_path(&c.func) {
                    // `f64::from(k)`: a conversion, as `k as f64`.
                    Some(ident) if ident == "from" && args.len() == 1 => {
                        let cast = syn::ExprCast {
                            attrs: Vec::new(),
                            expr: Box::new(args[0].clone()),
                            as_token: Default::default(),
                            ty: Box::new(float_path_type(&c.func)),
                        };
                        self.cast(&cast)
                    }
                    Some(ident) => self.method(&ident, &args, span),
                    None => self.call_path(&c.func, &args, span),
                }
            }
            Expr::Field(f) => self.field(f),
            Expr::Cast(c) => self.cast(c),
            Expr::Block(b) if b.label.is_none() => self.block(&b.block),
            Expr::If(i) => match self.if_expr(i, true) {
                Some(v) => v,
                None => self.poison(span),
            },
            Expr::Match(m) => match self.match_expr(m, true) {
                Some(v) => v,
                None => self.poison(span),
            },
            Expr::Index(ix) => match self.const_index(ix) {
                Some(v) => v,
                None => self.load(ix),
            },
            // `return`, `break` and `continue` have type `!`: whatever they
            // stand in for raises no error.
            Expr::Return(r) => {
                self.early_return(r);
                self.poison(span)
            }
            Expr::Break(_) | Expr::Continue(_) => {
                self.stmt_expr(e);
                self.poison(span)
            }
            Expr::Loop(l) => self.loop_value(l),
            Expr::While(_) | Expr::ForLoop(_) => self.error(
                e,
                "a `for` or `while` loop has no value; use `loop { … break value; }`, or assign to a variable declared before the loop",
            ),
            other => self.error(
                other,
                format!("#[grad] does not support {}", expr_kind(other)),
            ),
        }
    }

    fn binary(&mut self, b: &syn::ExprBinary) -> ValueId {
        let span = first_span(&b.left);
        // `a + return b`, `i < continue`: an operand that never has a value.
        for side in [&b.left, &b.right] {
            let mut e = &**side;
            while let Expr::Paren(p) = e {
                e = &p.expr;
            }
            let kw = match e {
                Expr::Return(_) => "return",
                Expr::Break(_) => "break",
                Expr::Continue(_) => "continue",
                _ => continue,
            };
            return self.error(
                e,
                format!("`{kw}` as an operand never gives the operator a value; write it as a statement (`if … {{ {kw} …; }}`)"),
            );
        }
        let op = match b.op {
            BinOp::Add(_) => Op::Add,
            BinOp::Sub(_) => Op::Sub,
            BinOp::Mul(_) => Op::Mul,
            BinOp::Div(_) => Op::Div,
            BinOp::Rem(_) => {
                let a = self.expr(&b.left);
                let c = self.expr(&b.right);
                self.unify_constants(a, c);
                if self.poisoned(&[a, c]) {
                    return self.poison(span);
                }
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
                if self.poisoned(&[a, c]) {
                    return self.poison(span);
                }
                let (ta, tc) = (self.func.ty(a), self.func.ty(c));
                if ta != tc || !matches!(ta, Ty::Float | Ty::Int | Ty::Bool) {
                    return self.error(b, "comparison of values of different types");
                }
                // `y < 0.1` with `y: f32` compares with `0.1f32`.
                let (mut a, mut c) = (a, c);
                match (self.narrow.contains(&a), self.narrow.contains(&c)) {
                    (true, false) => match self.as_f32_beside(c, span) {
                        Some(n) => c = n,
                        None => return self.wide(a, span),
                    },
                    (false, true) => match self.as_f32_beside(a, span) {
                        Some(n) => a = n,
                        None => return self.wide(c, span),
                    },
                    _ => {}
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
        // The left spine of arithmetic operators (`a + b - c` is `(a + b) - c`),
        // lowered bottom up in a loop: a long sum recurses no deeper.
        let mut spine = vec![(b, op)];
        let mut base = &*b.left;
        while let Expr::Binary(inner) = base
            && let Some(op) = arith_op(&inner.op)
        {
            spine.push((inner, op));
            base = &inner.left;
        }
        let mut a = self.expr(base);
        for (level, op) in spine.into_iter().rev() {
            let c = self.expr(&level.right);
            a = self.arith(op, a, c, &level.op, span);
        }
        a
    }

    /// `a && b`, `a || b`, short-circuiting: `b` is evaluated only if needed.
    fn logic(&mut self, b: &syn::ExprBinary) -> ValueId {
        let and = matches!(b.op, BinOp::And(_));
        let a = self.cond(&b.left);
        self.short_circuit(Some(a), and, |l| l.cond(&b.right), b.span())
    }

    /// `a && rhs` (`and`) or `a || rhs`, where `rhs` lowers the right-hand
    /// condition and runs only if needed; just `rhs` when `a` is `None`.
    pub(super) fn short_circuit(
        &mut self,
        a: Option<ValueId>,
        and: bool,
        rhs: impl FnOnce(&mut Self) -> ValueId,
        span: Span,
    ) -> ValueId {
        let Some(a) = a else { return rhs(self) };
        let mut value = None;
        let block = self.in_block(|l| value = Some(rhs(l)));
        let rhs = value.expect("set above");
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
                // `0.1f32` in an `f64` function: an `f32` value.
                let narrow = f.suffix() == "f32" && self.mixed_precision();
                let suffix_ok = match f.suffix() {
                    "" => true,
                    _ if narrow => true,
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
                    Ok(_) if narrow => {
                        let value = f.base10_parse::<f32>().map_or(f64::NAN, f64::from);
                        let v = self.def(crate::ir::lit_inst(value), span);
                        self.narrow.insert(v);
                        v
                    }
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
            // `2f64` is an integer token with a float suffix: a float literal.
            Lit::Int(i) if matches!(i.suffix(), "f32" | "f64") => {
                let float =
                    syn::LitFloat::new(&format!("{}.0{}", i.base10_digits(), i.suffix()), span);
                self.lit_expr(&Lit::Float(float))
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
            && let Some(b) = self.lookup(&ident_name(ident))
        {
            return match b {
                Binding::Value { value, .. } => value,
                Binding::View { .. } => {
                    self.error(p, "#[grad] needs a float here; index the row (`row[j]`)")
                }
                Binding::Closure(_) => self.error(
                    p,
                    "#[grad] inlines a closure where it is called (`sq(a)`); it cannot be passed on as a value",
                ),
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
        path.extend(p.path.segments.iter().map(|s| ident_name(&s.ident)));
        self.def(Inst::Extern(path), p.span())
    }

    /// `self.w`: a field of the receiver, a constant of unknown type (used as
    /// a float, or as an integer where one is expected).
    fn field(&mut self, f: &syn::ExprField) -> ValueId {
        if !self.is_const_root(&f.base) {
            return self.error(
                f,
                "#[grad] supports field access only on `self` (its fields are constants)",
            );
        }
        self.opaque_value(vec![Piece::Tokens(f.to_token_stream())], f.span())
    }

    // Input: `x as f64` (identity), `n as f64` (passive), `(n - 1) as i32` (passive),
    //        `x as usize` (passive: no gradient)
    fn cast(&mut self, c: &syn::ExprCast) -> ValueId {
        let v = self.expr(&c.expr);
        let ty = &*c.ty;
        let span = c.span();
        let target_float = float_type(ty);
        // `N as f64` of a constant of unknown type: keep the cast in the source.
        if let Inst::Extern(path) = self.func.inst(v) {
            let path = path_tokens(path, self.func.span(v));
            let mut pieces = vec![Piece::Paren(vec![Piece::Tokens(path)])];
            if target_float == Some(crate::ir::Float::F32) && self.mixed_precision() {
                // `K as f32` in an `f64` function: an `f32`, held as an `f64`.
                pieces.push(Piece::Tokens(quote!(as f32 as f64)));
                let n = self.passive(pieces, Ty::Float, span);
                self.narrow.insert(n);
                return n;
            }
            pieces.push(Piece::Tokens(quote!(as #ty)));
            let t = if target_float.is_some() {
                Ty::Float
            } else {
                Ty::Int
            };
            return self.passive(pieces, t, span);
        }
        if self.poisoned(&[v]) {
            return self.poison(span);
        }
        // `j as f64` of a constant of unknown type (`self.n`, a table's
        // element, which may be an integer): the cast kept in the source.
        if self.opaque.contains(&v) && (target_float.is_some() || is_int_type(ty)) {
            let mut pieces = self.paren(v);
            let narrow = target_float == Some(crate::ir::Float::F32) && self.mixed_precision();
            let (t, ty_tokens) = match target_float {
                Some(_) if narrow => (Ty::Float, quote!(as f32 as f64)),
                Some(_) => (Ty::Float, quote!(as #ty)),
                None => (Ty::Int, quote!(as #ty)),
            };
            pieces.push(Piece::Tokens(ty_tokens));
            let out = self.passive(pieces, t, span);
            if narrow {
                self.narrow.insert(out);
            }
            return out;
        }
        match (self.func.ty(v), target_float) {
            // `y as f64` of an `f32` value: the same number, an `f64` again.
            (Ty::Float, Some(f)) if f == self.func.float && self.narrow.contains(&v) => {
                self.widen(v, span)
            }
            (Ty::Float, Some(f)) if f == self.func.float => v,
            // `x as f32` in an `f64` function: rounded, then an `f32` value.
            (Ty::Float, Some(crate::ir::Float::F32)) if self.mixed_precision() => {
                let v = self.operand(v);
                match self.as_f32_beside(v, span) {
                    // A literal or a constant: rounded as written.
                    Some(n) if !matches!(self.func.inst(v), Inst::Op { .. } | Inst::Copy(_)) => n,
                    _ => self.round_f32(v, span),
                }
            }
            // `x as i32`, `(b * b) as usize`: an integer, a constant of the
            // derivative (zero gradient).
            (Ty::Float, None) if is_int_type(ty) => {
                if self.form == Form::Straight {
                    // Its source names a float value: structured code only.
                    self.restart = true;
                    return self.poison(span);
                }
                let mut pieces = self.paren(v);
                pieces.push(Piece::Tokens(quote!(as #ty)));
                self.passive(pieces, Ty::Int, span)
            }
            (Ty::Float, _) => self.error(
                ty,
                format!(
                    "#[grad] cannot cast a float to `{}` in an `{}` function (an `f64` function can hold `f32` values, not the other way round)",
                    ty.to_token_stream(),
                    self.func.float.name()
                ),
            ),
            // `n as f32` in an `f64` function.
            (Ty::Int | Ty::Bool, Some(crate::ir::Float::F32)) if self.mixed_precision() => {
                let mut pieces = self.paren(v);
                if self.func.ty(v) == Ty::Bool {
                    // `f32::from(b)`: through an integer (`b as f32` is invalid).
                    pieces.push(Piece::Tokens(quote!(as u8)));
                }
                pieces.push(Piece::Tokens(quote!(as f32 as f64)));
                let n = self.passive(pieces, Ty::Float, span);
                self.narrow.insert(n);
                n
            }
            (Ty::Int | Ty::Bool, Some(f)) if f == self.func.float => {
                let mut pieces = self.paren(v);
                if self.func.ty(v) == Ty::Bool {
                    // `f64::from(b)`: through an integer (`b as f64` is invalid).
                    pieces.push(Piece::Tokens(quote!(as u8)));
                }
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

    /// `a op b` on two values: a float operation, or a passive integer one.
    pub(super) fn arith(
        &mut self,
        op: Op,
        a: ValueId,
        b: ValueId,
        token: &BinOp,
        span: Span,
    ) -> ValueId {
        self.unify_constants(a, b);
        if self.poisoned(&[a, b]) {
            return self.poison(span);
        }
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
    pub(super) fn float_operand(&mut self, e: &Expr) -> ValueId {
        let v = self.expr(e);
        match self.func.ty(v) {
            _ if self.poisoned(&[v]) => v,
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

    /// Lowers an expression that must be an integer.
    pub(super) fn int_operand(&mut self, e: &Expr) -> ValueId {
        let v = self.expr(e);
        if !self.coerce_int(v) && !self.poisoned(&[v]) {
            return self.error(e, "expected an integer here, found a float");
        }
        // A constant of unknown type (`self.idx[k]`, `PICK[k]`) becomes a
        // value defined here, which the reverse sweep can read again.
        self.operand(v)
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
        let tokens: TokenStream = path_tokens(path, self.func.span(v));
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

    /// A constant of unknown type, defined only once a float operation uses it.
    pub(super) fn opaque_value(&mut self, pieces: Vec<Piece>, span: Span) -> ValueId {
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
    pub(super) fn operand(&mut self, v: ValueId) -> ValueId {
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
}

/// `f64` of the path `f64::from`.
fn float_path_type(func: &Expr) -> syn::Type {
    match func {
        Expr::Path(p) => {
            let ty = &p.path.segments[0].ident;
            syn::parse_quote!(#ty)
        }
        _ => syn::parse_quote!(f64),
    }
}

/// The name of an expression kind, for error messages.
fn expr_kind(e: &Expr) -> &'static str {
    match e {
        Expr::Array(_) | Expr::Repeat(_) => "array expressions here",
        Expr::Assign(_) => "assignments in expression position",
        Expr::Async(_) => "`async` blocks",
        Expr::Await(_) => "`.await`",
        Expr::Closure(_) => {
            "closures here; bind the closure to a name (`let f = |v| …;`) and call it, or write it in place in `.map(..)` or `.fold(..)`"
        }
        Expr::Const(_) => "`const` blocks",
        Expr::Field(_) => "field access",
        Expr::Let(_) => "`let` expressions (`if let`, `while let`)",
        Expr::Macro(_) => {
            "macros used as values (`assert!` and `println!` are kept as statements); compute the value without a macro"
        }
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

/// Whether `e` is `self`.
impl Lower<'_> {
    /// Whether `e` is `self` (whose fields are constants without
    /// `wrt(self)`) or a field of it (`self.a` in `self.a.b`).
    pub(super) fn is_const_root(&self, e: &Expr) -> bool {
        match e {
            Expr::Field(f) => self.is_const_root(&f.base),
            Expr::Path(p) if p.qself.is_none() => p.path.get_ident().is_some_and(|id| id == "self"),
            _ => false,
        }
    }
}

pub(super) fn is_self(e: &Expr) -> bool {
    matches!(e, Expr::Path(p) if p.qself.is_none() && p.path.is_ident("self"))
}

/// The tokens of a constant's path (`::std::f64::consts::PI`).
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

/// The operation of an arithmetic operator.
fn arith_op(op: &BinOp) -> Option<Op> {
    match op {
        BinOp::Add(_) => Some(Op::Add),
        BinOp::Sub(_) => Some(Op::Sub),
        BinOp::Mul(_) => Some(Op::Mul),
        BinOp::Div(_) => Some(Op::Div),
        _ => None,
    }
}

/// The span of an expression's first token, found by walking down its left
/// edge: syn's `span()` prints the whole expression to find it (quadratic on
/// long chains), and on stable Rust it is the first token's span anyway.
pub(super) fn first_span(mut e: &Expr) -> Span {
    loop {
        e = match e {
            Expr::Binary(b) => &b.left,
            Expr::MethodCall(m) => &m.receiver,
            Expr::Field(f) => &f.base,
            Expr::Index(i) => &i.expr,
            Expr::Cast(c) => &c.expr,
            Expr::Call(c) => &c.func,
            Expr::Try(t) => &t.expr,
            Expr::Paren(p) => return p.paren_token.span.open(),
            Expr::Array(a) => return a.bracket_token.span.open(),
            Expr::Block(b) if b.label.is_none() => return b.block.brace_token.span.open(),
            Expr::If(i) => return i.if_token.span,
            other => return other.span(),
        };
    }
}
