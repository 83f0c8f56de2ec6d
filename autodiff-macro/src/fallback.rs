//! Output when the input has errors: the user's function unchanged, the
//! errors, and nothing else, so that the user sees the real problems and no
//! cascade of secondary ones.

use proc_macro2::TokenStream;
use quote::quote;

/// The original item followed by the errors.
pub fn expand(original: TokenStream, errors: syn::Error) -> TokenStream {
    let errors = errors.into_compile_error();
    quote! {
        #original
        #errors
    }
}
