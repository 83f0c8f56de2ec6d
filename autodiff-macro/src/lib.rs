use proc_macro::TokenStream; #[proc_macro_attribute] pub fn grad(_a: TokenStream, i: TokenStream) -> TokenStream { i }
