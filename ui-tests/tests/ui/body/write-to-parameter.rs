use autodiff_core::grad;

#[grad]
fn f(mut x: [f64; 2]) -> f64 {
    x[0] = 1.0;
    x[0] * x[1]
}

fn main() {}
