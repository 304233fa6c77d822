//! Time to out-of-memory: a growth trend projected onto the smallest headroom
//! among V8's heap limit (for growth of the JS heap only), the container's
//! memory limit, and the process's own limit (`process.constrainedMemory()`,
//! else the machine's memory) against its RSS. Growth shows up one-for-one in
//! the container's usage and in RSS, so the same slope applies to each.

#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Limits {
    pub heap_used_bytes: f64,
    pub heap_limit_bytes: f64,
    /// Container limit and the usage counted against it, when there is one.
    pub memory_limit_bytes: Option<f64>,
    pub memory_usage_bytes: Option<f64>,
    /// Resident set size, and the limit it runs into (constrained memory or
    /// physical memory), when known.
    pub rss_bytes: f64,
    pub rss_limit_bytes: Option<f64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bound {
    Heap,
    Container,
    Rss,
}

impl Bound {
    pub fn as_str(self) -> &'static str {
        match self {
            Bound::Heap => "heap",
            Bound::Container => "container",
            Bound::Rss => "rss",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Projection {
    pub ms_to_oom: f64,
    pub bound: Bound,
}

/// `None` when the trend is not rising or no limit is known. `in_heap`: the
/// growth is in the JS heap, so V8's heap limit applies too.
pub fn project(growth_bytes_per_min: f64, limits: &Limits, in_heap: bool) -> Option<Projection> {
    if !(growth_bytes_per_min.is_finite() && growth_bytes_per_min > 0.0) {
        return None;
    }
    let per_ms = growth_bytes_per_min / 60_000.0;
    let mut best: Option<Projection> = None;
    let mut consider = |headroom: f64, bound: Bound| {
        if !headroom.is_finite() {
            return;
        }
        let ms = headroom.max(0.0) / per_ms;
        if best.is_none_or(|b| ms < b.ms_to_oom) {
            best = Some(Projection {
                ms_to_oom: ms,
                bound,
            });
        }
    };
    if in_heap && limits.heap_limit_bytes > 0.0 {
        consider(
            limits.heap_limit_bytes - limits.heap_used_bytes,
            Bound::Heap,
        );
    }
    if let (Some(limit), Some(usage)) = (limits.memory_limit_bytes, limits.memory_usage_bytes) {
        consider(limit - usage, Bound::Container);
    }
    if let Some(limit) = limits.rss_limit_bytes.filter(|l| *l > 0.0) {
        consider(limit - limits.rss_bytes, Bound::Rss);
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIB: f64 = 1024.0 * 1024.0;

    fn limits(container: Option<(f64, f64)>) -> Limits {
        Limits {
            heap_used_bytes: 100.0 * MIB,
            heap_limit_bytes: 2048.0 * MIB,
            memory_limit_bytes: container.map(|c| c.0),
            memory_usage_bytes: container.map(|c| c.1),
            rss_bytes: 0.0,
            rss_limit_bytes: None,
        }
    }

    #[test]
    fn heap_limit_alone() {
        let p = project(10.0 * MIB, &limits(None), true).unwrap();
        assert_eq!(p.bound, Bound::Heap);
        assert!((p.ms_to_oom - 1948.0 / 10.0 * 60_000.0).abs() < 1.0);
    }

    #[test]
    fn the_smaller_headroom_wins() {
        let p = project(10.0 * MIB, &limits(Some((512.0 * MIB, 312.0 * MIB))), true).unwrap();
        assert_eq!(p.bound, Bound::Container);
        assert!((p.ms_to_oom - 20.0 * 60_000.0).abs() < 1.0);
    }

    #[test]
    fn closer_to_the_limit_means_less_time() {
        let far = project(10.0 * MIB, &limits(Some((512.0 * MIB, 200.0 * MIB))), true).unwrap();
        let near = project(10.0 * MIB, &limits(Some((512.0 * MIB, 450.0 * MIB))), true).unwrap();
        assert!(near.ms_to_oom < far.ms_to_oom);
    }

    #[test]
    fn growth_outside_the_heap_ignores_the_heap_limit() {
        let mut l = limits(None);
        assert!(project(10.0 * MIB, &l, false).is_none());
        l.rss_bytes = 400.0 * MIB;
        l.rss_limit_bytes = Some(500.0 * MIB);
        let p = project(10.0 * MIB, &l, false).unwrap();
        assert_eq!(p.bound, Bound::Rss);
        assert!((p.ms_to_oom - 10.0 * 60_000.0).abs() < 1.0);
    }

    #[test]
    fn over_the_limit_is_zero_not_negative() {
        let p = project(MIB, &limits(Some((512.0 * MIB, 600.0 * MIB))), true).unwrap();
        assert_eq!(p.ms_to_oom, 0.0);
    }

    #[test]
    fn no_growth_or_no_limit_gives_none() {
        assert!(project(0.0, &limits(None), true).is_none());
        assert!(project(-5.0, &limits(None), true).is_none());
        assert!(project(f64::NAN, &limits(None), true).is_none());
        assert!(project(MIB, &Limits::default(), true).is_none());
    }
}
