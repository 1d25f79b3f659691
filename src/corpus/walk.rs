//! Walking a directory: which files are documents, their ids, and the
//! deterministic order they are read in.

use std::path::{Path, PathBuf};

use rayon::prelude::*;

use super::pipeline::pipelined;
use super::{is_jsonl, Entry, IgnoreList, Skip, SkipReason};
use crate::display::{escape_name, path_text};
use crate::safe_open::{OpenError, Special};

/// Directory entries per chunk made into corpus entries while the walk
/// goes on.
pub(crate) const WALK_CHUNK: usize = 4096;

/// The components of `rel` joined by `/`, each written as
/// [`escape_name`] writes it.
pub(crate) fn components_id(rel: &Path) -> String {
    rel.components()
        .map(|c| path_text(Path::new(c.as_os_str())))
        .collect::<Vec<_>>()
        .join("/")
}

/// The id of a walked file: its path below `root`, components joined by
/// `/`, names that are not valid UTF-8 written with escapes
/// ([`escape_name`]).
pub(crate) fn relative_id(root: &Path, path: &Path) -> String {
    #[cfg(unix)]
    {
        if let Some(rest) = plain_rest(root, path) {
            return escape_name(rest).into_owned();
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
pub(crate) fn plain_rest<'a>(root: &Path, path: &'a Path) -> Option<&'a [u8]> {
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
pub(crate) type Walked = (u128, Option<Vec<u8>>, Entry);

/// The first 16 bytes of an order key as a big-endian integer, padded with
/// zeros: integers compare as the keys' first 16 bytes do, and keys with
/// the same prefix are compared whole.
pub(crate) fn key_prefix(key: impl Iterator<Item = u8>) -> u128 {
    let mut bytes = [0u8; 16];
    for (b, k) in bytes.iter_mut().zip(key) {
        *b = k;
    }
    u128::from_be_bytes(bytes)
}

/// [`relative_id`] and the order-key prefix of a walked file, looking at
/// its path once when it is plain (nearly always); the whole order key is
/// made only when it is not.
pub(crate) fn id_and_order_prefix(root: &Path, path: &Path) -> (String, u128, Option<Vec<u8>>) {
    #[cfg(unix)]
    if let Some(rest) = plain_rest(root, path) {
        let prefix = key_prefix(rest.iter().map(|&c| if c == b'/' { 0 } else { c }));
        return (escape_name(rest).into_owned(), prefix, None);
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
pub(crate) fn walk_order_key(root: &Path, path: &Path) -> Vec<u8> {
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

pub(crate) fn is_hidden(name: &std::ffi::OsStr) -> bool {
    name.to_str().map(|s| s.starts_with('.')).unwrap_or(false)
}

/// The entry of a walked regular file (`None` when the ignore list
/// leaves it out).
pub(crate) fn file_entry(root: &Path, path: PathBuf, ignore: &IgnoreList) -> Option<Walked> {
    let (id, prefix, key) = id_and_order_prefix(root, &path);
    if ignore.matches_id(&id) {
        None
    } else if is_jsonl(&path) {
        Some((prefix, key, Entry::Jsonl { path }))
    } else {
        Some((prefix, key, Entry::File { path, id }))
    }
}

/// The skip of a walked entry that is not a regular file (`None` when the
/// ignore list leaves it out), in walk order.
fn special_entry(root: &Path, path: &Path, kind: Special, ignore: &IgnoreList) -> Option<Walked> {
    if ignore.matches_id(&relative_id(root, path)) {
        return None;
    }
    let key = walk_order_key(root, path);
    Some((
        key_prefix(key.iter().copied()),
        Some(key),
        Entry::Broken(Skip {
            location: path_text(path).into_owned(),
            reason: SkipReason::NotRegular,
            message: OpenError::NotRegular(kind).to_string(),
        }),
    ))
}

/// Every file under `root` (links followed, hidden entries left out), in
/// walk order, through walkdir. Listing is serial; ids and keys are made in
/// parallel, a chunk of entries at a time while the listing goes on.
pub(crate) fn tree_walk(root: &Path, ignore: &IgnoreList) -> Vec<Walked> {
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
                // A FIFO, socket or device (links are followed): reported,
                // never read.
                Ok(e) => match Special::of(e.file_type()) {
                    Some(kind) if kind != Special::Directory => {
                        special_entry(root, e.path(), kind, ignore)
                    }
                    _ => None,
                },
                Err(err) => {
                    let key = err
                        .path()
                        .map(|p| walk_order_key(root, p))
                        .unwrap_or_default();
                    let location = path_text(err.path().unwrap_or(root)).into_owned();
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
pub(crate) fn flat_walk(root: &Path, ignore: &IgnoreList) -> Option<Vec<Walked>> {
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
