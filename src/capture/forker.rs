//! Fork-mode snapshots: a `fork()`ed copy of the process writes the snapshot
//! while the parent keeps serving.
//!
//! V8 marks its heap mappings MADV_DONTFORK (`dc` in /proc/self/smaps), which
//! would leave the child without a heap; those ranges are switched to
//! MADV_DOFORK just around the fork. Before forking we wait (bounded) until the
//! other threads are asleep, because a worker busy in a GC job at fork time is
//! the main cause of a child that hangs forever (see DESIGN.md).

use super::error::{CaptureError, ErrorKind};
use super::procstat::other_threads_if_asleep;
use std::fs;
use std::io::Write;
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Forked {
    Child,
    Parent { pid: i32 },
}

/// Address ranges whose VmFlags contain `dc` (do not copy on fork).
pub fn parse_dontfork_ranges(smaps: &str) -> Vec<(usize, usize)> {
    let mut ranges = Vec::new();
    let mut current: Option<(usize, usize)> = None;
    for line in smaps.lines() {
        if let Some(flags) = line.strip_prefix("VmFlags:") {
            if let Some(r) = current.take() {
                if flags.split_whitespace().any(|f| f == "dc") {
                    ranges.push(r);
                }
            }
        } else if let Some(range) = mapping_header(line) {
            current = Some(range);
        }
    }
    ranges
}

fn mapping_header(line: &str) -> Option<(usize, usize)> {
    let first = line.split_whitespace().next()?;
    let (start, end) = first.split_once('-')?;
    let start = usize::from_str_radix(start, 16).ok()?;
    let end = usize::from_str_radix(end, 16).ok()?;
    (end > start).then_some((start, end))
}

fn madvise_all(ranges: &[(usize, usize)], advice: libc::c_int) {
    for &(start, end) in ranges {
        // SAFETY: the ranges are whole mappings of this process listed by the
        // kernel; DOFORK/DONTFORK change only fork inheritance, not contents.
        // A range unmapped meanwhile just returns ENOMEM, which is harmless.
        unsafe { libc::madvise(start as *mut libc::c_void, end - start, advice) };
    }
}

/// Waits until the other threads sleep, at most `budget`: two readings in a
/// row with every thread asleep and no context switch in between, so that no
/// thread was merely between two jobs. Returns whether that happened.
pub fn wait_for_quiet_threads(budget: Duration) -> bool {
    let deadline = Instant::now() + budget;
    let mut previous: Option<Vec<(i64, u64)>> = None;
    loop {
        let now = other_threads_if_asleep();
        if now.is_some() && now == previous {
            return true;
        }
        previous = now;
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_micros(500));
    }
}

/// Forks a copy of this process that can run JavaScript. Returns `Child` in the
/// child (which must end with `child_exit`) and the pid in the parent.
pub fn fork_for_snapshot(quiet_budget: Duration) -> Result<Forked, CaptureError> {
    let smaps = fs::read_to_string("/proc/self/smaps")
        .map_err(|e| CaptureError::from_io("read /proc/self/smaps", &e))?;
    let ranges = parse_dontfork_ranges(&smaps);
    wait_for_quiet_threads(quiet_budget);
    // SAFETY: getpid has no preconditions.
    let parent = unsafe { libc::getpid() };
    madvise_all(&ranges, libc::MADV_DOFORK);
    // SAFETY: the child only runs the snapshot on this thread and then _exit()s;
    // the hazards of forking a multithreaded process are handled by the
    // supervisor (hang detection, kill, retry).
    let pid = unsafe { libc::fork() };
    if pid == 0 {
        become_expendable(parent);
        // SAFETY: we are the freshly forked, single-threaded child.
        unsafe { super::condvar_patch::silence_condvar_wakeups() };
        return Ok(Forked::Child);
    }
    madvise_all(&ranges, libc::MADV_DONTFORK);
    if pid < 0 {
        let err = std::io::Error::last_os_error();
        return Err(CaptureError::new(
            ErrorKind::ForkFailed,
            format!("fork: {err}"),
        ));
    }
    Ok(Forked::Parent { pid })
}

/// In the child: die with the parent, and be the first the OOM killer picks,
/// so a snapshot can never cost the service itself.
fn become_expendable(parent: libc::pid_t) {
    // SAFETY: prctl/getppid/_exit are async-signal-safe and have no preconditions.
    unsafe {
        libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
        if libc::getppid() != parent {
            libc::_exit(3);
        }
    }
    if let Ok(mut f) = fs::OpenOptions::new()
        .write(true)
        .open("/proc/self/oom_score_adj")
    {
        let _ = f.write_all(b"1000");
    }
}

/// Ends the forked child without running atexit handlers or flushing stdio
/// buffers that belong to the parent.
pub fn child_exit(code: i32) -> ! {
    // SAFETY: _exit has no preconditions and does not return.
    unsafe { libc::_exit(code) }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMAPS: &str = "\
00400000-00452000 r-xp 00000000 08:02 173521 /usr/bin/node
Size:                328 kB
VmFlags: rd ex mr mw me dw
7f0000000000-7f0000040000 rw-p 00000000 00:00 0
Size:                256 kB
VmFlags: rd wr mr mw me dc ac
7f0000100000-7f0000200000 ---p 00000000 00:00 0
VmFlags: mr mw me dc
";

    #[test]
    fn finds_dontfork_ranges() {
        assert_eq!(
            parse_dontfork_ranges(SMAPS),
            vec![
                (0x7f00_0000_0000, 0x7f00_0004_0000),
                (0x7f00_0010_0000, 0x7f00_0020_0000)
            ]
        );
    }

    #[test]
    fn ignores_malformed_headers() {
        assert!(parse_dontfork_ranges("zzzz-yyyy rw-p\nVmFlags: dc\n").is_empty());
        assert!(parse_dontfork_ranges("VmFlags: dc\n").is_empty());
    }

    #[test]
    fn reads_this_process_smaps() {
        let smaps = fs::read_to_string("/proc/self/smaps").unwrap();
        assert!(smaps.contains("VmFlags:"));
        // The test process itself has no dc ranges, but parsing must not fail.
        let _ = parse_dontfork_ranges(&smaps);
    }
}
