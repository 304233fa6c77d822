//! The one reader of the container memory limit, shared by the snapshot
//! headroom guard (`capture::headroom`) and the watchdog sampler
//! (`watch::sampler`). It is a core of its own because both use it and neither
//! owns it; `watch::cgroup` re-exports it so the watchdog's imports stay put.
//!
//! One rule, as the kubelet counts it for eviction:
//! - the process's cgroup comes from /proc/self/cgroup; v2 (`memory.max`,
//!   `memory.current`) is tried first, then v1 (`memory.limit_in_bytes`,
//!   `memory.usage_in_bytes` under `<root>/memory`);
//! - usage is the working set: usage minus `inactive_file` (v1:
//!   `total_inactive_file`) from `memory.stat`, because the kernel reclaims
//!   inactive page cache before it OOM-kills;
//! - every level from the process's cgroup up to the mount root is read, since
//!   a pod limit usually sits on a parent; the level with the least headroom
//!   (limit minus working set) wins;
//! - `max`, or any value at or above [`UNLIMITED_FROM`] (v1 writes ~2^63), is
//!   "no limit at this level";
//! - the mount root is the `cgroupRoot` option when given, else
//!   `LEAKWATCH_CGROUP_ROOT`, else /sys/fs/cgroup.
//!
//! A test in this module fails if any other source file reads
//! /proc/self/cgroup: a second reader is how the two rules drifted apart.

use std::fs;
use std::path::{Path, PathBuf};

pub const ROOT_ENV: &str = "LEAKWATCH_CGROUP_ROOT";
pub const DEFAULT_ROOT: &str = "/sys/fs/cgroup";
/// Limits at or above 4 EiB mean "unlimited" (v1 reports 9223372036854771712).
pub const UNLIMITED_FROM: u64 = 1 << 62;
const PROC_SELF_CGROUP: &str = "/proc/self/cgroup";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    V1,
    V2,
}

/// One level's reading. Bytes as f64 because they go to JS as numbers
/// (exact below 2^53, i.e. 8 PiB).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CgroupMemory {
    pub version: Version,
    pub limit_bytes: f64,
    /// Working set: usage minus inactive file cache.
    pub usage_bytes: f64,
}

impl CgroupMemory {
    /// Limit minus working set, never negative.
    pub fn headroom_bytes(&self) -> u64 {
        (self.limit_bytes - self.usage_bytes).max(0.0) as u64
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct CgroupReader {
    version: Version,
    /// The process's cgroup first, then its ancestors up to the mount root.
    dirs: Vec<PathBuf>,
}

/// The mount root: `explicit` if given, else `LEAKWATCH_CGROUP_ROOT`, else
/// /sys/fs/cgroup.
pub fn root(explicit: Option<&Path>) -> PathBuf {
    match explicit {
        Some(r) => r.to_path_buf(),
        None => std::env::var_os(ROOT_ENV)
            .filter(|v| !v.is_empty())
            .map_or_else(|| PathBuf::from(DEFAULT_ROOT), PathBuf::from),
    }
}

impl CgroupReader {
    /// Finds the memory controller under [`root`]`(explicit)` for this
    /// process. `None` when there is none.
    pub fn discover(explicit: Option<&Path>) -> Option<Self> {
        let own = fs::read_to_string(PROC_SELF_CGROUP).unwrap_or_default();
        Self::discover_in(&root(explicit), &own)
    }

    /// Same as [`discover`](Self::discover) with the mount root and the text
    /// of /proc/self/cgroup given.
    pub fn discover_in(root: &Path, proc_self_cgroup: &str) -> Option<Self> {
        let (v1_path, v2_path) = own_paths(proc_self_cgroup);
        Self::resolve(Version::V2, root, v2_path.unwrap_or("/"))
            .or_else(|| Self::resolve(Version::V1, &root.join("memory"), v1_path.unwrap_or("/")))
    }

    /// Inside a container /proc/self/cgroup may name a host path that is not
    /// under the container's mount: leading components are dropped until the
    /// path exists, ending at the mount root itself.
    fn resolve(version: Version, base: &Path, path: &str) -> Option<Self> {
        let comps: Vec<&str> = path
            .split('/')
            .filter(|c| !c.is_empty() && *c != "..")
            .collect();
        let under = |rel: &[&str]| rel.iter().fold(base.to_path_buf(), |p, c| p.join(c));
        (0..=comps.len()).find_map(|skip| {
            let rel = comps.get(skip..)?;
            if !under(rel).join(files(version).limit).is_file() {
                return None;
            }
            let dirs = (0..=rel.len())
                .rev()
                .filter_map(|keep| rel.get(..keep).map(under))
                .collect();
            Some(CgroupReader { version, dirs })
        })
    }

    pub fn version(&self) -> Version {
        self.version
    }

    /// The process's own cgroup directory.
    pub fn leaf(&self) -> &Path {
        self.dirs.first().map_or(Path::new(DEFAULT_ROOT), |d| d)
    }

    /// The level with the least headroom, or `None` when no level has a limit.
    pub fn read(&self) -> Option<CgroupMemory> {
        self.dirs
            .iter()
            .filter_map(|dir| {
                Some(CgroupMemory {
                    version: self.version,
                    limit_bytes: self.read_limit(dir)?,
                    usage_bytes: self.read_working_set(dir)?,
                })
            })
            .min_by(|a, b| {
                (a.limit_bytes - a.usage_bytes).total_cmp(&(b.limit_bytes - b.usage_bytes))
            })
    }

    fn read_limit(&self, dir: &Path) -> Option<f64> {
        // "max" does not parse, which is exactly "no limit here".
        let v = read_u64(&dir.join(files(self.version).limit))?;
        (v < UNLIMITED_FROM).then_some(v as f64)
    }

    fn read_working_set(&self, dir: &Path) -> Option<f64> {
        let f = files(self.version);
        let usage = read_u64(&dir.join(f.usage))?;
        let inactive = fs::read_to_string(dir.join("memory.stat"))
            .ok()
            .and_then(|stat| stat_value(&stat, f.inactive_file))
            .unwrap_or(0);
        Some(usage.saturating_sub(inactive) as f64)
    }
}

/// (v1 memory path, v2 unified path) from the text of /proc/self/cgroup.
fn own_paths(proc_self_cgroup: &str) -> (Option<&str>, Option<&str>) {
    let (mut v1, mut v2) = (None, None);
    for line in proc_self_cgroup.lines() {
        let mut parts = line.splitn(3, ':');
        let (Some(id), Some(controllers), Some(path)) = (parts.next(), parts.next(), parts.next())
        else {
            continue;
        };
        if id == "0" && controllers.is_empty() {
            v2 = Some(path);
        } else if controllers.split(',').any(|c| c == "memory") {
            v1 = Some(path);
        }
    }
    (v1, v2)
}

struct Files {
    limit: &'static str,
    usage: &'static str,
    inactive_file: &'static str,
}

fn files(version: Version) -> Files {
    match version {
        Version::V1 => Files {
            limit: "memory.limit_in_bytes",
            usage: "memory.usage_in_bytes",
            inactive_file: "total_inactive_file",
        },
        Version::V2 => Files {
            limit: "memory.max",
            usage: "memory.current",
            inactive_file: "inactive_file",
        },
    }
}

fn read_u64(path: &Path) -> Option<u64> {
    fs::read_to_string(path).ok()?.trim().parse().ok()
}

fn stat_value(stat: &str, key: &str) -> Option<u64> {
    stat.lines().find_map(|l| {
        let mut it = l.split_whitespace();
        (it.next() == Some(key))
            .then(|| it.next()?.parse().ok())
            .flatten()
    })
}

#[cfg(test)]
mod tests;
