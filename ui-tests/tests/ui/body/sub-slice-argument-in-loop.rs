use autodiff_core::grad;

#[grad]
fn dot(a: &[f64], b: &[f64]) -> f64 {
    a[0] * b[0] + a[1] * b[1]
}

#[grad]
fn f(x: &[f64], w: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() - 1 {
        s += dot(&x[i..i + 2], w);
    }
    s
}

fn main() {}
