//! The data files of `data/` (word lists and outlets, in the line formats of
//! `data/README.md`), compiled in with `include_str!`.
//!
//! Each file is parsed once, on first use. The files are part of the
//! program, not input: a malformed one is a bug of this crate, which the
//! unit tests catch (they parse every file), so a run panics on it with the
//! file, the line and what is wrong rather than returning an error.

use std::collections::HashSet;
use std::fmt;

/// A data file: its name under `data/` and its text.
#[derive(Debug, Clone, Copy)]
pub(crate) struct DataFile {
    /// File name, e.g. `spellings.tsv`.
    pub(crate) name: &'static str,
    /// The whole text.
    pub(crate) text: &'static str,
}

/// `DataFile` of `data/$name`, compiled in.
macro_rules! data_file {
    ($name:literal) => {
        $crate::data::DataFile {
            name: $name,
            text: include_str!(concat!("../data/", $name)),
        }
    };
}
pub(crate) use data_file;

/// A malformed data file: which, where and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DataError {
    file: &'static str,
    line: usize,
    message: String,
}

impl fmt::Display for DataError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "benches/synth/data/{}:{}: {}",
            self.file, self.line, self.message
        )
    }
}

/// Longest word the word rewriter looks up (see `text::map_words`).
const MAX_WORD: usize = 24;

impl DataFile {
    /// An error at 1-based `line` of this file (0: the file as a whole).
    pub(crate) fn error(self, line: usize, message: impl Into<String>) -> DataError {
        DataError {
            file: self.name,
            line,
            message: message.into(),
        }
    }

    /// Lines with their 1-based numbers, comments (`#` first) dropped and
    /// blank lines kept.
    pub(crate) fn lines(self) -> impl Iterator<Item = (usize, &'static str)> {
        self.text
            .lines()
            .enumerate()
            .map(|(i, l)| (i + 1, l))
            .filter(|(_, l)| !l.starts_with('#'))
    }

    /// Lines that are neither blank nor comments, each checked to have no
    /// white space at either end.
    fn entries(self) -> impl Iterator<Item = Result<(usize, &'static str), DataError>> {
        self.lines()
            .filter(|(_, l)| !l.trim().is_empty())
            .map(move |(n, l)| {
                if l.trim() != l {
                    Err(self.error(n, format!("white space around {l:?}")))
                } else {
                    Ok((n, l))
                }
            })
    }

    /// One entry a line, in file order; `words`: each entry one word (no
    /// white space inside). At least one entry.
    pub(crate) fn list(self, words: bool) -> Result<Vec<&'static str>, DataError> {
        let mut out = Vec::new();
        for entry in self.entries() {
            let (n, l) = entry?;
            if words && l.contains(char::is_whitespace) {
                return Err(self.error(n, format!("{l:?} is not one word")));
            }
            out.push(l);
        }
        if out.is_empty() {
            return Err(self.error(0, "no entries"));
        }
        Ok(out)
    }

    /// `KEY<TAB>VALUE` a line, in file order. Keys are words the rewriter
    /// looks up: lower-case ASCII letters, 2 to 24 of them, each key once;
    /// `value_is_key`: the values too (looked up the other way). At least
    /// one line.
    pub(crate) fn pairs(
        self,
        value_is_key: bool,
    ) -> Result<Vec<(&'static str, &'static str)>, DataError> {
        let mut out = Vec::new();
        let (mut keys, mut values) = (HashSet::new(), HashSet::new());
        for entry in self.entries() {
            let (n, l) = entry?;
            let mut cols = l.split('\t');
            let (Some(k), Some(v), None) = (cols.next(), cols.next(), cols.next()) else {
                return Err(self.error(n, "need two columns separated by one tab"));
            };
            if v.is_empty() || v.trim() != v {
                return Err(self.error(n, format!("empty value or white space around {v:?}")));
            }
            let looked_up = if value_is_key { 2 } else { 1 };
            for (word, seen) in [(k, &mut keys), (v, &mut values)]
                .into_iter()
                .take(looked_up)
            {
                if !(2..=MAX_WORD).contains(&word.len())
                    || !word.bytes().all(|b| b.is_ascii_lowercase())
                {
                    return Err(self.error(
                        n,
                        format!(
                            "{word:?} is not a lower-case word of 2 to {MAX_WORD} ASCII letters"
                        ),
                    ));
                }
                if !seen.insert(word) {
                    return Err(self.error(n, format!("{word:?} listed twice")));
                }
            }
            out.push((k, v));
        }
        if out.is_empty() {
            return Err(self.error(0, "no entries"));
        }
        Ok(out)
    }
}

/// The value of `parsed`, or a panic naming the file and line (see the
/// module docs for why a panic).
pub(crate) fn load<T>(parsed: Result<T, DataError>) -> T {
    parsed.unwrap_or_else(|e| panic!("{e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(text: &'static str) -> DataFile {
        DataFile {
            name: "t.txt",
            text,
        }
    }

    #[test]
    fn lists_keep_order_and_skip_comments_and_blank_lines() {
        let f = file("# a comment\n\nbeta\r\nalpha\n\n# more\ngamma delta\n");
        assert_eq!(f.list(false), Ok(vec!["beta", "alpha", "gamma delta"]));
        assert_eq!(
            f.list(true).unwrap_err().to_string(),
            "benches/synth/data/t.txt:7: \"gamma delta\" is not one word"
        );
    }

    #[test]
    fn bad_lists_name_the_line() {
        let err = |text| file(text).list(false).unwrap_err().to_string();
        assert_eq!(
            err("one\n two\n"),
            "benches/synth/data/t.txt:2: white space around \" two\""
        );
        assert_eq!(
            err("# only a comment\n\n"),
            "benches/synth/data/t.txt:0: no entries"
        );
    }

    #[test]
    fn pairs_are_checked() {
        let ok = file("# us\tuk\ncolor\tcolour\nlabor\tlabour\n");
        assert_eq!(
            ok.pairs(true),
            Ok(vec![("color", "colour"), ("labor", "labour")])
        );
        let err = |text, both| file(text).pairs(both).unwrap_err().to_string();
        let at = |line: usize, msg: &str| format!("benches/synth/data/t.txt:{line}: {msg}");
        assert_eq!(
            err("a\tb\tc\n", false),
            at(1, "need two columns separated by one tab")
        );
        assert_eq!(
            err("rose climbed\n", false),
            at(1, "need two columns separated by one tab")
        );
        assert_eq!(
            err("rose\tclimbed\nRose\tup\n", false),
            at(
                2,
                "\"Rose\" is not a lower-case word of 2 to 24 ASCII letters"
            )
        );
        assert_eq!(
            err("rose\tclimbed\nrose\tgrew\n", false),
            at(2, "\"rose\" listed twice")
        );
        assert_eq!(
            err("rose\t\n", false),
            at(1, "white space around \"rose\\t\"")
        );
        assert_eq!(
            err("rose\t climbed\n", false),
            at(1, "empty value or white space around \" climbed\"")
        );
        // Values: any text, unless they are looked up too.
        assert_eq!(
            file("pct\tper cent\n").pairs(false),
            Ok(vec![("pct", "per cent")])
        );
        assert_eq!(
            err("pct\tper cent\n", true),
            at(
                1,
                "\"per cent\" is not a lower-case word of 2 to 24 ASCII letters"
            )
        );
        assert_eq!(
            err("color\tcolour\nhue\tcolour\n", true),
            at(2, "\"colour\" listed twice")
        );
        assert_eq!(err("\n", false), at(0, "no entries"));
    }
}
