//! `.neardupignore`: glob patterns of files that are not documents.

use std::path::Path;

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};

use super::walk::components_id;
use crate::error::{Error, Result};

/// Patterns from a `.neardupignore` file at the top of a scanned directory:
/// one glob per line (`#` starts a comment line), matched against each
/// file's path relative to the directory (with `/` separators) and against
/// its file name. Matching files are not documents.
///
/// Globs are [`globset`]'s: `*` (any run of characters, `/` included), `?`
/// (one character), `[abc]`, `[!a-z]`, `{a,b}` and `**`; a backslash
/// escapes the character after it.
#[derive(Debug, Clone, Default)]
pub struct IgnoreList {
    set: Option<GlobSet>,
}

impl IgnoreList {
    /// Name of the ignore file.
    pub const FILE: &'static str = ".neardupignore";

    /// Reads `dir/.neardupignore` (an absent file ignores nothing). An
    /// invalid pattern is an error naming the file and line.
    pub fn load(dir: &Path) -> Result<IgnoreList> {
        let path = dir.join(Self::FILE);
        let text = match std::fs::read(&path) {
            Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(IgnoreList::default()),
            Err(source) => return Err(Error::Io { path, source }),
        };
        let lines = text.lines().enumerate().map(|(i, l)| (i + 1, l.trim()));
        Self::build(lines.filter(|(_, l)| !l.is_empty() && !l.starts_with('#'))).map_err(
            |(line, message)| {
                Error::Config(format!(
                    "{}:{line}: {message}",
                    crate::display::path_text(&path)
                ))
            },
        )
    }

    /// A list of the given patterns (as lines of an ignore file).
    pub fn from_patterns<'a>(patterns: impl IntoIterator<Item = &'a str>) -> Result<IgnoreList> {
        Self::build(patterns.into_iter().enumerate().map(|(i, p)| (i + 1, p)))
            .map_err(|(line, message)| Error::Config(format!("pattern {line}: {message}")))
    }

    fn build<'a>(
        patterns: impl Iterator<Item = (usize, &'a str)>,
    ) -> std::result::Result<IgnoreList, (usize, String)> {
        let mut set = GlobSetBuilder::new();
        let mut any = false;
        for (line, p) in patterns {
            let glob = GlobBuilder::new(p)
                .literal_separator(false)
                .backslash_escape(true)
                .build()
                .map_err(|e| (line, format!("invalid pattern {p:?}: {}", e.kind())))?;
            set.add(glob);
            any = true;
        }
        let set = set
            .build()
            .map_err(|e| (0, format!("invalid patterns: {e}")))?;
        Ok(IgnoreList {
            set: any.then_some(set),
        })
    }

    /// Whether a relative path is ignored.
    pub fn matches(&self, rel: &Path) -> bool {
        self.set.is_some() && self.matches_id(&components_id(rel))
    }

    /// Whether a relative path, written as a document id (components
    /// joined by `/`), is ignored: a pattern matches the whole path or its
    /// last component.
    pub fn matches_id(&self, id: &str) -> bool {
        let Some(set) = &self.set else {
            return false;
        };
        let name = id.rsplit('/').next().unwrap_or(id);
        set.is_match(id) || (name.len() < id.len() && set.is_match(name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(patterns: &[&str]) -> IgnoreList {
        IgnoreList::from_patterns(patterns.iter().copied()).unwrap()
    }

    #[test]
    fn patterns_match_the_path_or_the_name() {
        assert!(list(&["*.md"]).matches_id("README.md"));
        assert!(list(&["truth.tsv"]).matches_id("truth.tsv"));
        assert!(list(&["a?c*"]).matches_id("abcdef"));
        assert!(!list(&["*.md"]).matches_id("notes.txt"));
        assert!(list(&["docs/*"]).matches_id("docs/x.txt"));
        // `*` crosses directories, as it always did here.
        assert!(list(&["docs*txt"]).matches_id("docs/a/x.txt"));
        assert!(list(&["[ab].txt"]).matches_id("dir/b.txt"));
        assert!(list(&["*.{md,tsv}"]).matches_id("truth.tsv"));
        let l = list(&["*.md", "gen/*"]);
        assert!(l.matches(Path::new("sub/README.md")));
        assert!(l.matches(Path::new("gen/x.txt")));
        assert!(!l.matches(Path::new("story.txt")));
        assert!(!IgnoreList::default().matches_id("anything"));
    }

    #[test]
    fn an_invalid_pattern_names_its_line() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join(IgnoreList::FILE),
            "# comment\n*.md\n\n[unclosed\n",
        )
        .unwrap();
        let e = IgnoreList::load(dir.path()).unwrap_err().to_string();
        assert!(
            e.contains(".neardupignore:4: invalid pattern \"[unclosed\""),
            "{e}"
        );
        assert!(IgnoreList::load(&dir.path().join("absent"))
            .unwrap()
            .set
            .is_none());
    }
}
