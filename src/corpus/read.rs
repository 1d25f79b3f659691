//! Reading one file's text: the binary check, UTF-8 decoding, size limits,
//! and the batches of files read in parallel.

use std::borrow::Cow;
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use super::jsonl::parse_json_line;
use super::{CorpusOptions, DocSource, Document, Event, Skip, SkipReason};
use crate::display::path_text;
use crate::error::{Error, Result};
use crate::safe_open::{self, OpenError};

/// Files at least this large are memory-mapped instead of read.
pub(crate) const MMAP_MIN_BYTES: u64 = 1 << 20;
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

pub(crate) fn looks_binary(bytes: &[u8]) -> bool {
    bytes[..bytes.len().min(8192)].contains(&0)
}

pub(crate) enum Bytes<'a> {
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
/// of every component of the path. Every open is one that cannot wait
/// (`O_NONBLOCK`, see [`crate::safe_open`]): the walk lists regular files
/// only, but one can be replaced by a FIFO before it is read. A file that
/// is not regular then gives no bytes or a read error, and
/// [`read_failed`] or [`read_rest`] tell what it is.
#[derive(Default)]
pub(crate) struct Opener {
    #[cfg(target_os = "linux")]
    dir: Option<(PathBuf, std::os::fd::OwnedFd)>,
}

impl Opener {
    fn open(&mut self, path: &Path) -> std::io::Result<File> {
        #[cfg(target_os = "linux")]
        if let Some(file) = self.open_at(path) {
            return file;
        }
        safe_open::nonblocking(std::fs::OpenOptions::new().read(true)).open(path)
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
        let flags = libc::O_RDONLY | libc::O_CLOEXEC | safe_open::NONBLOCK;
        let fd = unsafe { libc::openat(dir, cname.as_ptr().cast(), flags) };
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
pub(crate) const FIRST_READ: usize = 256 << 10;

/// Why a file gave no bytes: the skip's reason and message.
pub(crate) type Failed = (SkipReason, String);

/// Reads the file at `path` into `buf` (small files: the bytes returned
/// are a prefix of `buf`, which keeps whatever length it had) or maps it
/// (large ones), waiting for the disk if need be.
pub(crate) fn read_bytes<'a>(
    path: &Path,
    max: u64,
    buf: &'a mut Vec<u8>,
    opener: &mut Opener,
) -> std::result::Result<Bytes<'a>, Failed> {
    let file = opener.open(path).map_err(|e| open_failed(path, e))?;
    read_rest(file, 0, max, buf)
}

/// A file none of whose data was in the page cache: the kernel was asked
/// to fetch it, and it is to be read again later.
#[derive(Debug)]
pub(crate) struct NotCached;

/// Like [`read_bytes`], but gives up (`Ok(Err(NotCached))`), having asked
/// the kernel to fetch the file, when some of its data is not in the page
/// cache: the caller reads other files meanwhile and comes back to it with
/// [`read_bytes`], instead of leaving its core idle while the disk answers.
/// The file is closed meanwhile (a batch of files out of memory would
/// otherwise hold hundreds of descriptors). Where reads that do not wait
/// are not supported, reads as [`read_bytes`] does.
pub(crate) fn read_bytes_cached<'a>(
    path: &Path,
    max: u64,
    buf: &'a mut Vec<u8>,
    opener: &mut Opener,
) -> std::result::Result<std::result::Result<Bytes<'a>, NotCached>, Failed> {
    let file = opener.open(path).map_err(|e| open_failed(path, e))?;
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

pub(crate) fn unreadable(e: std::io::Error) -> Failed {
    (SkipReason::Unreadable, e.to_string())
}

/// The skip of a file that could not be opened (a socket cannot be opened
/// at all: it is named as one).
fn open_failed(path: &Path, e: std::io::Error) -> Failed {
    failed(safe_open::open_error(path, e))
}

fn failed(e: OpenError) -> Failed {
    match e {
        OpenError::Io(e) => unreadable(e),
        e @ OpenError::NotRegular(_) => (SkipReason::NotRegular, e.to_string()),
        OpenError::TooLarge { len, max } => (
            SkipReason::TooLarge,
            format!("{len} bytes is over the limit of {max} bytes (--max-doc-bytes)"),
        ),
    }
}

/// The skip of a read that failed: what the file is when it is not a
/// regular file (a FIFO read without waiting has no data yet), else the
/// error.
fn read_failed(file: &File, e: std::io::Error) -> Failed {
    match safe_open::check_regular(file) {
        Err(e @ OpenError::NotRegular(_)) => failed(e),
        _ => unreadable(e),
    }
}

/// How much of a file the first read asks for (one byte over `max`, so
/// that a file just over the limit is seen to be).
pub(crate) fn first_read_len(max: u64) -> usize {
    (FIRST_READ as u64).min(max.saturating_add(1)) as usize
}

/// Reads the rest of `file`, whose first `n` bytes are already at the
/// start of `buf` (see [`read_bytes`]).
pub(crate) fn read_rest<'a>(
    mut file: File,
    mut n: usize,
    max: u64,
    buf: &'a mut Vec<u8>,
) -> std::result::Result<Bytes<'a>, Failed> {
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
            Err(e) => return Err(read_failed(&file, e)),
        }
    }
    if n < first {
        return Ok(Bytes::Buf(&buf[..n]));
    }
    buf.truncate(first);
    // Only a regular file is read on (a device such as /dev/zero never
    // ends).
    let len = safe_open::check_regular(&file).map_err(failed)?;
    if len > max {
        return Err(failed(OpenError::TooLarge { len, max }));
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
        .map_err(|e| read_failed(&file, e))?;
    if buf.len() as u64 > max {
        return Err((
            SkipReason::TooLarge,
            format!("over the limit of {max} bytes (--max-doc-bytes)"),
        ));
    }
    Ok(Bytes::Buf(buf))
}

/// What a read that does not wait for the disk gave.
pub(crate) enum NoWait {
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
pub(crate) fn read_without_waiting(file: &File, buf: &mut [u8]) -> NoWait {
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
pub(crate) fn read_without_waiting(_file: &File, _buf: &mut [u8]) -> NoWait {
    NoWait::Unsupported
}

/// Reads the text of the file at `path`, as the corpus reader does: only
/// a regular file (a FIFO, socket or device is an error saying what it is,
/// at once), at most `max_bytes` long, invalid UTF-8 replaced byte for byte
/// by `?` (see [`decode`]). Returns the text and whether anything was
/// replaced.
pub fn read_text_file(path: &Path, max_bytes: u64) -> Result<(String, bool)> {
    let read = |buf: &mut Vec<u8>| {
        let io = |source| Error::Io {
            path: path.to_path_buf(),
            source,
        };
        let (file, _) = safe_open::open_regular(path, max_bytes).map_err(|e| match e {
            OpenError::Io(e) => io(e),
            e => io(std::io::Error::other(failed(e).1)),
        })?;
        let bytes =
            read_rest(file, 0, max_bytes, buf).map_err(|(_, m)| io(std::io::Error::other(m)))?;
        let (text, replaced) = decode(&bytes);
        Ok((text.into_owned(), replaced))
    };
    // The thread's read buffer (initialized once), unless it is in use
    // further up this thread's stack.
    READ_BUF.with(|buf| match buf.try_borrow_mut() {
        Ok(mut buf) => read(&mut buf),
        Err(_) => read(&mut Vec::new()),
    })
}

/// Reads a text the way the corpus reader does (a regular file only, UTF-8
/// replacement); used to reload a document for an explanation.
pub fn load_source(source: &DocSource, options: &CorpusOptions) -> Result<String> {
    let io = |path: &Path, msg: String| Error::Io {
        path: path.to_path_buf(),
        source: std::io::Error::other(msg),
    };
    match source {
        DocSource::File(path) => read_text_file(path, options.max_doc_bytes).map(|(t, _)| t),
        DocSource::JsonlLine { path, line, offset } => {
            let buf = read_line_at(path, *offset)?;
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

/// The line of a JSON Lines file that starts at byte `offset` (the file
/// opened only if it is a regular file).
fn read_line_at(path: &Path, offset: u64) -> Result<Vec<u8>> {
    use std::io::Seek;
    let err = |source| Error::Io {
        path: path.to_path_buf(),
        source,
    };
    let (mut file, _) = safe_open::open_regular(path, u64::MAX).map_err(|e| match e {
        OpenError::Io(source) => err(source),
        e => err(std::io::Error::other(e.to_string())),
    })?;
    file.seek(std::io::SeekFrom::Start(offset)).map_err(err)?;
    let mut buf = Vec::new();
    BufReader::new(file)
        .read_until(b'\n', &mut buf)
        .map_err(err)?;
    Ok(buf)
}

/// A document's title: the string in the [`CorpusOptions::title_field`] of
/// its JSON line, read again (None for a file, a document given in memory,
/// no such field set, or a field that is absent or not a string).
pub fn load_title(source: &DocSource, options: &CorpusOptions) -> Result<Option<String>> {
    let (DocSource::JsonlLine { path, offset, .. }, Some(field)) = (source, &options.title_field)
    else {
        return Ok(None);
    };
    let buf = read_line_at(path, *offset)?;
    let value: serde_json::Value = serde_json::from_slice(&buf).unwrap_or_default();
    Ok(value
        .get(field)
        .and_then(|v| v.as_str())
        .map(str::to_string))
}

/// What reading one file gave: a warning to tell first (if any), the
/// document or the skip, and the bytes read. No allocation of its own.
pub(crate) struct FileDone<R> {
    pub(crate) warning: Option<String>,
    pub(crate) event: Event<R>,
    pub(crate) bytes: u64,
}

/// Reads one file's document with `read` (into the thread's buffer) and
/// runs `f` on it. `Err(later)` when `read` leaves the file to be read
/// later (see [`read_bytes_cached`]).
pub(crate) fn read_file_doc<R, L>(
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
            location: path_text(path).into_owned(),
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
            replaced.then(|| format!("{}: invalid UTF-8 replaced by '?'", path_text(path)));
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
pub(crate) fn read_file_batch<R: Send>(
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
pub(crate) fn with_opener<T>(f: impl FnOnce(&mut Opener) -> T) -> T {
    OPENER.with(|o| match o.try_borrow_mut() {
        Ok(mut opener) => f(&mut opener),
        Err(_) => f(&mut Opener::default()),
    })
}

/// Closes the directories the pool's threads keep open for [`Opener`]s.
pub(crate) fn close_openers() {
    let close = || OPENER.with(|o| o.try_borrow_mut().map(|mut o| *o = Opener::default()).ok());
    rayon::broadcast(|_| close());
    close();
}
