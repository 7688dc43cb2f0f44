//! The renewal page of one order (issue 13, "the renewal page that every
//! notice links to"), opened without logging in through the link of the notice
//! ([`engine::renewal_link`]): the mailbox and its expiry, the order with its
//! amount net, VAT and total, the expiry once paid, and the ways to pay. The
//! link opens its own order and nothing else; the order number alone opens
//! nothing.
//!
//! Paying early never moves the next expiry: an order renews from the expiry
//! it names (`renews_expiry`), whenever it is paid (lifecycle.md, "Renewal").
//!
//! The plan may change at renewal (`lifecycle::subscription::renew`): while
//! the order is open, [`change_plan`] replaces it by one of another plan of the
//! convention, and the page goes on under the new order's link.

use chrono::NaiveDate;
use engine::lifecycle::orders::ensure_order;
use engine::lifecycle::{decode, state_name};
use engine::renewal_link::LinkProblem;
use lifecycle::convention::Convention;
use lifecycle::money::Money;
use lifecycle::subscription::{Pricing, Subscription};
use serde::Serialize;
use store::lifecycle::{self as lc, Order, StoredSubscription};

use crate::subscriptions::{OrderReport, next_expiry};
use crate::{Error, Office, Result};

/// What the renewal page shows.
#[derive(Debug, Clone, Serialize)]
pub struct RenewalPage {
    pub mailbox: String,
    pub holder: String,
    /// `active`, `suspended`, `receive-only`, `closed`, `deleted`.
    pub state: &'static str,
    /// The last day of the service paid so far.
    pub expiry: NaiveDate,
    /// The subscription was cancelled: it is not renewed.
    pub cancelled: bool,
    pub convention: String,
    /// The Order of the convention.
    pub order_of: String,
    pub order: OrderReport,
    /// The last day of service once this order is paid.
    pub next_expiry: Option<NaiveDate>,
    /// The provider's ways to pay, one line each.
    pub payment_methods: Vec<String>,
    /// What a bank transfer's reference must say.
    pub transfer_reference: String,
    /// The plans the renewal may choose, with their renewal price.
    pub plans: Vec<PlanChoice>,
}

/// A plan the renewal may choose.
#[derive(Debug, Clone, Serialize)]
pub struct PlanChoice {
    pub name: String,
    pub renewal_term_months: u32,
    /// VAT included.
    pub gross: Money,
}

fn plan_choices(conv: &Convention, sub: &Subscription) -> Vec<PlanChoice> {
    conv.plans
        .iter()
        .filter_map(|p| {
            let price = match sub.pricing {
                Pricing::ListPrice => conv.list_price?,
                Pricing::Convention => p.price,
            };
            Some(PlanChoice {
                name: p.name.clone(),
                renewal_term_months: p.renewal_term_months,
                gross: price.gross(),
            })
        })
        .collect()
}

/// The order a link opens today, checked: an altered or made-up link is not
/// found, an expired one refused, both naming the token. `what` names the
/// link in the reason ("renewal", "order"). Every page opened by an order's
/// link (renewal, activation, checkout) checks it here.
pub(crate) fn linked_order_id(office: &Office, token: &str, what: &str) -> Result<String> {
    match office.engine().renewal_links()?.check(token, office.today()) {
        Ok(id) => Ok(id),
        Err(LinkProblem::Invalid) => Err(Error::not_found(
            "token",
            format!("this {what} link is not valid: open it exactly as it was given"),
        )),
        Err(LinkProblem::Expired) => Err(Error::refused_on(
            "token",
            format!("this {what} link has expired: nothing can be paid from it any more"),
        )),
    }
}

/// What a link's order stands on: the order, its subscription (stored and
/// read) and the subscription's convention.
struct Linked {
    order: Order,
    row: StoredSubscription,
    sub: Subscription,
    conv: Convention,
}

/// The order the link `token` opens today, with what it stands on.
async fn linked(office: &Office, c: &mut store::Conn, token: &str) -> Result<Linked> {
    let order_id = linked_order_id(office, token, "renewal")?;
    let order = lc::order(c, &order_id)
        .await?
        .ok_or_else(|| Error::not_found("token", format!("the order {order_id} of this link no longer exists")))?;
    let Some(subscription_id) = order.subscription_id.filter(|_| !order.is_activation()) else {
        return Err(Error::not_found(
            "token",
            format!("the order {order_id} of this link is not a renewal"),
        ));
    };
    let row = match lc::subscription_by_id(c, subscription_id).await {
        Err(store::Error::NotFound { .. }) => {
            return Err(Error::not_found(
                "token",
                format!("the subscription of the order {order_id} no longer exists"),
            ));
        }
        other => other?,
    };
    let sub = decode(&row).map_err(|e| Error::corrupt(e.to_string()))?;
    let conv = crate::conventions::of_subscription(c, &sub).await?;
    Ok(Linked { order, row, sub, conv })
}

/// Replaces the open order the link `token` opens by one of `plan`, renewing
/// the same expiry; the new order's token. The same plan changes nothing.
pub async fn change_plan(office: &Office, token: &str, plan: &str) -> Result<String> {
    let now = office.now();
    let mut tx = office.store().begin().await?;
    let Linked { order, row, sub, conv } = linked(office, &mut tx, token).await?;
    if conv.plan(plan).is_none() {
        return Err(Error::invalid(
            "plan",
            format!("the convention {} has no plan \"{plan}\"", conv.code),
        ));
    }
    if order.state != "open" || sub.cancelled_at.is_some() || order.renews_expiry != sub.expiry.to_string() {
        return Err(Error::refused_on(
            "plan",
            format!(
                "the order {} is {}: its plan can no longer change",
                order.id, order.state
            ),
        ));
    }
    let links = office.engine().renewal_links()?;
    if order.plan == plan {
        return Ok(links.token(&order.id, sub.expiry));
    }
    lc::cancel_open_orders(&mut tx, row.id).await?;
    let new = ensure_order(&mut tx, &row, &sub, &conv, Some(plan), now)
        .await
        .map_err(crate::subscriptions::engine_refusal)?;
    lc::log(
        &mut tx,
        store::millis(now),
        Some(row.id),
        &row.mailbox,
        "order",
        &format!(
            "{} {} cents, plan {plan}, replacing {}",
            new.id, new.amount_cents, order.id
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(links.token(&new.id, sub.expiry))
}

/// The renewal page the link `token` opens today.
pub async fn open(office: &Office, token: &str) -> Result<RenewalPage> {
    let mut c = office.store().conn().await?;
    let Linked { order, sub, conv, .. } = linked(office, &mut c, token).await?;
    let next_expiry = next_expiry(&conv, &order);
    Ok(RenewalPage {
        transfer_reference: format!("{} {}", order.id, order.mailbox),
        mailbox: order.mailbox.clone(),
        holder: sub.holder.name.clone(),
        state: state_name(&sub.state),
        expiry: sub.expiry,
        cancelled: sub.cancelled_at.is_some(),
        convention: conv.code.clone(),
        order_of: conv.order.clone(),
        next_expiry,
        payment_methods: office.engine().lifecycle_config().payment_methods.clone(),
        plans: plan_choices(&conv, &sub),
        order: OrderReport::from(&order),
    })
}
