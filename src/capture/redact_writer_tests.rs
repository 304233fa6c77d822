//! The redactor inside the writer and the file command: what reaches the
//! disk, and that nothing does when the stream is bad.

use super::tests::sample;
use crate::capture::redact_file::redact_file;
use crate::capture::writer::{SnapshotWriter, WriterConfig};
use crate::capture::{CaptureError, ErrorKind};
use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use std::fs::{self, File, OpenOptions};
use std::io::{Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

fn temp_dir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("lw-redact-{tag}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&d);
    fs::create_dir_all(&d).unwrap();
    d
}

fn entries(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

fn gunzip(path: &Path) -> String {
    let mut s = String::new();
    GzDecoder::new(File::open(path).unwrap())
        .read_to_string(&mut s)
        .unwrap();
    s
}

fn write_through_writer(
    dir: &Path,
    body: &[u8],
    outcome: Result<(), CaptureError>,
) -> Result<PathBuf, CaptureError> {
    let w = SnapshotWriter::start(WriterConfig {
        dir: dir.to_path_buf(),
        final_name: "s-redacted.heapsnapshot.gz".into(),
        temp_name: ".s.tmp".into(),
        gzip_level: 1,
        redact: true,
    })?;
    let mut f = OpenOptions::new().write(true).open(w.write_path()).unwrap();
    let _ = f.write_all(body);
    drop(f);
    w.finish(outcome).map(|o| o.path)
}

#[test]
fn the_writer_redacts_while_streaming() {
    let dir = temp_dir("writer");
    let path = write_through_writer(&dir, sample().as_bytes(), Ok(())).unwrap();
    let text = gunzip(&path);
    assert!(!text.contains("sk-live-SECRET"));
    assert!(text.contains("<redacted 14>") && text.contains("\"Session\""));
    assert_eq!(
        fs::metadata(&path).unwrap().permissions().mode() & 0o777,
        0o600
    );
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_malformed_stream_fails_with_a_code_and_leaves_no_file() {
    let dir = temp_dir("malformed");
    let bad = sample().replace("\"edges\":[", "\"edges\":[x");
    let err = write_through_writer(&dir, bad.as_bytes(), Ok(())).unwrap_err();
    assert_eq!(err.code(), "ERR_LEAKWATCH_REDACT_FAILED", "{err}");
    assert!(entries(&dir).is_empty());
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_cut_stream_is_truncated_unless_the_producer_failed_first() {
    let dir = temp_dir("cut");
    let full = sample();
    // Cut right after a complete-looking `}`: only the redactor can tell.
    let at = full.find("]}").map(|i| i + 2).unwrap_or(10);
    let cut = format!("{{\"snapshot\":{}}}", &full[12..at]);
    for body in [&full[..full.len() / 2], cut.as_str()] {
        let err = write_through_writer(&dir, body.as_bytes(), Ok(())).unwrap_err();
        assert_eq!(err.code(), "ERR_LEAKWATCH_SNAPSHOT_TRUNCATED", "{err}");
        assert!(entries(&dir).is_empty());
    }
    let killed = Err(CaptureError::new(ErrorKind::ChildFailed, "killed"));
    let err = write_through_writer(&dir, &full.as_bytes()[..100], killed).unwrap_err();
    assert_eq!(err.kind, ErrorKind::ChildFailed);
    assert!(entries(&dir).is_empty());
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_file_command_reads_raw_and_gzip_and_writes_0600() {
    let dir = temp_dir("file");
    let raw = dir.join("in.heapsnapshot");
    fs::write(&raw, sample()).unwrap();
    let gz = dir.join("in.heapsnapshot.gz");
    let mut enc = GzEncoder::new(File::create(&gz).unwrap(), flate2::Compression::fast());
    enc.write_all(sample().as_bytes()).unwrap();
    enc.finish().unwrap();
    for input in [&raw, &gz] {
        let out = dir.join("out").join("r.gz");
        let written = redact_file(input, &out, 6).unwrap();
        let text = gunzip(&written.path);
        assert!(!text.contains("SECRET\"") || text.contains("half-SECRET"));
        assert!(!text.contains("sk-live"));
        assert_eq!(
            fs::metadata(&out).unwrap().permissions().mode() & 0o777,
            0o600
        );
        assert_eq!(entries(&dir.join("out")), vec!["r.gz".to_string()]);
    }
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_file_command_refuses_its_input_and_bad_inputs_leave_nothing() {
    let dir = temp_dir("file-bad");
    let input = dir.join("in.heapsnapshot");
    fs::write(&input, sample()).unwrap();
    let err = redact_file(&input, &input, 1).unwrap_err();
    assert_eq!(err.kind, ErrorKind::InvalidOption);
    fs::hard_link(&input, dir.join("link")).unwrap();
    assert!(redact_file(&input, &dir.join("link"), 1).is_err());
    assert_eq!(fs::read_to_string(&input).unwrap(), sample());

    let cut = dir.join("cut.heapsnapshot");
    fs::write(&cut, &sample()[..300]).unwrap();
    let out = dir.join("o").join("x.gz");
    assert_eq!(
        redact_file(&cut, &out, 1).unwrap_err().code(),
        "ERR_LEAKWATCH_SNAPSHOT_TRUNCATED"
    );
    let gz_cut = dir.join("cut.gz");
    let mut enc = GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(sample().as_bytes()).unwrap();
    let bytes = enc.finish().unwrap();
    fs::write(&gz_cut, &bytes[..bytes.len() / 2]).unwrap();
    assert_eq!(
        redact_file(&gz_cut, &out, 1).unwrap_err().code(),
        "ERR_LEAKWATCH_SNAPSHOT_TRUNCATED"
    );
    let garbage = dir.join("garbage");
    fs::write(&garbage, b"not a snapshot at all").unwrap();
    assert_eq!(
        redact_file(&garbage, &out, 1).unwrap_err().code(),
        "ERR_LEAKWATCH_REDACT_FAILED"
    );
    assert!(entries(&dir.join("o")).is_empty());
    let missing = redact_file(&dir.join("nope"), &out, 1).unwrap_err();
    assert_eq!(missing.code(), "ERR_LEAKWATCH_IO");
    fs::remove_dir_all(&dir).unwrap();
}
