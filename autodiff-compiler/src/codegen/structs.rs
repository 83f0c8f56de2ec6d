//! `f_grad` and `f_grad_into` of a function with struct parameters
//! (`structs.rs` made their fields hidden parameters): each struct's
//! gradient is a value of the struct, and the sweep writes each field's
//! gradient into that field (`&mut grad_p.w[..]`, `*grad_p.b = …`).

use super::body::{body_into, straight_body};
use super::expr::{float_tokens, value_ident};
use super::{Generated, shape, sibling_fn};
use crate::ast::{Role, Sig};
use crate::expansion::GeneratedFn;
use crate::ir::{Func, ValueId};
use crate::structs::Kind;
use proc_macro2::{Ident, Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use std::collections::HashMap;

/// One slot of `f_grad`'s result after the value.
enum Slot {
    /// An ordinary differentiated parameter, by index.
    Plain(usize),
    /// A struct parameter (`None`: `self`), with the type of its gradient
    /// and an expression that borrows it.
    Struct {
        root: Option<usize>,
        ty: TokenStream,
        borrow: TokenStream,
    },
}

fn slots(sig: &Sig) -> Vec<Slot> {
    let mut slots = Vec::new();
    if sig.self_grad
        && let Some(r) = sig.receiver
    {
        let borrow = if matches!(r.kind, syn::ReceiverKind::Reference(..)) {
            quote!(self)
        } else {
            quote!(&self)
        };
        slots.push(Slot::Struct {
            root: None,
            ty: quote!(Self),
            borrow,
        });
    }
    for (i, p) in sig.params.iter().enumerate() {
        match p.role {
            Role::Plain if p.wrt => slots.push(Slot::Plain(i)),
            Role::Struct { grad: true } => {
                let ident = &p.ident;
                let (ty, borrow) = match p.syn_ty {
                    syn::Type::Reference(r) => {
                        let elem = &r.elem;
                        (quote!(#elem), quote!(#ident))
                    }
                    ty => (quote!(#ty), quote!(&#ident)),
                };
                slots.push(Slot::Struct {
                    root: Some(i),
                    ty,
                    borrow,
                });
            }
            _ => {}
        }
    }
    slots
}

fn out_name(sig: &Sig, slot: &Slot) -> Ident {
    let name = match slot {
        Slot::Plain(i) | Slot::Struct { root: Some(i), .. } => {
            syn::ext::IdentExt::unraw(&sig.params[*i].ident).to_string()
        }
        Slot::Struct { root: None, .. } => "self".to_string(),
    };
    format_ident!(
        "grad_{}",
        name.trim_start_matches('_'),
        span = Span::mixed_site()
    )
}

/// The output parameters of `f_grad_into` and the result type of `f_grad`,
/// for [`super::signature::shape`].
pub(super) fn signature(sig: &Sig, float: &TokenStream) -> (Vec<TokenStream>, TokenStream) {
    let slots = slots(sig);
    let outs = slots.iter().map(|s| out_name(sig, s));
    let out_params = slots
        .iter()
        .zip(outs)
        .map(|(slot, o)| match slot {
            Slot::Plain(i) => match &sig.params[*i].array {
                Some(a) => {
                    let t = &a.into_ty;
                    quote!(#o: #t)
                }
                None => quote!(#o: &mut #float),
            },
            Slot::Struct { ty, .. } => quote!(#o: &mut #ty),
        })
        .collect();
    let tys = slots.iter().map(|slot| match slot {
        Slot::Plain(i) => match &sig.params[*i].array {
            Some(a) => a.grad_ty.clone(),
            None => float.clone(),
        },
        Slot::Struct { ty, .. } => ty.clone(),
    });
    (out_params, quote!((#float, #(#tys),*)))
}

// Input:  `fn loss(p: &Mlp, x: &[f64]) -> f64` reading `p.w[j][i]` and `p.b`
// Output: `fn loss_grad_into(p: &Mlp, x: &[f64], grad_p: &mut Mlp, grad_x: &mut [f64]) -> f64`
//         and `fn loss_grad(p: &Mlp, x: &[f64]) -> (f64, Mlp, Vec<f64>)`
/// `f_grad_into` and `f_grad` for a function with struct parameters.
pub fn grad_fns(sig: &Sig, func: &Func, doc: &str) -> Vec<GeneratedFn> {
    let item = sig.item;
    let float = float_tokens(func);
    let slots = slots(sig);
    let outs: Vec<Ident> = slots.iter().map(|s| out_name(sig, s)).collect();
    // The IR's outputs after the value: one per differentiated parameter.
    let output: HashMap<usize, ValueId> = sig
        .params
        .iter()
        .enumerate()
        .filter(|(_, p)| p.wrt)
        .map(|(i, _)| i)
        .zip(func.outputs.iter().skip(1).copied())
        .collect();
    let roots_match = |root: &Option<usize>, i: usize| match sig.params[i].role {
        Role::Field(f) => sig.fields[f].root == *root,
        _ => false,
    };
    // Where each differentiated parameter's gradient goes: the caller's
    // output, or a field of a struct's output.
    let mut out_of: HashMap<usize, Ident> = HashMap::new();
    let mut borrows = Vec::new();
    let mut scalar_writes = Vec::new();
    for (slot, o) in slots.iter().zip(&outs) {
        match slot {
            Slot::Plain(i) => {
                let p = &sig.params[*i];
                if p.array.is_some() {
                    out_of.insert(*i, o.clone());
                } else {
                    let v = value_ident(output[i]);
                    scalar_writes.push(quote!(*#o = #v;));
                }
            }
            Slot::Struct { root, .. } => {
                for (i, p) in sig.params.iter().enumerate() {
                    if !p.wrt || !roots_match(root, i) {
                        continue;
                    }
                    let Role::Field(f) = p.role else { continue };
                    let field = &sig.fields[f];
                    let path = field.path();
                    let fo = format_ident!("__ad_out{}", i, span = Span::mixed_site());
                    if let Kind::Array(_) = field.kind {
                        borrows.push(quote!(let #fo = &mut #o #path[..];));
                        out_of.insert(i, fo);
                    } else if field.kind == Kind::Whole
                        && sig.fields.iter().any(|other| field.contains(other))
                    {
                        // Passed whole and read inside: its gradient goes to
                        // a buffer of its own, added in at the end.
                        let buf = format_ident!("__ad_whole{}", i, span = Span::mixed_site());
                        let param = &p.ident;
                        borrows.push(quote! {
                            let mut #buf = ::autodiff_core::Differentiable::zero_like(#param);
                            let #fo = &mut #buf;
                        });
                        let one = match func.float {
                            crate::ir::Float::F64 => quote!(1.0f64),
                            crate::ir::Float::F32 => quote!(1.0f32),
                        };
                        scalar_writes.push(quote! {
                            ::autodiff_core::__private::Accumulate::add_scaled(&mut (*#o) #path, #one, &#buf);
                        });
                        out_of.insert(i, fo);
                    } else if field.kind == Kind::Whole {
                        borrows.push(quote!(let #fo = &mut (*#o) #path;));
                        out_of.insert(i, fo);
                    } else {
                        let v = value_ident(output[&i]);
                        borrows.push(quote!(let #fo = &mut #o #path;));
                        scalar_writes.push(quote!(*#fo = #v;));
                    }
                }
            }
        }
    }
    let body = |zeroed: bool| {
        if func.is_straight_line() {
            straight_body(sig, func)
        } else {
            body_into(sig, func, Some(&out_of), zeroed, &[])
        }
    };
    let ret = value_ident(func.outputs[0]);
    let set_zero = slots.iter().zip(&outs).filter_map(|(slot, o)| match slot {
        Slot::Struct { ty, .. } => {
            let span = syn::spanned::Spanned::span(ty);
            Some(quote_spanned!(span=> ::autodiff_core::Differentiable::set_zero(#o);))
        }
        Slot::Plain(_) => None,
    });
    let into_body = body(false);
    let into_doc = format!(
        "Value and gradient of [`{}`] without allocating, generated by `#[grad]`.\n\nWrites each differentiated parameter's gradient into its output (overwriting it, never accumulating; a struct's gradient is set to zero first, then its fields are written) and returns the value.\n\n# Panics\n\nIf an output's length differs from its parameter's (a `Vec` field's too).",
        item.sig.ident
    );
    let into_fn = sibling_fn(
        sig,
        shape(sig, Generated::GradInto).expect("a function writing into buffers has f_grad_into"),
        &into_doc,
        quote! {
            #(#set_zero)*
            #(#borrows)*
            #into_body
            #(#scalar_writes)*
            #ret
        },
    );
    // `f_grad`: its own buffers, zero already.
    let bufs: Vec<Ident> = outs
        .iter()
        .map(|o| format_ident!("__ad_buf_{}", o, span = Span::mixed_site()))
        .collect();
    let allocs = slots.iter().zip(&bufs).map(|(slot, b)| match slot {
        Slot::Plain(i) => match &sig.params[*i].array {
            Some(a) => {
                let zero = &a.zero;
                quote!(let mut #b = #zero;)
            }
            None => {
                let zero = crate::ast::zero_lit(func.float);
                quote!(let mut #b: #float = #zero;)
            }
        },
        Slot::Struct { borrow, ty, .. } => {
            let span = syn::spanned::Spanned::span(ty);
            quote_spanned!(span=> let mut #b: #ty = ::autodiff_core::Differentiable::zero_like(#borrow);)
        }
    });
    let outs_of_bufs = slots
        .iter()
        .zip(&outs)
        .zip(&bufs)
        .map(|((slot, o), b)| match slot {
            Slot::Plain(i) => match &sig.params[*i].array {
                Some(a) if a.dynamic => quote!(let #o = &mut #b[..];),
                _ => quote!(let #o = &mut #b;),
            },
            Slot::Struct { .. } => quote!(let #o = &mut #b;),
        });
    let grad_body = body(true);
    let grad_fn = sibling_fn(
        sig,
        shape(sig, Generated::Grad).expect("every function has f_grad"),
        doc,
        quote! {
            #(#allocs)*
            let __ad_value = {
                #(#outs_of_bufs)*
                #(#borrows)*
                #grad_body
                #(#scalar_writes)*
                #ret
            };
            (__ad_value, #(#bufs),*)
        },
    );
    vec![into_fn, grad_fn]
}
