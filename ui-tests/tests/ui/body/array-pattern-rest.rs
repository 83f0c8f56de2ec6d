use autodiff_core::grad;

#[grad]
fn f(p: [f64; 3]) -> f64 {
    let [a, ..] = p;
    a * a
}

fn main() {}
