//! `#[napi]` glue for the capture core. JS drives the steps that must run on the
//! main thread (`v8.writeHeapSnapshot`, `fork`); everything else runs on Rust
//! threads or the libuv pool.

use super::capture_options::{dir_context, given, CaptureOptionValues};
use super::error::{map_error, Code, Pending};
use crate::capture::error::{CaptureError, ErrorKind};
use crate::capture::forker::{self, Forked};
use crate::capture::headroom::{self, HeapFigures};
use crate::capture::naming;
use crate::capture::options;
use crate::capture::retention::{self, RetentionPolicy};
use crate::capture::supervisor::{self, SupervisorConfig};
use crate::capture::writer::{SnapshotWriter, WriterConfig, WrittenSnapshot};
use napi::bindgen_prelude::AsyncTask;
use napi::{Env, Task};
use napi_derive::napi;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::SystemTime;

static SEQUENCE: AtomicU64 = AtomicU64::new(0);

/// What the caller measured for the headroom estimate.
#[napi(object)]
pub struct CaptureFigures {
    /// `v8.getHeapStatistics().used_heap_size`.
    pub heap_used: f64,
    /// `v8.getHeapStatistics().total_heap_size`.
    pub heap_total: f64,
    /// Whether the snapshot will be written by a forked child.
    pub forked: bool,
    /// Memory the host itself is expected to add while the snapshot is taken
    /// (the watchdog's projected growth), reserved on top of the estimate.
    pub reserve_bytes: Option<f64>,
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
    supervisor: SupervisorConfig,
}

/// Checks a resolved snapshot directory where snapshots are configured:
/// created when missing, a directory, writable, on a filesystem that stores
/// files. Throws ERR_LEAKWATCH_DIR_NOT_WRITABLE (or the I/O error's code).
#[napi]
pub fn check_snapshot_dir(dir: String) -> napi::Result<(), Code> {
    headroom::check_snapshot_dir(std::path::Path::new(&dir))
        .map(|_| ())
        .map_err(map_error)
}

/// Checks the options (by the schema, as `captureOptions` does) and the
/// headroom, then starts the writer threads.
#[napi]
pub fn begin_capture(
    opts: CaptureOptionValues,
    figures: CaptureFigures,
) -> napi::Result<CaptureJob, Code> {
    begin(opts, figures).map_err(map_error)
}

fn begin(opts: CaptureOptionValues, figures: CaptureFigures) -> Result<CaptureJob, CaptureError> {
    let o = options::resolve(&given(opts), &dir_context(None))?;
    let heap = HeapFigures {
        used_bytes: options::byte_count("heapUsed", figures.heap_used)?,
        total_bytes: options::byte_count("heapTotal", figures.heap_total)?,
    };
    // Memory the caller expects the process to grow by while the snapshot
    // runs (the watchdog's evidence budget during a fast leak).
    let reserve = options::byte_count("reserveBytes", figures.reserve_bytes.unwrap_or(0.0))?;
    let disk = headroom::check_snapshot_dir(&o.dir)?;
    retention::remove_orphan_temp_files(&o.dir);
    if o.check_headroom {
        let mut needs = headroom::estimate_needs(heap, figures.forked);
        needs.memory_bytes = needs.memory_bytes.saturating_add(reserve);
        let memory = headroom::read_memory_headroom(o.cgroup_root.as_deref());
        headroom::check(needs, disk, &memory)?;
    }
    if !figures.forked {
        // V8 is about to build the whole snapshot graph in this process: hand
        // memory glibc kept after earlier frees back to the OS first, so it
        // does not add to the peak. The loop is blocked for seconds anyway.
        // The heap core's helper is the one place that knows malloc_trim is
        // glibc-only (the musl targets have none).
        crate::heap::release_freed_memory();
    }
    let pid = std::process::id();
    let seq = SEQUENCE.fetch_add(1, Ordering::Relaxed) + 1;
    let label = match o.redact {
        true => Some(naming::redacted_label(o.label.as_deref())),
        false => o.label.clone(),
    };
    let final_name =
        naming::snapshot_file_name(&host_name(), pid, SystemTime::now(), seq, label.as_deref());
    let writer = SnapshotWriter::start(WriterConfig {
        dir: o.dir.clone(),
        temp_name: naming::temp_file_name(&final_name, pid),
        final_name,
        gzip_level: o.gzip_level,
        redact: o.redact,
    })?;
    Ok(CaptureJob {
        writer: Some(writer),
        child: None,
        policy: o.retention(),
        supervisor: o.supervisor(),
        dir: o.dir,
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
    pub fn fork(&mut self) -> napi::Result<i32, Code> {
        let writer = self.writer.as_mut().ok_or_else(gone)?;
        match forker::fork_for_snapshot(options::FORK_QUIET_BUDGET).map_err(map_error)? {
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

    /// Waits off the main thread for the writer (and the forked child, if any,
    /// within the job's `timeoutMs` and `hangMs`) and publishes the file.
    /// `failure` is the message of an error thrown by an in-process
    /// `v8.writeHeapSnapshot`, which discards the file.
    #[napi]
    pub fn finish(&mut self, failure: Option<String>) -> napi::Result<AsyncTask<FinishTask>, Code> {
        let writer = self.writer.take().ok_or_else(gone)?;
        Ok(AsyncTask::new(FinishTask {
            writer: Some(writer),
            child: self.child.take(),
            failure,
            supervisor: self.supervisor,
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

/// Removes the temporary files that writers which are gone left in `dir`
/// (see `retention::remove_orphan_temp_files`) and returns their paths. A
/// missing or unreadable directory has nothing to sweep.
#[napi]
pub fn sweep_temp_files(dir: String) -> Vec<String> {
    retention::remove_orphan_temp_files(&PathBuf::from(dir))
        .into_iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect()
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
