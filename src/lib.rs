//! neardup: find, cluster and explain near-duplicate articles.
#![deny(missing_docs)]

pub mod error;
pub mod explain;
pub mod synth;
pub mod tokenize;

pub use error::{Error, Result};
