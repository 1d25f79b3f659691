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

use serde::Serialize;

use crate::engine::{Cluster, Pair, ScanResult};

/// Rounds a score to 4 decimals for output.
pub fn round4(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

#[derive(Serialize)]
struct JsonPair<'a> {
    a: &'a str,
    b: &'a str,
    jaccard: f64,
    containment: f64,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    extra: Option<serde_json::Map<String, serde_json::Value>>,
}

#[derive(Serialize)]
struct JsonCluster<'a> {
    cluster: usize,
    size: usize,
    representative: &'a str,
    docs: Vec<&'a str>,
    pairs: Vec<JsonPair<'a>>,
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
    let write_one = |w: &mut Vec<u8>, c: &Cluster| -> io::Result<()> {
        let obj = JsonCluster {
            cluster: c.id,
            size: c.docs.len(),
            representative: id(c.representative),
            docs: c.docs.iter().map(|&d| id(d)).collect(),
            pairs: c
                .pairs
                .iter()
                .map(|p| JsonPair {
                    a: id(p.a),
                    b: id(p.b),
                    jaccard: round4(p.jaccard),
                    containment: round4(p.containment),
                    extra: extra.and_then(|f| f(p)),
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

/// Writes a report for people: each cluster with its documents and pairs.
pub fn write_text(result: &ScanResult, w: &mut dyn Write, all: bool) -> io::Result<()> {
    let id = |d: usize| result.docs[d].id.as_str();
    if result.clusters.is_empty() {
        writeln!(
            w,
            "No near-duplicates found among {} documents.",
            result.docs.len()
        )?;
    }
    for c in &result.clusters {
        writeln!(
            w,
            "Cluster {} ({} documents, representative {})",
            c.id,
            c.docs.len(),
            id(c.representative)
        )?;
        for &d in &c.docs {
            let mark = if d == c.representative { "*" } else { " " };
            writeln!(w, "  {mark} {}  ({} words)", id(d), result.docs[d].words)?;
        }
        for p in &c.pairs {
            writeln!(
                w,
                "    {} ~ {}  jaccard {:.2}  containment {:.2}",
                id(p.a),
                id(p.b),
                p.jaccard,
                p.containment
            )?;
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

/// Writes a file atomically: into a temporary file in the same folder,
/// flushed and synced, then renamed over `path`. Readers see either the old
/// file or the complete new one, never a partial write.
pub fn write_atomically(
    path: &std::path::Path,
    f: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> io::Result<()> {
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
