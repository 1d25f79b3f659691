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
///
/// Version 2 (issue 26): wire abbreviations and their spelled-out forms are
/// one word (see [`normalize_hashes`]).
pub const TOKENIZER_VERSION: u32 = 2;

/// Spelled-out forms of the wire service abbreviations, each hashed as its
/// abbreviation: an outlet that republishes "Net 46 mln dlrs, up 12 pct" as
/// "Net 46 million dollars, up 12 per cent" keeps every shingle of it. The
/// two words `per cent` are one word, `pct`. `cents` is left as it is:
/// on the Reuters wires, `cts`/`cents` made price notices of other days
/// (template siblings, issue 26 class 4) look alike.
const CANONICAL: [(&str, &str); 6] = [
    ("dollars", "dlrs"),
    ("dollar", "dlr"),
    ("million", "mln"),
    ("billion", "bln"),
    ("percent", "pct"),
    ("sterling", "stg"),
];

/// The hashes of [`CANONICAL`] (spelled-out form, abbreviation) and of
/// `per`, with a filter on the top six bits of the spelled-out forms.
struct Canon {
    pairs: [(u64, u64); 6],
    per: u64,
    cent: u64,
    pct: u64,
    filter: u64,
}

fn canon() -> &'static Canon {
    static CANON: std::sync::OnceLock<Canon> = std::sync::OnceLock::new();
    CANON.get_or_init(|| {
        let mut pairs = [(0, 0); 6];
        let mut filter = 0u64;
        for (p, (long, short)) in pairs.iter_mut().zip(CANONICAL) {
            *p = (hash_folded(long.as_bytes()), hash_folded(short.as_bytes()));
            filter |= 1 << (p.0 >> 58);
        }
        let per = hash_folded(b"per");
        filter |= 1 << (per >> 58);
        Canon {
            pairs,
            per,
            cent: hash_folded(b"cent"),
            pct: hash_folded(b"pct"),
            filter,
        }
    })
}

impl Canon {
    /// The abbreviation's hash for a spelled-out form's, else `h`.
    #[inline(always)]
    fn single(&self, h: u64) -> u64 {
        if self.filter >> (h >> 58) & 1 == 0 {
            return h;
        }
        for &(long, short) in &self.pairs {
            if h == long {
                return short;
            }
        }
        h
    }
}

/// A word of the tokenizer's output whose hash can be normalized.
trait Normal: Copy {
    fn hash(&self) -> u64;
    /// This word with hash `h`, reaching to the end of `next`.
    fn with(self, h: u64, next: &Self) -> Self;
}

impl Normal for u64 {
    #[inline(always)]
    fn hash(&self) -> u64 {
        *self
    }
    #[inline(always)]
    fn with(self, h: u64, _: &Self) -> Self {
        h
    }
}

impl Normal for Token {
    #[inline(always)]
    fn hash(&self) -> u64 {
        self.hash
    }
    #[inline(always)]
    fn with(self, h: u64, next: &Self) -> Self {
        Token {
            start: self.start,
            end: next.end,
            hash: h,
        }
    }
}

/// Normalizes the wire abbreviations in place: each spelled-out form of
/// [`CANONICAL`] takes its abbreviation's hash, and `per` followed by
/// `cent` becomes one word hashed as `pct` (a [`Token`] then spans both).
fn normalize<T: Normal>(words: &mut Vec<T>) {
    let c = canon();
    let n = words.len();
    let mut i = 0;
    // Nothing moves until a `per cent` is merged.
    while i < n {
        let h = words[i].hash();
        if c.filter >> (h >> 58) & 1 != 0 {
            if h == c.per && i + 1 < n && words[i + 1].hash() == c.cent {
                break;
            }
            let s = c.single(h);
            if s != h {
                words[i] = words[i].with(s, &words[i]);
            }
        }
        i += 1;
    }
    if i == n {
        return;
    }
    let mut w = i;
    while i < n {
        let h = words[i].hash();
        if h == c.per && i + 1 < n && words[i + 1].hash() == c.cent {
            words[w] = words[i].with(c.pct, &words[i + 1]);
            i += 2;
        } else {
            let s = c.single(h);
            words[w] = words[i].with(s, &words[i]);
            i += 1;
        }
        w += 1;
    }
    words.truncate(w);
}

/// Normalizes word hashes as the tokenizer does ([`TOKENIZER_VERSION`] 2):
/// the spelled-out forms of wire abbreviations ("dollars", "million",
/// "percent", "per cent", ...) hash as the abbreviations ("dlrs", "mln",
/// "pct"). [`tokenize_into`] and [`word_hashes_into`] apply it already.
///
/// ```
/// use neardup::tokenize::{hash_word, normalize_hashes};
/// let mut h = vec![hash_word("per"), hash_word("cent"), hash_word("dollars")];
/// normalize_hashes(&mut h);
/// assert_eq!(h, [hash_word("pct"), hash_word("dlrs")]);
/// ```
pub fn normalize_hashes(hashes: &mut Vec<u64>) {
    normalize(hashes)
}

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

/// Where the tokenizer puts each word it finds: full tokens (offsets and
/// hash) for explanations, or the hashes alone for a scan, which needs
/// nothing else (a third of the bytes written per word).
pub(crate) trait WordSink {
    /// Takes the word `start..end` with its hash.
    fn word(&mut self, start: usize, end: usize, hash: u64);
    /// Takes the word `start..end` of 1 to 16 ASCII bytes, unhashed and
    /// not yet folded: the 16 bytes from its start, little-endian in `lo`
    /// and `hi` (the bytes past `len` may be anything).
    #[inline(always)]
    fn short_word(&mut self, start: usize, end: usize, lo: u64, hi: u64, len: usize) {
        let (lo, hi) = fold_short(lo, hi, len);
        self.word(start, end, crate::xxh3::short(lo, hi, len));
    }
    /// Empties the sink.
    fn clear(&mut self);
    /// Takes the runs of word bytes the ASCII fast path found, in order:
    /// each a word unless it holds only `_`.
    #[inline(always)]
    fn ascii_runs(&mut self, runs: Runs<'_>, buf: &mut String)
    where
        Self: Sized,
    {
        for (s, e, run) in runs.iter() {
            match run {
                Run::Short(lo, hi, len) => {
                    self.short_word(runs.base + s, runs.base + e, lo, hi, len)
                }
                Run::Skip => {}
                Run::Other => push_run(self, buf, runs.text, runs.base, runs.bytes(), s, e),
            }
        }
    }
}

/// Runs of word bytes that the ASCII fast path found in
/// `text[base..end]`: `starts[i]..ends[i]`, offsets from `base`.
pub(crate) struct Runs<'a> {
    text: &'a str,
    base: usize,
    end: usize,
    starts: &'a [u32],
    ends: &'a [u32],
}

impl<'a> Runs<'a> {
    /// The bytes the runs lie in.
    fn bytes(&self) -> &'a [u8] {
        &self.text.as_bytes()[self.base..self.end]
    }

    /// Each run's start and end (from `base`), and what it is.
    #[inline(always)]
    fn iter(&self) -> impl Iterator<Item = (usize, usize, Run)> + '_ {
        self.starts.iter().zip(self.ends).map(|(&s, &e)| {
            let (s, e) = (s as usize, e as usize);
            (s, e, run_of(self.text.as_bytes(), self.base, s, e))
        })
    }
}

impl WordSink for Vec<Token> {
    #[inline(always)]
    fn word(&mut self, start: usize, end: usize, hash: u64) {
        self.push(Token { start, end, hash });
    }
    fn clear(&mut self) {
        Vec::clear(self);
    }
}

impl WordSink for Vec<u64> {
    #[inline(always)]
    fn word(&mut self, _start: usize, _end: usize, hash: u64) {
        self.push(hash);
    }
    fn clear(&mut self) {
        Vec::clear(self);
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
    canon().single(hash_folded(buf.as_bytes()))
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

#[inline]
fn push_word<S: WordSink>(out: &mut S, buf: &mut String, start: usize, word: &str) {
    let bytes = word.as_bytes();
    let hash = if word.is_ascii() {
        if bytes.iter().any(u8::is_ascii_uppercase) {
            // A small stack copy avoids touching `buf` for ordinary words.
            let mut tmp = [0u8; 32];
            if bytes.len() <= tmp.len() {
                for (t, b) in tmp.iter_mut().zip(bytes) {
                    *t = b.to_ascii_lowercase();
                }
                hash_folded(&tmp[..bytes.len()])
            } else {
                fold_into(word, buf);
                hash_folded(buf.as_bytes())
            }
        } else {
            hash_folded(bytes)
        }
    } else {
        fold_into(word, buf);
        hash_folded(buf.as_bytes())
    };
    out.word(start, start + word.len(), hash);
}

/// Lowercases the ASCII bytes of `x` eight at a time (every byte must be
/// below 0x80): a byte in `A..=Z` gets 0x20 added, no other changes.
#[inline(always)]
fn lower_ascii_swar(x: u64) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    // Bytes are below 0x80, so these sums never carry into the next byte.
    let ge_a = x + (0x80 - b'A' as u64) * ONES;
    let gt_z = x + (0x80 - b'Z' as u64 - 1) * ONES;
    x | ((ge_a & !gt_z & (0x80 * ONES)) >> 2)
}

/// The folded form of an ASCII word of `len` (1 to 16) bytes held in
/// `lo`, `hi` with whatever follows it: the bytes past `len` zeroed (they
/// may be anything, even non-ASCII), the rest lowercased.
#[inline(always)]
fn fold_short(lo: u64, hi: u64, len: usize) -> (u64, u64) {
    let keep = |n: usize| {
        if n >= 8 {
            u64::MAX
        } else {
            (1u64 << (8 * n)) - 1
        }
    };
    (
        lower_ascii_swar(lo & keep(len)),
        lower_ascii_swar(hi & keep(len.saturating_sub(8))),
    )
}

/// [`push_word`] for the ASCII word `text[start..end]`. Words of up to 16
/// bytes with 16 readable bytes from their start (nearly all of them) are
/// loaded as two 64-bit words and handed to the sink unhashed
/// ([`WordSink::short_word`], which folds and hashes them, one at a time or
/// eight at a time); the hash is the same.
#[inline(always)]
fn push_ascii_word<S: WordSink>(
    out: &mut S,
    buf: &mut String,
    text: &str,
    start: usize,
    end: usize,
) {
    let bytes = text.as_bytes();
    let len = end - start;
    if len <= 16 && start + 16 <= bytes.len() {
        let lo = u64::from_le_bytes(bytes[start..start + 8].try_into().expect("8 bytes"));
        let hi = u64::from_le_bytes(bytes[start + 8..start + 16].try_into().expect("8 bytes"));
        out.short_word(start, end, lo, hi, len);
        return;
    }
    let hash = if len <= 32 {
        let mut tmp = [0u8; 32];
        for (t, b) in tmp.iter_mut().zip(&bytes[start..end]) {
            *t = b.to_ascii_lowercase();
        }
        hash_folded(&tmp[..len])
    } else {
        fold_into(&text[start..end], buf);
        hash_folded(buf.as_bytes())
    };
    out.word(start, end, hash);
}

/// Word-break classes of ASCII bytes under UAX #29 (the scalar twin's).
#[cfg(test)]
#[derive(Clone, Copy, PartialEq, Eq)]
enum Wb {
    /// ALetter.
    Letter,
    /// Numeric.
    Digit,
    /// ExtendNumLet (`_`).
    Connector,
    /// MidLetter (`:`).
    MidLetter,
    /// MidNumLet (`.` and `'`).
    MidNumLet,
    /// MidNum (`,` and `;`).
    MidNum,
    /// Anything else: never inside a word.
    Other,
}

#[cfg(test)]
const WB_TABLE: [Wb; 256] = {
    let mut t = [Wb::Other; 256];
    let mut i = 0;
    while i < 256 {
        t[i] = wb_slow(i as u8);
        i += 1;
    }
    t
};

#[cfg(test)]
#[inline(always)]
fn wb(b: u8) -> Wb {
    WB_TABLE[b as usize]
}

#[cfg(test)]
const fn wb_slow(b: u8) -> Wb {
    match b {
        b'a'..=b'z' | b'A'..=b'Z' => Wb::Letter,
        b'0'..=b'9' => Wb::Digit,
        b'_' => Wb::Connector,
        b':' => Wb::MidLetter,
        b'.' | b'\'' => Wb::MidNumLet,
        b',' | b';' => Wb::MidNum,
        _ => Wb::Other,
    }
}

/// The UAX #29 words of a pure-ASCII chunk: letters, digits and `_` always
/// join (WB5, WB8-10, WB13); `:` `.` `'` join letters on both sides (WB6-7);
/// `,` `;` `.` `'` join digits on both sides (WB11-12). Segments without a
/// letter or digit (a lone `_`) are not words, as in
/// `unicode_word_indices`.
#[cfg(test)]
fn ascii_words_scalar(text: &str, base: usize, end: usize, out: &mut Vec<Token>, buf: &mut String) {
    let b = &text.as_bytes()[base..end];
    let n = b.len();
    let mut i = 0;
    while i < n {
        let c = wb(b[i]);
        if !matches!(c, Wb::Letter | Wb::Digit | Wb::Connector) {
            i += 1;
            continue;
        }
        let start = i;
        let mut alnum = c != Wb::Connector;
        let mut j = i + 1;
        loop {
            if j < n {
                let d = wb(b[j]);
                if matches!(d, Wb::Letter | Wb::Digit | Wb::Connector) {
                    alnum |= d != Wb::Connector;
                    j += 1;
                    continue;
                }
                if j + 1 < n {
                    let (prev, next) = (wb(b[j - 1]), wb(b[j + 1]));
                    let letters = prev == Wb::Letter
                        && next == Wb::Letter
                        && matches!(d, Wb::MidLetter | Wb::MidNumLet);
                    let digits = prev == Wb::Digit
                        && next == Wb::Digit
                        && matches!(d, Wb::MidNum | Wb::MidNumLet);
                    if letters || digits {
                        j += 2;
                        continue;
                    }
                }
            }
            break;
        }
        if alnum {
            push_ascii_word(out, buf, text, base + start, base + j);
        }
        i = j;
    }
}

/// Character-class bit masks of 64 ASCII bytes: bit `i` describes byte
/// `i` of the block.
#[derive(Clone, Copy, Default)]
struct Block {
    /// Letters.
    letter: u64,
    /// Digits.
    digit: u64,
    /// Letters, digits and `_` (always inside a word).
    word: u64,
    /// `:` `.` `'`: joins two letters.
    mid_letter: u64,
    /// `,` `;` `.` `'`: joins two digits.
    mid_num: u64,
}

impl Block {
    /// The masks of block `w` of `bytes` (bytes `64 w ..`); bytes past the
    /// end count as spaces. `wide`: the CPU has AVX-512 BW ([`crate::xxh3::has_x8`]), and the
    /// 64 bytes are classified by one instruction a class.
    #[inline(always)]
    fn at(bytes: &[u8], w: usize, wide: bool) -> Block {
        let at = w * 64;
        let mut tail = [b' '; 64];
        let block: &[u8; 64] = match bytes.get(at..at + 64) {
            Some(b) => b.try_into().expect("64 bytes"),
            None if at < bytes.len() => {
                tail[..bytes.len() - at].copy_from_slice(&bytes[at..]);
                &tail
            }
            None => return Block::default(),
        };
        #[cfg(target_arch = "x86_64")]
        if wide {
            // SAFETY: the caller checked the CPU features.
            return unsafe { Block::wide(block) };
        }
        let _ = wide;
        let mut m = Block::default();
        for (q, chunk) in block.chunks_exact(16).enumerate() {
            let c = classes16(chunk.try_into().expect("16 bytes"));
            let sh = 16 * q;
            m.letter |= (c[0] as u64) << sh;
            m.digit |= (c[1] as u64) << sh;
            m.word |= (c[2] as u64) << sh;
            m.mid_letter |= (c[3] as u64) << sh;
            m.mid_num |= (c[4] as u64) << sh;
        }
        m
    }

    /// The bytes of this block inside a word: a word class byte, or a
    /// joiner between two letters or two digits (WB6-7, WB11-12), which
    /// at the block's edges takes the neighbouring blocks' letters and
    /// digits.
    #[inline(always)]
    fn inside(&self, prev: &Block, next: &Block) -> u64 {
        let before = |c: u64, p: u64| (c << 1) | (p >> 63);
        let after = |c: u64, n: u64| (c >> 1) | (n << 63);
        let join =
            (self.mid_letter & before(self.letter, prev.letter) & after(self.letter, next.letter))
                | (self.mid_num & before(self.digit, prev.digit) & after(self.digit, next.digit));
        self.word | join
    }

    /// [`Block::at`] of 64 ASCII bytes with AVX-512 BW: each class one or
    /// two compares straight into a 64-bit mask.
    ///
    /// # Safety
    /// The CPU must support AVX-512 F and BW.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f,avx512bw")]
    fn wide(b: &[u8; 64]) -> Block {
        use std::arch::x86_64::*;
        // SAFETY: an unaligned load of exactly the 64 bytes of `b`.
        let v = unsafe { _mm512_loadu_si512(b.as_ptr() as *const __m512i) };
        let set = |c: u8| _mm512_set1_epi8(c as i8);
        let eq = |c: u8| _mm512_cmpeq_epi8_mask(v, set(c));
        // `c - lo <= span` (wrapping, unsigned): `lo <= c <= lo + span`.
        let within = |x: __m512i, lo: u8, span: u8| {
            _mm512_cmple_epu8_mask(_mm512_sub_epi8(x, set(lo)), set(span))
        };
        let letter = within(_mm512_or_si512(v, set(0x20)), b'a', 25);
        let digit = within(v, b'0', 9);
        let both = eq(b'.') | eq(b'\'');
        Block {
            letter,
            digit,
            word: letter | digit | eq(b'_'),
            mid_letter: both | eq(b':'),
            mid_num: both | eq(b',') | eq(b';'),
        }
    }
}

/// Masks (letter, digit, word, mid-letter, mid-num) of 16 ASCII bytes.
#[inline(always)]
fn classes16(b: &[u8; 16]) -> [u16; 5] {
    #[cfg(target_arch = "x86_64")]
    {
        // SAFETY: SSE2 is part of the x86_64 baseline; the load is
        // unaligned and reads exactly the 16 bytes of `b`.
        unsafe {
            use std::arch::x86_64::*;
            let v = _mm_loadu_si128(b.as_ptr() as *const __m128i);
            let set = |c: u8| _mm_set1_epi8(c as i8);
            let eq = |c: u8| _mm_cmpeq_epi8(v, set(c));
            // Bytes are ASCII (below 0x80), so signed comparisons work.
            let lower = _mm_or_si128(v, set(0x20));
            let letter = _mm_and_si128(
                _mm_cmpgt_epi8(lower, set(b'a' - 1)),
                _mm_cmpgt_epi8(set(b'z' + 1), lower),
            );
            let digit = _mm_and_si128(
                _mm_cmpgt_epi8(v, set(b'0' - 1)),
                _mm_cmpgt_epi8(set(b'9' + 1), v),
            );
            let word = _mm_or_si128(_mm_or_si128(letter, digit), eq(b'_'));
            let both = _mm_or_si128(eq(b'.'), eq(b'\''));
            let mid_letter = _mm_or_si128(both, eq(b':'));
            let mid_num = _mm_or_si128(both, _mm_or_si128(eq(b','), eq(b';')));
            let mask = |x: __m128i| _mm_movemask_epi8(x) as u16;
            [
                mask(letter),
                mask(digit),
                mask(word),
                mask(mid_letter),
                mask(mid_num),
            ]
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        let mut m = [0u16; 5];
        for (i, &c) in b.iter().enumerate() {
            let bits = [
                c.is_ascii_alphabetic(),
                c.is_ascii_digit(),
                c.is_ascii_alphanumeric() || c == b'_',
                matches!(c, b':' | b'.' | b'\''),
                matches!(c, b',' | b';' | b'.' | b'\''),
            ];
            for (k, on) in bits.into_iter().enumerate() {
                m[k] |= (on as u16) << i;
            }
        }
        m
    }
}

/// The byte-by-byte ASCII word rules (`ascii_words_scalar`, kept for
/// the tests) computed with bit masks: the classes of 64
/// bytes at a time, then the word runs found from the masks, with no
/// branch per byte: by [`ascii_words_x`] where the CPU has AVX-512, by
/// [`ascii_words_masks`] (SSE2) elsewhere. The same words, checked by the
/// property tests and, for both paths, by a unit test.
fn ascii_words<S: WordSink>(text: &str, base: usize, end: usize, out: &mut S, buf: &mut String) {
    // Positions are listed as `u32`.
    #[cfg(target_arch = "x86_64")]
    if crate::xxh3::has_x8() && end - base < u32::MAX as usize {
        // SAFETY: the CPU has AVX-512 F, BW and VBMI2 (checked just above).
        unsafe { ascii_words_x(text, base, end, out, buf) };
        return;
    }
    ascii_words_masks(text, base, end, out, buf);
}

/// [`ascii_words`] on any CPU: each block's word runs found with shifts
/// and `trailing_zeros` on its class masks.
fn ascii_words_masks<S: WordSink>(
    text: &str,
    base: usize,
    end: usize,
    out: &mut S,
    buf: &mut String,
) {
    let bytes = &text.as_bytes()[base..end];
    let blocks = bytes.len().div_ceil(64);
    // Each block's masks are made once, a block ahead: word membership at
    // a block's edges needs the neighbouring blocks' letters and digits.
    let wide = false;
    let (mut prev, mut cur) = (Block::default(), Block::at(bytes, 0, wide));
    let mut start: Option<usize> = None;
    for w in 0..blocks {
        let next = Block::at(bytes, w + 1, wide);
        let inside = cur.inside(&prev, &next);
        // Bit i of `before` is set when byte i - 1 is inside a word; of
        // `starts` and `ends`, where a word starts or has just ended.
        let before = (inside << 1) | start.is_some() as u64;
        let (mut starts, mut ends) = (inside & !before, !inside & before);
        let at = |m: u64| w * 64 + m.trailing_zeros() as usize;
        if ends != 0 {
            if let Some(s) = start.take() {
                push_run(out, buf, text, base, bytes, s, at(ends));
                ends &= ends - 1;
            }
        }
        // Every end left has its start in this block, before it.
        while ends != 0 {
            push_run(out, buf, text, base, bytes, at(starts), at(ends));
            starts &= starts - 1;
            ends &= ends - 1;
        }
        if starts != 0 {
            start = Some(at(starts));
        }
        (prev, cur) = (cur, next);
    }
    if let Some(s) = start {
        push_run(out, buf, text, base, bytes, s, bytes.len());
    }
}

/// Blocks of 64 bytes whose word edges [`ascii_words_x`] lists before
/// taking the words out (4 KiB of text: the lists stay in L1 cache).
#[cfg(target_arch = "x86_64")]
const EDGE_BLOCKS: usize = 64;

/// [`ascii_words`] with AVX-512: the same masks, 64 bytes per instruction,
/// but each block's word starts and ends are listed with one byte
/// compression each (VBMI2) into two lists, and the words are taken out of
/// the lists afterwards in one tight loop. Words never nest, so the `i`-th
/// start and the `i`-th end bound the `i`-th word; no branch depends on how
/// many words a block holds.
///
/// # Safety
/// The CPU must support AVX-512 F, BW and VBMI2 ([`crate::xxh3::has_x8`]).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512bw,avx512vbmi2")]
fn ascii_words_x<S: WordSink>(text: &str, base: usize, end: usize, out: &mut S, buf: &mut String) {
    use std::arch::x86_64::*;
    let all = text.as_bytes();
    let bytes = &all[base..end];
    let n = bytes.len();
    let blocks = n.div_ceil(64);
    // At most 32 starts (and 32 ends) a block, plus an open word carried
    // from the last group of blocks, plus 16 entries of slack for the
    // last 16-lane store.
    const CAP: usize = EDGE_BLOCKS * 32 + 1 + 16;
    // Left uninitialized (16 KiB to clear on every call otherwise): only
    // entries below a list's length are read, and all of them were stored.
    let mut starts_buf = std::mem::MaybeUninit::<[u32; CAP]>::uninit();
    let mut ends_buf = std::mem::MaybeUninit::<[u32; CAP]>::uninit();
    let (starts, ends): (*mut u32, *mut u32) =
        (starts_buf.as_mut_ptr().cast(), ends_buf.as_mut_ptr().cast());
    let (mut ns, mut ne) = (0usize, 0usize);
    let iota = _mm512_set_epi8(
        63, 62, 61, 60, 59, 58, 57, 56, 55, 54, 53, 52, 51, 50, 49, 48, 47, 46, 45, 44, 43, 42, 41,
        40, 39, 38, 37, 36, 35, 34, 33, 32, 31, 30, 29, 28, 27, 26, 25, 24, 23, 22, 21, 20, 19, 18,
        17, 16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0,
    );
    // Appends the positions of the bits of `m` (at most 32), plus `at`,
    // to `list` from `len` on.
    let list = |list: *mut u32, len: &mut usize, m: u64, at: usize| {
        let pos = _mm512_maskz_compress_epi8(m, iota);
        let at = _mm512_set1_epi32(at as i32);
        let first = _mm512_add_epi32(_mm512_cvtepu8_epi32(_mm512_castsi512_si128(pos)), at);
        // SAFETY: `*len + 16 <= CAP` (at most `EDGE_BLOCKS * 32 + 1`
        // entries are listed before the lists are emptied).
        unsafe { _mm512_storeu_si512(list.add(*len) as *mut __m512i, first) };
        let count = m.count_ones() as usize;
        if count > 16 {
            let second = _mm512_add_epi32(
                _mm512_cvtepu8_epi32(_mm512_extracti32x4_epi32::<1>(pos)),
                at,
            );
            // SAFETY: as above, with `count <= 32`.
            unsafe { _mm512_storeu_si512(list.add(*len + 16) as *mut __m512i, second) };
        }
        *len += count;
    };
    let (mut prev, mut cur) = (Block::default(), Block::at(bytes, 0, true));
    let mut open = false;
    let mut w = 0;
    while w < blocks {
        let last = (w + EDGE_BLOCKS).min(blocks);
        while w < last {
            let next = Block::at(bytes, w + 1, true);
            let inside = cur.inside(&prev, &next);
            let before = (inside << 1) | open as u64;
            list(starts, &mut ns, inside & !before, w * 64);
            list(ends, &mut ne, !inside & before, w * 64);
            open = inside >> 63 == 1;
            (prev, cur) = (cur, next);
            w += 1;
        }
        if w == blocks && open {
            // SAFETY: `ne < CAP` (at most `EDGE_BLOCKS * 32 + 1` entries).
            unsafe { ends.add(ne).write(n as u32) };
            ne += 1;
        }
        // Every end has its start; a start without an end yet (`ns == ne
        // + 1`) is carried to the next group.
        let runs = Runs {
            text,
            base,
            end,
            // SAFETY: the first `ne` entries of both lists were stored
            // (`ns >= ne`), and `ne < CAP`.
            starts: unsafe { std::slice::from_raw_parts(starts, ne) },
            ends: unsafe { std::slice::from_raw_parts(ends, ne) },
        };
        out.ascii_runs(runs, buf);
        if ns > ne {
            // SAFETY: entry `ne < ns` was stored.
            unsafe { starts.write(starts.add(ne).read()) };
        }
        ns -= ne;
        ne = 0;
    }
}

/// What becomes of a run of word bytes found by the ASCII fast path.
enum Run {
    /// A word of 1 to 16 bytes with 16 readable bytes from its start:
    /// those bytes, little-endian, and its length.
    Short(u64, u64, usize),
    /// A run of `_` only: not a word.
    Skip,
    /// Any other word (longer, or too near the end of the text):
    /// [`push_run`] takes it.
    Other,
}

/// [`Run`] of `text[base + s..base + e]`.
#[inline(always)]
fn run_of(text: &[u8], base: usize, s: usize, e: usize) -> Run {
    let len = e - s;
    if len > 16 || base + s + 16 > text.len() {
        return Run::Other;
    }
    // SAFETY: `base + s + 16 <= text.len()`, just checked.
    let (lo, hi) = unsafe {
        let p = text.as_ptr().add(base + s);
        (
            (p as *const u64).read_unaligned(),
            (p.add(8) as *const u64).read_unaligned(),
        )
    };
    if lo as u8 == b'_' && text[base + s..base + e].iter().all(|&c| c == b'_') {
        return Run::Skip;
    }
    Run::Short(lo, hi, len)
}

/// Pushes the run `bytes[s..e]` unless it has no letter or digit (a run of
/// `_` only; joiners always sit between letters or digits).
#[inline(always)]
fn push_run<S: WordSink>(
    out: &mut S,
    buf: &mut String,
    text: &str,
    base: usize,
    bytes: &[u8],
    s: usize,
    e: usize,
) {
    if bytes[s] == b'_' && bytes[s..e].iter().all(|&c| c == b'_') {
        return;
    }
    push_ascii_word(out, buf, text, base + s, base + e);
}

/// Splits `text` into words, appending them to `out` (which is cleared first).
///
/// Reusing `out` across documents avoids one allocation per document; no
/// allocation happens per token.
///
/// ASCII whitespace never belongs to a word and always separates words, so
/// the text is cut at it into chunks: a pure-ASCII chunk (most of them) goes
/// through a byte-level fast path implementing the ASCII subset of UAX #29,
/// any other through `unicode-segmentation`. Both give exactly the words of
/// `unicode_word_indices` over the whole text (a property test checks it
/// against that naive twin).
pub fn tokenize_into(text: &str, out: &mut Vec<Token>) {
    tokenize_into_version(text, out, TOKENIZER_VERSION);
}

/// The oldest tokenizer version this build still applies (to indexes
/// built with it, which keep their tokenization; see [`TOKENIZER_VERSION`]).
pub const OLDEST_TOKENIZER_VERSION: u32 = 1;

/// [`tokenize_into`] as tokenizer `version` did it: version 1 without the
/// normalization of wire abbreviations, version 2 with it.
pub(crate) fn tokenize_into_version(text: &str, out: &mut Vec<Token>, version: u32) {
    words_into(text, out);
    if version >= 2 {
        normalize(out);
    }
}

/// The hashes of the words of `text` (what [`tokenize_into`] gives as
/// [`Token::hash`]), appended to `out` (which is cleared first): all a scan
/// needs of the tokens.
///
/// ```
/// use neardup::tokenize::{tokenize, word_hashes_into};
/// let text = "Officials told EV makers to 'self-regulate.'";
/// let mut hashes = Vec::new();
/// word_hashes_into(text, &mut hashes);
/// let want: Vec<u64> = tokenize(text).iter().map(|t| t.hash).collect();
/// assert_eq!(hashes, want);
/// ```
pub fn word_hashes_into(text: &str, out: &mut Vec<u64>) {
    #[cfg(target_arch = "x86_64")]
    if crate::xxh3::has_x8() {
        STAGED.with(|words| {
            let words = &mut *words.borrow_mut();
            words.clear();
            words.reserve(Staged::BATCH);
            let mut staged = Staged {
                at: words.as_mut_ptr(),
                staged: 0,
                words,
                out,
            };
            words_into(text, &mut staged);
            staged.flush();
        });
        normalize(out);
        return;
    }
    words_into(text, out);
    normalize(out);
}

/// Hashes words eight at a time ([`crate::xxh3::short_x8`]): holds up to
/// [`Staged::BATCH`] words not yet hashed (the 16 bytes from the start and
/// the length of each short ASCII word, or the finished hash, length 0,
/// of any other), then appends their hashes to `out`. The batch bounds the
/// staging memory whatever the document's size and keeps it in cache.
#[cfg(target_arch = "x86_64")]
struct Staged<'a> {
    /// `[lo, hi, len]` of each word not yet hashed: the first `staged`
    /// entries of the capacity (at least `BATCH`) of `words`, whose length
    /// is set only when they are hashed.
    words: &'a mut Vec<[u64; 3]>,
    /// `words`' buffer and the number of words in it, kept here so that
    /// staging a word does not go through the vector's fields.
    at: *mut [u64; 3],
    staged: usize,
    out: &'a mut Vec<u64>,
}

#[cfg(target_arch = "x86_64")]
impl WordSink for Staged<'_> {
    #[inline(always)]
    fn word(&mut self, _start: usize, _end: usize, hash: u64) {
        self.stage([hash, 0, 0]);
    }
    #[inline(always)]
    fn short_word(&mut self, _start: usize, _end: usize, lo: u64, hi: u64, len: usize) {
        self.stage([lo, hi, len as u64]);
    }
    fn clear(&mut self) {
        self.staged = 0;
        self.out.clear();
    }
    /// The default's loop with the staging count in a register (stores
    /// through `at` could otherwise alias `self.staged`, which each word
    /// would then load and store again).
    #[inline(always)]
    fn ascii_runs(&mut self, runs: Runs<'_>, buf: &mut String) {
        let (mut at, mut staged) = (self.at, self.staged);
        for (s, e, run) in runs.iter() {
            match run {
                Run::Short(lo, hi, len) => {
                    // SAFETY: `staged < BATCH`, as in `stage`.
                    unsafe { at.add(staged).write([lo, hi, len as u64]) };
                    staged += 1;
                    if staged == Self::BATCH {
                        self.staged = staged;
                        self.flush();
                        (at, staged) = (self.at, self.staged);
                    }
                }
                Run::Skip => {}
                Run::Other => {
                    self.staged = staged;
                    push_run(self, buf, runs.text, runs.base, runs.bytes(), s, e);
                    (at, staged) = (self.at, self.staged);
                }
            }
        }
        self.staged = staged;
    }
}

#[cfg(target_arch = "x86_64")]
impl Staged<'_> {
    /// Words hashed together (96 KiB of staging).
    const BATCH: usize = 4096;

    #[inline(always)]
    fn stage(&mut self, word: [u64; 3]) {
        // SAFETY: `staged < BATCH` (a full batch is flushed at once) and
        // `at` holds `BATCH` entries or more.
        unsafe { self.at.add(self.staged).write(word) };
        self.staged += 1;
        if self.staged == Self::BATCH {
            self.flush();
        }
    }

    /// Appends the hashes of the staged words, in order, to `out`. Only on
    /// a CPU where [`crate::xxh3::has_x8`] holds.
    fn flush(&mut self) {
        // SAFETY: the first `staged` entries were written by `stage`.
        unsafe { self.words.set_len(self.staged) };
        self.staged = 0;
        let from = self.out.len();
        self.out.resize(from + self.words.len(), 0);
        let mut hashes = self.out[from..].chunks_exact_mut(8);
        let mut words = self.words.chunks_exact(8);
        for (h, w) in (&mut hashes).zip(&mut words) {
            // SAFETY: `word_hashes_into` checked the CPU features.
            unsafe {
                crate::xxh3::short_x8(
                    w.try_into().expect("eight words"),
                    h.try_into().expect("eight hashes"),
                )
            };
        }
        for (h, &[lo, hi, len]) in hashes.into_remainder().iter_mut().zip(words.remainder()) {
            *h = match len {
                0 => lo,
                len => {
                    let (lo, hi) = fold_short(lo, hi, len as usize);
                    crate::xxh3::short(lo, hi, len as usize)
                }
            };
        }
        self.words.clear();
    }
}

#[cfg(target_arch = "x86_64")]
thread_local! {
    static STAGED: std::cell::RefCell<Vec<[u64; 3]>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// [`tokenize_into`] for any sink.
#[inline(always)]
fn words_into<S: WordSink>(text: &str, out: &mut S) {
    out.clear();
    let mut buf = String::with_capacity(32);
    let bytes = text.as_bytes();
    if bytes.is_ascii() {
        // Whitespace is never part of a word and never joins one, so a
        // pure-ASCII text needs no cutting into chunks (one pass, not two).
        ascii_words(text, 0, bytes.len(), out, &mut buf);
        return;
    }
    let mut i = 0;
    while i < bytes.len() {
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        let start = i;
        let mut ascii = true;
        while i < bytes.len() && !bytes[i].is_ascii_whitespace() {
            ascii &= bytes[i] < 0x80;
            i += 1;
        }
        if start == i {
            break;
        }
        let chunk = &text[start..i];
        if ascii {
            ascii_words(text, start, i, out, &mut buf);
        } else {
            for (s, word) in chunk.unicode_word_indices() {
                push_word(out, &mut buf, start + s, word);
            }
        }
    }
}

/// The straightforward tokenizer: `unicode_word_indices` over the whole
/// text. [`tokenize_into`] must give exactly the same tokens.
pub fn tokenize_naive(text: &str) -> Vec<Token> {
    let mut out = Vec::new();
    let mut buf = String::new();
    for (start, word) in text.unicode_word_indices() {
        fold_into(word, &mut buf);
        out.push(Token {
            start,
            end: start + word.len(),
            hash: hash_folded(buf.as_bytes()),
        });
    }
    normalize(&mut out);
    out
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
    fn wire_abbreviations_and_their_spelled_out_forms_are_one_word() {
        let wire = "Net 46 mln dlrs vs 11 mln dlrs, up 12 pct; 3 bln stg, 1 dlr";
        let page = "Net 46 Million dollars vs 11 million DOLLARS, up 12 per cent; 3 billion sterling, 1 dollar";
        let h = |t: &str| tokenize(t).iter().map(|t| t.hash).collect::<Vec<_>>();
        assert_eq!(h(wire), h(page));
        assert_eq!(h("up 12 percent"), h("up 12 pct"));
        // The merged token spans both words; the scan's hashes are the same.
        let toks = tokenize(page);
        let pct = toks.iter().find(|t| t.hash == hash_word("pct")).unwrap();
        assert_eq!(&page[pct.range()], "per cent");
        let mut hashes = Vec::new();
        word_hashes_into(page, &mut hashes);
        assert_eq!(hashes, h(page));
        // `per` alone, or at the end, and `cent` alone stay words.
        assert_eq!(words("per capita, per"), ["per", "capita", "per"]);
        assert_ne!(h("one cent"), h("one ct"));
        assert_ne!(h("per capita"), h("pct capita"));
        // Several merges in one text keep the order and the offsets.
        let text = "a per cent b per cent c per";
        assert_eq!(words(text), ["a", "per cent", "b", "per cent", "c", "per"]);
        assert_eq!(tokenize(text), tokenize_naive(text));
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
    fn fast_path_matches_naive_on_tricky_text() {
        for text in [
            "can't U.S. 3.5% 1,000,000 a.1 1.a __init__ _ __ a_b 'tis dogs' rock'n'roll",
            "e.g. i.e.: a:b a::b 12;34 12;;34 x.y.z. ...a... ,1, .5 5. 1'2 a'1",
            "Café it’s “quoted” — dash naïve 中国 ÉCOLE\u{301}x \u{feff}BOM a\u{301}b",
            "tab\there\r\nCRLF\x0c form\x0bfeed end",
        ] {
            assert_eq!(tokenize(text), tokenize_naive(text), "{text:?}");
        }
    }

    #[test]
    fn bit_masks_match_the_scalar_scan() {
        let mut texts: Vec<String> = vec![
            "can't U.S. 3.5% 1,000,000 a.1 1.a __init__ _ __ a_b 'tis dogs' rock'n'roll".into(),
            "e.g. i.e.: a:b a::b 12;34 12;;34 x.y.z. ...a... ,1, .5 5. 1'2 a'1".into(),
            String::new(),
            "_".into(),
            "a".into(),
        ];
        // Words and joiners across the 16- and 64-byte block edges.
        for pad in 0..70 {
            texts.push(format!("{}a.b 1,2 __x_ y'z", " ".repeat(pad)));
            texts.push(format!("{}ab", "x".repeat(pad)));
            texts.push(format!("{}{}", "_".repeat(pad), "1.5"));
        }
        // Every ASCII byte, at every offset of a block.
        let all: String = (0u8..128).map(char::from).collect();
        texts.push(all.repeat(3));
        for t in &texts {
            // The class masks of both ways of making them (the words below
            // are found with the CPU's own).
            #[cfg(target_arch = "x86_64")]
            if crate::xxh3::has_x8() {
                for w in 0..=t.len() / 64 {
                    let (a, b) = (
                        Block::at(t.as_bytes(), w, false),
                        Block::at(t.as_bytes(), w, true),
                    );
                    let masks = |m: Block| [m.letter, m.digit, m.word, m.mid_letter, m.mid_num];
                    assert_eq!(masks(a), masks(b), "{t:?} block {w}");
                }
            }
            let (mut fast, mut slow) = (Vec::<Token>::new(), Vec::new());
            let mut buf = String::new();
            ascii_words(t, 0, t.len(), &mut fast, &mut buf);
            ascii_words_scalar(t, 0, t.len(), &mut slow, &mut buf);
            assert_eq!(fast, slow, "{t:?}");
            if t.len() > 4 {
                let (mut fast, mut slow) = (Vec::<Token>::new(), Vec::new());
                ascii_words(t, 2, t.len() - 1, &mut fast, &mut buf);
                ascii_words_scalar(t, 2, t.len() - 1, &mut slow, &mut buf);
                assert_eq!(fast, slow, "{t:?} inner");
            }
        }
    }

    #[test]
    fn empty_and_punctuation_only() {
        assert!(tokenize("").is_empty());
        assert!(tokenize(" .,;:!? -- ").is_empty());
    }

    #[test]
    fn word_hashes_of_long_texts_are_the_tokens_hashes() {
        // Several staging batches, with words of every kind: short and
        // long ASCII (mixed case), non-ASCII, and words at the very end.
        let mut next = crate::testutil::lcg(23);
        let pieces = [
            "Reuters", "the", "a", "Über", "naïve", "I", "3.5", "U.S", "can't",
        ];
        let mut text = String::new();
        for i in 0..10_000 {
            let r = next();
            if r.is_multiple_of(7) {
                let long: String = (0..(r >> 40) % 30 + 17)
                    .map(|j| (b'a' + (j % 26) as u8) as char)
                    .collect();
                text.push_str(&long.to_uppercase());
            } else {
                text.push_str(pieces[(r >> 32) as usize % pieces.len()]);
            }
            text.push_str(if i % 13 == 0 { ", " } else { " " });
        }
        text.push_str("EndWord");
        let mut hashes = Vec::new();
        word_hashes_into(&text, &mut hashes);
        let want: Vec<u64> = tokenize(&text).iter().map(|t| t.hash).collect();
        assert!(want.len() > 10_000);
        assert_eq!(hashes, want);
    }

    #[test]
    fn long_ascii_texts_match_naive_across_blocks_and_groups() {
        // Pure ASCII, so each text goes through the fast path whole: words
        // and joiners land on every offset of the 64-byte blocks and across
        // the 4 KiB groups whose word edges are listed together.
        let pieces = [
            "can't",
            "3.5",
            "1,000",
            "U.S.",
            "a.b",
            "__",
            "_x_",
            "x",
            "Reuters",
            "e.g.",
            "12;34",
            "rock'n'roll",
            "a:b",
            "...",
            "--",
            "Z",
        ];
        let mut next = crate::testutil::lcg(7);
        let mut text = String::new();
        while text.len() < 40_000 {
            let r = next();
            if r.is_multiple_of(9) {
                let len = (r >> 40) % 40 + 10;
                text.extend((0..len).map(|j| (b'A' + ((j + r) % 26) as u8) as char));
            } else {
                text.push_str(pieces[(r >> 32) as usize % pieces.len()]);
            }
            text.push_str(["  ", " ", ",", "\n", " '"][(r >> 20) as usize % 5]);
        }
        let check = |text: &str| {
            let naive = tokenize_naive(text);
            assert_eq!(tokenize(text), naive);
            // The path of CPUs without AVX-512 too.
            let (mut masks, mut buf) = (Vec::<Token>::new(), String::new());
            ascii_words_masks(text, 0, text.len(), &mut masks, &mut buf);
            assert_eq!(masks, naive);
            let mut hashes = Vec::new();
            word_hashes_into(text, &mut hashes);
            assert!(hashes.iter().eq(naive.iter().map(|t| &t.hash)));
        };
        check(&text);
        // One long word (and one joined word) across the first group's end,
        // at every offset around it, with and without text after it.
        for at in 4060..4110 {
            for word in ["abcdefghijklmnopqrstuvwxyz0123", "U.S.A", "ab_"] {
                let mut t = "a ".repeat(at / 2);
                t.truncate(at);
                t.push_str(word);
                check(&t);
                t.push_str(" tail");
                check(&t);
            }
        }
    }

    #[test]
    fn hash_is_stable_forever() {
        // Pinned value: signatures persisted by older versions depend on it.
        assert_eq!(hash_word("news"), xxh3_64(b"news"));
        assert_eq!(tokenize("NEWS")[0].hash, xxh3_64(b"news"));
    }
}
