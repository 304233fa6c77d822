//! The function a closure was created in, read from one snapshot, with no
//! allocation sample needed. A closure made per call (a hook, a listener, a
//! callback) is allocated by the function whose body holds its source; the
//! sampling heap profiler often misses it (a ~100 B closure per request is
//! one sample in five thousand requests at 512 KiB), but V8's graph names it:
//! a closure's `context` edge leads to the scope it was created in, a
//! function's scope points to its `scope_info`, and that function's
//! SharedFunctionInfo points to the same ScopeInfo (`name_or_scope_info`);
//! any live closure of that function gives its name and position. Block
//! scopes (a `let` in a loop) have ScopeInfos no function points to, so the
//! walk goes on through `previous` to the function around them. It stops at
//! a script's own code (it starts at 1:1: Node's CommonJS wrapper, an ES
//! module, a bundle's IIFE): closures made there are made once, at load. A
//! function whose scope's outer scope is the realm's (a module that captures
//! nothing at its top level) is still named.
//!
//! A function that allocates no scope of its own (none of its variables is
//! captured) leaves its closures in the scope around it, so the function
//! around it would be named; a closure that leaks per call usually captures
//! that call's data, which gives its creator a scope. Checked on Node 20, 22,
//! 24 and 26 (`scopes_tests` replays the edges V8 writes).

use std::cell::OnceCell;
use std::collections::HashMap;

use super::allocation::Frame;
use super::graph::HeapGraph;

/// Scope chains are short; the bound only guards against a malformed cycle.
const MAX_SCOPE_DEPTH: usize = 64;

/// Whether a context is a script's top-level scope (its outer context is the
/// native or script context).
pub fn is_top_level(g: &HeapGraph, context: u32) -> bool {
    g.follow(context, &["previous"])
        .is_some_and(|outer| is_outermost(g.name(outer)))
}

/// ScopeInfo node -> a live closure of the function that owns it, positioned;
/// and how many live closures share each SharedFunctionInfo.
#[derive(Debug, Default)]
pub struct ScopeIndex {
    by_scope_info: HashMap<u32, u32>,
    closures_per_function: HashMap<u32, u64>,
}

impl ScopeIndex {
    /// One pass over the closures of the graph.
    pub fn build(g: &HeapGraph) -> Self {
        let mut by_scope_info = HashMap::new();
        let mut closures_per_function = HashMap::new();
        for v in (0..g.node_count() as u32).filter(|&v| g.is_closure(v)) {
            let Some(shared) = g.follow(v, &["shared"]) else {
                continue;
            };
            *closures_per_function.entry(shared).or_insert(0) += 1;
            let scope_info = g.follow(shared, &["name_or_scope_info"]);
            if let Some(si) = scope_info.filter(|_| g.location(v).is_some()) {
                by_scope_info.entry(si).or_insert(v);
            }
        }
        ScopeIndex {
            by_scope_info,
            closures_per_function,
        }
    }

    /// Live closures of the same function (SharedFunctionInfo) as `closure`.
    pub fn siblings(&self, g: &HeapGraph, closure: u32) -> u64 {
        g.follow(closure, &["shared"])
            .and_then(|shared| self.closures_per_function.get(&shared))
            .copied()
            .unwrap_or(0)
    }

    /// The function whose call created `closure`, as a frame: its name
    /// (empty when anonymous), script, and zero-based start position as in
    /// a sampling heap profile's call frames. None when the closure was made
    /// by a script's own code, or the creating function has no live closure
    /// to name it.
    pub fn enclosing_function(&self, g: &HeapGraph, closure: u32) -> Option<Frame> {
        let mut context = g.follow(closure, &["context"])?;
        for _ in 0..MAX_SCOPE_DEPTH {
            let name = g.name(context);
            if !name.ends_with("Context") || is_outermost(name) {
                return None;
            }
            let owner = g
                .follow(context, &["scope_info"])
                .and_then(|si| self.by_scope_info.get(&si));
            if let Some(&function) = owner {
                let at = g.location(function)?;
                // A script's own code (Node's CommonJS wrapper, an ES
                // module, a bundle's IIFE) starts at its first character
                // and runs once, at load.
                if at.line == 0 && at.column == 0 {
                    return None;
                }
                return Some(Frame {
                    function_name: g.name(function).to_owned(),
                    url: at.script_name.unwrap_or_default(),
                    line: i64::from(at.line),
                    column: i64::from(at.column),
                });
            }
            context = g.follow(context, &["previous"])?;
        }
        None
    }
}

/// The native (realm) or script context: the end of every scope chain, owned
/// by no function.
fn is_outermost(context_name: &str) -> bool {
    context_name.contains("NativeContext") || context_name.contains("ScriptContext")
}

/// A [`ScopeIndex`] built on first use: most reports have no closure suspect.
pub struct LazyScopes<'g> {
    graph: &'g HeapGraph,
    index: OnceCell<ScopeIndex>,
}

impl<'g> LazyScopes<'g> {
    pub fn new(graph: &'g HeapGraph) -> Self {
        LazyScopes {
            graph,
            index: OnceCell::new(),
        }
    }

    /// The function that made `closure`, when it made one such closure per
    /// leaked object: the suspect's count grew (`grew`), and live closures of
    /// that source number at least half of that growth, and more than one. A single
    /// listener or closure that holds a growing collection was made once;
    /// the function that made it is not the one that fills the collection.
    pub fn creator_per_object(&self, closure: u32, grew: i64) -> Option<Frame> {
        let index = self.index.get_or_init(|| ScopeIndex::build(self.graph));
        let made = index.siblings(self.graph, closure);
        let enough = grew > 0 && made >= 2 && i64::try_from(made).unwrap_or(i64::MAX) * 2 >= grew;
        enough
            .then(|| index.enclosing_function(self.graph, closure))
            .flatten()
    }
}

#[cfg(test)]
#[path = "scopes_tests.rs"]
mod tests;
