use autodiff_core::grad;

// An `f32` function holds no `f64` values (an `f64` one can hold `f32`s).
#[grad]
fn f(x: f32) -> f32 {
    x * 2.0f64 as f32
}

fn main() {}
