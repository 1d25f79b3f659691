//! `neardup query`: looks documents up in an index without adding them.

use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::{Args, ValueEnum};

use neardup::explain::AlignConfig;
use neardup::Corpus;

use super::args::{HiddenConfigArgs, InputArgs, RunArgs};
use super::{exit_for, say};
use neardup::display::{count, escape_for_terminal};

/// `neardup query` flags.
#[derive(Args, Debug)]
pub struct QueryArgs {
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
    input: InputArgs,
    #[command(flatten)]
    run: RunArgs,
    #[command(flatten)]
    config: HiddenConfigArgs,
}

/// `--format` of `query`.
#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
enum QueryFormat {
    Jsonl,
    Text,
}

/// `neardup query`.
pub fn run(args: QueryArgs) -> Result<ExitCode> {
    let started = std::time::Instant::now();
    args.run.init_threads()?;
    let index = neardup::index::Index::open(&args.dir)?;
    args.config.0.check_index(&index)?;
    let options = args.input.options();
    let corpus = Corpus::open(&args.inputs, options)?;
    // Passages under the index's shingle size, as a scan under its
    // configuration would explain them.
    let align = AlignConfig {
        shingle: index.config().shingle(),
        ..AlignConfig::default()
    };
    let limit = args.limit.unwrap_or(usize::MAX);
    let (format, explain) = (args.format, args.explain);
    let quiet = args.run.quiet;
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
                use neardup::output::json::{MatchJson, MatchPassages, QueryJson};
                let ms: Vec<MatchJson<'_>> = matches
                    .iter()
                    .map(|m| MatchJson {
                        explained: explain.then(|| match passages(m) {
                            Ok(passages) => MatchPassages::Passages { passages },
                            Err(explain_error) => MatchPassages::Failed {
                                passages: (),
                                explain_error,
                            },
                        }),
                        cluster: Some(m.cluster),
                        ..MatchJson::new(&m.id, m.jaccard, m.containment)
                    })
                    .collect();
                s = serde_json::to_string(&QueryJson {
                    query: &doc.id,
                    matches: ms,
                })
                .expect("plain data serializes");
                s.push('\n');
            }
            QueryFormat::Text => {
                use std::fmt::Write as _;
                // For people: ids with their control characters escaped.
                let id = escape_for_terminal(&doc.id);
                if matches.is_empty() {
                    let _ = writeln!(s, "{id}: no match");
                } else {
                    let _ = writeln!(s, "{id}: {}", count(n as u64, "match", "matches"));
                }
                for m in &matches {
                    let _ = writeln!(
                        s,
                        "  {}  containment {:.4}  jaccard {:.4}  cluster {}",
                        escape_for_terminal(&m.id),
                        m.containment,
                        m.jaccard,
                        m.cluster
                    );
                    if explain {
                        match passages(m) {
                            Ok(ps) => {
                                for p in ps {
                                    let edits = match p.edits.len() {
                                        0 => String::new(),
                                        1 => ", 1 edit".to_string(),
                                        n => format!(", {n} edits"),
                                    };
                                    let _ = writeln!(
                                        s,
                                        "    query {}..{} ~ indexed {}..{} ({} words{edits})",
                                        p.a_start, p.a_end, p.b_start, p.b_end, p.words
                                    );
                                }
                            }
                            Err(e) => {
                                let _ = writeln!(s, "    {}", escape_for_terminal(&e));
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
                        say(s);
                    }
                }
                neardup::corpus::Event::Warning(w) => {
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
    out.flush()?;
    if !quiet {
        say(format_args!(
            "{} looked up in {} indexed documents, {with_matches} with matches, {skipped} skipped; {:.2}s",
            count(queries as u64, "document", "documents"),
            index.len(),
            started.elapsed().as_secs_f64()
        ));
    }
    Ok(exit_for(skipped, args.run.strict))
}
