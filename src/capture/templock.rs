//! Who owns a temporary snapshot file: its writer holds an exclusive advisory
//! lock (`flock`) on it for the whole write. The kernel drops the lock when the
//! last descriptor of the writer (and of its forked child) closes, however the
//! process ended, so "no lock" means "no writer" in any pid namespace. The pid
//! in the file name cannot say that: after a container restart Node is PID 1
//! again, and a writer in another container sharing the volume has a pid that
//! means nothing here.

use std::fs::{File, OpenOptions};
use std::io;
use std::os::fd::AsRawFd;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::Path;
use std::time::Duration;

/// What a sweeper learns about a temporary file.
#[derive(Debug)]
pub enum Owner {
    /// A live writer holds the lock.
    Writer,
    /// Nobody holds it; the returned descriptor now holds the lock, so no writer
    /// can adopt the file until it is dropped (after the unlink).
    Nobody(File),
    /// The file system does not answer lock requests (or the file cannot be
    /// opened): the caller falls back to weaker evidence.
    Unknown,
    /// The file disappeared or was replaced meanwhile.
    Gone,
}

/// Takes the lock without waiting. `Ok(false)`: someone else holds it.
fn try_lock(file: &File) -> io::Result<bool> {
    // SAFETY: flock on a descriptor we own; no memory is passed.
    if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } == 0 {
        return Ok(true);
    }
    let err = io::Error::last_os_error();
    if err.raw_os_error() == Some(libc::EWOULDBLOCK) {
        Ok(false)
    } else {
        Err(err)
    }
}

/// Whether `path` still names the inode open as `file`.
fn still_named(file: &File, path: &Path) -> bool {
    match (file.metadata(), std::fs::symlink_metadata(path)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

/// Asks whether a writer still owns the file at `path`.
pub fn owner(path: &Path) -> Owner {
    let file = match OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_CLOEXEC | libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(path)
    {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Owner::Gone,
        Err(_) => return Owner::Unknown,
    };
    match try_lock(&file) {
        Ok(false) => Owner::Writer,
        Err(_) => Owner::Unknown,
        // Between our open and our lock the file may have been published or
        // replaced: only the inode we locked may be judged.
        Ok(true) if still_named(&file, path) => Owner::Nobody(file),
        Ok(true) => Owner::Gone,
    }
}

const CREATE_ATTEMPTS: u32 = 5;

/// Creates `path` (0600, must not exist) and locks it before anything is
/// written. A sweeper that looked between the create and the lock may have
/// removed the file as ownerless; then it is created again. On a file system
/// without `flock` the file is used unlocked (sweepers then fall back to the
/// pid and the file's age).
pub fn create_locked(path: &Path) -> io::Result<File> {
    let mut last = io::Error::from_raw_os_error(libc::EEXIST);
    for attempt in 0..CREATE_ATTEMPTS {
        if attempt > 0 {
            std::thread::sleep(Duration::from_millis(2));
        }
        let file = match OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .custom_flags(libc::O_CLOEXEC)
            .open(path)
        {
            Ok(f) => f,
            // A sweeper still holds the removed file's name: try again.
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                last = e;
                continue;
            }
            Err(e) => return Err(e),
        };
        match try_lock(&file) {
            Ok(true) if still_named(&file, path) => return Ok(file),
            Ok(_) => last = io::Error::from_raw_os_error(libc::EWOULDBLOCK),
            Err(_) => return Ok(file),
        }
    }
    Err(last)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;
    use std::os::unix::fs::PermissionsExt;
    use std::path::PathBuf;

    fn dir(tag: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("lw-lock-{tag}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&d);
        fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn a_held_lock_means_a_writer_and_a_closed_one_means_nobody() {
        let d = dir("held");
        let p = d.join(".t.tmp");
        let file = create_locked(&p).unwrap();
        assert_eq!(
            fs::metadata(&p).unwrap().permissions().mode() & 0o777,
            0o600
        );
        assert!(matches!(owner(&p), Owner::Writer));
        drop(file);
        assert!(matches!(owner(&p), Owner::Nobody(_)));
        fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn an_unlocked_leftover_is_ownerless_and_a_missing_file_is_gone() {
        let d = dir("left");
        let p = d.join(".t.tmp");
        fs::write(&p, b"cut off").unwrap();
        assert!(matches!(owner(&p), Owner::Nobody(_)));
        assert!(matches!(owner(&d.join("none")), Owner::Gone));
        fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn the_sweepers_lock_blocks_writers_until_it_is_dropped() {
        let d = dir("sweep");
        let p = d.join(".t.tmp");
        fs::write(&p, b"x").unwrap();
        let Owner::Nobody(held) = owner(&p) else {
            panic!("expected an ownerless file")
        };
        // While the sweeper holds it, another sweeper sees it as owned.
        assert!(matches!(owner(&p), Owner::Writer));
        fs::remove_file(&p).unwrap();
        drop(held);
        // The name is free again and a writer gets a fresh, locked file.
        let f = create_locked(&p).unwrap();
        assert!(matches!(owner(&p), Owner::Writer));
        drop(f);
        fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn a_name_taken_for_good_is_an_error_after_a_few_tries() {
        let d = dir("taken");
        let p = d.join(".t.tmp");
        fs::write(&p, b"x").unwrap();
        let err = create_locked(&p).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::AlreadyExists);
        fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn the_lock_survives_in_a_forked_child_and_dies_with_it() {
        let d = dir("fork");
        let p = d.join(".t.tmp");
        let file = create_locked(&p).unwrap();
        // SAFETY: the child only sleeps and exits; it calls nothing that
        // needs other threads.
        let pid = unsafe { libc::fork() };
        if pid == 0 {
            // SAFETY: async-signal-safe calls only.
            unsafe {
                libc::usleep(300_000);
                libc::_exit(0);
            }
        }
        drop(file);
        // The parent closed its copy; the child's descriptor still holds it.
        assert!(matches!(owner(&p), Owner::Writer));
        let mut status = 0;
        // SAFETY: waits for our own child.
        unsafe { libc::waitpid(pid, &mut status, 0) };
        assert!(matches!(owner(&p), Owner::Nobody(_)));
        fs::remove_dir_all(&d).unwrap();
    }
}
