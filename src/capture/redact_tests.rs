use super::super::redact_tee::tests::Full;
use super::*;
use crate::heap::HeapErrorKind;
use proptest::prelude::*;

const META: &str = r#"{"meta":{"node_fields":["type","name","id","self_size","edge_count","trace_node_id","detachedness"],"node_types":[["hidden","array","string","object","code","closure","regexp","number","native","synthetic","concatenated string","sliced string","symbol","bigint"],"string","number","number","number","number","number"],"edge_fields":["type","name_or_index","to_node"],"edge_types":[["context","element","property","internal","hidden","shortcut","weak"],"string_or_number","node"],"trace_function_info_fields":["function_id","name","script_name","script_id","line","column"],"location_fields":["object_index","script_id","line","column"]},"node_count":7,"edge_count":6,"trace_function_count":1}"#;

/// A small graph with every kind of string use:
/// 0 "" 1 "Session" 2 "token" 3 "sk-live-SECRET" 4 "authorization"
/// 5 "Bearer tok\u00e9n" 6 "(concatenated string)" 7 "id" 8 "heap number"
/// 9 "12345678" 10 "app.js" 11 "handler" 12 "half-SECRET" 13 "ctxVar"
pub(super) fn sample() -> String {
    let strings = r#"["","Session","token","sk-live-SECRET","authorization","Bearer tok\u00e9n","(concatenated string)","id","heap number","12345678","app.js","handler","half-SECRET","ctxVar"]"#;
    // type name id self_size edge_count trace detached
    let nodes = [
        [9, 0, 1, 0, 2, 0, 0],   // 0 root (synthetic)
        [3, 1, 3, 32, 3, 0, 0],  // 7 Session object
        [2, 3, 5, 24, 0, 0, 0],  // 14 string "sk-live-SECRET"
        [10, 6, 7, 32, 1, 0, 0], // 21 concatenated string
        [2, 7, 9, 16, 0, 0, 0],  // 28 string "id" (also a property name)
        [7, 9, 11, 16, 0, 0, 0], // 35 number exposing 12345678
        [7, 8, 13, 16, 0, 0, 0], // 42 number labelled "heap number"
    ];
    let edges = [
        [5, 1, 7],   // root -shortcut "Session"-> object
        [1, 0, 42],  // root -element 0-> heap number (index, not a string)
        [2, 2, 14],  // object.token = secret
        [2, 4, 21],  // object.authorization = concatenated
        [0, 13, 35], // context variable ctxVar -> number
        [3, 7, 28],  // internal edge named "id"
    ];
    let flat = |rows: &[[u32; 7]]| {
        rows.iter()
            .flatten()
            .map(u32::to_string)
            .collect::<Vec<_>>()
            .join(",")
    };
    let edge_text = edges
        .iter()
        .flatten()
        .map(u32::to_string)
        .collect::<Vec<_>>()
        .join(",");
    format!(
        r#"{{"snapshot":{META},"nodes":[{}],"edges":[{edge_text}],"trace_function_infos":[1,11,10,3,4,5],"trace_tree":[0,0,0,0,[1,1,2,3,[]]],"samples":[],"locations":[7,3,4,5],"strings":{strings}}}"#,
        flat(&nodes)
    )
}

fn run(input: &[u8]) -> Result<(Vec<u8>, RedactStats), RedactFailure> {
    redact(input, Vec::new(), 64 << 10, |_: &[u8]| {})
}

fn strings_of(out: &[u8]) -> Vec<String> {
    let v: serde_json::Value = serde_json::from_slice(out).unwrap();
    serde_json::from_value(v["strings"].clone()).unwrap()
}

fn input_err(r: Result<(Vec<u8>, RedactStats), RedactFailure>) -> HeapError {
    match r {
        Err(RedactFailure::Input(e)) => e,
        Err(RedactFailure::Output(e)) => panic!("output error {e}"),
        Ok(_) => panic!("accepted"),
    }
}

#[test]
fn values_are_replaced_and_names_kept() {
    let (out, stats) = run(sample().as_bytes()).unwrap();
    let s = strings_of(&out);
    assert_eq!(s[3], "<redacted 14>");
    assert_eq!(s[9], "<redacted 8>", "a number value V8 exposed");
    for (i, name) in [
        (1, "Session"),
        (2, "token"),
        (4, "authorization"),
        (6, "(concatenated string)"),
        (7, "id"),
        (8, "heap number"),
        (10, "app.js"),
        (11, "handler"),
        (12, "half-SECRET"),
        (13, "ctxVar"),
    ] {
        assert_eq!(s[i], name, "string {i}");
    }
    assert_eq!(
        stats,
        RedactStats {
            strings: 14,
            redacted: 2
        }
    );
    assert!(!String::from_utf8_lossy(&out).contains("sk-live"));
}

#[test]
fn everything_but_the_strings_and_the_marker_is_unchanged() {
    let input = sample();
    let (out, _) = run(input.as_bytes()).unwrap();
    let a: serde_json::Value = serde_json::from_str(&input).unwrap();
    let mut b: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(b["snapshot"][MARKER_KEY]["version"], 1);
    b["snapshot"].as_object_mut().unwrap().remove(MARKER_KEY);
    for key in [
        "snapshot",
        "nodes",
        "edges",
        "trace_function_infos",
        "trace_tree",
        "samples",
        "locations",
    ] {
        assert_eq!(a[key], b[key], "{key}");
    }
}

#[test]
fn the_placeholder_counts_utf16_units_and_escapes() {
    assert_eq!(utf16_len(br"Bearer tok\u00e9n"), 12);
    assert_eq!(utf16_len("tokén".as_bytes()), 5);
    assert_eq!(utf16_len("a😀".as_bytes()), 3);
    assert_eq!(utf16_len(br#"a\"b\\c\n"#), 6);
    assert_eq!(utf16_len(br"\ud83d\ude00"), 2);
}

#[test]
fn a_string_like_node_named_by_content_is_redacted_but_v8_labels_are_not() {
    let input = sample().replace(
        r#""Bearer tok\u00e9n","(concatenated string)""#,
        r#""Bearer tok\u00e9n","Bearer tok\u00e9n-SECRET""#,
    );
    let (out, _) = run(input.as_bytes()).unwrap();
    assert_eq!(strings_of(&out)[6], "<redacted 19>");
}

#[test]
fn redacting_twice_adds_no_second_marker_and_changes_nothing() {
    let (once, _) = run(sample().as_bytes()).unwrap();
    let (twice, _) = run(&once).unwrap();
    assert_eq!(once, twice);
}

#[test]
fn an_empty_header_and_empty_arrays_are_fine_when_meta_is_given() {
    let input = format!(r#"{{"snapshot":{META},"nodes":[],"edges":[],"strings":[]}}"#);
    let (out, stats) = run(input.as_bytes()).unwrap();
    assert_eq!(stats.strings, 0);
    assert!(strings_of(&out).is_empty());
}

#[test]
fn hostile_inputs_fail_with_a_code_and_never_panic() {
    let good = sample();
    let cases: Vec<(String, HeapErrorKind)> = vec![
        (String::new(), HeapErrorKind::Truncated),
        (good[..good.len() / 2].to_string(), HeapErrorKind::Truncated),
        (good[..good.len() - 3].to_string(), HeapErrorKind::Truncated),
        (
            good.replace("\"strings\":[", "\"strings\":[1,"),
            HeapErrorKind::Parse,
        ),
        (format!("{good}x"), HeapErrorKind::Parse),
        (
            good.replace("\"nodes\":[", "\"nodes\":[1,"),
            HeapErrorKind::Invalid,
        ),
        (
            good.replace("\"edges\":[", "\"edges\":[-1,"),
            HeapErrorKind::Parse,
        ),
        (
            good.replace("\"edges\":[", "\"edges\":[99999999999999999999999,"),
            HeapErrorKind::Invalid,
        ),
        (
            good.replace("\"edges\":[", "\"edges\":[2,4000000000,0,"),
            HeapErrorKind::Invalid,
        ),
        (good.replace(META, "[]"), HeapErrorKind::Invalid),
        (good.replace(META, "{\"meta\":{}}"), HeapErrorKind::Invalid),
        (
            format!(r#"{{"strings":["x"],"snapshot":{META},"nodes":[],"edges":[]}}"#),
            HeapErrorKind::Invalid,
        ),
        (
            format!(r#"{{"nodes":[],"snapshot":{META}}}"#),
            HeapErrorKind::Invalid,
        ),
        (
            format!(r#"{{"snapshot":{META},"nodes":[],"nodes":[],"edges":[],"strings":[]}}"#),
            HeapErrorKind::Invalid,
        ),
        (
            format!(r#"{{"snapshot":{META},"nodes":[],"edges":[],"strings":[],"edges":[]}}"#),
            HeapErrorKind::Invalid,
        ),
        (
            good.replace("\"sk-live-SECRET\"", "\"bad \\q escape\""),
            HeapErrorKind::Parse,
        ),
        ("[".repeat(10_000), HeapErrorKind::Parse),
        (
            format!(r#"{{"snapshot":{META},"x":{}}}"#, "[".repeat(1000)),
            HeapErrorKind::Parse,
        ),
    ];
    for (input, kind) in cases {
        if run(input.as_bytes()).is_ok() {
            panic!("accepted {}", &input[input.len().saturating_sub(300)..]);
        }
        let e = input_err(run(input.as_bytes()));
        assert_eq!(e.kind, kind, "{e} for {:.80}", input);
    }
}

#[test]
fn the_heap_parser_fixtures_never_panic() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/heap/testdata");
    for entry in std::fs::read_dir(dir).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        let _ = run(&bytes);
    }
}

#[test]
fn a_full_output_is_an_output_error() {
    let r = redact(sample().as_bytes(), Full, 64, |_: &[u8]| {});
    assert!(matches!(r, Err(RedactFailure::Output(e)) if e.raw_os_error() == Some(libc::ENOSPC)));
}

/// Hands out the input in the chunk sizes given, cycling.
struct Chunky<'a> {
    data: &'a [u8],
    sizes: Vec<usize>,
    at: usize,
}

impl Read for Chunky<'_> {
    fn read(&mut self, dst: &mut [u8]) -> io::Result<usize> {
        let want = self.sizes[self.at % self.sizes.len()].max(1);
        self.at += 1;
        let n = want.min(dst.len()).min(self.data.len());
        dst[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]
    #[test]
    fn chunk_boundaries_anywhere_give_the_same_output(
        sizes in proptest::collection::vec(1usize..40, 1..8),
        buf in 1usize..64,
    ) {
        let input = sample();
        let (expected, _) = run(input.as_bytes()).unwrap();
        let mut seen = 0usize;
        let chunky = Chunky { data: input.as_bytes(), sizes, at: 0 };
        let (out, _) = redact(chunky, Vec::new(), buf, |c: &[u8]| seen += c.len())
            .map_err(|e| format!("{e:?}")).unwrap();
        prop_assert_eq!(out, expected);
        prop_assert_eq!(seen, input.len());
    }

    #[test]
    fn arbitrary_cuts_and_byte_flips_never_panic(cut in 0usize..2000, at in 0usize..2000, byte in any::<u8>()) {
        let mut input = sample().into_bytes();
        if let Some(b) = input.get_mut(at) {
            *b = byte;
        }
        input.truncate(cut.min(input.len()));
        let _ = run(&input);
    }
}
