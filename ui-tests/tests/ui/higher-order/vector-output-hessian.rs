use autodiff_core::grad;

#[grad(hessian)]
fn f(x: f64, y: f64) -> [f64; 2] {
    [x * y, y]
}

fn main() {}
