//! The terminal rendering of an explanation: aligned excerpts.

use std::io::{self, Write};

use super::{count, edits_summary, score_basis, OneLine, ReportDoc, Side};
use crate::explain::{Explanation, Passage, Span};

/// Words of a passage shown in full; a longer one shows its first and last
/// [`EXCERPT_WORDS`] words.
const FULL_WORDS: usize = 24;

/// Words at each end of a long passage or span.
const EXCERPT_WORDS: usize = 10;

/// Words of context on each side of an edit.
const CONTEXT_WORDS: usize = 5;

const ANSI_SHARED: &str = "\x1b[1;32m";
const ANSI_A: &str = "\x1b[1;31m";
const ANSI_B: &str = "\x1b[1;36m";
const ANSI_DIM: &str = "\x1b[2m";
const ANSI_BOLD: &str = "\x1b[1m";
const ANSI_RESET: &str = "\x1b[0m";

/// Writes `s` in `style` when colour is on.
struct Styled {
    color: bool,
}

impl Styled {
    fn paint(&self, style: &str, s: &str) -> String {
        if self.color && !s.is_empty() {
            format!("{style}{s}{ANSI_RESET}")
        } else {
            s.to_string()
        }
    }
}

/// `s` on one line: runs of whitespace as one space, control characters as
/// `U+FFFD`.
fn one_line(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut space = false;
    for c in s.chars() {
        if c.is_whitespace() {
            space = true;
            continue;
        }
        if space && !out.is_empty() {
            out.push(' ');
        }
        space = false;
        out.push(if c.is_control() { '\u{FFFD}' } else { c });
    }
    if space && !out.is_empty() {
        out.push(' ');
    }
    out
}

/// `s` on one line, cut to at most `n` characters (then ending in `…`).
pub(super) fn clip(s: &str, n: usize) -> String {
    let line = one_line(s.trim());
    match line.char_indices().nth(n) {
        Some((at, _)) => format!("{}…", &line[..at]),
        None => line,
    }
}

/// Byte offsets of the starts and ends of the whitespace-separated words
/// of `s`.
fn word_bounds(s: &str) -> Vec<(usize, usize)> {
    let base = s.as_ptr() as usize;
    s.split_whitespace()
        .map(|w| {
            let at = w.as_ptr() as usize - base;
            (at, at + w.len())
        })
        .collect()
}

/// `s` in one line, or its first and last [`EXCERPT_WORDS`] words around
/// `…` when it has more than [`FULL_WORDS`].
fn excerpt(s: &str) -> String {
    let words = word_bounds(s);
    if words.len() <= FULL_WORDS {
        return one_line(s.trim());
    }
    let head = &s[words[0].0..words[EXCERPT_WORDS - 1].1];
    let tail = &s[words[words.len() - EXCERPT_WORDS].0..words[words.len() - 1].1];
    format!("{} … {}", one_line(head), one_line(tail))
}

/// The end of `s` holding its last `n` words (with `…` before it when
/// cut), on one line.
fn tail_words(s: &str, n: usize) -> String {
    let words = word_bounds(s);
    if words.len() > n {
        format!("…{}", one_line(&s[words[words.len() - n].0..]))
    } else {
        one_line(s)
    }
}

/// The start of `s` holding its first `n` words (with `…` after it when
/// cut), on one line.
fn head_words(s: &str, n: usize) -> String {
    let words = word_bounds(s);
    let lead = if s.starts_with(char::is_whitespace) {
        " "
    } else {
        ""
    };
    if words.len() > n {
        format!("{lead}{}…", one_line(&s[..words[n - 1].1]))
    } else {
        format!("{lead}{}", one_line(s))
    }
}

/// The text of `range` of `text`, or "" when it does not fit.
fn slice(text: &str, (start, end): (usize, usize)) -> &str {
    text.get(start..end).unwrap_or("")
}

/// Something to print, in the order of A.
enum Item<'e> {
    Passage(usize, &'e Passage),
    OnlyA(&'e Span),
    OnlyB(&'e Span),
}

/// The passages and A's spans in the order of A, each of B's spans after
/// the passage it follows in B (first when it follows none).
fn items(e: &Explanation) -> Vec<Item<'_>> {
    let mut a: Vec<(usize, Item<'_>)> = e
        .passages
        .iter()
        .enumerate()
        .map(|(i, p)| (p.a_start, Item::Passage(i, p)))
        .chain(e.only_a.iter().map(|s| (s.start, Item::OnlyA(s))))
        .collect();
    a.sort_by_key(|(at, item)| (*at, matches!(item, Item::OnlyA(_))));
    // After which passage (by index) each of B's spans comes.
    let mut after: Vec<Vec<&Span>> = vec![Vec::new(); e.passages.len() + 1];
    for s in &e.only_b {
        let prev = e
            .passages
            .iter()
            .enumerate()
            .filter(|(_, p)| p.b_end <= s.start)
            .max_by_key(|(_, p)| p.b_end)
            .map_or(0, |(i, _)| i + 1);
        after[prev].push(s);
    }
    let mut out: Vec<Item<'_>> = after[0].iter().map(|s| Item::OnlyB(s)).collect();
    for (_, item) in a {
        let follow = match item {
            Item::Passage(i, _) => Some(i),
            _ => None,
        };
        out.push(item);
        if let Some(i) = follow {
            out.extend(after[i + 1].iter().map(|s| Item::OnlyB(s)));
        }
    }
    out
}

/// The shared passages of two documents as aligned excerpts, with their
/// edits and what each copy adds, for a terminal (ANSI colour when
/// `color`).
///
/// See the [module documentation](super) for the layout and the markers.
///
/// # Errors
///
/// The first error of `w`.
pub fn write_explain_text(
    w: &mut dyn Write,
    a: ReportDoc<'_>,
    b: ReportDoc<'_>,
    e: &Explanation,
    color: bool,
) -> io::Result<()> {
    let st = Styled { color };
    for (side, d) in [(Side::A, a), (Side::B, b)] {
        let style = if side == Side::A { ANSI_A } else { ANSI_B };
        writeln!(
            w,
            "{}  {}  ({})",
            st.paint(style, side.upper()),
            st.paint(ANSI_BOLD, &OneLine(d.id).to_string()),
            count(d.text.len(), "byte")
        )?;
    }
    writeln!(
        w,
        "Scores: Jaccard {:.4}, containment {:.4} ({}, as a scan scores the pair)",
        e.jaccard,
        e.containment,
        score_basis(e)
    )?;
    if e.refused_by_figures() {
        writeln!(
            w,
            "Refused: figures (not a copy whatever the scores: of the figures both texts \
             report in the same words, {} of {} agree; template siblings)",
            e.figures.agreeing,
            e.figures.counted_a.min(e.figures.counted_b)
        )?;
    }
    if let Some(d) = e.digest.filter(|_| e.refused_as_digest()) {
        writeln!(
            w,
            "Refused: digest (not a copy whatever the scores: {} pastes the other text among \
             other timed items, {} and {} shingles of its own before and after it, {} foreign \
             timed blocks)",
            d.larger.to_uppercase(),
            d.before,
            d.after,
            d.foreign
        )?;
    }
    writeln!(
        w,
        "Passage coverage (words in shared passages): A {:.1}%, B {:.1}%; {}, {}.",
        100.0 * e.coverage_a,
        100.0 * e.coverage_b,
        count(e.passages.len(), "shared passage"),
        edits_summary(e)
    )?;
    let (del, ins) = if color {
        (st.paint(ANSI_A, "A's words"), st.paint(ANSI_B, "B's words"))
    } else {
        ("[-A's words-]".to_string(), "{+B's words+}".to_string())
    };
    writeln!(
        w,
        "Marks: {} shared passage N (A's words shown), {} only in A, {} only in B; \
         an edit shows {} and {}.",
        st.paint(ANSI_SHARED, "#N"),
        st.paint(ANSI_A, "-A"),
        st.paint(ANSI_B, "+B"),
        del,
        ins
    )?;
    writeln!(w)?;
    if e.passages.is_empty() {
        writeln!(w, "No shared passages.")?;
    }
    // The rank of each passage in the order of B, to flag moved ones.
    let mut by_b: Vec<usize> = (0..e.passages.len()).collect();
    by_b.sort_by_key(|&i| e.passages[i].b_start);
    let mut rank_b = vec![0; e.passages.len()];
    for (r, &i) in by_b.iter().enumerate() {
        rank_b[i] = r;
    }
    for item in items(e) {
        match item {
            Item::Passage(i, p) => {
                let mut head = format!(
                    "#{} shared  A {}..{} ~ B {}..{}  {}",
                    i + 1,
                    p.a_start,
                    p.a_end,
                    p.b_start,
                    p.b_end,
                    count(p.words, "word")
                );
                if !p.edits.is_empty() {
                    head.push_str(&format!(", {}", count(p.edits.len(), "edit")));
                }
                if rank_b[i] != i {
                    head.push_str(&format!("  (moved: #{} in the order of B)", rank_b[i] + 1));
                }
                writeln!(w, "{}", st.paint(ANSI_SHARED, &head))?;
                writeln!(w, "   {}", excerpt(slice(a.text, Side::A.passage(p))))?;
                for (k, d) in p.edits.iter().enumerate() {
                    writeln!(
                        w,
                        "   edit {}  A {}..{} ~ B {}..{}",
                        k + 1,
                        d.a_start,
                        d.a_end,
                        d.b_start,
                        d.b_end
                    )?;
                    for (side, doc) in [(Side::A, a), (Side::B, b)] {
                        let (ps, pe) = side.passage(p);
                        let (s, t) = side.edit(d);
                        let before = tail_words(slice(doc.text, (ps, s)), CONTEXT_WORDS);
                        let after = head_words(slice(doc.text, (t, pe)), CONTEXT_WORDS);
                        let words = one_line(slice(doc.text, (s, t)));
                        let mark = match (side, color) {
                            (_, _) if words.is_empty() => String::new(),
                            (Side::A, true) => st.paint(ANSI_A, &words),
                            (Side::B, true) => st.paint(ANSI_B, &words),
                            (Side::A, false) => format!("[-{words}-]"),
                            (Side::B, false) => format!("{{+{words}+}}"),
                        };
                        writeln!(w, "     {}  {before}{mark}{after}", side.upper())?;
                    }
                }
            }
            Item::OnlyA(s) | Item::OnlyB(s) => {
                let (side, doc, style) = match item {
                    Item::OnlyA(_) => (Side::A, a, ANSI_A),
                    _ => (Side::B, b, ANSI_B),
                };
                let text = slice(doc.text, (s.start, s.end));
                let sign = if side == Side::A { "-" } else { "+" };
                let head = format!(
                    "{sign}{} {}..{}  only in {}, {}",
                    side.upper(),
                    s.start,
                    s.end,
                    side.upper(),
                    count(crate::tokenize::tokenize(text).len(), "word")
                );
                writeln!(w, "{}", st.paint(style, &head))?;
                writeln!(w, "   {}", st.paint(ANSI_DIM, &excerpt(text)))?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excerpts_keep_both_ends_of_long_text() {
        let long: Vec<String> = (0..40).map(|i| format!("w{i}")).collect();
        let s = long.join(" \n ");
        let x = excerpt(&s);
        assert!(x.starts_with("w0 w1 ") && x.ends_with(" w38 w39"), "{x}");
        assert!(x.contains("w9 … w30"));
        assert_eq!(excerpt("a\tb\x1b c"), "a b\u{FFFD} c");
        assert_eq!(
            tail_words("one two three four five six seven ", 2),
            "…six seven "
        );
        assert_eq!(head_words(" one two three", 2), " one two…");
        assert_eq!(head_words("one", 5), "one");
    }
}
