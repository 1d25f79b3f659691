//! Criterion benchmarks of the passage aligner (`neardup::explain`) on real
//! articles from `shared/examples/aggregator-split`.
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

fn read(name: &str) -> String {
    let path = format!(
        "{}/../shared/examples/aggregator-split/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
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
    assert!((e.jaccard - 0.728).abs() < 0.001, "{}", e.jaccard);
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

criterion_group!(benches, bench_explain);
criterion_main!(benches);
