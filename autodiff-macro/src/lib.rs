//! The `#[grad]` attribute macro of autodiff: compile-time reverse-mode
//! automatic differentiation.
//!
//! Users depend on `autodiff-core`, which re-exports [`macro@grad`]; see its
//! documentation. The compiler itself is the library `autodiff-compiler`;
//! this crate only crosses the proc-macro boundary.

use proc_macro::TokenStream;

/// Generates `f_grad` beside the function `f`: the value and every partial
/// derivative, by reverse-mode differentiation at compile time.
///
/// See the `autodiff-core` crate for the contract and examples.
#[proc_macro_attribute]
pub fn grad(args: TokenStream, input: TokenStream) -> TokenStream {
    autodiff_compiler::grad(args.into(), input.into()).into()
}

/// Implements `autodiff_core::Differentiable` for a struct of floats, arrays
/// and `Vec`s of floats and other `Differentiable` structs; integer and
/// `bool` fields, and fields marked `#[differentiable(constant)]`, are
/// constants.
///
/// See the `autodiff-core` crate for the trait and examples.
#[proc_macro_derive(Differentiable, attributes(differentiable))]
pub fn derive_differentiable(input: TokenStream) -> TokenStream {
    autodiff_compiler::derive_differentiable(input.into()).into()
}
