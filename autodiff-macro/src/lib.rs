//! The `#[grad]` attribute macro of autodiff: compile-time reverse-mode
//! automatic differentiation.
//!
//! Users depend on `autodiff-core`, which re-exports [`macro@grad`]; see its
//! documentation. This crate is a small compiler, one stage per module:
//! `args` and `ast` parse and validate, `lower` builds the `ir`, `reverse`
//! (straight-line code) and `reverse_regions` (loops, branches, arrays, with
//! a tape) append the adjoint sweep using the `rules` table, `simplify`
//! cleans straight-line code up, `formula` writes the derivative for the
//! docs and `codegen` writes Rust. `ctxt` collects errors and `fallback`
//! emits the user's function unchanged beside them.

mod args;
mod ast;
mod codegen;
mod ctxt;
mod expand;
mod fallback;
mod formula;
mod ir;
mod lower;
mod reverse;
mod reverse_regions;
mod rules;
mod simplify;
#[cfg(test)]
mod tests;

use proc_macro::TokenStream;

/// Generates `f_grad` beside the function `f`: the value and every partial
/// derivative, by reverse-mode differentiation at compile time.
///
/// See the `autodiff-core` crate for the contract and examples.
#[proc_macro_attribute]
pub fn grad(args: TokenStream, input: TokenStream) -> TokenStream {
    let (args, input): (proc_macro2::TokenStream, proc_macro2::TokenStream) =
        (args.into(), input.into());
    let original = input.clone();
    // An internal error must not reach the user as "proc macro panicked":
    // report it on the function, which is still emitted unchanged.
    match std::panic::catch_unwind(|| expand::expand(args, input)) {
        Ok(tokens) => tokens.into(),
        Err(payload) => {
            let what = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            let err = syn::Error::new_spanned(
                &original,
                format!("internal error in #[grad] ({what}); please report it with this function"),
            );
            fallback::expand(original, err).into()
        }
    }
}
