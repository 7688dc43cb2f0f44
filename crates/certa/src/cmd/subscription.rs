//! `certa subscription create|show|list|renew|cancel`: a mailbox under a
//! convention, its renewal orders and its cancellation.

use std::process::ExitCode;

use anyhow::{Context, Result, anyhow, bail};
use chrono::{DateTime, FixedOffset, Utc};
use chrono_tz::Europe::Rome;
use engine::lifecycle::{decode, state_name};
use lifecycle::convention::{Convention, add_months};
use lifecycle::holder::{Holder, TaxId};
use lifecycle::money::{Money, VatRate};
use lifecycle::subscription::{Pricing, State, Subscription, SubscriptionError, activate};
use serde_json::json;
use store::lifecycle::{self as lc, Order, StoredSubscription};

use super::DataArgs;
use crate::provider::Provider;

#[derive(clap::Subcommand)]
pub enum Command {
    /// Subscribe an existing mailbox (`certa mailbox add`) under a convention code, or
    /// at the convention's list price: its expiry, quota and holder.
    Create(CreateArgs),
    /// A subscription: state, expiry, convention and plan, holder, cancellation,
    /// orders and payments, the lifecycle log.
    Show {
        address: String,
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        data: DataArgs,
    },
    /// The subscriptions not deleted, by mailbox.
    List {
        /// Only those of this convention.
        #[arg(long)]
        convention: Option<String>,
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        data: DataArgs,
    },
    /// The renewal order of the current expiry (created once): its ID to write in the
    /// bank transfer's reference, the amount with VAT, the ways to pay, the link.
    Renew {
        address: String,
        /// Change plan at renewal.
        #[arg(long)]
        plan: Option<String>,
        /// As at this instant (RFC 3339) instead of now.
        #[arg(long)]
        now: Option<DateTime<FixedOffset>>,
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        data: DataArgs,
    },
    /// Record a cancellation received otherwise than as a PEC to the management address
    /// (those are read by the daily machine): no more notices nor tacit renewal, the
    /// service ends at expiry.
    Cancel {
        address: String,
        /// The legal time of the request (RFC 3339): a PEC's acceptance, a registered letter's receipt.
        #[arg(long)]
        legal_time: DateTime<FixedOffset>,
        /// How it was received, kept in the lifecycle log.
        #[arg(long, default_value = "recorded by the operator")]
        source: String,
        #[arg(long)]
        now: Option<DateTime<FixedOffset>>,
        #[command(flatten)]
        data: DataArgs,
    },
}

#[derive(clap::Args)]
pub struct CreateArgs {
    /// The mailbox (it must exist: `certa mailbox add`).
    address: String,
    /// The convention code the member gives.
    #[arg(long)]
    convention: String,
    /// The plan's name.
    #[arg(long)]
    plan: String,
    /// The holder's codice fiscale or partita IVA.
    #[arg(long)]
    tax_id: String,
    /// The holder's name.
    #[arg(long)]
    name: String,
    #[arg(long)]
    billing_address: String,
    /// The holder's ordinary e-mail, for notices on that channel.
    #[arg(long)]
    email: Option<String>,
    /// At the convention's list price (after its offer window).
    #[arg(long)]
    list_price: bool,
    /// Activation time (RFC 3339); default now.
    #[arg(long)]
    at: Option<DateTime<FixedOffset>>,
    #[command(flatten)]
    data: DataArgs,
}

pub async fn run(cmd: Command) -> Result<ExitCode> {
    match cmd {
        Command::Create(a) => create(a).await,
        Command::Show { address, json, data } => show(&address, json, &data).await,
        Command::List { convention, json, data } => list(convention.as_deref(), json, &data).await,
        Command::Renew {
            address,
            plan,
            now,
            json,
            data,
        } => {
            renew(
                &address,
                plan.as_deref(),
                now.map(|t| t.with_timezone(&Utc)),
                json,
                &data,
            )
            .await
        }
        Command::Cancel {
            address,
            legal_time,
            source,
            now,
            data,
        } => {
            cancel(
                &address,
                legal_time.with_timezone(&Utc),
                &source,
                now.map(|t| t.with_timezone(&Utc)),
                &data,
            )
            .await
        }
    }
}

fn rome(t: DateTime<Utc>) -> String {
    t.with_timezone(&Rome).format("%d/%m/%Y %H:%M:%S %z").to_string()
}

/// The stored convention `code`, parsed; the error names `field`.
pub async fn stored_convention(c: &mut store::Conn, code: &str, field: &str) -> Result<Convention> {
    let Some(stored) = lc::convention(c, code).await? else {
        let known: Vec<String> = lc::conventions(c).await?.into_iter().map(|c| c.code).collect();
        bail!(
            "{field}: unknown convention code \"{}\" (known: {})",
            code.trim(),
            if known.is_empty() {
                "none: add one with `certa convention create`".to_string()
            } else {
                known.join(", ")
            }
        );
    };
    Convention::from_toml(&stored.source)
        .map_err(|e| anyhow!("convention {} stored in the database is not valid: {e}", stored.code))
}

/// The field of `certa subscription create` a refused activation is about.
fn activation_field(e: &SubscriptionError) -> &'static str {
    match e {
        SubscriptionError::UnknownPlan { .. } => "--plan",
        SubscriptionError::OfferWindowEnded { .. } | SubscriptionError::OfferWindowNotOpen { .. } => {
            "--at (the convention's offer window)"
        }
        SubscriptionError::NoListPrice { .. } => "--list-price",
        SubscriptionError::ForeignDomain { .. } => "ADDRESS",
        _ => "--convention",
    }
}

async fn create(a: CreateArgs) -> Result<ExitCode> {
    let tax_id = TaxId::parse(&a.tax_id).map_err(|e| anyhow!("--tax-id: {e}"))?;
    for (field, value) in [("--name", &a.name), ("--billing-address", &a.billing_address)] {
        if value.trim().is_empty() {
            bail!("{field}: empty");
        }
    }
    if let Some(e) = &a.email
        && !e.split_once('@').is_some_and(|(l, d)| !l.is_empty() && d.contains('.'))
    {
        bail!("--email: {e:?} is not an e-mail address");
    }
    let holder = Holder {
        tax_id,
        name: a.name.trim().to_string(),
        billing_address: a.billing_address.trim().to_string(),
        reference_email: a.email.clone(),
    };
    let at = a.at.map_or_else(Utc::now, |t| t.with_timezone(&Utc));
    let pricing = if a.list_price {
        Pricing::ListPrice
    } else {
        Pricing::Convention
    };
    let provider = Provider::open_at(&a.data.data, a.data.database.as_deref(), None).await?;
    let engine = &provider.engine;
    let conv = stored_convention(&mut *engine.store().conn().await?, &a.convention, "--convention").await?;
    // The pure rules first, so that each refusal names the option at fault.
    let address = store::mailboxes::normalize(&a.address).map_err(|e| anyhow!("ADDRESS: {e}"))?;
    if let Err(e) = activate(&conv, &a.plan, &address, holder.clone(), at, pricing) {
        let hint = match e {
            SubscriptionError::OfferWindowEnded { .. } if conv.list_price.is_some() => " (or give --list-price)",
            _ => "",
        };
        bail!("{}: {e}{hint}", activation_field(&e));
    }
    let row = engine
        .activate_subscription(&conv.code, &a.plan, &address, holder, pricing, at)
        .await?;
    let sub = decode(&row)?;
    let price = sub.price(&conv);
    println!(
        "{} subscribed: convention {} plan {}{}, expiry {}{}",
        row.mailbox,
        conv.code,
        sub.plan,
        if a.list_price { " at list price" } else { "" },
        sub.expiry,
        price
            .map(|p| format!(", {} + VAT {} = {} per term", p.net, p.vat, p.gross()))
            .unwrap_or_default()
    );
    engine.store().close().await;
    Ok(ExitCode::SUCCESS)
}

/// The live subscription of `address`, else its last one (deleted).
async fn find(c: &mut store::Conn, address: &str) -> Result<StoredSubscription> {
    let address = store::mailboxes::normalize(address).map_err(|e| anyhow!("ADDRESS: {e}"))?;
    if let Some(row) = lc::subscription(c, &address).await? {
        return Ok(row);
    }
    lc::history(c, &address)
        .await?
        .pop()
        .with_context(|| format!("{address} has no subscription (create one with `certa subscription create`)"))
}

fn order_json(o: &Order) -> serde_json::Value {
    json!({
        "id": o.id,
        "state": o.state,
        "plan": o.plan,
        "renews_expiry": o.renews_expiry,
        "net": Money::from_cents(o.net_cents).plain(),
        "vat_percent": vat(o).to_string(),
        "amount": Money::from_cents(o.amount_cents).plain(),
        "amount_cents": o.amount_cents,
        "created_at": store::instant(o.created_at),
        "paid_at": o.paid_at.map(store::instant),
        "payment_id": o.payment_id,
    })
}

fn vat(o: &Order) -> VatRate {
    VatRate {
        basis_points: u32::try_from(o.vat_basis_points).unwrap_or(0),
    }
}

fn state_detail(sub: &Subscription) -> String {
    match sub.state {
        State::Active => "active".into(),
        State::Suspended { since } => format!("suspended since {}", rome(since)),
        State::ReceiveOnly { since } => format!("receive-only since {}", rome(since)),
        State::Closed { at } => format!("closed on {}", rome(at)),
        State::Deleted { at } => format!("deleted on {}", rome(at)),
    }
}

async fn show(address: &str, as_json: bool, data: &DataArgs) -> Result<ExitCode> {
    let store = data.store().await?;
    let mut c = store.conn().await?;
    let row = find(&mut c, address).await?;
    let sub = decode(&row)?;
    let orders = lc::orders_of(&mut c, &row.mailbox).await?;
    let log = lc::log_of(&mut c, &row.mailbox).await?;
    let payments: Vec<&Order> = orders.iter().filter(|o| o.payment_id.is_some()).collect();
    if as_json {
        let v = json!({
            "mailbox": row.mailbox,
            "state": state_name(&sub.state),
            "expiry": sub.expiry.to_string(),
            "convention": sub.convention,
            "plan": sub.plan,
            "pricing": sub.pricing,
            "holder": sub.holder,
            "activated_at": sub.activated_at,
            "cancelled_at": sub.cancelled_at,
            "last_payment_at": sub.last_payment_at,
            "subscription": sub,
            "version": row.version,
            "orders": orders.iter().map(order_json).collect::<Vec<_>>(),
            "payments": payments.iter().map(|o| json!({
                "payment_id": o.payment_id,
                "order_id": o.id,
                "amount": Money::from_cents(o.amount_cents).plain(),
                "paid_at": o.paid_at.map(store::instant),
            })).collect::<Vec<_>>(),
            "timeline": log.iter().map(|e| json!({
                "at": store::instant(e.at),
                "event": e.event,
                "detail": e.detail,
            })).collect::<Vec<_>>(),
        });
        println!("{}", serde_json::to_string_pretty(&v)?);
        return Ok(ExitCode::SUCCESS);
    }
    let h = &sub.holder;
    println!("{}", row.mailbox);
    println!("  state          {}", state_detail(&sub));
    println!("  expiry         {} (last day of service)", sub.expiry);
    println!(
        "  convention     {}, plan {}{}",
        sub.convention,
        sub.plan,
        if sub.pricing == Pricing::ListPrice {
            " at list price"
        } else {
            ""
        }
    );
    let kind = match h.tax_id {
        TaxId::CodiceFiscale(_) => "codice fiscale",
        TaxId::PartitaIva(_) => "partita IVA",
    };
    println!("  holder         {}, {kind} {}", h.name, h.tax_id);
    println!("  billing        {}", h.billing_address);
    if let Some(e) = &h.reference_email {
        println!("  ordinary mail  {e}");
    }
    println!("  activated      {}", rome(sub.activated_at));
    match sub.cancelled_at {
        Some(t) => println!(
            "  cancellation   received at legal time {}: no more notices, service ends at expiry",
            rome(t)
        ),
        None => println!("  cancellation   none"),
    }
    println!("orders ({})", orders.len());
    for o in &orders {
        let state = match (&o.payment_id, o.paid_at) {
            (Some(p), Some(at)) => format!("paid {} by payment {p}", rome(store::instant(at))),
            _ => o.state.clone(),
        };
        println!(
            "  {}  renews {}  plan {}  {} ({} + VAT {})  {state}",
            o.id,
            o.renews_expiry,
            o.plan,
            Money::from_cents(o.amount_cents),
            Money::from_cents(o.net_cents),
            vat(o),
        );
    }
    println!("lifecycle log ({})", log.len());
    for e in &log {
        println!("  {}  {:<16} {}", rome(store::instant(e.at)), e.event, e.detail);
    }
    Ok(ExitCode::SUCCESS)
}

async fn list(convention: Option<&str>, as_json: bool, data: &DataArgs) -> Result<ExitCode> {
    let store = data.store().await?;
    let rows = lc::list_subscriptions(&mut *store.conn().await?, convention).await?;
    if as_json {
        let v: Vec<_> = rows
            .iter()
            .map(|r| {
                json!({
                    "mailbox": r.mailbox,
                    "convention": r.convention,
                    "state": r.state,
                    "expiry": r.expiry,
                    "tax_id": r.tax_id,
                    "cancelled_at": r.cancelled_at.map(store::instant),
                })
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&v)?);
        return Ok(ExitCode::SUCCESS);
    }
    for r in &rows {
        println!(
            "{:<40} {:<20} {:<12} expiry {}{}",
            r.mailbox,
            r.convention,
            r.state,
            r.expiry,
            if r.cancelled_at.is_some() { " (cancelled)" } else { "" }
        );
    }
    eprintln!("{} subscriptions", rows.len());
    Ok(ExitCode::SUCCESS)
}

async fn renew(
    address: &str,
    plan: Option<&str>,
    now: Option<DateTime<Utc>>,
    as_json: bool,
    data: &DataArgs,
) -> Result<ExitCode> {
    let provider = Provider::open_at(&data.data, data.database.as_deref(), now).await?;
    let engine = &provider.engine;
    let now = now.unwrap_or_else(Utc::now);
    let order = engine.renewal_order(address, plan, now).await?;
    let conv = {
        let mut c = engine.store().conn().await?;
        let row = find(&mut c, address).await?;
        stored_convention(&mut c, &row.convention, "the subscription's convention").await?
    };
    let next_expiry = conv.plan(&order.plan).and_then(|p| {
        order
            .renews_expiry
            .parse()
            .ok()
            .map(|d| add_months(d, p.renewal_term_months))
    });
    let settings = engine.lifecycle_config();
    let url = settings
        .renewal_url
        .replace("{mailbox}", &order.mailbox)
        .replace("{order}", &order.id);
    if as_json {
        let mut v = order_json(&order);
        v["mailbox"] = json!(order.mailbox);
        v["next_expiry"] = json!(next_expiry.map(|d| d.to_string()));
        v["payment_methods"] = json!(settings.payment_methods);
        v["renewal_url"] = json!(url);
        println!("{}", serde_json::to_string_pretty(&v)?);
    } else {
        println!("renewal order {} for {}", order.id, order.mailbox);
        println!("  plan       {}", order.plan);
        match next_expiry {
            Some(next) => println!("  expiry     {} -> {next} once paid", order.renews_expiry),
            None => println!("  renews     the expiry {}", order.renews_expiry),
        }
        println!(
            "  amount     {} VAT included ({} + VAT {})",
            Money::from_cents(order.amount_cents),
            Money::from_cents(order.net_cents),
            vat(&order)
        );
        println!(
            "  reference  write {} in the bank transfer's reference (causale)",
            order.id
        );
        println!("  state      {}", order.state);
        println!("  pay by");
        for m in &settings.payment_methods {
            println!("    - {m}");
        }
        println!("  renew at   {url}");
    }
    engine.store().close().await;
    Ok(ExitCode::SUCCESS)
}

async fn cancel(
    address: &str,
    legal_time: DateTime<Utc>,
    source: &str,
    now: Option<DateTime<Utc>>,
    data: &DataArgs,
) -> Result<ExitCode> {
    let provider = Provider::open_at(&data.data, data.database.as_deref(), now).await?;
    let engine = &provider.engine;
    let sub = engine
        .cancel_subscription(address, legal_time, source, now.unwrap_or_else(Utc::now))
        .await?;
    let at = sub.cancelled_at.unwrap_or(legal_time);
    println!(
        "cancellation of {} recorded at legal time {}: no more renewal notices nor tacit renewal; \
         the service ends after {}",
        sub.mailbox,
        rome(at),
        sub.expiry
    );
    engine.store().close().await;
    Ok(ExitCode::SUCCESS)
}
