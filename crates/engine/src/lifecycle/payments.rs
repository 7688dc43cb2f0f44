//! Payments: an order paid once, its subscription renewed from the old expiry
//! (`../shared/docs/lifecycle.md`: "Paying early does not move the next expiry
//! date: a renewal extends from the old expiry date, never from the payment
//! date") and, when it was suspended, "reactivated at once" (scenario 2). The
//! operator's record, the bank statement's import and the payment webhook all
//! apply a payment here, after the office's checks.

use chrono::{DateTime, NaiveDate, Utc};
use lifecycle::holder::Holder;
use lifecycle::notice::Topic;
use lifecycle::policy::Action;
use lifecycle::subscription::{Pricing, SubscriptionError, activate};
use store::Tx;
use store::activations;
use store::lifecycle::{self as lc, NewPayment, Order, Recorded};
use store::mailboxes;

use super::{Conventions, Encoded, decode, save};
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
    /// An activation order is paid: the mailbox exists, active until `expiry`.
    Activated {
        order: Order,
        expiry: NaiveDate,
    },
}

impl Engine {
    /// Applies a payment: the order paid, the subscription renewed from its old
    /// expiry (never from the payment date), and at once reactivated if it was
    /// suspended. A payment id already applied changes nothing.
    pub async fn apply_payment(&self, p: &NewPayment<'_>, now: DateTime<Utc>) -> Result<PaymentOutcome> {
        let mut tx = self.store.begin().await?;
        let order = lc::order(&mut tx, p.order_id).await?;
        if let Some((order, id)) = order
            .as_ref()
            .filter(|o| o.state == "open")
            .and_then(|o| Some((o, o.subscription_id?)))
        {
            let row = lc::subscription_by_id(&mut tx, id).await?;
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
                    order.subscription_id,
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
        let Some(subscription_id) = paid.subscription_id else {
            let expiry = self.activate_paid(&mut tx, &paid, p, now).await?;
            tx.commit().await?;
            self.wake.notify_waiters();
            return Ok(PaymentOutcome::Activated { order: paid, expiry });
        };
        let row = lc::subscription_by_id(&mut tx, subscription_id).await?;
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
        // A box still active is told of its new expiry here; a suspended one by
        // the reactivation's own notice below.
        if row.state == "active" {
            let text = self.notice_text(&renewed, &conv, Topic::Renewed, now, None, None)?;
            self.send_on_plan_channels(&mut tx, &renewed, &conv, &text, store::millis(now))
                .await?;
        }
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

impl Engine {
    /// The paid order of a mailbox bought on the web: in the payment's
    /// transaction, the mailbox created with the password chosen at the order
    /// and the plan's quota, the subscription activated now (its first term runs
    /// from the payment; from the order's day when the offer window closed
    /// meanwhile, at the price the order fixed), the holder told. The
    /// subscription's expiry.
    async fn activate_paid(
        &self,
        tx: &mut Tx,
        order: &Order,
        p: &NewPayment<'_>,
        now: DateTime<Utc>,
    ) -> Result<NaiveDate> {
        let now_ms = store::millis(now);
        let reservation = activations::of_order(tx, &order.id)
            .await?
            .ok_or_else(|| Error::Invalid(format!("order {} is an activation without its reservation", order.id)))?;
        let holder: Holder = serde_json::from_str(&reservation.holder)
            .map_err(|e| Error::Invalid(format!("the holder of order {} cannot be read: {e}", order.id)))?;
        let pricing: Pricing = serde_json::from_value(serde_json::Value::String(reservation.pricing.clone()))
            .map_err(|e| Error::Invalid(format!("the pricing of order {} cannot be read: {e}", order.id)))?;
        let conv = Conventions::one(tx, &reservation.convention).await?;
        let sub = match activate(
            &conv,
            &reservation.plan,
            &reservation.mailbox,
            holder.clone(),
            now,
            pricing,
        ) {
            Err(SubscriptionError::OfferWindowEnded { .. }) => activate(
                &conv,
                &reservation.plan,
                &reservation.mailbox,
                holder,
                store::instant(order.created_at),
                pricing,
            ),
            other => other,
        }
        .map_err(|e| Error::Invalid(format!("order {}: {e}", order.id)))?;
        let quota = conv.plan(&sub.plan).map_or(0, |plan| plan.quota_bytes as i64);
        mailboxes::create_hashed(tx, &reservation.mailbox, &reservation.password_hash, quota, now_ms).await?;
        let encoded = Encoded::of(&sub)?;
        let row = lc::insert_subscription(tx, &encoded.row(&sub), now_ms).await?;
        activations::activated(tx, &order.id, row.id).await?;
        lc::log(
            tx,
            now_ms,
            Some(row.id),
            &row.mailbox,
            "activated",
            &format!(
                "convention {} plan {} expiry {}: order {} paid by {} ({}, {} cents)",
                conv.code, sub.plan, sub.expiry, order.id, p.source, p.payment_id, p.amount_cents
            ),
        )
        .await?;
        let text = self.notice_text(&sub, &conv, Topic::Activated, now, None, None)?;
        self.send_on_plan_channels(tx, &sub, &conv, &text, now_ms).await?;
        Ok(sub.expiry)
    }
}
