//! Invented sources for the unit tests.

use crate::sources::Source;
use crate::text::words_of;

/// Sources of invented words: source `i` only uses words `w{i}x{j}`.
pub(crate) fn fake_sources(n: usize) -> Vec<Source> {
    (0..n)
        .map(|i| {
            let paras: Vec<String> = (0..4)
                .map(|p| {
                    let sents: Vec<String> = (0..3)
                        .map(|s| {
                            let ws: Vec<String> = (0..8)
                                .map(|w| format!("w{i}x{}", p * 100 + s * 10 + w))
                                .collect();
                            format!("Q{}.", ws.join(" "))
                        })
                        .collect();
                    sents.join(" ")
                })
                .collect();
            Source {
                title: format!("STORY NUMBER W{i} ABOUT THINGS"),
                dateline: Some("LONDON, March 3".into()),
                words: words_of(&paras),
                paras,
                topic: if i % 2 == 0 {
                    "even".into()
                } else {
                    "odd".into()
                },
            }
        })
        .collect()
}

/// Sources whose sentences use words of the lists (house spellings,
/// wire abbreviations, editorial swaps) and all-caps titles, so that
/// a digest of their corpus covers the word lists and the outlets.
pub(crate) fn wordy_sources(n: usize) -> Vec<Source> {
    (0..n)
        .map(|i| {
            let paras: Vec<String> = (0..4)
                .map(|p| {
                    let sents: Vec<String> = (0..3)
                        .map(|s| {
                            format!(
                                "Q{i}x{p}{s} said the company program rose {} pct to {} mln dlrs. \
                                 Officials of the labor center expect talks about a big agreement.",
                                i % 9 + 1,
                                i * 7 + p * 3 + s
                            )
                        })
                        .collect();
                    sents.join(" ")
                })
                .collect();
            Source {
                title: format!("COMPANY W{i} PROGRAM RISES 5 PCT IN U.S. <CO{i}>"),
                dateline: (i % 4 != 0).then(|| "NEW YORK, March 3".into()),
                words: words_of(&paras),
                paras,
                topic: ["grain", "ship", ""][i % 3].into(),
            }
        })
        .collect()
}
