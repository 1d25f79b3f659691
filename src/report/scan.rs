//! The HTML report of a scan.
//!
//! See [`write_html_report_with`] for what the page holds.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::{self, Write};

use rayon::prelude::*;

use super::charts::{write_score_histogram, write_size_chart};
use super::html::{page_end, page_start, write_legend, Html, StoredText};
use super::{count, edits_summary};
use crate::engine::{Cluster, Pair, ScanResult};
use crate::explain::{explain_prepared, AlignConfig, Explanation, Prepared};
use crate::output::{headline, score_range as range};

/// The script of the report.
const SCRIPT: &str = include_str!("report.js");

/// Documents whose texts are held in memory at once while the clusters
/// are written.
const WINDOW_DOCS: usize = 4096;

/// How a report says it was made.
#[derive(Debug, Clone)]
pub struct ReportInfo {
    /// The program and version (default: `neardup` and this crate's
    /// version).
    pub version: String,
    /// When the report was made, as it should be shown (default none: then
    /// the page depends only on the scan).
    pub date: Option<String>,
    /// The inputs scanned, as given on the command line.
    pub inputs: Vec<String>,
}

impl Default for ReportInfo {
    fn default() -> Self {
        ReportInfo {
            version: format!("neardup {}", env!("CARGO_PKG_VERSION")),
            date: None,
            inputs: Vec::new(),
        }
    }
}

/// Options of [`write_html_report_with`].
#[derive(Default)]
pub struct ReportOptions<'a> {
    /// The alignment of the texts (`min_match`, `max_gap`). Its shingle size
    /// is replaced by the scan's, so the scores shown are the scan's.
    pub align: AlignConfig,
    /// A document's title (for example a field of JSON Lines), used as its
    /// headline instead of its first line when it gives one.
    pub title: Option<&'a dyn Fn(usize) -> Option<String>>,
    /// What the page says about how it was made.
    pub info: ReportInfo,
}

/// A self-contained HTML report of a scan (`neardup scan --report`) with
/// the default [`ReportOptions`] and the alignment `cfg`: see
/// [`write_html_report_with`].
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
    let opts = ReportOptions {
        align: *cfg,
        ..ReportOptions::default()
    };
    write_html_report_with(w, result, load, &opts)
}

/// A self-contained HTML report of a scan: every cluster, each member side
/// by side with the representative, the score tables and the charts.
///
/// # Layout
///
/// * A header with the counts, a "what the numbers mean" box (the scores,
///   the duplicate rule and its thresholds, the shingle size, the
///   permutations and banding, the boilerplate cut, the version, the date
///   and the inputs: whatever [`ReportOptions::info`] holds) and a legend.
/// * Two charts (inline SVG): the histogram of the duplicate pairs' Jaccard
///   and containment with the thresholds drawn, and the cluster sizes.
/// * The contents (`<nav id="toc">`): one row per cluster with its number,
///   size, headline, Jaccard and containment range and representative,
///   largest clusters first. A little inline script sorts it by any column
///   and filters it by the words typed in `<input id="filter">` (matched
///   against the headline and every member's id); without script it is a
///   plain table.
/// * One `<section class="cluster" id="cluster-C">` per cluster, in the same
///   order, with its headline, its representative, then one `<details
///   class="view" id="v-C-D">` per other member `D`: the member side by side
///   with the representative (representative as A). Its summary shows the
///   pair's Jaccard and containment, passage coverage, edits and a strip of
///   where the shared passages sit; its two texts are rendered by the
///   script when it is opened, from the alignment in its `data-p`,
///   `data-oa`, `data-ob` and `data-bp` attributes (UTF-16 offsets) and the
///   stored texts, with the markup of [`write_html_pair`](super::write_html_pair)
///   under the prefix `v-C-D-`. Then the cluster's full score table (every
///   duplicate pair; a pair with the representative links to its view, any
///   other opens on demand in `<details class="view ondemand" id="pv-C">`),
///   then the texts of its members, each stored once (`<div class="text"
///   id="t-D">` in `<article class="stored" id="d-D">`), readable without
///   script.
///
/// Scores are the scan's: a pair's [`crate::Pair`] scores, and for a
/// member and the representative that are not a duplicate pair, the scores
/// the scan would give them ([`ScanResult::explain_texts`]). Headlines are
/// the title [`ReportOptions::title`] gives, or the representative's
/// ([`ScanResult::headline`]: its JSON Lines title field, or its first line
/// of words that is not boilerplate).
///
/// The page loads nothing from outside. Its output depends only on its input
/// (the date only when [`ReportInfo::date`] is given) and not on the thread
/// count.
///
/// # Loading
///
/// `load` returns a document's text by index (None when it cannot be read
/// again; the page says so). It is called from this thread, once per
/// document in a cluster and once more per representative (for the
/// headlines, which the contents need first); texts are held a window of
/// clusters at a time and aligned in parallel.
///
/// # Errors
///
/// The first error of `w`.
pub fn write_html_report_with(
    w: &mut dyn Write,
    result: &ScanResult,
    load: &dyn Fn(usize) -> Option<String>,
    opts: &ReportOptions<'_>,
) -> io::Result<()> {
    let align = AlignConfig {
        shingle: result.config().shingle(),
        ..opts.align
    };
    // Largest clusters first, then by number.
    let mut order: Vec<&Cluster> = result.clusters.iter().collect();
    order.sort_by_key(|c| (std::cmp::Reverse(c.docs.len()), c.id));
    let headlines: HashMap<usize, String> = order
        .iter()
        .map(|c| {
            let d = c.representative;
            let title = opts
                .title
                .and_then(|t| t(d))
                .map(|t| headline(&t))
                .filter(|t| !t.is_empty());
            let line = title
                .or_else(|| load(d).map(|t| result.headline(d, &t)))
                .unwrap_or_default();
            (c.id, line)
        })
        .collect();

    page_start(w, "neardup report")?;
    write_header(w, result, opts)?;
    write_charts(w, result)?;
    write_contents(w, result, &order, &headlines)?;

    // Clusters, a window of documents at a time: texts read on this
    // thread, aligned and rendered in parallel, written in order.
    let mut start = 0;
    while start < order.len() {
        let mut end = start;
        let mut docs = 0;
        while end < order.len() && (end == start || docs + order[end].docs.len() <= WINDOW_DOCS) {
            docs += order[end].docs.len();
            end += 1;
        }
        let window = &order[start..end];
        let texts: HashMap<usize, Option<String>> = window
            .iter()
            .flat_map(|c| &c.docs)
            .map(|&d| (d, load(d)))
            .collect();
        let parts: Vec<Vec<u8>> = window
            .par_iter()
            .map(|c| {
                let mut out = Vec::new();
                let view = ClusterView {
                    result,
                    cluster: c,
                    texts: &texts,
                    align: &align,
                    headline: &headlines[&c.id],
                };
                view.write(&mut out).expect("writing to memory");
                out
            })
            .collect();
        for part in parts {
            w.write_all(&part)?;
        }
        start = end;
    }
    writeln!(w, "<script>{SCRIPT}</script>")?;
    page_end(w)
}

/// The header: counts, the "what the numbers mean" box, the legend.
fn write_header(
    w: &mut dyn Write,
    result: &ScanResult,
    opts: &ReportOptions<'_>,
) -> io::Result<()> {
    let s = &result.stats;
    let cfg = result.config();
    let clustered: usize = result.clusters.iter().map(|c| c.docs.len()).sum();
    let pairs: usize = result.clusters.iter().map(|c| c.pairs.len()).sum();
    writeln!(w, "<header>")?;
    writeln!(w, "<h1>neardup report</h1>")?;
    write!(
        w,
        "<p class=\"counts\">{} &middot; {} ({} in clusters) &middot; {} &middot; {}",
        count(result.docs.len(), "document"),
        count(result.clusters.len(), "cluster"),
        count(clustered, "document"),
        count(pairs, "duplicate pair"),
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

    let k = cfg.shingle();
    writeln!(
        w,
        "<details class=\"about\" open><summary>What the numbers mean</summary><dl>"
    )?;
    writeln!(
        w,
        "<dt>Jaccard</dt><dd>The shingles two copies share, divided by all the distinct \
         shingles of the two. A shingle is a run of {k} consecutive words (case and \
         punctuation ignored). 1 means the same words in the same order; a copy with a \
         header and footer of its own scores lower.</dd>"
    )?;
    writeln!(
        w,
        "<dt>Containment</dt><dd>The shingles two copies share, divided by the shingles of \
         the smaller one: 1 when one copy lies wholly inside the other (a cut version, or \
         one with paragraphs added).</dd>"
    )?;
    let linkage = if cfg.linkage() > 0.0 {
        format!(
            "Duplicates are grouped into clusters; two groups merge only when the mean \
             containment between their members is at least {} (so one page quoting two \
             stories does not join them).",
            cfg.linkage()
        )
    } else {
        "Clusters are the connected groups of duplicate pairs.".to_string()
    };
    writeln!(
        w,
        "<dt>Duplicate rule</dt><dd>A pair is a duplicate when its Jaccard is at least {}, \
         or its containment at least {} with a Jaccard of at least {} and the smaller copy \
         at least {} shingles long. {linkage} Every score on this page is the scan's, \
         computed the same way.</dd>",
        cfg.threshold(),
        cfg.containment(),
        cfg.containment_min_jaccard(),
        cfg.min_containment_shingles()
    )?;
    writeln!(
        w,
        "<dt>Passage coverage</dt><dd>Another measure, from aligning the two texts word by \
         word: the share of a copy's words that lie in passages it shares with the other \
         (edited words included). It is not a score of the rule.</dd>"
    )?;
    writeln!(
        w,
        "<dt>Edits</dt><dd>Words that differ inside a shared passage: a changed number or \
         name, a spelling, a phrase of a few words added or dropped.</dd>"
    )?;
    let boilerplate = match s.boilerplate_cut {
        Some(cut) => format!(
            "A shingle found in more than {cut} of the {} groups of copies is left out of \
             every score: {} were cut. Passages made mostly of them are drawn dashed grey.",
            s.copy_groups,
            count(result.boilerplate.len(), "distinct shingle")
        ),
        None => "Off: no shingle was left out.".to_string(),
    };
    writeln!(w, "<dt>Boilerplate cut</dt><dd>{boilerplate}</dd>")?;
    let candidates = if cfg.exact() {
        "every pair compared exactly".to_string()
    } else {
        let b = cfg.banding();
        format!(
            "{} MinHash permutations ({}), LSH of {} bands &times; {} rows, seed {}",
            cfg.perms(),
            cfg.scheme().as_str(),
            b.bands,
            b.rows,
            cfg.seed()
        )
    };
    writeln!(
        w,
        "<dt>Candidates</dt><dd>{candidates}: {} candidate pairs, {} verified duplicates, \
         {} more found while clustering, {} left between clusters by the linkage guard.</dd>",
        s.candidate_pairs, s.verified_pairs, s.linkage_pairs, s.rejected_pairs
    )?;
    let mut made = Html(&opts.info.version).to_string();
    if let Some(date) = &opts.info.date {
        let _ = write!(made, ", {}", Html(date));
    }
    if !opts.info.inputs.is_empty() {
        let inputs: Vec<String> = opts
            .info
            .inputs
            .iter()
            .map(|i| format!("<code>{}</code>", Html(i)))
            .collect();
        let _ = write!(made, "; inputs: {}", inputs.join(", "));
    }
    writeln!(w, "<dt>Made by</dt><dd>{made}</dd>")?;
    writeln!(w, "</dl></details>")?;
    write_legend(w)?;
    writeln!(w, "</header>")
}

/// The two charts.
fn write_charts(w: &mut dyn Write, result: &ScanResult) -> io::Result<()> {
    if result.clusters.is_empty() {
        return Ok(());
    }
    let scores: Vec<(f64, f64)> = result
        .clusters
        .iter()
        .flat_map(|c| &c.pairs)
        .map(|p| (p.jaccard, p.containment))
        .collect();
    let sizes: Vec<usize> = result.clusters.iter().map(|c| c.docs.len()).collect();
    writeln!(w, "<section class=\"charts\" id=\"charts\">")?;
    writeln!(w, "<figure>")?;
    write_score_histogram(
        w,
        &scores,
        result.config().threshold(),
        result.config().containment(),
    )?;
    writeln!(
        w,
        "<figcaption>The {} by Jaccard (blue) and containment (orange), in bins of 0.05; \
         dashed lines: the thresholds of the rule.</figcaption></figure>",
        count(scores.len(), "duplicate pair")
    )?;
    writeln!(w, "<figure>")?;
    write_size_chart(w, &sizes)?;
    writeln!(
        w,
        "<figcaption>The {} by number of documents.</figcaption></figure>",
        count(sizes.len(), "cluster")
    )?;
    writeln!(w, "</section>")
}

/// A score range, `0.41–0.98`.
fn show_range((lo, hi): (f64, f64)) -> String {
    crate::output::show_range(lo, hi)
}

/// The contents: one row per cluster, with the filter above it.
fn write_contents(
    w: &mut dyn Write,
    result: &ScanResult,
    order: &[&Cluster],
    headlines: &HashMap<usize, String>,
) -> io::Result<()> {
    let id = |d: usize| result.docs[d].id.as_str();
    writeln!(w, "<nav id=\"toc\">")?;
    writeln!(w, "<h2>Clusters</h2>")?;
    if order.is_empty() {
        writeln!(w, "<p>No near-duplicates found.</p>")?;
        return writeln!(w, "</nav>");
    }
    writeln!(
        w,
        "<p class=\"tools\" id=\"toc-tools\"><input type=\"search\" id=\"filter\" \
         placeholder=\"Filter by words of a headline or a document id\" \
         aria-label=\"Filter the clusters\" autocomplete=\"off\"> \
         <span id=\"shown\" class=\"meta\">{}</span> \
         <span class=\"meta\">&middot; click a column heading to sort</span></p>",
        count(order.len(), "cluster")
    )?;
    writeln!(
        w,
        "<div class=\"toc-wrap\"><table class=\"toc\" id=\"toc-table\"><thead><tr>\
         <th data-sort=\"n\">Cluster</th><th class=\"num\" data-sort=\"n\" aria-sort=\"descending\">Size</th>\
         <th data-sort=\"t\">Headline</th><th class=\"num\" data-sort=\"n\">Jaccard</th>\
         <th class=\"num\" data-sort=\"n\">Containment</th><th data-sort=\"t\">Representative</th>\
         </tr></thead><tbody>"
    )?;
    for c in order {
        let headline = &headlines[&c.id];
        let mut q = headline.to_lowercase();
        for &d in &c.docs {
            q.push(' ');
            q.push_str(&id(d).to_lowercase());
        }
        let j = range(c.pairs.iter().map(|p| p.jaccard));
        let k = range(c.pairs.iter().map(|p| p.containment));
        writeln!(
            w,
            "<tr data-q=\"{}\"><td data-v=\"{n}\"><a href=\"#cluster-{n}\">Cluster&nbsp;{n}</a></td>\
             <td class=\"num\" data-v=\"{}\">{}</td><td class=\"hl\">{}</td>\
             <td class=\"num\" data-v=\"{:.4}\">{}</td><td class=\"num\" data-v=\"{:.4}\">{}</td>\
             <td class=\"id\">{}</td></tr>",
            Html(&q),
            c.docs.len(),
            c.docs.len(),
            Html(headline),
            j.0,
            show_range(j),
            k.0,
            show_range(k),
            Html(id(c.representative)),
            n = c.id
        )?;
    }
    writeln!(w, "</tbody></table></div>")?;
    writeln!(w, "</nav>")
}

/// Offsets of a text in UTF-16 code units (what the page's script slices
/// by), from byte offsets on char boundaries.
struct Utf16 {
    /// Code units before each byte; none for ASCII text, where the two
    /// agree.
    units: Option<Vec<u32>>,
}

impl Utf16 {
    fn new(text: &str) -> Utf16 {
        if text.is_ascii() {
            return Utf16 { units: None };
        }
        let mut units = vec![0u32; text.len() + 1];
        let mut n = 0u32;
        for (i, c) in text.char_indices() {
            units[i] = n;
            n += c.len_utf16() as u32;
        }
        units[text.len()] = n;
        Utf16 { units: Some(units) }
    }

    fn at(&self, byte: usize) -> usize {
        match &self.units {
            None => byte,
            Some(u) => u.get(byte).map_or(0, |&x| x as usize),
        }
    }
}

/// Appends `x` in base 36 (lower case, `-` before a negative number).
fn base36(out: &mut String, x: i64) {
    if x < 0 {
        out.push('-');
    }
    let mut x = x.unsigned_abs();
    let mut digits = [0u8; 13];
    let mut n = 0;
    loop {
        digits[n] = b"0123456789abcdefghijklmnopqrstuvwxyz"[(x % 36) as usize];
        n += 1;
        x /= 36;
        if x == 0 {
            break;
        }
    }
    out.extend(digits[..n].iter().rev().map(|&d| d as char));
}

/// The alignment of a pair as the attributes its view is rendered from,
/// in UTF-16 offsets written compactly (numbers in base 36, each relative
/// to the one before on its side):
///
/// * `data-p`: the passages, separated by spaces, each `A.a.B.b` (its start
///   in A after the previous passage's end in A, its length in A, the same
///   two in B, where the start may be negative for a passage that comes
///   earlier in B) followed by `.A.a.B.b` per edit (its start after the
///   previous edit's end, or the passage's start, and its length, on each
///   side);
/// * `data-oa`, `data-ob`: the spans only in A, in B: `s.l` each, the start
///   after the previous span's end;
/// * `data-bp`: the numbers of the passages mostly boilerplate (`[2,5]`),
///   when there are some.
fn alignment_attrs(out: &mut String, a: &str, b: &str, e: &Explanation, bp: &[usize]) {
    let (ua, ub) = (Utf16::new(a), Utf16::new(b));
    let pair = |out: &mut String, from: i64, start: usize, end: usize, u: &Utf16| {
        let (s, t) = (u.at(start) as i64, u.at(end) as i64);
        base36(out, s - from);
        out.push('.');
        base36(out, t - s);
        t
    };
    out.push_str(" data-p=\"");
    let (mut pa, mut pb) = (0, 0);
    for (i, p) in e.passages.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        let (a0, b0) = (ua.at(p.a_start) as i64, ub.at(p.b_start) as i64);
        pa = pair(out, pa, p.a_start, p.a_end, &ua);
        out.push('.');
        pb = pair(out, pb, p.b_start, p.b_end, &ub);
        let (mut ea, mut eb) = (a0, b0);
        for d in &p.edits {
            out.push('.');
            ea = pair(out, ea, d.a_start, d.a_end, &ua);
            out.push('.');
            eb = pair(out, eb, d.b_start, d.b_end, &ub);
        }
    }
    out.push('"');
    for (name, spans, u) in [("oa", &e.only_a, &ua), ("ob", &e.only_b, &ub)] {
        let _ = write!(out, " data-{name}=\"");
        let mut at = 0;
        for (i, s) in spans.iter().enumerate() {
            if i > 0 {
                out.push(' ');
            }
            at = pair(out, at, s.start, s.end, u);
        }
        out.push('"');
    }
    if !bp.is_empty() {
        let list: Vec<String> = bp.iter().map(|n| n.to_string()).collect();
        let _ = write!(out, " data-bp=\"[{}]\"", list.join(","));
    }
}

/// One cluster's section, with its texts at hand.
struct ClusterView<'r> {
    result: &'r ScanResult,
    cluster: &'r Cluster,
    texts: &'r HashMap<usize, Option<String>>,
    align: &'r AlignConfig,
    headline: &'r str,
}

/// The members of a cluster whose texts could be read, prepared once for
/// all their alignments.
type PreparedTexts<'t> = HashMap<usize, Prepared<'t>>;

/// A pair of a cluster, aligned when both texts could be read.
struct Aligned<'r> {
    a: usize,
    b: usize,
    /// The pair's entry in the cluster's pairs, if it is a duplicate pair.
    pair: Option<&'r Pair>,
    e: Option<Explanation>,
    /// The numbers of its passages made mostly of boilerplate.
    bp: Vec<usize>,
}

impl Aligned<'_> {
    /// The scan's scores of the pair.
    fn scores(&self) -> Option<(f64, f64)> {
        match (self.pair, &self.e) {
            (Some(p), _) => Some((p.jaccard, p.containment)),
            (None, Some(e)) => Some((e.jaccard, e.containment)),
            (None, None) => None,
        }
    }
}

impl ClusterView<'_> {
    fn id(&self, d: usize) -> &str {
        &self.result.docs[d].id
    }

    fn text(&self, d: usize) -> Option<&str> {
        self.texts.get(&d).and_then(|t| t.as_deref())
    }

    /// Aligns documents `a` and `b` (A and B), as the scan scores them; the
    /// passages mostly boilerplate are flagged with A's text.
    fn align<'p>(
        &self,
        prepared: &PreparedTexts<'_>,
        a: usize,
        b: usize,
        pair: Option<&'p Pair>,
    ) -> Aligned<'p> {
        let (e, bp) = match (prepared.get(&a), prepared.get(&b)) {
            (Some(pa), Some(pb)) => {
                let e = explain_prepared(pa, pb, self.align);
                let cut = &self.result.boilerplate;
                let bp = e
                    .passages
                    .iter()
                    .enumerate()
                    .filter(|(_, q)| pa.boilerplate_share(q.a_start, q.a_end, cut) >= 0.5)
                    .map(|(i, _)| i + 1)
                    .collect();
                (Some(e), bp)
            }
            _ => (None, Vec::new()),
        };
        Aligned { a, b, pair, e, bp }
    }

    /// The attributes a view or an on-demand button is rendered from.
    fn attrs(&self, x: &Aligned<'_>) -> String {
        let mut out = format!(" data-a=\"{}\" data-b=\"{}\"", x.a, x.b);
        if let (Some(e), Some(ta), Some(tb)) = (&x.e, self.text(x.a), self.text(x.b)) {
            alignment_attrs(&mut out, ta, tb, e, &x.bp);
        }
        out
    }

    fn write(&self, w: &mut Vec<u8>) -> io::Result<()> {
        let c = self.cluster;
        let (n, rep) = (c.id, c.representative);
        let pairs: HashMap<(usize, usize), &Pair> =
            c.pairs.iter().map(|p| ((p.a, p.b), p)).collect();
        let pair_of = |x: usize, y: usize| pairs.get(&(x.min(y), x.max(y))).copied();
        let prepared: PreparedTexts<'_> = c
            .docs
            .par_iter()
            .filter_map(|&d| {
                let text = self.text(d)?;
                Some((d, Prepared::new(text, self.align, &self.result.boilerplate)))
            })
            .collect();
        let views: Vec<Aligned<'_>> = c
            .docs
            .par_iter()
            .filter(|&&d| d != rep)
            .map(|&d| self.align(&prepared, rep, d, pair_of(rep, d)))
            .collect();
        let others: Vec<Aligned<'_>> = c
            .pairs
            .par_iter()
            .filter(|p| p.a != rep && p.b != rep)
            .map(|p| self.align(&prepared, p.a, p.b, Some(p)))
            .collect();
        drop(prepared);

        writeln!(w, "<section class=\"cluster\" id=\"cluster-{n}\">")?;
        writeln!(
            w,
            "<h2>Cluster {n} <span class=\"meta\">{} &middot; {} &middot; Jaccard {} &middot; \
             containment {}</span><span class=\"nav\"><a href=\"#toc\">&uarr; contents</a></span></h2>",
            count(c.docs.len(), "document"),
            count(c.pairs.len(), "duplicate pair"),
            show_range(range(c.pairs.iter().map(|p| p.jaccard))),
            show_range(range(c.pairs.iter().map(|p| p.containment))),
        )?;
        if !self.headline.is_empty() {
            writeln!(w, "<p class=\"headline\">{}</p>", Html(self.headline))?;
        }
        let info = &self.result.docs[rep];
        writeln!(
            w,
            "<p class=\"rep\">Representative (the fullest copy): <b class=\"id\">{}</b> \
             &middot; {} &middot; <a href=\"#d-{rep}\">its text</a></p>",
            Html(&info.id),
            count(info.words, "word")
        )?;
        writeln!(
            w,
            "<h3>Each member side by side with the representative</h3>"
        )?;
        for v in &views {
            self.write_view(w, v)?;
        }
        self.write_scores(w, &others)?;
        self.write_texts(w)?;
        writeln!(w, "</section>")
    }

    /// One member's view against the representative.
    fn write_view(&self, w: &mut Vec<u8>, v: &Aligned<'_>) -> io::Result<()> {
        let n = self.cluster.id;
        let info = &self.result.docs[v.b];
        write!(
            w,
            "<details class=\"view\" id=\"v-{n}-{}\"{}>",
            v.b,
            self.attrs(v)
        )?;
        write!(
            w,
            "<summary><span class=\"vid id\">{} <span class=\"tag\">{} &middot; {}</span></span>",
            Html(&info.id),
            count(info.words, "word"),
            if v.pair.is_some() {
                "duplicate pair"
            } else {
                "not a pair itself: joined through other members"
            }
        )?;
        match v.scores() {
            Some((j, k)) => write!(
                w,
                "<span class=\"num\">J {j:.4}</span><span class=\"num\">C {k:.4}</span>"
            )?,
            None => write!(w, "<span></span><span></span>")?,
        }
        match &v.e {
            Some(e) => {
                write!(
                    w,
                    "<span class=\"meta\">passage coverage {:.0}% / {:.0}% &middot; {}</span>\
                     <span class=\"sv\"></span>",
                    100.0 * e.coverage_a,
                    100.0 * e.coverage_b,
                    edits_summary(e)
                )?;
            }
            _ => write!(
                w,
                "<span class=\"unavailable\">text unavailable (it could not be read again)</span>"
            )?,
        }
        // Without script, the empty view says where the texts are (CSS).
        writeln!(w, "</summary><div class=\"pairview\"></div></details>")
    }

    /// The full score table, and the viewer of the pairs without the
    /// representative.
    fn write_scores(&self, w: &mut Vec<u8>, others: &[Aligned<'_>]) -> io::Result<()> {
        let c = self.cluster;
        let n = c.id;
        let other: HashMap<(usize, usize), &Aligned<'_>> =
            others.iter().map(|x| ((x.a, x.b), x)).collect();
        writeln!(
            w,
            "<details class=\"scores\"{}><summary>Score table: {}</summary>",
            if c.pairs.len() <= 12 { " open" } else { "" },
            count(c.pairs.len(), "duplicate pair")
        )?;
        writeln!(
            w,
            "<table class=\"pairs\"><thead><tr><th>A</th><th>B</th><th class=\"num\">Jaccard</th>\
             <th class=\"num\">Containment</th><th>Side by side</th></tr></thead><tbody>"
        )?;
        for p in &c.pairs {
            write!(
                w,
                "<tr><td>{}</td><td>{}</td><td>{:.4}</td><td>{:.4}</td><td>",
                Html(self.id(p.a)),
                Html(self.id(p.b)),
                p.jaccard,
                p.containment
            )?;
            if p.a == c.representative || p.b == c.representative {
                let m = if p.a == c.representative { p.b } else { p.a };
                write!(w, "<a href=\"#v-{n}-{m}\">view</a>")?;
            } else if let Some(x) = other.get(&(p.a, p.b)) {
                write!(w, "<button{}>view</button>", self.attrs(x))?;
            }
            writeln!(w, "</td></tr>")?;
        }
        writeln!(w, "</tbody></table>")?;
        if !others.is_empty() {
            writeln!(
                w,
                "<details class=\"view ondemand\" id=\"pv-{n}\"><summary></summary>\
                 <div class=\"pairview\"></div></details>"
            )?;
        }
        writeln!(w, "</details>")
    }

    /// The texts of the members, each stored once.
    fn write_texts(&self, w: &mut Vec<u8>) -> io::Result<()> {
        let c = self.cluster;
        writeln!(
            w,
            "<details class=\"texts\"><summary>Texts of the {}</summary>",
            count(c.docs.len(), "document")
        )?;
        for &d in &c.docs {
            let id = self.id(d);
            write!(
                w,
                "<article class=\"stored\" id=\"d-{d}\" data-id=\"{}\"><h4>{}</h4>",
                Html(id),
                Html(id)
            )?;
            match self.text(d) {
                Some(t) => write!(
                    w,
                    "<div class=\"text\" id=\"t-{d}\">{}</div>",
                    StoredText(t)
                )?,
                None => write!(
                    w,
                    "<p class=\"unavailable\">The text of {} is unavailable (it could not be \
                     read again).</p>",
                    Html(id)
                )?,
            }
            writeln!(w, "</article>")?;
        }
        writeln!(w, "</details>")
    }
}
