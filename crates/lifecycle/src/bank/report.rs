//! The operator's report of an import.

use std::collections::BTreeMap;

use super::amount::format_cents;
use super::matching::{Outcome, ReportLine};

/// One line per statement line with its outcome, then the count of each outcome
/// and the total of the matched amounts. Plain text, for a terminal or an e-mail.
pub fn render_report(lines: &[ReportLine]) -> String {
    let mut out = String::new();
    for l in lines {
        let amount = l.amount_cents.map(format_cents).unwrap_or_else(|| "-".into());
        let reference: String = l.reference.split_whitespace().collect::<Vec<_>>().join(" ");
        let reference = if reference.chars().count() > 60 {
            format!("{}...", reference.chars().take(57).collect::<String>())
        } else {
            reference
        };
        out.push_str(&format!(
            "line {:>5}  {:>12}  {:<50}  {}\n",
            l.line,
            amount,
            describe(&l.outcome),
            reference
        ));
    }
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for l in lines {
        *counts.entry(l.outcome.kind()).or_default() += 1;
    }
    let matched: i64 = lines
        .iter()
        .filter(|l| matches!(l.outcome, Outcome::Matched { .. }))
        .filter_map(|l| l.amount_cents)
        .fold(0i64, i64::saturating_add);
    let counts: Vec<String> = counts.iter().map(|(k, n)| format!("{n} {k}")).collect();
    out.push_str(&format!(
        "{} lines: {}\n",
        lines.len(),
        if counts.is_empty() {
            "none".into()
        } else {
            counts.join(", ")
        }
    ));
    out.push_str(&format!("matched total: {} EUR\n", format_cents(matched)));
    out
}

fn describe(outcome: &Outcome) -> String {
    match outcome {
        Outcome::Matched { order } => format!("matched {order}"),
        Outcome::AmountMismatch { order, expected, paid } => format!(
            "amount mismatch {order}: due {}, paid {}",
            format_cents(*expected),
            format_cents(*paid)
        ),
        Outcome::Unmatched => "unmatched: no order ID".into(),
        Outcome::Ambiguous { orders } => format!("ambiguous: {}", orders.join(", ")),
        Outcome::Duplicate {
            order: Some(order),
            payment_id,
        } => format!("duplicate {order} ({payment_id})"),
        Outcome::Duplicate {
            order: None,
            payment_id,
        } => format!("duplicate ({payment_id})"),
        Outcome::AlreadyPaid { order } => format!("already paid {order}"),
        Outcome::Cancelled { order } => format!("cancelled {order}: it cannot be paid"),
        Outcome::Ignored(why) => format!("ignored: {why}"),
        Outcome::Malformed(why) => format!("malformed: {why}"),
    }
}
