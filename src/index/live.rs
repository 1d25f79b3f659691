//! A live index: inserts and queries interleaved from any number of
//! threads, uncommitted documents visible to queries, group commits.
//!
//! [`Index`] is one committed state and [`IndexWriter`] the one writer; a
//! [`LiveIndex`] holds both for a long-running process (`neardup serve`, a
//! streaming ingest) and keeps, between them, an immutable *view*: the last
//! committed [`Index`] plus the documents added (and the removals made)
//! since. Every change builds a new view and swaps it in atomically, so a
//! query always works on one consistent state — a committed one, or the
//! writer's own — however many threads query while one adds.
//!
//! Uncommitted documents are shingled, signed and banded with the library's
//! own code ([`Preparer`], the engine's MinHasher and the LSH band keys),
//! with the boilerplate of the committed state, exactly as a query compares
//! them; a query compares itself with every uncommitted document sharing a
//! band (there are at most a group's worth of them) and looks committed ones
//! up in the index.
//!
//! Commits group documents: [`LiveIndex::commit`] explicitly, and by
//! themselves every [`LiveOptions::commit_every_docs`] documents and
//! [`LiveOptions::commit_interval`] after the oldest uncommitted one.
//! [`LiveIndex::add_durable`] returns once a commit holding its documents
//! is on disk; callers adding at the same time share that commit.
//!
//! Each commit adds a segment, and a query probes every segment, so a
//! live index merges segments by itself ([`LiveOptions::merge`], a tiered
//! [`MergePolicy`]): after a commit, a background thread merges runs of
//! segments the policy picks ([`IndexWriter::compact_range`], which
//! changes no answer) and swaps the merged state in. Queries never wait for
//! a merge (they keep the view they took); adds and commits wait while a
//! merge writes (it holds the writer), one merge at a time.
//!
//! ```
//! use neardup::index::{Index, LiveIndex, LiveOptions};
//! use neardup::Config;
//!
//! let dir = tempfile::tempdir()?;
//! Index::create(dir.path(), &Config::default())?;
//! let live = LiveIndex::open(dir.path(), LiveOptions::default())?;
//! let story = "Chinese officials summoned the heads of major electric vehicle makers \
//!              to Beijing this week to address the long-running price war, according \
//!              to people familiar with the matter, who asked not to be identified.";
//! live.add_text("wire-1", story)?;
//! // Not committed yet, and already found.
//! let copy = format!("Outlet header. {story} Copyright 2025.");
//! let found = live.query(&copy)?;
//! assert_eq!(found[0].id, "wire-1");
//! assert!(!found[0].committed);
//! live.commit()?;
//! assert!(live.query(&copy)?[0].committed);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, RwLock, Weak};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::{
    cut, cut_keys, CommitReport, CompactReport, DocAddress, DocFacts, Index, IndexWriter,
    MergePolicy, OpenOptions, PreparedDoc, Preparer, StoredDoc, WriterOptions,
};
use crate::corpus::{CorpusOptions, DocSource, Document, Skip};
use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::figures::CutSet;
use crate::lsh::band_keys;
use crate::verify::similarity;

/// Options of a [`LiveIndex`].
#[derive(Debug, Clone)]
pub struct LiveOptions {
    /// Commit by itself once this many documents wait (0: never on count).
    /// Default 1000.
    pub commit_every_docs: usize,
    /// Commit by itself this long after the oldest uncommitted change
    /// (`None`: never on time). Default one second.
    pub commit_interval: Option<Duration>,
    /// How long to wait for another writer to release the index's lock
    /// when opening (default zero).
    pub wait: Duration,
    /// Merge segments by themselves after commits, in a background thread,
    /// as this policy picks them (`None`: never; default
    /// [`MergePolicy::default`]). See the [module](self) docs.
    pub merge: Option<MergePolicy>,
}

impl Default for LiveOptions {
    fn default() -> Self {
        LiveOptions {
            commit_every_docs: 1000,
            commit_interval: Some(Duration::from_secs(1)),
            wait: Duration::ZERO,
            merge: Some(MergePolicy::default()),
        }
    }
}

/// One document that a live query matches.
#[derive(Debug, Clone, PartialEq)]
pub struct LiveMatch {
    /// The matched document's id.
    pub id: String,
    /// Exact Jaccard of the shingle sets (boilerplate removed).
    pub jaccard: f64,
    /// Exact containment `|A∩B| / min(|A|,|B|)`.
    pub containment: f64,
    /// Whether the matched document is committed (`false`: it waits in the
    /// buffer for the next commit).
    pub committed: bool,
    /// Where it is stored, when it is committed.
    pub address: Option<DocAddress>,
    /// Its story cluster, when it is committed (a waiting document gets
    /// its cluster at the commit: see [`CommitReport::clusters`]).
    pub cluster: Option<u64>,
}

/// What [`LiveIndex::get`] knows about a live document.
#[derive(Debug, Clone, PartialEq)]
pub struct LiveDoc {
    /// What is (or will be) stored: id, source, counts, text hash.
    pub entry: super::DocEntry,
    /// Distinct shingles (before any boilerplate cut).
    pub shingles: u64,
    /// What the index holds about it (address, cluster, generation), when
    /// it is committed; `None` while it waits for the next commit.
    pub facts: Option<DocFacts>,
}

/// What [`LiveIndex::add_texts`] did.
#[derive(Debug, Clone, Default)]
pub struct LiveAdd {
    /// Ids of the documents added, in the order given.
    pub added: Vec<String>,
    /// Documents not added (no words, an id the index already has).
    pub skipped: Vec<Skip>,
}

/// What [`LiveIndex::add_durable`] did: the documents added and the commit
/// that made them durable.
#[derive(Debug, Clone, Default)]
pub struct DurableAdd {
    /// Ids of the documents added, in the order given.
    pub added: Vec<String>,
    /// Documents not added.
    pub skipped: Vec<Skip>,
    /// The group commit that holds them (shared with the other documents
    /// committed with them); `None` when nothing was added.
    pub commit: Option<Arc<CommitReport>>,
}

/// Counts of a live index.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LiveStats {
    /// Generation of the committed state.
    pub generation: u64,
    /// Committed live documents (not counting removals waiting to commit).
    pub committed_documents: u64,
    /// Removed documents still stored.
    pub deleted: u64,
    /// Segments of the committed state.
    pub segments: u64,
    /// Documents waiting for the next commit.
    pub pending_documents: u64,
    /// Removals of committed documents waiting for the next commit.
    pub pending_removals: u64,
    /// Commits made by this live index.
    pub commits: u64,
    /// The last commit's error, if the last commit failed.
    pub last_commit_error: Option<String>,
    /// Segment merges made by this live index.
    pub merges: u64,
    /// The last merge's error, if the last merge failed (merging stops
    /// until the next commit).
    pub last_merge_error: Option<String>,
}

/// An uncommitted document as queries see it.
#[derive(Debug)]
struct PendingDoc {
    doc: PreparedDoc,
    /// Its set without the view's boilerplate.
    cut: Vec<u64>,
    /// Its band keys under that boilerplate (`None`: empty signature).
    bands: Option<Vec<u64>>,
}

/// One consistent state: a commit and the changes since.
#[derive(Debug)]
struct View {
    index: Arc<Index>,
    pending: Vec<Arc<PendingDoc>>,
    /// Ids of committed documents removed since the commit.
    removed: Arc<HashSet<String>>,
}

/// Where a waiting [`LiveIndex::add_durable`] finds its commit's outcome.
type Slot = Mutex<Option<std::result::Result<Arc<CommitReport>, String>>>;

#[derive(Debug)]
struct WriterSide {
    writer: IndexWriter,
    waiters: Vec<Arc<Slot>>,
    /// When the oldest uncommitted change was made.
    dirty_since: Option<Instant>,
    last_error: Option<String>,
    last_merge_error: Option<String>,
}

#[derive(Debug)]
struct Inner {
    dir: PathBuf,
    engine: Engine,
    preparer: Preparer,
    options: LiveOptions,
    view: RwLock<Arc<View>>,
    writer: Mutex<WriterSide>,
    commit_lock: Mutex<()>,
    commits: AtomicU64,
    merges: AtomicU64,
    /// Tells the flusher thread to stop.
    stop: (Mutex<bool>, Condvar),
    /// Tells the merger thread to look for merges, or to stop.
    merge_wake: (Mutex<MergeSignal>, Condvar),
}

/// What the merger thread is asked to do.
#[derive(Debug, Default)]
struct MergeSignal {
    requested: bool,
    stop: bool,
}

/// A live index over an index directory: see the [module](self) docs.
/// Holds the directory's writer lock while it lives. `Sync`: share it
/// (`&LiveIndex` or an `Arc`) between threads.
#[derive(Debug)]
pub struct LiveIndex {
    inner: Arc<Inner>,
    flusher: Option<JoinHandle<()>>,
    merger: Option<JoinHandle<()>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while a lock was held leaves consistent data here (every
    // change is published by one swap), so a poisoned lock is taken over.
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn open_snapshot(dir: &Path) -> Result<Index> {
    // The writer has just written and synced these files itself.
    Index::open_with(
        dir,
        &OpenOptions {
            verify_checksums: false,
        },
    )
}

impl View {
    fn pending_doc(&self, engine: &Engine, doc: PreparedDoc) -> PendingDoc {
        let bp = self.index.boilerplate();
        let cut = cut(doc.set(), &bp).into_owned();
        let config = engine.config();
        let mut sig = vec![0u32; config.perms()];
        engine.hasher().signature_into(&cut, &mut sig);
        let mut bands = Vec::new();
        let bands = band_keys(&sig, config.banding(), &mut bands).then_some(bands);
        PendingDoc { doc, cut, bands }
    }

    /// The matches of a query's set and figures, committed and waiting,
    /// each judged by the set rule and the figures rule.
    fn query_set(&self, engine: &Engine, set: &[u64], figures: &[u64]) -> Result<Vec<LiveMatch>> {
        let mut out: Vec<LiveMatch> = self
            .index
            .query_with_figures(set, Some(figures))?
            .into_iter()
            .filter(|m| !self.removed.contains(&m.id))
            .map(|m| LiveMatch {
                id: m.id,
                jaccard: m.jaccard,
                containment: m.containment,
                committed: true,
                address: Some(m.address),
                cluster: Some(m.cluster),
            })
            .collect();
        if !self.pending.is_empty() {
            let config = engine.config();
            let bp = self.index.boilerplate();
            let q = cut(set, &bp);
            let mut sig = vec![0u32; config.perms()];
            engine.hasher().signature_into(&q, &mut sig);
            let mut bands = Vec::new();
            let q_keys = std::cell::OnceCell::new();
            if band_keys(&sig, config.banding(), &mut bands) {
                for p in &self.pending {
                    let Some(pb) = &p.bands else { continue };
                    if !pb.iter().zip(&bands).any(|(x, y)| x == y) {
                        continue;
                    }
                    let s = similarity(&q, &p.cut);
                    // The cut sets' keys, for the digest rule.
                    let p_keys = std::cell::OnceCell::new();
                    let verdict = crate::figures::judge(
                        config,
                        &s,
                        || (Some(figures), Some(p.doc.figures())),
                        || {
                            let kq = q_keys.get_or_init(|| cut_keys(&q, |_| false));
                            let kp = p_keys.get_or_init(|| cut_keys(&p.cut, |_| false));
                            Some((CutSet::new(kq, &[]), CutSet::new(kp, &[])))
                        },
                    );
                    if verdict.is_duplicate() {
                        out.push(LiveMatch {
                            id: p.doc.id().to_string(),
                            jaccard: s.jaccard,
                            containment: s.containment,
                            committed: false,
                            address: None,
                            cluster: None,
                        });
                    }
                }
            }
        }
        // Best first, as Index::query orders.
        out.sort_by(|x, y| {
            y.containment
                .total_cmp(&x.containment)
                .then(y.jaccard.total_cmp(&x.jaccard))
                .then_with(|| x.id.cmp(&y.id))
        });
        Ok(out)
    }
}

impl Inner {
    fn view(&self) -> Arc<View> {
        Arc::clone(
            &self
                .view
                .read()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        )
    }

    fn publish(&self, view: View) {
        *self
            .view
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Arc::new(view);
    }

    /// Commits every waiting document and removal (one new segment), and
    /// makes the new state the one queries see. On error nothing is
    /// committed and everything stays waiting.
    pub fn commit(&self) -> Result<Arc<CommitReport>> {
        let _turn = lock(&self.commit_lock);
        self.commit_locked()
    }

    /// [`commit`](Self::commit) with the commit lock held.
    fn commit_locked(&self) -> Result<Arc<CommitReport>> {
        let mut w = lock(&self.writer);
        let waiters = std::mem::take(&mut w.waiters);
        let outcome = w.writer.commit().map(Arc::new).and_then(|report| {
            // Durable from here on, whatever follows.
            for slot in &waiters {
                *lock(slot) = Some(Ok(Arc::clone(&report)));
            }
            let index = open_snapshot(&self.dir)?;
            self.publish(View {
                index: Arc::new(index),
                pending: Vec::new(),
                removed: Arc::default(),
            });
            Ok(report)
        });
        match &outcome {
            Ok(_) => {
                w.dirty_since = None;
                w.last_error = None;
                self.commits.fetch_add(1, Ordering::Relaxed);
                if self.options.merge.is_some() {
                    let (signal, wake) = &self.merge_wake;
                    lock(signal).requested = true;
                    wake.notify_all();
                }
            }
            Err(e) => {
                let message = e.to_string();
                for slot in &waiters {
                    let mut s = lock(slot);
                    if s.is_none() {
                        *s = Some(Err(message.clone()));
                    }
                }
                w.last_error = Some(message);
            }
        }
        outcome
    }
}

impl Inner {
    /// Makes the merges `policy` picks, one at a time, each under the
    /// writer (adds wait, queries do not), publishing each merged state
    /// with the documents and removals waiting as they were. Returns the
    /// merges made; stops at the first error.
    fn merge(&self, policy: &MergePolicy) -> Result<Vec<CompactReport>> {
        let mut out = Vec::new();
        loop {
            let mut w = lock(&self.writer);
            let Some(range) = policy.pick(&w.writer.index().meta().segments) else {
                return Ok(out);
            };
            let merged = w.writer.compact_range(range).and_then(|report| {
                let index = open_snapshot(&self.dir)?;
                let view = self.view();
                self.publish(View {
                    index: Arc::new(index),
                    pending: view.pending.clone(),
                    removed: Arc::clone(&view.removed),
                });
                Ok(report)
            });
            match merged {
                Ok(report) => {
                    w.last_merge_error = None;
                    self.merges.fetch_add(1, Ordering::Relaxed);
                    out.push(report);
                }
                Err(e) => {
                    w.last_merge_error = Some(e.to_string());
                    return Err(e);
                }
            }
        }
    }
}

impl LiveIndex {
    /// Opens the index in `dir` (it must exist: see [`Index::create`]) for
    /// live use: takes its writer lock and, when
    /// [`commit_interval`](LiveOptions::commit_interval) is set, starts a
    /// thread that commits on time.
    pub fn open(dir: impl AsRef<Path>, options: LiveOptions) -> Result<LiveIndex> {
        let dir = dir.as_ref();
        let writer = IndexWriter::open_with(
            dir,
            &WriterOptions {
                wait: options.wait,
                ..WriterOptions::default()
            },
        )?;
        let index = open_snapshot(dir)?;
        let engine = Engine::new(index.config().clone());
        let preparer = writer.preparer(&CorpusOptions::default());
        let interval = options.commit_interval;
        let inner = Arc::new(Inner {
            dir: dir.to_path_buf(),
            engine,
            preparer,
            options,
            view: RwLock::new(Arc::new(View {
                index: Arc::new(index),
                pending: Vec::new(),
                removed: Arc::default(),
            })),
            writer: Mutex::new(WriterSide {
                writer,
                waiters: Vec::new(),
                dirty_since: None,
                last_error: None,
                last_merge_error: None,
            }),
            commit_lock: Mutex::new(()),
            commits: AtomicU64::new(0),
            merges: AtomicU64::new(0),
            stop: (Mutex::new(false), Condvar::new()),
            merge_wake: (Mutex::new(MergeSignal::default()), Condvar::new()),
        });
        let merger = match inner.options.merge {
            Some(_) => {
                let weak = Arc::downgrade(&inner);
                Some(
                    std::thread::Builder::new()
                        .name("neardup-merge".into())
                        .spawn(move || merge_loop(&weak))
                        .map_err(|source| Error::Io {
                            path: dir.to_path_buf(),
                            source,
                        })?,
                )
            }
            None => None,
        };
        let flusher = match interval {
            Some(every) => {
                let weak = Arc::downgrade(&inner);
                Some(
                    std::thread::Builder::new()
                        .name("neardup-commit".into())
                        .spawn(move || flush_loop(&weak, every))
                        .map_err(|source| Error::Io {
                            path: dir.to_path_buf(),
                            source,
                        })?,
                )
            }
            None => None,
        };
        Ok(LiveIndex {
            inner,
            flusher,
            merger,
        })
    }

    /// The index directory.
    pub fn path(&self) -> &Path {
        &self.inner.dir
    }

    /// The configuration of the index.
    pub fn config(&self) -> &crate::Config {
        self.inner.engine.config()
    }

    /// The last committed state (an immutable snapshot: it does not change
    /// when later commits are made).
    pub fn committed(&self) -> Arc<Index> {
        Arc::clone(&self.view().index)
    }

    fn view(&self) -> Arc<View> {
        self.inner.view()
    }

    fn publish(&self, view: View) {
        self.inner.publish(view);
    }

    /// Documents that `text` duplicates, committed or not, best first
    /// (containment, then Jaccard, then id). Nothing is added.
    /// The figures rule applies as in a scan ([`Index::query`]).
    pub fn query(&self, text: &str) -> Result<Vec<LiveMatch>> {
        let set = self.inner.preparer.shingle_set(text);
        let figures = self.inner.preparer.entries(text);
        self.view().query_set(&self.inner.engine, &set, &figures)
    }

    /// The live document with this id (committed or waiting), if any.
    /// Panics when a lazily verified segment part it reads is damaged (see
    /// [`try_get`](Self::try_get)).
    pub fn get(&self, id: &str) -> Option<LiveDoc> {
        self.try_get(id).unwrap_or_else(|e| panic!("{e}"))
    }

    /// [`get`](Self::get), damage as an error naming the segment file.
    pub fn try_get(&self, id: &str) -> Result<Option<LiveDoc>> {
        let view = self.view();
        if let Some(p) = view.pending.iter().find(|p| p.doc.id() == id) {
            return Ok(Some(LiveDoc {
                entry: p.doc.entry().clone(),
                shingles: p.doc.set().len() as u64,
                facts: None,
            }));
        }
        if view.removed.contains(id) {
            return Ok(None);
        }
        let Some(addr) = view.index.try_find(id)? else {
            return Ok(None);
        };
        let StoredDoc { entry, shingles } = view.index.try_doc(addr)?;
        Ok(Some(LiveDoc {
            entry,
            shingles,
            facts: Some(view.index.try_facts_at(addr)?),
        }))
    }

    /// Adds one text given in memory (its text is not kept). Visible to
    /// queries at once; durable at the next commit. Returns the skip when
    /// it is not added (no words, an id the index already has).
    pub fn add_text(&self, id: &str, text: &str) -> Result<Option<Skip>> {
        let report = self.add_texts(&[(id, text)])?;
        Ok(report.skipped.into_iter().next())
    }

    /// Adds texts given in memory, `(id, text)` each, as one change: a
    /// query sees all of them or none. May commit (see
    /// [`LiveOptions::commit_every_docs`]); the error is that commit's.
    pub fn add_texts<I, T>(&self, docs: &[(I, T)]) -> Result<LiveAdd>
    where
        I: AsRef<str>,
        T: AsRef<str>,
    {
        let (report, full) = self.buffer(docs, None);
        if full {
            self.commit()?;
        }
        Ok(report)
    }

    /// Adds texts like [`add_texts`](Self::add_texts) and returns once they
    /// are committed to disk: by this call or by a commit it joined (a group
    /// commit). On a commit error the documents stay buffered for the next
    /// commit.
    pub fn add_durable<I, T>(&self, docs: &[(I, T)]) -> Result<DurableAdd>
    where
        I: AsRef<str>,
        T: AsRef<str>,
    {
        let slot: Arc<Slot> = Arc::default();
        let (report, _) = self.buffer(docs, Some(&slot));
        let commit = if report.added.is_empty() {
            None
        } else {
            let _turn = lock(&self.inner.commit_lock);
            let done = lock(&slot).take();
            Some(match done {
                Some(outcome) => outcome.map_err(|message| Error::Index {
                    path: self.inner.dir.clone(),
                    message,
                })?,
                // Still buffered: no commit has run since; this one takes
                // every document waiting, ours among them.
                None => self.inner.commit_locked()?,
            })
        };
        Ok(DurableAdd {
            added: report.added,
            skipped: report.skipped,
            commit,
        })
    }

    /// Prepares `docs`, buffers them and publishes a new view; registers
    /// `slot` for the commit that will hold them. Returns whether the
    /// buffer is full.
    fn buffer<I, T>(&self, docs: &[(I, T)], slot: Option<&Arc<Slot>>) -> (LiveAdd, bool)
    where
        I: AsRef<str>,
        T: AsRef<str>,
    {
        // Shingling, the costly part, before taking the writer.
        let prepared: Vec<PreparedDoc> = docs
            .iter()
            .map(|(id, text)| {
                self.inner.preparer.prepare(Document {
                    id: id.as_ref().to_string(),
                    text: text.as_ref().into(),
                    source: DocSource::Memory,
                })
            })
            .collect();
        let mut report = LiveAdd::default();
        let mut w = lock(&self.inner.writer);
        // No commit runs while the writer is held: the view's commit is the
        // one these documents are banded against.
        let view = self.view();
        let mut pending = view.pending.clone();
        for doc in prepared {
            let p = view.pending_doc(&self.inner.engine, doc.clone());
            let id = doc.id().to_string();
            match w.writer.add_prepared(doc) {
                None => {
                    pending.push(Arc::new(p));
                    report.added.push(id);
                }
                Some(skip) => report.skipped.push(skip),
            }
        }
        if !report.added.is_empty() {
            if let Some(slot) = slot {
                w.waiters.push(Arc::clone(slot));
            }
            w.dirty_since.get_or_insert_with(Instant::now);
            self.publish(View {
                index: Arc::clone(&view.index),
                pending,
                removed: Arc::clone(&view.removed),
            });
        }
        let every = self.inner.options.commit_every_docs;
        let full = every > 0 && w.writer.pending_docs() >= every;
        (report, full)
    }

    /// Removes the live document with this id (committed or waiting): no
    /// query sees it from now on; the removal is durable at the next
    /// commit. Returns whether there was such a document.
    pub fn remove(&self, id: &str) -> bool {
        let mut w = lock(&self.inner.writer);
        let view = self.view();
        let waiting = view.pending.iter().position(|p| p.doc.id() == id);
        if !w.writer.remove(id) {
            return false;
        }
        let mut pending = view.pending.clone();
        let mut removed = Arc::clone(&view.removed);
        match waiting {
            Some(i) => {
                pending.remove(i);
            }
            None => {
                Arc::make_mut(&mut removed).insert(id.to_string());
                w.dirty_since.get_or_insert_with(Instant::now);
            }
        }
        self.publish(View {
            index: Arc::clone(&view.index),
            pending,
            removed,
        });
        true
    }

    /// Commits every waiting document and removal (one new segment), and
    /// makes the new state the one queries see. On error nothing is
    /// committed and everything stays waiting.
    pub fn commit(&self) -> Result<Arc<CommitReport>> {
        self.inner.commit()
    }

    /// Merges segments now, on this thread, as `policy` picks them (see
    /// [`LiveOptions::merge`]; this works whether or not the live index
    /// merges by itself). Queries keep working meanwhile; adds wait.
    /// Returns what each merge did.
    pub fn merge(&self, policy: &MergePolicy) -> Result<Vec<CompactReport>> {
        self.inner.merge(policy)
    }

    /// Counts: committed, waiting, commits and merges made.
    pub fn stats(&self) -> LiveStats {
        let (last_commit_error, last_merge_error, pending_removals) = {
            let w = lock(&self.inner.writer);
            (
                w.last_error.clone(),
                w.last_merge_error.clone(),
                w.writer.pending_removals() as u64,
            )
        };
        let view = self.view();
        let meta = view.index.meta();
        LiveStats {
            generation: meta.generation,
            committed_documents: meta.documents,
            deleted: meta.deleted,
            segments: meta.segments.len() as u64,
            pending_documents: view.pending.len() as u64,
            pending_removals,
            commits: self.inner.commits.load(Ordering::Relaxed),
            last_commit_error,
            merges: self.inner.merges.load(Ordering::Relaxed),
            last_merge_error,
        }
    }

    /// Stops the commit thread and commits what waits; returns that
    /// commit's report (dropping a live index does the same, ignoring
    /// errors).
    pub fn close(mut self) -> Result<Arc<CommitReport>> {
        self.stop_flusher();
        self.commit()
    }

    fn stop_flusher(&mut self) {
        if let Some(handle) = self.merger.take() {
            let (signal, wake) = &self.inner.merge_wake;
            lock(signal).stop = true;
            wake.notify_all();
            let _ = handle.join();
        }
        if let Some(handle) = self.flusher.take() {
            let (stop, wake) = &self.inner.stop;
            *lock(stop) = true;
            wake.notify_all();
            let _ = handle.join();
        }
    }
}

impl Drop for LiveIndex {
    fn drop(&mut self) {
        self.stop_flusher();
        if lock(&self.inner.writer).dirty_since.is_some() {
            let _ = self.commit();
        }
    }
}

/// The merger thread: after each commit, makes the merges the policy
/// picks (an error is kept for `stats`; the next commit tries again).
fn merge_loop(inner: &Weak<Inner>) {
    loop {
        let Some(inner) = inner.upgrade() else { return };
        let Some(policy) = inner.options.merge.clone() else {
            return;
        };
        {
            let (signal, wake) = &inner.merge_wake;
            let mut s = lock(signal);
            if !s.requested && !s.stop {
                // Wakes now and then, so that the thread never keeps a
                // dropped live index alive.
                s = wake
                    .wait_timeout(s, Duration::from_millis(250))
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .0;
            }
            if s.stop {
                return;
            }
            if !s.requested {
                continue;
            }
            s.requested = false;
        }
        let _ = inner.merge(&policy);
    }
}

/// The commit thread: commits `every` after the oldest waiting change.
fn flush_loop(inner: &Weak<Inner>, every: Duration) {
    let tick = (every / 4).clamp(Duration::from_millis(1), Duration::from_millis(250));
    loop {
        let Some(inner) = inner.upgrade() else { return };
        {
            let (stop, wake) = &inner.stop;
            let stopped = lock(stop);
            if *stopped {
                return;
            }
            let (stopped, _) = wake
                .wait_timeout(stopped, tick)
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if *stopped {
                return;
            }
        }
        let due = lock(&inner.writer)
            .dirty_since
            .is_some_and(|t| t.elapsed() >= every);
        if due {
            // The error is kept for `stats`; the changes stay waiting and
            // the next tick tries again.
            let _ = inner.commit();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::lcg;
    use crate::Config;
    use proptest::prelude::*;
    use std::sync::atomic::AtomicUsize;

    /// A story of `words` words drawn from a vocabulary of 3000 (one per
    /// seed).
    fn story(seed: u64, words: usize) -> Vec<String> {
        let mut next = lcg(seed.wrapping_mul(7919).wrapping_add(13));
        (0..words).map(|_| format!("w{}", next() % 3000)).collect()
    }

    /// `base` with `edits` words replaced (deterministic in `seed`).
    fn variant(base: &[String], edits: usize, seed: u64) -> String {
        let mut words = base.to_vec();
        let mut next = lcg(seed ^ 0x5eed);
        for _ in 0..edits {
            let i = (next() % words.len() as u64) as usize;
            words[i] = format!("x{}", next() % 100_000);
        }
        words.join(" ")
    }

    /// No boilerplate cut: a live index and one committed after every
    /// change must then agree exactly.
    fn config() -> Config {
        Config::builder().boilerplate_min_docs(0).build().unwrap()
    }

    fn manual() -> LiveOptions {
        LiveOptions {
            commit_every_docs: 0,
            commit_interval: None,
            wait: Duration::ZERO,
            merge: None,
        }
    }

    fn live_in(dir: &Path, options: LiveOptions) -> LiveIndex {
        Index::create(dir, &config()).unwrap();
        LiveIndex::open(dir, options).unwrap()
    }

    fn ids(m: &[LiveMatch]) -> Vec<&str> {
        m.iter().map(|m| m.id.as_str()).collect()
    }

    #[test]
    fn uncommitted_documents_are_found_then_committed() {
        let dir = tempfile::tempdir().unwrap();
        let live = live_in(dir.path(), manual());
        let a = story(1, 80);
        live.add_text("a", &a.join(" ")).unwrap();
        live.add_text("b", &story(2, 80).join(" ")).unwrap();
        let q = variant(&a, 3, 9);
        let found = live.query(&q).unwrap();
        assert_eq!(ids(&found), ["a"]);
        assert!(!found[0].committed && found[0].address.is_none());
        assert!(found[0].jaccard > 0.5 && found[0].jaccard < 1.0);
        assert_eq!(live.stats().pending_documents, 2);
        assert!(live.get("a").unwrap().facts.is_none());

        let report = live.commit().unwrap();
        assert_eq!((report.added, report.generation), (2, 1));
        let again = live.query(&q).unwrap();
        assert_eq!(ids(&again), ["a"]);
        assert!(again[0].committed);
        assert_eq!(
            (again[0].jaccard, again[0].containment),
            (found[0].jaccard, found[0].containment)
        );
        let doc = live.get("a").unwrap();
        let facts = doc.facts.unwrap();
        assert_eq!(Some(facts.cluster), again[0].cluster);
        assert_eq!(facts.cluster, report.clusters[0].1);
        assert_eq!((doc.entry.words, doc.entry.id.as_str()), (80, "a"));
        // A second add of the same id is skipped, committed or waiting.
        assert!(live.add_text("a", "other words here").unwrap().is_some());
        live.add_text("c", &a.join(" ")).unwrap();
        assert!(live.add_text("c", "x y z").unwrap().is_some());
        assert_eq!(ids(&live.query(&q).unwrap()), ["a", "c"]);
    }

    #[test]
    fn removals_hide_documents_at_once_and_for_good() {
        let dir = tempfile::tempdir().unwrap();
        let live = live_in(dir.path(), manual());
        let a = story(3, 60);
        let text = a.join(" ");
        live.add_texts(&[("old", &text)]).unwrap();
        live.commit().unwrap();
        live.add_text("new", &text).unwrap();
        assert_eq!(ids(&live.query(&text).unwrap()), ["new", "old"]);
        assert!(live.remove("old"));
        assert!(live.remove("new"));
        assert!(!live.remove("new"));
        assert!(!live.remove("never"));
        assert!(live.query(&text).unwrap().is_empty());
        assert!(live.get("old").is_none() && live.get("new").is_none());
        assert_eq!(live.stats().pending_removals, 1);
        // The id of a removed document may be added anew.
        live.add_text("old", &text).unwrap();
        assert_eq!(ids(&live.query(&text).unwrap()), ["old"]);
        live.commit().unwrap();
        drop(live);
        let index = Index::open(dir.path()).unwrap();
        assert_eq!(index.len(), 1);
        assert_eq!(index.query(&text).unwrap()[0].id, "old");
    }

    #[test]
    fn durable_adds_from_many_threads_are_all_on_disk() {
        let dir = tempfile::tempdir().unwrap();
        let live = live_in(dir.path(), manual());
        let acked = Mutex::new(Vec::new());
        std::thread::scope(|s| {
            for t in 0..4u64 {
                let (live, acked) = (&live, &acked);
                s.spawn(move || {
                    for i in 0..8u64 {
                        let docs: Vec<(String, String)> = (0..2)
                            .map(|k| {
                                let n = t * 100 + i * 2 + k;
                                (format!("t{t}-{i}-{k}"), story(1000 + n, 40).join(" "))
                            })
                            .collect();
                        let r = live.add_durable(&docs).unwrap();
                        assert_eq!(r.added.len(), 2);
                        let commit = r.commit.unwrap();
                        assert!(commit.generation >= 1 && commit.added >= 2);
                        lock(acked).extend(r.added);
                    }
                });
            }
        });
        // Durable: on disk before the live index is dropped or committed.
        let index = Index::open(dir.path()).unwrap();
        let acked = acked.into_inner().unwrap();
        assert_eq!(acked.len(), 64);
        for id in &acked {
            assert!(
                index.find(id).is_some(),
                "{id} acknowledged but not on disk"
            );
        }
        assert_eq!(index.len(), 64);
        assert!(live.stats().commits <= 32);
    }

    #[test]
    fn commits_by_count_and_by_time() {
        let dir = tempfile::tempdir().unwrap();
        let live = live_in(
            dir.path(),
            LiveOptions {
                commit_every_docs: 3,
                commit_interval: None,
                wait: Duration::ZERO,
                merge: None,
            },
        );
        for i in 0..7u64 {
            live.add_text(&format!("d{i}"), &story(i + 50, 30).join(" "))
                .unwrap();
        }
        let stats = live.stats();
        assert_eq!((stats.commits, stats.committed_documents), (2, 6));
        assert_eq!(stats.pending_documents, 1);
        drop(live); // commits what waits
        assert_eq!(Index::open(dir.path()).unwrap().len(), 7);

        let dir = tempfile::tempdir().unwrap();
        let live = live_in(
            dir.path(),
            LiveOptions {
                commit_every_docs: 0,
                commit_interval: Some(Duration::from_millis(20)),
                wait: Duration::ZERO,
                merge: None,
            },
        );
        live.add_text("t", &story(77, 30).join(" ")).unwrap();
        // Bounded wait for the commit thread (no timing asserted).
        for _ in 0..3000 {
            if live.stats().commits > 0 {
                break;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let stats = live.stats();
        assert_eq!((stats.commits, stats.committed_documents), (1, 1));
    }

    #[test]
    fn the_lock_is_held_while_live_and_released_after() {
        let dir = tempfile::tempdir().unwrap();
        let live = live_in(
            dir.path(),
            LiveOptions {
                commit_interval: Some(Duration::from_millis(5)),
                ..manual()
            },
        );
        assert!(matches!(
            IndexWriter::open(dir.path()),
            Err(Error::IndexLocked { .. })
        ));
        live.close().unwrap();
        IndexWriter::open(dir.path()).unwrap();
    }

    #[test]
    fn readers_see_every_acknowledged_add_while_one_thread_writes() {
        let dir = tempfile::tempdir().unwrap();
        let live = live_in(
            dir.path(),
            LiveOptions {
                commit_every_docs: 16,
                commit_interval: None,
                wait: Duration::ZERO,
                merge: None,
            },
        );
        let text = |i: usize| story(5000 + i as u64, 50).join(" ");
        let total = 120;
        let acked = AtomicUsize::new(0);
        let checked = AtomicUsize::new(0);
        std::thread::scope(|s| {
            s.spawn(|| {
                for i in 0..total {
                    live.add_text(&format!("d{i}"), &text(i)).unwrap();
                    acked.store(i + 1, Ordering::Release);
                }
            });
            for r in 0..2u64 {
                let (live, acked, checked) = (&live, &acked, &checked);
                s.spawn(move || {
                    let mut next = lcg(r);
                    for _ in 0..4000 {
                        let n = acked.load(Ordering::Acquire);
                        if n == 0 {
                            std::thread::yield_now();
                            continue;
                        }
                        let j = (next() % n as u64) as usize;
                        let found = live.query(&text(j)).unwrap();
                        assert_eq!(ids(&found), [format!("d{j}").as_str()]);
                        assert_eq!(found[0].jaccard, 1.0);
                        checked.fetch_add(1, Ordering::Relaxed);
                        if n == total {
                            break;
                        }
                    }
                });
            }
        });
        assert!(checked.load(Ordering::Relaxed) > 0);
        assert_eq!(live.stats().commits, (total / 16) as u64);
    }

    /// Every segment in the lowest tier: merges all of them into one as
    /// soon as there are two.
    fn eager() -> MergePolicy {
        MergePolicy {
            segments_per_tier: 2,
            floor_docs: 1 << 40,
            max_merge_docs: u64::MAX,
        }
    }

    type Answer = (String, f64, f64, bool, Option<u64>);

    fn answers(live: &LiveIndex, queries: &[String]) -> Vec<Vec<Answer>> {
        queries
            .iter()
            .map(|q| {
                live.query(q)
                    .unwrap()
                    .into_iter()
                    .map(|m| (m.id, m.jaccard, m.containment, m.committed, m.cluster))
                    .collect()
            })
            .collect()
    }

    #[test]
    fn merging_changes_no_answer_and_keeps_waiting_changes() {
        let dir = tempfile::tempdir().unwrap();
        let live = live_in(dir.path(), manual());
        let bases: Vec<Vec<String>> = (0..4).map(|b| story(100 + b, 70)).collect();
        // Five commits of variants of four stories, one removal committed.
        let mut n = 0;
        for c in 0..5u64 {
            for (b, base) in bases.iter().enumerate() {
                let text = variant(base, (c as usize * 3 + b) % 11, c * 10 + b as u64);
                live.add_text(&format!("d{n:02}"), &text).unwrap();
                n += 1;
            }
            live.commit().unwrap();
        }
        assert!(live.remove("d05"));
        live.commit().unwrap();
        // Waiting: two documents and a removal of a committed one.
        live.add_text("p0", &variant(&bases[0], 2, 99)).unwrap();
        live.add_text("p1", &variant(&bases[3], 4, 98)).unwrap();
        assert!(live.remove("d10"));
        let queries: Vec<String> = (0..12)
            .map(|q| variant(&bases[q % 4], q % 7, 500 + q as u64))
            .collect();
        let before = answers(&live, &queries);
        assert!(before.iter().all(|a| a.len() > 2), "{before:?}");
        let facts = |live: &LiveIndex| -> Vec<(String, u64, Option<u64>)> {
            let index = live.committed();
            let mut out: Vec<_> = index
                .live_docs()
                .map(|a| {
                    let f = index.facts_at(a);
                    (f.id, f.cluster, f.generation)
                })
                .collect();
            out.sort();
            out
        };
        let facts_before = facts(&live);
        assert_eq!(live.stats().segments, 5);

        let reports = live.merge(&eager()).unwrap();
        assert_eq!(reports.iter().map(|r| r.dropped).sum::<u64>(), 1);
        let stats = live.stats();
        assert_eq!((stats.segments, stats.deleted, stats.merges), (1, 0, 1));
        assert_eq!((stats.pending_documents, stats.pending_removals), (2, 1));
        assert_eq!(answers(&live, &queries), before);
        assert_eq!(facts(&live), facts_before);
        assert!(live.get("d10").is_none() && live.get("p0").is_some());

        // The waiting removal followed its document into the new segment.
        live.commit().unwrap();
        drop(live);
        let index = Index::open(dir.path()).unwrap();
        index.verify().unwrap();
        assert!(index.find("d10").is_none() && index.find("d05").is_none());
        assert!(index.find("p0").is_some() && index.find("d11").is_some());
        assert_eq!(index.len(), 20 - 2 + 2);
    }

    #[test]
    fn the_live_index_merges_in_the_background_while_readers_query() {
        let dir = tempfile::tempdir().unwrap();
        let live = live_in(
            dir.path(),
            LiveOptions {
                commit_every_docs: 4,
                merge: Some(MergePolicy {
                    segments_per_tier: 3,
                    ..eager()
                }),
                ..manual()
            },
        );
        let text = |i: usize| story(7000 + i as u64, 50).join(" ");
        let total = 120;
        let acked = AtomicUsize::new(0);
        let checked = AtomicUsize::new(0);
        std::thread::scope(|s| {
            s.spawn(|| {
                for i in 0..total {
                    live.add_text(&format!("d{i}"), &text(i)).unwrap();
                    acked.store(i + 1, Ordering::Release);
                }
            });
            for r in 0..2u64 {
                let (live, acked, checked) = (&live, &acked, &checked);
                s.spawn(move || {
                    let mut next = lcg(r + 40);
                    for _ in 0..4000 {
                        let n = acked.load(Ordering::Acquire);
                        if n == 0 {
                            std::thread::yield_now();
                            continue;
                        }
                        let j = (next() % n as u64) as usize;
                        let found = live.query(&text(j)).unwrap();
                        assert_eq!(ids(&found), [format!("d{j}").as_str()]);
                        assert_eq!(found[0].jaccard, 1.0);
                        checked.fetch_add(1, Ordering::Relaxed);
                        if n == total {
                            break;
                        }
                    }
                });
            }
        });
        assert!(checked.load(Ordering::Relaxed) > 0);
        assert_eq!(live.stats().commits, (total / 4) as u64);
        // Bounded wait for the merger to catch up (no timing asserted).
        for _ in 0..3000 {
            let st = live.stats();
            if st.merges > 0 && (st.segments as usize) < 3 {
                break;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let stats = live.stats();
        assert!(stats.merges > 0 && stats.segments < 3, "{stats:?}");
        assert_eq!(stats.last_merge_error, None);
        for i in 0..total {
            let found = live.query(&text(i)).unwrap();
            assert_eq!(ids(&found), [format!("d{i}").as_str()]);
        }
        drop(live);
        let index = Index::open(dir.path()).unwrap();
        index.verify().unwrap();
        assert_eq!(index.len(), total);
    }

    #[derive(Debug, Clone)]
    enum Op {
        Add {
            base: usize,
            edits: usize,
            seed: u64,
        },
        Remove(usize),
        Commit,
        Query {
            base: usize,
            edits: usize,
            seed: u64,
        },
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            5 => (0..5usize, 0..25usize, any::<u64>())
                .prop_map(|(base, edits, seed)| Op::Add { base, edits, seed }),
            1 => (0..40usize).prop_map(Op::Remove),
            1 => Just(Op::Commit),
            4 => (0..5usize, 0..25usize, any::<u64>())
                .prop_map(|(base, edits, seed)| Op::Query { base, edits, seed }),
        ]
    }

    fn key(m: &[LiveMatch]) -> Vec<(String, f64, f64)> {
        m.iter()
            .map(|m| (m.id.clone(), m.jaccard, m.containment))
            .collect()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(12))]

        /// Committed + uncommitted documents answer every query exactly as
        /// an index with everything committed (the oracle commits after
        /// each change).
        #[test]
        fn live_equals_everything_committed(
            ops in proptest::collection::vec(op(), 1..30),
            every in 0..4usize,
        ) {
            let bases: Vec<Vec<String>> = (0..5).map(|b| story(b, 60)).collect();
            let dir = tempfile::tempdir().unwrap();
            let oracle_dir = tempfile::tempdir().unwrap();
            let live = live_in(dir.path(), LiveOptions { commit_every_docs: every, ..manual() });
            Index::create(oracle_dir.path(), &config()).unwrap();
            let mut oracle = IndexWriter::open(oracle_dir.path()).unwrap();
            let mut added: Vec<String> = Vec::new();
            for op in ops {
                match op {
                    Op::Add { base, edits, seed } => {
                        let id = format!("d{}", added.len());
                        let text = variant(&bases[base], edits, seed);
                        prop_assert!(live.add_text(&id, &text).unwrap().is_none());
                        prop_assert!(oracle.add_text(&id, &text).is_none());
                        oracle.commit().unwrap();
                        added.push(id);
                    }
                    Op::Remove(i) => {
                        if let Some(id) = added.get(i % added.len().max(1)) {
                            prop_assert_eq!(live.remove(id), oracle.remove(id));
                            oracle.commit().unwrap();
                        }
                    }
                    Op::Commit => {
                        live.commit().unwrap();
                        prop_assert_eq!(live.stats().pending_documents, 0);
                    }
                    Op::Query { base, edits, seed } => {
                        let text = variant(&bases[base], edits, seed);
                        let got = live.query(&text).unwrap();
                        let want: Vec<(String, f64, f64)> = Index::open(oracle_dir.path())
                            .unwrap()
                            .query(&text)
                            .unwrap()
                            .into_iter()
                            .map(|m| (m.id, m.jaccard, m.containment))
                            .collect();
                        prop_assert_eq!(key(&got), want);
                    }
                }
            }
            // And once everything is committed, the same documents.
            live.commit().unwrap();
            let a = live.committed();
            let b = Index::open(oracle_dir.path()).unwrap();
            let mut x: Vec<String> = a.live_docs().map(|d| a.doc(d).entry.id).collect();
            let mut y: Vec<String> = b.live_docs().map(|d| b.doc(d).entry.id).collect();
            x.sort();
            y.sort();
            prop_assert_eq!(x, y);
        }
    }
}
