//! Per-node size columns, narrow with a map for the rare wide values. Self
//! sizes take 2 bytes per node: almost every V8 object is smaller than 64 KiB,
//! and this column is alive through every phase, including the dominator pass
//! that sets the analyzer's memory peak. Retained sizes take 4 bytes.

use std::collections::HashMap;

/// Marks a size kept in `big`.
const BIG: u16 = u16::MAX;

#[derive(Debug, Default)]
pub struct SelfSizes {
    small: Vec<u16>,
    /// Sizes of `BIG` and above, saturated at `u32::MAX` (no single V8 object
    /// comes near 4 GiB).
    big: HashMap<u32, u32>,
}

impl SelfSizes {
    pub fn push(&mut self, size: u64) {
        let node = self.small.len() as u32;
        match u16::try_from(size) {
            Ok(s) if s != BIG => self.small.push(s),
            _ => {
                self.small.push(BIG);
                self.big.insert(node, size.min(u64::from(u32::MAX)) as u32);
            }
        }
    }

    pub fn get(&self, node: u32) -> u64 {
        match self.small.get(node as usize).copied() {
            Some(BIG) => u64::from(self.big.get(&node).copied().unwrap_or(u32::from(BIG))),
            Some(s) => u64::from(s),
            None => 0,
        }
    }

    pub fn len(&self) -> usize {
        self.small.len()
    }

    pub fn is_empty(&self) -> bool {
        self.small.is_empty()
    }

    pub fn reserve(&mut self, additional: usize) {
        self.small.reserve(additional);
    }

    pub fn shrink_to_fit(&mut self) {
        self.small.shrink_to_fit();
        self.big.shrink_to_fit();
    }

    pub fn total(&self) -> u64 {
        (0..self.small.len() as u32).map(|v| self.get(v)).sum()
    }
}

/// Marks a retained size kept in [`RetainedSizes::big`].
const BIG_RETAINED: u32 = u32::MAX;

/// Retained sizes in 4 bytes per node: all but a handful of nodes (the root,
/// a few containers) retain less than 4 GiB, and those few go to a map. Half
/// the size of a `Vec<u64>`, which lowers every later phase's peak.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct RetainedSizes {
    small: Vec<u32>,
    big: HashMap<u32, u64>,
}

impl RetainedSizes {
    pub fn zeroed(n: usize) -> Self {
        RetainedSizes {
            small: vec![0; n],
            big: HashMap::new(),
        }
    }

    pub fn get(&self, node: u32) -> u64 {
        match self.small.get(node as usize).copied() {
            Some(BIG_RETAINED) => self
                .big
                .get(&node)
                .copied()
                .unwrap_or(u64::from(BIG_RETAINED)),
            Some(v) => u64::from(v),
            None => 0,
        }
    }

    pub fn set(&mut self, node: u32, value: u64) {
        let Some(slot) = self.small.get_mut(node as usize) else {
            return;
        };
        match u32::try_from(value) {
            Ok(v) if v != BIG_RETAINED => {
                *slot = v;
                self.big.remove(&node);
            }
            _ => {
                *slot = BIG_RETAINED;
                self.big.insert(node, value);
            }
        }
    }

    pub fn add(&mut self, node: u32, value: u64) {
        self.set(node, self.get(node).saturating_add(value));
    }

    pub fn len(&self) -> usize {
        self.small.len()
    }

    pub fn is_empty(&self) -> bool {
        self.small.is_empty()
    }

    /// All sizes in node order (tests and debugging).
    pub fn to_vec(&self) -> Vec<u64> {
        (0..self.small.len() as u32).map(|v| self.get(v)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_and_big_sizes_round_trip() {
        let mut s = SelfSizes::default();
        for size in [0, 24, 65534, 65535, 1 << 20, u64::from(u32::MAX) + 5] {
            s.push(size);
        }
        assert_eq!(s.get(0), 0);
        assert_eq!(s.get(1), 24);
        assert_eq!(s.get(2), 65534);
        assert_eq!(s.get(3), 65535);
        assert_eq!(s.get(4), 1 << 20);
        assert_eq!(s.get(5), u64::from(u32::MAX), "saturated");
        assert_eq!(s.get(6), 0, "past the end");
        assert_eq!(s.len(), 6);
        assert_eq!(s.big.len(), 3);
        assert_eq!(
            s.total(),
            24 + 65534 + 65535 + (1 << 20) + u64::from(u32::MAX)
        );
    }

    #[test]
    fn retained_sizes_above_4_gib_are_kept_exactly() {
        let mut r = RetainedSizes::zeroed(3);
        r.set(1, 7);
        r.add(1, u64::from(u32::MAX));
        assert_eq!(r.get(1), 7 + u64::from(u32::MAX));
        r.add(0, u64::from(u32::MAX));
        assert_eq!(
            r.get(0),
            u64::from(u32::MAX),
            "exactly the marker value goes to the map too"
        );
        r.set(1, 5);
        assert_eq!(r.get(1), 5);
        assert_eq!(r.big.len(), 1);
        assert_eq!(r.get(9), 0);
    }
}
