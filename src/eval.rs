//! Scoring a clustering against labeled truth: pairwise precision, recall,
//! F1 and the adjusted Rand index, computed exactly as
//! `shared/tools/score_clusters.py` does (over the truth's documents; a
//! document in no predicted cluster is a singleton).
//!
//! A truth file may mark an error class per document in an optional third
//! column (`doc<TAB>cluster<TAB>class`). The scores of a class are then
//! those of the truth's rows of that class alone: what
//! `score_clusters.py` prints for a truth file holding only those rows.
//! Pairs between documents of two different classes count only in the
//! overall scores.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use crate::error::{Error, Result};

/// `doc -> cluster label`, read from a `doc<TAB>cluster` file.
pub type Truth = BTreeMap<String, String>;

/// `doc -> class`, for the documents whose truth row has a (non-empty)
/// third column.
pub type Classes = BTreeMap<String, String>;

/// Reads a truth file (`doc<TAB>cluster`; a first line starting with `doc`
/// is a header). A third column, if any, is ignored (see
/// [`read_truth_classes`]).
pub fn read_truth(path: &Path) -> Result<Truth> {
    read_truth_classes(path).map(|(truth, _)| truth)
}

/// Reads a truth file whose rows may carry a class in a third column
/// (`doc<TAB>cluster<TAB>class`): the truth, and the class of each row
/// that names one. Rows without a third column (or with an empty one)
/// belong to no class.
pub fn read_truth_classes(path: &Path) -> Result<(Truth, Classes)> {
    let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let mut truth = Truth::new();
    let mut classes = Classes::new();
    for (n, line) in text.lines().enumerate() {
        if line.is_empty() || (n == 0 && line.starts_with("doc")) {
            continue;
        }
        let mut parts = line.split('\t');
        match (parts.next(), parts.next()) {
            (Some(d), Some(c)) => {
                truth.insert(d.to_string(), c.to_string());
                match parts.next().filter(|k| !k.is_empty()) {
                    Some(k) => classes.insert(d.to_string(), k.to_string()),
                    None => classes.remove(d),
                };
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
    Ok((truth, classes))
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
    fn classes_are_scored_on_their_rows_alone() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("truth.tsv");
        std::fs::write(
            &path,
            "doc\tcluster\tclass\na\t1\tshort\nb\t1\tshort\nc\t2\tsibling\nd\t3\tsibling\ne\t4\n",
        )
        .unwrap();
        let (t, k) = read_truth_classes(&path).unwrap();
        assert_eq!(t.len(), 5);
        assert_eq!(k.len(), 4);
        assert!(!k.contains_key("e"));
        assert_eq!(read_truth(&path).unwrap(), t);
        // a-b found, c-d wrongly merged, e merged with c too.
        let p: HashMap<String, usize> = [
            ("a".into(), 0),
            ("b".into(), 0),
            ("c".into(), 1),
            ("d".into(), 1),
            ("e".into(), 1),
        ]
        .into();
        let per = class_scores(&t, &k, &p);
        assert_eq!(per.len(), 2);
        assert_eq!(per[0].0, "short");
        assert_eq!((per[0].1.precision, per[0].1.recall), (1.0, 1.0));
        assert_eq!(per[1].0, "sibling");
        // The sibling class alone: c and d apart in the truth, together in
        // the prediction (e is in no class).
        assert_eq!(per[1].1.truth_pairs, 0);
        assert_eq!(per[1].1.pred_pairs, 1);
        assert_eq!(per[1].1.precision, 0.0);
        // Overall: the same as scoring every row.
        let all = score(&t, &p);
        assert_eq!(all.pred_pairs, 4);
        assert_eq!(all.true_pairs, 1);
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
    /// The scores of each class of the truth, by class name (empty when
    /// the truth marks no classes; see the module documentation).
    pub classes: Vec<(String, Scores)>,
}

/// Scores a scan against the truth and lists its `worst` false merges and
/// misses.
pub fn evaluate(truth: &Truth, result: &crate::engine::ScanResult, worst: usize) -> Report {
    evaluate_with_classes(truth, &Classes::new(), result, worst)
}

/// The scores of each class: `truth` restricted to the documents of that
/// class, scored against `pred` (sorted by class name).
pub fn class_scores(
    truth: &Truth,
    classes: &Classes,
    pred: &HashMap<String, usize>,
) -> Vec<(String, Scores)> {
    let mut by_class: BTreeMap<&str, Truth> = BTreeMap::new();
    for (d, k) in classes {
        if let Some(t) = truth.get(d) {
            by_class
                .entry(k.as_str())
                .or_default()
                .insert(d.clone(), t.clone());
        }
    }
    by_class
        .into_iter()
        .map(|(k, t)| (k.to_string(), score(&t, pred)))
        .collect()
}

/// [`evaluate`], with the scores of each class of `classes` (see
/// [`read_truth_classes`]).
pub fn evaluate_with_classes(
    truth: &Truth,
    classes: &Classes,
    result: &crate::engine::ScanResult,
    worst: usize,
) -> Report {
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
    let class_figures = class_scores(truth, classes, &pred);

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
        classes: class_figures,
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
        for (k, s) in &self.classes {
            writeln!(
                f,
                "class {}: docs={} truth_pairs={} pred_pairs={} precision={:.4} recall={:.4} f1={:.4} ari={:.4}",
                esc(k),
                s.docs,
                s.truth_pairs,
                s.pred_pairs,
                s.precision,
                s.recall,
                s.f1,
                s.ari
            )?;
        }
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
