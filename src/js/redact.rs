//! `#[napi]` glue for redacting a snapshot file (`leakwatch redact`).

use super::capture::WrittenSnapshotInfo;
use super::error::{map_error, Code, Pending};
use crate::capture::options;
use crate::capture::redact_file;
use crate::capture::writer::WrittenSnapshot;
use napi::bindgen_prelude::AsyncTask;
use napi::{Env, Task};
use napi_derive::napi;
use std::path::PathBuf;

pub struct RedactFileTask {
    input: PathBuf,
    output: PathBuf,
    gzip_level: u32,
    pending: Pending,
}

impl Task for RedactFileTask {
    type Output = WrittenSnapshot;
    type JsValue = WrittenSnapshotInfo;

    fn compute(&mut self) -> napi::Result<Self::Output> {
        redact_file::redact_file(&self.input, &self.output, self.gzip_level)
            .map_err(|e| self.pending.hold(e))
    }

    fn resolve(&mut self, _env: Env, out: Self::Output) -> napi::Result<Self::JsValue> {
        Ok(WrittenSnapshotInfo {
            path: out.path.to_string_lossy().into_owned(),
            bytes: out.bytes as f64,
            raw_bytes: out.raw_bytes as f64,
            deleted: Vec::new(),
        })
    }

    fn reject(&mut self, env: Env, err: napi::Error) -> napi::Result<Self::JsValue> {
        self.pending.reject(&env, err)
    }
}

/// Writes a redacted gzip copy of the snapshot `input` (raw or gzip) to
/// `output`, off the main thread. Resolves to `{ path, bytes, rawBytes }`.
/// Throws ERR_LEAKWATCH_INVALID_OPTION for a `gzipLevel` the capture
/// schema refuses.
#[napi]
pub fn redact_snapshot_file(
    input: String,
    output: String,
    gzip_level: f64,
) -> napi::Result<AsyncTask<RedactFileTask>, Code> {
    // In 0..=9 by its spec, so the cast is exact.
    let gzip_level = options::GZIP_LEVEL.check(gzip_level).map_err(map_error)? as u32;
    Ok(AsyncTask::new(RedactFileTask {
        input: PathBuf::from(input),
        output: PathBuf::from(output),
        gzip_level,
        pending: Pending::default(),
    }))
}
