//! Corpus reading: directories, single files and JSON Lines, streamed.
//!
//! * A directory is walked recursively in a deterministic order (entries
//!   sorted by file name); hidden files and folders (name starting with `.`)
//!   are skipped, and so are files matching a `.neardupignore` at the top of
//!   the directory (see [`IgnoreList`]); symlinks are followed and loops reported. Every regular
//!   file is a document whose id is its path relative to the directory given,
//!   with `/` separators — except `.jsonl` / `.ndjson` files, which hold one
//!   document per line.
//!   A name that is not valid UTF-8 is written with escapes (see
//!   [`crate::display::escape_name`]: `bad\xFF.txt`), so that two names
//!   never share an id. A FIFO, socket or device met in the walk is not
//!   read (reading one can wait forever): it is skipped and reported.
//! * A single file given on its own has its file name as id. One that is
//!   not a regular file (a FIFO, a device) is skipped and reported.
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
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::display::path_text;
use crate::error::{Error, Result};

mod ignore;
mod jsonl;
mod pipeline;
mod read;
mod walk;

pub use ignore::IgnoreList;
pub use jsonl::read_jsonl_from;
pub use read::{decode, load_source, load_title, read_text_file};

use crate::safe_open::{OpenError, Special};
use jsonl::read_jsonl;
use pipeline::pipelined;
use read::{close_openers, read_file_batch};
#[cfg(target_os = "linux")]
use walk::flat_walk;
use walk::{tree_walk, walk_order_key, Walked};

/// Documents per parallel batch.
const BATCH: usize = 512;
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
    /// JSON Lines field holding a document's title, shown as its headline
    /// in reports (default none: the first line of its text). Read only
    /// when a report asks for it ([`load_title`]).
    pub title_field: Option<String>,
}

impl Default for CorpusOptions {
    fn default() -> Self {
        CorpusOptions {
            id_field: "id".into(),
            text_field: "text".into(),
            max_doc_bytes: 64 << 20,
            title_field: None,
        }
    }
}

/// Where a document's text can be read again (for explanations).
///
/// Serialized as `{"file": PATH}`, `{"jsonl_line": {"path", "line",
/// "offset"}}` or `"memory"`; paths that are not UTF-8 are written with
/// escapes, as ids are ([`crate::display::escape_name`]).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DocSource {
    /// A whole file.
    File(#[serde(serialize_with = "escaped_path")] PathBuf),
    /// One line of a JSON Lines file: 1-based line number and byte offset of
    /// the line's start.
    JsonlLine {
        /// The JSON Lines file.
        #[serde(serialize_with = "escaped_path")]
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// Byte offset of the line in the file.
        offset: u64,
    },
    /// Given in memory through the library; the text is not kept.
    Memory,
}

/// A path as text for JSON output (bytes that are not UTF-8 as `\xHH`,
/// see [`path_text`]).
fn escaped_path<S: serde::Serializer>(p: &Path, s: S) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_str(&path_text(p))
}

impl std::fmt::Display for DocSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DocSource::File(p) => write!(f, "{}", path_text(p)),
            DocSource::JsonlLine { path, line, .. } => write!(f, "{}:{line}", path_text(path)),
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
    /// Not a regular file: a FIFO, socket or device (reading one can wait
    /// forever or never end).
    NotRegular,
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
            SkipReason::NotRegular => "not a regular file",
        }
    }
}

/// A skipped input: where, why, and a message for people.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
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

/// What [`Corpus::open`] reads: one path (`&str`, `String`, `Path`,
/// `PathBuf`) or many (a slice, array or vector of them).
pub trait Inputs {
    /// The paths, in order.
    fn paths(&self) -> Vec<&Path>;
}

macro_rules! one_input {
    ($($t:ty),*) => {$(
        impl Inputs for $t {
            fn paths(&self) -> Vec<&Path> {
                vec![self.as_ref()]
            }
        }
    )*};
}
one_input!(str, String, Path, PathBuf);

impl<P: AsRef<Path>> Inputs for [P] {
    fn paths(&self) -> Vec<&Path> {
        self.iter().map(|p| p.as_ref()).collect()
    }
}

impl<P: AsRef<Path>, const N: usize> Inputs for [P; N] {
    fn paths(&self) -> Vec<&Path> {
        self.iter().map(|p| p.as_ref()).collect()
    }
}

impl<P: AsRef<Path>> Inputs for Vec<P> {
    fn paths(&self) -> Vec<&Path> {
        self.iter().map(|p| p.as_ref()).collect()
    }
}

impl Corpus {
    /// Lists the documents under `inputs`: one path or many (directories,
    /// files, JSON Lines). Fails only when an input root itself cannot be
    /// read.
    ///
    /// ```
    /// use neardup::{Corpus, CorpusOptions};
    /// let one = Corpus::open("corpus", CorpusOptions::default())?;
    /// let many = Corpus::open(&["corpus/port-01-wire.txt", "corpus/bank-01-wire.txt"], CorpusOptions::default())?;
    /// assert_eq!(many.entries(), 2);
    /// assert!(one.entries() > many.entries());
    /// # Ok::<(), neardup::Error>(())
    /// ```
    pub fn open(inputs: &(impl Inputs + ?Sized), options: CorpusOptions) -> Result<Corpus> {
        let mut entries = Vec::new();
        for root in inputs.paths() {
            let meta = std::fs::metadata(root).map_err(|source| Error::Input {
                path: root.to_path_buf(),
                source,
            })?;
            if let Some(kind) = Special::of(meta.file_type()).filter(|&k| k != Special::Directory) {
                entries.push(Entry::Broken(Skip {
                    location: path_text(root).into_owned(),
                    reason: SkipReason::NotRegular,
                    message: OpenError::NotRegular(kind).to_string(),
                }));
            } else if meta.is_dir() {
                std::fs::read_dir(root).map_err(|source| Error::Input {
                    path: root.to_path_buf(),
                    source,
                })?;
                // Entries of each directory are visited in name order. The
                // walk itself is unsorted (walkdir's sort re-parses both
                // paths at every comparison); the entries are sorted after,
                // by keys that compare component by component, which is
                // the same order.
                let ignore = IgnoreList::load(root)?;
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
                    .map(|n| path_text(Path::new(n)).into_owned())
                    .unwrap_or_else(|| path_text(root).into_owned());
                entries.push(Entry::File {
                    path: root.to_path_buf(),
                    id,
                });
            }
        }
        Ok(Corpus { entries, options })
    }

    /// The options the corpus was opened with.
    pub fn options(&self) -> &CorpusOptions {
        &self.options
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

#[cfg(test)]
mod tests {
    use super::jsonl::*;
    use super::read::*;
    use super::walk::*;
    use super::*;
    use std::fs::File;
    use std::io::BufReader;

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
        let ignore = IgnoreList::load(root).unwrap();
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
        // A file put out of memory may come back before it is read (the
        // kernel is free to read ahead, more so on a loaded machine), so a
        // read that finds it is not wrong; at least one of them must be
        // left for later, though, or the path is not exercised at all.
        let mut left = 0;
        for (i, path) in paths.iter().enumerate() {
            if i % 3 == 0 || partly(i) {
                match read_bytes_cached(path, u64::MAX, &mut buf, &mut opener).unwrap() {
                    Ok(bytes) => {
                        assert_eq!(*bytes, *texts[i].as_bytes());
                    }
                    Err(NotCached) => {
                        left += 1;
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
        assert!(
            left > 0 || !evicted.iter().any(|&e| e),
            "no file put out of memory was left for later"
        );
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
