//! Errors of the generator.

use std::path::PathBuf;

/// Everything that can stop a run of the generator.
///
/// The underlying I/O error is the [`source`](std::error::Error::source) of
/// [`Error::Input`] and [`Error::Io`], not part of their message: print the
/// chain (for example with `anyhow`'s `{:#}`) to see it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A knob of [`SynthConfig`](crate::SynthConfig) is out of range, the
    /// sources cannot give what it asks, or the output folder is not empty.
    #[error("invalid generator configuration: {0}")]
    Config(String),
    /// The sources folder cannot be listed.
    #[error("cannot read the sources folder {}", path.display())]
    Input {
        /// The sources folder.
        path: PathBuf,
        /// The underlying I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A source or output file cannot be read or written.
    #[error("{}", path.display())]
    Io {
        /// The file concerned.
        path: PathBuf,
        /// The underlying I/O error.
        #[source]
        source: std::io::Error,
    },
}

/// `Result` with the generator's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
