//! Streaming redaction of `.heapsnapshot` JSON: string values become
//! placeholders of the form `<redacted N>` (N = the string's length in UTF-16
//! code units, as JS `.length` counts) while names stay exact.
//!
//! V8 writes the integer arrays before the `strings` table, so one pass is
//! enough: while `nodes`, `edges` and `trace_function_infos` stream through,
//! three bitsets over the string table record which indices are the contents
//! of string-like nodes, which are the names of number nodes (their values
//! when V8's `exposeNumericValues` is on), and which are used as a name
//! anywhere (node names of other types, edge names, function and script
//! names). When the table arrives, an entry is replaced when it is a value and
//! never a name. Nothing else changes: the graph, ids, sizes, locations, and
//! every name the analyzer or DevTools shows are byte for byte the same.
//! Memory: the bitsets (3 bits per string) and one string at a time.

use std::io::{self, Read, Write};

use super::redact_tee::Tee;
use crate::heap::error::HeapError;
use crate::heap::lexer::Lexer;
use crate::heap::meta::{Meta, Role};

const MAX_HEADER_BYTES: usize = 1 << 20;
/// V8 string ids are 32-bit; this bound keeps a bitset at 32 MiB on hostile input.
const MAX_STRINGS: u64 = 1 << 28;
/// V8 cuts string values at `--heap-snapshot-string-limit` (1024 characters)
/// before writing them; this bounds what a replaced entry may occupy in memory.
const MAX_REDACTED_STRING_BYTES: usize = 64 << 20;
/// Key added to the `snapshot` header object of a redacted snapshot. DevTools
/// and leakwatch's analyzer ignore unknown header keys.
pub const MARKER_KEY: &str = "leakwatch_redaction";
const MARKER: &[u8] =
    b"\"leakwatch_redaction\":{\"version\":1,\"redacted\":\"string values not used as names\"}";
const V8_LABELS: [&[u8]; 2] = [b"(concatenated string)", b"(sliced string)"];
const TRACE_DEFAULT: [&str; 6] = [
    "function_id",
    "name",
    "script_name",
    "script_id",
    "line",
    "column",
];

/// What a redaction run did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct RedactStats {
    /// Entries in the `strings` table.
    pub strings: u64,
    /// Entries replaced by a placeholder.
    pub redacted: u64,
}

/// Why a run stopped: the input (with the heap parser's coded error) or the output.
#[derive(Debug)]
pub enum RedactFailure {
    Input(HeapError),
    Output(io::Error),
}

#[derive(Default)]
struct Bits(Vec<u64>);

impl Bits {
    fn set(&mut self, i: u64) -> Result<(), HeapError> {
        if i >= MAX_STRINGS {
            return Err(HeapError::invalid(format!("string index {i} out of range")));
        }
        let word = (i / 64) as usize;
        if word >= self.0.len() {
            self.0.resize(word + 1, 0);
        }
        if let Some(w) = self.0.get_mut(word) {
            *w |= 1 << (i % 64);
        }
        Ok(())
    }

    fn get(&self, i: u64) -> bool {
        usize::try_from(i / 64)
            .ok()
            .and_then(|w| self.0.get(w))
            .is_some_and(|w| w & (1 << (i % 64)) != 0)
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Name,
    Text,
    Number,
}

/// Field positions read from `snapshot.meta`.
struct Plan {
    node_fields: usize,
    node_type: usize,
    node_name: usize,
    node_kinds: Vec<Kind>,
    edge_fields: usize,
    edge_type: usize,
    edge_name: usize,
    edge_indexed: Vec<bool>,
    trace_fields: usize,
    trace_names: Vec<usize>,
}

fn slot(roles: &[Role], role: Role) -> usize {
    roles.iter().position(|r| *r == role).unwrap_or(0)
}

impl Plan {
    fn from_header(header: &[u8]) -> Result<Plan, HeapError> {
        let meta = Meta::from_header(header)?;
        let trace: Vec<String> = serde_json::from_slice::<serde_json::Value>(header)
            .ok()
            .and_then(|v| v.pointer("/meta/trace_function_info_fields").cloned())
            .and_then(|v| serde_json::from_value(v).ok())
            .unwrap_or_else(|| TRACE_DEFAULT.iter().map(|s| s.to_string()).collect());
        if trace.is_empty() || trace.len() > 64 {
            return Err(HeapError::invalid("bad trace_function_info_fields"));
        }
        let node_kinds = meta
            .node_types
            .iter()
            .map(|t| match t.as_str() {
                "number" => Kind::Number,
                t if t.contains("string") => Kind::Text,
                _ => Kind::Name,
            })
            .collect();
        Ok(Plan {
            node_fields: meta.node_roles.len(),
            node_type: slot(&meta.node_roles, Role::Type),
            node_name: slot(&meta.node_roles, Role::Name),
            node_kinds,
            edge_fields: meta.edge_roles.len(),
            edge_type: slot(&meta.edge_roles, Role::Type),
            edge_name: slot(&meta.edge_roles, Role::Name),
            edge_indexed: meta
                .edge_types
                .iter()
                .map(|t| t == "element" || t == "hidden")
                .collect(),
            trace_names: trace
                .iter()
                .enumerate()
                .filter(|(_, f)| *f == "name" || *f == "script_name")
                .map(|(i, _)| i)
                .collect(),
            trace_fields: trace.len(),
        })
    }
}

#[derive(Default)]
struct Marks {
    names: Bits,
    texts: Bits,
    numbers: Bits,
}

/// Reads fixed-size records from an integer array and hands each to `each`.
fn records(
    values: &mut Vec<u64>,
    width: usize,
    v: u64,
    mut each: impl FnMut(&[u64]) -> Result<(), HeapError>,
) -> Result<(), HeapError> {
    values.push(v);
    if values.len() == width {
        each(values)?;
        values.clear();
    }
    Ok(())
}

struct Redactor<R: Read, W: Write, F: FnMut(&[u8])> {
    lex: Lexer<Tee<R, W, F>>,
    plan: Option<Plan>,
    marks: Marks,
    seen: Vec<&'static str>,
    stats: RedactStats,
}

/// Redacts the snapshot JSON read from `input` into `out` (raw JSON; the
/// caller compresses). `on_read` sees every chunk read, before redaction.
pub fn redact<R: Read, W: Write, F: FnMut(&[u8])>(
    input: R,
    out: W,
    read_bytes: usize,
    on_read: F,
) -> Result<(W, RedactStats), RedactFailure> {
    let mut r = Redactor {
        lex: Lexer::new(Tee::new(input, out, read_bytes, on_read), false),
        plan: None,
        marks: Marks::default(),
        seen: Vec::new(),
        stats: RedactStats::default(),
    };
    let result = r.document();
    let mut tee = r.lex.into_reader();
    if let Some(e) = tee.take_out_err() {
        return Err(RedactFailure::Output(e));
    }
    result.map_err(RedactFailure::Input)?;
    Ok((tee.into_out(), r.stats))
}

impl<R: Read, W: Write, F: FnMut(&[u8])> Redactor<R, W, F> {
    fn document(&mut self) -> Result<(), HeapError> {
        self.lex.expect(b'{', "at the start of the snapshot")?;
        let mut key = Vec::new();
        if self.lex.peek()? == Some(b'}') {
            self.lex.next_token("the snapshot")?;
        } else {
            loop {
                self.lex.read_string(&mut key, 256)?;
                self.lex.expect(b':', "after a key")?;
                self.member(&key)?;
                match self.lex.next_token("the snapshot object")? {
                    b',' => {}
                    b'}' => break,
                    _ => return Err(HeapError::parse("expected ',' or '}' after a member")),
                }
            }
        }
        if self.lex.peek()?.is_some() {
            return Err(HeapError::parse("data after the end of the snapshot"));
        }
        Ok(())
    }

    fn first(&mut self, name: &'static str) -> Result<(), HeapError> {
        if self.seen.contains(&name) {
            return Err(HeapError::invalid(format!("`{name}` appears twice")));
        }
        if self.seen.contains(&"strings") {
            return Err(HeapError::invalid(format!(
                "`{name}` after `strings`: the stream cannot be redacted in one pass"
            )));
        }
        self.seen.push(name);
        Ok(())
    }

    fn member(&mut self, key: &[u8]) -> Result<(), HeapError> {
        match key {
            b"snapshot" => {
                self.first("snapshot")?;
                self.header()
            }
            b"nodes" => {
                self.first("nodes")?;
                self.nodes()
            }
            b"edges" => {
                self.first("edges")?;
                self.edges()
            }
            b"trace_function_infos" => {
                self.first("trace_function_infos")?;
                self.trace_function_infos()
            }
            b"strings" => {
                for before in ["nodes", "edges"] {
                    if !self.seen.contains(&before) {
                        return Err(HeapError::invalid(format!(
                            "`strings` before `{before}`: the stream cannot be redacted in one pass"
                        )));
                    }
                }
                self.first("strings")?;
                self.strings()
            }
            _ => self.lex.skip_value(None, 0),
        }
    }

    fn header(&mut self) -> Result<(), HeapError> {
        self.lex.reader_mut().pass = false;
        let mut header = Vec::new();
        self.lex.skip_value(Some(&mut header), MAX_HEADER_BYTES)?;
        self.plan = Some(Plan::from_header(&header)?);
        let marked = serde_json::from_slice::<serde_json::Value>(&header)
            .ok()
            .is_some_and(|v| v.get(MARKER_KEY).is_some());
        let body = header
            .strip_suffix(b"}")
            .ok_or_else(|| HeapError::invalid("the snapshot header is not an object"))?;
        let tee = self.lex.reader_mut();
        tee.emit(body);
        if !marked {
            if body.iter().any(|b| !b" \t\r\n{".contains(b)) {
                tee.emit(b",");
            }
            tee.emit(MARKER);
        }
        tee.emit(b"}");
        tee.pass = true;
        Ok(())
    }

    fn plan(&self, what: &str) -> Result<&Plan, HeapError> {
        self.plan
            .as_ref()
            .ok_or_else(|| HeapError::invalid(format!("`{what}` before the `snapshot` header")))
    }

    fn nodes(&mut self) -> Result<(), HeapError> {
        self.plan("nodes")?;
        let Redactor {
            lex, plan, marks, ..
        } = self;
        let Some(p) = plan.as_ref() else {
            return Ok(());
        };
        let mut rec = Vec::with_capacity(p.node_fields);
        lex.read_int_array("nodes", |v| {
            records(&mut rec, p.node_fields, v, |r| {
                let name = r.get(p.node_name).copied().unwrap_or(0);
                let kind = r
                    .get(p.node_type)
                    .and_then(|&t| usize::try_from(t).ok())
                    .and_then(|t| p.node_kinds.get(t))
                    .copied()
                    .unwrap_or(Kind::Name);
                match kind {
                    Kind::Text => marks.texts.set(name),
                    Kind::Number => marks.numbers.set(name),
                    Kind::Name => marks.names.set(name),
                }
            })
        })?;
        if !rec.is_empty() {
            return Err(HeapError::invalid("`nodes` ends inside a node record"));
        }
        Ok(())
    }

    fn edges(&mut self) -> Result<(), HeapError> {
        self.plan("edges")?;
        let Redactor {
            lex, plan, marks, ..
        } = self;
        let Some(p) = plan.as_ref() else {
            return Ok(());
        };
        let mut rec = Vec::with_capacity(p.edge_fields);
        lex.read_int_array("edges", |v| {
            records(&mut rec, p.edge_fields, v, |r| {
                let indexed = r
                    .get(p.edge_type)
                    .and_then(|&t| usize::try_from(t).ok())
                    .and_then(|t| p.edge_indexed.get(t))
                    .copied()
                    .unwrap_or(false);
                match r.get(p.edge_name) {
                    Some(&name) if !indexed => marks.names.set(name),
                    _ => Ok(()),
                }
            })
        })?;
        if !rec.is_empty() {
            return Err(HeapError::invalid("`edges` ends inside an edge record"));
        }
        Ok(())
    }

    fn trace_function_infos(&mut self) -> Result<(), HeapError> {
        self.plan("trace_function_infos")?;
        let Redactor {
            lex, plan, marks, ..
        } = self;
        let Some(p) = plan.as_ref() else {
            return Ok(());
        };
        let mut rec = Vec::with_capacity(p.trace_fields);
        lex.read_int_array("trace_function_infos", |v| {
            records(&mut rec, p.trace_fields, v, |r| {
                for &i in &p.trace_names {
                    if let Some(&name) = r.get(i) {
                        marks.names.set(name)?;
                    }
                }
                Ok(())
            })
        })?;
        if !rec.is_empty() {
            return Err(HeapError::invalid(
                "`trace_function_infos` ends inside a record",
            ));
        }
        Ok(())
    }

    fn strings(&mut self) -> Result<(), HeapError> {
        self.lex.reader_mut().pass = false;
        self.lex.expect(b'[', "at the start of `strings`")?;
        self.lex.reader_mut().emit(b"[");
        if self.lex.peek()? == Some(b']') {
            self.lex.next_token("`strings`")?;
        } else {
            let mut scratch = Vec::new();
            let mut i = 0u64;
            loop {
                self.one_string(i, &mut scratch)?;
                i += 1;
                match self.lex.next_token("`strings`")? {
                    b',' => self.lex.reader_mut().emit(b","),
                    b']' => break,
                    _ => return Err(HeapError::parse("expected ',' or ']' in `strings`")),
                }
            }
            self.stats.strings = i;
        }
        let tee = self.lex.reader_mut();
        tee.emit(b"]");
        tee.pass = true;
        Ok(())
    }

    fn one_string(&mut self, i: u64, scratch: &mut Vec<u8>) -> Result<(), HeapError> {
        let m = &self.marks;
        let candidate = !m.names.get(i) && (m.texts.get(i) || m.numbers.get(i));
        if !candidate {
            self.lex.reader_mut().pass = true;
            let kept = self.lex.skip_string(None, 0);
            self.lex.reader_mut().pass = false;
            return kept;
        }
        scratch.clear();
        self.lex
            .skip_string(Some(scratch), MAX_REDACTED_STRING_BYTES)
            .map_err(|e| match e.kind {
                crate::heap::HeapErrorKind::TooLarge => HeapError::too_large(format!(
                    "string {i} is longer than {MAX_REDACTED_STRING_BYTES} bytes"
                )),
                _ => e,
            })?;
        let body = scratch.strip_suffix(b"\"").unwrap_or(scratch);
        if !valid_body(body) {
            return Err(HeapError::parse(format!(
                "invalid escape or control byte in string {i}"
            )));
        }
        let tee = self.lex.reader_mut();
        let redact = if is_placeholder(body) {
            false
        } else if self.marks.texts.get(i) {
            !V8_LABELS.contains(&body)
        } else {
            looks_numeric(body)
        };
        if !redact {
            // V8 names cons and sliced strings by a label, not their content
            // (which is in the parts they point to), and number nodes
            // "heap number" unless exposeNumericValues is on: keep labels.
            tee.emit(b"\"");
            tee.emit(scratch);
            return Ok(());
        }
        tee.emit(format!("\"<redacted {}>\"", utf16_len(body)).as_bytes());
        self.stats.redacted += 1;
        Ok(())
    }
}

/// A placeholder written by an earlier run, so redacting twice changes nothing.
fn is_placeholder(raw: &[u8]) -> bool {
    raw.strip_prefix(b"<redacted ")
        .and_then(|r| r.strip_suffix(b">"))
        .is_some_and(|n| !n.is_empty() && n.iter().all(u8::is_ascii_digit))
}

fn looks_numeric(raw: &[u8]) -> bool {
    !raw.is_empty()
        && (raw
            .iter()
            .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'+' | b'e' | b'E'))
            || matches!(raw, b"NaN" | b"Infinity" | b"-Infinity"))
}

/// JSON's rules for a string body: escapes well formed, no raw control bytes.
/// The skip that captured it only found its end.
fn valid_body(raw: &[u8]) -> bool {
    let mut i = 0usize;
    while let Some(&b) = raw.get(i) {
        if b < 0x20 {
            return false;
        }
        if b == b'\\' {
            match raw.get(i + 1) {
                Some(b'u') => {
                    let hex = raw.get(i + 2..i + 6);
                    if !hex.is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit)) {
                        return false;
                    }
                    i += 6;
                }
                Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => i += 2,
                _ => return false,
            }
            continue;
        }
        i += 1;
    }
    true
}

/// Length in UTF-16 code units of a raw JSON string body (escapes undecoded).
pub(crate) fn utf16_len(raw: &[u8]) -> u64 {
    let mut n = 0u64;
    let mut i = 0usize;
    while let Some(&b) = raw.get(i) {
        if b == b'\\' {
            i += if raw.get(i + 1) == Some(&b'u') { 6 } else { 2 };
            n += 1;
            continue;
        }
        if b & 0xC0 != 0x80 {
            n += if b >= 0xF0 { 2 } else { 1 };
        }
        i += 1;
    }
    n
}

#[cfg(test)]
#[path = "redact_tests.rs"]
mod tests;

#[cfg(test)]
#[path = "redact_writer_tests.rs"]
mod writer_tests;
