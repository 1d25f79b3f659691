//! Opening the files the library reads (index files, corpus files, the
//! sources reread for an explanation) without ever blocking on one that is
//! not a regular file.
//!
//! A plain `open` of a FIFO waits for a writer, forever; reading a
//! character device such as `/dev/zero` never ends. So every such file is
//! opened with `O_NONBLOCK` (an `open` that cannot wait; the flag has no
//! effect on reads of a regular file, see `open(2)`), and then asked what
//! it is (`fstat` on the open descriptor, so that nothing can be swapped in
//! between): anything but a regular file — directory, FIFO, socket, device,
//! or a link to one — is refused with [`OpenError::NotRegular`] at once.
//! This module is the one place that knows how; the index, the corpus
//! reader and `load_source` all go through it.

use std::fs::{File, FileType, OpenOptions};
use std::io::{self, Read};
use std::path::Path;

/// The `open` flag that keeps an `open` from waiting (0 where unknown).
#[cfg(unix)]
pub(crate) const NONBLOCK: i32 = libc::O_NONBLOCK;
/// The `open` flag that keeps an `open` from waiting (0 where unknown).
#[cfg(not(unix))]
pub(crate) const NONBLOCK: i32 = 0;

/// What a path is when it is not a regular file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Special {
    /// A directory.
    Directory,
    /// A FIFO (named pipe).
    Fifo,
    /// A Unix domain socket.
    Socket,
    /// A character device (`/dev/zero`, a terminal, ...).
    CharDevice,
    /// A block device (a disk).
    BlockDevice,
    /// Anything else that is not a regular file.
    Other,
}

impl Special {
    /// `None` for a regular file, else what the file type is.
    pub fn of(ft: FileType) -> Option<Special> {
        if ft.is_file() {
            return None;
        }
        if ft.is_dir() {
            return Some(Special::Directory);
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::FileTypeExt;
            if ft.is_fifo() {
                return Some(Special::Fifo);
            }
            if ft.is_socket() {
                return Some(Special::Socket);
            }
            if ft.is_char_device() {
                return Some(Special::CharDevice);
            }
            if ft.is_block_device() {
                return Some(Special::BlockDevice);
            }
        }
        Some(Special::Other)
    }

    /// For people: "a FIFO (named pipe)", ...
    pub fn describe(self) -> &'static str {
        match self {
            Special::Directory => "a directory",
            Special::Fifo => "a FIFO (named pipe)",
            Special::Socket => "a socket",
            Special::CharDevice => "a character device",
            Special::BlockDevice => "a block device",
            Special::Other => "not a regular file",
        }
    }
}

/// Why a file was not opened.
#[derive(Debug)]
pub(crate) enum OpenError {
    /// The system refused (missing, permissions, ...).
    Io(io::Error),
    /// It is not a regular file (nor a link to one).
    NotRegular(Special),
    /// It is larger than the caller accepts.
    TooLarge {
        /// Its size.
        len: u64,
        /// The caller's limit.
        max: u64,
    },
}

impl std::fmt::Display for OpenError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OpenError::Io(e) => write!(f, "{e}"),
            OpenError::NotRegular(Special::Other) => f.write_str("not a regular file"),
            OpenError::NotRegular(k) => write!(f, "is {}, not a regular file", k.describe()),
            OpenError::TooLarge { len, max } => {
                write!(f, "{len} bytes is over the limit of {max} bytes")
            }
        }
    }
}

impl From<io::Error> for OpenError {
    fn from(e: io::Error) -> Self {
        OpenError::Io(e)
    }
}

/// Adds [`NONBLOCK`] to `options`: the `open` does not wait (on a FIFO
/// without a writer, a device that is not ready).
pub(crate) fn nonblocking(options: &mut OpenOptions) -> &mut OpenOptions {
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(NONBLOCK);
    }
    options
}

/// The size of an open file, or what it is when it is not a regular file
/// (asked of the descriptor: what was opened, not what the path names now).
pub(crate) fn check_regular(file: &File) -> Result<u64, OpenError> {
    let meta = file.metadata()?;
    match Special::of(meta.file_type()) {
        None => Ok(meta.len()),
        Some(k) => Err(OpenError::NotRegular(k)),
    }
}

/// What an `open` error means: some special files cannot be opened at all
/// (a socket gives `ENXIO`, "No such device or address"), so ask the path.
pub(crate) fn open_error(path: &Path, e: io::Error) -> OpenError {
    use io::ErrorKind::{NotFound, PermissionDenied};
    if !matches!(e.kind(), NotFound | PermissionDenied) {
        if let Some(k) = std::fs::metadata(path)
            .ok()
            .and_then(|m| Special::of(m.file_type()))
        {
            return OpenError::NotRegular(k);
        }
    }
    OpenError::Io(e)
}

/// Opens `path` for reading without blocking and checks that it is a
/// regular file of at most `max_len` bytes; returns it and its size.
pub(crate) fn open_regular(path: &Path, max_len: u64) -> Result<(File, u64), OpenError> {
    let file = nonblocking(OpenOptions::new().read(true))
        .open(path)
        .map_err(|e| open_error(path, e))?;
    let len = check_regular(&file)?;
    if len > max_len {
        return Err(OpenError::TooLarge { len, max: max_len });
    }
    Ok((file, len))
}

/// Reads a whole regular file of at most `max_len` bytes (see
/// [`open_regular`]); a file that grows past the limit while being read is
/// refused too.
pub(crate) fn read_regular(path: &Path, max_len: u64) -> Result<Vec<u8>, OpenError> {
    let (file, len) = open_regular(path, max_len)?;
    let mut bytes = Vec::with_capacity(len as usize);
    file.take(max_len.saturating_add(1))
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > max_len {
        return Err(OpenError::TooLarge {
            len: bytes.len() as u64,
            max: max_len,
        });
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regular_files_open_and_others_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("f");
        std::fs::write(&f, b"hello").unwrap();
        assert_eq!(read_regular(&f, 5).unwrap(), b"hello");
        assert!(matches!(
            read_regular(&f, 4),
            Err(OpenError::TooLarge { len: 5, max: 4 })
        ));
        assert!(matches!(
            open_regular(dir.path(), 1 << 20),
            Err(OpenError::NotRegular(Special::Directory))
        ));
        match open_regular(&dir.path().join("missing"), 1) {
            Err(OpenError::Io(e)) => assert_eq!(e.kind(), io::ErrorKind::NotFound),
            other => panic!("{other:?}"),
        }
        #[cfg(target_os = "linux")]
        {
            // A FIFO without a writer: refused at once (a plain open waits).
            let fifo = dir.path().join("fifo");
            let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
            // SAFETY: a NUL-terminated path.
            assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
            let e = open_regular(&fifo, 1 << 20).unwrap_err();
            assert!(matches!(e, OpenError::NotRegular(Special::Fifo)), "{e}");
            assert_eq!(e.to_string(), "is a FIFO (named pipe), not a regular file");
            // A link to a device.
            let link = dir.path().join("zero");
            std::os::unix::fs::symlink("/dev/zero", &link).unwrap();
            assert!(matches!(
                read_regular(&link, 1 << 20),
                Err(OpenError::NotRegular(Special::CharDevice))
            ));
            // A socket cannot be opened at all: the path is asked.
            let sock = dir.path().join("sock");
            let _l = std::os::unix::net::UnixListener::bind(&sock).unwrap();
            assert!(matches!(
                open_regular(&sock, 1),
                Err(OpenError::NotRegular(Special::Socket))
            ));
        }
    }
}
