//! The circuit view: `#[grad(graph)]` records every gate with its forward
//! value and its gradient, which must agree with `f_grad`.

// Some functions here are called only through their generated code.
#![allow(dead_code)]

use autodiff_core::grad;

#[grad(graph)]
fn circuit(x: f64, y: f64, z: f64) -> f64 {
    let q = x + y;
    q * z
}

#[grad(graph)]
fn circuit2(x: f64, y: f64, z: f64, w: f64) -> f64 {
    2.0 * (x * y + z.max(w))
}

#[test]
fn lecture_circuit_nodes_have_the_lectures_values_and_gradients() {
    let g = circuit_graph(-2.0, 5.0, -4.0);
    let find = |label: &str| {
        g.nodes()
            .iter()
            .find(|n| n.label() == label)
            .unwrap_or_else(|| panic!("no node {label}: {g}"))
    };
    assert_eq!((find("x").value(), find("x").grad()), (-2.0, -4.0));
    assert_eq!((find("y").value(), find("y").grad()), (5.0, -4.0));
    assert_eq!((find("z").value(), find("z").grad()), (-4.0, 3.0));
    assert_eq!((find("q").value(), find("q").grad()), (3.0, -4.0));
    assert_eq!(find("q").op(), "add");
    let out = &g.nodes()[g.output().expect("an output node")];
    assert_eq!((out.op(), out.value(), out.grad()), ("mul", -12.0, 1.0));
    assert_eq!(g.nodes().len(), 5);
}

#[test]
fn lecture_circuit_text_form() {
    let text = circuit_graph(-2.0, 5.0, -4.0).to_string();
    let expected = "\
node  op     label    inputs  value  grad
   0  input  x                   -2    -4
   1  input  y                    5    -4
   2  input  z                   -4     3
   3  add    q        0, 1        3    -4
   4  mul    circuit  3, 2      -12     1  (output)
";
    assert_eq!(text, expected, "\n{text}");
}

#[test]
fn max_circuit_routes_and_constants_get_gradients() {
    let (x, y, z, w) = (3.0, -4.0, 2.0, -1.0);
    let g = circuit2_graph(x, y, z, w);
    let (_, dx, dy, dz, dw) = circuit2_grad(x, y, z, w);
    let input = |label: &str| {
        g.nodes()
            .iter()
            .find(|n| n.label() == label)
            .expect("input")
    };
    assert_eq!(input("x").grad(), dx);
    assert_eq!(input("y").grad(), dy);
    assert_eq!(input("z").grad(), dz);
    assert_eq!(input("w").grad(), dw);
    let two = g
        .nodes()
        .iter()
        .find(|n| n.op() == "const")
        .expect("the constant 2");
    // ∂f/∂2 = x y + max(z, w) = -10
    assert_eq!((two.value(), two.grad()), (2.0, -10.0));
    let max = g
        .nodes()
        .iter()
        .find(|n| n.op() == "max")
        .expect("the max gate");
    assert_eq!((max.value(), max.grad()), (2.0, 2.0));
}

#[grad(graph)]
fn horner(c: &[f64], x: f64) -> f64 {
    let mut acc = 0.0;
    for i in (0..c.len()).rev() {
        acc = acc * x + c[i];
    }
    acc
}

#[test]
fn loops_record_the_gates_that_ran() {
    let c = [1.0, -2.0, 0.5];
    let x = 1.5;
    let g = horner_graph(&c, x);
    let (v, dc, dx) = horner_grad(&c, x);
    let out = &g.nodes()[g.output().expect("output")];
    assert_eq!(out.value(), v);
    // Three trips, each a mul and an add.
    assert_eq!(g.nodes().iter().filter(|n| n.op() == "mul").count(), 3);
    assert_eq!(g.nodes().iter().filter(|n| n.op() == "add").count(), 3);
    // Each element of c is an input node with its gradient.
    for (i, d) in dc.iter().enumerate() {
        let label = format!("c[{i}]");
        let node = g
            .nodes()
            .iter()
            .find(|n| n.label() == label)
            .expect("element");
        assert_eq!((node.op(), node.value(), node.grad()), ("input", c[i], *d));
    }
    let xn = g.nodes().iter().find(|n| n.label() == "x").expect("x");
    assert_eq!(xn.grad(), dx);
    // Every gate's gradient: the adds pass their gradient to acc * x.
    for n in g.nodes().iter().filter(|n| n.op() == "add") {
        let mul = &g.nodes()[n.inputs()[0]];
        assert_eq!(mul.grad(), n.grad());
    }
}

#[grad(graph)]
fn long_loop(x: f64, n: usize) -> f64 {
    let mut s = 0.0;
    for _ in 0..n {
        s += x;
    }
    s
}

#[test]
fn the_size_cap_is_visible() {
    let g = long_loop_graph(1.0, 20_000);
    assert!(g.is_truncated());
    assert!(g.to_string().contains("truncated"));
    assert!(!long_loop_graph(1.0, 10).is_truncated());
}

#[grad]
fn sq(x: f64) -> f64 {
    x * x
}

struct Scaled {
    k: f64,
}

impl Scaled {
    /// A method's circuit, with a call as one gate.
    #[grad(graph)]
    fn apply(&self, x: f64) -> f64 {
        sq(x) * self.k
    }
}

#[test]
fn methods_and_calls_in_the_circuit() {
    let s = Scaled { k: 3.0 };
    let g = s.apply_graph(2.0);
    let call = g
        .nodes()
        .iter()
        .find(|n| n.op() == "call")
        .expect("the call gate");
    assert_eq!(
        (call.label(), call.value(), call.grad()),
        ("sq(x)", 4.0, 3.0)
    );
    let x = g.nodes().iter().find(|n| n.label() == "x").expect("x");
    assert_eq!(x.grad(), s.apply_grad(2.0).1);
    let k = g
        .nodes()
        .iter()
        .find(|n| n.op() == "const")
        .expect("self.k");
    assert_eq!((k.value(), k.grad()), (3.0, 4.0));
}

#[grad(graph)]
fn through_a_local_array(x: f64, y: f64) -> f64 {
    let a = [x * y, 2.0 * x];
    sq(a[1]) + a[0] * 3.0
}

#[test]
fn gradients_through_local_arrays_and_calls_match_f_grad() {
    let (x, y) = (1.5, -2.0);
    let g = through_a_local_array_graph(x, y);
    let (v, dx, dy) = through_a_local_array_grad(x, y);
    let node = |label: &str| {
        g.nodes()
            .iter()
            .find(|n| n.label() == label)
            .unwrap_or_else(|| panic!("no node {label}: {g}"))
    };
    let out = &g.nodes()[g.output().expect("output")];
    assert_eq!((out.value(), out.grad()), (v, 1.0));
    // d/dx (4x² + 3xy) = 8x + 3y, d/dy = 3x.
    assert_eq!((dx, dy), (8.0 * x + 3.0 * y, 3.0 * x));
    assert_eq!(node("x").grad(), dx);
    assert_eq!(node("y").grad(), dy);
    // The constants get their gradients from their consumers: ∂f/∂3 = x y.
    let three = g
        .nodes()
        .iter()
        .find(|n| n.op() == "const" && n.value() == 3.0)
        .expect("the constant 3");
    assert_eq!(three.grad(), x * y);
}
