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

pub(crate) use super::redact_parts::utf16_len;
use super::redact_parts::{is_placeholder, looks_numeric, valid_body, Kind, Marks, Plan, Record};
use super::redact_tee::Tee;
use crate::heap::error::HeapError;
use crate::heap::lexer::Lexer;

const MAX_HEADER_BYTES: usize = 1 << 20;
/// V8 cuts string values at `--heap-snapshot-string-limit` (1024 characters)
/// before writing them; this bounds what a replaced entry may occupy in memory.
const MAX_REDACTED_STRING_BYTES: usize = 64 << 20;
/// Key added to the `snapshot` header object of a redacted snapshot. DevTools
/// and leakwatch's analyzer ignore unknown header keys.
pub const MARKER_KEY: &str = "leakwatch_redaction";
const MARKER: &[u8] =
    b"\"leakwatch_redaction\":{\"version\":1,\"redacted\":\"string values not used as names\"}";
const V8_LABELS: [&[u8]; 2] = [b"(concatenated string)", b"(sliced string)"];

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
        let mut rec = Record::new(p.node_fields);
        lex.read_int_array("nodes", |v| {
            let Some(r) = rec.push(v) else {
                return Ok(());
            };
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
        })?;
        if rec.len != 0 {
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
        let mut rec = Record::new(p.edge_fields);
        lex.read_int_array("edges", |v| {
            let Some(r) = rec.push(v) else {
                return Ok(());
            };
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
        })?;
        if rec.len != 0 {
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
        let mut rec = Record::new(p.trace_fields);
        lex.read_int_array("trace_function_infos", |v| {
            let Some(r) = rec.push(v) else {
                return Ok(());
            };
            for &i in &p.trace_names {
                if let Some(&name) = r.get(i) {
                    marks.names.set(name)?;
                }
            }
            Ok(())
        })?;
        if rec.len != 0 {
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

#[cfg(test)]
#[path = "redact_tests.rs"]
mod tests;

#[cfg(test)]
#[path = "redact_writer_tests.rs"]
mod writer_tests;

#[cfg(test)]
#[path = "redact_bench_tests.rs"]
mod bench_tests;
