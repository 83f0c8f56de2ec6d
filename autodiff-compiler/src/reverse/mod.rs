//! The reverse sweep: a pure function from a forward IR function to one that
//! also computes the gradient.
//!
//! - `straight.rs`: straight-line code. The adjoint instructions are
//!   appended in SSA form, walking the forward ones backwards; no tape.
//! - `structured/`: branches, loops and arrays. The forward sweep is
//!   augmented with tape pushes, the reverse sweep walks the statements
//!   backwards and pops what it needs.
//! - `tape.rs`: what the structured sweep saves and where (which values
//!   are overwritten, which the reverse sweep reads, recomputation instead of
//!   taping, trip counters, per-call tuple tapes).
//!
//! The passes around the sweep (`shift.rs` before it, `stores.rs` after it)
//! are run by `pipeline.rs`, which lists them in order.
//!
//! Both ask each operation's rule ([`crate::op::Op::vjp`]) for its operands'
//! contributions and take the set of values that need an adjoint from the one
//! activity analysis ([`crate::analysis::active`]). Both return the value
//! first and then one gradient per differentiated parameter in
//! [`Func::outputs`].

mod buffers;
mod fuse;
mod shift;
mod stores;
mod straight;
mod structured;
mod tape;

pub use tape::is_const_expr;

use crate::ir::{Arg, CallKind, Func, Inst, Ty, ValueId};

// The passes, which `pipeline.rs` runs in order.
pub use shift::detach_shifts;
pub use straight::reverse as straight;
pub use structured::reverse as structured;

// Input:  the gradient function's IR, after the structured sweep
// Output: the same, with each element of an array parameter's gradient
//         stored once, where it can be (`stores.rs`)
pub fn stores(mut func: Func) -> Func {
    stores::rewrite(&mut func);
    func
}

/// The arguments of a call that have a slot in the tuple `g_grad` returns
/// (floats and arrays, in order), each with its slot (1 for the first).
pub fn differentiable_slots(func: &Func, args: &[Arg]) -> Vec<(ValueId, usize)> {
    let mut slot = 0;
    let mut out = Vec::new();
    for a in args {
        if matches!(func.ty(a.value), Ty::Float | Ty::Array) {
            slot += 1;
            out.push((a.value, slot));
        }
    }
    out
}

/// The partials of output `index` of a call (the value, or for `Jvp`/`Hvp`
/// calls its tangent) with respect to its arguments: each argument with a
/// partial, and the tuple slot that holds it. The one place that knows the
/// layout of each [`CallKind`]'s tuple.
pub fn call_partials(func: &Func, args: &[Arg], kind: CallKind, index: usize) -> Vec<(Arg, usize)> {
    let is_slot = |a: &&Arg| matches!(func.ty(a.value), Ty::Float | Ty::Array);
    match (kind, index) {
        (CallKind::Value | CallKind::Grad, 0) => args
            .iter()
            .filter(is_slot)
            .enumerate()
            .map(|(k, a)| (a.clone(), 1 + k))
            .collect(),
        (CallKind::Hvp, 0 | 1) => {
            // `g`'s own arguments, then one tangent per float among them.
            let n = args.len() - args.iter().filter(is_slot).count() / 2;
            let (own, tangents) = args.split_at(n);
            let own: Vec<&Arg> = own.iter().filter(is_slot).collect();
            // The tuple: value, tangent, ∇g (n slots), H·ȧ (n slots).
            let (grad, hv) = (2, 2 + own.len());
            let mut out: Vec<(Arg, usize)> = Vec::new();
            for (k, a) in own.iter().enumerate() {
                out.push(((*a).clone(), if index == 0 { grad + k } else { hv + k }));
            }
            if index == 1 {
                for (k, t) in tangents.iter().enumerate() {
                    out.push((t.clone(), grad + k));
                }
            }
            out
        }
        _ => Vec::new(),
    }
}

/// The value defining each differentiated parameter, in declaration order
/// (`None` for a parameter the body never mentions).
pub fn wrt_params(func: &Func) -> Vec<Option<ValueId>> {
    func.params
        .iter()
        .enumerate()
        .filter(|(_, param)| param.wrt)
        .map(|(p, _)| {
            func.insts
                .iter()
                .position(|inst| *inst == Inst::Param(p) || *inst == Inst::ArrayParam(p))
                .map(|i| ValueId(i as u32))
        })
        .collect()
}
