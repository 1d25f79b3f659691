//! The word lists of `data/` (written for this project): sentence and wire
//! abbreviations, headline words, house spellings, wire abbreviations spelled
//! out, editorial swaps, update notes, sections and months; and the
//! [`Lexicon`] built from them.

use std::collections::HashMap;
use std::sync::OnceLock;

use crate::data::{data_file, load, DataError};

/// The word lists, parsed once from the files of `data/` named on each.
#[derive(Debug)]
pub(crate) struct Words {
    /// `abbreviations.txt`: words after which a period ends no sentence.
    pub(crate) abbreviations: Vec<&'static str>,
    /// `wire-abbreviations.txt`: lowered in all-caps headlines.
    pub(crate) wire_abbreviations: Vec<&'static str>,
    /// `caps-words.txt`: all-caps headline words that are no acronyms.
    pub(crate) caps_words: Vec<&'static str>,
    /// `small-words.txt`: words title case leaves in lower case.
    pub(crate) small_words: Vec<&'static str>,
    /// `spellings.tsv`: (US, UK) spellings.
    pub(crate) spellings: Vec<(&'static str, &'static str)>,
    /// `expansions.tsv`: (wire abbreviation, spelled out).
    pub(crate) expansions: Vec<(&'static str, &'static str)>,
    /// `edits.tsv`: (word, replacement) editorial swaps.
    pub(crate) edits: Vec<(&'static str, &'static str)>,
    /// `update-notes.txt`: "(Updates with ...)" lines, `{n}` a paragraph.
    pub(crate) update_notes: Vec<&'static str>,
    /// `sections.txt`: newspaper sections.
    pub(crate) sections: Vec<&'static str>,
    /// `months.txt`: month names, January first.
    pub(crate) months: Vec<&'static str>,
}

impl Words {
    fn parse() -> Result<Words, DataError> {
        Ok(Words {
            abbreviations: data_file!("abbreviations.txt").list(true)?,
            wire_abbreviations: data_file!("wire-abbreviations.txt").list(true)?,
            caps_words: data_file!("caps-words.txt").list(true)?,
            small_words: data_file!("small-words.txt").list(true)?,
            spellings: data_file!("spellings.tsv").pairs(true)?,
            expansions: data_file!("expansions.tsv").pairs(false)?,
            edits: data_file!("edits.tsv").pairs(false)?,
            update_notes: data_file!("update-notes.txt").list(false)?,
            sections: data_file!("sections.txt").list(false)?,
            months: data_file!("months.txt").list(false)?,
        })
    }
}

/// The word lists (parsed on first use).
pub(crate) fn words() -> &'static Words {
    static WORDS: OnceLock<Words> = OnceLock::new();
    WORDS.get_or_init(|| load(Words::parse()))
}

/// The house spelling of an outlet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Spelling {
    Keep,
    Us,
    Uk,
}

/// Lookup tables of the word lists for rewriting words.
pub(crate) struct Lexicon {
    pub(crate) us_to_uk: HashMap<&'static str, &'static str>,
    pub(crate) uk_to_us: HashMap<&'static str, &'static str>,
    pub(crate) expansions: HashMap<&'static str, &'static str>,
    pub(crate) edits: HashMap<&'static str, &'static str>,
}

impl Lexicon {
    pub(crate) fn new() -> Lexicon {
        let w = words();
        Lexicon {
            us_to_uk: w.spellings.iter().copied().collect(),
            uk_to_us: w.spellings.iter().map(|&(us, uk)| (uk, us)).collect(),
            expansions: w.expansions.iter().copied().collect(),
            edits: w.edits.iter().copied().collect(),
        }
    }

    pub(crate) fn house_word(
        &self,
        spelling: Spelling,
        expand: bool,
        w: &str,
    ) -> Option<&'static str> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::map_words;

    #[test]
    fn shipped_lists_parse() {
        let w = Words::parse().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(w.months.len(), 12);
        assert!(w
            .update_notes
            .iter()
            .all(|n| n.starts_with('(') && n.ends_with(')')));
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
}
