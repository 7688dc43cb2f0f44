//! `certa convention check FILE` and `certa lifecycle simulate`: an operator checks
//! a new convention before offering it (issue 5; the store-backed commands, the
//! daily runner and payments are not wired yet).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use chrono::{DateTime, NaiveDate, Utc};
use lifecycle::convention::{Convention, NoticeSchedule};
use lifecycle::holder::{Holder, TaxId};
use lifecycle::policy::Action;
use lifecycle::simulate::simulate;
use lifecycle::subscription::{Pricing, activate};

#[derive(clap::Subcommand)]
pub enum ConventionCommand {
    /// Validate a convention file and print its plans, prices with VAT and rules.
    Check { file: PathBuf },
}

#[derive(clap::Subcommand)]
pub enum LifecycleCommand {
    /// Every notice, suspension and closure a subscription under a convention would
    /// see between two dates, without changing anything.
    Simulate(SimulateArgs),
}

#[derive(clap::Args)]
pub struct SimulateArgs {
    /// The convention file (TOML).
    #[arg(long)]
    convention: PathBuf,
    /// The plan's name.
    #[arg(long)]
    plan: String,
    /// Activation time (RFC 3339, e.g. 2024-03-10T09:00:00+01:00).
    #[arg(long)]
    activated: DateTime<chrono::FixedOffset>,
    /// The mailbox (default: demo@<the convention's first domain>).
    #[arg(long)]
    mailbox: Option<String>,
    /// The holder's ordinary e-mail, for notices on that channel.
    #[arg(long)]
    reference_email: Option<String>,
    /// Activate at list price (outside the offer window).
    #[arg(long)]
    list_price: bool,
    #[arg(long)]
    from: NaiveDate,
    #[arg(long)]
    to: NaiveDate,
}

fn load(file: &PathBuf) -> Result<Convention> {
    let text = std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
    Convention::from_toml(&text).with_context(|| format!("{} is not a valid convention", file.display()))
}

pub fn convention(cmd: ConventionCommand) -> Result<ExitCode> {
    let ConventionCommand::Check { file } = cmd;
    let c = load(&file)?;
    println!("convention {} ({})", c.code, c.order);
    println!("  domains        {}", c.domains.join(", "));
    let to = c.offer.to.map(|d| d.to_string()).unwrap_or_else(|| "open".into());
    println!("  offer          {} .. {to}", c.offer.from);
    if let Some(d) = c.common_expiry {
        println!("  common expiry  {d}");
    }
    if let Some(p) = &c.list_price {
        println!("  list price     {} + VAT = {}", p.net, p.gross());
    }
    if let Some(a) = &c.cancellation_address {
        println!("  cancellations  by PEC to {a}");
    }
    for p in &c.plans {
        println!(
            "  plan {:?}: {} months, then {} months per renewal",
            p.name, p.first_term_months, p.renewal_term_months
        );
        println!(
            "    price        {} + VAT {} = {}",
            p.price.net,
            p.price.vat,
            p.price.gross()
        );
        println!("    renewal      {:?}, quota {} bytes", p.renewal, p.quota_bytes);
        let notices = match &p.notices {
            NoticeSchedule::Offsets(kinds) => kinds.iter().map(|k| format!("{k:?}")).collect::<Vec<_>>().join(", "),
            NoticeSchedule::Every {
                every_days,
                from_days_before,
            } => {
                format!("every {every_days} days from {from_days_before} days before expiry")
            }
        };
        println!("    notices      {notices} at {} on {:?}", p.notice_at, p.channels);
        println!(
            "    at expiry    {:?}; contents kept {} days after closure",
            p.expiry, p.retention_days
        );
    }
    Ok(ExitCode::SUCCESS)
}

pub fn lifecycle(cmd: LifecycleCommand) -> Result<ExitCode> {
    let LifecycleCommand::Simulate(a) = cmd;
    let c = load(&a.convention)?;
    let mailbox = a
        .mailbox
        .clone()
        .unwrap_or_else(|| format!("demo@{}", c.domains.first().cloned().unwrap_or_default()));
    // A simulation needs a holder; this is the textbook example codice fiscale.
    let holder = Holder {
        tax_id: TaxId::parse("RSSMRA85T10A562S").context("example codice fiscale")?,
        name: "Simulazione".into(),
        billing_address: String::new(),
        reference_email: a.reference_email.clone(),
    };
    let pricing = if a.list_price {
        Pricing::ListPrice
    } else {
        Pricing::Convention
    };
    let sub = activate(&c, &a.plan, &mailbox, holder, a.activated.with_timezone(&Utc), pricing)?;
    let start = a.from.and_hms_opt(0, 0, 0).context("bad --from")?.and_utc();
    let end = a.to.and_hms_opt(23, 59, 59).context("bad --to")?.and_utc();
    println!("{mailbox}: activated {}, expiry {}", a.activated, sub.expiry);
    let events = simulate(&[sub], std::slice::from_ref(&c), &Default::default(), start, end)?;
    for e in &events {
        let local = e.at.with_timezone(&c.time_zone).format("%Y-%m-%d %H:%M %Z");
        let what = match &e.action {
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
        };
        println!("{local}  {what}");
    }
    println!("{} events", events.len());
    Ok(ExitCode::SUCCESS)
}
