//! neardup: find, cluster and explain near-duplicate articles.
#![deny(missing_docs)]

pub mod boilerplate;
pub mod cluster;
pub mod config;
pub mod corpus;
pub mod engine;
pub mod error;
pub mod eval;
pub mod explain;
pub mod lsh;
pub mod minhash;
pub mod output;
pub mod shingle;
pub mod synth;
pub mod tokenize;
pub mod verify;

pub use config::{Config, ConfigBuilder};
pub use corpus::{Corpus, CorpusOptions};
pub use engine::{Cluster, DocInfo, Engine, Pair, Scan, ScanResult, ScanStats};
pub use error::{Error, Result};
