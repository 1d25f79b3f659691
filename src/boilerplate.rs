//! Boilerplate detection by document frequency.
//!
//! Shingles that occur in many documents (an outlet's header and footer, an
//! app advert, a syndication disclaimer, a photo caption reused across
//! stories) say nothing about whether two articles are the same story.
//! Every shingle whose frequency is above the cut is dropped from the sets
//! used for matching.
//!
//! Two ways to count, for two situations:
//! - [`frequent_keys`]: exact counts of a batch of sets (what a scan uses,
//!   over the union of each group of copies), by splitting and sorting.
//! - [`DfSketch`]: a count-min sketch, for counts that must grow across
//!   commits (the index). It never under-counts; it over-counts a shingle
//!   only when all of its [`DEPTH`] counters collide with heavier
//!   shingles. The width is sized from the number of shingles seen so that
//!   the expected noise per counter stays far below any sensible cut.
//!   Counting is order-independent (additions commute), so the result does
//!   not depend on the thread count, and two sketches of the same width
//!   merge by adding counters.
//!
//! [`KeySet`] holds the verdict: the boilerplate keys, with a bitmap in
//! front for fast cutting.

use rayon::prelude::*;

/// Rows of the sketch.
pub const DEPTH: usize = 4;

/// A count-min sketch of shingle document frequencies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DfSketch {
    width_bits: u32,
    counters: Vec<u32>,
}

impl DfSketch {
    /// A sketch for about `expected` shingle occurrences (summed set sizes).
    pub fn for_volume(expected: usize) -> Self {
        Self::with_width_bits(Self::width_bits_for(expected))
    }

    /// The row width (as a power of two) chosen for `expected` occurrences.
    fn width_bits_for(expected: usize) -> u32 {
        // Aim for ~4 occurrences per counter, with 2^16..2^22 counters a
        // row (at most 64 MiB a sketch). Past 2^24 occurrences the noise per
        // counter grows (16 at 64M), but the cut grows faster with the
        // corpus (1% of the copy groups), so rare shingles stay far below it.
        let want = (expected / 4).max(1).next_power_of_two();
        want.trailing_zeros().clamp(16, 22)
    }

    /// A sketch of `2^bits` counters per row.
    pub fn with_width_bits(bits: u32) -> Self {
        let n = DEPTH << bits;
        DfSketch {
            width_bits: bits,
            // Written eagerly: `vec![0; n]` maps lazily-zeroed pages whose
            // first touches, scattered at random by the updates, page-fault
            // all through the count (a quarter of the cycles at 2 threads).
            #[allow(clippy::slow_vector_initialization)] // eager on purpose, see above
            counters: {
                let mut v = Vec::with_capacity(n);
                v.resize(n, 0);
                v
            },
        }
    }

    /// The counters of `h`: one per row, all in one 64-byte block of 16
    /// counters (4 rows x 4), so an update or a lookup touches a single
    /// cache line. The block comes from the high bits of a multiplicative
    /// hash, the counter within each row from 2 bits of another.
    #[inline]
    fn slots(&self, h: u64) -> [usize; DEPTH] {
        let blocks_bits = self.width_bits + 2 - 4; // DEPTH << bits counters / 16
        let x = h.wrapping_mul(0x9E37_79B9_7F4A_7C15);
        let block = (x >> (64 - blocks_bits)) as usize;
        let y = h.wrapping_mul(0xC2B2_AE3D_27D4_EB4F) >> 56;
        let base = block * 16;
        let mut out = [0; DEPTH];
        for (row, o) in out.iter_mut().enumerate() {
            *o = base + row * 4 + ((y >> (2 * row)) & 3) as usize;
        }
        out
    }

    /// Adds one document's shingle set (each shingle once).
    pub fn add_set<T: Copy + Into<u64>>(&mut self, set: &[T]) {
        const AHEAD: usize = 16;
        for (i, &h) in set.iter().enumerate() {
            if let Some(&next) = set.get(i + AHEAD) {
                self.prefetch(next.into());
            }
            let h: u64 = h.into();
            for i in self.slots(h) {
                self.counters[i] = self.counters[i].saturating_add(1);
            }
        }
    }

    #[inline(always)]
    fn prefetch(&self, h: u64) {
        crate::prefetch::line(&self.counters[self.slots(h)[0]]);
    }

    /// Estimated number of documents containing `h` (never below the truth).
    pub fn estimate(&self, h: u64) -> u32 {
        self.slots(h)
            .iter()
            .map(|&i| self.counters[i])
            .min()
            .unwrap_or(0)
    }
}

/// The keys that occur more than `limit` times in `keys` (a concatenation
/// of sets, each key once per set: so the count of a key is the number of
/// sets holding it), sorted. Exact, and independent of the thread count.
///
/// ```
/// let keys = vec![5u32, 9, 5, 7, 5, 9];
/// assert_eq!(neardup::boilerplate::frequent_keys(keys, 1.0), [5, 9]);
/// ```
pub fn frequent_keys(keys: Vec<u32>, limit: f64) -> Vec<u32> {
    let threads = rayon::current_num_threads().max(1);
    let slice = (keys.len() / (4 * threads)).max(1 << 16);
    let slices: Vec<&[u32]> = keys.chunks(slice).collect();
    frequent_keys_in(&slices, limit)
}

/// [`frequent_keys`] of the keys of `sets` taken together, without
/// concatenating them first.
///
/// The sets are cut into runs of about 64K keys; each run's keys are
/// counted by top byte, then copied, in parallel, into the run's own
/// stretch of one buffer, grouped by top byte (256 parts, each a stream
/// that stays in cache). Each part, a piece from every run, is then
/// counted where it lies (see `frequent_in_part`): one copy of the keys in
/// all, and only the keys that may be frequent are sorted.
///
/// ```
/// let sets: [&[u32]; 3] = [&[5, 9], &[5, 7], &[5, 9]];
/// assert_eq!(neardup::boilerplate::frequent_keys_in(&sets, 1.0), [5, 9]);
/// ```
pub fn frequent_keys_in<S: AsRef<[u32]> + Sync>(sets: &[S], limit: f64) -> Vec<u32> {
    const PARTS: usize = 256;
    let mut bounds = vec![0];
    let mut keys = 0;
    for (i, s) in sets.iter().enumerate() {
        keys += s.as_ref().len();
        if keys >= 1 << 16 {
            bounds.push(i + 1);
            keys = 0;
        }
    }
    if bounds.last() != Some(&sets.len()) {
        bounds.push(sets.len());
    }
    let runs: Vec<&[S]> = bounds.windows(2).map(|w| &sets[w[0]..w[1]]).collect();
    // Each run's keys by top byte; then each run's stretch of the buffer.
    let counts: Vec<[usize; PARTS]> = runs
        .par_iter()
        .map(|run| {
            let mut count = [0usize; PARTS];
            for &k in run.iter().flat_map(|s| s.as_ref()) {
                count[(k >> 24) as usize] += 1;
            }
            count
        })
        .collect();
    let sizes: Vec<usize> = counts.iter().map(|c| c.iter().sum()).collect();
    let mut buffer = vec![0u32; sizes.iter().sum()];
    let mut stretches: Vec<&mut [u32]> = Vec::with_capacity(runs.len());
    let mut rest = &mut buffer[..];
    for &size in &sizes {
        let (stretch, after) = rest.split_at_mut(size);
        stretches.push(stretch);
        rest = after;
    }
    stretches
        .par_iter_mut()
        .zip(&runs)
        .zip(&counts)
        .for_each(|((stretch, run), count)| {
            let mut at = [0usize; PARTS];
            let mut sum = 0;
            for (a, &c) in at.iter_mut().zip(count) {
                *a = sum;
                sum += c;
            }
            for &k in run.iter().flat_map(|s| s.as_ref()) {
                let p = (k >> 24) as usize;
                stretch[at[p]] = k;
                at[p] += 1;
            }
        });
    // Where part `p` lies in each run's stretch.
    let mut pieces: Vec<Vec<&[u32]>> = (0..PARTS).map(|_| Vec::with_capacity(runs.len())).collect();
    for (stretch, count) in stretches.iter().zip(&counts) {
        let mut from = 0;
        for (p, &c) in count.iter().enumerate() {
            pieces[p].push(&stretch[from..from + c]);
            from += c;
        }
    }
    pieces
        .par_iter()
        .map_init(Vec::new, |counts, part| {
            frequent_in_part(part, limit, counts)
        })
        .flatten_iter()
        .collect()
}

/// The keys (sorted) found more than `limit` times in `pieces`, whose keys
/// share their top byte. Keys are first counted by their low bits in
/// `counts`, about one key per counter: a key found more than `limit`
/// times has a counter above `limit`, so only keys with such a counter
/// (the frequent ones, and the few that share a counter with them or
/// crowd one by chance) are sorted and counted exactly.
fn frequent_in_part(pieces: &[&[u32]], limit: f64, counts: &mut Vec<u32>) -> Vec<u32> {
    let keys = || pieces.iter().flat_map(|p| p.iter().copied());
    let n: usize = pieces.iter().map(|p| p.len()).sum();
    let size = n.next_power_of_two().clamp(256, 1 << 16);
    let mask = size as u32 - 1;
    counts.clear();
    counts.resize(size, 0);
    for k in keys() {
        counts[(k & mask) as usize] += 1;
    }
    let mut candidates: Vec<u32> = keys()
        .filter(|&k| counts[(k & mask) as usize] as f64 > limit)
        .collect();
    candidates.sort_unstable();
    candidates
        .chunk_by(|x, y| x == y)
        .filter(|same| same.len() as f64 > limit)
        .map(|same| same[0])
        .collect()
}

/// A set of shingle keys (the boilerplate of a scan) with a bitmap in
/// front: a key is looked up in a bitmap of about 128 bits per member, small
/// enough to stay in cache, and only on a hit in a table of the keys. Cutting a
/// document's set against it costs a cache hit per shingle, not the sketch's
/// cache miss.
#[derive(Debug, Clone, Default)]
pub struct KeySet {
    keys: Vec<u32>,
    bits: Vec<u64>,
    shift: u32,
    /// The keys again, in an open-addressing table of twice their number
    /// or more (a power of two; linear probing): where a bitmap hit is
    /// confirmed or refuted, in about one probe instead of a binary search.
    table: Vec<u32>,
    /// Which slots of `table` hold a key.
    filled: Vec<u64>,
    /// The keys once more, in two tables of equal size side by side
    /// (cuckoo hashing): key `k` sits at slot `h1(k)` of the first or
    /// `h2(k)` of the second, so that a lookup is two loads and two
    /// compares with no branch, sixteen keys at a time with AVX-512
    /// gathers. Empty slots hold `vacant`, a value not in the set. Empty
    /// when the keys could not be placed (never seen with hash keys).
    cuckoo: Vec<u32>,
    cuckoo_shift: u32,
    vacant: u32,
}

/// Multipliers of the two cuckoo tables' slots.
const CUCKOO: [u32; 2] = [0x9E37_79B1, 0x85EB_CA6B];

/// Slot of `k` in cuckoo table `side` of `2^(32 - shift)` slots.
#[inline(always)]
fn cuckoo_slot(k: u32, side: usize, shift: u32) -> usize {
    (k.wrapping_mul(CUCKOO[side]) >> shift) as usize
}

/// Two-choice tables holding `keys` (sorted, distinct), each at most a
/// quarter full, doubled until every key finds a place; `None` past 2^24
/// slots per table (keys that are not hashes, in numbers no scan cuts).
fn cuckoo_tables(keys: &[u32]) -> Option<(Vec<u32>, u32, u32)> {
    // The smallest value not in `keys` marks empty slots.
    let mut vacant = 0u32;
    for &k in keys {
        if k == vacant {
            vacant = vacant.checked_add(1)?;
        } else if k > vacant {
            break;
        }
    }
    let mut size = (keys.len() * 2).next_power_of_two().max(16);
    'grow: while size <= 1 << 24 {
        let shift = 32 - size.trailing_zeros();
        let mut t = vec![vacant; 2 * size];
        for &key in keys {
            let (mut k, mut side) = (key, 0);
            let mut placed = false;
            for _ in 0..64 {
                let i = side * size + cuckoo_slot(k, side, shift);
                std::mem::swap(&mut t[i], &mut k);
                if k == vacant {
                    placed = true;
                    break;
                }
                // `k` was pushed out of its slot: its other slot next.
                side ^= 1;
            }
            if !placed {
                size *= 2;
                continue 'grow;
            }
        }
        return Some((t, shift, vacant));
    }
    None
}

impl KeySet {
    /// The set of `keys` (any order, repeats allowed).
    pub fn new(mut keys: Vec<u32>) -> KeySet {
        keys.sort_unstable();
        keys.dedup();
        // About 128 bits per key (a false hit for 1 key in 100 or more),
        // while the map fits in 1 MiB; past that, no fewer than 32.
        let want = (keys.len() * 128).next_power_of_two();
        let floor = (keys.len() * 32).next_power_of_two();
        let nbits = want.min(floor.max(1 << 23)).clamp(1 << 12, 1 << 30);
        let shift = 32 - nbits.trailing_zeros();
        let mut bits = vec![0u64; nbits / 64];
        for &k in &keys {
            let i = Self::slot(k, shift);
            bits[i / 64] |= 1 << (i % 64);
        }
        let size = (keys.len() * 2).next_power_of_two().max(64);
        let mut table = vec![0u32; size];
        let mut filled = vec![0u64; size / 64];
        for &k in &keys {
            let mut j = Self::table_slot(k, size);
            while filled[j / 64] >> (j % 64) & 1 == 1 {
                j = (j + 1) & (size - 1);
            }
            table[j] = k;
            filled[j / 64] |= 1 << (j % 64);
        }
        let (cuckoo, cuckoo_shift, vacant) = cuckoo_tables(&keys).unwrap_or_default();
        KeySet {
            keys,
            bits,
            shift,
            table,
            filled,
            cuckoo,
            cuckoo_shift,
            vacant,
        }
    }

    #[inline(always)]
    fn table_slot(k: u32, size: usize) -> usize {
        // A multiplier other than the bitmap's, so that keys sharing a
        // bitmap bit do not also share a table slot.
        ((k.wrapping_mul(0x85EB_CA6B) as u64 * size as u64) >> 32) as usize
    }

    #[inline(always)]
    fn slot(k: u32, shift: u32) -> usize {
        (k.wrapping_mul(0x9E37_79B1) >> shift) as usize
    }

    /// Number of keys.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Whether `k` is in the set.
    #[inline]
    pub fn contains(&self, k: u32) -> bool {
        if self.keys.is_empty() {
            return false;
        }
        let i = Self::slot(k, self.shift);
        if self.bits[i / 64] >> (i % 64) & 1 == 0 {
            return false;
        }
        self.in_table(k)
    }

    /// Whether `k` is in the open-addressing table (the exact check behind
    /// a bitmap hit).
    #[inline]
    fn in_table(&self, k: u32) -> bool {
        let size = self.table.len();
        let mut j = Self::table_slot(k, size);
        while self.filled[j / 64] >> (j % 64) & 1 == 1 {
            if self.table[j] == k {
                return true;
            }
            j = (j + 1) & (size - 1);
        }
        false
    }

    /// The rank of `k` among the keys (sorted), when it is in the set.
    #[inline]
    pub fn position(&self, k: u32) -> Option<usize> {
        if self.keys.is_empty() {
            return None;
        }
        let i = Self::slot(k, self.shift);
        if self.bits[i / 64] >> (i % 64) & 1 == 0 {
            return None;
        }
        self.keys.binary_search(&k).ok()
    }

    /// The keys, sorted.
    pub fn keys(&self) -> &[u32] {
        &self.keys
    }

    /// Appends to `out` the keys of `set` that are members of this set, in
    /// the order of `set`.
    pub fn members_of(&self, set: &[u32], out: &mut Vec<u32>) {
        if self.keys.is_empty() {
            return;
        }
        #[cfg(target_arch = "x86_64")]
        if !self.cuckoo.is_empty() && crate::cpu::avx512f() {
            // SAFETY: the CPU has AVX-512 F (checked just above).
            unsafe { self.members_x16(set, out) };
            return;
        }
        // Groups of eight keys through the bitmap, the rest one by one.
        let (groups, rest) = set.split_at(set.len() - set.len() % 8);
        #[cfg(target_arch = "x86_64")]
        if std::is_x86_feature_detected!("avx2") {
            // SAFETY: AVX2 was just detected.
            unsafe { self.groups_avx2(groups, out) };
        } else {
            self.groups_scalar(groups, out);
        }
        #[cfg(not(target_arch = "x86_64"))]
        self.groups_scalar(groups, out);
        out.extend(rest.iter().copied().filter(|&k| self.contains(k)));
    }

    /// [`members_of`](Self::members_of) of `set` (a multiple of eight keys)
    /// with eight bitmap probes per AVX2 instruction: the slots multiplied
    /// and shifted in one register, the bitmap's 32-bit words gathered, the
    /// bits tested together.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn groups_avx2(&self, set: &[u32], out: &mut Vec<u32>) {
        use std::arch::x86_64::*;
        let mul = _mm256_set1_epi32(0x9E37_79B1_u32 as i32);
        let shift = _mm_cvtsi32_si128(self.shift as i32);
        let low5 = _mm256_set1_epi32(31);
        let one = _mm256_set1_epi32(1);
        // The bitmap as little-endian 32-bit words: bit `i` of the map is
        // bit `i % 32` of word `i / 32`, as in the 64-bit words.
        let words = self.bits.as_ptr() as *const i32;
        for group in set.chunks_exact(8) {
            // SAFETY: `group` holds 8 keys (an unaligned 32-byte load);
            // every slot is below the bitmap's bit count (the shift keeps
            // `32 - shift` bits), so every gathered word is in `bits`.
            let hit = unsafe {
                let k = _mm256_loadu_si256(group.as_ptr() as *const __m256i);
                let slot = _mm256_srl_epi32(_mm256_mullo_epi32(k, mul), shift);
                let w = _mm256_i32gather_epi32::<4>(words, _mm256_srli_epi32::<5>(slot));
                let bit = _mm256_srlv_epi32(w, _mm256_and_si256(slot, low5));
                _mm256_and_si256(bit, one)
            };
            // Lanes whose bit is set (a member, or a rare false hit) are
            // confirmed in the table.
            let mut lanes = _mm256_movemask_ps(_mm256_castsi256_ps(_mm256_cmpeq_epi32(hit, one)));
            while lanes != 0 {
                let k = group[lanes.trailing_zeros() as usize];
                lanes &= lanes - 1;
                if self.in_table(k) {
                    out.push(k);
                }
            }
        }
    }

    /// [`members_of`](Self::members_of) sixteen keys at a time through the
    /// cuckoo tables: both slots of each key gathered and compared, the
    /// members compressed out in order. No branch but the loop's.
    ///
    /// # Safety
    /// The CPU must support AVX-512 F, and `cuckoo` must not be empty.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f")]
    unsafe fn members_x16(&self, set: &[u32], out: &mut Vec<u32>) {
        use std::arch::x86_64::*;
        let size = self.cuckoo.len() / 2;
        let first = self.cuckoo.as_ptr() as *const i32;
        // SAFETY: the second table starts `size` entries in.
        let second = unsafe { first.add(size) };
        let shift = _mm_cvtsi32_si128(self.cuckoo_shift as i32);
        let mul = [0, 1].map(|side| _mm512_set1_epi32(CUCKOO[side] as i32));
        let vacant = _mm512_set1_epi32(self.vacant as i32);
        let mut found = [0u32; 16];
        for chunk in set.chunks(16) {
            let live = (u32::MAX >> (32 - chunk.len())) as __mmask16;
            // SAFETY: lanes past `chunk` are masked off the load; every
            // slot index is below `size` (the shift keeps log2(size)
            // bits), so each gather stays in its table; `found` holds 16.
            let count = unsafe {
                let k = _mm512_maskz_loadu_epi32(live, chunk.as_ptr() as *const i32);
                let slot = |side: usize| _mm512_srl_epi32(_mm512_mullo_epi32(k, mul[side]), shift);
                let a = _mm512_i32gather_epi32::<4>(slot(0), first);
                let b = _mm512_i32gather_epi32::<4>(slot(1), second);
                let hit = (_mm512_cmpeq_epi32_mask(a, k) | _mm512_cmpeq_epi32_mask(b, k))
                    & _mm512_cmpneq_epi32_mask(k, vacant)
                    & live;
                let members = _mm512_maskz_compress_epi32(hit, k);
                _mm512_storeu_si512(found.as_mut_ptr() as *mut __m512i, members);
                hit.count_ones() as usize
            };
            // Most blocks hold no member.
            if count > 0 {
                out.extend_from_slice(&found[..count]);
            }
        }
    }

    /// [`members_of`](Self::members_of) of `set` (a multiple of eight keys)
    /// without SIMD.
    fn groups_scalar(&self, set: &[u32], out: &mut Vec<u32>) {
        // Eight bitmap probes at a time with no branch between them; only
        // a group with a set bit (rare: a member, or a false hit) is
        // looked at key by key.
        let bit = |k: u32| {
            let i = Self::slot(k, self.shift);
            self.bits[i / 64] >> (i % 64) & 1
        };
        for group in set.chunks_exact(8) {
            if group.iter().fold(0, |any, &k| any | bit(k)) != 0 {
                out.extend(group.iter().copied().filter(|&k| self.contains(k)));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cuckoo_lookups_find_exactly_the_members() {
        let mut next = crate::testutil::lcg(21);
        for n in [1usize, 2, 15, 16, 17, 723, 5000, 70_000] {
            // Hash keys, plus 0 and 1 for some sizes (the value marking
            // empty slots is then 2 or more).
            let mut keys: Vec<u32> = (0..n).map(|_| (next() >> 32) as u32).collect();
            if n % 2 == 1 {
                keys.extend([0, 1]);
            }
            let set = KeySet::new(keys.clone());
            assert!(!set.cuckoo.is_empty(), "{n} keys placed");
            assert!(set.keys().binary_search(&set.vacant).is_err());
            // Members, non-members, and the empty-slot value itself, at
            // every position of a 16-key block and in a short tail.
            for len in [1usize, 5, 16, 33, 640] {
                let doc: Vec<u32> = (0..len)
                    .map(|i| match next() % 4 {
                        0 => keys[(next() >> 40) as usize % keys.len()],
                        1 if i % 7 == 0 => set.vacant,
                        _ => (next() >> 32) as u32,
                    })
                    .collect();
                let want: Vec<u32> = doc
                    .iter()
                    .copied()
                    .filter(|k| set.keys().binary_search(k).is_ok())
                    .collect();
                let mut gone = vec![42];
                set.members_of(&doc, &mut gone);
                assert_eq!(gone[0], 42, "appends");
                assert_eq!(gone[1..], want, "{n} keys, {len} probes");
            }
        }
    }

    #[test]
    fn key_set_membership() {
        let keys: Vec<u32> = (0..5000u32)
            .map(|i| i.wrapping_mul(2_654_435_761))
            .collect();
        let set = KeySet::new(
            keys.iter()
                .rev()
                .copied()
                .chain(keys.iter().copied())
                .collect(),
        );
        assert_eq!(set.len(), 5000);
        assert!(keys.iter().all(|&k| set.contains(k)));
        let absent = (0..100_000u32)
            .map(|i| i.wrapping_mul(2_654_435_761) ^ 1)
            .filter(|k| keys.binary_search(k).is_err());
        let mut sorted = keys.clone();
        sorted.sort_unstable();
        assert!(absent
            .filter(|k| sorted.binary_search(k).is_err())
            .all(|k| !set.contains(k)));
        let doc = vec![keys[0], 7, keys[1], 9];
        let mut gone = Vec::new();
        set.members_of(&doc, &mut gone);
        assert_eq!(gone, vec![keys[0], keys[1]]);
        assert!(!KeySet::default().contains(3));
        // Long sets (groups of eight and a remainder), members anywhere.
        let mut next = crate::testutil::lcg(9);
        for len in [8, 15, 16, 17, 640] {
            let doc: Vec<u32> = (0..len)
                .map(|_| {
                    let r = next();
                    if r.is_multiple_of(5) {
                        keys[(r >> 40) as usize % keys.len()]
                    } else {
                        (r >> 32) as u32
                    }
                })
                .collect();
            let mut gone = Vec::new();
            set.members_of(&doc, &mut gone);
            let want: Vec<u32> = doc
                .iter()
                .copied()
                .filter(|k| sorted.binary_search(k).is_ok())
                .collect();
            assert_eq!(gone, want, "{len}");
            // The other paths too (the dispatch takes the fastest the CPU
            // has).
            let whole = len - len % 8;
            let rest = |gone: &mut Vec<u32>| {
                gone.extend(doc[whole..].iter().copied().filter(|&k| set.contains(k)))
            };
            gone.clear();
            set.groups_scalar(&doc[..whole], &mut gone);
            rest(&mut gone);
            assert_eq!(gone, want, "scalar {len}");
            #[cfg(target_arch = "x86_64")]
            if std::is_x86_feature_detected!("avx2") {
                gone.clear();
                // SAFETY: AVX2 was just detected.
                unsafe { set.groups_avx2(&doc[..whole], &mut gone) };
                rest(&mut gone);
                assert_eq!(gone, want, "avx2 {len}");
            }
            assert!(want
                .iter()
                .all(|&k| set.position(k) == sorted.binary_search(&k).ok()));
        }
    }

    #[test]
    fn frequent_keys_counts_exactly() {
        let mut next = crate::testutil::lcg(11);
        let mut keys = Vec::new();
        let mut want: std::collections::BTreeMap<u32, usize> = Default::default();
        for _ in 0..300_000 {
            // A skewed draw: some keys very common, most rare, some sharing
            // their top 16 bits.
            let r = (next() >> 33) as u32;
            let k = match r % 10 {
                0 => r % 50,
                1 => 0xABCD_0000 | (r % 300),
                _ => r.wrapping_mul(2_654_435_761),
            };
            keys.push(k);
            *want.entry(k).or_default() += 1;
        }
        for limit in [0.0, 1.0, 2.5, 40.0, 1000.0] {
            let expect: Vec<u32> = want
                .iter()
                .filter(|&(_, &n)| n as f64 > limit)
                .map(|(&k, _)| k)
                .collect();
            assert_eq!(frequent_keys(keys.clone(), limit), expect, "{limit}");
        }
        assert!(frequent_keys(Vec::new(), 0.0).is_empty());
    }

    #[test]
    fn never_undercounts_and_is_tight_when_sparse() {
        let mut s = DfSketch::with_width_bits(16);
        for d in 0..100u64 {
            let mut set: Vec<u64> = (0..50).map(|i| d * 1000 + i).collect();
            set.push(u64::MAX); // in every document
            s.add_set(&set);
        }
        assert!(s.estimate(u64::MAX) >= 100);
        let over = (0..100u64).filter(|d| s.estimate(d * 1000) > 1).count();
        assert!(over < 3, "{over}");
    }
}
