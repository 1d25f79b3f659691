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

/// Asks the kernel to back the whole 2 MiB pages inside `v`'s allocation
/// with huge pages (`MADV_HUGEPAGE`, Linux; nothing elsewhere), for a large
/// table read at random: one TLB entry then covers 2 MiB instead of 4 KiB,
/// so that a read at random does not also walk the page tables (at a
/// million documents LSH's rough screen reads a random row of a 128 MB
/// table for each of 84 M proposals). Call it before the table is first written
/// (pages already touched stay small until the kernel's background
/// collapse). A hint only, like the prefetches: it never changes a result,
/// and a refusal is ignored.
pub(crate) fn huge_pages<T>(v: &mut Vec<T>) {
    #[cfg(target_os = "linux")]
    {
        const HUGE: usize = 2 << 20;
        let bytes = v.capacity() * std::mem::size_of::<T>();
        if bytes < 2 * HUGE {
            return;
        }
        let start = v.as_mut_ptr() as usize;
        // Whole 4 KiB pages inside the allocation only: the advice
        // applies to pages, and its neighbours are not ours.
        let page = 4096;
        let (from, to) = (start.div_ceil(page) * page, (start + bytes) / page * page);
        if to > from {
            // SAFETY: `from..to` lies inside `v`'s allocation; the advice
            // changes how the memory is backed, not what it holds.
            unsafe { libc::madvise(from as *mut libc::c_void, to - from, libc::MADV_HUGEPAGE) };
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = v;
}

#[cfg(test)]
mod tests {
    #[test]
    fn huge_pages_leave_a_vector_as_it_was() {
        for cap in [0usize, 10, 1 << 20, 3 << 20] {
            let mut v: Vec<u32> = Vec::with_capacity(cap);
            super::huge_pages(&mut v);
            assert!(v.is_empty() && v.capacity() >= cap);
            v.extend((0..cap as u32).map(|x| x ^ 7));
            assert!(v.iter().enumerate().all(|(i, &x)| x == i as u32 ^ 7));
        }
        // Written first, then advised: still the same values.
        let mut v: Vec<u8> = vec![5; 9 << 20];
        super::huge_pages(&mut v);
        assert!(v.iter().all(|&x| x == 5));
    }
}
