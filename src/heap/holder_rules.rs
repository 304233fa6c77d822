//! The rules that decide a suspect's kind (see `holder::verdict`), tried in
//! order: resources, promise chains, timers, listeners, buffers, closures.

use super::*;

/// The verdict as it is being decided.
pub(super) struct Draft<'p, 'a> {
    pub(super) p: &'p Path<'a>,
    pub(super) last: usize,
    pub(super) sample: u32,
    pub(super) step: Option<usize>,
    /// First path index the kind rules look at: what lies above a
    /// module-level holder is only how the path reached that module.
    pub(super) lo: usize,
    pub(super) v: Verdict,
}

/// Resources (sockets, servers, streams, handles) among the group.
pub(super) fn resources(d: &mut Draft) -> bool {
    let below = d.step.map_or(1, |k| k + 1);
    let Some(i) = find_class(d.p, below, &RESOURCE_CLASSES) else {
        return false;
    };
    d.v.kind = LeakKind::UnclosedResources;
    let class = d.p.class(d.p.node(i));
    let h = &d.v.holder;
    // Held by Node's own bookkeeping (a native handle's owner symbol, a
    // variable of a `node:` module): the handles are the holder.
    let name = h.name.as_deref().unwrap_or("");
    let internal = h.script.as_deref().is_some_and(|s| s.starts_with("node:"))
        || name.starts_with("<symbol")
        || name.starts_with("Symbol(")
        || h.owner
            .as_deref()
            .is_some_and(|o| RESOURCE_CLASSES.contains(&o));
    if internal || d.step.is_none() {
        d.v.holder = Holder {
            description: format!(
                "open {class} objects kept by their native handles or the event loop (never closed or destroyed)"
            ),
            name: Some(class.clone()),
            holder_type: "handles".into(),
            collection: Some(class),
            ..Holder::unknown()
        };
        d.v.anchor = None;
    }
    true
}

/// Promises chained into each other below the holder.
pub(super) fn promise_chain(d: &mut Draft) -> bool {
    let class = d.p.class(d.sample);
    let chained = class == "Promise"
        || d.p.graph.name(d.sample).contains("PromiseReaction")
        || find_class(d.p, d.lo.max(1), &["Promise"]).is_some_and(|i| i < d.last);
    if !chained || d.step.is_none() {
        return false;
    }
    d.v.kind = LeakKind::PromiseChain;
    let h = &mut d.v.holder;
    h.description = format!(
        "a chain of pending promises, reached from {}",
        h.description
    );
    h.holder_type = "promise-chain".into();
    true
}

/// Pending timers: the growing group is a timer list's `Timeout`s or hangs
/// below one; with an AsyncLocalStorage store on the timer, async context.
pub(super) fn timers(d: &mut Draft) -> bool {
    let Some(i) = find_class(d.p, d.lo, &["Timeout", "Immediate"]) else {
        return false;
    };
    let g = d.p.graph;
    let t = d.p.node(i);
    let cb = g.follow(t, &["_onTimeout", "_onImmediate"]);
    let store = g.edges(t).any(|e| {
        g.edge_name_text(e).contains("kResourceStore")
            && Some(g.kind(g.edge_target(e))) == g.types.node_object
    });
    let cb_name = cb.map(|c| fn_name(g, c));
    d.v.set_closure(g, cb);
    let what = cb_name.clone().unwrap_or_else(|| "(unknown)".into());
    let class = d.p.class(t);
    let description = if store {
        d.v.kind = LeakKind::AsyncContext;
        format!("pending {class} objects (callback `{what}`) that keep their AsyncLocalStorage store alive")
    } else {
        d.v.kind = LeakKind::Timers;
        format!("the timer list: pending {class} objects never cleared, callback `{what}`")
    };
    d.v.holder = Holder {
        description,
        name: cb_name.clone(),
        holder_type: "timer-list".into(),
        owner: Some("timer list".into()),
        script: d.v.location.as_ref().and_then(|l| l.script_name.clone()),
        collection: Some(class.clone()),
        function: cb_name,
    };
    let label = format!("timer list > {class} (callback {what})");
    d.v.anchor = Some((if i == d.last { i + 1 } else { i }, label));
    true
}

/// Listeners: the holder (or what keeps a capturing closure) is an event
/// name under an emitter's `_events`.
pub(super) fn listeners(d: &mut Draft) -> bool {
    let p = d.p;
    let Some(k) = (d.lo.max(1)..d.last)
        .rev()
        .find(|&k| p.name(k - 1) == "_events")
    else {
        return false;
    };
    let g = p.graph;
    d.v.kind = LeakKind::EventListeners;
    let emitter = p.class(p.node(k - 1));
    let event = p.name(k);
    let listener = (k + 1..=d.last)
        .map(|i| p.node(i))
        .find(|&n| g.is_closure(n));
    d.v.set_closure(g, listener);
    d.v.holder = Holder {
        description: format!("'{event}' listeners of {emitter} (added and never removed)"),
        name: Some(event.clone()),
        holder_type: "event-listeners".into(),
        owner: Some(emitter.clone()),
        script: d.v.location.as_ref().and_then(|l| l.script_name.clone()),
        collection: Some("listeners".into()),
        function: listener.map(|c| fn_name(g, c)),
    };
    d.v.anchor = Some((k + 1, format!("{emitter} '{event}' listeners")));
    true
}

/// A closure made per call: its context is a function's scope, not a
/// module's, so it captures that call's data.
pub(super) fn per_call_closure(g: &HeapGraph, node: u32) -> bool {
    g.is_closure(node)
        && g.follow(node, &["context"]).is_some_and(|c| {
            g.name(c).ends_with("Context") && !g.name(c).contains("Native") && !is_top_level(g, c)
        })
}

/// Closures in a collection, or objects that each carry one made per call
/// (an Express `Layer` and its handler), capture request data.
pub(super) fn closures(d: &mut Draft) -> bool {
    let g = d.p.graph;
    if d.step.is_none() {
        return false;
    }
    if g.is_closure(d.sample) {
        d.v.holder.function = Some(fn_name(g, d.sample));
        d.v.set_closure(g, Some(d.sample));
    } else {
        let carried = g
            .edges(d.sample)
            .filter(|&e| Some(g.edge_kind(e)) == g.types.edge_property)
            .map(|e| g.edge_target(e))
            .find(|&c| per_call_closure(g, c));
        let Some(c) = carried else {
            return false;
        };
        d.v.holder.function = Some(fn_name(g, c));
        d.v.set_closure(g, Some(c));
    }
    d.v.kind = LeakKind::Closures;
    true
}

/// A variable of a function scope is alive because a closure of that scope
/// is; returns that closure.
pub(super) fn scope_closure(d: &mut Draft) -> Option<u32> {
    let g = d.p.graph;
    if d.v.holder.holder_type != "variable" || d.v.anchor.is_some() {
        return None;
    }
    let c = d.step.and_then(|k| k.checked_sub(1)).map(|j| d.p.node(j))?;
    if !g.is_closure(c) {
        return None;
    }
    d.v.holder.function = Some(fn_name(g, c));
    d.v.set_closure(g, Some(c));
    d.v.kind = LeakKind::Closures;
    Some(c)
}
