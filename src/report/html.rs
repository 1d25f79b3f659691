//! HTML shared by the page of one pair and the report of a scan.

use std::fmt;
use std::io::{self, Write};

use super::{count, edits_summary, parts, pieces, score_basis, Kind, Part, ReportDoc, Side};
use crate::explain::Explanation;

/// The style sheet of both pages.
pub(super) const CSS: &str = include_str!("report.css");

/// Displays a string escaped for HTML text and attribute values.
pub(super) struct Html<'a>(pub(super) &'a str);

impl fmt::Display for Html<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        escape(f, self.0, false)
    }
}

/// Displays a document's text for the store of a report: escaped as
/// [`Html`], and a carriage return written `&#13;`, which the HTML parser
/// keeps (a raw one is turned into a line feed, or dropped before one), so
/// that the text read back from the page has the offsets of the original.
pub(super) struct StoredText<'a>(pub(super) &'a str);

impl fmt::Display for StoredText<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        escape(f, self.0, true)
    }
}

fn escape(f: &mut fmt::Formatter<'_>, s: &str, keep_cr: bool) -> fmt::Result {
    let mut last = 0;
    for (i, byte) in s.bytes().enumerate() {
        let rep = match byte {
            b'&' => "&amp;",
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'"' => "&quot;",
            b'\'' => "&#39;",
            b'\r' if keep_cr => "&#13;",
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

/// Writes the start of a page, up to and including `<body>`.
pub(super) fn page_start(w: &mut dyn Write, title: &str) -> io::Result<()> {
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

pub(super) fn page_end(w: &mut dyn Write) -> io::Result<()> {
    writeln!(w, "</body>")?;
    writeln!(w, "</html>")
}

pub(super) fn write_legend(w: &mut dyn Write) -> io::Result<()> {
    writeln!(
        w,
        "<p class=\"legend\"><mark class=\"shared\">shared passage</mark> \
         (its number links to the same passage in the other copy) \
         &middot; <mark class=\"shared\"><mark class=\"edit\">edit</mark></mark> \
         words changed inside a shared passage (<mark class=\"edit gap\"></mark> where \
         this copy has none) \
         &middot; <span class=\"only\">only in this copy</span> \
         &middot; <mark class=\"shared boilerplate\">shared boilerplate</mark> \
         (mostly text found on many unrelated pages of the scan)</p>"
    )
}

/// The scores of a pair in one line, each named with what it measures.
pub(super) fn write_scoreline(w: &mut dyn Write, e: &Explanation) -> io::Result<()> {
    writeln!(
        w,
        "<p class=\"scoreline\"><b>Jaccard {:.4}</b>, <b>containment {:.4}</b> \
         <span class=\"meta\">({}, the scan's scores)</span> &middot; passage coverage \
         A {:.1}%, B {:.1}% <span class=\"meta\">(words in shared passages)</span> \
         &middot; {}, {}</p>",
        e.jaccard,
        e.containment,
        score_basis(e),
        100.0 * e.coverage_a,
        100.0 * e.coverage_b,
        count(e.passages.len(), "shared passage"),
        edits_summary(e)
    )
}

/// The `title` of an edit: both sides' words.
fn edit_title(a: &str, b: &str, d: &crate::explain::Edit) -> String {
    let words = |text: &str, s: usize, t: usize| match text.get(s..t) {
        Some("") | None => "(nothing)".to_string(),
        Some(x) => super::text::clip(x, 80),
    };
    format!(
        "edit: A {} | B {}",
        words(a, d.a_start, d.a_end),
        words(b, d.b_start, d.b_end)
    )
}

/// The scores, a strip, the passage list and both texts side by side; every
/// id starts with `prefix`. The rendering of [`write_html_pair`]; the
/// report's script builds the same columns.
///
/// `boilerplate[i]` marks passage `i + 1` as mostly corpus boilerplate
/// (empty when unknown, as for a single pair).
pub(super) fn write_pair_body(
    w: &mut dyn Write,
    a: ReportDoc<'_>,
    b: ReportDoc<'_>,
    e: &Explanation,
    prefix: &str,
    boilerplate: &[bool],
) -> io::Result<()> {
    write_scoreline(w, e)?;
    super::charts::write_strip(w, &super::charts::Strip::bytes(a.text, b.text, e))?;
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
            "<table><tr><th>#</th><th>A bytes</th><th>B bytes</th><th class=\"num\">Words</th>\
             <th class=\"num\">Edits</th></tr>"
        )?;
        for (i, p) in e.passages.iter().enumerate() {
            let n = i + 1;
            writeln!(
                w,
                "<tr><td>{n}</td><td><a href=\"#{prefix}a-p{n}\">{}..{}</a></td>\
                 <td><a href=\"#{prefix}b-p{n}\">{}..{}</a></td><td class=\"num\">{}</td>\
                 <td class=\"num\">{}</td></tr>",
                p.a_start,
                p.a_end,
                p.b_start,
                p.b_end,
                p.words,
                p.edits.len()
            )?;
        }
        writeln!(w, "</table></details>")?;
    }
    writeln!(w, "<div class=\"cols\">")?;
    write_doc_html(w, Side::A, a, b, e, prefix, boilerplate)?;
    write_doc_html(w, Side::B, b, a, e, prefix, boilerplate)?;
    writeln!(w, "</div>")
}

/// One column: a document with its passages, edits and unique spans
/// marked. `other` is the other side's document (for the edits' titles).
fn write_doc_html(
    w: &mut dyn Write,
    side: Side,
    d: ReportDoc<'_>,
    other_doc: ReportDoc<'_>,
    e: &Explanation,
    prefix: &str,
    boilerplate: &[bool],
) -> io::Result<()> {
    let (s, other) = (side.lower(), side.other());
    let (ta, tb) = match side {
        Side::A => (d.text, other_doc.text),
        Side::B => (other_doc.text, d.text),
    };
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
        let text = &d.text[piece.start..piece.end];
        match piece.kind {
            Kind::Plain => write!(w, "{}", Html(text))?,
            Kind::Shared(n) => {
                let p = &e.passages[n - 1];
                write!(
                    w,
                    "<mark class=\"shared{alt}{bp}\" id=\"{prefix}{s}-p{n}\" data-passage=\"{n}\">\
                     <a class=\"pn\" href=\"#{prefix}{o}-p{n}\" data-n=\"{n}\" \
                     title=\"passage {n}: go to it in {O}\" aria-label=\"passage {n} in {O}\"></a>",
                    alt = if n % 2 == 0 { " alt" } else { "" },
                    bp = if boilerplate.get(n - 1).copied().unwrap_or(false) {
                        " boilerplate"
                    } else {
                        ""
                    },
                    o = other.lower(),
                    O = other.upper(),
                )?;
                for part in parts(d.text, &piece, p, side) {
                    match part {
                        Part::Same(x, y) => write!(w, "{}", Html(&d.text[x..y]))?,
                        Part::Edit(i, x, y) => write!(
                            w,
                            "<mark class=\"edit{}\" title=\"{}\">{}</mark>",
                            if x == y { " gap" } else { "" },
                            Html(&edit_title(ta, tb, &p.edits[i])),
                            Html(&d.text[x..y])
                        )?,
                    }
                }
                write!(w, "</mark>")?;
            }
            Kind::Only => write!(
                w,
                "<span class=\"only\" title=\"only in {}\">{}</span>",
                side.upper(),
                Html(text)
            )?,
        }
    }
    writeln!(w, "</div>")?;
    writeln!(w, "</div>")
}

/// A self-contained HTML page for one pair (`neardup explain --format html`).
///
/// See the [module documentation](super) for its structure; ids have no
/// prefix (`a-p1`, `b-p1`, `a-text`). It holds no script.
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
