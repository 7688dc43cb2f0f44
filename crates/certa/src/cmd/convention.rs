//! `certa convention check|create|show|list`: conventions between Orders and the
//! provider, from their TOML files.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use lifecycle::convention::Payer;
use office::conventions::{self, ConventionReport};

use super::{DataArgs, OnCommandLine, print_json};

#[derive(clap::Subcommand)]
pub enum Command {
    /// Validate a convention file and print its plans, prices with VAT and rules
    /// (nothing is stored).
    Check { file: PathBuf },
    /// Store a convention from its file (format: crates/lifecycle/src/convention/format.md).
    /// The whole file is validated first: on any error nothing is stored.
    Create {
        /// The convention's TOML file.
        file: PathBuf,
        /// Replace the stored convention with the same code.
        #[arg(long)]
        replace: bool,
        #[command(flatten)]
        data: DataArgs,
    },
    /// A stored convention: plans, prices net/VAT/gross, notice schedule, expiry policy, payers.
    Show {
        /// The convention's code.
        code: String,
        /// Print the stored TOML as it was given.
        #[arg(long)]
        source: bool,
        #[command(flatten)]
        data: DataArgs,
    },
    /// The stored conventions.
    List {
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        data: DataArgs,
    },
}

const NAMES: &[(&str, &str)] = &[("code", "CODE")];

/// The convention file's text.
fn read(file: &Path) -> Result<String> {
    std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))
}

/// A convention text refused is about its file.
fn in_file<T>(result: office::Result<T>, file: &Path) -> Result<T> {
    result.map_err(|e| match e.field() {
        Some("source") => anyhow::anyhow!("{} is not a valid convention: {}", file.display(), e.reason()),
        _ => anyhow::Error::new(e),
    })
}

pub async fn run(cmd: Command) -> Result<ExitCode> {
    match cmd {
        Command::Check { file } => {
            let text = read(&file)?;
            print_convention(&in_file(conventions::check(&text), &file)?);
        }
        Command::Create { file, replace, data } => {
            let text = read(&file)?;
            let office = data.office().await?;
            let conv = in_file(conventions::create(&office, &text, replace).await, &file)?;
            println!(
                "convention {} {}",
                conv.code,
                if replace {
                    "stored (replacing any with its code)"
                } else {
                    "stored"
                }
            );
            print_convention(&conv);
            office.close().await;
        }
        Command::Show { code, source, data } => {
            let office = data.office().await?;
            let stored = conventions::show(&office, &code).await.named(NAMES)?;
            if source {
                print!("{}", stored.source);
            } else {
                print_convention(&stored.convention);
            }
        }
        Command::List { json, data } => {
            let office = data.office().await?;
            let list = conventions::list(&office).await.named(NAMES)?;
            if json {
                print_json(&list)?;
            } else {
                for c in &list {
                    let plans: Vec<String> = c.plans.iter().map(|p| format!("{} {}", p.name, p.gross)).collect();
                    println!(
                        "{:<24} offer {} .. {}  {}  ({})",
                        c.code,
                        c.offer.from,
                        c.offer.to.map(|d| d.to_string()).unwrap_or_else(|| "open".into()),
                        plans.join(", "),
                        c.order
                    );
                }
                eprintln!("{} conventions", list.len());
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn print_convention(c: &ConventionReport) {
    println!("convention {} ({})", c.code, c.order);
    println!("  domains        {}", c.domains.join(", "));
    println!("  time zone      {}", c.time_zone);
    let to = c.offer.to.map(|d| d.to_string()).unwrap_or_else(|| "open".into());
    println!("  offer          {} .. {to}", c.offer.from);
    if let Some(d) = c.common_expiry {
        println!("  common expiry  {d}");
    }
    if let Some(p) = &c.list_price {
        println!("  list price     {} + VAT {} = {}", p.net, p.vat, p.gross);
    }
    if let Some(a) = &c.cancellation_address {
        println!("  cancellations  by PEC to {a}");
    }
    for p in &c.payers {
        let who = match p.payer {
            Payer::Order => "the Order",
            Payer::Member => "the member",
        };
        let from = p.from.map(|d| d.to_string()).unwrap_or_else(|| "always".into());
        let to = p.to.map(|d| d.to_string()).unwrap_or_else(|| "on".into());
        println!("  payer          {who} for expiries {from} .. {to}");
    }
    if c.payers.is_empty() {
        println!("  payer          the member");
    }
    for p in &c.plans {
        println!(
            "  plan {:?}: {} months, then {} months per renewal",
            p.name, p.first_term_months, p.renewal_term_months
        );
        println!(
            "    price        {} + VAT {} = {}",
            p.price.net, p.price.vat, p.price.gross
        );
        println!("    renewal      {:?}, quota {} bytes", p.renewal, p.quota_bytes);
        println!("    notices      {} at {} on {:?}", p.notices, p.notice_at, p.channels);
        println!(
            "    at expiry    {}; contents kept {} days after closure",
            p.at_expiry, p.retention_days
        );
    }
}
