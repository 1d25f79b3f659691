//! Tests of the renderers of `neardup::report`: through the library, through
//! the `neardup` binary, and in a real browser (headless Chromium driven by
//! chromedriver, which must be installed: those tests fail rather than skip
//! without them).

mod webdriver;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use neardup::explain::{explain, AlignConfig, Edit, Explanation, Passage, Span};
use neardup::report::{
    explain_json, write_explain_text, write_html_pair, write_html_report_with, ReportDoc,
    ReportInfo, ReportOptions,
};
use neardup::{Config, Engine, ScanResult};
use serde_json::{json, Value};
mod common;

// ---------------------------------------------------------------------------
// Helpers

const BYD_A: &str = "04-business-standard-byd-price-war.txt";
const BYD_B: &str = "05-yahoo-byd-price-war.txt";

fn example(name: &str) -> PathBuf {
    common::shared("examples/aggregator-split").join(name)
}

fn read_example(name: &str) -> String {
    let path = example(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
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
        .replace("&#13;", "\r")
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

/// An element as (opening tag, inner HTML); elements of its own tag nested
/// inside it (an edit's `<mark>` in a passage's) are skipped over, and a
/// self-closed one (`<rect/>`) is empty.
fn element_at(html: &str, open: usize) -> (&str, &str) {
    let tag_end = open + html[open..].find('>').expect("opening tag ends");
    if html[..tag_end].ends_with('/') {
        return (&html[open..=tag_end], ""); // <rect .../>
    }
    let name: String = html[open + 1..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric())
        .collect();
    let (opening, closing) = (format!("<{name}"), format!("</{name}>"));
    let (mut at, mut depth) = (tag_end + 1, 1);
    loop {
        let close = at + html[at..].find(&closing).expect("element is closed");
        let nested = html[at..close]
            .match_indices(&opening)
            .map(|(i, _)| at + i)
            .find(|&i| matches!(html.as_bytes()[i + opening.len()], b' ' | b'>'));
        match nested {
            Some(i) => {
                depth += 1;
                at = i + opening.len();
            }
            None => {
                depth -= 1;
                if depth == 0 {
                    return (&html[open..=tag_end], &html[tag_end + 1..close]);
                }
                at = close + closing.len();
            }
        }
    }
}

/// The element with `id="{id}"`.
fn by_id<'h>(html: &'h str, id: &str) -> Option<(&'h str, &'h str)> {
    let at = html.find(&format!(" id=\"{id}\""))?;
    let open = html[..at].rfind('<')?;
    Some(element_at(html, open))
}

/// Every `<{tag} class="{class}...">` element, in order (nested ones too).
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
/// passage, edit and span is marked with exactly its text, and the text of
/// the whole column is the document, nothing lost or doubled. The same
/// checks hold for the page of a pair (written by Rust) and for a report's
/// view (built by its script).
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
        // Its edits, each with this side's words (none for a gap).
        let marked: Vec<(bool, String)> = by_class(body, "mark", "edit")
            .into_iter()
            .map(|(open, body)| (open.contains("edit gap"), text_content(body)))
            .collect();
        let expected: Vec<(bool, String)> = p
            .edits
            .iter()
            .map(|d| {
                let r = if side == 'a' {
                    d.a_start..d.a_end
                } else {
                    d.b_start..d.b_end
                };
                (r.is_empty(), text[r].to_string())
            })
            .collect();
        assert_eq!(marked, expected, "edits of passage {n} of {side}");
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

/// The edit of `323 billion yuan` into `523 billion yuan` in a copy of
/// example 04: one number inside a 776-word shared passage.
fn edited_byd() -> (String, String, usize) {
    let a = read_example(BYD_A);
    let at = a
        .find("323 billion yuan")
        .expect("the fixture holds the number");
    let b = a.replacen("323 billion yuan", "523 billion yuan", 1);
    (a, b, at)
}

// ---------------------------------------------------------------------------
// Library: the page of a pair

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
    assert!(e.edits() > 0, "34 per cent / 34% is an edit");
    let html = html_pair(doc(BYD_A, &a), doc(BYD_B, &b), &e);
    assert!(html.starts_with("<!doctype html>\n"));
    assert!(html.trim_end().ends_with("</html>"));
    check_html_side(&html, "", 'a', &a, &e);
    check_html_side(&html, "", 'b', &b, &e);
    // Scores at the top, each named with what it measures, before the texts.
    let line = format!(
        "<b>Jaccard {:.4}</b>, <b>containment {:.4}</b>",
        e.jaccard, e.containment
    );
    let at = html.find(&line).expect("the scores");
    assert!(at < html.find("id=\"a-text\"").unwrap());
    assert!(html.contains(&format!(
        "passage coverage A {:.1}%, B {:.1}%",
        100.0 * e.coverage_a,
        100.0 * e.coverage_b
    )));
    assert!(html.contains("1 edit inside shared text (1 word)"));
    // The strip: one band and one mark per passage on each bar.
    let (open, svg) = by_class(&html, "svg", "strip")[0];
    assert!(open.contains(&format!("data-passages=\"{}\"", e.passages.len())));
    assert!(open.contains(&format!("data-edits=\"{}\"", e.edits())));
    for class in ["band", "pa", "pb"] {
        let d = &svg[svg.find(&format!("class=\"{class}\" d=\"")).unwrap()..];
        let d = &d[..d.find("\"/>").unwrap()];
        assert_eq!(d.matches('M').count(), e.passages.len(), "{class}: {d}");
    }
}

#[test]
fn html_marks_an_edited_number_inside_a_passage() {
    let (a, b, at) = edited_byd();
    let e = explain(&a, &b, &AlignConfig::default());
    assert_eq!(e.passages.len(), 1);
    assert_eq!(
        e.passages[0].edits,
        [Edit {
            a_start: at,
            a_end: at + 3,
            b_start: at,
            b_end: at + 3
        }]
    );
    let html = html_pair(doc("a.txt", &a), doc("b.txt", &b), &e);
    check_html_side(&html, "", 'a', &a, &e);
    check_html_side(&html, "", 'b', &b, &e);
    let (open, body) = by_class(inner(&html, "b-text"), "mark", "edit")[0];
    assert_eq!(body, "523");
    assert!(open.contains("title=\"edit: A 323 | B 523\""), "{open}");
}

// ---------------------------------------------------------------------------
// Library: the terminal

#[test]
fn text_shows_aligned_excerpts_in_the_order_of_a() {
    let (a, b) = (read_example(BYD_A), read_example(BYD_B));
    let e = explain(&a, &b, &AlignConfig::default());
    let out = text_pair(doc(BYD_A, &a), doc(BYD_B, &b), &e, false);
    assert!(!out.contains('\x1b'), "no colour");
    assert!(out.starts_with(&format!(
        "A  {BYD_A}  ({} bytes)\nB  {BYD_B}  ({} bytes)\n",
        a.len(),
        b.len()
    )));
    assert!(out.contains(&format!(
        "Scores: Jaccard {:.4}, containment {:.4} (word 4-shingles, as a scan scores the pair)\n",
        e.jaccard, e.containment
    )));
    assert!(out.contains(&format!(
        "Passage coverage (words in shared passages): A {:.1}%, B {:.1}%; 3 shared passages, \
         1 edit inside shared text (1 word).\n",
        100.0 * e.coverage_a,
        100.0 * e.coverage_b
    )));
    // No wall of text: excerpts, one or two lines each.
    assert!(out.lines().count() < 40, "{out}");
    // Passages and A's spans in the order of A.
    let mut heads: Vec<(usize, usize)> = Vec::new(); // (A offset, place in out)
    for (i, p) in e.passages.iter().enumerate() {
        let head = format!(
            "\n#{} shared  A {}..{} ~ B {}..{}  {} words",
            i + 1,
            p.a_start,
            p.a_end,
            p.b_start,
            p.b_end,
            p.words
        );
        heads.push((
            p.a_start,
            out.find(&head).unwrap_or_else(|| panic!("{head}")),
        ));
    }
    for s in &e.only_a {
        let head = format!("\n-A {}..{}  only in A, ", s.start, s.end);
        heads.push((s.start, out.find(&head).unwrap_or_else(|| panic!("{head}"))));
    }
    heads.sort();
    assert!(heads.windows(2).all(|w| w[0].1 < w[1].1), "{heads:?}");
    for s in &e.only_b {
        assert!(out.contains(&format!("\n+B {}..{}  only in B, ", s.start, s.end)));
    }
    // B's glued headlines sit after the passage they follow in B.
    let ice = out.find("ICE Moves to DNA-Test Families").unwrap();
    assert!(out.find("\n#1 shared").unwrap() < ice && ice < out.find("\n#2 shared").unwrap());
    // The edit, with its offsets and both copies' words in context.
    let p = &e.passages[2];
    let d = &p.edits[0];
    assert!(out.contains(&format!(
        "   edit 1  A {}..{} ~ B {}..{}\n",
        d.a_start, d.a_end, d.b_start, d.b_end
    )));
    assert!(out.contains("     A  …of as much as 34 [-per cent-], leading to criticism from…\n"));
    assert!(out.contains("     B  …of as much as 34%, leading to criticism from…\n"));
}

#[test]
fn text_shows_an_edited_number_with_its_offsets() {
    let (a, b, at) = edited_byd();
    let e = explain(&a, &b, &AlignConfig::default());
    let out = text_pair(doc("a.txt", &a), doc("b.txt", &b), &e, false);
    assert!(out.contains("1 edit inside shared text (1 word)"), "{out}");
    assert!(out.contains(&format!(
        "   edit 1  A {at}..{} ~ B {at}..{}\n",
        at + 3,
        at + 3
    )));
    assert!(out.contains("[-323-] billion yuan"), "{out}");
    assert!(out.contains("{+523+} billion yuan"), "{out}");
}

#[test]
fn text_in_colour_uses_ansi_and_says_the_same() {
    let (a, b) = (read_example(BYD_A), read_example(BYD_B));
    let e = explain(&a, &b, &AlignConfig::default());
    let out = text_pair(doc(BYD_A, &a), doc(BYD_B, &b), &e, true);
    let plain = text_pair(doc(BYD_A, &a), doc(BYD_B, &b), &e, false);
    assert!(out.contains("\x1b[1;32m#1 shared") && out.contains("\x1b[1;31m-A "));
    assert!(!out.contains("[-per cent-]") && out.contains("\x1b[1;31mper cent\x1b[0m"));
    // The same lines, colour aside (and the marks of edits and the legend).
    let stripped = strip_ansi(&out);
    let words = |s: &str| -> Vec<String> {
        s.lines()
            .skip(5)
            .map(|l| {
                l.replace("[-", "")
                    .replace("-]", "")
                    .replace("{+", "")
                    .replace("+}", "")
            })
            .collect()
    };
    assert_eq!(words(&stripped), words(&plain));
    // Every colour is reset on its line, for pagers.
    for line in out.lines() {
        let (opened, reset) = (line.rfind("\x1b[1;3"), line.rfind("\x1b[0m"));
        if let Some(o) = opened {
            assert!(reset.is_some_and(|r| r > o), "{line:?}");
        }
    }
}

#[test]
fn chinese_texts_are_cut_on_char_boundaries() {
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

    let html = html_pair(doc("甲.txt", a), doc("乙.txt", b), &e);
    assert!(html.contains("<meta charset=\"utf-8\">"));
    assert!(html.contains("甲.txt"));
    check_html_side(&html, "", 'a', a, &e);
    check_html_side(&html, "", 'b', b, &e);

    let out = text_pair(doc("甲.txt", a), doc("乙.txt", b), &e, false);
    let s = e.only_b.iter().find(|s| &b[s.range()] == added).unwrap();
    assert!(
        out.contains(&format!("+B {}..{}  only in B, ", s.start, s.end)),
        "{out}"
    );
    // Ideographs are words of one character each: the excerpt keeps both
    // ends of the (whitespace-free) sentence whole.
    assert!(out.contains(&format!("   {added}\n")), "{out}");
}

#[test]
fn empty_explanations_render() {
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
        assert!(!out.contains("#1 shared"));
        let v = explain_json(doc("a", a), doc("b", b), &e);
        assert_eq!(v["passages"], json!([]));
        assert_eq!(v["edited_words"], 0);
    }
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
                edits: vec![Edit {
                    a_start: 2,
                    a_end: 99,
                    b_start: 7,
                    b_end: 3,
                }],
            },
            Passage {
                a_start: 7,
                a_end: 16,
                b_start: 4,
                b_end: 2,
                words: 2,
                edits: vec![Edit {
                    a_start: 10,
                    a_end: 12,
                    b_start: 0,
                    b_end: 1,
                }],
            },
        ],
        only_a: vec![Span { start: 10, end: 20 }, Span { start: 0, end: 999 }],
        only_b: vec![Span { start: 3, end: 5 }],
        edited_words: 3,
        shingle: 4,
        boilerplate_cut: false,
        figures: Default::default(),
        digest: None,
    };
    let html = html_pair(doc("a", a), doc("b", b), &e);
    assert_eq!(text_content(inner(&html, "a-text")), a);
    assert_eq!(text_content(inner(&html, "b-text")), b);
    for color in [false, true] {
        let out = strip_ansi(&text_pair(doc("a", a), doc("b", b), &e, color));
        assert!(out.contains("#2 shared"), "{out}");
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
    let html = html_pair(doc("a", a), doc("b", b), &e);
    assert!(!html.contains('\x1b') && !html.contains('\0') && !html.contains('\x07'));
    assert!(text_content(inner(&html, "a-text")).contains("delta\u{FFFD}[2J"));
}

// ---------------------------------------------------------------------------
// Library: the report of a scan

const STORY: &str = "Chinese officials summoned the heads of major electric vehicle makers, \
    including BYD Co., to Beijing earlier this week to address concerns about the long-running \
    price war, according to people familiar with the matter. The meeting was hosted by the \
    Ministry of Industry and Information Technology, the market regulator and the top economic \
    planning agency, said the people, who asked not to be identified discussing private \
    information. Officials told EV makers to self-regulate and not to sell cars below cost.";

/// Our own texts: a cluster of four copies of `STORY` (one with an outlet's
/// header and footer, one with an edited word and non-ASCII text, one cut
/// short), a cluster of two copies of another story, and a single page.
fn corpus() -> Vec<(String, String)> {
    let other = "The city council voted on Tuesday to rebuild the old harbour bridge before \
        the winter storms, after engineers warned that the cracked piers could not carry the \
        morning trains for another season. The mayor said the work would start in September \
        and cost about forty million euros, paid from the regional transport fund.";
    let cut = &STORY[..STORY.find(" The meeting").unwrap()];
    vec![
        ("wire.txt".into(), STORY.into()),
        (
            "outlet<1>.txt".into(),
            format!("Outlet & Co | Markets\r\n\r\n{STORY}\r\n\r\nREAD MORE: Why EVs are cheap"),
        ),
        (
            "edited.txt".into(),
            format!(
                "Ĉinio: “{}” 😀\n\n{}",
                "price war warning",
                STORY.replace("to Beijing earlier", "to Pékin earlier")
            ),
        ),
        ("cut.txt".into(), cut.into()),
        ("harbour-1.txt".into(), other.into()),
        (
            "harbour-2.txt".into(),
            format!("Harbour Daily\n\n{other} Reporting by the city desk."),
        ),
        (
            "football.txt".into(),
            "Football: the home side won two to nil on Sunday afternoon.".into(),
        ),
    ]
}

fn scan(texts: &[(String, String)]) -> ScanResult {
    let engine = Engine::new(Config::default());
    let mut s = engine.scan();
    for (id, text) in texts {
        assert!(s.add_text(id, text).is_none());
    }
    s.finish()
}

/// The report of `texts`, with the texts `available` says can be read.
fn report(texts: &[(String, String)], available: &dyn Fn(usize) -> bool) -> (String, ScanResult) {
    let result = scan(texts);
    let load = |d: usize| {
        let id = &result.docs[d].id;
        let i = texts.iter().position(|(t, _)| t == id).unwrap();
        available(i).then(|| texts[i].1.clone())
    };
    let opts = ReportOptions {
        info: ReportInfo {
            date: Some("2025-01-02".into()),
            inputs: vec!["corpus/".into()],
            ..ReportInfo::default()
        },
        ..ReportOptions::default()
    };
    let mut out = Vec::new();
    write_html_report_with(&mut out, &result, &load, &opts).unwrap();
    (String::from_utf8(out).unwrap(), result)
}

/// The views of a cluster's members beside its representative (not the
/// viewer of pairs on demand).
fn member_views(section: &str) -> Vec<(&str, &str)> {
    by_class(section, "details", "view")
        .into_iter()
        .filter(|(open, _)| !open.contains("ondemand"))
        .collect()
}

/// The value of attribute `name` in an opening tag.
fn attr<'t>(open: &'t str, name: &str) -> Option<&'t str> {
    let at = open.find(&format!(" {name}=\""))? + name.len() + 3;
    Some(&open[at..at + open[at..].find('"')?])
}

/// Numbers of a compact list of the report (base 36, spaces and dots).
fn nums(s: &str) -> Vec<Vec<i64>> {
    if s.is_empty() {
        return Vec::new();
    }
    s.split(' ')
        .map(|t| {
            t.split('.')
                .map(|x| i64::from_str_radix(x, 36).unwrap())
                .collect()
        })
        .collect()
}

/// Byte offset of a UTF-16 offset of `text`.
fn byte_at(text: &str, units: i64) -> usize {
    let mut n = 0;
    for (i, c) in text.char_indices() {
        if n == units {
            return i;
        }
        n += c.len_utf16() as i64;
    }
    assert_eq!(n, units, "an offset inside the text");
    text.len()
}

/// The alignment a view of the report is rendered from, decoded (as its
/// script decodes it) back to byte offsets of its two texts.
fn decode_view(open: &str, ta: &str, tb: &str) -> (Vec<Passage>, Vec<Span>, Vec<Span>) {
    let (mut pa, mut pb) = (0, 0);
    let passages = nums(attr(open, "data-p").expect("data-p"))
        .into_iter()
        .map(|f| {
            let (a0, b0) = (pa + f[0], pb + f[2]);
            let (a1, b1) = (a0 + f[1], b0 + f[3]);
            let (mut ea, mut eb) = (a0, b0);
            let edits = f[4..]
                .chunks(4)
                .map(|g| {
                    let (x, y) = (ea + g[0], eb + g[2]);
                    (ea, eb) = (x + g[1], y + g[3]);
                    Edit {
                        a_start: byte_at(ta, x),
                        a_end: byte_at(ta, ea),
                        b_start: byte_at(tb, y),
                        b_end: byte_at(tb, eb),
                    }
                })
                .collect();
            (pa, pb) = (a1, b1);
            Passage {
                a_start: byte_at(ta, a0),
                a_end: byte_at(ta, a1),
                b_start: byte_at(tb, b0),
                b_end: byte_at(tb, b1),
                words: 0,
                edits,
            }
        })
        .collect();
    let spans = |name: &str, text: &str| -> Vec<Span> {
        let mut at = 0;
        nums(attr(open, name).expect("spans"))
            .into_iter()
            .map(|f| {
                let s = at + f[0];
                at = s + f[1];
                Span {
                    start: byte_at(text, s),
                    end: byte_at(text, at),
                }
            })
            .collect()
    };
    (passages, spans("data-oa", ta), spans("data-ob", tb))
}

#[test]
fn report_holds_every_cluster_and_each_member_beside_the_representative() {
    let texts = corpus();
    let (html, result) = report(&texts, &|_| true);
    let text_of = |d: usize| -> &str {
        let id = &result.docs[d].id;
        &texts.iter().find(|(t, _)| t == id).unwrap().1
    };
    assert_eq!(result.clusters.len(), 2);
    assert!(html.starts_with("<!doctype html>\n"));
    let pairs: usize = result.clusters.iter().map(|c| c.pairs.len()).sum();
    assert!(html.contains(&format!(
        "7 documents &middot; 2 clusters (6 documents in clusters) &middot; {pairs} duplicate pairs"
    )));
    // What the numbers mean.
    for words in [
        "A shingle is a run of 4 consecutive words",
        "Jaccard is at least 0.5, or its containment at least 0.4 with a Jaccard of at least 0.1",
        "at least 20 shingles long",
        "Passage coverage",
        "neardup 0.1.0, 2025-01-02; inputs: <code>corpus/</code>",
    ] {
        assert!(html.contains(words), "{words}");
    }
    // Nothing from outside.
    for banned in [
        "<link", "<img", "<iframe", "src=", "url(", "@import", "http",
    ] {
        assert!(!html.contains(banned), "{banned}");
    }

    // Contents: every cluster, largest first, with its headline.
    let rows: Vec<&str> = html.split("<tr data-q=\"").skip(1).collect();
    assert_eq!(rows.len(), 2);
    let big = result.clusters.iter().find(|c| c.docs.len() == 4).unwrap();
    assert!(rows[0].contains(&format!("href=\"#cluster-{}\"", big.id)));
    // The representative is the fullest copy, the outlet's; its headline is
    // its first line of words.
    assert_eq!(result.docs[big.representative].id, "outlet<1>.txt");
    assert!(rows[0].contains("<td class=\"hl\">Outlet &amp; Co | Markets</td>"));
    // The filter reads the headline and every member's id, in lower case.
    assert!(
        rows[0].starts_with("outlet &amp; co | markets "),
        "{}",
        &rows[0][..80]
    );
    for id in [
        " wire.txt",
        " outlet&lt;1&gt;.txt",
        " edited.txt",
        " cut.txt",
    ] {
        assert!(rows[0][..rows[0].find('>').unwrap()].contains(id), "{id}");
    }

    for c in &result.clusters {
        let (_, section) = by_id(&html, &format!("cluster-{}", c.id)).expect("a section");
        let rep = c.representative;
        // One view per other member, the representative as A.
        let views = member_views(section);
        let members: Vec<usize> = c.docs.iter().copied().filter(|&d| d != rep).collect();
        assert_eq!(views.len(), members.len());
        for ((open, body), &d) in views.iter().zip(&members) {
            assert_eq!(attr(open, "id"), Some(format!("v-{}-{d}", c.id).as_str()));
            assert_eq!(attr(open, "data-a"), Some(rep.to_string().as_str()));
            assert_eq!(attr(open, "data-b"), Some(d.to_string().as_str()));
            let (ta, tb) = (text_of(rep), text_of(d));
            let e = result.explain_texts(ta, tb);
            let (passages, oa, ob) = decode_view(open, ta, tb);
            let strip_words = |ps: &[Passage]| -> Vec<Passage> {
                ps.iter()
                    .map(|p| Passage {
                        words: 0,
                        ..p.clone()
                    })
                    .collect()
            };
            assert_eq!(passages, strip_words(&e.passages));
            assert_eq!((oa, ob), (e.only_a.clone(), e.only_b.clone()));
            // The scores are the scan's: the pair's when it is one.
            let pair = c
                .pairs
                .iter()
                .find(|p| (p.a, p.b) == (rep.min(d), rep.max(d)));
            let (j, k) = pair.map_or((e.jaccard, e.containment), |p| (p.jaccard, p.containment));
            assert_eq!(
                (j, k),
                (e.jaccard, e.containment),
                "explain_texts gives the scan's"
            );
            assert!(body.contains(&format!("J {j:.4}</span><span class=\"num\">C {k:.4}")));
            assert!(body.contains(if pair.is_some() {
                "duplicate pair"
            } else {
                "not a pair itself"
            }));
        }
        // The full score table.
        let (_, table) = by_class(section, "table", "pairs")[0];
        let rows: Vec<&str> = table.split("<tr><td>").skip(1).collect();
        assert_eq!(rows.len(), c.pairs.len());
        for (row, p) in rows.iter().zip(&c.pairs) {
            let id = |d: usize| result.docs[d].id.replace('<', "&lt;").replace('>', "&gt;");
            assert!(row.starts_with(&format!(
                "{}</td><td>{}</td><td>{:.4}</td><td>{:.4}</td>",
                id(p.a),
                id(p.b),
                p.jaccard,
                p.containment
            )));
            if p.a == rep || p.b == rep {
                let m = if p.a == rep { p.b } else { p.a };
                assert!(row.contains(&format!("<a href=\"#v-{}-{m}\">view</a>", c.id)));
            } else {
                let open = &row[row.find("<button").expect("a pair on demand")..];
                let open = &open[..open.find('>').unwrap() + 1];
                let (ta, tb) = (text_of(p.a), text_of(p.b));
                let e = result.explain_texts(ta, tb);
                assert_eq!(decode_view(open, ta, tb).0.len(), e.passages.len());
                assert!(section.contains(&format!(
                    "<details class=\"view ondemand\" id=\"pv-{}\">",
                    c.id
                )));
            }
        }
        // Each member's text, stored once, exactly.
        for &d in &c.docs {
            assert_eq!(html.matches(&format!(" id=\"t-{d}\"")).count(), 1);
            assert_eq!(text_content(inner(section, &format!("t-{d}"))), text_of(d));
        }
    }
    // A single document's text is not stored.
    assert_eq!(html.matches("<article class=\"stored\"").count(), 6);
    assert!(!html.contains("two to nil"));
    // The \r of the outlet's CRLF lines is kept for the script's offsets.
    assert!(html.contains("Markets&#13;\n&#13;\nChinese"));

    // Charts.
    let (open, svg) = by_id(&html, "chart-scores").unwrap();
    assert_eq!(attr(open, "data-pairs"), Some(pairs.to_string().as_str()));
    let sum = |svg: &str, class: &str| -> usize {
        by_class(svg, "rect", class)
            .iter()
            .map(|(o, _)| attr(o, "data-count").unwrap().parse::<usize>().unwrap())
            .sum()
    };
    assert_eq!((sum(svg, "bj"), sum(svg, "bc")), (pairs, pairs));
    assert!(svg.contains("class=\"thr j\"") && svg.contains("data-value=\"0.5\""));
    assert!(svg.contains("class=\"thr c\"") && svg.contains("data-value=\"0.4\""));
    let (_, sizes) = by_id(&html, "chart-sizes").unwrap();
    assert_eq!(sum(sizes, "bs"), 2);
    assert!(sizes.contains("data-sizes=\"4\" data-count=\"1\""));

    // Deterministic, whatever the thread count.
    let one = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap()
        .install(|| report(&texts, &|_| true).0);
    assert_eq!(one, html);
}

#[test]
fn report_says_when_a_text_is_unavailable() {
    let texts = corpus();
    // wire.txt cannot be read again.
    let (html, result) = report(&texts, &|i| i != 0);
    let wire = result.docs.iter().position(|d| d.id == "wire.txt").unwrap();
    assert!(html.contains("The text of wire.txt is unavailable"));
    assert!(by_id(&html, &format!("t-{wire}")).is_none());
    let c = result
        .clusters
        .iter()
        .find(|c| c.docs.contains(&wire))
        .unwrap();
    if c.representative == wire {
        assert!(html.contains("text unavailable (it could not be read again)"));
    } else {
        let (open, body) = by_id(&html, &format!("v-{}-{wire}", c.id)).unwrap();
        assert!(attr(open, "data-p").is_none());
        assert!(body.contains("text unavailable"));
    }
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
// One score everywhere

/// The seed's pairs: the scan's JSON Lines, CSV and text, the report, the
/// explain command and the library all give each pair the same Jaccard and
/// containment; and on the Helsinki pages, where the scan cuts boilerplate,
/// the library's `scan_similarity` with the scan's cut gives every pair's
/// scores exactly.
#[test]
fn scores_agree_on_every_surface() {
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("report.html");
    let examples = example("");
    let d = examples.to_str().unwrap();
    let jsonl = stdout(&run(&["scan", d, "--quiet", "--format", "jsonl"]));
    let csv = stdout(&run(&["scan", d, "--quiet", "--format", "csv"]));
    let text = stdout(&run(&["scan", d, "--quiet", "--format", "text"]));
    run(&["scan", d, "--quiet", "--report", page.to_str().unwrap()]);
    let html = std::fs::read_to_string(&page).unwrap();
    let mut seen = 0;
    for line in jsonl.lines() {
        let c: Value = serde_json::from_str(line).unwrap();
        for p in c["pairs"].as_array().unwrap() {
            seen += 1;
            let (a, b) = (p["a"].as_str().unwrap(), p["b"].as_str().unwrap());
            let (j, k) = (
                p["jaccard"].as_f64().unwrap(),
                p["containment"].as_f64().unwrap(),
            );
            assert!(
                csv.contains(&format!("{},{a},{b},{j},{k}\n", c["cluster"])),
                "{csv}"
            );
            assert!(text.contains(&format!("J {j:.4}  C {k:.4}\n")), "{text}");
            assert!(html.contains(&format!(
                "<td>{a}</td><td>{b}</td><td>{j:.4}</td><td>{k:.4}</td>"
            )));
            assert!(html.contains(&format!("J {j:.4}</span><span class=\"num\">C {k:.4}")));
            let e: Value = serde_json::from_str(&stdout(&run(&[
                "explain",
                example(a).to_str().unwrap(),
                example(b).to_str().unwrap(),
                "--format",
                "json",
            ])))
            .unwrap();
            assert_eq!(
                (e["jaccard"].as_f64(), e["containment"].as_f64()),
                (Some(j), Some(k))
            );
            assert_eq!(e["shingle"], 4);
        }
    }
    assert_eq!(seen, 2, "the seed's two pairs");

    // Helsinki: the scan cuts boilerplate; the library scores with the cut.
    let docs = common::shared("data/helsinki-news-2018/docs");
    let corpus = neardup::Corpus::open(&[docs.as_path()], neardup::CorpusOptions::default())
        .unwrap_or_else(|e| panic!("{}: {e}", docs.display()));
    let result = Engine::new(Config::default()).scan_corpus(&corpus);
    assert!(!result.boilerplate.is_empty(), "the scan cut boilerplate");
    let k = result.config().shingle();
    let tokens = |d: usize| {
        let text =
            neardup::corpus::load_source(&result.docs[d].source, &Default::default()).unwrap();
        neardup::tokenize::tokenize(&text)
    };
    let mut cut_changed = 0;
    for p in result.clusters.iter().flat_map(|c| &c.pairs) {
        let (ta, tb) = (tokens(p.a), tokens(p.b));
        let s = neardup::explain::scan_similarity(&ta, &tb, k, &result.boilerplate);
        assert_eq!((s.jaccard, s.containment), (p.jaccard, p.containment));
        let raw = neardup::explain::scan_similarity(&ta, &tb, k, &[]);
        cut_changed += usize::from(raw.jaccard != p.jaccard);
    }
    assert!(cut_changed > 0, "some pairs share boilerplate");
    assert_eq!(
        result.stats.pairs,
        result.clusters.iter().map(|c| c.pairs.len()).sum::<usize>()
    );
    assert_eq!(
        result.stats.pairs,
        result.stats.verified_pairs + result.stats.linkage_pairs - result.stats.rejected_pairs
    );
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

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn explain_byd(format: &str) -> String {
    let (a, b) = (example(BYD_A), example(BYD_B));
    stdout(&run(&[
        "explain",
        a.to_str().unwrap(),
        b.to_str().unwrap(),
        "--format",
        format,
    ]))
}

fn spans(v: &Value) -> Vec<(usize, usize)> {
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
    let v: Value = serde_json::from_str(&out).unwrap();
    let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "a",
            "b",
            "jaccard",
            "containment",
            "shingle",
            "coverage_a",
            "coverage_b",
            "edited_words",
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

    let passages: Vec<Passage> = v["passages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            let keys: Vec<&str> = p.as_object().unwrap().keys().map(String::as_str).collect();
            assert_eq!(
                keys,
                ["a_start", "a_end", "b_start", "b_end", "words", "edits"]
            );
            let n = |v: &Value, k: &str| v[k].as_u64().unwrap() as usize;
            Passage {
                a_start: n(p, "a_start"),
                a_end: n(p, "a_end"),
                b_start: n(p, "b_start"),
                b_end: n(p, "b_end"),
                words: n(p, "words"),
                edits: p["edits"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|d| {
                        let keys: Vec<&str> =
                            d.as_object().unwrap().keys().map(String::as_str).collect();
                        assert_eq!(keys, ["a_start", "a_end", "b_start", "b_end"]);
                        Edit {
                            a_start: n(d, "a_start"),
                            a_end: n(d, "a_end"),
                            b_start: n(d, "b_start"),
                            b_end: n(d, "b_end"),
                        }
                    })
                    .collect(),
            }
        })
        .collect();
    assert!(v["coverage_a"].as_f64().unwrap() > 0.75);
    assert!(v["coverage_b"].as_f64().unwrap() > 0.75);
    // The shared Bloomberg body is in passages on both sides.
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
    // "34 per cent" / "34%": an edit inside the third passage.
    let edits: Vec<(&str, &str)> = passages
        .iter()
        .flat_map(|p| &p.edits)
        .map(|d| (&a[d.a_start..d.a_end], &b[d.b_start..d.b_end]))
        .collect();
    assert_eq!(edits, [("per cent", "")]);
    assert_eq!(
        v["edited_words"], 1,
        "\"per cent\" is one word (tokenizer version 2)"
    );
    // The library gives the same.
    let e = explain(&a, &b, &AlignConfig::default());
    assert_eq!(passages, e.passages);
}

#[test]
fn cli_explain_reports_an_edited_number_with_its_offsets() {
    let (a, b, at) = edited_byd();
    let dir = tempfile::tempdir().unwrap();
    let (pa, pb) = (dir.path().join("a.txt"), dir.path().join("b.txt"));
    std::fs::write(&pa, &a).unwrap();
    std::fs::write(&pb, &b).unwrap();
    let (pa, pb) = (pa.to_str().unwrap(), pb.to_str().unwrap());
    let v: Value =
        serde_json::from_str(&stdout(&run(&["explain", pa, pb, "--format", "json"]))).unwrap();
    assert_eq!(v["passages"].as_array().unwrap().len(), 1);
    assert_eq!(
        v["passages"][0]["edits"],
        json!([{"a_start": at, "a_end": at + 3, "b_start": at, "b_end": at + 3}])
    );
    assert_eq!(v["edited_words"], 1);
    let out = stdout(&run(&["explain", pa, pb]));
    assert!(!out.contains('\x1b'), "stdout is a pipe: no colour");
    assert!(out.contains("[-323-] billion yuan") && out.contains("{+523+} billion yuan"));
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

/// The Helsinki report holds every cluster within 2.5 MB.
#[test]
fn helsinki_report_holds_every_cluster_within_its_budget() {
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("helsinki.html");
    let docs = common::shared("data/helsinki-news-2018/docs");
    let out = stdout(&run(&[
        "scan",
        docs.to_str().unwrap(),
        "--quiet",
        "--format",
        "jsonl",
        "--report",
        page.to_str().unwrap(),
    ]));
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(html.len() <= 2_500_000, "{} bytes", html.len());
    let mut members = 0;
    for line in out.lines() {
        let c: Value = serde_json::from_str(line).unwrap();
        let n = c["cluster"].as_u64().unwrap();
        let (_, section) = by_id(&html, &format!("cluster-{n}")).expect("every cluster");
        let size = c["size"].as_u64().unwrap() as usize;
        members += size;
        assert_eq!(member_views(section).len(), size - 1);
        let rows = by_class(section, "table", "pairs")[0]
            .1
            .matches("<tr><td>")
            .count();
        assert_eq!(rows, c["pairs"].as_array().unwrap().len());
    }
    assert_eq!(html.matches("<article class=\"stored\"").count(), members);
}

// ---------------------------------------------------------------------------
// A real browser

/// Writes the seed examples and our own cluster of four (`corpus`) into a
/// folder, scans it with a report, and returns the report's path with the
/// texts by id and the scan's JSON Lines.
fn browser_fixture(dir: &Path) -> (PathBuf, BTreeMap<String, String>, Vec<Value>) {
    let docs = dir.join("docs");
    std::fs::create_dir(&docs).unwrap();
    let mut texts = BTreeMap::new();
    for entry in std::fs::read_dir(example("")).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().to_string();
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::write(docs.join(&name), &text).unwrap();
        texts.insert(name, text);
    }
    for (name, text) in corpus() {
        let name = name.replace(['<', '>'], "_");
        std::fs::write(docs.join(&name), &text).unwrap();
        texts.insert(name, text);
    }
    let page = dir.join("report.html");
    let out = stdout(&run(&[
        "scan",
        docs.to_str().unwrap(),
        "--quiet",
        "--format",
        "jsonl",
        "--report",
        page.to_str().unwrap(),
    ]));
    let clusters = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    (page, texts, clusters)
}

/// The number of the document with this id in the report (its stored
/// text's `data-id`).
fn doc_number(b: &webdriver::Browser, id: &str) -> usize {
    b.run(
        "for (const a of document.querySelectorAll('article.stored')) \
           if (a.dataset.id === arguments[0]) return +a.id.slice(2); return -1;",
        &[json!(id)],
    )
    .as_u64()
    .unwrap_or_else(|| panic!("{id} is stored")) as usize
}

#[test]
fn browser_filters_sorts_opens_and_draws_the_report() {
    let dir = tempfile::tempdir().unwrap();
    let (page, texts, clusters) = browser_fixture(dir.path());
    let b = webdriver::Browser::start(1400, 1000);
    b.goto(&format!("file://{}", page.display()));

    // The contents list every cluster; typing in the filter narrows them.
    let visible = "return [...document.querySelectorAll('#toc-table tbody tr')]\
                   .filter(r => !r.hidden).map(r => r.querySelector('a').getAttribute('href'));";
    assert_eq!(
        b.run(visible, &[]).as_array().unwrap().len(),
        clusters.len()
    );
    let filter = b.find("#filter");
    b.type_text(&filter, "BYD price");
    let byd = clusters
        .iter()
        .find(|c| c["docs"][0] == BYD_A)
        .expect("the BYD cluster");
    b.wait_for("the contents to narrow", |b| {
        b.run(visible, &[]) == json!([format!("#cluster-{}", byd["cluster"])])
    });
    assert_eq!(
        b.run("return document.getElementById('shown').textContent", &[]),
        json!(format!("1 of {} clusters", clusters.len()))
    );
    b.clear(&filter);
    b.type_text(&filter, "outlet_1_");
    b.wait_for("the filter by id", |b| {
        b.run(visible, &[]).as_array().unwrap().len() == 1
    });
    b.clear(&filter);
    b.type_text(&filter, " ");
    b.wait_for("every cluster again", |b| {
        b.run(visible, &[]).as_array().unwrap().len() == clusters.len()
    });

    // Sorting by size, ascending then descending.
    let sizes = "return [...document.querySelectorAll('#toc-table tbody tr')]\
                 .map(r => +r.cells[1].dataset.v);";
    let size_head = b.find("#toc-table th:nth-child(2)");
    b.click(&size_head);
    let up: Vec<u64> = serde_json::from_value(b.run(sizes, &[])).unwrap();
    assert!(up.windows(2).all(|w| w[0] <= w[1]), "{up:?}");
    assert_eq!(
        b.run(
            "return document.querySelector('#toc-table th:nth-child(2)').getAttribute('aria-sort')",
            &[]
        ),
        json!("ascending")
    );
    b.click(&size_head);
    let down: Vec<u64> = serde_json::from_value(b.run(sizes, &[])).unwrap();
    assert!(down.windows(2).all(|w| w[0] >= w[1]), "{down:?}");

    // Open our cluster of four from the contents, then a member's view.
    let four = clusters
        .iter()
        .find(|c| c["size"] == 4)
        .expect("the cluster of four");
    let n = four["cluster"].as_u64().unwrap();
    b.click(&b.find(&format!("#toc-table a[href='#cluster-{n}']")));
    let rep_id = four["representative"].as_str().unwrap();
    let member = four["docs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_str().unwrap())
        .find(|d| *d != rep_id && *d == "edited.txt")
        .expect("the edited copy is a member");
    let (rep, m) = (doc_number(&b, rep_id), doc_number(&b, member));
    let view = format!("v-{n}-{m}");
    b.click(&b.find(&format!("#{view} > summary")));
    b.wait_for("the view to render", |b| {
        b.run(
            &format!("return !!document.querySelector('#{view} .cols')"),
            &[],
        ) == json!(true)
    });
    let html = b
        .run(
            &format!("return document.getElementById('{view}').outerHTML"),
            &[],
        )
        .as_str()
        .unwrap()
        .to_string();
    let (ta, tb) = (&texts[rep_id], &texts[member]);
    let e = explain(ta, tb, &AlignConfig::default());
    assert!(e.edits() > 0, "Beijing / Pékin");
    check_html_side(&html, &format!("{view}-"), 'a', ta, &e);
    check_html_side(&html, &format!("{view}-"), 'b', tb, &e);
    assert!(html.contains(&format!("data-a=\"{rep}\"")));

    // A pair without the representative, on demand.
    let button = format!("#cluster-{n} table.pairs button");
    let (pa, pb) = {
        let v = b.run(
            &format!(
                "const x = document.querySelector('{button}'); \
                 return [x.dataset.a, x.dataset.b].map(Number);"
            ),
            &[],
        );
        (v[0].as_u64().unwrap(), v[1].as_u64().unwrap())
    };
    b.click(&b.find(&button));
    let viewer = format!("pv-{n}");
    b.wait_for("the pair on demand", |b| {
        b.run(
            &format!("return !!document.querySelector('#{viewer} .cols')"),
            &[],
        ) == json!(true)
    });
    let html = b
        .run(
            &format!("return document.getElementById('{viewer}').outerHTML"),
            &[],
        )
        .as_str()
        .unwrap()
        .to_string();
    let id_of = |d: u64| {
        b.run(
            &format!("return document.getElementById('d-{d}').dataset.id"),
            &[],
        )
        .as_str()
        .unwrap()
        .to_string()
    };
    let (ida, idb) = (id_of(pa), id_of(pb));
    let e = explain(&texts[&ida], &texts[&idb], &AlignConfig::default());
    check_html_side(&html, &format!("{viewer}-"), 'a', &texts[&ida], &e);
    check_html_side(&html, &format!("{viewer}-"), 'b', &texts[&idb], &e);
    assert_eq!(by_class(&html, "svg", "strip").len(), 1, "its strip");

    // The charts, without a screenshot: every pair and cluster counted,
    // the thresholds drawn.
    let pairs: usize = clusters
        .iter()
        .map(|c| c["pairs"].as_array().unwrap().len())
        .sum();
    let count = |sel: &str| -> usize {
        b.run(
            &format!(
                "return [...document.querySelectorAll('{sel}')]\
                 .reduce((s, r) => s + (+r.dataset.count), 0)"
            ),
            &[],
        )
        .as_u64()
        .unwrap() as usize
    };
    assert_eq!(count("#chart-scores rect.bj"), pairs);
    assert_eq!(count("#chart-scores rect.bc"), pairs);
    assert_eq!(count("#chart-sizes rect.bs"), clusters.len());
    let thresholds = b.run(
        "return [...document.querySelectorAll('#chart-scores line.thr')]\
         .map(l => [l.getAttribute('class'), +l.dataset.value, \
                    l.getBoundingClientRect().height > 0])",
        &[],
    );
    assert_eq!(
        thresholds,
        json!([["thr j", 0.5, true], ["thr c", 0.4, true]])
    );
    // Bars are drawn: a bar of a bin with more pairs is taller.
    let heights = b.run(
        "return [...document.querySelectorAll('#chart-scores rect.bc')]\
         .map(r => [+r.dataset.count, r.getBoundingClientRect().height])",
        &[],
    );
    let heights: Vec<(f64, f64)> = serde_json::from_value(heights).unwrap();
    for x in &heights {
        for y in &heights {
            if x.0 > y.0 {
                assert!(x.1 > y.1, "{heights:?}");
            }
        }
    }
    // Each view of the open cluster has its strip: one band and one mark
    // per passage on each bar.
    b.wait_for("the strips of the open cluster", |b| {
        b.run(
            &format!(
                "const s = document.getElementById('cluster-{n}'); \
                 return s.querySelectorAll('details.view:not(.ondemand) .sv svg').length"
            ),
            &[],
        ) == json!(3)
    });
    let strips = b.run(
        &format!(
            "return [...document.querySelectorAll('#cluster-{n} details.view:not(.ondemand)')]\
             .map(v => {{ const s = v.querySelector('.sv svg'); \
               return [+v.dataset.b, +s.dataset.passages, \
                 ['band', 'pa', 'pb'].map(c => (s.querySelector('path.' + c).getAttribute('d')\
                   .match(/M/g) || []).length)]; }})"
        ),
        &[],
    );
    for s in strips.as_array().unwrap() {
        let d = s[0].as_u64().unwrap();
        let e = explain(ta, &texts[&id_of(d)], &AlignConfig::default());
        let k = e.passages.len();
        assert_eq!(s[1], json!(k));
        assert_eq!(s[2], json!([k, k, k]));
    }
}

/// The report reads without script: in Chromium with the page's scripts
/// off, the contents list every cluster, the filter (which needs script) is
/// hidden, and every member's text is in the page, shown when its
/// `<details>` is opened.
#[test]
fn browser_reads_the_report_without_script() {
    let dir = tempfile::tempdir().unwrap();
    let (page, texts, clusters) = browser_fixture(dir.path());
    let b = webdriver::Browser::start_with(1400, 1000, false);
    b.goto(&format!("file://{}", page.display()));
    let state = b.run(
        "return [document.documentElement.className, \
                 getComputedStyle(document.getElementById('toc-tools')).display, \
                 document.querySelectorAll('#toc-table tbody tr').length]",
        &[],
    );
    assert_eq!(state, json!(["", "none", clusters.len()]), "no script ran");
    // A view says where its texts are.
    let note = b.run(
        "return getComputedStyle(document.querySelector('details.view .pairview'), '::before')\
         .content",
        &[],
    );
    assert!(note.as_str().unwrap().contains("need script"), "{note}");
    for c in &clusters {
        let n = c["cluster"].as_u64().unwrap();
        for id in c["docs"].as_array().unwrap() {
            let id = id.as_str().unwrap();
            let text = b.run(
                &format!(
                    "const a = [...document.querySelectorAll('#cluster-{n} article.stored')]\
                     .find(a => a.dataset.id === arguments[0]); \
                     return a.querySelector('.text').textContent"
                ),
                &[json!(id)],
            );
            assert_eq!(text, json!(texts[id]), "{id}");
        }
    }
    // A text is read by opening its <details>, which needs no script.
    let n = clusters[0]["cluster"].as_u64().unwrap();
    let shown = format!(
        "return document.querySelector('#cluster-{n} details.texts .text').checkVisibility()"
    );
    assert_eq!(b.run(&shown, &[]), json!(false));
    b.click(&b.find(&format!("#cluster-{n} details.texts > summary")));
    assert_eq!(b.run(&shown, &[]), json!(true));
}
