//! Dominator tree and retained sizes.
//!
//! Semi-dominators come from Lengauer-Tarjan's EVAL/LINK with path compression;
//! immediate dominators then follow from the SEMI-NCA rule (walk up the DFS
//! tree until below the semi-dominator), which needs no buckets and so fewer
//! arrays per node. Everything is iterative: snapshots have millions of nodes
//! and DFS trees thousands deep.
//!
//! Edges are "essential" as DevTools defines them: weak edges never retain,
//! and shortcut edges only count from the root (where V8 uses them to mark the
//! user's global objects).

use super::graph::HeapGraph;
pub use super::sizes::RetainedSizes;

/// The dominator tree over node ordinals, with retained sizes.
#[derive(Debug, Default)]
pub struct DominatorTree {
    /// Immediate dominator of each node; the root's is itself. Nodes the root
    /// cannot reach through essential edges hang off the root, like DevTools.
    pub idom: Vec<u32>,
    /// Self size plus the self sizes of every node it dominates.
    pub retained: RetainedSizes,
}

/// Whether an edge retains its target for dominator purposes.
pub fn is_essential(graph: &HeapGraph, source: u32, edge: usize) -> bool {
    !graph.is_weak(edge)
        && (source == 0 || !graph.is_shortcut(edge))
        && !graph.is_weakmap_table_edge(source, edge)
}

/// Depth-first traversal from the root over essential edges, calling
/// `visit(node, pre number, pre number of its DFS parent)` in preorder
/// (numbers start at 1; the root's parent is 0). Deterministic, so running it
/// twice yields the same numbering; visited marks are a bitset.
fn dfs_preorder(graph: &HeapGraph, mut visit: impl FnMut(u32, u32, u32)) {
    let n = graph.node_count();
    if n == 0 {
        return;
    }
    let mut seen = vec![0u64; n.div_ceil(64)];
    let mut mark = |v: u32| -> bool {
        match seen.get_mut(v as usize / 64) {
            Some(word) => {
                let bit = 1u64 << (v % 64);
                let fresh = *word & bit == 0;
                *word |= bit;
                fresh
            }
            None => false,
        }
    };
    mark(0);
    visit(0, 1, 0);
    let mut count = 1u32;
    // (node, next edge, pre number)
    let mut stack: Vec<(u32, u32, u32)> = vec![(0, graph.edges(0).start as u32, 1)];
    while let Some(top) = stack.last_mut() {
        let (node, cursor, number) = *top;
        let end = graph.edges(node).end;
        let mut e = cursor as usize;
        let mut next = None;
        while e < end {
            let to = graph.edge_target(e);
            e += 1;
            if is_essential(graph, node, e - 1) && mark(to) {
                next = Some(to);
                break;
            }
        }
        top.1 = e as u32;
        match next {
            Some(to) => {
                count += 1;
                visit(to, count, number);
                stack.push((to, graph.edges(to).start as u32, count));
            }
            None => {
                stack.pop();
            }
        }
    }
}

/// LT's EVAL with iterative path compression, over pre numbers, while the
/// vertices above `current` are processed. A vertex is linked into the forest
/// exactly when it is processed, so `ancestor` starts as the DFS parent array
/// and "linked" is `a > current`: no separate link step or zero state.
fn eval(
    v: u32,
    current: u32,
    ancestor: &mut [u32],
    label: &mut [u32],
    semi: &[u32],
    path: &mut Vec<u32>,
) -> u32 {
    let get = |a: &[u32], i: u32| a.get(i as usize).copied().unwrap_or(0);
    if v <= current {
        return v;
    }
    path.clear();
    let mut x = v;
    while get(ancestor, x) > current {
        path.push(x);
        x = get(ancestor, x);
    }
    while let Some(y) = path.pop() {
        let a = get(ancestor, y);
        let (la, ly) = (get(label, a), get(label, y));
        if get(semi, la) < get(semi, ly) {
            if let Some(slot) = label.get_mut(y as usize) {
                *slot = la;
            }
        }
        let aa = get(ancestor, a);
        if let Some(slot) = ancestor.get_mut(y as usize) {
            *slot = aa;
        }
    }
    get(label, v)
}

/// Essential predecessors of each reached node, in preorder numbers. Only
/// predecessors numbered above their target are stored (CSR): those from
/// below are unprocessed when the target is, so they only contribute their
/// own number, and the minimum of those is kept per node instead. That drops
/// the DFS tree edges, about a third of a heap graph's edges, from the lists.
struct PredLists {
    first: Vec<u32>,
    sources: Vec<u32>,
    /// Smallest predecessor numbered below the node (its DFS parent at most).
    min_lower: Vec<u32>,
}

impl PredLists {
    fn build(graph: &HeapGraph, pre: &[u32], reached: usize) -> Self {
        let get = |i: u32| pre.get(i as usize).copied().unwrap_or(0);
        let mut first = vec![0u32; reached + 2];
        let mut min_lower: Vec<u32> = (0..=reached as u32).collect();
        let for_each_edge = |f: &mut dyn FnMut(u32, u32)| {
            for node in 0..graph.node_count() as u32 {
                let from = get(node);
                if from == 0 {
                    continue;
                }
                for e in graph.edges(node) {
                    let to = get(graph.edge_target(e));
                    if to != 0 && is_essential(graph, node, e) {
                        f(from, to);
                    }
                }
            }
        };
        for_each_edge(&mut |from, to| {
            if from < to {
                if let Some(m) = min_lower.get_mut(to as usize) {
                    *m = (*m).min(from);
                }
            } else if from > to {
                if let Some(c) = first.get_mut(to as usize) {
                    *c += 1;
                }
            }
        });
        // Inclusive prefix sums make `first[t]` the end of t's list; filling
        // backwards moves it to the start, with no cursor array.
        for i in 1..first.len() {
            let prev = first.get(i - 1).copied().unwrap_or(0);
            if let Some(slot) = first.get_mut(i) {
                *slot += prev;
            }
        }
        let mut sources = vec![0u32; first.last().copied().unwrap_or(0) as usize];
        for_each_edge(&mut |from, to| {
            if from <= to {
                return;
            }
            if let Some(end) = first.get_mut(to as usize) {
                *end = end.saturating_sub(1);
                if let Some(slot) = sources.get_mut(*end as usize) {
                    *slot = from;
                }
            }
        });
        PredLists {
            first,
            sources,
            min_lower,
        }
    }
}

impl DominatorTree {
    /// Computes immediate dominators and retained sizes for the whole graph.
    /// This is the analyzer's memory peak, so arrays are merged, reused and
    /// released as early as possible: only predecessors numbered above their
    /// target are listed; the semi-dominator of `w` overwrites the start
    /// offset of `w`'s list once consumed; the DFS parent array serves as LT's
    /// ancestor forest; and the (deterministic) DFS is simply rerun when
    /// parents or the preorder-to-node map are needed again. The main loop
    /// holds four arrays per node plus one per non-tree essential edge.
    pub fn compute(graph: &HeapGraph) -> Self {
        let n = graph.node_count();
        let get = |a: &[u32], i: u32| a.get(i as usize).copied().unwrap_or(0);
        // Numbers start at 1, so 0 can mean "none" everywhere below.
        let mut pre = vec![0u32; n];
        let mut reached = 0usize;
        dfs_preorder(graph, |node, number, _| {
            if let Some(slot) = pre.get_mut(node as usize) {
                *slot = number;
            }
            reached += 1;
        });
        let PredLists {
            first,
            sources,
            min_lower,
        } = PredLists::build(graph, &pre, reached);
        drop(pre);
        // Otherwise `pre`'s pages stay resident while `ancestor` takes fresh ones.
        super::release_freed_memory();

        // The DFS parents serve as LT's ancestor forest. Reserved up front:
        // growing by doubling would leave freed blocks of several megabytes
        // that the allocator keeps resident.
        let mut ancestor = Vec::with_capacity(reached + 1);
        ancestor.push(0u32);
        dfs_preorder(graph, |_, _, parent_number| ancestor.push(parent_number));

        // `label[w]` holds w's smallest lower predecessor until w is processed.
        let mut label = min_lower;
        // `semi[w]` for processed w (w > current), list starts for the rest.
        let mut semi = first;
        let mut path = Vec::new();
        let mut end = get(&semi, reached as u32 + 1) as usize;
        for w in (2..=reached as u32).rev() {
            let start = get(&semi, w) as usize;
            let mut s = get(&label, w);
            for &v in sources.get(start..end).unwrap_or_default() {
                let u = eval(v, w, &mut ancestor, &mut label, &semi, &mut path);
                s = s.min(get(&semi, u));
            }
            end = start;
            if let Some(slot) = semi.get_mut(w as usize) {
                *slot = s;
            }
            if let Some(slot) = label.get_mut(w as usize) {
                *slot = w;
            }
        }
        drop(sources);
        drop(ancestor);
        super::release_freed_memory();

        // Path compression destroyed the DFS parents; a third, identical
        // DFS brings them back together with the preorder-to-node map.
        let mut parent = label;
        parent.clear();
        parent.push(0);
        let mut vertex = Vec::with_capacity(reached + 1);
        vertex.push(0u32);
        dfs_preorder(graph, |node, _, parent_number| {
            vertex.push(node);
            parent.push(parent_number);
        });

        // SEMI-NCA: in preorder, idom(w) is the nearest ancestor of parent(w)
        // (already final) whose number is at most semi(w). `parent` becomes idom.
        for w in 2..=reached as u32 {
            let s = get(&semi, w);
            let mut d = get(&parent, w);
            while d > s {
                d = get(&parent, d);
            }
            if let Some(slot) = parent.get_mut(w as usize) {
                *slot = d;
            }
        }
        drop(semi);
        let idom_pre = parent;

        let mut idom = vec![u32::MAX; n];
        if let Some(root) = idom.first_mut() {
            *root = 0;
        }
        for w in 2..=reached as u32 {
            if let Some(slot) = idom.get_mut(get(&vertex, w) as usize) {
                *slot = get(&vertex, get(&idom_pre, w));
            }
        }
        let mut retained = RetainedSizes::zeroed(n);
        for v in 0..n as u32 {
            retained.set(v, graph.self_size(v));
        }
        let mut unreached_size = 0u64;
        for (v, d) in idom.iter_mut().enumerate() {
            if *d == u32::MAX {
                // Not reachable through essential edges: hangs off the root.
                *d = 0;
                unreached_size += graph.self_size(v as u32);
            }
        }
        // Reverse preorder visits every node after all nodes it dominates.
        for w in (2..=reached as u32).rev() {
            let node = get(&vertex, w);
            let dom = get(&vertex, get(&idom_pre, w));
            retained.add(dom, retained.get(node));
        }
        retained.add(0, unreached_size);
        DominatorTree { idom, retained }
    }

    pub fn idom(&self, node: u32) -> u32 {
        self.idom.get(node as usize).copied().unwrap_or(0)
    }

    pub fn retained(&self, node: u32) -> u64 {
        self.retained.get(node)
    }

    /// The dominator tree as children lists (CSR): `(first, children)`.
    pub fn children(&self) -> (Vec<u32>, Vec<u32>) {
        let n = self.idom.len();
        let mut first = vec![0u32; n + 1];
        let is_child = |(v, d): &(usize, &u32)| **d as usize != *v;
        for (_, &d) in self.idom.iter().enumerate().skip(1).filter(is_child) {
            if let Some(slot) = first.get_mut(d as usize) {
                *slot += 1;
            }
        }
        // Inclusive prefix sums give each list's end; filling backwards then
        // leaves `first[d]` at the list's start, with no cursor array.
        for i in 1..first.len() {
            let prev = first.get(i - 1).copied().unwrap_or(0);
            if let Some(slot) = first.get_mut(i) {
                *slot += prev;
            }
        }
        let mut children = vec![0u32; first.last().copied().unwrap_or(0) as usize];
        // In reverse, so that each list comes out in ascending order.
        for (v, &d) in self.idom.iter().enumerate().skip(1).rev().filter(is_child) {
            if let Some(end) = first.get_mut(d as usize) {
                *end = end.saturating_sub(1);
                if let Some(slot) = children.get_mut(*end as usize) {
                    *slot = v as u32;
                }
            }
        }
        (first, children)
    }
}

#[cfg(test)]
#[path = "dominators_tests.rs"]
mod tests;
