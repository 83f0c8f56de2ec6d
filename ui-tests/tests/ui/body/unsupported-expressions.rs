use autodiff_core::grad;

#[grad]
fn f(x: f64, v: [f64; 2], n: i32) -> f64 {
    let a = match (n, x > 0.0) {
        (0, true) => x,
        _ => -x,
    };
    a + v[0]
}

fn main() {}
