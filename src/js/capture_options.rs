//! Glue for the capture option schema (src/capture/options.rs): the schema
//! itself, for lib/options.js to know names and JS types, and the check that
//! completes the options given with their defaults.

use napi::bindgen_prelude::Result;
use napi_derive::napi;

use super::error::{map_error, Code};
use super::range::OptionNumberSpec;
use crate::capture::options::{self, CaptureOptions, DirContext, GivenOptions};

/// The options of `snapshot()`, each absent when not given.
#[napi(object)]
pub struct CaptureOptionValues {
    pub dir: Option<String>,
    pub mode: Option<String>,
    pub gzip_level: Option<f64>,
    pub timeout_ms: Option<f64>,
    pub label: Option<String>,
    pub max_files: Option<f64>,
    pub max_bytes: Option<f64>,
    pub check_headroom: Option<bool>,
    pub hang_ms: Option<f64>,
    pub fork_attempts: Option<f64>,
    pub cgroup_root: Option<String>,
    pub redact: Option<bool>,
}

/// What the default and relative `dir` are made from, as JS sees them.
#[napi(object)]
pub struct DirFacts {
    /// `process.env.LEAKWATCH_DIR`.
    pub env_dir: Option<String>,
    /// `os.tmpdir()`.
    pub tmpdir: String,
}

/// The same options, checked and completed with their defaults.
#[napi(object)]
pub struct ResolvedCaptureOptions {
    /// Absolute directory the snapshots go to.
    pub dir: String,
    /// `'auto'`, `'fork'` or `'inline'`.
    pub mode: String,
    pub gzip_level: u32,
    /// Kill a forked child still running after this many ms.
    pub timeout_ms: f64,
    pub label: Option<String>,
    /// Keep at most this many snapshot files in `dir`.
    pub max_files: Option<f64>,
    /// Keep at most this many bytes of snapshot files in `dir`.
    pub max_bytes: Option<f64>,
    pub check_headroom: bool,
    /// Kill a forked child asleep without progress for this many ms.
    pub hang_ms: f64,
    pub fork_attempts: u32,
    pub cgroup_root: Option<String>,
    pub redact: bool,
}

/// One boolean option.
#[napi(object)]
pub struct CaptureBooleanSpec {
    pub name: String,
    pub default: bool,
}

/// Every option of `snapshot()`: numbers, booleans, the `mode` names, the
/// strings (`dir`, `label`, `cgroupRoot`).
#[napi(object)]
pub struct CaptureOptionSchema {
    pub numbers: Vec<OptionNumberSpec>,
    pub booleans: Vec<CaptureBooleanSpec>,
    pub mode: String,
    /// The first is the default.
    pub modes: Vec<String>,
    pub dir: String,
    /// The environment variable that sets the default `dir`.
    pub dir_env: String,
    pub label: String,
    /// In UTF-16 code units (a JS string's `.length`).
    pub label_max_length: u32,
    pub cgroup_root: String,
    /// `onSignal()`'s default signal.
    pub signal_default: String,
    /// Signals `onSignal()` refuses.
    pub forbidden_signals: Vec<String>,
}

pub fn given(v: CaptureOptionValues) -> GivenOptions {
    GivenOptions {
        dir: v.dir,
        mode: v.mode,
        gzip_level: v.gzip_level,
        timeout_ms: v.timeout_ms,
        label: v.label,
        max_files: v.max_files,
        max_bytes: v.max_bytes,
        check_headroom: v.check_headroom,
        hang_ms: v.hang_ms,
        fork_attempts: v.fork_attempts,
        cgroup_root: v.cgroup_root,
        redact: v.redact,
    }
}

pub fn dir_context(facts: Option<DirFacts>) -> DirContext {
    // A caller that gives no facts gets the process's own (a Worker or
    // Jest's sandbox may see another `process.env`: lib/options.js gives them).
    let (env_dir, tmpdir) = match facts {
        Some(f) => (f.env_dir, f.tmpdir),
        None => (
            std::env::var(options::DIR_ENV).ok(),
            std::env::temp_dir().to_string_lossy().into_owned(),
        ),
    };
    DirContext {
        env_dir,
        tmpdir,
        cwd: std::env::current_dir().ok(),
    }
}

fn resolved(o: CaptureOptions) -> ResolvedCaptureOptions {
    ResolvedCaptureOptions {
        dir: o.dir.to_string_lossy().into_owned(),
        mode: o.mode.as_str().to_string(),
        gzip_level: o.gzip_level,
        timeout_ms: o.timeout_ms as f64,
        label: o.label,
        max_files: o.max_files.map(|n| n as f64),
        max_bytes: o.max_bytes.map(|n| n as f64),
        check_headroom: o.check_headroom,
        hang_ms: o.hang_ms as f64,
        fork_attempts: o.fork_attempts,
        cgroup_root: o.cgroup_root.map(|p| p.to_string_lossy().into_owned()),
        redact: o.redact,
    }
}

/// Checks the options given against the schema and fills in the defaults.
/// Throws ERR_LEAKWATCH_INVALID_OPTION naming the first option out of range.
#[napi]
pub fn capture_options(
    given_values: CaptureOptionValues,
    facts: Option<DirFacts>,
) -> Result<ResolvedCaptureOptions, Code> {
    options::resolve(&given(given_values), &dir_context(facts))
        .map(resolved)
        .map_err(map_error)
}

/// The directory used when `dir` is not given: `$LEAKWATCH_DIR`, else
/// `<tmpdir>/leakwatch`, absolute.
#[napi]
pub fn default_capture_dir(facts: Option<DirFacts>) -> Result<String, Code> {
    options::default_dir(&dir_context(facts))
        .map(|d| d.to_string_lossy().into_owned())
        .map_err(map_error)
}

/// The signal `onSignal()` listens to: `name`, else the default; one of the
/// runtime's `known` names and catchable. Throws ERR_LEAKWATCH_INVALID_OPTION.
#[napi]
pub fn capture_signal(name: Option<String>, known: Vec<String>) -> Result<String, Code> {
    options::check_signal(name.as_deref(), &known).map_err(map_error)
}

/// The schema `captureOptions` checks against.
#[napi]
pub fn capture_option_schema() -> CaptureOptionSchema {
    CaptureOptionSchema {
        numbers: options::NUMBERS
            .iter()
            .map(|s| OptionNumberSpec::new(s.name, s.default, s.range, s.range.to_string()))
            .collect(),
        booleans: options::BOOLEANS
            .iter()
            .map(|s| CaptureBooleanSpec {
                name: s.name.to_string(),
                default: s.default,
            })
            .collect(),
        mode: options::MODE.to_string(),
        modes: options::MODES.iter().map(|m| m.to_string()).collect(),
        dir: options::DIR.to_string(),
        dir_env: options::DIR_ENV.to_string(),
        label: options::LABEL.to_string(),
        label_max_length: options::LABEL_MAX_LENGTH as u32,
        cgroup_root: options::CGROUP_ROOT.to_string(),
        signal_default: options::SIGNAL_DEFAULT.to_string(),
        forbidden_signals: options::FORBIDDEN_SIGNALS
            .iter()
            .map(|s| s.to_string())
            .collect(),
    }
}
