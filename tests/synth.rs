//! Tests of the synthetic corpus generator (`neardup-synth`, in `benches/synth`).

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::fs;
use std::path::{Path, PathBuf};

use neardup::tokenize::tokenize;
use neardup_synth::{generate, generate_to_dir, Error, NoiseConfig, SynthConfig, SynthSummary};
mod common;

fn reuters_docs() -> PathBuf {
    common::shared("data/reuters21578/docs")
}

/// A pseudo-word made of syllables, unique to (`source`, `index`).
fn word(source: usize, index: usize) -> String {
    const SYL: &[&str] = &[
        "ka", "lo", "mi", "ne", "ru", "sa", "to", "vi", "ze", "po", "qua", "bel", "dor", "fin",
        "gat", "hul",
    ];
    let mut n = source * 1000 + index + 1;
    let mut w = String::new();
    while n > 0 {
        w.push_str(SYL[n % SYL.len()]);
        n /= SYL.len();
    }
    w
}

/// Writes `n` invented wire stories under `root/docs` (plus `root/meta.tsv`
/// with two topics) and returns the docs folder. Story `i` only uses the
/// words `word(i, _)`, so every text can be traced back to its source.
fn write_sources(root: &Path, n: usize) -> PathBuf {
    let docs = root.join("docs");
    fs::create_dir_all(docs.join("not-a-source")).unwrap();
    let mut meta = String::from("doc\ttopics\n");
    for i in 0..n {
        let mut text = format!(
            "{} {} REPORT\n\n",
            word(i, 900).to_uppercase(),
            word(i, 901).to_uppercase()
        );
        text.push_str("NEWTOWN, March 3 - ");
        for p in 0..4 {
            if p > 0 {
                text.push_str("    ");
            }
            for s in 0..3 {
                let ws: Vec<String> = (0..9).map(|w| word(i, p * 100 + s * 10 + w)).collect();
                let mut sentence = ws.join(" ");
                sentence[..1].make_ascii_uppercase();
                text.push_str(&sentence);
                text.push_str(if s == 2 { ".\n" } else { ". " });
            }
        }
        text.push_str(" Reuter\n");
        let name = format!("src-{i:03}.txt");
        fs::write(docs.join(&name), text).unwrap();
        meta.push_str(&format!(
            "{name}\t{}\n",
            if i % 3 == 0 { "grain,wheat" } else { "ship" }
        ));
    }
    fs::write(root.join("meta.tsv"), meta).unwrap();
    docs
}

/// Source index whose words dominate `text`.
fn dominant_source(text: &str, vocab: &BTreeMap<String, usize>) -> Option<usize> {
    let mut counts: BTreeMap<usize, usize> = BTreeMap::new();
    for w in text.split(|c: char| !c.is_alphanumeric()) {
        if let Some(&s) = vocab.get(&w.to_ascii_lowercase()) {
            *counts.entry(s).or_default() += 1;
        }
    }
    counts
        .into_iter()
        .max_by_key(|&(s, c)| (c, std::cmp::Reverse(s)))
        .map(|(s, _)| s)
}

/// `(doc, cluster)` rows of a truth file, checking its header.
fn read_truth(out: &Path) -> Vec<(String, String)> {
    let text = fs::read_to_string(out.join("truth.tsv")).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("doc\tcluster"));
    lines
        .map(|l| {
            let (d, c) = l.split_once('\t').expect("two columns");
            (d.to_string(), c.to_string())
        })
        .collect()
}

/// Checks that the folder, the truth and the summary agree; returns the
/// documents by name.
fn check_consistent(out: &Path, summary: &SynthSummary) -> BTreeMap<String, (String, String)> {
    let truth = read_truth(out);
    assert!(!out.join("truth.tsv.tmp").exists());
    let files: BTreeSet<String> = fs::read_dir(out.join("docs"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(truth.len(), summary.documents);
    assert_eq!(files.len(), summary.documents);
    let clusters: BTreeSet<&str> = truth.iter().map(|(_, c)| c.as_str()).collect();
    assert_eq!(clusters.len(), summary.clusters);
    let mut docs = BTreeMap::new();
    let mut bytes = 0u64;
    for (doc, cluster) in &truth {
        assert!(files.contains(doc), "{doc} in truth but not on disk");
        assert_eq!(&doc[..7], cluster, "file name and cluster disagree");
        let text = fs::read_to_string(out.join("docs").join(doc)).unwrap();
        bytes += text.len() as u64;
        let old = docs.insert(doc.clone(), (cluster.clone(), text));
        assert!(old.is_none(), "{doc} listed twice");
    }
    assert_eq!(bytes, summary.bytes);
    docs
}

fn shingles(text: &str) -> HashSet<Vec<u64>> {
    let hashes: Vec<u64> = tokenize(text).iter().map(|t| t.hash).collect();
    hashes.windows(5).map(<[u64]>::to_vec).collect()
}

fn jaccard(a: &HashSet<Vec<u64>>, b: &HashSet<Vec<u64>>) -> f64 {
    let inter = a.intersection(b).count();
    inter as f64 / (a.len() + b.len() - inter).max(1) as f64
}

fn all_files(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    for e in walkdir::WalkDir::new(dir) {
        let e = e.unwrap();
        if e.file_type().is_file() {
            let rel = e.path().strip_prefix(dir).unwrap().to_path_buf();
            out.insert(rel, fs::read(e.path()).unwrap());
        }
    }
    out
}

#[test]
fn tiny_sources_counts_truth_and_derivation() {
    let tmp = tempfile::tempdir().unwrap();
    let sources = write_sources(&tmp.path().join("set"), 40);
    let out = tmp.path().join("out");
    let cfg = SynthConfig {
        stories: 14,
        max_copies: 6,
        distractor_share: 0.5,
        noise: NoiseConfig {
            truncate: 0.4,
            junk: 0.4,
            update_line: 0.4,
            write_through: 0.3,
            ..NoiseConfig::default()
        },
        ..SynthConfig::default()
    };
    let summary = generate_to_dir(&sources, &out, &cfg).unwrap();
    let docs = check_consistent(&out, &summary);
    assert!(
        summary.clusters > cfg.stories,
        "some distractors: {summary:?}"
    );
    let copies: BTreeSet<&str> = docs
        .values()
        .map(|(c, _)| c.as_str())
        .filter(|c| c.starts_with('s'))
        .collect();
    assert_eq!(copies.len(), cfg.stories);

    // Every document traces back to one source, and one source to one cluster.
    let mut vocab = BTreeMap::new();
    for s in 0..40 {
        for i in 0..1000 {
            vocab.insert(word(s, i), s);
        }
    }
    let mut cluster_source: BTreeMap<&str, usize> = BTreeMap::new();
    let mut source_cluster: BTreeMap<usize, &str> = BTreeMap::new();
    for (doc, (cluster, text)) in &docs {
        let src = dominant_source(text, &vocab).expect("story words");
        assert_eq!(*cluster_source.entry(cluster).or_insert(src), src, "{doc}");
        assert_eq!(
            *source_cluster.entry(src).or_insert(cluster),
            cluster,
            "{doc}"
        );
    }

    // Distractors come from the story's topic (two topics, picked from the
    // unused sources of the same topic first).
    for (doc, (cluster, text)) in &docs {
        if let Some(n) = cluster.strip_prefix('d') {
            let story = docs
                .iter()
                .find(|(_, (c, _))| c.strip_prefix('s') == Some(n))
                .map(|(_, (_, t))| t)
                .expect("story of the distractor");
            let (a, b) = (
                dominant_source(text, &vocab).unwrap(),
                dominant_source(story, &vocab).unwrap(),
            );
            assert_eq!(a % 3 == 0, b % 3 == 0, "{doc}: distractor of another topic");
        }
    }
}

#[test]
fn same_seed_same_bytes_other_seed_other_bytes() {
    let tmp = tempfile::tempdir().unwrap();
    let sources = write_sources(&tmp.path().join("set"), 30);
    let cfg = SynthConfig {
        stories: 10,
        ..SynthConfig::default()
    };
    generate_to_dir(&sources, &tmp.path().join("a"), &cfg).unwrap();
    generate_to_dir(&sources, &tmp.path().join("b"), &cfg).unwrap();
    let other = SynthConfig {
        seed: cfg.seed + 1,
        ..cfg.clone()
    };
    generate_to_dir(&sources, &tmp.path().join("c"), &other).unwrap();
    let a = all_files(&tmp.path().join("a"));
    assert!(a.len() > 10);
    assert_eq!(a, all_files(&tmp.path().join("b")));
    assert_ne!(a, all_files(&tmp.path().join("c")));
}

#[test]
fn sink_sees_what_the_folder_gets() {
    let tmp = tempfile::tempdir().unwrap();
    let sources = write_sources(&tmp.path().join("set"), 25);
    let cfg = SynthConfig {
        stories: 8,
        ..SynthConfig::default()
    };
    let mut seen = Vec::new();
    let s1 = generate(&sources, &cfg, |d| {
        seen.push((
            d.name.to_string(),
            d.cluster.to_string(),
            d.text.to_string(),
        ));
        Ok(())
    })
    .unwrap();
    let out = tmp.path().join("out");
    let s2 = generate_to_dir(&sources, &out, &cfg).unwrap();
    assert_eq!(s1, s2);
    let docs = check_consistent(&out, &s2);
    let truth = read_truth(&out);
    for ((name, cluster, text), (tname, tcluster)) in seen.iter().zip(&truth) {
        assert_eq!((name, cluster), (tname, tcluster));
        assert_eq!(&docs[name].1, text);
    }

    // A failing sink stops the run with its error.
    let mut n = 0;
    let err = generate(&sources, &cfg, |_| {
        n += 1;
        if n == 3 {
            Err(Error::Config("stop".into()))
        } else {
            Ok(())
        }
    })
    .unwrap_err();
    assert!(matches!(err, Error::Config(ref m) if m == "stop"));
    assert_eq!(n, 3);
}

#[test]
fn no_noise_copies_are_identical() {
    let tmp = tempfile::tempdir().unwrap();
    let sources = write_sources(&tmp.path().join("set"), 12);
    let cfg = SynthConfig {
        stories: 4,
        min_copies: 2,
        max_copies: 2,
        distractor_share: 0.0,
        noise: NoiseConfig::none(),
        ..SynthConfig::default()
    };
    let out = tmp.path().join("out");
    let summary = generate_to_dir(&sources, &out, &cfg).unwrap();
    assert_eq!((summary.documents, summary.clusters), (8, 4));
    let docs = check_consistent(&out, &summary);
    let mut by_cluster: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (cluster, text) in docs.values() {
        by_cluster.entry(cluster).or_default().push(text);
    }
    for texts in by_cluster.values() {
        assert_eq!(texts[0], texts[1]);
    }
}

#[test]
fn errors_are_typed() {
    let tmp = tempfile::tempdir().unwrap();
    let sources = write_sources(&tmp.path().join("set"), 10);

    let missing = tmp.path().join("nope");
    let err =
        generate_to_dir(&missing, &tmp.path().join("o1"), &SynthConfig::default()).unwrap_err();
    assert!(
        matches!(err, Error::Input { ref path, .. } if path == &missing),
        "{err}"
    );

    let too_many = SynthConfig {
        stories: 11,
        ..SynthConfig::default()
    };
    let err = generate_to_dir(&sources, &tmp.path().join("o2"), &too_many).unwrap_err();
    assert!(matches!(err, Error::Config(_)), "{err}");

    let bad = SynthConfig {
        max_copies: 0,
        ..SynthConfig::default()
    };
    assert!(matches!(
        generate_to_dir(&sources, &tmp.path().join("o3"), &bad),
        Err(Error::Config(_))
    ));

    // Too few words everywhere: nothing usable.
    let strict = SynthConfig {
        stories: 1,
        min_source_words: 10_000,
        ..SynthConfig::default()
    };
    assert!(matches!(
        generate_to_dir(&sources, &tmp.path().join("o4"), &strict),
        Err(Error::Config(_))
    ));

    // A non-empty output folder is refused, and left alone.
    let out = tmp.path().join("o5");
    fs::create_dir_all(out.join("docs")).unwrap();
    fs::write(out.join("docs/keep.txt"), "mine").unwrap();
    let ok = SynthConfig {
        stories: 2,
        ..SynthConfig::default()
    };
    let err = generate_to_dir(&sources, &out, &ok).unwrap_err();
    assert!(matches!(err, Error::Config(_)), "{err}");
    assert_eq!(
        fs::read_to_string(out.join("docs/keep.txt")).unwrap(),
        "mine"
    );
    assert!(!out.join("truth.tsv").exists());
}

#[test]
fn reuters_stories_are_recoverable() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let cfg = SynthConfig {
        stories: 30,
        seed: 11,
        ..SynthConfig::default()
    };
    let summary = generate_to_dir(&reuters_docs(), &out, &cfg).unwrap();
    let docs = check_consistent(&out, &summary);
    let sh: BTreeMap<&String, HashSet<Vec<u64>>> =
        docs.iter().map(|(d, (_, t))| (d, shingles(t))).collect();

    // Shingles of more than one cluster are outlet boilerplate or junk.
    let mut owners: std::collections::HashMap<&Vec<u64>, BTreeSet<&str>> = Default::default();
    for (d, s) in &sh {
        for x in s {
            owners.entry(x).or_default().insert(docs[*d].0.as_str());
        }
    }
    let names: Vec<&String> = docs.keys().collect();
    for (i, a) in names.iter().enumerate() {
        for b in &names[i + 1..] {
            let (ca, cb) = (&docs[*a].0, &docs[*b].0);
            if ca == cb {
                // Copies of one story share story text of their own.
                let own = sh[a]
                    .intersection(&sh[b])
                    .filter(|x| owners[x].len() == 1)
                    .count();
                assert!(own >= 5, "{a} and {b} share only {own} story shingles");
            } else {
                let j = jaccard(&sh[a], &sh[b]);
                assert!(
                    j < 0.5,
                    "{a} and {b} are different stories but Jaccard {j:.2}"
                );
            }
        }
    }
}

#[test]
fn reuters_long_mixed_stories() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let cfg = SynthConfig {
        stories: 40,
        target_words: Some(300),
        ..SynthConfig::default()
    };
    let summary = generate_to_dir(&reuters_docs(), &out, &cfg).unwrap();
    let docs = check_consistent(&out, &summary);
    let mut by_cluster: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (cluster, text) in docs.values() {
        by_cluster.entry(cluster).or_default().push(text);
    }
    let sh: Vec<(&str, HashSet<Vec<u64>>)> = docs
        .values()
        .map(|(c, t)| (c.as_str(), shingles(t)))
        .collect();
    for (i, (ca, a)) in sh.iter().enumerate() {
        // Untruncated copies are about the target length or more.
        for (cb, b) in &sh[i + 1..] {
            let j = jaccard(a, b);
            if ca == cb {
                assert!(j > 0.1, "copies of {ca} too far apart: {j:.2}");
            } else {
                assert!(j < 0.2, "{ca} and {cb} too close: {j:.2}");
            }
        }
    }
    let longest = docs
        .values()
        .map(|(_, t)| t.split_whitespace().count())
        .max()
        .unwrap();
    assert!(longest >= 300, "longest document has {longest} words");
}

#[test]
fn sample_corpus_truth_matches_its_files() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
    let truth = read_truth(&root);
    let files: BTreeSet<String> = fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".txt"))
        .collect();
    let listed: BTreeSet<String> = truth.iter().map(|(d, _)| d.clone()).collect();
    assert_eq!(listed.len(), truth.len(), "a document is listed twice");
    assert_eq!(listed, files);
    let clusters: BTreeSet<&str> = truth.iter().map(|(_, c)| c.as_str()).collect();
    assert_eq!((truth.len(), clusters.len()), (41, 20));
    for doc in &files {
        let text = fs::read_to_string(root.join(doc)).unwrap();
        assert!(!text.contains('\r'), "{doc}: CRLF");
        assert!(text.ends_with('\n'), "{doc}: no final newline");
    }
}
