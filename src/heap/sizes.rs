//! Self sizes in 2 bytes per node. Almost every V8 object is smaller than
//! 64 KiB; the few that are not (big arrays, backing stores) go to a map.
//! This column is alive through every phase, including the dominator pass
//! that sets the analyzer's memory peak, so its 2 bytes per node count.

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
}
