//! Every JSON object neardup writes, in one place: the lines of `scan
//! --format jsonl`, the explanation of `neardup explain --format json` (and
//! of the Python package's `explain`), the lines of `neardup query --format
//! jsonl` and of `neardup index add`, and the answers of `neardup serve`.
//!
//! Each schema is a struct whose fields serialize in the order shown in
//! its docs; scores are rounded to 4 decimals ([`round4`]). The writers
//! in [`crate::output`], the CLI and the bindings build these structs and
//! never a `serde_json::json!` object of their own, so one schema has one
//! definition. (`scan --format jsonl` without `--explain` writes the same
//! bytes as [`ClusterJson`] by a faster path, tested to match.)

use serde::Serialize;

use super::round4;
use crate::explain::{Explanation, Passage, Span};
use crate::report::ReportDoc;

/// A verified pair: `{"a", "b", "jaccard", "containment"}`, ids `a < b`,
/// scores rounded to 4 decimals; with `--explain` more fields follow
/// (`passages`). The pairs of [`ClusterJson`] and the lines of `neardup
/// index add --pairs`.
#[derive(Debug, Serialize)]
pub struct PairJson<'a> {
    /// The first document's id.
    pub a: &'a str,
    /// The second document's id.
    pub b: &'a str,
    /// Jaccard similarity, rounded.
    pub jaccard: f64,
    /// Containment, rounded.
    pub containment: f64,
    /// Further fields, written after the scores (for example `passages`).
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub extra: Option<serde_json::Map<String, serde_json::Value>>,
}

impl<'a> PairJson<'a> {
    /// A pair with its scores rounded, without further fields.
    pub fn new(a: &'a str, b: &'a str, jaccard: f64, containment: f64) -> PairJson<'a> {
        PairJson {
            a,
            b,
            jaccard: round4(jaccard),
            containment: round4(containment),
            extra: None,
        }
    }
}

/// One line of `scan --format jsonl`: `{"cluster", "size",
/// "representative", "docs", "pairs"}` (see [`crate::output`]).
#[derive(Debug, Serialize)]
pub struct ClusterJson<'a> {
    /// The cluster's number, `0..` in order of each cluster's first id.
    pub cluster: usize,
    /// Number of documents.
    pub size: usize,
    /// The fullest copy's id.
    pub representative: &'a str,
    /// The documents' ids, sorted.
    pub docs: Vec<&'a str>,
    /// The verified pairs inside the cluster.
    pub pairs: Vec<PairJson<'a>>,
}

/// A shared passage as `scan --explain` writes it: the [`Passage`]'s fields
/// (`a_start`, `a_end`, `b_start`, `b_end`, `words`, `edits`), then
/// `boilerplate`, the share of the passage's shingles in A that the scan
/// cut as boilerplate, rounded.
#[derive(Debug, Serialize)]
pub struct ScanPassageJson<'a> {
    /// The passage.
    #[serde(flatten)]
    pub passage: &'a Passage,
    /// Boilerplate share, rounded.
    pub boilerplate: f64,
}

/// The passages of explanation `e` as `scan --explain` writes them: each
/// with the share of its `shingle`-shingles in A's text `a` that are in
/// the scan's `boilerplate` list ([`crate::explain::boilerplate_share`]).
pub fn scan_passages<'a>(
    a: &str,
    e: &'a Explanation,
    shingle: usize,
    boilerplate: &[u32],
) -> Vec<ScanPassageJson<'a>> {
    e.passages
        .iter()
        .map(|q| ScanPassageJson {
            passage: q,
            boilerplate: round4(crate::explain::boilerplate_share(
                a,
                q.a_start,
                q.a_end,
                shingle,
                boilerplate,
            )),
        })
        .collect()
}

/// A document named in an explanation: `{"id", "bytes"}`.
#[derive(Debug, Serialize)]
pub struct ExplainDocJson<'a> {
    /// The document's id.
    pub id: &'a str,
    /// Its text's length in bytes (the offsets' range).
    pub bytes: usize,
}

/// An explanation (`neardup explain --format json`): `{"a": {"id",
/// "bytes"}, "b": {...}, "jaccard", "containment", "shingle", "coverage_a",
/// "coverage_b", "edited_words", "passages": [...], "only_a": [...],
/// "only_b": [...]}`.
///
/// `jaccard` and `containment` are the scan's scores of the pair (word
/// `shingle`-shingles); `coverage_a` and `coverage_b` the passage coverage
/// of each copy. Each passage is `{"a_start", "a_end", "b_start", "b_end",
/// "words", "edits": [{"a_start", "a_end", "b_start", "b_end"}]}`; byte
/// offsets into the texts as read; `only_a` and `only_b` are `{"start",
/// "end"}` spans. Scores are rounded to 4 decimals. A pair the figures rule
/// refuses ([`crate::figures`]: template siblings, never a duplicate
/// whatever the scores) also has `"refused": "figures"` and `"figures":
/// {"counted_a", "counted_b", "agreeing"}` after `edited_words`; a pair the
/// digest rule refuses ([`crate::digest`]: a live-update page pasting the
/// other text) has `"refused": "digest"` and `"digest": {"larger",
/// "before", "after", "shared", "foreign"}` there.
#[derive(Debug, Serialize)]
pub struct ExplainJson<'a> {
    /// Document A.
    pub a: ExplainDocJson<'a>,
    /// Document B.
    pub b: ExplainDocJson<'a>,
    /// Jaccard similarity, rounded.
    pub jaccard: f64,
    /// Containment, rounded.
    pub containment: f64,
    /// The shingle size of the scores.
    pub shingle: usize,
    /// Share of A's words in passages, rounded.
    pub coverage_a: f64,
    /// Share of B's words in passages, rounded.
    pub coverage_b: f64,
    /// Words edited inside passages.
    pub edited_words: usize,
    /// `"figures"` when the figures rule refuses the pair, `"digest"` when
    /// the digest rule does.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refused: Option<&'static str>,
    /// The figures rule's counts, when it refuses the pair.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub figures: Option<crate::figures::FigureCounts>,
    /// The digest rule's counts, when it refuses the pair.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub digest: Option<crate::digest::DigestCounts>,
    /// The shared passages.
    pub passages: &'a [Passage],
    /// What only A holds.
    pub only_a: &'a [Span],
    /// What only B holds.
    pub only_b: &'a [Span],
}

impl<'a> ExplainJson<'a> {
    /// The JSON form of explanation `e` of documents `a` and `b`.
    pub fn new(a: ReportDoc<'a>, b: ReportDoc<'a>, e: &'a Explanation) -> ExplainJson<'a> {
        ExplainJson {
            a: ExplainDocJson {
                id: a.id,
                bytes: a.text.len(),
            },
            b: ExplainDocJson {
                id: b.id,
                bytes: b.text.len(),
            },
            jaccard: round4(e.jaccard),
            containment: round4(e.containment),
            shingle: e.shingle,
            coverage_a: round4(e.coverage_a),
            coverage_b: round4(e.coverage_b),
            edited_words: e.edited_words,
            refused: e.refused(),
            figures: e.refused_by_figures().then_some(e.figures),
            digest: e.digest.filter(|_| e.refused_as_digest()),
            passages: &e.passages,
            only_a: &e.only_a,
            only_b: &e.only_b,
        }
    }
}

/// [`ExplainJson`] as a JSON value (for bindings that hand it on as a
/// dictionary).
pub fn explain_json(a: ReportDoc<'_>, b: ReportDoc<'_>, e: &Explanation) -> serde_json::Value {
    serde_json::to_value(ExplainJson::new(a, b, e)).expect("plain data serializes")
}

/// One match of a query: `{"id", "jaccard", "containment", "cluster"}`
/// (`cluster` is the match's story cluster, `null` for a document of a
/// live index that waits for its commit), then with
/// `--explain` either `"passages"` (the shared passages, offsets into the
/// query's text and the match's) or `"passages": null` and
/// `"explain_error"` when the match's text could not be read.
#[derive(Debug, Serialize)]
pub struct MatchJson<'a> {
    /// The matching document's id.
    pub id: &'a str,
    /// Jaccard similarity, rounded.
    pub jaccard: f64,
    /// Containment, rounded.
    pub containment: f64,
    /// The match's story cluster (`None` while it waits for a commit).
    pub cluster: Option<u64>,
    /// The explanation, when asked for.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub explained: Option<MatchPassages>,
}

/// The passages of a [`MatchJson`], or why there are none.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum MatchPassages {
    /// The shared passages.
    Passages {
        /// The passages.
        passages: Vec<Passage>,
    },
    /// The match's text could not be read: `"passages": null` and the
    /// reason.
    Failed {
        /// Always `null`.
        passages: (),
        /// What went wrong.
        explain_error: String,
    },
}

impl<'a> MatchJson<'a> {
    /// A match with its scores rounded, without cluster (`null`) or
    /// passages.
    pub fn new(id: &'a str, jaccard: f64, containment: f64) -> MatchJson<'a> {
        MatchJson {
            id,
            jaccard: round4(jaccard),
            containment: round4(containment),
            cluster: None,
            explained: None,
        }
    }
}

/// One line of `neardup query --format jsonl`: `{"query": <id>, "matches":
/// [...]}`, the matches as [`MatchJson`], best first.
#[derive(Debug, Serialize)]
pub struct QueryJson<'a> {
    /// The query document's id.
    pub query: &'a str,
    /// Its matches.
    pub matches: Vec<MatchJson<'a>>,
}

/// `neardup serve`'s answer to `POST /query`: `{"matches": [...]}`, the
/// matches as [`MatchJson`], best first.
#[derive(Debug, Serialize)]
pub struct MatchesJson<'a> {
    /// The matches.
    pub matches: Vec<MatchJson<'a>>,
}

/// An input left out, as `neardup serve` reports it: `{"reason",
/// "message"}`.
#[derive(Debug, Serialize)]
pub struct SkipJson<'a> {
    /// Why (the [`crate::corpus::SkipReason`]'s name).
    pub reason: String,
    /// The message naming the input.
    pub message: &'a str,
}

/// `neardup serve`'s answer to `POST /add`, once the documents are
/// durable: `{"added", "pairs", "clusters", "skipped"}`: how many were
/// added, the verified pairs they are in (as [`PairJson`]), each new
/// document's story cluster by id, and the documents left out.
#[derive(Debug, Serialize)]
pub struct AddJson<'a> {
    /// Documents added.
    pub added: usize,
    /// Verified pairs with a new document.
    pub pairs: Vec<PairJson<'a>>,
    /// Each new document's story cluster.
    pub clusters: std::collections::BTreeMap<&'a str, u64>,
    /// Documents left out, and why.
    pub skipped: Vec<SkipJson<'a>>,
}

/// `neardup serve`'s answer to `GET /docs/<id>`: `{"id", "cluster",
/// "committed", "generation", "source", "words", "bytes", "shingles",
/// "text_hash"}`; `cluster` and `generation` are `null` until the
/// document's commit.
#[derive(Debug, Serialize)]
pub struct DocJson<'a> {
    /// The document's id.
    pub id: &'a str,
    /// Its story cluster, once committed.
    pub cluster: Option<u64>,
    /// Whether it is committed.
    pub committed: bool,
    /// The generation that committed it.
    pub generation: Option<u64>,
    /// Where it was read from.
    pub source: String,
    /// Its number of words.
    pub words: u64,
    /// Its text's length in bytes.
    pub bytes: u64,
    /// Its number of distinct shingles.
    pub shingles: u64,
    /// The hash of its text, 16 hex digits.
    pub text_hash: String,
}

/// `neardup serve`'s answer to `DELETE /docs/<id>`, once durable:
/// `{"deleted", "generation"}`.
#[derive(Debug, Serialize)]
pub struct DeletedJson<'a> {
    /// The removed document's id.
    pub deleted: &'a str,
    /// The generation that committed the removal.
    pub generation: u64,
}

/// `neardup serve`'s answer to `GET /stats`: `{"index": {...}, "uptime_seconds",
/// "queries", "add_requests", "rss_bytes"}`, `index` being the live index's
/// statistics.
#[derive(Debug, Serialize)]
pub struct ServeStatsJson<'a, S: Serialize> {
    /// The live index's statistics.
    pub index: &'a S,
    /// Seconds since the service started.
    pub uptime_seconds: u64,
    /// Queries answered.
    pub queries: u64,
    /// `POST /add` requests taken.
    pub add_requests: u64,
    /// Resident memory of the service, where the system tells it.
    pub rss_bytes: Option<u64>,
}

/// `neardup serve`'s answer to `GET /health`: `{"status": "ok"}`.
#[derive(Debug, Serialize)]
pub struct HealthJson {
    /// Always `"ok"`.
    pub status: &'static str,
}

/// What `neardup serve` answers with a 4xx or 5xx status: `{"error":
/// <message>}`.
#[derive(Debug, Serialize)]
pub struct ErrorJson<'a> {
    /// What went wrong, for people.
    pub error: &'a str,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn passage() -> Passage {
        Passage {
            a_start: 0,
            a_end: 9,
            b_start: 3,
            b_end: 12,
            words: 2,
            edits: vec![],
        }
    }

    #[test]
    fn pair_fields_in_order_and_rounded() {
        let p = PairJson::new("a", "b", 0.123456, 1.0);
        assert_eq!(
            serde_json::to_string(&p).unwrap(),
            r#"{"a":"a","b":"b","jaccard":0.1235,"containment":1.0}"#
        );
    }

    #[test]
    fn scan_passage_adds_boilerplate_last() {
        let q = passage();
        let j = ScanPassageJson {
            passage: &q,
            boilerplate: 0.25,
        };
        assert_eq!(
            serde_json::to_string(&j).unwrap(),
            r#"{"a_start":0,"a_end":9,"b_start":3,"b_end":12,"words":2,"edits":[],"boilerplate":0.25}"#
        );
    }

    #[test]
    fn match_with_and_without_passages() {
        let mut m = MatchJson::new("x", 0.5, 0.75);
        assert_eq!(
            serde_json::to_string(&m).unwrap(),
            r#"{"id":"x","jaccard":0.5,"containment":0.75,"cluster":null}"#
        );
        m.cluster = Some(7);
        m.explained = Some(MatchPassages::Passages {
            passages: vec![passage()],
        });
        assert_eq!(
            serde_json::to_string(&m).unwrap(),
            r#"{"id":"x","jaccard":0.5,"containment":0.75,"cluster":7,"passages":[{"a_start":0,"a_end":9,"b_start":3,"b_end":12,"words":2,"edits":[]}]}"#
        );
        m.cluster = None;
        m.explained = Some(MatchPassages::Failed {
            passages: (),
            explain_error: "cannot explain: gone".into(),
        });
        assert_eq!(
            serde_json::to_string(&m).unwrap(),
            r#"{"id":"x","jaccard":0.5,"containment":0.75,"cluster":null,"passages":null,"explain_error":"cannot explain: gone"}"#
        );
    }
}
