//! The adjoint seeded ahead of a fused loop (`fuse.rs` decides which loops
//! fuse): the reverse sweep of the statements after the loop, cut down to
//! what the adjoints of its reductions depend on.

use super::Sweep;
use crate::analysis::walk;
use crate::ir::{Inst, Stmt, Ty, ValueId};
use crate::reverse::fuse::{self, Candidate};
use std::collections::{HashMap, HashSet};

/// What runs ahead of a fused loop: statements computing the adjoint of
/// each of its reductions, and those adjoints (with the variable each is
/// added to).
pub(super) type Seed = (Vec<Stmt>, Vec<(ValueId, ValueId)>);

impl Sweep<'_> {
    // Input:  the candidate `for %i … { %s := %s + %e }` at position k, `ret %r`
    // Output: the reverse sweep of the statements after it, cut down to what
    //         the adjoint of `%s` depends on (`%d = -0.0; %d += 1 …`), with
    //         fresh adjoint variables; `None` when it needs values the
    //         forward sweep has not computed yet.
    pub(super) fn seed(
        &mut self,
        candidate: &Candidate,
        assigned: &HashSet<ValueId>,
    ) -> Option<Seed> {
        let fwd = self.fwd;
        let ret = fwd.outputs[0];
        let reductions: Vec<ValueId> = candidate
            .reductions
            .iter()
            .copied()
            .filter(|s| self.is_active(*s))
            .collect();
        let saved = self.out.clone();
        // A draft of the reversed tail, on adjoint variables of its own.
        let real = std::mem::take(&mut self.adj);
        let mut sorted: Vec<ValueId> = self.active.iter().copied().collect();
        sorted.sort();
        let mut fresh = HashMap::new();
        for v in sorted {
            let inst = match fwd.ty(v) {
                Ty::Array => Inst::ZeroLike(v),
                _ => Inst::NegZero,
            };
            fresh.insert(v, self.out.push(inst, fwd.span(v)));
        }
        self.adj = fresh.clone();
        let mut draft = Vec::new();
        if let Some(dret) = fresh.get(&ret) {
            let one = self.out.lit(1.0, fwd.span(ret));
            draft.push(Stmt::Def(one));
            draft.push(Stmt::AddAssign {
                dst: *dret,
                src: one,
            });
        }
        draft.extend(self.block(&fwd.body[candidate.pos + 1..]));
        self.adj = real;
        let outputs: Vec<ValueId> = reductions.iter().map(|s| fresh[s]).collect();
        let result = fuse::slice(&self.out, &draft, &outputs).and_then(|(kept, live_in)| {
            // Ahead of the loop: forward values computed already, and the
            // fresh adjoint variables the kept statements use.
            let fresh_vars: HashSet<ValueId> = fresh.values().copied().collect();
            let mut again = Vec::new();
            for v in &live_in {
                if fresh_vars.contains(v) {
                    continue;
                }
                if v.index() >= fwd.insts.len()
                    || !fuse::available(fwd, *v, candidate.pos, assigned, &mut again)
                {
                    return None;
                }
            }
            let mut used = HashSet::new();
            walk(&kept, &mut |stmt| match stmt {
                Stmt::AddAssign { dst, src } => {
                    used.insert(*dst);
                    used.insert(*src);
                }
                Stmt::Clear(v) => {
                    used.insert(*v);
                }
                Stmt::Def(v) => used.extend(self.out.inst(*v).uses(&self.out.passive)),
                _ => {}
            });
            // The seeds, even one that nothing after the loop adds to (a
            // sum that is dead after it: its adjoint stays -0.0).
            used.extend(outputs.iter().copied());
            let mut used: Vec<ValueId> = used.intersection(&fresh_vars).copied().collect();
            used.sort();
            let position = |v: &ValueId| {
                fwd.body
                    .iter()
                    .position(|s| matches!(s, Stmt::Def(d) if d == v))
            };
            again.sort_by_key(position);
            let mut block: Vec<Stmt> = again.into_iter().map(Stmt::Def).collect();
            block.extend(used.into_iter().map(Stmt::Def));
            block.extend(kept);
            let seeds = reductions.iter().map(|s| (self.adj[s], fresh[s])).collect();
            Some((block, seeds))
        });
        if result.is_none() {
            self.out = saved;
        }
        result
    }
}
