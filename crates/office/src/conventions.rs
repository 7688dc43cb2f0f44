//! Conventions between an Order and the provider: a TOML text (the format is
//! `crates/lifecycle/src/convention/format.md`) checked whole before anything is
//! stored, then shown as its plans, prices net/VAT/gross, notices, expiry policy
//! and payers.

use chrono::{NaiveDate, NaiveTime};
use lifecycle::convention::{Channel, Convention, ExpiryPolicy, NoticeKind, NoticeSchedule, Payer, Price, RenewalMode};
use lifecycle::money::{Money, VatRate};
use lifecycle::subscription::Subscription;
use serde::Serialize;
use store::lifecycle as lc;

use crate::amounts::{percent, plain, plain_opt};
use crate::{Error, Office, Result};

/// A convention as people read it.
#[derive(Debug, Clone, Serialize)]
pub struct ConventionReport {
    pub code: String,
    pub order: String,
    pub domains: Vec<String>,
    pub time_zone: String,
    pub offer: Offer,
    pub common_expiry: Option<NaiveDate>,
    pub list_price: Option<PriceReport>,
    /// Where its notices tell holders to send a cancellation, if not the
    /// provider's management address.
    pub cancellation_address: Option<String>,
    /// Who pays, by period of expiry dates; none: the member always.
    pub payers: Vec<PayerPeriod>,
    pub plans: Vec<PlanReport>,
}

/// Dates on which activations get the convention's prices, both included.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Offer {
    pub from: NaiveDate,
    /// None: open-ended.
    pub to: Option<NaiveDate>,
}

#[derive(Debug, Clone, Copy, Serialize)]
pub struct PriceReport {
    #[serde(serialize_with = "plain")]
    pub net: Money,
    #[serde(rename = "vat_percent", serialize_with = "percent")]
    pub vat: VatRate,
    /// VAT included, the VAT rounded half-up to the cent.
    #[serde(serialize_with = "plain")]
    pub gross: Money,
}

impl From<Price> for PriceReport {
    fn from(p: Price) -> PriceReport {
        PriceReport {
            net: p.net,
            vat: p.vat,
            gross: p.gross(),
        }
    }
}

#[derive(Debug, Clone, Copy, Serialize)]
pub struct PayerPeriod {
    pub payer: Payer,
    /// None: since always.
    pub from: Option<NaiveDate>,
    /// None: for ever.
    pub to: Option<NaiveDate>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PlanReport {
    pub name: String,
    pub first_term_months: u32,
    pub renewal_term_months: u32,
    pub price: PriceReport,
    pub renewal: RenewalMode,
    pub quota_bytes: u64,
    /// When the renewal notices are due: "every 7 days from 90 days before
    /// expiry", "30 days before, 5 days before, 25 days after".
    pub notices: String,
    /// The local time of day a notice of a given day is due.
    pub notice_at: NaiveTime,
    pub channels: Vec<Channel>,
    /// What happens at expiry without a renewal: "suspended at 11:00 on the
    /// expiry day for 20 days, then closed".
    pub at_expiry: String,
    /// Days the contents are kept after closure.
    pub retention_days: u32,
}

/// A convention in the list: what `convention list --json` has always shown.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub code: String,
    pub order: String,
    pub domains: Vec<String>,
    pub time_zone: String,
    pub offer: Offer,
    pub common_expiry: Option<NaiveDate>,
    /// The list price, VAT included.
    #[serde(serialize_with = "plain_opt")]
    pub list_price: Option<Money>,
    pub plans: Vec<PlanPrice>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PlanPrice {
    pub name: String,
    #[serde(serialize_with = "plain")]
    pub net: Money,
    #[serde(rename = "vat_percent", serialize_with = "percent")]
    pub vat: VatRate,
    #[serde(serialize_with = "plain")]
    pub gross: Money,
    pub first_term_months: u32,
    pub renewal_term_months: u32,
}

/// A stored convention: the text as it was given, and what it says.
#[derive(Debug, Clone, Serialize)]
pub struct Stored {
    pub source: String,
    pub convention: ConventionReport,
}

/// Checks a convention's text whole; nothing is stored. The error (`source`)
/// names the field at fault: `plans[0].net: negative amount "-6.50"`.
pub fn check(source: &str) -> Result<ConventionReport> {
    Ok(report(&parse(source)?))
}

/// Stores a convention from its text, checked whole first: on any error nothing
/// is stored. A code that exists is refused unless `replace` (the subscriptions
/// under it then follow the new text).
pub async fn create(office: &Office, source: &str, replace: bool) -> Result<ConventionReport> {
    let conv = parse(source)?;
    let mut c = office.store().conn().await?;
    lc::put_convention(&mut c, &conv.code, source, replace, office.now_ms())
        .await
        .map_err(|e| match e {
            store::Error::Conflict(reason) => Error::refused(reason),
            other => other.into(),
        })?;
    Ok(report(&conv))
}

/// The stored convention `code` (any case).
pub async fn show(office: &Office, code: &str) -> Result<Stored> {
    let mut c = office.store().conn().await?;
    let conv = stored(&mut c, code, "code").await?;
    let source = lc::convention(&mut c, code)
        .await?
        .map(|s| s.source)
        .unwrap_or_default();
    Ok(Stored {
        source,
        convention: report(&conv),
    })
}

/// The stored conventions, by code.
pub async fn list(office: &Office) -> Result<Vec<Summary>> {
    let mut c = office.store().conn().await?;
    lc::conventions(&mut c)
        .await?
        .iter()
        .map(|s| readable(&s.code, &s.source).map(|conv| summary(&conv)))
        .collect()
}

/// The convention `code` as stored and parsed; an unknown code is an error
/// about the input `field`, listing the known ones.
pub(crate) async fn stored(c: &mut store::Conn, code: &str, field: &'static str) -> Result<Convention> {
    let Some(stored) = lc::convention(c, code).await? else {
        let known: Vec<String> = lc::conventions(c).await?.into_iter().map(|c| c.code).collect();
        return Err(Error::not_found(
            field,
            format!(
                "unknown convention code \"{}\" (known: {})",
                code.trim(),
                if known.is_empty() {
                    "none stored yet".to_string()
                } else {
                    known.join(", ")
                }
            ),
        ));
    };
    readable(&stored.code, &stored.source)
}

/// The convention a stored subscription is under.
pub(crate) async fn of_subscription(c: &mut store::Conn, sub: &Subscription) -> Result<Convention> {
    match lc::convention(c, &sub.convention).await? {
        Some(stored) => readable(&stored.code, &stored.source),
        None => Err(Error::corrupt(format!(
            "subscription of {}: unknown convention code \"{}\"",
            sub.mailbox, sub.convention
        ))),
    }
}

fn readable(code: &str, source: &str) -> Result<Convention> {
    Convention::from_toml(source)
        .map_err(|e| Error::corrupt(format!("convention {code} stored in the database is not valid: {e}")))
}

/// A convention's text, parsed and validated; the error is about `source`.
pub(crate) fn parse(source: &str) -> Result<Convention> {
    Convention::from_toml(source).map_err(|e| Error::invalid("source", e.to_string()))
}

fn summary(c: &Convention) -> Summary {
    Summary {
        code: c.code.clone(),
        order: c.order.clone(),
        domains: c.domains.clone(),
        time_zone: c.time_zone.name().to_string(),
        offer: offer(c),
        common_expiry: c.common_expiry,
        list_price: c.list_price.map(|p| p.gross()),
        plans: c
            .plans
            .iter()
            .map(|p| PlanPrice {
                name: p.name.clone(),
                net: p.price.net,
                vat: p.price.vat,
                gross: p.price.gross(),
                first_term_months: p.first_term_months,
                renewal_term_months: p.renewal_term_months,
            })
            .collect(),
    }
}

fn offer(c: &Convention) -> Offer {
    Offer {
        from: c.offer.from,
        to: c.offer.to,
    }
}

pub(crate) fn report(c: &Convention) -> ConventionReport {
    ConventionReport {
        code: c.code.clone(),
        order: c.order.clone(),
        domains: c.domains.clone(),
        time_zone: c.time_zone.name().to_string(),
        offer: offer(c),
        common_expiry: c.common_expiry,
        list_price: c.list_price.map(PriceReport::from),
        cancellation_address: c.cancellation_address.clone(),
        payers: c
            .payers
            .iter()
            .map(|p| PayerPeriod {
                payer: p.payer,
                from: p.from,
                to: p.to,
            })
            .collect(),
        plans: c
            .plans
            .iter()
            .map(|p| PlanReport {
                name: p.name.clone(),
                first_term_months: p.first_term_months,
                renewal_term_months: p.renewal_term_months,
                price: p.price.into(),
                renewal: p.renewal,
                quota_bytes: p.quota_bytes,
                notices: notices(&p.notices),
                notice_at: p.notice_at,
                channels: p.channels.clone(),
                at_expiry: at_expiry(p.expiry),
                retention_days: p.retention_days,
            })
            .collect(),
    }
}

fn notices(schedule: &NoticeSchedule) -> String {
    match schedule {
        NoticeSchedule::Offsets(kinds) => kinds.iter().map(|k| notice_kind(*k)).collect::<Vec<_>>().join(", "),
        NoticeSchedule::Every {
            every_days,
            from_days_before,
        } => format!("every {every_days} days from {from_days_before} days before expiry"),
    }
}

fn notice_kind(k: NoticeKind) -> String {
    match k {
        NoticeKind::Before { days } => format!("{days} days before"),
        NoticeKind::After { days } => format!("{days} days after"),
        NoticeKind::Recurring { days_before } => format!("{days_before} days before"),
    }
}

fn at_expiry(p: ExpiryPolicy) -> String {
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
