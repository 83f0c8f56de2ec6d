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

impl<F: Copy, T: Accumulate<F>> Accumulate<F> for Vec<T> {
    fn add_scaled(&mut self, k: F, src: &Self) {
        add_scaled(self, k, src);
    }
}

/// The dot product of two values of one shape (floats, arrays of them):
/// `∇g · ȧ` for an array argument of a call in `f_hvp`.
pub trait Dot<F> {
    /// `Σ self[i] · other[i]` over every float.
    fn dot(&self, other: &Self) -> F;
}

impl Dot<f64> for f64 {
    fn dot(&self, other: &Self) -> f64 {
        self * other
    }
}

impl Dot<f32> for f32 {
    fn dot(&self, other: &Self) -> f32 {
        self * other
    }
}

impl<F: Default + core::ops::Add<Output = F>, T: Dot<F>, const N: usize> Dot<F> for [T; N] {
    fn dot(&self, other: &Self) -> F {
        dot(&self[..], &other[..])
    }
}

/// `Σ a[i] · b[i]` over two slices of one length.
///
/// # Panics
///
/// If the lengths differ (a `_hvp` function returned a gradient whose
/// length is not its argument's). Empty slices give `F::default()` (0).
pub fn dot<F: Default + core::ops::Add<Output = F>, T: Dot<F>>(a: &[T], b: &[T]) -> F {
    assert_eq!(
        a.len(),
        b.len(),
        "a `_hvp` function returned a gradient whose length differs from its argument's"
    );
    let mut terms = a.iter().zip(b).map(|(x, y)| x.dot(y));
    match terms.next() {
        Some(first) => terms.fold(first, |s, t| s + t),
        None => F::default(),
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

/// Defines a trait through which generated code calls a callee's derivative
/// function, so that a missing one is reported by the trait's message at the
/// user's call rather than by a name lookup that suggests some other function.
macro_rules! callable_trait {
    ($(#[$attr:meta])* $trait:ident, $stand_in:ident) => {
        $(#[$attr])*
        pub trait $trait<Args> {
            /// What the function returns.
            type Output;
            /// Calls the function with the arguments of the tuple.
            fn call_with(&self, args: Args) -> Self::Output;
        }

        /// Stands in for a derivative function that does not exist.
        pub struct $stand_in;

        callable_trait!(@impl $trait);
        callable_trait!(@impl $trait A1);
        callable_trait!(@impl $trait A1, A2);
        callable_trait!(@impl $trait A1, A2, A3);
        callable_trait!(@impl $trait A1, A2, A3, A4);
        callable_trait!(@impl $trait A1, A2, A3, A4, A5);
        callable_trait!(@impl $trait A1, A2, A3, A4, A5, A6);
        callable_trait!(@impl $trait A1, A2, A3, A4, A5, A6, A7);
        callable_trait!(@impl $trait A1, A2, A3, A4, A5, A6, A7, A8);
        callable_trait!(@impl $trait A1, A2, A3, A4, A5, A6, A7, A8, A9);
        callable_trait!(@impl $trait A1, A2, A3, A4, A5, A6, A7, A8, A9, A10);
        callable_trait!(@impl $trait A1, A2, A3, A4, A5, A6, A7, A8, A9, A10, A11);
        callable_trait!(@impl $trait A1, A2, A3, A4, A5, A6, A7, A8, A9, A10, A11, A12);
    };
    (@impl $trait:ident $($a:ident),*) => {
        #[diagnostic::do_not_recommend]
        impl<Func, Ret, $($a),*> $trait<($($a,)*)> for Func
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

callable_trait!(
    /// A call of a function's derivative, `g_grad(a, b)`.
    #[diagnostic::on_unimplemented(
        message = "this function has no derivative: there is no `_grad` function next to it",
        label = "called here from a #[grad] function",
        note = "mark the function with #[grad], or write its derivative by hand: a function `NAME_grad` with the same parameters returning `(value, ∂/∂arg1, …)`, one slot per float or array argument"
    )]
    Callable,
    NoDerivative
);

callable_trait!(
    /// A call of a function's forward mode, `g_jvp(a, b, d_a, d_b)`, from
    /// `f_jvp`.
    #[diagnostic::on_unimplemented(
        message = "this function has no forward mode: there is no `_jvp` function next to it",
        label = "called here from a #[grad(forward)] function",
        note = "mark the function with #[grad(forward)], or write its forward mode by hand: a function `NAME_jvp` with the same parameters followed by one tangent per float or array argument, returning `(value, directional derivative)`"
    )]
    CallableJvp,
    NoJvp
);

callable_trait!(
    /// A call of a function's Hessian-vector product, `g_hvp(a, b, d_a, d_b)`,
    /// from `f_hvp`.
    #[diagnostic::on_unimplemented(
        message = "this function has no second derivative: there is no `_hvp` function next to it",
        label = "called here from a #[grad(hessian)] function",
        note = "mark the function with #[grad(hessian)], or write its Hessian-vector product by hand: a function `NAME_hvp` with the same parameters followed by one tangent per float or array argument, returning `(value, ∂/∂arg1, …, (H·d)1, …)`"
    )]
    CallableHvp,
    NoHvp
);

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

/// The tuple a forward-mode function returns beside its value: `g_jvp` one
/// directional derivative, `g_hvp` the gradient and `H·d` (`2n` slots).
#[diagnostic::on_unimplemented(
    message = "a `_jvp` or `_hvp` function returned `{Self}`, not the value and {N} more slot(s)",
    label = "the derivative of this call",
    note = "`NAME_jvp` returns `(value, ∇g·d)`; `NAME_hvp` returns `(value, ∂/∂arg1, …, (H·d)1, …)`: one gradient and one H·d slot per float or array argument"
)]
pub trait TangentSlots<const N: usize> {}

macro_rules! tangent_slots {
    ($n:literal: $($t:ident),*) => {
        #[diagnostic::do_not_recommend]
        impl<V, $($t),*> TangentSlots<$n> for (V, $($t,)*) {}
    };
}

tangent_slots!(1: T1);
tangent_slots!(2: T1, T2);
tangent_slots!(4: T1, T2, T3, T4);
tangent_slots!(6: T1, T2, T3, T4, T5, T6);
tangent_slots!(8: T1, T2, T3, T4, T5, T6, T7, T8);
tangent_slots!(10: T1, T2, T3, T4, T5, T6, T7, T8, T9, T10);
tangent_slots!(12: T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12);

/// Checks the shape of what `g_jvp` or `g_hvp` returned (see
/// [`TangentSlots`]).
pub fn tangent_slots<const N: usize, T: TangentSlots<N>>(t: T) -> T {
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

/// Integer and `bool` types: what `#[grad]` takes a struct field used as a
/// range bound, an index or the operand of `as` to be.
#[diagnostic::on_unimplemented(
    message = "this field is used as an integer (a range bound, an index or the operand of `as`), but it is `{Self}`",
    label = "#[grad] takes this field for an integer constant",
    note = "#[grad] guesses what a field of a struct parameter is from how the function uses it; to use a float field in a cast, copy it into a local first (`let s = p.scale;`)"
)]
pub trait NotFloat {}

macro_rules! not_float {
    ($($t:ty)*) => { $(impl NotFloat for $t {})* };
}
not_float!(i8 i16 i32 i64 i128 isize u8 u16 u32 u64 u128 usize bool);

/// Compiles only for an integer or `bool`: checks `#[grad]`'s guess that a
/// struct field is an integer constant.
#[inline(always)]
pub fn not_float<T: NotFloat>(_: &T) {}
