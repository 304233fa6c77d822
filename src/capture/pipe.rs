//! The pipe V8 writes the snapshot JSON into. The write end is reachable by path
//! (`/proc/self/fd/N`), which is what `v8.writeHeapSnapshot(path)` needs; opening
//! that path reopens the same pipe, so the JSON never passes through JS memory.

use std::fs::File;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

/// The pipe's buffer is all the slack between V8 and the gzip thread: kernel
/// memory, so unlike a user-space queue it adds nothing to the process's RSS
/// while V8 holds the snapshot graph. Larger also means fewer wake-ups.
const PIPE_BYTES: libc::c_int = 1 << 20;

pub struct SnapshotPipe {
    pub reader: File,
    pub writer: OwnedFd,
}

impl SnapshotPipe {
    pub fn new() -> io::Result<SnapshotPipe> {
        let mut fds = [0 as libc::c_int; 2];
        // SAFETY: fds is a valid two-element array, as pipe2 requires.
        if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: pipe2 succeeded, so both descriptors are open and owned by us alone.
        let (reader, writer) = unsafe { (File::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
        // Best effort: the default 64 KiB works too, with more wake-ups and more
        // chances that V8 waits for a full pipe.
        // SAFETY: fcntl on a descriptor we own.
        unsafe { libc::fcntl(fds[1], libc::F_SETPIPE_SZ, PIPE_BYTES) };
        Ok(SnapshotPipe { reader, writer })
    }

    /// The path through which another writer (V8, in this process or a forked
    /// child that inherited the descriptor) opens the write end.
    pub fn write_path(&self) -> String {
        format!("/proc/self/fd/{}", self.writer.as_raw_fd())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};

    #[test]
    fn data_written_by_path_arrives_at_the_reader() {
        let SnapshotPipe { mut reader, writer } = SnapshotPipe::new().unwrap();
        let path = format!("/proc/self/fd/{}", writer.as_raw_fd());
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .truncate(true)
            .create(true)
            .open(&path)
            .unwrap();
        f.write_all(b"{\"snapshot\":{}}").unwrap();
        drop(f);
        drop(writer);
        let mut got = String::new();
        reader.read_to_string(&mut got).unwrap();
        assert_eq!(got, "{\"snapshot\":{}}");
    }
}
