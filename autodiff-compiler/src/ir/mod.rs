//! The intermediate representation: plain data, no syn types.
//!
//! A [`Func`] is a flat list of instructions: instruction `i` defines the
//! value `ValueId(i)`. In straight-line code (an empty body) they run in
//! order and every operand refers to an earlier instruction; in structured
//! code the statements decide the order, and what holds is that a
//! definition earlier in the block or an enclosing one, or a declaration at
//! the top (`hoisted`), reaches every read (an instruction may read one
//! with a higher index). [`verify`] checks these and the other invariants;
//! `uses.rs` says what each instruction and statement reads and writes.
//! Provenance lives in side tables indexed by value (`spans`, `names`), as
//! in rust-analyzer's HIR. The `Display` impl (`text.rs`) is the text form
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

mod text;
mod uses;
pub mod verify;

pub use text::pieces_text;
pub use uses::map_pieces;
pub use verify::{View, verify, verify_after};

use crate::op::Op;
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

/// The type of a value: floats (and arrays of them) carry gradients,
/// integers and booleans do not.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ty {
    Float,
    Int,
    Bool,
    /// An array, slice or `Vec` of floats (possibly nested).
    Array,
    /// What a call to `g_grad` returns: the value, then the gradients.
    Tuple,
}

/// A tape of the reverse sweep: values overwritten in the forward sweep
/// are saved on the tape of their kind and restored in reverse.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Tape {
    Float,
    Int,
    Bool,
}

impl Tape {
    /// The tape that saves values of type `ty`.
    pub fn of(ty: Ty) -> Tape {
        match ty {
            Ty::Float => Tape::Float,
            Ty::Bool => Tape::Bool,
            _ => Tape::Int,
        }
    }

    /// The name in the IR text form.
    pub fn name(self) -> &'static str {
        match self {
            Tape::Float => "float",
            Tape::Int => "int",
            Tape::Bool => "bool",
        }
    }
}

/// The function a call goes to.
#[derive(Clone, Debug, PartialEq)]
pub enum Callee {
    /// `g(..)`, `path::g(..)`, `Self::g(..)`: the path's segments (an empty
    /// first segment is a leading `::`) and what the function belongs to.
    Path { segments: Vec<String>, owner: Owner },
    /// `self.g(..)`.
    Method(String),
}

/// What a function called by a path belongs to; it decides how codegen
/// finds its derivative `g_grad`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Owner {
    /// A module (`g`, `module::g`): `g_grad` is looked up through a glob
    /// import of the module, so a missing one gets the crate's own message.
    Module,
    /// A type (`Self::g`, `Model::g`): an associated function, which cannot
    /// be glob-imported; `Type::g_grad` is called directly.
    Type,
}

impl fmt::Display for Callee {
    /// The callee as the user wrote it: `g`, `path::g`, `self.g`. The one
    /// place a callee is named (the IR text, the formula, the circuit view).
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            Callee::Path { segments, .. } => write!(f, "{}", segments.join("::")),
            Callee::Method(m) => write!(f, "self.{m}"),
        }
    }
}

/// Which of a callee's functions a call goes to, and the tuple it yields.
/// `n` is the number of float or array arguments (its differentiable
/// slots, [`crate::reverse::differentiable_slots`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CallKind {
    /// `g(a…)`: `(value,)`.
    Value,
    /// `g_grad(a…)`: `(value, ∂g/∂a₁, …, ∂g/∂aₙ)`.
    Grad,
    /// `g_jvp(a…, ȧ…)` (forward mode): the arguments are `g`'s followed by
    /// one tangent per differentiable one; yields `(value, ġ)`.
    Jvp,
    /// `g_hvp(a…, ȧ…)` (the tangent function of `f_hvp`), arguments as for
    /// `Jvp`; yields `(value, ġ, ∇g₁…ₙ, (H·ȧ)₁…ₙ)`, `ġ = ∇g·ȧ` computed
    /// beside the call.
    Hvp,
}

impl CallKind {
    /// How many leading slots of the tuple are outputs of the call (the
    /// rest are partials): the value, and for `Jvp`/`Hvp` its tangent.
    pub fn outputs(self) -> usize {
        match self {
            CallKind::Value | CallKind::Grad => 1,
            CallKind::Jvp | CallKind::Hvp => 2,
        }
    }

    /// The suffix of the function called: `_grad`, `_jvp`, `_hvp`.
    pub fn suffix(self) -> &'static str {
        match self {
            CallKind::Value => "",
            CallKind::Grad => "_grad",
            CallKind::Jvp => "_jvp",
            CallKind::Hvp => "_hvp",
        }
    }
}

/// One argument of a call.
#[derive(Clone, Debug, PartialEq)]
pub struct Arg {
    pub value: ValueId,
    /// For a row of an array: the indices that select it.
    pub prefix: Vec<ValueId>,
    /// Whether the user wrote `&` before it.
    pub by_ref: bool,
}

/// A piece of the Rust source of a passive expression: user tokens, or a
/// value of the IR (a loop index, an array, an integer variable).
#[derive(Clone, Debug)]
pub enum Piece {
    Tokens(TokenStream),
    Value(ValueId),
    /// `( … )`
    Paren(Vec<Piece>),
    /// `[ … ]`
    Bracket(Vec<Piece>),
}

/// A statement of a structured body.
#[derive(Clone, Debug, PartialEq)]
pub enum Stmt {
    /// Evaluate the instruction that defines this value.
    Def(ValueId),
    /// `dst = src` on a mutable variable defined earlier.
    Assign { dst: ValueId, src: ValueId },
    /// `arr[i][j] = value`.
    Store {
        arr: ValueId,
        index: Vec<ValueId>,
        value: ValueId,
    },
    /// `if cond { then } else { els }`.
    If {
        cond: ValueId,
        then: Vec<Stmt>,
        els: Vec<Stmt>,
    },
    /// `for var in start..end` (or `(start..end).rev()`), `var` defined here.
    For {
        var: ValueId,
        start: ValueId,
        end: ValueId,
        rev: bool,
        body: Vec<Stmt>,
    },
    /// `while { head; cond } { body }`: `head` computes `cond` before each iteration.
    While {
        head: Vec<Stmt>,
        cond: ValueId,
        body: Vec<Stmt>,
    },
    /// `dst += src` (adjoint accumulation).
    AddAssign { dst: ValueId, src: ValueId },
    /// `arr[i][j] += value` (adjoint accumulation into an array).
    AddStore {
        arr: ValueId,
        index: Vec<ValueId>,
        value: ValueId,
    },
    /// `v = -0.0` for a float adjoint (the identity of the sums it receives next).
    Clear(ValueId),
    /// `arr[i][j] = -0.0`.
    ClearStore { arr: ValueId, index: Vec<ValueId> },
    /// Saves the value of `v` on the tape before it is overwritten.
    Push(ValueId),
    /// Restores `v` from the tape.
    Pop(ValueId),
    /// `v += 1` (the trip count of a `while` loop).
    Count(ValueId),
    /// `dst[prefix…] += scale * src`, elementwise: the chain rule into an
    /// array argument from the gradient a callee returned.
    AddScaled {
        dst: ValueId,
        prefix: Vec<ValueId>,
        scale: ValueId,
        src: ValueId,
    },
    /// Saves the tuple a call inside a loop or branch returned.
    PushTuple(ValueId),
    /// Takes it back in the reverse sweep, as a new local.
    PopTuple(ValueId),
    /// A statement of the forward sweep kept for its effect alone, the
    /// passive source `passive[k]` (`assert!(…)`, `println!(…)` with the
    /// values it reads): the reverse sweep leaves it out.
    Effect(usize),
    /// An instrumentation point: probe `k` of the pass that inserted it
    /// (the circuit view, `graph.rs`, keeps its probes beside the IR and
    /// writes their code). Reverse sweeps never see probes.
    Probe(usize),
    /// Reserves tape space for `(end - start) * count` more values on each
    /// listed tape, before a counted loop.
    Reserve {
        start: ValueId,
        end: ValueId,
        per_trip: Vec<(Tape, usize)>,
    },
    /// `buf[(var - start) * slots + slot] = value`: saves `value` before it is
    /// overwritten, in the slot of trip `var` of the loop `buf` was made for
    /// ([`Inst::TapeBuf`]).
    Save {
        buf: ValueId,
        var: ValueId,
        slot: usize,
        value: ValueId,
    },
    /// `arr[..lo] = 0; arr[hi..] = 0` (bounds clamped to the length): the
    /// elements of an [`Inst::OutputLike`] gradient that no loop writes.
    ZeroOutside {
        arr: ValueId,
        lo: ValueId,
        hi: ValueId,
    },
    /// `value = buf[(var - start) * slots + slot]`: restores what [`Stmt::Save`]
    /// saved on the same trip.
    Restore {
        buf: ValueId,
        var: ValueId,
        slot: usize,
        value: ValueId,
    },
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
    /// An expression with no gradient (an integer parameter, `n as f64`,
    /// `i + 1`, a condition): its Rust source is `Func::passive[index]`.
    Passive { index: usize, ty: Ty },
    /// An operation of the rules table on earlier values.
    Op { op: Op, args: Vec<ValueId> },
    /// A copy of another value (the initial value of a mutable variable).
    Copy(ValueId),
    /// An array parameter (by reference), with its index in the signature.
    ArrayParam(usize),
    /// A local array `[elem; len]`; `len` is the passive source at that index.
    ArrayRepeat { elem: ValueId, len: usize },
    /// A local array `[a, b, c]`.
    ArrayList(Vec<ValueId>),
    /// `arr[i][j]`: an element of an array value.
    Load { arr: ValueId, index: Vec<ValueId> },
    /// A default value for a variable declared before it is assigned.
    Zero,
    /// `-0.0`, the identity of float addition (`-0.0 + x` is `x` for every
    /// `x`, which `0.0 + x` is not when `x` is `-0.0`, so the compiler can
    /// fold it): the start of an adjoint that only receives sums.
    NegZero,
    /// An array of zeros shaped like another array value (an adjoint).
    ZeroLike(ValueId),
    /// The gradient of the array parameter `v` where the sweep writes every
    /// element before reading it (a loop that stores each element once, and
    /// [`Stmt::ZeroOutside`] for the rest): like [`Inst::ZeroLike`], but a
    /// caller's buffer (`f_grad_into`) is not filled with zeros first.
    OutputLike(ValueId),
    /// A tape as a buffer for the `for` loop over `start..end`: `slots`
    /// values of the kind `tape` per trip, indexed by the trip (on the stack
    /// when the bounds are constants and the size is small).
    TapeBuf {
        tape: Tape,
        start: ValueId,
        end: ValueId,
        slots: usize,
    },
    /// A call of another function; what it calls and yields is its
    /// [`CallKind`].
    Call {
        callee: Callee,
        args: Vec<Arg>,
        kind: CallKind,
    },
    /// Slot `index` of the tuple a call yields.
    Proj { tuple: ValueId, index: usize },
}

impl Inst {
    /// The literal value, if this is a literal.
    pub fn lit(&self) -> Option<f64> {
        match self {
            Inst::Lit { value, .. } => Some(*value),
            _ => None,
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
    /// Source of each passive (non-differentiated) expression.
    pub passive: Vec<Vec<Piece>>,
    /// The structured body; empty for straight-line code, where the
    /// instructions run in order.
    pub body: Vec<Stmt>,
    /// The type of each value (parallel to `insts`).
    pub tys: Vec<Ty>,
    /// Structured code: values defined inside loops or branches that code
    /// elsewhere reads, so codegen declares them at the top.
    pub hoisted: Vec<ValueId>,
    /// What the function returns: the value, then (after `reverse`) one
    /// gradient per differentiated parameter.
    pub outputs: Vec<ValueId>,
    /// After the structured reverse sweep: each active value with the
    /// variable holding its adjoint.
    pub adjoints: Vec<(ValueId, ValueId)>,
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
            body: Vec::new(),
            tys: Vec::new(),
            hoisted: Vec::new(),
            outputs: Vec::new(),
            adjoints: Vec::new(),
        }
    }

    /// Whether the body is straight-line code (no structured statements).
    pub fn is_straight_line(&self) -> bool {
        self.body.is_empty()
    }

    /// Appends an instruction and returns the value it defines.
    pub fn push(&mut self, inst: Inst, span: Span) -> ValueId {
        let id = ValueId(self.insts.len() as u32);
        let ty = match &inst {
            Inst::Passive { ty, .. } => *ty,
            Inst::ArrayParam(_)
            | Inst::ArrayRepeat { .. }
            | Inst::ArrayList(_)
            | Inst::ZeroLike(_)
            | Inst::OutputLike(_)
            | Inst::TapeBuf { .. } => Ty::Array,
            Inst::Copy(v) => self.tys[v.index()],
            Inst::Call { .. } => Ty::Tuple,
            _ => Ty::Float,
        };
        self.tys.push(ty);
        self.insts.push(inst);
        self.spans.push(span);
        self.names.push(None);
        id
    }

    /// Drops the values from `values` on and the passive sources from
    /// `passive` on: the function as it was when it had that many.
    pub fn truncate(&mut self, values: usize, passive: usize) {
        self.insts.truncate(values);
        self.spans.truncate(values);
        self.names.truncate(values);
        self.tys.truncate(values);
        self.passive.truncate(passive);
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
        self.tys[v.index()]
    }

    /// The span of `v`.
    pub fn span(&self, v: ValueId) -> Span {
        self.spans[v.index()]
    }
}

impl Stmt {
    /// The blocks nested in this statement (branches, loop heads and bodies).
    pub fn blocks(&self) -> Vec<&[Stmt]> {
        match self {
            Stmt::If { then, els, .. } => vec![then, els],
            Stmt::For { body, .. } => vec![body],
            Stmt::While { head, body, .. } => vec![head, body],
            _ => Vec::new(),
        }
    }

    /// The same statement with each nested block rewritten by `f`.
    pub fn map_blocks(self, mut f: impl FnMut(Vec<Stmt>) -> Vec<Stmt>) -> Stmt {
        match self {
            Stmt::If { cond, then, els } => Stmt::If {
                cond,
                then: f(then),
                els: f(els),
            },
            Stmt::For {
                var,
                start,
                end,
                rev,
                body,
            } => Stmt::For {
                var,
                start,
                end,
                rev,
                body: f(body),
            },
            Stmt::While { head, cond, body } => Stmt::While {
                head: f(head),
                cond,
                body: f(body),
            },
            other => other,
        }
    }
}

/// A literal instruction for `value`, printed so that it reads back exactly.
pub fn lit_inst(value: f64) -> Inst {
    Inst::Lit {
        text: format!("{value:?}"),
        value,
    }
}
