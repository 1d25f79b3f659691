//! Integration tests driving the `neardup` binary on real fixtures.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
mod common;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_neardup"))
}

fn shared(rel: &str) -> PathBuf {
    common::shared(rel)
}

fn run(args: &[&str]) -> Output {
    bin().args(args).output().expect("binary runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn clusters(jsonl: &str) -> Vec<Vec<String>> {
    jsonl
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            v["docs"]
                .as_array()
                .unwrap()
                .iter()
                .map(|d| d.as_str().unwrap().to_string())
                .collect()
        })
        .collect()
}

#[test]
fn aggregator_split_gives_exactly_the_two_syndicated_pairs() {
    let dir = shared("examples/aggregator-split");
    let o = run(&["scan", dir.to_str().unwrap(), "--format", "jsonl"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let out = stdout(&o);
    assert_eq!(
        clusters(&out),
        [
            vec![
                "02-business-times-car-subsidy.txt",
                "03-mint-car-subsidy.txt"
            ],
            vec![
                "04-business-standard-byd-price-war.txt",
                "05-yahoo-byd-price-war.txt"
            ],
        ]
    );
    // Exactly the documented fields, in order.
    for (n, line) in out.lines().enumerate() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        // Field order as documented (checked on the raw line; the parsed map sorts keys).
        let pos: Vec<usize> = [
            "\"cluster\"",
            "\"size\"",
            "\"representative\"",
            "\"docs\"",
            "\"pairs\"",
        ]
        .iter()
        .map(|k| line.find(k).unwrap())
        .collect();
        assert!(pos.windows(2).all(|w| w[0] < w[1]), "{line}");
        assert_eq!(v.as_object().unwrap().len(), 5);
        assert_eq!(v["cluster"], n);
        assert_eq!(v["size"], 2);
        let p = &v["pairs"][0];
        let pk: Vec<&str> = p.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(pk, ["a", "b", "jaccard", "containment"]);
        assert!(p["jaccard"].as_f64().unwrap() > 0.5);
        assert!(p["containment"].as_f64().unwrap() > 0.7);
    }
}

#[test]
fn all_prints_singletons_and_formats_work() {
    let dir = shared("examples/aggregator-split");
    let d = dir.to_str().unwrap();
    let o = run(&["scan", d, "--format", "jsonl", "--all"]);
    let c = clusters(&stdout(&o));
    assert_eq!(c.len(), 3);
    assert_eq!(c[2], ["01-asia-times-little-giants.txt"]);

    let o = run(&["scan", d, "--format", "csv"]);
    let csv = stdout(&o);
    assert_eq!(
        csv.lines().next().unwrap(),
        "cluster,a,b,jaccard,containment"
    );
    assert_eq!(csv.lines().count(), 3);

    let o = run(&["scan", d]);
    let text = stdout(&o);
    assert!(text.starts_with("Legend: * the representative"), "{text}");
    assert!(
        text.contains("\nCluster 0  2 documents, 1 duplicate pair, J "),
        "{text}"
    );
    assert!(
        text.contains("\n  * 05-yahoo-byd-price-war.txt  (828 words)\n"),
        "{text}"
    );
    // The member's scores are the pair's, as JSON Lines and CSV give them.
    let row = csv.lines().find(|l| l.contains("byd")).unwrap();
    let cols: Vec<&str> = row.split(',').collect();
    let (j, c): (f64, f64) = (cols[3].parse().unwrap(), cols[4].parse().unwrap());
    assert!(
        text.contains(&format!(
            "    04-business-standard-byd-price-war.txt  (772 words)  J {j:.4}  C {c:.4}\n"
        )),
        "{text}"
    );
}

#[test]
fn single_file_and_output_file() {
    let tmp = tempfile::tempdir().unwrap();
    let a = shared("examples/aggregator-split/04-business-standard-byd-price-war.txt");
    let b = shared("examples/aggregator-split/05-yahoo-byd-price-war.txt");
    let out = tmp.path().join("out.jsonl");
    let o = run(&[
        "scan",
        a.to_str().unwrap(),
        b.to_str().unwrap(),
        "--format",
        "jsonl",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success());
    assert!(o.stdout.is_empty());
    let written = std::fs::read_to_string(&out).unwrap();
    assert_eq!(
        clusters(&written),
        [vec![
            "04-business-standard-byd-price-war.txt",
            "05-yahoo-byd-price-war.txt"
        ]]
    );
    // No temporary files left behind.
    assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 1);
}

#[test]
fn jsonl_input_uses_id_field() {
    let tmp = tempfile::tempdir().unwrap();
    let a = std::fs::read_to_string(shared(
        "examples/aggregator-split/02-business-times-car-subsidy.txt",
    ))
    .unwrap();
    let b = std::fs::read_to_string(shared("examples/aggregator-split/03-mint-car-subsidy.txt"))
        .unwrap();
    let path = tmp.path().join("in.jsonl");
    let lines = [
        serde_json::json!({"key": "bt", "body": a}).to_string(),
        serde_json::json!({"key": 7, "body": b}).to_string(),
        "not json".to_string(),
        serde_json::json!({"key": "x"}).to_string(),
    ];
    std::fs::write(&path, lines.join("\n")).unwrap();
    let o = run(&[
        "scan",
        path.to_str().unwrap(),
        "--id-field",
        "key",
        "--text-field",
        "body",
        "--format",
        "jsonl",
    ]);
    assert!(o.status.success());
    assert_eq!(clusters(&stdout(&o)), [vec!["7", "bt"]]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("in.jsonl:3"), "{err}");
    assert!(err.contains("in.jsonl:4"), "{err}");
    assert!(err.contains("2 skipped"), "{err}");
    // --strict turns skips into exit code 2.
    let o = run(&[
        "scan",
        path.to_str().unwrap(),
        "--id-field",
        "key",
        "--text-field",
        "body",
        "--strict",
    ]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn usage_errors_exit_1_with_one_line() {
    let o = run(&["scan", "/definitely/not/here"]);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("/definitely/not/here"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");

    let o = run(&["scan", "--threshold", "1.5", "."]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("threshold"));

    let o = run(&["scan", "--no-such-flag", "."]);
    assert_eq!(o.status.code(), Some(1));

    let o = run(&["--help"]);
    assert_eq!(o.status.code(), Some(0));
}

#[test]
fn output_is_identical_whatever_the_thread_count() {
    let dir = shared("data/helsinki-news-2018/docs");
    let d = dir.to_str().unwrap();
    let one = run(&["scan", d, "--format", "jsonl", "--threads", "1"]);
    let two = run(&["scan", d, "--format", "jsonl", "--threads", "2"]);
    let again = run(&["scan", d, "--format", "jsonl", "--threads", "2"]);
    assert!(one.status.success());
    assert!(!one.stdout.is_empty());
    assert_eq!(one.stdout, two.stdout);
    assert_eq!(two.stdout, again.stdout);
    // Explanations and single documents are written in parallel too.
    let args = ["scan", d, "--format", "jsonl", "--explain", "--all"];
    let one = run(&[&args[..], &["--threads", "1"]].concat());
    let four = run(&[&args[..], &["--threads", "4"]].concat());
    assert!(one.status.success() && stdout(&one).contains("\"passages\""));
    assert_eq!(one.stdout, four.stdout);
}

#[test]
fn output_is_identical_whatever_the_memory_budget() {
    // --memory-budget 0 sends every shingle set to the temporary file.
    let dir = shared("data/helsinki-news-2018/docs");
    let d = dir.to_str().unwrap();
    let args = ["scan", d, "--format", "jsonl", "--explain", "--timings"];
    let kept = run(&args);
    let spilled = run(&[&args[..], &["--memory-budget", "0"]].concat());
    assert!(kept.status.success() && spilled.status.success());
    assert!(stdout(&kept).contains("\"passages\""));
    assert_eq!(kept.stdout, spilled.stdout);
    // --timings names every stage.
    let err = String::from_utf8_lossy(&spilled.stderr);
    for stage in [
        "walk ",
        "read ",
        "ids ",
        "lsh ",
        "batches ",
        "copy groups ",
        "boilerplate ",
        "verify+cluster ",
        "assemble ",
    ] {
        assert!(err.contains(stage), "{err}");
    }
}

#[test]
fn eval_reports_scores() {
    let o = run(&[
        "eval",
        "--truth",
        shared("examples/aggregator-split.truth.tsv")
            .to_str()
            .unwrap(),
        shared("examples/aggregator-split").to_str().unwrap(),
    ]);
    assert!(o.status.success());
    let out = stdout(&o);
    assert!(
        out.contains("precision=1.0000 recall=1.0000 f1=1.0000 ari=1.0000"),
        "{out}"
    );
}

/// A truth file with a third column gets one line of scores per class after
/// the overall lines; a two-column file gets none (its output is as before).
#[test]
fn eval_reports_each_class() {
    let truth = std::fs::read_to_string(shared("examples/aggregator-split.truth.tsv")).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let mut classed = String::new();
    for (n, line) in truth.lines().enumerate() {
        if n == 0 && line.starts_with("doc") {
            classed.push_str("doc\tcluster\tclass\n");
            continue;
        }
        let class = if n % 2 == 0 { "even" } else { "odd" };
        classed.push_str(&format!("{line}\t{class}\n"));
    }
    let path = tmp.path().join("classed.tsv");
    std::fs::write(&path, classed).unwrap();
    let docs = shared("examples/aggregator-split");
    let plain = run(&[
        "eval",
        "--truth",
        shared("examples/aggregator-split.truth.tsv")
            .to_str()
            .unwrap(),
        docs.to_str().unwrap(),
        "-q",
    ]);
    let with = run(&[
        "eval",
        "--truth",
        path.to_str().unwrap(),
        docs.to_str().unwrap(),
        "-q",
    ]);
    assert!(plain.status.success() && with.status.success());
    let (plain, with) = (stdout(&plain), stdout(&with));
    assert!(!plain.contains("class "), "{plain}");
    let lines: Vec<&str> = with.lines().collect();
    assert_eq!(lines[..2], plain.lines().collect::<Vec<_>>()[..2]);
    assert!(lines[2].starts_with("class even: docs="), "{with}");
    assert!(lines[3].starts_with("class odd: docs="), "{with}");
    assert!(lines[2].ends_with("precision=1.0000 recall=1.0000 f1=1.0000 ari=1.0000"));
    // Without the class lines, the output is the two-column file's.
    let rest: Vec<&str> = with.lines().filter(|l| !l.starts_with("class ")).collect();
    assert_eq!(rest, plain.lines().collect::<Vec<_>>());
}

/// Pages of one outlet share a long footer; two of them are copies of one
/// story. The footer is cut as boilerplate, and explanations say so.
#[test]
fn explanations_mark_shared_boilerplate() {
    let tmp = tempfile::tempdir().unwrap();
    let footer = "Sign up for the Harbour Daily newsletter to get the morning briefing delivered \
                  to your inbox every weekday, and follow us on every social network for breaking \
                  news alerts, photo galleries and exclusive interviews with the people who matter.";
    let vocab = [
        "river", "council", "budget", "school", "harbour", "festival", "rail", "market", "vote",
        "storm", "bridge", "museum", "farm", "clinic", "court", "strike", "airport", "library",
        "tower", "ferry", "garden", "mayor", "police", "theatre", "stadium", "factory",
    ];
    let mut x: u64 = 7;
    let mut body = |n: usize| -> String {
        (0..n)
            .map(|_| {
                x = x
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                vocab[(x >> 33) as usize % vocab.len()]
            })
            .collect::<Vec<_>>()
            .join(" ")
    };
    for i in 0..25 {
        std::fs::write(
            tmp.path().join(format!("page-{i:02}.txt")),
            format!("{}\n\n{footer}\n", body(80)),
        )
        .unwrap();
    }
    let story = body(120);
    std::fs::write(
        tmp.path().join("story-a.txt"),
        format!("{story}\n\n{footer}\n"),
    )
    .unwrap();
    std::fs::write(
        tmp.path().join("story-b.txt"),
        format!("Updated.\n\n{story} With a closing line of its own.\n\n{footer}\n"),
    )
    .unwrap();
    let report = tmp.path().join("report.html");
    let docs = tmp.path().to_str().unwrap().to_string();
    let o = run(&[
        "scan",
        &docs,
        "--format",
        "jsonl",
        "--explain",
        "--report",
        report.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let out = stdout(&o);
    assert_eq!(
        clusters(&out),
        [vec!["story-a.txt", "story-b.txt"]],
        "{out}"
    );
    let v: serde_json::Value = serde_json::from_str(out.lines().next().unwrap()).unwrap();
    let shares: Vec<f64> = v["pairs"][0]["passages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["boilerplate"].as_f64().unwrap())
        .collect();
    // The story body is not boilerplate; the footer passage is.
    assert!(shares.iter().any(|&s| s < 0.1), "{shares:?}");
    assert!(shares.iter().any(|&s| s > 0.9), "{shares:?}");
    // The report's view of the pair names the boilerplate passage (by its
    // number, for the script that renders the view).
    let html = std::fs::read_to_string(&report).unwrap();
    let view = &html[html
        .find("<details class=\"view\" id=\"v-0-")
        .expect("a view")..];
    let view = &view[..view.find('>').unwrap()];
    let passages = v["pairs"][0]["passages"].as_array().unwrap();
    let marked: Vec<String> = passages
        .iter()
        .enumerate()
        .filter(|(_, p)| p["boilerplate"].as_f64().unwrap() >= 0.5)
        .map(|(i, _)| (i + 1).to_string())
        .collect();
    assert!(
        view.contains(&format!(" data-bp=\"[{}]\"", marked.join(","))),
        "boilerplate passage marked in the report: {view}"
    );
}

/// A corpus out of the page cache is read whole under a low limit of open
/// files: files left for later (their data not in memory) are closed
/// meanwhile, not held open by the hundred.
#[test]
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn a_corpus_out_of_memory_is_read_whole_under_a_low_open_file_limit() {
    use std::os::fd::AsRawFd;
    use std::os::unix::process::CommandExt;
    let dir = tempfile::tempdir().unwrap();
    let n = 1200; // more than two batches
    for i in 0..n {
        let text = format!("story {i} ").repeat(40) + "the wire copy ends here";
        std::fs::write(dir.path().join(format!("{i:04}.txt")), text).unwrap();
    }
    for i in 0..n {
        let file = std::fs::File::open(dir.path().join(format!("{i:04}.txt"))).unwrap();
        file.sync_all().unwrap();
        // SAFETY: plain system call on a live descriptor.
        unsafe { libc::posix_fadvise(file.as_raw_fd(), 0, 0, libc::POSIX_FADV_DONTNEED) };
    }
    let mut cmd = bin();
    cmd.args([
        "scan",
        dir.path().to_str().unwrap(),
        "--format",
        "jsonl",
        "--threads",
        "2",
    ]);
    // SAFETY: only setrlimit, which is async-signal-safe, runs in the child
    // before exec.
    unsafe {
        cmd.pre_exec(|| {
            let limit = libc::rlimit {
                rlim_cur: 64,
                rlim_max: 64,
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let out = cmd.output().expect("binary runs");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(err.contains(&format!("{n} documents read")), "{err}");
    assert!(err.contains(" 0 skipped"), "{err}");
}

#[test]
fn colour_follows_the_color_flag() {
    let a = shared("examples/aggregator-split/04-business-standard-byd-price-war.txt");
    let b = shared("examples/aggregator-split/05-yahoo-byd-price-war.txt");
    let (a, b) = (a.to_str().unwrap(), b.to_str().unwrap());
    let piped = stdout(&run(&["explain", a, b]));
    assert!(!piped.contains('\x1b'), "auto: no colour into a pipe");
    let always = stdout(&run(&["explain", a, b, "--color", "always"]));
    assert!(always.contains("\x1b[1;32m#1 shared"), "{always}");
    assert!(
        always.contains("\x1b[1;31mper cent\x1b[0m"),
        "the edit in A's colour"
    );
    let never = stdout(&run(&["explain", a, b, "--color", "never"]));
    assert_eq!(never, piped);
    let d = shared("examples/aggregator-split");
    let text = stdout(&run(&[
        "scan",
        d.to_str().unwrap(),
        "-q",
        "--color",
        "always",
    ]));
    assert!(text.contains("\x1b[1mCluster 0  2 documents"), "{text}");
    let o = run(&["explain", a, b, "--color", "sometimes"]);
    assert_eq!(
        o.status.code(),
        Some(1),
        "a bad --color value is a usage error"
    );
}

/// The summary on stderr counts the pairs and clusters the outputs hold
/// (the Helsinki scan finds some pairs while clustering and leaves others
/// between clusters).
#[test]
fn summary_counts_what_the_outputs_hold() {
    let dir = shared("data/helsinki-news-2018/docs");
    let o = run(&["scan", dir.to_str().unwrap(), "--format", "csv"]);
    assert!(o.status.success());
    let csv = stdout(&o);
    let rows = csv.lines().count() - 1;
    let clusters: std::collections::BTreeSet<&str> = csv
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap())
        .collect();
    let err = String::from_utf8_lossy(&o.stderr);
    let line = err.lines().last().unwrap();
    assert!(
        line.contains(&format!(
            "; {rows} duplicate pairs in {} clusters (",
            clusters.len()
        )),
        "{line}"
    );
    // How they were found adds up to the same number.
    let num = |after: &str| -> usize {
        let at = line
            .find(after)
            .unwrap_or_else(|| panic!("{after:?} in {line}"));
        line[..at].rsplit(' ').next().unwrap().parse().unwrap()
    };
    let verified = num(" of ");
    let found = num(" more found while clustering");
    let left = num(" left between clusters");
    assert_eq!(verified + found - left, rows, "{line}");
}

/// `--title-field` names the JSON Lines field whose value is a cluster's
/// headline, in the text output and in the report; without it, the
/// headline is the first line of words of the representative's text.
#[test]
fn title_field_gives_the_headlines() {
    let tmp = tempfile::tempdir().unwrap();
    let story = "The central bank raised its main interest rate by half a point on Tuesday, \
                 the third increase this year, citing prices that rose faster than expected \
                 in the spring and a labour market that stayed tight through the summer.";
    let lines = [
        json_line("a", "Rates rise again", &format!("share\n1 / 4\n{story}")),
        json_line(
            "b",
            "Bank lifts rates",
            &format!("{story} Reporting by the desk."),
        ),
        json_line(
            "c",
            "Football",
            "The home side won two to nil on Sunday afternoon.",
        ),
    ];
    let input = tmp.path().join("news.jsonl");
    std::fs::write(&input, lines.join("\n") + "\n").unwrap();
    let report = tmp.path().join("report.html");
    let i = input.to_str().unwrap();
    let o = run(&[
        "scan",
        i,
        "-q",
        "--title-field",
        "title",
        "--report",
        report.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    // The representative is b (more words): its title is the headline.
    let text = stdout(&o);
    assert!(
        text.contains("\n  \"Bank lifts rates\"\n  * b  ("),
        "{text}"
    );
    let html = std::fs::read_to_string(&report).unwrap();
    assert!(html.contains("<td class=\"hl\">Bank lifts rates</td>"));
    assert!(html.contains("<p class=\"headline\">Bank lifts rates</p>"));
    // Without the flag: the first line of words.
    let text = stdout(&run(&["scan", i, "-q"]));
    assert!(
        text.contains("\n  \"The central bank raised its main interest rate"),
        "{text}"
    );
}

fn json_line(id: &str, title: &str, text: &str) -> String {
    serde_json::json!({ "id": id, "title": title, "text": text }).to_string()
}

/// On a terminal, the progress bar counts documents and bytes of the whole
/// input; into a pipe, nothing is drawn. (`script` gives the run a
/// terminal.)
#[test]
fn progress_counts_documents_and_bytes_on_a_terminal() {
    let dir = shared("data/helsinki-news-2018/docs");
    let tmp = tempfile::tempdir().unwrap();
    let typescript = tmp.path().join("typescript");
    let command = format!(
        "stty cols 100; {} scan {} --format csv -o {}",
        env!("CARGO_BIN_EXE_neardup"),
        dir.display(),
        tmp.path().join("out.csv").display()
    );
    let o = Command::new("script")
        .args(["-qfc", &command])
        .arg(&typescript)
        .output()
        .expect("script (util-linux) runs the scan on a terminal");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let screen = std::fs::read_to_string(&typescript).unwrap();
    let total: u64 = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().metadata().unwrap().len())
        .sum();
    let total = format!("/{:.2} MiB ", total as f64 / (1 << 20) as f64);
    assert!(screen.contains(" documents ["), "{screen}");
    assert!(screen.contains(&total), "{total} in {screen}");
    assert!(screen.contains("612 documents read"), "{screen}");
    // Into a pipe: the summary only.
    let o = run(&["scan", dir.to_str().unwrap(), "--format", "csv"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        !err.contains("reading") && err.contains("612 documents read"),
        "{err}"
    );
}

/// `--threads` has a limit, said at once (a huge value used to spend a
/// minute creating threads before failing).
#[test]
fn absurd_thread_counts_are_a_usage_error() {
    let dir = shared("examples/aggregator-split");
    let d = dir.to_str().unwrap();
    for args in [
        &["scan", d, "--threads", "100000"][..],
        &["query", d, d, "--threads", "2000"],
    ] {
        let o = run(args);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(1), "{args:?}: {err}");
        assert!(err.contains("1024"), "{args:?}: {err}");
    }
}

/// Errors say their cause once ("No such file or directory (os error 2)",
/// not twice), and a count of one is "1 document".
#[test]
fn an_error_states_its_cause_once_and_counts_agree() {
    let tmp = tempfile::tempdir().unwrap();
    let missing = tmp.path().join("missing");
    let under_a_file = tmp.path().join("file/idx");
    std::fs::write(tmp.path().join("file"), "x").unwrap();
    for args in [
        &["scan", missing.to_str().unwrap()][..],
        &["index", "create", under_a_file.to_str().unwrap()],
        &["index", "info", missing.to_str().unwrap()],
        &[
            "explain",
            missing.to_str().unwrap(),
            missing.to_str().unwrap(),
        ],
    ] {
        let o = run(args);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(1), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(err.matches("(os error").count() <= 1, "{args:?}: {err}");
        assert!(err.contains("missing") || err.contains("file/idx"), "{err}");
    }
    let one = tmp.path().join("one.txt");
    std::fs::write(&one, "A single short document.").unwrap();
    let o = run(&["scan", one.to_str().unwrap(), "--format", "text"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("neardup: 1 document read"), "{err}");
    assert!(
        err.contains(
            "0 duplicate pairs in 0 clusters (0 documents): 0 of 0 candidate pairs verified"
        ),
        "{err}"
    );
    assert_eq!(stdout(&o), "No near-duplicates found among 1 document.\n");
}

/// Every file below `dir`, by path relative to it.
fn files_below(dir: &Path) -> std::collections::BTreeMap<PathBuf, Vec<u8>> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            let rel = e.path().strip_prefix(dir).unwrap().to_path_buf();
            (rel, std::fs::read(e.path()).unwrap())
        })
        .collect()
}

#[test]
fn generate_writes_the_generators_corpus_and_names_what_failed() {
    // The sample corpus's articles (written for the project) as sources.
    let sources = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("cli");
    let (src, dst) = (sources.to_str().unwrap(), out.to_str().unwrap());
    let args = [
        "generate",
        "--sources",
        src,
        "--out",
        dst,
        "--stories",
        "6",
        "--seed",
        "3",
    ];
    let o = run(&args);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");

    // The same bytes as the generator crate with the same knobs.
    let lib = tmp.path().join("lib");
    let cfg = neardup_synth::SynthConfig {
        stories: 6,
        seed: 3,
        ..Default::default()
    };
    let s = neardup_synth::generate_to_dir(&sources, &lib, &cfg).unwrap();
    assert_eq!(
        err,
        format!(
            "neardup: wrote {} documents in {} clusters ({:.1} MB) to {dst}\n",
            s.documents,
            s.clusters,
            s.bytes as f64 / 1e6
        )
    );
    let written = files_below(&out);
    assert_eq!(written.len(), s.documents + 1, "documents and truth.tsv");
    assert_eq!(written, files_below(&lib));

    // Errors say what the command was doing, then what went wrong.
    let o = run(&args);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&o.stderr),
        format!(
            "neardup: error: cannot generate a corpus from {src} into {dst}: invalid generator \
             configuration: output folder {} is not empty; remove it or pick another\n",
            out.join("docs").display()
        )
    );
    let missing = tmp.path().join("no-such-folder");
    let miss = missing.to_str().unwrap();
    let other = tmp.path().join("other");
    let o = run(&[
        "generate",
        "--sources",
        miss,
        "--out",
        other.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    let head = format!(
        "neardup: error: cannot generate a corpus from {miss} into {}: cannot read the sources \
         folder {miss}: ",
        other.display()
    );
    assert!(err.starts_with(&head), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
}
