//! The digest rule (issue 26, class 2): a live-update page that pastes a
//! story is not a copy of it.
//!
//! "The Latest" pages and live blogs paste a whole wire story among many
//! other timed items. On the shingle sets alone such a page is the same
//! shape as a truncated copy of a long story: the smaller document S sits
//! inside the larger L, with a Jaccard of 0.1-0.35, and the set rule accepts
//! the pair by containment. What tells them apart is in L's text: in a
//! digest the shared story sits **in the middle** (other text before and
//! after it), and L holds several **foreign blocks**, items about other
//! things.
//!
//! A document's **block summary** ([`summary_into`]) describes its
//! blank-line blocks in text order: each block's number of shingles, a
//! small sample of its shingle keys (the [`SAMPLES`] smallest distinct
//! ones) and its distinct long words (16-bit hashes). It is kept only for a document that could be an L: one with at
//! least [`MIN_BLOCKS`] blocks of [`MIN_BLOCK_SHINGLES`] shingles or more;
//! other documents have none (and are never refused as the L of a pair).
//! The summary travels with the document's figures ([`crate::figures`]),
//! as entries after them, so every surface that carries figures (a scan,
//! the stages, `explain`, the index) carries it too.
//!
//! The rule ([`counts`], applied by [`crate::figures::judge`]), for a pair
//! the set rule accepts by containment alone (Jaccard under the threshold),
//! with L the document of the larger cut set: a sampled key of an L block
//! is *boilerplate* when it is not in L's cut set, and *in S* when it is in
//! S's cut set; a block's non-boilerplate shingles are estimated from its
//! samples. A block with a sampled key in S is *touched*; the words of the
//! touched blocks stand for S's words. A touched block of at least
//! [`MIN_BLOCK_SHINGLES`] non-boilerplate shingles is **shared** (it marks
//! where the story lies); an untouched block of at least
//! [`MIN_BLOCK_SHINGLES`] non-boilerplate shingles is **foreign** when fewer
//! than a quarter of its long words (of [`MIN_WORD_CHARS`] letters or more)
//! are among S's. The pair is **refused** when at least [`MIN_MIDDLE`]
//! non-boilerplate shingles of L come before its first shared block and as
//! many after its last, and L has at least [`MIN_FOREIGN`] foreign blocks.
//! It only ever refuses a pair the set rule accepts (and the figures rule
//! does not refuse); a refused pair scores containment 0 in the linkage
//! guard, as a
//! pair the figures rule refuses (`docs/ACCURACY.md`, "The digest rule").

use crate::figures::{split, CutSet, SUMMARY_MARK};

/// Non-boilerplate shingles L needs before its first shared block and
/// after its last.
pub const MIN_MIDDLE: usize = 40;

/// Foreign blocks L needs.
pub const MIN_FOREIGN: usize = 4;

/// Shingles a block needs to count as foreign (non-boilerplate ones, at
/// judge time), and, counted raw, for a document to keep a summary.
pub const MIN_BLOCK_SHINGLES: usize = 10;

/// Blocks of [`MIN_BLOCK_SHINGLES`] shingles or more a document needs to
/// keep a summary: the foreign blocks and a shared one.
pub const MIN_BLOCKS: usize = MIN_FOREIGN + 1;

/// Sampled shingle keys per block (its smallest distinct keys).
pub const SAMPLES: usize = 8;

/// Byte ranges of the blank-line blocks of `text` holding a non-blank
/// byte, appended to `out` (cleared first).
fn blocks_into(text: &[u8], out: &mut Vec<(usize, usize)>) {
    out.clear();
    let mut start = 0;
    let mut i = 0;
    let mut content = false;
    while i < text.len() {
        let b = text[i];
        if b == b'\n' {
            // A blank line: a newline, then only spaces, tabs or
            // carriage returns, then another newline.
            let mut j = i + 1;
            while j < text.len() && matches!(text[j], b' ' | b'\t' | b'\r') {
                j += 1;
            }
            if j < text.len() && text[j] == b'\n' {
                if content {
                    out.push((start, i));
                }
                content = false;
                // Further blank lines belong to the same break.
                while j < text.len() && matches!(text[j], b' ' | b'\t' | b'\r' | b'\n') {
                    j += 1;
                }
                start = j;
                i = j;
                continue;
            }
        } else if !b.is_ascii_whitespace() {
            content = true;
        }
        i += 1;
    }
    if content {
        out.push((start, text.len()));
    }
}

thread_local! {
    static SCRATCH: std::cell::RefCell<Scratch> = std::cell::RefCell::new(Scratch::default());
}

/// Per-thread buffers of [`summary_into`].
#[derive(Default)]
struct Scratch {
    blocks: Vec<(usize, usize)>,
    tokens: Vec<crate::tokenize::Token>,
    shingles: Vec<u64>,
    keys: Vec<u32>,
    words: Vec<u16>,
}

/// Letters a word needs to be compared between blocks (shorter words are
/// the function words every block shares).
pub const MIN_WORD_CHARS: usize = 5;

/// The 16-bit hash of a word (from its token hash) in a summary.
fn word_hash(h: u64) -> u16 {
    (h >> 48) as u16
}

/// Appends the block summary of `text` (shingles of `k` words, tokenizer
/// `version`) to a document's figures `out`: nothing when the document
/// could not be the larger side of a refused pair (fewer than
/// [`MIN_BLOCKS`] blank-line blocks of [`MIN_BLOCK_SHINGLES`] words), else
/// the blocks' entries and a closing mark ([`crate::figures::split`] reads
/// them back). Each block with a shingle gives a header entry (its shingle
/// count in the high half, its number of samples in the low half), then
/// its samples, two keys an entry (low half first).
pub fn summary_into(text: &str, k: usize, version: u32, out: &mut Vec<u64>) {
    SCRATCH.with(|s| {
        let s = &mut *s.borrow_mut();
        blocks_into(text.as_bytes(), &mut s.blocks);
        if s.blocks.len() < MIN_BLOCKS {
            return;
        }
        // A cheap screen before tokenizing: blocks of enough words, a word
        // being at least a byte and a separator.
        let roomy = s
            .blocks
            .iter()
            .filter(|&&(a, b)| b - a >= 2 * MIN_BLOCK_SHINGLES - 1)
            .count();
        if roomy < MIN_BLOCKS {
            return;
        }
        crate::tokenize::tokenize_into_version(text, &mut s.tokens, version);
        crate::shingle::shingles_into(&s.tokens, k, &mut s.shingles);
        // Shingle `i` starts at token `i` (a document of fewer than `k`
        // words has one shingle, at its first word).
        // Each block's tokens `t0..t1`; its shingles are those starting at
        // them (`t0..t1.min(shingles)`).
        let mut ranges: Vec<(usize, usize)> = Vec::with_capacity(s.blocks.len());
        let mut t = 0;
        for &(_, end) in &s.blocks {
            let first = t;
            while t < s.tokens.len() && s.tokens[t].start < end {
                t += 1;
            }
            if t.min(s.shingles.len()) > first {
                ranges.push((first, t));
            }
        }
        let shingles = |(a, b): (usize, usize)| b.min(s.shingles.len()) - a;
        if ranges
            .iter()
            .filter(|&&r| shingles(r) >= MIN_BLOCK_SHINGLES)
            .count()
            < MIN_BLOCKS
        {
            return;
        }
        let at = out.len();
        for &(a, b) in &ranges {
            let n_sh = shingles((a, b));
            s.keys.clear();
            s.keys.extend(
                s.shingles[a..a + n_sh]
                    .iter()
                    .map(|&h| crate::shingle::key(h)),
            );
            s.keys.sort_unstable();
            s.keys.dedup();
            let n = s.keys.len().min(SAMPLES);
            // The block's distinct long words, 16-bit hashes.
            s.words.clear();
            s.words.extend(
                s.tokens[a..b]
                    .iter()
                    .filter(|t| {
                        text[t.start..t.end]
                            .chars()
                            .nth(MIN_WORD_CHARS - 1)
                            .is_some()
                    })
                    .map(|t| word_hash(t.hash)),
            );
            s.words.sort_unstable();
            s.words.dedup();
            let w = s.words.len().min(0xFF_FFFF);
            out.push((n_sh as u64) << 32 | (w as u64) << 8 | n as u64);
            for pair in s.keys[..n].chunks(2) {
                let hi = pair.get(1).map_or(0, |&k| k as u64);
                out.push(hi << 32 | pair[0] as u64);
            }
            for four in s.words[..w].chunks(4) {
                let mut e = 0u64;
                for (i, &h) in four.iter().enumerate() {
                    e |= (h as u64) << (16 * i);
                }
                out.push(e);
            }
        }
        let n = out.len() - at;
        out.push(SUMMARY_MARK | n as u64);
    })
}

/// One block of a summary: its shingle count, sampled keys and words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Block<'a> {
    /// Shingles starting in the block.
    pub shingles: usize,
    /// Its sampled keys (the first `samples`).
    pub keys: [u32; SAMPLES],
    /// Number of sampled keys.
    pub samples: usize,
    /// Its distinct words of [`MIN_WORD_CHARS`] letters or more, 16-bit
    /// hashes, sorted, four an entry (the last entry padded with zeros).
    words: &'a [u64],
    /// Number of words.
    pub word_count: usize,
}

impl Block<'_> {
    /// The block's word hashes, ascending.
    pub fn words(&self) -> impl Iterator<Item = u16> + '_ {
        self.words
            .iter()
            .flat_map(|&e| (0..4).map(move |i| (e >> (16 * i)) as u16))
            .take(self.word_count)
    }
}

/// The blocks of a summary (the part [`crate::figures::split`] gives), in
/// text order; a malformed summary ends the walk.
pub fn blocks(summary: &[u64]) -> impl Iterator<Item = Block<'_>> + '_ {
    let mut i = 0;
    std::iter::from_fn(move || {
        let &h = summary.get(i)?;
        let n = ((h & 0xFF) as usize).min(SAMPLES);
        let w = ((h >> 8) & 0xFF_FFFF) as usize;
        let (kn, wn) = (n.div_ceil(2), w.div_ceil(4));
        let body = summary.get(i + 1..i + 1 + kn + wn)?;
        i += 1 + kn + wn;
        let mut keys = [0u32; SAMPLES];
        for (j, k) in keys.iter_mut().take(n).enumerate() {
            let e = body[j / 2];
            *k = if j % 2 == 0 {
                e as u32
            } else {
                (e >> 32) as u32
            };
        }
        Some(Block {
            shingles: (h >> 32) as usize,
            keys,
            samples: n,
            words: &body[kn..],
            word_count: w,
        })
    })
}

/// What the rule found in the larger document of a pair (for `explain`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct DigestCounts {
    /// Which side is the larger document L: `"a"` or `"b"`.
    pub larger: &'static str,
    /// L's non-boilerplate shingles before its first shared block.
    pub before: usize,
    /// L's non-boilerplate shingles after its last shared block.
    pub after: usize,
    /// L's foreign blocks.
    pub foreign: usize,
}

impl DigestCounts {
    /// Whether these counts refuse the pair.
    pub fn refuses(&self) -> bool {
        self.before >= MIN_MIDDLE && self.after >= MIN_MIDDLE && self.foreign >= MIN_FOREIGN
    }
}

/// The rule's counts for a pair with similarity `s` (of cut sets), entries
/// (figures and summary) `a` and `b`, and cut sets `sets`: `None` when the
/// rule does not apply (the Jaccard reaches `threshold`, the set rule's
/// Jaccard threshold, so the pair is not accepted by containment alone; or
/// L has no summary; or a side is not known).
pub fn counts(
    threshold: f64,
    s: &crate::verify::Similarity,
    a: Option<&[u64]>,
    b: Option<&[u64]>,
    sets: Option<(CutSet<'_>, CutSet<'_>)>,
) -> Option<DigestCounts> {
    if s.jaccard >= threshold {
        return None;
    }
    let (a, b) = (a?, b?);
    // L: the larger cut set (ties: the first).
    let (larger, entries, l_set, s_set) = if s.size_a >= s.size_b {
        ("a", a, 0, 1)
    } else {
        ("b", b, 1, 0)
    };
    let summary = split(entries).1?;
    let sets = sets?;
    let pick = |i: usize| if i == 0 { sets.0 } else { sets.1 };
    let (l_cut, s_cut) = (pick(l_set), pick(s_set));
    // Per block: non-boilerplate shingles (estimated from its samples),
    // and whether it marks where the shared story lies.
    let blocks: Vec<Block<'_>> = blocks(summary).collect();
    let mut rows: Vec<(usize, bool, bool)> = Vec::with_capacity(blocks.len());
    let mut touched: Vec<bool> = Vec::with_capacity(blocks.len());
    for bl in &blocks {
        let keys = &bl.keys[..bl.samples];
        let kept = keys.iter().filter(|&&k| l_cut.contains(k)).count();
        let in_s = keys
            .iter()
            .filter(|&&k| l_cut.contains(k) && s_cut.contains(k))
            .count();
        let own = (bl.shingles * kept + bl.samples / 2)
            .checked_div(bl.samples)
            .unwrap_or(0);
        // Shared: a block of enough shingles with a sampled key in S (a
        // small one, a heading or a time stamp, can match by chance; a
        // story's heading often has text of the page around it).
        let shared = own >= MIN_BLOCK_SHINGLES && in_s >= 1;
        rows.push((own, shared, false));
        touched.push(in_s > 0);
    }
    // S's words, as far as L holds them: the words of L's blocks that
    // share a sampled key with S.
    let mut vocab: Vec<u16> = blocks
        .iter()
        .zip(&touched)
        .filter(|(_, &t)| t)
        .flat_map(|(b, _)| b.words())
        .collect();
    vocab.sort_unstable();
    vocab.dedup();
    // Foreign: a block of L's own of enough shingles, under a quarter of
    // whose words S holds.
    for ((bl, r), &t) in blocks.iter().zip(rows.iter_mut()).zip(&touched) {
        if t || r.0 < MIN_BLOCK_SHINGLES || bl.word_count == 0 {
            continue;
        }
        let known = bl
            .words()
            .filter(|w| vocab.binary_search(w).is_ok())
            .count();
        r.2 = 4 * known < bl.word_count;
    }
    let first = rows.iter().position(|r| r.1);
    let last = rows.iter().rposition(|r| r.1);
    let (before, after) = match (first, last) {
        (Some(f), Some(l)) => (
            rows[..f].iter().map(|r| r.0).sum(),
            rows[l + 1..].iter().map(|r| r.0).sum(),
        ),
        _ => (0, 0),
    };
    Some(DigestCounts {
        larger,
        before,
        after,
        foreign: rows.iter().filter(|r| r.2).count(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::figures::entries_of;

    fn para(seed: usize, words: usize) -> String {
        (0..words)
            .map(|i| format!("w{}x{}", seed, i))
            .collect::<Vec<_>>()
            .join(" ")
    }

    #[test]
    fn blocks_are_blank_line_separated() {
        let mut out = Vec::new();
        blocks_into(b"a b\nc\n\n  \n\nd\n \ne", &mut out);
        assert_eq!(out.len(), 3);
        blocks_into(b"\n\n", &mut out);
        assert!(out.is_empty());
    }

    #[test]
    fn short_documents_keep_no_summary() {
        let text = [para(1, 30), para(2, 30), para(3, 30)].join("\n\n");
        let e = entries_of(&text, 4);
        assert!(split(&e).1.is_none());
        assert_eq!(e, crate::figures::figures_of(&text));
    }

    #[test]
    fn summary_round_trips() {
        let text: Vec<String> = (0..6).map(|i| para(i, 12 + i)).collect();
        let text = text.join("\n\n");
        let e = entries_of(&text, 4);
        let (figs, summary) = split(&e);
        assert!(figs.is_empty());
        let bl: Vec<Block> = blocks(summary.unwrap()).collect();
        assert_eq!(bl.len(), 6);
        // Every word starts a shingle but the last three.
        let n: usize = bl.iter().map(|b| b.shingles).sum();
        assert_eq!(n, (0..6).map(|i| 12 + i).sum::<usize>() - 3);
        assert!(bl.iter().all(|b| b.samples == SAMPLES));
    }

    /// A digest pasting a story among foreign items is refused; one
    /// pasting it first, or a long version of the story (blocks of its own
    /// words around it), is not.
    #[test]
    fn refuses_a_digest_not_a_copy() {
        let paras: Vec<String> = (0..3).map(|i| para(100 + i, 40)).collect();
        let story = paras.join("\n\n");
        let mut items: Vec<String> = (0..8).map(|i| para(i, 25)).collect();
        items.insert(4, story.clone());
        let digest = items.join("\n\n");
        items.remove(4);
        items.insert(0, story.clone());
        let first = items.join("\n\n");
        // The story's words in other orders: no shared shingle.
        let reworded: Vec<String> = (0..8)
            .map(|i| {
                let mut w: Vec<&str> = paras[i % 3].split(' ').collect();
                w.rotate_left(7 * (i + 1) % 40);
                w.reverse();
                w.join(" ")
            })
            .collect();
        let long = [&reworded[..4], std::slice::from_ref(&story), &reworded[4..]]
            .concat()
            .join("\n\n");
        let cfg = crate::Config::default();
        let judge = |l: &str, s: &str| {
            let (_, ls) = crate::shingle::text_keys(l, 4, |_| {});
            let (_, ss) = crate::shingle::text_keys(s, 4, |_| {});
            let sim = crate::verify::similarity(&ls, &ss);
            assert!(cfg.is_duplicate(&sim), "{sim:?}");
            let (el, es) = (entries_of(l, 4), entries_of(s, 4));
            let sets = (CutSet::new(&ls, &[]), CutSet::new(&ss, &[]));
            counts(cfg.threshold(), &sim, Some(&el), Some(&es), Some(sets)).unwrap()
        };
        let c = judge(&digest, &story);
        assert!(c.refuses(), "{c:?}");
        assert_eq!((c.larger, c.foreign), ("a", 8));
        let c = judge(&first, &story);
        assert!(!c.refuses() && c.before == 0, "{c:?}");
        let c = judge(&long, &story);
        assert!(!c.refuses() && c.foreign == 0, "{c:?}");
        // The whole digest as boilerplate: nothing is foreign.
        let (_, ls) = crate::shingle::text_keys(&digest, 4, |_| {});
        let (_, ss) = crate::shingle::text_keys(&story, 4, |_| {});
        let sim = crate::verify::similarity(&ls, &ss);
        let el = entries_of(&digest, 4);
        let c = counts(
            cfg.threshold(),
            &sim,
            Some(&el),
            Some(&[]),
            Some((CutSet::new(&ls, &ls), CutSet::new(&ss, &[]))),
        );
        assert!(!c.unwrap().refuses());
        // Not known: never refused.
        assert!(counts(cfg.threshold(), &sim, Some(&el), None, None).is_none());
    }
}
