// One branch gives an integer, the other a float.
use autodiff_core::grad;

#[grad]
fn soft(z: f64) -> f64 {
    if z > 20.0 { 1 } else { (1.0 + z.exp()).ln() }
}

fn main() {}
