use autodiff_core::grad;

#[grad]
fn sq(x: f64) -> f64 {
    x * x
}

#[grad(forward)]
fn f(x: f64) -> f64 {
    sq(x) + x
}

fn main() {}
