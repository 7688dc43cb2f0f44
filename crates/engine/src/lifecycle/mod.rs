//! The mailbox lifecycle as the gestore performs it: the daily machine
//! ([`Engine::lifecycle_run`], `runner.rs`), its notices (`notices.rs`), and
//! the primitives the daily machine shares with the operations people ask for
//! in the office: the renewal order of an expiry ([`orders::ensure_order`]),
//! a payment applied with the reactivation it allows ([`Engine::apply_payment`]),
//! a cancellation recorded at its legal time ([`Engine::cancel_subscription`],
//! also read from the management mailbox by [`Engine::process_cancellations`]).
//! Activating a subscription, asking for a renewal order and the checks around a
//! payment are the office's (`crates/office`).
//!
//! The rules are the `lifecycle` crate's pure policy
//! ([`lifecycle::policy::due_actions`]); this module performs what it decides.
//! Each subscription's due actions are performed in ONE transaction together
//! with their done keys (`lifecycle_done`, unique per subscription and key) and
//! the subscription's new state, written under its version: a notice is sent
//! once and a box suspended once even when the runner restarts midway or
//! several nodes run it at the same time (the loser's transaction fails on the
//! key or the version and is rolled back). Notices to the PEC mailbox are
//! delivered in that same transaction; notices to the ordinary e-mail are
//! queued in it as jobs for the smarthost, so they leave at least once and are
//! never lost.

mod activations;
mod cancellations;
mod notices;
pub mod orders;
mod payments;
mod runner;

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use lifecycle::convention::Convention;
use lifecycle::policy::{Action, DoneKey};
use lifecycle::subscription::{State, Subscription};
use store::Conn;
use store::lifecycle::{self as lc, StoredSubscription, SubscriptionRow};
use store::mailboxes;

use crate::{Engine, Error, Result};

pub use cancellations::{FLAG_CHECK, FLAG_RECORDED};
pub use payments::PaymentOutcome;

/// The provider's side of the lifecycle, from `[lifecycle]` in certa.toml.
#[derive(Debug, Clone)]
pub struct LifecycleConfig {
    /// Shown as the sender of notices.
    pub provider_name: String,
    /// Where holders send cancellations as a PEC; `gestione@<domain>` by default.
    pub management_address: Option<String>,
    /// The renewal page; `{mailbox}` and `{order}` are replaced.
    pub renewal_url: String,
    /// The provider's web pages, named in the activation notice.
    pub web_url: Option<String>,
    pub payment_methods: Vec<String>,
    /// How long after its last reference a blob's file is deleted.
    pub blob_grace: Duration,
    /// Subscriptions read per page by the daily machine.
    pub page_size: i64,
    /// How long an address ordered on the web stays reserved for its holder
    /// while the order is unpaid.
    pub reservation: Duration,
}

impl Default for LifecycleConfig {
    fn default() -> Self {
        LifecycleConfig {
            provider_name: "Certa PEC".into(),
            management_address: None,
            // A provider without web pages: set `[lifecycle] renewal_url` or `[web]`.
            renewal_url: "https://localhost/rinnovo/{token}".into(),
            web_url: None,
            payment_methods: vec![
                "carta di credito o PayPal, dalla pagina di rinnovo (registrazione immediata)".into(),
                "bonifico bancario o MyBank, indicando nella causale il numero d'ordine".into(),
                "bollettino postale, indicando nella causale il numero d'ordine".into(),
            ],
            blob_grace: Duration::days(1),
            page_size: 1000,
            reservation: Duration::hours(48),
        }
    }
}

/// What one run of the daily machine did.
#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct RunReport {
    pub subscriptions: usize,
    /// Performed actions, by kind (`send-notice`, `suspend`, ...).
    pub performed: std::collections::BTreeMap<String, usize>,
    /// One line per performed action: `mailbox action detail`.
    pub events: Vec<String>,
    /// Subscriptions another node changed meanwhile (done on the next run).
    pub skipped: usize,
    /// Subscriptions or conventions that cannot be read.
    pub errors: Vec<String>,
    pub cancellations: usize,
    pub blobs_deleted: u64,
}

/// A subscription as the store keeps it: the lifecycle crate's JSON and the
/// columns beside it that queries need.
pub struct Encoded {
    state: &'static str,
    expiry: String,
    data: String,
    cancelled_at: Option<i64>,
}

impl Encoded {
    pub fn of(sub: &Subscription) -> Result<Encoded> {
        Ok(Encoded {
            state: state_name(&sub.state),
            expiry: sub.expiry.to_string(),
            data: serde_json::to_string(sub)
                .map_err(|e| Error::Invalid(format!("cannot encode a subscription: {e}")))?,
            cancelled_at: sub.cancelled_at.map(store::millis),
        })
    }

    /// The row to insert or update.
    pub fn row<'a>(&'a self, sub: &'a Subscription) -> SubscriptionRow<'a> {
        SubscriptionRow {
            mailbox: &sub.mailbox,
            convention: &sub.convention,
            tax_id: sub.holder.tax_id.as_str(),
            state: self.state,
            expiry: &self.expiry,
            cancelled_at: self.cancelled_at,
            data: &self.data,
        }
    }
}

/// Writes `sub` over the stored `row` read at its version; a
/// [`store::Error::Conflict`] when another writer changed it since.
pub(crate) async fn save(c: &mut Conn, row: &StoredSubscription, sub: &Subscription, now_ms: i64) -> Result<()> {
    let encoded = Encoded::of(sub)?;
    lc::update_subscription(c, row.id, row.version, &encoded.row(sub), now_ms).await?;
    Ok(())
}

pub fn state_name(state: &State) -> &'static str {
    match state {
        State::Active => "active",
        State::Suspended { .. } => "suspended",
        State::ReceiveOnly { .. } => "receive-only",
        State::Closed { .. } => "closed",
        State::Deleted { .. } => "deleted",
    }
}

pub fn decode(row: &StoredSubscription) -> Result<Subscription> {
    serde_json::from_str(&row.data)
        .map_err(|e| Error::Invalid(format!("the subscription of {} cannot be read: {e}", row.mailbox)))
}

fn key_text(key: &DoneKey) -> String {
    serde_json::to_string(key).unwrap_or_default()
}

fn action_name(action: &Action) -> &'static str {
    match action {
        Action::SendNotice { .. } => "send-notice",
        Action::Suspend { .. } => "suspend",
        Action::ReceiveOnly { .. } => "receive-only",
        Action::Reactivate { .. } => "reactivate",
        Action::Close { .. } => "close",
        Action::DeleteContents { .. } => "delete-contents",
        Action::TacitRenew { .. } => "tacit-renew",
        Action::EndService { .. } => "end-service",
    }
}

/// One line for logs and reports.
pub fn describe(action: &Action) -> String {
    let rome = |t: DateTime<Utc>| pec::time::LegalTime::from_utc(t).to_string();
    match action {
        Action::SendNotice {
            kind,
            channel,
            expiry,
            due_at,
        } => format!(
            "notice {} on {} for expiry {expiry}, due {}",
            serde_json::to_string(kind).unwrap_or_default(),
            serde_json::to_string(channel).unwrap_or_default(),
            rome(*due_at)
        ),
        Action::TacitRenew { at, new_expiry } => format!("tacit renewal at {} to {new_expiry}", rome(*at)),
        other => format!("{} at {}", action_name(other), rome(other.at())),
    }
}

/// Loads and parses conventions by code, once per run.
#[derive(Default)]
pub(crate) struct Conventions {
    parsed: HashMap<String, std::result::Result<Convention, String>>,
}

impl Conventions {
    pub(crate) async fn get(&mut self, c: &mut Conn, code: &str) -> std::result::Result<Convention, String> {
        let key = code.to_ascii_uppercase();
        if !self.parsed.contains_key(&key) {
            let parsed = match lc::convention(c, code).await {
                Ok(Some(stored)) => Convention::from_toml(&stored.source)
                    .map_err(|e| format!("convention {code} stored in the database is not valid: {e}")),
                Ok(None) => Err(format!("unknown convention code \"{code}\"")),
                Err(e) => Err(e.to_string()),
            };
            self.parsed.insert(key.clone(), parsed);
        }
        self.parsed[&key].clone()
    }

    /// The convention if already loaded: the runner takes a connection only
    /// for the first row of each convention, not for every row it scans.
    pub(crate) fn hit(&self, code: &str) -> Option<std::result::Result<Convention, String>> {
        self.parsed.get(&code.to_ascii_uppercase()).cloned()
    }

    /// One convention, read once: the error is the engine's.
    pub(crate) async fn one(c: &mut Conn, code: &str) -> Result<Convention> {
        Conventions::default().get(c, code).await.map_err(Error::Invalid)
    }
}

/// The live subscription of `mailbox`.
pub(crate) async fn live(c: &mut Conn, mailbox: &str) -> Result<StoredSubscription> {
    let address = mailboxes::normalize(mailbox)?;
    lc::subscription(c, &address)
        .await?
        .ok_or_else(|| Error::Invalid(format!("{address} has no subscription")))
}

impl Engine {
    pub fn lifecycle_config(&self) -> &LifecycleConfig {
        &self.config.lifecycle
    }

    /// Where cancellations are sent as a PEC.
    pub fn management_address(&self) -> String {
        self.config
            .lifecycle
            .management_address
            .clone()
            .unwrap_or_else(|| format!("gestione@{}", self.gestore.domain()))
    }
}
