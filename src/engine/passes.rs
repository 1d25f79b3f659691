//! The passes of a scan after reading, each a function of what the
//! previous ones produced: ids ordered, LSH candidates, batches of candidate
//! components, copy groups and the boilerplate they define, verification
//! and clustering per batch, and the assembled clusters.
//!
//! [`Scan::finish`](super::Scan::finish) runs them in order; the index
//! writer runs the same passes on each commit's documents.

use std::borrow::Cow;

use rayon::prelude::*;

use super::{Cluster, DocInfo, Pair, ScanStats};
use crate::boilerplate::{frequent_keys_in, KeySet};
use crate::cluster::{cluster, Clustering, Edge, Group, Scored, UnionFind};
use crate::config::Config;
use crate::figures::CutSet;
use crate::lsh::{candidate_pairs_screened, Rough};
use crate::store::{LoadedSets, SetStore};
use crate::verify::{intersection_at_least, intersection_size, similarity, Similarity};

mod tiles;
pub(crate) use tiles::Tiling;

/// Containment (on raw shingle sets) above which two documents count as one
/// for the boilerplate document frequency.
pub const COPY_GROUP_CONTAINMENT: f64 = 0.7;

/// The estimated (raw-set) Jaccard below which a candidate is dropped
/// without an exact comparison: half the smallest Jaccard the decision rule
/// accepts (0.05 at the defaults), about 2.7 standard deviations of the
/// estimate below it at 128 permutations. On the labeled sets it changes no
/// verdict and removes two thirds of the candidates at 100k documents. Boilerplate makes raw sets less similar
/// than cut ones only for tiny stories inside large frames, which the rule's
/// size guard excludes anyway.
pub(crate) fn candidate_floor(cfg: &Config) -> f64 {
    cfg.containment_min_jaccard().min(cfg.threshold()) / 2.0
}

/// Standard deviations of the signature agreement below the smallest
/// agreement a pair that a rule accepts would give, under which
/// [`could_intersect`] drops the pair.
pub(crate) const SCREEN_SIGMAS: f64 = 4.0;

/// Whether two documents whose signatures agree in `matches` of `perms`
/// slots, with raw shingle sets of `size_a` and `size_b` keys, could share
/// `need` keys or more: the screen behind [`could_be_copies`] and
/// [`could_be_duplicates`].
///
/// Sets with an intersection of `i` keys have Jaccard
/// `i / (size_a + size_b - i)`, which grows with `i`; so sets sharing at least `need` keys have
/// Jaccard at least `j = need / (size_a + size_b - need)`, and their
/// signatures agree in a number of slots distributed as Binomial(`perms`,
/// `J`) with `J >= j` (one-permutation hashing with optimal densification
/// has the variance of classic MinHash once a set has a few shingles per
/// bin; see [`crate::minhash`]). The pair is dropped when `matches` is more
/// than [`SCREEN_SIGMAS`] standard deviations of that binomial below its
/// mean `perms * j`: a pair that does share `need` keys is dropped with
/// probability below 3.2e-5 (the normal tail at 4 sigmas; the binomial's
/// lower tail is lighter still when `j` is small). A pair with fewer
/// than `need` keys in its smaller set is dropped without statistics.
/// Sets smaller than `perms` keys (densified signatures whose slots copy
/// each other, where the binomial does not hold) are never dropped on
/// statistics.
pub(crate) fn could_intersect(
    matches: u32,
    perms: usize,
    size_a: usize,
    size_b: usize,
    need: f64,
) -> bool {
    let small = size_a.min(size_b);
    // A hair below the bound, for the rounding of the rule's products.
    let need = need * (1.0 - 1e-9);
    if need > small as f64 {
        return false;
    }
    if small < perms || need <= 0.0 {
        return true;
    }
    let j = (need / ((size_a + size_b) as f64 - need)).clamp(0.0, 1.0);
    let k = perms as f64;
    matches as f64 >= k * j - SCREEN_SIGMAS * (k * j * (1.0 - j)).sqrt()
}

/// Whether the passes after LSH screen the candidates on their signatures
/// ([`could_be_copies`], [`could_be_duplicates`]): not in exact mode
/// (every pair is compared), nor past 255 permutations (the agreements are
/// kept as bytes).
pub(crate) fn screens_after_lsh(cfg: &Config) -> bool {
    !cfg.exact() && cfg.perms() <= u8::MAX as usize
}

/// The number of slots where two signatures agree (what
/// [`crate::minhash::estimate_jaccard`] divides by their length).
pub(crate) fn agreement(a: &[u32], b: &[u32]) -> u32 {
    a.iter().zip(b).map(|(x, y)| (x == y) as u32).sum()
}

/// Whether a candidate pair whose signatures agree in `matches` slots, with
/// raw sets of `size_a` and `size_b` keys, could be near-verbatim copies
/// ([`is_near_copy_by`]: raw containment at least
/// [`COPY_GROUP_CONTAINMENT`], both sets of at least
/// [`Config::min_containment_shingles`] keys). The rule is on the raw sets,
/// which the signatures are of: the screen is [`could_intersect`] of
/// `COPY_GROUP_CONTAINMENT * min(size_a, size_b)` keys, exact on the size
/// guard. The copy-group pass counts the intersections of these pairs only.
pub(crate) fn could_be_copies(cfg: &Config, matches: u32, size_a: usize, size_b: usize) -> bool {
    could_be_copies_signed_cut(cfg, matches, (size_a, size_b), (size_a, size_b))
}

/// [`could_be_copies`] when the signatures are of the sets less some keys
/// (an index signs its documents' sets less the boilerplate known when they
/// are added): `size_a` and `size_b` are the raw sets' sizes, `cut_a` and
/// `cut_b` those of the signed sets. Removing at most `size_a - cut_a`
/// keys from one set and `size_b - cut_b` from the other removes at most
/// the smaller of the two from their intersection, so raw sets sharing
/// `COPY_GROUP_CONTAINMENT * min(size_a, size_b)` keys have signed sets
/// sharing that many less the smaller removal: the screen is
/// [`could_intersect`] of that on the signed sets. With nothing removed it
/// is [`could_be_copies`].
pub(crate) fn could_be_copies_signed_cut(
    cfg: &Config,
    matches: u32,
    (size_a, size_b): (usize, usize),
    (cut_a, cut_b): (usize, usize),
) -> bool {
    let small = size_a.min(size_b);
    let removed = (size_a - cut_a).min(size_b - cut_b);
    small >= cfg.min_containment_shingles()
        && could_intersect(
            matches,
            cfg.perms(),
            cut_a,
            cut_b,
            COPY_GROUP_CONTAINMENT * small as f64 - removed as f64,
        )
}

/// The smallest intersection two *cut* sets of `cut_a` and `cut_b` keys
/// need for the decision rule ([`Config::is_duplicate`]) to accept them:
/// Jaccard `t` takes `t (cut_a + cut_b) / (1 + t)` keys; the containment
/// rule (when both sets pass its size guard) takes the larger of
/// `containment * min(cut_a, cut_b)` and what its Jaccard floor `c` takes,
/// `c (cut_a + cut_b) / (1 + c)`. The rule accepts a pair only if its cut
/// intersection is at least the smaller of the two.
///
/// The figures rule ([`crate::figures`]) is left out on purpose: it only
/// ever refuses a pair the set rule accepts, never accepts one it refuses,
/// so a pair below this need is refused with or without it, and the
/// screens built on it ([`could_be_duplicates`]) drop no pair the full
/// rule would keep.
pub(crate) fn duplicate_need(cfg: &Config, cut_a: usize, cut_b: usize) -> f64 {
    let sum = (cut_a + cut_b) as f64;
    let small = cut_a.min(cut_b);
    let t = cfg.threshold();
    let by_jaccard = t * sum / (1.0 + t);
    if small < cfg.min_containment_shingles() {
        return by_jaccard;
    }
    let c = cfg.containment_min_jaccard();
    let by_containment = (cfg.containment() * small as f64).max(c * sum / (1.0 + c));
    by_jaccard.min(by_containment)
}

/// Whether a candidate pair could pass the decision rule once the
/// boilerplate is cut: its signatures (of the raw sets) agree in `matches`
/// slots, its raw sets have `size_a` and `size_b` keys, its cut sets
/// `cut_a` and `cut_b` (each document's raw size less its own boilerplate
/// keys, known exactly once the boilerplate is).
///
/// The cut removes keys from each set, so the cut intersection is never
/// larger than the raw one (a key both cut sets hold, both raw sets hold):
/// that is the one direction the cut moves a pair that the screen relies
/// on. It makes no assumption on how much of a document the cut removes,
/// nor on whether the other document holds the same boilerplate (a
/// story under two outlets' different frames is *more* similar cut than
/// raw, and kept). The rule needs a cut intersection of at least
/// [`duplicate_need`] keys of the cut sizes, so the raw intersection needs
/// as many: [`could_intersect`] of that on the raw signatures.
pub(crate) fn could_be_duplicates(
    cfg: &Config,
    matches: u32,
    (size_a, size_b): (usize, usize),
    (cut_a, cut_b): (usize, usize),
) -> bool {
    could_intersect(
        matches,
        cfg.perms(),
        size_a,
        size_b,
        duplicate_need(cfg, cut_a, cut_b),
    )
}

/// An intersection "below what was needed": what [`raw_intersections`] and
/// the tiled count give for a pair whose sets share fewer keys than the
/// pair needed (the count stopped early, see [`intersection_at_least`]).
pub(crate) const BELOW: u32 = u32::MAX;

/// The fewest keys an intersection can hold and still reach `need` (a
/// bound computed in floating point, as the rules compare): a hair below
/// it, rounded up, so that the rules' own rounding never loses a pair.
pub(crate) fn need_keys(need: f64) -> usize {
    (need * (1.0 - 1e-9)).ceil().max(0.0) as usize
}

/// The fewest raw keys two sets of `size_a` and `size_b` keys share when
/// they are near copies ([`is_near_copy_by`]; `usize::MAX` when the size
/// guard rules them out): the copy-group pass stops counting below it.
pub(crate) fn copy_need(cfg: &Config, size_a: usize, size_b: usize) -> usize {
    let small = size_a.min(size_b);
    if small < cfg.min_containment_shingles() {
        return usize::MAX;
    }
    need_keys(COPY_GROUP_CONTAINMENT * small as f64)
}

/// The fewest raw keys two documents whose cut sets have `cut_a` and
/// `cut_b` keys share when the decision rule accepts them: the cut
/// intersection is never larger than the raw one (see
/// [`could_be_duplicates`]), so the raw sets share at least
/// [`duplicate_need`] keys. Verification stops counting below it.
pub(crate) fn verify_need(cfg: &Config, cut_a: usize, cut_b: usize) -> usize {
    need_keys(duplicate_need(cfg, cut_a, cut_b))
}

/// A signature slot folded to a byte (its four bytes xor-ed together): two
/// equal slots give equal bytes, so two signatures' bytes agree in at least
/// as many slots as the signatures do ([`byte_agreement`] bounds
/// [`agreement`] from above).
pub(crate) fn slot_byte(v: u32) -> u8 {
    let v = v ^ (v >> 16);
    (v ^ (v >> 8)) as u8
}

/// The number of positions where two byte rows agree.
pub(crate) fn byte_agreement(a: &[u8], b: &[u8]) -> u32 {
    a.iter().zip(b).map(|(x, y)| (x == y) as u32).sum()
}

/// Whether two raw shingle sets are near-verbatim copies for the boilerplate
/// count: containment at least [`COPY_GROUP_CONTAINMENT`], both large enough
/// for the containment rule.
pub fn is_near_copy<T: Ord + Copy + 'static>(a: &[T], b: &[T], cfg: &Config) -> bool {
    is_near_copy_by(&similarity(a, b), cfg)
}

/// [`is_near_copy`] from the similarity of the raw sets.
pub(crate) fn is_near_copy_by(s: &Similarity, cfg: &Config) -> bool {
    s.containment >= COPY_GROUP_CONTAINMENT
        && s.size_a.min(s.size_b) >= cfg.min_containment_shingles()
}

/// Groups near-verbatim copies: the connected components of the `copies`
/// pairs (containment >= [`COPY_GROUP_CONTAINMENT`] on the raw shingle
/// sets, among the LSH candidates). Returns the group of each of the `n`
/// documents, groups numbered in order of their first document, and the
/// number of groups. The index writer groups each commit's new documents
/// with it too.
pub(crate) fn copy_groups(n: usize, copies: impl Iterator<Item = (u32, u32)>) -> (Vec<u32>, usize) {
    let mut uf = UnionFind::new(n);
    for (a, b) in copies {
        uf.union(a, b);
    }
    let mut id = vec![u32::MAX; n];
    let mut next = 0u32;
    let mut groups = vec![0u32; n];
    for (d, g) in groups.iter_mut().enumerate() {
        let r = uf.find(d as u32) as usize;
        if id[r] == u32::MAX {
            id[r] = next;
            next += 1;
        }
        *g = id[r];
    }
    (groups, next as usize)
}

/// Documents per batch of candidate components (a larger component is a
/// batch of its own).
const BATCH_DOCS: usize = 4096;

/// The connected components of the candidate graph that have a pair, cut
/// into batches of about [`BATCH_DOCS`] documents, each with its members
/// (sorted) and its candidate pairs (sorted).
pub(crate) struct Batches {
    members: Vec<Vec<u32>>,
    pairs: Vec<Vec<(u32, u32)>>,
    /// How batches whose sets take more than a block are read (see
    /// [`tiles`]); none: every batch is loaded whole.
    tiling: Option<Tiling>,
    /// Whether batch `b` is tiled.
    oversized: Vec<bool>,
    /// The batch of each paired document (`u32::MAX` for the others).
    batch_of: Vec<u32>,
}

impl Batches {
    pub(crate) fn new(n: usize, candidates: &[(u32, u32)]) -> Batches {
        let mut uf = UnionFind::new(n);
        for &(a, b) in candidates {
            uf.union(a, b);
        }
        const NONE: u32 = u32::MAX;
        const PAIRED: u32 = u32::MAX - 1;
        // Each paired document's root (its component's smallest document),
        // and each component's size, by root.
        let mut root = vec![NONE; n];
        for &(a, b) in candidates {
            root[a as usize] = PAIRED;
            root[b as usize] = PAIRED;
        }
        let mut size = vec![0u32; n];
        for d in 0..n as u32 {
            if root[d as usize] == PAIRED {
                let r = uf.find(d);
                root[d as usize] = r;
                size[r as usize] += 1;
            }
        }
        // Components in order of their root fill batches in turn.
        let mut batch_of_root = vec![NONE; n];
        let mut filled: Vec<usize> = Vec::new();
        for d in 0..n {
            if root[d] == d as u32 {
                let docs = size[d] as usize;
                if filled.last().is_none_or(|&f| f + docs > BATCH_DOCS) {
                    filled.push(0);
                }
                *filled.last_mut().expect("pushed") += docs;
                batch_of_root[d] = filled.len() as u32 - 1;
            }
        }
        // Members in document order: each batch's list comes out sorted.
        let mut members: Vec<Vec<u32>> = filled.iter().map(|&f| Vec::with_capacity(f)).collect();
        for (d, &r) in root.iter().enumerate() {
            if r != NONE {
                members[batch_of_root[r as usize] as usize].push(d as u32);
            }
        }
        let batch_of: Vec<u32> = root
            .iter()
            .map(|&r| {
                if r == NONE {
                    NONE
                } else {
                    batch_of_root[r as usize]
                }
            })
            .collect();
        let mut pairs: Vec<Vec<(u32, u32)>> = vec![Vec::new(); members.len()];
        for &(a, b) in candidates {
            pairs[batch_of[a as usize] as usize].push((a, b));
        }
        let oversized = vec![false; members.len()];
        Batches {
            members,
            pairs,
            tiling: None,
            oversized,
            batch_of,
        }
    }

    /// `values` (one per pair of the `candidates` these batches were made
    /// of, in their order) by batch, each batch's in the order of its
    /// pairs.
    pub(crate) fn spread<T: Copy>(&self, candidates: &[(u32, u32)], values: &[T]) -> Vec<Vec<T>> {
        let mut out: Vec<Vec<T>> = self
            .pairs
            .iter()
            .map(|p| Vec::with_capacity(p.len()))
            .collect();
        for (&(a, _), &v) in candidates.iter().zip(values) {
            out[self.batch_of[a as usize] as usize].push(v);
        }
        out
    }

    /// These batches, those whose sets take more than `tiling.block` bytes
    /// verified and clustered a block of sets at a time (see [`tiles`]):
    /// same results, bounded memory.
    pub(crate) fn tiled(mut self, tiling: Tiling) -> Batches {
        self.oversized = self.members.iter().map(|m| tiling.oversized(m)).collect();
        self.tiling = Some(tiling);
        self
    }

    /// The tiling of batch `b`, when it is oversized.
    fn tiling_of(&self, b: usize) -> Option<&Tiling> {
        self.tiling.as_ref().filter(|_| self.oversized[b])
    }

    fn len(&self) -> usize {
        self.members.len()
    }

    fn get(&self, b: usize) -> (&[u32], &[(u32, u32)]) {
        (&self.members[b], &self.pairs[b])
    }
}

/// A batch's sets as a pass's `load` gives them: the `i`-th set asked
/// for. Owned or borrowed sets one by one (`Vec<Cow<[u32]>>`), or the sets
/// of a spilled store read into one buffer ([`LoadedSets`]), without an
/// allocation and a copy per set.
pub(crate) trait Loaded: Sync {
    /// The `i`-th set asked for.
    fn set(&self, i: usize) -> &[u32];
    /// How many sets were asked for.
    fn count(&self) -> usize;
}

impl Loaded for Vec<Cow<'_, [u32]>> {
    #[inline]
    fn set(&self, i: usize) -> &[u32] {
        &self[i]
    }
    fn count(&self) -> usize {
        self.len()
    }
}

impl Loaded for LoadedSets<'_, u32> {
    #[inline]
    fn set(&self, i: usize) -> &[u32] {
        self.get(i)
    }
    fn count(&self) -> usize {
        self.len()
    }
}

/// Buffers for sets read back from a spilled store ([`SetStore::read_together_in`]),
/// handed from one load to the next so that a pass over many blocks does
/// not map and clear fresh memory for each.
///
/// [`SetStore::read_together_in`]: crate::store::SetStore::read_together_in
#[derive(Default)]
pub(crate) struct BufferPool(std::sync::Mutex<Vec<Vec<u32>>>);

/// Most buffers a [`BufferPool`] keeps (a tile holds two blocks at once).
const POOLED: usize = 2;

impl BufferPool {
    /// The sets of `slots` (store slots) of `store`, read into a pooled
    /// buffer when they are read back.
    pub(crate) fn load<'a>(&'a self, store: &'a SetStore, slots: &[u32]) -> Pooled<'a> {
        if !store.spilled() {
            // Held sets are borrowed one by one: nothing to read or pool.
            return Pooled {
                sets: Some(Sets::Held(store.load(slots))),
                pool: self,
            };
        }
        let buf = self.0.lock().map(|mut b| b.pop()).unwrap_or(None);
        Pooled {
            sets: Some(Sets::Read(
                store.read_together_in(slots, buf.unwrap_or_default()),
            )),
            pool: self,
        }
    }

    /// Frees the buffers kept (between passes: the memory budget counts
    /// what a pass loads, not what the last one left).
    pub(crate) fn clear(&self) {
        if let Ok(mut b) = self.0.lock() {
            b.clear();
        }
    }
}

/// Sets loaded by a [`BufferPool`]; their buffer goes back to it when they
/// are dropped.
pub(crate) struct Pooled<'a> {
    sets: Option<Sets<'a>>,
    pool: &'a BufferPool,
}

/// What a [`Pooled`] holds.
enum Sets<'a> {
    /// Sets of a store in memory, borrowed.
    Held(Vec<Cow<'a, [u32]>>),
    /// Sets read back into a pooled buffer.
    Read(LoadedSets<'a, u32>),
}

impl Drop for Pooled<'_> {
    fn drop(&mut self) {
        if let Some(Sets::Read(sets)) = self.sets.take() {
            let buf = sets.into_buffer();
            if buf.capacity() > 0 {
                if let Ok(mut b) = self.pool.0.lock() {
                    if b.len() < POOLED {
                        b.push(buf);
                    }
                }
            }
        }
    }
}

impl Loaded for Pooled<'_> {
    #[inline]
    fn set(&self, i: usize) -> &[u32] {
        match &self.sets {
            Some(Sets::Held(sets)) => &sets[i],
            Some(Sets::Read(sets)) => sets.get(i),
            None => &[],
        }
    }
    fn count(&self) -> usize {
        match &self.sets {
            Some(Sets::Held(sets)) => sets.len(),
            Some(Sets::Read(sets)) => sets.len(),
            None => 0,
        }
    }
}

/// The position of document `d` among a batch's sorted `members`.
fn local(members: &[u32], d: u32) -> usize {
    members
        .binary_search(&d)
        .expect("a batch holds its pairs' documents")
}

/// What one batch gives.
#[derive(Default)]
pub(crate) struct BatchResult {
    /// Distinct shingle keys cut, sorted.
    cut: Vec<u32>,
    /// Shingle occurrences cut.
    cut_occurrences: usize,
    verified: usize,
    rejected: usize,
    /// Duplicate pairs found on demand by the linkage check.
    found: usize,
    /// Its groups of two or more documents, each with its kept pairs
    /// (sorted), in document numbers.
    clusters: Vec<(Group, Vec<Pair>)>,
}

/// Share of the copy groups counted for boilerplate when the cut is
/// `cut` groups: all of them up to a cut of [`BOILERPLATE_SAMPLE`], then
/// `BOILERPLATE_SAMPLE / cut`, so a shingle exactly at the cut is expected in
/// `BOILERPLATE_SAMPLE` sampled groups (standard deviation about 8, so
/// shingles within ~25% of the cut may fall on either side; at twice the
/// cut or half of it the verdict is all but certain). The cut grows with the
/// corpus (1% of the groups by default), so the counting work stays near
/// `BOILERPLATE_SAMPLE / share` groups' worth of shingles however large the
/// corpus is.
pub fn boilerplate_sample_rate(cut: usize) -> f64 {
    if cut <= BOILERPLATE_SAMPLE {
        1.0
    } else {
        BOILERPLATE_SAMPLE as f64 / cut as f64
    }
}

/// Expected sampled count of a shingle exactly at the boilerplate cut (see
/// [`boilerplate_sample_rate`]).
pub const BOILERPLATE_SAMPLE: usize = 64;

/// A key whose sets [`union_of`] merges: a scan's 32-bit keys (many sets
/// sorted together by the keysort) or an index's 64-bit hashes.
pub(crate) trait UnionKey: Copy + Ord + Default + Send + Sync + 'static {
    /// Sorts `keys` (repeats kept).
    fn sort(keys: &mut Vec<Self>);
}

impl UnionKey for u32 {
    fn sort(keys: &mut Vec<u32>) {
        crate::shingle::sort_keys(keys, &mut Vec::new());
    }
}

impl UnionKey for u64 {
    fn sort(keys: &mut Vec<u64>) {
        keys.sort_unstable();
    }
}

/// The sorted union of sorted, repeat-free key sets: merged two at a time
/// when there are a few, sorted together when there are many. A scan
/// counts each copy group's union for the boilerplate; an index writer
/// counts it in its df sketch.
pub(crate) fn union_of<'a, T: UnionKey>(sets: impl Iterator<Item = &'a [T]>) -> Vec<T> {
    let sets: Vec<&[T]> = sets.collect();
    if sets.len() > 8 {
        let mut union: Vec<T> = sets.iter().flat_map(|s| s.iter().copied()).collect();
        T::sort(&mut union);
        union.dedup();
        return union;
    }
    let mut union: Vec<T> = sets.first().map(|s| s.to_vec()).unwrap_or_default();
    let mut next = Vec::new();
    for s in &sets[1.min(sets.len())..] {
        // Branch-free merge into a buffer sized for the worst case (written
        // by index: no capacity check per key), then cut to length.
        next.clear();
        next.resize(union.len() + s.len(), T::default());
        let (mut i, mut j, mut o) = (0, 0, 0);
        while i < union.len() && j < s.len() {
            let (x, y) = (union[i], s[j]);
            next[o] = x.min(y);
            o += 1;
            i += (x <= y) as usize;
            j += (y <= x) as usize;
        }
        let rest = if i < union.len() {
            &union[i..]
        } else {
            &s[j..]
        };
        next[o..o + rest.len()].copy_from_slice(rest);
        next.truncate(o + rest.len());
        std::mem::swap(&mut union, &mut next);
    }
    union
}

/// Documents numbered by id: `order[i]` is the number under which the
/// `i`-th document by id was added, `pos` the inverse.
pub(crate) fn order_by_id(infos: &[DocInfo]) -> (Vec<u32>, Vec<u32>) {
    let n = infos.len();
    let mut order: Vec<u32> = (0..n as u32).collect();
    order.par_sort_by(|&x, &y| infos[x as usize].id.cmp(&infos[y as usize].id));
    let mut pos = vec![0u32; n];
    for (i, &d) in order.iter().enumerate() {
        pos[d as usize] = i as u32;
    }
    (order, pos)
}

/// The candidate pairs of a scan by id number (`a < b`, sorted), with the
/// signature agreement of each (none in exact mode, where nothing is
/// screened).
pub(crate) struct Candidates {
    /// The pairs.
    pub(crate) pairs: Vec<(u32, u32)>,
    /// `matches[p]`: the slots where the signatures of `pairs[p]` agree.
    pub(crate) matches: Option<Vec<u8>>,
}

impl Candidates {
    /// The pairs `keep(pair, matches)` holds for (every pair in exact
    /// mode), in order.
    pub(crate) fn screened(
        &self,
        keep: impl Fn((u32, u32), u32) -> bool + Sync,
    ) -> Vec<(u32, u32)> {
        match &self.matches {
            None => self.pairs.clone(),
            Some(m) => self
                .pairs
                .par_iter()
                .zip(m.par_iter())
                .filter(|&(&p, &m)| keep(p, m as u32))
                .map(|(&p, _)| p)
                .collect(),
        }
    }
}

/// One cache line of bytes, aligned as one (the rough screen's rows).
#[derive(Clone, Copy)]
#[repr(C, align(64))]
struct Line([u8; 64]);

/// Candidate pairs by id number (`a < b`, sorted): from LSH on the
/// signatures computed while reading (on the raw sets), less those whose
/// signatures agree on too little to pass the rule (see
/// [`candidate_floor`]), or every pair in exact mode; with the agreement
/// of each pair's signatures, for the screens of the later passes
/// ([`could_be_copies`], [`could_be_duplicates`]). `signature(d)` is the
/// signature of the document added `d`-th, `pos[d]` its number by id and
/// `order` the inverse.
pub(crate) fn candidates<'s>(
    cfg: &Config,
    pos: &[u32],
    order: &[u32],
    signature: impl Fn(usize) -> &'s [u32] + Sync,
) -> Candidates {
    let n = pos.len();
    if cfg.exact() {
        let pairs = (0..n as u32)
            .into_par_iter()
            .flat_map_iter(|a| (a + 1..n as u32).map(move |b| (a, b)))
            .collect();
        return Candidates {
            pairs,
            matches: None,
        };
    }
    // Cheap screen before exact comparison: a pair whose signatures agree
    // on almost nothing cannot pass the decision rule (every duplicate has
    // Jaccard >= containment_min_jaccard). It is judged as LSH proposes
    // the pair, once.
    let floor = candidate_floor(cfg);
    // Everything LSH judges is named by id number (see
    // `candidate_pairs_screened`'s labels): the pairs come out sorted by
    // id, each with its signatures' agreement, counted as it was judged.
    let perms = cfg.perms();
    // Where each signature lies, by id number: one read (fetched ahead)
    // instead of a stored set's handle and its slab.
    let by_id: Vec<&[u32]> = order.par_iter().map(|&d| signature(d as usize)).collect();
    // The rough screen: a byte per slot (see `slot_byte`), where two
    // signatures agree in at least the slots where the full values do, so
    // a pair whose bytes agree too little to reach the floor cannot reach
    // it on the signatures either. 128 bytes a document instead of 512.
    //
    // The rows start on cache lines (at 128 permutations a row is two
    // lines, not three as at the 16-byte alignment of a large allocation):
    // each rough judgement reads one row at random.
    let mut lines = vec![Line([0; 64]); (n * perms).div_ceil(64)];
    // SAFETY: `Line` is 64 bytes with no padding, any byte is a valid `u8`,
    // and `n * perms` bytes lie within the `lines` allocation, which
    // outlives `bytes` (borrowed mutably from it).
    let bytes: &mut [u8] =
        unsafe { std::slice::from_raw_parts_mut(lines.as_mut_ptr().cast::<u8>(), n * perms) };
    bytes
        .par_chunks_mut(perms.max(1))
        .zip(by_id.par_iter())
        .for_each(|(row, sig)| {
            for (o, &v) in row.iter_mut().zip(sig.iter()) {
                *o = slot_byte(v);
            }
        });
    let bytes: &[u8] = bytes;
    let row = |d: u32| &bytes[d as usize * perms..(d as usize + 1) * perms];
    let by_id = &by_id;
    let (pairs, matches) = candidate_pairs_screened(
        n,
        perms,
        cfg.banding(),
        cfg.max_bucket(),
        &signature,
        |d| pos[d as usize],
        Rough {
            keep: |a, b| byte_agreement(row(a), row(b)) as f64 / perms as f64 >= floor,
            prefetch: |b| {
                let row = row(b);
                for x in row.iter().step_by(64) {
                    crate::prefetch::line(x);
                }
                // A row that does not start a line ends on one more.
                if let Some(x) = row.last() {
                    crate::prefetch::line(x);
                }
            },
            far: |b| crate::prefetch::line(&by_id[b as usize]),
            fetch: |b| {
                let sig = by_id[b as usize];
                for v in sig.iter().step_by(16) {
                    crate::prefetch::line(v);
                }
                // Signatures are packed in slabs, not on line boundaries:
                // the last line too.
                if let Some(v) = sig.last() {
                    crate::prefetch::line(v);
                }
            },
        },
        // `estimate_jaccard(a, b) >= floor`, with the agreement kept.
        |a, b| {
            let m = agreement(by_id[a as usize], by_id[b as usize]);
            (m as f64 / perms as f64 >= floor).then_some(m.min(u8::MAX as u32) as u8)
        },
    );
    Candidates {
        pairs,
        matches: screens_after_lsh(cfg).then_some(matches),
    }
}

impl BatchResult {
    /// This result without what the cut removed (counted elsewhere).
    pub(crate) fn forget_cut(&mut self) {
        self.cut = Vec::new();
        self.cut_occurrences = 0;
    }
}

/// Documents per run of the boilerplate count of [`cut_sizes`].
const CUT_RUN: usize = 1024;

/// The boilerplate keys of each document, as [`cut_sizes`] found them
/// (none for a document of no pair), kept for the verification of an
/// oversized batch so that it does not read every member's set again to
/// find them.
#[derive(Debug, Default)]
pub(crate) struct CutKeys {
    /// Where document `d`'s keys start in `keys` (`n + 1` entries).
    at: Vec<u64>,
    /// Every paired document's boilerplate keys, in document order, each
    /// document's in the order of its set.
    keys: Vec<u32>,
}

impl CutKeys {
    /// The boilerplate keys of document `d`, in the order of its set.
    pub(crate) fn of(&self, d: u32) -> &[u32] {
        let d = d as usize;
        &self.keys[self.at[d] as usize..self.at[d + 1] as usize]
    }
}

/// The boilerplate each of `paired` (document numbers, sorted) holds,
/// counted: the size of every document's set less its boilerplate keys
/// (`shingles` of the `n` documents, less the boilerplate of the paired
/// ones), the boilerplate keys themselves, and what the cut removes from
/// the paired documents (the distinct keys and their occurrences, as the
/// verification of their batches counted them). Sets are loaded a run of
/// documents at a time.
pub(crate) fn cut_sizes<L, S>(
    docs: &[DocInfo],
    paired: &[u32],
    load: &L,
    boilerplate: &KeySet,
) -> (Vec<u32>, CutKeys, BatchResult)
where
    L: Fn(&[u32]) -> S + Sync,
    S: Loaded,
{
    let runs: Vec<(Vec<u32>, Vec<u32>)> = paired
        .par_chunks(CUT_RUN)
        .map(|run| {
            let sets = load(run);
            let mut gone = Vec::new();
            let mut counts = Vec::with_capacity(run.len());
            for i in 0..sets.count() {
                let before = gone.len();
                boilerplate.members_of(sets.set(i), &mut gone);
                counts.push((gone.len() - before) as u32);
            }
            (counts, gone)
        })
        .collect();
    let mut size: Vec<u32> = docs.iter().map(|d| d.shingles as u32).collect();
    let mut count = vec![0u32; docs.len()];
    let mut keys = CutKeys::default();
    let mut out = BatchResult::default();
    for (run, (counts, gone)) in paired.chunks(CUT_RUN).zip(runs) {
        for (&d, c) in run.iter().zip(counts) {
            size[d as usize] -= c;
            count[d as usize] = c;
        }
        out.cut_occurrences += gone.len();
        out.cut.extend_from_slice(&gone);
        keys.keys.extend(gone);
        if out.cut.len() > 1 << 22 {
            out.cut.par_sort_unstable();
            out.cut.dedup();
        }
    }
    keys.at = std::iter::once(0)
        .chain(count.iter().scan(0u64, |at, &c| {
            *at += c as u64;
            Some(*at)
        }))
        .collect();
    out.cut.par_sort_unstable();
    out.cut.dedup();
    (size, keys, out)
}

/// The documents of some pair of `pairs`, sorted.
pub(crate) fn paired(n: usize, pairs: &[(u32, u32)]) -> Vec<u32> {
    let mut seen = vec![false; n];
    for &(a, b) in pairs {
        seen[a as usize] = true;
        seen[b as usize] = true;
    }
    (0..n as u32).filter(|&d| seen[d as usize]).collect()
}

/// The raw intersection size of every candidate pair, batch by batch (in
/// each batch's pair order), or [`BELOW`] for a pair `(x, y)` whose sets
/// share fewer than `need(x, y)` keys (counted only as far as that is
/// certain). `load(members)` gives the sets of a batch's members.
pub(crate) fn raw_intersections<L, S, N>(batches: &Batches, load: &L, need: &N) -> Vec<Vec<u32>>
where
    L: Fn(&[u32]) -> S + Sync,
    S: Loaded,
    N: Fn(u32, u32) -> usize + Sync,
{
    // Batches loaded whole in parallel, then oversized ones one at a
    // time, tile by tile (each is parallel inside).
    let mut out: Vec<Vec<u32>> = (0..batches.len())
        .into_par_iter()
        .map(|b| {
            let (members, pairs) = batches.get(b);
            if batches.tiling_of(b).is_some() {
                return Vec::new();
            }
            let sets = load(members);
            let set = |d: u32| sets.set(local(members, d));
            // Pairs in parallel too: one component can hold most of the
            // corpus when the banding is permissive. Within a run of pairs,
            // the sets of the pair two ahead are fetched while this one is
            // counted.
            pairs
                .par_chunks(256)
                .flat_map_iter(|run| {
                    run.iter().enumerate().map(move |(i, &(x, y))| {
                        if let Some(&(nx, ny)) = run.get(i + 2) {
                            crate::prefetch::start(set(nx));
                            crate::prefetch::start(set(ny));
                        }
                        intersection_at_least(set(x), set(y), need(x, y))
                            .map_or(BELOW, |i| i as u32)
                    })
                })
                .collect()
        })
        .collect();
    for (b, o) in out.iter_mut().enumerate() {
        if let Some(tiling) = batches.tiling_of(b) {
            *o = tiles::intersections(batches.get(b).1, tiling, load, need);
        }
    }
    out
}

/// The raw intersections [`raw_intersections`] counted in full (not
/// [`BELOW`]), with their pairs, sorted by pair: to be looked up by a later
/// pass over other batches ([`known_of`]).
pub(crate) fn counted_pairs(batches: &Batches, inter: &[Vec<u32>]) -> Vec<((u32, u32), u32)> {
    let mut out: Vec<((u32, u32), u32)> = (0..batches.len())
        .flat_map(|b| {
            batches
                .get(b)
                .1
                .iter()
                .copied()
                .zip(inter[b].iter().copied())
        })
        .filter(|&(_, i)| i != BELOW)
        .collect();
    out.par_sort_unstable();
    out
}

/// For each of `pairs` (sorted), its raw intersection when `counted` (as
/// [`counted_pairs`] gives them) holds it, else [`BELOW`] (not known).
pub(crate) fn known_of(pairs: &[(u32, u32)], counted: &[((u32, u32), u32)]) -> Vec<u32> {
    let mut j = 0;
    pairs
        .iter()
        .map(|&p| {
            while j < counted.len() && counted[j].0 < p {
                j += 1;
            }
            match counted.get(j) {
                Some(&(q, i)) if q == p => i,
                _ => BELOW,
            }
        })
        .collect()
}

/// Groups of near-verbatim copies among `n` documents (see
/// [`copy_groups`]): the candidate pairs whose raw sets are near copies,
/// judged from their intersections (`inter`, as [`raw_intersections`]
/// gives them, counted at least as far as [`copy_need`]) and the
/// documents' set sizes.
pub(crate) fn copy_groups_of(
    cfg: &Config,
    docs: &[DocInfo],
    batches: &Batches,
    inter: &[Vec<u32>],
) -> (Vec<u32>, usize) {
    let copies = (0..batches.len()).flat_map(|b| {
        let pairs = batches.get(b).1;
        pairs.iter().zip(&inter[b]).filter_map(|(&(x, y), &i)| {
            if i == BELOW {
                return None;
            }
            let (sx, sy) = (docs[x as usize].shingles, docs[y as usize].shingles);
            is_near_copy_by(&Similarity::from_counts(i as usize, sx, sy), cfg).then_some((x, y))
        })
    });
    copy_groups(docs.len(), copies)
}

/// The boilerplate: shingles in more than the cut of the copy groups
/// (`groups[d]` is document `d`'s, `n_groups` of them), each group's
/// shingles counted once (the union of its members' sets). Large corpora
/// count a deterministic sample of the groups (see
/// [`boilerplate_sample_rate`]), chosen by the id of each group's first
/// document; groups are numbered in order of their first document.
pub(crate) fn boilerplate_keys<'s, L>(
    cfg: &Config,
    docs: &[DocInfo],
    groups: &[u32],
    n_groups: usize,
    load: &L,
) -> KeySet
where
    L: Fn(&[u32]) -> Vec<Cow<'s, [u32]>> + Sync,
{
    let cut = cfg.boilerplate_cut(n_groups).unwrap_or(usize::MAX);
    let rate = boilerplate_sample_rate(cut);
    let mut first = Vec::with_capacity(n_groups);
    for (d, &g) in groups.iter().enumerate() {
        if g as usize == first.len() {
            first.push(d as u32);
        }
    }
    let kept: Vec<bool> = if rate < 1.0 {
        let bound = sample_bound(rate);
        first
            .par_iter()
            .map(|&d| group_counted(bound, &docs[d as usize].id))
            .collect()
    } else {
        vec![true; n_groups]
    };
    // Members of the kept groups, in group order.
    let mut slot = vec![u32::MAX; n_groups];
    let mut members: Vec<Vec<u32>> = Vec::new();
    for (g, _) in kept.iter().enumerate().filter(|(_, &k)| k) {
        slot[g] = members.len() as u32;
        members.push(Vec::new());
    }
    for (d, &g) in groups.iter().enumerate() {
        if let Some(m) = members.get_mut(slot[g as usize] as usize) {
            m.push(d as u32);
        }
    }
    let limit = cut as f64 * rate;
    // A lone document's set is counted where it lies.
    let counted: Vec<Cow<'_, [u32]>> = members
        .par_iter()
        .map(|m| {
            let mut sets = load(m);
            if sets.len() == 1 {
                sets.pop().expect("one")
            } else {
                Cow::Owned(union_of(sets.iter().map(|s| &**s)))
            }
        })
        .collect();
    KeySet::new(frequent_keys_in(&counted, limit))
}

/// The hash bound of a boilerplate sample at `rate` (see
/// [`group_counted`]).
pub(crate) fn sample_bound(rate: f64) -> u64 {
    (rate * u64::MAX as f64) as u64
}

/// Whether the copy group whose first document is `first_id` is in the
/// boilerplate sample whose hash bound is `bound` (`rate * u64::MAX`).
pub(crate) fn group_counted(bound: u64, first_id: &str) -> bool {
    xxhash_rust::xxh3::xxh3_64(first_id.as_bytes()) <= bound
}

/// The similarity of two sets less the boilerplate each holds, from counts:
/// `gone_a` and `gone_b` are the members of `a` and `b` (sorted,
/// repeat-free) that are boilerplate, and `raw` the intersection of `a` and
/// `b` when it is known (counted here otherwise). The cut sets are never
/// built: their intersection is the raw one less the boilerplate both hold.
/// For the scan's 32-bit keys and the index's 64-bit hashes alike.
pub(crate) fn cut_similarity<T: Ord + Copy + 'static>(
    a: &[T],
    gone_a: &[T],
    b: &[T],
    gone_b: &[T],
    raw: Option<usize>,
) -> Similarity {
    let raw = raw.unwrap_or_else(|| intersection_size(a, b));
    cut_similarity_of_sizes(raw, a.len(), gone_a, b.len(), gone_b)
}

/// [`cut_similarity`] when only the sets' sizes are at hand (`size_a`,
/// `size_b`) with their raw intersection `raw`, as in a tiled batch.
pub(crate) fn cut_similarity_of_sizes<T: Ord + Copy + 'static>(
    raw: usize,
    size_a: usize,
    gone_a: &[T],
    size_b: usize,
    gone_b: &[T],
) -> Similarity {
    let shared = intersection_size(gone_a, gone_b);
    Similarity::from_counts(raw - shared, size_a - gone_a.len(), size_b - gone_b.len())
}

/// Each document's figures by document number (see [`crate::figures`];
/// `None`: not known, never refused).
pub(crate) type FiguresOf<'f> = dyn Fn(u32) -> Option<&'f [u64]> + Sync + 'f;

/// A compared pair (`x`, `y`: document numbers) as the clustering sees it:
/// its containment, and its edge when the decision rule accepts it and the
/// figures rule does not refuse it ([`crate::figures::judge`]; `figures`
/// gives both documents' figures, asked only for a pair the set rule
/// accepts), nor the digest rule ([`crate::digest`]; `sets` gives both cut
/// sets, asked only when that rule applies). A pair the figures refuse scores containment 0: a template
/// sibling does not vouch for a merge in the linkage guard.
pub(crate) fn scored<'f, 's>(
    cfg: &Config,
    x: u32,
    y: u32,
    s: Similarity,
    figures: impl FnOnce() -> (Option<&'f [u64]>, Option<&'f [u64]>),
    sets: impl FnOnce() -> Option<(CutSet<'s>, CutSet<'s>)>,
) -> Scored {
    use crate::figures::Verdict;
    let edge = Edge {
        a: x,
        b: y,
        jaccard: s.jaccard,
        containment: s.containment,
    };
    match crate::figures::judge(cfg, &s, figures, sets) {
        Verdict::Duplicate => Scored {
            containment: s.containment,
            edge: Some(edge),
        },
        Verdict::NotSimilar => Scored {
            containment: s.containment,
            edge: None,
        },
        Verdict::RefusedByFigures | Verdict::RefusedAsDigest => Scored {
            containment: 0.0,
            edge: None,
        },
    }
}

/// Verifies every candidate of every batch against the exact sets less the
/// boilerplate, and clusters each batch's duplicates. `raw_inter`, when the
/// copy-group pass computed some, are the raw intersections of the
/// candidates, batch by batch (saving a second count; [`BELOW`]: not known,
/// counted here); `cut_keys`, when [`cut_sizes`] found them, are
/// the documents' boilerplate keys, which an oversized batch then takes
/// instead of reading its sets once more (its result's `cut` is then left
/// empty: [`cut_sizes`] counted it); `weight[d]` is document `d`'s
/// weight for choosing representatives (its words).
#[allow(clippy::too_many_arguments)]
pub(crate) fn verify_and_cluster<L, S>(
    cfg: &Config,
    batches: &Batches,
    load: &L,
    boilerplate: Option<&KeySet>,
    cut_keys: Option<&CutKeys>,
    raw_inter: Option<&[Vec<u32>]>,
    weight: &[u64],
    figures: &FiguresOf<'_>,
) -> Vec<BatchResult>
where
    L: Fn(&[u32]) -> S + Sync,
    S: Loaded,
{
    let mut done: Vec<BatchResult> = (0..batches.len())
        .into_par_iter()
        .map(|b| {
            let (members, pairs) = batches.get(b);
            let mut out = BatchResult::default();
            if batches.tiling_of(b).is_some() {
                return out;
            }
            let sets = load(members);
            // Each document's boilerplate keys. The cut sets are never
            // built: the intersection of two cut sets is that of the raw
            // sets less the boilerplate both hold.
            let gone: Vec<Vec<u32>> = (0..sets.count())
                .into_par_iter()
                .map(|i| {
                    let mut gone = Vec::new();
                    if let Some(boilerplate) = boilerplate {
                        boilerplate.members_of(sets.set(i), &mut gone);
                    }
                    gone
                })
                .collect();
            out.cut = gone.concat();
            out.cut_occurrences = out.cut.len();
            out.cut.sort_unstable();
            out.cut.dedup();
            // Similarity of the cut sets of `x` and `y` (local numbers),
            // given their raw intersection when it is known.
            let cut_similarity = |x: usize, y: usize, raw: Option<u32>| {
                cut_similarity(
                    sets.set(x),
                    &gone[x],
                    sets.set(y),
                    &gone[y],
                    raw.map(|i| i as usize),
                )
            };
            // Local numbers `x`, `y`; the figures by document number.
            let scored = |x: u32, y: u32, s: Similarity| {
                let (a, b) = (x as usize, y as usize);
                scored(
                    cfg,
                    x,
                    y,
                    s,
                    || (figures(members[a]), figures(members[b])),
                    || {
                        Some((
                            CutSet::new(sets.set(a), &gone[a]),
                            CutSet::new(sets.set(b), &gone[b]),
                        ))
                    },
                )
            };
            // Local numbering keeps the order of document numbers, so
            // clustering a batch alone gives what clustering everything
            // would (its tie-breaks compare numbers).
            let check = |x: u32, y: u32| scored(x, y, cut_similarity(x as usize, y as usize, None));
            let known = raw_inter.map(|r| &r[b]);
            // A pair is counted only as far as it could pass the rule
            // (`verify_need` of its cut sizes): below that it has no edge.
            let need = |x: usize, y: usize| {
                verify_need(
                    cfg,
                    sets.set(x).len() - gone[x].len(),
                    sets.set(y).len() - gone[y].len(),
                )
            };
            let edges: Vec<Edge> = pairs
                .par_iter()
                .enumerate()
                .filter_map(|(i, &(x, y))| {
                    let (x, y) = (local(members, x), local(members, y));
                    let raw = match known {
                        Some(k) if k[i] != BELOW => k[i],
                        _ => intersection_at_least(sets.set(x), sets.set(y), need(x, y))
                            .map_or(BELOW, |i| i as u32),
                    };
                    if raw == BELOW {
                        return None;
                    }
                    let s = cut_similarity(x, y, Some(raw));
                    scored(x as u32, y as u32, s).edge
                })
                .collect();
            out.verified = edges.len();
            let w: Vec<u64> = members.iter().map(|&d| weight[d as usize]).collect();
            let mut c = cluster(members.len(), &edges, &w, cfg.linkage(), check);
            out.rejected = c.rejected_edges;
            out.found = c.found_edges;
            out.clusters = groups_with_pairs(&mut c, |m| members[m as usize]);
            out
        })
        .collect();
    for (b, out) in done.iter_mut().enumerate() {
        if let Some(tiling) = batches.tiling_of(b) {
            let (members, pairs) = batches.get(b);
            let raw = raw_inter.map(|r| &r[b][..]);
            *out = tiles::verify_and_cluster(
                cfg,
                members,
                pairs,
                tiling,
                load,
                boilerplate,
                cut_keys,
                raw,
                weight,
                figures,
            );
        }
    }
    done
}

/// The groups of two or more documents of a clustering `c` over local
/// numbers, with their kept pairs, in document numbers (`global(m)` of
/// local `m`). Each kept pair goes to its group (both ends are in it);
/// local numbers keep the order of document numbers, so pairs sorted here
/// are sorted in the output too.
pub(crate) fn groups_with_pairs(
    c: &mut Clustering,
    global: impl Fn(u32) -> u32,
) -> Vec<(Group, Vec<Pair>)> {
    const ALONE: u32 = u32::MAX;
    let mut slot = vec![ALONE; c.groups.iter().map(|g| g.members.len()).sum()];
    let mut found: Vec<(Group, Vec<Pair>)> = Vec::new();
    for g in c.groups.iter().filter(|g| g.members.len() > 1) {
        for &m in &g.members {
            slot[m as usize] = found.len() as u32;
        }
        let group = Group {
            representative: global(g.representative),
            members: g.members.iter().map(|&m| global(m)).collect(),
        };
        found.push((group, Vec::new()));
    }
    c.edges.sort_unstable_by_key(|e| (e.a, e.b));
    for e in &c.edges {
        found[slot[e.a as usize] as usize].1.push(Pair {
            a: global(e.a) as usize,
            b: global(e.b) as usize,
            jaccard: e.jaccard,
            containment: e.containment,
        });
    }
    found
}

/// What the batches found, put together: clusters of two or more documents
/// in order of their first document (numbered so), every other document a
/// singleton, and the distinct boilerplate keys cut, sorted. Counts go to
/// `stats`.
pub(crate) fn assemble(
    n: usize,
    done: Vec<BatchResult>,
    stats: &mut ScanStats,
) -> (Vec<Cluster>, Vec<usize>, Vec<u32>) {
    let mut boilerplate: Vec<u32> = Vec::new();
    let mut found: Vec<(Group, Vec<Pair>)> = Vec::new();
    for r in done {
        stats.verified_pairs += r.verified;
        stats.rejected_pairs += r.rejected;
        stats.linkage_pairs += r.found;
        stats.boilerplate_shingles += r.cut_occurrences;
        boilerplate.extend(r.cut);
        found.extend(r.clusters);
    }
    boilerplate.par_sort_unstable();
    boilerplate.dedup();
    found.par_sort_unstable_by_key(|(g, _)| g.members[0]);

    let mut grouped = vec![false; n];
    for (g, _) in &found {
        for &d in &g.members {
            grouped[d as usize] = true;
        }
    }
    let singletons: Vec<usize> = (0..n).filter(|&d| !grouped[d]).collect();
    let clusters: Vec<Cluster> = found
        .into_par_iter()
        .enumerate()
        .map(|(id, (g, pairs))| Cluster {
            id,
            representative: g.representative as usize,
            docs: g.members.iter().map(|&d| d as usize).collect(),
            pairs,
        })
        .collect();
    stats.clusters = clusters.len();
    stats.clustered_documents = clusters.iter().map(|c| c.docs.len()).sum();
    stats.pairs = clusters.iter().map(|c| c.pairs.len()).sum();
    debug_assert_eq!(
        stats.pairs,
        stats.verified_pairs + stats.linkage_pairs - stats.rejected_pairs
    );
    (clusters, singletons, boilerplate)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boilerplate_sample_rate_keeps_the_expected_count_at_the_cut() {
        assert_eq!(boilerplate_sample_rate(20), 1.0);
        assert_eq!(boilerplate_sample_rate(BOILERPLATE_SAMPLE), 1.0);
        for cut in [65, 300, 3_000, 100_000] {
            let r = boilerplate_sample_rate(cut);
            assert!(r < 1.0);
            assert!((cut as f64 * r - BOILERPLATE_SAMPLE as f64).abs() < 1e-9);
        }
    }

    proptest::proptest! {
        /// The similarity from counts is that of the cut sets built and
        /// compared (the naive oracle), for both key widths.
        #[test]
        fn cut_similarity_is_that_of_the_cut_sets(
            a in proptest::collection::btree_set(0u64..400, 0..120),
            b in proptest::collection::btree_set(0u64..400, 0..120),
            bp in proptest::collection::btree_set(0u64..400, 0..80),
            known in proptest::bool::ANY,
        ) {
            let a: Vec<u64> = a.into_iter().collect();
            let b: Vec<u64> = b.into_iter().collect();
            let gone = |s: &[u64]| -> Vec<u64> { s.iter().copied().filter(|k| bp.contains(k)).collect() };
            let kept = |s: &[u64]| -> Vec<u64> { s.iter().copied().filter(|k| !bp.contains(k)).collect() };
            let (ga, gb) = (gone(&a), gone(&b));
            let raw = known.then(|| a.iter().filter(|k| b.contains(k)).count());
            let got = cut_similarity(&a, &ga, &b, &gb, raw);
            let (ka, kb) = (kept(&a), kept(&b));
            let inter = ka.iter().filter(|k| kb.contains(k)).count();
            proptest::prop_assert_eq!(got, Similarity::from_counts(inter, ka.len(), kb.len()));
            let narrow = |s: &[u64]| -> Vec<u32> { s.iter().map(|&k| k as u32).collect() };
            let got32 = cut_similarity(&narrow(&a), &narrow(&ga), &narrow(&b), &narrow(&gb), raw);
            proptest::prop_assert_eq!(got32, got);
        }
    }

    #[test]
    fn needs_are_met_by_every_pair_the_rules_accept() {
        // Every intersection of every pair of sizes up to 160: a pair the
        // decision rule (or the copy rule) accepts always reaches the need
        // the counts stop below, at the defaults and at other settings.
        let configs = [
            Config::default(),
            Config::builder()
                .threshold(0.3)
                .containment(0.55)
                .build()
                .unwrap(),
        ];
        for cfg in &configs {
            for a in 0..160 {
                for b in 0..160 {
                    let (dn, cn) = (verify_need(cfg, a, b), copy_need(cfg, a, b));
                    for i in 0..=a.min(b) {
                        let s = Similarity::from_counts(i, a, b);
                        if cfg.is_duplicate(&s) {
                            assert!(i >= dn, "{a} {b} {i}: duplicate below {dn}");
                        }
                        if is_near_copy_by(&s, cfg) {
                            assert!(i >= cn, "{a} {b} {i}: copy below {cn}");
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn slot_bytes_agree_wherever_the_slots_do() {
        let mut next = crate::testutil::lcg(5);
        for _ in 0..2000 {
            let a: Vec<u32> = (0..128).map(|_| next() as u32).collect();
            // Some slots equal, others random (some equal by their byte).
            let b: Vec<u32> = a
                .iter()
                .map(|&v| match next() % 3 {
                    0 => v,
                    1 => v ^ ((next() as u32) << 8),
                    _ => next() as u32,
                })
                .collect();
            let (ra, rb): (Vec<u8>, Vec<u8>) = (
                a.iter().map(|&v| slot_byte(v)).collect(),
                b.iter().map(|&v| slot_byte(v)).collect(),
            );
            assert!(byte_agreement(&ra, &rb) >= agreement(&a, &b));
        }
    }

    #[test]
    fn counts_known_by_one_pass_reach_the_batches_of_another() {
        // Two components of 3,000 documents (the even ones and the odd
        // ones, chained): two batches whose pairs alternate in order.
        let n = 6_000;
        let pairs: Vec<(u32, u32)> = (0..n as u32 - 2).map(|d| (d, d + 2)).collect();
        let batches = Batches::new(n, &pairs);
        assert_eq!(batches.len(), 2);
        let index: Vec<u32> = (0..pairs.len() as u32).collect();
        let spread = batches.spread(&pairs, &index);
        for (b, values) in spread.iter().enumerate() {
            let got: Vec<(u32, u32)> = values.iter().map(|&i| pairs[i as usize]).collect();
            assert_eq!(got, batches.get(b).1);
        }
        // An earlier pass over every third pair counted some in full.
        let fewer: Vec<(u32, u32)> = pairs.iter().copied().step_by(3).collect();
        let earlier = Batches::new(n, &fewer);
        let count = |(a, b): (u32, u32)| if a % 5 == 0 { BELOW } else { a ^ b };
        let inter: Vec<Vec<u32>> = (0..earlier.len())
            .map(|b| earlier.get(b).1.iter().map(|&p| count(p)).collect())
            .collect();
        let counted = counted_pairs(&earlier, &inter);
        let want: Vec<((u32, u32), u32)> = fewer
            .iter()
            .map(|&p| (p, count(p)))
            .filter(|&(_, c)| c != BELOW)
            .collect();
        assert_eq!(counted, want);
        let known = known_of(&pairs, &counted);
        for (i, (&p, &k)) in pairs.iter().zip(&known).enumerate() {
            let want = if i % 3 == 0 { count(p) } else { BELOW };
            assert_eq!(k, want, "{p:?}");
        }
    }

    #[test]
    fn union_of_sorted_sets() {
        let sets: [&[u32]; 3] = [&[1, 4, 9], &[2, 4], &[9, 10]];
        assert_eq!(union_of(sets.into_iter()), [1, 2, 4, 9, 10]);
        assert_eq!(union_of(std::iter::empty::<&[u32]>()), Vec::<u32>::new());
        // 64-bit hashes (an index's copy groups) merge the same way.
        let wide: Vec<Vec<u64>> = (0..12u64)
            .map(|i| vec![i << 40, (i + 3) << 40, u64::MAX - i])
            .collect();
        for k in [2, 5, 12] {
            let mut want: Vec<u64> = wide[..k].iter().flatten().copied().collect();
            want.sort_unstable();
            want.dedup();
            assert_eq!(union_of(wide[..k].iter().map(|s| &s[..])), want);
        }
        // Many sets take the sorting path; the result is the same.
        let many: Vec<Vec<u32>> = (0..20u32).map(|i| vec![i, i + 3, 40 - i]).collect();
        let mut want: Vec<u32> = many.iter().flatten().copied().collect();
        want.sort_unstable();
        want.dedup();
        assert_eq!(union_of(many.iter().map(|s| &s[..])), want);
        assert_eq!(union_of(many[..5].iter().map(|s| &s[..])), {
            let mut w: Vec<u32> = many[..5].iter().flatten().copied().collect();
            w.sort_unstable();
            w.dedup();
            w
        });
    }
}
