use autodiff_core::grad;

#[grad(hessian)]
fn norm_sq(v: [f64; 2]) -> f64 {
    v[0] * v[0] + v[1] * v[1]
}

#[grad(hessian)]
fn f(x: f64) -> f64 {
    norm_sq([x, 2.0 * x]) + x
}

fn main() {}
