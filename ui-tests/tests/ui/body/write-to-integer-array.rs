use autodiff_core::grad;

#[grad]
fn f(x: &[f64]) -> f64 {
    let mut order = [0usize, 1];
    if x[0] > x[1] {
        order[0] = 1;
    }
    x[order[0]]
}

fn main() {}
