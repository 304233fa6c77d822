//! Everything derived from one snapshot: distances, dominators, classes and
//! path signatures, computed once and shared by the report and the diffs.

use std::collections::HashMap;

use super::aggregate::{self, ClassIndex, ClassStat};
use super::distances::Distances;
use super::dominators::DominatorTree;
use super::graph::HeapGraph;
use super::paths::{self, PathSignatures};

/// One analysed snapshot.
#[derive(Debug)]
pub struct SnapshotAnalysis {
    pub graph: HeapGraph,
    pub distances: Distances,
    pub dominators: DominatorTree,
    pub classes: ClassIndex,
    /// Statistics of every class, biggest retained size first.
    pub class_stats: Vec<ClassStat>,
    /// Path signature group per node; empty unless requested, since a
    /// single-snapshot summary does not need them.
    pub signatures: PathSignatures,
}

/// Count and sizes of the objects that share one path signature.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GroupStat {
    pub count: u64,
    pub shallow_size: u64,
    /// Retained size of members not dominated by another member.
    pub retained_size: u64,
    /// The member with the largest retained size, to show as an example.
    pub sample: u32,
}

impl SnapshotAnalysis {
    /// Analyses a graph; `with_paths` adds the BFS tree (retaining paths)
    /// and the path signatures that diffs and suspects need. Without it,
    /// `distances` stays empty: class statistics do not need it, and skipping
    /// it keeps a single-snapshot summary's peak memory lower.
    pub fn new(graph: HeapGraph, with_paths: bool) -> Self {
        // Dominators first: their temporary arrays are the peak of memory
        // use, and nothing else is alive yet besides the graph.
        let dominators = DominatorTree::compute(&graph);
        super::release_freed_memory();
        let classes = ClassIndex::build(&graph);
        // Before the BFS, so that the dominator tree's temporary children
        // lists are gone before the BFS arrays exist.
        let class_stats = aggregate::by_class(&graph, &dominators, &classes, |_| true);
        super::release_freed_memory();
        let mut distances = Distances::default();
        let mut signatures = PathSignatures::default();
        if with_paths {
            distances = Distances::compute(&graph);
            signatures = paths::path_signatures(&graph, &distances, &classes);
            // The BFS order only serves the signatures.
            distances.order = Vec::new();
            super::release_freed_memory();
        }
        SnapshotAnalysis {
            graph,
            distances,
            dominators,
            classes,
            class_stats,
            signatures,
        }
    }

    pub fn signature(&self, node: u32) -> u64 {
        self.signatures.signature(node)
    }

    pub fn is_reachable(&self, node: u32) -> bool {
        self.distances.is_reachable(node)
    }

    /// Statistics per path signature over reachable nodes (root excluded).
    pub fn group_stats(&self) -> HashMap<u64, GroupStat> {
        let groups = &self.signatures;
        let k = groups.keys.len();
        let mut stats = vec![GroupStat::default(); k];
        let mut best = vec![0u64; k];
        for v in 1..self.graph.node_count() as u32 {
            let g = groups.group(v) as usize;
            if let Some(s) = stats.get_mut(g) {
                s.count += 1;
                s.shallow_size += self.graph.self_size(v);
                let r = self.dominators.retained(v);
                if let Some(b) = best.get_mut(g) {
                    if r > *b || s.count == 1 {
                        *b = r;
                        s.sample = v;
                    }
                }
            }
        }
        let retained =
            aggregate::top_level_retained(&self.dominators, |v| groups.group(v), k, |v| v != 0);
        for (s, r) in stats.iter_mut().zip(retained) {
            s.retained_size = r;
        }
        super::release_freed_memory();
        // The root's group has no members of its own unless a path hashes
        // like the root; groups are keyed by members, as before interning.
        groups
            .keys
            .iter()
            .zip(stats)
            .filter(|(_, s)| s.count > 0)
            .map(|(&key, s)| (key, s))
            .collect()
    }

    /// Node ids, sorted, for matching objects across in-process snapshots.
    pub fn sorted_ids(&self) -> Vec<u32> {
        let mut ids = self.graph.node_id.clone();
        ids.sort_unstable();
        ids
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::heap::graph::tests::build;

    #[test]
    fn groups_of_array_elements() {
        let g = build(
            &[
                ("synthetic", ""),
                ("object", "Array"),
                ("object", "Object"),
                ("object", "Object"),
                ("string", "s"),
            ],
            &[
                (0, "property", "list", 1),
                (1, "element", "0", 2),
                (1, "element", "1", 3),
                (2, "property", "s", 4),
            ],
        );
        let a = SnapshotAnalysis::new(g, true);
        let groups = a.group_stats();
        let objects = groups[&a.signature(2)];
        assert_eq!(objects.count, 2);
        assert_eq!(objects.retained_size, 30);
        assert_eq!(objects.sample, 2);
        assert_eq!(groups.len(), 3);
    }
}
