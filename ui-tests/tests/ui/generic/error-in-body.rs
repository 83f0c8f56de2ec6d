use autodiff_core::grad;
use num_traits::Float;

// An error in the body is reported once, not once per float type.
#[grad]
fn f<T: Float>(x: T) -> T {
    x.frobnicate()
}

trait Frob {
    fn frobnicate(self) -> Self;
}

fn main() {}
