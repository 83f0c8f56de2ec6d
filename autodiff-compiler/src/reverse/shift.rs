//! Shifts the result does not see: a value `m` that the function subtracts
//! inside `exp(x - m)` and adds back after `ln` (the max of log-sum-exp and
//! of a softmax loss) has a derivative of exactly zero, so the reverse sweep
//! does not differentiate through it (JAX's `logsumexp` does the same with
//! `stop_gradient`).
//!
//! The proof is an abstract interpretation of the statements after `m`'s
//! last assignment, with `m` replaced by `m + δ`: each float is tracked as
//! independent of `δ`, as `b + c·δ` or as `b·exp(c·δ)` (an integer `c`),
//! through `+ - * / neg exp ln copy max min` and through loops (to a
//! fixpoint) and branches. When everything the result depends on comes out
//! independent of `δ`, the result is the same for every value of `m`: its
//! derivative with respect to `m`, of every order, is zero. Those reads of
//! `m` then go through a `detach` copy, which the activity analysis
//! ([`crate::analysis`]) does not differentiate through, and the sweep of
//! whatever computed `m` (the max loop, its tape, its tie weights) is gone.
//!
//! The gradient is the exact one; it differs from the chain rule through
//! `m` only by that rule's rounding (a sum that is zero in exact arithmetic,
//! about 1e-16 relative in floating point).
//!
//! Only structured bodies are rewritten, and only for a value subtracted
//! inside an `exp` (the candidates are few, so the cost stays linear).

use crate::analysis::walk;
use crate::ir::{Func, Inst, Stmt, Ty, ValueId};
use crate::op::Op;
use std::collections::{HashMap, HashSet};

/// At most this many candidates are tried per function.
const MAX_CANDIDATES: usize = 8;

/// The work one candidate may take (statements interpreted plus states
/// copied) and how deep the blocks it enters may nest: beyond them the
/// analysis gives up (the chain rule goes through `m`, as without it), so
/// its cost stays linear and its recursion shallow on any input.
const BUDGET: usize = 200_000;
const MAX_DEPTH: usize = 64;

/// How a value depends on the shift `δ` of the candidate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Dep {
    /// The literal `0.0`: independent, and also `0·exp(c·δ)` for every `c`.
    Zero,
    /// Independent of `δ`.
    Indep,
    /// `b + c·δ`, `c ≠ 0`.
    Add(i32),
    /// `b·exp(c·δ)`, `c ≠ 0`.
    Mul(i32),
}

impl Dep {
    fn add(c: i32) -> Dep {
        if c == 0 { Dep::Indep } else { Dep::Add(c) }
    }

    fn mul(c: i32) -> Dep {
        if c == 0 { Dep::Indep } else { Dep::Mul(c) }
    }

    fn independent(self) -> bool {
        matches!(self, Dep::Zero | Dep::Indep)
    }

    /// The coefficient of `δ` in the exponent (`None` unless `b·exp(c·δ)`
    /// for some `c`, 0 included).
    fn exponent(self) -> Option<i32> {
        match self {
            Dep::Indep => Some(0),
            Dep::Mul(c) => Some(c),
            _ => None,
        }
    }

    /// The coefficient of `δ` in the sum (`None` unless `b + c·δ`).
    fn slope(self) -> Option<i32> {
        match self {
            Dep::Zero | Dep::Indep => Some(0),
            Dep::Add(c) => Some(c),
            Dep::Mul(_) => None,
        }
    }

    /// What a variable holds after either of two paths (`None`: unknown).
    fn join(self, other: Dep) -> Option<Dep> {
        match (self, other) {
            (a, b) if a == b => Some(a),
            (Dep::Zero, d @ (Dep::Indep | Dep::Mul(_)))
            | (d @ (Dep::Indep | Dep::Mul(_)), Dep::Zero) => Some(d),
            _ => None,
        }
    }
}

/// The transfer function of one operation (`None`: not provably of a
/// tracked form).
fn transfer(op: Op, a: &[Dep]) -> Option<Dep> {
    use Dep::*;
    if a.iter().all(|d| d.independent()) {
        return Some(if matches!(op, Op::Mul) && a.contains(&Zero) {
            Zero
        } else {
            Indep
        });
    }
    match (op, a) {
        (Op::Add | Op::Sub, [x, y]) => {
            let sign = if matches!(op, Op::Sub) { -1 } else { 1 };
            if let (Some(p), Some(q)) = (x.slope(), y.slope())
                && !matches!((x, y), (Mul(_), _) | (_, Mul(_)))
            {
                return Some(Dep::add(p.checked_add(q.checked_mul(sign)?)?));
            }
            // Sums of terms with the same factor `exp(c·δ)`, and zero.
            match (x, y) {
                (Mul(c), Mul(d)) if c == d => Some(Mul(*c)),
                (Zero, Mul(c)) | (Mul(c), Zero) => Some(Mul(*c)),
                _ => None,
            }
        }
        (Op::Neg, [x]) => Some(match x {
            Add(c) => Add(c.checked_neg()?),
            other => *other,
        }),
        (Op::Mul, [x, y]) => {
            if *x == Zero || *y == Zero {
                return Some(Zero);
            }
            Some(Dep::mul(x.exponent()?.checked_add(y.exponent()?)?))
        }
        (Op::Div, [x, y]) => {
            if *x == Zero {
                return Some(Zero);
            }
            Some(Dep::mul(x.exponent()?.checked_sub(y.exponent()?)?))
        }
        (Op::Exp, [x]) => Some(Dep::mul(x.slope()?)),
        (Op::Ln, [x]) => Some(Dep::add(x.exponent()?)),
        // max(a + cδ, b + cδ) = max(a, b) + cδ.
        (Op::Max | Op::Min, [Add(c), Add(d)]) if c == d => Some(Add(*c)),
        _ => None,
    }
}

/// The abstract interpretation of a region with `m` shifted. A value with
/// no state is one defined before the region: independent of `δ`.
struct Interp<'a> {
    func: &'a Func,
    state: HashMap<ValueId, Dep>,
    /// Every value that held something dependent on `δ` at some point.
    tainted: HashSet<ValueId>,
    /// What is left of [`BUDGET`].
    budget: usize,
    depth: usize,
}

impl Interp<'_> {
    fn get(&self, v: ValueId) -> Dep {
        self.state.get(&v).copied().unwrap_or(Dep::Indep)
    }

    fn set(&mut self, v: ValueId, d: Dep) {
        if !d.independent() {
            self.tainted.insert(v);
        }
        self.state.insert(v, d);
    }

    /// Runs the statements; `None` when something depends on `δ` in a way
    /// the analysis does not follow (a condition, an index, a store, a call).
    fn block(&mut self, block: &[Stmt]) -> Option<()> {
        if self.depth == MAX_DEPTH {
            return None;
        }
        self.depth += 1;
        for stmt in block {
            self.spend(1)?;
            self.stmt(stmt)?;
        }
        self.depth -= 1;
        Some(())
    }

    /// Takes `n` units of the budget (`None` when it is spent).
    fn spend(&mut self, n: usize) -> Option<()> {
        self.budget = self.budget.checked_sub(n)?;
        Some(())
    }

    /// A copy of the state, paid for.
    fn snapshot(&mut self) -> Option<HashMap<ValueId, Dep>> {
        self.spend(self.state.len())?;
        Some(self.state.clone())
    }

    fn stmt(&mut self, stmt: &Stmt) -> Option<()> {
        match stmt {
            Stmt::Def(v) => {
                let d = self.def(*v)?;
                self.set(*v, d);
            }
            Stmt::Assign { dst, src } => self.set(*dst, self.get(*src)),
            Stmt::Store { index, value, .. } => {
                if !self.get(*value).independent()
                    || index.iter().any(|i| !self.get(*i).independent())
                {
                    return None;
                }
            }
            Stmt::If { cond, then, els } => {
                if !self.get(*cond).independent() {
                    return None;
                }
                let locals = defs_in(&[then, els]);
                let before = self.snapshot()?;
                self.block(then)?;
                let after_then = std::mem::replace(&mut self.state, before);
                self.block(els)?;
                self.spend(after_then.len() + self.state.len())?;
                self.state = join(&after_then, &self.state, &locals)?;
            }
            Stmt::For { body, .. } => self.fixpoint(&[], None, body)?,
            Stmt::While { head, cond, body } => self.fixpoint(head, Some(*cond), body)?,
            // An effect (`assert!`, `println!`) does not change the result.
            Stmt::Effect(_) => {}
            _ => return None,
        }
        Some(())
    }

    /// A loop: the state at its head is the join of the state before it and
    /// after each trip, run until it stops changing.
    fn fixpoint(&mut self, head: &[Stmt], cond: Option<ValueId>, body: &[Stmt]) -> Option<()> {
        let locals = defs_in(&[head, body]);
        let mut at_head = self.snapshot()?;
        // Each variable's state can only go up a lattice of height 2.
        for _ in 0..8 {
            self.spend(at_head.len())?;
            self.state = at_head.clone();
            self.block(head)?;
            if let Some(c) = cond
                && !self.get(c).independent()
            {
                return None;
            }
            let after_head = self.snapshot()?;
            self.block(body)?;
            self.spend(at_head.len() + self.state.len())?;
            let next = join(&at_head, &self.state, &locals)?;
            if next == at_head {
                // The loop ends after its head.
                self.state = after_head;
                return Some(());
            }
            at_head = next;
        }
        None
    }

    fn def(&self, v: ValueId) -> Option<Dep> {
        let inst = self.func.inst(v);
        let reads_shifted = |vs: &[ValueId]| vs.iter().any(|a| !self.get(*a).independent());
        match inst {
            Inst::Lit { value, .. } if *value == 0.0 => Some(Dep::Zero),
            Inst::Copy(s) => Some(self.get(*s)),
            Inst::Op { op, args } => {
                let deps: Vec<Dep> = args.iter().map(|a| self.get(*a)).collect();
                transfer(*op, &deps)
            }
            other => (!reads_shifted(&other.uses(&self.func.passive))).then_some(Dep::Indep),
        }
    }
}

/// Two states joined value by value (`None` if some value has no join).
/// Values defined inside the joined blocks (`locals`) are left out: they
/// are gone after a branch and defined again by the next trip.
fn join(
    a: &HashMap<ValueId, Dep>,
    b: &HashMap<ValueId, Dep>,
    locals: &HashSet<ValueId>,
) -> Option<HashMap<ValueId, Dep>> {
    let mut out = HashMap::new();
    for v in a.keys().chain(b.keys()) {
        if locals.contains(v) || out.contains_key(v) {
            continue;
        }
        let get = |s: &HashMap<ValueId, Dep>| s.get(v).copied().unwrap_or(Dep::Indep);
        out.insert(*v, get(a).join(get(b))?);
    }
    Some(out)
}

/// The values defined in the blocks (loop variables included).
fn defs_in(blocks: &[&[Stmt]]) -> HashSet<ValueId> {
    let mut out = HashSet::new();
    for b in blocks {
        walk(b, &mut |s| {
            if let Stmt::Def(v) | Stmt::For { var: v, .. } = s {
                out.insert(*v);
            }
        });
    }
    out
}

// Input:  … %10 := %15 } (the max loop); %22 = sub %21, %10; %23 = exp %22 …
//         %25 = ln %17; %28 = sub %27, %10; %29 = sub %25, %28
// Output: the same with `%d = detach %10` after the max loop, and %22, %28
//         reading %d, when the result does not depend on %10's value there.
pub fn detach_shifts(func: &Func) -> Option<Func> {
    if func.is_straight_line() {
        return None;
    }
    let mut out: Option<Func> = None;
    for m in candidates(func) {
        let current = out.as_ref().unwrap_or(func);
        if let Some(next) = detach(current, m) {
            out = Some(next);
        }
    }
    out
}

/// Floats subtracted inside an `exp`, in order of definition.
fn candidates(func: &Func) -> Vec<ValueId> {
    let mut found = Vec::new();
    for inst in &func.insts {
        if let Inst::Op { op: Op::Exp, args } = inst
            && let Inst::Op {
                op: Op::Sub,
                args: diff,
            } = func.inst(args[0])
            && func.ty(diff[1]) == Ty::Float
            && !found.contains(&diff[1])
        {
            found.push(diff[1]);
        }
    }
    found.truncate(MAX_CANDIDATES);
    found
}

/// The path (statement indices) of the block that defines `m`.
fn defining_block(block: &[Stmt], m: ValueId, path: &mut Vec<(usize, usize)>) -> bool {
    for (i, stmt) in block.iter().enumerate() {
        if *stmt == Stmt::Def(m) {
            return true;
        }
        for (k, inner) in stmt.blocks().into_iter().enumerate() {
            path.push((i, k));
            if defining_block(inner, m, path) {
                return true;
            }
            path.pop();
        }
    }
    false
}

fn block_at<'a>(body: &'a [Stmt], path: &[(usize, usize)]) -> &'a [Stmt] {
    path.iter().fold(body, |b, &(i, k)| b[i].blocks()[k])
}

fn assigns(stmt: &Stmt, m: ValueId) -> bool {
    let mut found = false;
    walk(std::slice::from_ref(stmt), &mut |s| {
        if s.defs() == Some(m) {
            found = true;
        }
    });
    found
}

/// The function with the reads of `m` after its last assignment going
/// through a `detach`, if the result is provably independent of them.
fn detach(func: &Func, m: ValueId) -> Option<Func> {
    let mut path = Vec::new();
    if !defining_block(&func.body, m, &mut path) {
        return None;
    }
    let block = block_at(&func.body, &path);
    let cut = block.iter().rposition(|s| assigns(s, m))?;
    let region = &block[cut + 1..];
    let mut interp = Interp {
        func,
        state: HashMap::from([(m, Dep::Add(1))]),
        tainted: HashSet::from([m]),
        budget: BUDGET,
        depth: 0,
    };
    interp.block(region)?;
    // What depends on the shift must not be seen after the region: not
    // outside the block (a variable of an enclosing scope, a value read
    // after the block), not by the next trip (a variable defined before
    // the block), not as the result.
    let in_block = defs_in(&[block]);
    let mut reads_inside = HashSet::new();
    walk(region, &mut |s| reads_inside.extend(s.uses(func)));
    if !reads_inside.contains(&m) {
        return None;
    }
    let mut reads_outside = HashSet::new();
    collect_outside(&func.body, block, &mut |s| {
        reads_outside.extend(s.uses(func))
    });
    for v in &interp.tainted {
        if !in_block.contains(v) || reads_outside.contains(v) || func.outputs.contains(v) {
            return None;
        }
    }
    Some(rewrite(func, &path, cut, m))
}

/// Calls `f` on every statement of `body` outside `block` (by address).
fn collect_outside(body: &[Stmt], block: &[Stmt], f: &mut impl FnMut(&Stmt)) {
    if std::ptr::eq(body, block) {
        return;
    }
    for stmt in body {
        f(stmt);
        for inner in stmt.blocks() {
            collect_outside(inner, block, f);
        }
    }
}

/// Inserts `%d = detach %m` after statement `cut` of the block at `path`
/// and makes the statements after it read `%d`.
fn rewrite(func: &Func, path: &[(usize, usize)], cut: usize, m: ValueId) -> Func {
    let mut out = func.clone();
    let d = out.push(
        Inst::Op {
            op: Op::Detach,
            args: vec![m],
        },
        func.span(m),
    );
    out.names[d.index()] = func.names[m.index()].clone();
    let mut body = std::mem::take(&mut out.body);
    let block = block_at_mut(&mut body, path);
    // Every read of `m` in the region (the interpretation accepted only
    // reads by arithmetic, copies, assignments and effects, which have the
    // value either way); `m` is not assigned there.
    let mut ren = |v: ValueId| if v == m { d } else { v };
    let mut defs = Vec::new();
    for stmt in &mut block[cut + 1..] {
        stmt.map_values_deep(&mut ren);
        walk(std::slice::from_ref(stmt), &mut |s| {
            if let Stmt::Def(v) = s {
                defs.push(*v);
            }
        });
    }
    block.insert(cut + 1, Stmt::Def(d));
    for v in defs {
        out.insts[v.index()].map_values(&mut ren);
    }
    out.body = body;
    out
}

fn block_at_mut<'a>(body: &'a mut Vec<Stmt>, path: &[(usize, usize)]) -> &'a mut Vec<Stmt> {
    let mut b = body;
    for &(i, k) in path {
        b = match &mut b[i] {
            Stmt::If { then, els, .. } => {
                if k == 0 {
                    then
                } else {
                    els
                }
            }
            Stmt::For { body, .. } => body,
            Stmt::While { head, body, .. } => {
                if k == 0 {
                    head
                } else {
                    body
                }
            }
            _ => unreachable!("a path goes through nested blocks"),
        };
    }
    b
}
