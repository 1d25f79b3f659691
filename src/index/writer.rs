//! The single writer of an index: buffers added documents and removals in
//! memory and turns them into a new immutable segment, a new state file and
//! a new metadata file at [`IndexWriter::commit`].

use std::borrow::Cow;
use std::collections::{BTreeSet, HashMap};
use std::io::{self, Write};
use std::path::Path;

use rayon::prelude::*;
use xxhash_rust::xxh3::xxh3_64;

use super::lock::Lock;
use super::meta::{Meta, SegmentMeta, META_FILE};
use super::segment::{write_segment, DocEntry, SegmentDoc, SegmentSets, StoredSource};
use super::state::{write_state, Sketch};
use super::{
    boilerplate_in, cut_by, cut_keys, segment_name, shingle_text, state_name, Boilerplate,
    DocAddress, Index, Segment,
};
use crate::cluster::{cluster, Edge};
use crate::config::Config;
use crate::corpus::{Corpus, CorpusOptions, DocSource, Document, Event, Skip, SkipReason};
use crate::engine::passes::{
    candidates, copy_groups, could_be_copies_signed_cut, could_be_duplicates, cut_similarity,
    is_near_copy_by, scored, union_of, FiguresOf,
};
use crate::engine::{is_near_copy, Engine};
use crate::error::{Error, Result};
use crate::figures::{entries_of_version, CutSet, FigureTable, Figures};
use crate::lsh::band_keys;
use crate::store::{LoadedSets, SetStore, DEFAULT_SET_BUDGET};
use crate::verify::{intersection_size, Similarity};

/// Prefix of the temporary files a writer creates (removed by the next
/// writer if a crash leaves one behind). The writer's pid and a random part
/// follow, and each is created anew (`O_EXCL`), so no two writers ever
/// share one.
const TMP_PREFIX: &str = ".ndup-tmp-";

/// Options of [`IndexWriter::open_with`].
#[derive(Debug, Clone)]
pub struct WriterOptions {
    /// Does nothing. It used to take over a lock left by a writer that had
    /// died; the lock is now held by the operating system and released when
    /// its writer dies, so there is never such a lock. Kept so that code
    /// setting it still compiles.
    pub break_stale_lock: bool,
    /// How long to wait for another writer to release the lock before
    /// giving up with [`Error::IndexLocked`] (default zero: give up at
    /// once). A lock whose file names no holder (just released, but still
    /// held for a moment by a child process forked while it was open) is
    /// waited for up to a second in any case.
    pub wait: std::time::Duration,
    /// Bytes of buffered documents' shingle sets kept in memory (default
    /// `DEFAULT_SET_BUDGET`, 512 MiB, as a scan's; see
    /// [`IndexWriter::set_memory_budget`]). Every set is also written to
    /// the commit's new segment as it comes (the writer's started segment); past the budget
    /// (or 128 MiB, whichever is less) the copies in memory are dropped and
    /// a commit reads the sets back from that file a block (half the
    /// budget) at a time. Results do not depend on it.
    pub memory_budget: usize,
    /// Test hook: make commits stop at this point, as a crash would.
    #[doc(hidden)]
    pub fail_point: Option<FailPoint>,
}

impl Default for WriterOptions {
    fn default() -> WriterOptions {
        WriterOptions {
            break_stale_lock: false,
            wait: std::time::Duration::ZERO,
            memory_budget: DEFAULT_SET_BUDGET,
            fail_point: None,
        }
    }
}

/// Test hook: where a commit stops when told to (see `tests/index.rs`).
#[doc(hidden)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailPoint {
    /// After the segment file is written.
    AfterSegment,
    /// After the state file is written.
    AfterState,
    /// After the new metadata is written to its temporary file, before the
    /// rename that commits it.
    BeforeMetaRename,
    /// The lock holder's details are not written into the lock file, as
    /// when the disk is full (the lock is taken all the same).
    LockRecord,
}

/// A document read and shingled, ready for [`IndexWriter::add_prepared`].
#[derive(Debug, Clone, PartialEq)]
pub struct PreparedDoc {
    entry: DocEntry,
    set: Vec<u64>,
    figures: Figures,
}

impl PreparedDoc {
    /// Its id.
    pub fn id(&self) -> &str {
        &self.entry.id
    }
    /// What will be stored about it.
    pub fn entry(&self) -> &DocEntry {
        &self.entry
    }
    /// Its sorted shingle set.
    pub fn set(&self) -> &[u64] {
        &self.set
    }
    /// Its figures and block summary ([`crate::figures::entries_of`] of its
    /// text).
    pub fn figures(&self) -> &[u64] {
        &self.figures
    }
}

/// Turns documents into [`PreparedDoc`]s; `Sync`, so that a corpus can be
/// prepared in parallel while the writer is borrowed elsewhere.
#[derive(Debug, Clone)]
pub struct Preparer {
    config: Config,
    /// The index's tokenizer version (kept from its creation).
    tokenizer: u32,
    id_field: String,
    text_field: String,
}

impl Preparer {
    /// The sorted shingle set of `text` as the index makes it.
    pub(crate) fn shingle_set(&self, text: &str) -> Vec<u64> {
        shingle_text(&self.config, self.tokenizer, text).1
    }

    /// The figures and block summary of `text` as the index makes them
    /// ([`crate::figures::entries_of`], with the index's tokenizer).
    pub(crate) fn entries(&self, text: &str) -> Figures {
        entries_of_version(text, self.config.shingle(), self.tokenizer)
    }

    /// Tokenizes and shingles a document, takes its figures
    /// ([`crate::figures`]) and records where it came from (paths are made
    /// absolute so that the index can reread them from any working
    /// directory).
    pub fn prepare(&self, doc: Document<'_>) -> PreparedDoc {
        let (words, set) = shingle_text(&self.config, self.tokenizer, &doc.text);
        let abs = |p: &Path| std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
        let source = match &doc.source {
            DocSource::File(p) => StoredSource::File(abs(p)),
            DocSource::JsonlLine { path, line, offset } => StoredSource::JsonlLine {
                path: abs(path),
                line: *line as u64,
                offset: *offset,
                id_field: self.id_field.clone(),
                text_field: self.text_field.clone(),
            },
            DocSource::Memory => StoredSource::Memory,
        };
        PreparedDoc {
            entry: DocEntry {
                id: doc.id,
                source,
                words: words as u64,
                bytes: doc.text.len() as u64,
                text_hash: xxh3_64(doc.text.as_bytes()),
            },
            set,
            figures: entries_of_version(&doc.text, self.config.shingle(), self.tokenizer),
        }
    }
}

/// A verified duplicate pair found by a commit: `a` is a new document, `b`
/// an indexed one or another new one (then `a < b`).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct IndexPair {
    /// The new document's id.
    pub a: String,
    /// The id of the document it duplicates.
    pub b: String,
    /// Whether `b` was already in the index (`false`: added in the same
    /// commit).
    #[serde(skip)]
    pub b_indexed: bool,
    /// Exact Jaccard (boilerplate removed).
    pub jaccard: f64,
    /// Exact containment.
    pub containment: f64,
}

/// What a commit did.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CommitReport {
    /// The generation now current.
    pub generation: u64,
    /// Documents added.
    pub added: usize,
    /// Documents removed.
    pub removed: usize,
    /// Duplicate pairs involving the added documents, sorted by `a`, then
    /// best first.
    pub pairs: Vec<IndexPair>,
    /// The segment written, if documents were added.
    pub segment: Option<String>,
    /// Shingles treated as boilerplate after the commit.
    pub boilerplate_shingles: usize,
    /// Each added document's story cluster, `(id, cluster)` in id order:
    /// the cluster it joined or a new one (see [`CommitReport::new_clusters`]
    /// and [`super::DocFacts::cluster`]).
    pub clusters: Vec<(String, u64)>,
    /// Clusters this commit started (numbered from the index's next
    /// cluster number upwards; the other added documents joined clusters
    /// already indexed).
    pub new_clusters: usize,
    /// Wall time of each step of the commit, in order (`neardup index add
    /// --timings` prints them).
    pub timings: Vec<(&'static str, std::time::Duration)>,
    /// Problems met that did not stop the commit: a temporary file for the
    /// buffered sets that could not be written (they stayed in memory,
    /// past the budget).
    pub warnings: Vec<String>,
}

/// Wall time of the steps of a commit.
#[derive(Debug)]
pub(super) struct Clock {
    last: std::time::Instant,
    pub(super) laps: Vec<(&'static str, std::time::Duration)>,
}

impl Clock {
    pub(super) fn new() -> Clock {
        Clock {
            last: std::time::Instant::now(),
            laps: Vec::new(),
        }
    }

    /// Ends the step `name`, which started at the end of the last one.
    pub(super) fn lap(&mut self, name: &'static str) {
        let now = std::time::Instant::now();
        self.laps.push((name, now - self.last));
        self.last = now;
    }
}

/// What an optimize did.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct OptimizeReport {
    /// The generation now current.
    pub generation: u64,
    /// Live documents kept.
    pub documents: usize,
    /// Removed documents dropped for good.
    pub dropped: u64,
    /// Segments before.
    pub segments_before: usize,
    /// Bytes of segment and state files before and after.
    pub bytes_before: u64,
    /// See `bytes_before`.
    pub bytes_after: u64,
}

/// What [`IndexWriter::add_corpus`] did.
#[derive(Debug, Clone, Default)]
pub struct AddReport {
    /// Documents buffered.
    pub added: usize,
    /// Inputs skipped (unreadable, empty, id already present, ...).
    pub skipped: Vec<Skip>,
    /// Non-fatal problems (invalid UTF-8 replaced).
    pub warnings: Vec<String>,
}

/// The one writer of an index. Holds `DIR/LOCK` from [`open`](Self::open)
/// until dropped.
#[derive(Debug)]
pub struct IndexWriter {
    index: Index,
    sketch: Sketch,
    options: WriterOptions,
    /// The buffered documents, each with its set's slot in `sets`.
    buffer: Vec<(DocEntry, u32)>,
    /// The buffered documents' sets (a removed one's stays, unused, until
    /// the commit).
    sets: SetStore<u64>,
    /// The buffered documents' figures, by set slot.
    figures: FigureTable,
    ids: HashMap<String, usize>,
    /// Removals waiting for the next commit (a compaction moves them with
    /// their documents).
    pub(super) removals: BTreeSet<DocAddress>,
    /// The next segment, its sets written as the documents are buffered
    /// ([`Started`]); `None` when it could not be started, or stopped.
    started: Option<Started>,
    _lock: Lock,
}

/// The next segment of a writer, started when the first document of a
/// commit is buffered: each buffered document's set is written to it
/// ([`SegmentSets`], a temporary file in the index's directory) as it
/// comes, and the writer's [`SetStore`] reads the sets back from there
/// once they pass the memory budget ([`SetStore::mirror`]) instead of
/// writing them to a file of its own. When the documents came in id order
/// (their order in the segment) and none was dropped from the buffer, the
/// commit writes the rest of the segment after them and gives the file its
/// name; otherwise it writes the segment anew and the started one is
/// deleted. A crash leaves a temporary file, which the next writer removes.
#[derive(Debug)]
pub(super) struct Started {
    tmp: tempfile::NamedTempFile,
    sets: SegmentSets<io::BufWriter<std::fs::File>>,
}

impl Started {
    /// Starts a segment in `dir`; returns it and a handle of its own on the
    /// file for the set store to read from.
    fn new(dir: &Path) -> io::Result<(Started, std::fs::File)> {
        let tmp = temp_file(dir)?;
        let out = io::BufWriter::with_capacity(1 << 20, tmp.as_file().try_clone()?);
        let sets = SegmentSets::new(out)?;
        let reader = tmp.reopen()?;
        Ok((Started { tmp, sets }, reader))
    }

    /// Writes the rest of the segment of `docs` (one per set written), syncs
    /// it and names it `DIR/name`, which must not exist; returns its length.
    fn finish(
        self,
        dir: &Path,
        name: &str,
        docs: &[SegmentDoc<'_>],
        banding: crate::lsh::Banding,
    ) -> Result<u64> {
        let path = dir.join(name);
        let io = io_at(&path);
        let Started { tmp, sets } = self;
        let (out, bytes) = sets.finish(docs, banding).map_err(&io)?;
        out.into_inner().map_err(|e| io(e.into_error()))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            tmp.as_file()
                .set_permissions(std::fs::Permissions::from_mode(0o644))
                .map_err(&io)?;
        }
        tmp.as_file().sync_all().map_err(&io)?;
        match tmp.persist_noclobber(&path) {
            Ok(_) => Ok(bytes),
            Err(e) if e.error.kind() == io::ErrorKind::AlreadyExists => Err(Error::Index {
                path: path.clone(),
                message: EXISTS.into(),
            }),
            Err(e) => Err(io(e.error)),
        }
    }
}

/// Bytes of buffered sets a writer keeps in memory (within its budget)
/// when they are written to its started segment as they come ([`Started`]):
/// past that it reads them back from the segment's file (the page cache)
/// rather than keep copies. Keeping every set up to the 512 MiB default
/// budget cost more than it saved at 100k documents (560 MB of sets: heap
/// growth, page faults and the frees at the budget); a commit of 20k
/// documents (112 MB) is a little faster with its sets in memory
/// (`docs/BENCHMARKS.md`, issue #25, h33w).
const STARTED_KEEP: usize = 128 << 20;

/// Why a writer does not write a file whose name is taken.
const EXISTS: &str = "already exists, and a writer never replaces a file it did not \
                      create (did another program write it since this writer opened \
                      the index?)";

/// A new document for [`ingest`] and [`write_new_segment`] (its set is in
/// a [`DocSets`]).
pub(super) struct NewDoc<'a> {
    pub(super) entry: &'a DocEntry,
    /// Its figures (`None`: not known, as for a document of a version 1
    /// or 2 segment).
    pub(super) figures: Option<&'a [u64]>,
}

enum Target {
    New(u32),
    Old(DocAddress),
}

struct Ingested {
    boilerplate: Vec<u64>,
    /// Each new document's shingles in `boilerplate`.
    gone: Vec<Vec<u64>>,
    bands: Vec<Option<Vec<u64>>>,
    pairs: Vec<(u32, Target, f64, f64)>,
}

impl IndexWriter {
    /// Opens the writer of the index in `dir`: takes the lock (failing at
    /// once with [`Error::IndexLocked`], naming the holder's pid, when
    /// another writer holds it; see [`WriterOptions::wait`]) and removes
    /// files a crashed writer may have left. The lock is held until the
    /// writer is dropped, or its process dies.
    pub fn open(dir: impl AsRef<Path>) -> Result<IndexWriter> {
        IndexWriter::open_with(dir, &WriterOptions::default())
    }

    /// Opens with explicit options.
    pub fn open_with(dir: impl AsRef<Path>, options: &WriterOptions) -> Result<IndexWriter> {
        let dir = dir.as_ref();
        super::read_meta(dir)?; // a clear "not an index" before touching the lock
        let fail_record = options.fail_point == Some(FailPoint::LockRecord);
        let lock = Lock::acquire(dir, options.wait, fail_record)?;
        let index = Index::open_full(dir)?;
        let sketch = index.state.sketch().map_err(|e| Error::Index {
            path: dir.join(&index.meta.state),
            message: e.0,
        })?;
        collect_garbage(dir, &index.meta, None);
        Ok(IndexWriter {
            index,
            sketch,
            options: options.clone(),
            buffer: Vec::new(),
            sets: SetStore::with_budget(options.memory_budget),
            figures: FigureTable::new(),
            ids: HashMap::new(),
            removals: BTreeSet::new(),
            started: None,
            _lock: lock,
        })
    }

    /// The last committed state.
    pub fn index(&self) -> &Index {
        &self.index
    }

    /// The index configuration.
    pub fn config(&self) -> &Config {
        self.index.config()
    }

    /// A preparer for documents read with `options` (the JSON Lines field
    /// names are stored so that sources can be reread).
    pub fn preparer(&self, options: &CorpusOptions) -> Preparer {
        Preparer {
            config: self.config().clone(),
            tokenizer: self.index.meta().tokenizer_version,
            id_field: options.id_field.clone(),
            text_field: options.text_field.clone(),
        }
    }

    /// Keeps at most `bytes` of buffered documents' shingle sets in memory
    /// ([`WriterOptions::memory_budget`]); past that (or past 128 MiB while
    /// the commit's segment is being written as documents come: the
    /// started segment), the copies in memory are dropped and a commit reads
    /// the sets back a block (half the budget) at a time, as a scan does
    /// (see `store`), from the started segment's file, or from an unnamed
    /// temporary file when no segment could be started (sets already past
    /// the budget go there now). The commit's pairs and files do not depend on
    /// it. It does not bound what a commit keeps per document (ids and
    /// sources, signatures, band keys, candidate pairs, each document's
    /// boilerplate shingles), nor an [`optimize`](Self::optimize), which
    /// holds the sets of the whole index.
    pub fn set_memory_budget(&mut self, bytes: usize) {
        self.options.memory_budget = bytes;
        self.sets.set_budget(bytes);
    }

    /// Whether the buffered documents' sets have gone past what is kept in
    /// memory, and are read back from a file (the started segment's, or a
    /// temporary one).
    pub fn spilled(&self) -> bool {
        self.sets.spilled()
    }

    /// Documents buffered for the next commit.
    pub fn pending_docs(&self) -> usize {
        self.buffer.len()
    }

    /// Removals buffered for the next commit.
    pub fn pending_removals(&self) -> usize {
        self.removals.len()
    }

    /// Buffers a text given in memory (its text is not kept, so it cannot
    /// be explained later). Returns the skip when it is not added: no
    /// words, or an id that the index or the buffer already has.
    pub fn add_text(&mut self, id: &str, text: &str) -> Option<Skip> {
        let p = self.preparer(&CorpusOptions::default()).prepare(Document {
            id: id.to_string(),
            text: text.into(),
            source: DocSource::Memory,
        });
        self.add_prepared(p)
    }

    /// Buffers a prepared document (see [`add_text`](Self::add_text)).
    pub fn add_prepared(&mut self, doc: PreparedDoc) -> Option<Skip> {
        let skip = |reason, message| {
            Some(Skip {
                location: doc.entry.source.to_string(),
                reason,
                message,
            })
        };
        if doc.entry.words == 0 {
            return skip(
                SkipReason::Empty,
                format!("document {:?} has no words", doc.entry.id),
            );
        }
        if let Some(&i) = self.ids.get(&doc.entry.id) {
            return skip(
                SkipReason::DuplicateId,
                format!(
                    "id {:?} was already added from {}",
                    doc.entry.id, self.buffer[i].0.source
                ),
            );
        }
        if let Some(addr) = self.index.find(&doc.entry.id) {
            if !self.removals.contains(&addr) {
                return skip(
                    SkipReason::DuplicateId,
                    format!(
                        "id {:?} is already in the index (from {})",
                        doc.entry.id,
                        self.index.doc(addr).entry.source
                    ),
                );
            }
        }
        self.ids.insert(doc.entry.id.clone(), self.buffer.len());
        if self.sets.is_empty() && self.started.is_none() {
            // A commit's first document: start its segment (without one,
            // the sets spill to a file of the store's own).
            if let Ok((started, file)) = Started::new(&self.index.dir) {
                self.sets
                    .mirror(file, started.sets.sets_offset() / 8, STARTED_KEEP);
                self.started = Some(started);
            }
        }
        if let Some(started) = &mut self.started {
            if started.sets.push(&doc.set).is_err() {
                self.stop_started();
            }
        }
        let slot = self.sets.len() as u32;
        self.sets.push(doc.set);
        self.figures.push(&doc.figures);
        self.buffer.push((doc.entry, slot));
        None
    }

    /// Buffers documents given in memory, `(id, text)` each, shingled in
    /// parallel on the current rayon pool: the same as
    /// [`add_text`](Self::add_text) for each in turn (their texts are not
    /// kept either).
    pub fn add_texts<I, T>(&mut self, docs: &[(I, T)]) -> AddReport
    where
        I: AsRef<str> + Sync,
        T: AsRef<str> + Sync,
    {
        let prep = self.preparer(&CorpusOptions::default());
        let prepared: Vec<PreparedDoc> = docs
            .par_iter()
            .map(|(id, text)| {
                prep.prepare(Document {
                    id: id.as_ref().to_string(),
                    text: text.as_ref().into(),
                    source: DocSource::Memory,
                })
            })
            .collect();
        let mut report = AddReport::default();
        for p in prepared {
            match self.add_prepared(p) {
                None => report.added += 1,
                Some(s) => report.skipped.push(s),
            }
        }
        report
    }

    /// Reads a corpus (in parallel) into the buffer, as
    /// [`Scan::add_corpus`](crate::Scan::add_corpus) does into a scan.
    /// `progress` receives the number of input bytes consumed, batch by
    /// batch.
    pub fn add_corpus(&mut self, corpus: &Corpus, progress: impl FnMut(u64)) -> AddReport {
        let prep = self.preparer(corpus.options());
        let mut report = AddReport::default();
        corpus.process(
            |d| prep.prepare(d),
            |e| match e {
                Event::Doc(p) => match self.add_prepared(p) {
                    None => report.added += 1,
                    Some(s) => report.skipped.push(s),
                },
                Event::Skip(s) => report.skipped.push(s),
                Event::Warning(w) => report.warnings.push(w),
            },
            progress,
        );
        report
    }

    /// Removes the document with this id at the next commit (or drops it
    /// from the buffer). Returns whether there was such a live document.
    /// A removed document never matches again; its id may be added anew.
    pub fn remove(&mut self, id: &str) -> bool {
        if let Some(i) = self.ids.remove(id) {
            self.buffer.remove(i);
            self.rebuild_ids();
            return true;
        }
        match self.index.find(id) {
            Some(addr) => self.removals.insert(addr),
            None => false,
        }
    }

    /// Drops the started segment ([`Started`]): the store keeps what it
    /// read back from its file and puts later sets elsewhere.
    fn stop_started(&mut self) {
        self.started = None;
        self.sets.unmirror();
    }

    fn rebuild_ids(&mut self) {
        self.ids = self
            .buffer
            .iter()
            .enumerate()
            .map(|(i, d)| (d.0.id.clone(), i))
            .collect();
    }

    pub(super) fn fail(&self, at: FailPoint) -> Result<()> {
        if self.options.fail_point == Some(at) {
            return Err(Error::Io {
                path: self.index.dir.clone(),
                source: io::Error::other(format!("fail point {at:?} reached")),
            });
        }
        Ok(())
    }

    /// Writes the buffered documents as a new segment, applies removals,
    /// updates the boilerplate state, and atomically replaces the metadata.
    /// Returns the duplicate pairs of the new documents (among themselves
    /// and with live indexed ones). On error nothing is committed and the
    /// buffer is kept.
    pub fn commit(&mut self) -> Result<CommitReport> {
        if self.buffer.is_empty() && self.removals.is_empty() {
            return Ok(CommitReport {
                generation: self.index.meta.generation,
                boilerplate_shingles: self.index.boilerplate().len(),
                ..Default::default()
            });
        }
        let mut clock = Clock::new();
        self.buffer.sort_by(|x, y| x.0.id.cmp(&y.0.id));
        self.rebuild_ids();
        let dir = self.index.dir.clone();
        // The started segment's sets are read back from its file: flushed
        // first. It is the new segment when its sets are those of the
        // buffer in id order.
        let mut started = self.started.take();
        if let Some(s) = &mut started {
            if s.sets.inner_mut().flush().is_err() {
                started = None;
            }
        }
        self.sets.seal();
        self.sets.unmirror();
        let started = started.filter(|s| {
            s.sets.len() == self.buffer.len()
                && self.sets.len() == self.buffer.len()
                && self
                    .buffer
                    .iter()
                    .enumerate()
                    .all(|(i, d)| d.1 as usize == i)
        });
        // Problems of the set store so far: a temporary file that could
        // not be written (the sets stayed in memory).
        let warnings = self.sets.take_warnings();
        let docs: Vec<NewDoc<'_>> = self
            .buffer
            .iter()
            .map(|d| NewDoc {
                entry: &d.0,
                figures: Some(self.figures.get(d.1 as usize)),
            })
            .collect();
        let sets = DocSets::of_store(&self.sets, self.buffer.iter().map(|d| d.1).collect());
        let figures_of = |d: u32| docs[d as usize].figures;
        let mut sketch = self.sketch.clone();
        let mut groups = self.index.meta.groups;
        let ing = ingest(
            &self.index.engine,
            Some(&self.index),
            &self.removals,
            &mut sketch,
            &mut groups,
            &sets,
            &figures_of,
            true,
            &mut clock,
        )?;
        let id_of = |t: &Target| match t {
            Target::New(i) => (docs[*i as usize].entry.id.clone(), false),
            Target::Old(a) => (
                self.index.segments[a.segment as usize]
                    .id(a.doc as usize)
                    .into_owned(),
                true,
            ),
        };
        let mut pairs: Vec<IndexPair> = ing
            .pairs
            .iter()
            .map(|(a, t, j, c)| {
                let (b, b_indexed) = id_of(t);
                IndexPair {
                    a: docs[*a as usize].entry.id.clone(),
                    b,
                    b_indexed,
                    jaccard: *j,
                    containment: *c,
                }
            })
            .collect();
        pairs.sort_by(|x, y| {
            x.a.cmp(&y.a)
                .then(y.containment.total_cmp(&x.containment))
                .then(y.jaccard.total_cmp(&x.jaccard))
                .then_with(|| x.b.cmp(&y.b))
        });

        let mut meta = self.index.meta.clone();
        let generation = meta.generation + 1;
        let first_cluster = meta.next_cluster.max(1);
        clock.lap("pairs sorted");
        let (clusters, next_cluster) =
            assign_clusters(&self.index, &docs, &sets, &ing, first_cluster);
        clock.lap("clusters");
        let facts: Vec<(u64, u64)> = clusters.iter().map(|&c| (c, generation)).collect();
        meta.next_cluster = next_cluster;
        let banding = self.config().banding();
        let new_segment = write_new_segment(
            &dir,
            &mut meta,
            &docs,
            &sets,
            &facts,
            &ing.band_refs(),
            banding,
            started,
        )?;
        // Sets that could not be read back came out empty: nothing of this
        // commit can be trusted.
        let unread = self.sets.take_warnings();
        if !unread.is_empty() {
            if let Some(name) = &new_segment {
                let _ = std::fs::remove_file(dir.join(name));
            }
            return Err(Error::Io {
                path: dir.clone(),
                source: io::Error::other(format!(
                    "cannot read back the buffered documents' shingle sets: {}",
                    unread.join("; ")
                )),
            });
        }
        self.fail(FailPoint::AfterSegment)?;
        clock.lap("segment written");

        let old_segments = self.index.segments.len();
        let mut tombs: Vec<Vec<u32>> = (0..old_segments)
            .map(|s| self.index.state.tombstones(s).into_owned())
            .collect();
        for a in &self.removals {
            tombs[a.segment as usize].push(a.doc);
        }
        for t in &mut tombs {
            t.sort_unstable();
            t.dedup();
        }
        if new_segment.is_some() {
            tombs.push(vec![]);
        }
        meta.generation = generation;
        meta.groups = groups;
        // Open the new segment before committing, so that nothing can fail
        // after the metadata is replaced.
        let new_seg = match &new_segment {
            Some(name) => Some(Segment::open(
                &dir.join(name),
                super::format::Verify::Blocks,
            )?),
            None => None,
        };
        let added = docs.len();
        let clusters: Vec<(String, u64)> = docs
            .iter()
            .zip(&clusters)
            .map(|(d, &c)| (d.entry.id.clone(), c))
            .collect();
        drop(docs);
        drop(sets);
        self.install(
            meta,
            (old_segments..old_segments, new_seg),
            &ing.boilerplate,
            &tombs,
            Some(sketch),
            &mut clock,
        )?;

        let report = CommitReport {
            generation,
            added,
            removed: self.removals.len(),
            pairs,
            segment: new_segment,
            boilerplate_shingles: ing.boilerplate.len(),
            new_clusters: (self.index.meta.next_cluster - first_cluster) as usize,
            clusters,
            timings: clock.laps,
            warnings,
        };
        self.buffer.clear();
        self.sets = SetStore::with_budget(self.options.memory_budget);
        self.figures = FigureTable::new();
        self.ids.clear();
        self.removals.clear();
        Ok(report)
    }

    /// The end of every change of the index — a commit, an optimize, a
    /// compaction — so that all keep one protocol (`docs/INDEX-FORMAT.md`,
    /// "Commit protocol"): writes and syncs the new state file (boilerplate
    /// set, tombstones per segment of `meta`, df sketch: `None` keeps the
    /// writer's), opens it, replaces the metadata atomically (after which
    /// nothing can fail), then switches the writer to the new state and
    /// deletes the files the new metadata does not name. `splice` replaces
    /// the opened segments in that range by the new one, already written,
    /// synced and opened; `meta` must list the result in the same order.
    /// The document counts of `meta` are derived here from `tombs`. On
    /// error nothing is committed and the writer keeps its state.
    pub(super) fn install(
        &mut self,
        mut meta: Meta,
        splice: (std::ops::Range<usize>, Option<Segment>),
        boilerplate: &[u64],
        tombs: &[Vec<u32>],
        sketch: Option<Sketch>,
        clock: &mut Clock,
    ) -> Result<u64> {
        let dir = self.index.dir.clone();
        debug_assert_eq!(tombs.len(), meta.segments.len());
        for (t, sm) in tombs.iter().zip(meta.segments.iter_mut()) {
            sm.deleted = t.len() as u64;
        }
        meta.format_version = super::FORMAT_VERSION;
        meta.written_by = concat!("neardup ", env!("CARGO_PKG_VERSION")).into();
        meta.deleted = meta.segments.iter().map(|s| s.deleted).sum();
        meta.documents = meta.segments.iter().map(|s| s.docs).sum::<u64>() - meta.deleted;
        meta.state = state_name(meta.generation);
        let state_bytes = write_file(&dir, &meta.state, |w| {
            let sketch = sketch.as_ref().unwrap_or(&self.sketch);
            write_state(w, boilerplate, tombs, sketch).map(|_| ())
        })?;
        self.fail(FailPoint::AfterState)?;
        clock.lap("state written");
        let state =
            super::state::State::open(&dir.join(&meta.state), super::format::Verify::Blocks)?;
        write_meta(&dir, &meta, self.options.fail_point)?;
        clock.lap("verified, committed");
        let (range, new) = splice;
        self.index.segments.splice(range, new);
        debug_assert_eq!(self.index.segments.len(), meta.segments.len());
        self.index.state = state;
        self.index.meta = meta;
        if let Some(sketch) = sketch {
            self.sketch = sketch;
        }
        // Not the segment started for the documents buffered meanwhile (a
        // compaction installs while they wait).
        let started = self.started.as_ref().map(|s| s.tmp.path());
        collect_garbage(&dir, &self.index.meta, started);
        Ok(state_bytes)
    }

    /// Merges all segments into one, dropping removed documents, and
    /// rebuilds the df sketch, copy groups, boilerplate set and band hashes
    /// from the live documents as one batch would. Pending changes are
    /// committed first.
    pub fn optimize(&mut self) -> Result<OptimizeReport> {
        self.commit()?;
        let dir = self.index.dir.clone();
        let before = &self.index.meta;
        let mut report = OptimizeReport {
            segments_before: before.segments.len(),
            dropped: before.deleted,
            bytes_before: before.segments.iter().map(|s| s.bytes).sum::<u64>()
                + self.index.state.file_len(),
            ..Default::default()
        };
        let live: Vec<DocAddress> = self.index.live_docs().collect();
        let mut entries: Vec<(DocEntry, DocAddress)> = live
            .par_iter()
            .map(|&a| (self.index.doc(a).entry, a))
            .collect();
        entries.par_sort_by(|x, y| x.0.id.cmp(&y.0.id));
        let sets: Vec<Cow<'_, [u64]>> = entries
            .iter()
            .map(|(_, a)| self.index.segments[a.segment as usize].set(a.doc as usize))
            .collect();
        // Each document keeps its figures (not known stays not known).
        let figures: Vec<Option<Cow<'_, [u64]>>> = entries
            .iter()
            .map(|(_, a)| self.index.figures_at(*a))
            .collect();
        let docs: Vec<NewDoc<'_>> = entries
            .iter()
            .zip(&figures)
            .map(|((e, _), f)| NewDoc {
                entry: e,
                figures: f.as_deref(),
            })
            .collect();
        let sets = DocSets::Held(sets);
        let figures_of = |d: u32| docs[d as usize].figures;
        let mut sketch = Sketch::new(self.index.meta.sketch_bits);
        let mut groups = 0u64;
        let ing = ingest(
            &self.index.engine,
            None,
            &BTreeSet::new(),
            &mut sketch,
            &mut groups,
            &sets,
            &figures_of,
            false,
            &mut Clock::new(),
        )?;
        let mut meta = self.index.meta.clone();
        meta.generation += 1;
        meta.format_version = super::FORMAT_VERSION;
        meta.next_cluster = meta.next_cluster.max(1);
        meta.segments.clear();
        // Each document keeps its cluster and the generation that added it
        // (that of the optimize for a document of a version 1 segment).
        let facts: Vec<(u64, u64)> = entries
            .iter()
            .map(|(_, a)| {
                let seg = &self.index.segments[a.segment as usize];
                let generation = seg.generation(a.doc as usize).unwrap_or(meta.generation);
                (self.index.cluster_at(*a), generation)
            })
            .collect();
        let banding = self.config().banding();
        let new_seg = match write_new_segment(
            &dir,
            &mut meta,
            &docs,
            &sets,
            &facts,
            &ing.band_refs(),
            banding,
            None,
        )? {
            Some(name) => Some(Segment::open(
                &dir.join(&name),
                super::format::Verify::Blocks,
            )?),
            None => None,
        };
        let tombs: Vec<Vec<u32>> = meta.segments.iter().map(|_| vec![]).collect();
        meta.groups = groups;
        let documents = docs.len();
        drop(docs);
        drop(sets);
        let all = 0..self.index.segments.len();
        let state_bytes = self.install(
            meta,
            (all, new_seg),
            &ing.boilerplate,
            &tombs,
            Some(sketch),
            &mut Clock::new(),
        )?;
        report.generation = self.index.meta.generation;
        report.documents = documents;
        report.bytes_after = self
            .index
            .meta
            .segments
            .iter()
            .map(|s| s.bytes)
            .sum::<u64>()
            + state_bytes;
        Ok(report)
    }
}

/// Most bytes of spilled sets a commit reads back at once: larger blocks
/// only cost more fresh memory per pass (measured at 100k documents: 256
/// MiB blocks took longer than 32 MiB ones).
const MAX_BLOCK: usize = 32 << 20;

/// The shingle sets of a commit's documents (numbered by id): held in
/// memory, or read back from the writer's spilled [`SetStore`] a block at a
/// time, so that a commit's resident sets stay within the memory budget.
/// Every pass over the sets goes through [`DocSets::map_docs`] or
/// [`DocSets::map_pairs`], which give the same results either way.
pub(super) enum DocSets<'a> {
    /// Every set at hand.
    Held(Vec<Cow<'a, [u64]>>),
    /// In a spilled store: document `d`'s set is `slot[d]`; at most about
    /// `block` bytes of sets are loaded at once.
    Spilled {
        store: &'a SetStore<u64>,
        slot: Vec<u32>,
        block: usize,
    },
}

impl<'a> DocSets<'a> {
    /// The sets of the documents whose store slots are `slot` (in document
    /// order): borrowed when the store holds them in memory, read back
    /// block by block (half the store's budget, at most [`MAX_BLOCK`]) when
    /// it has spilled.
    fn of_store(store: &'a SetStore<u64>, slot: Vec<u32>) -> DocSets<'a> {
        if store.spilled() {
            let block = (store.budget() / 2).clamp(1, MAX_BLOCK);
            DocSets::Spilled { store, slot, block }
        } else {
            DocSets::Held(store.load(&slot))
        }
    }

    fn len(&self) -> usize {
        match self {
            DocSets::Held(sets) => sets.len(),
            DocSets::Spilled { slot, .. } => slot.len(),
        }
    }

    /// The number of shingles of document `d`.
    fn set_len(&self, d: usize) -> usize {
        match self {
            DocSets::Held(sets) => sets[d].len(),
            DocSets::Spilled { store, slot, .. } => store.set_len(slot[d]),
        }
    }

    /// The sets of `docs`, in that order.
    fn load(&self, docs: &[u32]) -> Vec<Cow<'_, [u64]>> {
        match self {
            DocSets::Held(sets) => docs
                .iter()
                .map(|&d| Cow::Borrowed(&*sets[d as usize]))
                .collect(),
            DocSets::Spilled { store, slot, .. } => {
                let slots: Vec<u32> = docs.iter().map(|&d| slot[d as usize]).collect();
                store.load(&slots)
            }
        }
    }

    /// Consecutive parts of `items` (each a list of documents, `docs(i)`)
    /// whose distinct documents' sets take at most a block (at least one
    /// item each); the whole when the sets are held. Each part comes with
    /// its distinct documents, sorted.
    fn parts<'d>(
        &self,
        items: usize,
        docs: impl Fn(usize) -> &'d [u32],
    ) -> Vec<(std::ops::Range<usize>, Vec<u32>)> {
        let block = match self {
            DocSets::Held(_) => return vec![(0..items, Vec::new())],
            DocSets::Spilled { block, .. } => *block,
        };
        let mut parts = Vec::new();
        // `seen[d]`: the last part that took document `d`.
        let mut seen = vec![u32::MAX; self.len()];
        let (mut part, mut start, mut bytes, mut members) = (0u32, 0, 0usize, Vec::new());
        for i in 0..items {
            let more: usize = docs(i)
                .iter()
                .filter(|&&d| seen[d as usize] != part)
                .map(|&d| self.set_len(d as usize) * 8)
                .sum();
            if i > start && bytes + more > block {
                members.sort_unstable();
                parts.push((start..i, std::mem::take(&mut members)));
                (part, start, bytes) = (part + 1, i, 0);
            }
            for &d in docs(i) {
                if seen[d as usize] != part {
                    seen[d as usize] = part;
                    members.push(d);
                    bytes += self.set_len(d as usize) * 8;
                }
            }
        }
        if start < items {
            members.sort_unstable();
            parts.push((start..items, members));
        }
        parts
    }

    /// The sets of `members` (sorted, as [`DocSets::parts`] gives them;
    /// ignored when the sets are held); spilled sets are read into `buf`,
    /// the buffer of the pass's previous part ([`Part::into_buffer`]), so
    /// that a pass does not map fresh memory for every block.
    fn part_in(&self, members: Vec<u32>, buf: Vec<u64>) -> Part<'_> {
        match self {
            DocSets::Held(sets) => Part::Held(sets),
            DocSets::Spilled { store, slot, .. } => {
                let slots: Vec<u32> = members.iter().map(|&d| slot[d as usize]).collect();
                let sets = store.load_together_in(&slots, buf);
                Part::Loaded(members, sets)
            }
        }
    }

    /// `f(d, set)` for every document `d` for which `want(d)` holds (the
    /// others give `None`), in parallel, a block of sets at a time.
    fn map_docs<R: Send>(
        &self,
        want: impl Fn(usize) -> bool + Sync,
        f: impl Fn(usize, &[u64]) -> R + Sync,
    ) -> Vec<Option<R>> {
        if let DocSets::Held(sets) = self {
            return sets
                .par_iter()
                .enumerate()
                .map(|(d, s)| want(d).then(|| f(d, s)))
                .collect();
        }
        let wanted: Vec<u32> = (0..self.len() as u32)
            .filter(|&d| want(d as usize))
            .collect();
        let mut out: Vec<Option<R>> = Vec::with_capacity(self.len());
        out.resize_with(self.len(), || None);
        let mut spare = Vec::new();
        for (_, members) in self.parts(wanted.len(), |i| &wanted[i..i + 1]) {
            let part = self.part_in(members, std::mem::take(&mut spare));
            let Part::Loaded(members, sets) = &part else {
                unreachable!("spilled sets are loaded")
            };
            let got: Vec<R> = members
                .par_iter()
                .enumerate()
                .map(|(i, &d)| f(d as usize, sets.get(i)))
                .collect();
            for (&d, r) in members.iter().zip(got) {
                out[d as usize] = Some(r);
            }
            spare = part.into_buffer();
        }
        out
    }

    /// `f(d, set)` for every document `d`, in parallel, a block of sets at
    /// a time.
    fn map_all<R: Send>(&self, f: impl Fn(usize, &[u64]) -> R + Sync) -> Vec<R> {
        self.map_docs(|_| true, f)
            .into_iter()
            .map(|r| r.expect("every document is wanted"))
            .collect()
    }

    /// `f(i, set_a, set_b)` for each pair `(a, b)` of `pairs`, in order, in
    /// parallel, a block of sets at a time.
    fn map_pairs<R: Send>(
        &self,
        pairs: &[(u32, u32)],
        f: impl Fn(usize, &[u64], &[u64]) -> R + Sync,
    ) -> Vec<R> {
        if let DocSets::Held(sets) = self {
            return pairs
                .par_iter()
                .enumerate()
                .map(|(i, &(a, b))| f(i, &sets[a as usize], &sets[b as usize]))
                .collect();
        }
        // Each pair as a two-document list, for `parts`.
        let flat: Vec<u32> = pairs.iter().flat_map(|&(a, b)| [a, b]).collect();
        let mut out = Vec::with_capacity(pairs.len());
        let mut spare = Vec::new();
        for (range, members) in self.parts(pairs.len(), |i| &flat[2 * i..2 * i + 2]) {
            let part = self.part_in(members, std::mem::take(&mut spare));
            out.par_extend(
                pairs[range.clone()]
                    .par_iter()
                    .enumerate()
                    .map(|(i, &(a, b))| f(range.start + i, part.set(a), part.set(b))),
            );
            spare = part.into_buffer();
        }
        out
    }
}

/// The sets of one part of a commit's documents ([`DocSets::part_in`]).
enum Part<'s> {
    /// Every document's.
    Held(&'s [Cow<'s, [u64]>]),
    /// Those of the listed documents (sorted), in that order.
    Loaded(Vec<u32>, LoadedSets<'s, u64>),
}

impl Part<'_> {
    /// The buffer a spilled part was read into, for the next part of the
    /// same pass.
    fn into_buffer(self) -> Vec<u64> {
        match self {
            Part::Held(_) => Vec::new(),
            Part::Loaded(_, sets) => sets.into_buffer(),
        }
    }

    /// Document `d`'s set (`d` must be in the part).
    fn set(&self, d: u32) -> &[u64] {
        match self {
            Part::Held(sets) => &sets[d as usize],
            Part::Loaded(members, sets) => sets.get(
                members
                    .binary_search(&d)
                    .expect("a part holds its documents"),
            ),
        }
    }
}

/// The signature of `cut` (a document's set less the boilerplate) into
/// `sig` and its band keys into `bands` (the engine's signer and
/// [`band_keys`]).
fn sign_into(engine: &Engine, cut: &[u64], sig: &mut [u32], bands: &mut Option<Vec<u64>>) {
    engine.hasher().signature_into(cut, sig);
    let mut keys = Vec::new();
    *bands = band_keys(sig, engine.config().banding(), &mut keys).then_some(keys);
}

/// What the pass after the boilerplate step finds in one document's set
/// ([`ingest`]).
struct AfterCut {
    /// Its shingles that are boilerplate now.
    gone: Vec<u64>,
    /// When its cut set changed (it holds a shingle that is boilerplate
    /// now and was not before, or the reverse): the signature and band
    /// keys of the new cut set, and that set's size.
    resigned: Option<Signed>,
}

/// Signatures and band keys of `docs` with `bp` removed (the engine's
/// signer and [`band_keys`]), into `sigs` and `bands`, and the size of each
/// signed set into `signed`; only the documents for which `redo(d)` holds
/// are signed.
fn lsh_view(
    engine: &Engine,
    sets: &DocSets<'_>,
    bp: &[u64],
    sigs: &mut [u32],
    bands: &mut [Option<Vec<u64>>],
    signed: &mut [u32],
    redo: impl Fn(usize) -> bool + Sync,
) {
    let bp = Boilerplate::new(bp);
    let perms = engine.config().perms();
    let sign = |set: &[u64], sig: &mut [u32], b: &mut Option<Vec<u64>>| -> u32 {
        let cut = cut_by(set, &bp);
        sign_into(engine, &cut, sig, b);
        cut.len() as u32
    };
    if let DocSets::Held(held) = sets {
        // Signed where they lie.
        sigs.par_chunks_mut(perms)
            .zip(bands.par_iter_mut())
            .zip(signed.par_iter_mut())
            .enumerate()
            .filter(|(d, _)| redo(*d))
            .for_each(|(d, ((sig, b), len))| *len = sign(&held[d], sig, b));
        return;
    }
    let new = sets.map_docs(redo, |_, set| {
        let (mut sig, mut b) = (vec![0u32; perms], None);
        let len = sign(set, &mut sig, &mut b);
        (sig, b, len)
    });
    put_signed(perms, sigs, bands, signed, new);
}

/// A signed document's signature, band keys and signed set size.
type Signed = (Vec<u32>, Option<Vec<u64>>, u32);

/// Puts each new signature, band keys and signed set size of `new` (one
/// per document; `None` keeps what the document has) into `sigs`, `bands`
/// and `signed`.
fn put_signed(
    perms: usize,
    sigs: &mut [u32],
    bands: &mut [Option<Vec<u64>>],
    signed: &mut [u32],
    new: Vec<Option<Signed>>,
) {
    sigs.par_chunks_mut(perms)
        .zip(bands.par_iter_mut())
        .zip(signed.par_iter_mut())
        .zip(new)
        .for_each(|(((sig, b), len), new)| {
            if let Some((s, k, l)) = new {
                sig.copy_from_slice(&s);
                *b = k;
                *len = l;
            }
        });
}

/// What the copy group `m` (its new documents) adds to the df sketch:
/// the union of its sets, minus what its indexed copies (`old_copies` of
/// each new document, in `base`) already counted; and whether the group is
/// new (has no indexed copy).
fn group_contribution<'p>(
    m: &[u32],
    part: &'p Part<'p>,
    old_copies: &[Vec<DocAddress>],
    base: Option<&Index>,
) -> (bool, Cow<'p, [u64]>) {
    let mut olds: Vec<DocAddress> = m
        .iter()
        .flat_map(|&d| old_copies[d as usize].iter().copied())
        .collect();
    if m.len() == 1 && olds.is_empty() {
        return (true, Cow::Borrowed(part.set(m[0])));
    }
    let mut union: Vec<u64> = union_of(m.iter().map(|&d| part.set(d)));
    olds.sort_unstable();
    olds.dedup();
    match base {
        Some(b) if !olds.is_empty() => {
            let old_sets: Vec<Cow<'_, [u64]>> = olds
                .iter()
                .map(|a| b.segments[a.segment as usize].set(a.doc as usize))
                .collect();
            let seen: Vec<u64> = union_of(old_sets.iter().map(|s| &**s));
            union.retain(|h| seen.binary_search(h).is_err());
            (false, Cow::Owned(union))
        }
        _ => (true, Cow::Owned(union)),
    }
}

/// The heart of a commit: copy groups and df counting, the new boilerplate
/// set, band hashes, and the verified pairs of the new documents (`docs`,
/// sorted by id) with each other and with `base`'s live documents. The
/// engine's passes do the work: [`copy_groups`] of the near copies
/// ([`is_near_copy`]) among the scan's LSH candidates ([`candidates`]), and
/// verification from counts ([`cut_similarity`], [`scored`], which applies
/// the figures rule with each document's figures: `figures` for the new
/// ones, the stored ones for `base`'s); only the df sketch, which carries
/// the boilerplate across commits, is the index's own.
#[allow(clippy::too_many_arguments)]
fn ingest(
    engine: &Engine,
    base: Option<&Index>,
    excluded: &BTreeSet<DocAddress>,
    sketch: &mut Sketch,
    groups: &mut u64,
    sets: &DocSets<'_>,
    figures: &FiguresOf<'_>,
    want_pairs: bool,
    clock: &mut Clock,
) -> Result<Ingested> {
    let cfg = engine.config();
    let n = sets.len();
    let bp_old: Vec<u64> = base
        .map(|b| b.boilerplate().into_owned())
        .unwrap_or_default();
    let old_candidates = |bands: &[Option<Vec<u64>>]| -> Result<Vec<Vec<DocAddress>>> {
        match base {
            None => Ok(vec![vec![]; n]),
            Some(b) => bands
                .par_iter()
                .map(|h| match h {
                    Some(h) => b.candidates(h, false),
                    None => Ok(vec![]),
                })
                .collect(),
        }
    };
    let perms = cfg.perms();
    let mut sigs = vec![0u32; n * perms];
    let mut bands: Vec<Option<Vec<u64>>> = vec![None; n];
    // The size of each document's signed set (its set less `bp_old`).
    let mut signed = vec![0u32; n];
    lsh_view(
        engine,
        sets,
        &bp_old,
        &mut sigs,
        &mut bands,
        &mut signed,
        |_| true,
    );
    // The scan's candidates: LSH less the pairs whose signatures agree on
    // too little to pass the rule (`passes::candidate_floor`), with each
    // pair's signature agreement for the screens after LSH. The new
    // documents are already numbered by id.
    let by_id: Vec<u32> = (0..n as u32).collect();
    let draw =
        |sigs: &[u32]| candidates(cfg, &by_id, &by_id, |d| &sigs[d * perms..(d + 1) * perms]);
    let mut nn = draw(&sigs);
    let mut ne = old_candidates(&bands)?;
    clock.lap("signatures, candidates");

    let mut boilerplate = bp_old.clone();
    // The candidates compared for the copy groups (sorted) and their raw
    // intersections, kept for verification.
    let mut counted: (Vec<(u32, u32)>, Vec<u32>) = (Vec::new(), Vec::new());
    // What the pass after the boilerplate step found per document.
    let mut cut_pass: Option<Vec<AfterCut>> = None;
    if cfg.boilerplate_cut(1).is_some() && sketch.bits() > 0 {
        let is_copy = |a: &[u64], b: &[u64]| is_near_copy(a, b, cfg);
        // Copy groups among the new documents, as a scan makes them: the
        // candidates that could be near copies (the scan's screen, on
        // signatures of the sets less `bp_old`) are compared, and their
        // raw intersections (kept for verification) say which are.
        let size = |d: u32| sets.set_len(d as usize);
        let copy_pairs = nn.screened(|(x, y), m| {
            could_be_copies_signed_cut(
                cfg,
                m,
                (size(x), size(y)),
                (signed[x as usize] as usize, signed[y as usize] as usize),
            )
        });
        let raw: Vec<u32> = sets.map_pairs(&copy_pairs, |_, a, b| intersection_size(a, b) as u32);
        let copies = copy_pairs.iter().zip(&raw).filter_map(|(&(a, b), &i)| {
            let (sa, sb) = (size(a), size(b));
            is_near_copy_by(&Similarity::from_counts(i as usize, sa, sb), cfg).then_some((a, b))
        });
        let (group_of, n_groups) = copy_groups(n, copies);
        counted = (copy_pairs, raw);
        let mut members: Vec<Vec<u32>> = vec![Vec::new(); n_groups];
        for (d, &g) in group_of.iter().enumerate() {
            members[g as usize].push(d as u32);
        }
        // Indexed copies of each new document.
        let old_copies: Vec<Vec<DocAddress>> = match base {
            None => vec![vec![]; n],
            Some(b) => sets.map_all(|d, set| {
                ne[d]
                    .iter()
                    .copied()
                    .filter(|a| {
                        let s = b.segments[a.segment as usize].set(a.doc as usize);
                        is_copy(set, &s)
                    })
                    .collect()
            }),
        };
        // What each group adds to the df: the union of its sets, minus what
        // its indexed copies already counted.
        // In chunks, so that memory stays bounded for an optimize of a
        // large index; in parts of at most a block of sets when they have
        // spilled.
        clock.lap("copy groups");
        let mut spare = Vec::new();
        for (range, part_docs) in sets.parts(members.len(), |g| &members[g]) {
            let part = sets.part_in(part_docs, std::mem::take(&mut spare));
            for chunk in members[range].chunks(4096) {
                let contributions: Vec<(bool, Cow<'_, [u64]>)> = chunk
                    .par_iter()
                    .map(|m| group_contribution(m, &part, &old_copies, base))
                    .collect();
                *groups += contributions.iter().filter(|(new, _)| *new).count() as u64;
                let sets: Vec<&[u64]> = contributions.iter().map(|(_, c)| &**c).collect();
                sketch.add_sets(&sets);
            }
            spare = part.into_buffer();
        }
        let limit = cfg.boilerplate_cut(*groups as usize).unwrap_or(usize::MAX);
        let above = sketch.over(limit);
        // One read of the sets for everything the new boilerplate set
        // decides per document. A shingle of a document's set is in the
        // new boilerplate set exactly when it is above the cut (the set is
        // those shingles of the new sets and of `bp_old`), so the test on
        // `above` gives each document's boilerplate shingles (`gone`,
        // which together make the new set), whether its cut set changed,
        // and its cut set to sign again, without the new set's filter.
        let before = Boilerplate::new(&bp_old);
        let after: Vec<AfterCut> = sets.map_all(|_, s| {
            let mut gone = Vec::new();
            let mut changed = false;
            for &h in s {
                let now = above.contains(h);
                if now {
                    gone.push(h);
                }
                changed |= now != before.contains(h);
            }
            let resigned = changed.then(|| {
                let cut: Vec<u64> = if gone.is_empty() {
                    s.to_vec()
                } else {
                    s.iter().copied().filter(|&h| !above.contains(h)).collect()
                };
                let (mut sig, mut b) = (vec![0u32; perms], None);
                sign_into(engine, &cut, &mut sig, &mut b);
                (sig, b, cut.len() as u32)
            });
            AfterCut { gone, resigned }
        });
        let mut all: Vec<u64> = Vec::with_capacity(after.iter().map(|a| a.gone.len()).sum());
        for a in &after {
            all.extend_from_slice(&a.gone);
        }
        all.extend(bp_old.iter().copied().filter(|&h| above.contains(h)));
        all.par_sort_unstable();
        all.dedup();
        boilerplate = all;
        clock.lap("boilerplate");
        cut_pass = Some(after);
    }
    let mut gone: Option<Vec<Vec<u64>>> = None;
    if boilerplate != bp_old {
        // Signed again (above): the documents whose cut set changed, those
        // holding a shingle that is boilerplate now and was not then, or
        // the reverse (signatures are those of the cut sets).
        let after = cut_pass
            .take()
            .expect("the boilerplate set changes only in the boilerplate step");
        let changed: Vec<bool> = after.iter().map(|a| a.resigned.is_some()).collect();
        let mut kept = Vec::with_capacity(n);
        let mut resigned = Vec::with_capacity(n);
        for a in after {
            kept.push(a.gone);
            resigned.push(a.resigned);
        }
        gone = Some(kept);
        put_signed(perms, &mut sigs, &mut bands, &mut signed, resigned);
        nn = draw(&sigs);
        if let Some(b) = base {
            ne.par_iter_mut()
                .zip(&bands)
                .zip(&changed)
                .filter(|(_, &c)| c)
                .try_for_each(|((cands, h), _)| -> Result<()> {
                    *cands = match h {
                        Some(h) => b.candidates(h, false)?,
                        None => vec![],
                    };
                    Ok(())
                })?;
        }
        clock.lap("signatures, candidates (cut)");
    }
    drop(sigs);
    // Each new document's boilerplate shingles: the cut sets are never built.
    let bp = Boilerplate::new(&boilerplate);
    let gone: Vec<Vec<u64>> = match (gone, cut_pass) {
        (Some(gone), _) => gone,
        // The boilerplate step ran and changed nothing: its pass found
        // each document's boilerplate shingles all the same.
        (None, Some(after)) => after.into_iter().map(|a| a.gone).collect(),
        (None, None) => sets.map_all(|_, s| boilerplate_in(s, &bp)),
    };
    let mut pairs = Vec::new();
    if want_pairs {
        // The scan's screen before verification: the signatures are of
        // the cut sets (each document's set less the current boilerplate:
        // `signed`), so the pair's cut sets are what the screen judges.
        let verify = nn.screened(|(x, y), m| {
            let (a, b) = (signed[x as usize] as usize, signed[y as usize] as usize);
            could_be_duplicates(cfg, m, (a, b), (a, b))
        });
        drop(nn);
        let found = sets.map_pairs(&verify, |i, set_a, set_b| {
            let (a, b) = verify[i];
            let (x, y) = (a as usize, b as usize);
            let raw = counted
                .0
                .binary_search(&(a, b))
                .ok()
                .map(|j| counted.1[j] as usize);
            let s = cut_similarity(set_a, &gone[x], set_b, &gone[y], raw);
            // The cut sets' keys, made only if the digest rule needs them.
            let keys = std::cell::OnceCell::new();
            let sets = || {
                let (ka, kb) = keys.get_or_init(|| {
                    (
                        cut_keys(set_a, |h| gone[x].binary_search(&h).is_ok()),
                        cut_keys(set_b, |h| gone[y].binary_search(&h).is_ok()),
                    )
                });
                Some((CutSet::new(ka, &[]), CutSet::new(kb, &[])))
            };
            let e = scored(cfg, a, b, s, || (figures(a), figures(b)), sets).edge?;
            Some((a, Target::New(b), e.jaccard, e.containment))
        });
        pairs = found.into_iter().flatten().collect();
        if let Some(base) = base {
            let old = sets.map_all(|d, q| {
                ne[d]
                    .iter()
                    .filter(|a| !base.is_deleted(**a) && !excluded.contains(a))
                    .filter_map(|&a| {
                        let s = base.similarity_with(q, &gone[d], &bp, a);
                        // The stored figures, read only if the set rule
                        // accepts the pair.
                        let stored = std::cell::OnceCell::new();
                        let keys = std::cell::OnceCell::new();
                        let sets = || {
                            let (kq, ka) = keys.get_or_init(|| {
                                (
                                    cut_keys(q, |h| gone[d].binary_search(&h).is_ok()),
                                    base.cut_keys_at(a, &bp),
                                )
                            });
                            Some((CutSet::new(kq, &[]), CutSet::new(ka, &[])))
                        };
                        let e = scored(
                            cfg,
                            d as u32,
                            0,
                            s,
                            || {
                                let f = stored.get_or_init(|| base.figures_at(a));
                                (figures(d as u32), f.as_deref())
                            },
                            sets,
                        )
                        .edge?;
                        Some((d as u32, Target::Old(a), e.jaccard, e.containment))
                    })
                    .collect::<Vec<_>>()
            });
            pairs.extend(old.into_iter().flatten());
        }
    }
    clock.lap("verified");
    Ok(Ingested {
        boilerplate,
        gone,
        bands,
        pairs,
    })
}

impl Ingested {
    /// Each new document's band hashes, for [`write_new_segment`].
    fn band_refs(&self) -> Vec<Option<&[u64]>> {
        self.bands.iter().map(Option::as_deref).collect()
    }
}

/// The story cluster of each new document (`docs`, sorted by id), by the
/// scan's clustering rule applied incrementally:
///
/// 1. the new documents are clustered among themselves exactly as a scan of
///    them alone would be (their verified pairs, the same linkage guard);
/// 2. each resulting group joins the cluster of the best verified match
///    (containment, then Jaccard, then id) that any of its members has
///    among the live indexed documents;
/// 3. a group without such a match starts a new cluster, numbered from
///    `first` upwards in the order of its first document's id.
///
/// Existing clusters are never split or merged, so cluster numbers are
/// stable. Returns each document's cluster and the next cluster number.
fn assign_clusters(
    index: &Index,
    docs: &[NewDoc<'_>],
    sets: &DocSets<'_>,
    ing: &Ingested,
    first: u64,
) -> (Vec<u64>, u64) {
    let cfg = index.config();
    let n = docs.len();
    let mut edges = Vec::new();
    // The best indexed match of each new document: (containment, Jaccard,
    // its id, its cluster).
    type Best<'a> = (f64, f64, Cow<'a, str>, u64);
    let mut best: Vec<Option<Best<'_>>> = vec![None; n];
    let better = |x: &Best<'_>, y: &Best<'_>| {
        x.0.total_cmp(&y.0)
            .then(x.1.total_cmp(&y.1))
            .then_with(|| y.2.cmp(&x.2))
            .is_gt()
    };
    for &(a, ref t, jaccard, containment) in &ing.pairs {
        match *t {
            Target::New(b) => edges.push(Edge {
                a: a.min(b),
                b: a.max(b),
                jaccard,
                containment,
            }),
            Target::Old(addr) => {
                let m = (
                    containment,
                    jaccard,
                    index.segments[addr.segment as usize].id(addr.doc as usize),
                    index.cluster_at(addr),
                );
                let slot = &mut best[a as usize];
                if slot.as_ref().is_none_or(|b| better(&m, b)) {
                    *slot = Some(m);
                }
            }
        }
    }
    edges.sort_unstable_by_key(|e| (e.a, e.b));
    let weight: Vec<u64> = docs.iter().map(|d| d.entry.words).collect();
    let check = |x: u32, y: u32| {
        let (a, b) = (x as usize, y as usize);
        let both = sets.load(&[x, y]);
        let s = cut_similarity(&both[0], &ing.gone[a], &both[1], &ing.gone[b], None);
        let keys = std::cell::OnceCell::new();
        let cut = || {
            let (ka, kb) = keys.get_or_init(|| {
                (
                    cut_keys(&both[0], |h| ing.gone[a].binary_search(&h).is_ok()),
                    cut_keys(&both[1], |h| ing.gone[b].binary_search(&h).is_ok()),
                )
            });
            Some((CutSet::new(ka, &[]), CutSet::new(kb, &[])))
        };
        scored(cfg, x, y, s, || (docs[a].figures, docs[b].figures), cut)
    };
    let groups = cluster(n, &edges, &weight, cfg.linkage(), check).groups;
    let mut out = vec![0u64; n];
    let mut next = first;
    for g in &groups {
        let mut joined: Option<&Best<'_>> = None;
        for m in g.members.iter().filter_map(|&m| best[m as usize].as_ref()) {
            if joined.is_none_or(|b| better(m, b)) {
                joined = Some(m);
            }
        }
        let id = match joined {
            Some(m) => m.3,
            None => {
                next += 1;
                next - 1
            }
        };
        for &m in &g.members {
            out[m as usize] = id;
        }
    }
    (out, next)
}

fn io_at(path: &Path) -> impl Fn(io::Error) -> Error + '_ {
    move |source| Error::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn sync_dir(dir: &Path) -> Result<()> {
    #[cfg(unix)]
    {
        std::fs::File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(io_at(dir))?;
    }
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

/// Writes `docs` as the next segment file and lists it in `meta`; returns
/// its name (`None`, and nothing written, when there are no documents).
/// `bands` are the documents' band hashes (`None`: an empty signature).
/// Commits, `optimize` and compactions all write segments here; a commit
/// whose segment was started with `docs`' sets ([`Started`]) hands it over
/// to be finished.
#[allow(clippy::too_many_arguments)]
pub(super) fn write_new_segment(
    dir: &Path,
    meta: &mut Meta,
    docs: &[NewDoc<'_>],
    sets: &DocSets<'_>,
    facts: &[(u64, u64)],
    bands: &[Option<&[u64]>],
    banding: crate::lsh::Banding,
    started: Option<Started>,
) -> Result<Option<String>> {
    if docs.is_empty() {
        return Ok(None);
    }
    let name = segment_name(meta.next_segment);
    meta.next_segment += 1;
    let seg_docs: Vec<SegmentDoc<'_>> = docs
        .iter()
        .zip(bands)
        .zip(facts)
        .map(|((d, &b), &(cluster, generation))| SegmentDoc {
            entry: d.entry,
            bands: b,
            cluster,
            generation,
            figures: d.figures,
        })
        .collect();
    if let Some(started) = started {
        let bytes = started.finish(dir, &name, &seg_docs, banding)?;
        meta.segments.push(SegmentMeta {
            name: name.clone(),
            docs: docs.len() as u64,
            deleted: 0,
            bytes,
        });
        return Ok(Some(name));
    }
    // The sets in document order, a block at a time when they have
    // spilled.
    let ids: Vec<u32> = (0..docs.len() as u32).collect();
    let mut in_order = |each: &mut dyn FnMut(&[u64]) -> io::Result<()>| -> io::Result<()> {
        let mut spare = Vec::new();
        for (range, members) in sets.parts(ids.len(), |i| &ids[i..i + 1]) {
            let part = sets.part_in(members, std::mem::take(&mut spare));
            for d in range {
                each(part.set(d as u32))?;
            }
            spare = part.into_buffer();
        }
        Ok(())
    };
    let bytes = write_file(dir, &name, |w| {
        write_segment(w, &seg_docs, banding, &mut in_order).map(|_| ())
    })?;
    meta.segments.push(SegmentMeta {
        name: name.clone(),
        docs: docs.len() as u64,
        deleted: 0,
        bytes,
    });
    Ok(Some(name))
}

/// Writes the new file `DIR/name` and syncs it; returns its length. The
/// file is created here (`create_new`): a file of that name that exists
/// already is never replaced, whoever made it. A file this call created
/// but could not finish (a full disk) is removed.
pub(crate) fn write_file(
    dir: &Path,
    name: &str,
    f: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> Result<u64> {
    let path = dir.join(name);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o644);
    }
    let file = match options.open(&path) {
        Ok(file) => file,
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
            return Err(Error::Index {
                path,
                message: EXISTS.into(),
            })
        }
        Err(source) => return Err(Error::Io { path, source }),
    };
    let written = (|| {
        let mut w = io::BufWriter::with_capacity(1 << 20, &file);
        f(&mut w)?;
        w.flush()?;
        drop(w);
        file.sync_all()?;
        Ok(file.metadata()?.len())
    })();
    written.map_err(|source| {
        drop(file);
        let _ = std::fs::remove_file(&path);
        Error::Io { path, source }
    })
}

/// A temporary file in `dir` for a new metadata file: a name of its own
/// (this writer's pid and a random part), created anew.
fn temp_file(dir: &Path) -> io::Result<tempfile::NamedTempFile> {
    tempfile::Builder::new()
        .prefix(&format!("{TMP_PREFIX}{}-", std::process::id()))
        .tempfile_in(dir)
}

/// Atomically replaces `DIR/index.meta`: temporary file, fsync, fsync of
/// the directory (so the files it names are durable), rename, fsync of the
/// directory again.
pub(crate) fn write_meta(dir: &Path, meta: &Meta, fail: Option<FailPoint>) -> Result<()> {
    let path = dir.join(META_FILE);
    let io = io_at(&path);
    let mut tmp = temp_file(dir).map_err(&io)?;
    tmp.write_all(&meta.to_bytes()).map_err(&io)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        tmp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o644))
            .map_err(&io)?;
    }
    tmp.as_file().sync_all().map_err(&io)?;
    sync_dir(dir)?;
    if fail == Some(FailPoint::BeforeMetaRename) {
        // Leave the temporary file behind, as a crash would.
        let _ = tmp.keep();
        return Err(Error::Io {
            path: path.clone(),
            source: io::Error::other("fail point BeforeMetaRename reached"),
        });
    }
    tmp.persist(&path).map_err(|e| io(e.error))?;
    sync_dir(dir)
}

/// Removes segment and state files the metadata does not name, and
/// temporary files (but `keep`, the writer's started segment): leftovers
/// of a crashed or superseded commit. Only the lock holder calls it. Readers that still map a removed file keep their
/// mapping; readers that are opening retry with the new metadata.
fn collect_garbage(dir: &Path, meta: &Meta, keep: Option<&Path>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let name = e.file_name();
        let Some(name) = name.to_str() else { continue };
        let ours = (name.starts_with("seg-") && name.ends_with(".seg"))
            || (name.starts_with("state-") && name.ends_with(".state"))
            || name.starts_with(TMP_PREFIX);
        let live = meta.state == name || meta.segments.iter().any(|s| s.name == name);
        let kept = keep.and_then(Path::file_name).is_some_and(|k| k == name);
        if ours && !live && !kept {
            let _ = std::fs::remove_file(e.path());
        }
    }
}
