//! Reads `.heapsnapshot` and `.heapsnapshot.gz` as a stream into a
//! [`HeapGraph`]. The header (`snapshot.meta`) is small and parsed with
//! serde_json; the big integer arrays go straight into columns; everything is
//! bounded by [`ParseLimits`] before memory is committed.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use flate2::read::MultiGzDecoder;

use super::error::HeapError;
use super::graph::{HeapGraph, RawLocation, TypeIds};
use super::lexer::Lexer;
use super::meta::{Meta, Role};

/// Bounds that keep a hostile or absurd file from exhausting memory.
#[derive(Debug, Clone)]
pub struct ParseLimits {
    pub max_nodes: usize,
    pub max_edges: usize,
    /// Longest single string, in bytes.
    pub max_string_len: usize,
    /// All strings together, in bytes (at most 4 GiB: offsets are `u32`).
    pub max_strings_bytes: usize,
    /// The `snapshot` header object, in bytes.
    pub max_header_bytes: usize,
}

impl Default for ParseLimits {
    fn default() -> Self {
        ParseLimits {
            max_nodes: 64 << 20,
            max_edges: 256 << 20,
            max_string_len: 16 << 20,
            max_strings_bytes: 2 << 30,
            max_header_bytes: 1 << 20,
        }
    }
}

fn to_u32(v: u64, what: &str) -> Result<u32, HeapError> {
    u32::try_from(v).map_err(|_| HeapError::invalid(format!("{what} {v} does not fit in 32 bits")))
}

/// Node ids wider than 32 bits (writers that use 64-bit addresses as ids,
/// which DevTools reads) folded into 32: ids only match objects across
/// snapshots, and `diff::IdSample` checks that matches mean the same objects.
pub(crate) fn fold_id(v: u64) -> u32 {
    (v ^ (v >> 32)) as u32
}

/// Streams one snapshot text into a graph.
struct SnapshotReader<'a, R: BufRead> {
    lexer: Lexer<R>,
    limits: &'a ParseLimits,
    /// Upper bound on pre-allocation, derived from the input size.
    reserve_cap: usize,
    meta: Option<Meta>,
    graph: HeapGraph,
    seen_nodes: bool,
    seen_edges: bool,
    seen_strings: bool,
}

impl<'a, R: BufRead> SnapshotReader<'a, R> {
    fn meta(&self, key: &str) -> Result<&Meta, HeapError> {
        self.meta
            .as_ref()
            .ok_or_else(|| HeapError::invalid(format!("`{key}` comes before `snapshot`")))
    }

    fn read_nodes(&mut self) -> Result<(), HeapError> {
        let meta = self.meta("nodes")?;
        let roles = meta.node_roles.clone();
        let type_count = meta.node_types.len() as u64;
        if let Some(n) = meta.node_count {
            if n > self.limits.max_nodes as u64 {
                return Err(HeapError::too_large(format!(
                    "snapshot declares {n} nodes, the limit is {}",
                    self.limits.max_nodes
                )));
            }
        }
        let reserve = meta
            .node_count
            .unwrap_or(0)
            .min((self.reserve_cap / roles.len().max(1)) as u64) as usize;
        let max_nodes = self.limits.max_nodes;
        let g = &mut self.graph;
        g.node_type.reserve(reserve);
        g.node_name.reserve(reserve);
        g.node_id.reserve(reserve);
        g.node_self_size.reserve(reserve);
        g.first_edge.reserve(reserve + 1);
        g.first_edge.push(0);
        let mut field = 0usize;
        let mut edge_total = 0u64;
        let mut nodes = 0usize;
        self.lexer.read_int_array("nodes", |v| {
            match roles.get(field).copied().unwrap_or(Role::Ignored) {
                Role::Type => {
                    if v >= type_count {
                        return Err(HeapError::invalid(format!(
                            "node {nodes} has type {v} but there are {type_count} types"
                        )));
                    }
                    g.node_type.push(v as u8);
                }
                Role::Name => g.node_name.push(to_u32(v, "node name")?),
                Role::Id => g.node_id.push(fold_id(v)),
                Role::SelfSize => g.node_self_size.push(v),
                Role::EdgeCount => {
                    edge_total = edge_total.saturating_add(v);
                    g.first_edge.push(to_u32(edge_total, "total edge count")?);
                }
                _ => {}
            }
            field += 1;
            if field == roles.len() {
                field = 0;
                nodes += 1;
                if nodes > max_nodes {
                    return Err(HeapError::too_large(format!("more than {max_nodes} nodes")));
                }
            }
            Ok(())
        })?;
        if field != 0 {
            return Err(HeapError::invalid(
                "`nodes` length is not a multiple of the node field count",
            ));
        }
        self.seen_nodes = true;
        Ok(())
    }

    fn read_edges(&mut self) -> Result<(), HeapError> {
        let meta = self.meta("edges")?;
        let roles = meta.edge_roles.clone();
        let node_field_count = meta.node_roles.len() as u64;
        let type_count = meta.edge_types.len() as u64;
        if let Some(n) = meta.edge_count {
            if n > self.limits.max_edges as u64 {
                return Err(HeapError::too_large(format!(
                    "snapshot declares {n} edges, the limit is {}",
                    self.limits.max_edges
                )));
            }
        }
        let reserve = meta
            .edge_count
            .unwrap_or(0)
            .min((self.reserve_cap / roles.len().max(1)) as u64) as usize;
        let max_edges = self.limits.max_edges;
        let g = &mut self.graph;
        g.edge_type.reserve(reserve);
        g.edge_name.reserve(reserve);
        g.edge_to.reserve(reserve);
        let mut field = 0usize;
        let mut edges = 0usize;
        self.lexer.read_int_array("edges", |v| {
            match roles.get(field).copied().unwrap_or(Role::Ignored) {
                Role::Type => {
                    if v >= type_count {
                        return Err(HeapError::invalid(format!(
                            "edge {edges} has type {v} but there are {type_count} types"
                        )));
                    }
                    g.edge_type.push(v as u8);
                }
                Role::Name => g.edge_name.push(to_u32(v, "edge name_or_index")?),
                Role::ToNode => {
                    if v % node_field_count != 0 {
                        return Err(HeapError::invalid(format!(
                            "edge {edges} to_node {v} is not a multiple of {node_field_count}"
                        )));
                    }
                    g.edge_to
                        .push(to_u32(v / node_field_count, "edge to_node")?);
                }
                _ => {}
            }
            field += 1;
            if field == roles.len() {
                field = 0;
                edges += 1;
                if edges > max_edges {
                    return Err(HeapError::too_large(format!("more than {max_edges} edges")));
                }
            }
            Ok(())
        })?;
        if field != 0 {
            return Err(HeapError::invalid(
                "`edges` length is not a multiple of the edge field count",
            ));
        }
        self.seen_edges = true;
        Ok(())
    }

    fn read_locations(&mut self) -> Result<(), HeapError> {
        let meta = self.meta("locations")?;
        let width = meta.location_field_count;
        let slots = meta.location_slots;
        let node_field_count = meta.node_roles.len() as u64;
        let max = self.limits.max_nodes;
        let mut record = vec![0u64; width];
        let mut field = 0usize;
        let locations = &mut self.graph.locations;
        self.lexer.read_int_array("locations", |v| {
            if let Some(slot) = record.get_mut(field) {
                *slot = v;
            }
            field += 1;
            if field == width {
                field = 0;
                let get = |i: usize| record.get(i).copied().unwrap_or(0);
                let object = get(slots[0]);
                if object % node_field_count != 0 {
                    return Err(HeapError::invalid(format!(
                        "location object_index {object} is not a node index"
                    )));
                }
                if locations.len() >= max {
                    return Err(HeapError::too_large("more locations than nodes allowed"));
                }
                locations.push((
                    to_u32(object / node_field_count, "location node")?,
                    RawLocation {
                        script_id: to_u32(get(slots[1]), "script id")?,
                        line: to_u32(get(slots[2]), "line")?,
                        column: to_u32(get(slots[3]), "column")?,
                    },
                ));
            }
            Ok(())
        })?;
        if field != 0 {
            return Err(HeapError::invalid(
                "`locations` length is not a multiple of its field count",
            ));
        }
        locations.sort_unstable_by_key(|(n, _)| *n);
        Ok(())
    }

    fn read_strings(&mut self) -> Result<(), HeapError> {
        let max_total = self.limits.max_strings_bytes;
        let strings = &mut self.graph.strings;
        self.lexer
            .read_string_array(self.limits.max_string_len, |s| strings.push(s, max_total))?;
        self.seen_strings = true;
        Ok(())
    }

    fn run(mut self) -> Result<HeapGraph, HeapError> {
        if self.lexer.peek()?.is_none() {
            return Err(HeapError::truncated(
                "the snapshot is empty (0 bytes): the process writing it was probably killed",
            ));
        }
        self.lexer.expect(b'{', "at the start of the snapshot")?;
        let mut key = Vec::new();
        if self.lexer.peek()? == Some(b'}') {
            return Err(HeapError::invalid("the snapshot object is empty"));
        }
        loop {
            self.lexer.read_string(&mut key, 256)?;
            self.lexer.expect(b':', "after a key")?;
            match key.as_slice() {
                b"snapshot" => {
                    let mut header = Vec::new();
                    self.lexer
                        .skip_value(Some(&mut header), self.limits.max_header_bytes)?;
                    self.meta = Some(Meta::from_header(&header)?);
                }
                b"nodes" if !self.seen_nodes => self.read_nodes()?,
                b"edges" if !self.seen_edges => self.read_edges()?,
                b"locations" if self.graph.locations.is_empty() => self.read_locations()?,
                b"strings" if !self.seen_strings => self.read_strings()?,
                b"nodes" | b"edges" | b"strings" => {
                    return Err(HeapError::invalid(format!(
                        "duplicate key `{}`",
                        String::from_utf8_lossy(&key)
                    )))
                }
                _ => self.lexer.skip_value(None, 0)?,
            }
            match self.lexer.next_token("the snapshot object")? {
                b',' => {}
                b'}' => break,
                _ => {
                    return Err(HeapError::parse(format!(
                        "expected ',' or '}}' at byte {}",
                        self.lexer.offset()
                    )))
                }
            }
        }
        self.finish()
    }

    fn finish(self) -> Result<HeapGraph, HeapError> {
        let meta = self
            .meta
            .ok_or_else(|| HeapError::invalid("the `snapshot` header is missing"))?;
        for (seen, key) in [
            (self.seen_nodes, "nodes"),
            (self.seen_edges, "edges"),
            (self.seen_strings, "strings"),
        ] {
            if !seen {
                return Err(HeapError::invalid(format!("`{key}` is missing")));
            }
        }
        let mut graph = self.graph;
        if let Some(n) = meta.node_count {
            if n != graph.node_count() as u64 {
                return Err(HeapError::invalid(format!(
                    "snapshot.node_count is {n} but `nodes` holds {}",
                    graph.node_count()
                )));
            }
        }
        if let Some(n) = meta.edge_count {
            if n != graph.edge_count() as u64 {
                return Err(HeapError::invalid(format!(
                    "snapshot.edge_count is {n} but `edges` holds {}",
                    graph.edge_count()
                )));
            }
        }
        graph.types = TypeIds::resolve(&meta.node_types, &meta.edge_types);
        graph.node_types = meta.node_types;
        graph.edge_types = meta.edge_types;
        graph.validate()?;
        graph.pack_edge_types();
        graph.ephemerons = super::ephemerons::EphemeronNames::scan(&graph.strings, &graph.node_id);
        graph.shrink_to_fit();
        Ok(graph)
    }
}

/// Parses a snapshot from an uncompressed text stream. `size_hint` (bytes of
/// text, if known) bounds pre-allocation so a lying header costs nothing.
pub fn parse_text<R: BufRead>(
    reader: R,
    gzip: bool,
    size_hint: Option<u64>,
    limits: &ParseLimits,
) -> Result<HeapGraph, HeapError> {
    // Each integer takes at least two bytes ("0,").
    let reserve_cap = size_hint.map_or(1 << 20, |s| (s / 2).min(usize::MAX as u64) as usize);
    SnapshotReader {
        lexer: Lexer::new(reader, gzip),
        limits,
        reserve_cap,
        meta: None,
        graph: HeapGraph::default(),
        seen_nodes: false,
        seen_edges: false,
        seen_strings: false,
    }
    .run()
}

/// Parses raw or gzip-compressed snapshot bytes from any reader; gzip is
/// recognised by its magic bytes, not the file name.
pub fn parse_reader<R: Read>(
    reader: R,
    size_hint: Option<u64>,
    limits: &ParseLimits,
) -> Result<HeapGraph, HeapError> {
    let mut input = BufReader::with_capacity(256 << 10, reader);
    let head = input
        .fill_buf()
        .map_err(|e| HeapError::from_io("reading snapshot", &e, false))?;
    if head.starts_with(&[0x1f, 0x8b]) {
        // Snapshots compress about 7x; the hint only caps pre-allocation.
        let hint = size_hint.map(|s| s.saturating_mul(16));
        let text = BufReader::with_capacity(256 << 10, MultiGzDecoder::new(input));
        parse_text(text, true, hint, limits)
    } else {
        parse_text(input, false, size_hint, limits)
    }
}

/// Parses a `.heapsnapshot` or `.heapsnapshot.gz` file.
pub fn parse_file(path: &Path, limits: &ParseLimits) -> Result<HeapGraph, HeapError> {
    let file = File::open(path)
        .map_err(|e| HeapError::from_io(&format!("opening {}", path.display()), &e, false))?;
    let size = file.metadata().ok().map(|m| m.len());
    parse_reader(file, size, limits)
        .map_err(|e| HeapError::new(e.kind, format!("{}: {}", path.display(), e.message)))
}

#[cfg(test)]
#[path = "parser_tests.rs"]
mod tests;
