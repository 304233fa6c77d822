//! The redactor's pieces that do not touch the stream: the field plan read
//! from `snapshot.meta`, the bitsets over the string table, record assembly,
//! and the rules for one string body (placeholder, number, escapes, length).

use crate::heap::error::HeapError;
use crate::heap::meta::{Meta, Role};

/// V8 string ids are 32-bit; this bound keeps a bitset at 32 MiB on hostile input.
const MAX_STRINGS: u64 = 1 << 28;
const TRACE_DEFAULT: [&str; 6] = [
    "function_id",
    "name",
    "script_name",
    "script_id",
    "line",
    "column",
];

#[derive(Default)]
pub(super) struct Bits(Vec<u64>);

impl Bits {
    pub(super) fn set(&mut self, i: u64) -> Result<(), HeapError> {
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

    pub(super) fn get(&self, i: u64) -> bool {
        usize::try_from(i / 64)
            .ok()
            .and_then(|w| self.0.get(w))
            .is_some_and(|w| w & (1 << (i % 64)) != 0)
    }
}

#[derive(Clone, Copy, PartialEq)]
pub(super) enum Kind {
    Name,
    Text,
    Number,
}

/// Field positions read from `snapshot.meta`.
pub(super) struct Plan {
    pub(super) node_fields: usize,
    pub(super) node_type: usize,
    pub(super) node_name: usize,
    pub(super) node_kinds: Vec<Kind>,
    pub(super) edge_fields: usize,
    pub(super) edge_type: usize,
    pub(super) edge_name: usize,
    pub(super) edge_indexed: Vec<bool>,
    pub(super) trace_fields: usize,
    pub(super) trace_names: Vec<usize>,
}

fn slot(roles: &[Role], role: Role) -> usize {
    roles.iter().position(|r| *r == role).unwrap_or(0)
}

impl Plan {
    pub(super) fn from_header(header: &[u8]) -> Result<Plan, HeapError> {
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
pub(super) struct Marks {
    pub(super) names: Bits,
    pub(super) texts: Bits,
    pub(super) numbers: Bits,
}

/// One record of an integer array, filled value by value. `snapshot.meta`
/// lists at most 64 fields (checked by `Meta`), so a fixed array suffices.
pub(super) struct Record {
    pub(super) values: [u64; 64],
    pub(super) len: usize,
    pub(super) width: usize,
}

impl Record {
    pub(super) fn new(width: usize) -> Record {
        Record {
            values: [0; 64],
            len: 0,
            width: width.clamp(1, 64),
        }
    }

    /// Adds a value; returns the record when it is complete.
    pub(super) fn push(&mut self, v: u64) -> Option<&[u64]> {
        if let Some(slot) = self.values.get_mut(self.len) {
            *slot = v;
        }
        self.len += 1;
        if self.len < self.width {
            return None;
        }
        self.len = 0;
        self.values.get(..self.width)
    }
}

/// A placeholder written by an earlier run, so redacting twice changes nothing.
pub(super) fn is_placeholder(raw: &[u8]) -> bool {
    raw.strip_prefix(b"<redacted ")
        .and_then(|r| r.strip_suffix(b">"))
        .is_some_and(|n| !n.is_empty() && n.iter().all(u8::is_ascii_digit))
}

pub(super) fn looks_numeric(raw: &[u8]) -> bool {
    !raw.is_empty()
        && (raw
            .iter()
            .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'+' | b'e' | b'E'))
            || matches!(raw, b"NaN" | b"Infinity" | b"-Infinity"))
}

/// JSON's rules for a string body: escapes well formed, no raw control bytes.
/// The skip that captured it only found its end.
pub(super) fn valid_body(raw: &[u8]) -> bool {
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
mod tests {
    use super::*;

    #[test]
    fn string_body_rules() {
        assert!(valid_body(br#"a\"b\\c\u00e9\/\n"#));
        for bad in [&b"\\q"[..], b"\\u12", b"\\u12zz", b"tab\there", b"end\\"] {
            assert!(!valid_body(bad), "{:?}", String::from_utf8_lossy(bad));
        }
        assert!(is_placeholder(b"<redacted 12>"));
        assert!(!is_placeholder(b"<redacted >") && !is_placeholder(b"<redacted 1x>"));
        for n in [&b"12"[..], b"-1.5e10", b"NaN", b"-Infinity"] {
            assert!(looks_numeric(n));
        }
        for s in [&b""[..], b"heap number", b"smi number", b"12a"] {
            assert!(!looks_numeric(s));
        }
    }

    #[test]
    fn records_and_bits() {
        let mut r = Record::new(3);
        assert!(r.push(1).is_none() && r.push(2).is_none());
        assert_eq!(r.push(3), Some(&[1, 2, 3][..]));
        assert!(r.push(4).is_none());
        let mut b = Bits::default();
        b.set(0).unwrap();
        b.set(200).unwrap();
        assert!(b.get(0) && b.get(200) && !b.get(1) && !b.get(u64::MAX));
        assert!(b.set(MAX_STRINGS).is_err());
    }
}
