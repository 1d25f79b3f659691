//! The invented outlets of `data/outlets.txt` (their boilerplate is written
//! for this project) and
//! the rendering of a copy: as a plain wire, or in an outlet's frame and
//! style.

use std::sync::OnceLock;

use crate::data::{data_file, load, DataError, DataFile};
use crate::rng::Rng;
use crate::text::{push_wrapped, sentence_case, strip_tickers, title_case, words_of};
use crate::words::{words, Spelling};

/// How an outlet cases the headline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Case {
    /// As the wire has it.
    Keep,
    /// Headline case ([`title_case`]).
    Title,
    /// Sentence case ([`sentence_case`]).
    Sentence,
    /// All capitals.
    Upper,
}

/// How an outlet lays the body out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Layout {
    /// The whole body on one line, as scraped from a page.
    OneLine,
    /// One line per paragraph.
    Lines,
    /// Paragraphs separated by a blank line.
    Blank,
    /// Wrapped at a width, paragraphs after the first indented.
    Wrapped(usize, usize),
}

/// How an outlet renders the wire's dateline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dateline {
    /// `CITY, Mon DD - `
    Wire,
    /// `CITY, Mon DD (Reuters) - `
    Agency,
    /// `[CITY] `
    Bracket,
    /// `CITY -- `
    Dash,
    /// No dateline.
    Strip,
}

/// An invented outlet (a block of `data/outlets.txt`); its name is the
/// first masthead line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Outlet {
    /// Lines before the headline; `{section}`, `{date}`, `{year}` and
    /// `{mins}` are filled in per article.
    pub(crate) masthead: Vec<&'static str>,
    /// Lines between the headline and the body.
    pub(crate) byline: Vec<&'static str>,
    /// Lines after the body.
    pub(crate) footer: Vec<&'static str>,
    /// Headline case.
    pub(crate) case: Case,
    /// Body layout.
    pub(crate) layout: Layout,
    /// Dateline style.
    pub(crate) dateline: Dateline,
    /// House spelling (with the house-style noise).
    pub(crate) spelling: Spelling,
    /// Wire abbreviations spelled out (with the house-style noise).
    pub(crate) expand: bool,
}

/// The invented outlets of `data/outlets.txt`, in file order (parsed on
/// first use).
pub(crate) fn outlets() -> &'static [Outlet] {
    static OUTLETS: OnceLock<Vec<Outlet>> = OnceLock::new();
    OUTLETS.get_or_init(|| load(parse_outlets(data_file!("outlets.txt"))))
}

/// Number of invented outlets (the blocks of `data/outlets.txt`).
pub fn outlet_count() -> usize {
    outlets().len()
}

/// Placeholders of outlet lines, filled in by [`render_outlet`].
const PLACEHOLDERS: [&str; 4] = ["{section}", "{date}", "{year}", "{mins}"];

/// Parses the outlets file: blocks of `field: value` lines separated by
/// blank lines (see `data/README.md`).
fn parse_outlets(file: DataFile) -> Result<Vec<Outlet>, DataError> {
    let mut out = Vec::new();
    let mut block: Vec<(usize, &'static str)> = Vec::new();
    let mut lines = file.lines().peekable();
    while let Some((n, line)) = lines.next() {
        if !line.trim().is_empty() {
            block.push((n, line));
        }
        if (line.trim().is_empty() || lines.peek().is_none()) && !block.is_empty() {
            out.push(parse_outlet(file, &block)?);
            block.clear();
        }
    }
    if out.is_empty() {
        return Err(file.error(0, "no outlets"));
    }
    Ok(out)
}

/// One block of the outlets file (`block` is not empty).
fn parse_outlet(file: DataFile, block: &[(usize, &'static str)]) -> Result<Outlet, DataError> {
    let (mut masthead, mut byline, mut footer) = (Vec::new(), Vec::new(), Vec::new());
    let (mut case, mut layout, mut dateline, mut spelling, mut expand) =
        (None, None, None, None, None);
    for &(n, line) in block {
        let err = |msg: String| Err(file.error(n, msg));
        let Some((field, value)) = line.split_once(": ") else {
            return err(format!("need `field: value`, got {line:?}"));
        };
        if value.is_empty() || value.trim() != value {
            return err(format!("empty value or white space around {value:?}"));
        }
        let once = |slot: bool| {
            if slot {
                Err(file.error(n, format!("`{field}` given twice")))
            } else {
                Ok(())
            }
        };
        match field {
            "masthead" | "byline" | "footer" => {
                let mut rest = value;
                while let Some(i) = rest.find('{') {
                    let p = &rest[i..];
                    let Some(name) = PLACEHOLDERS.iter().find(|ph| p.starts_with(*ph)) else {
                        return err(format!(
                            "unknown placeholder at {p:?} (known: {})",
                            PLACEHOLDERS.join(", ")
                        ));
                    };
                    rest = &p[name.len()..];
                }
                match field {
                    "masthead" => masthead.push(value),
                    "byline" => byline.push(value),
                    _ => footer.push(value),
                }
            }
            "case" => {
                once(case.is_some())?;
                case = Some(choice(file, n, field, value, CASES)?);
            }
            "layout" => {
                once(layout.is_some())?;
                let mut words = value.split(' ');
                layout = Some(
                    match (words.next(), words.next(), words.next(), words.next()) {
                        (Some("one-line"), None, ..) => Layout::OneLine,
                        (Some("lines"), None, ..) => Layout::Lines,
                        (Some("blank"), None, ..) => Layout::Blank,
                        (Some("wrapped"), Some(w), Some(i), None) => {
                            match (w.parse::<usize>(), i.parse::<usize>()) {
                                (Ok(w), Ok(i)) if i < w => Layout::Wrapped(w, i),
                                _ => {
                                    return err(format!(
                                    "layout {value:?}: `wrapped WIDTH INDENT`, INDENT below WIDTH"
                                ))
                                }
                            }
                        }
                        _ => {
                            return err(format!(
                                "layout {value:?}: one-line, lines, blank or wrapped WIDTH INDENT"
                            ))
                        }
                    },
                );
            }
            "dateline" => {
                once(dateline.is_some())?;
                dateline = Some(choice(file, n, field, value, DATELINES)?);
            }
            "spelling" => {
                once(spelling.is_some())?;
                spelling = Some(choice(file, n, field, value, SPELLINGS)?);
            }
            "expand" => {
                once(expand.is_some())?;
                expand = Some(choice(
                    file,
                    n,
                    field,
                    value,
                    &[("yes", true), ("no", false)],
                )?);
            }
            _ => return err(format!("unknown field `{field}`")),
        }
    }
    let first = block[0].0;
    let missing = |field: &str| file.error(first, format!("outlet without `{field}`"));
    if masthead.is_empty() {
        return Err(missing("masthead"));
    }
    Ok(Outlet {
        masthead,
        byline,
        footer,
        case: case.ok_or_else(|| missing("case"))?,
        layout: layout.ok_or_else(|| missing("layout"))?,
        dateline: dateline.ok_or_else(|| missing("dateline"))?,
        spelling: spelling.ok_or_else(|| missing("spelling"))?,
        expand: expand.ok_or_else(|| missing("expand"))?,
    })
}

/// Names of the one-word settings of `outlets.txt`.
const CASES: &[(&str, Case)] = &[
    ("keep", Case::Keep),
    ("title", Case::Title),
    ("sentence", Case::Sentence),
    ("upper", Case::Upper),
];
const DATELINES: &[(&str, Dateline)] = &[
    ("wire", Dateline::Wire),
    ("agency", Dateline::Agency),
    ("bracket", Dateline::Bracket),
    ("dash", Dateline::Dash),
    ("strip", Dateline::Strip),
];
const SPELLINGS: &[(&str, Spelling)] = &[
    ("keep", Spelling::Keep),
    ("us", Spelling::Us),
    ("uk", Spelling::Uk),
];

/// The setting named `value` among `choices`, or an error at `line` that
/// lists them.
fn choice<T: Copy>(
    file: DataFile,
    line: usize,
    field: &str,
    value: &str,
    choices: &[(&str, T)],
) -> Result<T, DataError> {
    if let Some(&(_, v)) = choices.iter().find(|(name, _)| *name == value) {
        return Ok(v);
    }
    let names: Vec<&str> = choices.iter().map(|(name, _)| *name).collect();
    let (last, rest) = names.split_last().unwrap_or((&"", &[]));
    Err(file.error(
        line,
        format!("{field} {value:?}: {} or {last}", rest.join(", ")),
    ))
}

pub(crate) fn render_wire(
    title: &str,
    dateline: Option<&str>,
    paras: &[String],
    note: Option<&(String, bool)>,
    out: &mut String,
) {
    out.push_str(&title.to_uppercase());
    out.push_str("\n\n");
    if let Some((n, true)) = note {
        out.push_str(n);
        out.push('\n');
    }
    for (i, p) in paras.iter().enumerate() {
        if i == 0 {
            let lead = match dateline {
                Some(d) => format!("{d} - {p}"),
                None => p.clone(),
            };
            push_wrapped(&lead, 70, 0, out);
        } else {
            push_wrapped(p, 70, 4, out);
        }
    }
    if let Some((n, false)) = note {
        out.push_str("    ");
        out.push_str(n);
        out.push('\n');
    }
    out.push_str(" Reuter\n");
}

pub(crate) fn render_outlet(
    o: &Outlet,
    title: &str,
    dateline: Option<&str>,
    paras: &[String],
    note: Option<&(String, bool)>,
    rng: &mut Rng,
    out: &mut String,
) {
    let year = 2023 + rng.below(3);
    let (month, day) = (rng.pick(&words().months), rng.range(1, 28));
    let date = if o.spelling == Spelling::Uk {
        format!("{day} {month} {year}")
    } else {
        format!("{month} {day}, {year}")
    };
    let section = rng.pick(&words().sections);
    let mins = (words_of(paras) / 200 + 1).to_string();
    let fill = |t: &str, out: &mut String| {
        out.push_str(
            &t.replace("{date}", &date)
                .replace("{year}", &year.to_string())
                .replace("{section}", section)
                .replace("{mins}", &mins),
        );
        out.push('\n');
    };
    for line in &o.masthead {
        fill(line, out);
    }
    out.push('\n');
    let headline = match o.case {
        Case::Keep => title.to_string(),
        Case::Title => title_case(&strip_tickers(title)),
        Case::Sentence => sentence_case(&strip_tickers(title)),
        Case::Upper => title.to_uppercase(),
    };
    out.push_str(&headline);
    out.push('\n');
    for line in &o.byline {
        fill(line, out);
    }
    out.push('\n');

    let mut body: Vec<String> = Vec::with_capacity(paras.len() + 1);
    if let Some((n, true)) = note {
        body.push(n.clone());
    }
    for (i, p) in paras.iter().enumerate() {
        match (i, dateline) {
            (0, Some(d)) => {
                let city = d.split(',').next().unwrap_or(d).trim();
                body.push(match o.dateline {
                    Dateline::Wire => format!("{d} - {p}"),
                    Dateline::Agency => format!("{d} (Reuters) - {p}"),
                    Dateline::Bracket => format!("[{city}] {p}"),
                    Dateline::Dash => format!("{city} -- {p}"),
                    Dateline::Strip => p.clone(),
                });
            }
            _ => body.push(p.clone()),
        }
    }
    if let Some((n, false)) = note {
        body.push(n.clone());
    }
    match o.layout {
        Layout::OneLine => {
            out.push_str(&body.join(" "));
            out.push('\n');
        }
        Layout::Lines => {
            for p in &body {
                out.push_str(p);
                out.push('\n');
            }
        }
        Layout::Blank => {
            for (i, p) in body.iter().enumerate() {
                if i > 0 {
                    out.push('\n');
                }
                out.push_str(p);
                out.push('\n');
            }
        }
        Layout::Wrapped(width, indent) => {
            for (i, p) in body.iter().enumerate() {
                push_wrapped(p, width, if i == 0 { 0 } else { indent }, out);
            }
        }
    }
    out.push('\n');
    for line in &o.footer {
        fill(line, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(text: &'static str) -> DataFile {
        DataFile {
            name: "o.txt",
            text,
        }
    }

    #[test]
    fn shipped_outlets_parse_with_distinct_names() {
        let all = parse_outlets(data_file!("outlets.txt")).unwrap_or_else(|e| panic!("{e}"));
        let mut names: Vec<&str> = all.iter().map(|o| o.masthead[0]).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), all.len(), "two outlets share a name");
        assert_eq!(outlet_count(), all.len());
    }

    #[test]
    fn blocks_become_outlets() {
        let text = "# comment\n\nmasthead: A: the paper\nbyline: {date} | {mins} min\n\
            case: upper\nlayout: wrapped 66 4\ndateline: dash\nspelling: uk\nexpand: yes\n\
            \n# between\n\n\nmasthead: B\nfooter: (c) {year} B\nfooter: {section}\n\
            case: keep\nlayout: one-line\ndateline: strip\n# inside\nspelling: keep\nexpand: no";
        let got = parse_outlets(file(text)).unwrap();
        assert_eq!(
            got,
            [
                Outlet {
                    masthead: vec!["A: the paper"],
                    byline: vec!["{date} | {mins} min"],
                    footer: vec![],
                    case: Case::Upper,
                    layout: Layout::Wrapped(66, 4),
                    dateline: Dateline::Dash,
                    spelling: Spelling::Uk,
                    expand: true,
                },
                Outlet {
                    masthead: vec!["B"],
                    byline: vec![],
                    footer: vec!["(c) {year} B", "{section}"],
                    case: Case::Keep,
                    layout: Layout::OneLine,
                    dateline: Dateline::Strip,
                    spelling: Spelling::Keep,
                    expand: false,
                },
            ]
        );
    }

    #[test]
    fn bad_outlets_name_the_line() {
        const TAIL: &str = "case: title\nlayout: blank\ndateline: wire\nspelling: us\nexpand: no\n";
        let err = |head: &str, tail: &str| {
            let text: &'static str = format!("{head}{tail}").leak();
            parse_outlets(file(text)).unwrap_err().to_string()
        };
        let at = |line: usize, msg: &str| format!("benches/synth/data/o.txt:{line}: {msg}");
        assert_eq!(err("", "\n# nothing\n"), at(0, "no outlets"));
        assert_eq!(err("masthead: X\n", ""), at(1, "outlet without `case`"));
        assert_eq!(
            err("\nbyline: y\n", TAIL),
            at(2, "outlet without `masthead`")
        );
        assert_eq!(
            err("masthead X\n", TAIL),
            at(1, "need `field: value`, got \"masthead X\"")
        );
        assert_eq!(
            err("masthead: X\ncolour: red\n", TAIL),
            at(2, "unknown field `colour`")
        );
        assert_eq!(
            err("masthead: X\ncase: title\n", TAIL),
            at(3, "`case` given twice")
        );
        assert_eq!(
            err("masthead: X {weekday}\n", TAIL),
            at(
                1,
                "unknown placeholder at \"{weekday}\" (known: {section}, {date}, {year}, {mins})"
            )
        );
        assert_eq!(
            err("masthead: X\nlayout: wrapped 10 10\n", TAIL),
            at(
                2,
                "layout \"wrapped 10 10\": `wrapped WIDTH INDENT`, INDENT below WIDTH"
            )
        );
        assert_eq!(
            err("masthead: X\nlayout: blank 3\n", TAIL),
            at(
                2,
                "layout \"blank 3\": one-line, lines, blank or wrapped WIDTH INDENT"
            )
        );
        assert_eq!(
            err("masthead: X\ncase: bold\n", TAIL),
            at(2, "case \"bold\": keep, title, sentence or upper")
        );
        assert_eq!(
            err(
                "masthead: X\n",
                &TAIL.replace("expand: no", "expand: maybe")
            ),
            at(6, "expand \"maybe\": yes or no")
        );
        assert_eq!(
            err(
                "masthead: X\n",
                &TAIL.replace("dateline: wire", "dateline: wired")
            ),
            at(
                4,
                "dateline \"wired\": wire, agency, bracket, dash or strip"
            )
        );
        assert_eq!(
            err("masthead:  X\n", TAIL),
            at(1, "empty value or white space around \" X\"")
        );
        // A blank line ends a block: the second one lacks its settings.
        assert_eq!(
            err("masthead: X\n", &format!("{TAIL}\nmasthead: Y\n")),
            at(8, "outlet without `case`")
        );
    }
}
