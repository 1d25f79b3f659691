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
}
