// `return` as an operand of `+`: the sum never has a value.
use autodiff_core::grad;

#[grad]
fn f(x: f64, y: f64) -> f64 {
    let a = x * y;
    a + return y
}

fn main() {}
