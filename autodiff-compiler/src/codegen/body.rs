//! Code generation of function bodies: straight-line code as one `let` per
//! instruction, structured code as its statements, with the tapes and the
//! early declarations the reverse sweep needs.

use super::expr::{default_of, float_tokens, indexed, neg_zero, pieces, rhs, value_ident};
use crate::analysis::walk;
use crate::ast::Sig;
use crate::ir::{Func, Inst, Stmt, Tape, Ty, ValueId};
use proc_macro2::{Ident, Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use std::cell::RefCell;
use std::collections::{BTreeSet, HashMap, HashSet};

/// The `let` statements that compute every instruction of straight-line `func`.
pub fn straight_body(sig: &Sig, func: &Func) -> TokenStream {
    let float = float_tokens(func);
    let values: Vec<ValueId> = (0..func.insts.len()).map(|i| ValueId(i as u32)).collect();
    let decls = declare(func, &values, |_| false, &float);
    let stmts = func.insts.iter().enumerate().map(|(i, inst)| {
        let v = ValueId(i as u32);
        let span = func.span(v);
        let id = value_ident(v);
        let rhs = rhs(sig, func, inst, span);
        quote_spanned!(span=> #id = #rhs;)
    });
    quote!(#decls #(#stmts)*)
}

/// How many values one `let` declares.
const DECLARED_TOGETHER: usize = 64;

/// Declares `values` (assigned later) in a few `let`s of many names each:
/// `let (a, mut b, …): (f64, _, …);`. One `let` per value would nest one
/// scope per value, and rustc overflows its stack writing the debug info of
/// a few thousand nested scopes (a long function's gradient).
fn declare(
    func: &Func,
    values: &[ValueId],
    is_mut: impl Fn(ValueId) -> bool,
    float: &TokenStream,
) -> TokenStream {
    let lets = values.chunks(DECLARED_TOGETHER).map(|chunk| {
        let names = chunk.iter().map(|v| {
            let id = value_ident(*v);
            if is_mut(*v) {
                quote!(mut #id)
            } else {
                quote!(#id)
            }
        });
        let tys = chunk.iter().map(|v| match func.ty(*v) {
            Ty::Float => float.clone(),
            _ => quote!(_),
        });
        quote!(let (#(#names,)*): (#(#tys,)*);)
    });
    quote!(#(#lets)*)
}

/// Values that statements write after their definition.
fn mutated(block: &[Stmt], out: &mut HashSet<ValueId>) {
    for stmt in block {
        match stmt {
            Stmt::Assign { dst, .. }
            | Stmt::AddAssign { dst, .. }
            | Stmt::Clear(dst)
            | Stmt::Pop(dst)
            | Stmt::Restore { value: dst, .. }
            | Stmt::Count(dst) => {
                out.insert(*dst);
            }
            Stmt::Store { arr, .. }
            | Stmt::AddStore { arr, .. }
            | Stmt::ClearStore { arr, .. }
            | Stmt::AddScaled { dst: arr, .. } => {
                out.insert(*arr);
            }
            _ => {}
        }
        for inner in stmt.blocks() {
            mutated(inner, out);
        }
    }
}

/// Which tapes the body pushes on.
fn tapes(func: &Func, block: &[Stmt]) -> BTreeSet<Tape> {
    let mut used = BTreeSet::new();
    walk(block, &mut |stmt| {
        if let Stmt::Push(v) = stmt {
            used.insert(Tape::of(func.ty(*v)));
        }
    });
    used
}

/// The variable holding a tape.
fn tape_ident(tape: Tape) -> Ident {
    let name = match tape {
        Tape::Float => "__ad_tape_f",
        Tape::Int => "__ad_tape_i",
        Tape::Bool => "__ad_tape_b",
    };
    Ident::new(name, Span::mixed_site())
}

/// The element type of a tape.
fn tape_elem(tape: Tape, float: &TokenStream) -> TokenStream {
    match tape {
        Tape::Float => float.clone(),
        Tape::Int => quote!(i128),
        Tape::Bool => quote!(bool),
    }
}

/// The largest tape buffer kept on the stack, in values.
const STACK_LIMIT: usize = 4096;

// Input:  %b = tape float [(%e - %s) * 2]
// Output: `let __ad_vB: &mut [f64] = …;` the stack array `[0.0; (E - S) * 2]`
//         when the bounds are constants and that is at most STACK_LIMIT
//         values, else a `Vec` of that length.
fn tape_buf(
    func: &Func,
    buf: ValueId,
    tape: Tape,
    start: ValueId,
    end: ValueId,
    slots: usize,
) -> TokenStream {
    let float = float_tokens(func);
    let elem = tape_elem(tape, &float);
    let zero = match tape {
        Tape::Float => crate::ast::zero_lit(func.float),
        Tape::Int => quote!(0i128),
        Tape::Bool => quote!(false),
    };
    let id = value_ident(buf);
    let heap = format_ident!("__ad_heap_v{}", buf.0, span = Span::mixed_site());
    let stack = format_ident!("__ad_stack_v{}", buf.0, span = Span::mixed_site());
    let constant = |v: ValueId| match func.inst(v) {
        Inst::Passive { index, .. } if crate::reverse::is_const_expr(func, v) => {
            Some(pieces(&func.passive[*index]))
        }
        _ => None,
    };
    // Constant bounds are written as the constants, so the buffer can be
    // declared ahead of the values that hold them.
    let (s, e, stack_len) = match (constant(start), constant(end)) {
        (Some(s), Some(e)) => {
            let n = quote!((((#e) as i128) - ((#s) as i128)) * (#slots as i128));
            let stack_len = quote!({
                let __ad_n = #n;
                if __ad_n > 0 && __ad_n <= #STACK_LIMIT as i128 { __ad_n as usize } else { 0 }
            });
            (s, e, stack_len)
        }
        _ => {
            let (s, e) = (value_ident(start), value_ident(end));
            (quote!(#s), quote!(#e), quote!(0))
        }
    };
    let len = quote!({
        let __ad_n = (((#e) as i128) - ((#s) as i128)) * (#slots as i128);
        if __ad_n > 0 { __ad_n as usize } else { 0 }
    });
    quote! {
        let mut #stack = [#zero; #stack_len];
        let mut #heap: ::std::vec::Vec<#elem> = ::std::vec::Vec::new();
        let #id: &mut [#elem] =
            ::autodiff_core::__private::tape_buffer(&mut #stack, &mut #heap, #len, #zero);
    }
}

/// `buf[(var - start) * slots + slot]`, the slot of one trip in a tape
/// buffer; `trip[slot]` where the loop took its trip's slots as an array
/// (`trips`).
fn tape_slot(
    func: &Func,
    trips: &HashSet<ValueId>,
    buf: ValueId,
    var: ValueId,
    slot: usize,
) -> TokenStream {
    if trips.contains(&buf) {
        let trip = trip_ident(buf);
        return quote!(#trip[#slot]);
    }
    let Inst::TapeBuf { start, slots, .. } = func.inst(buf) else {
        unreachable!("a save or restore names a tape buffer");
    };
    let (b, v, s) = (value_ident(buf), value_ident(var), value_ident(*start));
    quote!(#b[((#v - #s) as usize) * #slots + #slot])
}

/// The slots of the current trip in the tape buffer `buf`.
fn trip_ident(buf: ValueId) -> Ident {
    format_ident!("__ad_trip_v{}", buf.0, span = Span::mixed_site())
}

/// The tape buffers a loop body over `var` reads and writes only at its own
/// trip (every save and restore indexed by `var`, the buffer made outside
/// the body), in order: the body takes each trip's slots once as an array,
/// so that each save and restore is a constant index with no bounds check
/// (thousands of checks in a long loop body slow rustc and LLVM down).
fn own_trips(func: &Func, var: ValueId, body: &[Stmt]) -> Vec<ValueId> {
    let mut own = Vec::new();
    let mut other = HashSet::new();
    walk(body, &mut |stmt| match stmt {
        Stmt::Save { buf, var: v, .. } | Stmt::Restore { buf, var: v, .. } => {
            if *v == var {
                if !own.contains(buf) {
                    own.push(*buf);
                }
            } else {
                other.insert(*buf);
            }
        }
        Stmt::Def(v) => {
            other.insert(*v);
            other.extend(func.inst(*v).uses(&func.passive));
        }
        _ => {}
    });
    own.retain(|b| !other.contains(b));
    own
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

struct Structured<'a> {
    sig: &'a Sig<'a>,
    func: &'a Func,
    hoisted: HashSet<ValueId>,
    muts: HashSet<ValueId>,
    /// `f_grad_into`: the output buffer of each differentiated parameter.
    into: Option<&'a HashMap<usize, Ident>>,
    /// Whether those buffers are known to hold zeros already (`f_grad`
    /// allocates them so) rather than whatever the caller left in them.
    zeroed: bool,
    /// The code of each `Stmt::Probe` (an instrumentation pass's).
    probes: &'a [TokenStream],
    /// The tape buffers whose current trip the enclosing loops took as an
    /// array (see [`own_trips`]).
    trips: RefCell<HashSet<ValueId>>,
}

impl Structured<'_> {
    fn block(&self, block: &[Stmt]) -> TokenStream {
        // The block's own values, declared together at its top (see
        // `declare`); a value defined twice in it is mutable.
        // (The values defined twice are kept apart from the function's
        // mutated ones: copying those for every block would be quadratic.)
        let mut seen = HashSet::new();
        let mut twice = HashSet::new();
        let mut values = Vec::new();
        for stmt in block {
            if let Stmt::Def(v) = stmt
                && self.declared_by_block(*v)
            {
                if seen.insert(*v) {
                    values.push(*v);
                } else {
                    twice.insert(*v);
                }
            }
        }
        let is_mut = |v: ValueId| self.muts.contains(&v) || twice.contains(&v);
        let decls = declare(self.func, &values, is_mut, &float_tokens(self.func));
        let stmts = block.iter().map(|s| self.stmt(s));
        quote!(#decls #(#stmts)*)
    }

    /// Whether the block that defines `v` declares it: every value but the
    /// hoisted ones (declared at the top of the function), the caller's
    /// output buffers in `f_grad_into` and tape buffers (their own `let`).
    fn declared_by_block(&self, v: ValueId) -> bool {
        if self.hoisted.contains(&v) {
            return false;
        }
        match self.func.inst(v) {
            Inst::TapeBuf { .. } => false,
            Inst::ZeroLike(a) | Inst::OutputLike(a) => match (self.into, self.func.inst(*a)) {
                (Some(into), Inst::ArrayParam(p)) => {
                    !(into.contains_key(p) && self.sig.params[*p].array.is_some())
                }
                _ => true,
            },
            _ => true,
        }
    }

    /// Whether the adjoint `dst` is that of a struct field passed whole to
    /// calls (`structs::Kind::Whole`), and whether it is the caller's
    /// output held by reference (else a local value).
    fn whole_field(&self, dst: ValueId) -> Option<bool> {
        let (Inst::ZeroLike(a) | Inst::OutputLike(a)) = self.func.inst(dst) else {
            return None;
        };
        let Inst::ArrayParam(p) = self.func.inst(*a) else {
            return None;
        };
        let crate::ast::Role::Field(f) = self.sig.params[*p].role else {
            return None;
        };
        (self.sig.fields[f].kind == crate::structs::Kind::Whole)
            .then(|| self.into.is_some_and(|into| into.contains_key(p)))
    }

    fn stmt(&self, stmt: &Stmt) -> TokenStream {
        let func = self.func;
        let float = float_tokens(func);
        match stmt {
            Stmt::Def(v) => {
                let span = func.span(*v);
                let id = value_ident(*v);
                // In `f_grad_into`, a parameter's adjoint is the caller's buffer.
                let (a, filled) = match func.inst(*v) {
                    Inst::ZeroLike(a) => (Some(*a), true),
                    // Every element is written before it is read.
                    Inst::OutputLike(a) => (Some(*a), false),
                    _ => (None, false),
                };
                if let (Some(into), Some(a)) = (self.into, a)
                    && let Inst::ArrayParam(p) = func.inst(a)
                    && let (Some(out), Some(shape)) = (into.get(p), &self.sig.params[*p].array)
                {
                    let param = &self.sig.params[*p].ident;
                    let zero = &shape.zero_elem;
                    let message = format!(
                        "`{}` output has the wrong length for parameter `{}`",
                        out, param
                    );
                    // A struct field's output was zeroed with its struct.
                    let zeroed = self.zeroed
                        || matches!(self.sig.params[*p].role, crate::ast::Role::Field(_));
                    let fill = match (zeroed, shape.dynamic, filled) {
                        (true, _, _) | (false, false, false) => quote!(),
                        (false, true, true) => quote! {
                            ::core::assert_eq!(#out.len(), #param.len(), #message);
                            #out.fill(#zero);
                        },
                        (false, true, false) => quote! {
                            ::core::assert_eq!(#out.len(), #param.len(), #message);
                        },
                        (false, false, true) => {
                            let full = &shape.zero;
                            quote!(*#out = #full;)
                        }
                    };
                    return quote! {
                        #fill
                        let #id = &mut *#out;
                    };
                }
                if let Inst::TapeBuf {
                    tape,
                    start,
                    end,
                    slots,
                } = func.inst(*v)
                {
                    return tape_buf(func, *v, *tape, *start, *end, *slots);
                }
                let rhs = match func.inst(*v) {
                    Inst::Zero => default_of(func, *v),
                    inst => rhs(self.sig, func, inst, span),
                };
                // Declared by its block, or hoisted: an assignment.
                quote_spanned!(span=> #id = #rhs;)
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
                let zero = neg_zero(&float);
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
                let zero = neg_zero(&float);
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
                let own = own_trips(func, *var, body);
                let views = own.iter().map(|buf| {
                    let Inst::TapeBuf {
                        tape,
                        start: from,
                        slots,
                        ..
                    } = func.inst(*buf)
                    else {
                        unreachable!("a save or restore names a tape buffer");
                    };
                    let elem = tape_elem(*tape, &float);
                    let (b, f, trip) = (value_ident(*buf), value_ident(*from), trip_ident(*buf));
                    quote! {
                        let #trip = <&mut [#elem; #slots] as ::core::convert::TryFrom<&mut [#elem]>>::try_from(
                            &mut #b[((#v - #f) as usize) * #slots..][..#slots],
                        )
                        .expect("internal error in #[grad]: a trip's slots of a tape buffer");
                    }
                });
                let views: Vec<TokenStream> = views.collect();
                self.trips.borrow_mut().extend(own.iter().copied());
                let body = self.block(body);
                for buf in &own {
                    self.trips.borrow_mut().remove(buf);
                }
                let body = quote!(#(#views)* #body);
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
                let t = tape_ident(Tape::of(func.ty(*v)));
                match Tape::of(func.ty(*v)) {
                    Tape::Int => quote!(#t.push(#id as i128);),
                    Tape::Float | Tape::Bool => quote!(#t.push(#id);),
                }
            }
            Stmt::Pop(v) => {
                // Every pop matches a push of the forward sweep: an empty
                // tape is a bug of the macro, reported loudly, never hidden.
                let id = value_ident(*v);
                let tape = Tape::of(func.ty(*v));
                let t = tape_ident(tape);
                let msg = format!(
                    "internal error in #[grad]: the {} tape is empty; please report it",
                    tape.name()
                );
                let cast = (tape == Tape::Int).then(|| quote!(as _));
                quote!(#id = #t.pop().expect(#msg) #cast;)
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
                if let Some(by_ref) = self.whole_field(*dst) {
                    // A struct field passed whole: its gradient, a value of
                    // the field's type, added with the type's own rule.
                    let place = if by_ref {
                        quote!(&mut *#place)
                    } else {
                        quote!(&mut #place)
                    };
                    return quote!(::autodiff_core::__private::Accumulate::add_scaled(#place, #k, &#g););
                }
                quote!(::autodiff_core::__private::add_scaled(&mut #place[..], #k, &#g[..]);)
            }
            Stmt::Probe(k) => self.probes[*k].clone(),
            Stmt::Effect(k) => {
                let code = pieces(&self.func.passive[*k]);
                quote!(#code;)
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
            Stmt::Save {
                buf,
                var,
                slot,
                value,
            } => {
                let place = tape_slot(func, &self.trips.borrow(), *buf, *var, *slot);
                let v = value_ident(*value);
                match Tape::of(func.ty(*value)) {
                    Tape::Int => quote!(#place = #v as i128;),
                    Tape::Float | Tape::Bool => quote!(#place = #v;),
                }
            }
            Stmt::Restore {
                buf,
                var,
                slot,
                value,
            } => {
                let place = tape_slot(func, &self.trips.borrow(), *buf, *var, *slot);
                let v = value_ident(*value);
                match Tape::of(func.ty(*value)) {
                    Tape::Int => quote!(#v = #place as _;),
                    Tape::Float | Tape::Bool => quote!(#v = #place;),
                }
            }
            Stmt::ZeroOutside { arr, lo, hi } => {
                // A buffer of `f_grad` (zeros already) or a local array
                // (`output like` is zeros there) needs nothing.
                let caller = self.into.is_some()
                    && !self.zeroed
                    && matches!(func.inst(*arr), Inst::OutputLike(a)
                        if matches!(func.inst(*a), Inst::ArrayParam(p)
                            if self.into.is_some_and(|into| into.contains_key(p))));
                if !caller {
                    return quote!();
                }
                let (a, l, h) = (value_ident(*arr), value_ident(*lo), value_ident(*hi));
                // The elements are floats: their loop stored floats.
                let zero = crate::ast::zero_lit(func.float);
                quote! {{
                    let __ad_n = #a.len() as i128;
                    let __ad_lo = (#l as i128).clamp(0, __ad_n) as usize;
                    let __ad_hi = (#h as i128).clamp(__ad_lo as i128, __ad_n) as usize;
                    #a[..__ad_lo].fill(#zero);
                    #a[__ad_hi..].fill(#zero);
                }}
            }
            Stmt::Reserve {
                start,
                end,
                per_trip,
            } => {
                let (s, e) = (value_ident(*start), value_ident(*end));
                let trips = quote!((((#e as i128) - (#s as i128)).max(0) as usize));
                let tapes = per_trip.iter().map(|(tape, k)| {
                    let t = tape_ident(*tape);
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
    into: Option<&HashMap<usize, Ident>>,
    probes: &[TokenStream],
) -> TokenStream {
    body_into(sig, func, into, false, probes)
}

/// [`structured_body`] writing the gradients of array parameters into the
/// buffers `into`, which hold zeros already when `zeroed`.
pub fn body_into(
    sig: &Sig,
    func: &Func,
    into: Option<&HashMap<usize, Ident>>,
    zeroed: bool,
    probes: &[TokenStream],
) -> TokenStream {
    let float = float_tokens(func);
    let mut muts = HashSet::new();
    mutated(&func.body, &mut muts);
    let hoisted: HashSet<ValueId> = func.hoisted.iter().copied().collect();
    let mut decls = Vec::new();
    for tape in tapes(func, &func.body) {
        let (t, elem) = (tape_ident(tape), tape_elem(tape, &float));
        decls.push(quote!(let mut #t: ::std::vec::Vec<#elem> = ::std::vec::Vec::new();));
    }
    let mut calls = Vec::new();
    tuple_tapes(&func.body, &mut calls);
    for c in calls {
        let t = tuple_tape(c);
        decls.push(quote!(let mut #t = ::std::vec::Vec::new();));
    }
    // Hoisted values, with their initial values, a few dozen per `let`
    // (one `let` each would nest a scope per value: see `declare`).
    let mut seen = HashSet::new();
    let hoist: Vec<ValueId> = func
        .hoisted
        .iter()
        .copied()
        .filter(|v| seen.insert(*v))
        .collect();
    for chunk in hoist.chunks(DECLARED_TOGETHER) {
        let names = chunk.iter().map(|v| value_ident(*v));
        let tys = chunk.iter().map(|v| match func.ty(*v) {
            Ty::Float => float.clone(),
            _ => quote!(_),
        });
        let inits = chunk.iter().map(|v| default_of(func, *v));
        decls.push(quote!(let (#(mut #names,)*): (#(#tys,)*) = (#(#inits,)*);));
    }
    let sweep = Structured {
        sig,
        func,
        hoisted,
        muts,
        into,
        zeroed,
        probes,
        trips: RefCell::new(HashSet::new()),
    };
    let body = sweep.block(&func.body);
    quote!(#(#decls)* #body)
}
