//! Segment merging (`neardup index compact`, `IndexWriter::compact_range`):
//! every answer the same before and after, cluster ids stable across
//! compaction and restart, and a compaction stopped or killed at any point
//! leaves an index that opens and answers as before or after.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use neardup::index::{FailPoint, Index, IndexWriter, StoredSource, WriterOptions};
use neardup::{Config, Corpus, CorpusOptions};

mod common;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn sample_corpus() -> PathBuf {
    root().join("corpus")
}

use common::{bin, ok, run};

/// The article files of the sample corpus, sorted.
fn sample_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(sample_corpus())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "txt"))
        .collect();
    files.sort();
    files
}

/// An index of the sample corpus made by six commits, with removed
/// documents (one removed in a commit that adds others, one added again
/// later under the same id, so that a removed and a live copy share an id).
fn multi_commit_index(dir: &Path) {
    Index::create(dir, &Config::default()).unwrap();
    let files = sample_files();
    let id = |p: &Path| p.file_name().unwrap().to_str().unwrap().to_string();
    let add = |w: &mut IndexWriter, batch: &[PathBuf]| {
        let corpus = Corpus::open(batch, CorpusOptions::default()).unwrap();
        let r = w.add_corpus(&corpus, |_| {});
        assert!(r.skipped.is_empty(), "{:?}", r.skipped);
    };
    let batches: Vec<&[PathBuf]> = files.chunks(files.len().div_ceil(4)).collect();
    let mut w = IndexWriter::open(dir).unwrap();
    add(&mut w, batches[0]);
    w.commit().unwrap();
    assert!(w.remove(&id(&batches[0][1])));
    w.commit().unwrap();
    add(&mut w, batches[1]);
    assert!(w.remove(&id(&batches[0][2])));
    w.commit().unwrap();
    for batch in &batches[2..] {
        add(&mut w, batch);
        w.commit().unwrap();
    }
    add(&mut w, &batches[0][1..2]);
    w.commit().unwrap();
    let meta = w.index().meta();
    assert!(meta.segments.len() == 5 && meta.deleted == 2, "{meta:?}");
}

/// What `neardup query --format jsonl --explain` answers for every sample
/// article.
fn answers(dir: &Path) -> String {
    let d = dir.to_str().unwrap();
    let c = sample_corpus();
    let out = ok(&run(&[
        "query",
        d,
        c.to_str().unwrap(),
        "--format",
        "jsonl",
        "--explain",
    ]));
    assert!(out.lines().count() > 10, "{out}");
    out
}

type Facts = (u64, Option<u64>, StoredSource, u64, u64, u64, u64, Vec<u64>);

/// Everything the index holds about each live document but its address.
fn facts(dir: &Path) -> BTreeMap<String, Facts> {
    let index = Index::open(dir).unwrap();
    index
        .live_docs()
        .map(|a| {
            let f = index.facts_at(a);
            let set = index.segments()[a.segment as usize].set(a.doc as usize);
            assert_eq!(set.len() as u64, f.shingles);
            (
                f.id,
                (
                    f.cluster,
                    f.generation,
                    f.source,
                    f.words,
                    f.bytes,
                    f.shingles,
                    f.text_hash,
                    set.into_owned(),
                ),
            )
        })
        .collect()
}

fn segments(dir: &Path) -> usize {
    Index::open(dir).unwrap().segments().len()
}

#[test]
fn compaction_changes_no_answer_and_keeps_cluster_ids() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("index");
    multi_commit_index(&dir);
    let d = dir.to_str().unwrap();
    let before = answers(&dir);
    let facts_before = facts(&dir);
    let n = segments(&dir);

    // A run of segments, then everything.
    let o = run(&["index", "compact", d, "--range", "1..3"]);
    ok(&o);
    assert_eq!(segments(&dir), n - 1);
    assert_eq!(answers(&dir), before);
    assert_eq!(facts(&dir), facts_before);
    let o = run(&["index", "compact", d]);
    ok(&o);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("merged"), "{err}");
    let index = Index::open(&dir).unwrap();
    assert_eq!((index.segments().len(), index.meta().deleted), (1, 0));
    assert_eq!(answers(&dir), before);
    assert_eq!(facts(&dir), facts_before);
    ok(&run(&["index", "verify", d]));
    // One segment without removed documents: nothing to do.
    let generation = index.meta().generation;
    ok(&run(&["index", "compact", d, "-q"]));
    assert_eq!(Index::open(&dir).unwrap().meta().generation, generation);

    // After a restart, a copy of an indexed article joins its cluster.
    let original = sample_files()[0].clone();
    let id = original.file_name().unwrap().to_str().unwrap().to_string();
    let text = std::fs::read_to_string(&original).unwrap();
    let mut w = IndexWriter::open(&dir).unwrap();
    assert!(w
        .add_text("copy-of-first", &format!("{text} Reprinted."))
        .is_none());
    let r = w.commit().unwrap();
    let cluster = r.clusters[0].1;
    assert_eq!(Some(cluster), w.index().cluster_of(&id));
    assert_eq!(cluster, facts_before[&id].0);
    drop(w);
    assert_eq!(Index::open(&dir).unwrap().cluster_of(&id), Some(cluster));

    // Out-of-range runs are refused, naming the index.
    let o = run(&["index", "compact", d, "--range", "0..9"]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("segments 0..9"));
}

#[test]
fn a_compaction_stopped_at_any_point_leaves_the_index_as_before() {
    for fp in [
        FailPoint::AfterSegment,
        FailPoint::AfterState,
        FailPoint::BeforeMetaRename,
    ] {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("index");
        multi_commit_index(&dir);
        let before = answers(&dir);
        let n = segments(&dir);
        let options = WriterOptions {
            fail_point: Some(fp),
            ..Default::default()
        };
        let mut w = IndexWriter::open_with(&dir, &options).unwrap();
        let e = w.compact().unwrap_err();
        assert!(e.to_string().contains("fail point"), "{fp:?}: {e}");
        // Readers see the previous commit, complete, with its answers.
        assert_eq!(segments(&dir), n, "{fp:?}");
        assert_eq!(answers(&dir), before, "{fp:?}");
        let files = || std::fs::read_dir(&dir).unwrap().count();
        assert!(files() > n + 3, "{fp:?}: leftovers expected");
        drop(w);
        // The next writer removes the leftovers and compacts.
        let d = dir.to_str().unwrap();
        ok(&run(&["index", "compact", d, "-q"]));
        assert_eq!(files(), 4, "{fp:?}: one segment, state, metadata, LOCK");
        assert_eq!(answers(&dir), before, "{fp:?}");
        ok(&run(&["index", "verify", d, "-q"]));
    }
}

/// Writes `n` Reuters articles as one JSON Lines file; returns their ids.
fn reuters_jsonl(path: &Path, n: usize) -> Vec<String> {
    let mut out = String::new();
    let mut ids = Vec::new();
    for (name, text) in common::wires(n) {
        out.push_str(&serde_json::json!({"id": name, "text": text}).to_string());
        out.push('\n');
        ids.push(name);
    }
    std::fs::write(path, out).unwrap();
    ids
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
    }
}

#[test]
fn a_killed_compaction_leaves_an_index_that_answers_as_before() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("wires.jsonl");
    let ids = reuters_jsonl(&input, 1200);
    let pristine = tmp.path().join("pristine");
    let p = pristine.to_str().unwrap();
    ok(&run(&["index", "create", p, "-q"]));
    ok(&run(&[
        "index",
        "add",
        p,
        input.to_str().unwrap(),
        "--commit-every",
        "60",
        "-q",
    ]));
    let removed: Vec<&str> = ids.iter().step_by(13).map(String::as_str).collect();
    let mut args = vec!["index", "remove", p];
    args.extend(&removed);
    ok(&run(&args));
    let n = segments(&pristine);
    assert!(n >= 20, "{n}");
    let query = |dir: &Path| {
        ok(&run(&[
            "query",
            dir.to_str().unwrap(),
            input.to_str().unwrap(),
            "--format",
            "jsonl",
        ]))
    };
    let before = query(&pristine);
    assert!(before.lines().count() > 1000);

    let mut seen = BTreeMap::new();
    for (k, delay_ms) in [0u64, 3, 8, 15, 25, 40, 60, 90, 140, 220, 400]
        .into_iter()
        .enumerate()
    {
        let dir = tmp.path().join(format!("kill-{k}"));
        copy_dir(&pristine, &dir);
        let mut child = bin()
            .args(["index", "compact", dir.to_str().unwrap(), "-q"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(delay_ms));
        let _ = child.kill(); // SIGKILL: no destructor runs
        let _ = child.wait();
        // Before or after, never between: the same answers either way.
        let index = Index::open(&dir).unwrap();
        let count = index.segments().len();
        assert!(count == n || count == 1, "after {delay_ms} ms: {count}");
        assert_eq!(index.len(), ids.len() - removed.len());
        drop(index);
        assert_eq!(query(&dir), before, "after {delay_ms} ms");
        *seen.entry(count).or_insert(0) += 1;
        // And the next writer finishes the job.
        ok(&run(&["index", "compact", dir.to_str().unwrap(), "-q"]));
        ok(&run(&["index", "verify", dir.to_str().unwrap(), "-q"]));
        assert_eq!(segments(&dir), 1);
        assert_eq!(query(&dir), before);
        std::fs::remove_dir_all(&dir).unwrap();
    }
    eprintln!("segments left by the kills: {seen:?}");
}

#[test]
fn index_add_with_merge_keeps_few_segments_and_the_same_answers() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("wires.jsonl");
    reuters_jsonl(&input, 400);
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    for (dir, merge) in [(&a, false), (&b, true)] {
        let d = dir.to_str().unwrap();
        ok(&run(&["index", "create", d, "-q"]));
        let mut args = vec!["index", "add", d, input.to_str().unwrap(), "-q"];
        args.extend(["--commit-every", "10"]);
        if merge {
            args.push("--merge");
        }
        ok(&run(&args));
    }
    // 40 commits: 40 segments, or at most 7 per tier of the policy.
    assert_eq!(segments(&a), 40);
    assert!(segments(&b) < 8, "{}", segments(&b));
    let q = |dir: &Path| {
        ok(&run(&[
            "query",
            dir.to_str().unwrap(),
            input.to_str().unwrap(),
        ]))
    };
    assert_eq!(q(&a), q(&b));
    // The same documents and clusters (generations count the merges too).
    let clusters = |dir: &Path| -> Vec<(String, u64)> {
        facts(dir).into_iter().map(|(id, f)| (id, f.0)).collect()
    };
    assert_eq!(clusters(&a), clusters(&b));
}
