//! Snapshot file names: `<hostname>-<pid>-<UTC time>-<seq>[-<label>].heapsnapshot.gz`.
//! The temporary name a file is written under starts with a dot and ends with
//! `.tmp`, so directory listings and globbing readers skip it until the rename.

use std::time::{SystemTime, UNIX_EPOCH};

pub const SUFFIX: &str = ".heapsnapshot.gz";
const TEMP_PREFIX: &str = ".leakwatch-";
const TEMP_SUFFIX: &str = ".tmp";

/// Keeps `[A-Za-z0-9._]` and maps everything else to `_`, so a hostname or label
/// can never add a path separator or a `-` that would confuse name parsing.
pub fn sanitize(part: &str, max_len: usize) -> String {
    let cleaned: String = part
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .take(max_len)
        .collect();
    if cleaned.is_empty() || cleaned.chars().all(|c| c == '.') {
        "_".to_string()
    } else {
        cleaned
    }
}

/// `YYYYMMDDTHHMMSS.mmmZ` for a time since the Unix epoch.
pub fn utc_stamp(time: SystemTime) -> String {
    let since = time.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = since.as_secs() as i64;
    let millis = since.subsec_millis();
    let (year, month, day) = civil_from_days(secs.div_euclid(86_400));
    let rem = secs.rem_euclid(86_400);
    format!(
        "{year:04}{month:02}{day:02}T{:02}{:02}{:02}.{millis:03}Z",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

/// Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

pub fn snapshot_file_name(
    hostname: &str,
    pid: u32,
    time: SystemTime,
    seq: u64,
    label: Option<&str>,
) -> String {
    let mut name = format!("{}-{pid}-{}-{seq}", sanitize(hostname, 64), utc_stamp(time));
    if let Some(label) = label.filter(|l| !l.is_empty()) {
        name.push('-');
        name.push_str(&sanitize(label, 64));
    }
    name.push_str(SUFFIX);
    name
}

const REDACTED: &str = "redacted";

/// The label of a redacted snapshot: `redacted`, or `<label>_redacted` with the
/// user's label shortened so the marker always survives the 64-byte cap. The
/// name part stays one `-` field, so retention still recognises the file.
pub fn redacted_label(label: Option<&str>) -> String {
    match label.filter(|l| !l.is_empty()) {
        None => REDACTED.to_string(),
        Some(l) => format!("{}_{REDACTED}", sanitize(l, 64 - REDACTED.len() - 1)),
    }
}

/// The temporary name carries the writer's pid so that a later process can tell
/// a leftover of a crashed writer from a file still being written.
pub fn temp_file_name(final_name: &str, pid: u32) -> String {
    format!("{TEMP_PREFIX}{pid}-{final_name}{TEMP_SUFFIX}")
}

/// The pid inside a temporary name, if the name is one of ours.
pub fn temp_file_pid(name: &str) -> Option<u32> {
    let rest = name.strip_prefix(TEMP_PREFIX)?.strip_suffix(TEMP_SUFFIX)?;
    let (pid, final_name) = rest.split_once('-')?;
    if !is_snapshot_file_name(final_name) {
        return None;
    }
    pid.parse().ok()
}

/// True for names this module produces, and only those: retention relies on it
/// to never delete a file leakwatch did not write.
pub fn is_snapshot_file_name(name: &str) -> bool {
    let Some(stem) = name.strip_suffix(SUFFIX) else {
        return false;
    };
    let parts: Vec<&str> = stem.split('-').collect();
    if parts.len() < 4 || parts.len() > 5 {
        return false;
    }
    let valid_part = |p: &str| !p.is_empty() && sanitize(p, 64) == p;
    let stamp = parts[2];
    valid_part(parts[0])
        && !parts[1].is_empty()
        && parts[1].bytes().all(|b| b.is_ascii_digit())
        && is_utc_stamp(stamp)
        && !parts[3].is_empty()
        && parts[3].bytes().all(|b| b.is_ascii_digit())
        && parts.get(4).is_none_or(|l| valid_part(l))
}

fn is_utc_stamp(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 20
        && b[..8].iter().all(u8::is_ascii_digit)
        && b[8] == b'T'
        && b[9..15].iter().all(u8::is_ascii_digit)
        && b[15] == b'.'
        && b[16..19].iter().all(u8::is_ascii_digit)
        && b[19] == b'Z'
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn at(secs: u64, millis: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_millis(secs * 1000 + millis)
    }

    #[test]
    fn formats_utc_stamps() {
        assert_eq!(utc_stamp(at(0, 0)), "19700101T000000.000Z");
        // 2026-11-21T08:10:46.123Z
        assert_eq!(utc_stamp(at(1_795_248_646, 123)), "20261121T081046.123Z");
        // leap day
        assert_eq!(utc_stamp(at(951_782_400, 5)), "20000229T000000.005Z");
    }

    #[test]
    fn builds_names_that_parse_back() {
        let n = snapshot_file_name("web-1.prod", 4242, at(0, 0), 7, None);
        assert_eq!(n, "web_1.prod-4242-19700101T000000.000Z-7.heapsnapshot.gz");
        assert!(is_snapshot_file_name(&n));
        let l = snapshot_file_name("h", 1, at(0, 0), 1, Some("after load/test"));
        assert_eq!(
            l,
            "h-1-19700101T000000.000Z-1-after_load_test.heapsnapshot.gz"
        );
        assert!(is_snapshot_file_name(&l));
    }

    #[test]
    fn rejects_foreign_names() {
        for name in [
            "notes.txt",
            "app.heapsnapshot.gz",
            "h-1-2026-1.heapsnapshot.gz",
            "h-x-19700101T000000.000Z-1.heapsnapshot.gz",
            "h-1-19700101T000000.000Z-1.heapsnapshot",
            "h-1-19700101T000000.000Z-1-a-b.heapsnapshot.gz",
            "../x-1-19700101T000000.000Z-1.heapsnapshot.gz",
        ] {
            assert!(!is_snapshot_file_name(name), "{name}");
        }
    }

    #[test]
    fn sanitize_never_yields_separators_or_dot_names() {
        assert_eq!(sanitize("../../etc", 64), ".._.._etc");
        assert_eq!(sanitize("..", 64), "_");
        assert_eq!(sanitize("", 64), "_");
        assert_eq!(sanitize("abcdef", 3), "abc");
    }

    #[test]
    fn redacted_names_end_with_the_marker_and_stay_recognised() {
        for label in [None, Some(""), Some("nightly"), Some(&*"x".repeat(64))] {
            let l = redacted_label(label);
            assert!(l.ends_with("redacted") && l.len() <= 64, "{l}");
            let n = snapshot_file_name("h", 1, at(0, 0), 1, Some(&l));
            assert!(n.ends_with("redacted.heapsnapshot.gz"), "{n}");
            assert!(is_snapshot_file_name(&n), "{n}");
        }
        assert_eq!(redacted_label(Some("a-b")), "a_b_redacted");
    }

    #[test]
    fn temp_names_carry_the_pid() {
        let f = snapshot_file_name("h", 9, at(0, 0), 1, None);
        let t = temp_file_name(&f, 1234);
        assert!(t.starts_with('.'));
        assert_eq!(temp_file_pid(&t), Some(1234));
        assert_eq!(temp_file_pid(".leakwatch-12-other.tmp"), None);
        assert!(!is_snapshot_file_name(&t));
    }
}
