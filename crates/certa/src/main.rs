//! `certa`: a PEC provider and the administration around it, in one binary.
//!
//! This file holds the command line; each command lives in `cmd/`.

mod cmd;
mod trust;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "certa", version, about = "Certa: certified e-mail (PEC) provider and tools")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Print a summary of a PEC message: kind, sender, recipients, times, identificativo,
    /// receipt type, signature verdict, problems found.
    Inspect(cmd::inspect::Args),
    /// Check the signature of a PEC message; the exit code tells the verdict (see README).
    Verify(cmd::verify::Args),
    /// Development keys: a test CA and a provider signing certificate.
    #[command(subcommand)]
    Keys(cmd::keys::Command),
    /// Write one signed sample of every message a gestore generates, for inspection or tests.
    Samples(cmd::samples::Args),
}

/// Exit code for a command line that cannot be parsed (BSD sysexits EX_USAGE), kept
/// apart from the verdict codes of `certa verify`.
const EXIT_USAGE: u8 = 64;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                ExitCode::from(EXIT_USAGE)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    let result = match cli.command {
        Command::Inspect(args) => cmd::inspect::run(args),
        Command::Verify(args) => return cmd::verify::run(args),
        Command::Keys(command) => cmd::keys::run(command),
        Command::Samples(args) => cmd::samples::run(args),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("certa: {e:#}");
            ExitCode::FAILURE
        }
    }
}
