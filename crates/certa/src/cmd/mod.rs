//! The commands of the `certa` binary, one file per command, each named after
//! it. A command parses its arguments, calls one office function (or, for the
//! tools that work on files alone, the `pec` library), and prints the report;
//! `--json` prints the serde form of the same report. What the commands share
//! lives here: where the provider's data is, opening the office, naming an
//! office error's input as the command's option, printing JSON. No command
//! module imports another.

pub mod bench;
pub mod compliance;
pub mod convention;
pub mod demo;
pub mod domain;
pub mod export;
pub mod index;
pub mod init;
pub mod inspect;
pub mod keys;
pub mod lifecycle;
pub mod log;
pub mod mailbox;
pub mod member;
pub mod order;
pub mod payment;
pub mod queue;
pub mod registry;
pub mod samples;
pub mod serve;
pub mod staff;
pub mod subscription;
pub mod verify;

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use chrono::{DateTime, Utc};
use office::Office;

use crate::provider::Provider;

// Flattened into every command that works on a provider's data directory. (No doc
// comment on the struct: clap would show it as the about of commands without one.)
#[derive(clap::Args, Clone)]
pub struct DataArgs {
    /// The provider's data directory (certa.toml, keys, the SQLite database, blobs).
    #[arg(long, env = "CERTA_DATA", default_value = "certa-data")]
    pub data: PathBuf,
    /// The database (postgres://user@host/db), instead of certa.toml's.
    #[arg(long, env = "CERTA_DATABASE")]
    pub database: Option<String>,
}

impl DataArgs {
    /// The provider's office on the system clock.
    pub async fn office(&self) -> Result<Office> {
        self.office_at(None).await
    }

    /// The provider's office on a clock stopped at `now` (an operator's `--now`),
    /// or on the system clock.
    pub async fn office_at(&self, now: Option<DateTime<Utc>>) -> Result<Office> {
        let provider = Provider::open_at(&self.data, self.database.as_deref(), now).await?;
        Ok(Office::new(provider.engine))
    }
}

/// An office result for the command line: an error about the request names its
/// input as this command's option (`tax_id` is `--tax-id`) or, through `names`,
/// as its positional argument (`("address", "ADDRESS")`).
pub trait OnCommandLine<T> {
    fn named(self, names: &[(&str, &str)]) -> Result<T>;
}

impl<T> OnCommandLine<T> for office::Result<T> {
    fn named(self, names: &[(&str, &str)]) -> Result<T> {
        self.map_err(|e| match e.field() {
            Some(field) => {
                let name = names
                    .iter()
                    .find(|(f, _)| *f == field)
                    .map_or_else(|| format!("--{}", field.replace('_', "-")), |(_, n)| (*n).to_owned());
                let hint = match (&e, field) {
                    (office::Error::NotFound { .. }, "order") => " (add it with `certa order add`)",
                    _ => "",
                };
                anyhow::anyhow!("{name}: {}{hint}", e.reason())
            }
            None => anyhow::Error::new(e),
        })
    }
}

/// A password from `--password`, else the first line of standard input.
pub fn password(given: Option<String>) -> Result<String> {
    if let Some(p) = given {
        return Ok(p);
    }
    let mut line = String::new();
    std::io::BufRead::read_line(&mut std::io::stdin().lock(), &mut line)
        .context("cannot read the password from standard input")?;
    Ok(line.trim_end_matches(['\r', '\n']).to_string())
}

/// Prints a report as pretty JSON on standard output.
pub fn print_json<T: serde::Serialize>(report: &T) -> Result<()> {
    println!("{}", serde_json::to_string_pretty(report)?);
    Ok(())
}

/// Reads a message file; `-` reads standard input.
pub fn read_message(path: &Path) -> Result<Vec<u8>> {
    if path == Path::new("-") {
        let mut buf = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin(), &mut buf).context("cannot read standard input")?;
        return Ok(buf);
    }
    std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))
}

/// Reads a whole input file for an office operation; the error names the file.
pub fn read_file(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))
}
