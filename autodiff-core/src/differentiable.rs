//! Values made of floats: [`Differentiable`] for `f32`, `f64`, arrays,
//! `Vec`s and structs deriving it, with the operations a training loop needs
//! (`axpy`, `dot`, `norm`, the float slots in a fixed order), and [`Real`],
//! the float types.

use core::ops::{Add, Mul, Neg, Sub};

/// A float type: `f32` or `f64`.
///
/// # Examples
///
/// ```
/// use autodiff_core::Real;
///
/// fn hypot<T: Real>(a: T, b: T) -> T {
///     (a * a + b * b).sqrt()
/// }
/// assert_eq!(hypot(3.0f64, 4.0), 5.0);
/// assert_eq!(hypot(3.0f32, 4.0), 5.0);
/// ```
pub trait Real:
    Copy
    + PartialOrd
    + Default
    + core::fmt::Debug
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Neg<Output = Self>
{
    /// `0`.
    const ZERO: Self;
    /// The square root.
    fn sqrt(self) -> Self;
}

impl Real for f64 {
    const ZERO: Self = 0.0;
    fn sqrt(self) -> Self {
        f64::sqrt(self)
    }
}

impl Real for f32 {
    const ZERO: Self = 0.0;
    fn sqrt(self) -> Self {
        f32::sqrt(self)
    }
}

/// A value made of floats, such as a model's parameters: floats, arrays and
/// `Vec`s of them, and structs that derive it
/// (`#[derive(autodiff_core::Differentiable)]`).
///
/// Its float *slots* have a fixed order: a struct's fields in declaration
/// order, arrays and `Vec`s element by element. Fields of a deriving struct
/// whose type is an integer or `bool` type, or that are marked
/// `#[differentiable(constant)]`, are constants: they have no slot, and
/// [`zero_like`](Differentiable::zero_like) clones them.
///
/// # Examples
///
/// ```
/// use autodiff_core::Differentiable;
///
/// #[derive(Differentiable, Clone, Debug, PartialEq)]
/// struct Layer {
///     w: [[f64; 2]; 2],
///     b: Vec<f64>,
///     /// A constant: no slot.
///     width: usize,
/// }
///
/// let mut p = Layer { w: [[1.0, 2.0], [3.0, 4.0]], b: vec![0.5, -0.5], width: 2 };
/// let g = Layer { w: [[1.0, 0.0], [0.0, 1.0]], b: vec![1.0, 1.0], width: 2 };
/// assert_eq!(p.slots(), [1.0, 2.0, 3.0, 4.0, 0.5, -0.5]);
/// assert_eq!(p.dot(&g), 1.0 + 4.0 + 0.5 - 0.5);
/// p.axpy(-0.5, &g); // one step of gradient descent
/// assert_eq!(p.w, [[0.5, 2.0], [3.0, 3.5]]);
/// assert_eq!(p.zero_like(), Layer { w: [[0.0; 2]; 2], b: vec![0.0; 2], width: 2 });
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not Differentiable",
    label = "a field of this type has no float slots #[grad] knows",
    note = "a Differentiable field is a float, an array or `Vec` of floats, or a struct deriving Differentiable; mark a field that is not `#[differentiable(constant)]`"
)]
pub trait Differentiable {
    /// The float type of the slots.
    type Float: Real;

    /// A value of the same shape (the same `Vec` lengths) whose slots are 0;
    /// constants are cloned.
    fn zero_like(&self) -> Self;

    /// Calls `f` on every slot, in order.
    fn visit(&self, f: &mut dyn FnMut(Self::Float));

    /// Calls `f` on every slot, in order, to change it.
    fn visit_mut(&mut self, f: &mut dyn FnMut(&mut Self::Float));

    /// Sets every slot to 0 (constants keep their values); `f_grad_into`
    /// starts a struct's gradient this way.
    ///
    /// ```
    /// use autodiff_core::Differentiable;
    ///
    /// let mut g = [[1.0, 2.0], [3.0, 4.0]];
    /// g.set_zero();
    /// assert_eq!(g, [[0.0; 2]; 2]);
    /// ```
    fn set_zero(&mut self) {
        self.visit_mut(&mut |s| *s = Self::Float::ZERO);
    }

    /// Calls `f` on every slot of `self` with the same slot of `other`.
    ///
    /// # Panics
    ///
    /// If a `Vec` of `other` has a different length.
    fn zip_mut(&mut self, other: &Self, f: &mut dyn FnMut(&mut Self::Float, Self::Float));

    /// `self += a * x`, slot by slot (a gradient step is `p.axpy(-lr, &g)`).
    fn axpy(&mut self, a: Self::Float, x: &Self) {
        self.zip_mut(x, &mut |s, x| *s = *s + a * x);
    }

    /// The sum of the products of the slots of `self` and `other`.
    fn dot(&self, other: &Self) -> Self::Float
    where
        Self: Sized,
    {
        let mut other_slots = Vec::new();
        other.visit(&mut |v| other_slots.push(v));
        let mut sum = Self::Float::ZERO;
        let mut i = 0;
        self.visit(&mut |v| {
            sum = sum + v * other_slots[i];
            i += 1;
        });
        sum
    }

    /// The Euclidean norm of the slots.
    fn norm(&self) -> Self::Float
    where
        Self: Sized,
    {
        self.dot(self).sqrt()
    }

    /// The slots, in order (to hand to an optimiser or to a checker).
    fn slots(&self) -> Vec<Self::Float> {
        let mut out = Vec::new();
        self.visit(&mut |v| out.push(v));
        out
    }

    /// How many slots the value has.
    fn slot_count(&self) -> usize {
        let mut n = 0;
        self.visit(&mut |_| n += 1);
        n
    }
}

macro_rules! leaf {
    ($f:ty) => {
        impl Differentiable for $f {
            type Float = $f;
            fn zero_like(&self) -> Self {
                0.0
            }
            fn visit(&self, f: &mut dyn FnMut($f)) {
                f(*self)
            }
            fn visit_mut(&mut self, f: &mut dyn FnMut(&mut $f)) {
                f(self)
            }
            fn zip_mut(&mut self, other: &Self, f: &mut dyn FnMut(&mut $f, $f)) {
                f(self, *other)
            }
        }
    };
}

leaf!(f32);
leaf!(f64);

impl<T: Differentiable, const N: usize> Differentiable for [T; N] {
    type Float = T::Float;
    fn zero_like(&self) -> Self {
        core::array::from_fn(|i| self[i].zero_like())
    }
    fn visit(&self, f: &mut dyn FnMut(T::Float)) {
        for x in self {
            x.visit(f);
        }
    }
    fn visit_mut(&mut self, f: &mut dyn FnMut(&mut T::Float)) {
        for x in self {
            x.visit_mut(f);
        }
    }
    fn zip_mut(&mut self, other: &Self, f: &mut dyn FnMut(&mut T::Float, T::Float)) {
        for (x, o) in self.iter_mut().zip(other) {
            x.zip_mut(o, f);
        }
    }
}

impl<T: Differentiable> Differentiable for Vec<T> {
    type Float = T::Float;
    fn zero_like(&self) -> Self {
        self.iter().map(Differentiable::zero_like).collect()
    }
    fn visit(&self, f: &mut dyn FnMut(T::Float)) {
        for x in self {
            x.visit(f);
        }
    }
    fn visit_mut(&mut self, f: &mut dyn FnMut(&mut T::Float)) {
        for x in self {
            x.visit_mut(f);
        }
    }
    fn zip_mut(&mut self, other: &Self, f: &mut dyn FnMut(&mut T::Float, T::Float)) {
        assert_eq!(
            self.len(),
            other.len(),
            "a `Vec` of a Differentiable value has a different length"
        );
        for (x, o) in self.iter_mut().zip(other) {
            x.zip_mut(o, f);
        }
    }
}
