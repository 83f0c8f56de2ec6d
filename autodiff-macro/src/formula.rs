//! The symbolic derivative: a gradient of straight-line code, after
//! simplification, written out as a formula of the inputs for the docs of
//! `f_grad` (`∂f/∂z = x + y`).
//!
//! Each value is inlined into the expressions that use it, with as few
//! parentheses as the precedence of the operators allows. Formulas that grow
//! past [`MAX_LEN`] characters (long chains of shared subexpressions) are not
//! shown.

use crate::ir::{Func, Inst, ValueId};
use crate::rules::Op;

/// The longest formula shown in the docs.
pub const MAX_LEN: usize = 240;

/// Binding strength: sums bind least, atoms most.
#[derive(Clone, Copy, PartialEq, PartialOrd)]
enum Prec {
    Sum,
    Product,
    Unary,
    Atom,
}

/// The formula of `v` in `func`, or `None` if it is too long to show.
pub fn formula(func: &Func, v: ValueId) -> Option<String> {
    let (text, _) = render(func, v, 0)?;
    (text.len() <= MAX_LEN).then_some(text)
}

fn render(func: &Func, v: ValueId, depth: usize) -> Option<(String, Prec)> {
    if depth > 64 {
        return None;
    }
    let sub = |w: ValueId| render(func, w, depth + 1);
    // An operand at least as strong as `min`, parenthesized if weaker.
    let operand = |w: ValueId, min: Prec| -> Option<String> {
        let (t, p) = render(func, w, depth + 1)?;
        Some(if p < min { format!("({t})") } else { t })
    };
    let call = |name: &str, args: &[ValueId]| -> Option<(String, Prec)> {
        let args: Option<Vec<String>> = args.iter().map(|a| sub(*a).map(|x| x.0)).collect();
        Some((format!("{name}({})", args?.join(", ")), Prec::Atom))
    };
    let out = match func.inst(v) {
        Inst::Param(p) => (func.params[*p].name.clone(), Prec::Atom),
        Inst::Lit { value, .. } => {
            let text = format!("{value}");
            let prec = if *value < 0.0 {
                Prec::Unary
            } else {
                Prec::Atom
            };
            (text, prec)
        }
        Inst::Extern(path) => (path.join("::"), Prec::Atom),
        Inst::Passive { index, .. } => (format!("({})", func.passive_text(*index)), Prec::Atom),
        Inst::Op { op, args } => {
            let a = args.as_slice();
            match op {
                Op::Add => (
                    format!(
                        "{} + {}",
                        operand(a[0], Prec::Sum)?,
                        operand(a[1], Prec::Sum)?
                    ),
                    Prec::Sum,
                ),
                Op::Sub => (
                    format!(
                        "{} - {}",
                        operand(a[0], Prec::Sum)?,
                        operand(a[1], Prec::Product)?
                    ),
                    Prec::Sum,
                ),
                Op::Mul => (
                    format!(
                        "{} * {}",
                        operand(a[0], Prec::Product)?,
                        operand(a[1], Prec::Product)?
                    ),
                    Prec::Product,
                ),
                Op::Div => (
                    format!(
                        "{} / {}",
                        operand(a[0], Prec::Product)?,
                        operand(a[1], Prec::Unary)?
                    ),
                    Prec::Product,
                ),
                Op::Neg => (format!("-{}", operand(a[0], Prec::Unary)?), Prec::Unary),
                Op::MaxWeight => (format!("[{} > {}]", sub(a[0])?.0, sub(a[1])?.0), Prec::Atom),
                Op::MinWeight => (format!("[{} < {}]", sub(a[0])?.0, sub(a[1])?.0), Prec::Atom),
                Op::ClampWeightX => (
                    format!("[{} < {} < {}]", sub(a[1])?.0, sub(a[0])?.0, sub(a[2])?.0),
                    Prec::Atom,
                ),
                Op::ClampWeightLo => (format!("[{} < {}]", sub(a[0])?.0, sub(a[1])?.0), Prec::Atom),
                Op::ClampWeightHi => (format!("[{} > {}]", sub(a[0])?.0, sub(a[1])?.0), Prec::Atom),
                Op::Sign0 => call("sign", a)?,
                Op::PowiDeriv => (
                    format!(
                        "{} * {}^({} - 1)",
                        operand(a[1], Prec::Product)?,
                        operand(a[0], Prec::Atom)?,
                        sub(a[1])?.0
                    ),
                    Prec::Product,
                ),
                Op::PowfDerivX => (
                    format!(
                        "{} * {}^({} - 1)",
                        operand(a[1], Prec::Product)?,
                        operand(a[0], Prec::Atom)?,
                        sub(a[1])?.0
                    ),
                    Prec::Product,
                ),
                Op::PowfDerivY => (
                    format!("{} * ln({})", operand(a[2], Prec::Product)?, sub(a[0])?.0),
                    Prec::Product,
                ),
                Op::DivOrZero => (
                    format!(
                        "{} / {}",
                        operand(a[0], Prec::Product)?,
                        operand(a[1], Prec::Unary)?
                    ),
                    Prec::Product,
                ),
                Op::Powi => (
                    format!(
                        "{}^{}",
                        operand(a[0], Prec::Atom)?,
                        operand(a[1], Prec::Atom)?
                    ),
                    Prec::Atom,
                ),
                Op::Powf => (
                    format!(
                        "{}^{}",
                        operand(a[0], Prec::Atom)?,
                        operand(a[1], Prec::Atom)?
                    ),
                    Prec::Atom,
                ),
                other => call(other.name(), a)?,
            }
        }
        Inst::Proj { tuple, index } => match func.inst(*tuple) {
            Inst::Call { callee, args, .. } => {
                let name = match callee {
                    crate::ir::Callee::Path(p) => p.join("::"),
                    crate::ir::Callee::Method(m) => format!("self.{m}"),
                };
                let args: Option<Vec<String>> =
                    args.iter().map(|a| sub(a.value).map(|x| x.0)).collect();
                let args = args?.join(", ");
                if *index == 0 {
                    (format!("{name}({args})"), Prec::Atom)
                } else {
                    (format!("∂{name}/∂arg{index}({args})"), Prec::Atom)
                }
            }
            _ => return None,
        },
        _ => return None,
    };
    Some(out)
}
