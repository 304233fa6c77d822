//! `#[napi]` glue for the capture core. JS drives the steps that must run on the
//! main thread (`v8.writeHeapSnapshot`, `fork`); everything else runs on Rust
//! threads or the libuv pool.

use super::error::{map_error, Code, Pending};
use crate::capture::error::{CaptureError, ErrorKind};
use crate::capture::forker::{self, Forked};
use crate::capture::headroom::{self, HeapFigures};
use crate::capture::naming;
use crate::capture::retention::{self, RetentionPolicy};
use crate::capture::supervisor::{self, SupervisorConfig};
use crate::capture::writer::{SnapshotWriter, WriterConfig, WrittenSnapshot};
use napi::bindgen_prelude::AsyncTask;
use napi::{Env, Task};
use napi_derive::napi;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

static SEQUENCE: AtomicU64 = AtomicU64::new(0);

/// Options for `beginCapture`; the facade validates and fills defaults.
#[napi(object)]
pub struct BeginCaptureOptions {
    /// Directory to write into (created 0700 when missing).
    pub dir: String,
    /// Free-form label added to the file name.
    pub label: Option<String>,
    /// gzip level 0-9.
    pub gzip_level: u32,
    /// `v8.getHeapStatistics().used_heap_size`, for the headroom estimate.
    pub heap_used: f64,
    /// `v8.getHeapStatistics().total_heap_size`, for the headroom estimate.
    pub heap_total: f64,
    /// Whether the snapshot will be written by a forked child.
    pub forked: bool,
    /// Refuse when disk or memory headroom is short.
    pub check_headroom: bool,
    /// Root of the cgroup filesystem (tests point it at a fake tree).
    pub cgroup_root: Option<String>,
    /// Keep at most this many snapshot files in `dir`.
    pub max_files: Option<f64>,
    /// Keep at most this many bytes of snapshot files in `dir`.
    pub max_bytes: Option<f64>,
    /// Memory the host itself is expected to add while the snapshot is taken
    /// (the watchdog's projected growth), reserved on top of the estimate.
    pub reserve_bytes: Option<f64>,
    /// Replace string values while streaming; the file name gets a `redacted` label.
    pub redact: Option<bool>,
}

/// Limits for `CaptureJob.finish`.
#[napi(object)]
pub struct FinishOptions {
    /// Kill a forked child that has not finished after this many milliseconds.
    pub timeout_ms: f64,
    /// Kill a forked child that sleeps without progress for this many milliseconds.
    pub hang_ms: f64,
}

/// A snapshot that was written and published.
#[napi(object)]
pub struct WrittenSnapshotInfo {
    /// Final path of the `.heapsnapshot.gz` file.
    pub path: String,
    /// Compressed size on disk.
    pub bytes: f64,
    /// Size of the snapshot JSON before compression.
    pub raw_bytes: f64,
    /// Snapshot files deleted by retention afterwards.
    pub deleted: Vec<String>,
}

/// One snapshot being written: a pipe, its reader and gzip threads, a temp file.
#[napi]
pub struct CaptureJob {
    writer: Option<SnapshotWriter>,
    child: Option<i32>,
    dir: PathBuf,
    policy: RetentionPolicy,
}

/// Checks the options and headroom, then starts the writer threads.
#[napi]
pub fn begin_capture(opts: BeginCaptureOptions) -> napi::Result<CaptureJob, Code> {
    begin(opts).map_err(map_error)
}

fn begin(opts: BeginCaptureOptions) -> Result<CaptureJob, CaptureError> {
    let dir = PathBuf::from(&opts.dir);
    crate::capture::writer::prepare_dir(&dir)?;
    retention::remove_orphan_temp_files(&dir);
    if opts.check_headroom {
        let heap = HeapFigures {
            used_bytes: opts.heap_used.max(0.0) as u64,
            total_bytes: opts.heap_total.max(0.0) as u64,
        };
        let mut needs = headroom::estimate_needs(heap, opts.forked);
        // Memory the caller expects the process to grow by while the snapshot
        // runs (the watchdog's evidence budget during a fast leak).
        let reserve = opts.reserve_bytes.unwrap_or(0.0).max(0.0) as u64;
        needs.memory_bytes = needs.memory_bytes.saturating_add(reserve);
        let disk = headroom::disk_free_bytes(&dir)?;
        let memory = headroom::read_memory_headroom(opts.cgroup_root.as_deref().map(Path::new));
        headroom::check(needs, disk, &memory)?;
    }
    if !opts.forked {
        // V8 is about to build the whole snapshot graph in this process: hand
        // memory glibc kept after earlier frees back to the OS first, so it
        // does not add to the peak. The loop is blocked for seconds anyway.
        // The heap core's helper is the one place that knows malloc_trim is
        // glibc-only (the musl targets have none).
        crate::heap::release_freed_memory();
    }
    let pid = std::process::id();
    let seq = SEQUENCE.fetch_add(1, Ordering::Relaxed) + 1;
    let redact = opts.redact.unwrap_or(false);
    let label = match redact {
        true => Some(naming::redacted_label(opts.label.as_deref())),
        false => opts.label,
    };
    let final_name =
        naming::snapshot_file_name(&host_name(), pid, SystemTime::now(), seq, label.as_deref());
    let writer = SnapshotWriter::start(WriterConfig {
        dir: dir.clone(),
        temp_name: naming::temp_file_name(&final_name, pid),
        final_name,
        gzip_level: opts.gzip_level,
        redact,
    })?;
    Ok(CaptureJob {
        writer: Some(writer),
        child: None,
        dir,
        policy: RetentionPolicy {
            max_files: opts.max_files.map(|n| n.max(1.0) as u64),
            max_bytes: opts.max_bytes.map(|n| n.max(0.0) as u64),
        },
    })
}

fn host_name() -> String {
    let mut buf = [0u8; 256];
    // SAFETY: buf is writable for its whole length.
    let ok = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) } == 0;
    let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
    if ok && end > 0 {
        String::from_utf8_lossy(&buf[..end]).into_owned()
    } else {
        "host".to_string()
    }
}

fn gone() -> napi::Error<Code> {
    map_error(CaptureError::new(
        ErrorKind::Io,
        "this capture job has already finished",
    ))
}

#[napi]
impl CaptureJob {
    /// The path V8 must write the snapshot JSON to (the pipe's write end).
    #[napi(getter)]
    pub fn write_path(&self) -> napi::Result<String, Code> {
        Ok(self
            .writer
            .as_ref()
            .ok_or_else(gone)?
            .write_path()
            .to_string())
    }

    /// The final path the snapshot will have once published.
    #[napi(getter)]
    pub fn path(&self) -> napi::Result<String, Code> {
        Ok(self
            .writer
            .as_ref()
            .ok_or_else(gone)?
            .final_path()
            .to_string_lossy()
            .into_owned())
    }

    /// Forks a child that writes the snapshot. Returns 0 in the child (which
    /// must call `childExit`) and the child's pid in the parent.
    #[napi]
    pub fn fork(&mut self, quiet_budget_ms: f64) -> napi::Result<i32, Code> {
        let writer = self.writer.as_mut().ok_or_else(gone)?;
        let budget = Duration::from_micros((quiet_budget_ms.clamp(0.0, 1_000.0) * 1_000.0) as u64);
        match forker::fork_for_snapshot(budget).map_err(map_error)? {
            Forked::Child => {
                writer.close_inherited_read_end();
                Ok(0)
            }
            Forked::Parent { pid } => {
                writer.close_write_end();
                self.child = Some(pid);
                Ok(pid)
            }
        }
    }

    /// Waits off the main thread for the writer (and the forked child, if any)
    /// and publishes the file. `failure` is the message of an error thrown by
    /// an in-process `v8.writeHeapSnapshot`, which discards the file.
    #[napi]
    pub fn finish(
        &mut self,
        failure: Option<String>,
        opts: FinishOptions,
    ) -> napi::Result<AsyncTask<FinishTask>, Code> {
        let writer = self.writer.take().ok_or_else(gone)?;
        Ok(AsyncTask::new(FinishTask {
            writer: Some(writer),
            child: self.child.take(),
            failure,
            supervisor: SupervisorConfig {
                deadline: Duration::from_millis(opts.timeout_ms.max(1.0) as u64),
                hang_after: Duration::from_millis(opts.hang_ms.max(1.0) as u64),
                poll: Duration::from_millis(25),
            },
            dir: self.dir.clone(),
            policy: self.policy,
            pending: Pending::default(),
        }))
    }
}

/// Whether JS runs on the process's initial thread, as Node's main isolate
/// does (a Worker runs on a thread of its own). Cheaper than loading
/// `worker_threads`, whose ~100 KB of heap a snapshot would then include.
#[napi]
pub fn is_initial_thread() -> bool {
    // SAFETY: gettid and getpid only return ids.
    unsafe { libc::gettid() == libc::getpid() }
}

/// The stable code (`ERR_LEAKWATCH_DISK_FULL`, `_DIR_NOT_WRITABLE` or `_IO`)
/// of an I/O error number met while writing into a directory, so files the JS
/// side writes are classified by the capture core's one rule.
#[napi]
pub fn io_error_code(errno: i32) -> String {
    let err = std::io::Error::from_raw_os_error(errno.saturating_abs());
    CaptureError::from_io("", &err).code().to_owned()
}

/// Ends a forked snapshot child at once (`_exit`).
#[napi]
pub fn child_exit(code: i32) {
    forker::child_exit(code)
}

pub struct FinishTask {
    writer: Option<SnapshotWriter>,
    child: Option<i32>,
    failure: Option<String>,
    supervisor: SupervisorConfig,
    dir: PathBuf,
    policy: RetentionPolicy,
    pending: Pending,
}

pub struct Finished {
    written: WrittenSnapshot,
    deleted: Vec<String>,
}

impl FinishTask {
    fn run(&mut self) -> Result<Finished, CaptureError> {
        let mut writer = self
            .writer
            .take()
            .ok_or_else(|| CaptureError::new(ErrorKind::Io, "finished twice"))?;
        let outcome = match (self.child.take(), self.failure.take()) {
            (_, Some(msg)) => Err(CaptureError::new(ErrorKind::SnapshotFailed, msg)),
            (Some(pid), None) => {
                writer.close_write_end();
                supervisor::supervise(pid, &writer.progress(), self.supervisor)
            }
            (None, None) => Ok(()),
        };
        let written = writer.finish(outcome)?;
        let deleted = retention::enforce(&self.dir, self.policy)
            .unwrap_or_default()
            .into_iter()
            .map(|p| p.to_string_lossy().into_owned())
            .collect();
        Ok(Finished { written, deleted })
    }
}

impl Task for FinishTask {
    type Output = Finished;
    type JsValue = WrittenSnapshotInfo;

    fn compute(&mut self) -> napi::Result<Self::Output> {
        self.run().map_err(|e| self.pending.hold(e))
    }

    fn reject(&mut self, env: Env, err: napi::Error) -> napi::Result<Self::JsValue> {
        self.pending.reject(&env, err)
    }

    fn resolve(&mut self, _env: Env, out: Self::Output) -> napi::Result<Self::JsValue> {
        Ok(WrittenSnapshotInfo {
            path: out.written.path.to_string_lossy().into_owned(),
            bytes: out.written.bytes as f64,
            raw_bytes: out.written.raw_bytes as f64,
            deleted: out.deleted,
        })
    }
}
