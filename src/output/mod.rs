//! Output formats of a scan: JSON Lines, CSV and text for people.
//!
//! JSON Lines (`--format jsonl`) prints one object per cluster of two or
//! more documents:
//!
//! ```text
//! {"cluster":0,"size":2,"representative":"a.txt","docs":["a.txt","b.txt"],
//!  "pairs":[{"a":"a.txt","b":"b.txt","jaccard":0.71,"containment":0.84}]}
//! ```
//!
//! * `cluster`: number, `0..` in order of each cluster's first id; with
//!   `all`, single documents follow as clusters of size 1.
//! * `size`: number of documents; `docs`: their ids, sorted.
//! * `representative`: the fullest copy (most words).
//! * `pairs`: verified duplicate pairs inside the cluster (`a < b` by id),
//!   with exact Jaccard and containment of their shingle sets (boilerplate
//!   removed), rounded to 4 decimals. More fields may be added per pair
//!   (`passages` with `--explain`).

use std::io::{self, Write};

pub mod json;

use crate::engine::{Cluster, Pair, ScanResult};

/// Rounds a score to 4 decimals for output.
pub fn round4(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

/// Extra fields per pair (for example the passages of an explanation).
/// Called from several threads at once.
pub type PairExtra<'a> =
    dyn Fn(&Pair) -> Option<serde_json::Map<String, serde_json::Value>> + Sync + 'a;

/// Writes JSON Lines: one line per cluster (and per single document when
/// `all` is set). `extra` may add fields to each pair.
///
/// Lines are made in parallel, a window of clusters at a time, and written
/// in order, so the output does not depend on the thread count and only one
/// window of text is held in memory.
pub fn write_jsonl(
    result: &ScanResult,
    w: &mut dyn Write,
    all: bool,
    extra: Option<&PairExtra<'_>>,
) -> io::Result<()> {
    use rayon::prelude::*;
    /// Clusters per parallel task, and tasks per window.
    const CHUNK: usize = 256;
    const WINDOW: usize = 64 * CHUNK;
    let id = |d: usize| result.docs[d].id.as_str();
    // Without extra fields, lines are put together from each id's JSON
    // text, escaped once (an id is written about four times: in `docs`
    // and in each of its pairs), and each score's text, looked up: the
    // same bytes as serde_json's, in three quarters of the time
    // (`cargo bench --bench scan -- output`).
    let texts = extra.is_none().then(|| (id_texts(result), score_texts()));
    let write_one = |w: &mut Vec<u8>, c: &Cluster| -> io::Result<()> {
        if let Some((ids, scores)) = &texts {
            write_cluster(w, c, ids, scores);
            return Ok(());
        }
        let obj = json::ClusterJson {
            cluster: c.id,
            size: c.docs.len(),
            representative: id(c.representative),
            docs: c.docs.iter().map(|&d| id(d)).collect(),
            pairs: c
                .pairs
                .iter()
                .map(|p| json::PairJson {
                    extra: extra.and_then(|f| f(p)),
                    ..json::PairJson::new(id(p.a), id(p.b), p.jaccard, p.containment)
                })
                .collect(),
        };
        serde_json::to_writer(&mut *w, &obj)?;
        w.write_all(b"\n")
    };
    let singleton = |i: usize| Cluster {
        id: result.clusters.len() + i,
        representative: result.singletons[i],
        docs: vec![result.singletons[i]],
        pairs: vec![],
    };
    // Cluster `k` of the output: the clusters, then (with `all`) one per
    // single document.
    let total = result.clusters.len() + if all { result.singletons.len() } else { 0 };
    let mut start = 0;
    while start < total {
        let end = (start + WINDOW).min(total);
        let parts: Vec<io::Result<Vec<u8>>> = (start..end)
            .step_by(CHUNK)
            .collect::<Vec<_>>()
            .into_par_iter()
            .map(|from| {
                let mut buf = Vec::new();
                for k in from..(from + CHUNK).min(end) {
                    match result.clusters.get(k) {
                        Some(c) => write_one(&mut buf, c)?,
                        None => write_one(&mut buf, &singleton(k - result.clusters.len()))?,
                    }
                }
                Ok(buf)
            })
            .collect();
        for part in parts {
            w.write_all(&part?)?;
        }
        start = end;
    }
    Ok(())
}

/// Pieces of JSON text back to back, by number.
#[derive(Default)]
struct Texts {
    text: Vec<u8>,
    /// Where each piece ends.
    ends: Vec<usize>,
}

impl Texts {
    /// Adds the piece that `write` writes.
    fn push<E: std::fmt::Debug>(&mut self, write: impl FnOnce(&mut Vec<u8>) -> Result<(), E>) {
        write(&mut self.text).expect("writing to memory");
        self.ends.push(self.text.len());
    }

    /// Adds `other`'s pieces after these.
    fn append(&mut self, other: Texts) {
        let at = self.text.len();
        self.text.extend_from_slice(&other.text);
        self.ends.extend(other.ends.iter().map(|e| e + at));
    }

    fn get(&self, i: usize) -> &[u8] {
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.text[start..self.ends[i]]
    }
}

/// Every document's id as JSON text (quoted and escaped as serde_json
/// writes it), by document number.
fn id_texts(result: &ScanResult) -> Texts {
    use rayon::prelude::*;
    let parts: Vec<Texts> = result
        .docs
        .par_chunks(4096)
        .map(|docs| {
            let mut part = Texts::default();
            for d in docs {
                part.push(|out| serde_json::to_writer(out, d.id.as_str()));
            }
            part
        })
        .collect();
    let mut ids = Texts::default();
    for part in parts {
        ids.append(part);
    }
    ids
}

/// Scores with a text made in advance: `0..=STEPS` ten-thousandths.
const STEPS: usize = 10_000;

/// The JSON text of every score [`round4`] can give in `0..=1`
/// (serde_json's shortest form of `k / 10000`, for each `k`).
fn score_texts() -> Texts {
    use serde_json::ser::{CompactFormatter, Formatter};
    let mut scores = Texts::default();
    for k in 0..=STEPS {
        scores.push(|out| CompactFormatter.write_f64(out, k as f64 / STEPS as f64));
    }
    scores
}

/// Appends `round4(x)` as serde_json writes it, from `scores`
/// ([`score_texts`]) when it is in `0..=1`.
fn write_score(out: &mut Vec<u8>, scores: &Texts, x: f64) {
    let steps = (x * STEPS as f64).round();
    // (`-0.0` is left to serde_json, which writes its sign.)
    if steps.is_sign_positive() && steps <= STEPS as f64 {
        // `round4(x)` is exactly `steps / 10000`, the value this entry was
        // made from.
        out.extend_from_slice(scores.get(steps as usize));
    } else {
        // Out of range, or not a number: serde_json's own path (which
        // writes `null` for what JSON cannot hold).
        serde_json::to_writer(&mut *out, &round4(x)).expect("writing to memory");
    }
}

/// One line of JSON Lines, as [`json::ClusterJson`] serializes it
/// (fields in the same order, no extra fields).
fn write_cluster(out: &mut Vec<u8>, c: &Cluster, ids: &Texts, scores: &Texts) {
    use std::io::Write as _;
    let _ = write!(
        out,
        "{{\"cluster\":{},\"size\":{},\"representative\":",
        c.id,
        c.docs.len()
    );
    out.extend_from_slice(ids.get(c.representative));
    out.extend_from_slice(b",\"docs\":[");
    for (i, &d) in c.docs.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(ids.get(d));
    }
    out.extend_from_slice(b"],\"pairs\":[");
    for (i, p) in c.pairs.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(b"{\"a\":");
        out.extend_from_slice(ids.get(p.a));
        out.extend_from_slice(b",\"b\":");
        out.extend_from_slice(ids.get(p.b));
        out.extend_from_slice(b",\"jaccard\":");
        write_score(out, scores, p.jaccard);
        out.extend_from_slice(b",\"containment\":");
        write_score(out, scores, p.containment);
        out.push(b'}');
    }
    out.extend_from_slice(b"]}\n");
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// Writes CSV: a header, then one row per verified pair inside a cluster:
/// `cluster,a,b,jaccard,containment`.
pub fn write_csv(result: &ScanResult, w: &mut dyn Write) -> io::Result<()> {
    writeln!(w, "cluster,a,b,jaccard,containment")?;
    for c in &result.clusters {
        for p in &c.pairs {
            writeln!(
                w,
                "{},{},{},{},{}",
                c.id,
                csv_field(&result.docs[p.a].id),
                csv_field(&result.docs[p.b].id),
                round4(p.jaccard),
                round4(p.containment)
            )?;
        }
    }
    Ok(())
}

/// Most characters of a [`headline`].
pub const HEADLINE_CHARS: usize = 120;

/// The headline of a text: its first line of at least three words with
/// letters (so that a page's `share`, `1 / 19` or `2 Hours Ago | 04:15`
/// is passed over), or failing that its first line with a letter or a
/// digit; with runs of whitespace as one space, control characters shown
/// as `U+FFFD`, cut to [`HEADLINE_CHARS`] characters (then ending in `…`).
/// Empty when no line has a word.
///
/// ```
/// use neardup::output::headline;
/// assert_eq!(headline("share\n  1 / 19\n China  warns BYD\nBody."), "China warns BYD");
/// assert_eq!(headline("Fullscreen\n"), "Fullscreen");
/// assert_eq!(headline(""), "");
/// ```
pub fn headline(text: &str) -> String {
    headline_where(text, |_| true)
}

/// [`headline`], passing over the lines `keep` refuses (for example lines
/// that are mostly a scan's boilerplate).
pub fn headline_where(text: &str, keep: impl Fn(&str) -> bool) -> String {
    let wordy = |l: &str| {
        l.split_whitespace()
            .filter(|w| w.chars().any(char::is_alphabetic))
            .count()
            >= 3
    };
    let line = text
        .lines()
        .find(|l| wordy(l) && keep(l))
        .or_else(|| text.lines().find(|l| l.chars().any(char::is_alphanumeric)));
    let Some(line) = line else {
        return String::new();
    };
    let mut out = String::new();
    for (i, word) in line.split_whitespace().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        out.extend(
            word.chars()
                .map(|c| if c.is_control() { '\u{FFFD}' } else { c }),
        );
    }
    match out.char_indices().nth(HEADLINE_CHARS) {
        Some((at, _)) => {
            out.truncate(at);
            out.push('…');
            out
        }
        None => out,
    }
}

/// Writes a report for people: each cluster with its documents (see
/// [`write_text_with`]), without headlines or colour.
pub fn write_text(result: &ScanResult, w: &mut dyn Write, all: bool) -> io::Result<()> {
    write_text_with(result, w, all, None, false)
}

/// A document's headline, by index (see [`headline`]); None when unknown.
pub type Headline<'a> = dyn Fn(usize) -> Option<String> + 'a;

/// Writes a report for people (`scan --format text`): a legend line, then
/// each cluster with its number of documents and pairs, its score range,
/// its headline (the representative's, from `headline` when given) and its
/// members, the representative first (marked `*`) and every other member
/// with its Jaccard and containment against the representative, or against
/// the member it is closest to (`with ID`) when the two are not a
/// duplicate pair. With `all`, the single documents follow. With `color`,
/// each cluster's first line is bold (ANSI escapes).
pub fn write_text_with(
    result: &ScanResult,
    w: &mut dyn Write,
    all: bool,
    headline: Option<&Headline<'_>>,
    color: bool,
) -> io::Result<()> {
    let (bold, reset) = if color {
        ("\x1b[1m", "\x1b[0m")
    } else {
        ("", "")
    };
    use crate::display::{count, escape_for_terminal};
    // Ids come from file names: their control characters are escaped.
    let id = |d: usize| escape_for_terminal(&result.docs[d].id);
    if result.clusters.is_empty() {
        writeln!(
            w,
            "No near-duplicates found among {}.",
            count(result.docs.len() as u64, "document", "documents")
        )?;
    } else {
        writeln!(
            w,
            "Legend: * the representative (the fullest copy); J Jaccard, C containment of the \
             word {}-shingle sets (boilerplate removed) of each member and the \
             representative, or of the member named after \"with\" when those two are not a \
             duplicate pair.",
            result.config().shingle()
        )?;
        writeln!(w)?;
    }
    for c in &result.clusters {
        let (jl, jh) = score_range(c.pairs.iter().map(|p| p.jaccard));
        let (cl, ch) = score_range(c.pairs.iter().map(|p| p.containment));
        writeln!(
            w,
            "{bold}Cluster {}  {} documents, {} duplicate pair{}, J {}, C {}{reset}",
            c.id,
            c.docs.len(),
            c.pairs.len(),
            if c.pairs.len() == 1 { "" } else { "s" },
            show_range(jl, jh),
            show_range(cl, ch)
        )?;
        if let Some(h) = headline.and_then(|f| f(c.representative)) {
            if !h.is_empty() {
                writeln!(w, "  \"{}\"", escape_for_terminal(&h))?;
            }
        }
        let rep = c.representative;
        let words = |d: usize| count(result.docs[d].words as u64, "word", "words");
        writeln!(w, "  * {}  ({})", id(rep), words(rep))?;
        for &d in c.docs.iter().filter(|&&d| d != rep) {
            let with_rep = c
                .pairs
                .iter()
                .find(|p| (p.a, p.b) == (rep.min(d), rep.max(d)));
            let (p, via) = match with_rep {
                Some(p) => (Some(p), None),
                None => {
                    let best = c
                        .pairs
                        .iter()
                        .filter(|p| p.a == d || p.b == d)
                        .max_by(|x, y| {
                            x.containment
                                .total_cmp(&y.containment)
                                .then(x.jaccard.total_cmp(&y.jaccard))
                        });
                    (best, best.map(|p| if p.a == d { p.b } else { p.a }))
                }
            };
            write!(w, "    {}  ({})", id(d), words(d))?;
            if let Some(p) = p {
                write!(w, "  J {:.4}  C {:.4}", p.jaccard, p.containment)?;
            }
            if let Some(v) = via {
                write!(w, "  with {}", id(v))?;
            }
            writeln!(w)?;
        }
        writeln!(w)?;
    }
    if all && !result.singletons.is_empty() {
        writeln!(w, "Single documents ({}):", result.singletons.len())?;
        for &d in &result.singletons {
            writeln!(w, "    {}", id(d))?;
        }
    }
    Ok(())
}

/// Smallest and largest of `xs` (0 and 0 when empty).
pub(crate) fn score_range(xs: impl Iterator<Item = f64>) -> (f64, f64) {
    xs.fold(None, |r: Option<(f64, f64)>, x| {
        Some(r.map_or((x, x), |(lo, hi)| (lo.min(x), hi.max(x))))
    })
    .unwrap_or((0.0, 0.0))
}

/// `0.41–0.98`, or one number when both ends round alike.
pub(crate) fn show_range(lo: f64, hi: f64) -> String {
    let (a, b) = (format!("{lo:.2}"), format!("{hi:.2}"));
    if a == b {
        a
    } else {
        format!("{a}–{b}")
    }
}

/// Displays a one-line string (an id) with every control character shown
/// as `U+FFFD`.
pub(crate) struct OneLine<'a>(pub(crate) &'a str);

impl std::fmt::Display for OneLine<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for c in self.0.chars() {
            if c.is_control() {
                f.write_str("\u{FFFD}")?;
            } else {
                std::fmt::Write::write_char(f, c)?;
            }
        }
        Ok(())
    }
}

/// Writes a file atomically: into a temporary file in the same folder,
/// flushed and synced, then renamed over `path`. Readers see either the old
/// file or the complete new one, never a partial write.
///
/// A `path` that exists and is neither a regular file nor a directory (a
/// device such as `/dev/null` or `/dev/stdout`, a named pipe) is written in
/// place: it cannot be replaced atomically, and renaming a file over it
/// would destroy it (`-o /dev/null` once replaced the device node with a
/// regular file).
pub fn write_atomically(
    path: &std::path::Path,
    f: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> io::Result<()> {
    if std::fs::metadata(path).is_ok_and(|m| !m.is_file() && !m.is_dir()) {
        let mut w = io::BufWriter::new(std::fs::OpenOptions::new().write(true).open(path)?);
        f(&mut w)?;
        return w.flush();
    }
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."));
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    {
        let mut w = io::BufWriter::new(tmp.as_file_mut());
        f(&mut w)?;
        w.flush()?;
    }
    #[cfg(unix)]
    {
        // tempfile creates 0600 files; a report or output file is ordinary
        // data, readable like any other file the user writes.
        use std::os::unix::fs::PermissionsExt;
        tmp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o644))?;
    }
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Config, Engine};

    /// A named pipe (like a device) is written in place, not replaced by a
    /// regular file renamed over it.
    #[cfg(unix)]
    #[test]
    fn write_atomically_writes_a_pipe_in_place() {
        use std::os::unix::fs::FileTypeExt;
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("out.fifo");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        if !made.is_ok_and(|s| s.success()) {
            eprintln!("mkfifo is not available: skipped");
            return;
        }
        let reader = {
            let fifo = fifo.clone();
            std::thread::spawn(move || std::fs::read_to_string(fifo).unwrap())
        };
        write_atomically(&fifo, |w| w.write_all(b"one line\n")).unwrap();
        // Checked before joining the reader: a pipe renamed away would
        // leave the reader waiting for a writer.
        assert!(std::fs::metadata(&fifo).unwrap().file_type().is_fifo());
        assert_eq!(reader.join().unwrap(), "one line\n");
        // A regular file is still replaced whole.
        let file = dir.path().join("out.txt");
        std::fs::write(&file, "old and longer\n").unwrap();
        write_atomically(&file, |w| w.write_all(b"new\n")).unwrap();
        assert_eq!(std::fs::read_to_string(&file).unwrap(), "new\n");
    }

    /// The lines put together by hand are serde_json's, byte for byte.
    #[test]
    fn jsonl_lines_are_serde_jsons() {
        let story = "The central bank raised its main interest rate by half a point on \
                     Tuesday, the third increase this year, citing prices that rose faster \
                     than expected in the spring and a labour market that stayed tight.";
        let engine = Engine::new(Config::default());
        let mut scan = engine.scan();
        let ids = [
            "plain.txt",
            "quote\"d.txt",
            "back\\slash.txt",
            "tab\tand\u{1}control",
            "caf\u{e9}/\u{65e5}\u{672c}.txt",
            "line\nbreak",
            "solo.txt",
        ];
        for (i, id) in ids.iter().enumerate() {
            let text = if *id == "solo.txt" {
                "Something else entirely, about a football match and its late goal.".to_string()
            } else {
                format!("{story} Extra words number {i} here.")
            };
            assert!(scan.add_text(id, &text).is_none());
        }
        let result = scan.finish();
        assert_eq!(result.clusters.len(), 1);
        assert!(!result.clusters[0].pairs.is_empty());
        for all in [false, true] {
            let (mut fast, mut slow) = (Vec::new(), Vec::new());
            write_jsonl(&result, &mut fast, all, None).unwrap();
            let none: &PairExtra<'_> = &|_| None;
            write_jsonl(&result, &mut slow, all, Some(none)).unwrap();
            assert_eq!(
                String::from_utf8(fast).unwrap(),
                String::from_utf8(slow).unwrap()
            );
        }
    }

    /// Every score's text is serde_json's text of the rounded score.
    #[test]
    fn score_texts_are_serde_jsons() {
        let scores = score_texts();
        let mut xs: Vec<f64> = (0..=20_000).map(|i| i as f64 / 20_000.0).collect();
        xs.extend([
            1.0 / 3.0,
            2.0 / 3.0,
            0.99995,
            0.00005,
            0.000049,
            -0.0,
            -0.00001,
            1.00004,
            1.5,
            f64::NAN,
            f64::INFINITY,
        ]);
        let mut state = 7u64;
        for _ in 0..20_000 {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            xs.push((state >> 11) as f64 / (1u64 << 53) as f64);
        }
        for x in xs {
            let mut out = Vec::new();
            write_score(&mut out, &scores, x);
            assert_eq!(out, serde_json::to_vec(&round4(x)).unwrap(), "{x}");
        }
    }
}
