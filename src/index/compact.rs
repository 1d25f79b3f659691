//! Segment merging: [`IndexWriter::compact`] and
//! [`IndexWriter::compact_range`] merge segments into one, and a
//! [`MergePolicy`] decides when a live index (or `neardup index add
//! --merge`) does it by itself.
//!
//! A query probes the band tables of every segment, so its cost grows with
//! the number of segments; a service that group-commits all day makes one
//! segment per commit. A compaction rewrites a run of adjacent segments as
//! one, dropping the removed documents, and changes nothing that a query
//! answers: each document keeps its id, stored facts, story cluster,
//! generation, shingle set and **band hashes** (copied from the old band
//! tables, not recomputed: they were computed with the boilerplate set of
//! the commit that added the document, and the candidates of a query are
//! exactly the documents sharing one of them). The boilerplate set, the df
//! sketch and the copy groups are kept as they are; this is what tells a
//! compaction from [`IndexWriter::optimize`], which rebuilds them from the
//! live documents (and so may change answers).
//!
//! The merged segment is written through the commit's own segment writer
//! and installed by the commit's own protocol (new files written and
//! synced, then the metadata replaced atomically, then old files deleted):
//! a crash at any point leaves the index as it was before or after.

use std::borrow::Cow;
use std::ops::Range;
use std::time::Duration;

use rayon::prelude::*;

use super::segment::DocEntry;
use super::writer::{write_new_segment, Clock, DocSets, NewDoc};
use super::{DocAddress, FailPoint, IndexWriter, Segment, SegmentMeta};
use crate::error::{Error, Result};

/// What a compaction copies of one document: its entry, its shingle set,
/// its facts (cluster, generation) and its figures.
type Stored<'a> = (DocEntry, Cow<'a, [u64]>, (u64, u64), Option<Cow<'a, [u64]>>);

/// What a compaction did.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CompactReport {
    /// The generation now current (unchanged when nothing was merged).
    pub generation: u64,
    /// Segments before the compaction.
    pub segments_before: usize,
    /// Segments after it.
    pub segments_after: usize,
    /// Segments merged (0: there was nothing to do).
    pub merged: usize,
    /// The segment written (`None` when nothing was merged, or when every
    /// document of the merged segments had been removed).
    pub segment: Option<String>,
    /// Live documents copied into the new segment.
    pub documents: u64,
    /// Removed documents dropped for good.
    pub dropped: u64,
    /// Bytes of the merged segments.
    pub bytes_before: u64,
    /// Bytes of the new segment.
    pub bytes_after: u64,
    /// Wall time of each step, in order.
    pub timings: Vec<(&'static str, Duration)>,
}

/// When segments are merged by themselves: a tiered (logarithmic) policy
/// on adjacent segments.
///
/// A segment's *tier* is `0` while it holds fewer than
/// `floor_docs × segments_per_tier` live documents, then `t` for
/// `floor_docs × segments_per_tier^t ≤ live < floor_docs ×
/// segments_per_tier^(t+1)`. Whenever `segments_per_tier` adjacent
/// segments share a tier, they are merged (the lowest tier first, then the
/// oldest run); the result usually climbs a tier. Commits append small
/// segments at the end, so the index holds about `segments_per_tier - 1`
/// segments per tier — `O(log n)` in all — and each document is rewritten
/// about once per tier it climbs. Removed documents do not count, so a
/// segment that loses many falls to a lower tier and is merged sooner.
/// [`max_merge_docs`](Self::max_merge_docs) bounds the size of one merge,
/// and so how long the writer pauses for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MergePolicy {
    /// Merge once this many adjacent segments share a tier (at least 2;
    /// default 8).
    pub segments_per_tier: usize,
    /// Segments with fewer live documents than `floor_docs ×
    /// segments_per_tier` are all in the lowest tier (default 1000).
    pub floor_docs: u64,
    /// The most live documents one merge writes (default 2,000,000);
    /// segments are left as they are rather than merged beyond it.
    pub max_merge_docs: u64,
}

impl Default for MergePolicy {
    fn default() -> Self {
        MergePolicy {
            segments_per_tier: 8,
            floor_docs: 1000,
            max_merge_docs: 2_000_000,
        }
    }
}

impl MergePolicy {
    /// The tier of a segment of `live` documents.
    pub fn tier(&self, live: u64) -> u32 {
        let k = self.segments_per_tier.max(2) as u64;
        let mut bound = self.floor_docs.max(1).saturating_mul(k);
        let mut tier = 0;
        while live >= bound && bound < u64::MAX {
            bound = bound.saturating_mul(k);
            tier += 1;
        }
        tier
    }

    /// The run of segments (positions in `segments`, oldest first) to merge
    /// next, if any: the lowest-tier run of at least `segments_per_tier`
    /// adjacent segments of one tier (the oldest such run), cut to its
    /// longest prefix within [`max_merge_docs`](Self::max_merge_docs).
    pub fn pick(&self, segments: &[SegmentMeta]) -> Option<Range<usize>> {
        let k = self.segments_per_tier.max(2);
        let live = |s: &SegmentMeta| s.docs.saturating_sub(s.deleted);
        let tiers: Vec<u32> = segments.iter().map(|s| self.tier(live(s))).collect();
        let mut best: Option<(u32, Range<usize>)> = None;
        let mut start = 0;
        while start < segments.len() {
            let mut end = start + 1;
            while end < segments.len() && tiers[end] == tiers[start] {
                end += 1;
            }
            if end - start >= k && best.as_ref().is_none_or(|(t, _)| tiers[start] < *t) {
                // The longest prefix of the run within the size bound.
                let mut total = 0u64;
                let mut cut = start;
                while cut < end && total + live(&segments[cut]) <= self.max_merge_docs {
                    total += live(&segments[cut]);
                    cut += 1;
                }
                if cut - start >= 2 {
                    best = Some((tiers[start], start..cut));
                }
            }
            start = end;
        }
        best.map(|(_, r)| r)
    }
}

impl IndexWriter {
    /// Merges every segment into one, dropping removed documents, without
    /// changing any query's answer: see [`compact_range`](Self::compact_range).
    pub fn compact(&mut self) -> Result<CompactReport> {
        let n = self.index().segments().len();
        self.compact_range(0..n)
    }

    /// Merges the adjacent segments `range` (positions in
    /// [`Index::segments`](super::Index::segments), oldest first) into one
    /// new segment at their place, dropping their removed documents.
    /// Documents and removals waiting for the next commit stay waiting
    /// (a removal follows its document into the new segment). Nothing a
    /// query answers
    /// changes: every live document keeps its id, stored facts, story
    /// cluster, generation and band hashes, and the boilerplate set, df
    /// sketch and copy groups stay as they are (a document of a version 1
    /// segment gets its cluster number stored as it reads, and this
    /// compaction's generation). The new segment is written and synced
    /// before the metadata is replaced atomically, as a commit does, so a
    /// crash leaves the index as it was before or after; readers keep
    /// their snapshot. A range of one segment without removed documents,
    /// or an empty one, changes nothing.
    pub fn compact_range(&mut self, range: Range<usize>) -> Result<CompactReport> {
        let mut clock = Clock::new();
        let index = self.index();
        let dir = index.path().to_path_buf();
        let n_seg = index.segments().len();
        if range.start > range.end || range.end > n_seg {
            return Err(Error::Index {
                path: dir,
                message: format!(
                    "cannot merge segments {}..{}: the index has {n_seg}",
                    range.start, range.end
                ),
            });
        }
        let old = &index.meta().segments[range.clone()];
        let mut report = CompactReport {
            generation: index.meta().generation,
            segments_before: n_seg,
            segments_after: n_seg,
            dropped: old.iter().map(|s| s.deleted).sum(),
            bytes_before: old.iter().map(|s| s.bytes).sum(),
            ..CompactReport::default()
        };
        if range.is_empty() || (range.len() == 1 && report.dropped == 0) {
            return Ok(report);
        }
        let damaged = |s: usize| {
            let path = dir.join(&index.meta().segments[s].name);
            move |e: super::FormatError| Error::Index {
                path: path.clone(),
                message: e.0,
            }
        };

        // The live documents of the run, by id (the order of a segment).
        let mut live: Vec<(Cow<'_, str>, DocAddress)> = Vec::new();
        for s in range.clone() {
            let seg = &index.segments()[s];
            let tombs = index.state.tombstones(s);
            for d in 0..seg.len() as u32 {
                if tombs.binary_search(&d).is_err() {
                    let id = seg.try_id(d as usize).map_err(damaged(s))?;
                    live.push((
                        id,
                        DocAddress {
                            segment: s as u32,
                            doc: d,
                        },
                    ));
                }
            }
        }
        live.par_sort_unstable_by(|x, y| x.0.cmp(&y.0));
        if let Some(w) = live.windows(2).find(|w| w[0].0 == w[1].0) {
            return Err(Error::Index {
                path: dir.clone(),
                message: format!(
                    "document {:?} is live in two segments: run `neardup index verify`",
                    w[0].0
                ),
            });
        }
        let n = live.len();
        clock.lap("documents listed");

        // Band hashes, copied from the band tables: document `i`'s are
        // `flat[i * bands..(i + 1) * bands]`.
        let bands = self.config().banding().bands;
        let mut flat = vec![0u64; n * bands];
        let mut filled = vec![0u32; n];
        // Each merged segment's document numbers, old to new.
        let mut new_of: Vec<Vec<u32>> = range
            .clone()
            .map(|s| vec![u32::MAX; index.segments()[s].len()])
            .collect();
        for (i, (_, a)) in live.iter().enumerate() {
            new_of[a.segment as usize - range.start][a.doc as usize] = i as u32;
        }
        for s in range.clone() {
            let seg = &index.segments()[s];
            let new_of = std::mem::take(&mut new_of[s - range.start]);
            for b in 0..bands {
                seg.band_entries(b, |h, d| {
                    let i = new_of[d as usize];
                    if i != u32::MAX {
                        flat[i as usize * bands + b] = h;
                        filled[i as usize] += 1;
                    }
                })
                .map_err(damaged(s))?;
            }
        }
        if let Some(i) = filled.iter().position(|&f| f != 0 && f as usize != bands) {
            let a = live[i].1;
            return Err(damaged(a.segment as usize)(super::FormatError(format!(
                "document {:?} is in {} of {bands} band tables",
                live[i].0, filled[i]
            ))));
        }
        clock.lap("band tables read");

        // Everything else a commit stores about each document.
        let mut meta = index.meta().clone();
        meta.generation += 1;
        let generation = meta.generation;
        let stored: Vec<Stored<'_>> = live
            .par_iter()
            .map(|(_, a)| {
                let seg = &index.segments()[a.segment as usize];
                let i = a.doc as usize;
                let doc = seg.try_doc(i).map_err(damaged(a.segment as usize))?;
                let set = seg.try_set(i).map_err(damaged(a.segment as usize))?;
                let cluster = index.try_cluster_at(*a)?;
                let added = seg
                    .try_generation(i)
                    .map_err(damaged(a.segment as usize))?
                    .unwrap_or(generation);
                let figures = seg.try_figures(i).map_err(damaged(a.segment as usize))?;
                Ok((doc.entry, set, (cluster, added), figures))
            })
            .collect::<Result<_>>()?;
        let docs: Vec<NewDoc<'_>> = stored
            .iter()
            .map(|(entry, _, _, figures)| NewDoc {
                entry,
                figures: figures.as_deref(),
            })
            .collect();
        let sets = DocSets::Held(stored.iter().map(|s| Cow::Borrowed(&*s.1)).collect());
        let facts: Vec<(u64, u64)> = stored.iter().map(|s| s.2).collect();
        let band_refs: Vec<Option<&[u64]>> = (0..n)
            .map(|i| (filled[i] != 0).then(|| &flat[i * bands..(i + 1) * bands]))
            .collect();
        clock.lap("documents read");
        let banding = self.config().banding();
        let name = write_new_segment(
            &dir, &mut meta, &docs, &sets, &facts, &band_refs, banding, None,
        )?;
        // Listed last by the writer: moved to the place of the run.
        let new_meta = name.as_ref().and_then(|_| meta.segments.pop());
        meta.segments.splice(range.clone(), new_meta);
        drop(docs);
        drop(sets);
        drop(band_refs);
        drop(stored);
        drop(flat);
        drop(live);
        self.fail(FailPoint::AfterSegment)?;
        clock.lap("segment written");

        let index = self.index();
        let mut tombs: Vec<Vec<u32>> = (0..n_seg)
            .map(|s| index.state.tombstones(s).into_owned())
            .collect();
        let kept = usize::from(name.is_some());
        tombs.splice(range.clone(), std::iter::repeat_n(Vec::new(), kept));
        let boilerplate = index.boilerplate().into_owned();
        let removed_ids: Vec<String> = self
            .removals
            .iter()
            .map(|a| index.try_doc(*a).map(|d| d.entry.id))
            .collect::<Result<_>>()?;
        let new_seg = match &name {
            Some(name) => Some(Segment::open(
                &dir.join(name),
                super::format::Verify::Blocks,
            )?),
            None => None,
        };
        clock.lap("segment opened, verified");
        report.documents = n as u64;
        report.bytes_after = new_seg.as_ref().map_or(0, Segment::file_len);
        self.install(
            meta,
            (range.clone(), new_seg),
            &boilerplate,
            &tombs,
            None,
            &mut clock,
        )?;
        // Waiting removals name documents by address: those of the merged
        // segments moved (by id: live ids are unique).
        let moved = removed_ids
            .iter()
            .filter_map(|id| self.index().find(id))
            .collect();
        self.removals = moved;
        report.generation = generation;
        report.merged = range.len();
        report.segment = name;
        report.segments_after = self.index().segments().len();
        report.timings = clock.laps;
        Ok(report)
    }

    /// Merges segments as `policy` says, again and again until it picks
    /// nothing more (each merge leaves fewer segments, so this ends);
    /// returns what each merge did (empty: nothing to merge). Waiting
    /// changes stay waiting, as in [`compact_range`](Self::compact_range).
    pub fn merge_by(&mut self, policy: &MergePolicy) -> Result<Vec<CompactReport>> {
        let mut out = Vec::new();
        while let Some(range) = policy.pick(&self.index().meta().segments) {
            out.push(self.compact_range(range)?);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seg(docs: u64, deleted: u64) -> SegmentMeta {
        SegmentMeta {
            name: String::new(),
            docs,
            deleted,
            bytes: 0,
        }
    }

    fn policy(k: usize, floor: u64, max: u64) -> MergePolicy {
        MergePolicy {
            segments_per_tier: k,
            floor_docs: floor,
            max_merge_docs: max,
        }
    }

    #[test]
    fn tiers_grow_by_powers_of_the_fan_out() {
        let p = policy(4, 10, u64::MAX);
        assert_eq!(p.tier(0), 0);
        assert_eq!(p.tier(39), 0);
        assert_eq!(p.tier(40), 1);
        assert_eq!(p.tier(159), 1);
        assert_eq!(p.tier(160), 2);
        assert_eq!(p.tier(u64::MAX), p.tier(u64::MAX - 1));
    }

    #[test]
    fn picks_the_lowest_full_tier_then_the_oldest_run() {
        let p = policy(3, 10, u64::MAX);
        // Two small ones: not enough.
        assert_eq!(p.pick(&[seg(100, 0), seg(1, 0), seg(2, 0)]), None);
        // Three small ones after a big one.
        let s = [seg(100, 0), seg(1, 0), seg(2, 0), seg(3, 0)];
        assert_eq!(p.pick(&s), Some(1..4));
        // Tier 1 run (30..90) and a tier 0 run: the lower first.
        let s = [
            seg(40, 0),
            seg(50, 0),
            seg(60, 0),
            seg(1, 0),
            seg(1, 0),
            seg(1, 0),
        ];
        assert_eq!(p.pick(&s), Some(3..6));
        assert_eq!(p.pick(&s[..3]), Some(0..3));
        // Removed documents do not count: a tier 1 segment mostly removed
        // joins the small ones after it.
        let s = [seg(100, 0), seg(45, 40), seg(1, 0), seg(1, 0)];
        assert_eq!(p.pick(&s), Some(1..4));
        // The size bound cuts the run; a run cut below two is left alone.
        let p = policy(3, 10, 5);
        assert_eq!(p.pick(&[seg(2, 0), seg(2, 0), seg(2, 0)]), Some(0..2));
        assert_eq!(p.pick(&[seg(6, 0), seg(2, 0), seg(2, 0)]), None);
    }

    #[test]
    fn merging_as_picked_leaves_few_segments() {
        // Simulated: 1000 commits of 7 documents each, merging as picked.
        let p = MergePolicy::default();
        let mut segs: Vec<SegmentMeta> = Vec::new();
        let mut rewritten = 0u64;
        for _ in 0..1000 {
            segs.push(seg(7, 0));
            while let Some(r) = p.pick(&segs) {
                let docs: u64 = segs[r.clone()].iter().map(|s| s.docs).sum();
                rewritten += docs;
                segs.splice(r, [seg(docs, 0)]);
            }
        }
        assert_eq!(segs.iter().map(|s| s.docs).sum::<u64>(), 7000);
        assert!(segs.len() < 2 * p.segments_per_tier, "{}", segs.len());
        assert!(rewritten < 7000 * 200, "{rewritten}");
    }
}
