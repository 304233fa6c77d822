//! The capture option schema (options.rs): its ranges, its defaults, and
//! that nothing is clamped.
use super::*;

fn ctx() -> DirContext {
    DirContext {
        env_dir: None,
        tmpdir: "/tmp".into(),
        cwd: Some(PathBuf::from("/srv/app")),
    }
}

fn refused(g: GivenOptions) -> String {
    match resolve(&g, &ctx()) {
        Ok(o) => panic!("accepted {o:?}"),
        Err(e) => {
            assert_eq!(e.code(), "ERR_LEAKWATCH_INVALID_OPTION");
            e.message
        }
    }
}

#[test]
fn nothing_given_is_the_defaults() {
    let o = resolve(&GivenOptions::default(), &ctx()).unwrap();
    assert_eq!(o.dir, PathBuf::from("/tmp/leakwatch"));
    assert_eq!(o.mode, Mode::Auto);
    assert_eq!(o.gzip_level, 2);
    assert_eq!(o.timeout_ms, 300_000);
    assert_eq!(o.hang_ms, 1500);
    assert_eq!(o.fork_attempts, 3);
    assert_eq!((o.max_files, o.max_bytes), (None, None));
    assert!(o.check_headroom && !o.redact);
    assert_eq!((o.label, o.cgroup_root), (None, None));
    // The defaults satisfy their own ranges.
    for spec in NUMBERS {
        if let Some(d) = spec.default {
            spec.check(d).unwrap();
        }
    }
}

/// A capture range's two ends: every one is integers in `[min, max]`, `min >= 0`.
fn ends(spec: NumberSpec) -> (f64, f64) {
    match spec.range {
        Range {
            min: Some(lo),
            max: Some(hi),
            integer: true,
        } if lo.inclusive && hi.inclusive && lo.value >= 0.0 => (lo.value, hi.value),
        r => panic!("{}: {r} is not integers in [min >= 0, max]", spec.name),
    }
}

#[test]
fn each_end_of_each_range_is_allowed_and_one_past_it_refused() {
    for spec in NUMBERS {
        let (min, max) = ends(spec);
        assert_eq!(spec.check(min).unwrap(), min as u64);
        assert_eq!(spec.check(max).unwrap(), max as u64);
        for bad in [min - 1.0, max + 1.0, min + 0.5, f64::NAN, f64::INFINITY] {
            let e = spec.check(bad).unwrap_err();
            assert_eq!(e.kind, ErrorKind::InvalidOption, "{} at {bad}", spec.name);
            assert_eq!(
                e.message,
                format!(
                    "invalid option {}: expected an integer in [{min}, {max}], got {bad}",
                    spec.name
                )
            );
        }
    }
}

#[test]
fn byte_counts_are_finite_and_not_negative() {
    assert_eq!(byte_count("heapUsed", 0.0).unwrap(), 0);
    assert_eq!(byte_count("reserveBytes", 4096.0).unwrap(), 4096);
    assert_eq!(byte_count("heapUsed", 1.5e9).unwrap(), 1_500_000_000);
    for bad in [-1.0, f64::NAN, f64::INFINITY] {
        let e = byte_count("reserveBytes", bad).unwrap_err();
        assert_eq!(e.code(), "ERR_LEAKWATCH_INVALID_OPTION");
        assert_eq!(
            e.message,
            format!("invalid option reserveBytes: expected a number >= 0, got {bad}")
        );
    }
}

#[test]
fn out_of_range_values_are_refused_not_clamped() {
    assert!(refused(GivenOptions {
        gzip_level: Some(12.0),
        ..Default::default()
    })
    .contains("gzipLevel: expected an integer in [0, 9], got 12"));
    assert!(refused(GivenOptions {
        timeout_ms: Some(0.0),
        ..Default::default()
    })
    .contains("timeoutMs"));
    assert!(refused(GivenOptions {
        hang_ms: Some(99.0),
        ..Default::default()
    })
    .contains("hangMs"));
    assert!(refused(GivenOptions {
        max_files: Some(0.0),
        ..Default::default()
    })
    .contains("maxFiles"));
    assert!(refused(GivenOptions {
        max_bytes: Some(-1.0),
        ..Default::default()
    })
    .contains("maxBytes"));
    assert!(refused(GivenOptions {
        fork_attempts: Some(11.0),
        ..Default::default()
    })
    .contains("forkAttempts"));
    assert!(refused(GivenOptions {
        mode: Some("thread".into()),
        ..Default::default()
    })
    .contains("mode: expected one of auto, fork, inline"));
}

#[test]
fn strings_are_checked() {
    for dir in ["", "a\0b"] {
        assert!(refused(GivenOptions {
            dir: Some(dir.into()),
            ..Default::default()
        })
        .contains("dir"));
    }
    for root in ["", "a\0b"] {
        assert!(refused(GivenOptions {
            cgroup_root: Some(root.into()),
            ..Default::default()
        })
        .contains("cgroupRoot"));
    }
    // 64 UTF-16 units, as JS counts them: an astral character is two.
    let ok = GivenOptions {
        label: Some("x".repeat(64)),
        ..Default::default()
    };
    assert!(resolve(&ok, &ctx()).is_ok());
    assert!(refused(GivenOptions {
        label: Some("x".repeat(65)),
        ..Default::default()
    })
    .contains("label"));
    let astral = "\u{1F600}".repeat(33);
    assert!(refused(GivenOptions {
        label: Some(astral),
        ..Default::default()
    })
    .contains("label"));
}

#[test]
fn dir_is_made_absolute_as_path_resolve_does() {
    let dir = |d: &str| {
        resolve(
            &GivenOptions {
                dir: Some(d.into()),
                ..Default::default()
            },
            &ctx(),
        )
        .unwrap()
        .dir
    };
    assert_eq!(dir("snaps"), PathBuf::from("/srv/app/snaps"));
    assert_eq!(dir("./a//b/../c/"), PathBuf::from("/srv/app/a/c"));
    assert_eq!(dir("/x/y/.."), PathBuf::from("/x"));
    assert_eq!(dir("/../.."), PathBuf::from("/"));
    let no_cwd = DirContext { cwd: None, ..ctx() };
    let e = resolve(
        &GivenOptions {
            dir: Some("rel".into()),
            ..Default::default()
        },
        &no_cwd,
    )
    .unwrap_err();
    assert_eq!(e.kind, ErrorKind::DirNotWritable);
    assert!(resolve(
        &GivenOptions {
            dir: Some("/abs".into()),
            ..Default::default()
        },
        &no_cwd
    )
    .is_ok());
}

#[test]
fn the_default_dir_is_the_environment_s_else_under_tmpdir() {
    let with = |env: Option<&str>, tmp: &str| {
        default_dir(&DirContext {
            env_dir: env.map(String::from),
            tmpdir: tmp.into(),
            ..ctx()
        })
        .unwrap()
    };
    assert_eq!(
        with(Some("/srv/dumps"), "/tmp"),
        PathBuf::from("/srv/dumps")
    );
    assert_eq!(with(Some("dumps"), "/tmp"), PathBuf::from("/srv/app/dumps"));
    assert_eq!(
        with(Some(""), "/var/tmp/"),
        PathBuf::from("/var/tmp/leakwatch")
    );
    assert_eq!(with(None, "/tmp"), PathBuf::from("/tmp/leakwatch"));
}

#[test]
fn resolved_options_resolve_to_themselves() {
    let given = GivenOptions {
        dir: Some("/d".into()),
        mode: Some("inline".into()),
        gzip_level: Some(0.0),
        timeout_ms: Some(1.0),
        label: Some(String::new()),
        max_files: Some(1_000_000.0),
        max_bytes: Some(1.0),
        check_headroom: Some(false),
        hang_ms: Some(100.0),
        fork_attempts: Some(10.0),
        cgroup_root: Some("/cg".into()),
        redact: Some(true),
    };
    let o = resolve(&given, &ctx()).unwrap();
    assert_eq!(o.mode.as_str(), "inline");
    assert_eq!(
        o.retention(),
        RetentionPolicy {
            max_files: Some(1_000_000),
            max_bytes: Some(1)
        }
    );
    assert_eq!(o.supervisor().deadline, Duration::from_millis(1));
    assert_eq!(o.supervisor().hang_after, Duration::from_millis(100));
    assert_eq!(o.label.as_deref(), Some(""));
}

#[test]
fn a_signal_is_a_known_catchable_one() {
    let known: Vec<String> = ["SIGUSR2", "SIGTERM", "SIGKILL"].map(String::from).to_vec();
    assert_eq!(check_signal(None, &known).unwrap(), SIGNAL_DEFAULT);
    assert_eq!(check_signal(Some("SIGTERM"), &known).unwrap(), "SIGTERM");
    for bad in ["SIGKILL", "SIGNOPE", ""] {
        let e = check_signal(Some(bad), &known).unwrap_err();
        assert_eq!(e.code(), "ERR_LEAKWATCH_INVALID_OPTION");
        assert!(e
            .message
            .starts_with("invalid option signal: expected a catchable signal name"));
    }
}
