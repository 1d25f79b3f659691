//! Locality-sensitive hashing by banding.
//!
//! A signature of `bands * rows` values is cut into `bands` bands of `rows`
//! values. Two documents become a *candidate pair* when all `rows` values of
//! at least one band agree. For two documents of Jaccard similarity `s` this
//! happens with probability
//!
//! ```text
//! P(s) = 1 - (1 - s^rows)^bands
//! ```
//!
//! an S-shaped curve whose steepest point sits near `(1/bands)^(1/rows)`.
//! [`optimal_params`] picks `bands` and `rows` (with `bands * rows == perms`)
//! that minimise the weighted area of false positives (`∫_0^t P(s) ds`) plus
//! false negatives (`∫_t^1 1 - P(s) ds`) around a threshold `t`.
//!
//! Candidate generation groups documents by band hash with a parallel sort
//! (no locked hash maps). A bucket larger than `max_bucket` documents (shared
//! boilerplate, thousands of identical pages) is not expanded into all its
//! pairs: each member is paired with the next `max_bucket` members only, in
//! document order, which keeps the work linear in the bucket size while still
//! connecting every member to its neighbours.

use rayon::prelude::*;
use xxhash_rust::xxh3::xxh3_64;

use crate::minhash::EMPTY;

/// Banding parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Banding {
    /// Number of bands.
    pub bands: usize,
    /// Signature values per band.
    pub rows: usize,
}

impl Banding {
    /// Probability that two documents of Jaccard `s` share at least one band.
    pub fn probability(&self, s: f64) -> f64 {
        1.0 - (1.0 - s.powi(self.rows as i32)).powi(self.bands as i32)
    }

    /// The similarity at which the S-curve is steepest, `(1/b)^(1/r)`.
    pub fn knee(&self) -> f64 {
        (1.0 / self.bands as f64).powf(1.0 / self.rows as f64)
    }
}

fn integrate(f: impl Fn(f64) -> f64, a: f64, b: f64) -> f64 {
    // Composite Simpson, plenty for these smooth curves.
    let n = 200;
    let h = (b - a) / n as f64;
    let mut s = f(a) + f(b);
    for i in 1..n {
        let x = a + i as f64 * h;
        s += f(x) * if i % 2 == 1 { 4.0 } else { 2.0 };
    }
    s * h / 3.0
}

/// False-positive and false-negative areas of a banding at threshold `t`.
pub fn error_areas(banding: Banding, t: f64) -> (f64, f64) {
    let fp = integrate(|s| banding.probability(s), 0.0, t);
    let fneg = integrate(|s| 1.0 - banding.probability(s), t, 1.0);
    (fp, fneg)
}

/// Chooses `bands x rows == perms` minimising
/// `fp_weight * FP(t) + fn_weight * FN(t)`.
pub fn optimal_params(t: f64, perms: usize, fp_weight: f64, fn_weight: f64) -> Banding {
    let mut best = Banding {
        bands: perms,
        rows: 1,
    };
    let mut best_err = f64::INFINITY;
    for rows in 1..=perms {
        if !perms.is_multiple_of(rows) {
            continue;
        }
        let b = Banding {
            bands: perms / rows,
            rows,
        };
        let (fp, fneg) = error_areas(b, t);
        let err = fp_weight * fp + fn_weight * fneg;
        if err < best_err - 1e-12 {
            best_err = err;
            best = b;
        }
    }
    best
}

/// Candidate pairs `(i, j)` with `i < j`, sorted and without repeats, from
/// `n` signatures stored back to back in `signatures` (each `perms` long).
///
/// Documents whose signature is empty (no shingles) never become candidates.
pub fn candidate_pairs(
    signatures: &[u32],
    perms: usize,
    banding: Banding,
    max_bucket: usize,
) -> Vec<(u32, u32)> {
    assert!(perms > 0 && signatures.len().is_multiple_of(perms));
    assert!(banding.bands * banding.rows <= perms);
    let n = signatures.len() / perms;
    let max_bucket = max_bucket.max(1);
    let mut pairs: Vec<(u32, u32)> = (0..banding.bands)
        .into_par_iter()
        .flat_map_iter(|band| {
            let lo = band * banding.rows;
            let hi = lo + banding.rows;
            let mut keys: Vec<(u64, u32)> = (0..n)
                .filter_map(|d| {
                    let sig = &signatures[d * perms..(d + 1) * perms];
                    if sig[0] == EMPTY {
                        return None;
                    }
                    let band_vals = &sig[lo..hi];
                    // SAFETY-free byte view through an explicit copy.
                    let mut bytes = [0u8; 256];
                    let len = band_vals.len() * 4;
                    let h = if len <= bytes.len() {
                        for (i, v) in band_vals.iter().enumerate() {
                            bytes[i * 4..i * 4 + 4].copy_from_slice(&v.to_le_bytes());
                        }
                        xxh3_64(&bytes[..len])
                    } else {
                        let v: Vec<u8> = band_vals.iter().flat_map(|v| v.to_le_bytes()).collect();
                        xxh3_64(&v)
                    };
                    Some((h, d as u32))
                })
                .collect();
            sort_by_hash(&mut keys);
            let mut out = Vec::new();
            let mut i = 0;
            while i < keys.len() {
                let mut j = i + 1;
                while j < keys.len() && keys[j].0 == keys[i].0 {
                    j += 1;
                }
                let bucket = &keys[i..j];
                for (x, &(_, a)) in bucket.iter().enumerate() {
                    let stop = (x + 1 + max_bucket).min(bucket.len());
                    for &(_, b) in &bucket[x + 1..stop] {
                        out.push((a, b));
                    }
                }
                i = j;
            }
            out
        })
        .collect();
    pairs.par_sort_unstable();
    pairs.dedup();
    pairs
}

/// Sorts band keys `(hash, document)` by hash, documents ascending within a
/// hash when they come in ascending (they do: documents are listed in
/// order), like `sort_unstable` on the pairs.
///
/// Band hashes are uniform, so one stable counting pass by the top bits
/// (about one bucket per key) leaves every key within its bucket, and an
/// insertion pass finishes; equal hashes (the copies LSH is looking for)
/// are already in order and cost nothing. Should the insertion pass move
/// keys too often (inputs that are not hashes), it stops and the keys are
/// sorted by comparison instead.
fn sort_by_hash(keys: &mut Vec<(u64, u32)>) {
    let n = keys.len();
    if n < 64 {
        keys.sort_unstable();
        return;
    }
    let bits = (usize::BITS - (n - 1).leading_zeros()).min(20);
    let shift = 64 - bits;
    let mut at = vec![0usize; (1 << bits) + 1];
    for &(h, _) in keys.iter() {
        at[(h >> shift) as usize + 1] += 1;
    }
    for b in 0..1usize << bits {
        at[b + 1] += at[b];
    }
    let mut out = vec![(0u64, 0u32); n];
    for &k in keys.iter() {
        let b = (k.0 >> shift) as usize;
        out[at[b]] = k;
        at[b] += 1;
    }
    let mut moves = 0usize;
    for i in 1..n {
        let x = out[i];
        let mut j = i;
        while j > 0 && out[j - 1].0 > x.0 {
            out[j] = out[j - 1];
            j -= 1;
        }
        out[j] = x;
        moves += i - j;
        if moves > 8 * n {
            keys.sort_unstable();
            return;
        }
    }
    *keys = out;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sort_by_hash_is_sort_unstable() {
        let mut state = 9u64;
        let mut next = move || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            state
        };
        for n in [0usize, 5, 63, 64, 100, 5000, 70_000] {
            for shape in 0..3 {
                let mut keys: Vec<(u64, u32)> = (0..n as u32)
                    .map(|d| {
                        let r = next();
                        let h = match shape {
                            0 => r,                        // hashes
                            1 => r % 40 * (u64::MAX / 40), // a few big clusters
                            _ => r >> 40,                  // not hashes: the fallback
                        };
                        (h, d)
                    })
                    .collect();
                let mut want = keys.clone();
                want.sort_unstable();
                sort_by_hash(&mut keys);
                assert_eq!(keys, want, "{n} {shape}");
            }
        }
    }

    #[test]
    fn s_curve_shape() {
        let b = Banding { bands: 32, rows: 4 };
        assert!(b.probability(0.0) == 0.0);
        assert!((b.probability(1.0) - 1.0).abs() < 1e-12);
        assert!(b.probability(0.2) < 0.06);
        assert!(b.probability(0.7) > 0.99);
        assert!((b.knee() - 0.42).abs() < 0.01);
    }

    #[test]
    fn optimal_params_move_with_threshold() {
        let low = optimal_params(0.2, 128, 1.0, 1.0);
        let high = optimal_params(0.8, 128, 1.0, 1.0);
        assert_eq!(low.bands * low.rows, 128);
        assert!(low.rows < high.rows, "{low:?} {high:?}");
    }

    #[test]
    fn huge_bucket_is_linear() {
        let perms = 4;
        let n = 1000;
        let sigs: Vec<u32> = (0..n).flat_map(|_| [1u32, 2, 3, 4]).collect();
        let pairs = candidate_pairs(&sigs, perms, Banding { bands: 2, rows: 2 }, 10);
        assert!(pairs.len() <= n * 10);
        assert!(pairs.len() >= n - 1);
        let small = candidate_pairs(&sigs[..40], perms, Banding { bands: 2, rows: 2 }, 10);
        assert_eq!(small.len(), 10 * 9 / 2);
    }
}
