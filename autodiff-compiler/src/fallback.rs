//! Output when the input has errors: the user's function unchanged, the
//! errors, and stand-ins for the functions `#[grad]` would have generated
//! (`f_grad`, `f_grad_into`, `f_graph`) with their real signatures and a
//! body that only panics, so that the user sees the real problems and no
//! cascade of secondary ones (no "cannot find function `f_grad`" at a
//! caller), the way thiserror's fallback emits its impls.
//!
//! The signatures are `codegen::shape`'s, the same that the generated
//! functions have; the stand-ins go into the [`Expansion`] that carries
//! the errors (`expand.rs`).
//!
//! [`Expansion`]: crate::expansion::Expansion

use crate::args::Args;
use crate::ast::Sig;
use crate::codegen::{Generated, shape, sibling_fn, sibling_fn_unbound};
use crate::expansion::GeneratedFn;
use quote::quote;

/// What a stand-in does when called.
const MESSAGE: &str = "#[grad] reported errors for this function";

// Input:  `#[grad(graph)] fn f(x: &[f64], a: f64) -> f64 { …an error… }`
// Output: `fn f_grad(x: &[f64], a: f64) -> (f64, Vec<f64>, f64)`,
//         `fn f_grad_into(x: &[f64], a: f64, grad_x: &mut [f64], grad_a: &mut f64) -> f64`,
//         `fn f_graph(..) -> Graph`, each `{ unimplemented!(…) }`
/// Stand-ins for the generated functions of `sig`, a signature without
/// errors of its own (the caller knows: with errors, no signature is right
/// to emit).
pub fn stand_ins(sig: &Sig, args: &Args) -> Vec<GeneratedFn> {
    let name = &sig.item.sig.ident;
    let body = quote!(::core::unimplemented!(#MESSAGE));
    let doc =
        format!("Not generated: `#[grad]` reported errors for [`{name}`]. Calling it panics.");
    let structs = sig.has_struct_gradients();
    let mut kinds = vec![Generated::Grad, Generated::GradInto];
    // A function with struct gradients gets stand-ins for `f_grad` and
    // `f_grad_into` only, as it always has.
    if args.graph.is_some() && !structs {
        kinds.push(Generated::Graph);
    }
    kinds
        .into_iter()
        .filter_map(|which| shape(sig, which))
        .map(|shape| {
            if structs {
                // The fields are not bound: a stand-in reads none of them.
                sibling_fn_unbound(sig, shape, &doc, body.clone())
            } else {
                sibling_fn(sig, shape, &doc, body.clone())
            }
        })
        .collect()
}
