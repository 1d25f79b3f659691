//! Tokenizer: Unicode word segmentation, case folding, byte offsets.
//!
//! Words are found with the Unicode word-boundary rules of UAX #29 (through
//! [`unicode_segmentation`]), so `can't`, `U.S` and `3.5` stay whole while
//! punctuation, spaces and symbols are dropped. Ideographic scripts (Chinese,
//! Japanese kanji) come out one character per token, which is what word
//! shingling needs for text without spaces.
//!
//! Every [`Token`] keeps the byte range of the word in the original text, so
//! later stages (the explain aligner in particular) can point back into the
//! text exactly as it was read, and a 64-bit hash of its case-folded form.
//!
//! The hash of a token is `xxh3_64` of the UTF-8 bytes of its lowercase form
//! (full Unicode lowercase mapping). This is part of the on-disk contract of
//! signatures: changing it requires bumping [`TOKENIZER_VERSION`].

use unicode_segmentation::UnicodeSegmentation;
use xxhash_rust::xxh3::xxh3_64;

/// Version of the tokenization + token hashing scheme. Stored alongside any
/// persisted signature so that a mismatch is detected instead of silently
/// comparing incompatible hashes.
pub const TOKENIZER_VERSION: u32 = 1;

/// One word of a text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Token {
    /// Byte offset of the first byte of the word in the original text.
    pub start: usize,
    /// Byte offset one past the last byte of the word (half-open range).
    pub end: usize,
    /// `xxh3_64` of the case-folded word.
    pub hash: u64,
}

impl Token {
    /// The byte range of the word in the original text.
    pub fn range(&self) -> std::ops::Range<usize> {
        self.start..self.end
    }
}

/// Hash of one case-folded word, as stored in [`Token::hash`].
///
/// `word` must already be lowercase; use [`hash_word`] for raw text.
#[inline]
fn hash_folded(word: &[u8]) -> u64 {
    xxh3_64(word)
}

/// Hashes a word the way the tokenizer does: case-folded, then `xxh3_64`.
///
/// ```
/// use neardup::tokenize::hash_word;
/// assert_eq!(hash_word("Reuters"), hash_word("REUTERS"));
/// assert_ne!(hash_word("Reuters"), hash_word("Bloomberg"));
/// ```
pub fn hash_word(word: &str) -> u64 {
    let mut buf = String::new();
    fold_into(word, &mut buf);
    hash_folded(buf.as_bytes())
}

/// Writes the lowercase form of `word` into `buf` (cleared first).
#[inline]
fn fold_into(word: &str, buf: &mut String) {
    buf.clear();
    if word.is_ascii() {
        buf.push_str(word);
        // SAFETY-free: ASCII lowercase keeps the string valid UTF-8.
        buf.make_ascii_lowercase();
    } else {
        for c in word.chars() {
            buf.extend(c.to_lowercase());
        }
    }
}

/// Splits `text` into words, appending them to `out` (which is cleared first).
///
/// Reusing `out` across documents avoids one allocation per document; no
/// allocation happens per token.
pub fn tokenize_into(text: &str, out: &mut Vec<Token>) {
    out.clear();
    let mut buf = String::with_capacity(32);
    for (start, word) in text.unicode_word_indices() {
        let bytes = word.as_bytes();
        let hash = if word.is_ascii() && !bytes.iter().any(u8::is_ascii_uppercase) {
            hash_folded(bytes)
        } else {
            fold_into(word, &mut buf);
            hash_folded(buf.as_bytes())
        };
        out.push(Token {
            start,
            end: start + word.len(),
            hash,
        });
    }
}

/// Splits `text` into words.
///
/// ```
/// use neardup::tokenize::tokenize;
/// let text = "Officials told EV makers to 'self-regulate.'";
/// let words: Vec<&str> = tokenize(text).iter().map(|t| &text[t.range()]).collect();
/// assert_eq!(words, ["Officials", "told", "EV", "makers", "to", "self", "regulate"]);
/// ```
pub fn tokenize(text: &str) -> Vec<Token> {
    let mut out = Vec::new();
    tokenize_into(text, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<&str> {
        tokenize(text).iter().map(|t| &text[t.range()]).collect()
    }

    #[test]
    fn drops_punctuation_keeps_offsets() {
        let text = "  Hello, world!  It's 3.5% of U.S. GDP.";
        assert_eq!(
            words(text),
            ["Hello", "world", "It's", "3.5", "of", "U.S", "GDP"]
        );
        for t in tokenize(text) {
            assert!(text.is_char_boundary(t.start) && text.is_char_boundary(t.end));
        }
    }

    #[test]
    fn case_folding_is_unicode() {
        let a = tokenize("ÉCOLE Straße");
        let b = tokenize("école straße");
        assert_eq!(
            a.iter().map(|t| t.hash).collect::<Vec<_>>(),
            b.iter().map(|t| t.hash).collect::<Vec<_>>()
        );
    }

    #[test]
    fn ideographs_are_single_tokens() {
        assert_eq!(words("中国汽车"), ["中", "国", "汽", "车"]);
    }

    #[test]
    fn empty_and_punctuation_only() {
        assert!(tokenize("").is_empty());
        assert!(tokenize(" .,;:!? -- ").is_empty());
    }

    #[test]
    fn hash_is_stable_forever() {
        // Pinned value: signatures persisted by older versions depend on it.
        assert_eq!(hash_word("news"), xxh3_64(b"news"));
        assert_eq!(tokenize("NEWS")[0].hash, xxh3_64(b"news"));
    }
}
