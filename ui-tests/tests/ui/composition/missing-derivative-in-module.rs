use autodiff_core::grad;

mod shapes {
    pub fn area(r: f64) -> f64 {
        3.0 * r * r
    }
}

#[grad]
fn f(r: f64) -> f64 {
    shapes::area(r) * 2.0
}

fn main() {}
