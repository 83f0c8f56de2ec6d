use autodiff_core::grad;

#[grad(hessian)]
fn f(x: f64, y: f64) -> [f64; 2] {
    if x > 0.0 {
        return [x, y];
    }
    [x * y, y]
}

fn main() {}
