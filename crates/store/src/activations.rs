//! Mailboxes bought on the web by convention code (issue 13): until its first
//! order is paid, an address is *reserved* for the holder who ordered it, for a
//! configured time; paying the order creates the mailbox and its subscription
//! (the engine's `apply_payment`). A reservation that passed its time *lapses*
//! when the address is asked for again or when the daily machine sweeps: its
//! order is cancelled, and a payment of it is refused like any cancelled order's.

use crate::lifecycle::{Order, next_order_id, order};
use crate::mailboxes::normalize;
use crate::{Conn, Error, Result};

/// A reservation with its order, as a member makes it.
#[derive(Debug, Clone, Copy)]
pub struct NewActivation<'a> {
    pub mailbox: &'a str,
    pub convention: &'a str,
    pub plan: &'a str,
    /// `convention` or `list-price`, as the lifecycle crate names its Pricing.
    pub pricing: &'a str,
    /// The holder's codice fiscale or partita IVA, as the subscriptions keep it.
    pub tax_id: &'a str,
    /// The lifecycle crate's Holder as JSON.
    pub holder: &'a str,
    /// argon2id ([`crate::mailboxes::hash_password`]).
    pub password_hash: &'a str,
    pub net_cents: i64,
    pub vat_basis_points: i64,
    pub amount_cents: i64,
    pub reserved_until: i64,
}

/// A reservation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Activation {
    pub order_id: String,
    pub mailbox: String,
    pub convention: String,
    pub plan: String,
    pub pricing: String,
    pub tax_id: String,
    pub holder: String,
    pub password_hash: String,
    pub reserved_until: i64,
    /// `reserved`, `activated` or `lapsed`.
    pub state: String,
    pub created_at: i64,
}

/// Whether an address can be ordered, and by whom.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Availability {
    Free,
    /// A mailbox of this provider has it.
    Taken,
    /// Another holder's order holds it until then (milliseconds).
    Reserved {
        until: i64,
    },
    /// This holder's own open order holds it: ordering again replaces that order.
    ReservedBySame {
        order_id: String,
    },
    /// The address belonged to a mailbox that was deleted: only its last holder may buy it again.
    OtherHolder,
}

type Row = (
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    i64,
    String,
    i64,
);
macro_rules! columns {
    () => {
        "order_id, mailbox, convention, plan, pricing, tax_id, holder, password_hash, reserved_until, state, created_at"
    };
}

fn to_activation(r: Row) -> Activation {
    Activation {
        order_id: r.0,
        mailbox: r.1,
        convention: r.2,
        plan: r.3,
        pricing: r.4,
        tax_id: r.5,
        holder: r.6,
        password_hash: r.7,
        reserved_until: r.8,
        state: r.9,
        created_at: r.10,
    }
}

/// Whether `mailbox` can be ordered by `tax_id` (None: by anyone) at `now`.
pub async fn availability(c: &mut Conn, mailbox: &str, tax_id: Option<&str>, now: i64) -> Result<Availability> {
    let mailbox = normalize(mailbox)?;
    if crate::mailboxes::get(c, &mailbox).await?.is_some() {
        // A mailbox whose last subscription was deleted may be bought again by its holder.
        let deleted_of = crate::lifecycle::history(c, &mailbox)
            .await?
            .pop()
            .filter(|s| s.state == "deleted")
            .map(|s| s.tax_id);
        return Ok(match deleted_of {
            None => Availability::Taken,
            Some(holder) if tax_id == Some(holder.as_str()) => match reserved(c, &mailbox).await? {
                Some(r) if r.reserved_until >= now => Availability::ReservedBySame { order_id: r.order_id },
                _ => Availability::Free,
            },
            Some(_) => Availability::OtherHolder,
        });
    }
    if let Some(r) = reserved(c, &mailbox).await?
        && r.reserved_until >= now
    {
        return Ok(match tax_id {
            Some(t) if t == r.tax_id => Availability::ReservedBySame { order_id: r.order_id },
            _ => Availability::Reserved {
                until: r.reserved_until,
            },
        });
    }
    if let Some(last) = crate::lifecycle::last_holder(c, &mailbox).await?
        && tax_id.is_none_or(|t| t != last)
    {
        return Ok(Availability::OtherHolder);
    }
    Ok(Availability::Free)
}

/// The live reservation of `mailbox` (possibly past its time, not swept yet).
async fn reserved(c: &mut Conn, mailbox: &str) -> Result<Option<Activation>> {
    let row: Option<Row> = sqlx::query_as(concat!(
        "SELECT ",
        columns!(),
        " FROM activations WHERE mailbox = $1 AND state = 'reserved'"
    ))
    .bind(mailbox)
    .fetch_optional(c)
    .await?;
    Ok(row.map(to_activation))
}

/// Reserves the address with its order (numbered in `year`), in the caller's
/// transaction: refused when the address is taken, reserved by another holder
/// or was another holder's. A lapsed reservation of the address is swept first;
/// this holder's own open order for it is replaced.
pub async fn reserve(c: &mut Conn, new: &NewActivation<'_>, year: i32, now: i64) -> Result<(Order, Activation)> {
    let mailbox = normalize(new.mailbox)?;
    match availability(c, &mailbox, Some(new.tax_id), now).await? {
        Availability::Free => {}
        Availability::ReservedBySame { order_id } => lapse(c, &order_id).await?,
        Availability::Taken => return Err(Error::Conflict(format!("{mailbox} is taken: choose another name"))),
        Availability::Reserved { .. } => {
            return Err(Error::Conflict(format!(
                "{mailbox} is reserved by another order: choose another name"
            )));
        }
        Availability::OtherHolder => {
            return Err(Error::Conflict(format!(
                "{mailbox} belonged to a mailbox that was deleted: only its holder may buy it again"
            )));
        }
    }
    // A reservation past its time is swept before the address is reserved again.
    // One that is not is another order's, committed while this one waited for
    // its number (PostgreSQL reads each statement afresh): a conflict.
    if let Some(old) = reserved(c, &mailbox).await? {
        if old.reserved_until >= now {
            return Err(Error::Conflict(format!(
                "{mailbox} was reserved by another order a moment ago: choose another name"
            )));
        }
        lapse(c, &old.order_id).await?;
    }
    let id = next_order_id(c, year).await?;
    sqlx::query(
        "INSERT INTO orders (id, subscription_id, mailbox, plan, renews_expiry, net_cents, vat_basis_points,
                             amount_cents, state, created_at, kind)
         VALUES ($1, NULL, $2, $3, '', $4, $5, $6, 'open', $7, 'activation')",
    )
    .bind(&id)
    .bind(&mailbox)
    .bind(new.plan)
    .bind(new.net_cents)
    .bind(new.vat_basis_points)
    .bind(new.amount_cents)
    .bind(now)
    .execute(&mut *c)
    .await?;
    sqlx::query(concat!(
        "INSERT INTO activations (",
        columns!(),
        ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'reserved', $10)"
    ))
    .bind(&id)
    .bind(&mailbox)
    .bind(new.convention)
    .bind(new.plan)
    .bind(new.pricing)
    .bind(new.tax_id)
    .bind(new.holder)
    .bind(new.password_hash)
    .bind(new.reserved_until)
    .bind(now)
    .execute(&mut *c)
    .await
    .map_err(|e| match e {
        // Another holder's order reserved it meanwhile (PostgreSQL lets both check
        // first; the unique index keeps one): the caller's transaction rolls back.
        sqlx::Error::Database(d) if d.is_unique_violation() => Error::Conflict(format!(
            "{mailbox} was reserved by another order a moment ago: choose another name"
        )),
        other => other.into(),
    })?;
    let order = order(c, &id).await?.ok_or_else(|| Error::NotFound {
        what: "order",
        key: id.clone(),
    })?;
    let activation = of_order(c, &id).await?.ok_or(Error::NotFound {
        what: "activation",
        key: id,
    })?;
    Ok((order, activation))
}

/// The reservation of an activation order.
pub async fn of_order(c: &mut Conn, order_id: &str) -> Result<Option<Activation>> {
    let row: Option<Row> = sqlx::query_as(concat!("SELECT ", columns!(), " FROM activations WHERE order_id = $1"))
        .bind(order_id.trim().to_ascii_uppercase())
        .fetch_optional(c)
        .await?;
    Ok(row.map(to_activation))
}

/// A reservation lapses: its order is cancelled if still open.
async fn lapse(c: &mut Conn, order_id: &str) -> Result<()> {
    sqlx::query("UPDATE activations SET state = 'lapsed' WHERE order_id = $1 AND state = 'reserved'")
        .bind(order_id)
        .execute(&mut *c)
        .await?;
    sqlx::query("UPDATE orders SET state = 'cancelled' WHERE id = $1 AND state = 'open'")
        .bind(order_id)
        .execute(&mut *c)
        .await?;
    Ok(())
}

/// Lapses every reservation past its time at `now`; their orders' ids.
pub async fn sweep(c: &mut Conn, now: i64) -> Result<Vec<Activation>> {
    let rows: Vec<Row> = sqlx::query_as(concat!(
        "SELECT ",
        columns!(),
        " FROM activations WHERE state = 'reserved' AND reserved_until < $1 ORDER BY order_id"
    ))
    .bind(now)
    .fetch_all(&mut *c)
    .await?;
    let lapsed: Vec<Activation> = rows.into_iter().map(to_activation).collect();
    for a in &lapsed {
        lapse(c, &a.order_id).await?;
    }
    Ok(lapsed)
}

/// The reservation is fulfilled: the paid order now belongs to the new subscription.
pub async fn activated(c: &mut Conn, order_id: &str, subscription_id: i64) -> Result<()> {
    sqlx::query("UPDATE activations SET state = 'activated' WHERE order_id = $1")
        .bind(order_id)
        .execute(&mut *c)
        .await?;
    sqlx::query("UPDATE orders SET subscription_id = $1 WHERE id = $2")
        .bind(subscription_id)
        .bind(order_id)
        .execute(&mut *c)
        .await?;
    Ok(())
}
