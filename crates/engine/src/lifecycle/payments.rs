//! Payments: an order paid once, its subscription renewed from the old expiry
//! (`../shared/docs/lifecycle.md`: "Paying early does not move the next expiry
//! date: a renewal extends from the old expiry date, never from the payment
//! date") and, when it was suspended, "reactivated at once" (scenario 2). The
//! operator's record, the bank statement's import and the payment webhook all
//! apply a payment here, after the office's checks.

use chrono::{DateTime, NaiveDate, Utc};
use lifecycle::policy::Action;
use store::lifecycle::{self as lc, NewPayment, Order, Recorded};

use super::{Conventions, decode, save};
use crate::{Engine, Error, Result};

/// What a payment did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PaymentOutcome {
    /// The order is paid: the subscription now expires on `new_expiry`.
    Renewed {
        order: Order,
        new_expiry: NaiveDate,
        reactivated: bool,
    },
    AlreadyApplied,
    /// The order was paid before by another payment (the member paid twice).
    OrderAlreadyPaid(Order),
}

impl Engine {
    /// Applies a payment: the order paid, the subscription renewed from its old
    /// expiry (never from the payment date), and at once reactivated if it was
    /// suspended. A payment id already applied changes nothing.
    pub async fn apply_payment(&self, p: &NewPayment<'_>, now: DateTime<Utc>) -> Result<PaymentOutcome> {
        let mut tx = self.store.begin().await?;
        let order = lc::order(&mut tx, p.order_id).await?;
        if let Some(order) = order.as_ref().filter(|o| o.state == "open") {
            let row = lc::subscription_by_id(&mut tx, order.subscription_id).await?;
            if row.expiry != order.renews_expiry || row.state == "deleted" {
                return Err(Error::Invalid(format!(
                    "order {} renews the expiry {} but {} now expires on {} ({}): not applied",
                    order.id, order.renews_expiry, row.mailbox, row.expiry, row.state
                )));
            }
        }
        let paid = match lc::record_payment(&mut tx, p, store::millis(now)).await? {
            Recorded::Paid(order) => order,
            Recorded::AlreadyApplied => return Ok(PaymentOutcome::AlreadyApplied),
            Recorded::OrderAlreadyPaid(order) => {
                // The member paid twice: nothing is applied, and the refund due is on record.
                lc::log(
                    &mut tx,
                    store::millis(now),
                    Some(order.subscription_id),
                    &order.mailbox,
                    "payment-refused",
                    &format!(
                        "{} by {} ({}, {} cents): order already paid by {}; refund due",
                        order.id,
                        p.source,
                        p.payment_id,
                        p.amount_cents,
                        order.payment_id.as_deref().unwrap_or("?")
                    ),
                )
                .await?;
                tx.commit().await?;
                return Ok(PaymentOutcome::OrderAlreadyPaid(order));
            }
        };
        let row = lc::subscription_by_id(&mut tx, paid.subscription_id).await?;
        let sub = decode(&row)?;
        let conv = Conventions::one(&mut tx, &sub.convention).await?;
        let paid_at = store::instant(p.paid_at);
        let renewed = lifecycle::subscription::renew(&sub, &conv, &paid.plan, paid_at)
            .map_err(|e| Error::Invalid(e.to_string()))?;
        save(&mut tx, &row, &renewed, store::millis(now)).await?;
        lc::log(
            &mut tx,
            store::millis(now),
            Some(row.id),
            &row.mailbox,
            "paid",
            &format!(
                "{} by {} ({}, {} cents): expiry {} -> {}",
                paid.id, p.source, p.payment_id, p.amount_cents, sub.expiry, renewed.expiry
            ),
        )
        .await?;
        tx.commit().await?;
        let actions = self.lifecycle_run_one(&row.mailbox, now).await?;
        let reactivated = actions.iter().any(|a| matches!(a, Action::Reactivate { .. }));
        Ok(PaymentOutcome::Renewed {
            order: paid,
            new_expiry: renewed.expiry,
            reactivated,
        })
    }
}
