//! Output when the input has errors: the user's function unchanged, the
//! errors, and stand-ins for the functions `#[grad]` would have generated
//! (`f_grad`, `f_grad_into`, `f_graph`) with their real signatures and a
//! body that only panics, so that the user sees the real problems and no
//! cascade of secondary ones (no "cannot find function `f_grad`" at a
//! caller), the way thiserror's fallback emits its impls.

use crate::args::Args;
use crate::ast::{Param, Sig};
use crate::codegen::sibling_fn;
use crate::ctxt::Ctxt;
use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote};
use syn::ItemFn;

/// The original item followed by the errors.
pub fn expand(original: TokenStream, errors: syn::Error) -> TokenStream {
    let errors = errors.into_compile_error();
    quote! {
        #original
        #errors
    }
}

/// What a stand-in does when called.
const MESSAGE: &str = "#[grad] reported errors for this function";

// Input:  `#[grad(graph)] fn f(x: &[f64], a: f64) -> f64 { …an error… }`
// Output: `fn f_grad_into(x: &[f64], a: f64, grad_x: &mut [f64], grad_a: &mut f64) -> f64`,
//         `fn f_grad(x: &[f64], a: f64) -> (f64, Vec<f64>, f64)`, `fn f_graph(..) -> Graph`,
//         each `{ unimplemented!(…) }`
/// Stand-ins for the generated functions of `item`, or nothing when its
/// signature has errors of its own (then no signature is right to emit).
pub fn stand_ins(item: &ItemFn, args: &Args) -> TokenStream {
    let cx = Ctxt::default();
    let rewritten = crate::structs::rewrite(&cx, item, args);
    let (item, fields) = match &rewritten {
        Some(r) => (&r.item, &r.fields[..]),
        None => (item, &[][..]),
    };
    let sig = Sig::from_syn(&cx, item, args, fields);
    let (Some(sig), Ok(())) = (sig, cx.check()) else {
        return TokenStream::new();
    };
    let name = &item.sig.ident;
    let float = syn::Ident::new(sig.float.name(), Span::call_site());
    let body = quote!(::core::unimplemented!(#MESSAGE));
    let doc =
        format!("Not generated: `#[grad]` reported errors for [`{name}`]. Calling it panics.");
    if sig.has_struct_gradients() {
        // The fields are not bound: a stand-in reads none of them.
        let mut sig = sig;
        sig.params
            .retain(|p| !matches!(p.role, crate::ast::Role::Field(_)));
        let (outs, ret) = crate::codegen::struct_signature(&sig, &quote!(#float));
        let mut out = TokenStream::new();
        for (suffix, extra, ret) in [
            ("grad", &[][..], ret),
            ("grad_into", &outs[..], quote!(#float)),
        ] {
            out.extend(sibling_fn(
                &sig,
                &format_ident!("{}_{}", name, suffix),
                &doc,
                extra,
                ret,
                body.clone(),
            ));
        }
        return out;
    }
    let wrt: Vec<&Param> = sig.params.iter().filter(|p| p.wrt).collect();
    let slots = wrt.iter().map(|p| match &p.array {
        Some(a) => a.grad_ty.clone(),
        None => quote!(#float),
    });
    let mut out = sibling_fn(
        &sig,
        &format_ident!("{}_grad", name),
        &doc,
        &[],
        quote!((#float, #(#slots),*)),
        body.clone(),
    );
    let dynamic = sig
        .params
        .iter()
        .any(|p| p.array.as_ref().is_some_and(|a| a.dynamic));
    if dynamic {
        let outs: Vec<TokenStream> = wrt
            .iter()
            .map(|p| {
                let o = format_ident!(
                    "grad_{}",
                    syn::ext::IdentExt::unraw(&p.ident)
                        .to_string()
                        .trim_start_matches('_'),
                    span = Span::mixed_site()
                );
                match &p.array {
                    Some(a) => {
                        let t = &a.into_ty;
                        quote!(#o: #t)
                    }
                    None => quote!(#o: &mut #float),
                }
            })
            .collect();
        out.extend(sibling_fn(
            &sig,
            &format_ident!("{}_grad_into", name),
            &doc,
            &outs,
            quote!(#float),
            body.clone(),
        ));
    }
    if args.graph.is_some() {
        out.extend(sibling_fn(
            &sig,
            &format_ident!("{}_graph", name),
            &doc,
            &[],
            quote!(::autodiff_core::Graph),
            body,
        ));
    }
    out
}
