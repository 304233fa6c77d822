//! The sampling thread: RSS from /proc/self/statm and the cgroup reading,
//! every interval, independent of the event loop (a blocked loop still gets
//! fresh memory figures, and the peak RSS while it was blocked). It sleeps on
//! a Condvar so `stop()` wakes and joins it at once.

use std::fs;
use std::io;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::cgroup::{CgroupMemory, CgroupReader};
use super::{ErrorKind, WatchError};

#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct MemoryReading {
    pub rss_bytes: f64,
    /// Highest RSS seen since the last `take_peak_rss`.
    pub peak_rss_bytes: f64,
    pub cgroup: Option<CgroupMemory>,
    pub samples: u64,
    /// CPU time the sampling thread itself has used.
    pub thread_cpu_ms: f64,
}

#[derive(Debug, Default)]
struct State {
    stop: bool,
    latest: MemoryReading,
}

#[derive(Debug, Default)]
struct Shared {
    state: Mutex<State>,
    wake: Condvar,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock cannot corrupt two floats and a flag.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[derive(Debug)]
pub struct Sampler {
    shared: Arc<Shared>,
    handle: Mutex<Option<JoinHandle<()>>>,
}

impl Sampler {
    pub fn start(interval: Duration, cgroup: Option<CgroupReader>) -> Result<Self, WatchError> {
        let shared = Arc::new(Shared::default());
        // One reading before returning, so the first 'stats' is not empty.
        {
            let first = read_once(cgroup.as_ref());
            let mut st = shared.lock();
            st.latest = MemoryReading {
                peak_rss_bytes: first.0,
                rss_bytes: first.0,
                cgroup: first.1,
                samples: 1,
                thread_cpu_ms: 0.0,
            };
        }
        let worker = Arc::clone(&shared);
        let handle = std::thread::Builder::new()
            .name("leakwatch-watch".into())
            .spawn(move || run(&worker, interval, cgroup))
            .map_err(|e| WatchError::new(ErrorKind::Io, format!("spawn sampler thread: {e}")))?;
        Ok(Sampler {
            shared,
            handle: Mutex::new(Some(handle)),
        })
    }

    pub fn latest(&self) -> MemoryReading {
        self.shared.lock().latest
    }

    /// The reading, and resets the peak to the current RSS.
    pub fn take_peak_rss(&self) -> MemoryReading {
        let mut st = self.shared.lock();
        let r = st.latest;
        st.latest.peak_rss_bytes = st.latest.rss_bytes;
        r
    }

    /// Idempotent; returns once the thread has exited.
    pub fn stop(&self) {
        self.shared.lock().stop = true;
        self.shared.wake.notify_all();
        let handle = self.handle.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(h) = handle {
            let _ = h.join();
        }
    }

    pub fn is_running(&self) -> bool {
        self.handle
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .is_some()
    }
}

impl Drop for Sampler {
    fn drop(&mut self) {
        self.stop();
    }
}

fn run(shared: &Shared, interval: Duration, cgroup: Option<CgroupReader>) {
    let mut next = Instant::now() + interval;
    loop {
        {
            let mut st = shared.lock();
            while !st.stop {
                let now = Instant::now();
                if now >= next {
                    break;
                }
                st = shared
                    .wake
                    .wait_timeout(st, next - now)
                    .unwrap_or_else(|p| p.into_inner())
                    .0;
            }
            if st.stop {
                return;
            }
        }
        next += interval;
        let (rss, cg) = read_once(cgroup.as_ref());
        let cpu = thread_cpu_ms();
        let mut st = shared.lock();
        let l = &mut st.latest;
        l.rss_bytes = rss;
        l.peak_rss_bytes = l.peak_rss_bytes.max(rss);
        l.cgroup = cg;
        l.samples += 1;
        l.thread_cpu_ms = cpu;
    }
}

fn read_once(cgroup: Option<&CgroupReader>) -> (f64, Option<CgroupMemory>) {
    (rss_bytes().unwrap_or(0.0), cgroup.and_then(|c| c.read()))
}

pub fn rss_bytes() -> io::Result<f64> {
    let statm = fs::read_to_string("/proc/self/statm")?;
    let pages: f64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|v| v.parse::<u64>().ok())
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "bad /proc/self/statm"))?
        as f64;
    // SAFETY: sysconf has no preconditions.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    Ok(pages * if page > 0 { page as f64 } else { 4096.0 })
}

fn thread_cpu_ms() -> f64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: ts is a valid out-pointer for the duration of the call.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    if rc != 0 {
        return 0.0;
    }
    ts.tv_sec as f64 * 1000.0 + ts.tv_nsec as f64 / 1e6
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rss_is_positive() {
        assert!(rss_bytes().unwrap() > 1024.0 * 1024.0);
    }

    #[test]
    fn samples_keep_coming_and_stop_joins_at_once() {
        let s = Sampler::start(Duration::from_millis(5), None).unwrap();
        assert!(s.latest().rss_bytes > 0.0);
        std::thread::sleep(Duration::from_millis(60));
        assert!(s.latest().samples >= 3, "{:?}", s.latest());
        let t = Instant::now();
        s.stop();
        assert!(t.elapsed() < Duration::from_millis(200));
        assert!(!s.is_running());
        s.stop();
    }

    #[test]
    fn stop_does_not_wait_for_a_long_interval() {
        let s = Sampler::start(Duration::from_secs(3600), None).unwrap();
        let t = Instant::now();
        drop(s);
        assert!(t.elapsed() < Duration::from_millis(200));
    }

    #[test]
    fn peak_resets_to_current() {
        let s = Sampler::start(Duration::from_millis(5), None).unwrap();
        let r = s.take_peak_rss();
        assert!(r.peak_rss_bytes >= r.rss_bytes);
        let after = s.latest();
        assert!(after.peak_rss_bytes >= after.rss_bytes);
        s.stop();
    }
}
