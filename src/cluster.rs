//! Turning verified pairs into clusters without chaining.
//!
//! Plain connected components (union-find) merge two stories as soon as one
//! bridge document (a digest quoting both, a live blog) matches each of them.
//! neardup instead merges clusters with an *average-linkage guard*:
//!
//! 1. Verified duplicate edges are taken best supported first: by the number
//!    of triangles the edge sits in (common neighbours of its two ends in the
//!    duplicate graph), then containment, then Jaccard, then document order,
//!    so the result is deterministic. Copies of one story match each other and
//!    form triangles; a bridge document does not, so its edges come last.
//! 2. An edge inside one cluster changes nothing. An edge between two
//!    clusters `X` and `Y` merges them only if the mean containment of the
//!    cross pairs `(x, y)` is at least `linkage` (average linkage on
//!    containment). Successive updates of one story overlap each other
//!    broadly, so they pass even where the first and last versions share
//!    little; a page that shares one caption or one quote with a story has
//!    low containment with most of its members and stays out. Pairs that LSH did not
//!    propose are checked on demand against the exact shingle sets, so a
//!    missed candidate cannot veto a merge. For large clusters the check is
//!    made on at most [`MAX_LINKAGE_SIDE`] members of each side (the
//!    representative, then members in document order), which bounds the cost
//!    of one merge at `MAX_LINKAGE_SIDE²` set comparisons.
//!
//! With `linkage = 0` this is exactly connected components. With the default
//! a bridge document that matches one member of each of two stories cannot
//! glue them together, while a story's copies, which match each other, still
//! end up in one cluster.

use std::collections::HashMap;

/// Union-find over `0..n` with path halving; the root of a set is its
/// smallest member, so the result does not depend on the order of unions.
#[derive(Debug, Clone)]
pub struct UnionFind {
    parent: Vec<u32>,
}

impl UnionFind {
    /// `n` singleton sets.
    pub fn new(n: usize) -> Self {
        UnionFind {
            parent: (0..n as u32).collect(),
        }
    }

    /// The root (smallest member) of `x`'s set.
    pub fn find(&mut self, mut x: u32) -> u32 {
        let p = &mut self.parent;
        while p[x as usize] != x {
            p[x as usize] = p[p[x as usize] as usize];
            x = p[x as usize];
        }
        x
    }

    /// Joins the sets of `a` and `b`.
    pub fn union(&mut self, a: u32, b: u32) {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra != rb {
            self.parent[ra.max(rb) as usize] = ra.min(rb);
        }
    }
}

/// At most this many members of each side are compared in a linkage check.
pub const MAX_LINKAGE_SIDE: usize = 12;

/// A verified duplicate edge between documents `a < b`.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Edge {
    /// Smaller document index.
    pub a: u32,
    /// Larger document index.
    pub b: u32,
    /// Exact Jaccard.
    pub jaccard: f64,
    /// Exact containment.
    pub containment: f64,
}

/// Groups `n` documents into clusters.
///
/// `edges` are the verified duplicate pairs; `weight[d]` ranks documents for
/// the choice of a representative (the fullest version wins, ties go to the
/// lower index); `score(x, y)` compares an arbitrary pair exactly (used for
/// pairs absent from `edges`); `linkage` is the mean containment the cross
/// pairs of two clusters need for them to merge. Returns clusters as
/// sorted member lists, each with its representative, plus the edges that
/// were kept inside clusters and the extra duplicate pairs found on demand.
pub fn cluster(
    n: usize,
    edges: &[Edge],
    weight: &[u64],
    linkage: f64,
    mut score: impl FnMut(u32, u32) -> Scored,
) -> Clustering {
    // Support of an edge: how many common neighbours its two ends have in
    // the duplicate graph. Edges inside a story sit in many triangles; a
    // bridge between two stories sits in none, so it comes last.
    let mut adj: Vec<Vec<u32>> = vec![Vec::new(); n];
    for e in edges {
        adj[e.a as usize].push(e.b);
        adj[e.b as usize].push(e.a);
    }
    for l in &mut adj {
        l.sort_unstable();
        l.dedup();
    }
    let support =
        |e: &Edge| crate::verify::intersection_size(&adj[e.a as usize], &adj[e.b as usize]);
    let mut order: Vec<(usize, &Edge)> = edges.iter().map(|e| (support(e), e)).collect();
    order.sort_by(|(sx, x), (sy, y)| {
        sy.cmp(sx)
            .then(y.containment.total_cmp(&x.containment))
            .then(y.jaccard.total_cmp(&x.jaccard))
            .then((x.a, x.b).cmp(&(y.a, y.b)))
    });
    let known: HashMap<(u32, u32), Edge> = edges.iter().map(|e| ((e.a, e.b), *e)).collect();
    let mut extra: HashMap<(u32, u32), Scored> = HashMap::new();

    // cluster id per document; member lists per cluster id; representative.
    let mut owner: Vec<u32> = (0..n as u32).collect();
    let mut members: Vec<Vec<u32>> = (0..n as u32).map(|d| vec![d]).collect();
    let mut rep: Vec<u32> = (0..n as u32).collect();
    let better = |x: u32, y: u32| -> bool {
        (weight[x as usize], std::cmp::Reverse(x)) > (weight[y as usize], std::cmp::Reverse(y))
    };

    for (_, e) in order {
        let (cx, cy) = (owner[e.a as usize], owner[e.b as usize]);
        if cx == cy {
            continue;
        }
        let merge = if linkage <= 0.0 {
            true
        } else {
            let sx = sample(&members[cx as usize], rep[cx as usize]);
            let sy = sample(&members[cy as usize], rep[cy as usize]);
            let mut sum = 0.0;
            let total = sx.len() * sy.len();
            for &x in &sx {
                for &y in &sy {
                    let key = (x.min(y), x.max(y));
                    sum += match known.get(&key) {
                        Some(e) => e.containment,
                        None => {
                            extra
                                .entry(key)
                                .or_insert_with(|| score(key.0, key.1))
                                .containment
                        }
                    };
                }
            }
            sum >= linkage * total as f64
        };
        if !merge {
            continue;
        }
        // Merge the smaller member list into the larger.
        let (keep, gone) = if members[cx as usize].len() >= members[cy as usize].len() {
            (cx, cy)
        } else {
            (cy, cx)
        };
        let moved = std::mem::take(&mut members[gone as usize]);
        for &d in &moved {
            owner[d as usize] = keep;
        }
        members[keep as usize].extend(moved);
        let (rk, rg) = (rep[keep as usize], rep[gone as usize]);
        rep[keep as usize] = if better(rg, rk) { rg } else { rk };
    }

    let mut clusters: Vec<Group> = members
        .into_iter()
        .enumerate()
        .filter(|(_, m)| !m.is_empty())
        .map(|(c, mut m)| {
            m.sort_unstable();
            Group {
                representative: rep[c],
                members: m,
            }
        })
        .collect();
    clusters.sort_by_key(|g| g.members[0]);
    let cluster_of = {
        let mut v = vec![0usize; n];
        for (i, g) in clusters.iter().enumerate() {
            for &d in &g.members {
                v[d as usize] = i;
            }
        }
        v
    };
    let mut inside: Vec<Edge> = known
        .values()
        .chain(extra.values().filter_map(|s| s.edge.as_ref()))
        .filter(|e| cluster_of[e.a as usize] == cluster_of[e.b as usize])
        .copied()
        .collect();
    inside.sort_by_key(|e| (e.a, e.b));
    let found = extra.values().filter(|s| s.edge.is_some()).count();
    let rejected = edges.len() + found - inside.len();
    Clustering {
        groups: clusters,
        edges: inside,
        rejected_edges: rejected,
        found_edges: found,
    }
}

fn sample(members: &[u32], rep: u32) -> Vec<u32> {
    if members.len() <= MAX_LINKAGE_SIDE {
        return members.to_vec();
    }
    let mut s = vec![rep];
    let mut sorted = members.to_vec();
    sorted.sort_unstable();
    s.extend(
        sorted
            .into_iter()
            .filter(|&d| d != rep)
            .take(MAX_LINKAGE_SIDE - 1),
    );
    s
}

/// The exact comparison of a pair that LSH did not propose, made on demand
/// by the linkage check.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scored {
    /// Containment of the pair.
    pub containment: f64,
    /// The pair as a duplicate edge, when it passes the decision rule.
    pub edge: Option<Edge>,
}

/// One cluster: its members (sorted document indices) and representative.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    /// The fullest member.
    pub representative: u32,
    /// Sorted member indices.
    pub members: Vec<u32>,
}

/// The result of [`cluster`].
#[derive(Debug, Clone)]
pub struct Clustering {
    /// Every document appears in exactly one group (singletons included),
    /// groups ordered by their smallest member.
    pub groups: Vec<Group>,
    /// Duplicate edges whose two ends share a cluster, sorted.
    pub edges: Vec<Edge>,
    /// Duplicate edges left between clusters by the linkage guard.
    pub rejected_edges: usize,
    /// Pairs absent from `edges` that the linkage check compared on demand
    /// and found to be duplicates (inside a cluster or not).
    pub found_edges: usize,
}

#[cfg(test)]
mod tests {
    use super::*;

    const NONE: Scored = Scored {
        containment: 0.0,
        edge: None,
    };

    fn e(a: u32, b: u32, c: f64) -> Edge {
        Edge {
            a,
            b,
            jaccard: c,
            containment: c,
        }
    }

    #[test]
    fn components_without_linkage() {
        let edges = [e(0, 1, 0.9), e(1, 2, 0.8), e(3, 4, 0.7)];
        let c = cluster(6, &edges, &[1; 6], 0.0, |_, _| NONE);
        let sizes: Vec<usize> = c.groups.iter().map(|g| g.members.len()).collect();
        assert_eq!(sizes, [3, 2, 1]);
    }

    #[test]
    fn bridge_does_not_chain() {
        // Two stories {0,1,2} and {3,4,5} all matching inside; document 6
        // matches 2 and 3 only.
        let mut edges = vec![];
        for s in [[0, 1, 2], [3, 4, 5]] {
            for i in 0..3 {
                for j in i + 1..3 {
                    edges.push(e(s[i], s[j], 0.9));
                }
            }
        }
        edges.push(e(2, 6, 0.95));
        edges.push(e(3, 6, 0.95));
        let c = cluster(7, &edges, &[1; 7], 0.5, |_, _| NONE);
        let groups: Vec<Vec<u32>> = c.groups.iter().map(|g| g.members.clone()).collect();
        assert!(groups.contains(&vec![0, 1, 2]), "{groups:?}");
        assert!(groups.contains(&vec![3, 4, 5]), "{groups:?}");
        assert!(groups.contains(&vec![6]), "{groups:?}");
        assert!(groups.iter().all(|g| !(g.contains(&0) && g.contains(&3))));
        let cc = cluster(7, &edges, &[1; 7], 0.0, |_, _| NONE);
        assert_eq!(cc.groups[0].members.len(), 7);
    }

    #[test]
    fn representative_is_fullest() {
        let c = cluster(3, &[e(0, 1, 0.9), e(1, 2, 0.9)], &[5, 9, 9], 0.0, |_, _| {
            NONE
        });
        assert_eq!(c.groups[0].representative, 1);
    }
}
