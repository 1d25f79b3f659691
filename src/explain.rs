//! Passage alignment: what two documents share, and what each adds.
//!
//! [`explain`] takes two texts A and B exactly as read and returns an
//! [`Explanation`]: the shared passages (byte ranges into both texts, so a
//! caller can print or highlight them), the spans of each text that the other
//! lacks, and a few scores. It answers "why are these two near-duplicates?"
//! after MinHash/LSH has said that they are.
//!
//! # Words
//!
//! Both texts are split by `crate::tokenize`. Matching compares token
//! hashes only, so case and punctuation differences never matter
//! (`'Self-Regulate,'` matches `self regulate`). Ideographic scripts are
//! matched one character at a time, since that is how they are tokenized.
//! All counts below (`min_match`, `max_gap`, [`Passage::words`]) are in
//! tokens.
//!
//! # Algorithm
//!
//! 1. **Seeds.** Every run of `min_match` consecutive tokens of A and of B
//!    gets a polynomial fingerprint of its token hashes. Both seed lists are
//!    sorted and merge-joined, which yields every pair of positions `(i, j)`
//!    where a common run of at least `min_match` tokens may start.
//! 2. **Maximal matches.** A seed pair is kept only if it starts a run that
//!    cannot be extended to the left (`A[i-1] != B[j-1]`), then it is extended
//!    to the right token by token (this also discards fingerprint
//!    collisions). The result is every maximal common run of at least
//!    `min_match` tokens, each found once.
//! 3. **Greedy string tiling.** The longest remaining run becomes a *tile*
//!    and its tokens are marked on both sides; no token is ever used by two
//!    tiles, on either side. Runs that were partly marked by an earlier tile
//!    are cut into their unmarked pieces and requeued if a piece still has
//!    `min_match` tokens. Ties are broken by smaller start in A, then in B.
//!    This is exactly "repeatedly take the longest common run of unmarked
//!    tokens", done lazily with a priority queue. Because tiles are matched
//!    wherever they are, a paragraph moved to another place is still found.
//! 4. **Gap merging.** Tiles are sorted by their start in A, and each tile
//!    `U` is merged into the passage `P` built so far (whose last tile comes
//!    just before `U` in A) when *all* of the following hold:
//!    - `U` comes after `P` in B too (`U` starts in B at or after the end of
//!      `P` in B): the two are in the same order on both sides;
//!    - the A gap, the number of tokens strictly between the end of `P` and
//!      the start of `U` in A, is at most `max_gap`;
//!    - the B gap, counted the same way in B, is at most `max_gap`;
//!    - no token of the B gap belongs to another tile (this can only happen
//!      when `max_gap >= min_match`; the A gap is free by construction);
//!    - neither gap crosses a paragraph break (a blank line) when the texts
//!      are known ([`explain`]; [`explain_tokens`] has only tokens): an
//!      outlet's one-line header or a one-line addition between paragraphs
//!      is what a copy added, not an edit inside shared text.
//!
//!    The merged passage runs from the start of `P` to the end of `U` on both
//!    sides, and the gap tokens count as covered. So a changed word (gaps
//!    1/1), a spelling variant (`programme`/`program`), a contraction (`do
//!    not`/`don't`: 2/1), `70 per cent`/`70%` (2/0) or an inserted phrase of at
//!    most `max_gap` words (0/n) do not split a passage, while any insertion
//!    or deletion of more than `max_gap` words always does: a block of
//!    headlines glued into the middle of a paragraph is reported in
//!    [`Explanation::only_b`], never swallowed. Two edits fewer than
//!    `min_match` tokens apart leave no tile between them, so they are bridged
//!    only if both edits and the words between them fit in `max_gap`.
//! 5. **Edits.** Each bridged gap is compared word by word: a longest
//!    common subsequence of its A tokens and its B tokens leaves the words
//!    that differ, and each maximal run of them between two matched words
//!    is one [`Edit`] of the passage ([`Passage::edits`]). Of several
//!    longest subsequences, the one taken is found by walking both gaps from
//!    their start: equal words are matched; where they differ, B's word is
//!    passed over if as many words can still be matched, else A's (so that
//!    `z z y` / `y y y x` reads `z z` → `y y`, then `x` added). An edit is
//!    a substitution (`323` / `523`, `programme` / `program`, `do not` /
//!    `don't`) has words on both sides, a deletion (`per cent` / ``, from
//!    `34 per cent` / `34%`) only on A's, an insertion only on B's. Edits
//!    are in text order; [`Explanation::edited_words`] counts their words
//!    (per edit, the larger of its two sides). Gaps of no words on either
//!    side (two tiles that meet) are no edit.
//! 6. **Unshared spans.** Each maximal run of tokens of A that no passage
//!    covers becomes one [`Span`] of [`Explanation::only_a`], from the start
//!    of its first token to the end of its last one; likewise for B.
//!
//! # Scores
//!
//! * `jaccard` and `containment` (`|A ∩ B| / min(|A|, |B|)`) are the
//!   scores a scan gives the pair, computed the same way: on the sets of
//!   32-bit keys (`crate::shingle::key`) of the word `k`-shingles (`k` =
//!   [`AlignConfig::shingle`], by default the scan's
//!   [`DEFAULT_SHINGLE`](crate::config::DEFAULT_SHINGLE)), less the
//!   boilerplate keys when the scan cut some ([`explain_with_cut`],
//!   [`ScanResult::explain_texts`](crate::ScanResult::explain_texts)). The
//!   hash of a shingle is `xxh3_64` of the little-endian bytes of its `k`
//!   token hashes, concatenated; a document of fewer than `k` tokens (but at
//!   least one) is a single shingle of all its tokens; an empty document has
//!   no shingles. Both scores are 0 when either set is empty.
//! * `coverage_a` and `coverage_b` are another measure, *passage coverage*:
//!   the share of each document's tokens that lie inside passages (gap
//!   tokens included), 0 for an empty document. They come from the
//!   alignment, not from the shingle sets, and are named apart wherever
//!   they are shown.
//!
//! # Cost and determinism
//!
//! For ordinary text the time is `O(n log n)` in the number of tokens:
//! aligning two 5 KB articles (about 800 words each) takes about 50 µs once
//! tokenized, and about a quarter of a millisecond from text, three quarters
//! of which is tokenization (`benches/explain.rs`). The cost also grows with
//! the number of seed pairs and the total length of all maximal common runs,
//! which is quadratic only for degenerate input that repeats one short
//! phrase thousands of times on both sides (5,000 copies of one word against
//! 5,000: about 40 ms).
//!
//! The result depends only on the two texts and the configuration: no hash
//! map is iterated, and every tie is broken by position.
//!
//! # Limits
//!
//! * Greedy tiling is not an optimal alignment. When a passage occurs twice
//!   on one side (a headline repeated above the body, say) and once on the
//!   other, the longest match wins and ties go to the earliest copy, which
//!   may not be the copy a reader would pair. The text reported as shared
//!   is shared all the same.
//! * A common run that continues by chance past a true boundary (`that are
//!   being` ending one paragraph of A and starting another of B) moves the
//!   passage edge by those words, and may leave fewer than `min_match`
//!   words on the other side of an edit, which then join the gap or the
//!   unshared span.
//!
//! ```
//! use neardup::explain::{explain, AlignConfig};
//!
//! let a = "Officials told EV makers to self-regulate and not to sell cars below cost.";
//! let b = "OFFICIALS told EV makers to 'self-regulate', READ MORE: Why EVs are cheap \
//!          and cheaper still, and not to sell cars below cost!";
//! let e = explain(a, b, &AlignConfig::default());
//! assert_eq!(e.passages.len(), 2);
//! assert_eq!(&a[e.passages[0].a_start..e.passages[0].a_end], "Officials told EV makers to self-regulate");
//! assert_eq!(&b[e.only_b[0].start..e.only_b[0].end], "READ MORE: Why EVs are cheap \
//!          and cheaper still");
//! assert!(e.only_a.is_empty());
//! ```

use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;

use serde::Serialize;

use crate::figures::CutSet;
use crate::shingle::{key, shingle_set, shingles_into};
use crate::tokenize::{tokenize_into, Token};
use crate::verify::{similarity, Similarity};

/// Parameters of the alignment.
///
/// Values of 0 for [`min_match`](Self::min_match) and
/// [`shingle`](Self::shingle) make no sense; [`explain`] treats them as 1
/// rather than panicking, and [`AlignConfig::validate`] reports them so a
/// command line can refuse them up front.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AlignConfig {
    /// Shortest common run of tokens that counts as shared (default 4).
    ///
    /// Lower values find shorter shared phrases but also chance matches
    /// (`according to people`, `the people said`) inside unrelated text.
    pub min_match: usize,
    /// Largest gap, in tokens on each side, bridged when merging two tiles
    /// into one passage (default 3; 0 merges only adjacent tiles). See the
    /// module docs for the exact rule.
    pub max_gap: usize,
    /// Shingle size `k` for [`Explanation::jaccard`] and
    /// [`Explanation::containment`] (default
    /// [`DEFAULT_SHINGLE`](crate::config::DEFAULT_SHINGLE), 4: a scan's).
    pub shingle: usize,
}

impl Default for AlignConfig {
    fn default() -> Self {
        AlignConfig {
            min_match: 4,
            max_gap: 3,
            shingle: crate::config::DEFAULT_SHINGLE,
        }
    }
}

impl AlignConfig {
    /// Checks that `min_match >= 1` and `shingle >= 1`.
    ///
    /// ```
    /// use neardup::explain::AlignConfig;
    /// assert!(AlignConfig::default().validate().is_ok());
    /// assert!(AlignConfig { min_match: 0, ..AlignConfig::default() }.validate().is_err());
    /// ```
    pub fn validate(&self) -> crate::Result<()> {
        if self.min_match == 0 {
            return Err(crate::Error::Config(
                "explain: min_match must be at least 1".into(),
            ));
        }
        if self.shingle == 0 {
            return Err(crate::Error::Config(
                "explain: shingle size must be at least 1".into(),
            ));
        }
        Ok(())
    }
}

/// One shared passage: a run of A and a run of B with the same words, up to
/// bridged gaps.
///
/// Ranges are half-open byte ranges into the original texts, starting at the
/// first byte of the first word and ending after the last byte of the last
/// word, so `&a[p.a_start..p.a_end]` is the passage as it reads in A.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Passage {
    /// Byte offset of the passage start in A.
    pub a_start: usize,
    /// Byte offset one past the passage end in A.
    pub a_end: usize,
    /// Byte offset of the passage start in B.
    pub b_start: usize,
    /// Byte offset one past the passage end in B.
    pub b_end: usize,
    /// Number of A tokens in the passage, bridged gap tokens included.
    pub words: usize,
    /// The word-level differences inside the passage, in text order (see
    /// the module docs): empty when both sides read the same words.
    pub edits: Vec<Edit>,
}

/// One word-level difference inside a shared passage: the words of A in
/// `a_start..a_end` read `b_start..b_end` in B.
///
/// Ranges are byte ranges like a [`Passage`]'s, from the first byte of the
/// first word to the last byte of the last one. A side without words (an
/// insertion in B has `a_start == a_end`, a deletion from A has `b_start ==
/// b_end`) is the empty range at the end of the word before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Edit {
    /// Byte offset of the edit's first A word (or of the insertion point).
    pub a_start: usize,
    /// Byte offset one past its last A word.
    pub a_end: usize,
    /// Byte offset of the edit's first B word (or of the deletion point).
    pub b_start: usize,
    /// Byte offset one past its last B word.
    pub b_end: usize,
}

/// A half-open byte range of one text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Span {
    /// Byte offset of the first byte.
    pub start: usize,
    /// Byte offset one past the last byte.
    pub end: usize,
}

impl Span {
    /// The span as a range, for slicing the text it belongs to.
    pub fn range(&self) -> std::ops::Range<usize> {
        self.start..self.end
    }
}

/// What two documents share and what each one adds.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Explanation {
    /// Jaccard similarity of the word shingle sets, in `[0, 1]`.
    pub jaccard: f64,
    /// `|A ∩ B| / min(|A|, |B|)` over the word shingle sets, in `[0, 1]`.
    pub containment: f64,
    /// Share of A's tokens inside passages, in `[0, 1]`.
    pub coverage_a: f64,
    /// Share of B's tokens inside passages, in `[0, 1]`.
    pub coverage_b: f64,
    /// Shared passages, sorted by `a_start`. They never overlap on either
    /// side; their order in B may differ (moved paragraphs).
    pub passages: Vec<Passage>,
    /// Maximal spans of A, at least one word each, covered by no passage,
    /// in text order.
    pub only_a: Vec<Span>,
    /// Maximal spans of B, at least one word each, covered by no passage,
    /// in text order.
    pub only_b: Vec<Span>,
    /// Words edited inside shared passages: over every [`Edit`], the larger
    /// of its number of A words and of B words.
    pub edited_words: usize,
    /// The shingle size `k` of [`jaccard`](Self::jaccard) and
    /// [`containment`](Self::containment).
    pub shingle: usize,
    /// Whether the scores leave out a scan's boilerplate shingles
    /// ([`explain_with_cut`] with a non-empty list).
    pub boilerplate_cut: bool,
    /// The figures rule's counts for the pair ([`crate::figures`]; zero
    /// when the texts were not at hand, as in [`explain_tokens`]).
    pub figures: crate::figures::FigureCounts,
    /// The digest rule's counts for the pair ([`crate::digest`]; `None`
    /// when it does not apply: the pair's Jaccard reaches the default
    /// threshold, the larger text has no block summary, or the texts were
    /// not at hand).
    pub digest: Option<crate::digest::DigestCounts>,
}

impl Explanation {
    /// Whether the figures rule refuses the pair: whatever its scores, a
    /// scan, the index and the stages never call it a duplicate (template
    /// siblings: the same sentences with other numbers).
    pub fn refused_by_figures(&self) -> bool {
        self.figures.refuses()
    }

    /// Whether the digest rule refuses the pair ([`crate::digest`]): the
    /// larger text pastes the smaller among other items (a live-update
    /// page), so it does not join the smaller one's copies. Only when the
    /// figures rule does not refuse it first.
    pub fn refused_as_digest(&self) -> bool {
        !self.refused_by_figures() && self.digest.is_some_and(|d| d.refuses())
    }

    /// Which rule refuses the pair, if one does: `"figures"` or `"digest"`.
    pub fn refused(&self) -> Option<&'static str> {
        if self.refused_by_figures() {
            Some("figures")
        } else if self.refused_as_digest() {
            Some("digest")
        } else {
            None
        }
    }

    /// Number of edits inside all passages.
    pub fn edits(&self) -> usize {
        self.passages.iter().map(|p| p.edits.len()).sum()
    }
}

/// Aligns the texts `a` and `b`.
///
/// Tokenizes both with `crate::tokenize::tokenize_into` and calls
/// [`explain_tokens`]; all byte offsets in the result point into `a` and `b`.
pub fn explain(a: &str, b: &str, cfg: &AlignConfig) -> Explanation {
    explain_with_cut(a, b, cfg, &[])
}

/// [`explain`], with the scores of a scan that cut `boilerplate` (a sorted
/// list of shingle keys, [`ScanResult::boilerplate`](crate::ScanResult)):
/// the keys in it are left out of both sets before Jaccard and containment
/// are computed, exactly as the scan's verification does, so the scores are
/// the ones the scan printed for the pair. The passages do not depend on
/// it. [`ScanResult::explain_texts`](crate::ScanResult::explain_texts)
/// calls this with the scan's own configuration.
pub fn explain_with_cut(a: &str, b: &str, cfg: &AlignConfig, boilerplate: &[u32]) -> Explanation {
    explain_prepared(
        &Prepared::new(a, cfg, boilerplate),
        &Prepared::new(b, cfg, boilerplate),
        cfg,
    )
}

/// A text made ready to be aligned with others: its tokens, their
/// paragraphs and its scan key set, computed once. A text compared with
/// many others (the representative of a cluster in a report) is tokenized
/// once instead of once per pair.
#[derive(Debug, Clone)]
pub struct Prepared<'t> {
    text: &'t str,
    tokens: Vec<Token>,
    paras: Vec<u32>,
    /// The key of each `k`-shingle, in text order (with repeats).
    window_keys: Vec<u32>,
    /// The scan's set: sorted, distinct keys, less the boilerplate.
    keys: Vec<u32>,
    /// Its figures and block summary ([`crate::figures::entries_of`]).
    figures: crate::figures::Figures,
    shingle: usize,
    cut: bool,
}

impl<'t> Prepared<'t> {
    /// Prepares `text` for alignments under `cfg` scored with the scan's
    /// cut `boilerplate` (sorted keys; empty for none).
    pub fn new(text: &'t str, cfg: &AlignConfig, boilerplate: &[u32]) -> Prepared<'t> {
        let mut tokens = Vec::new();
        tokenize_into(text, &mut tokens);
        let paras = paragraphs(text, &tokens);
        let shingle = cfg.shingle.max(1);
        let (window_keys, keys) = shingle_keys(&tokens, shingle, boilerplate);
        Prepared {
            text,
            tokens,
            paras,
            window_keys,
            keys,
            figures: crate::figures::entries_of(text, shingle),
            shingle,
            cut: !boilerplate.is_empty(),
        }
    }

    /// The text.
    pub fn text(&self) -> &'t str {
        self.text
    }

    /// The share of the shingles of `text[start..end]` (a passage of this
    /// text, from the start of a word to the end of one) found in
    /// `boilerplate`: [`boilerplate_share`] from the tokens at hand.
    pub fn boilerplate_share(&self, start: usize, end: usize, boilerplate: &[u32]) -> f64 {
        let t0 = self.tokens.partition_point(|t| t.start < start);
        let t1 = self.tokens.partition_point(|t| t.end <= end);
        let k = self.shingle;
        if boilerplate.is_empty() || t1 <= t0 {
            return 0.0;
        }
        if t1 - t0 < k {
            // Fewer words than a shingle: one shingle of them all.
            let mut hashes = Vec::new();
            shingles_into(&self.tokens[t0..t1], k, &mut hashes);
            return share_in(hashes.iter().map(|&h| key(h)), boilerplate);
        }
        share_in(self.window_keys[t0..=t1 - k].iter().copied(), boilerplate)
    }
}

/// The share of the distinct `keys` found in the sorted `boilerplate`
/// (0 for none).
fn share_in(keys: impl Iterator<Item = u32>, boilerplate: &[u32]) -> f64 {
    let mut keys: Vec<u32> = keys.collect();
    keys.sort_unstable();
    keys.dedup();
    if keys.is_empty() {
        return 0.0;
    }
    let hits = keys
        .iter()
        .filter(|k| boilerplate.binary_search(k).is_ok())
        .count();
    hits as f64 / keys.len() as f64
}

/// Aligns two prepared texts (see [`Prepared`]): the same as
/// [`explain_with_cut`] on their texts, with the shingle size and the cut
/// they were prepared with.
pub fn explain_prepared(a: &Prepared<'_>, b: &Prepared<'_>, cfg: &AlignConfig) -> Explanation {
    let mut e = align(&a.tokens, &b.tokens, Some((&a.paras, &b.paras)), cfg);
    let s = similarity(&a.keys, &b.keys);
    (e.jaccard, e.containment) = (s.jaccard, s.containment);
    e.shingle = a.shingle;
    e.boilerplate_cut = a.cut || b.cut;
    e.figures = crate::figures::compare(&a.figures, &b.figures);
    // The digest rule as a scan at the default Jaccard threshold applies
    // it (the prepared key sets are the scan's cut sets).
    let sets = (CutSet::new(&a.keys, &[]), CutSet::new(&b.keys, &[]));
    e.digest = crate::digest::counts(
        crate::Config::default().threshold(),
        &s,
        Some(&a.figures),
        Some(&b.figures),
        Some(sets),
    );
    e
}

/// The similarity a scan gives two tokenized documents: Jaccard and
/// containment of their sets of `k`-shingle keys (`crate::shingle::key`),
/// less the keys in `boilerplate` (sorted; empty for no cut).
pub fn scan_similarity(a: &[Token], b: &[Token], k: usize, boilerplate: &[u32]) -> Similarity {
    let k = k.max(1);
    similarity(
        &shingle_keys(a, k, boilerplate).1,
        &shingle_keys(b, k, boilerplate).1,
    )
}

/// The key of each `k`-shingle of `tokens` in text order, and the scan's
/// set of them: sorted, distinct, less the keys in `boilerplate`.
fn shingle_keys(tokens: &[Token], k: usize, boilerplate: &[u32]) -> (Vec<u32>, Vec<u32>) {
    let mut hashes = Vec::new();
    shingles_into(tokens, k, &mut hashes);
    let windows: Vec<u32> = hashes.iter().map(|&h| key(h)).collect();
    let mut set: Vec<u32> = windows
        .iter()
        .copied()
        .filter(|k| boilerplate.binary_search(k).is_err())
        .collect();
    set.sort_unstable();
    set.dedup();
    (windows, set)
}

/// The share of the word `k`-shingles of `text[start..end]` (a passage or
/// span of a document) found in `boilerplate`, a sorted list of shingle
/// keys (`crate::shingle::key`) such as
/// [`ScanResult::boilerplate`](crate::ScanResult). A passage
/// made mostly of boilerplate is text two pages share because their outlet
/// prints it everywhere, not because one copies the other.
pub fn boilerplate_share(
    text: &str,
    start: usize,
    end: usize,
    k: usize,
    boilerplate: &[u32],
) -> f64 {
    if boilerplate.is_empty()
        || start >= end
        || end > text.len()
        || !text.is_char_boundary(start)
        || !text.is_char_boundary(end)
    {
        return 0.0;
    }
    let set = shingle_set(&crate::tokenize::tokenize(&text[start..end]), k);
    share_in(set.iter().map(|&h| key(h)), boilerplate)
}

/// Whether `gap` (the text between two words) holds a blank line: a line
/// break followed by nothing but spaces and another line break.
pub fn has_blank_line(gap: &str) -> bool {
    let mut newline = false;
    for c in gap.chars() {
        match c {
            '\n' if newline => return true,
            '\n' => newline = true,
            ' ' | '\t' | '\r' | '\u{a0}' => {}
            _ => newline = false,
        }
    }
    false
}

/// The paragraph number of each token: paragraphs are separated by blank
/// lines.
fn paragraphs(text: &str, tokens: &[Token]) -> Vec<u32> {
    let mut out = Vec::with_capacity(tokens.len());
    let (mut para, mut prev_end) = (0u32, 0usize);
    for t in tokens {
        if has_blank_line(&text[prev_end..t.start]) {
            para += 1;
        }
        out.push(para);
        prev_end = t.end;
    }
    out
}

/// Aligns two already tokenized documents.
///
/// The tokens must be in text order, as `crate::tokenize::tokenize_into`
/// produces them; byte offsets in the result are taken from them.
///
/// Without the texts, paragraph breaks are unknown, so gaps are bridged by
/// size alone (see the module docs), and so are the figures: the result's
/// [`Explanation::figures`] counts are zero (nothing refused).
pub fn explain_tokens(a_tokens: &[Token], b_tokens: &[Token], cfg: &AlignConfig) -> Explanation {
    let mut e = align(a_tokens, b_tokens, None, cfg);
    let s = scan_similarity(a_tokens, b_tokens, cfg.shingle.max(1), &[]);
    (e.jaccard, e.containment) = (s.jaccard, s.containment);
    e
}

/// The alignment of two token lists: everything but the scores (left at
/// 0, with the shingle size of `cfg` and no cut).
fn align(
    a_tokens: &[Token],
    b_tokens: &[Token],
    paras: Option<(&[u32], &[u32])>,
    cfg: &AlignConfig,
) -> Explanation {
    let min_match = cfg.min_match.max(1);
    let a: Vec<u64> = a_tokens.iter().map(|t| t.hash).collect();
    let b: Vec<u64> = b_tokens.iter().map(|t| t.hash).collect();

    let mut b_used = vec![false; b.len()];
    let tiles = tile(&a, &b, min_match, &mut b_used);
    let runs = merge_tiles(tiles, cfg.max_gap, &b_used, paras);

    let mut edited_words = 0;
    let passages: Vec<Passage> = runs
        .iter()
        .map(|r| {
            let mut edits = Vec::new();
            for gap in &r.gaps {
                for e in gap_edits(&a, &b, gap) {
                    edited_words += (e.a1 - e.a0).max(e.b1 - e.b0);
                    // A side without words is the point after the word
                    // before it (a gap always follows a tile's word).
                    let span = |t: &[Token], x0: usize, x1: usize| {
                        if x1 > x0 {
                            (t[x0].start, t[x1 - 1].end)
                        } else {
                            (t[x0 - 1].end, t[x0 - 1].end)
                        }
                    };
                    let (a_start, a_end) = span(a_tokens, e.a0, e.a1);
                    let (b_start, b_end) = span(b_tokens, e.b0, e.b1);
                    edits.push(Edit {
                        a_start,
                        a_end,
                        b_start,
                        b_end,
                    });
                }
            }
            Passage {
                a_start: a_tokens[r.a].start,
                a_end: a_tokens[r.a + r.a_len - 1].end,
                b_start: b_tokens[r.b].start,
                b_end: b_tokens[r.b + r.b_len - 1].end,
                words: r.a_len,
                edits,
            }
        })
        .collect();

    let covered_a: usize = runs.iter().map(|r| r.a_len).sum();
    let covered_b: usize = runs.iter().map(|r| r.b_len).sum();

    let mut ranges: Vec<(usize, usize)> = runs.iter().map(|r| (r.a, r.a + r.a_len)).collect();
    let only_a = uncovered(a_tokens, &ranges);
    ranges.clear();
    ranges.extend(runs.iter().map(|r| (r.b, r.b + r.b_len)));
    ranges.sort_unstable();
    let only_b = uncovered(b_tokens, &ranges);

    Explanation {
        jaccard: 0.0,
        containment: 0.0,
        coverage_a: ratio(covered_a, a.len()),
        coverage_b: ratio(covered_b, b.len()),
        passages,
        only_a,
        only_b,
        edited_words,
        shingle: cfg.shingle.max(1),
        boilerplate_cut: false,
        figures: Default::default(),
        digest: None,
    }
}

/// Token ranges of A and of B: `A[a0..a1]` reads `B[b0..b1]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Gap {
    a0: usize,
    a1: usize,
    b0: usize,
    b1: usize,
}

/// The edits of one bridged gap, in order: the runs of words left between
/// the matched words of a longest common subsequence of `a[gap.a0..gap.a1]`
/// and `b[gap.b0..gap.b1]`, chosen as the module docs say.
fn gap_edits(a: &[u64], b: &[u64], gap: &Gap) -> Vec<Gap> {
    let (x, y) = (&a[gap.a0..gap.a1], &b[gap.b0..gap.b1]);
    let (n, m) = (x.len(), y.len());
    // lcs[i][j]: length of a longest common subsequence of x[i..], y[j..].
    let w = m + 1;
    let mut lcs = vec![0u32; (n + 1) * w];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            lcs[i * w + j] = if x[i] == y[j] {
                1 + lcs[(i + 1) * w + j + 1]
            } else {
                lcs[(i + 1) * w + j].max(lcs[i * w + j + 1])
            };
        }
    }
    let mut out = Vec::new();
    let (mut i, mut j, mut from) = (0, 0, (0, 0));
    let close = |out: &mut Vec<Gap>, from: (usize, usize), i: usize, j: usize| {
        if (i, j) != from {
            out.push(Gap {
                a0: gap.a0 + from.0,
                a1: gap.a0 + i,
                b0: gap.b0 + from.1,
                b1: gap.b0 + j,
            });
        }
    };
    while i < n && j < m {
        if x[i] == y[j] {
            // Matching equal words is always part of some longest
            // subsequence.
            close(&mut out, from, i, j);
            i += 1;
            j += 1;
            from = (i, j);
        } else if lcs[i * w + j + 1] == lcs[i * w + j] {
            // Passing over B[j] loses nothing.
            j += 1;
        } else {
            i += 1;
        }
    }
    close(&mut out, from, n, m);
    out
}

/// `num / den`, or 0 when `den` is 0.
fn ratio(num: usize, den: usize) -> f64 {
    if den == 0 {
        0.0
    } else {
        num as f64 / den as f64
    }
}

/// A common run of tokens: `A[a..a+len] == B[b..b+len]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Run {
    a: usize,
    b: usize,
    len: usize,
}

impl Ord for Run {
    /// Max-heap order: longer first, then smaller start in A, then in B.
    fn cmp(&self, other: &Self) -> Ordering {
        (self.len, Reverse(self.a), Reverse(self.b)).cmp(&(
            other.len,
            Reverse(other.a),
            Reverse(other.b),
        ))
    }
}

impl PartialOrd for Run {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Odd multiplier of the seed fingerprint polynomial.
const SEED_MUL: u64 = 0x9E37_79B9_7F4A_7C15;

/// Fingerprint of every window of `k` token hashes, paired with its start.
fn seeds(hashes: &[u64], k: usize) -> Vec<(u64, usize)> {
    if hashes.len() < k {
        return Vec::new();
    }
    // h(i) = sum over t < k of x[i+t] * M^(k-1-t), rolled one token at a time.
    let top = (1..k).fold(1u64, |p, _| p.wrapping_mul(SEED_MUL));
    let mut h = hashes[..k]
        .iter()
        .fold(0u64, |h, &x| h.wrapping_mul(SEED_MUL).wrapping_add(x));
    let mut out = Vec::with_capacity(hashes.len() + 1 - k);
    out.push((h, 0));
    for i in 1..=hashes.len() - k {
        h = h
            .wrapping_sub(hashes[i - 1].wrapping_mul(top))
            .wrapping_mul(SEED_MUL)
            .wrapping_add(hashes[i + k - 1]);
        out.push((h, i));
    }
    out.sort_unstable();
    out
}

/// Greedy string tiling of `a` against `b`: returns the tiles (in no
/// particular order) and marks the B tokens they use in `b_used`.
fn tile(a: &[u64], b: &[u64], min_match: usize, b_used: &mut [bool]) -> Vec<Run> {
    let sa = seeds(a, min_match);
    let sb = seeds(b, min_match);

    // Every maximal common run of at least `min_match` tokens, once.
    let mut candidates = Vec::new();
    let (mut i, mut j) = (0, 0);
    while i < sa.len() && j < sb.len() {
        let h = sa[i].0;
        match h.cmp(&sb[j].0) {
            Ordering::Less => i += 1,
            Ordering::Greater => j += 1,
            Ordering::Equal => {
                let i_end = i + sa[i..].iter().take_while(|s| s.0 == h).count();
                let j_end = j + sb[j..].iter().take_while(|s| s.0 == h).count();
                for &(_, pa) in &sa[i..i_end] {
                    for &(_, pb) in &sb[j..j_end] {
                        if pa > 0 && pb > 0 && a[pa - 1] == b[pb - 1] {
                            continue; // not left-maximal: found from its true start
                        }
                        let len = a[pa..]
                            .iter()
                            .zip(&b[pb..])
                            .take_while(|(x, y)| x == y)
                            .count();
                        if len >= min_match {
                            candidates.push(Run { a: pa, b: pb, len });
                        }
                    }
                }
                i = i_end;
                j = j_end;
            }
        }
    }

    let mut heap = BinaryHeap::from(candidates);
    let mut a_used = vec![false; a.len()];
    let mut tiles = Vec::new();
    while let Some(run) = heap.pop() {
        let free = |t: usize| !a_used[run.a + t] && !b_used[run.b + t];
        if (0..run.len).all(free) {
            a_used[run.a..run.a + run.len].fill(true);
            b_used[run.b..run.b + run.len].fill(true);
            tiles.push(run);
            continue;
        }
        // Requeue the unmarked pieces that are still long enough.
        let mut t = 0;
        while t < run.len {
            if !free(t) {
                t += 1;
                continue;
            }
            let start = t;
            while t < run.len && free(t) {
                t += 1;
            }
            if t - start >= min_match {
                heap.push(Run {
                    a: run.a + start,
                    b: run.b + start,
                    len: t - start,
                });
            }
        }
    }
    tiles
}

/// A passage in token indices: `A[a..a+a_len]` aligned with
/// `B[b..b+b_len]`, with the gaps bridged inside it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Aligned {
    a: usize,
    a_len: usize,
    b: usize,
    b_len: usize,
    /// The bridged gaps with a word on either side, in order.
    gaps: Vec<Gap>,
}

/// Merges tiles into passages by the gap rule of the module docs. Returns
/// the passages sorted by their start in A.
fn merge_tiles(
    mut tiles: Vec<Run>,
    max_gap: usize,
    b_used: &[bool],
    paras: Option<(&[u32], &[u32])>,
) -> Vec<Aligned> {
    tiles.sort_unstable_by_key(|t| t.a);
    let mut out: Vec<Aligned> = Vec::with_capacity(tiles.len());
    for t in tiles {
        if let Some(p) = out.last_mut() {
            let (a_end, b_end) = (p.a + p.a_len, p.b + p.b_len);
            // Tiles never overlap in A, so `t.a >= a_end`.
            if t.b >= b_end
                && t.a - a_end <= max_gap
                && t.b - b_end <= max_gap
                && !b_used[b_end..t.b].iter().any(|&u| u)
                && paras.is_none_or(|(pa, pb)| pa[a_end - 1] == pa[t.a] && pb[b_end - 1] == pb[t.b])
            {
                if (t.a, t.b) != (a_end, b_end) {
                    p.gaps.push(Gap {
                        a0: a_end,
                        a1: t.a,
                        b0: b_end,
                        b1: t.b,
                    });
                }
                p.a_len = t.a + t.len - p.a;
                p.b_len = t.b + t.len - p.b;
                continue;
            }
        }
        out.push(Aligned {
            a: t.a,
            a_len: t.len,
            b: t.b,
            b_len: t.len,
            gaps: Vec::new(),
        });
    }
    out
}

/// Byte spans of the maximal runs of `tokens` outside `covered`, a sorted
/// list of disjoint half-open token ranges.
fn uncovered(tokens: &[Token], covered: &[(usize, usize)]) -> Vec<Span> {
    let mut out = Vec::new();
    let mut next = 0; // first token not yet accounted for
    for &(start, end) in covered
        .iter()
        .chain(std::iter::once(&(tokens.len(), tokens.len())))
    {
        if start > next {
            out.push(Span {
                start: tokens[next].start,
                end: tokens[start - 1].end,
            });
        }
        next = end;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_lines_stop_gap_bridging() {
        assert!(has_blank_line("\n\n"));
        assert!(has_blank_line(" \r\n \t\r\n"));
        assert!(!has_blank_line("\n x \n"));
        assert!(!has_blank_line(" , "));
        let body = "one two three four five six seven eight nine ten";
        let a = format!("Big news headline from today\n\nDaily Post\n\n{body}");
        let b = format!("Big news headline from today\n\nMint\n\n{body}");
        let e = explain(&a, &b, &AlignConfig::default());
        let only_a: Vec<&str> = e.only_a.iter().map(|s| &a[s.range()]).collect();
        let only_b: Vec<&str> = e.only_b.iter().map(|s| &b[s.range()]).collect();
        assert_eq!((only_a, only_b), (vec!["Daily Post"], vec!["Mint"]));
        // Inside a paragraph the same one-word change is bridged.
        let a = format!("{body} Daily Post {body}");
        let b = format!("{body} Mint {body}");
        assert_eq!(explain(&a, &b, &AlignConfig::default()).passages.len(), 1);
    }
    use crate::tokenize::tokenize;

    fn cfg() -> AlignConfig {
        AlignConfig::default()
    }

    fn passages<'t>(a: &'t str, b: &'t str, e: &Explanation) -> Vec<(&'t str, &'t str)> {
        e.passages
            .iter()
            .map(|p| (&a[p.a_start..p.a_end], &b[p.b_start..p.b_end]))
            .collect()
    }

    fn spans<'t>(text: &'t str, spans: &[Span]) -> Vec<&'t str> {
        spans.iter().map(|s| &text[s.range()]).collect()
    }

    #[test]
    fn empty_texts() {
        for (a, b) in [("", ""), ("", "some words here now"), ("  ... ", "")] {
            let e = explain(a, b, &cfg());
            assert!(e.passages.is_empty());
            assert_eq!(e.jaccard, 0.0);
            assert_eq!(e.containment, 0.0);
            assert_eq!(e.coverage_a, 0.0);
            assert_eq!(e.coverage_b, 0.0);
            assert!(e.only_a.is_empty());
            assert_eq!(e.only_b.len(), usize::from(!tokenize(b).is_empty()));
        }
    }

    #[test]
    fn identical_texts() {
        let a = "The quick brown fox jumps over the lazy dog, twice.";
        let e = explain(a, a, &cfg());
        assert_eq!(e.jaccard, 1.0);
        assert_eq!(e.containment, 1.0);
        assert_eq!(e.coverage_a, 1.0);
        assert_eq!(e.coverage_b, 1.0);
        assert_eq!(
            e.passages,
            [Passage {
                a_start: 0,
                a_end: a.len() - 1,
                b_start: 0,
                b_end: a.len() - 1,
                words: 10,
                edits: vec![],
            }]
        );
        assert!(e.only_a.is_empty() && e.only_b.is_empty());
    }

    #[test]
    fn no_overlap() {
        let a = "alpha beta gamma delta epsilon";
        let b = "one two three four five six";
        let e = explain(a, b, &cfg());
        assert!(e.passages.is_empty());
        assert_eq!(spans(a, &e.only_a), [a]);
        assert_eq!(spans(b, &e.only_b), [b]);
        assert_eq!((e.jaccard, e.containment), (0.0, 0.0));
    }

    #[test]
    fn shorter_than_min_match() {
        let e = explain("Markets closed", "markets, CLOSED.", &cfg());
        assert!(e.passages.is_empty());
        assert_eq!(e.coverage_a, 0.0);
        // The one-shingle rule still sees them as equal.
        assert_eq!((e.jaccard, e.containment), (1.0, 1.0));
        let e = explain(
            "Markets closed",
            "markets, closed.",
            &AlignConfig {
                min_match: 2,
                ..cfg()
            },
        );
        assert_eq!(e.passages.len(), 1);
        assert_eq!(e.coverage_b, 1.0);
    }

    #[test]
    fn case_and_punctuation_do_not_matter() {
        let a = "Officials told EV makers to 'self-regulate.'";
        let b = "OFFICIALS -- told ev makers to self regulate";
        let e = explain(a, b, &cfg());
        assert_eq!(passages(a, b, &e), [(&a[..a.len() - 2], b)]);
        assert_eq!(e.passages[0].words, 7);
    }

    #[test]
    fn small_edits_are_bridged_large_insertions_are_not() {
        let a = "the cash for clunkers programme is part of a broader trade in package \
                 aimed at boosting retail sales across the whole country";
        let b = "the cash for clunkers program is part of a broader trade in package \
                 READ NEXT ICE Moves to Test Families aimed at boosting retail sales across \
                 the whole country";
        let e = explain(a, b, &cfg());
        let p = passages(a, b, &e);
        assert_eq!(p.len(), 2, "{p:?}");
        assert!(p[0].0.ends_with("package") && p[0].1.ends_with("package"));
        assert!(p[0].1.contains("program is"));
        assert_eq!(
            spans(b, &e.only_b),
            ["READ NEXT ICE Moves to Test Families"]
        );
        assert!(e.only_a.is_empty());
        assert_eq!(e.coverage_a, 1.0);
    }

    #[test]
    fn gap_limits_are_inclusive_and_both_sided() {
        let head = "w1 w2 w3 w4 w5 w6";
        let tail = "z1 z2 z3 z4 z5 z6";
        let a = format!("{head} x1 x2 x3 {tail}");
        let b3 = format!("{head} y1 y2 y3 {tail}");
        let b4 = format!("{head} y1 y2 y3 y4 {tail}");
        let a_ins = format!("{head} {tail}");
        assert_eq!(explain(&a, &b3, &cfg()).passages.len(), 1);
        assert_eq!(explain(&a, &b4, &cfg()).passages.len(), 2);
        assert_eq!(explain(&a_ins, &b3, &cfg()).passages.len(), 1);
        assert_eq!(explain(&a_ins, &b4, &cfg()).passages.len(), 2);
        assert_eq!(explain(&b4, &a_ins, &cfg()).passages.len(), 2);
        let no_gap = AlignConfig {
            max_gap: 0,
            ..cfg()
        };
        assert_eq!(explain(&a, &b3, &no_gap).passages.len(), 2);
    }

    #[test]
    fn moved_paragraph_is_found_and_not_merged() {
        let p1 = "first paragraph talks about the ministry meeting in beijing";
        let p2 = "second paragraph covers share prices falling across the board";
        let p3 = "third paragraph quotes the association statement on price wars";
        let a = format!("{p1}. {p2}. {p3}.");
        let b = format!("{p2}. {p1}. {p3}.");
        let e = explain(&a, &b, &cfg());
        assert_eq!(
            passages(&a, &b, &e),
            [(p1, p1), (p2, p2), (p3, p3)],
            "sorted by A, found wherever they are in B"
        );
        assert_eq!(e.coverage_a, 1.0);
        assert_eq!(e.coverage_b, 1.0);
        assert!(e.only_a.is_empty() && e.only_b.is_empty());
    }

    #[test]
    fn repeated_paragraphs_are_used_once() {
        let p = "error in retrieving data from the server";
        let a = format!("intro words only here. {p}.");
        let b = format!("{p}. {p}. {p}.");
        let e = explain(&a, &b, &cfg());
        assert_eq!(e.passages.len(), 1);
        // The first copy in B wins the tie.
        assert_eq!(e.passages[0].b_start, 0);
        assert_eq!(spans(&a, &e.only_a), ["intro words only here"]);
        assert_eq!(spans(&b, &e.only_b), [&b[p.len() + 2..b.len() - 1]]);
        assert!(e.coverage_b > 0.33 && e.coverage_b < 0.34);
    }

    #[test]
    fn chinese_is_matched_per_character() {
        let a = "中国官员召集电动汽车制造商开会，要求停止价格战。";
        let b = "据报道，中国官员召集电动汽车制造商开会。";
        let e = explain(a, b, &cfg());
        assert_eq!(
            passages(a, b, &e),
            [(
                "中国官员召集电动汽车制造商开会",
                "中国官员召集电动汽车制造商开会"
            )]
        );
        assert_eq!(spans(a, &e.only_a), ["要求停止价格战"]);
        assert_eq!(spans(b, &e.only_b), ["据报道"]);
    }

    #[test]
    fn longest_tile_wins() {
        // "a b c d" matches twice in B; the longer run must take the tokens.
        let a = "a b c d e f g";
        let b = "a b c d x a b c d e f g";
        let e = explain(a, b, &cfg());
        assert_eq!(passages(a, b, &e), [(a, &b[10..])]);
        assert_eq!(spans(b, &e.only_b), ["a b c d x"]);
    }

    #[test]
    fn b_gap_holding_another_tile_is_not_bridged() {
        // With max_gap >= min_match a tile can sit inside a B gap; merging
        // across it would make passages overlap in B.
        let cfg = AlignConfig {
            min_match: 2,
            max_gap: 5,
            shingle: 2,
        };
        let a = "p q r s m n t u v w";
        let b = "p q r s t u v w x m n";
        let e = explain(a, b, &cfg);
        let mut b_ranges: Vec<_> = e.passages.iter().map(|p| (p.b_start, p.b_end)).collect();
        b_ranges.sort_unstable();
        assert!(
            b_ranges.windows(2).all(|w| w[0].1 <= w[1].0),
            "{b_ranges:?}"
        );
    }

    #[test]
    fn shingle_set_matches_spec() {
        let t = tokenize("a b c d e f");
        let s = shingle_set(&t, 5);
        assert_eq!(s.len(), 2);
        let mut bytes = Vec::new();
        for tok in &t[..5] {
            bytes.extend_from_slice(&tok.hash.to_le_bytes());
        }
        assert!(s.contains(&xxhash_rust::xxh3::xxh3_64(&bytes)));
        assert_eq!(shingle_set(&t[..2], 5).len(), 1);
        assert!(shingle_set(&[], 5).is_empty());
        assert_eq!(shingle_set(&tokenize("a b a b a b"), 2).len(), 2);
    }

    #[test]
    fn scores_on_a_known_pair() {
        // 8 shared 5-shingles, 4 only in B (b is a + 4 words).
        let a = "one two three four five six seven eight nine ten eleven twelve";
        let b = "one two three four five six seven eight nine ten eleven twelve x y z w";
        let five = AlignConfig {
            shingle: 5,
            ..cfg()
        };
        let e = explain(a, b, &five);
        assert_eq!((e.shingle, e.boilerplate_cut), (5, false));
        assert_eq!(e.containment, 1.0);
        assert!((e.jaccard - 8.0 / 12.0).abs() < 1e-12);
        assert_eq!(e.coverage_a, 1.0);
        assert_eq!(e.coverage_b, 12.0 / 16.0);
    }

    #[test]
    fn default_shingle_is_the_scans() {
        assert_eq!(cfg().shingle, crate::Config::default().shingle());
        let a = "one two three four five six seven eight nine ten eleven twelve";
        let b = "one two three four five six seven eight nine ten eleven twelve x y z w";
        let e = explain(a, b, &cfg());
        // 9 shared 4-shingles of 13.
        assert!((e.jaccard - 9.0 / 13.0).abs() < 1e-12);
        let s = crate::Engine::new(crate::Config::default()).compare(a, b);
        assert_eq!((e.jaccard, e.containment), (s.jaccard, s.containment));
    }

    #[test]
    fn boilerplate_cut_changes_the_scores_not_the_passages() {
        let a = "one two three four five six seven eight nine ten eleven twelve";
        let b = "one two three four five six seven eight nine ten eleven twelve x y z w";
        let ta = tokenize(a);
        let mut cut: Vec<u32> = shingle_set(&ta[..5], 4).iter().map(|&h| key(h)).collect();
        cut.sort_unstable();
        let plain = explain(a, b, &cfg());
        let e = explain_with_cut(a, b, &cfg(), &cut);
        assert_eq!(e.passages, plain.passages);
        assert!(e.boilerplate_cut);
        // 2 of the 9 shared shingles are cut: 7 of 11 remain.
        assert!((e.jaccard - 7.0 / 11.0).abs() < 1e-12, "{}", e.jaccard);
    }

    /// The texts of each passage's edits, as (A words, B words).
    fn edits<'t>(a: &'t str, b: &'t str, e: &Explanation) -> Vec<(&'t str, &'t str)> {
        e.passages
            .iter()
            .flat_map(|p| &p.edits)
            .map(|d| (&a[d.a_start..d.a_end], &b[d.b_start..d.b_end]))
            .collect()
    }

    #[test]
    fn edits_inside_a_passage_are_reported() {
        let head = "the company reported record sales of";
        let tail = "billion yuan in the first half of the year, up sharply";
        let a = format!(
            "{head} 323 {tail} as 34 per cent of all new buyers chose it, the chief \
             executive said in an interview on Monday in Beijing."
        );
        let b = format!(
            "{head} 523 {tail} as 34% of all new buyers chose it, the chief \
             executive said on Monday in Beijing."
        );
        let e = explain(&a, &b, &cfg());
        assert_eq!(e.passages.len(), 1, "{e:?}");
        assert_eq!(
            edits(&a, &b, &e),
            [("323", "523"), ("per cent", ""), ("in an interview", "")]
        );
        // "per cent" is one word (tokenizer version 2).
        assert_eq!(e.edited_words, 1 + 1 + 3);
        assert_eq!(e.edits(), 3);
        let p = &e.passages[0];
        // A deletion sits at the end of the word before it in B.
        assert_eq!(p.edits[1].b_start, b.find("34%").unwrap() + 2);
        assert_eq!(p.edits[1].b_start, p.edits[1].b_end);
        // Swapped, a deletion becomes an insertion.
        let f = explain(&b, &a, &cfg());
        assert_eq!(
            edits(&b, &a, &f),
            [("523", "323"), ("", "per cent"), ("", "in an interview")]
        );
        // Case and punctuation are no edit.
        let g = explain(&a, &a.to_uppercase().replace(',', ";"), &cfg());
        assert_eq!((g.edits(), g.edited_words), (0, 0));
    }

    #[test]
    fn words_shared_inside_a_gap_are_not_edited() {
        let cfg = AlignConfig {
            max_gap: 5,
            ..cfg()
        };
        let head = "alpha beta gamma delta epsilon";
        let tail = "zeta eta theta iota kappa";
        let a = format!("{head} x1 same x2 {tail}");
        let b = format!("{head} y1 same y2 y3 {tail}");
        let e = explain(&a, &b, &cfg);
        assert_eq!(e.passages.len(), 1);
        assert_eq!(edits(&a, &b, &e), [("x1", "y1"), ("x2", "y2 y3")]);
        assert_eq!(e.edited_words, 1 + 2);
        // Of two ways to match one word, B's words are passed over first.
        let a = format!("{head} p q {tail}");
        let b = format!("{head} q p {tail}");
        let e = explain(&a, &b, &cfg);
        assert_eq!(edits(&a, &b, &e), [("", "q"), ("q", "")]);
        let a = format!("{head} z z y {tail}");
        let b = format!("{head} y y y x {tail}");
        let e = explain(&a, &b, &cfg);
        assert_eq!(edits(&a, &b, &e), [("z z", "y y"), ("", "x")]);
    }

    #[test]
    fn tiles_that_meet_make_no_edit() {
        // Two tiles adjacent on both sides: "a b c d" is taken by a longer
        // run elsewhere first, then the rest of the run joins it.
        let e = explain("a b c d e f g h", "a b c d e f g h", &cfg());
        assert_eq!(e.passages.len(), 1);
        assert!(e.passages[0].edits.is_empty());
    }

    #[test]
    fn zero_config_values_do_not_panic() {
        let zero = AlignConfig {
            min_match: 0,
            max_gap: 0,
            shingle: 0,
        };
        assert!(zero.validate().is_err());
        let e = explain("a b c", "c b a", &zero);
        assert_eq!(e.coverage_a, 1.0);
    }

    #[test]
    fn deterministic() {
        let a = "x y z x y z x y z a b c x y z";
        let b = "a b c x y z x y z x y z";
        let cfg = AlignConfig {
            min_match: 2,
            ..cfg()
        };
        let e = explain(a, b, &cfg);
        for _ in 0..10 {
            assert_eq!(explain(a, b, &cfg), e);
        }
    }
}
