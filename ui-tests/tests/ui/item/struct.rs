use autodiff_core::grad;

#[grad]
struct Point {
    x: f64,
}

fn main() {}
