//! Syntactic facts about types and names that every syntax stage shares
//! (`structs`, `ast`, `generic`, `vector`, `lower`, `codegen`): which types
//! name floats, integers and `bool`, the name an identifier denotes, and
//! back from names to tokens. A leaf: it depends on no other stage, so the
//! stages that read syntax depend on it and never on each other for these.

use crate::ir::Float;
use proc_macro2::{Span, TokenStream};
use quote::quote;
use syn::{Ident, Type};

/// The float type named by `ty`, if it is `f32` or `f64`.
pub fn float_type(ty: &Type) -> Option<Float> {
    match ty {
        Type::Path(p) if p.qself.is_none() => {
            if p.path.is_ident("f64") {
                Some(Float::F64)
            } else if p.path.is_ident("f32") {
                Some(Float::F32)
            } else {
                None
            }
        }
        Type::Paren(p) => float_type(&p.elem),
        Type::Group(g) => float_type(&g.elem),
        _ => None,
    }
}

/// Whether `ty` names an integer type.
pub fn is_int_type(ty: &Type) -> bool {
    const NAMES: &[&str] = &[
        "i8", "i16", "i32", "i64", "i128", "isize", "u8", "u16", "u32", "u64", "u128", "usize",
    ];
    match ty {
        Type::Path(p) if p.qself.is_none() => NAMES.iter().any(|n| p.path.is_ident(n)),
        Type::Paren(p) => is_int_type(&p.elem),
        Type::Group(g) => is_int_type(&g.elem),
        _ => false,
    }
}

/// Whether `ty` is `bool`.
pub fn is_bool_type(ty: &Type) -> bool {
    match ty {
        Type::Path(p) if p.qself.is_none() => p.path.is_ident("bool"),
        Type::Paren(p) => is_bool_type(&p.elem),
        Type::Group(g) => is_bool_type(&g.elem),
        _ => false,
    }
}

/// A type as the user would write it, for messages (`&mut f64`, `Vec<f64>`).
pub fn type_text(ty: &Type) -> String {
    let text = quote::quote!(#ty).to_string();
    let mut out = String::with_capacity(text.len());
    for (i, c) in text.char_indices() {
        let prev = text[..i].chars().last();
        let next = text[i + c.len_utf8()..].chars().next();
        let drop = c == ' '
            && (matches!(prev, Some('&' | '<' | '[' | '(' | ':'))
                || matches!(next, Some('<' | '>' | ']' | ')' | ';' | ',' | ':')));
        if !drop {
            out.push(c);
        }
    }
    out
}

/// The name an identifier denotes: `r#x` and `x` are one name. Names are
/// compared and stored this way everywhere; codegen makes an identifier raw
/// again where the name is a keyword.
pub fn ident_name(ident: &Ident) -> String {
    syn::ext::IdentExt::unraw(ident).to_string()
}

/// The identifier for a name (names are kept without the `r#` of a raw
/// identifier): raw again where the name is a keyword (`r#type`).
pub fn name_ident(name: &str, span: Span) -> Ident {
    let name = name.strip_prefix("r#").unwrap_or(name);
    let plain = matches!(name, "self" | "Self" | "super" | "crate" | "_");
    if plain || syn::parse_str::<Ident>(name).is_ok() {
        Ident::new(name, span)
    } else {
        Ident::new_raw(name, span)
    }
}

/// `a::b::c` for the segments of a path (an empty first segment is a
/// leading `::`).
pub fn path_tokens(segments: &[String], span: Span) -> TokenStream {
    let segs = segments.iter().map(|s| {
        if s.is_empty() {
            quote!()
        } else {
            let id = name_ident(s, span);
            quote!(#id)
        }
    });
    quote!(#(#segs)::*)
}
