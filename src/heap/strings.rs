//! The snapshot's string table, stored as one buffer plus end offsets so that
//! a million strings cost one allocation, not a million.

use super::error::HeapError;

/// All strings of a snapshot in one buffer; `ends[i]` is where string `i` ends.
#[derive(Debug, Default)]
pub struct StringTable {
    data: String,
    ends: Vec<u32>,
}

impl StringTable {
    /// Appends a string, replacing invalid UTF-8, within `max_total` bytes overall.
    pub fn push(&mut self, bytes: &[u8], max_total: usize) -> Result<(), HeapError> {
        let s = String::from_utf8_lossy(bytes);
        let limit = max_total.min(u32::MAX as usize);
        if self.data.len() + s.len() > limit {
            return Err(HeapError::too_large(format!(
                "strings exceed {limit} bytes in total"
            )));
        }
        self.data.push_str(&s);
        self.ends.push(self.data.len() as u32);
        Ok(())
    }

    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Returns the slack of amortised growth (up to half of the buffer).
    pub fn shrink_to_fit(&mut self) {
        self.data.shrink_to_fit();
        self.ends.shrink_to_fit();
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// String `i`, or "" when out of range (indices are validated at load).
    pub fn get(&self, i: u32) -> &str {
        let i = i as usize;
        let start = match i.checked_sub(1) {
            Some(prev) => self.ends.get(prev).copied().unwrap_or(0) as usize,
            None => 0,
        };
        let end = self.ends.get(i).copied().unwrap_or(0) as usize;
        self.data.get(start..end).unwrap_or("")
    }
}
