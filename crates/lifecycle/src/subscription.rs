//! A mailbox's subscription: activation, renewal, cancellation.
//!
//! The expiry date is the **last day of service**, a local date in the
//! convention's zone: Aruba deactivates "il giorno successivo alla data di
//! scadenza", DCS suspends at 11:00 "del giorno di scadenza".
//!
//! Renewal extends from the old expiry date, never from the payment date
//! (Aruba: "il pagamento anticipato ... non comporterà variazioni alla prossima
//! data di scadenza"). Months are added as chrono does, clamping to the end of
//! a shorter month: a box expiring on 29 February renewed for a year expires on
//! 28 February, and the next renewal extends from that.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::convention::{Convention, Plan, Price, add_months};
use crate::holder::{Holder, TaxId};
use crate::local::local_date;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Pricing {
    /// The plan's price under the convention.
    Convention,
    /// The convention's list price (activation after its offer window).
    ListPrice,
}

/// Where a mailbox stands. A cancellation does not change the state: it is
/// [`Subscription::cancelled_at`], and the service goes on until expiry
/// ("cancelled-pending"), then [`crate::policy::Action::EndService`] closes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "state")]
pub enum State {
    Active,
    /// Neither sends nor receives; nothing is deleted.
    Suspended {
        since: DateTime<Utc>,
    },
    /// Receives but cannot send.
    ReceiveOnly {
        since: DateTime<Utc>,
    },
    /// The service has ended; the contents are kept until the retention ends.
    Closed {
        at: DateTime<Utc>,
    },
    /// The contents are gone; only the address and its holder are remembered.
    Deleted {
        at: DateTime<Utc>,
    },
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subscription {
    pub mailbox: String,
    /// The convention's code.
    pub convention: String,
    pub plan: String,
    pub pricing: Pricing,
    pub holder: Holder,
    pub activated_at: DateTime<Utc>,
    /// Last day of service, local date in the convention's zone.
    pub expiry: NaiveDate,
    pub state: State,
    /// The legal time of the cancellation PEC (its acceptance), if any.
    pub cancelled_at: Option<DateTime<Utc>>,
    pub last_payment_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SubscriptionError {
    #[error("convention {convention} has no plan \"{plan}\" (plans: {known})")]
    UnknownPlan {
        convention: String,
        plan: String,
        known: String,
    },
    #[error("the offer window of convention {convention} ended on {ended}: activate at list price")]
    OfferWindowEnded { convention: String, ended: NaiveDate },
    #[error("the offer window of convention {convention} opens on {opens}: activate at list price")]
    OfferWindowNotOpen { convention: String, opens: NaiveDate },
    #[error("convention {convention} has no list price: configure list_price to activate outside its offer")]
    NoListPrice { convention: String },
    #[error("\"{mailbox}\" is not on a domain of convention {convention} ({domains})")]
    ForeignDomain {
        mailbox: String,
        convention: String,
        domains: String,
    },
    #[error("subscription of {mailbox} belongs to convention {actual}, not {given}")]
    WrongConvention {
        mailbox: String,
        actual: String,
        given: String,
    },
    #[error("{mailbox} was closed on {at}: it cannot be renewed, only bought again")]
    Closed { mailbox: String, at: DateTime<Utc> },
    #[error("{mailbox} was cancelled on {at}: it cannot be renewed")]
    Cancelled { mailbox: String, at: DateTime<Utc> },
}

fn plan<'c>(conv: &'c Convention, name: &str) -> Result<&'c Plan, SubscriptionError> {
    conv.plan(name).ok_or_else(|| SubscriptionError::UnknownPlan {
        convention: conv.code.clone(),
        plan: name.to_owned(),
        known: conv
            .plans
            .iter()
            .map(|p| p.name.as_str())
            .collect::<Vec<_>>()
            .join(", "),
    })
}

/// The pricing an activation at `at` gets: the convention's inside its offer
/// window, its list price after the window when it has one; refused before the
/// window opens, or after it without a list price.
pub fn pricing_at(conv: &Convention, at: DateTime<Utc>) -> Result<Pricing, SubscriptionError> {
    let today = local_date(conv.time_zone, at);
    match check_pricing(conv, today, Pricing::Convention) {
        Err(SubscriptionError::OfferWindowEnded { .. }) if conv.list_price.is_some() => Ok(Pricing::ListPrice),
        Err(e) => Err(e),
        Ok(()) => Ok(Pricing::Convention),
    }
}

fn check_pricing(conv: &Convention, today: NaiveDate, pricing: Pricing) -> Result<(), SubscriptionError> {
    match pricing {
        Pricing::Convention if today < conv.offer.from => Err(SubscriptionError::OfferWindowNotOpen {
            convention: conv.code.clone(),
            opens: conv.offer.from,
        }),
        Pricing::Convention if !conv.offer.contains(today) => {
            let ended = conv.offer.to.unwrap_or(today);
            Err(SubscriptionError::OfferWindowEnded {
                convention: conv.code.clone(),
                ended,
            })
        }
        Pricing::ListPrice if conv.list_price.is_none() => Err(SubscriptionError::NoListPrice {
            convention: conv.code.clone(),
        }),
        _ => Ok(()),
    }
}

/// Activates `mailbox` under `conv` and its plan `plan_name` at `at`.
///
/// The expiry is the convention's common date when it has one still ahead,
/// else the activation's local date plus the plan's first term.
pub fn activate(
    conv: &Convention,
    plan_name: &str,
    mailbox: &str,
    holder: Holder,
    at: DateTime<Utc>,
    pricing: Pricing,
) -> Result<Subscription, SubscriptionError> {
    let plan = plan(conv, plan_name)?;
    let domain = mailbox
        .rsplit_once('@')
        .map(|(_, d)| d.to_ascii_lowercase())
        .unwrap_or_default();
    if !conv.domains.contains(&domain) {
        return Err(SubscriptionError::ForeignDomain {
            mailbox: mailbox.to_owned(),
            convention: conv.code.clone(),
            domains: conv.domains.join(", "),
        });
    }
    let today = local_date(conv.time_zone, at);
    check_pricing(conv, today, pricing)?;
    let expiry = match conv.common_expiry {
        Some(common) if common > today => common,
        _ => add_months(today, plan.first_term_months),
    };
    Ok(Subscription {
        mailbox: mailbox.to_owned(),
        convention: conv.code.clone(),
        plan: plan.name.clone(),
        pricing,
        holder,
        activated_at: at,
        expiry,
        state: State::Active,
        cancelled_at: None,
        last_payment_at: None,
    })
}

/// Renews `sub` for one renewal term of `plan_name` (the same plan or another
/// one: the plan may change at renewal), paid at `paid_at`. The new expiry is
/// the old one plus the renewal term, whenever the payment arrives; a suspended
/// box stays suspended here and [`crate::policy::due_actions`] reactivates it
/// at once.
pub fn renew(
    sub: &Subscription,
    conv: &Convention,
    plan_name: &str,
    paid_at: DateTime<Utc>,
) -> Result<Subscription, SubscriptionError> {
    if sub.convention != conv.code {
        return Err(SubscriptionError::WrongConvention {
            mailbox: sub.mailbox.clone(),
            actual: sub.convention.clone(),
            given: conv.code.clone(),
        });
    }
    let plan = plan(conv, plan_name)?;
    match sub.state {
        State::Closed { at } | State::Deleted { at } => {
            return Err(SubscriptionError::Closed {
                mailbox: sub.mailbox.clone(),
                at,
            });
        }
        _ => {}
    }
    if let Some(at) = sub.cancelled_at {
        return Err(SubscriptionError::Cancelled {
            mailbox: sub.mailbox.clone(),
            at,
        });
    }
    Ok(Subscription {
        plan: plan.name.clone(),
        expiry: add_months(sub.expiry, plan.renewal_term_months),
        last_payment_at: Some(paid_at),
        ..sub.clone()
    })
}

/// Records a cancellation received as a PEC, at its legal time. Notices and
/// tacit renewal stop; the service ends at expiry. A second cancellation keeps
/// the first one's time.
pub fn cancel(sub: &Subscription, legal_time: DateTime<Utc>) -> Result<Subscription, SubscriptionError> {
    match sub.state {
        State::Closed { at } | State::Deleted { at } => Err(SubscriptionError::Closed {
            mailbox: sub.mailbox.clone(),
            at,
        }),
        _ => Ok(Subscription {
            cancelled_at: Some(sub.cancelled_at.map_or(legal_time, |t| t.min(legal_time))),
            ..sub.clone()
        }),
    }
}

impl Subscription {
    /// The price of the next term: the plan's under the convention, else the
    /// convention's list price.
    pub fn price(&self, conv: &Convention) -> Option<Price> {
        match self.pricing {
            Pricing::Convention => conv.plan(&self.plan).map(|p| p.price),
            Pricing::ListPrice => conv.list_price,
        }
    }

    pub fn is_cancelled(&self) -> bool {
        self.cancelled_at.is_some()
    }

    /// A deleted address may be bought again only by the same holder.
    pub fn may_be_bought_again_by(&self, tax_id: &TaxId) -> bool {
        matches!(self.state, State::Deleted { .. }) && self.holder.tax_id == *tax_id
    }
}
