//! `analyzeSnapshots()`: the heap analyzer off the main thread. The report
//! crosses into JS as JSON plus the rendered text, which keeps this glue free
//! of per-field conversions; `lib/analyze.js` turns it into a `Report` object.

use std::path::PathBuf;

use napi::bindgen_prelude::AsyncTask;
use napi::{Env, Task};
use napi_derive::napi;

use crate::heap::allocation::{self, AllocationOptions};
use crate::heap::report::ProfilesRead;
use crate::heap::{self, AnalyzeOptions};
use crate::js::error::{map_error, Code, Pending};

/// Thresholds of a snapshot analysis; every field is optional. Their
/// defaults and ranges: `analyzeOptionSchema()` (src/heap/options.rs), which
/// refuses what it does not take.
#[napi(object)]
pub struct AnalyzeSnapshotsOptions {
    /// A place in the heap is reported only if its retained size grew by at
    /// least this many bytes overall.
    pub min_retained_delta: Option<f64>,
    /// A place whose object count grows at every step by at least this many
    /// in total is reported even under `min_retained_delta` (0: off).
    pub min_count_delta: Option<f64>,
    /// At most this many suspects are reported.
    pub max_suspects: Option<f64>,
    /// How many classes the summary lists.
    pub top_classes: Option<f64>,
    /// With one snapshot, also report the biggest groups of alike objects
    /// (same retaining path, 1000 or more) as suspects.
    pub single_suspects: Option<bool>,
    /// How `lib/analyze.js` chose the files among those given, as JSON
    /// (`Selection` shape); shown in the report.
    pub selection: Option<String>,
    /// Sampling heap profiles (`.heapprofile`) of the same time window,
    /// oldest first: their allocation stacks are joined to the suspects.
    pub profiles: Option<Vec<String>>,
    /// URL prefixes never named as the allocating function (leakwatch's own code).
    pub internal_prefixes: Option<Vec<String>>,
    /// Where `profiles` came from, for the report (`summary.profiles`):
    /// `given`, `beside` or `off`; without it the report does not say.
    pub profiles_source: Option<String>,
    /// With `beside`: every `<snapshot base>.heapprofile` path looked at.
    pub profiles_looked_for: Option<Vec<String>>,
}

/// The analysis result as JSON (`Report` shape) and as readable text.
#[napi(object)]
pub struct AnalyzeSnapshotsResult {
    /// `{ suspects: Suspect[], summary: Summary }` as JSON.
    pub json: String,
    /// The same report for people.
    pub text: String,
}

/// The background job behind `analyzeSnapshots`.
pub struct AnalyzeTask {
    files: Vec<PathBuf>,
    /// Refused options are reported by `compute`, as every error of the task.
    opts: std::result::Result<AnalyzeOptions, heap::HeapError>,
    pending: Pending,
    profiles: Vec<PathBuf>,
    allocation: AllocationOptions,
    /// `summary.profiles` without its files (the profiles read fill them).
    profiles_read: Option<ProfilesRead>,
}

impl Task for AnalyzeTask {
    type Output = AnalyzeSnapshotsResult;
    type JsValue = AnalyzeSnapshotsResult;

    fn compute(&mut self) -> napi::Result<Self::Output> {
        let opts = self.opts.clone().map_err(|e| self.pending.hold(e))?;
        let mut report =
            heap::analyze_files(&self.files, &opts).map_err(|e| self.pending.hold(e))?;
        allocation::attach(&mut report, &self.profiles, &self.allocation)
            .map_err(|e| self.pending.hold(e))?;
        if let Some(mut read) = self.profiles_read.take() {
            read.files = self
                .profiles
                .iter()
                .map(|p| p.to_string_lossy().into_owned())
                .collect();
            report.summary.profiles = Some(read);
        }
        let json = serde_json::to_string(&report).map_err(|e| {
            self.pending.hold(heap::HeapError::new(
                heap::HeapErrorKind::Io,
                format!("serializing the report: {e}"),
            ))
        })?;
        Ok(AnalyzeSnapshotsResult {
            json,
            text: heap::to_text(&report),
        })
    }

    fn resolve(&mut self, _env: Env, output: Self::Output) -> napi::Result<Self::JsValue> {
        Ok(output)
    }

    fn reject(&mut self, env: Env, err: napi::Error) -> napi::Result<Self::JsValue> {
        self.pending.reject(&env, err)
    }
}

/// Analyses one to three `.heapsnapshot` / `.heapsnapshot.gz` files (oldest
/// first) on a libuv worker thread. One file: the largest classes. Two or
/// three: leak suspects, places in the heap that grow from one to the next.
#[napi(ts_return_type = "Promise<AnalyzeSnapshotsResult>")]
pub fn analyze_snapshots(
    files: Vec<String>,
    options: Option<AnalyzeSnapshotsOptions>,
) -> AsyncTask<AnalyzeTask> {
    let mut alloc = AllocationOptions::default();
    let mut selection = None;
    let mut profiles_read = None;
    let given = options.map(|o| {
        profiles_read = o.profiles_source.map(|source| ProfilesRead {
            source,
            files: Vec::new(),
            looked_for: o.profiles_looked_for.unwrap_or_default(),
        });
        alloc.internal_prefixes = o.internal_prefixes.unwrap_or_default();
        // Written by lib/analyze.js, never by users: a malformed one is dropped.
        selection = o
            .selection
            .and_then(|json| serde_json::from_str::<heap::Selection>(&json).ok());
        heap::options::GivenOptions {
            min_retained_delta: o.min_retained_delta,
            min_count_delta: o.min_count_delta,
            max_suspects: o.max_suspects,
            top_classes: o.top_classes,
            single_suspects: o.single_suspects,
            profiles: o.profiles,
        }
    });
    // Checked by the schema, whoever calls: refused in `compute`, never clamped.
    let opts = heap::options::resolve(&given.unwrap_or_default()).map(|r| {
        let mut opts = r.analyze_options();
        opts.selection = selection;
        (opts, r.profiles.unwrap_or_default())
    });
    let (opts, profiles) = match opts {
        Ok((opts, profiles)) => (Ok(opts), profiles.into_iter().map(PathBuf::from).collect()),
        Err(e) => (Err(e), Vec::new()),
    };
    AsyncTask::new(AnalyzeTask {
        files: files.into_iter().map(PathBuf::from).collect(),
        opts,
        pending: Pending::default(),
        profiles,
        allocation: alloc,
        profiles_read,
    })
}

/// Renders a report saved as JSON (`leakwatch analyze --json`) as the text
/// `analyze` prints, so `leakwatch report` needs no second text renderer.
#[napi]
pub fn render_report_text(json: String) -> napi::Result<String, Code> {
    let report: heap::Report = serde_json::from_str(&json).map_err(|e| {
        map_error(heap::HeapError::new(
            heap::HeapErrorKind::InvalidOption,
            format!("not a leakwatch report: {e}"),
        ))
    })?;
    Ok(heap::to_text(&report))
}

/// Renders allocation sites given as JSON (`AllocationSite[]`, what
/// `rankAllocationSites` returns, positions possibly mapped since) as the
/// lines the text report gives them: `String(await allocationSites(...))`.
/// Empty for no sites.
#[napi]
pub fn render_allocation_sites_text(json: String) -> napi::Result<String, Code> {
    let sites: Vec<allocation::AllocationSite> = serde_json::from_str(&json).map_err(|e| {
        map_error(heap::HeapError::new(
            heap::HeapErrorKind::InvalidOption,
            format!("not a list of allocation sites: {e}"),
        ))
    })?;
    let mut text = String::new();
    allocation::render_sites(&mut text, &sites);
    Ok(text)
}

/// Bytes for people, as the analyzer's text report writes them (`1536` ->
/// `1.5 KiB`): the one byte formatter the JS side uses too.
#[napi]
pub fn format_bytes(bytes: f64) -> String {
    heap::report::human_bytes(bytes.round() as i64)
}

/// The background job behind `rankAllocationSites`.
pub struct SitesTask {
    profiles: Vec<PathBuf>,
    opts: AllocationOptions,
    pending: Pending,
}

impl Task for SitesTask {
    type Output = String;
    type JsValue = String;

    fn compute(&mut self) -> napi::Result<Self::Output> {
        let sites = allocation::sites_from_files(&self.profiles, &self.opts)
            .map_err(|e| self.pending.hold(e))?;
        serde_json::to_string(&sites).map_err(|e| {
            self.pending.hold(heap::HeapError::new(
                heap::HeapErrorKind::Io,
                format!("serializing allocation sites: {e}"),
            ))
        })
    }

    fn resolve(&mut self, _env: Env, output: Self::Output) -> napi::Result<Self::JsValue> {
        Ok(output)
    }

    fn reject(&mut self, env: Env, err: napi::Error) -> napi::Result<Self::JsValue> {
        self.pending.reject(&env, err)
    }
}

/// Allocation sites of one to three `.heapprofile` files (oldest first), ranked
/// by growth of live sampled bytes, as a JSON array of `AllocationSite`, on a
/// libuv worker thread. `internal_prefixes`: URL prefixes never named as the
/// allocating function.
#[napi(ts_return_type = "Promise<string>")]
pub fn rank_allocation_sites(
    profiles: Vec<String>,
    internal_prefixes: Vec<String>,
) -> AsyncTask<SitesTask> {
    AsyncTask::new(SitesTask {
        profiles: profiles.into_iter().map(PathBuf::from).collect(),
        opts: AllocationOptions {
            internal_prefixes,
            ..AllocationOptions::default()
        },
        pending: Pending::default(),
    })
}
