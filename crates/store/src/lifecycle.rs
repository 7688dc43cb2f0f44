//! The mailbox lifecycle's tables: conventions, subscriptions, what the daily
//! machine already did, renewal orders, payments and the lifecycle log.
//!
//! The store knows none of the lifecycle's rules: a convention is kept as the
//! TOML text the operator gave and a subscription as the lifecycle crate's JSON,
//! with the few columns queries need beside it. Writers pass the version they
//! read ([`update_subscription`]), so two nodes never overwrite each other's
//! change; [`mark_done`] is the unique row that makes each notice and transition
//! happen once.

use crate::{Conn, Error, Result};

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct StoredConvention {
    pub code: String,
    pub source: String,
    pub created_at: i64,
    pub updated_at: i64,
}

/// Adds a convention, or with `replace` replaces the text of one with the same
/// code (any case). A new convention whose code exists is a [`Error::Conflict`].
pub async fn put_convention(c: &mut Conn, code: &str, source: &str, replace: bool, now: i64) -> Result<()> {
    let key = code.trim().to_ascii_uppercase();
    if let Some(existing) = convention(c, code).await? {
        if !replace {
            return Err(Error::Conflict(format!(
                "convention {} exists already (use --replace to change it)",
                existing.code
            )));
        }
        sqlx::query("UPDATE conventions SET source = $1, updated_at = $2 WHERE code_key = $3")
            .bind(source)
            .bind(now)
            .bind(&key)
            .execute(&mut *c)
            .await?;
        return Ok(());
    }
    sqlx::query("INSERT INTO conventions (code, code_key, source, created_at, updated_at) VALUES ($1, $2, $3, $4, $4)")
        .bind(code.trim())
        .bind(&key)
        .bind(source)
        .bind(now)
        .execute(&mut *c)
        .await?;
    Ok(())
}

/// The convention with `code`, compared without regard to case.
pub async fn convention(c: &mut Conn, code: &str) -> Result<Option<StoredConvention>> {
    let row: Option<(String, String, i64, i64)> =
        sqlx::query_as("SELECT code, source, created_at, updated_at FROM conventions WHERE code_key = $1")
            .bind(code.trim().to_ascii_uppercase())
            .fetch_optional(c)
            .await?;
    Ok(row.map(|(code, source, created_at, updated_at)| StoredConvention {
        code,
        source,
        created_at,
        updated_at,
    }))
}

pub async fn conventions(c: &mut Conn) -> Result<Vec<StoredConvention>> {
    let rows: Vec<(String, String, i64, i64)> =
        sqlx::query_as("SELECT code, source, created_at, updated_at FROM conventions ORDER BY code_key")
            .fetch_all(c)
            .await?;
    Ok(rows
        .into_iter()
        .map(|(code, source, created_at, updated_at)| StoredConvention {
            code,
            source,
            created_at,
            updated_at,
        })
        .collect())
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct StoredSubscription {
    pub id: i64,
    pub mailbox: String,
    pub convention: String,
    pub tax_id: String,
    /// `active`, `suspended`, `receive-only`, `closed` or `deleted`.
    pub state: String,
    /// The current expiry, `YYYY-MM-DD`.
    pub expiry: String,
    pub cancelled_at: Option<i64>,
    /// The lifecycle crate's subscription, as JSON.
    pub data: String,
    /// Bumped by every update: the optimistic lock of [`update_subscription`].
    pub version: i64,
}

/// The columns of a subscription row, as written.
#[derive(Debug, Clone, Copy)]
pub struct SubscriptionRow<'a> {
    pub mailbox: &'a str,
    pub convention: &'a str,
    pub tax_id: &'a str,
    pub state: &'a str,
    pub expiry: &'a str,
    pub cancelled_at: Option<i64>,
    pub data: &'a str,
}

type SubRow = (i64, String, String, String, String, String, Option<i64>, String, i64);
macro_rules! sub_columns {
    () => {
        "id, mailbox, convention, tax_id, state, expiry, cancelled_at, data, version"
    };
}

fn to_sub(r: SubRow) -> StoredSubscription {
    StoredSubscription {
        id: r.0,
        mailbox: r.1,
        convention: r.2,
        tax_id: r.3,
        state: r.4,
        expiry: r.5,
        cancelled_at: r.6,
        data: r.7,
        version: r.8,
    }
}

/// Adds a subscription. An address with a live (not deleted) subscription is a
/// [`Error::Conflict`]; an address deleted before may be bought again only by the
/// same holder (`tax_id`).
pub async fn insert_subscription(c: &mut Conn, row: &SubscriptionRow<'_>, now: i64) -> Result<StoredSubscription> {
    if let Some(live) = subscription(c, row.mailbox).await? {
        return Err(Error::Conflict(format!(
            "{} already has a subscription (convention {}, state {})",
            live.mailbox, live.convention, live.state
        )));
    }
    if let Some(previous) = last_holder(c, row.mailbox).await?
        && previous != row.tax_id
    {
        return Err(Error::Conflict(format!(
            "{} belonged to another holder: a deleted address can be bought again only by the same \
             codice fiscale / partita IVA",
            row.mailbox
        )));
    }
    let id: (i64,) = sqlx::query_as(
        "INSERT INTO subscriptions (mailbox, convention, tax_id, state, expiry, cancelled_at, data, version, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, 0, $8, $8) RETURNING id",
    )
    .bind(row.mailbox.to_ascii_lowercase())
    .bind(row.convention)
    .bind(row.tax_id)
    .bind(row.state)
    .bind(row.expiry)
    .bind(row.cancelled_at)
    .bind(row.data)
    .bind(now)
    .fetch_one(&mut *c)
    .await?;
    subscription_by_id(c, id.0).await
}

/// The holder (tax id) of the last subscription of `mailbox`, live or deleted.
pub async fn last_holder(c: &mut Conn, mailbox: &str) -> Result<Option<String>> {
    let row: Option<(String,)> =
        sqlx::query_as("SELECT tax_id FROM subscriptions WHERE mailbox = $1 ORDER BY id DESC LIMIT 1")
            .bind(mailbox.to_ascii_lowercase())
            .fetch_optional(c)
            .await?;
    Ok(row.map(|r| r.0))
}

/// The live subscription of `mailbox`, or its last one when every one is deleted.
pub async fn subscription(c: &mut Conn, mailbox: &str) -> Result<Option<StoredSubscription>> {
    let row: Option<SubRow> = sqlx::query_as(concat!(
        "SELECT ",
        sub_columns!(),
        " FROM subscriptions WHERE mailbox = $1 AND state <> 'deleted'"
    ))
    .bind(mailbox.to_ascii_lowercase())
    .fetch_optional(c)
    .await?;
    Ok(row.map(to_sub))
}

/// Every subscription of `mailbox`, oldest first (deleted ones included).
pub async fn history(c: &mut Conn, mailbox: &str) -> Result<Vec<StoredSubscription>> {
    let rows: Vec<SubRow> = sqlx::query_as(concat!(
        "SELECT ",
        sub_columns!(),
        " FROM subscriptions WHERE mailbox = $1 ORDER BY id"
    ))
    .bind(mailbox.to_ascii_lowercase())
    .fetch_all(c)
    .await?;
    Ok(rows.into_iter().map(to_sub).collect())
}

pub async fn subscription_by_id(c: &mut Conn, id: i64) -> Result<StoredSubscription> {
    let row: Option<SubRow> = sqlx::query_as(concat!("SELECT ", sub_columns!(), " FROM subscriptions WHERE id = $1"))
        .bind(id)
        .fetch_optional(c)
        .await?;
    row.map(to_sub).ok_or(Error::NotFound {
        what: "subscription",
        key: id.to_string(),
    })
}

/// Up to `limit` subscriptions not yet deleted with an id above `after`, by id:
/// the daily machine pages through them.
pub async fn live_page(c: &mut Conn, after: i64, limit: i64) -> Result<Vec<StoredSubscription>> {
    let rows: Vec<SubRow> = sqlx::query_as(concat!(
        "SELECT ",
        sub_columns!(),
        " FROM subscriptions WHERE id > $1 AND state <> 'deleted' ORDER BY id LIMIT $2"
    ))
    .bind(after)
    .bind(limit)
    .fetch_all(c)
    .await?;
    Ok(rows.into_iter().map(to_sub).collect())
}

/// Subscriptions of a convention (or all with `None`), live ones, by mailbox.
pub async fn list_subscriptions(c: &mut Conn, convention: Option<&str>) -> Result<Vec<StoredSubscription>> {
    let rows: Vec<SubRow> = match convention {
        Some(code) => {
            sqlx::query_as(concat!(
                "SELECT ",
                sub_columns!(),
                " FROM subscriptions WHERE upper(convention) = $1 AND state <> 'deleted' ORDER BY mailbox"
            ))
            .bind(code.trim().to_ascii_uppercase())
            .fetch_all(c)
            .await?
        }
        None => {
            sqlx::query_as(concat!(
                "SELECT ",
                sub_columns!(),
                " FROM subscriptions WHERE state <> 'deleted' ORDER BY mailbox"
            ))
            .fetch_all(c)
            .await?
        }
    };
    Ok(rows.into_iter().map(to_sub).collect())
}

/// Writes a subscription read at `version`; a [`Error::Conflict`] when someone
/// else changed it since (re-read and decide again).
pub async fn update_subscription(
    c: &mut Conn,
    id: i64,
    version: i64,
    row: &SubscriptionRow<'_>,
    now: i64,
) -> Result<StoredSubscription> {
    let r = sqlx::query(
        "UPDATE subscriptions SET convention = $1, tax_id = $2, state = $3, expiry = $4, cancelled_at = $5, data = $6,
                version = version + 1, updated_at = $7
         WHERE id = $8 AND version = $9",
    )
    .bind(row.convention)
    .bind(row.tax_id)
    .bind(row.state)
    .bind(row.expiry)
    .bind(row.cancelled_at)
    .bind(row.data)
    .bind(now)
    .bind(id)
    .bind(version)
    .execute(&mut *c)
    .await?;
    if r.rows_affected() == 0 {
        return Err(Error::Conflict(format!(
            "the subscription of {} changed meanwhile: try again",
            row.mailbox
        )));
    }
    subscription_by_id(c, id).await
}

/// Records that `key` was done for a subscription; false when it already was
/// (another node or an earlier run did it: roll back and skip).
pub async fn mark_done(c: &mut Conn, subscription_id: i64, key: &str, at: i64) -> Result<bool> {
    let r = sqlx::query(
        "INSERT INTO lifecycle_done (subscription_id, done_key, at) VALUES ($1, $2, $3)
         ON CONFLICT (subscription_id, done_key) DO NOTHING",
    )
    .bind(subscription_id)
    .bind(key)
    .bind(at)
    .execute(c)
    .await?;
    Ok(r.rows_affected() > 0)
}

/// The done keys of subscriptions with ids in `from..=to`, as (id, key).
pub async fn done_between(c: &mut Conn, from: i64, to: i64) -> Result<Vec<(i64, String)>> {
    Ok(
        sqlx::query_as("SELECT subscription_id, done_key FROM lifecycle_done WHERE subscription_id BETWEEN $1 AND $2")
            .bind(from)
            .bind(to)
            .fetch_all(c)
            .await?,
    )
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Order {
    /// `CRT-YYYY-NNNNNN`.
    pub id: String,
    /// None for an activation order not paid yet (no subscription exists before).
    pub subscription_id: Option<i64>,
    pub mailbox: String,
    pub plan: String,
    /// The expiry the order renews from.
    pub renews_expiry: String,
    pub net_cents: i64,
    pub vat_basis_points: i64,
    /// VAT included.
    pub amount_cents: i64,
    /// `open`, `paid` or `cancelled`.
    pub state: String,
    pub created_at: i64,
    pub paid_at: Option<i64>,
    pub payment_id: Option<String>,
    /// `renewal`, or `activation` (the first order of a mailbox bought on the web).
    pub kind: String,
}

impl Order {
    pub fn is_activation(&self) -> bool {
        self.kind == "activation"
    }
}

/// A renewal order to create.
#[derive(Debug, Clone, Copy)]
pub struct NewOrder<'a> {
    pub subscription_id: i64,
    pub mailbox: &'a str,
    pub plan: &'a str,
    pub renews_expiry: &'a str,
    pub net_cents: i64,
    pub vat_basis_points: i64,
    pub amount_cents: i64,
}

type OrderRow = (
    String,
    Option<i64>,
    String,
    String,
    String,
    i64,
    i64,
    i64,
    String,
    i64,
    Option<i64>,
    Option<String>,
    String,
);
macro_rules! order_columns {
    () => {
        "id, subscription_id, mailbox, plan, renews_expiry, net_cents, vat_basis_points, amount_cents, state, \
         created_at, paid_at, payment_id, kind"
    };
}

fn to_order(r: OrderRow) -> Order {
    Order {
        id: r.0,
        subscription_id: r.1,
        mailbox: r.2,
        plan: r.3,
        renews_expiry: r.4,
        net_cents: r.5,
        vat_basis_points: r.6,
        amount_cents: r.7,
        state: r.8,
        created_at: r.9,
        paid_at: r.10,
        payment_id: r.11,
        kind: r.12,
    }
}

/// The order renewing `subscription_id` from `renews_expiry` (open or paid), if any.
pub async fn order_for(c: &mut Conn, subscription_id: i64, renews_expiry: &str) -> Result<Option<Order>> {
    let row: Option<OrderRow> = sqlx::query_as(concat!(
        "SELECT ",
        order_columns!(),
        " FROM orders WHERE subscription_id = $1 AND renews_expiry = $2 AND state <> 'cancelled'"
    ))
    .bind(subscription_id)
    .bind(renews_expiry)
    .fetch_optional(c)
    .await?;
    Ok(row.map(to_order))
}

/// The order renewing the subscription from that expiry: the existing one, or a
/// new one numbered `CRT-<year>-<6 digits>` (`year` of the creation).
pub async fn ensure_order(c: &mut Conn, new: &NewOrder<'_>, year: i32, now: i64) -> Result<Order> {
    if let Some(existing) = order_for(c, new.subscription_id, new.renews_expiry).await? {
        return Ok(existing);
    }
    let id = next_order_id(c, year).await?;
    sqlx::query(
        "INSERT INTO orders (id, subscription_id, mailbox, plan, renews_expiry, net_cents, vat_basis_points,
                             amount_cents, state, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'open', $9)",
    )
    .bind(&id)
    .bind(new.subscription_id)
    .bind(new.mailbox)
    .bind(new.plan)
    .bind(new.renews_expiry)
    .bind(new.net_cents)
    .bind(new.vat_basis_points)
    .bind(new.amount_cents)
    .bind(now)
    .execute(&mut *c)
    .await?;
    order(c, &id).await?.ok_or(Error::NotFound { what: "order", key: id })
}

/// The next order number of `year`: `CRT-<year>-<6 digits>`.
pub(crate) async fn next_order_id(c: &mut Conn, year: i32) -> Result<String> {
    sqlx::query("INSERT INTO order_numbers (year, last) VALUES ($1, 0) ON CONFLICT (year) DO NOTHING")
        .bind(i64::from(year))
        .execute(&mut *c)
        .await?;
    let (number,): (i64,) = sqlx::query_as("UPDATE order_numbers SET last = last + 1 WHERE year = $1 RETURNING last")
        .bind(i64::from(year))
        .fetch_one(&mut *c)
        .await?;
    Ok(format!("CRT-{year}-{number:06}"))
}

/// The order `id` (exactly as written, upper case).
pub async fn order(c: &mut Conn, id: &str) -> Result<Option<Order>> {
    let row: Option<OrderRow> = sqlx::query_as(concat!("SELECT ", order_columns!(), " FROM orders WHERE id = $1"))
        .bind(id.trim().to_ascii_uppercase())
        .fetch_optional(c)
        .await?;
    Ok(row.map(to_order))
}

/// Orders in `state` (`open`, `paid`, `cancelled`), by id.
pub async fn orders_in(c: &mut Conn, state: &str) -> Result<Vec<Order>> {
    let rows: Vec<OrderRow> = sqlx::query_as(concat!(
        "SELECT ",
        order_columns!(),
        " FROM orders WHERE state = $1 ORDER BY id"
    ))
    .bind(state)
    .fetch_all(c)
    .await?;
    Ok(rows.into_iter().map(to_order).collect())
}

/// The orders of a mailbox, oldest first.
pub async fn orders_of(c: &mut Conn, mailbox: &str) -> Result<Vec<Order>> {
    let rows: Vec<OrderRow> = sqlx::query_as(concat!(
        "SELECT ",
        order_columns!(),
        " FROM orders WHERE mailbox = $1 ORDER BY created_at, id"
    ))
    .bind(mailbox.to_ascii_lowercase())
    .fetch_all(c)
    .await?;
    Ok(rows.into_iter().map(to_order).collect())
}

/// Cancels the open orders of a subscription (a cancellation, a closure).
pub async fn cancel_open_orders(c: &mut Conn, subscription_id: i64) -> Result<u64> {
    let r = sqlx::query("UPDATE orders SET state = 'cancelled' WHERE subscription_id = $1 AND state = 'open'")
        .bind(subscription_id)
        .execute(c)
        .await?;
    Ok(r.rows_affected())
}

/// A payment to apply.
#[derive(Debug, Clone, Copy)]
pub struct NewPayment<'a> {
    /// The payment's own id: the bank's transaction id, the card provider's event id...
    pub payment_id: &'a str,
    pub order_id: &'a str,
    /// `operator`, `webhook`, `bank`.
    pub source: &'a str,
    pub amount_cents: i64,
    pub paid_at: i64,
    pub detail: Option<&'a str>,
}

/// What recording a payment did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recorded {
    /// The order is now paid.
    Paid(Order),
    /// This payment id was applied before: nothing changed.
    AlreadyApplied,
    /// The order was already paid by another payment: nothing changed (refund).
    OrderAlreadyPaid(Order),
}

/// Applies a payment to an open order: the payment row and the order marked paid,
/// in the caller's transaction. Unknown orders, cancelled orders and amounts that
/// differ are errors naming the problem.
pub async fn record_payment(c: &mut Conn, p: &NewPayment<'_>, now: i64) -> Result<Recorded> {
    let known: Option<(String,)> = sqlx::query_as("SELECT order_id FROM payments WHERE payment_id = $1")
        .bind(p.payment_id)
        .fetch_optional(&mut *c)
        .await?;
    if known.is_some() {
        return Ok(Recorded::AlreadyApplied);
    }
    let order = order(c, p.order_id).await?.ok_or_else(|| Error::NotFound {
        what: "order",
        key: p.order_id.to_string(),
    })?;
    match order.state.as_str() {
        "paid" => return Ok(Recorded::OrderAlreadyPaid(order)),
        "cancelled" => {
            return Err(Error::Invalid(format!(
                "order {} was cancelled: it cannot be paid",
                order.id
            )));
        }
        _ => {}
    }
    if p.amount_cents != order.amount_cents {
        return Err(Error::Invalid(format!(
            "payment {} of {} cents does not match order {} ({} cents, VAT included)",
            p.payment_id, p.amount_cents, order.id, order.amount_cents
        )));
    }
    sqlx::query(
        "INSERT INTO payments (payment_id, order_id, source, amount_cents, paid_at, detail, recorded_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(p.payment_id)
    .bind(&order.id)
    .bind(p.source)
    .bind(p.amount_cents)
    .bind(p.paid_at)
    .bind(p.detail)
    .bind(now)
    .execute(&mut *c)
    .await?;
    sqlx::query("UPDATE orders SET state = 'paid', paid_at = $1, payment_id = $2 WHERE id = $3 AND state = 'open'")
        .bind(p.paid_at)
        .bind(p.payment_id)
        .bind(&order.id)
        .execute(&mut *c)
        .await?;
    let paid = self::order(c, &order.id).await?.ok_or(Error::NotFound {
        what: "order",
        key: order.id.clone(),
    })?;
    Ok(Recorded::Paid(paid))
}

/// Every payment id applied so far (for the bank import's duplicate check).
pub async fn applied_payment_ids(c: &mut Conn) -> Result<Vec<String>> {
    let rows: Vec<(String,)> = sqlx::query_as("SELECT payment_id FROM payments").fetch_all(c).await?;
    Ok(rows.into_iter().map(|r| r.0).collect())
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LogEntry {
    pub at: i64,
    pub subscription_id: Option<i64>,
    pub mailbox: String,
    pub event: String,
    pub detail: String,
}

/// Appends to the lifecycle log.
pub async fn log(
    c: &mut Conn,
    at: i64,
    subscription_id: Option<i64>,
    mailbox: &str,
    event: &str,
    detail: &str,
) -> Result<()> {
    sqlx::query("INSERT INTO lifecycle_log (at, subscription_id, mailbox, event, detail) VALUES ($1, $2, $3, $4, $5)")
        .bind(at)
        .bind(subscription_id)
        .bind(mailbox)
        .bind(event)
        .bind(detail)
        .execute(c)
        .await?;
    Ok(())
}

/// The lifecycle log of a mailbox, oldest first.
pub async fn log_of(c: &mut Conn, mailbox: &str) -> Result<Vec<LogEntry>> {
    let rows: Vec<(i64, Option<i64>, String, String, String)> = sqlx::query_as(
        "SELECT at, subscription_id, mailbox, event, detail FROM lifecycle_log WHERE mailbox = $1 ORDER BY at, id",
    )
    .bind(mailbox.to_ascii_lowercase())
    .fetch_all(c)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(at, subscription_id, mailbox, event, detail)| LogEntry {
            at,
            subscription_id,
            mailbox,
            event,
            detail,
        })
        .collect())
}
