//! `neardup eval`: a scan scored against a labeled truth file.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::Args;

use super::scan::{run_scan, summary, ScanFlags};
use super::{exit_for, say, with_output};

/// `neardup eval` flags.
#[derive(Args, Debug)]
pub struct EvalArgs {
    /// Truth file: doc<TAB>cluster with a header line; an optional third
    /// column names each document's class, scored apart too.
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
    flags: ScanFlags,
}

/// `neardup eval`.
pub fn run(args: EvalArgs) -> Result<ExitCode> {
    let (truth, classes) = neardup::eval::read_truth_classes(&args.truth)?;
    let result = run_scan(&args.inputs, &args.flags)?;
    if let Some(out) = &args.output {
        with_output(Some(out), |w| {
            neardup::output::write_jsonl(&result, w, false, None)
        })?;
    }
    let report = neardup::eval::evaluate_with_classes(&truth, &classes, &result, args.worst);
    print!("{report}");
    if !args.flags.run.quiet {
        say(summary(&result));
    }
    Ok(exit_for(result.skipped.len(), args.flags.run.strict))
}
