//! The signatures of the generated functions, computed in one place for the
//! code generators (`codegen`, `graph.rs`, `forward.rs`, `vector.rs`) and
//! for `fallback.rs`'s stand-ins, which must match them exactly so that a
//! caller sees no cascade of errors when the function has errors of its
//! own.
//!
//! Each generated function takes the user's parameters (then `extra` ones)
//! and returns `ret`; [`shape`] says what those are for each kind, and
//! [`super::sibling_fn`] writes the rest of the signature.

use crate::ast::{Param, Sig};
use proc_macro2::{Ident, Span, TokenStream};
use quote::{format_ident, quote};

/// A function `#[grad]` generates for a scalar function `f`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Generated {
    /// `f_grad(..) -> (value, gradient…)`.
    Grad,
    /// `f_grad_into(.., grad_x: &mut …) -> value`: functions with
    /// runtime-sized data or struct gradients only.
    GradInto,
    /// `f_graph(..) -> Graph` (`#[grad(graph)]`).
    Graph,
    /// `f_jvp(.., d_x…) -> (value, tangent)` (`#[grad(forward)]`).
    Jvp,
    /// `f_hvp(.., d_x…) -> (value, gradient…, H·d…)` (`#[grad(hessian)]`).
    Hvp,
    /// `f_hessian(..) -> (value, gradient…, H)` (`#[grad(hessian)]`):
    /// fixed-size parameters only.
    Hessian,
}

/// What a generated function takes after the user's parameters and what it
/// returns.
pub struct Shape {
    pub name: Ident,
    /// Parameters after the user's (`grad_x: &mut [f64]`, `cotangent: [f64; 2]`).
    pub extra: Vec<TokenStream>,
    pub ret: TokenStream,
}

/// The float type's tokens.
pub fn float(sig: &Sig) -> TokenStream {
    let ident = Ident::new(sig.float.name(), Span::call_site());
    quote!(#ident)
}

/// The type of the gradient of a plain differentiated parameter (its array
/// type, `Vec<T>`, or the float).
pub fn grad_type(sig: &Sig, p: &Param) -> TokenStream {
    match &p.array {
        Some(a) => a.grad_ty.clone(),
        None => float(sig),
    }
}

/// The gradient types of the differentiated parameters, in order.
pub fn grad_types(sig: &Sig) -> Vec<TokenStream> {
    sig.params
        .iter()
        .filter(|p| p.wrt)
        .map(|p| grad_type(sig, p))
        .collect()
}

/// Whether a parameter is runtime-sized (a slice, a `Vec`, a field read as
/// an array).
pub fn has_dynamic(sig: &Sig) -> bool {
    sig.params
        .iter()
        .any(|p| p.array.as_ref().is_some_and(|a| a.dynamic))
}

/// Whether `f_grad` writes into buffers (`f_grad_into` exists, and struct
/// gradients are values of their structs).
pub fn writes_into(sig: &Sig) -> bool {
    has_dynamic(sig) || sig.has_struct_gradients()
}

/// How many float slots a parameter has, as a constant expression.
pub fn float_slots(p: &Param) -> TokenStream {
    fn count(ty: &syn::Type) -> TokenStream {
        match ty {
            syn::Type::Array(a) => {
                let len = &a.len;
                let inner = count(&a.elem);
                quote!(((#len) * #inner))
            }
            syn::Type::Reference(r) => count(&r.elem),
            syn::Type::Paren(p) => count(&p.elem),
            syn::Type::Group(g) => count(&g.elem),
            _ => quote!(1usize),
        }
    }
    count(p.syn_ty)
}

/// The number of float slots of the differentiated parameters (the side of
/// `f_hessian`'s matrix), as a constant expression.
pub fn total_slots(sig: &Sig) -> TokenStream {
    let sizes = sig.params.iter().filter(|p| p.wrt).map(float_slots);
    quote!((0usize #(+ #sizes)*))
}

// Input:  `fn f(x: &[f64], a: f64) -> f64` and `Generated::GradInto`
// Output: `f_grad_into`, `[grad_x: &mut [f64], grad_a: &mut f64]`, `f64`
/// The name, extra parameters and return type of the function `which`
/// generated for `sig`; `None` when `sig` gets no such function. `Jvp` and
/// `Hvp` also take one direction per differentiated parameter, which
/// `forward.rs` adds to the signature as parameters its body reads.
pub fn shape(sig: &Sig, which: Generated) -> Option<Shape> {
    let name = |suffix: &str| format_ident!("{}_{}", sig.item.sig.ident, suffix);
    let float = float(sig);
    let grads = grad_types(sig);
    let shape = match which {
        Generated::Grad if writes_into(sig) => Shape {
            name: name("grad"),
            extra: Vec::new(),
            ret: super::structs::signature(sig, &float).1,
        },
        Generated::Grad => {
            let slots = std::iter::once(float).chain(grads);
            Shape {
                name: name("grad"),
                extra: Vec::new(),
                ret: quote!((#(#slots),*)),
            }
        }
        Generated::GradInto => {
            if !writes_into(sig) {
                return None;
            }
            Shape {
                name: name("grad_into"),
                extra: super::structs::signature(sig, &float).0,
                ret: float,
            }
        }
        Generated::Graph => Shape {
            name: name("graph"),
            extra: Vec::new(),
            ret: quote!(::autodiff_core::Graph),
        },
        Generated::Jvp => Shape {
            name: name("jvp"),
            extra: Vec::new(),
            ret: quote!((#float, #float)),
        },
        Generated::Hvp => Shape {
            name: name("hvp"),
            extra: Vec::new(),
            ret: quote!((#float, #(#grads,)* #(#grads),*)),
        },
        Generated::Hessian => {
            if has_dynamic_wrt(sig) {
                return None;
            }
            let total = total_slots(sig);
            Shape {
                name: name("hessian"),
                extra: Vec::new(),
                ret: quote!((#float, #(#grads,)* [[#float; #total]; #total])),
            }
        }
    };
    Some(shape)
}

/// Whether a differentiated parameter is runtime-sized.
pub fn has_dynamic_wrt(sig: &Sig) -> bool {
    sig.params
        .iter()
        .filter(|p| p.wrt)
        .any(|p| p.array.as_ref().is_some_and(|a| a.dynamic))
}

/// A function `#[grad]` generates for a function with several outputs
/// (`vector.rs`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VectorFn {
    /// `f_vjp(.., cotangent) -> (outputs, wᵀJ…)`.
    Vjp,
    /// `f_jacobian(..) -> (outputs, [row; M]…)`.
    Jacobian,
    /// `f_jvp(.., d_x…) -> (outputs, J·d)` (`#[grad(forward)]`; the
    /// directions are parameters of `forward.rs`'s extended signature).
    Jvp,
}

/// The name, extra parameters and return type of `which` for a function
/// whose outputs have the type `outputs` (`[T; M]` or a tuple of `m`
/// floats) and whose cotangent has the type `cotangent`; `sig` is the
/// signature without outputs that `vector.rs` builds.
pub fn vector_shape(
    sig: &Sig,
    which: VectorFn,
    outputs: &TokenStream,
    cotangent: &TokenStream,
    m: &TokenStream,
) -> Shape {
    let name = |suffix: &str| format_ident!("{}_{}", sig.item.sig.ident, suffix);
    let grads = grad_types(sig);
    match which {
        VectorFn::Vjp => Shape {
            name: name("vjp"),
            extra: vec![quote!(cotangent: #cotangent)],
            ret: quote!((#outputs, #(#grads),*)),
        },
        VectorFn::Jacobian => Shape {
            name: name("jacobian"),
            extra: Vec::new(),
            ret: quote!((#outputs, #([#grads; #m]),*)),
        },
        VectorFn::Jvp => Shape {
            name: name("jvp"),
            extra: Vec::new(),
            ret: quote!((#outputs, #outputs)),
        },
    }
}
