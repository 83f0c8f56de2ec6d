use autodiff_core::grad;

#[grad]
fn f(x: f64) -> f64 {
    let mut y = x;
    let small = loop {
        y = y * 0.5;
        if y < 1.0 {
            break true;
        }
    };
    if small { y } else { x }
}

fn main() {}
