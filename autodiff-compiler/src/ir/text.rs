//! The text form of the IR (`impl Display for Func`), which the snapshot
//! tests compare, and the text of passive pieces.

use super::{Float, Func, Inst, Piece, Stmt, Ty, ValueId};
use std::fmt;

/// The text of passive pieces, with IR values as `%n`.
pub fn pieces_text(pieces: &[Piece]) -> String {
    let mut out = String::new();
    for piece in pieces {
        match piece {
            Piece::Tokens(t) => out.push_str(&t.to_string()),
            Piece::Value(v) => out.push_str(&v.to_string()),
            Piece::Paren(inner) => out.push_str(&format!("({})", pieces_text(inner))),
            Piece::Bracket(inner) => out.push_str(&format!("[{}]", pieces_text(inner))),
        }
    }
    out
}

impl Ty {
    fn name(self, float: Float) -> &'static str {
        match self {
            Ty::Float => float.name(),
            Ty::Int => "int",
            Ty::Bool => "bool",
            Ty::Array => "array",
            Ty::Tuple => "tuple",
        }
    }
}

impl Func {
    /// The source text of a passive expression, with IR values as `%n`.
    pub fn passive_text(&self, index: usize) -> String {
        pieces_text(&self.passive[index])
    }

    fn fmt_inst(&self, f: &mut fmt::Formatter, indent: usize, i: usize) -> fmt::Result {
        let pad = "  ".repeat(indent);
        write!(f, "{pad}%{i} = ")?;
        let list = |f: &mut fmt::Formatter, args: &[ValueId]| -> fmt::Result {
            for (j, a) in args.iter().enumerate() {
                let sep = if j == 0 { " " } else { ", " };
                write!(f, "{sep}{a}")?;
            }
            Ok(())
        };
        let inst = &self.insts[i];
        match inst {
            Inst::Param(index) => write!(f, "param {index} {}", self.params[*index].name)?,
            Inst::ArrayParam(index) => {
                write!(f, "array param {index} {}", self.params[*index].name)?
            }
            Inst::Lit { text, .. } => write!(f, "lit {text}")?,
            Inst::Extern(path) => write!(f, "extern {}", path.join("::"))?,
            Inst::Passive { index, ty } => write!(
                f,
                "passive {} `{}`",
                ty.name(self.float),
                self.passive_text(*index)
            )?,
            Inst::Op { op, args } => {
                write!(f, "{}", op.name())?;
                list(f, args)?;
            }
            Inst::Copy(v) => write!(f, "copy {v}")?,
            Inst::ArrayRepeat { elem, len } => {
                write!(f, "array [{elem}; {}]", pieces_text(&self.passive[*len]))?
            }
            Inst::ZeroLike(v) => write!(f, "zeros like {v}")?,
            Inst::OutputLike(v) => write!(f, "output like {v}")?,
            Inst::TapeBuf {
                tape,
                start,
                end,
                slots,
            } => write!(f, "tape {} [({end} - {start}) * {slots}]", tape.name())?,
            Inst::Call { callee, args, kind } => {
                write!(f, "call {callee}{}(", kind.suffix())?;
                for (j, a) in args.iter().enumerate() {
                    if j > 0 {
                        write!(f, ", ")?;
                    }
                    let amp = if a.by_ref { "&" } else { "" };
                    write!(f, "{amp}{}", a.value)?;
                    for ix in &a.prefix {
                        write!(f, "[{ix}]")?;
                    }
                }
                write!(f, ")")?;
            }
            Inst::Proj { tuple, index } => write!(f, "{tuple}.{index}")?,
            Inst::ArrayList(args) => {
                write!(f, "array")?;
                list(f, args)?;
            }
            Inst::Load { arr, index } => {
                write!(f, "load {arr}")?;
                for ix in index {
                    write!(f, "[{ix}]")?;
                }
            }
            Inst::Zero => write!(f, "zero")?,
            Inst::NegZero => write!(f, "-0.0")?,
        }
        if let (Some(name), false) = (&self.names[i], matches!(inst, Inst::Param(_))) {
            write!(f, "  // {name}")?;
        }
        writeln!(f)
    }

    fn fmt_block(&self, f: &mut fmt::Formatter, indent: usize, block: &[Stmt]) -> fmt::Result {
        let pad = "  ".repeat(indent);
        for stmt in block {
            match stmt {
                Stmt::Def(v) => self.fmt_inst(f, indent, v.index())?,
                Stmt::Assign { dst, src } => writeln!(f, "{pad}{dst} := {src}")?,
                Stmt::Store { arr, index, value } => {
                    write!(f, "{pad}store {arr}")?;
                    for ix in index {
                        write!(f, "[{ix}]")?;
                    }
                    writeln!(f, " = {value}")?;
                }
                Stmt::If { cond, then, els } => {
                    writeln!(f, "{pad}if {cond} {{")?;
                    self.fmt_block(f, indent + 1, then)?;
                    if !els.is_empty() {
                        writeln!(f, "{pad}}} else {{")?;
                        self.fmt_block(f, indent + 1, els)?;
                    }
                    writeln!(f, "{pad}}}")?;
                }
                Stmt::For {
                    var,
                    start,
                    end,
                    rev,
                    body,
                } => {
                    let rev = if *rev { " rev" } else { "" };
                    writeln!(f, "{pad}for {var} in {start}..{end}{rev} {{")?;
                    self.fmt_block(f, indent + 1, body)?;
                    writeln!(f, "{pad}}}")?;
                }
                Stmt::While { head, cond, body } => {
                    writeln!(f, "{pad}while {{")?;
                    self.fmt_block(f, indent + 1, head)?;
                    writeln!(f, "{pad}}} {cond} {{")?;
                    self.fmt_block(f, indent + 1, body)?;
                    writeln!(f, "{pad}}}")?;
                }
                Stmt::AddAssign { dst, src } => writeln!(f, "{pad}{dst} += {src}")?,
                Stmt::AddStore { arr, index, value } => {
                    write!(f, "{pad}{arr}")?;
                    for ix in index {
                        write!(f, "[{ix}]")?;
                    }
                    writeln!(f, " += {value}")?;
                }
                Stmt::Clear(v) => writeln!(f, "{pad}{v} := -0.0")?,
                Stmt::ClearStore { arr, index } => {
                    write!(f, "{pad}{arr}")?;
                    for ix in index {
                        write!(f, "[{ix}]")?;
                    }
                    writeln!(f, " := -0.0")?;
                }
                Stmt::Push(v) => writeln!(f, "{pad}push {v}")?,
                Stmt::Pop(v) => writeln!(f, "{pad}pop {v}")?,
                Stmt::Count(v) => writeln!(f, "{pad}{v} += 1")?,
                Stmt::AddScaled {
                    dst,
                    prefix,
                    scale,
                    src,
                } => {
                    write!(f, "{pad}{dst}")?;
                    for ix in prefix {
                        write!(f, "[{ix}]")?;
                    }
                    writeln!(f, " += {scale} * {src}")?;
                }
                Stmt::PushTuple(v) => writeln!(f, "{pad}push tuple {v}")?,
                Stmt::Probe(k) => writeln!(f, "{pad}probe {k}")?,
                Stmt::Effect(k) => writeln!(f, "{pad}effect `{}`", pieces_text(&self.passive[*k]))?,
                Stmt::PopTuple(v) => writeln!(f, "{pad}pop tuple {v}")?,
                Stmt::Reserve {
                    start,
                    end,
                    per_trip,
                } => {
                    write!(f, "{pad}reserve ({end} - {start}) *")?;
                    for (tape, n) in per_trip {
                        write!(f, " {n} {}", tape.name())?;
                    }
                    writeln!(f)?
                }
                Stmt::Save {
                    buf,
                    var,
                    slot,
                    value,
                } => writeln!(f, "{pad}save {value} to {buf}[{var}, {slot}]")?,
                Stmt::Restore {
                    buf,
                    var,
                    slot,
                    value,
                } => writeln!(f, "{pad}restore {value} from {buf}[{var}, {slot}]")?,
                Stmt::ZeroOutside { arr, lo, hi } => {
                    writeln!(f, "{pad}{arr} := 0 outside {lo}..{hi}")?
                }
            }
        }
        Ok(())
    }
}

impl fmt::Display for Func {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        let float = self.float.name();
        write!(f, "fn(")?;
        for (i, p) in self.params.iter().enumerate() {
            if i > 0 {
                write!(f, ", ")?;
            }
            let ty = match p.ty {
                Ty::Float => float,
                Ty::Array => "array",
                _ => "const",
            };
            let differentiable = matches!(p.ty, Ty::Float | Ty::Array);
            let wrt = if p.wrt || !differentiable {
                ""
            } else {
                " nograd"
            };
            write!(f, "{}: {ty}{wrt}", p.name)?;
        }
        writeln!(f, ") -> {float}")?;
        if self.is_straight_line() {
            for i in 0..self.insts.len() {
                self.fmt_inst(f, 1, i)?;
            }
        } else {
            self.fmt_block(f, 1, &self.body)?;
        }
        write!(f, "  ret")?;
        for (j, v) in self.outputs.iter().enumerate() {
            let sep = if j == 0 { " " } else { ", " };
            write!(f, "{sep}{v}")?;
        }
        writeln!(f)
    }
}
