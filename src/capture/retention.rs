//! Retention for the snapshot directory: keeps at most `max_files` snapshots and
//! `max_bytes` in total, newest first. Only names `naming` produces are ever
//! considered, so a user's own files in the same directory are never touched.

use super::naming::{is_snapshot_file_name, temp_file_pid};
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotFile {
    pub name: String,
    pub bytes: u64,
    pub modified: SystemTime,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RetentionPolicy {
    pub max_files: Option<u64>,
    pub max_bytes: Option<u64>,
}

/// Names to delete, oldest first. The newest file is always kept, even when it
/// alone exceeds `max_bytes`: deleting the snapshot just taken helps nobody.
pub fn plan(files: &[SnapshotFile], policy: RetentionPolicy) -> Vec<String> {
    let mut sorted: Vec<&SnapshotFile> = files.iter().collect();
    // Newest first; the name breaks ties because it embeds time and sequence.
    sorted.sort_by(|a, b| {
        b.modified
            .cmp(&a.modified)
            .then_with(|| b.name.cmp(&a.name))
    });
    let mut kept_bytes = 0u64;
    let mut doomed = Vec::new();
    for (i, f) in sorted.iter().enumerate() {
        let over_count = policy.max_files.is_some_and(|m| i as u64 >= m.max(1));
        let over_bytes = i > 0 && policy.max_bytes.is_some_and(|m| kept_bytes + f.bytes > m);
        if over_count || over_bytes {
            doomed.push(f.name.clone());
        } else {
            kept_bytes += f.bytes;
        }
    }
    doomed.reverse();
    doomed
}

pub fn list_snapshot_files(dir: &Path) -> io::Result<Vec<SnapshotFile>> {
    let mut out = Vec::new();
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if !is_snapshot_file_name(&name) {
            continue;
        }
        let meta = entry.metadata()?;
        if !meta.is_file() {
            continue;
        }
        out.push(SnapshotFile {
            name,
            bytes: meta.len(),
            modified: meta.modified().unwrap_or(SystemTime::UNIX_EPOCH),
        });
    }
    Ok(out)
}

/// Applies the policy and returns the paths it deleted.
pub fn enforce(dir: &Path, policy: RetentionPolicy) -> io::Result<Vec<PathBuf>> {
    if policy.max_files.is_none() && policy.max_bytes.is_none() {
        return Ok(Vec::new());
    }
    let files = list_snapshot_files(dir)?;
    let mut deleted = Vec::new();
    for name in plan(&files, policy) {
        let path = dir.join(name);
        if fs::remove_file(&path).is_ok() {
            deleted.push(path);
        }
    }
    Ok(deleted)
}

/// Removes temporary files left by leakwatch writers that died mid-write (their
/// pid no longer exists). Files of live writers are left alone.
pub fn remove_orphan_temp_files(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut removed = Vec::new();
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(pid) = temp_file_pid(&name) else {
            continue;
        };
        if !process_exists(pid) && fs::remove_file(entry.path()).is_ok() {
            removed.push(entry.path());
        }
    }
    removed
}

fn process_exists(pid: u32) -> bool {
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return false;
    };
    // SAFETY: signal 0 only checks for existence and permission.
    let r = unsafe { libc::kill(pid, 0) };
    r == 0 || io::Error::last_os_error().raw_os_error() != Some(libc::ESRCH)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::naming::{snapshot_file_name, temp_file_name};
    use std::time::{Duration, UNIX_EPOCH};

    fn file(seq: u64, bytes: u64) -> SnapshotFile {
        let t = UNIX_EPOCH + Duration::from_secs(1_000 + seq);
        SnapshotFile {
            name: snapshot_file_name("h", 1, t, seq, None),
            bytes,
            modified: t,
        }
    }

    #[test]
    fn keeps_newest_by_count() {
        let files = vec![file(3, 1), file(1, 1), file(2, 1), file(4, 1)];
        let doomed = plan(
            &files,
            RetentionPolicy {
                max_files: Some(2),
                max_bytes: None,
            },
        );
        assert_eq!(doomed, vec![file(1, 1).name, file(2, 1).name]);
    }

    #[test]
    fn keeps_newest_by_bytes_and_always_the_newest() {
        let files = vec![file(1, 10), file(2, 10), file(3, 10)];
        let doomed = plan(
            &files,
            RetentionPolicy {
                max_files: None,
                max_bytes: Some(25),
            },
        );
        assert_eq!(doomed, vec![file(1, 10).name]);
        let big = vec![file(1, 10), file(2, 100)];
        let doomed = plan(
            &big,
            RetentionPolicy {
                max_files: None,
                max_bytes: Some(50),
            },
        );
        assert_eq!(doomed, vec![file(1, 10).name]);
    }

    #[test]
    fn no_policy_deletes_nothing() {
        assert!(plan(&[file(1, 1), file(2, 1)], RetentionPolicy::default()).is_empty());
    }

    #[test]
    fn enforce_only_touches_own_files() {
        let dir = std::env::temp_dir().join(format!("lw-ret-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        for seq in 1..=3 {
            fs::write(dir.join(file(seq, 1).name), b"x").unwrap();
            std::thread::sleep(Duration::from_millis(15));
        }
        fs::write(dir.join("user.heapsnapshot.gz"), b"mine").unwrap();
        let deleted = enforce(
            &dir,
            RetentionPolicy {
                max_files: Some(1),
                max_bytes: None,
            },
        )
        .unwrap();
        assert_eq!(deleted.len(), 2);
        let mut left: Vec<String> = fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        assert_eq!(
            left,
            vec![file(3, 1).name, "user.heapsnapshot.gz".to_string()]
        );
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn orphan_temp_files_of_dead_writers_are_removed() {
        let dir = std::env::temp_dir().join(format!("lw-orphan-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        let name = file(1, 1).name;
        // pid_max is at most 2^22, so this pid cannot exist.
        let dead = temp_file_name(&name, 99_999_999);
        let live = temp_file_name(&name, std::process::id());
        fs::write(dir.join(&dead), b"x").unwrap();
        fs::write(dir.join(&live), b"x").unwrap();
        let removed = remove_orphan_temp_files(&dir);
        assert_eq!(removed, vec![dir.join(&dead)]);
        assert!(dir.join(&live).exists());
        fs::remove_dir_all(&dir).unwrap();
    }
}
