//! The daily machine and the lifecycle's operations on the store: activation,
//! renewal orders, payments, cancellations by PEC, notices, suspension,
//! reactivation, closure and deletion.
//!
//! The rules are the `lifecycle` crate's pure policy ([`due_actions`]); this
//! module performs what it decides. Each subscription's due actions are
//! performed in ONE transaction together with their done keys
//! (`lifecycle_done`, unique per subscription and key) and the subscription's
//! new state, written under its version: a notice is sent once and a box
//! suspended once even when the runner restarts midway or several nodes run it
//! at the same time (the loser's transaction fails on the key or the version
//! and is rolled back). Notices to the PEC mailbox are delivered in that same
//! transaction; notices to the ordinary e-mail are queued in it as jobs for
//! the smarthost, so they leave at least once and are never lost.

use std::collections::HashMap;

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use lifecycle::convention::{Channel, Convention, Payer};
use lifecycle::holder::Holder;
use lifecycle::notice::{NoticeFacts, NoticeText, OrderInfo, ProviderInfo, Topic, render};
use lifecycle::policy::{Action, Done, DoneKey, due_actions, perform};
use lifecycle::subscription::{Pricing, State, Subscription};
use store::lifecycle::{self as lc, NewOrder, NewPayment, Order, Recorded, StoredSubscription, SubscriptionRow};
use store::mailboxes::{self, Status};
use store::{Conn, Tx};

use crate::delivery::{Item, append_inbox};
use crate::work::{Work, enqueue};
use crate::{Engine, Error, Result};

/// The provider's side of the lifecycle, from `[lifecycle]` in certa.toml.
#[derive(Debug, Clone)]
pub struct LifecycleConfig {
    /// Shown as the sender of notices.
    pub provider_name: String,
    /// Where holders send cancellations as a PEC; `gestione@<domain>` by default.
    pub management_address: Option<String>,
    /// The renewal page; `{mailbox}` and `{order}` are replaced.
    pub renewal_url: String,
    pub payment_methods: Vec<String>,
    /// How long after its last reference a blob's file is deleted.
    pub blob_grace: Duration,
    /// Subscriptions read per page by the daily machine.
    pub page_size: i64,
}

impl Default for LifecycleConfig {
    fn default() -> Self {
        LifecycleConfig {
            provider_name: "Certa PEC".into(),
            management_address: None,
            renewal_url: "https://localhost/rinnovo?casella={mailbox}&ordine={order}".into(),
            payment_methods: vec![
                "carta di credito o PayPal, dalla pagina di rinnovo (registrazione immediata)".into(),
                "bonifico bancario o MyBank, indicando nella causale il numero d'ordine".into(),
                "bollettino postale, indicando nella causale il numero d'ordine".into(),
            ],
            blob_grace: Duration::days(1),
            page_size: 1000,
        }
    }
}

/// What one run of the daily machine did.
#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct RunReport {
    pub subscriptions: usize,
    /// Performed actions, by kind (`send-notice`, `suspend`, ...).
    pub performed: std::collections::BTreeMap<String, usize>,
    /// One line per performed action: `mailbox action detail`.
    pub events: Vec<String>,
    /// Subscriptions another node changed meanwhile (done on the next run).
    pub skipped: usize,
    /// Subscriptions or conventions that cannot be read.
    pub errors: Vec<String>,
    pub cancellations: usize,
    pub blobs_deleted: u64,
}

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

/// A subscription as the store keeps it: its JSON and the columns beside it.
struct Encoded {
    state: &'static str,
    expiry: String,
    data: String,
    cancelled_at: Option<i64>,
}

impl Encoded {
    fn of(sub: &Subscription) -> Result<Encoded> {
        Ok(Encoded {
            state: state_name(&sub.state),
            expiry: sub.expiry.to_string(),
            data: serde_json::to_string(sub)
                .map_err(|e| Error::Invalid(format!("cannot encode a subscription: {e}")))?,
            cancelled_at: sub.cancelled_at.map(store::millis),
        })
    }

    fn row<'a>(&'a self, sub: &'a Subscription) -> SubscriptionRow<'a> {
        SubscriptionRow {
            mailbox: &sub.mailbox,
            convention: &sub.convention,
            tax_id: sub.holder.tax_id.as_str(),
            state: self.state,
            expiry: &self.expiry,
            cancelled_at: self.cancelled_at,
            data: &self.data,
        }
    }
}

/// Writes `sub` over the stored `row` read at its version; a
/// [`store::Error::Conflict`] when another writer changed it since.
async fn save(c: &mut Conn, row: &StoredSubscription, sub: &Subscription, now_ms: i64) -> Result<()> {
    let encoded = Encoded::of(sub)?;
    lc::update_subscription(c, row.id, row.version, &encoded.row(sub), now_ms).await?;
    Ok(())
}

pub fn state_name(state: &State) -> &'static str {
    match state {
        State::Active => "active",
        State::Suspended { .. } => "suspended",
        State::ReceiveOnly { .. } => "receive-only",
        State::Closed { .. } => "closed",
        State::Deleted { .. } => "deleted",
    }
}

pub fn decode(row: &StoredSubscription) -> Result<Subscription> {
    serde_json::from_str(&row.data)
        .map_err(|e| Error::Invalid(format!("the subscription of {} cannot be read: {e}", row.mailbox)))
}

fn key_text(key: &DoneKey) -> String {
    serde_json::to_string(key).unwrap_or_default()
}

fn action_name(action: &Action) -> &'static str {
    match action {
        Action::SendNotice { .. } => "send-notice",
        Action::Suspend { .. } => "suspend",
        Action::ReceiveOnly { .. } => "receive-only",
        Action::Reactivate { .. } => "reactivate",
        Action::Close { .. } => "close",
        Action::DeleteContents { .. } => "delete-contents",
        Action::TacitRenew { .. } => "tacit-renew",
        Action::EndService { .. } => "end-service",
    }
}

/// Loads and parses conventions by code, once per run.
#[derive(Default)]
struct Conventions {
    parsed: HashMap<String, std::result::Result<Convention, String>>,
}

impl Conventions {
    async fn get(&mut self, c: &mut Conn, code: &str) -> std::result::Result<Convention, String> {
        let key = code.to_ascii_uppercase();
        if !self.parsed.contains_key(&key) {
            let parsed = match lc::convention(c, code).await {
                Ok(Some(stored)) => Convention::from_toml(&stored.source)
                    .map_err(|e| format!("convention {code} stored in the database is not valid: {e}")),
                Ok(None) => Err(format!("unknown convention code \"{code}\"")),
                Err(e) => Err(e.to_string()),
            };
            self.parsed.insert(key.clone(), parsed);
        }
        self.parsed[&key].clone()
    }

    /// The convention if already loaded: the runner takes a connection only
    /// for the first row of each convention, not for every row it scans.
    fn hit(&self, code: &str) -> Option<std::result::Result<Convention, String>> {
        self.parsed.get(&code.to_ascii_uppercase()).cloned()
    }
}

impl Engine {
    pub fn lifecycle_config(&self) -> &LifecycleConfig {
        &self.config.lifecycle
    }

    /// Where cancellations are sent as a PEC.
    pub fn management_address(&self) -> String {
        self.config
            .lifecycle
            .management_address
            .clone()
            .unwrap_or_else(|| format!("gestione@{}", self.gestore.domain()))
    }

    fn provider_info(&self, conv: Option<&Convention>) -> ProviderInfo {
        let l = &self.config.lifecycle;
        ProviderInfo {
            name: l.provider_name.clone(),
            management_address: conv
                .and_then(|c| c.cancellation_address.clone())
                .unwrap_or_else(|| self.management_address()),
            renewal_url: l.renewal_url.clone(),
            payment_methods: l.payment_methods.clone(),
        }
    }

    /// Runs the daily machine for `now`: cancellations received by PEC, then
    /// every live subscription's due actions, then the blob garbage collection.
    pub async fn lifecycle_run(&self, now: DateTime<Utc>) -> Result<RunReport> {
        let mut report = RunReport::default();
        match self.process_cancellations().await {
            Ok(n) => report.cancellations = n,
            Err(e) => report.errors.push(format!("reading the management mailbox: {e}")),
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
        let conv = Conventions::default()
            .get(&mut c, &sub.convention)
            .await
            .map_err(Error::Invalid)?;
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
                    Some(self.ensure_order(tx, row, sub, conv, None, now).await?)
                } else {
                    None
                };
                let info = order.as_ref().map(order_info);
                let text = self.notice_text(sub, conv, Topic::Renewal(kind), now, None, info.as_ref());
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
                let text = self.notice_text(sub, conv, topic, at, deletion_on(sub.expiry), info.as_ref());
                self.send_on_plan_channels(tx, sub, conv, &text, now_ms).await?;
            }
            Action::Reactivate { at } => {
                mailboxes::set_status(tx, &sub.mailbox, Status::Active).await?;
                let text = self.notice_text(sub, conv, Topic::Reactivated, at, None, None);
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
                let text = self.notice_text(sub, conv, topic, at, deletion, None);
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

    fn notice_text(
        &self,
        sub: &Subscription,
        conv: &Convention,
        topic: Topic,
        at: DateTime<Utc>,
        deletion_on: Option<NaiveDate>,
        order: Option<&OrderInfo>,
    ) -> NoticeText {
        let provider = self.provider_info(Some(conv));
        render(&NoticeFacts {
            topic,
            mailbox: &sub.mailbox,
            holder_name: &sub.holder.name,
            expiry: sub.expiry,
            time_zone: conv.time_zone,
            at,
            deletion_on,
            order,
            provider: &provider,
        })
    }

    async fn send_on_plan_channels(
        &self,
        tx: &mut Tx,
        sub: &Subscription,
        conv: &Convention,
        text: &NoticeText,
        now_ms: i64,
    ) -> Result<()> {
        let channels = conv.plan(&sub.plan).map(|p| p.channels.clone()).unwrap_or_default();
        let mut sent = false;
        for channel in channels {
            if channel == Channel::OrdinaryEmail && sub.holder.reference_email.is_none() {
                continue;
            }
            self.send_notice(tx, sub, channel, text, now_ms).await?;
            sent = true;
        }
        if !sent {
            self.send_notice(tx, sub, Channel::PecMailbox, text, now_ms).await?;
        }
        Ok(())
    }

    /// A notice as a message: into the PEC mailbox at once (whatever its status:
    /// it is the provider's own communication), or queued for the smarthost to
    /// the holder's ordinary e-mail.
    async fn send_notice(
        &self,
        tx: &mut Tx,
        sub: &Subscription,
        channel: Channel,
        text: &NoticeText,
        now_ms: i64,
    ) -> Result<()> {
        let to = match channel {
            Channel::PecMailbox => sub.mailbox.clone(),
            Channel::OrdinaryEmail => match &sub.holder.reference_email {
                Some(e) => e.clone(),
                None => return Ok(()),
            },
        };
        let from = self.management_address();
        let id_seed = &store::BlobId::of(format!("{to}\n{}\n{now_ms}", text.subject).as_bytes()).0[..16];
        let message = mail_builder::MessageBuilder::new()
            .from((self.config.lifecycle.provider_name.as_str(), from.as_str()))
            .to(to.as_str())
            .subject(text.subject.as_str())
            .date(now_ms / 1000)
            .message_id(format!("avviso-{id_seed}@{}", self.gestore.domain()))
            .header("Auto-Submitted", mail_builder::headers::raw::Raw::new("auto-generated"))
            .text_body(text.body.as_str())
            .write_to_vec()
            .map_err(|e| Error::Invalid(format!("cannot write a notice: {e}")))?;
        let blob = self.store.blobs().put(&message).await?;
        match channel {
            Channel::PecMailbox => {
                if let Some(m) = mailboxes::get(tx, &sub.mailbox).await? {
                    let item = Item {
                        blob: &blob,
                        size: message.len(),
                        pec_kind: None,
                        identificativo: None,
                    };
                    append_inbox(tx, m.id, &item, now_ms).await?;
                }
            }
            Channel::OrdinaryEmail => {
                let work = Work::Mail {
                    blob,
                    mail_from: from,
                    rcpts: vec![to],
                };
                enqueue(tx, &work, now_ms, now_ms).await?;
            }
        }
        Ok(())
    }

    /// The renewal order for the subscription's current expiry (created once),
    /// priced with `plan` (a plan change at renewal) or the current plan.
    async fn ensure_order(
        &self,
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

    /// Activates a subscription for an existing mailbox: the plan's quota, the
    /// mailbox active. A deleted address may be bought again only by its holder.
    pub async fn activate_subscription(
        &self,
        code: &str,
        plan: &str,
        mailbox: &str,
        holder: Holder,
        pricing: Pricing,
        at: DateTime<Utc>,
    ) -> Result<StoredSubscription> {
        let mailbox = mailboxes::normalize(mailbox)?;
        let mut tx = self.store.begin().await?;
        let conv = Conventions::default()
            .get(&mut tx, code)
            .await
            .map_err(Error::Invalid)?;
        if mailboxes::get(&mut tx, &mailbox).await?.is_none() {
            return Err(Error::Invalid(format!(
                "no mailbox {mailbox} here: create it first with `certa mailbox add`"
            )));
        }
        let sub = lifecycle::subscription::activate(&conv, plan, &mailbox, holder, at, pricing)
            .map_err(|e| Error::Invalid(e.to_string()))?;
        let encoded = Encoded::of(&sub)?;
        let row = lc::insert_subscription(&mut tx, &encoded.row(&sub), store::millis(at)).await?;
        if let Some(p) = conv.plan(&sub.plan) {
            mailboxes::set_quota(&mut tx, &mailbox, p.quota_bytes as i64).await?;
        }
        mailboxes::set_status(&mut tx, &mailbox, Status::Active).await?;
        lc::log(
            &mut tx,
            store::millis(at),
            Some(row.id),
            &mailbox,
            "activated",
            &format!("convention {} plan {} expiry {}", conv.code, sub.plan, sub.expiry),
        )
        .await?;
        tx.commit().await?;
        Ok(row)
    }

    /// The renewal order of `mailbox` for its current expiry, with `plan` if the
    /// holder changes plan at renewal.
    pub async fn renewal_order(&self, mailbox: &str, plan: Option<&str>, now: DateTime<Utc>) -> Result<Order> {
        let mut tx = self.store.begin().await?;
        let row = live(&mut tx, mailbox).await?;
        let sub = decode(&row)?;
        if let Some(at) = sub.cancelled_at {
            return Err(Error::Invalid(format!(
                "{} was cancelled on {at}: it cannot be renewed",
                sub.mailbox
            )));
        }
        if let State::Closed { at } = sub.state {
            return Err(Error::Invalid(format!(
                "{} was closed on {at}: it cannot be renewed, only bought again",
                sub.mailbox
            )));
        }
        let conv = Conventions::default()
            .get(&mut tx, &sub.convention)
            .await
            .map_err(Error::Invalid)?;
        if let Some(p) = plan
            && conv.plan(p).is_none()
        {
            return Err(Error::Invalid(format!("convention {} has no plan \"{p}\"", conv.code)));
        }
        let existed = lc::order_for(&mut tx, row.id, &sub.expiry.to_string()).await?.is_some();
        let order = self.ensure_order(&mut tx, &row, &sub, &conv, plan, now).await?;
        if plan.is_some_and(|p| p != order.plan) {
            return Err(Error::Invalid(format!(
                "order {} for the expiry {} exists already for plan {}: pay it, or ask the operator to cancel it",
                order.id, order.renews_expiry, order.plan
            )));
        }
        if !existed {
            lc::log(
                &mut tx,
                store::millis(now),
                Some(row.id),
                &row.mailbox,
                "order",
                &format!("{} {} cents", order.id, order.amount_cents),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(order)
    }

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
        let conv = Conventions::default()
            .get(&mut tx, &sub.convention)
            .await
            .map_err(Error::Invalid)?;
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

    /// Records a cancellation at its legal time (a PEC's acceptance, or the time
    /// the operator gives for one received otherwise): no more notices nor tacit
    /// renewal, open orders cancelled, the service ends at expiry. The holder is
    /// told so on the plan's channels.
    pub async fn cancel_subscription(
        &self,
        mailbox: &str,
        legal_time: DateTime<Utc>,
        source: &str,
        now: DateTime<Utc>,
    ) -> Result<Subscription> {
        let mut tx = self.store.begin().await?;
        let row = live(&mut tx, mailbox).await?;
        let sub = decode(&row)?;
        let conv = Conventions::default()
            .get(&mut tx, &sub.convention)
            .await
            .map_err(Error::Invalid)?;
        let first = sub.cancelled_at.is_none();
        let cancelled = lifecycle::subscription::cancel(&sub, legal_time).map_err(|e| Error::Invalid(e.to_string()))?;
        save(&mut tx, &row, &cancelled, store::millis(now)).await?;
        lc::cancel_open_orders(&mut tx, row.id).await?;
        lc::log(
            &mut tx,
            store::millis(legal_time),
            Some(row.id),
            &row.mailbox,
            "cancelled",
            &format!("{source}; legal time {}", pec::time::LegalTime::from_utc(legal_time)),
        )
        .await?;
        if first {
            let retention = conv.plan(&cancelled.plan).map_or(0, |p| p.retention_days);
            let deletion = cancelled
                .expiry
                .checked_add_days(chrono::Days::new(u64::from(retention) + 1));
            let text = self.notice_text(
                &cancelled,
                &conv,
                Topic::CancellationRecorded,
                legal_time,
                deletion,
                None,
            );
            self.send_on_plan_channels(&mut tx, &cancelled, &conv, &text, store::millis(now))
                .await?;
        }
        tx.commit().await?;
        self.wake.notify_waiters();
        Ok(cancelled)
    }

    /// Reads the management mailbox's new PEC messages: one whose subject asks
    /// for a cancellation ("disdetta", "recesso") sent from a mailbox with a
    /// live subscription here is recorded at its legal time (the acceptance time
    /// in its daticert). Each message is flagged once read: `$Disdetta` when
    /// recorded, `$DaVerificare` for an operator otherwise. Returns how many
    /// cancellations were recorded.
    ///
    /// Besides the management address, each convention's own
    /// `cancellation_address` is read when it is a mailbox here: the notices of
    /// its boxes tell the holders to write there.
    pub async fn process_cancellations(&self) -> Result<usize> {
        let mut addresses = vec![self.management_address().to_ascii_lowercase()];
        for stored in lc::conventions(&mut *self.store.conn().await?).await? {
            if let Ok(Some(a)) = Convention::from_toml(&stored.source).map(|c| c.cancellation_address) {
                let a = a.to_ascii_lowercase();
                if !addresses.contains(&a) {
                    addresses.push(a);
                }
            }
        }
        let mut recorded = 0;
        for address in &addresses {
            recorded += self.cancellations_in(address).await?;
        }
        Ok(recorded)
    }

    async fn cancellations_in(&self, address: &str) -> Result<usize> {
        let (inbox, candidates) = {
            let mut c = self.store.conn().await?;
            let Some(m) = mailboxes::get(&mut c, address).await? else {
                return Ok(0);
            };
            let Some(inbox) = store::messages::folder(&mut c, m.id, "INBOX").await? else {
                return Ok(0);
            };
            let all = store::messages::list(&mut c, inbox.id).await?;
            let fresh: Vec<_> = all
                .into_iter()
                .filter(|m| !m.flags.iter().any(|f| f == FLAG_RECORDED || f == FLAG_CHECK))
                .collect();
            (inbox, fresh)
        };
        let mut recorded = 0;
        for msg in candidates {
            let raw = self.store.blobs().get(&msg.blob).await?;
            let verdict = self.read_cancellation(&raw).await;
            let flag = match verdict {
                Ok((mailbox, legal_time)) => {
                    match self
                        .cancel_subscription(&mailbox, legal_time, "disdetta via PEC", self.clock.now())
                        .await
                    {
                        Ok(_) => {
                            recorded += 1;
                            tracing::info!(target: "lifecycle", %mailbox, "cancellation by PEC recorded");
                            FLAG_RECORDED
                        }
                        Err(e) => {
                            tracing::warn!(target: "lifecycle", %mailbox, "cancellation by PEC not recorded: {e}");
                            FLAG_CHECK
                        }
                    }
                }
                Err(why) => {
                    tracing::info!(target: "lifecycle", message = msg.id, "management mailbox: {why}");
                    FLAG_CHECK
                }
            };
            let mut tx = self.store.begin().await?;
            store::changes::set_flags(
                &mut tx,
                inbox.id,
                &[msg.id],
                store::changes::FlagOp::Add,
                &[flag.to_string()],
                None,
            )
            .await?;
            tx.commit().await?;
        }
        Ok(recorded)
    }

    /// The mailbox asking for cancellation and the legal time, or why not.
    async fn read_cancellation(&self, raw: &[u8]) -> std::result::Result<(String, DateTime<Utc>), String> {
        let parsed = pec::parse::parse(raw, Some(self.index.trust()));
        let pec::parse::Parsed::Pec(m) = parsed else {
            return Err("not a PEC message: left for the operator".into());
        };
        if m.kind != pec::parse::Kind::BustaTrasporto {
            return Err(format!("a {} is not a request: left for the operator", m.kind.as_str()));
        }
        let d = m.daticert.as_ref().ok_or("a PEC without daticert.xml")?;
        let subject = d.oggetto.clone().unwrap_or_default().to_lowercase();
        if !["disdetta", "recesso"].iter().any(|w| subject.contains(w)) {
            return Err(format!("subject {subject:?} does not ask for a cancellation"));
        }
        let time = d.time().ok_or("the daticert has no valid date and time")?;
        let sender = mailboxes::normalize(&d.mittente).map_err(|e| e.to_string())?;
        let mut c = self.store.conn().await.map_err(|e| e.to_string())?;
        match lc::subscription(&mut c, &sender).await {
            Ok(Some(_)) => Ok((sender, time.utc())),
            Ok(None) => Err(format!("{sender} has no subscription here: left for the operator")),
            Err(e) => Err(e.to_string()),
        }
    }
}

/// Flags on the management mailbox's messages once read.
pub const FLAG_RECORDED: &str = "$Disdetta";
pub const FLAG_CHECK: &str = "$DaVerificare";

async fn live(c: &mut Conn, mailbox: &str) -> Result<StoredSubscription> {
    let address = mailboxes::normalize(mailbox)?;
    lc::subscription(c, &address)
        .await?
        .ok_or_else(|| Error::Invalid(format!("{address} has no subscription")))
}

fn order_info(o: &Order) -> OrderInfo {
    use lifecycle::money::{Money, VatRate};
    OrderInfo {
        id: o.id.clone(),
        net: Money::from_cents(o.net_cents),
        vat: VatRate {
            basis_points: u32::try_from(o.vat_basis_points).unwrap_or(0),
        },
        gross: Money::from_cents(o.amount_cents),
    }
}

/// One line for logs and reports.
pub fn describe(action: &Action) -> String {
    let rome = |t: DateTime<Utc>| pec::time::LegalTime::from_utc(t).to_string();
    match action {
        Action::SendNotice {
            kind,
            channel,
            expiry,
            due_at,
        } => format!(
            "notice {} on {} for expiry {expiry}, due {}",
            serde_json::to_string(kind).unwrap_or_default(),
            serde_json::to_string(channel).unwrap_or_default(),
            rome(*due_at)
        ),
        Action::TacitRenew { at, new_expiry } => format!("tacit renewal at {} to {new_expiry}", rome(*at)),
        other => format!("{} at {}", action_name(other), rome(other.at())),
    }
}
