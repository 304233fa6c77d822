//! The capture options: the one place their defaults and ranges live.
//!
//! `snapshot()`, `onSignal()`, the router's and the watchdog's `snapshot`
//! options are all these. lib/options.js reads this schema through the
//! binding to know the names and JS types, and hands the values here to be
//! checked and completed with defaults; `beginCapture` checks what it is given
//! against the same specs, so nothing past this module clamps or ignores a
//! value. The README's options table and index.d.ts are tested against it
//! (__test__/capture-options.test.js).

use super::error::{CaptureError, ErrorKind};
use super::retention::RetentionPolicy;
use super::supervisor::SupervisorConfig;
use crate::range::{OutOfRange, Range, MAX_SAFE_INTEGER, MAX_TIMER_MS};
use std::fmt::Display;
use std::path::{Component, Path, PathBuf};
use std::time::Duration;

/// A numeric option: an integer in its range (each `range` here is integers
/// in `[min, max]` with `min >= 0`, so a checked value is exact as a `u64`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NumberSpec {
    pub name: &'static str,
    /// `None`: left out means none (no retention limit).
    pub default: Option<f64>,
    pub range: Range,
}

/// Level 2 of the zlib-rs backend compresses faster than V8 serializes, so
/// compression never slows the snapshot down (docs/capture.md).
pub const GZIP_LEVEL: NumberSpec = NumberSpec {
    name: "gzipLevel",
    default: Some(2.0),
    range: Range::integers(0.0, 9.0),
};
/// A forked child still running after this is killed.
pub const TIMEOUT_MS: NumberSpec = NumberSpec {
    name: "timeoutMs",
    default: Some(300_000.0),
    range: Range::integers(1.0, MAX_TIMER_MS),
};
pub const MAX_FILES: NumberSpec = NumberSpec {
    name: "maxFiles",
    default: None,
    range: Range::integers(1.0, 1_000_000.0),
};
pub const MAX_BYTES: NumberSpec = NumberSpec {
    name: "maxBytes",
    default: None,
    range: Range::integers(1.0, MAX_SAFE_INTEGER),
};
/// A healthy child sleeps on its pipe for a few ms at a time; under 100 ms of
/// no progress says nothing about a deadlock.
pub const HANG_MS: NumberSpec = NumberSpec {
    name: "hangMs",
    default: Some(1500.0),
    range: Range::integers(100.0, MAX_TIMER_MS),
};
pub const FORK_ATTEMPTS: NumberSpec = NumberSpec {
    name: "forkAttempts",
    default: Some(3.0),
    range: Range::integers(1.0, 10.0),
};

/// The numeric options, in the order they are documented.
pub const NUMBERS: [NumberSpec; 6] = [
    GZIP_LEVEL,
    TIMEOUT_MS,
    MAX_FILES,
    MAX_BYTES,
    HANG_MS,
    FORK_ATTEMPTS,
];

/// A boolean option.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BoolSpec {
    pub name: &'static str,
    pub default: bool,
}
pub const CHECK_HEADROOM: BoolSpec = BoolSpec {
    name: "checkHeadroom",
    default: true,
};
pub const REDACT: BoolSpec = BoolSpec {
    name: "redact",
    default: false,
};
pub const BOOLEANS: [BoolSpec; 2] = [CHECK_HEADROOM, REDACT];

pub const MODE: &str = "mode";
/// How a snapshot is taken; the first is the default.
pub const MODES: [&str; 3] = ["auto", "fork", "inline"];
pub const DIR: &str = "dir";
/// The default `dir`, when set and not empty; else `<tmpdir>/leakwatch`.
pub const DIR_ENV: &str = "LEAKWATCH_DIR";
const DIR_UNDER_TMP: &str = "leakwatch";
pub const LABEL: &str = "label";
/// In UTF-16 code units, as JS counts a string's `.length`.
pub const LABEL_MAX_LENGTH: usize = 64;
pub const CGROUP_ROOT: &str = "cgroupRoot";

/// `onSignal()`'s first argument.
pub const SIGNAL: &str = "signal";
/// SIGUSR1 is taken by Node's inspector.
pub const SIGNAL_DEFAULT: &str = "SIGUSR2";
/// Signals a snapshot trigger may not take: they cannot be caught, are used by
/// Node itself, or mean the process is already crashing.
pub const FORBIDDEN_SIGNALS: [&str; 9] = [
    "SIGKILL", "SIGSTOP", "SIGSEGV", "SIGBUS", "SIGFPE", "SIGILL", "SIGABRT", "SIGPIPE", "SIGCHLD",
];

/// How long the parent may wait for its other threads to fall asleep before
/// forking: part of the event-loop block, so kept small.
pub const FORK_QUIET_BUDGET: Duration = Duration::from_millis(10);
/// How often the supervisor looks at a forked child.
const SUPERVISOR_POLL: Duration = Duration::from_millis(25);

fn invalid(name: &str, why: impl Display) -> CaptureError {
    CaptureError::new(
        ErrorKind::InvalidOption,
        format!("invalid option {name}: {why}"),
    )
}

/// The one point where a number out of its range becomes this core's error.
impl From<OutOfRange> for CaptureError {
    fn from(e: OutOfRange) -> Self {
        invalid(&e.name, e.why)
    }
}

impl NumberSpec {
    /// `v` if it is within this option's range, else the error naming it.
    pub fn check(&self, v: f64) -> Result<u64, CaptureError> {
        // An integer in [0, 2^53 - 1] by every range here: the cast is exact.
        Ok(self.range.check(self.name, v)? as u64)
    }

    fn given_or_default(&self, given: Option<f64>) -> Result<Option<u64>, CaptureError> {
        given.or(self.default).map(|v| self.check(v)).transpose()
    }

    fn required(&self, given: Option<f64>) -> Result<u64, CaptureError> {
        match self.given_or_default(given)? {
            Some(v) => Ok(v),
            None => Err(invalid(self.name, "has no default and was not given")),
        }
    }
}

/// Any byte count: a caller's measurement (heap figures, the watchdog's reserve).
const BYTE_COUNT: Range = Range::at_least(0.0);

/// A byte count measured by the caller: a finite number >= 0, else the
/// error naming it.
pub fn byte_count(name: &str, v: f64) -> Result<u64, CaptureError> {
    // Saturates above u64::MAX, far beyond any memory.
    Ok(BYTE_COUNT.check(name, v)? as u64)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Auto,
    Fork,
    Inline,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Auto => MODES[0],
            Mode::Fork => MODES[1],
            Mode::Inline => MODES[2],
        }
    }

    fn parse(s: &str) -> Result<Mode, CaptureError> {
        [Mode::Auto, Mode::Fork, Mode::Inline]
            .into_iter()
            .find(|m| m.as_str() == s)
            .ok_or_else(|| invalid(MODE, format!("expected one of {}", MODES.join(", "))))
    }
}

/// What the user gave; `None` for an option left out.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GivenOptions {
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

/// What the default `dir` and a relative one are made from: facts of the
/// process the caller knows best (`process.env`, `os.tmpdir()`, the cwd).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DirContext {
    /// The value of `LEAKWATCH_DIR`.
    pub env_dir: Option<String>,
    pub tmpdir: String,
    /// `None` when the current directory cannot be read.
    pub cwd: Option<PathBuf>,
}

/// The options, checked and with their defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct CaptureOptions {
    /// Absolute and normalized, as `path.resolve` gives it.
    pub dir: PathBuf,
    pub mode: Mode,
    pub gzip_level: u32,
    pub timeout_ms: u64,
    pub label: Option<String>,
    pub max_files: Option<u64>,
    pub max_bytes: Option<u64>,
    pub check_headroom: bool,
    pub hang_ms: u64,
    pub fork_attempts: u32,
    pub cgroup_root: Option<PathBuf>,
    pub redact: bool,
}

impl CaptureOptions {
    pub fn retention(&self) -> RetentionPolicy {
        RetentionPolicy {
            max_files: self.max_files,
            max_bytes: self.max_bytes,
        }
    }

    pub fn supervisor(&self) -> SupervisorConfig {
        SupervisorConfig {
            deadline: Duration::from_millis(self.timeout_ms),
            hang_after: Duration::from_millis(self.hang_ms),
            poll: SUPERVISOR_POLL,
        }
    }
}

/// Checks every option given, fills the rest with defaults. Nothing is
/// clamped: a value out of range is an `ERR_LEAKWATCH_INVALID_OPTION`
/// naming the option.
pub fn resolve(g: &GivenOptions, ctx: &DirContext) -> Result<CaptureOptions, CaptureError> {
    let dir = match &g.dir {
        Some(d) => absolute(path_option(DIR, d)?, ctx)?,
        None => default_dir(ctx)?,
    };
    let mode = Mode::parse(g.mode.as_deref().unwrap_or(MODES[0]))?;
    // Each cast below is exact: the spec's range fits the type.
    let gzip_level = GZIP_LEVEL.required(g.gzip_level)? as u32;
    let timeout_ms = TIMEOUT_MS.required(g.timeout_ms)?;
    let max_files = MAX_FILES.given_or_default(g.max_files)?;
    let max_bytes = MAX_BYTES.given_or_default(g.max_bytes)?;
    let hang_ms = HANG_MS.required(g.hang_ms)?;
    let fork_attempts = FORK_ATTEMPTS.required(g.fork_attempts)? as u32;
    if let Some(l) = &g.label {
        if l.encode_utf16().count() > LABEL_MAX_LENGTH {
            return Err(invalid(
                LABEL,
                format!("expected a string of at most {LABEL_MAX_LENGTH} characters"),
            ));
        }
    }
    let cgroup_root = match &g.cgroup_root {
        Some(r) => Some(PathBuf::from(path_option(CGROUP_ROOT, r)?)),
        None => None,
    };
    Ok(CaptureOptions {
        dir,
        mode,
        gzip_level,
        timeout_ms,
        label: g.label.clone(),
        max_files,
        max_bytes,
        check_headroom: g.check_headroom.unwrap_or(CHECK_HEADROOM.default),
        hang_ms,
        fork_attempts,
        cgroup_root,
        redact: g.redact.unwrap_or(REDACT.default),
    })
}

/// `dir` when none is given: `$LEAKWATCH_DIR` if set and not empty, else
/// `<tmpdir>/leakwatch`; absolute.
pub fn default_dir(ctx: &DirContext) -> Result<PathBuf, CaptureError> {
    match ctx.env_dir.as_deref().filter(|d| !d.is_empty()) {
        Some(d) => absolute(path_option(DIR_ENV, d)?, ctx),
        None => absolute(Path::new(&ctx.tmpdir).join(DIR_UNDER_TMP), ctx),
    }
}

/// The signal `onSignal()` listens to: `name` (else the default) if it is one
/// of the runtime's `known` names (`os.constants.signals`) and not forbidden.
pub fn check_signal(name: Option<&str>, known: &[String]) -> Result<String, CaptureError> {
    let name = name.unwrap_or(SIGNAL_DEFAULT);
    if FORBIDDEN_SIGNALS.contains(&name) || !known.iter().any(|k| k == name) {
        return Err(invalid(
            SIGNAL,
            format!("expected a catchable signal name such as '{SIGNAL_DEFAULT}', got \"{name}\""),
        ));
    }
    Ok(name.to_string())
}

fn path_option<'a>(name: &str, p: &'a str) -> Result<&'a str, CaptureError> {
    if p.is_empty() || p.contains('\0') {
        return Err(invalid(name, "expected a non-empty path"));
    }
    Ok(p)
}

/// `p` made absolute against the cwd and normalized lexically (`.`, `..`,
/// repeated and trailing separators), as Node's `path.resolve` does.
fn absolute(p: impl AsRef<Path>, ctx: &DirContext) -> Result<PathBuf, CaptureError> {
    let p = p.as_ref();
    let joined = match (&ctx.cwd, p.is_absolute()) {
        (_, true) => p.to_path_buf(),
        (Some(cwd), false) => cwd.join(p),
        (None, false) => {
            return Err(CaptureError::new(
                ErrorKind::DirNotWritable,
                format!(
                    "{}: a relative directory needs the current directory, which cannot be read",
                    p.display()
                ),
            ))
        }
    };
    let mut out = PathBuf::from("/");
    for c in joined.components() {
        match c {
            Component::Normal(n) => out.push(n),
            Component::ParentDir => {
                out.pop();
            }
            Component::RootDir | Component::CurDir | Component::Prefix(_) => {}
        }
    }
    Ok(out)
}

#[cfg(test)]
#[path = "options_tests.rs"]
mod tests;
