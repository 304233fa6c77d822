//! `analyzeSnapshots()`: the heap analyzer off the main thread. The report
//! crosses into JS as JSON plus the rendered text, which keeps this glue free
//! of per-field conversions; `lib/analyze.js` turns it into a `Report` object.

use std::path::PathBuf;

use napi::bindgen_prelude::AsyncTask;
use napi::{Env, Task};
use napi_derive::napi;

use crate::heap::{self, AnalyzeOptions};
use crate::js::error::map_error;

/// Thresholds of a snapshot analysis; every field is optional.
#[napi(object)]
pub struct AnalyzeSnapshotsOptions {
    /// A place in the heap is reported only if its retained size grew by at
    /// least this many bytes overall (default 262144).
    pub min_retained_delta: Option<f64>,
    /// A place whose object count grows at every step by at least this many
    /// in total is reported even under `min_retained_delta` (default 1000;
    /// 0 turns the rule off).
    pub min_count_delta: Option<f64>,
    /// At most this many suspects are reported (default 10).
    pub max_suspects: Option<u32>,
    /// How many classes the summary lists (default 15).
    pub top_classes: Option<u32>,
    /// With one snapshot, also report the biggest groups of alike objects
    /// (same retaining path, 1000 or more) as suspects (default false).
    pub single_suspects: Option<bool>,
    /// How `lib/analyze.js` chose the files among those given, as JSON
    /// (`Selection` shape); shown in the report.
    pub selection: Option<String>,
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
    opts: AnalyzeOptions,
}

impl Task for AnalyzeTask {
    type Output = AnalyzeSnapshotsResult;
    type JsValue = AnalyzeSnapshotsResult;

    fn compute(&mut self) -> napi::Result<Self::Output> {
        let report = heap::analyze_files(&self.files, &self.opts).map_err(map_error)?;
        let json = serde_json::to_string(&report).map_err(|e| {
            map_error(heap::HeapError::new(
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
}

/// Analyses one to three `.heapsnapshot` / `.heapsnapshot.gz` files (oldest
/// first) on a libuv worker thread. One file: the largest classes. Two or
/// three: leak suspects, places in the heap that grow from one to the next.
#[napi(ts_return_type = "Promise<AnalyzeSnapshotsResult>")]
pub fn analyze_snapshots(
    files: Vec<String>,
    options: Option<AnalyzeSnapshotsOptions>,
) -> AsyncTask<AnalyzeTask> {
    let mut opts = AnalyzeOptions::default();
    if let Some(o) = options {
        if let Some(v) = o.min_retained_delta {
            if v.is_finite() && v >= 0.0 {
                opts.diff.min_retained_delta = v as u64;
            }
        }
        if let Some(v) = o.min_count_delta {
            if v.is_finite() && v >= 0.0 {
                opts.diff.min_count_delta = v as u64;
            }
        }
        if let Some(v) = o.max_suspects {
            opts.diff.max_suspects = v as usize;
        }
        if let Some(v) = o.top_classes {
            opts.top_classes = v as usize;
        }
        if let Some(v) = o.single_suspects {
            opts.single_suspects = v;
        }
        // Written by lib/analyze.js, never by users: a malformed one is dropped.
        opts.selection = o
            .selection
            .and_then(|json| serde_json::from_str::<heap::Selection>(&json).ok());
    }
    AsyncTask::new(AnalyzeTask {
        files: files.into_iter().map(PathBuf::from).collect(),
        opts,
    })
}

/// Renders a report saved as JSON (`leakwatch analyze --json`) as the text
/// `analyze` prints, so `leakwatch report` needs no second text renderer.
#[napi]
pub fn render_report_text(json: String) -> napi::Result<String> {
    let report: heap::Report = serde_json::from_str(&json).map_err(|e| {
        map_error(heap::HeapError::new(
            heap::HeapErrorKind::InvalidOption,
            format!("not a leakwatch report: {e}"),
        ))
    })?;
    Ok(heap::to_text(&report))
}
