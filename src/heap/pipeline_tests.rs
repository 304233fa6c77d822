//! Property test of the whole analysis on random graphs: whatever the shape
//! (cycles, self-loops, unreachable parts, weak-only or shortcut-only
//! reachability, a root without edges), nothing panics and the invariants of
//! dominators and retained sizes hold.

use proptest::prelude::*;

use super::analysis::SnapshotAnalysis;
use super::diff::{self, DiffOptions};
use super::graph::tests::build;
use super::paths;

const NODE_TYPES: [&str; 6] = [
    "object",
    "closure",
    "array",
    "string",
    "hidden",
    "synthetic",
];
const EDGE_TYPES: [&str; 7] = [
    "context", "element", "property", "internal", "hidden", "shortcut", "weak",
];
const NAMES: [&str; 4] = ["Object", "Foo", "next", "(GC roots)"];

/// (node type, name) per node and (from, edge type, name, to) per edge, as
/// indices into the tables above.
type RandomGraph = (Vec<(usize, usize)>, Vec<(u32, usize, usize, u32)>);

fn graph_strategy() -> impl Strategy<Value = RandomGraph> {
    (1usize..24).prop_flat_map(|n| {
        (
            proptest::collection::vec((0..NODE_TYPES.len(), 0..NAMES.len()), n),
            proptest::collection::vec(
                (
                    0..n as u32,
                    0..EDGE_TYPES.len(),
                    0..NAMES.len(),
                    0..n as u32,
                ),
                0..(3 * n),
            ),
        )
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, .. ProptestConfig::default() })]

    #[test]
    fn analysis_of_random_graphs_keeps_its_invariants((nodes, edges) in graph_strategy()) {
        let nodes: Vec<(&str, &str)> = nodes.iter().map(|&(t, n)| (NODE_TYPES[t], NAMES[n])).collect();
        let edges: Vec<(u32, &str, &str, u32)> = edges
            .iter()
            .map(|&(a, t, name, b)| {
                let t = EDGE_TYPES[t];
                let name = if t == "element" || t == "hidden" { "3" } else { NAMES[name] };
                (a, t, name, b)
            })
            .collect();
        let g = build(&nodes, &edges);
        let n = g.node_count() as u32;
        let total = g.total_size();
        let a = SnapshotAnalysis::new(g, true);
        prop_assert_eq!(a.dominators.retained(0), total);
        for v in 0..n {
            prop_assert!(a.dominators.retained(v) >= a.graph.self_size(v));
            // The idom chain reaches the root without cycles.
            let mut d = v;
            for _ in 0..=n {
                if d == 0 { break; }
                let up = a.dominators.idom(d);
                prop_assert!(a.dominators.retained(up) >= a.dominators.retained(d));
                d = up;
            }
            prop_assert_eq!(d, 0);
            let _ = paths::render_path(&a.graph, &a.distances, v);
            let _ = paths::source_location(&a.graph, &a.distances, v);
        }
        let groups = a.group_stats();
        let flags = vec![true; n as usize];
        let opts = DiffOptions { min_retained_delta: 0, ..DiffOptions::default() };
        let (suspects, _) =
            diff::growth_suspects(&[std::collections::HashMap::new()], &a, &groups, Some(&flags), &opts);
        prop_assert!(suspects.len() <= 10);
        let _ = diff::survivors_by_class(&a, &flags);
        let _ = super::report::to_text(&super::Report {
            suspects,
            summary: super::Summary {
                mode: "growth".into(),
                snapshots: vec![],
                top_classes: a.class_stats.clone(),
                survivors: vec![],
                below_threshold: 0,
                selection: None,
                allocation_sites: vec![],
                profiles: None,
            },
        });
    }
}
