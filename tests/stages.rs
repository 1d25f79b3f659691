//! A scan run stage by stage over partitions (as the Spark module runs it:
//! each partition alone, shuffles as maps keyed by id or key) gives exactly
//! the clusters and pairs of `Scan::finish`.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use neardup::stages::{self, BoilerplatePlan, ComponentPair, KeyCounts, Signed};
use neardup::{Config, Corpus, CorpusOptions, Engine, ScanResult};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A cluster as ids: members, representative, pairs `(a, b, jaccard,
/// containment)`.
type IdCluster = (Vec<String>, String, Vec<(String, String, f64, f64)>);

fn of_scan(r: &ScanResult) -> Vec<IdCluster> {
    r.clusters
        .iter()
        .map(|c| {
            let id = |d: usize| r.docs[d].id.clone();
            (
                c.docs.iter().map(|&d| id(d)).collect(),
                id(c.representative),
                c.pairs
                    .iter()
                    .map(|p| (id(p.a), id(p.b), p.jaccard, p.containment))
                    .collect(),
            )
        })
        .collect()
}

/// Minimal union-find over ids, the smallest id of each set its name.
#[derive(Default)]
struct Components(BTreeMap<String, String>);

impl Components {
    fn find(&mut self, x: &str) -> String {
        let mut r = x.to_string();
        while let Some(p) = self.0.get(&r) {
            if *p == r {
                break;
            }
            r = p.clone();
        }
        r
    }
    fn union(&mut self, a: &str, b: &str) {
        let (ra, rb) = (self.find(a), self.find(b));
        self.0.entry(ra.clone()).or_insert(ra.clone());
        self.0.entry(rb.clone()).or_insert(rb.clone());
        let (lo, hi) = if ra < rb { (ra, rb) } else { (rb, ra) };
        self.0.insert(hi, lo);
    }
}

/// The partitions a "cluster" would hold: sizes cycle through empty, one
/// document and larger pieces.
fn partitions<T: Clone>(docs: &[T]) -> Vec<Vec<T>> {
    let sizes = [0usize, 1, 7, 0, 1, 300, 2];
    let mut out = Vec::new();
    let mut i = 0;
    let mut k = 0;
    while i < docs.len() {
        let n = sizes[k % sizes.len()].min(docs.len() - i);
        out.push(docs[i..i + n].to_vec());
        i += n;
        k += 1;
    }
    out.push(Vec::new());
    out
}

/// Stable partition of a key among `p` (a stand-in for Spark's hash
/// partitioner).
fn part_of(key: &str, p: usize) -> usize {
    (xxhash_rust_free_hash(key) % p as u64) as usize
}

fn xxhash_rust_free_hash(s: &str) -> u64 {
    s.bytes().fold(0xcbf29ce484222325u64, |h, b| {
        (h ^ b as u64).wrapping_mul(0x100000001b3)
    })
}

/// The staged run: `docs` are `(id, text)`, in any order. Also returns the
/// number of candidate pairs the figures rule refused (the set rule alone
/// would have verified them).
fn staged_counting(cfg: &Config, docs: &[(String, String)]) -> (Vec<IdCluster>, usize) {
    let engine = Engine::new(cfg.clone());
    // 1. Sign, partition by partition; documents without words are skipped.
    let mut signed: BTreeMap<String, Signed> = BTreeMap::new();
    for part in partitions(docs) {
        for (id, text) in part {
            let s = stages::sign(&engine, &text);
            if s.words > 0 {
                assert!(signed.insert(id, s).is_none(), "test ids are unique");
            }
        }
    }
    let n = signed.len();
    // 2. Candidates: buckets by (band, key), members in id order (the
    // BTreeMap iterates so), pairs bounded, repeats dropped, screened.
    let mut buckets: HashMap<(usize, u64), Vec<&str>> = HashMap::new();
    for (id, s) in &signed {
        for (band, &key) in s.band_keys.iter().enumerate() {
            buckets.entry((band, key)).or_default().push(id);
        }
    }
    let mut pairs: BTreeSet<(&str, &str)> = BTreeSet::new();
    for members in buckets.values() {
        for (i, j) in stages::bucket_pairs(members.len(), cfg.max_bucket()) {
            pairs.insert((members[i], members[j]));
        }
    }
    let candidates: Vec<(&str, &str, bool)> = pairs
        .into_iter()
        .filter(|(a, b)| stages::screen(cfg, &signed[*a].signature, &signed[*b].signature))
        .map(|(a, b)| {
            let (sa, sb) = (&signed[a], &signed[b]);
            let copy = stages::could_be_copies(
                cfg,
                &sa.signature,
                &sb.signature,
                sa.set.len(),
                sb.set.len(),
            ) && stages::is_copy_pair(cfg, &sa.set, &sb.set);
            (a, b, copy)
        })
        .collect();
    // 3. Boilerplate: copy groups, counted per partition of groups, merged.
    let mut copies = Components::default();
    for &(a, b, copy) in &candidates {
        if copy {
            copies.union(a, b);
        }
    }
    let mut groups: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    for id in signed.keys() {
        groups.entry(copies.find(id)).or_default().push(id);
    }
    let boilerplate = match BoilerplatePlan::new(cfg, n, groups.len()) {
        None => stages::Boilerplate::new(Vec::new()),
        Some(plan) => {
            const P: usize = 5;
            let mut partial: Vec<KeyCounts> = (0..P).map(|_| KeyCounts::new()).collect();
            for (first, members) in &groups {
                if plan.counts_group(first) {
                    let sets: Vec<&[u32]> = members.iter().map(|m| &signed[*m].set[..]).collect();
                    partial[part_of(first, P)].add_group(&sets);
                }
            }
            // Merged through their sorted (key, count) lists, as a
            // shuffle would carry them.
            let mut total = KeyCounts::new();
            for p in partial {
                let mut again = KeyCounts::new();
                for (k, c) in p.to_sorted() {
                    again.add(k, c);
                }
                total.merge(again);
            }
            total.boilerplate(&plan)
        }
    };
    // 4. Verify on the cut sets.
    let cut: HashMap<&str, Vec<u32>> = signed
        .iter()
        .map(|(id, s)| (id.as_str(), boilerplate.cut(&s.set)))
        .collect();
    let mut refused = 0;
    let verified: Vec<(&str, &str, f64, f64)> = candidates
        .iter()
        .filter(|&&(a, b, _)| {
            let (sa, sb) = (&signed[a], &signed[b]);
            stages::could_be_duplicates(
                cfg,
                &sa.signature,
                &sb.signature,
                (sa.set.len(), sb.set.len()),
                (cut[a].len(), cut[b].len()),
            )
        })
        .filter_map(|&(a, b, _)| {
            let (fa, fb) = (&signed[a].figures[..], &signed[b].figures[..]);
            let got = stages::verify(cfg, (&cut[a], fa), (&cut[b], fb));
            if got.is_none() && stages::verify(cfg, (&cut[a], &[]), (&cut[b], &[])).is_some() {
                refused += 1;
            }
            got.map(|s| (a, b, s.jaccard, s.containment))
        })
        .collect();
    // 5. Components of the verified pairs.
    let mut comps = Components::default();
    for &(a, b, _, _) in &verified {
        comps.union(a, b);
    }
    let mut members: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    for id in signed.keys() {
        if comps.0.contains_key(id.as_str()) {
            members.entry(comps.find(id)).or_default().push(id);
        }
    }
    let mut edges: BTreeMap<String, Vec<(&str, &str, f64, f64)>> = BTreeMap::new();
    for &e in &verified {
        edges.entry(comps.find(e.0)).or_default().push(e);
    }
    // 6. Cluster each component; clusters in order of their first id.
    let mut out: Vec<IdCluster> = Vec::new();
    for (name, ids) in &members {
        let pos = |id: &str| ids.binary_search(&id).unwrap();
        let sets: Vec<&[u32]> = ids.iter().map(|id| &cut[id][..]).collect();
        let words: Vec<u64> = ids.iter().map(|id| signed[*id].words as u64).collect();
        let figures: Vec<&[u64]> = ids.iter().map(|id| &signed[*id].figures[..]).collect();
        let pairs: Vec<ComponentPair> = edges[name]
            .iter()
            .map(|&(a, b, jaccard, containment)| ComponentPair {
                a: pos(a),
                b: pos(b),
                jaccard,
                containment,
            })
            .collect();
        for c in stages::cluster_component(cfg, &sets, &words, &figures, &pairs) {
            out.push((
                c.members.iter().map(|&m| ids[m].to_string()).collect(),
                ids[c.representative].to_string(),
                c.pairs
                    .iter()
                    .map(|p| (ids[p.a].into(), ids[p.b].into(), p.jaccard, p.containment))
                    .collect(),
            ));
        }
    }
    out.sort_by(|x, y| x.0[0].cmp(&y.0[0]));
    (out, refused)
}

fn read_dir_docs(dir: &Path) -> Vec<(String, String)> {
    let corpus = Corpus::open(dir, CorpusOptions::default()).unwrap();
    let r = Engine::default().scan_corpus(&corpus);
    r.docs
        .iter()
        .enumerate()
        .map(|(d, doc)| (doc.id.clone(), r.text(d).unwrap()))
        .collect()
}

fn check(cfg: Config, dir: &Path, want_clusters: usize) -> usize {
    let corpus = Corpus::open(dir, CorpusOptions::default()).unwrap();
    let scan = Engine::new(cfg.clone()).scan_corpus(&corpus);
    let want = of_scan(&scan);
    assert!(want.len() >= want_clusters, "{} clusters", want.len());
    let mut docs = read_dir_docs(dir);
    // Input order does not matter to the stages.
    docs.reverse();
    docs.push(("empty-doc".into(), " \n ".into()));
    let (got, refused) = staged_counting(&cfg, &docs);
    assert_eq!(got.len(), want.len());
    for (g, w) in got.iter().zip(&want) {
        assert_eq!(g, w);
    }
    refused
}

/// The labeled template siblings of the Reuters wires (issue 26, class 4):
/// the stages refuse the pairs the scan refuses, on their figures.
#[test]
fn staged_run_equals_scan_on_the_reuters_template_siblings() {
    let truth =
        std::fs::read_to_string(root().join("tests/data/reuters-siblings.truth.tsv")).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let src = root().join("../shared/data/reuters21578/docs");
    for line in truth.lines().skip(1) {
        let id = line.split('\t').next().unwrap();
        std::fs::copy(src.join(id), tmp.path().join(id)).unwrap();
    }
    let refused = check(Config::default(), tmp.path(), 100);
    assert!(refused > 100, "{refused} pairs refused on their figures");
}

#[test]
fn staged_run_equals_scan_on_the_bundled_corpus() {
    check(Config::default(), &root().join("corpus"), 5);
    // The cut off, and a tight giant-bucket bound.
    let cfg = Config::builder()
        .boilerplate_min_docs(0)
        .max_bucket(1)
        .build()
        .unwrap();
    check(cfg, &root().join("corpus"), 5);
}

#[test]
fn staged_run_equals_scan_on_a_generated_corpus() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = neardup_synth::SynthConfig {
        stories: 600,
        seed: 3,
        ..Default::default()
    };
    neardup_synth::generate_to_dir(
        &root().join("../shared/data/reuters21578/docs"),
        tmp.path(),
        &cfg,
    )
    .unwrap();
    check(Config::default(), &tmp.path().join("docs"), 300);
    // A low cut, so that the boilerplate counts a sample of the groups.
    let cfg = Config::builder()
        .boilerplate_min_docs(70)
        .boilerplate_share(0.0)
        .build()
        .unwrap();
    assert!(stages::BoilerplatePlan::new(&cfg, 100, 100).unwrap().rate() < 1.0);
    check(cfg, &tmp.path().join("docs"), 300);
}
