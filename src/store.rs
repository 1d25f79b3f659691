//! Where a scan keeps its shingle sets (and an index writer its buffered
//! documents' sets): in memory up to a budget, then in an anonymous
//! temporary file.
//!
//! Verification needs every compared document's exact set, and a corpus of
//! a million 640-word articles has 2.6 GB of them (sorted 32-bit keys). A
//! [`SetStore`] holds sets in memory until their total passes its budget;
//! it then writes them all to an unnamed temporary file (deleted by the
//! operating system when the scan ends, whatever happens) and appends every
//! later set there. The scan reads sets back one batch of candidate
//! components at a time with positioned reads, so its resident memory is
//! the budget plus one batch per thread, not the corpus. The temporary file
//! lives in the page cache for as long as memory allows, so reading it back
//! costs about a memory copy.
//!
//! The store is generic over the key width ([`StoreKey`]): a scan keeps
//! 32-bit shingle keys (`SetStore`, the default), an index writer 64-bit
//! shingle hashes (`SetStore<u64>`).
//!
//! ```
//! use neardup::store::SetStore;
//! let mut store = SetStore::new(8); // 8 bytes: the second set spills
//! store.push(vec![1, 2]);
//! store.push(vec![3, 5, 8]);
//! store.seal();
//! assert!(store.spilled());
//! let sets = store.load(&[1, 0]);
//! assert_eq!(&*sets[0], &[3, 5, 8]);
//! assert_eq!(&*sets[1], &[1, 2]);
//! ```

use std::borrow::Cow;
use std::cell::RefCell;
use std::ptr::NonNull;
use std::sync::Arc;

use rayon::prelude::*;

use crate::shingle::Unsorted;
use std::fs::File;
use std::io::{BufWriter, Write};

/// Default in-memory budget of a scan's sets: 512 MiB (about 200,000
/// 640-word articles).
pub const DEFAULT_SET_BUDGET: usize = 512 << 20;

/// A key a [`SetStore`] holds: `u32` (a scan's shingle keys) or `u64` (an
/// index's shingle hashes), stored little-endian in the temporary file.
pub trait StoreKey: Copy + Default + Send + Sync + std::fmt::Debug + 'static {
    /// How one set is held in memory: [`StoredKeys`] (packed in slabs) for
    /// 32-bit keys, a vector for 64-bit ones.
    type Held: std::ops::Deref<Target = [Self]> + From<Vec<Self>> + Send + Sync + std::fmt::Debug;
    /// The key with its byte order swapped between little-endian and the
    /// machine's (nothing on a little-endian machine; its own inverse).
    fn swap_le(self) -> Self;
}

impl StoreKey for u32 {
    type Held = StoredKeys;
    fn swap_le(self) -> u32 {
        u32::from_le(self)
    }
}

impl StoreKey for u64 {
    type Held = Vec<u64>;
    fn swap_le(self) -> u64 {
        u64::from_le(self)
    }
}

/// Shingle-key sets by document number (in the order they were pushed),
/// of 32-bit keys unless told otherwise (see [`StoreKey`]).
#[derive(Debug)]
pub struct SetStore<K: StoreKey = u32> {
    budget: usize,
    in_memory: usize,
    mem: Vec<K::Held>,
    state: State,
    /// The sealed temporary file mapped read-only (little-endian Unix):
    /// [`load_together_in`](Self::load_together_in) hands out slices of
    /// it instead of copying the sets into a buffer.
    map: Option<memmap2::Mmap>,
    /// A file the store's owner writes every set to as it pushes it
    /// ([`mirror`](Self::mirror)): past the budget the sets are dropped
    /// from memory and read back from there, instead of being written to a
    /// temporary file of the store's own.
    mirror: Option<(File, Starts)>,
    /// Bytes of sets kept in memory while mirrored (at most the budget).
    keep: usize,
    warnings: std::sync::Mutex<Vec<String>>,
}

#[derive(Debug)]
enum State {
    /// Every set is in `mem`.
    Memory,
    /// Sets are being appended to the file.
    Writing(BufWriter<File>, Starts),
    /// Sets are being appended to the owner's file ([`SetStore::mirror`])
    /// by the owner: the store only records where each goes.
    Mirrored(File, Starts),
    /// The file is complete and read back by position.
    Sealed(File, Starts),
}

/// Start of each set in the file, in keys; set `i` ends where set `i + 1`
/// starts (the last entry is the end of the file).
type Starts = Vec<u64>;

impl SetStore {
    /// An empty store of 32-bit keys keeping at most `budget` bytes of sets
    /// in memory.
    pub fn new(budget: usize) -> SetStore {
        SetStore::with_budget(budget)
    }
}

impl<K: StoreKey> SetStore<K> {
    /// An empty store keeping at most `budget` bytes of sets in memory.
    pub fn with_budget(budget: usize) -> SetStore<K> {
        SetStore {
            budget,
            in_memory: 0,
            mem: Vec::new(),
            state: State::Memory,
            map: None,
            mirror: None,
            keep: usize::MAX,
            warnings: Default::default(),
        }
    }

    /// Has the store's owner write every set it pushes from now on to
    /// `file`, back to back and little-endian, the first at key `first`
    /// (the file's byte `first` × the key width): the store then keeps its
    /// sets in memory up to `keep` bytes (or its budget, if less), and past
    /// that drops them from memory and reads them back from `file` (after
    /// [`seal`](Self::seal), by which the owner must have written and
    /// flushed them all) instead of writing them to a temporary file of its
    /// own. The file must be one the owner does not rewrite while the store
    /// lives; it may write past the sets. Call it on an empty store.
    /// Results do not depend on it.
    pub fn mirror(&mut self, file: File, first: u64, keep: usize) {
        assert!(
            self.is_empty() && matches!(self.state, State::Memory),
            "a store is mirrored from its first set"
        );
        self.mirror = Some((file, vec![first]));
        self.keep = keep;
    }

    /// Stops mirroring ([`mirror`](Self::mirror)): the owner writes no more
    /// sets to its file. Sets already read from there (past the budget)
    /// are kept there; sets pushed later go to the store's own file, or to
    /// the end of the owner's, after the sets written there.
    pub fn unmirror(&mut self) {
        self.mirror = None;
        self.keep = usize::MAX;
        if let State::Mirrored(..) = self.state {
            self.seal();
        }
    }

    /// Bytes of one key.
    const KEY_BYTES: usize = std::mem::size_of::<K>();

    /// Changes the in-memory budget; sets already past it spill now.
    pub fn set_budget(&mut self, budget: usize) {
        self.budget = budget;
        if matches!(self.state, State::Memory) && self.in_memory > self.budget {
            self.spill();
        }
    }

    /// The in-memory budget, in bytes.
    pub fn budget(&self) -> usize {
        self.budget
    }

    /// Number of sets stored.
    pub fn len(&self) -> usize {
        match &self.state {
            State::Memory => self.mem.len(),
            State::Writing(_, starts) | State::Sealed(_, starts) | State::Mirrored(_, starts) => {
                starts.len() - 1
            }
        }
    }

    /// Whether no set is stored.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The number of keys in set `d`.
    pub fn set_len(&self, d: u32) -> usize {
        match &self.state {
            State::Memory => self.mem[d as usize].len(),
            State::Writing(_, starts) | State::Sealed(_, starts) | State::Mirrored(_, starts) => {
                (starts[d as usize + 1] - starts[d as usize]) as usize
            }
        }
    }

    /// Whether the sets live in the temporary file.
    pub fn spilled(&self) -> bool {
        !matches!(self.state, State::Memory)
    }

    /// Problems met so far, emptied: a temporary file that could not be
    /// written (the sets then stay in memory, past the budget) or read back
    /// (those sets come out empty).
    pub fn take_warnings(&self) -> Vec<String> {
        std::mem::take(&mut *self.warnings.lock().unwrap_or_else(|e| e.into_inner()))
    }

    fn warn(&self, w: String) {
        self.warnings
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(w);
    }

    /// Makes room for `more` sets held in memory (while they stay within
    /// the budget), so that pushing them does not grow the list.
    pub fn reserve(&mut self, more: usize) {
        if matches!(self.state, State::Memory) {
            self.mem.reserve(more);
        }
    }

    /// Appends the next document's set: a vector, or keys already
    /// [packed](StoredKeys::packed) by the thread that made them.
    pub fn push(&mut self, set: impl Into<K::Held>) {
        let set: K::Held = set.into();
        if let State::Mirrored(_, starts) = &mut self.state {
            // The owner wrote it.
            starts.push(starts.last().copied().unwrap_or(0) + set.len() as u64);
            return;
        }
        if let Some((_, starts)) = &mut self.mirror {
            starts.push(starts.last().copied().unwrap_or(0) + set.len() as u64);
        }
        if let State::Writing(w, starts) = &mut self.state {
            match append(w, starts, &set) {
                Ok(()) => return,
                Err(e) => {
                    self.unspill(e);
                }
            }
        }
        if let State::Sealed(..) = self.state {
            // Open again for appending (an index writer buffers more
            // documents after a commit that failed).
            let State::Sealed(file, starts) = std::mem::replace(&mut self.state, State::Memory)
            else {
                unreachable!()
            };
            self.map = None;
            let mut w = BufWriter::with_capacity(1 << 20, file);
            let end = starts.last().copied().unwrap_or(0) * Self::KEY_BYTES as u64;
            let mut starts = starts;
            match std::io::Seek::seek(&mut w, std::io::SeekFrom::Start(end))
                .and_then(|_| append(&mut w, &mut starts, &set))
            {
                Ok(()) => {
                    self.state = State::Writing(w, starts);
                    return;
                }
                Err(e) => {
                    self.state = State::Writing(w, starts);
                    self.unspill(e);
                }
            }
        }
        self.in_memory += set.len() * Self::KEY_BYTES;
        self.mem.push(set);
        if self.in_memory > self.budget || self.in_memory > self.keep {
            self.spill();
        }
    }

    #[cfg(unix)]
    fn spill(&mut self) {
        if let Some((file, starts)) = self.mirror.take() {
            // Every set is in the owner's file already.
            self.state = State::Mirrored(file, starts);
            self.mem = Vec::new();
            release_freed_memory();
            self.in_memory = 0;
            return;
        }
        let result = (|| -> std::io::Result<State> {
            let file = tempfile::tempfile()?;
            let mut w = BufWriter::with_capacity(1 << 20, file);
            let mut starts = vec![0];
            for set in &self.mem {
                append(&mut w, &mut starts, set)?;
            }
            Ok(State::Writing(w, starts))
        })();
        match result {
            Ok(state) => {
                self.state = state;
                self.mem = Vec::new();
                release_freed_memory();
                self.in_memory = 0;
            }
            Err(e) => {
                self.budget = usize::MAX;
                self.warn(format!(
                    "cannot write shingle sets to a temporary file ({e}); keeping them in memory"
                ));
            }
        }
    }

    #[cfg(not(unix))]
    fn spill(&mut self) {
        // Positioned reads are only wired up on Unix: keep sets in memory.
        self.budget = usize::MAX;
    }

    /// A write failed after spilling began: bring every set back into
    /// memory and stay there.
    fn unspill(&mut self, e: std::io::Error) {
        self.warn(format!(
            "cannot write shingle sets to a temporary file ({e}); keeping them in memory"
        ));
        self.budget = usize::MAX;
        let state = std::mem::replace(&mut self.state, State::Memory);
        self.seal_state(state);
        self.map = None;
        let n = self.len();
        let all: Vec<u32> = (0..n as u32).collect();
        let sets: Vec<K::Held> = self
            .load(&all)
            .into_iter()
            .map(|s| K::Held::from(s.into_owned()))
            .collect();
        self.state = State::Memory;
        self.in_memory = sets.iter().map(|s| s.len() * Self::KEY_BYTES).sum();
        self.mem = sets;
    }

    fn seal_state(&mut self, state: State) {
        self.state = match state {
            State::Writing(w, starts) => match w.into_inner() {
                Ok(file) => {
                    self.map = map_keys::<K>(&file, &starts);
                    State::Sealed(file, starts)
                }
                Err(e) => {
                    let n = starts.len() - 1;
                    self.warn(format!("cannot finish the shingle-set file: {e}"));
                    // Nothing can be read back: every set reads as empty.
                    self.mem = (0..n).map(|_| K::Held::from(Vec::new())).collect();
                    State::Memory
                }
            },
            State::Mirrored(file, starts) => {
                self.map = map_keys::<K>(&file, &starts);
                State::Sealed(file, starts)
            }
            other => other,
        };
    }

    /// Finishes writing; call before [`load`](Self::load) (loading an
    /// unsealed spilled store gives empty sets and a warning). Pushing to a
    /// sealed store opens it for writing again.
    pub fn seal(&mut self) {
        let state = std::mem::replace(&mut self.state, State::Memory);
        self.seal_state(state);
    }

    /// The sets of `docs`, in that order: borrowed when in memory, read
    /// back when spilled.
    pub fn load(&self, docs: &[u32]) -> Vec<Cow<'_, [K]>> {
        match &self.state {
            State::Memory => docs
                .iter()
                .map(|&d| Cow::Borrowed(&*self.mem[d as usize]))
                .collect(),
            State::Sealed(file, starts) => {
                // Runs of consecutive documents (a batch's members mostly
                // are: copies of a story sit side by side) are read with
                // one positioned read each, instead of one per set.
                runs_of(docs, starts)
                    .into_par_iter()
                    .flat_map_iter(|run| {
                        let (a, b) = (docs[run.start], docs[run.end - 1]);
                        let keys = read_at::<K>(file, starts, a, b + 1).unwrap_or_else(|e| {
                            self.warn(format!("cannot read back a shingle set: {e}"));
                            Vec::new()
                        });
                        let base = starts[a as usize];
                        (a..=b).map(move |d| {
                            let (s, e) = (starts[d as usize] - base, starts[d as usize + 1] - base);
                            Cow::Owned(keys.get(s as usize..e as usize).unwrap_or(&[]).to_vec())
                        })
                    })
                    .collect()
            }
            State::Writing(..) | State::Mirrored(..) => {
                self.warn("shingle sets loaded before the store was sealed".into());
                docs.iter().map(|_| Cow::Owned(Vec::new())).collect()
            }
        }
    }
}

/// Most keys read back with one positioned read.
const RUN_KEYS: u64 = 1 << 16;

/// `docs` (positions into it) cut into runs of consecutive documents of
/// at most [`RUN_KEYS`] keys together (`starts`: each document's first
/// key in the spill file), each run to be read with one positioned read.
fn runs_of(docs: &[u32], starts: &[u64]) -> Vec<std::ops::Range<usize>> {
    let mut runs = Vec::new();
    let mut i = 0;
    while i < docs.len() {
        let first = starts[docs[i] as usize];
        let mut j = i + 1;
        while j < docs.len()
            && docs[j] == docs[j - 1].wrapping_add(1)
            && starts[docs[j] as usize + 1] - first <= RUN_KEYS
        {
            j += 1;
        }
        runs.push(i..j);
        i = j;
    }
    runs
}

/// Sets of several documents read back together
/// ([`SetStore::load_together`]): each run of consecutive documents read
/// into one buffer, each set a slice of its run's, without a copy or an
/// allocation per set.
#[derive(Debug)]
pub struct LoadedSets<'a, K: StoreKey> {
    /// The runs read (or, in memory, each set borrowed).
    runs: Vec<Cow<'a, [K]>>,
    /// Each requested document's run and range in it.
    at: Vec<(u32, u32, u32)>,
    /// When the runs are slices of the store's mapped file: the map and
    /// each run's keys in it, whose pages are handed back on drop.
    mapped: Option<(&'a memmap2::Mmap, Vec<std::ops::Range<usize>>)>,
}

impl<K: StoreKey> Drop for LoadedSets<'_, K> {
    /// Hands the mapped pages read back to the kernel (they stay in the
    /// page cache): a pass over a spilled store keeps one block resident,
    /// as when it reads into a buffer.
    fn drop(&mut self) {
        #[cfg(unix)]
        if let Some((map, spans)) = &self.mapped {
            // From the first run in the file to the last, and the pages
            // around them that the kernel maps with a faulted page
            // (fault-around, 64 KiB by default): those would otherwise
            // stay mapped and add up over a pass.
            let width = std::mem::size_of::<K>();
            let first = spans.iter().map(|s| s.start).min();
            let last = spans.iter().map(|s| s.end).max();
            if let (Some(first), Some(last)) = (first, last) {
                let start = (first * width).saturating_sub(AROUND);
                let end = (last * width + AROUND).min(map.len());
                if start < end {
                    // SAFETY: a read-only shared mapping of a file, for
                    // which MADV_DONTNEED only drops the process's page
                    // table entries: later reads fault the same contents
                    // back in.
                    let _ = unsafe {
                        map.unchecked_advise_range(
                            memmap2::UncheckedAdvice::DontNeed,
                            start,
                            end - start,
                        )
                    };

                }
            }
        }
    }
}

/// Whether the sets of `docs` (sorted) fill at least half of the stretch
/// of the spill file from the first to the last: then they are read in
/// place from the map ([`SetStore::load_together_in`]). Scattered sets (a
/// block of candidate pairs) are copied out instead: the kernel maps 64 KiB
/// of file around each page faulted in (fault-around), so reading them in
/// place would make many times their size resident.
fn dense(docs: &[u32], starts: &[u64]) -> bool {
    let (mut keys, mut first, mut last) = (0u64, u64::MAX, 0u64);
    for &d in docs {
        let (s, e) = (starts[d as usize], starts[d as usize + 1]);
        keys += e - s;
        first = first.min(s);
        last = last.max(e);
    }
    first > last || 2 * keys >= last - first
}

/// Bytes around a faulted page of a file mapping that the kernel may map
/// with it (Linux's `fault_around_bytes`, 64 KiB unless changed), and
/// more.
#[cfg(unix)]
const AROUND: usize = 1 << 20;

impl<K: StoreKey> LoadedSets<'_, K> {
    /// The set of the `i`-th document asked for.
    #[inline]
    pub fn get(&self, i: usize) -> &[K] {
        let (run, s, e) = self.at[i];
        &self.runs[run as usize][s as usize..e as usize]
    }

    /// How many documents were asked for.
    pub fn len(&self) -> usize {
        self.at.len()
    }

    /// Whether none was.
    pub fn is_empty(&self) -> bool {
        self.at.is_empty()
    }

    /// The buffer the sets were read into (empty when they were not read
    /// back), for the next [`SetStore::load_together_in`].
    pub fn into_buffer(mut self) -> Vec<K> {
        match std::mem::take(&mut self.runs).into_iter().next() {
            Some(Cow::Owned(buf)) => buf,
            _ => Vec::new(),
        }
    }
}

impl<K: StoreKey> SetStore<K> {
    /// The sets of `docs` (sorted, repeat-free for the fewest reads), in
    /// that order: what [`load`](Self::load) gives, but a spilled store
    /// hands out slices of its mapped file when the sets lie close
    /// together (their pages handed back when the result is dropped), or
    /// else reads each run of consecutive documents into one buffer and
    /// hands out slices of it, so that a pass over many sets does not copy
    /// and allocate each.
    pub fn load_together(&self, docs: &[u32]) -> LoadedSets<'_, K> {
        self.load_together_in(docs, Vec::new())
    }

    /// [`load_together`](Self::load_together) reading into `buf` (its
    /// contents are overwritten) when the store has spilled: a pass over
    /// many blocks hands each block's buffer to the next
    /// ([`LoadedSets::into_buffer`]) instead of mapping fresh memory for
    /// each.
    pub fn load_together_in(&self, docs: &[u32], buf: Vec<K>) -> LoadedSets<'_, K> {
        self.together(docs, buf, true)
    }

    /// [`load_together_in`](Self::load_together_in), but spilled sets are
    /// always read into `buf`, never handed out as slices of the mapped
    /// file: the pages of a mapped block count in the process's resident
    /// memory beside the buffers of the other blocks loaded with it.
    pub fn read_together_in(&self, docs: &[u32], buf: Vec<K>) -> LoadedSets<'_, K> {
        self.together(docs, buf, false)
    }

    /// [`load_together_in`](Self::load_together_in), from the map only
    /// when `map_ok`.
    fn together(&self, docs: &[u32], mut buf: Vec<K>, map_ok: bool) -> LoadedSets<'_, K> {
        match (&self.state, &self.map) {
            (State::Sealed(_, starts), Some(map)) if map_ok && dense(docs, starts) => {
                // Slices of the mapped file: no copy, no buffer. The pages
                // read are handed back when the sets are dropped.
                // SAFETY: the map starts on a page boundary (aligned for
                // any key), covers whole keys (`map_keys`), and any bytes
                // are a valid key; the file is this store's own unnamed
                // temporary file, or its owner's ([`SetStore::mirror`]),
                // whose sets are never written again while mapped.
                let keys: &[K] = unsafe {
                    std::slice::from_raw_parts(
                        map.as_ptr() as *const K,
                        map.len() / Self::KEY_BYTES,
                    )
                };
                drop(buf);
                let runs = runs_of(docs, starts);
                let mut slices = Vec::with_capacity(runs.len());
                let mut spans = Vec::with_capacity(runs.len());
                let mut at = Vec::with_capacity(docs.len());
                for (r, run) in runs.iter().enumerate() {
                    let (a, b) = (docs[run.start] as usize, docs[run.end - 1] as usize);
                    let span = starts[a] as usize..starts[b + 1] as usize;
                    for &d in &docs[run.clone()] {
                        let (ds, de) = (starts[d as usize] as usize, starts[d as usize + 1] as usize);
                        at.push((r as u32, (ds - span.start) as u32, (de - span.start) as u32));
                    }
                    slices.push(Cow::Borrowed(&keys[span.clone()]));
                    spans.push(span);
                }
                LoadedSets {
                    runs: slices,
                    at,
                    mapped: Some((map, spans)),
                }
            }
            (State::Sealed(file, starts), _) => {
                let runs = runs_of(docs, starts);
                // All runs go into one buffer (one allocation, released
                // whole), each run read into its own range in parallel.
                let span = |run: &std::ops::Range<usize>| {
                    let (a, b) = (docs[run.start] as usize, docs[run.end - 1] as usize);
                    (starts[a], starts[b + 1])
                };
                let total: u64 = runs.iter().map(|r| span(r).1 - span(r).0).sum();
                buf.clear();
                // Exactly: a buffer handed from block to block would
                // otherwise grow by doubling, past the memory budget.
                buf.reserve_exact(total as usize);
                buf.resize(total as usize, K::default());
                let mut pieces: Vec<&mut [K]> = Vec::with_capacity(runs.len());
                let mut rest = &mut buf[..];
                for run in &runs {
                    let (s, e) = span(run);
                    let (piece, tail) = rest.split_at_mut((e - s) as usize);
                    pieces.push(piece);
                    rest = tail;
                }
                let failed: Vec<bool> = runs
                    .par_iter()
                    .zip(pieces.into_par_iter())
                    .map(|(run, piece)| {
                        let (s, _) = span(run);
                        match read_into::<K>(file, s, piece) {
                            Ok(()) => false,
                            Err(e) => {
                                self.warn(format!("cannot read back a shingle set: {e}"));
                                true
                            }
                        }
                    })
                    .collect();
                let mut at = Vec::with_capacity(docs.len());
                let mut offset = 0u64;
                for (run, &failed) in runs.iter().zip(&failed) {
                    let (s, e) = span(run);
                    for &d in &docs[run.clone()] {
                        let (ds, de) = (starts[d as usize] - s, starts[d as usize + 1] - s);
                        // A run that could not be read gives empty sets.
                        let (ds, de) = if failed { (0, 0) } else { (ds + offset, de + offset) };
                        at.push((0, ds as u32, de as u32));
                    }
                    offset += e - s;
                }
                LoadedSets {
                    runs: vec![Cow::Owned(buf)],
                    at,
                    mapped: None,
                }
            }
            _ => {
                let runs = self.load(docs);
                let at = runs
                    .iter()
                    .enumerate()
                    .map(|(i, s)| (i as u32, 0, s.len() as u32))
                    .collect();
                LoadedSets {
                    runs,
                    at,
                    mapped: None,
                }
            }
        }
    }
}

/// One document's keys as the store holds them: a vector of its own, or a
/// range of a slab shared with other sets packed by the same thread.
///
/// A scan keeps a set per document, a few kilobytes each, made by the
/// reading threads. Packed into slabs of 4 MiB (one being filled per
/// thread), they cost no allocation each, they do not grow the
/// allocator's per-thread heaps a page at a time, and they do not sit
/// between the small allocations that outlive them (a document's id and
/// path): when a spill drops the sets, whole slabs go back to the system
/// at once, where sets freed one by one would leave heaps too fragmented
/// to shrink (measured at a million documents: 1.14 GB peak with slabs,
/// 1.60 GB with one allocation per set). A
/// slab is freed when its last set is.
///
/// ```
/// use neardup::store::StoredKeys;
/// let a = StoredKeys::packed(&[1, 5, 9]);
/// let b = StoredKeys::from(vec![2, 3]);
/// assert_eq!((&*a, &*b), (&[1u32, 5, 9][..], &[2u32, 3][..]));
/// StoredKeys::release_thread_slabs();
/// assert_eq!(&*a, &[1, 5, 9]); // still readable: the set keeps its slab
/// ```
pub struct StoredKeys(Repr);

enum Repr {
    Vec(Vec<u32>),
    Slab {
        slab: Arc<Slab>,
        start: usize,
        len: usize,
    },
}

impl std::fmt::Debug for StoredKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl From<Vec<u32>> for StoredKeys {
    fn from(keys: Vec<u32>) -> StoredKeys {
        StoredKeys(Repr::Vec(keys))
    }
}

impl std::ops::Deref for StoredKeys {
    type Target = [u32];
    fn deref(&self) -> &[u32] {
        match &self.0 {
            Repr::Vec(v) => v,
            // SAFETY: `start..start + len` lies inside the slab, was written
            // by `packed` before this value existed and is never written
            // again; the `Arc` keeps the mapping alive.
            Repr::Slab { slab, start, len } => unsafe {
                std::slice::from_raw_parts(slab.base.as_ptr().add(*start), *len)
            },
        }
    }
}

/// Keys per slab (4 MiB).
const SLAB_KEYS: usize = 1 << 20;

/// An anonymous mapping holding sets back to back. Only the thread filling
/// it writes, and only past every range handed out; ranges handed out are
/// only read.
struct Slab {
    base: NonNull<u32>,
    /// Always `Some` until the slab is dropped.
    map: Option<memmap2::MmapMut>,
    /// Whether its memory may go to the next slab of sets once it is
    /// dropped ([`Recycling`]): only sets' slabs, whose writers never read
    /// a place before writing it.
    recycle: bool,
}

impl Drop for Slab {
    fn drop(&mut self) {
        let Some(map) = self.map.take() else { return };
        if self.recycle {
            // Under the lock that `Recycling`'s end takes too, so no
            // mapping is kept after the last reader has gone.
            let mut spare = SPARE.lock().unwrap_or_else(|e| e.into_inner());
            if RECYCLING.load(std::sync::atomic::Ordering::Relaxed) > 0 && spare.len() < SPARE_MOST
            {
                spare.push(map);
                return;
            }
        }
        drop(map);
    }
}

/// Most slabs' memory kept for reuse at once (16 MiB): enough for the
/// slabs in flight between the reading threads and the store.
const SPARE_MOST: usize = 4;

/// Mappings of sets' slabs let go of while a corpus is read, for the next
/// slabs of sets: their pages are already in memory, where a new mapping
/// would take a page fault per 4 KiB (and an unmapping a flush of every
/// thread's TLB). This is what a spilled scan does with each set once it is
/// written to the file.
static SPARE: std::sync::Mutex<Vec<memmap2::MmapMut>> = std::sync::Mutex::new(Vec::new());

/// Corpora being read now ([`Recycling`]).
static RECYCLING: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// While one of these lives, sets' slabs that are dropped keep their memory
/// for the next ones; when the last goes, that memory is unmapped. A scan
/// holds one while it reads a corpus.
pub(crate) struct Recycling(());

impl Recycling {
    /// Starts keeping dropped sets' slabs for reuse (until the last
    /// `Recycling` is dropped).
    pub(crate) fn start() -> Recycling {
        let _spare = SPARE.lock().unwrap_or_else(|e| e.into_inner());
        RECYCLING.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Recycling(())
    }
}

impl Drop for Recycling {
    fn drop(&mut self) {
        let spare = {
            let mut spare = SPARE.lock().unwrap_or_else(|e| e.into_inner());
            if RECYCLING.fetch_sub(1, std::sync::atomic::Ordering::Relaxed) == 1 {
                std::mem::take(&mut *spare)
            } else {
                Vec::new()
            }
        };
        // Unmapped outside the lock.
        drop(spare);
    }
}

// SAFETY: `base` points into `map`, which the slab owns; writes happen
// only through the filling thread's `SlabWriter`, to ranges no
// `StoredKeys` covers yet, so sharing a slab across threads is sound.
unsafe impl Send for Slab {}
// SAFETY: as above.
unsafe impl Sync for Slab {}

struct SlabWriter {
    slab: Arc<Slab>,
    used: usize,
}

/// The two kinds of slabs a thread fills.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Sets ([`StoredKeys::packed`]): a new slab of them may take a
    /// dropped one's memory ([`Recycling`]).
    Sets,
    /// Rows written in place ([`StoredKeys::written`]): promised zeroed
    /// memory, so always a fresh mapping.
    Rows,
}

impl Kind {
    /// The slab of this kind the calling thread is filling.
    fn slab(self) -> &'static std::thread::LocalKey<RefCell<Option<SlabWriter>>> {
        match self {
            Kind::Sets => &SLAB,
            Kind::Rows => &ROW_SLAB,
        }
    }
}

thread_local! {
    /// Sets.
    static SLAB: RefCell<Option<SlabWriter>> = const { RefCell::new(None) };
    /// Rows written in place ([`StoredKeys::written`]: signatures), apart
    /// from the sets, so that a spill that drops the sets frees their slabs.
    static ROW_SLAB: RefCell<Option<SlabWriter>> = const { RefCell::new(None) };
}

impl StoredKeys {
    /// Copies `keys` into the slab this thread is filling (starting a new
    /// one when it is full); large sets, and any set when no slab can be
    /// mapped, get a vector of their own.
    pub fn packed(keys: &[u32]) -> StoredKeys {
        if keys.len() > SLAB_KEYS / 8 || !Self::slab_room(Kind::Sets, keys.len()) {
            return StoredKeys::from(keys.to_vec());
        }
        Self::in_slab(Kind::Sets, keys.len(), |to| {
            // SAFETY: `to` holds `keys.len()` values (`in_slab`), in a
            // slab, apart from `keys`.
            unsafe { std::ptr::copy_nonoverlapping(keys.as_ptr(), to, keys.len()) };
            keys.len()
        })
    }

    /// [`StoredKeys::packed`] for keys still to be sorted: the sort writes
    /// the set straight into the slab (no copy from a scratch buffer).
    pub(crate) fn packed_sorting(keys: Unsorted<'_>) -> StoredKeys {
        let most = keys.max_len();
        if most > SLAB_KEYS / 8 || !Self::slab_room(Kind::Sets, most) {
            return StoredKeys::from(keys.sorted().to_vec());
        }
        // SAFETY: `to` holds `most` values (`in_slab`), in a slab, apart
        // from the thread's scratch buffers.
        Self::in_slab(Kind::Sets, most, |to| unsafe { keys.sort_into(to) })
    }

    /// `len` values written in place by `fill` (which gets them zeroed),
    /// in a slab of rows kept apart from the sets': a scan's signatures,
    /// written where they live instead of copied there.
    pub(crate) fn written(len: usize, fill: impl FnOnce(&mut [u32])) -> StoredKeys {
        if len > SLAB_KEYS / 8 || !Self::slab_room(Kind::Rows, len) {
            let mut row = vec![0; len];
            fill(&mut row);
            return StoredKeys::from(row);
        }
        Self::in_slab(Kind::Rows, len, |to| {
            // SAFETY: `to` holds `len` values (`in_slab`) of a fresh
            // anonymous mapping (zeroed, so initialized) that nothing else
            // refers to.
            fill(unsafe { std::slice::from_raw_parts_mut(to, len) });
            len
        })
    }

    /// Whether this thread's slab of `kind` has room for `most` more keys,
    /// after starting a new slab if it had not (false: none can be mapped).
    fn slab_room(kind: Kind, most: usize) -> bool {
        kind.slab().with(|w| {
            let mut w = w.borrow_mut();
            if w.as_ref().is_none_or(|w| w.used + most > SLAB_KEYS) {
                *w = new_slab(kind == Kind::Sets).map(|slab| SlabWriter { slab, used: 0 });
            }
            w.is_some()
        })
    }

    /// Has `fill` write a set of at most `most` keys at the free end of
    /// this thread's slab of `kind`, which has room for them
    /// ([`Self::slab_room`]), and return its length.
    fn in_slab(kind: Kind, most: usize, fill: impl FnOnce(*mut u32) -> usize) -> StoredKeys {
        kind.slab().with(|w| {
            let mut w = w.borrow_mut();
            let w = w.as_mut().expect("a slab with room (slab_room)");
            let start = w.used;
            assert!(start + most <= SLAB_KEYS, "no room in the slab");
            // SAFETY: `start + most <= SLAB_KEYS`, the slab's size, and no
            // `StoredKeys` covers `start..` yet (see `Slab`).
            let len = fill(unsafe { w.slab.base.as_ptr().add(start) });
            assert!(len <= most, "a set longer than its bound");
            w.used += len;
            StoredKeys(Repr::Slab {
                slab: Arc::clone(&w.slab),
                start,
                len,
            })
        })
    }

    /// Lets go of the slab each thread of the current rayon pool (and the
    /// calling thread) is filling, so that its memory returns to the
    /// system once the sets packed in it are dropped. A scan calls it when
    /// its corpus is read.
    pub fn release_thread_slabs() {
        let release = || {
            SLAB.with(|w| w.borrow_mut().take());
            ROW_SLAB.with(|w| w.borrow_mut().take());
        };
        rayon::broadcast(|_| release());
        release();
    }
}

/// A new slab: the memory of a dropped one when `recycle` allows and some
/// is kept ([`Recycling`]), else a fresh mapping (zeroed).
fn new_slab(recycle: bool) -> Option<Arc<Slab>> {
    let spare = if recycle {
        SPARE.lock().unwrap_or_else(|e| e.into_inner()).pop()
    } else {
        None
    };
    // No MADV_HUGEPAGE: on this VM the first touch of a huge page costs
    // more than the 512 page faults it saves (measured: +0.15 s of system
    // time at 100k documents).
    let mut map = match spare {
        Some(map) => map,
        None => memmap2::MmapMut::map_anon(SLAB_KEYS * 4).ok()?,
    };
    let base = NonNull::new(map.as_mut_ptr() as *mut u32)?;
    Some(Arc::new(Slab {
        base,
        map: Some(map),
        recycle,
    }))
}

/// The complete temporary file of a store mapped read-only, when its keys
/// can be read in place (Unix, little-endian, a whole number of keys);
/// `None` otherwise, and the store reads them with positioned reads.
fn map_keys<K: StoreKey>(file: &File, starts: &Starts) -> Option<memmap2::Mmap> {
    let bytes = starts.last().copied().unwrap_or(0) as usize * std::mem::size_of::<K>();
    if !cfg!(all(unix, target_endian = "little")) || bytes == 0 {
        return None;
    }
    // A file shorter than its sets (an owner's write that failed): read
    // back by position, which reports the missing sets.
    if file.metadata().ok()?.len() < bytes as u64 {
        return None;
    }
    // SAFETY: the file is the store's own unnamed temporary file, or its
    // owner's file holding the sets ([`SetStore::mirror`]), complete
    // (sealed) and whose sets are not written while the map lives
    // (reopening it for writing drops the map first; the owner may write
    // past them).
    let map = unsafe { memmap2::MmapOptions::new().len(bytes).map(file) }.ok()?;
    Some(map)
}

/// Hands memory just freed back to the operating system. Each set was
/// allocated by the worker thread that read its document, and glibc keeps
/// the freed blocks of those per-thread heaps resident: without this, the
/// sets written out at a spill (the whole budget) would stay in the
/// process's resident memory for the rest of the scan.
fn release_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only returns free pages to the kernel; it does
    // not touch memory in use.
    unsafe {
        libc::malloc_trim(0);
    }
}

fn append<K: StoreKey>(
    w: &mut BufWriter<File>,
    starts: &mut Starts,
    set: &[K],
) -> std::io::Result<()> {
    if cfg!(target_endian = "little") {
        // The keys' own bytes are the file's (little-endian) form.
        // SAFETY: any bytes of a `[u32]` or `[u64]` are valid `u8`s, and
        // the view covers exactly the set.
        w.write_all(unsafe {
            std::slice::from_raw_parts(set.as_ptr() as *const u8, std::mem::size_of_val(set))
        })?;
    } else {
        // Each key byte-swapped to its little-endian form, a part at a
        // time.
        for part in set.chunks(1024) {
            let swapped: Vec<K> = part.iter().map(|k| k.swap_le()).collect();
            // SAFETY: as above.
            w.write_all(unsafe {
                std::slice::from_raw_parts(swapped.as_ptr() as *const u8, std::mem::size_of_val(part))
            })?;
        }
    }
    starts.push(starts.last().copied().unwrap_or(0) + set.len() as u64);
    Ok(())
}

/// The keys of the sets `from..to` (consecutive), back to back.
#[cfg(unix)]
fn read_at<K: StoreKey>(
    file: &File,
    starts: &Starts,
    from: u32,
    to: u32,
) -> std::io::Result<Vec<K>> {
    let (s, e) = (starts[from as usize], starts[to as usize]);
    let mut keys = vec![K::default(); (e - s) as usize];
    read_into(file, s, &mut keys)?;
    Ok(keys)
}

/// Reads `keys.len()` keys starting at key `start` of the file into `keys`.
#[cfg(unix)]
fn read_into<K: StoreKey>(file: &File, start: u64, keys: &mut [K]) -> std::io::Result<()> {
    use std::os::unix::fs::FileExt;
    let width = std::mem::size_of::<K>();
    // SAFETY: the bytes of a `[u32]` or `[u64]` may hold any value, and
    // the view covers exactly the slice's initialized elements.
    let bytes = unsafe {
        std::slice::from_raw_parts_mut(keys.as_mut_ptr() as *mut u8, std::mem::size_of_val(keys))
    };
    // Read straight into the keys (stored little-endian).
    file.read_exact_at(bytes, start * width as u64)?;
    if cfg!(target_endian = "big") {
        for k in keys.iter_mut() {
            *k = k.swap_le();
        }
    }
    Ok(())
}

#[cfg(not(unix))]
fn read_into<K: StoreKey>(_: &File, _: u64, _: &mut [K]) -> std::io::Result<()> {
    Err(std::io::Error::other("not supported on this platform"))
}

#[cfg(not(unix))]
fn read_at<K: StoreKey>(_: &File, _: &Starts, _: u32, _: u32) -> std::io::Result<Vec<K>> {
    Err(std::io::Error::other("not supported on this platform"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sets_loaded_together_are_the_sets_loaded_one_by_one() {
        let sets: Vec<Vec<u64>> = (0..300u64)
            .map(|i| (0..(i % 9) * 40).map(|k| k * 7 + i).collect())
            .collect();
        for budget in [usize::MAX, 1 << 12, 0] {
            let mut store: SetStore<u64> = SetStore::with_budget(budget);
            for s in &sets {
                store.push(s.clone());
            }
            store.seal();
            let mut buf = Vec::new();
            for docs in [vec![], vec![5], vec![0, 1, 2, 3, 9, 10, 299], (0..300).collect()] {
                let got = store.load_together_in(&docs, buf);
                assert_eq!(got.len(), docs.len());
                for (i, &d) in docs.iter().enumerate() {
                    assert_eq!(got.get(i), &sets[d as usize][..]);
                }
                buf = got.into_buffer();
            }
            // Read into the buffer whatever the order (the scan's slots
            // follow document numbers, not the file): the same sets, and
            // a buffer no larger than the largest read.
            let mut buf = Vec::new();
            for docs in [vec![299, 3, 2, 1, 0], (0..300).rev().collect(), vec![], vec![8, 8]] {
                let got = store.read_together_in(&docs, buf);
                assert_eq!(got.len(), docs.len());
                for (i, &d) in docs.iter().enumerate() {
                    assert_eq!(got.get(i), &sets[d as usize][..]);
                }
                buf = got.into_buffer();
            }
            let all: usize = sets.iter().map(Vec::len).sum();
            assert!(buf.capacity() <= all, "{} > {all}", buf.capacity());
            assert_eq!(store.load_together(&[7]).get(0), &sets[7][..]);
        }
    }

    #[test]
    fn packed_sets_survive_spills_and_slab_changes() {
        // Enough keys to fill several slabs, from two threads.
        let sets: Vec<Vec<u32>> = (0..600u32)
            .map(|i| (0..(i % 7) * 3000 + 1).map(|k| k * 3 + i).collect())
            .collect();
        for budget in [usize::MAX, 1 << 20] {
            let mut store = SetStore::new(budget);
            let packed: Vec<StoredKeys> = sets
                .par_iter()
                .with_min_len(50)
                .map(|s| StoredKeys::packed(s))
                .collect();
            StoredKeys::release_thread_slabs();
            for p in packed {
                store.push(p);
            }
            store.seal();
            assert_eq!(store.spilled(), budget < usize::MAX);
            let all: Vec<u32> = (0..sets.len() as u32).collect();
            for (got, want) in store.load(&all).iter().zip(&sets) {
                assert_eq!(&**got, want.as_slice());
            }
        }
        // Sets larger than an eighth of a slab get a vector of their own.
        let big: Vec<u32> = (0..SLAB_KEYS as u32 / 8 + 1).collect();
        assert!(matches!(StoredKeys::packed(&big).0, Repr::Vec(_)));
        assert!(matches!(StoredKeys::packed(&big[1..]).0, Repr::Slab { .. }));
    }

    /// The slab a set was packed in, by its first key's address.
    fn slab_base(set: &StoredKeys) -> *const u8 {
        match &set.0 {
            Repr::Slab { slab, .. } => slab.base.as_ptr() as *const u8,
            Repr::Vec(_) => panic!("not in a slab"),
        }
    }

    #[test]
    fn a_dropped_slab_of_sets_is_reused_whole_while_a_corpus_is_read() {
        let recycling = Recycling::start();
        // A thread of its own: slabs are per thread.
        std::thread::spawn(|| {
            let part = SLAB_KEYS / 8;
            let set = |tag: u32| -> Vec<u32> {
                (0..part as u32)
                    .map(|k| k ^ tag.wrapping_mul(0x9E37_79B1))
                    .collect()
            };
            // Eight sets fill the thread's first slab; a ninth starts another.
            let first: Vec<StoredKeys> = (0..8).map(|t| StoredKeys::packed(&set(t))).collect();
            let base = slab_base(&first[0]);
            assert!(first.iter().all(|s| slab_base(s) == base));
            let ninth = StoredKeys::packed(&set(8));
            assert_ne!(slab_base(&ninth), base);
            drop(first);
            // Its memory was kept, not unmapped.
            assert!(SPARE.lock().unwrap().iter().any(|m| m.as_ptr() == base));
            // Seven more fill the second slab, the next ones go to a slab
            // made from kept memory: every set reads back whole.
            let more: Vec<StoredKeys> = (9..20).map(|t| StoredKeys::packed(&set(t))).collect();
            assert_eq!(&*ninth, set(8).as_slice());
            for (t, s) in (9..20).zip(&more) {
                assert_eq!(&**s, set(t).as_slice(), "set {t}");
            }
            StoredKeys::release_thread_slabs();
        })
        .join()
        .unwrap();
        drop(recycling);
    }

    #[test]
    fn rows_written_in_place_live_apart_from_the_sets() {
        let fill = |row: &mut [u32]| {
            assert!(row.iter().all(|&v| v == 0), "a row starts zeroed");
            for (i, v) in row.iter_mut().enumerate() {
                *v = i as u32 * 3;
            }
        };
        let set = StoredKeys::packed(&[1, 2, 3]);
        let rows: Vec<StoredKeys> = [5, 0, 128, SLAB_KEYS / 8]
            .iter()
            .map(|&n| StoredKeys::written(n, fill))
            .collect();
        for (row, n) in rows.iter().zip([5, 0, 128, SLAB_KEYS / 8]) {
            assert_eq!(row.len(), n);
            assert!(row.iter().enumerate().all(|(i, &v)| v == i as u32 * 3));
            let (Repr::Slab { slab: a, .. }, Repr::Slab { slab: b, .. }) = (&row.0, &set.0) else {
                panic!("{n} values: not in a slab");
            };
            assert!(!Arc::ptr_eq(a, b), "a row in a slab of sets");
        }
        let big = StoredKeys::written(SLAB_KEYS / 8 + 1, fill);
        assert!(matches!(big.0, Repr::Vec(_)));
        assert_eq!(big[SLAB_KEYS / 8], SLAB_KEYS as u32 / 8 * 3);
        assert_eq!(&*set, &[1, 2, 3]);
    }

    #[test]
    fn a_mirrored_store_reads_past_its_budget_from_its_owners_file() {
        let sets: Vec<Vec<u64>> = (0..200u64)
            .map(|i| (0..(i % 11) * 30).map(|k| k * 5 + i * 1000).collect())
            .collect();
        let bytes = |s: &[u64]| -> Vec<u8> { s.iter().flat_map(|k| k.to_le_bytes()).collect() };
        for (budget, keep) in [(usize::MAX, usize::MAX), (usize::MAX, 4000), (4000, usize::MAX), (0, 0)] {
            let mut owner = tempfile::tempfile().unwrap();
            // A header of 16 bytes, then the sets, as a segment file has.
            owner.write_all(&[7u8; 16]).unwrap();
            let mut store: SetStore<u64> = SetStore::with_budget(budget);
            store.mirror(owner.try_clone().unwrap(), 2, keep);
            for s in &sets[..150] {
                owner.write_all(&bytes(s)).unwrap();
                store.push(s.clone());
            }
            // What the owner writes after the sets is not read.
            owner.write_all(&[9u8; 100]).unwrap();
            store.seal();
            store.unmirror();
            let spilled = budget < usize::MAX || keep < usize::MAX;
            assert_eq!(store.spilled(), spilled, "{budget} {keep}");
            // Pushed after it stopped: in memory, or after the sets in the
            // owner's file (over what the owner wrote there).
            for s in &sets[150..] {
                store.push(s.clone());
            }
            store.seal();
            let all: Vec<u32> = (0..200).collect();
            for (got, want) in store.load(&all).iter().zip(&sets) {
                assert_eq!(&**got, want.as_slice());
            }
            let together = store.load_together(&all);
            for (i, want) in sets.iter().enumerate() {
                assert_eq!(together.get(i), want.as_slice());
            }
            drop(together);
            assert!(store.take_warnings().is_empty());
        }
    }

    #[test]
    fn memory_and_spilled_stores_agree() {
        let sets: Vec<Vec<u32>> = (0..50u32)
            .map(|i| (0..i * 3).map(|k| k * 7 + i).collect())
            .collect();
        stores_agree(&sets);
        // 64-bit keys whose high halves matter.
        let wide: Vec<Vec<u64>> = sets
            .iter()
            .enumerate()
            .map(|(i, s)| s.iter().map(|&k| (k as u64) << 32 | (i as u64 * 977 + k as u64)).collect())
            .collect();
        stores_agree(&wide);
    }

    fn stores_agree<K: StoreKey + PartialEq>(sets: &[Vec<K>]) {
        for budget in [usize::MAX, 0, 100, 2000] {
            let mut store = SetStore::<K>::with_budget(budget);
            for s in sets {
                store.push(s.clone());
            }
            store.seal();
            assert_eq!(store.len(), 50);
            assert_eq!(store.spilled(), budget < usize::MAX, "{budget}");
            // Backwards (no two consecutive), then runs of consecutive
            // documents (read together when spilled), empty sets included.
            let backwards: Vec<u32> = (0..50).rev().collect();
            let runs: Vec<u32> = [3, 4, 5, 6, 10, 11, 0, 1, 2, 49, 7, 7, 8]
                .into_iter()
                .chain(20..45)
                .collect();
            for order in [backwards, runs] {
                let got = store.load(&order);
                assert_eq!(got.len(), order.len());
                for (&d, s) in order.iter().zip(&got) {
                    assert_eq!(&**s, sets[d as usize].as_slice(), "set {d}");
                    assert_eq!(store.set_len(d), s.len(), "set {d}");
                }
            }
            // Pushing after sealing opens the store again; every set,
            // old and new, reads back.
            let more: Vec<K> = sets[7].iter().rev().copied().collect();
            store.push(more.clone());
            store.seal();
            assert_eq!(store.len(), sets.len() + 1);
            assert_eq!(&*store.load(&[sets.len() as u32])[0], more.as_slice());
            assert_eq!(&*store.load(&[7])[0], sets[7].as_slice());
            assert!(store.take_warnings().is_empty());
        }
    }
}
