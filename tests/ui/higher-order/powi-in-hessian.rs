use autodiff_core::grad;

#[grad(hessian)]
fn f(x: f64) -> f64 {
    x.powi(3) + x
}

fn main() {}
