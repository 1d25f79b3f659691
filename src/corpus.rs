//! Corpus reading: directories, single files and JSON Lines, streamed.
//!
//! * A directory is walked recursively in a deterministic order (entries
//!   sorted by file name); hidden files and folders (name starting with `.`)
//!   are skipped, and so are files matching a `.neardupignore` at the top of
//!   the directory (see [`IgnoreList`]); symlinks are followed and loops reported. Every regular
//!   file is a document whose id is its path relative to the directory given,
//!   with `/` separators — except `.jsonl` / `.ndjson` files, which hold one
//!   document per line.
//! * A single file given on its own has its file name as id.
//! * A JSON Lines document's id is the value of the id field (a string or a
//!   number), its text the value of the text field.
//!
//! Text is decoded as UTF-8. Invalid bytes are replaced one for one by `?`,
//! so every byte offset computed on the decoded text is also an offset into
//! the file as it is on disk (a warning names the file). Files with a NUL
//! byte in their first 8 KiB are binary and skipped; empty files and files
//! above the size limit are skipped too. Every skip is reported through the
//! sink with the file (and line) and a reason; nothing disappears silently.
//!
//! Documents are handed out in batches processed in parallel and delivered
//! to the sink in input order, so only a batch of texts is in memory at once
//! and results do not depend on the thread count.

use std::borrow::Cow;
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::error::{Error, Result};

/// Files at least this large are memory-mapped instead of read.
const MMAP_MIN_BYTES: u64 = 1 << 20;
/// Documents per parallel batch.
const BATCH: usize = 512;
/// Directory entries per chunk made into corpus entries while the walk
/// goes on.
const WALK_CHUNK: usize = 4096;

/// How inputs are read.
#[derive(Debug, Clone)]
pub struct CorpusOptions {
    /// JSON Lines field holding the document id (default `id`).
    pub id_field: String,
    /// JSON Lines field holding the text (default `text`).
    pub text_field: String,
    /// Documents (files or JSON lines) larger than this many bytes are
    /// skipped with a message (default 64 MiB). Bounds memory per document.
    pub max_doc_bytes: u64,
}

impl Default for CorpusOptions {
    fn default() -> Self {
        CorpusOptions {
            id_field: "id".into(),
            text_field: "text".into(),
            max_doc_bytes: 64 << 20,
        }
    }
}

/// Where a document's text can be read again (for explanations).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DocSource {
    /// A whole file.
    File(PathBuf),
    /// One line of a JSON Lines file: 1-based line number and byte offset of
    /// the line's start.
    JsonlLine {
        /// The JSON Lines file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// Byte offset of the line in the file.
        offset: u64,
    },
    /// Given in memory through the library; the text is not kept.
    Memory,
}

impl std::fmt::Display for DocSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DocSource::File(p) => write!(f, "{}", p.display()),
            DocSource::JsonlLine { path, line, .. } => write!(f, "{}:{line}", path.display()),
            DocSource::Memory => write!(f, "<memory>"),
        }
    }
}

/// A document as read.
#[derive(Debug)]
pub struct Document<'a> {
    /// Its id (see the module docs).
    pub id: String,
    /// Its text, UTF-8, offsets identical to the bytes read.
    pub text: Cow<'a, str>,
    /// Where it came from.
    pub source: DocSource,
}

/// Why an input was skipped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum SkipReason {
    /// The file could not be opened or read (permissions, vanished, ...).
    Unreadable,
    /// A NUL byte: not text.
    Binary,
    /// No words at all.
    Empty,
    /// Larger than [`CorpusOptions::max_doc_bytes`].
    TooLarge,
    /// A JSON Lines line that is not a JSON object.
    BadJson,
    /// A JSON Lines object without the id or text field (or of a wrong type).
    MissingField,
    /// An id already seen earlier in the run.
    DuplicateId,
    /// A directory entry that could not be walked (symlink loop, ...).
    Walk,
}

impl SkipReason {
    /// Short human name.
    pub fn as_str(&self) -> &'static str {
        match self {
            SkipReason::Unreadable => "unreadable",
            SkipReason::Binary => "binary",
            SkipReason::Empty => "empty",
            SkipReason::TooLarge => "too large",
            SkipReason::BadJson => "bad json",
            SkipReason::MissingField => "missing field",
            SkipReason::DuplicateId => "duplicate id",
            SkipReason::Walk => "walk error",
        }
    }
}

/// A skipped input: where, why, and a message for people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skip {
    /// `path` or `path:line`.
    pub location: String,
    /// The reason.
    pub reason: SkipReason,
    /// Details.
    pub message: String,
}

impl std::fmt::Display for Skip {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: skipped ({}): {}",
            self.location,
            self.reason.as_str(),
            self.message
        )
    }
}

/// What the reader delivers for each input, in input order.
#[derive(Debug)]
pub enum Event<R> {
    /// A document, already turned into `R` by the caller's function.
    Doc(R),
    /// An input that was skipped.
    Skip(Skip),
    /// A document that was read with a problem worth telling (for example
    /// invalid UTF-8 replaced).
    Warning(String),
}

#[derive(Debug, Clone)]
enum Entry {
    File { path: PathBuf, id: String },
    Jsonl { path: PathBuf },
    Broken(Skip),
}

/// A set of inputs ready to be streamed.
#[derive(Debug, Clone)]
pub struct Corpus {
    entries: Vec<Entry>,
    options: CorpusOptions,
}

fn is_jsonl(path: &Path) -> bool {
    matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("jsonl") | Some("ndjson")
    )
}

/// Patterns from a `.neardupignore` file at the top of a scanned directory:
/// one glob per line (`*` and `?` wildcards; `#` starts a comment), matched
/// against each file's path relative to the directory (with `/`
/// separators) and against its file name. Matching files are not documents.
#[derive(Debug, Clone, Default)]
pub struct IgnoreList {
    patterns: Vec<String>,
}

impl IgnoreList {
    /// Name of the ignore file.
    pub const FILE: &'static str = ".neardupignore";

    /// Reads `dir/.neardupignore` (an absent file ignores nothing).
    pub fn load(dir: &Path) -> IgnoreList {
        let text = std::fs::read_to_string(dir.join(Self::FILE)).unwrap_or_default();
        IgnoreList {
            patterns: text
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty() && !l.starts_with('#'))
                .map(String::from)
                .collect(),
        }
    }

    /// Whether a relative path is ignored.
    pub fn matches(&self, rel: &Path) -> bool {
        if self.patterns.is_empty() {
            return false;
        }
        self.matches_id(&components_id(rel))
    }

    /// Whether a relative path, written as a document id (components
    /// joined by `/`), is ignored: a pattern matches the whole path or its
    /// last component.
    pub fn matches_id(&self, id: &str) -> bool {
        if self.patterns.is_empty() {
            return false;
        }
        let name = id.rsplit('/').next().unwrap_or(id);
        self.patterns
            .iter()
            .any(|p| glob(p.as_bytes(), id.as_bytes()) || glob(p.as_bytes(), name.as_bytes()))
    }
}

/// The components of `rel` joined by `/` (lossily decoded).
fn components_id(rel: &Path) -> String {
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

/// The id of a walked file: its path below `root`, components joined by
/// `/` (lossily decoded).
fn relative_id(root: &Path, path: &Path) -> String {
    #[cfg(unix)]
    {
        if let Some(rest) = plain_rest(root, path) {
            return String::from_utf8_lossy(rest).into_owned();
        }
    }
    components_id(path.strip_prefix(root).unwrap_or(path))
}

/// Walked paths are `root` with names pushed on, so the path below `root`
/// is just the bytes after `root` and a separator when those are plain
/// names (the components of `root` then prefix those of `path`, whatever
/// `root` looks like). `None` otherwise, and the caller strips component by
/// component; a unit test checks both give the same id.
#[cfg(unix)]
fn plain_rest<'a>(root: &Path, path: &'a Path) -> Option<&'a [u8]> {
    use std::os::unix::ffi::OsStrExt;
    let (r, p) = (root.as_os_str().as_bytes(), path.as_os_str().as_bytes());
    let rest = p.strip_prefix(r)?;
    let rest = if r.ends_with(b"/") {
        rest
    } else {
        rest.strip_prefix(b"/")?
    };
    let plain = !rest.is_empty()
        && !rest.starts_with(b"/")
        && !rest.ends_with(b"/")
        && !rest.windows(2).any(|w| w == b"//")
        && !rest.split(|&c| c == b'/').any(|c| c == b"." || c == b"..");
    plain.then_some(rest)
}

/// A walked entry: the first 16 bytes of its order key (see
/// [`key_prefix`]), the whole key when it is not simply the path below the
/// root with `/` as 0 (or the entry has no path), and the entry.
type Walked = (u128, Option<Vec<u8>>, Entry);

/// The first 16 bytes of an order key as a big-endian integer, padded with
/// zeros: integers compare as the keys' first 16 bytes do, and keys with
/// the same prefix are compared whole.
fn key_prefix(key: impl Iterator<Item = u8>) -> u128 {
    let mut bytes = [0u8; 16];
    for (b, k) in bytes.iter_mut().zip(key) {
        *b = k;
    }
    u128::from_be_bytes(bytes)
}

/// [`relative_id`] and the order-key prefix of a walked file, looking at
/// its path once when it is plain (nearly always); the whole order key is
/// made only when it is not.
fn id_and_order_prefix(root: &Path, path: &Path) -> (String, u128, Option<Vec<u8>>) {
    #[cfg(unix)]
    if let Some(rest) = plain_rest(root, path) {
        let prefix = key_prefix(rest.iter().map(|&c| if c == b'/' { 0 } else { c }));
        return (String::from_utf8_lossy(rest).into_owned(), prefix, None);
    }
    let key = walk_order_key(root, path);
    (
        relative_id(root, path),
        key_prefix(key.iter().copied()),
        Some(key),
    )
}

/// The walk's order key of `path`: its components below `root`, raw
/// bytes joined by a zero byte (which no name holds), so that comparing
/// keys compares component by component, as a walk that visits each
/// directory's entries sorted by name orders its files.
fn walk_order_key(root: &Path, path: &Path) -> Vec<u8> {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        if let Some(rest) = plain_rest(root, path) {
            return rest
                .iter()
                .map(|&c| if c == b'/' { 0 } else { c })
                .collect();
        }
        let mut key = Vec::new();
        for (i, c) in path
            .strip_prefix(root)
            .unwrap_or(path)
            .components()
            .enumerate()
        {
            if i > 0 {
                key.push(0);
            }
            key.extend_from_slice(c.as_os_str().as_bytes());
        }
        key
    }
    #[cfg(not(unix))]
    {
        let id = relative_id(root, path);
        id.bytes().map(|c| if c == b'/' { 0 } else { c }).collect()
    }
}

/// Glob match with `*` (any run of characters) and `?` (one character).
fn glob(p: &[u8], s: &[u8]) -> bool {
    let (mut pi, mut si) = (0, 0);
    let (mut star, mut mark) = (None, 0);
    while si < s.len() {
        if pi < p.len() && (p[pi] == b'?' || p[pi] == s[si]) {
            pi += 1;
            si += 1;
        } else if pi < p.len() && p[pi] == b'*' {
            star = Some(pi);
            mark = si;
            pi += 1;
        } else if let Some(st) = star {
            pi = st + 1;
            mark += 1;
            si = mark;
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == b'*' {
        pi += 1;
    }
    pi == p.len()
}

fn is_hidden(name: &std::ffi::OsStr) -> bool {
    name.to_str().map(|s| s.starts_with('.')).unwrap_or(false)
}

/// The entry of a walked regular file (`None` when the ignore list
/// leaves it out).
fn file_entry(root: &Path, path: PathBuf, ignore: &IgnoreList) -> Option<Walked> {
    let (id, prefix, key) = id_and_order_prefix(root, &path);
    if ignore.matches_id(&id) {
        None
    } else if is_jsonl(&path) {
        Some((prefix, key, Entry::Jsonl { path }))
    } else {
        Some((prefix, key, Entry::File { path, id }))
    }
}

/// Every file under `root` (links followed, hidden entries left out), in
/// walk order, through walkdir. Listing is serial; ids and keys are made in
/// parallel, a chunk of entries at a time while the listing goes on.
fn tree_walk(root: &Path, ignore: &IgnoreList) -> Vec<Walked> {
    let mut walker = walkdir::WalkDir::new(root)
        .follow_links(true)
        .into_iter()
        .filter_entry(|e| e.depth() == 0 || !is_hidden(e.file_name()));
    let chunks = std::iter::from_fn(|| {
        let chunk: Vec<walkdir::Result<walkdir::DirEntry>> =
            walker.by_ref().take(WALK_CHUNK).collect();
        (!chunk.is_empty()).then_some(chunk)
    });
    let entries_of = |chunk: Vec<walkdir::Result<walkdir::DirEntry>>| -> Vec<Walked> {
        chunk
            .into_par_iter()
            .with_min_len(1024)
            .filter_map(|item| match item {
                Ok(e) if e.file_type().is_file() => file_entry(root, e.into_path(), ignore),
                Ok(_) => None,
                Err(err) => {
                    let key = err
                        .path()
                        .map(|p| walk_order_key(root, p))
                        .unwrap_or_default();
                    let location = err
                        .path()
                        .map(|p| p.display().to_string())
                        .unwrap_or_else(|| root.display().to_string());
                    Some((
                        key_prefix(key.iter().copied()),
                        Some(key),
                        Entry::Broken(Skip {
                            location,
                            reason: SkipReason::Walk,
                            message: err.to_string(),
                        }),
                    ))
                }
            })
            .collect()
    };
    let mut walked: Vec<Walked> = Vec::new();
    pipelined(chunks, entries_of, |part| walked.extend(part));
    walked
}

/// [`tree_walk`] of a directory that holds only regular files (apart from
/// hidden entries, which are left out whatever they are), as the directory
/// itself tells the types: one `readdir` per entry and nothing made on this
/// thread but the list of names, where walkdir makes a path and an entry
/// (two allocations) each. `None`, the walk left to [`tree_walk`], at the
/// first entry that is anything else (a directory, a link, a type the file
/// system does not tell) or when the listing fails.
#[cfg(target_os = "linux")]
fn flat_walk(root: &Path, ignore: &IgnoreList) -> Option<Vec<Walked>> {
    use std::os::unix::ffi::OsStrExt;
    struct Dir(*mut libc::DIR);
    impl Drop for Dir {
        fn drop(&mut self) {
            // SAFETY: the stream was opened by `opendir` and is closed once.
            unsafe { libc::closedir(self.0) };
        }
    }
    let cpath = std::ffi::CString::new(root.as_os_str().as_bytes()).ok()?;
    // SAFETY: `cpath` is a NUL-terminated path.
    let dir = Dir(unsafe { libc::opendir(cpath.as_ptr()) });
    if dir.0.is_null() {
        return None;
    }
    let flat = std::cell::Cell::new(true);
    // Chunks of names, back to back, with the end of each.
    let chunks = std::iter::from_fn(|| {
        let (mut names, mut ends) = (Vec::with_capacity(WALK_CHUNK * 24), Vec::new());
        while flat.get() && ends.len() < WALK_CHUNK {
            // SAFETY: `errno` is this thread's; `dir.0` is an open stream,
            // and the entry it returns is valid until the next call.
            let (ty, name) = unsafe {
                *libc::__errno_location() = 0;
                let entry = libc::readdir(dir.0);
                if entry.is_null() {
                    if *libc::__errno_location() != 0 {
                        flat.set(false);
                    }
                    break;
                }
                let name = std::ffi::CStr::from_ptr((*entry).d_name.as_ptr()).to_bytes();
                ((*entry).d_type, name)
            };
            if is_hidden(std::ffi::OsStr::from_bytes(name)) {
                continue;
            }
            if ty != libc::DT_REG {
                flat.set(false);
                break;
            }
            names.extend_from_slice(name);
            ends.push(names.len());
        }
        (flat.get() && !ends.is_empty()).then_some((names, ends))
    });
    let entries_of = |(names, ends): (Vec<u8>, Vec<usize>)| -> Vec<Walked> {
        (0..ends.len())
            .into_par_iter()
            .with_min_len(1024)
            .filter_map(|i| {
                let start = if i == 0 { 0 } else { ends[i - 1] };
                let name = std::ffi::OsStr::from_bytes(&names[start..ends[i]]);
                file_entry(root, root.join(name), ignore)
            })
            .collect()
    };
    let mut walked: Vec<Walked> = Vec::new();
    pipelined(chunks, entries_of, |part| walked.extend(part));
    flat.get().then_some(walked)
}

impl Corpus {
    /// Lists the documents under `inputs` (directories, files, JSON Lines).
    /// Fails only when an input root itself cannot be read.
    pub fn open<P: AsRef<Path>>(inputs: &[P], options: CorpusOptions) -> Result<Corpus> {
        let mut entries = Vec::new();
        for input in inputs {
            let root = input.as_ref();
            let meta = std::fs::metadata(root).map_err(|source| Error::Input {
                path: root.to_path_buf(),
                source,
            })?;
            if meta.is_dir() {
                std::fs::read_dir(root).map_err(|source| Error::Input {
                    path: root.to_path_buf(),
                    source,
                })?;
                // Entries of each directory are visited in name order. The
                // walk itself is unsorted (walkdir's sort re-parses both
                // paths at every comparison); the entries are sorted after,
                // by keys that compare component by component, which is
                // the same order.
                let ignore = IgnoreList::load(root);
                #[cfg(target_os = "linux")]
                let flat = flat_walk(root, &ignore);
                #[cfg(not(target_os = "linux"))]
                let flat = None;
                let mut walked = match flat {
                    Some(walked) => walked,
                    None => tree_walk(root, &ignore),
                };
                // By key prefix, then (rarely) by whole key: the order of
                // the whole keys, with 16-byte integer comparisons for
                // nearly every pair. Two entries have the same key only when
                // neither has a path (walk errors): their locations and
                // messages order them then, so the order never depends on
                // the walk's.
                fn whole<'w>(root: &Path, w: &'w Walked) -> Cow<'w, [u8]> {
                    match (&w.1, &w.2) {
                        (Some(key), _) => Cow::Borrowed(key),
                        (None, Entry::File { path, .. } | Entry::Jsonl { path }) => {
                            Cow::Owned(walk_order_key(root, path))
                        }
                        (None, Entry::Broken(_)) => Cow::Borrowed(&[]),
                    }
                }
                fn tie(w: &Walked) -> (&str, &str) {
                    match &w.2 {
                        Entry::Broken(skip) => (&skip.location, &skip.message),
                        Entry::File { .. } | Entry::Jsonl { .. } => ("", ""),
                    }
                }
                walked.par_sort_unstable_by(|a, b| {
                    a.0.cmp(&b.0)
                        .then_with(|| whole(root, a).cmp(&whole(root, b)))
                        .then_with(|| tie(a).cmp(&tie(b)))
                });
                entries.extend(walked.into_iter().map(|(_, _, e)| e));
            } else if is_jsonl(root) {
                entries.push(Entry::Jsonl {
                    path: root.to_path_buf(),
                });
            } else {
                let id = root
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_else(|| root.display().to_string());
                entries.push(Entry::File {
                    path: root.to_path_buf(),
                    id,
                });
            }
        }
        Ok(Corpus { entries, options })
    }

    /// Number of listed inputs (files, JSON Lines files and walk errors).
    pub fn entries(&self) -> usize {
        self.entries.len()
    }

    /// Total size in bytes of the listed files (for progress reporting).
    pub fn total_bytes(&self) -> u64 {
        // One `stat` per file, in parallel.
        self.entries
            .par_iter()
            .map(|e| match e {
                Entry::File { path, .. } | Entry::Jsonl { path } => {
                    std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
                }
                Entry::Broken(_) => 0,
            })
            .sum()
    }

    /// Streams every document through `f` (in parallel, batch by batch) and
    /// hands the results, skips and warnings to `sink` in input order.
    /// `progress` is called with the number of bytes consumed after each batch.
    pub fn process<R, F, S>(&self, f: F, mut sink: S, mut progress: impl FnMut(u64))
    where
        R: Send,
        F: Fn(Document<'_>) -> R + Sync,
        S: FnMut(Event<R>),
    {
        let opts = &self.options;
        let f = &f;
        let mut rest = &self.entries[..];
        while let Some(entry) = rest.first() {
            match entry {
                Entry::File { .. } => {
                    // A run of files, read in batches.
                    let files: Vec<(&Path, &str)> = rest
                        .iter()
                        .map_while(|e| match e {
                            Entry::File { path, id } => Some((path.as_path(), id.as_str())),
                            _ => None,
                        })
                        .collect();
                    rest = &rest[files.len()..];
                    let read = |batch: &[(&Path, &str)]| read_file_batch(batch, opts, f);
                    pipelined(files.chunks(BATCH), read, |done| {
                        let mut bytes = 0;
                        for d in done {
                            bytes += d.bytes;
                            if let Some(w) = d.warning {
                                sink(Event::Warning(w));
                            }
                            sink(d.event);
                        }
                        progress(bytes);
                    });
                    close_openers();
                }
                Entry::Jsonl { path } => {
                    read_jsonl(path, opts, f, &mut sink, &mut progress);
                    rest = &rest[1..];
                }
                Entry::Broken(skip) => {
                    sink(Event::Skip(skip.clone()));
                    rest = &rest[1..];
                }
            }
        }
    }
}

/// Runs `work` on each batch that `batches` gives, in parallel on the pool,
/// and hands the outputs to `deliver` in batch order on this thread, which
/// also takes the batches: both are serial by nature (a sink in input
/// order, lines read from a stream). A few batches are kept in flight, so
/// the workers go on to the next batch while this thread delivers one, and
/// never wait at a batch's end for it to hand them the next.
fn pipelined<B: Send, O: Send>(
    batches: impl Iterator<Item = B>,
    work: impl Fn(B) -> O + Sync,
    mut deliver: impl FnMut(O),
) {
    use std::sync::mpsc;
    /// Batches given out beyond the one awaited. Four rather than two: the
    /// delivering thread shares the cores with the workers, and when it is
    /// not scheduled at once, two batches ahead could run out before it
    /// handed out more (100k `read` stage 10-20 ms shorter). At most five
    /// batches are in memory (of JSON Lines: 5 x 64 MiB at worst).
    const AHEAD: usize = 4;
    let work = &work;
    rayon::in_place_scope(|s| {
        let mut in_flight = std::collections::VecDeque::with_capacity(AHEAD + 1);
        for batch in batches {
            let (tx, rx) = mpsc::sync_channel(1);
            s.spawn(move |_| {
                // The receiver only goes away when a batch before this one
                // panicked: the scope then reports that panic.
                let _ = tx.send(work(batch));
            });
            in_flight.push_back(rx);
            if in_flight.len() > AHEAD {
                let rx = in_flight.pop_front().expect("more than AHEAD in flight");
                match wait(&rx) {
                    Some(out) => deliver(out),
                    None => return, // the batch panicked: the scope re-raises it
                }
            }
        }
        for rx in in_flight {
            match wait(&rx) {
                Some(out) => deliver(out),
                None => return,
            }
        }
    });
}

/// Waits for a batch's output: blocking when called from outside the pool,
/// running the pool's jobs meanwhile when called from one of its threads (a
/// blocked worker could leave the batch with no thread to run it). `None`
/// when the batch's job ended without an output (it panicked).
fn wait<O>(rx: &std::sync::mpsc::Receiver<O>) -> Option<O> {
    use std::sync::mpsc::TryRecvError;
    loop {
        match rx.try_recv() {
            Ok(out) => return Some(out),
            Err(TryRecvError::Disconnected) => return None,
            Err(TryRecvError::Empty) => match rayon::yield_now() {
                None => return rx.recv().ok(),
                Some(rayon::Yield::Executed) => {}
                Some(rayon::Yield::Idle) => std::thread::yield_now(),
            },
        }
    }
}

/// Decodes bytes as UTF-8, replacing each invalid byte with `?` so that
/// offsets are unchanged. Returns the text and whether anything was replaced.
pub fn decode(bytes: &[u8]) -> (Cow<'_, str>, bool) {
    match std::str::from_utf8(bytes) {
        Ok(s) => (Cow::Borrowed(s), false),
        Err(_) => {
            let mut out = Vec::with_capacity(bytes.len());
            for chunk in bytes.utf8_chunks() {
                out.extend_from_slice(chunk.valid().as_bytes());
                out.extend(std::iter::repeat_n(b'?', chunk.invalid().len()));
            }
            // Only valid UTF-8 and ASCII '?' were written.
            let s = String::from_utf8(out).expect("valid by construction");
            (Cow::Owned(s), true)
        }
    }
}

fn looks_binary(bytes: &[u8]) -> bool {
    bytes[..bytes.len().min(8192)].contains(&0)
}

enum Bytes<'a> {
    Buf(&'a [u8]),
    Map(memmap2::Mmap),
}

impl std::ops::Deref for Bytes<'_> {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            Bytes::Buf(v) => v,
            Bytes::Map(m) => m,
        }
    }
}

/// Opens files, on Linux relative to a descriptor of their directory kept
/// from the file before: files come in walk order, so most share the
/// previous file's directory, and the kernel then resolves one name instead
/// of every component of the path.
#[derive(Default)]
struct Opener {
    #[cfg(target_os = "linux")]
    dir: Option<(PathBuf, std::os::fd::OwnedFd)>,
}

impl Opener {
    fn open(&mut self, path: &Path) -> std::io::Result<File> {
        #[cfg(target_os = "linux")]
        if let Some(file) = self.open_at(path) {
            return file;
        }
        File::open(path)
    }

    /// `None` when the directory cannot be opened (the plain open then
    /// reports the error) or the name does not fit the stack buffer.
    #[cfg(target_os = "linux")]
    fn open_at(&mut self, path: &Path) -> Option<std::io::Result<File>> {
        use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
        use std::os::unix::ffi::OsStrExt;
        let (parent, name) = (path.parent()?, path.file_name()?.as_bytes());
        let mut cname = [0u8; 256];
        if name.len() >= cname.len() || parent.as_os_str().is_empty() {
            return None;
        }
        cname[..name.len()].copy_from_slice(name);
        if self.dir.as_ref().map(|(p, _)| p.as_path()) != Some(parent) {
            self.dir = None;
            let cdir = std::ffi::CString::new(parent.as_os_str().as_bytes()).ok()?;
            // SAFETY: `cdir` is a NUL-terminated path; the descriptor
            // returned, when valid, is owned by nothing else.
            let fd = unsafe {
                libc::open(
                    cdir.as_ptr(),
                    libc::O_PATH | libc::O_DIRECTORY | libc::O_CLOEXEC,
                )
            };
            if fd < 0 {
                return None;
            }
            // SAFETY: `fd` was just opened and is owned here only.
            self.dir = Some((parent.to_path_buf(), unsafe { OwnedFd::from_raw_fd(fd) }));
        }
        let dir = self.dir.as_ref()?.1.as_raw_fd();
        // SAFETY: `cname` is NUL-terminated (the name is shorter than the
        // buffer and holds no NUL); `dir` is a live directory descriptor.
        let fd =
            unsafe { libc::openat(dir, cname.as_ptr().cast(), libc::O_RDONLY | libc::O_CLOEXEC) };
        Some(if fd < 0 {
            Err(std::io::Error::last_os_error())
        } else {
            // SAFETY: as above.
            Ok(File::from(unsafe { OwnedFd::from_raw_fd(fd) }))
        })
    }
}

/// Bytes read before asking the file for its size: most documents are
/// smaller, and need no `stat` at all.
const FIRST_READ: usize = 256 << 10;

/// Why a file gave no bytes: the skip's reason and message.
type Failed = (SkipReason, String);

/// Reads the file at `path` into `buf` (small files: the bytes returned
/// are a prefix of `buf`, which keeps whatever length it had) or maps it
/// (large ones), waiting for the disk if need be.
fn read_bytes<'a>(
    path: &Path,
    max: u64,
    buf: &'a mut Vec<u8>,
    opener: &mut Opener,
) -> std::result::Result<Bytes<'a>, Failed> {
    let file = opener.open(path).map_err(unreadable)?;
    read_rest(file, 0, max, buf)
}

/// A file none of whose data was in the page cache: the kernel was asked
/// to fetch it, and it is to be read again later.
#[derive(Debug)]
struct NotCached;

/// Like [`read_bytes`], but gives up (`Ok(Err(NotCached))`), having asked
/// the kernel to fetch the file, when some of its data is not in the page
/// cache: the caller reads other files meanwhile and comes back to it with
/// [`read_bytes`], instead of leaving its core idle while the disk answers.
/// The file is closed meanwhile (a batch of files out of memory would
/// otherwise hold hundreds of descriptors). Where reads that do not wait
/// are not supported, reads as [`read_bytes`] does.
fn read_bytes_cached<'a>(
    path: &Path,
    max: u64,
    buf: &'a mut Vec<u8>,
    opener: &mut Opener,
) -> std::result::Result<std::result::Result<Bytes<'a>, NotCached>, Failed> {
    let file = opener.open(path).map_err(unreadable)?;
    let first = first_read_len(max);
    if buf.len() < first {
        buf.resize(first, 0);
    }
    let mut n = 0;
    // Until the end of the file or a full buffer, without waiting: a file
    // only partly in memory is left for later too, rather than read on
    // while the disk answers (the end of a fully cached file is the read
    // that gives 0 bytes).
    while n < first {
        match read_without_waiting(&file, &mut buf[n..first]) {
            NoWait::Read(0) => return Ok(Ok(Bytes::Buf(&buf[..n]))),
            NoWait::Read(got) => n += got,
            // Only a regular file can be opened again and read from its
            // start (not a pipe or a device named on the command line).
            NoWait::NotCached if file.metadata().is_ok_and(|m| m.is_file()) => {
                return Ok(Err(NotCached))
            }
            NoWait::NotCached | NoWait::Unsupported => break,
        }
    }
    read_rest(file, n, max, buf).map(Ok)
}

fn unreadable(e: std::io::Error) -> Failed {
    (SkipReason::Unreadable, e.to_string())
}

/// How much of a file the first read asks for (one byte over `max`, so
/// that a file just over the limit is seen to be).
fn first_read_len(max: u64) -> usize {
    (FIRST_READ as u64).min(max.saturating_add(1)) as usize
}

/// Reads the rest of `file`, whose first `n` bytes are already at the
/// start of `buf` (see [`read_bytes`]).
fn read_rest<'a>(
    mut file: File,
    mut n: usize,
    max: u64,
    buf: &'a mut Vec<u8>,
) -> std::result::Result<Bytes<'a>, Failed> {
    let too_large = |len: u64| {
        (
            SkipReason::TooLarge,
            format!("{len} bytes is over the limit of {max} bytes (--max-doc-bytes)"),
        )
    };
    // Reads straight into a buffer larger than most documents (kept
    // initialized, so each read may ask for all of it: one read for the
    // text and one for the end of the file, whatever the text's size);
    // only a file that fills it is asked for its size (to refuse or map
    // it).
    let first = first_read_len(max);
    if buf.len() < first {
        buf.resize(first, 0);
    }
    while n < first {
        match file.read(&mut buf[n..first]) {
            Ok(0) => break,
            Ok(got) => n += got,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(unreadable(e)),
        }
    }
    if n < first {
        return Ok(Bytes::Buf(&buf[..n]));
    }
    buf.truncate(first);
    let len = file.metadata().map_err(unreadable)?.len();
    if len > max {
        return Err(too_large(len));
    }
    if len >= MMAP_MIN_BYTES {
        // SAFETY: the map is read-only and dropped before this
        // document's processing ends; a file truncated by another
        // process meanwhile can fault, which is the documented memmap2
        // caveat for inputs that change while being scanned.
        let map = unsafe { memmap2::Mmap::map(&file) }.map_err(unreadable)?;
        return Ok(Bytes::Map(map));
    }
    buf.reserve(len.saturating_sub(first as u64) as usize + 1);
    (&mut file)
        .take(max.saturating_add(1) - first as u64)
        .read_to_end(buf)
        .map_err(unreadable)?;
    if buf.len() as u64 > max {
        return Err((
            SkipReason::TooLarge,
            format!("over the limit of {max} bytes (--max-doc-bytes)"),
        ));
    }
    Ok(Bytes::Buf(buf))
}

/// What a read that does not wait for the disk gave.
enum NoWait {
    /// This many bytes (0 at the end of the file), from the page cache.
    Read(usize),
    /// None of the data asked for is in memory; the kernel was asked to
    /// fetch the file.
    NotCached,
    /// Not supported here (or another error, which a plain read reports).
    Unsupported,
}

/// Reads into `buf` from the file's position only what the page cache
/// holds (`preadv2` with `RWF_NOWAIT`).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn read_without_waiting(file: &File, buf: &mut [u8]) -> NoWait {
    use std::os::fd::AsRawFd;
    let fd = file.as_raw_fd();
    let iov = libc::iovec {
        iov_base: buf.as_mut_ptr().cast(),
        iov_len: buf.len(),
    };
    loop {
        // SAFETY: `iov` describes `buf`, which is valid for writes of its
        // length; offset -1 reads at (and advances) the file's position.
        let got = unsafe { libc::preadv2(fd, &iov, 1, -1, libc::RWF_NOWAIT) };
        if got >= 0 {
            return NoWait::Read(got as usize);
        }
        match std::io::Error::last_os_error().raw_os_error() {
            Some(libc::EINTR) => continue,
            Some(libc::EAGAIN) => {
                // Starts reading the file in; the answer is only advice,
                // so its result does not matter.
                // SAFETY: plain system call on a live descriptor.
                unsafe { libc::posix_fadvise(fd, 0, 0, libc::POSIX_FADV_WILLNEED) };
                return NoWait::NotCached;
            }
            _ => return NoWait::Unsupported,
        }
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn read_without_waiting(_file: &File, _buf: &mut [u8]) -> NoWait {
    NoWait::Unsupported
}

/// Reads a text the way the corpus reader does (binary check, UTF-8
/// replacement); used to reload a document for an explanation.
pub fn load_source(source: &DocSource, options: &CorpusOptions) -> Result<String> {
    let io = |path: &Path, msg: String| Error::Io {
        path: path.to_path_buf(),
        source: std::io::Error::other(msg),
    };
    match source {
        DocSource::File(path) => {
            let read = |buf: &mut Vec<u8>| {
                let bytes = read_bytes(path, options.max_doc_bytes, buf, &mut Opener::default())
                    .map_err(|(_, m)| io(path, m))?;
                Ok(decode(&bytes).0.into_owned())
            };
            // The thread's read buffer (initialized once), unless it is
            // in use further up this thread's stack.
            READ_BUF.with(|buf| match buf.try_borrow_mut() {
                Ok(mut buf) => read(&mut buf),
                Err(_) => read(&mut Vec::new()),
            })
        }
        DocSource::JsonlLine { path, line, offset } => {
            let mut file = File::open(path).map_err(|source| Error::Io {
                path: path.clone(),
                source,
            })?;
            use std::io::Seek;
            file.seek(std::io::SeekFrom::Start(*offset))
                .map_err(|source| Error::Io {
                    path: path.clone(),
                    source,
                })?;
            let mut reader = BufReader::new(file);
            let mut buf = Vec::new();
            reader
                .read_until(b'\n', &mut buf)
                .map_err(|source| Error::Io {
                    path: path.clone(),
                    source,
                })?;
            match parse_json_line(&buf, options) {
                Ok((_, text)) => Ok(text),
                Err((_, m)) => Err(io(path, format!("line {line}: {m}"))),
            }
        }
        DocSource::Memory => Err(Error::Config(
            "document was given in memory; its text was not kept".into(),
        )),
    }
}

/// What reading one file gave: a warning to tell first (if any), the
/// document or the skip, and the bytes read. No allocation of its own.
struct FileDone<R> {
    warning: Option<String>,
    event: Event<R>,
    bytes: u64,
}

/// Reads one file's document with `read` (into the thread's buffer) and
/// runs `f` on it. `Err(later)` when `read` leaves the file to be read
/// later (see [`read_bytes_cached`]).
fn read_file_doc<R, L>(
    path: &Path,
    id: &str,
    f: &(impl Fn(Document<'_>) -> R + Sync),
    read: impl for<'b> FnOnce(
        &'b mut Vec<u8>,
    ) -> std::result::Result<std::result::Result<Bytes<'b>, L>, Failed>,
) -> std::result::Result<FileDone<R>, L> {
    let skip = |reason, message, bytes| FileDone {
        warning: None,
        event: Event::Skip(Skip {
            location: path.display().to_string(),
            reason,
            message,
        }),
        bytes,
    };
    // Small files are read into a buffer kept per thread, not one
    // allocation each.
    READ_BUF.with(|buf| {
        let buf = &mut *buf.borrow_mut();
        let bytes = match read(buf) {
            Ok(Ok(b)) => b,
            Ok(Err(later)) => return Err(later),
            Err((reason, message)) => return Ok(skip(reason, message, 0)),
        };
        let n = bytes.len() as u64;
        if looks_binary(&bytes) {
            return Ok(skip(SkipReason::Binary, "contains NUL bytes".into(), n));
        }
        let (text, replaced) = decode(&bytes);
        let warning =
            replaced.then(|| format!("{}: invalid UTF-8 replaced by '?'", path.display()));
        let event = Event::Doc(f(Document {
            id: id.to_string(),
            text,
            source: DocSource::File(path.to_path_buf()),
        }));
        drop(bytes);
        if buf.capacity() > 4 * MMAP_MIN_BYTES as usize {
            *buf = Vec::new(); // a file grew while read: do not keep its size
        }
        Ok(FileDone {
            warning,
            event,
            bytes: n,
        })
    })
}

/// Reads a batch of files in parallel. A file whose data is not in the
/// page cache is not waited for: the kernel is asked for it and it is read
/// after the rest of the batch, by when the disk has mostly answered.
fn read_file_batch<R: Send>(
    batch: &[(&Path, &str)],
    opts: &CorpusOptions,
    f: &(impl Fn(Document<'_>) -> R + Sync),
) -> impl Iterator<Item = FileDone<R>> {
    let max = opts.max_doc_bytes;
    let first: Vec<std::result::Result<FileDone<R>, NotCached>> = batch
        .par_iter()
        .enumerate()
        .map(|(i, (path, id))| {
            // The names, allocated one by one at the walk, are far apart
            // in memory: the next file's are asked for while this one is
            // read.
            if let Some((path, id)) = batch.get(i + 1) {
                crate::prefetch::bytes(path.as_os_str().as_encoded_bytes());
                crate::prefetch::bytes(id.as_bytes());
            }
            with_opener(|opener| {
                read_file_doc(path, id, f, |buf| read_bytes_cached(path, max, buf, opener))
            })
        })
        .collect();
    // Files left for later, read in batch order; each then takes its
    // place among the others.
    let later: Vec<usize> = (0..first.len()).filter(|&i| first[i].is_err()).collect();
    let mut read_later = later
        .into_par_iter()
        .map(|i| {
            let (path, id) = batch[i];
            with_opener(|opener| {
                let Ok(d) = read_file_doc::<R, std::convert::Infallible>(path, id, f, |buf| {
                    read_bytes(path, max, buf, opener).map(Ok)
                });
                d
            })
        })
        .collect::<Vec<_>>()
        .into_iter();
    // Taken in order as the batch is delivered (not gathered into another
    // list first: a record is a few hundred bytes).
    first.into_iter().map(move |r| {
        r.unwrap_or_else(|NotCached| read_later.next().expect("one per file left for later"))
    })
}

thread_local! {
    static READ_BUF: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
    /// The thread's [`Opener`]: its directory stays open from one batch to
    /// the next (a run of files ends with [`close_openers`]).
    static OPENER: std::cell::RefCell<Opener> = std::cell::RefCell::new(Opener::default());
}

/// Runs `f` with this thread's [`Opener`] (a fresh one if it is in use
/// further up this thread's stack: a batch's job can run while another
/// waits on the same thread).
fn with_opener<T>(f: impl FnOnce(&mut Opener) -> T) -> T {
    OPENER.with(|o| match o.try_borrow_mut() {
        Ok(mut opener) => f(&mut opener),
        Err(_) => f(&mut Opener::default()),
    })
}

/// Closes the directories the pool's threads keep open for [`Opener`]s.
fn close_openers() {
    let close = || OPENER.with(|o| o.try_borrow_mut().map(|mut o| *o = Opener::default()).ok());
    rayon::broadcast(|_| close());
    close();
}

fn parse_json_line(
    line: &[u8],
    opts: &CorpusOptions,
) -> std::result::Result<(String, String), (SkipReason, String)> {
    let value: serde_json::Value = serde_json::from_slice(line)
        .map_err(|e| (SkipReason::BadJson, format!("not valid JSON: {e}")))?;
    let obj = value
        .as_object()
        .ok_or((SkipReason::BadJson, "not a JSON object".to_string()))?;
    let id = match obj.get(&opts.id_field) {
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(serde_json::Value::Number(n)) => n.to_string(),
        Some(_) => {
            return Err((
                SkipReason::MissingField,
                format!("field {:?} is not a string or number", opts.id_field),
            ))
        }
        None => {
            return Err((
                SkipReason::MissingField,
                format!("no {:?} field", opts.id_field),
            ))
        }
    };
    let text = match obj.get(&opts.text_field) {
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(_) => {
            return Err((
                SkipReason::MissingField,
                format!("field {:?} is not a string", opts.text_field),
            ))
        }
        None => {
            return Err((
                SkipReason::MissingField,
                format!("no {:?} field", opts.text_field),
            ))
        }
    };
    Ok((id, text))
}

fn read_jsonl<R: Send>(
    path: &Path,
    opts: &CorpusOptions,
    f: &(impl Fn(Document<'_>) -> R + Sync),
    sink: &mut impl FnMut(Event<R>),
    progress: &mut impl FnMut(u64),
) {
    let file = match File::open(path) {
        Ok(f) => f,
        Err(e) => {
            sink(Event::Skip(Skip {
                location: path.display().to_string(),
                reason: SkipReason::Unreadable,
                message: e.to_string(),
            }));
            return;
        }
    };
    let reader = BufReader::with_capacity(1 << 20, file);
    read_jsonl_from(reader, path, opts, f, sink, progress);
}

/// Reads JSON Lines documents from any reader (`path` names it in
/// messages and in each document's [`DocSource`]). Used for files, and
/// directly by tests and the fuzz targets.
pub fn read_jsonl_from<R: Send>(
    mut reader: impl BufRead,
    path: &Path,
    opts: &CorpusOptions,
    f: &(impl Fn(Document<'_>) -> R + Sync),
    sink: &mut impl FnMut(Event<R>),
    progress: &mut impl FnMut(u64),
) {
    // (line number, offset, bytes or too-long marker)
    type Lines = Vec<(usize, u64, std::result::Result<Vec<u8>, u64>)>;
    let mut line_no = 0usize;
    let mut offset = 0u64;
    let mut done = false;
    // Batches of lines, read on this thread: the lines, their size in
    // bytes, and a read error that ended the file after them.
    let batches = std::iter::from_fn(|| {
        let (mut batch, mut batch_bytes, mut error) = (Lines::new(), 0u64, None);
        while !done && batch.len() < BATCH && batch_bytes < (64 << 20) {
            line_no += 1;
            match read_line_bounded(&mut reader, opts.max_doc_bytes) {
                Ok(None) => done = true,
                Ok(Some((line, consumed))) => {
                    batch_bytes += consumed;
                    batch.push((line_no, offset, line));
                    offset += consumed;
                }
                Err(e) => {
                    error = Some(Skip {
                        location: format!("{}:{line_no}", path.display()),
                        reason: SkipReason::Unreadable,
                        message: e.to_string(),
                    });
                    done = true;
                }
            }
        }
        (!batch.is_empty() || error.is_some()).then_some((batch, batch_bytes, error))
    });
    let work =
        |(batch, bytes, error): (Lines, u64, Option<Skip>)| -> (LineEvents<R>, u64, Option<Skip>) {
            let events = batch
                .par_iter()
                .map(|(line, off, bytes)| {
                    let location = format!("{}:{line}", path.display());
                    let skip = |reason, message| {
                        Some(vec![Event::Skip(Skip {
                            location: location.clone(),
                            reason,
                            message,
                        })])
                    };
                    let bytes = match bytes {
                        Ok(b) => b,
                        Err(len) => {
                            return skip(
                                SkipReason::TooLarge,
                                format!(
                            "line of {len} bytes is over the limit of {} bytes (--max-doc-bytes)",
                            opts.max_doc_bytes
                        ),
                            )
                        }
                    };
                    let trimmed = bytes.trim_ascii();
                    if trimmed.is_empty() {
                        return None; // blank lines are not documents
                    }
                    match parse_json_line(trimmed, opts) {
                        Ok((id, text)) => Some(vec![Event::Doc(f(Document {
                            id,
                            text: Cow::Owned(text),
                            source: DocSource::JsonlLine {
                                path: path.to_path_buf(),
                                line: *line,
                                offset: *off,
                            },
                        }))]),
                        Err((reason, message)) => skip(reason, message),
                    }
                })
                .collect();
            (events, bytes, error)
        };
    pipelined(batches, work, |(events, bytes, error)| {
        for e in events.into_iter().flatten().flatten() {
            sink(e);
        }
        if let Some(error) = error {
            sink(Event::Skip(error));
        }
        progress(bytes);
    });
}

/// The events of a batch of JSON Lines, one entry per line (`None` for a
/// blank line).
type LineEvents<R> = Vec<Option<Vec<Event<R>>>>;

/// Reads one line (without its newline), keeping at most `max` bytes: a
/// longer line is consumed and returned as `Err(length)`.
#[allow(clippy::type_complexity)]
fn read_line_bounded(
    reader: &mut impl BufRead,
    max: u64,
) -> std::io::Result<Option<(std::result::Result<Vec<u8>, u64>, u64)>> {
    let mut line = Vec::new();
    let mut total = 0u64;
    let mut too_long = false;
    loop {
        let buf = reader.fill_buf()?;
        if buf.is_empty() {
            if total == 0 {
                return Ok(None);
            }
            break;
        }
        let (chunk, found) = match memchr::memchr(b'\n', buf) {
            Some(i) => (&buf[..=i], true),
            None => (buf, false),
        };
        let n = chunk.len();
        total += n as u64;
        if !too_long {
            if total > max + 1 {
                too_long = true;
                line = Vec::new();
            } else {
                line.extend_from_slice(chunk);
            }
        }
        reader.consume(n);
        if found {
            break;
        }
    }
    if too_long {
        return Ok(Some((Err(total), total)));
    }
    if line.last() == Some(&b'\n') {
        line.pop();
    }
    Ok(Some((Ok(line), total)))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The file ids `Corpus::open` lists under `root`, and those of a
    /// walkdir walk sorted by name (hidden entries left out).
    fn listed_and_sorted_walk(root: &Path) -> (Vec<String>, Vec<String>) {
        let want: Vec<String> = walkdir::WalkDir::new(root)
            .sort_by_file_name()
            .into_iter()
            .filter_entry(|e| e.depth() == 0 || !is_hidden(e.file_name()))
            .filter_map(|e| e.ok())
            .filter(|e| e.file_type().is_file())
            .map(|e| relative_id(root, e.path()))
            .collect();
        let corpus = Corpus::open(&[root], CorpusOptions::default()).unwrap();
        let got: Vec<String> = corpus
            .entries
            .iter()
            .filter_map(|e| match e {
                Entry::File { id, .. } => Some(id.clone()),
                _ => None,
            })
            .collect();
        (got, want)
    }

    #[test]
    fn walk_order_is_a_sorted_walk() {
        let dir = tempfile::tempdir().unwrap();
        let names = [
            "a/b.txt",
            "a.b",
            "a-c",
            "a/b/c.txt",
            "a/b0",
            "B",
            "a b/x",
            "a/.hid/x",
            "z",
            "a/b/",
            "ü/x",
            "a0/y",
            // Keys that share their first 16 bytes (compared whole).
            "0123456789abcdef/x",
            "0123456789abcde/x",
            "0123456789abcdefg",
            "0123456789abcdef0",
            "0123456789abcdeg",
            "0123456789abcde.x",
        ];
        for n in names {
            let p = dir.path().join(n);
            if n.ends_with('/') {
                std::fs::create_dir_all(&p).unwrap();
                continue;
            }
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(&p, "text").unwrap();
        }
        let (got, want) = listed_and_sorted_walk(dir.path());
        assert_eq!(got.len(), 16);
        assert_eq!(got, want);

        // Past one chunk of the walk (entries are made chunk by chunk
        // while the listing goes on): the same order, every file once,
        // hidden ones left out.
        let dir = tempfile::tempdir().unwrap();
        let mut made = 0;
        for (d, n) in [("b", 4000), ("a", 3500), ("c/d", 1500), (".hidden", 10)] {
            let sub = dir.path().join(d);
            std::fs::create_dir_all(&sub).unwrap();
            for i in 0..n {
                std::fs::write(sub.join(format!("{}.txt", (i * 7919) % n)), "x").unwrap();
            }
            if !d.starts_with('.') {
                made += n;
            }
        }
        assert!(made > 2 * WALK_CHUNK);
        let (got, want) = listed_and_sorted_walk(dir.path());
        assert_eq!(got.len(), made);
        assert_eq!(got, want);
    }

    /// The entries of a walk as comparable text, sorted (walk order is
    /// the directory's own).
    #[cfg(target_os = "linux")]
    fn walked_text(walked: Vec<Walked>) -> Vec<String> {
        let mut v: Vec<String> = walked
            .into_iter()
            .map(|(prefix, key, e)| format!("{prefix:x} {key:?} {e:?}"))
            .collect();
        v.sort();
        v
    }

    #[test]
    #[cfg(target_os = "linux")]
    fn a_flat_directory_is_listed_as_the_tree_walk_lists_it() {
        use std::os::unix::ffi::OsStrExt;
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        // More than two chunks of names: plain, long (keys compared
        // whole), hidden (left out), JSON Lines, ignored, not UTF-8 (one
        // starting with a dot, which is not hidden then).
        for i in 0..(2 * WALK_CHUNK + 300) {
            std::fs::write(root.join(format!("{:05}.txt", (i * 7919) % 9000)), "x").unwrap();
        }
        for name in [
            &b"0123456789abcdefg-long-name.txt"[..],
            b"0123456789abcdefg-long-name.tx",
            b".hidden.txt",
            b"lines.jsonl",
            b"skip-me.txt",
            b"caf\xe9.txt",
            b".\xff-dot.txt",
        ] {
            std::fs::write(root.join(std::ffi::OsStr::from_bytes(name)), "x").unwrap();
        }
        std::fs::write(root.join(".neardupignore"), "skip-*\n").unwrap();
        let ignore = IgnoreList::load(root);
        let flat = flat_walk(root, &ignore).expect("only regular files");
        assert_eq!(flat.len(), 2 * WALK_CHUNK + 300 + 5);
        assert_eq!(walked_text(flat), walked_text(tree_walk(root, &ignore)));

        // Anything but a regular file (and not hidden) leaves the walk to
        // walkdir: a directory, a link.
        std::fs::create_dir(root.join(".hidden-dir")).unwrap();
        assert!(flat_walk(root, &ignore).is_some());
        std::fs::create_dir(root.join("sub")).unwrap();
        assert!(flat_walk(root, &ignore).is_none());
        std::fs::remove_dir(root.join("sub")).unwrap();
        std::os::unix::fs::symlink(root.join("00001.txt"), root.join("link.txt")).unwrap();
        assert!(flat_walk(root, &ignore).is_none());
        // Through `Corpus::open`, the link (followed) is listed too.
        let corpus = Corpus::open(&[root], CorpusOptions::default()).unwrap();
        assert_eq!(corpus.entries(), 2 * WALK_CHUNK + 300 + 6);
    }

    #[test]
    fn relative_ids_match_component_stripping() {
        let roots = [
            "docs", "docs/", "./docs", "a/./b", "a/../b", "/", "/tmp/x//", ".", "a/.",
        ];
        let rests = [
            "x.txt",
            "sub/x.txt",
            "a b/ü.txt",
            "deep/er/x",
            "..x",
            ".hidden/y",
        ];
        for root in roots {
            for rest in rests {
                let path = Path::new(root).join(rest);
                let slow = components_id(path.strip_prefix(root).unwrap_or(&path));
                assert_eq!(relative_id(Path::new(root), &path), slow, "{root} + {rest}");
            }
        }
    }

    #[test]
    fn glob_matches() {
        assert!(glob(b"*.md", b"README.md"));
        assert!(glob(b"truth.tsv", b"truth.tsv"));
        assert!(glob(b"a?c*", b"abcdef"));
        assert!(!glob(b"*.md", b"notes.txt"));
        assert!(glob(b"docs/*", b"docs/x.txt"));
        let list = IgnoreList {
            patterns: vec!["*.md".into(), "gen/*".into()],
        };
        assert!(list.matches(Path::new("sub/README.md")));
        assert!(list.matches(Path::new("gen/x.txt")));
        assert!(!list.matches(Path::new("story.txt")));
    }

    #[test]
    fn reads_every_size_around_the_thresholds() {
        let dir = tempfile::tempdir().unwrap();
        let sub = dir.path().join("sub");
        std::fs::create_dir(&sub).unwrap();
        let first = FIRST_READ as u64;
        let sizes = [
            0,
            1,
            first - 1,
            first,
            first + 1,
            MMAP_MIN_BYTES - 1,
            MMAP_MIN_BYTES,
            MMAP_MIN_BYTES + 5,
        ];
        let mut opener = Opener::default();
        let mut buf = Vec::new();
        for (i, &len) in sizes.iter().enumerate() {
            // Alternate directories so the opener switches between them.
            let path = if i % 2 == 0 { &sub } else { dir.path() }.join(format!("f{i}"));
            let bytes: Vec<u8> = (0..len).map(|j| b'a' + (j % 26) as u8).collect();
            std::fs::write(&path, &bytes).unwrap();
            for max in [u64::MAX, len, len.saturating_sub(1), 10] {
                let got = read_bytes(&path, max, &mut buf, &mut opener);
                if len > max {
                    let (reason, message) = got.err().expect("too large");
                    assert_eq!(reason, SkipReason::TooLarge, "{len} {max}");
                    assert!(message.contains("--max-doc-bytes"), "{message}");
                } else {
                    let got = got.map_err(|e| e.1).unwrap();
                    assert!(*got == *bytes, "{len} {max}");
                }
            }
        }
        // Reads that do not wait give the same bytes or the same skip,
        // straight away or when the file left for later is read again.
        for (i, &len) in sizes.iter().enumerate() {
            let path = if i % 2 == 0 { &sub } else { dir.path() }.join(format!("f{i}"));
            for max in [u64::MAX, len, len.saturating_sub(1), 10] {
                let want = read_bytes(&path, max, &mut buf, &mut opener).map(|b| b.to_vec());
                let mut other = Vec::new();
                let got = match read_bytes_cached(&path, max, &mut other, &mut opener) {
                    Ok(Ok(b)) => Ok(b.to_vec()),
                    Ok(Err(NotCached)) => {
                        read_bytes(&path, max, &mut other, &mut opener).map(|b| b.to_vec())
                    }
                    Err(e) => Err(e),
                };
                assert_eq!(got, want, "{len} {max}");
            }
        }
        // A missing file gives the plain open's message, in either folder.
        for folder in [dir.path(), &sub] {
            let missing = folder.join("missing");
            let want = File::open(&missing).unwrap_err().to_string();
            let got = read_bytes(&missing, u64::MAX, &mut buf, &mut opener).err();
            assert_eq!(got, Some((SkipReason::Unreadable, want)));
        }
        // A file named relative to the working directory has no parent to
        // open: the plain open serves it.
        let got = read_bytes(Path::new("Cargo.toml"), u64::MAX, &mut buf, &mut opener);
        assert!(got.map_err(|e| e.1).unwrap().starts_with(b"[package]"));
    }

    /// Drops the file's pages from the page cache; whether none is left.
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    fn evict(path: &Path) -> bool {
        evict_from(path, 0)
    }

    /// Puts the pages of `path` from byte `from` (a page boundary) out of
    /// memory and keeps the ones before: the whole file is dropped,
    /// then its first pages are read back without read-ahead (dropping
    /// part of a file keeps whole large folios). Whether the file ends up
    /// that way.
    fn evict_from(path: &Path, from: usize) -> bool {
        use std::os::fd::AsRawFd;
        use std::os::unix::fs::FileExt;
        let file = File::open(path).unwrap();
        file.sync_all().unwrap();
        let len = file.metadata().unwrap().len() as usize;
        // SAFETY: plain system calls on a live descriptor.
        unsafe {
            libc::posix_fadvise(file.as_raw_fd(), 0, 0, libc::POSIX_FADV_DONTNEED);
            libc::posix_fadvise(file.as_raw_fd(), 0, 0, libc::POSIX_FADV_RANDOM);
        }
        for page in 0..from / 4096 {
            file.read_exact_at(&mut [0u8], page as u64 * 4096).unwrap();
        }
        // SAFETY: a read-only map of a file nothing else writes.
        let map = unsafe { memmap2::Mmap::map(&file) }.unwrap();
        let mut resident = vec![0u8; len.div_ceil(4096)];
        // SAFETY: `resident` has one byte per page of the mapping.
        let r = unsafe { libc::mincore(map.as_ptr() as *mut _, len, resident.as_mut_ptr()) };
        assert_eq!(r, 0);
        let (kept, gone) = resident.split_at(from / 4096);
        kept.iter().all(|&b| b & 1 == 1) && gone.iter().all(|&b| b & 1 == 0)
    }

    #[test]
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    fn files_out_of_the_page_cache_are_read_after_their_batch() {
        let dir = tempfile::tempdir().unwrap();
        let texts: Vec<String> = (0..40)
            .map(|i| format!("document {i} ").repeat(50 + 40 * i))
            .collect();
        let paths: Vec<PathBuf> = (0..texts.len())
            .map(|i| dir.path().join(format!("{i:02}.txt")))
            .collect();
        for (path, text) in paths.iter().zip(&texts) {
            std::fs::write(path, text).unwrap();
        }
        // Every third file is put out of memory (where the file system
        // lets it go: a file system held in memory keeps it), and of the
        // files after those, the ones over two pages lose all but their
        // first page: both are left for later.
        let partly = |i: usize| i % 3 == 1 && texts[i].len() > 8192;
        let evicted: Vec<bool> = paths
            .iter()
            .enumerate()
            .map(|(i, p)| (i % 3 == 0 && evict(p)) || (partly(i) && evict_from(p, 4096)))
            .collect();
        assert!(
            (0..texts.len()).any(|i| partly(i) && evicted[i]) || !evicted[0],
            "no file left in memory only in part"
        );
        let (mut buf, mut opener) = (Vec::new(), Opener::default());
        for (i, path) in paths.iter().enumerate() {
            if i % 3 == 0 || partly(i) {
                match read_bytes_cached(path, u64::MAX, &mut buf, &mut opener).unwrap() {
                    Ok(bytes) => {
                        assert!(!evicted[i], "{i}: read although not in memory");
                        assert_eq!(*bytes, *texts[i].as_bytes());
                    }
                    Err(NotCached) => {
                        assert!(evicted[i], "{i}: left for later although in memory");
                        let bytes = read_bytes(path, u64::MAX, &mut buf, &mut opener).unwrap();
                        assert_eq!(*bytes, *texts[i].as_bytes());
                    }
                }
                if partly(i) {
                    evict_from(path, 4096);
                } else {
                    evict(path);
                }
            }
        }
        // A batch gives every document, in order, wherever its bytes were.
        let batch: Vec<(&Path, &str)> = paths
            .iter()
            .zip(["x"; 40])
            .map(|(p, id)| (p.as_path(), id))
            .collect();
        let opts = CorpusOptions::default();
        let done: Vec<_> =
            read_file_batch(&batch, &opts, &|d: Document<'_>| d.text.into_owned()).collect();
        assert_eq!(done.len(), texts.len());
        for (d, text) in done.iter().zip(&texts) {
            match &d.event {
                Event::Doc(got) => assert_eq!(got, text),
                _ => panic!("not a document"),
            }
            assert_eq!(d.bytes, text.len() as u64);
        }
    }

    /// Descriptors of this process open on `dir`.
    #[cfg(target_os = "linux")]
    fn open_on(dir: &Path) -> usize {
        std::fs::read_dir("/proc/self/fd")
            .unwrap()
            .filter_map(|e| std::fs::read_link(e.ok()?.path()).ok())
            .filter(|target| target == dir)
            .count()
    }

    #[test]
    #[cfg(target_os = "linux")]
    fn a_run_of_files_closes_the_directories_it_opened() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        for i in 0..3000 {
            std::fs::write(root.join(format!("{i:04}.txt")), format!("text {i}")).unwrap();
        }
        let corpus = Corpus::open(&[&root], CorpusOptions::default()).unwrap();
        for threads in [1, 2] {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            let mut docs = 0;
            pool.install(|| {
                corpus.process(
                    |d| d.text.len(),
                    |e| docs += matches!(e, Event::Doc(_)) as usize,
                    |_| {},
                );
                // The pool's threads are still alive, with their openers.
                assert_eq!(open_on(&root), 0, "{threads} threads");
            });
            assert_eq!(docs, 3000);
        }
    }

    #[test]
    fn pipelined_delivers_in_order_from_any_thread() {
        let run = || {
            let mut got = Vec::new();
            pipelined(
                (0..200u64).map(|i| vec![i; (i % 7) as usize + 1]),
                |b: Vec<u64>| {
                    // Later batches finish first now and then.
                    if b[0].is_multiple_of(5) {
                        std::thread::sleep(std::time::Duration::from_micros(200));
                    }
                    b.iter().sum::<u64>() / b.len() as u64
                },
                |out| got.push(out),
            );
            got
        };
        let want: Vec<u64> = (0..200).collect();
        // From outside the pool, and from the only thread of a pool (which
        // must run the batches itself while it waits for them).
        assert_eq!(run(), want);
        for threads in [1, 2] {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            assert_eq!(pool.install(run), want, "{threads} threads");
        }
        // No batches, no deliveries.
        let mut delivered = 0;
        pipelined(std::iter::empty::<u8>(), |_| (), |_| delivered += 1);
        assert_eq!(delivered, 0);
    }

    #[test]
    fn pipelined_reports_a_batch_that_panics() {
        let result = std::panic::catch_unwind(|| {
            let mut got = Vec::new();
            pipelined(
                0..50u32,
                |i| {
                    assert!(i != 30, "batch 30 fails");
                    i
                },
                |out| got.push(out),
            );
            got
        });
        let message = result.expect_err("the panic reaches the caller");
        let text = message
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| message.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default();
        assert!(text.contains("batch 30 fails"), "{text}");
    }

    #[test]
    fn decode_keeps_offsets() {
        let bytes = b"caf\xff latte \xfe\xfd ok";
        let (text, replaced) = decode(bytes);
        assert!(replaced);
        assert_eq!(text.len(), bytes.len());
        assert_eq!(&text[14..16], "ok");
    }

    #[test]
    fn bounded_lines() {
        let data = b"short\n0123456789abcdef\nlast";
        let mut r = BufReader::with_capacity(4, &data[..]);
        let (l1, _) = read_line_bounded(&mut r, 8).unwrap().unwrap();
        assert_eq!(l1.unwrap(), b"short");
        let (l2, n2) = read_line_bounded(&mut r, 8).unwrap().unwrap();
        assert_eq!(l2, Err(17));
        assert_eq!(n2, 17);
        let (l3, _) = read_line_bounded(&mut r, 8).unwrap().unwrap();
        assert_eq!(l3.unwrap(), b"last");
        assert!(read_line_bounded(&mut r, 8).unwrap().is_none());
    }
}
