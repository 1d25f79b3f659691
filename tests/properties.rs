//! Property tests: estimates within their error bounds, symmetry, and the
//! same answer whatever the order of input or the thread count. Each fast
//! stage is checked against a naive twin.

use std::collections::BTreeSet;

use neardup::lsh::{candidate_pairs, Banding};
use neardup::minhash::{estimate_jaccard, MinHasher, Scheme};
use neardup::verify::similarity;
use neardup::{Config, Engine};
use proptest::prelude::*;

mod common;

fn naive_jaccard(a: &[u64], b: &[u64]) -> f64 {
    let a: BTreeSet<_> = a.iter().collect();
    let b: BTreeSet<_> = b.iter().collect();
    let i = a.intersection(&b).count();
    let u = a.union(&b).count();
    if u == 0 {
        0.0
    } else {
        i as f64 / u as f64
    }
}

fn set(v: Vec<u64>) -> Vec<u64> {
    let mut v = v;
    v.sort_unstable();
    v.dedup();
    v
}

/// Two random sets sharing `common` elements, with `only_a` and `only_b`
/// of their own, and their exact Jaccard.
fn random_pair(
    common: usize,
    only_a: usize,
    only_b: usize,
    seed: u64,
) -> (Vec<u64>, Vec<u64>, f64) {
    let mut next = seed;
    let mut fresh = || {
        next = next
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        next
    };
    let c: Vec<u64> = (0..common).map(|_| fresh()).collect();
    let a = set(c
        .iter()
        .copied()
        .chain((0..only_a).map(|_| fresh()))
        .collect());
    let b = set(c
        .iter()
        .copied()
        .chain((0..only_b).map(|_| fresh()))
        .collect());
    let j = naive_jaccard(&a, &b);
    (a, b, j)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// MinHash estimates Jaccard within 4.5 standard deviations
    /// (sqrt(J(1-J)/k)) plus a small slack for hash imperfection.
    #[test]
    fn minhash_estimate_within_bound(
        common in 0usize..400, only_a in 0usize..400, only_b in 0usize..400, seed in any::<u64>()
    ) {
        prop_assume!(common + only_a + only_b > 0);
        let (a, b, j) = random_pair(common, only_a, only_b, seed);
        let k = 256;
        let h = MinHasher::new(k, seed);
        let est = estimate_jaccard(&h.signature(&a), &h.signature(&b));
        let sd = (j * (1.0 - j) / k as f64).sqrt();
        prop_assert!((est - j).abs() <= 4.5 * sd + 0.02, "est {est} true {j}");
    }

    /// One-permutation hashing with densification estimates Jaccard within
    /// the same bound as classic MinHash once the union has at least as
    /// many shingles as there are bins (a 128-word article at 128 bins),
    /// and its signature ignores order and repeats.
    #[test]
    fn one_permutation_estimate_within_bound(
        common in 0usize..600, only_a in 0usize..600, only_b in 0usize..600, seed in any::<u64>()
    ) {
        let k = 256;
        prop_assume!(common + only_a + only_b >= k);
        let (a, b, j) = random_pair(common, only_a, only_b, seed);
        let h = MinHasher::with_scheme(Scheme::OnePermutation, k, seed);
        let (sa, sb) = (h.signature(&a), h.signature(&b));
        let est = estimate_jaccard(&sa, &sb);
        let sd = (j * (1.0 - j) / k as f64).sqrt();
        prop_assert!((est - j).abs() <= 4.5 * sd + 0.02, "est {est} true {j}");
        let mut shuffled: Vec<u64> = a.iter().rev().copied().collect();
        shuffled.extend_from_slice(&a[..a.len() / 2]);
        prop_assert_eq!(h.signature(&shuffled), sa);
    }

    /// The tokenizer's ASCII fast path gives exactly the words of
    /// `unicode_word_indices` over the whole text.
    #[test]
    fn tokenizer_fast_path_matches_naive(
        parts in proptest::collection::vec(proptest::sample::select(vec![
            "a", "Z", "q", "7", "0", "_", ".", ",", ";", ":", "'", "-", " ", "  ", "\n", "\r\n",
            "\t", "é", "’", "中", "\u{301}", "\u{feff}", "—", "“", "Ω", "ß", "!", "%", "$", "\x0b",
            "U.S.", "can't", "3.5", "1,000", "__", "http://x.y/z?a=1",
        ]), 0..60)
    ) {
        let text: String = parts.concat();
        let naive = neardup::tokenize::tokenize_naive(&text);
        prop_assert_eq!(&neardup::tokenize::tokenize(&text), &naive);
        // The hash-only path (what a scan uses) gives the same hashes.
        let mut hashes = Vec::new();
        neardup::tokenize::word_hashes_into(&text, &mut hashes);
        prop_assert_eq!(hashes, naive.iter().map(|t| t.hash).collect::<Vec<_>>());
        // And the scan's keys are those of the token path's shingles.
        for k in [1usize, 2, 5, 17] {
            let mut shingles = Vec::new();
            neardup::shingle::shingles_into(&naive, k, &mut shingles);
            let mut want: Vec<u32> = shingles.iter().map(|&h| neardup::shingle::key(h)).collect();
            want.sort_unstable();
            want.dedup();
            let (words, keys) = neardup::shingle::text_keys(&text, k, |_| {});
            prop_assert_eq!(words, naive.len());
            prop_assert_eq!(keys, want);
        }
    }

    /// Exact verification agrees with the naive computation and is symmetric.
    #[test]
    fn similarity_matches_naive_and_is_symmetric(
        a in proptest::collection::vec(0u64..300, 0..200),
        b in proptest::collection::vec(0u64..300, 0..200),
    ) {
        let (a, b) = (set(a), set(b));
        let s = similarity(&a, &b);
        let t = similarity(&b, &a);
        prop_assert_eq!(s.jaccard, t.jaccard);
        prop_assert_eq!(s.containment, t.containment);
        prop_assert!((s.jaccard - naive_jaccard(&a, &b)).abs() < 1e-12);
        prop_assert!(s.jaccard <= s.containment + 1e-12);
    }

    /// LSH candidates: every pair that shares a full band is proposed, and
    /// nothing else (the naive twin compares bands of all pairs).
    #[test]
    fn lsh_matches_naive_banding(
        sigs in proptest::collection::vec(proptest::collection::vec(0u32..3, 8), 2..30)
    ) {
        let perms = 8;
        let banding = Banding { bands: 4, rows: 2 };
        let flat: Vec<u32> = sigs.iter().flatten().copied().collect();
        let got: BTreeSet<(u32, u32)> =
            candidate_pairs(&flat, perms, banding, 1000).into_iter().collect();
        let mut want = BTreeSet::new();
        for i in 0..sigs.len() {
            for j in i + 1..sigs.len() {
                if (0..4).any(|b| sigs[i][b * 2..b * 2 + 2] == sigs[j][b * 2..b * 2 + 2]) {
                    want.insert((i as u32, j as u32));
                }
            }
        }
        prop_assert_eq!(got, want);
    }
}

fn scan_jsonl(engine: &Engine, docs: &[(String, String)]) -> String {
    scan_jsonl_budget(engine, docs, neardup::store::DEFAULT_SET_BUDGET)
}

fn scan_jsonl_budget(engine: &Engine, docs: &[(String, String)], budget: usize) -> String {
    let mut scan = engine.scan();
    scan.set_memory_budget(budget);
    for (id, text) in docs {
        scan.add_text(id, text);
    }
    let result = scan.finish();
    let mut out = Vec::new();
    neardup::output::write_jsonl(&result, &mut out, true, None).unwrap();
    String::from_utf8(out).unwrap()
}

#[test]
fn same_result_whatever_input_order_thread_count_and_memory_budget() {
    let mut docs = common::wires(3000);
    let engine = Engine::new(Config::default());
    let pool1 = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    let pool2 = rayon::ThreadPoolBuilder::new()
        .num_threads(2)
        .build()
        .unwrap();
    let a = pool1.install(|| scan_jsonl(&engine, &docs));
    let b = pool2.install(|| scan_jsonl(&engine, &docs));
    assert_eq!(a, b);
    docs.reverse();
    let c = pool2.install(|| scan_jsonl(&engine, &docs));
    assert_eq!(a, c);
    // Shingle sets spilled to a temporary file from the first document,
    // or from the middle of the corpus: the same output.
    for budget in [0, 200_000] {
        let d = pool2.install(|| scan_jsonl_budget(&engine, &docs, budget));
        assert_eq!(a, d, "memory budget {budget}");
    }
    assert!(
        a.lines().any(|l| l.contains("\"size\":2")),
        "found some clusters"
    );
}

#[test]
fn lsh_recall_against_brute_force_on_real_wires() {
    // Every pair with exact Jaccard >= 0.7 (well above the LSH threshold)
    // must be found by the sketching engine.
    let docs = common::wires(2500);
    let engine = Engine::new(Config::default());
    let sets: Vec<Vec<u64>> = docs.iter().map(|(_, t)| engine.shingle_set(t)).collect();
    let mut want = BTreeSet::new();
    for i in 0..sets.len() {
        for j in i + 1..sets.len() {
            if similarity(&sets[i], &sets[j]).jaccard >= 0.7 {
                want.insert((docs[i].0.clone(), docs[j].0.clone()));
            }
        }
    }
    assert!(
        want.len() > 10,
        "fixture has near-duplicates: {}",
        want.len()
    );
    let mut scan = engine.scan();
    for (id, text) in &docs {
        scan.add_text(id, text);
    }
    let r = scan.finish();
    let mut got = BTreeSet::new();
    for c in &r.clusters {
        for &x in &c.docs {
            for &y in &c.docs {
                if r.docs[x].id < r.docs[y].id {
                    got.insert((r.docs[x].id.clone(), r.docs[y].id.clone()));
                }
            }
        }
    }
    let missed: Vec<_> = want.difference(&got).collect();
    assert!(missed.is_empty(), "missed {missed:?}");
}

/// The screens after LSH against the naive oracle: on small random corpora
/// of shared passages under shared frames (cut as boilerplate), every pair
/// whose cut sets the decision rule accepts is kept by
/// `stages::could_be_duplicates`, and every pair of near-verbatim raw
/// copies by `stages::could_be_copies`; and the screens do drop pairs.
/// Seeded, so the same corpora every run (each pair right at a rule's
/// bound is dropped with probability below 3.2e-5).
#[test]
fn screens_keep_every_pair_the_rules_accept() {
    use neardup::stages;
    let configs = [
        Config::default(),
        Config::builder()
            .shingle(5)
            .perms(128)
            .bands(32)
            .threshold(0.5)
            .build()
            .unwrap(),
    ];
    let mut rng = 0x5eed_u64;
    let mut next = move |m: usize| {
        rng = rng
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((rng >> 33) % m as u64) as usize
    };
    let (mut accepted, mut copies, mut dropped, mut pairs) = (0, 0, 0, 0);
    for corpus in 0..24 {
        let words = |n: usize, next: &mut dyn FnMut(usize) -> usize| -> Vec<String> {
            (0..n).map(|_| format!("w{}", next(4000))).collect()
        };
        let passages: Vec<Vec<String>> =
            (0..12).map(|_| words(30 + next(250), &mut next)).collect();
        let frames: Vec<Vec<String>> = (0..3).map(|_| words(20 + next(300), &mut next)).collect();
        let docs: Vec<String> = (0..28)
            .map(|_| {
                let mut doc: Vec<String> = Vec::new();
                let frame = next(4);
                if frame < 3 {
                    doc.extend(frames[frame].iter().cloned());
                }
                for _ in 0..1 + next(3) {
                    let p = &passages[next(passages.len())];
                    // A run of the passage, sometimes all of it.
                    let from = if next(2) == 0 { 0 } else { next(p.len() / 2) };
                    doc.extend(p[from..].iter().cloned());
                }
                doc.extend(words(next(120), &mut next));
                doc.join(" ")
            })
            .collect();
        for cfg in &configs {
            let engine = Engine::new(cfg.clone());
            let signed: Vec<stages::Signed> =
                docs.iter().map(|d| stages::sign(&engine, d)).collect();
            // The frames (and, in every other corpus, a passage) are the
            // boilerplate.
            let mut keys: Vec<u32> = frames
                .iter()
                .flat_map(|f| stages::sign(&engine, &f.join(" ")).set)
                .collect();
            if corpus % 2 == 1 {
                keys.extend(stages::sign(&engine, &passages[0].join(" ")).set);
            }
            let boilerplate: BTreeSet<u32> = keys.into_iter().collect();
            let cut: Vec<Vec<u32>> = signed
                .iter()
                .map(|s| {
                    s.set
                        .iter()
                        .copied()
                        .filter(|k| !boilerplate.contains(k))
                        .collect()
                })
                .collect();
            for a in 0..docs.len() {
                for b in a + 1..docs.len() {
                    let (sa, sb) = (&signed[a], &signed[b]);
                    let raw = similarity(&sa.set, &sb.set);
                    let is_copy = raw.containment >= neardup::engine::COPY_GROUP_CONTAINMENT
                        && raw.size_a.min(raw.size_b) >= cfg.min_containment_shingles();
                    let is_dup = cfg.is_duplicate(&similarity(&cut[a], &cut[b]));
                    let sizes = (sa.set.len(), sb.set.len());
                    let keeps_copy = stages::could_be_copies(
                        cfg,
                        &sa.signature,
                        &sb.signature,
                        sizes.0,
                        sizes.1,
                    );
                    let keeps_dup = stages::could_be_duplicates(
                        cfg,
                        &sa.signature,
                        &sb.signature,
                        sizes,
                        (cut[a].len(), cut[b].len()),
                    );
                    assert!(
                        !is_copy || keeps_copy,
                        "copies dropped: corpus {corpus}, {a}-{b}, {raw:?}"
                    );
                    assert!(
                        !is_dup || keeps_dup,
                        "duplicates dropped: corpus {corpus}, {a}-{b}"
                    );
                    pairs += 1;
                    accepted += is_dup as usize;
                    copies += is_copy as usize;
                    dropped += (!keeps_dup) as usize;
                }
            }
        }
    }
    assert!(
        accepted > 300 && copies > 100,
        "{accepted} accepted, {copies} copies of {pairs}"
    );
    assert!(dropped > pairs / 5, "{dropped} of {pairs} dropped");
}
