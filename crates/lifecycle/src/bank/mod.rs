//! Bank statements: CSV and ISO 20022 camt.053, matched to renewal orders.
//!
//! A member pays a renewal order by bank transfer and copies the order ID into
//! the transfer's reference (`../shared/docs/lifecycle.md`, "Renewal notices").
//! The operator downloads the account statement from the bank and imports it;
//! this module reads it and decides, line by line, what each transfer is. It
//! only reads the bytes it is given and returns a verdict: recording payments,
//! remembering what was applied and reactivating mailboxes belong to the caller.
//!
//! Two steps, syntax apart from behaviour:
//!
//! 1. [`parse_camt053`] and [`parse_csv`] turn a file into [`Parsed`] lines. A
//!    line the parser cannot read (no amount, a bad date, a bad number) becomes
//!    [`Parsed::Malformed`] and the parse goes on; only a file that is not a
//!    statement at all (not XML, not camt.053, no header row) is a [`BankError`].
//! 2. [`match_lines`] gives every line an [`Outcome`]; [`render_report`] prints
//!    them for the operator.
//!
//! # Matching rules
//!
//! Applied in this order to each line; the first that applies decides.
//!
//! 1. A line the parser could not read is **Malformed**, with the reason.
//! 2. A debit (amount below zero), a zero amount, a currency other than EUR,
//!    or a camt entry not booked (`Sts` other than `BOOK`) is **Ignored**: only
//!    booked credits in euro can pay an order.
//! 3. Every other line has a *payment id*: the bank's own id of the transaction
//!    (camt `AcctSvcrRef`, else `Refs/AcctSvcrRef`, `Refs/TxId`, `Refs/EndToEndId`;
//!    the CSV id column), or, when the bank gives none, a synthetic id
//!    `syn-<16 hex>`: a stable hash (FNV-1a 64) of booking date, amount,
//!    currency, reference and counterparty (see [`payment_id`]). A line whose
//!    payment id is in `already_applied`, or equals the id of an earlier line of
//!    the same file, is a **Duplicate**: nothing is applied twice, and running
//!    the import again on the same file changes nothing.
//!    *Risk of the synthetic id*: two genuine transfers with the same date,
//!    amount, reference and payer (a member paying twice by mistake on the same
//!    day) hash alike, so the second one is reported as a Duplicate; the
//!    operator checks the statement and refunds or applies it by hand.
//! 4. The order IDs in the reference are looked for among the open orders,
//!    `paid_orders` and `cancelled_orders`, case-insensitively and tolerating
//!    the separators banks drop or add (`CRT2025000123`, `crt-2025-000123`,
//!    `CRT 2025 000123` and `CRT/2025/000123` all name `CRT-2025-000123`, also
//!    when a camt reference is split over two `Ustrd` lines); an ID never
//!    matches part of a longer alphanumeric run (`CRT-2025-0001234` does not
//!    name `CRT-2025-000123`).
//!    - no order found: **Unmatched** (the operator assigns it);
//!    - several distinct orders: **Ambiguous** (one transfer for two renewals,
//!      or a typo: the operator splits or assigns it);
//!    - one order already paid (in `paid_orders`, or matched by an earlier line
//!      of the same file with another payment id): **AlreadyPaid** (the member
//!      paid twice: the operator refunds);
//!    - one order cancelled (in `cancelled_orders`: the subscription was
//!      cancelled or closed): **Cancelled** (it cannot be paid: the operator
//!      refunds or assigns it);
//!    - one open order and the amount equal to the cent: **Matched**;
//!    - one open order and another amount: **AmountMismatch**, never applied
//!      automatically (a partial payment or a missing VAT: the operator decides).
//!
//! A transfer paid in a different format later (the same transfer read once
//! from the CSV and once from the camt, with different ids) is still never
//! applied twice as long as the caller passes the orders it has paid in
//! `paid_orders`: the second reading is AlreadyPaid.
//!
//! A camt entry that books several transactions at once (batch booking, more
//! than one `TxDtls`) is one line whose reference joins all its remittance
//! information; with two order IDs it is Ambiguous and the operator splits it.

mod amount;
mod camt;
mod csv;
mod matching;
mod order_ref;
mod report;

use chrono::NaiveDate;

pub use camt::parse_camt053;
pub use csv::{CsvFormat, TextEncoding, parse_csv};
pub use matching::{OpenOrder, Outcome, ReportLine, match_lines, payment_id};
pub use report::render_report;

/// The currency orders are priced in; lines in any other currency are ignored.
pub const ORDER_CURRENCY: &str = "EUR";

/// One transaction read from a statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatementLine {
    /// 1-based: the physical line a CSV record starts on, or the ordinal of the
    /// `<Ntry>` in a camt file (counted across all its statements).
    pub line: usize,
    pub booking_date: NaiveDate,
    pub value_date: Option<NaiveDate>,
    /// Credits positive, debits negative.
    pub amount_cents: i64,
    /// ISO 4217 code, upper case.
    pub currency: String,
    /// The remittance information (causale) as the bank gives it.
    pub reference: String,
    /// The payer for a credit, the payee for a debit.
    pub counterparty: Option<String>,
    /// The bank's stable id of the transaction, when it gives one.
    pub bank_id: Option<String>,
    /// False for a camt entry whose status is not `BOOK` (pending, information only).
    pub booked: bool,
}

/// A statement line, or the reason it could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Parsed {
    Line(StatementLine),
    Malformed { line: usize, reason: String },
}

impl Parsed {
    pub fn line(&self) -> usize {
        match self {
            Parsed::Line(l) => l.line,
            Parsed::Malformed { line, .. } => *line,
        }
    }
}

/// A file that cannot be read as a statement at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BankError {
    #[error("the statement is empty")]
    Empty,
    #[error("the statement is not well-formed XML (at byte {position}): {reason}")]
    NotXml { position: u64, reason: String },
    #[error("the file is not an ISO 20022 camt.053 bank-to-customer statement: {0}")]
    NotCamt053(String),
    #[error("the CSV statement is not valid UTF-8 (at byte {position}); set the format's encoding to Latin-1")]
    NotUtf8 { position: usize },
    #[error(
        "the CSV statement has no header row with the columns {missing}; first line: {first_line:?} \
         (check the separator {separator:?} and the column names of the CSV format)"
    )]
    NoHeader {
        missing: String,
        first_line: String,
        separator: char,
    },
}
