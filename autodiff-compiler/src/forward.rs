//! Forward mode and second order: `#[grad(forward)]` generates `f_jvp`,
//! `#[grad(hessian)]` generates `f_hvp` and `f_hessian`.
//!
//! [`tangents`] is the forward (tangent) transform of the forward IR: every
//! value that depends on a differentiated parameter gets a tangent, defined
//! right after it, `ṫ = Σ ∂v/∂aₖ · ȧₖ`, where the local partials `∂v/∂aₖ` are
//! each operation's rule ([`Op::vjp`](crate::op::Op::vjp)) asked with an
//! upstream gradient of 1 (so the table stays the one source of every
//! derivative). Mutable variables and arrays get tangent variables and
//! arrays that the same assignments and stores update; branches and loops
//! keep their shape. A call goes to the callee's forward mode, `g_jvp(a…,
//! ȧ…)`, which returns the tangent beside the value, so a hand-written
//! `g_jvp` is the custom rule here.
//!
//! The Hessian-vector product is the reverse sweep applied to the tangent
//! function (reverse-over-forward): with the directional derivative
//! `ḟ = ∇f·v` as the output and both `x` and `v` differentiated, one
//! reverse sweep gives `∂ḟ/∂x = H·v` and `∂ḟ/∂v = ∇f` at once. This reuses
//! the reverse sweep unchanged and costs a small multiple of `f_grad`.
//! `f_hessian` runs it once per float slot of the parameters.

use crate::analysis;
use crate::ast::{Param as SigParam, Sig};
use crate::codegen::signature::float_slots;
use crate::codegen::{self, Generated, value_ident};
use crate::expansion::GeneratedFn;
use crate::ir::{Arg, CallKind, Func, Inst, Param, Stmt, Ty, ValueId};
use crate::pipeline;
use crate::rules::Emit;
use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote};
use std::collections::{HashMap, HashSet};

/// A function with tangents: its parameters are the original ones followed
/// by one tangent parameter per differentiated parameter.
pub struct Tangents {
    pub func: Func,
    /// The primal result and its tangent (the directional derivative).
    pub value: ValueId,
    pub tangent: ValueId,
}

struct Pass<'a> {
    fwd: &'a Func,
    out: Func,
    varied: HashSet<ValueId>,
    /// The tangent of each varied value.
    tan: HashMap<ValueId, ValueId>,
    /// The tangent parameter of each differentiated parameter index.
    tangent_param: HashMap<usize, usize>,
    /// The tangents will be differentiated again (`f_hvp`): calls go to
    /// `g_hvp`.
    second_order: bool,
    /// Some call now takes tangents defined after it in instruction order.
    calls: bool,
}

impl Pass<'_> {
    /// A zero of the float type, defined at this point.
    fn zero(&mut self, span: Span, out: &mut Vec<Stmt>) -> ValueId {
        let z = self.out.lit(0.0, span);
        out.push(Stmt::Def(z));
        z
    }

    /// The tangent of `v`, or a zero for a value that has none.
    fn tangent_or_zero(&mut self, v: ValueId, out: &mut Vec<Stmt>) -> ValueId {
        match self.tan.get(&v) {
            Some(t) => *t,
            None => {
                let span = self.fwd.span(v);
                match self.fwd.ty(v) {
                    Ty::Array => {
                        let z = self.out.push(Inst::ZeroLike(v), span);
                        out.push(Stmt::Def(z));
                        z
                    }
                    _ => self.zero(span, out),
                }
            }
        }
    }

    /// `Σ pₖ · tₖ` over the terms, or `None` for no term.
    fn sum(
        &mut self,
        terms: Vec<(ValueId, ValueId)>,
        span: Span,
        out: &mut Vec<Stmt>,
    ) -> Option<ValueId> {
        let mut acc: Option<ValueId> = None;
        let from = self.out.insts.len();
        {
            let mut e = Emit {
                func: &mut self.out,
                span,
            };
            for (p, t) in terms {
                let term = e.mul(p, t);
                acc = Some(match acc {
                    None => term,
                    Some(a) => e.add(a, term),
                });
            }
        }
        out.extend((from..self.out.insts.len()).map(|i| Stmt::Def(ValueId(i as u32))));
        acc
    }

    fn block(&mut self, block: &[Stmt]) -> Vec<Stmt> {
        let mut out = Vec::new();
        for stmt in block {
            match stmt {
                Stmt::Def(v) => {
                    if self.varied.contains(v) && matches!(self.fwd.inst(*v), Inst::Call { .. }) {
                        self.call(*v, &mut out);
                    }
                    out.push(Stmt::Def(*v));
                    if self.varied.contains(v) {
                        self.def(*v, &mut out);
                    }
                }
                Stmt::Assign { dst, src } => {
                    out.push(stmt.clone());
                    if let Some(td) = self.tan.get(dst).copied() {
                        let ts = self.tangent_or_zero(*src, &mut out);
                        out.push(Stmt::Assign { dst: td, src: ts });
                    }
                }
                Stmt::Store { arr, index, value } => {
                    out.push(stmt.clone());
                    if let Some(ta) = self.tan.get(arr).copied() {
                        let tv = self.tangent_or_zero(*value, &mut out);
                        out.push(Stmt::Store {
                            arr: ta,
                            index: index.clone(),
                            value: tv,
                        });
                    }
                }
                other => {
                    let mapped = other.clone().map_blocks(|b| self.block(&b));
                    out.push(mapped);
                }
            }
        }
        out
    }

    /// Turns the varied call `v` into a call of the callee's `g_jvp` (or
    /// `g_hvp` for a second derivative) with the tangents of its float and
    /// array arguments after its own, defined before it.
    fn call(&mut self, v: ValueId, out: &mut Vec<Stmt>) {
        let Inst::Call { callee, args, .. } = self.fwd.inst(v).clone() else {
            return;
        };
        let kind = if self.second_order {
            CallKind::Hvp
        } else {
            CallKind::Jvp
        };
        let mut all = args.clone();
        for a in &args {
            if !matches!(self.fwd.ty(a.value), Ty::Float | Ty::Array) {
                continue;
            }
            let t = self.tangent_or_zero(a.value, out);
            all.push(Arg {
                value: t,
                by_ref: a.by_ref,
                prefix: a.prefix.clone(),
            });
        }
        self.out.insts[v.index()] = Inst::Call {
            callee,
            args: all,
            kind,
        };
        self.calls = true;
    }

    /// Defines the tangent of the varied value `v` after its definition.
    fn def(&mut self, v: ValueId, out: &mut Vec<Stmt>) {
        let span = self.fwd.span(v);
        let t = match self.fwd.inst(v).clone() {
            Inst::Param(p) | Inst::ArrayParam(p) => {
                let tp = self.tangent_param[&p];
                let inst = match self.fwd.inst(v) {
                    Inst::Param(_) => Inst::Param(tp),
                    _ => Inst::ArrayParam(tp),
                };
                let t = self.out.push(inst, span);
                out.push(Stmt::Def(t));
                t
            }
            Inst::Copy(src) => {
                let ts = self.tangent_or_zero(src, out);
                let t = self.out.push(Inst::Copy(ts), span);
                out.push(Stmt::Def(t));
                t
            }
            Inst::Zero => {
                let t = self.out.push(Inst::Zero, span);
                self.out.tys[t.index()] = self.fwd.ty(v);
                out.push(Stmt::Def(t));
                t
            }
            Inst::Op { op, args } => {
                let from = self.out.insts.len();
                let one = self.out.lit(1.0, span);
                let partials = (op.vjp())(
                    &mut Emit {
                        func: &mut self.out,
                        span,
                    },
                    one,
                    &args,
                    v,
                );
                out.extend((from..self.out.insts.len()).map(|i| Stmt::Def(ValueId(i as u32))));
                let terms: Vec<(ValueId, ValueId)> = args
                    .iter()
                    .zip(partials)
                    .enumerate()
                    .filter(|(k, (a, _))| !op.int_args().contains(k) && self.tan.contains_key(a))
                    .filter_map(|(_, (a, p))| p.map(|p| (p, self.tan[a])))
                    .collect();
                match self.sum(terms, span, out) {
                    Some(t) => t,
                    None => self.zero(span, out),
                }
            }
            Inst::Load { arr, index } => {
                let ta = self.tangent_or_zero(arr, out);
                let t = self.out.push(Inst::Load { arr: ta, index }, span);
                out.push(Stmt::Def(t));
                t
            }
            Inst::ArrayList(elems) => {
                let ts = elems
                    .iter()
                    .map(|e| self.tangent_or_zero(*e, out))
                    .collect();
                let t = self.out.push(Inst::ArrayList(ts), span);
                out.push(Stmt::Def(t));
                t
            }
            Inst::ArrayRepeat { elem, len } => {
                let te = self.tangent_or_zero(elem, out);
                let t = self.out.push(Inst::ArrayRepeat { elem: te, len }, span);
                out.push(Stmt::Def(t));
                t
            }
            Inst::Proj { tuple, index: 0 } => {
                // A call: `g_jvp` (or `g_hvp`) returned the tangent beside
                // the value.
                if !matches!(
                    self.out.inst(tuple),
                    Inst::Call {
                        kind: CallKind::Jvp | CallKind::Hvp,
                        ..
                    }
                ) {
                    return;
                }
                let t = self.out.push(Inst::Proj { tuple, index: 1 }, span);
                out.push(Stmt::Def(t));
                t
            }
            // Tuples carry their value's tangent through `Proj 0`.
            _ => return,
        };
        self.tan.insert(v, t);
    }
}

// Input:  the forward IR of `f(x, y)`, `ret %r`
// Output: `f(x, y, d_x, d_y)` with a tangent after each varied value;
//         `ret %r, %ṙ`
pub fn tangents(forward: &Func, second_order: bool) -> Tangents {
    tangents_of(forward, second_order, forward.outputs[0])
}

/// [`tangents`] with the tangent of `output` (any value, an array too) as
/// the result instead of the return value's.
pub fn tangents_of(forward: &Func, second_order: bool, output: ValueId) -> Tangents {
    let mut out = forward.clone();
    let mut tangent_param = HashMap::new();
    for (p, param) in forward.params.iter().enumerate() {
        if param.wrt {
            tangent_param.insert(p, out.params.len());
            out.params.push(Param {
                name: format!("d_{}", param.name),
                ty: param.ty,
                wrt: false,
            });
        }
    }
    let varied = analysis::varied(forward);
    let body = analysis::stmts(forward).into_owned();
    let mut pass = Pass {
        fwd: forward,
        out,
        varied,
        tan: HashMap::new(),
        tangent_param,
        second_order,
        calls: false,
    };
    let mut body = pass.block(&body);
    let ret = output;
    let mut tail = Vec::new();
    let tangent = pass.tangent_or_zero(ret, &mut tail);
    // The primal result, kept in a value of its own (a reverse sweep of this
    // function may restore the result variable).
    let value = pass.out.push(Inst::Copy(ret), forward.span(ret));
    tail.push(Stmt::Def(value));
    body.extend(tail);
    let calls = pass.calls;
    let mut func = pass.out;
    // Straight-line code stays straight-line: every tangent instruction
    // comes after the values it reads, so the instructions in order are the
    // function. A call of `g_jvp` reads tangents defined after it: the
    // statements give the order.
    if !forward.is_straight_line() || calls {
        func.body = body;
    }
    func.outputs = vec![value, tangent];
    crate::ir::verify_after("forward::tangents", &func, crate::ir::View::Plain);
    Tangents {
        func,
        value,
        tangent,
    }
}

/// The signature of a generated function with a tangent (direction)
/// parameter `d_<name>` after the parameters, one per differentiated one.
fn with_directions<'a>(sig: &Sig<'a>) -> (Sig<'a>, Vec<syn::Ident>) {
    let taken: HashSet<String> = sig.params.iter().map(|p| p.ident.to_string()).collect();
    let mut params: Vec<SigParam<'a>> = Vec::new();
    let mut names = Vec::new();
    for p in &sig.params {
        params.push(SigParam {
            ident: p.ident.clone(),
            ty: p.ty,
            array: crate::ast::array_param_of(p.syn_ty, &p.ident, sig.float),
            wrt: p.wrt,
            syn_ty: p.syn_ty,
            role: p.role,
        });
    }
    for p in sig.params.iter().filter(|p| p.wrt) {
        let mut name = format!("d_{}", syn::ext::IdentExt::unraw(&p.ident));
        while taken.contains(&name) {
            name.push('_');
        }
        let ident = syn::Ident::new(&name, p.ident.span());
        names.push(ident.clone());
        params.push(SigParam {
            array: crate::ast::array_param_of(p.syn_ty, &ident, sig.float),
            ident,
            ty: p.ty,
            wrt: true,
            syn_ty: p.syn_ty,
            role: crate::ast::Role::Plain,
        });
    }
    (
        Sig {
            item: sig.item,
            float: sig.float,
            params,
            receiver: sig.receiver,
            self_grad: sig.self_grad,
            fields: sig.fields,
        },
        names,
    )
}

/// The tokens of the function's float type.
fn float_tokens(func: &Func) -> TokenStream {
    let ident = syn::Ident::new(func.float.name(), Span::call_site());
    quote!(#ident)
}

/// The body of a function, straight-line IR as one block.
fn body(sig: &Sig, func: &Func) -> TokenStream {
    let mut func = func.clone();
    if func.is_straight_line() {
        func.body = analysis::stmts(&func).into_owned();
    }
    codegen::structured_body(sig, &func, None, &[])
}

// Input:  `#[grad(forward)] fn f(x: f64, y: f64) -> f64 { … }`
// Output: `fn f_jvp(x: f64, y: f64, d_x: f64, d_y: f64) -> (f64, f64) { … }`
pub fn jvp_fn(sig: &Sig, forward: &Func) -> GeneratedFn {
    let Tangents { func, .. } = tangents(forward, false);
    let func = pipeline::clean_up(func);
    let (ext, dirs) = with_directions(sig);
    let name = &sig.item.sig.ident;
    let body = body(&ext, &func);
    let (v, t) = (value_ident(func.outputs[0]), value_ident(func.outputs[1]));
    let doc = format!(
        "Value and directional derivative of [`{name}`] (forward mode), generated by `#[grad(forward)]`.\n\nReturns `({name}, ∇{name} · d)`: the value at the arguments and the derivative along the direction `d` given by {}, one per differentiated parameter.",
        dirs.iter()
            .map(|d| format!("`{d}`"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let shape = codegen::shape(sig, Generated::Jvp).expect("every function may have f_jvp");
    codegen::sibling_fn(
        &ext,
        shape,
        &doc,
        quote! {
            #body
            (#v, #t)
        },
    )
}

// Input:  `#[grad(forward)] fn f(x: f64) -> [f64; 2] { … }`, as a scalar
//         function whose array value `y` holds the outputs
// Output: `fn f_jvp(x: f64, d_x: f64) -> ([f64; 2], [f64; 2])`: the outputs
//         and `J·d` (`output` turns the array value `y` and its tangent into
//         the return type)
pub fn outputs_jvp_fn(
    sig: &Sig,
    shape: codegen::Shape,
    forward: &Func,
    y: ValueId,
    output: &dyn Fn(TokenStream) -> TokenStream,
) -> GeneratedFn {
    let Tangents { func, .. } = tangents_of(forward, false, y);
    let func = pipeline::clean_up(func);
    let (ext, dirs) = with_directions(sig);
    let name = &sig.item.sig.ident;
    let body = body(&ext, &func);
    let (v, t) = (value_ident(func.outputs[0]), value_ident(func.outputs[1]));
    let (v, t) = (output(quote!(#v)), output(quote!(#t)));
    let doc = format!(
        "Outputs of [`{name}`] and their directional derivatives `J·d` (forward mode), generated by `#[grad(forward)]`.\n\nReturns `({name}, J·d)`, both of `{name}`'s return type: the outputs at the arguments and their derivatives along the direction `d` given by {}, one per differentiated parameter, by one forward pass.",
        dirs.iter()
            .map(|d| format!("`{d}`"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    codegen::sibling_fn(
        &ext,
        shape,
        &doc,
        quote! {
            #body
            (#v, #t)
        },
    )
}

/// The Hessian-vector product's IR: the reverse sweep of the tangent
/// function, with outputs `(value, ∂ḟ/∂x…, ∂ḟ/∂v…)`.
fn hvp_ir(forward: &Func) -> Func {
    let Tangents {
        mut func,
        value,
        tangent,
    } = tangents(forward, true);
    // The original differentiated parameters and the directions.
    let n = forward.params.len();
    for (i, p) in func.params.iter_mut().enumerate() {
        p.wrt = i >= n || forward.params[i].wrt;
    }
    func.outputs = vec![tangent];
    // The primal result: its copy, which the sweep never overwrites.
    let options = pipeline::Options {
        value: Some(value),
        ..pipeline::Options::default()
    };
    pipeline::run(&func, options)
}

/// Whether a parameter of type `ty` may not be `Copy`: not a reference, an
/// array or a primitive.
pub fn moved_by_value(ty: &syn::Type) -> bool {
    const PRIMITIVES: [&str; 17] = [
        "f32", "f64", "i8", "i16", "i32", "i64", "i128", "isize", "u8", "u16", "u32", "u64",
        "u128", "usize", "bool", "char", "str",
    ];
    match ty {
        syn::Type::Reference(_) | syn::Type::Array(_) | syn::Type::Ptr(_) => false,
        syn::Type::Paren(p) => moved_by_value(&p.elem),
        syn::Type::Group(g) => moved_by_value(&g.elem),
        syn::Type::Path(p) => !PRIMITIVES.iter().any(|n| p.path.is_ident(n)),
        _ => true,
    }
}

// Input:  `#[grad(hessian)] fn f(x: f64, y: f64) -> f64 { … }`
// Output: `fn f_hvp(x, y, d_x, d_y) -> (f64, f64, f64, f64, f64)` (value,
//         gradient, H·d) and `fn f_hessian(x, y) -> (f64, f64, f64, [[f64; 2]; 2])`
pub fn hessian_fns(sig: &Sig, forward: &Func) -> Vec<GeneratedFn> {
    let rev = hvp_ir(forward);
    let (ext, dirs) = with_directions(sig);
    let name = &sig.item.sig.ident;
    let float = float_tokens(&rev);
    let wrt: Vec<&SigParam> = sig.params.iter().filter(|p| p.wrt).collect();
    let k = wrt.len();
    let slot_ty = |p: &SigParam| match &p.array {
        Some(a) => a.grad_ty.clone(),
        None => float.clone(),
    };
    // rev.outputs: value, then ∂ḟ/∂x for each wrt param (H·d), then ∂ḟ/∂d
    // for each direction (the gradient).
    let value = value_ident(rev.outputs[0]);
    let hv: Vec<_> = rev.outputs[1..1 + k]
        .iter()
        .map(|v| value_ident(*v))
        .collect();
    let grad: Vec<_> = rev.outputs[1 + k..]
        .iter()
        .map(|v| value_ident(*v))
        .collect();
    let body = body(&ext, &rev);
    let tys: Vec<TokenStream> = wrt.iter().map(|p| slot_ty(p)).collect();
    let hvp_doc = format!(
        "Value, gradient and Hessian-vector product of [`{name}`], generated by `#[grad(hessian)]`.\n\nReturns `({name}, ∇{name}…, H·d…)`: the value, one gradient slot per differentiated parameter, then the product of the Hessian with the direction given by {}, one slot per parameter. Computed by one reverse sweep over the forward-mode (tangent) function.",
        dirs.iter()
            .map(|d| format!("`{d}`"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let hvp = codegen::sibling_fn(
        &ext,
        codegen::shape(sig, Generated::Hvp).expect("every function may have f_hvp"),
        &hvp_doc,
        quote! {
            #body
            (#value, #(#grad,)* #(#hv),*)
        },
    );
    // The Hessian: one product per float slot, with a unit direction.
    let Some(hess_shape) = codegen::shape(sig, Generated::Hessian) else {
        // Runtime-sized: no Hessian of fixed size.
        return vec![hvp];
    };
    let sizes: Vec<TokenStream> = wrt.iter().map(|p| float_slots(p)).collect();
    // Fresh names for the product's results (two slots may be one value).
    let gs: Vec<_> = (0..k).map(|i| format_ident!("__ad_gk{}", i)).collect();
    let hvs: Vec<_> = (0..k).map(|i| format_ident!("__ad_hvk{}", i)).collect();
    let total = codegen::signature::total_slots(sig);
    let mut offset = quote!(0usize);
    let mut set_dirs = Vec::new();
    let mut read_rows = Vec::new();
    for ((p, d), (size, hv)) in wrt.iter().zip(&dirs).zip(sizes.iter().zip(&hvs)) {
        let ty = slot_ty(p);
        let by_ref = matches!(p.syn_ty, syn::Type::Reference(_));
        let amp = if by_ref { quote!(&) } else { quote!() };
        set_dirs.push(quote! {
            let mut __ad_dir: #ty = ::autodiff_core::__private::Flat::<#float>::zero();
            if __ad_k >= #offset && __ad_k < #offset + #size {
                ::autodiff_core::__private::Flat::<#float>::set(&mut __ad_dir, __ad_k - (#offset), 1.0);
            }
            let #d = #amp __ad_dir;
        });
        read_rows.push(quote! {
            for __ad_j in 0..#size {
                __ad_h[__ad_k][#offset + __ad_j] = ::autodiff_core::__private::Flat::<#float>::get(&#hv, __ad_j);
            }
        });
        offset = quote!((#offset + #size));
    }
    let grad_tys = tys.clone();
    let hess_doc = format!(
        "Value, gradient and Hessian of [`{name}`], generated by `#[grad(hessian)]`.\n\nReturns `({name}, ∇{name}…, H)`: the value, one gradient slot per differentiated parameter, and the Hessian as a `K × K` array over the `K` float slots of the differentiated parameters in declaration order (an array row-major), so one parameter `[T; N]` gives `[[T; N]; N]`. Row `k` is one Hessian-vector product with the `k`-th unit direction."
    );
    let outs: Vec<_> = (0..k).map(|i| format_ident!("__ad_g{}", i)).collect();
    // The body runs once per slot: a parameter it may move (`Vec<usize>`
    // labels) is a fresh clone each time.
    let fresh: Vec<TokenStream> = sig
        .params
        .iter()
        .filter(|p| moved_by_value(p.syn_ty))
        .map(|p| {
            let id = &p.ident;
            quote!(let #id = ::core::clone::Clone::clone(&#id);)
        })
        .collect();

    let hess = codegen::sibling_fn(
        sig,
        hess_shape,
        &hess_doc,
        quote! {
            let mut __ad_h = [[0.0 as #float; #total]; #total];
            let mut __ad_value: #float = 0.0;
            #(let mut #outs: #grad_tys = ::autodiff_core::__private::Flat::<#float>::zero();)*
            for __ad_k in 0..#total {
                #(#fresh)*
                #(#set_dirs)*
                let (__ad_v, #(#gs,)* #(#hvs),*) = {
                    #body
                    (#value, #(#grad,)* #(#hv),*)
                };
                #(#read_rows)*
                __ad_value = __ad_v;
                #(#outs = #gs;)*
            }
            (__ad_value, #(#outs,)* __ad_h)
        },
    );
    vec![hvp, hess]
}
