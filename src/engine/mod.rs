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

use crate::config::Config;
use crate::corpus::{Corpus, CorpusOptions, DocSource, Document, Event, Skip, SkipReason};
use crate::minhash::MinHasher;
use crate::shingle::{text_keys_with, text_set, Unsorted};
use crate::store::{SetStore, StoredKeys, DEFAULT_SET_BUDGET};
use crate::verify::{similarity, Similarity};

pub(crate) mod passes;

use passes::Batches;
pub use passes::{
    boilerplate_sample_rate, is_near_copy, BOILERPLATE_SAMPLE, COPY_GROUP_CONTAINMENT,
};

/// The near-duplicate engine: a frozen [`Config`] plus the MinHash functions
/// derived from it. Cheap to share between threads.
#[derive(Debug, Clone)]
pub struct Engine {
    config: Config,
    hasher: MinHasher,
}

/// What the engine keeps of a document after reading it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
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
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
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
    /// Candidate pairs whose raw sets were compared for the copy groups:
    /// those whose signatures and set sizes leave room for near-verbatim
    /// copies (all of them in exact mode; none when the boilerplate cut is
    /// off).
    pub copy_compared_pairs: usize,
    /// Candidate pairs compared against the exact cut sets: those whose
    /// signatures and set sizes leave room for the decision rule once the
    /// boilerplate is cut (all of them in exact mode).
    pub compared_pairs: usize,
    /// Candidate pairs that passed verification.
    pub verified_pairs: usize,
    /// Duplicate pairs that LSH did not propose, found when the clustering
    /// compared the members of two clusters on demand (see
    /// `crate::cluster`).
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
#[derive(Debug, Clone, serde::Serialize)]
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
    /// The distinct shingle keys (`crate::shingle::key`) cut as
    /// boilerplate, sorted (see [`crate::explain::boilerplate_share`] to
    /// mark them in explanations).
    pub boilerplate: Vec<u32>,
    /// The configuration of the scan.
    #[serde(skip)]
    config: Config,
    /// How the corpus was read (to read a text again).
    #[serde(skip)]
    options: CorpusOptions,
}

impl ScanResult {
    /// The configuration the scan ran with.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The ids of a pair's two documents.
    pub fn pair_ids(&self, p: &Pair) -> (&str, &str) {
        (&self.docs[p.a].id, &self.docs[p.b].id)
    }

    /// Document `d`'s number by id, looked up.
    pub fn find(&self, id: &str) -> Option<usize> {
        self.docs.binary_search_by(|d| d.id.as_str().cmp(id)).ok()
    }

    /// Reads document `d`'s text again, as the scan read it (a document
    /// given in memory was not kept: [`Error::Config`](crate::Error::Config)).
    pub fn text(&self, d: usize) -> crate::Result<String> {
        let doc = self
            .docs
            .get(d)
            .ok_or_else(|| crate::Error::UnknownDocument(format!("#{d}")))?;
        crate::corpus::load_source(&doc.source, &self.options)
    }

    /// Explains a pair of this scan in one call: both texts read again and
    /// aligned with the scan's own shingle size, so the explanation speaks
    /// of the same shingles as the pair's scores.
    ///
    /// ```
    /// use neardup::{Corpus, CorpusOptions, Engine};
    /// let corpus = Corpus::open("corpus", CorpusOptions::default())?;
    /// let result = Engine::default().scan_corpus(&corpus);
    /// let pair = &result.clusters[0].pairs[0];
    /// let e = result.explain(pair)?;
    /// assert!(!e.passages.is_empty());
    /// # Ok::<(), neardup::Error>(())
    /// ```
    pub fn explain(&self, pair: &Pair) -> crate::Result<crate::explain::Explanation> {
        let (a, b) = (self.text(pair.a)?, self.text(pair.b)?);
        Ok(self.explain_texts(&a, &b))
    }

    /// [`explain`](Self::explain) of two texts the caller holds (for
    /// documents given in memory), with the scan's configuration: its
    /// shingle size and its boilerplate cut, so the explanation's Jaccard
    /// and containment are the ones the scan gave the pair (and for any
    /// other two documents of the scan, the ones it would have given).
    pub fn explain_texts(&self, a: &str, b: &str) -> crate::explain::Explanation {
        crate::explain::explain_with_cut(a, b, &self.align_config(), &self.boilerplate)
    }

    /// The alignment settings explanations of this scan use: the scan's
    /// shingle size, the other settings at their defaults.
    pub fn align_config(&self) -> crate::explain::AlignConfig {
        crate::explain::AlignConfig {
            shingle: self.config.shingle(),
            ..Default::default()
        }
    }

    /// Document `d`'s title: the [`CorpusOptions::title_field`] of its JSON
    /// line, read again, when the scan was given one (None otherwise, or
    /// when it cannot be read).
    pub fn title(&self, d: usize) -> Option<String> {
        let doc = self.docs.get(d)?;
        crate::corpus::load_title(&doc.source, &self.options)
            .ok()
            .flatten()
    }

    /// Document `d`'s headline, from its `text`: its [`title`](Self::title)
    /// when it has one, else its first line of three words or more that is
    /// not mostly the scan's boilerplate (a page's `share`, `1 / 19` or
    /// sign-up line is passed over; see [`crate::output::headline_where`]).
    pub fn headline(&self, d: usize, text: &str) -> String {
        if let Some(title) = self.title(d).map(|t| crate::output::headline(&t)) {
            if !title.is_empty() {
                return title;
            }
        }
        let k = self.config.shingle();
        crate::output::headline_where(text, |line| {
            crate::explain::boilerplate_share(line, 0, line.len(), k, &self.boilerplate) < 0.5
        })
    }

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
    /// XXH3 of the id under the scan's seed.
    id_hash: u64,
    /// Sorted shingle keys ([`crate::shingle::key`]).
    set: StoredKeys,
    /// Its signature, written where it is kept by the thread that read the
    /// document ([`StoredKeys::written`]).
    sig: StoredKeys,
    /// Its figures ([`crate::figures`]).
    figures: crate::figures::Figures,
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
    /// Their figures ([`crate::figures`]).
    figures: crate::figures::FigureTable,
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
    /// How the corpus (if any) was read.
    options: CorpusOptions,
    /// Bytes of sets a pass loads at once from a large candidate component
    /// (see `passes::Tiling`): by default half the memory budget once the
    /// sets have spilled, and no tiling while they are in memory (tests
    /// force tiny tiles).
    pub(crate) tile_bytes: Option<usize>,
}

impl Default for Engine {
    /// An engine with the default [`Config`].
    fn default() -> Engine {
        Engine::new(Config::default())
    }
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
            figures: crate::figures::FigureTable::new(),
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
            options: CorpusOptions::default(),
            tile_bytes: None,
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
        let figures = crate::figures::entries_of(&doc.text, self.config.shingle());
        Record {
            figures,
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
        self.figures.push(&rec.figures);
        self.infos.push(rec.info);
    }

    /// Keeps at most `bytes` of shingle sets in memory (default
    /// `DEFAULT_SET_BUDGET`); past that, sets go to an unnamed temporary
    /// file and are read back batch by batch (see `crate::store`). Results
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

    /// Adds in-memory documents, `(id, text)` each: tokenized, shingled and
    /// signed in parallel on the current rayon pool, as
    /// [`add_corpus`](Self::add_corpus) reads files. The scan is the same as
    /// with [`add_text`](Self::add_text) for each document in turn. Returns
    /// how many were skipped (no words, or an id used before; see
    /// [`ScanResult::skipped`]).
    ///
    /// ```
    /// use neardup::{Config, Engine};
    /// let engine = Engine::new(Config::default());
    /// let mut scan = engine.scan();
    /// let story = "Officials told electric vehicle makers to regulate themselves \
    ///              and not to sell cars below cost, according to people familiar.";
    /// let copy = format!("Header. {story} Footer.");
    /// let skipped = scan.add_texts(&[("a", story), ("b", &copy), ("c", "")]);
    /// assert_eq!(skipped, 1); // "c" has no words
    /// assert_eq!(scan.finish().clusters.len(), 1);
    /// ```
    pub fn add_texts<I, T>(&mut self, docs: &[(I, T)]) -> usize
    where
        I: AsRef<str> + Sync,
        T: AsRef<str> + Sync,
    {
        /// Documents recorded in parallel while the ones before are kept.
        const CHUNK: usize = 2048;
        let (engine, id_seed) = (self.engine, self.id_seed);
        let before = self.skipped.len();
        let _recycling = crate::store::Recycling::start();
        self.sigs.reserve(docs.len());
        self.seen.reserve(docs.len());
        self.infos.reserve(docs.len());
        self.store.reserve(docs.len());
        let record = |(id, text): &(I, T)| {
            let doc = Document {
                id: id.as_ref().to_string(),
                text: Cow::Borrowed(text.as_ref()),
                source: DocSource::Memory,
            };
            engine.record(doc, id_seed, true)
        };
        let record_all = |chunk: &[(I, T)]| chunk.par_iter().map(record).collect::<Vec<Record>>();
        let mut chunks = docs.chunks(CHUNK);
        let mut ready = chunks.next().map(record_all);
        while let Some(records) = ready.take() {
            let next = chunks.next();
            // This chunk is kept (in order) while the pool records the next.
            let ((), recorded) = rayon::join(
                || records.into_iter().for_each(|rec| self.push(rec)),
                || next.map(record_all),
            );
            ready = recorded;
        }
        StoredKeys::release_thread_slabs();
        self.skipped.len() - before
    }

    /// Streams a corpus into the scan, in parallel. `progress` receives the
    /// number of input bytes consumed, batch by batch.
    pub fn add_corpus(&mut self, corpus: &Corpus, mut progress: impl FnMut(u64)) {
        self.add_corpus_counted(corpus, |bytes, _| progress(bytes));
    }

    /// [`add_corpus`](Self::add_corpus), with `progress` also given the
    /// number of documents read so far (kept or skipped), for a progress
    /// bar that counts documents.
    pub fn add_corpus_counted(&mut self, corpus: &Corpus, mut progress: impl FnMut(u64, usize)) {
        let read = std::cell::Cell::new(0usize);
        let (engine, id_seed) = (self.engine, self.id_seed);
        self.options = corpus.options().clone();
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
                Event::Doc(rec) => {
                    read.set(read.get() + 1);
                    self.push(rec)
                }
                Event::Skip(s) => {
                    read.set(read.get() + 1);
                    self.skipped.push(s)
                }
                Event::Warning(w) => self.warnings.push(w),
            },
            |bytes| progress(bytes, read.get()),
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
    /// spilled `SetStore` out of memory.
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
            figures,
            seen,
            seen_colliding,
            skipped,
            mut warnings,
            bytes,
            options,
            tile_bytes,
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
        let (order, pos) = passes::order_by_id(&infos);
        mark("ids");
        let candidates = passes::candidates(cfg, &pos, &order, |d| &*sigs[d]);
        // Unmapping the signatures' slabs takes a while: the pool does it
        // while the batches are made.
        rayon::spawn(move || drop(sigs));
        drop(pos);
        stats.candidate_pairs = candidates.pairs.len();
        mark("lsh");
        let mut slots: Vec<Option<DocInfo>> = infos.into_iter().map(Some).collect();
        let docs: Vec<DocInfo> = order
            .iter()
            .map(|&d| slots[d as usize].take().expect("each document once"))
            .collect();
        drop(slots);
        // Past the memory budget, a candidate component whose sets take
        // more than half of it is read a block at a time.
        let block = tile_bytes.or_else(|| store.spilled().then(|| (store.budget() / 2).max(1)));
        let keys: Vec<u32> = docs.iter().map(|d| d.shingles as u32).collect();
        let batches_of = |pairs: &[(u32, u32)]| {
            let batches = Batches::new(n, pairs);
            match block {
                Some(block) => batches.tiled(passes::Tiling {
                    block,
                    keys: keys.clone(),
                }),
                None => batches,
            }
        };
        // The sets of `members` (document numbers, sorted), in that order.
        let load = |members: &[u32]| {
            let slots: Vec<u32> = members.iter().map(|&d| order[d as usize]).collect();
            store.load(&slots)
        };
        // The same, read back (when spilled) into one pooled buffer instead
        // of a vector per set: for the passes that only read the sets.
        let pool = passes::BufferPool::default();
        let load_in = |members: &[u32]| {
            let slots: Vec<u32> = members.iter().map(|&d| order[d as usize]).collect();
            pool.load(&store, &slots)
        };
        let size = |d: u32| docs[d as usize].shingles;
        mark("batches");

        // Boilerplate: shingles in too many groups of near-verbatim copies
        // are dropped. Document frequency is counted per group, not per
        // document: a story syndicated forty times is one group, while an
        // outlet's footer under forty different stories is forty. Only the
        // candidates that could be copies (see `passes::could_be_copies`)
        // are compared for it.
        let mut boilerplate_keys = None;
        let mut counted = Vec::new();
        let mut cut = None;
        let mut cut_keys = None;
        if cfg.boilerplate_cut(n).is_some() {
            let copies =
                candidates.screened(|(x, y), m| passes::could_be_copies(cfg, m, size(x), size(y)));
            stats.copy_compared_pairs = copies.len();
            let batches = batches_of(&copies);
            drop(copies);
            let need = |x: u32, y: u32| passes::copy_need(cfg, size(x), size(y));
            let inter = passes::raw_intersections(&batches, &load_in, &need);
            pool.clear();
            let (groups, n_groups) = passes::copy_groups_of(cfg, &docs, &batches, &inter);
            // The intersections counted in full are not counted again by
            // the verification.
            counted = passes::counted_pairs(&batches, &inter);
            drop((batches, inter));
            stats.copy_groups = n_groups;
            stats.boilerplate_cut = cfg.boilerplate_cut(n_groups);
            mark("copy groups");
            let keys = passes::boilerplate_keys(cfg, &docs, &groups, n_groups, &load);
            // What the cut leaves of each document's set.
            let paired = passes::paired(n, &candidates.pairs);
            let (sizes, keys_of, removed) = passes::cut_sizes(&docs, &paired, &load_in, &keys);
            pool.clear();
            cut = Some((sizes, removed));
            cut_keys = Some(keys_of);
            boilerplate_keys = Some(keys);
            mark("boilerplate");
        }

        // Per batch: cut, verify the candidates that could pass the rule
        // once cut (see `passes::could_be_duplicates`) against the exact
        // sets, cluster.
        let verify = candidates.screened(|(x, y), m| {
            let cut_size = |d: u32| match &cut {
                Some((sizes, _)) => sizes[d as usize] as usize,
                None => size(d),
            };
            passes::could_be_duplicates(cfg, m, (size(x), size(y)), (cut_size(x), cut_size(y)))
        });
        drop(candidates);
        stats.compared_pairs = verify.len();
        let batches = batches_of(&verify);
        let known = (!counted.is_empty()).then(|| {
            let known = passes::known_of(&verify, &counted);
            batches.spread(&verify, &known)
        });
        drop((verify, counted));
        let weight: Vec<u64> = docs.iter().map(|d| d.words as u64).collect();
        let figures_of = |d: u32| Some(figures.get(order[d as usize] as usize));
        let mut done = passes::verify_and_cluster(
            cfg,
            &batches,
            &load_in,
            boilerplate_keys.as_ref(),
            cut_keys.as_ref(),
            known.as_deref(),
            &weight,
            &figures_of,
        );
        drop((cut_keys, known));
        pool.clear();
        // What the cut removed is counted over every document of a
        // candidate pair, verified or not.
        if let Some((_, removed)) = cut {
            done.iter_mut().for_each(passes::BatchResult::forget_cut);
            done.push(removed);
        }
        mark("verify+cluster");
        warnings.extend(store.take_warnings());
        // Freeing a hundred thousand sets takes a while; the pool is idle
        // now, so it does that while the clusters are put together.
        rayon::spawn(move || drop(store));

        let (clusters, singletons, boilerplate) = passes::assemble(n, done, &mut stats);
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
            options,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn add_texts_scans_as_add_text_one_by_one() {
        // Past one chunk of `add_texts`, with copies, repeats and empty texts.
        let words: Vec<String> = (0..400).map(|i| format!("w{}", i * 7919 % 1009)).collect();
        let story = |s: usize| -> String {
            (0..60)
                .map(|j| words[(s * 13 + j * j) % words.len()].as_str())
                .collect::<Vec<_>>()
                .join(" ")
        };
        let mut docs: Vec<(String, String)> = Vec::new();
        for i in 0..2600 {
            let id = if i % 997 == 5 {
                "dup".to_string()
            } else {
                format!("d{i}")
            };
            let text = match i % 5 {
                0 => String::new(),
                1 => format!("Header {i}. {} Footer.", story(i / 5)),
                _ => story(i),
            };
            docs.push((id, text));
        }
        let engine = Engine::new(Config::default());
        let mut one = engine.scan();
        for (id, text) in &docs {
            one.add_text(id, text);
        }
        let one = one.finish();
        let mut all = engine.scan();
        let skipped = all.add_texts(&docs);
        let all = all.finish();
        assert_eq!(skipped, all.skipped.len());
        assert_eq!(one.skipped, all.skipped);
        assert_eq!(one.docs, all.docs);
        assert_eq!(one.clusters, all.clusters);
        assert!(!all.clusters.is_empty());
    }

    /// Documents with clusters, an outlet frame shared by many stories
    /// (boilerplate), bridges between stories (linkage) and unrelated
    /// texts, from `seed`.
    fn syndicated(seed: u64, stories: usize) -> Vec<(String, String)> {
        let mut state = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
        let mut next = move |m: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % m as u64) as usize
        };
        let sentence = |next: &mut dyn FnMut(usize) -> usize, len: usize| -> String {
            (0..len)
                .map(|_| format!("w{}", next(900)))
                .collect::<Vec<_>>()
                .join(" ")
                + "."
        };
        let frames: Vec<(String, String)> = (0..4)
            .map(|_| (sentence(&mut next, 14), sentence(&mut next, 18)))
            .collect();
        let bodies: Vec<Vec<String>> = (0..stories)
            .map(|_| {
                let n = 3 + next(6);
                (0..n)
                    .map(|_| {
                        let len = 8 + next(10);
                        sentence(&mut next, len)
                    })
                    .collect()
            })
            .collect();
        let mut docs = Vec::new();
        for (s, body) in bodies.iter().enumerate() {
            for c in 0..1 + next(5) {
                let (head, foot) = &frames[next(frames.len())];
                let kept: Vec<&str> = body
                    .iter()
                    .filter(|_| next(8) != 0)
                    .map(|x| x.as_str())
                    .collect();
                let text = format!("{head} {} {foot}", kept.join(" "));
                docs.push((format!("s{s:03}c{c}"), text));
            }
            if next(4) == 0 {
                // A bridge: this story and another (a digest), or half of
                // each.
                let other = &bodies[next(bodies.len())];
                let text = if next(2) == 0 {
                    format!("{} {}", body.join(" "), other.join(" "))
                } else {
                    format!(
                        "{} {}",
                        body[..body.len() / 2 + 1].join(" "),
                        other[other.len() / 2..].join(" ")
                    )
                };
                docs.push((format!("s{s:03}b"), text));
            }
        }
        for u in 0..stories / 4 {
            docs.push((format!("u{u:03}"), sentence(&mut next, 30)));
        }
        docs
    }

    fn scanned(
        cfg: &Config,
        docs: &[(String, String)],
        budget: usize,
        tile: Option<usize>,
    ) -> ScanResult {
        let engine = Engine::new(cfg.clone());
        let mut scan = engine.scan();
        scan.set_memory_budget(budget);
        scan.tile_bytes = tile;
        scan.add_texts(docs);
        scan.finish()
    }

    fn assert_same(a: &ScanResult, b: &ScanResult, what: &str) {
        assert_eq!(a.docs, b.docs, "{what}");
        assert_eq!(a.clusters, b.clusters, "{what}");
        assert_eq!(a.singletons, b.singletons, "{what}");
        assert_eq!(a.boilerplate, b.boilerplate, "{what}");
        let counts = |r: &ScanResult| ScanStats {
            elapsed: Duration::ZERO,
            stages: Vec::new(),
            ..r.stats.clone()
        };
        assert_eq!(counts(a), counts(b), "{what}");
    }

    #[test]
    fn tiled_components_cluster_as_untiled_ones() {
        // Tiny tiles (a block of one or a few sets) against the untiled
        // passes, with and without the boilerplate cut, on the defaults
        // and with connected components (linkage 0); and a spilled store,
        // whose tiles are half its budget.
        let configs = [
            Config::default(),
            Config::builder().linkage(0.0).build().unwrap(),
            Config::builder().boilerplate_min_docs(0).build().unwrap(),
        ];
        let mut linkage_checked = 0;
        for seed in 1..=4 {
            let docs = syndicated(seed, 120);
            for cfg in &configs {
                let whole = scanned(cfg, &docs, usize::MAX, None);
                assert!(whole.clusters.len() > 5, "{seed}");
                linkage_checked += whole.stats.linkage_pairs + whole.stats.rejected_pairs;
                if cfg.boilerplate_cut(docs.len()).is_some() {
                    assert!(!whole.boilerplate.is_empty(), "{seed}");
                }
                for tile in [1, 200, 3_000, 40_000] {
                    let tiled = scanned(cfg, &docs, usize::MAX, Some(tile));
                    assert_same(&whole, &tiled, &format!("seed {seed} tile {tile}"));
                }
                let spilled = scanned(cfg, &docs, 20_000, None);
                assert_same(&whole, &spilled, &format!("seed {seed} spilled"));
            }
        }
        // The linkage guard ran: some merges were refused or some pairs
        // found on demand (the tiled clustering compares those too).
        assert!(linkage_checked > 0);
    }

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
}
