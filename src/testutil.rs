//! Helpers shared by the unit tests.

/// A deterministic stream of 64-bit values (Knuth's MMIX linear
/// congruential generator): the same values for a seed on every run.
pub(crate) fn lcg(seed: u64) -> impl FnMut() -> u64 {
    let mut state = seed;
    move || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        state
    }
}

/// Lists of 32-bit keys for the key sorts' tests, `(shape, n, keys)` for
/// each shape and each size in `sizes`: hash-like keys, a few repeats,
/// keys crowding the low buckets (the fallbacks), one value repeated, many
/// `u32::MAX` among keys crowding the top, and the extremes of `u32`.
pub(crate) fn key_lists(sizes: &[usize]) -> Vec<(usize, usize, Vec<u32>)> {
    let shapes: [fn(usize, u64) -> u32; 6] = [
        |_, r| (r >> 32) as u32,
        |i, r| if i % 7 == 0 { 42 } else { (r >> 32) as u32 },
        |_, r| (r >> 40) as u32 & 0x00FF_FFFF,
        |_, _| 7,
        |i, r| {
            if i % 3 == 0 {
                u32::MAX
            } else {
                (r >> 32) as u32 | 0xFFFF_0000
            }
        },
        |i, r| [0, u32::MAX, 1, u32::MAX - 1][i % 4] ^ (r >> 62) as u32,
    ];
    let mut lists = Vec::new();
    for (s, shape) in shapes.iter().enumerate() {
        for &n in sizes {
            let mut next = lcg((n * 31 + s) as u64 + 1);
            lists.push((s, n, (0..n).map(|i| shape(i, next())).collect()));
        }
    }
    lists
}
