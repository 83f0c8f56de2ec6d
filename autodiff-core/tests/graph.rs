//! The circuit view: `Graph` built by hand as generated code builds it, and
//! its renderings (table, DOT, Mermaid, SVG).

use autodiff_core::Graph;
use layout::gv::DotParser;
use layout::gv::parser::ast;

/// The lecture's circuit `q = x + y; f = q * z` at x = -2, y = 5, z = -4,
/// with the gradients a reverse pass sets.
fn lecture() -> Graph {
    let mut graph = Graph::new();
    let x = graph.push("x", "input", -2.0, &[]);
    let y = graph.push("y", "input", 5.0, &[]);
    let z = graph.push("z", "input", -4.0, &[]);
    let q = graph.push("q", "add", 3.0, &[x, y]);
    let f = graph.push("q * z", "mul", -12.0, &[q, z]);
    graph.set_output(f);
    graph.set_grad(f, 1.0);
    graph.set_grad(q, -4.0);
    graph.set_grad(z, 3.0);
    // `add` distributes the upstream gradient: accumulate it as a reverse
    // pass does.
    graph.add_grad(x, -4.0);
    graph.add_grad(y, -4.0);
    graph
}

/// A graph that reached its cap of 2 nodes: the third push is dropped.
fn truncated() -> Graph {
    let mut graph = Graph::with_cap(2);
    let x = graph.push("x", "input", 1.0, &[]);
    let y = graph.push("y", "input", 2.0, &[]);
    let sum = graph.push("x + y", "add", 3.0, &[x, y]);
    assert_eq!(sum, usize::MAX);
    // Generated code goes on with the index it got back.
    let double = graph.push("2 * (x + y)", "mul", 6.0, &[sum]);
    assert_eq!(double, usize::MAX);
    graph.set_output(double);
    graph.set_grad(double, 1.0);
    graph.add_grad(sum, 2.0);
    graph.add_grad(x, 2.0);
    graph.add_grad(y, 2.0);
    graph
}

#[test]
fn accessors_return_what_was_pushed() {
    let graph = lecture();
    let rows: Vec<(&str, &str, f64, f64, Vec<usize>)> = graph
        .nodes()
        .iter()
        .map(|n| (n.label(), n.op(), n.value(), n.grad(), n.inputs().to_vec()))
        .collect();
    assert_eq!(
        rows,
        [
            ("x", "input", -2.0, -4.0, vec![]),
            ("y", "input", 5.0, -4.0, vec![]),
            ("z", "input", -4.0, 3.0, vec![]),
            ("q", "add", 3.0, -4.0, vec![0, 1]),
            ("q * z", "mul", -12.0, 1.0, vec![3, 2]),
        ]
    );
    assert_eq!(graph.output(), Some(4));
    assert!(!graph.is_truncated());
    assert_eq!(graph, graph.clone());
    assert_eq!(Graph::default(), Graph::new());
}

#[test]
fn push_returns_consecutive_indices() {
    let mut graph = Graph::new();
    let indices: Vec<usize> = (0..4)
        .map(|i| graph.push("v", "const", f64::from(i), &[]))
        .collect();
    assert_eq!(indices, [0, 1, 2, 3]);
}

#[test]
fn grads_start_at_zero_set_replaces_and_add_accumulates() {
    let mut graph = Graph::new();
    let x = graph.push("x", "input", 3.0, &[]);
    let square = graph.push("x * x", "mul", 9.0, &[x, x]);
    assert_eq!(graph.nodes()[x].grad(), 0.0);
    graph.set_grad(square, 5.0);
    graph.set_grad(square, 1.0);
    // `mul` swaps: each operand gets upstream * the other operand, twice.
    graph.add_grad(x, 3.0);
    graph.add_grad(x, 3.0);
    assert_eq!(graph.nodes()[square].grad(), 1.0);
    assert_eq!(graph.nodes()[x].grad(), 6.0);
    assert_eq!(graph.nodes()[square].inputs(), &[x, x]);
}

#[test]
fn builder_ignores_indices_of_no_node() {
    let mut graph = Graph::new();
    let x = graph.push("x", "input", 1.0, &[]);
    let y = graph.push("y", "neg", -1.0, &[usize::MAX, x, 7]);
    assert_eq!(graph.nodes()[y].inputs(), &[x]);
    // An input must come before its node: a node cannot feed itself.
    let z = graph.push("z", "neg", 1.0, &[2]);
    assert_eq!(graph.nodes()[z].inputs(), &[] as &[usize]);

    let before = graph.clone();
    graph.set_grad(usize::MAX, 1.0);
    graph.set_grad(3, 1.0);
    graph.add_grad(usize::MAX, 1.0);
    graph.add_grad(3, 1.0);
    graph.set_output(3);
    assert_eq!(graph, before);
    assert_eq!(graph.output(), None);
}

#[test]
fn display_is_an_aligned_table() {
    assert_eq!(
        lecture().to_string(),
        "\
node  op     label  inputs  value  grad
   0  input  x                 -2    -4
   1  input  y                  5    -4
   2  input  z                 -4     3
   3  add    q      0, 1        3    -4
   4  mul    q * z  3, 2      -12     1  (output)
"
    );
}

#[test]
fn display_of_an_empty_graph_is_the_header() {
    assert_eq!(
        Graph::new().to_string(),
        "node  op  label  inputs  value  grad\n"
    );
}

#[test]
fn numbers_are_compact() {
    let mut graph = Graph::new();
    for value in [
        2.0 / 3.0,
        -0.5,
        100.0,
        -0.0,
        1.5e-7,
        -2.5e12,
        f64::NAN,
        f64::INFINITY,
        f64::NEG_INFINITY,
    ] {
        graph.push("v", "const", value, &[]);
    }
    let values: Vec<String> = graph
        .to_string()
        .lines()
        .skip(1)
        .map(|line| line.split_whitespace().nth(3).unwrap().to_owned())
        .collect();
    assert_eq!(
        values,
        [
            "0.6667", "-0.5", "100", "0", "1.5e-7", "-2.5e12", "NaN", "inf", "-inf"
        ]
    );
}

#[test]
fn labels_show_on_one_line() {
    let mut graph = Graph::new();
    graph.push("a\n    + b", "add", 1.0, &[]);
    assert_eq!(graph.nodes()[0].label(), "a\n    + b");
    assert!(graph.to_string().contains("  a + b  "));
    assert!(graph.to_dot().contains("<b>a + b</b>"));
    assert!(graph.to_mermaid().contains("n0[\"a + b<br/>"));
}

/// Replaces each Graphviz HTML-like string `<...>` with a quoted string, the
/// one kind of DOT syntax that `layout-rs`'s parser lacks, and checks that its
/// markup is balanced.
fn quote_html_strings(dot: &str) -> String {
    let mut out = String::new();
    let mut chars = dot.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => {
                out.push(c);
                while let Some(c) = chars.next() {
                    out.push(c);
                    if c == '\\' {
                        out.extend(chars.next());
                    } else if c == '"' {
                        break;
                    }
                }
            }
            '<' => {
                let mut depth = 1;
                let mut html = String::new();
                for c in chars.by_ref() {
                    depth += match c {
                        '<' => 1,
                        '>' => -1,
                        _ => 0,
                    };
                    if depth == 0 {
                        break;
                    }
                    html.push(c);
                }
                assert_eq!(depth, 0, "unclosed HTML-like string in {dot}");
                check_balanced(&format!("<label>{html}</label>"));
                out.push('"');
                out.push_str(&html.replace('"', "\\\""));
                out.push('"');
            }
            _ => out.push(c),
        }
    }
    out
}

/// Asserts that the tags of an XML-like text nest properly; returns how many
/// elements each tag name opens.
fn check_balanced(text: &str) -> std::collections::BTreeMap<String, usize> {
    let mut counts = std::collections::BTreeMap::new();
    let mut open: Vec<String> = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find('<') {
        let end = rest[start..]
            .find('>')
            .unwrap_or_else(|| panic!("unclosed tag in {text}"))
            + start;
        let tag = &rest[start + 1..end];
        rest = &rest[end + 1..];
        if tag.starts_with('?') || tag.starts_with('!') {
            continue;
        }
        if let Some(name) = tag.strip_prefix('/') {
            assert_eq!(
                open.pop().as_deref(),
                Some(name),
                "mismatched </{name}> in {text}"
            );
            continue;
        }
        let name = tag
            .split(|c: char| c.is_whitespace() || c == '/')
            .next()
            .unwrap()
            .to_owned();
        assert!(!name.is_empty(), "empty tag in {text}");
        *counts.entry(name.clone()).or_insert(0) += 1;
        if !tag.ends_with('/') {
            open.push(name);
        }
    }
    assert!(open.is_empty(), "unclosed {open:?} in {text}");
    counts
}

/// The node statements (id, attributes) and edges (from, to) of a DOT text,
/// as `layout-rs`'s parser reads it.
type ParsedDot = (Vec<(String, Vec<(String, String)>)>, Vec<(String, String)>);

fn parse_dot(dot: &str) -> ParsedDot {
    let quoted = quote_html_strings(dot);
    let parsed = DotParser::new(&quoted)
        .process()
        .unwrap_or_else(|err| panic!("layout-rs cannot parse the DOT ({err}):\n{quoted}"));
    let mut nodes = Vec::new();
    let mut edges = Vec::new();
    for stmt in &parsed.list.list {
        match stmt {
            ast::Stmt::Node(node) => nodes.push((node.id.name.clone(), node.list.list.clone())),
            ast::Stmt::Edge(edge) => {
                let mut from = edge.from.name.clone();
                for (to, _) in &edge.to {
                    edges.push((from, to.name.clone()));
                    from = to.name.clone();
                }
            }
            ast::Stmt::Attribute(_) | ast::Stmt::SubGraph(_) => {}
        }
    }
    (nodes, edges)
}

fn attribute<'a>(attributes: &'a [(String, String)], name: &str) -> Option<&'a str> {
    attributes
        .iter()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.as_str())
}

#[test]
fn dot_parses_and_shows_every_gate() {
    let graph = lecture();
    let dot = graph.to_dot();
    let (nodes, edges) = parse_dot(&dot);

    let ids: Vec<&str> = nodes.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(ids, ["n0", "n1", "n2", "n3", "n4"]);
    for ((_, attributes), node) in nodes.iter().zip(graph.nodes()) {
        let label = attribute(attributes, "label").unwrap();
        let value = format!("<font color=\"darkgreen\">value {}</font>", node.value());
        let grad = format!("<font color=\"red\">grad {}</font>", node.grad());
        assert!(
            label.contains(&format!("<b>{}</b>", node.label())),
            "{label}"
        );
        assert!(label.contains(node.op()), "{label}");
        assert!(label.contains(&value), "{label}");
        assert!(label.contains(&grad), "{label}");
    }
    let output: Vec<&str> = nodes
        .iter()
        .filter(|(_, attributes)| attribute(attributes, "peripheries") == Some("2"))
        .map(|(id, _)| id.as_str())
        .collect();
    assert_eq!(output, ["n4"]);

    let edges: Vec<(&str, &str)> = edges
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    assert_eq!(
        edges,
        [("n0", "n3"), ("n1", "n3"), ("n3", "n4"), ("n2", "n4")]
    );
    assert!(
        dot.starts_with("digraph circuit {\n  rankdir=LR;\n"),
        "{dot}"
    );
}

#[test]
fn dot_escapes_labels() {
    let mut graph = Graph::new();
    graph.push("a < b && c > \"d\"", "cmp", 1.0, &[]);
    let dot = graph.to_dot();
    assert!(
        dot.contains("<b>a &lt; b &amp;&amp; c &gt; &quot;d&quot;</b>"),
        "{dot}"
    );
    assert_eq!(parse_dot(&dot).0.len(), 1);
}

#[test]
fn dot_of_an_empty_graph_parses() {
    assert_eq!(parse_dot(&Graph::new().to_dot()), (vec![], vec![]));
}

#[test]
fn mermaid_is_a_flowchart() {
    assert_eq!(
        lecture().to_mermaid(),
        r#"flowchart LR
    n0["x<br/>input<br/>value -2 / grad -4"]
    n1["y<br/>input<br/>value 5 / grad -4"]
    n2["z<br/>input<br/>value -4 / grad 3"]
    n3["q<br/>add<br/>value 3 / grad -4"]
    n4["q * z<br/>mul<br/>value -12 / grad 1"]
    n0 --> n3
    n1 --> n3
    n3 --> n4
    n2 --> n4
    classDef output stroke-width:3px
    class n4 output
"#
    );
}

#[test]
fn mermaid_escapes_what_it_would_read() {
    let mut graph = Graph::new();
    graph.push("say \"hi\" #1 <b> & `x`", "f", 1.0, &[]);
    let mermaid = graph.to_mermaid();
    assert!(
        mermaid.contains("n0[\"say #quot;hi#quot; #35;1 #lt;b#gt; #amp; #96;x#96;<br/>f<br/>"),
        "{mermaid}"
    );
}

#[test]
fn cap_truncates_without_panicking() {
    let graph = truncated();
    assert!(graph.is_truncated());
    assert_eq!(graph.nodes().len(), 2);
    assert_eq!(graph.output(), None);
    assert_eq!(graph.nodes()[0].grad(), 2.0);
    assert_eq!(graph.nodes()[1].grad(), 2.0);

    let note = "truncated: the graph holds at most 2 nodes; 2 more nodes were not recorded";
    assert_eq!(
        graph.to_string(),
        format!(
            "\
node  op     label  inputs  value  grad
   0  input  x                  1     2
   1  input  y                  2     2
note: {note}
"
        )
    );

    let dot = graph.to_dot();
    assert!(dot.contains(&format!("  // {note}\n")), "{dot}");
    let (nodes, edges) = parse_dot(&dot);
    let (id, attributes) = &nodes[0];
    assert_eq!(id, "truncated");
    assert_eq!(attribute(attributes, "label"), Some(note));
    assert_eq!(nodes.len(), 3);
    assert!(edges.is_empty());

    let mermaid = graph.to_mermaid();
    assert!(
        mermaid.contains(&format!("    truncated[\"{note}\"]\n")),
        "{mermaid}"
    );
    assert!(mermaid.contains("    class truncated note\n"), "{mermaid}");
}

#[test]
fn cap_zero_records_nothing() {
    let mut graph = Graph::with_cap(0);
    assert_eq!(graph.push("x", "input", 1.0, &[]), usize::MAX);
    assert!(graph.is_truncated());
    assert!(graph.nodes().is_empty());
    assert!(
        graph
            .to_string()
            .ends_with("1 more node was not recorded\n")
    );
}

#[test]
fn default_cap_is_ten_thousand() {
    let mut graph = Graph::new();
    for i in 0..10_000 {
        assert_eq!(graph.push("v", "const", 0.0, &[]), i);
    }
    assert!(!graph.is_truncated());
    assert_eq!(graph.push("v", "const", 0.0, &[]), usize::MAX);
    assert!(graph.is_truncated());
}

#[cfg(feature = "svg")]
mod svg {
    use super::{Graph, check_balanced, lecture, truncated};

    /// The number of each SVG element in a well-formed SVG document.
    fn elements(svg: &str) -> std::collections::BTreeMap<String, usize> {
        assert!(
            svg.starts_with("<svg ") || svg.starts_with("<?xml"),
            "{svg}"
        );
        assert!(svg.trim_end().ends_with("</svg>"), "{svg}");
        check_balanced(svg)
    }

    #[test]
    fn svg_draws_one_box_per_gate_with_coloured_numbers() {
        let graph = lecture();
        let svg = graph.to_svg();
        let counts = elements(&svg);
        assert_eq!(counts.get("svg"), Some(&1));
        assert_eq!(counts.get("rect"), Some(&graph.nodes().len()), "{svg}");
        // One edge per operand.
        assert_eq!(counts.get("path"), Some(&4), "{svg}");
        for node in graph.nodes() {
            let value = format!("fill=\"darkgreen\">value {}</text>", node.value());
            let grad = format!("fill=\"red\">grad {}</text>", node.grad());
            assert!(svg.contains(&value), "{value} in {svg}");
            assert!(svg.contains(&grad), "{grad} in {svg}");
            assert!(svg.contains(&format!(">{}</text>", node.label())), "{svg}");
        }
        // The output box has the thick border.
        assert_eq!(svg.matches("stroke-width=\"3\"").count(), 1, "{svg}");
    }

    #[test]
    fn svg_escapes_labels() {
        let mut graph = Graph::new();
        graph.push("a < b & c", "cmp", 1.0, &[]);
        let svg = graph.to_svg();
        elements(&svg);
        assert!(svg.contains(">a &lt; b &amp; c</text>"), "{svg}");
    }

    #[test]
    fn svg_of_a_truncated_graph_has_the_note() {
        let svg = truncated().to_svg();
        let counts = elements(&svg);
        // Two gates and the note box.
        assert_eq!(counts.get("rect"), Some(&3), "{svg}");
        assert!(
            svg.contains("2 more nodes were not recorded</text>"),
            "{svg}"
        );
    }

    #[test]
    fn svg_of_an_empty_graph_says_so() {
        let svg = Graph::new().to_svg();
        let counts = elements(&svg);
        assert_eq!(counts.get("rect"), None);
        assert!(svg.contains(">(empty graph)</text>"), "{svg}");
    }

    #[test]
    fn svg_of_a_large_graph_points_to_dot() {
        let mut graph = Graph::new();
        let mut last = graph.push("x", "input", 1.0, &[]);
        for _ in 0..200 {
            last = graph.push("x + 1", "add", 1.0, &[last]);
        }
        let svg = graph.to_svg();
        let counts = elements(&svg);
        assert_eq!(counts.get("rect"), None);
        assert!(
            svg.contains("this graph of 201 nodes is too large for the in-process layout"),
            "{svg}"
        );
    }

    #[test]
    fn svg_lays_out_repeated_operands() {
        let mut graph = Graph::new();
        let x = graph.push("x", "input", 3.0, &[]);
        let square = graph.push("x * x", "mul", 9.0, &[x, x]);
        graph.set_output(square);
        let counts = elements(&graph.to_svg());
        assert_eq!(counts.get("rect"), Some(&2));
        assert_eq!(counts.get("path"), Some(&2));
    }
}
