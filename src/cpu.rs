//! What the CPU can run, checked once per process: the kernels that need
//! more than the x86_64 baseline are chosen at run time with these, and
//! every one has a fallback for CPUs without.

/// Whether the CPU has AVX-512 F (the 16-lane key sort, intersections and
/// boilerplate lookups).
#[cfg(target_arch = "x86_64")]
pub(crate) fn avx512f() -> bool {
    use std::sync::OnceLock;
    static HAS: OnceLock<bool> = OnceLock::new();
    *HAS.get_or_init(|| std::arch::is_x86_feature_detected!("avx512f"))
}
