//! Synthetic labeled syndication corpora, built from real wire stories.
//!
//! This crate (`neardup-synth`, in `benches/synth` of the neardup
//! repository) is not part of the `neardup` library: it serves the hidden
//! `neardup generate` command, the tests and the benches, and is not
//! published. It depends on nothing of `neardup`.
//!
//! [`generate_to_dir`] reads a folder of source stories (for example the
//! Reuters-21578 files under `../shared/data/reuters21578/docs`) and writes a
//! labeled corpus in which every picked story is republished by one to
//! several invented outlets, with the kinds of noise real syndication has:
//!
//! * **outlet frames**: each of the invented outlets ([`outlet_count`], 20
//!   in `data/outlets.txt`) wraps its copies in the same masthead,
//!   navigation, byline and footer boilerplate ("Sign up for our
//!   newsletter", copyright and syndication disclaimers).
//!   Because an outlet repeats its boilerplate on every article, two
//!   *different* stories from one outlet are the hard negatives of the set;
//! * **house style**: UK or US spelling, expanded wire abbreviations
//!   (`mln dlrs` becomes `million dollars`), dateline tags (`[CITY]`,
//!   `CITY (Reuters) -`), headline case, line layout (one line, one line per
//!   paragraph, blank-line paragraphs, re-wrapped wire lines);
//! * **truncation** at a sentence boundary to 30-80% of the words;
//! * **related-headline junk** (titles of *other* source stories) glued into
//!   a paragraph after a sentence;
//! * **"(Updates with ...)" lines** plus an added paragraph;
//! * **light edits**: a few words swapped for synonyms, a dropped sentence,
//!   two paragraphs swapped, changed whitespace and line endings;
//! * **write-through updates**: new paragraphs on top, about a third of the
//!   copy new text, and an `UPDATE n-` headline.
//!
//! Each kind has a rate in [`NoiseConfig`]. A story may also get one
//! **distractor** ([`SynthConfig::distractor_share`]): a different source
//! story on the same topic, published by one of the story's outlets and
//! labeled as its own cluster.
//!
//! The word lists (house spellings, abbreviations, editorial swaps, update
//! notes...) and the outlets are data files under `data/`, described in
//! `data/README.md` and compiled in; editing them changes every corpus.
//!
//! ```no_run
//! use neardup_synth::{generate_to_dir, SynthConfig};
//! use std::path::Path;
//!
//! let cfg = SynthConfig { stories: 500, seed: 1, ..SynthConfig::default() };
//! let summary = generate_to_dir(
//!     Path::new("../shared/data/reuters21578/docs"),
//!     Path::new("target/synth-500"),
//!     &cfg,
//! )?;
//! println!("{} documents in {} clusters", summary.documents, summary.clusters);
//! # Ok::<(), neardup_synth::Error>(())
//! ```
//!
//! # Sources
//!
//! Every regular file of the sources folder is a story: an optional title
//! line followed by a blank line, then paragraphs separated by blank lines or
//! started by an indented line (the Reuters layout). A closing `Reuter`
//! sign-off is dropped and a leading `CITY, Mon DD - ` dateline is split off
//! (outlets render it their own way). A source is skipped when it has fewer
//! than [`SynthConfig::min_source_words`] words, when less than 60% of its
//! words are in well-formed sentences (tables, results lists), or when it
//! overlaps an earlier source (see [`SynthConfig::max_source_overlap`]; this
//! drops re-sent and corrected wires, whose first 200 characters are
//! usually the same, and templated daily reports). Of the 21,578
//! Reuters-21578 files, 11,639 are usable.
//!
//! Topics for distractors come from a `meta.tsv` next to the sources folder
//! (`set/docs/` and `set/meta.tsv`, columns `doc` and `topics`, as in the
//! shared Reuters set); without it, distractors are random unused sources.
//!
//! Added text (write-through paragraphs, the paragraph of an "Updates" copy)
//! is made of sentences of sources that no story or distractor uses, so it
//! never creates text shared by two clusters; it is off-topic, which an
//! engine cannot tell from an on-topic update.
//!
//! # Output
//!
//! ```text
//! out/docs/s000000-c00.txt   copy 0 of story 0
//! out/docs/s000000-c01.txt   copy 1 of story 0
//! out/docs/d000000-c00.txt   the distractor published next to story 0
//! out/truth.tsv              doc<TAB>cluster, header line `doc\tcluster`
//! ```
//!
//! Clusters are named after the story (`s000000`) or distractor
//! (`d000000`); the first seven characters of a file name are its cluster.
//! `truth.tsv` is written to a temporary file and renamed into place once
//! every document is on disk. [`generate`] runs the same generator into any
//! sink instead of a folder. [`SynthConfig::expected_documents`] sizes a
//! corpus: the default config gives about 3.25 documents per story.
//!
//! # Long stories for benchmarks
//!
//! With [`SynthConfig::target_words`] set, a base story is not one source
//! wire but about `n` words of sentences taken from *many* sources, in
//! paragraphs of one to three sentences: all usable sentences are put in a
//! seeded random order and consumed in turn (the added text of copies too),
//! and the order is reshuffled when it runs out. Within one pass no sentence
//! is used twice, so two stories built in the same pass never share text.
//! Reuters-21578 gives about 84,000 usable sentences (2.0 million words), so
//! 30,000 stories of 640 words (about 100,000 documents, 425 MB, written in
//! about ten seconds) need about ten passes; a story then shares single
//! sentences with a few hundred stories of other passes, and two sentences
//! with one or two. That overlap is label noise: it is small (one shared
//! sentence of a 640-word story is about 3% of its shingles), but an engine
//! tuned on such a corpus should not be asked to find those sentences.
//! Mixed stories have no topic: their distractors are other mixed stories
//! from the same outlets. Small source folders make more passes and more
//! shared sentences.
//!
//! # Determinism
//!
//! The output is a pure function of the source files (read in byte order of
//! their names), the optional `meta.tsv` and the [`SynthConfig`]. Randomness
//! comes from a SplitMix64-seeded xoshiro256\*\* generator implemented here,
//! so a seed gives the same bytes on every machine and with every version of
//! this crate's dependencies. Changing any knob may change every document
//! after the first one it touches.
#![deny(missing_docs)]

use std::fs;
use std::io::{BufWriter, Write};
use std::path::Path;

mod config;
mod data;
mod error;
mod noise;
mod outlets;
mod rng;
mod sources;
mod stories;
#[cfg(test)]
mod testutil;
mod text;
mod words;

pub use config::{NoiseConfig, SynthConfig, SynthDoc, SynthSummary};
pub use error::{Error, Result};
pub use outlets::outlet_count;

use stories::Material;

/// Reads source stories (every regular file in `sources`, sorted by name;
/// e.g. `../shared/data/reuters21578/docs`) and writes `out/docs/*.txt` and
/// `out/truth.tsv`.
///
/// `out/docs` is created if needed and must be empty: the generator never
/// deletes files, and stale documents would be missing from the truth.
/// `truth.tsv` goes through `truth.tsv.tmp`, synced and renamed once every
/// document is written. Documents are written as they are produced; memory
/// use is bounded by the sources, not the output.
///
/// # Errors
///
/// [`Error::Config`] for an invalid config, more stories than usable sources
/// (without `target_words`), no usable source, or a non-empty `out/docs`;
/// [`Error::Input`] when `sources` cannot be listed; [`Error::Io`] when a
/// file cannot be read or written.
pub fn generate_to_dir(sources: &Path, out: &Path, cfg: &SynthConfig) -> Result<SynthSummary> {
    cfg.validate()?;
    let material = Material::load(sources, cfg)?;
    let docs = out.join("docs");
    fs::create_dir_all(&docs).map_err(io_err(&docs))?;
    if fs::read_dir(&docs).map_err(io_err(&docs))?.next().is_some() {
        return Err(Error::Config(format!(
            "output folder {} is not empty; remove it or pick another",
            docs.display()
        )));
    }
    let tmp = out.join("truth.tsv.tmp");
    let file = fs::File::create(&tmp).map_err(io_err(&tmp))?;
    let mut truth = BufWriter::with_capacity(1 << 16, file);
    truth.write_all(b"doc\tcluster\n").map_err(io_err(&tmp))?;
    let mut path = docs.clone();
    let result = material.run(cfg, |doc| {
        path.push(doc.name);
        let written = fs::write(&path, doc.text.as_bytes()).map_err(io_err(&path));
        path.pop();
        written?;
        writeln!(truth, "{}\t{}", doc.name, doc.cluster).map_err(io_err(&tmp))
    });
    let summary = match result {
        Ok(s) => s,
        Err(e) => {
            drop(truth);
            let _ = fs::remove_file(&tmp);
            return Err(e);
        }
    };
    let file = truth
        .into_inner()
        .map_err(|e| io_err(&tmp)(e.into_error()))?;
    file.sync_all().map_err(io_err(&tmp))?;
    drop(file);
    let dest = out.join("truth.tsv");
    fs::rename(&tmp, &dest).map_err(io_err(&dest))?;
    Ok(summary)
}

/// Runs the generator of [`generate_to_dir`] into `sink`, one document at a
/// time, in truth order (story copies, then its distractor, story by story).
/// An error from the sink stops the run and is returned.
///
/// # Errors
///
/// As [`generate_to_dir`], plus any error of the sink.
pub fn generate<F>(sources: &Path, cfg: &SynthConfig, sink: F) -> Result<SynthSummary>
where
    F: FnMut(&SynthDoc<'_>) -> Result<()>,
{
    cfg.validate()?;
    Material::load(sources, cfg)?.run(cfg, sink)
}

pub(crate) fn io_err(path: &Path) -> impl Fn(std::io::Error) -> Error + '_ {
    move |source| Error::Io {
        path: path.to_path_buf(),
        source,
    }
}
