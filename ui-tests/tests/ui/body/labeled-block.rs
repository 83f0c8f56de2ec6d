use autodiff_core::grad;

#[grad]
fn f(x: f64) -> f64 {
    let mut y = x;
    'done: {
        if x < 0.0 {
            break 'done;
        }
        y = y * 2.0;
    }
    y
}

fn main() {}
