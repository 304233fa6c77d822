//! Breadth-first distances from the root, with the BFS tree kept as parent
//! edges: the BFS tree gives every node its shortest retaining path.

use std::collections::VecDeque;

use super::graph::HeapGraph;

/// Distance of a node no strong path reaches.
pub const UNREACHABLE: u32 = u32::MAX;
/// Parent edge of the root and of unreachable nodes.
pub const NO_EDGE: u32 = u32::MAX;

/// BFS result over strong (non-weak) edges from node 0.
#[derive(Debug, Default)]
pub struct Distances {
    /// Hops from the root, or [`UNREACHABLE`].
    pub distance: Vec<u32>,
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
        let mut distance = vec![UNREACHABLE; n];
        let mut parent_edge = vec![NO_EDGE; n];
        let mut order = Vec::with_capacity(n);
        let mut queue = VecDeque::new();
        if n == 0 {
            return Distances::default();
        }
        if let Some(d) = distance.first_mut() {
            *d = 0;
        }
        order.push(0);
        let synthetic = graph.types.node_synthetic;
        for user_roots_first in [true, false] {
            for e in graph.edges(0) {
                let to = graph.edge_target(e);
                let is_user_root = Some(graph.kind(to)) != synthetic;
                if graph.is_weak(e) || is_user_root != user_roots_first {
                    continue;
                }
                Self::visit(&mut distance, &mut parent_edge, &mut queue, to, e, 1);
            }
            while let Some(node) = queue.pop_front() {
                order.push(node);
                let next = distance
                    .get(node as usize)
                    .copied()
                    .unwrap_or(UNREACHABLE)
                    .saturating_add(1);
                for e in graph.edges(node) {
                    if !graph.is_weak(e) {
                        let to = graph.edge_target(e);
                        Self::visit(&mut distance, &mut parent_edge, &mut queue, to, e, next);
                    }
                }
            }
        }
        Distances {
            distance,
            parent_edge,
            order,
        }
    }

    fn visit(
        distance: &mut [u32],
        parent_edge: &mut [u32],
        queue: &mut VecDeque<u32>,
        to: u32,
        edge: usize,
        d: u32,
    ) {
        if let Some(slot) = distance.get_mut(to as usize) {
            if *slot == UNREACHABLE {
                *slot = d;
                if let Some(p) = parent_edge.get_mut(to as usize) {
                    *p = edge as u32;
                }
                queue.push_back(to);
            }
        }
    }

    pub fn distance(&self, node: u32) -> u32 {
        self.distance
            .get(node as usize)
            .copied()
            .unwrap_or(UNREACHABLE)
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
        assert_eq!(d.distance, vec![0, 1, 2, 2, UNREACHABLE]);
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
