use autodiff_core::grad;

// The loop is rejected once; its body, which reads what it would bind, is
// still checked and raises nothing more.
#[grad]
fn f(x: &[f64], labels: &[usize]) -> f64 {
    let mut s = 0.0;
    for (i, &l) in labels.iter().step_by(2).enumerate() {
        if l % 2 == 0 {
            s += x[i] * (l as f64);
        }
    }
    s
}

fn main() {}
