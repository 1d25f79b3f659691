//! `neardup generate` (hidden): a labeled synthetic syndication corpus for
//! benchmarks and accuracy tests, from the `neardup-synth` crate
//! (`benches/synth`).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Args;
use neardup::display::{count, path_for_terminal};

/// `neardup generate` flags.
#[derive(Args, Debug)]
pub struct GenerateArgs {
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

/// `neardup generate`.
pub fn run(args: GenerateArgs) -> Result<ExitCode> {
    let cfg = neardup_synth::SynthConfig {
        stories: args.stories,
        seed: args.seed,
        target_words: args.words,
        ..Default::default()
    };
    let s = neardup_synth::generate_to_dir(&args.sources, &args.out, &cfg).with_context(|| {
        format!(
            "cannot generate a corpus from {} into {}",
            path_for_terminal(&args.sources),
            path_for_terminal(&args.out)
        )
    })?;
    super::say(format_args!(
        "wrote {} in {} ({:.1} MB) to {}",
        count(s.documents as u64, "document", "documents"),
        count(s.clusters as u64, "cluster", "clusters"),
        s.bytes as f64 / 1e6,
        path_for_terminal(&args.out)
    ));
    Ok(ExitCode::SUCCESS)
}
