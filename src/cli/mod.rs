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
pub mod serve;

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
    /// Serve an index over HTTP/JSON: query, add, delete, stats.
    Serve(serve::ServeArgs),
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
        Some(path) => neardup::output::write_atomically(path, f).with_context(|| {
            format!("cannot write {}", neardup::display::path_for_terminal(path))
        })?,
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

/// The date and time now in UTC (`2025-01-02 13:45 UTC`), for a report's
/// "made" line; `SOURCE_DATE_EPOCH` (seconds), when set, stands for now, so
/// that a build can make the same page twice.
pub fn now_utc() -> String {
    let secs = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.trim().parse::<i64>().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs() as i64)
        });
    let (days, rest) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02} UTC",
        rest / 3600,
        rest % 3600 / 60
    )
}

/// The proleptic Gregorian date of a day number (days since 1970-01-01),
/// after Howard Hinnant's `civil_from_days`.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// Prints `neardup: MESSAGE` on stderr with control characters escaped
/// ([`neardup::display::escape_for_terminal`]): messages carry ids and
/// paths, which come from file names and may hold anything.
pub fn say(message: impl std::fmt::Display) {
    eprintln!(
        "neardup: {}",
        neardup::display::escape_for_terminal(&message.to_string())
    );
}

/// Whether an error is a closed pipe (`neardup scan ... | head`): not a
/// failure.
pub fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|e| {
        e.downcast_ref::<io::Error>()
            .is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_civil() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(59), (1970, 3, 1));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
        assert_eq!(civil_from_days(20_454), (2026, 1, 1));
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
    }
}
