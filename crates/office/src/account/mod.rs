//! The holder's subscription page (issue 13, item 4), for the logged-in
//! mailbox of the webmail: the state and since when, the expiry, the
//! convention and plan, the holder's data, every order with its payment and
//! receipt of payment, the notices received, the lifecycle timeline; and what
//! the holder does from there: edit the billing address and the reference
//! e-mail (`holder.rs`), renew (the renewal page of the current order), cancel
//! by PEC (`cancel.rs`), save the mailbox (`archive.rs`), change the password
//! (`password.rs`).
//!
//! Every function takes the session's mailbox id: a holder reaches their own
//! subscription and nothing else.
//!
//! When the service ends and when the contents are deleted is never computed
//! here: it is asked of the lifecycle policy itself
//! ([`lifecycle::policy::due_actions`] at an instant past both), so the page
//! says what the daily machine will do.

mod archive;
mod cancel;
mod holder;
mod password;

pub use archive::{ArchiveState, Archives, Download};
pub use cancel::{CancellationLetter, Sent, cancel_by_pec, cancellation_letter};
pub use holder::{HolderChange, update_holder};
pub use password::change_password;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use engine::lifecycle::{decode, state_name};
use lifecycle::convention::{Channel, Convention, Payer, RenewalMode};
use lifecycle::money::Money;
use lifecycle::policy::{Action, Done, due_actions};
use lifecycle::subscription::{Pricing, State, Subscription};
use serde::Serialize;
use store::lifecycle::{self as lc, LogEntry, StoredSubscription};

use crate::amounts::plain;
use crate::conventions::PriceReport;
use crate::subscriptions::{LogLine, OrderReport, next_expiry};
use crate::{Error, Office, Result};

/// The lifecycle log's event when the holder's cancellation PEC was accepted
/// (its identificativo and recipient in the detail), before the provider
/// records the cancellation from the management mailbox.
pub const CANCELLATION_SENT: &str = "cancellation-sent";

/// What the subscription page shows.
#[derive(Debug, Clone, Serialize)]
pub struct Account {
    pub mailbox: String,
    /// `active`, `suspended`, `receive-only`, `closed`, `deleted`.
    pub state: &'static str,
    /// Since when it is in that state.
    pub since: DateTime<Utc>,
    /// The last day of service paid so far.
    pub expiry: NaiveDate,
    pub convention: String,
    /// The Order of the convention.
    pub order_of: String,
    pub plan: PlanReport,
    pub pricing: Pricing,
    pub holder: HolderReport,
    /// Who pays the current expiry's renewal: `member` or `order`.
    pub payer: &'static str,
    /// Whether the holder can renew from the page (a live subscription, not
    /// cancelled nor closed, that the member pays).
    pub can_renew: bool,
    pub orders: Vec<OrderLine>,
    /// The provider's notices in the mailbox, newest first.
    pub notices: Vec<Notice>,
    /// Where the notices on the ordinary e-mail channel go, when the plan
    /// sends some there (they are in the timeline, not in the mailbox).
    pub ordinary_notices_to: Option<String>,
    /// The lifecycle log, newest first.
    pub timeline: Vec<LogLine>,
    pub cancellation: Cancellation,
    /// When the service ends and the contents are deleted: for a cancelled or
    /// closed subscription, what will (or did) happen; else what a
    /// cancellation made now would mean.
    pub ending: Option<Ending>,
}

/// The plan, as the holder reads it.
#[derive(Debug, Clone, Serialize)]
pub struct PlanReport {
    pub name: String,
    pub first_term_months: u32,
    pub renewal_term_months: u32,
    /// The price of a term (the convention's list price for a subscription at list price).
    pub price: Option<PriceReport>,
    pub quota_bytes: u64,
    /// Renews itself unless cancelled (else only by an order paid).
    pub tacit: bool,
    /// Days the contents are kept after the service ends.
    pub retention_days: u32,
}

/// The holder's data.
#[derive(Debug, Clone, Serialize)]
pub struct HolderReport {
    /// Codice fiscale or partita IVA.
    pub tax_id: String,
    pub name: String,
    pub billing_address: String,
    pub reference_email: Option<String>,
}

/// An order with what paid it.
#[derive(Debug, Clone, Serialize)]
pub struct OrderLine {
    #[serde(flatten)]
    pub order: OrderReport,
    /// The first order of a mailbox bought on the web (it renews no expiry).
    pub activation: bool,
    /// The last day of service once paid.
    pub next_expiry: Option<NaiveDate>,
    pub payment: Option<PaymentLine>,
}

/// A payment, as its receipt states it.
#[derive(Debug, Clone, Serialize)]
pub struct PaymentLine {
    pub payment_id: String,
    /// How it arrived: `operator`, `webhook` (a card or PayPal), `bank`.
    pub source: String,
    #[serde(serialize_with = "plain")]
    pub amount: Money,
    pub paid_at: DateTime<Utc>,
    pub recorded_at: DateTime<Utc>,
}

/// A notice of the provider received in the mailbox.
#[derive(Debug, Clone, Serialize)]
pub struct Notice {
    /// The message, to open it in the webmail.
    pub message_id: i64,
    pub at: DateTime<Utc>,
    pub subject: String,
}

/// Where the cancellation stands.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "cancellation", rename_all = "kebab-case")]
pub enum Cancellation {
    /// Not cancelled: the holder may cancel.
    Possible,
    /// The cancellation PEC was accepted; the provider records it when it
    /// reaches the management mailbox.
    Sent {
        at: DateTime<Utc>,
        identificativo: String,
        to: String,
    },
    /// Recorded at its legal time (the acceptance of the PEC, or the time of a
    /// letter the operator recorded).
    Recorded { legal_time: DateTime<Utc> },
    /// Closed or deleted: nothing left to cancel.
    Ended,
}

/// When the service ends and when the contents are deleted.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Ending {
    pub service_ends: DateTime<Utc>,
    pub contents_deleted: DateTime<Utc>,
}

/// The subscription page of the logged-in mailbox; None when the mailbox has
/// no subscription (created by the operator outside any convention).
pub async fn subscription(office: &Office, mailbox_id: i64) -> Result<Option<Account>> {
    let address = store::mailboxes::by_id(&mut *office.store().conn().await?, mailbox_id)
        .await?
        .address;
    // A cancellation PEC on its way is recorded as soon as it has arrived.
    cancel::record_if_sent(office, &address).await?;
    let mut c = office.store().conn().await?;
    let Some(row) = current(&mut c, &address).await? else {
        return Ok(None);
    };
    let sub = readable(&row)?;
    let conv = crate::conventions::of_subscription(&mut c, &sub).await?;
    let plan = conv
        .plan(&sub.plan)
        .ok_or_else(|| Error::corrupt(format!("convention {} has no plan \"{}\"", conv.code, sub.plan)))?;
    let orders = lc::orders_of(&mut c, &row.mailbox).await?;
    let payments = lc::payments_of(&mut c, &row.mailbox).await?;
    let log = lc::log_of(&mut c, &row.mailbox).await?;
    let notices = notices(office, &mut c, mailbox_id).await?;
    drop(c);
    let cancellation = cancel::state(&row, &sub, &log);
    let ending = match cancellation {
        Cancellation::Possible | Cancellation::Sent { .. } => ending(&sub, &conv, Some(office.now())),
        Cancellation::Recorded { .. } | Cancellation::Ended => ending(&sub, &conv, None),
    };
    let payer = conv.payer_on(sub.expiry);
    let live = !matches!(sub.state, State::Closed { .. } | State::Deleted { .. });
    Ok(Some(Account {
        mailbox: row.mailbox.clone(),
        state: state_name(&sub.state),
        since: since(&sub, &log),
        expiry: sub.expiry,
        convention: conv.code.clone(),
        order_of: conv.order.clone(),
        plan: PlanReport {
            name: plan.name.clone(),
            first_term_months: plan.first_term_months,
            renewal_term_months: plan.renewal_term_months,
            price: sub.price(&conv).map(PriceReport::from),
            quota_bytes: plan.quota_bytes,
            tacit: plan.renewal == RenewalMode::Tacit,
            retention_days: plan.retention_days,
        },
        pricing: sub.pricing,
        holder: HolderReport {
            tax_id: sub.holder.tax_id.as_str().to_string(),
            name: sub.holder.name.clone(),
            billing_address: sub.holder.billing_address.clone(),
            reference_email: sub.holder.reference_email.clone(),
        },
        payer: match payer {
            Payer::Member => "member",
            Payer::Order => "order",
        },
        can_renew: live && payer == Payer::Member && matches!(cancellation, Cancellation::Possible),
        orders: orders
            .iter()
            .rev()
            .map(|o| OrderLine {
                activation: o.is_activation(),
                next_expiry: next_expiry(&conv, o),
                payment: payments.iter().find(|p| p.order_id == o.id).map(|p| PaymentLine {
                    payment_id: p.payment_id.clone(),
                    source: p.source.clone(),
                    amount: Money::from_cents(p.amount_cents),
                    paid_at: store::instant(p.paid_at),
                    recorded_at: store::instant(p.recorded_at),
                }),
                order: OrderReport::from(o),
            })
            .collect(),
        notices,
        ordinary_notices_to: plan
            .channels
            .contains(&Channel::OrdinaryEmail)
            .then(|| sub.holder.reference_email.clone())
            .flatten(),
        timeline: log
            .into_iter()
            .rev()
            .map(|e| LogLine {
                at: store::instant(e.at),
                event: e.event,
                detail: e.detail,
            })
            .collect(),
        cancellation,
        ending,
    }))
}

/// The subscription the page is about: the live one, else the last one (a
/// deleted mailbox's record).
async fn current(c: &mut store::Conn, address: &str) -> Result<Option<StoredSubscription>> {
    Ok(match lc::subscription(c, address).await? {
        Some(row) => Some(row),
        None => lc::history(c, address).await?.pop(),
    })
}

/// The live subscription of the session's mailbox, for what changes it.
async fn live(c: &mut store::Conn, mailbox_id: i64) -> Result<StoredSubscription> {
    let mailbox = store::mailboxes::by_id(c, mailbox_id).await?;
    lc::subscription(c, &mailbox.address)
        .await?
        .ok_or_else(|| Error::refused(format!("{} has no subscription", mailbox.address)))
}

fn readable(row: &StoredSubscription) -> Result<Subscription> {
    decode(row).map_err(|e| Error::corrupt(e.to_string()))
}

/// Since when the subscription is in its state: an active one since its last
/// activation or reactivation.
fn since(sub: &Subscription, log: &[LogEntry]) -> DateTime<Utc> {
    match sub.state {
        State::Suspended { since } | State::ReceiveOnly { since } => since,
        State::Closed { at } | State::Deleted { at } => at,
        State::Active => log
            .iter()
            .rev()
            .find(|e| e.event == "reactivate" || e.event == "activated")
            .map_or(sub.activated_at, |e| store::instant(e.at)),
    }
}

/// When the service ends and the contents are deleted, as the lifecycle
/// policy decides it: for a subscription cancelled (or closed) what it will
/// do; for one not cancelled, what a cancellation at `if_cancelled_at` would
/// mean. None for a deleted one.
pub(crate) fn ending(sub: &Subscription, conv: &Convention, if_cancelled_at: Option<DateTime<Utc>>) -> Option<Ending> {
    let mut assumed = sub.clone();
    if assumed.cancelled_at.is_none() {
        assumed.cancelled_at = if_cancelled_at;
    }
    let retention = conv.plan(&sub.plan).map_or(0, |p| i64::from(p.retention_days));
    let (start, service_ends) = match assumed.state {
        State::Deleted { .. } => return None,
        State::Closed { at } => (at, Some(at)),
        _ => {
            let cancelled = assumed.cancelled_at?;
            let expiry = sub.expiry.and_hms_opt(0, 0, 0)?.and_utc();
            (cancelled.max(expiry), None)
        }
    };
    // Past the day after expiry, in any time zone, and past the retention.
    let far = start + Duration::days(retention + 3);
    let actions = due_actions(&assumed, conv, &Done::new(), far).ok()?;
    let at = |want: fn(&Action) -> bool| actions.iter().find(|a| want(a)).map(Action::at);
    Some(Ending {
        service_ends: service_ends.or_else(|| at(|a| matches!(a, Action::EndService { .. })))?,
        contents_deleted: at(|a| matches!(a, Action::DeleteContents { .. }))?,
    })
}

/// The provider's notices in the mailbox (whatever folder the holder moved
/// them to): the messages the engine wrote (`engine::lifecycle::notices`,
/// Message-ID `avviso-...@<provider's domain>`), from the management address.
async fn notices(office: &Office, c: &mut store::Conn, mailbox_id: i64) -> Result<Vec<Notice>> {
    let from = office.engine().management_address();
    let prefix = "avviso-";
    let suffix = format!("@{}", office.engine().gestore().domain());
    let mut out = Vec::new();
    let mut older = None;
    loop {
        let search = store::listing::Search {
            from: Some(from.clone()),
            older_than: older,
            ..store::listing::Search::default()
        };
        let page = store::listing::search(c, mailbox_id, &search, 200).await?;
        let full = page.len() == 200;
        older = page.last().map(|(_, r)| (r.internal_date, r.id));
        out.extend(page.into_iter().filter_map(|(_, r)| {
            let id = r.message_id.as_deref()?;
            (id.starts_with(prefix) && id.ends_with(&suffix)).then(|| Notice {
                message_id: r.id,
                at: store::instant(r.internal_date),
                subject: r.subject.unwrap_or_default(),
            })
        }));
        if !full {
            return Ok(out);
        }
    }
}

/// The renewal page of the current expiry's order, created once (the daily
/// machine's notices name the same one): its token, for `/rinnovo/{token}`.
/// Refused for a cancelled, closed or Order-paid subscription.
pub async fn renew(office: &Office, mailbox_id: i64) -> Result<RenewalLink> {
    let row = live(&mut *office.store().conn().await?, mailbox_id).await?;
    let sub = readable(&row)?;
    let conv = crate::conventions::of_subscription(&mut *office.store().conn().await?, &sub).await?;
    if conv.payer_on(sub.expiry) == Payer::Order {
        return Err(Error::refused(format!(
            "the renewal of {} for the expiry {} is paid by the Order ({}): there is nothing to pay",
            row.mailbox, sub.expiry, conv.order
        )));
    }
    let renewal = crate::subscriptions::renew(office, &row.mailbox, None).await?;
    Ok(RenewalLink {
        token: office.engine().renewal_links()?.token(&renewal.order.id, sub.expiry),
        order_id: renewal.order.id,
    })
}

/// Where the renewal page of an order is.
#[derive(Debug, Clone, Serialize)]
pub struct RenewalLink {
    pub order_id: String,
    /// The token of `/rinnovo/{token}` (`engine::renewal_link`).
    pub token: String,
}

/// A receipt of payment: what was paid, by whom, for what.
#[derive(Debug, Clone, Serialize)]
pub struct PaymentReceipt {
    /// The provider issuing it.
    pub provider: String,
    pub mailbox: String,
    pub holder: HolderReport,
    pub convention: String,
    pub order: OrderReport,
    /// The first order of a mailbox bought on the web (it renews no expiry).
    pub activation: bool,
    /// The service paid: from the day after the expiry renewed to the new expiry.
    pub renews_expiry: String,
    pub next_expiry: Option<NaiveDate>,
    pub payment: PaymentLine,
}

/// The receipt of the payment of `order_id`, an order of the session's
/// mailbox (another mailbox's order, or one not paid, is not found).
pub async fn payment_receipt(office: &Office, mailbox_id: i64, order_id: &str) -> Result<PaymentReceipt> {
    let mut c = office.store().conn().await?;
    let mailbox = store::mailboxes::by_id(&mut c, mailbox_id).await?;
    let unknown = || Error::not_found("order", format!("no paid order {order_id} of {}", mailbox.address));
    let order = lc::order(&mut c, order_id)
        .await?
        .filter(|o| o.mailbox == mailbox.address);
    let order = order.ok_or_else(unknown)?;
    let payment = lc::payments_of(&mut c, &mailbox.address)
        .await?
        .into_iter()
        .find(|p| p.order_id == order.id)
        .ok_or_else(unknown)?;
    let row = lc::subscription_by_id(&mut c, order.subscription_id.ok_or_else(unknown)?).await?;
    let sub = readable(&row)?;
    let conv = crate::conventions::of_subscription(&mut c, &sub).await?;
    Ok(PaymentReceipt {
        provider: office.engine().lifecycle_config().provider_name.clone(),
        mailbox: mailbox.address,
        holder: HolderReport {
            tax_id: sub.holder.tax_id.as_str().to_string(),
            name: sub.holder.name.clone(),
            billing_address: sub.holder.billing_address.clone(),
            reference_email: sub.holder.reference_email.clone(),
        },
        convention: conv.code.clone(),
        activation: order.is_activation(),
        renews_expiry: order.renews_expiry.clone(),
        next_expiry: next_expiry(&conv, &order),
        payment: PaymentLine {
            payment_id: payment.payment_id,
            source: payment.source,
            amount: Money::from_cents(payment.amount_cents),
            paid_at: store::instant(payment.paid_at),
            recorded_at: store::instant(payment.recorded_at),
        },
        order: OrderReport::from(&order),
    })
}
