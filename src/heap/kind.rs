//! The kinds of leak a suspect can be, each with one line of advice. The ids
//! are part of the JSON contract (`suspect.kind`): add new ones, never rename.

use serde::{Deserialize, Serialize};

/// What sort of leak a suspect is; serialized as its stable id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LeakKind {
    /// An array, Map, Set or object that only grows.
    UnboundedCollection,
    /// Listeners accumulating on a long-lived emitter.
    EventListeners,
    /// Timers or intervals that are never cleared.
    Timers,
    /// Closures, kept by something long-lived, that capture request data.
    Closures,
    /// Promises that stay pending, each resolving into the next.
    PromiseChain,
    /// Sockets, servers, streams or handles never closed.
    UnclosedResources,
    /// Buffers (memory outside the JS heap) kept alive.
    ExternalBuffers,
    /// AsyncLocalStorage stores kept alive by async resources.
    AsyncContext,
    /// Growth the analyzer could not attribute to one of the kinds above.
    Unknown,
}

impl LeakKind {
    /// Every kind, in documentation order.
    pub const ALL: [LeakKind; 9] = [
        LeakKind::UnboundedCollection,
        LeakKind::EventListeners,
        LeakKind::Timers,
        LeakKind::Closures,
        LeakKind::PromiseChain,
        LeakKind::UnclosedResources,
        LeakKind::ExternalBuffers,
        LeakKind::AsyncContext,
        LeakKind::Unknown,
    ];

    /// For reports saved before kinds existed.
    pub fn unknown() -> LeakKind {
        LeakKind::Unknown
    }

    /// The stable id, as serialized.
    pub fn id(self) -> &'static str {
        match self {
            LeakKind::UnboundedCollection => "unbounded-collection",
            LeakKind::EventListeners => "event-listeners",
            LeakKind::Timers => "timers",
            LeakKind::Closures => "closures",
            LeakKind::PromiseChain => "promise-chain",
            LeakKind::UnclosedResources => "unclosed-resources",
            LeakKind::ExternalBuffers => "external-buffers",
            LeakKind::AsyncContext => "async-context",
            LeakKind::Unknown => "unknown",
        }
    }

    /// One line of advice for this kind of leak.
    pub fn advice(self) -> &'static str {
        match self {
            LeakKind::UnboundedCollection => {
                "Bound it: evict old entries (a maximum size, LRU or TTL) or delete each entry when the work it belongs to ends."
            }
            LeakKind::EventListeners => {
                "Remove the listener with off()/removeListener() where it is added (or use once()), or add it once at start-up instead of per call."
            }
            LeakKind::Timers => {
                "Keep the handle and call clearTimeout()/clearInterval() when the work ends; a pending timer keeps its callback and all it captures."
            }
            LeakKind::Closures => {
                "A long-lived list keeps closures that capture request data: remove each closure when its request ends, or capture only the fields it needs."
            }
            LeakKind::PromiseChain => {
                "A pending promise keeps every promise chained after it: settle or time out the first one, or await jobs in a loop instead of chaining .then() forever."
            }
            LeakKind::UnclosedResources => {
                "Close what you open: socket.destroy()/end(), stream.destroy(), server.close(), handle.close(), also on error and timeout paths."
            }
            LeakKind::ExternalBuffers => {
                "Buffers are kept alive by a collection: drop them when done, bound the collection, or keep a copy of only the bytes you need."
            }
            LeakKind::AsyncContext => {
                "An AsyncLocalStorage store lives as long as any async resource created inside run(): end those resources (clear timers, settle promises) or keep only ids in the store."
            }
            LeakKind::Unknown => {
                "Follow the path to the first object your code owns and bound or release what it holds."
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_serialize_as_documented_and_advice_is_one_line() {
        for k in LeakKind::ALL {
            let json = serde_json::to_value(k).unwrap();
            assert_eq!(json, k.id());
            let back: LeakKind = serde_json::from_value(json).unwrap();
            assert_eq!(back, k);
            assert!(!k.advice().contains('\n') && k.advice().len() < 200);
        }
    }
}
