//! Calls: of functions and methods differentiated through their `_grad`
//! sibling (`g(x)`, `self.g(x)`), of float methods with a derivative rule
//! (`x.exp()`, `f64::max(a, b)`), and `.len()`, `.sum()`, `is_nan()`.

use super::expr::is_self;
use super::{Binding, Lower, View};
use crate::ir::{Arg, CallKind, Callee, Inst, Owner, Piece, Stmt, Ty, ValueId};
use crate::op::Op;
use crate::syntax::ident_name;
use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, quote};
use syn::Expr;
use syn::spanned::Spanned;

impl Lower<'_> {
    // Input: `x.exp()`, `x.len()`, `x.iter().sum::<f64>()`, `x.iter().map(|v| v * v).sum::<f64>()`
    pub(super) fn method_call(&mut self, m: &syn::ExprMethodCall) -> ValueId {
        // `k.min(n - 1)`, `i.pow(2)`, `j.saturating_sub(1)`: integer methods
        // of an integer receiver, passive.
        let name = ident_name(&m.method);
        if INT_METHODS.contains(&name.as_str()) && self.is_int_expr(&m.receiver) {
            let recv = self.int_operand(&m.receiver);
            let mut pieces = self.paren(recv);
            let method = &m.method;
            pieces.push(Piece::Tokens(quote!(.#method)));
            let mut inner = Vec::new();
            for (k, a) in m.args.iter().enumerate() {
                if k > 0 {
                    inner.push(Piece::Tokens(quote!(,)));
                }
                let v = self.int_operand(a);
                inner.extend(self.pieces_of(v));
            }
            pieces.push(Piece::Paren(inner));
            let ty = if name.starts_with("is_") {
                Ty::Bool
            } else {
                Ty::Int
            };
            return self.passive(pieces, ty, m.span());
        }
        if let Some(v) = self.method_chain(m) {
            return v;
        }
        let span = m.span();
        if is_self(&m.receiver) {
            // `self.g(a)`: a method with a derivative `self.g_grad(a)`.
            if let Some(t) = &m.turbofish {
                return self.error(t, "#[grad] does not support turbofish on calls");
            }
            let args: Vec<&Expr> = m.args.iter().collect();
            return self.call(Callee::Method(ident_name(&m.method)), &args, span);
        }
        if m.method == "len" && m.args.is_empty() {
            if self.names_array(&m.receiver)
                && let Some(view) = self.array_view(&m.receiver)
            {
                return self.view_len(&view, span);
            }
            // The length of a constant array (labels, `self.w`, a `const`
            // table): passive.
            let v = match self.table(&m.receiver) {
                Some(table) => table,
                None => self.expr(&m.receiver),
            };
            if self.opaque.contains(&v) || self.func.ty(v) == Ty::Int {
                let mut pieces = self.paren(v);
                pieces.push(Piece::Tokens(quote!(.len())));
                return self.passive(pieces, Ty::Int, span);
            }
            if self.poisoned(&[v]) {
                return self.poison(span);
            }
            return self.error(&m.receiver, "`.len()` of something that is not an array");
        }
        if matches!(m.method.to_string().as_str(), "sum" | "product" | "fold") {
            return self.reduce(m);
        }
        // `x.iter().max_by(|a, b| a.total_cmp(b)).unwrap()`, `.reduce(f64::max).unwrap()`
        if m.method == "unwrap"
            && m.args.is_empty()
            && let Expr::MethodCall(inner) = &*m.receiver
            && matches!(
                inner.method.to_string().as_str(),
                "max_by" | "min_by" | "reduce"
            )
        {
            return self.reduce_first(inner);
        }
        if Op::from_method(&ident_name(&m.method)).is_none()
            && let Some(advice) = rewrite_advice(&ident_name(&m.method))
        {
            return self.error(&m.method, advice);
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

    /// Whether an expression is an integer, judged from its syntax and the
    /// types of the names it reads, without lowering it. A worklist, not
    /// recursion: a long chain or sum does not deepen the stack.
    fn is_int_expr(&self, e: &Expr) -> bool {
        let mut todo = vec![e];
        while let Some(e) = todo.pop() {
            let int = match e {
                Expr::Lit(l) => {
                    matches!(&l.lit, syn::Lit::Int(i) if !matches!(i.suffix(), "f32" | "f64"))
                }
                Expr::Paren(p) => {
                    todo.push(&p.expr);
                    continue;
                }
                Expr::Group(g) => {
                    todo.push(&g.expr);
                    continue;
                }
                Expr::Reference(r) => {
                    todo.push(&r.expr);
                    continue;
                }
                Expr::Unary(u) => {
                    todo.push(&u.expr);
                    continue;
                }
                Expr::Cast(c) => crate::syntax::is_int_type(&c.ty),
                // Either operand decides (both have one type).
                Expr::Binary(b) => {
                    todo.push(&b.left);
                    todo.push(&b.right);
                    continue;
                }
                Expr::MethodCall(m) if m.method == "len" => true,
                Expr::MethodCall(m) if INT_METHODS.contains(&ident_name(&m.method).as_str()) => {
                    todo.push(&m.receiver);
                    continue;
                }
                Expr::Path(p) => p.path.get_ident().is_some_and(|id| {
                    matches!(self.lookup(&ident_name(id)), Some(Binding::Value { value, .. }) if self.func.ty(value) == Ty::Int)
                }),
                _ => false,
            };
            if int {
                return true;
            }
        }
        false
    }

    // Input:  `x.sin().cos().powi(2)`, a chain of float methods
    // Output: `%1 = sin %x`, `%2 = cos %1`, … lowered bottom up in a loop, so a
    //         long chain recurses no deeper (`None` for one method alone)
    fn method_chain(&mut self, m: &syn::ExprMethodCall) -> Option<ValueId> {
        // A float method of the table with its arguments (the receiver is
        // the chain below it, a float).
        let plain = |m: &syn::ExprMethodCall| {
            let op = Op::from_method(&ident_name(&m.method))?;
            let ok = m.turbofish.is_none()
                && !is_self(&m.receiver)
                && m.args.len() + 1 == op.arity()
                && !op.int_args().contains(&0);
            ok.then_some(op)
        };
        let mut spine = vec![(m, plain(m)?)];
        let mut base = &*m.receiver;
        while let Expr::MethodCall(inner) = base
            && let Some(op) = plain(inner)
        {
            spine.push((inner, op));
            base = &inner.receiver;
        }
        if spine.len() < 2 {
            return None;
        }
        // Every method of the chain starts at the base's first token.
        let span = super::expr::first_span(base);
        let mut v = self.float_operand(base);
        for (level, op) in spine.into_iter().rev() {
            let mut args = vec![v];
            for (i, a) in level.args.iter().enumerate() {
                args.push(if op.int_args().contains(&(i + 1)) {
                    self.int_operand(a)
                } else {
                    self.float_operand(a)
                });
            }
            v = self.op(op, args, span);
        }
        Some(v)
    }

    // Input: `g(a, b)`, `path::g(x, &v)`, `Self::g(a)`
    // Output: `%c = call g_grad(%a, %b)`, `%v = %c.0`
    pub(super) fn call_path(&mut self, func: &Expr, args: &[&Expr], span: Span) -> ValueId {
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
            && let Some(b) = self.lookup(&ident_name(name))
        {
            if let Binding::Closure(def) = b {
                return self.inline_closure(&def, args, span);
            }
            if let Binding::Value { value, .. } = b
                && self.poisoned(&[value])
            {
                return value;
            }
            return self.error(
                func,
                "#[grad] does not support calling a local variable (a closure); write a function and mark it #[grad]",
            );
        }
        let mut segments: Vec<String> = Vec::new();
        if path.leading_colon.is_some() {
            segments.push(String::new());
        }
        segments.extend(path.segments.iter().map(|s| ident_name(&s.ident)));
        // The owner of `a::b::g` is `b`: a type when it is `Self` or named in
        // UpperCamelCase (Rust's naming convention for types, which rustc's
        // lints enforce), a module otherwise.
        // (`::g` has no module to glob-import: it is called directly too.)
        // A path starting with `Self` is a type's (`use Self::…` is invalid).
        let owner = match path.segments.iter().rev().nth(1) {
            Some(s)
                if s.ident == "Self" || ident_name(&s.ident).starts_with(char::is_uppercase) =>
            {
                Owner::Type
            }
            None if path.leading_colon.is_some() => Owner::Type,
            // `Self::…` anywhere in front: a type's items, never a module.
            _ if path.segments.first().is_some_and(|s| s.ident == "Self") => Owner::Type,
            _ => Owner::Module,
        };
        self.call(Callee::Path { segments, owner }, args, span)
    }

    /// A call differentiated through the callee's `_grad` function.
    fn call(&mut self, callee: Callee, args: &[&Expr], span: Span) -> ValueId {
        let args = args.iter().map(|a| self.call_arg(a)).collect();
        let c = self.def(
            Inst::Call {
                callee,
                args,
                kind: CallKind::Grad,
            },
            span,
        );
        self.def(Inst::Proj { tuple: c, index: 0 }, span)
    }

    // Input: `x`, `&v`, `&w[j]`, `&w[1..]`, `[x, y]`, `&[x, y]`, `"name"`, `Mode::Fast`
    // Output: an argument: a value, or an array place (a row, a sub-slice)
    /// An argument: a scalar, an array place passed whole (a row, a
    /// sub-slice), an array expression, or a constant of another type passed
    /// through as written (a string, a `char`, a struct built in place).
    fn call_arg(&mut self, e: &Expr) -> Arg {
        let (inner, by_ref) = match e {
            Expr::Reference(r) if r.mutability.is_none() => (&*r.expr, true),
            other => (other, false),
        };
        if let Expr::Array(_) | Expr::Repeat(_) = inner {
            let value = self.array_expr(inner);
            return Arg {
                value,
                prefix: Vec::new(),
                by_ref,
            };
        }
        if self.names_array(inner)
            && let Some(view) = self.array_view(inner)
        {
            let mut prefix = view.prefix.clone();
            if view.range.is_some() {
                // A sub-slice: a reference to a range of the row.
                prefix.push(self.slice_index(&view, inner));
                return Arg {
                    value: view.arr,
                    prefix,
                    by_ref: true,
                };
            }
            return Arg {
                value: view.arr,
                prefix,
                by_ref,
            };
        }
        if let Some(tokens) = self.passed_through(e) {
            let value = self.passive(vec![Piece::Tokens(tokens)], Ty::Int, e.span());
            return Arg {
                value,
                prefix: Vec::new(),
                by_ref: false,
            };
        }
        let value = self.expr(inner);
        let value = self.operand(value);
        let value = self.wide(value, inner.span());
        Arg {
            value,
            prefix: Vec::new(),
            by_ref,
        }
    }

    /// The index of a sub-slice `start..end` as a value that can be used
    /// twice (by the call, and by the reverse sweep that adds the callee's
    /// gradient into that range): `(Bound::Included(start), Bound::Excluded(end))`.
    /// Inside a loop, the bounds must not change in the loop, and the value
    /// is made before the loop, so the reverse sweep reads the same range.
    fn slice_index(&mut self, view: &View, e: &Expr) -> ValueId {
        let span = e.span();
        let (start, end) = view.range.expect("a sub-slice");
        let bound = |l: &Self, v: ValueId, kind: TokenStream| -> Option<Vec<Piece>> {
            let mut inner = vec![Piece::Paren(l.invariant_pieces(v)?)];
            inner.push(Piece::Tokens(quote!(as usize)));
            Some(vec![
                Piece::Tokens(quote!(::core::ops::Bound::#kind)),
                Piece::Paren(inner),
            ])
        };
        let lo = bound(self, start, quote!(Included));
        let hi = match end {
            Some(end) => bound(self, end, quote!(Excluded)),
            None => Some(vec![Piece::Tokens(quote!(::core::ops::Bound::Unbounded))]),
        };
        let (Some(lo), Some(hi)) = (lo, hi) else {
            return self.error(
                e,
                "#[grad] passes a sub-slice to a function only when its bounds do not change inside the loop around the call; pass the whole slice and the bounds (`g(x, a, b)`), or move the call out of the loop",
            );
        };
        let mut pieces = lo;
        pieces.push(Piece::Tokens(quote!(,)));
        pieces.extend(hi);
        let index = self.func.passive.len();
        self.func.passive.push(vec![Piece::Paren(pieces)]);
        let v = self.func.push(Inst::Passive { index, ty: Ty::Int }, span);
        match self.loops.first() {
            Some(outer) => {
                let block = outer.block;
                self.blocks[block].push(Stmt::Def(v));
            }
            None => self.emit(Stmt::Def(v)),
        }
        v
    }

    /// The source of an integer value in terms of values that do not change
    /// inside the loops being lowered (`None` if it changes).
    fn invariant_pieces(&self, v: ValueId) -> Option<Vec<Piece>> {
        let Some(outer) = self.loops.first() else {
            return Some(self.pieces_of(v));
        };
        if v.index() < outer.first_value && !self.mutable.contains(&v) {
            return Some(self.pieces_of(v));
        }
        let Inst::Passive { index, .. } = self.func.inst(v) else {
            return None;
        };
        fn go(l: &Lower, pieces: &[Piece]) -> Option<Vec<Piece>> {
            pieces
                .iter()
                .map(|p| {
                    Some(match p {
                        Piece::Tokens(t) => Piece::Tokens(t.clone()),
                        Piece::Value(w) => Piece::Paren(l.invariant_pieces(*w)?),
                        Piece::Paren(inner) => Piece::Paren(go(l, inner)?),
                        Piece::Bracket(inner) => Piece::Bracket(go(l, inner)?),
                    })
                })
                .collect()
        }
        go(self, &self.func.passive[*index])
    }

    /// An argument of a type other than floats, arrays and integers (a
    /// string or `char` literal, a struct or enum value built in place),
    /// passed through to the derivative as a constant: its tokens, when they
    /// name only constants and integer or `bool` parameters.
    fn passed_through(&mut self, e: &Expr) -> Option<TokenStream> {
        let constant = match e {
            Expr::Lit(l) => !matches!(
                l.lit,
                syn::Lit::Float(_) | syn::Lit::Int(_) | syn::Lit::Bool(_)
            ),
            Expr::Reference(r) => {
                return self.passed_through(&r.expr).map(|_| e.to_token_stream());
            }
            Expr::Paren(p) => {
                return self.passed_through(&p.expr).map(|_| e.to_token_stream());
            }
            Expr::Struct(_) => true,
            // `Point(1, 2)`, `Mode::Fast`: a constructor, in UpperCamelCase.
            Expr::Call(c) => matches!(&*c.func, Expr::Path(p) if camel_case(&p.path)),
            Expr::Path(p) => p.path.segments.len() > 1 && camel_case(&p.path),
            _ => false,
        };
        if !constant {
            return None;
        }
        // Names of local variables do not exist in the generated function.
        struct Names<'l, 'a>(&'l Lower<'a>, Option<syn::Ident>);
        impl<'ast> syn::visit::Visit<'ast> for Names<'_, '_> {
            fn visit_expr_path(&mut self, p: &'ast syn::ExprPath) {
                if let Some(name) = p.path.get_ident()
                    && self.1.is_none()
                    && let Some(b) = self.0.lookup(&ident_name(name))
                    && !matches!(b, Binding::Value { value, .. } if self.0.const_params.contains(&value))
                {
                    self.1 = Some(name.clone());
                }
            }
        }
        let mut names = Names(self, None);
        syn::visit::visit_expr(&mut names, e);
        if let Some(name) = names.1 {
            self.cx.error_spanned_by(
                &name,
                format!(
                    "#[grad] passes this argument to the derivative as a constant, so it can name only constants and integer or `bool` parameters; `{name}` is a variable of the function"
                ),
            );
        }
        Some(e.to_token_stream())
    }

    // Input: `x.exp()`, `f64::max(a, b)` (args include the receiver)
    // Output: `%n = exp %x`
    pub(super) fn method(&mut self, ident: &syn::Ident, args: &[&Expr], span: Span) -> ValueId {
        let name = ident_name(ident);
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
        if args.len() != op.arity() {
            return self.error(
                ident,
                format!(
                    "`{name}` takes {} argument(s) besides the receiver",
                    op.arity() - 1
                ),
            );
        }
        let args = args
            .iter()
            .enumerate()
            .map(|(i, a)| {
                if op.int_args().contains(&i) {
                    self.int_operand(a)
                } else {
                    self.float_operand(a)
                }
            })
            .collect();
        self.op(op, args, span)
    }

    /// `f64::NAME` or `f32::NAME` (the path form of a float method): returns `NAME`.
    pub(super) fn float_fn_path(&mut self, func: &Expr) -> Option<syn::Ident> {
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
}

/// Methods of integers kept as written (the receiver an integer).
const INT_METHODS: &[&str] = &[
    "min",
    "max",
    "abs",
    "pow",
    "clamp",
    "signum",
    "abs_diff",
    "unsigned_abs",
    "saturating_sub",
    "saturating_add",
    "saturating_mul",
    "wrapping_add",
    "wrapping_sub",
    "wrapping_mul",
    "rem_euclid",
    "div_euclid",
    "isqrt",
    "ilog2",
    "ilog10",
    "count_ones",
    "leading_zeros",
    "trailing_zeros",
    "next_power_of_two",
    "is_power_of_two",
];

/// What to write instead of a method that has no rule and is not a float
/// method: iterator adaptors and consumers, `unwrap` away from a reduction.
pub(super) fn rewrite_advice(name: &str) -> Option<String> {
    let advice = match name {
        "map" | "filter" | "filter_map" | "take" | "take_while" | "skip_while" | "step_by"
        | "chain" | "flat_map" | "scan" | "inspect" | "peekable" => format!(
            "#[grad] runs `.{name}(..)` only inside a reduction it knows (`.map(|v| …)` before `.sum()`, `.product()`, `.fold(..)`, `.max_by(..)`); write a `for` loop over the elements instead"
        ),
        "collect" | "to_vec" | "to_owned" | "into" => format!(
            "#[grad] does not build collections with `.{name}()`; declare a local array (`let mut a = [0.0; N];`) and fill it in a `for` loop"
        ),
        "count" | "position" | "any" | "all" | "find" | "last" | "nth" => format!(
            "#[grad] does not support `.{name}` on iterations; compute it with a `for` loop"
        ),
        "max_by_key" | "min_by_key" => format!(
            "floats have no total order for `.{name}(..)`; write `.max_by(|a, b| a.total_cmp(b)).unwrap()` (or `min_by`), or `.fold(f64::NEG_INFINITY, f64::max)`"
        ),
        "unwrap" | "expect" => format!(
            "#[grad] supports `.{name}()` only on `.max_by(..)`, `.min_by(..)` and `.reduce(..)` of an iteration"
        ),
        "clone" | "copied" | "cloned" => format!("floats are `Copy`: drop `.{name}()` here"),
        _ => return None,
    };
    Some(advice)
}

/// Whether the last segment of a path is in UpperCamelCase (a type, a
/// variant or a constructor; constants are in UPPER_CASE).
fn camel_case(path: &syn::Path) -> bool {
    path.segments.last().is_some_and(|s| {
        let name = ident_name(&s.ident);
        name.starts_with(char::is_uppercase) && name.chars().any(char::is_lowercase)
    })
}
