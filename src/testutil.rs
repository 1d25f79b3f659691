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
