//! The one expression printer: a value of the IR written back as an
//! expression of the inputs, with as few parentheses as the precedence table
//! ([`Op::prec`]) allows.
//!
//! Two styles share it:
//!
//! - [`formula`]: the symbolic derivative in the docs of `f_grad`
//!   (`∂f/∂z = x + y`); every value is inlined, and a formula longer than
//!   [`MAX_LEN`] characters is not shown. The budget is checked as the
//!   formula is built (every node visited adds at least one character), so
//!   printing is linear in [`MAX_LEN`] however much the expression shares.
//! - [`label`]: the label of a gate in the circuit view; a value bound to a
//!   variable is called by its name, and nesting stops at depth 2 (`…`).

use crate::ir::{Func, Inst, ValueId};
use crate::op::{Op, Prec};

/// The longest formula shown in the docs.
pub const MAX_LEN: usize = 240;

/// The formula of `v` in `func`, or `None` if it is too long to show.
pub fn formula(func: &Func, v: ValueId) -> Option<String> {
    let mut p = Printer {
        func,
        style: Style::Formula,
        visits: 0,
    };
    let (text, _) = p.render(v, 0)?;
    (text.chars().count() <= MAX_LEN).then_some(text)
}

/// The label of a gate: its variable's name, or its expression.
pub fn label(func: &Func, v: ValueId) -> String {
    let mut p = Printer {
        func,
        style: Style::Label,
        visits: 0,
    };
    p.render(v, 0).map_or_else(|| "…".into(), |(text, _)| text)
}

#[derive(Clone, Copy, PartialEq)]
enum Style {
    Formula,
    Label,
}

struct Printer<'a> {
    func: &'a Func,
    style: Style,
    /// Nodes visited so far (the formula's budget).
    visits: usize,
}

/// The weakest operand an infix or prefix operator takes without
/// parentheses, left and right: `a - (b + c)`, `a / (b * c)`.
fn operand_prec(op: Op) -> (Prec, Prec) {
    match op {
        Op::Add => (Prec::Sum, Prec::Sum),
        Op::Sub => (Prec::Sum, Prec::Product),
        Op::Mul => (Prec::Product, Prec::Product),
        Op::Div => (Prec::Product, Prec::Unary),
        _ => (Prec::Unary, Prec::Unary),
    }
}

impl Printer<'_> {
    fn render(&mut self, v: ValueId, depth: usize) -> Option<(String, Prec)> {
        let func = self.func;
        if self.style == Style::Label {
            if let Some(name) = &func.names[v.index()] {
                return Some((name.clone(), Prec::Atom));
            }
            if depth > 2 {
                return Some(("…".into(), Prec::Atom));
            }
        }
        self.visits += 1;
        if self.style == Style::Formula && (self.visits > MAX_LEN || depth > 64) {
            return None;
        }
        Some(match func.inst(v) {
            Inst::Param(p) => (func.params[*p].name.clone(), Prec::Atom),
            Inst::Lit { value, .. } => {
                let prec = if *value < 0.0 {
                    Prec::Unary
                } else {
                    Prec::Atom
                };
                (format!("{value}"), prec)
            }
            Inst::Extern(path) => (path.join("::"), Prec::Atom),
            Inst::Passive { index, .. } => match self.style {
                Style::Formula => (format!("({})", func.passive_text(*index)), Prec::Atom),
                Style::Label => (func.passive_text(*index), Prec::Atom),
            },
            Inst::Op { op, args } => self.op(*op, args, depth)?,
            Inst::Proj { tuple, index } => {
                let Inst::Call { callee, args, .. } = func.inst(*tuple) else {
                    return None;
                };
                let args = self.list(args.iter().map(|a| a.value), depth)?;
                if *index == 0 {
                    (format!("{callee}({args})"), Prec::Atom)
                } else {
                    (format!("∂{callee}/∂arg{index}({args})"), Prec::Atom)
                }
            }
            Inst::Load { arr, .. } if self.style == Style::Label => (
                format!("{}[…]", self.render(*arr, depth + 1)?.0),
                Prec::Atom,
            ),
            _ => match self.style {
                Style::Formula => return None,
                Style::Label => ("…".into(), Prec::Atom),
            },
        })
    }

    /// An operand at least as strong as `min`, parenthesized if weaker.
    fn operand(&mut self, v: ValueId, min: Prec, depth: usize) -> Option<String> {
        let (t, p) = self.render(v, depth + 1)?;
        Some(if p < min { format!("({t})") } else { t })
    }

    fn sub(&mut self, v: ValueId, depth: usize) -> Option<String> {
        Some(self.render(v, depth + 1)?.0)
    }

    fn list(&mut self, vs: impl Iterator<Item = ValueId>, depth: usize) -> Option<String> {
        let mut out = Vec::new();
        for v in vs {
            out.push(self.sub(v, depth)?);
        }
        Some(out.join(", "))
    }

    fn op(&mut self, op: Op, a: &[ValueId], depth: usize) -> Option<(String, Prec)> {
        use crate::op::Forward;
        let (left, right) = operand_prec(op);
        Some(match (op, op.forward()) {
            (_, Forward::Infix(o)) => (
                format!(
                    "{} {o} {}",
                    self.operand(a[0], left, depth)?,
                    self.operand(a[1], right, depth)?
                ),
                op.prec(),
            ),
            (_, Forward::Prefix(o)) => (
                format!("{o}{}", self.operand(a[0], right, depth)?),
                op.prec(),
            ),
            (Op::Powi | Op::Powf, _) => (
                format!(
                    "{}^{}",
                    self.operand(a[0], Prec::Atom, depth)?,
                    self.operand(a[1], Prec::Atom, depth)?
                ),
                Prec::Atom,
            ),
            (Op::MaxWeight | Op::ClampWeightHi, _) => (
                format!("[{} > {}]", self.sub(a[0], depth)?, self.sub(a[1], depth)?),
                Prec::Atom,
            ),
            (Op::MinWeight | Op::ClampWeightLo, _) => (
                format!("[{} < {}]", self.sub(a[0], depth)?, self.sub(a[1], depth)?),
                Prec::Atom,
            ),
            (Op::ClampWeightX, _) => (
                format!(
                    "[{} < {} < {}]",
                    self.sub(a[1], depth)?,
                    self.sub(a[0], depth)?,
                    self.sub(a[2], depth)?
                ),
                Prec::Atom,
            ),
            (Op::Sign0, _) => (format!("sign({})", self.sub(a[0], depth)?), Prec::Atom),
            (Op::PowiDeriv | Op::PowfDerivX, _) => (
                format!(
                    "{} * {}^({} - 1)",
                    self.operand(a[1], Prec::Product, depth)?,
                    self.operand(a[0], Prec::Atom, depth)?,
                    self.sub(a[1], depth)?
                ),
                Prec::Product,
            ),
            (Op::PowiDeriv2, _) => (
                format!(
                    "{} * ({} - 1) * {}^({} - 2)",
                    self.operand(a[1], Prec::Product, depth)?,
                    self.sub(a[1], depth)?,
                    self.operand(a[0], Prec::Atom, depth)?,
                    self.sub(a[1], depth)?
                ),
                Prec::Product,
            ),
            (Op::PowfDerivY, _) => (
                format!(
                    "{} * ln({})",
                    self.operand(a[2], Prec::Product, depth)?,
                    self.sub(a[0], depth)?
                ),
                Prec::Product,
            ),
            (Op::DivOrZero, _) => (
                format!(
                    "{} / {}",
                    self.operand(a[0], Prec::Product, depth)?,
                    self.operand(a[1], Prec::Unary, depth)?
                ),
                Prec::Product,
            ),
            _ => (
                format!("{}({})", op.name(), self.list(a.iter().copied(), depth)?),
                Prec::Atom,
            ),
        })
    }
}
