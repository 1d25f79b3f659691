//! A folder of nasty inputs, built by the test itself, scanned end to end:
//! every bad input is reported with its file (and line) and counted, the
//! run completes, and the good documents still match.

use std::fs;
use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

#[path = "common/child.rs"]
mod child;
use child::mkfifo;

/// `neardup ARGS` in a child that fails the test if it runs for a minute.
fn run_with_deadline(args: &[&str]) -> Output {
    child::run_with_deadline(args, Duration::from_secs(60))
}

const STORY: &str = "Chinese officials summoned the heads of major electric vehicle makers, \
including BYD, to Beijing earlier this week to address concerns about the long-running price \
war, according to people familiar with the matter. The meeting was hosted by the ministry of \
industry, the market regulator and the top economic planning agency, said the people, who \
asked not to be identified discussing private information.";

fn scan(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_neardup"))
        .arg("scan")
        .args(args)
        .output()
        .unwrap()
}

fn build(root: &Path) {
    fs::write(root.join("a-wire.txt"), STORY).unwrap();
    fs::write(
        root.join("b-outlet.txt"),
        format!(
            "\u{feff}Daily Outlet | Business\r\n\r\n{}\r\nSubscribe now.\r\n",
            STORY.replace(". ", ".\r\n")
        ),
    )
    .unwrap();
    // Invalid UTF-8 inside a copy: replaced byte for byte, still a match.
    let mut bad = STORY.as_bytes().to_vec();
    bad.splice(40..40, [0xFF, 0xFE]);
    fs::write(root.join("c-bad-utf8.txt"), bad).unwrap();
    fs::write(root.join("binary.bin"), b"\x7fELF\x00\x00\x01binary").unwrap();
    fs::write(root.join("empty.txt"), b"").unwrap();
    fs::write(root.join("blank.txt"), b" \n\t\r\n -- \n").unwrap();
    // Two identical two-word briefs are duplicates of each other.
    fs::write(root.join("brief-1.txt"), "Markets closed.").unwrap();
    fs::write(root.join("brief-2.txt"), "MARKETS CLOSED").unwrap();
    // Too large: a sparse 200 MB one-line file, refused by size alone.
    let big = fs::File::create(root.join("huge.txt")).unwrap();
    big.set_len(200 << 20).unwrap();
    // Hidden files are not documents.
    fs::write(root.join(".hidden.txt"), STORY).unwrap();
    // A dangling symlink and a symlink loop.
    std::os::unix::fs::symlink(root.join("nowhere"), root.join("dangling.txt")).unwrap();
    fs::create_dir(root.join("loop")).unwrap();
    std::os::unix::fs::symlink(root.join("loop"), root.join("loop/again")).unwrap();
    // A very deep folder with a copy at the bottom.
    let mut deep = root.join("deep");
    for _ in 0..300 {
        deep.push("d");
    }
    fs::create_dir_all(&deep).unwrap();
    fs::write(deep.join("copy.txt"), format!("Deep copy: {STORY}")).unwrap();
    // JSON Lines: good, malformed, too long, missing fields, duplicate ids, CRLF.
    let mut jsonl = String::new();
    jsonl.push_str(&serde_json::json!({"id": "j1", "text": STORY}).to_string());
    jsonl.push_str("\r\n{not json\n");
    jsonl.push_str(&serde_json::json!({"id": "j2", "text": "x ".repeat(40_000)}).to_string());
    jsonl.push('\n');
    jsonl.push_str(&serde_json::json!({"id": "j3"}).to_string());
    jsonl.push('\n');
    jsonl.push_str(&serde_json::json!({"text": "no id"}).to_string());
    jsonl.push('\n');
    jsonl.push_str(&serde_json::json!({"id": "j1", "text": "again"}).to_string());
    jsonl.push_str("\n\n");
    fs::write(root.join("feed.jsonl"), jsonl).unwrap();
}

#[test]
fn nasty_folder_scan_completes_with_counts_and_messages() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    build(root);
    let o = scan(&[
        root.to_str().unwrap(),
        "--format",
        "jsonl",
        "--max-doc-bytes",
        "65536",
    ]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(0), "{err}");
    let out = String::from_utf8(o.stdout).unwrap();
    let clusters: Vec<Vec<String>> = out
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            serde_json::from_value(v["docs"].clone()).unwrap()
        })
        .collect();
    assert!(
        clusters.contains(&vec!["brief-1.txt".to_string(), "brief-2.txt".to_string()]),
        "{clusters:?}"
    );
    let story: Vec<String> = [
        "a-wire.txt",
        "b-outlet.txt",
        "c-bad-utf8.txt",
        &format!("deep/{}copy.txt", "d/".repeat(300)),
        "j1",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    assert!(clusters.contains(&story), "{clusters:?}");

    // Every problem named with its file (and line) and a reason.
    for needle in [
        "c-bad-utf8.txt: invalid UTF-8",
        "binary.bin: skipped (binary)",
        "empty.txt: skipped (empty)",
        "blank.txt: skipped (empty)",
        "huge.txt: skipped (too large)",
        "dangling.txt",
        "loop",
        "feed.jsonl:2: skipped (bad json)",
        "feed.jsonl:3: skipped (too large)",
        "feed.jsonl:4: skipped (missing field)",
        "feed.jsonl:5: skipped (missing field)",
        "feed.jsonl:6: skipped (duplicate id)",
    ] {
        assert!(err.contains(needle), "missing {needle:?} in:\n{err}");
    }
    assert!(!err.contains(".hidden"), "{err}");
    // The summary counts what was skipped, by reason.
    let summary = err.lines().last().unwrap();
    assert!(summary.contains("11 skipped"), "{summary}");
    assert!(summary.contains("2 empty"), "{summary}");
    assert!(summary.contains("2 too large"), "{summary}");
    assert!(summary.contains("2 walk error"), "{summary}");

    // --strict: same output, exit code 2.
    let strict = scan(&[
        root.to_str().unwrap(),
        "--format",
        "jsonl",
        "--max-doc-bytes",
        "65536",
        "--strict",
    ]);
    assert_eq!(strict.status.code(), Some(2));
    assert_eq!(String::from_utf8(strict.stdout).unwrap(), out);
}

#[test]
fn file_vanishing_mid_run_is_reported_not_fatal() {
    let tmp = tempfile::tempdir().unwrap();
    fs::write(tmp.path().join("a.txt"), STORY).unwrap();
    fs::write(tmp.path().join("b.txt"), STORY).unwrap();
    fs::write(tmp.path().join("gone.txt"), STORY).unwrap();
    let corpus = neardup::Corpus::open(&[tmp.path()], neardup::CorpusOptions::default()).unwrap();
    fs::remove_file(tmp.path().join("gone.txt")).unwrap();
    let r = neardup::Engine::new(neardup::Config::default()).scan_corpus(&corpus);
    assert_eq!(r.stats.documents, 2);
    assert_eq!(r.skipped.len(), 1);
    assert!(r.skipped[0].location.ends_with("gone.txt"));
    assert_eq!(r.skipped[0].reason, neardup::corpus::SkipReason::Unreadable);
    assert_eq!(r.clusters.len(), 1);
}

#[test]
fn bom_and_crlf_keep_offsets_and_words() {
    let text = "\u{feff}Hello,\r\nworld\r\n";
    let words: Vec<&str> = neardup::tokenize::tokenize(text)
        .iter()
        .map(|t| &text[t.range()])
        .collect();
    assert_eq!(words, ["Hello", "world"]);
}

/// Whether `text` holds a control character other than the line breaks
/// between its lines.
fn has_control(text: &str) -> bool {
    text.chars().any(|c| c.is_control() && c != '\n')
}

#[test]
fn special_files_in_a_folder_or_given_directly_are_skipped_and_counted() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("in");
    fs::create_dir(&root).unwrap();
    fs::write(root.join("a-wire.txt"), STORY).unwrap();
    fs::write(root.join("b-copy.txt"), format!("Outlet. {STORY}")).unwrap();
    mkfifo(&root.join("pipe.txt"));
    let _sock = std::os::unix::net::UnixListener::bind(root.join("sock.txt")).unwrap();
    std::os::unix::fs::symlink("/dev/zero", root.join("zero.txt")).unwrap();
    let o = run_with_deadline(&["scan", root.to_str().unwrap(), "--format", "jsonl"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(0), "{err}");
    for needle in [
        "pipe.txt: skipped (not a regular file): is a FIFO (named pipe), not a regular file",
        "sock.txt: skipped (not a regular file): is a socket, not a regular file",
        "zero.txt: skipped (not a regular file): is a character device, not a regular file",
    ] {
        assert!(err.contains(needle), "missing {needle:?} in:\n{err}");
    }
    let summary = err.lines().last().unwrap();
    assert!(
        summary.contains("2 documents read")
            && summary.contains("3 skipped (3 not a regular file)"),
        "{summary}"
    );
    assert_eq!(String::from_utf8(o.stdout).unwrap().lines().count(), 1);
    // Given directly: the same, and --strict says something was skipped.
    let fifo = root.join("pipe.txt");
    let o = run_with_deadline(&["scan", fifo.to_str().unwrap(), "--strict"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("pipe.txt: skipped (not a regular file)"),
        "{err}"
    );
    let feed = tmp.path().join("feed.jsonl");
    mkfifo(&feed);
    let o = run_with_deadline(&["scan", feed.to_str().unwrap()]);
    assert!(String::from_utf8_lossy(&o.stderr).contains("feed.jsonl: skipped (not a regular file)"));
    // `explain` refuses one at once too.
    let o = run_with_deadline(&["explain", fifo.to_str().unwrap(), feed.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains("pipe.txt: is a FIFO (named pipe), not a regular file"),
        "{err}"
    );
}

#[test]
fn names_with_control_characters_are_escaped_for_the_terminal() {
    use std::os::unix::ffi::OsStrExt;
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    // A name that retitles the terminal and clears it, and one that forges
    // a summary line.
    let evil = "\x1b]0;PWNED\x07\x1b[2J.txt";
    let forged = "x\nneardup: 0 documents read.txt";
    fs::write(root.join(evil), STORY).unwrap();
    fs::write(root.join(forged), format!("Outlet. {STORY}")).unwrap();
    fs::write(root.join("\x1b[31mempty.txt"), "").unwrap();
    fs::write(
        root.join(std::ffi::OsStr::from_bytes(b"bin\x1b\xff.txt")),
        b"\0\0",
    )
    .unwrap();
    let d = root.to_str().unwrap();
    let o = scan(&[d, "--format", "text"]);
    let (out, err) = (
        String::from_utf8(o.stdout).unwrap(),
        String::from_utf8(o.stderr).unwrap(),
    );
    assert!(o.status.success(), "{err}");
    assert!(!has_control(&out) && !has_control(&err), "{out:?}\n{err:?}");
    assert!(out.contains("\\x1B]0;PWNED\\x07\\x1B[2J.txt"), "{out}");
    assert!(out.contains("x\\nneardup: 0 documents read.txt"), "{out}");
    assert!(err.contains("\\x1B[31mempty.txt: skipped (empty)"), "{err}");
    assert!(err.contains("bin\\x1B\\xFF.txt: skipped (binary)"), "{err}");
    assert_eq!(
        err.lines().filter(|l| l.contains("documents read")).count(),
        1,
        "{err}"
    );
    // JSON Lines keeps the ids exactly (JSON escapes them its own way).
    let o = scan(&[d, "--format", "jsonl"]);
    let v: serde_json::Value =
        serde_json::from_str(String::from_utf8(o.stdout).unwrap().trim()).unwrap();
    let docs: Vec<&str> = v["docs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_str().unwrap())
        .collect();
    assert_eq!(docs, [evil, forged]);
}

#[test]
fn names_that_are_not_utf8_get_ids_of_their_own() {
    use std::os::unix::ffi::OsStrExt;
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let name = |b: &[u8]| root.join(std::ffi::OsStr::from_bytes(b));
    // Two names that the lossy decoding made one id, and a valid name that
    // spells what an escape looks like.
    fs::write(name(b"bad\xff.txt"), STORY).unwrap();
    fs::write(name(b"bad\xfe.txt"), format!("Outlet. {STORY}")).unwrap();
    fs::write(name(b"bad\\xFF.txt"), format!("{STORY} Copyright.")).unwrap();
    fs::write(name(b"plain\\name.txt"), format!("Wire: {STORY}")).unwrap();
    let o = scan(&[root.to_str().unwrap(), "--format", "jsonl", "--strict"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(0), "nothing skipped: {err}");
    let v: serde_json::Value =
        serde_json::from_str(String::from_utf8(o.stdout).unwrap().trim()).unwrap();
    let mut docs: Vec<String> = serde_json::from_value(v["docs"].clone()).unwrap();
    docs.sort();
    assert_eq!(
        docs,
        [
            "bad\\\\xFF.txt",
            "bad\\xFE.txt",
            "bad\\xFF.txt",
            "plain\\name.txt"
        ]
    );
    for id in &docs {
        let bytes = neardup::display::unescape_name(id).unwrap();
        assert!(name(&bytes).exists(), "{id}");
    }
    // A file given on its own: its name, written the same way.
    let corpus =
        neardup::Corpus::open(&[name(b"bad\xff.txt")], neardup::CorpusOptions::default()).unwrap();
    let r = neardup::Engine::new(neardup::Config::default()).scan_corpus(&corpus);
    assert_eq!(r.docs[0].id, "bad\\xFF.txt");
}
