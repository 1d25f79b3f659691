//! Per-stage benchmarks on real newswire text, each with `Throughput::Bytes`
//! of the text it stands for, and each checking its answer first.

use criterion::measurement::WallTime;
use criterion::{
    criterion_group, criterion_main, BenchmarkGroup, BenchmarkId, Criterion, Throughput,
};
use neardup::boilerplate::{frequent_keys_in, KeySet};
use neardup::figures::{figures_into, figures_of};
use neardup::lsh::candidate_pairs;
use neardup::minhash::{estimate_jaccard, MinHasher, Scheme};
use neardup::shingle::{key, shingles_into, sort_keys, sorted_unique};
use neardup::tokenize::{tokenize, tokenize_into, word_hashes_into};
use neardup::verify::{intersection_at_least, intersection_size, similarity};
use neardup::Config;

#[path = "../tests/common/mod.rs"]
mod common;

fn set_of(text: &str, k: usize) -> Vec<u64> {
    let mut s = Vec::new();
    shingles_into(&tokenize(text), k, &mut s);
    s.sort_unstable();
    s.dedup();
    s
}

/// Signing `sets` with both schemes at 128 slots; criterion's elements are
/// shingles. Each scheme's estimate is checked first.
/// Benchmarks `run` over every input in turn, one output vector reused
/// (as a scan reuses its per-thread buffers); the outputs' total length is
/// the result, so no run can be optimized away.
fn bench_each<I, T>(
    g: &mut BenchmarkGroup<'_, WallTime>,
    name: &str,
    inputs: &[I],
    run: impl Fn(&I, &mut Vec<T>),
) {
    g.bench_function(name, |b| {
        let mut out = Vec::new();
        b.iter(|| {
            inputs
                .iter()
                .map(|i| {
                    run(i, &mut out);
                    out.len()
                })
                .sum::<usize>()
        })
    });
}

fn bench_signing(c: &mut Criterion, group: &str, sets: &[Vec<u64>], shingles: u64) {
    let mut g = c.benchmark_group(group);
    g.sample_size(10);
    g.throughput(Throughput::Elements(shingles));
    for scheme in [Scheme::Classic, Scheme::OnePermutation] {
        let h = MinHasher::with_scheme(scheme, 128, 1);
        let est = estimate_jaccard(&h.signature(&sets[0]), &h.signature(&sets[0][1..]));
        assert!(est > 0.9, "{scheme:?} {est}");
        g.bench_function(scheme.as_str(), |b| {
            let mut sig = vec![0u32; 128];
            b.iter(|| {
                for s in sets {
                    h.signature_into(s, &mut sig);
                }
                sig[0]
            })
        });
    }
    g.finish();
}

fn bench(c: &mut Criterion) {
    let texts: Vec<String> = common::wires(3000).into_iter().map(|(_, t)| t).collect();
    let bytes: u64 = texts.iter().map(|t| t.len() as u64).sum();
    let cfg = Config::default();
    let k = cfg.shingle();

    // Answers checked before timing.
    let first = &texts[0];
    let words = tokenize(first);
    assert!(words.len() > 100);
    assert_eq!(&first[words[0].range()], "BAHIA");

    let mut g = c.benchmark_group("stages");
    g.sample_size(10);
    g.throughput(Throughput::Bytes(bytes));

    bench_each(&mut g, "tokenize", &texts, |t, out| tokenize_into(t, out));

    // What a scan runs: the hashes alone, checked against the tokens'.
    let mut hashes = Vec::new();
    word_hashes_into(first, &mut hashes);
    assert_eq!(hashes, words.iter().map(|t| t.hash).collect::<Vec<_>>());
    bench_each(&mut g, "word_hashes", &texts, |t, out| {
        word_hashes_into(t, out)
    });

    // The figures rule's extraction (one pass per document as it is read),
    // beside the tokenizer's pass: checked on a sentence first.
    assert_eq!(
        figures_of("rose 3.456 billion dlrs to 12.84 dlrs in all").len(),
        4
    );
    bench_each(&mut g, "figures", &texts, |t, out| figures_into(t, out));

    let token_lists: Vec<_> = texts.iter().map(|t| tokenize(t)).collect();
    bench_each(&mut g, "shingle_hash", &token_lists, |t, out| {
        shingles_into(t, k, out)
    });

    let sets: Vec<Vec<u64>> = texts.iter().map(|t| set_of(t, k)).collect();
    for perms in [64usize, 128, 256] {
        let h = MinHasher::new(perms, 1);
        // Identical sets give identical signatures; the estimate is sane.
        assert_eq!(h.signature(&sets[0]), h.signature(&sets[0]));
        g.bench_with_input(BenchmarkId::new("minhash", perms), &perms, |b, _| {
            let mut sig = vec![0u32; perms];
            b.iter(|| {
                for s in &sets {
                    h.signature_into(s, &mut sig);
                }
                sig[0]
            })
        });
    }

    g.finish();

    // Signing per shingle (criterion's elements are shingles): classic
    // MinHash against one-permutation hashing, same sets.
    let shingles: u64 = sets.iter().map(|s| s.len() as u64).sum();
    bench_signing(c, "signing", &sets, shingles);

    // The same on 2,000 documents of 640 distinct random shingle hashes
    // (a 640-word article), the input of benches/peers/sign.py for rensa.
    let mut state = 1u64;
    let long: Vec<Vec<u64>> = (0..2000)
        .map(|_| {
            let mut v: Vec<u64> = (0..640)
                .map(|_| {
                    state = state
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    state
                })
                .collect();
            v.sort_unstable();
            v
        })
        .collect();
    bench_signing(c, "signing_640", &long, 2000 * 640);

    // Sorting a document's shingle keys (in text order, as the scan does):
    // the bucket pass against `sort_unstable`. Elements are keys.
    let key_lists: Vec<Vec<u32>> = token_lists
        .iter()
        .map(|t| {
            let mut s = Vec::new();
            shingles_into(t, k, &mut s);
            s.iter().map(|&h| key(h)).collect()
        })
        .collect();
    let mut sorted = key_lists.clone();
    let mut scratch = Vec::new();
    for (s, raw) in sorted.iter_mut().zip(&key_lists) {
        sort_keys(s, &mut scratch);
        let mut want = raw.clone();
        want.sort_unstable();
        assert_eq!(*s, want);
        let mut work = raw.clone();
        want.dedup();
        assert_eq!(sorted_unique(&mut work, &mut scratch), want);
    }
    let mut g = c.benchmark_group("key_sort");
    g.sample_size(10);
    g.throughput(Throughput::Elements(
        key_lists.iter().map(|l| l.len() as u64).sum(),
    ));
    // Each returns the smallest key.
    type Sort = fn(&mut Vec<u32>, &mut Vec<u32>) -> u32;
    let sorters: [(&str, Sort); 3] = [
        ("sort_keys", |w, scratch| {
            sort_keys(w, scratch);
            w[0]
        }),
        ("sorted_unique", |w, scratch| sorted_unique(w, scratch)[0]),
        ("sort_unstable", |w, _| {
            w.sort_unstable();
            w[0]
        }),
    ];
    for (name, sort) in sorters {
        g.bench_function(name, |b| {
            let mut work = Vec::new();
            b.iter(|| {
                let mut n = 0;
                for l in &key_lists {
                    work.clear();
                    work.extend_from_slice(l);
                    n += sort(&mut work, &mut scratch) as usize;
                }
                n
            })
        });
    }
    g.finish();

    let mut g = c.benchmark_group("stages");
    g.sample_size(10);
    g.throughput(Throughput::Bytes(bytes));
    let h = MinHasher::new(cfg.perms(), cfg.seed());
    let sigs: Vec<u32> = sets.iter().flat_map(|s| h.signature(s)).collect();
    let pairs = candidate_pairs(&sigs, cfg.perms(), cfg.banding(), cfg.max_bucket());
    assert!(!pairs.is_empty());
    g.bench_function("lsh_candidates", |b| {
        b.iter(|| candidate_pairs(&sigs, cfg.perms(), cfg.banding(), cfg.max_bucket()).len())
    });

    // A scan verifies on sorted 32-bit keys (the SIMD intersection); the
    // 64-bit hashes take the scalar merge. Both decide the same pairs here.
    let key_sets: Vec<Vec<u32>> = sets
        .iter()
        .map(|s| {
            let mut k: Vec<u32> = s.iter().map(|&h| key(h)).collect();
            k.sort_unstable();
            k.dedup();
            k
        })
        .collect();
    let verified = |sets: &[Vec<u32>]| {
        pairs
            .iter()
            .filter(|&&(x, y)| cfg.is_duplicate(&similarity(&sets[x as usize], &sets[y as usize])))
            .count()
    };
    let wide = pairs
        .iter()
        .filter(|&&(x, y)| cfg.is_duplicate(&similarity(&sets[x as usize], &sets[y as usize])))
        .count();
    assert_eq!(verified(&key_sets), wide);
    assert!(wide > 0);
    g.bench_function("verify_candidates", |b| b.iter(|| verified(&key_sets)));

    // Verification counts a pair only as far as it could pass the rule
    // (`intersection_at_least`): on the candidates plus as many pairs of
    // unrelated wires (what most of a million-document scan's verified
    // candidates are), against the full count. Both decide the same
    // pairs; `need` is the containment rule's 0.4 of the smaller set.
    let mut mixed = pairs.clone();
    let n = key_sets.len() as u64;
    let mut state = 0x2545_f491_4f6c_dd1du64;
    while mixed.len() < 2 * pairs.len() {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let (x, y) = ((state % n) as u32, ((state >> 32) % n) as u32);
        if x < y {
            mixed.push((x, y));
        }
    }
    let need = |x: u32, y: u32| {
        let small = key_sets[x as usize].len().min(key_sets[y as usize].len());
        (0.4 * small as f64).ceil() as usize
    };
    let full = || {
        mixed
            .iter()
            .filter(|&&(x, y)| {
                intersection_size(&key_sets[x as usize], &key_sets[y as usize]) >= need(x, y)
            })
            .count()
    };
    let at_least = || {
        mixed
            .iter()
            .filter(|&&(x, y)| {
                intersection_at_least(&key_sets[x as usize], &key_sets[y as usize], need(x, y))
                    .is_some()
            })
            .count()
    };
    assert_eq!(full(), at_least());
    assert!(full() > 0 && full() < mixed.len());
    g.bench_function("intersect_full", |b| b.iter(full));
    g.bench_function("intersect_at_least", |b| b.iter(at_least));

    // The boilerplate cut: every set's keys looked up in the frequent keys
    // (those in more than 4 of the 3,000 wires, about as many as a 100k
    // scan cuts), checked against a binary search first.
    let frequent = KeySet::new(frequent_keys_in(&key_sets, 4.0));
    assert!(frequent.len() > 100, "{}", frequent.len());
    // Counting them: keys in more than 4 of the sets, checked against a
    // plain sort of all the keys.
    let mut all: Vec<u32> = key_sets.iter().flatten().copied().collect();
    all.sort_unstable();
    let want: Vec<u32> = all
        .chunk_by(|a, b| a == b)
        .filter(|run| run.len() > 4)
        .map(|run| run[0])
        .collect();
    assert_eq!(frequent.keys(), want);
    g.bench_function("boilerplate_count", |b| {
        b.iter(|| frequent_keys_in(&key_sets, 4.0).len())
    });
    let cut = |sets: &[Vec<u32>]| {
        let mut out = Vec::new();
        let mut n = 0;
        for s in sets {
            out.clear();
            frequent.members_of(s, &mut out);
            n += out.len();
        }
        n
    };
    let want: usize = key_sets
        .iter()
        .map(|s| {
            s.iter()
                .filter(|k| frequent.keys().binary_search(k).is_ok())
                .count()
        })
        .sum();
    assert_eq!(cut(&key_sets), want);
    g.bench_function("boilerplate_cut", |b| b.iter(|| cut(&key_sets)));
    g.bench_function("verify_candidates_u64", |b| {
        b.iter(|| {
            pairs
                .iter()
                .filter(|&&(x, y)| {
                    cfg.is_duplicate(&similarity(&sets[x as usize], &sets[y as usize]))
                })
                .count()
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
