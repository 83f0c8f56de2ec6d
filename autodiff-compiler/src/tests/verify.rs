//! The IR verifier (`ir/verify.rs`): valid functions pass, and each kind of
//! broken invariant, made by hand in a valid function, is reported.

use super::{gradient, lowered};
use crate::ir::{Func, Inst, Stmt, Ty, ValueId, View, verify};

/// Straight-line code.
const STRAIGHT: &str = "fn f(x: f64, y: f64) -> f64 { let q = x + y; q * y }";
/// A branch that defines a value of its own.
const BRANCH: &str =
    "fn f(x: f64) -> f64 { let mut y = x; if x > 0.0 { let t = x * 2.0; y = t; } y }";
/// A loop whose reverse sweep restores from a tape buffer.
const LOOP: &str = "fn f(c: [f64; 3], x: f64) -> f64 { let mut acc = 0.0; for i in 0..3 { acc = acc * x + c[i]; } acc }";

/// The errors of `func`, which must have some; each must mention `what`.
fn errors(func: &Func, view: View, what: &str) -> Vec<String> {
    let errors = verify(func, view).expect_err("the verifier reports the broken invariant");
    assert!(
        errors.iter().any(|e| e.contains(what)),
        "no error mentions {what:?}: {errors:#?}"
    );
    errors
}

/// The first statement (nested ones included) that `pick` selects, mutably.
fn find_mut<'a>(block: &'a mut [Stmt], pick: &impl Fn(&Stmt) -> bool) -> Option<&'a mut Stmt> {
    for stmt in block {
        if pick(stmt) {
            return Some(stmt);
        }
        let found = match stmt {
            Stmt::If { then, els, .. } => find_mut(then, pick).or_else(|| find_mut(els, pick)),
            Stmt::For { body, .. } => find_mut(body, pick),
            Stmt::While { head, body, .. } => find_mut(head, pick).or_else(|| find_mut(body, pick)),
            _ => None,
        };
        if found.is_some() {
            return found;
        }
    }
    None
}

#[test]
fn valid_functions_verify() {
    for src in [STRAIGHT, BRANCH, LOOP] {
        let f = lowered(src);
        assert_eq!(verify(&f, View::Plain), Ok(()), "{src}");
        assert_eq!(verify(&gradient(&f), View::Plain), Ok(()), "{src}");
    }
}

#[test]
fn reports_a_table_of_the_wrong_length() {
    let mut f = lowered(STRAIGHT);
    f.tys.pop();
    errors(&f, View::Plain, "tys has");
}

#[test]
fn reports_an_id_out_of_range() {
    let mut f = lowered(STRAIGHT);
    f.outputs[0] = ValueId(f.insts.len() as u32 + 7);
    errors(&f, View::Plain, "out of range");
    let mut f = lowered(BRANCH);
    let n = f.insts.len() as u32;
    let assign = find_mut(&mut f.body, &|s| matches!(s, Stmt::Assign { .. })).expect("y = t");
    assign.map_values(&mut |_| ValueId(n));
    errors(&f, View::Plain, "out of range");
}

#[test]
fn reports_a_use_before_its_definition_in_straight_line_code() {
    let mut f = lowered(STRAIGHT);
    let last = ValueId(f.insts.len() as u32 - 1);
    let Some(Inst::Op { args, .. }) = f.insts.iter_mut().find(|i| matches!(i, Inst::Op { .. }))
    else {
        panic!("an operation")
    };
    args[0] = last;
    errors(&f, View::Plain, "not defined before it");
}

#[test]
fn reports_a_read_after_its_definition_in_the_same_block() {
    // `y = t` moved before `t = x * 2.0` in the branch.
    let mut f = lowered(BRANCH);
    let Some(Stmt::If { then, .. }) = f.body.iter_mut().find(|s| matches!(s, Stmt::If { .. }))
    else {
        panic!("a branch")
    };
    let at = then
        .iter()
        .position(|s| matches!(s, Stmt::Assign { .. }))
        .expect("y = t");
    let assign = then.remove(at);
    then.insert(0, assign);
    errors(&f, View::Plain, "no definition before it");
}

#[test]
fn reports_a_read_of_a_value_of_another_block() {
    // `y = t` after the branch, which alone defines `t`.
    let mut f = lowered(BRANCH);
    let t = {
        let assign = find_mut(&mut f.body, &|s| matches!(s, Stmt::Assign { .. })).expect("y = t");
        let Stmt::Assign { src, .. } = assign else {
            unreachable!()
        };
        *src
    };
    let y = f.outputs[0];
    let at = f.body.len() - 1;
    f.body.insert(at, Stmt::Assign { dst: y, src: t });
    errors(&f, View::Plain, &format!("reads {t}"));
    // Declared at the top instead, it is reached.
    f.hoisted.push(t);
    assert_eq!(verify(&f, View::Plain), Ok(()));
}

#[test]
fn reports_an_operand_of_the_wrong_type() {
    // The branch's condition (a bool) as the operand of a multiplication.
    let mut f = lowered(BRANCH);
    let cond = match f.body.iter().find(|s| matches!(s, Stmt::If { .. })) {
        Some(Stmt::If { cond, .. }) => *cond,
        _ => panic!("a branch"),
    };
    assert_eq!(f.ty(cond), Ty::Bool);
    let Some(Inst::Op { args, .. }) = f.insts.iter_mut().find(|i| matches!(i, Inst::Op { .. }))
    else {
        panic!("an operation")
    };
    args[0] = cond;
    errors(&f, View::Plain, "is Bool, expected [Float]");
    // And a float as the condition.
    let mut f = lowered(BRANCH);
    let x = ValueId(0);
    if let Some(Stmt::If { cond, .. }) = f.body.iter_mut().find(|s| matches!(s, Stmt::If { .. })) {
        *cond = x;
    }
    errors(&f, View::Plain, "is Float, expected [Bool]");
}

#[test]
fn reports_a_save_to_a_value_that_is_not_a_tape_buffer() {
    let mut g = gradient(&lowered(LOOP));
    let not_a_buffer = ValueId(0);
    let save = find_mut(&mut g.body, &|s| matches!(s, Stmt::Save { .. }))
        .expect("the loop saves `acc` to a tape buffer");
    let Stmt::Save { buf, .. } = save else {
        unreachable!()
    };
    *buf = not_a_buffer;
    errors(&g, View::Plain, "is not a tape buffer");
}

#[test]
fn reports_a_probe_outside_the_circuit_view() {
    let mut f = lowered(BRANCH);
    f.body.insert(0, Stmt::Probe(0));
    errors(&f, View::Plain, "probe 0 outside the circuit view");
    assert_eq!(verify(&f, View::Circuit), Ok(()));
    assert_eq!(View::of(&f), View::Circuit);
}
