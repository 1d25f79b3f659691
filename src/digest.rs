//! The digest rule (issue 26, class 2): a live-update page that pastes a
//! story is not a copy of it.
//!
//! "The Latest" pages and live blogs paste a whole wire story among many
//! other timed items. On the shingle sets alone such a page is the same
//! shape as a truncated copy of a long story: the smaller document S sits
//! inside the larger L, with a Jaccard of 0.1-0.35, and the set rule accepts
//! the pair by containment. What tells them apart is in L's text: L
//! holds several **foreign blocks**, items about other things.
//!
//! What tells a live page from a copy or an update version (one story
//! with a few added paragraphs, possibly about other things) is that its
//! other items are **timed**: each starts with a clock time ([`clock`]).
//! Only a document with at least [`MIN_FOREIGN`] timed blocks can be the
//! L of a refused pair, and only such a document gets a summary; one with
//! fewer timed blocks (a single timed item) keeps an empty one, which marks it as a live page when it is the S of a pair: a
//! corpus without live pages pays one pass over each document's bytes and
//! keeps nothing. A block ends at a blank line, or before a line holding a
//! clock time alone (live pages scraped with one paragraph a line).
//!
//! A document's **block summary** ([`summary_into`]) describes its
//! blank-line blocks in text order: each block's number of shingles,
//! whether it is timed, a small sample of its shingle keys (the
//! [`SAMPLES`] smallest distinct ones) and its distinct long words (16-bit
//! hashes). It is kept only for a document that could be an L: one with
//! at least [`MIN_BLOCKS`] blocks of [`MIN_BLOCK_SHINGLES`] shingles or
//! more, [`MIN_FOREIGN`] of them timed; other documents have none (and
//! are never refused as the L of a pair).
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
//! where the story lies); an untouched timed block of at least
//! [`MIN_BLOCK_SHINGLES`] non-boilerplate shingles is **foreign** when fewer
//! than a quarter of its long words (of [`MIN_WORD_CHARS`] letters or more)
//! are among S's. The pair is **refused** when L has a shared block and
//! at least [`MIN_FOREIGN`] foreign blocks, wherever the story sits (the
//! first build, h34c, also asked for 40 non-boilerplate shingles before the
//! story and after it, to keep copies with added paragraphs; the timed
//! blocks do that now, and a live page pasting the story first is still a
//! live page).
//! It only ever refuses a pair the set rule accepts (and the figures rule
//! does not refuse); a refused pair scores containment 0 in the linkage
//! guard, as a
//! pair the figures rule refuses (`docs/ACCURACY.md`, "The digest rule").

use crate::figures::{split, CutSet, SUMMARY_MARK};

/// Foreign blocks L needs. Two: a live page is refused as a copy of a
/// story it holds from its third item on (four, h35c's first value, let
/// copies of early versions of a live file, three items long, join the
/// stories they carry; Helsinki precision 0.914 -> 0.966 with two, no
/// other set changed: docs/ACCURACY.md).
pub const MIN_FOREIGN: usize = 2;

/// Shingles a block needs to count as foreign (non-boilerplate ones, at
/// judge time), and, counted raw, for a document to keep a summary.
pub const MIN_BLOCK_SHINGLES: usize = 10;

/// Blocks of [`MIN_BLOCK_SHINGLES`] shingles or more a document needs to
/// keep a summary: the foreign blocks and a shared one.
pub const MIN_BLOCKS: usize = MIN_FOREIGN + 1;

/// Sampled shingle keys per block (its smallest distinct keys).
pub const SAMPLES: usize = 8;

/// Byte ranges of the blocks of `text` holding a non-blank byte, appended
/// to `out` (cleared first): each from its first non-blank byte to the end
/// of its last non-blank line. A block ends at a blank line (one holding
/// only ASCII white space) and before a line holding a clock time alone
/// ([`clock`]): a live page that puts each item's paragraphs on lines of
/// their own, with no blank line between items, stamps each item with a
/// time on a line of its own (AP's "The Latest" pages as scraped), so the
/// time line starts the item's block.
fn blocks_into(text: &[u8], out: &mut Vec<(usize, usize)>) {
    out.clear();
    let mut block: Option<usize> = None;
    let (mut line, mut last_end) = (0, 0);
    for nl in memchr::memchr_iter(b'\n', text).chain(std::iter::once(text.len())) {
        match text[line..nl].iter().position(|b| !b.is_ascii_whitespace()) {
            Some(p) => {
                // (A line that does not start with a digit holds no time:
                // most lines stop at that test.)
                if block.is_some()
                    && text[line + p].is_ascii_digit()
                    && clock(&text[line + p..nl]) == (true, true)
                {
                    if let Some(start) = block.take() {
                        out.push((start, last_end));
                    }
                }
                block.get_or_insert(line + p);
                last_end = nl;
            }
            None => {
                if let Some(start) = block.take() {
                    out.push((start, last_end));
                }
            }
        }
        line = nl + 1;
    }
    if let Some(start) = block {
        out.push((start, last_end));
    }
}

/// Time zones a clock time may name after it (`10.45 GMT`).
pub const ZONES: [&[u8]; 20] = [
    b"GMT", b"UTC", b"BST", b"CET", b"CEST", b"EET", b"ET", b"EST", b"EDT", b"CT", b"CST", b"CDT",
    b"MT", b"MST", b"MDT", b"PT", b"PST", b"PDT", b"JST", b"AEST",
];

/// Whether a block whose first line is `line` (from its first non-blank
/// byte) is **timed**: the line starts with a clock time, as a live page
/// stamps each item (`6:00 a.m.`, `14:32`, `10.45am`, `9.05 GMT -`).
/// Returns (timed, the line holds the time alone); a time alone on its
/// line in a block of its own stamps the next block.
///
/// A clock time is an hour (0-23, one or two digits), `:` or `.`, two
/// digits of minutes (0-59), not followed by another digit or decimal;
/// then optionally `am`/`pm` (`a.m.`, `p.m.`, any case) and a time zone
/// of [`ZONES`]. A time with `.` must have one of those, end its line or be
/// followed by a separator (`-`, `:`, `|`, a dash), so a figure such as
/// `1.23 dlrs` does not count.
pub fn clock(line: &[u8]) -> (bool, bool) {
    let line = match memchr::memchr(b'\n', line) {
        Some(n) => &line[..n],
        None => line,
    };
    let digit = |i: usize| {
        line.get(i)
            .filter(|b| b.is_ascii_digit())
            .map(|b| (b - b'0') as u32)
    };
    let (hour, h) = match (digit(0), digit(1)) {
        (Some(a), Some(b)) => (10 * a + b, 2),
        (Some(a), None) => (a, 1),
        _ => return (false, false),
    };
    let sep = line.get(h).copied();
    let minute = match (digit(h + 1), digit(h + 2)) {
        (Some(a), Some(b)) => 10 * a + b,
        _ => return (false, false),
    };
    if hour > 23 || minute > 59 || !matches!(sep, Some(b':' | b'.')) {
        return (false, false);
    }
    let mut i = h + 3;
    if digit(i).is_some()
        || (matches!(line.get(i), Some(b'.' | b':' | b',')) && digit(i + 1).is_some())
    {
        return (false, false);
    }
    let skip = |mut i: usize| {
        while matches!(line.get(i), Some(b' ' | b'\t')) {
            i += 1;
        }
        i
    };
    let letter = |i: usize| line.get(i).is_some_and(|b| b.is_ascii_alphabetic());
    let mut qualified = sep == Some(b':');
    let j = skip(i);
    let lower: Vec<u8> = line[j..line.len().min(j + 4)]
        .iter()
        .map(|b| b.to_ascii_lowercase())
        .collect();
    for form in [&b"a.m."[..], b"p.m.", b"am", b"pm"] {
        if lower.starts_with(form) && !letter(j + form.len()) {
            (i, qualified) = (j + form.len(), true);
            break;
        }
    }
    let j = skip(i);
    for zone in ZONES {
        if line[j..].starts_with(zone) && !letter(j + zone.len()) {
            (i, qualified) = (j + zone.len(), true);
            break;
        }
    }
    let rest = line[i..].trim_ascii();
    if rest.is_empty() {
        return (true, true);
    }
    let separated = matches!(rest[0], b'-' | b':' | b'|')
        || rest.starts_with("\u{2013}".as_bytes())
        || rest.starts_with("\u{2014}".as_bytes());
    (qualified || separated, false)
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
    timed: Vec<bool>,
}

/// Letters a word needs to be compared between blocks (shorter words are
/// the function words every block shares).
pub const MIN_WORD_CHARS: usize = 5;

/// The 16-bit hash of a word (from its token hash) in a summary.
fn word_hash(h: u64) -> u16 {
    (h >> 48) as u16
}

/// Appends the block summary of `text` (shingles of `k` words, tokenizer
/// `version`) to a document's figures `out`: nothing when it has no timed
/// block ([`clock`]); only the closing mark (an empty summary: a live
/// page, but one that could not be the larger side of a refused pair) when
/// it has fewer than [`MIN_FOREIGN`] timed blocks, or fewer than
/// [`MIN_BLOCKS`] blocks of [`MIN_BLOCK_SHINGLES`] words, [`MIN_FOREIGN`]
/// of them timed; else the blocks' entries and the closing mark
/// ([`crate::figures::split`] reads them back). Each block with a shingle
/// gives a header entry (its shingle count in the high half; whether it
/// is timed in bit 31, its number of words in bits 8-30 and of samples in
/// bits 0-7), then its samples, two keys an entry (low half first), then
/// its words, four an entry.
///
/// Only a document with timed blocks is tokenized here (a second time in
/// a scan): the screen before is one pass over its bytes, so a corpus
/// without live pages pays for no summary and keeps none.
pub fn summary_into(text: &str, k: usize, version: u32, out: &mut Vec<u64>) {
    SCRATCH.with(|s| {
        let s = &mut *s.borrow_mut();
        let bytes = text.as_bytes();
        blocks_into(bytes, &mut s.blocks);
        // Which blocks are timed: a clock time starting the block, or
        // standing alone in the block before.
        s.timed.clear();
        let mut stamps = false;
        for &(a, b) in &s.blocks {
            let (timed, alone) = clock(&bytes[a..b]);
            s.timed.push(timed || stamps);
            stamps = timed && alone && memchr::memchr(b'\n', &bytes[a..b]).is_none();
        }
        let timed = s.timed.iter().filter(|&&t| t).count();
        if timed == 0 {
            return;
        }
        // A page with a timed item (or timed blocks too small to count)
        // keeps an empty summary: it cannot be the L of a refused pair,
        // but as the S of one it is a live page.
        let at = out.len();
        let empty = |out: &mut Vec<u64>| {
            out.truncate(at);
            out.push(SUMMARY_MARK);
        };
        if s.blocks.len() < MIN_BLOCKS || timed < MIN_FOREIGN {
            return empty(out);
        }
        crate::tokenize::tokenize_into_version(text, &mut s.tokens, version);
        crate::shingle::shingles_into(&s.tokens, k, &mut s.shingles);
        // Shingle `i` starts at token `i` (a document of fewer than `k`
        // words has one shingle, at its first word).
        // Each block's tokens `t0..t1`; its shingles are those starting at
        // them (`t0..t1.min(shingles)`).
        let mut ranges: Vec<(usize, usize, bool)> = Vec::with_capacity(s.blocks.len());
        let mut t = 0;
        for (&(_, end), &timed) in s.blocks.iter().zip(&s.timed) {
            let first = t;
            while t < s.tokens.len() && s.tokens[t].start < end {
                t += 1;
            }
            if t.min(s.shingles.len()) > first {
                ranges.push((first, t, timed));
            }
        }
        let shingles = |a: usize, b: usize| b.min(s.shingles.len()) - a;
        let big = |timed_only: bool| {
            ranges
                .iter()
                .filter(|&&(a, b, t)| (t || !timed_only) && shingles(a, b) >= MIN_BLOCK_SHINGLES)
                .count()
        };
        if big(false) < MIN_BLOCKS || big(true) < MIN_FOREIGN {
            return empty(out);
        }
        for &(a, b, timed) in &ranges {
            let n_sh = shingles(a, b);
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
            let w = s.words.len().min(MAX_WORDS);
            out.push((n_sh as u64) << 32 | (timed as u64) << 31 | (w as u64) << 8 | n as u64);
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

/// The most words a block's summary lists (bits 8-30 of its header).
const MAX_WORDS: usize = (1 << 23) - 1;

/// One block of a summary: its shingle count, sampled keys and words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Block<'a> {
    /// Shingles starting in the block.
    pub shingles: usize,
    /// Its sampled keys (the first `samples`).
    pub keys: [u32; SAMPLES],
    /// Number of sampled keys.
    pub samples: usize,
    /// Whether the block is timed ([`clock`]): an item of a live page.
    pub timed: bool,
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
        let w = ((h >> 8) as usize) & MAX_WORDS;
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
            timed: h >> 31 & 1 == 1,
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
    /// L's shared blocks.
    pub shared: usize,
    /// L's foreign blocks.
    pub foreign: usize,
}

impl DigestCounts {
    /// Whether these counts refuse the pair.
    pub fn refuses(&self) -> bool {
        self.shared > 0 && self.foreign >= MIN_FOREIGN
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
    let (larger, entries, s_entries, l_set, s_set) = if s.size_a >= s.size_b {
        ("a", a, b, 0, 1)
    } else {
        ("b", b, a, 1, 0)
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
    // Foreign: a timed block of L's own of enough shingles. When S is a
    // live page too (it has a summary), only one under a quarter of whose
    // words S holds: a later version of a live page adds items about the
    // same event and stays with the earlier one. A story that is not a
    // live page is not a copy of the live page around it, however close
    // its other items' subject.
    let s_live = split(s_entries).1.is_some();
    for ((bl, r), &t) in blocks.iter().zip(rows.iter_mut()).zip(&touched) {
        if t || !bl.timed || r.0 < MIN_BLOCK_SHINGLES || bl.word_count == 0 {
            continue;
        }
        r.2 = !s_live || {
            let known = bl
                .words()
                .filter(|w| vocab.binary_search(w).is_ok())
                .count();
            4 * known < bl.word_count
        };
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
        shared: rows.iter().filter(|r| r.1).count(),
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
    fn a_time_alone_on_its_line_starts_a_block() {
        let text = b"The Latest (all times local):\n9:50 a.m.\nOne item.\nIts second line.\n\
                     9:45 a.m.\nAnother item.\n10:30 GMT - a time in a line of text\nEnd.";
        let mut out = Vec::new();
        blocks_into(text, &mut out);
        let got: Vec<&[u8]> = out.iter().map(|&(a, b)| &text[a..b]).collect();
        assert_eq!(
            got,
            [
                &b"The Latest (all times local):"[..],
                b"9:50 a.m.\nOne item.\nIts second line.",
                b"9:45 a.m.\nAnother item.\n10:30 GMT - a time in a line of text\nEnd.",
            ]
        );
        // A time alone opening the text starts the first block, as before.
        blocks_into(b"6:00 a.m.\nItem", &mut out);
        assert_eq!(out, [(0, 14)]);
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
        let text: Vec<String> = (0..6)
            .map(|i| format!("{}:15 a.m.\n{}", 6 + i, para(i, 12 + i)))
            .collect();
        let text = text.join("\n\n");
        let e = entries_of(&text, 4);
        let (figs, summary) = split(&e);
        assert!(figs.is_empty());
        let bl: Vec<Block> = blocks(summary.unwrap()).collect();
        assert_eq!(bl.len(), 6);
        // Every word (three a time stamp) starts a shingle but the last three.
        let n: usize = bl.iter().map(|b| b.shingles).sum();
        assert_eq!(n, (0..6).map(|i| 15 + i).sum::<usize>() - 3);
        assert!(bl.iter().all(|b| b.samples == SAMPLES && b.timed));
        // Without the time stamps: no summary.
        let plain: Vec<String> = (0..6).map(|i| para(i, 12 + i)).collect();
        assert!(split(&entries_of(&plain.join("\n\n"), 4)).1.is_none());
    }

    #[test]
    fn clock_times_start_timed_blocks() {
        for line in [
            "6:00 a.m.",
            "10:45",
            "10.45am",
            "9.05 GMT - The minister said",
            "14:32 GMT",
            "11:10 p.m. EDT",
            "7.30",
            "23:59 The vote",
            "8.15 \u{2013} Markets open",
        ] {
            assert!(clock(line.as_bytes()).0, "{line}");
        }
        assert_eq!(clock(b"6:00 a.m.\nHeadline"), (true, true));
        assert_eq!(clock(b"9:05 a.m. Rain"), (true, false));
        for line in [
            "1.23 dlrs vs 1.04 dlrs",
            "1.30 DLRS",
            "24:00",
            "10:75",
            "10:451",
            "10.45.3 percent",
            "3.25,5",
            "Shr 39 cts",
            "At 10:45 a.m.",
            "",
        ] {
            assert!(!clock(line.as_bytes()).0, "{line}");
        }
    }

    /// A digest pasting a story among timed items is refused, wherever
    /// the story sits, and a live page of the story's own updates too; the
    /// same page without time stamps is not, nor a later version of a live
    /// page against an earlier one whose new items share its words.
    #[test]
    fn refuses_a_digest_not_a_copy() {
        let paras: Vec<String> = (0..3).map(|i| para(100 + i, 40)).collect();
        let story = paras.join("\n\n");
        // Timed items: the stamp alone on its line, or in a block of its own.
        let mut items: Vec<String> = (0..8)
            .map(|i| {
                let gap = if i % 2 == 0 { "\n" } else { "\n\n" };
                format!("{}:{:02} a.m.{gap}{}", 6 + i / 2, 7 * i, para(i, 25))
            })
            .collect();
        items.insert(4, story.clone());
        let digest = items.join("\n\n");
        // The same page without time stamps (an update version adding
        // paragraphs of other stories around the one it keeps).
        let untimed = [
            &(0..4).map(|i| para(i, 25)).collect::<Vec<_>>()[..],
            std::slice::from_ref(&story),
            &(4..8).map(|i| para(i, 25)).collect::<Vec<_>>()[..],
        ]
        .concat()
        .join("\n\n");
        items.remove(4);
        items.insert(0, story.clone());
        let first = items.join("\n\n");
        // The story's words in other orders: no shared shingle (a live
        // page of the story's own updates, timed).
        let reworded: Vec<String> = (0..8)
            .map(|i| {
                let mut w: Vec<&str> = paras[i % 3].split(' ').collect();
                w.rotate_left(7 * (i + 1) % 40);
                w.reverse();
                format!("{}:30 p.m.\n{}", 1 + i, w.join(" "))
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
            counts(cfg.threshold(), &sim, Some(&el), Some(&es), Some(sets))
                .unwrap_or_else(|| panic!("{sim:?}"))
        };
        let c = judge(&digest, &story);
        assert!(c.refuses(), "{c:?}");
        assert_eq!((c.larger, c.foreign), ("a", 8));
        // Untimed: no summary, so the rule does not apply.
        let (_, ls) = crate::shingle::text_keys(&untimed, 4, |_| {});
        let (_, ss) = crate::shingle::text_keys(&story, 4, |_| {});
        let sim = crate::verify::similarity(&ls, &ss);
        assert!(cfg.is_duplicate(&sim));
        let (el, es) = (entries_of(&untimed, 4), entries_of(&story, 4));
        let sets = (CutSet::new(&ls, &[]), CutSet::new(&ss, &[]));
        assert!(counts(cfg.threshold(), &sim, Some(&el), Some(&es), Some(sets)).is_none());
        // Pasted first, it is still a live page.
        let c = judge(&first, &story);
        assert!(c.refuses() && c.before == 0, "{c:?}");
        // A live page of the story's own updates is not a copy of the
        // story either (its items are timed, whatever their words)...
        let c = judge(&long, &story);
        assert!(c.refuses() && c.foreign == 8, "{c:?}");
        // ... but a later version of a live page stays with an earlier
        // one (a live page too, here of one timed item, the story: an
        // empty summary), when its new items are about the same story.
        let early = format!("5:00 a.m.\n{story}");
        assert_eq!(split(&entries_of(&early, 4)).1, Some(&[][..]));
        let c = judge(&long, &early);
        assert!(!c.refuses() && c.foreign == 0, "{c:?}");
        // An early live page of three items, the story among them, is no
        // copy of the story either.
        let two: Vec<String> = (0..2)
            .map(|i| format!("{}:00 a.m.\n{}", 9 + i, para(300 + i, 70)))
            .collect();
        let short = [&two[..], std::slice::from_ref(&story)]
            .concat()
            .join("\n\n");
        let c = judge(&short, &story);
        assert!(c.refuses() && c.foreign == 2, "{c:?}");
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
