//! Writes long `#[grad]` functions into `OUT_DIR/long.rs` (the library
//! `include!`s them): 2 000 statements of straight-line code and a loop body
//! of 500 statements. Each is the same recurrence, so the test knows its
//! derivative exactly.

use std::fmt::Write as _;

fn main() {
    let out = std::env::var("OUT_DIR").expect("OUT_DIR is set by cargo");
    let mut src = String::new();
    // a ← a · y + c_i: the value is a polynomial in y, linear in x.
    let mut body = String::from("    let mut a = x;\n");
    for i in 0..2000 {
        writeln!(body, "    a = a * y + {}.5e-3;", i % 7).expect("a String");
    }
    writeln!(
        src,
        "/// 2 000 statements of straight-line code.\n#[autodiff_core::grad]\npub fn straight(x: f64, y: f64) -> f64 {{\n{body}    a\n}}\n"
    )
    .expect("a String");
    let mut body = String::new();
    for i in 0..500 {
        writeln!(body, "        s = s * y + v[i] * {}.5e-3;", i % 5).expect("a String");
    }
    writeln!(
        src,
        "/// A loop whose body has 500 statements.\n#[autodiff_core::grad]\npub fn looped(v: &[f64], y: f64) -> f64 {{\n    let mut s = 0.0;\n    for i in 0..v.len() {{\n{body}    }}\n    s\n}}"
    )
    .expect("a String");
    std::fs::write(format!("{out}/long.rs"), src).expect("OUT_DIR is writable");
    println!("cargo::rerun-if-changed=build.rs");
}
