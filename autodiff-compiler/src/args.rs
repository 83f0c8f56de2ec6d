//! The attribute's arguments: `#[grad]`, `#[grad(wrt(a, b))]`, `#[grad(graph)]`,
//! `#[grad(forward)]`, `#[grad(hessian)]`; `wrt` may name `self`.

use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::{Ident, Token};

/// The parsed arguments of `#[grad(...)]`.
#[derive(Clone, Default)]
pub struct Args {
    /// `wrt(a, b)`: differentiate only these parameters.
    pub wrt: Option<Vec<Ident>>,
    /// `graph`: also generate `f_graph`.
    pub graph: Option<Ident>,
    /// `forward`: also generate `f_jvp` (forward mode).
    pub forward: Option<Ident>,
    /// `hessian`: also generate `f_hvp` and `f_hessian`.
    pub hessian: Option<Ident>,
}

const EXPECTED: &str = "expected #[grad], #[grad(wrt(a, b))], #[grad(graph)], #[grad(forward)] or #[grad(hessian)] (or several, separated by commas)";

impl Parse for Args {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let mut args = Args::default();
        while !input.is_empty() {
            let key: Ident = input
                .parse()
                .map_err(|e| syn::Error::new(e.span(), EXPECTED))?;
            if key == "wrt" {
                if args.wrt.is_some() {
                    return Err(syn::Error::new(key.span(), "duplicate `wrt` argument"));
                }
                let content;
                syn::parenthesized!(content in input);
                // `self` too (`wrt(self)`), which `Ident` alone does not parse.
                let names = Punctuated::<Ident, Token![,]>::parse_terminated_with(
                    &content,
                    syn::ext::IdentExt::parse_any,
                )?;
                if names.is_empty() {
                    return Err(syn::Error::new(
                        key.span(),
                        "`wrt()` names no parameter; list at least one, as in `wrt(x)`",
                    ));
                }
                args.wrt = Some(names.into_iter().collect());
            } else if key == "graph" || key == "forward" || key == "hessian" {
                let slot = if key == "graph" {
                    &mut args.graph
                } else if key == "forward" {
                    &mut args.forward
                } else {
                    &mut args.hessian
                };
                if slot.is_some() {
                    return Err(syn::Error::new(
                        key.span(),
                        format!("duplicate `{key}` argument"),
                    ));
                }
                *slot = Some(key);
            } else {
                return Err(syn::Error::new(
                    key.span(),
                    format!("unknown argument `{key}`; {EXPECTED}"),
                ));
            }
            if input.is_empty() {
                break;
            }
            input.parse::<Token![,]>()?;
        }
        Ok(args)
    }
}
