//! Source stories: reading and parsing wire files, topics from `meta.tsv`,
//! keeping the usable sources, and the pool and stream of their sentences.

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};

use crate::rng::Rng;
use crate::text::{
    letter_ratio, mix64, sentence_spans, shingles, word_count, word_hash, words_of, U64Set,
};
use crate::{io_err, Error, Result, SynthConfig};

#[derive(Debug, Clone)]
pub(crate) struct Source {
    pub(crate) title: String,
    /// `CITY, Mon DD`, without the ` - ` separator.
    pub(crate) dateline: Option<String>,
    /// Paragraphs, whitespace collapsed, dateline removed.
    pub(crate) paras: Vec<String>,
    pub(crate) words: usize,
    /// First topic from `meta.tsv`, or empty.
    pub(crate) topic: String,
}

/// Parses a wire file: an optional title line followed by a blank line, then
/// paragraphs separated by blank lines or started by an indented line; a
/// closing `Reuter` sign-off is dropped and a leading dateline split off.
pub(crate) fn parse_source(text: &str) -> Source {
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
pub(crate) fn split_dateline(p: &str) -> Option<(&str, &str)> {
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
pub(crate) fn read_sources(dir: &Path) -> Result<Vec<(String, Source)>> {
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
pub(crate) fn read_topics(dir: &Path) -> Result<HashMap<String, String>> {
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
pub(crate) fn prose_ratio(src: &Source, spans: &mut Vec<(usize, usize)>) -> f64 {
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
pub(crate) fn starts_cleanly(sentence: &str) -> bool {
    let first = sentence.trim_start_matches(['"', '\'', '(']).chars().next();
    first.is_some_and(|c| c.is_uppercase() || c.is_ascii_digit())
        && sentence.bytes().filter(|&b| b == b'"').count() % 2 == 0
        && sentence.bytes().filter(|&b| b == b'(').count()
            == sentence.bytes().filter(|&b| b == b')').count()
}

/// A sentence that ends like one and is mostly words.
pub(crate) fn is_prose(sentence: &str) -> bool {
    sentence.ends_with(['.', '?', '!', '"', '\'', ')']) && letter_ratio(sentence) >= 0.7
}

/// Keeps sources that are long enough, mostly prose (not tables), and not
/// near-duplicates of a source kept before them.
pub(crate) fn usable_sources(raw: Vec<(String, Source)>, cfg: &SynthConfig) -> Vec<Source> {
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
pub(crate) struct Pool {
    pub(crate) text: String,
    /// (start, end, words) of each sentence in `text`.
    pub(crate) spans: Vec<(u32, u32, u32)>,
    pub(crate) seen: U64Set,
}

impl Pool {
    /// Adds the good sentences of `src`: 5 to 80 words, mostly words, ending
    /// like a sentence, not seen before.
    pub(crate) fn add(&mut self, src: &Source, spans: &mut Vec<(usize, usize)>) {
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
pub(crate) struct SentenceStream {
    pool: Pool,
    order: Vec<u32>,
    pos: usize,
    rng: Rng,
}

impl SentenceStream {
    pub(crate) fn new(pool: Pool, rng: Rng) -> SentenceStream {
        let order = (0..pool.spans.len() as u32).collect();
        SentenceStream {
            pool,
            order,
            pos: usize::MAX,
            rng,
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.pool.spans.is_empty()
    }

    /// Appends the next sentence to `out` (with a separating space) and
    /// returns its word count. The pool must not be empty.
    pub(crate) fn push_next(&mut self, out: &mut String) -> usize {
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
    pub(crate) fn paragraph(&mut self, sentences: usize) -> (String, usize) {
        let mut p = String::new();
        let mut n = 0;
        for _ in 0..sentences {
            n += self.push_next(&mut p);
        }
        (p, n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::fake_sources;

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
    fn overlapping_sources_are_dropped() {
        let mut src = fake_sources(3);
        src[2] = src[0].clone();
        src[2].paras[3] = "Something else entirely different here now.".into();
        let raw = src.into_iter().map(|s| (String::new(), s)).collect();
        let kept = usable_sources(raw, &SynthConfig::default());
        assert_eq!(kept.len(), 2);
    }
}
