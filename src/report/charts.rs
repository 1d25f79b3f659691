//! Inline SVG pictures: where the passages of a pair sit, and the charts of
//! a report.

use std::fmt::Write as _;
use std::io::{self, Write};

use super::count;
use crate::explain::Explanation;

/// Width of a strip in its own units.
const STRIP_W: f64 = 1000.0;

/// Where the shared passages and edits of a pair sit, in bytes: the strip
/// of the page of a pair (the report's script draws the same picture from
/// a view's alignment, in UTF-16 units).
pub(super) struct Strip {
    len_a: usize,
    len_b: usize,
    /// `(a_start, a_end, b_start, b_end)` of each passage.
    passages: Vec<(usize, usize, usize, usize)>,
    /// Edits with words, on A and on B.
    edits_a: Vec<(usize, usize)>,
    edits_b: Vec<(usize, usize)>,
    /// Number of edits.
    edits: usize,
}

impl Strip {
    /// The strip of `e` over texts `a` and `b`, in bytes.
    pub(super) fn bytes(a: &str, b: &str, e: &Explanation) -> Strip {
        let edits = e.passages.iter().flat_map(|p| &p.edits);
        Strip {
            len_a: a.len(),
            len_b: b.len(),
            passages: e
                .passages
                .iter()
                .map(|p| (p.a_start, p.a_end, p.b_start, p.b_end))
                .collect(),
            edits_a: edits
                .clone()
                .filter(|d| d.a_end > d.a_start)
                .map(|d| (d.a_start, d.a_end))
                .collect(),
            edits_b: edits
                .filter(|d| d.b_end > d.b_start)
                .map(|d| (d.b_start, d.b_end))
                .collect(),
            edits: e.edits(),
        }
    }
}

/// Writes a strip: two bars, A above and B below, as long as each text
/// (the longer fills the width); each shared passage dark on both bars,
/// joined by a band, so that a moved passage shows as crossing bands and a
/// cut copy as a short bar; edits in the edit colour.
///
/// `<svg class="strip" data-passages="N" data-edits="K">` with paths
/// `band`, `pa`, `pb` and `ed`, one subpath (`M`) per passage or edit.
pub(super) fn write_strip(w: &mut dyn Write, s: &Strip) -> io::Result<()> {
    let longest = s.len_a.max(s.len_b).max(1) as f64;
    let x = |v: usize| (v as f64 / longest * STRIP_W).round() as i64;
    let rect = |d: &mut String, s: usize, e: usize, y: i64, h: i64| {
        let (x0, x1) = (x(s), x(e));
        let _ = write!(d, "M{x0} {y}h{}v{h}H{x0}z", (x1 - x0).max(1));
    };
    let (mut band, mut pa, mut pb, mut ed) =
        (String::new(), String::new(), String::new(), String::new());
    for &(a0, a1, b0, b1) in &s.passages {
        let _ = write!(band, "M{} 8L{} 8L{} 22L{} 22z", x(a0), x(a1), x(b1), x(b0));
        rect(&mut pa, a0, a1, 0, 8);
        rect(&mut pb, b0, b1, 22, 8);
    }
    for &(s0, s1) in &s.edits_a {
        rect(&mut ed, s0, s1, 0, 8);
    }
    for &(s0, s1) in &s.edits_b {
        rect(&mut ed, s0, s1, 22, 8);
    }
    write!(
        w,
        "<svg class=\"strip\" viewBox=\"0 0 1000 30\" preserveAspectRatio=\"none\" \
         data-passages=\"{}\" data-edits=\"{}\" role=\"img\">\
         <title>Where the {} sit: A above, B below</title>\
         <rect class=\"bar\" width=\"{}\" height=\"8\"/><rect class=\"bar\" y=\"22\" width=\"{}\" height=\"8\"/>",
        s.passages.len(),
        s.edits,
        count(s.passages.len(), "shared passage"),
        x(s.len_a).max(1),
        x(s.len_b).max(1)
    )?;
    for (class, d) in [("band", band), ("pa", pa), ("pb", pb), ("ed", ed)] {
        if !d.is_empty() {
            write!(w, "<path class=\"{class}\" d=\"{d}\"/>")?;
        }
    }
    writeln!(w, "</svg>")
}

/// Bins of the score histogram.
const BINS: usize = 20;

/// Plot area of the charts, in SVG units.
const LEFT: f64 = 44.0;
const RIGHT: f64 = 630.0;
const TOP: f64 = 24.0;
const BOTTOM: f64 = 186.0;

/// The bin of a score in `0..=1` (1 goes into the last bin).
fn bin(x: f64) -> usize {
    ((x * BINS as f64).floor().max(0.0) as usize).min(BINS - 1)
}

/// The histogram of the pairs' Jaccard and containment, with the
/// thresholds drawn: `<svg class="chart" id="chart-scores">`, one `<rect
/// class="bj">` (Jaccard) or `class="bc"` (containment) per non-empty bin
/// with `data-bin` and `data-count`, and `<line class="thr j">` / `"thr c"`
/// at the thresholds (`data-value`).
pub(super) fn write_score_histogram(
    w: &mut dyn Write,
    pairs: &[(f64, f64)],
    threshold: f64,
    containment: f64,
) -> io::Result<()> {
    let mut j = [0usize; BINS];
    let mut c = [0usize; BINS];
    for &(pj, pc) in pairs {
        j[bin(pj)] += 1;
        c[bin(pc)] += 1;
    }
    let top = j.iter().chain(&c).copied().max().unwrap_or(0).max(1);
    let bw = (RIGHT - LEFT) / BINS as f64;
    let y = |n: usize| BOTTOM - (BOTTOM - TOP) * n as f64 / top as f64;
    let xv = |v: f64| LEFT + (RIGHT - LEFT) * v;
    writeln!(
        w,
        "<svg class=\"chart\" id=\"chart-scores\" viewBox=\"0 0 640 222\" role=\"img\" \
         aria-label=\"Histogram of the pairs' Jaccard and containment\" data-pairs=\"{}\">",
        pairs.len()
    )?;
    axes(w, top)?;
    for (series, counts, class, dx) in [
        ("Jaccard", &j, "bj", 1.0),
        ("containment", &c, "bc", bw / 2.0),
    ] {
        for (i, &n) in counts.iter().enumerate().filter(|(_, &n)| n > 0) {
            writeln!(
                w,
                "<rect class=\"{class}\" x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" \
                 data-bin=\"{i}\" data-count=\"{n}\"><title>{series} {:.2}-{:.2}: {}</title></rect>",
                LEFT + bw * i as f64 + dx,
                y(n),
                bw / 2.0 - 1.0,
                (BOTTOM - y(n)).max(1.0),
                i as f64 / BINS as f64,
                (i + 1) as f64 / BINS as f64,
                count(n, "pair")
            )?;
        }
    }
    for (class, value, name) in [
        ("j", threshold, "Jaccard"),
        ("c", containment, "containment"),
    ] {
        if (0.0..=1.0).contains(&value) {
            writeln!(
                w,
                "<line class=\"thr {class}\" x1=\"{x:.1}\" x2=\"{x:.1}\" y1=\"{TOP}\" y2=\"{BOTTOM}\" \
                 data-value=\"{value}\"><title>{name} threshold {value}</title></line>",
                x = xv(value)
            )?;
        }
    }
    // Legend.
    writeln!(
        w,
        "<rect class=\"lj\" x=\"{LEFT}\" y=\"6\" width=\"10\" height=\"10\"/>\
         <text x=\"{}\" y=\"15\">Jaccard (dashed: threshold {threshold})</text>\
         <rect class=\"lc\" x=\"{}\" y=\"6\" width=\"10\" height=\"10\"/>\
         <text x=\"{}\" y=\"15\">containment (dashed: threshold {containment})</text>",
        LEFT + 14.0,
        LEFT + 290.0,
        LEFT + 304.0
    )?;
    for t in [0.0, 0.25, 0.5, 0.75, 1.0] {
        writeln!(
            w,
            "<text x=\"{:.1}\" y=\"{}\" text-anchor=\"middle\">{t}</text>",
            xv(t),
            BOTTOM + 16.0
        )?;
    }
    writeln!(w, "</svg>")
}

/// The y axis and the baseline, with the largest count.
fn axes(w: &mut dyn Write, top: usize) -> io::Result<()> {
    writeln!(
        w,
        "<line class=\"axis\" x1=\"{LEFT}\" x2=\"{RIGHT}\" y1=\"{BOTTOM}\" y2=\"{BOTTOM}\"/>\
         <line class=\"axis\" x1=\"{LEFT}\" x2=\"{LEFT}\" y1=\"{TOP}\" y2=\"{BOTTOM}\"/>\
         <text x=\"{}\" y=\"{}\" text-anchor=\"end\">{top}</text>\
         <text x=\"{}\" y=\"{BOTTOM}\" text-anchor=\"end\">0</text>",
        LEFT - 4.0,
        TOP + 4.0,
        LEFT - 4.0
    )
}

/// Size ranges of the cluster-size chart: each size from 2 to 10, then
/// wider ranges.
const SIZE_RANGES: &[(usize, usize)] = &[
    (2, 2),
    (3, 3),
    (4, 4),
    (5, 5),
    (6, 6),
    (7, 7),
    (8, 8),
    (9, 9),
    (10, 10),
    (11, 20),
    (21, 50),
    (51, 100),
    (101, 1000),
    (1001, usize::MAX),
];

/// The distribution of cluster sizes: `<svg class="chart" id="chart-sizes">`
/// with one `<rect class="bs">` per size range up to the largest cluster,
/// with `data-sizes` (`"2"`, `"11-20"`, `"1001+"`) and `data-count`.
pub(super) fn write_size_chart(w: &mut dyn Write, sizes: &[usize]) -> io::Result<()> {
    let largest = sizes.iter().copied().max().unwrap_or(2);
    let ranges: Vec<(usize, usize)> = SIZE_RANGES
        .iter()
        .copied()
        .take_while(|&(lo, _)| lo <= largest)
        .collect();
    let counts: Vec<usize> = ranges
        .iter()
        .map(|&(lo, hi)| sizes.iter().filter(|&&s| lo <= s && s <= hi).count())
        .collect();
    let top = counts.iter().copied().max().unwrap_or(0).max(1);
    let bw = (RIGHT - LEFT) / ranges.len().max(1) as f64;
    let y = |n: usize| BOTTOM - (BOTTOM - TOP) * n as f64 / top as f64;
    writeln!(
        w,
        "<svg class=\"chart\" id=\"chart-sizes\" viewBox=\"0 0 640 222\" role=\"img\" \
         aria-label=\"Clusters by size\" data-clusters=\"{}\">",
        sizes.len()
    )?;
    axes(w, top)?;
    for (i, (&(lo, hi), &n)) in ranges.iter().zip(&counts).enumerate() {
        let label = match (lo, hi) {
            _ if lo == hi => lo.to_string(),
            (_, usize::MAX) => format!("{lo}+"),
            _ => format!("{lo}-{hi}"),
        };
        let x = LEFT + bw * i as f64;
        if n > 0 {
            writeln!(
                w,
                "<rect class=\"bs\" x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" \
                 data-sizes=\"{label}\" data-count=\"{n}\"><title>{} of {label} documents</title></rect>\
                 <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{n}</text>",
                x + 2.0,
                y(n),
                bw - 4.0,
                (BOTTOM - y(n)).max(1.0),
                count(n, "cluster"),
                x + bw / 2.0,
                y(n) - 3.0
            )?;
        }
        writeln!(
            w,
            "<text x=\"{:.1}\" y=\"{}\" text-anchor=\"middle\">{label}</text>",
            x + bw / 2.0,
            BOTTOM + 16.0
        )?;
    }
    writeln!(
        w,
        "<text x=\"{RIGHT}\" y=\"15\" text-anchor=\"end\">clusters by number of documents</text>"
    )?;
    writeln!(w, "</svg>")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bins_cover_zero_to_one() {
        assert_eq!(bin(0.0), 0);
        assert_eq!(bin(0.049), 0);
        assert_eq!(bin(0.05), 1);
        assert_eq!(bin(0.5), 10);
        assert_eq!(bin(1.0), BINS - 1);
        assert_eq!(bin(-0.1), 0);
    }

    #[test]
    fn histogram_counts_every_pair_once_per_series() {
        let pairs = [(0.5, 0.9), (0.51, 1.0), (0.1, 0.45)];
        let mut out = Vec::new();
        write_score_histogram(&mut out, &pairs, 0.5, 0.4).unwrap();
        let svg = String::from_utf8(out).unwrap();
        let sum = |class: &str| -> usize {
            svg.split(&format!("<rect class=\"{class}\""))
                .skip(1)
                .map(|r| {
                    let at = r.find("data-count=\"").unwrap() + 12;
                    r[at..at + r[at..].find('"').unwrap()]
                        .parse::<usize>()
                        .unwrap()
                })
                .sum()
        };
        assert_eq!((sum("bj"), sum("bc")), (3, 3));
        assert!(svg.contains("class=\"thr j\"") && svg.contains("data-value=\"0.4\""));
    }

    #[test]
    fn size_chart_stops_at_the_largest_cluster() {
        let mut out = Vec::new();
        write_size_chart(&mut out, &[2, 2, 3, 34]).unwrap();
        let svg = String::from_utf8(out).unwrap();
        assert!(svg.contains("data-sizes=\"2\" data-count=\"2\""));
        assert!(svg.contains("data-sizes=\"21-50\" data-count=\"1\""));
        assert!(!svg.contains("51-100"));
    }
}
