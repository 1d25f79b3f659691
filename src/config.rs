//! Engine configuration: a builder that validates everything once.
//!
//! ```
//! use neardup::Config;
//! let cfg = Config::builder().threshold(0.6).shingle(4).build().unwrap();
//! assert_eq!(cfg.banding().bands * cfg.banding().rows, cfg.perms());
//! assert!(Config::builder().threshold(1.5).build().is_err());
//! ```

use crate::error::{Error, Result};
use crate::lsh::{optimal_params, Banding};
use crate::minhash::Scheme;
use crate::verify::Similarity;

/// Default MinHash seed ("neardup" in ASCII). Signatures depend on it.
pub const DEFAULT_SEED: u64 = 0x006e_6561_7264_7570;

/// Default words per shingle: the one shingle size of a scan, an index,
/// and the scores of [`crate::explain`](mod@crate::explain), so that every surface shows the
/// same Jaccard and containment for a pair.
pub const DEFAULT_SHINGLE: usize = 4;

/// A validated, frozen engine configuration. Build one with
/// [`Config::builder`]; every field has a getter.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Config {
    shingle: usize,
    perms: usize,
    banding: Banding,
    lsh_threshold: f64,
    threshold: f64,
    containment: f64,
    min_containment_shingles: usize,
    containment_min_jaccard: f64,
    seed: u64,
    max_bucket: usize,
    boilerplate_min_docs: usize,
    boilerplate_share: f64,
    linkage: f64,
    exact: bool,
    /// Stored configurations from before the field (index format 1) used
    /// classic MinHash.
    #[serde(default = "legacy_scheme")]
    scheme: Scheme,
}

fn legacy_scheme() -> Scheme {
    Scheme::Classic
}

impl Default for Config {
    fn default() -> Self {
        ConfigBuilder::default()
            .build()
            .expect("default configuration is valid")
    }
}

impl Config {
    /// A builder holding the defaults.
    pub fn builder() -> ConfigBuilder {
        ConfigBuilder::default()
    }
    /// A builder holding this configuration, to change some of it:
    ///
    /// ```
    /// use neardup::Config;
    /// let strict = Config::default().to_builder().threshold(0.8).build().unwrap();
    /// assert_eq!(strict.threshold(), 0.8);
    /// assert_eq!(strict.shingle(), Config::default().shingle());
    /// ```
    pub fn to_builder(&self) -> ConfigBuilder {
        ConfigBuilder {
            shingle: self.shingle,
            perms: self.perms,
            bands: Some(self.banding.bands),
            lsh_threshold: Some(self.lsh_threshold),
            threshold: self.threshold,
            containment: self.containment,
            min_containment_shingles: self.min_containment_shingles,
            containment_min_jaccard: self.containment_min_jaccard,
            seed: self.seed,
            max_bucket: self.max_bucket,
            boilerplate_min_docs: self.boilerplate_min_docs,
            boilerplate_share: self.boilerplate_share,
            linkage: self.linkage,
            exact: self.exact,
            scheme: self.scheme,
        }
    }
    /// Words per shingle (`k`).
    pub fn shingle(&self) -> usize {
        self.shingle
    }
    /// MinHash permutations (signature length).
    pub fn perms(&self) -> usize {
        self.perms
    }
    /// LSH banding (`bands * rows == perms`).
    pub fn banding(&self) -> Banding {
        self.banding
    }
    /// The Jaccard similarity the LSH banding was tuned for.
    pub fn lsh_threshold(&self) -> f64 {
        self.lsh_threshold
    }
    /// Jaccard at or above which a verified pair is a duplicate.
    pub fn threshold(&self) -> f64 {
        self.threshold
    }
    /// Containment (`|A∩B| / min(|A|,|B|)`) at or above which a verified
    /// pair is a duplicate (when the smaller document is large enough).
    pub fn containment(&self) -> f64 {
        self.containment
    }
    /// Smallest shingle count of the smaller document for the containment
    /// rule to apply (a three-word caption contained in an article is not a
    /// copy of it).
    pub fn min_containment_shingles(&self) -> usize {
        self.min_containment_shingles
    }
    /// Smallest Jaccard for the containment rule to apply: a short item
    /// (a snippet, a caption, one quoted statement) inside a page many times
    /// longer is not a copy of it.
    pub fn containment_min_jaccard(&self) -> f64 {
        self.containment_min_jaccard
    }
    /// MinHash seed.
    pub fn seed(&self) -> u64 {
        self.seed
    }
    /// How signatures are computed (one-permutation hashing by default).
    pub fn scheme(&self) -> Scheme {
        self.scheme
    }
    /// Largest LSH bucket expanded into all its pairs.
    pub fn max_bucket(&self) -> usize {
        self.max_bucket
    }
    /// A shingle present in more than `max(boilerplate_min_docs,
    /// boilerplate_share * documents)` documents is boilerplate and ignored
    /// for matching. `0` disables the cut.
    pub fn boilerplate_min_docs(&self) -> usize {
        self.boilerplate_min_docs
    }
    /// See [`boilerplate_min_docs`](Self::boilerplate_min_docs).
    pub fn boilerplate_share(&self) -> f64 {
        self.boilerplate_share
    }
    /// Mean containment of the cross pairs needed for two clusters to merge
    /// (`0` gives plain connected components; see `crate::cluster`).
    pub fn linkage(&self) -> f64 {
        self.linkage
    }

    /// Whether every pair is compared exactly (no LSH).
    pub fn exact(&self) -> bool {
        self.exact
    }

    /// The document-frequency above which a shingle is boilerplate, for a
    /// corpus of `docs` documents (`None` when the cut is disabled).
    pub fn boilerplate_cut(&self, docs: usize) -> Option<usize> {
        if self.boilerplate_min_docs == 0 {
            return None;
        }
        let share = (self.boilerplate_share * docs as f64).ceil() as usize;
        Some(self.boilerplate_min_docs.max(share))
    }

    /// The decision rule: is a verified pair a duplicate?
    ///
    /// `jaccard >= threshold`, or `containment >= containment` when the
    /// smaller document has at least `min_containment_shingles` shingles and
    /// the Jaccard is at least `containment_min_jaccard`.
    pub fn is_duplicate(&self, s: &Similarity) -> bool {
        s.jaccard >= self.threshold
            || (s.containment >= self.containment
                && s.jaccard >= self.containment_min_jaccard
                && s.size_a.min(s.size_b) >= self.min_containment_shingles)
    }
}

/// Builds a [`Config`]; [`build`](ConfigBuilder::build) validates it.
#[derive(Debug, Clone)]
pub struct ConfigBuilder {
    shingle: usize,
    perms: usize,
    bands: Option<usize>,
    lsh_threshold: Option<f64>,
    threshold: f64,
    containment: f64,
    min_containment_shingles: usize,
    containment_min_jaccard: f64,
    seed: u64,
    max_bucket: usize,
    boilerplate_min_docs: usize,
    boilerplate_share: f64,
    linkage: f64,
    exact: bool,
    scheme: Scheme,
}

impl Default for ConfigBuilder {
    fn default() -> Self {
        ConfigBuilder {
            shingle: DEFAULT_SHINGLE,
            perms: 128,
            bands: None,
            lsh_threshold: None,
            threshold: 0.5,
            containment: 0.4,
            min_containment_shingles: 20,
            containment_min_jaccard: 0.1,
            seed: DEFAULT_SEED,
            max_bucket: 64,
            boilerplate_min_docs: 20,
            boilerplate_share: 0.01,
            linkage: 0.2,
            exact: false,
            scheme: Scheme::OnePermutation,
        }
    }
}

macro_rules! setter {
    ($(#[$doc:meta])* $name:ident: $ty:ty) => {
        $(#[$doc])*
        pub fn $name(mut self, value: $ty) -> Self {
            self.$name = value;
            self
        }
    };
}

impl ConfigBuilder {
    setter!(/// Words per shingle (>= 1).
        shingle: usize);
    setter!(/// MinHash permutations (>= 1).
        perms: usize);
    setter!(/// Jaccard threshold for a duplicate, in (0, 1].
        threshold: f64);
    setter!(/// Containment threshold for a duplicate, in (0, 1].
        containment: f64);
    setter!(/// Smallest document (in shingles) for the containment rule.
        min_containment_shingles: usize);
    setter!(/// Smallest Jaccard for the containment rule, in [0, 1].
        containment_min_jaccard: f64);
    setter!(/// MinHash seed.
        seed: u64);
    setter!(/// Largest LSH bucket expanded into all pairs (>= 1).
        max_bucket: usize);
    setter!(/// Boilerplate cut: minimum document frequency (0 disables).
        boilerplate_min_docs: usize);
    setter!(/// Boilerplate cut: share of the corpus, in [0, 1].
        boilerplate_share: f64);
    setter!(/// Cluster linkage: mean containment of cross pairs needed to merge
        /// two clusters, in [0, 1] (0: connected components).
        linkage: f64);
    setter!(/// How signatures are computed (see [`crate::minhash`]).
        scheme: Scheme);
    setter!(/// Compare every pair exactly instead of LSH candidates (quadratic:
        /// for small corpora and for measuring what sketching loses).
        exact: bool);

    /// Number of LSH bands; rows are `perms / bands`, which must divide
    /// exactly. Unset: chosen from the LSH threshold.
    pub fn bands(mut self, bands: usize) -> Self {
        self.bands = Some(bands);
        self
    }

    /// The Jaccard similarity the LSH banding is tuned for, in (0, 1].
    /// Unset: low enough to catch pairs that only the containment rule
    /// accepts (see `docs/DESIGN.md`).
    pub fn lsh_threshold(mut self, t: f64) -> Self {
        self.lsh_threshold = Some(t);
        self
    }

    /// Validates and freezes the configuration.
    pub fn build(self) -> Result<Config> {
        fn unit(name: &str, v: f64) -> Result<()> {
            if v.is_finite() && v > 0.0 && v <= 1.0 {
                Ok(())
            } else {
                Err(Error::Config(format!("{name} must be in (0, 1], got {v}")))
            }
        }
        if self.shingle == 0 || self.shingle > 64 {
            return Err(Error::Config(format!(
                "shingle size must be between 1 and 64, got {}",
                self.shingle
            )));
        }
        if self.perms == 0 || self.perms > 4096 {
            return Err(Error::Config(format!(
                "perms must be between 1 and 4096, got {}",
                self.perms
            )));
        }
        unit("threshold", self.threshold)?;
        unit("containment", self.containment)?;
        if self.max_bucket == 0 {
            return Err(Error::Config("max_bucket must be at least 1".into()));
        }
        if !(0.0..=1.0).contains(&self.boilerplate_share) {
            return Err(Error::Config(format!(
                "boilerplate share must be in [0, 1], got {}",
                self.boilerplate_share
            )));
        }
        if !(0.0..=1.0).contains(&self.containment_min_jaccard) {
            return Err(Error::Config(format!(
                "containment min jaccard must be in [0, 1], got {}",
                self.containment_min_jaccard
            )));
        }
        if !(0.0..=1.0).contains(&self.linkage) {
            return Err(Error::Config(format!(
                "linkage must be in [0, 1], got {}",
                self.linkage
            )));
        }
        let lsh_threshold = match self.lsh_threshold {
            Some(t) => {
                unit("lsh threshold", t)?;
                t
            }
            None => default_lsh_threshold(self.threshold, self.containment),
        };
        let banding = match self.bands {
            Some(b) => {
                if b == 0 || !self.perms.is_multiple_of(b) {
                    return Err(Error::Config(format!(
                        "bands ({b}) must divide perms ({}) so that bands * rows == perms",
                        self.perms
                    )));
                }
                Banding {
                    bands: b,
                    rows: self.perms / b,
                }
            }
            // False negatives cost more than false positives: a missed
            // candidate is lost for good, a false one only costs a check.
            None => optimal_params(lsh_threshold, self.perms, 1.0, 4.0),
        };
        Ok(Config {
            shingle: self.shingle,
            perms: self.perms,
            banding,
            lsh_threshold,
            threshold: self.threshold,
            containment: self.containment,
            min_containment_shingles: self.min_containment_shingles,
            containment_min_jaccard: self.containment_min_jaccard,
            seed: self.seed,
            max_bucket: self.max_bucket,
            boilerplate_min_docs: self.boilerplate_min_docs,
            boilerplate_share: self.boilerplate_share,
            linkage: self.linkage,
            exact: self.exact,
            scheme: self.scheme,
        })
    }
}

/// The Jaccard a pair accepted only by containment can have: a copy cut to
/// half its length and contained at `containment` has Jaccard about
/// `c / (2 + 1 - c)`; the LSH aims a little below that.
fn default_lsh_threshold(threshold: f64, containment: f64) -> f64 {
    let r = 0.5; // size ratio of the truncated copies we still want to find
    let j_trunc = containment * r / (1.0 + r - containment * r);
    threshold.min(j_trunc).clamp(0.05, 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_bad_values() {
        assert!(Config::builder().shingle(0).build().is_err());
        assert!(Config::builder().threshold(0.0).build().is_err());
        assert!(Config::builder().threshold(f64::NAN).build().is_err());
        assert!(Config::builder().containment(1.01).build().is_err());
        assert!(Config::builder().perms(128).bands(30).build().is_err());
        assert!(Config::builder().perms(0).build().is_err());
        assert!(Config::builder().linkage(2.0).build().is_err());
    }

    #[test]
    fn explicit_bands() {
        let c = Config::builder().perms(120).bands(30).build().unwrap();
        assert_eq!(c.banding(), Banding { bands: 30, rows: 4 });
    }
}
