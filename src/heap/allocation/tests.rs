use std::io::Cursor;

use proptest::prelude::*;

use super::super::error::HeapErrorKind;
use super::super::report::{to_text, Report};
use super::fixtures::{frame, opts, ranked, report, site_at, suspect};
use super::*;

/// A profile shaped like V8's: (root) > main > recordAccess > push, with
/// leakwatch's own explain() and a Node internal in another branch.
fn profile(record: u64, other: u64, internal: u64) -> String {
    format!(
        r#"{{"head":{{{root},"selfSize":0,"id":1,"children":[
          {{{main},"selfSize":0,"id":2,"children":[
            {{{rec},"selfSize":{record},"id":3,"children":[
              {{{push},"selfSize":8,"id":4,"children":[]}}]}},
            {{{cache},"selfSize":{other},"id":5,"children":[]}},
            {{{own},"selfSize":0,"id":6,"children":[
              {{{node},"selfSize":{internal},"id":7,"children":[]}}]}}]}}]}},
          "samples":[{{"size":4096,"nodeId":3,"ordinal":1}}]}}"#,
        root = frame("(root)", "", -1),
        main = frame("main", "/srv/app.js", 1),
        rec = frame("recordAccess", "/srv/app.js", 4),
        push = frame("push", "", -1),
        cache = frame("warmCache", "/srv/cache.js", 9),
        own = frame("explain", "/opt/leakwatch/lib/growth.js", 200),
        node = frame("writeFileSync", "node:fs", 2359),
    )
}

fn sites(profiles: &[String]) -> Result<Vec<AllocationSite>, HeapError> {
    ranked(profiles, &opts())
}

#[test]
fn ranks_stacks_by_growth_between_first_and_last() {
    let s = sites(&[profile(1000, 5000, 0), profile(90_000, 5000, 0)]).unwrap();
    // warmCache and push's own stack did not grow: left out, however big.
    assert_eq!(s.len(), 1, "{s:?}");
    assert_eq!(s[0].function_name, "recordAccess");
    assert_eq!(s[0].bytes, 89_000);
    // Live bytes are the function's: its push stack's 8 bytes count.
    assert_eq!(s[0].live_bytes, 90_008);
    assert_eq!(s[0].stacks, 2);
    assert_eq!(
        (s[0].url.as_str(), s[0].line, s[0].column),
        ("/srv/app.js", 4, 4)
    );
    // the builtin `push` stays in the frames, innermost first, without (root).
    let names: Vec<&str> = s[0]
        .frames
        .iter()
        .map(|f| f.function_name.as_str())
        .collect();
    assert_eq!(names, ["recordAccess", "main"]);
}

#[test]
fn node_internals_are_skipped_and_leakwatch_allocations_left_out() {
    // Allocation in node:fs called from leakwatch's explain(): leakwatch's.
    let s = sites(&[profile(0, 0, 0), profile(0, 0, 70_000)]).unwrap();
    assert!(s.is_empty(), "{s:?}");
    // The same stack without leakwatch: past node:fs, the caller is the culprit.
    let mine = profile(0, 0, 70_000).replace("/opt/leakwatch/lib/growth.js", "/srv/jobs.js");
    let s = sites(&[profile(0, 0, 0), mine]).unwrap();
    assert_eq!(s[0].function_name, "explain", "{s:?}");
    assert_eq!(
        s[0].frames[0].url, "node:fs",
        "runtime frames stay in the stack"
    );
    // Only builtins and the runtime: no site.
    let native = r#"{"head":{"callFrame":{"functionName":"(root)","url":"","lineNumber":-1,"columnNumber":-1},"selfSize":0,"children":[
        {"callFrame":{"functionName":"(V8 API)","url":"","lineNumber":-1,"columnNumber":-1},"selfSize":9000,"children":[]}]}}"#;
    assert!(sites(&[native.to_string()]).unwrap().is_empty());
}

#[test]
fn one_profile_ranks_live_bytes() {
    let s = sites(&[profile(4096, 100, 0)]).unwrap();
    assert_eq!(s[0].function_name, "recordAccess");
    // recordAccess's own 4096 and the 8 of the builtin push it called.
    assert_eq!(s[0].bytes, 4104);
}

#[test]
fn deep_recursion_parses_without_recursing() {
    let depth = 5000;
    let mut p = String::from(r#"{"head":"#);
    for i in 0..depth {
        p.push_str(&format!(
            r#"{{{},"selfSize":{},"children":["#,
            frame("walk", "/srv/tree.js", 3),
            if i + 1 == depth { 512 } else { 0 }
        ));
    }
    for _ in 0..depth {
        p.push_str("]}");
    }
    p.push('}');
    let s = sites(std::slice::from_ref(&p)).unwrap();
    assert_eq!(s[0].bytes, 512);
    assert_eq!(s[0].frames.len(), 8);
    let tight = AllocationOptions {
        limits: ProfileLimits {
            max_depth: 100,
            ..ProfileLimits::default()
        },
        ..opts()
    };
    let err = sites_from_readers(vec![("deep".into(), Cursor::new(p))], &tight).unwrap_err();
    assert_eq!(err.kind, HeapErrorKind::TooLarge, "{err}");
}

#[test]
fn hostile_profiles_get_coded_errors() {
    let good = profile(10, 10, 10);
    let cases = [
        String::new(),
        "[]".into(),
        "{}".into(),
        r#"{"samples":[]}"#.into(),
        r#"{"head":{"selfSize":1,"children":[]}}"#.into(),
        r#"{"head":{"callFrame":{"functionName":1},"children":[]}}"#.into(),
        format!(r#"{{"head":{{{},"selfSize":-5}}}}"#, frame("f", "/a.js", 1)),
        format!(
            r#"{{"head":{{{},"selfSize":"big"}}}}"#,
            frame("f", "/a.js", 1)
        ),
        format!(
            r#"{{"head":{{{},"children":[1,2]}}}}"#,
            frame("f", "/a.js", 1)
        ),
        good[..good.len() / 2].to_string(),
        format!("{good}{good}").replacen("}{", ",", 1),
    ];
    for (i, c) in cases.iter().enumerate() {
        let err = sites(std::slice::from_ref(c)).unwrap_err();
        assert!(
            matches!(err.kind, HeapErrorKind::Profile),
            "case {i}: {err}"
        );
        assert_eq!(err.code(), "ERR_LEAKWATCH_PROFILE_INVALID");
        assert!(err.message.starts_with("p0: "), "names the file: {err}");
    }
}

#[test]
fn a_missing_file_is_an_io_error() {
    let err = sites_from_files(&["/nonexistent/x.heapprofile"], &opts()).unwrap_err();
    assert_eq!(err.kind, HeapErrorKind::Io);
}

#[test]
fn suspects_get_the_site_their_frames_name() {
    let mine = profile(90_000, 0, 120_000).replace("/opt/leakwatch/lib/growth.js", "/srv/app.js");
    let s = sites(&[profile(0, 0, 0), mine]).unwrap();
    assert_eq!(s[0].function_name, "explain", "the node:fs stack grew most");
    let mut r = report(vec![
        suspect("Session", Some("file:///srv/app.js")),
        suspect("recordAccess", None),
        suspect("(array)", None),
    ]);
    join(&mut r, s);
    let a = r.suspects[0].allocation.as_ref().unwrap();
    assert_eq!(a.matched_by.as_deref(), Some("script"));
    // Among the sites of its script, the one that grew most.
    assert_eq!(a.function_name, "explain");
    let b = r.suspects[1].allocation.as_ref().unwrap();
    assert_eq!(
        (b.function_name.as_str(), b.matched_by.as_deref()),
        ("recordAccess", Some("class"))
    );
    assert!(
        r.suspects[2].allocation.is_none(),
        "no frame tells, not the top suspect"
    );
    assert_eq!(r.summary.allocation_sites.len(), 2);
}

#[test]
fn the_top_suspect_falls_back_to_the_window_and_says_so() {
    let s = sites(&[profile(0, 0, 0), profile(90_000, 0, 0)]).unwrap();
    let mut r = report(vec![suspect("(array)", Some("/other.js"))]);
    join(&mut r, s);
    let a = r.suspects[0].allocation.as_ref().unwrap();
    assert_eq!(a.matched_by.as_deref(), Some("window"));
    let text = to_text(&r);
    assert!(
        text.contains("allocated by: recordAccess (/srv/app.js:5:5), +87.9 KiB sampled live, the top growing stack"),
        "{text}"
    );
    assert!(
        text.contains("allocation stack: recordAccess (/srv/app.js:5:5) < main (/srv/app.js:2:5)"),
        "{text}"
    );
    assert!(text.contains("Allocation sites by growth"), "{text}");
    let json = serde_json::to_value(&r).unwrap();
    assert_eq!(
        json["suspects"][0]["allocation"]["functionName"],
        "recordAccess"
    );
    assert_eq!(json["summary"]["allocationSites"][0]["bytes"], 90_000);
    // Reports saved before allocation sites existed still load.
    let mut old = json.clone();
    old["suspects"][0]
        .as_object_mut()
        .unwrap()
        .remove("allocation");
    old["summary"]
        .as_object_mut()
        .unwrap()
        .remove("allocationSites");
    let back: Report = serde_json::from_value(old).unwrap();
    assert!(back.suspects[0].allocation.is_none());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]
    #[test]
    fn cut_or_corrupted_profiles_never_panic(cut in 0usize..600, flip in 0usize..600, byte in any::<u8>()) {
        let mut p = profile(100, 200, 300).into_bytes();
        if let Some(b) = p.get_mut(flip) {
            *b = byte;
        }
        p.truncate(cut.min(p.len()));
        let _ = sites_from_readers(vec![("x".into(), Cursor::new(p))], &opts());
    }
}

#[test]
fn closures_get_the_function_whose_body_holds_them() {
    // afterResponseHooks.push(function audit() {...}) at line 30 of app.js,
    // inside auditMiddleware (line 20); the client helper at line 40 grew
    // more, and an earlier function at line 5 too.
    let sites = vec![
        site_at("get", "/srv/app.js", 40, 900_000),
        site_at("boot", "/srv/app.js", 5, 500_000),
        site_at("auditMiddleware", "/srv/app.js", 20, 100_000),
        site_at(
            "send",
            "/srv/node_modules/express/response.js",
            10,
            2_000_000,
        ),
    ];
    let mut sus = suspect("audit", Some("/srv/app.js"));
    if let Some(l) = sus.location.as_mut() {
        l.line = 30;
        l.column = 8;
    }
    let mut r = report(vec![sus, suspect("(array)", Some("/srv/app.js"))]);
    join(&mut r, sites);
    let a = r.suspects[0].allocation.as_ref().unwrap();
    assert_eq!(
        (a.function_name.as_str(), a.matched_by.as_deref()),
        ("auditMiddleware", Some("encloses"))
    );
    // A suspect at the script's top precedes every site: the script's largest.
    let b = r.suspects[1].allocation.as_ref().unwrap();
    assert_eq!(
        (b.function_name.as_str(), b.matched_by.as_deref()),
        ("get", Some("script"))
    );
}

#[test]
fn two_holders_of_one_script_get_two_sites_when_two_grew() {
    // The demo service: `reportCache` (worse) and `requestLog`, filled by two
    // handlers of server.js; both sites are tied to both by the script.
    let sites = vec![
        site_at("report", "/srv/app.js", 24, 2_100_000),
        site_at("profile", "/srv/app.js", 17, 1_000_000),
    ];
    let mut r = report(vec![
        suspect("Array", Some("/srv/app.js")),
        suspect("Object", Some("/srv/app.js")),
    ]);
    join(&mut r, sites.clone());
    let names: Vec<&str> = r
        .suspects
        .iter()
        .map(|s| s.allocation.as_ref().unwrap().function_name.as_str())
        .collect();
    assert_eq!(names, ["report", "profile"]);
    // With one growing site there is no other to give: both get it.
    let mut r = report(vec![
        suspect("Array", Some("/srv/app.js")),
        suspect("Object", Some("/srv/app.js")),
    ]);
    join(&mut r, vec![sites[0].clone()]);
    let names: Vec<&str> = r
        .suspects
        .iter()
        .map(|s| s.allocation.as_ref().unwrap().function_name.as_str())
        .collect();
    assert_eq!(names, ["report", "report"]);
}
