use autodiff_core::grad;

#[grad]
fn f(x: f64) -> f64 {
    const K: f64 = 2.0;
    x * K
}

fn main() {}
