//! The container memory limit, read from the cgroup filesystem: v2
//! `memory.max`/`memory.current`, v1 `memory.limit_in_bytes`/`usage_in_bytes`.
//! The process's own cgroup comes from /proc/self/cgroup; the whole hierarchy
//! from there up to the mount is checked, because the limit is often set on
//! a parent (a pod) and not on the leaf. Usage is the working set (usage minus
//! inactive file cache), as the kernel reclaims that cache before it OOM-kills.

use std::fs;
use std::path::{Path, PathBuf};

pub const ROOT_ENV: &str = "LEAKWATCH_CGROUP_ROOT";
pub const DEFAULT_ROOT: &str = "/sys/fs/cgroup";
/// v1 reports "no limit" as a huge page-rounded number.
const V1_UNLIMITED: f64 = (1u64 << 60) as f64;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    V1,
    V2,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CgroupMemory {
    pub version: Version,
    pub limit_bytes: f64,
    /// Working set: usage minus inactive file cache.
    pub usage_bytes: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CgroupReader {
    version: Version,
    /// The process's cgroup first, then its ancestors up to the mount root.
    dirs: Vec<PathBuf>,
}

impl CgroupReader {
    /// `root`: the option if given, else `LEAKWATCH_CGROUP_ROOT`, else
    /// /sys/fs/cgroup. `None` when no memory controller is found.
    pub fn discover(root: Option<&Path>) -> Option<Self> {
        let root = match root {
            Some(r) => r.to_path_buf(),
            None => std::env::var_os(ROOT_ENV)
                .filter(|v| !v.is_empty())
                .map_or_else(|| PathBuf::from(DEFAULT_ROOT), PathBuf::from),
        };
        let own = fs::read_to_string("/proc/self/cgroup").unwrap_or_default();
        Self::discover_in(&root, &own)
    }

    pub fn discover_in(root: &Path, proc_self_cgroup: &str) -> Option<Self> {
        let mut v1_path = None;
        let mut v2_path = None;
        for line in proc_self_cgroup.lines() {
            let mut parts = line.splitn(3, ':');
            let (Some(id), Some(controllers), Some(path)) =
                (parts.next(), parts.next(), parts.next())
            else {
                continue;
            };
            if id == "0" && controllers.is_empty() {
                v2_path = Some(path);
            } else if controllers.split(',').any(|c| c == "memory") {
                v1_path = Some(path);
            }
        }
        let v1_base = root.join("memory");
        if v1_base.is_dir() {
            if let Some(r) = Self::resolve(Version::V1, &v1_base, v1_path.unwrap_or("/")) {
                return Some(r);
            }
        }
        Self::resolve(Version::V2, root, v2_path.unwrap_or("/"))
    }

    /// Inside a container /proc/self/cgroup may name a host path that is not
    /// under the container's mount: leading components are dropped until the
    /// path exists, ending at the mount root itself.
    fn resolve(version: Version, base: &Path, path: &str) -> Option<Self> {
        let comps: Vec<&str> = path
            .split('/')
            .filter(|c| !c.is_empty() && *c != "..")
            .collect();
        let limit_file = limit_file(version);
        for skip in 0..=comps.len() {
            let rel = &comps[skip..];
            let leaf = rel.iter().fold(base.to_path_buf(), |p, c| p.join(c));
            if !leaf.join(limit_file).is_file() {
                continue;
            }
            let mut dirs = Vec::with_capacity(rel.len() + 1);
            for keep in (0..=rel.len()).rev() {
                dirs.push(
                    rel[..keep]
                        .iter()
                        .fold(base.to_path_buf(), |p, c| p.join(c)),
                );
            }
            return Some(CgroupReader { version, dirs });
        }
        None
    }

    pub fn version(&self) -> Version {
        self.version
    }

    pub fn leaf(&self) -> &Path {
        &self.dirs[0]
    }

    /// The level with the least headroom, or `None` when no level has a limit.
    pub fn read(&self) -> Option<CgroupMemory> {
        let mut best: Option<CgroupMemory> = None;
        for dir in &self.dirs {
            let Some(limit) = self.read_limit(dir) else {
                continue;
            };
            let Some(usage) = self.read_usage(dir) else {
                continue;
            };
            let m = CgroupMemory {
                version: self.version,
                limit_bytes: limit,
                usage_bytes: usage,
            };
            if best.is_none_or(|b| m.limit_bytes - m.usage_bytes < b.limit_bytes - b.usage_bytes) {
                best = Some(m);
            }
        }
        best
    }

    fn read_limit(&self, dir: &Path) -> Option<f64> {
        let raw = fs::read_to_string(dir.join(limit_file(self.version))).ok()?;
        let raw = raw.trim();
        if raw == "max" {
            return None;
        }
        let v: f64 = raw.parse::<u64>().ok()? as f64;
        (v < V1_UNLIMITED).then_some(v)
    }

    fn read_usage(&self, dir: &Path) -> Option<f64> {
        let (usage_file, inactive_key) = match self.version {
            Version::V1 => ("memory.usage_in_bytes", "total_inactive_file"),
            Version::V2 => ("memory.current", "inactive_file"),
        };
        let usage = fs::read_to_string(dir.join(usage_file))
            .ok()?
            .trim()
            .parse::<u64>()
            .ok()? as f64;
        let inactive = fs::read_to_string(dir.join("memory.stat"))
            .ok()
            .and_then(|stat| stat_value(&stat, inactive_key))
            .unwrap_or(0.0);
        Some((usage - inactive).max(0.0))
    }
}

fn limit_file(version: Version) -> &'static str {
    match version {
        Version::V1 => "memory.limit_in_bytes",
        Version::V2 => "memory.max",
    }
}

fn stat_value(stat: &str, key: &str) -> Option<f64> {
    stat.lines().find_map(|l| {
        let mut it = l.split_whitespace();
        (it.next() == Some(key))
            .then(|| it.next()?.parse::<u64>().ok())
            .flatten()
            .map(|v| v as f64)
    })
}

#[cfg(test)]
#[path = "cgroup_tests.rs"]
mod tests;
