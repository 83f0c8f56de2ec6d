//! Coverage: how often each construct was generated, counted by the build
//! script and written into `meta.rs` for the test that checks it.

use std::collections::BTreeMap;
use std::fmt::Write as _;

/// Counts by name (an op, a statement kind, a construct).
///
/// ```
/// use autodiff_difftest_harness::Coverage;
///
/// let mut c = Coverage::default();
/// c.add("exp", 2);
/// c.add("while", 1);
/// c.add("exp", 1);
/// assert_eq!((c.get("exp"), c.get("for")), (3, 0));
/// let mut out = String::new();
/// c.write_table(&mut out, "(construct, uses).", "USES", ["while", "for"]);
/// assert_eq!(
///     out,
///     "/// (construct, uses).\npub static USES: &[(&str, usize)] = &[\n    (\"while\", 1),\n    (\"for\", 0),\n];\n"
/// );
/// ```
#[derive(Clone, Default, Debug)]
pub struct Coverage {
    counts: BTreeMap<String, usize>,
}

impl Coverage {
    /// Counts `n` more uses of `name`.
    pub fn add(&mut self, name: &str, n: usize) {
        match self.counts.get_mut(name) {
            Some(c) => *c += n,
            None => {
                self.counts.insert(name.to_string(), n);
            }
        }
    }

    /// Adds every count of `other`.
    pub fn merge(&mut self, other: &Coverage) {
        for (name, n) in &other.counts {
            self.add(name, *n);
        }
    }

    /// Uses of `name` (0 if none).
    pub fn get(&self, name: &str) -> usize {
        self.counts.get(name).copied().unwrap_or_default()
    }

    /// The names counted, in alphabetical order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.counts.keys().map(String::as_str)
    }

    /// Writes `/// <doc>` and `pub static <name>: &[(&str, usize)]`: each of
    /// `names`, in that order, with its count.
    pub fn write_table<'a>(
        &self,
        out: &mut String,
        doc: &str,
        name: &str,
        names: impl IntoIterator<Item = &'a str>,
    ) {
        writeln!(out, "/// {doc}\npub static {name}: &[(&str, usize)] = &[").unwrap();
        for k in names {
            writeln!(out, "    (\"{k}\", {}),", self.get(k)).unwrap();
        }
        writeln!(out, "];").unwrap();
    }
}
