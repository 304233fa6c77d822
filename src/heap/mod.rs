//! The native heap snapshot analyzer: a streaming `.heapsnapshot(.gz)` parser,
//! compact graph, dominators and retained sizes, retaining paths, snapshot
//! diffs and a ranked leak report. Pure Rust: no napi types, so `cargo test`
//! covers all of it.
//!
//! Pipeline, per snapshot: `parser` (+ `lexer`, `meta`) streams the file into
//! a [`HeapGraph`] of flat columns; `dominators` computes the dominator tree
//! and retained sizes; `aggregate` the per-class statistics; `distances` the
//! BFS tree that gives shortest retaining paths (`paths`), and in diff mode
//! `paths::path_signatures` groups objects by where they hang in the heap.
//! `diff` compares snapshots (object ids when they come from one process,
//! path signatures always) and `report` ranks and renders suspects.
//!
//! Memory is the constraint that shapes the code: a 270 MB snapshot holds
//! 3.3M nodes and 10.4M edges, and the whole analysis must fit in less than
//! the file's size. So: `u32` ordinals and `u8` types in one `Vec` per field,
//! CSR adjacency, one string buffer, no allocation per node, temporaries
//! reused or freed before the next phase, and vectors reserved exactly.
//! Nothing recurses: graphs have chains hundreds of thousands deep.
//! Input is hostile until validated: no panics, no unchecked indexing, limits
//! checked before allocating (see [`ParseLimits`]).

pub mod aggregate;
pub mod allocation;
pub mod analysis;
pub mod diff;
pub mod distances;
pub mod dominators;
pub mod ephemerons;
pub mod error;
pub mod graph;
pub mod holder;
pub mod kind;
pub(crate) mod lexer;
pub(crate) mod meta;
pub mod options;
pub mod parser;
pub mod paths;
pub mod readable;
pub mod report;
pub mod retainers;
pub mod scopes;
pub mod sizes;
pub mod strings;
pub mod verdicts;

use std::path::PathBuf;

pub use analysis::SnapshotAnalysis;
pub use diff::DiffOptions;
pub use error::{HeapError, HeapErrorKind};
pub use graph::{HeapGraph, SourceLocation};
pub use parser::{parse_file, parse_reader, ParseLimits};
pub use report::{to_text, Report, Selection, SnapshotSummary, Summary, Suspect};

/// Options of [`analyze_files`].
#[derive(Debug, Clone)]
pub struct AnalyzeOptions {
    pub limits: ParseLimits,
    pub diff: DiffOptions,
    /// How many classes the summary lists.
    pub top_classes: usize,
    /// With one snapshot, also report the biggest groups of alike objects
    /// (same retaining path, at least `single_min_count` of them) as suspects.
    pub single_suspects: bool,
    pub single_min_count: u64,
    /// How the caller chose `paths` among more snapshots; copied to the summary.
    pub selection: Option<Selection>,
}

impl Default for AnalyzeOptions {
    fn default() -> Self {
        AnalyzeOptions {
            limits: ParseLimits::default(),
            diff: DiffOptions::default(),
            top_classes: options::default_of(options::TOP_CLASSES) as usize,
            single_suspects: options::SINGLE_SUSPECTS.default,
            single_min_count: 1000,
            selection: None,
        }
    }
}

fn summarize(path: &std::path::Path, a: &SnapshotAnalysis) -> SnapshotSummary {
    SnapshotSummary {
        file: path.display().to_string(),
        node_count: a.graph.node_count() as u64,
        edge_count: a.graph.edge_count() as u64,
        total_size: a.graph.total_size(),
    }
}

/// Analyses one snapshot (largest classes), or two or three snapshots of the
/// same program, oldest first (leak suspects). Snapshots are loaded one at a
/// time; of the earlier ones only their group statistics and ids are kept.
pub fn analyze_files(paths: &[PathBuf], opts: &AnalyzeOptions) -> Result<Report, HeapError> {
    if paths.is_empty() || paths.len() > 3 {
        return Err(HeapError::new(
            HeapErrorKind::InvalidOption,
            format!("expected 1 to 3 snapshot files, got {}", paths.len()),
        ));
    }
    let mut snapshots = Vec::new();
    let mut earlier_groups = Vec::new();
    // Sorted ids of snapshot 1, then the ids new in snapshot 2: survivors
    // (three snapshots) need no more, and full id lists cost 4 bytes a node.
    let mut ids: Option<Vec<u32>> = None;
    let mut ids_consistent = true;
    let mut previous_ids: Option<diff::IdSample> = None;
    let mut last = None;
    for (i, path) in paths.iter().enumerate() {
        let mut graph = parse_file(path, &opts.limits)?;
        if paths.len() == 1 {
            graph.drop_ids();
        }
        let analysis = SnapshotAnalysis::new(graph, paths.len() > 1 || opts.single_suspects);
        snapshots.push(summarize(path, &analysis));
        if let Some(sample) = previous_ids.take() {
            ids_consistent &= sample.matches(&analysis);
        }
        if i + 1 == paths.len() {
            last = Some(analysis);
            break;
        }
        // Only small digests of earlier snapshots stay in memory.
        previous_ids = Some(diff::IdSample::of(&analysis));
        // Group statistics need neither the BFS tree nor the classes; freeing
        // them first keeps them from stacking on the dominator tree's
        // temporary children lists.
        let mut analysis = analysis;
        analysis.distances = distances::Distances::default();
        analysis.classes = aggregate::ClassIndex::default();
        release_freed_memory();
        earlier_groups.push(analysis.group_stats());
        if paths.len() == 3 {
            ids = Some(match ids.take() {
                None => analysis.sorted_ids(),
                Some(first) => diff::new_ids(&first, &analysis),
            });
        }
        drop(analysis);
        release_freed_memory();
    }
    let Some(last) = last else {
        return Err(HeapError::invalid("no snapshot analysed"));
    };
    let top_classes: Vec<_> = last
        .class_stats
        .iter()
        .take(opts.top_classes)
        .cloned()
        .collect();
    let mut summary = Summary {
        mode: "single".into(),
        snapshots,
        top_classes,
        survivors: Vec::new(),
        below_threshold: 0,
        selection: opts.selection.clone(),
        allocation_sites: Vec::new(),
        profiles: None,
    };
    if paths.len() == 1 {
        let mut suspects = Vec::new();
        if opts.single_suspects {
            let single = DiffOptions {
                min_group_count: opts.single_min_count,
                ..opts.diff.clone()
            };
            let (found, below) = diff::largest_groups(&last, &last.group_stats(), &single);
            suspects = found;
            summary.below_threshold = below;
        }
        return Ok(Report { suspects, summary });
    }
    let survivor_flags = match (paths.len(), ids.take()) {
        (3, Some(new_in_second)) if ids_consistent => Some(diff::survivors(&new_in_second, &last)),
        _ => None,
    };
    if let Some(flags) = &survivor_flags {
        summary.mode = "three-snapshot".into();
        summary.survivors = diff::survivors_by_class(&last, flags);
        summary.survivors.truncate(opts.top_classes);
    } else {
        summary.mode = "growth".into();
    }
    let last_groups = last.group_stats();
    let (suspects, below) = diff::growth_suspects(
        &earlier_groups,
        &last,
        &last_groups,
        survivor_flags.as_deref(),
        &opts.diff,
    );
    summary.below_threshold = below;
    Ok(Report { suspects, summary })
}

#[cfg(test)]
mod bench_tests;
#[cfg(test)]
mod e2e_tests;
#[cfg(test)]
mod pipeline_tests;

/// Hands memory freed by the analysis back to the OS. glibc keeps freed heap
/// chunks (and raises its mmap threshold after a big free, so the next big
/// vectors land in the heap too); without this, RSS stays at the high-water
/// mark of earlier phases and the next phase's peak stacks on top of it.
pub(crate) fn release_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only walks the allocator's own free lists.
    unsafe {
        libc::malloc_trim(0);
    }
}
