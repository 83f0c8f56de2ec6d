// The function's value is a `bool`, not a float.
use autodiff_core::grad;

#[grad]
fn f(x: f64, y: f64) -> f64 {
    let d = x - y;
    d < 0.0
}

fn main() {}
