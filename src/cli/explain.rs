//! `neardup explain A B`: the shared passages of two texts and what each
//! copy adds, as text, JSON or HTML.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Result;
use clap::{Args, ValueEnum};

use neardup::display::{escape_for_terminal, path_for_terminal, path_text};
use neardup::explain::AlignConfig;
use neardup::report::ReportDoc;

use super::args::ColorChoice;
use super::with_output;

/// `neardup explain` flags.
#[derive(Args, Debug)]
pub struct ExplainArgs {
    /// First document.
    a: PathBuf,
    /// Second document.
    b: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ExplainFormat::Text)]
    format: ExplainFormat,
    /// Words per shingle for the scores.
    #[arg(long, value_name = "K")]
    shingle: Option<usize>,
    /// Shortest shared run of words that counts as a passage.
    #[arg(long, value_name = "N")]
    min_match: Option<usize>,
    /// Largest gap (in words, on each side) bridged inside a passage.
    #[arg(long, value_name = "N")]
    max_gap: Option<usize>,
    /// Write the output to FILE (atomically) instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Colour in the text format: auto (on a terminal), always or never.
    #[arg(long, value_enum, value_name = "WHEN", default_value_t = ColorChoice::Auto)]
    color: ColorChoice,
}

/// `--format` of `explain`.
#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
enum ExplainFormat {
    Text,
    Json,
    Html,
}

/// Reads a file as the corpus reader would (a regular file only: a FIFO or
/// device is an error at once), warning when invalid UTF-8 was replaced.
fn read(p: &Path) -> Result<String> {
    let (text, replaced) = neardup::corpus::read_text_file(p, u64::MAX).map_err(|e| match e {
        // The path once, with the cause.
        neardup::Error::Io { source, .. } => {
            anyhow::anyhow!("cannot read {}: {source}", path_for_terminal(p))
        }
        e => e.into(),
    })?;
    if replaced {
        super::say(format_args!(
            "warning: {}: invalid UTF-8 replaced by '?'",
            path_for_terminal(p)
        ));
    }
    Ok(text)
}

/// A file's name, as its id in the output (written as the corpus reader
/// writes ids).
fn name(p: &Path) -> String {
    p.file_name()
        .map(|n| path_text(Path::new(n)).into_owned())
        .unwrap_or_else(|| path_text(p).into_owned())
}

/// `neardup explain`.
pub fn run(args: ExplainArgs) -> Result<ExitCode> {
    let (ta, tb) = (read(&args.a)?, read(&args.b)?);
    let mut align = AlignConfig::default();
    if let Some(k) = args.shingle {
        align.shingle = k;
    }
    if let Some(m) = args.min_match {
        align.min_match = m;
    }
    if let Some(g) = args.max_gap {
        align.max_gap = g;
    }
    align.validate()?;
    let e = neardup::explain::explain(&ta, &tb, &align);
    let (mut ida, mut idb) = (name(&args.a), name(&args.b));
    if args.format == ExplainFormat::Text {
        // For people: control characters escaped (JSON and HTML escape
        // their own way).
        ida = escape_for_terminal(&ida).into_owned();
        idb = escape_for_terminal(&idb).into_owned();
    }
    let a = ReportDoc {
        id: &ida,
        text: &ta,
    };
    let b = ReportDoc {
        id: &idb,
        text: &tb,
    };
    let color = args
        .color
        .enabled(args.output.is_none() && std::io::stdout().is_terminal());
    with_output(args.output.as_deref(), |w| match args.format {
        ExplainFormat::Json => {
            serde_json::to_writer(&mut *w, &neardup::report::explain_json(a, b, &e))?;
            writeln!(w)
        }
        ExplainFormat::Text => neardup::report::write_explain_text(w, a, b, &e, color),
        ExplainFormat::Html => neardup::report::write_html_pair(w, a, b, &e),
    })?;
    Ok(ExitCode::SUCCESS)
}
