//! The compiler behind `#[grad]`: from a Rust function's tokens to the
//! tokens of the function and its generated derivatives. The proc-macro
//! crate `autodiff-macro` wraps [`grad`] and [`derive_differentiable`] in a
//! few lines; benchmarks, the robustness test and tools call the same
//! functions, and the stages, directly.
//!
//! **No stable API.** Every module is public so that the workspace's
//! benchmarks and tools can reach the stages; none of it is a promise.
//! Users depend on `autodiff-core` and write `#[grad]`.
//!
//! This crate is a small compiler, one stage per module; the repository's
//! `ARCHITECTURE.md` is the map:
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
//! `fallback` gives stand-ins of the generated functions beside them.
//! `structs` rewrites the fields of struct parameters into hidden
//! parameters first; `syntax` holds the facts about types and names the
//! syntax stages share. Every expansion is an `expansion::Expansion`, data
//! the meta-passes (`generic`, `vector`) compose; `expand` writes it as
//! tokens once.
//!
//! ```
//! let out = autodiff_compiler::grad(
//!     proc_macro2::TokenStream::new(),
//!     "fn circuit(x: f64, y: f64, z: f64) -> f64 { (x + y) * z }".parse().unwrap(),
//! );
//! assert!(out.to_string().contains("fn circuit_grad"));
//! ```

pub mod analysis;
pub mod args;
pub mod ast;
pub mod codegen;
pub mod ctxt;
pub mod derive;
pub mod expand;
pub mod expansion;
pub mod fallback;
pub mod forward;
pub mod generic;
pub mod graph;
pub mod ir;
pub mod lower;
pub mod op;
pub mod pipeline;
pub mod print;
pub mod reverse;
pub mod rules;
pub mod simplify;
pub mod structs;
pub mod syntax;
#[cfg(test)]
mod tests;
pub mod tidy;
pub mod vector;

use proc_macro2::TokenStream;

/// What `#[grad(args)]` on `input` expands to: the function unchanged and
/// its generated derivatives, or the function unchanged and the errors.
/// Never panics: an internal error is reported on the function.
pub fn grad(args: TokenStream, input: TokenStream) -> TokenStream {
    let original = input.clone();
    // An internal error must not reach the user as "proc macro panicked":
    // report it on the function, which is still emitted unchanged.
    match std::panic::catch_unwind(|| expand::expand(args, input)) {
        Ok(tokens) => tokens,
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
            expansion::Expansion::failed(err).into_tokens(original)
        }
    }
}

/// What `#[derive(Differentiable)]` on `input` expands to.
pub fn derive_differentiable(input: TokenStream) -> TokenStream {
    derive::expand(input)
}
