use autodiff_core::grad;

// A struct parameter must derive `Differentiable` (its gradient is one).
#[derive(Clone, Copy)]
struct Point {
    x: f64,
    y: f64,
}

#[grad]
fn f(p: Point) -> f64 {
    p.x * p.y
}

fn main() {}
