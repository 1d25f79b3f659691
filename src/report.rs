//! Rendering explanations for people: terminal text, JSON and HTML.
//!
//! (Being written: signatures are final, bodies are placeholders.)

use std::io::{self, Write};

use crate::engine::ScanResult;
use crate::explain::{AlignConfig, Explanation};

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

/// Both documents with shared passages and unique spans marked, plus the
/// scores, for a terminal (ANSI colour when `color`).
pub fn write_explain_text(
    w: &mut dyn Write,
    a: ReportDoc<'_>,
    b: ReportDoc<'_>,
    e: &Explanation,
    color: bool,
) -> io::Result<()> {
    let _ = color;
    writeln!(w, "{} ~ {}", a.id, b.id)?;
    writeln!(
        w,
        "jaccard {:.2}  containment {:.2}  coverage {:.2} / {:.2}",
        e.jaccard, e.containment, e.coverage_a, e.coverage_b
    )
}

/// A self-contained HTML page for one pair (`neardup explain --format html`).
pub fn write_html_pair(
    w: &mut dyn Write,
    a: ReportDoc<'_>,
    b: ReportDoc<'_>,
    e: &Explanation,
) -> io::Result<()> {
    let _ = (a, b, e);
    writeln!(w, "<!doctype html>")
}

/// A self-contained HTML report of a scan (`neardup scan --report`): the
/// clusters, and for each pair the two texts side by side. `load` returns a
/// document's text by index (None when it cannot be read again).
pub fn write_html_report(
    w: &mut dyn Write,
    result: &ScanResult,
    load: &dyn Fn(usize) -> Option<String>,
    cfg: &AlignConfig,
) -> io::Result<()> {
    let _ = (result, load, cfg);
    writeln!(w, "<!doctype html>")
}
