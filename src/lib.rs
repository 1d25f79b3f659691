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
//! [`Engine`] runs the stages in order; each lives in a module of its own:
//!
//! 1. [`corpus`]: streams directories, files and JSON Lines, in parallel
//!    batches, reporting every skipped input with its file (and line).
//! 2. `tokenize`: Unicode words with byte offsets, case-folded and hashed.
//! 3. `shingle`: word k-grams hashed with xxh3 into a set per document.
//! 4. `boilerplate`: shingles found in too many copy groups are ignored.
//! 5. [`minhash`]: signatures reproducible forever from a stored seed.
//! 6. `lsh`: banding tuned on the S-curve proposes candidate pairs.
//! 7. `verify`: exact Jaccard and containment of each candidate.
//! 8. `cluster`: verified pairs become clusters, guarded against chaining.
//! 9. [`explain`](mod@explain): shared passages, edits and each copy's
//!    additions, with byte offsets.
//!
//! [`output`] and [`report`] write JSON Lines, CSV, text and HTML; [`eval`]
//! scores a result against labeled truth; [`index`] keeps a persistent,
//! incremental index for daily ingest. `docs/DESIGN.md` in the repository
//! explains the choices and the maths.
//!
//! ## Features
//!
//! * `cli` (default): the `neardup` binary (clap, indicatif, anyhow). An
//!   embedding crate depends on `neardup` with `default-features = false`
//!   and compiles none of them.
//! * `internals`: makes the stage modules in plain code above public, for
//!   benches, fuzz targets and property tests. Not a stable API.
#![deny(missing_docs)]

/// Declares a stage module that is crate-private unless the `internals`
/// feature (for benches, fuzz targets and property tests) makes it public.
/// Its items are the internals' API, so unused ones are no dead code.
macro_rules! internal {
    ($(#[$attr:meta])* $name:ident) => {
        $(#[$attr])*
        #[cfg(feature = "internals")]
        pub mod $name;
        $(#[$attr])*
        #[cfg(not(feature = "internals"))]
        #[allow(dead_code, unused_imports)]
        pub(crate) mod $name;
    };
}

internal!(boilerplate);
internal!(cluster);
pub mod config;
pub mod corpus;
mod cpu;
pub mod digest;
pub mod display;
pub mod engine;
pub mod error;
pub mod eval;
pub mod explain;
pub mod figures;
internal!(
    #[doc(hidden)]
    fuzzing
);
pub mod index;
#[cfg(target_arch = "x86_64")]
mod keysort;
internal!(lsh);
pub mod minhash;
pub mod output;
mod prefetch;
pub mod report;
mod safe_open;
internal!(shingle);
pub mod sketch;
pub mod stages;
internal!(store);
#[cfg(test)]
mod testutil;
internal!(tokenize);
internal!(verify);
mod xxh3;

pub use config::{Config, ConfigBuilder};
pub use corpus::{Corpus, CorpusOptions};
pub use engine::{Cluster, DocInfo, Engine, Pair, Scan, ScanResult, ScanStats};
pub use error::{Error, Result};
pub use explain::{explain, AlignConfig, Explanation};
pub use index::{Index, IndexWriter, Match};
pub use lsh::Banding;
pub use minhash::Scheme;
pub use verify::Similarity;
