//! Suspects whose closures' creator the snapshot names (`enclosing_function`).

use super::fixtures::{report, site_at, suspect};
use super::render::render_suspect;
use super::*;

fn audit_middleware() -> Frame {
    Frame {
        function_name: "auditMiddleware".into(),
        url: "/srv/app.js".into(),
        line: 20,
        column: 2,
    }
}

fn audit_closures() -> Suspect {
    let mut sus = suspect("audit", Some("/srv/app.js"));
    if let Some(l) = sus.location.as_mut() {
        l.line = 30;
        l.column = 8;
    }
    sus.enclosing_function = Some(audit_middleware());
    sus
}

#[test]
fn the_creator_named_by_the_snapshot_wins_over_a_nearer_growing_sibling() {
    // `helper` starts between auditMiddleware and the closure and grew: the
    // position rule alone would take it.
    let sites = vec![
        site_at("helper", "/srv/app.js", 25, 900_000),
        site_at("auditMiddleware", "file:///srv/app.js", 20, 100_000),
    ];
    let mut r = report(vec![audit_closures()]);
    join(&mut r, sites);
    let a = r.suspects[0].allocation.as_ref().unwrap();
    assert_eq!(
        (a.function_name.as_str(), a.matched_by.as_deref(), a.bytes),
        ("auditMiddleware", Some("encloses"), 100_000)
    );
    let mut text = String::new();
    render_suspect(&mut text, &r.suspects[0]);
    assert!(
        text.contains("sampled live; its body holds the closures"),
        "{text}"
    );
}

#[test]
fn an_unsampled_creator_is_named_from_the_snapshot_with_its_callers() {
    // auditMiddleware allocated nothing sampled, but a growing stack passed
    // through it (its `next()` ran the route): its callers come from there.
    let mut through = site_at("send", "/srv/node_modules/express/response.js", 10, 500_000);
    through.frames = vec![
        Frame {
            function_name: "send".into(),
            url: through.url.clone(),
            line: 10,
            column: 2,
        },
        audit_middleware(),
        Frame {
            function_name: "handle".into(),
            url: "/srv/node_modules/express/layer.js".into(),
            line: 5,
            column: 2,
        },
    ];
    let mut r = report(vec![audit_closures()]);
    join(
        &mut r,
        vec![site_at("get", "/srv/app.js", 40, 900_000), through],
    );
    let a = r.suspects[0].allocation.as_ref().unwrap();
    assert_eq!(
        (a.function_name.as_str(), a.matched_by.as_deref(), a.bytes),
        ("auditMiddleware", Some("scope"), 0)
    );
    let callers: Vec<&str> = a.frames.iter().map(|f| f.function_name.as_str()).collect();
    assert_eq!(callers, ["auditMiddleware", "handle"]);
    let mut text = String::new();
    render_suspect(&mut text, &r.suspects[0]);
    assert!(
        text.contains("allocated by: auditMiddleware (/srv/app.js:21:3)"),
        "{text}"
    );
    assert!(text.contains("no sampled allocation"), "{text}");
    assert!(!text.contains("sampled live"), "{text}");
}

#[test]
fn without_any_profile_the_creator_is_still_named() {
    let mut r = report(vec![
        audit_closures(),
        suspect("(array)", Some("/srv/app.js")),
    ]);
    attach(&mut r, &[] as &[&str], &AllocationOptions::default()).unwrap();
    let a = r.suspects[0].allocation.as_ref().unwrap();
    assert_eq!(
        (a.function_name.as_str(), a.matched_by.as_deref()),
        ("auditMiddleware", Some("scope"))
    );
    assert_eq!(a.frames, vec![audit_middleware()]);
    // Nothing else is guessed without samples.
    assert!(r.suspects[1].allocation.is_none());
}
