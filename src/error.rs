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
}

/// Shorthand for `Result<T, neardup::Error>`.
pub type Result<T, E = Error> = std::result::Result<T, E>;
