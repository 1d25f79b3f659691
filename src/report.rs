//! Rendering explanations for people: terminal text, JSON and HTML.
//!
//! The text and HTML renderers walk each text once, cut into pieces by the
//! byte ranges of an [`Explanation`]: text inside a shared passage, text
//! inside a span that only this copy has, and the rest (the whitespace and
//! punctuation between them). The pieces cover the whole text in order, so a document is always
//! printed in full and nothing is printed twice.
//!
//! * [`write_explain_text`], for a terminal. A header with both ids and the
//!   scores, the list of shared passages (`#1 A 164..381 ~ B 141..358 (34
//!   words)`), the spans only one copy has with a short excerpt, then
//!   document A and document B in full. Without colour, passage `N` is
//!   written `[=N ...=]` in both documents and a span only in this copy
//!   `[+...+]`; with colour (ANSI escapes), shared passages are green and
//!   preceded by a bold `[N]`, spans only in this copy red. Control
//!   characters of the documents are shown as `U+FFFD` so that a document
//!   cannot drive the terminal.
//! * [`explain_json`], the same data for programs (byte offsets, no text).
//! * [`write_html_pair`], one self-contained page (inline CSS, no script, no
//!   network) with the scores and both texts side by side.
//! * [`write_html_report`], one self-contained page for a whole scan: counts,
//!   a table of contents of the clusters, and each cluster with its members
//!   and its verified pairs rendered as in [`write_html_pair`].
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
//! assert!(out.contains("  #1 A 0..73 ~ B 10..83 (14 words)\n"));
//! assert!(out.contains("\n[+Markets+] | [=1 Officials told EV makers to self-regulate"));
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! # HTML structure
//!
//! Both HTML renderers use one function for a pair, so their markup is the
//! same. Shared passage `N` of side `a` (or `b`) is
//! `<mark class="shared" id="{P}a-pN" data-passage="N">` (class `shared alt`
//! for even `N`, a second shade that shows where passages meet) whose text is
//! exactly `&text[start..end]`; its first child is an empty
//! `<a class="pn" href="#{P}b-pN">` showing the number (through CSS, so that
//! copying the text does not copy the number) and jumping to the same
//! passage in the other copy. Spans only in one copy are
//! `<span class="only">`. Each whole text is in `<div class="text"
//! id="{P}a-text">` with `white-space: pre-wrap`. The prefix `{P}` is empty
//! on the page of one pair and `pair-C-I-` in a report, where `#pair-C-I` is
//! pair `I` of cluster `C` and `#cluster-C` the cluster. Every text and id is
//! escaped (`& < > " '`); control characters other than tab, line feed,
//! carriage return and form feed become `U+FFFD`.
//!
//! # Size of a report
//!
//! A report renders at most [`MAX_PAIRS_PER_CLUSTER`] pairs of each cluster
//! and [`MAX_PAIRS_TOTAL`] pairs in all, and says how many it left out. Its
//! output depends only on its input: no date, no path other than the ids.

use std::collections::BTreeMap;
use std::fmt;
use std::io::{self, Write};

use crate::engine::{Cluster, ScanResult};
use crate::explain::{AlignConfig, Explanation, Span};

/// Most pairs of one cluster whose texts a report renders.
pub const MAX_PAIRS_PER_CLUSTER: usize = 50;

/// Most pairs whose texts a report renders in all, over every cluster.
pub const MAX_PAIRS_TOTAL: usize = 500;

/// Most member ids listed for one cluster in a report's table of contents
/// (the cluster's own section lists them all).
const MAX_TOC_MEMBERS: usize = 10;

/// Characters of a span's excerpt in the text format.
const EXCERPT_CHARS: usize = 60;

/// A document to render: its id and its text exactly as read.
#[derive(Debug, Clone, Copy)]
pub struct ReportDoc<'a> {
    /// The document's id.
    pub id: &'a str,
    /// Its text.
    pub text: &'a str,
}

/// The JSON form of an explanation (`neardup explain --format json`):
/// `{"a": {"id", "bytes"}, "b": {...}, "jaccard", "containment",
/// "coverage_a", "coverage_b", "passages": [...], "only_a": [...],
/// "only_b": [...]}`.
pub fn explain_json(a: ReportDoc<'_>, b: ReportDoc<'_>, e: &Explanation) -> serde_json::Value {
    #[derive(serde::Serialize)]
    struct Doc<'a> {
        id: &'a str,
        bytes: usize,
    }
    #[derive(serde::Serialize)]
    struct Out<'a> {
        a: Doc<'a>,
        b: Doc<'a>,
        jaccard: f64,
        containment: f64,
        coverage_a: f64,
        coverage_b: f64,
        passages: &'a [crate::explain::Passage],
        only_a: &'a [crate::explain::Span],
        only_b: &'a [crate::explain::Span],
    }
    let r = crate::output::round4;
    serde_json::to_value(Out {
        a: Doc {
            id: a.id,
            bytes: a.text.len(),
        },
        b: Doc {
            id: b.id,
            bytes: b.text.len(),
        },
        jaccard: r(e.jaccard),
        containment: r(e.containment),
        coverage_a: r(e.coverage_a),
        coverage_b: r(e.coverage_b),
        passages: &e.passages,
        only_a: &e.only_a,
        only_b: &e.only_b,
    })
    .expect("plain data serializes")
}

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

/// A run of text of one [`Kind`].
#[derive(Debug, Clone, Copy)]
struct Piece<'t> {
    kind: Kind,
    text: &'t str,
}

/// Cuts `text` (side `side` of `e`) into pieces that cover it in order.
///
/// An explanation made by [`crate::explain::explain`] on this text has
/// sorted, disjoint ranges on char boundaries; anything else is tolerated
/// without panicking: a range out of bounds or not on char boundaries is
/// ignored and the part of a range that overlaps an earlier one is dropped.
fn pieces<'t>(text: &'t str, e: &Explanation, side: Side) -> Vec<Piece<'t>> {
    let mut marks: Vec<(usize, usize, Kind)> =
        Vec::with_capacity(e.passages.len() + side.only(e).len());
    for (i, p) in e.passages.iter().enumerate() {
        let (s, t) = match side {
            Side::A => (p.a_start, p.a_end),
            Side::B => (p.b_start, p.b_end),
        };
        marks.push((s, t, Kind::Shared(i + 1)));
    }
    marks.extend(side.only(e).iter().map(|s| (s.start, s.end, Kind::Only)));
    // Stable: equal ranges keep passages before spans.
    marks.sort_by_key(|&(s, t, _)| (s, t));

    let mut out = Vec::with_capacity(2 * marks.len() + 1);
    let mut at = 0;
    for (start, end, kind) in marks {
        let start = start.max(at);
        if start >= end
            || end > text.len()
            || !text.is_char_boundary(start)
            || !text.is_char_boundary(end)
        {
            continue;
        }
        if start > at {
            out.push(Piece {
                kind: Kind::Plain,
                text: &text[at..start],
            });
        }
        out.push(Piece {
            kind,
            text: &text[start..end],
        });
        at = end;
    }
    if at < text.len() {
        out.push(Piece {
            kind: Kind::Plain,
            text: &text[at..],
        });
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

// ---------------------------------------------------------------------------
// Terminal text

const ANSI_SHARED: &str = "\x1b[32m";
const ANSI_SHARED_NUM: &str = "\x1b[1;32m";
const ANSI_ONLY: &str = "\x1b[31m";
const ANSI_BOLD: &str = "\x1b[1m";
const ANSI_RESET: &str = "\x1b[0m";

/// Displays a one-line string (an id) with every control character shown
/// as `U+FFFD`.
struct OneLine<'a>(&'a str);

impl fmt::Display for OneLine<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.0;
        let mut last = 0;
        for (i, c) in s.char_indices() {
            if c.is_control() {
                f.write_str(&s[last..i])?;
                f.write_str("\u{FFFD}")?;
                last = i + c.len_utf8();
            }
        }
        f.write_str(&s[last..])
    }
}

/// Writes document text for a terminal in `style` (an ANSI sequence, or
/// none). Tabs, line feeds and the carriage return of a CRLF are kept; other
/// control characters are shown as `U+FFFD`. A style is applied line by
/// line (closed before each line feed, for pagers that reset at line ends)
/// and not at all to empty lines.
fn write_term(w: &mut dyn Write, s: &str, style: Option<&str>) -> io::Result<()> {
    let mut lines = s.split('\n').peekable();
    while let Some(line) = lines.next() {
        let last = lines.peek().is_none();
        let (body, cr) = match line.strip_suffix('\r') {
            Some(body) if !last => (body, "\r"),
            _ => (line, ""),
        };
        if !body.is_empty() {
            if let Some(style) = style {
                w.write_all(style.as_bytes())?;
            }
            let mut from = 0;
            for (i, c) in body.char_indices() {
                if c.is_control() && c != '\t' {
                    w.write_all(&body.as_bytes()[from..i])?;
                    w.write_all("\u{FFFD}".as_bytes())?;
                    from = i + c.len_utf8();
                }
            }
            w.write_all(&body.as_bytes()[from..])?;
            if style.is_some() {
                w.write_all(ANSI_RESET.as_bytes())?;
            }
        }
        w.write_all(cr.as_bytes())?;
        if !last {
            w.write_all(b"\n")?;
        }
    }
    Ok(())
}

/// The first [`EXCERPT_CHARS`] characters of `s` with runs of whitespace
/// collapsed to one space and control characters shown as `U+FFFD`, and `…`
/// when cut.
fn excerpt(s: &str) -> String {
    let mut out = String::new();
    let mut n = 0;
    for word in s.split_whitespace() {
        for c in (n > 0).then_some(' ').into_iter().chain(word.chars()) {
            if n == EXCERPT_CHARS {
                out.push('…');
                return out;
            }
            out.push(if c.is_control() { '\u{FFFD}' } else { c });
            n += 1;
        }
    }
    out
}

/// Both documents with shared passages and unique spans marked, plus the
/// scores, for a terminal (ANSI colour when `color`).
///
/// See the [module documentation](self) for the layout and the markers.
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
    for (side, d) in [(Side::A, a), (Side::B, b)] {
        writeln!(
            w,
            "{}: {} ({})",
            side.upper(),
            OneLine(d.id),
            count(d.text.len(), "byte")
        )?;
    }
    writeln!(
        w,
        "jaccard {:.2}  containment {:.2}  coverage_a {:.2}  coverage_b {:.2}",
        e.jaccard, e.containment, e.coverage_a, e.coverage_b
    )?;
    writeln!(w)?;

    if e.passages.is_empty() {
        writeln!(w, "No shared passages.")?;
    } else {
        writeln!(w, "Shared passages ({}):", e.passages.len())?;
        for (i, p) in e.passages.iter().enumerate() {
            writeln!(
                w,
                "  #{} A {}..{} ~ B {}..{} ({})",
                i + 1,
                p.a_start,
                p.a_end,
                p.b_start,
                p.b_end,
                count(p.words, "word")
            )?;
        }
    }
    for (side, d) in [(Side::A, a), (Side::B, b)] {
        let spans = side.only(e);
        if spans.is_empty() {
            writeln!(w, "Only in {}: nothing.", side.upper())?;
            continue;
        }
        writeln!(
            w,
            "Only in {} ({}):",
            side.upper(),
            count(spans.len(), "span")
        )?;
        for s in spans {
            let text = d.text.get(s.range()).unwrap_or("");
            writeln!(
                w,
                "  {} {}..{} \"{}\"",
                side.upper(),
                s.start,
                s.end,
                excerpt(text)
            )?;
        }
    }
    writeln!(w)?;
    if color {
        writeln!(
            w,
            "Marks: {ANSI_SHARED_NUM}[N]{ANSI_RESET}{ANSI_SHARED}green{ANSI_RESET} passage N, \
             shared with the other copy; {ANSI_ONLY}red{ANSI_RESET} only in this copy."
        )?;
    } else {
        writeln!(
            w,
            "Marks: [=N ...=] passage N, shared with the other copy; [+...+] only in this copy."
        )?;
    }

    for (side, d) in [(Side::A, a), (Side::B, b)] {
        writeln!(w)?;
        let heading = format!("=== {}: {} ===", side.upper(), OneLine(d.id));
        if color {
            writeln!(w, "{ANSI_BOLD}{heading}{ANSI_RESET}")?;
        } else {
            writeln!(w, "{heading}")?;
        }
        for piece in pieces(d.text, e, side) {
            match (piece.kind, color) {
                (Kind::Plain, _) => write_term(w, piece.text, None)?,
                (Kind::Shared(n), true) => {
                    write!(w, "{ANSI_SHARED_NUM}[{n}]{ANSI_RESET}")?;
                    write_term(w, piece.text, Some(ANSI_SHARED))?;
                }
                (Kind::Shared(n), false) => {
                    write!(w, "[={n} ")?;
                    write_term(w, piece.text, None)?;
                    w.write_all(b"=]")?;
                }
                (Kind::Only, true) => write_term(w, piece.text, Some(ANSI_ONLY))?,
                (Kind::Only, false) => {
                    w.write_all(b"[+")?;
                    write_term(w, piece.text, None)?;
                    w.write_all(b"+]")?;
                }
            }
        }
        if !d.text.ends_with('\n') {
            writeln!(w)?;
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// HTML

/// Displays a string escaped for HTML text and attribute values.
struct Html<'a>(&'a str);

impl fmt::Display for Html<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.0;
        let mut last = 0;
        for (i, byte) in s.bytes().enumerate() {
            let rep = match byte {
                b'&' => "&amp;",
                b'<' => "&lt;",
                b'>' => "&gt;",
                b'"' => "&quot;",
                b'\'' => "&#39;",
                b'\t' | b'\n' | b'\r' | 0x0c => continue,
                0..=0x1f | 0x7f => "\u{FFFD}",
                _ => continue,
            };
            // `byte` is ASCII, so `i` and `i + 1` are char boundaries.
            f.write_str(&s[last..i])?;
            f.write_str(rep)?;
            last = i + 1;
        }
        f.write_str(&s[last..])
    }
}

const CSS: &str = r#"
:root { color-scheme: light; --ink: #1f2328; --muted: #59636e; --line: #d1d9e0;
  --shared: #c6efce; --shared-alt: #a7e0b5; --shared-dark: #1a7f37;
  --only: #ffd8d3; --only-dark: #cf222e; --link: #0550ae; }
* { box-sizing: border-box; }
html { scroll-padding-top: 1rem; }
body { margin: 0 auto; max-width: 1700px; padding: 1rem 1.5rem 4rem; color: var(--ink);
  background: #fff; font: 15px/1.55 system-ui, -apple-system, "Segoe UI", Roboto,
  "Noto Sans", "Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei", sans-serif; }
h1 { font-size: 1.5rem; margin: .3rem 0 .6rem; overflow-wrap: anywhere; }
h2 { font-size: 1.25rem; margin: 2.2rem 0 .6rem; padding-bottom: .25rem;
  border-bottom: 2px solid var(--line); overflow-wrap: anywhere; }
h3 { font-size: 1.05rem; margin: 1.6rem 0 .4rem; overflow-wrap: anywhere; }
a { color: var(--link); }
.meta, .nav { color: var(--muted); font-size: .9rem; font-weight: normal; }
.nav { margin-left: .6em; white-space: nowrap; }
table { border-collapse: collapse; margin: .4rem 0 .8rem; }
th, td { text-align: left; vertical-align: top; padding: .2rem 1rem .2rem 0;
  border-bottom: 1px solid #eaeef2; overflow-wrap: anywhere; }
th { font-weight: 600; }
.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.legend { margin: .4rem 0 1rem; }
.legend mark, .legend .only { padding: 0 .35em; }
.pair { margin-top: 1.2rem; }
details.passages { margin: .2rem 0 .8rem; }
details.passages summary { cursor: pointer; color: var(--muted); }
.cols { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); gap: 1.2rem;
  align-items: start; }
@media (max-width: 800px) { .cols { grid-template-columns: minmax(0, 1fr); } }
.doc { min-width: 0; border: 1px solid var(--line); border-radius: 6px; padding: .6rem .9rem .9rem; }
.doc h4 { margin: 0; font-size: 1rem; overflow-wrap: anywhere; }
.doc .meta { margin: .1rem 0 .6rem; }
.side { display: inline-block; margin-right: .45em; padding: 0 .45em; border-radius: 4px;
  background: #424a53; color: #fff; font-size: .85em; }
.text { white-space: pre-wrap; overflow-wrap: anywhere; }
.text:empty::before { content: "(empty text)"; color: var(--muted); font-style: italic; }
mark.shared { background: var(--shared); color: inherit; border-radius: 2px; }
mark.shared.alt { background: var(--shared-alt); }
mark.shared.boilerplate { background: #e4e4e4; border: 1px dashed #888; }
mark.shared:target { outline: 3px solid var(--shared-dark); outline-offset: 1px; }
a.pn { display: inline-block; min-width: 1.5em; margin-right: .3em; padding: 0 .35em;
  border-radius: .8em; background: var(--shared-dark); color: #fff; font-size: .72em;
  font-weight: 600; line-height: 1.45; text-align: center; text-decoration: none;
  vertical-align: .12em; white-space: nowrap; }
a.pn::before { content: attr(data-n); }
.only { background: var(--only); border-bottom: 2px solid var(--only-dark); }
.unavailable { color: #9a6700; }
.omitted { color: var(--muted); font-style: italic; }
"#;

/// Writes the start of a page, up to and including `<body>`.
fn page_start(w: &mut dyn Write, title: &str) -> io::Result<()> {
    writeln!(w, "<!doctype html>")?;
    writeln!(w, "<html lang=\"en\">")?;
    writeln!(w, "<head>")?;
    writeln!(w, "<meta charset=\"utf-8\">")?;
    writeln!(
        w,
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
    )?;
    writeln!(w, "<meta name=\"generator\" content=\"neardup\">")?;
    writeln!(w, "<title>{}</title>", Html(title))?;
    writeln!(w, "<style>{CSS}</style>")?;
    writeln!(w, "</head>")?;
    writeln!(w, "<body>")
}

fn page_end(w: &mut dyn Write) -> io::Result<()> {
    writeln!(w, "</body>")?;
    writeln!(w, "</html>")
}

fn write_legend(w: &mut dyn Write) -> io::Result<()> {
    writeln!(
        w,
        "<p class=\"legend\"><mark class=\"shared\">shared passage</mark> \
         (its number links to the same passage in the other copy) \
         &middot; <span class=\"only\">only in this copy</span> \
         &middot; <mark class=\"shared boilerplate\">shared boilerplate</mark> \
         (mostly text found on many unrelated pages of the scan)</p>"
    )
}

/// The scores, the passage list and both texts side by side; every id
/// starts with `prefix`. The one rendering of a pair, used by both
/// [`write_html_pair`] and [`write_html_report`].
///
/// `boilerplate[i]` marks passage `i + 1` as mostly corpus boilerplate
/// (empty when unknown, as for a single pair).
fn write_pair_body(
    w: &mut dyn Write,
    a: ReportDoc<'_>,
    b: ReportDoc<'_>,
    e: &Explanation,
    prefix: &str,
    boilerplate: &[bool],
) -> io::Result<()> {
    writeln!(
        w,
        "<table class=\"scores\"><tr><th class=\"num\">Jaccard</th>\
         <th class=\"num\">Containment</th><th class=\"num\">Coverage A</th>\
         <th class=\"num\">Coverage B</th><th class=\"num\">Passages</th></tr>"
    )?;
    writeln!(
        w,
        "<tr><td class=\"num\">{:.4}</td><td class=\"num\">{:.4}</td>\
         <td class=\"num\">{:.4}</td><td class=\"num\">{:.4}</td>\
         <td class=\"num\">{}</td></tr></table>",
        e.jaccard,
        e.containment,
        e.coverage_a,
        e.coverage_b,
        e.passages.len()
    )?;
    if !e.passages.is_empty() {
        writeln!(
            w,
            "<details class=\"passages\"><summary>{}, {} only in A, {} only in B</summary>",
            count(e.passages.len(), "shared passage"),
            count(e.only_a.len(), "span"),
            count(e.only_b.len(), "span")
        )?;
        writeln!(
            w,
            "<table><tr><th>#</th><th>A bytes</th><th>B bytes</th><th class=\"num\">Words</th></tr>"
        )?;
        for (i, p) in e.passages.iter().enumerate() {
            let n = i + 1;
            writeln!(
                w,
                "<tr><td>{n}</td><td><a href=\"#{prefix}a-p{n}\">{}..{}</a></td>\
                 <td><a href=\"#{prefix}b-p{n}\">{}..{}</a></td><td class=\"num\">{}</td></tr>",
                p.a_start, p.a_end, p.b_start, p.b_end, p.words
            )?;
        }
        writeln!(w, "</table></details>")?;
    }
    writeln!(w, "<div class=\"cols\">")?;
    write_doc_html(w, Side::A, a, e, prefix, boilerplate)?;
    write_doc_html(w, Side::B, b, e, prefix, boilerplate)?;
    writeln!(w, "</div>")
}

/// One column: a document with its passages and unique spans marked.
fn write_doc_html(
    w: &mut dyn Write,
    side: Side,
    d: ReportDoc<'_>,
    e: &Explanation,
    prefix: &str,
    boilerplate: &[bool],
) -> io::Result<()> {
    let (s, other) = (side.lower(), side.other());
    writeln!(w, "<div class=\"doc doc-{s}\">")?;
    writeln!(
        w,
        "<h4><span class=\"side\">{}</span>{}</h4>",
        side.upper(),
        Html(d.id)
    )?;
    writeln!(
        w,
        "<p class=\"meta\">{} &middot; {:.1}% in shared passages &middot; {} only here</p>",
        count(d.text.len(), "byte"),
        100.0 * side.coverage(e),
        count(side.only(e).len(), "span")
    )?;
    write!(w, "<div class=\"text\" id=\"{prefix}{s}-text\">")?;
    for piece in pieces(d.text, e, side) {
        match piece.kind {
            Kind::Plain => write!(w, "{}", Html(piece.text))?,
            Kind::Shared(n) => write!(
                w,
                "<mark class=\"shared{alt}{bp}\" id=\"{prefix}{s}-p{n}\" data-passage=\"{n}\">\
                 <a class=\"pn\" href=\"#{prefix}{o}-p{n}\" data-n=\"{n}\" \
                 title=\"passage {n}: go to it in {O}\" aria-label=\"passage {n} in {O}\"></a>\
                 {text}</mark>",
                alt = if n % 2 == 0 { " alt" } else { "" },
                bp = if boilerplate.get(n - 1).copied().unwrap_or(false) {
                    " boilerplate"
                } else {
                    ""
                },
                o = other.lower(),
                O = other.upper(),
                text = Html(piece.text),
            )?,
            Kind::Only => write!(
                w,
                "<span class=\"only\" title=\"only in {}\">{}</span>",
                side.upper(),
                Html(piece.text)
            )?,
        }
    }
    writeln!(w, "</div>")?;
    writeln!(w, "</div>")
}

/// A self-contained HTML page for one pair (`neardup explain --format html`).
///
/// See the [module documentation](self) for its structure; ids have no
/// prefix (`a-p1`, `b-p1`, `a-text`).
///
/// # Errors
///
/// The first error of `w`.
pub fn write_html_pair(
    w: &mut dyn Write,
    a: ReportDoc<'_>,
    b: ReportDoc<'_>,
    e: &Explanation,
) -> io::Result<()> {
    page_start(w, &format!("neardup: {} ~ {}", a.id, b.id))?;
    writeln!(w, "<h1>{} ~ {}</h1>", Html(a.id), Html(b.id))?;
    write_legend(w)?;
    write_pair_body(w, a, b, e, "", &[])?;
    page_end(w)
}

/// A self-contained HTML report of a scan (`neardup scan --report`): the
/// clusters, and for each pair the two texts side by side. `load` returns a
/// document's text by index (None when it cannot be read again).
///
/// Each pair is aligned with [`crate::explain::explain`] under `cfg`. See
/// the [module documentation](self) for the structure and the limits.
///
/// # Errors
///
/// The first error of `w`.
pub fn write_html_report(
    w: &mut dyn Write,
    result: &ScanResult,
    load: &dyn Fn(usize) -> Option<String>,
    cfg: &AlignConfig,
) -> io::Result<()> {
    let id = |d: usize| result.docs[d].id.as_str();
    let clustered: usize = result.clusters.iter().map(|c| c.docs.len()).sum();
    let pairs: usize = result.clusters.iter().map(|c| c.pairs.len()).sum();

    page_start(w, "neardup report")?;
    writeln!(w, "<header>")?;
    writeln!(w, "<h1>neardup report</h1>")?;
    write!(
        w,
        "<p class=\"counts\">{} &middot; {} ({} in clusters) &middot; {} &middot; {}",
        count(result.docs.len(), "document"),
        count(result.clusters.len(), "cluster"),
        count(clustered, "document"),
        count(pairs, "verified pair"),
        count(result.singletons.len(), "single document")
    )?;
    if !result.skipped.is_empty() {
        write!(
            w,
            " &middot; {} skipped",
            count(result.skipped.len(), "input")
        )?;
    }
    writeln!(w, "</p>")?;
    write_legend(w)?;
    writeln!(w, "</header>")?;

    writeln!(w, "<nav id=\"toc\">")?;
    writeln!(w, "<h2>Clusters</h2>")?;
    if result.clusters.is_empty() {
        writeln!(w, "<p>No near-duplicates found.</p>")?;
    } else {
        writeln!(
            w,
            "<table class=\"toc\"><tr><th>Cluster</th><th class=\"num\">Size</th>\
             <th>Representative</th><th>Members</th></tr>"
        )?;
        for c in &result.clusters {
            write!(
                w,
                "<tr><td><a href=\"#cluster-{n}\">Cluster {n}</a></td><td class=\"num\">{}</td>\
                 <td>{}</td><td>",
                c.docs.len(),
                Html(id(c.representative)),
                n = c.id
            )?;
            for (i, &d) in c.docs.iter().take(MAX_TOC_MEMBERS).enumerate() {
                let sep = if i > 0 { ", " } else { "" };
                write!(w, "{sep}{}", Html(id(d)))?;
            }
            if c.docs.len() > MAX_TOC_MEMBERS {
                write!(w, " and {} more", c.docs.len() - MAX_TOC_MEMBERS)?;
            }
            writeln!(w, "</td></tr>")?;
        }
        writeln!(w, "</table>")?;
    }
    writeln!(w, "</nav>")?;

    let mut budget = MAX_PAIRS_TOTAL;
    for c in &result.clusters {
        let shown = c.pairs.len().min(MAX_PAIRS_PER_CLUSTER).min(budget);
        budget -= shown;
        write_cluster(w, result, c, shown, load, cfg)?;
    }
    page_end(w)
}

/// One cluster's section, rendering the texts of its first `shown` pairs.
fn write_cluster(
    w: &mut dyn Write,
    result: &ScanResult,
    c: &Cluster,
    shown: usize,
    load: &dyn Fn(usize) -> Option<String>,
    cfg: &AlignConfig,
) -> io::Result<()> {
    let id = |d: usize| result.docs[d].id.as_str();
    let n = c.id;
    writeln!(w, "<section class=\"cluster\" id=\"cluster-{n}\">")?;
    writeln!(
        w,
        "<h2>Cluster {n} <span class=\"meta\">{}, {}</span>\
         <span class=\"nav\"><a href=\"#toc\">&uarr; contents</a></span></h2>",
        count(c.docs.len(), "document"),
        count(c.pairs.len(), "verified pair")
    )?;
    writeln!(
        w,
        "<table class=\"members\"><tr><th>Document</th><th class=\"num\">Words</th>\
         <th class=\"num\">Bytes</th><th></th></tr>"
    )?;
    for &d in &c.docs {
        let info = &result.docs[d];
        writeln!(
            w,
            "<tr><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td></tr>",
            Html(&info.id),
            info.words,
            info.bytes,
            if d == c.representative {
                "representative"
            } else {
                ""
            }
        )?;
    }
    writeln!(w, "</table>")?;

    if shown > 0 {
        writeln!(
            w,
            "<table class=\"pairs\"><tr><th>Pair</th><th>A</th><th>B</th>\
             <th class=\"num\">Jaccard</th><th class=\"num\">Containment</th></tr>"
        )?;
        for (i, p) in c.pairs[..shown].iter().enumerate() {
            writeln!(
                w,
                "<tr><td><a href=\"#pair-{n}-{i}\">{n}-{i}</a></td><td>{}</td><td>{}</td>\
                 <td class=\"num\">{:.4}</td><td class=\"num\">{:.4}</td></tr>",
                Html(id(p.a)),
                Html(id(p.b)),
                p.jaccard,
                p.containment
            )?;
        }
        writeln!(w, "</table>")?;
    }

    // Each member's text is read once per cluster, for at most 2 * shown
    // documents.
    let mut texts: BTreeMap<usize, Option<String>> = BTreeMap::new();
    for (i, p) in c.pairs[..shown].iter().enumerate() {
        for d in [p.a, p.b] {
            texts.entry(d).or_insert_with(|| load(d));
        }
        writeln!(w, "<section class=\"pair\" id=\"pair-{n}-{i}\">")?;
        writeln!(
            w,
            "<h3>Pair {n}-{i}: {} ~ {}<span class=\"nav\"><a href=\"#cluster-{n}\">&uarr; cluster {n}</a> \
             &middot; <a href=\"#toc\">&uarr; contents</a></span></h3>",
            Html(id(p.a)),
            Html(id(p.b))
        )?;
        writeln!(
            w,
            "<p class=\"meta\">Scan scores (boilerplate removed): Jaccard {:.4}, containment {:.4}. \
             Text alignment below.</p>",
            p.jaccard, p.containment
        )?;
        match (&texts[&p.a], &texts[&p.b]) {
            (Some(ta), Some(tb)) => {
                let e = crate::explain::explain(ta, tb, cfg);
                let a = ReportDoc {
                    id: id(p.a),
                    text: ta,
                };
                let b = ReportDoc {
                    id: id(p.b),
                    text: tb,
                };
                let marks: Vec<bool> = e
                    .passages
                    .iter()
                    .map(|q| {
                        crate::explain::boilerplate_share(
                            ta,
                            q.a_start,
                            q.a_end,
                            cfg.shingle,
                            &result.boilerplate,
                        ) >= 0.5
                    })
                    .collect();
                write_pair_body(w, a, b, &e, &format!("pair-{n}-{i}-"), &marks)?;
            }
            (ta, tb) => {
                for (d, t) in [(p.a, ta), (p.b, tb)] {
                    if t.is_none() {
                        writeln!(
                            w,
                            "<p class=\"unavailable\">The text of {} is unavailable \
                             (it could not be read again).</p>",
                            Html(id(d))
                        )?;
                    }
                }
            }
        }
        writeln!(w, "</section>")?;
    }
    let omitted = c.pairs.len() - shown;
    if omitted > 0 {
        let why = if shown == MAX_PAIRS_PER_CLUSTER {
            format!("a report shows at most {MAX_PAIRS_PER_CLUSTER} pairs per cluster")
        } else {
            format!("a report shows at most {MAX_PAIRS_TOTAL} pairs in all")
        };
        writeln!(
            w,
            "<p class=\"omitted\">{} of this cluster not shown: {why}.</p>",
            count(omitted, "more pair")
        )?;
    }
    writeln!(w, "</section>")
}
