//! One provider in-process for the lifecycle scenarios: its engine on an offset
//! clock, the example conventions of the lifecycle crate's format documentation,
//! and readers for what the daily machine leaves behind (notices in the PEC
//! mailbox, notices queued for the smarthost, statuses, the lifecycle log).
#![allow(dead_code)]

use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::sync::Arc;

use certa::provider::Provider;
use certa::provider::config::Listen;
use certa::provider::setup::{IndexEntry, create, write_index};
use chrono::{DateTime, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Europe::Rome;
use engine::access::Submission;
use engine::lifecycle::RunReport;
use engine::work::Work;
use engine::{Clock, Engine, OffsetClock};
use lifecycle::holder::{Holder, TaxId};
use lifecycle::subscription::{Pricing, Subscription};
use mail_parser::MessageParser;
use store::lifecycle::{self as lc, StoredSubscription};
use store::mailboxes::Status;

/// Local time in Europe/Rome.
pub fn rome(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    Rome.with_ymd_and_hms(y, m, d, h, min, 0)
        .single()
        .expect("an unambiguous local time")
        .with_timezone(&Utc)
}

pub fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

/// The local date and `HH:MM` of an instant, for readable assertions.
pub fn local(t: DateTime<Utc>) -> String {
    t.with_timezone(&Rome).format("%Y-%m-%d %H:%M").to_string()
}

/// The example convention of `format.md` whose code contains `code`.
pub fn example_convention(code: &str) -> String {
    let doc = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../lifecycle/src/convention/format.md"
    ))
    .unwrap();
    doc.split("```toml\n")
        .skip(1)
        .map(|b| b.split("```").next().unwrap().to_string())
        .find(|b| b.contains(code))
        .unwrap_or_else(|| panic!("no example convention {code} in format.md"))
}

pub const DCS: &str = "CROAS-DCS-2024";
pub const ARUBA: &str = "OMCEO-AL-0056";
pub const POSTE: &str = "FNOMCEO-POSTE-2016";

pub const REFERENCE_EMAIL: &str = "mario.rossi@example.com";

pub fn holder() -> Holder {
    Holder {
        tax_id: TaxId::parse("RSSMRA85T10A562S").unwrap(),
        name: "Mario Rossi".into(),
        billing_address: "Via Roma 1, 15121 Alessandria".into(),
        reference_email: Some(REFERENCE_EMAIL.into()),
    }
}

fn free_port() -> SocketAddr {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap()
}

pub use testkit::postgres::Database as PgDatabase;

/// A notice as a message: in the PEC mailbox, or queued for the smarthost.
#[derive(Debug, Clone)]
pub struct Notice {
    /// When it was delivered (the message's internal date) or queued.
    pub at: DateTime<Utc>,
    pub from: String,
    pub to: String,
    pub subject: String,
    pub body: String,
    pub blob: store::BlobId,
}

impl Notice {
    pub fn is_renewal(&self) -> bool {
        self.subject.ends_with(": rinnovo")
    }
}

/// One provider on an offset clock.
pub struct Bed {
    pub dir: tempfile::TempDir,
    pub data: PathBuf,
    pub database: Option<String>,
    pub domain: String,
    pub clock: Arc<OffsetClock>,
    pub engine: Arc<Engine>,
}

impl Bed {
    /// A provider for `domain` on SQLite.
    pub async fn new(domain: &str) -> Bed {
        Bed::on(domain, None).await
    }

    /// A provider for `domain` on `database` (SQLite under its data directory when `None`).
    pub async fn on(domain: &str, database: Option<&str>) -> Bed {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("provider");
        let listen = Listen {
            submission: free_port(),
            submissions: free_port(),
            inbound: free_port(),
        };
        create(&data, domain, "Certa PEC", listen, "../index.toml").unwrap();
        write_index(
            &dir.path().join("index.toml"),
            &[IndexEntry::of(&data, domain, "Certa PEC", listen.inbound)],
        )
        .unwrap();
        let clock = Arc::new(OffsetClock::default());
        let provider = Provider::open_with_clock(&data, database, clock.clone()).await.unwrap();
        Bed {
            dir,
            data,
            database: database.map(str::to_string),
            domain: domain.to_string(),
            clock,
            engine: provider.engine,
        }
    }

    /// Another node: a second engine on the same store.
    pub async fn second_node(&self) -> Arc<Engine> {
        Provider::open_with_clock(&self.data, self.database.as_deref(), self.clock.clone())
            .await
            .unwrap()
            .engine
    }

    pub fn store(&self) -> &store::Store {
        self.engine.store()
    }

    /// Moves the engine's clock to `at` (it keeps running from there).
    pub fn set_clock(&self, at: DateTime<Utc>) {
        self.clock.advance(at - self.clock.now());
    }

    pub async fn put_convention(&self, source: &str) {
        let conv = lifecycle::convention::Convention::from_toml(source).unwrap();
        let mut c = self.store().conn().await.unwrap();
        lc::put_convention(&mut c, &conv.code, source, false, store::millis(self.clock.now()))
            .await
            .unwrap();
        for domain in &conv.domains {
            store::mailboxes::add_domain(&mut c, domain, store::millis(self.clock.now()))
                .await
                .unwrap();
        }
    }

    pub async fn add_mailbox(&self, address: &str) {
        let mut tx = self.store().begin().await.unwrap();
        store::mailboxes::create(
            &mut tx,
            address,
            "una password lunga",
            1 << 30,
            store::millis(self.clock.now()),
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
    }

    /// The provider's office, on the bed's clock.
    pub fn office(&self) -> office::Office {
        office::Office::new(self.engine.clone())
    }

    /// A mailbox with a subscription of `plan` under `code`, activated at `at`.
    pub async fn activate(&self, code: &str, plan: &str, address: &str, at: DateTime<Utc>) -> StoredSubscription {
        self.set_clock(at);
        self.add_mailbox(address).await;
        let h = holder();
        let new = office::subscriptions::NewSubscription {
            address,
            convention: code,
            plan,
            tax_id: h.tax_id.as_str(),
            name: &h.name,
            billing_address: &h.billing_address,
            email: h.reference_email.as_deref(),
            pricing: Pricing::Convention,
            at: Some(at),
        };
        office::subscriptions::create(&self.office(), &new).await.unwrap();
        let mut c = self.store().conn().await.unwrap();
        lc::subscription(&mut c, address).await.unwrap().unwrap()
    }

    /// One run of the daily machine at `at`; it must not fail on anything.
    pub async fn run(&self, at: DateTime<Utc>) -> RunReport {
        self.set_clock(at);
        let report = self.engine.lifecycle_run(at).await.unwrap();
        assert!(report.errors.is_empty(), "at {}: {:?}", local(at), report.errors);
        assert_eq!(report.skipped, 0, "at {}: {report:?}", local(at));
        report
    }

    /// The machine run every day from `from` to `to` (both included) at each
    /// local time of `times`; returns each performed event with the run's instant.
    pub async fn run_daily(&self, from: NaiveDate, to: NaiveDate, times: &[(u32, u32)]) -> Vec<(String, String)> {
        let mut events = Vec::new();
        let mut day = from;
        while day <= to {
            for &(h, m) in times {
                let at = Rome
                    .from_local_datetime(&day.and_time(NaiveTime::from_hms_opt(h, m, 0).unwrap()))
                    .earliest()
                    .unwrap()
                    .with_timezone(&Utc);
                let report = self.run(at).await;
                events.extend(report.events.into_iter().map(|e| (local(at), e)));
            }
            day = day.succ_opt().unwrap();
        }
        events
    }

    pub async fn status(&self, address: &str) -> Status {
        let mut c = self.store().conn().await.unwrap();
        store::mailboxes::get(&mut c, address).await.unwrap().unwrap().status
    }

    /// The last subscription of `address` (live or deleted), decoded.
    pub async fn subscription(&self, address: &str) -> (StoredSubscription, Subscription) {
        let mut c = self.store().conn().await.unwrap();
        let row = lc::history(&mut c, address).await.unwrap().pop().unwrap();
        let sub = engine::lifecycle::decode(&row).unwrap();
        (row, sub)
    }

    /// Every message of the mailbox (all folders), as stored.
    pub async fn messages(&self, address: &str) -> Vec<store::messages::StoredMessage> {
        let mut c = self.store().conn().await.unwrap();
        let m = store::mailboxes::get(&mut c, address).await.unwrap().unwrap();
        store::messages::list_mailbox(&mut c, m.id)
            .await
            .unwrap()
            .into_iter()
            .map(|(_, m)| m)
            .collect()
    }

    /// The notices delivered into the PEC mailbox (its INBOX messages that are not PEC).
    pub async fn pec_notices(&self, address: &str) -> Vec<Notice> {
        let mut out = Vec::new();
        for m in self.messages(address).await {
            if m.pec_kind.is_some() {
                continue;
            }
            let raw = self.store().blobs().get(&m.blob).await.unwrap();
            out.push(parse_notice(&raw, store::instant(m.internal_date), m.blob.clone()));
        }
        out
    }

    /// The notices queued for the smarthost (`mail` jobs) to `rcpt`, oldest first.
    pub async fn mail_notices(&self, rcpt: &str) -> Vec<Notice> {
        let mut c = self.store().conn().await.unwrap();
        let mut jobs = store::jobs::list(&mut c, "queued", 100_000).await.unwrap();
        jobs.sort_by_key(|j| (j.due_at, j.id));
        let mut out = Vec::new();
        for job in jobs.into_iter().filter(|j| j.kind == "mail") {
            let Work::Mail { blob, mail_from, rcpts } = serde_json::from_str(&job.payload).unwrap() else {
                panic!("a mail job holds {}", job.payload);
            };
            if rcpts != [rcpt.to_string()] {
                continue;
            }
            let raw = self.store().blobs().get(&blob).await.unwrap();
            let notice = parse_notice(&raw, store::instant(job.due_at), blob);
            assert_eq!(notice.from, mail_from, "envelope sender and From of a notice");
            out.push(notice);
        }
        out
    }

    pub async fn log(&self, address: &str) -> Vec<lc::LogEntry> {
        let mut c = self.store().conn().await.unwrap();
        lc::log_of(&mut c, address).await.unwrap()
    }

    /// The lifecycle log's events of `address`, in order.
    pub async fn log_events(&self, address: &str) -> Vec<String> {
        self.log(address).await.into_iter().map(|e| e.event).collect()
    }

    pub async fn orders(&self, address: &str) -> Vec<lc::Order> {
        let mut c = self.store().conn().await.unwrap();
        lc::orders_of(&mut c, address).await.unwrap()
    }

    /// How many done keys the daily machine recorded, for every subscription.
    pub async fn done_keys(&self) -> usize {
        let mut c = self.store().conn().await.unwrap();
        lc::done_between(&mut c, 0, i64::MAX).await.unwrap().len()
    }

    pub fn blob_file(&self, blob: &store::BlobId) -> PathBuf {
        let s = blob.as_str();
        self.data.join("blobs").join(&s[0..2]).join(&s[2..4]).join(s)
    }

    /// A PEC from `from` to `to` through the access point, then every job run.
    pub async fn send_pec(&self, from: &str, to: &str, subject: &str) -> Submission {
        let raw = format!(
            "From: {from}\r\nTo: {to}\r\nSubject: {subject}\r\nMessage-ID: <{}@client.test>\r\n\
             Date: {}\r\n\r\nBuongiorno,\r\ncome da oggetto.\r\n",
            Utc::now().timestamp_nanos_opt().unwrap(),
            self.clock.now().to_rfc2822(),
        );
        let outcome = self
            .engine
            .submit(from, from, &[to.to_string()], raw.as_bytes())
            .await
            .unwrap();
        self.engine.run_until_idle().await.unwrap();
        outcome
    }
}

pub fn parse_notice(raw: &[u8], at: DateTime<Utc>, blob: store::BlobId) -> Notice {
    let m = MessageParser::default().parse(raw).expect("a notice parses");
    let address = |a: Option<&mail_parser::Address>| {
        a.and_then(|a| a.first())
            .and_then(|a| a.address())
            .unwrap_or_default()
            .to_string()
    };
    Notice {
        at,
        from: address(m.from()),
        to: address(m.to()),
        subject: m.subject().unwrap_or_default().to_string(),
        body: m.body_text(0).unwrap_or_default().replace("\r\n", "\n"),
        blob,
    }
}
