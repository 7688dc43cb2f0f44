//! `certa lifecycle run|simulate|bench`: the operator runs the daily machine at a
//! chosen instant, sees what it would do over a date range without changing
//! anything, and times it over many subscriptions.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result};
use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use lifecycle::policy::Action;
use lifecycle::subscription::Pricing;
use office::daily::{self, Event, Trial};

use super::{DataArgs, OnCommandLine, print_json};
use crate::bench::lifecycle::{self as bench, Figures, Settings, Step};

#[derive(clap::Subcommand)]
pub enum Command {
    /// Run the daily machine once: cancellations received by PEC, then every due notice,
    /// suspension, reactivation, closure and deletion, each once.
    Run(RunArgs),
    /// Every notice, suspension, closure and deletion between two dates, without
    /// changing anything: of the stored subscriptions, or (with --convention FILE) of
    /// one subscription activated under a convention file.
    Simulate(SimulateArgs),
    /// The daily machine over many subscriptions, timed.
    Bench(BenchArgs),
}

#[derive(clap::Args)]
pub struct RunArgs {
    /// The instant to run at (RFC 3339, e.g. 2025-03-10T11:00:00+01:00); default now.
    #[arg(long)]
    now: Option<DateTime<FixedOffset>>,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    data: DataArgs,
}

#[derive(clap::Args)]
pub struct SimulateArgs {
    /// A convention file (TOML) to simulate instead of the stored subscriptions.
    #[arg(long, requires_all = ["plan", "activated"])]
    convention: Option<PathBuf>,
    /// With --convention: the plan's name.
    #[arg(long, requires = "convention")]
    plan: Option<String>,
    /// With --convention: the activation time (RFC 3339, e.g. 2024-03-10T09:00:00+01:00).
    #[arg(long, requires = "convention")]
    activated: Option<DateTime<FixedOffset>>,
    /// Only this mailbox (with --convention: the simulated one's address, default
    /// demo@<the convention's first domain>).
    #[arg(long)]
    mailbox: Option<String>,
    /// With --convention: the holder's ordinary e-mail, for notices on that channel.
    #[arg(long, requires = "convention")]
    reference_email: Option<String>,
    /// With --convention: activate at list price (outside the offer window).
    #[arg(long, requires = "convention")]
    list_price: bool,
    /// First day, included (Europe/Rome).
    #[arg(long)]
    from: NaiveDate,
    /// Last day, included (Europe/Rome).
    #[arg(long)]
    to: NaiveDate,
    #[command(flatten)]
    data: DataArgs,
}

#[derive(clap::Args)]
pub struct BenchArgs {
    /// How many subscriptions.
    #[arg(long, default_value_t = 100_000, value_parser = clap::value_parser!(u32).range(1..))]
    pub subscriptions: u32,
    /// Measured days (each: a typical run, then a run with nothing due); medians are printed.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=30))]
    pub runs: u32,
    /// An empty PostgreSQL database (postgres://...) instead of a temporary SQLite one.
    #[arg(long)]
    pub database: Option<String>,
    /// The first measured day; expiries are spread over the year from it.
    #[arg(long, default_value = "2026-06-15")]
    pub day: NaiveDate,
    /// Keep the temporary data directory.
    #[arg(long)]
    pub keep: bool,
}

const NAMES: &[(&str, &str)] = &[];

pub async fn run(cmd: Command) -> Result<ExitCode> {
    match cmd {
        Command::Run(a) => run_once(a).await,
        Command::Simulate(a) if a.convention.is_some() => simulate_file(a),
        Command::Simulate(a) => simulate_store(a).await,
        Command::Bench(a) => bench(a).await,
    }
}

async fn run_once(a: RunArgs) -> Result<ExitCode> {
    let office = a.data.office_at(a.now.map(|t| t.with_timezone(&Utc))).await?;
    let run = daily::run(&office).await.named(NAMES)?;
    let report = &run.report;
    if a.json {
        print_json(&run)?;
    } else {
        println!(
            "daily machine at {}: {} subscriptions",
            pec::time::LegalTime::from_utc(run.at),
            report.subscriptions
        );
        if report.cancellations > 0 {
            println!("{} cancellations by PEC recorded", report.cancellations);
        }
        for e in &report.events {
            println!("{e}");
        }
        if report.performed.is_empty() {
            println!("nothing due");
        } else {
            let counts: Vec<String> = report.performed.iter().map(|(k, n)| format!("{k} {n}")).collect();
            println!("performed: {}", counts.join(", "));
        }
        if report.skipped > 0 {
            println!(
                "{} subscriptions changed meanwhile by another node: left to the next run",
                report.skipped
            );
        }
        if report.blobs_deleted > 0 {
            println!("{} files of deleted contents removed", report.blobs_deleted);
        }
    }
    for e in &report.errors {
        eprintln!("certa: lifecycle: {e}");
    }
    office.close().await;
    Ok(if run.failed() {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

fn what(action: &Action) -> String {
    match action {
        Action::SendNotice {
            kind, channel, expiry, ..
        } => format!("notice {kind:?} via {channel:?} (expiry {expiry})"),
        Action::Suspend { .. } => "suspended: cannot send nor receive".into(),
        Action::ReceiveOnly { .. } => "receive only".into(),
        Action::Reactivate { .. } => "reactivated".into(),
        Action::Close { .. } => "closed".into(),
        Action::DeleteContents { .. } => "contents deleted".into(),
        Action::TacitRenew { new_expiry, .. } => format!("renewed tacitly to {new_expiry}"),
        Action::EndService { .. } => "service ended (cancelled)".into(),
    }
}

fn print_events(events: &[Event], with_mailbox: bool) {
    for e in events {
        let local = e.at.format("%Y-%m-%d %H:%M %Z");
        if with_mailbox {
            println!("{local}  {}  {}", e.mailbox, what(&e.action));
        } else {
            println!("{local}  {}", what(&e.action));
        }
    }
    println!("{} events", events.len());
}

fn simulate_file(a: SimulateArgs) -> Result<ExitCode> {
    let (Some(file), Some(plan), Some(activated)) = (&a.convention, &a.plan, a.activated) else {
        anyhow::bail!("--convention needs --plan and --activated");
    };
    let text = std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
    let trial = Trial {
        plan,
        activated: activated.with_timezone(&Utc),
        mailbox: a.mailbox.as_deref(),
        reference_email: a.reference_email.as_deref(),
        pricing: if a.list_price {
            Pricing::ListPrice
        } else {
            Pricing::Convention
        },
    };
    let simulation = daily::simulate_convention(&text, &trial, a.from, a.to).map_err(|e| match e.field() {
        Some("source") => anyhow::anyhow!("{} is not a valid convention: {}", file.display(), e.reason()),
        _ => anyhow::Error::new(e),
    })?;
    println!(
        "{}: activated {activated}, expiry {}",
        simulation.mailbox, simulation.expiry
    );
    print_events(&simulation.events, false);
    Ok(ExitCode::SUCCESS)
}

async fn simulate_store(a: SimulateArgs) -> Result<ExitCode> {
    let office = a.data.office().await?;
    let simulation = daily::simulate(&office, a.mailbox.as_deref(), a.from, a.to)
        .await
        .named(NAMES)?;
    office.close().await;
    for s in &simulation.subscriptions {
        println!(
            "{}: convention {} plan {}, expiry {}",
            s.mailbox, s.convention, s.plan, s.expiry
        );
    }
    print_events(&simulation.events, true);
    Ok(ExitCode::SUCCESS)
}

/// `certa lifecycle bench`: the driver is `crate::bench::lifecycle`; this prints
/// its steps as they come.
pub async fn bench(a: BenchArgs) -> Result<ExitCode> {
    let settings = Settings {
        subscriptions: a.subscriptions,
        runs: a.runs,
        database: a.database,
        day: a.day,
        keep: a.keep,
    };
    let report = bench::run(&settings, |step| match step {
        Step::Store(describe) => println!("store: {describe}"),
        Step::Setup {
            subscriptions,
            mailboxes,
            took,
        } => {
            println!(
                "setup: {subscriptions} subscriptions ({mailboxes} with a mailbox row: an action on a measured day) in {:.1} s",
                took.as_secs_f64()
            );
            println!();
            println!(
                "{:<12} {:>9} {:>8} {:>10}   {:>9} {:>8} {:>10}",
                "day", "scanned", "actions", "wall", "scanned", "actions", "wall (nothing due)"
            );
        }
        Step::Day { day, busy, quiet } => row(&day.to_string(), busy, quiet),
    })
    .await?;
    if let (Some(busy), Some(quiet)) = (report.median_busy(), report.median_quiet()) {
        row("median", &busy, &quiet);
    }
    if let Some(dir) = &report.kept {
        println!("data kept in {}", dir.display());
    }
    Ok(if report.once() {
        ExitCode::SUCCESS
    } else {
        eprintln!("a second run at the same instant performed actions: each action must happen once");
        ExitCode::FAILURE
    })
}

fn row(label: &str, busy: &Figures, quiet: &Figures) {
    println!(
        "{:<12} {:>9} {:>8} {:>8.0} ms   {:>9} {:>8} {:>8.0} ms",
        label,
        busy.scanned,
        busy.actions,
        ms(busy.wall),
        quiet.scanned,
        quiet.actions,
        ms(quiet.wall)
    );
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
