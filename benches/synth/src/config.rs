//! The generator's knobs ([`SynthConfig`], [`NoiseConfig`]) and what a run
//! hands back ([`SynthSummary`], [`SynthDoc`]).

use crate::{Error, Result};

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
    /// mixed from many sources (see the crate docs), instead of one source
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
    /// Checks every knob once; [`generate`](crate::generate) and
    /// [`generate_to_dir`](crate::generate_to_dir) call it.
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

    pub(crate) fn rates(&self) -> [(&'static str, f64); 10] {
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

/// One generated document, as handed to the sink of [`generate`](crate::generate).
#[derive(Debug, Clone, Copy)]
pub struct SynthDoc<'a> {
    /// File name, e.g. `s000012-c03.txt`.
    pub name: &'a str,
    /// Truth cluster, e.g. `s000012`.
    pub cluster: &'a str,
    /// The document text.
    pub text: &'a str,
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
