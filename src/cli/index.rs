//! `neardup index create|add|info|remove|optimize|compact|verify`: the persistent index.

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Result;
use clap::{Args, Subcommand, ValueEnum};

use neardup::corpus::{Event, Skip, SkipReason};
use neardup::index::{
    CompactReport, CreateOptions, Index, IndexPair, IndexWriter, MergePolicy, WriterOptions,
};
use neardup::Corpus;

use super::args::{ConfigArgs, HiddenConfigArgs, InputArgs, RunArgs};
use super::{exit_for, say};
use neardup::display::{count, path_for_terminal};
use std::time::Duration;

/// `neardup index` subcommands.
#[derive(Subcommand, Debug)]
pub enum IndexCommand {
    /// Create an empty index; engine flags given here are stored with it.
    Create(IndexCreateArgs),
    /// Add documents and print which ones duplicate indexed (or other new) ones, as JSON Lines pairs.
    Add(IndexAddArgs),
    /// Show documents, segments, configuration and size on disk.
    Info(IndexInfoArgs),
    /// Remove documents by id (they never match again); exits with 2 when an id is not found.
    Remove(IndexRemoveArgs),
    /// Merge all segments into one, dropping removed documents.
    Optimize(IndexOptimizeArgs),
    /// Merge segments into one (all, or a run of them), dropping removed documents; every query answers as before.
    Compact(IndexCompactArgs),
    /// Check every byte of the current commit: each file's checksum, each block checksum and every document's structure; exits with 1 naming the first damaged file.
    Verify(IndexVerifyArgs),
}

/// `neardup index verify` flags.
#[derive(Args, Debug)]
pub struct IndexVerifyArgs {
    /// Index directory.
    dir: PathBuf,
    /// Print nothing when the index is sound.
    #[arg(short, long)]
    quiet: bool,
}

/// `neardup index create` flags.
#[derive(Args, Debug)]
pub struct IndexCreateArgs {
    /// Index directory (created if needed).
    dir: PathBuf,
    /// Width of the boilerplate df sketch: 2^BITS counters per row.
    #[arg(long, value_name = "BITS", default_value_t = neardup::index::DEFAULT_SKETCH_BITS)]
    sketch_bits: u32,
    #[command(flatten)]
    config: ConfigArgs,
    /// No message on stderr.
    #[arg(long, short)]
    quiet: bool,
}

/// Taking the writer's lock.
#[derive(Args, Debug, Clone)]
pub struct LockArgs {
    /// When another writer holds the index, wait up to SECONDS for it to
    /// finish instead of failing at once.
    #[arg(long, value_name = "SECONDS", value_parser = parse_wait)]
    wait: Option<Duration>,
    /// No longer needed, and does nothing: a writer's lock is released when
    /// it ends, however it ends (kept so that scripts keep working).
    #[arg(long)]
    break_stale_lock: bool,
}

/// Longest `--wait` (a year: longer is surely a mistake).
const MAX_WAIT_SECONDS: f64 = 365.0 * 86400.0;

/// `--wait SECONDS`: a number of seconds, fractions allowed.
fn parse_wait(s: &str) -> std::result::Result<Duration, String> {
    match s.parse::<f64>() {
        Ok(v) if (0.0..=MAX_WAIT_SECONDS).contains(&v) => Ok(Duration::from_secs_f64(v)),
        _ => Err(format!(
            "expected a number of seconds from 0 to {MAX_WAIT_SECONDS}"
        )),
    }
}

/// `neardup index add` flags.
#[derive(Args, Debug)]
pub struct IndexAddArgs {
    /// Index directory.
    dir: PathBuf,
    /// Directories, files or .jsonl/.ndjson files.
    #[arg(required = true, value_name = "INPUT")]
    inputs: Vec<PathBuf>,
    /// Commit every N documents (bounds memory; a crash keeps every commit made).
    #[arg(long, value_name = "N")]
    commit_every: Option<usize>,
    /// Print how long reading and each step of each commit took (stderr, even with -q).
    #[arg(long)]
    timings: bool,
    /// After each commit, merge segments as a live index does (runs of 8
    /// adjacent segments of one size tier), so that a long ingest with
    /// --commit-every leaves few segments.
    #[arg(long)]
    merge: bool,
    /// Shingle sets of the documents to commit kept in memory, in MB, as `scan --memory-budget`:
    /// past it they go to an unnamed temporary file (in TMPDIR) and each commit reads them back
    /// a block at a time. Results do not depend on it.
    #[arg(long, value_name = "MB", default_value_t = 512)]
    memory_budget: usize,
    #[command(flatten)]
    lock: LockArgs,
    #[command(flatten)]
    input: InputArgs,
    #[command(flatten)]
    run: RunArgs,
    #[command(flatten)]
    config: HiddenConfigArgs,
}

/// `neardup index info` flags.
#[derive(Args, Debug)]
pub struct IndexInfoArgs {
    /// Index directory.
    dir: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = InfoFormat::Text)]
    format: InfoFormat,
}

/// `--format` of `index info`.
#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
enum InfoFormat {
    Text,
    Json,
}

/// `neardup index remove` flags.
#[derive(Args, Debug)]
pub struct IndexRemoveArgs {
    /// Index directory.
    dir: PathBuf,
    /// Ids of the documents to remove.
    #[arg(required = true, value_name = "ID")]
    ids: Vec<String>,
    #[command(flatten)]
    lock: LockArgs,
}

/// `neardup index compact` flags.
#[derive(Args, Debug)]
pub struct IndexCompactArgs {
    /// Index directory.
    dir: PathBuf,
    /// Merge only the segments at positions START..END (0-based, END
    /// excluded, in the order `index info` lists them) instead of all.
    #[arg(long, value_name = "START..END", value_parser = parse_range, conflicts_with = "tiered")]
    range: Option<std::ops::Range<usize>>,
    /// Merge as a live index does by itself: runs of N adjacent segments
    /// of one size tier, repeatedly, instead of everything into one.
    #[arg(long, value_name = "N")]
    tiered: Option<usize>,
    /// Print how long each step of each merge took (stderr, even with -q).
    #[arg(long)]
    timings: bool,
    /// No message on stderr.
    #[arg(long, short)]
    quiet: bool,
    #[command(flatten)]
    lock: LockArgs,
}

/// `START..END`: two segment positions.
fn parse_range(s: &str) -> std::result::Result<std::ops::Range<usize>, String> {
    let bad = || format!("expected START..END (two segment positions, END excluded), not {s:?}");
    let (a, b) = s.split_once("..").ok_or_else(bad)?;
    let a: usize = a.trim().parse().map_err(|_| bad())?;
    let b: usize = b.trim().parse().map_err(|_| bad())?;
    if a > b {
        return Err(bad());
    }
    Ok(a..b)
}

/// `neardup index optimize` flags.
#[derive(Args, Debug)]
pub struct IndexOptimizeArgs {
    /// Index directory.
    dir: PathBuf,
    #[command(flatten)]
    lock: LockArgs,
}

/// `neardup index ...`.
pub fn run(cmd: IndexCommand) -> Result<ExitCode> {
    match cmd {
        IndexCommand::Create(args) => create(args),
        IndexCommand::Add(args) => add(args),
        IndexCommand::Info(args) => info(args),
        IndexCommand::Remove(args) => remove(args),
        IndexCommand::Optimize(args) => optimize(args),
        IndexCommand::Compact(args) => compact(args),
        IndexCommand::Verify(args) => verify(args),
    }
}

fn verify(args: IndexVerifyArgs) -> Result<ExitCode> {
    let started = std::time::Instant::now();
    let options = neardup::index::OpenOptions {
        verify_checksums: false,
    };
    let index = Index::open_with(&args.dir, &options)?;
    index.verify()?;
    if !args.quiet {
        let info = index.info();
        say(format_args!(
            "{}: sound (generation {}, {} in {}, {} bytes verified); {:.2}s",
            path_for_terminal(&info.path),
            info.generation,
            count(info.documents, "live document", "live documents"),
            count(info.segments.len() as u64 + 2, "file", "files"),
            info.bytes,
            started.elapsed().as_secs_f64()
        ));
    }
    Ok(ExitCode::SUCCESS)
}

fn create(args: IndexCreateArgs) -> Result<ExitCode> {
    let config = args.config.config()?;
    let options = CreateOptions {
        sketch_bits: args.sketch_bits,
    };
    let index = Index::create_with(&args.dir, &config, &options)?;
    if !args.quiet {
        let c = index.config();
        let b = c.banding();
        say(format_args!(
            "created index {} (shingle {}, {} permutations = {} bands x {} rows, threshold {}, containment {})",
            path_for_terminal(&args.dir),
            c.shingle(),
            c.perms(),
            b.bands,
            b.rows,
            c.threshold(),
            c.containment()
        ));
    }
    Ok(ExitCode::SUCCESS)
}

fn open_writer(dir: &Path, lock: &LockArgs) -> Result<IndexWriter> {
    if lock.break_stale_lock {
        say(
            "note: --break-stale-lock is no longer needed and does nothing: the lock of a \
             writer that died is released with it",
        );
    }
    let options = WriterOptions {
        wait: lock.wait.unwrap_or_default(),
        ..Default::default()
    };
    let writer = IndexWriter::open_with(dir, &options);
    match (writer, lock.wait) {
        (Err(e @ neardup::Error::IndexLocked { .. }), Some(wait)) if !wait.is_zero() => {
            Err(anyhow::Error::new(e)
                .context(format!("waited {} s for the lock", wait.as_secs_f64())))
        }
        (writer, _) => Ok(writer?),
    }
}

fn write_pairs(w: &mut dyn Write, pairs: &[IndexPair]) -> io::Result<()> {
    use neardup::output::json::PairJson;
    for p in pairs {
        let obj = PairJson::new(&p.a, &p.b, p.jaccard, p.containment);
        serde_json::to_writer(&mut *w, &obj)?;
        w.write_all(b"\n")?;
    }
    w.flush()
}

/// Skips grouped by reason, as `"3 unreadable, 1 empty"`.
fn skip_detail(skipped: &[Skip]) -> String {
    let mut counts: std::collections::BTreeMap<SkipReason, usize> = Default::default();
    for s in skipped {
        *counts.entry(s.reason).or_default() += 1;
    }
    let parts: Vec<String> = counts
        .iter()
        .map(|(r, n)| format!("{n} {}", r.as_str()))
        .collect();
    if parts.is_empty() {
        String::new()
    } else {
        format!(" ({})", parts.join(", "))
    }
}

fn add(args: IndexAddArgs) -> Result<ExitCode> {
    let started = std::time::Instant::now();
    args.run.init_threads()?;
    let mut writer = open_writer(&args.dir, &args.lock)?;
    writer.set_memory_budget(args.memory_budget.saturating_mul(1 << 20));
    args.config.0.check_index(writer.index())?;
    let options = args.input.options();
    let corpus = Corpus::open(&args.inputs, options.clone())?;
    let prep = writer.preparer(&options);
    let quiet = args.run.quiet;
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let (mut added, mut pairs) = (0usize, 0usize);
    let mut skipped: Vec<Skip> = Vec::new();
    let mut failure: Option<anyhow::Error> = None;
    let every = args.commit_every.unwrap_or(usize::MAX).max(1);
    let timings = args.timings;
    let merge = args.merge;
    let mut read_since = std::time::Instant::now();
    let mut commit = |writer: &mut IndexWriter, out: &mut dyn Write| -> Result<()> {
        let read = read_since.elapsed();
        let report = writer.commit()?;
        for w in &report.warnings {
            say(format_args!("warning: {w}"));
        }
        if timings {
            let parts: Vec<String> = std::iter::once(&("read", read))
                .chain(&report.timings)
                .map(|(name, d)| format!("{name} {:.3}s", d.as_secs_f64()))
                .collect();
            say(format_args!("timings: {}", parts.join(", ")));
        }
        if merge {
            writer.merge_by(&MergePolicy::default())?;
        }
        read_since = std::time::Instant::now();
        added += report.added;
        pairs += report.pairs.len();
        write_pairs(out, &report.pairs)?;
        Ok(())
    };
    corpus.process(
        |d| prep.prepare(d),
        |e| {
            if failure.is_some() {
                return;
            }
            match e {
                Event::Doc(p) => {
                    if let Some(s) = writer.add_prepared(p) {
                        if !quiet {
                            say(&s);
                        }
                        skipped.push(s);
                    } else if writer.pending_docs() >= every {
                        if let Err(err) = commit(&mut writer, &mut out) {
                            failure = Some(err);
                        }
                    }
                }
                Event::Skip(s) => {
                    if !quiet {
                        say(&s);
                    }
                    skipped.push(s);
                }
                Event::Warning(w) => {
                    if !quiet {
                        say(format_args!("warning: {w}"));
                    }
                }
            }
        },
        |_| {},
    );
    if let Some(err) = failure {
        return Err(err);
    }
    commit(&mut writer, &mut out)?;
    drop(out);
    if !quiet {
        let info = writer.index().info();
        say(format_args!(
            "added {}, {} skipped{}; {}; index has {} in {}; {:.2}s",
            count(added as u64, "document", "documents"),
            skipped.len(),
            skip_detail(&skipped),
            count(pairs as u64, "duplicate pair", "duplicate pairs"),
            count(info.documents, "document", "documents"),
            count(info.segments.len() as u64, "segment", "segments"),
            started.elapsed().as_secs_f64()
        ));
    }
    Ok(exit_for(skipped.len(), args.run.strict))
}

fn info(args: IndexInfoArgs) -> Result<ExitCode> {
    let index = Index::open(&args.dir)?;
    let info = index.info();
    let stdout = io::stdout();
    let mut w = io::BufWriter::new(stdout.lock());
    match args.format {
        InfoFormat::Json => {
            serde_json::to_writer_pretty(&mut w, &info)?;
            writeln!(w)?;
        }
        InfoFormat::Text => {
            let c = &info.config;
            writeln!(w, "index       {}", path_for_terminal(&info.path))?;
            writeln!(
                w,
                "format      version {}, generation {}, written by {}",
                info.format_version, info.generation, info.written_by
            )?;
            writeln!(
                w,
                "documents   {} ({} removed, still stored until optimize)",
                info.documents, info.deleted
            )?;
            writeln!(
                w,
                "size        {} bytes on disk ({:.0} bytes per stored document)",
                info.bytes,
                info.bytes as f64 / (info.documents + info.deleted).max(1) as f64
            )?;
            writeln!(
                w,
                "boilerplate {} shingles cut; {} copy groups counted; df sketch 4 x 2^{}",
                info.boilerplate_shingles, info.groups, info.sketch_bits
            )?;
            writeln!(
                w,
                "config      shingle {}, perms {} ({} bands x {} rows, LSH threshold {:.3}), seed {}",
                c.shingle, c.perms, c.bands, c.rows, c.lsh_threshold, c.seed
            )?;
            writeln!(
                w,
                "            threshold {}, containment {} (min {} shingles, min jaccard {}), boilerplate > max({}, {} x groups)",
                c.threshold,
                c.containment,
                c.min_containment_shingles,
                c.containment_min_jaccard,
                c.boilerplate_min_docs,
                c.boilerplate_share
            )?;
            let stored = info.documents + info.deleted;
            match info.figures_known {
                Some(k) => writeln!(
                    w,
                    "figures     known for {k} of {stored} stored documents (the others are never refused by the figures rule)"
                )?,
                None => writeln!(
                    w,
                    "figures     unreadable (a damaged segment: run `neardup index verify`)"
                )?,
            }
            writeln!(w, "segments    {}", info.segments.len())?;
            for s in &info.segments {
                writeln!(
                    w,
                    "  {}  {}, {} removed, {} bytes",
                    s.name,
                    count(s.docs, "document", "documents"),
                    s.deleted,
                    s.bytes
                )?;
            }
        }
    }
    w.flush()?;
    Ok(ExitCode::SUCCESS)
}

fn remove(args: IndexRemoveArgs) -> Result<ExitCode> {
    let mut writer = open_writer(&args.dir, &args.lock)?;
    let mut missing = Vec::new();
    for id in &args.ids {
        if !writer.remove(id) {
            missing.push(id.as_str());
        }
    }
    let report = writer.commit()?;
    say(format_args!(
        "removed {}; index has {}",
        count(report.removed as u64, "document", "documents"),
        count(writer.index().len() as u64, "document", "documents")
    ));
    for id in &missing {
        say(format_args!(
            "warning: no document with id {id:?} in the index"
        ));
    }
    Ok(if missing.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    })
}

fn optimize(args: IndexOptimizeArgs) -> Result<ExitCode> {
    let mut writer = open_writer(&args.dir, &args.lock)?;
    let r = writer.optimize()?;
    say(format_args!(
        "merged {} into {}: {} kept, {} dropped; {} -> {} bytes",
        count(r.segments_before as u64, "segment", "segments"),
        writer.index().segments().len(),
        count(r.documents as u64, "document", "documents"),
        count(r.dropped, "removed document", "removed documents"),
        r.bytes_before,
        r.bytes_after
    ));
    Ok(ExitCode::SUCCESS)
}

fn compact(args: IndexCompactArgs) -> Result<ExitCode> {
    let started = std::time::Instant::now();
    let mut writer = open_writer(&args.dir, &args.lock)?;
    let before = writer.index().segments().len();
    let reports: Vec<CompactReport> = match (&args.range, args.tiered) {
        (Some(range), _) => vec![writer.compact_range(range.clone())?],
        (None, Some(n)) => writer.merge_by(&MergePolicy {
            segments_per_tier: n.max(2),
            ..MergePolicy::default()
        })?,
        (None, None) => vec![writer.compact()?],
    };
    if args.timings {
        for r in reports.iter().filter(|r| r.merged > 0) {
            let parts: Vec<String> = r
                .timings
                .iter()
                .map(|(name, d)| format!("{name} {:.3}s", d.as_secs_f64()))
                .collect();
            say(format_args!("timings: {}", parts.join(", ")));
        }
    }
    if !args.quiet {
        let merged: usize = reports.iter().map(|r| r.merged).sum();
        let kept: u64 = reports.iter().map(|r| r.documents).sum();
        let dropped: u64 = reports.iter().map(|r| r.dropped).sum();
        let written: u64 = reports.iter().map(|r| r.bytes_after).sum();
        let read: u64 = reports
            .iter()
            .filter(|r| r.merged > 0)
            .map(|r| r.bytes_before)
            .sum();
        say(format_args!(
            "merged {} in {}: {} kept, {} dropped; {read} -> {written} bytes; {} -> {}; {:.2}s",
            count(merged as u64, "segment", "segments"),
            count(
                reports.iter().filter(|r| r.merged > 0).count() as u64,
                "merge",
                "merges"
            ),
            count(kept, "document", "documents"),
            count(dropped, "removed document", "removed documents"),
            count(before as u64, "segment", "segments"),
            count(
                writer.index().segments().len() as u64,
                "segment",
                "segments"
            ),
            started.elapsed().as_secs_f64()
        ));
    }
    Ok(ExitCode::SUCCESS)
}
