use autodiff_core::grad;

#[grad]
fn f(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() {
        let pair = [x[i], 1.0];
        s += pair[0] * pair[1];
    }
    s
}

fn main() {}
