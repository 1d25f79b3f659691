//! The metadata file `index.meta`: a JSON body framed like every index file,
//! replaced atomically at each commit. It is the single point of truth: a
//! segment or state file that it does not name is not part of the index.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::format::{check_frame, FileKind, FramedWriter, FORMAT_VERSION, OLDEST_FORMAT_VERSION};
use crate::config::Config;
use crate::error::{Error, Result};

/// The number of a segment file name as writers make them
/// (`seg-NNNNNN.seg`, see [`super::segment_name`]).
pub(crate) fn segment_number(name: &str) -> Option<u64> {
    let n = name.strip_prefix("seg-")?.strip_suffix(".seg")?;
    number_of(n).filter(|&k| super::segment_name(k) == name)
}

/// The generation of a state file name (`state-NNNNNN.state`).
pub(crate) fn state_number(name: &str) -> Option<u64> {
    let n = name.strip_prefix("state-")?.strip_suffix(".state")?;
    number_of(n).filter(|&k| super::state_name(k) == name)
}

fn number_of(digits: &str) -> Option<u64> {
    if digits.bytes().all(|b| b.is_ascii_digit()) {
        digits.parse().ok()
    } else {
        None
    }
}

/// Name of the metadata file inside an index directory.
pub const META_FILE: &str = "index.meta";

/// One segment as the metadata lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SegmentMeta {
    /// File name inside the index directory.
    pub name: String,
    /// Documents stored in it (removed ones included).
    pub docs: u64,
    /// How many of them are removed.
    pub deleted: u64,
    /// File size in bytes.
    pub bytes: u64,
}

/// The content of the metadata file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Meta {
    /// Index format version (also in the frame).
    pub format_version: u32,
    /// Commit number: 0 at creation, +1 per commit.
    pub generation: u64,
    /// Version of neardup that wrote this generation.
    pub written_by: String,
    /// The engine configuration every document was processed with.
    pub config: StoredConfig,
    /// `crate::tokenize::TOKENIZER_VERSION` at creation.
    pub tokenizer_version: u32,
    /// [`crate::minhash::MINHASH_VERSION`] at creation.
    pub minhash_version: u32,
    /// Width of the df sketch (`2^bits` counters per row; 0: no sketch).
    pub sketch_bits: u32,
    /// Live documents.
    pub documents: u64,
    /// Removed documents still stored (until `optimize`).
    pub deleted: u64,
    /// Groups of near-verbatim copies counted in the df sketch.
    pub groups: u64,
    /// Number used for the next segment file name.
    pub next_segment: u64,
    /// Segments, oldest first.
    pub segments: Vec<SegmentMeta>,
    /// The state file of this generation.
    pub state: String,
    /// Number given to the next new story cluster (format version 2; 0 in
    /// a version 1 index, whose documents have no stored cluster, see
    /// [`super::DocFacts::cluster`]).
    #[serde(default)]
    pub next_cluster: u64,
}

impl Meta {
    /// The bytes of the metadata file (framed, checksummed) that holds
    /// this metadata.
    pub fn to_bytes(&self) -> Vec<u8> {
        let json = serde_json::to_vec_pretty(self).expect("metadata serializes");
        let mut w = FramedWriter::new(Vec::new(), FileKind::Meta).expect("in memory");
        w.write_all(&json).expect("in memory");
        w.write_all(b"\n").expect("in memory");
        w.finish().expect("in memory").0
    }

    /// Parses and validates a metadata file's bytes. `path` names it in errors.
    pub(crate) fn from_bytes(bytes: &[u8], path: &Path) -> Result<Meta> {
        let err = |message: String| Error::Index {
            path: path.to_path_buf(),
            message,
        };
        let body = check_frame(bytes, FileKind::Meta, true).map_err(|e| err(e.0))?;
        let meta: Meta = serde_json::from_slice(body)
            .map_err(|e| err(format!("metadata is not valid JSON: {e}")))?;
        if !(OLDEST_FORMAT_VERSION..=FORMAT_VERSION).contains(&meta.format_version) {
            return Err(err(format!(
                "format version {} in the metadata, this build reads {OLDEST_FORMAT_VERSION} to {FORMAT_VERSION}",
                meta.format_version
            )));
        }
        if !(crate::tokenize::OLDEST_TOKENIZER_VERSION..=crate::tokenize::TOKENIZER_VERSION)
            .contains(&meta.tokenizer_version)
        {
            return Err(err(format!(
                "built with tokenizer version {}, this build applies versions {} to {}: rebuild the index",
                meta.tokenizer_version,
                crate::tokenize::OLDEST_TOKENIZER_VERSION,
                crate::tokenize::TOKENIZER_VERSION
            )));
        }
        if meta.minhash_version != crate::minhash::MINHASH_VERSION {
            return Err(err(format!(
                "built with MinHash version {}, this build has version {}: rebuild the index",
                meta.minhash_version,
                crate::minhash::MINHASH_VERSION
            )));
        }
        meta.config
            .to_config()
            .map_err(|e| err(format!("stored configuration: {e}")))?;
        if meta.sketch_bits > 30 {
            return Err(err(format!(
                "sketch width 2^{} too large",
                meta.sketch_bits
            )));
        }
        if meta.generation == u64::MAX || meta.next_segment == u64::MAX {
            return Err(err("generation or next segment number out of range".into()));
        }
        // The next commit creates `segment_name(next_segment)` and
        // `state_name(generation + 1)`: neither may be a file of this
        // commit, and no file may be listed twice.
        let mut numbers = std::collections::HashSet::with_capacity(meta.segments.len());
        for s in &meta.segments {
            let Some(n) = segment_number(&s.name) else {
                return Err(err(format!("bad segment entry {:?}", s.name)));
            };
            if s.deleted > s.docs {
                return Err(err(format!(
                    "segment {} has more removed documents than documents",
                    s.name
                )));
            }
            if n >= meta.next_segment {
                return Err(err(format!(
                    "lists segment {}, whose number is not below next_segment ({}): \
                     the next commit would write over it",
                    s.name, meta.next_segment
                )));
            }
            if !numbers.insert(n) {
                return Err(err(format!("lists segment {} twice", s.name)));
            }
        }
        match state_number(&meta.state) {
            None => return Err(err(format!("bad state file name {:?}", meta.state))),
            Some(n) if n > meta.generation => {
                return Err(err(format!(
                    "names state file {}, of a generation after this one ({}): \
                     a later commit would write over it",
                    meta.state, meta.generation
                )))
            }
            Some(_) => {}
        }
        let sum = |f: fn(&SegmentMeta) -> u64| {
            meta.segments
                .iter()
                .try_fold(0u64, |acc, s| acc.checked_add(f(s)))
        };
        let (stored, deleted) = (sum(|s| s.docs), sum(|s| s.deleted));
        match (stored, deleted) {
            (Some(stored), Some(deleted))
                if deleted == meta.deleted && stored - deleted == meta.documents => {}
            _ => return Err(err("document counts do not add up".into())),
        }
        Ok(meta)
    }
}

/// The configuration as the metadata file stores it: every setting that
/// affects results, spelled out field by field so that the file format does
/// not depend on how [`Config`] serializes. A setting added to `Config` in a
/// later version takes its default when an older index is opened.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredConfig {
    /// Words per shingle.
    pub shingle: usize,
    /// MinHash permutations.
    pub perms: usize,
    /// LSH bands.
    pub bands: usize,
    /// Rows per band (`bands * rows == perms`).
    pub rows: usize,
    /// Jaccard the banding was tuned for.
    pub lsh_threshold: f64,
    /// Jaccard threshold of the decision.
    pub threshold: f64,
    /// Containment threshold of the decision.
    pub containment: f64,
    /// Smallest document for the containment rule.
    pub min_containment_shingles: usize,
    /// Smallest Jaccard for the containment rule.
    pub containment_min_jaccard: f64,
    /// MinHash seed.
    pub seed: u64,
    /// Largest LSH bucket expanded into all its pairs (within one batch).
    pub max_bucket: usize,
    /// Boilerplate cut: minimum document frequency (0: off).
    pub boilerplate_min_docs: usize,
    /// Boilerplate cut: share of the groups.
    pub boilerplate_share: f64,
    /// Cluster linkage (kept for reference; an index does not cluster).
    pub linkage: f64,
    /// Signature scheme. Indexes written before the field existed used
    /// classic MinHash, so a missing field reads as `classic`.
    #[serde(default = "classic_scheme")]
    pub scheme: crate::minhash::Scheme,
}

fn classic_scheme() -> crate::minhash::Scheme {
    crate::minhash::Scheme::Classic
}

impl StoredConfig {
    /// The stored form of `c`.
    pub fn from_config(c: &Config) -> StoredConfig {
        StoredConfig {
            shingle: c.shingle(),
            perms: c.perms(),
            bands: c.banding().bands,
            rows: c.banding().rows,
            lsh_threshold: c.lsh_threshold(),
            threshold: c.threshold(),
            containment: c.containment(),
            min_containment_shingles: c.min_containment_shingles(),
            containment_min_jaccard: c.containment_min_jaccard(),
            seed: c.seed(),
            max_bucket: c.max_bucket(),
            boilerplate_min_docs: c.boilerplate_min_docs(),
            boilerplate_share: c.boilerplate_share(),
            linkage: c.linkage(),
            scheme: c.scheme(),
        }
    }

    /// Rebuilds the configuration through the builder, so that a corrupt or
    /// hand-edited file cannot smuggle in values the builder refuses.
    pub fn to_config(&self) -> Result<Config> {
        let c = Config::builder()
            .shingle(self.shingle)
            .perms(self.perms)
            .bands(self.bands)
            .lsh_threshold(self.lsh_threshold)
            .threshold(self.threshold)
            .containment(self.containment)
            .min_containment_shingles(self.min_containment_shingles)
            .containment_min_jaccard(self.containment_min_jaccard)
            .seed(self.seed)
            .max_bucket(self.max_bucket)
            .boilerplate_min_docs(self.boilerplate_min_docs)
            .boilerplate_share(self.boilerplate_share)
            .linkage(self.linkage)
            .scheme(self.scheme)
            .build()?;
        if c.banding().rows != self.rows {
            return Err(Error::Config(format!(
                "bands ({}) * rows ({}) != perms ({})",
                self.bands, self.rows, self.perms
            )));
        }
        Ok(c)
    }
}
