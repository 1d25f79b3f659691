//! Locality-sensitive hashing by banding.
//!
//! A signature of `bands * rows` values is cut into `bands` bands of `rows`
//! values. Two documents become a *candidate pair* when all `rows` values of
//! at least one band agree. For two documents of Jaccard similarity `s` this
//! happens with probability
//!
//! ```text
//! P(s) = 1 - (1 - s^rows)^bands
//! ```
//!
//! an S-shaped curve whose steepest point sits near `(1/bands)^(1/rows)`.
//! [`optimal_params`] picks `bands` and `rows` (with `bands * rows == perms`)
//! that minimise the weighted area of false positives (`∫_0^t P(s) ds`) plus
//! false negatives (`∫_t^1 1 - P(s) ds`) around a threshold `t`.
//!
//! Candidate generation groups documents by band hash with a parallel sort
//! (no locked hash maps). A bucket larger than `max_bucket` documents (shared
//! boilerplate, thousands of identical pages) is not expanded into all its
//! pairs: each member is paired with the next `max_bucket` members only, in
//! document order, which keeps the work linear in the bucket size while still
//! connecting every member to its neighbours.

use rayon::prelude::*;
use xxhash_rust::xxh3::xxh3_64;

use crate::minhash::EMPTY;

/// Banding parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Banding {
    /// Number of bands.
    pub bands: usize,
    /// Signature values per band.
    pub rows: usize,
}

impl Banding {
    /// Probability that two documents of Jaccard `s` share at least one band.
    pub fn probability(&self, s: f64) -> f64 {
        1.0 - (1.0 - s.powi(self.rows as i32)).powi(self.bands as i32)
    }

    /// The similarity at which the S-curve is steepest, `(1/b)^(1/r)`.
    pub fn knee(&self) -> f64 {
        (1.0 / self.bands as f64).powf(1.0 / self.rows as f64)
    }
}

fn integrate(f: impl Fn(f64) -> f64, a: f64, b: f64) -> f64 {
    // Composite Simpson, plenty for these smooth curves.
    let n = 200;
    let h = (b - a) / n as f64;
    let mut s = f(a) + f(b);
    for i in 1..n {
        let x = a + i as f64 * h;
        s += f(x) * if i % 2 == 1 { 4.0 } else { 2.0 };
    }
    s * h / 3.0
}

/// False-positive and false-negative areas of a banding at threshold `t`.
pub fn error_areas(banding: Banding, t: f64) -> (f64, f64) {
    let fp = integrate(|s| banding.probability(s), 0.0, t);
    let fneg = integrate(|s| 1.0 - banding.probability(s), t, 1.0);
    (fp, fneg)
}

/// Chooses `bands x rows == perms` minimising
/// `fp_weight * FP(t) + fn_weight * FN(t)`.
pub fn optimal_params(t: f64, perms: usize, fp_weight: f64, fn_weight: f64) -> Banding {
    let mut best = Banding {
        bands: perms,
        rows: 1,
    };
    let mut best_err = f64::INFINITY;
    for rows in 1..=perms {
        if !perms.is_multiple_of(rows) {
            continue;
        }
        let b = Banding {
            bands: perms / rows,
            rows,
        };
        let (fp, fneg) = error_areas(b, t);
        let err = fp_weight * fp + fn_weight * fneg;
        if err < best_err - 1e-12 {
            best_err = err;
            best = b;
        }
    }
    best
}

/// Candidate pairs `(i, j)` with `i < j`, sorted and without repeats, from
/// `n` signatures stored back to back in `signatures` (each `perms` long).
///
/// Documents whose signature is empty (no shingles) never become candidates.
pub fn candidate_pairs(
    signatures: &[u32],
    perms: usize,
    banding: Banding,
    max_bucket: usize,
) -> Vec<(u32, u32)> {
    assert!(perms > 0 && signatures.len().is_multiple_of(perms));
    let n = signatures.len() / perms;
    candidate_pairs_by(n, perms, banding, max_bucket, |d| {
        &signatures[d * perms..(d + 1) * perms]
    })
}

/// [`candidate_pairs`] of `n` signatures of `perms` values wherever they
/// are: `signature(d)` is document `d`'s.
pub fn candidate_pairs_by<'s>(
    n: usize,
    perms: usize,
    banding: Banding,
    max_bucket: usize,
    signature: impl Fn(usize) -> &'s [u32] + Sync,
) -> Vec<(u32, u32)> {
    candidate_pairs_where(n, perms, banding, max_bucket, signature, |_, _| true)
}

/// Documents per part of the pairs' first documents: the pairs LSH
/// proposes are gathered by part, and each part is sorted, freed of
/// repeats and screened on its own, within the caches.
const PART_DOCS_LOG2: u32 = 13;

/// [`candidate_pairs_by`], keeping only the pairs `(a, b)` for which
/// `keep(a, b)` holds (a screen on the signatures, say): the same as
/// filtering the result of [`candidate_pairs_by`] (`keep` must be a
/// function of the pair), but a pair is judged once however many bands of
/// a round propose it, and the pairs are never all sorted together.
///
/// The bands propose a pair as often as they agree on it (a copy of a
/// story, a quarter of the 64 bands of 2 rows at Jaccard 0.5), and pairs
/// that share a little text far outnumber the ones kept on large corpora;
/// sorting every proposal together took longer, and more memory, than
/// the rest of the pass. Proposals are gathered by their first document,
/// [`PART_DOCS_LOG2`] bits' worth of documents to a part, and each part is
/// sorted and screened in turn (its first documents' signatures stay in
/// the cache), then dropped; bands are taken a few groups at a time, so
/// only one round's proposals are held besides the pairs kept.
pub fn candidate_pairs_where<'s>(
    n: usize,
    perms: usize,
    banding: Banding,
    max_bucket: usize,
    signature: impl Fn(usize) -> &'s [u32] + Sync,
    keep: impl Fn(u32, u32) -> bool + Sync,
) -> Vec<(u32, u32)> {
    let signature = &signature;
    candidate_pairs_screened(
        n,
        perms,
        banding,
        max_bucket,
        signature,
        |d| d,
        Rough {
            keep: |_, _| true,
            prefetch: |_| {},
            far: |_| {},
            fetch: |b| {
                for v in signature(b as usize).iter().step_by(16) {
                    crate::prefetch::line(v);
                }
            },
        },
        |a, b| keep(a, b).then_some(()),
    )
    .0
}

/// A part's kept pairs and what the judge gave each, in order.
type Kept<M> = (Vec<(u32, u32)>, Vec<M>);

/// A cheap first screen for [`candidate_pairs_screened`]: `keep(a, b)`
/// must hold for every pair the real screen keeps (it may hold for more),
/// and reads little memory; `prefetch(b)` asks for what `keep(_, b)` reads
/// of the second document (a few pairs ahead), `far(b)` for what finding
/// `b`'s signature reads (a table of where the signatures lie, say; called
/// further ahead, before the signature itself is fetched), and `fetch(b)`
/// for what the real screen reads of it (its signature; a few pairs
/// ahead). Every document is named by its label.
pub struct Rough<K, P, F, S> {
    /// Whether the pair may pass the real screen.
    pub keep: K,
    /// Fetches what `keep` reads of a second document.
    pub prefetch: P,
    /// Fetches what finding a second document's signature reads.
    pub far: F,
    /// Fetches what the real screen reads of a second document.
    pub fetch: S,
}

/// [`candidate_pairs_where`] with a cheap screen first: a part's fresh
/// proposals are judged by `rough.keep` (on small per-document data, a
/// few bytes per document fetched ahead), and only the pairs it lets
/// through by `judge` on the signatures (fetched ahead, every line). Same
/// pairs as [`candidate_pairs_where`] with `judge` alone, since `rough.keep`
/// holds wherever `judge` keeps a pair. At a million documents most
/// proposals share a band and little else: judging them on 128 bytes
/// instead of a 512-byte signature spares most of the random reads of the
/// pass.
///
/// Documents are named by `label(d)` in the pairs and in every call of
/// `rough` and `judge` (`signature(d)` is still by `d`): `label` must be
/// one-to-one onto `0..n`. A pair is `(x, y)` with `x < y` in labels, the
/// pairs sorted by label: the pairs of [`candidate_pairs_where`] renamed
/// and sorted, without a pass over them after LSH (the scan names
/// documents by id). Beside the pairs, what `judge` gave each (`Some(m)`
/// keeps the pair; the signature agreement, say), in the same order.
#[allow(clippy::too_many_arguments)]
pub fn candidate_pairs_screened<'s, K, P, F, S, J, M>(
    n: usize,
    perms: usize,
    banding: Banding,
    max_bucket: usize,
    signature: impl Fn(usize) -> &'s [u32] + Sync,
    label: impl Fn(u32) -> u32 + Sync,
    rough: Rough<K, P, F, S>,
    judge: J,
) -> (Vec<(u32, u32)>, Vec<M>)
where
    K: Fn(u32, u32) -> bool + Sync,
    P: Fn(u32) + Sync,
    F: Fn(u32) + Sync,
    S: Fn(u32) + Sync,
    J: Fn(u32, u32) -> Option<M> + Sync,
    M: Copy + Send + Sync,
{
    assert!(perms > 0);
    assert!(banding.bands * banding.rows <= perms);
    let max_bucket = max_bucket.max(1);
    let parts = (n >> PART_DOCS_LOG2) + 1;
    // Bands are taken four at a time: their rows sit side by side in each
    // signature (one cache line for 4 x 4 rows), so one pass over the
    // signatures serves the four.
    const GROUP: usize = 4;
    let groups: Vec<std::ops::Range<usize>> = (0..banding.bands)
        .step_by(GROUP)
        .map(|b| b..(b + GROUP).min(banding.bands))
        .collect();
    // Pairs as one 64-bit integer each (`a` high): sorted by plain
    // integer compares. Band groups are taken a round at a time (in
    // parallel); each group gives its proposals by part, and each part's
    // proposals are sorted, freed of repeats and of the pairs the part
    // already kept, screened, and merged into the part's kept pairs before
    // the next round: the proposals of every band are never held together
    // (111 M at a million documents at the defaults, 0.9 GB), only a
    // round's and the pairs kept. A pair the screen drops may be proposed
    // and judged again in a later round, with the same verdict.
    let round = rayon::current_num_threads().clamp(1, 4);
    let pair = |p: u64| ((p >> 32) as u32, p as u32);
    // Each part's kept pairs and what `judge` gave them, in order.
    let mut kept: Vec<Kept<M>> = (0..parts).map(|_| (Vec::new(), Vec::new())).collect();
    for groups in groups.chunks(round) {
        let by_group: Vec<Vec<Vec<u64>>> = groups
            .par_iter()
            .map(|bands| {
                let bands = bands.clone();
                let mut keys: Vec<Vec<(u64, u32)>> =
                    bands.clone().map(|_| Vec::with_capacity(n)).collect();
                // Each document's rows for these bands lie one signature apart,
                // a stride the hardware prefetcher follows poorly: fetched by
                // hand a few documents ahead.
                const AHEAD: usize = 8;
                let first = bands.start * banding.rows;
                for d in 0..n {
                    if d + AHEAD < n {
                        crate::prefetch::line(&signature(d + AHEAD)[first]);
                    }
                    let sig = signature(d);
                    assert_eq!(sig.len(), perms, "signature length");
                    if sig[0] == EMPTY {
                        continue;
                    }
                    for (k, band) in keys.iter_mut().zip(bands.clone()) {
                        let lo = band * banding.rows;
                        k.push((band_hash(&sig[lo..lo + banding.rows]), d as u32));
                    }
                }
                let mut out: Vec<Vec<u64>> = vec![Vec::new(); parts];
                for mut keys in keys {
                    sort_by_hash(&mut keys);
                    let mut i = 0;
                    while i < keys.len() {
                        let mut j = i + 1;
                        while j < keys.len() && keys[j].0 == keys[i].0 {
                            j += 1;
                        }
                        let bucket = &keys[i..j];
                        for (x, &(_, a)) in bucket.iter().enumerate() {
                            let stop = (x + 1 + max_bucket).min(bucket.len());
                            let a = label(a);
                            for &(_, b) in &bucket[x + 1..stop] {
                                let b = label(b);
                                let (p, q) = (a.min(b), a.max(b));
                                out[(p >> PART_DOCS_LOG2) as usize].push((p as u64) << 32 | q as u64);
                            }
                        }
                        i = j;
                    }
                }
                out
            })
            .collect();
        // By part, each part's proposals from every group of the round.
        let mut by_part: Vec<Vec<Vec<u64>>> = (0..parts).map(|_| Vec::new()).collect();
        for group in by_group {
            for (p, pairs) in group.into_iter().enumerate() {
                by_part[p].push(pairs);
            }
        }
        kept = by_part
            .into_par_iter()
            .zip(kept)
            .map(|(lists, (old, old_judged))| {
                let mut pairs: Vec<u64> = Vec::with_capacity(lists.iter().map(Vec::len).sum());
                for list in lists {
                    pairs.extend_from_slice(&list);
                }
                pairs.sort_unstable();
                pairs.dedup();
                // The second documents' data are scattered: fetched a few
                // pairs ahead, the rough screen's first, then the
                // signatures of the pairs it lets through.
                const AHEAD: usize = 4;
                let mut rough_kept = Vec::new();
                let mut j = 0;
                for (i, &p) in pairs.iter().enumerate() {
                    if let Some(&next) = pairs.get(i + AHEAD) {
                        (rough.prefetch)(pair(next).1);
                    }
                    let (a, b) = pair(p);
                    while j < old.len() && old[j] < (a, b) {
                        j += 1;
                    }
                    if old.get(j) == Some(&(a, b)) {
                        continue;
                    }
                    if (rough.keep)(a, b) {
                        rough_kept.push((a, b));
                    }
                }
                drop(pairs);
                let (mut fresh, mut judged) = (Vec::new(), Vec::new());
                for (i, &(a, b)) in rough_kept.iter().enumerate() {
                    if let Some(&(_, far)) = rough_kept.get(i + 4 * AHEAD) {
                        (rough.far)(far);
                    }
                    if let Some(&(_, next)) = rough_kept.get(i + AHEAD) {
                        (rough.fetch)(next);
                    }
                    if let Some(m) = judge(a, b) {
                        fresh.push((a, b));
                        judged.push(m);
                    }
                }
                if fresh.is_empty() {
                    return (old, old_judged);
                }
                // Both sorted and disjoint: merged.
                let total = old.len() + fresh.len();
                let (mut merged, mut merged_judged) = (Vec::with_capacity(total), Vec::with_capacity(total));
                let (mut i, mut j) = (0, 0);
                while i < old.len() && j < fresh.len() {
                    if old[i] < fresh[j] {
                        merged.push(old[i]);
                        merged_judged.push(old_judged[i]);
                        i += 1;
                    } else {
                        merged.push(fresh[j]);
                        merged_judged.push(judged[j]);
                        j += 1;
                    }
                }
                merged.extend_from_slice(&old[i..]);
                merged_judged.extend_from_slice(&old_judged[i..]);
                merged.extend_from_slice(&fresh[j..]);
                merged_judged.extend_from_slice(&judged[j..]);
                (merged, merged_judged)
            })
            .collect();
    }
    let total = kept.iter().map(|k| k.0.len()).sum();
    let (mut out, mut out_judged) = (Vec::with_capacity(total), Vec::with_capacity(total));
    for (part, judged) in kept {
        out.extend(part);
        out_judged.extend(judged);
    }
    (out, out_judged)
}

/// The key of each band of a signature, as [`candidate_pairs`] buckets
/// them, into `out` (cleared first); `false`, and nothing written, for the
/// signature of an empty set (it is never a candidate).
pub fn band_keys(sig: &[u32], banding: Banding, out: &mut Vec<u64>) -> bool {
    out.clear();
    if sig.first().is_none_or(|&v| v == EMPTY) {
        return false;
    }
    out.extend(
        sig.chunks_exact(banding.rows)
            .take(banding.bands)
            .map(band_hash),
    );
    true
}

/// Hash of one band's rows: `xxh3_64` of their little-endian bytes
/// (computed from registers for bands of up to four rows, or an even
/// number of rows from 6 to 32).
fn band_hash(rows: &[u32]) -> u64 {
    let word =
        |i: usize| rows[2 * i] as u64 | (rows.get(2 * i + 1).copied().unwrap_or(0) as u64) << 32;
    match rows.len() {
        1..=2 => crate::xxh3::short(word(0), 0, rows.len() * 4),
        3..=4 => crate::xxh3::short(word(0), word(1), rows.len() * 4),
        r if r % 2 == 0 && (6..=32).contains(&r) => {
            let mut w = [0u64; 16];
            for (i, x) in w[..r / 2].iter_mut().enumerate() {
                *x = word(i);
            }
            crate::xxh3::words(&w[..r / 2])
        }
        _ => {
            let bytes: Vec<u8> = rows.iter().flat_map(|v| v.to_le_bytes()).collect();
            xxh3_64(&bytes)
        }
    }
}

/// Sorts band keys `(hash, document)` by hash, documents ascending within a
/// hash when they come in ascending (they do: documents are listed in
/// order), like `sort_unstable` on the pairs.
///
/// Band hashes are uniform, so a stable counting pass by the top bits
/// (about one bucket per key) leaves every key within its bucket, and an
/// insertion pass finishes; equal hashes (the copies LSH is looking for)
/// are already in order and cost nothing. Past 2^16 keys, a first counting
/// pass splits them by their top byte into 256 parts, each then sorted the
/// same way inside the cache. Should an insertion pass move keys too often
/// (inputs that are not hashes), that part is sorted by comparison instead.
fn sort_by_hash(keys: &mut Vec<(u64, u32)>) {
    let n = keys.len();
    if n <= 1 << 16 {
        let mut out = vec![(0u64, 0u32); n];
        bucket_sort(keys, &mut out, 0);
        *keys = out;
        return;
    }
    let mut at = [0usize; 257];
    for &(h, _) in keys.iter() {
        at[(h >> 56) as usize + 1] += 1;
    }
    for b in 0..256 {
        at[b + 1] += at[b];
    }
    let mut parts = vec![(0u64, 0u32); n];
    let mut next = at;
    for &k in keys.iter() {
        let b = (k.0 >> 56) as usize;
        parts[next[b]] = k;
        next[b] += 1;
    }
    for p in 0..256 {
        let (s, e) = (at[p], at[p + 1]);
        bucket_sort(&parts[s..e], &mut keys[s..e], 8);
    }
}

/// Sorts `keys` into `out` (same length) by hash, stably, using the bits
/// of the hash below its top `skip` bits (the ones above are equal).
fn bucket_sort(keys: &[(u64, u32)], out: &mut [(u64, u32)], skip: u32) {
    let n = keys.len();
    if n < 64 {
        out.copy_from_slice(keys);
        out.sort_unstable();
        return;
    }
    let bits = (usize::BITS - (n - 1).leading_zeros()).min(20);
    let shift = 64 - skip - bits;
    let mask = (1usize << bits) - 1;
    let bucket = |h: u64| (h >> shift) as usize & mask;
    let mut at = vec![0usize; (1 << bits) + 1];
    for &(h, _) in keys {
        at[bucket(h) + 1] += 1;
    }
    for b in 0..1usize << bits {
        at[b + 1] += at[b];
    }
    for &k in keys {
        let b = bucket(k.0);
        out[at[b]] = k;
        at[b] += 1;
    }
    let mut moves = 0usize;
    for i in 1..n {
        let x = out[i];
        let mut j = i;
        while j > 0 && out[j - 1].0 > x.0 {
            out[j] = out[j - 1];
            j -= 1;
        }
        out[j] = x;
        moves += i - j;
        if moves > 8 * n {
            out.copy_from_slice(keys);
            out.sort_unstable();
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn band_hash_is_xxh3_of_the_rows() {
        for r in 1..=40usize {
            let rows: Vec<u32> = (0..r as u32)
                .map(|i| i.wrapping_mul(2_654_435_761) ^ 0xDEAD)
                .collect();
            let bytes: Vec<u8> = rows.iter().flat_map(|v| v.to_le_bytes()).collect();
            assert_eq!(band_hash(&rows), xxh3_64(&bytes), "{r} rows");
        }
    }

    #[test]
    fn sort_by_hash_is_sort_unstable() {
        let mut next = crate::testutil::lcg(9);
        for n in [0usize, 5, 63, 64, 100, 5000, 70_000, 300_000] {
            for shape in 0..3 {
                let mut keys: Vec<(u64, u32)> = (0..n as u32)
                    .map(|d| {
                        let r = next();
                        let h = match shape {
                            0 => r,                        // hashes
                            1 => r % 40 * (u64::MAX / 40), // a few big clusters
                            _ => r >> 40,                  // not hashes: the fallback
                        };
                        (h, d)
                    })
                    .collect();
                let mut want = keys.clone();
                want.sort_unstable();
                sort_by_hash(&mut keys);
                assert_eq!(keys, want, "{n} {shape}");
            }
        }
    }

    #[test]
    fn s_curve_shape() {
        let b = Banding { bands: 32, rows: 4 };
        assert!(b.probability(0.0) == 0.0);
        assert!((b.probability(1.0) - 1.0).abs() < 1e-12);
        assert!(b.probability(0.2) < 0.06);
        assert!(b.probability(0.7) > 0.99);
        assert!((b.knee() - 0.42).abs() < 0.01);
    }

    #[test]
    fn optimal_params_move_with_threshold() {
        let low = optimal_params(0.2, 128, 1.0, 1.0);
        let high = optimal_params(0.8, 128, 1.0, 1.0);
        assert_eq!(low.bands * low.rows, 128);
        assert!(low.rows < high.rows, "{low:?} {high:?}");
    }

    #[test]
    fn screened_pairs_are_the_filtered_pairs_across_parts() {
        // Enough documents for several parts; signatures from a few
        // families, so that buckets of every size appear.
        let perms = 8;
        let n = (3 << PART_DOCS_LOG2) + 77;
        let mut next = crate::testutil::lcg(5);
        let sigs: Vec<u32> = (0..n)
            .flat_map(|d| {
                let family = (d * 7919 % 4001) as u32;
                (0..perms as u32)
                    .map(|r| {
                        if next().is_multiple_of(3) {
                            next() as u32 | 1
                        } else {
                            family * 31 + r
                        }
                    })
                    .collect::<Vec<u32>>()
            })
            .collect();
        let banding = Banding { bands: 4, rows: 2 };
        let all = candidate_pairs(&sigs, perms, banding, 5);
        // The pairs from one sort of every proposal, as before parts.
        let mut naive: Vec<(u32, u32)> = Vec::new();
        for band in 0..4 {
            let mut keys: Vec<(u64, u32)> = (0..n)
                .map(|d| (band_hash(&sigs[d * perms + 2 * band..d * perms + 2 * band + 2]), d as u32))
                .collect();
            keys.sort_unstable();
            for bucket in keys.chunk_by(|x, y| x.0 == y.0) {
                for (x, &(_, a)) in bucket.iter().enumerate() {
                    for &(_, b) in &bucket[x + 1..(x + 6).min(bucket.len())] {
                        naive.push((a, b));
                    }
                }
            }
        }
        naive.sort_unstable();
        naive.dedup();
        assert_eq!(all, naive);
        assert!(all.len() > n, "{}", all.len());
        let keep = |a: u32, b: u32| !(a ^ b).is_multiple_of(3);
        let screened = candidate_pairs_where(n, perms, banding, 5, |d| &sigs[d * perms..(d + 1) * perms], keep);
        let want: Vec<(u32, u32)> = all.iter().copied().filter(|&(a, b)| keep(a, b)).collect();
        assert_eq!(screened, want);
        // Named by a permutation, with what the screen gave each pair: the
        // same pairs renamed, oriented and sorted, each with its mark.
        let label = |d: u32| ((d as usize * 7919 + 13) % n) as u32;
        let mut by: Vec<u32> = vec![0; n];
        for d in 0..n as u32 {
            by[label(d) as usize] = d;
        }
        let sig = |d: usize| &sigs[d * perms..(d + 1) * perms];
        let (named, marks) = candidate_pairs_screened(
            n,
            perms,
            banding,
            5,
            sig,
            label,
            Rough {
                keep: |x: u32, y: u32| keep(by[x as usize], by[y as usize]) || x.is_multiple_of(2),
                prefetch: |_| {},
                far: |_| {},
                fetch: |_| {},
            },
            |x: u32, y: u32| {
                let (a, b) = (by[x as usize], by[y as usize]);
                keep(a, b).then_some(a.min(b) as u64 * n as u64 + a.max(b) as u64)
            },
        );
        let mut want: Vec<((u32, u32), u64)> = want
            .iter()
            .map(|&(a, b)| {
                let (x, y) = (label(a), label(b));
                ((x.min(y), x.max(y)), a as u64 * n as u64 + b as u64)
            })
            .collect();
        want.sort_unstable();
        let got: Vec<((u32, u32), u64)> = named.into_iter().zip(marks).collect();
        assert_eq!(got, want);
    }

    #[test]
    fn huge_bucket_is_linear() {
        let perms = 4;
        let n = 1000;
        let sigs: Vec<u32> = (0..n).flat_map(|_| [1u32, 2, 3, 4]).collect();
        let pairs = candidate_pairs(&sigs, perms, Banding { bands: 2, rows: 2 }, 10);
        assert!(pairs.len() <= n * 10);
        assert!(pairs.len() >= n - 1);
        let small = candidate_pairs(&sigs[..40], perms, Banding { bands: 2, rows: 2 }, 10);
        assert_eq!(small.len(), 10 * 9 / 2);
    }
}
