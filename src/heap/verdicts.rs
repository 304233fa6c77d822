//! From growing groups to suspects a person can act on: each gets its holder
//! in words, its kind and advice, a readable path beside the raw one; groups
//! under one holder (a Map's keys and its values) become one suspect.

use std::collections::HashMap;

use super::analysis::SnapshotAnalysis;
use super::holder;
use super::kind::LeakKind;
use super::readable;
use super::report::{MergedGroup, Suspect};
use super::scopes::LazyScopes;

/// Whether a node can be a suspect at all: the root and synthetic nodes
/// (`(GC roots)`, `(Global handles)`) are the engine's bookkeeping.
pub fn can_be_suspect(a: &SnapshotAnalysis, node: u32) -> bool {
    node != 0 && Some(a.graph.kind(node)) != a.graph.types.node_synthetic
}

/// Whether steady count growth of this node's class is a suspect even under
/// the byte threshold: objects, closures and strings people create, not
/// engine internals such as code or hidden system objects.
pub fn counts_as_user_object(a: &SnapshotAnalysis, node: u32) -> bool {
    let g = &a.graph;
    let t = g.type_name(node);
    matches!(
        t,
        "object" | "closure" | "string" | "concatenated string" | "sliced string"
    ) && !g.name(node).starts_with("system / ")
}

/// The per-group growth figures a suspect is made of.
pub struct Growth {
    pub sample: u32,
    pub counts: Vec<u64>,
    pub retained: Vec<u64>,
    pub shallow: Vec<u64>,
    pub survivors: Option<u64>,
}

fn delta(v: &[u64]) -> i64 {
    let first = v.first().copied().unwrap_or(0) as i64;
    let last = v.last().copied().unwrap_or(0) as i64;
    last - first
}

/// A suspect with its verdict, and the node its holder points to.
pub fn suspect(last: &SnapshotAnalysis, scopes: &LazyScopes, g: Growth) -> (Suspect, u32) {
    let graph = &last.graph;
    let edges = last.distances.path_edges(graph, g.sample);
    let v = holder::verdict(graph, &edges);
    let parts = readable::step_labels(graph, &edges, g.sample);
    let raw: Vec<&str> = parts
        .iter()
        .map(String::as_str)
        .filter(|p| !p.is_empty())
        .collect();
    let readable =
        readable::readable_path(&parts, v.anchor.as_ref().map(|(k, l)| (*k, l.as_str())));
    let retained_delta = delta(&g.retained);
    let s = Suspect {
        constructor: last.classes.name(last.classes.class(g.sample)).to_owned(),
        count_delta: delta(&g.counts),
        retained_size_delta: retained_delta,
        shallow_size_delta: delta(&g.shallow),
        path: readable,
        raw_path: raw.join(" > "),
        location: v.location,
        enclosing_function: v
            .closure
            .and_then(|c| scopes.creator_per_object(c, delta(&g.counts))),
        survivors: g.survivors,
        counts: g.counts,
        retained_sizes: g.retained,
        score: retained_delta as f64,
        advice: v.kind.advice().to_owned(),
        kind: v.kind,
        holder: v.holder,
        merged: Vec::new(),
        allocation: None,
    };
    (s, v.held)
}

/// Merges suspects whose holders point to the same object (a Map's keys and
/// values, an object's members of two classes) into the biggest one, ranks
/// them worst first and keeps `max`.
pub fn merge_and_rank(found: Vec<(Suspect, u32)>, max: usize) -> Vec<Suspect> {
    let mut found = found;
    found.sort_by(|(a, _), (b, _)| {
        b.score
            .total_cmp(&a.score)
            .then_with(|| a.path.cmp(&b.path))
    });
    let mut out: Vec<Suspect> = Vec::new();
    let mut by_held: HashMap<u32, usize> = HashMap::new();
    for (s, held) in found {
        let mergeable = held != 0 && s.kind != LeakKind::Unknown;
        if let Some(primary) = by_held
            .get(&held)
            .and_then(|&i| out.get_mut(i))
            .filter(|_| mergeable)
        {
            primary.retained_size_delta += s.retained_size_delta;
            primary.shallow_size_delta += s.shallow_size_delta;
            primary.score += s.score;
            primary.merged.push(MergedGroup {
                constructor: s.constructor,
                count_delta: s.count_delta,
                retained_size_delta: s.retained_size_delta,
                counts: s.counts,
            });
            continue;
        }
        if mergeable {
            by_held.insert(held, out.len());
        }
        out.push(s);
    }
    out.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then_with(|| a.path.cmp(&b.path))
    });
    out.truncate(max);
    out
}

#[cfg(test)]
#[path = "verdicts_tests.rs"]
mod tests;
