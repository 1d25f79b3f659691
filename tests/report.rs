//! Tests of the renderers of `neardup::report`: through the library, through
//! the `neardup` binary, and in a real browser (headless Chromium, which
//! must be installed: that test fails rather than skips without it).

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use neardup::explain::{explain, AlignConfig, Explanation, Passage, Span};
use neardup::report::{
    explain_json, write_explain_text, write_html_pair, write_html_report, ReportDoc,
    MAX_PAIRS_PER_CLUSTER,
};
use neardup::{Config, Engine};

// ---------------------------------------------------------------------------
// Helpers

const BYD_A: &str = "04-business-standard-byd-price-war.txt";
const BYD_B: &str = "05-yahoo-byd-price-war.txt";

fn example(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/examples/aggregator-split")
        .join(name)
}

fn read_example(name: &str) -> String {
    std::fs::read_to_string(example(name)).expect("fixture is readable")
}

fn doc<'a>(id: &'a str, text: &'a str) -> ReportDoc<'a> {
    ReportDoc { id, text }
}

fn html_pair(a: ReportDoc<'_>, b: ReportDoc<'_>, e: &Explanation) -> String {
    let mut out = Vec::new();
    write_html_pair(&mut out, a, b, e).unwrap();
    String::from_utf8(out).unwrap()
}

fn text_pair(a: ReportDoc<'_>, b: ReportDoc<'_>, e: &Explanation, color: bool) -> String {
    let mut out = Vec::new();
    write_explain_text(&mut out, a, b, e, color).unwrap();
    String::from_utf8(out).unwrap()
}

/// Decodes the entities written by the renderers and by Chromium's DOM
/// serializer.
fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&nbsp;", "\u{a0}")
        .replace("&amp;", "&")
}

/// The text of an HTML fragment: tags removed, entities decoded. (Text never
/// holds a raw `<`: it is escaped.)
fn text_content(html: &str) -> String {
    let mut out = String::new();
    let mut rest = html;
    while let Some(open) = rest.find('<') {
        out.push_str(&rest[..open]);
        let close = rest[open..].find('>').expect("tag is closed");
        rest = &rest[open + close + 1..];
    }
    out.push_str(rest);
    unescape(&out)
}

/// An element as (opening tag, inner HTML), for elements that do not nest
/// in elements of their own tag (`mark`, `span`, the text `div`).
fn element_at(html: &str, open: usize) -> (&str, &str) {
    let tag_end = open + html[open..].find('>').expect("opening tag ends");
    let name: String = html[open + 1..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric())
        .collect();
    let inner_end = tag_end
        + html[tag_end..]
            .find(&format!("</{name}>"))
            .expect("element is closed");
    (&html[open..=tag_end], &html[tag_end + 1..inner_end])
}

/// The element with `id="{id}"`.
fn by_id<'h>(html: &'h str, id: &str) -> Option<(&'h str, &'h str)> {
    let at = html.find(&format!(" id=\"{id}\""))?;
    let open = html[..at].rfind('<')?;
    Some(element_at(html, open))
}

/// Every `<{tag} class="{class}...">` element, in order.
fn by_class<'h>(html: &'h str, tag: &str, class: &str) -> Vec<(&'h str, &'h str)> {
    let needle = format!("<{tag} ");
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(at) = html[from..].find(&needle) {
        let open = from + at;
        let (tag_html, inner) = element_at(html, open);
        if tag_html.contains(&format!("class=\"{class}")) {
            out.push((tag_html, inner));
        }
        from = open + needle.len();
    }
    out
}

/// The inner HTML of the element with this id, panicking when missing.
fn inner<'h>(html: &'h str, id: &str) -> &'h str {
    by_id(html, id)
        .unwrap_or_else(|| panic!("no element with id {id:?}"))
        .1
}

/// Checks the HTML of one side of a pair against the explanation: every
/// passage and span is marked with exactly its text, and the text of the
/// whole column is the document, nothing lost or doubled.
fn check_html_side(html: &str, prefix: &str, side: char, text: &str, e: &Explanation) {
    let other = if side == 'a' { 'b' } else { 'a' };
    let column = inner(html, &format!("{prefix}{side}-text"));
    assert_eq!(
        text_content(column),
        text,
        "column {side} is the whole text"
    );
    for (i, p) in e.passages.iter().enumerate() {
        let n = i + 1;
        let (open, body) = by_id(column, &format!("{prefix}{side}-p{n}"))
            .unwrap_or_else(|| panic!("passage {n} of {side} is marked"));
        assert!(open.starts_with("<mark class=\"shared"), "{open}");
        assert!(open.contains(&format!("data-passage=\"{n}\"")), "{open}");
        assert!(
            body.contains(&format!("href=\"#{prefix}{other}-p{n}\"")),
            "passage {n} links to the other side"
        );
        let range = if side == 'a' {
            p.a_start..p.a_end
        } else {
            p.b_start..p.b_end
        };
        assert_eq!(text_content(body), &text[range], "passage {n} of {side}");
    }
    let marks = by_class(column, "mark", "shared");
    assert_eq!(marks.len(), e.passages.len());
    let only = if side == 'a' { &e.only_a } else { &e.only_b };
    let spans: Vec<String> = by_class(column, "span", "only")
        .into_iter()
        .map(|(_, body)| text_content(body))
        .collect();
    let expected: Vec<&str> = only.iter().map(|s| &text[s.range()]).collect();
    assert_eq!(spans, expected, "spans only in {side}");
}

/// The part of a text-format output that prints document `side`.
fn text_section<'o>(out: &'o str, side: &str, id: &str) -> &'o str {
    let head = format!("=== {side}: {id} ===\n");
    let start = out.find(&head).expect("document heading") + head.len();
    let end = out[start..]
        .find("\n=== B: ")
        .map_or(out.len(), |i| start + i);
    &out[start..end]
}

/// Removes the plain-text markers of `write_explain_text`.
fn unmark(s: &str, passages: usize) -> String {
    let mut s = s.replace("=]", "").replace("[+", "").replace("+]", "");
    for n in (1..=passages).rev() {
        s = s.replace(&format!("[={n} "), "");
    }
    s
}

/// Removes ANSI escape sequences (`ESC [ ... m`).
fn strip_ansi(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            for c in chars.by_ref() {
                if c == 'm' {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

// ---------------------------------------------------------------------------
// Library: escaping, offsets, Unicode, degenerate explanations

#[test]
fn html_escapes_markup_in_texts_and_ids() {
    let a = "Breaking: <script>alert('pwned')</script> Tom & Jerry said \"the quick brown \
             fox jumps over the lazy dog\" today, in Paris.";
    let b = "Tom & Jerry said \"the quick brown fox jumps over the lazy dog\" today, in \
             Paris. <b>bold</b> <img src=x onerror=alert(1)>";
    let e = explain(a, b, &AlignConfig::default());
    assert!(!e.passages.is_empty());
    let html = html_pair(doc("a<1>.txt", a), doc("b&\"2'.txt", b), &e);

    assert!(!html.contains("<script"), "no script, escaped or ours");
    assert!(!html.contains("<b>bold"));
    assert!(!html.contains("<img"));
    assert!(html.contains("&lt;script&gt;alert(&#39;pwned&#39;)&lt;/script"));
    assert!(html.contains("Tom &amp; Jerry said &quot;the quick"));
    assert!(html.contains("&lt;img src=x onerror=alert(1"));
    assert!(html.contains("a&lt;1&gt;.txt"));
    assert!(html.contains("b&amp;&quot;2&#39;.txt"));
    check_html_side(&html, "", 'a', a, &e);
    check_html_side(&html, "", 'b', b, &e);
}

#[test]
fn html_marks_exactly_the_explained_ranges() {
    let (a, b) = (read_example(BYD_A), read_example(BYD_B));
    let e = explain(&a, &b, &AlignConfig::default());
    assert!(e.passages.len() >= 2 && !e.only_a.is_empty() && !e.only_b.is_empty());
    let html = html_pair(doc(BYD_A, &a), doc(BYD_B, &b), &e);
    assert!(html.starts_with("<!doctype html>\n"));
    assert!(html.trim_end().ends_with("</html>"));
    check_html_side(&html, "", 'a', &a, &e);
    check_html_side(&html, "", 'b', &b, &e);
    // Scores at the top, before the texts.
    let scores = html.find(&format!("{:.4}", e.jaccard)).unwrap();
    assert!(scores < html.find("id=\"a-text\"").unwrap());
}

#[test]
fn text_marks_passages_and_spans() {
    let (a, b) = (read_example(BYD_A), read_example(BYD_B));
    let e = explain(&a, &b, &AlignConfig::default());
    let out = text_pair(doc(BYD_A, &a), doc(BYD_B, &b), &e, false);
    assert!(!out.contains('\x1b'), "no colour");
    assert!(out.starts_with(&format!("A: {BYD_A} ({} bytes)\nB: {BYD_B}", a.len())));
    assert!(out.contains(&format!(
        "jaccard {:.2}  containment {:.2}",
        e.jaccard, e.containment
    )));
    for (i, p) in e.passages.iter().enumerate() {
        let line = format!(
            "  #{} A {}..{} ~ B {}..{} ({} words)\n",
            i + 1,
            p.a_start,
            p.a_end,
            p.b_start,
            p.b_end,
            p.words
        );
        assert!(out.contains(&line), "{line}");
    }
    assert!(out.contains(" \"ICE Moves to DNA-Test Families Targeted for Deportation with…\"\n"));
    let sa = text_section(&out, "A", BYD_A);
    let sb = text_section(&out, "B", BYD_B);
    assert!(sa.contains("[=1 Chinese officials summoned"));
    assert!(sb.contains("[+ICE Moves to DNA-Test Families"));
    assert!(sa.contains("[+Chinese automaker stocks were down"));
    assert_eq!(unmark(sa, e.passages.len()).trim_end(), a.trim_end());
    assert_eq!(unmark(sb, e.passages.len()).trim_end(), b.trim_end());
}

#[test]
fn text_in_colour_uses_ansi_and_keeps_the_text() {
    let (a, b) = (read_example(BYD_A), read_example(BYD_B));
    let e = explain(&a, &b, &AlignConfig::default());
    let out = text_pair(doc(BYD_A, &a), doc(BYD_B, &b), &e, true);
    assert!(out.contains("\x1b[32m") && out.contains("\x1b[31m"));
    assert!(!out.contains("[=1 ") && !out.contains("[+"));
    let plain = strip_ansi(&out);
    let mut sa = text_section(&plain, "A", BYD_A).to_string();
    for n in 1..=e.passages.len() {
        sa = sa.replace(&format!("[{n}]"), "");
    }
    assert_eq!(sa.trim_end(), a.trim_end());
    // Every colour is reset before a line feed, for pagers.
    for line in out.lines() {
        let (opened, reset) = (line.rfind("\x1b[3"), line.rfind("\x1b[0m"));
        if let Some(o) = opened {
            assert!(reset.is_some_and(|r| r > o), "{line:?}");
        }
    }
}

#[test]
fn chinese_texts_are_marked_on_char_boundaries() {
    let a = "新华社北京电 中国官员本周召集主要电动汽车制造商的负责人，讨论长期价格战问题。\
             据知情人士透露，会议由工业和信息化部主持。";
    let b = "【财经】中国官员本周召集主要电动汽车制造商的负责人，讨论长期价格战问题。\
             相关阅读：比亚迪再次降价引发行业震动，多家车企回应称将坚持技术路线不参与价格战，\
             分析人士认为市场整合将加速推进，业内普遍预计下半年竞争将更加激烈😀。据知情人士透露，会议由工业和信息化部主持。";
    let e = explain(a, b, &AlignConfig::default());
    assert!(e.passages.len() >= 2, "{e:?}");
    let added = e
        .only_b
        .iter()
        .map(|s| &b[s.range()])
        .find(|s| s.contains("相关阅读"))
        .expect("the inserted sentence is only in B");
    assert!(
        added.chars().count() > 60,
        "long enough to be cut: {added:?}"
    );

    let html = html_pair(doc("甲.txt", a), doc("乙.txt", b), &e);
    assert!(html.contains("<meta charset=\"utf-8\">"));
    assert!(html.contains("甲.txt"));
    check_html_side(&html, "", 'a', a, &e);
    check_html_side(&html, "", 'b', b, &e);

    let out = text_pair(doc("甲.txt", a), doc("乙.txt", b), &e, false);
    assert_eq!(
        unmark(text_section(&out, "A", "甲.txt"), e.passages.len()).trim_end(),
        a
    );
    assert_eq!(
        unmark(text_section(&out, "B", "乙.txt"), e.passages.len()).trim_end(),
        b
    );
    let excerpt: String = added.chars().take(60).collect();
    assert!(out.contains(&format!("\"{excerpt}…\"")), "{out}");
}

#[test]
fn empty_explanations_render_plain_texts() {
    let cases = [
        ("", ""),
        ("", "only words here"),
        ("alpha beta gamma", "delta epsilon zeta"),
    ];
    for (a, b) in cases {
        let e = explain(a, b, &AlignConfig::default());
        assert!(e.passages.is_empty());
        let html = html_pair(doc("a", a), doc("b", b), &e);
        for side in ["a-text", "b-text"] {
            assert!(!inner(&html, side).contains("<mark"));
        }
        check_html_side(&html, "", 'a', a, &e);
        check_html_side(&html, "", 'b', b, &e);
        let out = text_pair(doc("a", a), doc("b", b), &e, false);
        assert!(out.contains("No shared passages."), "{out}");
        assert!(!out.contains("[=1"));
        let v = explain_json(doc("a", a), doc("b", b), &e);
        assert_eq!(v["passages"], serde_json::json!([]));
    }
    // An explanation with nothing in it, over non-empty texts.
    let nothing = Explanation {
        jaccard: 0.0,
        containment: 0.0,
        coverage_a: 0.0,
        coverage_b: 0.0,
        passages: vec![],
        only_a: vec![],
        only_b: vec![],
    };
    let html = html_pair(doc("a", "x < y"), doc("b", "z & w"), &nothing);
    assert_eq!(text_content(inner(&html, "a-text")), "x < y");
    assert_eq!(text_content(inner(&html, "b-text")), "z & w");
    let out = text_pair(doc("a", "x < y"), doc("b", "z & w"), &nothing, false);
    assert!(out.contains("Only in A: nothing.") && out.contains("\nx < y\n"));
}

#[test]
fn explanations_that_do_not_fit_the_texts_do_not_panic() {
    // Offsets out of bounds, inside a character, reversed and overlapping:
    // an explanation made for other texts. The texts are still printed whole.
    let a = "中文 text and more text";
    let b = "short";
    let e = Explanation {
        jaccard: 0.5,
        containment: 0.5,
        coverage_a: 0.5,
        coverage_b: 0.5,
        passages: vec![
            Passage {
                a_start: 1,
                a_end: 9,
                b_start: 0,
                b_end: 50,
                words: 2,
            },
            Passage {
                a_start: 7,
                a_end: 16,
                b_start: 4,
                b_end: 2,
                words: 2,
            },
        ],
        only_a: vec![Span { start: 10, end: 20 }, Span { start: 0, end: 999 }],
        only_b: vec![Span { start: 3, end: 5 }],
    };
    let html = html_pair(doc("a", a), doc("b", b), &e);
    assert_eq!(text_content(inner(&html, "a-text")), a);
    assert_eq!(text_content(inner(&html, "b-text")), b);
    for color in [false, true] {
        let out = strip_ansi(&text_pair(doc("a", a), doc("b", b), &e, color));
        assert!(out.contains("Only in A (2 spans):"));
    }
}

#[test]
fn control_characters_cannot_reach_the_terminal_or_the_page() {
    let a = "alpha beta gamma delta\x1b[2J epsilon zeta eta theta\0 iota kappa";
    let b = "alpha beta gamma delta epsilon zeta eta theta iota kappa\x07 lambda";
    let e = explain(a, b, &AlignConfig::default());
    for color in [false, true] {
        let out = text_pair(doc("a\x1b]0;title\x07", a), doc("b", b), &e, color);
        assert!(!out.contains("\x1b[2J") && !out.contains("\x1b]0"));
        assert!(!out.contains('\0') && !out.contains('\x07'));
        assert!(out.contains('\u{FFFD}'));
    }
    // Line ends: a CRLF stays, a lone CR is shown.
    let crlf = "alpha beta gamma delta\r\nepsilon zeta eta theta\rlone";
    let e2 = explain(crlf, crlf, &AlignConfig::default());
    for color in [false, true] {
        let out = strip_ansi(&text_pair(doc("a", crlf), doc("b", crlf), &e2, color));
        assert!(out.contains("delta\r\n"), "{out:?}");
        assert!(out.contains("theta\u{FFFD}lone"), "{out:?}");
    }

    let html = html_pair(doc("a", a), doc("b", b), &e);
    assert!(!html.contains('\x1b') && !html.contains('\0') && !html.contains('\x07'));
    assert!(html.contains("delta\u{FFFD}[2J"));
}

// ---------------------------------------------------------------------------
// Library: the scan report

const STORY: &str = "Chinese officials summoned the heads of major electric vehicle makers, \
    including BYD Co., to Beijing earlier this week to address concerns about the long-running \
    price war, according to people familiar with the matter. The meeting was hosted by the \
    Ministry of Industry and Information Technology, the market regulator and the top economic \
    planning agency, said the people, who asked not to be identified discussing private \
    information. Officials told EV makers to self-regulate and not to sell cars below cost.";

fn report(texts: &[(String, String)], available: &dyn Fn(usize) -> bool) -> (String, usize) {
    let engine = Engine::new(Config::default());
    let mut scan = engine.scan();
    for (id, text) in texts {
        scan.add_text(id, text);
    }
    let result = scan.finish();
    let load = |d: usize| {
        let id = &result.docs[d].id;
        let i = texts.iter().position(|(t, _)| t == id).unwrap();
        available(i).then(|| texts[i].1.clone())
    };
    let mut out = Vec::new();
    write_html_report(&mut out, &result, &load, &AlignConfig::default()).unwrap();
    let pairs = result.clusters.iter().map(|c| c.pairs.len()).sum();
    (String::from_utf8(out).unwrap(), pairs)
}

fn three_docs() -> Vec<(String, String)> {
    vec![
        ("wire.txt".into(), STORY.into()),
        (
            "outlet<1>.txt".into(),
            format!("Outlet & Co | Markets\n\n{STORY}\n\nREAD MORE: Why EVs are cheap"),
        ),
        (
            "other.txt".into(),
            "Football: the home side won two to nil on Sunday afternoon.".into(),
        ),
    ]
}

#[test]
fn report_lists_clusters_and_renders_each_pair() {
    let texts = three_docs();
    let (html, pairs) = report(&texts, &|_| true);
    assert_eq!(pairs, 1);
    assert!(html.starts_with("<!doctype html>\n"));
    assert!(html.contains("3 documents &middot; 1 cluster (2 documents in clusters)"));
    assert!(html.contains("<a href=\"#cluster-0\">Cluster 0</a>"));
    assert!(html.contains("outlet&lt;1&gt;.txt"));
    let (_, cluster) = by_id(&html, "cluster-0").expect("cluster section");
    assert!(cluster.contains("href=\"#toc\""));
    let (open, _) = by_id(&html, "pair-0-0").expect("pair section");
    assert!(open.contains("class=\"pair\""));
    assert!(html.contains("href=\"#pair-0-0\""));
    assert!(html.contains("<a href=\"#cluster-0\">&uarr; cluster 0</a>"));

    // The pair is rendered by the same code as `write_html_pair`: ids get
    // the pair's prefix. Documents are sorted by id: outlet<1>.txt is A.
    let (a, b) = (&texts[1].1, &texts[0].1);
    let e = explain(a, b, &AlignConfig::default());
    check_html_side(&html, "pair-0-0-", 'a', a, &e);
    check_html_side(&html, "pair-0-0-", 'b', b, &e);
    assert!(text_content(inner(&html, "pair-0-0-a-p1")).contains("self-regulate"));

    // Deterministic.
    assert_eq!(report(&texts, &|_| true).0, html);
}

#[test]
fn report_says_when_a_text_is_unavailable() {
    let texts = three_docs();
    let (html, _) = report(&texts, &|i| i != 0);
    assert!(by_id(&html, "pair-0-0").is_some());
    assert!(html.contains("The text of wire.txt is unavailable"));
    assert!(by_id(&html, "pair-0-0-a-text").is_none());
    assert!(!html.contains("<mark class=\"shared\" id="));
}

#[test]
fn report_renders_at_most_50_pairs_per_cluster() {
    let texts: Vec<(String, String)> = (0..12)
        .map(|i| {
            (
                format!("copy-{i:02}.txt"),
                format!("Edition {i}. {STORY} Reported by desk number {i}."),
            )
        })
        .collect();
    let (html, pairs) = report(&texts, &|_| true);
    assert!(pairs > MAX_PAIRS_PER_CLUSTER, "{pairs} pairs");
    let sections = html.matches("<section class=\"pair\"").count();
    assert_eq!(sections, MAX_PAIRS_PER_CLUSTER);
    assert!(by_id(&html, &format!("pair-0-{}", MAX_PAIRS_PER_CLUSTER - 1)).is_some());
    assert!(by_id(&html, &format!("pair-0-{MAX_PAIRS_PER_CLUSTER}")).is_none());
    let omitted = pairs - MAX_PAIRS_PER_CLUSTER;
    assert!(
        html.contains(&format!("{omitted} more pairs of this cluster not shown")),
        "says how many were left out"
    );
}

#[test]
fn report_without_clusters() {
    let texts = vec![
        (
            "a.txt".to_string(),
            "One story about the weather today.".to_string(),
        ),
        (
            "b.txt".to_string(),
            "Another about football results.".to_string(),
        ),
    ];
    let (html, _) = report(&texts, &|_| true);
    assert!(html.contains("No near-duplicates found."));
    assert!(!html.contains("<section"));
}

// ---------------------------------------------------------------------------
// The binary

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_neardup"))
}

fn run(args: &[&str]) -> Output {
    let o = bin().args(args).output().expect("binary runs");
    assert!(
        o.status.success(),
        "neardup {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    o
}

fn explain_byd(format: &str) -> String {
    let (a, b) = (example(BYD_A), example(BYD_B));
    let o = run(&[
        "explain",
        a.to_str().unwrap(),
        b.to_str().unwrap(),
        "--format",
        format,
    ]);
    String::from_utf8(o.stdout).unwrap()
}

fn spans(v: &serde_json::Value) -> Vec<(usize, usize)> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|s| {
            let keys: Vec<&str> = s.as_object().unwrap().keys().map(String::as_str).collect();
            assert_eq!(keys, ["start", "end"]);
            (
                s["start"].as_u64().unwrap() as usize,
                s["end"].as_u64().unwrap() as usize,
            )
        })
        .collect()
}

/// Checks that the words of `phrase` lie inside one of `spans`. Spans run
/// from the first word to the last one, so punctuation at either end of
/// the phrase (the parentheses of "(Updates with ...)") may stay outside.
fn assert_in_one_span(text: &str, spans: &[(usize, usize)], phrase: &str) {
    let at = text
        .find(phrase)
        .unwrap_or_else(|| panic!("the fixture contains {phrase:?}"));
    let core = phrase.trim_matches(|c: char| !c.is_alphanumeric());
    let start = at + phrase.find(core).unwrap();
    let end = start + core.len();
    assert!(
        spans.iter().any(|&(s, t)| s <= start && end <= t),
        "{phrase:?} ({start}..{end}) is inside one of {spans:?}"
    );
}

#[test]
fn cli_explain_json_on_the_byd_pair() {
    let (a, b) = (read_example(BYD_A), read_example(BYD_B));
    let out = explain_byd("json");
    assert_eq!(out.lines().count(), 1, "one JSON document on one line");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "a",
            "b",
            "jaccard",
            "containment",
            "coverage_a",
            "coverage_b",
            "passages",
            "only_a",
            "only_b"
        ]
    );
    for (side, name, text) in [("a", BYD_A, &a), ("b", BYD_B, &b)] {
        let keys: Vec<&str> = v[side]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(keys, ["id", "bytes"]);
        assert_eq!(v[side]["id"], name);
        assert_eq!(v[side]["bytes"], text.len());
    }

    let only_a = spans(&v["only_a"]);
    let only_b = spans(&v["only_b"]);
    assert_in_one_span(&b, &only_b, "ICE Moves to DNA-Test Families");
    assert_in_one_span(
        &b,
        &only_b,
        "(Updates with Ministry of Commerce statement in 6th paragraph.)",
    );
    assert_in_one_span(
        &a,
        &only_a,
        "Chinese automaker stocks were down across the board on Friday. Shares of BYD \
         slipped by as much as 2.7 per cent while Xiaomi decreased 2.4 per cent. Geely \
         Automobile Holdings Ltd. in Hong Kong fell 1.7 per cent.",
    );
    assert_in_one_span(
        &a,
        &only_a,
        "(Only the headline and picture of this report may have been reworked",
    );

    let passages: Vec<Passage> = v["passages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            let keys: Vec<&str> = p.as_object().unwrap().keys().map(String::as_str).collect();
            assert_eq!(keys, ["a_start", "a_end", "b_start", "b_end", "words"]);
            let n = |k: &str| p[k].as_u64().unwrap() as usize;
            Passage {
                a_start: n("a_start"),
                a_end: n("a_end"),
                b_start: n("b_start"),
                b_end: n("b_end"),
                words: n("words"),
            }
        })
        .collect();
    assert!(
        v["coverage_a"].as_f64().unwrap() > 0.75,
        "{}",
        v["coverage_a"]
    );
    assert!(
        v["coverage_b"].as_f64().unwrap() > 0.75,
        "{}",
        v["coverage_b"]
    );
    // The shared Bloomberg body is in passages on both sides, and the
    // passages have the same words on both sides.
    let a_ranges: Vec<(usize, usize)> = passages.iter().map(|p| (p.a_start, p.a_end)).collect();
    let b_ranges: Vec<(usize, usize)> = passages.iter().map(|p| (p.b_start, p.b_end)).collect();
    for phrase in [
        "Officials told EV makers to 'self-regulate,'",
        "The warnings come after BYD kicked off the latest round in the price war",
        "its payments to suppliers and other related financing",
    ] {
        assert_in_one_span(&a, &a_ranges, phrase);
        assert_in_one_span(&b, &b_ranges, phrase);
    }
    for p in &passages {
        assert!(p.words >= 4);
        assert_eq!(
            a[p.a_start..p.a_end].get(..40),
            b[p.b_start..p.b_end].get(..40)
        );
    }
}

#[test]
fn cli_explain_text_without_a_terminal_has_markers_not_colour() {
    let out = explain_byd("text");
    assert!(!out.contains('\x1b'), "stdout is a pipe: no ANSI escapes");
    assert!(out.contains(&format!("A: {BYD_A}")) && out.contains(&format!("B: {BYD_B}")));
    assert!(out.contains("jaccard ") && out.contains("coverage_b "));
    assert!(out.contains("[=1 ") && out.contains("=]"));
    assert!(out.contains("[+ICE Moves to DNA-Test Families"));
    assert!(out.contains("  #1 A "));
    let v: serde_json::Value = serde_json::from_str(&explain_byd("json")).unwrap();
    for (i, p) in v["passages"].as_array().unwrap().iter().enumerate() {
        let line = format!(
            "  #{} A {}..{} ~ B {}..{} ({} words)\n",
            i + 1,
            p["a_start"],
            p["a_end"],
            p["b_start"],
            p["b_end"],
            p["words"]
        );
        assert!(out.contains(&line), "{line}");
    }
}

#[test]
fn cli_explain_html_is_self_contained() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pair.html");
    let (a, b) = (example(BYD_A), example(BYD_B));
    run(&[
        "explain",
        a.to_str().unwrap(),
        b.to_str().unwrap(),
        "--format",
        "html",
        "-o",
        path.to_str().unwrap(),
    ]);
    let html = std::fs::read_to_string(&path).unwrap();
    for banned in [
        "<script", "<link", "<img", "<iframe", "src=", "url(", "@import", "http",
    ] {
        assert!(!html.contains(banned), "{banned}");
    }
    assert!(html.contains("white-space: pre-wrap"));
    let (ta, tb) = (read_example(BYD_A), read_example(BYD_B));
    let e = explain(&ta, &tb, &AlignConfig::default());
    check_html_side(&html, "", 'a', &ta, &e);
    check_html_side(&html, "", 'b', &tb, &e);
}

// ---------------------------------------------------------------------------
// A real browser

fn chromium() -> PathBuf {
    let on_path = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .unwrap_or_default()
        .into_iter()
        .map(|dir| dir.join("chromium"))
        .find(|p| p.is_file());
    on_path
        .or_else(|| Some(PathBuf::from("/usr/bin/chromium")).filter(|p| p.is_file()))
        .unwrap_or_else(|| {
            panic!(
                "the browser test needs Chromium, found neither `chromium` on PATH nor \
                 /usr/bin/chromium: install it (Debian/Ubuntu: apt-get install chromium)"
            )
        })
}

/// Loads `page` in headless Chromium and returns the DOM after parsing.
fn dump_dom(page: &Path, scratch: &Path) -> String {
    let profile = scratch.join("chromium-profile");
    let dom_path = scratch.join("dom.html");
    let err_path = scratch.join("chromium.stderr");
    let url = format!("file://{}", page.display());
    let mut child = Command::new(chromium())
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg("--dump-dom")
        .arg(&url)
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&dom_path).unwrap())
        .stderr(std::fs::File::create(&err_path).unwrap())
        .spawn()
        .expect("chromium starts");
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("chromium did not finish within 60 s");
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let dom = std::fs::read_to_string(&dom_path).unwrap();
    assert!(
        status.success() && dom.contains("</html>"),
        "chromium failed ({status}): {}",
        std::fs::read_to_string(&err_path).unwrap_or_default()
    );
    dom
}

#[test]
fn browser_renders_the_scan_report() {
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("OUT.html");
    let examples = example("");
    run(&[
        "scan",
        examples.to_str().unwrap(),
        "--quiet",
        "--report",
        page.to_str().unwrap(),
    ]);
    let dom = dump_dom(&page, dir.path());

    // The table of contents links to both clusters, and every link lands.
    for n in 0..2 {
        assert!(dom.contains(&format!("<a href=\"#cluster-{n}\">Cluster {n}</a>")));
    }
    let mut rest = dom.as_str();
    while let Some(at) = rest.find("href=\"#") {
        rest = &rest[at + 7..];
        let target = &rest[..rest.find('"').unwrap()];
        assert!(
            dom.contains(&format!(" id=\"{target}\"")),
            "link to #{target}"
        );
    }

    // Both pairs are rendered with their shared passages highlighted on
    // both sides.
    let (_, subsidy) = by_id(&dom, "pair-0-0").expect("pair of cluster 0");
    let (_, byd) = by_id(&dom, "pair-1-0").expect("pair of cluster 1");
    for (pair, prefix, words) in [
        (
            subsidy,
            "pair-0-0-",
            "trade-in subsidy to boost sales of electric",
        ),
        (
            byd,
            "pair-1-0-",
            "Officials told EV makers to 'self-regulate,'",
        ),
    ] {
        for side in ["a", "b"] {
            let column = inner(pair, &format!("{prefix}{side}-text"));
            let marked: Vec<String> = by_class(column, "mark", "shared")
                .into_iter()
                .map(|(_, body)| text_content(body))
                .collect();
            assert!(
                marked.iter().any(|m| m.contains(words)),
                "{prefix}{side}: {words:?} in a <mark>: {marked:?}"
            );
        }
    }
    // The headlines glued into the Yahoo copy (side B of pair 1-0) are only
    // there.
    let yahoo = inner(byd, "pair-1-0-b-text");
    let only: Vec<String> = by_class(yahoo, "span", "only")
        .into_iter()
        .map(|(_, body)| text_content(body))
        .collect();
    assert!(
        only.iter()
            .any(|s| s.contains("ICE Moves to DNA-Test Families Targeted for Deportation")),
        "{only:?}"
    );
    assert!(!by_class(yahoo, "mark", "shared")
        .iter()
        .any(|(_, body)| text_content(body).contains("ICE Moves")));
}
