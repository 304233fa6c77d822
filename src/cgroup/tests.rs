use super::*;
use std::sync::atomic::{AtomicUsize, Ordering};

struct TempDir(PathBuf);
impl TempDir {
    fn new() -> Self {
        static N: AtomicUsize = AtomicUsize::new(0);
        let p = std::env::temp_dir().join(format!(
            "leakwatch-cgroup-test-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        ));
        let _ = fs::remove_dir_all(&p);
        fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }
    fn write(&self, rel: &str, content: &str) {
        let p = self.0.join(rel);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, content).unwrap();
    }
}
impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

const V2_SELF: &str = "0::/kubepods/pod1/ctr\n";
const V1_SELF: &str = "12:cpu,cpuacct:/docker/abc\n4:memory:/docker/abc\n0::/\n";

#[test]
fn v2_leaf_limit_and_working_set() {
    let d = TempDir::new();
    d.write("kubepods/pod1/ctr/memory.max", "536870912\n");
    d.write("kubepods/pod1/ctr/memory.current", "300000000\n");
    d.write(
        "kubepods/pod1/ctr/memory.stat",
        "anon 1\ninactive_file 100000000\nactive_file 5\n",
    );
    let r = CgroupReader::discover_in(&d.0, V2_SELF).unwrap();
    assert_eq!(r.version(), Version::V2);
    let m = r.read().unwrap();
    assert_eq!(m.limit_bytes, 536870912.0);
    assert_eq!(m.usage_bytes, 200000000.0);
}

#[test]
fn v2_unlimited_leaf_uses_the_parent_limit() {
    let d = TempDir::new();
    d.write("kubepods/pod1/ctr/memory.max", "max\n");
    d.write("kubepods/pod1/ctr/memory.current", "100\n");
    d.write("kubepods/pod1/memory.max", "1000\n");
    d.write("kubepods/pod1/memory.current", "900\n");
    let m = CgroupReader::discover_in(&d.0, V2_SELF)
        .unwrap()
        .read()
        .unwrap();
    assert_eq!((m.limit_bytes, m.usage_bytes), (1000.0, 900.0));
}

#[test]
fn v2_unlimited_everywhere_is_none() {
    let d = TempDir::new();
    d.write("memory.max", "max\n");
    d.write("memory.current", "100\n");
    let r = CgroupReader::discover_in(&d.0, "0::/\n").unwrap();
    assert!(r.read().is_none());
}

#[test]
fn host_path_not_under_the_mount_falls_back_to_the_root() {
    let d = TempDir::new();
    d.write("memory.max", "2000\n");
    d.write("memory.current", "500\n");
    let r = CgroupReader::discover_in(&d.0, V2_SELF).unwrap();
    assert_eq!(r.leaf(), d.0.as_path());
    assert_eq!(r.read().unwrap().limit_bytes, 2000.0);
}

#[test]
fn v1_limit_usage_and_total_inactive_file() {
    let d = TempDir::new();
    d.write("memory/docker/abc/memory.limit_in_bytes", "1073741824\n");
    d.write("memory/docker/abc/memory.usage_in_bytes", "600000000\n");
    d.write(
        "memory/docker/abc/memory.stat",
        "cache 9\ntotal_inactive_file 100000000\n",
    );
    let r = CgroupReader::discover_in(&d.0, V1_SELF).unwrap();
    assert_eq!(r.version(), Version::V1);
    let m = r.read().unwrap();
    assert_eq!((m.limit_bytes, m.usage_bytes), (1073741824.0, 500000000.0));
}

#[test]
fn v1_unlimited_is_none() {
    let d = TempDir::new();
    d.write("memory/memory.limit_in_bytes", "9223372036854771712\n");
    d.write("memory/memory.usage_in_bytes", "5\n");
    let r = CgroupReader::discover_in(&d.0, V1_SELF).unwrap();
    assert!(r.read().is_none());
}

#[test]
fn no_memory_controller_is_none() {
    let d = TempDir::new();
    assert!(CgroupReader::discover_in(&d.0, V1_SELF).is_none());
    assert!(CgroupReader::discover_in(&d.0, "").is_none());
}

#[test]
fn garbage_files_read_as_no_limit() {
    let d = TempDir::new();
    d.write("memory.max", "lots\n");
    d.write("memory.current", "1\n");
    assert!(CgroupReader::discover_in(&d.0, "0::/\n")
        .unwrap()
        .read()
        .is_none());
}

#[test]
fn discover_honours_an_explicit_root() {
    let d = TempDir::new();
    d.write("memory.max", "4096\n");
    d.write("memory.current", "1024\n");
    let r = CgroupReader::discover(Some(&d.0)).unwrap();
    assert_eq!(r.read().unwrap().limit_bytes, 4096.0);
}

/// The container from issue 13: 500 of 512 MiB charged, 400 MiB of it
/// inactive page cache. The working set is 100 MiB, so 412 MiB are left.
#[test]
fn page_cache_is_not_counted_as_used() {
    const MIB: u64 = 1 << 20;
    let d = TempDir::new();
    d.write("memory.max", &format!("{}\n", 512 * MIB));
    d.write("memory.current", &format!("{}\n", 500 * MIB));
    d.write(
        "memory.stat",
        &format!("anon {}\ninactive_file {}\n", 90 * MIB, 400 * MIB),
    );
    let m = CgroupReader::discover_in(&d.0, "0::/\n")
        .unwrap()
        .read()
        .unwrap();
    assert_eq!(m.usage_bytes, (100 * MIB) as f64);
    assert_eq!(m.headroom_bytes(), 412 * MIB);
}

#[test]
fn v2_is_read_before_v1() {
    let d = TempDir::new();
    d.write("memory.max", "2000\n");
    d.write("memory.current", "500\n");
    d.write("memory/memory.limit_in_bytes", "1000\n");
    d.write("memory/memory.usage_in_bytes", "10\n");
    let r = CgroupReader::discover_in(&d.0, V1_SELF).unwrap();
    assert_eq!(r.version(), Version::V2);
}

#[test]
fn one_unlimited_sentinel_for_both_versions() {
    let d = TempDir::new();
    d.write("memory.max", &format!("{UNLIMITED_FROM}\n"));
    d.write("memory.current", "1\n");
    assert!(CgroupReader::discover_in(&d.0, "0::/\n")
        .unwrap()
        .read()
        .is_none());
    d.write("memory.max", &format!("{}\n", UNLIMITED_FROM - 4096));
    assert!(CgroupReader::discover_in(&d.0, "0::/\n")
        .unwrap()
        .read()
        .is_some());
}

#[test]
fn explicit_root_wins_over_the_environment() {
    let d = TempDir::new();
    assert_eq!(root(Some(&d.0)), d.0);
}

/// One reader, one rule: any other source file that opens /proc/self/cgroup is
/// a second reader, and the two will drift (issue 13).
#[test]
fn no_second_cgroup_reader_in_src() {
    fn walk(dir: &Path, hits: &mut Vec<PathBuf>) {
        for e in fs::read_dir(dir).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, hits);
            } else if p.extension().is_some_and(|x| x == "rs")
                && !p.ends_with("cgroup/mod.rs")
                && !p.ends_with("cgroup/tests.rs")
                && fs::read_to_string(&p).unwrap().contains("self/cgroup")
            {
                hits.push(p);
            }
        }
    }
    let mut hits = Vec::new();
    walk(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut hits,
    );
    assert!(hits.is_empty(), "second cgroup reader(s): {hits:?}");
}
