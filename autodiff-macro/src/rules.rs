//! The rules table: every operation's name, how Rust spells it, how codegen
//! writes its forward form, and its local derivatives.
//!
//! This is the only place a derivative is written. [`Op::rule`] is the table;
//! `reverse` reads `vjp`, `codegen` reads `forward`, `simplify` reads `fold`,
//! the docs read `partials`. The first three rows are the gates of the
//! backpropagation lecture: **add** distributes the upstream gradient, **mul**
//! swaps the inputs, **max** routes the gradient to the larger input (ties
//! split evenly, DESIGN.md §2.8).
//!
//! A rule's `vjp` gets the upstream gradient `adj`, the operands `a` and the
//! forward result `out`, and returns each operand's contribution (`None` for a
//! structural zero). Writing the contribution rather than the bare partial
//! lets a rule divide instead of multiplying by a reciprocal; the local partial
//! itself is the contribution for `adj = 1`, which is how the formula in the
//! docs is produced.

use crate::ir::{Func, Inst, ValueId, lit_inst};
use proc_macro2::{Span, TokenStream};
use quote::quote;

/// An operation of the IR.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Op {
    // The lecture's gates.
    Add,
    Mul,
    Max,
    // Arithmetic.
    Sub,
    Div,
    Neg,
    Min,
    // Elementary functions (methods of f32/f64).
    Exp,
    Exp2,
    ExpM1,
    Ln,
    Ln1p,
    Log,
    Log2,
    Log10,
    Sqrt,
    Cbrt,
    Recip,
    Powi,
    Powf,
    Sin,
    Cos,
    Tan,
    Asin,
    Acos,
    Atan,
    Atan2,
    Sinh,
    Cosh,
    Tanh,
    Asinh,
    Acosh,
    Atanh,
    Abs,
    Hypot,
    MulAdd,
    Clamp,
    Copysign,
    Signum,
    Floor,
    Ceil,
    Round,
    Trunc,
    Fract,
    ToDegrees,
    ToRadians,
    // Local derivatives at kinks, used only by the rules above.
    /// `max` routing weight of the first operand: 1, ½ at a tie, 0.
    MaxWeight,
    /// `min` routing weight of the first operand: 1, ½ at a tie, 0.
    MinWeight,
    /// `clamp(x, lo, hi)` weight of `x`.
    ClampWeightX,
    /// `clamp(x, lo, hi)` weight of `lo`.
    ClampWeightLo,
    /// `clamp(x, lo, hi)` weight of `hi`.
    ClampWeightHi,
    /// The sign of `x`, 0 at 0 (the derivative of `abs`).
    Sign0,
    /// `n * x^(n-1)`, 0 when `n == 0` (the derivative of `powi`).
    PowiDeriv,
    /// `y * x^(y-1)`, 0 when `y == 0` (the derivative of `powf` in `x`).
    PowfDerivX,
    /// `x^y * ln x`, 0 when `x == 0` and `y >= 0` (the derivative of `powf` in `y`).
    PowfDerivY,
    /// `a / b`, 0 when `b == 0` (the derivative of `hypot`).
    DivOrZero,
}

/// How codegen writes an operation's forward form.
#[derive(Clone, Copy)]
pub enum Forward {
    /// `a <op> b`.
    Infix(&'static str),
    /// `<op> a`.
    Prefix(&'static str),
    /// `F::method(a, b, …)` on the function's float type `F`.
    Method(&'static str),
    /// Written by a function of the operands and the float type.
    Inline(fn(&[TokenStream], &TokenStream) -> TokenStream),
}

/// The reverse rule: operand contributions from the upstream gradient.
pub type Vjp = fn(&mut Emit, ValueId, &[ValueId], ValueId) -> [Option<ValueId>; 3];

/// One row of the rules table.
#[derive(Clone, Copy)]
pub struct Rule {
    /// The name in the IR text form and in the circuit view.
    pub name: &'static str,
    /// The method of `f32`/`f64` that users write, if any (`x.exp()`).
    pub method: Option<&'static str>,
    /// Number of operands, the receiver included.
    pub arity: usize,
    /// Operand positions that are integers (never differentiated).
    pub int_args: &'static [usize],
    pub forward: Forward,
    pub vjp: Vjp,
    /// The local partials, for the docs: a unit test keeps the README's
    /// table of methods in sync with them.
    #[cfg_attr(not(test), allow(dead_code))]
    pub partials: &'static str,
}

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

impl Op {
    /// Every operation, in table order.
    pub const ALL: &'static [Op] = &[
        Op::Add,
        Op::Mul,
        Op::Max,
        Op::Sub,
        Op::Div,
        Op::Neg,
        Op::Min,
        Op::Exp,
        Op::Exp2,
        Op::ExpM1,
        Op::Ln,
        Op::Ln1p,
        Op::Log,
        Op::Log2,
        Op::Log10,
        Op::Sqrt,
        Op::Cbrt,
        Op::Recip,
        Op::Powi,
        Op::Powf,
        Op::Sin,
        Op::Cos,
        Op::Tan,
        Op::Asin,
        Op::Acos,
        Op::Atan,
        Op::Atan2,
        Op::Sinh,
        Op::Cosh,
        Op::Tanh,
        Op::Asinh,
        Op::Acosh,
        Op::Atanh,
        Op::Abs,
        Op::Hypot,
        Op::MulAdd,
        Op::Clamp,
        Op::Copysign,
        Op::Signum,
        Op::Floor,
        Op::Ceil,
        Op::Round,
        Op::Trunc,
        Op::Fract,
        Op::ToDegrees,
        Op::ToRadians,
        Op::MaxWeight,
        Op::MinWeight,
        Op::ClampWeightX,
        Op::ClampWeightLo,
        Op::ClampWeightHi,
        Op::Sign0,
        Op::PowiDeriv,
        Op::PowfDerivX,
        Op::PowfDerivY,
        Op::DivOrZero,
    ];

    /// The operation that the float method `name` denotes.
    pub fn from_method(name: &str) -> Option<Op> {
        Op::ALL
            .iter()
            .copied()
            .find(|op| op.rule().method == Some(name))
    }

    /// The IR name of the operation.
    pub fn name(self) -> &'static str {
        self.rule().name
    }

    /// The row of the rules table for this operation.
    pub fn rule(self) -> Rule {
        use Forward::*;
        let row = |name, method, arity, forward, vjp: Vjp, partials| Rule {
            name,
            method,
            arity,
            int_args: &[],
            forward,
            vjp,
            partials,
        };
        // A kink: a piecewise-constant function, zero derivative everywhere.
        let flat =
            |name: &'static str| row(name, Some(name), 1, Method(name), |_, _, _, _| NONE, "0");
        // An internal weight, never differentiated itself.
        let weight = |name, arity, forward| row(name, None, arity, forward, |_, _, _, _| NONE, "0");
        match self {
            Op::Add => row(
                "add",
                None,
                2,
                Infix("+"),
                |_, adj, _, _| two(adj, adj),
                "∂a = 1, ∂b = 1",
            ),
            Op::Mul => row(
                "mul",
                None,
                2,
                Infix("*"),
                |e, adj, a, _| two(e.mul(adj, a[1]), e.mul(adj, a[0])),
                "∂a = b, ∂b = a",
            ),
            Op::Max => row(
                "max",
                Some("max"),
                2,
                Method("max"),
                |e, adj, a, _| {
                    let wa = e.op(Op::MaxWeight, &[a[0], a[1]]);
                    let wb = e.op(Op::MaxWeight, &[a[1], a[0]]);
                    two(e.mul(adj, wa), e.mul(adj, wb))
                },
                "a.max(b): ∂a = [a > b], ∂b = [b > a]; ½ each at a tie",
            ),
            Op::Sub => row(
                "sub",
                None,
                2,
                Infix("-"),
                |e, adj, _, _| two(adj, e.neg(adj)),
                "∂a = 1, ∂b = -1",
            ),
            Op::Div => row(
                "div",
                None,
                2,
                Infix("/"),
                |e, adj, a, out| {
                    let da = e.div(adj, a[1]);
                    let t = e.mul(adj, out);
                    let t = e.div(t, a[1]);
                    two(da, e.neg(t))
                },
                "∂a = 1/b, ∂b = -(a/b)/b",
            ),
            Op::Neg => row(
                "neg",
                None,
                1,
                Prefix("-"),
                |e, adj, _, _| one(e.neg(adj)),
                "-1",
            ),
            Op::Min => row(
                "min",
                Some("min"),
                2,
                Method("min"),
                |e, adj, a, _| {
                    let wa = e.op(Op::MinWeight, &[a[0], a[1]]);
                    let wb = e.op(Op::MinWeight, &[a[1], a[0]]);
                    two(e.mul(adj, wa), e.mul(adj, wb))
                },
                "a.min(b): ∂a = [a < b], ∂b = [b < a]; ½ each at a tie",
            ),
            Op::Exp => row(
                "exp",
                Some("exp"),
                1,
                Method("exp"),
                |e, adj, _, out| one(e.mul(adj, out)),
                "exp(x)",
            ),
            Op::Exp2 => row(
                "exp2",
                Some("exp2"),
                1,
                Method("exp2"),
                |e, adj, _, out| {
                    let t = e.mul(adj, out);
                    one(e.scale(t, std::f64::consts::LN_2))
                },
                "exp2(x) ln 2",
            ),
            Op::ExpM1 => row(
                "exp_m1",
                Some("exp_m1"),
                1,
                Method("exp_m1"),
                |e, adj, _, out| {
                    let k = e.lit(1.0);
                    let t = e.add(out, k);
                    one(e.mul(adj, t))
                },
                "exp_m1(x) + 1",
            ),
            Op::Ln => row(
                "ln",
                Some("ln"),
                1,
                Method("ln"),
                |e, adj, a, _| one(e.div(adj, a[0])),
                "1/x",
            ),
            Op::Ln1p => row(
                "ln_1p",
                Some("ln_1p"),
                1,
                Method("ln_1p"),
                |e, adj, a, _| {
                    let k = e.lit(1.0);
                    let t = e.add(a[0], k);
                    one(e.div(adj, t))
                },
                "1/(1 + x)",
            ),
            Op::Log => row(
                "log",
                Some("log"),
                2,
                Method("log"),
                |e, adj, a, out| {
                    // log_b(x) = ln x / ln b.
                    let lnb = e.op(Op::Ln, &[a[1]]);
                    let t = e.mul(a[0], lnb);
                    let dx = e.div(adj, t);
                    let u = e.mul(adj, out);
                    let v = e.mul(a[1], lnb);
                    let u = e.div(u, v);
                    two(dx, e.neg(u))
                },
                "x.log(b): ∂x = 1/(x ln b), ∂b = -log_b(x)/(b ln b)",
            ),
            Op::Log2 => row(
                "log2",
                Some("log2"),
                1,
                Method("log2"),
                |e, adj, a, _| {
                    let t = e.scale(a[0], std::f64::consts::LN_2);
                    one(e.div(adj, t))
                },
                "1/(x ln 2)",
            ),
            Op::Log10 => row(
                "log10",
                Some("log10"),
                1,
                Method("log10"),
                |e, adj, a, _| {
                    let t = e.scale(a[0], std::f64::consts::LN_10);
                    one(e.div(adj, t))
                },
                "1/(x ln 10)",
            ),
            Op::Sqrt => row(
                "sqrt",
                Some("sqrt"),
                1,
                Method("sqrt"),
                |e, adj, _, out| {
                    let t = e.scale(out, 2.0);
                    one(e.div(adj, t))
                },
                "1/(2 sqrt(x))",
            ),
            Op::Cbrt => row(
                "cbrt",
                Some("cbrt"),
                1,
                Method("cbrt"),
                |e, adj, _, out| {
                    let t = e.mul(out, out);
                    let t = e.scale(t, 3.0);
                    one(e.div(adj, t))
                },
                "1/(3 cbrt(x)²)",
            ),
            Op::Recip => row(
                "recip",
                Some("recip"),
                1,
                Method("recip"),
                |e, adj, _, out| {
                    let t = e.mul(out, out);
                    let t = e.mul(adj, t);
                    one(e.neg(t))
                },
                "-1/x²",
            ),
            Op::Powi => Rule {
                int_args: &[1],
                ..row(
                    "powi",
                    Some("powi"),
                    2,
                    Method("powi"),
                    |e, adj, a, _| {
                        let d = e.op(Op::PowiDeriv, &[a[0], a[1]]);
                        one(e.mul(adj, d))
                    },
                    "x.powi(n): n x^(n-1) (0 when n = 0); n gets none",
                )
            },
            Op::Powf => row(
                "powf",
                Some("powf"),
                2,
                Method("powf"),
                |e, adj, a, out| {
                    let dx = e.op(Op::PowfDerivX, &[a[0], a[1]]);
                    let dy = e.op(Op::PowfDerivY, &[a[0], a[1], out]);
                    two(e.mul(adj, dx), e.mul(adj, dy))
                },
                "x.powf(y): ∂x = y x^(y-1) (0 when y = 0), ∂y = x^y ln x (0 when x = 0 ≤ y)",
            ),
            Op::Sin => row(
                "sin",
                Some("sin"),
                1,
                Method("sin"),
                |e, adj, a, _| {
                    let c = e.op(Op::Cos, &[a[0]]);
                    one(e.mul(adj, c))
                },
                "cos(x)",
            ),
            Op::Cos => row(
                "cos",
                Some("cos"),
                1,
                Method("cos"),
                |e, adj, a, _| {
                    let s = e.op(Op::Sin, &[a[0]]);
                    let t = e.mul(adj, s);
                    one(e.neg(t))
                },
                "-sin(x)",
            ),
            Op::Tan => row(
                "tan",
                Some("tan"),
                1,
                Method("tan"),
                |e, adj, _, out| {
                    let k = e.lit(1.0);
                    let sq = e.mul(out, out);
                    let t = e.add(k, sq);
                    one(e.mul(adj, t))
                },
                "1 + tan(x)²",
            ),
            Op::Asin => row(
                "asin",
                Some("asin"),
                1,
                Method("asin"),
                |e, adj, a, _| {
                    let t = e.one_minus_sq(a[0]);
                    let t = e.op(Op::Sqrt, &[t]);
                    one(e.div(adj, t))
                },
                "1/sqrt(1 - x²)",
            ),
            Op::Acos => row(
                "acos",
                Some("acos"),
                1,
                Method("acos"),
                |e, adj, a, _| {
                    let t = e.one_minus_sq(a[0]);
                    let t = e.op(Op::Sqrt, &[t]);
                    let t = e.div(adj, t);
                    one(e.neg(t))
                },
                "-1/sqrt(1 - x²)",
            ),
            Op::Atan => row(
                "atan",
                Some("atan"),
                1,
                Method("atan"),
                |e, adj, a, _| {
                    let k = e.lit(1.0);
                    let sq = e.mul(a[0], a[0]);
                    let t = e.add(k, sq);
                    one(e.div(adj, t))
                },
                "1/(1 + x²)",
            ),
            Op::Atan2 => row(
                "atan2",
                Some("atan2"),
                2,
                Method("atan2"),
                |e, adj, a, _| {
                    // atan2(y, x): ∂y = x/(x² + y²), ∂x = -y/(x² + y²).
                    let yy = e.mul(a[0], a[0]);
                    let xx = e.mul(a[1], a[1]);
                    let r = e.add(xx, yy);
                    let s = e.div(adj, r);
                    let dy = e.mul(s, a[1]);
                    let t = e.mul(s, a[0]);
                    two(dy, e.neg(t))
                },
                "y.atan2(x): ∂y = x/(x² + y²), ∂x = -y/(x² + y²)",
            ),
            Op::Sinh => row(
                "sinh",
                Some("sinh"),
                1,
                Method("sinh"),
                |e, adj, a, _| {
                    let c = e.op(Op::Cosh, &[a[0]]);
                    one(e.mul(adj, c))
                },
                "cosh(x)",
            ),
            Op::Cosh => row(
                "cosh",
                Some("cosh"),
                1,
                Method("cosh"),
                |e, adj, a, _| {
                    let s = e.op(Op::Sinh, &[a[0]]);
                    one(e.mul(adj, s))
                },
                "sinh(x)",
            ),
            Op::Tanh => row(
                "tanh",
                Some("tanh"),
                1,
                Method("tanh"),
                |e, adj, _, out| {
                    let t = e.one_minus_sq(out);
                    one(e.mul(adj, t))
                },
                "1 - tanh(x)²",
            ),
            Op::Asinh => row(
                "asinh",
                Some("asinh"),
                1,
                Method("asinh"),
                |e, adj, a, _| {
                    let k = e.lit(1.0);
                    let t = e.op(Op::Hypot, &[a[0], k]);
                    one(e.div(adj, t))
                },
                "1/sqrt(x² + 1)",
            ),
            Op::Acosh => row(
                "acosh",
                Some("acosh"),
                1,
                Method("acosh"),
                |e, adj, a, _| {
                    let k = e.lit(1.0);
                    let sq = e.mul(a[0], a[0]);
                    let t = e.sub(sq, k);
                    let t = e.op(Op::Sqrt, &[t]);
                    one(e.div(adj, t))
                },
                "1/sqrt(x² - 1)",
            ),
            Op::Atanh => row(
                "atanh",
                Some("atanh"),
                1,
                Method("atanh"),
                |e, adj, a, _| {
                    let t = e.one_minus_sq(a[0]);
                    one(e.div(adj, t))
                },
                "1/(1 - x²)",
            ),
            Op::Abs => row(
                "abs",
                Some("abs"),
                1,
                Method("abs"),
                |e, adj, a, _| {
                    let s = e.op(Op::Sign0, &[a[0]]);
                    one(e.mul(adj, s))
                },
                "sign(x) (0 at 0)",
            ),
            Op::Hypot => row(
                "hypot",
                Some("hypot"),
                2,
                Method("hypot"),
                |e, adj, a, out| {
                    let dx = e.op(Op::DivOrZero, &[a[0], out]);
                    let dy = e.op(Op::DivOrZero, &[a[1], out]);
                    two(e.mul(adj, dx), e.mul(adj, dy))
                },
                "x.hypot(y): ∂x = x/hypot, ∂y = y/hypot (0 at the origin)",
            ),
            Op::MulAdd => row(
                "mul_add",
                Some("mul_add"),
                3,
                Method("mul_add"),
                |e, adj, a, _| [Some(e.mul(adj, a[1])), Some(e.mul(adj, a[0])), Some(adj)],
                "x.mul_add(a, b): ∂x = a, ∂a = x, ∂b = 1",
            ),
            Op::Clamp => row(
                "clamp",
                Some("clamp"),
                3,
                Method("clamp"),
                |e, adj, a, _| {
                    let wx = e.op(Op::ClampWeightX, &[a[0], a[1], a[2]]);
                    let wl = e.op(Op::ClampWeightLo, &[a[0], a[1]]);
                    let wh = e.op(Op::ClampWeightHi, &[a[0], a[2]]);
                    [
                        Some(e.mul(adj, wx)),
                        Some(e.mul(adj, wl)),
                        Some(e.mul(adj, wh)),
                    ]
                },
                "x.clamp(lo, hi): routes to x inside (lo, hi), to the bound outside; ½ each at a bound",
            ),
            Op::Copysign => row(
                "copysign",
                Some("copysign"),
                2,
                Method("copysign"),
                |e, adj, a, _| {
                    let sx = e.op(Op::Sign0, &[a[0]]);
                    let sy = e.op(Op::Signum, &[a[1]]);
                    let t = e.mul(sx, sy);
                    [Some(e.mul(adj, t)), None, None]
                },
                "x.copysign(y): ∂x = sign(x) signum(y) (0 at x = 0), ∂y = 0",
            ),
            Op::Signum => flat("signum"),
            Op::Floor => flat("floor"),
            Op::Ceil => flat("ceil"),
            Op::Round => flat("round"),
            Op::Trunc => flat("trunc"),
            Op::Fract => row(
                "fract",
                Some("fract"),
                1,
                Method("fract"),
                |_, adj, _, _| one(adj),
                "1",
            ),
            Op::ToDegrees => row(
                "to_degrees",
                Some("to_degrees"),
                1,
                Method("to_degrees"),
                |e, adj, _, _| one(e.scale(adj, 180.0 / std::f64::consts::PI)),
                "180/π",
            ),
            Op::ToRadians => row(
                "to_radians",
                Some("to_radians"),
                1,
                Method("to_radians"),
                |e, adj, _, _| one(e.scale(adj, std::f64::consts::PI / 180.0)),
                "π/180",
            ),
            Op::MaxWeight => weight(
                "max_weight",
                2,
                Inline(|a, _| {
                    let (x, y) = (&a[0], &a[1]);
                    quote!(if #x > #y || #y.is_nan() { 1.0 } else if #x == #y { 0.5 } else { 0.0 })
                }),
            ),
            Op::MinWeight => weight(
                "min_weight",
                2,
                Inline(|a, _| {
                    let (x, y) = (&a[0], &a[1]);
                    quote!(if #x < #y || #y.is_nan() { 1.0 } else if #x == #y { 0.5 } else { 0.0 })
                }),
            ),
            Op::ClampWeightX => weight(
                "clamp_weight_x",
                3,
                Inline(|a, _| {
                    let (x, lo, hi) = (&a[0], &a[1], &a[2]);
                    quote!(if (#x > #lo && #x < #hi) || #x.is_nan() {
                        1.0
                    } else if #x == #lo || #x == #hi {
                        0.5
                    } else {
                        0.0
                    })
                }),
            ),
            Op::ClampWeightLo => weight(
                "clamp_weight_lo",
                2,
                Inline(|a, _| {
                    let (x, lo) = (&a[0], &a[1]);
                    quote!(if #x < #lo { 1.0 } else if #x == #lo { 0.5 } else { 0.0 })
                }),
            ),
            Op::ClampWeightHi => weight(
                "clamp_weight_hi",
                2,
                Inline(|a, _| {
                    let (x, hi) = (&a[0], &a[1]);
                    quote!(if #x > #hi { 1.0 } else if #x == #hi { 0.5 } else { 0.0 })
                }),
            ),
            Op::Sign0 => weight(
                "sign0",
                1,
                Inline(|a, _| {
                    let x = &a[0];
                    quote!(if #x > 0.0 { 1.0 } else if #x < 0.0 { -1.0 } else if #x == 0.0 { 0.0 } else { #x })
                }),
            ),
            Op::PowiDeriv => Rule {
                int_args: &[1],
                ..weight(
                    "powi_deriv",
                    2,
                    Inline(|a, f| {
                        let (x, n) = (&a[0], &a[1]);
                        quote!(if #n == 0 { 0.0 } else { (#n as #f) * #f::powi(#x, #n - 1) })
                    }),
                )
            },
            Op::PowfDerivX => weight(
                "powf_deriv_x",
                2,
                Inline(|a, f| {
                    let (x, y) = (&a[0], &a[1]);
                    quote!(if #y == 0.0 { 0.0 } else { #y * #f::powf(#x, #y - 1.0) })
                }),
            ),
            Op::PowfDerivY => weight(
                "powf_deriv_y",
                3,
                Inline(|a, f| {
                    let (x, y, out) = (&a[0], &a[1], &a[2]);
                    quote!(if #x == 0.0 && #y >= 0.0 { 0.0 } else { #out * #f::ln(#x) })
                }),
            ),
            Op::DivOrZero => weight(
                "div_or_zero",
                2,
                Inline(|a, _| {
                    let (x, y) = (&a[0], &a[1]);
                    quote!(if #y == 0.0 { 0.0 } else { #x / #y })
                }),
            ),
        }
    }

    /// Constant folding: the value of the operation on literal operands, when
    /// it is exact arithmetic that every platform agrees on.
    pub fn fold(self, a: &[f64]) -> Option<f64> {
        match self {
            Op::Add => Some(a[0] + a[1]),
            Op::Sub => Some(a[0] - a[1]),
            Op::Mul => Some(a[0] * a[1]),
            Op::Div => Some(a[0] / a[1]),
            Op::Neg => Some(-a[0]),
            _ => None,
        }
    }
}
