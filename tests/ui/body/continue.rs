use autodiff_core::grad;

#[grad]
fn f(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for &v in x {
        if v < 0.0 {
            continue;
        }
        s += v;
    }
    s
}

fn main() {}
