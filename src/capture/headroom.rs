//! Headroom guards: before a snapshot, estimate what it needs and refuse when
//! free disk or memory is short, instead of letting the kernel's OOM killer or a
//! full disk end it halfway.
//!
//! The estimates (calibrated by `bench/capture.js` on Node 20; see README):
//! - raw snapshot JSON is ~2x the used heap (269 MB for a 140 MB heap);
//! - gzip level 2 shrinks it ~7.6x, so the disk needs raw/4 plus 16 MiB of slack;
//! - V8 builds the whole snapshot graph in memory while serializing: peak RSS
//!   grew by ~6x the used heap, so memory needs 6x heap used plus 64 MiB;
//! - a forked child also copies the heap pages its own GC touches: add the heap's
//!   committed size.

use super::error::{CaptureError, ErrorKind};
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

const MIB: u64 = 1 << 20;
/// cgroup v1 reports "no limit" as a huge page-aligned number near i64::MAX.
const CGROUP_V1_UNLIMITED: u64 = 1 << 62;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeapFigures {
    pub used_bytes: u64,
    pub total_bytes: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Needs {
    pub disk_bytes: u64,
    pub memory_bytes: u64,
}

pub fn estimate_needs(heap: HeapFigures, forked: bool) -> Needs {
    let raw = heap.used_bytes.saturating_mul(2);
    let mut memory = heap.used_bytes.saturating_mul(6).saturating_add(64 * MIB);
    if forked {
        memory = memory.saturating_add(heap.total_bytes);
    }
    Needs {
        disk_bytes: raw / 4 + 16 * MIB,
        memory_bytes: memory,
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemoryHeadroom {
    pub available_bytes: u64,
    /// The container limit, where one applies.
    pub limit_bytes: Option<u64>,
    pub source: &'static str,
}

/// Where to read memory figures from; tests point these at fake trees.
#[derive(Debug, Clone)]
pub struct SystemPaths {
    pub cgroup_root: PathBuf,
    pub proc_root: PathBuf,
}

impl Default for SystemPaths {
    fn default() -> Self {
        SystemPaths {
            cgroup_root: PathBuf::from("/sys/fs/cgroup"),
            proc_root: PathBuf::from("/proc"),
        }
    }
}

pub fn disk_free_bytes(dir: &Path) -> io::Result<u64> {
    use std::os::unix::ffi::OsStrExt;
    let c = std::ffi::CString::new(dir.as_os_str().as_bytes())
        .map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
    // SAFETY: statvfs is plain data; zeroed is a valid initial value.
    let mut st: libc::statvfs = unsafe { std::mem::zeroed() };
    // SAFETY: c is a valid NUL-terminated path, st a valid out pointer.
    if unsafe { libc::statvfs(c.as_ptr(), &mut st) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok((st.f_bavail as u64).saturating_mul(st.f_frsize as u64))
}

/// The smaller of the container's remaining memory (cgroup v2, else v1, walking
/// up the hierarchy because an ancestor's limit applies too) and MemAvailable.
pub fn memory_headroom(paths: &SystemPaths) -> MemoryHeadroom {
    let meminfo = fs::read_to_string(paths.proc_root.join("meminfo")).unwrap_or_default();
    let host = parse_mem_available(&meminfo).unwrap_or(u64::MAX);
    let own = fs::read_to_string(paths.proc_root.join("self/cgroup")).unwrap_or_default();
    let cgroup = cgroup_v2_headroom(&paths.cgroup_root, &own)
        .map(|h| (h, "cgroup2"))
        .or_else(|| cgroup_v1_headroom(&paths.cgroup_root, &own).map(|h| (h, "cgroup1")));
    match cgroup {
        Some(((free, limit), source)) if free < host => MemoryHeadroom {
            available_bytes: free,
            limit_bytes: Some(limit),
            source,
        },
        Some(((_, limit), _)) => MemoryHeadroom {
            available_bytes: host,
            limit_bytes: Some(limit),
            source: "meminfo",
        },
        None => MemoryHeadroom {
            available_bytes: host,
            limit_bytes: None,
            source: "meminfo",
        },
    }
}

pub fn parse_mem_available(meminfo: &str) -> Option<u64> {
    let line = meminfo.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb.saturating_mul(1024))
}

/// The cgroup path for a controller from /proc/self/cgroup (`""` selects the
/// v2 unified line `0::/path`).
pub fn cgroup_path<'a>(proc_self_cgroup: &'a str, controller: &str) -> Option<&'a str> {
    proc_self_cgroup.lines().find_map(|line| {
        let mut parts = line.splitn(3, ':');
        let (_, ctrls, path) = (parts.next()?, parts.next()?, parts.next()?);
        let hit = if controller.is_empty() {
            ctrls.is_empty()
        } else {
            ctrls.split(',').any(|c| c == controller)
        };
        hit.then_some(path)
    })
}

fn read_u64(path: &Path) -> Option<u64> {
    fs::read_to_string(path).ok()?.trim().parse().ok()
}

/// (free, limit) of the tightest limited ancestor, walking from `leaf` to `top`.
fn tightest(
    top: &Path,
    leaf: &Path,
    limit_file: &str,
    usage_file: &str,
    unlimited: u64,
) -> Option<(u64, u64)> {
    let mut best: Option<(u64, u64)> = None;
    let mut dir = Some(leaf);
    while let Some(d) = dir {
        if let (Some(limit), Some(usage)) =
            (read_u64(&d.join(limit_file)), read_u64(&d.join(usage_file)))
        {
            if limit < unlimited {
                let free = limit.saturating_sub(usage);
                if best.is_none_or(|(f, _)| free < f) {
                    best = Some((free, limit));
                }
            }
        }
        if d == top {
            break;
        }
        dir = d.parent().filter(|p| p.starts_with(top));
    }
    best
}

fn cgroup_v2_headroom(root: &Path, own: &str) -> Option<(u64, u64)> {
    let rel = cgroup_path(own, "")?.trim_start_matches('/');
    let leaf = root.join(rel);
    // "max" does not parse as a number, which is exactly "no limit here".
    tightest(root, &leaf, "memory.max", "memory.current", u64::MAX)
}

fn cgroup_v1_headroom(root: &Path, own: &str) -> Option<(u64, u64)> {
    let top = root.join("memory");
    let rel = cgroup_path(own, "memory")?.trim_start_matches('/');
    let leaf = top.join(rel);
    // Inside a cgroup namespace the mount root is the process's own cgroup.
    let leaf = if leaf.exists() { leaf } else { top.clone() };
    tightest(
        &top,
        &leaf,
        "memory.limit_in_bytes",
        "memory.usage_in_bytes",
        CGROUP_V1_UNLIMITED,
    )
}

pub fn check(needs: Needs, disk_free: u64, memory: &MemoryHeadroom) -> Result<(), CaptureError> {
    if disk_free < needs.disk_bytes {
        return Err(CaptureError::new(
            ErrorKind::NoDiskHeadroom,
            format!(
                "the snapshot needs about {} MiB of disk and {} MiB are free",
                needs.disk_bytes / MIB,
                disk_free / MIB
            ),
        ));
    }
    if memory.available_bytes < needs.memory_bytes {
        return Err(CaptureError::new(
            ErrorKind::NoMemoryHeadroom,
            format!(
                "the snapshot needs about {} MiB of memory and {} MiB are available ({})",
                needs.memory_bytes / MIB,
                memory.available_bytes / MIB,
                memory.source
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fake_tree(tag: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("lw-headroom-{tag}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&d);
        fs::create_dir_all(d.join("proc/self")).unwrap();
        fs::write(
            d.join("proc/meminfo"),
            "MemTotal: 100 kB\nMemAvailable:   8388608 kB\n",
        )
        .unwrap();
        d
    }

    fn paths(d: &Path) -> SystemPaths {
        SystemPaths {
            cgroup_root: d.join("cg"),
            proc_root: d.join("proc"),
        }
    }

    #[test]
    fn meminfo_alone() {
        let d = fake_tree("host");
        let h = memory_headroom(&paths(&d));
        assert_eq!(
            h,
            MemoryHeadroom {
                available_bytes: 8 << 30,
                limit_bytes: None,
                source: "meminfo"
            }
        );
    }

    #[test]
    fn cgroup_v2_limit_and_ancestors() {
        let d = fake_tree("v2");
        fs::write(d.join("proc/self/cgroup"), "0::/kube/pod1\n").unwrap();
        let leaf = d.join("cg/kube/pod1");
        fs::create_dir_all(&leaf).unwrap();
        fs::write(leaf.join("memory.max"), "max\n").unwrap();
        fs::write(leaf.join("memory.current"), "100\n").unwrap();
        fs::write(d.join("cg/kube/memory.max"), "1073741824\n").unwrap();
        fs::write(d.join("cg/kube/memory.current"), "536870912\n").unwrap();
        let h = memory_headroom(&paths(&d));
        assert_eq!(h.available_bytes, 512 << 20);
        assert_eq!(h.limit_bytes, Some(1 << 30));
        assert_eq!(h.source, "cgroup2");
    }

    #[test]
    fn cgroup_v1_limit_and_unlimited() {
        let d = fake_tree("v1");
        fs::write(d.join("proc/self/cgroup"), "4:memory:/docker/abc\n0::/\n").unwrap();
        let leaf = d.join("cg/memory/docker/abc");
        fs::create_dir_all(&leaf).unwrap();
        fs::write(leaf.join("memory.limit_in_bytes"), "9223372036854771712\n").unwrap();
        fs::write(leaf.join("memory.usage_in_bytes"), "5\n").unwrap();
        assert_eq!(memory_headroom(&paths(&d)).limit_bytes, None);
        fs::write(leaf.join("memory.limit_in_bytes"), "2097152\n").unwrap();
        fs::write(leaf.join("memory.usage_in_bytes"), "1048576\n").unwrap();
        let h = memory_headroom(&paths(&d));
        assert_eq!(
            (h.available_bytes, h.limit_bytes, h.source),
            (1 << 20, Some(2 << 20), "cgroup1")
        );
    }

    #[test]
    fn estimates_and_guard() {
        let heap = HeapFigures {
            used_bytes: 100 * MIB,
            total_bytes: 120 * MIB,
        };
        let inline = estimate_needs(heap, false);
        let fork = estimate_needs(heap, true);
        assert_eq!(inline.disk_bytes, 66 * MIB);
        assert_eq!(fork.memory_bytes, inline.memory_bytes + 120 * MIB);
        let plenty = MemoryHeadroom {
            available_bytes: u64::MAX,
            limit_bytes: None,
            source: "meminfo",
        };
        assert!(check(inline, u64::MAX, &plenty).is_ok());
        assert_eq!(
            check(inline, MIB, &plenty).unwrap_err().kind,
            ErrorKind::NoDiskHeadroom
        );
        let tight = MemoryHeadroom {
            available_bytes: MIB,
            limit_bytes: Some(MIB),
            source: "cgroup2",
        };
        assert_eq!(
            check(inline, u64::MAX, &tight).unwrap_err().kind,
            ErrorKind::NoMemoryHeadroom
        );
    }

    #[test]
    fn disk_free_of_tmp_is_positive() {
        assert!(disk_free_bytes(&std::env::temp_dir()).unwrap() > 0);
    }
}
