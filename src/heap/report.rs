//! The result of an analysis: ranked leak suspects and a summary, as readable
//! text or as JSON (`--json`).

use std::fmt::Write;

use serde::{Deserialize, Serialize};

use super::aggregate::ClassStat;
use super::allocation::{self, AllocationSite, Frame};
use super::graph::SourceLocation;
use super::holder::Holder;
use super::kind::LeakKind;

mod profiles;
pub use profiles::ProfilesRead;

/// One place in the heap that grows from snapshot to snapshot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Suspect {
    /// Class of the growing objects (constructor or function name, or `(array)` etc.).
    pub constructor: String,
    pub count_delta: i64,
    pub retained_size_delta: i64,
    pub shallow_size_delta: i64,
    /// What keeps the objects alive, in words (see `holder`).
    #[serde(default = "Holder::unknown")]
    pub holder: Holder,
    /// Which kind of leak this is; a stable id (see `kind`).
    #[serde(default = "LeakKind::unknown")]
    pub kind: LeakKind,
    /// One line of advice for this kind of leak.
    #[serde(default)]
    pub advice: String,
    /// Retaining path of a representative object for people: from its holder's
    /// module or owner, repeats collapsed, at most 12 steps.
    pub path: String,
    /// The full shortest retaining path, from the GC root.
    #[serde(default)]
    pub raw_path: String,
    /// Where the listener, timer callback or capturing closure that keeps the
    /// objects alive was defined (`holder.function`); null otherwise.
    pub location: Option<SourceLocation>,
    /// The function whose calls made that closure, from the closure's scope
    /// chain in the last snapshot (no sample needed): the code that creates
    /// the leak when a closure is made per call. Null when it was made at a
    /// script's top level, or no live closure of its function names it.
    #[serde(default)]
    pub enclosing_function: Option<Frame>,
    /// Objects of this group created between snapshots 1 and 2 and still alive
    /// in 3 (three in-process snapshots only).
    pub survivors: Option<u64>,
    /// Group size per snapshot, oldest first.
    pub counts: Vec<u64>,
    /// Group retained size per snapshot, oldest first.
    pub retained_sizes: Vec<u64>,
    /// Ranking key: bytes of retained growth, higher is worse.
    pub score: f64,
    /// The code that allocated the growth, from sampling heap profiles.
    #[serde(default)]
    pub allocation: Option<AllocationSite>,
    /// Other growing groups under the same holder (a Map's keys beside its
    /// values), counted in this suspect's sizes.
    #[serde(default)]
    pub merged: Vec<MergedGroup>,
}

/// A growing group merged into the suspect that shares its holder.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MergedGroup {
    pub constructor: String,
    pub count_delta: i64,
    pub retained_size_delta: i64,
    pub counts: Vec<u64>,
}

/// Size facts about one input snapshot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SnapshotSummary {
    pub file: String,
    pub node_count: u64,
    pub edge_count: u64,
    pub total_size: u64,
}

/// What was analysed and how.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Summary {
    /// `single`, `growth` (2-3 snapshots matched by retaining path) or
    /// `three-snapshot` (3 in-process snapshots matched by object id too).
    pub mode: String,
    pub snapshots: Vec<SnapshotSummary>,
    /// Biggest classes of the last snapshot by retained size.
    pub top_classes: Vec<ClassStat>,
    /// Objects created between snapshots 1 and 2 still alive in 3, by class.
    pub survivors: Vec<ClassStat>,
    /// Groups that grew but stayed under the reporting threshold.
    pub below_threshold: u64,
    /// Allocation stacks by growth of live sampled bytes (empty without profiles).
    #[serde(default)]
    pub allocation_sites: Vec<AllocationSite>,
    /// Which snapshots were chosen among those given, and warnings about
    /// them (mixed processes, order); absent when the caller chose.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub selection: Option<Selection>,
    /// The sampling heap profiles read, or where they were looked for;
    /// absent when the caller did not say (reports saved before it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profiles: Option<ProfilesRead>,
}

/// How the analysed snapshots were chosen among those given.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Selection {
    /// `<host>-<pid>` of the analysed process, when the file names say.
    pub process: Option<String>,
    /// How many snapshots of that process were given.
    pub available: u64,
    /// The analysed files, oldest first.
    pub chosen: Vec<String>,
    /// What was chosen and why, and warnings, one sentence each.
    pub notes: Vec<String>,
}

/// The analysis result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    pub suspects: Vec<Suspect>,
    pub summary: Summary,
}

pub use crate::bytes::human_bytes;

fn signed(n: i64) -> String {
    if n > 0 {
        format!("+{n}")
    } else {
        n.to_string()
    }
}

fn describe_growth(sus: &Suspect, single: bool) -> String {
    if single {
        return format!(
            "{} objects, {} retained, {} shallow",
            sus.count_delta,
            human_bytes(sus.retained_size_delta),
            human_bytes(sus.shallow_size_delta)
        );
    }
    if sus.count_delta == 0 {
        // A container that grows in place (an array or dictionary gaining
        // entries that are not objects of their own).
        let n = sus.counts.last().copied().unwrap_or(0);
        return format!(
            "{n} object{} grew by +{} retained",
            if n == 1 { "" } else { "s" },
            human_bytes(sus.retained_size_delta)
        );
    }
    format!(
        "{} objects, +{} retained, +{} shallow",
        signed(sus.count_delta),
        human_bytes(sus.retained_size_delta),
        human_bytes(sus.shallow_size_delta)
    )
}

fn write_verdict(out: &mut String, sus: &Suspect) {
    for m in &sus.merged {
        let _ = writeln!(
            out,
            "   with {} {} under the same holder (+{} retained)",
            signed(m.count_delta),
            m.constructor,
            human_bytes(m.retained_size_delta)
        );
    }
    let _ = writeln!(out, "   held by: {}", sus.holder.description);
    let _ = writeln!(out, "   kind: {}", sus.kind.id());
    let _ = writeln!(out, "   fix: {}", sus.advice);
    let _ = writeln!(out, "   path: {}", sus.path);
    if let Some(loc) = &sus.location {
        let what = match sus.holder.holder_type.as_str() {
            "event-listeners" => "listener",
            "timer-list" => "timer callback",
            _ => "closure",
        };
        let name = sus.holder.function.as_deref().unwrap_or("(anonymous)");
        let file = match &loc.script_name {
            Some(name) => name.clone(),
            None => format!("script {}", loc.script_id),
        };
        let _ = writeln!(
            out,
            "   {what} `{name}` defined at: {file}:{}:{}",
            loc.line + 1,
            loc.column + 1
        );
    }
}

/// The report for people, e.g. on a terminal.
pub fn to_text(report: &Report) -> String {
    let mut out = String::new();
    let s = &report.summary;
    let _ = writeln!(out, "leakwatch heap analysis ({} mode)", s.mode);
    for note in s.selection.iter().flat_map(|sel| &sel.notes) {
        let _ = writeln!(out, "  {note}");
    }
    for (i, snap) in s.snapshots.iter().enumerate() {
        let _ = writeln!(
            out,
            "  snapshot {}: {} ({} nodes, {} edges, {})",
            i + 1,
            snap.file,
            snap.node_count,
            snap.edge_count,
            human_bytes(snap.total_size as i64)
        );
    }
    if let Some(p) = &s.profiles {
        profiles::write_profiles(&mut out, p);
    }
    if s.mode == "single" && !report.suspects.is_empty() {
        let _ = writeln!(
            out,
            "\nLargest groups of alike objects (one snapshot: big, not necessarily growing):"
        );
    } else if s.mode != "single" {
        if report.suspects.is_empty() {
            let _ = writeln!(out, "\nNo leak suspects: nothing grew above the threshold.");
        } else {
            let _ = writeln!(out, "\nLeak suspects, worst first:");
        }
    }
    let single = s.mode == "single";
    for (i, sus) in report.suspects.iter().enumerate() {
        let _ = writeln!(
            out,
            "\n{}. {}: {}",
            i + 1,
            sus.constructor,
            describe_growth(sus, single)
        );
        if !single {
            let counts: Vec<String> = sus.counts.iter().map(u64::to_string).collect();
            let _ = writeln!(out, "   count per snapshot: {}", counts.join(" -> "));
        }
        if let Some(n) = sus.survivors {
            let _ = writeln!(out, "   created between snapshots 1 and 2, alive in 3: {n}");
        }
        write_verdict(&mut out, sus);
        allocation::render_suspect(&mut out, sus);
    }
    allocation::render_sites(&mut out, &s.allocation_sites);
    if !s.survivors.is_empty() {
        let _ = writeln!(
            out,
            "\nCreated between snapshots 1 and 2, still alive in 3:"
        );
        for c in &s.survivors {
            let _ = writeln!(
                out,
                "  {:<40} {:>9} objects {:>12} retained",
                c.name,
                c.count,
                human_bytes(c.retained_size as i64)
            );
        }
    }
    let _ = writeln!(
        out,
        "\nLargest classes in the last snapshot (by retained size):"
    );
    for c in &s.top_classes {
        let _ = writeln!(
            out,
            "  {:<40} {:>9} objects {:>12} shallow {:>12} retained",
            c.name,
            c.count,
            human_bytes(c.shallow_size as i64),
            human_bytes(c.retained_size as i64)
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn containers_growing_in_place_read_as_such() {
        let mut report = sample();
        report.suspects[0].count_delta = 0;
        report.suspects[0].counts = vec![1, 1, 1];
        let text = to_text(&report);
        assert!(
            text.contains("1. Object: 1 object grew by +62.5 KiB retained"),
            "{text}"
        );
    }

    #[test]
    fn bytes_are_human() {
        assert_eq!(human_bytes(512), "512 B");
        assert_eq!(human_bytes(1536), "1.5 KiB");
        assert_eq!(human_bytes(-3 * 1024 * 1024), "-3.0 MiB");
    }

    fn sample() -> Report {
        Report {
            suspects: vec![Suspect {
                constructor: "Object".into(),
                count_delta: 2000,
                retained_size_delta: 64_000,
                shallow_size_delta: 32_000,
                holder: Holder {
                    description: "variable `headersArray` (Array) in the module scope of /srv/app.js".into(),
                    name: Some("headersArray".into()),
                    holder_type: "variable".into(),
                    owner: Some("the module scope of /srv/app.js".into()),
                    script: Some("/srv/app.js".into()),
                    collection: Some("Array".into()),
                    function: Some("onData".into()),
                },
                kind: LeakKind::UnboundedCollection,
                advice: LeakKind::UnboundedCollection.advice().into(),
                path: "module scope of /srv/app.js > headersArray > [elements] > [12] > Object{userAgentUsed}"
                    .into(),
                raw_path:
                    "(GC roots) > global > headersArray > [elements] > [12] > Object{userAgentUsed}"
                        .into(),
                enclosing_function: None,
                merged: vec![],
                location: Some(SourceLocation {
                    script_id: 7,
                    script_name: Some("/srv/app.js".into()),
                    line: 9,
                    column: 2,
                }),
                survivors: Some(1000),
                counts: vec![10, 1010, 2010],
                retained_sizes: vec![1, 2, 3],
                score: 64_000.0,
                allocation: None,
            }],
            summary: Summary {
                mode: "three-snapshot".into(),
                snapshots: vec![],
                top_classes: vec![],
                survivors: vec![],
                below_threshold: 0,
                selection: None,
                allocation_sites: vec![],
                profiles: None,
            },
        }
    }

    #[test]
    fn text_and_json_show_the_suspect() {
        let report = sample();
        let text = to_text(&report);
        assert!(
            text.contains("1. Object: +2000 objects, +62.5 KiB retained"),
            "{text}"
        );
        assert!(text.contains("path: module scope of /srv/app.js > headersArray"));
        assert!(text.contains(
            "held by: variable `headersArray` (Array) in the module scope of /srv/app.js"
        ));
        assert!(text.contains("kind: unbounded-collection"));
        assert!(text.contains("fix: Bound it"));
        assert!(
            text.contains("closure `onData` defined at: /srv/app.js:10:3"),
            "{text}"
        );
        let json = serde_json::to_value(&report).unwrap();
        assert_eq!(json["suspects"][0]["retainedSizeDelta"], 64_000);
        assert_eq!(json["suspects"][0]["location"]["scriptId"], 7);
        assert_eq!(json["summary"]["mode"], "three-snapshot");
        assert_eq!(json["suspects"][0]["kind"], "unbounded-collection");
        assert_eq!(json["suspects"][0]["holder"]["name"], "headersArray");
        assert_eq!(json["suspects"][0]["holder"]["type"], "variable");
        assert!(json["suspects"][0]["rawPath"]
            .as_str()
            .unwrap()
            .starts_with("(GC roots)"));
        let back: Report = serde_json::from_value(json).unwrap();
        assert_eq!(back, report);
    }
}
