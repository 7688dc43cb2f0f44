//! The daily machine: every live subscription's due actions, performed once.
//!
//! A run reads the cancellations received by PEC first (`cancellations.rs`),
//! then pages through the subscriptions not deleted, asks the pure policy what
//! is due at `now` and performs it, one subscription per transaction (see the
//! module doc of `lifecycle`), then removes the files of deleted contents.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use lifecycle::convention::{Channel, Convention, Payer};
use lifecycle::notice::Topic;
use lifecycle::policy::{Action, Done, DoneKey, due_actions, perform};
use lifecycle::subscription::Subscription;
use store::Tx;
use store::lifecycle::{self as lc, StoredSubscription};
use store::mailboxes::{self, Status};

use super::notices::order_info;
use super::orders::ensure_order;
use super::{Conventions, RunReport, action_name, decode, describe, key_text, save};
use crate::{Engine, Error, Result};

impl Engine {
    /// Runs the daily machine for `now`: cancellations received by PEC, the
    /// reservations of unpaid web orders past their time, then
    /// every live subscription's due actions, then the blob garbage collection.
    pub async fn lifecycle_run(&self, now: DateTime<Utc>) -> Result<RunReport> {
        let mut report = RunReport::default();
        match self.process_cancellations().await {
            Ok(n) => report.cancellations = n,
            Err(e) => report.errors.push(format!("reading the management mailbox: {e}")),
        }
        match self.sweep_reservations(now).await {
            Ok(freed) => report
                .events
                .extend(freed.into_iter().map(|m| format!("{m} reservation lapsed"))),
            Err(e) => report.errors.push(format!("lapsing the reservations: {e}")),
        }
        let mut conventions = Conventions::default();
        let mut after = 0;
        loop {
            let page = {
                let mut c = self.store.conn().await?;
                lc::live_page(&mut c, after, self.config.lifecycle.page_size).await?
            };
            let (Some(first), Some(last)) = (page.first(), page.last()) else {
                break;
            };
            after = last.id;
            let mut done: HashMap<i64, Done> = HashMap::new();
            {
                let mut c = self.store.conn().await?;
                for (id, key) in lc::done_between(&mut c, first.id, last.id).await? {
                    if let Ok(key) = serde_json::from_str::<DoneKey>(&key) {
                        done.entry(id).or_default().insert(key);
                    }
                }
            }
            for row in page {
                report.subscriptions += 1;
                let sub = match decode(&row) {
                    Ok(sub) => sub,
                    Err(e) => {
                        report.errors.push(e.to_string());
                        continue;
                    }
                };
                let conv = match conventions.hit(&sub.convention) {
                    Some(hit) => hit,
                    None => conventions.get(&mut *self.store.conn().await?, &sub.convention).await,
                };
                let conv = match conv {
                    Ok(conv) => conv,
                    Err(e) => {
                        report.errors.push(format!("{}: {e}", sub.mailbox));
                        continue;
                    }
                };
                let sub_done = done.remove(&row.id).unwrap_or_default();
                let actions = match due_actions(&sub, &conv, &sub_done, now) {
                    Ok(actions) => actions,
                    Err(e) => {
                        report.errors.push(e.to_string());
                        continue;
                    }
                };
                if actions.is_empty() {
                    continue;
                }
                match self.apply_actions(&row, sub, sub_done, &conv, &actions, now).await {
                    Ok(true) => {
                        for a in &actions {
                            *report.performed.entry(action_name(a).to_string()).or_default() += 1;
                            report.events.push(format!("{} {}", row.mailbox, describe(a)));
                        }
                    }
                    Ok(false) => report.skipped += 1,
                    Err(e) => report.errors.push(format!("{}: {e}", row.mailbox)),
                }
            }
        }
        report.blobs_deleted =
            store::blobs::collect_garbage(&self.store, store::millis(now - self.config.lifecycle.blob_grace)).await?;
        if !report.performed.is_empty() {
            self.wake.notify_waiters();
        }
        Ok(report)
    }

    /// The daily machine for one mailbox (after a payment: reactivation at once).
    pub async fn lifecycle_run_one(&self, mailbox: &str, now: DateTime<Utc>) -> Result<Vec<Action>> {
        let mut c = self.store.conn().await?;
        let Some(row) = lc::subscription(&mut c, mailbox).await? else {
            return Ok(Vec::new());
        };
        let sub = decode(&row)?;
        let conv = Conventions::one(&mut c, &sub.convention).await?;
        let done: Done = lc::done_between(&mut c, row.id, row.id)
            .await?
            .into_iter()
            .filter_map(|(_, k)| serde_json::from_str(&k).ok())
            .collect();
        drop(c);
        let actions = due_actions(&sub, &conv, &done, now).map_err(|e| Error::Invalid(e.to_string()))?;
        if !actions.is_empty() && self.apply_actions(&row, sub, done, &conv, &actions, now).await? {
            self.wake.notify_waiters();
            return Ok(actions);
        }
        Ok(Vec::new())
    }

    /// Performs `actions` for one subscription in one transaction; false when
    /// another node did it first (nothing is changed).
    async fn apply_actions(
        &self,
        row: &StoredSubscription,
        mut sub: Subscription,
        mut done: Done,
        conv: &Convention,
        actions: &[Action],
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let now_ms = store::millis(now);
        let mut tx = self.store.begin().await?;
        for action in actions {
            let key = action.key(sub.expiry);
            if !lc::mark_done(&mut tx, row.id, &key_text(&key), now_ms).await? {
                tx.rollback().await?;
                return Ok(false);
            }
            self.effect(&mut tx, row, &sub, conv, action, now).await?;
            perform(&mut sub, &mut done, action);
            lc::log(
                &mut tx,
                store::millis(action.at()),
                Some(row.id),
                &row.mailbox,
                action_name(action),
                &describe(action),
            )
            .await?;
        }
        match save(&mut tx, row, &sub, now_ms).await {
            Ok(()) => {}
            Err(Error::Store(store::Error::Conflict(_))) => {
                tx.rollback().await?;
                return Ok(false);
            }
            Err(e) => return Err(e),
        }
        tx.commit().await?;
        for action in actions {
            tracing::info!(target: "lifecycle", mailbox = %row.mailbox, "{}", describe(action));
        }
        Ok(true)
    }

    /// The effect of one action on the store, in the caller's transaction.
    async fn effect(
        &self,
        tx: &mut Tx,
        row: &StoredSubscription,
        sub: &Subscription,
        conv: &Convention,
        action: &Action,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let now_ms = store::millis(now);
        let plan = conv.plan(&sub.plan);
        let deletion_on = |from: NaiveDate| {
            plan.and_then(|p| p.deletion_offset_days())
                .and_then(|d| from.checked_add_days(chrono::Days::new(d.into())))
        };
        match *action {
            Action::SendNotice {
                kind, channel, expiry, ..
            } => {
                let order = if conv.payer_on(expiry) == Payer::Member {
                    Some(ensure_order(tx, row, sub, conv, None, now).await?)
                } else {
                    None
                };
                let info = order.as_ref().map(order_info);
                let text = self.notice_text(sub, conv, Topic::Renewal(kind), now, None, info.as_ref())?;
                self.send_notice(tx, sub, channel, &text, now_ms).await?;
            }
            Action::Suspend { at } | Action::ReceiveOnly { at } => {
                let (status, topic) = match action {
                    Action::Suspend { .. } => (Status::Suspended, Topic::Suspended),
                    _ => (Status::ReceiveOnly, Topic::ReceiveOnly),
                };
                mailboxes::set_status(tx, &sub.mailbox, status).await?;
                let order = lc::order_for(tx, row.id, &sub.expiry.to_string()).await?;
                let info = order.as_ref().filter(|o| o.state == "open").map(order_info);
                let text = self.notice_text(sub, conv, topic, at, deletion_on(sub.expiry), info.as_ref())?;
                self.send_on_plan_channels(tx, sub, conv, &text, now_ms).await?;
            }
            Action::Reactivate { at } => {
                mailboxes::set_status(tx, &sub.mailbox, Status::Active).await?;
                let text = self.notice_text(sub, conv, Topic::Reactivated, at, None, None)?;
                self.send_on_plan_channels(tx, sub, conv, &text, now_ms).await?;
            }
            Action::Close { at } | Action::EndService { at } => {
                mailboxes::set_status(tx, &sub.mailbox, Status::Closed).await?;
                lc::cancel_open_orders(tx, row.id).await?;
                let topic = match action {
                    Action::Close { .. } => Topic::Closed,
                    _ => Topic::ServiceEnded,
                };
                // The box can no longer receive: a member who communicated it to their
                // Order (on this installation) no longer has a valid PEC.
                let day = at.with_timezone(&conv.time_zone).date_naive();
                let why = match action {
                    Action::Close { .. } => "closed for non-payment",
                    _ => "service ended at expiry",
                };
                let flag = format!("mailbox {} of this provider {why} on {day}", sub.mailbox);
                for (_, order, cf) in store::registry::flag_address(tx, &sub.mailbox, &flag).await? {
                    lc::log(
                        tx,
                        now_ms,
                        Some(row.id),
                        &row.mailbox,
                        "registry-flagged",
                        &format!("{order} {cf}"),
                    )
                    .await?;
                }
                let retention = plan.map_or(0, |p| p.retention_days);
                let deletion = at
                    .with_timezone(&conv.time_zone)
                    .date_naive()
                    .checked_add_days(chrono::Days::new(retention.into()));
                let text = self.notice_text(sub, conv, topic, at, deletion, None)?;
                // A closed box cannot be opened: the ordinary e-mail when there is
                // one, else the box itself (the operator's export shows it).
                let channel = if sub.holder.reference_email.is_some() {
                    Channel::OrdinaryEmail
                } else {
                    Channel::PecMailbox
                };
                self.send_notice(tx, sub, channel, &text, now_ms).await?;
            }
            Action::DeleteContents { .. } => {
                if let Some(m) = mailboxes::get(tx, &sub.mailbox).await? {
                    let (messages, bytes) = store::messages::delete_all(tx, m.id, now_ms).await?;
                    lc::log(
                        tx,
                        now_ms,
                        Some(row.id),
                        &row.mailbox,
                        "contents-deleted",
                        &format!("{messages} messages, {bytes} bytes"),
                    )
                    .await?;
                }
            }
            Action::TacitRenew { .. } => {}
        }
        Ok(())
    }
}
