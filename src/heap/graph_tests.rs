use super::*;

/// Builds a graph from `(type, name)` nodes and `(from, type, name, to)`
/// edges, with V8's default type lists. Edges may come in any order.
pub(crate) fn build(nodes: &[(&str, &str)], edges: &[(u32, &str, &str, u32)]) -> HeapGraph {
    let node_types: Vec<String> = [
        "hidden",
        "array",
        "string",
        "object",
        "code",
        "closure",
        "regexp",
        "number",
        "native",
        "synthetic",
        "concatenated string",
        "sliced string",
        "symbol",
        "bigint",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let edge_types: Vec<String> = [
        "context", "element", "property", "internal", "hidden", "shortcut", "weak",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let mut g = HeapGraph {
        types: TypeIds::resolve(&node_types, &edge_types),
        node_types,
        edge_types,
        ..HeapGraph::default()
    };
    let intern = |g: &mut HeapGraph, s: &str| -> u32 {
        (0..g.strings.len() as u32)
            .find(|&i| g.strings.get(i) == s)
            .unwrap_or_else(|| {
                g.strings.push(s.as_bytes(), usize::MAX).unwrap();
                g.strings.len() as u32 - 1
            })
    };
    for (i, (t, name)) in nodes.iter().enumerate() {
        let t = g.node_types.iter().position(|x| x == t).unwrap() as u8;
        let name = intern(&mut g, name);
        g.node_type.push(t);
        g.node_name.push(name);
        g.node_id.push(i as u32 * 2 + 1);
        g.node_self_size.push(10);
    }
    let mut sorted: Vec<_> = edges.to_vec();
    sorted.sort_by_key(|e| e.0);
    g.first_edge = vec![0; nodes.len() + 1];
    for (from, t, name, to) in sorted {
        g.first_edge[from as usize + 1] += 1;
        let t = g.edge_types.iter().position(|x| x == t).unwrap() as u8;
        g.edge_type.push(t);
        let name = if t == 1 || t == 4 {
            name.parse().unwrap()
        } else {
            intern(&mut g, name)
        };
        g.edge_name.push(name);
        g.edge_to.push(to);
    }
    for i in 1..g.first_edge.len() {
        g.first_edge[i] += g.first_edge[i - 1];
    }
    g.ephemerons = EphemeronNames::scan(&g.strings, &g.node_id);
    g.validate().unwrap();
    g
}

#[test]
fn class_names_follow_devtools() {
    let g = build(
        &[
            ("synthetic", ""),
            ("object", "Session"),
            ("closure", "onData"),
            ("array", ""),
            ("hidden", "system / Map"),
            ("code", "x"),
            ("concatenated string", "ab"),
        ],
        &[],
    );
    let names: Vec<_> = (0..7).map(|n| g.class_name(n).into_owned()).collect();
    assert_eq!(
        names,
        [
            "(synthetic)",
            "Session",
            "onData",
            "(array)",
            "(system)",
            "(compiled code)",
            "(concatenated string)"
        ]
    );
}

#[test]
fn retainers_and_edge_sources() {
    let g = build(
        &[("synthetic", ""), ("object", "A"), ("object", "B")],
        &[
            (0, "element", "1", 1),
            (0, "element", "2", 2),
            (1, "weak", "w", 2),
            (1, "property", "b", 2),
        ],
    );
    let all = Retainers::build(&g, |_, _| true);
    assert_eq!(all.of(2), &[0, 1, 1]);
    let strong = Retainers::build(&g, |_, e| !g.is_weak(e));
    assert_eq!(strong.of(2), &[0, 1]);
    assert_eq!(g.edge_source(0), 0);
    assert_eq!(g.edge_source(3), 1);
    assert_eq!(g.edge_name_text(3), "b");
    assert_eq!(g.edge_name_text(1), "2");
}

#[test]
fn validation_rejects_dangling_edges() {
    let mut g = build(
        &[("synthetic", ""), ("object", "A")],
        &[(0, "element", "1", 1)],
    );
    g.edge_to[0] = 5;
    assert_eq!(
        g.validate().unwrap_err().kind,
        super::super::HeapErrorKind::Invalid
    );
}

#[test]
fn packed_edge_types_read_back_the_same() {
    let mut g = build(
        &[("synthetic", ""), ("object", "A"), ("object", "B")],
        &[
            (0, "element", "1", 1),
            (0, "shortcut", "s", 2),
            (1, "weak", "w", 2),
            (2, "property", "a", 1),
        ],
    );
    let before: Vec<(u32, u8)> = (0..g.edge_count())
        .map(|e| (g.edge_target(e), g.edge_kind(e)))
        .collect();
    g.pack_edge_types();
    assert!(g.packed_edge_types && g.edge_type.is_empty());
    let after: Vec<(u32, u8)> = (0..g.edge_count())
        .map(|e| (g.edge_target(e), g.edge_kind(e)))
        .collect();
    assert_eq!(before, after);
    assert!(g.is_weak(2) && g.is_shortcut(1));
    g.validate().unwrap();
}
