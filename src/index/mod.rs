//! A persistent, incremental index for daily ingest.
//!
//! An aggregator keeps an index of what it has seen, adds each day's
//! articles, and asks for each new one "is this a copy of something we
//! have, and of what?". The index stores, per document, what verification
//! needs — the sorted shingle set, the LSH band hashes, its figures (for the
//! figures rule, [`crate::figures`]), id, source, word and byte counts — so
//! that a query never rereads the original files.
//!
//! ```
//! use neardup::index::{Index, IndexWriter};
//! use neardup::Config;
//!
//! let dir = tempfile::tempdir()?;
//! let story = "Chinese officials summoned the heads of major electric vehicle makers \
//!              to Beijing this week to address the long-running price war, according \
//!              to people familiar with the matter, who asked not to be identified.";
//!
//! // Day 1: create the index and add what we have seen.
//! Index::create(dir.path(), &Config::default())?;
//! let mut writer = IndexWriter::open(dir.path())?;
//! writer.add_text("wire-1", story);
//! writer.add_text("football", "The home side won two to nil on Sunday afternoon.");
//! writer.commit()?;
//! drop(writer); // releases the lock
//!
//! // Day 2: a syndicated copy arrives.
//! let index = Index::open(dir.path())?;
//! let copy = format!("Outlet header. {story} Copyright 2025.");
//! let matches = index.query(&copy)?;
//! assert_eq!(matches.len(), 1);
//! assert_eq!(matches[0].id, "wire-1");
//! assert!(matches[0].containment > 0.9);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## On disk
//!
//! A directory (byte-by-byte description in `docs/INDEX-FORMAT.md`):
//!
//! * `index.meta` — the metadata: configuration, generation, the list of
//!   segments and the name of the current state file. Replaced atomically
//!   at each commit (temporary file in the same directory, fsync, rename,
//!   fsync of the directory), so readers see one commit or the next, never
//!   a mixture.
//! * `seg-NNNNNN.seg` — immutable segments, one per commit that added
//!   documents, memory-mapped by readers. Documents inside are sorted by id;
//!   an offsets table gives each one's shingle set, so opening validates
//!   tables but never parses documents.
//! * `state-NNNNNN.state` — per commit: the boilerplate set, tombstones of
//!   removed documents, and the document-frequency sketch.
//! * `LOCK` — the writer lock: an advisory lock held by the operating
//!   system on this open file for the writer's lifetime, so that it is
//!   released however the writer ends (see [`IndexWriter::open`]). The file
//!   stays; its contents (the holder's pid) are informational.
//!
//! Every file carries a header and a footer with a magic number, the format
//! version and an xxh3 checksum. Opening verifies the metadata and what
//! readers use of the state file; a segment (format version 2 and later) carries a
//! checksum per 4 KiB block, verified the first time a reader touches the
//! block, so opening costs the same at any size and a query hashes only
//! what it reads. [`Index::verify`] (and the writer, on open) check every
//! byte.
//!
//! ## Story clusters
//!
//! Each document is stored with its story cluster ([`DocFacts::cluster`],
//! [`Match::cluster`], [`CommitReport::clusters`]): the new documents of a
//! commit are clustered among themselves as a scan of them would be, and
//! each group joins the cluster of its best verified match among the
//! indexed documents, or starts a new one. Cluster numbers never change.
//!
//! ## Boilerplate, incrementally
//!
//! A scan counts each shingle's document frequency per group of
//! near-verbatim copies and ignores shingles above
//! `max(boilerplate_min_docs, boilerplate_share × groups)`. The index keeps
//! the same count across commits in a count-min sketch stored in the state
//! file (`2^sketch_bits` counters per row, 4 rows; see [`CreateOptions`]).
//! At each commit, every new document is compared with its LSH candidates
//! (already indexed, or new and not ruled out on their signatures by the
//! scan's screen, `passes::could_be_copies`): a new document whose raw
//! shingle set contains at least 70% of an earlier copy's joins that
//! copy's group and counts only the shingles the group did not have;
//! otherwise it starts a new group. The boilerplate set is then re-derived — shingles of the old set
//! or of the new documents whose estimate is above the new cut — and stored
//! sorted in the state file; queries remove it from both sides before
//! comparing. Consequences:
//!
//! * Verification (and so every query) always uses the current boilerplate
//!   set. Band hashes are computed when a document is added, with the
//!   boilerplate known then; [`IndexWriter::optimize`] recomputes them.
//! * Pairs reported by a commit are judged with the boilerplate known at
//!   that commit; a footer that becomes frequent later stops counting from
//!   then on.
//! * Removed documents keep counting in the sketch until `optimize`, which
//!   rebuilds sketch, groups and boilerplate from the live documents exactly
//!   as one batch would.
//! * Counting never goes down by itself, and a count-min sketch never
//!   under-counts, so true boilerplate is always cut. The noise per counter
//!   is about `shingles added / 2^sketch_bits`; with the default width
//!   (2^20) and share (1%) it stays a few percent of the cut at any size.
//!
//! Every pair is judged as a scan judges it, by the set rule and the
//! figures rule ([`crate::figures::judge`]): a document's figures are
//! stored with it (format version 3; a document of an older segment has
//! none, and is never refused on them), and a query computes its text's.
//!
//! One batch added to an empty index gives exactly the verified pairs of a
//! scan of the same documents (`tests/index.rs` checks it; with the
//! boilerplate cut on, the df sketch's estimate can decide a pair near the
//! cut otherwise than a scan's exact count).

mod compact;
mod format;
pub mod live;
mod lock;
mod meta;
mod segment;
mod state;
mod writer;

use std::borrow::Cow;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use xxhash_rust::xxh3::xxh3_64;

pub use compact::{CompactReport, MergePolicy};
pub use format::{FormatError, FORMAT_VERSION, OLDEST_FORMAT_VERSION};
pub use live::{DurableAdd, LiveAdd, LiveDoc, LiveIndex, LiveMatch, LiveOptions, LiveStats};
pub use lock::LOCK_FILE;
pub use meta::{Meta, SegmentMeta, StoredConfig, META_FILE};
pub use segment::{DocEntry, Segment, StoredDoc, StoredSource};
#[doc(hidden)]
pub use writer::FailPoint;
pub use writer::{
    AddReport, CommitReport, IndexPair, IndexWriter, OptimizeReport, PreparedDoc, Preparer,
    WriterOptions,
};

use crate::config::Config;
use crate::corpus::{CorpusOptions, DocSource};
use crate::display::count;
use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::figures::CutSet;
use crate::lsh::band_keys;
use crate::safe_open::OpenError;
use crate::verify::{intersection_size, Similarity};
use format::Verify;
use state::State;

/// Candidates of one query from which they are verified in parallel.
const PARALLEL_CANDIDATES: usize = 128;

/// Default width of the df sketch: `2^20` counters per row (16 MiB in the
/// writer's memory; stored sparsely).
pub const DEFAULT_SKETCH_BITS: u32 = 20;

/// Options fixed when an index is created (besides the [`Config`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateOptions {
    /// Width of the document-frequency sketch, `2^sketch_bits` counters per
    /// row (4 rows of `u32`), between 8 and 30. The noise per counter is
    /// about the number of shingles added divided by the width; the default
    /// (20) suits any size with the default `boilerplate_share`. With
    /// `boilerplate_share = 0` and millions of documents, use 24.
    /// Ignored (no sketch) when the boilerplate cut is disabled.
    pub sketch_bits: u32,
}

impl Default for CreateOptions {
    fn default() -> Self {
        CreateOptions {
            sketch_bits: DEFAULT_SKETCH_BITS,
        }
    }
}

/// Options for opening an index for reading.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenOptions {
    /// Verify checksums (default `true`): the metadata and state files
    /// whole on open; segments of format version 2 block by block (4 KiB)
    /// as they are first read, so that opening costs the same at any size
    /// and a query hashes only what it reads (a version 1 segment, which
    /// has no block checksums, whole on open). A damaged block is an error
    /// of the query that reads it. `false` verifies no checksum (structure
    /// only); [`Index::verify`] checks every byte of every file.
    pub verify_checksums: bool,
}

impl Default for OpenOptions {
    fn default() -> Self {
        OpenOptions {
            verify_checksums: true,
        }
    }
}

/// Where a document lives: segment number (in [`Index::segments`] order) and
/// position inside the segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DocAddress {
    /// Segment number.
    pub segment: u32,
    /// Document number inside the segment.
    pub doc: u32,
}

/// One indexed document that a query matches.
#[derive(Debug, Clone, PartialEq)]
pub struct Match {
    /// The indexed document's id.
    pub id: String,
    /// Where it is stored.
    pub address: DocAddress,
    /// Exact Jaccard of the shingle sets (boilerplate removed).
    pub jaccard: f64,
    /// Exact containment `|A∩B| / min(|A|,|B|)`.
    pub containment: f64,
    /// The indexed document's story cluster (see [`DocFacts::cluster`]).
    pub cluster: u64,
}

/// Everything the index holds about one live document, but its shingles:
/// what [`Index::get`] returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocFacts {
    /// Its id.
    pub id: String,
    /// Where it is stored.
    pub address: DocAddress,
    /// Its story cluster: the cluster it joined when it was added (that of
    /// its best match among the documents indexed before it, or of the
    /// documents it was added with), or a new one. Numbers are stable: a
    /// document keeps its cluster across commits, restarts and
    /// [`IndexWriter::optimize`]. A document of a version 1 segment (which
    /// stores no cluster) is a cluster of its own, numbered
    /// `2^63 + 2^32 × segment file number + position`; see
    /// `docs/INDEX-FORMAT.md`.
    pub cluster: u64,
    /// The generation (commit number) that added it; `None` for a document
    /// of a version 1 segment.
    pub generation: Option<u64>,
    /// Where its text can be read again.
    pub source: StoredSource,
    /// Number of words.
    pub words: u64,
    /// Size of its text in bytes.
    pub bytes: u64,
    /// Distinct shingles (before any boilerplate cut).
    pub shingles: u64,
    /// `xxh3_64` of its text.
    pub text_hash: u64,
}

/// The cluster number of a document of a version 1 segment: its own.
pub(crate) fn legacy_cluster(segment_number: u64, doc: u32) -> u64 {
    (1 << 63) | (segment_number << 32) | u64::from(doc)
}

/// Summary of an index, for `neardup index info`.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct IndexInfo {
    /// The index directory.
    pub path: PathBuf,
    /// Format version.
    pub format_version: u32,
    /// Commit number.
    pub generation: u64,
    /// neardup version that wrote the last commit.
    pub written_by: String,
    /// Live documents.
    pub documents: u64,
    /// Removed documents still stored.
    pub deleted: u64,
    /// Segments.
    pub segments: Vec<SegmentMeta>,
    /// Shingles currently treated as boilerplate.
    pub boilerplate_shingles: u64,
    /// Groups of near-verbatim copies counted for the df.
    pub groups: u64,
    /// Width of the df sketch (`2^bits` per row).
    pub sketch_bits: u32,
    /// Stored documents (removed ones included) whose figures are known,
    /// so that the figures rule ([`crate::figures`]) can refuse a template
    /// sibling of them: all documents added by a build that writes format
    /// version 3, none of a version 1 or 2 segment. `None` when a
    /// segment's figures bitmap is damaged (`neardup index verify` names
    /// the damage).
    pub figures_known: Option<u64>,
    /// Total size in bytes of the files of this commit: metadata, state
    /// file and segments (not the lock file, nor leftovers of a crashed
    /// commit).
    pub bytes: u64,
    /// The stored configuration.
    pub config: StoredConfig,
}

/// A read-only view of one committed state of an index. Cheap to query from
/// many threads (`&Index` is `Sync`); many processes can open one index.
#[derive(Debug)]
pub struct Index {
    dir: PathBuf,
    meta: Meta,
    /// Size of the metadata file this commit was read from.
    meta_bytes: u64,
    engine: Engine,
    segments: Vec<Segment>,
    state: State,
}

/// Tokenizes and shingles `text` as an index built with tokenizer version
/// `tokenizer` does (an index keeps the version it was built with): its
/// word count and sorted shingle set.
pub(crate) fn shingle_text(config: &Config, tokenizer: u32, text: &str) -> (usize, Vec<u64>) {
    crate::shingle::text_set_version(text, config.shingle(), tokenizer)
}

/// A sorted boilerplate set with fast membership: a bit table on the top
/// bits of the hashes (uniform: they are XXH3 values) answers most misses,
/// a binary search the rest.
pub(crate) struct Boilerplate<'a> {
    keys: &'a [u64],
    bits: Vec<u64>,
    shift: u32,
}

impl<'a> Boilerplate<'a> {
    /// The filter of `keys` (sorted, repeat-free).
    pub(crate) fn new(keys: &'a [u64]) -> Boilerplate<'a> {
        // About 16 bits a key: one miss in 16 goes on to the search.
        let size = (keys.len() * 16).next_power_of_two().max(64);
        let shift = 64 - size.trailing_zeros();
        let mut bits = vec![0u64; size / 64];
        for &k in keys {
            let i = (k >> shift) as usize;
            bits[i / 64] |= 1 << (i % 64);
        }
        Boilerplate { keys, bits, shift }
    }

    /// Whether `h` is boilerplate.
    #[inline]
    pub(crate) fn contains(&self, h: u64) -> bool {
        let i = (h >> self.shift) as usize;
        self.bits[i / 64] & (1 << (i % 64)) != 0 && self.keys.binary_search(&h).is_ok()
    }
}

/// `set` without the shingles of `boilerplate` (both sorted).
pub(crate) fn cut<'a>(set: &'a [u64], boilerplate: &[u64]) -> Cow<'a, [u64]> {
    cut_by(set, &Boilerplate::new(boilerplate))
}

/// [`cut`] with the boilerplate's filter made once.
pub(crate) fn cut_by<'a>(set: &'a [u64], boilerplate: &Boilerplate<'_>) -> Cow<'a, [u64]> {
    if boilerplate.keys.is_empty() || set.is_empty() {
        return Cow::Borrowed(set);
    }
    if set.iter().any(|&h| boilerplate.contains(h)) {
        Cow::Owned(
            set.iter()
                .copied()
                .filter(|&h| !boilerplate.contains(h))
                .collect(),
        )
    } else {
        Cow::Borrowed(set)
    }
}

/// The members of `set` that are in `boilerplate` (sorted): what [`cut`]
/// takes away, for [`crate::engine::passes::cut_similarity`].
pub(crate) fn boilerplate_in(set: &[u64], boilerplate: &Boilerplate<'_>) -> Vec<u64> {
    if boilerplate.keys.is_empty() {
        return Vec::new();
    }
    set.iter()
        .copied()
        .filter(|&h| boilerplate.contains(h))
        .collect()
}

/// [`cut_similarity`](crate::engine::passes::cut_similarity) of `q` less
/// `q_gone` (its members in `bp`) and `stored` less its members in `bp`,
/// counted without listing `stored`'s boilerplate shingles: a query
/// checks every candidate this way. The
/// shingles both cut sets lose are `q_gone`'s members in `stored`, since
/// `q_gone` is within `bp`.
/// The shingle keys ([`crate::shingle::key`]) of `set` (sorted hashes)
/// less the hashes `gone` says are boilerplate, sorted and repeat-free: a
/// cut set as the digest rule reads it ([`crate::figures::CutSet`]).
pub(crate) fn cut_keys(set: &[u64], gone: impl Fn(u64) -> bool) -> Vec<u32> {
    let mut keys: Vec<u32> = set
        .iter()
        .filter(|&&h| !gone(h))
        .map(|&h| crate::shingle::key(h))
        .collect();
    keys.sort_unstable();
    keys.dedup();
    keys
}

pub(crate) fn similarity_cut_by(
    q: &[u64],
    q_gone: &[u64],
    stored: &[u64],
    bp: &Boilerplate<'_>,
) -> Similarity {
    let raw = intersection_size(q, stored);
    let gone = if bp.keys.is_empty() {
        0
    } else {
        stored.iter().filter(|&&h| bp.contains(h)).count()
    };
    let shared = q_gone
        .iter()
        .filter(|h| stored.binary_search(h).is_ok())
        .count();
    Similarity::from_counts(raw - shared, q.len() - q_gone.len(), stored.len() - gone)
}

fn io_err(path: &Path) -> impl Fn(std::io::Error) -> Error + '_ {
    move |source| Error::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn is_not_found(e: &Error) -> bool {
    matches!(e, Error::Io { source, .. } if source.kind() == std::io::ErrorKind::NotFound)
}

pub(crate) fn state_name(generation: u64) -> String {
    format!("state-{generation:06}.state")
}

pub(crate) fn segment_name(n: u64) -> String {
    format!("seg-{n:06}.seg")
}

/// Largest metadata file read (a few hundred bytes per segment).
const META_MAX_BYTES: u64 = 1 << 28;

/// Reads and validates `DIR/index.meta`; returns it and its size in bytes.
pub(crate) fn read_meta(dir: &Path) -> Result<(Meta, u64)> {
    let path = dir.join(META_FILE);
    match crate::safe_open::read_regular(&path, META_MAX_BYTES) {
        Ok(bytes) => Ok((Meta::from_bytes(&bytes, &path)?, bytes.len() as u64)),
        Err(OpenError::Io(e)) if e.kind() == std::io::ErrorKind::NotFound => {
            let message = if dir.is_dir() {
                format!(
                    "not an index: {META_FILE} is missing (create one with `neardup index create`)"
                )
            } else {
                "no such index directory".to_string()
            };
            Err(Error::Index {
                path: dir.to_path_buf(),
                message,
            })
        }
        Err(e) => Err(format::open_error(&path, e)),
    }
}

impl Index {
    /// Creates an empty index in `dir` (created if needed; it must not hold
    /// an index already) with the default [`CreateOptions`].
    pub fn create(dir: impl AsRef<Path>, config: &Config) -> Result<Index> {
        Index::create_with(dir, config, &CreateOptions::default())
    }

    /// Creates an empty index with explicit options.
    pub fn create_with(
        dir: impl AsRef<Path>,
        config: &Config,
        options: &CreateOptions,
    ) -> Result<Index> {
        let dir = dir.as_ref();
        if config.exact() {
            return Err(Error::Config(
                "an index finds candidates through LSH; exact (all-pairs) mode is not available"
                    .into(),
            ));
        }
        if !(8..=30).contains(&options.sketch_bits) {
            return Err(Error::Config(format!(
                "sketch_bits must be between 8 and 30, got {}",
                options.sketch_bits
            )));
        }
        std::fs::create_dir_all(dir).map_err(io_err(dir))?;
        let _lock = lock::Lock::acquire(dir, std::time::Duration::ZERO, false)?;
        if std::fs::symlink_metadata(dir.join(META_FILE)).is_ok() {
            return Err(Error::Index {
                path: dir.to_path_buf(),
                message: "already holds an index".into(),
            });
        }
        // A create killed before its metadata was written leaves its state
        // file, which no metadata names: this create makes it anew.
        let first_state = dir.join(state_name(0));
        if std::fs::symlink_metadata(&first_state).is_ok_and(|m| m.is_file()) {
            std::fs::remove_file(&first_state).map_err(io_err(&first_state))?;
        }
        let bits = if config.boilerplate_cut(1).is_some() {
            options.sketch_bits
        } else {
            0
        };
        let meta = Meta {
            next_cluster: 1,
            format_version: FORMAT_VERSION,
            generation: 0,
            written_by: concat!("neardup ", env!("CARGO_PKG_VERSION")).into(),
            config: StoredConfig::from_config(config),
            tokenizer_version: crate::tokenize::TOKENIZER_VERSION,
            minhash_version: crate::minhash::MINHASH_VERSION,
            sketch_bits: bits,
            documents: 0,
            deleted: 0,
            groups: 0,
            next_segment: 1,
            segments: vec![],
            state: state_name(0),
        };
        writer::write_file(dir, &meta.state, |w| {
            state::write_state(w, &[], &[], &state::Sketch::new(bits)).map(|_| ())
        })?;
        writer::write_meta(dir, &meta, None)?;
        Index::open(dir)
    }

    /// Opens the last committed state of the index in `dir`, read-only,
    /// verifying checksums. Any number of readers may open an index, also
    /// while a writer commits: each sees the commit that was current when
    /// it opened.
    pub fn open(dir: impl AsRef<Path>) -> Result<Index> {
        Index::open_with(dir, &OpenOptions::default())
    }

    /// Opens with explicit options.
    pub fn open_with(dir: impl AsRef<Path>, options: &OpenOptions) -> Result<Index> {
        let verify = if options.verify_checksums {
            Verify::Lazy
        } else {
            Verify::No
        };
        Index::open_verifying(dir.as_ref(), verify)
    }

    /// Opens the last commit verifying every byte (as [`verify`](Self::verify)
    /// does): the writer's view, whose accessors then never meet damage.
    pub(crate) fn open_full(dir: &Path) -> Result<Index> {
        Index::open_verifying(dir, Verify::Blocks)
    }

    fn open_verifying(dir: &Path, verify: Verify) -> Result<Index> {
        let mut attempts = 0;
        loop {
            let (meta, meta_bytes) = read_meta(dir)?;
            let generation = meta.generation;
            match Index::open_meta(dir, meta, meta_bytes, verify) {
                Ok(index) => return Ok(index),
                // A writer may have committed (and removed files of the
                // previous commit) between reading the metadata and opening
                // the files it names: read it again while it changes.
                Err(e) if is_not_found(&e) && attempts < 8 => {
                    attempts += 1;
                    if read_meta(dir)?.0.generation == generation {
                        return Err(missing(e));
                    }
                }
                Err(e) => return Err(missing(e)),
            }
        }
    }

    pub(crate) fn open_meta(
        dir: &Path,
        meta: Meta,
        meta_bytes: u64,
        verify: Verify,
    ) -> Result<Index> {
        let config = meta.config.to_config()?;
        let state = State::open(&dir.join(&meta.state), verify)?;
        let bad = |path: PathBuf, message: String| Error::Index { path, message };
        if state.segments() != meta.segments.len() {
            return Err(bad(
                dir.join(&meta.state),
                format!(
                    "has tombstones for {} segments, the metadata lists {}",
                    state.segments(),
                    meta.segments.len()
                ),
            ));
        }
        if state.sketch_bits() != meta.sketch_bits {
            return Err(bad(
                dir.join(&meta.state),
                "sketch width differs from the metadata".into(),
            ));
        }
        let mut segments = Vec::with_capacity(meta.segments.len());
        for (i, sm) in meta.segments.iter().enumerate() {
            let path = dir.join(&sm.name);
            let seg = Segment::open(&path, verify)?;
            if seg.len() as u64 != sm.docs {
                return Err(bad(
                    path,
                    format!(
                        "holds {}, the metadata says {}",
                        count(seg.len() as u64, "document", "documents"),
                        sm.docs
                    ),
                ));
            }
            if seg.banding() != config.banding() {
                return Err(bad(
                    path,
                    "banding differs from the index configuration".into(),
                ));
            }
            let tombs = state.tombstones(i);
            if tombs.len() as u64 != sm.deleted
                || tombs.last().is_some_and(|&d| d as usize >= seg.len())
            {
                return Err(bad(
                    dir.join(&meta.state),
                    format!("tombstones of segment {} are inconsistent", sm.name),
                ));
            }
            segments.push(seg);
        }
        Ok(Index {
            dir: dir.to_path_buf(),
            engine: Engine::new(config),
            meta,
            meta_bytes,
            segments,
            state,
        })
    }

    /// Opens the writer of this index (see [`IndexWriter::open`]): takes the
    /// lock, which fails while another writer holds it.
    pub fn writer(&self) -> Result<IndexWriter> {
        IndexWriter::open(&self.dir)
    }

    /// Verifies every byte of every file of this commit: each file's whole
    /// checksum, each block checksum of a version 2 segment, and the
    /// structure of every document (what `neardup index verify` runs).
    pub fn verify(&self) -> Result<()> {
        Index::open_meta(&self.dir, self.meta.clone(), self.meta_bytes, Verify::Full).map(|_| ())
    }

    /// The index directory.
    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// The configuration every document was processed with.
    pub fn config(&self) -> &Config {
        self.engine.config()
    }

    /// The metadata of this commit.
    pub fn meta(&self) -> &Meta {
        &self.meta
    }

    /// Number of live (not removed) documents.
    pub fn len(&self) -> usize {
        self.meta.documents as usize
    }

    /// Whether the index holds no live document.
    pub fn is_empty(&self) -> bool {
        self.meta.documents == 0
    }

    /// The segments, oldest first.
    pub fn segments(&self) -> &[Segment] {
        &self.segments
    }

    /// Shingles currently ignored as boilerplate (sorted).
    pub fn boilerplate(&self) -> Cow<'_, [u64]> {
        self.state.boilerplate()
    }

    /// Whether the document at `addr` was removed.
    pub fn is_deleted(&self, addr: DocAddress) -> bool {
        self.state
            .tombstones(addr.segment as usize)
            .binary_search(&addr.doc)
            .is_ok()
    }

    /// The live document with this id, if any. Panics when the index was
    /// opened lazily and a segment part it reads is damaged (see
    /// [`try_find`](Self::try_find)).
    pub fn find(&self, id: &str) -> Option<DocAddress> {
        self.try_find(id).unwrap_or_else(|e| panic!("{e}"))
    }

    /// [`find`](Self::find), damage as an error naming the segment file.
    pub fn try_find(&self, id: &str) -> Result<Option<DocAddress>> {
        for (s, seg) in self.segments.iter().enumerate().rev() {
            let at = |doc: u32| DocAddress {
                segment: s as u32,
                doc,
            };
            let found = seg.try_find(id).map_err(|e| self.damaged(at(0), e))?;
            if let Some(doc) = found {
                let addr = at(doc as u32);
                if !self.is_deleted(addr) {
                    return Ok(Some(addr));
                }
            }
        }
        Ok(None)
    }

    /// The story cluster of the document at `addr` (an address from this
    /// index; panics on one that is out of range). See [`DocFacts::cluster`].
    pub fn cluster_at(&self, addr: DocAddress) -> u64 {
        self.try_cluster_at(addr)
            .unwrap_or_else(|e| panic!("{e} (queries return it as an error)"))
    }

    /// [`cluster_at`](Self::cluster_at), damage as an error.
    pub fn try_cluster_at(&self, addr: DocAddress) -> Result<u64> {
        let seg = &self.segments[addr.segment as usize];
        let stored = seg
            .try_cluster(addr.doc as usize)
            .map_err(|e| self.damaged(addr, e))?;
        Ok(stored.unwrap_or_else(|| {
            let number = meta::segment_number(&self.meta.segments[addr.segment as usize].name)
                .unwrap_or(u64::from(addr.segment));
            legacy_cluster(number, addr.doc)
        }))
    }

    /// The story cluster of the live document with this id, if any. Panics
    /// on damage as [`find`](Self::find) does.
    pub fn cluster_of(&self, id: &str) -> Option<u64> {
        self.find(id).map(|a| self.cluster_at(a))
    }

    /// What the index holds about the live document with this id, if any:
    /// its cluster, the generation that added it, its source and counts.
    /// Panics on damage as [`find`](Self::find) does.
    pub fn get(&self, id: &str) -> Option<DocFacts> {
        self.try_get(id).unwrap_or_else(|e| panic!("{e}"))
    }

    /// [`get`](Self::get), damage as an error naming the segment file.
    pub fn try_get(&self, id: &str) -> Result<Option<DocFacts>> {
        match self.try_find(id)? {
            Some(a) => self.try_facts_at(a).map(Some),
            None => Ok(None),
        }
    }

    /// [`get`](Self::get) by address (an address from this index; panics
    /// on one that is out of range, and on damage as [`find`](Self::find)
    /// does).
    pub fn facts_at(&self, addr: DocAddress) -> DocFacts {
        self.try_facts_at(addr).unwrap_or_else(|e| panic!("{e}"))
    }

    /// [`facts_at`](Self::facts_at), damage as an error naming the segment
    /// file (an out-of-range address still panics: it is a caller's bug).
    pub fn try_facts_at(&self, addr: DocAddress) -> Result<DocFacts> {
        let seg = &self.segments[addr.segment as usize];
        let d = self.try_doc(addr)?;
        let generation = seg
            .try_generation(addr.doc as usize)
            .map_err(|e| self.damaged(addr, e))?;
        Ok(DocFacts {
            id: d.entry.id,
            address: addr,
            cluster: self.try_cluster_at(addr)?,
            generation,
            source: d.entry.source,
            words: d.entry.words,
            bytes: d.entry.bytes,
            shingles: d.shingles,
            text_hash: d.entry.text_hash,
        })
    }

    /// What is stored about the document at `addr` (an address from this
    /// index; panics on one that is out of range, and on damage as
    /// [`find`](Self::find) does).
    pub fn doc(&self, addr: DocAddress) -> StoredDoc {
        self.try_doc(addr).unwrap_or_else(|e| panic!("{e}"))
    }

    /// [`doc`](Self::doc), damage as an error naming the segment file.
    pub fn try_doc(&self, addr: DocAddress) -> Result<StoredDoc> {
        self.segments[addr.segment as usize]
            .try_doc(addr.doc as usize)
            .map_err(|e| self.damaged(addr, e))
    }

    /// Every live document, segment by segment.
    pub fn live_docs(&self) -> impl Iterator<Item = DocAddress> + '_ {
        self.segments.iter().enumerate().flat_map(move |(s, seg)| {
            let tombs = self.state.tombstones(s).into_owned();
            (0..seg.len() as u32)
                .filter(move |d| tombs.binary_search(d).is_err())
                .map(move |doc| DocAddress {
                    segment: s as u32,
                    doc,
                })
        })
    }

    /// Documents of the index that `text` duplicates, best first
    /// (containment, then Jaccard, then id). Nothing is added.
    /// The figures rule ([`crate::figures`]) applies as in a scan: an
    /// indexed document whose figures disagree with the text's (a template
    /// sibling) is not a match.
    pub fn query(&self, text: &str) -> Result<Vec<Match>> {
        let (_, set) = shingle_text(self.config(), self.meta.tokenizer_version, text);
        let figures = crate::figures::entries_of_version(
            text,
            self.config().shingle(),
            self.meta.tokenizer_version,
        );
        self.query_with_figures(&set, Some(&figures))
    }

    /// Like [`query`](Self::query) for a sorted, repeat-free shingle set
    /// (before the boilerplate cut) whose figures are not known: the
    /// figures rule refuses nothing (see
    /// [`query_with_figures`](Self::query_with_figures)).
    pub fn query_set(&self, set: &[u64]) -> Result<Vec<Match>> {
        self.query_with_figures(set, None)
    }

    /// Like [`query_set`](Self::query_set) with the query's figures
    /// ([`crate::figures::figures_of`] of its text; `None`: not known): a
    /// candidate the set rule accepts is still refused when the figures
    /// rule refuses the pair ([`crate::figures::judge`], as a scan judges
    /// it). A document whose figures the index does not know (one written
    /// in format version 1 or 2) is never refused.
    pub fn query_with_figures(&self, set: &[u64], figures: Option<&[u64]>) -> Result<Vec<Match>> {
        let bp = self.boilerplate();
        let bp = Boilerplate::new(&bp);
        let q = cut_by(set, &bp);
        let mut sig = vec![0u32; self.config().perms()];
        self.engine.hasher().signature_into(&q, &mut sig);
        let mut bands = Vec::new();
        if !band_keys(&sig, self.config().banding(), &mut bands) {
            return Ok(vec![]);
        }
        let cands = self.candidates(&bands, true)?;
        let verify = |&addr: &DocAddress| -> Option<Result<Match>> {
            let s = match self.try_similarity_with(&q, &[], &bp, addr) {
                Ok(s) => s,
                Err(e) => return Some(Err(e)),
            };
            let seg = &self.segments[addr.segment as usize];
            // The stored figures, read only for a pair the set rule accepts.
            let stored = std::cell::OnceCell::new();
            // Both cut sets' keys, made only if the digest rule needs them.
            let keys = std::cell::OnceCell::new();
            let sets = || {
                let (kq, ka) =
                    keys.get_or_init(|| (cut_keys(&q, |_| false), self.try_cut_keys_at(addr, &bp)));
                let ka = ka.as_ref().ok()?;
                Some((CutSet::new(kq, &[]), CutSet::new(ka, &[])))
            };
            let verdict = crate::figures::judge(
                self.config(),
                &s,
                || {
                    let f = stored.get_or_init(|| seg.try_figures(addr.doc as usize));
                    (figures, f.as_ref().ok().and_then(|f| f.as_deref()))
                },
                sets,
            );
            if let Some(Err(e)) = stored.into_inner() {
                return Some(Err(self.damaged(addr, e)));
            }
            if let Some((_, Err(e))) = keys.into_inner() {
                return Some(Err(e));
            }
            if !verdict.is_duplicate() {
                return None;
            }
            let id = seg
                .try_id(addr.doc as usize)
                .map_err(|e| self.damaged(addr, e));
            let cluster = self.try_cluster_at(addr);
            Some(id.and_then(|id| {
                Ok(Match {
                    id: id.into_owned(),
                    address: addr,
                    jaccard: s.jaccard,
                    containment: s.containment,
                    cluster: cluster?,
                })
            }))
        };
        // A few candidates are verified on the calling thread: handing them
        // to the pool would cost a round trip between threads per query
        // (from outside the pool, as a Python or server thread calls), and
        // would funnel every caller's queries through the pool's threads.
        let mut out: Vec<Match> = if cands.len() < PARALLEL_CANDIDATES {
            cands.iter().filter_map(verify).collect::<Result<_>>()?
        } else {
            cands
                .par_iter()
                .with_min_len(64)
                .filter_map(verify)
                .collect::<Result<_>>()?
        };
        sort_matches(&mut out);
        Ok(out)
    }

    /// The error of a damaged segment, naming its file.
    fn damaged(&self, addr: DocAddress, e: FormatError) -> Error {
        Error::Index {
            path: self
                .dir
                .join(&self.meta.segments[addr.segment as usize].name),
            message: e.0,
        }
    }

    /// The figures of the document at `addr` ([`Segment::figures`]: `None`
    /// when the index does not know them). Panics on damage as
    /// [`doc`](Self::doc) does.
    pub fn figures_at(&self, addr: DocAddress) -> Option<Cow<'_, [u64]>> {
        self.try_figures_at(addr).unwrap_or_else(|e| panic!("{e}"))
    }

    /// [`figures_at`](Self::figures_at), damage as an error naming the
    /// segment file.
    pub fn try_figures_at(&self, addr: DocAddress) -> Result<Option<Cow<'_, [u64]>>> {
        self.segments[addr.segment as usize]
            .try_figures(addr.doc as usize)
            .map_err(|e| self.damaged(addr, e))
    }

    /// The cut set's keys of the stored document at `addr` (its set less
    /// the shingles in `bp`; [`cut_keys`]), for the digest rule.
    pub(crate) fn cut_keys_at(&self, addr: DocAddress, bp: &Boilerplate<'_>) -> Vec<u32> {
        let stored = self.segments[addr.segment as usize].set(addr.doc as usize);
        cut_keys(&stored, |h| bp.contains(h))
    }

    /// [`cut_keys_at`](Self::cut_keys_at), damage as an error.
    pub(crate) fn try_cut_keys_at(
        &self,
        addr: DocAddress,
        bp: &Boilerplate<'_>,
    ) -> Result<Vec<u32>> {
        let stored = self.segments[addr.segment as usize]
            .try_set(addr.doc as usize)
            .map_err(|e| self.damaged(addr, e))?;
        Ok(cut_keys(&stored, |h| bp.contains(h)))
    }

    /// [`similarity_with`](Self::similarity_with), damage as an error.
    pub(crate) fn try_similarity_with(
        &self,
        q: &[u64],
        q_gone: &[u64],
        bp: &Boilerplate<'_>,
        addr: DocAddress,
    ) -> Result<Similarity> {
        let stored = self.segments[addr.segment as usize]
            .try_set(addr.doc as usize)
            .map_err(|e| self.damaged(addr, e))?;
        Ok(similarity_cut_by(q, q_gone, &stored, bp))
    }

    /// Exact similarity of a set `q` less its boilerplate shingles `q_gone`
    /// with the stored document at `addr` less its shingles in `bp` (the
    /// engine's verification on counts).
    pub(crate) fn similarity_with(
        &self,
        q: &[u64],
        q_gone: &[u64],
        bp: &Boilerplate<'_>,
        addr: DocAddress,
    ) -> Similarity {
        let stored = self.segments[addr.segment as usize].set(addr.doc as usize);
        similarity_cut_by(q, q_gone, &stored, bp)
    }

    /// Documents sharing at least one band hash with `bands`, sorted,
    /// without repeats; removed ones left out unless `live_only` is false.
    pub(crate) fn candidates(&self, bands: &[u64], live_only: bool) -> Result<Vec<DocAddress>> {
        let mut out = Vec::new();
        let mut docs = Vec::new();
        for (s, seg) in self.segments.iter().enumerate() {
            docs.clear();
            for (b, &h) in bands.iter().enumerate() {
                seg.lookup(b, h, &mut docs).map_err(|e| Error::Index {
                    path: self.dir.join(&self.meta.segments[s].name),
                    message: e.0,
                })?;
            }
            docs.sort_unstable();
            docs.dedup();
            let tombs = self.state.tombstones(s);
            out.extend(
                docs.iter()
                    .filter(|d| !live_only || tombs.binary_search(d).is_err())
                    .map(|&doc| DocAddress {
                        segment: s as u32,
                        doc,
                    }),
            );
        }
        Ok(out)
    }

    /// Reads the text of a stored document again from its source, and
    /// checks that it is still the text that was indexed.
    pub fn load_text(&self, addr: DocAddress) -> Result<String> {
        let doc = self.doc(addr).entry;
        let (source, options) = match &doc.source {
            StoredSource::Memory => {
                return Err(Error::Index {
                    path: self.dir.clone(),
                    message: format!(
                        "document {:?} was added from memory: its text was not kept",
                        doc.id
                    ),
                })
            }
            StoredSource::File(p) => (DocSource::File(p.clone()), CorpusOptions::default()),
            StoredSource::JsonlLine {
                path,
                line,
                offset,
                id_field,
                text_field,
            } => (
                DocSource::JsonlLine {
                    path: path.clone(),
                    line: *line as usize,
                    offset: *offset,
                },
                CorpusOptions {
                    id_field: id_field.clone(),
                    text_field: text_field.clone(),
                    ..CorpusOptions::default()
                },
            ),
        };
        // The document was accepted when it was added: no size limit now
        // (short of one that cannot overflow).
        let options = CorpusOptions {
            max_doc_bytes: 1 << 48,
            ..options
        };
        let text = crate::corpus::load_source(&source, &options)?;
        if xxh3_64(text.as_bytes()) != doc.text_hash {
            let (path, at) = match &source {
                DocSource::JsonlLine { path, line, .. } => (path.clone(), format!("line {line}: ")),
                DocSource::File(path) => (path.clone(), String::new()),
                DocSource::Memory => (PathBuf::new(), String::new()),
            };
            return Err(Error::Io {
                path,
                source: std::io::Error::other(format!(
                    "{at}document {:?} changed since it was indexed (its text differs)",
                    doc.id
                )),
            });
        }
        Ok(text)
    }

    /// A summary: counts, segments, configuration, size on disk.
    pub fn info(&self) -> IndexInfo {
        // The files of this commit only: not the lock file, not leftovers
        // of a crashed commit, not files of a newer commit.
        let bytes = self.meta_bytes
            + self.state.file_len()
            + self.segments.iter().map(Segment::file_len).sum::<u64>();
        IndexInfo {
            path: self.dir.clone(),
            format_version: self.meta.format_version,
            generation: self.meta.generation,
            written_by: self.meta.written_by.clone(),
            documents: self.meta.documents,
            deleted: self.meta.deleted,
            segments: self.meta.segments.clone(),
            boilerplate_shingles: self.state.boilerplate().len() as u64,
            groups: self.meta.groups,
            sketch_bits: self.meta.sketch_bits,
            figures_known: self
                .segments
                .iter()
                .map(Segment::try_figures_known)
                .sum::<std::result::Result<u64, _>>()
                .ok(),
            bytes,
            config: self.meta.config.clone(),
        }
    }

    /// Checks that `given` equals the index's configuration in every
    /// setting that affects results; the error names the first that
    /// differs.
    pub fn check_config(&self, given: &Config) -> Result<()> {
        let ours = &self.meta.config;
        let theirs = StoredConfig::from_config(given);
        let fields = [
            (
                "shingle",
                ours.shingle.to_string(),
                theirs.shingle.to_string(),
            ),
            ("perms", ours.perms.to_string(), theirs.perms.to_string()),
            ("bands", ours.bands.to_string(), theirs.bands.to_string()),
            ("seed", ours.seed.to_string(), theirs.seed.to_string()),
            (
                "scheme",
                ours.scheme.as_str().to_string(),
                theirs.scheme.as_str().to_string(),
            ),
            (
                "threshold",
                ours.threshold.to_string(),
                theirs.threshold.to_string(),
            ),
            (
                "containment",
                ours.containment.to_string(),
                theirs.containment.to_string(),
            ),
            (
                "min_containment_shingles",
                ours.min_containment_shingles.to_string(),
                theirs.min_containment_shingles.to_string(),
            ),
            (
                "containment_min_jaccard",
                ours.containment_min_jaccard.to_string(),
                theirs.containment_min_jaccard.to_string(),
            ),
            (
                "boilerplate_min_docs",
                ours.boilerplate_min_docs.to_string(),
                theirs.boilerplate_min_docs.to_string(),
            ),
            (
                "boilerplate_share",
                ours.boilerplate_share.to_string(),
                theirs.boilerplate_share.to_string(),
            ),
        ];
        for (setting, index, given) in fields {
            if index != given {
                return Err(Error::IndexConfigMismatch {
                    path: self.dir.clone(),
                    setting: setting.into(),
                    index,
                    given,
                });
            }
        }
        Ok(())
    }
}

fn missing(e: Error) -> Error {
    match e {
        Error::Io { path, source } if source.kind() == std::io::ErrorKind::NotFound => {
            Error::Index {
                path,
                message: "missing: the metadata names this file but it does not exist".into(),
            }
        }
        e => e,
    }
}

/// Best first: containment, then Jaccard (both descending), then id.
pub(crate) fn sort_matches(m: &mut [Match]) {
    m.sort_by(|x, y| {
        y.containment
            .total_cmp(&x.containment)
            .then(y.jaccard.total_cmp(&x.jaccard))
            .then_with(|| x.id.cmp(&y.id))
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn sorted(mut v: Vec<u64>) -> Vec<u64> {
        v.sort_unstable();
        v.dedup();
        v
    }

    proptest! {
        /// The counting form gives the scores of the cut sets, as the
        /// engine's `cut_similarity` of the listed boilerplate shingles.
        #[test]
        fn similarity_cut_by_is_that_of_the_cut_sets(
            q in proptest::collection::vec(0u64..400, 0..120),
            stored in proptest::collection::vec(0u64..400, 0..120),
            bp in proptest::collection::vec(0u64..400, 0..80),
        ) {
            // Spread over u64 as hashes are, so the filter's bit table is used.
            let spread = |v: Vec<u64>| sorted(v.into_iter().map(|k| k.wrapping_mul(0x9E37_79B9_7F4A_7C15)).collect());
            let (q, stored, keys) = (spread(q), spread(stored), spread(bp));
            let bp = Boilerplate::new(&keys);
            let q_gone = boilerplate_in(&q, &bp);
            let want = crate::engine::passes::cut_similarity(
                &q, &q_gone, &stored, &boilerplate_in(&stored, &bp), None,
            );
            prop_assert_eq!(similarity_cut_by(&q, &q_gone, &stored, &bp), want);
            // A query already cut, as `Index::query_set` passes it.
            let cut_q: Vec<u64> = cut_by(&q, &bp).into_owned();
            let want = crate::engine::passes::cut_similarity(
                &cut_q, &[], &stored, &boilerplate_in(&stored, &bp), None,
            );
            prop_assert_eq!(similarity_cut_by(&cut_q, &[], &stored, &bp), want);
        }
    }
}
