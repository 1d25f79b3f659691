//! The progress bar and spinner on stderr (shown only on a terminal).

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressStyle};

/// Whether progress should be drawn: not with `--quiet`, and only when
/// stderr is a terminal (into a pipe or a file, nothing is drawn).
pub fn shown(quiet: bool) -> bool {
    !quiet && std::io::stderr().is_terminal()
}

/// The bar of reading a corpus: documents read and bytes, over the size
/// of the inputs when it is known.
pub struct Reading {
    bar: ProgressBar,
}

impl Reading {
    /// A bar over `total` input bytes (hidden unless `show`). A total of 0
    /// means the size is unknown (inputs that are pipes, or empty files):
    /// then it counts documents and bytes without a bar or an estimate.
    pub fn new(show: bool, total: u64) -> Reading {
        if !show {
            return Reading {
                bar: ProgressBar::hidden(),
            };
        }
        let template = if total > 0 {
            "{spinner} reading {msg} [{wide_bar}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}"
        } else {
            "{spinner} reading {msg}, {bytes} ({bytes_per_sec})"
        };
        let bar = ProgressBar::new(total);
        bar.set_style(
            ProgressStyle::with_template(template)
                .expect("valid template")
                .progress_chars("=> "),
        );
        bar.set_message(documents(0));
        Reading { bar }
    }

    /// `bytes` more read, `docs` documents in all so far.
    pub fn update(&self, bytes: u64, docs: usize) {
        self.bar.set_message(documents(docs));
        self.bar.inc(bytes);
    }

    /// Removes the bar.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

/// `"1 document"`, `"12,345 documents"`.
fn documents(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    format!("{out} document{}", if n == 1 { "" } else { "s" })
}

/// A spinner with a message (hidden unless `show`).
pub fn spinner(show: bool, message: &'static str) -> ProgressBar {
    if !show {
        return ProgressBar::hidden();
    }
    let s = ProgressBar::new_spinner();
    s.set_message(message);
    s.enable_steady_tick(std::time::Duration::from_millis(120));
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn document_counts_read_well() {
        assert_eq!(documents(0), "0 documents");
        assert_eq!(documents(1), "1 document");
        assert_eq!(documents(999), "999 documents");
        assert_eq!(documents(1000), "1,000 documents");
        assert_eq!(documents(1234567), "1,234,567 documents");
    }
}
