//! The circuits of the CS231n lecture "Backpropagation, Intuitions", walked
//! gate by gate: each intermediate's forward value, then every input's
//! gradient from the generated `f_grad`, checked against the lecture.
//!
//! Run with `cargo run --example backprop`. It also writes the circuits'
//! pictures, `docs/circuit1.svg` and `docs/circuit2.svg`, which the README
//! shows.

use autodiff_core::grad;
use std::path::Path;

/// `f(x, y, z) = (x + y) z`: the add gate distributes, the mul gate swaps.
#[grad(graph)]
fn circuit(x: f64, y: f64, z: f64) -> f64 {
    let q = x + y;
    q * z
}

/// `f(x, y, z, w) = 2 (x y + max(z, w))`: the max gate routes.
#[grad(graph)]
fn circuit2(x: f64, y: f64, z: f64, w: f64) -> f64 {
    2.0 * (x * y + z.max(w))
}

/// A sigmoid neuron, `1 / (1 + exp(-(w0 x0 + w1 x1 + w2)))`.
#[grad]
fn neuron(w0: f64, w1: f64, w2: f64, x0: f64, x1: f64) -> f64 {
    let dot = w0 * x0 + w1 * x1 + w2;
    1.0 / (1.0 + (-dot).exp())
}

fn check(what: &str, got: f64, want: f64, tol: f64) {
    assert!(
        (got - want).abs() <= tol,
        "{what}: got {got}, the lecture says {want}"
    );
}

/// Writes a circuit's SVG into `docs/` of the workspace.
fn write_svg(name: &str, graph: &autodiff_core::Graph) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs");
    std::fs::create_dir_all(&dir).expect("create docs/");
    let path = dir.join(name);
    std::fs::write(&path, graph.to_svg()).expect("write the SVG");
    println!("  wrote docs/{name}");
}

fn main() {
    println!("circuit 1: q = x + y; f = q * z at x = -2, y = 5, z = -4");
    let (x, y, z) = (-2.0, 5.0, -4.0);
    println!("  forward: q = {}, f = {}", x + y, circuit(x, y, z));
    let (f, dx, dy, dz) = circuit_grad(x, y, z);
    println!("  f_grad:  f = {f}, ∂f/∂x = {dx}, ∂f/∂y = {dy}, ∂f/∂z = {dz}");
    assert_eq!((f, dx, dy, dz), (-12.0, -4.0, -4.0, 3.0));
    let graph = circuit_graph(x, y, z);
    println!("\n{graph}");
    write_svg("circuit1.svg", &graph);

    println!("circuit 2: f = 2 * (x*y + max(z, w)) at x = 3, y = -4, z = 2, w = -1");
    let (x, y, z, w) = (3.0, -4.0, 2.0, -1.0);
    let (xy, m) = (x * y, f64::max(z, w));
    println!(
        "  forward: x*y = {xy}, max(z, w) = {m}, sum = {}, f = {}",
        xy + m,
        circuit2(x, y, z, w)
    );
    let (f, dx, dy, dz, dw) = circuit2_grad(x, y, z, w);
    println!("  f_grad:  f = {f}, ∂f/∂x = {dx}, ∂f/∂y = {dy}, ∂f/∂z = {dz}, ∂f/∂w = {dw}");
    assert_eq!((f, dx, dy, dz, dw), (-20.0, -8.0, 6.0, 2.0, 0.0));
    let graph = circuit2_graph(x, y, z, w);
    println!("\n{graph}");
    write_svg("circuit2.svg", &graph);

    println!("sigmoid neuron at w = [2, -3, -3], x = [-1, -2]");
    let (w0, w1, w2, x0, x1) = (2.0, -3.0, -3.0, -1.0, -2.0);
    let dot = w0 * x0 + w1 * x1 + w2;
    println!(
        "  forward: w·x + b = {dot}, f = {}",
        neuron(w0, w1, w2, x0, x1)
    );
    let (f, dw0, dw1, dw2, dx0, dx1) = neuron_grad(w0, w1, w2, x0, x1);
    println!("  f_grad:  f = {f:.4}");
    println!("           ∂w = [{dw0:.4}, {dw1:.4}, {dw2:.4}], ∂x = [{dx0:.4}, {dx1:.4}]");
    check("f", f, 0.73, 0.005);
    check("∂w0", dw0, -0.20, 0.005);
    check("∂w1", dw1, -0.39, 0.005);
    check("∂w2", dw2, 0.20, 0.005);
    check("∂x0", dx0, 0.39, 0.005);
    check("∂x1", dx1, -0.59, 0.005);

    println!("all values and gradients match the lecture");
}
