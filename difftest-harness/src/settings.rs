//! The settings of a generated run: what a build script reads from the
//! environment ([`Config::read_env`]) and writes out (the shard files and
//! `meta.rs`), and what the test binaries see of it ([`Run`]).

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::Path;

use crate::report::Report;

/// Parses a seed, decimal or `0x` hex, `_` separators allowed.
///
/// ```
/// use autodiff_difftest_harness::parse_seed;
///
/// assert_eq!(parse_seed(" 0xd1ff_7e57 "), Ok(0xd1ff_7e57));
/// assert_eq!(parse_seed("0X10"), Ok(16));
/// assert_eq!(parse_seed("1_000"), Ok(1000));
/// assert!(parse_seed("seed").is_err());
/// ```
pub fn parse_seed(s: &str) -> Result<u64, std::num::ParseIntError> {
    let s = s.trim().replace('_', "");
    match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(hex) => u64::from_str_radix(hex, 16),
        None => s.parse::<u64>(),
    }
}

/// What is fixed about one generator: its name, its environment variables
/// and its defaults.
#[derive(Clone, Copy, Debug)]
pub struct Config {
    /// The crate's folder (`"difftest"`), for the generated files' header
    /// and the test output.
    pub name: &'static str,
    /// Prefix of the environment variables (`"AUTODIFF_DIFFTEST"`): `_N`,
    /// `_FIRST`, `_SEED`, `_EXCLUDE`, `_NO_MACRO`.
    pub env_prefix: &'static str,
    /// Number of functions when `_N` is unset: the quick test command's.
    pub default_n: usize,
    /// Number of functions when `_N` is unset and `AUTODIFF_HEAVY=1`: the
    /// heavy command's (README, "Tests").
    pub heavy_n: usize,
    /// Seed when `_SEED` is unset.
    pub default_seed: u64,
    /// Left out when `_EXCLUDE` is unset (set, even to the empty string, it
    /// replaces this list).
    pub default_exclude: &'static [&'static str],
    /// Test binaries the functions are split into.
    pub shards: usize,
    /// Functions per generated file.
    pub part_size: usize,
}

/// The settings of one run of a generator: its [`Config`] and what the
/// environment chose.
#[derive(Clone, Debug)]
pub struct Settings {
    /// The generator.
    pub config: Config,
    /// Number of functions.
    pub n: usize,
    /// Index of the first function.
    pub first: usize,
    /// The seed every function's stream is derived from.
    pub seed: u64,
    /// Emit the functions without `#[grad]`.
    pub no_macro: bool,
    /// Names of what to leave out.
    pub exclude: BTreeSet<String>,
}

impl Config {
    /// Reads the environment variables (`<prefix>_N`, `_FIRST`, `_SEED`,
    /// `_EXCLUDE`: comma-separated, each one of `excludable`,
    /// `_NO_MACRO=1`, and `AUTODIFF_HEAVY=1` for [`Config::heavy_n`]) and tells cargo to re-run the build script when one
    /// changes. Panics, failing the build, on a malformed value.
    ///
    /// ```
    /// use autodiff_difftest_harness::Config;
    ///
    /// let config = Config {
    ///     name: "example",
    ///     env_prefix: "AUTODIFF_HARNESS_DOCTEST",
    ///     default_n: 40,
    ///     heavy_n: 500,
    ///     default_seed: 7,
    ///     default_exclude: &["while"],
    ///     shards: 4,
    ///     part_size: 200,
    /// };
    /// let s = config.read_env(&["while", "for"]);
    /// let n = if std::env::var("AUTODIFF_HEAVY").is_ok_and(|v| v == "1") { 500 } else { 40 };
    /// assert_eq!((s.n, s.first, s.seed, s.no_macro), (n, 0, 7, false));
    /// assert!(s.exclude.contains("while"));
    /// ```
    pub fn read_env(self, excludable: &[&str]) -> Settings {
        let var = |suffix: &str| {
            let name = format!("{}_{suffix}", self.env_prefix);
            println!("cargo:rerun-if-env-changed={name}");
            let value = std::env::var(&name).ok();
            (name, value)
        };
        let number = |suffix: &str, default: usize| {
            let (name, value) = var(suffix);
            value.map_or(default, |s| {
                s.trim()
                    .parse::<usize>()
                    .unwrap_or_else(|_| panic!("{name} must be a number"))
            })
        };
        println!("cargo:rerun-if-env-changed=AUTODIFF_HEAVY");
        let heavy = std::env::var("AUTODIFF_HEAVY").is_ok_and(|v| v == "1");
        let n = number("N", if heavy { self.heavy_n } else { self.default_n });
        let first = number("FIRST", 0);
        let (name, value) = var("SEED");
        let seed = value.map_or(self.default_seed, |s| {
            parse_seed(&s).unwrap_or_else(|_| panic!("{name} must be a decimal or 0x-hex u64"))
        });
        let no_macro = var("NO_MACRO").1.is_some_and(|v| v == "1");
        let (name, value) = var("EXCLUDE");
        let exclude: BTreeSet<String> = value
            .unwrap_or_else(|| self.default_exclude.join(","))
            .split(',')
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect();
        for x in &exclude {
            assert!(
                excludable.contains(&x.as_str()),
                "{name}: unknown name `{x}`; one of {excludable:?}"
            );
        }
        Settings {
            config: self,
            n,
            first,
            seed,
            no_macro,
            exclude,
        }
    }
}

impl Settings {
    /// The first line of every generated file, and a blank line.
    pub fn header(&self) -> String {
        format!(
            "// Generated by {}/build.rs: N = {} from gen_{}, seed = {:#x}, excluded = {:?}.\n\n",
            self.config.name, self.n, self.first, self.seed, self.exclude
        )
    }

    /// Writes the shards into `out`: for each shard `s`, the files
    /// `part_<s>_<k>.rs` of up to `part_size` functions each, and
    /// `shard_<s>.rs`, which includes them as modules `part_<s>_<k>` and
    /// ends with the table `pub static CASES: &[Case]`.
    ///
    /// `emit(i, module, code, table)` generates function `i` (in increasing
    /// order), writes its code into `code` (the file of module `module`) and
    /// its row of `CASES` into `table`.
    pub fn write_shards(
        &self,
        out: &Path,
        mut emit: impl FnMut(usize, &str, &mut String, &mut String),
    ) {
        let (n, first) = (self.n, self.first);
        let Config {
            shards, part_size, ..
        } = self.config;
        for shard in 0..shards {
            let (lo, hi) = (first + shard * n / shards, first + (shard + 1) * n / shards);
            let mut root = self.header();
            let mut table = String::new();
            for (part, start) in (lo..hi).step_by(part_size).enumerate() {
                let module = format!("part_{shard}_{part}");
                let mut code = String::new();
                for i in start..(start + part_size).min(hi) {
                    emit(i, &module, &mut code, &mut table);
                }
                std::fs::write(out.join(format!("{module}.rs")), code).unwrap();
                writeln!(
                    root,
                    "pub mod {module} {{\n    use super::*;\n    include!(concat!(env!(\"OUT_DIR\"), \"/{module}.rs\"));\n}}"
                )
                .unwrap();
            }
            writeln!(root, "pub static CASES: &[Case] = &[\n{table}];").unwrap();
            std::fs::write(out.join(format!("shard_{shard}.rs")), root).unwrap();
        }
    }

    /// The start of `meta.rs`: the header, the constants `N`, `FIRST`,
    /// `SHARDS`, `SEED`, `NO_MACRO`, `EXCLUDED`, and `RUN` (a [`Run`]).
    pub fn meta(&self) -> String {
        let mut meta = self.header();
        writeln!(meta, "pub const N: usize = {};", self.n).unwrap();
        writeln!(meta, "pub const FIRST: usize = {};", self.first).unwrap();
        writeln!(meta, "pub const SHARDS: usize = {};", self.config.shards).unwrap();
        writeln!(meta, "pub const SEED: u64 = {:#x};", self.seed).unwrap();
        writeln!(meta, "pub const NO_MACRO: bool = {};", self.no_macro).unwrap();
        writeln!(
            meta,
            "pub const EXCLUDED: &[&str] = &{:?};",
            self.exclude.iter().collect::<Vec<_>>()
        )
        .unwrap();
        writeln!(
            meta,
            "/// This run, for the tests.\npub const RUN: autodiff_difftest_harness::Run = \
             autodiff_difftest_harness::Run {{ name: {:?}, env_prefix: {:?}, n: N, first: FIRST, \
             shards: SHARDS, seed: SEED, no_macro: NO_MACRO, excluded: EXCLUDED }};",
            self.config.name, self.config.env_prefix
        )
        .unwrap();
        meta
    }
}

/// A run as the test binaries see it (the constant `RUN` of the generated
/// `meta.rs`).
#[derive(Clone, Copy, Debug)]
pub struct Run {
    /// The generator's crate folder ([`Config::name`]).
    pub name: &'static str,
    /// Prefix of its environment variables ([`Config::env_prefix`]).
    pub env_prefix: &'static str,
    /// Number of functions.
    pub n: usize,
    /// Index of the first function.
    pub first: usize,
    /// Test binaries the functions are split into.
    pub shards: usize,
    /// The seed.
    pub seed: u64,
    /// Generated without `#[grad]`.
    pub no_macro: bool,
    /// What was left out.
    pub excluded: &'static [&'static str],
}

impl Run {
    /// One line saying what shard `shard` checks.
    pub fn header(&self, shard: usize) -> String {
        format!(
            "{} shard {shard}/{}: N = {} in total from gen_{}, seed = {:#x}, excluded = {:?}",
            self.name, self.shards, self.n, self.first, self.seed, self.excluded
        )
    }

    /// The test comparing `#[grad]` with the oracle on shard `shard`: prints
    /// the header, runs `check` (unless the functions were generated without
    /// the macro), prints its report and the first 20 failures, and panics
    /// if anything failed or if more than `max_skip_fraction` of the points
    /// (rounded up) were skipped.
    ///
    /// ```
    /// use autodiff_difftest_harness::{Report, Run};
    ///
    /// let run = Run {
    ///     name: "example",
    ///     env_prefix: "EXAMPLE",
    ///     n: 1,
    ///     first: 0,
    ///     shards: 1,
    ///     seed: 7,
    ///     no_macro: false,
    ///     excluded: &[],
    /// };
    /// run.assert_matches_oracle(0, 0.01, || Report { points: 4, ..Report::default() });
    /// ```
    #[track_caller]
    pub fn assert_matches_oracle(
        &self,
        shard: usize,
        max_skip_fraction: f64,
        check: impl FnOnce() -> Report,
    ) {
        println!("{}", self.header(shard));
        let env = self.env_prefix;
        if self.no_macro {
            println!("{env}_NO_MACRO=1: #[grad] not applied, nothing to compare");
            return;
        }
        let report = check();
        report.print("", 20);
        assert!(
            report.failures.is_empty(),
            "{} mismatches between #[grad] and num-dual (the first ones are printed above; \
             reproduce one with {env}_SEED={:#x} {env}_FIRST=<i> {env}_N=1 for gen_<i>)",
            report.failures.len(),
            self.seed,
        );
        let allowed = (report.points as f64 * max_skip_fraction).ceil();
        assert!(
            report.skipped() as f64 <= allowed,
            "too many skipped points: {} of {}",
            report.skipped(),
            report.points
        );
    }
}
