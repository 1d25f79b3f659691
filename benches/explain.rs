//! Criterion benchmarks of the passage aligner (`neardup::explain`) on real
//! articles from `shared/examples/aggregator-split`, and of the HTML report
//! of the Helsinki scan (`../shared/data/helsinki-news-2018`).
//!
//! Every benchmark first checks the answer it is about to time, so a fast
//! wrong result fails instead of looking good.
//!
//! ```text
//! cargo bench --bench explain
//! ```

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use neardup::explain::{explain, explain_tokens, AlignConfig, Explanation};
use neardup::tokenize::tokenize;

#[path = "../tests/common/mod.rs"]
mod common;

fn read(name: &str) -> String {
    let path = common::shared("examples/aggregator-split").join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The expected alignment of 04 (Business Standard) against 05 (Yahoo): the
/// Bloomberg body in three passages, cut by the headlines glued into B and
/// by the share-price paragraph only A has.
fn check_04_05(e: &Explanation) {
    let words: Vec<usize> = e.passages.iter().map(|p| p.words).collect();
    assert_eq!(words, [34, 290, 357], "passages: {:?}", e.passages);
    assert_eq!((e.only_a.len(), e.only_b.len()), (3, 3));
    assert!(
        (e.coverage_a - 681.0 / 776.0).abs() < 1e-12,
        "{}",
        e.coverage_a
    );
    assert!(
        (e.coverage_b - 679.0 / 828.0).abs() < 1e-12,
        "{}",
        e.coverage_b
    );
    // The scan's score of the pair (word 4-shingles).
    assert!((e.jaccard - 0.7366).abs() < 0.0001, "{}", e.jaccard);
    // "34 per cent" / "34%": one edit of two words inside the last passage.
    let edits: Vec<usize> = e.passages.iter().map(|p| p.edits.len()).collect();
    assert_eq!((edits, e.edited_words), (vec![0, 0, 1], 2));
}

fn bench_explain(c: &mut Criterion) {
    let cfg = AlignConfig::default();
    let mut group = c.benchmark_group("explain");

    // A syndicated pair: the realistic case.
    let a = read("04-business-standard-byd-price-war.txt");
    let b = read("05-yahoo-byd-price-war.txt");
    let (ta, tb) = (tokenize(&a), tokenize(&b));
    check_04_05(&explain(&a, &b, &cfg));
    check_04_05(&explain_tokens(&ta, &tb, &cfg));
    group.throughput(Throughput::Bytes((a.len() + b.len()) as u64));
    group.bench_function("04-vs-05/text", |bench| {
        bench.iter(|| explain(black_box(&a), black_box(&b), &cfg))
    });
    group.bench_function("04-vs-05/tokens", |bench| {
        bench.iter(|| explain_tokens(black_box(&ta), black_box(&tb), &cfg))
    });

    // A pair with many edits inside one long passage (UK and US
    // spellings, "70 per cent" / "70%", a dropped phrase).
    let c = read("02-business-times-car-subsidy.txt");
    let d = read("03-mint-car-subsidy.txt");
    let e = explain(&c, &d, &cfg);
    assert_eq!((e.edits(), e.edited_words), (10, 16), "{:?}", e.passages);
    group.throughput(Throughput::Bytes((c.len() + d.len()) as u64));
    group.bench_function("02-vs-03/text", |bench| {
        bench.iter(|| explain(black_box(&c), black_box(&d), &cfg))
    });

    // Two unrelated articles: seed join only, almost nothing shared.
    let u = read("01-asia-times-little-giants.txt");
    let e = explain(&u, &a, &cfg);
    assert_eq!(e.passages.len(), 1, "one chance match: {:?}", e.passages);
    assert!(e.coverage_a < 0.01);
    group.throughput(Throughput::Bytes((u.len() + a.len()) as u64));
    group.bench_function("01-vs-04/text", |bench| {
        bench.iter(|| explain(black_box(&u), black_box(&a), &cfg))
    });

    // An article against itself: one passage of every word.
    let e = explain(&u, &u, &cfg);
    assert_eq!(e.passages.len(), 1);
    assert_eq!((e.coverage_a, e.coverage_b, e.jaccard), (1.0, 1.0, 1.0));
    group.throughput(Throughput::Bytes(2 * u.len() as u64));
    group.bench_function("01-vs-01/text", |bench| {
        bench.iter(|| explain(black_box(&u), black_box(&u), &cfg))
    });

    group.finish();
}

/// The HTML report of the Helsinki scan (85 clusters, 334 pages, 856
/// pairs), texts in memory: every member aligned with its representative
/// and every other pair aligned for its view on demand.
fn bench_report(c: &mut Criterion) {
    let dir = common::shared("data/helsinki-news-2018/docs");
    let corpus = neardup::Corpus::open(dir.as_path(), neardup::CorpusOptions::default())
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    let result = neardup::Engine::default().scan_corpus(&corpus);
    let texts: Vec<Option<String>> = (0..result.docs.len())
        .map(|d| result.text(d).ok())
        .collect();
    let load = |d: usize| texts[d].clone();
    let opts = neardup::report::ReportOptions::default();
    let render = || {
        let mut out = Vec::new();
        neardup::report::write_html_report_with(&mut out, &result, &load, &opts).unwrap();
        out
    };
    let page = String::from_utf8(render()).unwrap();
    assert!(page.len() <= 2_500_000, "{} bytes", page.len());
    assert_eq!(
        page.matches("<section class=\"cluster\"").count(),
        result.clusters.len()
    );
    let mut group = c.benchmark_group("report");
    group.sample_size(10);
    group.throughput(Throughput::Bytes(page.len() as u64));
    group.bench_function("helsinki", |bench| bench.iter(render));
    group.finish();
}

criterion_group!(benches, bench_explain, bench_report);
criterion_main!(benches);
