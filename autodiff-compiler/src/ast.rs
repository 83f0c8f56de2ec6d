//! The validated view of the user's function signature.
//!
//! Borrows the `syn::ItemFn` and records, for each parameter, whether it is a
//! float (differentiated) or a constant, keeping the original nodes for spans.

use crate::args::Args;
use crate::ctxt::Ctxt;
use crate::ir::{Float, Ty};
use crate::structs::{Field, Kind};
use crate::syntax::{float_type, ident_name, is_bool_type, is_int_type, type_text};
use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote};
use syn::{FnArg, Ident, ItemFn, Pat, ReturnType, Type};

/// The shape of an array, slice or `Vec` parameter of floats.
pub struct ArrayParam {
    /// Number of dimensions (`[[f64; 3]; 2]` has 2).
    pub rank: usize,
    /// Whether the outer dimension is runtime-sized (`&[T]`, `Vec<T>`).
    pub dynamic: bool,
    /// The type of its gradient: the same array type, or `Vec<T>`.
    pub grad_ty: TokenStream,
    /// The type of its output in `f_grad_into`: `&mut [T; N]` or `&mut [T]`.
    pub into_ty: TokenStream,
    /// An expression of the parameter that builds a zero gradient.
    pub zero: TokenStream,
    /// A zero element of the outer dimension (for filling a slice).
    pub zero_elem: TokenStream,
}

/// One parameter of the user's function.
pub struct Param<'a> {
    /// The name used in the generated function (a fresh one for `_`).
    pub ident: Ident,
    /// Floats and arrays carry gradients, others are constants.
    pub ty: Ty,
    /// The shape, for arrays.
    pub array: Option<ArrayParam>,
    /// Whether `f_grad` returns a gradient for it.
    pub wrt: bool,
    /// The parameter's declared type (a field's: its struct parameter's).
    pub syn_ty: &'a Type,
    /// An ordinary parameter, a struct parameter or one of its fields.
    pub role: Role,
}

/// What a parameter of the generated functions is (see `structs.rs`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// A parameter as declared.
    Plain,
    /// A struct parameter; `grad` when its fields are differentiated (its
    /// gradient is then a value of the struct).
    Struct { grad: bool },
    /// A field the body reads, by index into `Sig::fields`: a hidden
    /// parameter bound from the struct at the top of each generated function.
    Field(usize),
}

/// The user's function, validated.
pub struct Sig<'a> {
    pub item: &'a ItemFn,
    pub float: Float,
    pub params: Vec<Param<'a>>,
    /// `&self` or `self` of a method: a constant, or a struct parameter
    /// under `wrt(self)`.
    pub receiver: Option<&'a syn::Receiver>,
    /// Whether `self`'s fields are differentiated (`wrt(self)`).
    pub self_grad: bool,
    /// The fields of struct parameters the body reads.
    pub fields: &'a [Field],
}

const PARAM_TYPES: &str = "#[grad] differentiates `f32`/`f64` parameters, arrays `[T; N]`, slices `&[T]` and `Vec<T>` of them, and structs that derive `Differentiable`, and treats integer and `bool` parameters as constants";

/// Whether `ty` is an array, slice or `Vec` of integers or booleans (a
/// constant parameter, such as class labels).
pub fn is_const_array(ty: &Type) -> bool {
    let elem = match ty {
        Type::Array(a) => &*a.elem,
        Type::Reference(r) if r.mutability.is_none() => match &*r.elem {
            Type::Slice(s) => &*s.elem,
            other => return is_const_array(other),
        },
        Type::Paren(p) => return is_const_array(&p.elem),
        _ => match dynamic_elem(ty) {
            Some(e) => e,
            None => return false,
        },
    };
    is_int_type(elem) || is_bool_type(elem) || is_const_array(elem)
}

/// A fixed-size array of floats, possibly nested: its rank and a zero value.
fn fixed_array(ty: &Type, float: Float) -> Option<(usize, TokenStream)> {
    match ty {
        Type::Array(a) => {
            let len = &a.len;
            if float_type(&a.elem) == Some(float) {
                let zero = zero_lit(float);
                Some((1, quote!([#zero; #len])))
            } else {
                let (rank, zero) = fixed_array(&a.elem, float)?;
                Some((rank + 1, quote!([#zero; #len])))
            }
        }
        Type::Paren(p) => fixed_array(&p.elem, float),
        Type::Group(g) => fixed_array(&g.elem, float),
        _ => None,
    }
}

/// The element type and rank of a slice or `Vec` of floats or float arrays.
fn dynamic_elem(ty: &Type) -> Option<&Type> {
    let elem = match ty {
        Type::Reference(r) if r.mutability.is_none() => match &*r.elem {
            Type::Slice(s) => &*s.elem,
            Type::Path(_) => return dynamic_elem(&r.elem),
            _ => return None,
        },
        Type::Path(p) if p.qself.is_none() && p.path.segments.len() == 1 => {
            let seg = &p.path.segments[0];
            if seg.ident != "Vec" {
                return None;
            }
            match &seg.arguments {
                syn::PathArguments::AngleBracketed(a) if a.args.len() == 1 => match &a.args[0] {
                    syn::GenericArgument::Type(t) => t,
                    _ => return None,
                },
                _ => return None,
            }
        }
        _ => return None,
    };
    Some(elem)
}

/// A zero literal of the float type.
pub fn zero_lit(float: Float) -> TokenStream {
    match float {
        Float::F64 => quote!(0.0f64),
        Float::F32 => quote!(0.0f32),
    }
}

/// The shape of an array parameter of type `ty` named `ident`, if it is one.
pub fn array_param_of(ty: &Type, ident: &Ident, float: Float) -> Option<ArrayParam> {
    if let Some((rank, zero)) = fixed_array(ty, float) {
        return Some(ArrayParam {
            rank,
            dynamic: false,
            grad_ty: quote!(#ty),
            into_ty: quote!(&mut #ty),
            zero_elem: zero.clone(),
            zero,
        });
    }
    if let Type::Reference(r) = ty
        && r.mutability.is_none()
        && let Some((rank, zero)) = fixed_array(&r.elem, float)
    {
        let elem = &r.elem;
        return Some(ArrayParam {
            rank,
            dynamic: false,
            grad_ty: quote!(#elem),
            into_ty: quote!(&mut #elem),
            zero_elem: zero.clone(),
            zero,
        });
    }
    let elem = dynamic_elem(ty)?;
    let (rank, zero) = if float_type(elem) == Some(float) {
        (0, zero_lit(float))
    } else {
        fixed_array(elem, float)?
    };
    Some(ArrayParam {
        rank: rank + 1,
        dynamic: true,
        grad_ty: quote!(::std::vec::Vec<#elem>),
        into_ty: quote!(&mut [#elem]),
        zero: quote!(::std::vec![#zero; #ident.len()]),
        zero_elem: zero,
    })
}

impl<'a> Sig<'a> {
    /// Validates the signature, recording every problem in `cx`.
    pub fn from_syn(
        cx: &Ctxt,
        item: &'a ItemFn,
        args: &Args,
        fields: &'a [Field],
    ) -> Option<Sig<'a>> {
        let sig = &item.sig;
        if let Some(t) = &sig.constness {
            cx.error_spanned_by(t, "#[grad] does not support `const fn`; remove `const`");
        }
        if let Some(t) = &sig.asyncness {
            cx.error_spanned_by(
                t,
                "#[grad] does not support `async fn`; differentiate a synchronous function",
            );
        }
        if let syn::Safety::Unsafe(t) = &sig.safety {
            cx.error_spanned_by(t, "#[grad] does not support `unsafe fn`; remove `unsafe`");
        }
        if let Some(abi) = &sig.abi {
            cx.error_spanned_by(
                abi,
                "#[grad] does not support `extern` functions; remove the ABI",
            );
        }
        if let Some(v) = &sig.variadic {
            cx.error_spanned_by(v, "#[grad] does not support variadic functions");
        }
        // One type parameter alone is the float type (`generic.rs`): never
        // here. Anything else is one error on the generics.
        if sig
            .generics
            .params
            .iter()
            .any(|p| !matches!(p, syn::GenericParam::Lifetime(_)))
        {
            cx.error_spanned_by(
                &sig.generics,
                "#[grad] supports one generic parameter, the float type (`fn f<T: Float>(x: T) -> T`); write the other types and constants out",
            );
        }
        let float = match &sig.output {
            ReturnType::Default => {
                cx.error_spanned_by(
                    &sig.ident,
                    "#[grad] function has no return type; it must return `f32` or `f64`",
                );
                None
            }
            ReturnType::Type(_, ty) => {
                let float = float_type(ty);
                if float.is_none() {
                    cx.error_spanned_by(
                        ty,
                        "#[grad] function must return `f32` or `f64` (a scalar to differentiate)",
                    );
                }
                float
            }
        };
        let mut params = Vec::new();
        let mut receiver = None;
        for (i, arg) in sig.inputs.iter().enumerate() {
            let pt = match arg {
                FnArg::Receiver(r) => {
                    if matches!(&r.kind, syn::ReceiverKind::Reference(_, _, Some(_))) {
                        cx.error_spanned_by(
                            r,
                            "#[grad] does not support `&mut self`; take `&self` (the fields are constants)",
                        );
                    }
                    receiver = Some(r);
                    continue;
                }
                FnArg::Typed(pt) => pt,
            };
            let ident = match &*pt.pat {
                Pat::Ident(p) if p.by_ref.is_none() && p.subpat.is_none() => p.ident.clone(),
                Pat::Wild(_) => format_ident!("__param{}", i, span = Span::mixed_site()),
                other => {
                    cx.error_spanned_by(
                        other,
                        "#[grad] supports parameters named by an identifier or `_`; bind the parameter to a name and destructure it in the body",
                    );
                    continue;
                }
            };
            let array = float.and_then(|f| array_param_of(&pt.ty, &ident, f));
            if crate::structs::struct_type(&pt.ty).is_some() {
                let grad = args
                    .wrt
                    .as_ref()
                    .is_none_or(|names| names.iter().any(|n| ident_name(n) == ident_name(&ident)));
                params.push(Param {
                    ident,
                    ty: Ty::Int,
                    array: None,
                    wrt: false,
                    syn_ty: &pt.ty,
                    role: Role::Struct { grad },
                });
                continue;
            }
            let ty = if array.is_some() {
                Ty::Array
            } else if let Some(pf) = float_type(&pt.ty) {
                if let Some(f) = float
                    && pf != f
                {
                    cx.error_spanned_by(
                        &pt.ty,
                        format!(
                            "`{}` parameter in a function returning `{}`; #[grad] needs one float type for the parameters and the return type",
                            pf.name(),
                            f.name()
                        ),
                    );
                }
                Ty::Float
            } else if is_int_type(&pt.ty) || is_const_array(&pt.ty) {
                Ty::Int
            } else if is_bool_type(&pt.ty) {
                Ty::Bool
            } else {
                let ty = &pt.ty;
                cx.error_spanned_by(
                    ty,
                    format!(
                        "parameter type `{}` is not supported; {PARAM_TYPES}",
                        type_text(ty)
                    ),
                );
                continue;
            };
            let differentiable = matches!(ty, Ty::Float | Ty::Array);
            params.push(Param {
                ident,
                ty,
                array,
                wrt: differentiable,
                syn_ty: &pt.ty,
                role: Role::Plain,
            });
        }
        // `self` has no declared type to borrow; its fields' `syn_ty` is the
        // return type, which only says "no fixed lengths" (the one use of a
        // field's `syn_ty`; the signature is printed from the receiver).
        let self_ty = match (&sig.output, receiver) {
            (ReturnType::Type(_, ty), Some(_)) => Some(&**ty),
            _ => None,
        };
        if let Some(names) = &args.wrt {
            let mut seen: Vec<String> = Vec::new();
            for name in names {
                if seen.contains(&ident_name(name)) {
                    cx.error_spanned_by(name, format!("`{name}` is listed twice in `wrt`"));
                    continue;
                }
                seen.push(ident_name(name));
                if name == "self" {
                    if receiver.is_none() {
                        cx.error_spanned_by(
                            name,
                            format!("`self` is not a parameter of `{}`", sig.ident),
                        );
                    }
                    continue;
                }
                match params.iter().find(|p| ident_name(&p.ident) == ident_name(name)) {
                    Some(p) if matches!(p.role, Role::Struct { .. }) => {}
                    None => cx.error_spanned_by(
                        name,
                        format!("`{name}` is not a parameter of `{}`", sig.ident),
                    ),
                    Some(p) if !matches!(p.ty, Ty::Float | Ty::Array) => cx.error_spanned_by(
                        name,
                        format!("`{name}` is not a float parameter; only `f32`/`f64` parameters and arrays of them have gradients"),
                    ),
                    Some(_) => {}
                }
            }
            for p in &mut params {
                p.wrt = matches!(p.ty, Ty::Float | Ty::Array)
                    && names.iter().any(|n| ident_name(n) == ident_name(&p.ident));
            }
        }
        let float = float?;
        // The fields the body reads: hidden parameters after the declared ones.
        for (i, f) in fields.iter().enumerate() {
            let syn_ty = match f.root {
                Some(_) => params
                    .iter()
                    .find(|p| ident_name(&p.ident) == ident_name(&f.root_ident))
                    .map(|p| p.syn_ty),
                None => self_ty,
            };
            let Some(syn_ty) = syn_ty else { continue };
            let ident = &f.ident;
            let (ty, array) = match f.kind {
                Kind::Float => (Ty::Float, None),
                Kind::Int => (Ty::Int, None),
                Kind::Array(_) | Kind::Whole => (
                    Ty::Array,
                    Some(ArrayParam {
                        rank: match f.kind {
                            Kind::Array(rank) => rank,
                            _ => 1,
                        },
                        dynamic: true,
                        grad_ty: TokenStream::new(),
                        into_ty: TokenStream::new(),
                        zero: quote!(::autodiff_core::Differentiable::zero_like(#ident)),
                        zero_elem: TokenStream::new(),
                    }),
                ),
            };
            params.push(Param {
                ident: f.ident.clone(),
                ty,
                array,
                wrt: f.grad && ty != Ty::Int,
                syn_ty,
                role: Role::Field(i),
            });
        }
        Some(Sig {
            item,
            float,
            params,
            receiver,
            self_grad: crate::structs::wrt_self(args) && receiver.is_some(),
            fields,
        })
    }
}

impl Sig<'_> {
    /// Whether a struct parameter (or `self`) has a gradient.
    pub fn has_struct_gradients(&self) -> bool {
        self.self_grad
            || self
                .params
                .iter()
                .any(|p| p.role == Role::Struct { grad: true })
    }
}
