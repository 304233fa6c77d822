//! Readers for /proc/<pid>/stat and /proc/<pid>/wchan: how the fork supervisor
//! tells a busy child from a deadlocked one, and how the parent checks that its
//! other threads are asleep before forking.

use std::fs;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProcStat {
    /// R running, S sleeping, D disk sleep, Z zombie, T stopped, ...
    pub state: char,
    /// User plus system CPU time, in clock ticks.
    pub cpu_ticks: u64,
}

/// Parses a `stat` line. The command name is in parentheses and may itself
/// contain spaces and parentheses, so fields are counted from the last `)`.
pub fn parse_stat(line: &str) -> Option<ProcStat> {
    let after = &line[line.rfind(')')? + 1..];
    let fields: Vec<&str> = after.split_whitespace().collect();
    // After the name: state is field 3 of stat(5), utime 14 and stime 15.
    let state = fields.first()?.chars().next()?;
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(ProcStat {
        state,
        cpu_ticks: utime + stime,
    })
}

pub fn read_stat(pid: i32) -> Option<ProcStat> {
    parse_stat(&fs::read_to_string(format!("/proc/{pid}/stat")).ok()?)
}

/// The kernel function a sleeping task waits in (`futex_wait_queue`,
/// `pipe_write`, ...), where the kernel exposes it.
pub fn read_wchan(pid: i32) -> Option<String> {
    let w = fs::read_to_string(format!("/proc/{pid}/wchan")).ok()?;
    let w = w.trim();
    (!w.is_empty() && w != "0").then(|| w.to_string())
}

/// Each other thread's id and context-switch count, or `None` as soon as one
/// of them is not asleep. Forking while a V8 or libuv worker runs a job, or is
/// being woken to take one, is what leaves the child waiting forever for it.
pub fn other_threads_if_asleep() -> Option<Vec<(i64, u64)>> {
    // SAFETY: gettid has no preconditions.
    let me = unsafe { libc::syscall(libc::SYS_gettid) } as i64;
    let tasks = fs::read_dir("/proc/self/task").ok()?;
    let mut out = Vec::new();
    for task in tasks.flatten() {
        let name = task.file_name();
        let Some(tid) = name.to_str().and_then(|s| s.parse::<i64>().ok()) else {
            continue;
        };
        if tid == me {
            continue;
        }
        // A thread that exited between listing and reading is fine.
        let Ok(stat) = fs::read_to_string(task.path().join("stat")) else {
            continue;
        };
        match parse_stat(&stat) {
            Some(s) if s.state == 'S' || s.state == 'I' => {}
            Some(_) => return None,
            None => continue,
        }
        let status = fs::read_to_string(task.path().join("status")).unwrap_or_default();
        out.push((tid, context_switches(&status)));
    }
    out.sort_unstable();
    Some(out)
}

/// Voluntary plus involuntary context switches from a `status` file.
pub fn context_switches(status: &str) -> u64 {
    status
        .lines()
        .filter(|l| l.contains("ctxt_switches:"))
        .filter_map(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_names_with_spaces_and_parens() {
        let line = "4242 (node (worker) 1) S 1 4242 4242 0 -1 4194560 10 0 0 0 150 25 0 0 20 0 11 0 100 0 0";
        assert_eq!(
            parse_stat(line),
            Some(ProcStat {
                state: 'S',
                cpu_ticks: 175
            })
        );
    }

    #[test]
    fn sums_context_switches() {
        let status = "Name:\tnode\nvoluntary_ctxt_switches:\t12\nnonvoluntary_ctxt_switches:\t3\n";
        assert_eq!(context_switches(status), 15);
    }

    #[test]
    fn rejects_garbage() {
        assert_eq!(parse_stat("nonsense"), None);
        assert_eq!(parse_stat("1 (x) R 1 2"), None);
    }

    #[test]
    fn reads_the_calling_thread_as_running() {
        let s = parse_stat(&fs::read_to_string("/proc/thread-self/stat").unwrap()).unwrap();
        assert_eq!(s.state, 'R');
        assert!(read_stat(std::process::id() as i32).is_some());
    }
}
