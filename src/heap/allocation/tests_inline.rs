//! Sites per allocating function, and inlined callees (inline.rs), on
//! hand-built profiles shaped like V8's.

use super::fixtures::{bytes_of, frame, opts, ranked, APP};
use super::*;

/// A node: `name` at `url:line`, its self bytes, its children.
fn n(name: &str, url: &str, line: i64, self_size: u64, kids: &[String]) -> String {
    format!(
        r#"{{{},"selfSize":{self_size},"children":[{}]}}"#,
        frame(name, url, line),
        kids.join(",")
    )
}

fn app(name: &str, line: i64, self_size: u64, kids: &[String]) -> String {
    n(name, APP, line, self_size, kids)
}

fn root(kids: &[String]) -> String {
    format!(
        r#"{{"head":{},"samples":[]}}"#,
        n("(root)", "", -1, 0, kids)
    )
}

fn sites(profiles: &[String]) -> Vec<AllocationSite> {
    ranked(profiles, &opts()).unwrap()
}

/// An Express-like service: the route handler is reached by two router
/// paths; under one it still shows its callee recordAccess (sampled before
/// the handler was optimized), under the other only its own self bytes.
fn service(handler: [u64; 2], record: u64) -> String {
    let layer = "/srv/node_modules/express/lib/router/layer.js";
    let push = n("push", "", -1, 0, &[]);
    root(&[
        n(
            "handle",
            layer,
            85,
            0,
            &[app(
                "handler",
                21,
                handler[0],
                &[app("recordAccess", 16, record, &[push])],
            )],
        ),
        n(
            "next",
            layer,
            120,
            0,
            &[app("handler", 21, handler[1], &[])],
        ),
    ])
}

#[test]
fn a_function_reached_by_many_stacks_is_one_site() {
    let s = sites(&[service([0, 0], 0), service([0, 0], 5000)]);
    assert_eq!(s.len(), 1, "{s:?}");
    let one = sites(&[service([0, 0], 0), service([3000, 4000], 0)]);
    assert_eq!(one.len(), 1, "{one:?}");
    assert_eq!(
        (one[0].function_name.as_str(), one[0].bytes, one[0].stacks),
        ("handler", 7000, 2)
    );
    // The example stack is the one that grew most.
    assert_eq!(one[0].frames[1].function_name, "next");
}

#[test]
fn an_inlined_callee_gets_its_callers_growth_and_says_so() {
    // Before the window the handler held nothing of its own; then it was
    // optimized with recordAccess inlined and was charged everything.
    let s = sites(&[service([0, 0], 1000), service([40_000, 60_000], 3000)]);
    assert_eq!(s.len(), 1, "the handler keeps nothing: {s:?}");
    assert_eq!(s[0].function_name, "recordAccess");
    assert_eq!(s[0].bytes, 102_000);
    assert_eq!(s[0].live_bytes, 103_000);
    let into = &s[0].inlined_into;
    assert_eq!(into.len(), 1);
    assert_eq!(
        (into[0].function_name.as_str(), into[0].line, into[0].bytes),
        ("handler", 21, 100_000)
    );
    let mut text = String::new();
    render_sites(&mut text, &s);
    assert!(
        text.contains("+99.6 KiB  recordAccess (/srv/app.js:17:5), partly inlined into handler 22:5 (+97.7 KiB)\n"),
        "{text}"
    );
    let json = serde_json::to_value(&s[0]).unwrap();
    assert_eq!(json["inlinedInto"][0]["functionName"], "handler");
    assert_eq!(
        json["functionName"], "recordAccess",
        "old fields keep their names"
    );
}

#[test]
fn a_caller_that_allocates_itself_keeps_its_growth() {
    // Both allocate at one rate before and during the window: no inlining.
    let s = sites(&[service([1000, 0], 1000), service([5000, 0], 5000)]);
    assert_eq!(
        (bytes_of(&s, "handler"), bytes_of(&s, "recordAccess")),
        (Some(4000), Some(4000))
    );
    assert!(s.iter().all(|x| x.inlined_into.is_empty()), "{s:?}");
    // Sampling noise around that ratio moves nothing either.
    let s = sites(&[service([1000, 0], 1000), service([5200, 0], 4800)]);
    assert_eq!(
        (bytes_of(&s, "handler"), bytes_of(&s, "recordAccess")),
        (Some(4200), Some(3800))
    );
    // The caller's growth outpaces its ratio: only the excess moves.
    // gF 8000, gG 2000, r 1: inlined (8000 - 2000) / 2 = 3000.
    let s = sites(&[service([1000, 0], 1000), service([9000, 0], 3000)]);
    assert_eq!(
        (bytes_of(&s, "handler"), bytes_of(&s, "recordAccess")),
        (Some(5000), Some(5000))
    );
}

#[test]
fn without_a_before_nothing_moves() {
    // One profile (measureGrowth), or callees with nothing live before.
    let s = sites(&[service([40_000, 0], 3000)]);
    assert_eq!(
        (bytes_of(&s, "handler"), bytes_of(&s, "recordAccess")),
        (Some(40_000), Some(3000))
    );
    let s = sites(&[service([0, 0], 0), service([40_000, 0], 3000)]);
    assert_eq!(
        (bytes_of(&s, "handler"), bytes_of(&s, "recordAccess")),
        (Some(40_000), Some(3000))
    );
}

fn two_callees(f: u64, g1: u64, g2: u64, sliver: u64) -> String {
    root(&[app(
        "handler",
        21,
        f,
        &[
            app("audit", 30, g1, &[]),
            app("remember", 40, g2, &[]),
            app("log", 50, sliver, &[]),
        ],
    )])
}

#[test]
fn two_callees_share_by_growth_and_a_sliver_gets_nothing() {
    let s = sites(&[
        two_callees(0, 1000, 1000, 0),
        two_callees(8000, 4000, 2000, 50),
    ]);
    assert_eq!(bytes_of(&s, "handler"), None, "{s:?}");
    assert_eq!(bytes_of(&s, "audit"), Some(3000 + 6000));
    assert_eq!(bytes_of(&s, "remember"), Some(1000 + 2000));
    assert_eq!(bytes_of(&s, "log"), Some(50));
}

fn chain(a: u64, b: u64, c: u64) -> String {
    root(&[app("a", 1, a, &[app("b", 2, b, &[app("c", 3, c, &[])])])])
}

#[test]
fn a_deep_chain_moves_down_to_the_innermost_callee() {
    // c was inlined into b, then b into a; only c ran on its own before.
    let s = sites(&[chain(0, 0, 1000), chain(30_000, 10_000, 2000)]);
    assert_eq!(s.len(), 1, "{s:?}");
    assert_eq!((s[0].function_name.as_str(), s[0].bytes), ("c", 41_000));
    assert_eq!(s[0].inlined_into[0].function_name, "b");
}

#[test]
fn hostile_shapes_move_nothing() {
    // Recursion: f > g > f > g, a cycle gives no direction to trust.
    let cyc = |f: u64, g: u64| {
        root(&[app(
            "f",
            1,
            f,
            &[app("g", 2, g, &[app("f", 1, f, &[app("g", 2, g, &[])])])],
        )])
    };
    let s = sites(&[cyc(0, 1000), cyc(9000, 2000)]);
    assert_eq!(
        (bytes_of(&s, "f"), bytes_of(&s, "g")),
        (Some(18_000), Some(2000)),
        "{s:?}"
    );
    // A callee that shrank, or a caller that is leakwatch's own.
    let s = sites(&[service([0, 0], 5000), service([40_000, 0], 1000)]);
    assert_eq!(bytes_of(&s, "handler"), Some(40_000));
    let own = |f: u64, g: u64| {
        root(&[n(
            "explain",
            "/opt/leakwatch/lib/g.js",
            9,
            f,
            &[app("fn", 2, g, &[])],
        )])
    };
    let s = sites(&[own(0, 1000), own(9000, 2000)]);
    assert_eq!((s.len(), bytes_of(&s, "fn")), (1, Some(1000)), "{s:?}");
    // Self-recursion alone is no edge.
    let me = |x: u64| root(&[app("walk", 1, 0, &[app("walk", 1, x, &[])])]);
    let s = sites(&[me(1000), me(5000)]);
    assert_eq!((s.len(), s[0].bytes), (1, 4000));
}
