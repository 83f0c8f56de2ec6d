//! Functions with several float outputs (`-> [T; M]`, `-> (T, T, …)`):
//! `f_vjp` and `f_jacobian`.
//!
//! The macro writes one scalar function beside `f`, `__ad_weighted_f(…, w)
//! = Σₖ w[k] · y[k]`: `f`'s body with its last expression bound to `y`. Its
//! gradient, by the whole ordinary pipeline, is the vector-Jacobian product
//! `wᵀJ` for each parameter, and, in the slot of `w`, `y` itself (the value
//! of `f`, from the same forward pass). `f_vjp(…, w)` is one call of it;
//! `f_jacobian(…)` makes one reverse sweep per output (`w` the `k`-th unit
//! vector gives row `k`), which suits the usual few outputs of many inputs.

use crate::args::Args;
use crate::ast::{Sig, float_type};
use crate::codegen::sibling_fn;
use crate::ctxt::Ctxt;
use crate::ir::Float;
use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, format_ident, quote};
use syn::visit::Visit;
use syn::{Expr, ItemFn, ReturnType, Type};

/// The outputs of a vector-valued function.
pub enum Output {
    /// `[T; M]`.
    Array { float: Float, len: TokenStream },
    /// `(T, T, …)`, `n` of them.
    Tuple { float: Float, n: usize },
}

impl Output {
    fn float(&self) -> Float {
        match self {
            Output::Array { float, .. } | Output::Tuple { float, .. } => *float,
        }
    }

    /// The number of outputs, as an expression.
    fn len(&self) -> TokenStream {
        match self {
            Output::Array { len, .. } => len.clone(),
            Output::Tuple { n, .. } => {
                let n = proc_macro2::Literal::usize_unsuffixed(*n);
                quote!(#n)
            }
        }
    }
}

/// The outputs, if `item` returns an array or a tuple of floats.
pub fn output(item: &ItemFn) -> Option<Output> {
    let ReturnType::Type(_, ty) = &item.sig.output else {
        return None;
    };
    match &**ty {
        Type::Array(a) => float_type(&a.elem).map(|float| Output::Array {
            float,
            len: a.len.to_token_stream(),
        }),
        Type::Tuple(t) if t.elems.len() >= 2 => {
            let float = float_type(&t.elems[0])?;
            t.elems
                .iter()
                .all(|e| float_type(e) == Some(float))
                .then_some(Output::Tuple {
                    float,
                    n: t.elems.len(),
                })
        }
        _ => None,
    }
}

// Input:  `#[grad] fn f(x: [f64; 2]) -> [f64; 2] { [x[0] * x[1], x[0].sin()] }`
// Output: `f`, `__ad_weighted_f(x, __ad_w) -> f64` with its `_grad`, and
//         `f_vjp(x, w) -> ([f64; 2], [f64; 2])`, `f_jacobian(x) -> ([f64; 2], [[f64; 2]; 2])`
pub fn expand(args: TokenStream, item: ItemFn, out: Output) -> TokenStream {
    let cx = Ctxt::default();
    let mut args = match syn::parse2::<Args>(args) {
        Ok(a) => a,
        Err(e) => return crate::fallback::expand(item.to_token_stream(), e),
    };
    for (name, given) in [
        ("graph", &args.graph),
        ("forward", &args.forward),
        ("hessian", &args.hessian),
    ] {
        if let Some(id) = given {
            cx.error_spanned_by(
                id,
                format!("`{name}` is not supported for a function returning an array or a tuple; #[grad] gives it `f_vjp` and `f_jacobian`"),
            );
        }
    }
    if let Some(r) = item.sig.receiver() {
        cx.error_spanned_by(
            r,
            "#[grad] on a method returning an array or a tuple is not supported; write a free function",
        );
    }
    let mut stmts = item.block.stmts.clone();
    let tail = match stmts.pop() {
        Some(syn::Stmt::Expr(e, None)) => Some(e),
        _ => None,
    };
    let Some(tail) = tail else {
        cx.error_spanned_by(
            &item.block,
            "#[grad] needs the outputs of this function as its last expression (`[a, b]`, `(a, b)` or a local array)",
        );
        return errors(cx, item);
    };
    if let Some(r) = early_return(&item.block) {
        cx.error_spanned_by(
            r,
            "#[grad] does not support `return` in a function returning an array or a tuple; make the outputs the last expression",
        );
    }
    let y = match (&out, &tail) {
        (Output::Tuple { n, .. }, Expr::Tuple(t)) if t.elems.len() == *n => {
            let e = t.elems.iter();
            quote!([#(#e),*])
        }
        (Output::Tuple { .. }, other) => {
            cx.error_spanned_by(
                other,
                "#[grad] needs the tuple written out as the last expression: `(a, b)`",
            );
            quote!(#other)
        }
        (Output::Array { .. }, e) => quote!(#e),
    };
    let float = format_ident!("{}", out.float().name());
    let m = out.len();
    let w = format_ident!("__ad_w", span = Span::mixed_site());
    let weighted = format_ident!("__ad_weighted_{}", item.sig.ident);
    // The scalar function: `f`'s body, then the weighted sum of its outputs.
    let mut helper = item.clone();
    helper.sig.ident = weighted.clone();
    helper.sig.output = syn::parse_quote!(-> #float);
    helper.sig.inputs.push(syn::parse_quote!(#w: [#float; #m]));
    helper.attrs.retain(|a| a.path().is_ident("cfg"));
    let (ys, s, k) = (
        format_ident!("__ad_y", span = Span::mixed_site()),
        format_ident!("__ad_s", span = Span::mixed_site()),
        format_ident!("__ad_k", span = Span::mixed_site()),
    );
    *helper.block = syn::parse_quote!({
        #(#stmts)*
        let #ys = #y;
        let mut #s: #float = 0.0;
        for #k in 0..#m {
            #s += #w[#k] * #ys[#k];
        }
        #s
    });
    // `w` is differentiated too: its gradient is the outputs.
    if let Some(list) = &mut args.wrt {
        list.push(w.clone());
    }
    if let Err(e) = cx.check() {
        return crate::fallback::expand(item.to_token_stream(), e);
    }
    let (helper_out, ok) = crate::expand::expand_checked(&args, &helper);
    let hidden = quote! {
        #[doc(hidden)]
        #[allow(dead_code, non_snake_case, clippy::all)]
        #helper_out
    };
    let cx = Ctxt::default();
    let Some(sig) = Sig::from_syn(&cx, &helper, &args) else {
        return quote!(#item #hidden);
    };
    let mut params = sig.params;
    params.pop();
    let sig = Sig {
        item: &item,
        float: sig.float,
        params,
        receiver: None,
    };
    let names: Vec<&syn::Ident> = sig.params.iter().map(|p| &p.ident).collect();
    let slots: Vec<TokenStream> = sig
        .params
        .iter()
        .filter(|p| p.wrt)
        .map(|p| match &p.array {
            Some(a) => a.grad_ty.clone(),
            None => quote!(#float),
        })
        .collect();
    let ret_ty = match &item.sig.output {
        ReturnType::Type(_, t) => t.to_token_stream(),
        ReturnType::Default => quote!(()),
    };
    let grad = format_ident!("{}_grad", weighted);
    let name = &item.sig.ident;
    let g: Vec<syn::Ident> = (0..slots.len())
        .map(|i| format_ident!("__ad_g{}", i, span = Span::mixed_site()))
        .collect();
    let value = format_ident!("__ad_value", span = Span::mixed_site());
    // The outputs as `f` returns them, from the array `__ad_value`.
    let as_output = match &out {
        Output::Array { .. } => quote!(#value),
        Output::Tuple { n, .. } => {
            let i = (0..*n).map(syn::Index::from);
            quote!((#(#value[#i]),*))
        }
    };
    let (w_ty, w_array) = match &out {
        Output::Array { .. } => (quote!([#float; #m]), quote!(cotangent)),
        Output::Tuple { n, .. } => {
            let i = (0..*n).map(syn::Index::from);
            (ret_ty.clone(), quote!([#(cotangent.#i),*]))
        }
    };
    let stand_in = quote!(::core::unimplemented!(
        "#[grad] reported errors for this function; fix them to get its derivatives"
    ));
    let vjp_body = if ok {
        quote! {
            let (_, #(#g,)* #value) = #grad(#(#names,)* #w_array);
            (#as_output, #(#g),*)
        }
    } else {
        stand_in.clone()
    };
    let vjp_doc = format!(
        "`{name}`'s value and the vector-Jacobian product `wᵀJ` with the cotangent `w` (one slot per differentiated parameter, of its gradient type), by one reverse sweep. Generated by `#[grad]`."
    );
    let vjp = sibling_fn(
        &sig,
        &format_ident!("{}_vjp", name),
        &vjp_doc,
        &[quote!(cotangent: #w_ty)],
        quote!((#ret_ty, #(#slots),*)),
        vjp_body,
    );
    let rows = format_ident!("__ad_rows", span = Span::mixed_site());
    let unit = format_ident!("__ad_unit", span = Span::mixed_site());
    let jac_body = if ok {
        let idx = (1..=slots.len()).map(syn::Index::from);
        let last = syn::Index::from(slots.len() + 1);
        quote! {
            let #rows: [(#float, #(#slots,)* [#float; #m]); #m] =
                ::core::array::from_fn(|#k| {
                    let mut #unit = [0.0 as #float; #m];
                    #unit[#k] = 1.0;
                    #grad(#(#names,)* #unit)
                });
            let #value: [#float; #m] = match #rows.first() {
                ::core::option::Option::Some(r) => r.#last,
                ::core::option::Option::None => [0.0; #m],
            };
            (#as_output, #(::core::array::from_fn(|#k| #rows[#k].#idx.clone())),*)
        }
    } else {
        stand_in
    };
    let jac_doc = format!(
        "`{name}`'s value and its Jacobian: for each differentiated parameter, an array of one row per output (row `k` is output `k`'s gradient, of the parameter's gradient type), by one reverse sweep per output. Generated by `#[grad]`."
    );
    let jac = sibling_fn(
        &sig,
        &format_ident!("{}_jacobian", name),
        &jac_doc,
        &[],
        quote!((#ret_ty, #([#slots; #m]),*)),
        jac_body,
    );
    quote! {
        #item
        #hidden
        #vjp
        #jac
    }
}

/// The user's function and the errors.
fn errors(cx: Ctxt, item: ItemFn) -> TokenStream {
    match cx.check() {
        Err(e) => crate::fallback::expand(item.to_token_stream(), e),
        Ok(()) => item.to_token_stream(),
    }
}

/// A `return` in the body (closures' own excluded).
fn early_return(block: &syn::Block) -> Option<&syn::ExprReturn> {
    struct Scan<'a>(Option<&'a syn::ExprReturn>);
    impl<'ast> Visit<'ast> for Scan<'ast> {
        fn visit_expr_return(&mut self, r: &'ast syn::ExprReturn) {
            self.0.get_or_insert(r);
        }
        fn visit_expr_closure(&mut self, _: &'ast syn::ExprClosure) {}
    }
    let mut s = Scan(None);
    s.visit_block(block);
    s.0
}
