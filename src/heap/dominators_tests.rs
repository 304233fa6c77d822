use super::*;
use crate::heap::graph::tests::build;

fn graph_of(n: usize, edges: &[(u32, &str, u32)]) -> HeapGraph {
    let nodes: Vec<(&str, &str)> = (0..n).map(|_| ("object", "X")).collect();
    let edges: Vec<(u32, &str, &str, u32)> = edges
        .iter()
        .map(|&(from, t, to)| {
            (
                from,
                t,
                if t == "element" || t == "hidden" {
                    "0"
                } else {
                    "p"
                },
                to,
            )
        })
        .collect();
    build(&nodes, &edges)
}

#[test]
fn diamond() {
    // 0 -> 1 -> {2, 3} -> 4
    let g = graph_of(
        5,
        &[
            (0, "property", 1),
            (1, "property", 2),
            (1, "property", 3),
            (2, "property", 4),
            (3, "property", 4),
        ],
    );
    let d = DominatorTree::compute(&g);
    assert_eq!(d.idom, vec![0, 0, 1, 1, 1]);
    assert_eq!(d.retained.to_vec(), vec![50, 40, 10, 10, 10]);
}

#[test]
fn cycle_and_weak_and_shortcut_edges() {
    // 0 -> 1 -> 2 -> 3 -> 1 (cycle); 3 -weak-> 4; 2 -shortcut-> 4 (ignored,
    // not from the root); 0 -shortcut-> 5 (kept: from the root).
    let g = graph_of(
        6,
        &[
            (0, "property", 1),
            (0, "shortcut", 5),
            (1, "property", 2),
            (2, "property", 3),
            (2, "shortcut", 4),
            (3, "property", 1),
            (3, "weak", 4),
        ],
    );
    let d = DominatorTree::compute(&g);
    assert_eq!(d.idom, vec![0, 0, 1, 2, 0, 0]);
    // Node 4 is only weakly or shortcut-reachable: it hangs off the root.
    assert_eq!(d.retained(1), 30);
    assert_eq!(d.retained(0), 60);
    let (first, children) = d.children();
    let kids: Vec<u32> = children[first[0] as usize..first[1] as usize].to_vec();
    assert_eq!(kids, vec![1, 4, 5]);
}

#[test]
fn weakmap_values_are_retained_by_their_keys() {
    // Node ids are 2 * ordinal + 1: the table (node 2) has id 5.
    let entry = "1 / part of key (K @3) -> value (V @7) pair in WeakMap (table @5)";
    let g = build(
        &[
            ("synthetic", ""),
            ("object", "K"),
            ("object", "WeakMapTable"),
            ("object", "V"),
        ],
        &[
            (0, "property", "key", 1),
            (0, "property", "wm", 2),
            (1, "internal", entry, 3),
            (2, "internal", entry, 3),
        ],
    );
    let d = DominatorTree::compute(&g);
    assert_eq!(d.idom(3), 1);
    assert_eq!(d.retained(1), 20);
}

/// Cooper-Harvey-Kennedy style set dataflow: Dom(n) = {n} ∪ ⋂ Dom(preds).
fn naive_idom(n: usize, edges: &[(u32, u32)]) -> Vec<Option<u32>> {
    let mut reach = vec![false; n];
    reach[0] = true;
    let mut changed = true;
    while changed {
        changed = false;
        for &(a, b) in edges {
            if reach[a as usize] && !reach[b as usize] {
                reach[b as usize] = true;
                changed = true;
            }
        }
    }
    let mut dom: Vec<Vec<bool>> = (0..n)
        .map(|v| {
            if v == 0 {
                (0..n).map(|x| x == 0).collect()
            } else {
                vec![true; n]
            }
        })
        .collect();
    changed = true;
    while changed {
        changed = false;
        for v in 1..n {
            if !reach[v] {
                continue;
            }
            let mut set = vec![true; n];
            for &(a, b) in edges {
                if b as usize == v && reach[a as usize] {
                    for x in 0..n {
                        set[x] = set[x] && dom[a as usize][x];
                    }
                }
            }
            set[v] = true;
            if set != dom[v] {
                dom[v] = set;
                changed = true;
            }
        }
    }
    (0..n)
        .map(|v| {
            if !reach[v] || v == 0 {
                return None;
            }
            // The strict dominator with the most dominators is the closest.
            (0..n)
                .filter(|&d| d != v && dom[v][d])
                .max_by_key(|&d| dom[d].iter().filter(|&&x| x).count())
                .map(|d| d as u32)
        })
        .collect()
}

#[test]
fn random_graphs_match_the_naive_algorithm() {
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut rand = move |m: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % m
    };
    for round in 0..300 {
        let n = 2 + rand(14) as usize;
        let m = rand(3 * n as u64 + 1) as usize;
        let mut edges = Vec::new();
        let mut typed = Vec::new();
        for _ in 0..m {
            let (a, b) = (rand(n as u64) as u32, rand(n as u64) as u32);
            let t = match rand(10) {
                0 => "weak",
                1 => "shortcut",
                _ => "property",
            };
            typed.push((a, t, b));
            if t == "property" || (t == "shortcut" && a == 0) {
                edges.push((a, b));
            }
        }
        let g = graph_of(n, &typed);
        let d = DominatorTree::compute(&g);
        let expected = naive_idom(n, &edges);
        for (v, want) in expected.iter().enumerate().skip(1) {
            let want = want.unwrap_or(0);
            assert_eq!(d.idom[v], want, "round {round}, node {v}, edges {typed:?}");
        }
        // The root retains everything.
        assert_eq!(d.retained(0), 10 * n as u64, "round {round}");
    }
}

#[test]
fn deep_chains_do_not_recurse() {
    let n = 200_000u32;
    let edges: Vec<(u32, &str, u32)> = (0..n - 1).map(|i| (i, "property", i + 1)).collect();
    let g = graph_of(n as usize, &edges);
    let d = DominatorTree::compute(&g);
    assert_eq!(d.idom(n - 1), n - 2);
    assert_eq!(d.retained(0), 10 * u64::from(n));
}
