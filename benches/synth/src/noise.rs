//! Noise applied to the paragraphs of a copy: a dropped sentence, a word
//! swapped for a synonym, truncation at a sentence end, related-headline
//! junk.

use crate::rng::Rng;
use crate::text::{map_words, sentence_spans, word_count, words_of};
use crate::words::Lexicon;

/// Removes one sentence, never the first of the lead paragraph.
pub(crate) fn drop_sentence(
    paras: &mut Vec<String>,
    rng: &mut Rng,
    spans: &mut Vec<(usize, usize)>,
) {
    if paras.is_empty() {
        return;
    }
    let i = if paras.len() == 1 {
        0
    } else {
        rng.range(1, paras.len() - 1)
    };
    sentence_spans(&paras[i], spans);
    if spans.len() <= 1 {
        if i > 0 {
            paras.remove(i);
        }
        return;
    }
    let k = if i == 0 {
        rng.range(1, spans.len() - 1)
    } else {
        rng.below(spans.len())
    };
    let p = &paras[i];
    let start = spans[k].0;
    let end = spans.get(k + 1).map_or(p.len(), |s| s.0);
    let mut q = String::with_capacity(p.len());
    q.push_str(&p[..start]);
    q.push_str(&p[end..]);
    paras[i] = q.trim_end().to_string();
}

/// Swaps one word for another from the editorial swaps of the [`Lexicon`], in a paragraph not `edited`
/// before (so that an edit is never edited again).
pub(crate) fn edit_word(paras: &mut [String], edited: &mut [bool], lex: &Lexicon, rng: &mut Rng) {
    if paras.is_empty() {
        return;
    }
    for _ in 0..4 {
        let i = rng.below(paras.len());
        if edited[i] {
            continue;
        }
        let mut n = 0;
        let _ = map_words(&paras[i], |w| {
            n += usize::from(lex.edits.contains_key(w));
            None
        });
        if n == 0 {
            continue;
        }
        let target = rng.below(n);
        let mut k = 0;
        let edited_text = map_words(&paras[i], |w| {
            let rep = lex.edits.get(w).copied()?;
            k += 1;
            (k - 1 == target).then_some(rep)
        });
        if let Some(p) = edited_text {
            paras[i] = p;
            edited[i] = true;
        }
        return;
    }
}

/// Keeps the first `frac` of the words (at least `min_keep`), cutting at a
/// sentence boundary.
pub(crate) fn truncate(
    paras: &mut Vec<String>,
    frac: f64,
    min_keep: usize,
    spans: &mut Vec<(usize, usize)>,
) {
    let total = words_of(paras);
    let keep = ((total as f64 * frac) as usize).max(min_keep);
    if keep >= total {
        return;
    }
    let mut acc = 0;
    for i in 0..paras.len() {
        let n = word_count(&paras[i]);
        if acc + n >= keep {
            sentence_spans(&paras[i], spans);
            let mut end = paras[i].len();
            for &(s, e) in spans.iter() {
                acc += word_count(&paras[i][s..e]);
                if acc >= keep {
                    end = e;
                    break;
                }
            }
            paras[i].truncate(end);
            paras.truncate(i + 1);
            return;
        }
        acc += n;
    }
}

/// Glues a block of 3 to 5 related headlines inside a paragraph, after a
/// sentence.
pub(crate) fn insert_junk(
    paras: &mut [String],
    titles: &[String],
    rng: &mut Rng,
    spans: &mut Vec<(usize, usize)>,
) {
    if paras.is_empty() {
        return;
    }
    let k = rng.range(3, 5);
    let heads: Vec<&str> = (0..k).map(|_| rng.pick(titles).as_str()).collect();
    let block = match rng.below(3) {
        0 => heads.join(" "),
        1 => format!("Related: {}", heads.join(" | ")),
        _ => format!("READ MORE: {}", heads.join(" READ MORE: ")),
    };
    let i = rng.below(paras.len().min(3));
    let p = &paras[i];
    sentence_spans(p, spans);
    let at = if spans.len() > 1 {
        spans[rng.below(spans.len() - 1)].1
    } else {
        p.len()
    };
    let mut q = String::with_capacity(p.len() + block.len() + 2);
    q.push_str(&p[..at]);
    q.push(' ');
    q.push_str(&block);
    if at < p.len() {
        q.push_str(&p[at..]);
    }
    paras[i] = q;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncate_cuts_at_sentence_end() {
        let mut paras = vec![
            "One two three four five. Six seven eight nine ten.".to_string(),
            "Eleven twelve thirteen. Fourteen fifteen sixteen.".to_string(),
        ];
        let mut spans = Vec::new();
        truncate(&mut paras, 0.5, 1, &mut spans);
        assert_eq!(
            paras,
            ["One two three four five. Six seven eight nine ten."]
        );
        let before = paras.clone();
        truncate(&mut paras, 1.0, 1, &mut spans);
        assert_eq!(paras, before);
    }
}
