//! Which sampling heap profiles a report's allocation sites came from, so a
//! report without an "allocated by" line says why.

use std::fmt::Write;

use serde::{Deserialize, Serialize};

/// The profiles an analysis read, or where it looked for them.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProfilesRead {
    /// `given` (the caller named them), `beside` (`<snapshot base>.heapprofile`
    /// looked for beside each snapshot) or `off` (`profiles: false`).
    pub source: String,
    /// The `.heapprofile` files read, oldest first.
    pub files: Vec<String>,
    /// With `beside`: every path looked at, found or not.
    #[serde(default)]
    pub looked_for: Vec<String>,
}

/// The report head's lines about profiles: one per profile read, or why
/// there is none.
pub fn write_profiles(out: &mut String, p: &ProfilesRead) {
    for (i, file) in p.files.iter().enumerate() {
        // Beside the snapshots, numbered as the snapshot it sits beside, so
        // one missing does not shift the others' numbers.
        let n = p.looked_for.iter().position(|l| l == file).unwrap_or(i) + 1;
        let _ = writeln!(out, "  profile {n}: {file}");
    }
    if !p.files.is_empty() {
        return;
    }
    let why = match p.source.as_str() {
        "beside" if p.looked_for.is_empty() => {
            "none beside the snapshots (their names have no .heapsnapshot suffix)".to_string()
        }
        "beside" => format!(
            "none beside the snapshots (looked for {})",
            p.looked_for.join(", ")
        ),
        "off" => "not read (profiles: false, --no-profiles)".to_string(),
        _ => "none given".to_string(),
    };
    let _ = writeln!(
        out,
        "  sampling heap profile: {why}; without one, \"allocated by\" names only the makers \
         of closures made per call (watch() saves <snapshot base>.heapprofile beside its \
         snapshots; or --profile <file>)"
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(p: &ProfilesRead) -> String {
        let mut out = String::new();
        write_profiles(&mut out, p);
        out
    }

    #[test]
    fn profiles_beside_are_numbered_as_their_snapshots() {
        let p = ProfilesRead {
            source: "beside".into(),
            files: vec!["/s/b.heapprofile".into(), "/s/c.heapprofile".into()],
            looked_for: vec![
                "/s/a.heapprofile".into(),
                "/s/b.heapprofile".into(),
                "/s/c.heapprofile".into(),
            ],
        };
        assert_eq!(
            text(&p),
            "  profile 2: /s/b.heapprofile\n  profile 3: /s/c.heapprofile\n"
        );
    }

    #[test]
    fn the_profiles_read_are_listed_oldest_first() {
        let p = ProfilesRead {
            source: "beside".into(),
            files: vec!["/d/a.heapprofile".into(), "/d/b.heapprofile".into()],
            looked_for: vec!["/d/a.heapprofile".into(), "/d/b.heapprofile".into()],
        };
        assert_eq!(
            text(&p),
            "  profile 1: /d/a.heapprofile\n  profile 2: /d/b.heapprofile\n"
        );
    }

    #[test]
    fn no_profile_says_where_it_was_looked_for_or_that_it_was_off() {
        let beside = ProfilesRead {
            source: "beside".into(),
            files: vec![],
            looked_for: vec!["/d/a.heapprofile".into()],
        };
        let t = text(&beside);
        assert!(
            t.contains("none beside the snapshots (looked for /d/a.heapprofile)"),
            "{t}"
        );
        assert!(
            t.contains("without one, \"allocated by\" names only"),
            "{t}"
        );
        let off = ProfilesRead {
            source: "off".into(),
            ..ProfilesRead::default()
        };
        assert!(text(&off).contains("not read (profiles: false"));
        let json = serde_json::to_value(&beside).unwrap_or_default();
        assert_eq!(json["lookedFor"][0], "/d/a.heapprofile");
    }
}
