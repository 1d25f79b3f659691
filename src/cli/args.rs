//! Flags shared by several commands, and the library objects they build.
//!
//! Commands flatten only the groups that apply to them: engine settings
//! ([`ConfigArgs`]), how inputs are read ([`InputArgs`]) and how a run
//! behaves ([`RunArgs`]). An index keeps the configuration it was created
//! with, so `index add` and `query` take the engine settings as hidden
//! flags ([`HiddenConfigArgs`]) that are only checked against it (scripts
//! that pass them keep working).

use std::fmt::Display;

use anyhow::{Context, Result};
use clap::{Args, ValueEnum};

use neardup::minhash::Scheme;
use neardup::{Config, ConfigBuilder, CorpusOptions};

/// Most worker threads `--threads` accepts.
pub const MAX_THREADS: usize = 1024;

/// `text` followed by the default, as clap prints it for other flags.
fn with_default(text: &str, value: impl Display) -> String {
    format!("{text} [default: {value}]")
}

fn defaults() -> Config {
    Config::default()
}

/// Engine settings: what makes a pair a duplicate and how candidates are
/// found. Unset flags take the library's defaults (shown in `--help`).
#[derive(Args, Debug, Clone, Default)]
pub struct ConfigArgs {
    #[arg(long, value_name = "J",
        help = with_default("Jaccard at or above which a pair is a duplicate", defaults().threshold()))]
    pub threshold: Option<f64>,
    #[arg(long, value_name = "C",
        help = with_default("Containment (|A∩B| / min(|A|,|B|)) at or above which a pair is a duplicate", defaults().containment()))]
    pub containment: Option<f64>,
    #[arg(long, value_name = "K", help = with_default("Words per shingle", defaults().shingle()))]
    pub shingle: Option<usize>,
    #[arg(long, value_name = "N", help = with_default("MinHash permutations", defaults().perms()))]
    pub perms: Option<usize>,
    #[arg(long, value_name = "B",
        help = with_default("LSH bands (must divide --perms); unset: derived from the LSH threshold", defaults().banding().bands))]
    pub bands: Option<usize>,
    #[arg(long, value_name = "J",
        help = with_default("Jaccard the LSH banding is tuned for; unset: derived from --threshold and --containment", format!("{:.3}", defaults().lsh_threshold())))]
    pub lsh_threshold: Option<f64>,
    #[arg(long, value_name = "N",
        help = with_default("Smallest document (in shingles) for the containment rule", defaults().min_containment_shingles()))]
    pub min_containment_shingles: Option<usize>,
    #[arg(long, value_name = "J",
        help = with_default("Smallest Jaccard for the containment rule to apply", defaults().containment_min_jaccard()))]
    pub containment_min_jaccard: Option<f64>,
    #[arg(long, value_name = "N",
        help = with_default("Boilerplate cut: a shingle in more than this many copy groups is ignored (0: off)", defaults().boilerplate_min_docs()))]
    pub boilerplate_docs: Option<usize>,
    #[arg(long, value_name = "S",
        help = with_default("Boilerplate cut as a share of the copy groups (the larger of the two applies)", defaults().boilerplate_share()))]
    pub boilerplate_share: Option<f64>,
    #[arg(long, value_name = "L",
        help = with_default("Mean containment of cross pairs needed for two clusters to merge (0: connected components)", defaults().linkage()))]
    pub linkage: Option<f64>,
    #[arg(long, help = with_default("MinHash seed", defaults().seed()))]
    pub seed: Option<u64>,
    /// How signatures are computed: one-permutation hashing with
    /// densification (one hash per shingle) or classic MinHash (one hash
    /// per shingle and permutation).
    #[arg(long, value_enum, help = with_default(
        "How signatures are computed: one-permutation hashing with densification (one hash per shingle) or classic MinHash (one per shingle and permutation)",
        defaults().scheme().as_str()))]
    pub scheme: Option<SchemeArg>,
    /// Compare every pair exactly instead of using LSH (quadratic; for small corpora).
    #[arg(long)]
    pub exact: bool,
}

/// `--scheme` values (see [`Scheme`]).
#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum SchemeArg {
    /// Classic MinHash.
    Classic,
    /// One-permutation hashing with densification.
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

impl ConfigArgs {
    /// The flags given, applied over `base`.
    fn apply(&self, mut b: ConfigBuilder) -> ConfigBuilder {
        macro_rules! set {
            ($($field:ident => $setter:ident),* $(,)?) => {
                $(if let Some(v) = self.$field { b = b.$setter(v); })*
            };
        }
        set!(
            threshold => threshold,
            containment => containment,
            shingle => shingle,
            perms => perms,
            bands => bands,
            lsh_threshold => lsh_threshold,
            min_containment_shingles => min_containment_shingles,
            containment_min_jaccard => containment_min_jaccard,
            boilerplate_docs => boilerplate_min_docs,
            boilerplate_share => boilerplate_share,
            linkage => linkage,
            seed => seed,
        );
        if let Some(s) = self.scheme {
            b = b.scheme(s.scheme());
        }
        b.exact(self.exact)
    }

    /// The configuration: the defaults with the flags given.
    pub fn config(&self) -> Result<Config> {
        Ok(self.apply(Config::builder()).build()?)
    }

    /// Refuses flags that differ from the configuration `index` was created
    /// with (the index's own check compares them).
    pub fn check_index(&self, index: &neardup::index::Index) -> Result<()> {
        if self.exact {
            anyhow::bail!(
                "--exact is not available with an index (candidates come from its LSH tables)"
            );
        }
        let given = self
            .apply(index.config().to_builder())
            .build()
            .context("invalid engine flags")?;
        index.check_config(&given).map_err(|e| match e {
            // Named as the user gave it.
            neardup::Error::IndexConfigMismatch {
                path,
                setting,
                index,
                given,
            } => neardup::Error::IndexConfigMismatch {
                path,
                setting: flag_of(&setting),
                index,
                given,
            }
            .into(),
            e => e.into(),
        })
    }
}

/// The flag that sets a configuration field (`boilerplate_min_docs` ->
/// `--boilerplate-docs`).
fn flag_of(setting: &str) -> String {
    match setting {
        "boilerplate_min_docs" => "--boilerplate-docs".into(),
        s => format!("--{}", s.replace('_', "-")),
    }
}

/// The engine settings of commands that use an index's stored
/// configuration: accepted (and checked against it) but not offered in
/// `--help`.
#[derive(Debug, Clone, Default)]
pub struct HiddenConfigArgs(pub ConfigArgs);

impl clap::FromArgMatches for HiddenConfigArgs {
    fn from_arg_matches(m: &clap::ArgMatches) -> Result<Self, clap::Error> {
        ConfigArgs::from_arg_matches(m).map(HiddenConfigArgs)
    }
    fn update_from_arg_matches(&mut self, m: &clap::ArgMatches) -> Result<(), clap::Error> {
        self.0.update_from_arg_matches(m)
    }
}

fn hide_config_args(cmd: clap::Command) -> clap::Command {
    let ids: Vec<clap::Id> = ConfigArgs::augment_args(clap::Command::new("config"))
        .get_arguments()
        .map(|a| a.get_id().clone())
        .collect();
    ids.into_iter()
        .fold(cmd, |cmd, id| cmd.mut_arg(id, |a| a.hide(true)))
}

impl Args for HiddenConfigArgs {
    fn augment_args(cmd: clap::Command) -> clap::Command {
        hide_config_args(ConfigArgs::augment_args(cmd))
    }
    fn augment_args_for_update(cmd: clap::Command) -> clap::Command {
        hide_config_args(ConfigArgs::augment_args_for_update(cmd))
    }
}

/// How inputs are read.
#[derive(Args, Debug, Clone)]
pub struct InputArgs {
    /// JSON Lines field holding the id.
    #[arg(long, default_value = "id")]
    pub id_field: String,
    /// JSON Lines field holding the text.
    #[arg(long, default_value = "text")]
    pub text_field: String,
    /// JSON Lines field holding a title, shown as the headline of a
    /// cluster (report, text output) instead of the first line of its text.
    #[arg(long, value_name = "FIELD")]
    pub title_field: Option<String>,
    /// Skip documents larger than this many bytes.
    #[arg(long, value_name = "BYTES", default_value_t = 64 << 20)]
    pub max_doc_bytes: u64,
}

impl InputArgs {
    /// The library's corpus options.
    pub fn options(&self) -> CorpusOptions {
        CorpusOptions {
            id_field: self.id_field.clone(),
            text_field: self.text_field.clone(),
            max_doc_bytes: self.max_doc_bytes,
            title_field: self.title_field.clone(),
        }
    }
}

/// `--color`: when text output is coloured.
#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ColorChoice {
    /// On a terminal (and not when NO_COLOR is set).
    #[default]
    Auto,
    /// Always, even into a pipe or a file.
    Always,
    /// Never.
    Never,
}

impl ColorChoice {
    /// Whether to colour output that goes to a terminal (`terminal`) or
    /// elsewhere.
    pub fn enabled(self, terminal: bool) -> bool {
        match self {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
            }
        }
    }
}

/// How a run behaves: threads, messages, exit code.
#[derive(Args, Debug, Clone)]
pub struct RunArgs {
    /// Worker threads (default: all cores; at most 1024).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(0..=MAX_THREADS as u64))]
    pub threads: Option<u64>,
    /// Exit with code 2 when any input was skipped.
    #[arg(long)]
    pub strict: bool,
    /// No progress bar and no summary on stderr.
    #[arg(long, short)]
    pub quiet: bool,
}

impl RunArgs {
    /// Sizes rayon's global pool when `--threads` was given.
    pub fn init_threads(&self) -> Result<()> {
        if let Some(n) = self.threads {
            rayon::ThreadPoolBuilder::new()
                .num_threads((n as usize).max(1))
                .build_global()
                .context("cannot start the thread pool")?;
        }
        Ok(())
    }
}

/// What a scan keeps in memory and reports about itself.
#[derive(Args, Debug, Clone)]
pub struct ScanTuning {
    /// Print the wall time of each stage on stderr (even with --quiet).
    #[arg(long)]
    pub timings: bool,
    /// Shingle sets kept in memory, in MB; past it they go to an unnamed
    /// temporary file (in TMPDIR) and are read back batch by batch. Results
    /// do not depend on it.
    #[arg(long, value_name = "MB", default_value_t = 512)]
    pub memory_budget: usize,
}
