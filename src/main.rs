//! The `neardup` binary: parses the command line and hands each command to
//! its module in `cli/`.

mod cli;

use std::process::ExitCode;

use clap::Parser;
use cli::{Cli, Command};

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
    let outcome = match cli.command {
        Command::Scan(args) => cli::scan::run(args),
        Command::Explain(args) => cli::explain::run(args),
        Command::Eval(args) => cli::eval::run(args),
        Command::Generate(args) => cli::generate::run(args),
        Command::Index(cmd) => cli::index::run(cmd),
        Command::Query(args) => cli::query::run(args),
        Command::Serve(args) => cli::serve::run(args),
    };
    match outcome {
        Ok(code) => code,
        Err(err) if cli::is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) => {
            cli::say(format_args!("error: {err:#}"));
            ExitCode::from(1)
        }
    }
}
