//! The expansion: parse → validate → lower → the gradient's passes
//! (`pipeline.rs`) → codegen, and the optional passes beside it (the
//! circuit view, forward mode).
//!
//! The user's item takes one straight path: [`expansion`] picks the
//! meta-pass (`vector.rs` for several outputs, `generic.rs` for a generic
//! float type) or the core pipeline [`expand_fn`]; that rewrites struct
//! parameters (`structs.rs`) once, validates the signature (`ast.rs`) once,
//! and [`expand_sig`] lowers, differentiates and generates code, or, when
//! there are errors, gives `fallback.rs`'s stand-ins for that same
//! signature. Every path returns an [`Expansion`] (data: generated
//! functions and errors), which the meta-passes compose, and [`expand`]
//! writes the tokens once.

use crate::args::Args;
use crate::ast::Sig;
use crate::ctxt::Ctxt;
use crate::expansion::Expansion;
use crate::{codegen, fallback, forward, generic, graph, lower, pipeline, structs, vector};
use proc_macro2::TokenStream;
use quote::ToTokens;
use syn::ItemFn;

/// Expands `#[grad(args)] input`.
pub fn expand(args: TokenStream, input: TokenStream) -> TokenStream {
    match syn::parse2::<ItemFn>(input.clone()) {
        Ok(item) => expansion(args, &item).into_tokens(&item),
        Err(_) => Expansion::failed(not_a_fn(input.clone())).into_tokens(input),
    }
}

/// What is emitted after `item`: the expansion of the meta-pass it needs,
/// or of the core pipeline.
pub fn expansion(args: TokenStream, item: &ItemFn) -> Expansion {
    // Several outputs: `f_vjp` and `f_jacobian` through a scalar function.
    if let Some(out) = vector::output(item) {
        if let Some(err) = structs::refuse(item, "a function with several outputs") {
            return Expansion::failed(err);
        }
        return vector::expand(args, item, out);
    }
    match syn::parse2::<Args>(args) {
        // Generic over the float type: one expansion per float type.
        Ok(args) => match generic::float_param(item) {
            Some(t) => generic::expand(&args, item, t),
            None => expand_fn(&args, item),
        },
        Err(err) => {
            // The function is still checked, with no stand-ins: the
            // arguments say which functions would be generated.
            let cx = Ctxt::default();
            cx.syn_error(err);
            expand_with(cx, item, &Args::default(), false)
        }
    }
}

/// The core pipeline on a function with parsed arguments (no meta-pass).
pub fn expand_fn(args: &Args, item: &ItemFn) -> Expansion {
    expand_with(Ctxt::default(), item, args, true)
}

fn expand_with(cx: Ctxt, item: &ItemFn, args: &Args, args_ok: bool) -> Expansion {
    let start = cx.error_count();
    // Struct parameters: their fields become hidden parameters.
    let rewritten = structs::rewrite(&cx, item, args);
    let rewrite_ok = cx.error_count() == start;
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
    let before = cx.error_count();
    let sig = Sig::from_syn(&cx, target, args, fields);
    // Stand-ins need a signature that is right: no error of the rewrite or
    // the validation (the refusals above are about the body's forms).
    let stand_ins = args_ok && rewrite_ok && cx.error_count() == before;
    match sig {
        Some(sig) => expand_sig(cx, &sig, args, stand_ins),
        None => Expansion::failed(
            cx.check()
                .expect_err("a signature that failed validation recorded an error"),
        ),
    }
}

/// Lowers, differentiates and writes the generated functions of a
/// validated signature (its errors so far in `cx`); with errors, the
/// errors and, when `stand_ins`, `fallback.rs`'s stand-ins.
pub fn expand_sig(cx: Ctxt, sig: &Sig, args: &Args, stand_ins: bool) -> Expansion {
    let forward = lower::lower(&cx, sig);
    if let Err(errors) = cx.check() {
        let fns = if stand_ins {
            fallback::stand_ins(sig, args)
        } else {
            Vec::new()
        };
        return Expansion {
            fns,
            ..Expansion::default()
        }
        .with_errors(errors);
    }
    crate::ir::verify_after("lower", &forward, crate::ir::View::Plain);
    let gradient = pipeline::gradient(&forward);
    let mut fns = codegen::grad_fn(sig, &gradient);
    if args.graph.is_some() {
        fns.push(graph::graph_fn(sig, &forward));
    }
    // Forward mode and second order differentiate whatever `f_grad` does.
    if args.forward.is_some() {
        fns.push(forward::jvp_fn(sig, &forward));
    }
    if args.hessian.is_some() {
        fns.extend(forward::hessian_fns(sig, &forward));
    }
    Expansion {
        fns,
        ..Expansion::default()
    }
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
