//! The lifecycle against real servers (`certa demo`, the real binary), driven by
//! the operator's commands and Python's smtplib:
//!
//! - a box suspended for non-payment refuses submission, and a PEC sent to it
//!   from the other provider gets its sender a non-delivery notice; once the
//!   renewal order is paid both work again and nothing was lost;
//! - a cancellation sent as a PEC to the management address is recorded at the
//!   legal time of its acceptance, and no further renewal notice is sent.

mod support;

use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::NaiveDate;

use support::*;

/// A DCS-like convention on `domain`: yearly EUR 6.50 + VAT, tacit renewal, weekly
/// notices from 90 days before, suspended at 11:00 on the expiry day for 20 days.
fn dcs_convention(dir: &Path, domain: &str) -> PathBuf {
    let path = dir.join("dcs.toml");
    std::fs::write(
        &path,
        format!(
            r#"code = "E2E-DCS"
order = "Ordine di prova"
domains = ["{domain}"]
offer = {{ from = 2024-01-01 }}

[[plans]]
name = "annuale"
first_term_months = 12
net = "6.50"
quota = "1 GB"
renewal = "tacit"
notices = {{ every_days = 7, from_days_before = 90 }}
channels = ["pec-mailbox"]
expiry = {{ policy = "suspend", at = "11:00", days = 20, then_close = true }}
retention_days = 0
"#
        ),
    )
    .unwrap();
    path
}

/// `certa demo` without its own daily machine: the tests run it, with `certa lifecycle run`.
fn operator_driven_demo() -> Demo {
    Demo::start_with(CERTA, tempfile::tempdir().unwrap(), &["--daily-seconds", "0"])
}

/// Today in Rome, shifted by `days`.
fn rome_day(days: i64) -> NaiveDate {
    (chrono::Utc::now().with_timezone(&chrono_tz::Europe::Rome) + chrono::Duration::days(days)).date_naive()
}

/// Subscribes `address` to the yearly plan so that it expires on `expiry`: the
/// activation is one year earlier. The servers run on the real clock, so the
/// tests place the expiry around today.
fn subscribe(data: &Path, address: &str, tax_id: &str, expiry: NaiveDate) {
    let activated = expiry.checked_sub_months(chrono::Months::new(12)).unwrap();
    let at = format!("{activated}T09:00:00+01:00");
    ok_on(
        data,
        &[
            "subscription",
            "create",
            address,
            "--convention",
            "E2E-DCS",
            "--plan",
            "annuale",
            "--tax-id",
            tax_id,
            "--name",
            "Anna Bianchi",
            "--billing-address",
            "Via Roma 1, 15121 Alessandria",
            "--at",
            &at,
        ],
    );
}

fn subscription(data: &Path, address: &str) -> serde_json::Value {
    serde_json::from_str(&ok_on(data, &["subscription", "show", address, "--json"])).unwrap()
}

/// Finds a string field anywhere in a JSON value (the order's ID, whatever the layout).
fn find_order_id(v: &serde_json::Value) -> Option<String> {
    match v {
        serde_json::Value::String(s) if s.starts_with("CRT-") => Some(s.clone()),
        serde_json::Value::Array(a) => a.iter().find_map(find_order_id),
        serde_json::Value::Object(o) => o.values().find_map(find_order_id),
        _ => None,
    }
}

#[test]
fn a_suspended_box_neither_sends_nor_receives_until_it_is_paid_and_loses_nothing() {
    let demo = operator_driven_demo();
    let data = demo.data(0);
    // The demo's first mailbox is subscribed under its own convention: the second one is free.
    let (holder, _) = demo.user(0, 1);
    let (other_local, _) = demo.user(0, 0);
    let (remote, _) = demo.user(1, 0);
    let conv = dcs_convention(demo.dir(), demo.domain(0));
    ok_on(&data, &["convention", "create", conv.to_str().unwrap()]);
    // Expired yesterday and unpaid: suspended since 11:00 yesterday.
    let expiry = rome_day(-1);
    subscribe(&data, holder, "RSSMRA85T10A562S", expiry);

    // A message that arrived before: it must survive the suspension.
    let before = message(other_local, &[holder], &[], "Prima della sospensione", "");
    let o = submit(&demo.account(0, 0), other_local, &[holder], &before, &[]);
    assert_eq!((o.stage.as_str(), o.code), ("data", 250), "{o:?}");
    wait_until("the first envelope", Duration::from_secs(60), || {
        (count(&mailbox(&data, holder), "busta-trasporto") == 1).then_some(())
    });

    // The daily machine: the last weekly notice with its order, and the suspension.
    let report = ok_on(&data, &["lifecycle", "run"]);
    assert!(report.contains("suspend"), "{report}");
    let sub = subscription(&data, holder);
    assert!(sub.to_string().contains("suspended"), "{sub}");
    let held = mailbox(&data, holder);

    // The holder cannot send.
    let attempt = message(holder, &[remote], &[], "Invio da sospesa", "");
    let o = submit(&demo.account(0, 1), holder, &[remote], &attempt, &[]);
    assert_ne!(o.code, 250, "a suspended box sent a message: {o:?}");

    // A PEC from the other provider: its sender gets a non-delivery notice.
    let incoming = message(remote, &[holder], &[], "Per la casella sospesa", "");
    let o = submit(&demo.account(1, 0), remote, &[holder], &incoming, &[]);
    assert_eq!((o.stage.as_str(), o.code), ("data", 250), "{o:?}");
    wait_until("the non-delivery notice", Duration::from_secs(60), || {
        (count(&mailbox(&demo.data(1), remote), "errore-consegna") == 1).then_some(())
    });
    assert_eq!(mailbox(&data, holder).len(), held.len(), "nothing was delivered to it");

    // Paid during the suspension: reactivated at once, expiry from the old one.
    let order = find_order_id(&sub).expect("the notices named a renewal order");
    let paid = ok_on(
        &data,
        &[
            "payment",
            "record",
            &order,
            "--amount",
            "7.93",
            "--payment-id",
            "E2E-BONIFICO-1",
        ],
    );
    // Renewed from the old expiry, not from the payment date.
    let next = expiry.checked_add_months(chrono::Months::new(12)).unwrap();
    assert!(paid.contains(&next.to_string()), "{paid}");
    let sub = subscription(&data, holder);
    assert!(!sub["state"].to_string().contains("suspended"), "{sub}");

    // Both directions work again, and what was there is still there.
    let o = submit(&demo.account(0, 1), holder, &[remote], &attempt, &[]);
    assert_eq!((o.stage.as_str(), o.code), ("data", 250), "{o:?}");
    let again = message(remote, &[holder], &[], "Di nuovo attiva", "");
    let o = submit(&demo.account(1, 0), remote, &[holder], &again, &[]);
    assert_eq!((o.stage.as_str(), o.code), ("data", 250), "{o:?}");
    let after = wait_until("delivery to the reactivated box", Duration::from_secs(60), || {
        let m = mailbox(&data, holder);
        (count(&m, "busta-trasporto") == 2 && count(&m, "accettazione") == 1).then_some(m)
    });
    for kept in &held {
        assert!(
            after.iter().any(|m| m.path == kept.path),
            "{kept:?} was lost across the suspension"
        );
    }
    // Paying twice changes nothing.
    let twice = ok_on(
        &data,
        &[
            "payment",
            "record",
            &order,
            "--amount",
            "7.93",
            "--payment-id",
            "E2E-BONIFICO-1",
        ],
    );
    assert!(twice.to_lowercase().contains("already"), "{twice}");
    assert_eq!(subscription(&data, holder)["expiry"], sub["expiry"]);
}

#[test]
fn a_cancellation_sent_by_pec_is_recorded_at_its_legal_time_and_stops_the_notices() {
    let demo = operator_driven_demo();
    let data = demo.data(0);
    let (holder, _) = demo.user(0, 1);
    let conv = dcs_convention(demo.dir(), demo.domain(0));
    ok_on(&data, &["convention", "create", conv.to_str().unwrap()]);
    let expiry = rome_day(10);
    subscribe(&data, holder, "RSSMRA85T10A562S", expiry);
    // The demo has the management mailbox (the subscription page writes there too).
    let management = format!("gestione@{}", demo.domain(0));
    assert!(ok_on(&data, &["mailbox", "list"]).contains(&management));

    // A weekly notice (13 days before expiry), then the holder cancels by PEC.
    let report = ok_on(&data, &["lifecycle", "run"]);
    assert!(report.contains("notice"), "{report}");
    let request = message(holder, &[&management], &[], "Disdetta casella PEC", "");
    let o = submit(&demo.account(0, 1), holder, &[&management], &request, &[]);
    assert_eq!((o.stage.as_str(), o.code), ("data", 250), "{o:?}");
    let envelope = wait_until("the request in the management mailbox", Duration::from_secs(60), || {
        let m = mailbox(&data, &management);
        m.into_iter().find(|s| s.pec_kind.as_deref() == Some("busta-trasporto"))
    });
    let raw = std::fs::read(&envelope.path).unwrap();
    let pec::parse::Parsed::Pec(parsed) = pec::parse::parse(&raw, None) else {
        panic!("the request is not a PEC envelope");
    };
    let legal_time = parsed
        .daticert
        .as_ref()
        .and_then(|d| d.time())
        .expect("daticert time")
        .utc();

    // The next run reads it; later runs send no renewal notice.
    ok_on(&data, &["lifecycle", "run"]);
    let sub = subscription(&data, holder);
    let text = sub.to_string();
    // Recorded at the acceptance's legal time from the daticert (UTC in the JSON).
    let stamp = legal_time.format("%Y-%m-%dT%H:%M:%S").to_string();
    assert!(text.contains(&stamp), "cancellation at {stamp} not in {sub}");

    let before = mailbox(&data, holder).len();
    // The notice 6 days before expiry would be due in 5 days: none comes.
    let in_five_days = format!("{}T12:00:00+01:00", rome_day(5));
    let report = ok_on(&data, &["lifecycle", "run", "--now", &in_five_days]);
    assert!(!report.contains("notice"), "{report}");
    assert_eq!(mailbox(&data, holder).len(), before, "no notice after the cancellation");
    // Service ends the day after expiry.
    let day_after = format!("{}T12:00:00+01:00", expiry.succ_opt().unwrap());
    let report = ok_on(&data, &["lifecycle", "run", "--now", &day_after]);
    assert!(report.contains("end-service"), "{report}");
}
