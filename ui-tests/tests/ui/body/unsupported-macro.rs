use autodiff_core::grad;

#[grad]
fn f(x: f64) -> f64 {
    dbg!(x);
    let v = vec![x, 2.0 * x];
    x * v[1]
}

fn main() {}
