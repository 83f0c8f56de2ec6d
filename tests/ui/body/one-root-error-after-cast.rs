use autodiff_core::grad;

// `x as f32` is rejected; the values computed from it raise no error of their own.
#[grad]
fn f(x: f64) -> f64 {
    let k = x as f32;
    let m = (k * 2.0) as i32;
    let mut r = 1;
    r += m % 3;
    (r as f64) * x
}

fn main() {}
