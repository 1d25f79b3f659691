//! `neardup scan`: clusters of duplicates in a corpus, as text, JSON Lines
//! or CSV, with an optional HTML report.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Args, ValueEnum};

use neardup::corpus::SkipReason;
use neardup::{Corpus, Engine, ScanResult};

use super::args::{ColorChoice, ConfigArgs, InputArgs, RunArgs, ScanTuning};
use super::{exit_for, progress, say, with_output};
use neardup::display::{count, path_for_terminal};

/// Every flag of a scan (shared by `scan` and `eval`).
#[derive(Args, Debug, Clone)]
pub struct ScanFlags {
    #[command(flatten)]
    pub config: ConfigArgs,
    #[command(flatten)]
    pub input: InputArgs,
    #[command(flatten)]
    pub run: RunArgs,
    #[command(flatten)]
    pub tuning: ScanTuning,
}

/// `neardup scan` flags.
#[derive(Args, Debug)]
pub struct ScanArgs {
    /// Directories, files or .jsonl/.ndjson files.
    #[arg(required = true, value_name = "INPUT")]
    inputs: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Write the output to FILE (atomically) instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Also print single documents as clusters of size 1.
    #[arg(long)]
    all: bool,
    /// Add each pair's shared passages (byte offsets) to the JSON Lines output.
    #[arg(long)]
    explain: bool,
    /// Write a self-contained HTML report of the clusters to FILE.
    #[arg(long, value_name = "FILE")]
    report: Option<PathBuf>,
    /// Colour in the text output: auto (on a terminal), always or never.
    #[arg(long, value_enum, value_name = "WHEN", default_value_t = ColorChoice::Auto)]
    color: ColorChoice,
    #[command(flatten)]
    flags: ScanFlags,
}

/// `--format` of `scan`.
#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Text,
    Jsonl,
    Csv,
}

/// Runs a scan with progress and summary on stderr.
pub fn run_scan(inputs: &[PathBuf], a: &ScanFlags) -> Result<ScanResult> {
    let config = a.config.config()?;
    a.run.init_threads()?;
    let options = a.input.options();
    let walk_started = std::time::Instant::now();
    let corpus = Corpus::open(inputs, options)?;
    let walked = walk_started.elapsed();
    let engine = Engine::new(config);
    let show = progress::shown(a.run.quiet);
    // The total is for the bar alone: one `stat` per file, a second or
    // more at a million files, so only asked for when the bar is shown.
    let total = if show { corpus.total_bytes() } else { 0 };
    let bar = progress::Reading::new(show, total);
    let mut scan = engine.scan();
    scan.set_memory_budget(a.tuning.memory_budget.saturating_mul(1 << 20));
    scan.add_corpus_counted(&corpus, |bytes, docs| bar.update(bytes, docs));
    // The listing is not needed again, and the process is short-lived:
    // it is left for the system to reclaim at exit rather than freed
    // entry by entry on the main thread.
    std::mem::forget(corpus);
    bar.finish();
    let spinner = progress::spinner(show, "matching");
    let result = scan.finish();
    spinner.finish_and_clear();
    if a.tuning.timings {
        let parts: Vec<String> = std::iter::once(&("walk", walked))
            .chain(&result.stats.stages)
            .map(|(name, d)| format!("{name} {:.3}s", d.as_secs_f64()))
            .collect();
        say(format_args!("timings: {}", parts.join(", ")));
    }
    if !a.run.quiet {
        for w in &result.warnings {
            say(format_args!("warning: {w}"));
        }
        for s in &result.skipped {
            say(s);
        }
    }
    Ok(result)
}

/// The one-line summary of a scan, for stderr (after `neardup: `).
pub fn summary(result: &ScanResult) -> String {
    let s = &result.stats;
    let mut skipped = String::new();
    if s.skipped > 0 {
        let parts: Vec<String> = result
            .skip_counts()
            .iter()
            .map(|(r, n): &(SkipReason, usize)| format!("{n} {}", r.as_str()))
            .collect();
        skipped = format!(" ({})", parts.join(", "));
    }
    // The pairs and clusters the outputs hold come first; how the pairs
    // were found after.
    let mut found = format!(
        "{} of {} candidate pairs verified",
        s.verified_pairs, s.candidate_pairs
    );
    if s.linkage_pairs > 0 {
        found.push_str(&format!(
            ", {} more found while clustering",
            s.linkage_pairs
        ));
    }
    if s.rejected_pairs > 0 {
        found.push_str(&format!(", {} left between clusters", s.rejected_pairs));
    }
    format!(
        "{} read ({:.1} MB), {} skipped{}; {} in {} ({}): {found}; {:.2}s",
        count(s.documents as u64, "document", "documents"),
        s.bytes as f64 / 1e6,
        s.skipped,
        skipped,
        count(s.pairs as u64, "duplicate pair", "duplicate pairs"),
        count(s.clusters as u64, "cluster", "clusters"),
        count(s.clustered_documents as u64, "document", "documents"),
        s.elapsed.as_secs_f64()
    )
}

/// `neardup scan`.
pub fn run(args: ScanArgs) -> Result<ExitCode> {
    let result = run_scan(&args.inputs, &args.flags)?;
    // Explanations use the scan's shingle size, so their scores and the
    // boilerplate marks speak of the same shingles.
    let align = result.align_config();
    let load = |d: usize| result.text(d).ok();
    let passages = |p: &neardup::Pair| {
        let (a, b) = (load(p.a)?, load(p.b)?);
        let e = result.explain_texts(&a, &b);
        let list = neardup::output::json::scan_passages(&a, &e, align.shingle, &result.boilerplate);
        let mut m = serde_json::Map::new();
        m.insert(
            "passages".into(),
            serde_json::to_value(list).expect("plain data serializes"),
        );
        Some(m)
    };
    // A cluster's headline: its representative's title or first line.
    let headline = |d: usize| load(d).map(|t| result.headline(d, &t));
    let color = args
        .color
        .enabled(args.output.is_none() && std::io::stdout().is_terminal());
    with_output(args.output.as_deref(), |w| match args.format {
        Format::Jsonl => {
            let extra: Option<&neardup::output::PairExtra<'_>> =
                if args.explain { Some(&passages) } else { None };
            neardup::output::write_jsonl(&result, w, args.all, extra)
        }
        Format::Csv => neardup::output::write_csv(&result, w),
        Format::Text => {
            neardup::output::write_text_with(&result, w, args.all, Some(&headline), color)
        }
    })?;
    if let Some(report) = &args.report {
        let title = |d: usize| result.title(d);
        let options = neardup::report::ReportOptions {
            align,
            title: Some(&title),
            info: neardup::report::ReportInfo {
                date: Some(super::now_utc()),
                inputs: args
                    .inputs
                    .iter()
                    .map(|p| p.display().to_string())
                    .collect(),
                ..Default::default()
            },
        };
        neardup::output::write_atomically(report, |w| {
            neardup::report::write_html_report_with(w, &result, &load, &options)
        })
        .with_context(|| format!("cannot write {}", path_for_terminal(report)))?;
    }
    if !args.flags.run.quiet {
        say(summary(&result));
    }
    let code = exit_for(result.skipped.len(), args.flags.run.strict);
    // The process ends here: its memory goes back to the system at once,
    // sooner than freeing a few hundred thousand ids, paths and pairs one
    // by one (18 ms at 100,000 documents, on one core).
    std::mem::forget(result);
    Ok(code)
}
