//! Supervises a forked snapshot child until it exits: reaps it (no zombies),
//! kills it at its deadline, and kills it early when it deadlocks.
//!
//! A healthy child is either on a CPU (building or serializing the snapshot) or
//! blocked writing the pipe. A deadlocked one sleeps in a futex, waiting for a
//! V8 or libuv worker thread that `fork()` did not copy: no CPU time, no bytes.

use super::error::{CaptureError, ErrorKind};
use super::procstat::{read_stat, read_wchan, ProcStat};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy)]
pub struct SupervisorConfig {
    pub deadline: Duration,
    pub hang_after: Duration,
    pub poll: Duration,
}

/// Decides from successive observations whether a child has stopped making
/// progress while asleep for longer than `hang_after`.
#[derive(Debug)]
pub struct HangDetector {
    hang_after: Duration,
    last_ticks: Option<u64>,
    last_bytes: u64,
    last_progress: Instant,
}

impl HangDetector {
    pub fn new(hang_after: Duration, now: Instant) -> Self {
        HangDetector {
            hang_after,
            last_ticks: None,
            last_bytes: 0,
            last_progress: now,
        }
    }

    pub fn is_hung(
        &mut self,
        now: Instant,
        stat: Option<ProcStat>,
        bytes: u64,
        wchan: Option<&str>,
    ) -> bool {
        let ticks = stat.map(|s| s.cpu_ticks);
        if ticks != self.last_ticks || bytes != self.last_bytes {
            self.last_ticks = ticks;
            self.last_bytes = bytes;
            self.last_progress = now;
            return false;
        }
        let asleep = stat.is_some_and(|s| s.state == 'S');
        // Blocked on a full pipe means our reader is slow, not that the child is stuck.
        let on_pipe = wchan.is_some_and(|w| w.contains("pipe"));
        asleep && !on_pipe && now.duration_since(self.last_progress) >= self.hang_after
    }
}

/// Waits for `pid` to exit and maps its fate to a result. `progress` counts the
/// bytes the parent has read from the child's pipe.
pub fn supervise(
    pid: i32,
    progress: &AtomicU64,
    config: SupervisorConfig,
) -> Result<(), CaptureError> {
    let start = Instant::now();
    let mut detector = HangDetector::new(config.hang_after, start);
    loop {
        if let Some(status) = try_reap(pid)? {
            return exit_result(status);
        }
        let now = Instant::now();
        if now.duration_since(start) >= config.deadline {
            kill_and_reap(pid);
            return Err(CaptureError::new(
                ErrorKind::Timeout,
                format!(
                    "the snapshot child did not finish within {} ms and was killed",
                    config.deadline.as_millis()
                ),
            ));
        }
        let stat = read_stat(pid);
        let wchan = read_wchan(pid);
        if detector.is_hung(
            now,
            stat,
            progress.load(Ordering::Relaxed),
            wchan.as_deref(),
        ) {
            kill_and_reap(pid);
            return Err(CaptureError::new(
                ErrorKind::ChildHung,
                format!(
                    "the snapshot child made no progress for {} ms (asleep in {}) and was killed",
                    config.hang_after.as_millis(),
                    wchan.as_deref().unwrap_or("?")
                ),
            ));
        }
        std::thread::sleep(config.poll);
    }
}

fn try_reap(pid: i32) -> Result<Option<libc::c_int>, CaptureError> {
    let mut status: libc::c_int = 0;
    loop {
        // SAFETY: status is a valid out pointer.
        let r = unsafe { libc::waitpid(pid, &mut status, libc::WNOHANG) };
        if r == pid {
            return Ok(Some(status));
        }
        if r == 0 {
            return Ok(None);
        }
        let err = std::io::Error::last_os_error();
        if err.raw_os_error() != Some(libc::EINTR) {
            return Err(CaptureError::new(
                ErrorKind::ChildFailed,
                format!("waitpid: {err}"),
            ));
        }
    }
}

pub fn kill_and_reap(pid: i32) {
    let mut status: libc::c_int = 0;
    // SAFETY: pid is our own unreaped child, so it cannot have been recycled.
    unsafe { libc::kill(pid, libc::SIGKILL) };
    loop {
        // SAFETY: status is a valid out pointer.
        let r = unsafe { libc::waitpid(pid, &mut status, 0) };
        if r == pid || std::io::Error::last_os_error().raw_os_error() != Some(libc::EINTR) {
            return;
        }
    }
}

fn exit_result(status: libc::c_int) -> Result<(), CaptureError> {
    if libc::WIFEXITED(status) {
        return match libc::WEXITSTATUS(status) {
            0 => Ok(()),
            code => Err(CaptureError::new(
                ErrorKind::ChildFailed,
                format!("the snapshot child exited with code {code}"),
            )),
        };
    }
    let signal = if libc::WIFSIGNALED(status) {
        libc::WTERMSIG(status)
    } else {
        0
    };
    Err(CaptureError::new(
        ErrorKind::ChildFailed,
        format!("the snapshot child was killed by signal {signal}"),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stat(state: char, cpu_ticks: u64) -> Option<ProcStat> {
        Some(ProcStat { state, cpu_ticks })
    }

    #[test]
    fn progress_resets_the_clock() {
        let t0 = Instant::now();
        let mut d = HangDetector::new(Duration::from_millis(100), t0);
        assert!(!d.is_hung(t0, stat('R', 1), 0, None));
        assert!(!d.is_hung(t0 + Duration::from_millis(90), stat('R', 2), 0, None));
        assert!(!d.is_hung(
            t0 + Duration::from_millis(180),
            stat('S', 2),
            10,
            Some("futex_wait_queue")
        ));
        assert!(d.is_hung(
            t0 + Duration::from_millis(290),
            stat('S', 2),
            10,
            Some("futex_wait_queue")
        ));
    }

    #[test]
    fn running_or_pipe_blocked_children_are_not_hung() {
        let t0 = Instant::now();
        let later = t0 + Duration::from_secs(10);
        let mut d = HangDetector::new(Duration::from_millis(100), t0);
        assert!(!d.is_hung(t0, stat('S', 5), 0, None));
        assert!(!d.is_hung(later, stat('R', 5), 0, None));
        assert!(!d.is_hung(later, stat('S', 5), 0, Some("pipe_write")));
        assert!(!d.is_hung(later, stat('D', 5), 0, None));
        assert!(d.is_hung(later, stat('S', 5), 0, None));
    }

    fn spawn_child(body: impl FnOnce() -> i32) -> i32 {
        // SAFETY: the test child only sleeps or exits; it touches no locks.
        let pid = unsafe { libc::fork() };
        if pid == 0 {
            let code = body();
            // SAFETY: leave the test harness without running its atexit hooks.
            unsafe { libc::_exit(code) };
        }
        pid
    }

    fn config(deadline_ms: u64, hang_ms: u64) -> SupervisorConfig {
        SupervisorConfig {
            deadline: Duration::from_millis(deadline_ms),
            hang_after: Duration::from_millis(hang_ms),
            poll: Duration::from_millis(10),
        }
    }

    #[test]
    fn clean_exit_is_ok_and_reaped() {
        let pid = spawn_child(|| 0);
        assert!(supervise(pid, &AtomicU64::new(0), config(5_000, 5_000)).is_ok());
        assert_eq!(unsafe { libc::kill(pid, 0) }, -1, "child was not reaped");
    }

    #[test]
    fn failing_exit_and_signals_are_errors() {
        let pid = spawn_child(|| 7);
        let e = supervise(pid, &AtomicU64::new(0), config(5_000, 5_000)).unwrap_err();
        assert_eq!(
            (e.kind, e.message.contains("code 7")),
            (ErrorKind::ChildFailed, true)
        );
        let pid = spawn_child(|| {
            unsafe { libc::raise(libc::SIGKILL) };
            0
        });
        let e = supervise(pid, &AtomicU64::new(0), config(5_000, 5_000)).unwrap_err();
        assert!(e.message.contains("signal 9"), "{e}");
    }

    #[test]
    fn a_sleeping_child_is_killed_as_hung() {
        let pid = spawn_child(|| {
            unsafe { libc::pause() };
            0
        });
        let e = supervise(pid, &AtomicU64::new(0), config(10_000, 200)).unwrap_err();
        assert_eq!(e.kind, ErrorKind::ChildHung);
    }

    #[test]
    fn a_busy_child_is_killed_at_its_deadline() {
        let pid = spawn_child(|| loop {
            std::hint::spin_loop();
        });
        let e = supervise(pid, &AtomicU64::new(0), config(300, 100)).unwrap_err();
        assert_eq!(e.kind, ErrorKind::Timeout);
    }
}
