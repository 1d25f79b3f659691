//! `neardup generate` (hidden): a labeled synthetic syndication corpus for
//! benchmarks and accuracy tests.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::Args;

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
