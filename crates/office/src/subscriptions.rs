//! Mailboxes under a convention: subscribing one with its holder, what a
//! subscription holds (its orders, payments and lifecycle log), the renewal
//! order of the current expiry, and a cancellation the operator records.

use chrono::{DateTime, NaiveDate, Utc};
use engine::lifecycle::{Encoded, decode, orders::ensure_order, state_name};
use lifecycle::convention::{Convention, add_months};
use lifecycle::holder::{Holder, TaxId};
use lifecycle::money::{Money, VatRate};
use lifecycle::subscription::{Pricing, State, Subscription, SubscriptionError, activate};
use serde::Serialize;
use store::lifecycle::{self as lc, Order, StoredSubscription};
use store::mailboxes::{self, Status};

use crate::amounts::{percent, plain};
use crate::conventions::{self, PriceReport};
use crate::{Error, Office, Result};

/// A subscription to create, as the holder gives it.
#[derive(Debug, Clone)]
pub struct NewSubscription<'a> {
    /// The mailbox; it must exist on this provider.
    pub address: &'a str,
    /// The convention code the member gives.
    pub convention: &'a str,
    pub plan: &'a str,
    /// Codice fiscale or partita IVA.
    pub tax_id: &'a str,
    pub name: &'a str,
    pub billing_address: &'a str,
    /// The ordinary e-mail, for notices on that channel.
    pub email: Option<&'a str>,
    pub pricing: Pricing,
    /// The activation time; None: now.
    pub at: Option<DateTime<Utc>>,
}

/// A subscription created.
#[derive(Debug, Clone, Serialize)]
pub struct Created {
    pub mailbox: String,
    pub convention: String,
    pub plan: String,
    pub pricing: Pricing,
    /// The last day of service.
    pub expiry: NaiveDate,
    /// The price of a term.
    pub price: Option<PriceReport>,
}

/// Subscribes an existing mailbox under a convention: the pure rules first (the
/// holder's tax id with its check character, the plan, the offer window, the
/// convention's domains), each refusal naming its input; then, in one
/// transaction, the subscription, the plan's quota, the mailbox active and the
/// activation in the lifecycle log. A deleted address may be bought again only
/// by its holder.
pub async fn create(office: &Office, new: &NewSubscription<'_>) -> Result<Created> {
    let holder = holder(new)?;
    let at = new.at.unwrap_or_else(|| office.now());
    let mut tx = office.store().begin().await?;
    let conv = conventions::stored(&mut tx, new.convention, "convention").await?;
    let address = mailboxes::normalize(new.address).map_err(|e| Error::invalid("address", e.to_string()))?;
    let sub = activate(&conv, new.plan, &address, holder, at, new.pricing).map_err(|e| refused_activation(&conv, e))?;
    if mailboxes::get(&mut tx, &address).await?.is_none() {
        return Err(Error::not_found(
            "address",
            format!("no mailbox {address} on this provider: create the mailbox first"),
        ));
    }
    let encoded = Encoded::of(&sub)?;
    let row = lc::insert_subscription(&mut tx, &encoded.row(&sub), store::millis(at))
        .await
        .map_err(store_refusal)?;
    if let Some(p) = conv.plan(&sub.plan) {
        mailboxes::set_quota(&mut tx, &address, p.quota_bytes as i64).await?;
    }
    mailboxes::set_status(&mut tx, &address, Status::Active).await?;
    lc::log(
        &mut tx,
        store::millis(at),
        Some(row.id),
        &address,
        "activated",
        &format!("convention {} plan {} expiry {}", conv.code, sub.plan, sub.expiry),
    )
    .await?;
    tx.commit().await?;
    Ok(Created {
        mailbox: row.mailbox,
        convention: conv.code.clone(),
        price: sub.price(&conv).map(PriceReport::from),
        plan: sub.plan,
        pricing: sub.pricing,
        expiry: sub.expiry,
    })
}

fn holder(new: &NewSubscription<'_>) -> Result<Holder> {
    holder_of(new.tax_id, new.name, new.billing_address, new.email)
}

/// The holder's data checked, each refusal naming its field (the tax id with
/// the reason its check gives).
pub(crate) fn holder_of(tax_id: &str, name: &str, billing_address: &str, email: Option<&str>) -> Result<Holder> {
    let tax_id = TaxId::parse(tax_id).map_err(|e| Error::invalid("tax_id", e.to_string()))?;
    for (field, value) in [("name", name), ("billing_address", billing_address)] {
        if value.trim().is_empty() {
            return Err(Error::invalid(field, "empty"));
        }
    }
    if let Some(e) = email
        && !e.split_once('@').is_some_and(|(l, d)| !l.is_empty() && d.contains('.'))
    {
        return Err(Error::invalid("email", format!("{e:?} is not an e-mail address")));
    }
    Ok(Holder {
        tax_id,
        name: name.trim().to_string(),
        billing_address: billing_address.trim().to_string(),
        reference_email: email.map(|e| e.trim().to_string()),
    })
}

/// The input an activation refused by the rules is about. An offer window that
/// ended is a refusal that the list price (when the convention has one) would
/// turn into an activation.
fn refused_activation(conv: &Convention, e: SubscriptionError) -> Error {
    let reason = e.to_string();
    match e {
        SubscriptionError::UnknownPlan { .. } => Error::invalid("plan", reason),
        SubscriptionError::OfferWindowEnded { .. } if conv.list_price.is_some() => {
            Error::refused_on("list_price", reason)
        }
        SubscriptionError::OfferWindowEnded { .. } | SubscriptionError::OfferWindowNotOpen { .. } => {
            Error::invalid("at", reason)
        }
        SubscriptionError::NoListPrice { .. } => Error::invalid("list_price", reason),
        SubscriptionError::ForeignDomain { .. } => Error::invalid("address", reason),
        _ => Error::invalid("convention", reason),
    }
}

/// A store's refusal of a write (an address subscribed already, another holder's
/// deleted address) as the office's.
fn store_refusal(e: store::Error) -> Error {
    match e {
        store::Error::Invalid(reason) | store::Error::Conflict(reason) => Error::refused(reason),
        other => other.into(),
    }
}

/// An engine's refusal (what is stored does not allow the operation now) as the
/// office's; the engine's own failures pass through.
pub(crate) fn engine_refusal(e: engine::Error) -> Error {
    match e {
        engine::Error::Invalid(reason) => Error::refused(reason),
        engine::Error::Store(e) => store_refusal(e),
        other => other.into(),
    }
}

/// A renewal order, as the holder reads it.
#[derive(Debug, Clone, Serialize)]
pub struct OrderReport {
    /// `CRT-YYYY-NNNNNN`: to be written in the bank transfer's reference.
    pub id: String,
    /// `open`, `paid` or `cancelled`.
    pub state: String,
    pub plan: String,
    /// The expiry it renews from, whenever it is paid.
    pub renews_expiry: String,
    #[serde(serialize_with = "plain")]
    pub net: Money,
    #[serde(rename = "vat_percent", serialize_with = "percent")]
    pub vat: VatRate,
    /// VAT included.
    #[serde(serialize_with = "plain")]
    pub amount: Money,
    pub amount_cents: i64,
    pub created_at: DateTime<Utc>,
    pub paid_at: Option<DateTime<Utc>>,
    pub payment_id: Option<String>,
}

impl From<&Order> for OrderReport {
    fn from(o: &Order) -> OrderReport {
        OrderReport {
            id: o.id.clone(),
            state: o.state.clone(),
            plan: o.plan.clone(),
            renews_expiry: o.renews_expiry.clone(),
            net: Money::from_cents(o.net_cents),
            vat: VatRate {
                basis_points: u32::try_from(o.vat_basis_points).unwrap_or(0),
            },
            amount: Money::from_cents(o.amount_cents),
            amount_cents: o.amount_cents,
            created_at: store::instant(o.created_at),
            paid_at: o.paid_at.map(store::instant),
            payment_id: o.payment_id.clone(),
        }
    }
}

/// A payment that paid one of the subscription's orders.
#[derive(Debug, Clone, Serialize)]
pub struct PaymentRecord {
    pub payment_id: String,
    pub order_id: String,
    #[serde(serialize_with = "plain")]
    pub amount: Money,
    pub paid_at: Option<DateTime<Utc>>,
}

/// One entry of the lifecycle log.
#[derive(Debug, Clone, Serialize)]
pub struct LogLine {
    pub at: DateTime<Utc>,
    pub event: String,
    pub detail: String,
}

/// A subscription with its orders, payments and lifecycle log.
#[derive(Debug, Clone, Serialize)]
pub struct Shown {
    pub mailbox: String,
    /// `active`, `suspended`, `receive-only`, `closed`, `deleted`.
    pub state: &'static str,
    pub expiry: NaiveDate,
    pub convention: String,
    pub plan: String,
    pub pricing: Pricing,
    pub holder: Holder,
    pub activated_at: DateTime<Utc>,
    pub cancelled_at: Option<DateTime<Utc>>,
    pub last_payment_at: Option<DateTime<Utc>>,
    /// The whole record.
    pub subscription: Subscription,
    pub version: i64,
    pub orders: Vec<OrderReport>,
    pub payments: Vec<PaymentRecord>,
    pub timeline: Vec<LogLine>,
}

/// The live subscription of `address`, else its last one (deleted).
pub async fn show(office: &Office, address: &str) -> Result<Shown> {
    let mut c = office.store().conn().await?;
    let address = mailboxes::normalize(address).map_err(|e| Error::invalid("address", e.to_string()))?;
    let row = match lc::subscription(&mut c, &address).await? {
        Some(row) => row,
        None => lc::history(&mut c, &address)
            .await?
            .pop()
            .ok_or_else(|| Error::not_found("address", format!("{address} has no subscription")))?,
    };
    let sub = readable(&row)?;
    let orders = lc::orders_of(&mut c, &row.mailbox).await?;
    let log = lc::log_of(&mut c, &row.mailbox).await?;
    Ok(Shown {
        mailbox: row.mailbox.clone(),
        state: state_name(&sub.state),
        expiry: sub.expiry,
        convention: sub.convention.clone(),
        plan: sub.plan.clone(),
        pricing: sub.pricing,
        holder: sub.holder.clone(),
        activated_at: sub.activated_at,
        cancelled_at: sub.cancelled_at,
        last_payment_at: sub.last_payment_at,
        version: row.version,
        payments: orders
            .iter()
            .filter_map(|o| {
                o.payment_id.as_ref().map(|p| PaymentRecord {
                    payment_id: p.clone(),
                    order_id: o.id.clone(),
                    amount: Money::from_cents(o.amount_cents),
                    paid_at: o.paid_at.map(store::instant),
                })
            })
            .collect(),
        orders: orders.iter().map(OrderReport::from).collect(),
        timeline: log
            .into_iter()
            .map(|e| LogLine {
                at: store::instant(e.at),
                event: e.event,
                detail: e.detail,
            })
            .collect(),
        subscription: sub,
    })
}

/// A subscription in the list.
#[derive(Debug, Clone, Serialize)]
pub struct Listed {
    pub mailbox: String,
    pub convention: String,
    pub state: String,
    pub expiry: String,
    pub tax_id: String,
    pub cancelled_at: Option<DateTime<Utc>>,
}

/// The subscriptions not deleted (of one convention, any case), by mailbox.
pub async fn list(office: &Office, convention: Option<&str>) -> Result<Vec<Listed>> {
    let rows = lc::list_subscriptions(&mut *office.store().conn().await?, convention).await?;
    Ok(rows
        .into_iter()
        .map(|r| Listed {
            mailbox: r.mailbox,
            convention: r.convention,
            state: r.state,
            expiry: r.expiry,
            tax_id: r.tax_id,
            cancelled_at: r.cancelled_at.map(store::instant),
        })
        .collect())
}

/// The renewal order and how to pay it.
#[derive(Debug, Clone, Serialize)]
pub struct Renewal {
    #[serde(flatten)]
    pub order: OrderReport,
    pub mailbox: String,
    /// The expiry once paid: the current one plus the plan's renewal term.
    pub next_expiry: Option<NaiveDate>,
    pub payment_methods: Vec<String>,
    /// The provider's renewal page for this order.
    pub renewal_url: String,
}

/// The renewal order of the subscription's current expiry, created once (the
/// daily machine's notices name the same one), with `plan` when the holder
/// changes plan at renewal. A cancelled or closed subscription cannot be renewed.
pub async fn renew(office: &Office, address: &str, plan: Option<&str>) -> Result<Renewal> {
    let now = office.now();
    let mut tx = office.store().begin().await?;
    let row = live(&mut tx, address).await?;
    let sub = readable(&row)?;
    if let Some(at) = sub.cancelled_at {
        return Err(Error::refused(format!(
            "{} was cancelled on {at}: it cannot be renewed",
            sub.mailbox
        )));
    }
    if let State::Closed { at } = sub.state {
        return Err(Error::refused(format!(
            "{} was closed on {at}: it cannot be renewed, only bought again",
            sub.mailbox
        )));
    }
    let conv = conventions::of_subscription(&mut tx, &sub).await?;
    if let Some(p) = plan
        && conv.plan(p).is_none()
    {
        return Err(Error::refused(format!("convention {} has no plan \"{p}\"", conv.code)));
    }
    let existed = lc::order_for(&mut tx, row.id, &sub.expiry.to_string()).await?.is_some();
    let order = ensure_order(&mut tx, &row, &sub, &conv, plan, now)
        .await
        .map_err(engine_refusal)?;
    if plan.is_some_and(|p| p != order.plan) {
        return Err(Error::refused(format!(
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
    let next_expiry = next_expiry(&conv, &order);
    let settings = office.engine().lifecycle_config();
    let token = office.engine().renewal_links()?.token(&order.id, sub.expiry);
    Ok(Renewal {
        renewal_url: settings
            .renewal_url
            .replace("{mailbox}", &order.mailbox)
            .replace("{order}", &order.id)
            .replace("{token}", &token),
        payment_methods: settings.payment_methods.clone(),
        mailbox: order.mailbox.clone(),
        next_expiry,
        order: OrderReport::from(&order),
    })
}

/// The last day of service once `order` is paid: the expiry it renews plus
/// its plan's renewal term, whenever the payment arrives.
pub(crate) fn next_expiry(conv: &Convention, order: &Order) -> Option<NaiveDate> {
    let plan = conv.plan(&order.plan)?;
    let from: NaiveDate = order.renews_expiry.parse().ok()?;
    Some(add_months(from, plan.renewal_term_months))
}

/// A cancellation recorded.
#[derive(Debug, Clone, Serialize)]
pub struct Cancelled {
    pub mailbox: String,
    /// The legal time kept: the first cancellation's, when there were several.
    pub cancelled_at: DateTime<Utc>,
    /// The last day of service.
    pub expiry: NaiveDate,
}

/// Records a cancellation received otherwise than as a PEC to the management
/// address (those are read by the daily machine) at its `legal_time` (a
/// registered letter's receipt): no more notices nor tacit renewal, the open
/// orders cancelled, the service ends at expiry; the holder is told. `source`
/// says how it was received, in the lifecycle log.
pub async fn cancel(office: &Office, address: &str, legal_time: DateTime<Utc>, source: &str) -> Result<Cancelled> {
    let sub = office
        .engine()
        .cancel_subscription(address, legal_time, source, office.now())
        .await
        .map_err(engine_refusal)?;
    Ok(Cancelled {
        cancelled_at: sub.cancelled_at.unwrap_or(legal_time),
        mailbox: sub.mailbox,
        expiry: sub.expiry,
    })
}

/// The live subscription of `address`.
async fn live(c: &mut store::Conn, address: &str) -> Result<StoredSubscription> {
    let address = mailboxes::normalize(address).map_err(store_refusal)?;
    lc::subscription(c, &address)
        .await?
        .ok_or_else(|| Error::refused(format!("{address} has no subscription")))
}

/// A stored subscription's record, read back.
pub(crate) fn readable(row: &StoredSubscription) -> Result<Subscription> {
    decode(row).map_err(|e| Error::corrupt(e.to_string()))
}
