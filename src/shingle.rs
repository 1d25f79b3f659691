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
    let k = k.max(1);
    if tokens.is_empty() {
        return;
    }
    let mut buf = Vec::with_capacity(8 * k);
    if tokens.len() < k {
        out.push(shingle_hash(tokens, &mut buf));
        return;
    }
    out.reserve(tokens.len() + 1 - k);
    if k <= 8 {
        // The same bytes as `shingle_hash`, gathered on the stack.
        let mut bytes = [0u8; 64];
        for w in tokens.windows(k) {
            for (i, t) in w.iter().enumerate() {
                bytes[i * 8..i * 8 + 8].copy_from_slice(&t.hash.to_le_bytes());
            }
            out.push(xxh3_64(&bytes[..8 * k]));
        }
        return;
    }
    for w in tokens.windows(k) {
        out.push(shingle_hash(w, &mut buf));
    }
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
    static SCRATCH: std::cell::RefCell<(Vec<Token>, Vec<u64>)> =
        const { std::cell::RefCell::new((Vec::new(), Vec::new())) };
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
    SCRATCH.with(|s| {
        let (tokens, shingles) = &mut *s.borrow_mut();
        crate::tokenize::tokenize_into(text, tokens);
        shingles_into(tokens, k, shingles);
        shingles.sort_unstable();
        shingles.dedup();
        (tokens.len(), shingles.to_vec())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tokenize::tokenize;

    #[test]
    fn short_documents_get_one_shingle() {
        let a = shingle_set(&tokenize("Markets closed"), 5);
        let b = shingle_set(&tokenize("markets, closed."), 5);
        assert_eq!(a.len(), 1);
        assert_eq!(a, b);
        assert!(shingle_set(&tokenize(""), 5).is_empty());
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
