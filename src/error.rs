//! Typed errors of the library.

use std::path::PathBuf;

/// Everything that can go wrong in the library.
///
/// The enum is `#[non_exhaustive]`: match with a wildcard arm so that new
/// variants in later versions do not break your build.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A configuration value is out of range or inconsistent.
    #[error("invalid configuration: {0}")]
    Config(String),
    /// An input root (file or directory given by the user) cannot be read.
    #[error("cannot read input {}: {source}", path.display())]
    Input {
        /// The path that could not be read.
        path: PathBuf,
        /// The underlying I/O error.
        #[source]
        source: std::io::Error,
    },
    /// Any other I/O error, with the path it concerns.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file concerned.
        path: PathBuf,
        /// The underlying I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A labeled truth file is malformed.
    #[error("{}:{line}: {message}", path.display())]
    Truth {
        /// The truth file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// A document was looked up by an id the engine does not know.
    #[error("unknown document id {0:?}")]
    UnknownDocument(String),
    /// An index file is missing, truncated, corrupt or of a format version
    /// this build cannot read, or the directory is not an index.
    #[error("index {}: {message}", path.display())]
    Index {
        /// The file (or index directory) concerned.
        path: PathBuf,
        /// What is wrong, for people.
        message: String,
    },
    /// Another writer holds the index's lock file.
    #[error("index is locked by another writer ({}, lock file {}){}",
        pid.map(|p| format!("process {p}")).unwrap_or_else(|| "unknown process".into()),
        path.display(),
        if *stale { "; that process is no longer running, so the lock is stale: \
            delete the lock file (or pass --break-stale-lock) once you are sure no writer is running" } else { "" })]
    IndexLocked {
        /// The lock file (`DIR/LOCK`).
        path: PathBuf,
        /// Process id of the holder, when the lock file names one.
        pid: Option<u32>,
        /// Whether the holder is known to be dead (same host, no such process).
        stale: bool,
    },
    /// A setting given for an index differs from the one it was created with.
    #[error("index {} was created with {setting} = {index}, but {given} was given; \
        an index keeps the configuration it was created with (create a new index to change it)",
        path.display())]
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

/// Shorthand for `Result<T, neardup::Error>`.
pub type Result<T, E = Error> = std::result::Result<T, E>;
