use autodiff_core::grad;

#[grad]
fn f(x: f64, y: f64) -> (f64, f64) {
    let t = (x, y);
    if x > 0.0 {
        return t;
    }
    (x * y, y)
}

fn main() {}
