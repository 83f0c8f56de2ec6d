//! The pipeline: parse → validate → lower → reverse → simplify → codegen,
//! and the optional passes beside it (the circuit view).

use crate::args::Args;
use crate::ast::Sig;
use crate::ctxt::Ctxt;
use crate::{codegen, fallback, forward, graph, lower, reverse, simplify, vector};
use proc_macro2::TokenStream;
use quote::{ToTokens, quote};
use syn::ItemFn;

/// Expands `#[grad(args)] input`.
pub fn expand(args: TokenStream, input: TokenStream) -> TokenStream {
    let item: ItemFn = match syn::parse2(input.clone()) {
        Ok(item) => item,
        Err(_) => return fallback::expand(input.clone(), not_a_fn(input)),
    };
    // Several outputs: `f_vjp` and `f_jacobian` through a scalar function.
    if let Some(out) = vector::output(&item) {
        if let Some(err) = crate::structs::refuse(&item, "a function with several outputs") {
            return fallback::expand(quote!(#item), err);
        }
        return vector::expand(args, item, out);
    }
    let cx = Ctxt::default();
    let (args, args_ok) = match syn::parse2::<Args>(args) {
        Ok(args) => (args, true),
        Err(err) => {
            cx.syn_error(err);
            (Args::default(), false)
        }
    };
    // Generic over the float type: one expansion per float type.
    if args_ok && let Some(t) = crate::generic::float_param(&item) {
        return crate::generic::expand(&args, &item, t);
    }
    expand_item(cx, &item, &args, args_ok).0
}

/// Expands a function with parsed arguments; `true` when it had no errors.
pub fn expand_checked(args: &Args, item: &ItemFn) -> (TokenStream, bool) {
    expand_item(Ctxt::default(), item, args, true)
}

fn expand_item(cx: Ctxt, item: &ItemFn, args: &Args, args_ok: bool) -> (TokenStream, bool) {
    // Struct parameters: their fields become hidden parameters.
    let rewritten = crate::structs::rewrite(&cx, item, args);
    let (target, fields) = match &rewritten {
        Some(r) => {
            for (on, what) in [(&args.forward, "forward"), (&args.hessian, "hessian")] {
                if let Some(on) = on {
                    cx.error_spanned_by(
                        on,
                        format!("#[grad({what})] does not support struct parameters yet; flatten the fields it needs into float and array parameters, or drop `{what}`"),
                    );
                }
            }
            (&r.item, &r.fields[..])
        }
        None => (item, &[][..]),
    };
    let sig = Sig::from_syn(&cx, target, args, fields);
    let forward = sig.as_ref().map(|sig| lower::lower(&cx, sig));
    if let Err(errors) = cx.check() {
        // Stand-ins for `f_grad` and its siblings when the signature is right.
        let stand_ins = args_ok.then(|| fallback::stand_ins(item, args));
        return (fallback::expand(quote!(#item #stand_ins), errors), false);
    }
    let (Some(sig), Some(forward)) = (sig, forward) else {
        unreachable!("a signature that failed validation recorded an error");
    };
    crate::ir::verify_after("lower", &forward, crate::ir::View::Plain);
    let gradient = simplify::simplify(&reverse::reverse(&forward));
    let grad_fn = codegen::grad_fn(&sig, &gradient);
    let graph_fn = args.graph.as_ref().map(|_| graph::graph_fn(&sig, &forward));
    // Forward mode and second order differentiate whatever `f_grad` does.
    let jvp_fn = args
        .forward
        .as_ref()
        .map(|_| forward::jvp_fn(&sig, &forward));
    let hessian_fns = args
        .hessian
        .as_ref()
        .map(|_| forward::hessian_fns(&sig, &forward));
    let out = quote! {
        #item
        #grad_fn
        #graph_fn
        #jvp_fn
        #hessian_fns
    };
    (out, true)
}

/// The error for an item that is not a function, on its keyword.
fn not_a_fn(input: TokenStream) -> syn::Error {
    use syn::Item;
    if let Ok(decl) = syn::parse2::<syn::TraitItemFn>(input.clone()) {
        return syn::Error::new_spanned(
            &decl.sig.ident,
            "#[grad] needs the function's body; it cannot differentiate a declaration without one",
        );
    }
    let Ok(item) = syn::parse2::<Item>(input.clone()) else {
        return syn::Error::new_spanned(input, "#[grad] applies to functions with a body");
    };
    let (kind, keyword): (&str, TokenStream) = match &item {
        Item::Struct(i) => ("a struct", i.struct_token.to_token_stream()),
        Item::Enum(i) => ("an enum", i.enum_token.to_token_stream()),
        Item::Union(i) => ("a union", i.union_token.to_token_stream()),
        Item::Trait(i) => ("a trait", i.trait_token.to_token_stream()),
        Item::Impl(i) => (
            "an impl block; put it on each method",
            i.impl_token.to_token_stream(),
        ),
        Item::Mod(i) => ("a module", i.mod_token.to_token_stream()),
        Item::Const(i) => ("a constant", i.const_token.to_token_stream()),
        Item::Static(i) => ("a static", i.static_token.to_token_stream()),
        Item::Type(i) => ("a type alias", i.type_token.to_token_stream()),
        Item::Use(i) => ("a `use` declaration", i.use_token.to_token_stream()),
        _ => ("this item", item.to_token_stream()),
    };
    syn::Error::new_spanned(
        keyword,
        format!("#[grad] applies to functions, not to {kind}"),
    )
}
