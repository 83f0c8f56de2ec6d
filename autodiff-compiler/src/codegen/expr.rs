//! Code generation of instructions: the right-hand side that computes each
//! instruction, literals, calls and the generated names of values.

use crate::ast::Sig;
use crate::ir::{Arg, CallKind, Callee, Func, Inst, Owner, Piece, Ty, ValueId};
use crate::op::Forward;
use crate::syntax::{name_ident as ident, path_tokens as path};
use proc_macro2::{Ident, Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};

/// The generated name of a value.
pub fn value_ident(v: ValueId) -> Ident {
    format_ident!("__ad_v{}", v.0, span = Span::mixed_site())
}

/// A float literal of type `float` with the given value.
pub fn float_lit(value: f64, text: &str, float: &TokenStream, span: Span) -> TokenStream {
    if !value.is_finite() {
        return if value.is_nan() {
            quote_spanned!(span=> #float::NAN)
        } else if value > 0.0 {
            quote_spanned!(span=> #float::INFINITY)
        } else {
            quote_spanned!(span=> #float::NEG_INFINITY)
        };
    }
    let (neg, text) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    // `1.` is a float literal, but `1.f64` is not: write `1.0f64`.
    let zero = if text.ends_with('.') { "0" } else { "" };
    let lit = syn::LitFloat::new(&format!("{text}{zero}{float}"), span);
    if neg { quote!((-#lit)) } else { quote!(#lit) }
}

/// The tokens of passive pieces, with IR values as their generated names.
pub fn pieces(ps: &[Piece]) -> TokenStream {
    let mut out = TokenStream::new();
    for p in ps {
        match p {
            Piece::Tokens(t) => out.extend(t.clone()),
            Piece::Value(v) => {
                let id = value_ident(*v);
                out.extend(quote!(#id));
            }
            Piece::Paren(inner) => {
                let inner = pieces(inner);
                out.extend(quote!((#inner)));
            }
            Piece::Bracket(inner) => {
                let inner = pieces(inner);
                out.extend(quote!([#inner]));
            }
        }
    }
    out
}

/// `arr[i][j]` for generated names.
pub fn indexed(arr: ValueId, index: &[ValueId]) -> TokenStream {
    let a = value_ident(arr);
    let ix = index.iter().map(|v| value_ident(*v));
    quote!(#a #([#ix])*)
}

/// A zero array shaped like the array value `v`.
pub fn zero_like(sig: &Sig, func: &Func, v: ValueId) -> TokenStream {
    let zero = crate::ast::zero_lit(func.float);
    match func.inst(v) {
        Inst::ArrayParam(p) => match &sig.params[*p].array {
            Some(a) => a.zero.clone(),
            None => quote!(#zero),
        },
        Inst::ArrayRepeat { elem, len } => {
            let inner = if func.ty(*elem) == Ty::Array {
                zero_like(sig, func, *elem)
            } else {
                quote!(#zero)
            };
            let len = pieces(&func.passive[*len]);
            quote!([#inner; #len])
        }
        Inst::ArrayList(elems) => {
            let zeros = elems.iter().map(|_| &zero);
            quote!([#(#zeros),*])
        }
        _ => quote!(#zero),
    }
}

/// An argument of a call, as the user passed it.
pub fn call_arg(func: &Func, a: &Arg) -> TokenStream {
    let id = value_ident(a.value);
    let base = match func.inst(a.value) {
        // Array parameters are held by reference: the place is behind it.
        Inst::ArrayParam(_) => quote!((*#id)),
        _ => quote!(#id),
    };
    let ix = a.prefix.iter().map(|v| value_ident(*v));
    let place = quote!(#base #([#ix])*);
    if a.by_ref {
        quote!(&#place)
    } else {
        quote!(#place)
    }
}

/// The function a call goes to: `g`, `g_grad`, `g_jvp` or `g_hvp`.
pub fn callee(callee: &Callee, kind: CallKind, span: Span) -> TokenStream {
    let suffix = kind.suffix();
    match callee {
        Callee::Path { segments, .. } => {
            let (last, prefix) = segments.split_last().expect("a path has a segment");
            let module = path(prefix, span);
            let name = ident(&format!("{last}{suffix}"), span);
            if prefix.is_empty() {
                quote!(#name)
            } else {
                quote!(#module::#name)
            }
        }
        Callee::Method(m) => {
            let name = ident(&format!("{m}{suffix}"), span);
            let this = Ident::new("self", span);
            quote!(#this.#name)
        }
    }
}

/// The right-hand side that computes instruction `inst` of `func`.
pub fn rhs(sig: &Sig, func: &Func, inst: &Inst, span: Span) -> TokenStream {
    let float = float_tokens(func);
    match inst {
        Inst::Param(p) => {
            let ident = &sig.params[*p].ident;
            quote!(#ident)
        }
        Inst::Lit { text, value } => float_lit(*value, text, &float, span),
        Inst::Extern(segments) => path(segments, span),
        Inst::Passive { index, .. } => pieces(&func.passive[*index]),
        Inst::Copy(v) => {
            let id = value_ident(*v);
            quote!(#id)
        }
        Inst::ArrayParam(p) => {
            let ident = &sig.params[*p].ident;
            quote!(&#ident)
        }
        Inst::ArrayRepeat { elem, len } => {
            let e = value_ident(*elem);
            let len = pieces(&func.passive[*len]);
            quote!([#e; #len])
        }
        Inst::ArrayList(elems) => {
            let e = elems.iter().map(|v| value_ident(*v));
            quote!([#(#e),*])
        }
        Inst::Load { arr, index } => indexed(*arr, index),
        Inst::Zero => quote!(::core::default::Default::default()),
        Inst::NegZero => neg_zero(&float),
        Inst::ZeroLike(v) | Inst::OutputLike(v) => zero_like(sig, func, *v),
        // Declared by its own statements (`body.rs`); as a value, empty.
        Inst::TapeBuf { .. } => quote!(::std::vec::Vec::new()),
        Inst::Call {
            callee: c,
            args: call_args,
            kind,
        } => {
            let f = callee(c, *kind, span);
            let args: Vec<TokenStream> = call_args.iter().map(|a| call_arg(func, a)).collect();
            if *kind == CallKind::Value {
                return quote_spanned!(span=> (#f(#(#args),*),));
            }
            let slots = crate::reverse::differentiable_slots(func, call_args).len();
            // What the function returns beside its value: the gradient's
            // slots, the tangent, or gradient and H·ȧ (half the slots are
            // tangents).
            let (n, check) = match kind {
                CallKind::Jvp => (1, quote!(tangent_slots)),
                CallKind::Hvp => (slots, quote!(tangent_slots)),
                _ => (slots, quote!(slots)),
            };
            let (stand_in, callable) = match kind {
                CallKind::Jvp => (quote!(NoJvp), quote!(CallableJvp)),
                CallKind::Hvp => (quote!(NoHvp), quote!(CallableHvp)),
                _ => (quote!(NoDerivative), quote!(Callable)),
            };
            let call = match c {
                // `g(..)`: the module's `g_grad` if there is one (a glob import in
                // the inner block wins over the outer block's stand-in), else the
                // stand-in, whose trait error says what to do.
                // `module::g(..)` likewise, through a glob import of the module;
                // a path whose last prefix is a type (`Model::g`) cannot be
                // glob-imported and is called directly.
                Callee::Path {
                    segments: segs,
                    owner: Owner::Module,
                } => {
                    let (last, prefix) = segs.split_last().expect("a path has a segment");
                    let name = ident(&format!("{last}{}", kind.suffix()), span);
                    let this = if prefix.is_empty() {
                        let this = Ident::new("self", span);
                        quote!(#this)
                    } else {
                        path(prefix, span)
                    };
                    quote_spanned! {span=> {
                        #[allow(non_upper_case_globals, dead_code)]
                        const #name: ::autodiff_core::__private::#stand_in =
                            ::autodiff_core::__private::#stand_in;
                        {
                            #[allow(unused_imports)]
                            use #this::*;
                            ::autodiff_core::__private::#callable::call_with(&#name, (#(#args,)*))
                        }
                    }}
                }
                _ => quote_spanned!(span=> #f(#(#args),*)),
            };
            let n = proc_macro2::Literal::usize_unsuffixed(n);
            let call = quote_spanned!(span=> ::autodiff_core::__private::#check::<#n, _>(#call));
            if *kind != CallKind::Hvp {
                return call;
            }
            // `(value, ∇g…, H·ȧ…)` → `(value, ∇g·ȧ, ∇g…, H·ȧ…)`.
            let k = slots / 2;
            let t = format_ident!("__ad_t");
            let at = |i: usize| {
                let i = proc_macro2::Literal::usize_unsuffixed(i);
                quote!(#t.#i)
            };
            let tangents = &args[args.len() - k..];
            let arrays = call_args[call_args.len() - k..]
                .iter()
                .map(|a| func.ty(a.value) == Ty::Array);
            let mut dot = quote!(0.0);
            for (j, (d, array)) in tangents.iter().zip(arrays).enumerate() {
                let g = at(1 + j);
                let term = if array {
                    quote!(::autodiff_core::__private::dot::<#float, _>(&(#g)[..], &(#d)[..]))
                } else {
                    quote!(#g * #d)
                };
                dot = if j == 0 { term } else { quote!(#dot + #term) };
            }
            let rest = (1..=2 * k).map(at);
            quote_spanned! {span=> {
                let #t = #call;
                (#t.0, #dot, #(#rest),*)
            }}
        }
        Inst::Proj { tuple, index } => {
            let t = value_ident(*tuple);
            let i = proc_macro2::Literal::usize_unsuffixed(*index);
            quote!(#t.#i)
        }
        Inst::Op { op, args } => {
            let a: Vec<TokenStream> = args
                .iter()
                .map(|v| {
                    let id = value_ident(*v);
                    quote!(#id)
                })
                .collect();
            match op.forward() {
                Forward::Infix(o) => {
                    let o: TokenStream = o.parse().expect("operator tokens");
                    let (x, y) = (&a[0], &a[1]);
                    quote_spanned!(span=> #x #o #y)
                }
                Forward::Prefix(o) => {
                    let o: TokenStream = o.parse().expect("operator tokens");
                    let x = &a[0];
                    quote_spanned!(span=> #o #x)
                }
                Forward::Method(m) => {
                    let m = Ident::new(m, span);
                    quote_spanned!(span=> #float::#m(#(#a),*))
                }
                Forward::Inline(f) => f(&a, &float),
            }
        }
    }
}

/// The tokens of the function's float type.
pub fn float_tokens(func: &Func) -> TokenStream {
    let ident = Ident::new(func.float.name(), Span::call_site());
    quote!(#ident)
}

/// The default a declared-early variable starts with.
pub fn default_of(func: &Func, v: ValueId) -> TokenStream {
    match func.ty(v) {
        Ty::Float => crate::ast::zero_lit(func.float),
        Ty::Bool => quote!(false),
        _ => quote!(::core::default::Default::default()),
    }
}

/// `-0.0` in the float type: the identity of addition.
pub fn neg_zero(float: &TokenStream) -> TokenStream {
    let lit = syn::LitFloat::new(&format!("0.0{float}"), Span::call_site());
    quote!((-#lit))
}
