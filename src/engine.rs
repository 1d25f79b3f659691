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
use std::collections::hash_map::Entry;
use std::collections::HashMap;
use std::time::{Duration, Instant};

use rayon::prelude::*;

use crate::boilerplate::{frequent_keys_in, KeySet};
use crate::cluster::{cluster, Edge, Group, Scored, UnionFind};
use crate::config::Config;
use crate::corpus::{Corpus, DocSource, Document, Event, Skip, SkipReason};
use crate::lsh::candidate_pairs_by;
use crate::minhash::{estimate_jaccard, MinHasher};
use crate::shingle::{text_keys_with, text_set, Unsorted};
use crate::store::{SetStore, StoredKeys, DEFAULT_SET_BUDGET};
use crate::verify::{intersection_size, similarity, Similarity};

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
    /// Shingle occurrences removed as boilerplate, summed over the documents
    /// that are compared (those in some candidate pair).
    pub boilerplate_shingles: usize,
    /// Pairs proposed by LSH.
    pub candidate_pairs: usize,
    /// Candidate pairs that passed verification.
    pub verified_pairs: usize,
    /// Duplicate pairs that LSH did not propose, found when the clustering
    /// compared the members of two clusters on demand (see
    /// [`crate::cluster`]).
    pub linkage_pairs: usize,
    /// Duplicate pairs (verified or found on demand) left between clusters
    /// by the linkage guard.
    pub rejected_pairs: usize,
    /// Duplicate pairs inside clusters: the pairs the outputs list,
    /// `verified_pairs + linkage_pairs - rejected_pairs`.
    pub pairs: usize,
    /// Groups of near-verbatim copies counted for the boilerplate cut.
    pub copy_groups: usize,
    /// The boilerplate cut: a shingle in more than this many copy groups
    /// was left out of every set (`None` when the cut is off).
    pub boilerplate_cut: Option<usize>,
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
    /// The configuration of the scan.
    pub config: Config,
}

impl ScanResult {
    /// The ids of a cluster's documents, in order.
    pub fn cluster_ids(&self, c: &Cluster) -> Vec<&str> {
        c.docs.iter().map(|&d| self.docs[d].id.as_str()).collect()
    }

    /// Explains two texts of this scan's documents (as
    /// [`crate::corpus::load_source`] reads them again) with the scan's own
    /// shingle size and boilerplate cut: the explanation's Jaccard and
    /// containment are the ones the scan gave the pair, and for any other
    /// two documents of the scan the ones it would have given.
    pub fn explain_texts(&self, a: &str, b: &str) -> crate::explain::Explanation {
        crate::explain::explain_with_cut(
            a,
            b,
            &crate::explain::AlignConfig::for_scan(&self.config),
            &self.boilerplate,
        )
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
    /// XXH3 of the id under the scan's seed.
    id_hash: u64,
    /// Sorted shingle keys ([`crate::shingle::key`]).
    set: StoredKeys,
    /// Its signature, written where it is kept by the thread that read the
    /// document ([`StoredKeys::written`]).
    sig: StoredKeys,
}

/// The hasher of the id table: its keys are already seeded XXH3 values.
#[derive(Default)]
struct IdHasher(u64);

impl std::hash::Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        // Only `u64` keys are hashed; fold anything else in all the same.
        for &b in bytes {
            self.0 = (self.0.rotate_left(8)) ^ b as u64;
        }
    }
    fn write_u64(&mut self, v: u64) {
        self.0 = v;
    }
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
pub fn is_near_copy<T: Ord + Copy + 'static>(a: &[T], b: &[T], cfg: &Config) -> bool {
    is_near_copy_by(&similarity(a, b), cfg)
}

/// [`is_near_copy`] from the similarity of the raw sets.
fn is_near_copy_by(s: &Similarity, cfg: &Config) -> bool {
    s.containment >= COPY_GROUP_CONTAINMENT
        && s.size_a.min(s.size_b) >= cfg.min_containment_shingles()
}

/// Groups near-verbatim copies: the connected components of the `copies`
/// pairs (containment >= [`COPY_GROUP_CONTAINMENT`] on the raw shingle
/// sets, among the LSH candidates). Returns the group of each of the `n`
/// documents, groups numbered in order of their first document, and the
/// number of groups.
fn copy_groups(n: usize, copies: impl Iterator<Item = (u32, u32)>) -> (Vec<u32>, usize) {
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

/// Documents per batch of candidate components (a larger component is a
/// batch of its own).
const BATCH_DOCS: usize = 4096;

/// The connected components of the candidate graph that have a pair, cut
/// into batches of about [`BATCH_DOCS`] documents, each with its members
/// (sorted) and its candidate pairs (sorted).
struct Batches {
    members: Vec<Vec<u32>>,
    pairs: Vec<Vec<(u32, u32)>>,
}

impl Batches {
    fn new(n: usize, candidates: &[(u32, u32)]) -> Batches {
        let mut uf = UnionFind::new(n);
        for &(a, b) in candidates {
            uf.union(a, b);
        }
        const NONE: u32 = u32::MAX;
        const PAIRED: u32 = u32::MAX - 1;
        // Each paired document's root (its component's smallest document),
        // and each component's size, by root.
        let mut root = vec![NONE; n];
        for &(a, b) in candidates {
            root[a as usize] = PAIRED;
            root[b as usize] = PAIRED;
        }
        let mut size = vec![0u32; n];
        for d in 0..n as u32 {
            if root[d as usize] == PAIRED {
                let r = uf.find(d);
                root[d as usize] = r;
                size[r as usize] += 1;
            }
        }
        // Components in order of their root fill batches in turn.
        let mut batch_of_root = vec![NONE; n];
        let mut filled: Vec<usize> = Vec::new();
        for d in 0..n {
            if root[d] == d as u32 {
                let docs = size[d] as usize;
                if filled.last().is_none_or(|&f| f + docs > BATCH_DOCS) {
                    filled.push(0);
                }
                *filled.last_mut().expect("pushed") += docs;
                batch_of_root[d] = filled.len() as u32 - 1;
            }
        }
        // Members in document order: each batch's list comes out sorted.
        let mut members: Vec<Vec<u32>> = filled.iter().map(|&f| Vec::with_capacity(f)).collect();
        for (d, &r) in root.iter().enumerate() {
            if r != NONE {
                members[batch_of_root[r as usize] as usize].push(d as u32);
            }
        }
        let mut pairs: Vec<Vec<(u32, u32)>> = vec![Vec::new(); members.len()];
        for &(a, b) in candidates {
            pairs[batch_of_root[root[a as usize] as usize] as usize].push((a, b));
        }
        Batches { members, pairs }
    }

    fn len(&self) -> usize {
        self.members.len()
    }

    fn get(&self, b: usize) -> (&[u32], &[(u32, u32)]) {
        (&self.members[b], &self.pairs[b])
    }
}

/// The position of document `d` among a batch's sorted `members`.
fn local(members: &[u32], d: u32) -> usize {
    members
        .binary_search(&d)
        .expect("a batch holds its pairs' documents")
}

/// What one batch gives.
#[derive(Default)]
struct BatchResult {
    /// Distinct shingle keys cut, sorted.
    cut: Vec<u32>,
    /// Shingle occurrences cut.
    cut_occurrences: usize,
    verified: usize,
    rejected: usize,
    /// Duplicate pairs found on demand by the linkage check.
    found: usize,
    /// Its groups of two or more documents, each with its kept pairs
    /// (sorted), in document numbers.
    clusters: Vec<(Group, Vec<Pair>)>,
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

/// The sorted union of sorted, repeat-free key sets: merged two at a time
/// when there are a few, sorted together when there are many.
fn union_of<'a>(sets: impl Iterator<Item = &'a [u32]>) -> Vec<u32> {
    let sets: Vec<&[u32]> = sets.collect();
    if sets.len() > 8 {
        let mut union: Vec<u32> = sets.iter().flat_map(|s| s.iter().copied()).collect();
        crate::shingle::sort_keys(&mut union, &mut Vec::new());
        union.dedup();
        return union;
    }
    let mut union: Vec<u32> = sets.first().map(|s| s.to_vec()).unwrap_or_default();
    let mut next = Vec::new();
    for s in &sets[1.min(sets.len())..] {
        // Branch-free merge into a buffer sized for the worst case (written
        // by index: no capacity check per key), then cut to length.
        next.clear();
        next.resize(union.len() + s.len(), 0);
        let (mut i, mut j, mut o) = (0, 0, 0);
        while i < union.len() && j < s.len() {
            let (x, y) = (union[i], s[j]);
            next[o] = x.min(y);
            o += 1;
            i += (x <= y) as usize;
            j += (y <= x) as usize;
        }
        let rest = if i < union.len() {
            &union[i..]
        } else {
            &s[j..]
        };
        next[o..o + rest.len()].copy_from_slice(rest);
        next.truncate(o + rest.len());
        std::mem::swap(&mut union, &mut next);
    }
    union
}

/// An ongoing scan: add documents, then [`finish`](Scan::finish).
pub struct Scan<'e> {
    engine: &'e Engine,
    started: Instant,
    /// Kept documents, in the order they were added.
    infos: Vec<DocInfo>,
    /// Their signatures.
    sigs: Vec<StoredKeys>,
    /// Their shingle-key sets.
    store: SetStore,
    /// Ids kept so far, by their XXH3 under `id_seed` (computed by the
    /// thread that read the document): the index of the first document
    /// with that hash. A per-scan random seed means no crafted ids can
    /// make the table slow.
    seen: HashMap<u64, usize, std::hash::BuildHasherDefault<IdHasher>>,
    /// Ids whose hash is that of a different, earlier id (a 64-bit
    /// collision: in practice never), compared whole.
    seen_colliding: HashMap<String, usize>,
    id_seed: u64,
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
            infos: Vec::new(),
            sigs: Vec::new(),
            store: SetStore::new(DEFAULT_SET_BUDGET),
            seen: HashMap::default(),
            seen_colliding: HashMap::new(),
            id_seed: {
                use std::hash::{BuildHasher, Hasher};
                std::collections::hash_map::RandomState::new()
                    .build_hasher()
                    .finish()
            },
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

    /// A document's record. With `packed`, its set and signature are
    /// written straight into the reading thread's slabs (a corpus's
    /// threads let go of those when it is read); otherwise each gets a
    /// vector of its own (a document added alone, on a caller's thread that
    /// would keep a slab it may never fill).
    fn record(&self, doc: Document<'_>, id_seed: u64, packed: bool) -> Record {
        let perms = self.hasher.perms();
        let mut sig = None;
        let (words, set) = text_keys_with(
            &doc.text,
            self.config.shingle(),
            |shingles| {
                let sign = |out: &mut [u32]| self.hasher.signature_into(shingles, out);
                sig = Some(if packed {
                    StoredKeys::written(perms, sign)
                } else {
                    let mut row = vec![0; perms];
                    sign(&mut row);
                    row.into()
                })
            },
            |keys: Unsorted<'_>| {
                if packed {
                    StoredKeys::packed_sorting(keys)
                } else {
                    keys.sorted().to_vec().into()
                }
            },
        );
        let sig = sig.expect("the shingles are always signed");
        Record {
            id_hash: xxhash_rust::xxh3::xxh3_64_with_seed(doc.id.as_bytes(), id_seed),
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
        let next = self.infos.len();
        let first = match self.seen.entry(rec.id_hash) {
            Entry::Vacant(v) => {
                v.insert(next);
                None
            }
            Entry::Occupied(o) if self.infos[*o.get()].id == rec.info.id => Some(*o.get()),
            Entry::Occupied(_) => match self.seen_colliding.get(&rec.info.id) {
                Some(&first) => Some(first),
                None => {
                    self.seen_colliding.insert(rec.info.id.clone(), next);
                    None
                }
            },
        };
        if let Some(first) = first {
            let message = format!(
                "id {:?} was already used by {}",
                rec.info.id, self.infos[first].source
            );
            self.skipped.push(Skip {
                location: rec.info.source.to_string(),
                reason: SkipReason::DuplicateId,
                message,
            });
            return;
        }
        self.sigs.push(rec.sig);
        self.store.push(rec.set);
        self.infos.push(rec.info);
    }

    /// Keeps at most `bytes` of shingle sets in memory (default
    /// [`DEFAULT_SET_BUDGET`]); past that, sets go to an unnamed temporary
    /// file and are read back batch by batch (see [`crate::store`]). Results
    /// do not depend on it.
    pub fn set_memory_budget(&mut self, bytes: usize) {
        self.store.set_budget(bytes);
    }

    /// Adds one in-memory document. Returns the skip when it is not kept
    /// (no words, or an id used before).
    pub fn add_text(&mut self, id: &str, text: &str) -> Option<Skip> {
        let before = self.skipped.len();
        let rec = self.engine.record(
            Document {
                id: id.to_string(),
                text: text.into(),
                source: DocSource::Memory,
            },
            self.id_seed,
            false,
        );
        self.push(rec);
        (self.skipped.len() > before).then(|| self.skipped.last().cloned().unwrap())
    }

    /// Streams a corpus into the scan, in parallel. `progress` receives the
    /// number of input bytes consumed, batch by batch.
    pub fn add_corpus(&mut self, corpus: &Corpus, progress: impl FnMut(u64)) {
        let (engine, id_seed) = (self.engine, self.id_seed);
        // Once the sets spill to disk, each slab of them is dropped when
        // written out: its memory goes to the next one.
        let _recycling = crate::store::Recycling::start();
        self.sigs.reserve(corpus.entries());
        self.seen.reserve(corpus.entries());
        self.infos.reserve(corpus.entries());
        self.store.reserve(corpus.entries());
        corpus.process(
            |doc| engine.record(doc, id_seed, true),
            |e| match e {
                Event::Doc(rec) => self.push(rec),
                Event::Skip(s) => self.skipped.push(s),
                Event::Warning(w) => self.warnings.push(w),
            },
            progress,
        );
        // The slabs the reading threads were filling get no further sets.
        StoredKeys::release_thread_slabs();
    }

    /// Number of documents kept so far.
    pub fn len(&self) -> usize {
        self.infos.len()
    }

    /// Whether no document was kept so far.
    pub fn is_empty(&self) -> bool {
        self.infos.is_empty()
    }

    /// Runs LSH, the boilerplate cut, verification and clustering.
    ///
    /// After LSH, documents are handled one batch of candidate components
    /// at a time (a component never shares a candidate pair with another,
    /// so copy groups, verification and clustering never cross one): only
    /// one batch's sets per thread are loaded, which is what keeps a
    /// spilled [`SetStore`] out of memory.
    pub fn finish(self) -> ScanResult {
        let cfg = &self.engine.config;
        let mut stages = vec![("read", self.started.elapsed())];
        let mut lap = Instant::now();
        let mut mark = |name: &'static str| {
            stages.push((name, lap.elapsed()));
            lap = Instant::now();
        };
        let Scan {
            started,
            infos,
            sigs,
            mut store,
            seen,
            seen_colliding,
            skipped,
            mut warnings,
            bytes,
            ..
        } = self;
        drop((seen, seen_colliding));
        store.seal();
        let n = infos.len();
        let mut stats = ScanStats {
            documents: n,
            skipped: skipped.len(),
            bytes,
            ..Default::default()
        };

        // Documents are numbered by id from here on; `order[d]` is the
        // number under which document `d` was added (its store slot).
        let mut order: Vec<u32> = (0..n as u32).collect();
        order.par_sort_by(|&x, &y| infos[x as usize].id.cmp(&infos[y as usize].id));
        let mut pos = vec![0u32; n];
        for (i, &d) in order.iter().enumerate() {
            pos[d as usize] = i as u32;
        }
        mark("ids");

        // 1. LSH candidates from the signatures computed while reading (on
        //    the raw sets), or every pair in exact mode.
        let perms = cfg.perms();
        let candidates: Vec<(u32, u32)> = if cfg.exact() {
            (0..n as u32)
                .into_par_iter()
                .flat_map_iter(|a| (a + 1..n as u32).map(move |b| (a, b)))
                .collect()
        } else {
            let c = candidate_pairs_by(n, perms, cfg.banding(), cfg.max_bucket(), |d| &sigs[d]);
            // Cheap screen before exact comparison: a pair whose signatures
            // agree on almost nothing cannot pass the decision rule (every
            // duplicate has Jaccard >= containment_min_jaccard).
            let floor = candidate_floor(cfg);
            let sig = |d: u32| &*sigs[d as usize];
            let mut c: Vec<(u32, u32)> = c
                .into_par_iter()
                .filter(|&(a, b)| estimate_jaccard(sig(a), sig(b)) >= floor)
                .map(|(a, b)| {
                    let (x, y) = (pos[a as usize], pos[b as usize]);
                    (x.min(y), x.max(y))
                })
                .collect();
            c.par_sort_unstable();
            c
        };
        // Unmapping the signatures' slabs takes a while: the pool does it
        // while the batches are made.
        rayon::spawn(move || drop(sigs));
        drop(pos);
        stats.candidate_pairs = candidates.len();
        mark("lsh");
        let mut slots: Vec<Option<DocInfo>> = infos.into_iter().map(Some).collect();
        let docs: Vec<DocInfo> = order
            .iter()
            .map(|&d| slots[d as usize].take().expect("each document once"))
            .collect();
        drop(slots);
        let batches = Batches::new(n, &candidates);
        // The sets of `members` (document numbers, sorted), in that order.
        let load = |members: &[u32]| {
            let slots: Vec<u32> = members.iter().map(|&d| order[d as usize]).collect();
            store.load(&slots)
        };
        mark("batches");

        // 2. Boilerplate: shingles in too many groups of near-verbatim
        //    copies are dropped.
        let cut = cfg.boilerplate_cut(n);
        let mut boilerplate_keys = None;
        let mut raw_inter: Option<Vec<Vec<u32>>> = None;
        if cut.is_some() {
            // Document frequency is counted per group of near-verbatim
            // copies, not per document: a story syndicated forty times is
            // one group, while an outlet's footer under forty different
            // stories is forty.
            // The raw intersection of every candidate pair, kept for
            // verification (which subtracts the boilerplate both share).
            let inter: Vec<Vec<u32>> = (0..batches.len())
                .into_par_iter()
                .map(|b| {
                    let (members, pairs) = batches.get(b);
                    let sets = load(members);
                    let set = |d: u32| &*sets[local(members, d)];
                    // Pairs in parallel too: one component can hold most
                    // of the corpus when the banding is permissive. Within
                    // a run of pairs, the sets of the pair two ahead are
                    // fetched while this one is counted.
                    pairs
                        .par_chunks(256)
                        .flat_map_iter(|run| {
                            run.iter().enumerate().map(move |(i, &(x, y))| {
                                if let Some(&(nx, ny)) = run.get(i + 2) {
                                    crate::prefetch::start(set(nx));
                                    crate::prefetch::start(set(ny));
                                }
                                intersection_size(set(x), set(y)) as u32
                            })
                        })
                        .collect()
                })
                .collect();
            let copies = (0..batches.len()).flat_map(|b| {
                let pairs = batches.get(b).1;
                pairs.iter().zip(&inter[b]).filter_map(|(&(x, y), &i)| {
                    let (sx, sy) = (docs[x as usize].shingles, docs[y as usize].shingles);
                    is_near_copy_by(&Similarity::from_counts(i as usize, sx, sy), cfg)
                        .then_some((x, y))
                })
            });
            let (groups, n_groups) = copy_groups(n, copies);
            raw_inter = Some(inter);
            mark("copy groups");
            stats.copy_groups = n_groups;
            stats.boilerplate_cut = cfg.boilerplate_cut(n_groups);
            let cut = cfg.boilerplate_cut(n_groups).unwrap_or(usize::MAX);
            // Large corpora count a deterministic sample of the groups (see
            // `boilerplate_sample_rate`), chosen by the id of each group's
            // first document. Groups are numbered in order of their first
            // document.
            let rate = boilerplate_sample_rate(cut);
            let mut first = Vec::with_capacity(n_groups);
            for (d, &g) in groups.iter().enumerate() {
                if g as usize == first.len() {
                    first.push(d as u32);
                }
            }
            let kept: Vec<bool> = if rate < 1.0 {
                let bound = (rate * u64::MAX as f64) as u64;
                first
                    .par_iter()
                    .map(|&d| xxhash_rust::xxh3::xxh3_64(docs[d as usize].id.as_bytes()) <= bound)
                    .collect()
            } else {
                vec![true; n_groups]
            };
            // Members of the kept groups, in group order.
            let mut slot = vec![u32::MAX; n_groups];
            let mut members: Vec<Vec<u32>> = Vec::new();
            for (g, _) in kept.iter().enumerate().filter(|(_, &k)| k) {
                slot[g] = members.len() as u32;
                members.push(Vec::new());
            }
            for (d, &g) in groups.iter().enumerate() {
                if let Some(m) = members.get_mut(slot[g as usize] as usize) {
                    m.push(d as u32);
                }
            }
            // The boilerplate: shingles in more than the (sampled) cut of the
            // counted groups, each group's shingles counted once (the union
            // of its members' sets), counted exactly.
            let limit = cut as f64 * rate;
            // A lone document's set is counted where it lies.
            let counted: Vec<Cow<'_, [u32]>> = members
                .par_iter()
                .map(|m| {
                    let mut sets = load(m);
                    if sets.len() == 1 {
                        sets.pop().expect("one")
                    } else {
                        Cow::Owned(union_of(sets.iter().map(|s| &**s)))
                    }
                })
                .collect();
            boilerplate_keys = Some(KeySet::new(frequent_keys_in(&counted, limit)));
            drop(counted);
            mark("boilerplate");
        }

        // 3. Per batch: cut, verify the candidates against the exact sets,
        //    cluster.
        let weight: Vec<u64> = docs.iter().map(|d| d.words as u64).collect();
        let done: Vec<BatchResult> = (0..batches.len())
            .into_par_iter()
            .map(|b| {
                let (members, pairs) = batches.get(b);
                let mut out = BatchResult::default();
                let sets = load(members);
                // Each document's boilerplate keys. The cut sets are never
                // built: the intersection of two cut sets is that of the
                // raw sets less the boilerplate both hold.
                let gone: Vec<Vec<u32>> = sets
                    .par_iter()
                    .map(|s| {
                        let mut gone = Vec::new();
                        if let Some(boilerplate) = &boilerplate_keys {
                            boilerplate.members_of(s, &mut gone);
                        }
                        gone
                    })
                    .collect();
                out.cut = gone.concat();
                out.cut_occurrences = out.cut.len();
                out.cut.sort_unstable();
                out.cut.dedup();
                // Similarity of the cut sets of `x` and `y` (local numbers),
                // given their raw intersection when it is known.
                let cut_similarity = |x: usize, y: usize, raw: Option<u32>| {
                    let raw =
                        raw.map_or_else(|| intersection_size(&sets[x], &sets[y]), |i| i as usize);
                    let shared = intersection_size(&gone[x], &gone[y]);
                    Similarity::from_counts(
                        raw - shared,
                        sets[x].len() - gone[x].len(),
                        sets[y].len() - gone[y].len(),
                    )
                };
                let scored = |x: u32, y: u32, s: Similarity| -> Scored {
                    Scored {
                        containment: s.containment,
                        edge: cfg.is_duplicate(&s).then_some(Edge {
                            a: x,
                            b: y,
                            jaccard: s.jaccard,
                            containment: s.containment,
                        }),
                    }
                };
                // Local numbering keeps the order of document numbers, so
                // clustering a batch alone gives what clustering everything
                // would (its tie-breaks compare numbers).
                let check =
                    |x: u32, y: u32| scored(x, y, cut_similarity(x as usize, y as usize, None));
                let known = raw_inter.as_ref().map(|r| &r[b]);
                let edges: Vec<Edge> = pairs
                    .par_iter()
                    .enumerate()
                    .filter_map(|(i, &(x, y))| {
                        let (x, y) = (local(members, x), local(members, y));
                        let s = cut_similarity(x, y, known.map(|k| k[i]));
                        scored(x as u32, y as u32, s).edge
                    })
                    .collect();
                out.verified = edges.len();
                let w: Vec<u64> = members.iter().map(|&d| weight[d as usize]).collect();
                let mut c = cluster(members.len(), &edges, &w, cfg.linkage(), check);
                out.rejected = c.rejected_edges;
                out.found = c.found_edges;
                // Each kept pair goes to its group (both ends are in it);
                // local numbers keep the order of document numbers, so
                // pairs sorted here are sorted in the output too.
                const ALONE: u32 = u32::MAX;
                let mut slot = vec![ALONE; members.len()];
                let mut found: Vec<(Group, Vec<Pair>)> = Vec::new();
                for g in c.groups.iter().filter(|g| g.members.len() > 1) {
                    for &m in &g.members {
                        slot[m as usize] = found.len() as u32;
                    }
                    let global = Group {
                        representative: members[g.representative as usize],
                        members: g.members.iter().map(|&m| members[m as usize]).collect(),
                    };
                    found.push((global, Vec::new()));
                }
                c.edges.sort_unstable_by_key(|e| (e.a, e.b));
                for e in &c.edges {
                    found[slot[e.a as usize] as usize].1.push(Pair {
                        a: members[e.a as usize] as usize,
                        b: members[e.b as usize] as usize,
                        jaccard: e.jaccard,
                        containment: e.containment,
                    });
                }
                out.clusters = found;
                out
            })
            .collect();
        mark("verify+cluster");
        warnings.extend(store.take_warnings());
        // Freeing a hundred thousand sets takes a while; the pool is idle
        // now, so it does that while the clusters are put together.
        rayon::spawn(move || drop(store));

        // 4. Clusters (groups of two or more), in order of their first
        //    document; every other document is a singleton.
        let mut boilerplate: Vec<u32> = Vec::new();
        let mut found: Vec<(Group, Vec<Pair>)> = Vec::new();
        for r in done {
            stats.verified_pairs += r.verified;
            stats.rejected_pairs += r.rejected;
            stats.linkage_pairs += r.found;
            stats.boilerplate_shingles += r.cut_occurrences;
            boilerplate.extend(r.cut);
            found.extend(r.clusters);
        }
        boilerplate.par_sort_unstable();
        boilerplate.dedup();
        found.par_sort_unstable_by_key(|(g, _)| g.members[0]);

        let mut grouped = vec![false; n];
        for (g, _) in &found {
            for &d in &g.members {
                grouped[d as usize] = true;
            }
        }
        let singletons: Vec<usize> = (0..n).filter(|&d| !grouped[d]).collect();
        let clusters: Vec<Cluster> = found
            .into_par_iter()
            .enumerate()
            .map(|(id, (g, pairs))| Cluster {
                id,
                representative: g.representative as usize,
                docs: g.members.iter().map(|&d| d as usize).collect(),
                pairs,
            })
            .collect();
        stats.clusters = clusters.len();
        stats.clustered_documents = clusters.iter().map(|c| c.docs.len()).sum();
        stats.pairs = clusters.iter().map(|c| c.pairs.len()).sum();
        debug_assert_eq!(
            stats.pairs,
            stats.verified_pairs + stats.linkage_pairs - stats.rejected_pairs
        );
        mark("assemble");
        stats.stages = stages;
        stats.elapsed = started.elapsed();
        ScanResult {
            docs,
            clusters,
            singletons,
            skipped,
            warnings,
            stats,
            boilerplate,
            config: cfg.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_whose_hashes_collide_are_still_told_apart() {
        let engine = Engine::new(Config::default());
        let mut scan = engine.scan();
        let mut push = |id: &str| {
            let before = scan.skipped.len();
            let doc = Document {
                id: id.into(),
                text: "some words to shingle here and there".into(),
                source: DocSource::Memory,
            };
            let mut rec = engine.record(doc, scan.id_seed, true);
            rec.id_hash = 7; // every id collides
            scan.push(rec);
            scan.skipped.len() > before
        };
        assert!(!push("a"));
        assert!(!push("b"));
        assert!(!push("c"));
        assert!(push("b"));
        assert!(push("a"));
        assert!(push("c"));
        assert!(!push("d"));
        let ids: Vec<&str> = scan.infos.iter().map(|d| d.id.as_str()).collect();
        assert_eq!(ids, ["a", "b", "c", "d"]);
        assert!(scan.skipped[0].message.contains("\"b\" was already used"));
    }

    #[test]
    fn signatures_and_sets_are_kept_whole() {
        for (perms, packed) in [64, 128, 192, 4096]
            .into_iter()
            .flat_map(|p| [(p, true), (p, false)])
        {
            let engine = Engine::new(Config::builder().perms(perms).build().unwrap());
            let text = "one story told twice, one story told twice over and over";
            let rec = engine.record(
                Document {
                    id: "x".into(),
                    text: text.into(),
                    source: DocSource::Memory,
                },
                0,
                packed,
            );
            let keys = crate::shingle::text_set(text, engine.config.shingle()).1;
            assert_eq!(
                &*rec.sig,
                engine.hasher.signature(&keys),
                "{perms} {packed}"
            );
            let mut want: Vec<u32> = keys.iter().map(|&h| crate::shingle::key(h)).collect();
            want.sort_unstable();
            want.dedup();
            assert_eq!(&*rec.set, want, "{perms} {packed}");
        }
    }

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
        let sets: [&[u32]; 3] = [&[1, 4, 9], &[2, 4], &[9, 10]];
        assert_eq!(union_of(sets.into_iter()), [1, 2, 4, 9, 10]);
        assert_eq!(union_of(std::iter::empty()), Vec::<u32>::new());
        // Many sets take the sorting path; the result is the same.
        let many: Vec<Vec<u32>> = (0..20u32).map(|i| vec![i, i + 3, 40 - i]).collect();
        let mut want: Vec<u32> = many.iter().flatten().copied().collect();
        want.sort_unstable();
        want.dedup();
        assert_eq!(union_of(many.iter().map(|s| &s[..])), want);
        assert_eq!(union_of(many[..5].iter().map(|s| &s[..])), {
            let mut w: Vec<u32> = many[..5].iter().flatten().copied().collect();
            w.sort_unstable();
            w.dedup();
            w
        });
    }
}
