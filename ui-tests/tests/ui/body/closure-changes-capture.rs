use autodiff_core::grad;

#[grad]
fn f(x: f64) -> f64 {
    let mut s = 0.0;
    let mut add = |v: f64| s += v;
    add(x);
    add(x * x);
    s
}

fn main() {}
