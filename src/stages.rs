//! A scan cut into stages that run on pieces of a corpus, for engines that
//! spread the work over many machines (the Spark module of the Python
//! package): each function here is a thin facade over the pass of
//! [`Scan::finish`](crate::Scan::finish) it names, so a staged run gives
//! exactly the clusters and pairs of a scan.
//!
//! The stages, and what moves between them:
//!
//! 1. [`sign`]: per document, its word count, its shingle set (sorted
//!    32-bit keys, as the engine keeps them), its MinHash signature and
//!    its band keys.
//! 2. Candidates: documents sharing a `(band, key)` form a bucket; each
//!    bucket's members, **in id order**, are paired with
//!    [`bucket_pairs`] (each member with the next `max_bucket` ones: the
//!    engine's bound on giant buckets), the pairs of all buckets taken
//!    without repeats, then [`screen`]ed on their signatures as the
//!    engine does. [`is_copy_pair`] marks the pairs of near-verbatim
//!    copies on the raw sets, among those [`could_be_copies`] keeps.
//! 3. Boilerplate: copy groups are the connected components of the copy
//!    pairs (every other document a group of its own), each named by its
//!    smallest id. [`BoilerplatePlan`] gives the cut for the number of
//!    groups and which groups are counted ([`BoilerplatePlan::counts_group`]);
//!    each piece counts, in a [`KeyCounts`], the keys of the groups it
//!    holds whole (a group's keys once: the union of its members' sets);
//!    partial counts [`merge`](KeyCounts::merge) by summing, and
//!    [`KeyCounts::boilerplate`] makes the cut. Any split of the groups
//!    gives the same keys.
//! 4. Verify: each document's set less the boilerplate ([`Boilerplate::cut`]),
//!    then [`verify`] on the two cut sets and the two documents' figures
//!    ([`Signed::figures`], see [`crate::figures`]) of each candidate that
//!    [`could_be_duplicates`] keeps.
//! 5. Components: connected components of the verified pairs (any method).
//! 6. [`cluster_component`]: the engine's clustering (support order,
//!    linkage guard against chaining, representative by words) on one
//!    component, its members (cut sets, words and figures) in id order.
//!
//! Clusters are then numbered in order of their smallest id.
//!
//! One difference can remain: the engine pairs a giant bucket's members
//! in the order the documents were *added*, stages in id order. The two
//! agree whenever no bucket has more than `max_bucket + 1` members or the
//! documents were added in id order (as `neardup scan` adds the files of a
//! directory whose names sort as their relative paths).
//!
//! ```
//! use neardup::stages::{self, Boilerplate};
//! use neardup::Engine;
//! let engine = Engine::default();
//! let story = "Chinese officials summoned the heads of major electric vehicle makers \
//!              to Beijing this week to address the long-running price war.";
//! let a = stages::sign(&engine, story);
//! let b = stages::sign(&engine, &format!("Header. {story} Footer."));
//! assert_eq!(a.band_keys.len(), engine.config().banding().bands);
//! let cut = Boilerplate::new(Vec::new());
//! let s = stages::verify(
//!     engine.config(),
//!     (&cut.cut(&a.set), &a.figures),
//!     (&cut.cut(&b.set), &b.figures),
//! );
//! assert!(s.is_some());
//! ```

use std::collections::HashMap;

use crate::boilerplate::KeySet;
use crate::cluster::Edge;
use crate::config::Config;
use crate::engine::passes;
use crate::engine::Engine;
use crate::figures::CutSet;
use crate::verify::{similarity, Similarity};

/// What [`sign`] makes of one document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signed {
    /// Number of words (a document of none is skipped by a scan).
    pub words: usize,
    /// The shingle set: sorted, repeat-free 32-bit keys.
    pub set: Vec<u32>,
    /// The MinHash signature (`perms` values).
    pub signature: Vec<u32>,
    /// The key of each band (`bands` of them), or none for a document with
    /// no shingles (never a candidate).
    pub band_keys: Vec<u64>,
    /// Its figures and block summary ([`crate::figures::entries_of`]), for
    /// [`verify`] and [`cluster_component`].
    pub figures: Vec<u64>,
}

/// Signs one document as a scan reads it: words, shingle set, signature,
/// band keys (`crate::lsh::band_keys`) and figures.
pub fn sign(engine: &Engine, text: &str) -> Signed {
    let cfg = engine.config();
    let mut signature = Vec::new();
    let (words, set) = crate::shingle::text_keys(text, cfg.shingle(), |shingles| {
        signature = engine.hasher().signature(shingles);
    });
    let mut band_keys = Vec::new();
    crate::lsh::band_keys(&signature, cfg.banding(), &mut band_keys);
    Signed {
        words,
        set,
        signature,
        band_keys,
        figures: crate::figures::entries_of(text, cfg.shingle()),
    }
}

/// The candidate pairs of one bucket of `members` documents, listed in id
/// order: positions `(i, j)`, `i < j <= i + max_bucket`. Below
/// `max_bucket + 2` members that is every pair; a giant bucket (thousands
/// of identical pages) pairs each member with its next `max_bucket` ones
/// only, as the engine does, which keeps the work linear while every member
/// stays linked to its neighbours. Pairs found in several buckets are
/// taken once.
pub fn bucket_pairs(members: usize, max_bucket: usize) -> impl Iterator<Item = (usize, usize)> {
    let max_bucket = max_bucket.max(1);
    (0..members).flat_map(move |i| (i + 1..(i + 1 + max_bucket).min(members)).map(move |j| (i, j)))
}

/// Whether a candidate pair is compared at all: the engine's screen on the
/// signatures (an estimated Jaccard far below anything the decision rule
/// accepts drops the pair).
pub fn screen(cfg: &Config, signature_a: &[u32], signature_b: &[u32]) -> bool {
    crate::minhash::estimate_jaccard(signature_a, signature_b) >= passes::candidate_floor(cfg)
}

/// Whether a screened candidate pair is compared for the copy groups at
/// all: the engine's screen on the signatures and the raw set sizes (a
/// pair whose signatures agree far less than near-verbatim copies' would,
/// or whose smaller set is below the containment rule's size guard, is not
/// a copy pair). Dropping the pairs it rejects before [`is_copy_pair`] is
/// what the engine does; [`is_copy_pair`] holds for none of them but with
/// a probability below 3.2e-5 for a pair right at the rule's bound.
pub fn could_be_copies(
    cfg: &Config,
    signature_a: &[u32],
    signature_b: &[u32],
    size_a: usize,
    size_b: usize,
) -> bool {
    !passes::screens_after_lsh(cfg)
        || passes::could_be_copies(
            cfg,
            passes::agreement(signature_a, signature_b),
            size_a,
            size_b,
        )
}

/// Whether a screened candidate pair is verified at all once the
/// boilerplate is known: the engine's screen on the signatures, the raw
/// set sizes (`size_a`, `size_b`) and the sizes of the cut sets (`cut_a`,
/// `cut_b`, from [`Boilerplate::cut`]). A pair it rejects cannot share
/// enough of its cut sets for [`verify`] to accept it, but with a
/// probability below 3.2e-5 for a pair right at the rule's bound; the
/// engine verifies only the pairs it keeps.
pub fn could_be_duplicates(
    cfg: &Config,
    signature_a: &[u32],
    signature_b: &[u32],
    (size_a, size_b): (usize, usize),
    (cut_a, cut_b): (usize, usize),
) -> bool {
    !passes::screens_after_lsh(cfg)
        || passes::could_be_duplicates(
            cfg,
            passes::agreement(signature_a, signature_b),
            (size_a, size_b),
            (cut_a, cut_b),
        )
}

/// Whether a (screened) candidate pair are near-verbatim copies, judged on
/// their raw sets: the pairs that make the copy groups of the boilerplate
/// count.
pub fn is_copy_pair(cfg: &Config, set_a: &[u32], set_b: &[u32]) -> bool {
    passes::is_near_copy(set_a, set_b, cfg)
}

/// The boilerplate cut of a corpus, from its number of documents and of
/// copy groups.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BoilerplatePlan {
    cut: usize,
    rate: f64,
}

impl BoilerplatePlan {
    /// The plan for `documents` documents (those kept: with words) forming
    /// `copy_groups` groups; `None` when the configuration turns the cut
    /// off (then no set is cut).
    pub fn new(cfg: &Config, documents: usize, copy_groups: usize) -> Option<BoilerplatePlan> {
        cfg.boilerplate_cut(documents)?;
        let cut = cfg.boilerplate_cut(copy_groups).unwrap_or(usize::MAX);
        Some(BoilerplatePlan {
            cut,
            rate: passes::boilerplate_sample_rate(cut),
        })
    }

    /// The cut: a key in more than this many copy groups is boilerplate.
    pub fn cut(&self) -> usize {
        self.cut
    }

    /// The share of the copy groups counted (1 up to a cut of
    /// [`BOILERPLATE_SAMPLE`](crate::engine::BOILERPLATE_SAMPLE) groups).
    pub fn rate(&self) -> f64 {
        self.rate
    }

    /// Whether the copy group whose smallest id is `first_id` is counted.
    pub fn counts_group(&self, first_id: &str) -> bool {
        self.rate >= 1.0 || passes::group_counted(passes::sample_bound(self.rate), first_id)
    }

    /// A key counted in more than this many of the counted groups is
    /// boilerplate (`cut * rate`).
    pub fn limit(&self) -> f64 {
        self.cut as f64 * self.rate
    }

    /// Whether a key counted in `groups` of the counted groups is
    /// boilerplate.
    pub fn is_boilerplate(&self, groups: u64) -> bool {
        groups as f64 > self.limit()
    }
}

/// Partial counts of keys over copy groups: how many of the groups added
/// hold each key. Counts of disjoint sets of groups [`merge`](Self::merge)
/// into the count of their union.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeyCounts {
    counts: HashMap<u32, u64>,
}

impl KeyCounts {
    /// No group counted yet.
    pub fn new() -> KeyCounts {
        KeyCounts::default()
    }

    /// Counts one copy group, given its members' raw sets: each key of
    /// their union once.
    pub fn add_group<S: AsRef<[u32]>>(&mut self, sets: &[S]) {
        let mut keys: Vec<u32> = sets
            .iter()
            .flat_map(|s| s.as_ref().iter().copied())
            .collect();
        if sets.len() > 1 {
            keys.sort_unstable();
            keys.dedup();
        }
        for k in keys {
            *self.counts.entry(k).or_default() += 1;
        }
    }

    /// Adds `groups` to the count of `key` (a partial count made
    /// elsewhere).
    pub fn add(&mut self, key: u32, groups: u64) {
        *self.counts.entry(key).or_default() += groups;
    }

    /// Adds the counts of `other` (of other groups).
    pub fn merge(&mut self, other: KeyCounts) {
        for (k, c) in other.counts {
            self.add(k, c);
        }
    }

    /// The keys and their counts, sorted by key.
    pub fn to_sorted(&self) -> Vec<(u32, u64)> {
        let mut v: Vec<(u32, u64)> = self.counts.iter().map(|(&k, &c)| (k, c)).collect();
        v.sort_unstable();
        v
    }

    /// The boilerplate, once every counted group was added somewhere and
    /// the counts merged.
    pub fn boilerplate(&self, plan: &BoilerplatePlan) -> Boilerplate {
        Boilerplate::new(
            self.counts
                .iter()
                .filter(|&(_, &c)| plan.is_boilerplate(c))
                .map(|(&k, _)| k)
                .collect(),
        )
    }
}

/// The keys cut from every set.
#[derive(Debug, Clone)]
pub struct Boilerplate {
    keys: KeySet,
}

impl Boilerplate {
    /// The boilerplate made of `keys` (any order; repeats are fine).
    pub fn new(keys: Vec<u32>) -> Boilerplate {
        Boilerplate {
            keys: KeySet::new(keys),
        }
    }

    /// The keys, sorted.
    pub fn keys(&self) -> &[u32] {
        self.keys.keys()
    }

    /// `set` (sorted keys) less the boilerplate: what verification and
    /// clustering compare.
    pub fn cut(&self, set: &[u32]) -> Vec<u32> {
        if self.keys.is_empty() {
            return set.to_vec();
        }
        let mut gone = Vec::new();
        self.keys.members_of(set, &mut gone);
        if gone.is_empty() {
            return set.to_vec();
        }
        let mut out = Vec::with_capacity(set.len() - gone.len());
        let mut g = gone.iter().peekable();
        for &k in set {
            if g.peek() == Some(&&k) {
                g.next();
            } else {
                out.push(k);
            }
        }
        out
    }
}

/// The exact similarity of two sets (sorted keys): on cut sets, the
/// scores a scan gives the pair.
pub fn compare(a: &[u32], b: &[u32]) -> Similarity {
    similarity(a, b)
}

/// Verifies a candidate pair on its two cut sets and its two documents'
/// figures ([`Signed::figures`]): its similarity when the decision rule
/// calls it a duplicate and the figures rule ([`crate::figures`]) does not
/// refuse it, as a scan judges it.
pub fn verify(
    cfg: &Config,
    (cut_a, figures_a): (&[u32], &[u64]),
    (cut_b, figures_b): (&[u32], &[u64]),
) -> Option<Similarity> {
    let s = compare(cut_a, cut_b);
    let sets = || Some((CutSet::new(cut_a, &[]), CutSet::new(cut_b, &[])));
    crate::figures::judge(cfg, &s, || (Some(figures_a), Some(figures_b)), sets)
        .is_duplicate()
        .then_some(s)
}

/// A verified pair of one component, by position in its member list
/// (`a < b`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ComponentPair {
    /// Position of the first document.
    pub a: usize,
    /// Position of the second.
    pub b: usize,
    /// Exact Jaccard of the cut sets.
    pub jaccard: f64,
    /// Exact containment of the cut sets.
    pub containment: f64,
}

/// A cluster of two or more documents of one component.
#[derive(Debug, Clone, PartialEq)]
pub struct ComponentCluster {
    /// Position of its representative.
    pub representative: usize,
    /// Positions of its members, ascending.
    pub members: Vec<usize>,
    /// Its pairs, sorted: verified ones kept inside it and those the
    /// linkage check found on demand.
    pub pairs: Vec<ComponentPair>,
}

/// Clusters one connected component of the verified pairs as the engine
/// does (anti-chaining linkage guard; the representative has the most
/// words, ties to the smallest id). `cut_sets[i]`, `words[i]` and
/// `figures[i]` are those of the component's `i`-th member, **members in
/// id order**; `pairs` are its verified pairs. Returns the clusters of two
/// or more members, in order of their first member.
pub fn cluster_component<S: AsRef<[u32]>, F: AsRef<[u64]>>(
    cfg: &Config,
    cut_sets: &[S],
    words: &[u64],
    figures: &[F],
    pairs: &[ComponentPair],
) -> Vec<ComponentCluster> {
    let n = cut_sets.len();
    assert_eq!(words.len(), n, "one word count per member");
    assert_eq!(figures.len(), n, "one figure list per member");
    let mut edges: Vec<Edge> = pairs
        .iter()
        .map(|p| {
            assert!(p.a < p.b && p.b < n, "pair positions");
            Edge {
                a: p.a as u32,
                b: p.b as u32,
                jaccard: p.jaccard,
                containment: p.containment,
            }
        })
        .collect();
    edges.sort_unstable_by_key(|e| (e.a, e.b));
    let check = |x: u32, y: u32| {
        let s = similarity(cut_sets[x as usize].as_ref(), cut_sets[y as usize].as_ref());
        let (a, b) = (x as usize, y as usize);
        passes::scored(
            cfg,
            x,
            y,
            s,
            || (Some(figures[a].as_ref()), Some(figures[b].as_ref())),
            || {
                Some((
                    CutSet::new(cut_sets[a].as_ref(), &[]),
                    CutSet::new(cut_sets[b].as_ref(), &[]),
                ))
            },
        )
    };
    let mut c = crate::cluster::cluster(n, &edges, words, cfg.linkage(), check);
    c.edges.sort_unstable_by_key(|e| (e.a, e.b));
    let mut slot = vec![usize::MAX; n];
    let mut out: Vec<ComponentCluster> = Vec::new();
    for g in c.groups.iter().filter(|g| g.members.len() > 1) {
        for &m in &g.members {
            slot[m as usize] = out.len();
        }
        out.push(ComponentCluster {
            representative: g.representative as usize,
            members: g.members.iter().map(|&m| m as usize).collect(),
            pairs: Vec::new(),
        });
    }
    for e in &c.edges {
        out[slot[e.a as usize]].pairs.push(ComponentPair {
            a: e.a as usize,
            b: e.b as usize,
            jaccard: e.jaccard,
            containment: e.containment,
        });
    }
    out.sort_by_key(|c| c.members[0]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_pairs_bound_giant_buckets() {
        let all: Vec<_> = bucket_pairs(4, 64).collect();
        assert_eq!(all, [(0, 1), (0, 2), (0, 3), (1, 2), (1, 3), (2, 3)]);
        let bounded: Vec<_> = bucket_pairs(4, 2).collect();
        assert_eq!(bounded, [(0, 1), (0, 2), (1, 2), (1, 3), (2, 3)]);
        assert_eq!(bucket_pairs(1, 64).count(), 0);
        assert_eq!(bucket_pairs(0, 64).count(), 0);
    }

    #[test]
    fn key_counts_merge_as_one_count() {
        let groups: Vec<Vec<Vec<u32>>> = vec![
            vec![vec![1, 2, 3], vec![2, 3, 4]],
            vec![vec![3, 9]],
            vec![vec![3], vec![3, 9], vec![9]],
        ];
        let mut whole = KeyCounts::new();
        for g in &groups {
            whole.add_group(g);
        }
        let mut a = KeyCounts::new();
        a.add_group(&groups[0]);
        let mut b = KeyCounts::new();
        b.add_group(&groups[2]);
        b.add_group(&groups[1]);
        a.merge(b);
        assert_eq!(a, whole);
        assert_eq!(whole.to_sorted(), [(1, 1), (2, 1), (3, 3), (4, 1), (9, 2)]);
    }

    #[test]
    fn cut_removes_exactly_the_boilerplate() {
        let b = Boilerplate::new(vec![9, 3, 3, 100]);
        assert_eq!(b.keys(), [3, 9, 100]);
        assert_eq!(b.cut(&[1, 3, 5, 9, 11]), [1, 5, 11]);
        assert_eq!(b.cut(&[]), Vec::<u32>::new());
        assert_eq!(Boilerplate::new(vec![]).cut(&[4, 5]), [4, 5]);
    }
}
