//! `#[derive(Differentiable)]`: implements `autodiff_core::Differentiable`
//! for a struct whose fields are floats, arrays or `Vec`s of floats, or other
//! `Differentiable` structs; integer and `bool` fields, and fields marked
//! `#[differentiable(constant)]`, are constants.
//!
//! ```text
//! struct Layer { w: [[f64; 2]; 2], b: f64, n: usize }
//!   ─► impl Differentiable for Layer where [[f64; 2]; 2]: Differentiable, f64: Differentiable<Float = …>
//!        zero_like: Layer { w: w.zero_like(), b: b.zero_like(), n: n.clone() }
//!        visit / zip_mut: w, then b (n has no slot)
//! ```

use crate::ast::is_const_array;
use crate::ctxt::Ctxt;
use crate::syntax::{is_bool_type, is_int_type};
use proc_macro2::TokenStream;
use quote::{ToTokens, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Data, DeriveInput, Fields, GenericParam, Member, Type};

/// One field: how to reach it, its type, whether it is a constant.
struct Field<'a> {
    member: Member,
    ty: &'a Type,
    constant: bool,
}

/// Whether a field is marked `#[differentiable(constant)]`; other arguments
/// are errors.
fn marked_constant(cx: &Ctxt, attrs: &[syn::Attribute]) -> bool {
    let mut constant = false;
    for attr in attrs.iter().filter(|a| a.path().is_ident("differentiable")) {
        let result = attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("constant") {
                constant = true;
                Ok(())
            } else {
                Err(meta.error("expected #[differentiable(constant)]"))
            }
        });
        if let Err(e) = result {
            cx.syn_error(e);
        }
    }
    constant
}

/// Whether the generic type parameter has a bound naming a float trait
/// (`Real`, `Float` or `Differentiable`), on it or in the where clause.
fn has_float_bound(input: &DeriveInput, param: &syn::TypeParam) -> bool {
    let names = |bounds: &syn::punctuated::Punctuated<syn::TypeParamBound, syn::Token![+]>| {
        bounds.iter().any(|b| match b {
            syn::TypeParamBound::Trait(t) => t.path.segments.last().is_some_and(|s| {
                s.ident == "Real" || s.ident == "Float" || s.ident == "Differentiable"
            }),
            _ => false,
        })
    };
    if names(&param.bounds) {
        return true;
    }
    let Some(wc) = &input.generics.where_clause else {
        return false;
    };
    wc.predicates.iter().any(|p| match p {
        syn::WherePredicate::Type(t) => {
            matches!(&t.bounded_ty, Type::Path(tp) if tp.path.is_ident(&param.ident))
                && names(&t.bounds)
        }
        _ => false,
    })
}

/// A field type that certainly has no float slots (a string, an option, a
/// reference, a tuple, …): the first such type inside `ty`, if any. Other
/// types are floats, arrays and `Vec`s of them, or structs that must
/// implement the trait themselves (rustc checks that).
fn not_differentiable(ty: &Type) -> Option<&Type> {
    const NOT: &[&str] = &[
        "String", "str", "char", "Option", "Box", "Rc", "Arc", "Cell", "RefCell", "HashMap",
        "BTreeMap", "HashSet", "BTreeSet", "VecDeque", "PathBuf", "Result",
    ];
    match ty {
        Type::Array(a) => not_differentiable(&a.elem),
        Type::Paren(p) => not_differentiable(&p.elem),
        Type::Group(g) => not_differentiable(&g.elem),
        Type::Path(p) => {
            let last = p.path.segments.last()?;
            if NOT.iter().any(|n| last.ident == n) {
                return Some(ty);
            }
            if last.ident == "Vec"
                && let syn::PathArguments::AngleBracketed(a) = &last.arguments
                && let Some(syn::GenericArgument::Type(elem)) = a.args.first()
            {
                return not_differentiable(elem);
            }
            None
        }
        _ => Some(ty),
    }
}

// Input:  `#[derive(Differentiable)] struct Layer { w: [[f64; 2]; 2], n: usize }`
// Output: `impl ::autodiff_core::Differentiable for Layer { … }`
pub fn expand(input: TokenStream) -> TokenStream {
    let input: DeriveInput = match syn::parse2(input) {
        Ok(i) => i,
        Err(e) => return e.into_compile_error(),
    };
    let cx = Ctxt::default();
    let fields = match &input.data {
        Data::Struct(s) => &s.fields,
        Data::Enum(e) => {
            cx.error_spanned_by(
                e.enum_token,
                "Differentiable can be derived for structs, not for an enum (its variants have no common float slots); put the parameters in a struct",
            );
            return cx
                .check()
                .map_or_else(|e| e.into_compile_error(), |()| quote!());
        }
        Data::Union(u) => {
            cx.error_spanned_by(
                u.union_token,
                "Differentiable can be derived for structs, not for a union",
            );
            return cx
                .check()
                .map_or_else(|e| e.into_compile_error(), |()| quote!());
        }
    };
    for param in &input.generics.params {
        if let GenericParam::Type(t) = param
            && !has_float_bound(&input, t)
        {
            cx.error_spanned_by(
                t,
                format!(
                    "generic parameter `{}` of a Differentiable struct needs a float bound: write `{}: autodiff_core::Real` (or a `Differentiable` bound)",
                    t.ident, t.ident
                ),
            );
        }
    }
    let fields: Vec<Field> = match fields {
        Fields::Named(n) => n
            .named
            .iter()
            .map(|f| Field {
                member: Member::Named(f.ident.clone().expect("a named field")),
                ty: &f.ty,
                constant: marked_constant(&cx, &f.attrs),
            })
            .collect(),
        Fields::Unnamed(u) => u
            .unnamed
            .iter()
            .enumerate()
            .map(|(i, f)| Field {
                member: Member::Unnamed(i.into()),
                ty: &f.ty,
                constant: marked_constant(&cx, &f.attrs),
            })
            .collect(),
        Fields::Unit => Vec::new(),
    };
    let is_constant =
        |f: &Field| f.constant || is_int_type(f.ty) || is_bool_type(f.ty) || is_const_array(f.ty);
    let slots: Vec<&Field> = fields.iter().filter(|f| !is_constant(f)).collect();
    for f in &slots {
        if let Some(bad) = not_differentiable(f.ty) {
            cx.error_spanned_by(
                bad,
                format!(
                    "`{}` has no float slots; a Differentiable field is a float, an array or `Vec` of floats, or a struct deriving Differentiable: mark this field `#[differentiable(constant)]`",
                    bad.to_token_stream().to_string().replace(' ', "")
                ),
            );
        }
    }
    let Some(first) = slots.first() else {
        cx.error_spanned_by(
            &input.ident,
            "a Differentiable struct needs at least one float field (a float, an array or `Vec` of floats, or another Differentiable struct)",
        );
        return cx
            .check()
            .map_or_else(|e| e.into_compile_error(), |()| quote!());
    };
    if let Err(e) = cx.check() {
        return e.into_compile_error();
    }
    let name = &input.ident;
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    let first_ty = first.ty;
    let float = quote!(<#first_ty as ::autodiff_core::Differentiable>::Float);
    let mut predicates: Vec<TokenStream> = where_clause
        .map(|w| w.predicates.iter().map(|p| p.to_token_stream()).collect())
        .unwrap_or_default();
    // Every slot field's type is Differentiable: one bound each, spanned on
    // the type, so a field of another type is one error under it. The float
    // types must agree; that bound is written only for types that mention a
    // type parameter (on concrete types it would send the trait solver round
    // in circles through nested structs; a mismatch there is still a type
    // error in `zip_mut`).
    for f in &slots {
        let ty = f.ty;
        predicates.push(quote_spanned!(ty.span()=> #ty: ::autodiff_core::Differentiable));
    }
    let params: Vec<&syn::Ident> = input.generics.type_params().map(|t| &t.ident).collect();
    let generic = |ty: &Type| {
        let text = ty.to_token_stream().to_string();
        params.iter().any(|p| {
            text.split(|c: char| !(c.is_alphanumeric() || c == '_'))
                .any(|w| *p == w)
        })
    };
    if generic(first_ty) {
        predicates.push(quote!(#first_ty: ::autodiff_core::Differentiable));
    }
    for f in &slots[1..] {
        let ty = f.ty;
        if generic(ty) {
            predicates.push(quote!(#ty: ::autodiff_core::Differentiable<Float = #float>));
        }
    }
    let zero = fields.iter().map(|f| {
        let m = &f.member;
        if is_constant(f) {
            quote!(#m: ::core::clone::Clone::clone(&self.#m))
        } else {
            quote!(#m: ::autodiff_core::Differentiable::zero_like(&self.#m))
        }
    });
    let visit = slots.iter().map(|f| {
        let m = &f.member;
        quote!(::autodiff_core::Differentiable::visit(&self.#m, f);)
    });
    let visit_mut = slots.iter().map(|f| {
        let m = &f.member;
        quote!(::autodiff_core::Differentiable::visit_mut(&mut self.#m, f);)
    });
    let zip = slots.iter().map(|f| {
        let m = &f.member;
        quote!(::autodiff_core::Differentiable::zip_mut(&mut self.#m, &other.#m, f);)
    });
    let accumulate_predicates = predicates.clone();
    quote! {
        // What generated code calls to add a callee's gradient of this
        // struct into the caller's (`layer(&p.l1, x)`).
        #[automatically_derived]
        impl #impl_generics ::autodiff_core::__private::Accumulate<#float> for #name #ty_generics
        where
            #(#accumulate_predicates,)*
        {
            fn add_scaled(&mut self, k: #float, src: &Self) {
                ::autodiff_core::Differentiable::axpy(self, k, src);
            }
        }

        #[automatically_derived]
        impl #impl_generics ::autodiff_core::Differentiable for #name #ty_generics
        where
            #(#predicates,)*
        {
            type Float = #float;
            fn zero_like(&self) -> Self {
                Self { #(#zero,)* }
            }
            fn visit(&self, f: &mut dyn FnMut(Self::Float)) {
                #(#visit)*
            }
            fn visit_mut(&mut self, f: &mut dyn FnMut(&mut Self::Float)) {
                #(#visit_mut)*
            }
            fn zip_mut(
                &mut self,
                other: &Self,
                f: &mut dyn FnMut(&mut Self::Float, Self::Float),
            ) {
                #(#zip)*
            }
        }
    }
}
