use super::*;
use crate::heap::distances::Distances;
use crate::heap::graph::tests::build;

/// The verdict on `node` of a graph built from `(type, name)` nodes and edges.
fn verdict_of(nodes: &[(&str, &str)], edges: &[(u32, &str, &str, u32)], node: u32) -> Verdict {
    let g = build(nodes, edges);
    let d = Distances::compute(&g);
    verdict(&g, &d.path_edges(&g, node))
}

/// Node 0..=6: root, global, a closure of /srv/app.js, its module scope
/// (outer context: the native context), the native context, the closure's
/// shared info and the script. Cases append their nodes from 7.
type Nodes = Vec<(&'static str, &'static str)>;
type Edges = Vec<(u32, &'static str, &'static str, u32)>;

fn module_base() -> (Nodes, Edges) {
    (
        vec![
            ("synthetic", ""),
            ("object", "global"),
            ("closure", "onSignal"),
            ("object", "system / Context"),
            ("hidden", "system / NativeContext"),
            ("code", "(shared function info)"),
            ("code", "/srv/app.js"),
        ],
        vec![
            (0, "element", "1", 1),
            (1, "property", "handler", 2),
            (2, "internal", "context", 3),
            (2, "internal", "shared", 5),
            (5, "internal", "script_or_debug_info", 6),
            (3, "internal", "previous", 4),
        ],
    )
}

#[test]
fn a_module_variable_is_named_with_its_file_not_the_closure_on_the_path() {
    let (mut n, mut e) = module_base();
    n.extend([("object", "Array"), ("array", ""), ("object", "Object")]);
    e.extend([
        (3, "context", "requestLog", 7),
        (7, "internal", "elements", 8),
        (8, "element", "0", 9),
    ]);
    let v = verdict_of(&n, &e, 9);
    assert_eq!(v.kind, LeakKind::UnboundedCollection);
    assert_eq!(v.holder.name.as_deref(), Some("requestLog"));
    assert_eq!(v.holder.holder_type, "variable");
    assert_eq!(v.holder.script.as_deref(), Some("/srv/app.js"));
    assert!(
        v.holder.description.contains("module scope of /srv/app.js"),
        "{:?}",
        v.holder
    );
    assert_eq!(v.anchor, Some((3, "module scope of /srv/app.js".into())));
    assert_eq!(v.held, 7);
    assert!(v.location.is_none(), "no unrelated closure's line");
}

#[test]
fn a_property_is_named_with_its_owners_class_and_map_members_are_skipped() {
    let n = [
        ("synthetic", ""),
        ("object", "global"),
        ("object", "TokenCache"),
        ("object", "Map"),
        ("array", ""),
        ("string", "tok-1"),
        ("object", "Object"),
    ];
    let e = [
        (0, "element", "1", 1),
        (1, "property", "tokens", 2),
        (2, "property", "entries", 3),
        (3, "internal", "table", 4),
        (4, "internal", "35", 5),
        (4, "internal", "36", 6),
    ];
    for member in [5, 6] {
        let v = verdict_of(&n, &e, member);
        assert_eq!(v.kind, LeakKind::UnboundedCollection);
        assert_eq!(v.holder.description, "property `TokenCache.entries` (Map)");
        assert_eq!(v.held, 3, "keys and values have one holder");
    }
}

#[test]
fn listeners_name_the_event_and_the_emitter() {
    let n = [
        ("synthetic", ""),
        ("object", "global"),
        ("object", "EventEmitter"),
        ("object", "Object"),
        ("object", "Array"),
        ("array", ""),
        ("closure", "onReload"),
    ];
    let e = [
        (0, "element", "1", 1),
        (1, "property", "bus", 2),
        (2, "property", "_events", 3),
        (3, "property", "configReload", 4),
        (4, "internal", "elements", 5),
        (5, "element", "7", 6),
    ];
    let v = verdict_of(&n, &e, 6);
    assert_eq!(v.kind, LeakKind::EventListeners);
    assert_eq!(v.holder.name.as_deref(), Some("configReload"));
    assert_eq!(v.holder.owner.as_deref(), Some("EventEmitter"));
    assert_eq!(v.holder.function.as_deref(), Some("onReload"));
}

#[test]
fn data_captured_by_a_listener_is_a_listener_leak() {
    let (mut n, mut e) = module_base();
    n.extend([
        ("object", "EventEmitter"),
        ("object", "Object"),
        ("closure", "onReload"),
        ("object", "system / Context"),
        ("object", "Request"),
    ]);
    e.extend([
        (3, "context", "bus", 7),
        (7, "property", "_events", 8),
        (8, "property", "configReload", 9),
        (9, "internal", "context", 10),
        (10, "internal", "previous", 3),
        (10, "context", "req", 11),
    ]);
    let v = verdict_of(&n, &e, 11);
    assert_eq!(v.kind, LeakKind::EventListeners);
    assert_eq!(v.holder.name.as_deref(), Some("configReload"));
}

fn timer_graph(with_store: bool) -> Verdict {
    let (mut n, mut e) = module_base();
    n.extend([
        ("object", "Object"),
        ("object", "TimersList"),
        ("object", "Timeout"),
        ("object", "Timeout"),
        ("closure", "poll"),
        ("object", "Object"),
    ]);
    e.extend([
        (3, "context", "timerListMap", 7),
        (7, "property", "3600000", 8),
        (8, "property", "_idleNext", 9),
        (9, "property", "_idleNext", 10),
        (10, "property", "_onTimeout", 11),
    ]);
    if with_store {
        e.push((10, "property", "Symbol(kResourceStore)", 12));
    }
    verdict_of(&n, &e, 10)
}

#[test]
fn timers_name_their_callback() {
    let v = timer_graph(false);
    assert_eq!(v.kind, LeakKind::Timers);
    assert_eq!(v.holder.name.as_deref(), Some("poll"));
    assert_eq!(v.holder.holder_type, "timer-list");
}

#[test]
fn timers_holding_an_async_local_storage_store_are_async_context() {
    let v = timer_graph(true);
    assert_eq!(v.kind, LeakKind::AsyncContext);
    assert_eq!(v.holder.name.as_deref(), Some("poll"));
}

#[test]
fn promise_chains_buffers_and_closures() {
    let (mut n, mut e) = module_base();
    n.extend([
        ("object", "Promise"),
        ("hidden", "system / PromiseReaction"),
        ("object", "Promise"),
        ("object", "Array"),
        ("object", "Buffer"),
        ("closure", "audit"),
    ]);
    e.extend([
        (3, "context", "queue", 7),
        (7, "internal", "reactions_or_result", 8),
        (8, "internal", "promise_or_capability", 9),
        (3, "context", "chunks", 10),
        (10, "element", "0", 11),
        (10, "element", "1", 12),
    ]);
    let g = build(&n, &e);
    let d = Distances::compute(&g);
    let kind = |v: u32| verdict(&g, &d.path_edges(&g, v)).kind;
    assert_eq!(kind(9), LeakKind::PromiseChain);
    assert_eq!(kind(11), LeakKind::ExternalBuffers);
    assert_eq!(kind(12), LeakKind::Closures);
    assert_eq!(
        verdict(&g, &d.path_edges(&g, 12))
            .holder
            .function
            .as_deref(),
        Some("audit")
    );
}

#[test]
fn sockets_held_by_native_handles_are_unclosed_resources() {
    let n = [
        ("synthetic", ""),
        ("synthetic", "(GC roots)"),
        ("synthetic", "(Global handles)"),
        ("native", "TCP"),
        ("object", "Socket"),
    ];
    let e = [
        (0, "element", "1", 1),
        (1, "element", "2", 2),
        (2, "element", "0", 3),
        (3, "property", "<symbol owner_symbol>", 4),
    ];
    let v = verdict_of(&n, &e, 4);
    assert_eq!(v.kind, LeakKind::UnclosedResources);
    assert_eq!(v.holder.holder_type, "handles");
    assert_eq!(v.holder.name.as_deref(), Some("Socket"));
}

#[test]
fn nothing_named_on_the_path_is_unknown() {
    let n = [
        ("synthetic", ""),
        ("synthetic", "(GC roots)"),
        ("object", "Foo"),
    ];
    let e = [(0, "element", "1", 1), (1, "element", "3", 2)];
    let v = verdict_of(&n, &e, 2);
    assert_eq!(v.kind, LeakKind::Unknown);
    assert_eq!(v.holder.holder_type, "unknown");
    assert_eq!(v.held, 0);
}

#[test]
fn objects_carrying_a_per_call_closure_are_closure_leaks() {
    // An Express-like `stack` of Layers, each with a handler made per request.
    let (mut n, mut e) = module_base();
    n.extend([
        ("object", "Array"),
        ("object", "Layer"),
        ("closure", "handler"),
        ("object", "system / Context"),
        ("object", "Layer"),
        ("closure", "moduleLevel"),
    ]);
    e.extend([
        (3, "context", "stack", 7),
        (7, "element", "0", 8),
        (8, "property", "handle", 9),
        (9, "internal", "context", 10),
        (10, "internal", "previous", 3),
        (7, "element", "1", 11),
        (11, "property", "handle", 12),
        (12, "internal", "context", 3),
    ]);
    let v = verdict_of(&n, &e, 8);
    assert_eq!(v.kind, LeakKind::Closures);
    assert_eq!(v.holder.function.as_deref(), Some("handler"));
    assert_eq!(v.holder.name.as_deref(), Some("stack"));
    // A closure of the module scope captures no request: a plain collection.
    assert_eq!(verdict_of(&n, &e, 11).kind, LeakKind::UnboundedCollection);
}

#[test]
fn a_promise_chain_kept_by_one_timer_is_a_promise_chain() {
    // sleep()'s timer resolves the newest promise of a recursive async chain.
    let (mut n, mut e) = module_base();
    n.extend([
        ("object", "Object"),
        ("object", "TimersList"),
        ("object", "Timeout"),
        ("closure", "resolve"),
        ("object", "system / Context"),
        ("object", "Promise"),
        ("hidden", "system / PromiseReaction"),
        ("object", "Promise"),
    ]);
    e.extend([
        (3, "context", "timerListMap", 7),
        (7, "property", "1", 8),
        (8, "property", "_idleNext", 9),
        (9, "property", "_onTimeout", 10),
        (10, "internal", "context", 11),
        (11, "internal", "promise", 12),
        (12, "internal", "reactions_or_result", 13),
        (13, "internal", "promise_or_capability", 14),
    ]);
    assert_eq!(verdict_of(&n, &e, 12).kind, LeakKind::PromiseChain);
    assert_eq!(verdict_of(&n, &e, 9).kind, LeakKind::Timers);
}

#[test]
fn counted_resource_classes_are_resource_classes() {
    assert_eq!(
        super::COUNTED_RESOURCE_CLASSES,
        [
            "Socket",
            "TLSSocket",
            "Server",
            "WriteStream",
            "ReadStream",
            "FileHandle",
            "ChildProcess"
        ]
    );
    for class in super::COUNTED_RESOURCE_CLASSES {
        assert!(super::RESOURCE_CLASSES.contains(class), "{class}");
    }
}
