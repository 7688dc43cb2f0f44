//! `certa lifecycle bench`: how long the daily machine takes over many
//! subscriptions (issue 5: "the daily machine over 100 000 subscriptions
//! finishes in seconds").
//!
//! A fresh store holds N subscriptions under the three example conventions of
//! `crates/lifecycle/src/convention/format.md` (Aruba, Poste at list price, DCS
//! yearly and two-yearly), with expiry dates spread over the year from `--day`.
//! The store is put in the steady state of a machine that ran every day until
//! the day before: the notices already due then are recorded as done, computed
//! with the pure policy. Then, for each of `--runs` consecutive days, the
//! machine runs at noon (a typical day: that day's notices, the suspensions at
//! 11:00 of the boxes expiring that day) and once more at the same instant,
//! when nothing is due (a pure scan).
//!
//! Only the boxes that get an action on a measured day have a mailbox row: a
//! notice is delivered into the mailbox, and a status changes on it; the rest
//! of the machine reads subscriptions alone, so the other rows would change
//! nothing but the setup time.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use chrono::{DateTime, Days, Months, NaiveDate, NaiveTime, Utc};
use lifecycle::convention::Convention;
use lifecycle::holder::{Holder, TaxId};
use lifecycle::local::instant;
use lifecycle::policy::{Done, due_actions, perform};
use lifecycle::subscription::{Pricing, Subscription, activate};
use store::lifecycle::{self as lc, SubscriptionRow};

use super::init::{IndexEntry, create, write_index};
use crate::provider::Provider;
use crate::provider::config::Listen;

#[derive(clap::Args)]
pub struct LifecycleBenchArgs {
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

const FORMAT: &str = include_str!("../../../lifecycle/src/convention/format.md");
/// The example conventions and, for each, the plans the bench uses and its pricing.
const CONVENTIONS: [(&str, &[&str], Pricing); 3] = [
    ("CROAS-DCS-2024", &["annuale", "biennale"], Pricing::Convention),
    ("OMCEO-AL-0056", &["triennale"], Pricing::Convention),
    // The Poste offer ended in 2016: today's boxes are at list price, with their own expiry.
    ("FNOMCEO-POSTE-2016", &["annuale"], Pricing::ListPrice),
];

fn example(code: &str) -> Result<String> {
    FORMAT
        .split("```toml\n")
        .skip(1)
        .filter_map(|b| b.split("```").next())
        .find(|b| b.contains(code))
        .map(str::to_string)
        .with_context(|| format!("no example convention {code} in format.md"))
}

/// One measured run.
#[derive(Debug, Clone, Copy)]
struct Figures {
    scanned: usize,
    actions: usize,
    wall: Duration,
}

pub async fn run(args: LifecycleBenchArgs) -> Result<ExitCode> {
    let stamp = Utc::now().timestamp_micros();
    let dir = std::env::temp_dir().join(format!("certa-lifecycle-bench-{}-{stamp}", std::process::id()));
    let result = bench(&args, &dir).await;
    if args.keep {
        println!("data kept in {}", dir.display());
    } else {
        let _ = std::fs::remove_dir_all(&dir);
    }
    result
}

async fn bench(args: &LifecycleBenchArgs, dir: &std::path::Path) -> Result<ExitCode> {
    let data = dir.join("provider");
    let unused = SocketAddr::from(([127, 0, 0, 1], 0));
    let listen = Listen {
        submission: unused,
        submissions: unused,
        inbound: unused,
    };
    create(&data, "bench.certa.test", "Certa Bench", listen, "../index.toml")?;
    write_index(
        &dir.join("index.toml"),
        &[IndexEntry::of(&data, "bench.certa.test", "Certa Bench", unused)],
    )?;
    let provider = Provider::open(&data, args.database.as_deref()).await?;
    let engine = provider.engine;
    let store = engine.store();
    if !lc::live_page(&mut *store.conn().await?, 0, 1).await?.is_empty() {
        bail!(
            "{} already holds subscriptions: give an empty database",
            store.describe()
        );
    }
    println!("store: {}", store.describe());

    let started = Instant::now();
    let conventions = put_conventions(store).await?;
    let first = args.day;
    let days: Vec<DateTime<Utc>> = (0..args.runs).map(|k| noon(first + Days::new(k.into()))).collect();
    let mut mailboxes = Vec::new();
    let mut subs = Vec::with_capacity(args.subscriptions as usize);
    for i in 0..args.subscriptions {
        let (sub, done) = subscription(i, args.subscriptions, first, &conventions)?;
        let conv = &conventions[&sub.convention];
        if acts_on(&sub, conv, &done, &days)? {
            mailboxes.push(sub.mailbox.clone());
        }
        subs.push((sub, done));
    }
    insert(store, &subs).await?;
    insert_mailboxes(store, &mailboxes).await?;
    drop(subs);
    println!(
        "setup: {} subscriptions ({} with a mailbox row: an action on a measured day) in {:.1} s",
        args.subscriptions,
        mailboxes.len(),
        started.elapsed().as_secs_f64()
    );

    println!();
    println!(
        "{:<12} {:>9} {:>8} {:>10}   {:>9} {:>8} {:>10}",
        "day", "scanned", "actions", "wall", "scanned", "actions", "wall (nothing due)"
    );
    let (mut typical, mut idle) = (Vec::new(), Vec::new());
    for at in &days {
        let busy = measure(&engine, *at).await?;
        let quiet = measure(&engine, *at).await?;
        println!(
            "{:<12} {:>9} {:>8} {:>8.0} ms   {:>9} {:>8} {:>8.0} ms",
            at.with_timezone(&chrono_tz::Europe::Rome).date_naive(),
            busy.scanned,
            busy.actions,
            ms(busy.wall),
            quiet.scanned,
            quiet.actions,
            ms(quiet.wall)
        );
        typical.push(busy);
        idle.push(quiet);
    }
    let (t, q) = (median(&typical), median(&idle));
    println!(
        "{:<12} {:>9} {:>8} {:>8.0} ms   {:>9} {:>8} {:>8.0} ms",
        "median",
        t.scanned,
        t.actions,
        ms(t.wall),
        q.scanned,
        q.actions,
        ms(q.wall)
    );
    store.close().await;
    Ok(if idle.iter().all(|f| f.actions == 0) {
        ExitCode::SUCCESS
    } else {
        eprintln!("a second run at the same instant performed actions: each action must happen once");
        ExitCode::FAILURE
    })
}

async fn put_conventions(store: &store::Store) -> Result<BTreeMap<String, Convention>> {
    let now = store::millis(Utc::now());
    let mut c = store.conn().await?;
    let mut out = BTreeMap::new();
    for (code, ..) in CONVENTIONS {
        let source = example(code)?;
        let conv = Convention::from_toml(&source)?;
        lc::put_convention(&mut c, &conv.code, &source, false, now).await?;
        for domain in &conv.domains {
            store::mailboxes::add_domain(&mut c, domain, now).await?;
        }
        out.insert(conv.code.clone(), conv);
    }
    Ok(out)
}

/// 12:00 in Rome on `day`: after the DCS suspensions of 11:00.
fn noon(day: NaiveDate) -> DateTime<Utc> {
    instant(
        chrono_tz::Europe::Rome,
        day,
        NaiveTime::from_hms_opt(12, 0, 0).unwrap_or_default(),
    )
}

/// The `i`-th subscription of `n`, expiring within the year from `first`, and
/// what a machine running every day until the day before did for it.
fn subscription(
    i: u32,
    n: u32,
    first: NaiveDate,
    conventions: &BTreeMap<String, Convention>,
) -> Result<(Subscription, Done)> {
    let (code, plans, pricing) = CONVENTIONS[(i % 3) as usize];
    let conv = &conventions[code];
    let plan = conv.plan(plans[(i / 3) as usize % plans.len()]).context("plan")?;
    // Expiries spread evenly but not in id order over the 365 days from `first`.
    let offset = u64::from(i) * 7919 % u64::from(n) * 365 / u64::from(n);
    let expiry = first + Days::new(offset);
    let activated = expiry - Months::new(plan.first_term_months);
    let at = instant(
        conv.time_zone,
        activated,
        NaiveTime::from_hms_opt(10, 0, 0).unwrap_or_default(),
    );
    let holder = Holder {
        tax_id: TaxId::parse("RSSMRA85T10A562S")?,
        name: format!("Titolare {i}"),
        billing_address: "Via Roma 1, 00100 Roma".into(),
        reference_email: Some(format!("titolare{i}@example.com")),
    };
    let domain = &conv.domains[0];
    let mut sub = activate(
        conv,
        &plan.name,
        &format!("casella{i:06}@{domain}"),
        holder,
        at,
        pricing,
    )?;
    let mut done = Done::new();
    let yesterday = noon(first - Days::new(1));
    for _ in 0..8 {
        let actions = due_actions(&sub, conv, &done, yesterday)?;
        if actions.is_empty() {
            break;
        }
        for a in &actions {
            perform(&mut sub, &mut done, a);
        }
    }
    Ok((sub, done))
}

/// Whether the machine does something for `sub` on one of the measured days.
fn acts_on(sub: &Subscription, conv: &Convention, done: &Done, days: &[DateTime<Utc>]) -> Result<bool> {
    let (mut sub, mut done) = (sub.clone(), done.clone());
    let mut acted = false;
    for &at in days {
        for a in due_actions(&sub, conv, &done, at)? {
            perform(&mut sub, &mut done, &a);
            acted = true;
        }
    }
    Ok(acted)
}

/// The subscriptions and their done keys, a few thousand per transaction.
async fn insert(store: &store::Store, subs: &[(Subscription, Done)]) -> Result<()> {
    let now = store::millis(Utc::now());
    for chunk in subs.chunks(5000) {
        let mut tx = store.begin().await?;
        for (sub, done) in chunk {
            let data = serde_json::to_string(sub)?;
            let expiry = sub.expiry.to_string();
            let row = SubscriptionRow {
                mailbox: &sub.mailbox,
                convention: &sub.convention,
                tax_id: sub.holder.tax_id.as_str(),
                state: engine::lifecycle::state_name(&sub.state),
                expiry: &expiry,
                cancelled_at: sub.cancelled_at.map(store::millis),
                data: &data,
            };
            let stored = lc::insert_subscription(&mut tx, &row, now).await?;
            for key in done.iter() {
                lc::mark_done(&mut tx, stored.id, &serde_json::to_string(key)?, now).await?;
            }
        }
        tx.commit().await?;
    }
    Ok(())
}

/// Mailbox rows for the boxes that get actions. `mailboxes::create` hashes a
/// password with argon2id for each (tens of milliseconds): the rows here share
/// one hash, and their folders are created on first delivery.
async fn insert_mailboxes(store: &store::Store, addresses: &[String]) -> Result<()> {
    let hash = store::mailboxes::hash_password("bench-password-not-used")?;
    let now = store::millis(Utc::now());
    for chunk in addresses.chunks(5000) {
        let mut tx = store.begin().await?;
        for address in chunk {
            let domain = address.rsplit('@').next().unwrap_or_default();
            store::sqlx::query(
                "INSERT INTO mailboxes (address, domain, password_hash, status, quota_bytes, used_bytes, created_at)
                 VALUES ($1, $2, $3, 'active', $4, 0, $5)",
            )
            .bind(address)
            .bind(domain)
            .bind(&hash)
            .bind(store::mailboxes::DEFAULT_QUOTA)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
    }
    Ok(())
}

async fn measure(engine: &engine::Engine, at: DateTime<Utc>) -> Result<Figures> {
    let t = Instant::now();
    let report = engine.lifecycle_run(at).await?;
    let wall = t.elapsed();
    if let Some(e) = report.errors.first() {
        bail!(
            "the daily machine reported {} errors, the first: {e}",
            report.errors.len()
        );
    }
    Ok(Figures {
        scanned: report.subscriptions,
        actions: report.performed.values().sum(),
        wall,
    })
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// The run with the median wall time.
fn median(runs: &[Figures]) -> Figures {
    let mut sorted = runs.to_vec();
    sorted.sort_by_key(|f| f.wall);
    sorted[sorted.len() / 2]
}
