//! The `#[grad]` attribute macro of autodiff: compile-time reverse-mode
//! automatic differentiation.
//!
//! Users depend on `autodiff-core`, which re-exports [`macro@grad`]; see its
//! documentation. This crate is a small compiler, one stage per module; the
//! repository's `ARCHITECTURE.md` is the map:
//!
//! ```text
//! args, ast ─► lower ─► reverse ─► simplify ─► codegen
//!   (parse,     (syn →   (adjoint    (straight-   (IR →
//!   validate)    IR)      sweep)      line IR)     tokens)
//!                 └──────► graph (the circuit view, a pass of its own)
//! ```
//!
//! `op` is the table of operations and `rules` compiles its reverse rules;
//! `ir` is the data every stage exchanges, `analysis` the analyses they
//! share, `print` the one expression printer; `ctxt` collects errors and
//! `fallback` emits the user's function unchanged beside them. `structs`
//! rewrites the fields of struct parameters into hidden parameters first.

mod analysis;
mod args;
mod ast;
mod codegen;
mod ctxt;
mod derive;
mod expand;
mod fallback;
mod forward;
mod generic;
mod graph;
mod ir;
mod lower;
mod op;
mod print;
mod reverse;
mod rules;
mod simplify;
mod structs;
#[cfg(test)]
mod tests;
mod tidy;
mod vector;

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

/// Implements `autodiff_core::Differentiable` for a struct of floats, arrays
/// and `Vec`s of floats and other `Differentiable` structs; integer and
/// `bool` fields, and fields marked `#[differentiable(constant)]`, are
/// constants.
///
/// See the `autodiff-core` crate for the trait and examples.
#[proc_macro_derive(Differentiable, attributes(differentiable))]
pub fn derive_differentiable(input: TokenStream) -> TokenStream {
    derive::expand(input.into()).into()
}
