//! Retention for the snapshot directory: keeps at most `max_files` snapshots and
//! `max_bytes` in total, newest first. Only names `naming` produces are ever
//! considered, so a user's own files in the same directory are never touched.

use super::naming::{is_snapshot_file_name, temp_file_pid};
use super::templock::{owner, Owner};
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

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
    plan_around(files, policy, Leftovers::default())
}

/// Files retention cannot delete but must count: temporary files of writers
/// still at work, which take their share of the disk like any snapshot.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Leftovers {
    pub files: u64,
    pub bytes: u64,
}

/// `plan`, with `left` already taking part of the budget.
pub fn plan_around(
    files: &[SnapshotFile],
    policy: RetentionPolicy,
    left: Leftovers,
) -> Vec<String> {
    let mut sorted: Vec<&SnapshotFile> = files.iter().collect();
    // Newest first; the name breaks ties because it embeds time and sequence.
    sorted.sort_by(|a, b| {
        b.modified
            .cmp(&a.modified)
            .then_with(|| b.name.cmp(&a.name))
    });
    let mut kept_bytes = left.bytes;
    let mut doomed = Vec::new();
    for (i, f) in sorted.iter().enumerate() {
        let kept_files = i as u64 - doomed.len() as u64 + left.files;
        let over_count = i > 0 && policy.max_files.is_some_and(|m| kept_files >= m.max(1));
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
    remove_orphan_temp_files(dir);
    let (n, bytes) = temp_usage(dir);
    let left = Leftovers { files: n, bytes };
    let mut deleted = Vec::new();
    for name in plan_around(&files, policy, left) {
        let path = dir.join(name);
        if fs::remove_file(&path).is_ok() {
            deleted.push(path);
        }
    }
    Ok(deleted)
}

/// Removes temporary files left by leakwatch writers that died mid-write, and
/// returns their paths. A writer holds a lock on its file for the whole write
/// (see `templock`), so a file nobody holds is a leftover whatever pid its
/// name carries. Where the file system does not answer lock requests, a file
/// is removed only if its pid is gone here and it has not changed for
/// `UNLOCKED_STALE_AFTER` (a writer keeps writing until it is done or killed).
pub fn remove_orphan_temp_files(dir: &Path) -> Vec<PathBuf> {
    let mut removed = Vec::new();
    for (path, pid) in temp_files(dir) {
        let orphan = match owner(&path) {
            Owner::Writer | Owner::Gone => false,
            // The lock is held until after the unlink: no writer can adopt it.
            Owner::Nobody(_lock) => fs::remove_file(&path).is_ok(),
            Owner::Unknown => {
                !process_exists(pid)
                    && unchanged_for(&path, UNLOCKED_STALE_AFTER)
                    && fs::remove_file(&path).is_ok()
            }
        };
        if orphan {
            removed.push(path);
        }
    }
    removed
}

/// Longer than the default fork `timeoutMs` (300 s), after which a writer has
/// either finished or been killed.
const UNLOCKED_STALE_AFTER: Duration = Duration::from_secs(600);

/// leakwatch's temporary files in `dir`, with the pid their name carries.
fn temp_files(dir: &Path) -> Vec<(PathBuf, u32)> {
    let Ok(entries) = fs::read_dir(dir) else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|e| {
            let pid = temp_file_pid(&e.file_name().to_string_lossy())?;
            Some((e.path(), pid))
        })
        .collect()
}

fn unchanged_for(path: &Path, age: Duration) -> bool {
    fs::symlink_metadata(path)
        .and_then(|m| m.modified())
        .is_ok_and(|t| t.elapsed().is_ok_and(|e| e >= age))
}

/// Bytes and count of the temporary files still in `dir` after the sweep
/// (live writers' files): retention counts them, as the disk does.
fn temp_usage(dir: &Path) -> (u64, u64) {
    temp_files(dir)
        .iter()
        .filter_map(|(p, _)| fs::symlink_metadata(p).ok())
        .filter(|m| m.is_file())
        .fold((0, 0), |(n, b), m| (n + 1, b + m.len()))
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
    use crate::capture::templock::create_locked;
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

    fn temp_dir(tag: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("lw-{tag}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn orphan_temp_files_are_told_by_the_lock_not_the_pid() {
        let dir = temp_dir("orphan");
        let name = file(1, 1).name;
        // pid_max is at most 2^22, so this pid cannot exist.
        let dead = temp_file_name(&name, 99_999_999);
        // What a container restart leaves: the dead writer had the pid that a
        // live process (here: this one) has now.
        let reused = temp_file_name(&file(2, 1).name, std::process::id());
        let live = temp_file_name(&file(3, 1).name, 99_999_998);
        fs::write(dir.join(&dead), b"x").unwrap();
        fs::write(dir.join(&reused), b"cut").unwrap();
        let writer = create_locked(&dir.join(&live)).unwrap();
        let mut removed = remove_orphan_temp_files(&dir);
        removed.sort();
        let mut expected = vec![dir.join(&dead), dir.join(&reused)];
        expected.sort();
        assert_eq!(removed, expected);
        assert!(dir.join(&live).exists());
        drop(writer);
        assert_eq!(remove_orphan_temp_files(&dir), vec![dir.join(&live)]);
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn live_temp_files_count_against_the_budget() {
        let files = vec![file(1, 10), file(2, 10), file(3, 10)];
        let by_count = RetentionPolicy {
            max_files: Some(3),
            max_bytes: None,
        };
        let one_left = Leftovers {
            files: 1,
            bytes: 50,
        };
        assert_eq!(
            plan_around(&files, by_count, one_left),
            vec![file(1, 10).name]
        );
        let by_bytes = RetentionPolicy {
            max_files: None,
            max_bytes: Some(70),
        };
        assert_eq!(
            plan_around(&files, by_bytes, one_left),
            vec![file(1, 10).name]
        );
        // The newest is kept even when leftovers alone fill the budget.
        let full = Leftovers {
            files: 9,
            bytes: 900,
        };
        assert_eq!(
            plan_around(&files, by_bytes, full),
            vec![file(1, 10).name, file(2, 10).name]
        );
    }

    #[test]
    fn enforce_counts_a_live_writers_temp_file() {
        let dir = temp_dir("ret-live");
        for seq in 1..=2 {
            fs::write(dir.join(file(seq, 1).name), b"x").unwrap();
            std::thread::sleep(Duration::from_millis(15));
        }
        let live = dir.join(temp_file_name(&file(3, 1).name, 99_999_997));
        let writer = create_locked(&live).unwrap();
        let policy = RetentionPolicy {
            max_files: Some(2),
            max_bytes: None,
        };
        let deleted = enforce(&dir, policy).unwrap();
        assert_eq!(deleted, vec![dir.join(file(1, 1).name)]);
        assert!(live.exists());
        drop(writer);
        fs::remove_dir_all(&dir).unwrap();
    }
}
