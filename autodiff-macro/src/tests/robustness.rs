//! Robustness: the expansion, called as a library function (no proc-macro
//! boundary), on mutations of every `#[grad]` function of the repository and
//! on generated valid functions. For every input it must not panic, its
//! output must parse as Rust, and every error it reports must be spanned
//! inside the input (never at the call site).
//!
//! The mutations are made at the token level and printed back to text, so
//! every token of a mutated input has a real span. The number of cases is
//! `AUTODIFF_FUZZ_CASES` (default 10 000), the seed `AUTODIFF_FUZZ_SEED`;
//! `AUTODIFF_FUZZ_ONLY=a|b` keeps the corpus functions whose source
//! contains `a` or `b`.

use proc_macro2::{Delimiter, Group, TokenStream, TokenTree};
use std::panic::{AssertUnwindSafe, catch_unwind};

/// The `#[grad]` functions of the repository's tests, examples and README:
/// `(attribute arguments, the function's source)`.
fn corpus() -> Vec<(String, String)> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut files = Vec::new();
    let mut dirs: Vec<std::path::PathBuf> = ["tests", "examples", "examples/common", "benches"]
        .iter()
        .map(|d| root.join(d))
        .collect();
    // The UI tests: every input the macro rejects.
    if let Ok(entries) = std::fs::read_dir(root.join("tests/ui")) {
        dirs.extend(entries.flatten().map(|e| e.path()));
    }
    for dir in dirs {
        if let Ok(entries) = std::fs::read_dir(dir) {
            for e in entries.flatten() {
                if e.path().extension().is_some_and(|x| x == "rs") {
                    files.push(e.path());
                }
            }
        }
    }
    files.sort();
    let mut out = Vec::new();
    for path in files {
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        let Ok(file) = syn::parse_file(&text) else {
            continue;
        };
        collect(&file.items, &mut out);
    }
    out
}

fn add(attrs: &[syn::Attribute], tokens: TokenStream, out: &mut Vec<(String, String)>) {
    for a in attrs {
        if a.path().is_ident("grad") {
            let args = match &a.meta {
                syn::Meta::List(l) => l.tokens.to_string(),
                _ => String::new(),
            };
            out.push((args, tokens.to_string()));
        }
    }
}

fn collect(items: &[syn::Item], out: &mut Vec<(String, String)>) {
    use quote::ToTokens;
    for item in items {
        match item {
            syn::Item::Fn(f) => {
                let mut f = f.clone();
                let attrs = std::mem::take(&mut f.attrs);
                add(&attrs, f.to_token_stream(), out);
            }
            syn::Item::Mod(m) => {
                if let Some((_, items)) = &m.content {
                    collect(items, out);
                }
            }
            syn::Item::Impl(i) => {
                for it in &i.items {
                    if let syn::ImplItem::Fn(f) = it {
                        let mut f = f.clone();
                        let attrs = std::mem::take(&mut f.attrs);
                        add(&attrs, f.to_token_stream(), out);
                    }
                }
            }
            _ => {}
        }
    }
}

/// Tokens a mutation may insert: the language's keywords, operators,
/// literals as Rust spells them, raw identifiers, methods and macros.
const PIECES: &[&str] = &[
    "x",
    "y",
    "r#x",
    "r#type",
    "self",
    "Self",
    "f64",
    "f32",
    "i32",
    "usize",
    "let",
    "mut",
    "if",
    "else",
    "for",
    "in",
    "while",
    "loop",
    "break",
    "continue",
    "return",
    "match",
    "fn",
    "as",
    "move",
    "ref",
    "+",
    "-",
    "*",
    "/",
    "%",
    "=",
    "+=",
    "-=",
    "*=",
    "/=",
    "==",
    "<",
    ">",
    "<=",
    ">=",
    "!",
    "&&",
    "||",
    "&",
    "..",
    "..=",
    "::",
    ".",
    ",",
    ";",
    ":",
    "?",
    "'a",
    "0",
    "1",
    "1.",
    "2f64",
    "7f32",
    "0.5",
    "1e308",
    "-0.0",
    "0xff",
    "1_000.5",
    "\"s\"",
    "'c'",
    "true",
    "false",
    "exp",
    "powi",
    "powf",
    "max",
    "sin_cos",
    "iter",
    "sum",
    "len",
    "PI",
    "std::f64::consts::E",
    "g",
    "r#g",
    "[]",
    "()",
    "{}",
    "(x, y)",
    "[x; 3]",
    "println!(\"{}\", x)",
    "|v| v",
    "_",
    "NAN",
    "f64::INFINITY",
];

/// A random mutation of a token stream: delete, duplicate, swap, replace or
/// insert a token, change a group's delimiter or empty it, at any depth.
fn mutate(rng: &mut fastrand::Rng, tokens: TokenStream) -> TokenStream {
    let mut trees: Vec<TokenTree> = tokens.into_iter().collect();
    if trees.is_empty() {
        return piece(rng);
    }
    let i = rng.usize(..trees.len());
    // Descend into a group half of the time.
    if let TokenTree::Group(g) = &trees[i]
        && rng.bool()
    {
        let inner = mutate(rng, g.stream());
        let mut ng = Group::new(g.delimiter(), inner);
        ng.set_span(g.span());
        trees[i] = TokenTree::Group(ng);
        return trees.into_iter().collect();
    }
    match rng.u8(..7) {
        0 => {
            trees.remove(i);
        }
        1 => {
            let t = trees[i].clone();
            trees.insert(i, t);
        }
        2 if i + 1 < trees.len() => trees.swap(i, i + 1),
        3 => {
            let p: Vec<TokenTree> = piece(rng).into_iter().collect();
            trees.splice(i..=i, p);
        }
        4 => {
            let p: Vec<TokenTree> = piece(rng).into_iter().collect();
            trees.splice(i..i, p);
        }
        5 => {
            if let TokenTree::Group(g) = &trees[i] {
                let d =
                    [Delimiter::Parenthesis, Delimiter::Brace, Delimiter::Bracket][rng.usize(..3)];
                trees[i] = TokenTree::Group(Group::new(d, g.stream()));
            }
        }
        _ => {
            if let TokenTree::Group(g) = &trees[i] {
                trees[i] = TokenTree::Group(Group::new(g.delimiter(), TokenStream::new()));
            } else {
                trees.truncate(i + 1);
            }
        }
    }
    trees.into_iter().collect()
}

fn piece(rng: &mut fastrand::Rng) -> TokenStream {
    PIECES[rng.usize(..PIECES.len())].parse().expect("a piece")
}

/// A random valid function: parameters, `let`s, arithmetic, float methods,
/// branches and a loop over a slice.
fn generate(rng: &mut fastrand::Rng) -> String {
    fn expr(rng: &mut fastrand::Rng, vars: &[String], depth: usize) -> String {
        let leaf = |rng: &mut fastrand::Rng| {
            if rng.u8(..4) == 0 {
                format!("{}.{}", rng.u8(..9), rng.u8(..9))
            } else {
                vars[rng.usize(..vars.len())].clone()
            }
        };
        if depth == 0 {
            return leaf(rng);
        }
        let a = expr(rng, vars, depth - 1);
        let b = expr(rng, vars, depth - 1);
        match rng.u8(..9) {
            0 => format!("({a} + {b})"),
            1 => format!("({a} - {b})"),
            2 => format!("({a} * {b})"),
            3 => format!("({a} / (1.0 + {b} * {b}))"),
            4 => format!("({a}).sin()"),
            5 => format!("({a}).max({b})"),
            6 => format!("({a}).tanh()"),
            7 => format!("({a}).powi(2)"),
            _ => format!("(-{a})"),
        }
    }
    let mut vars = vec!["x".to_string(), "y".to_string()];
    let mut body = String::new();
    for k in 0..rng.usize(1..6) {
        let depth = rng.usize(..3);
        let e = expr(rng, &vars, depth);
        match rng.u8(..4) {
            0 => body.push_str(&format!(
                "let v{k} = if {} > 0.0 {{ {e} }} else {{ {} }};",
                vars[0],
                expr(rng, &vars, 1)
            )),
            1 => body.push_str(&format!(
                "let mut v{k} = 0.0; for w in s.iter() {{ v{k} += w * {e}; }}"
            )),
            _ => body.push_str(&format!("let v{k} = {e};")),
        }
        vars.push(format!("v{k}"));
    }
    let tail = expr(rng, &vars, 2);
    format!("fn f(x: f64, y: f64, s: &[f64]) -> f64 {{ {body} {tail} }}")
}

/// The byte range of a token stream's spans.
fn range(tokens: &TokenStream) -> Option<(usize, usize)> {
    let mut out: Option<(usize, usize)> = None;
    for t in tokens.clone() {
        let r = t.span().byte_range();
        out = Some(match out {
            None => (r.start, r.end),
            Some((lo, hi)) => (lo.min(r.start), hi.max(r.end)),
        });
    }
    out
}

/// The spans of the `compile_error!` invocations in `tokens`.
fn error_spans(tokens: &TokenStream, out: &mut Vec<std::ops::Range<usize>>) {
    let trees: Vec<TokenTree> = tokens.clone().into_iter().collect();
    for (i, t) in trees.iter().enumerate() {
        match t {
            TokenTree::Ident(id) if id == "compile_error" => {
                if let Some(TokenTree::Punct(p)) = trees.get(i + 1)
                    && p.as_char() == '!'
                {
                    out.push(id.span().byte_range());
                }
            }
            TokenTree::Group(g) => error_spans(&g.stream(), out),
            _ => {}
        }
    }
}

/// Checks one input; a failure message names it. `Ok(false)`: not an input
/// rustc would give the macro (no item).
fn check(args: &str, src: &str) -> Result<bool, String> {
    let Ok(input) = src.parse::<TokenStream>() else {
        return Ok(false); // Not tokens (an unbalanced delimiter): rustc's to report.
    };
    let Ok(args_tokens) = args.parse::<TokenStream>() else {
        return Ok(false);
    };
    // rustc calls an attribute macro only on an item that parses.
    if syn::parse2::<syn::Item>(input.clone()).is_err() {
        return Ok(false);
    }
    let Some((lo, hi)) = range(&input) else {
        return Ok(false);
    };
    let args_range = range(&args_tokens);
    let out = catch_unwind(AssertUnwindSafe(|| {
        crate::expand::expand(args_tokens.clone(), input.clone())
    }))
    .map_err(|e| {
        let what = e
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| e.downcast_ref::<String>().cloned())
            .unwrap_or_default();
        format!("the expansion panicked ({what})")
    })?;
    syn::parse2::<syn::File>(out.clone())
        .map_err(|e| format!("the output does not parse ({e}): {out}"))?;
    let mut spans = Vec::new();
    error_spans(&out, &mut spans);
    for s in spans {
        let in_input = s.start >= lo && s.end <= hi;
        let in_args = args_range.is_some_and(|(a, b)| s.start >= a && s.end <= b);
        if !(in_input || in_args) {
            return Err(format!(
                "an error is spanned at {s:?}, outside the input {lo}..{hi}: {out}"
            ));
        }
    }
    Ok(true)
}

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.replace('_', "").parse().ok())
        .unwrap_or(default)
}

#[test]
fn no_input_makes_the_expansion_panic_or_misplace_an_error() {
    let cases = env_number("AUTODIFF_FUZZ_CASES", 10_000);
    let seed = env_number("AUTODIFF_FUZZ_SEED", 0x5eed);
    let mut corpus = corpus();
    // `AUTODIFF_FUZZ_ONLY=a|b`: only the functions whose source contains
    // one of these (to search one feature's inputs).
    let only = std::env::var("AUTODIFF_FUZZ_ONLY").unwrap_or_default();
    if !only.is_empty() {
        corpus.retain(|(_, src)| only.split('|').any(|o| src.contains(o)));
        assert!(!corpus.is_empty(), "no function contains any of {only:?}");
    }
    assert!(
        !only.is_empty() || corpus.len() > 80,
        "the corpus holds the repository's #[grad] functions ({} found)",
        corpus.len()
    );
    // Every function of the corpus expands as it is.
    for (args, src) in &corpus {
        check(args, src).unwrap_or_else(|e| panic!("{src}\n{e}"));
    }
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut failures = Vec::new();
    let mut expanded = 0;
    // `cases` inputs that rustc would expand (mutations that break the item
    // are drawn again), within a bound on attempts.
    for case in 0..cases * 20 {
        if expanded >= cases {
            break;
        }
        let (args, mut tokens) = if rng.u8(..4) == 0 {
            (String::new(), generate(&mut rng).parse().expect("valid"))
        } else {
            let (args, src) = &corpus[rng.usize(..corpus.len())];
            (args.clone(), src.parse::<TokenStream>().expect("tokens"))
        };
        for _ in 0..rng.usize(..4) {
            tokens = mutate(&mut rng, tokens);
        }
        // Printed and parsed back: every token has a real span.
        let src = tokens.to_string();
        match check(&args, &src) {
            Ok(true) => expanded += 1,
            Ok(false) => {}
            Err(e) => {
                failures.push(format!("case {case}: #[grad({args})] {src}\n  {e}"));
                if failures.len() >= 5 {
                    break;
                }
            }
        }
    }
    assert!(
        expanded >= cases,
        "only {expanded} of {cases} inputs were items"
    );
    assert!(
        failures.is_empty(),
        "{} failing inputs (seed {seed}):\n{}",
        failures.len(),
        failures.join("\n")
    );
    println!(
        "robustness: {expanded} inputs expanded, seed {seed}, corpus of {} functions",
        corpus.len()
    );
}

/// Inputs the long runs (1 000 000 cases) found: a raw identifier used as a
/// constant lost its `r#`; a path through `Self` was glob-imported; an
/// array length `return` took the block of the loop the vector helper
/// writes over the outputs (`0..return { … }`: seed 20261203).
#[test]
fn the_long_runs_findings_expand() {
    for (args, src) in [
        ("", "fn f(x: f64, n: i32) -> f64 { x.powi(r#type) }"),
        ("", "fn f(x: f64) -> f64 { (r#type as f64) * x }"),
        (
            "",
            "fn loss(&self, x: f64) -> f64 { Self::f64::INFINITY(x) }",
        ),
        (
            "",
            "fn loss(&self, x: f64) -> f64 { Self::g(x) * Self::m::h(x) }",
        ),
        (
            "wrt (a)",
            "fn only_a (a : f64 , b : f64) -> [f64 ; return] { [a * b , a * a] }",
        ),
        (
            "hessian",
            "fn f (x : f64 , y : f64) -> [f64 ; return] { [x * y , y] }",
        ),
        ("", "fn f(x: f64) -> [f64; N + 1] { [x; N + 1] }"),
    ] {
        assert_eq!(check(args, src), Ok(true), "{src}");
    }
}
