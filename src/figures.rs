//! The figures rule (issue 26, class 4): template siblings are not copies.
//!
//! A recurring report filed from one template ("Treasury balances at Fed
//! rose on Feb 25 to 3.456 billion dlrs ...", the next day "... on Feb 27 to
//! 2.894 billion dlrs ...") shares nearly all its shingles with the report of
//! another day, yet it is another story: the template's sentences carry other
//! numbers. A re-filing or a correction of one report keeps them (a
//! correction changes one or two).
//!
//! A **figure** is a number a story reports: a run of digits (joined by `.`,
//! `,`, `/` or `-` before a further digit, as in `290,000`, `12.84`, `3-1/2`)
//! that stands alone (no letter or digit touching it: `A320`, `10th` and
//! `5pm` are not figures) and holds at least three digits, a decimal point or
//! a fraction. One- and two-digit numbers (dates, counts, clock times: `10:30`
//! is two of them) and plain years (four digits, 1900-2099) are left out:
//! pages carry them around any story.
//!
//! A figure is compared only where both documents hold the words around it:
//! its **contexts** are the three words before it and the three words after
//! it, inside its paragraph (a blank line ends a context), lowercased. A
//! context with a number among its words is dropped: a figure among other
//! numbers sits in a table, a list or a market ticker, whose words are
//! labels every such line repeats. A document's figures are kept as [`Figures`]: one entry per
//! (context, figure) pair, 32-bit hashes each. For a pair of documents, an
//! entry *counts* when its context is one both documents hold, and *agrees*
//! when the other document holds the very same entry. The pair is
//! **refused** ([`refuses`]) when each side has at least [`MIN_ENTRIES`]
//! counted entries and fewer than half of the smaller side's count agree: a
//! sibling's template sentences hold other numbers, while figures in page
//! chrome, in an added paragraph or in reworded sentences do not count.
//!
//! The rule only ever refuses a pair the set rule ([`Config::is_duplicate`])
//! accepts: it is applied after it, lazily (the figures of most candidate
//! pairs are never compared), and a refused pair scores containment 0 in the
//! clustering's linkage guard. Every surface applies it through this module
//! ([`judge`], which the engine's passes call when they score a pair): a
//! scan, the stages (Spark, Python), `explain`, and the index (`index add`,
//! `query`, `serve`, the live index): its segments (format version 3) store
//! each document's figures, computed by the writer from the text, and a
//! query computes its text's. Documents of an index written before (format
//! version 1 or 2) have none: not known, never refused
//! (`docs/INDEX-FORMAT.md`, `docs/ACCURACY.md`).
//!
//! [`Config::is_duplicate`]: crate::Config::is_duplicate

use xxhash_rust::xxh3::xxh3_64;

/// Version of the figure extraction and hashing: stored by the index with
/// each document's figures.
/// Version 2 adds the block summary of the digest rule ([`crate::digest`])
/// after a document's figures; version 1 entries (no summary) read the same.
pub const FIGURES_VERSION: u32 = 2;

/// The oldest [`FIGURES_VERSION`] this build reads (its documents have no
/// block summary: never refused by the digest rule).
pub const OLDEST_FIGURES_VERSION: u32 = 1;

/// The high half of the entry that closes a block summary
/// ([`crate::digest::summary_into`]); no figure entry has it (a context
/// hash of this value is taken one lower). The low half is the number of
/// summary entries before it.
pub const SUMMARY_MARK: u64 = 0xFFFF_FFFF << 32;

/// Counted entries each side needs before the rule can refuse a pair (two
/// figures seen in both their contexts, or four in one).
pub const MIN_ENTRIES: usize = 4;

/// Words of context on each side of a figure.
const CONTEXT_WORDS: usize = 3;

/// A document's figures: sorted, repeat-free entries, each the 32-bit hash
/// of a context (high half) and of a figure (low half). See the module
/// documentation.
pub type Figures = Vec<u64>;

/// Why the rule refused a pair, with its counts (for `explain`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct FigureCounts {
    /// Entries of the first document whose context both hold.
    pub counted_a: usize,
    /// Entries of the second document whose context both hold.
    pub counted_b: usize,
    /// Entries both documents hold (among the counted ones).
    pub agreeing: usize,
}

impl FigureCounts {
    /// Whether these counts refuse the pair: both sides count at least
    /// [`MIN_ENTRIES`] entries, and fewer than half of the smaller count
    /// agree.
    pub fn refuses(&self) -> bool {
        let small = self.counted_a.min(self.counted_b);
        small >= MIN_ENTRIES && 2 * self.agreeing < small
    }
}

/// Whether `b` is a byte of a word for contexts: an ASCII letter or digit,
/// or any byte of a non-ASCII character.
#[inline(always)]
fn is_word_byte(b: u8) -> bool {
    WORD_BYTES[b as usize]
}

/// [`is_word_byte`] of every byte value.
static WORD_BYTES: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 256 {
        t[b] = (b as u8).is_ascii_alphanumeric() || b >= 0x80;
        b += 1;
    }
    t
};

/// The figures of `text` (see the module documentation), sorted and
/// repeat-free.
///
/// ```
/// use neardup::figures::{figures_of, compare};
/// // Two figures, each with a context of three words before and after it.
/// let a = figures_of("Balances rose to 3.456 billion dlrs from 2.112 billion dlrs, the Fed said.");
/// assert_eq!(a.len(), 4);
/// // A sibling: the same words, other figures.
/// let b = figures_of("Balances rose to 4.012 billion dlrs from 3.301 billion dlrs, the Fed said.");
/// // A re-filing with a sentence added.
/// let c = figures_of("Balances rose to 3.456 billion dlrs from 2.112 billion dlrs, the Fed said. It was the highest since May.");
/// assert!(compare(&a, &b).refuses());
/// assert!(!compare(&a, &c).refuses());
/// ```
pub fn figures_of(text: &str) -> Figures {
    let mut out = Vec::new();
    figures_into(text, &mut out);
    out
}

/// [`figures_of`] into `out` (cleared first).
pub fn figures_into(text: &str, out: &mut Figures) {
    out.clear();
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        // The next digit: most bytes are not digits.
        match next_digit(bytes, i) {
            Some(p) => i = p,
            None => break,
        }
        let start = i;
        // The number: digits, and separators between digits.
        let mut end = i;
        while end < bytes.len() {
            let b = bytes[end];
            if b.is_ascii_digit()
                || (matches!(b, b'.' | b',' | b'/' | b'-')
                    && bytes.get(end + 1).is_some_and(u8::is_ascii_digit))
            {
                end += 1;
            } else {
                break;
            }
        }
        i = end;
        let touches = |at: Option<&u8>| at.is_some_and(|&b| is_word_byte(b));
        if touches(start.checked_sub(1).map(|s| &bytes[s])) || touches(bytes.get(end)) {
            // Part of a word (`A320`, `10th`), or the end of one.
            while i < bytes.len() && is_word_byte(bytes[i]) {
                i += 1;
            }
            continue;
        }
        let number = &bytes[start..end];
        if !is_figure(number) {
            continue;
        }
        let (before, after) = (context(bytes, start, false), context(bytes, end, true));
        if before.is_none() && after.is_none() {
            continue;
        }
        let figure = figure_hash(number);
        for c in [before, after].into_iter().flatten() {
            out.push((c as u64) << 32 | figure as u64);
        }
    }
    out.sort_unstable();
    out.dedup();
}

/// The position of the first ASCII digit in `bytes[from..]`, eight bytes
/// at a time: a byte `b` is a digit when `b ^ 0x30` is below 10, and
/// subtracting 10 from every byte lane sets a lane's high bit for exactly
/// those (a borrow only runs upward, from a lane below 10, so the lowest
/// set lane is the first digit; lanes of 0x80 and above are masked out).
/// On x86-64, sixteen bytes at a time first (SSE2, which every x86-64 CPU
/// has), the lanes compared against `'0'` and `'9'`.
#[inline]
fn next_digit(bytes: &[u8], from: usize) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    let mut i = from;
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{
            __m128i, _mm_and_si128, _mm_cmpgt_epi8, _mm_loadu_si128, _mm_movemask_epi8,
            _mm_set1_epi8,
        };
        while let Some(chunk) = bytes.get(i..i + 16) {
            // SAFETY: SSE2 is part of x86-64; the load reads the sixteen
            // bytes of `chunk` (unaligned).
            let m = unsafe {
                let x = _mm_loadu_si128(chunk.as_ptr() as *const __m128i);
                // Signed compares: bytes of 0x80 and above are negative,
                // below '0', so never digits.
                let ge0 = _mm_cmpgt_epi8(x, _mm_set1_epi8(b'0' as i8 - 1));
                let le9 = _mm_cmpgt_epi8(_mm_set1_epi8(b'9' as i8 + 1), x);
                _mm_movemask_epi8(_mm_and_si128(ge0, le9)) as u32
            };
            if m != 0 {
                return Some(i + m.trailing_zeros() as usize);
            }
            i += 16;
        }
    }
    while let Some(chunk) = bytes.get(i..i + 8) {
        let y = u64::from_le_bytes(chunk.try_into().expect("eight bytes")) ^ (0x30 * ONES);
        let m = y.wrapping_sub(10 * ONES) & !y & (0x80 * ONES);
        if m != 0 {
            return Some(i + (m.trailing_zeros() / 8) as usize);
        }
        i += 8;
    }
    bytes[i.min(bytes.len())..]
        .iter()
        .position(u8::is_ascii_digit)
        .map(|p| i + p)
}

/// Whether a number is a figure: at least three digits, a decimal point
/// or a fraction, and not a plain year.
fn is_figure(number: &[u8]) -> bool {
    let digits = number.iter().filter(|b| b.is_ascii_digit()).count();
    let point = number.iter().any(|&b| b == b'.' || b == b'/');
    if digits < 3 && !point {
        return false;
    }
    !(number.len() == 4 && digits == 4 && matches!(&number[..2], b"19" | b"20"))
}

/// The hash of a figure ([`is_figure`]). Thousands separators are left out
/// of the hash (`290,000` is `290000`).
fn figure_hash(number: &[u8]) -> u32 {
    let mut kept = [0u8; 64];
    let mut n = 0;
    for &b in number.iter().filter(|&&b| b != b',') {
        if n == kept.len() {
            break;
        }
        kept[n] = b;
        n += 1;
    }
    xxh3_64(&kept[..n]) as u32
}

/// Whether `bytes[at..]` starts a blank line break: a newline, then only
/// spaces, tabs or carriage returns, then another newline.
fn blank_line_ahead(bytes: &[u8], at: usize) -> bool {
    bytes[at] == b'\n'
        && bytes[at + 1..]
            .iter()
            .find(|&&b| !matches!(b, b' ' | b'\t' | b'\r'))
            .is_some_and(|&b| b == b'\n')
}

/// The hash of the context of a figure ending (`after`) or starting at
/// `at`: its [`CONTEXT_WORDS`] words after or before it, nearest first,
/// inside its paragraph, lowercase ASCII. None when there is none, or one of them holds a
/// digit: a figure among other numbers is in a table, a list or a market
/// ticker, where the words are labels that every such line repeats.
fn context(bytes: &[u8], at: usize, after: bool) -> Option<u32> {
    // The words first, nearest first; hashed only when the context stands
    // (most figures in a table have a number among their words).
    let mut words: [&[u8]; CONTEXT_WORDS] = [&[]; CONTEXT_WORDS];
    let mut found = 0;
    let mut i = at;
    while found < CONTEXT_WORDS {
        // To the next word, not past a blank line.
        let word = loop {
            if after {
                if i >= bytes.len() {
                    break None;
                }
                if blank_line_ahead(bytes, i) {
                    break None;
                }
                if is_word_byte(bytes[i]) {
                    let s = i;
                    while i < bytes.len() && is_word_byte(bytes[i]) {
                        i += 1;
                    }
                    break Some(&bytes[s..i]);
                }
                i += 1;
            } else {
                if i == 0 {
                    break None;
                }
                if bytes[i - 1] == b'\n' && i >= 2 && {
                    let before = bytes[..i - 1]
                        .iter()
                        .rev()
                        .find(|&&b| !matches!(b, b' ' | b'\t' | b'\r'));
                    before == Some(&b'\n')
                } {
                    break None;
                }
                if is_word_byte(bytes[i - 1]) {
                    let e = i;
                    while i > 0 && is_word_byte(bytes[i - 1]) {
                        i -= 1;
                    }
                    break Some(&bytes[i..e]);
                }
                i -= 1;
            }
        };
        let Some(word) = word else {
            break;
        };
        if word.iter().any(u8::is_ascii_digit) {
            return None;
        }
        words[found] = word;
        found += 1;
    }
    // A figure that ends its paragraph has no context after it.
    if found == 0 {
        return None;
    }
    let mut h: u64 = if after { 0x5151 } else { 0xA3A3 };
    for word in &words[..found] {
        let mut lower = [0u8; 32];
        let n = word.len().min(lower.len());
        for (l, &b) in lower.iter_mut().zip(&word[..n]) {
            *l = b.to_ascii_lowercase();
        }
        let w = xxh3_64(&lower[..n]) | 2;
        let mut buf = [0u8; 16];
        buf[..8].copy_from_slice(&h.to_le_bytes());
        buf[8..].copy_from_slice(&w.to_le_bytes());
        h = xxh3_64(&buf);
    }
    // The high half `u32::MAX` marks a block summary (`SUMMARY_MARK`).
    Some(((h >> 32) as u32).min(u32::MAX - 1))
}

/// The rule's counts for two documents' figures (see the module
/// documentation): walks both sorted lists once, context by context.
pub fn compare(a: &[u64], b: &[u64]) -> FigureCounts {
    // A block summary after the figures is not compared.
    let (a, b) = (split(a).0, split(b).0);
    let mut c = FigureCounts::default();
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        let (ca, cb) = (a[i] >> 32, b[j] >> 32);
        if ca < cb {
            i += 1;
        } else if cb < ca {
            j += 1;
        } else {
            // The entries of this context on each side.
            let ea = i + a[i..].iter().take_while(|&&e| e >> 32 == ca).count();
            let eb = j + b[j..].iter().take_while(|&&e| e >> 32 == ca).count();
            c.counted_a += ea - i;
            c.counted_b += eb - j;
            c.agreeing += crate::verify::intersection_size(&a[i..ea], &b[j..eb]);
            (i, j) = (ea, eb);
        }
    }
    c
}

/// A document's entries as every surface keeps them: its figures
/// ([`figures_of`]), then its block summary for the digest rule
/// ([`crate::digest::summary_into`], shingles of `k` words), when it has
/// one.
pub fn entries_of(text: &str, k: usize) -> Figures {
    entries_of_version(text, k, crate::tokenize::TOKENIZER_VERSION)
}

/// [`entries_of`] with the tokenization of tokenizer `version` (an index
/// keeps the version it was built with).
pub fn entries_of_version(text: &str, k: usize, version: u32) -> Figures {
    let mut out = figures_of(text);
    crate::digest::summary_into(text, k, version, &mut out);
    out
}

/// A document's entries split into its figures and its block summary
/// (`None`: it has none, as documents of figures version 1 and short ones).
pub fn split(entries: &[u64]) -> (&[u64], Option<&[u64]>) {
    match entries.last() {
        Some(&m) if m & SUMMARY_MARK == SUMMARY_MARK => {
            let n = (m & 0xFFFF_FFFF) as usize;
            match (entries.len() - 1).checked_sub(n) {
                Some(at) => (&entries[..at], Some(&entries[at..entries.len() - 1])),
                None => (entries, None),
            }
        }
        _ => (entries, None),
    }
}

/// A document's cut set as the judge sees it: its sorted keys less its
/// sorted boilerplate keys `gone` (empty when `keys` is already cut).
#[derive(Debug, Clone, Copy)]
pub struct CutSet<'a> {
    keys: &'a [u32],
    gone: &'a [u32],
}

impl<'a> CutSet<'a> {
    /// The set `keys` less `gone` (both sorted).
    pub fn new(keys: &'a [u32], gone: &'a [u32]) -> CutSet<'a> {
        CutSet { keys, gone }
    }

    /// Whether `key` is in the cut set.
    pub fn contains(&self, key: u32) -> bool {
        self.keys.binary_search(&key).is_ok() && self.gone.binary_search(&key).is_err()
    }
}

/// Whether the figures rule refuses the pair whose figures are `a` and `b`
/// (`None`: not known, as for a document of an index written before the
/// figures were stored; such a pair is never refused).
pub fn refuses(a: Option<&[u64]>, b: Option<&[u64]>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => compare(a, b).refuses(),
        _ => false,
    }
}

/// Judges a pair as every surface does: the set rule on its similarity
/// `s`, then, only if the set rule accepts it, the figures (`figures`,
/// called lazily, gives both documents' entries), then the digest rule
/// ([`crate::digest`]; `sets`, called only when it applies, gives both
/// documents' cut sets; `None`: not known, never refused). Returns whether
/// the pair is a duplicate and which rule refused it.
pub fn judge<'f, 's>(
    cfg: &crate::Config,
    s: &crate::verify::Similarity,
    figures: impl FnOnce() -> (Option<&'f [u64]>, Option<&'f [u64]>),
    sets: impl FnOnce() -> Option<(CutSet<'s>, CutSet<'s>)>,
) -> Verdict {
    if !cfg.is_duplicate(s) {
        return Verdict::NotSimilar;
    }
    let (a, b) = figures();
    if refuses(a, b) {
        return Verdict::RefusedByFigures;
    }
    if s.jaccard < cfg.threshold() && has_summary(a, b, s) {
        let c = crate::digest::counts(cfg.threshold(), s, a, b, sets());
        if c.is_some_and(|c| c.refuses()) {
            return Verdict::RefusedAsDigest;
        }
    }
    Verdict::Duplicate
}

/// Whether the larger side of a pair (by its cut set, `s`) has a block
/// summary: the digest rule needs the sets only then.
fn has_summary(a: Option<&[u64]>, b: Option<&[u64]>, s: &crate::verify::Similarity) -> bool {
    let l = if s.size_a >= s.size_b { a } else { b };
    l.is_some_and(|e| split(e).1.is_some())
}

/// What [`judge`] says of a pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The set rule accepts it and the figures do not refuse it.
    Duplicate,
    /// The set rule does not accept it.
    NotSimilar,
    /// The set rule accepts it, the figures refuse it (template siblings).
    RefusedByFigures,
    /// The set rule accepts it, the digest rule refuses it (a live-update
    /// page pasting a story, [`crate::digest`]).
    RefusedAsDigest,
}

impl Verdict {
    /// Whether the pair is a duplicate.
    pub fn is_duplicate(self) -> bool {
        self == Verdict::Duplicate
    }
}

/// Figures of many documents packed together: the entries of document `d`
/// are `entries[starts[d]..starts[d + 1]]`.
#[derive(Debug, Clone, Default)]
pub struct FigureTable {
    starts: Vec<u64>,
    entries: Vec<u64>,
}

impl FigureTable {
    /// An empty table.
    pub fn new() -> FigureTable {
        FigureTable {
            starts: vec![0],
            entries: Vec::new(),
        }
    }

    /// Appends the next document's figures.
    pub fn push(&mut self, figures: &[u64]) {
        if self.starts.is_empty() {
            self.starts.push(0);
        }
        self.entries.extend_from_slice(figures);
        self.starts.push(self.entries.len() as u64);
    }

    /// Document `d`'s figures.
    pub fn get(&self, d: usize) -> &[u64] {
        &self.entries[self.starts[d] as usize..self.starts[d + 1] as usize]
    }

    /// Number of documents.
    pub fn len(&self) -> usize {
        self.starts.len().saturating_sub(1)
    }

    /// Whether the table holds no document.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Bytes of entries held.
    pub fn bytes(&self) -> usize {
        self.entries.len() * 8 + self.starts.len() * 8
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The first implementation of the extraction, byte by byte and hashing
    /// as it goes: the oracle of [`figures_into`] (same entries on every
    /// text).
    mod plain {
        use super::super::{blank_line_ahead, is_word_byte, Figures, CONTEXT_WORDS};
        use xxhash_rust::xxh3::xxh3_64;

        fn figures_plain(text: &str, out: &mut Figures) {
            out.clear();
            let bytes = text.as_bytes();
            let mut i = 0;
            while i < bytes.len() {
                // The next digit: most bytes are not digits.
                match bytes[i..].iter().position(u8::is_ascii_digit) {
                    Some(p) => i += p,
                    None => break,
                }
                let start = i;
                // The number: digits, and separators between digits.
                let mut end = i;
                while end < bytes.len() {
                    let b = bytes[end];
                    if b.is_ascii_digit()
                        || (matches!(b, b'.' | b',' | b'/' | b'-')
                            && bytes.get(end + 1).is_some_and(u8::is_ascii_digit))
                    {
                        end += 1;
                    } else {
                        break;
                    }
                }
                i = end;
                let touches = |at: Option<&u8>| at.is_some_and(|&b| is_word_byte(b));
                if touches(start.checked_sub(1).map(|s| &bytes[s])) || touches(bytes.get(end)) {
                    // Part of a word (`A320`, `10th`), or the end of one.
                    while i < bytes.len() && is_word_byte(bytes[i]) {
                        i += 1;
                    }
                    continue;
                }
                let number = &bytes[start..end];
                let Some(figure) = plain_figure_hash(number) else {
                    continue;
                };
                for c in [
                    plain_context(bytes, start, false),
                    plain_context(bytes, end, true),
                ]
                .into_iter()
                .flatten()
                {
                    out.push((c as u64) << 32 | figure as u64);
                }
            }
            out.sort_unstable();
            out.dedup();
        }

        fn plain_figure_hash(number: &[u8]) -> Option<u32> {
            let digits = number.iter().filter(|b| b.is_ascii_digit()).count();
            let point = number.iter().any(|&b| b == b'.' || b == b'/');
            if digits < 3 && !point {
                return None;
            }
            if number.len() == 4 && digits == 4 && matches!(&number[..2], b"19" | b"20") {
                return None;
            }
            let mut kept = [0u8; 64];
            let mut n = 0;
            for &b in number.iter().filter(|&&b| b != b',') {
                if n == kept.len() {
                    break;
                }
                kept[n] = b;
                n += 1;
            }
            Some(xxh3_64(&kept[..n]) as u32)
        }

        fn plain_context(bytes: &[u8], at: usize, after: bool) -> Option<u32> {
            let mut h: u64 = if after { 0x5151 } else { 0xA3A3 };
            let mut i = at;
            for n in 0..CONTEXT_WORDS {
                // To the next word, not past a blank line.
                let word = loop {
                    if after {
                        if i >= bytes.len() {
                            break None;
                        }
                        if blank_line_ahead(bytes, i) {
                            break None;
                        }
                        if is_word_byte(bytes[i]) {
                            let s = i;
                            while i < bytes.len() && is_word_byte(bytes[i]) {
                                i += 1;
                            }
                            break Some(&bytes[s..i]);
                        }
                        i += 1;
                    } else {
                        if i == 0 {
                            break None;
                        }
                        if bytes[i - 1] == b'\n' && i >= 2 && {
                            let before = bytes[..i - 1]
                                .iter()
                                .rev()
                                .find(|&&b| !matches!(b, b' ' | b'\t' | b'\r'));
                            before == Some(&b'\n')
                        } {
                            break None;
                        }
                        if is_word_byte(bytes[i - 1]) {
                            let e = i;
                            while i > 0 && is_word_byte(bytes[i - 1]) {
                                i -= 1;
                            }
                            break Some(&bytes[i..e]);
                        }
                        i -= 1;
                    }
                };
                let Some(word) = word else {
                    // A figure that ends its paragraph has no context after it.
                    if n == 0 {
                        return None;
                    }
                    break;
                };
                let w = if word.iter().any(u8::is_ascii_digit) {
                    return None;
                } else {
                    let mut lower = [0u8; 32];
                    let n = word.len().min(lower.len());
                    for (l, &b) in lower.iter_mut().zip(&word[..n]) {
                        *l = b.to_ascii_lowercase();
                    }
                    xxh3_64(&lower[..n]) | 2
                };
                let mut buf = [0u8; 16];
                buf[..8].copy_from_slice(&h.to_le_bytes());
                buf[8..].copy_from_slice(&w.to_le_bytes());
                h = xxh3_64(&buf);
            }
            Some((h >> 32) as u32)
        }

        /// The oracle's figures of `text`.
        pub fn figures(text: &str) -> Figures {
            let mut out = Vec::new();
            figures_plain(text, &mut out);
            out
        }
    }

    #[test]
    fn extraction_equals_the_plain_oracle_on_the_reuters_wires() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../shared/data/reuters21578/docs");
        let Ok(entries) = std::fs::read_dir(&dir) else {
            eprintln!("skipped: no {}", dir.display());
            return;
        };
        let mut n = 0;
        for e in entries {
            let text = std::fs::read_to_string(e.unwrap().path()).unwrap();
            assert_eq!(figures_of(&text), plain::figures(&text), "{text}");
            n += 1;
        }
        assert!(n > 20_000, "{n} wires");
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(4096))]
        #[test]
        fn extraction_equals_the_plain_oracle(
            text in "([0-9]{1,5}|[.,/-]|[a-zA-Z]{1,6}|19[0-9]{2}|[ \t\r]|\n|é|A320){0,60}"
        ) {
            proptest::prop_assert_eq!(figures_of(&text), plain::figures(&text));
        }
    }

    #[test]
    fn next_digit_finds_the_first_digit_from_any_start() {
        // Every byte value around every lane position, against a plain
        // search.
        let mut text: Vec<u8> = (0u8..=255).collect();
        text.extend(b"no digits here at all, none!".iter());
        text.extend((0u8..=255).rev());
        for from in 0..=text.len() {
            let want = text[from..]
                .iter()
                .position(u8::is_ascii_digit)
                .map(|p| from + p);
            assert_eq!(next_digit(&text, from), want, "from {from}");
        }
        for len in 0..20 {
            let mut t = vec![b'a'; len];
            assert_eq!(next_digit(&t, 0), None);
            if len > 0 {
                t[len - 1] = b'7';
                assert_eq!(next_digit(&t, 0), Some(len - 1));
            }
        }
    }

    /// Whether `number` is a figure, in prose.
    fn is_figure(number: &str) -> bool {
        let f = figures_of(&format!("the words before {number} and words after"));
        assert!(f.len() <= 2);
        !f.is_empty()
    }

    #[test]
    fn what_is_a_figure() {
        for yes in [
            "290,000", "12.84", "3-1/2", "1.5", "400", "1887", "2187", "0.05",
        ] {
            assert!(is_figure(yes), "{yes}");
        }
        for no in [
            "25", "10:30", "7", "1987", "2001", "A320", "10th", "5pm", "737s", "x1.5",
        ] {
            assert!(!is_figure(no), "{no}");
        }
        assert!(figures_of("").is_empty());
        // A sentence's full stop is not a decimal point.
        assert_eq!(
            figures_of("and it rose to 400. Then it fell"),
            figures_of("and it rose to 400 Then it fell")
        );
    }

    #[test]
    fn figures_among_numbers_have_no_context() {
        // A market ticker: every figure's words include other numbers.
        let ticker = "Market watch: Dow 2043.51 -0.05%  S&P 500 2861.37 -1.02%  Nasdaq 1542.87";
        assert_eq!(figures_of(ticker).len(), 1, "only the Dow's left context");
        // In prose, both sides count.
        assert_eq!(
            figures_of("the company said net income rose to 290,000 dlrs from a year ago").len(),
            2
        );
    }

    #[test]
    fn separators_and_commas() {
        // Thousands separators do not change the figure; the contexts are
        // the same, so the entries are too.
        assert_eq!(
            figures_of("rose to 290,000 tonnes"),
            figures_of("rose to 290000 tonnes")
        );
        assert_ne!(
            figures_of("rose to 290,000 tonnes"),
            figures_of("rose to 290,001 tonnes")
        );
    }

    const SIBLING_A: &str = "Treasury balances at the Federal Reserve rose on Feb 25 to \
        3.456 billion dlrs on that day from 2.104 billion dlrs the day before, the Treasury said. \
        Its balances in tax and loan note accounts fell to 20.113 billion dlrs from 21.450 \
        billion dlrs on the same day.";
    const SIBLING_B: &str = "Treasury balances at the Federal Reserve rose on Feb 27 to \
        4.012 billion dlrs on that day from 3.318 billion dlrs the day before, the Treasury said. \
        Its balances in tax and loan note accounts fell to 19.870 billion dlrs from 20.002 \
        billion dlrs on the same day.";

    #[test]
    fn siblings_are_refused_copies_are_not() {
        let (a, b) = (figures_of(SIBLING_A), figures_of(SIBLING_B));
        let c = compare(&a, &b);
        // Seven contexts: the first figure's left one holds the date.
        assert_eq!((c.counted_a, c.counted_b, c.agreeing), (7, 7, 0));
        assert!(c.refuses());
        // A re-filing with an outlet frame and an added paragraph full of
        // other figures.
        let copy = format!(
            "WIRE 1,234 | Markets 98.6\n\n{SIBLING_A}\n\nAnalysts expected 5.5 billion, 6.25 and 7.75."
        );
        let c = compare(&a, &figures_of(&copy));
        assert_eq!(c.agreeing, c.counted_a);
        assert!(!c.refuses());
        // A correction of one figure is still the same story.
        let fixed = SIBLING_A.replace("20.113", "20.131");
        let c = compare(&a, &figures_of(&fixed));
        assert!(!c.refuses(), "{c:?}");
        assert_eq!(c.agreeing + 2, c.counted_a);
    }

    #[test]
    fn contexts_stop_at_paragraphs_and_reworded_sentences_do_not_count() {
        // The same figures in other sentences: nothing counts.
        let a = figures_of(
            "Sales rose to 1.25 billion. Profit was 300.5 mln. Costs were 4.75 mln, it said.",
        );
        let b = figures_of("Revenue climbed sharply, 9.25 billion. Net came in, 800.5 mln. Outlays near 6.75 mln all told.");
        assert_eq!(compare(&a, &b).counted_a, 0);
        // A blank line ends a context: the words of the next paragraph are
        // not around the figure.
        let p = figures_of("rose to 1.25\n\nnext words here");
        let q = figures_of("rose to 1.25\n \nother words there");
        assert_eq!(p, q);
        let r = figures_of("rose to 1.25 next words here");
        assert_ne!(p, r);
    }

    #[test]
    fn too_few_figures_never_refuse() {
        let a = figures_of("The Fed added 1.5 billion dlrs of reserves via repurchase agreements.");
        let b = figures_of("The Fed added 2.0 billion dlrs of reserves via repurchase agreements.");
        let c = compare(&a, &b);
        assert_eq!((c.counted_a, c.agreeing), (2, 0));
        assert!(!c.refuses());
        assert!(!refuses(Some(&a), None));
        assert!(refuses(
            Some(&figures_of(SIBLING_A)),
            Some(&figures_of(SIBLING_B))
        ));
    }

    #[test]
    fn compare_is_the_naive_count() {
        // Random entries over few contexts: the merge counts what a naive
        // pass over every entry counts.
        let mut next = crate::testutil::lcg(11);
        for _ in 0..500 {
            let mut make = |n: u64| -> Vec<u64> {
                let mut v: Vec<u64> = (0..next() % n)
                    .map(|_| {
                        let (c, f) = (next() % 6, next() % 4);
                        c << 32 | f
                    })
                    .collect();
                v.sort_unstable();
                v.dedup();
                v
            };
            let (a, b) = (make(12), make(12));
            let ctx = |e: &u64| e >> 32;
            let counted = |x: &[u64], y: &[u64]| {
                x.iter()
                    .filter(|e| y.iter().any(|f| ctx(f) == ctx(e)))
                    .count()
            };
            let agreeing = a.iter().filter(|e| b.contains(e)).count();
            let want = FigureCounts {
                counted_a: counted(&a, &b),
                counted_b: counted(&b, &a),
                agreeing,
            };
            assert_eq!(compare(&a, &b), want);
        }
    }

    #[test]
    fn table_packs_documents() {
        let mut t = FigureTable::new();
        t.push(&[1, 2]);
        t.push(&[]);
        t.push(&[7]);
        assert_eq!(t.len(), 3);
        assert_eq!(t.get(0), [1, 2]);
        assert!(t.get(1).is_empty());
        assert_eq!(t.get(2), [7]);
    }
}
