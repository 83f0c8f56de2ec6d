use autodiff_core::grad;

#[grad(wrt())]
fn f(x: f64) -> f64 {
    x
}

fn main() {}
