//! MinHash sketches of items the caller hashes one at a time, and an
//! in-memory LSH table keyed by the caller's numbers.
//!
//! The engine ([`crate::Engine`]) and the index ([`crate::index`]) make
//! shingles, signatures and band hashes themselves. Callers who keep their
//! own documents and shingles — a datasketch or rensa pipeline moving to
//! neardup, one `update` and one `insert` at a time — use these two types
//! instead (the Python package's `neardup.compat` is built on them). They
//! use the library's [`MinHasher`] (classic scheme: one hash function per
//! permutation, as datasketch does), its LSH banding and its band hashes.
//!
//! ```
//! use neardup::sketch::{LshTable, Sketcher};
//!
//! let sketcher = Sketcher::new(128, 1)?;
//! let sign = |words: &[&str]| {
//!     let mut sig = sketcher.empty();
//!     let items: Vec<u64> = words.iter().map(|w| Sketcher::hash_item(w.as_bytes())).collect();
//!     sketcher.update(&mut sig, &items);
//!     sig
//! };
//! let a = sign(&["minhash", "is", "a", "probabilistic", "data", "structure", "for"]);
//! let b = sign(&["minhash", "is", "a", "probability", "data", "structure", "for"]);
//! assert!(Sketcher::jaccard(&a, &b) > 0.5);
//!
//! let mut lsh = LshTable::new(0.5, 128, (0.5, 0.5))?;
//! lsh.insert(7, &a)?;
//! assert_eq!(lsh.query(&b)?, [7]);
//! # Ok::<(), neardup::Error>(())
//! ```

use std::collections::HashMap;

use crate::error::{Error, Result};
use crate::lsh::{band_keys, optimal_params, Banding};
use crate::minhash::{estimate_jaccard, MinHasher, EMPTY};

/// Largest signature length a [`Sketcher`] accepts.
pub const MAX_PERMS: usize = 1 << 16;

/// Signs items with `perms` classic MinHash permutations derived from a
/// seed.
#[derive(Debug, Clone)]
pub struct Sketcher {
    hasher: MinHasher,
    seed: u64,
}

impl Sketcher {
    /// A sketcher of `perms` permutations (1 to [`MAX_PERMS`]) from `seed`.
    pub fn new(perms: usize, seed: u64) -> Result<Sketcher> {
        check_perms(perms)?;
        Ok(Sketcher {
            hasher: MinHasher::new(perms, seed),
            seed,
        })
    }

    /// Signature length.
    pub fn perms(&self) -> usize {
        self.hasher.perms()
    }

    /// The seed the permutations come from.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// The signature of nothing: every slot [`EMPTY_SLOT`].
    pub fn empty(&self) -> Vec<u32> {
        vec![EMPTY; self.perms()]
    }

    /// The 64-bit hash of an item's bytes (XXH3), the input of
    /// [`update`](Self::update).
    pub fn hash_item(bytes: &[u8]) -> u64 {
        xxhash_rust::xxh3::xxh3_64(bytes)
    }

    /// Folds hashed items into `sig` (`perms` long): each slot keeps the
    /// least value seen. Order and repeats do not matter.
    ///
    /// # Panics
    /// When `sig.len()` is not [`perms`](Self::perms).
    pub fn update(&self, sig: &mut [u32], items: &[u64]) {
        if items.is_empty() {
            return;
        }
        let mut fresh = self.empty();
        self.hasher.signature_into(items, &mut fresh);
        merge(sig, &fresh);
    }

    /// Estimated Jaccard similarity of two signatures: the share of equal
    /// slots (0 when their lengths differ).
    pub fn jaccard(a: &[u32], b: &[u32]) -> f64 {
        estimate_jaccard(a, b)
    }
}

/// Folds signature `other` into `sig` (the signature of the union).
///
/// # Panics
/// When the lengths differ.
pub fn merge(sig: &mut [u32], other: &[u32]) {
    assert_eq!(sig.len(), other.len(), "signature lengths differ");
    for (s, &o) in sig.iter_mut().zip(other) {
        *s = (*s).min(o);
    }
}

/// The value of a slot no item has reached.
pub const EMPTY_SLOT: u32 = EMPTY;

/// An in-memory LSH table: keys (the caller's numbers) with their
/// signatures' band hashes; a query returns the keys sharing a band.
///
/// A signature with an empty first slot (nothing was added to it) has no
/// bands: it is stored but never a candidate, as in the engine.
#[derive(Debug, Clone)]
pub struct LshTable {
    perms: usize,
    banding: Banding,
    /// Per band: band hash -> keys, in insertion order.
    buckets: Vec<HashMap<u64, Vec<u64>>>,
    /// Each key's band hashes (empty when it has none).
    keys: HashMap<u64, Vec<u64>>,
}

impl LshTable {
    /// A table for signatures of `perms` slots whose banding minimises
    /// `weights.0 * false positives + weights.1 * false negatives` around
    /// the Jaccard `threshold` (the engine's choice of banding).
    pub fn new(threshold: f64, perms: usize, weights: (f64, f64)) -> Result<LshTable> {
        if !(threshold > 0.0 && threshold <= 1.0) {
            return Err(Error::Config(format!(
                "threshold must be in (0, 1], got {threshold}"
            )));
        }
        let (fp, fneg) = weights;
        if !(fp >= 0.0 && fneg >= 0.0 && (fp + fneg - 1.0).abs() < 1e-9) {
            return Err(Error::Config(format!(
                "weights must be two non-negative numbers summing to 1, got ({fp}, {fneg})"
            )));
        }
        check_perms(perms)?;
        Self::with_banding(perms, optimal_params(threshold, perms, fp, fneg))
    }

    /// A table with explicit banding: `bands` bands of `rows` slots, using
    /// the first `bands * rows` (at most `perms`) slots of each signature.
    pub fn with_banding(perms: usize, banding: Banding) -> Result<LshTable> {
        check_perms(perms)?;
        if banding.bands == 0 || banding.rows == 0 || banding.bands * banding.rows > perms {
            return Err(Error::Config(format!(
                "bands x rows must be at least 1 and at most num_perm ({perms}), got {} x {}",
                banding.bands, banding.rows
            )));
        }
        Ok(LshTable {
            perms,
            banding,
            buckets: vec![HashMap::new(); banding.bands],
            keys: HashMap::new(),
        })
    }

    /// The banding in use.
    pub fn banding(&self) -> Banding {
        self.banding
    }

    /// Signature length.
    pub fn perms(&self) -> usize {
        self.perms
    }

    /// Number of keys.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether the table has no key.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Whether `key` is in the table.
    pub fn contains(&self, key: u64) -> bool {
        self.keys.contains_key(&key)
    }

    fn check_len(&self, sig: &[u32]) -> Result<()> {
        if sig.len() != self.perms {
            return Err(Error::Config(format!(
                "signature of {} slots given to an LSH table of num_perm {}",
                sig.len(),
                self.perms
            )));
        }
        Ok(())
    }

    fn bands(&self, sig: &[u32]) -> Vec<u64> {
        let mut out = Vec::with_capacity(self.banding.bands);
        if !band_keys(sig, self.banding, &mut out) {
            out.clear();
        }
        out
    }

    /// Adds `key` with signature `sig`. Returns `false` (and changes
    /// nothing) when the key is already there.
    pub fn insert(&mut self, key: u64, sig: &[u32]) -> Result<bool> {
        self.check_len(sig)?;
        if self.keys.contains_key(&key) {
            return Ok(false);
        }
        let bands = self.bands(sig);
        for (table, &h) in self.buckets.iter_mut().zip(&bands) {
            table.entry(h).or_default().push(key);
        }
        self.keys.insert(key, bands);
        Ok(true)
    }

    /// Removes `key`; `false` when it was not there.
    pub fn remove(&mut self, key: u64) -> bool {
        let Some(bands) = self.keys.remove(&key) else {
            return false;
        };
        for (table, h) in self.buckets.iter_mut().zip(&bands) {
            if let Some(list) = table.get_mut(h) {
                list.retain(|&k| k != key);
                if list.is_empty() {
                    table.remove(h);
                }
            }
        }
        true
    }

    /// Keys sharing at least one band with `sig`, sorted, without repeats.
    pub fn query(&self, sig: &[u32]) -> Result<Vec<u64>> {
        self.check_len(sig)?;
        let mut out: Vec<u64> = Vec::new();
        for (table, h) in self.buckets.iter().zip(self.bands(sig)) {
            if let Some(list) = table.get(&h) {
                out.extend_from_slice(list);
            }
        }
        out.sort_unstable();
        out.dedup();
        Ok(out)
    }
}

fn check_perms(perms: usize) -> Result<()> {
    if perms == 0 || perms > MAX_PERMS {
        return Err(Error::Config(format!(
            "num_perm must be between 1 and {MAX_PERMS}, got {perms}"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sig(s: &Sketcher, items: impl IntoIterator<Item = u64>) -> Vec<u32> {
        let mut out = s.empty();
        let items: Vec<u64> = items.into_iter().collect();
        s.update(&mut out, &items);
        out
    }

    #[test]
    fn update_in_parts_equals_update_at_once() {
        let s = Sketcher::new(64, 3).unwrap();
        let whole = sig(&s, 0..500);
        let mut parts = s.empty();
        for chunk in (0..500u64).collect::<Vec<_>>().chunks(37) {
            s.update(&mut parts, chunk);
        }
        assert_eq!(whole, parts);
        // Same as the library's hasher on the whole set.
        assert_eq!(
            whole,
            MinHasher::new(64, 3).signature(&(0..500).collect::<Vec<_>>())
        );
    }

    #[test]
    fn jaccard_estimate_is_close() {
        let s = Sketcher::new(256, 9).unwrap();
        let (a, b) = (sig(&s, 0..1000), sig(&s, 500..1500)); // J = 1/3
        assert!((Sketcher::jaccard(&a, &b) - 1.0 / 3.0).abs() < 0.1);
        let mut u = a.clone();
        merge(&mut u, &b);
        assert_eq!(u, sig(&s, 0..1500));
    }

    #[test]
    fn bad_sizes_are_errors() {
        assert!(Sketcher::new(0, 1).is_err());
        assert!(LshTable::new(1.5, 128, (0.5, 0.5)).is_err());
        assert!(LshTable::new(0.5, 128, (0.5, 0.6)).is_err());
        let banding = Banding { bands: 20, rows: 7 };
        assert!(LshTable::with_banding(128, banding).is_err());
        let mut t = LshTable::new(0.5, 128, (0.5, 0.5)).unwrap();
        assert!(t.insert(1, &[0; 64]).is_err());
        assert!(t.query(&[0; 3]).is_err());
    }

    #[test]
    fn insert_query_remove() {
        let s = Sketcher::new(128, 1).unwrap();
        let mut t = LshTable::new(0.5, 128, (0.5, 0.5)).unwrap();
        let a = sig(&s, 0..1000);
        let near = sig(&s, 50..1050); // J ~ 0.9
        let far = sig(&s, 5000..6000);
        assert!(t.insert(10, &a).unwrap());
        assert!(!t.insert(10, &far).unwrap(), "a key is kept once");
        assert!(t.insert(11, &far).unwrap());
        assert!(t.insert(12, &s.empty()).unwrap());
        assert_eq!(t.len(), 3);
        assert_eq!(t.query(&near).unwrap(), [10]);
        assert_eq!(t.query(&far).unwrap(), [11]);
        assert!(t.query(&s.empty()).unwrap().is_empty(), "no bands");
        assert!(t.remove(10));
        assert!(!t.remove(10));
        assert!(t.query(&near).unwrap().is_empty());
        assert!(t.remove(12));
        assert_eq!(t.len(), 1);
    }
}
