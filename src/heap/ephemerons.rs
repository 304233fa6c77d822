//! WeakMap entries. V8 names the internal edges that hold a WeakMap value
//! `"<n> / part of key (K @<id>) -> value (V @<id>) pair in WeakMap (table @<id>)"`
//! and emits one from the key and one from the table. The value lives while
//! both do, so one edge suffices for dominators; like DevTools we keep the
//! key's, so values are retained by their keys rather than by the table.

use std::collections::HashMap;

use super::strings::StringTable;

/// Which strings name ephemeron edges, and the table node each one names.
#[derive(Debug, Default)]
pub struct EphemeronNames {
    /// One bit per string: a cheap negative answer for the common case.
    flagged: Vec<u64>,
    /// Node ordinal of the table (not its id, so the dominator pass works
    /// after a single-snapshot analysis has dropped the id column).
    table_of: HashMap<u32, u32>,
}

/// The table id of an ephemeron edge name, or `None` for any other name.
fn parse_table_id(name: &str) -> Option<u32> {
    let digits_end = name.find(|c: char| !c.is_ascii_digit())?;
    if digits_end == 0 {
        return None;
    }
    let rest = name.get(digits_end..)?;
    if !rest.starts_with(" / part of key (") || !rest.contains(") -> value (") {
        return None;
    }
    let marker = " pair in WeakMap (table @";
    let at = rest.rfind(marker)?;
    let id = rest.get(at + marker.len()..)?.strip_suffix(')')?;
    if id.is_empty() || !id.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    id.parse().ok()
}

impl EphemeronNames {
    /// Scans the string table once, then the ids once to find the tables.
    pub fn scan(strings: &StringTable, node_id: &[u32]) -> Self {
        let mut names = EphemeronNames::default();
        for i in 0..strings.len() as u32 {
            let s = strings.get(i);
            if !s.contains("pair in WeakMap") {
                continue;
            }
            if let Some(table) = parse_table_id(s) {
                let word = i as usize / 64;
                if names.flagged.len() <= word {
                    names.flagged.resize(word + 1, 0);
                }
                if let Some(w) = names.flagged.get_mut(word) {
                    *w |= 1 << (i % 64);
                }
                names.table_of.insert(i, table);
            }
        }
        if names.table_of.is_empty() {
            return names;
        }
        let mut ordinal_of: HashMap<u32, u32> =
            names.table_of.values().map(|&id| (id, u32::MAX)).collect();
        for (ordinal, id) in node_id.iter().enumerate() {
            if let Some(slot) = ordinal_of.get_mut(id) {
                *slot = ordinal as u32;
            }
        }
        for table in names.table_of.values_mut() {
            *table = ordinal_of.get(table).copied().unwrap_or(u32::MAX);
        }
        names
    }

    /// The table node named by string `name`, if it names an ephemeron edge
    /// (`u32::MAX` when no node has the table's id).
    pub fn table_node(&self, name: u32) -> Option<u32> {
        let word = self.flagged.get(name as usize / 64)?;
        if word & (1 << (name % 64)) == 0 {
            return None;
        }
        self.table_of.get(&name).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_v8_ephemeron_edge_names() {
        assert_eq!(
            parse_table_id("3 / part of key (Object @12345) -> value (Array @678) pair in WeakMap (table @91011)"),
            Some(91011)
        );
        assert_eq!(parse_table_id("table"), None);
        assert_eq!(
            parse_table_id("3 / part of key (x) pair in WeakMap (table @1)"),
            None
        );
        assert_eq!(
            parse_table_id(" / part of key (a @1) -> value (b @2) pair in WeakMap (table @3)"),
            None
        );
        assert_eq!(
            parse_table_id("1 / part of key (a @1) -> value (b @2) pair in WeakMap (table @x)"),
            None
        );
    }
}
