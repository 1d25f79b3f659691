//! The `neardup` command line: a thin layer over the library.

use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};

use neardup::corpus::SkipReason;
use neardup::explain::AlignConfig;
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
    let corpus = Corpus::open(inputs, options.clone())?;
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
    scan.add_corpus(&corpus, |b| bar.inc(b));
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
    let (result, _config, options) = run_scan(&args.inputs, &args.engine)?;
    let align = AlignConfig::default();
    let load = |d: usize| neardup::corpus::load_source(&result.docs[d].source, &options).ok();
    let passages = |p: &neardup::Pair| {
        let (a, b) = (load(p.a)?, load(p.b)?);
        let e = neardup::explain::explain(&a, &b, &align);
        let mut m = serde_json::Map::new();
        m.insert("passages".into(), serde_json::to_value(&e.passages).ok()?);
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
    Ok(exit_for(&result, args.engine.strict))
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
