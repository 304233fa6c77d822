//! Redacting a snapshot file taken elsewhere (`leakwatch redact in out`). The
//! input (raw or gzip) is decompressed on this thread and fed through a pipe
//! to the same writer a live capture uses, so redaction, gzip, the 0600 temp
//! file, fsync and rename are the very same code; memory stays bounded by the
//! writer's buffers and the redactor's bitsets.

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufRead, BufReader, Read};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use flate2::read::MultiGzDecoder;

use super::error::{CaptureError, ErrorKind};
use super::naming;
use super::writer::{SnapshotWriter, WriterConfig, WrittenSnapshot};

const READ_BYTES: usize = 256 << 10;

fn invalid(message: String) -> CaptureError {
    CaptureError::new(ErrorKind::InvalidOption, message)
}

/// Splits `output` into a directory and a file name, refusing a path that is
/// (or resolves to) the input: the input would be gone before it was read.
fn output_parts(input: &Path, output: &Path) -> Result<(PathBuf, String), CaptureError> {
    let in_meta = fs::metadata(input)
        .map_err(|e| CaptureError::reading(&format!("open {}", input.display()), &e))?;
    if !in_meta.is_file() {
        return Err(invalid(format!("{} is not a file", input.display())));
    }
    if let Ok(out_meta) = fs::metadata(output) {
        if out_meta.dev() == in_meta.dev() && out_meta.ino() == in_meta.ino() {
            return Err(invalid(format!(
                "refusing to overwrite the input {}",
                input.display()
            )));
        }
        if !out_meta.is_file() {
            return Err(invalid(format!("{} is not a file", output.display())));
        }
    }
    let name = output
        .file_name()
        .and_then(|n| n.to_str())
        .filter(|n| !n.is_empty())
        .ok_or_else(|| invalid(format!("{} has no file name", output.display())))?
        .to_string();
    let dir = match output.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    Ok((dir, name))
}

/// Feeds the decompressed input into the writer's pipe. A broken pipe means
/// the writer stopped (its error is the one to report), so it is not an error here.
fn feed(input: &Path, write_path: &str) -> Result<(), CaptureError> {
    let file = File::open(input)
        .map_err(|e| CaptureError::reading(&format!("open {}", input.display()), &e))?;
    let mut buffered = BufReader::with_capacity(READ_BYTES, file);
    let gzip = buffered
        .fill_buf()
        .map_err(|e| CaptureError::from_io("read input", &e))?
        .starts_with(&[0x1f, 0x8b]);
    let mut source: Box<dyn Read> = match gzip {
        true => Box::new(MultiGzDecoder::new(buffered)),
        false => Box::new(buffered),
    };
    let mut pipe = OpenOptions::new()
        .write(true)
        .open(write_path)
        .map_err(|e| CaptureError::from_io("open pipe", &e))?;
    match io::copy(&mut source, &mut pipe) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => Err(CaptureError::new(
            ErrorKind::Truncated,
            format!("the gzip input ended early: {e}"),
        )),
        Err(e)
            if gzip
                && matches!(
                    e.kind(),
                    io::ErrorKind::InvalidData | io::ErrorKind::InvalidInput
                ) =>
        {
            Err(CaptureError::new(
                ErrorKind::RedactFailed,
                format!("the input is not valid gzip: {e}"),
            ))
        }
        Err(e) => Err(CaptureError::from_io("read input", &e)),
    }
}

/// Writes a redacted, gzipped copy of `input` to `output` (0600, temp file then
/// rename; nothing is left behind on failure).
pub fn redact_file(
    input: &Path,
    output: &Path,
    gzip_level: u32,
) -> Result<WrittenSnapshot, CaptureError> {
    let (dir, final_name) = output_parts(input, output)?;
    let mut writer = SnapshotWriter::start(WriterConfig {
        dir,
        temp_name: naming::temp_file_name(&final_name, std::process::id()),
        final_name,
        gzip_level,
        redact: true,
    })?;
    let outcome = feed(input, writer.write_path());
    writer.close_write_end();
    writer.finish(outcome)
}
