use autodiff_core::grad;

#[grad = "x"]
fn f(x: f64) -> f64 {
    x
}

fn main() {}
