//! Runs the heap analyzer from the command line and prints phase timings to
//! stderr, for benchmarking: `cargo run --release --example heap_analyze -- a.heapsnapshot [b c] [--json]`.

use std::path::PathBuf;
use std::time::Instant;

use leakwatch::heap::{self, AnalyzeOptions};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let json = args.iter().any(|a| a == "--json");
    let files: Vec<PathBuf> = args
        .iter()
        .filter(|a| !a.starts_with("--"))
        .map(PathBuf::from)
        .collect();
    if files.len() == 1 {
        let t = Instant::now();
        let graph = match heap::parse_file(&files[0], &Default::default()) {
            Ok(g) => g,
            Err(e) => {
                eprintln!("{e}");
                std::process::exit(1);
            }
        };
        let parse = t.elapsed();
        let (n, m) = (graph.node_count(), graph.edge_count());
        let t2 = Instant::now();
        let d = heap::distances::Distances::compute(&graph);
        let dist = t2.elapsed();
        let t3 = Instant::now();
        let dom = heap::dominators::DominatorTree::compute(&graph);
        let doms = t3.elapsed();
        let t4 = Instant::now();
        let classes = heap::aggregate::ClassIndex::build(&graph);
        let stats = heap::aggregate::by_class(&graph, &dom, &classes, |_| true);
        let agg = t4.elapsed();
        eprintln!(
            "{n} nodes, {m} edges: parse {parse:?}, distances {dist:?}, dominators {doms:?}, classes {agg:?}, total {:?}",
            t.elapsed()
        );
        drop((d, stats));
    }
    let t = Instant::now();
    match heap::analyze_files(&files, &AnalyzeOptions::default()) {
        Ok(report) => {
            eprintln!("analyze_files: {:?}", t.elapsed());
            if json {
                println!("{}", serde_json::to_string_pretty(&report).unwrap_or_default());
            } else {
                print!("{}", heap::to_text(&report));
            }
        }
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    }
}
