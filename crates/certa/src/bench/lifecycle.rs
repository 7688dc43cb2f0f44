//! The benchmark of `certa lifecycle bench`: how long the daily machine takes
//! over many subscriptions (issue 5: "the daily machine over 100 000
//! subscriptions finishes in seconds").
//!
//! A fresh store holds N subscriptions under the three example conventions of
//! `crates/lifecycle/src/convention/format.md` (Aruba, Poste at list price, DCS
//! yearly and two-yearly), stored through the office, with expiry dates spread
//! over the year from `day`. The store is put in the steady state of a machine
//! that ran every day until the day before: the notices already due then are
//! recorded as done, computed with the pure policy. Then, for each of `runs`
//! consecutive days, the office runs the daily machine at noon (a typical day:
//! that day's notices, the suspensions at 11:00 of the boxes expiring that day)
//! and once more at the same instant, when nothing is due (a pure scan).
//!
//! Only the boxes that get an action on a measured day have a mailbox row: a
//! notice is delivered into the mailbox, and a status changes on it; the rest
//! of the machine reads subscriptions alone, so the other rows would change
//! nothing but the setup time.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use chrono::{DateTime, Days, Months, NaiveDate, NaiveTime, Utc};
use engine::Clock;
use engine::lifecycle::Encoded;
use lifecycle::convention::Convention;
use lifecycle::holder::{Holder, TaxId};
use lifecycle::local::instant;
use lifecycle::policy::{Done, due_actions, perform};
use lifecycle::subscription::{Pricing, Subscription, activate};
use office::Office;
use store::lifecycle as lc;

/// What to measure.
#[derive(Debug, Clone)]
pub struct Settings {
    /// How many subscriptions.
    pub subscriptions: u32,
    /// Measured days: each a typical run, then a run with nothing due.
    pub runs: u32,
    /// An empty PostgreSQL database instead of a temporary SQLite one.
    pub database: Option<String>,
    /// The first measured day; expiries are spread over the year from it.
    pub day: NaiveDate,
    /// Keep the temporary data directory.
    pub keep: bool,
}

/// One measured run.
#[derive(Debug, Clone, Copy)]
pub struct Figures {
    /// Subscriptions read.
    pub scanned: usize,
    /// Actions performed.
    pub actions: usize,
    pub wall: Duration,
}

/// How the bench goes, as it goes.
#[derive(Debug, Clone)]
pub enum Step {
    /// The store it runs on.
    Store(String),
    /// The subscriptions are in place.
    Setup {
        subscriptions: u32,
        /// Those with a mailbox row (an action on a measured day).
        mailboxes: usize,
        took: Duration,
    },
    /// One measured day: the typical run, then the one with nothing due.
    Day {
        day: NaiveDate,
        busy: Figures,
        quiet: Figures,
    },
}

/// The measured days.
#[derive(Debug, Clone, Default)]
pub struct Report {
    pub days: Vec<(NaiveDate, Figures, Figures)>,
    /// The data directory, when kept.
    pub kept: Option<PathBuf>,
}

impl Report {
    /// The typical run with the median wall time.
    pub fn median_busy(&self) -> Option<Figures> {
        median(self.days.iter().map(|d| d.1).collect())
    }

    /// The run with nothing due with the median wall time.
    pub fn median_quiet(&self) -> Option<Figures> {
        median(self.days.iter().map(|d| d.2).collect())
    }

    /// Whether the second run of each day found nothing to do: each action
    /// happens once.
    pub fn once(&self) -> bool {
        self.days.iter().all(|d| d.2.actions == 0)
    }
}

const FORMAT: &str = include_str!("../../../lifecycle/src/convention/format.md");
/// The example conventions and, for each, the plans the bench uses and its pricing.
const CONVENTIONS: [(&str, &[&str], Pricing); 3] = [
    ("CROAS-DCS-2024", &["annuale", "biennale"], Pricing::Convention),
    ("OMCEO-AL-0056", &["triennale"], Pricing::Convention),
    // The Poste offer ended in 2016: today's boxes are at list price, with their own expiry.
    ("FNOMCEO-POSTE-2016", &["annuale"], Pricing::ListPrice),
];

fn example(code: &str) -> Result<&'static str> {
    FORMAT
        .split("```toml\n")
        .skip(1)
        .filter_map(|b| b.split("```").next())
        .find(|b| b.contains(code))
        .with_context(|| format!("no example convention {code} in format.md"))
}

/// The bench's clock: stopped, moved to each measured instant.
struct Hands(Mutex<DateTime<Utc>>);

impl Hands {
    fn set(&self, at: DateTime<Utc>) {
        if let Ok(mut now) = self.0.lock() {
            *now = at;
        }
    }
}

impl Clock for Hands {
    fn now(&self) -> DateTime<Utc> {
        self.0.lock().map(|t| *t).unwrap_or_default()
    }
}

/// Runs the bench in a temporary data directory, telling `on_step` each step.
pub async fn run(settings: &Settings, mut on_step: impl FnMut(&Step)) -> Result<Report> {
    let dir = tempfile::Builder::new()
        .prefix("certa-lifecycle-bench-")
        .tempdir()
        .context("cannot create a temporary directory")?;
    let result = measure_days(settings, dir.path(), &mut on_step).await;
    let kept = settings.keep.then(|| dir.keep());
    result.map(|days| Report { days, kept })
}

async fn measure_days(
    settings: &Settings,
    dir: &Path,
    on_step: &mut impl FnMut(&Step),
) -> Result<Vec<(NaiveDate, Figures, Figures)>> {
    let first = settings.day;
    let hands = Arc::new(Hands(Mutex::new(noon(first - Days::new(1)))));
    let office = super::office_in(dir, settings.database.as_deref(), hands.clone()).await?;
    let store = office.store();
    if !lc::live_page(&mut *store.conn().await?, 0, 1).await?.is_empty() {
        bail!(
            "{} already holds subscriptions: give an empty database",
            store.describe()
        );
    }
    on_step(&Step::Store(store.describe()));

    let started = Instant::now();
    let conventions = put_conventions(&office).await?;
    let days: Vec<NaiveDate> = (0..settings.runs).map(|k| first + Days::new(k.into())).collect();
    let instants: Vec<DateTime<Utc>> = days.iter().map(|d| noon(*d)).collect();
    let mut mailboxes = Vec::new();
    let mut subs = Vec::with_capacity(settings.subscriptions as usize);
    for i in 0..settings.subscriptions {
        let (sub, done) = subscription(i, settings.subscriptions, first, &conventions)?;
        let conv = &conventions[&sub.convention];
        if acts_on(&sub, conv, &done, &instants)? {
            mailboxes.push(sub.mailbox.clone());
        }
        subs.push((sub, done));
    }
    insert(&office, &subs).await?;
    insert_mailboxes(&office, &mailboxes).await?;
    drop(subs);
    on_step(&Step::Setup {
        subscriptions: settings.subscriptions,
        mailboxes: mailboxes.len(),
        took: started.elapsed(),
    });

    let mut measured = Vec::new();
    for (day, at) in days.into_iter().zip(instants) {
        hands.set(at);
        let busy = timed_run(&office).await?;
        let quiet = timed_run(&office).await?;
        on_step(&Step::Day { day, busy, quiet });
        measured.push((day, busy, quiet));
    }
    office.close().await;
    Ok(measured)
}

async fn put_conventions(office: &Office) -> Result<BTreeMap<String, Convention>> {
    let mut out = BTreeMap::new();
    for (code, ..) in CONVENTIONS {
        let source = example(code)?;
        office::conventions::create(office, source, false).await?;
        let conv = Convention::from_toml(source)?;
        for domain in &conv.domains {
            office::mailboxes::add_domain(office, domain).await?;
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
fn acts_on(sub: &Subscription, conv: &Convention, done: &Done, instants: &[DateTime<Utc>]) -> Result<bool> {
    let (mut sub, mut done) = (sub.clone(), done.clone());
    let mut acted = false;
    for &at in instants {
        for a in due_actions(&sub, conv, &done, at)? {
            perform(&mut sub, &mut done, &a);
            acted = true;
        }
    }
    Ok(acted)
}

/// The subscriptions, encoded as the engine stores them, and their done keys, a
/// few thousand per transaction (activating them one by one through the office
/// would need a mailbox row each).
async fn insert(office: &Office, subs: &[(Subscription, Done)]) -> Result<()> {
    let now = office.now_ms();
    for chunk in subs.chunks(5000) {
        let mut tx = office.store().begin().await?;
        for (sub, done) in chunk {
            let encoded = Encoded::of(sub)?;
            let stored = lc::insert_subscription(&mut tx, &encoded.row(sub), now).await?;
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
async fn insert_mailboxes(office: &Office, addresses: &[String]) -> Result<()> {
    let hash = store::mailboxes::hash_password("bench-password-not-used")?;
    let now = office.now_ms();
    for chunk in addresses.chunks(5000) {
        let mut tx = office.store().begin().await?;
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

/// One run of the daily machine through the office, at the clock's instant.
async fn timed_run(office: &Office) -> Result<Figures> {
    let t = Instant::now();
    let run = office::daily::run(office).await?;
    let wall = t.elapsed();
    if let Some(e) = run.report.errors.first() {
        bail!(
            "the daily machine reported {} errors, the first: {e}",
            run.report.errors.len()
        );
    }
    Ok(Figures {
        scanned: run.report.subscriptions,
        actions: run.report.performed.values().sum(),
        wall,
    })
}

/// The run with the median wall time.
fn median(mut runs: Vec<Figures>) -> Option<Figures> {
    runs.sort_by_key(|f| f.wall);
    runs.get(runs.len() / 2).copied()
}
