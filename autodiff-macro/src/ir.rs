//! The intermediate representation: plain data, no syn types.
//!
//! A [`Func`] is a flat list of instructions in SSA form: instruction `i`
//! defines the value `ValueId(i)`, and every operand refers to an earlier
//! instruction. Provenance lives in side tables indexed by value (`spans`,
//! `names`), as in rust-analyzer's HIR. The `Display` impl is the text form
//! that the snapshot tests compare:
//!
//! ```text
//! fn(x: f64, y: f64, z: f64) -> f64
//!   %0 = param 0 x
//!   %1 = param 1 y
//!   %2 = add %0, %1
//!   %3 = param 2 z
//!   %4 = mul %2, %3
//!   ret %4
//! ```

use crate::rules::Op;
use proc_macro2::{Span, TokenStream};
use std::fmt;

/// A value defined by one instruction of a [`Func`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ValueId(pub u32);

impl ValueId {
    /// The index of the instruction that defines this value.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

impl fmt::Display for ValueId {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "%{}", self.0)
    }
}

/// The float type a whole function computes in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Float {
    F32,
    F64,
}

impl Float {
    /// The Rust name of the type.
    pub fn name(self) -> &'static str {
        match self {
            Float::F32 => "f32",
            Float::F64 => "f64",
        }
    }
}

/// The type of a value: floats carry gradients, integers and booleans do not.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ty {
    Float,
    Int,
}

/// One instruction; it defines one value.
#[derive(Clone, Debug, PartialEq)]
pub enum Inst {
    /// The float parameter with this index in the signature.
    Param(usize),
    /// A float literal: `text` is its digits without suffix, `value` its value.
    Lit { text: String, value: f64 },
    /// A float constant in scope, named by a path (`PI`, `std::f64::consts::E`).
    Extern(Vec<String>),
    /// A constant expression with no gradient (an integer parameter, `n as f64`):
    /// its Rust source is `Func::passive[index]`.
    Passive { index: usize, ty: Ty },
    /// An operation of the rules table on earlier values.
    Op { op: Op, args: Vec<ValueId> },
}

impl Inst {
    /// The literal value, if this is a literal.
    pub fn lit(&self) -> Option<f64> {
        match self {
            Inst::Lit { value, .. } => Some(*value),
            _ => None,
        }
    }

    /// The values this instruction reads.
    pub fn operands(&self) -> &[ValueId] {
        match self {
            Inst::Op { args, .. } => args,
            _ => &[],
        }
    }
}

/// A parameter of the signature, as the IR sees it.
#[derive(Clone, Debug, PartialEq)]
pub struct Param {
    pub name: String,
    pub ty: Ty,
    /// Whether `f_grad` returns a gradient for it.
    pub wrt: bool,
}

/// A function in IR form.
#[derive(Clone, Debug)]
pub struct Func {
    pub float: Float,
    pub params: Vec<Param>,
    pub insts: Vec<Inst>,
    /// Source span of each value (parallel to `insts`).
    pub spans: Vec<Span>,
    /// User-facing name of each value, when it was bound to a variable.
    pub names: Vec<Option<String>>,
    /// Source of each passive (constant, non-differentiated) expression.
    pub passive: Vec<TokenStream>,
    /// What the function returns: the value, then (after `reverse`) one
    /// gradient per differentiated parameter.
    pub outputs: Vec<ValueId>,
}

impl Func {
    /// An empty function with the given signature.
    pub fn new(float: Float, params: Vec<Param>) -> Self {
        Func {
            float,
            params,
            insts: Vec::new(),
            spans: Vec::new(),
            names: Vec::new(),
            passive: Vec::new(),
            outputs: Vec::new(),
        }
    }

    /// Appends an instruction and returns the value it defines.
    pub fn push(&mut self, inst: Inst, span: Span) -> ValueId {
        let id = ValueId(self.insts.len() as u32);
        self.insts.push(inst);
        self.spans.push(span);
        self.names.push(None);
        id
    }

    /// Appends a float literal.
    pub fn lit(&mut self, value: f64, span: Span) -> ValueId {
        self.push(lit_inst(value), span)
    }

    /// The instruction defining `v`.
    pub fn inst(&self, v: ValueId) -> &Inst {
        &self.insts[v.index()]
    }

    /// The type of `v`.
    pub fn ty(&self, v: ValueId) -> Ty {
        match self.inst(v) {
            Inst::Passive { ty, .. } => *ty,
            _ => Ty::Float,
        }
    }

    /// The span of `v`.
    pub fn span(&self, v: ValueId) -> Span {
        self.spans[v.index()]
    }
}

/// A literal instruction for `value`, printed so that it reads back exactly.
pub fn lit_inst(value: f64) -> Inst {
    Inst::Lit {
        text: format!("{value:?}"),
        value,
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
                Ty::Int => "const",
            };
            let wrt = if p.wrt || p.ty != Ty::Float {
                ""
            } else {
                " nograd"
            };
            write!(f, "{}: {ty}{wrt}", p.name)?;
        }
        writeln!(f, ") -> {float}")?;
        for (i, inst) in self.insts.iter().enumerate() {
            write!(f, "  %{i} = ")?;
            match inst {
                Inst::Param(index) => write!(f, "param {index} {}", self.params[*index].name)?,
                Inst::Lit { text, .. } => write!(f, "lit {text}")?,
                Inst::Extern(path) => write!(f, "extern {}", path.join("::"))?,
                Inst::Passive { index, ty } => {
                    let ty = match ty {
                        Ty::Float => float,
                        Ty::Int => "int",
                    };
                    write!(f, "passive {ty} `{}`", self.passive[*index])?
                }
                Inst::Op { op, args } => {
                    write!(f, "{}", op.name())?;
                    for (j, a) in args.iter().enumerate() {
                        let sep = if j == 0 { " " } else { ", " };
                        write!(f, "{sep}{a}")?;
                    }
                }
            }
            if let (Some(name), false) = (&self.names[i], matches!(inst, Inst::Param(_))) {
                write!(f, "  // {name}")?;
            }
            writeln!(f)?;
        }
        write!(f, "  ret")?;
        for (j, v) in self.outputs.iter().enumerate() {
            let sep = if j == 0 { " " } else { ", " };
            write!(f, "{sep}{v}")?;
        }
        writeln!(f)
    }
}
