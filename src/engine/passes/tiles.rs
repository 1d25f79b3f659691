//! Oversized candidate components, verified and clustered in bounded
//! memory.
//!
//! Under permissive banding (the defaults at a million documents) one
//! candidate component can hold nearly the whole corpus. The passes load a
//! batch's sets whole; for a batch whose sets take more than a block
//! ([`Tiling::block`] bytes, half the memory budget once the sets have
//! spilled) that would load the corpus. Here instead:
//!
//! * raw intersections are counted tile by tile: the sets of a block of
//!   first documents are held while the second documents of their pairs
//!   stream past a block at a time ([`intersections`]), so at most two
//!   blocks are in memory;
//! * verification needs only each pair's raw intersection, the documents'
//!   set sizes and their boilerplate keys (kept by the cut-size pass,
//!   [`super::CutKeys`], or else read a block of members at a time), not
//!   the sets ([`verify_and_cluster`]);
//! * clustering works on the connected components of the *verified* edges
//!   (copies of one story: small), each with its members' sets for the
//!   linkage check, instead of the whole candidate component.
//!
//! The clustering of a component of verified edges does not depend on the
//! rest of the batch (its edge order, merges, linkage checks and tie-breaks
//! only involve its own documents, and renumbering them in order keeps
//! every comparison), so the output is the same as the untiled pass's.

use std::borrow::Cow;

use rayon::prelude::*;

use super::{scored, verify_need, BatchResult, CutKeys, FiguresOf, Loaded, BELOW};
use crate::boilerplate::KeySet;
use crate::cluster::{cluster, Edge, Group, UnionFind};
use crate::config::Config;
use crate::engine::Pair;
use crate::figures::CutSet;
use crate::verify::{intersection_at_least, intersection_size};

/// How a scan's passes read a batch whose sets are large.
#[derive(Debug, Clone)]
pub(crate) struct Tiling {
    /// Most bytes of sets loaded at once for one block; a batch whose
    /// sets take more is tiled.
    pub(crate) block: usize,
    /// Number of keys in document `d`'s set (by document number).
    pub(crate) keys: Vec<u32>,
}

impl Tiling {
    fn bytes(&self, d: u32) -> usize {
        self.keys[d as usize] as usize * 4
    }

    /// Whether the sets of `members` take more than a block.
    pub(crate) fn oversized(&self, members: &[u32]) -> bool {
        let mut total = 0usize;
        members.iter().any(|&d| {
            total += self.bytes(d);
            total > self.block
        })
    }

    /// `docs` (sorted, repeat-free) cut into runs of at most a block of
    /// sets each (a set larger than a block is a run of its own).
    fn blocks<'d>(&self, docs: &'d [u32]) -> Vec<&'d [u32]> {
        let mut out = Vec::new();
        let (mut start, mut bytes) = (0, 0);
        for (i, &d) in docs.iter().enumerate() {
            let b = self.bytes(d);
            if i > start && bytes + b > self.block {
                out.push(&docs[start..i]);
                (start, bytes) = (i, 0);
            }
            bytes += b;
        }
        if start < docs.len() {
            out.push(&docs[start..]);
        }
        out
    }
}

/// The raw intersection size of each of `pairs` (sorted, `x < y`), in that
/// order, or [`BELOW`] for a pair `(x, y)` sharing fewer than `need(x, y)`
/// keys, with at most two blocks of sets loaded at a time: the first
/// documents of a run of pairs are held (a block), and the second documents
/// of those pairs are loaded a block at a time, in order.
pub(crate) fn intersections<L, S, N>(
    pairs: &[(u32, u32)],
    tiling: &Tiling,
    load: &L,
    need: &N,
) -> Vec<u32>
where
    L: Fn(&[u32]) -> S + Sync,
    S: Loaded,
    N: Fn(u32, u32) -> usize + Sync,
{
    let mut out = vec![0u32; pairs.len()];
    let mut start = 0;
    while start < pairs.len() {
        // The pairs of a block of first documents.
        let (mut end, mut bytes) = (start, 0);
        while end < pairs.len() {
            let x = pairs[end].0;
            let b = tiling.bytes(x);
            if end > start && bytes + b > tiling.block {
                break;
            }
            bytes += b;
            while end < pairs.len() && pairs[end].0 == x {
                end += 1;
            }
        }
        let run = &pairs[start..end];
        // Each pair's first document's place among the held ones (`run` is
        // sorted by first document), so that no pair searches for it, and
        // what the pair needs: both worked out in the run's order (its
        // first documents in turn), read together when the pair is counted.
        let mut xs: Vec<u32> = Vec::new();
        let places: Vec<u32> = run
            .iter()
            .map(|&(x, _)| {
                if xs.last() != Some(&x) {
                    xs.push(x);
                }
                xs.len() as u32 - 1
            })
            .collect();
        // (A need above `u32::MAX` keys cannot be met either way.)
        let x_at: Vec<(u32, u32)> = run
            .par_iter()
            .zip(places)
            .map(|(&(x, y), at)| (at, need(x, y).min(u32::MAX as usize) as u32))
            .collect();
        let held = load(&xs);
        // The run's pairs in order of their second document, each with its
        // second document's place among the distinct ones (`ys`).
        let mut by_y: Vec<u32> = (0..run.len() as u32).collect();
        by_y.par_sort_unstable_by_key(|&i| (run[i as usize].1, i));
        let mut ys: Vec<u32> = Vec::new();
        let y_at: Vec<u32> = by_y
            .iter()
            .map(|&i| {
                let y = run[i as usize].1;
                if ys.last() != Some(&y) {
                    ys.push(y);
                }
                ys.len() as u32 - 1
            })
            .collect();
        let (mut next, mut first) = (0, 0);
        for block in tiling.blocks(&ys) {
            let sets = load(block);
            let upto = next + y_at[next..].partition_point(|&j| (j as usize) < first + block.len());
            // The held sets are scattered (in order of the second
            // documents): each pair's is fetched a few pairs ahead.
            const AHEAD: usize = 4;
            let (by_y, y_at, x_at, held) = (&by_y[next..upto], &y_at[next..upto], &x_at, &held);
            let counted: Vec<u32> = (0..by_y.len())
                .into_par_iter()
                .with_min_len(256)
                .map(|k| {
                    if let Some(&i) = by_y.get(k + AHEAD) {
                        crate::prefetch::start(held.set(x_at[i as usize].0 as usize));
                    }
                    let i = by_y[k] as usize;
                    let (at, need) = x_at[i];
                    let a = held.set(at as usize);
                    let b = sets.set(y_at[k] as usize - first);
                    intersection_at_least(a, b, need as usize).map_or(BELOW, |i| i as u32)
                })
                .collect();
            for (&i, c) in by_y.iter().zip(counted) {
                out[start + i as usize] = c;
            }
            next = upto;
            first += block.len();
        }
        debug_assert_eq!(next, run.len());
        start = end;
    }
    out
}

/// [`super::verify_and_cluster`] of one oversized batch: its
/// `members` (sorted) and candidate `pairs` (sorted), `raw` their raw
/// intersections when some are known ([`BELOW`]: not known, counted here).
#[allow(clippy::too_many_arguments)]
pub(crate) fn verify_and_cluster<L, S>(
    cfg: &Config,
    members: &[u32],
    pairs: &[(u32, u32)],
    tiling: &Tiling,
    load: &L,
    boilerplate: Option<&KeySet>,
    cut_keys: Option<&CutKeys>,
    raw: Option<&[u32]>,
    weight: &[u64],
    figures: &FiguresOf<'_>,
) -> BatchResult
where
    L: Fn(&[u32]) -> S + Sync,
    S: Loaded,
{
    // Each member's local number by document number (a batch holds its
    // pairs' documents): one lookup a pair end, not a search.
    let mut local_of = vec![u32::MAX; tiling.keys.len()];
    for (i, &d) in members.iter().enumerate() {
        local_of[d as usize] = i as u32;
    }
    let local = |d: u32| {
        let x = local_of[d as usize];
        debug_assert_ne!(x, u32::MAX, "a batch holds its pairs' documents");
        x as usize
    };
    // Each member's boilerplate keys: as the cut-size pass found them, or
    // read a block of sets at a time.
    let mut found: Vec<Vec<u32>> = Vec::new();
    let mut out = BatchResult::default();
    match (boilerplate, cut_keys) {
        (Some(_), Some(_)) => {}
        (Some(boilerplate), None) => {
            found.reserve(members.len());
            for block in tiling.blocks(members) {
                let sets = load(block);
                found.par_extend((0..sets.count()).into_par_iter().map(|i| {
                    let mut g = Vec::new();
                    boilerplate.members_of(sets.set(i), &mut g);
                    g
                }));
            }
            out.cut_occurrences = found.iter().map(Vec::len).sum();
            let mut cut: Vec<u32> = found.concat();
            cut.par_sort_unstable();
            cut.dedup();
            out.cut = cut;
        }
        (None, _) => found.resize(members.len(), Vec::new()),
    }
    let kept = boilerplate.and(cut_keys);
    let gone = |x: usize| -> &[u32] {
        match kept {
            Some(k) => k.of(members[x]),
            None => &found[x],
        }
    };
    let size = |x: usize| tiling.keys[members[x] as usize] as usize;
    // Pairs are counted only as far as they could pass the rule
    // (`verify_need` of their cut sizes): below that they have no edge.
    // Those already known (not `BELOW`) are taken as they are; the others
    // counted here, tile by tile.
    let raw: Cow<'_, [u32]> = match raw {
        Some(r) if !r.contains(&BELOW) => Cow::Borrowed(r),
        _ => {
            // Each member's cut size by document number: one read a pair
            // end instead of its local number, set size and boilerplate.
            let mut cut_of = vec![0u32; tiling.keys.len()];
            for (x, &d) in members.iter().enumerate() {
                cut_of[d as usize] = (size(x) - gone(x).len()) as u32;
            }
            let need = |x: u32, y: u32| {
                verify_need(
                    cfg,
                    cut_of[x as usize] as usize,
                    cut_of[y as usize] as usize,
                )
            };
            match raw {
                None => Cow::Owned(intersections(pairs, tiling, load, &need)),
                Some(r) => {
                    // A subsequence of sorted pairs is sorted.
                    let todo: Vec<u32> = (0..pairs.len() as u32)
                        .filter(|&i| r[i as usize] == BELOW)
                        .collect();
                    let unknown: Vec<(u32, u32)> =
                        todo.iter().map(|&i| pairs[i as usize]).collect();
                    let counted = intersections(&unknown, tiling, load, &need);
                    drop(unknown);
                    let mut r = r.to_vec();
                    for (&i, c) in todo.iter().zip(counted) {
                        r[i as usize] = c;
                    }
                    Cow::Owned(r)
                }
            }
        }
    };
    // Similarity of the cut sets of `x` and `y` (local numbers) from their
    // raw intersection.
    let cut_similarity = |x: usize, y: usize, raw: usize| {
        super::cut_similarity_of_sizes(raw, size(x), gone(x), size(y), gone(y))
    };
    let edges: Vec<Edge> = pairs
        .par_iter()
        .zip(raw.par_iter())
        .filter_map(|(&(x, y), &i)| {
            if i == BELOW {
                return None;
            }
            let (x, y) = (local(x), local(y));
            let s = cut_similarity(x, y, i as usize);
            let figs = || (figures(members[x]), figures(members[y]));
            // The two sets, read only if the digest rule needs them.
            let both = std::cell::OnceCell::new();
            let sets = || {
                let both = both.get_or_init(|| load(&[members[x], members[y]]));
                Some((
                    CutSet::new(both.set(0), gone(x)),
                    CutSet::new(both.set(1), gone(y)),
                ))
            };
            scored(cfg, x as u32, y as u32, s, figs, sets).edge
        })
        .collect();
    out.verified = edges.len();

    // The components of the verified edges, each clustered alone.
    let mut uf = UnionFind::new(members.len());
    for e in &edges {
        uf.union(e.a, e.b);
    }
    let mut root: Vec<u32> = vec![u32::MAX; members.len()];
    for e in &edges {
        root[e.a as usize] = 0;
        root[e.b as usize] = 0;
    }
    let mut comp_of_root: Vec<u32> = vec![u32::MAX; members.len()];
    let mut comps: Vec<Vec<u32>> = Vec::new();
    for x in 0..members.len() {
        if root[x] == u32::MAX {
            continue;
        }
        let r = uf.find(x as u32) as usize;
        if comp_of_root[r] == u32::MAX {
            comp_of_root[r] = comps.len() as u32;
            comps.push(Vec::new());
        }
        root[x] = comp_of_root[r];
        comps[root[x] as usize].push(x as u32);
    }
    let mut comp_edges: Vec<Vec<Edge>> = vec![Vec::new(); comps.len()];
    for e in edges {
        comp_edges[root[e.a as usize] as usize].push(e);
    }
    // Components in order fill groups of at most a block of sets.
    let mut groups: Vec<std::ops::Range<usize>> = Vec::new();
    let (mut start, mut bytes) = (0, 0);
    for (c, comp) in comps.iter().enumerate() {
        let b: usize = comp.iter().map(|&x| size(x as usize) * 4).sum();
        if c > start && bytes + b > tiling.block {
            groups.push(start..c);
            (start, bytes) = (c, 0);
        }
        bytes += b;
    }
    if start < comps.len() {
        groups.push(start..comps.len());
    }
    struct Clustered {
        rejected: usize,
        found: usize,
        clusters: Vec<(Group, Vec<Pair>)>,
    }
    // Groups one after the other (each holds up to a block of sets), the
    // components of a group in parallel.
    let mut clustered: Vec<Clustered> = Vec::with_capacity(comps.len());
    for g in groups {
        let docs: Vec<u32> = comps[g.clone()]
            .iter()
            .flatten()
            .map(|&x| members[x as usize])
            .collect();
        let sets = load(&docs);
        let mut offset = 0;
        let starts: Vec<usize> = comps[g.clone()]
            .iter()
            .map(|c| {
                let o = offset;
                offset += c.len();
                o
            })
            .collect();
        let (sets, gone) = (&sets, &gone);
        clustered.par_extend(g.into_par_iter().zip(starts).map(|(c, o)| {
            let comp = &comps[c];
            // `comp` is sorted: renumbering keeps the order of documents.
            let at = |x: u32| comp.binary_search(&x).expect("in its component") as u32;
            let edges: Vec<Edge> = comp_edges[c]
                .iter()
                .map(|e| Edge {
                    a: at(e.a),
                    b: at(e.b),
                    ..*e
                })
                .collect();
            let check = |i: u32, j: u32| {
                let (x, y) = (comp[i as usize] as usize, comp[j as usize] as usize);
                let raw = intersection_size(sets.set(o + i as usize), sets.set(o + j as usize));
                let s = super::cut_similarity_of_sizes(raw, size(x), gone(x), size(y), gone(y));
                let figs = || (figures(members[x]), figures(members[y]));
                let cut = || {
                    Some((
                        CutSet::new(sets.set(o + i as usize), gone(x)),
                        CutSet::new(sets.set(o + j as usize), gone(y)),
                    ))
                };
                scored(cfg, i, j, s, figs, cut)
            };
            let w: Vec<u64> = comp
                .iter()
                .map(|&x| weight[members[x as usize] as usize])
                .collect();
            let mut c = cluster(comp.len(), &edges, &w, cfg.linkage(), check);
            let found = super::groups_with_pairs(&mut c, |i| members[comp[i as usize] as usize]);
            Clustered {
                rejected: c.rejected_edges,
                found: c.found_edges,
                clusters: found,
            }
        }));
    }
    for c in clustered {
        out.rejected += c.rejected;
        out.found += c.found;
        out.clusters.extend(c.clusters);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tiling(block: usize, keys: Vec<u32>) -> Tiling {
        Tiling { block, keys }
    }

    #[test]
    fn blocks_hold_at_most_a_block_of_sets() {
        let t = tiling(40, vec![5, 5, 20, 1, 1, 1, 3]);
        let docs = [0, 1, 2, 3, 4, 5, 6];
        // 20, 20 | 80 | 4, 4, 4, 12
        assert_eq!(t.blocks(&docs), [&[0, 1][..], &[2], &[3, 4, 5, 6]]);
        assert!(t.oversized(&docs));
        assert!(!t.oversized(&[3, 4, 5]));
        assert!(t.blocks(&[]).is_empty());
    }

    #[test]
    fn tiled_intersections_are_the_untiled_ones() {
        // Random sets and pairs; every block size from one set to all.
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move |m: u64| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state % m
        };
        let sets: Vec<Vec<u32>> = (0..60)
            .map(|_| {
                let mut s: Vec<u32> = (0..next(40)).map(|_| next(100) as u32).collect();
                s.sort_unstable();
                s.dedup();
                s
            })
            .collect();
        let mut pairs: Vec<(u32, u32)> = (0..400)
            .map(|_| (next(60) as u32, next(60) as u32))
            .filter(|(a, b)| a < b)
            .collect();
        pairs.sort_unstable();
        pairs.dedup();
        let load = |docs: &[u32]| -> Vec<Cow<'_, [u32]>> {
            docs.iter()
                .map(|&d| Cow::Owned(sets[d as usize].clone()))
                .collect()
        };
        let want: Vec<u32> = pairs
            .iter()
            .map(|&(a, b)| intersection_size(&sets[a as usize], &sets[b as usize]) as u32)
            .collect();
        let keys: Vec<u32> = sets.iter().map(|s| s.len() as u32).collect();
        for block in [0, 1, 4, 16, 64, 256, 1 << 20] {
            let t = tiling(block, keys.clone());
            assert_eq!(
                intersections(&pairs, &t, &load, &|_, _| 0),
                want,
                "block {block}"
            );
            // Pairs below what they need are marked, the others counted.
            let need = |x: u32, y: u32| ((x * 7 + y * 3) % 9) as usize;
            let marked: Vec<u32> = pairs
                .iter()
                .zip(&want)
                .map(|(&(x, y), &w)| if (w as usize) < need(x, y) { BELOW } else { w })
                .collect();
            assert_eq!(
                intersections(&pairs, &t, &load, &need),
                marked,
                "block {block}"
            );
        }
    }

    #[test]
    fn boilerplate_from_the_cut_size_pass_verifies_as_read_back() {
        // Stories in copies under a few shared frames (the boilerplate):
        // verification and clustering with each member's boilerplate keys
        // from `cut_sizes` give what reading the sets back gives, at every
        // block size, and `cut_sizes` counts the cut as the tiles did.
        let mut lcg = crate::testutil::lcg(11);
        let mut next = move || lcg() >> 33;
        let frames: Vec<Vec<u32>> = (0..3)
            .map(|f| (0..30).map(|k| 10_000 * (f + 1) + k).collect())
            .collect();
        let mut sets: Vec<Vec<u32>> = Vec::new();
        for story in 0..12u32 {
            let body: Vec<u32> = (0..40).map(|_| (next() % 5_000) as u32 + story).collect();
            for _ in 0..4 {
                let mut s: Vec<u32> = body.iter().copied().filter(|_| next() % 8 != 0).collect();
                s.extend(&frames[(next() % 3) as usize]);
                s.sort_unstable();
                s.dedup();
                sets.push(s);
            }
        }
        let n = sets.len() as u32;
        let members: Vec<u32> = (0..n).collect();
        let pairs: Vec<(u32, u32)> = (0..n)
            .flat_map(|x| (x + 1..n).map(move |y| (x, y)))
            .collect();
        let boilerplate = KeySet::new(frames.concat());
        let load = |docs: &[u32]| -> Vec<Cow<'_, [u32]>> {
            docs.iter()
                .map(|&d| Cow::Borrowed(&sets[d as usize][..]))
                .collect()
        };
        let docs: Vec<crate::engine::DocInfo> = sets
            .iter()
            .map(|s| crate::engine::DocInfo {
                id: String::new(),
                source: crate::corpus::DocSource::File(std::path::PathBuf::new()),
                bytes: 0,
                words: s.len(),
                shingles: s.len(),
            })
            .collect();
        let (sizes, keys, removed) = super::super::cut_sizes(&docs, &members, &load, &boilerplate);
        let weight: Vec<u64> = sets.iter().map(|s| s.len() as u64).collect();
        let cfg = Config::default();
        let figures = |_: u32| -> Option<&'static [u64]> { None };
        let keys_of: Vec<u32> = sets.iter().map(|s| s.len() as u32).collect();
        let mut clustered = 0;
        for block in [1, 200, 1_000, 1 << 20] {
            let t = tiling(block, keys_of.clone());
            let run = |cut_keys, raw| {
                verify_and_cluster(
                    &cfg,
                    &members,
                    &pairs,
                    &t,
                    &load,
                    Some(&boilerplate),
                    cut_keys,
                    raw,
                    &weight,
                    &figures,
                )
            };
            let (read, kept) = (run(None, None), run(Some(&keys), None));
            // Some raw intersections known beforehand (the others `BELOW`,
            // counted by the tiles): the same.
            let some: Vec<u32> = pairs
                .iter()
                .enumerate()
                .map(|(i, &(x, y))| {
                    if i % 3 == 0 {
                        intersection_size(&sets[x as usize], &sets[y as usize]) as u32
                    } else {
                        BELOW
                    }
                })
                .collect();
            let partly = run(Some(&keys), Some(&some));
            assert_eq!(
                (partly.verified, partly.rejected, partly.found),
                (kept.verified, kept.rejected, kept.found)
            );
            assert_eq!(partly.clusters, kept.clusters, "block {block}");
            assert_eq!(read.cut, removed.cut, "block {block}");
            assert_eq!(read.cut_occurrences, removed.cut_occurrences);
            assert!(kept.cut.is_empty());
            assert_eq!(
                (read.verified, read.rejected, read.found),
                (kept.verified, kept.rejected, kept.found)
            );
            assert_eq!(read.clusters, kept.clusters, "block {block}");
            clustered = read.clusters.len();
        }
        assert!(clustered >= 6, "the stories cluster: {clustered}");
        for d in 0..n {
            assert_eq!(
                sizes[d as usize] as usize,
                sets[d as usize].len() - keys.of(d).len()
            );
            assert_eq!(keys.of(d).len(), 30);
        }
    }
}
