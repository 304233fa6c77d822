//! `SnapshotWriter`: one thread drains the snapshot pipe straight into gzip
//! (memory stays flat whatever the heap size), writes a temporary 0600 file,
//! fsyncs it, and only renames it to its final name once the caller confirms
//! the snapshot is complete. On any failure, and when dropped unfinished, the
//! temporary file is removed.

use super::error::{CaptureError, ErrorKind};
use super::pipe::SnapshotPipe;
use super::redact::{self, RedactFailure};
use crate::heap::HeapErrorKind;
use flate2::write::GzEncoder;
use flate2::Compression;
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Read, Write};
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;

// Inline mode runs while V8 holds the whole snapshot graph, so every buffer
// here adds to the peak RSS. The slack between V8 and gzip is the pipe's own
// kernel buffer (see pipe.rs), which is not process memory: gzip level 1 runs
// several times faster than V8 serializes. A reader thread and a compressor
// thread with a channel of 1 MiB chunks between them touched ~10 MB more at
// the peak and saved no main-thread time. V8 writes 64 KiB at a time.
const READ_BYTES: usize = 64 << 10;
const OUT_BUFFER_BYTES: usize = 64 << 10;
const SNAPSHOT_HEAD: &[u8] = b"{\"snapshot\":";

#[derive(Debug, Clone)]
pub struct WriterConfig {
    pub dir: PathBuf,
    pub final_name: String,
    pub temp_name: String,
    pub gzip_level: u32,
    /// Replace string values by placeholders while streaming (see redact.rs).
    pub redact: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WrittenSnapshot {
    pub path: PathBuf,
    pub bytes: u64,
    pub raw_bytes: u64,
}

#[derive(Debug, Default)]
struct RawSummary {
    bytes: u64,
    head: Vec<u8>,
    last_non_space: Option<u8>,
    /// The redactor saw the JSON end early, whatever the last byte was.
    cut_short: bool,
}

impl RawSummary {
    fn observe(&mut self, chunk: &[u8]) {
        self.bytes += chunk.len() as u64;
        if self.head.len() < SNAPSHOT_HEAD.len() {
            let need = SNAPSHOT_HEAD.len() - self.head.len();
            self.head.extend_from_slice(&chunk[..need.min(chunk.len())]);
        }
        if let Some(b) = chunk.iter().rev().find(|b| !b.is_ascii_whitespace()) {
            self.last_non_space = Some(*b);
        }
    }

    /// A cheap completeness check: V8 writes one JSON object, so a complete
    /// snapshot starts with `{"snapshot":` and ends with `}`.
    fn looks_complete(&self) -> bool {
        !self.cut_short && self.head == SNAPSHOT_HEAD && self.last_non_space == Some(b'}')
    }
}

pub struct SnapshotWriter {
    write_end: Option<OwnedFd>,
    read_fd: RawFd,
    write_path: String,
    temp_path: PathBuf,
    final_path: PathBuf,
    dir: PathBuf,
    progress: Arc<AtomicU64>,
    pump: Option<JoinHandle<PumpResult>>,
}

/// What the pump thread read (always known) and what it wrote (or why not).
type PumpResult = (RawSummary, Result<u64, CaptureError>);

/// Creates the directory (0700 for the parts leakwatch creates) and checks that
/// it is a writable directory.
pub fn prepare_dir(dir: &Path) -> Result<(), CaptureError> {
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(|e| CaptureError::from_io(&format!("create {}", dir.display()), &e))?;
    let meta = fs::metadata(dir)
        .map_err(|e| CaptureError::from_io(&format!("stat {}", dir.display()), &e))?;
    if !meta.is_dir() {
        return Err(CaptureError::new(
            ErrorKind::DirNotWritable,
            format!("{} is not a directory", dir.display()),
        ));
    }
    Ok(())
}

impl SnapshotWriter {
    pub fn start(config: WriterConfig) -> Result<SnapshotWriter, CaptureError> {
        prepare_dir(&config.dir)?;
        let temp_path = config.dir.join(&config.temp_name);
        let final_path = config.dir.join(&config.final_name);
        let file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .custom_flags(libc::O_CLOEXEC)
            .open(&temp_path)
            .map_err(|e| CaptureError::from_io(&format!("create {}", temp_path.display()), &e))?;
        let pipe = match SnapshotPipe::new() {
            Ok(p) => p,
            Err(e) => {
                let _ = fs::remove_file(&temp_path);
                return Err(CaptureError::from_io("pipe", &e));
            }
        };
        let write_path = pipe.write_path();
        let SnapshotPipe { reader, writer } = pipe;
        let read_fd = reader.as_raw_fd();
        let progress = Arc::new(AtomicU64::new(0));
        let level = Compression::new(config.gzip_level.min(9));
        let pump_progress = Arc::clone(&progress);
        let redact = config.redact;
        let pump = spawn("leakwatch-gzip", move || {
            pump(reader, file, level, &pump_progress, redact)
        });
        let pump = match pump {
            Ok(h) => h,
            Err(e) => {
                let _ = fs::remove_file(&temp_path);
                return Err(e);
            }
        };
        Ok(SnapshotWriter {
            write_end: Some(writer),
            read_fd,
            write_path,
            temp_path,
            final_path,
            dir: config.dir,
            progress,
            pump: Some(pump),
        })
    }

    pub fn write_path(&self) -> &str {
        &self.write_path
    }

    pub fn final_path(&self) -> &Path {
        &self.final_path
    }

    /// Raw bytes read from the pipe so far; the fork supervisor watches it.
    pub fn progress(&self) -> Arc<AtomicU64> {
        Arc::clone(&self.progress)
    }

    /// Closes this process's copy of the write end. In fork mode the parent must
    /// do this right after `fork()`, so that end-of-file arrives when the child exits.
    pub fn close_write_end(&mut self) {
        self.write_end = None;
    }

    /// In a forked child: closes the child's copy of the pipe's read end. The
    /// parent's reader must be the only one, or a child whose parent stopped
    /// reading (a full disk) would block on a full pipe instead of getting EPIPE.
    pub fn close_inherited_read_end(&self) {
        // SAFETY: in the child the reader thread does not exist, so nothing else
        // uses this descriptor; the parent's copy is unaffected.
        unsafe { libc::close(self.read_fd) };
    }

    /// Waits for both stages. `outcome` is the producer's verdict (V8's write in
    /// this process, or the child's exit status); the file is published only if
    /// it and the writer both succeeded and the data looks like a whole snapshot.
    pub fn finish(
        mut self,
        outcome: Result<(), CaptureError>,
    ) -> Result<WrittenSnapshot, CaptureError> {
        let result = self.join_stages().and_then(|(raw, bytes)| {
            outcome?;
            if !raw.looks_complete() {
                return Err(CaptureError::new(
                    ErrorKind::Truncated,
                    format!("the snapshot stream ended early after {} bytes", raw.bytes),
                ));
            }
            self.publish()?;
            Ok(WrittenSnapshot {
                path: self.final_path.clone(),
                bytes,
                raw_bytes: raw.bytes,
            })
        });
        if result.is_err() {
            let _ = fs::remove_file(&self.temp_path);
        }
        result
    }

    fn join_stages(&mut self) -> Result<(RawSummary, u64), CaptureError> {
        self.write_end = None;
        let handle = self
            .pump
            .take()
            .ok_or_else(|| CaptureError::new(ErrorKind::Io, "writer already finished"))?;
        let (raw, written) = handle
            .join()
            .map_err(|_| CaptureError::new(ErrorKind::Io, "the writer thread panicked"))?;
        Ok((raw, written?))
    }

    fn publish(&self) -> Result<(), CaptureError> {
        fs::rename(&self.temp_path, &self.final_path)
            .map_err(|e| CaptureError::from_io("rename", &e))?;
        // The rename is durable only once the directory entry is on disk.
        if let Ok(d) = File::open(&self.dir) {
            let _ = d.sync_all();
        }
        Ok(())
    }
}

impl Drop for SnapshotWriter {
    fn drop(&mut self) {
        if self.pump.is_some() {
            let _ = self.join_stages();
            let _ = fs::remove_file(&self.temp_path);
        }
    }
}

fn spawn<T: Send + 'static>(
    name: &str,
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<JoinHandle<T>, CaptureError> {
    std::thread::Builder::new()
        .name(name.to_string())
        .spawn(f)
        .map_err(|e| CaptureError::from_io("spawn thread", &e))
}

/// Stops at the process's file size limit (RLIMIT_FSIZE) with EFBIG, before
/// the kernel would send SIGXFSZ, whose default action kills the whole service.
struct SizeCappedFile {
    file: File,
    written: u64,
    cap: u64,
}

impl SizeCappedFile {
    fn new(file: File) -> Self {
        // SAFETY: rlimit is plain data and getrlimit only writes into it.
        let mut lim: libc::rlimit = unsafe { std::mem::zeroed() };
        let cap = if unsafe { libc::getrlimit(libc::RLIMIT_FSIZE, &mut lim) } == 0
            && lim.rlim_cur != libc::RLIM_INFINITY
        {
            lim.rlim_cur
        } else {
            u64::MAX
        };
        SizeCappedFile {
            file,
            written: 0,
            cap,
        }
    }
}

impl Write for SizeCappedFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let room = self.cap.saturating_sub(self.written);
        if room == 0 && !buf.is_empty() {
            return Err(io::Error::from_raw_os_error(libc::EFBIG));
        }
        let take = buf.len().min(usize::try_from(room).unwrap_or(usize::MAX));
        let n = self.file.write(&buf[..take])?;
        self.written += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

/// Reads the pipe until end-of-file, gzipping as it goes. On a write failure
/// it returns at once: dropping the read end makes the producer's next write
/// fail with EPIPE, so V8 stops early instead of serializing into nowhere.
fn pump(
    mut pipe: File,
    file: File,
    level: Compression,
    progress: &AtomicU64,
    redact: bool,
) -> PumpResult {
    let mut raw = RawSummary::default();
    let mut gz = GzEncoder::new(
        BufWriter::with_capacity(OUT_BUFFER_BYTES, SizeCappedFile::new(file)),
        level,
    );
    if redact {
        return pump_redacting(pipe, gz, progress);
    }
    let mut buf = vec![0u8; READ_BYTES];
    loop {
        let n = match pipe.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(_) => break,
        };
        let chunk = &buf[..n];
        raw.observe(chunk);
        progress.fetch_add(n as u64, Ordering::Relaxed);
        if let Err(e) = gz.write_all(chunk) {
            return (raw, Err(CaptureError::from_io("write snapshot", &e)));
        }
    }
    drop(pipe);
    (raw, finish_file(gz))
}

/// The redacting pump: the same stages with the redactor between the pipe and
/// gzip. A stream that ends early is left to `finish`, which reports the
/// producer's failure first (a killed child) and truncation otherwise.
fn pump_redacting(pipe: File, gz: Gz, progress: &AtomicU64) -> PumpResult {
    let mut raw = RawSummary::default();
    // The redactor writes in small pieces (a string, a separator), and each
    // write into the encoder costs a deflate call: batch them first.
    let batched = BufWriter::with_capacity(OUT_BUFFER_BYTES, gz);
    let result = redact::redact(&pipe, batched, READ_BYTES, |chunk: &[u8]| {
        raw.observe(chunk);
        progress.fetch_add(chunk.len() as u64, Ordering::Relaxed);
    });
    drop(pipe);
    match result {
        Ok((batched, _)) => match batched.into_inner() {
            Ok(gz) => (raw, finish_file(gz)),
            Err(e) => (raw, Err(CaptureError::from_io("write snapshot", e.error()))),
        },
        Err(RedactFailure::Output(e)) => (raw, Err(CaptureError::from_io("write snapshot", &e))),
        Err(RedactFailure::Input(e))
            if matches!(e.kind, HeapErrorKind::Truncated | HeapErrorKind::Io) =>
        {
            raw.cut_short = true;
            (raw, Ok(0))
        }
        Err(RedactFailure::Input(e)) => (
            raw,
            Err(CaptureError::new(
                ErrorKind::RedactFailed,
                format!("the snapshot stream could not be redacted: {e}"),
            )),
        ),
    }
}

type Gz = GzEncoder<BufWriter<SizeCappedFile>>;

fn finish_file(gz: GzEncoder<BufWriter<SizeCappedFile>>) -> Result<u64, CaptureError> {
    let file = gz
        .finish()
        .and_then(|w| w.into_inner().map_err(|e| e.into_error()))
        .map_err(|e| CaptureError::from_io("write snapshot", &e))?
        .file;
    file.sync_all()
        .map_err(|e| CaptureError::from_io("fsync snapshot", &e))?;
    let len = file
        .metadata()
        .map_err(|e| CaptureError::from_io("stat snapshot", &e))?
        .len();
    Ok(len)
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::read::GzDecoder;

    fn temp_dir(tag: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("lw-writer-{tag}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&d);
        d
    }

    fn config(dir: &Path) -> WriterConfig {
        WriterConfig {
            dir: dir.to_path_buf(),
            final_name: "snap.heapsnapshot.gz".into(),
            temp_name: ".snap.tmp".into(),
            gzip_level: 2,
            redact: false,
        }
    }

    fn write_via_path(path: &str, data: &[u8]) {
        let mut f = OpenOptions::new().write(true).open(path).unwrap();
        f.write_all(data).unwrap();
    }

    fn entries(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn writes_a_gzip_file_that_round_trips() {
        let dir = temp_dir("ok");
        let w = SnapshotWriter::start(config(&dir)).unwrap();
        let mut body = b"{\"snapshot\":{\"node_count\":1},\"nodes\":[".to_vec();
        for i in 0..300_000 {
            body.extend_from_slice(format!("{i},").as_bytes());
        }
        body.extend_from_slice(b"0]}\n");
        write_via_path(w.write_path(), &body);
        let out = w.finish(Ok(())).unwrap();
        assert_eq!(out.raw_bytes, body.len() as u64);
        assert!(out.bytes < out.raw_bytes / 2);
        let mut got = Vec::new();
        GzDecoder::new(File::open(&out.path).unwrap())
            .read_to_end(&mut got)
            .unwrap();
        assert_eq!(got, body);
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(&out.path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        assert_eq!(
            fs::metadata(&dir).unwrap().permissions().mode() & 0o777,
            0o700
        );
        assert_eq!(entries(&dir), vec!["snap.heapsnapshot.gz".to_string()]);
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn truncated_stream_leaves_nothing() {
        let dir = temp_dir("trunc");
        let w = SnapshotWriter::start(config(&dir)).unwrap();
        write_via_path(w.write_path(), b"{\"snapshot\":{\"node_count\":1},\"nod");
        let err = w.finish(Ok(())).unwrap_err();
        assert_eq!(err.code(), "ERR_LEAKWATCH_SNAPSHOT_TRUNCATED");
        assert!(entries(&dir).is_empty());
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn producer_failure_leaves_nothing() {
        let dir = temp_dir("fail");
        let w = SnapshotWriter::start(config(&dir)).unwrap();
        write_via_path(w.write_path(), b"{\"snapshot\":{}}");
        let err = w
            .finish(Err(CaptureError::new(ErrorKind::ChildFailed, "killed")))
            .unwrap_err();
        assert_eq!(err.kind, ErrorKind::ChildFailed);
        assert!(entries(&dir).is_empty());
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn dropping_an_unfinished_writer_removes_the_temp_file() {
        let dir = temp_dir("drop");
        let w = SnapshotWriter::start(config(&dir)).unwrap();
        assert_eq!(entries(&dir), vec![".snap.tmp".to_string()]);
        drop(w);
        assert!(entries(&dir).is_empty());
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn the_file_size_limit_is_reported_as_disk_full() {
        let dir = temp_dir("cap");
        fs::create_dir_all(&dir).unwrap();
        let file = File::create(dir.join("f")).unwrap();
        let mut capped = SizeCappedFile {
            file,
            written: 0,
            cap: 10,
        };
        assert_eq!(capped.write(b"0123456789abc").unwrap(), 10);
        let err = capped.write(b"x").unwrap_err();
        assert_eq!(CaptureError::from_io("w", &err).kind, ErrorKind::DiskFull);
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_file_in_place_of_the_dir_is_an_error() {
        let dir = temp_dir("notdir");
        fs::write(&dir, b"x").unwrap();
        let err = SnapshotWriter::start(config(&dir)).err().unwrap();
        assert!(
            matches!(err.kind, ErrorKind::DirNotWritable | ErrorKind::Io),
            "{err}"
        );
        fs::remove_file(&dir).unwrap();
    }
}
