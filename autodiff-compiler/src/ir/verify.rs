//! The IR verifier: the invariants every pass may assume of its input and
//! must keep in its output, checked in one place (cranelift's `verifier/`).
//!
//! - **Tables**: `spans`, `names` and `tys` have one entry per instruction;
//!   every value named anywhere (operands, passive pieces, statements,
//!   outputs, `hoisted`, `adjoints`) is an instruction; every passive index
//!   and parameter index is in range.
//! - **Straight-line code** (an empty body): every instruction reads only
//!   earlier ones.
//! - **Structured code**: every value a statement reads or writes is
//!   reached by a definition, or is declared at the top (`hoisted`): a
//!   `Def` earlier in the same block or in an enclosing one (the head of a
//!   `while` encloses its body), a `for` loop's variable inside its body. A
//!   read of a value defined later in its block, or only in a sibling
//!   block, is an error. `Def`, `PopTuple` and `for` define; every other
//!   write needs the value declared.
//! - **Types**, as far as [`Ty`] tells: an operation's operands are floats
//!   (integers where [`Op::int_args`] says so), conditions are booleans,
//!   indices, loop bounds and trip counters integers, loads and stores go
//!   into arrays, a copy and an assignment keep their type, a projection
//!   reads a call's tuple, a tuple tape holds tuples.
//! - **Tape buffers**: `Save` and `Restore` only on an [`Inst::TapeBuf`],
//!   with a slot in range and a value of the buffer's kind.
//! - **Probes** only in the circuit view ([`View::Circuit`]).
//!
//! [`verify_after`] runs it after each pass in the compiler's own tests and
//! when the environment variable `AUTODIFF_VERIFY=1` is set, never otherwise.

use super::{Func, Inst, Stmt, Tape, Ty, ValueId};
use crate::op::Op;
use std::collections::HashSet;
use std::sync::OnceLock;

/// Which statements the function may hold besides the plain ones.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum View {
    /// What `#[grad]` compiles: no probes.
    Plain,
    /// The circuit view (`graph.rs`): probes allowed.
    Circuit,
}

impl View {
    /// The view a function is in: the circuit view if it holds a probe.
    /// For passes that run in both (the reverse sweep, `tidy`): their output
    /// may hold probes only when their input did.
    pub fn of(func: &Func) -> View {
        let mut probe = false;
        crate::analysis::walk(&func.body, &mut |s| probe |= matches!(s, Stmt::Probe(_)));
        if probe { View::Circuit } else { View::Plain }
    }
}

/// Whether [`verify_after`] checks: in the compiler's tests, or with
/// `AUTODIFF_VERIFY=1` in the environment (read once).
fn enabled() -> bool {
    static ON: OnceLock<bool> = OnceLock::new();
    cfg!(test) || *ON.get_or_init(|| std::env::var("AUTODIFF_VERIFY").is_ok_and(|v| v == "1"))
}

/// Verifies the output of `pass` when verification is on (see [`enabled`]),
/// and panics naming the pass and every violation when it is not valid.
pub fn verify_after(pass: &str, func: &Func, view: View) {
    if !enabled() {
        return;
    }
    if let Err(errors) = verify(func, view) {
        panic!(
            "invalid IR after {pass}:\n  {}\n{func}",
            errors.join("\n  ")
        );
    }
}

/// Checks every invariant of the module docs; the errors name the statement
/// or instruction and the value.
pub fn verify(func: &Func, view: View) -> Result<(), Vec<String>> {
    let mut v = Verifier {
        func,
        view,
        errors: Vec::new(),
        hoisted: func.hoisted.iter().copied().collect(),
        scopes: Vec::new(),
    };
    v.tables();
    if v.errors.is_empty() {
        if func.is_straight_line() {
            v.straight();
        } else {
            v.scopes.push(HashSet::new());
            v.block(&func.body);
        }
    }
    if v.errors.is_empty() {
        Ok(())
    } else {
        Err(v.errors)
    }
}

struct Verifier<'a> {
    func: &'a Func,
    view: View,
    errors: Vec<String>,
    hoisted: HashSet<ValueId>,
    /// The values defined so far in each enclosing block, innermost last.
    scopes: Vec<HashSet<ValueId>>,
}

/// One line naming a statement (its own values, not its nested blocks').
fn head(stmt: &Stmt) -> String {
    match stmt {
        Stmt::If { cond, .. } => format!("`if {cond}`"),
        Stmt::For {
            var, start, end, ..
        } => format!("`for {var} in {start}..{end}`"),
        Stmt::While { cond, .. } => format!("`while {{ .. }} {cond}`"),
        other => format!("`{other:?}`"),
    }
}

impl Verifier<'_> {
    fn error(&mut self, msg: String) {
        self.errors.push(msg);
    }

    fn in_range(&self, v: ValueId) -> bool {
        v.index() < self.func.insts.len()
    }

    /// Table lengths and every id in range (the other checks index by them).
    fn tables(&mut self) {
        let f = self.func;
        let n = f.insts.len();
        for (what, len) in [
            ("spans", f.spans.len()),
            ("names", f.names.len()),
            ("tys", f.tys.len()),
        ] {
            if len != n {
                self.error(format!("{what} has {len} entries for {n} instructions"));
            }
        }
        for (i, inst) in f.insts.iter().enumerate() {
            let passive = match inst {
                Inst::Passive { index, .. } | Inst::ArrayRepeat { len: index, .. } => Some(*index),
                _ => None,
            };
            if let Some(k) = passive
                && k >= f.passive.len()
            {
                self.error(format!("%{i}: passive source {k} out of range"));
                continue;
            }
            if let Inst::Param(p) | Inst::ArrayParam(p) = inst
                && *p >= f.params.len()
            {
                self.error(format!("%{i}: parameter {p} out of range"));
            }
            for u in inst.uses(&f.passive) {
                if !self.in_range(u) {
                    self.error(format!("%{i}: operand {u} out of range"));
                }
            }
        }
        let mut stmt_errors = Vec::new();
        crate::analysis::walk(&f.body, &mut |s| {
            if let Stmt::Effect(k) = s
                && *k >= f.passive.len()
            {
                stmt_errors.push(format!("{}: passive source {k} out of range", head(s)));
                return;
            }
            let own = s.uses(f).into_iter().chain(s.defs());
            for u in own.filter(|u| u.index() >= n) {
                stmt_errors.push(format!("{}: value {u} out of range", head(s)));
            }
        });
        self.errors.extend(stmt_errors);
        let listed = f
            .outputs
            .iter()
            .map(|v| ("outputs", *v))
            .chain(f.hoisted.iter().map(|v| ("hoisted", *v)))
            .chain(
                f.adjoints
                    .iter()
                    .flat_map(|(a, b)| [("adjoints", *a), ("adjoints", *b)]),
            );
        for (what, v) in listed {
            if v.index() >= n {
                self.error(format!("{what}: value {v} out of range"));
            }
        }
    }

    /// Straight-line code: each instruction reads earlier ones only.
    fn straight(&mut self) {
        for (i, inst) in self.func.insts.iter().enumerate() {
            for u in inst.uses(&self.func.passive) {
                if u.index() >= i {
                    self.error(format!("%{i}: reads {u}, which is not defined before it"));
                }
            }
            self.inst_types(ValueId(i as u32));
        }
    }

    fn reached(&self, v: ValueId) -> bool {
        self.hoisted.contains(&v) || self.scopes.iter().any(|s| s.contains(&v))
    }

    /// Whether `stmt` reads `u` without reading its value, so that it may
    /// come before `u`'s definition: the array whose shape zeros take
    /// ([`Inst::ZeroLike`], [`Inst::OutputLike`]: codegen writes the zeros
    /// from the shape the IR gives, an adjoint declared ahead of a fused
    /// loop), and a constant bound of a tape buffer (codegen writes it as
    /// its constant expression, a buffer at the top of the body).
    fn static_read(&self, stmt: &Stmt, u: ValueId) -> bool {
        let Stmt::Def(v) = stmt else { return false };
        match self.func.inst(*v) {
            Inst::ZeroLike(a) | Inst::OutputLike(a) => *a == u,
            Inst::TapeBuf { .. } => crate::reverse::is_const_expr(self.func, u),
            _ => false,
        }
    }

    fn define(&mut self, v: ValueId) {
        self.scopes.last_mut().expect("a scope per block").insert(v);
    }

    fn check_reached(&mut self, stmt: &Stmt, v: ValueId, what: &str) {
        if !self.reached(v) {
            self.error(format!(
                "{}: {what} {v}, which no definition before it in its block or an enclosing one reaches, and which is not hoisted",
                head(stmt)
            ));
        }
    }

    /// Structured code: definitions reach reads, types, tape buffers, probes.
    fn block(&mut self, block: &[Stmt]) {
        for stmt in block {
            if !matches!(stmt, Stmt::While { .. }) {
                for u in stmt.uses(self.func) {
                    if !self.static_read(stmt, u) {
                        self.check_reached(stmt, u, "reads");
                    }
                }
            }
            match stmt {
                Stmt::Def(v) | Stmt::PopTuple(v) => {
                    self.stmt_types(stmt);
                    self.define(*v);
                    continue;
                }
                Stmt::For { .. } => {}
                other => {
                    if let Some(d) = other.defs() {
                        self.check_reached(stmt, d, "writes");
                    }
                }
            }
            self.stmt_types(stmt);
            match stmt {
                Stmt::If { then, els, .. } => {
                    for b in [then, els] {
                        self.scopes.push(HashSet::new());
                        self.block(b);
                        self.scopes.pop();
                    }
                }
                Stmt::For { var, body, .. } => {
                    self.scopes.push(HashSet::from([*var]));
                    self.block(body);
                    self.scopes.pop();
                }
                Stmt::While { head, cond, body } => {
                    self.scopes.push(HashSet::new());
                    self.block(head);
                    self.check_reached(stmt, *cond, "reads");
                    self.scopes.push(HashSet::new());
                    self.block(body);
                    self.scopes.pop();
                    self.scopes.pop();
                }
                Stmt::Probe(k) if self.view == View::Plain => {
                    self.error(format!("probe {k} outside the circuit view"));
                }
                _ => {}
            }
        }
    }

    fn expect_ty(&mut self, at: &str, v: ValueId, want: &[Ty]) {
        let ty = self.func.ty(v);
        if !want.contains(&ty) {
            self.error(format!("{at}: {v} is {ty:?}, expected {want:?}"));
        }
    }

    /// Operand types of the instruction defining `v`.
    fn inst_types(&mut self, v: ValueId) {
        let at = format!("{v}");
        let (fl, int, elem) = ([Ty::Float], [Ty::Int], [Ty::Float, Ty::Array]);
        match self.func.inst(v).clone() {
            Inst::Op { op, args } => {
                if args.len() != op.arity() {
                    self.error(format!(
                        "{at}: {} takes {} operands, has {}",
                        op.name(),
                        op.arity(),
                        args.len()
                    ));
                }
                for (k, a) in args.iter().enumerate() {
                    let want: &[Ty] = if op.int_args().contains(&k) {
                        &int
                    } else if op == Op::Detach {
                        &[Ty::Float, Ty::Array]
                    } else {
                        &fl
                    };
                    self.expect_ty(&at, *a, want);
                }
            }
            Inst::Copy(s) if self.func.ty(s) != self.func.ty(v) => {
                self.error(format!("{at}: a copy of {s} of another type"));
            }
            // Rows of a nested array are arrays.
            Inst::ArrayList(elems) => elems.iter().for_each(|e| self.expect_ty(&at, *e, &elem)),
            Inst::ArrayRepeat { elem: e, .. } => self.expect_ty(&at, e, &elem),
            Inst::Load { arr, index } => {
                self.expect_ty(&at, arr, &[Ty::Array]);
                index.iter().for_each(|i| self.expect_ty(&at, *i, &int));
            }
            Inst::TapeBuf { start, end, .. } => {
                self.expect_ty(&at, start, &int);
                self.expect_ty(&at, end, &int);
            }
            Inst::Call { args, .. } => {
                for a in &args {
                    a.prefix.iter().for_each(|i| self.expect_ty(&at, *i, &int));
                }
            }
            Inst::Proj { tuple, .. } => self.expect_ty(&at, tuple, &[Ty::Tuple]),
            _ => {}
        }
    }

    /// Operand types of one statement (its own values), and its tape buffer.
    fn stmt_types(&mut self, stmt: &Stmt) {
        let at = head(stmt);
        let (fl, int, bool, arr) = ([Ty::Float], [Ty::Int], [Ty::Bool], [Ty::Array]);
        match stmt {
            Stmt::Def(v) => self.inst_types(*v),
            Stmt::Assign { dst, src } if self.func.ty(*dst) != self.func.ty(*src) => {
                self.error(format!("{at}: assigns {src} to {dst} of another type"));
            }
            Stmt::AddAssign { dst, src } => {
                self.expect_ty(&at, *dst, &fl);
                self.expect_ty(&at, *src, &fl);
            }
            Stmt::Store {
                arr: a,
                index,
                value,
            }
            | Stmt::AddStore {
                arr: a,
                index,
                value,
            } => {
                self.expect_ty(&at, *a, &arr);
                index.iter().for_each(|i| self.expect_ty(&at, *i, &int));
                self.expect_ty(&at, *value, &fl);
            }
            Stmt::ClearStore { arr: a, index } => {
                self.expect_ty(&at, *a, &arr);
                index.iter().for_each(|i| self.expect_ty(&at, *i, &int));
            }
            Stmt::If { cond, .. } | Stmt::While { cond, .. } => self.expect_ty(&at, *cond, &bool),
            Stmt::For {
                var, start, end, ..
            } => {
                for v in [var, start, end] {
                    self.expect_ty(&at, *v, &int);
                }
            }
            Stmt::Clear(v) => self.expect_ty(&at, *v, &fl),
            Stmt::Count(v) => self.expect_ty(&at, *v, &int),
            Stmt::PushTuple(v) | Stmt::PopTuple(v) => self.expect_ty(&at, *v, &[Ty::Tuple]),
            Stmt::AddScaled {
                dst, prefix, scale, ..
            } => {
                self.expect_ty(&at, *dst, &arr);
                prefix.iter().for_each(|i| self.expect_ty(&at, *i, &int));
                self.expect_ty(&at, *scale, &fl);
            }
            Stmt::Reserve { start, end, .. }
            | Stmt::ZeroOutside {
                lo: start, hi: end, ..
            } => {
                self.expect_ty(&at, *start, &int);
                self.expect_ty(&at, *end, &int);
            }
            Stmt::Save {
                buf,
                var,
                slot,
                value,
            }
            | Stmt::Restore {
                buf,
                var,
                slot,
                value,
            } => {
                self.expect_ty(&at, *var, &int);
                match self.func.inst(*buf) {
                    Inst::TapeBuf { tape, slots, .. } => {
                        let (tape, slots) = (*tape, *slots);
                        if *slot >= slots {
                            self.error(format!("{at}: slot {slot} of {buf}, which has {slots}"));
                        }
                        let ty = self.func.ty(*value);
                        if !matches!(ty, Ty::Float | Ty::Int | Ty::Bool) || Tape::of(ty) != tape {
                            self.error(format!(
                                "{at}: {value} is {ty:?}, {buf} holds {} values",
                                tape.name()
                            ));
                        }
                    }
                    _ => self.error(format!("{at}: {buf} is not a tape buffer")),
                }
            }
            _ => {}
        }
    }
}
