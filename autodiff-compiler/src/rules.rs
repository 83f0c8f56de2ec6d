//! The reverse rules: the `vjp` column of the operations table
//! ([`crate::op::op_table!`]) compiled against the IR builder [`Emit`].
//!
//! This is the only place a derivative is computed. The reverse sweeps
//! (`reverse/`) call [`Op::vjp`] with the upstream gradient; the circuit view
//! (`graph.rs`) calls it with an upstream gradient of 1 to get each gate's
//! local partials. Nothing re-derives a rule elsewhere.

use crate::ir::{Func, Inst, ValueId, lit_inst};
use crate::op::{Op, op_table};
use proc_macro2::Span;

/// The reverse rule of one operation: given the builder, the upstream
/// gradient `adj`, the operands and the forward result, the contribution to
/// each operand's adjoint (`None` for a structural zero).
pub type Vjp = fn(&mut Emit, ValueId, &[ValueId], ValueId) -> [Option<ValueId>; 3];

/// Builds the instructions of a reverse rule inside a [`Func`].
pub struct Emit<'a> {
    pub func: &'a mut Func,
    pub span: Span,
}

impl Emit<'_> {
    pub fn op(&mut self, op: Op, args: &[ValueId]) -> ValueId {
        let inst = Inst::Op {
            op,
            args: args.to_vec(),
        };
        self.func.push(inst, self.span)
    }
    pub fn lit(&mut self, value: f64) -> ValueId {
        self.func.push(lit_inst(value), self.span)
    }
    pub fn add(&mut self, a: ValueId, b: ValueId) -> ValueId {
        self.op(Op::Add, &[a, b])
    }
    pub fn sub(&mut self, a: ValueId, b: ValueId) -> ValueId {
        self.op(Op::Sub, &[a, b])
    }
    pub fn mul(&mut self, a: ValueId, b: ValueId) -> ValueId {
        self.op(Op::Mul, &[a, b])
    }
    pub fn div(&mut self, a: ValueId, b: ValueId) -> ValueId {
        self.op(Op::Div, &[a, b])
    }
    pub fn neg(&mut self, a: ValueId) -> ValueId {
        self.op(Op::Neg, &[a])
    }
    /// `adj * k` for a literal `k`.
    pub fn scale(&mut self, a: ValueId, k: f64) -> ValueId {
        let k = self.lit(k);
        self.mul(a, k)
    }
    /// `1 - x * x`.
    pub fn one_minus_sq(&mut self, x: ValueId) -> ValueId {
        let one = self.lit(1.0);
        let sq = self.mul(x, x);
        self.sub(one, sq)
    }
}

const NONE: [Option<ValueId>; 3] = [None, None, None];

fn one(v: ValueId) -> [Option<ValueId>; 3] {
    [Some(v), None, None]
}

fn two(a: ValueId, b: ValueId) -> [Option<ValueId>; 3] {
    [Some(a), Some(b), None]
}

/// Expands the rows of the operations table into [`Op::vjp`].
macro_rules! define_vjps {
    ($(
        $op:ident {
            name: $name:literal, method: $method:expr, arity: $arity:literal,
            int_args: [$($int:literal),*],
            forward: $forward:expr,
            partials: $partials:literal,
            vjp: $vjp:expr $(,)?
        }
    )*) => {
        impl Op {
            /// The reverse rule of the operation (its row's `vjp`).
            pub fn vjp(self) -> Vjp {
                match self {
                    $(Op::$op => {
                        let rule: Vjp = $vjp;
                        rule
                    })*
                }
            }
        }
    };
}

op_table!(define_vjps);
