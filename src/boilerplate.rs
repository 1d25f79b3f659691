//! Boilerplate detection by document frequency, in one streaming pass.
//!
//! Shingles that occur in many documents (an outlet's header and footer, an
//! app advert, a syndication disclaimer, a photo caption reused across
//! stories) say nothing about whether two articles are the same story. They
//! are counted in a count-min sketch while the corpus streams by (each
//! document adds its *set* of shingles, so the count is a document
//! frequency), and after the pass every shingle whose estimated frequency is
//! above the cut is dropped from the sets used for matching.
//!
//! A count-min sketch never under-counts; it over-counts a shingle only when
//! all of its [`DEPTH`] counters collide with heavier shingles. The width is
//! sized from the number of shingles seen so that the expected noise per
//! counter stays far below any sensible cut. Counting is order-independent
//! (additions commute), so the result does not depend on the thread count,
//! and two sketches of the same width merge by adding counters.

use std::sync::atomic::{AtomicU32, Ordering};

/// Rows of the sketch.
pub const DEPTH: usize = 4;

/// A count-min sketch of shingle document frequencies.
#[derive(Debug)]
pub struct DfSketch {
    width_bits: u32,
    counters: Vec<AtomicU32>,
}

impl DfSketch {
    /// A sketch for about `expected` shingle occurrences (summed set sizes).
    pub fn for_volume(expected: usize) -> Self {
        // Aim for at most ~4 occurrences per counter; 2^16..2^24 counters.
        let want = (expected / 4).max(1).next_power_of_two();
        let bits = want.trailing_zeros().clamp(16, 24);
        Self::with_width_bits(bits)
    }

    /// A sketch of `2^bits` counters per row.
    pub fn with_width_bits(bits: u32) -> Self {
        let n = DEPTH << bits;
        DfSketch {
            width_bits: bits,
            counters: (0..n).map(|_| AtomicU32::new(0)).collect(),
        }
    }

    #[inline]
    fn slot(&self, row: usize, h: u64) -> usize {
        // Independent row hashes from one 64-bit hash by odd multipliers.
        const MUL: [u64; DEPTH] = [
            0x9E37_79B9_7F4A_7C15,
            0xC2B2_AE3D_27D4_EB4F,
            0x1656_67B1_9E37_79F9,
            0xD6E8_FEB8_6659_FD93,
        ];
        let x = h.wrapping_mul(MUL[row]);
        (row << self.width_bits) | (x >> (64 - self.width_bits)) as usize
    }

    /// Adds one document's shingle set (each shingle once).
    pub fn add_set(&self, set: &[u64]) {
        for &h in set {
            for row in 0..DEPTH {
                self.counters[self.slot(row, h)].fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    /// Estimated number of documents containing `h` (never below the truth).
    pub fn estimate(&self, h: u64) -> u32 {
        (0..DEPTH)
            .map(|row| self.counters[self.slot(row, h)].load(Ordering::Relaxed))
            .min()
            .unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_undercounts_and_is_tight_when_sparse() {
        let s = DfSketch::with_width_bits(16);
        for d in 0..100u64 {
            let mut set: Vec<u64> = (0..50).map(|i| d * 1000 + i).collect();
            set.push(u64::MAX); // in every document
            s.add_set(&set);
        }
        assert!(s.estimate(u64::MAX) >= 100);
        let over = (0..100u64).filter(|d| s.estimate(d * 1000) > 1).count();
        assert!(over < 3, "{over}");
    }
}
