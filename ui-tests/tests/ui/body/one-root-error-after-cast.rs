use autodiff_core::grad;

// `x as f64` in an `f32` function is rejected; the values computed from it
// raise no error of their own.
#[grad]
fn f(x: f32) -> f32 {
    let k = x as f64;
    let m = (k * 2.0) as i32;
    let mut r = 1;
    r += m % 3;
    (r as f32) * x
}

fn main() {}
