//! # office: what a person asks of Certa
//!
//! Every operation of the people around a PEC provider — the provider's
//! operators, an Order's secretariat, a member, a mailbox holder — as one
//! function with typed inputs and a typed, serialisable report: no printing, no
//! argument parsing, no HTTP. The command line (`crates/certa`) and the web
//! (`crates/web`) parse their input, call one function here and render its
//! report; `--json` and the JSON API are the serde form of the same report.
//!
//! The office sits above the engine, the lifecycle and registry rules and the
//! store: it checks a request (naming the input at fault, see [`Error`]), reads
//! and writes through the store in the transactions the rules need, and asks the
//! engine for what only the gestore does (sending a PEC, the daily machine).
//! Front ends call the office; the office calls engine, lifecycle, registry and
//! store; nothing here calls a front end.
//!
//! Time comes from the engine's clock ([`Office::now`]), never from the system.

pub mod account;
pub mod activation;
mod amounts;
pub mod archive;
pub mod checkout;
pub mod compose;
pub mod consoles;
pub mod conventions;
pub mod daily;
pub mod error;
pub mod journal;
pub mod login;
pub mod mail;
pub mod mailboxes;
pub mod payments;
pub mod proof;
pub mod quota;
pub mod receipts;
pub mod registry;
pub mod renewal;
pub mod security;
pub mod sent;
pub mod staff;
pub mod subscriptions;
pub mod verify;

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use engine::Engine;
use store::Store;

pub use error::{Error, Result};

/// One provider's office: its engine (store, keys, index, clock, configuration).
#[derive(Clone)]
pub struct Office {
    engine: Arc<Engine>,
    /// The Order's reserved area's counters of link requests and wrong links.
    reserved: Arc<registry::reserved::Limits>,
}

impl Office {
    pub fn new(engine: Arc<Engine>) -> Office {
        Office {
            engine,
            reserved: Arc::default(),
        }
    }

    pub(crate) fn reserved_limits(&self) -> &registry::reserved::Limits {
        &self.reserved
    }

    pub fn engine(&self) -> &Arc<Engine> {
        &self.engine
    }

    pub fn store(&self) -> &Store {
        self.engine.store()
    }

    /// Now, on the engine's clock (an operator's `--now`, a test's offset clock).
    pub fn now(&self) -> DateTime<Utc> {
        store::instant(self.engine.now_ms())
    }

    /// Now in the store's milliseconds.
    pub fn now_ms(&self) -> i64 {
        self.engine.now_ms()
    }

    /// Today in Italy: the registers' and the lifecycle's days are Italian days.
    pub fn today(&self) -> NaiveDate {
        self.now().with_timezone(&chrono_tz::Europe::Rome).date_naive()
    }

    /// Closes the store's connections (SQLite checkpoints its log).
    pub async fn close(&self) {
        self.engine.store().close().await;
    }
}
