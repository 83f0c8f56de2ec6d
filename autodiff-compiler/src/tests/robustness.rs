//! Robustness: the expansion, called as a library function (no proc-macro
//! boundary), on mutations of every `#[grad]` function of the repository and
//! on generated valid functions. For every input it must not panic, its
//! output must parse as Rust, and every error it reports must be spanned
//! inside the input (never at the call site).
//!
//! The mutations are made at the token level and printed back to text, so
//! every token of a mutated input has a real span. The number of cases is
//! `AUTODIFF_FUZZ_CASES` (default 2 000; 10 000 under `AUTODIFF_HEAVY=1`),
//! shared by `AUTODIFF_FUZZ_THREADS` threads (default: one per core); the
//! seed is `AUTODIFF_FUZZ_SEED`; `AUTODIFF_FUZZ_ONLY=a|b` keeps the corpus
//! functions whose source contains `a` or `b`.
//!
//! Every expansion also keeps to a deterministic budget: its output has at
//! most [`TOKEN_FACTOR`] tokens per input token (the input counted as at
//! least [`TOKEN_FLOOR`] tokens, the fixed cost of the generated
//! signatures and docs), and it holds at most [`ALLOC_BUDGET`] bytes at
//! once (a counting allocator, `tests/alloc.rs`). Wall-clock time is only a
//! hang guard: an input still expanding after [`HANG_GUARD`] stops the
//! test with that input.

use super::alloc;
use proc_macro2::{Delimiter, Group, TokenStream, TokenTree};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::{Duration, Instant};

/// Output tokens per input token an expansion may produce.
const TOKEN_FACTOR: usize = 150;
/// The least an input counts for in [`TOKEN_FACTOR`]'s budget.
const TOKEN_FLOOR: usize = 40;
/// Bytes one expansion may hold at once.
const ALLOC_BUDGET: usize = 64 << 20;
/// How long one expansion may run before the test stops with its input.
const HANG_GUARD: Duration = Duration::from_secs(30);

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
    if let Ok(entries) = std::fs::read_dir(root.join("ui-tests/tests/ui")) {
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
    // Integers and floats past every range (issue 23's findings).
    "4294967296u32",
    "4294967295",
    "18446744073709551615usize",
    "170141183460469231731687303715884105727",
    "1e309",
    "12345678901234567890123456789012345678901234",
    "T::from(1e309).unwrap()",
    "[i + 4294967296]",
    "[4294967295]",
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
            2 if rng.u8(..3) == 0 => {
                // Neighbouring reads, at offsets up to past every integer
                // type, in a loop or through `chunks_exact`.
                let off = HUGE[rng.usize(..HUGE.len())];
                if rng.bool() {
                    body.push_str(&format!(
                        "let mut v{k} = 0.0; for i in 0..s.len() {{ v{k} += s[i + {off}] * s[i] * {e}; }}"
                    ));
                } else {
                    body.push_str(&format!(
                        "let mut v{k} = 0.0; for ch in s.chunks_exact(2) {{ v{k} += ch[{off}] * ch[0] * {e}; }}"
                    ));
                }
            }
            _ => body.push_str(&format!("let v{k} = {e};")),
        }
        vars.push(format!("v{k}"));
    }
    let tail = expr(rng, &vars, 2);
    if rng.u8(..8) == 0 {
        // Generic over the float type, with a literal that may overflow it.
        let lit = [
            "1e309",
            "1e39",
            "0.5",
            "12345678901234567890123456789012345678901234",
        ][rng.usize(..4)];
        let body = body.replace("0.0", "T::zero()");
        return format!(
            "fn f<T: Float>(x: T, y: T, s: &[T]) -> T {{ {body} ({tail}) * T::from({lit}).unwrap() }}"
        );
    }
    format!("fn f(x: f64, y: f64, s: &[f64]) -> f64 {{ {body} {tail} }}")
}

/// Offsets of neighbouring reads: small, past a carry's reach, and past
/// every integer type.
const HUGE: &[&str] = &[
    "1",
    "7",
    "100",
    "4294967295",
    "4294967296u32",
    "18446744073709551615",
    "170141183460469231731687303715884105727",
];

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
    // proc-macro2's span locations (a test-only feature) keep the text of
    // every string parsed on this thread in a source map that grows without
    // end; its reallocations were counted as an expansion's memory on long
    // runs. Spans from before are not used again.
    proc_macro2::extra::invalidate_current_thread_spans();
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
    let shown = format!("#[grad({args})] {src}");
    alloc::set_current(&shown);
    let me = std::thread::current().id();
    watch().insert(me, (Instant::now(), shown));
    let (out, held) = alloc::measure(|| {
        catch_unwind(AssertUnwindSafe(|| {
            crate::expand::expand(args_tokens.clone(), input.clone())
        }))
    });
    watch().remove(&me);
    let out = out.map_err(|e| {
        let what = e
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| e.downcast_ref::<String>().cloned())
            .unwrap_or_default();
        format!("the expansion panicked ({what})")
    })?;
    syn::parse2::<syn::File>(out.clone())
        .map_err(|e| format!("the output does not parse ({e}): {out}"))?;
    let (n_in, n_out) = (count(&input) + count(&args_tokens), count(&out));
    if n_out > TOKEN_FACTOR * n_in.max(TOKEN_FLOOR) {
        return Err(format!(
            "the output has {n_out} tokens for {n_in} of input, over {TOKEN_FACTOR} per input token"
        ));
    }
    if held > ALLOC_BUDGET {
        return Err(format!(
            "the expansion held {held} bytes at once, over the budget of {ALLOC_BUDGET}"
        ));
    }
    let mut most = MOST.lock().unwrap_or_else(|e| e.into_inner());
    let r = n_out as f64 / n_in.max(TOKEN_FLOOR) as f64;
    if r > most.0 && std::env::var("AUTODIFF_FUZZ_WORST").is_ok() {
        eprintln!("worst so far {r:.1} ({n_in} -> {n_out}): #[grad({args})] {src}");
    }
    most.0 = most.0.max(r);
    most.1 = most.1.max(held);
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

/// Tokens in a stream, a group counting as one beside its contents.
fn count(tokens: &TokenStream) -> usize {
    tokens
        .clone()
        .into_iter()
        .map(|t| match t {
            TokenTree::Group(g) => 1 + count(&g.stream()),
            _ => 1,
        })
        .sum()
}

/// The most output tokens per input token, and bytes held, seen so far.
static MOST: std::sync::Mutex<(f64, usize)> = std::sync::Mutex::new((0.0, 0));

/// The expansions under way: when each started, and its input.
type Watch = std::collections::HashMap<std::thread::ThreadId, (Instant, String)>;

fn watch() -> std::sync::MutexGuard<'static, Watch> {
    static WATCH: std::sync::OnceLock<std::sync::Mutex<Watch>> = std::sync::OnceLock::new();
    WATCH
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner())
}

/// The hang guard: a thread that stops the process, naming the input, when
/// one expansion has run for [`HANG_GUARD`].
fn start_hang_guard() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        std::thread::spawn(|| {
            loop {
                std::thread::sleep(Duration::from_millis(500));
                if let Some((t, input)) = watch().values().find(|(t, _)| t.elapsed() > HANG_GUARD) {
                    eprintln!(
                        "an expansion has run for {:.1?}, over {HANG_GUARD:?}; its input:\n{input}",
                        t.elapsed()
                    );
                    std::process::exit(101);
                }
            }
        });
    });
}

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.replace('_', "").parse().ok())
        .unwrap_or(default)
}

#[test]
fn no_input_makes_the_expansion_panic_or_misplace_an_error() {
    start_hang_guard();
    let heavy = std::env::var("AUTODIFF_HEAVY").is_ok_and(|v| v == "1");
    let cases = env_number("AUTODIFF_FUZZ_CASES", if heavy { 10_000 } else { 2_000 });
    let began = Instant::now();
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
    // `AUTODIFF_FUZZ_THREADS` threads (default: one per core) share the
    // cases; thread `t` draws from the seed `seed + t` (thread 0 from
    // `seed` itself).
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get() as u64);
    let threads = env_number("AUTODIFF_FUZZ_THREADS", cores).max(1);
    let corpus = &corpus;
    let results: Vec<(u64, Vec<String>)> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|t| {
                let share = cases / threads + u64::from(t < cases % threads);
                scope.spawn(move || fuzz(corpus, seed.wrapping_add(t), share))
            })
            .collect();
        workers
            .into_iter()
            .map(|w| w.join().expect("a fuzzing thread"))
            .collect()
    });
    let expanded: u64 = results.iter().map(|r| r.0).sum();
    let failures: Vec<String> = results.into_iter().flat_map(|r| r.1).collect();
    assert!(
        failures.is_empty(),
        "{} failing inputs (seed {seed}):\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(
        expanded >= cases,
        "only {expanded} of {cases} inputs were items"
    );
    let most = *MOST.lock().unwrap_or_else(|e| e.into_inner());
    println!(
        "robustness: {expanded} inputs expanded in {:.1?}, seed {seed}, corpus of {} functions; \
         most output tokens per input token {:.1} (budget {TOKEN_FACTOR}), most bytes held {} (budget {ALLOC_BUDGET})",
        began.elapsed(),
        corpus.len(),
        most.0,
        most.1,
    );
}

/// Expands `cases` inputs drawn from `seed`: mutations of the corpus and
/// generated functions. Returns how many expanded and the failures (at
/// most five).
fn fuzz(corpus: &[(String, String)], seed: u64, cases: u64) -> (u64, Vec<String>) {
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
            Ok(true) => {
                expanded += 1;
                if expanded % 100_000 == 0 {
                    eprintln!("robustness: seed {seed}, {expanded} of {cases} inputs expanded");
                }
            }
            Ok(false) => {}
            Err(e) => {
                let failure = format!("seed {seed}, case {case}: #[grad({args})] {src}\n  {e}");
                // Printed at once too: a long run that another thread's
                // failure stops still shows this one.
                eprintln!("robustness: {failure}");
                failures.push(failure);
                if failures.len() >= 5 {
                    break;
                }
            }
        }
    }
    (expanded, failures)
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
        // The million-input run: `return` as an operand (a type error in
        // Rust, `f64 + !`) left the sum undefined in the IR, which the
        // verifier rejects (seed 20261208, case 163241).
        (
            "",
            "fn f(x: f64, y: f64) -> f64 { let a = x * y; a + return y * 2.0 }",
        ),
        (
            "",
            "fn f(x: &[f64]) -> f64 { let mut s = 0.0; for v in x { s += v * (return s); } s }",
        ),
        // Seed 20261208, case 430283: an integer as a float branch's value.
        (
            "forward, hessian",
            "fn soft(z: f64) -> f64 { if z > 20.0 { 1 } else { (1.0 + z.exp()).ln() } }",
        ),
        // Seed 20261208, case 737703: `continue` as an operand of `<`.
        (
            "",
            "fn f(a: f64) -> f64 { let mut x = a; let mut n = 0; while x > 1.0 && n < continue { x = x / 2.0; n += 1; } x }",
        ),
    ] {
        assert_eq!(check(args, src), Ok(true), "{src}");
    }
}

/// Issue 23's findings: neighbouring reads at offsets far apart asked for
/// one carried value per element between them (`x[i + 4294967296u32]`:
/// 2³² values, rustc killed; `x[i + k]` grew with `k`), and a generic
/// function's literal past its float type panicked (`1e309`). Each now
/// expands within the budget, and the output stays the same size whatever
/// the offset.
#[test]
fn huge_offsets_and_overflowing_literals_expand_within_budget() {
    let size = |src: &str| {
        assert_eq!(check("", src), Ok(true), "{src}");
        count(&crate::expand::expand(
            TokenStream::new(),
            src.parse().expect("tokens"),
        ))
    };
    let shifted = |k: &str| {
        format!(
            "fn f(x: &[f64]) -> f64 {{ let mut s = 0.0; for i in 0..x.len() - 1 {{ let a = x[i + {k}] - x[i] * x[i]; s += a * a; }} s }}"
        )
    };
    // A few tokens apart at most (a literal's suffix), not `k` apart.
    let small = size(&shifted("100"));
    for k in [
        "1000",
        "10000",
        "4294967295",
        "4294967296u32",
        "9223372036854775807",
    ] {
        let n = size(&shifted(k));
        assert!(
            n <= small + 16,
            "x[i + {k}]: {n} tokens, {small} at x[i + 100]"
        );
    }
    let chunks = |k: &str| {
        format!(
            "fn f(x: &[f64]) -> f64 {{ let mut s = 0.0; for ch in x.chunks_exact(2) {{ s += ch[{k}] * ch[0]; }} s }}"
        )
    };
    let (big, small) = (size(&chunks("4294967295")), size(&chunks("1000")));
    assert!(
        big <= small + 16,
        "ch[4294967295]: {big} tokens, {small} at ch[1000]"
    );
    // Constant indices of any size, into arrays, slices and rows: within
    // the budget (`check` enforces it), the same size as a small index.
    for (big, small) in [
        (
            "fn f(x: [f64; 3]) -> f64 { x[4294967295] * x[0] }",
            "fn f(x: [f64; 3]) -> f64 { x[2] * x[0] }",
        ),
        (
            "fn f(x: &[f64]) -> f64 { x[18446744073709551615] * x[0] }",
            "fn f(x: &[f64]) -> f64 { x[2] * x[0] }",
        ),
        (
            "fn f(x: [[f64; 2]; 2]) -> f64 { x[4294967296][0] * x[0][1] }",
            "fn f(x: [[f64; 2]; 2]) -> f64 { x[1][0] * x[0][1] }",
        ),
    ] {
        let (big_n, small_n) = (size(big), size(small));
        assert!(
            big_n <= small_n + 16,
            "{big}: {big_n} tokens, {small_n} with a small index"
        );
    }
    for lit in [
        "1e309",
        "1e39",
        "12345678901234567890123456789012345678901234.0",
    ] {
        let src = format!(
            "fn f<T: Float>(x: T) -> T {{ x * T::from({lit}).unwrap() + T::from(-{lit}).unwrap() }}"
        );
        assert_eq!(check("", &src), Ok(true), "{src}");
    }
}

/// The million-input run (seed 20261208) found functions whose value is not
/// a float (`x < x`, a slice, an array): lowering assigned it to the float
/// result, which the IR verifier rejects. Each is now a compile error.
#[test]
fn a_value_that_is_not_a_float_is_an_error() {
    for src in [
        "fn f(x: f64) -> f64 { x < x }",
        "fn f(x: &[f64]) -> f64 { x }",
        "fn f(a: [f64; 2]) -> f64 { a }",
        "fn f(x: &[f64]) -> f64 { *x }",
        "fn f(x: &[f64]) -> f64 { let mut s = 0.0; for v in x { s += v; } x }",
    ] {
        assert_eq!(check("", src), Ok(true), "{src}");
        let out = crate::expand::expand(TokenStream::new(), src.parse().expect("tokens"));
        assert!(out.to_string().contains("must be a float"), "{src}: {out}");
    }
}
