use autodiff_core::grad;

fn g(x: f64, y: f64) -> f64 {
    x * y
}

/// A custom derivative that forgot the slot of `y`.
fn g_grad(x: f64, y: f64) -> (f64, f64) {
    (x * y, y)
}

#[grad]
fn f(x: f64, y: f64) -> f64 {
    g(x, y) + 1.0
}

fn main() {}
