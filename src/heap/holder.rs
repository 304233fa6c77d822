//! What keeps a suspect alive, in words, and what kind of leak it is.
//!
//! The holder is found on the suspect's retaining path, walking up from the
//! leaked object: element indices, backing stores (`[elements]`, `[table]`),
//! generated keys (`req-123`) and chain links (`next`, `_idleNext`, promise
//! reactions) are how a collection or a chain holds its members, so they are
//! skipped; the first named edge above them is the holder: a variable
//! (`context` edge) or a property. A variable of a module's top-level scope
//! is named by the module's file: V8 gives closures a `context` edge to the
//! scope they were defined in, so any closure of that scope names its script,
//! and a top-level scope's `previous` context is the native context.

use serde::{Deserialize, Serialize};

use super::graph::{HeapGraph, SourceLocation};
use super::kind::LeakKind;
use super::scopes::is_top_level;

/// What keeps a suspect's objects alive.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Holder {
    /// The holder in words, e.g. `variable requestLog (an Array) in the module scope of /srv/app.js`.
    pub description: String,
    /// Variable, property or event name; for timers the callback's name.
    pub name: Option<String>,
    /// `variable`, `property`, `event-listeners`, `timer-list`, `promise-chain`,
    /// `handles` or `unknown`.
    #[serde(rename = "type")]
    pub holder_type: String,
    /// The owner's class (properties), the emitter's class (listeners), or the scope.
    pub owner: Option<String>,
    /// The script of the holder's scope or of the callback, when known.
    pub script: Option<String>,
    /// Class of the object the holder points to (`Array`, `Map`, …).
    pub collection: Option<String>,
    /// Name of the listener, timer callback or capturing closure, when there is one.
    pub function: Option<String>,
}

impl Holder {
    /// The holder of a suspect that could not be attributed.
    pub fn unknown() -> Holder {
        Holder {
            description: "unknown".into(),
            name: None,
            holder_type: "unknown".into(),
            owner: None,
            script: None,
            collection: None,
            function: None,
        }
    }
}

/// The verdict on one suspect: its holder, kind, and the node the holder
/// points to (suspects under one such node are one leak).
#[derive(Debug, Clone)]
pub struct Verdict {
    pub holder: Holder,
    pub kind: LeakKind,
    /// The object the holding edge points to; 0 when there is none.
    pub held: u32,
    /// Index in the path of the holding edge, for the readable path.
    pub holder_step: Option<usize>,
    /// The anchor to print the readable path from, and its label.
    pub anchor: Option<(usize, String)>,
    /// Where the listener, timer callback or capturing closure was defined.
    pub location: Option<SourceLocation>,
    /// That closure's node, to find the function that made it.
    pub closure: Option<u32>,
}

impl Verdict {
    /// Records the listener, timer callback or capturing closure that keeps
    /// the objects alive (ignored when the node is not a closure).
    fn set_closure(&mut self, g: &HeapGraph, closure: Option<u32>) {
        let closure = closure.filter(|&c| g.is_closure(c));
        self.location = closure.and_then(|c| g.location(c));
        self.closure = closure;
    }
}

const LINK_NAMES: [&str; 8] = [
    "next",
    "prev",
    "previous",
    "_next",
    "_prev",
    "_idleNext",
    "_idlePrev",
    "parent",
];
/// Classes of handles that hold a file descriptor or a native resource: they
/// name an `unclosed-resources` holder.
pub const RESOURCE_CLASSES: [&str; 14] = [
    "Socket",
    "TLSSocket",
    "Server",
    "WriteStream",
    "ReadStream",
    "FileHandle",
    "ChildProcess",
    "Worker",
    "ClientRequest",
    "TCP",
    "Pipe",
    "TTY",
    "TCPWrap",
    "PipeWrap",
];
/// The JS objects among [`RESOURCE_CLASSES`] (its first seven) whose growing
/// count is a suspect even when their bytes are small (diff.rs). Not the
/// native handles they own (`TCP`, `Pipe`, ...): those grow with them and
/// would be ranked as a second suspect for the same leak.
pub const COUNTED_RESOURCE_CLASSES: &[&str] = RESOURCE_CLASSES.split_at(7).0;
const BUFFER_CLASSES: [&str; 6] = [
    "Buffer",
    "FastBuffer",
    "Uint8Array",
    "ArrayBuffer",
    "SharedArrayBuffer",
    "system / JSArrayBufferData",
];

/// A path as nodes and edges: `edges[i]` leads from `nodes[i]` to `nodes[i + 1]`.
struct Path<'a> {
    graph: &'a HeapGraph,
    edges: &'a [usize],
    nodes: Vec<u32>,
}

impl<'a> Path<'a> {
    fn new(graph: &'a HeapGraph, edges: &'a [usize]) -> Self {
        let mut nodes = vec![0];
        nodes.extend(edges.iter().map(|&e| graph.edge_target(e)));
        Path {
            graph,
            edges,
            nodes,
        }
    }
    fn node(&self, i: usize) -> u32 {
        self.nodes.get(i).copied().unwrap_or(0)
    }
    fn edge(&self, i: usize) -> Option<usize> {
        self.edges.get(i).copied()
    }
    fn name(&self, i: usize) -> String {
        self.edge(i)
            .map(|e| self.graph.edge_name_text(e).into_owned())
            .unwrap_or_default()
    }
    fn kind(&self, i: usize) -> Option<u8> {
        self.edge(i).map(|e| self.graph.edge_kind(e))
    }
    fn class(&self, node: u32) -> String {
        self.graph.class_name(node).into_owned()
    }
}

/// Whether a property name is a generated key (`req-123`, `tok-9f`): keys
/// of a map-like object, i.e. how a collection holds its members.
fn is_key_like(name: &str) -> bool {
    name.bytes().any(|b| b.is_ascii_digit())
}

/// Index of the holding edge: the first named edge above the suspect that is
/// not a member or link step. Index 0 (the root's edge) never holds.
fn holding_step(p: &Path, below: usize) -> Option<usize> {
    let t = &p.graph.types;
    (1..below).rev().find(|&k| {
        let kind = p.kind(k);
        if kind == t.edge_context {
            return true;
        }
        if kind != t.edge_property && kind != t.edge_shortcut {
            return false;
        }
        let name = p.name(k);
        let repeats = (k + 1..(k + 3).min(p.edges.len())).any(|j| p.name(j) == name);
        !(is_key_like(&name)
            || LINK_NAMES.contains(&name.as_str())
            || repeats
            || name == "__proto__")
    })
}

/// The script of a context: the script of a closure defined in it.
fn context_script(g: &HeapGraph, context: u32, via: Option<u32>) -> Option<String> {
    if let Some(c) = via.filter(|&c| g.is_closure(c)) {
        if let Some(s) = g.script_name(c) {
            return Some(s.to_owned());
        }
    }
    (0..g.node_count() as u32)
        .filter(|&v| g.is_closure(v) && g.follow(v, &["context"]) == Some(context))
        .find_map(|v| g.script_name(v).map(str::to_owned))
}

fn fn_name(g: &HeapGraph, closure: u32) -> String {
    let n = g.name(closure);
    if n.is_empty() {
        "(anonymous)".into()
    } else {
        n.to_owned()
    }
}

fn unknown(p: &Path, sample: u32) -> Holder {
    Holder {
        description: format!(
            "{} objects held by the engine (no variable or property on the path)",
            p.class(sample)
        ),
        name: None,
        holder_type: "unknown".into(),
        owner: None,
        script: None,
        collection: None,
        function: None,
    }
}

/// Describes the holding edge at `k` as a variable or a property.
fn describe_step(p: &Path, k: usize) -> (Holder, Option<(usize, String)>) {
    let g = p.graph;
    let (from, held) = (p.node(k), p.node(k + 1));
    let name = p.name(k);
    let collection = p.class(held);
    if p.kind(k) == g.types.edge_context {
        let via = k.checked_sub(1).map(|j| p.node(j));
        let script = context_script(g, from, via);
        let file = script.clone().unwrap_or_else(|| "an unknown script".into());
        let (scope, anchor) = if is_top_level(g, from) {
            let s = format!("the module scope of {file}");
            (s.clone(), Some((k, format!("module scope of {file}"))))
        } else {
            (format!("a function scope in {file}"), None)
        };
        let holder = Holder {
            description: format!("variable `{name}` ({collection}) in {scope}"),
            name: Some(name),
            holder_type: "variable".into(),
            owner: Some(scope),
            script,
            collection: Some(collection),
            function: None,
        };
        return (holder, anchor);
    }
    let mut owner = p.class(from);
    if owner == "Object" {
        // A plain object says more by the name it is held under.
        if let Some(j) = holding_step(p, k) {
            let above = p.name(j);
            if above == "exports" {
                let file = g
                    .follow(p.node(j), &["filename", "id"])
                    .map(|f| g.name(f).to_owned());
                owner = format!("module.exports of {}", file.unwrap_or_default());
            } else {
                owner = above;
            }
        }
    }
    let holder = Holder {
        description: format!("property `{owner}.{name}` ({collection})"),
        name: Some(name),
        holder_type: "property".into(),
        owner: Some(owner.clone()),
        script: None,
        collection: Some(collection),
        function: None,
    };
    (holder, Some((k, owner)))
}

fn find_class(p: &Path, from: usize, classes: &[&str]) -> Option<usize> {
    (from..p.nodes.len())
        .rev()
        .find(|&i| classes.contains(&p.class(p.node(i)).as_str()))
}

/// The verdict on a suspect whose representative object is the last node of
/// the retaining path `edges` (root first).
pub fn verdict(graph: &HeapGraph, edges: &[usize]) -> Verdict {
    let p = Path::new(graph, edges);
    let last = p.nodes.len().saturating_sub(1);
    let sample = p.node(last);
    let step = holding_step(&p, p.edges.len());
    let (holder, anchor) = match step {
        Some(k) => describe_step(&p, k),
        None => (unknown(&p, sample), None),
    };
    let kind = if step.is_some() {
        LeakKind::UnboundedCollection
    } else {
        LeakKind::Unknown
    };
    let v = Verdict {
        holder,
        kind,
        held: step.map_or(0, |k| p.node(k + 1)),
        holder_step: step,
        anchor,
        location: None,
        closure: None,
    };
    let mut d = Draft {
        p: &p,
        last,
        sample,
        step,
        lo: 1,
        v,
    };
    // Timers and emitters above a module-level holder are just how the path
    // reached that module; above a function scope they keep its closure.
    d.lo = match (scope_closure(&mut d), step) {
        (Some(_), _) | (None, None) => 1,
        (None, Some(k)) => k,
    };
    let _ = resources(&mut d)
        || promise_chain(&mut d)
        || timers(&mut d)
        || listeners(&mut d)
        || BUFFER_CLASSES.contains(&p.class(sample).as_str()) && {
            d.v.kind = LeakKind::ExternalBuffers;
            true
        }
        || closures(&mut d);
    d.v
}

#[path = "holder_rules.rs"]
mod rules;
use rules::{closures, listeners, promise_chain, resources, scope_closure, timers, Draft};

#[cfg(test)]
#[path = "holder_tests.rs"]
mod tests;
