//! `certa subscription create|show|list|renew|cancel`: a mailbox under a
//! convention, its renewal orders and its cancellation.

use std::process::ExitCode;

use anyhow::{Result, bail};
use chrono::{DateTime, FixedOffset, Utc};
use chrono_tz::Europe::Rome;
use lifecycle::holder::TaxId;
use lifecycle::subscription::{Pricing, State};
use office::subscriptions::{self, NewSubscription, Shown};

use super::{DataArgs, OnCommandLine, print_json};

#[derive(clap::Subcommand)]
pub enum Command {
    /// Subscribe an existing mailbox (`certa mailbox add`) under a convention code, or
    /// at the convention's list price: its expiry, quota and holder.
    Create(CreateArgs),
    /// A subscription: state, expiry, convention and plan, holder, cancellation,
    /// orders and payments, the lifecycle log.
    Show {
        /// The mailbox's address.
        address: String,
        /// Print the report as JSON.
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
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        data: DataArgs,
    },
    /// The renewal order of the current expiry (created once): its ID to write in the
    /// bank transfer's reference, the amount with VAT, the ways to pay, the link.
    Renew {
        /// The mailbox's address.
        address: String,
        /// Change plan at renewal.
        #[arg(long)]
        plan: Option<String>,
        /// As at this instant (RFC 3339) instead of now.
        #[arg(long)]
        now: Option<DateTime<FixedOffset>>,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        data: DataArgs,
    },
    /// Record a cancellation received otherwise than as a PEC to the management address
    /// (those are read by the daily machine): no more notices nor tacit renewal, the
    /// service ends at expiry.
    Cancel {
        /// The mailbox's address.
        address: String,
        /// The legal time of the request (RFC 3339): a PEC's acceptance, a registered letter's receipt.
        #[arg(long)]
        legal_time: DateTime<FixedOffset>,
        /// How it was received, kept in the lifecycle log.
        #[arg(long, default_value = "recorded by the operator")]
        source: String,
        /// As at this instant (RFC 3339) instead of now.
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

const NAMES: &[(&str, &str)] = &[("address", "ADDRESS"), ("at", "--at (the convention's offer window)")];

fn utc(t: Option<DateTime<FixedOffset>>) -> Option<DateTime<Utc>> {
    t.map(|t| t.with_timezone(&Utc))
}

pub async fn run(cmd: Command) -> Result<ExitCode> {
    match cmd {
        Command::Create(a) => create(a).await?,
        Command::Show { address, json, data } => {
            let office = data.office().await?;
            let shown = subscriptions::show(&office, &address).await.named(NAMES)?;
            if json {
                print_json(&shown)?;
            } else {
                print_shown(&shown);
            }
        }
        Command::List { convention, json, data } => {
            let office = data.office().await?;
            let list = subscriptions::list(&office, convention.as_deref()).await.named(NAMES)?;
            if json {
                print_json(&list)?;
            } else {
                for r in &list {
                    println!(
                        "{:<40} {:<20} {:<12} expiry {}{}",
                        r.mailbox,
                        r.convention,
                        r.state,
                        r.expiry,
                        if r.cancelled_at.is_some() { " (cancelled)" } else { "" }
                    );
                }
                eprintln!("{} subscriptions", list.len());
            }
        }
        Command::Renew {
            address,
            plan,
            now,
            json,
            data,
        } => {
            let office = data.office_at(utc(now)).await?;
            let renewal = subscriptions::renew(&office, &address, plan.as_deref())
                .await
                .named(NAMES)?;
            if json {
                print_json(&renewal)?;
            } else {
                let order = &renewal.order;
                println!("renewal order {} for {}", order.id, renewal.mailbox);
                println!("  plan       {}", order.plan);
                match renewal.next_expiry {
                    Some(next) => println!("  expiry     {} -> {next} once paid", order.renews_expiry),
                    None => println!("  renews     the expiry {}", order.renews_expiry),
                }
                println!(
                    "  amount     {} VAT included ({} + VAT {})",
                    order.amount, order.net, order.vat
                );
                println!(
                    "  reference  write {} in the bank transfer's reference (causale)",
                    order.id
                );
                println!("  state      {}", order.state);
                println!("  pay by");
                for m in &renewal.payment_methods {
                    println!("    - {m}");
                }
                println!("  renew at   {}", renewal.renewal_url);
            }
            office.close().await;
        }
        Command::Cancel {
            address,
            legal_time,
            source,
            now,
            data,
        } => {
            let office = data.office_at(utc(now)).await?;
            let cancelled = subscriptions::cancel(&office, &address, legal_time.with_timezone(&Utc), &source)
                .await
                .named(NAMES)?;
            println!(
                "cancellation of {} recorded at legal time {}: no more renewal notices nor tacit renewal; \
                 the service ends after {}",
                cancelled.mailbox,
                rome(cancelled.cancelled_at),
                cancelled.expiry
            );
            office.close().await;
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn create(a: CreateArgs) -> Result<()> {
    let office = a.data.office().await?;
    let new = NewSubscription {
        address: &a.address,
        convention: &a.convention,
        plan: &a.plan,
        tax_id: &a.tax_id,
        name: &a.name,
        billing_address: &a.billing_address,
        email: a.email.as_deref(),
        pricing: if a.list_price {
            Pricing::ListPrice
        } else {
            Pricing::Convention
        },
        at: utc(a.at),
    };
    let created = match subscriptions::create(&office, &new).await {
        // The list price would have been accepted: say how to ask for it here.
        Err(office::Error::Refused {
            field: Some("list_price"),
            reason,
        }) => bail!("--at (the convention's offer window): {reason} (or give --list-price)"),
        other => other.named(NAMES)?,
    };
    println!(
        "{} subscribed: convention {} plan {}{}, expiry {}{}",
        created.mailbox,
        created.convention,
        created.plan,
        if created.pricing == Pricing::ListPrice {
            " at list price"
        } else {
            ""
        },
        created.expiry,
        created
            .price
            .map(|p| format!(", {} + VAT {} = {} per term", p.net, p.vat, p.gross))
            .unwrap_or_default()
    );
    office.close().await;
    Ok(())
}

fn rome(t: DateTime<Utc>) -> String {
    t.with_timezone(&Rome).format("%d/%m/%Y %H:%M:%S %z").to_string()
}

fn state_detail(state: &State) -> String {
    match *state {
        State::Active => "active".into(),
        State::Suspended { since } => format!("suspended since {}", rome(since)),
        State::ReceiveOnly { since } => format!("receive-only since {}", rome(since)),
        State::Closed { at } => format!("closed on {}", rome(at)),
        State::Deleted { at } => format!("deleted on {}", rome(at)),
    }
}

fn print_shown(s: &Shown) {
    let h = &s.holder;
    println!("{}", s.mailbox);
    println!("  state          {}", state_detail(&s.subscription.state));
    println!("  expiry         {} (last day of service)", s.expiry);
    println!(
        "  convention     {}, plan {}{}",
        s.convention,
        s.plan,
        if s.pricing == Pricing::ListPrice {
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
    println!("  activated      {}", rome(s.activated_at));
    match s.cancelled_at {
        Some(t) => println!(
            "  cancellation   received at legal time {}: no more notices, service ends at expiry",
            rome(t)
        ),
        None => println!("  cancellation   none"),
    }
    println!("orders ({})", s.orders.len());
    for o in &s.orders {
        let state = match (&o.payment_id, o.paid_at) {
            (Some(p), Some(at)) => format!("paid {} by payment {p}", rome(at)),
            _ => o.state.clone(),
        };
        println!(
            "  {}  renews {}  plan {}  {} ({} + VAT {})  {state}",
            o.id, o.renews_expiry, o.plan, o.amount, o.net, o.vat,
        );
    }
    println!("lifecycle log ({})", s.timeline.len());
    for e in &s.timeline {
        println!("  {}  {:<16} {}", rome(e.at), e.event, e.detail);
    }
}
