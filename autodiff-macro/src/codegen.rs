//! Code generation: IR to Rust tokens.
//!
//! Each instruction becomes one `let __vN: F = …;` whose tokens carry the
//! span of the source it came from (`quote_spanned!`), so a type error points
//! at the user's code. Generated names live at `Span::mixed_site()`, so they
//! never collide with the user's; the user's parameters and constants keep
//! their own spans and resolve at the call site. No `unsafe`, no allocation.

use crate::ast::Sig;
use crate::ir::{Func, Inst, Piece, Stmt, Ty, ValueId};
use crate::rules::Forward;
use proc_macro2::{Ident, Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use std::collections::HashSet;

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
    let lit = syn::LitFloat::new(&format!("{text}{float}"), span);
    if neg { quote!((-#lit)) } else { quote!(#lit) }
}

/// The tokens of passive pieces, with IR values as their generated names.
fn pieces(ps: &[Piece]) -> TokenStream {
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
fn indexed(arr: ValueId, index: &[ValueId]) -> TokenStream {
    let a = value_ident(arr);
    let ix = index.iter().map(|v| value_ident(*v));
    quote!(#a #([#ix])*)
}

/// A zero array shaped like the array value `v`.
fn zero_like(sig: &Sig, func: &Func, v: ValueId) -> TokenStream {
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
fn call_arg(func: &Func, a: &crate::ir::Arg) -> TokenStream {
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

/// The function a call goes to: `g_grad` (or `g` when no gradient is needed).
fn callee(callee: &crate::ir::Callee, grad: bool, span: Span) -> TokenStream {
    let suffix = if grad { "_grad" } else { "" };
    match callee {
        crate::ir::Callee::Path(segments) => {
            let last = segments.len() - 1;
            let segs = segments.iter().enumerate().map(|(i, s)| {
                if s.is_empty() {
                    quote!()
                } else if i == last {
                    let ident = Ident::new(&format!("{s}{suffix}"), span);
                    quote!(#ident)
                } else {
                    let ident = Ident::new(s, span);
                    quote!(#ident)
                }
            });
            quote!(#(#segs)::*)
        }
        crate::ir::Callee::Method(m) => {
            let ident = Ident::new(&format!("{m}{suffix}"), span);
            let this = Ident::new("self", span);
            quote!(#this.#ident)
        }
    }
}

/// The right-hand side that computes instruction `inst` of `func`.
fn rhs(sig: &Sig, func: &Func, inst: &Inst, span: Span) -> TokenStream {
    let float = float_tokens(func);
    match inst {
        Inst::Param(p) => {
            let ident = &sig.params[*p].ident;
            quote!(#ident)
        }
        Inst::Lit { text, value } => float_lit(*value, text, &float, span),
        Inst::Extern(path) => {
            let segs = path.iter().map(|s| {
                if s.is_empty() {
                    quote!()
                } else {
                    let ident = Ident::new(s, span);
                    quote!(#ident)
                }
            });
            quote!(#(#segs)::*)
        }
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
        Inst::ZeroLike(v) => zero_like(sig, func, *v),
        Inst::Call {
            callee: c,
            args: call_args,
            grad,
        } => {
            let f = callee(c, *grad, span);
            let args: Vec<TokenStream> = call_args.iter().map(|a| call_arg(func, a)).collect();
            if !*grad {
                return quote_spanned!(span=> (#f(#(#args),*),));
            }
            let n = proc_macro2::Literal::usize_unsuffixed(
                crate::reverse::differentiable_slots(func, call_args).len(),
            );
            let call = match c {
                // `g(..)`: the module's `g_grad` if there is one (a glob import in
                // the inner block wins over the outer block's stand-in), else the
                // stand-in, whose trait error says what to do.
                // `module::g(..)` likewise, through a glob import of the module;
                // a path whose last prefix is a type (`Model::g`) cannot be
                // glob-imported and is called directly.
                crate::ir::Callee::Path(segs)
                    if segs.len() == 1
                        || segs[segs.len() - 2]
                            .chars()
                            .next()
                            .is_some_and(|c| c.is_lowercase()) =>
                {
                    let last = segs.len() - 1;
                    let name = Ident::new(&format!("{}_grad", segs[last]), span);
                    let module: Vec<TokenStream> = segs[..last]
                        .iter()
                        .map(|s| {
                            if s.is_empty() {
                                quote!()
                            } else {
                                let ident = Ident::new(s, span);
                                quote!(#ident)
                            }
                        })
                        .collect();
                    let this = if module.is_empty() {
                        let this = Ident::new("self", span);
                        quote!(#this)
                    } else {
                        quote!(#(#module)::*)
                    };
                    quote_spanned! {span=> {
                        #[allow(non_upper_case_globals, dead_code)]
                        const #name: ::autodiff_core::__private::NoDerivative =
                            ::autodiff_core::__private::NoDerivative;
                        {
                            #[allow(unused_imports)]
                            use #this::*;
                            ::autodiff_core::__private::Callable::call_with(&#name, (#(#args,)*))
                        }
                    }}
                }
                _ => quote_spanned!(span=> #f(#(#args),*)),
            };
            quote_spanned!(span=> ::autodiff_core::__private::slots::<#n, _>(#call))
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
            match op.rule().forward {
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
fn default_of(func: &Func, v: ValueId) -> TokenStream {
    match func.ty(v) {
        Ty::Float => crate::ast::zero_lit(func.float),
        Ty::Bool => quote!(false),
        _ => quote!(::core::default::Default::default()),
    }
}

/// The `let` statements that compute every instruction of straight-line `func`.
pub fn straight_body(sig: &Sig, func: &Func) -> TokenStream {
    let float = float_tokens(func);
    let stmts = func.insts.iter().enumerate().map(|(i, inst)| {
        let v = ValueId(i as u32);
        let span = func.span(v);
        let id = value_ident(v);
        let rhs = rhs(sig, func, inst, span);
        match func.ty(v) {
            Ty::Float => quote_spanned!(span=> let #id: #float = #rhs;),
            _ => quote_spanned!(span=> let #id = #rhs;),
        }
    });
    quote!(#(#stmts)*)
}

/// Values that statements write after their definition.
fn mutated(block: &[Stmt], out: &mut HashSet<ValueId>) {
    for stmt in block {
        match stmt {
            Stmt::Assign { dst, .. }
            | Stmt::AddAssign { dst, .. }
            | Stmt::Clear(dst)
            | Stmt::Pop(dst)
            | Stmt::Count(dst) => {
                out.insert(*dst);
            }
            Stmt::Store { arr, .. } | Stmt::AddStore { arr, .. } | Stmt::ClearStore { arr, .. } => {
                out.insert(*arr);
            }
            _ => {}
        }
        for inner in stmt.blocks() {
            mutated(inner, out);
        }
    }
}

/// Which tapes the body uses: floats, integers, booleans.
fn tapes(func: &Func, block: &[Stmt], used: &mut [bool; 3]) {
    for stmt in block {
        if let Stmt::Push(v) = stmt {
            match func.ty(*v) {
                Ty::Float => used[0] = true,
                Ty::Bool => used[2] = true,
                _ => used[1] = true,
            }
        }
        for inner in stmt.blocks() {
            tapes(func, inner, used);
        }
    }
}

const TAPE_F: &str = "__ad_tape_f";
const TAPE_I: &str = "__ad_tape_i";
const TAPE_B: &str = "__ad_tape_b";

/// The circuit being recorded by `f_graph`.
fn graph_ident() -> Ident {
    hyg("__ad_graph")
}

/// The node of the latest instance of a value.
fn node_ident(v: ValueId) -> Ident {
    format_ident!("__ad_n{}", v.0, span = Span::mixed_site())
}

/// The nodes of every instance of a value, for their gradients.
fn stack_ident(v: ValueId) -> Ident {
    format_ident!("__ad_ns{}", v.0, span = Span::mixed_site())
}

/// The node each element of an array holds.
fn elems_ident(v: ValueId) -> Ident {
    format_ident!("__ad_elems{}", v.0, span = Span::mixed_site())
}

/// The declarations the circuit view needs.
fn graph_decls(
    block: &[Stmt],
    nodes: &mut Vec<ValueId>,
    stacks: &mut Vec<ValueId>,
    maps: &mut Vec<ValueId>,
) {
    for stmt in block {
        match stmt {
            Stmt::GraphNode { value, inputs, .. } => {
                nodes.push(*value);
                nodes.extend(inputs);
                stacks.push(*value);
            }
            Stmt::GraphInput { value, .. } => nodes.push(*value),
            Stmt::GraphAlias { dst, src } => {
                nodes.push(*dst);
                nodes.push(*src);
            }
            Stmt::GraphLoad { value, arr, .. } => {
                nodes.push(*value);
                maps.push(*arr);
            }
            Stmt::GraphStore { arr, value, .. } => {
                nodes.push(*value);
                maps.push(*arr);
            }
            Stmt::GraphFinish { params, output } => {
                nodes.push(*output);
                for (p, _) in params {
                    nodes.push(*p);
                }
            }
            _ => {}
        }
        for inner in stmt.blocks() {
            graph_decls(inner, nodes, stacks, maps);
        }
    }
}

/// The tape of the tuples one call inside a loop or branch returns.
fn tuple_tape(v: ValueId) -> Ident {
    format_ident!("__ad_tape_v{}", v.0, span = Span::mixed_site())
}

/// The calls whose tuples go on a tape of their own.
fn tuple_tapes(block: &[Stmt], out: &mut Vec<ValueId>) {
    for stmt in block {
        if let Stmt::PushTuple(v) = stmt {
            out.push(*v);
        }
        for inner in stmt.blocks() {
            tuple_tapes(inner, out);
        }
    }
}

fn hyg(name: &str) -> Ident {
    Ident::new(name, Span::mixed_site())
}

struct Structured<'a> {
    sig: &'a Sig<'a>,
    func: &'a Func,
    hoisted: HashSet<ValueId>,
    muts: HashSet<ValueId>,
    /// `f_grad_into`: the output buffer of each differentiated parameter.
    into: Option<&'a std::collections::HashMap<usize, Ident>>,
}

impl Structured<'_> {
    fn block(&self, block: &[Stmt]) -> TokenStream {
        let stmts = block.iter().map(|s| self.stmt(s));
        quote!(#(#stmts)*)
    }

    fn stmt(&self, stmt: &Stmt) -> TokenStream {
        let func = self.func;
        let float = float_tokens(func);
        match stmt {
            Stmt::Def(v) => {
                let span = func.span(*v);
                let id = value_ident(*v);
                // In `f_grad_into`, a parameter's adjoint is the caller's buffer.
                if let (Some(into), Inst::ZeroLike(a)) = (self.into, func.inst(*v))
                    && let Inst::ArrayParam(p) = func.inst(*a)
                    && let (Some(out), Some(shape)) = (into.get(p), &self.sig.params[*p].array)
                {
                    let param = &self.sig.params[*p].ident;
                    let zero = &shape.zero_elem;
                    let message = format!(
                        "`{}` output has the wrong length for parameter `{}`",
                        out, param
                    );
                    let fill = if shape.dynamic {
                        quote! {
                            ::core::assert_eq!(#out.len(), #param.len(), #message);
                            #out.fill(#zero);
                        }
                    } else {
                        let full = &shape.zero;
                        quote!(*#out = #full;)
                    };
                    return quote! {
                        #fill
                        let #id = &mut *#out;
                    };
                }
                let rhs = match func.inst(*v) {
                    Inst::Zero => default_of(func, *v),
                    inst => rhs(self.sig, func, inst, span),
                };
                if self.hoisted.contains(v) {
                    quote_spanned!(span=> #id = #rhs;)
                } else {
                    let m = if self.muts.contains(v) {
                        quote!(mut)
                    } else {
                        quote!()
                    };
                    match func.ty(*v) {
                        Ty::Float => quote_spanned!(span=> let #m #id: #float = #rhs;),
                        _ => quote_spanned!(span=> let #m #id = #rhs;),
                    }
                }
            }
            Stmt::Assign { dst, src } => {
                let (d, s) = (value_ident(*dst), value_ident(*src));
                quote!(#d = #s;)
            }
            Stmt::AddAssign { dst, src } => {
                let (d, s) = (value_ident(*dst), value_ident(*src));
                quote!(#d += #s;)
            }
            Stmt::Clear(v) => {
                let d = value_ident(*v);
                let zero = crate::ast::zero_lit(func.float);
                quote!(#d = #zero;)
            }
            Stmt::Store { arr, index, value } => {
                let place = indexed(*arr, index);
                let v = value_ident(*value);
                quote!(#place = #v;)
            }
            Stmt::AddStore { arr, index, value } => {
                let place = indexed(*arr, index);
                let v = value_ident(*value);
                quote!(#place += #v;)
            }
            Stmt::ClearStore { arr, index } => {
                let place = indexed(*arr, index);
                let zero = crate::ast::zero_lit(func.float);
                quote!(#place = #zero;)
            }
            Stmt::If { cond, then, els } => {
                let c = value_ident(*cond);
                let then = self.block(then);
                if els.is_empty() {
                    quote!(if #c { #then })
                } else {
                    let els = self.block(els);
                    quote!(if #c { #then } else { #els })
                }
            }
            Stmt::For {
                var,
                start,
                end,
                rev,
                body,
            } => {
                let (v, s, e) = (value_ident(*var), value_ident(*start), value_ident(*end));
                let body = self.block(body);
                if *rev {
                    quote!(for #v in (#s..#e).rev() { #body })
                } else {
                    quote!(for #v in #s..#e { #body })
                }
            }
            Stmt::While { head, cond, body } => {
                let head = self.block(head);
                let c = value_ident(*cond);
                let body = self.block(body);
                quote!(while { #head #c } { #body })
            }
            Stmt::Push(v) => {
                let id = value_ident(*v);
                match func.ty(*v) {
                    Ty::Float => {
                        let t = hyg(TAPE_F);
                        quote!(#t.push(#id);)
                    }
                    Ty::Bool => {
                        let t = hyg(TAPE_B);
                        quote!(#t.push(#id);)
                    }
                    _ => {
                        let t = hyg(TAPE_I);
                        quote!(#t.push(#id as i128);)
                    }
                }
            }
            Stmt::Pop(v) => {
                let id = value_ident(*v);
                match func.ty(*v) {
                    Ty::Float => {
                        let t = hyg(TAPE_F);
                        quote!(#id = #t.pop().unwrap_or_default();)
                    }
                    Ty::Bool => {
                        let t = hyg(TAPE_B);
                        quote!(#id = #t.pop().unwrap_or_default();)
                    }
                    _ => {
                        let t = hyg(TAPE_I);
                        quote!(#id = #t.pop().unwrap_or_default() as _;)
                    }
                }
            }
            Stmt::Count(v) => {
                let id = value_ident(*v);
                quote!(#id += 1;)
            }
            Stmt::AddScaled {
                dst,
                prefix,
                scale,
                src,
            } => {
                let place = indexed(*dst, prefix);
                let (k, g) = (value_ident(*scale), value_ident(*src));
                quote!(::autodiff_core::__private::add_scaled(&mut #place[..], #k, &#g[..]);)
            }
            Stmt::GraphNode {
                value,
                label,
                op,
                inputs,
            } => {
                let (g, n, ns) = (graph_ident(), node_ident(*value), stack_ident(*value));
                let v = value_ident(*value);
                let ins = inputs.iter().map(|i| node_ident(*i));
                quote! {
                    #n = #g.push(#label, #op, #v as f64, &[#(#ins),*]);
                    #ns.push(#n);
                }
            }
            Stmt::GraphInput { value, label } => {
                let (g, n, v) = (graph_ident(), node_ident(*value), value_ident(*value));
                quote!(#n = #g.push(#label, "input", #v as f64, &[]);)
            }
            Stmt::GraphAlias { dst, src } => {
                let (d, s) = (node_ident(*dst), node_ident(*src));
                quote!(#d = #s;)
            }
            Stmt::GraphLoad {
                value,
                arr,
                index,
                label,
            } => {
                let (g, n, v, m) = (
                    graph_ident(),
                    node_ident(*value),
                    value_ident(*value),
                    elems_ident(*arr),
                );
                let ix: Vec<Ident> = index.iter().map(|i| value_ident(*i)).collect();
                let key = quote!(::std::vec![#(#ix as usize),*]);
                if matches!(func.inst(*arr), Inst::ArrayParam(_)) {
                    let fmt = format!("{label}{}", "[{}]".repeat(ix.len()));
                    quote! {
                        #n = *#m.entry(#key).or_insert_with(|| {
                            #g.push(&::std::format!(#fmt, #(#ix),*), "input", #v as f64, &[])
                        });
                    }
                } else {
                    quote!(#n = #m.get(&#key).copied().unwrap_or(usize::MAX);)
                }
            }
            Stmt::GraphStore { arr, index, value } => {
                let (m, n) = (elems_ident(*arr), node_ident(*value));
                let ix = index.iter().map(|i| value_ident(*i));
                quote!(#m.insert(::std::vec![#(#ix as usize),*], #n);)
            }
            Stmt::GraphGrad { value, grad } => {
                let (g, ns, d) = (graph_ident(), stack_ident(*value), value_ident(*grad));
                quote! {
                    if let ::core::option::Option::Some(n) = #ns.pop() {
                        #g.add_grad(n, #d as f64);
                    }
                }
            }
            Stmt::GraphFinish { params, output } => {
                let g = graph_ident();
                let grads = params.iter().map(|(p, d)| {
                    let dv = value_ident(*d);
                    match func.inst(*p) {
                        Inst::ArrayParam(i) => {
                            let rank = self.sig.params[*i].array.as_ref().map_or(1, |a| a.rank);
                            let m = elems_ident(*p);
                            let ix = (0..rank).map(proc_macro2::Literal::usize_unsuffixed);
                            quote! {
                                for (ix, n) in #m.iter() {
                                    #g.set_grad(*n, #dv #([ix[#ix]])* as f64);
                                }
                            }
                        }
                        _ => {
                            let n = node_ident(*p);
                            quote!(#g.set_grad(#n, #dv as f64);)
                        }
                    }
                });
                let out = node_ident(*output);
                quote! {
                    #(#grads)*
                    #g.set_output(#out);
                }
            }
            Stmt::PushTuple(v) => {
                let id = value_ident(*v);
                let t = tuple_tape(*v);
                quote!(#t.push(#id);)
            }
            Stmt::PopTuple(v) => {
                let id = value_ident(*v);
                let t = tuple_tape(*v);
                quote!(let #id = #t.pop().expect("the tape holds one tuple per call");)
            }
            Stmt::Reserve {
                start,
                end,
                per_trip,
            } => {
                let (s, e) = (value_ident(*start), value_ident(*end));
                let trips = quote!((((#e as i128) - (#s as i128)).max(0) as usize));
                let tapes = [TAPE_F, TAPE_I, TAPE_B]
                    .iter()
                    .zip(per_trip)
                    .filter(|(_, k)| **k > 0)
                    .map(|(t, k)| {
                        let t = hyg(t);
                        quote!(#t.reserve(#trips * #k);)
                    });
                quote!(#(#tapes)*)
            }
        }
    }
}

/// The statements of structured `func`: tapes and early declarations, then
/// the forward and reverse sweeps.
pub fn structured_body(
    sig: &Sig,
    func: &Func,
    into: Option<&std::collections::HashMap<usize, Ident>>,
) -> TokenStream {
    let float = float_tokens(func);
    let mut muts = HashSet::new();
    mutated(&func.body, &mut muts);
    let hoisted: HashSet<ValueId> = func.hoisted.iter().copied().collect();
    let mut used = [false; 3];
    tapes(func, &func.body, &mut used);
    let mut decls = Vec::new();
    if used[0] {
        let t = hyg(TAPE_F);
        decls.push(quote!(let mut #t: ::std::vec::Vec<#float> = ::std::vec::Vec::new();));
    }
    if used[1] {
        let t = hyg(TAPE_I);
        decls.push(quote!(let mut #t: ::std::vec::Vec<i128> = ::std::vec::Vec::new();));
    }
    if used[2] {
        let t = hyg(TAPE_B);
        decls.push(quote!(let mut #t: ::std::vec::Vec<bool> = ::std::vec::Vec::new();));
    }
    let mut calls = Vec::new();
    tuple_tapes(&func.body, &mut calls);
    for c in calls {
        let t = tuple_tape(c);
        decls.push(quote!(let mut #t = ::std::vec::Vec::new();));
    }
    let (mut nodes, mut stacks, mut maps) = (Vec::new(), Vec::new(), Vec::new());
    graph_decls(&func.body, &mut nodes, &mut stacks, &mut maps);
    let mut declared = HashSet::new();
    for v in nodes {
        if declared.insert(v) {
            let n = node_ident(v);
            decls.push(quote!(let mut #n: usize = usize::MAX;));
        }
    }
    let mut declared = HashSet::new();
    for v in stacks {
        if declared.insert(v) {
            let s = stack_ident(v);
            decls.push(quote!(let mut #s: ::std::vec::Vec<usize> = ::std::vec::Vec::new();));
        }
    }
    let mut declared = HashSet::new();
    for v in maps {
        if declared.insert(v) {
            let m = elems_ident(v);
            decls.push(quote!(
                let mut #m: ::std::collections::HashMap<::std::vec::Vec<usize>, usize> =
                    ::std::collections::HashMap::new();
            ));
        }
    }
    let mut seen = HashSet::new();
    for v in &func.hoisted {
        if !seen.insert(*v) {
            continue;
        }
        let id = value_ident(*v);
        let init = default_of(func, *v);
        match func.ty(*v) {
            Ty::Float => decls.push(quote!(let mut #id: #float = #init;)),
            _ => decls.push(quote!(let mut #id = #init;)),
        }
    }
    let sweep = Structured {
        sig,
        func,
        hoisted,
        muts,
        into,
    };
    let body = sweep.block(&func.body);
    quote!(#(#decls)* #body)
}

/// The doc comment of `f_grad`: what it returns, then the derivative itself
/// as a formula for straight-line code.
fn doc(sig: &Sig, func: &Func) -> String {
    let name = &sig.item.sig.ident;
    let wrt: Vec<&crate::ast::Param> = sig.params.iter().filter(|p| p.wrt).collect();
    let mut slots = vec![format!("{name}")];
    for p in &wrt {
        slots.push(format!("∂{name}/∂{}", p.ident));
    }
    let mut doc = format!(
        "Value and gradient of [`{name}`], generated by `#[grad]`.\n\nReturns `({})`: the value of `{name}` at the arguments, then its partial derivative with respect to each differentiated parameter, in declaration order.",
        slots.join(", ")
    );
    if func.is_straight_line() {
        doc.push_str("\n\n# Derivatives\n");
        for (p, v) in wrt.iter().zip(func.outputs.iter().skip(1)) {
            let f = crate::formula::formula(func, *v)
                .map(|f| format!("`{f}`"))
                .unwrap_or_else(|| "(a formula too long to show)".into());
            doc.push_str(&format!("\n- ∂{name}/∂{} = {f}", p.ident));
        }
        if doc.contains('[') {
            doc.push_str("\n\n`[a > b]` is 1 where `a > b`, 0 where `a < b` and ½ at a tie.");
        }
    } else {
        doc.push_str(
            "\n\nThe derivative is computed by a reverse sweep over the loops and branches of the function (values they overwrite are kept on a tape), so it has no closed formula here.",
        );
    }
    doc
}

// Input:  `pub fn circuit(x: f64, y: f64, z: f64) -> f64 { … }` and its gradient IR
// Output: `pub fn circuit_grad(x: f64, y: f64, z: f64) -> (f64, f64, f64, f64) { … }`
pub fn grad_fn(sig: &Sig, func: &Func) -> TokenStream {
    let item = sig.item;
    let vis = &item.vis;
    let name = format_ident!("{}_grad", item.sig.ident);
    let into_name = format_ident!("{}_grad_into", item.sig.ident);
    let generics = &item.sig.generics;
    let where_clause = &generics.where_clause;
    let float = float_tokens(func);
    let params: Vec<TokenStream> = sig
        .receiver
        .map(|r| quote!(#r))
        .into_iter()
        .chain(sig.params.iter().map(|p| {
            let ident = &p.ident;
            let ty = p.syn_ty;
            quote!(#ident: #ty)
        }))
        .collect();
    let wrt: Vec<&crate::ast::Param> = sig.params.iter().filter(|p| p.wrt).collect();
    let slots: Vec<TokenStream> = std::iter::once(float.clone())
        .chain(wrt.iter().map(|p| match &p.array {
            Some(a) => a.grad_ty.clone(),
            None => float.clone(),
        }))
        .collect();
    let kept: Vec<&syn::Attribute> = item
        .attrs
        .iter()
        .filter(|a| a.path().is_ident("cfg") || a.path().is_ident("inline"))
        .collect();
    let allow = quote! {
        #[allow(
            dead_code,
            unused_variables,
            unused_mut,
            unused_assignments,
            unused_parens,
            unused_braces,
            non_snake_case,
            clippy::all,
            clippy::pedantic,
            clippy::nursery
        )]
    };
    let doc = doc(sig, func);
    let dynamic = sig
        .params
        .iter()
        .any(|p| p.array.as_ref().is_some_and(|a| a.dynamic));
    if !dynamic {
        let body = if func.is_straight_line() {
            straight_body(sig, func)
        } else {
            structured_body(sig, func, None)
        };
        let outputs = func.outputs.iter().map(|v| value_ident(*v));
        return quote! {
            #[doc = #doc]
            #(#kept)*
            #allow
            #vis fn #name #generics (#(#params),*) -> (#(#slots),*) #where_clause {
                #body
                (#(#outputs),*)
            }
        };
    }
    // Runtime-sized data: `f_grad_into` writes the gradients into the
    // caller's buffers; `f_grad` allocates them and calls it.
    let outs: Vec<Ident> = wrt
        .iter()
        .map(|p| {
            format_ident!(
                "grad_{}",
                p.ident.to_string().trim_start_matches('_'),
                span = Span::mixed_site()
            )
        })
        .collect();
    let out_params = wrt.iter().zip(&outs).map(|(p, o)| match &p.array {
        Some(a) => {
            let t = &a.into_ty;
            quote!(#o: #t)
        }
        None => quote!(#o: &mut #float),
    });
    let out_of: std::collections::HashMap<usize, Ident> = sig
        .params
        .iter()
        .enumerate()
        .filter(|(_, p)| p.wrt)
        .map(|(i, _)| i)
        .zip(outs.iter().cloned())
        .collect();
    let body = structured_body(sig, func, Some(&out_of));
    let scalar_writes = wrt
        .iter()
        .zip(&outs)
        .zip(func.outputs.iter().skip(1))
        .filter(|((p, _), _)| p.array.is_none())
        .map(|((_, o), v)| {
            let v = value_ident(*v);
            quote!(*#o = #v;)
        });
    let ret = value_ident(func.outputs[0]);
    let into_doc = format!(
        "Value and gradient of [`{}`] without allocating, generated by `#[grad]`.\n\nWrites each differentiated parameter's gradient into its output (overwriting it, never accumulating) and returns the value.\n\n# Panics\n\nIf an output's length differs from its parameter's.",
        item.sig.ident
    );
    // `f_grad` runs the same sweep on buffers it allocates (it does not call
    // `f_grad_into`, which a method would have to reach through `Self::`).
    let bufs: Vec<Ident> = outs
        .iter()
        .map(|o| format_ident!("__ad_buf_{}", o, span = Span::mixed_site()))
        .collect();
    let allocs = wrt.iter().zip(&bufs).map(|(p, b)| match &p.array {
        Some(a) => {
            let zero = &a.zero;
            quote!(let mut #b = #zero;)
        }
        None => {
            let zero = crate::ast::zero_lit(func.float);
            quote!(let mut #b: #float = #zero;)
        }
    });
    let borrows = wrt
        .iter()
        .zip(&outs)
        .zip(&bufs)
        .map(|((p, o), b)| match &p.array {
            Some(a) if a.dynamic => quote!(let #o = &mut #b[..];),
            _ => quote!(let #o = &mut #b;),
        });
    let scalar_writes: Vec<TokenStream> = scalar_writes.collect();
    quote! {
        #[doc = #into_doc]
        #(#kept)*
        #allow
        #vis fn #into_name #generics (#(#params,)* #(#out_params),*) -> #float #where_clause {
            #body
            #(#scalar_writes)*
            #ret
        }

        #[doc = #doc]
        #(#kept)*
        #allow
        #vis fn #name #generics (#(#params),*) -> (#(#slots),*) #where_clause {
            #(#allocs)*
            let __ad_value = {
                #(#borrows)*
                #body
                #(#scalar_writes)*
                #ret
            };
            (__ad_value, #(#bufs),*)
        }
    }
}

// Input:  `#[grad(graph)] fn circuit(x: f64, y: f64, z: f64) -> f64 { … }` and its
//         gradient IR with the circuit-recording statements
// Output: `fn circuit_graph(x: f64, y: f64, z: f64) -> ::autodiff_core::Graph { … }`
pub fn graph_fn(sig: &Sig, func: &Func) -> TokenStream {
    let item = sig.item;
    let vis = &item.vis;
    let name = format_ident!("{}_graph", item.sig.ident);
    let generics = &item.sig.generics;
    let where_clause = &generics.where_clause;
    let params: Vec<TokenStream> = sig
        .receiver
        .map(|r| quote!(#r))
        .into_iter()
        .chain(sig.params.iter().map(|p| {
            let ident = &p.ident;
            let ty = p.syn_ty;
            quote!(#ident: #ty)
        }))
        .collect();
    let kept = item.attrs.iter().filter(|a| a.path().is_ident("cfg"));
    let doc = format!(
        "The circuit of [`{}`] at the arguments, generated by `#[grad(graph)]`: a node for each input, constant and gate that ran, with its forward value and its gradient (∂{}/∂node). Print it, or draw it with `to_dot`, `to_mermaid` or `to_svg`.",
        item.sig.ident, item.sig.ident
    );
    let body = structured_body(sig, func, None);
    let g = graph_ident();
    quote! {
        #[doc = #doc]
        #(#kept)*
        #[allow(
            dead_code,
            unused_variables,
            unused_mut,
            unused_assignments,
            unused_parens,
            unused_braces,
            non_snake_case,
            clippy::all,
            clippy::pedantic,
            clippy::nursery
        )]
        #vis fn #name #generics (#(#params),*) -> ::autodiff_core::Graph #where_clause {
            let mut #g = ::autodiff_core::Graph::new();
            #body
            #g
        }
    }
}
