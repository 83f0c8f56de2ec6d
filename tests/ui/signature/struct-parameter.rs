use autodiff_core::grad;

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
