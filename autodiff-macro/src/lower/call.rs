//! Calls: of functions and methods differentiated through their `_grad`
//! sibling (`g(x)`, `self.g(x)`), of float methods with a derivative rule
//! (`x.exp()`, `f64::max(a, b)`), and `.len()`, `.sum()`, `is_nan()`.

use super::expr::is_self;
use super::{Binding, Lower};
use crate::ast::ident_name;
use crate::ir::{Arg, Callee, Inst, Owner, Piece, Ty, ValueId};
use crate::op::Op;
use proc_macro2::Span;
use quote::quote;
use syn::Expr;
use syn::spanned::Spanned;

impl Lower<'_> {
    // Input: `x.exp()`, `x.len()`, `x.iter().sum::<f64>()`, `x.iter().map(|v| v * v).sum::<f64>()`
    pub(super) fn method_call(&mut self, m: &syn::ExprMethodCall) -> ValueId {
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
            && self.lookup(&ident_name(name)).is_some()
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
        segments.extend(path.segments.iter().map(|s| ident_name(&s.ident)));
        // The owner of `a::b::g` is `b`: a type when it is `Self` or named in
        // UpperCamelCase (Rust's naming convention for types, which rustc's
        // lints enforce), a module otherwise.
        // (`::g` has no module to glob-import: it is called directly too.)
        let owner = match path.segments.iter().rev().nth(1) {
            Some(s)
                if s.ident == "Self" || ident_name(&s.ident).starts_with(char::is_uppercase) =>
            {
                Owner::Type
            }
            None if path.leading_colon.is_some() => Owner::Type,
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
                    .is_some_and(|name| match self.lookup(&ident_name(name)) {
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
