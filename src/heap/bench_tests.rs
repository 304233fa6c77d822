//! Timing of the analyzer on a real snapshot, run by hand, and checks of
//! `analyze_files` itself. Benchmark:
//! `LEAKWATCH_BENCH_SNAPSHOT=big.heapsnapshot cargo test --release --lib bench_ -- --ignored --nocapture`
//! (examples cannot link the napi glue outside Node, so this lives in tests).

use std::path::{Path, PathBuf};
use std::time::Instant;

use super::*;

fn rss() -> String {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .filter(|l| l.starts_with("VmRSS") || l.starts_with("VmHWM"))
        .map(|l| l.split_whitespace().skip(1).collect::<Vec<_>>().join(" "))
        .collect::<Vec<_>>()
        .join(" / peak ")
}

#[test]
#[ignore]
fn bench_analyze_snapshot() {
    let Ok(files) = std::env::var("LEAKWATCH_BENCH_SNAPSHOT") else {
        eprintln!("set LEAKWATCH_BENCH_SNAPSHOT to one to three snapshot paths (space separated)");
        return;
    };
    let files: Vec<PathBuf> = files.split_whitespace().map(PathBuf::from).collect();
    if std::env::var("LEAKWATCH_BENCH_PHASES").is_ok() {
        let t = Instant::now();
        let graph = parse_file(&files[0], &ParseLimits::default()).unwrap();
        let parse = t.elapsed();
        eprintln!("after parse: rss {}", rss());
        let t2 = Instant::now();
        let dom = dominators::DominatorTree::compute(&graph);
        let doms = t2.elapsed();
        eprintln!("after dominators: rss {}", rss());
        let t3 = Instant::now();
        let d = distances::Distances::compute(&graph);
        let dist = t3.elapsed();
        let t4 = Instant::now();
        let classes = aggregate::ClassIndex::build(&graph);
        let stats = aggregate::by_class(&graph, &dom, &classes, |_| true);
        let agg = t4.elapsed();
        eprintln!("after classes: rss {}", rss());
        eprintln!(
            "{} nodes, {} edges: parse {parse:?}, dominators {doms:?}, distances {dist:?}, classes {agg:?}, total {:?}",
            graph.node_count(),
            graph.edge_count(),
            t.elapsed()
        );
        drop((d, stats));
        return;
    }
    let t = Instant::now();
    let report = analyze_files(&files, &AnalyzeOptions::default()).unwrap();
    eprintln!("analyze_files: {:?}", t.elapsed());
    eprint!("{}", to_text(&report));
}

/// Dumps the retaining path and edges of the largest-retained member of a class, by hand:
/// `LEAKWATCH_DEBUG_SNAPSHOT=s.heapsnapshot LEAKWATCH_DEBUG_CLASS=Object cargo test --lib debug_ -- --ignored --nocapture`
#[test]
#[ignore]
fn debug_dump_path() {
    let (Ok(file), Ok(class)) = (
        std::env::var("LEAKWATCH_DEBUG_SNAPSHOT"),
        std::env::var("LEAKWATCH_DEBUG_CLASS"),
    ) else {
        return;
    };
    let a = SnapshotAnalysis::new(
        parse_file(Path::new(&file), &ParseLimits::default()).unwrap(),
        true,
    );
    let g = &a.graph;
    let node = (0..g.node_count() as u32)
        .filter(|&v| g.class_name(v) == class)
        .filter(|&v| {
            std::env::var("LEAKWATCH_DEBUG_PATH").map_or(true, |p| {
                paths::render_path(g, &a.distances, v).is_some_and(|r| r.contains(&p))
            })
        })
        .max_by_key(|&v| a.dominators.retained(v))
        .unwrap();
    for e in a.distances.path_edges(g, node) {
        let from = g.edge_source(e);
        let to = g.edge_target(e);
        eprintln!(
            "{} [{} {:?}] --{} {}--> {} [{} {:?}]",
            from,
            g.type_name(from),
            g.name(from),
            g.edge_types[g.edge_kind(e) as usize],
            g.edge_name_text(e),
            to,
            g.type_name(to),
            g.name(to)
        );
    }
    for e in g.edges(node) {
        let to = g.edge_target(e);
        eprintln!(
            "  edge {} {} -> {} {:?}",
            g.edge_types[g.edge_kind(e) as usize],
            g.edge_name_text(e),
            g.type_name(to),
            g.name(to)
        );
    }
}

#[test]
fn analyze_files_rejects_bad_file_lists_with_stable_codes() {
    let none: Vec<PathBuf> = Vec::new();
    let err = analyze_files(&none, &AnalyzeOptions::default()).unwrap_err();
    assert_eq!(err.code(), "ERR_LEAKWATCH_INVALID_OPTION");
    let four = vec![PathBuf::from("a"); 4];
    let err = analyze_files(&four, &AnalyzeOptions::default()).unwrap_err();
    assert_eq!(err.code(), "ERR_LEAKWATCH_INVALID_OPTION");
    let missing = vec![PathBuf::from("/nonexistent/leakwatch/s1.heapsnapshot")];
    let err = analyze_files(&missing, &AnalyzeOptions::default()).unwrap_err();
    assert_eq!(err.code(), "ERR_LEAKWATCH_IO");
    assert!(err.message.contains("s1.heapsnapshot"), "{err}");
}
