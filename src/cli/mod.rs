//! The `neardup` command line: flags parsed into library objects, one module
//! per command. Only the binary knows about clap, indicatif and anyhow.

pub mod args;
pub mod eval;
pub mod explain;
pub mod generate;
pub mod index;
pub mod progress;
pub mod query;
pub mod scan;

use std::io::{self, Write};
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};

/// Find, cluster and explain near-duplicate (syndicated) articles.
#[derive(Parser, Debug)]
#[command(name = "neardup", version, about, long_about = None)]
pub struct Cli {
    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Scan inputs (directories, files, .jsonl) and print duplicate clusters.
    Scan(scan::ScanArgs),
    /// Explain a pair: shared passages (with byte offsets) and what each copy adds.
    Explain(explain::ExplainArgs),
    /// Scan inputs and score the clusters against a doc<TAB>cluster truth file.
    Eval(eval::EvalArgs),
    /// Build a labeled synthetic syndication corpus from source wire stories.
    #[command(hide = true)]
    Generate(generate::GenerateArgs),
    /// Keep a persistent index: create, add, info, remove, optimize.
    #[command(subcommand)]
    Index(index::IndexCommand),
    /// Look documents up in an index without adding them.
    Query(query::QueryArgs),
}

/// Writes to stdout, or atomically to a file.
pub fn with_output(
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

/// Exit code 2 when `strict` and anything was skipped, else success.
pub fn exit_for(skipped: usize, strict: bool) -> ExitCode {
    if strict && skipped > 0 {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    }
}

/// Whether an error is a closed pipe (`neardup scan ... | head`): not a
/// failure.
pub fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|e| {
        e.downcast_ref::<io::Error>()
            .is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe)
    })
}
