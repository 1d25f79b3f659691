//! The persistent index: query latency of one article, adding 1,000
//! articles (commit included), and opening, on two corpora:
//!
//! * `reuters`: the 21,578 Reuters-21578 wires (`../shared/data`), short
//!   (about 130 words);
//! * `synth640`: a synthetic syndication corpus of 640-word stories built
//!   from them with `neardup_synth` (2,000 stories, about 6,000 documents).
//!
//! Every answer is checked before timing against a brute-force pass over
//! the stored sets, and the index size per document is printed.
//! `cargo bench --bench index` (add `-- reuters` or `-- synth640` to run one).

use std::path::{Path, PathBuf};

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use neardup::index::{Index, IndexWriter};
use neardup::verify::similarity;
use neardup::{Config, Corpus, CorpusOptions};

#[path = "../tests/common/mod.rs"]
mod common;

fn reuters() -> PathBuf {
    common::reuters_dir()
}

fn sorted_files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("corpus directory")
        .map(|e| e.unwrap().path())
        .collect();
    v.sort();
    v
}

/// Builds an index of `files` in `dir`, in one commit.
fn build(dir: &Path, files: &[PathBuf]) -> Index {
    Index::create(dir, &Config::default()).unwrap();
    let mut w = IndexWriter::open(dir).unwrap();
    let corpus = Corpus::open(files, CorpusOptions::default()).unwrap();
    w.add_corpus(&corpus, |_| {});
    w.commit().unwrap();
    drop(w);
    Index::open(dir).unwrap()
}

fn dir_bytes(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().metadata().unwrap().len())
        .sum()
}

/// Every live document that `text` duplicates, by brute force over the
/// stored sets (the oracle of `Index::query`).
fn brute_force(index: &Index, text: &str) -> Vec<String> {
    let engine = neardup::Engine::new(index.config().clone());
    let bp = index.boilerplate();
    let keep = |s: &[u64]| -> Vec<u64> {
        s.iter()
            .copied()
            .filter(|h| bp.binary_search(h).is_err())
            .collect()
    };
    let q = keep(&engine.shingle_set(text));
    let mut out: Vec<String> = index
        .live_docs()
        .filter(|a| {
            let set = index.segments()[a.segment as usize].set(a.doc as usize);
            index.config().is_duplicate(&similarity(&q, &keep(&set)))
        })
        .map(|a| index.doc(a).entry.id)
        .collect();
    out.sort();
    out
}

fn bench_corpus(c: &mut Criterion, name: &str, files: Vec<PathBuf>) {
    let tmp = tempfile::tempdir().unwrap();
    let (base_files, new_files) = files.split_at(files.len() - 1000);
    let base = tmp.path().join("base");
    let t = std::time::Instant::now();
    let index = build(&base, base_files);
    let build_secs = t.elapsed().as_secs_f64();
    let bytes = dir_bytes(&base);
    eprintln!(
        "{name}: index of {} documents built in {build_secs:.1}s, {bytes} bytes on disk, {:.0} bytes/document",
        index.len(),
        bytes as f64 / index.len() as f64
    );

    // The query: an indexed article republished with an outlet's frame.
    let original = &base_files[base_files.len() / 2];
    let id = original.file_name().unwrap().to_string_lossy().into_owned();
    let text = std::fs::read_to_string(original).unwrap();
    let query = format!("Business Daily | Markets\n\n{text}\n\nCopyright 2025 Business Daily.");
    let found = index.query(&query).unwrap();
    assert_eq!(found[0].id, id, "the original comes first");
    let mut ids: Vec<String> = found.iter().map(|m| m.id.clone()).collect();
    ids.sort();
    assert_eq!(ids, brute_force(&index, &query), "query = brute force");

    let mut g = c.benchmark_group(format!("index/{name}"));
    g.sample_size(20);
    g.throughput(Throughput::Elements(1));
    g.bench_function(format!("query_one_article_{}_docs", index.len()), |b| {
        b.iter(|| index.query(&query).unwrap())
    });
    g.bench_function(format!("open_{}_docs", index.len()), |b| {
        b.iter(|| Index::open(&base).unwrap())
    });
    let unverified = neardup::index::OpenOptions {
        verify_checksums: false,
    };
    g.bench_function(format!("open_unverified_{}_docs", index.len()), |b| {
        b.iter(|| Index::open_with(&base, &unverified).unwrap())
    });

    // Adding 1,000 articles to a copy of the index, commit included. The
    // check: what the commit reports is what querying finds afterwards.
    let copy = |to: &Path| {
        std::fs::create_dir_all(to).unwrap();
        for e in std::fs::read_dir(&base).unwrap() {
            let e = e.unwrap();
            std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    };
    let add = |dir: &Path| {
        let mut w = IndexWriter::open(dir).unwrap();
        let corpus = Corpus::open(new_files, CorpusOptions::default()).unwrap();
        let r = w.add_corpus(&corpus, |_| {});
        assert_eq!(r.added, 1000);
        w.commit().unwrap()
    };
    {
        let d = tmp.path().join("check");
        copy(&d);
        let report = add(&d);
        let after = Index::open(&d).unwrap();
        let mut reported: Vec<(String, String)> = report
            .pairs
            .iter()
            .map(|p| (p.a.clone().min(p.b.clone()), p.a.clone().max(p.b.clone())))
            .collect();
        reported.sort();
        let mut queried = Vec::new();
        for f in new_files {
            let a = f.file_name().unwrap().to_string_lossy().into_owned();
            let t = std::fs::read_to_string(f).unwrap();
            for m in after.query(&t).unwrap() {
                if m.id != a && !(new_files.iter().any(|g| g.ends_with(&m.id)) && m.id < a) {
                    queried.push((a.clone().min(m.id.clone()), a.clone().max(m.id)));
                }
            }
        }
        queried.sort();
        queried.dedup();
        assert_eq!(reported, queried, "commit pairs = query pairs");
        eprintln!(
            "{name}: adding 1000 documents reported {} duplicate pairs",
            reported.len()
        );
        std::fs::remove_dir_all(&d).unwrap();
    }
    g.sample_size(10);
    g.throughput(Throughput::Elements(1000));
    let mut n = 0;
    g.bench_function(format!("add_1000_articles_to_{}_docs", index.len()), |b| {
        b.iter_batched(
            || {
                n += 1;
                let d = tmp.path().join(format!("run{n}"));
                copy(&d);
                d
            },
            |d| {
                add(&d);
                d
            },
            BatchSize::PerIteration,
        )
    });
    g.finish();
}

fn bench(c: &mut Criterion) {
    // `cargo bench --bench index -- reuters` builds only that corpus; any
    // other filter (or none) builds both and leaves the choice to criterion.
    let filter = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    let named = |n: &str| filter.as_deref().is_some_and(|f| f.contains(n));
    let any_named = named("reuters") || named("synth640");
    let wants = |n: &str| !any_named || named(n.trim_start_matches("index/"));
    if wants("index/reuters") {
        bench_corpus(c, "reuters", sorted_files(&reuters()));
    }
    if wants("index/synth640") {
        let tmp = tempfile::tempdir().unwrap();
        let cfg = neardup_synth::SynthConfig {
            stories: 2000,
            target_words: Some(640),
            ..Default::default()
        };
        neardup_synth::generate_to_dir(&reuters(), tmp.path(), &cfg).unwrap();
        bench_corpus(c, "synth640", sorted_files(&tmp.path().join("docs")));
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
