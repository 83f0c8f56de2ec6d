//! The circuit view: `#[grad(graph)]` generates `f_graph(<params>) -> Graph`,
//! the function's circuit at the arguments, every gate with its forward
//! value and its gradient.
//!
//! This is one pass of its own, in two steps around the ordinary reverse
//! sweep, and owns everything about the view:
//!
//! - [`instrument`] (before the sweep) adds, after each definition of the
//!   forward IR, a [`Stmt::Probe`] that records the gate with its forward
//!   value and its *local* partials (each operation's rule,
//!   [`Op::vjp`](crate::op::Op::vjp), asked with an upstream gradient of 1);
//! - the reverse sweep (`reverse/`) runs unchanged: it ignores probes;
//! - [`attach_gradients`] (after the sweep) adds a probe wherever the sweep
//!   takes a value's adjoint, which gives that instance of the gate its
//!   gradient: exactly what `f_grad` computes.
//!
//! Gates the sweep gives no adjoint (constants, and gates that depend on no
//! differentiated parameter) get theirs from the lecture's chain rule over
//! the recorded gates (`Graph::finish`: each consumer's gradient times its
//! local partial). [`graph_fn`] writes the probes' code and the function.
//! Deleting this file and its call in `expand.rs` removes the circuit view.
//!
//! ```text
//! %3 = add %0, %1  // q     ─►   %3 = add %0, %1  // q
//!                                %5 = lit 1.0
//!                                probe 3     (gate %3 add "q" %0:%5 %1:%5)
//! ```

use crate::analysis;
use crate::ast::Sig;
use crate::codegen::{self, value_ident};
use crate::ir::{Func, Inst, Stmt, Ty, ValueId};
use crate::print::label;
use crate::reverse::differentiable_slots;
use crate::rules::Emit;
use proc_macro2::{Ident, Span, TokenStream};
use quote::{format_ident, quote};
use std::collections::{BTreeSet, HashMap, HashSet};
use std::fmt;

/// What one probe records.
#[derive(Clone, Debug, PartialEq)]
pub enum Probe {
    /// A scalar parameter: an input node.
    Input { value: ValueId, label: String },
    /// A gate (`op` is `const` for a constant): its operands, each with the
    /// value holding its local partial (`None`: a structural zero).
    Gate {
        value: ValueId,
        label: String,
        op: &'static str,
        inputs: Vec<(ValueId, Option<ValueId>)>,
    },
    /// `dst` stands for the same node as `src` (a copy or an assignment).
    Alias { dst: ValueId, src: ValueId },
    /// The node of an array element read by `value`: an input node per
    /// element of a parameter, the stored node for a local array.
    Load {
        value: ValueId,
        arr: ValueId,
        index: Vec<ValueId>,
        label: String,
    },
    /// An array element now holds `value`'s node.
    Store {
        arr: ValueId,
        index: Vec<ValueId>,
        value: ValueId,
    },
    /// The reverse sweep took `grad`, the adjoint of the latest instance of
    /// `value` not yet given one: that instance's gradient.
    Grad { value: ValueId, grad: ValueId },
    /// The output node; the graph fills in the remaining gradients.
    Finish { output: ValueId },
}

/// A forward function with its probes: `Stmt::Probe(k)` records `probes[k]`.
pub struct Instrumented {
    pub func: Func,
    pub probes: Vec<Probe>,
}

impl fmt::Display for Instrumented {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "{}", self.func)?;
        for (k, probe) in self.probes.iter().enumerate() {
            write!(f, "probe {k}: ")?;
            match probe {
                Probe::Input { value, label } => writeln!(f, "input {value} {label:?}")?,
                Probe::Gate {
                    value,
                    label,
                    op,
                    inputs,
                } => {
                    write!(f, "gate {value} {op} {label:?}")?;
                    for (input, partial) in inputs {
                        match partial {
                            Some(p) => write!(f, " {input}:{p}")?,
                            None => write!(f, " {input}:0")?,
                        }
                    }
                    writeln!(f)?
                }
                Probe::Alias { dst, src } => writeln!(f, "alias {dst} = {src}")?,
                Probe::Load {
                    value,
                    arr,
                    index,
                    label,
                } => writeln!(f, "load {value} = {arr}{index:?} {label:?}")?,
                Probe::Store { arr, index, value } => {
                    writeln!(f, "store {arr}{index:?} = {value}")?
                }
                Probe::Grad { value, grad } => writeln!(f, "grad {value} += {grad}")?,
                Probe::Finish { output } => writeln!(f, "finish {output}")?,
            }
        }
        Ok(())
    }
}

/// Whether `v` is a node of its own (copies and array reads stand for the
/// node of what they copy).
fn has_node(func: &Func, v: ValueId) -> bool {
    match func.inst(v) {
        Inst::Lit { .. } | Inst::Extern(_) | Inst::Op { .. } | Inst::Proj { index: 0, .. } => true,
        Inst::Passive { ty, .. } => *ty == Ty::Float,
        _ => false,
    }
}

struct Instrument {
    func: Func,
    probes: Vec<Probe>,
    /// The values the result depends on: a constant is a node only then.
    useful: HashSet<ValueId>,
    /// The values the reverse sweep gives an adjoint (a call among them
    /// calls `g_grad`, whose slots are its partials).
    active: HashSet<ValueId>,
}

impl Instrument {
    fn probe(&mut self, probe: Probe, out: &mut Vec<Stmt>) {
        out.push(Stmt::Probe(self.probes.len()));
        self.probes.push(probe);
    }

    /// Defines, in `out`, every instruction pushed since `from`.
    fn def_since(&self, from: usize, out: &mut Vec<Stmt>) {
        out.extend((from..self.func.insts.len()).map(|i| Stmt::Def(ValueId(i as u32))));
    }

    fn block(&mut self, block: Vec<Stmt>) -> Vec<Stmt> {
        let mut out = Vec::new();
        for stmt in block {
            match stmt {
                Stmt::Def(v) => {
                    out.push(Stmt::Def(v));
                    self.def(v, &mut out);
                }
                Stmt::Assign { dst, src } => {
                    out.push(Stmt::Assign { dst, src });
                    if self.func.ty(dst) == Ty::Float {
                        self.probe(Probe::Alias { dst, src }, &mut out);
                    }
                }
                Stmt::Store { arr, index, value } => {
                    let store = Probe::Store {
                        arr,
                        index: index.clone(),
                        value,
                    };
                    out.push(Stmt::Store { arr, index, value });
                    self.probe(store, &mut out);
                }
                other => out.push(other.map_blocks(|b| self.block(b))),
            }
        }
        out
    }

    /// The probe after the definition of `v`.
    fn def(&mut self, v: ValueId, out: &mut Vec<Stmt>) {
        let func = &self.func;
        let probe = match func.inst(v).clone() {
            Inst::Param(_) => Probe::Input {
                value: v,
                label: label(func, v),
            },
            Inst::Copy(src) if func.ty(v) == Ty::Float => Probe::Alias { dst: v, src },
            Inst::Load { arr, index } => Probe::Load {
                value: v,
                arr,
                index,
                label: label(func, arr),
            },
            Inst::Op { op, args } => {
                // The local partials: the rule with an upstream gradient of 1.
                let span = func.span(v);
                let from = self.func.insts.len();
                let one = self.func.lit(1.0, span);
                let partials = (op.vjp())(
                    &mut Emit {
                        func: &mut self.func,
                        span,
                    },
                    one,
                    &args,
                    v,
                );
                self.def_since(from, out);
                let inputs = args
                    .iter()
                    .zip(partials)
                    .enumerate()
                    .filter(|(k, (a, _))| {
                        !op.int_args().contains(k) && self.func.ty(**a) == Ty::Float
                    })
                    .map(|(_, (a, p))| (*a, p))
                    .collect();
                Probe::Gate {
                    value: v,
                    label: label(&self.func, v),
                    op: op.name(),
                    inputs,
                }
            }
            Inst::Proj { tuple, index: 0 } => {
                // A call: its partials are the slots `g_grad` returned (an
                // inactive call calls `g`: its inputs are constants).
                let Inst::Call { args, .. } = func.inst(tuple).clone() else {
                    return;
                };
                let span = func.span(v);
                let grad = self.active.contains(&tuple);
                let mut inputs = Vec::new();
                for (arg, slot) in differentiable_slots(func, &args) {
                    if self.func.ty(arg) != Ty::Float {
                        continue;
                    }
                    let partial = grad.then(|| {
                        let p = self.func.push(Inst::Proj { tuple, index: slot }, span);
                        out.push(Stmt::Def(p));
                        p
                    });
                    inputs.push((arg, partial));
                }
                Probe::Gate {
                    value: v,
                    label: label(&self.func, v),
                    op: "call",
                    inputs,
                }
            }
            _ if has_node(func, v) && self.useful.contains(&v) => Probe::Gate {
                value: v,
                label: label(func, v),
                op: "const",
                inputs: Vec::new(),
            },
            _ => return,
        };
        self.probe(probe, out);
    }
}

// Input:  the forward IR of `fn circuit(x, y, z) { let q = x + y; q * z }`
// Output: the structured form of the same, with each gate's local partials
//         and a probe after every definition
pub fn instrument(forward: &Func, name: &str) -> Instrumented {
    let mut func = forward.clone();
    let body = analysis::stmts(forward).into_owned();
    // The result is called by the function's name: the tail value, or in
    // structured code the value the body's last statement gives the result.
    let out = forward.outputs[0];
    let tail = match body.last() {
        Some(Stmt::Assign { dst, src }) if *dst == out => *src,
        _ => out,
    };
    if func.names[tail.index()].is_none()
        && matches!(func.inst(tail), Inst::Op { .. } | Inst::Proj { .. })
    {
        func.names[tail.index()] = Some(name.to_string());
    }
    let mut pass = Instrument {
        func,
        probes: Vec::new(),
        useful: analysis::useful(forward),
        active: analysis::active(forward),
    };
    let body = pass.block(body);
    pass.func.body = body;
    crate::ir::verify_after("graph::instrument", &pass.func, crate::ir::View::Circuit);
    Instrumented {
        func: pass.func,
        probes: pass.probes,
    }
}

// Input:  the reversed instrumented function: `%18 = copy %13 ; %13 := 0`
//         takes the adjoint %13 of %4
// Output: the same with `probe k` (grad %4 += %18) after each take, and
//         `probe finish` at the end
pub fn attach_gradients(reversed: Instrumented) -> Instrumented {
    let Instrumented {
        mut func,
        mut probes,
    } = reversed;
    let primal: HashMap<ValueId, ValueId> = func.adjoints.iter().map(|(v, d)| (*d, *v)).collect();
    fn go(
        func: &Func,
        primal: &HashMap<ValueId, ValueId>,
        probes: &mut Vec<Probe>,
        block: Vec<Stmt>,
    ) -> Vec<Stmt> {
        let mut out: Vec<Stmt> = Vec::new();
        for stmt in block {
            let take = match (&stmt, out.last()) {
                (Stmt::Clear(d), Some(Stmt::Def(t))) if func.inst(*t) == &Inst::Copy(*d) => {
                    primal.get(d).map(|v| (*v, *t))
                }
                _ => None,
            };
            out.push(stmt.map_blocks(|b| go(func, primal, probes, b)));
            if let Some((value, grad)) = take {
                out.push(Stmt::Probe(probes.len()));
                probes.push(Probe::Grad { value, grad });
            }
        }
        out
    }
    let body = std::mem::take(&mut func.body);
    let mut body = go(&func, &primal, &mut probes, body);
    body.push(Stmt::Probe(probes.len()));
    probes.push(Probe::Finish {
        output: func.outputs[0],
    });
    func.body = body;
    Instrumented { func, probes }
}

/// The circuit being recorded.
fn graph_ident() -> Ident {
    Ident::new("__ad_graph", Span::mixed_site())
}

/// The node of the latest instance of a value.
fn node_ident(v: ValueId) -> Ident {
    format_ident!("__ad_n{}", v.0, span = Span::mixed_site())
}

/// The nodes of every instance of a value, for their gradients.
fn stack_ident(v: ValueId) -> Ident {
    format_ident!("__ad_ns{}", v.0, span = Span::mixed_site())
}

/// The node each element of an array holds.
fn elems_ident(v: ValueId) -> Ident {
    format_ident!("__ad_elems{}", v.0, span = Span::mixed_site())
}

/// The code of one probe.
fn probe_tokens(func: &Func, probe: &Probe) -> TokenStream {
    let g = graph_ident();
    match probe {
        Probe::Input { value, label } => {
            let (n, v) = (node_ident(*value), value_ident(*value));
            quote!(#n = #g.gate(#label, "input", #v as f64, &[]);)
        }
        Probe::Gate {
            value,
            label,
            op,
            inputs,
        } => {
            let (n, ns, v) = (node_ident(*value), stack_ident(*value), value_ident(*value));
            let edges = inputs.iter().map(|(input, partial)| {
                let i = node_ident(*input);
                match partial {
                    Some(p) => {
                        let p = value_ident(*p);
                        quote!((#i, #p as f64))
                    }
                    None => quote!((#i, 0.0)),
                }
            });
            quote! {
                #n = #g.gate(#label, #op, #v as f64, &[#(#edges),*]);
                #ns.push(#n);
            }
        }
        Probe::Alias { dst, src } => {
            let (d, s) = (node_ident(*dst), node_ident(*src));
            quote!(#d = #s;)
        }
        Probe::Load {
            value,
            arr,
            index,
            label,
        } => {
            let (n, v, m) = (node_ident(*value), value_ident(*value), elems_ident(*arr));
            let ix: Vec<Ident> = index.iter().map(|i| value_ident(*i)).collect();
            let key = quote!(::std::vec![#(#ix as usize),*]);
            if matches!(func.inst(*arr), Inst::ArrayParam(_)) {
                let fmt = format!("{label}{}", "[{}]".repeat(ix.len()));
                quote! {
                    #n = *#m.entry(#key).or_insert_with(|| {
                        #g.gate(&::std::format!(#fmt, #(#ix),*), "input", #v as f64, &[])
                    });
                }
            } else {
                quote!(#n = #m.get(&#key).copied().unwrap_or(usize::MAX);)
            }
        }
        Probe::Store { arr, index, value } => {
            let (m, n) = (elems_ident(*arr), node_ident(*value));
            let ix = index.iter().map(|i| value_ident(*i));
            quote!(#m.insert(::std::vec![#(#ix as usize),*], #n);)
        }
        Probe::Grad { value, grad } => {
            let (ns, d) = (stack_ident(*value), value_ident(*grad));
            quote! {
                if let ::core::option::Option::Some(n) = #ns.pop() {
                    #g.add_grad(n, #d as f64);
                }
            }
        }
        Probe::Finish { output } => {
            let out = node_ident(*output);
            quote!(#g.finish(#out);)
        }
    }
}

/// The node variables and element maps the probes use.
fn declarations(probes: &[Probe]) -> TokenStream {
    let mut nodes = BTreeSet::new();
    let mut stacks = BTreeSet::new();
    let mut maps = BTreeSet::new();
    for probe in probes {
        match probe {
            Probe::Input { value, .. } => {
                nodes.insert(*value);
            }
            Probe::Gate { value, inputs, .. } => {
                nodes.insert(*value);
                stacks.insert(*value);
                nodes.extend(inputs.iter().map(|(i, _)| *i));
            }
            Probe::Alias { dst, src } => {
                nodes.insert(*dst);
                nodes.insert(*src);
            }
            Probe::Load { value, arr, .. } | Probe::Store { value, arr, .. } => {
                nodes.insert(*value);
                maps.insert(*arr);
            }
            Probe::Grad { value, .. } => {
                stacks.insert(*value);
            }
            Probe::Finish { output } => {
                nodes.insert(*output);
            }
        }
    }
    let stacks = stacks.into_iter().map(stack_ident);
    let nodes = nodes.into_iter().map(node_ident);
    let maps = maps.into_iter().map(elems_ident);
    quote! {
        #(let mut #nodes: usize = usize::MAX;)*
        #(let mut #stacks: ::std::vec::Vec<usize> = ::std::vec::Vec::new();)*
        #(let mut #maps: ::std::collections::HashMap<::std::vec::Vec<usize>, usize> =
            ::std::collections::HashMap::new();)*
    }
}

// Input:  `#[grad(graph)] fn circuit(x: f64, y: f64, z: f64) -> f64 { … }` and
//         its forward IR
// Output: `fn circuit_graph(x: f64, y: f64, z: f64) -> ::autodiff_core::Graph { … }`
pub fn graph_fn(sig: &Sig, forward: &Func) -> crate::expansion::GeneratedFn {
    let name = &sig.item.sig.ident;
    let Instrumented { func, probes } = instrument(forward, &name.to_string());
    let reversed = Instrumented {
        func: crate::pipeline::run(&func, crate::pipeline::Options::NO_CLEAN_UP),
        probes,
    };
    let Instrumented { func, probes } = attach_gradients(reversed);
    crate::ir::verify_after("graph::attach_gradients", &func, crate::ir::View::Circuit);
    let probe_code: Vec<TokenStream> = probes.iter().map(|p| probe_tokens(&func, p)).collect();
    let decls = declarations(&probes);
    let body = codegen::structured_body(sig, &func, None, &probe_code);
    let g = graph_ident();
    let doc = format!(
        "The circuit of [`{name}`] at the arguments, generated by `#[grad(graph)]`: a node for each input, constant and gate that ran, with its forward value and its gradient (∂{name}/∂node). Print it, or draw it with `to_dot`, `to_mermaid` or `to_svg`."
    );
    codegen::sibling_fn(
        sig,
        codegen::shape(sig, codegen::Generated::Graph).expect("every function may have f_graph"),
        &doc,
        quote! {
            let mut #g = ::autodiff_core::Graph::new();
            #decls
            #body
            #g
        },
    )
}
