//! Tapes as slots and buffers indexed by the trip, instead of stacks.
//!
//! `augment` and the sweep save a value before it is overwritten with
//! `push` (on a `Vec` per kind of value) and restore it with `pop`. A region
//! is the whole function, or one trip of a fused loop, whose reverse runs
//! before the next trip. In a region:
//!
//! - a push that runs at most once (outside loops) needs no stack: a
//!   variable of its own keeps the value (`%slot := %v` … `%v := %slot`);
//! - a push that runs once per trip of a `for` loop that runs at most once
//!   goes to that trip's slot of a buffer made for the loop
//!   (`save %v to %b[%i, k]` … `restore %v from %b[%i, k]`, at index
//!   `(i - start) * slots + k`): no growth, no length to keep, no pop to
//!   check, and the index is the loop variable. The buffer is an array on
//!   the stack when the loop's bounds are constants (a `Vec` of the trip
//!   count otherwise, allocated once per call, and only for a loop of the
//!   whole function).
//!
//! A push and its pop are matched by the branches around them (the reverse
//! of `if c { … }` is `if c { … }` again) and their order (pops run in the
//! reverse order of the pushes). Pushes in loops nested in loops, in
//! `while` loops, and of calls' tuples stay on the `Vec` tapes.

use super::tape::is_const_expr;
use crate::ir::{Func, Inst, Stmt, Tape, ValueId};
use std::collections::{HashMap, HashSet};

/// Which branch of which `if` a statement is under, outermost first.
type IfPath = Vec<(ValueId, bool)>;

/// One push or pop: the branches around it and the value.
type Site = (IfPath, ValueId);

/// Rewrites the tapes of one function.
pub struct Buffers<'a> {
    pub func: &'a mut Func,
    /// Fused loops, by variable (their trips are regions of their own).
    pub fused: &'a HashSet<ValueId>,
    /// Buffers with constant sizes, declared at the top of the function.
    pub top: Vec<Stmt>,
    /// Slot variables, declared at the top of the function.
    pub hoisted: Vec<ValueId>,
}

/// The pushes (or pops) of `block` outside loops, in order.
fn sites(block: &[Stmt], pops: bool, path: &mut IfPath, out: &mut Vec<Site>) {
    for stmt in block {
        match stmt {
            Stmt::Push(v) if !pops => out.push((path.clone(), *v)),
            Stmt::Pop(v) if pops => out.push((path.clone(), *v)),
            Stmt::If { cond, then, els } => {
                path.push((*cond, true));
                sites(then, pops, path, out);
                path.last_mut().expect("pushed").1 = false;
                sites(els, pops, path, out);
                path.pop();
            }
            _ => {}
        }
    }
}

/// How many sites each (branches, value) has.
fn counts(sites: &[Site]) -> HashMap<Site, usize> {
    let mut n = HashMap::new();
    for s in sites {
        *n.entry(s.clone()).or_insert(0) += 1;
    }
    n
}

/// Rewrites the pushes (or pops) of `block` outside loops: `f` gets each
/// site and its position among the pushes of that site, counted in the
/// forward order (for pops, whose order is reversed, from `total`).
fn rewrite(
    block: &mut [Stmt],
    pops: bool,
    path: &mut IfPath,
    seen: &mut HashMap<Site, usize>,
    total: &HashMap<Site, usize>,
    f: &mut dyn FnMut(&Site, usize) -> Stmt,
) {
    for stmt in block.iter_mut() {
        let site = match stmt {
            Stmt::Push(v) if !pops => Some(*v),
            Stmt::Pop(v) if pops => Some(*v),
            _ => None,
        };
        if let Some(v) = site {
            let site = (path.clone(), v);
            let k = seen.entry(site.clone()).or_insert(0);
            let nth = if pops { total[&site] - 1 - *k } else { *k };
            *k += 1;
            *stmt = f(&site, nth);
            continue;
        }
        if let Stmt::If { cond, then, els } = stmt {
            path.push((*cond, true));
            rewrite(then, pops, path, seen, total, f);
            path.last_mut().expect("pushed").1 = false;
            rewrite(els, pops, path, seen, total, f);
            path.pop();
        }
    }
}

/// The `for` loops of `block` outside other loops (in branches too), by
/// variable, with whether each is at the top level of `block`.
fn loops(block: &[Stmt], top: bool, out: &mut Vec<(ValueId, bool)>) {
    for stmt in block {
        match stmt {
            Stmt::For { var, .. } => out.push((*var, top)),
            Stmt::If { then, els, .. } => {
                loops(then, false, out);
                loops(els, false, out);
            }
            _ => {}
        }
    }
}

/// The `for` loop over `var` in `block` outside other loops.
fn find_loop(block: &mut [Stmt], var: ValueId) -> Option<&mut Stmt> {
    for stmt in block {
        match stmt {
            Stmt::For { var: v, .. } if *v == var => return Some(stmt),
            Stmt::If { then, els, .. } => {
                if let Some(s) = find_loop(then, var) {
                    return Some(s);
                }
                if let Some(s) = find_loop(els, var) {
                    return Some(s);
                }
            }
            _ => {}
        }
    }
    None
}

fn body_mut(stmt: &mut Stmt) -> &mut Vec<Stmt> {
    match stmt {
        Stmt::For { body, .. } => body,
        _ => unreachable!("a loop"),
    }
}

impl Buffers<'_> {
    // Input:  the forward and the reverse statements of a region: `push %v` … `pop %v`
    // Output: the same with slot variables and loop buffers where they fit
    pub fn region(&mut self, fwd: &mut Vec<Stmt>, rev: &mut [Stmt], whole: bool) {
        self.straight(fwd, rev);
        let mut found = Vec::new();
        loops(fwd, true, &mut found);
        let mut converted = HashSet::new();
        for (var, top) in found {
            if self.fused.contains(&var) {
                continue;
            }
            let Some(reverse) = find_loop(rev, var) else {
                continue;
            };
            let forward = find_loop(fwd, var).expect("found above");
            let Stmt::For { start, end, .. } = *forward else {
                unreachable!("a loop")
            };
            let constant = is_const_expr(self.func, start) && is_const_expr(self.func, end);
            if !(constant || whole && top) {
                continue;
            }
            let Some(bufs) = self.trips(body_mut(forward), body_mut(reverse), var, start, end)
            else {
                continue;
            };
            if constant {
                self.top.extend(bufs.into_iter().map(Stmt::Def));
            } else {
                let at = fwd
                    .iter()
                    .position(|s| matches!(s, Stmt::For { var: v, .. } if *v == var))
                    .expect("at the top level");
                for (k, b) in bufs.into_iter().enumerate() {
                    fwd.insert(at + k, Stmt::Def(b));
                }
            }
            converted.insert((start, end));
        }
        // The reservations of converted loops are empty now.
        drop_reserves(fwd, &converted);
        if whole {
            let mut used = HashSet::new();
            crate::analysis::walk(fwd, &mut |s| {
                if let Stmt::Push(v) = s {
                    used.insert(Tape::of(self.func.ty(*v)));
                }
            });
            trim_reserves(fwd, &used);
        }
    }

    /// Pushes outside loops: one variable each.
    fn straight(&mut self, fwd: &mut [Stmt], rev: &mut [Stmt]) {
        let mut pushes = Vec::new();
        sites(fwd, false, &mut Vec::new(), &mut pushes);
        let mut pops = Vec::new();
        sites(rev, true, &mut Vec::new(), &mut pops);
        let total = counts(&pushes);
        if pushes.is_empty() || total != counts(&pops) {
            return;
        }
        let mut slots: HashMap<(Site, usize), ValueId> = HashMap::new();
        for (site, n) in &total {
            for k in 0..*n {
                let v = site.1;
                let slot = self.func.push(Inst::Zero, self.func.span(v));
                self.func.tys[slot.index()] = self.func.ty(v);
                self.hoisted.push(slot);
                slots.insert((site.clone(), k), slot);
            }
        }
        let mut seen = HashMap::new();
        rewrite(
            fwd,
            false,
            &mut Vec::new(),
            &mut seen,
            &total,
            &mut |site, k| Stmt::Assign {
                dst: slots[&(site.clone(), k)],
                src: site.1,
            },
        );
        let mut seen = HashMap::new();
        rewrite(
            rev,
            true,
            &mut Vec::new(),
            &mut seen,
            &total,
            &mut |site, k| Stmt::Assign {
                dst: site.1,
                src: slots[&(site.clone(), k)],
            },
        );
    }

    /// The pushes of one trip of the loop over `var` (outside its inner
    /// loops) into buffers, one per kind of value; returns the buffers, or
    /// `None` when its pushes and pops do not match.
    fn trips(
        &mut self,
        fwd: &mut [Stmt],
        rev: &mut [Stmt],
        var: ValueId,
        start: ValueId,
        end: ValueId,
    ) -> Option<Vec<ValueId>> {
        let mut pushes = Vec::new();
        sites(fwd, false, &mut Vec::new(), &mut pushes);
        let mut pops = Vec::new();
        sites(rev, true, &mut Vec::new(), &mut pops);
        let total = counts(&pushes);
        if pushes.is_empty() || total != counts(&pops) {
            return None;
        }
        // Slots in the order of the pushes, per kind of value.
        let mut slot: HashMap<(Site, usize), (Tape, usize)> = HashMap::new();
        let mut per_tape: Vec<(Tape, usize)> = Vec::new();
        let mut seen: HashMap<Site, usize> = HashMap::new();
        for site in &pushes {
            let k = seen.entry(site.clone()).or_insert(0);
            let tape = Tape::of(self.func.ty(site.1));
            let n = match per_tape.iter_mut().find(|(t, _)| *t == tape) {
                Some((_, n)) => n,
                None => {
                    per_tape.push((tape, 0));
                    &mut per_tape.last_mut().expect("pushed").1
                }
            };
            slot.insert((site.clone(), *k), (tape, *n));
            *n += 1;
            *k += 1;
        }
        let mut bufs = HashMap::new();
        for (tape, slots) in &per_tape {
            let b = self.func.push(
                Inst::TapeBuf {
                    tape: *tape,
                    start,
                    end,
                    slots: *slots,
                },
                self.func.span(var),
            );
            bufs.insert(*tape, b);
        }
        let mut seen = HashMap::new();
        rewrite(
            fwd,
            false,
            &mut Vec::new(),
            &mut seen,
            &total,
            &mut |site, k| {
                let (tape, s) = slot[&(site.clone(), k)];
                Stmt::Save {
                    buf: bufs[&tape],
                    var,
                    slot: s,
                    value: site.1,
                }
            },
        );
        let mut seen = HashMap::new();
        rewrite(
            rev,
            true,
            &mut Vec::new(),
            &mut seen,
            &total,
            &mut |site, k| {
                let (tape, s) = slot[&(site.clone(), k)];
                Stmt::Restore {
                    buf: bufs[&tape],
                    var,
                    slot: s,
                    value: site.1,
                }
            },
        );
        Some(per_tape.iter().map(|(t, _)| bufs[t]).collect())
    }
}

/// Removes the `reserve` right before each loop over one of `bounds`.
fn drop_reserves(block: &mut Vec<Stmt>, bounds: &HashSet<(ValueId, ValueId)>) {
    let mut i = 0;
    while i < block.len() {
        let reserve_before_loop = match (&block[i], block.get(i + 1)) {
            (
                Stmt::Reserve { start, end, .. },
                Some(Stmt::For {
                    start: s, end: e, ..
                }),
            ) => start == s && end == e && bounds.contains(&(*s, *e)),
            _ => false,
        };
        if reserve_before_loop {
            block.remove(i);
            continue;
        }
        if let Stmt::If { then, els, .. } = &mut block[i] {
            drop_reserves(then, bounds);
            drop_reserves(els, bounds);
        }
        i += 1;
    }
}

/// Keeps, in each `reserve`, only the tapes that something still pushes on.
fn trim_reserves(block: &mut Vec<Stmt>, used: &HashSet<Tape>) {
    block.retain_mut(|stmt| {
        if let Stmt::Reserve { per_trip, .. } = stmt {
            per_trip.retain(|(t, _)| used.contains(t));
            return !per_trip.is_empty();
        }
        for inner in match stmt {
            Stmt::If { then, els, .. } => vec![then, els],
            Stmt::For { body, .. } => vec![body],
            Stmt::While { head, body, .. } => vec![head, body],
            _ => vec![],
        } {
            trim_reserves(inner, used);
        }
        true
    });
}
