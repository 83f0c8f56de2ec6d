//! What an expansion is, as data: the functions it generates and the errors
//! it reports. The core pipeline (`expand::expand_fn`) returns an
//! [`Expansion`]; the meta-passes (`generic.rs`, `vector.rs`) compose theirs
//! from the expansions of the functions they write, reading the generated
//! functions' signatures as syntax trees, and `fallback.rs` gives the
//! stand-ins of an expansion with errors. The tokens are written once, at
//! the top ([`Expansion::into_tokens`]).
//!
//! A leaf: it depends on no other module.

use proc_macro2::TokenStream;
use quote::{ToTokens, quote};

/// One function generated beside the user's (`f_grad`, `f_jvp`, a
/// stand-in, a hidden helper): its signature as a syntax tree, so that a
/// meta-pass can read and rewrite it, and its body as tokens.
#[derive(Clone)]
pub struct GeneratedFn {
    /// The outer attributes (`#[doc = …]`, `#[allow(…)]`, the user's `cfg`).
    pub attrs: TokenStream,
    pub vis: syn::Visibility,
    pub sig: syn::Signature,
    /// The statements between the braces.
    pub body: TokenStream,
}

impl ToTokens for GeneratedFn {
    fn to_tokens(&self, tokens: &mut TokenStream) {
        let GeneratedFn {
            attrs,
            vis,
            sig,
            body,
        } = self;
        tokens.extend(quote! {
            #attrs
            #vis #sig {
                #body
            }
        });
    }
}

/// The result of expanding one function: what is emitted after it.
#[derive(Default)]
pub struct Expansion {
    /// Items the generated functions rely on, emitted first (the hidden
    /// trait of a generic function and its impls).
    pub support: Vec<TokenStream>,
    /// The generated functions, in order (stand-ins when there are errors).
    pub fns: Vec<GeneratedFn>,
    /// Every error, each spanned on the user's tokens, in order.
    pub errors: Vec<syn::Error>,
}

impl Expansion {
    /// An expansion with errors and no generated function.
    pub fn failed(errors: syn::Error) -> Self {
        Expansion::default().with_errors(errors)
    }

    /// The same expansion with `errors` (combined or not) after its own.
    pub fn with_errors(mut self, errors: syn::Error) -> Self {
        self.errors.extend(errors);
        self
    }

    /// Whether the expansion reported errors.
    pub fn has_errors(&self) -> bool {
        !self.errors.is_empty()
    }

    /// The final tokens: the user's item `original` unchanged, the support
    /// items, the generated functions, then the errors.
    pub fn into_tokens(self, original: impl ToTokens) -> TokenStream {
        let Expansion {
            support,
            fns,
            errors,
        } = self;
        let errors = errors.into_iter().map(syn::Error::into_compile_error);
        quote! {
            #original
            #(#support)*
            #(#fns)*
            #(#errors)*
        }
    }
}
