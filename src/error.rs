//! Typed errors of the library.

use std::path::PathBuf;

use crate::display::path_for_terminal;

/// Everything that can go wrong in the library.
///
/// Each message is complete on its own and states its cause once: the
/// variants that wrap an I/O error ([`Error::Input`], [`Error::Io`]) print
/// it in their message and so do not also return it as their
/// [`source`](std::error::Error::source) (a reporter that prints the chain,
/// such as `anyhow`'s `{:#}`, would print it twice); match on the variant
/// to get at the `std::io::Error` itself.
///
/// The enum is `#[non_exhaustive]`: match with a wildcard arm so that new
/// variants in later versions do not break your build.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// A configuration value is out of range or inconsistent.
    Config(String),
    /// An input root (file or directory given by the user) cannot be read.
    Input {
        /// The path that could not be read.
        path: PathBuf,
        /// The underlying I/O error.
        source: std::io::Error,
    },
    /// Any other I/O error, with the path it concerns.
    Io {
        /// The file concerned.
        path: PathBuf,
        /// The underlying I/O error.
        source: std::io::Error,
    },
    /// A labeled truth file is malformed.
    Truth {
        /// The truth file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// A document was looked up by an id the engine does not know.
    UnknownDocument(String),
    /// An index file is missing, truncated, corrupt, not a regular file, or
    /// of a format version this build cannot read, or the directory is not
    /// an index.
    Index {
        /// The file (or index directory) concerned.
        path: PathBuf,
        /// What is wrong, for people.
        message: String,
    },
    /// Another writer holds the index's lock (and did not release it within
    /// the wait asked for, if any).
    IndexLocked {
        /// The lock file (`DIR/LOCK`).
        path: PathBuf,
        /// Process id of the holder, as its lock file records it.
        pid: Option<u32>,
        /// Always `false`: the lock is held by the operating system for as
        /// long as its writer lives and released when it dies, however it
        /// dies, so it cannot outlive its writer. Kept so that code that
        /// names the field still compiles.
        stale: bool,
    },
    /// A setting given for an index differs from the one it was created with.
    IndexConfigMismatch {
        /// The index directory.
        path: PathBuf,
        /// The setting (for example `shingle`).
        setting: String,
        /// Its value in the index.
        index: String,
        /// The value given.
        given: String,
    },
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::Config(m) => write!(f, "invalid configuration: {m}"),
            Error::Input { path, source } => {
                write!(f, "cannot read input {}: {source}", path_for_terminal(path))
            }
            Error::Io { path, source } => write!(f, "{}: {source}", path_for_terminal(path)),
            Error::Truth {
                path,
                line,
                message,
            } => write!(f, "{}:{line}: {message}", path_for_terminal(path)),
            Error::UnknownDocument(id) => write!(f, "unknown document id {id:?}"),
            Error::Index { path, message } => {
                write!(f, "index {}: {message}", path_for_terminal(path))
            }
            Error::IndexLocked { path, pid, .. } => write!(
                f,
                "index is locked by another writer ({}, lock file {}): the lock is released \
                 when that writer exits, however it exits; try again then, or wait for it \
                 (--wait SECONDS)",
                pid.map(|p| format!("process {p}"))
                    .unwrap_or_else(|| "process not recorded yet".into()),
                path_for_terminal(path)
            ),
            Error::IndexConfigMismatch {
                path,
                setting,
                index,
                given,
            } => write!(
                f,
                "index {} was created with {setting} = {index}, but {given} was given; \
                 an index keeps the configuration it was created with (create a new index \
                 to change it)",
                path_for_terminal(path)
            ),
        }
    }
}

impl std::error::Error for Error {}

/// Shorthand for `Result<T, neardup::Error>`.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_io_error_is_told_once() {
        let e = Error::Io {
            path: "/x/seg".into(),
            source: std::io::Error::from_raw_os_error(28),
        };
        let once = e.to_string();
        assert!(once.starts_with("/x/seg: "), "{once}");
        assert!(std::error::Error::source(&e).is_none());
        // What `{:#}` of anyhow prints: the message and each source.
        let mut chain = once.clone();
        let mut s = std::error::Error::source(&e);
        while let Some(c) = s {
            chain.push_str(&format!(": {c}"));
            s = c.source();
        }
        assert_eq!(chain, once);
        let name = Error::Index {
            path: "/i/\x1b]0;x\x07".into(),
            message: "m".into(),
        };
        assert_eq!(name.to_string(), "index /i/\\x1B]0;x\\x07: m");
    }
}
