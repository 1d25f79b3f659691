//! The persistent index: equivalence with a scan, crash safety, corruption,
//! compatibility with a checked-in index, and the command line.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use neardup::index::{
    CreateOptions, FailPoint, Index, IndexPair, IndexWriter, OpenOptions, WriterOptions,
};
use neardup::verify::similarity;
use neardup::{Config, Corpus, CorpusOptions, Engine, Error};

type PairSet = BTreeSet<(String, String)>;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn sample_corpus() -> PathBuf {
    root().join("corpus")
}

fn aggregator_split() -> PathBuf {
    root().join("../shared/examples/aggregator-split")
}

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_neardup"))
}

fn run(args: &[&str]) -> Output {
    bin().args(args).output().expect("binary runs")
}

fn ok(o: &Output) -> String {
    assert!(
        o.status.success(),
        "exit {:?}\nstderr: {}",
        o.status,
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn norm(a: &str, b: &str) -> (String, String) {
    if a < b {
        (a.to_string(), b.to_string())
    } else {
        (b.to_string(), a.to_string())
    }
}

fn pair_set(pairs: &[IndexPair]) -> PairSet {
    pairs.iter().map(|p| norm(&p.a, &p.b)).collect()
}

/// The article files of a corpus directory, in reading order.
fn files(dir: &Path) -> Vec<PathBuf> {
    let corpus = Corpus::open(&[dir], CorpusOptions::default()).unwrap();
    let mut out = Vec::new();
    corpus.process(
        |d| d.source.to_string(),
        |e| {
            if let neardup::corpus::Event::Doc(p) = e {
                out.push(PathBuf::from(p));
            }
        },
        |_| {},
    );
    out
}

/// Verified pairs of a scan (linkage 0: every verified pair is kept).
fn scan_pairs(config: &Config, dir: &Path) -> PairSet {
    let cfg = rebuild(config).linkage(0.0).build().unwrap();
    let engine = Engine::new(cfg);
    let corpus = Corpus::open(&[dir], CorpusOptions::default()).unwrap();
    let r = engine.scan_corpus(&corpus);
    assert_eq!(r.stats.rejected_pairs, 0);
    let mut out = PairSet::new();
    for c in &r.clusters {
        for p in &c.pairs {
            out.insert(norm(&r.docs[p.a].id, &r.docs[p.b].id));
        }
    }
    assert_eq!(out.len(), r.stats.verified_pairs);
    out
}

/// Every pair compared exactly (no LSH, no boilerplate cut).
fn brute_force_pairs(config: &Config, dir: &Path) -> PairSet {
    let engine = Engine::new(config.clone());
    let docs: Vec<(String, Vec<u64>)> = files(dir)
        .iter()
        .map(|p| {
            let text = std::fs::read_to_string(p).unwrap();
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                engine.shingle_set(&text),
            )
        })
        .collect();
    let mut out = PairSet::new();
    for i in 0..docs.len() {
        for j in i + 1..docs.len() {
            if config.is_duplicate(&similarity(&docs[i].1, &docs[j].1)) {
                out.insert(norm(&docs[i].0, &docs[j].0));
            }
        }
    }
    out
}

fn rebuild(c: &Config) -> neardup::ConfigBuilder {
    Config::builder()
        .shingle(c.shingle())
        .perms(c.perms())
        .threshold(c.threshold())
        .containment(c.containment())
        .boilerplate_min_docs(c.boilerplate_min_docs())
        .boilerplate_share(c.boilerplate_share())
        .seed(c.seed())
}

/// Adds `batches` of inputs, one commit each; returns all reported pairs.
fn add_batches(dir: &Path, batches: &[Vec<PathBuf>]) -> PairSet {
    let mut w = IndexWriter::open(dir).unwrap();
    let mut all = PairSet::new();
    for b in batches {
        let corpus = Corpus::open(b, CorpusOptions::default()).unwrap();
        let r = w.add_corpus(&corpus, |_| {});
        assert!(r.skipped.is_empty(), "{:?}", r.skipped);
        let c = w.commit().unwrap();
        for p in &c.pairs {
            assert!(all.insert(norm(&p.a, &p.b)), "pair reported twice: {p:?}");
        }
    }
    all
}

/// Pairs found by querying every live document against the index.
fn query_pairs(index: &Index) -> PairSet {
    let mut out = PairSet::new();
    for addr in index.live_docs().collect::<Vec<_>>() {
        let id = index.doc(addr).entry.id;
        let set = index.segments()[addr.segment as usize].set(addr.doc as usize);
        let matches = index.query_set(&set).unwrap();
        assert!(
            matches.iter().any(|m| m.id == id),
            "{id} does not find itself"
        );
        for m in matches {
            if m.id != id {
                out.insert(norm(&id, &m.id));
            }
        }
    }
    out
}

fn split(files: &[PathBuf], parts: usize) -> Vec<Vec<PathBuf>> {
    let mut out = vec![Vec::new(); parts];
    for (i, f) in files.iter().enumerate() {
        out[i * parts / files.len()].push(f.clone());
    }
    out
}

// ---------------------------------------------------------------------------
// Equivalence

fn check_equivalence(corpus: &Path, min_pairs: usize) {
    let config = Config::default();
    let scan = scan_pairs(&config, corpus);
    let brute = brute_force_pairs(&config, corpus);
    assert_eq!(scan, brute, "scan misses pairs on this corpus");
    assert!(scan.len() >= min_pairs, "{}", scan.len());
    let all = files(corpus);
    for parts in [1, 5] {
        let tmp = tempfile::tempdir().unwrap();
        Index::create(tmp.path(), &config).unwrap();
        let added = add_batches(tmp.path(), &split(&all, parts));
        assert_eq!(added, scan, "{parts} batches");
        let index = Index::open(tmp.path()).unwrap();
        assert!(index.boilerplate().is_empty());
        assert_eq!(index.len(), all.len());
        assert_eq!(index.segments().len(), parts);
        assert_eq!(query_pairs(&index), scan, "queries after {parts} batches");
    }
}

#[test]
fn sample_corpus_one_batch_five_batches_and_scan_agree() {
    check_equivalence(&sample_corpus(), 30);
}

#[test]
fn aggregator_split_one_batch_five_batches_and_scan_agree() {
    check_equivalence(&aggregator_split(), 2);
}

#[test]
fn optimize_keeps_answers_and_drops_removed_documents() {
    let config = Config::default();
    let tmp = tempfile::tempdir().unwrap();
    Index::create(tmp.path(), &config).unwrap();
    let all = files(&sample_corpus());
    add_batches(tmp.path(), &split(&all, 4));
    let before = query_pairs(&Index::open(tmp.path()).unwrap());

    let mut w = IndexWriter::open(tmp.path()).unwrap();
    assert!(w.remove("port-01-wire.txt"));
    assert!(w.remove("bank-02-marketpulse.txt"));
    assert!(!w.remove("no-such-doc"));
    let r = w.commit().unwrap();
    assert_eq!(r.removed, 2);
    let index = Index::open(tmp.path()).unwrap();
    assert_eq!(index.len(), all.len() - 2);
    assert_eq!(index.meta().deleted, 2);
    assert!(index.find("port-01-wire.txt").is_none());
    let port = std::fs::read_to_string(sample_corpus().join("port-01-wire.txt")).unwrap();
    let m = index.query(&port).unwrap();
    assert!(m.iter().all(|m| m.id != "port-01-wire.txt"), "{m:?}");
    assert!(!m.is_empty(), "its copies still match");
    let expected: PairSet = before
        .iter()
        .filter(|(a, b)| {
            ![a, b]
                .iter()
                .any(|x| *x == "port-01-wire.txt" || *x == "bank-02-marketpulse.txt")
        })
        .cloned()
        .collect();
    assert_eq!(query_pairs(&index), expected);

    let o = w.optimize().unwrap();
    assert_eq!(o.segments_before, 4);
    assert_eq!(o.dropped, 2);
    assert_eq!(o.documents, all.len() - 2);
    assert!(o.bytes_after < o.bytes_before);
    drop(w);
    let index = Index::open(tmp.path()).unwrap();
    assert_eq!(index.segments().len(), 1);
    assert_eq!(index.meta().deleted, 0);
    assert_eq!(query_pairs(&index), expected);
    // Only the files of the current commit remain.
    let mut names: Vec<String> = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names.len(), 3, "{names:?}");

    // A removed id can be added again.
    let mut w = IndexWriter::open(tmp.path()).unwrap();
    assert!(w.add_text("port-01-wire.txt", &port).is_none());
    let r = w.commit().unwrap();
    assert!(r.pairs.len() >= 2, "{:?}", r.pairs);
    assert!(r
        .pairs
        .iter()
        .all(|p| p.a == "port-01-wire.txt" && p.b_indexed));
}

/// Unrelated stories under one long shared footer: without the boilerplate
/// cut every pair would be a duplicate.
fn footer_corpus(stories: usize) -> Vec<(String, String)> {
    let vocab: Vec<String> = (0..5000).map(|i| format!("w{i}x")).collect();
    let mut x = 0x1234_5678_9abc_def0u64;
    let mut word = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        vocab[(x % 5000) as usize].clone()
    };
    let footer: String = (0..60)
        .map(|i| format!("footer{i}"))
        .collect::<Vec<_>>()
        .join(" ");
    let mut docs = Vec::new();
    for s in 0..stories {
        let body: Vec<String> = (0..60).map(|_| word()).collect();
        docs.push((
            format!("story-{s:02}"),
            format!("{} {footer}", body.join(" ")),
        ));
        if s == 3 {
            // One real copy, with its own header.
            docs.push((
                format!("story-{s:02}-copy"),
                format!("Another outlet reports. {} {footer}", body.join(" ")),
            ));
        }
    }
    docs
}

#[test]
fn boilerplate_cut_grows_with_the_index() {
    let config = Config::default();
    let docs = footer_corpus(30);
    // A scan cuts the footer: only the real copy is a duplicate.
    let engine = Engine::new(rebuild(&config).linkage(0.0).build().unwrap());
    let mut scan = engine.scan();
    for (id, t) in &docs {
        scan.add_text(id, t);
    }
    let r = scan.finish();
    let scan_pairs: PairSet = r
        .clusters
        .iter()
        .flat_map(|c| {
            c.pairs
                .iter()
                .map(|p| norm(&r.docs[p.a].id, &r.docs[p.b].id))
        })
        .collect();
    let expected: PairSet = [norm("story-03", "story-03-copy")].into();
    assert_eq!(scan_pairs, expected);
    assert!(r.stats.boilerplate_shingles > 0);

    // One batch: the same.
    let tmp = tempfile::tempdir().unwrap();
    Index::create(tmp.path(), &config).unwrap();
    let mut w = IndexWriter::open(tmp.path()).unwrap();
    for (id, t) in &docs {
        assert!(w.add_text(id, t).is_none());
    }
    let c = w.commit().unwrap();
    assert_eq!(pair_set(&c.pairs), expected);
    assert!(c.boilerplate_shingles >= 50, "{}", c.boilerplate_shingles);
    drop(w);

    // Five batches: early batches, too small for the footer to count as
    // boilerplate, report footer pairs; once it is frequent, queries and
    // later commits ignore it.
    let tmp = tempfile::tempdir().unwrap();
    Index::create(tmp.path(), &config).unwrap();
    let mut w = IndexWriter::open(tmp.path()).unwrap();
    let mut early = 0;
    for (n, chunk) in docs.chunks(7).enumerate() {
        for (id, t) in chunk {
            w.add_text(id, t);
        }
        let c = w.commit().unwrap();
        if n == 0 {
            early = c.pairs.len();
            assert_eq!(c.boilerplate_shingles, 0);
        }
        if n == 4 {
            assert!(c.boilerplate_shingles >= 50);
            assert!(c.pairs.is_empty(), "{:?}", c.pairs);
        }
    }
    assert!(early > 5, "footer pairs before the cut: {early}");
    let index = Index::open(tmp.path()).unwrap();
    assert_eq!(query_pairs(&index), expected);
    // Optimize rebuilds everything as one batch would.
    w.optimize().unwrap();
    assert_eq!(query_pairs(w.index()), expected);
    assert_eq!(w.index().meta().groups, 30);
}

#[test]
fn duplicate_ids_empty_documents_and_buffer_removal() {
    let tmp = tempfile::tempdir().unwrap();
    Index::create(tmp.path(), &Config::default()).unwrap();
    let mut w = IndexWriter::open(tmp.path()).unwrap();
    assert!(w.add_text("a", "one two three four five six").is_none());
    let s = w.add_text("a", "seven eight nine ten").unwrap();
    assert_eq!(s.reason, neardup::corpus::SkipReason::DuplicateId);
    let s = w.add_text("e", " ... ").unwrap();
    assert_eq!(s.reason, neardup::corpus::SkipReason::Empty);
    assert!(w.add_text("b", "something else entirely here").is_none());
    assert!(w.remove("b"));
    assert_eq!(w.pending_docs(), 1);
    w.commit().unwrap();
    let s = w.add_text("a", "again").unwrap();
    assert!(s.message.contains("already in the index"), "{}", s.message);
    // Nothing pending: a commit is a no-op.
    let g = w.index().meta().generation;
    assert_eq!(w.commit().unwrap().generation, g);
}

#[test]
fn explain_rereads_sources_and_notices_changes() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src");
    std::fs::create_dir(&src).unwrap();
    let a =
        std::fs::read_to_string(aggregator_split().join("04-business-standard-byd-price-war.txt"))
            .unwrap();
    let b = std::fs::read_to_string(aggregator_split().join("05-yahoo-byd-price-war.txt")).unwrap();
    std::fs::write(src.join("a.txt"), &a).unwrap();
    let line = serde_json::json!({"key": "b-json", "body": b}).to_string();
    std::fs::write(src.join("more.jsonl"), format!("\n{line}\n")).unwrap();
    let dir = tmp.path().join("index");
    Index::create(&dir, &Config::default()).unwrap();
    let mut w = IndexWriter::open(&dir).unwrap();
    let opts = CorpusOptions {
        id_field: "key".into(),
        text_field: "body".into(),
        ..CorpusOptions::default()
    };
    let corpus = Corpus::open(&[&src], opts.clone()).unwrap();
    let r = w.add_corpus(&corpus, |_| {});
    assert_eq!(r.added, 2);
    let c = w.commit().unwrap();
    assert_eq!(pair_set(&c.pairs), [norm("a.txt", "b-json")].into());
    drop(w);
    let index = Index::open(&dir).unwrap();
    let m = index.query(&b).unwrap();
    assert_eq!(m[0].id, "b-json");
    assert_eq!(index.load_text(m[0].address).unwrap(), b);
    assert_eq!(m[1].id, "a.txt");
    assert_eq!(index.load_text(m[1].address).unwrap(), a);
    // The source changed: said clearly, not explained against other text.
    std::fs::write(src.join("a.txt"), "a different text now").unwrap();
    let e = index.load_text(m[1].address).unwrap_err().to_string();
    assert!(e.contains("changed since it was indexed"), "{e}");
    std::fs::remove_file(src.join("a.txt")).unwrap();
    assert!(index.load_text(m[1].address).is_err());
}

// ---------------------------------------------------------------------------
// Configuration, lock

#[test]
fn mismatched_configuration_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = Config::builder().shingle(5).build().unwrap();
    let index = Index::create(tmp.path(), &cfg).unwrap();
    assert!(index.check_config(&cfg).is_ok());
    match index.check_config(&Config::default()) {
        Err(Error::IndexConfigMismatch {
            setting,
            index,
            given,
            ..
        }) => assert_eq!(
            (setting.as_str(), index.as_str(), given.as_str()),
            ("shingle", "5", "4")
        ),
        other => panic!("{other:?}"),
    }
    let d = tmp.path().to_str().unwrap();
    let input = aggregator_split();
    let o = run(&["index", "add", d, input.to_str().unwrap(), "--shingle", "4"]);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("--shingle = 5, but 4 was given"), "{err}");
    let o = run(&["query", d, input.to_str().unwrap(), "--perms", "64"]);
    assert!(String::from_utf8_lossy(&o.stderr).contains("--perms"));
    // Giving the stored value is fine.
    ok(&run(&[
        "index",
        "add",
        d,
        input.to_str().unwrap(),
        "--shingle",
        "5",
        "-q",
    ]));
    // An index refuses exact mode and a second create.
    let exact = Config::builder().exact(true).build().unwrap();
    assert!(Index::create(tmp.path().join("x"), &exact).is_err());
    let e = Index::create(tmp.path(), &cfg).unwrap_err().to_string();
    assert!(e.contains("already holds an index"), "{e}");
}

#[test]
fn one_writer_many_readers() {
    let tmp = tempfile::tempdir().unwrap();
    Index::create(tmp.path(), &Config::default()).unwrap();
    let mut w = IndexWriter::open(tmp.path()).unwrap();
    match IndexWriter::open(tmp.path()) {
        Err(Error::IndexLocked { pid, stale, path }) => {
            assert_eq!(pid, Some(std::process::id()));
            assert!(!stale);
            assert_eq!(path, tmp.path().join("LOCK"));
        }
        other => panic!("{other:?}"),
    }
    let o = run(&[
        "index",
        "add",
        tmp.path().to_str().unwrap(),
        aggregator_split().to_str().unwrap(),
    ]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains(&format!("process {}", std::process::id())),
        "{err}"
    );
    // Readers open while the writer works, and see the last commit only.
    w.add_text("x", "words words and more words to index");
    let r1 = Index::open(tmp.path()).unwrap();
    assert_eq!(r1.len(), 0);
    w.commit().unwrap();
    assert_eq!(r1.len(), 0, "an open reader keeps its snapshot");
    assert_eq!(Index::open(tmp.path()).unwrap().len(), 1);
    drop(w);
    assert!(!tmp.path().join("LOCK").exists());
    IndexWriter::open(tmp.path()).unwrap();
}

// ---------------------------------------------------------------------------
// Crash safety

fn committed_ids(index: &Index) -> BTreeSet<String> {
    index.live_docs().map(|a| index.doc(a).entry.id).collect()
}

#[test]
fn a_commit_stopped_at_any_point_leaves_the_previous_one() {
    let all = files(&sample_corpus());
    for fp in [
        FailPoint::AfterSegment,
        FailPoint::AfterState,
        FailPoint::BeforeMetaRename,
    ] {
        let tmp = tempfile::tempdir().unwrap();
        Index::create(tmp.path(), &Config::default()).unwrap();
        add_batches(tmp.path(), &[all[..20].to_vec()]);
        let before = committed_ids(&Index::open(tmp.path()).unwrap());
        let opts = WriterOptions {
            fail_point: Some(fp),
            ..Default::default()
        };
        let mut w = IndexWriter::open_with(tmp.path(), &opts).unwrap();
        let corpus = Corpus::open(&all[20..], CorpusOptions::default()).unwrap();
        w.add_corpus(&corpus, |_| {});
        assert!(w.remove("airline-01-wire.txt"));
        let e = w.commit().unwrap_err();
        assert!(e.to_string().contains("fail point"), "{e}");
        // Readers see exactly the previous commit, complete.
        let index = Index::open(tmp.path()).unwrap();
        assert_eq!(committed_ids(&index), before, "{fp:?}");
        query_pairs(&index);
        // Leftovers exist until the next writer cleans them up.
        let count = || std::fs::read_dir(tmp.path()).unwrap().count();
        assert!(count() > 3 + 1, "{fp:?}: leftovers expected");
        drop(w);
        let mut w = IndexWriter::open(tmp.path()).unwrap();
        assert_eq!(count(), 4, "{fp:?}: garbage collected (3 files + LOCK)");
        let r = w.add_corpus(&corpus, |_| {});
        assert_eq!(r.added, all.len() - 20);
        w.commit().unwrap();
        assert_eq!(w.index().len(), all.len());
    }
}

/// Writes `n` Reuters articles (or fewer if absent) as one JSON Lines file.
fn reuters_jsonl(path: &Path, n: usize) -> Vec<String> {
    let dir = root().join("../shared/data/reuters21578/docs");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .expect("../shared/data/reuters21578/docs")
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    let mut out = String::new();
    let mut ids = Vec::new();
    for name in names.into_iter().take(n) {
        let text = std::fs::read_to_string(dir.join(&name)).unwrap();
        out.push_str(&serde_json::json!({"id": name, "text": text}).to_string());
        out.push('\n');
        ids.push(name);
    }
    std::fs::write(path, out).unwrap();
    ids
}

#[test]
fn a_killed_writer_leaves_a_complete_committed_state() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("wires.jsonl");
    let ids = reuters_jsonl(&input, 3000);
    let dir = tmp.path().join("index");
    Index::create(&dir, &Config::default()).unwrap();
    let every = 250;
    let mut seen_states = BTreeSet::new();
    for delay_ms in [40u64, 120, 250, 400, 700, 1000, 1500, 2500] {
        let mut child = bin()
            .args([
                "index",
                "add",
                dir.to_str().unwrap(),
                input.to_str().unwrap(),
                "--commit-every",
                &every.to_string(),
                "--break-stale-lock",
                "--threads",
                "1",
                "-q",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(delay_ms));
        let _ = child.kill(); // SIGKILL: no destructor runs, the lock stays
        let _ = child.wait();
        let index = Index::open(&dir).unwrap();
        let live = committed_ids(&index);
        // Exactly a committed state: a whole number of commits, each
        // complete (every document findable and matching itself).
        assert_eq!(live.len() % every, 0, "after {delay_ms} ms: {}", live.len());
        assert!(live.iter().all(|id| ids.contains(id)));
        assert_eq!(index.meta().documents as usize, live.len());
        for addr in index.live_docs().step_by(97) {
            let set = index.segments()[addr.segment as usize].set(addr.doc as usize);
            let m = index.query_set(&set).unwrap();
            assert!(m.iter().any(|m| m.address == addr));
        }
        eprintln!(
            "killed after {delay_ms} ms: {} documents committed",
            live.len()
        );
        seen_states.insert(live.len());
        if live.len() == ids.len() {
            break;
        }
    }
    // The stale lock is reported, then broken on request; the ingest resumes
    // where it stopped (ids already in the index are skipped).
    if dir.join("LOCK").exists() {
        let e = IndexWriter::open(&dir).unwrap_err().to_string();
        assert!(e.contains("stale"), "{e}");
    }
    let o = run(&[
        "index",
        "add",
        dir.to_str().unwrap(),
        input.to_str().unwrap(),
        "--break-stale-lock",
    ]);
    ok(&o);
    let index = Index::open(&dir).unwrap();
    assert_eq!(committed_ids(&index).len(), ids.len());
    assert!(
        seen_states.len() >= 2,
        "kills landed in one state only: {seen_states:?}"
    );
}

// ---------------------------------------------------------------------------
// Corruption

fn small_index(dir: &Path) {
    Index::create(dir, &Config::default()).unwrap();
    add_batches(dir, &[files(&aggregator_split())]);
}

fn index_files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    v.sort();
    v
}

fn open_err(dir: &Path) -> String {
    match Index::open(dir) {
        Ok(_) => panic!("opened a damaged index"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn damaged_files_give_clear_errors_naming_the_file() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("i");
    small_index(&dir);
    for file in index_files(&dir) {
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        let good = std::fs::read(&file).unwrap();
        // Truncations.
        for keep in [0, 10, 47, good.len() / 2, good.len() - 1] {
            std::fs::write(&file, &good[..keep]).unwrap();
            let e = open_err(&dir);
            assert!(e.contains(&name), "{name} truncated to {keep}: {e}");
            assert!(e.contains("truncated") || e.contains("footer"), "{e}");
        }
        // Flipped bytes anywhere.
        for i in (0..good.len()).step_by(good.len() / 37 + 1) {
            let mut bad = good.clone();
            bad[i] ^= 0x20;
            std::fs::write(&file, &bad).unwrap();
            let e = open_err(&dir);
            assert!(e.contains(&name), "{name} byte {i}: {e}");
        }
        // A newer format version.
        let mut bad = good.clone();
        let n = bad.len();
        bad[n - 28..n - 24].copy_from_slice(&2u32.to_le_bytes());
        std::fs::write(&file, &bad).unwrap();
        let e = open_err(&dir);
        assert!(e.contains("format version 2 is newer"), "{e}");
        std::fs::write(&file, &good).unwrap();
    }
    Index::open(&dir).unwrap();
    // A missing segment.
    let seg = index_files(&dir)
        .into_iter()
        .find(|p| p.extension().is_some_and(|e| e == "seg"))
        .unwrap();
    std::fs::remove_file(&seg).unwrap();
    let e = open_err(&dir);
    assert!(e.contains("seg-000001.seg") && e.contains("missing"), "{e}");
    // Not an index at all.
    let e = open_err(tmp.path());
    assert!(e.contains("not an index"), "{e}");
    let e = open_err(&tmp.path().join("nowhere"));
    assert!(e.contains("no such index directory"), "{e}");
}

#[test]
fn checksums_can_be_skipped_on_open_and_verified_later() {
    let tmp = tempfile::tempdir().unwrap();
    small_index(tmp.path());
    let seg = tmp.path().join("seg-000001.seg");
    let mut bytes = std::fs::read(&seg).unwrap();
    bytes[20] ^= 0xff; // inside the first shingle set
    std::fs::write(&seg, &bytes).unwrap();
    let opts = OpenOptions {
        verify_checksums: false,
    };
    let index = Index::open_with(tmp.path(), &opts).unwrap();
    let e = index.verify().unwrap_err().to_string();
    assert!(
        e.contains("checksum mismatch") && e.contains("seg-000001.seg"),
        "{e}"
    );
}

// ---------------------------------------------------------------------------
// Compatibility

const COMPAT_DOCS: [&str; 6] = [
    "airline-01-wire.txt",
    "airline-02-northwind-post.txt",
    "bridge-brief-01-riverside-chronicle.txt",
    "bridge-brief-02-northwind-post.txt",
    "copper-01-wire.txt",
    "copper-03-marketpulse.txt",
];

fn compat_dir() -> PathBuf {
    root().join("tests/data/index-v1")
}

/// Rebuilds `tests/data/index-v1` (run by hand, only when the format
/// version changes: `cargo test --test index -- --ignored build_compat`).
#[test]
#[ignore]
fn build_compat_index() {
    let dir = compat_dir();
    for f in index_files(&dir) {
        if f.file_name().unwrap() != "README.md" {
            std::fs::remove_file(f).unwrap();
        }
    }
    let opts = CreateOptions { sketch_bits: 8 };
    Index::create_with(&dir, &Config::default(), &opts).unwrap();
    let mut w = IndexWriter::open(&dir).unwrap();
    for (i, id) in COMPAT_DOCS.iter().enumerate() {
        let text = std::fs::read_to_string(sample_corpus().join(id)).unwrap();
        w.add_text(id, &text);
        if i == 3 {
            w.commit().unwrap();
        }
    }
    w.commit().unwrap();
    assert!(w.remove("copper-03-marketpulse.txt"));
    w.commit().unwrap();
}

#[test]
fn compatibility_index_v1_opens_and_answers() {
    let dir = compat_dir();
    let size: u64 = index_files(&dir)
        .iter()
        .map(|f| std::fs::metadata(f).unwrap().len())
        .sum();
    assert!(size < 64 << 10, "the checked-in index stays small: {size}");
    let index = Index::open(&dir).unwrap();
    let meta = index.meta();
    assert_eq!(meta.format_version, 1);
    assert_eq!(meta.generation, 3);
    assert_eq!(index.segments().len(), 2);
    assert_eq!(index.len(), 5);
    assert_eq!(meta.deleted, 1);
    assert_eq!(meta.config.shingle, 4);
    assert_eq!((meta.config.bands, meta.config.rows), (64, 2));
    assert_eq!(meta.sketch_bits, 8);
    // It answers like a fresh index of the same documents.
    let fresh_dir = tempfile::tempdir().unwrap();
    Index::create(fresh_dir.path(), index.config()).unwrap();
    let mut w = IndexWriter::open(fresh_dir.path()).unwrap();
    for id in &COMPAT_DOCS[..5] {
        w.add_text(
            id,
            &std::fs::read_to_string(sample_corpus().join(id)).unwrap(),
        );
    }
    w.commit().unwrap();
    for id in COMPAT_DOCS {
        let text = std::fs::read_to_string(sample_corpus().join(id)).unwrap();
        let old: Vec<(String, f64, f64)> = index
            .query(&text)
            .unwrap()
            .into_iter()
            .map(|m| (m.id, m.jaccard, m.containment))
            .collect();
        let new: Vec<(String, f64, f64)> = w
            .index()
            .query(&text)
            .unwrap()
            .into_iter()
            .map(|m| (m.id, m.jaccard, m.containment))
            .collect();
        assert_eq!(old, new, "{id}");
    }
    let airline =
        std::fs::read_to_string(sample_corpus().join("airline-03-riverside-chronicle.txt"))
            .unwrap();
    let ids: Vec<String> = index
        .query(&airline)
        .unwrap()
        .into_iter()
        .map(|m| m.id)
        .collect();
    assert_eq!(
        ids,
        ["airline-01-wire.txt", "airline-02-northwind-post.txt"]
    );
    let copper =
        std::fs::read_to_string(sample_corpus().join("copper-03-marketpulse.txt")).unwrap();
    let ids: Vec<String> = index
        .query(&copper)
        .unwrap()
        .into_iter()
        .map(|m| m.id)
        .collect();
    assert_eq!(
        ids,
        ["copper-01-wire.txt"],
        "the removed copy stays removed"
    );
    // A writer may not touch the checked-in files: open a copy.
    let copy = tempfile::tempdir().unwrap();
    for f in index_files(&dir) {
        std::fs::copy(&f, copy.path().join(f.file_name().unwrap())).unwrap();
    }
    let mut w = IndexWriter::open(copy.path()).unwrap();
    w.add_text("airline-03", &airline);
    let r = w.commit().unwrap();
    assert_eq!(r.pairs.len(), 2);
}

// ---------------------------------------------------------------------------
// Command line

#[test]
fn cli_create_add_query_info_remove_optimize() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path().join("idx");
    let d = d.to_str().unwrap();
    let corpus = sample_corpus();
    let all = files(&corpus);
    ok(&run(&["index", "create", d, "--threshold", "0.5", "-q"]));
    // Day 1: half the corpus; day 2: the rest (and day 1 again: skipped).
    let (day1, day2) = all.split_at(20);
    let mut args: Vec<&str> = vec!["index", "add", d];
    args.extend(day1.iter().map(|p| p.to_str().unwrap()));
    let out1 = ok(&run(&args));
    let o = run(&["index", "add", d, corpus.to_str().unwrap()]);
    let out2 = ok(&o);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("added 21 documents, 20 skipped (20 duplicate id)"),
        "{err}"
    );
    let mut pairs = PairSet::new();
    for line in out1.lines().chain(out2.lines()) {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(keys, ["a", "b", "jaccard", "containment"]);
        let a = v["a"].as_str().unwrap();
        assert!(day2.iter().chain(day1).any(|p| p.ends_with(a)));
        pairs.insert(norm(a, v["b"].as_str().unwrap()));
    }
    assert_eq!(pairs, scan_pairs(&Config::default(), &corpus));
    // Day 2 lines name a new document first.
    for line in out2.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        let a = v["a"].as_str().unwrap();
        assert!(day2.iter().any(|p| p.ends_with(a)), "{line}");
    }

    let q = corpus.join("port-03-northwind-post.txt");
    let out = ok(&run(&["query", d, q.to_str().unwrap(), "--explain"]));
    let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(v["query"], "port-03-northwind-post.txt");
    let m = v["matches"].as_array().unwrap();
    assert_eq!(m.len(), 4);
    assert_eq!(m[0]["id"], "port-03-northwind-post.txt");
    assert_eq!(m[0]["containment"], 1.0);
    for w in m.windows(2) {
        assert!(w[0]["containment"].as_f64() >= w[1]["containment"].as_f64());
    }
    assert!(!m[1]["passages"].as_array().unwrap().is_empty());
    let text = ok(&run(&[
        "query",
        d,
        q.to_str().unwrap(),
        "--format",
        "text",
        "--limit",
        "2",
    ]));
    assert!(
        text.starts_with("port-03-northwind-post.txt: 2 matches\n"),
        "{text}"
    );

    let info = ok(&run(&["index", "info", d, "--format", "json"]));
    let v: serde_json::Value = serde_json::from_str(&info).unwrap();
    assert_eq!(v["documents"], 41);
    assert_eq!(v["segments"].as_array().unwrap().len(), 2);
    assert_eq!(v["config"]["threshold"], 0.5);
    assert!(v["bytes"].as_u64().unwrap() > 10_000);
    let info = ok(&run(&["index", "info", d]));
    assert!(info.contains("documents   41"), "{info}");
    // A flag that differs from the stored configuration is refused.
    let o = run(&["query", d, q.to_str().unwrap(), "--scheme", "classic"]);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("--scheme") && err.contains("one-permutation"),
        "{err}"
    );

    let o = run(&["index", "remove", d, "port-01-wire.txt", "nope"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("\"nope\""));
    let out = ok(&run(&["query", d, q.to_str().unwrap(), "--format", "text"]));
    assert!(!out.contains("port-01-wire.txt"), "{out}");
    let o = run(&["index", "optimize", d]);
    ok(&o);
    assert!(String::from_utf8_lossy(&o.stderr).contains("merged 2 segments into 1"));
    let info = ok(&run(&["index", "info", d, "--format", "json"]));
    let v: serde_json::Value = serde_json::from_str(&info).unwrap();
    assert_eq!(
        (v["documents"].as_u64(), v["deleted"].as_u64()),
        (Some(40), Some(0))
    );
    let out2 = ok(&run(&["query", d, q.to_str().unwrap(), "--format", "text"]));
    assert_eq!(out, out2, "optimize keeps answers");
}
