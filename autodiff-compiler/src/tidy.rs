//! Tidying of structured bodies (branches, loops, arrays) after the reverse
//! sweep: the structured counterpart of `simplify.rs`. A pure function from
//! IR to IR; every rewrite leaves each result bit for bit as it was.
//!
//! The steps, in order:
//!
//! 1. **First contributions** (`cleared`, forward): an adjoint known to hold
//!    `-0.0` (after `Clear`, on every path, loops by a fixpoint) receives its
//!    first contribution by `=` instead of `+=`; `-0.0 + x` is `x` for every
//!    `x`, NaN and `±0` included.
//! 2. **Dead code** (`dead`, backward liveness): definitions, assignments,
//!    clears and restores of scalar values that nothing reads afterwards are
//!    dropped. A value the reverse sweep recomputes (`Load`, passive) is
//!    dropped only where it is a recomputation: the forward sweep computed it
//!    first, so no panic of `f` is lost.
//! 3. **Block-local variables** (`local_variables`, `localize`): an adjoint
//!    whose every use is in one block, after an `=` there, becomes a new
//!    value defined by that `=`, declared in that block.
//! 4. **Copies** (`copies`, `propagate`): `x = copy y` of two values each
//!    defined once in the same block is read through to `y`. Then
//!    `simplify`'s rules on each definition (`simplify::structured`:
//!    folding, `x * 1`, `x + 0`, …) and the copies they leave, then dead
//!    code again.
//! 5. **Sinking** (`sink`, forward): a pure definition that reads only values
//!    that live on anyway moves down its block to just before the first
//!    statement that reads it or writes what it reads (the reverse sweep
//!    recomputes a trip's values at the top of the reverse trip).
//! 6. **Declarations** (`unhoist`): a value that the reverse sweep had
//!    declared at the top of the function, but that every statement now
//!    reads or writes after a definition in its own block, is declared by
//!    that block again.
//!
//! Why: the generated code is the same arithmetic either way (LLVM removes
//! dead code and copies too), but rustc's cost is not. Its MIR destination
//! propagation and LLVM's promotion of variables to registers cost about the
//! number of variables assigned more than once times the code they span, and
//! before these steps every adjoint of a loop body's value was such a
//! variable spanning the whole function (cleared at the end of one reverse
//! trip, read by `+=` in the next). A 500-statement loop body's gradient
//! took 11 s of `cargo build --release`; the README has the figures after.
//!
//! Each step walks each block once per fixpoint iteration of the loops
//! around it (at most [`ROUNDS`], then a safe approximation), so its cost is
//! linear in the length of the function.

use crate::ir::{Func, Inst, Stmt, Ty, ValueId};
use std::collections::{HashMap, HashSet};

/// Fixpoint iterations of a loop before falling back to a safe
/// approximation (two suffice for every loop the reverse sweep writes).
const ROUNDS: usize = 4;

// Input:  a structured function after `reverse`
// Output: the same, with first contributions assigned, dead code dropped
//         and definitions sunk to their uses
pub fn tidy(mut func: Func) -> Func {
    let mut probe = false;
    crate::analysis::walk(&func.body, &mut |s| probe |= matches!(s, Stmt::Probe(_)));
    if probe {
        // An instrumentation pass's probes read values the IR does not list.
        return func;
    }
    let mut body = std::mem::take(&mut func.body);
    cleared(
        &Facts::new(&func, &body),
        &mut body,
        &mut HashSet::new(),
        true,
    );
    body = eliminate(&func, body);
    let locals = local_variables(&Facts::new(&func, &body), &body);
    body = localize(&mut func, body, &locals);
    let same = copies(&Facts::new(&func, &body), &body);
    body = propagate(&mut func, body, &same);
    // `simplify`'s rules (`x * 1` of a literal just read through), then
    // the copies they leave.
    let rewrites = crate::simplify::structured(&func, &body);
    if !rewrites.is_empty() {
        for (v, inst) in rewrites {
            func.insts[v.index()] = inst;
        }
        let same = copies(&Facts::new(&func, &body), &body);
        body = propagate(&mut func, body, &same);
    }
    // Again: the definitions kept only to declare the variables renamed since.
    body = eliminate(&func, body);
    let facts = Facts::new(&func, &body);
    let mut seen = HashSet::new();
    body = sink(&facts, body, &mut seen);
    let hoisted = unhoist(&facts, &body);
    func.body = body;
    func.hoisted = hoisted;
    func
}

/// Pass 2 over the whole body.
fn eliminate(func: &Func, body: Vec<Stmt>) -> Vec<Stmt> {
    let facts = Facts::new(func, &body);
    let mut live: HashSet<ValueId> = func.outputs.iter().copied().collect();
    let mut defs = facts.defs.clone();
    dead(&facts, body, &mut live, &mut Some(&mut defs))
}

/// Variables (floats written by `Assign`/`+=`) that could be a new value of
/// one block: each with what the block's first statement that touches it,
/// an `Assign` to it, assigns. Everything that reads or writes the variable
/// is inside that block, after that statement, and every definition of it
/// comes before: what they define is never read.
fn local_variables(facts: &Facts, body: &[Stmt]) -> HashMap<ValueId, ValueId> {
    #[derive(Default)]
    struct Seen {
        /// The block of the first access, if that access is an `Assign` to
        /// the variable at that block's top level, with what it assigns.
        first: Option<Option<(usize, ValueId)>>,
        lo: usize,
        hi: usize,
        /// Whether a definition comes after the first access.
        late_def: bool,
    }
    struct Walk<'f, 'a> {
        facts: &'f Facts<'a>,
        seen: HashMap<ValueId, Seen>,
        /// Each block's first and one-past-last block id (preorder).
        span: Vec<(usize, usize)>,
        reads: Vec<ValueId>,
    }
    impl Walk<'_, '_> {
        fn block(&mut self, block: &[Stmt]) {
            let id = self.span.len();
            self.span.push((id, id + 1));
            for stmt in block {
                self.reads.clear();
                stmt.visit_uses(self.facts.func, &mut |v| self.reads.push(v));
                let own_def = match stmt {
                    Stmt::Def(v) => Some(*v),
                    _ => None,
                };
                let assign = match stmt {
                    Stmt::Assign { dst, src } if !self.reads.contains(dst) => Some((*dst, *src)),
                    _ => None,
                };
                let written = stmt.defs().filter(|w| Some(*w) != own_def);
                let touched: Vec<ValueId> = self.reads.iter().copied().chain(written).collect();
                for v in touched {
                    let e = self.seen.entry(v).or_insert_with(|| Seen {
                        lo: usize::MAX,
                        ..Seen::default()
                    });
                    if e.first.is_none() {
                        e.first = Some(assign.filter(|(d, _)| *d == v).map(|(_, s)| (id, s)));
                    }
                    e.lo = e.lo.min(id);
                    e.hi = e.hi.max(id);
                }
                if let Some(v) = own_def {
                    let e = self.seen.entry(v).or_insert_with(|| Seen {
                        lo: usize::MAX,
                        ..Seen::default()
                    });
                    e.late_def |= e.first.is_some();
                }
                for inner in stmt.blocks() {
                    self.block(inner);
                }
            }
            self.span[id].1 = self.span.len();
        }
    }
    let mut w = Walk {
        facts,
        seen: HashMap::new(),
        span: Vec::new(),
        reads: Vec::new(),
    };
    w.block(body);
    let outputs: HashSet<ValueId> = facts.func.outputs.iter().copied().collect();
    let mut out = HashMap::new();
    for (v, e) in &w.seen {
        let Some(Some((b, src))) = e.first else {
            continue;
        };
        let (start, end) = w.span[b];
        let inside = |id: usize| (start..end).contains(&id);
        if facts.func.ty(*v) == Ty::Float
            && facts.tracked(*v)
            && facts.assigned.contains(v)
            && !outputs.contains(v)
            && inside(e.lo)
            && inside(e.hi)
            && !e.late_def
        {
            out.insert(*v, src);
        }
    }
    out
}

/// Copies that can be read through: `x = copy y` where `x` and `y` are each
/// defined once, in the same block (`y` first), and nothing else writes
/// them, so `y` holds the same value wherever `x` is read. Each maps to the
/// start of its chain of copies.
fn copies(facts: &Facts, body: &[Stmt]) -> HashMap<ValueId, ValueId> {
    fn walk(
        block: &[Stmt],
        id: &mut usize,
        at: &mut HashMap<ValueId, (usize, usize)>,
        n: &mut usize,
    ) {
        let me = *id;
        *id += 1;
        for stmt in block {
            *n += 1;
            if let Stmt::Def(v) = stmt {
                at.insert(*v, (me, *n));
            }
            for inner in stmt.blocks() {
                walk(inner, id, at, n);
            }
        }
    }
    let mut at = HashMap::new();
    walk(body, &mut 0, &mut at, &mut 0);
    let outputs: HashSet<ValueId> = facts.func.outputs.iter().copied().collect();
    let fixed = |v: ValueId| facts.defs.get(&v) == Some(&1) && !facts.assigned.contains(&v);
    let mut same = HashMap::new();
    let mut order: Vec<ValueId> = at.keys().copied().collect();
    order.sort();
    for x in order {
        let Inst::Copy(y) = *facts.func.inst(x) else {
            continue;
        };
        let (Some(&(bx, nx)), Some(&(by, ny))) = (at.get(&x), at.get(&y)) else {
            continue;
        };
        if fixed(x) && fixed(y) && bx == by && ny < nx && !outputs.contains(&x) && facts.tracked(x)
        {
            same.insert(x, y);
        }
    }
    // Chains: each to its start (a chain goes back in program order, so it
    // ends).
    let mut keys: Vec<ValueId> = same.keys().copied().collect();
    keys.sort();
    let mut resolved = HashMap::new();
    for x in keys {
        let mut root = same[&x];
        while let Some(&next) = same.get(&root) {
            root = next;
        }
        resolved.insert(x, root);
    }
    resolved
}

/// Reads each copy of [`copies`] through to its source and drops its
/// definition.
fn propagate(func: &mut Func, body: Vec<Stmt>, same: &HashMap<ValueId, ValueId>) -> Vec<Stmt> {
    if same.is_empty() {
        return body;
    }
    let map = |v: ValueId| same.get(&v).copied().unwrap_or(v);
    func.map_inst_values(&mut { map });
    fn block(b: Vec<Stmt>, same: &HashMap<ValueId, ValueId>) -> Vec<Stmt> {
        let map = |v: ValueId| same.get(&v).copied().unwrap_or(v);
        b.into_iter()
            .filter(|s| !matches!(s, Stmt::Def(v) if same.contains_key(v)))
            .map(|s| {
                let mut s = s.map_blocks(|inner| block(inner, same));
                s.map_values(&mut { map });
                s
            })
            .collect()
    }
    block(body, same)
}

/// Gives each variable of [`local_variables`] a new value defined where the
/// block first assigns it (`x = s` becomes the definition `x' = s`), renames
/// it there and drops its dead definitions elsewhere.
fn localize(func: &mut Func, body: Vec<Stmt>, locals: &HashMap<ValueId, ValueId>) -> Vec<Stmt> {
    if locals.is_empty() {
        return body;
    }
    let mut order: Vec<ValueId> = locals.keys().copied().collect();
    order.sort();
    let mut rename = HashMap::new();
    for v in &order {
        let new = func.push(Inst::Copy(locals[v]), func.span(*v));
        func.names[new.index()] = func.names[v.index()].clone();
        rename.insert(*v, new);
    }
    let map = |v: ValueId| rename.get(&v).copied().unwrap_or(v);
    for new in rename.values() {
        if let Inst::Copy(src) = &mut func.insts[new.index()] {
            *src = map(*src);
        }
    }
    func.map_inst_values(&mut { map });
    let mut first = HashSet::new();
    rename_block(body, &rename, &mut first)
}

fn rename_block(
    block: Vec<Stmt>,
    rename: &HashMap<ValueId, ValueId>,
    first: &mut HashSet<ValueId>,
) -> Vec<Stmt> {
    let mut out = Vec::with_capacity(block.len());
    for stmt in block {
        let mut stmt = match stmt {
            Stmt::Def(v) if rename.contains_key(&v) => continue,
            Stmt::Assign { dst, .. } if rename.contains_key(&dst) && first.insert(dst) => {
                Stmt::Def(rename[&dst])
            }
            other => other.map_blocks(|b| rename_block(b, rename, first)),
        };
        stmt.map_values(&mut |v| rename.get(&v).copied().unwrap_or(v));
        out.push(stmt);
    }
    out
}

/// The values that must still be declared at the top of the function:
/// those some statement reads or writes where no definition in its block or
/// an enclosing one came before. The others are declared by the block that
/// defines them, each assigned once there, which rustc and LLVM keep in
/// registers without the work a variable assigned twice costs them.
fn unhoist(facts: &Facts, body: &[Stmt]) -> Vec<ValueId> {
    let hoisted: HashSet<ValueId> = facts.func.hoisted.iter().copied().collect();
    let mut needed = HashSet::new();
    let mut scopes: Vec<HashSet<ValueId>> = Vec::new();
    visit_scopes(facts, body, &hoisted, &mut scopes, &mut needed);
    facts
        .func
        .hoisted
        .iter()
        .copied()
        .filter(|v| needed.contains(v) || !facts.tracked(*v))
        .collect()
}

fn visit_scopes(
    facts: &Facts,
    block: &[Stmt],
    hoisted: &HashSet<ValueId>,
    scopes: &mut Vec<HashSet<ValueId>>,
    needed: &mut HashSet<ValueId>,
) {
    scopes.push(HashSet::new());
    let mut reads = Vec::new();
    for stmt in block {
        reads.clear();
        stmt.visit_uses(facts.func, &mut |v| reads.push(v));
        let own_def = match stmt {
            Stmt::Def(v) => Some(*v),
            _ => None,
        };
        let written = stmt.defs().filter(|w| Some(*w) != own_def);
        for v in reads.iter().copied().chain(written) {
            if hoisted.contains(&v) && !scopes.iter().any(|s| s.contains(&v)) {
                needed.insert(v);
            }
        }
        for inner in stmt.blocks() {
            visit_scopes(facts, inner, hoisted, scopes, needed);
        }
        if let Some(v) = own_def {
            scopes.last_mut().expect("a scope per block").insert(v);
        }
    }
    scopes.pop();
}

/// What the passes need to know of the function.
struct Facts<'a> {
    func: &'a Func,
    /// How many `Def` statements each value has (a value the reverse sweep
    /// recomputes has two or more).
    defs: HashMap<ValueId, usize>,
    /// Values that statements other than `Def` write (mutable variables).
    assigned: HashSet<ValueId>,
}

impl<'a> Facts<'a> {
    fn new(func: &'a Func, body: &[Stmt]) -> Self {
        let mut defs = HashMap::new();
        let mut assigned = HashSet::new();
        crate::analysis::walk(body, &mut |s| match s {
            Stmt::Def(v) => *defs.entry(*v).or_insert(0) += 1,
            Stmt::Assign { dst: v, .. }
            | Stmt::AddAssign { dst: v, .. }
            | Stmt::Clear(v)
            | Stmt::Pop(v)
            | Stmt::Count(v)
            | Stmt::Restore { value: v, .. } => {
                assigned.insert(*v);
            }
            _ => {}
        });
        Facts {
            func,
            defs,
            assigned,
        }
    }

    /// Whether the passes track `v` as a scalar variable (arrays, tuples and
    /// buffers are written in part, so they are always live).
    fn tracked(&self, v: ValueId) -> bool {
        matches!(self.func.ty(v), Ty::Float | Ty::Int | Ty::Bool)
            && !matches!(
                self.func.inst(v),
                Inst::TapeBuf { .. } | Inst::Param(_) | Inst::ArrayParam(_)
            )
    }

    /// Whether a definition of `v` is pure and cannot panic anywhere.
    fn pure(&self, v: ValueId) -> bool {
        self.tracked(v)
            && matches!(
                self.func.inst(v),
                Inst::Op { .. }
                    | Inst::Lit { .. }
                    | Inst::Extern(_)
                    | Inst::Copy(_)
                    | Inst::Zero
                    | Inst::NegZero
                    | Inst::Proj { .. }
            )
    }

    /// Whether a definition of `v` that recomputes it (the forward sweep
    /// computed it first) may be dropped or moved: pure, or a load or passive
    /// expression that already ran once without panicking.
    fn recomputable(&self, v: ValueId) -> bool {
        self.pure(v)
            || (self.tracked(v)
                && matches!(self.func.inst(v), Inst::Load { .. } | Inst::Passive { .. }))
    }

    /// Everything `stmt` and its nested blocks read and write.
    fn deep(&self, stmt: &Stmt, reads: &mut Vec<ValueId>, writes: &mut Vec<ValueId>) {
        let mut f = |s: &Stmt| {
            s.visit_uses(self.func, &mut |v| reads.push(v));
            writes.extend(s.defs());
        };
        f(stmt);
        for inner in stmt.blocks() {
            crate::analysis::walk(inner, &mut f);
        }
    }

    /// The tracked values `block` writes (`reads` too: every one it touches).
    fn touched(&self, block: &[Stmt], reads: bool) -> Vec<ValueId> {
        let mut seen = HashSet::new();
        let (mut r, mut w) = (Vec::new(), Vec::new());
        for s in block {
            self.deep(s, &mut r, &mut w);
        }
        if reads {
            w.extend(r);
        }
        w.retain(|v| self.tracked(*v) && seen.insert(*v));
        w
    }
}

/// `a` and the values of `b` not in it.
fn both(mut a: Vec<ValueId>, b: Vec<ValueId>) -> Vec<ValueId> {
    let seen: HashSet<ValueId> = a.iter().copied().collect();
    a.extend(b.into_iter().filter(|v| !seen.contains(v)));
    a
}

/// The members of `set` among `vars`.
fn members(set: &HashSet<ValueId>, vars: &[ValueId]) -> HashSet<ValueId> {
    vars.iter().copied().filter(|v| set.contains(v)).collect()
}

/// Makes the members of `set` among `vars` exactly `to`.
fn assign(set: &mut HashSet<ValueId>, vars: &[ValueId], to: &HashSet<ValueId>) {
    for v in vars {
        if to.contains(v) {
            set.insert(*v);
        } else {
            set.remove(v);
        }
    }
}

/// Pass 1, forward: `zero` holds the adjoints known to be `-0.0` here. With
/// `rewrite`, `dst += src` on such an adjoint becomes `dst = src`.
fn cleared(facts: &Facts, block: &mut [Stmt], zero: &mut HashSet<ValueId>, rewrite: bool) {
    let float = |v: ValueId| facts.func.ty(v) == Ty::Float && facts.tracked(v);
    for stmt in block.iter_mut() {
        match stmt {
            Stmt::Clear(v) if float(*v) => {
                zero.insert(*v);
            }
            Stmt::Def(v) if matches!(facts.func.inst(*v), Inst::NegZero) && float(*v) => {
                zero.insert(*v);
            }
            Stmt::Assign { dst, src } if zero.contains(src) && float(*dst) => {
                zero.insert(*dst);
            }
            Stmt::AddAssign { dst, src } if zero.contains(dst) => {
                let (dst, src) = (*dst, *src);
                if !zero.contains(&src) {
                    zero.remove(&dst);
                }
                if rewrite {
                    *stmt = Stmt::Assign { dst, src };
                }
            }
            Stmt::If { then, els, .. } => {
                let vars = both(facts.touched(then, false), facts.touched(els, false));
                let before = members(zero, &vars);
                cleared(facts, then, zero, rewrite);
                let after_then = members(zero, &vars);
                assign(zero, &vars, &before);
                cleared(facts, els, zero, rewrite);
                let after_els = members(zero, &vars);
                let both = after_then.intersection(&after_els).copied().collect();
                assign(zero, &vars, &both);
            }
            Stmt::For { body, .. } => {
                let vars = facts.touched(body, false);
                let head = loop_head(&vars, zero, |zero| {
                    cleared(facts, body, zero, false);
                });
                assign(zero, &vars, &head);
                cleared(facts, body, zero, rewrite);
                // Leaving from the head: what holds there holds after.
                assign(zero, &vars, &head);
            }
            Stmt::While { head, body, .. } => {
                let vars = both(facts.touched(head, false), facts.touched(body, false));
                let top = loop_head(&vars, zero, |zero| {
                    cleared(facts, head, zero, false);
                    cleared(facts, body, zero, false);
                });
                assign(zero, &vars, &top);
                cleared(facts, head, zero, rewrite);
                let exit = members(zero, &vars);
                cleared(facts, body, zero, rewrite);
                assign(zero, &vars, &exit);
            }
            other => {
                if let Some(v) = other.defs() {
                    zero.remove(&v);
                }
            }
        }
    }
}

/// The adjoints among `vars` known to be `-0.0` at the head of a loop whose
/// trip is `trip`: those known on entry and still known at the end of every
/// trip (a greatest fixpoint; none if it takes more than [`ROUNDS`]).
fn loop_head(
    vars: &[ValueId],
    zero: &mut HashSet<ValueId>,
    mut trip: impl FnMut(&mut HashSet<ValueId>),
) -> HashSet<ValueId> {
    let mut head = members(zero, vars);
    for _ in 0..ROUNDS {
        assign(zero, vars, &head);
        trip(zero);
        let end = members(zero, vars);
        let next: HashSet<ValueId> = head.intersection(&end).copied().collect();
        if next == head {
            return head;
        }
        head = next;
    }
    HashSet::new()
}

/// Pass 2, backward: `live` holds the tracked values read later. With
/// `defs` (the final walk), statements that only write dead values are
/// dropped; `defs` counts each value's definitions still to be met, so a
/// definition met while more remain (walking backwards) is a recomputation.
fn dead(
    facts: &Facts,
    block: Vec<Stmt>,
    live: &mut HashSet<ValueId>,
    defs: &mut Option<&mut HashMap<ValueId, usize>>,
) -> Vec<Stmt> {
    let mut kept = Vec::with_capacity(block.len());
    let mut reads = Vec::new();
    for mut stmt in block.into_iter().rev() {
        let is_dead = |v: &ValueId| facts.tracked(*v) && !live.contains(v);
        let drop = match &stmt {
            Stmt::Def(v) => {
                let recomputed = match defs {
                    Some(d) => {
                        let n = d.get_mut(v).expect("every definition was counted");
                        *n -= 1;
                        *n > 0
                    }
                    None => false,
                };
                // A variable that other statements assign keeps its
                // definition: codegen declares a value where it is defined.
                is_dead(v)
                    && !facts.assigned.contains(v)
                    && (facts.pure(*v) || (recomputed && facts.recomputable(*v)))
            }
            Stmt::Assign { dst: v, .. }
            | Stmt::AddAssign { dst: v, .. }
            | Stmt::Clear(v)
            | Stmt::Restore { value: v, .. } => is_dead(v),
            _ => false,
        };
        if drop {
            continue;
        }
        match &mut stmt {
            Stmt::If { cond, then, els } => {
                let vars = both(facts.touched(then, true), facts.touched(els, true));
                let out = members(live, &vars);
                // (`els` first: a backward walk meets it first.)
                *els = dead(facts, std::mem::take(els), live, defs);
                let from_els = members(live, &vars);
                assign(live, &vars, &out);
                *then = dead(facts, std::mem::take(then), live, defs);
                let union = from_els.union(&members(live, &vars)).copied().collect();
                assign(live, &vars, &union);
                live.insert(*cond);
            }
            Stmt::For {
                var,
                start,
                end,
                body,
                ..
            } => {
                let vars = facts.touched(body, true);
                let out = members(live, &vars);
                let back = loop_back(&vars, live, &out, |live| {
                    dead(facts, body.to_vec(), live, &mut None);
                });
                assign(live, &vars, &back);
                *body = dead(facts, std::mem::take(body), live, defs);
                let entry: HashSet<ValueId> = out.union(&members(live, &vars)).copied().collect();
                assign(live, &vars, &entry);
                live.remove(var);
                live.extend([*start, *end]);
            }
            Stmt::While { head, cond, body } => {
                let vars = both(facts.touched(head, true), facts.touched(body, true));
                let vars = both(vars, vec![*cond]);
                let out = members(live, &vars);
                let cond = *cond;
                // One trip, backwards from the back edge: the body, then
                // the head (after which the loop may also leave).
                let back = loop_back(&vars, live, &out, |live| {
                    dead(facts, body.to_vec(), live, &mut None);
                    let mut l: HashSet<ValueId> = members(live, &vars);
                    l.extend(out.iter().copied());
                    l.insert(cond);
                    assign(live, &vars, &l);
                    dead(facts, head.to_vec(), live, &mut None);
                });
                assign(live, &vars, &back);
                *body = dead(facts, std::mem::take(body), live, defs);
                let mut after_head = members(live, &vars);
                after_head.extend(out.iter().copied());
                after_head.insert(cond);
                assign(live, &vars, &after_head);
                *head = dead(facts, std::mem::take(head), live, defs);
            }
            other => {
                if let Some(v) = other.defs()
                    && !matches!(other, Stmt::AddAssign { .. } | Stmt::Count(_))
                    && facts.tracked(v)
                {
                    live.remove(&v);
                }
                reads.clear();
                other.visit_uses(facts.func, &mut |v| reads.push(v));
                live.extend(reads.iter().copied().filter(|v| facts.tracked(*v)));
            }
        }
        kept.push(stmt);
    }
    kept.reverse();
    kept
}

/// The tracked values among `vars` (those the loop touches) live at the
/// back edge of a loop after which `out` is live, given `trip`, which walks
/// one trip backwards from the back edge: a least fixpoint, or everything
/// the loop touches if it takes more than [`ROUNDS`].
fn loop_back(
    vars: &[ValueId],
    live: &mut HashSet<ValueId>,
    out: &HashSet<ValueId>,
    mut trip: impl FnMut(&mut HashSet<ValueId>),
) -> HashSet<ValueId> {
    let mut back = out.clone();
    for _ in 0..ROUNDS {
        assign(live, vars, &back);
        trip(live);
        let next: HashSet<ValueId> = back.union(&members(live, vars)).copied().collect();
        if next == back {
            return back;
        }
        back = next;
    }
    out.iter().chain(vars).copied().collect()
}

/// Pass 3, forward: moves each movable definition of `block` down to just
/// before the first statement that reads it or writes what it reads (nested
/// blocks are tidied the same way first). `seen` holds the values defined
/// earlier in program order, so a definition of one of them is a
/// recomputation.
fn sink(facts: &Facts, block: Vec<Stmt>, seen: &mut HashSet<ValueId>) -> Vec<Stmt> {
    let mut out = Vec::with_capacity(block.len());
    let mut pending = Pending::default();
    let (mut reads, mut writes) = (Vec::new(), Vec::new());
    for stmt in block {
        if let Stmt::Def(v) = stmt {
            let again = !seen.insert(v);
            let ops = facts.func.inst(v).uses(&facts.func.passive);
            // Only what reads values that live on anyway (defined before
            // the block, or pending themselves) moves: sinking `a + b` past
            // the point where `a` and `b` die would lengthen two lives to
            // shorten one.
            if (facts.pure(v) || (again && facts.recomputable(v)))
                && ops.iter().all(|o| !pending.local.contains(o))
            {
                // Defined twice in one block: the first is emitted first.
                pending.emit(v, &mut out);
                for op in &ops {
                    pending.users.entry(*op).or_default().push(v);
                }
                pending.order.push(v);
                pending.defs.insert(v, ops);
                continue;
            }
        }
        let stmt = stmt.map_blocks(|b| sink(facts, b, seen));
        reads.clear();
        writes.clear();
        facts.deep(&stmt, &mut reads, &mut writes);
        if let Stmt::Def(v) = &stmt {
            seen.insert(*v);
        }
        for r in &reads {
            pending.emit(*r, &mut out);
        }
        for w in &writes {
            pending.emit(*w, &mut out);
            if let Some(users) = pending.users.remove(w) {
                for u in users {
                    pending.emit(u, &mut out);
                }
            }
        }
        pending.local.extend(writes.iter().copied());
        out.push(stmt);
    }
    for v in std::mem::take(&mut pending.order) {
        pending.emit(v, &mut out);
    }
    out
}

/// Definitions waiting to be emitted, with what each reads.
#[derive(Default)]
struct Pending {
    defs: HashMap<ValueId, Vec<ValueId>>,
    /// Each operand's pending readers (may name ones emitted since).
    users: HashMap<ValueId, Vec<ValueId>>,
    order: Vec<ValueId>,
    /// Values the block defined or wrote so far, pending ones excluded.
    local: HashSet<ValueId>,
}

impl Pending {
    /// Emits `v` if it is pending, after the pending definitions it reads
    /// (an explicit stack: a chain of pending values can be long).
    fn emit(&mut self, v: ValueId, out: &mut Vec<Stmt>) {
        if !self.defs.contains_key(&v) {
            return;
        }
        let mut stack = vec![v];
        while let Some(&top) = stack.last() {
            let Some(ops) = self.defs.get(&top) else {
                stack.pop();
                continue;
            };
            if let Some(&dep) = ops.iter().find(|o| self.defs.contains_key(o) && **o != top) {
                stack.push(dep);
                continue;
            }
            self.defs.remove(&top);
            self.local.insert(top);
            out.push(Stmt::Def(top));
            stack.pop();
        }
    }
}
