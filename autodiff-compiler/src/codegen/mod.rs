//! Code generation: IR to Rust tokens.
//!
//! - `expr.rs`: the right-hand side of each instruction, literals, calls;
//! - `body.rs`: function bodies (straight-line `let`s, structured
//!   statements, tapes);
//! - `signature.rs`: the name, extra parameters and return type of every
//!   generated function ([`shape`]), for codegen and the stand-ins alike;
//! - this file: the generated functions around them (`f_grad`,
//!   `f_grad_into`) and their docs, and [`sibling_fn`], which writes the
//!   signature every generated function shares with the user's and returns
//!   a [`GeneratedFn`].
//!
//! Each instruction becomes one `let __vN: F = …;` whose tokens carry the
//! span of the source it came from (`quote_spanned!`), so a type error points
//! at the user's code. Generated names live at `Span::mixed_site()`, so they
//! never collide with the user's; the user's parameters and constants keep
//! their own spans and resolve at the call site. No `unsafe`; straight-line
//! code allocates nothing.

mod body;
mod expr;
pub mod signature;
mod structs;

pub use body::structured_body;
pub use expr::value_ident;
pub use signature::{Generated, Shape, shape};

use crate::ast::{Param, Role, Sig};
use crate::expansion::GeneratedFn;
use crate::ir::Func;
use crate::structs::Kind;
use body::straight_body;
use proc_macro2::{Ident, Span, TokenStream};
use quote::{quote, quote_spanned};

/// A function generated beside the user's `f`: same visibility, generics,
/// receiver and parameters (then the shape's `extra` ones), its `cfg` and
/// `inline` attributes, a doc comment, and no lint firing in the user's
/// crate; the fields of struct parameters bound at the top of its body.
pub fn sibling_fn(sig: &Sig, shape: Shape, doc: &str, body: TokenStream) -> GeneratedFn {
    sibling(sig, shape, doc, body, true)
}

/// [`sibling_fn`] without the fields' bindings (a stand-in reads none).
pub fn sibling_fn_unbound(sig: &Sig, shape: Shape, doc: &str, body: TokenStream) -> GeneratedFn {
    sibling(sig, shape, doc, body, false)
}

fn sibling(
    sig: &Sig,
    shape: Shape,
    doc: &str,
    body: TokenStream,
    bind_fields: bool,
) -> GeneratedFn {
    let Shape { name, extra, ret } = shape;
    let item = sig.item;
    let generics = &item.sig.generics;
    let where_clause = &generics.where_clause;
    let params = sig
        .receiver
        .map(|r| quote!(#r))
        .into_iter()
        .chain(
            sig.params
                .iter()
                .filter(|p| !matches!(p.role, Role::Field(_)))
                .map(|p| {
                    let ident = &p.ident;
                    let ty = p.syn_ty;
                    quote!(#ident: #ty)
                }),
        )
        .chain(extra);
    let fields = bind_fields.then(|| field_bindings(sig));
    let kept = item
        .attrs
        .iter()
        .filter(|a| a.path().is_ident("cfg") || a.path().is_ident("inline"));
    let attrs = quote! {
        #[doc = #doc]
        #(#kept)*
        #[allow(
            dead_code,
            unused_variables,
            unused_mut,
            unused_assignments,
            unused_parens,
            unused_braces,
            non_snake_case,
            clippy::all,
            clippy::pedantic,
            clippy::nursery
        )]
    };
    // A few tokens, parsed once so that a meta-pass can read the signature.
    let sig_tokens = quote!(fn #name #generics (#(#params),*) -> #ret #where_clause);
    let signature: syn::Signature =
        syn::parse2(sig_tokens).unwrap_or_else(|e| panic!("a generated signature parses: {e}"));
    GeneratedFn {
        attrs,
        vis: item.vis.clone(),
        sig: signature,
        body: quote! {
            #fields
            #body
        },
    }
}

// Input:  `p.w` read as an array, `p.b` as a float, `p.n` as an integer
// Output: `let __ad_f0_p_w = &p.w; let __ad_f1_p_b: f64 = p.b;
//          let __ad_f2_p_n = p.n; not_float(&__ad_f2_p_n);`
/// The hidden parameters of struct fields, bound from their structs; the
/// types rustc checks here are `structs.rs`'s guesses.
fn field_bindings(sig: &Sig) -> TokenStream {
    let float = syn::Ident::new(sig.float.name(), Span::call_site());
    let binds = sig.params.iter().filter_map(|p| {
        let Role::Field(i) = p.role else { return None };
        let field = &sig.fields[i];
        // The struct itself is behind a reference when the parameter (or
        // the receiver) is one.
        let by_ref = match field.root {
            Some(_) => matches!(p.syn_ty, syn::Type::Reference(_)),
            None => sig
                .receiver
                .is_some_and(|r| matches!(r.kind, syn::ReceiverKind::Reference(..))),
        };
        let (ident, place, span) = (&p.ident, field.place(by_ref), field.span);
        // The same name, located at the field's use: rustc's errors on a
        // wrong guess point there.
        let ident = &Ident::new(&ident.to_string(), ident.span().located_at(span));
        Some(match field.kind {
            Kind::Float => quote_spanned!(span=> let #ident: #float = #place;),
            Kind::Array(_) | Kind::Whole => quote!(let #ident = &#place;),
            Kind::Int => quote_spanned! {span=>
                let #ident = #place;
                ::autodiff_core::__private::not_float(&#ident);
            },
        })
    });
    quote!(#(#binds)*)
}

/// The doc comment of `f_grad`: what it returns, then the derivative itself
/// as a formula for straight-line code.
fn doc(sig: &Sig, func: &Func) -> String {
    let name = &sig.item.sig.ident;
    let wrt: Vec<&Param> = sig.params.iter().filter(|p| p.wrt).collect();
    let mut slots = vec![format!("{name}")];
    if sig.self_grad {
        slots.push(format!("∂{name}/∂self"));
    }
    for p in &sig.params {
        match p.role {
            Role::Plain if p.wrt => slots.push(format!("∂{name}/∂{}", p.ident)),
            Role::Struct { grad: true } => slots.push(format!("∂{name}/∂{}", p.ident)),
            _ => {}
        }
    }
    let mut doc = format!(
        "Value and gradient of [`{name}`], generated by `#[grad]`.\n\nReturns `({})`: the value of `{name}` at the arguments, then its partial derivative with respect to each differentiated parameter, in declaration order.",
        slots.join(", ")
    );
    if sig.has_struct_gradients() {
        doc.push_str(" The gradient of a struct parameter is a value of the struct whose fields hold the partial derivatives with respect to those fields (zero for the fields the function does not read).");
    }
    if func.is_straight_line() {
        doc.push_str("\n\n# Derivatives\n");
        let mut routes = false;
        for (p, v) in wrt.iter().zip(func.outputs.iter().skip(1)) {
            let formula = crate::print::formula(func, *v);
            // `[a > b]` appears only in the formulas of routing gates.
            routes |= formula.as_ref().is_some_and(|f| f.contains('['));
            let f = formula
                .map(|f| format!("`{f}`"))
                .unwrap_or_else(|| "(a formula too long to show)".into());
            let param = match p.role {
                Role::Field(i) => sig.fields[i].label.clone(),
                _ => p.ident.to_string(),
            };
            doc.push_str(&format!("\n- ∂{name}/∂{param} = {f}"));
        }
        if routes {
            doc.push_str("\n\n`[a > b]` is 1 where `a > b`, 0 where `a < b` and ½ at a tie.");
        }
    } else {
        doc.push_str(
            "\n\nThe derivative is computed by a reverse sweep over the loops and branches of the function (values they overwrite are kept on a tape), so it has no closed formula here.",
        );
    }
    doc
}

// Input:  `pub fn circuit(x: f64, y: f64, z: f64) -> f64 { … }` and its gradient IR
// Output: `pub fn circuit_grad(x: f64, y: f64, z: f64) -> (f64, f64, f64, f64) { … }`
pub fn grad_fn(sig: &Sig, func: &Func) -> Vec<GeneratedFn> {
    let doc = doc(sig, func);
    if !signature::writes_into(sig) {
        let body = if func.is_straight_line() {
            straight_body(sig, func)
        } else {
            structured_body(sig, func, None, &[])
        };
        let outputs = func.outputs.iter().map(|v| value_ident(*v));
        let shape = shape(sig, Generated::Grad).expect("every function has f_grad");
        return vec![sibling_fn(
            sig,
            shape,
            &doc,
            quote! {
                #body
                (#(#outputs),*)
            },
        )];
    }
    // Runtime-sized data: `f_grad_into` writes the gradients into the
    // caller's buffers, and `f_grad` runs the same sweep on buffers it
    // allocates; one writer for plain and struct parameters alike.
    structs::grad_fns(sig, func, &doc)
}
