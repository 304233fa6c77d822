use std::io::Write;

use proptest::prelude::*;

use super::*;
use crate::heap::graph::SourceLocation;
use crate::heap::HeapErrorKind;

const META7: &str = r#"{"meta":{"node_fields":["type","name","id","self_size","edge_count","trace_node_id","detachedness"],"node_types":[["hidden","array","string","object","code","closure","regexp","number","native","synthetic","concatenated string","sliced string","symbol","bigint"],"string","number","number","number","number","number"],"edge_fields":["type","name_or_index","to_node"],"edge_types":[["context","element","property","internal","hidden","shortcut","weak"],"string_or_number","node"],"location_fields":["object_index","script_id","line","column"]},"node_count":3,"edge_count":3,"trace_function_count":0}"#;

/// Root -> (GC roots) -> Foo, plus a weak edge; the closure-less minimum.
pub(crate) fn tiny_snapshot() -> String {
    format!(
        concat!(
            "{{\"snapshot\":{meta},\n",
            "\"nodes\":[9,0,1,0,1,0,0\n,9,1,3,0,1,0,0\n,3,2,5,32,1,0,0],\n",
            "\"edges\":[1,0,7\n,2,3,14\n,6,4,0],\n",
            "\"trace_function_infos\":[],\"trace_tree\":[],\"samples\":[],\n",
            "\"locations\":[14,3,10,4],\n",
            "\"strings\":[\"\",\"(GC roots)\",\"Foo\",\"f\\u00e9\\ud83d\\ude00\",\"w\"]}}"
        ),
        meta = META7
    )
}

fn parse(text: &[u8]) -> Result<HeapGraph, HeapError> {
    parse_reader(text, Some(text.len() as u64), &ParseLimits::default())
}

#[test]
fn parses_a_tiny_snapshot() {
    let g = parse(tiny_snapshot().as_bytes()).unwrap();
    assert!(g.packed_edge_types);
    assert_eq!(g.node_count(), 3);
    assert_eq!(g.edge_count(), 3);
    assert_eq!(g.name(1), "(GC roots)");
    assert_eq!(g.class_name(2), "Foo");
    assert_eq!(g.self_size(2), 32);
    assert_eq!(g.id(2), 5);
    assert_eq!(g.edges(1), 1..2);
    assert_eq!(g.edge_target(1), 2);
    assert_eq!(g.edge_name_text(1), "fé😀");
    assert!(g.is_weak(2));
    assert_eq!(
        g.location(2),
        Some(SourceLocation {
            script_id: 3,
            script_name: None,
            line: 10,
            column: 4
        })
    );
}

#[test]
fn parses_gzip_by_magic_bytes() {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(tiny_snapshot().as_bytes()).unwrap();
    let gz = enc.finish().unwrap();
    let g = parse(&gz).unwrap();
    assert_eq!(g.node_count(), 3);
    let mut bad = gz.clone();
    let mid = bad.len() / 2;
    bad[mid] ^= 0xff;
    bad[mid + 1] ^= 0x55;
    let err = parse(&bad).unwrap_err();
    assert!(
        matches!(
            err.kind,
            HeapErrorKind::Gzip | HeapErrorKind::Parse | HeapErrorKind::Truncated
        ),
        "{err}"
    );
    let err = parse(&gz[..gz.len() / 2]).unwrap_err();
    assert_eq!(err.kind, HeapErrorKind::Truncated, "{err}");
    let err = parse(&[0x1f, 0x8b, 1, 2, 3]).unwrap_err();
    assert!(
        matches!(err.kind, HeapErrorKind::Gzip | HeapErrorKind::Truncated),
        "{err}"
    );
}

#[test]
fn six_node_fields_and_unknown_keys_and_key_order() {
    let text = tiny_snapshot()
        .replace(",\"detachedness\"", "")
        .replace(
            "9,0,1,0,1,0,0\n,9,1,3,0,1,0,0\n,3,2,5,32,1,0,0]",
            "9,0,1,0,1,0\n,9,1,3,0,1,0\n,3,2,5,32,1,0]",
        )
        .replace(
            "\"trace_function_infos\"",
            "\"future\":{\"a\":[1,{\"b\":\"]\"}],\"c\":-1.5e3,\"d\":null},\"trace_function_infos\"",
        )
        .replace("\"locations\":[14,3,10,4]", "\"locations\":[12,3,10,4]")
        .replace("1,0,7\n,2,3,14", "1,0,6\n,2,3,12");
    let g = parse(text.as_bytes()).unwrap();
    assert_eq!(g.node_count(), 3);
    assert_eq!(g.edge_target(0), 1);
    assert!(g.location(2).is_some());
}

#[test]
fn every_truncation_is_a_clean_error() {
    let text = tiny_snapshot();
    for cut in 0..text.len() - 1 {
        let err = parse(&text.as_bytes()[..cut]).unwrap_err();
        assert!(
            matches!(err.kind, HeapErrorKind::Truncated),
            "cut at {cut}: {err}"
        );
    }
}

#[test]
fn inconsistent_snapshots_are_invalid() {
    let t = tiny_snapshot();
    let cases = [
        // edge_count total differs from edges
        t.replace("9,0,1,0,1,0,0", "9,0,1,0,2,0,0"),
        // to_node not a multiple of the field count
        t.replace("1,0,7\n", "1,0,8\n"),
        // to_node out of range
        t.replace("1,0,7\n", "1,0,70\n"),
        // node name out of range
        t.replace("3,2,5,32", "3,99,5,32"),
        // node type out of range
        t.replace("3,2,5,32", "77,2,5,32"),
        // edge type out of range
        t.replace("2,3,14", "42,3,14"),
        // property edge naming a missing string
        t.replace("2,3,14", "2,30,14"),
        // header counts disagree
        t.replace("\"node_count\":3", "\"node_count\":4"),
        t.replace("\"edge_count\":3", "\"edge_count\":2"),
        // nodes array not a multiple of the field count
        t.replace("3,2,5,32,1,0,0]", "3,2,5,32,1,0,0,1]"),
        // missing required meta field
        t.replace("\"self_size\",", ""),
        // location pointing nowhere
        t.replace("[14,3,10,4]", "[140,3,10,4]"),
        // arrays before the header
        t.replacen(&format!("\"snapshot\":{META7},"), "", 1),
    ];
    for (i, text) in cases.iter().enumerate() {
        let err = parse(text.as_bytes()).unwrap_err();
        assert_eq!(err.kind, HeapErrorKind::Invalid, "case {i}: {err}");
    }
}

#[test]
fn limits_reject_before_allocating() {
    let t = tiny_snapshot().replace("\"node_count\":3", "\"node_count\":4000000000000");
    let err = parse(t.as_bytes()).unwrap_err();
    assert_eq!(err.kind, HeapErrorKind::TooLarge);
    let limits = ParseLimits {
        max_nodes: 2,
        ..ParseLimits::default()
    };
    let t = tiny_snapshot().replace("\"node_count\":3,", "");
    let err = parse_reader(t.as_bytes(), None, &limits).unwrap_err();
    assert_eq!(err.kind, HeapErrorKind::TooLarge);
    let limits = ParseLimits {
        max_string_len: 5,
        ..ParseLimits::default()
    };
    let err = parse_reader(tiny_snapshot().as_bytes(), None, &limits).unwrap_err();
    assert_eq!(err.kind, HeapErrorKind::TooLarge);
}

#[test]
fn garbage_is_a_parse_error() {
    for bad in [
        &b"hello"[..],
        b"[1,2,3]",
        b"{\"snapshot\" 1}",
        b"{1:2}",
        b"\x00\x01",
    ] {
        let err = parse(bad).unwrap_err();
        assert!(
            matches!(err.kind, HeapErrorKind::Parse | HeapErrorKind::Invalid),
            "{bad:?}: {err}"
        );
    }
    assert_eq!(parse(b"").unwrap_err().kind, HeapErrorKind::Truncated);
    assert_eq!(parse(b"  \n").unwrap_err().kind, HeapErrorKind::Truncated);
}

/// Inputs that once crashed or misbehaved; each must give a clean result.
#[test]
fn regression_corpus() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/heap/testdata");
    let mut seen = 0;
    if let Ok(entries) = std::fs::read_dir(&dir) {
        for entry in entries.flatten() {
            let path = entry.path();
            if path.extension().is_some_and(|e| e == "bin") {
                let bytes = std::fs::read(&path).unwrap();
                let result = parse(&bytes);
                let valid = path
                    .file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with("valid-"));
                assert_eq!(result.is_ok(), valid, "{}: {result:?}", path.display());
                seen += 1;
            }
        }
    }
    assert!(seen > 0, "no regression inputs in {}", dir.display());
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, .. ProptestConfig::default() })]

    /// Mutated, cut and spliced snapshots: the parser may accept or reject
    /// them, but must never panic or hang.
    #[test]
    fn mutated_snapshots_never_panic(
        cut in 0usize..2000,
        flips in proptest::collection::vec((0usize..2000, any::<u8>()), 0..6),
        gzip in any::<bool>(),
    ) {
        let mut bytes = tiny_snapshot().into_bytes();
        for (pos, val) in flips {
            let len = bytes.len();
            if let Some(b) = bytes.get_mut(pos % len) {
                *b = val;
            }
        }
        bytes.truncate(cut.max(1));
        if gzip {
            let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            enc.write_all(&bytes).unwrap();
            bytes = enc.finish().unwrap();
        }
        let _ = parse(&bytes);
    }

    /// Structured mutations that keep the JSON shape but change numbers.
    #[test]
    fn renumbered_snapshots_never_panic(
        values in proptest::collection::vec(prop_oneof![4 => 0u64..40, 1 => any::<u64>()], 33),
    ) {
        let mut text = tiny_snapshot();
        let nodes: Vec<String> = values[..21].iter().map(u64::to_string).collect();
        let edges: Vec<String> = values[21..30].iter().map(u64::to_string).collect();
        let locs: Vec<String> = values[29..33].iter().map(u64::to_string).collect();
        text = text
            .replace("9,0,1,0,1,0,0\n,9,1,3,0,1,0,0\n,3,2,5,32,1,0,0", &nodes.join(","))
            .replace("1,0,7\n,2,3,14\n,6,4,0", &edges.join(","))
            .replace("14,3,10,4", &locs.join(","));
        let _ = parse(text.as_bytes());
    }
}

#[test]
fn ids_wider_than_32_bits_are_read() {
    // A V8-format writer that uses 64-bit addresses as ids (DevTools reads these).
    let wide = 0x7f3a_1234_5679u64;
    let text = tiny_snapshot().replace("3,2,5,32,1,0,0", &format!("3,2,{wide},32,1,0,0"));
    let g = parse(text.as_bytes()).unwrap();
    assert_eq!(g.id(2), super::fold_id(wide));
    assert_ne!(g.id(2), g.id(1));
    // Ids that fit are kept as they are.
    assert_eq!(super::fold_id(5), 5);
}
