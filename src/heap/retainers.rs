//! Reverse edges (who retains a node) in CSR form, built on demand: most of
//! the analysis walks edges forwards, and the reverse lists cost 4 bytes per
//! kept edge.

use super::graph::HeapGraph;

/// Reverse adjacency in CSR form: the sources of the kept edges into each node.
#[derive(Debug, Default)]
pub struct Retainers {
    first: Vec<u32>,
    sources: Vec<u32>,
}

impl Retainers {
    /// Builds the retainer lists of the edges for which `keep(source, edge)` holds.
    pub fn build(graph: &HeapGraph, keep: impl Fn(u32, usize) -> bool) -> Self {
        let n = graph.node_count();
        let mut first = vec![0u32; n + 1];
        for node in 0..n as u32 {
            for e in graph.edges(node) {
                if keep(node, e) {
                    if let Some(slot) = first.get_mut(graph.edge_target(e) as usize) {
                        *slot += 1;
                    }
                }
            }
        }
        for i in 1..first.len() {
            let prev = first.get(i - 1).copied().unwrap_or(0);
            if let Some(slot) = first.get_mut(i) {
                *slot += prev;
            }
        }
        let total = first.last().copied().unwrap_or(0) as usize;
        let mut sources = vec![0u32; total];
        // Inclusive prefix sums make `first[t]` the end of t's list; filling
        // backwards (sources in reverse) moves it to the start, keeps each list
        // in ascending source order, and needs no cursor array.
        for node in (0..n as u32).rev() {
            for e in graph.edges(node).rev() {
                if keep(node, e) {
                    if let Some(end) = first.get_mut(graph.edge_target(e) as usize) {
                        *end = end.saturating_sub(1);
                        if let Some(slot) = sources.get_mut(*end as usize) {
                            *slot = node;
                        }
                    }
                }
            }
        }
        Retainers { first, sources }
    }

    pub fn of(&self, node: u32) -> &[u32] {
        let n = node as usize;
        let start = self.first.get(n).copied().unwrap_or(0) as usize;
        let end = self.first.get(n + 1).copied().unwrap_or(0) as usize;
        self.sources.get(start..end).unwrap_or_default()
    }
}
