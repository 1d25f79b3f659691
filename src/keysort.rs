//! A document's shingle keys sorted and freed of repeats with AVX-512.
//!
//! Keys are hash values, spread evenly over `u32`. One counting pass by
//! the top bits puts them in buckets of two to four keys on average, in
//! bucket order; runs of whole buckets holding at most 16 keys are then
//! each sorted inside one 512-bit register by a bitonic network (ten
//! compare-exchange steps, no branch), and the run's distinct keys are
//! compressed out to the front of the buffer. Equal keys share a bucket,
//! so repeats never straddle two runs. A bucket of more than 16 keys
//! (keys that are not hashes, or many repeats) is sorted by
//! `sort_unstable`, so the worst case stays `n log n`.
//!
//! This replaces a bucket pass finished by an insertion sort, whose
//! mispredicted branches were most of its time (`cargo bench --bench stages
//! key_sort`).

use std::arch::x86_64::*;

/// Largest input sorted by buckets (four keys per bucket at 2^16
/// buckets); larger ones go to `sort_unstable` whole.
const MOST: usize = 4 << 16;

/// Sorts `keys`' distinct values into `out[..len]` and returns `len`
/// (`out` is resized as needed; its other entries are scratch).
///
/// # Safety
/// The CPU must support AVX-512 F ([`crate::cpu::avx512f`]).
#[target_feature(enable = "avx512f")]
pub(crate) unsafe fn sort_unique(keys: &[u32], out: &mut Vec<u32>) -> usize {
    // SAFETY: AVX-512 F (caller's contract); no destination given.
    unsafe { sort_unique_to(keys, out, None) }
}

/// [`sort_unique`] storing the distinct keys at `dst` instead (`out` is
/// scratch only): where the set is to live, which saves copying it there.
///
/// # Safety
/// The CPU must support AVX-512 F, and `dst` must be valid for writes of
/// `keys.len()` values and not overlap `out`'s buffer.
#[target_feature(enable = "avx512f")]
pub(crate) unsafe fn sort_unique_into(keys: &[u32], out: &mut Vec<u32>, dst: *mut u32) -> usize {
    // SAFETY: caller's contract.
    unsafe { sort_unique_to(keys, out, Some(dst)) }
}

/// The distinct keys at `dst`, or at the front of `out` when `None`.
///
/// # Safety
/// As [`sort_unique_into`].
#[target_feature(enable = "avx512f")]
unsafe fn sort_unique_to(keys: &[u32], out: &mut Vec<u32>, dst: Option<*mut u32>) -> usize {
    let n = keys.len();
    out.clear();
    if n > MOST {
        out.extend_from_slice(keys);
        out.sort_unstable();
        out.dedup();
        if let Some(dst) = dst {
            // SAFETY: `out.len() <= n` values; `dst` holds `n` (caller's
            // contract) and does not overlap `out`.
            unsafe { std::ptr::copy_nonoverlapping(out.as_ptr(), dst, out.len()) };
        }
        return out.len();
    }
    // ceil(log2(ceil(n / 4))) bits: 2 < n / buckets <= 4 keys per bucket
    // (measured: four to eight per bucket 4 % slower, one to two 1 %).
    let bits = usize::BITS - (n.div_ceil(4).max(1) - 1).leading_zeros();
    let buckets = 1usize << bits;
    // `out` holds the keys by bucket, then each bucket's end.
    out.resize(n + buckets + 1, 0);
    let (sorted, at) = out.split_at_mut(n);
    if bits == 0 {
        sorted.copy_from_slice(keys);
    } else {
        let shift = 32 - bits;
        // Unchecked indexing: `k >> shift < buckets`, and each bucket's
        // cursor stays below its end (at most `n`). The bounds checks were
        // a fifth of these loops' instructions.
        let at = at.as_mut_ptr();
        for &k in keys {
            // SAFETY: `(k >> shift) + 1 <= buckets`, inside `at`.
            unsafe { *at.add((k >> shift) as usize + 1) += 1 };
        }
        let mut sum = 0;
        for b in 0..=buckets {
            // SAFETY: `b <= buckets`, inside `at`.
            unsafe {
                sum += *at.add(b);
                *at.add(b) = sum;
            }
        }
        let sorted = sorted.as_mut_ptr();
        for &k in keys {
            let b = (k >> shift) as usize;
            // SAFETY: `b < buckets`; bucket `b`'s cursor runs from its
            // start to its end, both at most `n`, so each key is written
            // once inside `sorted`.
            unsafe {
                let i = *at.add(b);
                *sorted.add(i as usize) = k;
                *at.add(b) = i + 1;
            }
        }
    }
    // `at[b]` is now the end of bucket `b`. Runs of whole buckets of at
    // most 16 keys (or one bigger bucket), found without a branch: the
    // ends of the runs are written over the bucket ends already read.
    let (mut run, mut last, mut runs) = (0u32, 0u32, 0usize);
    for b in 0..buckets {
        let end = at[b];
        let full = end - run > 16;
        at[runs] = last;
        runs += full as usize;
        run = if full { last } else { run };
        last = end;
    }
    at[runs] = n as u32;
    runs += 1;
    // Each run sorted, its distinct keys written at `to[d..]`, where `d`
    // never passes the run being read (so `to` may be `sorted` itself).
    // Runs are independent until their stores, so one run's network
    // overlaps the next one's.
    let base = sorted.as_mut_ptr();
    let to = dst.unwrap_or(base);
    let (mut s, mut d) = (0usize, 0usize);
    for &e in &at[..runs] {
        let e = e as usize;
        d = if e - s <= 16 {
            // SAFETY: `s..e` (at most 16 keys) lies inside `sorted`, and
            // `to[..e]` is writable (`e <= n`).
            unsafe { sort_run(base, s, e, to, d) }
        } else {
            // SAFETY: as above.
            unsafe { sort_big(base, s, e, to, d) }
        };
        s = e;
    }
    d
}

/// Sorts `base[s..e]` (a bucket too big for one register) and writes its
/// distinct keys at `to[d..]`; returns the new `d`.
///
/// # Safety
/// `d <= s`, `base[s..e]` is valid for reads and writes and `to[..e]` for
/// writes (`to` may be `base`).
unsafe fn sort_big(base: *mut u32, s: usize, e: usize, to: *mut u32, mut d: usize) -> usize {
    // SAFETY: caller's contract; nothing else refers to these keys now.
    unsafe { std::slice::from_raw_parts_mut(base.add(s), e - s) }.sort_unstable();
    let mut prev = None;
    for i in s..e {
        // `d <= i`: no key is overwritten before it is read.
        // SAFETY: `i < e`.
        let k = unsafe { base.add(i).read() };
        if prev != Some(k) {
            // SAFETY: `d < e` (caller's contract).
            unsafe { to.add(d).write(k) };
            d += 1;
            prev = Some(k);
        }
    }
    d
}

/// Sorts the at most 16 keys at `base[s..e]` in one register and stores
/// their distinct values at `to[d..]`; returns the new `d`.
///
/// # Safety
/// `s <= e <= s + 16`, `d <= s`, `base[s..e]` is valid for reads and
/// `to[..e]` for writes (`to` may be `base`).
#[target_feature(enable = "avx512f")]
#[inline]
unsafe fn sort_run(base: *mut u32, s: usize, e: usize, to: *mut u32, d: usize) -> usize {
    let live: __mmask16 = ((1u32 << (e - s)) - 1) as __mmask16;
    // SAFETY: masked lanes are neither read nor written, and the unmasked
    // ones lie in `base[s..e]` (caller's contract).
    unsafe {
        let v = _mm512_mask_loadu_epi32(_mm512_set1_epi32(-1), live, base.add(s) as *const i32);
        let v = sort16(v);
        // Lane i is kept when it differs from lane i - 1 (lane 0 always).
        let prev = _mm512_permutexvar_epi32(
            _mm512_setr_epi32(0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14),
            v,
        );
        let keep = (_mm512_cmpneq_epu32_mask(v, prev) | 1) & live;
        let kept = _mm512_maskz_compress_epi32(keep, v);
        let count = keep.count_ones();
        _mm512_mask_storeu_epi32(
            to.add(d) as *mut i32,
            ((1u32 << count) - 1) as __mmask16,
            kept,
        );
        d + count as usize
    }
}

/// The lanes that take the larger key at the step of a bitonic sort
/// merging blocks of `k` lanes across distance `j`: the upper lane of each
/// pair in ascending blocks, the lower one in descending blocks.
const fn upper(k: u32, j: u32) -> __mmask16 {
    let mut m = 0u16;
    let mut i = 0;
    while i < 16 {
        if ((i & j) != 0) != ((i & k) != 0) {
            m |= 1 << i;
        }
        i += 1;
    }
    m
}

/// One compare-exchange step: each lane against its partner `w`.
#[target_feature(enable = "avx512f")]
#[inline]
fn step(v: __m512i, w: __m512i, upper: __mmask16) -> __m512i {
    _mm512_mask_max_epu32(_mm512_min_epu32(v, w), upper, v, w)
}

/// Sorts the 16 lanes of `v` ascending (unsigned): a bitonic network of
/// ten steps, each lane paired with lane `i ^ j` by an in-register
/// shuffle.
#[target_feature(enable = "avx512f")]
#[inline]
fn sort16(v: __m512i) -> __m512i {
    // Partners at distance 1, 2 (within 128-bit lanes) and 4, 8 (whole
    // 128-bit lanes swapped).
    let j1 = |v| _mm512_shuffle_epi32::<0xB1>(v);
    let j2 = |v| _mm512_shuffle_epi32::<0x4E>(v);
    let j4 = |v| _mm512_shuffle_i32x4::<0xB1>(v, v);
    let j8 = |v| _mm512_shuffle_i32x4::<0x4E>(v, v);
    let v = step(v, j1(v), const { upper(2, 1) });
    let v = step(v, j2(v), const { upper(4, 2) });
    let v = step(v, j1(v), const { upper(4, 1) });
    let v = step(v, j4(v), const { upper(8, 4) });
    let v = step(v, j2(v), const { upper(8, 2) });
    let v = step(v, j1(v), const { upper(8, 1) });
    let v = step(v, j8(v), const { upper(16, 8) });
    let v = step(v, j4(v), const { upper(16, 4) });
    let v = step(v, j2(v), const { upper(16, 2) });
    step(v, j1(v), const { upper(16, 1) })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reference(keys: &[u32]) -> Vec<u32> {
        let mut v = keys.to_vec();
        v.sort_unstable();
        v.dedup();
        v
    }

    #[test]
    fn sorts_and_drops_repeats_like_sort_and_dedup() {
        if !crate::cpu::avx512f() {
            eprintln!("no AVX-512 F on this CPU: nothing to test");
            return;
        }
        let mut out = Vec::new();
        let sizes: Vec<usize> = (0..70)
            .chain([100, 127, 128, 129, 640, 1000, 4097, 70_000, 300_000])
            .collect();
        let mut dst = Vec::new();
        for (s, n, keys) in crate::testutil::key_lists(&sizes) {
            // SAFETY: checked above.
            let len = unsafe { sort_unique(&keys, &mut out) };
            let want = reference(&keys);
            assert_eq!(&out[..len], want, "shape {s}, {n} keys");
            // Into a buffer of its own, of exactly `n` values: nothing is
            // written past the set.
            dst.clear();
            dst.resize(n + 1, 7u32);
            // SAFETY: checked above; `dst` holds `n` values apart from `out`.
            let len = unsafe { sort_unique_into(&keys, &mut out, dst.as_mut_ptr()) };
            assert_eq!(&dst[..len], want, "shape {s}, {n} keys, apart");
            assert!(
                dst[len..n].iter().all(|&k| k == 7) && dst[n] == 7,
                "shape {s}, {n} keys"
            );
        }
    }

    #[test]
    fn the_network_sorts_every_zero_one_input() {
        if !crate::cpu::avx512f() {
            return;
        }
        // Every 0/1 input of 16 lanes sorted means the network sorts
        // anything (the 0-1 principle).
        for bits in 0u32..1 << 16 {
            let lanes: Vec<u32> = (0..16).map(|i| (bits >> i) & 1).collect();
            let mut got = [0u32; 16];
            // SAFETY: checked above; the loads and stores are 16 lanes.
            unsafe {
                let v = _mm512_loadu_si512(lanes.as_ptr() as *const __m512i);
                _mm512_storeu_si512(got.as_mut_ptr() as *mut __m512i, sort16(v));
            }
            let ones = bits.count_ones() as usize;
            let want: Vec<u32> = (0..16).map(|i| (i >= 16 - ones) as u32).collect();
            assert_eq!(got.to_vec(), want, "input {bits:016b}");
        }
    }
}
