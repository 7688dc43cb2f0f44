//! Payments of renewal orders: one recorded by the operator or told by a payment
//! provider's webhook, or the credits of a bank statement (CSV or ISO 20022
//! camt.053) matched to the orders by the order ID in the transfer's reference.
//! Each payment is applied once, keyed by its payment id: importing the same
//! statement twice changes nothing. Applying one (the order paid, the
//! subscription renewed from its old expiry, a suspended box reactivated at
//! once) is the engine's [`engine::Engine::apply_payment`]; the checks before
//! it and the report around it are here.

use std::collections::HashSet;

use chrono::{DateTime, NaiveDate, Utc};
use engine::lifecycle::PaymentOutcome;
use lifecycle::bank::{CsvFormat, OpenOrder, Outcome, Parsed, ReportLine, match_lines, parse_camt053, parse_csv};
use lifecycle::money::Money;
use serde::{Serialize, Serializer};
use store::lifecycle::{self as lc, NewPayment, Order};

use crate::subscriptions::engine_refusal;
use crate::{Error, Office, Result};

/// A payment of a renewal order.
#[derive(Debug, Clone)]
pub struct Payment<'a> {
    /// `CRT-YYYY-NNNNNN`.
    pub order_id: &'a str,
    /// VAT included.
    pub amount: Money,
    /// The payment's own id (the bank's CRO/TRN, the card provider's id): a
    /// payment id is applied once.
    pub payment_id: &'a str,
    /// None: now.
    pub paid_at: Option<DateTime<Utc>>,
    /// Who registers it (`operator`, `webhook`), kept with the payment.
    pub source: &'a str,
    /// Kept with the payment (the card provider's method).
    pub detail: Option<&'a str>,
}

/// What a payment did; its serde form is what scripts and the payment webhook's
/// callers read (`"outcome": "renewed"`, ...).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome")]
pub enum PaymentReport {
    /// The order is paid and the subscription renewed (and reactivated).
    #[serde(rename = "renewed")]
    Renewed {
        payment_id: String,
        order_id: String,
        mailbox: String,
        /// The expiry the order renewed from.
        renewed_from: String,
        new_expiry: NaiveDate,
        reactivated: bool,
        /// The order's amount, VAT included (the reports have always left it
        /// out of the JSON: the order has it).
        #[serde(skip)]
        amount: Money,
    },
    /// An activation order is paid: the mailbox exists, active.
    #[serde(rename = "activated")]
    Activated {
        payment_id: String,
        order_id: String,
        mailbox: String,
        expiry: NaiveDate,
        #[serde(skip)]
        amount: Money,
    },
    /// The card provider declined the payment: nothing charged, the order
    /// still open; the attempt is in the lifecycle log.
    #[serde(rename = "declined")]
    Declined {
        payment_id: String,
        order_id: String,
        reason: String,
    },
    /// This payment id was applied before (a retry, a replay): nothing changed.
    #[serde(rename = "already applied")]
    AlreadyApplied { payment_id: String },
    /// Another payment paid the order before: this one is not applied, and the
    /// refund due is in the lifecycle log.
    #[serde(rename = "order already paid")]
    OrderAlreadyPaid {
        payment_id: String,
        order_id: String,
        paid_by: Option<String>,
    },
}

impl PaymentReport {
    fn of(outcome: PaymentOutcome, payment_id: &str) -> PaymentReport {
        let payment_id = payment_id.to_string();
        match outcome {
            PaymentOutcome::Renewed {
                order,
                new_expiry,
                reactivated,
            } => PaymentReport::Renewed {
                payment_id,
                amount: Money::from_cents(order.amount_cents),
                order_id: order.id,
                mailbox: order.mailbox,
                renewed_from: order.renews_expiry,
                new_expiry,
                reactivated,
            },
            PaymentOutcome::Activated { order, expiry } => PaymentReport::Activated {
                payment_id,
                amount: Money::from_cents(order.amount_cents),
                order_id: order.id,
                mailbox: order.mailbox,
                expiry,
            },
            PaymentOutcome::AlreadyApplied => PaymentReport::AlreadyApplied { payment_id },
            PaymentOutcome::OrderAlreadyPaid(order) => PaymentReport::OrderAlreadyPaid {
                payment_id,
                order_id: order.id,
                paid_by: order.payment_id,
            },
        }
    }

    /// Whether the payment was not applied because the order was paid by
    /// another one: the member paid twice and is owed a refund.
    pub fn refund_due(&self) -> bool {
        matches!(self, PaymentReport::OrderAlreadyPaid { .. })
    }
}

/// Records a payment of a renewal order. Refused before anything is written: an
/// empty payment id, an order that does not exist, an amount that is not the
/// open order's (VAT included). A payment id applied before changes nothing; a
/// payment of an order that another payment paid is not applied (a refund is
/// due: [`PaymentReport::refund_due`]).
pub async fn record(office: &Office, p: &Payment<'_>) -> Result<PaymentReport> {
    let payment_id = p.payment_id.trim();
    if payment_id.is_empty() {
        return Err(Error::invalid("payment_id", "empty"));
    }
    check_order(office, p.order_id, p.amount).await?;
    let now = office.now();
    let payment = NewPayment {
        payment_id,
        order_id: p.order_id,
        source: p.source,
        amount_cents: p.amount.cents,
        paid_at: store::millis(p.paid_at.unwrap_or(now)),
        detail: p.detail,
    };
    let outcome = office
        .engine()
        .apply_payment(&payment, now)
        .await
        .map_err(payment_refusal)?;
    Ok(PaymentReport::of(outcome, payment_id))
}

/// A card payment the provider declined: nothing is applied; the attempt is
/// written in the order's lifecycle log (once per payment id) so that the
/// operator can answer the member. An unknown order is not found.
pub async fn declined(
    office: &Office,
    order_id: &str,
    payment_id: &str,
    reason: Option<&str>,
) -> Result<PaymentReport> {
    let payment_id = payment_id.trim();
    if payment_id.is_empty() {
        return Err(Error::invalid("payment_id", "empty"));
    }
    let reason = reason
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .unwrap_or("declined by the card issuer");
    let mut tx = office.store().begin().await?;
    let Some(order) = lc::order(&mut tx, order_id).await? else {
        return Err(Error::not_found(
            "order_id",
            format!("no order {}", order_id.trim().to_ascii_uppercase()),
        ));
    };
    let detail = format!("{} payment {payment_id}: {reason}; nothing charged", order.id);
    let logged = lc::log_of(&mut tx, &order.mailbox)
        .await?
        .iter()
        .any(|e| e.event == "payment-declined" && e.detail == detail);
    if !logged {
        lc::log(
            &mut tx,
            office.now_ms(),
            order.subscription_id,
            &order.mailbox,
            "payment-declined",
            &detail,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(PaymentReport::Declined {
        payment_id: payment_id.to_string(),
        order_id: order.id,
        reason: reason.to_string(),
    })
}

/// The order a payment names, if it exists and, while it is open, the amount is
/// its own. A paid order passes: the engine tells a replay from a second payment.
async fn check_order(office: &Office, order_id: &str, amount: Money) -> Result<Order> {
    let mut c = office.store().conn().await?;
    let Some(order) = lc::order(&mut c, order_id).await? else {
        return Err(Error::not_found(
            "order_id",
            format!(
                "no order {}: check the order ID (CRT-YYYY-NNNNNN)",
                order_id.trim().to_ascii_uppercase()
            ),
        ));
    };
    if order.state == "open" && order.amount_cents != amount.cents {
        return Err(Error::invalid(
            "amount",
            format!(
                "amount {amount} does not match order {}: due {} VAT included; nothing recorded",
                order.id,
                Money::from_cents(order.amount_cents)
            ),
        ));
    }
    Ok(order)
}

/// An order gone meanwhile is not found; a cancelled order, or a subscription
/// whose expiry moved on since the order, is a refusal.
fn payment_refusal(e: engine::Error) -> Error {
    match e {
        engine::Error::Store(store::Error::NotFound { what, key }) => {
            Error::not_found("order_id", format!("{what} not found: {key}"))
        }
        other => engine_refusal(other),
    }
}

/// The format of a bank statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// ISO 20022 bank-to-customer statement (XML), versions .001.02 to .001.08.
    Camt053,
    /// The `;`-separated CSV of Italian home banking, with a header row.
    Csv,
}

/// A bank statement to import.
#[derive(Debug, Clone)]
pub struct Statement<'a> {
    pub bytes: &'a [u8],
    /// Its name, kept with each payment it applies ("line 4 of estratto.csv").
    pub name: &'a str,
    /// None: camt.053 when the text starts with `<`, else CSV.
    pub format: Option<Format>,
    /// How a CSV statement is read (separator, encoding, dates, columns).
    pub csv: &'a CsvFormat,
    /// Report every line's outcome without applying anything.
    pub dry_run: bool,
}

/// What an import did: every line's outcome, then what applying the matched
/// ones did.
#[derive(Debug, Clone, Serialize)]
pub struct Import {
    #[serde(serialize_with = "lines_json")]
    pub lines: Vec<ReportLine>,
    pub applied: Vec<Applied>,
    pub dry_run: bool,
}

impl Import {
    /// Whether a matched line could not be applied.
    pub fn failed(&self) -> bool {
        self.applied.iter().any(|a| matches!(a, Applied::Failed { .. }))
    }
}

/// A matched line applied, or why it could not be.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum Applied {
    Done {
        line: usize,
        applied: PaymentReport,
    },
    Failed {
        line: usize,
        /// The order the line matched (the reports have always left it out of
        /// the JSON: the line has it).
        #[serde(skip)]
        order_id: String,
        error: String,
    },
}

/// Imports a bank statement: each line gets its outcome (the rules are in
/// `lifecycle::bank`), and each matched one is applied as a payment of its
/// order (source `bank`, paid at the start of its booking day in Italy). A file
/// that is not a statement at all (`statement`) is refused whole before
/// anything is written.
pub async fn import(office: &Office, statement: &Statement<'_>) -> Result<Import> {
    let lines = parse(statement)?;
    let now = office.now();
    let (open, applied, paid, cancelled) = {
        let mut c = office.store().conn().await?;
        let open: Vec<OpenOrder> = lc::orders_in(&mut c, "open")
            .await?
            .into_iter()
            .map(|o| OpenOrder {
                id: o.id,
                amount_cents: o.amount_cents,
            })
            .collect();
        let applied: HashSet<String> = lc::applied_payment_ids(&mut c).await?.into_iter().collect();
        let paid = ids(lc::orders_in(&mut c, "paid").await?);
        let cancelled = ids(lc::orders_in(&mut c, "cancelled").await?);
        (open, applied, paid, cancelled)
    };
    let lines = match_lines(&lines, &open, &applied, &paid, &cancelled);
    let mut results = Vec::new();
    if !statement.dry_run {
        for l in &lines {
            let (Outcome::Matched { order }, Some(payment_id), Some(amount), Some(date)) =
                (&l.outcome, &l.payment_id, l.amount_cents, l.booking_date)
            else {
                continue;
            };
            let detail = format!(
                "line {} of {}{}",
                l.line,
                statement.name,
                l.counterparty
                    .as_deref()
                    .map(|c| format!(", from {c}"))
                    .unwrap_or_default()
            );
            let payment = NewPayment {
                payment_id,
                order_id: order,
                source: "bank",
                amount_cents: amount,
                paid_at: store::millis(booked_at(date)),
                detail: Some(&detail),
            };
            results.push(match office.engine().apply_payment(&payment, now).await {
                Ok(outcome) => Applied::Done {
                    line: l.line,
                    applied: PaymentReport::of(outcome, payment_id),
                },
                Err(e) => Applied::Failed {
                    line: l.line,
                    order_id: order.clone(),
                    error: payment_refusal(e).to_string(),
                },
            });
        }
    }
    Ok(Import {
        lines,
        applied: results,
        dry_run: statement.dry_run,
    })
}

fn ids(orders: Vec<Order>) -> HashSet<String> {
    orders.into_iter().map(|o| o.id).collect()
}

fn parse(statement: &Statement<'_>) -> Result<Vec<Parsed>> {
    let bytes = statement.bytes;
    let format = statement.format.unwrap_or_else(|| {
        let text = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
        if text.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'<') {
            Format::Camt053
        } else {
            Format::Csv
        }
    });
    match format {
        Format::Camt053 => parse_camt053(bytes),
        Format::Csv => parse_csv(bytes, statement.csv),
    }
    .map_err(|e| Error::invalid("statement", e.to_string()))
}

/// When a transfer booked on `date` counts as paid: the start of that day in Italy.
fn booked_at(date: NaiveDate) -> DateTime<Utc> {
    lifecycle::local::start_of_day(chrono_tz::Europe::Rome, date)
}

/// The lines as `payment import --json` has always shown them.
fn lines_json<S: Serializer>(lines: &[ReportLine], s: S) -> std::result::Result<S::Ok, S::Error> {
    #[derive(Serialize)]
    struct Line<'a> {
        line: usize,
        outcome: &'static str,
        order_id: Option<&'a str>,
        detail: Option<String>,
        amount_cents: Option<i64>,
        booking_date: Option<NaiveDate>,
        reference: &'a str,
        counterparty: Option<&'a str>,
        payment_id: Option<&'a str>,
    }
    s.collect_seq(lines.iter().map(|l| {
        let order_id = match &l.outcome {
            Outcome::Matched { order }
            | Outcome::AmountMismatch { order, .. }
            | Outcome::AlreadyPaid { order }
            | Outcome::Cancelled { order }
            | Outcome::Duplicate { order: Some(order), .. } => Some(order.as_str()),
            _ => None,
        };
        let detail = match &l.outcome {
            Outcome::Ignored(why) | Outcome::Malformed(why) => Some(why.clone()),
            Outcome::Ambiguous { orders } => Some(orders.join(", ")),
            _ => None,
        };
        Line {
            line: l.line,
            outcome: l.outcome.kind(),
            order_id,
            detail,
            amount_cents: l.amount_cents,
            booking_date: l.booking_date,
            reference: &l.reference,
            counterparty: l.counterparty.as_deref(),
            payment_id: l.payment_id.as_deref(),
        }
    }))
}
