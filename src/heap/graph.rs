//! The heap graph in compact columns: one `Vec` per field, `u32` ordinals,
//! `u8` types and CSR edge slices, so a snapshot of millions of nodes costs a
//! few dozen bytes per node and no allocation per node.

use std::borrow::Cow;
use std::ops::Range;

use serde::{Deserialize, Serialize};

use super::ephemerons::EphemeronNames;
use super::error::HeapError;
pub use super::retainers::Retainers;
pub use super::sizes::SelfSizes;
pub use super::strings::StringTable;

/// A closure's position as stored in the snapshot's `locations` array.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RawLocation {
    pub script_id: u32,
    pub line: u32,
    pub column: u32,
}

/// Where a closure was defined.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SourceLocation {
    pub script_id: u32,
    /// The script's name or URL when the snapshot records it.
    pub script_name: Option<String>,
    /// Zero-based, as V8 writes it.
    pub line: u32,
    /// Zero-based, as V8 writes it.
    pub column: u32,
}

/// Type indices resolved by name from `snapshot.meta`, since their order is
/// not fixed by the format. `None` when a V8 version lacks the type.
#[derive(Debug, Clone, Default)]
pub struct TypeIds {
    pub node_hidden: Option<u8>,
    pub node_object: Option<u8>,
    pub node_native: Option<u8>,
    pub node_closure: Option<u8>,
    pub node_code: Option<u8>,
    pub node_synthetic: Option<u8>,
    pub edge_weak: Option<u8>,
    pub edge_shortcut: Option<u8>,
    pub edge_element: Option<u8>,
    pub edge_hidden: Option<u8>,
    pub edge_internal: Option<u8>,
    pub edge_context: Option<u8>,
    pub edge_property: Option<u8>,
}

impl TypeIds {
    pub fn resolve(node_types: &[String], edge_types: &[String]) -> Self {
        let find = |list: &[String], name: &str| {
            list.iter()
                .position(|t| t == name)
                .and_then(|i| u8::try_from(i).ok())
        };
        TypeIds {
            node_hidden: find(node_types, "hidden"),
            node_object: find(node_types, "object"),
            node_native: find(node_types, "native"),
            node_closure: find(node_types, "closure"),
            node_code: find(node_types, "code"),
            node_synthetic: find(node_types, "synthetic"),
            edge_weak: find(edge_types, "weak"),
            edge_shortcut: find(edge_types, "shortcut"),
            edge_element: find(edge_types, "element"),
            edge_hidden: find(edge_types, "hidden"),
            edge_internal: find(edge_types, "internal"),
            edge_context: find(edge_types, "context"),
            edge_property: find(edge_types, "property"),
        }
    }
}

const PACKED_TYPE_SHIFT: u32 = 28;
const PACKED_TARGET_MASK: u32 = (1 << PACKED_TYPE_SHIFT) - 1;

/// The parsed snapshot. Node 0 is the root. Edges of node `n` are
/// `first_edge[n]..first_edge[n + 1]`; `edge_to` holds node ordinals.
#[derive(Debug, Default)]
pub struct HeapGraph {
    pub node_types: Vec<String>,
    pub edge_types: Vec<String>,
    pub types: TypeIds,
    pub node_type: Vec<u8>,
    pub node_name: Vec<u32>,
    pub node_id: Vec<u32>,
    pub node_self_size: SelfSizes,
    pub first_edge: Vec<u32>,
    /// Empty once the types are packed into `edge_to` (see `pack_edge_types`).
    pub edge_type: Vec<u8>,
    pub edge_name: Vec<u32>,
    /// Target node ordinal, with the edge type in the top bits when packed.
    pub edge_to: Vec<u32>,
    pub packed_edge_types: bool,
    pub strings: StringTable,
    /// Sorted by node ordinal.
    pub locations: Vec<(u32, RawLocation)>,
    pub ephemerons: EphemeronNames,
}

impl HeapGraph {
    pub fn node_count(&self) -> usize {
        self.node_type.len()
    }

    pub fn edge_count(&self) -> usize {
        self.edge_to.len()
    }

    pub fn edges(&self, node: u32) -> Range<usize> {
        let n = node as usize;
        let start = self.first_edge.get(n).copied().unwrap_or(0) as usize;
        let end = self.first_edge.get(n + 1).copied().unwrap_or(0) as usize;
        start..end.max(start)
    }

    pub fn edge_target(&self, edge: usize) -> u32 {
        let to = self.edge_to.get(edge).copied().unwrap_or(0);
        if self.packed_edge_types {
            to & PACKED_TARGET_MASK
        } else {
            to
        }
    }

    pub fn edge_kind(&self, edge: usize) -> u8 {
        if self.packed_edge_types {
            return self
                .edge_to
                .get(edge)
                .map_or(u8::MAX, |&to| (to >> PACKED_TYPE_SHIFT) as u8);
        }
        self.edge_type.get(edge).copied().unwrap_or(u8::MAX)
    }

    /// Moves each edge's type into the top 4 bits of its target, freeing a
    /// byte per edge (10 MB on a 10M-edge snapshot), when the types and node
    /// ordinals fit, as they do for every V8 snapshot so far. Call after
    /// `validate`.
    pub fn pack_edge_types(&mut self) {
        let fits = self.edge_types.len() <= 1 << (32 - PACKED_TYPE_SHIFT)
            && self.node_count() <= PACKED_TARGET_MASK as usize
            && self.edge_type.len() == self.edge_to.len();
        if self.packed_edge_types || !fits {
            return;
        }
        for (to, &t) in self.edge_to.iter_mut().zip(&self.edge_type) {
            *to |= u32::from(t) << PACKED_TYPE_SHIFT;
        }
        self.edge_type = Vec::new();
        self.packed_edge_types = true;
    }

    /// The node whose edge slice contains `edge`.
    pub fn edge_source(&self, edge: usize) -> u32 {
        let e = edge as u32;
        let after = self.first_edge.partition_point(|&start| start <= e);
        after.saturating_sub(1) as u32
    }

    pub fn is_weak(&self, edge: usize) -> bool {
        Some(self.edge_kind(edge)) == self.types.edge_weak
    }

    pub fn is_shortcut(&self, edge: usize) -> bool {
        Some(self.edge_kind(edge)) == self.types.edge_shortcut
    }

    /// Whether `edge` is the table's half of a WeakMap entry (see `ephemerons`).
    pub fn is_weakmap_table_edge(&self, source: u32, edge: usize) -> bool {
        if Some(self.edge_kind(edge)) != self.types.edge_internal {
            return false;
        }
        let name = self.edge_name.get(edge).copied().unwrap_or(u32::MAX);
        self.ephemerons
            .table_node(name)
            .is_some_and(|table| table == source)
    }

    /// Whether the edge's `name_or_index` is a number rather than a string index.
    pub fn edge_has_index(&self, edge: usize) -> bool {
        let t = Some(self.edge_kind(edge));
        t == self.types.edge_element || t == self.types.edge_hidden
    }

    pub fn kind(&self, node: u32) -> u8 {
        self.node_type
            .get(node as usize)
            .copied()
            .unwrap_or(u8::MAX)
    }

    pub fn type_name(&self, node: u32) -> &str {
        self.node_types
            .get(self.kind(node) as usize)
            .map(String::as_str)
            .unwrap_or("unknown")
    }

    pub fn name(&self, node: u32) -> &str {
        self.strings.get(
            self.node_name
                .get(node as usize)
                .copied()
                .unwrap_or(u32::MAX),
        )
    }

    /// Frees the id column (4 bytes per node) when no diff will match
    /// objects by id; [`HeapGraph::id`] returns 0 afterwards.
    pub fn drop_ids(&mut self) {
        self.node_id = Vec::new();
    }

    pub fn id(&self, node: u32) -> u32 {
        self.node_id.get(node as usize).copied().unwrap_or(0)
    }

    pub fn self_size(&self, node: u32) -> u64 {
        self.node_self_size.get(node)
    }

    pub fn is_closure(&self, node: u32) -> bool {
        Some(self.kind(node)) == self.types.node_closure
    }

    /// The edge's name: a property or variable name, or its index as text.
    pub fn edge_name_text(&self, edge: usize) -> Cow<'_, str> {
        let raw = self.edge_name.get(edge).copied().unwrap_or(0);
        if self.edge_has_index(edge) {
            Cow::Owned(raw.to_string())
        } else {
            Cow::Borrowed(self.strings.get(raw))
        }
    }

    /// The class DevTools shows in its Summary view: the constructor name for
    /// objects, the function name for closures, `(type)` for engine internals.
    pub fn class_name(&self, node: u32) -> Cow<'_, str> {
        let t = Some(self.kind(node));
        if t == self.types.node_object || t == self.types.node_native {
            return Cow::Borrowed(self.name(node));
        }
        if t == self.types.node_closure {
            let name = self.name(node);
            return if name.is_empty() {
                Cow::Borrowed("(anonymous function)")
            } else {
                Cow::Borrowed(name)
            };
        }
        if t == self.types.node_hidden {
            return Cow::Borrowed("(system)");
        }
        if t == self.types.node_code {
            return Cow::Borrowed("(compiled code)");
        }
        Cow::Owned(format!("({})", self.type_name(node)))
    }

    pub fn location(&self, node: u32) -> Option<SourceLocation> {
        let i = self
            .locations
            .binary_search_by_key(&node, |(n, _)| *n)
            .ok()?;
        let raw = self.locations.get(i).map(|(_, loc)| *loc)?;
        Some(SourceLocation {
            script_id: raw.script_id,
            script_name: self.script_name(node).map(str::to_owned),
            line: raw.line,
            column: raw.column,
        })
    }

    /// The first target of `node`'s edge named one of `names`.
    pub fn follow(&self, node: u32, names: &[&str]) -> Option<u32> {
        self.edges(node)
            .find(|&e| !self.edge_has_index(e) && names.contains(&self.edge_name_text(e).as_ref()))
            .map(|e| self.edge_target(e))
    }

    /// The name of the script defining a closure: V8 links closure ->
    /// `shared` (SharedFunctionInfo) -> `script_or_debug_info` (`script` in
    /// older versions) -> the Script, whose node name is its name or URL.
    pub fn script_name(&self, closure: u32) -> Option<&str> {
        let shared = self.follow(closure, &["shared"])?;
        let script = self.follow(shared, &["script_or_debug_info", "script"])?;
        let name = self.name(script);
        (!name.is_empty() && !name.starts_with("system /")).then_some(name)
    }

    /// Releases over-allocation left by growing columns whose final length
    /// the header did not announce.
    pub fn shrink_to_fit(&mut self) {
        self.node_type.shrink_to_fit();
        self.node_name.shrink_to_fit();
        self.node_id.shrink_to_fit();
        self.node_self_size.shrink_to_fit();
        self.first_edge.shrink_to_fit();
        self.edge_type.shrink_to_fit();
        self.edge_name.shrink_to_fit();
        self.edge_to.shrink_to_fit();
        self.strings.shrink_to_fit();
        self.locations.shrink_to_fit();
    }

    /// Sum of all self sizes.
    pub fn total_size(&self) -> u64 {
        self.node_self_size.total()
    }

    /// Checks every cross-reference once, so later passes can trust indices.
    pub fn validate(&self) -> Result<(), HeapError> {
        let n = self.node_count();
        if n == 0 {
            return Err(HeapError::invalid("snapshot has no nodes (no root)"));
        }
        if self.first_edge.len() != n + 1
            || self.first_edge.last().copied().unwrap_or(0) as usize != self.edge_count()
        {
            return Err(HeapError::invalid(format!(
                "sum of node edge_count ({}) differs from the number of edges ({})",
                self.first_edge.last().copied().unwrap_or(0),
                self.edge_count()
            )));
        }
        if self.node_name.len() != n || self.node_id.len() != n || self.node_self_size.len() != n {
            return Err(HeapError::invalid("node columns have different lengths"));
        }
        if (!self.packed_edge_types && self.edge_type.len() != self.edge_count())
            || self.edge_name.len() != self.edge_count()
        {
            return Err(HeapError::invalid("edge columns have different lengths"));
        }
        let strings = self.strings.len();
        if let Some((i, name)) = self
            .node_name
            .iter()
            .enumerate()
            .find(|(_, &s)| s as usize >= strings)
        {
            return Err(HeapError::invalid(format!(
                "node {i} names string {name} but there are {strings} strings"
            )));
        }
        for e in 0..self.edge_count() {
            let to = self.edge_target(e) as usize;
            if to >= n {
                return Err(HeapError::invalid(format!(
                    "edge {e} points to node {to} but there are {n} nodes"
                )));
            }
            if usize::from(self.edge_kind(e)) >= self.edge_types.len() {
                return Err(HeapError::invalid(format!("edge {e} has an unknown type")));
            }
            if !self.edge_has_index(e)
                && self.edge_name.get(e).copied().unwrap_or(0) as usize >= strings
            {
                return Err(HeapError::invalid(format!(
                    "edge {e} names a string out of range"
                )));
            }
        }
        if let Some((node, _)) = self.locations.iter().find(|(node, _)| *node as usize >= n) {
            return Err(HeapError::invalid(format!(
                "location refers to node {node} but there are {n} nodes"
            )));
        }
        Ok(())
    }
}

#[cfg(test)]
#[path = "graph_tests.rs"]
pub(crate) mod tests;
