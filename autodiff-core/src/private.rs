//! Support for generated code. Not public API: generated code reaches it as
//! `::autodiff_core::__private::…`, and it may change in any release.

/// Adds `k * src` into `dst`, element by element: the chain rule for an
/// array argument of a call, whose callee returned the array's gradient.
pub trait Accumulate<F> {
    /// `self += k * src`.
    fn add_scaled(&mut self, k: F, src: &Self);
}

impl Accumulate<f64> for f64 {
    fn add_scaled(&mut self, k: f64, src: &Self) {
        *self += k * *src;
    }
}

impl Accumulate<f32> for f32 {
    fn add_scaled(&mut self, k: f32, src: &Self) {
        *self += k * *src;
    }
}

impl<F: Copy, T: Accumulate<F>, const N: usize> Accumulate<F> for [T; N] {
    fn add_scaled(&mut self, k: F, src: &Self) {
        for (d, s) in self.iter_mut().zip(src) {
            d.add_scaled(k, s);
        }
    }
}

/// `dst += k * src` for the gradient of an array, slice or `Vec` argument.
///
/// # Panics
///
/// If the lengths differ (the callee's gradient has the argument's length
/// whenever it follows the `g_grad` convention).
pub fn add_scaled<F: Copy, T: Accumulate<F>>(dst: &mut [T], k: F, src: &[T]) {
    assert_eq!(
        dst.len(),
        src.len(),
        "a `_grad` function returned a gradient whose length differs from its argument's"
    );
    for (d, s) in dst.iter_mut().zip(src) {
        d.add_scaled(k, s);
    }
}

/// The buffer of a tape that holds `n` values: the stack array `stack` when
/// it is long enough (its length is a constant the generated code chose),
/// else `heap` made `n` long.
pub fn tape_buffer<'a, T: Copy>(
    stack: &'a mut [T],
    heap: &'a mut Vec<T>,
    n: usize,
    zero: T,
) -> &'a mut [T] {
    if n <= stack.len() {
        &mut stack[..n]
    } else {
        heap.clear();
        heap.resize(n, zero);
        &mut heap[..]
    }
}

/// A call of a function's derivative, `g_grad(a, b)`, made through a trait
/// so that a missing `g_grad` is reported by this message at the user's call
/// rather than by a name lookup that suggests some other `_grad` function.
#[diagnostic::on_unimplemented(
    message = "this function has no derivative: there is no `_grad` function next to it",
    label = "called here from a #[grad] function",
    note = "mark the function with #[grad], or write its derivative by hand: a function `NAME_grad` with the same parameters returning `(value, ∂/∂arg1, …)`, one slot per float or array argument"
)]
pub trait Callable<Args> {
    /// What the function returns.
    type Output;
    /// Calls the function with the arguments of the tuple.
    fn call_with(&self, args: Args) -> Self::Output;
}

/// Stands in for a `g_grad` that does not exist (see [`Callable`]).
pub struct NoDerivative;

macro_rules! callable {
    ($($a:ident),*) => {
        #[diagnostic::do_not_recommend]
        impl<Func, Ret, $($a),*> Callable<($($a,)*)> for Func
        where
            Func: Fn($($a),*) -> Ret,
        {
            type Output = Ret;
            #[allow(non_snake_case)]
            fn call_with(&self, ($($a,)*): ($($a,)*)) -> Ret {
                self($($a),*)
            }
        }
    };
}

callable!();
callable!(A1);
callable!(A1, A2);
callable!(A1, A2, A3);
callable!(A1, A2, A3, A4);
callable!(A1, A2, A3, A4, A5);
callable!(A1, A2, A3, A4, A5, A6);
callable!(A1, A2, A3, A4, A5, A6, A7);
callable!(A1, A2, A3, A4, A5, A6, A7, A8);
callable!(A1, A2, A3, A4, A5, A6, A7, A8, A9);
callable!(A1, A2, A3, A4, A5, A6, A7, A8, A9, A10);
callable!(A1, A2, A3, A4, A5, A6, A7, A8, A9, A10, A11);
callable!(A1, A2, A3, A4, A5, A6, A7, A8, A9, A10, A11, A12);

/// The tuple a derivative `g_grad` returns: the value and `N` gradients.
#[diagnostic::on_unimplemented(
    message = "a `_grad` function returned `{Self}`, not the value and {N} gradient(s)",
    label = "the derivative of this call",
    note = "a derivative `NAME_grad` returns `(value, ∂/∂arg1, …)`: one slot per float or array argument, in order; a function marked #[grad(wrt(..))] cannot be called from another #[grad] function"
)]
pub trait Slots<const N: usize> {}

macro_rules! slots {
    ($n:literal: $($t:ident),*) => {
        #[diagnostic::do_not_recommend]
        impl<V, $($t),*> Slots<$n> for (V, $($t,)*) {}
    };
}

slots!(0:);
slots!(1: T1);
slots!(2: T1, T2);
slots!(3: T1, T2, T3);
slots!(4: T1, T2, T3, T4);
slots!(5: T1, T2, T3, T4, T5);
slots!(6: T1, T2, T3, T4, T5, T6);
slots!(7: T1, T2, T3, T4, T5, T6, T7);
slots!(8: T1, T2, T3, T4, T5, T6, T7, T8);
slots!(9: T1, T2, T3, T4, T5, T6, T7, T8, T9);
slots!(10: T1, T2, T3, T4, T5, T6, T7, T8, T9, T10);
slots!(11: T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11);
slots!(12: T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12);

/// Checks the shape of what a derivative returned (see [`Slots`]).
pub fn slots<const N: usize, T: Slots<N>>(t: T) -> T {
    t
}

/// The float slots of a parameter, flattened in row-major order: what
/// `f_hessian` uses to set a unit direction and read a Hessian row.
pub trait Flat<F> {
    /// How many floats the value holds.
    const LEN: usize;
    /// A value of the same shape with every float 0.
    fn zero() -> Self;
    /// Slot `i`.
    fn get(&self, i: usize) -> F;
    /// Sets slot `i`.
    fn set(&mut self, i: usize, v: F);
}

macro_rules! flat_float {
    ($f:ty) => {
        impl Flat<$f> for $f {
            const LEN: usize = 1;
            fn zero() -> Self {
                0.0
            }
            fn get(&self, _: usize) -> $f {
                *self
            }
            fn set(&mut self, _: usize, v: $f) {
                *self = v;
            }
        }
    };
}

flat_float!(f32);
flat_float!(f64);

impl<F, T: Flat<F>, const N: usize> Flat<F> for [T; N] {
    const LEN: usize = N * T::LEN;
    fn zero() -> Self {
        ::core::array::from_fn(|_| T::zero())
    }
    fn get(&self, i: usize) -> F {
        self[i / T::LEN].get(i % T::LEN)
    }
    fn set(&mut self, i: usize, v: F) {
        self[i / T::LEN].set(i % T::LEN, v);
    }
}
