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
use crate::ast::Sig;
use crate::codegen::sibling_fn;
use crate::codegen::signature::{self, VectorFn};
use crate::ctxt::Ctxt;
use crate::expansion::{Expansion, GeneratedFn};
use crate::ir::Float;
use crate::syntax::float_type;
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

    /// The number of outputs, as an expression (in parentheses unless it
    /// is a literal or a path: in `0..#len { … }` a length such as `return`
    /// would take the loop's block as its own).
    fn len(&self) -> TokenStream {
        match self {
            Output::Array { len, .. } => match syn::parse2::<Expr>(len.clone()) {
                Ok(Expr::Lit(_) | Expr::Path(_)) => len.clone(),
                _ => quote!((#len)),
            },
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
pub fn expand(args: TokenStream, item: &ItemFn, out: Output) -> Expansion {
    let mut args = match syn::parse2::<Args>(args) {
        Ok(a) => a,
        Err(e) => return Expansion::failed(e),
    };
    let cx = Ctxt::default();
    for (name, given) in [("graph", &args.graph), ("hessian", &args.hessian)] {
        if let Some(id) = given {
            cx.error_spanned_by(
                id,
                format!("`{name}` is not supported for a function returning an array or a tuple; #[grad] gives it `f_vjp` and `f_jacobian` (and `f_jvp` with `forward`)"),
            );
        }
    }
    // The weighted helper needs only `_grad`; forward mode is written from
    // a function of its own below.
    let forward_mode = args.forward.take().is_some();
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
        return errors(cx);
    };
    let has_return = early_return(&item.block).is_some();
    let y = as_array(&cx, &out, &tail, "last expression");
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
    let (ys, s, k, r) = (
        format_ident!("__ad_y", span = Span::mixed_site()),
        format_ident!("__ad_s", span = Span::mixed_site()),
        format_ident!("__ad_k", span = Span::mixed_site()),
        format_ident!("__ad_r", span = Span::mixed_site()),
    );
    let weighted_sum = quote!(#w.iter().zip(#ys.iter()).map(|(a, b)| a * b).sum::<#float>());
    *helper.block = if has_return {
        // Every exit copies its outputs into `__ad_y` and returns the sum.
        let body = with_returns(&cx, &out, &stmts, &ys, &float, &m, &weighted_sum);
        syn::parse_quote!({
            let mut #ys: [#float; #m] = [0.0; #m];
            #(#body)*
            let #r: [#float; #m] = #y;
            for #k in 0..#m {
                #ys[#k] = #r[#k];
            }
            #weighted_sum
        })
    } else {
        syn::parse_quote!({
            #(#stmts)*
            let #ys = #y;
            let mut #s: #float = 0.0;
            for #k in 0..#m {
                #s += #w[#k] * #ys[#k];
            }
            #s
        })
    };
    let outputs_args = args.clone();
    // `w` is differentiated too: its gradient is the outputs.
    if let Some(list) = &mut args.wrt {
        list.push(w.clone());
    }
    if let Err(e) = cx.check() {
        return Expansion::failed(e);
    }
    // The helper's signature, validated once: for its own expansion (it has
    // no struct parameters to rewrite) and for `f_vjp`'s and `f_jacobian`'s.
    let cx = Ctxt::default();
    let helper_sig = Sig::from_syn(&cx, &helper, &args, &[]);
    let helper_expansion = match &helper_sig {
        Some(sig) => {
            let stand_ins = cx.error_count() == 0;
            crate::expand::expand_sig(cx, sig, &args, stand_ins)
        }
        None => Expansion::failed(
            cx.check()
                .expect_err("a signature that failed validation recorded an error"),
        ),
    };
    let ok = !helper_expansion.has_errors();
    // The helper itself, hidden, then what it expanded to.
    let cfg = &helper.attrs;
    let helper_stmts = &helper.block.stmts;
    let mut fns = vec![GeneratedFn {
        attrs: quote! {
            #[doc(hidden)]
            #[allow(dead_code, non_snake_case, clippy::all)]
            #(#cfg)*
        },
        vis: helper.vis.clone(),
        sig: helper.sig.clone(),
        body: quote!(#(#helper_stmts)*),
    }];
    fns.extend(helper_expansion.fns);
    let hidden = Expansion {
        fns,
        errors: helper_expansion.errors,
        ..Expansion::default()
    };
    let Some(helper_sig) = helper_sig else {
        return hidden;
    };
    let mut params = helper_sig.params;
    params.pop();
    let sig = Sig {
        item,
        float: helper_sig.float,
        params,
        receiver: None,
        self_grad: false,
        fields: &[],
    };
    // Forward mode: `f`'s body as a scalar function whose array `__ad_y`
    // holds the outputs; the tangent of that array is `J·d`.
    let mut outputs_fn = item.clone();
    outputs_fn.sig.output = syn::parse_quote!(-> #float);
    *outputs_fn.block = if has_return {
        let first = quote!(#ys[0]);
        // The same rewrite as the helper's, whose errors were checked.
        let cx = Ctxt::default();
        let body = with_returns(&cx, &out, &stmts, &ys, &float, &m, &first);
        cx.check()
            .expect("the helper's rewrite of the same body reported no error");
        syn::parse_quote!({
            let mut #ys: [#float; #m] = [0.0; #m];
            #(#body)*
            let #r: [#float; #m] = #y;
            for #k in 0..#m {
                #ys[#k] = #r[#k];
            }
            #ys[0]
        })
    } else {
        syn::parse_quote!({
            #(#stmts)*
            let #ys = #y;
            #ys[0]
        })
    };
    let names: Vec<&syn::Ident> = sig.params.iter().map(|p| &p.ident).collect();
    let slots: Vec<TokenStream> = signature::grad_types(&sig);
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
    let shape = |which| signature::vector_shape(&sig, which, &ret_ty, &w_ty, &m);
    let vjp = sibling_fn(&sig, shape(VectorFn::Vjp), &vjp_doc, vjp_body);
    // `f_jvp` (with `forward`): the outputs and `J·d` by one forward pass.
    let to_output = |v: TokenStream| match &out {
        Output::Array { .. } => v,
        Output::Tuple { n, .. } => {
            let i = (0..*n).map(syn::Index::from);
            quote!((#(#v[#i]),*))
        }
    };
    let jvp = if forward_mode && ok {
        let cx = Ctxt::default();
        let fsig = Sig::from_syn(&cx, &outputs_fn, &outputs_args, &[]);
        // Lowering says which value is the outputs array: the one `ys`
        // holds at the end of the body.
        let lowered = fsig
            .as_ref()
            .map(|s| crate::lower::lower_outputs(&cx, s, &ys));
        match (fsig, lowered, cx.check()) {
            (Some(fsig), Some((func, Some(y))), Ok(())) => {
                let shape = signature::vector_shape(&fsig, VectorFn::Jvp, &ret_ty, &w_ty, &m);
                Some(crate::forward::outputs_jvp_fn(
                    &fsig, shape, &func, y, &to_output,
                ))
            }
            (.., Err(e)) => return hidden.with_errors(e),
            // The weighted helper reported every error of the body.
            _ => None,
        }
    } else {
        None
    };
    let rows = format_ident!("__ad_rows", span = Span::mixed_site());
    let unit = format_ident!("__ad_unit", span = Span::mixed_site());
    // One forward pass per input slot, when `f_jvp` exists, every
    // differentiated parameter has a fixed size, and there are fewer input
    // slots than outputs (a constant condition the compiler folds).
    let wrt: Vec<&crate::ast::Param> = sig.params.iter().filter(|p| p.wrt).collect();
    let by_input = (jvp.is_some()
        && wrt
            .iter()
            .all(|p| !p.array.as_ref().is_some_and(|a| a.dynamic)))
    .then(|| by_input(&sig, &wrt, &slots, &float, &m, &out, name, &names));
    let jac_body = if ok {
        let fresh = fresh_clones(&sig);
        let idx = (1..=slots.len()).map(syn::Index::from);
        let last = syn::Index::from(slots.len() + 1);
        let by_output = quote! {
            let #rows: [(#float, #(#slots,)* [#float; #m]); #m] =
                ::core::array::from_fn(|#k| {
                    #(#fresh)*
                    let mut #unit = [0.0 as #float; #m];
                    #unit[#k] = 1.0;
                    #grad(#(#names,)* #unit)
                });
            let #value: [#float; #m] = match #rows.first() {
                ::core::option::Option::Some(r) => r.#last,
                ::core::option::Option::None => [0.0; #m],
            };
            (#as_output, #(::core::array::from_fn(|#k| #rows[#k].#idx.clone())),*)
        };
        match by_input {
            Some((inputs, code)) => quote! {
                if #inputs < #m {
                    #code
                } else {
                    #by_output
                }
            },
            None => by_output,
        }
    } else {
        stand_in
    };
    let jac_doc = format!(
        "`{name}`'s value and its Jacobian: for each differentiated parameter, an array of one row per output (row `k` is output `k`'s gradient, of the parameter's gradient type), by one reverse sweep per output{}. Generated by `#[grad]`.",
        if jvp.is_some() {
            ", or by one forward pass (`f_jvp`) per input float when there are fewer of those than outputs and no parameter is a slice"
        } else {
            ""
        }
    );
    let jac = sibling_fn(&sig, shape(VectorFn::Jacobian), &jac_doc, jac_body);
    let mut expansion = hidden;
    expansion.fns.extend([vjp, jac]);
    expansion.fns.extend(jvp);
    expansion
}

/// The Jacobian by columns: `f_jvp` once per float slot of the
/// differentiated parameters, with that slot's unit direction. Returns the
/// number of slots (a constant expression) and the code.
#[allow(clippy::too_many_arguments)]
fn by_input(
    sig: &Sig,
    wrt: &[&crate::ast::Param],
    slots: &[TokenStream],
    float: &syn::Ident,
    m: &TokenStream,
    out: &Output,
    name: &syn::Ident,
    names: &[&syn::Ident],
) -> (TokenStream, TokenStream) {
    let flat = quote!(::autodiff_core::__private::Flat::<#float>);
    let jvp = format_ident!("{}_jvp", name);
    let (j, k, col, y) = (
        format_ident!("__ad_j", span = Span::mixed_site()),
        format_ident!("__ad_k", span = Span::mixed_site()),
        format_ident!("__ad_col", span = Span::mixed_site()),
        format_ident!("__ad_y", span = Span::mixed_site()),
    );
    let jac: Vec<syn::Ident> = (0..wrt.len())
        .map(|i| format_ident!("__ad_jac{}", i, span = Span::mixed_site()))
        .collect();
    let dirs: Vec<syn::Ident> = (0..wrt.len())
        .map(|i| format_ident!("__ad_d{}", i, span = Span::mixed_site()))
        .collect();
    let sizes: Vec<TokenStream> = wrt.iter().map(|p| signature::float_slots(p)).collect();
    let mut offset = quote!(0usize);
    let mut set_dirs = Vec::new();
    let mut pass_dirs = Vec::new();
    let mut store = Vec::new();
    for (((p, ty), size), (d, jac)) in wrt.iter().zip(slots).zip(&sizes).zip(dirs.iter().zip(&jac))
    {
        set_dirs.push(quote! {
            let mut #d: #ty = #flat::zero();
            if #j >= #offset && #j < #offset + #size {
                #flat::set(&mut #d, #j - (#offset), 1.0);
            }
        });
        pass_dirs.push(if matches!(p.syn_ty, syn::Type::Reference(_)) {
            quote!(&#d)
        } else {
            quote!(#d)
        });
        store.push(quote! {
            if #j >= #offset && #j < #offset + #size {
                for #k in 0..#m {
                    #flat::set(&mut #jac[#k], #j - (#offset), #col[#k]);
                }
            }
        });
        offset = quote!((#offset + #size));
    }
    let inputs = quote!((0usize #(+ #sizes)*));
    let col_array = match out {
        Output::Array { .. } => quote!(#col),
        Output::Tuple { n, .. } => {
            let i = (0..*n).map(syn::Index::from);
            quote!([#(#col.#i),*])
        }
    };
    let value = format_ident!("__ad_value", span = Span::mixed_site());
    let fresh = fresh_clones(sig);
    let code = quote! {
        #(let mut #jac: [#slots; #m] = ::core::array::from_fn(|_| #flat::zero());)*
        let mut #y = ::core::option::Option::None;
        for #j in 0..#inputs {
            #(#fresh)*
            #(#set_dirs)*
            let (#value, #col) = #jvp(#(#names,)* #(#pass_dirs),*);
            let #col = #col_array;
            #(#store)*
            #y = ::core::option::Option::Some(#value);
        }
        let #y = match #y {
            ::core::option::Option::Some(v) => v,
            ::core::option::Option::None => #name(#(#names),*),
        };
        (#y, #(#jac),*)
    };
    (inputs, code)
}

/// `let p = p.clone();` for each parameter a call may move (not a
/// reference, an array or a primitive: `labels: Vec<usize>`), for code that
/// calls the derivative once per output or input.
fn fresh_clones(sig: &Sig) -> Vec<TokenStream> {
    sig.params
        .iter()
        .filter(|p| crate::forward::moved_by_value(p.syn_ty))
        .map(|p| {
            let id = &p.ident;
            quote!(let #id = ::core::clone::Clone::clone(&#id);)
        })
        .collect()
}

/// The errors recorded in `cx`, and nothing generated.
fn errors(cx: Ctxt) -> Expansion {
    match cx.check() {
        Err(e) => Expansion::failed(e),
        Ok(()) => Expansion::default(),
    }
}

/// The outputs `e` (`[a, b]`, a local array, `(a, b)`) as an array
/// expression; a tuple not written out is an error.
fn as_array(cx: &Ctxt, out: &Output, e: &Expr, place: &str) -> TokenStream {
    match (out, e) {
        (Output::Tuple { n, .. }, Expr::Tuple(t)) if t.elems.len() == *n => {
            let e = t.elems.iter();
            quote!([#(#e),*])
        }
        (Output::Tuple { .. }, other) => {
            cx.error_spanned_by(
                other,
                format!("#[grad] needs the tuple written out as the {place}: `(a, b)`"),
            );
            quote!(#other)
        }
        (Output::Array { .. }, e) => quote!(#e),
    }
}

// Input:  the statements of `f`, with `return [a, b];` in them
// Output: the same with each `return e` replaced by a copy of `e` into the
//         array `ys` and `return finish` (closures' own returns untouched)
fn with_returns(
    cx: &Ctxt,
    out: &Output,
    stmts: &[syn::Stmt],
    ys: &syn::Ident,
    float: &syn::Ident,
    m: &TokenStream,
    finish: &TokenStream,
) -> Vec<syn::Stmt> {
    use syn::visit_mut::VisitMut;
    struct Rewrite<'a> {
        cx: &'a Ctxt,
        out: &'a Output,
        ys: &'a syn::Ident,
        float: &'a syn::Ident,
        m: &'a TokenStream,
        finish: &'a TokenStream,
    }
    impl VisitMut for Rewrite<'_> {
        fn visit_expr_mut(&mut self, e: &mut Expr) {
            if let Expr::Return(ret) = e {
                let Some(value) = &ret.expr else {
                    self.cx.error_spanned_by(
                        &*ret,
                        "#[grad] needs `return` to give the outputs: `return [a, b]`",
                    );
                    return;
                };
                let mut value = (**value).clone();
                self.visit_expr_mut(&mut value);
                let arr = as_array(self.cx, self.out, &value, "value of `return`");
                let (ys, float, m, finish) = (self.ys, self.float, self.m, self.finish);
                let (r, k) = (
                    format_ident!("__ad_r", span = Span::mixed_site()),
                    format_ident!("__ad_k", span = Span::mixed_site()),
                );
                *e = syn::parse_quote_spanned!(ret.return_token.span=> {
                    let #r: [#float; #m] = #arr;
                    for #k in 0..#m {
                        #ys[#k] = #r[#k];
                    }
                    return #finish;
                });
                return;
            }
            syn::visit_mut::visit_expr_mut(self, e);
        }
        fn visit_expr_closure_mut(&mut self, _: &mut syn::ExprClosure) {}
        fn visit_item_mut(&mut self, _: &mut syn::Item) {}
    }
    let mut rw = Rewrite {
        cx,
        out,
        ys,
        float,
        m,
        finish,
    };
    let mut stmts = stmts.to_vec();
    for st in &mut stmts {
        rw.visit_stmt_mut(st);
    }
    stmts
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
