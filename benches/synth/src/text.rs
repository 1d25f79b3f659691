//! Text helpers: word counts, sentence spans, word shingles (for the
//! overlap check between sources), headline casing, word rewriting that keeps
//! the case, line wrapping.

use std::collections::HashSet;
use std::hash::{BuildHasherDefault, Hasher};

use crate::words::words;

pub(crate) fn word_count(s: &str) -> usize {
    s.split_whitespace().count()
}

pub(crate) fn words_of(paras: &[String]) -> usize {
    paras.iter().map(|p| word_count(p)).sum()
}

/// Share of whitespace tokens holding at least one letter.
pub(crate) fn letter_ratio(s: &str) -> f64 {
    let (mut n, mut letters) = (0usize, 0usize);
    for w in s.split_whitespace() {
        n += 1;
        if w.chars().any(char::is_alphabetic) {
            letters += 1;
        }
    }
    if n == 0 {
        0.0
    } else {
        letters as f64 / n as f64
    }
}

/// Whether the last word of `before` is an abbreviation, so that a period
/// after it ends no sentence: a dotted word (`U.S.`), an initial, or a word
/// of up to five letters listed in `abbreviations.txt`.
pub(crate) fn is_abbreviation(before: &str) -> bool {
    let word = before.rsplit(' ').next().unwrap_or("");
    let word = word.trim_start_matches(|c: char| !c.is_alphanumeric());
    if word.contains('.') {
        return true; // "U.S." and other dotted abbreviations
    }
    let mut chars = word.chars();
    if let (Some(c), None) = (chars.next(), chars.next()) {
        return c.is_uppercase(); // an initial: "J. Smith"
    }
    word.len() <= 5
        && words()
            .abbreviations
            .iter()
            .any(|a| a.eq_ignore_ascii_case(word))
}

/// Byte spans of the sentences of a paragraph (single spaces between words,
/// as produced by the source parser). A sentence ends at `.`, `?` or `!`
/// (plus closing quotes or brackets) followed by a space and a capital,
/// digit, quote or non-ASCII character, unless the word before the period is
/// an abbreviation.
pub(crate) fn sentence_spans(p: &str, out: &mut Vec<(usize, usize)>) {
    out.clear();
    let b = p.as_bytes();
    let (mut start, mut i) = (0usize, 0usize);
    while i < b.len() {
        let c = b[i];
        if matches!(c, b'.' | b'?' | b'!') {
            let mut j = i + 1;
            while j < b.len() && matches!(b[j], b'"' | b'\'' | b')') {
                j += 1;
            }
            if j < b.len() && b[j] == b' ' {
                let mut k = j;
                while k < b.len() && b[k] == b' ' {
                    k += 1;
                }
                let next_ok = k < b.len()
                    && (b[k].is_ascii_uppercase()
                        || b[k].is_ascii_digit()
                        || matches!(b[k], b'"' | b'\'' | b'(')
                        || b[k] >= 0x80);
                if next_ok && !(c == b'.' && is_abbreviation(&p[start..i])) {
                    out.push((start, j));
                    start = k;
                    i = k;
                    continue;
                }
            }
        }
        i += 1;
    }
    let end = p.trim_end().len();
    if start < end {
        out.push((start, end));
    }
}

/// FNV-1a of a word, ASCII case folded.
pub(crate) fn word_hash(w: &str) -> u64 {
    let mut h = 0xcbf2_9ce4_8422_2325u64;
    for &b in w.as_bytes() {
        h ^= u64::from(b.to_ascii_lowercase());
        h = h.wrapping_mul(0x0000_0100_0000_01B3);
    }
    h
}

pub(crate) fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

pub(crate) const SHINGLE: usize = 5;

/// Distinct word 5-shingle hashes of `text` (sorted), words being runs of
/// alphanumeric characters. Texts of fewer than five words give one shingle.
pub(crate) fn shingles(text: &str, out: &mut Vec<u64>) {
    out.clear();
    let words: Vec<u64> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(word_hash)
        .collect();
    let fold = |ws: &[u64]| {
        mix64(ws.iter().fold(0u64, |h, &w| {
            h.rotate_left(13) ^ w.wrapping_mul(0x9E37_79B9_7F4A_7C15)
        }))
    };
    if words.len() < SHINGLE {
        if !words.is_empty() {
            out.push(fold(&words));
        }
    } else {
        out.extend(words.windows(SHINGLE).map(fold));
    }
    out.sort_unstable();
    out.dedup();
}

/// Hasher for keys that are already well-mixed `u64`s.
#[derive(Default)]
pub(crate) struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01B3);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

pub(crate) type U64Set = HashSet<u64, BuildHasherDefault<IdHasher>>;

/// What a word of an all-caps headline is (see [`caps_word_kind`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CapsWord {
    /// A wire abbreviation such as `MLN`: lower case.
    Abbreviation,
    /// Likely an acronym or code (`GM`, `U.S.`, `<ACM>`, `1987`): kept.
    Acronym,
    /// An ordinary word.
    Word,
}

/// Guesses what a word of an all-caps headline is: a wire abbreviation
/// (`wire-abbreviations.txt`), an ordinary word (`caps-words.txt`, or one
/// with a vowel and more than two letters) or an acronym.
pub(crate) fn caps_word_kind(w: &str) -> CapsWord {
    let core = w.trim_matches(|c: char| !c.is_alphanumeric());
    if w.contains('.') || w.starts_with('<') || core.chars().any(|c| c.is_ascii_digit()) {
        return CapsWord::Acronym;
    }
    if words()
        .wire_abbreviations
        .iter()
        .any(|a| a.eq_ignore_ascii_case(core))
    {
        return CapsWord::Abbreviation;
    }
    if core.is_empty()
        || words()
            .caps_words
            .iter()
            .any(|a| a.eq_ignore_ascii_case(core))
    {
        return CapsWord::Word;
    }
    if core.chars().count() <= 2 || !core.chars().any(|c| "AEIOUaeiou".contains(c)) {
        CapsWord::Acronym
    } else {
        CapsWord::Word
    }
}

/// Headline case: every word capitalised except short function words
/// (`small-words.txt`);
/// all-caps input is lowered first, keeping likely acronyms (no vowel).
pub(crate) fn title_case(title: &str) -> String {
    let shouting = !title.chars().any(char::is_lowercase);
    let mut out = String::with_capacity(title.len());
    for (i, w) in title.split_whitespace().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        let kind = if shouting {
            caps_word_kind(w)
        } else if w.chars().skip(1).any(char::is_uppercase) {
            CapsWord::Acronym
        } else {
            CapsWord::Word
        };
        if kind == CapsWord::Abbreviation {
            out.push_str(&w.to_lowercase());
            continue;
        }
        if kind == CapsWord::Acronym {
            out.push_str(w);
            continue;
        }
        let lower = if shouting {
            w.to_lowercase()
        } else {
            w.to_string()
        };
        if i > 0 && words().small_words.contains(&lower.as_str()) {
            out.push_str(&lower);
        } else {
            capitalize_into(&lower, &mut out);
        }
    }
    out
}

/// Sentence case: first word capitalised, the rest lowered when the input
/// is all caps (likely acronyms kept).
pub(crate) fn sentence_case(title: &str) -> String {
    let shouting = !title.chars().any(char::is_lowercase);
    let mut out = String::with_capacity(title.len());
    for (i, w) in title.split_whitespace().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        if !shouting || caps_word_kind(w) == CapsWord::Acronym {
            if i == 0 {
                capitalize_into(w, &mut out);
            } else {
                out.push_str(w);
            }
        } else if i == 0 {
            capitalize_into(&w.to_lowercase(), &mut out);
        } else {
            out.push_str(&w.to_lowercase());
        }
    }
    out
}

pub(crate) fn capitalize_into(w: &str, out: &mut String) {
    let mut chars = w.chars();
    if let Some(c) = chars.next() {
        out.extend(c.to_uppercase());
        out.push_str(chars.as_str());
    }
}

/// Drops `<TICKER>` tokens.
pub(crate) fn strip_tickers(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for w in s.split_whitespace() {
        if w.starts_with('<') && w.ends_with('>') {
            continue;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(w);
    }
    out
}

/// Appends `rep` with the case pattern of `orig` (ALL CAPS, Capitalised or
/// as is).
pub(crate) fn push_cased(orig: &str, rep: &str, out: &mut String) {
    let b = orig.as_bytes();
    if b.len() > 1 && b.iter().all(|c| !c.is_ascii_lowercase()) {
        out.push_str(&rep.to_ascii_uppercase());
    } else if b.first().is_some_and(u8::is_ascii_uppercase) {
        capitalize_into(rep, out);
    } else {
        out.push_str(rep);
    }
}

/// Calls `f` with the lower-case form of every ASCII word of `text` (runs of
/// ASCII letters not touching digits or non-ASCII characters) and rewrites
/// the words it maps, keeping their case. `None` when nothing changed.
pub(crate) fn map_words<F>(text: &str, mut f: F) -> Option<String>
where
    F: FnMut(&str) -> Option<&'static str>,
{
    let b = text.as_bytes();
    let mut out: Option<String> = None;
    let mut last = 0;
    let mut lower = [0u8; 24];
    let mut i = 0;
    while i < b.len() {
        if !(b[i].is_ascii_alphanumeric() || b[i] >= 0x80) {
            i += 1;
            continue;
        }
        let start = i;
        let mut letters = true;
        while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] >= 0x80) {
            letters &= b[i].is_ascii_alphabetic();
            i += 1;
        }
        let len = i - start;
        if !letters || !(2..=lower.len()).contains(&len) {
            continue;
        }
        for (d, s) in lower.iter_mut().zip(&b[start..i]) {
            *d = s.to_ascii_lowercase();
        }
        // The slice holds ASCII letters only.
        let key = std::str::from_utf8(&lower[..len]).unwrap_or("");
        if let Some(rep) = f(key) {
            let o = out.get_or_insert_with(|| String::with_capacity(text.len() + 32));
            o.push_str(&text[last..start]);
            push_cased(&text[start..i], rep, o);
            last = i;
        }
    }
    out.map(|mut o| {
        o.push_str(&text[last..]);
        o
    })
}

/// Appends `text` wrapped at `width` columns; the first line is indented by
/// `indent` spaces.
pub(crate) fn push_wrapped(text: &str, width: usize, indent: usize, out: &mut String) {
    let mut col = indent;
    for _ in 0..indent {
        out.push(' ');
    }
    let mut first = true;
    for w in text.split_whitespace() {
        let len = w.chars().count();
        if !first {
            if col + 1 + len > width {
                out.push('\n');
                col = 0;
            } else {
                out.push(' ');
                col += 1;
            }
        }
        out.push_str(w);
        col += len;
        first = false;
    }
    out.push('\n');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sentences_split_at_real_ends() {
        let p = "Shares of U.S. Steel Corp. rose 2 pct. Analysts said \"the deal is done.\" The talks with Mr. Smith ended. 5 mln dlrs was paid";
        let mut spans = Vec::new();
        sentence_spans(p, &mut spans);
        let got: Vec<&str> = spans.iter().map(|&(s, e)| &p[s..e]).collect();
        assert_eq!(
            got,
            [
                "Shares of U.S. Steel Corp. rose 2 pct.",
                "Analysts said \"the deal is done.\"",
                "The talks with Mr. Smith ended.",
                "5 mln dlrs was paid"
            ]
        );
    }

    #[test]
    fn headline_cases() {
        assert_eq!(
            title_case("ACME <ACM> TO BUY GM UNIT"),
            "Acme <ACM> to Buy GM Unit"
        );
        assert_eq!(
            title_case("China urges BYD to end price war"),
            "China Urges BYD to End Price War"
        );
        assert_eq!(
            sentence_case("GOLD PRICES RISE IN U.S."),
            "Gold prices rise in U.S."
        );
        assert_eq!(strip_tickers("ACME <ACM> TO BUY"), "ACME TO BUY");
        assert_eq!(
            title_case("UK LTD SIGNS 500 MLN DLR LOAN IN U.S."),
            "UK Ltd Signs 500 mln dlr Loan in U.S."
        );
        assert_eq!(sentence_case("EC TO CUT 5 PCT"), "EC to cut 5 pct");
    }

    #[test]
    fn wraps_lines() {
        let mut out = String::new();
        push_wrapped("aaa bbb ccc ddd", 8, 2, &mut out);
        assert_eq!(out, "  aaa\nbbb ccc\nddd\n");
    }
}
