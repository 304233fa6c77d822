//! The cutover rule (cutover.rs): a callee that stopped being sampled under
//! its caller, told apart by the samples' ordinals, on profiles built from
//! samples the way V8 writes them (node ids, `samples` with ordinals).

use std::collections::BTreeMap;
use std::io::Cursor;

use super::fixtures::{bytes_of, frame, ranked, APP};
use super::*;

/// One live sample: its stack (outermost first; `(line, name)` in APP, or a
/// `node:` frame when the line is negative), size and ordinal.
type S<'a> = (&'a [(i64, &'a str)], u64, u64);

/// A profile whose tree is the union of the samples' stacks, each node's
/// selfSize the sum of its samples, ids as V8 gives them.
fn profile(samples: &[S]) -> String {
    // path (outermost first) -> (id, self bytes)
    let mut nodes: BTreeMap<Vec<(i64, String)>, (u64, u64)> = BTreeMap::new();
    nodes.insert(Vec::new(), (1, 0));
    let mut next_id = 2;
    let mut out_samples = Vec::new();
    for (stack, size, ordinal) in samples {
        let mut path = Vec::new();
        for (line, name) in stack.iter() {
            path.push((*line, name.to_string()));
            nodes.entry(path.clone()).or_insert_with(|| {
                next_id += 1;
                (next_id, 0)
            });
        }
        let node = nodes.get_mut(&path).unwrap();
        node.1 += size;
        out_samples.push(format!(
            r#"{{"size":{size},"nodeId":{},"ordinal":{ordinal}}}"#,
            node.0
        ));
    }
    fn render(path: &[(i64, String)], nodes: &BTreeMap<Vec<(i64, String)>, (u64, u64)>) -> String {
        let (id, self_size) = nodes[path];
        let (name, url, line) = match path.last() {
            None => ("(root)".to_string(), String::new(), -1),
            Some((l, n)) if *l < 0 => (n.clone(), "node:internal/x".to_string(), 0),
            Some((l, n)) => (n.clone(), APP.to_string(), *l),
        };
        let kids: Vec<String> = nodes
            .keys()
            .filter(|k| k.len() == path.len() + 1 && k.starts_with(path))
            .map(|k| render(k, nodes))
            .collect();
        format!(
            r#"{{{},"selfSize":{self_size},"id":{id},"children":[{}]}}"#,
            frame(&name, &url, line),
            kids.join(",")
        )
    }
    format!(
        r#"{{"head":{},"samples":[{}]}}"#,
        render(&[], &nodes),
        out_samples.join(",")
    )
}

fn sites(profiles: &[String]) -> Vec<AllocationSite> {
    ranked(profiles, &AllocationOptions::default()).unwrap()
}

const HANDLER: &[(i64, &str)] = &[(-1, "emit"), (10, "step")];
const HELPER: &[(i64, &str)] = &[(-1, "emit"), (10, "step"), (4, "recordRequest")];
const INIT: &[(i64, &str)] = &[(-1, "emit"), (10, "step"), (20, "buildTable")];

/// `n` samples of 1000 bytes on `stack`, one every `every` ordinals from `from`.
fn run(stack: &'static [(i64, &'static str)], from: u64, n: u64, every: u64) -> Vec<S<'static>> {
    (0..n).map(|i| (stack, 1000, from + i * every)).collect()
}

#[test]
fn a_helper_inlined_into_its_only_caller_gets_the_callers_growth() {
    // recordRequest ran on its own for ordinals 1..20, then step was
    // optimized with it inlined: the same rate, charged to step.
    let before = run(HELPER, 1, 20, 1);
    let mut all = before.clone();
    all.extend(run(HANDLER, 21, 80, 1));
    let s = sites(&[profile(&before), profile(&all)]);
    assert_eq!(s.len(), 1, "the handler kept nothing of its own: {s:?}");
    assert_eq!(
        (s[0].function_name.as_str(), s[0].bytes),
        ("recordRequest", 80_000)
    );
    assert_eq!(s[0].inlined_into[0].function_name, "step");
    // One profile is enough: the ordinals carry the before.
    let s = sites(&[profile(&all)]);
    assert_eq!(s[0].function_name, "recordRequest", "{s:?}");
}

#[test]
fn a_caller_keeps_its_own_share_across_the_cutover() {
    // Before: step 1 sample per 2 of the helper's (r = 0.5); after, step's
    // samples are both: a third of them is its own.
    let mut before = run(HELPER, 1, 20, 3);
    before.extend(run(HANDLER, 2, 20, 3));
    before.extend(run(HELPER, 3, 20, 3));
    let mut all = before.clone();
    all.extend(run(HANDLER, 61, 60, 1));
    let s = sites(&[profile(&before), profile(&all)]);
    assert_eq!(
        (bytes_of(&s, "recordRequest"), bytes_of(&s, "step")),
        (Some(40_000), Some(20_000)),
        "{s:?}"
    );
}

#[test]
fn a_callee_that_comes_back_after_a_deopt_still_counts() {
    // Sampled on its own, inlined, deoptimized (on its own again), inlined.
    let mut all = run(HELPER, 1, 20, 1);
    all.extend(run(HANDLER, 21, 40, 1));
    all.extend(run(HELPER, 61, 5, 1));
    all.extend(run(HANDLER, 66, 40, 1));
    let s = sites(&[profile(&all[..20]), profile(&all)]);
    assert_eq!(s.len(), 1, "{s:?}");
    assert_eq!(
        (s[0].function_name.as_str(), s[0].bytes),
        ("recordRequest", 85_000)
    );
}

#[test]
fn a_callee_that_stopped_being_called_keeps_nothing_of_its_caller() {
    // buildTable ran once at start-up (a burst of 20 samples in 20
    // ordinals); step then leaked on its own at a tenth of that rate.
    let mut all = run(INIT, 1, 20, 1);
    all.extend(run(HANDLER, 100, 50, 10));
    let s = sites(&[profile(&all[..20]), profile(&all)]);
    assert_eq!(bytes_of(&s, "step"), Some(50_000), "{s:?}");
    assert!(s.iter().all(|x| x.inlined_into.is_empty()), "{s:?}");
}

#[test]
fn a_callee_still_sampled_under_its_caller_is_no_cutover() {
    // Both allocate throughout: the first-profile rule decides (r = 1).
    let mut all = Vec::new();
    for i in 0..50 {
        all.push((HELPER, 1000, 2 * i + 1));
        all.push((HANDLER, 1000, 2 * i + 2));
    }
    let s = sites(&[profile(&all[..20]), profile(&all)]);
    assert_eq!(
        (bytes_of(&s, "recordRequest"), bytes_of(&s, "step")),
        (Some(40_000), Some(40_000)),
        "{s:?}"
    );
}

/// V8 wrote such a profile under the watchdog (a fresh-clone CI run): the
/// stray sample is left out, the profile still reads.
#[test]
fn samples_naming_no_node_are_left_out_and_a_sample_missing_a_field_is_an_error() {
    let stray = r#"{"head":{"callFrame":{"functionName":"(root)","scriptId":"0","url":"","lineNumber":-1,"columnNumber":-1},"selfSize":0,"id":1,"children":[]},"samples":[{"size":8,"nodeId":7,"ordinal":1}]}"#;
    let readers = vec![("p".to_string(), Cursor::new(stray.as_bytes().to_vec()))];
    let read = sites_from_readers(readers, &AllocationOptions::default());
    assert!(read.as_ref().is_ok_and(|s| s.is_empty()), "{read:?}");
    let partial = stray.replace(r#","ordinal":1"#, "");
    let readers = vec![("p".to_string(), Cursor::new(partial.into_bytes()))];
    assert!(sites_from_readers(readers, &AllocationOptions::default()).is_err());
}
