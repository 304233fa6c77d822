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
const RESOURCE_CLASSES: [&str; 14] = [
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

/// Whether a context is a script's top-level scope (its outer context is the
/// native or script context).
fn is_top_level(g: &HeapGraph, context: u32) -> bool {
    g.follow(context, &["previous"]).is_some_and(|outer| {
        g.name(outer).contains("NativeContext") || g.name(outer).contains("ScriptContext")
    })
}

fn closure_location(g: &HeapGraph, closure: u32) -> Option<SourceLocation> {
    g.is_closure(closure).then(|| g.location(closure)).flatten()
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

/// The verdict as it is being decided.
struct Draft<'p, 'a> {
    p: &'p Path<'a>,
    last: usize,
    sample: u32,
    step: Option<usize>,
    /// First path index the kind rules look at: what lies above a
    /// module-level holder is only how the path reached that module.
    lo: usize,
    v: Verdict,
}

/// Resources (sockets, servers, streams, handles) among the group.
fn resources(d: &mut Draft) -> bool {
    let below = d.step.map_or(1, |k| k + 1);
    let Some(i) = find_class(d.p, below, &RESOURCE_CLASSES) else {
        return false;
    };
    d.v.kind = LeakKind::UnclosedResources;
    let class = d.p.class(d.p.node(i));
    let h = &d.v.holder;
    // Held by Node's own bookkeeping (a native handle's owner symbol, a
    // variable of a `node:` module): the handles are the holder.
    let name = h.name.as_deref().unwrap_or("");
    let internal = h.script.as_deref().is_some_and(|s| s.starts_with("node:"))
        || name.starts_with("<symbol")
        || name.starts_with("Symbol(")
        || h.owner
            .as_deref()
            .is_some_and(|o| RESOURCE_CLASSES.contains(&o));
    if internal || d.step.is_none() {
        d.v.holder = Holder {
            description: format!(
                "open {class} objects kept by their native handles or the event loop (never closed or destroyed)"
            ),
            name: Some(class.clone()),
            holder_type: "handles".into(),
            collection: Some(class),
            ..Holder::unknown()
        };
        d.v.anchor = None;
    }
    true
}

/// Promises chained into each other below the holder.
fn promise_chain(d: &mut Draft) -> bool {
    let class = d.p.class(d.sample);
    let chained = class == "Promise"
        || d.p.graph.name(d.sample).contains("PromiseReaction")
        || find_class(d.p, d.lo.max(1), &["Promise"]).is_some_and(|i| i < d.last);
    if !chained || d.step.is_none() {
        return false;
    }
    d.v.kind = LeakKind::PromiseChain;
    let h = &mut d.v.holder;
    h.description = format!(
        "a chain of pending promises, reached from {}",
        h.description
    );
    h.holder_type = "promise-chain".into();
    true
}

/// Pending timers: the growing group is a timer list's `Timeout`s or hangs
/// below one; with an AsyncLocalStorage store on the timer, async context.
fn timers(d: &mut Draft) -> bool {
    let Some(i) = find_class(d.p, d.lo, &["Timeout", "Immediate"]) else {
        return false;
    };
    let g = d.p.graph;
    let t = d.p.node(i);
    let cb = g.follow(t, &["_onTimeout", "_onImmediate"]);
    let store = g.edges(t).any(|e| {
        g.edge_name_text(e).contains("kResourceStore")
            && Some(g.kind(g.edge_target(e))) == g.types.node_object
    });
    let cb_name = cb.map(|c| fn_name(g, c));
    d.v.location = cb.and_then(|c| closure_location(g, c));
    let what = cb_name.clone().unwrap_or_else(|| "(unknown)".into());
    let class = d.p.class(t);
    let description = if store {
        d.v.kind = LeakKind::AsyncContext;
        format!("pending {class} objects (callback `{what}`) that keep their AsyncLocalStorage store alive")
    } else {
        d.v.kind = LeakKind::Timers;
        format!("the timer list: pending {class} objects never cleared, callback `{what}`")
    };
    d.v.holder = Holder {
        description,
        name: cb_name.clone(),
        holder_type: "timer-list".into(),
        owner: Some("timer list".into()),
        script: d.v.location.as_ref().and_then(|l| l.script_name.clone()),
        collection: Some(class.clone()),
        function: cb_name,
    };
    let label = format!("timer list > {class} (callback {what})");
    d.v.anchor = Some((if i == d.last { i + 1 } else { i }, label));
    true
}

/// Listeners: the holder (or what keeps a capturing closure) is an event
/// name under an emitter's `_events`.
fn listeners(d: &mut Draft) -> bool {
    let p = d.p;
    let Some(k) = (d.lo.max(1)..d.last)
        .rev()
        .find(|&k| p.name(k - 1) == "_events")
    else {
        return false;
    };
    let g = p.graph;
    d.v.kind = LeakKind::EventListeners;
    let emitter = p.class(p.node(k - 1));
    let event = p.name(k);
    let listener = (k + 1..=d.last)
        .map(|i| p.node(i))
        .find(|&n| g.is_closure(n));
    d.v.location = listener.and_then(|c| closure_location(g, c));
    d.v.holder = Holder {
        description: format!("'{event}' listeners of {emitter} (added and never removed)"),
        name: Some(event.clone()),
        holder_type: "event-listeners".into(),
        owner: Some(emitter.clone()),
        script: d.v.location.as_ref().and_then(|l| l.script_name.clone()),
        collection: Some("listeners".into()),
        function: listener.map(|c| fn_name(g, c)),
    };
    d.v.anchor = Some((k + 1, format!("{emitter} '{event}' listeners")));
    true
}

/// A closure made per call: its context is a function's scope, not a
/// module's, so it captures that call's data.
fn per_call_closure(g: &HeapGraph, node: u32) -> bool {
    g.is_closure(node)
        && g.follow(node, &["context"]).is_some_and(|c| {
            g.name(c).ends_with("Context") && !g.name(c).contains("Native") && !is_top_level(g, c)
        })
}

/// Closures in a collection, or objects that each carry one made per call
/// (an Express `Layer` and its handler), capture request data.
fn closures(d: &mut Draft) -> bool {
    let g = d.p.graph;
    if d.step.is_none() {
        return false;
    }
    if g.is_closure(d.sample) {
        d.v.holder.function = Some(fn_name(g, d.sample));
        d.v.location = closure_location(g, d.sample);
    } else {
        let carried = g
            .edges(d.sample)
            .filter(|&e| Some(g.edge_kind(e)) == g.types.edge_property)
            .map(|e| g.edge_target(e))
            .find(|&c| per_call_closure(g, c));
        let Some(c) = carried else {
            return false;
        };
        d.v.holder.function = Some(fn_name(g, c));
        d.v.location = closure_location(g, c);
    }
    d.v.kind = LeakKind::Closures;
    true
}

/// A variable of a function scope is alive because a closure of that scope
/// is; returns that closure.
fn scope_closure(d: &mut Draft) -> Option<u32> {
    let g = d.p.graph;
    if d.v.holder.holder_type != "variable" || d.v.anchor.is_some() {
        return None;
    }
    let c = d.step.and_then(|k| k.checked_sub(1)).map(|j| d.p.node(j))?;
    if !g.is_closure(c) {
        return None;
    }
    d.v.holder.function = Some(fn_name(g, c));
    d.v.location = closure_location(g, c);
    d.v.kind = LeakKind::Closures;
    Some(c)
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

#[cfg(test)]
#[path = "holder_tests.rs"]
mod tests;
