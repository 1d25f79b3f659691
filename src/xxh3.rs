//! XXH3-64 (seed 0, default secret) of short inputs held in registers.
//!
//! The tokenizer hashes each word and each shingle with `xxh3_64`; those
//! values are part of the persistent contract. For the shapes that
//! dominate a scan (words of up to 16 bytes, shingles of 3 to 16 token
//! hashes, LSH bands of a few rows), the same values are computed here from
//! `u64`s already in registers, skipping the copy to memory and the length
//! dispatch of the general function. Unit tests check every length against
//! `xxh3_64`.

/// The first 128 bytes of XXH3's default secret (the only ones inputs of
/// up to 128 bytes use).
const SECRET: [u8; 128] = [
    0xb8, 0xfe, 0x6c, 0x39, 0x23, 0xa4, 0x4b, 0xbe, 0x7c, 0x01, 0x81, 0x2c, 0xf7, 0x21, 0xad, 0x1c,
    0xde, 0xd4, 0x6d, 0xe9, 0x83, 0x90, 0x97, 0xdb, 0x72, 0x40, 0xa4, 0xa4, 0xb7, 0xb3, 0x67, 0x1f,
    0xcb, 0x79, 0xe6, 0x4e, 0xcc, 0xc0, 0xe5, 0x78, 0x82, 0x5a, 0xd0, 0x7d, 0xcc, 0xff, 0x72, 0x21,
    0xb8, 0x08, 0x46, 0x74, 0xf7, 0x43, 0x24, 0x8e, 0xe0, 0x35, 0x90, 0xe6, 0x81, 0x3a, 0x26, 0x4c,
    0x3c, 0x28, 0x52, 0xbb, 0x91, 0xc3, 0x00, 0xcb, 0x88, 0xd0, 0x65, 0x8b, 0x1b, 0x53, 0x2e, 0xa3,
    0x71, 0x64, 0x48, 0x97, 0xa2, 0x0d, 0xf9, 0x4e, 0x38, 0x19, 0xef, 0x46, 0xa9, 0xde, 0xac, 0xd8,
    0xa8, 0xfa, 0x76, 0x3f, 0xe3, 0x9c, 0x34, 0x3f, 0xf9, 0xdc, 0xbb, 0xc7, 0xc7, 0x0b, 0x4f, 0x1d,
    0x8a, 0x51, 0xe0, 0x4b, 0xcd, 0xb4, 0x59, 0x31, 0xc8, 0x9f, 0x7e, 0xc9, 0xd9, 0x78, 0x73, 0x64,
];

const fn secret64(at: usize) -> u64 {
    let mut v = 0u64;
    let mut i = 0;
    while i < 8 {
        v |= (SECRET[at + i] as u64) << (8 * i);
        i += 1;
    }
    v
}

const fn secret32(at: usize) -> u32 {
    secret64(at) as u32
}

/// `xxh3_64` (seed 0) of the `len` bytes (1 to 16) held little-endian in
/// `lo` (bytes 0-7) and `hi` (bytes 8-15), every byte past `len` zero: the
/// same value as `xxh3_64` on those bytes (a unit test checks every
/// length), computed from registers instead of memory.
#[inline(always)]
pub(crate) fn short(lo: u64, hi: u64, len: usize) -> u64 {
    debug_assert!((1..=16).contains(&len));
    if len > 8 {
        const FLIP1: u64 = secret64(24) ^ secret64(32);
        const FLIP2: u64 = secret64(40) ^ secret64(48);
        // Bytes len-8 .. len, the last eight.
        let last = ((((hi as u128) << 64) | lo as u128) >> (8 * (len - 8))) as u64;
        let (a, b) = (lo ^ FLIP1, last ^ FLIP2);
        let m = (a as u128) * (b as u128);
        let acc = (len as u64)
            .wrapping_add(a.swap_bytes())
            .wrapping_add(b)
            .wrapping_add((m as u64) ^ ((m >> 64) as u64));
        avalanche(acc)
    } else if len >= 4 {
        const FLIP: u64 = secret64(8) ^ secret64(16);
        let first = lo as u32 as u64;
        let last = (lo >> (8 * (len - 4))) as u32 as u64;
        let mut h = (last.wrapping_add(first << 32)) ^ FLIP;
        // XXH3 rrmxmx.
        h ^= h.rotate_left(49) ^ h.rotate_left(24);
        h = h.wrapping_mul(0x9FB2_1C65_1E98_DF25);
        h ^= (h >> 35).wrapping_add(len as u64);
        h = h.wrapping_mul(0x9FB2_1C65_1E98_DF25);
        h ^ (h >> 28)
    } else {
        const FLIP: u64 = (secret32(0) ^ secret32(4)) as u64;
        let byte = |i: usize| (lo >> (8 * i)) & 0xFF;
        let combo = (byte(0) << 16) | (byte(len >> 1) << 24) | byte(len - 1) | ((len as u64) << 8);
        // XXH64 avalanche.
        let mut h = combo ^ FLIP;
        h ^= h >> 33;
        h = h.wrapping_mul(0xC2B2_AE3D_27D4_EB4F);
        h ^= h >> 29;
        h = h.wrapping_mul(0x1656_67B1_9E37_79F9);
        h ^ (h >> 32)
    }
}

/// The XXH3 avalanche of inputs of 9 to 128 bytes.
#[inline(always)]
fn avalanche(acc: u64) -> u64 {
    let h = (acc ^ (acc >> 37)).wrapping_mul(0x1656_6791_9E37_79F9);
    h ^ (h >> 32)
}

/// XXH3's 16-byte mixer: words `a` and `b` against the secret at `at`.
#[inline(always)]
fn mix16(a: u64, b: u64, at: usize) -> u64 {
    let m = ((a ^ secret64(at)) as u128) * ((b ^ secret64(at + 8)) as u128);
    (m as u64) ^ ((m >> 64) as u64)
}

/// `xxh3_64` (seed 0) of the little-endian bytes of `w` (3 to 16 words,
/// 24 to 128 bytes), as the shingle hash is defined.
#[inline(always)]
pub(crate) fn words(w: &[u64]) -> u64 {
    let k = w.len();
    debug_assert!((3..=16).contains(&k));
    let mut acc = (8 * k as u64).wrapping_mul(0x9E37_79B1_85EB_CA87);
    if k > 4 {
        if k > 8 {
            if k > 12 {
                acc = acc.wrapping_add(mix16(w[6], w[7], 96));
                acc = acc.wrapping_add(mix16(w[k - 8], w[k - 7], 112));
            }
            acc = acc.wrapping_add(mix16(w[4], w[5], 64));
            acc = acc.wrapping_add(mix16(w[k - 6], w[k - 5], 80));
        }
        acc = acc.wrapping_add(mix16(w[2], w[3], 32));
        acc = acc.wrapping_add(mix16(w[k - 4], w[k - 3], 48));
    }
    acc = acc.wrapping_add(mix16(w[0], w[1], 0));
    acc = acc.wrapping_add(mix16(w[k - 2], w[k - 1], 16));
    avalanche(acc)
}

/// Whether this CPU runs [`short_x8`] and [`words_x8_in_place`] (AVX-512 F, DQ,
/// BW and VBMI2), checked once.
#[cfg(target_arch = "x86_64")]
pub(crate) fn has_x8() -> bool {
    use std::sync::OnceLock;
    static HAS: OnceLock<bool> = OnceLock::new();
    *HAS.get_or_init(|| {
        std::arch::is_x86_feature_detected!("avx512f")
            && std::arch::is_x86_feature_detected!("avx512dq")
            && std::arch::is_x86_feature_detected!("avx512bw")
            && std::arch::is_x86_feature_detected!("avx512vbmi2")
    })
}

/// [`short`] of eight ASCII words at once, one per 64-bit lane, folded
/// first: `lo` and `hi` hold the 16 bytes from the word's start (bytes
/// past `len` are zeroed, the rest lowercased, as the tokenizer folds
/// words), except that a lane whose `len` is 0 gives its `lo` back
/// unchanged (a hash computed elsewhere). The three length
/// classes of XXH3 are all computed and the right one kept per lane; the
/// 64 x 64 -> 128-bit product of the 9-16-byte class is built from four
/// 32-bit products. A unit test checks every length against [`short`].
///
/// # Safety
/// The CPU must have AVX-512 F, DQ, BW and VBMI2 ([`has_x8`]).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512dq,avx512bw,avx512vbmi2")]
pub(crate) unsafe fn short_x8(words: &[[u64; 3]; 8], out: &mut [u64; 8]) {
    use std::arch::x86_64::*;
    let c = |x: u64| _mm512_set1_epi64(x as i64);
    // SAFETY (loads): `words` is 24 u64s; each index vector is 8 i64s.
    let at = |i: usize| unsafe { _mm512_loadu_si512(words.as_ptr().cast::<u64>().add(i).cast()) };
    let idx = |x: [i64; 8]| unsafe { _mm512_loadu_si512(x.as_ptr().cast()) };
    let (v0, v1, v2) = (at(0), at(8), at(16));
    // Columns out of the rows `[lo, hi, len]`: the first five or six of
    // each from `v0`, `v1`, the rest from `v2`.
    let column = |first: [i64; 8], then: [i64; 8]| {
        _mm512_permutex2var_epi64(_mm512_permutex2var_epi64(v0, idx(first), v1), idx(then), v2)
    };
    let raw = column([0, 3, 6, 9, 12, 15, 0, 0], [0, 1, 2, 3, 4, 5, 10, 13]);
    let hi = column([1, 4, 7, 10, 13, 0, 0, 0], [0, 1, 2, 3, 4, 8, 11, 14]);
    let len = column([2, 5, 8, 11, 14, 0, 0, 0], [0, 1, 2, 3, 4, 9, 12, 15]);
    let low32 = c(0xFFFF_FFFF);

    // Folding: bytes past `len` zeroed (a shift by 64 or more gives 0, so
    // words of 8 bytes or more keep all of `lo`; `hi` only matters past 8),
    // then ASCII uppercase letters lowercased eight bytes a lane, as
    // `lower_ascii_swar` does (every byte kept is below 0x80).
    let ones = c(u64::MAX);
    let eight_len = _mm512_slli_epi64::<3>(len);
    let lo = _mm512_andnot_si512(_mm512_sllv_epi64(ones, eight_len), raw);
    let hi = _mm512_maskz_andnot_epi64(
        _mm512_cmpgt_epu64_mask(len, c(8)),
        _mm512_sllv_epi64(ones, _mm512_sub_epi64(eight_len, c(64))),
        hi,
    );
    let lower = |x: __m512i| {
        const ONES: u64 = 0x0101_0101_0101_0101;
        let ge_a = _mm512_add_epi64(x, c((0x80 - b'A' as u64) * ONES));
        let gt_z = _mm512_add_epi64(x, c((0x80 - b'Z' as u64 - 1) * ONES));
        let upper = _mm512_and_si512(_mm512_andnot_si512(gt_z, ge_a), c(0x80 * ONES));
        _mm512_or_si512(x, _mm512_srli_epi64::<2>(upper))
    };
    let (lo, hi) = (lower(lo), lower(hi));

    // 9 to 16 bytes. The last eight bytes: `hi:lo` shifted right by
    // 8 (len - 8) bytes (a shift of 64 wraps to 0 in the instruction, so
    // 16-byte words take `hi` itself).
    let shift = _mm512_slli_epi64::<3>(_mm512_sub_epi64(len, c(8)));
    let last = _mm512_mask_blend_epi64(
        _mm512_cmpeq_epi64_mask(len, c(16)),
        _mm512_shrdv_epi64(lo, hi, shift),
        hi,
    );
    let a = _mm512_xor_si512(lo, c(secret64(24) ^ secret64(32)));
    let b = _mm512_xor_si512(last, c(secret64(40) ^ secret64(48)));
    let fold = mul_fold_x8(a, b);
    // Bytes of each 64-bit lane reversed.
    let swap = _mm512_set_epi64(
        0x0809_0A0B_0C0D_0E0F,
        0x0001_0203_0405_0607,
        0x0809_0A0B_0C0D_0E0F,
        0x0001_0203_0405_0607,
        0x0809_0A0B_0C0D_0E0F,
        0x0001_0203_0405_0607,
        0x0809_0A0B_0C0D_0E0F,
        0x0001_0203_0405_0607,
    );
    let acc = _mm512_add_epi64(
        _mm512_add_epi64(len, _mm512_shuffle_epi8(a, swap)),
        _mm512_add_epi64(b, fold),
    );
    let h = _mm512_mullo_epi64(
        _mm512_xor_si512(acc, _mm512_srli_epi64::<37>(acc)),
        c(0x1656_6791_9E37_79F9),
    );
    let long = _mm512_xor_si512(h, _mm512_srli_epi64::<32>(h));

    // 4 to 8 bytes (shift counts of shorter lanes wrap to large values,
    // which the instruction turns into 0; those lanes are not kept).
    let first = _mm512_and_si512(lo, low32);
    let shift = _mm512_slli_epi64::<3>(_mm512_sub_epi64(len, c(4)));
    let last = _mm512_and_si512(_mm512_srlv_epi64(lo, shift), low32);
    let mut h = _mm512_xor_si512(
        _mm512_add_epi64(last, _mm512_slli_epi64::<32>(first)),
        c(secret64(8) ^ secret64(16)),
    );
    h = _mm512_xor_si512(
        h,
        _mm512_xor_si512(_mm512_rol_epi64::<49>(h), _mm512_rol_epi64::<24>(h)),
    );
    h = _mm512_mullo_epi64(h, c(0x9FB2_1C65_1E98_DF25));
    h = _mm512_xor_si512(h, _mm512_add_epi64(_mm512_srli_epi64::<35>(h), len));
    h = _mm512_mullo_epi64(h, c(0x9FB2_1C65_1E98_DF25));
    let mid = _mm512_xor_si512(h, _mm512_srli_epi64::<28>(h));

    // 1 to 3 bytes.
    let byte = |at: __m512i| _mm512_and_si512(_mm512_srlv_epi64(lo, at), c(0xFF));
    let b0 = _mm512_and_si512(lo, c(0xFF));
    let b_mid = byte(_mm512_slli_epi64::<3>(_mm512_srli_epi64::<1>(len)));
    let b_last = byte(_mm512_slli_epi64::<3>(_mm512_sub_epi64(len, c(1))));
    let combo = _mm512_or_si512(
        _mm512_or_si512(_mm512_slli_epi64::<16>(b0), _mm512_slli_epi64::<24>(b_mid)),
        _mm512_or_si512(b_last, _mm512_slli_epi64::<8>(len)),
    );
    let mut h = _mm512_xor_si512(combo, c((secret32(0) ^ secret32(4)) as u64));
    h = _mm512_xor_si512(h, _mm512_srli_epi64::<33>(h));
    h = _mm512_mullo_epi64(h, c(0xC2B2_AE3D_27D4_EB4F));
    h = _mm512_xor_si512(h, _mm512_srli_epi64::<29>(h));
    h = _mm512_mullo_epi64(h, c(0x1656_67B1_9E37_79F9));
    let short3 = _mm512_xor_si512(h, _mm512_srli_epi64::<32>(h));

    let mut r = _mm512_mask_blend_epi64(_mm512_cmpgt_epu64_mask(len, c(3)), short3, mid);
    r = _mm512_mask_blend_epi64(_mm512_cmpgt_epu64_mask(len, c(8)), r, long);
    r = _mm512_mask_blend_epi64(_mm512_cmpeq_epi64_mask(len, c(0)), r, raw);
    // SAFETY: `out` is eight u64s.
    unsafe { _mm512_storeu_si512(out.as_mut_ptr().cast(), r) };
}

/// Per 64-bit lane, the 128-bit product of `a` and `b` folded to 64 bits
/// (low half xor high half), from four 32 x 32-bit products.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
#[inline]
fn mul_fold_x8(
    a: std::arch::x86_64::__m512i,
    b: std::arch::x86_64::__m512i,
) -> std::arch::x86_64::__m512i {
    use std::arch::x86_64::*;
    let low32 = _mm512_set1_epi64(0xFFFF_FFFF);
    let (a_hi, b_hi) = (_mm512_srli_epi64::<32>(a), _mm512_srli_epi64::<32>(b));
    let p00 = _mm512_mul_epu32(a, b);
    let p01 = _mm512_mul_epu32(a, b_hi);
    let p10 = _mm512_mul_epu32(a_hi, b);
    let p11 = _mm512_mul_epu32(a_hi, b_hi);
    let t = _mm512_add_epi64(p10, _mm512_srli_epi64::<32>(p00));
    let w = _mm512_add_epi64(_mm512_and_si512(t, low32), p01);
    let hi = _mm512_add_epi64(
        _mm512_add_epi64(p11, _mm512_srli_epi64::<32>(t)),
        _mm512_srli_epi64::<32>(w),
    );
    let lo = _mm512_or_si512(_mm512_slli_epi64::<32>(w), _mm512_and_si512(p00, low32));
    _mm512_xor_si512(lo, hi)
}

/// [`words`] of the eight windows of `k` words (3 to 16) starting at
/// `w[0]` to `w[7]`, one per lane, written over `w[0..8]` (every word is
/// read before the hashes are stored); `w` holds at least `k + 7` words. A
/// unit test checks every `k` against [`words`].
///
/// # Safety
/// The CPU must have AVX-512 F, DQ, BW and VBMI2 ([`has_x8`]).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512dq,avx512bw,avx512vbmi2")]
pub(crate) unsafe fn words_x8_in_place(w: &mut [u64], k: usize) {
    use std::arch::x86_64::*;
    assert!((3..=16).contains(&k) && w.len() >= k + 7);
    let c = |x: u64| _mm512_set1_epi64(x as i64);
    // Lane j of column `i` is word `j + i`: the eight windows side by side.
    // SAFETY: `i + 8 <= k + 7 <= w.len()` for every column read (`i < k`).
    let col = |i: usize| unsafe { _mm512_loadu_si512(w.as_ptr().add(i).cast()) };
    // The 16-byte mixes of `words`, in the same pairs (the sum's order does
    // not change it).
    let mut acc = c((8 * k as u64).wrapping_mul(0x9E37_79B1_85EB_CA87));
    let mut mix = |i: usize, j: usize, at: usize| {
        let a = _mm512_xor_si512(col(i), c(secret64(at)));
        let b = _mm512_xor_si512(col(j), c(secret64(at + 8)));
        acc = _mm512_add_epi64(acc, mul_fold_x8(a, b));
    };
    if k > 4 {
        if k > 8 {
            if k > 12 {
                mix(6, 7, 96);
                mix(k - 8, k - 7, 112);
            }
            mix(4, 5, 64);
            mix(k - 6, k - 5, 80);
        }
        mix(2, 3, 32);
        mix(k - 4, k - 3, 48);
    }
    mix(0, 1, 0);
    mix(k - 2, k - 1, 16);
    let h = _mm512_mullo_epi64(
        _mm512_xor_si512(acc, _mm512_srli_epi64::<37>(acc)),
        c(0x1656_6791_9E37_79F9),
    );
    let h = _mm512_xor_si512(h, _mm512_srli_epi64::<32>(h));
    // SAFETY: `w` holds at least eight u64s; every column was read above.
    unsafe { _mm512_storeu_si512(w.as_mut_ptr().cast(), h) };
}

#[cfg(test)]
mod tests {
    use super::*;
    use xxhash_rust::xxh3::xxh3_64;

    #[test]
    fn short_hash_is_xxh3() {
        let mut next = crate::testutil::lcg(3);
        for len in 1..=16usize {
            for _ in 0..2000 {
                let mut bytes = [0u8; 16];
                for b in &mut bytes[..len] {
                    *b = (next() >> 56) as u8;
                }
                let lo = u64::from_le_bytes(bytes[..8].try_into().unwrap());
                let hi = u64::from_le_bytes(bytes[8..].try_into().unwrap());
                assert_eq!(short(lo, hi, len), xxh3_64(&bytes[..len]), "{len}");
            }
        }
    }

    #[test]
    fn words_hash_is_xxh3() {
        let mut next = crate::testutil::lcg(5);
        for k in 3..=16usize {
            for _ in 0..500 {
                let w: Vec<u64> = (0..k).map(|_| next()).collect();
                let bytes: Vec<u8> = w.iter().flat_map(|x| x.to_le_bytes()).collect();
                assert_eq!(words(&w), xxh3_64(&bytes), "{k}");
            }
        }
    }

    /// The eight-lane (AVX-512) hashes against the scalar ones: words of
    /// every length with junk after them, and shingle windows of every `k`.
    #[cfg(target_arch = "x86_64")]
    #[test]
    fn eight_lane_hashes_are_the_scalar_ones() {
        if !has_x8() {
            eprintln!("no AVX-512 here: eight-lane hashes not tested");
            return;
        }
        let mut next = crate::testutil::lcg(11);
        for round in 0..4000 {
            let mut words = [[0u64; 3]; 8];
            for (k, w) in words.iter_mut().enumerate() {
                // Every length in turn, 0 (pass-through) included.
                // ASCII words (letters of both cases, digits, `_`) with
                // anything at all after them.
                let n = (round * 8 + k) % 17;
                let mut bytes = [0u8; 16];
                const CHARS: &[u8] = b"AZaz09_QqMmXx'.";
                for (i, b) in bytes.iter_mut().enumerate() {
                    let r = next();
                    *b = if i < n {
                        CHARS[(r >> 59) as usize % CHARS.len()]
                    } else {
                        (r >> 56) as u8
                    };
                }
                *w = [
                    u64::from_le_bytes(bytes[..8].try_into().unwrap()),
                    u64::from_le_bytes(bytes[8..].try_into().unwrap()),
                    n as u64,
                ];
            }
            let mut out = [0u64; 8];
            // SAFETY: checked above that the CPU has the features.
            unsafe { short_x8(&words, &mut out) };
            for (k, &[lo, hi, len]) in words.iter().enumerate() {
                let want = match len as usize {
                    0 => lo,
                    n => {
                        let mut bytes = [lo.to_le_bytes(), hi.to_le_bytes()].concat();
                        bytes.truncate(n);
                        bytes.make_ascii_lowercase();
                        xxh3_64(&bytes)
                    }
                };
                assert_eq!(out[k], want, "length {len}");
            }
        }
        // Shingle windows: eight side by side, for every k.
        for k in 3..=16usize {
            for _ in 0..300 {
                let w: Vec<u64> = (0..k + 7).map(|_| next()).collect();
                let mut out = w.clone();
                // SAFETY: checked above that the CPU has the features.
                unsafe { words_x8_in_place(&mut out, k) };
                for (j, &h) in out[..8].iter().enumerate() {
                    assert_eq!(h, words(&w[j..j + k]), "k {k}, window {j}");
                }
            }
        }
    }
}
