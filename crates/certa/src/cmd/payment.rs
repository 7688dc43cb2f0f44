//! `certa payment record|import`: payments of renewal orders registered by the
//! operator, or read from a bank statement (CSV or ISO 20022 camt.053) and matched
//! to the open orders by the order ID in the transfer's reference. Each payment is
//! applied once, keyed by its payment id: importing the same statement twice
//! changes nothing.

use std::collections::HashSet;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use engine::lifecycle::PaymentOutcome;
use lifecycle::bank::{
    CsvFormat, OpenOrder, Outcome, Parsed, ReportLine, TextEncoding, match_lines, parse_camt053, parse_csv,
    render_report,
};
use lifecycle::money::Money;
use serde_json::{Value, json};
use store::Store;
use store::lifecycle::{self as lc, NewPayment, Order};

use super::DataArgs;
use crate::provider::Provider;

#[derive(clap::Subcommand)]
pub enum Command {
    /// Register a payment of a renewal order (a transfer seen by hand, a cash payment):
    /// the mailbox is renewed from its old expiry, and reactivated at once if suspended.
    Record(RecordArgs),
    /// Read a bank statement, match each credit to an open order by the order ID in its
    /// reference, print the outcome of every line and apply the matched ones.
    Import(ImportArgs),
}

#[derive(clap::Args)]
pub struct RecordArgs {
    /// The order ID, `CRT-YYYY-NNNNNN`.
    order_id: String,
    /// The amount paid, VAT included: `7.93` or `7,93`.
    #[arg(long)]
    amount: String,
    /// The payment's own id (the bank's CRO/TRN, the card provider's id): a payment id
    /// is applied once.
    #[arg(long)]
    payment_id: String,
    /// When it was paid (RFC 3339); default now.
    #[arg(long)]
    paid_at: Option<DateTime<FixedOffset>>,
    /// Who registers it, kept with the payment.
    #[arg(long, default_value = "operator")]
    source: String,
    /// Apply it as at this instant (RFC 3339) instead of now: the reactivation and the
    /// log happen at that time.
    #[arg(long)]
    now: Option<DateTime<FixedOffset>>,
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    data: DataArgs,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// ISO 20022 bank-to-customer statement (XML).
    Camt053,
    /// The `;`-separated CSV of Italian home banking, with a header row.
    Csv,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Encoding {
    /// UTF-8, else Latin-1.
    Auto,
    Utf8,
    /// ISO-8859-1 / Windows-1252, as spreadsheets write.
    Latin1,
}

#[derive(clap::Args)]
pub struct ImportArgs {
    /// The statement file.
    file: PathBuf,
    /// Default: camt053 when the file starts with `<`, else csv.
    #[arg(long, value_enum)]
    format: Option<Format>,
    /// Print the report without applying anything.
    #[arg(long)]
    dry_run: bool,
    /// CSV: the field separator.
    #[arg(long, default_value_t = ';')]
    separator: char,
    /// CSV: the text encoding.
    #[arg(long, value_enum, default_value_t = Encoding::Auto)]
    encoding: Encoding,
    /// CSV: the dates' format (chrono), e.g. `%Y-%m-%d`.
    #[arg(long, default_value = "%d/%m/%Y")]
    date_format: String,
    /// Apply the payments as at this instant (RFC 3339) instead of now.
    #[arg(long)]
    now: Option<DateTime<FixedOffset>>,
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    data: DataArgs,
}

pub async fn run(cmd: Command) -> Result<ExitCode> {
    match cmd {
        Command::Record(a) => record(a).await,
        Command::Import(a) => import(a).await,
    }
}

/// Why a payment is refused before anything is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    UnknownOrder(String),
    AmountMismatch { order: String, due: Money, paid: Money },
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refusal::UnknownOrder(id) => write!(f, "no order {id}: check the order ID (CRT-YYYY-NNNNNN)"),
            Refusal::AmountMismatch { order, due, paid } => write!(
                f,
                "amount {paid} does not match order {order}: due {due} VAT included; nothing recorded"
            ),
        }
    }
}

/// The order a payment names, if it exists and, while it is open, the amount is its
/// own. A paid order passes: the engine tells a replay from a second payment.
pub async fn check_order(store: &Store, order_id: &str, amount_cents: i64) -> Result<Result<Order, Refusal>> {
    let mut c = store.conn().await?;
    let Some(order) = lc::order(&mut c, order_id).await? else {
        return Ok(Err(Refusal::UnknownOrder(order_id.trim().to_ascii_uppercase())));
    };
    if order.state == "open" && order.amount_cents != amount_cents {
        return Ok(Err(Refusal::AmountMismatch {
            order: order.id,
            due: Money::from_cents(order.amount_cents),
            paid: Money::from_cents(amount_cents),
        }));
    }
    Ok(Ok(order))
}

/// A payment's outcome for scripts and the webhook.
pub fn outcome_json(outcome: &PaymentOutcome, payment_id: &str) -> Value {
    match outcome {
        PaymentOutcome::Renewed {
            order,
            new_expiry,
            reactivated,
        } => json!({
            "outcome": "renewed",
            "payment_id": payment_id,
            "order_id": order.id,
            "mailbox": order.mailbox,
            "renewed_from": order.renews_expiry,
            "new_expiry": new_expiry.to_string(),
            "reactivated": reactivated,
        }),
        PaymentOutcome::AlreadyApplied => json!({ "outcome": "already applied", "payment_id": payment_id }),
        PaymentOutcome::OrderAlreadyPaid(order) => json!({
            "outcome": "order already paid",
            "payment_id": payment_id,
            "order_id": order.id,
            "paid_by": order.payment_id,
        }),
    }
}

/// One line for the operator.
pub fn describe_outcome(outcome: &PaymentOutcome, payment_id: &str) -> String {
    match outcome {
        PaymentOutcome::Renewed {
            order,
            new_expiry,
            reactivated,
        } => format!(
            "order {} paid ({}): {} renewed from {} to {new_expiry}{}",
            order.id,
            Money::from_cents(order.amount_cents),
            order.mailbox,
            order.renews_expiry,
            if *reactivated { ", reactivated at once" } else { "" }
        ),
        PaymentOutcome::AlreadyApplied => format!("payment {payment_id} already applied: nothing changed"),
        PaymentOutcome::OrderAlreadyPaid(order) => format!(
            "order {} was already paid by payment {}: payment {payment_id} not applied (refund it)",
            order.id,
            order.payment_id.as_deref().unwrap_or("?")
        ),
    }
}

async fn record(a: RecordArgs) -> Result<ExitCode> {
    let amount = Money::parse(&a.amount).map_err(|e| anyhow::anyhow!("--amount: {e}"))?;
    if a.payment_id.trim().is_empty() {
        bail!("--payment-id: empty");
    }
    let now = a.now.map(|t| t.with_timezone(&Utc));
    let provider = Provider::open_at(&a.data.data, a.data.database.as_deref(), now).await?;
    let engine = &provider.engine;
    let now = now.unwrap_or_else(Utc::now);
    if let Err(refusal) = check_order(engine.store(), &a.order_id, amount.cents).await? {
        let field = match refusal {
            Refusal::UnknownOrder(_) => "ORDER_ID",
            Refusal::AmountMismatch { .. } => "--amount",
        };
        bail!("{field}: {refusal}");
    }
    let paid_at = a.paid_at.map_or(now, |t| t.with_timezone(&Utc));
    let payment = NewPayment {
        payment_id: a.payment_id.trim(),
        order_id: &a.order_id,
        source: &a.source,
        amount_cents: amount.cents,
        paid_at: store::millis(paid_at),
        detail: None,
    };
    let outcome = engine.apply_payment(&payment, now).await?;
    if a.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&outcome_json(&outcome, payment.payment_id))?
        );
    } else {
        println!("{}", describe_outcome(&outcome, payment.payment_id));
    }
    engine.store().close().await;
    Ok(ExitCode::SUCCESS)
}

fn csv_format(a: &ImportArgs) -> CsvFormat {
    CsvFormat {
        separator: a.separator,
        encoding: match a.encoding {
            Encoding::Auto => TextEncoding::Auto,
            Encoding::Utf8 => TextEncoding::Utf8,
            Encoding::Latin1 => TextEncoding::Latin1,
        },
        date_format: a.date_format.clone(),
        ..CsvFormat::default()
    }
}

fn read_statement(a: &ImportArgs) -> Result<Vec<Parsed>> {
    let bytes = std::fs::read(&a.file).with_context(|| format!("cannot read {}", a.file.display()))?;
    let format = a.format.unwrap_or_else(|| {
        let text = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(&bytes);
        if text.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'<') {
            Format::Camt053
        } else {
            Format::Csv
        }
    });
    let parsed = match format {
        Format::Camt053 => parse_camt053(&bytes),
        Format::Csv => parse_csv(&bytes, &csv_format(a)),
    };
    parsed.with_context(|| format!("{} cannot be imported", a.file.display()))
}

fn line_json(l: &ReportLine) -> Value {
    let order = match &l.outcome {
        Outcome::Matched { order }
        | Outcome::AmountMismatch { order, .. }
        | Outcome::AlreadyPaid { order }
        | Outcome::Duplicate { order: Some(order), .. } => Some(order.clone()),
        _ => None,
    };
    let detail = match &l.outcome {
        Outcome::Ignored(why) | Outcome::Malformed(why) => Some(why.clone()),
        Outcome::Ambiguous { orders } => Some(orders.join(", ")),
        _ => None,
    };
    json!({
        "line": l.line,
        "outcome": l.outcome.kind(),
        "order_id": order,
        "detail": detail,
        "amount_cents": l.amount_cents,
        "booking_date": l.booking_date.map(|d| d.to_string()),
        "reference": l.reference,
        "counterparty": l.counterparty,
        "payment_id": l.payment_id,
    })
}

/// When a transfer booked on `date` counts as paid: the start of that day in Italy.
fn booked_at(date: NaiveDate) -> DateTime<Utc> {
    lifecycle::local::start_of_day(chrono_tz::Europe::Rome, date)
}

async fn import(a: ImportArgs) -> Result<ExitCode> {
    let lines = read_statement(&a)?;
    let now = a.now.map(|t| t.with_timezone(&Utc));
    let provider = Provider::open_at(&a.data.data, a.data.database.as_deref(), now).await?;
    let engine = &provider.engine;
    let now = now.unwrap_or_else(Utc::now);
    let (open, applied, paid) = {
        let mut c = engine.store().conn().await?;
        let open: Vec<OpenOrder> = lc::orders_in(&mut c, "open")
            .await?
            .into_iter()
            .map(|o| OpenOrder {
                id: o.id,
                amount_cents: o.amount_cents,
            })
            .collect();
        let applied: HashSet<String> = lc::applied_payment_ids(&mut c).await?.into_iter().collect();
        let paid: HashSet<String> = lc::orders_in(&mut c, "paid").await?.into_iter().map(|o| o.id).collect();
        (open, applied, paid)
    };
    let report = match_lines(&lines, &open, &applied, &paid);
    if !a.json {
        print!("{}", render_report(&report));
    }
    let mut results = Vec::new();
    let mut failed = false;
    if a.dry_run {
        if !a.json {
            println!("dry run: nothing applied");
        }
    } else {
        let source = a.file.display().to_string();
        for l in &report {
            let (Outcome::Matched { order }, Some(payment_id), Some(amount), Some(date)) =
                (&l.outcome, &l.payment_id, l.amount_cents, l.booking_date)
            else {
                continue;
            };
            let detail = format!(
                "line {} of {source}{}",
                l.line,
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
            match engine.apply_payment(&payment, now).await {
                Ok(outcome) => {
                    if !a.json {
                        println!("line {}: {}", l.line, describe_outcome(&outcome, payment_id));
                    }
                    results.push(json!({ "line": l.line, "applied": outcome_json(&outcome, payment_id) }));
                }
                Err(e) => {
                    failed = true;
                    if !a.json {
                        println!("line {}: order {order} NOT applied: {e}", l.line);
                    }
                    results.push(json!({ "line": l.line, "error": e.to_string() }));
                }
            }
        }
    }
    if a.json {
        let lines: Vec<Value> = report.iter().map(line_json).collect();
        println!(
            "{}",
            serde_json::to_string_pretty(&json!({ "lines": lines, "applied": results, "dry_run": a.dry_run }))?
        );
    }
    engine.store().close().await;
    Ok(if failed { ExitCode::FAILURE } else { ExitCode::SUCCESS })
}
