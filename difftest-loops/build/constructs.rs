//! The generator's constructs of issue 11: `continue`, labeled `break` and
//! `continue`, `match` (a statement and a value, on integers and `bool`s,
//! with `|`, ranges, bindings, guards and `return` in an arm), local arrays
//! declared inside loops, loops over integer label slices, casts from
//! float to integer (`as i32` in arithmetic, `as usize` as an index), and
//! constant integer arrays (`let c3: [usize; 4] = [..];`, read as
//! `c3[i % 4] as f64` and matched on).
//!
//! They are drawn from the second random stream `Gen::rng2`: the decision to
//! make one, and everything inside it, so that the first stream draws the
//! older constructs as it did before these existed. (What a new construct
//! declares can still change later choices among the visible variables.)

use super::{Block, C, E, Gen, LoopKind, PKind, Param, Printer, S, VK, cond_text, merge};

/// The value of one arm of a `match` used as a value.
#[derive(Clone, Debug)]
pub enum Arm {
    Value(Block),
    Return(E),
}

impl Gen {
    /// Runs `f` with the second random stream in place of the first.
    fn with_rng2<T>(&mut self, f: impl FnOnce(&mut Gen) -> T) -> T {
        if self.rng2_depth == 0 {
            std::mem::swap(&mut self.rng, &mut self.rng2);
        }
        self.rng2_depth += 1;
        let out = f(self);
        self.rng2_depth -= 1;
        if self.rng2_depth == 0 {
            std::mem::swap(&mut self.rng, &mut self.rng2);
        }
        out
    }

    /// Maybe a `labels: &[usize]` parameter (or `Vec<usize>`), placed at a
    /// random position among the others.
    pub(super) fn labels_param(&mut self, params: &mut Vec<Param>) {
        if !self.ok("labels") {
            return;
        }
        self.with_rng2(|g| {
            if !g.chance(30) {
                return;
            }
            let vec = g.chance(30);
            g.count("param_labels");
            if vec {
                g.count("param_labels_vec");
            }
            let at = g.rng.usize(0..=params.len());
            params.insert(
                at,
                Param {
                    name: "labels".into(),
                    kind: PKind::Labels(vec),
                },
            );
        });
    }

    /// Marks nesting level `level` as a `for` loop (`Some(false)`: no
    /// labeled exit names it yet) or as no `for` loop.
    pub(super) fn set_label_slot(&mut self, level: usize, slot: Option<bool>) {
        if self.label_used.len() <= level {
            self.label_used.resize(level + 1, None);
        }
        self.label_used[level] = slot;
    }

    /// The label of the `for` loop at `level` if an exit used it.
    pub(super) fn take_label(&mut self, level: usize) -> Option<String> {
        let used = self.label_used.get(level).copied().flatten() == Some(true);
        self.set_label_slot(level, None);
        used.then(|| format!("'l{level}"))
    }

    /// Now and then a cast from float to integer, instead of an expression.
    pub(super) fn cast_expr(&mut self, depth: u32) -> Option<(E, f64)> {
        if !self.ok("cast") || self.with_rng2(|g| !g.chance(2)) {
            return None;
        }
        Some(self.with_rng2(|g| {
            let (inner, _) = g.expr(depth.saturating_sub(1).min(1));
            let indexable = g.of_kind(|k| matches!(k, VK::Slice | VK::Array { .. }));
            if !indexable.is_empty() && g.chance(50) {
                g.count("index_cast");
                let a = g.pick(&indexable);
                g.mark_used(a.id);
                let len = match a.kind {
                    VK::Array { k, .. } => k.to_string(),
                    _ => format!("{}.len()", a.name),
                };
                (E::IndexCast(a.name, Box::new(inner), len), a.bound)
            } else {
                g.count("cast_int");
                (E::CastInt(Box::new(inner), 3), 2.0)
            }
        }))
    }

    /// Now and then, after a statement, one of issue 11's constructs.
    pub(super) fn new_stmt(&mut self) -> Vec<S> {
        self.with_rng2(|g| {
            if !g.chance(14) {
                return Vec::new();
            }
            let innermost_for = matches!(g.loops.last(), Some((LoopKind::For, _)));
            let outer_for = g.outer_for().is_some();
            let scrutinees = !g.scrutinees().is_empty();
            let labels = !g.of_kind(|k| *k == VK::Labels).is_empty()
                && !g.of_kind(|k| *k == VK::Slice).is_empty();
            let can_nest = g.depth < 3;
            let w = [
                if innermost_for { g.w("continue", 3) } else { 0 },
                if outer_for { g.w("labeled_exit", 6) } else { 0 },
                if scrutinees && can_nest {
                    g.w("match", 3)
                } else {
                    0
                },
                if scrutinees { g.w("match_value", 2) } else { 0 },
                if !g.loops.is_empty() {
                    g.w("local_array_in_loop", 2)
                } else {
                    0
                },
                if labels && can_nest && g.loops.len() < 2 {
                    g.w("labels", 3)
                } else {
                    0
                },
            ];
            match g.weighted(&w) {
                None => Vec::new(),
                Some(0) => vec![g.continue_stmt()],
                Some(1) => vec![g.labeled_exit()],
                Some(2) => vec![g.match_stmt()],
                Some(3) => vec![g.let_match()],
                Some(4) => {
                    g.count("local_array_in_loop");
                    vec![g.local_array()]
                }
                Some(_) => vec![g.labels_loop()],
            }
        })
    }

    /// `if cond { [update;] continue; }` in a `for` loop.
    fn continue_stmt(&mut self) -> S {
        self.count("continue");
        let c = self.cond(1);
        let mut body = Vec::new();
        let targets = self.targets();
        if !targets.is_empty() && self.chance(40) {
            body.push(self.assign(&targets));
        }
        body.push(S::Raw("continue;".into()));
        S::If {
            arms: vec![(c, body)],
            els: None,
        }
    }

    /// The level of a `for` loop around the innermost loop.
    fn outer_for(&self) -> Option<usize> {
        let inner = self.loops.len().checked_sub(1)?;
        (0..inner)
            .rev()
            .find(|l| self.label_used.get(*l).copied().flatten().is_some())
    }

    /// `if cond { continue 'l0; }` or `break 'l0;`, leaving inner loops.
    fn labeled_exit(&mut self) -> S {
        let levels: Vec<usize> = (0..self.loops.len() - 1)
            .filter(|l| self.label_used.get(*l).copied().flatten().is_some())
            .collect();
        let level = self.pick(&levels);
        self.set_label_slot(level, Some(true));
        let what = if self.chance(50) { "continue" } else { "break" };
        self.count(if what == "continue" {
            "labeled_continue"
        } else {
            "labeled_break"
        });
        let c = self.cond(1);
        S::If {
            arms: vec![(c, vec![S::Raw(format!("{what} 'l{level};"))])],
            els: None,
        }
    }

    /// What a `match` can look at: integers (`i % 4`), `bool`s, and an
    /// element of a constant integer array (`c3[i % 4]`).
    fn scrutinees(&self) -> Vec<(String, bool)> {
        let visible = self.visible();
        let mut out: Vec<(String, bool)> = visible
            .iter()
            .filter_map(|v| match v.kind {
                VK::Index(_) | VK::Counter | VK::Usize => Some((v.name.clone(), false)),
                VK::Bool | VK::Flag => Some((v.name.clone(), true)),
                _ => None,
            })
            .collect();
        let index = visible
            .iter()
            .find(|v| matches!(v.kind, VK::Index(_) | VK::Counter));
        for c in &visible {
            if let (VK::IntConst(k), Some(i)) = (&c.kind, index) {
                out.push((format!("{}[{} % {k}]", c.name, i.name), false));
            }
        }
        out
    }

    /// Maybe a constant integer array at the top of the body:
    /// `let c3: [usize; 4] = [2, 0, 5, 1];`, read in loops as
    /// `(c3[i % 4] as f64)` and matched on (`match c3[i % 4] % 4 { .. }`).
    pub(super) fn int_const_array(&mut self) -> Option<S> {
        if !self.ok("int_const") {
            return None;
        }
        self.with_rng2(|g| {
            if !g.chance(25) {
                return None;
            }
            g.count("int_const_array");
            let k = g.rng.usize(2..=5);
            let values: Vec<String> = (0..k).map(|_| g.rng.usize(0..=5).to_string()).collect();
            let name = g.fresh("c");
            g.declare(&name, VK::IntConst(k), 5.0);
            Some(S::Raw(format!(
                "let {name}: [usize; {k}] = [{}];",
                values.join(", ")
            )))
        })
    }

    /// Now and then, instead of the integer `i` as a float, an element of a
    /// constant integer array it picks: `(c3[i % 4] as f64)`.
    pub(super) fn int_const_leaf(&mut self, i: &str) -> Option<(E, f64)> {
        let consts = self.of_kind(|k| matches!(k, VK::IntConst(_)));
        if consts.is_empty() {
            return None;
        }
        self.with_rng2(|g| {
            if !g.chance(40) {
                return None;
            }
            let c = g.pick(&consts);
            let VK::IntConst(k) = c.kind else {
                unreachable!()
            };
            g.mark_used(c.id);
            g.count("int_const_read");
            Some((E::AsF64(format!("{}[{i} % {k}]", c.name)), 5.0))
        })
    }

    /// The scrutinee and the arms' patterns (the last is `_`, or `false`
    /// for a `bool`); a pattern `m @ ..` binds `m`, below 4.
    fn patterns(&mut self) -> (String, Vec<String>) {
        let all = self.scrutinees();
        let (v, boolean) = self.pick(&all);
        if v.contains('[') {
            self.count("int_const_match");
        }
        if boolean {
            self.count("match_bool");
            let last = if self.chance(50) { "false" } else { "_" };
            return (v, vec!["true".into(), last.into()]);
        }
        let scrutinee = if self.chance(70) {
            format!("{v} % 4")
        } else {
            v
        };
        let mut pats = Vec::new();
        for (p, pct) in [("0", 60), ("1 | 2", 50), ("m @ 2..=3", 40)] {
            if self.chance(pct) {
                pats.push(p.to_string());
            }
        }
        if pats.is_empty() {
            pats.push("0".into());
        }
        pats.push("_".into());
        (scrutinee, pats)
    }

    /// Declares what an arm's pattern binds, in the arm's scope.
    fn bind_pattern(&mut self, pat: &str) {
        if pat.starts_with("m @") {
            self.count("match_binding");
            self.declare("m", VK::Index(super::Lim::Const(4)), 0.0);
        }
    }

    /// A guard on an arm that is not the last: `pat if cond`.
    fn guard(&mut self, last: bool) -> Option<C> {
        if last || !self.chance(25) {
            return None;
        }
        self.count("match_guard");
        Some(self.cond(1))
    }

    /// `match i % 4 { 0 => { .. } 1 | 2 => { .. } _ => { .. } }`
    fn match_stmt(&mut self) -> S {
        self.count("match");
        let (scrutinee, pats) = self.patterns();
        let before = self.bounds();
        let mut merged = before.clone();
        let mut arms = Vec::new();
        let n = pats.len();
        // `true if c => …, false => …` would not be exhaustive.
        let exhaustive_last = pats.last().is_some_and(|p| p == "false");
        for (k, pat) in pats.into_iter().enumerate() {
            self.set_bounds(&before);
            self.push_scope();
            self.bind_pattern(&pat);
            let guard = self.guard(k + 1 == n || exhaustive_last);
            let len = self.rng.usize(1..=2);
            let body = self.sub_block(len);
            self.pop_scope();
            merge(&mut merged, &self.bounds());
            arms.push((pat, guard, body));
        }
        self.set_bounds(&merged);
        S::Match { scrutinee, arms }
    }

    /// `let y = match n % 4 { 0 => e, m @ 2..=3 => { .. }, _ => return e2 .. };`
    fn let_match(&mut self) -> S {
        self.count("match_value");
        let (scrutinee, pats) = self.patterns();
        let mut bound: f64 = 0.0;
        let mut arms = Vec::new();
        let n = pats.len();
        let mut returns = 0;
        let exhaustive_last = pats.last().is_some_and(|p| p == "false");
        for (k, pat) in pats.into_iter().enumerate() {
            self.push_scope();
            self.bind_pattern(&pat);
            let guard = self.guard(k + 1 == n || exhaustive_last);
            // At most one arm returns, and never all of them.
            let arm = if returns == 0 && k + 1 < n && self.chance(15) {
                returns += 1;
                self.count("match_return");
                Arm::Return(self.expr(2).0)
            } else {
                let (blk, b) = self.value_block();
                bound = bound.max(b);
                Arm::Value(blk)
            };
            self.pop_scope();
            arms.push((pat, guard, arm));
        }
        let name = self.fresh("y");
        let id = self.declare(&name, VK::Scalar { assignable: true }, bound);
        S::LetMatch {
            name,
            id,
            scrutinee,
            arms,
        }
    }

    /// `for &l in labels.iter()`, `for (i, &l) in labels.iter().enumerate()`,
    /// `for (p, &l) in x.iter().zip(labels.iter())`, `for l in labels.iter().copied()`:
    /// every label is a valid index into the slices.
    fn labels_loop(&mut self) -> S {
        self.has_loop = true;
        let level = self.loops.len();
        if level > 0 {
            self.count("nested_loop");
        }
        let labels = self.pick(&self.of_kind(|k| *k == VK::Labels));
        let ln = labels.name;
        let l = ["l", "lb", "lc"][level].to_string();
        self.push_scope();
        let header = match self.rng.u32(0..4) {
            0 => {
                self.count("for_labels_copied");
                format!("for &{l} in {ln}.iter()")
            }
            1 => {
                self.count("for_labels_copied");
                format!("for {l} in {ln}.iter().copied()")
            }
            2 => {
                self.count("for_labels_enumerate");
                let i = ["i", "j", "ii"][level].to_string();
                self.declare(&i, VK::Index(super::Lim::Len), 0.0);
                format!("for ({i}, &{l}) in {ln}.iter().enumerate()")
            }
            _ => {
                self.count("for_labels_zip");
                let slices = self.of_kind(|k| *k == VK::Slice);
                let x = self.pick(&slices);
                let p = format!("p{level}");
                self.declare(&p, VK::Ref, x.bound);
                format!("for ({p}, &{l}) in {}.iter().zip({ln}.iter())", x.name)
            }
        };
        self.declare(&l, VK::Index(super::Lim::Len), 0.0);
        self.loops.push((LoopKind::For, super::MAX_LEN));
        self.set_label_slot(level, Some(false));
        let n = self.rng.usize(1..=3);
        let break_at = if self.chance(15) && self.ok("break") {
            Some(self.rng.usize(0..=n))
        } else {
            None
        };
        let body = self.loop_body(n, break_at);
        let label = self.take_label(level);
        self.loops.pop();
        self.pop_scope();
        S::For {
            label,
            header,
            body,
        }
    }
}

impl Printer<'_> {
    /// The head of an arm: `pat =>` or `pat if cond =>`.
    fn arm_head(&self, pat: &str, guard: &Option<C>) -> String {
        match guard {
            Some(c) => format!("{pat} if {} =>", cond_text(c, self.oracle)),
            None => format!("{pat} =>"),
        }
    }

    pub(super) fn match_stmt(
        &mut self,
        scrutinee: &str,
        arms: &[(String, Option<C>, Vec<S>)],
        ind: usize,
    ) {
        self.line(ind, &format!("match {scrutinee} {{"));
        for (pat, guard, body) in arms {
            let head = self.arm_head(pat, guard);
            self.line(ind + 1, &format!("{head} {{"));
            self.stmts(body, ind + 2);
            self.line(ind + 1, "}");
        }
        self.line(ind, "}");
    }

    pub(super) fn let_match(
        &mut self,
        name: &str,
        id: usize,
        scrutinee: &str,
        arms: &[(String, Option<C>, Arm)],
        ind: usize,
    ) {
        // Constant arms need a type: `let y: f64 = match …`.
        let constant = !self.oracle
            && arms.iter().all(|(_, _, a)| match a {
                Arm::Value(b) => super::is_const(&b.tail),
                Arm::Return(_) => true,
            });
        let ty = if constant { ": f64" } else { "" };
        let m = self.mutable(id);
        self.line(ind, &format!("let {m}{name}{ty} = match {scrutinee} {{"));
        for (pat, guard, arm) in arms {
            let head = self.arm_head(pat, guard);
            match arm {
                Arm::Value(b) => {
                    self.line(ind + 1, &format!("{head} {{"));
                    self.block_value(b, ind + 2);
                    self.line(ind + 1, "}");
                }
                Arm::Return(e) => {
                    let e = self.returned(e);
                    self.line(ind + 1, &format!("{head} return {e},"));
                }
            }
        }
        self.line(ind, "};");
    }
}
