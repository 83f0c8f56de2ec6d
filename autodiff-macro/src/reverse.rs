//! The reverse sweep: a pure function from a forward IR function to one that
//! also computes the gradient.
//!
//! The forward instructions are kept as they are; the adjoint instructions are
//! appended, walking the forward ones backwards and asking each operation's
//! rule (`rules::Rule::vjp`) for its operands' contributions, which accumulate
//! by addition when a value fans out. Only *active* values (those that depend
//! on a differentiated parameter) get adjoints. Straight-line code needs no
//! tape: every forward value is still live when the sweep reads it.

use crate::ir::{Func, Inst, Ty, ValueId};
use crate::rules::Emit;

/// Which values depend on a differentiated parameter.
pub fn active(func: &Func) -> Vec<bool> {
    let mut active = vec![false; func.insts.len()];
    for (i, inst) in func.insts.iter().enumerate() {
        active[i] = match inst {
            Inst::Param(p) => func.params[*p].wrt,
            Inst::Op { args, .. } => args.iter().any(|a| active[a.index()]),
            Inst::Call { args, .. } => args.iter().any(|a| active[a.value.index()]),
            Inst::Proj { tuple, index: 0 } => active[tuple.index()],
            _ => false,
        };
    }
    active
}

/// The arguments of a call that have a slot in the tuple `g_grad` returns
/// (floats and arrays, in order), each with its slot (1 for the first).
pub fn differentiable_slots(func: &Func, args: &[crate::ir::Arg]) -> Vec<(ValueId, usize)> {
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

// Input:  %2 = add %0, %1 ; %4 = mul %2, %3 ; ret %4
// Output: the same, then %5 = lit 1.0 ; %6 = mul %5, %3 ; %7 = mul %5, %2 ; …
//         ret %4, <∂x>, <∂y>, <∂z>
pub fn reverse(forward: &Func) -> Func {
    let mut out = forward.clone();
    let active = active(forward);
    let n = forward.insts.len();
    let ret = forward.outputs[0];
    let mut adj: Vec<Option<ValueId>> = vec![None; n];
    if active[ret.index()] {
        adj[ret.index()] = Some(out.lit(1.0, forward.span(ret)));
    }
    for i in (0..n).rev() {
        let Some(upstream) = adj[i] else { continue };
        if let Inst::Proj { tuple, index: 0 } = &forward.insts[i] {
            // A call: `g_grad` returned the partials beside the value.
            let Inst::Call { args, .. } = forward.inst(*tuple) else {
                continue;
            };
            let span = forward.spans[i];
            for (arg, slot) in differentiable_slots(forward, args) {
                if !active[arg.index()] || forward.ty(arg) != Ty::Float {
                    continue;
                }
                let partial = out.push(
                    Inst::Proj {
                        tuple: *tuple,
                        index: slot,
                    },
                    span,
                );
                let mut e = Emit {
                    func: &mut out,
                    span,
                };
                let c = e.mul(upstream, partial);
                let entry = &mut adj[arg.index()];
                *entry = Some(match *entry {
                    None => c,
                    Some(prev) => e.add(prev, c),
                });
            }
            continue;
        }
        let Inst::Op { op, args } = &forward.insts[i] else {
            continue;
        };
        let rule = op.rule();
        let mut e = Emit {
            func: &mut out,
            span: forward.spans[i],
        };
        let contributions = (rule.vjp)(&mut e, upstream, args, ValueId(i as u32));
        for (k, (arg, c)) in args.iter().zip(contributions).enumerate() {
            let Some(c) = c else { continue };
            if !active[arg.index()] || rule.int_args.contains(&k) || forward.ty(*arg) != Ty::Float {
                continue;
            }
            let slot = &mut adj[arg.index()];
            *slot = Some(match *slot {
                None => c,
                Some(prev) => e.add(prev, c),
            });
        }
    }
    let mut outputs = vec![ret];
    for (p, param) in forward.params.iter().enumerate() {
        if !param.wrt {
            continue;
        }
        let grad = forward
            .insts
            .iter()
            .position(|inst| *inst == Inst::Param(p))
            .and_then(|i| adj[i]);
        let span = forward
            .spans
            .first()
            .copied()
            .unwrap_or_else(proc_macro2::Span::call_site);
        outputs.push(grad.unwrap_or_else(|| out.lit(0.0, span)));
    }
    out.outputs = outputs;
    out
}
