//! Whole-scan benchmark on real newswire text (Reuters-21578 from
//! `../shared/data`), in memory and from the directory. The answer is
//! checked before timing: the clusters must match a brute-force all-pairs
//! run of the same verification rule. A scan's JSON Lines output is timed
//! too, both ways it can be written (checked to be the same bytes).

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use neardup::verify::similarity;
use neardup::{Config, Corpus, CorpusOptions, Engine};

#[path = "../tests/common/mod.rs"]
mod common;
use common::{reuters_dir, wires};

fn run(engine: &Engine, docs: &[(String, String)]) -> neardup::ScanResult {
    let mut scan = engine.scan();
    for (id, t) in docs {
        scan.add_text(id, t);
    }
    scan.finish()
}

fn check(engine: &Engine, docs: &[(String, String)]) {
    // Brute force: every pair verified exactly, then connected components.
    let cfg = engine.config();
    let sets: Vec<Vec<u64>> = docs.iter().map(|(_, t)| engine.shingle_set(t)).collect();
    let mut dup_pairs = 0usize;
    for i in 0..sets.len() {
        for j in i + 1..sets.len() {
            if cfg.is_duplicate(&similarity(&sets[i], &sets[j])) {
                dup_pairs += 1;
            }
        }
    }
    let r = run(engine, docs);
    let found: usize = r.clusters.iter().map(|c| c.pairs.len()).sum();
    // LSH may miss a few low-similarity pairs; it must find nearly all.
    assert!(dup_pairs > 0);
    assert!(
        found as f64 >= 0.95 * dup_pairs as f64 && found <= dup_pairs,
        "scan found {found} duplicate pairs, brute force {dup_pairs}"
    );
}

fn bench(c: &mut Criterion) {
    let docs = wires(2000);
    let bytes: usize = docs.iter().map(|(_, t)| t.len()).sum();
    let engine = Engine::new(Config::default());
    check(&engine, &docs);

    let mut g = c.benchmark_group("scan");
    g.sample_size(10);
    g.throughput(Throughput::Bytes(bytes as u64));
    g.bench_function("reuters_2000_in_memory", |b| b.iter(|| run(&engine, &docs)));

    let dir = reuters_dir();
    let corpus = Corpus::open(&[&dir], CorpusOptions::default()).unwrap();
    g.throughput(Throughput::Bytes(corpus.total_bytes()));
    g.bench_function("reuters_21578_from_files", |b| {
        b.iter(|| {
            let r = engine.scan_corpus(&corpus);
            assert!(r.stats.documents > 21_000);
            r
        })
    });
    g.finish();

    // The JSON Lines output of a scan of syndicated copies (3,000
    // generated stories, about 10,000 documents, most in clusters): lines
    // put together from ids escaped once, and through serde_json (the path
    // taken when pairs carry extra fields), which must give the same bytes.
    let cfg = neardup_synth::SynthConfig {
        stories: 3000,
        target_words: Some(640),
        ..Default::default()
    };
    let mut synth = engine.scan();
    neardup_synth::generate(&dir, &cfg, |d| {
        synth.add_text(d.name, d.text);
        Ok(())
    })
    .unwrap();
    let result = synth.finish();
    assert!(
        result.clusters.len() > 1000,
        "{} clusters",
        result.clusters.len()
    );
    let write = |extra: Option<&neardup::output::PairExtra<'_>>| {
        let mut out = Vec::new();
        neardup::output::write_jsonl(&result, &mut out, false, extra).unwrap();
        out
    };
    let none: &neardup::output::PairExtra<'_> = &|_| None;
    let lines = write(None);
    assert_eq!(lines, write(Some(none)));
    let mut g = c.benchmark_group("output");
    g.sample_size(20);
    g.throughput(Throughput::Bytes(lines.len() as u64));
    g.bench_function("jsonl_synth_3000", |b| b.iter(|| write(None).len()));
    g.bench_function("jsonl_synth_3000_serde", |b| {
        b.iter(|| write(Some(none)).len())
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
