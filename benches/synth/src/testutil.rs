//! Invented sources for the unit tests.

use crate::sources::Source;
use crate::text::words_of;

/// `n` sources of four paragraphs of three sentences each, source `i`
/// titled `title(i)`, paragraph `p` of it made of `sentence(i, p, s)` for
/// `s` in `0..3`.
fn sources(
    n: usize,
    title: impl Fn(usize) -> String,
    dateline: impl Fn(usize) -> Option<String>,
    topic: impl Fn(usize) -> &'static str,
    sentence: impl Fn(usize, usize, usize) -> String,
) -> Vec<Source> {
    (0..n)
        .map(|i| {
            let paras: Vec<String> = (0..4)
                .map(|p| {
                    (0..3)
                        .map(|s| sentence(i, p, s))
                        .collect::<Vec<_>>()
                        .join(" ")
                })
                .collect();
            Source {
                title: title(i),
                dateline: dateline(i),
                words: words_of(&paras),
                paras,
                topic: topic(i).into(),
            }
        })
        .collect()
}

/// Sources of invented words: source `i` only uses words `w{i}x{j}`.
pub(crate) fn fake_sources(n: usize) -> Vec<Source> {
    sources(
        n,
        |i| format!("STORY NUMBER W{i} ABOUT THINGS"),
        |_| Some("LONDON, March 3".into()),
        |i| if i % 2 == 0 { "even" } else { "odd" },
        |i, p, s| {
            let ws: Vec<String> = (0..8)
                .map(|w| format!("w{i}x{}", p * 100 + s * 10 + w))
                .collect();
            format!("Q{}.", ws.join(" "))
        },
    )
}

/// Sources whose sentences use words of the lists (house spellings,
/// wire abbreviations, editorial swaps) and all-caps titles, so that
/// a digest of their corpus covers the word lists and the outlets.
pub(crate) fn wordy_sources(n: usize) -> Vec<Source> {
    sources(
        n,
        |i| format!("COMPANY W{i} PROGRAM RISES 5 PCT IN U.S. <CO{i}>"),
        |i| (i % 4 != 0).then(|| "NEW YORK, March 3".into()),
        |i| ["grain", "ship", ""][i % 3],
        |i, p, s| {
            format!(
                "Q{i}x{p}{s} said the company program rose {} pct to {} mln dlrs. \
                 Officials of the labor center expect talks about a big agreement.",
                i % 9 + 1,
                i * 7 + p * 3 + s
            )
        },
    )
}
