//! The node that Rust tests which run real node processes use (the heap
//! end-to-end tests). Without one such a test is skipped, and says so on the
//! terminal; under CI it fails, so a machine without node cannot pass
//! silently.

use std::ffi::OsString;
use std::io::Write;
use std::path::PathBuf;

/// Where node is looked for after `LEAKWATCH_TEST_NODE` and `PATH`.
const USUAL: [&str; 2] = ["/usr/bin/node", "/usr/local/bin/node"];

/// The node for `test`, or `None` (announced) when there is none; panics
/// under CI or when `LEAKWATCH_TEST_NODE` names no file.
pub fn node(test: &str) -> Option<PathBuf> {
    match find(&|k| std::env::var_os(k), &USUAL) {
        Ok(Some(node)) => Some(node),
        Ok(None) => {
            // Not eprintln!: the harness captures that, and shows a passing
            // test's output only with --nocapture.
            let _ = writeln!(
                std::io::stderr(),
                "SKIPPED {test}: node not found (LEAKWATCH_TEST_NODE, PATH, {})",
                USUAL.join(", ")
            );
            None
        }
        Err(why) => panic!("{test}: {why}"),
    }
}

/// `LEAKWATCH_TEST_NODE` (as for the Jest tests), else `node` on `PATH`, else
/// the first of `usual` that exists. Err when there is none under CI (`CI`
/// set and not "false" or "0"), or when `LEAKWATCH_TEST_NODE` is no file.
fn find(env: &dyn Fn(&str) -> Option<OsString>, usual: &[&str]) -> Result<Option<PathBuf>, String> {
    if let Some(given) = env("LEAKWATCH_TEST_NODE") {
        let given = PathBuf::from(given);
        return if given.is_file() {
            Ok(Some(given))
        } else {
            Err(format!(
                "LEAKWATCH_TEST_NODE={} is no file",
                given.display()
            ))
        };
    }
    let on_path = env("PATH").and_then(|p| {
        std::env::split_paths(&p)
            .map(|d| d.join("node"))
            .find(|f| f.is_file())
    });
    let found = on_path.or_else(|| usual.iter().map(PathBuf::from).find(|p| p.is_file()));
    let ci = env("CI").is_some_and(|v| !v.is_empty() && v != "false" && v != "0");
    if found.is_none() && ci {
        return Err("node not found, and under CI the end-to-end tests must run".into());
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<OsString> + 'a {
        move |k| vars.iter().find(|(n, _)| *n == k).map(|(_, v)| v.into())
    }

    #[test]
    fn a_missing_node_skips_locally_and_fails_under_ci() {
        let empty = std::env::temp_dir().join(format!("lw-no-node-{}", std::process::id()));
        std::fs::create_dir_all(&empty).unwrap();
        let path = empty.to_str().unwrap();
        assert_eq!(find(&with(&[("PATH", path)]), &[]), Ok(None));
        assert_eq!(
            find(&with(&[("PATH", path), ("CI", "false")]), &[]),
            Ok(None)
        );
        assert!(find(&with(&[("PATH", path), ("CI", "true")]), &[]).is_err());
        assert!(find(&with(&[("CI", "1")]), &[]).is_err());
        let _ = std::fs::remove_dir_all(&empty);
    }

    #[test]
    fn node_is_found_on_path_or_where_it_is_named() {
        let dir = std::env::temp_dir().join(format!("lw-fake-node-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let node = dir.join("node");
        std::fs::write(&node, "").unwrap();
        let d = dir.to_str().unwrap();
        let n = node.to_str().unwrap();
        assert_eq!(
            find(&with(&[("PATH", d), ("CI", "true")]), &[]),
            Ok(Some(node.clone()))
        );
        assert_eq!(find(&with(&[("CI", "true")]), &[n]), Ok(Some(node.clone())));
        assert_eq!(
            find(&with(&[("LEAKWATCH_TEST_NODE", n)]), &[]),
            Ok(Some(node.clone()))
        );
        assert!(find(&with(&[("LEAKWATCH_TEST_NODE", d), ("PATH", d)]), &[]).is_err());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
