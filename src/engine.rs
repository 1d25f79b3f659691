//! The engine: documents in, verified clusters out.
//!
//! ```
//! use neardup::{Config, Engine};
//! let engine = Engine::new(Config::default());
//! let story = "Chinese officials summoned the heads of major electric vehicle makers \
//!              to Beijing this week to address the long-running price war, according \
//!              to people familiar with the matter, who asked not to be identified.";
//! let mut scan = engine.scan();
//! scan.add_text("a", story);
//! scan.add_text("b", &format!("Outlet header. {story} Copyright 2025."));
//! scan.add_text("c", "An unrelated story about football results on Sunday afternoon.");
//! let result = scan.finish();
//! assert_eq!(result.clusters.len(), 1);
//! assert_eq!(result.cluster_ids(&result.clusters[0]), ["a", "b"]);
//! ```

use std::borrow::Cow;
use std::collections::HashMap;
use std::time::{Duration, Instant};

use rayon::prelude::*;

use crate::boilerplate::DfSketch;
use crate::cluster::{cluster, Edge, Scored, UnionFind};
use crate::config::Config;
use crate::corpus::{Corpus, DocSource, Document, Event, Skip, SkipReason};
use crate::lsh::candidate_pairs;
use crate::minhash::{estimate_jaccard, MinHasher};
use crate::shingle::{text_keys, text_set};
use crate::verify::{similarity, Similarity};

/// Containment (on raw shingle sets) above which two documents count as one
/// for the boilerplate document frequency.
pub const COPY_GROUP_CONTAINMENT: f64 = 0.7;

/// The near-duplicate engine: a frozen [`Config`] plus the MinHash functions
/// derived from it. Cheap to share between threads.
#[derive(Debug, Clone)]
pub struct Engine {
    config: Config,
    hasher: MinHasher,
}

/// What the engine keeps of a document after reading it.
#[derive(Debug, Clone, PartialEq)]
pub struct DocInfo {
    /// The document's id.
    pub id: String,
    /// Where its text can be read again.
    pub source: DocSource,
    /// Size of its text in bytes.
    pub bytes: usize,
    /// Number of words.
    pub words: usize,
    /// Number of distinct shingles (before the boilerplate cut).
    pub shingles: usize,
}

/// A verified duplicate pair, by document index (`a < b`).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Pair {
    /// Index of the first document in [`ScanResult::docs`].
    pub a: usize,
    /// Index of the second document.
    pub b: usize,
    /// Exact Jaccard of the shingle sets (boilerplate removed).
    pub jaccard: f64,
    /// Exact containment `|A∩B| / min(|A|,|B|)`.
    pub containment: f64,
}

/// A cluster of copies of one story.
#[derive(Debug, Clone, PartialEq)]
pub struct Cluster {
    /// Cluster number, in output order.
    pub id: usize,
    /// Index of the fullest document (most words; ties to the smallest id).
    pub representative: usize,
    /// Member indices in id order.
    pub docs: Vec<usize>,
    /// Verified duplicate pairs inside the cluster, sorted.
    pub pairs: Vec<Pair>,
}

/// Counters of a scan.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct ScanStats {
    /// Documents read and compared.
    pub documents: usize,
    /// Inputs skipped (see [`ScanResult::skipped`]).
    pub skipped: usize,
    /// Bytes of text read.
    pub bytes: u64,
    /// Shingle occurrences removed as boilerplate (summed over documents).
    pub boilerplate_shingles: usize,
    /// Pairs proposed by LSH.
    pub candidate_pairs: usize,
    /// Candidate pairs that passed verification.
    pub verified_pairs: usize,
    /// Verified pairs left between clusters by the linkage guard.
    pub rejected_pairs: usize,
    /// Clusters of two or more documents.
    pub clusters: usize,
    /// Documents inside those clusters.
    pub clustered_documents: usize,
    /// Wall time of the whole scan.
    #[serde(skip)]
    pub elapsed: Duration,
    /// Wall time of each stage, in order (`read` covers tokenizing,
    /// shingling and signing while the corpus streams in).
    #[serde(skip)]
    pub stages: Vec<(&'static str, Duration)>,
}

/// Everything a scan found.
#[derive(Debug, Clone)]
pub struct ScanResult {
    /// Every document read, sorted by id.
    pub docs: Vec<DocInfo>,
    /// Clusters of two or more documents, ordered by their first id.
    pub clusters: Vec<Cluster>,
    /// Documents that are in no cluster (indices, in id order).
    pub singletons: Vec<usize>,
    /// Inputs that were skipped, in input order.
    pub skipped: Vec<Skip>,
    /// Non-fatal problems (for example invalid UTF-8 replaced).
    pub warnings: Vec<String>,
    /// Counters.
    pub stats: ScanStats,
    /// The distinct shingle keys ([`crate::shingle::key`]) cut as
    /// boilerplate, sorted (see [`crate::explain::boilerplate_share`] to
    /// mark them in explanations).
    pub boilerplate: Vec<u32>,
}

impl ScanResult {
    /// The ids of a cluster's documents, in order.
    pub fn cluster_ids(&self, c: &Cluster) -> Vec<&str> {
        c.docs.iter().map(|&d| self.docs[d].id.as_str()).collect()
    }

    /// Skips grouped by reason, with counts, in a stable order.
    pub fn skip_counts(&self) -> Vec<(SkipReason, usize)> {
        let mut m: std::collections::BTreeMap<SkipReason, usize> = Default::default();
        for s in &self.skipped {
            *m.entry(s.reason).or_default() += 1;
        }
        m.into_iter().collect()
    }
}

struct Record {
    info: DocInfo,
    /// Sorted shingle keys ([`crate::shingle::key`]).
    set: Vec<u32>,
    sig: Vec<u32>,
}

/// The estimated (raw-set) Jaccard below which a candidate is dropped
/// without an exact comparison: half the smallest Jaccard the decision rule
/// accepts (0.05 at the defaults), about 2.7 standard deviations of the
/// estimate below it at 128 permutations. On the labeled sets it changes no
/// verdict and removes two thirds of the candidates at 100k documents. Boilerplate makes raw sets less similar
/// than cut ones only for tiny stories inside large frames, which the rule's
/// size guard excludes anyway.
fn candidate_floor(cfg: &Config) -> f64 {
    cfg.containment_min_jaccard().min(cfg.threshold()) / 2.0
}

/// Whether two raw shingle sets are near-verbatim copies for the boilerplate
/// count: containment at least [`COPY_GROUP_CONTAINMENT`], both large enough
/// for the containment rule.
pub fn is_near_copy<T: Ord + Copy>(a: &[T], b: &[T], cfg: &Config) -> bool {
    let s = similarity(a, b);
    s.containment >= COPY_GROUP_CONTAINMENT
        && s.size_a.min(s.size_b) >= cfg.min_containment_shingles()
}

/// Groups near-verbatim copies (containment >= [`COPY_GROUP_CONTAINMENT`]
/// on the raw shingle sets, among the LSH candidates) with union-find.
/// Returns the group of each document and the number of groups.
fn copy_groups(sets: &[Vec<u32>], candidates: &[(u32, u32)], cfg: &Config) -> (Vec<u32>, usize) {
    let n = sets.len();
    let copies: Vec<(u32, u32)> = candidates
        .par_iter()
        .copied()
        .filter(|&(a, b)| is_near_copy(&sets[a as usize], &sets[b as usize], cfg))
        .collect();
    let mut uf = UnionFind::new(n);
    for (a, b) in copies {
        uf.union(a, b);
    }
    let mut id = vec![u32::MAX; n];
    let mut next = 0u32;
    let mut groups = vec![0u32; n];
    for (d, g) in groups.iter_mut().enumerate() {
        let r = uf.find(d as u32) as usize;
        if id[r] == u32::MAX {
            id[r] = next;
            next += 1;
        }
        *g = id[r];
    }
    (groups, next as usize)
}

/// Share of the copy groups counted for boilerplate when the cut is
/// `cut` groups: all of them up to a cut of [`BOILERPLATE_SAMPLE`], then
/// `BOILERPLATE_SAMPLE / cut`, so a shingle exactly at the cut is expected in
/// `BOILERPLATE_SAMPLE` sampled groups (standard deviation about 8, so
/// shingles within ~25% of the cut may fall on either side; at twice the
/// cut or half of it the verdict is all but certain). The cut grows with the
/// corpus (1% of the groups by default), so the counting work stays near
/// `BOILERPLATE_SAMPLE / share` groups' worth of shingles however large the
/// corpus is.
pub fn boilerplate_sample_rate(cut: usize) -> f64 {
    if cut <= BOILERPLATE_SAMPLE {
        1.0
    } else {
        BOILERPLATE_SAMPLE as f64 / cut as f64
    }
}

/// Expected sampled count of a shingle exactly at the boilerplate cut (see
/// [`boilerplate_sample_rate`]).
pub const BOILERPLATE_SAMPLE: usize = 64;

/// The sorted union of sorted sets.
fn union_of<'a, T: Ord + Copy + 'a>(sets: impl Iterator<Item = &'a [T]>) -> Vec<T> {
    let mut union: Vec<T> = sets.flatten().copied().collect();
    union.sort_unstable();
    union.dedup();
    union
}

/// An ongoing scan: add documents, then [`finish`](Scan::finish).
pub struct Scan<'e> {
    engine: &'e Engine,
    started: Instant,
    records: Vec<Record>,
    seen: HashMap<String, usize>,
    skipped: Vec<Skip>,
    warnings: Vec<String>,
    bytes: u64,
}

impl Engine {
    /// An engine for `config`.
    pub fn new(config: Config) -> Engine {
        let hasher = MinHasher::with_scheme(config.scheme(), config.perms(), config.seed());
        Engine { config, hasher }
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The MinHash functions.
    pub fn hasher(&self) -> &MinHasher {
        &self.hasher
    }

    /// The sorted shingle set of a text under this configuration.
    pub fn shingle_set(&self, text: &str) -> Vec<u64> {
        text_set(text, self.config.shingle()).1
    }

    /// Exact similarity of two texts (no boilerplate cut: that needs a corpus).
    pub fn compare(&self, a: &str, b: &str) -> Similarity {
        similarity(&self.shingle_set(a), &self.shingle_set(b))
    }

    /// Starts a scan.
    pub fn scan(&self) -> Scan<'_> {
        Scan {
            engine: self,
            started: Instant::now(),
            records: Vec::new(),
            seen: HashMap::new(),
            skipped: Vec::new(),
            warnings: Vec::new(),
            bytes: 0,
        }
    }

    /// Scans a corpus in one call (see [`Scan::add_corpus`]).
    pub fn scan_corpus(&self, corpus: &Corpus) -> ScanResult {
        let mut scan = self.scan();
        scan.add_corpus(corpus, |_| {});
        scan.finish()
    }

    fn record(&self, doc: Document<'_>) -> Record {
        let mut sig = vec![crate::minhash::EMPTY; self.hasher.perms()];
        let (words, set) = text_keys(&doc.text, self.config.shingle(), |shingles| {
            self.hasher.signature_into(shingles, &mut sig)
        });
        Record {
            info: DocInfo {
                id: doc.id,
                source: doc.source,
                bytes: doc.text.len(),
                words,
                shingles: set.len(),
            },
            set,
            sig,
        }
    }
}

impl Scan<'_> {
    fn push(&mut self, rec: Record) {
        self.bytes += rec.info.bytes as u64;
        if rec.info.words == 0 {
            self.skipped.push(Skip {
                location: rec.info.source.to_string(),
                reason: SkipReason::Empty,
                message: format!("document {:?} has no words", rec.info.id),
            });
            return;
        }
        if let Some(&first) = self.seen.get(&rec.info.id) {
            let message = format!(
                "id {:?} was already used by {}",
                rec.info.id, self.records[first].info.source
            );
            self.skipped.push(Skip {
                location: rec.info.source.to_string(),
                reason: SkipReason::DuplicateId,
                message,
            });
            return;
        }
        self.seen.insert(rec.info.id.clone(), self.records.len());
        self.records.push(rec);
    }

    /// Adds one in-memory document. Returns the skip when it is not kept
    /// (no words, or an id used before).
    pub fn add_text(&mut self, id: &str, text: &str) -> Option<Skip> {
        let before = self.skipped.len();
        let rec = self.engine.record(Document {
            id: id.to_string(),
            text: text.into(),
            source: DocSource::Memory,
        });
        self.push(rec);
        (self.skipped.len() > before).then(|| self.skipped.last().cloned().unwrap())
    }

    /// Streams a corpus into the scan, in parallel. `progress` receives the
    /// number of input bytes consumed, batch by batch.
    pub fn add_corpus(&mut self, corpus: &Corpus, progress: impl FnMut(u64)) {
        let engine = self.engine;
        corpus.process(
            |doc| engine.record(doc),
            |e| match e {
                Event::Doc(rec) => self.push(rec),
                Event::Skip(s) => self.skipped.push(s),
                Event::Warning(w) => self.warnings.push(w),
            },
            progress,
        );
    }

    /// Number of documents kept so far.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// Whether no document was kept so far.
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// Runs boilerplate cut, MinHash, LSH, verification and clustering.
    pub fn finish(self) -> ScanResult {
        let cfg = &self.engine.config;
        let mut stages = vec![("read", self.started.elapsed())];
        let mut lap = Instant::now();
        let mut mark = |name: &'static str| {
            stages.push((name, lap.elapsed()));
            lap = Instant::now();
        };
        let mut records = self.records;
        records.par_sort_by(|x, y| x.info.id.cmp(&y.info.id));
        let n = records.len();
        let mut stats = ScanStats {
            documents: n,
            skipped: self.skipped.len(),
            bytes: self.bytes,
            ..Default::default()
        };

        // 1. LSH candidates from the signatures computed while reading (on
        //    the raw sets), or every pair in exact mode.
        let perms = cfg.perms();
        let mut sets: Vec<Vec<u32>> = Vec::with_capacity(n);
        let mut sigs: Vec<u32> = Vec::with_capacity(n * perms);
        for r in &mut records {
            sets.push(std::mem::take(&mut r.set));
            sigs.extend_from_slice(&r.sig);
            r.sig = Vec::new();
        }
        let candidates: Vec<(u32, u32)> = if cfg.exact() {
            (0..n as u32)
                .into_par_iter()
                .flat_map_iter(|a| (a + 1..n as u32).map(move |b| (a, b)))
                .collect()
        } else {
            let mut c = candidate_pairs(&sigs, perms, cfg.banding(), cfg.max_bucket());
            // Cheap screen before exact comparison: a pair whose signatures
            // agree on almost nothing cannot pass the decision rule (every
            // duplicate has Jaccard >= containment_min_jaccard).
            let floor = candidate_floor(cfg);
            let sig = |d: u32| &sigs[d as usize * perms..(d as usize + 1) * perms];
            c.retain(|&(a, b)| estimate_jaccard(sig(a), sig(b)) >= floor);
            c
        };
        drop(sigs);
        stats.candidate_pairs = candidates.len();
        mark("lsh");

        // 2. Boilerplate: shingles in too many documents are dropped.
        let mut boilerplate = Vec::new();
        if cfg.boilerplate_cut(n).is_some() {
            // Document frequency is counted per group of near-verbatim
            // copies, not per document: a story syndicated forty times is
            // one group, while an outlet's footer under forty different
            // stories is forty.
            let (groups, n_groups) = copy_groups(&sets, &candidates, cfg);
            mark("copy groups");
            let cut = cfg.boilerplate_cut(n_groups).unwrap_or(usize::MAX);
            let mut members: Vec<Vec<u32>> = vec![Vec::new(); n_groups];
            for (d, &g) in groups.iter().enumerate() {
                members[g as usize].push(d as u32);
            }
            // Large corpora count a deterministic sample of the groups (see
            // `boilerplate_sample_rate`), chosen by the id of each group's
            // first document.
            let rate = boilerplate_sample_rate(cut);
            if rate < 1.0 {
                let bound = (rate * u64::MAX as f64) as u64;
                members.retain(|m| {
                    xxhash_rust::xxh3::xxh3_64(records[m[0] as usize].info.id.as_bytes()) <= bound
                });
            }
            let sampled_cut = cut as f64 * rate;
            let volume: usize = members
                .iter()
                .map(|m| m.iter().map(|&d| sets[d as usize].len()).sum::<usize>())
                .sum();
            let sketch = DfSketch::build(volume, &members, |m| match m.as_slice() {
                [one] => Cow::Borrowed(sets[*one as usize].as_slice()),
                many => Cow::Owned(union_of(many.iter().map(|&d| sets[d as usize].as_slice()))),
            });
            mark("df sketch");
            // Only documents in a candidate pair are compared again: the
            // others' sets are dropped instead of cut.
            let mut compared = vec![false; n];
            for &(a, b) in &candidates {
                compared[a as usize] = true;
                compared[b as usize] = true;
            }
            let mut cut_out: Vec<u32> = sets
                .par_iter_mut()
                .zip(compared.par_iter())
                .flat_map_iter(|(s, &keep_set)| {
                    let mut gone = Vec::new();
                    if !keep_set {
                        *s = Vec::new();
                        return gone;
                    }
                    sketch.retain_at_most(s, sampled_cut, &mut gone);
                    gone
                })
                .collect();
            stats.boilerplate_shingles = cut_out.len();
            cut_out.par_sort_unstable();
            cut_out.dedup();
            boilerplate = cut_out;
            mark("cut");
        }

        // 3. Verification against the exact sets (boilerplate removed).
        let check = |a: u32, b: u32| -> Scored {
            let s = similarity(&sets[a as usize], &sets[b as usize]);
            Scored {
                containment: s.containment,
                edge: cfg.is_duplicate(&s).then_some(Edge {
                    a,
                    b,
                    jaccard: s.jaccard,
                    containment: s.containment,
                }),
            }
        };
        let edges: Vec<Edge> = candidates
            .par_iter()
            .filter_map(|&(a, b)| check(a, b).edge)
            .collect();
        stats.verified_pairs = edges.len();
        mark("verify");

        // 4. Clusters.
        let weight: Vec<u64> = records.iter().map(|r| r.info.words as u64).collect();
        let clustering = cluster(n, &edges, &weight, cfg.linkage(), check);
        stats.rejected_pairs = clustering.rejected_edges;
        mark("cluster");

        let mut by_group: HashMap<u32, Vec<Pair>> = HashMap::new();
        let group_of = {
            let mut g = vec![0u32; n];
            for (i, grp) in clustering.groups.iter().enumerate() {
                for &d in &grp.members {
                    g[d as usize] = i as u32;
                }
            }
            g
        };
        for e in &clustering.edges {
            by_group
                .entry(group_of[e.a as usize])
                .or_default()
                .push(Pair {
                    a: e.a as usize,
                    b: e.b as usize,
                    jaccard: e.jaccard,
                    containment: e.containment,
                });
        }
        let mut clusters = Vec::new();
        let mut singletons = Vec::new();
        for (i, g) in clustering.groups.into_iter().enumerate() {
            if g.members.len() < 2 {
                singletons.push(g.members[0] as usize);
                continue;
            }
            clusters.push(Cluster {
                id: clusters.len(),
                representative: g.representative as usize,
                docs: g.members.iter().map(|&d| d as usize).collect(),
                pairs: by_group.remove(&(i as u32)).unwrap_or_default(),
            });
        }
        stats.clusters = clusters.len();
        stats.clustered_documents = clusters.iter().map(|c| c.docs.len()).sum();
        mark("assemble");
        stats.stages = stages;
        stats.elapsed = self.started.elapsed();
        ScanResult {
            docs: records.into_iter().map(|r| r.info).collect(),
            clusters,
            singletons,
            skipped: self.skipped,
            warnings: self.warnings,
            stats,
            boilerplate,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boilerplate_sample_rate_keeps_the_expected_count_at_the_cut() {
        assert_eq!(boilerplate_sample_rate(20), 1.0);
        assert_eq!(boilerplate_sample_rate(BOILERPLATE_SAMPLE), 1.0);
        for cut in [65, 300, 3_000, 100_000] {
            let r = boilerplate_sample_rate(cut);
            assert!(r < 1.0);
            assert!((cut as f64 * r - BOILERPLATE_SAMPLE as f64).abs() < 1e-9);
        }
    }

    #[test]
    fn union_of_sorted_sets() {
        let sets: [&[u64]; 3] = [&[1, 4, 9], &[2, 4], &[9, 10]];
        assert_eq!(union_of(sets.into_iter()), [1, 2, 4, 9, 10]);
    }
}
