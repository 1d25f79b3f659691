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
//! * **outlet frames**: each of [`OUTLET_COUNT`] invented outlets wraps its
//!   copies in the same masthead, navigation, byline and footer boilerplate
//!   ("Sign up for our newsletter", copyright and syndication disclaimers).
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

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt::Write as _;
use std::fs;
use std::hash::{BuildHasherDefault, Hasher};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

mod error;

pub use error::{Error, Result};

// ---------------------------------------------------------------------------
// Configuration

/// Knobs of the generator. Build with struct update syntax from
/// [`SynthConfig::default`]:
///
/// ```
/// use neardup_synth::SynthConfig;
/// let cfg = SynthConfig { stories: 50, seed: 7, ..SynthConfig::default() };
/// assert!(cfg.validate().is_ok());
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct SynthConfig {
    /// Number of syndicated base stories (clusters other than distractors).
    /// Default 100. Without [`target_words`](Self::target_words) it cannot
    /// exceed the number of usable source stories.
    pub stories: usize,
    /// Seed of every random choice. Default `0x5EED`.
    pub seed: u64,
    /// Fewest copies of a story, at least 1. Default 1.
    pub min_copies: usize,
    /// Most copies of a story, at most 99. The count of each story is
    /// uniform in `min_copies..=max_copies`. Default 5.
    pub max_copies: usize,
    /// When set, every base story is about this many words of sentences
    /// mixed from many sources (see the module docs), instead of one source
    /// story. Must be at least 20. Default `None`.
    pub target_words: Option<usize>,
    /// Probability that a story is accompanied by one distractor: a
    /// different story on the same topic from one of its outlets, labeled as
    /// its own cluster. In `0..=1`; default 0.25.
    pub distractor_share: f64,
    /// Source stories with fewer words (title excluded) are skipped.
    /// Default 60.
    pub min_source_words: usize,
    /// A source is skipped when at least this share of its distinct word
    /// 5-shingles already occurs in sources kept before it (in name order):
    /// this drops re-sent, corrected and templated wires, so that two
    /// clusters never start from near-duplicate sources. In `0..=1`;
    /// default 0.3.
    pub max_source_overlap: f64,
    /// Rates of each kind of noise applied to a copy.
    pub noise: NoiseConfig,
}

impl Default for SynthConfig {
    fn default() -> Self {
        SynthConfig {
            stories: 100,
            seed: 0x5EED,
            min_copies: 1,
            max_copies: 5,
            target_words: None,
            distractor_share: 0.25,
            min_source_words: 60,
            max_source_overlap: 0.3,
            noise: NoiseConfig::default(),
        }
    }
}

impl SynthConfig {
    /// Checks every knob once; [`generate`] and [`generate_to_dir`] call it.
    pub fn validate(&self) -> Result<()> {
        let bad = |msg: String| Err(Error::Config(msg));
        if self.stories == 0 {
            return bad("stories must be at least 1".into());
        }
        if self.min_copies == 0 || self.min_copies > self.max_copies || self.max_copies > 99 {
            return bad(format!(
                "need 1 <= min_copies <= max_copies <= 99, got {}..={}",
                self.min_copies, self.max_copies
            ));
        }
        if let Some(n) = self.target_words {
            if n < 20 {
                return bad(format!("target_words must be at least 20, got {n}"));
            }
        }
        let mut rates = vec![
            ("distractor_share", self.distractor_share),
            ("max_source_overlap", self.max_source_overlap),
        ];
        rates.extend(self.noise.rates());
        for (name, v) in rates {
            if !(0.0..=1.0).contains(&v) {
                return bad(format!("{name} must be in 0..=1, got {v}"));
            }
        }
        Ok(())
    }

    /// Expected number of documents: `stories * ((min_copies + max_copies) / 2
    /// + distractor_share)`. Useful to size a corpus by document count.
    pub fn expected_documents(&self) -> f64 {
        let copies = (self.min_copies + self.max_copies) as f64 / 2.0;
        self.stories as f64 * (copies + self.distractor_share)
    }
}

/// Probability of each kind of noise, drawn independently for every copy.
#[derive(Debug, Clone, PartialEq)]
pub struct NoiseConfig {
    /// The copy is wrapped in an outlet frame (masthead, byline, footer)
    /// and laid out in the outlet's style; otherwise it is a plain wire copy
    /// (upper-case title, 70-column lines, ` Reuter` sign-off). Default 0.85.
    pub frame: f64,
    /// A framed copy gets its outlet's house spelling (UK or US) and
    /// expanded wire abbreviations. Default 0.7.
    pub house_style: f64,
    /// Cut at a sentence boundary to 30-80% of its words (75-90% for a
    /// write-through, so that the original text still dominates), keeping at
    /// least 40 words; copies under 120 words are never cut. Default 0.2.
    pub truncate: f64,
    /// Related headlines of other stories glued inside a paragraph.
    /// Default 0.15.
    pub junk: f64,
    /// An "(Updates with ...)" line and one added paragraph. Default 0.15.
    pub update_line: f64,
    /// Words swapped for synonyms: one to four, at most one per 100 words
    /// of the copy and one per paragraph. Default 0.4.
    pub edit: f64,
    /// One sentence dropped (never the first; not in copies under 120
    /// words). Default 0.2.
    pub drop_sentence: f64,
    /// Two adjacent paragraphs (never the lead) swapped. Default 0.1.
    pub reorder: f64,
    /// Write-through update: new paragraphs on top (about a third of the
    /// copy) and an `UPDATE n-` headline. Default 0.08.
    pub write_through: f64,
    /// Whitespace noise: CRLF line ends, doubled spaces, trailing spaces or
    /// extra blank lines. Default 0.1.
    pub whitespace: f64,
}

impl Default for NoiseConfig {
    fn default() -> Self {
        NoiseConfig {
            frame: 0.85,
            house_style: 0.7,
            truncate: 0.2,
            junk: 0.15,
            update_line: 0.15,
            edit: 0.4,
            drop_sentence: 0.2,
            reorder: 0.1,
            write_through: 0.08,
            whitespace: 0.1,
        }
    }
}

impl NoiseConfig {
    /// No noise at all: every copy of a story is the same plain wire text,
    /// byte for byte (exact duplicates).
    pub fn none() -> Self {
        NoiseConfig {
            frame: 0.0,
            house_style: 0.0,
            truncate: 0.0,
            junk: 0.0,
            update_line: 0.0,
            edit: 0.0,
            drop_sentence: 0.0,
            reorder: 0.0,
            write_through: 0.0,
            whitespace: 0.0,
        }
    }

    fn rates(&self) -> [(&'static str, f64); 10] {
        [
            ("noise.frame", self.frame),
            ("noise.house_style", self.house_style),
            ("noise.truncate", self.truncate),
            ("noise.junk", self.junk),
            ("noise.update_line", self.update_line),
            ("noise.edit", self.edit),
            ("noise.drop_sentence", self.drop_sentence),
            ("noise.reorder", self.reorder),
            ("noise.write_through", self.write_through),
            ("noise.whitespace", self.whitespace),
        ]
    }
}

/// What a run produced.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SynthSummary {
    /// Documents written.
    pub documents: usize,
    /// Distinct clusters in the truth (stories plus distractors).
    pub clusters: usize,
    /// Total bytes of document text.
    pub bytes: u64,
}

/// One generated document, as handed to the sink of [`generate`].
#[derive(Debug, Clone, Copy)]
pub struct SynthDoc<'a> {
    /// File name, e.g. `s000012-c03.txt`.
    pub name: &'a str,
    /// Truth cluster, e.g. `s000012`.
    pub cluster: &'a str,
    /// The document text.
    pub text: &'a str,
}

// ---------------------------------------------------------------------------
// Entry points

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

fn io_err(path: &Path) -> impl Fn(std::io::Error) -> Error + '_ {
    move |source| Error::Io {
        path: path.to_path_buf(),
        source,
    }
}

// ---------------------------------------------------------------------------
// Random numbers: SplitMix64 seeding + xoshiro256** (Blackman & Vigna).
// Implemented here so that streams never change with a dependency version.

/// One step of SplitMix64.
fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// xoshiro256** generator.
#[derive(Debug, Clone)]
struct Rng {
    s: [u64; 4],
}

/// Stream domains of [`Rng::derive`].
const DOMAIN_PICK: u64 = 1;
const DOMAIN_STORY: u64 = 2;
const DOMAIN_STREAM: u64 = 3;
const DOMAIN_FILLER: u64 = 4;

impl Rng {
    fn new(seed: u64) -> Rng {
        let mut sm = seed;
        Rng {
            s: [
                splitmix64(&mut sm),
                splitmix64(&mut sm),
                splitmix64(&mut sm),
                splitmix64(&mut sm),
            ],
        }
    }

    /// An independent stream for (`domain`, `index`) under `seed`.
    fn derive(seed: u64, domain: u64, index: u64) -> Rng {
        let mut sm = seed;
        let a = splitmix64(&mut sm);
        let mut sm = a ^ domain.wrapping_mul(0xD1B5_4A32_D192_ED03);
        let b = splitmix64(&mut sm);
        Rng::new(b ^ index.wrapping_mul(0x9E37_79B9_7F4A_7C15))
    }

    fn next_u64(&mut self) -> u64 {
        let s = &mut self.s;
        let result = s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = s[3].rotate_left(45);
        result
    }

    /// Uniform in `0..n` (`n > 0`), by multiply-shift.
    fn below(&mut self, n: usize) -> usize {
        debug_assert!(n > 0);
        ((u128::from(self.next_u64()) * n as u128) >> 64) as usize
    }

    /// Uniform in `lo..=hi` (`lo <= hi`).
    fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below(hi - lo + 1)
    }

    /// Uniform in `[0, 1)`.
    fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    fn chance(&mut self, p: f64) -> bool {
        p > 0.0 && self.unit() < p
    }

    fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len())]
    }

    fn shuffle<T>(&mut self, xs: &mut [T]) {
        for i in (1..xs.len()).rev() {
            let j = self.below(i + 1);
            xs.swap(i, j);
        }
    }
}

// ---------------------------------------------------------------------------
// Text helpers

fn word_count(s: &str) -> usize {
    s.split_whitespace().count()
}

fn words_of(paras: &[String]) -> usize {
    paras.iter().map(|p| word_count(p)).sum()
}

/// Share of whitespace tokens holding at least one letter.
fn letter_ratio(s: &str) -> f64 {
    let (mut n, mut letters) = (0usize, 0usize);
    for w in s.split_whitespace() {
        n += 1;
        if w.chars().any(char::is_alphabetic) {
            letters += 1;
        }
    }
    if n == 0 {
        0.0
    } else {
        letters as f64 / n as f64
    }
}

const ABBREVIATIONS: &[&str] = &[
    "mr", "mrs", "ms", "dr", "st", "co", "corp", "inc", "ltd", "jr", "sr", "no", "nos", "jan",
    "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "gov", "sen",
    "rep", "gen", "col", "lt", "mt", "vs", "ave", "bros", "prof", "approx", "dept", "fig", "est",
];

fn is_abbreviation(before: &str) -> bool {
    let word = before.rsplit(' ').next().unwrap_or("");
    let word = word.trim_start_matches(|c: char| !c.is_alphanumeric());
    if word.contains('.') {
        return true; // "U.S." and other dotted abbreviations
    }
    let mut chars = word.chars();
    if let (Some(c), None) = (chars.next(), chars.next()) {
        return c.is_uppercase(); // an initial: "J. Smith"
    }
    word.len() <= 5 && ABBREVIATIONS.iter().any(|a| a.eq_ignore_ascii_case(word))
}

/// Byte spans of the sentences of a paragraph (single spaces between words,
/// as produced by the source parser). A sentence ends at `.`, `?` or `!`
/// (plus closing quotes or brackets) followed by a space and a capital,
/// digit, quote or non-ASCII character, unless the word before the period is
/// an abbreviation.
fn sentence_spans(p: &str, out: &mut Vec<(usize, usize)>) {
    out.clear();
    let b = p.as_bytes();
    let (mut start, mut i) = (0usize, 0usize);
    while i < b.len() {
        let c = b[i];
        if matches!(c, b'.' | b'?' | b'!') {
            let mut j = i + 1;
            while j < b.len() && matches!(b[j], b'"' | b'\'' | b')') {
                j += 1;
            }
            if j < b.len() && b[j] == b' ' {
                let mut k = j;
                while k < b.len() && b[k] == b' ' {
                    k += 1;
                }
                let next_ok = k < b.len()
                    && (b[k].is_ascii_uppercase()
                        || b[k].is_ascii_digit()
                        || matches!(b[k], b'"' | b'\'' | b'(')
                        || b[k] >= 0x80);
                if next_ok && !(c == b'.' && is_abbreviation(&p[start..i])) {
                    out.push((start, j));
                    start = k;
                    i = k;
                    continue;
                }
            }
        }
        i += 1;
    }
    let end = p.trim_end().len();
    if start < end {
        out.push((start, end));
    }
}

/// FNV-1a of a word, ASCII case folded.
fn word_hash(w: &str) -> u64 {
    let mut h = 0xcbf2_9ce4_8422_2325u64;
    for &b in w.as_bytes() {
        h ^= u64::from(b.to_ascii_lowercase());
        h = h.wrapping_mul(0x0000_0100_0000_01B3);
    }
    h
}

fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

const SHINGLE: usize = 5;

/// Distinct word 5-shingle hashes of `text` (sorted), words being runs of
/// alphanumeric characters. Texts of fewer than five words give one shingle.
fn shingles(text: &str, out: &mut Vec<u64>) {
    out.clear();
    let words: Vec<u64> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(word_hash)
        .collect();
    let fold = |ws: &[u64]| {
        mix64(ws.iter().fold(0u64, |h, &w| {
            h.rotate_left(13) ^ w.wrapping_mul(0x9E37_79B9_7F4A_7C15)
        }))
    };
    if words.len() < SHINGLE {
        if !words.is_empty() {
            out.push(fold(&words));
        }
    } else {
        out.extend(words.windows(SHINGLE).map(fold));
    }
    out.sort_unstable();
    out.dedup();
}

/// Hasher for keys that are already well-mixed `u64`s.
#[derive(Default)]
struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01B3);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

type U64Set = HashSet<u64, BuildHasherDefault<IdHasher>>;

/// Wire abbreviations that are not acronyms (lower case in headlines).
const WIRE_ABBREVIATIONS: &[&str] = &[
    "mln", "bln", "dlr", "dlrs", "pct", "cts", "qtr", "shr", "shrs", "yr", "avg", "govt", "vs",
];

/// Words of all-caps headlines that have no vowel (or two letters) but are
/// not acronyms.
const CAPS_WORDS: &[&str] = &[
    "ltd", "mr", "mrs", "dr", "st", "by", "my", "am", "an", "as", "at", "be", "do", "go", "he",
    "if", "in", "is", "it", "me", "no", "of", "on", "or", "so", "to", "up", "we",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CapsWord {
    /// A wire abbreviation such as `MLN`: lower case.
    Abbreviation,
    /// Likely an acronym or code (`GM`, `U.S.`, `<ACM>`, `1987`): kept.
    Acronym,
    /// An ordinary word.
    Word,
}

/// Guesses what a word of an all-caps headline is.
fn caps_word_kind(w: &str) -> CapsWord {
    let core = w.trim_matches(|c: char| !c.is_alphanumeric());
    if w.contains('.') || w.starts_with('<') || core.chars().any(|c| c.is_ascii_digit()) {
        return CapsWord::Acronym;
    }
    if WIRE_ABBREVIATIONS
        .iter()
        .any(|a| a.eq_ignore_ascii_case(core))
    {
        return CapsWord::Abbreviation;
    }
    if core.is_empty() || CAPS_WORDS.iter().any(|a| a.eq_ignore_ascii_case(core)) {
        return CapsWord::Word;
    }
    if core.chars().count() <= 2 || !core.chars().any(|c| "AEIOUaeiou".contains(c)) {
        CapsWord::Acronym
    } else {
        CapsWord::Word
    }
}

/// Headline case: every word capitalised except short function words;
/// all-caps input is lowered first, keeping likely acronyms (no vowel).
fn title_case(title: &str) -> String {
    const SMALL: &[&str] = &[
        "a", "an", "and", "as", "at", "but", "by", "for", "from", "in", "into", "of", "on", "or",
        "over", "the", "to", "up", "vs", "with",
    ];
    let shouting = !title.chars().any(char::is_lowercase);
    let mut out = String::with_capacity(title.len());
    for (i, w) in title.split_whitespace().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        let kind = if shouting {
            caps_word_kind(w)
        } else if w.chars().skip(1).any(char::is_uppercase) {
            CapsWord::Acronym
        } else {
            CapsWord::Word
        };
        if kind == CapsWord::Abbreviation {
            out.push_str(&w.to_lowercase());
            continue;
        }
        if kind == CapsWord::Acronym {
            out.push_str(w);
            continue;
        }
        let lower = if shouting {
            w.to_lowercase()
        } else {
            w.to_string()
        };
        if i > 0 && SMALL.contains(&lower.as_str()) {
            out.push_str(&lower);
        } else {
            capitalize_into(&lower, &mut out);
        }
    }
    out
}

/// Sentence case: first word capitalised, the rest lowered when the input
/// is all caps (likely acronyms kept).
fn sentence_case(title: &str) -> String {
    let shouting = !title.chars().any(char::is_lowercase);
    let mut out = String::with_capacity(title.len());
    for (i, w) in title.split_whitespace().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        if !shouting || caps_word_kind(w) == CapsWord::Acronym {
            if i == 0 {
                capitalize_into(w, &mut out);
            } else {
                out.push_str(w);
            }
        } else if i == 0 {
            capitalize_into(&w.to_lowercase(), &mut out);
        } else {
            out.push_str(&w.to_lowercase());
        }
    }
    out
}

fn capitalize_into(w: &str, out: &mut String) {
    let mut chars = w.chars();
    if let Some(c) = chars.next() {
        out.extend(c.to_uppercase());
        out.push_str(chars.as_str());
    }
}

/// Drops `<TICKER>` tokens.
fn strip_tickers(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for w in s.split_whitespace() {
        if w.starts_with('<') && w.ends_with('>') {
            continue;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(w);
    }
    out
}

/// Appends `rep` with the case pattern of `orig` (ALL CAPS, Capitalised or
/// as is).
fn push_cased(orig: &str, rep: &str, out: &mut String) {
    let b = orig.as_bytes();
    if b.len() > 1 && b.iter().all(|c| !c.is_ascii_lowercase()) {
        out.push_str(&rep.to_ascii_uppercase());
    } else if b.first().is_some_and(u8::is_ascii_uppercase) {
        capitalize_into(rep, out);
    } else {
        out.push_str(rep);
    }
}

/// Calls `f` with the lower-case form of every ASCII word of `text` (runs of
/// ASCII letters not touching digits or non-ASCII characters) and rewrites
/// the words it maps, keeping their case. `None` when nothing changed.
fn map_words<F>(text: &str, mut f: F) -> Option<String>
where
    F: FnMut(&str) -> Option<&'static str>,
{
    let b = text.as_bytes();
    let mut out: Option<String> = None;
    let mut last = 0;
    let mut lower = [0u8; 24];
    let mut i = 0;
    while i < b.len() {
        if !(b[i].is_ascii_alphanumeric() || b[i] >= 0x80) {
            i += 1;
            continue;
        }
        let start = i;
        let mut letters = true;
        while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] >= 0x80) {
            letters &= b[i].is_ascii_alphabetic();
            i += 1;
        }
        let len = i - start;
        if !letters || !(2..=lower.len()).contains(&len) {
            continue;
        }
        for (d, s) in lower.iter_mut().zip(&b[start..i]) {
            *d = s.to_ascii_lowercase();
        }
        // The slice holds ASCII letters only.
        let key = std::str::from_utf8(&lower[..len]).unwrap_or("");
        if let Some(rep) = f(key) {
            let o = out.get_or_insert_with(|| String::with_capacity(text.len() + 32));
            o.push_str(&text[last..start]);
            push_cased(&text[start..i], rep, o);
            last = i;
        }
    }
    out.map(|mut o| {
        o.push_str(&text[last..]);
        o
    })
}

/// Appends `text` wrapped at `width` columns; the first line is indented by
/// `indent` spaces.
fn push_wrapped(text: &str, width: usize, indent: usize, out: &mut String) {
    let mut col = indent;
    for _ in 0..indent {
        out.push(' ');
    }
    let mut first = true;
    for w in text.split_whitespace() {
        let len = w.chars().count();
        if !first {
            if col + 1 + len > width {
                out.push('\n');
                col = 0;
            } else {
                out.push(' ');
                col += 1;
            }
        }
        out.push_str(w);
        col += len;
        first = false;
    }
    out.push('\n');
}

// ---------------------------------------------------------------------------
// Word lists (written for this project)

/// US and UK spellings.
const SPELLINGS: &[(&str, &str)] = &[
    ("program", "programme"),
    ("programs", "programmes"),
    ("labor", "labour"),
    ("center", "centre"),
    ("centers", "centres"),
    ("favor", "favour"),
    ("favorable", "favourable"),
    ("honor", "honour"),
    ("color", "colour"),
    ("behavior", "behaviour"),
    ("neighbor", "neighbour"),
    ("neighboring", "neighbouring"),
    ("harbor", "harbour"),
    ("organization", "organisation"),
    ("organizations", "organisations"),
    ("analyze", "analyse"),
    ("analyzed", "analysed"),
    ("realize", "realise"),
    ("realized", "realised"),
    ("recognize", "recognise"),
    ("recognized", "recognised"),
    ("authorize", "authorise"),
    ("authorized", "authorised"),
    ("privatization", "privatisation"),
    ("stabilize", "stabilise"),
    ("subsidize", "subsidise"),
    ("criticize", "criticise"),
    ("criticized", "criticised"),
    ("emphasize", "emphasise"),
    ("emphasized", "emphasised"),
    ("minimize", "minimise"),
    ("maximize", "maximise"),
    ("utilize", "utilise"),
    ("utilized", "utilised"),
    ("liberalization", "liberalisation"),
    ("defense", "defence"),
    ("offense", "offence"),
    ("traveled", "travelled"),
    ("fueled", "fuelled"),
    ("canceled", "cancelled"),
    ("labeled", "labelled"),
    ("modeling", "modelling"),
    ("gray", "grey"),
    ("jewelry", "jewellery"),
    ("catalog", "catalogue"),
    ("fiber", "fibre"),
    ("liter", "litre"),
    ("liters", "litres"),
    ("meter", "metre"),
    ("meters", "metres"),
    ("tonnage", "tonnage"),
];

/// Wire abbreviations and their spelled-out forms (`pct` is handled apart:
/// `percent` or `per cent` after the house spelling).
const EXPANSIONS: &[(&str, &str)] = &[
    ("mln", "million"),
    ("bln", "billion"),
    ("dlrs", "dollars"),
    ("dlr", "dollar"),
    ("cts", "cents"),
    ("qtr", "quarter"),
    ("yr", "year"),
    ("avg", "average"),
    ("govt", "government"),
    ("shrs", "shares"),
];

/// Light editorial swaps (one direction each).
const EDITS: &[(&str, &str)] = &[
    ("rose", "climbed"),
    ("climbed", "rose"),
    ("fell", "declined"),
    ("declined", "fell"),
    ("about", "around"),
    ("around", "about"),
    ("company", "firm"),
    ("firm", "company"),
    ("expects", "anticipates"),
    ("plans", "intends"),
    ("large", "big"),
    ("big", "large"),
    ("buy", "acquire"),
    ("increase", "rise"),
    ("major", "leading"),
    ("spokesman", "spokesperson"),
    ("talks", "negotiations"),
    ("officials", "authorities"),
    ("agreement", "deal"),
    ("sharply", "steeply"),
    ("total", "overall"),
    ("told", "informed"),
    ("also", "additionally"),
    ("but", "however"),
    ("begin", "start"),
    ("start", "begin"),
    ("shares", "stock"),
    ("profit", "earnings"),
];

const UPDATE_NOTES: &[&str] = &[
    "(Updates with analyst comment in paragraph {n})",
    "(Updates with company statement in paragraph {n})",
    "(Adds background in paragraph {n})",
    "(Updates with details from news conference in paragraph {n})",
    "(Adds quote from ministry official in paragraph {n})",
    "(Updates with closing share prices)",
    "(Adds official reaction, details on financing)",
    "(Recasts lead, adds quotes)",
];

const SECTIONS: &[&str] = &[
    "Business",
    "Markets",
    "World",
    "Economy",
    "Companies",
    "Commodities",
    "Energy",
    "Finance",
];

const MONTHS: &[&str] = &[
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

struct Lexicon {
    us_to_uk: HashMap<&'static str, &'static str>,
    uk_to_us: HashMap<&'static str, &'static str>,
    expansions: HashMap<&'static str, &'static str>,
    edits: HashMap<&'static str, &'static str>,
}

impl Lexicon {
    fn new() -> Lexicon {
        Lexicon {
            us_to_uk: SPELLINGS.iter().copied().collect(),
            uk_to_us: SPELLINGS.iter().map(|&(us, uk)| (uk, us)).collect(),
            expansions: EXPANSIONS.iter().copied().collect(),
            edits: EDITS.iter().copied().collect(),
        }
    }

    fn house_word(&self, spelling: Spelling, expand: bool, w: &str) -> Option<&'static str> {
        if expand {
            if w == "pct" {
                return Some(if spelling == Spelling::Uk {
                    "per cent"
                } else {
                    "percent"
                });
            }
            if let Some(&x) = self.expansions.get(w) {
                return Some(x);
            }
        }
        match spelling {
            Spelling::Uk => self.us_to_uk.get(w).copied(),
            Spelling::Us => self.uk_to_us.get(w).copied(),
            Spelling::Keep => None,
        }
    }
}

// ---------------------------------------------------------------------------
// Outlets (invented; their boilerplate is written for this project)

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Spelling {
    Keep,
    Us,
    Uk,
}

#[derive(Debug, Clone, Copy)]
enum Case {
    Keep,
    Title,
    Sentence,
    Upper,
}

#[derive(Debug, Clone, Copy)]
enum Layout {
    /// The whole body on one line, as scraped from a page.
    OneLine,
    /// One line per paragraph.
    Lines,
    /// Paragraphs separated by a blank line.
    Blank,
    /// Wrapped at a width, paragraphs after the first indented.
    Wrapped(usize, usize),
}

#[derive(Debug, Clone, Copy)]
enum Dateline {
    /// `CITY, Mon DD - `
    Wire,
    /// `CITY, Mon DD (Reuters) - `
    Agency,
    /// `[CITY] `
    Bracket,
    /// `CITY -- `
    Dash,
    /// No dateline.
    Strip,
}

/// An invented outlet; its name is the first masthead line.
struct Outlet {
    /// Lines before the headline; `{section}`, `{date}`, `{year}` and
    /// `{mins}` are filled in per article.
    masthead: &'static [&'static str],
    /// Lines between the headline and the body.
    byline: &'static [&'static str],
    /// Lines after the body.
    footer: &'static [&'static str],
    case: Case,
    layout: Layout,
    dateline: Dateline,
    spelling: Spelling,
    expand: bool,
}

/// Number of invented outlets.
pub const OUTLET_COUNT: usize = OUTLETS.len();

const OUTLETS: &[Outlet] = &[
    Outlet {
        masthead: &["The Harbour Ledger", "Business | Markets | Shipping | Energy | Opinion | Subscribe"],
        byline: &["{section} | {date}"],
        footer: &[
            "Sign up for our newsletter: The Ledger Morning Brief arrives in your inbox before the markets open.",
            "(c) {year} The Harbour Ledger. All rights reserved. This article was published from a news agency feed and was not edited by Ledger staff.",
        ],
        case: Case::Title,
        layout: Layout::Blank,
        dateline: Dateline::Bracket,
        spelling: Spelling::Uk,
        expand: true,
    },
    Outlet {
        masthead: &["NORTHGATE BUSINESS DAILY", "Home > {section} > Latest News"],
        byline: &["Last updated: {date}"],
        footer: &[
            "(Only the headline and picture of this report may have been reworked by the Northgate Business Daily staff; the rest of the content is auto-generated from a syndicated feed.)",
        ],
        case: Case::Title,
        layout: Layout::OneLine,
        dateline: Dateline::Wire,
        spelling: Spelling::Keep,
        expand: false,
    },
    Outlet {
        masthead: &["Meridian Markets Review", "Menu  Search  Sign in  Subscribe"],
        byline: &["By Meridian staff and wire reports", "{date} - {mins} min read"],
        footer: &[
            "Related coverage",
            "Share this article: Email | Print | Copy link",
            "Meridian Markets Review is supported by readers like you. Become a member for unlimited access to our reporting.",
        ],
        case: Case::Title,
        layout: Layout::Lines,
        dateline: Dateline::Agency,
        spelling: Spelling::Us,
        expand: false,
    },
    Outlet {
        masthead: &["Pinecrest Gazette", "News  Sport  Business  Weather  Obituaries  Classifieds"],
        byline: &["Posted {date}"],
        footer: &[
            "Copyright {year} Pinecrest Gazette. This material may not be published, broadcast, rewritten or redistributed without permission.",
            "Get breaking news alerts from the Pinecrest Gazette: download our free app.",
        ],
        case: Case::Sentence,
        layout: Layout::Blank,
        dateline: Dateline::Strip,
        spelling: Spelling::Us,
        expand: false,
    },
    Outlet {
        masthead: &["Eastbank Herald - serving the east bank since 1911"],
        byline: &["{section}", "{date}"],
        footer: &[
            "Advertisement",
            "Most read: Council delays vote on the ring road budget | Rail works to close the eastern line for a week | Your photographs of the autumn fair",
            "Eastbank Herald, 14 Quay Road. (c) Eastbank Herald Media {year}",
        ],
        case: Case::Title,
        layout: Layout::Blank,
        dateline: Dateline::Dash,
        spelling: Spelling::Uk,
        expand: false,
    },
    Outlet {
        masthead: &["TIDEWATER JOURNAL OF COMMERCE", "Trade | Ports | Logistics | Commodities | Finance"],
        byline: &["Wire story | {date}"],
        footer: &["This story has been published from a wire agency feed without modifications to the text."],
        case: Case::Upper,
        layout: Layout::Wrapped(72, 2),
        dateline: Dateline::Wire,
        spelling: Spelling::Keep,
        expand: false,
    },
    Outlet {
        masthead: &["Summit Street Wire"],
        byline: &[],
        footer: &[
            "Tags: {section}, markets, companies",
            "Never miss a story. Sign up for the Summit Street daily newsletter.",
        ],
        case: Case::Title,
        layout: Layout::OneLine,
        dateline: Dateline::Agency,
        spelling: Spelling::Us,
        expand: false,
    },
    Outlet {
        masthead: &[
            "Lakeshore Tribune",
            "Subscribe now and get your first month for one dollar",
            "Home / {section}",
        ],
        byline: &["By the Tribune business desk", "Published {date}"],
        footer: &[
            "Comments are closed for this article.",
            "The Lakeshore Tribune welcomes letters to the editor. Write to us at letters@lakeshore-tribune.example.",
            "Copyright {year} Lakeshore Tribune Publishing Co.",
        ],
        case: Case::Title,
        layout: Layout::Blank,
        dateline: Dateline::Wire,
        spelling: Spelling::Us,
        expand: true,
    },
    Outlet {
        masthead: &["Granite Exchange Report | Data | Analysis | Newsletters"],
        byline: &["{date}"],
        footer: &[
            "Disclaimer: Granite Exchange Report republishes agency news for information only. Nothing in this article is investment advice.",
        ],
        case: Case::Keep,
        layout: Layout::Lines,
        dateline: Dateline::Bracket,
        spelling: Spelling::Keep,
        expand: false,
    },
    Outlet {
        masthead: &["The Coastline Morning Star", "Today's paper | E-edition | Puzzles"],
        byline: &["{section} desk", "{date}"],
        footer: &[
            "Want more stories like this? Follow the Morning Star on social media and sign up for our evening briefing.",
            "(c) {year} Coastline Media Group",
        ],
        case: Case::Sentence,
        layout: Layout::Blank,
        dateline: Dateline::Strip,
        spelling: Spelling::Uk,
        expand: false,
    },
    Outlet {
        masthead: &["Westfield Observer"],
        byline: &["Story from our wire partners - {date}"],
        footer: &[
            "Westfield Observer may earn a commission from links on this page.",
            "More from Westfield Observer: Weather | Traffic | Schools | Local sport",
        ],
        case: Case::Title,
        layout: Layout::OneLine,
        dateline: Dateline::Agency,
        spelling: Spelling::Us,
        expand: false,
    },
    Outlet {
        masthead: &["BRIGHTWATER BUSINESS JOURNAL", "Companies  Markets  Economy  Property  Careers"],
        byline: &["{mins}-minute read"],
        footer: &[
            "Sign up for our newsletter",
            "Enter your email address to receive the Brightwater morning briefing. You can unsubscribe at any time.",
            "(c) Brightwater Business Journal {year}. All rights reserved.",
        ],
        case: Case::Title,
        layout: Layout::Blank,
        dateline: Dateline::Wire,
        spelling: Spelling::Uk,
        expand: false,
    },
    Outlet {
        masthead: &["Redstone Press"],
        byline: &[],
        footer: &["-- Redstone Press wire desk"],
        case: Case::Upper,
        layout: Layout::Wrapped(66, 4),
        dateline: Dateline::Wire,
        spelling: Spelling::Keep,
        expand: false,
    },
    Outlet {
        masthead: &["Oakhurst Daily Digest", "Your morning roundup of money and markets"],
        byline: &["{date}"],
        footer: &[
            "You are reading the free edition of the Oakhurst Daily Digest. Paid subscribers get every story a day early, plus our weekly markets letter.",
            "Forward this email to a friend. Unsubscribe | Manage preferences",
        ],
        case: Case::Title,
        layout: Layout::Lines,
        dateline: Dateline::Dash,
        spelling: Spelling::Us,
        expand: true,
    },
    Outlet {
        masthead: &["Silverline Finance", "Stocks  Bonds  Currencies  Commodities  Personal finance"],
        byline: &["Wire | {date}"],
        footer: &[
            "Quotes delayed at least 15 minutes. Market data provided by third parties.",
            "Error loading data. Sign in to access your watchlist. Error loading data.",
        ],
        case: Case::Title,
        layout: Layout::OneLine,
        dateline: Dateline::Agency,
        spelling: Spelling::Us,
        expand: true,
    },
    Outlet {
        masthead: &["CROSSROADS REGIONAL NEWS"],
        byline: &["{section} | {date}"],
        footer: &[
            "Report a typo or a correction: corrections@crossroads-news.example",
            "Crossroads Regional News is part of the Crossroads Community Media network.",
        ],
        case: Case::Sentence,
        layout: Layout::Blank,
        dateline: Dateline::Bracket,
        spelling: Spelling::Us,
        expand: false,
    },
    Outlet {
        masthead: &["Fenwick Trade Bulletin - members' edition"],
        byline: &["Circulated {date}"],
        footer: &[
            "Members may forward this bulletin within their own organisation. Any other circulation needs the written consent of the Fenwick Trade Association.",
        ],
        case: Case::Upper,
        layout: Layout::Wrapped(70, 4),
        dateline: Dateline::Wire,
        spelling: Spelling::Uk,
        expand: false,
    },
    Outlet {
        masthead: &["Marlow Valley Courier", "Local news you can trust"],
        byline: &["Published: {date}"],
        footer: &[
            "Sign up for our newsletter",
            "Support local journalism: subscribe to the Marlow Valley Courier from just a few pence a day.",
            "(c) {year} Marlow Valley Courier Ltd.",
        ],
        case: Case::Title,
        layout: Layout::Blank,
        dateline: Dateline::Strip,
        spelling: Spelling::Uk,
        expand: true,
    },
    Outlet {
        masthead: &["Atlas Newsroom", "Top stories | For you | Following | Local"],
        byline: &["via wire services - {mins} min read"],
        footer: &[
            "Atlas Newsroom gathers stories from hundreds of publishers. Download the Atlas app for headlines picked for you.",
        ],
        case: Case::Title,
        layout: Layout::OneLine,
        dateline: Dateline::Agency,
        spelling: Spelling::Keep,
        expand: false,
    },
    Outlet {
        masthead: &["The Kestrel Point Times"],
        byline: &["{section}", "By Times staff | {date}"],
        footer: &[
            "This article originally appeared on a wire service and is republished here under licence.",
            "Follow us: Facebook | Instagram | Email alerts",
        ],
        case: Case::Title,
        layout: Layout::Lines,
        dateline: Dateline::Dash,
        spelling: Spelling::Uk,
        expand: false,
    },
];

// ---------------------------------------------------------------------------
// Sources

#[derive(Debug, Clone)]
struct Source {
    title: String,
    /// `CITY, Mon DD`, without the ` - ` separator.
    dateline: Option<String>,
    /// Paragraphs, whitespace collapsed, dateline removed.
    paras: Vec<String>,
    words: usize,
    /// First topic from `meta.tsv`, or empty.
    topic: String,
}

/// Parses a wire file: an optional title line followed by a blank line, then
/// paragraphs separated by blank lines or started by an indented line; a
/// closing `Reuter` sign-off is dropped and a leading dateline split off.
fn parse_source(text: &str) -> Source {
    let lines: Vec<&str> = text.lines().collect();
    let mut i = 0;
    while i < lines.len() && lines[i].trim().is_empty() {
        i += 1;
    }
    let mut title = String::new();
    let title_line =
        i < lines.len() && !matches!(lines.get(i + 1), Some(l) if !l.trim().is_empty());
    if title_line {
        title = lines[i].split_whitespace().collect::<Vec<_>>().join(" ");
        i += 1;
    }
    let mut paras: Vec<String> = Vec::new();
    let mut cur = String::new();
    for line in &lines[i.min(lines.len())..] {
        let t = line.trim();
        let indented = line.starts_with([' ', '\t']);
        if (t.is_empty() || indented) && !cur.is_empty() {
            paras.push(std::mem::take(&mut cur));
        }
        for w in t.split_whitespace() {
            if !cur.is_empty() {
                cur.push(' ');
            }
            cur.push_str(w);
        }
    }
    if !cur.is_empty() {
        paras.push(cur);
    }
    while paras
        .last()
        .is_some_and(|p| p.eq_ignore_ascii_case("reuter") || p.eq_ignore_ascii_case("reuters"))
    {
        paras.pop();
    }
    let mut dateline = None;
    if let Some(first) = paras.first_mut() {
        if let Some((d, rest)) = split_dateline(first) {
            dateline = Some(d.to_string());
            *first = rest.to_string();
        }
        if first.is_empty() {
            paras.remove(0);
        }
    }
    if title.is_empty() {
        title = paras
            .first()
            .map(|p| p.split_whitespace().take(8).collect::<Vec<_>>().join(" "))
            .unwrap_or_default();
    }
    let words = words_of(&paras);
    Source {
        title,
        dateline,
        paras,
        words,
        topic: String::new(),
    }
}

/// Splits `CITY, Mon DD - rest` into (`CITY, Mon DD`, `rest`).
fn split_dateline(p: &str) -> Option<(&str, &str)> {
    let idx = p.find(" - ")?;
    if idx > 60 {
        return None;
    }
    let head = &p[..idx];
    let city = head.split(',').next()?;
    let ok = head.contains(',')
        && city.chars().any(char::is_alphabetic)
        && !city.chars().any(char::is_lowercase)
        && head.split_whitespace().count() <= 8;
    ok.then(|| (head, p[idx + 3..].trim_start()))
}

/// Reads every regular file of `dir`, sorted by name.
fn read_sources(dir: &Path) -> Result<Vec<(String, Source)>> {
    let input_err = |source| Error::Input {
        path: dir.to_path_buf(),
        source,
    };
    let mut files: Vec<(String, PathBuf)> = Vec::new();
    for entry in fs::read_dir(dir).map_err(input_err)? {
        let entry = entry.map_err(input_err)?;
        let path = entry.path();
        let meta = fs::metadata(&path).map_err(io_err(&path))?;
        if meta.is_file() {
            files.push((entry.file_name().to_string_lossy().into_owned(), path));
        }
    }
    files.sort();
    let mut out = Vec::with_capacity(files.len());
    for (name, path) in files {
        let bytes = fs::read(&path).map_err(io_err(&path))?;
        let text = String::from_utf8_lossy(&bytes);
        out.push((name, parse_source(&text)));
    }
    Ok(out)
}

/// `doc -> first topic` from the `meta.tsv` next to the sources folder
/// (columns `doc` and `topics`, as in the Reuters set: `set/docs/` and
/// `set/meta.tsv`). No such file: an empty map.
fn read_topics(dir: &Path) -> Result<HashMap<String, String>> {
    let mut map = HashMap::new();
    let dir = fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
    let Some(path) = dir
        .parent()
        .map(|p| p.join("meta.tsv"))
        .filter(|p| p.is_file())
    else {
        return Ok(map);
    };
    let text = fs::read_to_string(&path).map_err(io_err(&path))?;
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap_or("").split('\t').collect();
    let col = |name: &str| header.iter().position(|h| *h == name);
    let (Some(doc), Some(topics)) = (col("doc"), col("topics")) else {
        return Ok(map);
    };
    for line in lines {
        let fields: Vec<&str> = line.split('\t').collect();
        if let (Some(d), Some(t)) = (fields.get(doc), fields.get(topics)) {
            let first = t.split(',').next().unwrap_or("").trim();
            if !first.is_empty() {
                map.insert((*d).to_string(), first.to_string());
            }
        }
    }
    Ok(map)
}

/// Share of the words of `src` that are in well-formed sentences (see
/// [`is_prose`]): tables and result lists score low.
fn prose_ratio(src: &Source, spans: &mut Vec<(usize, usize)>) -> f64 {
    let mut prose = 0;
    for p in &src.paras {
        sentence_spans(p, spans);
        for &(s, e) in spans.iter() {
            let n = word_count(&p[s..e]);
            if n >= 5 && is_prose(&p[s..e]) {
                prose += n;
            }
        }
    }
    prose as f64 / src.words.max(1) as f64
}

/// A sentence that starts with a capital or digit (after an opening quote)
/// and has balanced double quotes, so that it reads well out of context.
fn starts_cleanly(sentence: &str) -> bool {
    let first = sentence.trim_start_matches(['"', '\'', '(']).chars().next();
    first.is_some_and(|c| c.is_uppercase() || c.is_ascii_digit())
        && sentence.bytes().filter(|&b| b == b'"').count() % 2 == 0
        && sentence.bytes().filter(|&b| b == b'(').count()
            == sentence.bytes().filter(|&b| b == b')').count()
}

/// A sentence that ends like one and is mostly words.
fn is_prose(sentence: &str) -> bool {
    sentence.ends_with(['.', '?', '!', '"', '\'', ')']) && letter_ratio(sentence) >= 0.7
}

/// Keeps sources that are long enough, mostly prose (not tables), and not
/// near-duplicates of a source kept before them.
fn usable_sources(raw: Vec<(String, Source)>, cfg: &SynthConfig) -> Vec<Source> {
    let mut seen = U64Set::default();
    let mut sh = Vec::new();
    let mut spans = Vec::new();
    let mut kept = Vec::new();
    for (_, src) in raw {
        if src.words < cfg.min_source_words.max(1) {
            continue;
        }
        if prose_ratio(&src, &mut spans) < 0.6 {
            continue;
        }
        let body = src.paras.join(" ");
        shingles(&body, &mut sh);
        let old = sh.iter().filter(|h| seen.contains(h)).count();
        if !sh.is_empty() && old as f64 >= cfg.max_source_overlap * sh.len() as f64 && old > 0 {
            continue;
        }
        seen.extend(sh.iter().copied());
        kept.push(src);
    }
    kept
}

// ---------------------------------------------------------------------------
// Sentence pool and stream

/// Sentences of many sources in one arena.
#[derive(Default)]
struct Pool {
    text: String,
    /// (start, end, words) of each sentence in `text`.
    spans: Vec<(u32, u32, u32)>,
    seen: U64Set,
}

impl Pool {
    /// Adds the good sentences of `src`: 5 to 80 words, mostly words, ending
    /// like a sentence, not seen before.
    fn add(&mut self, src: &Source, spans: &mut Vec<(usize, usize)>) {
        for p in &src.paras {
            sentence_spans(p, spans);
            for &(s, e) in spans.iter() {
                let sent = &p[s..e];
                let n = word_count(sent);
                if !(5..=80).contains(&n) || !is_prose(sent) || !starts_cleanly(sent) {
                    continue;
                }
                let h = mix64(sent.split_whitespace().fold(0, |h, w| {
                    h.rotate_left(7) ^ word_hash(w).wrapping_mul(0x9E37_79B9_7F4A_7C15)
                }));
                if !self.seen.insert(h) || self.text.len() + sent.len() >= u32::MAX as usize {
                    continue;
                }
                let start = self.text.len() as u32;
                self.text.push_str(sent);
                self.spans.push((start, self.text.len() as u32, n as u32));
            }
        }
    }
}

/// Sentences of a pool in seeded random order, reshuffled after each pass.
struct SentenceStream {
    pool: Pool,
    order: Vec<u32>,
    pos: usize,
    rng: Rng,
}

impl SentenceStream {
    fn new(pool: Pool, rng: Rng) -> SentenceStream {
        let order = (0..pool.spans.len() as u32).collect();
        SentenceStream {
            pool,
            order,
            pos: usize::MAX,
            rng,
        }
    }

    fn is_empty(&self) -> bool {
        self.pool.spans.is_empty()
    }

    /// Appends the next sentence to `out` (with a separating space) and
    /// returns its word count. The pool must not be empty.
    fn push_next(&mut self, out: &mut String) -> usize {
        if self.pos >= self.order.len() {
            self.rng.shuffle(&mut self.order);
            self.pos = 0;
        }
        let (s, e, n) = self.pool.spans[self.order[self.pos] as usize];
        self.pos += 1;
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(&self.pool.text[s as usize..e as usize]);
        n as usize
    }

    /// A paragraph of `sentences` sentences; returns it and its word count.
    fn paragraph(&mut self, sentences: usize) -> (String, usize) {
        let mut p = String::new();
        let mut n = 0;
        for _ in 0..sentences {
            n += self.push_next(&mut p);
        }
        (p, n)
    }
}

// ---------------------------------------------------------------------------
// Stories and copies

#[derive(Debug, Clone)]
struct Story {
    title: String,
    dateline: Option<String>,
    paras: Vec<String>,
}

impl Story {
    fn from_source(src: &Source) -> Story {
        Story {
            title: src.title.clone(),
            dateline: src.dateline.clone(),
            paras: src.paras.clone(),
        }
    }
}

/// How the base stories are made.
enum Mode {
    /// One source per story: `stories[i]` is the source of story `i`,
    /// `distractors[i]` the source of its distractor.
    Single {
        sources: Vec<Source>,
        stories: Vec<usize>,
        distractors: Vec<Option<usize>>,
    },
    /// Stories of about `words` words mixed from the sentence stream.
    Mixed { words: usize },
}

/// Everything read from the sources, ready to generate.
struct Material {
    mode: Mode,
    /// Filler text for write-throughs and added paragraphs; in mixed mode
    /// also the text of the stories.
    stream: SentenceStream,
    /// Title-cased headlines for related-headline junk (and, in mixed mode,
    /// story titles).
    titles: Vec<String>,
    /// Datelines for mixed stories.
    datelines: Vec<String>,
}

/// Copies shorter than this (in words) are never cut and lose no sentence.
const SHORT_COPY_WORDS: usize = 120;

/// A filler pool smaller than this falls back to all sources.
const MIN_FILLER_SENTENCES: usize = 50;

impl Material {
    fn load(dir: &Path, cfg: &SynthConfig) -> Result<Material> {
        let raw = read_sources(dir)?;
        let topics = read_topics(dir)?;
        let raw: Vec<(String, Source)> = raw
            .into_iter()
            .map(|(name, mut src)| {
                if let Some(t) = topics.get(&name) {
                    src.topic.clone_from(t);
                }
                (name, src)
            })
            .collect();
        let sources = usable_sources(raw, cfg);
        if sources.is_empty() {
            return Err(Error::Config(format!(
                "no usable source story in {} (need text files of at least {} words)",
                dir.display(),
                cfg.min_source_words
            )));
        }
        Material::plan(sources, cfg)
    }

    fn plan(sources: Vec<Source>, cfg: &SynthConfig) -> Result<Material> {
        let mut spans = Vec::new();
        let junk_title = |s: &Source| {
            let t = title_case(&strip_tickers(&s.title));
            (t.split_whitespace().count() >= 2).then_some(t)
        };
        let stream_rng = Rng::derive(cfg.seed, DOMAIN_STREAM, 0);
        if let Some(words) = cfg.target_words {
            let mut pool = Pool::default();
            for s in &sources {
                pool.add(s, &mut spans);
            }
            if pool.spans.len() < MIN_FILLER_SENTENCES {
                return Err(Error::Config(format!(
                    "target_words needs at least {MIN_FILLER_SENTENCES} usable sentences in the sources, found {}",
                    pool.spans.len()
                )));
            }
            pool.seen = U64Set::default();
            return Ok(Material {
                titles: sources.iter().filter_map(junk_title).collect(),
                datelines: sources.iter().filter_map(|s| s.dateline.clone()).collect(),
                stream: SentenceStream::new(pool, stream_rng),
                mode: Mode::Mixed { words },
            });
        }
        if cfg.stories > sources.len() {
            return Err(Error::Config(format!(
                "{} stories asked but only {} usable source stories; ask for fewer or set target_words",
                cfg.stories,
                sources.len()
            )));
        }
        let mut rng = Rng::derive(cfg.seed, DOMAIN_PICK, 0);
        let mut order: Vec<usize> = (0..sources.len()).collect();
        rng.shuffle(&mut order);
        let stories = order[..cfg.stories].to_vec();
        let rest = &order[cfg.stories..];
        let mut used = vec![false; sources.len()];
        for &s in &stories {
            used[s] = true;
        }
        // Distractors: an unused source of the same topic, else any.
        let mut by_topic: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
        for &s in rest.iter().rev() {
            by_topic
                .entry(sources[s].topic.as_str())
                .or_default()
                .push(s);
        }
        let mut any: Vec<usize> = rest.iter().rev().copied().collect();
        let mut distractors = Vec::with_capacity(stories.len());
        for &s in &stories {
            let mut pick = None;
            if rng.chance(cfg.distractor_share) {
                let topic = sources[s].topic.as_str();
                if !topic.is_empty() {
                    if let Some(list) = by_topic.get_mut(topic) {
                        pick = pop_unused(list, &used);
                    }
                }
                if pick.is_none() {
                    pick = pop_unused(&mut any, &used);
                }
            }
            if let Some(d) = pick {
                used[d] = true;
            }
            distractors.push(pick);
        }
        // Filler: sentences of unused sources, in the shuffled order, many
        // more than the copies can consume (a copy takes fewer than 10 on
        // average), so that no filler sentence lands in two clusters.
        let want = 2000 + 20 * cfg.stories * cfg.max_copies;
        let mut pool = Pool::default();
        for &i in rest {
            if pool.spans.len() >= want {
                break;
            }
            if !used[i] {
                pool.add(&sources[i], &mut spans);
            }
        }
        if pool.spans.len() < MIN_FILLER_SENTENCES {
            for s in &sources {
                pool.add(s, &mut spans);
            }
        }
        pool.seen = U64Set::default();
        let mut titles: Vec<String> = sources
            .iter()
            .enumerate()
            .filter(|&(i, _)| !used[i])
            .filter_map(|(_, s)| junk_title(s))
            .collect();
        if titles.len() < 10 {
            titles = sources.iter().filter_map(junk_title).collect();
        }
        Ok(Material {
            mode: Mode::Single {
                sources,
                stories,
                distractors,
            },
            stream: SentenceStream::new(pool, stream_rng),
            titles,
            datelines: Vec::new(),
        })
    }

    fn run<F>(mut self, cfg: &SynthConfig, mut sink: F) -> Result<SynthSummary>
    where
        F: FnMut(&SynthDoc<'_>) -> Result<()>,
    {
        let mut gen = Writer {
            cfg,
            lex: Lexicon::new(),
            summary: SynthSummary::default(),
            text: String::new(),
            name: String::new(),
            cluster: String::new(),
            spans: Vec::new(),
        };
        let mut filler_rng = Rng::derive(cfg.seed, DOMAIN_FILLER, 0);
        for i in 0..cfg.stories {
            let mut rng = Rng::derive(cfg.seed, DOMAIN_STORY, i as u64);
            let (base, distractor) = match &self.mode {
                Mode::Single {
                    sources,
                    stories,
                    distractors,
                } => (
                    Story::from_source(&sources[stories[i]]),
                    distractors[i].map(|d| Story::from_source(&sources[d])),
                ),
                Mode::Mixed { words } => {
                    let words = *words;
                    let base = self.mixed_story(words, &mut rng);
                    let d = rng
                        .chance(cfg.distractor_share)
                        .then(|| self.mixed_story(words, &mut rng));
                    (base, d)
                }
            };
            let copies = rng.range(cfg.min_copies, cfg.max_copies);
            let mut outlets: Vec<usize> = (0..OUTLETS.len()).collect();
            rng.shuffle(&mut outlets);
            let mut framed_by = Vec::new();
            for c in 0..copies {
                let outlet = rng
                    .chance(cfg.noise.frame)
                    .then(|| outlets[c % outlets.len()]);
                framed_by.extend(outlet);
                gen.name.clear();
                gen.cluster.clear();
                let _ = write!(gen.name, "s{i:06}-c{c:02}.txt");
                let _ = write!(gen.cluster, "s{i:06}");
                gen.copy(&base, outlet, &mut self, &mut rng, &mut filler_rng);
                gen.emit(&mut sink, c == 0)?;
            }
            if let Some(d) = distractor {
                let outlet = if framed_by.is_empty() {
                    rng.chance(cfg.noise.frame).then(|| outlets[0])
                } else {
                    Some(*rng.pick(&framed_by))
                };
                gen.name.clear();
                gen.cluster.clear();
                let _ = write!(gen.name, "d{i:06}-c00.txt");
                let _ = write!(gen.cluster, "d{i:06}");
                gen.copy(&d, outlet, &mut self, &mut rng, &mut filler_rng);
                gen.emit(&mut sink, true)?;
            }
        }
        Ok(gen.summary)
    }

    /// A story of about `words` words from the sentence stream.
    fn mixed_story(&mut self, words: usize, rng: &mut Rng) -> Story {
        let mut paras = Vec::new();
        let mut total = 0;
        while total < words {
            let (p, n) = self.stream.paragraph(rng.range(1, 3));
            total += n;
            paras.push(p);
        }
        Story {
            title: rng.pick(&self.titles).clone(),
            dateline: (!self.datelines.is_empty()).then(|| rng.pick(&self.datelines).clone()),
            paras,
        }
    }

    /// Filler paragraphs of one to three sentences, `want` words or a
    /// little more in all (none if there is no filler).
    fn filler_paras(&mut self, rng: &mut Rng, want: usize) -> Vec<String> {
        let mut out = Vec::new();
        let mut got = 0;
        while got < want && !self.stream.is_empty() {
            let mut p = String::new();
            for _ in 0..rng.range(1, 3) {
                got += self.stream.push_next(&mut p);
                if got >= want {
                    break;
                }
            }
            out.push(p);
        }
        out
    }

    /// A filler paragraph (1 to `max` sentences) for added text.
    fn filler(&mut self, rng: &mut Rng, max: usize) -> (String, usize) {
        if self.stream.is_empty() {
            return (String::new(), 0);
        }
        self.stream.paragraph(rng.range(1, max))
    }
}

fn pop_unused(list: &mut Vec<usize>, used: &[bool]) -> Option<usize> {
    while let Some(s) = list.pop() {
        if !used[s] {
            return Some(s);
        }
    }
    None
}

/// Renders copies into a reused buffer and hands them to the sink.
struct Writer<'a> {
    cfg: &'a SynthConfig,
    lex: Lexicon,
    summary: SynthSummary,
    text: String,
    name: String,
    cluster: String,
    spans: Vec<(usize, usize)>,
}

impl Writer<'_> {
    fn emit<F>(&mut self, sink: &mut F, new_cluster: bool) -> Result<()>
    where
        F: FnMut(&SynthDoc<'_>) -> Result<()>,
    {
        sink(&SynthDoc {
            name: &self.name,
            cluster: &self.cluster,
            text: &self.text,
        })?;
        self.summary.documents += 1;
        self.summary.clusters += usize::from(new_cluster);
        self.summary.bytes += self.text.len() as u64;
        Ok(())
    }

    /// Renders one copy of `base` into `self.text`.
    fn copy(
        &mut self,
        base: &Story,
        outlet: Option<usize>,
        material: &mut Material,
        rng: &mut Rng,
        filler_rng: &mut Rng,
    ) {
        let noise = &self.cfg.noise;
        let mut title = base.title.clone();
        let mut paras = base.paras.clone();
        let mut note: Option<(String, bool)> = None;
        // Short stories get lighter noise: a 60-word wire cut to 40 words,
        // with a dropped sentence and four edits, would share almost nothing
        // with its siblings.
        let base_words = words_of(&paras);
        let long = base_words >= SHORT_COPY_WORDS;

        // Edits of the story text itself.
        if long && rng.chance(noise.drop_sentence) {
            drop_sentence(&mut paras, rng, &mut self.spans);
        }
        if paras.len() >= 3 && rng.chance(noise.reorder) {
            let j = rng.range(1, paras.len() - 2);
            paras.swap(j, j + 1);
        }
        if rng.chance(noise.edit) {
            let mut edited = vec![false; paras.len()];
            for _ in 0..rng.range(1, (base_words / 100).clamp(1, 4)) {
                edit_word(&mut paras, &mut edited, &self.lex, rng);
            }
        }
        // A write-through puts new paragraphs, about half as long as the
        // story, on top of it.
        let wrote_through = rng.chance(noise.write_through);
        if wrote_through {
            let mut new = material.filler_paras(filler_rng, (base_words / 2).max(20));
            new.append(&mut paras);
            paras = new;
            title = format!("UPDATE {}-{}", rng.range(1, 3), title);
        }
        if long && rng.chance(noise.truncate) {
            let lo = if wrote_through { 0.75 } else { 0.3 };
            let hi = if wrote_through { 0.9 } else { 0.8 };
            let frac = lo + rng.unit() * (hi - lo);
            truncate(&mut paras, frac, 40, &mut self.spans);
        }
        if rng.chance(noise.update_line) {
            let max = if base_words < 150 { 1 } else { 2 };
            let (p, n) = material.filler(filler_rng, max);
            let at = rng.range(1, paras.len().max(1));
            if n > 0 {
                paras.insert(at.min(paras.len()), p);
            }
            let text = rng.pick(UPDATE_NOTES).replace("{n}", &(at + 1).to_string());
            note = Some((text, rng.chance(0.5)));
        }
        let outlet = outlet.map(|o| &OUTLETS[o]);
        if let Some(o) = outlet {
            if rng.chance(noise.house_style) {
                let lex = &self.lex;
                let f = |w: &str| lex.house_word(o.spelling, o.expand, w);
                if let Some(t) = map_words(&title, f) {
                    title = t;
                }
                for p in &mut paras {
                    if let Some(t) = map_words(p, f) {
                        *p = t;
                    }
                }
            }
        }
        if rng.chance(noise.junk) && !material.titles.is_empty() {
            insert_junk(&mut paras, &material.titles, rng, &mut self.spans);
        }
        self.text.clear();
        let out = &mut self.text;
        match outlet {
            None => render_wire(&title, base.dateline.as_deref(), &paras, note.as_ref(), out),
            Some(o) => render_outlet(
                o,
                &title,
                base.dateline.as_deref(),
                &paras,
                note.as_ref(),
                rng,
                out,
            ),
        }
        if rng.chance(noise.whitespace) {
            let t = match rng.below(4) {
                0 => out.replace('\n', "\r\n"),
                1 => out.replace(". ", ".  "),
                2 => out.replace('\n', " \n"),
                _ => format!("\n{}", out.replace("\n\n", "\n\n\n")),
            };
            *out = t;
        }
    }
}

/// Removes one sentence, never the first of the lead paragraph.
fn drop_sentence(paras: &mut Vec<String>, rng: &mut Rng, spans: &mut Vec<(usize, usize)>) {
    if paras.is_empty() {
        return;
    }
    let i = if paras.len() == 1 {
        0
    } else {
        rng.range(1, paras.len() - 1)
    };
    sentence_spans(&paras[i], spans);
    if spans.len() <= 1 {
        if i > 0 {
            paras.remove(i);
        }
        return;
    }
    let k = if i == 0 {
        rng.range(1, spans.len() - 1)
    } else {
        rng.below(spans.len())
    };
    let p = &paras[i];
    let start = spans[k].0;
    let end = spans.get(k + 1).map_or(p.len(), |s| s.0);
    let mut q = String::with_capacity(p.len());
    q.push_str(&p[..start]);
    q.push_str(&p[end..]);
    paras[i] = q.trim_end().to_string();
}

/// Swaps one word for another from [`EDITS`], in a paragraph not `edited`
/// before (so that an edit is never edited again).
fn edit_word(paras: &mut [String], edited: &mut [bool], lex: &Lexicon, rng: &mut Rng) {
    if paras.is_empty() {
        return;
    }
    for _ in 0..4 {
        let i = rng.below(paras.len());
        if edited[i] {
            continue;
        }
        let mut n = 0;
        let _ = map_words(&paras[i], |w| {
            n += usize::from(lex.edits.contains_key(w));
            None
        });
        if n == 0 {
            continue;
        }
        let target = rng.below(n);
        let mut k = 0;
        let edited_text = map_words(&paras[i], |w| {
            let rep = lex.edits.get(w).copied()?;
            k += 1;
            (k - 1 == target).then_some(rep)
        });
        if let Some(p) = edited_text {
            paras[i] = p;
            edited[i] = true;
        }
        return;
    }
}

/// Keeps the first `frac` of the words (at least `min_keep`), cutting at a
/// sentence boundary.
fn truncate(paras: &mut Vec<String>, frac: f64, min_keep: usize, spans: &mut Vec<(usize, usize)>) {
    let total = words_of(paras);
    let keep = ((total as f64 * frac) as usize).max(min_keep);
    if keep >= total {
        return;
    }
    let mut acc = 0;
    for i in 0..paras.len() {
        let n = word_count(&paras[i]);
        if acc + n >= keep {
            sentence_spans(&paras[i], spans);
            let mut end = paras[i].len();
            for &(s, e) in spans.iter() {
                acc += word_count(&paras[i][s..e]);
                if acc >= keep {
                    end = e;
                    break;
                }
            }
            paras[i].truncate(end);
            paras.truncate(i + 1);
            return;
        }
        acc += n;
    }
}

/// Glues a block of 3 to 5 related headlines inside a paragraph, after a
/// sentence.
fn insert_junk(
    paras: &mut [String],
    titles: &[String],
    rng: &mut Rng,
    spans: &mut Vec<(usize, usize)>,
) {
    if paras.is_empty() {
        return;
    }
    let k = rng.range(3, 5);
    let heads: Vec<&str> = (0..k).map(|_| rng.pick(titles).as_str()).collect();
    let block = match rng.below(3) {
        0 => heads.join(" "),
        1 => format!("Related: {}", heads.join(" | ")),
        _ => format!("READ MORE: {}", heads.join(" READ MORE: ")),
    };
    let i = rng.below(paras.len().min(3));
    let p = &paras[i];
    sentence_spans(p, spans);
    let at = if spans.len() > 1 {
        spans[rng.below(spans.len() - 1)].1
    } else {
        p.len()
    };
    let mut q = String::with_capacity(p.len() + block.len() + 2);
    q.push_str(&p[..at]);
    q.push(' ');
    q.push_str(&block);
    if at < p.len() {
        q.push_str(&p[at..]);
    }
    paras[i] = q;
}

fn render_wire(
    title: &str,
    dateline: Option<&str>,
    paras: &[String],
    note: Option<&(String, bool)>,
    out: &mut String,
) {
    out.push_str(&title.to_uppercase());
    out.push_str("\n\n");
    if let Some((n, true)) = note {
        out.push_str(n);
        out.push('\n');
    }
    for (i, p) in paras.iter().enumerate() {
        if i == 0 {
            let lead = match dateline {
                Some(d) => format!("{d} - {p}"),
                None => p.clone(),
            };
            push_wrapped(&lead, 70, 0, out);
        } else {
            push_wrapped(p, 70, 4, out);
        }
    }
    if let Some((n, false)) = note {
        out.push_str("    ");
        out.push_str(n);
        out.push('\n');
    }
    out.push_str(" Reuter\n");
}

fn render_outlet(
    o: &Outlet,
    title: &str,
    dateline: Option<&str>,
    paras: &[String],
    note: Option<&(String, bool)>,
    rng: &mut Rng,
    out: &mut String,
) {
    let year = 2023 + rng.below(3);
    let (month, day) = (rng.pick(MONTHS), rng.range(1, 28));
    let date = if o.spelling == Spelling::Uk {
        format!("{day} {month} {year}")
    } else {
        format!("{month} {day}, {year}")
    };
    let section = rng.pick(SECTIONS);
    let mins = (words_of(paras) / 200 + 1).to_string();
    let fill = |t: &str, out: &mut String| {
        out.push_str(
            &t.replace("{date}", &date)
                .replace("{year}", &year.to_string())
                .replace("{section}", section)
                .replace("{mins}", &mins),
        );
        out.push('\n');
    };
    for line in o.masthead {
        fill(line, out);
    }
    out.push('\n');
    let headline = match o.case {
        Case::Keep => title.to_string(),
        Case::Title => title_case(&strip_tickers(title)),
        Case::Sentence => sentence_case(&strip_tickers(title)),
        Case::Upper => title.to_uppercase(),
    };
    out.push_str(&headline);
    out.push('\n');
    for line in o.byline {
        fill(line, out);
    }
    out.push('\n');

    let mut body: Vec<String> = Vec::with_capacity(paras.len() + 1);
    if let Some((n, true)) = note {
        body.push(n.clone());
    }
    for (i, p) in paras.iter().enumerate() {
        match (i, dateline) {
            (0, Some(d)) => {
                let city = d.split(',').next().unwrap_or(d).trim();
                body.push(match o.dateline {
                    Dateline::Wire => format!("{d} - {p}"),
                    Dateline::Agency => format!("{d} (Reuters) - {p}"),
                    Dateline::Bracket => format!("[{city}] {p}"),
                    Dateline::Dash => format!("{city} -- {p}"),
                    Dateline::Strip => p.clone(),
                });
            }
            _ => body.push(p.clone()),
        }
    }
    if let Some((n, false)) = note {
        body.push(n.clone());
    }
    match o.layout {
        Layout::OneLine => {
            out.push_str(&body.join(" "));
            out.push('\n');
        }
        Layout::Lines => {
            for p in &body {
                out.push_str(p);
                out.push('\n');
            }
        }
        Layout::Blank => {
            for (i, p) in body.iter().enumerate() {
                if i > 0 {
                    out.push('\n');
                }
                out.push_str(p);
                out.push('\n');
            }
        }
        Layout::Wrapped(width, indent) => {
            for (i, p) in body.iter().enumerate() {
                push_wrapped(p, width, if i == 0 { 0 } else { indent }, out);
            }
        }
    }
    out.push('\n');
    for line in o.footer {
        fill(line, out);
    }
}

// ---------------------------------------------------------------------------

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitmix_matches_reference() {
        // First outputs of SplitMix64 seeded with 0 (reference values).
        let mut s = 0u64;
        assert_eq!(splitmix64(&mut s), 0xE220_A839_7B1D_CDAF);
        assert_eq!(splitmix64(&mut s), 0x6E78_9E6A_A1B9_65F4);
    }

    #[test]
    fn rng_streams_are_pinned() {
        // Pinned: corpora generated by older versions depend on these.
        let mut r = Rng::new(42);
        let got: Vec<u64> = (0..3).map(|_| r.next_u64()).collect();
        assert_eq!(got, PINNED_XOSHIRO_42);
        let mut a = Rng::derive(7, DOMAIN_STORY, 1);
        let mut b = Rng::derive(7, DOMAIN_STORY, 2);
        assert_ne!(a.next_u64(), b.next_u64());
        let mut r = Rng::new(1);
        for n in [1usize, 2, 3, 10, 1000] {
            for _ in 0..100 {
                assert!(r.below(n) < n);
            }
        }
        let u = r.unit();
        assert!((0.0..1.0).contains(&u));
    }

    // xoshiro256** seeded through SplitMix64(42), checked against an independent
    // implementation of the reference algorithm.
    const PINNED_XOSHIRO_42: [u64; 3] = [
        1546998764402558742,
        6990951692964543102,
        12544586762248559009,
    ];

    #[test]
    fn sentences_split_at_real_ends() {
        let p = "Shares of U.S. Steel Corp. rose 2 pct. Analysts said \"the deal is done.\" The talks with Mr. Smith ended. 5 mln dlrs was paid";
        let mut spans = Vec::new();
        sentence_spans(p, &mut spans);
        let got: Vec<&str> = spans.iter().map(|&(s, e)| &p[s..e]).collect();
        assert_eq!(
            got,
            [
                "Shares of U.S. Steel Corp. rose 2 pct.",
                "Analysts said \"the deal is done.\"",
                "The talks with Mr. Smith ended.",
                "5 mln dlrs was paid"
            ]
        );
    }

    #[test]
    fn parses_reuters_layout() {
        let text = "ACME <ACM> TO BUY WIDGET MAKER\n\nPORTLAND, Ore., Feb 26 - Acme Corp said it\nwill buy a widget maker.\n    The price was not disclosed.\n Reuter\n";
        let s = parse_source(text);
        assert_eq!(s.title, "ACME <ACM> TO BUY WIDGET MAKER");
        assert_eq!(s.dateline.as_deref(), Some("PORTLAND, Ore., Feb 26"));
        assert_eq!(
            s.paras,
            [
                "Acme Corp said it will buy a widget maker.",
                "The price was not disclosed."
            ]
        );
        assert_eq!(s.words, 14);
    }

    #[test]
    fn parses_plain_text_without_title() {
        let s = parse_source("First paragraph goes here.\nStill the first one.\n\nSecond one.\n");
        assert_eq!(s.paras.len(), 2);
        assert_eq!(s.title, "First paragraph goes here. Still the first one.");
        assert_eq!(s.dateline, None);
    }

    #[test]
    fn headline_cases() {
        assert_eq!(
            title_case("ACME <ACM> TO BUY GM UNIT"),
            "Acme <ACM> to Buy GM Unit"
        );
        assert_eq!(
            title_case("China urges BYD to end price war"),
            "China Urges BYD to End Price War"
        );
        assert_eq!(
            sentence_case("GOLD PRICES RISE IN U.S."),
            "Gold prices rise in U.S."
        );
        assert_eq!(strip_tickers("ACME <ACM> TO BUY"), "ACME TO BUY");
        assert_eq!(
            title_case("UK LTD SIGNS 500 MLN DLR LOAN IN U.S."),
            "UK Ltd Signs 500 mln dlr Loan in U.S."
        );
        assert_eq!(sentence_case("EC TO CUT 5 PCT"), "EC to cut 5 pct");
    }

    #[test]
    fn house_style_keeps_case() {
        let lex = Lexicon::new();
        let f = |w: &str| lex.house_word(Spelling::Uk, true, w);
        let got = map_words("The Program cost 5 mln dlrs, up 3 pct; LABOR rose.", f);
        assert_eq!(
            got.as_deref(),
            Some("The Programme cost 5 million dollars, up 3 per cent; LABOUR rose.")
        );
        assert_eq!(map_words("nothing here", f), None);
        let us = |w: &str| lex.house_word(Spelling::Us, false, w);
        assert_eq!(
            map_words("a labour programme", us).as_deref(),
            Some("a labor program")
        );
        // Non-ASCII and alphanumeric words are left alone.
        assert_eq!(map_words("programa mln2 Zürich", f), None);
    }

    #[test]
    fn truncate_cuts_at_sentence_end() {
        let mut paras = vec![
            "One two three four five. Six seven eight nine ten.".to_string(),
            "Eleven twelve thirteen. Fourteen fifteen sixteen.".to_string(),
        ];
        let mut spans = Vec::new();
        truncate(&mut paras, 0.5, 1, &mut spans);
        assert_eq!(
            paras,
            ["One two three four five. Six seven eight nine ten."]
        );
        let before = paras.clone();
        truncate(&mut paras, 1.0, 1, &mut spans);
        assert_eq!(paras, before);
    }

    #[test]
    fn wraps_lines() {
        let mut out = String::new();
        push_wrapped("aaa bbb ccc ddd", 8, 2, &mut out);
        assert_eq!(out, "  aaa\nbbb ccc\nddd\n");
    }

    #[test]
    fn config_validation() {
        assert!(SynthConfig::default().validate().is_ok());
        let bad = [
            SynthConfig {
                stories: 0,
                ..SynthConfig::default()
            },
            SynthConfig {
                min_copies: 0,
                ..SynthConfig::default()
            },
            SynthConfig {
                min_copies: 3,
                max_copies: 2,
                ..SynthConfig::default()
            },
            SynthConfig {
                max_copies: 100,
                ..SynthConfig::default()
            },
            SynthConfig {
                target_words: Some(5),
                ..SynthConfig::default()
            },
            SynthConfig {
                distractor_share: 1.5,
                ..SynthConfig::default()
            },
            SynthConfig {
                distractor_share: f64::NAN,
                ..SynthConfig::default()
            },
            SynthConfig {
                noise: NoiseConfig {
                    junk: -0.1,
                    ..NoiseConfig::default()
                },
                ..SynthConfig::default()
            },
        ];
        for cfg in bad {
            assert!(matches!(cfg.validate(), Err(Error::Config(_))), "{cfg:?}");
        }
    }

    /// Sources of invented words: source `i` only uses words `w{i}x{j}`.
    fn fake_sources(n: usize) -> Vec<Source> {
        (0..n)
            .map(|i| {
                let paras: Vec<String> = (0..4)
                    .map(|p| {
                        let sents: Vec<String> = (0..3)
                            .map(|s| {
                                let ws: Vec<String> = (0..8)
                                    .map(|w| format!("w{i}x{}", p * 100 + s * 10 + w))
                                    .collect();
                                format!("Q{}.", ws.join(" "))
                            })
                            .collect();
                        sents.join(" ")
                    })
                    .collect();
                Source {
                    title: format!("STORY NUMBER W{i} ABOUT THINGS"),
                    dateline: Some("LONDON, March 3".into()),
                    words: words_of(&paras),
                    paras,
                    topic: if i % 2 == 0 {
                        "even".into()
                    } else {
                        "odd".into()
                    },
                }
            })
            .collect()
    }

    fn run_mem(sources: Vec<Source>, cfg: &SynthConfig) -> Vec<(String, String, String)> {
        let m = Material::plan(sources, cfg).unwrap();
        let mut docs = Vec::new();
        let summary = m
            .run(cfg, |d| {
                docs.push((
                    d.name.to_string(),
                    d.cluster.to_string(),
                    d.text.to_string(),
                ));
                Ok(())
            })
            .unwrap();
        assert_eq!(summary.documents, docs.len());
        docs
    }

    /// The source whose words dominate a text.
    fn dominant(text: &str) -> usize {
        let mut counts: BTreeMap<usize, usize> = BTreeMap::new();
        for w in text.split(|c: char| !c.is_alphanumeric()) {
            let w = w.to_ascii_lowercase();
            if let Some(rest) = w.strip_prefix('w').or_else(|| w.strip_prefix("qw")) {
                if let Some((i, _)) = rest.split_once('x') {
                    if let Ok(i) = i.parse() {
                        *counts.entry(i).or_default() += 1;
                    }
                }
            }
        }
        counts
            .into_iter()
            .max_by_key(|&(i, c)| (c, std::cmp::Reverse(i)))
            .unwrap()
            .0
    }

    #[test]
    fn copies_derive_from_their_story() {
        let cfg = SynthConfig {
            stories: 12,
            max_copies: 6,
            distractor_share: 0.5,
            noise: NoiseConfig {
                truncate: 0.5,
                junk: 0.5,
                update_line: 0.5,
                write_through: 0.5,
                ..NoiseConfig::default()
            },
            ..SynthConfig::default()
        };
        let docs = run_mem(fake_sources(60), &cfg);
        let mut cluster_source: BTreeMap<String, usize> = BTreeMap::new();
        let mut source_cluster: BTreeMap<usize, String> = BTreeMap::new();
        for (name, cluster, text) in &docs {
            let src = dominant(text);
            let c = cluster_source.entry(cluster.clone()).or_insert(src);
            assert_eq!(*c, src, "{name} is not made from its cluster's source");
            let s = source_cluster.entry(src).or_insert(cluster.clone());
            assert_eq!(s, cluster, "source {src} appears in two clusters");
        }
        assert!(docs.iter().any(|d| d.0.starts_with('d')), "some distractor");
    }

    #[test]
    fn no_noise_gives_exact_duplicates() {
        let cfg = SynthConfig {
            stories: 5,
            min_copies: 3,
            max_copies: 3,
            distractor_share: 0.0,
            noise: NoiseConfig::none(),
            ..SynthConfig::default()
        };
        let docs = run_mem(fake_sources(20), &cfg);
        assert_eq!(docs.len(), 15);
        for group in docs.chunks(3) {
            assert_eq!(group[0].2, group[1].2);
            assert_eq!(group[1].2, group[2].2);
            assert!(group[0].2.ends_with(" Reuter\n"));
        }
        assert_ne!(docs[0].2, docs[3].2);
    }

    #[test]
    fn mixed_stories_hit_the_target_and_do_not_share_sentences() {
        let cfg = SynthConfig {
            stories: 6,
            target_words: Some(100),
            min_copies: 1,
            max_copies: 1,
            distractor_share: 0.0,
            noise: NoiseConfig::none(),
            ..SynthConfig::default()
        };
        let docs = run_mem(fake_sources(40), &cfg);
        let mut seen = HashSet::new();
        for (_, _, text) in &docs {
            let body = text.split_once("\n\n").unwrap().1;
            let n = word_count(body);
            assert!((100..200).contains(&n), "{n} words");
            let flat = body.split_whitespace().collect::<Vec<_>>().join(" ");
            let mut spans = Vec::new();
            sentence_spans(&flat, &mut spans);
            for &(s, e) in &spans {
                let sent = &flat[s..e];
                if sent.starts_with('Q') {
                    assert!(seen.insert(sent.to_string()), "sentence reused: {sent}");
                }
            }
        }
    }

    /// Sources whose sentences use words of the lists (house spellings,
    /// wire abbreviations, editorial swaps) and all-caps titles, so that
    /// a digest of their corpus covers the word lists and the outlets.
    fn wordy_sources(n: usize) -> Vec<Source> {
        (0..n)
            .map(|i| {
                let paras: Vec<String> = (0..4)
                    .map(|p| {
                        let sents: Vec<String> = (0..3)
                            .map(|s| {
                                format!(
                                    "Q{i}x{p}{s} said the company program rose {} pct to {} mln dlrs. \
                                     Officials of the labor center expect talks about a big agreement.",
                                    i % 9 + 1,
                                    i * 7 + p * 3 + s
                                )
                            })
                            .collect();
                        sents.join(" ")
                    })
                    .collect();
                Source {
                    title: format!("COMPANY W{i} PROGRAM RISES 5 PCT IN U.S. <CO{i}>"),
                    dateline: (i % 4 != 0).then(|| "NEW YORK, March 3".into()),
                    words: words_of(&paras),
                    paras,
                    topic: ["grain", "ship", ""][i % 3].into(),
                }
            })
            .collect()
    }

    /// FNV-1a 64 of every document's name, cluster and text, in order.
    fn corpus_digest(docs: &[(String, String, String)]) -> u64 {
        let mut h = 0xcbf2_9ce4_8422_2325u64;
        for (name, cluster, text) in docs {
            for b in [name, cluster, text]
                .iter()
                .flat_map(|s| s.bytes().chain([0]))
            {
                h ^= u64::from(b);
                h = h.wrapping_mul(0x0000_0100_0000_01B3);
            }
        }
        h
    }

    #[test]
    fn corpora_are_pinned() {
        // Pinned: benchmarks and accuracy tables depend on a seed giving the
        // same corpus, so the word lists, outlets and random streams must
        // not change by accident. Change these values only on purpose.
        let noisy = NoiseConfig {
            house_style: 1.0,
            edit: 1.0,
            truncate: 0.4,
            junk: 0.5,
            update_line: 0.5,
            write_through: 0.3,
            whitespace: 0.5,
            ..NoiseConfig::default()
        };
        let single = SynthConfig {
            stories: 30,
            max_copies: 8,
            distractor_share: 0.5,
            noise: noisy.clone(),
            ..SynthConfig::default()
        };
        let mixed = SynthConfig {
            stories: 20,
            seed: 9,
            target_words: Some(150),
            noise: noisy,
            ..SynthConfig::default()
        };
        let got = [
            corpus_digest(&run_mem(wordy_sources(80), &single)),
            corpus_digest(&run_mem(wordy_sources(80), &mixed)),
        ];
        assert_eq!(got, PINNED_DIGESTS, "{got:#x?}");
    }

    const PINNED_DIGESTS: [u64; 2] = [0xd5d0_aa1d_83c4_86f9, 0x7645_57cc_ad03_a687];

    #[test]
    fn overlapping_sources_are_dropped() {
        let mut src = fake_sources(3);
        src[2] = src[0].clone();
        src[2].paras[3] = "Something else entirely different here now.".into();
        let raw = src.into_iter().map(|s| (String::new(), s)).collect();
        let kept = usable_sources(raw, &SynthConfig::default());
        assert_eq!(kept.len(), 2);
    }
}
