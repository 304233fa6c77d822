//! Retaining paths: the shortest path from the root to a node, rendered for
//! people (`(GC roots) > global > cache > [elements] > [] > Object{a,b}`), and
//! hashed as a signature that matches "the same place in the heap" across
//! snapshots whose object ids do not correspond (forked snapshots).

use std::collections::HashMap;

use super::aggregate::ClassIndex;
use super::distances::Distances;
use super::graph::{HeapGraph, SourceLocation};

/// Longest edge or property name shown in a rendered path.
const MAX_LABEL: usize = 40;
/// How many property names a plain object shows, as in `Object{a,b,c}`.
const SHOWN_PROPERTIES: usize = 3;

pub(crate) fn clip(s: &str) -> String {
    if s.chars().count() <= MAX_LABEL {
        return s.to_owned();
    }
    let mut out: String = s.chars().take(MAX_LABEL - 1).collect();
    out.push('…');
    out
}

/// An edge as a path step: `[3]` for elements, `[map]` for engine-internal
/// edges, the property or variable name otherwise.
pub fn edge_label(graph: &HeapGraph, edge: usize) -> String {
    let t = Some(graph.edge_kind(edge));
    let name = graph.edge_name_text(edge);
    if graph.edge_has_index(edge) || t == graph.types.edge_internal {
        format!("[{}]", clip(&name))
    } else {
        clip(&name)
    }
}

/// A node as people know it: its class, and for plain objects the first few
/// property names, since "Object" alone says nothing.
pub fn node_label(graph: &HeapGraph, node: u32) -> String {
    let class = graph.class_name(node);
    if Some(graph.kind(node)) != graph.types.node_object || class != "Object" {
        return clip(&class);
    }
    let property = graph
        .edge_types
        .iter()
        .position(|t| t == "property")
        .map(|i| i as u8);
    let mut props: Vec<String> = Vec::new();
    let mut more = false;
    for e in graph.edges(node) {
        if Some(graph.edge_kind(e)) != property {
            continue;
        }
        let name = graph.edge_name_text(e);
        if name == "__proto__" {
            continue;
        }
        if props.len() == SHOWN_PROPERTIES {
            more = true;
            break;
        }
        props.push(clip(&name));
    }
    if props.is_empty() {
        // In-object fields holding numbers or small integers have no named
        // edges; "Object{}" would wrongly suggest an empty object.
        return "Object".into();
    }
    if more {
        props.push("…".into());
    }
    format!("Object{{{}}}", props.join(","))
}

/// The shortest retaining path of `node`, or `None` if no strong path exists.
pub fn render_path(graph: &HeapGraph, distances: &Distances, node: u32) -> Option<String> {
    if node == 0 {
        return Some("(root)".into());
    }
    let edges = distances.path_edges(graph, node);
    if edges.is_empty() {
        return None;
    }
    let parts = super::readable::step_labels(graph, &edges, node);
    Some(
        parts
            .into_iter()
            .filter(|p| !p.is_empty())
            .collect::<Vec<_>>()
            .join(" > "),
    )
}

/// Nodes on the retaining path of `node`, root first, `node` last.
pub fn path_nodes(graph: &HeapGraph, distances: &Distances, node: u32) -> Vec<u32> {
    let mut nodes = vec![0];
    nodes.extend(
        distances
            .path_edges(graph, node)
            .into_iter()
            .map(|e| graph.edge_target(e)),
    );
    nodes
}

/// Where the node, or failing that the nearest closure retaining it, was
/// defined: for a leaked object that is usually the listener or callback
/// that holds it.
pub fn source_location(
    graph: &HeapGraph,
    distances: &Distances,
    node: u32,
) -> Option<SourceLocation> {
    path_nodes(graph, distances, node)
        .into_iter()
        .rev()
        .filter(|&n| graph.is_closure(n))
        .find_map(|n| graph.location(n))
}

fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h = 0xcbf2_9ce4_8422_2325u64;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

fn mix(a: u64, b: u64) -> u64 {
    (a.rotate_left(5) ^ b).wrapping_mul(0x517c_c1b7_2722_0a95) ^ 0x9e37_79b9_7f4a_7c15
}

/// Per-node path signatures. A signature hashes, from the root down, each
/// step's edge label and target class, with element indices (and names that
/// contain digits, which are usually keys of a map-like object) collapsed, and
/// with a step repeated right after itself counted once, so linked lists
/// (`_idleNext > Timeout > _idleNext > Timeout`) collapse to one group.
/// Unreachable nodes get 0. Hashes depend on text only, so they compare across
/// snapshots.
pub fn path_signatures(
    graph: &HeapGraph,
    distances: &Distances,
    classes: &ClassIndex,
) -> PathSignatures {
    let n = graph.node_count();
    let class_hash: Vec<u64> = classes
        .names
        .iter()
        .map(|name| fnv1a(name.as_bytes()))
        .collect();
    // Hash of each string used as an edge name, computed on first use.
    let mut name_hash = vec![0u64; graph.strings.len()];
    let collapsed = fnv1a(b"[]");
    let mut step_of = |e: usize, to: u32| -> u64 {
        let label = if graph.edge_has_index(e) {
            collapsed
        } else {
            let s = graph.edge_name.get(e).copied().unwrap_or(0);
            match name_hash.get_mut(s as usize) {
                Some(h) if *h != 0 => *h,
                Some(h) => {
                    let text = graph.strings.get(s);
                    *h = if text.bytes().any(|b| b.is_ascii_digit()) {
                        collapsed
                    } else {
                        fnv1a(text.as_bytes()) | 1
                    };
                    *h
                }
                None => collapsed,
            }
        };
        mix(
            label,
            class_hash
                .get(classes.class(to) as usize)
                .copied()
                .unwrap_or(0),
        )
    };
    let mut sig = PathSignatures {
        group_of: vec![NO_GROUP; n],
        keys: Vec::new(),
    };
    let mut interned: HashMap<u64, u32> = HashMap::new();
    sig.assign(0, 1, &mut interned);
    // Per group: its last step and its parent group. Chains whose links
    // take one to three steps (`next > next`, promise reactions `a > b > a >
    // b`) collapse: a node whose step ends a repetition of the last `p` steps
    // of its (collapsed) path joins the group `p - 1` levels above its
    // parent's. All members of a group share their last step and parent
    // group, so this costs 12 bytes per group, not per node.
    let mut chain: Vec<(u64, u32)> = vec![(0, NO_GROUP)];
    for &node in distances.order.iter().skip(1) {
        let Some(e) = distances.parent_edge(node) else {
            continue;
        };
        let parent_group = sig.group(graph.edge_source(e));
        let s = step_of(e, node);
        if let Some(g) = repeated_in(&chain, parent_group, s) {
            if let Some(slot) = sig.group_of.get_mut(node as usize) {
                *slot = g;
            }
            continue;
        }
        let value = mix(sig.key(parent_group), s);
        if sig.assign(node, value, &mut interned) {
            chain.push((s, parent_group));
        }
    }
    sig.keys.shrink_to_fit();
    sig
}

/// Longest chain link, in steps, that signatures collapse.
const MAX_PERIOD: usize = 3;

/// The group a node of step `s` under `parent_group` collapses into, if
/// `s` completes a repetition: with `a_j` the last step of the group `j`
/// levels above `parent_group` (`a_0` its own), period `p` repeats when
/// `s == a_(p-1)` and `a_j == a_(j+p)` for `j < p - 1`.
fn repeated_in(chain: &[(u64, u32)], parent_group: u32, s: u64) -> Option<u32> {
    let mut up = [(0u64, NO_GROUP); 2 * MAX_PERIOD];
    let mut g = parent_group;
    for slot in up.iter_mut() {
        // Group 0 is the root's, which has no step.
        if g == NO_GROUP || g == 0 {
            break;
        }
        let Some(&(step, parent)) = chain.get(g as usize) else {
            break;
        };
        *slot = (step, g);
        g = parent;
    }
    let at = |j: usize| up.get(j).copied().filter(|&(_, g)| g != NO_GROUP);
    (1..=MAX_PERIOD).find_map(|p| {
        let (step, group) = at(p - 1)?;
        let repeats = step == s
            && (0..p - 1).all(|j| matches!((at(j), at(j + p)), (Some(x), Some(y)) if x.0 == y.0));
        repeats.then_some(group)
    })
}

/// No group: unreachable nodes.
pub const NO_GROUP: u32 = u32::MAX;

/// Path signatures, interned: a dense group id per node (4 bytes instead of
/// a `u64` signature each) and each group's signature. The dense ids are
/// what per-group statistics index by, so those need no map of their own.
#[derive(Debug, Default)]
pub struct PathSignatures {
    pub group_of: Vec<u32>,
    /// Signature of each group; signatures compare across snapshots.
    pub keys: Vec<u64>,
}

impl PathSignatures {
    /// Puts `node` in the group of signature `value`; true when that group
    /// is new.
    fn assign(&mut self, node: u32, value: u64, interned: &mut HashMap<u64, u32>) -> bool {
        // 0 means "unreachable", as it did before interning.
        if value == 0 {
            return false;
        }
        let keys = &mut self.keys;
        let before = keys.len();
        let id = *interned.entry(value).or_insert_with(|| {
            keys.push(value);
            keys.len() as u32 - 1
        });
        if let Some(slot) = self.group_of.get_mut(node as usize) {
            *slot = id;
        }
        keys.len() > before
    }

    /// The signature of a group, 0 for [`NO_GROUP`].
    fn key(&self, group: u32) -> u64 {
        self.keys.get(group as usize).copied().unwrap_or(0)
    }

    /// The node's group, or [`NO_GROUP`].
    pub fn group(&self, node: u32) -> u32 {
        self.group_of
            .get(node as usize)
            .copied()
            .unwrap_or(NO_GROUP)
    }

    /// The node's path signature, 0 for unreachable nodes.
    pub fn signature(&self, node: u32) -> u64 {
        self.keys
            .get(self.group(node) as usize)
            .copied()
            .unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::heap::graph::tests::build;

    fn sample() -> HeapGraph {
        build(
            &[
                ("synthetic", ""),
                ("synthetic", "(GC roots)"),
                ("object", "global"),
                ("object", "Array"),
                ("array", ""),
                ("object", "Object"),
                ("object", "Object"),
                ("string", "Mozilla"),
                ("closure", "onData"),
                ("object", "Node"),
                ("object", "Node"),
                ("object", "Node"),
            ],
            &[
                (0, "element", "1", 1),
                (1, "element", "7", 2),
                (2, "property", "headersArray", 3),
                (3, "internal", "elements", 4),
                (4, "element", "0", 5),
                (4, "element", "1", 6),
                (5, "property", "userAgentUsed", 7),
                (6, "property", "userAgentUsed", 7),
                (2, "property", "onData", 8),
                (2, "property", "head", 9),
                (9, "property", "next", 10),
                (10, "property", "next", 11),
            ],
        )
    }

    #[test]
    fn paths_render_like_devtools_retainers() {
        let g = sample();
        let d = Distances::compute(&g);
        assert_eq!(
            render_path(&g, &d, 6).unwrap(),
            "(GC roots) > [7] > headersArray > [elements] > [1] > Object{userAgentUsed}"
        );
        assert_eq!(
            render_path(&g, &d, 8).unwrap(),
            "(GC roots) > [7] > onData > onData"
        );
        let g = build(
            &[
                ("synthetic", ""),
                ("synthetic", "(GC roots)"),
                ("synthetic", "(Global handles)"),
                ("object", "Foo"),
            ],
            &[
                (0, "element", "1", 1),
                (1, "element", "13", 2),
                (2, "internal", "4", 3),
            ],
        );
        let d = Distances::compute(&g);
        assert_eq!(
            render_path(&g, &d, 3).unwrap(),
            "(GC roots) > (Global handles) > [4] > Foo"
        );
    }

    #[test]
    fn signatures_collapse_indices_and_repeats() {
        let g = sample();
        let d = Distances::compute(&g);
        let classes = ClassIndex::build(&g);
        let p = path_signatures(&g, &d, &classes);
        let sig = |v| p.signature(v);
        assert_eq!(sig(5), sig(6), "array elements share a signature");
        assert_eq!(p.group(5), p.group(6));
        assert_ne!(sig(5), sig(4));
        assert_eq!(sig(10), sig(11), "a linked list is one group");
        assert_ne!(sig(8), sig(9));
    }

    #[test]
    fn two_step_chain_links_are_one_group() {
        // global -> head -> A -> B -> A -> B -> A: a promise chain's shape.
        let g = build(
            &[
                ("synthetic", ""),
                ("object", "global"),
                ("object", "Promise"),
                ("hidden", "Reaction"),
                ("object", "Promise"),
                ("hidden", "Reaction"),
                ("object", "Promise"),
                ("hidden", "Reaction"),
                ("object", "Promise"),
            ],
            &[
                (0, "element", "1", 1),
                (1, "property", "head", 2),
                (2, "internal", "reactions", 3),
                (3, "internal", "promise", 4),
                (4, "internal", "reactions", 5),
                (5, "internal", "promise", 6),
                (6, "internal", "reactions", 7),
                (7, "internal", "promise", 8),
            ],
        );
        let d = Distances::compute(&g);
        let p = path_signatures(&g, &d, &ClassIndex::build(&g));
        assert_eq!(p.signature(6), p.signature(4));
        assert_eq!(p.signature(8), p.signature(4));
        assert_eq!(p.signature(7), p.signature(5));
        assert_ne!(
            p.signature(4),
            p.signature(2),
            "the head is reached by a named edge"
        );
    }
}
