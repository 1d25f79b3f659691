//! The `neardup` command line: a thin layer over the library.

use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};

use neardup::corpus::SkipReason;
use neardup::explain::AlignConfig;
use neardup::minhash::Scheme;
use neardup::report::ReportDoc;
use neardup::{Config, Corpus, CorpusOptions, Engine, ScanResult};

/// Find, cluster and explain near-duplicate (syndicated) articles.
#[derive(Parser, Debug)]
#[command(name = "neardup", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Scan inputs (directories, files, .jsonl) and print duplicate clusters.
    Scan(ScanArgs),
    /// Explain a pair: shared passages (with byte offsets) and what each copy adds.
    Explain(ExplainArgs),
    /// Scan inputs and score the clusters against a doc<TAB>cluster truth file.
    Eval(EvalArgs),
    /// Build a labeled synthetic syndication corpus from source wire stories.
    #[command(hide = true)]
    Generate(GenerateArgs),
    /// Keep a persistent index: create, add, info, remove, optimize.
    #[command(subcommand)]
    Index(IndexCommand),
    /// Look documents up in an index without adding them.
    Query(QueryArgs),
}

#[derive(Args, Debug, Clone)]
struct EngineArgs {
    /// Jaccard at or above which a pair is a duplicate.
    #[arg(long, value_name = "J")]
    threshold: Option<f64>,
    /// Containment (|A∩B| / min(|A|,|B|)) at or above which a pair is a duplicate.
    #[arg(long, value_name = "C")]
    containment: Option<f64>,
    /// Words per shingle.
    #[arg(long, value_name = "K")]
    shingle: Option<usize>,
    /// MinHash permutations.
    #[arg(long, value_name = "N")]
    perms: Option<usize>,
    /// LSH bands (must divide --perms); default: derived from the LSH threshold.
    #[arg(long, value_name = "B")]
    bands: Option<usize>,
    /// Jaccard the LSH banding is tuned for.
    #[arg(long, value_name = "J")]
    lsh_threshold: Option<f64>,
    /// Smallest document (in shingles) for the containment rule.
    #[arg(long, value_name = "N")]
    min_containment_shingles: Option<usize>,
    /// Smallest Jaccard for the containment rule to apply.
    #[arg(long, value_name = "J")]
    containment_min_jaccard: Option<f64>,
    /// Boilerplate cut: a shingle in more than this many documents is ignored (0: off).
    #[arg(long, value_name = "N")]
    boilerplate_docs: Option<usize>,
    /// Boilerplate cut as a share of the corpus (the larger of the two applies).
    #[arg(long, value_name = "S")]
    boilerplate_share: Option<f64>,
    /// Mean containment of cross pairs needed for two clusters to merge (0: connected components).
    #[arg(long, value_name = "L")]
    linkage: Option<f64>,
    /// MinHash seed.
    #[arg(long)]
    seed: Option<u64>,
    /// How signatures are computed: one-permutation hashing with
    /// densification (default; one hash per shingle) or classic MinHash (one
    /// hash per shingle and permutation).
    #[arg(long, value_enum)]
    scheme: Option<SchemeArg>,
    /// Compare every pair exactly instead of using LSH (quadratic; for small corpora).
    #[arg(long)]
    exact: bool,
    /// Worker threads (default: all cores).
    #[arg(long, value_name = "N")]
    threads: Option<usize>,
    /// JSON Lines field holding the id.
    #[arg(long, default_value = "id")]
    id_field: String,
    /// JSON Lines field holding the text.
    #[arg(long, default_value = "text")]
    text_field: String,
    /// Skip documents larger than this many bytes.
    #[arg(long, value_name = "BYTES", default_value_t = 64 << 20)]
    max_doc_bytes: u64,
    /// Exit with code 2 when any input was skipped.
    #[arg(long)]
    strict: bool,
    /// No progress bar and no summary on stderr.
    #[arg(long, short)]
    quiet: bool,
    /// Print the wall time of each stage on stderr (even with --quiet).
    #[arg(long)]
    timings: bool,
    /// Shingle sets kept in memory, in MB; past it they go to an unnamed
    /// temporary file (in TMPDIR) and are read back batch by batch. Results
    /// do not depend on it.
    #[arg(long, value_name = "MB", default_value_t = 512)]
    memory_budget: usize,
}

/// `--scheme` values (see [`Scheme`]).
#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
enum SchemeArg {
    Classic,
    OnePermutation,
}

impl SchemeArg {
    fn scheme(self) -> Scheme {
        match self {
            SchemeArg::Classic => Scheme::Classic,
            SchemeArg::OnePermutation => Scheme::OnePermutation,
        }
    }
}

#[derive(Args, Debug)]
struct ScanArgs {
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
    #[command(flatten)]
    engine: EngineArgs,
}

#[derive(Args, Debug)]
struct ExplainArgs {
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
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
enum ExplainFormat {
    Text,
    Json,
    Html,
}

#[derive(Args, Debug)]
struct EvalArgs {
    /// Truth file: doc<TAB>cluster with a header line.
    #[arg(long, value_name = "FILE")]
    truth: PathBuf,
    /// Directories, files or .jsonl/.ndjson files.
    #[arg(required = true, value_name = "INPUT")]
    inputs: Vec<PathBuf>,
    /// How many worst false merges and misses to list.
    #[arg(long, default_value_t = 5)]
    worst: usize,
    /// Also write the scan's JSON Lines output to FILE.
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
    #[command(flatten)]
    engine: EngineArgs,
}

#[derive(Args, Debug)]
struct GenerateArgs {
    /// Folder of source stories (one per file), e.g. reuters21578/docs.
    #[arg(long)]
    sources: PathBuf,
    /// Output folder: docs/ and truth.tsv are written there.
    #[arg(long)]
    out: PathBuf,
    /// Number of stories.
    #[arg(long, default_value_t = 1000)]
    stories: usize,
    /// Seed.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Target words per base story (concatenating sources).
    #[arg(long)]
    words: Option<usize>,
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Text,
    Jsonl,
    Csv,
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            use clap::error::ErrorKind;
            let code = match e.kind() {
                ErrorKind::DisplayHelp
                | ErrorKind::DisplayVersion
                | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => 0,
                _ => 1,
            };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    match run(cli) {
        Ok(code) => code,
        Err(err) => {
            if is_broken_pipe(&err) {
                return ExitCode::SUCCESS;
            }
            eprintln!("neardup: error: {err:#}");
            ExitCode::from(1)
        }
    }
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|e| {
        e.downcast_ref::<io::Error>()
            .is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe)
    })
}

fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::Scan(args) => scan_cmd(args),
        Command::Explain(args) => explain_cmd(args),
        Command::Eval(args) => eval_cmd(args),
        Command::Generate(args) => generate_cmd(args),
        Command::Index(cmd) => index_cmd(cmd),
        Command::Query(args) => query_cmd(args),
    }
}

fn build_config(a: &EngineArgs) -> Result<Config> {
    let mut b = Config::builder();
    if let Some(v) = a.threshold {
        b = b.threshold(v);
    }
    if let Some(v) = a.containment {
        b = b.containment(v);
    }
    if let Some(v) = a.shingle {
        b = b.shingle(v);
    }
    if let Some(v) = a.perms {
        b = b.perms(v);
    }
    if let Some(v) = a.bands {
        b = b.bands(v);
    }
    if let Some(v) = a.lsh_threshold {
        b = b.lsh_threshold(v);
    }
    if let Some(v) = a.min_containment_shingles {
        b = b.min_containment_shingles(v);
    }
    if let Some(v) = a.containment_min_jaccard {
        b = b.containment_min_jaccard(v);
    }
    if let Some(v) = a.boilerplate_docs {
        b = b.boilerplate_min_docs(v);
    }
    if let Some(v) = a.boilerplate_share {
        b = b.boilerplate_share(v);
    }
    if let Some(v) = a.linkage {
        b = b.linkage(v);
    }
    if let Some(v) = a.seed {
        b = b.seed(v);
    }
    if let Some(v) = a.scheme {
        b = b.scheme(v.scheme());
    }
    b = b.exact(a.exact);
    Ok(b.build()?)
}

/// Runs a scan with progress and summary on stderr.
fn run_scan(inputs: &[PathBuf], a: &EngineArgs) -> Result<(ScanResult, Config, CorpusOptions)> {
    let config = build_config(a)?;
    if let Some(n) = a.threads {
        rayon::ThreadPoolBuilder::new()
            .num_threads(n.max(1))
            .build_global()
            .context("cannot start the thread pool")?;
    }
    let options = CorpusOptions {
        id_field: a.id_field.clone(),
        text_field: a.text_field.clone(),
        max_doc_bytes: a.max_doc_bytes,
    };
    let walk_started = std::time::Instant::now();
    let corpus = Corpus::open(inputs, options.clone())?;
    let walked = walk_started.elapsed();
    let engine = Engine::new(config.clone());
    let show = !a.quiet && io::stderr().is_terminal();
    let bar = if show {
        let bar = ProgressBar::new(corpus.total_bytes());
        bar.set_style(
            ProgressStyle::with_template(
                "{spinner} reading [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
            )
            .expect("valid template")
            .progress_chars("=> "),
        );
        bar
    } else {
        ProgressBar::hidden()
    };
    let mut scan = engine.scan();
    scan.set_memory_budget(a.memory_budget.saturating_mul(1 << 20));
    scan.add_corpus(&corpus, |b| bar.inc(b));
    // The listing is not needed again, and the process is short-lived:
    // it is left for the system to reclaim at exit rather than freed
    // entry by entry on the main thread.
    std::mem::forget(corpus);
    bar.finish_and_clear();
    let spinner = if show {
        let s = ProgressBar::new_spinner();
        s.set_message("matching");
        s.enable_steady_tick(std::time::Duration::from_millis(120));
        s
    } else {
        ProgressBar::hidden()
    };
    let result = scan.finish();
    spinner.finish_and_clear();
    if a.timings {
        let parts: Vec<String> = std::iter::once(&("walk", walked))
            .chain(&result.stats.stages)
            .map(|(name, d)| format!("{name} {:.3}s", d.as_secs_f64()))
            .collect();
        eprintln!("neardup: timings: {}", parts.join(", "));
    }
    if !a.quiet {
        for w in &result.warnings {
            eprintln!("neardup: warning: {w}");
        }
        for s in &result.skipped {
            eprintln!("neardup: {s}");
        }
    }
    Ok((result, config, options))
}

fn summary(result: &ScanResult) -> String {
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
    format!(
        "neardup: {} documents read ({:.1} MB), {} skipped{}; {} candidate pairs, {} verified pairs, {} clusters ({} documents); {:.2}s",
        s.documents,
        s.bytes as f64 / 1e6,
        s.skipped,
        skipped,
        s.candidate_pairs,
        s.verified_pairs,
        s.clusters,
        s.clustered_documents,
        s.elapsed.as_secs_f64()
    )
}

/// Writes to stdout, or atomically to a file.
fn with_output(
    path: Option<&Path>,
    f: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> Result<()> {
    match path {
        None => {
            let stdout = io::stdout();
            let mut w = io::BufWriter::new(stdout.lock());
            f(&mut w)?;
            w.flush()?;
        }
        Some(path) => neardup::output::write_atomically(path, f)
            .with_context(|| format!("cannot write {}", path.display()))?,
    }
    Ok(())
}

fn exit_for(result: &ScanResult, strict: bool) -> ExitCode {
    if strict && !result.skipped.is_empty() {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    }
}

fn scan_cmd(args: ScanArgs) -> Result<ExitCode> {
    let (result, config, options) = run_scan(&args.inputs, &args.engine)?;
    // Explanations use the scan's shingle size, so their scores and the
    // boilerplate marks speak of the same shingles.
    let align = AlignConfig {
        shingle: config.shingle(),
        ..AlignConfig::default()
    };
    let load = |d: usize| neardup::corpus::load_source(&result.docs[d].source, &options).ok();
    let passages = |p: &neardup::Pair| {
        let (a, b) = (load(p.a)?, load(p.b)?);
        let e = neardup::explain::explain(&a, &b, &align);
        let list: Vec<serde_json::Value> = e
            .passages
            .iter()
            .map(|q| {
                let mut v = serde_json::to_value(q).expect("plain data");
                let share = neardup::explain::boilerplate_share(
                    &a,
                    q.a_start,
                    q.a_end,
                    align.shingle,
                    &result.boilerplate,
                );
                v["boilerplate"] = neardup::output::round4(share).into();
                v
            })
            .collect();
        let mut m = serde_json::Map::new();
        m.insert("passages".into(), list.into());
        Some(m)
    };
    with_output(args.output.as_deref(), |w| match args.format {
        Format::Jsonl => {
            let extra: Option<&neardup::output::PairExtra<'_>> =
                if args.explain { Some(&passages) } else { None };
            neardup::output::write_jsonl(&result, w, args.all, extra)
        }
        Format::Csv => neardup::output::write_csv(&result, w),
        Format::Text => neardup::output::write_text(&result, w, args.all),
    })?;
    if let Some(report) = &args.report {
        neardup::output::write_atomically(report, |w| {
            neardup::report::write_html_report(w, &result, &load, &align)
        })
        .with_context(|| format!("cannot write {}", report.display()))?;
    }
    if !args.engine.quiet {
        eprintln!("{}", summary(&result));
    }
    let code = exit_for(&result, args.engine.strict);
    // The process ends here: its memory goes back to the system at once,
    // sooner than freeing a few hundred thousand ids, paths and pairs one
    // by one (18 ms at 100,000 documents, on one core).
    std::mem::forget(result);
    Ok(code)
}

fn explain_cmd(args: ExplainArgs) -> Result<ExitCode> {
    let read = |p: &Path| -> Result<String> {
        let bytes = std::fs::read(p).with_context(|| format!("cannot read {}", p.display()))?;
        let (text, replaced) = neardup::corpus::decode(&bytes);
        if replaced {
            eprintln!(
                "neardup: warning: {}: invalid UTF-8 replaced by '?'",
                p.display()
            );
        }
        Ok(text.into_owned())
    };
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
    let name = |p: &Path| {
        p.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| p.display().to_string())
    };
    let (ida, idb) = (name(&args.a), name(&args.b));
    let a = ReportDoc {
        id: &ida,
        text: &ta,
    };
    let b = ReportDoc {
        id: &idb,
        text: &tb,
    };
    let color = args.output.is_none() && io::stdout().is_terminal();
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

fn eval_cmd(args: EvalArgs) -> Result<ExitCode> {
    let truth = neardup::eval::read_truth(&args.truth)?;
    let (result, _, _) = run_scan(&args.inputs, &args.engine)?;
    if let Some(out) = &args.output {
        with_output(Some(out), |w| {
            neardup::output::write_jsonl(&result, w, false, None)
        })?;
    }
    let report = neardup::eval::evaluate(&truth, &result, args.worst);
    print!("{report}");
    if !args.engine.quiet {
        eprintln!("{}", summary(&result));
    }
    Ok(exit_for(&result, args.engine.strict))
}

fn generate_cmd(args: GenerateArgs) -> Result<ExitCode> {
    let cfg = neardup::synth::SynthConfig {
        stories: args.stories,
        seed: args.seed,
        target_words: args.words,
        ..Default::default()
    };
    let s = neardup::synth::generate_to_dir(&args.sources, &args.out, &cfg)?;
    eprintln!(
        "neardup: wrote {} documents in {} clusters ({:.1} MB) to {}",
        s.documents,
        s.clusters,
        s.bytes as f64 / 1e6,
        args.out.display()
    );
    Ok(ExitCode::SUCCESS)
}
// ---------------------------------------------------------------------------
// Persistent index: `neardup index ...` and `neardup query`.

#[derive(Subcommand, Debug)]
enum IndexCommand {
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
}

#[derive(Args, Debug)]
struct IndexCreateArgs {
    /// Index directory (created if needed).
    dir: PathBuf,
    /// Width of the boilerplate df sketch: 2^BITS counters per row.
    #[arg(long, value_name = "BITS", default_value_t = neardup::index::DEFAULT_SKETCH_BITS)]
    sketch_bits: u32,
    #[command(flatten)]
    engine: EngineArgs,
}

#[derive(Args, Debug)]
struct IndexAddArgs {
    /// Index directory.
    dir: PathBuf,
    /// Directories, files or .jsonl/.ndjson files.
    #[arg(required = true, value_name = "INPUT")]
    inputs: Vec<PathBuf>,
    /// Commit every N documents (bounds memory; a crash keeps every commit made).
    #[arg(long, value_name = "N")]
    commit_every: Option<usize>,
    /// Take over a lock left by a writer that is no longer running.
    #[arg(long)]
    break_stale_lock: bool,
    #[command(flatten)]
    engine: EngineArgs,
}

#[derive(Args, Debug)]
struct IndexInfoArgs {
    /// Index directory.
    dir: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = InfoFormat::Text)]
    format: InfoFormat,
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
enum InfoFormat {
    Text,
    Json,
}

#[derive(Args, Debug)]
struct IndexRemoveArgs {
    /// Index directory.
    dir: PathBuf,
    /// Ids of the documents to remove.
    #[arg(required = true, value_name = "ID")]
    ids: Vec<String>,
    /// Take over a lock left by a writer that is no longer running.
    #[arg(long)]
    break_stale_lock: bool,
}

#[derive(Args, Debug)]
struct IndexOptimizeArgs {
    /// Index directory.
    dir: PathBuf,
    /// Take over a lock left by a writer that is no longer running.
    #[arg(long)]
    break_stale_lock: bool,
}

#[derive(Args, Debug)]
struct QueryArgs {
    /// Index directory.
    dir: PathBuf,
    /// Documents to look up: directories, files or .jsonl/.ndjson files.
    #[arg(required = true, value_name = "INPUT")]
    inputs: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = QueryFormat::Jsonl)]
    format: QueryFormat,
    /// Add each match's shared passages (a_* byte offsets in the query, b_* in the indexed document, reread from its source).
    #[arg(long)]
    explain: bool,
    /// At most N matches per document (best first).
    #[arg(long, value_name = "N")]
    limit: Option<usize>,
    #[command(flatten)]
    engine: EngineArgs,
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
enum QueryFormat {
    Jsonl,
    Text,
}

fn index_cmd(cmd: IndexCommand) -> Result<ExitCode> {
    match cmd {
        IndexCommand::Create(args) => index_create_cmd(args),
        IndexCommand::Add(args) => index_add_cmd(args),
        IndexCommand::Info(args) => index_info_cmd(args),
        IndexCommand::Remove(args) => index_remove_cmd(args),
        IndexCommand::Optimize(args) => index_optimize_cmd(args),
    }
}

fn init_threads(a: &EngineArgs) -> Result<()> {
    if let Some(n) = a.threads {
        rayon::ThreadPoolBuilder::new()
            .num_threads(n.max(1))
            .build_global()
            .context("cannot start the thread pool")?;
    }
    Ok(())
}

fn corpus_options(a: &EngineArgs) -> CorpusOptions {
    CorpusOptions {
        id_field: a.id_field.clone(),
        text_field: a.text_field.clone(),
        max_doc_bytes: a.max_doc_bytes,
    }
}

/// Refuses engine flags that differ from the index's stored configuration.
fn check_index_flags(index: &neardup::index::Index, a: &EngineArgs) -> Result<()> {
    let c = index.config();
    let f = |v: Option<f64>| v.map(|v| v.to_string());
    let u = |v: Option<usize>| v.map(|v| v.to_string());
    let scheme = a.scheme.map(|v| v.scheme().as_str().to_string());
    let checks: [(&str, Option<String>, String); 12] = [
        ("--scheme", scheme, c.scheme().as_str().to_string()),
        ("--threshold", f(a.threshold), c.threshold().to_string()),
        (
            "--containment",
            f(a.containment),
            c.containment().to_string(),
        ),
        ("--shingle", u(a.shingle), c.shingle().to_string()),
        ("--perms", u(a.perms), c.perms().to_string()),
        ("--bands", u(a.bands), c.banding().bands.to_string()),
        (
            "--lsh-threshold",
            f(a.lsh_threshold),
            c.lsh_threshold().to_string(),
        ),
        (
            "--min-containment-shingles",
            u(a.min_containment_shingles),
            c.min_containment_shingles().to_string(),
        ),
        (
            "--containment-min-jaccard",
            f(a.containment_min_jaccard),
            c.containment_min_jaccard().to_string(),
        ),
        (
            "--boilerplate-docs",
            u(a.boilerplate_docs),
            c.boilerplate_min_docs().to_string(),
        ),
        (
            "--boilerplate-share",
            f(a.boilerplate_share),
            c.boilerplate_share().to_string(),
        ),
        (
            "--seed",
            a.seed.map(|v| v.to_string()),
            c.seed().to_string(),
        ),
    ];
    for (setting, given, stored) in checks {
        if let Some(given) = given {
            let same = match (given.parse::<f64>(), stored.parse::<f64>()) {
                (Ok(x), Ok(y)) => x == y,
                _ => given == stored,
            };
            if !same {
                return Err(neardup::Error::IndexConfigMismatch {
                    path: index.path().to_path_buf(),
                    setting: setting.into(),
                    index: stored,
                    given,
                }
                .into());
            }
        }
    }
    if a.exact {
        anyhow::bail!(
            "--exact is not available with an index (candidates come from its LSH tables)"
        );
    }
    Ok(())
}

fn index_create_cmd(args: IndexCreateArgs) -> Result<ExitCode> {
    let config = build_config(&args.engine)?;
    let options = neardup::index::CreateOptions {
        sketch_bits: args.sketch_bits,
    };
    let index = neardup::index::Index::create_with(&args.dir, &config, &options)?;
    if !args.engine.quiet {
        let b = index.config().banding();
        eprintln!(
            "neardup: created index {} (shingle {}, {} permutations = {} bands x {} rows, threshold {}, containment {})",
            args.dir.display(),
            index.config().shingle(),
            index.config().perms(),
            b.bands,
            b.rows,
            index.config().threshold(),
            index.config().containment()
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn open_writer(dir: &Path, break_stale_lock: bool) -> Result<neardup::index::IndexWriter> {
    let options = neardup::index::WriterOptions {
        break_stale_lock,
        ..Default::default()
    };
    Ok(neardup::index::IndexWriter::open_with(dir, &options)?)
}

fn write_index_pairs(w: &mut dyn Write, pairs: &[neardup::index::IndexPair]) -> io::Result<()> {
    use neardup::output::round4;
    for p in pairs {
        let obj = serde_json::json!({
            "a": p.a,
            "b": p.b,
            "jaccard": round4(p.jaccard),
            "containment": round4(p.containment),
        });
        serde_json::to_writer(&mut *w, &obj)?;
        w.write_all(b"\n")?;
    }
    w.flush()
}

fn index_add_cmd(args: IndexAddArgs) -> Result<ExitCode> {
    let started = std::time::Instant::now();
    init_threads(&args.engine)?;
    let mut writer = open_writer(&args.dir, args.break_stale_lock)?;
    check_index_flags(writer.index(), &args.engine)?;
    let options = corpus_options(&args.engine);
    let corpus = Corpus::open(&args.inputs, options.clone())?;
    let prep = writer.preparer(&options);
    let quiet = args.engine.quiet;
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let (mut added, mut pairs, mut commits) = (0usize, 0usize, 0usize);
    let mut skipped: Vec<neardup::corpus::Skip> = Vec::new();
    let mut failure: Option<anyhow::Error> = None;
    let every = args.commit_every.unwrap_or(usize::MAX).max(1);
    let mut commit =
        |writer: &mut neardup::index::IndexWriter, out: &mut dyn Write| -> Result<()> {
            let report = writer.commit()?;
            added += report.added;
            pairs += report.pairs.len();
            commits += 1;
            write_index_pairs(out, &report.pairs)?;
            Ok(())
        };
    corpus.process(
        |d| prep.prepare(d),
        |e| {
            if failure.is_some() {
                return;
            }
            match e {
                neardup::corpus::Event::Doc(p) => {
                    if let Some(s) = writer.add_prepared(p) {
                        if !quiet {
                            eprintln!("neardup: {s}");
                        }
                        skipped.push(s);
                    } else if writer.pending_docs() >= every {
                        if let Err(err) = commit(&mut writer, &mut out) {
                            failure = Some(err);
                        }
                    }
                }
                neardup::corpus::Event::Skip(s) => {
                    if !quiet {
                        eprintln!("neardup: {s}");
                    }
                    skipped.push(s);
                }
                neardup::corpus::Event::Warning(w) => {
                    if !quiet {
                        eprintln!("neardup: warning: {w}");
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
        let mut counts: std::collections::BTreeMap<SkipReason, usize> = Default::default();
        for s in &skipped {
            *counts.entry(s.reason).or_default() += 1;
        }
        let detail: Vec<String> = counts
            .iter()
            .map(|(r, n)| format!("{n} {}", r.as_str()))
            .collect();
        let info = writer.index().info();
        eprintln!(
            "neardup: added {added} documents, {} skipped{}; {pairs} duplicate pairs; index has {} documents in {} segments; {:.2}s",
            skipped.len(),
            if detail.is_empty() { String::new() } else { format!(" ({})", detail.join(", ")) },
            info.documents,
            info.segments.len(),
            started.elapsed().as_secs_f64()
        );
    }
    let _ = commits;
    Ok(if args.engine.strict && !skipped.is_empty() {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}

fn index_info_cmd(args: IndexInfoArgs) -> Result<ExitCode> {
    let index = neardup::index::Index::open(&args.dir)?;
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
            writeln!(w, "index       {}", info.path.display())?;
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
            writeln!(w, "segments    {}", info.segments.len())?;
            for s in &info.segments {
                writeln!(
                    w,
                    "  {}  {} documents, {} removed, {} bytes",
                    s.name, s.docs, s.deleted, s.bytes
                )?;
            }
        }
    }
    w.flush()?;
    Ok(ExitCode::SUCCESS)
}

fn index_remove_cmd(args: IndexRemoveArgs) -> Result<ExitCode> {
    let mut writer = open_writer(&args.dir, args.break_stale_lock)?;
    let mut missing = Vec::new();
    for id in &args.ids {
        if !writer.remove(id) {
            missing.push(id.as_str());
        }
    }
    let report = writer.commit()?;
    eprintln!(
        "neardup: removed {} documents; index has {} documents",
        report.removed,
        writer.index().len()
    );
    for id in &missing {
        eprintln!("neardup: warning: no document with id {id:?} in the index");
    }
    Ok(if missing.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    })
}

fn index_optimize_cmd(args: IndexOptimizeArgs) -> Result<ExitCode> {
    let mut writer = open_writer(&args.dir, args.break_stale_lock)?;
    let r = writer.optimize()?;
    eprintln!(
        "neardup: merged {} segments into {}: {} documents kept, {} removed documents dropped; {} -> {} bytes",
        r.segments_before,
        writer.index().segments().len(),
        r.documents,
        r.dropped,
        r.bytes_before,
        r.bytes_after
    );
    Ok(ExitCode::SUCCESS)
}

fn query_cmd(args: QueryArgs) -> Result<ExitCode> {
    use neardup::output::round4;
    let started = std::time::Instant::now();
    init_threads(&args.engine)?;
    let index = neardup::index::Index::open(&args.dir)?;
    check_index_flags(&index, &args.engine)?;
    let options = corpus_options(&args.engine);
    let corpus = Corpus::open(&args.inputs, options)?;
    let align = AlignConfig::default();
    let limit = args.limit.unwrap_or(usize::MAX);
    let (format, explain) = (args.format, args.explain);
    let quiet = args.engine.quiet;
    // Each document is looked up (and explained) in parallel; the results
    // are printed in input order.
    let lookup = |doc: neardup::corpus::Document<'_>| -> Result<(String, usize), String> {
        let mut matches = index.query(&doc.text).map_err(|e| e.to_string())?;
        matches.truncate(limit);
        let n = matches.len();
        let passages = |m: &neardup::index::Match| match index.load_text(m.address) {
            Ok(text) => Ok(neardup::explain::explain(&doc.text, &text, &align).passages),
            Err(e) => Err(format!("cannot explain: {e}")),
        };
        let mut s = String::new();
        match format {
            QueryFormat::Jsonl => {
                let ms: Vec<serde_json::Value> = matches
                    .iter()
                    .map(|m| {
                        let mut o = serde_json::json!({
                            "id": m.id,
                            "jaccard": round4(m.jaccard),
                            "containment": round4(m.containment),
                        });
                        if explain {
                            match passages(m) {
                                Ok(p) => o["passages"] = serde_json::json!(p),
                                Err(e) => {
                                    o["passages"] = serde_json::Value::Null;
                                    o["explain_error"] = e.into();
                                }
                            }
                        }
                        o
                    })
                    .collect();
                s = serde_json::json!({"query": doc.id, "matches": ms}).to_string();
                s.push('\n');
            }
            QueryFormat::Text => {
                use std::fmt::Write as _;
                if matches.is_empty() {
                    let _ = writeln!(s, "{}: no match", doc.id);
                } else {
                    let _ = writeln!(
                        s,
                        "{}: {} match{}",
                        doc.id,
                        n,
                        if n == 1 { "" } else { "es" }
                    );
                }
                for m in &matches {
                    let _ = writeln!(
                        s,
                        "  {}  containment {:.2}  jaccard {:.2}",
                        m.id, m.containment, m.jaccard
                    );
                    if explain {
                        match passages(m) {
                            Ok(ps) => {
                                for p in ps {
                                    let _ = writeln!(
                                        s,
                                        "    query {}..{} ~ indexed {}..{} ({} words)",
                                        p.a_start, p.a_end, p.b_start, p.b_end, p.words
                                    );
                                }
                            }
                            Err(e) => {
                                let _ = writeln!(s, "    {e}");
                            }
                        }
                    }
                }
            }
        }
        Ok((s, n))
    };
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let (mut queries, mut with_matches, mut skipped) = (0usize, 0usize, 0usize);
    let mut failure: Option<anyhow::Error> = None;
    corpus.process(
        lookup,
        |e| {
            if failure.is_some() {
                return;
            }
            match e {
                neardup::corpus::Event::Doc(Ok((s, n))) => {
                    queries += 1;
                    with_matches += usize::from(n > 0);
                    if let Err(err) = out.write_all(s.as_bytes()) {
                        failure = Some(err.into());
                    }
                }
                neardup::corpus::Event::Doc(Err(msg)) => failure = Some(anyhow::anyhow!(msg)),
                neardup::corpus::Event::Skip(s) => {
                    skipped += 1;
                    if !quiet {
                        eprintln!("neardup: {s}");
                    }
                }
                neardup::corpus::Event::Warning(w) => {
                    if !quiet {
                        eprintln!("neardup: warning: {w}");
                    }
                }
            }
        },
        |_| {},
    );
    if let Some(err) = failure {
        return Err(err);
    }
    out.flush()?;
    if !quiet {
        eprintln!(
            "neardup: {queries} documents looked up in {} indexed documents, {with_matches} with matches, {skipped} skipped; {:.2}s",
            index.len(),
            started.elapsed().as_secs_f64()
        );
    }
    Ok(if args.engine.strict && skipped > 0 {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}
