//! Headroom guards: before a snapshot, estimate what it needs and refuse when
//! free disk or memory is short, instead of letting the kernel's OOM killer or a
//! full disk end it halfway.
//!
//! The estimates (calibrated by `bench/capture.js` on Node 20; see README):
//! - raw snapshot JSON is ~2x the used heap (269 MB for a 140 MB heap);
//! - gzip level 2 shrinks it ~7.6x, so the disk needs raw/4 plus 16 MiB of slack;
//! - V8 builds the whole snapshot graph in memory while serializing: on the
//!   capture benchmark (140 MB used, 3.3M objects) the peak RSS of an inline
//!   capture and of a fork child was ~1.9 GB, ~12x the used heap (a trial on
//!   0.8-1.3 GB leaking heaps saw children of 7.7-10.9 GB, 8.4-9.6x), so
//!   memory needs 12x heap used plus 64 MiB (6x, the first estimate, let a
//!   child of a 1.3 GB heap start that then needed 11 GB);
//! - a forked child also copies the heap pages its own GC touches: add the heap's
//!   committed size.

use super::error::{CaptureError, ErrorKind};
use crate::cgroup::{CgroupMemory, CgroupReader, Version};
use std::fs;
use std::io;
use std::path::Path;

const MIB: u64 = 1 << 20;

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
    let mut memory = heap.used_bytes.saturating_mul(12).saturating_add(64 * MIB);
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

/// Free bytes for an unprivileged writer on the filesystem of `dir`.
/// `ERR_LEAKWATCH_DIR_NOT_WRITABLE` for a filesystem with no blocks at all
/// (proc, sysfs): no snapshot can be stored there, whatever the free count says.
pub fn disk_free_bytes(dir: &Path) -> Result<u64, CaptureError> {
    use std::os::unix::ffi::OsStrExt;
    let stat_err = |e: &io::Error| CaptureError::from_io(&format!("statvfs {}", dir.display()), e);
    let c = std::ffi::CString::new(dir.as_os_str().as_bytes())
        .map_err(|_| stat_err(&io::Error::from(io::ErrorKind::InvalidInput)))?;
    // SAFETY: statvfs is plain data; zeroed is a valid initial value.
    let mut st: libc::statvfs = unsafe { std::mem::zeroed() };
    // SAFETY: c is a valid NUL-terminated path, st a valid out pointer.
    if unsafe { libc::statvfs(c.as_ptr(), &mut st) } != 0 {
        return Err(stat_err(&io::Error::last_os_error()));
    }
    if st.f_blocks == 0 {
        return Err(CaptureError::new(
            ErrorKind::DirNotWritable,
            format!(
                "{} is on a filesystem that stores no files (like /proc or /sys)",
                dir.display()
            ),
        ));
    }
    Ok((st.f_bavail as u64).saturating_mul(st.f_frsize as u64))
}

/// A snapshot directory as a capture needs it: created (0700) when missing,
/// a directory, on a filesystem that stores files, writable. Returns its free
/// bytes ([`disk_free_bytes`]). Each capture checks it first, and so does the
/// place snapshots are configured (the watchdog, signal handlers, the
/// router), so a wrong `dir` fails there and then, not at the first leak.
pub fn check_snapshot_dir(dir: &Path) -> Result<u64, CaptureError> {
    use std::os::unix::ffi::OsStrExt;
    super::writer::prepare_dir(dir)?;
    let free = disk_free_bytes(dir)?;
    let c = std::ffi::CString::new(dir.as_os_str().as_bytes()).map_err(|_| {
        CaptureError::new(
            ErrorKind::DirNotWritable,
            format!("{} holds a NUL byte", dir.display()),
        )
    })?;
    // SAFETY: c is a valid NUL-terminated path; access(2) only reads it.
    if unsafe { libc::access(c.as_ptr(), libc::W_OK | libc::X_OK) } != 0 {
        let e = io::Error::last_os_error();
        return Err(CaptureError::from_io(
            &format!("{} is not writable", dir.display()),
            &e,
        ));
    }
    Ok(free)
}

/// Reads this process's memory headroom: the container through the one cgroup
/// reader (`crate::cgroup`; `cgroup_root` as there), and /proc/meminfo.
pub fn read_memory_headroom(cgroup_root: Option<&Path>) -> MemoryHeadroom {
    let cgroup = CgroupReader::discover(cgroup_root).and_then(|r| r.read());
    let meminfo = fs::read_to_string("/proc/meminfo").unwrap_or_default();
    memory_headroom(cgroup, &meminfo)
}

/// The smaller of the container's headroom (limit minus working set, see
/// `crate::cgroup`) and MemAvailable from the text of /proc/meminfo.
pub fn memory_headroom(cgroup: Option<CgroupMemory>, meminfo: &str) -> MemoryHeadroom {
    let host = parse_mem_available(meminfo).unwrap_or(u64::MAX);
    let limit_bytes = cgroup.map(|c| c.limit_bytes as u64);
    match cgroup {
        Some(c) if c.headroom_bytes() < host => MemoryHeadroom {
            available_bytes: c.headroom_bytes(),
            limit_bytes,
            source: match c.version {
                Version::V1 => "cgroup1",
                Version::V2 => "cgroup2",
            },
        },
        _ => MemoryHeadroom {
            available_bytes: host,
            limit_bytes,
            source: "meminfo",
        },
    }
}

pub fn parse_mem_available(meminfo: &str) -> Option<u64> {
    let line = meminfo.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb.saturating_mul(1024))
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

    const MEMINFO: &str = "MemTotal: 100 kB\nMemAvailable:   8388608 kB\n";

    fn cg(version: Version, limit: u64, usage: u64) -> Option<CgroupMemory> {
        Some(CgroupMemory {
            version,
            limit_bytes: limit as f64,
            usage_bytes: usage as f64,
        })
    }

    #[test]
    fn meminfo_alone() {
        let h = memory_headroom(None, MEMINFO);
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
    fn the_tighter_of_cgroup_and_host() {
        let h = memory_headroom(cg(Version::V2, 1 << 30, 512 << 20), MEMINFO);
        assert_eq!(
            (h.available_bytes, h.limit_bytes, h.source),
            (512 << 20, Some(1 << 30), "cgroup2")
        );
        let h = memory_headroom(cg(Version::V1, 64 << 30, 1 << 20), MEMINFO);
        assert_eq!(
            (h.available_bytes, h.limit_bytes, h.source),
            (8 << 30, Some(64 << 30), "meminfo")
        );
    }

    /// Issue 13: 500 of 512 MiB charged, 400 MiB of it inactive page cache.
    /// A 20 MiB heap needs 184 MiB; the working set leaves 412 MiB.
    #[test]
    fn page_cache_container_takes_its_snapshot() {
        let root = std::env::temp_dir().join(format!("lw-headroom-pc-{}", std::process::id()));
        let _ = fs::remove_dir_all(&root);
        fs::create_dir_all(&root).unwrap();
        fs::write(root.join("memory.max"), format!("{}", 512 * MIB)).unwrap();
        fs::write(root.join("memory.current"), format!("{}", 500 * MIB)).unwrap();
        fs::write(
            root.join("memory.stat"),
            format!("inactive_file {}\n", 400 * MIB),
        )
        .unwrap();
        let reading = CgroupReader::discover_in(&root, "0::/\n").and_then(|r| r.read());
        let h = memory_headroom(reading, MEMINFO);
        let _ = fs::remove_dir_all(&root);
        assert_eq!((h.available_bytes, h.source), (412 * MIB, "cgroup2"));
        let heap = HeapFigures {
            used_bytes: 20 * MIB,
            total_bytes: 24 * MIB,
        };
        assert!(check(estimate_needs(heap, false), u64::MAX, &h).is_ok());
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
        assert_eq!(inline.memory_bytes, 1200 * MIB + 64 * MIB);
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

    #[test]
    fn a_pseudo_filesystem_is_not_writable() {
        let e = disk_free_bytes(Path::new("/proc/self")).unwrap_err();
        assert_eq!(e.kind, ErrorKind::DirNotWritable);
    }

    #[test]
    fn a_snapshot_dir_is_created_and_a_file_or_proc_in_its_place_is_refused() {
        let root = std::env::temp_dir().join(format!("lw-snapdir-{}", std::process::id()));
        let nested = root.join("a").join("b");
        check_snapshot_dir(&nested).unwrap();
        assert!(nested.is_dir());
        let file = root.join("file");
        fs::write(&file, "x").unwrap();
        let e = check_snapshot_dir(&file).unwrap_err();
        assert_eq!(e.code(), "ERR_LEAKWATCH_DIR_NOT_WRITABLE");
        let e = check_snapshot_dir(&file.join("under")).unwrap_err();
        assert_eq!(e.code(), "ERR_LEAKWATCH_DIR_NOT_WRITABLE");
        let e = check_snapshot_dir(Path::new("/proc/self")).unwrap_err();
        assert_eq!(e.code(), "ERR_LEAKWATCH_DIR_NOT_WRITABLE");
        fs::remove_dir_all(&root).unwrap();
    }
}
