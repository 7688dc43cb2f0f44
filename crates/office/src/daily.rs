//! The daily machine as an operator drives it: one run at the office's instant
//! (the engine performs it: `engine::lifecycle`), and simulations over a date
//! range that write nothing: of the stored subscriptions, taking into account
//! what was already done, or of one subscription under a convention's text
//! before it is stored.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use engine::lifecycle::RunReport;
use lifecycle::convention::Convention;
use lifecycle::holder::{Holder, TaxId};
use lifecycle::policy::{Action, Done, DoneKey};
use lifecycle::simulate::{SimulatedEvent, simulate as replay};
use lifecycle::subscription::{Pricing, activate};
use serde::Serialize;
use store::lifecycle as lc;

use crate::conventions;
use crate::subscriptions::readable;
use crate::{Error, Office, Result};

/// One run of the daily machine.
#[derive(Debug, Clone, Serialize)]
pub struct Run {
    pub at: DateTime<Utc>,
    pub report: RunReport,
}

impl Run {
    /// Whether a subscription or a convention could not be read (the rest was done).
    pub fn failed(&self) -> bool {
        !self.report.errors.is_empty()
    }
}

/// Runs the daily machine once at the office's instant: the cancellations
/// received by PEC, then every due notice, suspension, reactivation, closure and
/// deletion, each once.
pub async fn run(office: &Office) -> Result<Run> {
    let at = office.now();
    let report = office.engine().lifecycle_run(at).await?;
    Ok(Run { at, report })
}

/// A subscription as a simulation starts from it.
#[derive(Debug, Clone, Serialize)]
pub struct Simulated {
    pub mailbox: String,
    pub convention: String,
    pub plan: String,
    pub expiry: NaiveDate,
}

/// What the daily machine would do, and when, in the convention's zone.
#[derive(Debug, Clone, Serialize)]
pub struct Event {
    pub at: DateTime<Tz>,
    pub mailbox: String,
    pub action: Action,
}

/// A simulation of the stored subscriptions.
#[derive(Debug, Clone, Serialize)]
pub struct Simulation {
    pub subscriptions: Vec<Simulated>,
    pub events: Vec<Event>,
}

/// Every notice, suspension, closure and deletion the stored subscriptions not
/// deleted (or the one of `mailbox`) would see from `from` to `to` (Italian
/// days, both included), replayed on copies with what was already done:
/// nothing is written.
pub async fn simulate(office: &Office, mailbox: Option<&str>, from: NaiveDate, to: NaiveDate) -> Result<Simulation> {
    let mut c = office.store().conn().await?;
    let rows = match mailbox {
        Some(m) => {
            let address = store::mailboxes::normalize(m).map_err(|e| Error::invalid("mailbox", e.to_string()))?;
            let row = lc::subscription(&mut c, &address)
                .await?
                .ok_or_else(|| Error::not_found("mailbox", format!("{address} has no subscription")))?;
            vec![row]
        }
        None => lc::list_subscriptions(&mut c, None).await?,
    };
    let mut subs = Vec::new();
    let mut conventions: HashMap<String, Convention> = HashMap::new();
    for row in &rows {
        let sub = readable(row)?;
        if !conventions.contains_key(&sub.convention) {
            let conv = conventions::of_subscription(&mut c, &sub).await?;
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
    let zone_of: HashMap<String, Tz> = subs
        .iter()
        .filter_map(|s| conventions.get(&s.convention).map(|c| (s.mailbox.clone(), c.time_zone)))
        .collect();
    let (start, end) = range(from, to, chrono_tz::Europe::Rome);
    let conventions: Vec<Convention> = conventions.into_values().collect();
    let events = replay(&subs, &conventions, &done, start, end).map_err(|e| Error::corrupt(e.to_string()))?;
    Ok(Simulation {
        subscriptions: subs
            .into_iter()
            .map(|s| Simulated {
                mailbox: s.mailbox,
                convention: s.convention,
                plan: s.plan,
                expiry: s.expiry,
            })
            .collect(),
        events: events
            .into_iter()
            .map(|e| {
                let zone = zone_of.get(&e.mailbox).copied().unwrap_or(chrono_tz::Europe::Rome);
                event(e, zone)
            })
            .collect(),
    })
}

/// One subscription to simulate under a convention's text.
#[derive(Debug, Clone)]
pub struct Trial<'a> {
    pub plan: &'a str,
    pub activated: DateTime<Utc>,
    /// None: `demo@` the convention's first domain.
    pub mailbox: Option<&'a str>,
    /// The holder's ordinary e-mail, for notices on that channel.
    pub reference_email: Option<&'a str>,
    pub pricing: Pricing,
}

/// A simulation of one subscription under a convention's text.
#[derive(Debug, Clone, Serialize)]
pub struct TrialSimulation {
    pub mailbox: String,
    pub expiry: NaiveDate,
    pub events: Vec<Event>,
}

/// What the daily machine would do from `from` to `to` (days in the
/// convention's zone, both included) to one subscription activated under the
/// convention `source` (checked whole, as [`conventions::check`] does): an
/// operator tries a convention before storing it. Needs no provider.
pub fn simulate_convention(source: &str, trial: &Trial<'_>, from: NaiveDate, to: NaiveDate) -> Result<TrialSimulation> {
    let conv = conventions::parse(source)?;
    let mailbox = trial.mailbox.map_or_else(
        || format!("demo@{}", conv.domains.first().cloned().unwrap_or_default()),
        str::to_string,
    );
    // A simulation needs a holder; this is the textbook example codice fiscale.
    let holder = Holder {
        tax_id: TaxId::parse("RSSMRA85T10A562S").map_err(|e| Error::corrupt(format!("example codice fiscale: {e}")))?,
        name: "Simulazione".into(),
        billing_address: String::new(),
        reference_email: trial.reference_email.map(str::to_string),
    };
    let sub = activate(&conv, trial.plan, &mailbox, holder, trial.activated, trial.pricing)
        .map_err(|e| Error::refused(e.to_string()))?;
    let (start, end) = range(from, to, conv.time_zone);
    let expiry = sub.expiry;
    let events = replay(&[sub], std::slice::from_ref(&conv), &Default::default(), start, end)
        .map_err(|e| Error::refused(e.to_string()))?;
    Ok(TrialSimulation {
        mailbox,
        expiry,
        events: events.into_iter().map(|e| event(e, conv.time_zone)).collect(),
    })
}

/// From the start of `from` to the last second of `to`, local days in `zone`.
fn range(from: NaiveDate, to: NaiveDate, zone: Tz) -> (DateTime<Utc>, DateTime<Utc>) {
    let start = lifecycle::local::start_of_day(zone, from);
    let end = lifecycle::local::start_of_day(zone, to.succ_opt().unwrap_or(to)) - chrono::Duration::seconds(1);
    (start, end)
}

fn event(e: SimulatedEvent, zone: Tz) -> Event {
    Event {
        at: e.at.with_timezone(&zone),
        mailbox: e.mailbox,
        action: e.action,
    }
}
