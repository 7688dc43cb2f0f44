//! Renewal orders: the one order that renews a subscription from its current
//! expiry (`../shared/docs/lifecycle.md`, "Renewal notices": the notice names
//! the order, its amount with VAT and how to pay it).
//!
//! The daily machine creates it with the first renewal notice of a member-paid
//! period; the operator or the holder asks for it through the office
//! (`subscription renew`). Both go through [`ensure_order`], so an expiry has
//! one order, numbered once, whoever asked first.

use chrono::{DateTime, Datelike, Utc};
use lifecycle::convention::Convention;
use lifecycle::subscription::{Pricing, Subscription};
use store::Conn;
use store::lifecycle::{self as lc, NewOrder, Order, StoredSubscription};

use crate::{Error, Result};

/// The renewal order for the subscription's current expiry (created once, in
/// the caller's transaction), priced with `plan` (a plan change at renewal) or
/// the current plan: the plan's price under the convention, or the convention's
/// list price for a subscription at list price. A new order is numbered
/// `CRT-<year>-<6 digits>` by its creation's year in the convention's zone.
pub async fn ensure_order(
    c: &mut Conn,
    row: &StoredSubscription,
    sub: &Subscription,
    conv: &Convention,
    plan: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Order> {
    let plan_name = plan.unwrap_or(&sub.plan);
    let price = match sub.pricing {
        Pricing::ListPrice => conv.list_price,
        Pricing::Convention => conv.plan(plan_name).map(|p| p.price),
    }
    .ok_or_else(|| {
        Error::Invalid(format!(
            "convention {} has no plan \"{plan_name}\" or no list price",
            conv.code
        ))
    })?;
    let new = NewOrder {
        subscription_id: row.id,
        mailbox: &row.mailbox,
        plan: plan_name,
        renews_expiry: &sub.expiry.to_string(),
        net_cents: price.net.cents,
        vat_basis_points: i64::from(price.vat.basis_points),
        amount_cents: price.gross().cents,
    };
    let year = now.with_timezone(&conv.time_zone).year();
    Ok(lc::ensure_order(c, &new, year, store::millis(now)).await?)
}
