//! The reverse sweep of straight-line code: the forward instructions are
//! kept as they are; the adjoint instructions are appended, walking the
//! forward ones backwards and asking each operation's rule
//! ([`crate::op::Op::vjp`]) for its operands' contributions, which
//! accumulate by addition when a value fans out. Only active values get
//! adjoints. No tape: every forward value is still live when the sweep reads
//! it. `simplify` cleans the result up.

use super::{call_partials, wrt_params};
use crate::analysis;
use crate::ir::{Func, Inst, Ty, ValueId};
use crate::rules::Emit;

// Input:  %2 = add %0, %1 ; %4 = mul %2, %3 ; ret %4
// Output: the same, then %5 = lit 1.0 ; %6 = mul %5, %3 ; %7 = mul %5, %2 ; …
//         ret %4, <∂x>, <∂y>, <∂z>
pub fn reverse(forward: &Func) -> Func {
    let mut out = forward.clone();
    let active = analysis::active(forward);
    let is_active = |v: ValueId| active.contains(&v);
    let n = forward.insts.len();
    let ret = forward.outputs[0];
    let mut adj: Vec<Option<ValueId>> = vec![None; n];
    if is_active(ret) {
        adj[ret.index()] = Some(out.lit(1.0, forward.span(ret)));
    }
    for i in (0..n).rev() {
        let Some(upstream) = adj[i] else { continue };
        if let Inst::Proj { tuple, index } = &forward.insts[i] {
            // A call: its function returned the partials beside the value.
            let Inst::Call { args, kind, .. } = forward.inst(*tuple) else {
                continue;
            };
            let span = forward.spans[i];
            for (arg, slot) in call_partials(forward, args, *kind, *index) {
                let arg = arg.value;
                if !is_active(arg) || forward.ty(arg) != Ty::Float {
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
        // A copy (a closure's snapshot, `y as f64` of an `f32` value) passes
        // its adjoint on unchanged.
        if let Inst::Copy(src) = forward.insts[i] {
            if is_active(src) && forward.ty(src) == Ty::Float {
                let slot = adj[src.index()];
                adj[src.index()] = Some(match slot {
                    None => upstream,
                    Some(prev) => out.push(
                        Inst::Op {
                            op: crate::op::Op::Add,
                            args: vec![prev, upstream],
                        },
                        forward.spans[i],
                    ),
                });
            }
            continue;
        }
        let Inst::Op { op, args } = &forward.insts[i] else {
            continue;
        };
        let mut e = Emit {
            func: &mut out,
            span: forward.spans[i],
        };
        let contributions = (op.vjp())(&mut e, upstream, args, ValueId(i as u32));
        for (k, (arg, c)) in args.iter().zip(contributions).enumerate() {
            let Some(c) = c else { continue };
            if !is_active(*arg) || op.int_args().contains(&k) || forward.ty(*arg) != Ty::Float {
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
    for param in wrt_params(forward) {
        let grad = param.and_then(|v| adj[v.index()]);
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
