//! Rendering explanations for people: terminal text, JSON and HTML.
//!
//! Every renderer shows one score, the scan's: [`Explanation::jaccard`] and
//! [`Explanation::containment`] of the pair's word-shingle sets (boilerplate
//! removed where a scan cut some). Passage coverage, the share of a copy's
//! words inside shared passages, is another measure and is always named as
//! such. Edits inside shared passages ([`crate::explain::Edit`]) are shown
//! as a darker mark inside the shared one.
//!
//! * [`write_explain_text`], for a terminal: a header with both ids, the
//!   scores and a one-line summary, then the shared passages as aligned
//!   excerpts in the order of A, each with its edits (the words of A and of
//!   B side by side in a few words of context, `[-A's words-]` and
//!   `{+B's words+}` without colour), and between them what each copy adds
//!   (`-A` only in A, `+B` only in B, where it sits). With colour (ANSI
//!   escapes), shared passages are green, A's words red and B's cyan.
//!   Control characters of the documents are shown as `U+FFFD` so that a
//!   document cannot drive the terminal.
//! * [`explain_json`], the same data for programs (byte offsets, no text).
//! * [`write_html_pair`], one self-contained page (inline CSS, no script, no
//!   network) with the scores, a strip of where the passages sit, and both
//!   texts side by side.
//! * [`write_html_report`] / [`write_html_report_with`], one self-contained
//!   page for a whole scan (see [`write_html_report_with`] for its
//!   layout): every cluster with its headline, score range and score
//!   table, each member side by side with the representative, each text
//!   stored once and rendered when opened, charts, and a contents table
//!   that sorts and filters.
//!
//! ```
//! use neardup::explain::{explain, AlignConfig};
//! use neardup::report::{write_explain_text, ReportDoc};
//!
//! let story = "Officials told EV makers to self-regulate and not to sell cars below cost.";
//! let a = ReportDoc { id: "wire.txt", text: story };
//! let copy = format!("Markets | {story}");
//! let b = ReportDoc { id: "outlet.txt", text: &copy };
//! let e = explain(a.text, b.text, &AlignConfig::default());
//!
//! let mut out = Vec::new();
//! write_explain_text(&mut out, a, b, &e, false)?;
//! let out = String::from_utf8(out).unwrap();
//! assert!(out.contains("#1 shared  A 0..73 ~ B 10..83  14 words\n"));
//! assert!(out.contains("+B 0..7  only in B, 1 word\n"));
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! # HTML structure of a pair
//!
//! The page of one pair and the views of a report mark a text the same way
//! (the report's script builds the same elements as [`write_html_pair`]).
//! Shared passage `N` of side `a` (or `b`) is `<mark class="shared"
//! id="{P}a-pN" data-passage="N">` (class `shared alt` for even `N`, a
//! second shade that shows where passages meet; `boilerplate` added when
//! the passage is mostly a scan's boilerplate) whose text is exactly
//! `&text[start..end]`; its first child is an empty `<a class="pn"
//! href="#{P}b-pN">` showing the number (through CSS, so that copying the
//! text does not copy the number) and jumping to the same passage in the
//! other copy. Each edit inside it is `<mark class="edit">` around this
//! side's words, or an empty `<mark class="edit gap">` where this side has
//! none; its `title` gives both sides' words. Spans only in one copy are
//! `<span class="only">`. Each whole text is in `<div class="text"
//! id="{P}a-text">` with `white-space: pre-wrap`. The prefix `{P}` is empty
//! on the page of one pair. Every text and id is escaped (`& < > " '`);
//! control characters other than tab, line feed, carriage return and form
//! feed become `U+FFFD`.

use crate::explain::{Explanation, Passage, Span};

mod charts;
mod html;
mod scan;
mod text;

use crate::output::OneLine;

pub use html::write_html_pair;
pub use scan::{write_html_report, write_html_report_with, ReportInfo, ReportOptions};
pub use text::write_explain_text;

/// A document to render: its id and its text exactly as read.
#[derive(Debug, Clone, Copy)]
pub struct ReportDoc<'a> {
    /// The document's id.
    pub id: &'a str,
    /// Its text.
    pub text: &'a str,
}

/// The JSON form of an explanation (`neardup explain --format json`); the
/// schema is [`crate::output::json::ExplainJson`].
pub use crate::output::json::explain_json;

// ---------------------------------------------------------------------------
// Cutting a text into pieces

/// One of the two documents of an explanation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    A,
    B,
}

impl Side {
    fn upper(self) -> &'static str {
        match self {
            Side::A => "A",
            Side::B => "B",
        }
    }

    /// The letter used in HTML ids.
    fn lower(self) -> &'static str {
        match self {
            Side::A => "a",
            Side::B => "b",
        }
    }

    fn other(self) -> Side {
        match self {
            Side::A => Side::B,
            Side::B => Side::A,
        }
    }

    fn coverage(self, e: &Explanation) -> f64 {
        match self {
            Side::A => e.coverage_a,
            Side::B => e.coverage_b,
        }
    }

    fn only(self, e: &Explanation) -> &[Span] {
        match self {
            Side::A => &e.only_a,
            Side::B => &e.only_b,
        }
    }

    /// The passage's byte range on this side.
    fn passage(self, p: &Passage) -> (usize, usize) {
        match self {
            Side::A => (p.a_start, p.a_end),
            Side::B => (p.b_start, p.b_end),
        }
    }

    /// The edit's byte range on this side (empty where this side has no
    /// words).
    fn edit(self, d: &crate::explain::Edit) -> (usize, usize) {
        match self {
            Side::A => (d.a_start, d.a_end),
            Side::B => (d.b_start, d.b_end),
        }
    }
}

/// What a piece of text is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Between marked ranges (whitespace and punctuation).
    Plain,
    /// Inside shared passage `N` (1-based, the passage's index + 1).
    Shared(usize),
    /// Inside a span only this side has.
    Only,
}

/// A run of text of one [`Kind`]: `text[start..end]`.
#[derive(Debug, Clone, Copy)]
struct Piece {
    kind: Kind,
    start: usize,
    end: usize,
}

/// Cuts `text` (side `side` of `e`) into pieces that cover it in order.
///
/// An explanation made by [`crate::explain::explain`] on this text has
/// sorted, disjoint ranges on char boundaries; anything else is tolerated
/// without panicking: a range out of bounds or not on char boundaries is
/// ignored and the part of a range that overlaps an earlier one is dropped.
fn pieces(text: &str, e: &Explanation, side: Side) -> Vec<Piece> {
    let mut marks: Vec<(usize, usize, Kind)> =
        Vec::with_capacity(e.passages.len() + side.only(e).len());
    for (i, p) in e.passages.iter().enumerate() {
        let (s, t) = side.passage(p);
        marks.push((s, t, Kind::Shared(i + 1)));
    }
    marks.extend(side.only(e).iter().map(|s| (s.start, s.end, Kind::Only)));
    // Stable: equal ranges keep passages before spans.
    marks.sort_by_key(|&(s, t, _)| (s, t));

    let mut out = Vec::with_capacity(2 * marks.len() + 1);
    let mut at = 0;
    for (start, end, kind) in marks {
        let start = start.max(at);
        if start >= end || !valid(text, start, end) {
            continue;
        }
        if start > at {
            out.push(Piece {
                kind: Kind::Plain,
                start: at,
                end: start,
            });
        }
        out.push(Piece { kind, start, end });
        at = end;
    }
    if at < text.len() {
        out.push(Piece {
            kind: Kind::Plain,
            start: at,
            end: text.len(),
        });
    }
    out
}

/// Whether `start..end` is a range of `text` on char boundaries.
fn valid(text: &str, start: usize, end: usize) -> bool {
    start <= end && end <= text.len() && text.is_char_boundary(start) && text.is_char_boundary(end)
}

/// A part of a shared piece: plain shared text, or one edit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
    /// Shared words, `start..end`.
    Same(usize, usize),
    /// Edit `i` of the passage, `start..end` on this side (empty where this
    /// side has no words).
    Edit(usize, usize, usize),
}

/// Cuts a shared piece (`piece.start..piece.end`, passage `p`) into its
/// edits and the text around them, in order. Edits outside the piece, out
/// of order or not on char boundaries are left out.
fn parts(text: &str, piece: &Piece, p: &Passage, side: Side) -> Vec<Part> {
    let mut out = Vec::with_capacity(2 * p.edits.len() + 1);
    let mut at = piece.start;
    for (i, d) in p.edits.iter().enumerate() {
        let (s, t) = side.edit(d);
        if s < at || t > piece.end || !valid(text, s, t) {
            continue;
        }
        if s > at {
            out.push(Part::Same(at, s));
        }
        out.push(Part::Edit(i, s, t));
        at = t;
    }
    if at < piece.end {
        out.push(Part::Same(at, piece.end));
    }
    out
}

/// `"1 word"`, `"2 words"`.
fn count(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("{n} {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// `"3 edits inside shared text (4 words)"`, or `"no edit inside shared
/// text"`.
fn edits_summary(e: &Explanation) -> String {
    match e.edits() {
        0 => "no edit inside shared text".to_string(),
        n => format!(
            "{} inside shared text ({})",
            count(n, "edit"),
            count(e.edited_words, "word")
        ),
    }
}

/// What the scores are, in a few words: `"word 4-shingles, boilerplate
/// removed"`.
fn score_basis(e: &Explanation) -> String {
    format!(
        "word {}-shingles{}",
        e.shingle,
        if e.boilerplate_cut {
            ", boilerplate removed"
        } else {
            ""
        }
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::explain::{explain, AlignConfig};

    #[test]
    fn parts_cut_a_passage_at_its_edits() {
        let a = "one two three four five 323 six seven eight nine ten";
        let b = "one two three four five 523 six seven eight nine ten";
        let e = explain(a, b, &AlignConfig::default());
        let ps = pieces(a, &e, Side::A);
        assert_eq!(ps.len(), 1);
        let got: Vec<Part> = parts(a, &ps[0], &e.passages[0], Side::A);
        let at = a.find("323").unwrap();
        assert_eq!(
            got,
            [
                Part::Same(0, at),
                Part::Edit(0, at, at + 3),
                Part::Same(at + 3, a.len())
            ]
        );
    }
}
