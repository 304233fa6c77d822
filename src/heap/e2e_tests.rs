//! End-to-end checks on real snapshots: node writes three snapshots of one
//! process with a planted leak (or none) and work in between, and the report
//! must name the planted leak first, with its path, and nothing for controls.

use std::path::PathBuf;
use std::process::Command;

use super::*;
use crate::node_tests::node;

/// Runs `body` (which defines `async function work()`) in node, taking a
/// snapshot after each of three rounds of work. Returns the snapshot paths, or
/// `None` when there is no node (see [`node`]).
fn snapshots(name: &str, body: &str) -> Option<(PathBuf, Vec<PathBuf>)> {
    let node = node(name)?;
    let dir = std::env::temp_dir().join(format!("leakwatch-heap-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let script = format!(
        "'use strict'\n{body}\n\
         const v8 = require('v8')\n\
         ;(async () => {{\n\
           for (let n = 1; n <= 3; n++) {{\n\
             await work()\n\
             v8.writeHeapSnapshot(require('path').join(process.argv[2], 's' + n + '.heapsnapshot'))\n\
           }}\n\
         }})()\n"
    );
    let script_path = dir.join("script.js");
    std::fs::write(&script_path, script).unwrap();
    let out = Command::new(&node)
        .arg("--max-semi-space-size=1")
        .arg(&script_path)
        .arg(&dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "node failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let files = (1..=3)
        .map(|n| dir.join(format!("s{n}.heapsnapshot")))
        .collect();
    Some((dir, files))
}

fn analyze(files: &[PathBuf]) -> Report {
    let report = analyze_files(files, &AnalyzeOptions::default()).unwrap();
    eprintln!("{}", to_text(&report));
    report
}

#[test]
fn global_array_of_user_agent_objects() {
    let Some((dir, files)) = snapshots(
        "ua",
        "global.headersArray = []\n\
         async function work() {\n\
           for (let i = 0; i < 5000; i++) headersArray.push({ userAgentUsed: 'Mozilla/5.0 (' + (i % 7) + ')' })\n\
         }",
    ) else {
        return;
    };
    let report = analyze(&files);
    assert_eq!(report.summary.mode, "three-snapshot");
    let top = &report.suspects[0];
    assert_eq!(top.constructor, "Object");
    assert!(top.path.contains("headersArray"), "{}", top.path);
    assert!(top.path.ends_with("Object{userAgentUsed}"), "{}", top.path);
    assert!(top.count_delta >= 9_500, "{top:?}");
    assert!(top.survivors.unwrap_or(0) >= 4_500, "{top:?}");
    assert_eq!(report.suspects.len(), 1, "{:#?}", report.suspects);

    // One snapshot, asked for suspects: the big array of alike objects.
    let single = analyze_files(
        &files[2..],
        &AnalyzeOptions {
            single_suspects: true,
            ..AnalyzeOptions::default()
        },
    )
    .unwrap();
    eprintln!("{}", to_text(&single));
    assert!(
        single.suspects[0].path.contains("headersArray"),
        "{:#?}",
        single.suspects
    );
    assert_eq!(single.suspects[0].counts, vec![15_000]);

    // Two snapshots, one of them gzip-compressed, find the same leak.
    let gz = dir.join("s1.heapsnapshot.gz");
    let raw = std::fs::read(&files[0]).unwrap();
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut enc, &raw).unwrap();
    std::fs::write(&gz, enc.finish().unwrap()).unwrap();
    let two = analyze(&[gz, files[2].clone()]);
    assert_eq!(two.summary.mode, "growth");
    assert!(two.suspects[0].path.contains("headersArray"));
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn array_of_references_pushed_per_call() {
    let Some((dir, files)) = snapshots(
        "refs",
        "const shared = { tag: 'same object every time' }\n\
         global.holder = []\n\
         async function work() {\n\
           for (let call = 0; call < 4; call++) for (let i = 0; i < 10000; i++) holder.push(shared)\n\
         }",
    ) else {
        return;
    };
    let report = analyze(&files);
    let top = &report.suspects[0];
    assert!(top.path.contains("holder"), "{top:?}");
    assert!(top.retained_size_delta >= 300_000, "{top:?}");
    assert_eq!(report.suspects.len(), 1, "{:#?}", report.suspects);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn listener_per_call_capturing_a_large_object() {
    let Some((dir, files)) = snapshots(
        "listener",
        "const EventEmitter = require('events')\n\
         const bus = new EventEmitter()\n\
         bus.setMaxListeners(0)\n\
         global.bus = bus\n\
         function handle(i) {\n\
           const big = new Array(4000).fill(i)\n\
           bus.on('data', function onData() { return big.length })\n\
         }\n\
         async function work() { for (let i = 0; i < 20; i++) handle(i) }",
    ) else {
        return;
    };
    let report = analyze(&files);
    let top = &report.suspects[0];
    assert_eq!(top.constructor, "onData", "{top:?}");
    assert!(
        top.raw_path.contains("bus > _events > data"),
        "{}",
        top.raw_path
    );
    assert!(
        top.path.starts_with("EventEmitter 'data' listeners > "),
        "{}",
        top.path
    );
    assert!(top.path.ends_with("onData"), "{}", top.path);
    assert_eq!(top.kind, crate::heap::kind::LeakKind::EventListeners);
    assert_eq!(top.holder.name.as_deref(), Some("data"));
    assert_eq!(top.holder.function.as_deref(), Some("onData"));
    assert_eq!(top.count_delta, 40);
    // Zero-based line 7 of the script (after the prologue) defines onData.
    let location = top.location.as_ref().unwrap();
    assert_eq!(location.line, 7, "{top:?}");
    assert!(
        location
            .script_name
            .as_ref()
            .unwrap()
            .ends_with("script.js"),
        "{top:?}"
    );
    assert_eq!(report.suspects.len(), 1, "{:#?}", report.suspects);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn closure_kept_alive_by_an_unrefd_interval() {
    let Some((dir, files)) = snapshots(
        "interval",
        "const seen = []\n\
         const timer = setInterval(function tick() {\n\
           for (let i = 0; i < 300; i++) seen.push({ at: Date.now(), i })\n\
         }, 1)\n\
         timer.unref()\n\
         async function work() { await new Promise((resolve) => setTimeout(resolve, 60)) }",
    ) else {
        return;
    };
    let report = analyze(&files);
    let top = &report.suspects[0];
    assert_eq!(top.constructor, "Object");
    // The module's array holds the objects; the interval only fills it.
    assert!(
        top.raw_path
            .contains("_onTimeout (tick) > [context] > seen > ["),
        "{}",
        top.raw_path
    );
    assert!(top.path.starts_with("module scope of "), "{}", top.path);
    assert!(top.path.contains("script.js > seen > ["), "{}", top.path);
    assert!(top.path.ends_with("] > Object"), "{}", top.path);
    assert_eq!(top.holder.name.as_deref(), Some("seen"));
    assert_eq!(top.kind, crate::heap::kind::LeakKind::UnboundedCollection);
    assert!(top.location.is_none(), "{top:?}");
    assert_eq!(report.suspects.len(), 1, "{:#?}", report.suspects);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn clean_control_reports_no_suspect() {
    let Some((dir, files)) = snapshots(
        "clean",
        "const EventEmitter = require('events')\n\
         const bus = new EventEmitter()\n\
         global.bus = bus\n\
         const cache = new Map()\n\
         async function work() {\n\
           for (let call = 0; call < 20; call++) {\n\
             const tmp = []\n\
             for (let i = 0; i < 5000; i++) tmp.push({ userAgentUsed: 'x' + i })\n\
             const big = new Array(4000).fill(call)\n\
             const onData = () => big.length + tmp.length\n\
             bus.on('data', onData)\n\
             bus.emit('data')\n\
             bus.off('data', onData)\n\
             cache.set('k' + (call % 5), tmp.length)\n\
           }\n\
           await new Promise((resolve) => setTimeout(resolve, 5))\n\
         }",
    ) else {
        return;
    };
    let report = analyze(&files);
    assert!(report.suspects.is_empty(), "{:#?}", report.suspects);
    // A single snapshot reports classes, never suspects.
    let single = analyze(&files[2..]);
    assert_eq!(single.summary.mode, "single");
    assert!(single.suspects.is_empty());
    assert!(!single.summary.top_classes.is_empty());
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn weakmap_values_are_dominated_by_their_keys() {
    let Some((dir, files)) = snapshots(
        "weakmap",
        "const wm = new WeakMap()\n\
         global.keys = []\n\
         global.wm = wm\n\
         async function work() {\n\
           const k = { weakKey: keys.length }\n\
           keys.push(k)\n\
           wm.set(k, new Array(5000).fill(keys.length))\n\
         }",
    ) else {
        return;
    };
    let a = SnapshotAnalysis::new(
        parse_file(&files[2], &ParseLimits::default()).unwrap(),
        true,
    );
    let g = &a.graph;
    let values: Vec<u32> = (0..g.node_count() as u32)
        .filter(|&v| g.class_name(v) == "Array" && a.dominators.retained(v) > 20_000)
        .filter(|&v| {
            // The key `{ weakKey }` holds its value through an ephemeron edge;
            // the table's twin edge must not count.
            let d = a.dominators.idom(v);
            g.class_name(d) == "Object"
                && g.edges(d)
                    .any(|e| g.edge_target(e) == v && g.edge_name_text(e).contains("WeakMap"))
        })
        .collect();
    assert_eq!(values.len(), 3, "each value array is dominated by its key");
    let _ = std::fs::remove_dir_all(dir);
}

/// Snapshots of three separate processes (as with forked children, ids do
/// not identify objects across them): the leak is still found by its path.
#[test]
fn separate_processes_are_matched_by_retaining_path() {
    let Some(node) = node("separate_processes") else {
        return;
    };
    let dir = std::env::temp_dir().join(format!("leakwatch-heap-{}-fork", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let script = dir.join("script.js");
    std::fs::write(
        &script,
        "'use strict'\n\
         global.sessions = new Map()\n\
         const rounds = Number(process.argv[3])\n\
         for (let r = 0; r < rounds; r++) {\n\
           for (let i = 0; i < 4000; i++) sessions.set('s' + r + '-' + i, { token: 'abc' + i, at: [r, i] })\n\
         }\n\
         require('v8').writeHeapSnapshot(process.argv[2])\n",
    )
    .unwrap();
    let files: Vec<PathBuf> = (1..=3)
        .map(|n| {
            let file = dir.join(format!("s{n}.heapsnapshot"));
            let out = Command::new(&node)
                .arg(&script)
                .arg(&file)
                .arg(n.to_string())
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            file
        })
        .collect();
    let report = analyze(&files);
    let top = &report.suspects[0];
    assert!(top.path.contains("sessions"), "{top:?}");
    assert!(top.count_delta >= 8000, "{top:?}");
    let _ = std::fs::remove_dir_all(dir);
}

/// An independent check of parser and dominators together: node parses the
/// same snapshot with JSON.parse and computes immediate dominators with the
/// Cooper-Harvey-Kennedy iteration over DevTools' essential edges.
const CHK_DOMINATORS_JS: &str = r#"
const fs = require('fs')
const s = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'))
const m = s.snapshot.meta
const nf = m.node_fields.length, ef = m.edge_fields.length
const nTypeOff = m.node_fields.indexOf('type'), idOff = m.node_fields.indexOf('id')
const ecOff = m.node_fields.indexOf('edge_count')
const eTypeOff = m.edge_fields.indexOf('type'), eNameOff = m.edge_fields.indexOf('name_or_index')
const eToOff = m.edge_fields.indexOf('to_node')
const et = m.edge_types[0]
const WEAK = et.indexOf('weak'), SHORTCUT = et.indexOf('shortcut'), INTERNAL = et.indexOf('internal')
const n = s.nodes.length / nf
const first = new Uint32Array(n + 1)
for (let i = 0; i < n; i++) first[i + 1] = first[i] + s.nodes[i * nf + ecOff]
const table = /^\d+ \/ part of key \(.*? @\d+\) -> value \(.*? @\d+\) pair in WeakMap \(table @(\d+)\)$/
function essential(from, e) {
  const t = s.edges[e * ef + eTypeOff]
  if (t === WEAK || (t === SHORTCUT && from !== 0)) return false
  if (t === INTERNAL) {
    const mt = table.exec(s.strings[s.edges[e * ef + eNameOff]])
    if (mt && Number(mt[1]) === s.nodes[from * nf + idOff]) return false
  }
  return true
}
const to = (e) => s.edges[e * ef + eToOff] / nf
const post = [], postIndex = new Int32Array(n).fill(-1), seen = new Uint8Array(n)
const stack = [[0, first[0]]]; seen[0] = 1
while (stack.length) {
  const top = stack[stack.length - 1]
  if (top[1] < first[top[0] + 1]) {
    const e = top[1]++
    const t = to(e)
    if (!seen[t] && essential(top[0], e)) { seen[t] = 1; stack.push([t, first[t]]) }
  } else { postIndex[top[0]] = post.length; post.push(top[0]); stack.pop() }
}
const preds = Array.from({ length: n }, () => [])
for (let v = 0; v < n; v++) {
  if (!seen[v]) continue
  for (let e = first[v]; e < first[v + 1]; e++) if (essential(v, e)) preds[to(e)].push(v)
}
const root = post.length - 1
const doms = new Int32Array(post.length).fill(-1); doms[root] = root
const intersect = (a, b) => { while (a !== b) { while (a < b) a = doms[a]; while (b < a) b = doms[b] } return a }
for (let changed = true; changed;) {
  changed = false
  for (let pi = root - 1; pi >= 0; pi--) {
    let d = -1
    for (const p of preds[post[pi]]) {
      const pp = postIndex[p]
      if (doms[pp] === -1) continue
      d = d === -1 ? pp : intersect(pp, d)
    }
    if (doms[pi] !== d) { doms[pi] = d; changed = true }
  }
}
const idom = new Array(n).fill(-1)
for (let pi = 0; pi < post.length; pi++) idom[post[pi]] = post[doms[pi]]
fs.writeFileSync(process.argv[3], JSON.stringify(idom))
"#;

#[test]
fn dominators_match_an_independent_javascript_implementation() {
    let Some((dir, files)) = snapshots(
        "chk",
        "const wm = new WeakMap()\n\
         global.keep = []\n\
         async function work() {\n\
           const k = { n: keep.length }\n\
           keep.push(k, [k, { shared: k }])\n\
           wm.set(k, { value: keep.length })\n\
         }",
    ) else {
        return;
    };
    let Some(node) = node("dominators") else {
        return;
    };
    let script = dir.join("chk.js");
    std::fs::write(&script, CHK_DOMINATORS_JS).unwrap();
    let out_path = dir.join("idom.json");
    let out = Command::new(&node)
        .arg(&script)
        .arg(&files[0])
        .arg(&out_path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let expected: Vec<i64> = serde_json::from_slice(&std::fs::read(&out_path).unwrap()).unwrap();
    let g = parse_file(&files[0], &ParseLimits::default()).unwrap();
    let dom = dominators::DominatorTree::compute(&g);
    assert_eq!(expected.len(), g.node_count());
    let mut compared = 0;
    for (v, &want) in expected.iter().enumerate().skip(1) {
        if want >= 0 {
            assert_eq!(i64::from(dom.idom(v as u32)), want, "node {v}");
            compared += 1;
        }
    }
    assert!(compared > 10_000, "only {compared} nodes compared");
    let _ = std::fs::remove_dir_all(dir);
}
