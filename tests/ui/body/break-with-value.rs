use autodiff_core::grad;

#[grad]
fn f(x: f64) -> f64 {
    let mut y = x;
    let z = loop {
        y = y * 0.5;
        if y < 0.1 {
            break y;
        }
    };
    z * x
}

fn main() {}
