//! Word shingles: overlapping k-grams of tokens, hashed to 64 bits.
//!
//! The hash of a shingle is `xxh3_64` of the little-endian bytes of its `k`
//! token hashes concatenated. A document with fewer than `k` (but at least
//! one) tokens yields a single shingle made of all its tokens, so two
//! identical two-word briefs are still comparable (and duplicates).

use crate::tokenize::Token;
use xxhash_rust::xxh3::xxh3_64;

/// Hash of one shingle: the k-gram `window` of token hashes.
#[inline]
pub fn shingle_hash(window: &[Token], buf: &mut Vec<u8>) -> u64 {
    buf.clear();
    for t in window {
        buf.extend_from_slice(&t.hash.to_le_bytes());
    }
    xxh3_64(buf)
}

/// Appends the hash of every k-gram of `tokens`, in text order (with
/// repeats), to `out` (cleared first).
pub fn shingles_into(tokens: &[Token], k: usize, out: &mut Vec<u64>) {
    out.clear();
    out.extend(tokens.iter().map(|t| t.hash));
    shingles_in_place(out, k);
}

/// Replaces the word hashes in `hashes` by the hash of every k-gram of
/// them, in text order: the values [`shingles_into`] gives for the tokens
/// of those hashes. The window starting at `i` overwrites word `i`'s hash,
/// which no later window reads.
pub(crate) fn shingles_in_place(hashes: &mut Vec<u64>, k: usize) {
    let k = k.max(1);
    if hashes.is_empty() {
        return;
    }
    let mut buf = Vec::with_capacity(8 * k);
    let mut bytes_hash = |w: &[u64]| {
        buf.clear();
        for h in w {
            buf.extend_from_slice(&h.to_le_bytes());
        }
        xxh3_64(&buf)
    };
    if hashes.len() < k {
        let h = bytes_hash(hashes);
        hashes.clear();
        hashes.push(h);
        return;
    }
    let windows = hashes.len() + 1 - k;
    if (3..=16).contains(&k) {
        // The same value as `shingle_hash`, from the hashes as words
        // (`crate::xxh3::words`): eight windows at a time with AVX-512
        // (each batch reads its words before writing over the first
        // eight), the rest one by one.
        let mut i = 0;
        #[cfg(target_arch = "x86_64")]
        if crate::xxh3::has_x8() {
            while i + 8 <= windows {
                // SAFETY: the CPU has the features; `i + 8 + k - 1` is at
                // most `hashes.len()`.
                unsafe { crate::xxh3::words_x8_in_place(&mut hashes[i..i + 7 + k], k) };
                i += 8;
            }
            if i < windows {
                // The last windows (one to seven) from a copy of their
                // words padded to eight windows.
                let mut pad = [0u64; 7 + 16];
                let tail = &hashes[i..];
                pad[..tail.len()].copy_from_slice(tail);
                // SAFETY: as above; `pad` holds `7 + k` words or more.
                unsafe { crate::xxh3::words_x8_in_place(&mut pad, k) };
                hashes[i..windows].copy_from_slice(&pad[..windows - i]);
                i = windows;
            }
        }
        for i in i..windows {
            hashes[i] = crate::xxh3::words(&hashes[i..i + k]);
        }
    } else {
        // Other sizes (1, 2, or over 16 words): the definition itself.
        for i in 0..windows {
            hashes[i] = bytes_hash(&hashes[i..i + k]);
        }
    }
    hashes.truncate(windows);
}

/// The set of k-shingle hashes of `tokens`: sorted, without repeats.
///
/// ```
/// use neardup::{shingle::shingle_set, tokenize::tokenize};
/// let a = shingle_set(&tokenize("the cat sat on the mat"), 2);
/// assert_eq!(a.len(), 5);
/// assert!(a.windows(2).all(|w| w[0] < w[1]));
/// ```
pub fn shingle_set(tokens: &[Token], k: usize) -> Vec<u64> {
    let mut out = Vec::new();
    shingles_into(tokens, k, &mut out);
    out.sort_unstable();
    out.dedup();
    out
}

thread_local! {
    static SCRATCH: std::cell::RefCell<(Vec<Token>, Vec<u64>, Vec<u64>)> =
        const { std::cell::RefCell::new((Vec::new(), Vec::new(), Vec::new())) };
}

/// Tokenizes `text` and returns its word count and its sorted k-shingle set
/// (allocated at its exact size). Tokens and shingles go through per-thread
/// scratch buffers, so nothing else is allocated per document.
///
/// ```
/// let (words, set) = neardup::shingle::text_set("the cat sat on the mat", 2);
/// assert_eq!((words, set.len()), (6, 5));
/// ```
pub fn text_set(text: &str, k: usize) -> (usize, Vec<u64>) {
    text_set_version(text, k, crate::tokenize::TOKENIZER_VERSION)
}

/// [`text_set`] with the tokenization of tokenizer `version` (an index
/// keeps the version it was built with).
pub(crate) fn text_set_version(text: &str, k: usize, version: u32) -> (usize, Vec<u64>) {
    SCRATCH.with(|s| {
        let (tokens, shingles, scratch) = &mut *s.borrow_mut();
        crate::tokenize::tokenize_into_version(text, tokens, version);
        shingles_into(tokens, k, shingles);
        // Hashes: the bucket sort of the scan's keys (same order as
        // `sort_unstable`), repeats dropped.
        let set = sorted_unique_scalar(shingles, scratch).to_vec();
        (tokens.len(), set)
    })
}

/// The 32-bit key of a 64-bit shingle hash: its two halves xored. A scan
/// keeps shingle sets as sorted keys, half the memory of the hashes; two
/// distinct shingles of a pair of 640-word articles share a key with
/// probability about 10^-4, far below any threshold's resolution.
#[inline(always)]
pub fn key(h: u64) -> u32 {
    (h ^ (h >> 32)) as u32
}

/// Tokenizes `text`, hands its k-shingle hashes (in text order, with
/// repeats) to `sign`, and returns its word count and its sorted set of
/// shingle [`key`]s (allocated at its exact size). Scratch buffers are per
/// thread, as in [`text_set`].
///
/// ```
/// let (words, keys) = neardup::shingle::text_keys("the cat sat on the mat", 2, |_| {});
/// assert_eq!((words, keys.len()), (6, 5));
/// ```
pub fn text_keys(text: &str, k: usize, sign: impl FnOnce(&[u64])) -> (usize, Vec<u32>) {
    text_keys_with(text, k, sign, |keys| keys.sorted().to_vec())
}

/// A document's shingle keys as they come (in text order, with repeats),
/// to be sorted where its set is to live: [`text_keys_with`] hands them
/// to its `keep`.
pub(crate) struct Unsorted<'a> {
    keys: &'a mut [u32],
    scratch: &'a mut Vec<u32>,
}

impl<'a> Unsorted<'a> {
    /// The most keys the set can have (one per shingle).
    pub(crate) fn max_len(&self) -> usize {
        self.keys.len()
    }

    /// The set: the distinct keys, sorted, in the thread's scratch memory.
    pub(crate) fn sorted(self) -> &'a [u32] {
        sorted_unique(self.keys, self.scratch)
    }

    /// Writes the set at `dst` and returns its length: with AVX-512 the
    /// sort stores it there itself, with no copy.
    ///
    /// # Safety
    /// `dst` is valid for writes of [`Unsorted::max_len`] values, none of
    /// them in the thread's scratch buffers.
    pub(crate) unsafe fn sort_into(self, dst: *mut u32) -> usize {
        #[cfg(target_arch = "x86_64")]
        if crate::cpu::avx512f() {
            // SAFETY: the CPU has AVX-512 F (checked just above); `dst`
            // holds `keys.len()` values apart from `scratch` (contract).
            return unsafe { crate::keysort::sort_unique_into(self.keys, self.scratch, dst) };
        }
        let set = self.sorted();
        // SAFETY: `set.len() <= max_len()` values (contract).
        unsafe { std::ptr::copy_nonoverlapping(set.as_ptr(), dst, set.len()) };
        set.len()
    }
}

/// [`text_keys`] handing the keys to `keep` (which sorts them where they
/// are to live) instead of returning a vector.
pub(crate) fn text_keys_with<T>(
    text: &str,
    k: usize,
    sign: impl FnOnce(&[u64]),
    keep: impl FnOnce(Unsorted<'_>) -> T,
) -> (usize, T) {
    KEY_SCRATCH.with(|s| {
        let (shingles, keys, scratch) = &mut *s.borrow_mut();
        // Word hashes only (no offsets), turned into shingles in place.
        crate::tokenize::word_hashes_into(text, shingles);
        let words = shingles.len();
        shingles_in_place(shingles, k);
        sign(shingles);
        keys.clear();
        keys.extend(shingles.iter().map(|&h| key(h)));
        let set = keep(Unsorted { keys, scratch });
        (words, set)
    })
}

/// Per-thread buffers of [`text_keys`]: word then shingle hashes, keys
/// and the key sort's scratch.
type KeyScratch = (Vec<u64>, Vec<u32>, Vec<u32>);

thread_local! {
    static KEY_SCRATCH: std::cell::RefCell<KeyScratch> =
        const { std::cell::RefCell::new((Vec::new(), Vec::new(), Vec::new())) };
}

/// Sorts `keys` ascending (repeats kept), using `scratch` as a buffer.
///
/// Shingle keys are hash values, spread evenly over `u32`, so one
/// counting pass by the top bits (two to four buckets per key) leaves every
/// key within its small bucket, and one insertion-sort pass finishes the
/// job: two linear passes instead of a radix sort's five, or a comparison
/// sort's `n log n`. Inputs whose keys crowd one bucket (repeats, or keys
/// that are not hashes) fall back to `sort_unstable`, so the worst case
/// stays `n log n`. Short inputs use `sort_unstable` directly.
///
/// ```
/// let mut keys = vec![7u32, 3, 3, u32::MAX, 0];
/// neardup::shingle::sort_keys(&mut keys, &mut Vec::new());
/// assert_eq!(keys, [0, 3, 3, 7, u32::MAX]);
/// ```
pub fn sort_keys(keys: &mut [u32], scratch: &mut Vec<u32>) {
    if !sort_keys_apart(keys, scratch) {
        keys.copy_from_slice(&scratch[..keys.len()]);
    }
}

/// The distinct values of `keys`, sorted ascending: a slice of `keys` or
/// of `scratch`, whichever holds them (both are left as scratch).
///
/// Keys are sorted as by [`sort_keys`], except on CPUs with AVX-512, where
/// buckets of a few keys are sorted in registers by a sorting network and
/// the repeats dropped on the way (`cargo bench --bench stages key_sort`:
/// 1.24 ms against 1.45 ms for `sort_keys`, which keeps the repeats).
///
/// ```
/// let mut keys = vec![7u32, 3, 3, u32::MAX, 0, 7];
/// let mut scratch = Vec::new();
/// let set = neardup::shingle::sorted_unique(&mut keys, &mut scratch);
/// assert_eq!(set, [0, 3, 7, u32::MAX]);
/// ```
pub fn sorted_unique<'a>(keys: &'a mut [u32], scratch: &'a mut Vec<u32>) -> &'a [u32] {
    #[cfg(target_arch = "x86_64")]
    if crate::cpu::avx512f() {
        // SAFETY: the CPU has AVX-512 F (checked just above).
        let len = unsafe { crate::keysort::sort_unique(keys, scratch) };
        return &scratch[..len];
    }
    sorted_unique_scalar(keys, scratch)
}

/// [`sorted_unique`] without AVX-512: [`sort_keys`], then the repeats
/// dropped in place, in whichever buffer holds the keys.
/// For 32-bit keys and 64-bit hashes alike.
fn sorted_unique_scalar<'a, T: HashKey>(keys: &'a mut [T], scratch: &'a mut Vec<T>) -> &'a [T] {
    let buf: &mut [T] = if sort_keys_apart(keys, scratch) {
        keys
    } else {
        let n = keys.len();
        &mut scratch[..n]
    };
    let mut len = 0;
    for i in 0..buf.len() {
        if i == 0 || buf[i] != buf[len - 1] {
            buf[len] = buf[i];
            len += 1;
        }
    }
    &buf[..len]
}

/// A key [`sort_keys_apart`] sorts: a hash value, spread evenly over its
/// width (a scan's 32-bit shingle keys, an index's 64-bit shingle hashes).
/// The bucket starts are kept in the same scratch buffer as the output, so
/// a key also holds a count.
pub(crate) trait HashKey: Copy + Ord + Default {
    /// Bits of the key.
    const BITS: u32;
    /// The key shifted right by `shift` bits, as an index.
    fn top(self, shift: u32) -> usize;
    /// A count held in a key's place.
    fn from_count(c: u32) -> Self;
    /// The count a key's place holds.
    fn count(self) -> u32;
}

impl HashKey for u32 {
    const BITS: u32 = 32;
    #[inline(always)]
    fn top(self, shift: u32) -> usize {
        (self >> shift) as usize
    }
    #[inline(always)]
    fn from_count(c: u32) -> u32 {
        c
    }
    #[inline(always)]
    fn count(self) -> u32 {
        self
    }
}

impl HashKey for u64 {
    const BITS: u32 = 64;
    #[inline(always)]
    fn top(self, shift: u32) -> usize {
        (self >> shift) as usize
    }
    #[inline(always)]
    fn from_count(c: u32) -> u64 {
        c as u64
    }
    #[inline(always)]
    fn count(self) -> u32 {
        self as u32
    }
}

/// [`sort_keys`] leaving the sorted keys in `keys` (returns `true`) or in
/// the first `keys.len()` entries of `scratch` (returns `false`), whichever
/// the sort wrote last: the caller copies them once, to where they go.
/// For 32-bit keys and 64-bit hashes alike (see [`HashKey`]).
pub(crate) fn sort_keys_apart<T: HashKey>(keys: &mut [T], scratch: &mut Vec<T>) -> bool {
    /// Largest bucket the insertion pass accepts.
    const CROWD: u32 = 32;
    let n = keys.len();
    if n < 64 {
        keys.sort_unstable();
        return true;
    }
    // Two to four buckets per key (at most 2^16 buckets): most keys then
    // sit alone in their bucket. Fewer buckets leave more for the
    // insertion pass; more cost more in the prefix sum than they save
    // (measured with `cargo bench --bench stages key_sort`: one to two
    // buckets per key was 10 % slower, four to eight no faster).
    let bits = (usize::BITS - (n - 1).leading_zeros() + 1).min(16);
    let shift = T::BITS - bits;
    let buckets = 1usize << bits;
    // `scratch` holds the output, then the bucket starts.
    scratch.clear();
    scratch.resize(n + buckets + 1, T::default());
    let (out, at) = scratch.split_at_mut(n);
    for &k in keys.iter() {
        let b = k.top(shift) + 1;
        at[b] = T::from_count(at[b].count() + 1);
    }
    let mut sum = 0;
    for c in at.iter_mut() {
        if c.count() > CROWD {
            keys.sort_unstable();
            return true;
        }
        sum += c.count();
        *c = T::from_count(sum);
    }
    for &k in keys.iter() {
        let b = k.top(shift);
        let o = at[b].count();
        out[o as usize] = k;
        at[b] = T::from_count(o + 1);
    }
    // Each key is now in its bucket, and buckets are in order: an
    // insertion sort moves each key at most across its own bucket.
    for i in 1..n {
        let x = out[i];
        let mut j = i;
        while j > 0 && out[j - 1] > x {
            out[j] = out[j - 1];
            j -= 1;
        }
        out[j] = x;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tokenize::tokenize;

    #[test]
    fn hashes_sort_as_sort_unstable() {
        // 64-bit hashes through the bucket sort, with repeats, short and
        // long, and crowded inputs (the fallback).
        let mut x = 0x9E37_79B9_7F4A_7C15u64;
        for n in [0usize, 1, 63, 64, 65, 700, 5000] {
            let mut keys: Vec<u64> = (0..n)
                .map(|i| {
                    x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                    if i % 7 == 3 { 42 } else { x }
                })
                .collect();
            let mut want = keys.clone();
            want.sort_unstable();
            want.dedup();
            let mut scratch = Vec::new();
            assert_eq!(sorted_unique_scalar(&mut keys, &mut scratch), &want[..]);
        }
    }

    #[test]
    fn short_documents_get_one_shingle() {
        let a = shingle_set(&tokenize("Markets closed"), 5);
        let b = shingle_set(&tokenize("markets, closed."), 5);
        assert_eq!(a.len(), 1);
        assert_eq!(a, b);
        assert!(shingle_set(&tokenize(""), 5).is_empty());
    }

    #[test]
    fn sort_keys_sorts() {
        let mut scratch = Vec::new();
        let sizes = [0usize, 1, 63, 64, 65, 640, 5000, 70_000];
        for (s, n, mut v) in crate::testutil::key_lists(&sizes) {
            let mut want = v.clone();
            want.sort_unstable();
            sort_keys(&mut v, &mut scratch);
            assert_eq!(v, want, "shape {s}, {n} keys");
        }
    }

    #[test]
    fn sorted_unique_is_sort_and_dedup_on_either_path() {
        let mut scratch = Vec::new();
        let sizes = [0usize, 1, 15, 16, 17, 63, 64, 65, 640, 5000];
        for (s, n, keys) in crate::testutil::key_lists(&sizes) {
            let mut want = keys.clone();
            want.sort_unstable();
            want.dedup();
            let mut work = keys.clone();
            assert_eq!(
                sorted_unique(&mut work, &mut scratch),
                want,
                "shape {s}, {n}"
            );
            let mut work = keys.clone();
            let got = sorted_unique_scalar(&mut work, &mut scratch);
            assert_eq!(got, want, "scalar: shape {s}, {n}");
        }
    }

    #[test]
    fn keys_are_the_folded_set() {
        let varied: String = (0..400).map(|i| format!("w{} ", i * 7919 % 1000)).collect();
        let texts = [
            "The cat sat on the mat and the cat sat on the hat".to_string(),
            varied,
            // Long and repetitive: many repeated keys to drop.
            "spam and eggs ".repeat(200),
            "the same five words again ".repeat(30) + "then an ending",
        ];
        for text in &texts {
            let (words, set) = text_set(text, 3);
            let mut seen = Vec::new();
            let (w2, keys) = text_keys(text, 3, |s| seen = s.to_vec());
            assert_eq!(words, w2);
            let mut folded: Vec<u32> = set.iter().map(|&h| key(h)).collect();
            folded.sort_unstable();
            folded.dedup();
            assert_eq!(keys, folded);
            assert!(keys.capacity() <= keys.len() + keys.len() / 8 + 1);
            seen.sort_unstable();
            seen.dedup();
            assert_eq!(seen, set);
        }
    }

    #[test]
    fn every_shingle_size_hashes_as_defined() {
        let tokens = tokenize("one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen twenty");
        for k in 1..=20 {
            let mut got = Vec::new();
            shingles_into(&tokens, k, &mut got);
            let mut buf = Vec::new();
            let want: Vec<u64> = if tokens.len() < k {
                vec![shingle_hash(&tokens, &mut buf)]
            } else {
                tokens
                    .windows(k)
                    .map(|w| shingle_hash(w, &mut buf))
                    .collect()
            };
            assert_eq!(got, want, "k = {k}");
        }
    }

    #[test]
    fn count_and_order_sensitivity() {
        let t = tokenize("a b c d e f g");
        assert_eq!(shingle_set(&t, 3).len(), 5);
        assert_ne!(
            shingle_set(&tokenize("a b c"), 3),
            shingle_set(&tokenize("c b a"), 3)
        );
    }
}
