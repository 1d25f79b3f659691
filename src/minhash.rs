//! MinHash signatures.
//!
//! For permutation `i` the hash of a shingle `x` is
//! `h_i(x) = ((a_i * fold(x) + b_i) mod 2^64) >> 32`, where `fold(x)` xors the
//! two 32-bit halves of the 64-bit shingle hash and `a_i`, `b_i` are 64-bit
//! constants. This is Dietzfelbinger's multiply-add-shift family, strongly
//! universal for 32-bit keys, and it maps onto 32x32->64 multiplies that the
//! compiler vectorizes. A signature keeps the minimum of each `h_i` over the
//! document's shingles: `P[sig_a[i] == sig_b[i]] ≈ J(A, B)`.
//!
//! The constants come from SplitMix64 seeded with the configured seed. That
//! algorithm is written out here, not taken from a random-number crate, so a
//! signature computed today is identical on any machine and any later version
//! (see [`MINHASH_VERSION`]).
//!
//! # One-permutation hashing
//!
//! [`Scheme::OnePermutation`] (the default) computes the same kind of
//! signature with one hash per shingle instead of one per permutation (Li,
//! Owen and Zhang 2012): a 64-bit mix of the shingle picks one of the `perms`
//! bins with its high bits and competes for that bin's minimum with its low
//! 32 bits. Bins no shingle fell into are filled by *optimal densification*
//! (Shrivastava 2017): empty bin `i` probes bins `g(i, 0), g(i, 1), ...` (a
//! fixed sequence that depends only on `i` and the seed) and copies the
//! first non-empty one. Two documents then agree on a slot with probability
//! (very nearly) their Jaccard similarity, as with `perms` independent
//! permutations, at 1/`perms` of the hashing cost. The estimate's variance
//! matches classic MinHash once a document has a few shingles per bin (640
//! words at 128 bins: five) and stays within a few percent below that
//! (measured in `tests/properties.rs`).

/// Version of the signature scheme (hash family and seed expansion).
pub const MINHASH_VERSION: u32 = 1;

/// SplitMix64 (Steele, Lea, Flood 2014), the fixed seed-expansion algorithm.
#[derive(Debug, Clone)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    /// A generator starting at `seed`.
    pub fn new(seed: u64) -> Self {
        SplitMix64(seed)
    }
    /// The next 64-bit value.
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

/// How signatures are computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Scheme {
    /// `perms` independent hash functions, one minimum each (version 1; the
    /// scheme of indexes written before one-permutation hashing).
    Classic,
    /// One hash per shingle into `perms` bins, with optimal densification.
    #[default]
    OnePermutation,
}

impl Scheme {
    /// The name used on the command line and in stored configurations.
    pub fn as_str(self) -> &'static str {
        match self {
            Scheme::Classic => "classic",
            Scheme::OnePermutation => "one-permutation",
        }
    }
}

/// Computes MinHash signatures with a fixed number of permutations.
#[derive(Debug, Clone)]
pub struct MinHasher {
    scheme: Scheme,
    a: Vec<u64>,
    b: Vec<u64>,
    /// One-permutation hashing: the seed mixed into every shingle.
    key: u64,
    /// One-permutation hashing: for each bin, the probe sequence of
    /// densification (bins to copy from, in order), `PROBES` per bin.
    probes: Vec<u16>,
}

/// Densification probes precomputed per bin; past them, probing continues
/// with computed values.
const PROBES: usize = 8;

/// A 64-bit finalizer (MurmurHash3's fmix64): every input bit affects every
/// output bit.
#[inline(always)]
fn fmix64(mut h: u64) -> u64 {
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^ (h >> 33)
}

/// Bin `x`'s high 32 bits into `0..n` without division bias worth noting.
#[inline(always)]
fn bin_of(h: u64, n: usize) -> usize {
    (((h >> 32) * n as u64) >> 32) as usize
}

/// The value of an empty signature slot (no shingle seen).
pub const EMPTY: u32 = u32::MAX;

impl MinHasher {
    /// A classic hasher with `perms` permutations derived from `seed`
    /// ([`Scheme::Classic`]).
    pub fn new(perms: usize, seed: u64) -> Self {
        Self::with_scheme(Scheme::Classic, perms, seed)
    }

    /// A hasher of the given scheme with `perms` slots derived from `seed`.
    ///
    /// # Panics
    /// With [`Scheme::OnePermutation`], when `perms` is over 4096 (the
    /// limit [`crate::Config`] enforces).
    ///
    /// ```
    /// use neardup::minhash::{estimate_jaccard, MinHasher, Scheme};
    /// let h = MinHasher::with_scheme(Scheme::OnePermutation, 128, 42);
    /// let a: Vec<u64> = (0..1000).collect();
    /// let b: Vec<u64> = (500..1500).collect(); // Jaccard 1/3
    /// let est = estimate_jaccard(&h.signature(&a), &h.signature(&b));
    /// assert!((est - 1.0 / 3.0).abs() < 0.15);
    /// ```
    pub fn with_scheme(scheme: Scheme, perms: usize, seed: u64) -> Self {
        let mut rng = SplitMix64::new(seed);
        let mut a = Vec::with_capacity(perms);
        let mut b = Vec::with_capacity(perms);
        for _ in 0..perms {
            a.push(rng.next() | 1);
            b.push(rng.next());
        }
        let key = rng.next();
        let mut probes = Vec::new();
        if scheme == Scheme::OnePermutation {
            assert!(
                perms <= 4096,
                "one-permutation hashing takes at most 4096 bins"
            );
            // Bins are u16: `perms` is at most 4096 (checked by Config).
            probes = (0..perms)
                .flat_map(|i| (0..PROBES).map(move |t| probe(key, i, t, perms) as u16))
                .collect();
            a.clear();
            b.clear();
        }
        MinHasher {
            scheme,
            a,
            b,
            key,
            probes,
        }
    }

    /// The scheme.
    pub fn scheme(&self) -> Scheme {
        self.scheme
    }

    /// Number of permutations (signature length).
    pub fn perms(&self) -> usize {
        match self.scheme {
            Scheme::Classic => self.a.len(),
            Scheme::OnePermutation => self.probes.len() / PROBES,
        }
    }

    /// Writes the signature of the shingle set `shingles` into `out`
    /// (`out.len()` must equal [`perms`](Self::perms)). An empty set gives a
    /// signature of [`EMPTY`] values.
    /// Repeated shingles and their order do not matter.
    pub fn signature_into(&self, shingles: &[u64], out: &mut [u32]) {
        assert_eq!(out.len(), self.perms(), "signature length");
        if self.scheme == Scheme::OnePermutation {
            self.signature_oph(shingles, out);
            return;
        }
        #[cfg(target_arch = "x86_64")]
        {
            if std::is_x86_feature_detected!("avx2") {
                // SAFETY: the CPU supports AVX2, checked just above.
                unsafe { self.signature_avx2(shingles, out) };
                return;
            }
        }
        self.signature_portable(shingles, out);
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn signature_avx2(&self, shingles: &[u64], out: &mut [u32]) {
        self.signature_portable(shingles, out)
    }

    /// The kernel. `h = ((a * key + b) mod 2^64) >> 32` is computed in
    /// 32-bit halves, `hi32(a_lo * key + b_lo) + a_hi * key + b_hi (mod
    /// 2^32)`, which gives the same bits with one 32x32->64 multiply and one
    /// 32-bit multiply per value: both vectorize.
    #[inline(always)]
    #[allow(clippy::needless_range_loop)] // indexed form keeps the loop vectorizable
    fn signature_portable(&self, shingles: &[u64], out: &mut [u32]) {
        out.fill(EMPTY);
        const LANE: usize = 64;
        let n = self.a.len();
        let mut a_lo = [0u32; LANE];
        let mut a_hi = [0u32; LANE];
        let mut b_lo = [0u32; LANE];
        let mut b_hi = [0u32; LANE];
        let mut start = 0;
        while start < n {
            let end = (start + LANE).min(n);
            let m = end - start;
            for i in 0..m {
                a_lo[i] = self.a[start + i] as u32;
                a_hi[i] = (self.a[start + i] >> 32) as u32;
                b_lo[i] = self.b[start + i] as u32;
                b_hi[i] = (self.b[start + i] >> 32) as u32;
            }
            let o = &mut out[start..end];
            let (al, ah, bl, bh) = (&a_lo[..m], &a_hi[..m], &b_lo[..m], &b_hi[..m]);
            for &x in shingles {
                let key = (x ^ (x >> 32)) as u32;
                for i in 0..m {
                    let low = (al[i] as u64 * key as u64 + bl[i] as u64) >> 32;
                    let h = (low as u32)
                        .wrapping_add(ah[i].wrapping_mul(key))
                        .wrapping_add(bh[i]);
                    o[i] = o[i].min(h);
                }
            }
            start = end;
        }
    }

    /// One-permutation hashing with optimal densification.
    fn signature_oph(&self, shingles: &[u64], out: &mut [u32]) {
        out.fill(EMPTY);
        let n = out.len();
        if shingles.is_empty() {
            return;
        }
        // A bin got a value of its own when its minimum is below EMPTY, or
        // (rarely) when a shingle hashed to exactly EMPTY there, which
        // `filled` records. Marking every bin as it is hit would chain each
        // shingle to the last through the few words of `filled` (a
        // store-to-load round trip each).
        let mut filled = [0u64; 4096 / 64];
        for &x in shingles {
            let h = fmix64(x ^ self.key);
            let bin = bin_of(h, n);
            let v = h as u32;
            out[bin] = out[bin].min(v);
            if v == EMPTY {
                filled[bin / 64] |= 1 << (bin % 64);
            }
        }
        for (i, &v) in out.iter().enumerate() {
            filled[i / 64] |= ((v != EMPTY) as u64) << (i % 64);
        }
        let is_filled = |j: usize| filled[j / 64] >> (j % 64) & 1 == 1;
        for i in 0..n {
            if is_filled(i) {
                continue;
            }
            let mut t = 0;
            let from = loop {
                let j = if t < PROBES {
                    self.probes[i * PROBES + t] as usize
                } else {
                    probe(self.key, i, t, n)
                };
                if is_filled(j) {
                    break j;
                }
                t += 1;
            };
            out[i] = out[from];
        }
    }

    /// The straightforward 64-bit formula; the kernel must agree with it.
    #[cfg(test)]
    #[allow(clippy::needless_range_loop)]
    fn signature_naive(&self, shingles: &[u64]) -> Vec<u32> {
        let mut out = vec![EMPTY; self.a.len()];
        for &x in shingles {
            let key = (x ^ (x >> 32)) & 0xFFFF_FFFF;
            for i in 0..out.len() {
                let h = (self.a[i].wrapping_mul(key).wrapping_add(self.b[i]) >> 32) as u32;
                out[i] = out[i].min(h);
            }
        }
        out
    }

    /// The signature of a shingle set.
    ///
    /// ```
    /// use neardup::minhash::{MinHasher, estimate_jaccard};
    /// let h = MinHasher::new(128, 42);
    /// let a: Vec<u64> = (0..1000).collect();
    /// let b: Vec<u64> = (500..1500).collect(); // Jaccard 1/3
    /// let est = estimate_jaccard(&h.signature(&a), &h.signature(&b));
    /// assert!((est - 1.0 / 3.0).abs() < 0.15);
    /// ```
    pub fn signature(&self, shingles: &[u64]) -> Vec<u32> {
        let mut out = vec![EMPTY; self.perms()];
        self.signature_into(shingles, &mut out);
        out
    }
}

/// The `t`-th bin empty bin `i` copies from under densification.
#[inline]
fn probe(key: u64, i: usize, t: usize, n: usize) -> usize {
    let h = fmix64(key ^ ((i as u64) << 32 | t as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
    bin_of(h, n)
}

/// Estimated Jaccard similarity: the share of equal signature slots.
pub fn estimate_jaccard(a: &[u32], b: &[u32]) -> f64 {
    if a.is_empty() || a.len() != b.len() {
        return 0.0;
    }
    // Counted as a sum of 0s and 1s, which the compiler vectorizes.
    let eq: usize = a.iter().zip(b).map(|(x, y)| (x == y) as usize).sum();
    eq as f64 / a.len() as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The `x` with `fmix64(x) == h` (each step of `fmix64` undone).
    fn unmix64(mut h: u64) -> u64 {
        // Inverse of an odd multiplier modulo 2^64 (Newton's iteration).
        let inv = |a: u64| {
            (0..6).fold(a, |x, _| {
                x.wrapping_mul(2u64.wrapping_sub(a.wrapping_mul(x)))
            })
        };
        h ^= h >> 33; // `h ^= h >> 33` undoes itself
        h = h.wrapping_mul(inv(0xc4ce_b9fe_1a85_ec53));
        h ^= h >> 33;
        h = h.wrapping_mul(inv(0xff51_afd7_ed55_8ccd));
        h ^ (h >> 33)
    }

    #[test]
    fn a_bin_whose_minimum_is_exactly_empty_counts_as_filled() {
        let m = MinHasher::with_scheme(Scheme::OnePermutation, 128, 7);
        // A shingle hashing to EMPTY (in bin 0) and one hashing elsewhere.
        let at_empty = unmix64(EMPTY as u64) ^ m.key;
        let other = unmix64(0x8000_0000_0000_1234) ^ m.key;
        assert_eq!(fmix64(at_empty ^ m.key) as u32, EMPTY);
        // With another shingle, its own bin keeps EMPTY instead of
        // copying the other's value.
        let sig = m.signature(&[at_empty, other]);
        assert_eq!(sig[0], EMPTY);
        assert_eq!(sig[bin_of(fmix64(other ^ m.key), 128)], 0x1234);
        // Alone, it fills every bin (by densification) with EMPTY.
        assert_eq!(m.signature(&[at_empty]), vec![EMPTY; 128]);
    }

    const PINNED: [u32; 4] = [467205672, 55022824, 335269817, 804704872];
    const PINNED_OPH: [u32; 4] = [3345469822, 3345469822, 1360142738, 3261126087];

    #[test]
    fn splitmix_is_pinned() {
        // Reference values of SplitMix64 seeded with 0: they must never change.
        let mut r = SplitMix64::new(0);
        assert_eq!(r.next(), 0xE220_A839_7B1D_CDAF);
        assert_eq!(r.next(), 0x6E78_9E6A_A1B9_65F4);
    }

    #[test]
    fn identical_sets_identical_signatures() {
        let h = MinHasher::new(64, 7);
        let a: Vec<u64> = (0..50).map(|i| i * 7919).collect();
        assert_eq!(h.signature(&a), h.signature(&a));
        assert_eq!(estimate_jaccard(&h.signature(&a), &h.signature(&a)), 1.0);
    }

    #[test]
    fn kernel_matches_naive_formula() {
        for perms in [1, 7, 64, 100, 128, 200] {
            let h = MinHasher::new(perms, perms as u64);
            let set: Vec<u64> = (0..500u64)
                .map(|i| i.wrapping_mul(0x9E37_79B9_7F4A_7C15))
                .collect();
            assert_eq!(h.signature(&set), h.signature_naive(&set));
        }
    }

    #[test]
    fn signature_is_pinned() {
        // Signatures are persisted: this value must never change.
        let h = MinHasher::new(4, crate::config::DEFAULT_SEED);
        let sig = h.signature(&[1, 2, 3, 0xDEAD_BEEF_0000_0001]);
        assert_eq!(sig, PINNED);
    }

    #[test]
    fn one_permutation_is_pinned_and_dense() {
        let h = MinHasher::with_scheme(Scheme::OnePermutation, 4, crate::config::DEFAULT_SEED);
        let sig = h.signature(&[1, 2, 3, 0xDEAD_BEEF_0000_0001]);
        assert_eq!(sig, PINNED_OPH);
        // One shingle fills every bin through densification.
        let h = MinHasher::with_scheme(Scheme::OnePermutation, 128, 9);
        let one = h.signature(&[42]);
        assert!(one.iter().all(|&v| v == one[0] && v != EMPTY));
        assert!(h.signature(&[]).iter().all(|&v| v == EMPTY));
    }

    #[test]
    fn empty_set_is_empty_signature() {
        let h = MinHasher::new(16, 1);
        assert!(h.signature(&[]).iter().all(|&v| v == EMPTY));
    }

    #[test]
    fn different_seeds_differ() {
        let a: Vec<u64> = (0..50).collect();
        assert_ne!(
            MinHasher::new(16, 1).signature(&a),
            MinHasher::new(16, 2).signature(&a)
        );
    }
}
