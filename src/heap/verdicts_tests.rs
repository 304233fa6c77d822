use super::*;
use crate::heap::diff::{growth_suspects, DiffOptions};
use crate::heap::graph::tests::build;
use crate::heap::graph::HeapGraph;

/// root -> global -> `cache` Map -> table -> n string keys and n values.
fn map_cache(n: u32) -> HeapGraph {
    let mut nodes = vec![
        ("synthetic", ""),
        ("object", "global"),
        ("object", "Map"),
        ("array", ""),
    ];
    let mut edges = vec![
        (0, "element", "1", 1),
        (1, "property", "cache", 2),
        (2, "internal", "table", 3),
    ];
    for i in 0..n {
        nodes.push(("string", "req-key"));
        nodes.push(("object", "Session"));
        edges.push((3, "internal", "1", 4 + 2 * i));
        edges.push((3, "internal", "2", 5 + 2 * i));
    }
    build(&nodes, &edges)
}

fn suspects_of(graphs: Vec<HeapGraph>, opts: &DiffOptions) -> Vec<Suspect> {
    let mut analyses: Vec<SnapshotAnalysis> = graphs
        .into_iter()
        .map(|g| SnapshotAnalysis::new(g, true))
        .collect();
    let Some(last) = analyses.pop() else {
        return Vec::new();
    };
    let earlier: Vec<_> = analyses.iter().map(SnapshotAnalysis::group_stats).collect();
    growth_suspects(&earlier, &last, &last.group_stats(), None, opts).0
}

#[test]
fn keys_and_values_under_one_holder_are_one_suspect() {
    let opts = DiffOptions {
        min_retained_delta: 100,
        ..DiffOptions::default()
    };
    let s = suspects_of(vec![map_cache(10), map_cache(20), map_cache(30)], &opts);
    assert_eq!(s.len(), 1, "{s:#?}");
    assert_eq!(s[0].holder.description, "property `global.cache` (Map)");
    assert_eq!(s[0].merged.len(), 1);
    assert_eq!(s[0].retained_size_delta, 400, "keys and values together");
    assert_eq!(s[0].kind, LeakKind::UnboundedCollection);
    assert!(!s[0].advice.is_empty());
    assert!(
        s[0].raw_path.starts_with("global > cache"),
        "{}",
        s[0].raw_path
    );
}

#[test]
fn small_objects_that_multiply_are_suspects_under_the_byte_threshold() {
    // 10-byte objects: 20,000 more keys and values are 400 KB, under 1 MiB.
    let graphs = || vec![map_cache(1000), map_cache(11_000), map_cache(21_000)];
    let opts = DiffOptions {
        min_retained_delta: 1 << 20,
        ..DiffOptions::default()
    };
    let s = suspects_of(graphs(), &opts);
    assert_eq!(s.len(), 1, "{s:#?}");
    assert_eq!(s[0].counts, vec![1000, 11_000, 21_000]);
    let off = DiffOptions {
        min_count_delta: 0,
        ..opts
    };
    assert!(suspects_of(graphs(), &off).is_empty());
}

/// root -> a synthetic sub-root whose members each have a distinct path, so
/// only the synthetic node's own retained size grows.
fn synthetic_root(n: u32) -> HeapGraph {
    let names: Vec<String> = (0..n)
        .map(|i| format!("slot{}", char::from(b'a' + (i % 26) as u8)).repeat(1 + i as usize / 26))
        .collect();
    let mut nodes = vec![("synthetic", ""), ("synthetic", "(Bun roots)")];
    let mut edges = vec![(0, "element", "1", 1)];
    for (i, name) in names.iter().enumerate() {
        nodes.push(("object", "Record"));
        edges.push((1, "property", name.as_str(), 2 + i as u32));
    }
    build(&nodes, &edges)
}

#[test]
fn synthetic_and_root_nodes_are_never_suspects() {
    let opts = DiffOptions {
        min_retained_delta: 10,
        min_count_delta: 0,
        ..DiffOptions::default()
    };
    let s = suspects_of(
        vec![synthetic_root(5), synthetic_root(10), synthetic_root(15)],
        &opts,
    );
    assert!(s.iter().all(|s| s.constructor != "(synthetic)"), "{s:#?}");
    assert!(s.is_empty(), "{s:#?}");
}

/// root -> global -> `head` -> Promise -> reaction -> Promise -> … (n promises).
fn promise_chain(n: u32) -> HeapGraph {
    let mut nodes = vec![("synthetic", ""), ("object", "global")];
    let mut edges = vec![(0, "element", "1", 1)];
    let mut prev = 1;
    let mut name = "head";
    for i in 0..n {
        let p = 2 + 2 * i;
        nodes.push(("object", "Promise"));
        nodes.push(("hidden", "system / PromiseReaction"));
        edges.push((prev, if i == 0 { "property" } else { "internal" }, name, p));
        edges.push((p, "internal", "reactions_or_result", p + 1));
        prev = p + 1;
        name = "promise_or_capability";
    }
    build(&nodes, &edges)
}

#[test]
fn promise_chains_report_their_real_counts() {
    let opts = DiffOptions {
        min_retained_delta: 100,
        ..DiffOptions::default()
    };
    let s = suspects_of(
        vec![promise_chain(10), promise_chain(40), promise_chain(90)],
        &opts,
    );
    assert_eq!(s.len(), 1, "{s:#?}");
    assert_eq!(s[0].kind, LeakKind::PromiseChain);
    assert!(
        s[0].counts.last().copied().unwrap_or(0) >= 80,
        "{:?}",
        s[0].counts
    );
    assert!(s[0].path.len() < 300, "{}", s[0].path);
    assert_eq!(s[0].holder.name.as_deref(), Some("head"));
}
