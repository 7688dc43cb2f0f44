//! What the lifecycle suites share: the example conventions of the lifecycle
//! crate's format documentation (Aruba, Poste, DCS), instants in Europe/Rome,
//! and a mailbox subscribed under DCS's yearly plan.
#![allow(dead_code)]

use chrono::{DateTime, TimeZone, Utc};
use chrono_tz::Europe::Rome;
use lifecycle::subscription::Pricing;
use office::Office;
use office::mailboxes::{self, NewMailbox};
use office::subscriptions::{self, Created, NewSubscription};

const FORMAT: &str = include_str!("../../../lifecycle/src/convention/format.md");

pub const ARUBA: &str = "OMCEO-AL-0056";
pub const POSTE: &str = "FNOMCEO-POSTE-2016";
pub const DCS: &str = "CROAS-DCS-2024";
/// DCS's mailbox domain.
pub const DCS_DOMAIN: &str = "pec.dcssrl.it";
/// The textbook codice fiscale of the Agenzia delle Entrate.
pub const TAX_ID: &str = "RSSMRA85T10A562S";

/// The example convention of `format.md` with `code`.
pub fn example(code: &str) -> &'static str {
    FORMAT
        .split("```toml\n")
        .skip(1)
        .map(|b| b.split("```").next().unwrap())
        .find(|b| b.contains(code))
        .unwrap_or_else(|| panic!("no example convention {code} in format.md"))
}

/// Local time in Europe/Rome.
pub fn rome(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    Rome.with_ymd_and_hms(y, m, d, h, min, 0)
        .single()
        .unwrap()
        .with_timezone(&Utc)
}

/// Stores the example convention `code` and hosts its domains.
pub async fn convention(office: &Office, code: &str) {
    let report = office::conventions::create(office, example(code), false).await.unwrap();
    for domain in &report.domains {
        mailboxes::add_domain(office, domain).await.unwrap();
    }
}

pub async fn mailbox(office: &Office, address: &str) {
    let new = NewMailbox {
        address,
        password: "una password lunga",
        quota_bytes: 1 << 20,
    };
    mailboxes::add_mailbox(office, &new).await.unwrap();
}

/// A subscription of `address` to DCS's yearly plan, activated at `at`.
pub fn dcs_yearly(address: &str, at: DateTime<Utc>) -> NewSubscription<'_> {
    NewSubscription {
        address,
        convention: DCS,
        plan: "annuale",
        tax_id: TAX_ID,
        name: "Mario Rossi",
        billing_address: "Via Roma 1, 15121 Alessandria",
        email: Some("mario.rossi@example.com"),
        pricing: Pricing::Convention,
        at: Some(at),
    }
}

/// DCS stored, and `address` created and subscribed to its yearly plan at `at`.
pub async fn subscribed(office: &Office, address: &str, at: DateTime<Utc>) -> Created {
    convention(office, DCS).await;
    mailbox(office, address).await;
    subscriptions::create(office, &dcs_yearly(address, at)).await.unwrap()
}
