//! Deciding what each statement line is: the rules are in the module doc of `bank`.
//!
//! They implement the payment rules of `../shared/docs/lifecycle.md`
//! ("Renewal notices"): the renewal order's summary gives the member the
//! "ID ORDINE da inserire nella causale di pagamento" and the "IMPORTO da
//! versare" (Aruba, in the doctors' Order's notice), so a transfer names its
//! order in its reference and pays that amount; card and PayPal payments are
//! registered at once ("vedere registrato subito il tuo pagamento"), so an
//! order may already be paid when its transfer shows up. The statement's own
//! flags are ISO 20022 camt.053's (the "Entry" building block): credit or
//! debit (`CdtDbtInd`) and status (`Sts`, final when `BOOK`).

use std::collections::HashSet;

use chrono::NaiveDate;

use super::order_ref::OrderIndex;
use super::{ORDER_CURRENCY, Parsed, StatementLine};

/// An open renewal order to be paid: its ID appears in the transfer's reference (the member copies it there).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenOrder {
    /// e.g. `CRT-2025-000123`.
    pub id: String,
    /// The amount due, VAT included.
    pub amount_cents: i64,
}

/// What a statement line is, for the operator and for the caller that records payments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Pays `order` in full: the caller records the payment under the line's `payment_id`.
    Matched { order: String },
    /// Names one open order but pays another amount: not applied, an operator decides.
    AmountMismatch { order: String, expected: i64, paid: i64 },
    /// Names no known order.
    Unmatched,
    /// Names several distinct orders.
    Ambiguous { orders: Vec<String> },
    /// Already applied: its payment id was recorded before, or an earlier line of
    /// the same file has the same id. `order` is the order its reference names, if exactly one.
    Duplicate { order: Option<String>, payment_id: String },
    /// Names an order that is already paid (by an earlier import, or an earlier line of this file).
    AlreadyPaid { order: String },
    /// Names an order that was cancelled (a cancellation, a closure): it cannot be paid.
    Cancelled { order: String },
    /// Cannot pay an order: a debit, a zero amount, another currency, an entry not booked.
    Ignored(String),
    /// The parser could not read the line.
    Malformed(String),
}

impl Outcome {
    /// A short name for reports and totals.
    pub fn kind(&self) -> &'static str {
        match self {
            Outcome::Matched { .. } => "matched",
            Outcome::AmountMismatch { .. } => "amount mismatch",
            Outcome::Unmatched => "unmatched",
            Outcome::Ambiguous { .. } => "ambiguous",
            Outcome::Duplicate { .. } => "duplicate",
            Outcome::AlreadyPaid { .. } => "already paid",
            Outcome::Cancelled { .. } => "cancelled",
            Outcome::Ignored(_) => "ignored",
            Outcome::Malformed(_) => "malformed",
        }
    }
}

/// One statement line and its outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportLine {
    pub line: usize,
    pub amount_cents: Option<i64>,
    pub reference: String,
    /// The id to record when the line is applied (the bank's, or the synthetic one);
    /// `None` for malformed and ignored lines.
    pub payment_id: Option<String>,
    pub booking_date: Option<NaiveDate>,
    pub counterparty: Option<String>,
    pub outcome: Outcome,
}

/// The id under which a payment from this line is recorded: the bank's id of the
/// transaction, or `syn-` and a stable hash of booking date, amount, currency,
/// reference and counterparty (whitespace runs collapsed, case kept) when the bank gives none.
pub fn payment_id(line: &StatementLine) -> String {
    if let Some(id) = line.bank_id.as_deref().map(str::trim).filter(|id| !id.is_empty()) {
        return id.to_string();
    }
    let mut hash = Fnv1a64::new();
    for field in [
        line.booking_date.format("%Y-%m-%d").to_string(),
        line.amount_cents.to_string(),
        line.currency.to_ascii_uppercase(),
        collapse_whitespace(&line.reference),
        collapse_whitespace(line.counterparty.as_deref().unwrap_or("")),
    ] {
        hash.write(field.as_bytes());
        // A unit separator keeps ("ab", "c") and ("a", "bc") apart.
        hash.write(&[0x1f]);
    }
    format!("syn-{:016x}", hash.0)
}

/// Gives every line its [`Outcome`], following the rules of the module doc.
///
/// `already_applied`: payment ids recorded before (so running the import twice
/// changes nothing); `paid_orders`: orders already paid by any means;
/// `cancelled_orders`: orders cancelled, which no payment can pay.
pub fn match_lines(
    lines: &[Parsed],
    open: &[OpenOrder],
    already_applied: &HashSet<String>,
    paid_orders: &HashSet<String>,
    cancelled_orders: &HashSet<String>,
) -> Vec<ReportLine> {
    let index = OrderIndex::new(
        open.iter()
            .map(|o| o.id.as_str())
            .chain(paid_orders.iter().map(String::as_str))
            .chain(cancelled_orders.iter().map(String::as_str)),
    );
    let known = Known {
        open,
        already_applied,
        paid_orders,
        cancelled_orders,
    };
    let mut state = RunState {
        seen_ids: HashSet::new(),
        paid_now: HashSet::new(),
    };
    lines
        .iter()
        .map(|parsed| match parsed {
            Parsed::Malformed { line, reason } => ReportLine {
                line: *line,
                amount_cents: None,
                reference: String::new(),
                payment_id: None,
                booking_date: None,
                counterparty: None,
                outcome: Outcome::Malformed(reason.clone()),
            },
            Parsed::Line(l) => {
                let (payment_id, outcome) = match ignore_reason(l) {
                    Some(reason) => (None, Outcome::Ignored(reason)),
                    None => {
                        let id = payment_id(l);
                        let outcome = decide(l, &id, &index, &known, &mut state);
                        (Some(id), outcome)
                    }
                };
                ReportLine {
                    line: l.line,
                    amount_cents: Some(l.amount_cents),
                    reference: l.reference.clone(),
                    payment_id,
                    booking_date: Some(l.booking_date),
                    counterparty: l.counterparty.clone(),
                    outcome,
                }
            }
        })
        .collect()
}

/// The orders and payments on record before the import.
struct Known<'a> {
    open: &'a [OpenOrder],
    already_applied: &'a HashSet<String>,
    paid_orders: &'a HashSet<String>,
    cancelled_orders: &'a HashSet<String>,
}

/// What the lines before the current one did.
struct RunState {
    seen_ids: HashSet<String>,
    paid_now: HashSet<String>,
}

/// Why a line cannot pay an order, if so. Money received is a credit (camt.053
/// `CdtDbtInd` `CRDT`) in the orders' currency that is booked (`Sts` `BOOK`:
/// a pending or information-only entry may still change).
fn ignore_reason(l: &StatementLine) -> Option<String> {
    if l.amount_cents < 0 {
        Some("debit".to_string())
    } else if l.amount_cents == 0 {
        Some("zero amount".to_string())
    } else if !l.currency.eq_ignore_ascii_case(ORDER_CURRENCY) {
        Some(format!("currency {}, orders are in {ORDER_CURRENCY}", l.currency))
    } else if !l.booked {
        Some("entry not booked yet".to_string())
    } else {
        None
    }
}

fn decide(l: &StatementLine, id: &str, index: &OrderIndex, known: &Known<'_>, state: &mut RunState) -> Outcome {
    // lifecycle.md: the order ID is "to be written in the bank transfer's reference".
    let mut orders = index.find(&l.reference);
    let first_time = state.seen_ids.insert(id.to_string());
    if known.already_applied.contains(id) || !first_time {
        let order = if orders.len() == 1 { orders.pop() } else { None };
        return Outcome::Duplicate {
            order,
            payment_id: id.to_string(),
        };
    }
    match orders.len() {
        0 => Outcome::Unmatched,
        1 => {
            let order = orders.remove(0);
            // Paid already, perhaps by card or PayPal, "registrato subito".
            if known.paid_orders.contains(&order) || state.paid_now.contains(&order) {
                return Outcome::AlreadyPaid { order };
            }
            if known.cancelled_orders.contains(&order) {
                return Outcome::Cancelled { order };
            }
            // The index holds open, paid and cancelled orders; the others returned above.
            let expected = known.open.iter().find(|o| o.id == order).map_or(0, |o| o.amount_cents);
            // The "IMPORTO da versare", to the cent: anything else is an operator's call.
            if expected == l.amount_cents {
                state.paid_now.insert(order.clone());
                Outcome::Matched { order }
            } else {
                Outcome::AmountMismatch {
                    order,
                    expected,
                    paid: l.amount_cents,
                }
            }
        }
        _ => Outcome::Ambiguous { orders },
    }
}

fn collapse_whitespace(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// FNV-1a, 64 bits: tiny, and fixed by its definition, so an id computed today
/// is the same in every later build (std's hasher promises no such thing).
struct Fnv1a64(u64);

impl Fnv1a64 {
    fn new() -> Self {
        Fnv1a64(0xcbf2_9ce4_8422_2325)
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 ^= u64::from(b);
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(n: usize, cents: i64, reference: &str, bank_id: Option<&str>) -> Parsed {
        Parsed::Line(StatementLine {
            line: n,
            booking_date: NaiveDate::from_ymd_opt(2025, 3, 12).unwrap(),
            value_date: None,
            amount_cents: cents,
            currency: "EUR".into(),
            reference: reference.into(),
            counterparty: Some("Mario Rossi".into()),
            bank_id: bank_id.map(Into::into),
            booked: true,
        })
    }

    fn open() -> Vec<OpenOrder> {
        vec![
            OpenOrder {
                id: "CRT-2025-000123".into(),
                amount_cents: 793,
            },
            OpenOrder {
                id: "CRT-2025-000124".into(),
                amount_cents: 1464,
            },
        ]
    }

    fn outcomes(lines: &[Parsed], applied: &HashSet<String>, paid: &HashSet<String>) -> Vec<Outcome> {
        match_lines(lines, &open(), applied, paid, &HashSet::new())
            .into_iter()
            .map(|r| r.outcome)
            .collect()
    }

    #[test]
    fn synthetic_id_is_stable_and_known() {
        let Parsed::Line(l) = line(1, 793, "CRT-2025-000123  Rossi", None) else {
            unreachable!()
        };
        let mut spaced = l.clone();
        spaced.reference = " CRT-2025-000123 Rossi ".into();
        spaced.line = 9;
        assert_eq!(payment_id(&l), payment_id(&spaced));
        assert!(payment_id(&l).starts_with("syn-"));
        // Pinned (checked against an independent FNV-1a): the id is stored, so it must never change.
        assert_eq!(payment_id(&l), "syn-fccf93e029eee416");
        let mut other = l.clone();
        other.amount_cents = 794;
        assert_ne!(payment_id(&l), payment_id(&other));
    }

    #[test]
    fn a_second_transfer_for_a_paid_order_is_already_paid_but_a_copy_is_duplicate() {
        let lines = [
            line(1, 793, "CRT-2025-000123", Some("A1")),
            line(2, 793, "CRT-2025-000123", Some("A2")),
            line(3, 793, "CRT-2025-000123", Some("A1")),
        ];
        assert_eq!(
            outcomes(&lines, &HashSet::new(), &HashSet::new()),
            vec![
                Outcome::Matched {
                    order: "CRT-2025-000123".into()
                },
                Outcome::AlreadyPaid {
                    order: "CRT-2025-000123".into()
                },
                Outcome::Duplicate {
                    order: Some("CRT-2025-000123".into()),
                    payment_id: "A1".into()
                },
            ]
        );
    }

    #[test]
    fn identical_lines_without_bank_id_are_duplicates() {
        let lines = [
            line(1, 793, "CRT-2025-000123", None),
            line(2, 793, "CRT-2025-000123", None),
        ];
        let got = outcomes(&lines, &HashSet::new(), &HashSet::new());
        assert_eq!(
            got[0],
            Outcome::Matched {
                order: "CRT-2025-000123".into()
            }
        );
        assert!(matches!(&got[1], Outcome::Duplicate { order: Some(o), .. } if o == "CRT-2025-000123"));
    }

    #[test]
    fn an_order_in_paid_orders_is_already_paid() {
        let paid: HashSet<String> = ["CRT-2025-000123".to_string()].into();
        let got = outcomes(&[line(1, 793, "crt2025000123", Some("B"))], &HashSet::new(), &paid);
        assert_eq!(
            got,
            vec![Outcome::AlreadyPaid {
                order: "CRT-2025-000123".into()
            }]
        );
    }

    #[test]
    fn a_paid_order_and_an_open_one_in_one_reference_are_ambiguous() {
        let paid: HashSet<String> = ["CRT-2024-000001".to_string()].into();
        let got = outcomes(
            &[line(1, 793, "CRT-2024-000001 CRT-2025-000123", Some("C"))],
            &HashSet::new(),
            &paid,
        );
        assert_eq!(
            got,
            vec![Outcome::Ambiguous {
                orders: vec!["CRT-2024-000001".into(), "CRT-2025-000123".into()]
            }]
        );
    }

    #[test]
    fn an_order_cancelled_is_named_as_cancelled_not_unmatched() {
        let cancelled: HashSet<String> = ["CRT-2025-000099".to_string()].into();
        let lines = [
            line(1, 793, "RINNOVO PEC CRT 2025 000099", Some("K1")),
            line(2, 793, "CRT-2025-000099 CRT-2025-000123", Some("K2")),
        ];
        let got: Vec<Outcome> = match_lines(&lines, &open(), &HashSet::new(), &HashSet::new(), &cancelled)
            .into_iter()
            .map(|r| r.outcome)
            .collect();
        assert_eq!(
            got,
            vec![
                Outcome::Cancelled {
                    order: "CRT-2025-000099".into()
                },
                Outcome::Ambiguous {
                    orders: vec!["CRT-2025-000099".into(), "CRT-2025-000123".into()]
                },
            ]
        );
        assert_eq!(got[0].kind(), "cancelled");
    }

    #[test]
    fn ignored_lines_have_no_payment_id() {
        let mut usd = line(2, 793, "CRT-2025-000123", Some("U"));
        if let Parsed::Line(l) = &mut usd {
            l.currency = "USD".into();
        }
        let mut pending = line(4, 793, "CRT-2025-000123", Some("P"));
        if let Parsed::Line(l) = &mut pending {
            l.booked = false;
        }
        let lines = [
            line(1, -793, "CRT-2025-000123", Some("D")),
            usd,
            line(3, 0, "", Some("Z")),
            pending,
        ];
        let report = match_lines(&lines, &open(), &HashSet::new(), &HashSet::new(), &HashSet::new());
        assert!(
            report
                .iter()
                .all(|r| matches!(r.outcome, Outcome::Ignored(_)) && r.payment_id.is_none())
        );
    }
}
