//! Verification of candidate pairs against the real shingle sets.

/// Exact set similarity of two documents.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Similarity {
    /// `|A ∩ B| / |A ∪ B|`.
    pub jaccard: f64,
    /// `|A ∩ B| / min(|A|, |B|)`: 1 when the smaller set is inside the larger.
    pub containment: f64,
    /// `|A ∩ B|`.
    pub intersection: usize,
    /// `|A|`.
    pub size_a: usize,
    /// `|B|`.
    pub size_b: usize,
}

/// Size of the intersection of two sorted, repeat-free slices.
///
/// 32-bit keys (what a scan keeps) take a SIMD path on x86_64: blocks of
/// four keys of each side are compared all against all with SSE2, and the
/// block with the smaller last key moves on (the block-merge intersection
/// of Schlegel, Willhalm and Lehner, 2011). Other key types, and the tail
/// of a 32-bit merge, go through a branch-free scalar merge. Both give the
/// same count (a unit test checks it on random sets).
pub fn intersection_size<T: Ord + Copy + 'static>(a: &[T], b: &[T]) -> usize {
    #[cfg(target_arch = "x86_64")]
    if std::any::TypeId::of::<T>() == std::any::TypeId::of::<u32>() {
        // SAFETY: `T` is `u32` (same type id), so the slices are `u32`s.
        let (a, b) = unsafe {
            (
                std::slice::from_raw_parts(a.as_ptr() as *const u32, a.len()),
                std::slice::from_raw_parts(b.as_ptr() as *const u32, b.len()),
            )
        };
        return intersection_size_u32(a, b);
    }
    merge_count(a, b)
}

/// [`intersection_size`] when only a large enough intersection matters:
/// `Some` of the exact size when it is at least `need`, `None` when it is
/// smaller. The walk stops as soon as the keys left on either side cannot
/// bring the count to `need` (the count so far plus the keys left on the
/// side with fewer is an upper bound on the final count), so pairs that
/// share little cost a fraction of a full count: on the verification of
/// candidates that mostly fail the decision rule, this is most of them.
///
/// ```
/// use neardup::verify::intersection_at_least;
/// let (a, b) = ([1u32, 2, 3, 4, 5], [2u32, 4, 6]);
/// assert_eq!(intersection_at_least(&a, &b, 2), Some(2));
/// assert_eq!(intersection_at_least(&a, &b, 3), None);
/// ```
pub fn intersection_at_least<T: Ord + Copy + 'static>(
    a: &[T],
    b: &[T],
    need: usize,
) -> Option<usize> {
    if a.len().min(b.len()) < need {
        return None;
    }
    #[cfg(target_arch = "x86_64")]
    if std::any::TypeId::of::<T>() == std::any::TypeId::of::<u32>() {
        // SAFETY: `T` is `u32` (same type id), so the slices are `u32`s.
        let (a, b) = unsafe {
            (
                std::slice::from_raw_parts(a.as_ptr() as *const u32, a.len()),
                std::slice::from_raw_parts(b.as_ptr() as *const u32, b.len()),
            )
        };
        if crate::cpu::avx512f() {
            // SAFETY: the CPU has AVX-512 F (checked just above).
            return unsafe { at_least_x16(a, b, need) };
        }
        return at_least_x4(a, b, need);
    }
    Some(merge_count(a, b)).filter(|&n| n >= need)
}

/// The scalar merge: one comparison per step, no branch on its outcome.
fn merge_count<T: Ord + Copy>(a: &[T], b: &[T]) -> usize {
    let (mut i, mut j, mut n) = (0, 0, 0);
    while i < a.len() && j < b.len() {
        let (x, y) = (a[i], b[j]);
        n += (x == y) as usize;
        i += (x <= y) as usize;
        j += (y <= x) as usize;
    }
    n
}

/// [`intersection_size`] of 32-bit keys: sixteen by sixteen with AVX-512
/// where the CPU has it, else four by four with SSE2.
#[cfg(target_arch = "x86_64")]
fn intersection_size_u32(a: &[u32], b: &[u32]) -> usize {
    if crate::cpu::avx512f() {
        // SAFETY: the CPU has AVX-512 F (checked just above).
        return unsafe { intersection_size_x16(a, b) };
    }
    intersection_size_x4(a, b)
}

/// Walks `a` and `b` in blocks of `W` keys, adding up `hits(i, j)`, the
/// matches between `a[i..i + W]` and `b[j..j + W]`; the block whose last
/// key is smaller moves on (both when they are equal), with no branch but
/// the loop's. Every match is counted once: a block only moves past keys
/// no larger than the other block's last key, which cannot match anything
/// further on the other side. Returns the count and where each side's
/// blocks stopped.
#[inline(always)]
fn blocks<const W: usize>(
    a: &[u32],
    b: &[u32],
    mut hits: impl FnMut(usize, usize) -> usize,
) -> (usize, usize, usize) {
    let (mut i, mut j, mut n) = (0usize, 0usize, 0usize);
    while i + W <= a.len() && j + W <= b.len() {
        n += hits(i, j);
        let (x, y) = (a[i + W - 1], b[j + W - 1]);
        i += W * (x <= y) as usize;
        j += W * (y <= x) as usize;
    }
    (n, i, j)
}

/// [`blocks`] that gives up (`None`) as soon as the count so far plus the
/// keys left on the side with fewer cannot reach `need`: every match not
/// yet counted pairs a key of `a[i..]` with one of `b[j..]` (see
/// [`blocks`]), so that sum bounds the final count.
#[inline(always)]
fn blocks_at_least<const W: usize>(
    a: &[u32],
    b: &[u32],
    need: usize,
    mut hits: impl FnMut(usize, usize) -> usize,
) -> Option<(usize, usize, usize)> {
    let (mut i, mut j, mut n) = (0usize, 0usize, 0usize);
    while i + W <= a.len() && j + W <= b.len() {
        if n + (a.len() - i).min(b.len() - j) < need {
            return None;
        }
        n += hits(i, j);
        let (x, y) = (a[i + W - 1], b[j + W - 1]);
        i += W * (x <= y) as usize;
        j += W * (y <= x) as usize;
    }
    Some((n, i, j))
}

/// Sixteen keys of `a` against sixteen of `b` (see
/// [`intersection_size_x16`]).
///
/// # Safety
/// The CPU must support AVX-512 F; `a[i..i + 16]` and `b[j..j + 16]` must
/// be in bounds.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
#[inline]
unsafe fn hits_x16(a: &[u32], b: &[u32], i: usize, j: usize) -> usize {
    use std::arch::x86_64::*;
    // SAFETY: in bounds and AVX-512 F (this function's contract).
    unsafe {
        let va = _mm512_loadu_si512(a.as_ptr().add(i) as *const __m512i);
        let bp = b.as_ptr().add(j);
        let mut hits: __mmask16 = 0;
        for k in 0..16 {
            hits |= _mm512_cmpeq_epi32_mask(va, _mm512_set1_epi32(*bp.add(k) as i32));
        }
        hits.count_ones() as usize
    }
}

/// Four keys of `a` against four of `b` in their four rotations, SSE2 (see
/// [`intersection_size_x4`]); `a[i..i + 4]` and `b[j..j + 4]` must be in
/// bounds (checked).
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn hits_x4(a: &[u32], b: &[u32], i: usize, j: usize) -> usize {
    use std::arch::x86_64::*;
    let (a, b) = (&a[i..i + 4], &b[j..j + 4]);
    // SAFETY: SSE2 is part of the x86_64 baseline; both slices hold four
    // keys (sliced just above).
    unsafe {
        let va = _mm_loadu_si128(a.as_ptr() as *const __m128i);
        let vb = _mm_loadu_si128(b.as_ptr() as *const __m128i);
        let r1 = _mm_shuffle_epi32::<0b00_11_10_01>(vb);
        let r2 = _mm_shuffle_epi32::<0b01_00_11_10>(vb);
        let r3 = _mm_shuffle_epi32::<0b10_01_00_11>(vb);
        let hits = _mm_or_si128(
            _mm_or_si128(_mm_cmpeq_epi32(va, vb), _mm_cmpeq_epi32(va, r1)),
            _mm_or_si128(_mm_cmpeq_epi32(va, r2), _mm_cmpeq_epi32(va, r3)),
        );
        (_mm_movemask_ps(_mm_castsi128_ps(hits)) as u32).count_ones() as usize
    }
}

/// [`intersection_at_least`] of 32-bit keys with AVX-512 blocks, then
/// [`at_least_x4`] on what is left.
///
/// # Safety
/// The CPU must support AVX-512 F.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
fn at_least_x16(a: &[u32], b: &[u32], need: usize) -> Option<usize> {
    let (n, i, j) = blocks_at_least::<16>(a, b, need, |i, j| {
        // SAFETY: `blocks_at_least` hands out `a[i..i + 16]` and
        // `b[j..j + 16]` in bounds; the CPU has AVX-512 F (this function's
        // contract).
        unsafe { hits_x16(a, b, i, j) }
    })?;
    at_least_x4(&a[i..], &b[j..], need.saturating_sub(n)).map(|m| n + m)
}

/// [`intersection_at_least`] of 32-bit keys with SSE2 blocks, then the
/// scalar merge.
#[cfg(target_arch = "x86_64")]
fn at_least_x4(a: &[u32], b: &[u32], need: usize) -> Option<usize> {
    let (n, i, j) = blocks_at_least::<4>(a, b, need, |i, j| hits_x4(a, b, i, j))?;
    let n = n + merge_count(&a[i..], &b[j..]);
    (n >= need).then_some(n)
}

/// Sixteen keys of `a` (one register) against sixteen of `b`, each of
/// `b`'s broadcast and compared with all of `a`'s: twice as fast as the
/// SSE2 blocks on 640-key sets.
///
/// # Safety
/// The CPU must support AVX-512 F.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
fn intersection_size_x16(a: &[u32], b: &[u32]) -> usize {
    let (n, i, j) = blocks::<16>(a, b, |i, j| {
        // SAFETY: `blocks` hands out `a[i..i + 16]` and `b[j..j + 16]`
        // in bounds; the CPU has AVX-512 F (this function's contract).
        unsafe { hits_x16(a, b, i, j) }
    });
    n + intersection_size_x4(&a[i..], &b[j..])
}

/// [`intersection_size`] of 32-bit keys, four by four with SSE2 (each
/// block of `b` in its four rotations), then a scalar merge.
#[cfg(target_arch = "x86_64")]
fn intersection_size_x4(a: &[u32], b: &[u32]) -> usize {
    let (n, i, j) = blocks::<4>(a, b, |i, j| hits_x4(a, b, i, j));
    n + merge_count(&a[i..], &b[j..])
}

/// Exact Jaccard and containment of two sorted, repeat-free shingle sets.
///
/// ```
/// use neardup::verify::similarity;
/// let s = similarity(&[1, 2, 3, 4], &[3, 4]);
/// assert_eq!(s.jaccard, 0.5);
/// assert_eq!(s.containment, 1.0);
/// ```
pub fn similarity<T: Ord + Copy + 'static>(a: &[T], b: &[T]) -> Similarity {
    Similarity::from_counts(intersection_size(a, b), a.len(), b.len())
}

impl Similarity {
    /// The similarity of two sets of `size_a` and `size_b` members sharing
    /// `intersection` of them.
    ///
    /// ```
    /// use neardup::verify::{similarity, Similarity};
    /// assert_eq!(Similarity::from_counts(2, 4, 2), similarity(&[1, 2, 3, 4], &[3, 4]));
    /// ```
    pub fn from_counts(intersection: usize, size_a: usize, size_b: usize) -> Similarity {
        let union = size_a + size_b - intersection;
        let small = size_a.min(size_b);
        Similarity {
            jaccard: if union == 0 {
                0.0
            } else {
                intersection as f64 / union as f64
            },
            containment: if small == 0 {
                0.0
            } else {
                intersection as f64 / small as f64
            },
            intersection,
            size_a,
            size_b,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_naive() {
        let a: Vec<u64> = (0..100).map(|x| x * 3).collect();
        let b: Vec<u64> = (0..100).map(|x| x * 5).collect();
        let naive = a.iter().filter(|x| b.contains(x)).count();
        assert_eq!(intersection_size(&a, &b), naive);
        let s = similarity(&a, &b);
        assert!((s.jaccard - naive as f64 / (200 - naive) as f64).abs() < 1e-12);
    }

    /// Two random sets drawn from a universe of up to `universe` keys (a
    /// small universe overlaps a lot; the sizes cover empty, shorter than
    /// a block and long), their keys scrambled by `round`.
    fn random_pair(next: &mut dyn FnMut() -> u64, universe: u64, round: u32) -> (Vec<u32>, Vec<u32>) {
        let universe = 1 + next() % universe;
        let (pa, pb) = (next() % 101, next() % 101);
        let mut take = |p: u64| -> Vec<u32> {
            (0..universe as u32)
                .filter(|_| next() % 100 < p)
                .map(|x| x.wrapping_mul(2_654_435_761).rotate_left(round % 32))
                .collect::<std::collections::BTreeSet<u32>>()
                .into_iter()
                .collect()
        };
        let a = take(pa);
        (a, take(pb))
    }

    #[test]
    fn simd_blocks_match_the_merge() {
        let mut next = crate::testutil::lcg(7);
        for round in 0..2000 {
            let (a, b) = random_pair(&mut next, 600, round);
            let want = merge_count(&a, &b);
            assert_eq!(intersection_size(&a, &b), want, "round {round}");
            assert_eq!(intersection_size(&b, &a), want, "round {round}");
            // The SSE2 blocks alone too (the dispatch takes AVX-512 where
            // the CPU has it).
            #[cfg(target_arch = "x86_64")]
            assert_eq!(intersection_size_x4(&a, &b), want, "round {round}");
            let wide: (Vec<u64>, Vec<u64>) = (
                a.iter().map(|&x| x as u64).collect(),
                b.iter().map(|&x| x as u64).collect(),
            );
            assert_eq!(intersection_size(&wide.0, &wide.1), want);
        }
        assert_eq!(intersection_size::<u32>(&[u32::MAX; 1], &[u32::MAX]), 1);
    }

    #[test]
    fn at_least_is_the_count_when_it_reaches_need() {
        let mut next = crate::testutil::lcg(11);
        for round in 0..3000 {
            let (a, b) = random_pair(&mut next, 900, round);
            let want = merge_count(&a, &b);
            let wide: (Vec<u64>, Vec<u64>) = (
                a.iter().map(|&x| x as u64).collect(),
                b.iter().map(|&x| x as u64).collect(),
            );
            // Around the count, and far from it.
            let mut needs = vec![0, 1, want.saturating_sub(1), want, want + 1, want + 17];
            needs.push(next() as usize % (a.len().max(b.len()) + 2));
            for need in needs {
                let expect = (want >= need).then_some(want);
                assert_eq!(intersection_at_least(&a, &b, need), expect, "round {round} need {need}");
                assert_eq!(intersection_at_least(&b, &a, need), expect, "round {round} need {need}");
                assert_eq!(intersection_at_least(&wide.0, &wide.1, need), expect);
                #[cfg(target_arch = "x86_64")]
                assert_eq!(at_least_x4(&a, &b, need), expect, "round {round} need {need}");
            }
        }
    }

    #[test]
    fn empty_sets() {
        let s = similarity::<u64>(&[], &[]);
        assert_eq!((s.jaccard, s.containment), (0.0, 0.0));
    }
}
