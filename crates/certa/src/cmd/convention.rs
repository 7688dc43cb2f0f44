//! `certa convention check|create|show|list` and `certa lifecycle run|simulate|bench`:
//! the operator stores conventions, runs the daily machine at a chosen instant, and
//! sees what it would do over a date range without changing anything.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use chrono_tz::Tz;
use engine::lifecycle::decode;
use lifecycle::convention::{Convention, ExpiryPolicy, NoticeKind, NoticeSchedule, Payer};
use lifecycle::holder::{Holder, TaxId};
use lifecycle::policy::{Action, Done, DoneKey};
use lifecycle::simulate::{SimulatedEvent, simulate};
use lifecycle::subscription::{Pricing, activate};
use serde_json::json;
use store::lifecycle as lc;

use super::DataArgs;
use super::lifecycle_bench;
use super::subscription::stored_convention;
use crate::provider::Provider;

#[derive(clap::Subcommand)]
pub enum ConventionCommand {
    /// Validate a convention file and print its plans, prices with VAT and rules
    /// (nothing is stored).
    Check { file: PathBuf },
    /// Store a convention from its file (format: crates/lifecycle/src/convention/format.md).
    /// The whole file is validated first: on any error nothing is stored.
    Create {
        file: PathBuf,
        /// Replace the stored convention with the same code.
        #[arg(long)]
        replace: bool,
        #[command(flatten)]
        data: DataArgs,
    },
    /// A stored convention: plans, prices net/VAT/gross, notice schedule, expiry policy, payers.
    Show {
        code: String,
        /// Print the stored TOML as it was given.
        #[arg(long)]
        source: bool,
        #[command(flatten)]
        data: DataArgs,
    },
    /// The stored conventions.
    List {
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        data: DataArgs,
    },
}

#[derive(clap::Subcommand)]
pub enum LifecycleCommand {
    /// Run the daily machine once: cancellations received by PEC, then every due notice,
    /// suspension, reactivation, closure and deletion, each once.
    Run(RunArgs),
    /// Every notice, suspension, closure and deletion between two dates, without
    /// changing anything: of the stored subscriptions, or (with --convention FILE) of
    /// one subscription activated under a convention file.
    Simulate(SimulateArgs),
    /// The daily machine over many subscriptions, timed.
    Bench(lifecycle_bench::LifecycleBenchArgs),
}

#[derive(clap::Args)]
pub struct RunArgs {
    /// The instant to run at (RFC 3339, e.g. 2025-03-10T11:00:00+01:00); default now.
    #[arg(long)]
    now: Option<DateTime<FixedOffset>>,
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

fn load(file: &PathBuf) -> Result<(String, Convention)> {
    let text = std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
    // Displayed alone: its source is the same error again, and `{:#}` would repeat it.
    let conv = Convention::from_toml(&text)
        .map_err(|e| anyhow::anyhow!("{} is not a valid convention: {e}", file.display()))?;
    Ok((text, conv))
}

pub async fn convention(cmd: ConventionCommand) -> Result<ExitCode> {
    match cmd {
        ConventionCommand::Check { file } => {
            print_convention(&load(&file)?.1);
        }
        ConventionCommand::Create { file, replace, data } => {
            // Validated before the store is touched: a bad file stores nothing.
            let (text, conv) = load(&file)?;
            let store = data.store().await?;
            lc::put_convention(
                &mut *store.conn().await?,
                &conv.code,
                &text,
                replace,
                store::millis(Utc::now()),
            )
            .await?;
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
            store.close().await;
        }
        ConventionCommand::Show { code, source, data } => {
            let store = data.store().await?;
            let mut c = store.conn().await?;
            if source {
                let stored = lc::convention(&mut c, &code).await?;
                print!("{}", stored.map(|s| s.source).unwrap_or_default());
            }
            let conv = stored_convention(&mut c, &code, "CODE").await?;
            if !source {
                print_convention(&conv);
            }
        }
        ConventionCommand::List { json, data } => {
            let store = data.store().await?;
            let mut c = store.conn().await?;
            let stored = lc::conventions(&mut c).await?;
            let mut rows = Vec::new();
            for s in &stored {
                let conv = Convention::from_toml(&s.source)
                    .map_err(|e| anyhow::anyhow!("convention {} stored in the database is not valid: {e}", s.code))?;
                rows.push(conv);
            }
            if json {
                let v: Vec<_> = rows.iter().map(convention_json).collect();
                println!("{}", serde_json::to_string_pretty(&v)?);
            } else {
                for c in &rows {
                    let plans: Vec<String> = c
                        .plans
                        .iter()
                        .map(|p| format!("{} {}", p.name, p.price.gross()))
                        .collect();
                    println!(
                        "{:<24} offer {} .. {}  {}  ({})",
                        c.code,
                        c.offer.from,
                        c.offer.to.map(|d| d.to_string()).unwrap_or_else(|| "open".into()),
                        plans.join(", "),
                        c.order
                    );
                }
                eprintln!("{} conventions", rows.len());
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn convention_json(c: &Convention) -> serde_json::Value {
    json!({
        "code": c.code,
        "order": c.order,
        "domains": c.domains,
        "time_zone": c.time_zone.name(),
        "offer": { "from": c.offer.from.to_string(), "to": c.offer.to.map(|d| d.to_string()) },
        "common_expiry": c.common_expiry.map(|d| d.to_string()),
        "list_price": c.list_price.map(|p| p.gross().plain()),
        "plans": c.plans.iter().map(|p| json!({
            "name": p.name,
            "net": p.price.net.plain(),
            "vat_percent": p.price.vat.to_string(),
            "gross": p.price.gross().plain(),
            "first_term_months": p.first_term_months,
            "renewal_term_months": p.renewal_term_months,
        })).collect::<Vec<_>>(),
    })
}

fn notice_kind(k: NoticeKind) -> String {
    match k {
        NoticeKind::Before { days } => format!("{days} days before"),
        NoticeKind::After { days } => format!("{days} days after"),
        NoticeKind::Recurring { days_before } => format!("{days_before} days before"),
    }
}

fn expiry_policy(p: ExpiryPolicy) -> String {
    match p {
        ExpiryPolicy::DeactivateNextDay => "deactivated the day after expiry".into(),
        ExpiryPolicy::Suspend { at, days, then_close } => format!(
            "suspended at {} on the expiry day for {days} days{}",
            at.format("%H:%M"),
            if then_close { ", then closed" } else { "" }
        ),
        ExpiryPolicy::ReceiveOnlyGrace { days } => {
            format!("receive-only from the day after expiry for {days} days, then closed")
        }
    }
}

fn print_convention(c: &Convention) {
    println!("convention {} ({})", c.code, c.order);
    println!("  domains        {}", c.domains.join(", "));
    println!("  time zone      {}", c.time_zone.name());
    let to = c.offer.to.map(|d| d.to_string()).unwrap_or_else(|| "open".into());
    println!("  offer          {} .. {to}", c.offer.from);
    if let Some(d) = c.common_expiry {
        println!("  common expiry  {d}");
    }
    if let Some(p) = &c.list_price {
        println!("  list price     {} + VAT {} = {}", p.net, p.vat, p.gross());
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
            p.price.net,
            p.price.vat,
            p.price.gross()
        );
        println!("    renewal      {:?}, quota {} bytes", p.renewal, p.quota_bytes);
        let notices = match &p.notices {
            NoticeSchedule::Offsets(kinds) => kinds.iter().map(|k| notice_kind(*k)).collect::<Vec<_>>().join(", "),
            NoticeSchedule::Every {
                every_days,
                from_days_before,
            } => {
                format!("every {every_days} days from {from_days_before} days before expiry")
            }
        };
        println!("    notices      {notices} at {} on {:?}", p.notice_at, p.channels);
        println!(
            "    at expiry    {}; contents kept {} days after closure",
            expiry_policy(p.expiry),
            p.retention_days
        );
    }
}

pub async fn lifecycle(cmd: LifecycleCommand) -> Result<ExitCode> {
    match cmd {
        LifecycleCommand::Run(a) => run(a).await,
        LifecycleCommand::Simulate(a) if a.convention.is_some() => simulate_file(a),
        LifecycleCommand::Simulate(a) => simulate_store(a).await,
        LifecycleCommand::Bench(a) => lifecycle_bench::run(a).await,
    }
}

async fn run(a: RunArgs) -> Result<ExitCode> {
    let now = a.now.map(|t| t.with_timezone(&Utc));
    let provider = Provider::open_at(&a.data.data, a.data.database.as_deref(), now).await?;
    let engine = &provider.engine;
    let now = now.unwrap_or_else(Utc::now);
    let report = engine.lifecycle_run(now).await?;
    if a.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&json!({ "at": now, "report": report }))?
        );
    } else {
        println!(
            "daily machine at {}: {} subscriptions",
            pec::time::LegalTime::from_utc(now),
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
    engine.store().close().await;
    Ok(if report.errors.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn range(from: NaiveDate, to: NaiveDate, tz: Tz) -> (DateTime<Utc>, DateTime<Utc>) {
    let start = lifecycle::local::start_of_day(tz, from);
    let end = lifecycle::local::start_of_day(tz, to.succ_opt().unwrap_or(to)) - chrono::Duration::seconds(1);
    (start, end)
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

fn print_events(events: &[SimulatedEvent], tz: impl Fn(&str) -> Tz, with_mailbox: bool) {
    for e in events {
        let local = e.at.with_timezone(&tz(&e.mailbox)).format("%Y-%m-%d %H:%M %Z");
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
    let (_, c) = load(file)?;
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
    let sub = activate(&c, plan, &mailbox, holder, activated.with_timezone(&Utc), pricing)?;
    let (start, end) = range(a.from, a.to, c.time_zone);
    println!("{mailbox}: activated {activated}, expiry {}", sub.expiry);
    let events = simulate(&[sub], std::slice::from_ref(&c), &Default::default(), start, end)?;
    print_events(&events, |_| c.time_zone, false);
    Ok(ExitCode::SUCCESS)
}

/// The stored subscriptions (or one), their conventions and what was already done,
/// replayed on copies: nothing is written.
async fn simulate_store(a: SimulateArgs) -> Result<ExitCode> {
    let store = a.data.store().await?;
    let mut c = store.conn().await?;
    let rows = match &a.mailbox {
        Some(m) => {
            let address = store::mailboxes::normalize(m).map_err(|e| anyhow::anyhow!("--mailbox: {e}"))?;
            let row = lc::subscription(&mut c, &address)
                .await?
                .with_context(|| format!("--mailbox: {address} has no subscription"))?;
            vec![row]
        }
        None => lc::list_subscriptions(&mut c, None).await?,
    };
    let mut subs = Vec::new();
    let mut conventions: HashMap<String, Convention> = HashMap::new();
    for row in &rows {
        let sub = decode(row)?;
        if !conventions.contains_key(&sub.convention) {
            let conv = stored_convention(&mut c, &sub.convention, &format!("subscription of {}", sub.mailbox)).await?;
            conventions.insert(sub.convention.clone(), conv);
        }
        subs.push(sub);
    }
    let mut done: HashMap<String, Done> = HashMap::new();
    if let (Some(lo), Some(hi)) = (rows.iter().map(|r| r.id).min(), rows.iter().map(|r| r.id).max()) {
        let mailbox_of: HashMap<i64, &str> = rows.iter().map(|r| (r.id, r.mailbox.as_str())).collect();
        for (id, key) in lc::done_between(&mut c, lo, hi).await? {
            if let (Some(m), Ok(key)) = (mailbox_of.get(&id), serde_json::from_str::<DoneKey>(&key)) {
                done.entry(m.to_string()).or_default().insert(key);
            }
        }
    }
    drop(c);
    store.close().await;
    let tz_of: HashMap<String, Tz> = subs
        .iter()
        .filter_map(|s| conventions.get(&s.convention).map(|c| (s.mailbox.clone(), c.time_zone)))
        .collect();
    let zone = |m: &str| tz_of.get(m).copied().unwrap_or(chrono_tz::Europe::Rome);
    let (start, end) = range(a.from, a.to, chrono_tz::Europe::Rome);
    let conventions: Vec<Convention> = conventions.into_values().collect();
    let events = simulate(&subs, &conventions, &done, start, end)?;
    for s in &subs {
        println!(
            "{}: convention {} plan {}, expiry {}",
            s.mailbox, s.convention, s.plan, s.expiry
        );
    }
    print_events(&events, zone, true);
    Ok(ExitCode::SUCCESS)
}
