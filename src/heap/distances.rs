//! Breadth-first search from the root, kept as the BFS tree's parent edges:
//! it gives every node its shortest retaining path, and its length is the
//! node's distance. Only the parent edges are stored (4 bytes per node).

use super::graph::HeapGraph;

/// Distance of a node no strong path reaches.
pub const UNREACHABLE: u32 = u32::MAX;
/// Parent edge of the root and of unreachable nodes.
pub const NO_EDGE: u32 = u32::MAX;

/// BFS result over strong (non-weak) edges from node 0.
#[derive(Debug, Default)]
pub struct Distances {
    /// The edge through which BFS first reached each node, or [`NO_EDGE`].
    pub parent_edge: Vec<u32>,
    /// Nodes in BFS visiting order, so parents always precede children.
    pub order: Vec<u32>,
}

impl Distances {
    /// Runs the BFS. Weak edges are skipped because they do not retain. Like
    /// DevTools, the user roots (the root's non-synthetic children, i.e. the
    /// global objects) are explored before the engine's synthetic roots, so
    /// paths go through `global` or a closure rather than a handle scope
    /// whenever such a path exists.
    pub fn compute(graph: &HeapGraph) -> Self {
        let n = graph.node_count();
        let mut parent_edge = vec![NO_EDGE; n];
        // `order` doubles as the BFS queue: nodes are appended when first
        // reached and `head` walks behind, so no separate queue is needed.
        let mut order = Vec::with_capacity(n);
        if n == 0 {
            return Distances::default();
        }
        order.push(0);
        let mut head = 1;
        let synthetic = graph.types.node_synthetic;
        for user_roots_first in [true, false] {
            for e in graph.edges(0) {
                let to = graph.edge_target(e);
                let is_user_root = Some(graph.kind(to)) != synthetic;
                if graph.is_weak(e) || is_user_root != user_roots_first {
                    continue;
                }
                Self::visit(&mut parent_edge, &mut order, to, e);
            }
            while let Some(&node) = order.get(head) {
                head += 1;
                for e in graph.edges(node) {
                    if !graph.is_weak(e) {
                        let to = graph.edge_target(e);
                        Self::visit(&mut parent_edge, &mut order, to, e);
                    }
                }
            }
        }
        Distances { parent_edge, order }
    }

    fn visit(parent_edge: &mut [u32], queue: &mut Vec<u32>, to: u32, edge: usize) {
        // The root is "visited" from the start; it has no parent edge.
        if to == 0 {
            return;
        }
        if let Some(slot) = parent_edge.get_mut(to as usize) {
            if *slot == NO_EDGE {
                *slot = edge as u32;
                queue.push(to);
            }
        }
    }

    /// Whether a strong path from the root reaches `node`.
    pub fn is_reachable(&self, node: u32) -> bool {
        node == 0 || self.parent_edge(node).is_some()
    }

    /// Hops from the root (the length of the BFS path), or [`UNREACHABLE`].
    pub fn distance(&self, graph: &HeapGraph, node: u32) -> u32 {
        if !self.is_reachable(node) {
            return UNREACHABLE;
        }
        self.path_edges(graph, node).len() as u32
    }

    pub fn parent_edge(&self, node: u32) -> Option<usize> {
        match self.parent_edge.get(node as usize).copied() {
            Some(NO_EDGE) | None => None,
            Some(e) => Some(e as usize),
        }
    }

    /// Edges from the root to `node` along the BFS tree (empty if unreachable).
    pub fn path_edges(&self, graph: &HeapGraph, node: u32) -> Vec<usize> {
        let mut edges = Vec::new();
        let mut cur = node;
        // The BFS tree is acyclic; the bound only guards against corrupt input.
        while let Some(e) = self.parent_edge(cur) {
            edges.push(e);
            cur = graph.edge_source(e);
            if edges.len() > graph.node_count() {
                break;
            }
        }
        edges.reverse();
        edges
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::heap::graph::tests::build;

    #[test]
    fn bfs_skips_weak_edges_and_records_shortest_parents() {
        let g = build(
            &[
                ("synthetic", ""),
                ("synthetic", "(GC roots)"),
                ("object", "A"),
                ("object", "B"),
                ("object", "C"),
            ],
            &[
                (0, "element", "1", 1),
                (1, "property", "a", 2),
                (2, "property", "b", 3),
                (1, "property", "b2", 3),
                (0, "weak", "w", 4),
            ],
        );
        let d = Distances::compute(&g);
        let dist: Vec<u32> = (0..5).map(|v| d.distance(&g, v)).collect();
        assert_eq!(dist, vec![0, 1, 2, 2, UNREACHABLE]);
        let path: Vec<_> = d
            .path_edges(&g, 3)
            .into_iter()
            .map(|e| g.edge_name_text(e).into_owned())
            .collect();
        assert_eq!(path, ["1", "b2"]);
        assert!(d.path_edges(&g, 4).is_empty());
        assert_eq!(d.order.len(), 4);
    }
}
