use autodiff_core::grad;
use num_traits::Float;

#[grad]
fn f<T: Float>(x: T, scale: f64) -> T {
    x * T::from(scale).unwrap()
}

fn main() {}
