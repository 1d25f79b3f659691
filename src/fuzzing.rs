//! Fuzz target bodies, shared by the cargo-fuzz targets in `fuzz/` and by
//! `tests/fuzz_replay.rs`, which replays the checked-in seeds and crash
//! regressions as ordinary tests. Each body checks the invariants of its
//! stage and panics when one breaks, so a fuzzer reports it.

use std::io::Cursor;
use std::path::Path;

use crate::corpus::{decode, read_jsonl_from, CorpusOptions, Event};
use crate::explain::{explain, AlignConfig};
use crate::tokenize::tokenize;
use unicode_segmentation::UnicodeSegmentation;

/// Tokenizes arbitrary bytes (decoded as the corpus reader does) and checks
/// that tokens are non-empty, in order, on character boundaries, and that
/// their hash is that of the folded word.
pub fn tokenize_bytes(data: &[u8]) {
    let (text, _) = decode(data);
    assert_eq!(text.len(), data.len(), "decoding keeps offsets");
    let tokens = tokenize(&text);
    let mut last = 0;
    for t in &tokens {
        assert!(t.start < t.end && t.end <= text.len());
        assert!(t.start >= last, "tokens in order");
        assert!(text.is_char_boundary(t.start) && text.is_char_boundary(t.end));
        // A word is hashed as its folded, normalized form; `per cent` is
        // the one token that spans two words.
        let word = &text[t.range()];
        if word.unicode_word_indices().count() == 1 {
            assert_eq!(t.hash, crate::tokenize::hash_word(word));
        } else {
            assert_eq!(t.hash, crate::tokenize::hash_word("pct"), "{word:?}");
        }
        last = t.end;
    }
}

/// Splits the input at its first `0xFF` byte into two documents, explains
/// them, and checks that passages and unique spans are valid, ordered,
/// disjoint ranges of each text.
pub fn explain_bytes(data: &[u8]) {
    let cut = data
        .iter()
        .position(|&b| b == 0xFF)
        .unwrap_or(data.len() / 2);
    let (a, b) = (
        decode(&data[..cut]).0,
        decode(&data[(cut + 1).min(data.len())..]).0,
    );
    for cfg in [
        AlignConfig::default(),
        AlignConfig {
            min_match: 1,
            max_gap: 0,
            shingle: 1,
        },
    ] {
        let e = explain(&a, &b, &cfg);
        for (x, y) in [
            (0.0, e.jaccard),
            (0.0, e.containment),
            (0.0, e.coverage_a),
            (0.0, e.coverage_b),
        ] {
            assert!((x..=1.0).contains(&y), "score in [0, 1]: {y}");
        }
        let mut spans_a: Vec<(usize, usize)> =
            e.passages.iter().map(|p| (p.a_start, p.a_end)).collect();
        spans_a.extend(e.only_a.iter().map(|s| (s.start, s.end)));
        let mut spans_b: Vec<(usize, usize)> =
            e.passages.iter().map(|p| (p.b_start, p.b_end)).collect();
        spans_b.extend(e.only_b.iter().map(|s| (s.start, s.end)));
        for (text, spans) in [(&a, &mut spans_a), (&b, &mut spans_b)] {
            spans.sort_unstable();
            for w in spans.windows(2) {
                assert!(w[0].1 <= w[1].0, "disjoint ranges {w:?}");
            }
            for &(s, t) in spans.iter() {
                assert!(s < t && t <= text.len());
                assert!(text.is_char_boundary(s) && text.is_char_boundary(t));
            }
        }
        // Edits: inside their passage on both sides, in order, on char
        // boundaries, each with a word on one side at least.
        for p in &e.passages {
            let (mut at_a, mut at_b) = (p.a_start, p.b_start);
            for d in &p.edits {
                assert!(at_a <= d.a_start && d.a_start <= d.a_end && d.a_end <= p.a_end);
                assert!(at_b <= d.b_start && d.b_start <= d.b_end && d.b_end <= p.b_end);
                assert!(d.a_end > d.a_start || d.b_end > d.b_start, "an empty edit");
                for (text, x) in [(&a, d.a_start), (&a, d.a_end), (&b, d.b_start), (&b, d.b_end)] {
                    assert!(text.is_char_boundary(x));
                }
                (at_a, at_b) = (d.a_end, d.b_end);
            }
        }
        // Every rendering takes it.
        let (da, db) = (
            crate::report::ReportDoc { id: "a", text: &a },
            crate::report::ReportDoc { id: "b", text: &b },
        );
        let mut sink = Vec::new();
        crate::report::write_explain_text(&mut sink, da, db, &e, true).expect("to memory");
        crate::report::write_html_pair(&mut sink, da, db, &e).expect("to memory");
        let _ = crate::report::explain_json(da, db, &e);
    }
}

/// Reads arbitrary bytes as a JSON Lines file (with a small size limit) and
/// checks that every line is either a document or a reported skip.
pub fn jsonl_bytes(data: &[u8]) {
    let opts = CorpusOptions {
        max_doc_bytes: 4096,
        ..CorpusOptions::default()
    };
    let lines = data
        .split(|&b| b == b'\n')
        .filter(|l| !l.trim_ascii().is_empty())
        .count();
    let mut docs = 0usize;
    let mut skips = 0usize;
    read_jsonl_from(
        Cursor::new(data),
        Path::new("fuzz.jsonl"),
        &opts,
        &|d| {
            assert!(d.text.len() <= 4096 * 6, "bounded document");
            d.id.len()
        },
        &mut |e| match e {
            Event::Doc(_) => docs += 1,
            Event::Skip(s) => {
                assert!(s.location.starts_with("fuzz.jsonl:"));
                skips += 1
            }
            Event::Warning(_) => {}
        },
        &mut |_| {},
    );
    assert_eq!(
        docs + skips,
        lines,
        "every non-blank line is a document or a skip"
    );
}

/// Reads arbitrary bytes as an index segment file. Opening must either fail
/// with an error or give a segment whose every accessor works. The bytes
/// are tried with checksum verification, without it (structure only), and
/// with their footer checksum recomputed, so that the structural checks
/// behind the checksum are reached too.
pub fn index_bytes(data: &[u8]) {
    use crate::index::Segment;
    let probes: Vec<u64> = data
        .chunks_exact(8)
        .take(4)
        .map(|c| u64::from_le_bytes(c.try_into().expect("8 bytes")))
        .chain([0, u64::MAX])
        .collect();
    let exercise = |s: &Segment| {
        let mut total = 0u64;
        for i in 0..s.len() {
            let set = s.set(i);
            total += set.len() as u64;
            let d = s.doc(i);
            assert_eq!(d.shingles, set.len() as u64);
            let _ = s.find(&s.id(i));
            let _ = d.entry.source.to_string();
            if let Some(f) = s.figures(i) {
                assert!(f.windows(2).all(|w| w[0] < w[1]), "figures sorted");
            }
        }
        assert_eq!(total, s.shingles());
        let mut out = Vec::new();
        for band in 0..s.banding().bands.min(16) {
            for &h in &probes {
                if s.lookup(band, h, &mut out).is_ok() {
                    assert!(out.iter().all(|&d| (d as usize) < s.len()));
                }
                out.clear();
            }
        }
    };
    let checked = Segment::from_bytes(data);
    let unchecked = Segment::from_bytes_unverified(data);
    if let Ok(s) = &checked {
        exercise(s);
        assert!(
            unchecked.is_ok(),
            "a verified segment is structurally valid"
        );
    }
    if let Ok(s) = &unchecked {
        exercise(s);
    }
    if data.len() >= 48 {
        let mut fixed = data.to_vec();
        let n = fixed.len();
        let sum = xxhash_rust::xxh3::xxh3_64(&fixed[..n - 16]);
        fixed[n - 16..n - 8].copy_from_slice(&sum.to_le_bytes());
        if let Ok(s) = Segment::from_bytes(&fixed) {
            exercise(&s);
        }
    }
}
