//! The renewal page of one order (issue 13, "the renewal page that every
//! notice links to"), opened without logging in through the link of the notice
//! ([`engine::renewal_link`]): the mailbox and its expiry, the order with its
//! amount net, VAT and total, the expiry once paid, and the ways to pay. The
//! link opens its own order and nothing else; the order number alone opens
//! nothing.
//!
//! Paying early never moves the next expiry: an order renews from the expiry
//! it names (`renews_expiry`), whenever it is paid (lifecycle.md, "Renewal").

use chrono::NaiveDate;
use engine::lifecycle::{decode, state_name};
use engine::renewal_link::LinkProblem;
use lifecycle::convention::add_months;
use serde::Serialize;
use store::lifecycle as lc;

use crate::subscriptions::OrderReport;
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
}

/// The renewal page the link `token` opens today.
pub async fn open(office: &Office, token: &str) -> Result<RenewalPage> {
    let order_id = match office.engine().renewal_links()?.check(token, office.today()) {
        Ok(id) => id,
        Err(LinkProblem::Invalid) => {
            return Err(Error::not_found(
                "token",
                "this renewal link is not valid: open it from the notice exactly as it was sent",
            ));
        }
        Err(LinkProblem::Expired) => {
            return Err(Error::refused_on(
                "token",
                "this renewal link has expired: the mailbox can no longer be renewed from it",
            ));
        }
    };
    let mut c = office.store().conn().await?;
    let order = lc::order(&mut c, &order_id)
        .await?
        .ok_or_else(|| Error::not_found("token", format!("the order {order_id} of this link no longer exists")))?;
    let row = match lc::subscription_by_id(&mut c, order.subscription_id).await {
        Err(store::Error::NotFound { .. }) => {
            return Err(Error::not_found(
                "token",
                format!("the subscription of the order {order_id} no longer exists"),
            ));
        }
        other => other?,
    };
    let sub = decode(&row).map_err(|e| Error::corrupt(e.to_string()))?;
    let conv = crate::conventions::of_subscription(&mut c, &sub).await?;
    let next_expiry = conv.plan(&order.plan).and_then(|p| {
        order
            .renews_expiry
            .parse::<NaiveDate>()
            .ok()
            .map(|d| add_months(d, p.renewal_term_months))
    });
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
        order: OrderReport::from(&order),
    })
}
