//! The two worked circuits of the backpropagation lecture (DESIGN.md §1).

// Some functions here are called only through their generated gradient,
// and loops index several arrays at once, as numeric code does.
#![allow(dead_code, clippy::needless_range_loop)]

use autodiff_core::grad;

#[grad]
fn circuit(x: f64, y: f64, z: f64) -> f64 {
    let q = x + y;
    q * z
}

#[grad]
fn circuit2(x: f64, y: f64, z: f64, w: f64) -> f64 {
    2.0 * (x * y + z.max(w))
}

#[test]
fn add_mul_circuit() {
    assert_eq!(circuit_grad(-2.0, 5.0, -4.0), (-12.0, -4.0, -4.0, 3.0));
}

#[test]
fn max_circuit() {
    assert_eq!(
        circuit2_grad(3.0, -4.0, 2.0, -1.0),
        (-20.0, -8.0, 6.0, 2.0, 0.0)
    );
}
