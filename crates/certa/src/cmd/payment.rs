//! `certa payment record|import`: payments of renewal orders registered by the
//! operator, or read from a bank statement (CSV or ISO 20022 camt.053) and matched
//! to the open orders by the order ID in the transfer's reference.
//!
//! `record` exits 1 when the payment is not applied because another payment paid
//! the order (a refund is due): the message on standard error, or with `--json`
//! the report (`"outcome": "order already paid"`) on standard output.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use chrono::{DateTime, FixedOffset, Utc};
use lifecycle::bank::{CsvFormat, TextEncoding, render_report};
use lifecycle::money::Money;
use office::payments::{self, Applied, Payment, PaymentReport, Statement};

use super::{DataArgs, OnCommandLine, print_json};

#[derive(clap::Subcommand)]
pub enum Command {
    /// Register a payment of a renewal order (a transfer seen by hand, a cash payment):
    /// the mailbox is renewed from its old expiry, and reactivated at once if suspended.
    /// Exits 1 when the order was already paid by another payment (refund it).
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
    /// Print the report as JSON.
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
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    data: DataArgs,
}

const NAMES: &[(&str, &str)] = &[("order_id", "ORDER_ID")];

pub async fn run(cmd: Command) -> Result<ExitCode> {
    match cmd {
        Command::Record(a) => record(a).await,
        Command::Import(a) => import(a).await,
    }
}

/// One line for the operator.
fn describe(report: &PaymentReport) -> String {
    match report {
        PaymentReport::Renewed {
            order_id,
            mailbox,
            renewed_from,
            new_expiry,
            reactivated,
            amount,
            ..
        } => format!(
            "order {order_id} paid ({amount}): {mailbox} renewed from {renewed_from} to {new_expiry}{}",
            if *reactivated { ", reactivated at once" } else { "" }
        ),
        PaymentReport::Activated {
            order_id,
            mailbox,
            expiry,
            amount,
            ..
        } => format!("order {order_id} paid ({amount}): {mailbox} created, active until {expiry}"),
        PaymentReport::Declined {
            payment_id,
            order_id,
            reason,
        } => format!("payment {payment_id} of order {order_id} declined: {reason}"),
        PaymentReport::AlreadyApplied { payment_id } => {
            format!("payment {payment_id} already applied: nothing changed")
        }
        PaymentReport::OrderAlreadyPaid {
            payment_id,
            order_id,
            paid_by,
        } => format!(
            "order {order_id} was already paid by payment {}: payment {payment_id} not applied (refund it)",
            paid_by.as_deref().unwrap_or("?")
        ),
    }
}

async fn record(a: RecordArgs) -> Result<ExitCode> {
    let amount = Money::parse(&a.amount).map_err(|e| anyhow::anyhow!("--amount: {e}"))?;
    let office = a.data.office_at(a.now.map(|t| t.with_timezone(&Utc))).await?;
    let payment = Payment {
        order_id: &a.order_id,
        amount,
        payment_id: &a.payment_id,
        paid_at: a.paid_at.map(|t| t.with_timezone(&Utc)),
        source: &a.source,
        detail: None,
    };
    let report = payments::record(&office, &payment).await.named(NAMES)?;
    office.close().await;
    if a.json {
        print_json(&report)?;
    } else if report.refund_due() {
        eprintln!("certa: {}", describe(&report));
    } else {
        println!("{}", describe(&report));
    }
    // Not applied: a script must not take it for a payment recorded.
    Ok(if report.refund_due() {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
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

async fn import(a: ImportArgs) -> Result<ExitCode> {
    let bytes = std::fs::read(&a.file).with_context(|| format!("cannot read {}", a.file.display()))?;
    let name = a.file.display().to_string();
    let csv = csv_format(&a);
    let statement = Statement {
        bytes: &bytes,
        name: &name,
        format: a.format.map(|f| match f {
            Format::Camt053 => payments::Format::Camt053,
            Format::Csv => payments::Format::Csv,
        }),
        csv: &csv,
        dry_run: a.dry_run,
    };
    let office = a.data.office_at(a.now.map(|t| t.with_timezone(&Utc))).await?;
    let import = payments::import(&office, &statement)
        .await
        .map_err(|e| match e.field() {
            Some("statement") => anyhow::anyhow!("{name} cannot be imported: {}", e.reason()),
            _ => anyhow::Error::new(e),
        })?;
    office.close().await;
    if a.json {
        print_json(&import)?;
    } else {
        print!("{}", render_report(&import.lines));
        if import.dry_run {
            println!("dry run: nothing applied");
        }
        for applied in &import.applied {
            match applied {
                Applied::Done { line, applied } => println!("line {line}: {}", describe(applied)),
                Applied::Failed { line, order_id, error } => {
                    println!("line {line}: order {order_id} NOT applied: {error}")
                }
            }
        }
    }
    Ok(if import.failed() {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}
