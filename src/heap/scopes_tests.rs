use super::*;
use crate::heap::graph::tests::build;
use crate::heap::graph::RawLocation;

const NODES: [(&str, &str); 22] = [
    ("synthetic", ""),
    ("hidden", "system / NativeContext"),
    ("object", "system / Context"), // 2: the module's scope
    ("code", "system / ScopeInfo"), // 3: its ScopeInfo
    ("object", "system / Context"), // 4: a call of auditMiddleware
    ("code", "system / ScopeInfo"), // 5: auditMiddleware's ScopeInfo
    ("code", "auditMiddleware"),    // 6: its SharedFunctionInfo
    ("code", "/srv/app.js"),        // 7: the script
    ("closure", "auditMiddleware"), // 8
    ("code", "audit"),              // 9: never called: no ScopeInfo yet
    ("string", "audit"),            // 10
    ("closure", "audit"),           // 11: made per call
    ("object", "system / Context"), // 12: a loop's block scope
    ("code", "system / ScopeInfo"), // 13: its ScopeInfo
    ("closure", ""),                // 14: made in the loop
    ("code", ""),                   // 15
    ("closure", "loadTime"),        // 16: made at load
    ("code", "loadTime"),           // 17
    ("closure", ""),                // 18: the module wrapper
    ("code", ""),                   // 19
    ("closure", "audit"),           // 20: made by a second call
    ("object", "system / Context"), // 21: that call's scope
];

fn edges() -> Vec<(u32, &'static str, &'static str, u32)> {
    let mut e = vec![
        (0, "element", "1", 8),
        (0, "element", "2", 11),
        (0, "element", "3", 14),
        (0, "element", "4", 16),
        (0, "element", "5", 18),
        (0, "element", "6", 20),
        (21, "internal", "previous", 2),
        (21, "internal", "scope_info", 5),
        (2, "internal", "previous", 1),
        (2, "internal", "scope_info", 3),
        (4, "internal", "previous", 2),
        (4, "internal", "scope_info", 5),
        (12, "internal", "previous", 4),
        (12, "internal", "scope_info", 13),
        (6, "internal", "name_or_scope_info", 5),
        (9, "internal", "name_or_scope_info", 10),
        (19, "internal", "name_or_scope_info", 3),
    ];
    for (closure, shared, context) in [
        (8, 6, 2),
        (11, 9, 4),
        (14, 15, 12),
        (16, 17, 2),
        (18, 19, 1),
        (20, 9, 21),
    ] {
        e.push((closure, "internal", "shared", shared));
        e.push((closure, "internal", "context", context));
        e.push((shared, "internal", "script_or_debug_info", 7));
    }
    e
}

fn graph(edges: &[(u32, &str, &str, u32)]) -> HeapGraph {
    let mut g = build(&NODES, edges);
    for (node, line, column) in [
        (8, 2, 24),
        (11, 4, 27),
        (14, 6, 41),
        (16, 10, 0),
        (18, 0, 0),
        (20, 4, 27),
    ] {
        let at = RawLocation {
            script_id: 81,
            line,
            column,
        };
        g.locations.push((node, at));
    }
    g
}

fn audit_middleware() -> Frame {
    Frame {
        function_name: "auditMiddleware".into(),
        url: "/srv/app.js".into(),
        line: 2,
        column: 24,
    }
}

#[test]
fn a_closure_made_per_call_names_the_function_it_was_made_in() {
    let g = graph(&edges());
    let scopes = ScopeIndex::build(&g);
    assert_eq!(scopes.enclosing_function(&g, 11), Some(audit_middleware()));
}

#[test]
fn a_block_scope_is_passed_through_to_the_function_around_it() {
    let g = graph(&edges());
    let scopes = ScopeIndex::build(&g);
    assert_eq!(scopes.enclosing_function(&g, 14), Some(audit_middleware()));
}

#[test]
fn the_creator_is_named_only_for_closures_made_one_per_leaked_object() {
    let g = graph(&edges());
    let scopes = LazyScopes::new(&g);
    // Two live `audit` closures: one per object when two objects leaked.
    assert_eq!(scopes.creator_per_object(11, 2), Some(audit_middleware()));
    assert_eq!(scopes.creator_per_object(11, 4), Some(audit_middleware()));
    // Two closures for a thousand leaked objects: they hold a collection,
    // they were not made with each object.
    assert_eq!(scopes.creator_per_object(11, 1000), None);
    // A group whose count did not grow (one closure's array grows) was not
    // made with closures, whatever their number.
    assert_eq!(scopes.creator_per_object(11, 0), None);
    // One closure of its kind is never "made per object".
    assert_eq!(scopes.creator_per_object(14, 1), None);
}

#[test]
fn a_closure_made_at_a_scripts_top_level_has_no_enclosing_function() {
    let g = graph(&edges());
    let scopes = ScopeIndex::build(&g);
    assert_eq!(scopes.enclosing_function(&g, 16), None);
    assert_eq!(scopes.enclosing_function(&g, 18), None);
    // The function itself, made at load, is not made by a call either.
    assert_eq!(scopes.enclosing_function(&g, 8), None);
}

#[test]
fn a_creator_with_no_live_closure_is_not_guessed() {
    let kept: Vec<_> = edges().into_iter().filter(|e| e.0 != 8).collect();
    let g = graph(&kept);
    assert_eq!(ScopeIndex::build(&g).enclosing_function(&g, 11), None);
}

#[test]
fn a_cycle_of_scopes_ends_the_walk() {
    let looped: Vec<_> = edges()
        .into_iter()
        .map(|e| match e {
            (12, "internal", "previous", _) => (12, "internal", "previous", 12),
            other => other,
        })
        .collect();
    let g = graph(&looped);
    assert_eq!(ScopeIndex::build(&g).enclosing_function(&g, 14), None);
}

#[test]
fn a_creator_in_a_module_that_captures_nothing_at_its_top_level_is_named() {
    // No module scope at all: auditMiddleware's scope sits right under the
    // realm's (a file that only defines and exports a class, say).
    let flat: Vec<_> = edges()
        .into_iter()
        .map(|e| match e {
            (4, "internal", "previous", _) => (4, "internal", "previous", 1),
            other => other,
        })
        .collect();
    let g = graph(&flat);
    let scopes = ScopeIndex::build(&g);
    assert_eq!(scopes.enclosing_function(&g, 11), Some(audit_middleware()));
}
