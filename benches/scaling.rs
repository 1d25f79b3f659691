//! How the scan grows with the corpus: the same generator at two sizes ten
//! times apart, scanned at the defaults and at the peers' settings.
//!
//! The generator's long stories (`target_words`) are sentences of the
//! sources taken in a shuffled order pass after pass, so the larger a
//! corpus, the more stories share a sentence or two with each other (see
//! `neardup_synth`): a tenth of the Reuters wires as sources makes the
//! corpus ten times the sources' length at the larger size, as the 1M
//! corpus of docs/BENCHMARKS.md is of all of them. Those shared sentences
//! are what makes LSH at the defaults' low threshold propose more pairs
//! per document as the corpus grows.
//!
//! Each size prints its candidate pairs per document (and the ratio of the
//! two), with the pairs per document whose sets the screens after LSH let
//! through to an exact comparison (for the copy groups, and against the cut
//! sets), so a change that makes candidates grow faster than the corpus
//! shows up there and in the time per document (criterion's throughput is
//! in documents).

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use neardup::{Config, Engine};

/// Sources: every tenth Reuters wire, copied into a temporary folder.
fn sources() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temporary folder");
    let mut names: Vec<_> = std::fs::read_dir(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/reuters21578/docs"),
    )
    .expect("../shared/data/reuters21578/docs")
    .map(|e| e.expect("entry").path())
    .collect();
    names.sort();
    for path in names.iter().step_by(10) {
        std::fs::copy(path, dir.path().join(path.file_name().expect("name"))).expect("copy");
    }
    dir
}

fn corpus(sources: &std::path::Path, stories: usize) -> Vec<(String, String)> {
    let cfg = neardup_synth::SynthConfig {
        stories,
        seed: 1,
        target_words: Some(640),
        ..Default::default()
    };
    let mut docs = Vec::new();
    neardup_synth::generate(sources, &cfg, |d| {
        docs.push((d.name.to_string(), d.text.to_string()));
        Ok(())
    })
    .expect("generate");
    docs
}

fn bench_scaling(c: &mut Criterion) {
    let dir = sources();
    let sizes = [corpus(dir.path(), 300), corpus(dir.path(), 3000)];
    let settings = [
        ("defaults", Config::default()),
        (
            "matched",
            Config::builder()
                .shingle(5)
                .perms(128)
                .bands(32)
                .threshold(0.5)
                .build()
                .expect("valid"),
        ),
    ];
    let mut g = c.benchmark_group("scaling");
    g.sample_size(10);
    for (name, cfg) in &settings {
        let engine = Engine::new(cfg.clone());
        let mut per_doc = Vec::new();
        for docs in &sizes {
            let scan = |docs: &[(String, String)]| {
                let mut scan = engine.scan();
                scan.add_texts(docs);
                scan.finish()
            };
            let stats = scan(docs).stats;
            let c = stats.candidate_pairs as f64 / stats.documents as f64;
            let per = |x: usize| x as f64 / stats.documents as f64;
            eprintln!(
                "scaling/{name}: {} documents, {} candidate pairs ({c:.2} per document), \
                 {} compared for copy groups ({:.2}), {} verified against the cut sets \
                 ({:.2}), {} accepted",
                stats.documents,
                stats.candidate_pairs,
                stats.copy_compared_pairs,
                per(stats.copy_compared_pairs),
                stats.compared_pairs,
                per(stats.compared_pairs),
                stats.verified_pairs
            );
            per_doc.push(c);
            g.throughput(Throughput::Elements(docs.len() as u64));
            g.bench_function(format!("{name}/{}", docs.len()), |b| {
                b.iter(|| scan(docs).stats.candidate_pairs)
            });
        }
        eprintln!(
            "scaling/{name}: candidate pairs per document grow {:.2}x for 10x the stories",
            per_doc[1] / per_doc[0]
        );
    }
    g.finish();
}

criterion_group!(benches, bench_scaling);
criterion_main!(benches);
