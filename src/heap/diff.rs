//! Comparing snapshots.
//!
//! (a) The 3-snapshot technique by object id: objects whose id is in snapshot
//! 2 but not 1 and that are still alive in 3. Only valid for snapshots of one
//! process, where V8 keeps ids stable.
//! (b) Growth by retaining path: objects are grouped by path signature, and
//! groups whose retained size grows at every step are suspects. This works
//! without consistent ids, e.g. across snapshots of forked children.

use std::collections::{HashMap, HashSet};

use super::aggregate::{self, ClassStat};
use super::analysis::{GroupStat, SnapshotAnalysis};
use super::paths;
use super::report::Suspect;
use super::scopes::LazyScopes;
use super::{holder, options, verdicts};

/// Reporting thresholds.
#[derive(Debug, Clone)]
pub struct DiffOptions {
    /// A group must grow by at least this many retained bytes overall.
    pub min_retained_delta: u64,
    pub max_suspects: usize,
    /// A group must hold at least this many objects in the last snapshot
    /// (0 for diffs, where a single growing container counts; larger for
    /// single-snapshot suspects, which are big collections of alike objects).
    pub min_group_count: u64,
    /// A group whose object count grows at every step by this many in total
    /// is a suspect even under `min_retained_delta` (small objects that
    /// multiply); 0 turns the rule off.
    pub min_count_delta: u64,
}

impl Default for DiffOptions {
    fn default() -> Self {
        DiffOptions {
            min_retained_delta: options::default_of(options::MIN_RETAINED_DELTA),
            max_suspects: options::default_of(options::MAX_SUSPECTS) as usize,
            min_group_count: 0,
            min_count_delta: options::default_of(options::MIN_COUNT_DELTA),
        }
    }
}

fn contains(sorted: &[u32], id: u32) -> bool {
    sorted.binary_search(&id).is_ok()
}

/// A sample of (object id, class name) pairs of a snapshot, kept after the
/// snapshot itself is released, to tell whether a later snapshot's ids mean
/// the same objects.
#[derive(Debug, Default)]
pub struct IdSample {
    classes: HashMap<u32, String>,
}

impl IdSample {
    /// Takes about 20,000 evenly spread nodes.
    pub fn of(a: &SnapshotAnalysis) -> Self {
        let n = a.graph.node_count();
        let stride = (n / 20_000).max(1);
        let classes = (1..n as u32)
            .step_by(stride)
            .map(|v| (a.graph.id(v), a.classes.name(a.classes.class(v)).to_owned()))
            .collect();
        IdSample { classes }
    }

    /// Whether ids mean the same objects in `b`: among sampled ids found in
    /// both, nearly all must have the same class. Snapshots of forked children
    /// reuse ids for unrelated objects, which this rejects.
    pub fn matches(&self, b: &SnapshotAnalysis) -> bool {
        let (mut common, mut same) = (0u64, 0u64);
        for v in 1..b.graph.node_count() as u32 {
            if let Some(class) = self.classes.get(&b.graph.id(v)) {
                common += 1;
                if class == b.classes.name(b.classes.class(v)) {
                    same += 1;
                }
            }
        }
        let needed = self.classes.len().clamp(1, 10) as u64;
        common >= needed && same * 100 >= common * 95
    }
}

/// Ids of `second`'s objects that `first` (sorted) does not have, sorted:
/// usually a small fraction of the heap, so it replaces both full id lists.
pub fn new_ids(first: &[u32], second: &SnapshotAnalysis) -> Vec<u32> {
    let mut ids: Vec<u32> = (1..second.graph.node_count() as u32)
        .map(|v| second.graph.id(v))
        .filter(|&id| !contains(first, id))
        .collect();
    ids.sort_unstable();
    ids
}

/// Reachable nodes of `last` whose id is in `new_in_second` (sorted).
pub fn survivors(new_in_second: &[u32], last: &SnapshotAnalysis) -> Vec<bool> {
    (0..last.graph.node_count() as u32)
        .map(|v| v != 0 && last.is_reachable(v) && contains(new_in_second, last.graph.id(v)))
        .collect()
}

/// Survivors grouped by class, biggest retained size first.
pub fn survivors_by_class(last: &SnapshotAnalysis, survivor: &[bool]) -> Vec<ClassStat> {
    aggregate::by_class(&last.graph, &last.dominators, &last.classes, |v| {
        survivor.get(v as usize).copied().unwrap_or(false)
    })
}

struct Candidate {
    sample: u32,
    counts: Vec<u64>,
    retained: Vec<u64>,
    shallow: Vec<u64>,
    count_grows: bool,
    dropped: bool,
    explained: bool,
}

fn strictly_increasing(v: &[u64]) -> bool {
    v.windows(2).all(|w| matches!(w, [a, b] if b > a))
}

fn delta(v: &[u64]) -> i64 {
    let first = v.first().copied().unwrap_or(0) as i64;
    let last = v.last().copied().unwrap_or(0) as i64;
    last - first
}

/// Single-snapshot suspects: the biggest groups of alike objects (same
/// retaining path), as if they had grown from nothing. Only groups of at
/// least `opts.min_group_count` objects qualify, so that one big object
/// near the root (`global`) does not hide everything below it.
pub fn largest_groups(
    analysis: &SnapshotAnalysis,
    groups: &HashMap<u64, GroupStat>,
    opts: &DiffOptions,
) -> (Vec<Suspect>, u64) {
    let (mut suspects, below) = growth_suspects(&[HashMap::new()], analysis, groups, None, opts);
    // The "from nothing" baseline is not a snapshot: keep only the real one.
    for s in &mut suspects {
        s.counts.drain(..s.counts.len().saturating_sub(1));
        s.retained_sizes
            .drain(..s.retained_sizes.len().saturating_sub(1));
    }
    (suspects, below)
}

/// Groups whose retained size grows at every step by at least the threshold
/// in total. A group inside another growing group of growing count (e.g. the
/// strings of leaked objects) is left out, and so is a container whose growth
/// a group below it explains (the array holding the leaked objects, `global`).
/// Returns the ranked suspects and how many growing groups stayed below the
/// threshold.
pub fn growth_suspects(
    earlier: &[HashMap<u64, GroupStat>],
    last: &SnapshotAnalysis,
    last_groups: &HashMap<u64, GroupStat>,
    survivor: Option<&[bool]>,
    opts: &DiffOptions,
) -> (Vec<Suspect>, u64) {
    let mut below = 0u64;
    let mut cands: Vec<Candidate> = Vec::new();
    let mut index: HashMap<u64, usize> = HashMap::new();
    for (&sig, stat) in last_groups {
        let series = |f: fn(&GroupStat) -> u64| -> Vec<u64> {
            earlier
                .iter()
                .map(|t| t.get(&sig).map_or(0, f))
                .chain(std::iter::once(f(stat)))
                .collect()
        };
        let retained = series(|s| s.retained_size);
        if !strictly_increasing(&retained)
            || stat.count < opts.min_group_count
            || !verdicts::can_be_suspect(last, stat.sample)
        {
            continue;
        }
        let counts = series(|s| s.count);
        if delta(&retained) < opts.min_retained_delta as i64
            && !multiplies(last, stat.sample, &counts, opts)
        {
            below += 1;
            continue;
        }
        index.insert(sig, cands.len());
        cands.push(Candidate {
            sample: stat.sample,
            count_grows: strictly_increasing(&counts),
            counts,
            retained,
            shallow: series(|s| s.shallow_size),
            dropped: false,
            explained: false,
        });
    }
    for i in 0..cands.len() {
        let Some(sample) = cands.get(i).map(|c| c.sample) else {
            continue;
        };
        let nodes = paths::path_nodes(&last.graph, &last.distances, sample);
        for &a in nodes.iter().rev().skip(1) {
            let Some(&j) = index.get(&last.signature(a)) else {
                continue;
            };
            if j == i {
                continue;
            }
            let ancestor_grows = cands.get(j).is_some_and(|c| c.count_grows);
            if ancestor_grows {
                if let Some(c) = cands.get_mut(i) {
                    c.dropped = true;
                }
            } else if let Some(c) = cands.get_mut(j) {
                c.explained = true;
            }
        }
    }
    // A container's backing store (`[elements]`, `[properties]`, `[table]`)
    // hangs off the container by an internal edge and is not on the paths of
    // the objects it holds; it is explained when its owner is on such a path.
    let growing_path_sigs: HashSet<u64> = cands
        .iter()
        .filter(|c| c.count_grows)
        .flat_map(|c| paths::path_nodes(&last.graph, &last.distances, c.sample))
        .map(|v| last.signature(v))
        .collect();
    for c in cands.iter_mut().filter(|c| !c.count_grows) {
        if let Some(e) = last.distances.parent_edge(c.sample) {
            let t = Some(last.graph.edge_kind(e));
            let store = t == last.graph.types.edge_internal || t == last.graph.types.edge_hidden;
            let owner = last.signature(last.graph.edge_source(e));
            if store && growing_path_sigs.contains(&owner) {
                c.explained = true;
            }
        }
    }
    let mut survivors_per_sig: HashMap<u64, u64> = HashMap::new();
    if let Some(flags) = survivor {
        for (v, _) in flags.iter().enumerate().filter(|(_, &f)| f) {
            *survivors_per_sig
                .entry(last.signature(v as u32))
                .or_default() += 1;
        }
    }
    let scopes = LazyScopes::new(&last.graph);
    let found: Vec<(Suspect, u32)> = cands
        .into_iter()
        .filter(|c| !c.dropped && !c.explained)
        .filter_map(|c| {
            let survivors = survivor.map(|_| {
                survivors_per_sig
                    .get(&last.signature(c.sample))
                    .copied()
                    .unwrap_or(0)
            });
            // With ids, growing objects none of which survived from the
            // 1-2 window are churn, not a leak.
            if c.count_grows && survivors == Some(0) {
                return None;
            }
            let growth = verdicts::Growth {
                sample: c.sample,
                counts: c.counts,
                retained: c.retained,
                shallow: c.shallow,
                survivors,
            };
            Some(verdicts::suspect(last, &scopes, growth))
        })
        .collect();
    (verdicts::merge_and_rank(found, opts.max_suspects), below)
}

/// Small objects that multiply: the count grows at every step, by at least
/// `min_count_delta` in total (handles that hold file descriptors: by 20),
/// and they are objects people create rather than engine internals.
fn multiplies(last: &SnapshotAnalysis, sample: u32, counts: &[u64], opts: &DiffOptions) -> bool {
    if opts.min_count_delta == 0
        || !strictly_increasing(counts)
        || !verdicts::counts_as_user_object(last, sample)
    {
        return false;
    }
    let grew = delta(counts).max(0) as u64;
    let class = last.classes.name(last.classes.class(sample));
    grew >= opts.min_count_delta
        || (holder::COUNTED_RESOURCE_CLASSES.contains(&class) && grew >= 20)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::heap::graph::tests::build;
    use crate::heap::graph::HeapGraph;

    /// root -> list (Array) -> n Objects, each holding a string.
    fn snapshot(n: u32, id_offset: u32) -> HeapGraph {
        let mut nodes = vec![("synthetic", ""), ("object", "Array")];
        let mut edges = vec![(0, "property", "list", 1)];
        for i in 0..n {
            nodes.push(("object", "Object"));
            nodes.push(("string", "x"));
            let obj = 2 + 2 * i;
            edges.push((1, "element", "0", obj));
            edges.push((obj, "property", "ua", obj + 1));
        }
        let index_names: Vec<String> = (0..n).map(|i| i.to_string()).collect();
        let edges: Vec<(u32, &str, &str, u32)> = edges
            .into_iter()
            .enumerate()
            .map(|(k, (a, t, name, b))| {
                if t == "element" {
                    (a, t, index_names[(k - 1) / 2].as_str(), b)
                } else {
                    (a, t, name, b)
                }
            })
            .collect();
        let mut g = build(&nodes, &edges);
        for id in g.node_id.iter_mut().skip(2) {
            *id += id_offset;
        }
        g
    }

    #[test]
    fn growing_array_elements_are_the_one_suspect() {
        let a = SnapshotAnalysis::new(snapshot(10, 0), true);
        let b = SnapshotAnalysis::new(snapshot(20, 0), true);
        let c = SnapshotAnalysis::new(snapshot(30, 0), true);
        let opts = DiffOptions {
            min_retained_delta: 100,
            ..DiffOptions::default()
        };
        let groups = c.group_stats();
        let (s, _) = growth_suspects(
            &[a.group_stats(), b.group_stats()],
            &c,
            &groups,
            None,
            &opts,
        );
        assert_eq!(s.len(), 1, "{s:#?}");
        assert_eq!(s[0].constructor, "Object");
        assert_eq!(s[0].counts, vec![10, 20, 30]);
        assert_eq!(s[0].count_delta, 20);
        assert_eq!(s[0].retained_size_delta, 400);
        assert!(
            s[0].path.starts_with("Array > [") && s[0].path.ends_with("] > Object{ua}"),
            "{}",
            s[0].path
        );
        // Below the threshold, nothing is reported.
        let strict = DiffOptions {
            min_retained_delta: 1000,
            ..DiffOptions::default()
        };
        let (s, below) = growth_suspects(
            &[a.group_stats(), b.group_stats()],
            &c,
            &groups,
            None,
            &strict,
        );
        assert!(s.is_empty());
        assert!(below > 0);
        // No growth, no suspect.
        let (s, _) = growth_suspects(&[c.group_stats()], &c, &groups, None, &opts);
        assert!(s.is_empty());
    }

    #[test]
    fn survivors_use_ids() {
        let a = SnapshotAnalysis::new(snapshot(1, 0), true);
        let b = SnapshotAnalysis::new(snapshot(2, 0), true);
        let c = SnapshotAnalysis::new(snapshot(3, 0), true);
        let flags = survivors(&new_ids(&a.sorted_ids(), &b), &c);
        let alive: Vec<usize> = flags
            .iter()
            .enumerate()
            .filter(|(_, &f)| f)
            .map(|(i, _)| i)
            .collect();
        assert_eq!(alive, vec![4, 5]);
        let by_class = survivors_by_class(&c, &flags);
        assert_eq!(by_class.len(), 2);
        assert!(IdSample::of(&b).matches(&c));
        // Same ids, different objects: what forked snapshots look like.
        let mut shuffled = snapshot(3, 0);
        shuffled.node_type.reverse();
        assert!(!IdSample::of(&b).matches(&SnapshotAnalysis::new(shuffled, true)));
    }
}
