//! # neardup
//!
//! Find, cluster and explain near-duplicate articles: the syndicated copies
//! of one wire story that every aggregator, media monitor and archive
//! ingests many times, each with its own header and footer, a cut ending, an
//! added "updates with..." paragraph or glued-in related links.
//!
//! ```
//! use neardup::{Config, Engine};
//!
//! let story = "Chinese officials summoned the heads of major electric vehicle makers, \
//!     including BYD Co., to Beijing earlier this week to address concerns about the \
//!     long-running price war, according to people familiar with the matter. \
//!     Officials told EV makers to self-regulate and not to sell cars below cost.";
//! let copy = format!("Business Daily | Markets\n\n{story}\n\n(Only the headline may have been reworked.)");
//! let cut = &story[..story.find(" Officials").unwrap()];
//!
//! let engine = Engine::new(Config::default());
//! let mut scan = engine.scan();
//! scan.add_text("wire.txt", story);
//! scan.add_text("outlet.txt", &copy);
//! scan.add_text("truncated.txt", cut);
//! scan.add_text("other.txt", "Football: the home side won two to nil on Sunday afternoon.");
//! let result = scan.finish();
//!
//! assert_eq!(result.clusters.len(), 1);
//! let cluster = &result.clusters[0];
//! assert_eq!(result.cluster_ids(cluster), ["outlet.txt", "truncated.txt", "wire.txt"]);
//! for pair in &cluster.pairs {
//!     assert!(pair.containment >= 0.7, "{pair:?}");
//! }
//! ```
//!
//! ## Pipeline
//!
//! Each stage is a module usable on its own:
//!
//! 1. [`corpus`]: streams directories, files and JSON Lines, in parallel
//!    batches, reporting every skipped input with its file (and line).
//! 2. [`tokenize`]: Unicode words with byte offsets, case-folded and hashed.
//! 3. [`shingle`]: word k-grams hashed with xxh3 into a set per document.
//! 4. [`boilerplate`]: shingles found in too many documents are ignored.
//! 5. [`minhash`]: signatures reproducible forever from a stored seed.
//! 6. [`lsh`]: banding tuned on the S-curve proposes candidate pairs.
//! 7. [`verify`]: exact Jaccard and containment of each candidate.
//! 8. [`cluster`]: verified pairs become clusters, guarded against chaining.
//! 9. [`explain`]: shared passages and each copy's additions, with offsets.
//!
//! [`Engine`] runs them all; [`output`] writes JSON Lines, CSV or text, and
//! [`eval`] scores a result against labeled truth. `docs/DESIGN.md` in the
//! repository explains the choices and the maths.
#![deny(missing_docs)]

pub mod boilerplate;
pub mod cluster;
pub mod config;
pub mod corpus;
mod cpu;
pub mod display;
pub mod engine;
pub mod error;
pub mod eval;
pub mod explain;
#[doc(hidden)]
pub mod fuzzing;
pub mod index;
#[cfg(target_arch = "x86_64")]
mod keysort;
pub mod lsh;
pub mod minhash;
pub mod output;
mod prefetch;
pub mod report;
mod safe_open;
pub mod shingle;
pub mod store;
pub mod synth;
#[cfg(test)]
mod testutil;
pub mod tokenize;
pub mod verify;
mod xxh3;

pub use config::{Config, ConfigBuilder};
pub use corpus::{Corpus, CorpusOptions};
pub use engine::{Cluster, DocInfo, Engine, Pair, Scan, ScanResult, ScanStats};
pub use error::{Error, Result};
