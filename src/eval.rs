//! Scoring a clustering against labeled truth: pairwise precision, recall,
//! F1 and the adjusted Rand index, computed exactly as
//! `shared/tools/score_clusters.py` does (over the truth's documents; a
//! document in no predicted cluster is a singleton).

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use crate::error::{Error, Result};

/// `doc -> cluster label`, read from a `doc<TAB>cluster` file.
pub type Truth = BTreeMap<String, String>;

/// Reads a truth file (`doc<TAB>cluster`; a first line starting with `doc`
/// is a header).
pub fn read_truth(path: &Path) -> Result<Truth> {
    let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let mut truth = Truth::new();
    for (n, line) in text.lines().enumerate() {
        if line.is_empty() || (n == 0 && line.starts_with("doc")) {
            continue;
        }
        let mut parts = line.split('\t');
        match (parts.next(), parts.next()) {
            (Some(d), Some(c)) => {
                truth.insert(d.to_string(), c.to_string());
            }
            _ => {
                return Err(Error::Truth {
                    path: path.to_path_buf(),
                    line: n + 1,
                    message: "expected doc<TAB>cluster".into(),
                })
            }
        }
    }
    Ok(truth)
}

/// Pairwise scores of a predicted clustering.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Scores {
    /// Documents scored (those in the truth).
    pub docs: usize,
    /// Same-cluster pairs in the truth.
    pub truth_pairs: usize,
    /// Same-cluster pairs predicted.
    pub pred_pairs: usize,
    /// Pairs in both.
    pub true_pairs: usize,
    /// `true_pairs / pred_pairs` (1 when nothing is predicted).
    pub precision: f64,
    /// `true_pairs / truth_pairs` (1 when the truth has no pairs).
    pub recall: f64,
    /// Harmonic mean of precision and recall.
    pub f1: f64,
    /// Adjusted Rand index.
    pub ari: f64,
}

fn c2(n: usize) -> f64 {
    (n as f64) * (n as f64 - 1.0) / 2.0
}

/// Scores `pred` (doc -> predicted cluster; absent docs are singletons)
/// against `truth`.
pub fn score(truth: &Truth, pred: &HashMap<String, usize>) -> Scores {
    // Predicted label: cluster number, or a unique singleton label.
    let mut cont: HashMap<(&str, Option<usize>, &str), usize> = HashMap::new();
    let mut a: HashMap<&str, usize> = HashMap::new();
    let mut b: HashMap<(Option<usize>, &str), usize> = HashMap::new();
    for (d, t) in truth {
        let p = pred.get(d).copied();
        let single = if p.is_none() { d.as_str() } else { "" };
        *cont.entry((t.as_str(), p, single)).or_default() += 1;
        *a.entry(t.as_str()).or_default() += 1;
        *b.entry((p, single)).or_default() += 1;
    }
    let s_ij: f64 = cont.values().map(|&n| c2(n)).sum();
    let s_a: f64 = a.values().map(|&n| c2(n)).sum();
    let s_b: f64 = b.values().map(|&n| c2(n)).sum();
    let total = c2(truth.len());
    let precision = if s_b > 0.0 { s_ij / s_b } else { 1.0 };
    let recall = if s_a > 0.0 { s_ij / s_a } else { 1.0 };
    let f1 = if precision + recall > 0.0 {
        2.0 * precision * recall / (precision + recall)
    } else {
        0.0
    };
    let exp = if total > 0.0 { s_a * s_b / total } else { 0.0 };
    let mx = (s_a + s_b) / 2.0;
    let ari = if (mx - exp).abs() > 0.0 {
        (s_ij - exp) / (mx - exp)
    } else {
        1.0
    };
    Scores {
        docs: truth.len(),
        truth_pairs: s_a as usize,
        pred_pairs: s_b as usize,
        true_pairs: s_ij as usize,
        precision,
        recall,
        f1,
        ari,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn truth(v: &[(&str, &str)]) -> Truth {
        v.iter()
            .map(|(d, c)| (d.to_string(), c.to_string()))
            .collect()
    }

    #[test]
    fn perfect_and_empty() {
        let t = truth(&[("a", "1"), ("b", "1"), ("c", "2")]);
        let p: HashMap<String, usize> = [("a".into(), 0), ("b".into(), 0)].into();
        let s = score(&t, &p);
        assert_eq!((s.precision, s.recall, s.f1, s.ari), (1.0, 1.0, 1.0, 1.0));
        let s = score(&t, &HashMap::new());
        assert_eq!(s.recall, 0.0);
        assert_eq!(s.precision, 1.0);
    }

    #[test]
    fn over_merge() {
        let t = truth(&[("a", "1"), ("b", "1"), ("c", "2"), ("d", "2")]);
        let p: HashMap<String, usize> = [
            ("a".into(), 0),
            ("b".into(), 0),
            ("c".into(), 0),
            ("d".into(), 0),
        ]
        .into();
        let s = score(&t, &p);
        assert!((s.precision - 2.0 / 6.0).abs() < 1e-12);
        assert_eq!(s.recall, 1.0);
    }
}

/// A predicted cluster mixing truth clusters: false pairs, and members with
/// their truth labels.
pub type FalseMerge = (usize, Vec<(String, String)>);
/// A truth cluster split by the prediction: missed pairs, truth label, and
/// members with their predicted cluster (`None`: left single).
pub type Miss = (usize, String, Vec<(String, Option<usize>)>);

/// Scores of a scan plus its worst mistakes, printable for people.
#[derive(Debug, Clone)]
pub struct Report {
    /// The pairwise scores.
    pub scores: Scores,
    /// Predicted clusters that mix truth clusters: (false pairs, members
    /// with their truth labels), worst first.
    pub false_merges: Vec<FalseMerge>,
    /// Truth clusters split by the prediction: (missed pairs, truth label,
    /// members with their predicted cluster), worst first.
    pub misses: Vec<Miss>,
    /// Predicted ids that are not in the truth.
    pub unknown_ids: usize,
}

/// Scores a scan against the truth and lists its `worst` false merges and
/// misses.
pub fn evaluate(truth: &Truth, result: &crate::engine::ScanResult, worst: usize) -> Report {
    let mut pred: HashMap<String, usize> = HashMap::new();
    for c in &result.clusters {
        for &d in &c.docs {
            pred.insert(result.docs[d].id.clone(), c.id);
        }
    }
    let unknown_ids = result
        .docs
        .iter()
        .filter(|d| !truth.contains_key(&d.id))
        .count();
    let scores = score(truth, &pred);

    let label = |d: &str| truth.get(d).cloned().unwrap_or_else(|| "?".into());
    let mut false_merges: Vec<FalseMerge> = result
        .clusters
        .iter()
        .filter_map(|c| {
            let members: Vec<(String, String)> = c
                .docs
                .iter()
                .map(|&d| {
                    let id = result.docs[d].id.clone();
                    let l = label(&id);
                    (id, l)
                })
                .collect();
            let mut counts: HashMap<&str, usize> = HashMap::new();
            for (_, l) in &members {
                *counts.entry(l.as_str()).or_default() += 1;
            }
            let all = c2(members.len());
            let same: f64 = counts.values().map(|&n| c2(n)).sum();
            let bad = (all - same) as usize;
            (bad > 0).then_some((bad, members))
        })
        .collect();
    false_merges.sort_by(|x, y| y.0.cmp(&x.0).then(x.1.cmp(&y.1)));
    false_merges.truncate(worst);

    let mut groups: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (d, t) in truth {
        groups.entry(t.as_str()).or_default().push(d.as_str());
    }
    let mut misses: Vec<Miss> = groups
        .into_iter()
        .filter_map(|(t, docs)| {
            let members: Vec<(String, Option<usize>)> = docs
                .iter()
                .map(|d| (d.to_string(), pred.get(*d).copied()))
                .collect();
            let mut counts: HashMap<Option<usize>, usize> = HashMap::new();
            let mut missed_singletons = 0usize;
            for (_, p) in &members {
                match p {
                    Some(_) => *counts.entry(*p).or_default() += 1,
                    None => missed_singletons += 1,
                }
            }
            let all = c2(members.len());
            let kept: f64 = counts.values().map(|&n| c2(n)).sum();
            let _ = missed_singletons;
            let missed = (all - kept) as usize;
            (missed > 0).then_some((missed, t.to_string(), members))
        })
        .collect();
    misses.sort_by(|x, y| y.0.cmp(&x.0).then(x.1.cmp(&y.1)));
    misses.truncate(worst);
    Report {
        scores,
        false_merges,
        misses,
        unknown_ids,
    }
}

/// The report for people: ids and labels with their control characters
/// escaped ([`crate::display::escape_for_terminal`]).
impl std::fmt::Display for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use crate::display::escape_for_terminal as esc;
        let s = &self.scores;
        writeln!(
            f,
            "docs={} truth_pairs={} pred_pairs={} unknown_ids={}",
            s.docs, s.truth_pairs, s.pred_pairs, self.unknown_ids
        )?;
        writeln!(
            f,
            "precision={:.4} recall={:.4} f1={:.4} ari={:.4}",
            s.precision, s.recall, s.f1, s.ari
        )?;
        if !self.false_merges.is_empty() {
            writeln!(
                f,
                "\nworst false merges (predicted cluster: doc [truth label]):"
            )?;
            for (bad, members) in &self.false_merges {
                let list: Vec<String> = members
                    .iter()
                    .map(|(d, l)| format!("{} [{}]", esc(d), esc(l)))
                    .collect();
                writeln!(f, "  {bad} false pairs: {}", list.join(", "))?;
            }
        }
        if !self.misses.is_empty() {
            writeln!(
                f,
                "\nworst misses (truth cluster: doc [predicted cluster]):"
            )?;
            for (missed, t, members) in &self.misses {
                let list: Vec<String> = members
                    .iter()
                    .map(|(d, p)| match p {
                        Some(c) => format!("{} [{c}]", esc(d)),
                        None => format!("{} [-]", esc(d)),
                    })
                    .collect();
                writeln!(
                    f,
                    "  {}: {missed} missed pairs: {}",
                    esc(t),
                    list.join(", ")
                )?;
            }
        }
        Ok(())
    }
}
