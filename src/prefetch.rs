//! Software prefetch, for access patterns the hardware prefetcher does not
//! follow (a stride of a signature, the start of the next set, a hashed
//! counter). A hint only: it never changes a result.

/// Asks the CPU to bring the cache line holding `x` into its caches.
#[inline(always)]
pub(crate) fn line<T>(x: &T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: SSE is part of the x86_64 baseline; a prefetch reads nothing
    // and `x` is a valid reference anyway.
    unsafe {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        _mm_prefetch::<_MM_HINT_T0>((x as *const T).cast());
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = x;
}

/// Asks for the first 16 cache lines of `keys` (a set about to be read in
/// order: the hardware takes over once it is, but not at its start).
#[inline(always)]
pub(crate) fn start(keys: &[u32]) {
    for k in keys.iter().take(256).step_by(16) {
        line(k);
    }
}

/// Asks for a short byte string (a path, an id: allocated one by one, so
/// scattered in memory), its first and its last cache line.
#[inline(always)]
pub(crate) fn bytes(b: &[u8]) {
    if let (Some(first), Some(last)) = (b.first(), b.last()) {
        line(first);
        line(last);
    }
}
