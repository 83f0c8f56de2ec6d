use autodiff_core::grad;

#[grad(fast)]
fn f(x: f64) -> f64 {
    x
}

fn main() {}
