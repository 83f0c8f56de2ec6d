//! `#[derive(Differentiable)]` and the operations a training loop needs,
//! checked against values computed by hand.

use autodiff_core::{Differentiable, Real};

#[derive(Differentiable, Clone, Debug, PartialEq)]
struct Layer {
    w: [[f64; 3]; 2],
    b: Vec<f64>,
    /// An integer: a constant.
    fan_in: usize,
    /// A marked constant of another type.
    #[differentiable(constant)]
    name: String,
}

#[derive(Differentiable, Clone, Debug, PartialEq)]
struct Mlp {
    l1: Layer,
    l2: Layer,
    scale: f64,
}

#[derive(Differentiable, Clone, Debug, PartialEq)]
struct Pair(f32, [f32; 2]);

#[derive(Differentiable, Clone, Debug, PartialEq)]
struct Generic<T: Real> {
    a: T,
    v: Vec<T>,
}

fn layer(k: f64) -> Layer {
    Layer {
        w: [[k, 2.0 * k, 3.0 * k], [4.0 * k, 5.0 * k, 6.0 * k]],
        b: vec![k, -k],
        fan_in: 3,
        name: "hidden".into(),
    }
}

#[test]
fn slots_follow_declaration_order_and_skip_constants() {
    let p = Mlp {
        l1: layer(1.0),
        l2: layer(10.0),
        scale: 0.5,
    };
    let slots = p.slots();
    assert_eq!(slots.len(), 8 + 8 + 1);
    assert_eq!(p.slot_count(), 17);
    assert_eq!(&slots[..8], &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 1.0, -1.0]);
    assert_eq!(slots[8], 10.0);
    assert_eq!(slots[16], 0.5);
    assert_eq!(Pair(1.0, [2.0, 3.0]).slots(), [1.0f32, 2.0, 3.0]);
    assert_eq!(
        Generic {
            a: 2.0f64,
            v: vec![3.0, 4.0]
        }
        .slots(),
        [2.0, 3.0, 4.0]
    );
}

#[test]
fn zero_like_keeps_shapes_and_constants() {
    let p = Mlp {
        l1: layer(1.0),
        l2: layer(2.0),
        scale: 3.0,
    };
    let z = p.zero_like();
    assert!(z.slots().iter().all(|v| *v == 0.0));
    assert_eq!(z.l1.b.len(), 2);
    assert_eq!((z.l1.fan_in, z.l2.name.as_str()), (3, "hidden"));
}

#[test]
fn axpy_dot_and_norm() {
    let mut p = Mlp {
        l1: layer(1.0),
        l2: layer(2.0),
        scale: 3.0,
    };
    let g = Mlp {
        l1: layer(0.5),
        l2: layer(0.0),
        scale: 1.0,
    };
    // dot: Σ over l1 of 0.5 k² (1+4+9+16+25+36+1+1) with k = 1, plus 3 · 1.
    assert_eq!(p.dot(&g), 0.5 * 93.0 + 3.0);
    assert_eq!(g.norm(), (0.25 * 93.0 + 1.0f64).sqrt());
    p.axpy(-2.0, &g);
    assert_eq!(p.l1.w[1][2], 6.0 - 2.0 * 3.0);
    assert_eq!(p.l1.b, vec![0.0, 0.0]);
    assert_eq!(p.l2, layer(2.0));
    assert_eq!(p.scale, 1.0);
    let before = p.slots();
    let zero = p.zero_like();
    p.axpy(1.0, &zero);
    assert_eq!(p.slots(), before);
}

#[test]
fn vec_fields_of_different_lengths_are_refused() {
    let result = std::panic::catch_unwind(|| {
        let mut a = layer(1.0);
        let mut b = layer(1.0);
        b.b.push(1.0);
        a.axpy(1.0, &b);
    });
    let message = result.expect_err("a length mismatch panics");
    let text = message
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| message.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default();
    assert!(text.contains("different length"), "{text}");
}
