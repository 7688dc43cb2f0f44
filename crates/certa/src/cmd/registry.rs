//! `certa registry bench`: the Orders' registries timed over a generated roll.
//! The driver is `crate::bench::registry`; this file takes the arguments and
//! prints the figures.

use std::process::ExitCode;

use anyhow::{Context, Result};
use chrono::NaiveDate;

use crate::bench::registry::{Bench, Run, Settings, Timed, median};

#[derive(clap::Subcommand)]
pub enum Command {
    /// Time the INI-PEC export, the compliance report and the roll import over many members.
    Bench(BenchArgs),
}

#[derive(clap::Args)]
pub struct BenchArgs {
    /// How many members the Order has.
    #[arg(long, default_value_t = 100_000, value_parser = clap::value_parser!(u32).range(100..=2_000_000))]
    pub members: u32,
    /// How many times everything is measured, each on Orders of its own; medians are printed.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=30))]
    pub runs: u32,
    /// An empty PostgreSQL database (postgres://...) instead of a temporary SQLite one.
    #[arg(long)]
    pub database: Option<String>,
    /// The first INI-PEC day; the next day is measured after it.
    #[arg(long, default_value = "2026-06-15")]
    pub day: NaiveDate,
    /// Keep the temporary data directory.
    #[arg(long)]
    pub keep: bool,
}

pub async fn run(cmd: Command) -> Result<ExitCode> {
    let Command::Bench(args) = cmd;
    let dir = tempfile::Builder::new()
        .prefix("certa-registry-bench-")
        .tempdir()
        .context("cannot create a temporary directory")?;
    let settings = Settings {
        members: args.members,
        database: args.database.as_deref(),
        day: args.day,
        dir: dir.path(),
    };
    let result = bench(&settings, args.runs).await;
    if args.keep {
        println!("data kept in {}", dir.keep().display());
    }
    result
}

async fn bench(settings: &Settings<'_>, runs: u32) -> Result<ExitCode> {
    let bench = Bench::prepare(settings).await?;
    println!("store: {}", bench.store());
    let roll = bench.roll();
    println!(
        "roll: {} members ({} listed in INI-PEC, {} without a valid PEC, {} CTU), generated in {:.2} s",
        roll.members,
        roll.listed,
        roll.without_valid_pec,
        roll.ctu,
        roll.generated_in.as_secs_f64()
    );
    println!("each figure is the office's function as the commands call it, in-process, on the day measured");
    println!();

    let mut measured = Vec::new();
    for k in 1..=runs {
        let r = bench.run(k).await?;
        println!(
            "run {k}: written {:.2} s, INI-PEC first day {:.2} s, next day {:.2} s, compliance report {:.2} s, \
             CSV import {:.2} s (parse_roll {:.2} s)",
            r.written.secs(),
            r.first_day.secs(),
            r.next_day.secs(),
            r.report.secs(),
            r.csv_import.secs(),
            r.parse_roll.secs()
        );
        measured.push(r);
    }
    bench.close().await;
    print_medians(&measured);
    Ok(ExitCode::SUCCESS)
}

fn print_medians(runs: &[Run]) {
    let of = |f: fn(&Run) -> Timed| median(&runs.iter().map(f).collect::<Vec<_>>());
    let tail = format!("(median of {})", runs.len());
    let line = |what: &str, unit: &str, t: Timed| println!("{what}: {} {unit} in {:.2} s {tail}", t.count, t.secs());
    println!();
    line(
        "members written (store functions of the import, 5000 per transaction)",
        "members",
        of(|r| r.written),
    );
    line("INI-PEC first day", "rows", of(|r| r.first_day));
    line("INI-PEC next day", "rows", of(|r| r.next_day));
    let report = of(|r| r.report);
    println!(
        "compliance report: {} members ({} without a valid PEC) in {:.2} s {tail}",
        report.count,
        runs[0].without_pec,
        report.secs()
    );
    line("member import (CSV)", "rows", of(|r| r.csv_import));
    line("  of which parse_roll", "rows", of(|r| r.parse_roll));
}
