//! Activation by convention code (issue 13, item 1), what a member does on the
//! provider's portal: type the Order's convention code, see its plans and
//! prices, give the holder's data, choose the mailbox name and a password, and
//! get an order to pay. The mailbox does not exist until the order is paid (the
//! engine's `apply_payment` creates it, active); meanwhile the address is
//! reserved for that holder for `[lifecycle] reservation_hours`
//! (`store::activations`). A deleted address can be bought again only by its
//! last holder, as the store's subscriptions already keep.
//!
//! The order's page is reached through a link like the renewal page's
//! ([`engine::renewal_link`]): the order number alone opens nothing.

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use lifecycle::convention::{Convention, RenewalMode};
use lifecycle::money::Money;
use lifecycle::subscription::{Pricing, SubscriptionError, activate, pricing_at};
use serde::Serialize;
use store::activations::{self, Availability, NewActivation as StoredNew};
use store::lifecycle::{self as lc, Order};
use store::mailboxes;

use crate::conventions::{self, PriceReport};
use crate::subscriptions::{OrderReport, holder_of};
use crate::{Error, Office, Result};

/// What a convention offers a member who types its code today.
#[derive(Debug, Clone, Serialize)]
pub struct Offer {
    pub code: String,
    /// The Order the convention was made with.
    pub order_of: String,
    /// Where the mailbox will live: the name chosen `@` the first of these.
    pub domains: Vec<String>,
    pub offer_from: NaiveDate,
    pub offer_to: Option<NaiveDate>,
    /// `convention` inside the offer window; `list-price` after it, when the
    /// convention names a list price.
    pub pricing: Pricing,
    pub plans: Vec<PlanOffer>,
}

/// A plan with the price a new mailbox pays today.
#[derive(Debug, Clone, Serialize)]
pub struct PlanOffer {
    pub name: String,
    pub first_term_months: u32,
    pub renewal_term_months: u32,
    pub quota_bytes: u64,
    /// `explicit` (renewed when paid) or `tacit` (renews unless cancelled by PEC).
    pub renewal: &'static str,
    pub price: PriceReport,
}

/// The convention `code` as a member sees it today: refused when no
/// convention has that code, or when its offer window is not open (not yet,
/// or ended without a list price).
pub async fn offer(office: &Office, code: &str) -> Result<Offer> {
    let mut c = office.store().conn().await?;
    let conv = stored(&mut c, code).await?;
    let pricing = pricing_today(&conv, office.now())?;
    Ok(Offer {
        code: conv.code.clone(),
        order_of: conv.order.clone(),
        domains: conv.domains.clone(),
        offer_from: conv.offer.from,
        offer_to: conv.offer.to,
        pricing,
        plans: conv
            .plans
            .iter()
            .filter_map(|p| {
                let price = match pricing {
                    Pricing::Convention => p.price,
                    Pricing::ListPrice => conv.list_price?,
                };
                Some(PlanOffer {
                    name: p.name.clone(),
                    first_term_months: p.first_term_months,
                    renewal_term_months: p.renewal_term_months,
                    quota_bytes: p.quota_bytes,
                    renewal: match p.renewal {
                        RenewalMode::Explicit => "explicit",
                        RenewalMode::Tacit => "tacit",
                    },
                    price: price.into(),
                })
            })
            .collect(),
    })
}

async fn stored(c: &mut store::Conn, code: &str) -> Result<Convention> {
    if code.trim().is_empty() {
        return Err(Error::invalid("code", "type the convention code your Order gave you"));
    }
    conventions::stored(c, code.trim(), "code").await.map_err(|e| match e {
        // The member is not told which other codes exist.
        Error::NotFound { .. } => Error::not_found(
            "code",
            format!(
                "no convention has the code \"{}\": check it with your Order",
                code.trim()
            ),
        ),
        other => other,
    })
}

/// The convention's prices inside its offer window, its list price after it;
/// refused (naming the code) before the window opens or after it without a
/// list price.
fn pricing_today(conv: &Convention, now: DateTime<Utc>) -> Result<Pricing> {
    pricing_at(conv, now).map_err(|e| match e {
        SubscriptionError::OfferWindowEnded { ended, .. } => Error::refused_on(
            "code",
            format!(
                "the offer of the convention {} ended on {}: ask your Order for the current one",
                conv.code,
                ended.format("%d/%m/%Y")
            ),
        ),
        SubscriptionError::OfferWindowNotOpen { opens, .. } => Error::refused_on(
            "code",
            format!(
                "the offer of the convention {} opens on {}",
                conv.code,
                opens.format("%d/%m/%Y")
            ),
        ),
        other => Error::invalid("code", other.to_string()),
    })
}

/// Whether a name can be ordered, in words a form shows beside the field.
#[derive(Debug, Clone, Serialize)]
pub struct NameCheck {
    /// The whole address the name gives.
    pub address: String,
    pub available: bool,
    pub status: NameStatus,
    pub reason: String,
}

/// Why a name can or cannot be ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum NameStatus {
    Available,
    /// This holder's own open order holds it.
    Yours,
    /// A mailbox has it.
    Taken,
    /// Another holder's order holds it.
    Reserved,
    /// A deleted mailbox's, which only its holder may buy again.
    OtherHolder,
}

/// Whether `name` on the convention's domain can be ordered by `tax_id`
/// (None: by anyone), checked as the member types. A malformed name is an
/// error naming `mailbox`.
pub async fn check_name(office: &Office, code: &str, name: &str, tax_id: Option<&str>) -> Result<NameCheck> {
    let mut c = office.store().conn().await?;
    let conv = stored(&mut c, code).await?;
    let address = address_of(&conv, name)?;
    let tax_id = tax_id.and_then(|t| lifecycle::holder::TaxId::parse(t).ok());
    let availability =
        activations::availability(&mut c, &address, tax_id.as_ref().map(|t| t.as_str()), office.now_ms()).await?;
    let (status, reason) = match availability {
        Availability::Free => (NameStatus::Available, format!("{address} is available")),
        Availability::ReservedBySame { order_id } => (
            NameStatus::Yours,
            format!("{address} is reserved for you by the order {order_id}: ordering again replaces it"),
        ),
        Availability::Taken => (NameStatus::Taken, format!("{address} is taken: choose another name")),
        Availability::Reserved { .. } => (
            NameStatus::Reserved,
            format!("{address} is reserved by another order: choose another name"),
        ),
        Availability::OtherHolder => (
            NameStatus::OtherHolder,
            format!("{address} belonged to a mailbox that was deleted: only its holder may buy it again"),
        ),
    };
    Ok(NameCheck {
        address,
        available: matches!(status, NameStatus::Available | NameStatus::Yours),
        status,
        reason,
    })
}

/// The address `name` gives on the convention's first domain: letters, digits,
/// dots, hyphens and underscores, 2 to 64 characters, starting and ending with
/// a letter or a digit.
fn address_of(conv: &Convention, name: &str) -> Result<String> {
    let name = name.trim().to_ascii_lowercase();
    let local = name.split_once('@').map_or(name.as_str(), |(l, _)| l);
    let ok_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_');
    let ends_ok = local.chars().next().is_some_and(|c| c.is_ascii_alphanumeric())
        && local.chars().last().is_some_and(|c| c.is_ascii_alphanumeric());
    if !(2..=64).contains(&local.len()) || !local.chars().all(ok_char) || !ends_ok || local.contains("..") {
        return Err(Error::invalid(
            "mailbox",
            format!(
                "\"{local}\" cannot be a mailbox name: use 2 to 64 letters, digits, dots, hyphens or \
                 underscores, starting and ending with a letter or a digit"
            ),
        ));
    }
    let Some(domain) = conv.domains.first() else {
        return Err(Error::invalid(
            "code",
            format!("the convention {} has no domain", conv.code),
        ));
    };
    mailboxes::normalize(&format!("{local}@{domain}")).map_err(|e| Error::invalid("mailbox", e.to_string()))
}

/// An activation as the member fills it in.
#[derive(Debug, Clone)]
pub struct NewActivation<'a> {
    pub code: &'a str,
    pub plan: &'a str,
    /// The mailbox name (before the `@`).
    pub mailbox: &'a str,
    /// Codice fiscale or partita IVA.
    pub tax_id: &'a str,
    pub holder_name: &'a str,
    pub billing_address: &'a str,
    /// The reference e-mail for notices.
    pub email: Option<&'a str>,
    pub password: &'a str,
}

/// An activation ordered: the order to pay and the link of its page.
#[derive(Debug, Clone, Serialize)]
pub struct Ordered {
    pub mailbox: String,
    pub order: OrderReport,
    /// The token of the order's page (`/attivazione/{token}`).
    pub token: String,
    pub reserved_until: DateTime<Utc>,
}

/// Orders a mailbox under a convention: every input checked first, each
/// refusal naming its field (the code, the offer window, the tax id with the
/// reason, the holder's data, the name and its availability, the password);
/// then, in one transaction, the reservation and its order.
pub async fn order(office: &Office, new: &NewActivation<'_>) -> Result<Ordered> {
    let holder = holder_of(new.tax_id, new.holder_name, new.billing_address, new.email)?;
    let now = office.now();
    let hash = {
        let password = new.password.to_string();
        tokio::task::spawn_blocking(move || mailboxes::hash_password(&password))
            .await
            .map_err(|e| Error::corrupt(format!("cannot hash the password: {e}")))?
            .map_err(|e| match e {
                store::Error::Invalid(reason) => Error::invalid("password", reason),
                other => other.into(),
            })?
    };
    let mut tx = office.store().begin().await?;
    let conv = stored(&mut tx, new.code).await?;
    let pricing = pricing_today(&conv, now)?;
    let address = address_of(&conv, new.mailbox)?;
    let sub = activate(&conv, new.plan, &address, holder.clone(), now, pricing).map_err(|e| match e {
        SubscriptionError::UnknownPlan { .. } => Error::invalid("plan", e.to_string()),
        other => Error::invalid("code", other.to_string()),
    })?;
    let price = sub
        .price(&conv)
        .ok_or_else(|| Error::invalid("plan", format!("the plan {} has no price", sub.plan)))?;
    let holder_json = serde_json::to_string(&holder).map_err(|e| Error::corrupt(e.to_string()))?;
    let pricing_name = match pricing {
        Pricing::Convention => "convention",
        Pricing::ListPrice => "list-price",
    };
    let reserved_until = now + office.engine().lifecycle_config().reservation;
    let stored_new = StoredNew {
        mailbox: &address,
        convention: &conv.code,
        plan: &sub.plan,
        pricing: pricing_name,
        tax_id: holder.tax_id.as_str(),
        holder: &holder_json,
        password_hash: &hash,
        net_cents: price.net.cents,
        vat_basis_points: i64::from(price.vat.basis_points),
        amount_cents: price.gross().cents,
        reserved_until: store::millis(reserved_until),
    };
    let (order, _) = activations::reserve(&mut tx, &stored_new, office.today().year(), office.now_ms())
        .await
        .map_err(|e| match e {
            store::Error::Conflict(reason) => Error::refused_on("mailbox", reason),
            other => other.into(),
        })?;
    lc::log(
        &mut tx,
        office.now_ms(),
        None,
        &address,
        "ordered",
        &format!(
            "{} {} cents, convention {} plan {}, reserved until {}",
            order.id,
            order.amount_cents,
            conv.code,
            sub.plan,
            pec::time::LegalTime::from_utc(reserved_until)
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(Ordered {
        mailbox: address,
        token: token_of(office, &order)?,
        order: OrderReport::from(&order),
        reserved_until,
    })
}

/// The link token of an activation order: valid from its day, as long as a
/// renewal link.
fn token_of(office: &Office, order: &Order) -> Result<String> {
    let day = store::instant(order.created_at)
        .with_timezone(&chrono_tz::Europe::Rome)
        .date_naive();
    Ok(office.engine().renewal_links()?.token(&order.id, day))
}

/// Where an activation stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Stage {
    /// Waiting for its payment; the address is reserved.
    Reserved,
    /// Paid: the mailbox exists.
    Active,
    /// The reservation passed its time unpaid: the order is cancelled.
    Lapsed,
}

/// An activation order's page.
#[derive(Debug, Clone, Serialize)]
pub struct ActivationPage {
    pub mailbox: String,
    pub holder: String,
    pub convention: String,
    pub order_of: String,
    pub order: OrderReport,
    pub stage: Stage,
    pub reserved_until: DateTime<Utc>,
    /// The expiry of the mailbox once active.
    pub expiry: Option<NaiveDate>,
    pub payment_methods: Vec<String>,
    /// What a bank transfer's reference must say.
    pub transfer_reference: String,
    /// The plan's price.
    pub net: Money,
}

/// The activation order the link `token` opens.
pub async fn page(office: &Office, token: &str) -> Result<ActivationPage> {
    let order_id = crate::renewal::linked_order_id(office, token, "order")?;
    let mut c = office.store().conn().await?;
    let (Some(order), Some(reservation)) = (
        lc::order(&mut c, &order_id).await?,
        activations::of_order(&mut c, &order_id).await?,
    ) else {
        return Err(Error::not_found(
            "token",
            format!("the order {order_id} of this link is not an activation"),
        ));
    };
    let holder: lifecycle::holder::Holder =
        serde_json::from_str(&reservation.holder).map_err(|e| Error::corrupt(e.to_string()))?;
    let reserved_until = store::instant(reservation.reserved_until);
    let stage = match (order.state.as_str(), reservation.state.as_str()) {
        ("paid", _) => Stage::Active,
        ("open", "reserved") if reserved_until >= office.now() => Stage::Reserved,
        _ => Stage::Lapsed,
    };
    let expiry = match order.subscription_id {
        Some(id) => Some(
            lc::subscription_by_id(&mut c, id)
                .await?
                .expiry
                .parse()
                .map_err(|e: chrono::ParseError| Error::corrupt(format!("the expiry of {}: {e}", order.mailbox)))?,
        ),
        None => None,
    };
    let conv = conventions::stored(&mut c, &reservation.convention, "token").await?;
    Ok(ActivationPage {
        transfer_reference: format!("{} {}", order.id, order.mailbox),
        mailbox: order.mailbox.clone(),
        holder: holder.name,
        convention: conv.code.clone(),
        order_of: conv.order.clone(),
        net: Money::from_cents(order.net_cents),
        order: OrderReport::from(&order),
        stage,
        reserved_until,
        expiry,
        payment_methods: office.engine().lifecycle_config().payment_methods.clone(),
    })
}

/// Lapses the reservations past their time (the daily machine does it too):
/// their orders are cancelled and their addresses free again. The addresses.
pub async fn sweep(office: &Office) -> Result<Vec<String>> {
    Ok(office.engine().sweep_reservations(office.now()).await?)
}
